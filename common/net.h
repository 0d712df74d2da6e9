/*
 * net — socket addresses as text: "ADDR:PORT", "[V6]:PORT" in and out. No sockets opened.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/err.h"

/* "[ffff:...:255.255.255.255]:65535" plus NUL */
#define NET_ADDRSTRLEN 64

/**
 * Parses "1.2.3.4:53", "[::1]:53", or an address alone when default_port >= 0.
 * @return 0 with the address and its length set, or LANA_EPARSE with a message in d.
 */
int net_parse_endpoint(const char *s, int default_port, struct sockaddr_storage *out,
                       socklen_t *len, struct lana_diag *d);

/** "1.2.3.4:53" or "[::1]:53"; never fails (writes "?" for unknown families). */
const char *net_addr_format(const struct sockaddr *sa, char *buf, size_t size);

/** The port of an AF_INET/AF_INET6 address, in host order. */
uint16_t net_addr_port(const struct sockaddr *sa);
