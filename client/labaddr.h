/*
 * labaddr — the rule `lana connect` applies before it sends a SYN, so that a lab tool never
 * sends one out of the lab by accident. An address is in the lab when it is loopback, an
 * address of this machine (the SYN stays in the host), inside the ranges that are never a real
 * network (198.18.0.0/15, RFC 2544, for test networks; 2001:db8::/32, RFC 3849, for
 * documentation), or inside one of the registry's pools (`pool list`, read-only and public),
 * asked only when the rest does not settle it. A ULA (fc00::/7) or RFC 1918 address is in the
 * lab only as a pool: those are what real sites run. The rule is a pure function; gathering
 * the machine's addresses and the pools are the only I/O here.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "common/cidr.h"
#include "common/err.h"

#define LABADDR_MAX 64 /* prefixes of a set: the registry's pools, or this machine's addresses */

/** A set of prefixes with the words that say where it came from. */
struct labaddr_set {
    struct cidr prefix[LABADDR_MAX];
    int n;
    bool truncated; /* there were more than LABADDR_MAX */
};

enum labaddr_kind {
    LABADDR_LOOPBACK, /* 127.0.0.0/8, ::1 (IPv4-mapped too) */
    LABADDR_LOCAL,    /* an address of this machine, or the unspecified address */
    LABADDR_RANGE,    /* 198.18.0.0/15 or 2001:db8::/32 */
    LABADDR_POOL,     /* inside one of the registry's pools */
    LABADDR_OUTSIDE,  /* none of the above: connecting could leave the lab */
};

/** The built-in ranges, as text: "198.18.0.0/15, 2001:db8::/32". */
extern const char labaddr_ranges_text[];

/**
 * Classifies one address (AF_INET or AF_INET6 sockaddr; an IPv4-mapped IPv6 address counts
 * as its IPv4 address) against the machine's addresses (local, may be NULL) and the registry's
 * pools (pools, may be NULL when not asked or not reachable). *which, when not NULL, gets the
 * index of the matching prefix in local or pools (-1 otherwise). Pure, thread-safe.
 */
enum labaddr_kind labaddr_classify(const struct sockaddr_storage *a,
                                   const struct labaddr_set *local, const struct labaddr_set *pools,
                                   int *which);

/**
 * Reads the "prefix" members of a `pool list` reply ({"ok":true,"pools":[{"prefix":..},..]})
 * into *out (emptied first). Returns 0, or LANA_EPARSE with the reason in d (not JSON, not ok,
 * a prefix that does not parse). Pure.
 */
int labaddr_parse_pools(const char *reply, struct labaddr_set *out, struct lana_diag *d);

/**
 * This machine's addresses (getifaddrs), as host prefixes. Returns 0, or LANA_EIO with the
 * reason in d.
 */
int labaddr_local(struct labaddr_set *out, struct lana_diag *d);

struct regclient_opts;

/**
 * Asks the registry described by o (anonymous: `pool list` is public) for its pools, into
 * *out. Returns 0, or a regclient code (LANA_EIO, -ETIMEDOUT, ...) or LANA_EPARSE with the
 * reason in d. Blocks up to o->timeout_ms for the connection and again for the reply.
 */
int labaddr_pools(const struct regclient_opts *o, struct labaddr_set *out, struct lana_diag *d);

/** "198.18.0.0/15, fd12:3456:789a::/48" (cut with "..." when buf is too small). */
void labaddr_set_text(const struct labaddr_set *s, char *buf, size_t size);
