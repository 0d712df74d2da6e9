/*
 * cidr — see cidr.h. Text conversion goes through inet_pton/inet_ntop, whose glibc versions
 * reject leading zeros in IPv4 and write RFC 5952 text for IPv6; everything else is bit
 * arithmetic on the 16 address bytes.
 */
#include "common/cidr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "common/num.h"
#include "common/wbuf.h"

int cidr_parse_addr(const char *s, struct cidr *out, struct lana_diag *d)
{
    struct cidr c;
    memset(&c, 0, sizeof c);
    if (s == NULL || *s == '\0')
        return diag_set(d, LANA_EPARSE, "empty address");
    const char *zone = strchr(s, '%');
    if (zone != NULL && strchr(s, ':') != NULL)
        /* RFC 4007 §11: "fe80::1%eth0" names an interface as well as an address; the zone
         * is local to one host, so a registry, a prefix or a DNS record cannot hold it. */
        return diag_set(d, LANA_EPARSE,
                        "%.60s: a zone index (%.20s) names an interface, it is not part of "
                        "the address (RFC 4007 §11): give the address alone, %.*s",
                        s, zone, (int)(zone - s > 46 ? 46 : zone - s), s);
    if (strlen(s) >= INET6_ADDRSTRLEN)
        return diag_set(d, LANA_EPARSE, "%.60s...: address too long", s);
    if (strchr(s, ':') != NULL) {
        if (inet_pton(AF_INET6, s, c.addr) != 1)
            return diag_set(d, LANA_EPARSE, "%s: not a valid IPv6 address", s);
        c.family = 6;
        c.plen = CIDR_V6_BITS;
    } else {
        if (inet_pton(AF_INET, s, c.addr) != 1)
            return diag_set(d, LANA_EPARSE, "%s: not a valid IPv4 address", s);
        c.family = 4;
        c.plen = CIDR_V4_BITS;
    }
    *out = c;
    return 0;
}

int cidr_parse(const char *s, struct cidr *out, struct lana_diag *d)
{
    char addr[INET6_ADDRSTRLEN];
    struct cidr c;
    if (s == NULL)
        return diag_set(d, LANA_EPARSE, "empty prefix");
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    if (alen >= sizeof addr)
        return diag_set(d, LANA_EPARSE, "%.60s...: address too long", s);
    memcpy(addr, s, alen);
    addr[alen] = '\0';
    int rc = cidr_parse_addr(addr, &c, d);
    if (rc != 0)
        return rc;
    if (slash != NULL) {
        uint64_t plen;
        struct lana_diag nd;
        if (num_parse_u64(slash + 1, 0, cidr_bits(&c), &plen, &nd) != 0)
            return diag_set(d, LANA_EPARSE, "%.80s: prefix length must be 0-%u", s,
                            cidr_bits(&c));
        c.plen = (uint8_t)plen;
    }
    if (!cidr_is_aligned(&c)) {
        struct cidr fixed = c;
        char ok[CIDR_STRLEN];
        cidr_addr_set_u128(&fixed, cidr_addr_u128(&c) & ~cidr_size_minus1(&c));
        cidr_format(&fixed, ok, sizeof ok);
        return diag_set(d, LANA_EPARSE, "%.80s: host bits set (did you mean %s?)", s, ok);
    }
    *out = c;
    return 0;
}

int cidr_format_addr(const struct cidr *c, char *buf, size_t size)
{
    if (inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, buf, (socklen_t)size) == NULL)
        return LANA_ENOSPACE;
    return 0;
}

int cidr_format(const struct cidr *c, char *buf, size_t size)
{
    char a[INET6_ADDRSTRLEN];
    if (cidr_format_addr(c, a, sizeof a) != 0)
        return LANA_ENOSPACE;
    int n = snprintf(buf, size, "%s/%u", a, c->plen);
    if (n < 0 || (size_t)n >= size)
        return LANA_ENOSPACE;
    return 0;
}

unsigned __int128 cidr_addr_u128(const struct cidr *c)
{
    unsigned __int128 v = 0;
    unsigned nbytes = cidr_bits(c) / 8;
    for (unsigned i = 0; i < nbytes; i++)
        v = v << 8 | c->addr[i];
    return v;
}

void cidr_addr_set_u128(struct cidr *c, unsigned __int128 v)
{
    unsigned nbytes = cidr_bits(c) / 8;
    for (unsigned i = nbytes; i-- > 0;) {
        c->addr[i] = (uint8_t)v;
        v >>= 8;
    }
}

unsigned __int128 cidr_size_minus1(const struct cidr *c)
{
    unsigned host = cidr_bits(c) - c->plen;
    if (host == 0)
        return 0;
    if (host >= 128)
        return ~(unsigned __int128)0;
    return ((unsigned __int128)1 << host) - 1;
}

bool cidr_is_aligned(const struct cidr *c)
{
    return (cidr_addr_u128(c) & cidr_size_minus1(c)) == 0;
}

bool cidr_contains(const struct cidr *outer, const struct cidr *inner)
{
    if (outer->family != inner->family || inner->plen < outer->plen)
        return false;
    unsigned __int128 mask = ~cidr_size_minus1(outer);
    return (cidr_addr_u128(outer) & mask) == (cidr_addr_u128(inner) & mask);
}

bool cidr_overlaps(const struct cidr *a, const struct cidr *b)
{
    return cidr_contains(a, b) || cidr_contains(b, a);
}

void cidr_first(const struct cidr *c, struct cidr *out)
{
    *out = *c;
    cidr_addr_set_u128(out, cidr_addr_u128(c) & ~cidr_size_minus1(c));
    out->plen = (uint8_t)cidr_bits(c);
}

void cidr_last(const struct cidr *c, struct cidr *out)
{
    *out = *c;
    cidr_addr_set_u128(out, cidr_addr_u128(c) | cidr_size_minus1(c));
    out->plen = (uint8_t)cidr_bits(c);
}

void cidr_netmask(const struct cidr *c, struct cidr *out)
{
    *out = *c;
    unsigned __int128 all = cidr_bits(c) == 128 ? ~(unsigned __int128)0
                                                : (((unsigned __int128)1 << 32) - 1);
    cidr_addr_set_u128(out, all & ~cidr_size_minus1(c));
    out->plen = (uint8_t)cidr_bits(c);
}

int cidr_size_format(const struct cidr *c, char *buf, size_t size)
{
    /* size = (size - 1) + 1, done in decimal so that 2^128 needs no 129-bit integer. */
    char tmp[48];
    int n = num_format_u128(cidr_size_minus1(c), tmp, sizeof tmp);
    if (n < 0)
        return n;
    int i = n - 1;
    while (i >= 0 && tmp[i] == '9')
        tmp[i--] = '0';
    if (i >= 0) {
        tmp[i]++;
    } else {
        memmove(tmp + 1, tmp, (size_t)n + 1);
        tmp[0] = '1';
        n++;
    }
    if ((size_t)n + 1 > size)
        return LANA_ENOSPACE;
    memcpy(buf, tmp, (size_t)n + 1);
    return 0;
}

int cidr_reverse_name(const struct cidr *c, char *buf, size_t size)
{
    struct wbuf wb;
    wbuf_init(&wb, buf, size);
    if (c->family == 4) {
        unsigned octets = c->plen / 8;
        if (c->plen > 24 && c->plen < 32) {
            /* RFC 2317 classless delegation name for a block inside one /24 */
            struct cidr last;
            cidr_last(c, &last);
            wbuf_printf(&wb, "%u-%u.", c->addr[3], last.addr[3]);
            octets = 3;
        }
        for (unsigned i = octets; i-- > 0;)
            wbuf_printf(&wb, "%u.", c->addr[i]);
        wbuf_puts(&wb, "in-addr.arpa.");
    } else {
        static const char hex[] = "0123456789abcdef";
        unsigned nibbles = c->plen / 4;
        for (unsigned i = nibbles; i-- > 0;) {
            uint8_t b = c->addr[i / 2];
            wbuf_u8(&wb, (uint8_t)hex[(i % 2) ? (b & 0xf) : (b >> 4)]);
            wbuf_u8(&wb, '.');
        }
        wbuf_puts(&wb, "ip6.arpa.");
    }
    if (!wbuf_cstr(&wb))
        return LANA_ENOSPACE;
    return 0;
}

enum cidr_role cidr_role_in(const struct cidr *subnet, const struct cidr *addr)
{
    unsigned bits = cidr_bits(subnet);
    if (!cidr_contains(subnet, addr) || subnet->plen + 1u >= bits)
        return CIDR_ROLE_HOST; /* a /31, /32, /127, /128: every address is a host's */
    unsigned __int128 a = cidr_addr_u128(addr), first = cidr_addr_u128(subnet);
    if (a == first)
        return subnet->family == 4 ? CIDR_ROLE_NETWORK : CIDR_ROLE_SUBNET_ROUTER;
    if (subnet->family == 4 && a == first + cidr_size_minus1(subnet))
        return CIDR_ROLE_BROADCAST;
    return CIDR_ROLE_HOST;
}

const char *cidr_role_name(enum cidr_role r)
{
    switch (r) {
    case CIDR_ROLE_NETWORK: return "network address";
    case CIDR_ROLE_BROADCAST: return "broadcast address";
    case CIDR_ROLE_SUBNET_ROUTER: return "Subnet-Router anycast address";
    default: return "host address";
    }
}

bool cidr_reverse_parse(const uint8_t *name, struct cidr *out)
{
    const uint8_t *lab[40];
    unsigned n = 0;
    for (const uint8_t *p = name; *p != 0; p += *p + 1) {
        if (n == 40)
            return false;
        lab[n++] = p;
    }
    if (n < 2 || lab[n - 1][0] != 4 || memcmp(lab[n - 1] + 1, "arpa", 4) != 0)
        return false;
    bool v4 = lab[n - 2][0] == 7 && memcmp(lab[n - 2] + 1, "in-addr", 7) == 0;
    bool v6 = lab[n - 2][0] == 3 && memcmp(lab[n - 2] + 1, "ip6", 3) == 0;
    unsigned k = n - 2; /* labels of the address, least significant first */
    memset(out, 0, sizeof *out);
    if (v4 && k <= 4) {
        out->family = 4;
        out->plen = (uint8_t)(8 * k);
        for (unsigned i = 0; i < k; i++) {
            const uint8_t *l = lab[k - 1 - i];
            unsigned v = 0;
            if (l[0] < 1 || l[0] > 3 || (l[0] > 1 && l[1] == '0'))
                return false;
            for (unsigned j = 1; j <= l[0]; j++) {
                if (l[j] < '0' || l[j] > '9')
                    return false;
                v = v * 10 + (unsigned)(l[j] - '0');
            }
            if (v > 255)
                return false;
            out->addr[i] = (uint8_t)v;
        }
        return true;
    }
    if (v6 && k <= 32) {
        out->family = 6;
        out->plen = (uint8_t)(4 * k);
        for (unsigned i = 0; i < k; i++) {
            const uint8_t *l = lab[k - 1 - i];
            int c = l[0] == 1 ? l[1] : -1, v;
            if (c >= '0' && c <= '9')
                v = c - '0';
            else if (c >= 'a' && c <= 'f')
                v = c - 'a' + 10;
            else
                return false;
            out->addr[i / 2] |= (uint8_t)(i % 2 ? v : v << 4);
        }
        return true;
    }
    return false;
}
