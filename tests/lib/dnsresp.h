/*
 * dnsresp — test helper: decodes a whole DNS response into text records so that tests can
 * assert "the answer holds www.test. CNAME web.test." instead of comparing raw bytes.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define DNSRESP_MAX_RR 64

struct dnsresp_rr {
    char owner[300];
    uint16_t type;
    uint32_t ttl;
    char data[600]; /* master-file text of the rdata, names decompressed */
};

struct dnsresp {
    uint16_t id, flags, rcode; /* rcode includes the OPT's extended bits */
    char qname[300];
    uint16_t qtype, qclass;
    unsigned count[4];
    struct dnsresp_rr rr[4][DNSRESP_MAX_RR];
    int has_opt;
    uint16_t opt_udp;
};

/** Returns 0 when the whole message decodes, -1 otherwise. */
int dnsresp_parse(const uint8_t *msg, size_t len, struct dnsresp *out);

/** Index of the first record of the section with the type and data (NULL = any), or -1. */
int dnsresp_find(const struct dnsresp *r, int section, uint16_t type, const char *data);

/** Builds a query; returns its length. edns_udp 0 = no OPT. */
size_t dnsresp_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t type,
                     uint16_t edns_udp);
