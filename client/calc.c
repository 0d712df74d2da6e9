/*
 * calc — see calc.h. The special-purpose table follows the IANA IPv4 and IPv6 Special-Purpose
 * Address Registries (RFC 6890 §2.2 and the RFCs that added rows since), plus the multicast
 * and reserved (class E) blocks a class asks about; a prefix is reported in every block that
 * holds it, the most specific first.
 */
#include "client/calc.h"

#include <stdio.h>
#include <string.h>

#include "common/num.h"
#include "common/wbuf.h"

static const struct calc_special calc_specials[] = {
    /* IPv4 */
    {"0.0.0.0/8", "this network", "RFC 791 §3.2"},
    {"0.0.0.0/32", "this host on this network", "RFC 1122 §3.2.1.3"},
    {"10.0.0.0/8", "private-use", "RFC 1918"},
    {"100.64.0.0/10", "shared address space (carrier-grade NAT)", "RFC 6598"},
    {"127.0.0.0/8", "loopback", "RFC 1122 §3.2.1.3"},
    {"169.254.0.0/16", "link-local", "RFC 3927"},
    {"172.16.0.0/12", "private-use", "RFC 1918"},
    {"192.0.0.0/24", "IETF protocol assignments", "RFC 6890 §2.1"},
    {"192.0.0.0/29", "IPv4 service continuity prefix (DS-Lite)", "RFC 7335"},
    {"192.0.0.8/32", "IPv4 dummy address", "RFC 7600"},
    {"192.0.0.9/32", "Port Control Protocol anycast", "RFC 7723"},
    {"192.0.0.10/32", "TURN anycast", "RFC 8155"},
    {"192.0.0.170/31", "NAT64/DNS64 discovery", "RFC 8880"},
    {"192.0.2.0/24", "documentation (TEST-NET-1)", "RFC 5737"},
    {"192.31.196.0/24", "AS112-v4", "RFC 7535"},
    {"192.52.193.0/24", "AMT", "RFC 7450"},
    {"192.88.99.0/24", "deprecated 6to4 relay anycast", "RFC 7526"},
    {"192.168.0.0/16", "private-use", "RFC 1918"},
    {"192.175.48.0/24", "direct delegation AS112 service", "RFC 7534"},
    {"198.18.0.0/15", "benchmarking", "RFC 2544"},
    {"198.51.100.0/24", "documentation (TEST-NET-2)", "RFC 5737"},
    {"203.0.113.0/24", "documentation (TEST-NET-3)", "RFC 5737"},
    {"224.0.0.0/4", "multicast", "RFC 5771"},
    {"224.0.0.0/24", "local network control block (multicast)", "RFC 5771"},
    {"232.0.0.0/8", "source-specific multicast", "RFC 4607"},
    {"233.252.0.0/24", "documentation (MCAST-TEST-NET)", "RFC 6676"},
    {"239.0.0.0/8", "administratively scoped multicast", "RFC 2365"},
    {"240.0.0.0/4", "reserved (class E)", "RFC 1112 §4"},
    {"255.255.255.255/32", "limited broadcast", "RFC 919, RFC 8190"},
    /* IPv6 */
    {"::/128", "unspecified address", "RFC 4291 §2.5.2"},
    {"::1/128", "loopback", "RFC 4291 §2.5.3"},
    {"::ffff:0:0/96", "IPv4-mapped address", "RFC 4291 §2.5.5.2"},
    {"64:ff9b::/96", "IPv4-IPv6 translation (NAT64 well-known prefix)", "RFC 6052"},
    {"64:ff9b:1::/48", "local-use IPv4/IPv6 translation", "RFC 8215"},
    {"100::/64", "discard-only", "RFC 6666"},
    {"2001::/23", "IETF protocol assignments", "RFC 2928"},
    {"2001::/32", "Teredo", "RFC 4380"},
    {"2001:1::1/128", "Port Control Protocol anycast", "RFC 7723"},
    {"2001:1::2/128", "TURN anycast", "RFC 8155"},
    {"2001:2::/48", "benchmarking", "RFC 5180"},
    {"2001:3::/32", "AMT", "RFC 7450"},
    {"2001:4:112::/48", "AS112-v6", "RFC 7535"},
    {"2001:10::/28", "deprecated ORCHID", "RFC 4843"},
    {"2001:20::/28", "ORCHIDv2", "RFC 7343"},
    {"2001:db8::/32", "documentation", "RFC 3849"},
    {"2002::/16", "6to4", "RFC 3056"},
    {"2620:4f:8000::/48", "direct delegation AS112 service", "RFC 7534"},
    {"3fff::/20", "documentation", "RFC 9637"},
    {"5f00::/16", "segment routing (SRv6) SIDs", "RFC 9602"},
    {"fc00::/7", "unique local (ULA)", "RFC 4193"},
    {"fe80::/10", "link-local unicast", "RFC 4291 §2.5.6"},
    {"ff00::/8", "multicast", "RFC 4291 §2.7"},
};

/* The blocks holding net, most specific (longest) first. */
static void calc_find_specials(struct calc *c)
{
    c->nspecial = 0;
    for (size_t i = 0; i < sizeof calc_specials / sizeof calc_specials[0]; i++) {
        struct cidr s;
        if (cidr_parse(calc_specials[i].prefix, &s, NULL) != 0 || !cidr_contains(&s, &c->net))
            continue;
        if (c->nspecial == CALC_SPECIAL_MAX)
            break;
        /* insertion by length: the table is short, the result at most four rows */
        size_t j = c->nspecial++;
        while (j > 0) {
            struct cidr prev;
            cidr_parse(c->special[j - 1]->prefix, &prev, NULL);
            if (prev.plen >= s.plen)
                break;
            c->special[j] = c->special[j - 1];
            j--;
        }
        c->special[j] = &calc_specials[i];
    }
}

/* The classful rule of RFC 791 §3.2 by the leading bits of the first octet. */
static char calc_class(uint8_t first_octet)
{
    if (first_octet < 128)
        return 'A';
    if (first_octet < 192)
        return 'B';
    if (first_octet < 224)
        return 'C';
    if (first_octet < 240)
        return 'D';
    return 'E';
}

/* ADDRESS/LEN with host bits set: the address into *host, LEN into *plen. */
static int calc_parse_host_in_net(const char *arg, struct cidr *host, uint64_t *plen,
                                  struct lana_diag *d)
{
    char a[CIDR_STRLEN];
    const char *slash = strchr(arg, '/');
    size_t n = slash ? (size_t)(slash - arg) : 0;
    if (slash == NULL || n >= sizeof a)
        return LANA_EPARSE;
    memcpy(a, arg, n);
    a[n] = '\0';
    int rc = cidr_parse_addr(a, host, d);
    if (rc != 0)
        return rc;
    return num_parse_u64(slash + 1, 0, cidr_bits(host), plen, NULL) == 0 ? 0 : LANA_EPARSE;
}

/* Usable hosts and their range: IPv4 skips the network and broadcast addresses except on a
 * /31 (RFC 3021, both ends of a point-to-point link) and a /32; IPv6 skips the Subnet-Router
 * anycast address (RFC 4291 §2.6.1) except on a /127 (RFC 6164 §6) and a /128. */
static void calc_hosts(struct calc *c)
{
    unsigned host_bits = cidr_bits(&c->net) - c->net.plen;
    unsigned __int128 m1 = cidr_size_minus1(&c->net);
    unsigned __int128 lo = cidr_addr_u128(&c->first), hi = cidr_addr_u128(&c->last);
    c->host_min = c->first;
    c->host_max = c->last;
    if (host_bits <= 1) {
        c->hosts = m1 + 1;
        return;
    }
    if (c->net.family == 4) {
        cidr_addr_set_u128(&c->host_min, lo + 1);
        cidr_addr_set_u128(&c->host_max, hi - 1);
        c->hosts = m1 - 1;
        c->has_broadcast = true;
        c->broadcast = c->last;
    } else {
        cidr_addr_set_u128(&c->host_min, lo + 1);
        c->hosts = m1; /* 2^128 - 1 for ::/0: still fits */
    }
}

/* IPv4 inside a /96: the address or the prefix, moved down to the last 32 bits. */
static void calc_embed(const struct cidr *v4, const char *prefix96, struct cidr *out)
{
    cidr_parse(prefix96, out, NULL);
    memcpy(out->addr + 12, v4->addr, 4);
    out->plen = (uint8_t)(96 + v4->plen);
}

int calc_compute(const char *arg, struct calc *out, struct lana_diag *d)
{
    struct calc c;
    memset(&c, 0, sizeof c);
    struct lana_diag pd;
    int rc = cidr_parse(arg, &c.net, &pd);
    if (rc != 0) {
        /* like ipcalc, an address inside the network is fine: ADDRESS/LEN. A zone index or
         * a bad address is reported as such; anything else with cidr_parse's reason. */
        uint64_t plen;
        struct lana_diag hd;
        hd.msg[0] = '\0';
        if (calc_parse_host_in_net(arg, &c.host, &plen, &hd) != 0)
            return diag_set(d, LANA_EPARSE, "%s", hd.msg[0] ? hd.msg : pd.msg);
        c.host.plen = (uint8_t)plen;
        cidr_first(&c.host, &c.net);
        c.net.plen = (uint8_t)plen;
        c.host.plen = (uint8_t)cidr_bits(&c.host);
        c.has_host = true;
    }
    cidr_first(&c.net, &c.first);
    cidr_last(&c.net, &c.last);
    cidr_netmask(&c.net, &c.netmask);
    c.wildcard = c.netmask;
    cidr_addr_set_u128(&c.wildcard, cidr_size_minus1(&c.net));
    c.addr_log2 = cidr_bits(&c.net) - c.net.plen;
    calc_hosts(&c);
    calc_find_specials(&c);
    const struct cidr *a = c.has_host ? &c.host : &c.net;
    if (c.net.family == 4) {
        c.klass = calc_class(a->addr[0]);
        struct cidr v4 = c.has_host ? c.host : c.net;
        c.has_v4_in_v6 = true;
        calc_embed(&v4, "::ffff:0:0/96", &c.mapped);
        calc_embed(&v4, "64:ff9b::/96", &c.nat64);
    } else if (c.net.plen >= 96) {
        struct cidr m, n;
        cidr_parse("::ffff:0:0/96", &m, NULL);
        cidr_parse("64:ff9b::/96", &n, NULL);
        if (cidr_contains(&m, &c.net) || cidr_contains(&n, &c.net)) {
            c.has_embedded = true;
            c.embedded.family = 4;
            c.embedded.plen = (uint8_t)((c.has_host ? 128 : c.net.plen) - 96);
            memcpy(c.embedded.addr, a->addr + 12, 4);
        }
    }
    *out = c;
    return 0;
}

int calc_split_check(const struct calc *c, unsigned plen, uint64_t *count, struct lana_diag *d)
{
    unsigned bits = cidr_bits(&c->net);
    if (plen < c->net.plen || plen > bits)
        return diag_set(d, LANA_ERANGE, "--split /%u: must lie between /%u and /%u", plen,
                        c->net.plen, bits);
    unsigned log2 = plen - c->net.plen;
    if (log2 > CALC_SPLIT_MAX_LOG2)
        return diag_set(d, LANA_ENOSPACE,
                        "--split /%u: 2^%u subnets, more than the %u (2^%u) printed at most; "
                        "split at /%u or shorter",
                        plen, log2, 1u << CALC_SPLIT_MAX_LOG2, CALC_SPLIT_MAX_LOG2,
                        c->net.plen + CALC_SPLIT_MAX_LOG2);
    *count = (uint64_t)1 << log2;
    return 0;
}

void calc_split_nth(const struct calc *c, unsigned plen, uint64_t i, struct cidr *out)
{
    *out = c->net;
    unsigned shift = cidr_bits(&c->net) - plen;
    /* shift is 128 only for ::/0 split at /0, where i is 0 */
    unsigned __int128 off = shift >= 128 ? 0 : (unsigned __int128)i << shift;
    cidr_addr_set_u128(out, cidr_addr_u128(&c->net) + off);
    out->plen = (uint8_t)plen;
}

int calc_binary(const struct cidr *addr, unsigned plen, char *buf, size_t size)
{
    if (size < CALC_BINLEN)
        return LANA_ENOSPACE;
    unsigned bits = cidr_bits(addr), group = addr->family == 4 ? 8 : 16;
    char sep = addr->family == 4 ? '.' : ':';
    size_t n = 0;
    for (unsigned i = 0; i < bits; i++) {
        if (i > 0 && i % group == 0)
            buf[n++] = sep;
        if (i == plen && plen > 0)
            buf[n++] = '|';
        buf[n++] = (addr->addr[i / 8] >> (7 - i % 8)) & 1 ? '1' : '0';
    }
    buf[n] = '\0';
    return 0;
}

int calc_format_v4_in_v6(const struct cidr *c, char *buf, size_t size)
{
    /* the 96-bit part as RFC 5952 text of the address with its last 32 bits zero */
    struct cidr hi = *c;
    memset(hi.addr + 12, 0, 4);
    char h[CIDR_STRLEN];
    if (cidr_format_addr(&hi, h, sizeof h) != 0)
        return LANA_ENOSPACE;
    size_t hl = strlen(h);
    /* "::ffff:0.0.0.0" (glibc's own mapped form) or "64:ff9b::": keep up to the last ':' */
    while (hl > 0 && h[hl - 1] != ':')
        hl--;
    int n;
    if (c->plen < 128)
        n = snprintf(buf, size, "%.*s%u.%u.%u.%u/%u", (int)hl, h, c->addr[12], c->addr[13],
                     c->addr[14], c->addr[15], c->plen);
    else
        n = snprintf(buf, size, "%.*s%u.%u.%u.%u", (int)hl, h, c->addr[12], c->addr[13],
                     c->addr[14], c->addr[15]);
    if (n < 0 || (size_t)n >= size)
        return LANA_ENOSPACE;
    return 0;
}

int calc_hosts_format(const struct calc *c, char *buf, size_t size)
{
    int n = num_format_u128(c->hosts, buf, size);
    return n < 0 ? n : 0;
}
