/*
 * calc — what "lana calc" computes, apart from how it is printed: the network, netmask,
 * wildcard, broadcast and usable host range of a prefix (IPv4 /31 per RFC 3021, /32 one
 * address; IPv6 without broadcast, the Subnet-Router anycast address of RFC 4291 §2.6.1 not a
 * host, /127 per RFC 6164), the class of an IPv4 address, the IANA special-purpose blocks it
 * lies in (RFC 6890 and its successors), IPv4-in-IPv6 forms and the subnets of a split.
 * No I/O, no allocation; exact over 128 bits (counts in unsigned __int128).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/cidr.h"
#include "common/err.h"

/* Enough for the blocks nested around any address in the table (at most three deep). */
#define CALC_SPECIAL_MAX 4
/* --split prints at most 2^16 = 65536 subnets. */
#define CALC_SPLIT_MAX_LOG2 16
/* 128 bits, 7 group separators, the boundary mark, NUL. */
#define CALC_BINLEN 140

/* One row of the special-purpose address registries (IANA, RFC 6890 §2.2). */
struct calc_special {
    const char *prefix; /* "192.0.2.0/24" */
    const char *name;   /* "documentation (TEST-NET-1)" */
    const char *rfc;    /* "RFC 5737" */
};

struct calc {
    bool has_host;       /* the input was ADDRESS/LEN with host bits: host is that address */
    struct cidr host;    /* the address as given (a host prefix), when has_host */
    struct cidr net;     /* the prefix */
    struct cidr first, last, netmask, wildcard;
    bool has_broadcast;  /* IPv4 up to /30 */
    struct cidr broadcast;
    struct cidr host_min, host_max; /* the usable host range */
    unsigned __int128 hosts;        /* usable hosts: 2^128 - 1 at most, exact */
    unsigned addr_log2;  /* addresses = 2^addr_log2 (bits - plen) */
    char klass;          /* IPv4 class 'A'..'E' of the address (host or network); 0 for IPv6 */
    const struct calc_special *special[CALC_SPECIAL_MAX]; /* most specific first */
    size_t nspecial;
    bool has_v4_in_v6;   /* IPv4 input: its IPv6 forms */
    struct cidr mapped;  /* ::ffff:0:0/96 (RFC 4291 §2.5.5.2) */
    struct cidr nat64;   /* 64:ff9b::/96 (RFC 6052 §2.1) */
    bool has_embedded;   /* IPv6 input inside one of those two /96: the IPv4 it carries */
    struct cidr embedded;
};

/**
 * Computes everything for "PREFIX", "ADDRESS" (a host prefix) or "ADDRESS/LEN" (an address
 * inside its network, like ipcalc).
 * @return 0 with *out filled, or LANA_EPARSE with the reason in d (a zone index, a bad
 * address, a prefix length out of range).
 */
int calc_compute(const char *arg, struct calc *out, struct lana_diag *d);

/**
 * Checks a split of c's network into prefixes of length plen: plen must lie between the
 * network's own length and its family's bits, and the count (2^(plen - len)) must not pass
 * 2^CALC_SPLIT_MAX_LOG2.
 * @return 0 with the count in *count, LANA_ERANGE (plen out of range) or LANA_ENOSPACE (too
 * many subnets) with the reason in d.
 */
int calc_split_check(const struct calc *c, unsigned plen, uint64_t *count, struct lana_diag *d);

/** The i-th (from 0) subnet of length plen of c's network; i below the checked count. */
void calc_split_nth(const struct calc *c, unsigned plen, uint64_t i, struct cidr *out);

/**
 * The address in binary, octets (IPv4) or 16-bit groups (IPv6) separated by '.' or ':', a
 * '|' after bit plen (none when plen is 0 or the family's bits): "11000110.0001001|0.0...".
 * @return 0, or LANA_ENOSPACE when size is below CALC_BINLEN.
 */
int calc_binary(const struct cidr *addr, unsigned plen, char *buf, size_t size);

/**
 * An IPv6 prefix with an IPv4 address in its last 32 bits, written the RFC 6052 §2.3 way
 * with the IPv4 part dotted: "64:ff9b::198.18.0.1", "::ffff:198.18.0.0/111" (the "/LEN" only
 * below 128). @return 0, or LANA_ENOSPACE.
 */
int calc_format_v4_in_v6(const struct cidr *c, char *buf, size_t size);

/** "usable hosts" in decimal; 0 or LANA_ENOSPACE. */
int calc_hosts_format(const struct calc *c, char *buf, size_t size);
