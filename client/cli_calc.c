/*
 * cli_calc — "lana calc PREFIX [--json]": what ipcalc shows, offline, exact over 128 bits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "client/cli.h"
#include "client/clienv.h"
#include "common/cidr.h"
#include "common/num.h"

/* ADDRESS/LEN: the address into *host and LEN (0..its family's bits) into *plen. */
static bool host_in_net(const char *arg, struct cidr *host, uint64_t *plen)
{
    char a[CIDR_STRLEN];
    const char *slash = strchr(arg, '/');
    size_t n = slash ? (size_t)(slash - arg) : 0;
    if (slash == NULL || n >= sizeof a)
        return false;
    memcpy(a, arg, n);
    a[n] = '\0';
    return cidr_parse_addr(a, host, NULL) == 0 &&
           num_parse_u64(slash + 1, 0, cidr_bits(host), plen, NULL) == 0;
}

int cli_calc(int argc, char **argv)
{
    const char *arg = NULL;
    bool json = clienv.json;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: lana calc PREFIX|ADDRESS|ADDRESS/LEN [--json]\n"
                   "Prints the network, first and last address, netmask (IPv4), prefix\n"
                   "length, exact number of addresses and the reverse-DNS zone.\n");
            return EX_OK;
        } else if (arg == NULL) {
            arg = argv[i];
        } else {
            fprintf(stderr, "lana calc: one prefix at a time\nTry 'lana calc --help'\n");
            return EX_USAGE;
        }
    }
    if (arg == NULL) {
        fprintf(stderr, "lana calc: missing PREFIX\nTry 'lana calc --help'\n");
        return EX_USAGE;
    }
    struct cidr c, first, last, mask, host;
    struct lana_diag d;
    bool has_host = false;
    if (cidr_parse(arg, &c, &d) != 0) {
        /* like ipcalc, an address inside the network is fine: ADDRESS/LEN */
        uint64_t plen;
        if (!host_in_net(arg, &host, &plen)) {
            fprintf(stderr, "lana calc: %s\n", d.msg);
            return EX_DATAERR;
        }
        host.plen = (uint8_t)plen;
        cidr_first(&host, &c);
        c.plen = (uint8_t)plen;
        has_host = true;
    }
    char net[CIDR_STRLEN], f[CIDR_STRLEN], l[CIDR_STRLEN], m[CIDR_STRLEN], size[48],
        rev[CIDR_REVLEN];
    cidr_first(&c, &first);
    cidr_last(&c, &last);
    cidr_netmask(&c, &mask);
    cidr_format(&c, net, sizeof net);
    cidr_format_addr(&first, f, sizeof f);
    cidr_format_addr(&last, l, sizeof l);
    cidr_format_addr(&mask, m, sizeof m);
    cidr_size_format(&c, size, sizeof size);
    cidr_reverse_name(&c, rev, sizeof rev);
    char h[CIDR_STRLEN] = "";
    if (has_host)
        cidr_format_addr(&host, h, sizeof h);
    if (json) {
        if (has_host)
            printf("{\"address\":\"%s\",", h);
        printf("%s\"network\":\"%s\",\"family\":%u,\"prefix_length\":%u,\"first\":\"%s\","
               "\"last\":\"%s\",\"netmask\":\"%s\",\"addresses\":\"%s\",\"reverse_zone\":\"%s\"}\n",
               has_host ? "" : "{", net, c.family, c.plen, f, l, m, size, rev);
    } else {
        if (has_host)
            printf("address:       %s\n", h);
        printf("network:       %s\n", net);
        printf("first address: %s\n", f);
        printf("last address:  %s\n", l);
        if (c.family == 4)
            printf("netmask:       %s\n", m);
        printf("prefix length: %u of %u bits\n", c.plen, cidr_bits(&c));
        printf("addresses:     %s\n", size);
        printf("reverse zone:  %s\n", rev);
    }
    return EX_OK;
}
