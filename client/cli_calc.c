/*
 * cli_calc — "lana calc PREFIX [--split /N] [--json]": what ipcalc shows and more, offline,
 * exact over 128 bits. The arithmetic is client/calc.c; this file reads argv and prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "client/calc.h"
#include "client/cli.h"
#include "client/clienv.h"
#include "common/cidr.h"
#include "common/jsonw.h"
#include "common/num.h"

/* The text of every field, formatted once for both outputs. */
struct calc_text {
    char host[CIDR_STRLEN], net[CIDR_STRLEN], first[CIDR_STRLEN], last[CIDR_STRLEN];
    char mask[CIDR_STRLEN], wild[CIDR_STRLEN], bcast[CIDR_STRLEN];
    char hmin[CIDR_STRLEN], hmax[CIDR_STRLEN], mapped[CIDR_STRLEN], nat64[CIDR_STRLEN];
    char embedded[CIDR_STRLEN];
    char size[48], hosts[48], rev[CIDR_REVLEN], bin[CALC_BINLEN];
};

static void calc_text_fill(const struct calc *c, struct calc_text *t)
{
    memset(t, 0, sizeof *t);
    if (c->has_host)
        cidr_format_addr(&c->host, t->host, sizeof t->host);
    cidr_format(&c->net, t->net, sizeof t->net);
    cidr_format_addr(&c->first, t->first, sizeof t->first);
    cidr_format_addr(&c->last, t->last, sizeof t->last);
    cidr_format_addr(&c->netmask, t->mask, sizeof t->mask);
    cidr_format_addr(&c->wildcard, t->wild, sizeof t->wild);
    if (c->has_broadcast)
        cidr_format_addr(&c->broadcast, t->bcast, sizeof t->bcast);
    cidr_format_addr(&c->host_min, t->hmin, sizeof t->hmin);
    cidr_format_addr(&c->host_max, t->hmax, sizeof t->hmax);
    if (c->has_v4_in_v6) {
        calc_format_v4_in_v6(&c->mapped, t->mapped, sizeof t->mapped);
        calc_format_v4_in_v6(&c->nat64, t->nat64, sizeof t->nat64);
    }
    if (c->has_embedded)
        cidr_format(&c->embedded, t->embedded, sizeof t->embedded);
    cidr_size_format(&c->net, t->size, sizeof t->size);
    calc_hosts_format(c, t->hosts, sizeof t->hosts);
    cidr_reverse_name(&c->net, t->rev, sizeof t->rev);
    calc_binary(c->has_host ? &c->host : &c->net, c->net.plen, t->bin, sizeof t->bin);
}

/* Why there is no broadcast address, or the one there is. */
static const char *calc_broadcast_note(const struct calc *c, const struct calc_text *t)
{
    if (c->has_broadcast)
        return t->bcast;
    if (c->net.family == 6)
        return "none (IPv6 has no broadcast; all nodes on a link: ff02::1)";
    if (c->net.plen == 31)
        return "none (a /31 point-to-point link: both addresses are hosts, RFC 3021)";
    return "none (a single address)";
}

static void calc_print_text(const struct calc *c, const struct calc_text *t, unsigned split,
                            uint64_t nsplit)
{
    bool v4 = c->net.family == 4;
    if (c->has_host)
        printf("address:       %s\n", t->host);
    printf("network:       %s\n", t->net);
    if (v4) {
        printf("netmask:       %s = %u\n", t->mask, c->net.plen);
        printf("wildcard:      %s\n", t->wild);
    }
    printf("broadcast:     %s\n", calc_broadcast_note(c, t));
    printf("first address: %s\n", t->first);
    printf("last address:  %s\n", t->last);
    printf("host min:      %s%s\n", t->hmin,
           !v4 && c->net.plen < 127 ? "  (the first, Subnet-Router anycast, is no host: "
                                      "RFC 4291 §2.6.1)" : "");
    printf("host max:      %s\n", t->hmax);
    printf("usable hosts:  %s\n", t->hosts);
    printf("prefix length: %u of %u bits\n", c->net.plen, cidr_bits(&c->net));
    printf("addresses:     %s (2^%u)\n", t->size, c->addr_log2);
    if (v4)
        printf("class:         %c%s\n", c->klass,
               c->klass == 'D' ? " (multicast)" : c->klass == 'E' ? " (reserved)" : "");
    if (c->nspecial == 0)
        printf("special:       none (not in the IANA special-purpose registries)\n");
    for (size_t i = 0; i < c->nspecial; i++)
        printf("%s%s (%s, %s)\n", i == 0 ? "special:       " : "  within       ",
               c->special[i]->name, c->special[i]->prefix, c->special[i]->rfc);
    printf("binary:        %s\n", t->bin);
    if (c->has_v4_in_v6) {
        printf("ipv4-mapped:   %s\n", t->mapped);
        printf("nat64:         %s\n", t->nat64);
    }
    if (c->has_embedded)
        printf("embedded ipv4: %s\n", t->embedded);
    printf("reverse zone:  %s\n", t->rev);
    if (nsplit == 0)
        return;
    printf("split /%u:     %llu subnets (2^%u)\n", split, (unsigned long long)nsplit,
           split - c->net.plen);
    for (uint64_t i = 0; i < nsplit; i++) {
        struct cidr s;
        char b[CIDR_STRLEN];
        calc_split_nth(c, split, i, &s);
        cidr_format(&s, b, sizeof b);
        printf("  %s\n", b);
    }
}

static int calc_print_json(const struct calc *c, const struct calc_text *t, unsigned split,
                           uint64_t nsplit)
{
    struct jsonw j;
    jsonw_init(&j);
    jsonw_obj(&j);
    if (c->has_host)
        jsonw_kstr(&j, "address", t->host);
    jsonw_kstr(&j, "network", t->net);
    jsonw_kint(&j, "family", c->net.family);
    jsonw_kint(&j, "prefix_length", c->net.plen);
    jsonw_kstr(&j, "first", t->first);
    jsonw_kstr(&j, "last", t->last);
    jsonw_kstr(&j, "netmask", t->mask);
    if (c->net.family == 4)
        jsonw_kstr(&j, "wildcard", t->wild);
    jsonw_kstr(&j, "broadcast", c->has_broadcast ? t->bcast : NULL);
    jsonw_kstr(&j, "host_min", t->hmin);
    jsonw_kstr(&j, "host_max", t->hmax);
    jsonw_kstr(&j, "hosts", t->hosts);
    jsonw_kstr(&j, "addresses", t->size);
    jsonw_kint(&j, "addresses_log2", c->addr_log2);
    if (c->net.family == 4) {
        char k[2] = {c->klass, '\0'};
        jsonw_kstr(&j, "class", k);
    }
    jsonw_key(&j, "special");
    jsonw_arr(&j);
    for (size_t i = 0; i < c->nspecial; i++) {
        jsonw_obj(&j);
        jsonw_kstr(&j, "prefix", c->special[i]->prefix);
        jsonw_kstr(&j, "name", c->special[i]->name);
        jsonw_kstr(&j, "rfc", c->special[i]->rfc);
        jsonw_end(&j);
    }
    jsonw_end(&j);
    jsonw_kstr(&j, "binary", t->bin);
    if (c->has_v4_in_v6) {
        jsonw_kstr(&j, "ipv4_mapped", t->mapped);
        jsonw_kstr(&j, "nat64", t->nat64);
    }
    if (c->has_embedded)
        jsonw_kstr(&j, "embedded_ipv4", t->embedded);
    jsonw_kstr(&j, "reverse_zone", t->rev);
    if (nsplit > 0) {
        jsonw_key(&j, "split");
        jsonw_obj(&j);
        jsonw_kint(&j, "prefix_length", split);
        char cnt[24];
        int n = snprintf(cnt, sizeof cnt, "%llu", (unsigned long long)nsplit);
        jsonw_kstr(&j, "count", n > 0 && (size_t)n < sizeof cnt ? cnt : NULL);
        jsonw_key(&j, "subnets");
        jsonw_arr(&j);
        for (uint64_t i = 0; i < nsplit; i++) {
            struct cidr s;
            char b[CIDR_STRLEN];
            calc_split_nth(c, split, i, &s);
            cidr_format(&s, b, sizeof b);
            jsonw_str(&j, b);
        }
        jsonw_end(&j);
        jsonw_end(&j);
    }
    jsonw_end(&j);
    int rc = EX_OK;
    if (!jsonw_ok(&j)) {
        fprintf(stderr, "lana calc: out of memory\n");
        rc = EX_OSERR;
    } else {
        printf("%s\n", j.s);
    }
    jsonw_free(&j);
    return rc;
}

static int calc_usage(const char *msg)
{
    fprintf(stderr, "lana calc: %s\nTry 'lana calc --help'\n", msg);
    return EX_USAGE;
}

int cli_calc(int argc, char **argv)
{
    const char *arg = NULL, *split_arg = NULL;
    bool json = clienv.json;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--split") == 0) {
            if (i + 1 >= argc)
                return calc_usage("--split needs a prefix length, /N");
            split_arg = argv[++i];
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: lana calc PREFIX|ADDRESS|ADDRESS/LEN [--split /N] [--json]\n"
                   "Prints the network, netmask and wildcard (IPv4), broadcast (IPv4), first\n"
                   "and last address, the usable host range and count (IPv4 /31: RFC 3021;\n"
                   "IPv6: the Subnet-Router anycast address is no host), the exact number of\n"
                   "addresses as a power of two, the IPv4 class, the IANA special-purpose\n"
                   "blocks (RFC 6890), a binary view with '|' at the prefix boundary, the\n"
                   "IPv4-in-IPv6 forms and the reverse-DNS zone. --split /N lists the subnets\n"
                   "of length N (at most 65536).\n");
            return EX_OK;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            fprintf(stderr, "lana calc: unknown option %s\nTry 'lana calc --help'\n", argv[i]);
            return EX_USAGE;
        } else if (arg == NULL) {
            arg = argv[i];
        } else {
            return calc_usage("one prefix at a time");
        }
    }
    if (arg == NULL)
        return calc_usage("missing PREFIX");
    struct calc c;
    struct lana_diag d;
    if (calc_compute(arg, &c, &d) != 0) {
        fprintf(stderr, "lana calc: %s\n", d.msg);
        return EX_DATAERR;
    }
    unsigned split = 0;
    uint64_t nsplit = 0;
    if (split_arg != NULL) {
        uint64_t v;
        const char *s = split_arg[0] == '/' ? split_arg + 1 : split_arg;
        if (num_parse_u64(s, 0, 128, &v, NULL) != 0) {
            fprintf(stderr, "lana calc: --split %s: a prefix length /N is needed\n", split_arg);
            return EX_DATAERR;
        }
        split = (unsigned)v;
        if (calc_split_check(&c, split, &nsplit, &d) != 0) {
            fprintf(stderr, "lana calc: %s\n", d.msg);
            return EX_DATAERR;
        }
    }
    struct calc_text t;
    calc_text_fill(&c, &t);
    if (json)
        return calc_print_json(&c, &t, split, nsplit);
    calc_print_text(&c, &t, split, nsplit);
    return EX_OK;
}
