/*
 * cli_net — see cli_net.h.
 */
#include "client/cli_net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "client/clienv.h"
#include "common/jsonw.h"
#include "common/net.h"

int cli_net_exit_of(enum resolve_status s)
{
    switch (s) {
    case RESOLVE_OK: return 0;
    case RESOLVE_NXDOMAIN: return NET_EXIT_NXDOMAIN;
    case RESOLVE_NODATA: return NET_EXIT_NODATA;
    case RESOLVE_TIMEOUT: return NET_EXIT_DNSTIME;
    case RESOLVE_REFUSED: return NET_EXIT_DNSFAIL;
    default: return LANA_EXIT_USAGE;
    }
}

const char *cli_net_source_name(enum resolve_source s)
{
    switch (s) {
    case RESOLVE_SRC_LITERAL: return "literal";
    case RESOLVE_SRC_HOSTS: return "hosts";
    case RESOLVE_SRC_LOCALHOST: return "localhost";
    default: return "dns";
    }
}

const char *cli_net_source_text(enum resolve_source s)
{
    switch (s) {
    case RESOLVE_SRC_LITERAL: return "literal address";
    case RESOLVE_SRC_HOSTS: return "from /etc/hosts";
    case RESOLVE_SRC_LOCALHOST: return "localhost, c-ares' own loopback addresses (RFC 6761)";
    default: return "from DNS";
    }
}

void cli_net_dns_hint(const struct resolve_opts *ro, enum resolve_status s, const char *asked,
                      struct lana_diag *d)
{
    if (ro->servers != NULL || (s != RESOLVE_NXDOMAIN && s != RESOLVE_NODATA &&
                                s != RESOLVE_TIMEOUT && s != RESOLVE_REFUSED))
        return;
    size_t l = strlen(d->msg);
    int n = snprintf(d->msg + l, sizeof d->msg - l,
                     ", the system resolver%s; a lab name? try "
                     "--dns %s",
                     strchr(asked, ',') ? "s" : "", CLI_NET_LAB_DNS);
    if (n < 0 || (size_t)n >= sizeof d->msg - l)
        d->msg[l] = '\0'; /* the message without the hint still says what failed */
}

/* Appends --dns V (ADDR, ADDR:PORT, [V6]:PORT, or a bare IPv6 address) to o->servers. */
static int add_server(struct cli_net_opts *o, const char *v)
{
    size_t sl = strlen(o->servers);
    struct in6_addr a6;
    bool bare6 = inet_pton(AF_INET6, v, &a6) == 1; /* gets the DNS port, in brackets */
    int n = snprintf(o->servers + sl, sizeof o->servers - sl, bare6 ? "%s[%s]:53" : "%s%s",
                     sl ? "," : "", v);
    if (n < 0 || (size_t)n >= sizeof o->servers - sl) {
        o->servers[sl] = '\0';
        fprintf(stderr, "lana: too many --dns servers\n");
        return LANA_EXIT_USAGE;
    }
    return 0;
}

int cli_net_parse(int argc, char **argv, unsigned accept, const char *help, struct cli_net_opts *o)
{
    memset(o, 0, sizeof *o);
    /* --timeout is a common option: clienv_init took it out of argv (1..600000 ms) */
    o->timeout_ms = (int)clienv.timeout;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool more = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(help, stdout);
            return -1;
        } else if (strcmp(a, "--tcp") == 0) {
            o->tcp = true;
        } else if (strcmp(a, "--hello") == 0) {
            o->hello = true;
        } else if (strcmp(a, "--trace") == 0) {
            o->trace = true;
        } else if ((accept & CLI_NET_ANY) && strcmp(a, "--any-address") == 0) {
            o->any_address = true;
        } else if (strcmp(a, "-4") == 0 || strcmp(a, "-6") == 0) {
            o->family = a[1] == '4' ? AF_INET : AF_INET6;
        } else if (strcmp(a, "--dns") == 0 && more) {
            if (add_server(o, argv[++i]) != 0)
                return LANA_EXIT_USAGE;
        } else if ((accept & CLI_NET_TYPE) && strcmp(a, "-t") == 0 && more) {
            o->type = argv[++i];
        } else if ((accept & CLI_NET_REV) && strcmp(a, "-x") == 0 && more) {
            o->rev = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "lana: %s: unknown option\n%s", a, help);
            return LANA_EXIT_USAGE;
        } else if (o->npos < 4) {
            o->pos[o->npos++] = a;
        } else {
            fprintf(stderr, "%s", help);
            return LANA_EXIT_USAGE;
        }
    }
    return 0;
}

struct resolve_opts cli_net_resolve_opts(const struct cli_net_opts *o)
{
    return (struct resolve_opts){.servers = o->servers[0] ? o->servers : NULL,
                                 .tcp = o->tcp,
                                 .family = o->family,
                                 .timeout_ms = 1000,
                                 .tries = 2};
}

const char *cli_net_endpoint(const struct sockaddr_storage *ss, char *buf, size_t size)
{
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
    if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
        struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = s6->sin6_port};
        memcpy(&s4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
        return net_addr_format((const struct sockaddr *)&s4, buf, size);
    }
    return net_addr_format((const struct sockaddr *)ss, buf, size);
}

void cli_net_json_ms(struct jsonw *j, const char *key, double ms)
{
    char t[64];
    int n = snprintf(t, sizeof t, "%.3f", ms);
    jsonw_key(j, key);
    if (n > 0 && (size_t)n < sizeof t)
        jsonw_json(j, t);
    else
        jsonw_null(j); /* not a time a clock gives */
}
