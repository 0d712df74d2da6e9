/*
 * cidr — exact IPv4/IPv6 address and prefix arithmetic. No I/O, no allocation.
 *
 * A struct cidr is a family, a prefix length and 16 address bytes (IPv4 uses the first 4).
 * Invariant of a parsed prefix: host bits below plen are zero. Sizes are exact over 128 bits:
 * ::/0 holds 2^128 addresses, which does not fit an unsigned __int128, so sizes are handed out
 * as "size minus one" or as decimal text. Text output follows RFC 5952 (lower case, the
 * longest run of two or more zero groups compressed).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define CIDR_V4_BITS 32
#define CIDR_V6_BITS 128
/* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128" plus NUL */
#define CIDR_STRLEN 52
/* 32 nibbles with dots plus "ip6.arpa." plus NUL */
#define CIDR_REVLEN 74

struct cidr {
    uint8_t family; /* 4 or 6 */
    uint8_t plen;   /* 0..32 or 0..128 */
    uint8_t addr[16];
};

/** Bits in an address of the prefix's family (32 or 128). */
static inline unsigned cidr_bits(const struct cidr *c)
{
    return c->family == 4 ? CIDR_V4_BITS : CIDR_V6_BITS;
}

/**
 * Parses "ADDR/LEN" or a bare address (a host prefix: /32 or /128). Host bits must be zero.
 * @return 0, or LANA_EPARSE with a message naming the input in d.
 */
int cidr_parse(const char *s, struct cidr *out, struct lana_diag *d);

/**
 * Parses a bare address (no "/"); out->plen is 32 or 128.
 * @return 0, or LANA_EPARSE in d; an IPv6 address with a zone index ("fe80::1%eth0") gets a
 * message of its own naming the zone, since a zone is not part of the address (RFC 4007 §11).
 */
int cidr_parse_addr(const char *s, struct cidr *out, struct lana_diag *d);

/** "10.0.0.0/8", "fd00::/8"; returns 0 or LANA_ENOSPACE. */
int cidr_format(const struct cidr *c, char *buf, size_t size);
/** The address alone, RFC 5952 text for IPv6. */
int cidr_format_addr(const struct cidr *c, char *buf, size_t size);

/** True when inner lies inside outer (same family, inner.plen >= outer.plen). */
bool cidr_contains(const struct cidr *outer, const struct cidr *inner);
/** True when the address has no bits set below plen. */
bool cidr_is_aligned(const struct cidr *c);
/** True when the two prefixes share at least one address. */
bool cidr_overlaps(const struct cidr *a, const struct cidr *b);

/** First and last address of the prefix, as host prefixes. */
void cidr_first(const struct cidr *c, struct cidr *out);
void cidr_last(const struct cidr *c, struct cidr *out);

/** The prefix's netmask as an address of its family (255.255.255.0 for a /24). */
void cidr_netmask(const struct cidr *c, struct cidr *out);

/** Number of addresses minus one: 2^(bits-plen) - 1. Exact for every prefix, ::/0 included. */
unsigned __int128 cidr_size_minus1(const struct cidr *c);
/** Number of addresses in decimal ("340282366920938463463374607431768211456" for ::/0). */
int cidr_size_format(const struct cidr *c, char *buf, size_t size);

/**
 * The reverse-DNS name. A host address gives its PTR owner (d.c.b.a.in-addr.arpa.,
 * 32 nibbles under ip6.arpa.). A prefix gives the zone that holds it: the name of the
 * enclosing octet (IPv4) or nibble (IPv6) boundary, and for IPv4 prefixes longer than /24 the
 * RFC 2317 classless name "first-last.c.b.a.in-addr.arpa.". The name ends with a dot.
 */
int cidr_reverse_name(const struct cidr *c, char *buf, size_t size);
/**
 * The address or prefix a reverse-DNS name stands for, the inverse of cidr_reverse_name for
 * names on octet (IPv4) or nibble (IPv6) boundaries: name is in wire form, lower case.
 * "7.0.10.in-addr.arpa." is 10.0.7.0/24, "in-addr.arpa." 0.0.0.0/0, 32 nibbles under ip6.arpa.
 * an address (/128). true with *out set; false when the name is not one (RFC 2317 names
 * included).
 */
bool cidr_reverse_parse(const uint8_t *name, struct cidr *out);

/** Address as a 128-bit integer (IPv4 in the low 32 bits). */
unsigned __int128 cidr_addr_u128(const struct cidr *c);
/** Sets the address bytes of c from a 128-bit integer (IPv4 from the low 32 bits). */
void cidr_addr_set_u128(struct cidr *c, unsigned __int128 v);

/* What an address is to the subnet it lies in, for numbering hosts. */
enum cidr_role {
    CIDR_ROLE_HOST,          /* an ordinary host address */
    CIDR_ROLE_NETWORK,       /* IPv4: the all-zeros host part of a /0../30 */
    CIDR_ROLE_BROADCAST,     /* IPv4: the all-ones host part of a /0../30 */
    CIDR_ROLE_SUBNET_ROUTER, /* IPv6: the all-zeros interface ID of a /0../126 (RFC 4291 2.6.1) */
};

/**
 * The role of host address addr (a /32 or /128 inside subnet) in subnet. A /31 (RFC 3021)
 * and a /32 have no network or broadcast address; a /127 (RFC 6164) and a /128 no
 * Subnet-Router anycast address. Automatic host numbering takes only CIDR_ROLE_HOST.
 */
enum cidr_role cidr_role_in(const struct cidr *subnet, const struct cidr *addr);
/** "network address", "broadcast address", "Subnet-Router anycast address", "host address". */
const char *cidr_role_name(enum cidr_role r);
