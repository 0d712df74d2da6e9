/*
 * cli_resolve — "lana resolve": a name's addresses (ares_getaddrinfo) or one query's answer
 * records (ares_query), through c-ares (client/resolve.c), with the server asked, the
 * transport and the time taken. Asks first, into a report; then one of two renderers prints
 * it, as text or as one JSON object.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli.h"
#include "client/cli_net.h"
#include "client/clienv.h"
#include "common/cidr.h"
#include "common/dnsmsg.h"
#include "common/jsonw.h"
#include "common/net.h"

static const char help_resolve[] =
    "usage: lana resolve NAME [-t A|AAAA|SRV|PTR|TXT|MX|NS|CNAME|SOA|ANY] [--dns ADDR[:PORT]]...\n"
    "                    [--tcp] [--json]\n"
    "       lana resolve -x ADDRESS [--dns ...] [--tcp] [--json]\n"
    "Asks through c-ares. Without -t: A and AAAA (ares_getaddrinfo); with -t: one query\n"
    "(ares_query). Without --dns: the system's resolvers (resolv.conf, and /etc/hosts for\n"
    "addresses). Prints each answer with its TTL, the server asked, UDP or TCP, the time,\n"
    "or that the addresses came from /etc/hosts or were a literal address (no DNS query).\n"
    "Exit: 0, 64 usage, 67 no such record, 68 no such name, 69 server refused or failed,\n"
    "75 no answer in time.\n";

/* What one resolve found: the addresses of a name, or the answer to one query. */
struct resolve_report {
    char name[256];      /* the name asked */
    char type[16];       /* -t in upper case; "" when asking for addresses */
    const char *servers; /* --dns, or NULL for the system's resolvers */
    bool tcp;
    enum resolve_status status;
    struct lana_diag d;            /* why, when status is not RESOLVE_OK */
    struct resolve_result addrs;   /* without -t */
    struct resolve_answer *answer; /* with -t (allocated: about 84 KiB) */
};

/* The name to ask from NAME or -x ADDRESS (whose type is then PTR). */
static int report_name(const struct cli_net_opts *o, struct resolve_report *r, const char **type)
{
    if (o->rev != NULL) {
        struct cidr a;
        struct lana_diag d;
        if (o->npos != 0 || cidr_parse_addr(o->rev, &a, &d) != 0) {
            fprintf(stderr, "lana: -x %s: %s\n", o->rev,
                    o->npos ? "one name or -x, not both" : d.msg);
            return LANA_EXIT_USAGE;
        }
        cidr_reverse_name(&a, r->name, sizeof r->name);
        *type = "PTR";
        return 0;
    }
    if (o->npos != 1) {
        fputs(help_resolve, stderr);
        return LANA_EXIT_USAGE;
    }
    int n = snprintf(r->name, sizeof r->name, "%s", o->pos[0]);
    if (n < 0 || (size_t)n >= sizeof r->name) {
        fprintf(stderr, "lana: %.40s...: a name has at most 255 characters\n", o->pos[0]);
        return LANA_EXIT_USAGE;
    }
    return 0;
}

/* -t TYPE in upper case and as a number (0 when unknown). */
static uint16_t report_type(const char *type, struct resolve_report *r)
{
    int n = snprintf(r->type, sizeof r->type, "%s", type);
    if (n < 0 || (size_t)n >= sizeof r->type)
        return 0;
    for (char *p = r->type; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    return dnsmsg_type_parse(r->type);
}

/* ---- the two renderers -------------------------------------------------------------------- */

static const char *family_type(const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET ? "A" : "AAAA";
}

/* An address without its port. */
static const char *addr_text(const struct sockaddr_storage *ss, char *buf, size_t size)
{
    const void *ip = ss->ss_family == AF_INET
                         ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
                         : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
    if (inet_ntop(ss->ss_family, ip, buf, (socklen_t)size) == NULL)
        buf[0] = '\0';
    return buf;
}

static void render_text(const struct resolve_report *r)
{
    const char *from = r->servers ? r->servers : "the system's resolvers";
    const char *over = r->tcp ? "TCP" : "UDP";
    bool ok = r->status == RESOLVE_OK;
    char a[NET_ADDRSTRLEN], tb[16];
    if (r->answer == NULL) {
        const struct resolve_result *x = &r->addrs;
        for (int i = 0; ok && i < x->n; i++)
            printf("%-30s %6u  %-5s %s\n", r->name, x->ttl[i], family_type(&x->addr[i]),
                   addr_text(&x->addr[i], a, sizeof a));
        if (ok && x->source == RESOLVE_SRC_DNS)
            printf(";; %d address%s from %s%s%s%s over %s in %.1f ms%s%s\n", x->n,
                   x->n == 1 ? "" : "es", from, x->asked[0] && !r->servers ? " (" : "",
                   r->servers ? "" : x->asked, x->asked[0] && !r->servers ? ")" : "", over, x->ms,
                   x->canonical[0] ? "; canonical name " : "", x->canonical);
        else if (ok)
            printf(";; %d address%s %s, no DNS query\n", x->n, x->n == 1 ? "" : "es",
                   cli_net_source_text(x->source));
        return;
    }
    const struct resolve_answer *an = r->answer;
    for (int i = 0; i < an->n; i++)
        printf("%-30s %6u  %-5s %s\n", an->rr[i].owner, an->rr[i].ttl,
               dnsmsg_type_name(an->rr[i].type, tb, sizeof tb), an->rr[i].data);
    if (ok)
        printf(";; %d record%s from %s over %s in %.1f ms\n", an->n, an->n == 1 ? "" : "s", from,
               over, an->ms);
}

static void render_json(const struct resolve_report *r, struct jsonw *j)
{
    bool ok = r->status == RESOLVE_OK;
    const struct resolve_answer *an = r->answer;
    char a[NET_ADDRSTRLEN], tb[16];
    jsonw_obj(j);
    jsonw_kstr(j, "name", r->name);
    if (an != NULL)
        jsonw_kstr(j, "type", r->type);
    jsonw_kstr(j, "server", an ? an->server : r->servers ? r->servers : "system");
    if (an == NULL && ok)
        jsonw_kstr(j, "source", cli_net_source_name(r->addrs.source));
    jsonw_kstr(j, "transport", r->tcp ? "tcp" : "udp");
    cli_net_json_ms(j, "ms", an ? an->ms : r->addrs.ms);
    jsonw_kstr(j, "status", ok ? "ok" : r->d.msg);
    jsonw_key(j, "answers");
    jsonw_arr(j);
    for (int i = 0; an == NULL && ok && i < r->addrs.n; i++) {
        jsonw_obj(j);
        jsonw_kstr(j, "type", family_type(&r->addrs.addr[i]));
        jsonw_kint(j, "ttl", r->addrs.ttl[i]);
        jsonw_kstr(j, "data", addr_text(&r->addrs.addr[i], a, sizeof a));
        jsonw_end(j);
    }
    for (int i = 0; an != NULL && i < an->n; i++) {
        jsonw_obj(j);
        jsonw_kstr(j, "name", an->rr[i].owner);
        jsonw_kstr(j, "type", dnsmsg_type_name(an->rr[i].type, tb, sizeof tb));
        jsonw_kint(j, "ttl", an->rr[i].ttl);
        jsonw_kstr(j, "data", an->rr[i].data);
        jsonw_end(j);
    }
    jsonw_end(j);
    jsonw_end(j);
}

/* ---- the command -------------------------------------------------------------------------- */

/* Asks: addresses without type, else one query of that type. */
static int report_gather(const struct cli_net_opts *o, const char *type, struct resolve_report *r)
{
    struct resolve_opts ro = cli_net_resolve_opts(o);
    r->servers = ro.servers;
    r->tcp = o->tcp;
    if (type == NULL) { /* addresses: ares_getaddrinfo, A and AAAA together */
        r->status = resolve_host(r->name, 0, &ro, &r->addrs, &r->d);
        cli_net_dns_hint(&ro, r->status, r->addrs.asked, &r->d);
        return 0;
    }
    uint16_t t = report_type(type, r);
    if (t == 0) {
        fprintf(stderr, "lana: -t %s: unknown record type\n", type);
        return LANA_EXIT_USAGE;
    }
    if ((r->answer = malloc(sizeof *r->answer)) == NULL) {
        fprintf(stderr, "lana: out of memory\n");
        return LANA_EXIT_SERVER;
    }
    r->status = resolve_query(r->name, t, &ro, r->answer, &r->d);
    cli_net_dns_hint(&ro, r->status, r->answer->asked, &r->d);
    return 0;
}

int cli_resolve(int argc, char **argv)
{
    struct cli_net_opts o;
    int rc = cli_net_parse(argc, argv, CLI_NET_TYPE | CLI_NET_REV, help_resolve, &o);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    struct resolve_report *r = calloc(1, sizeof *r);
    if (r == NULL) {
        fprintf(stderr, "lana: out of memory\n");
        return LANA_EXIT_SERVER;
    }
    const char *type = o.type;
    if ((rc = report_name(&o, r, &type)) == 0 && (rc = report_gather(&o, type, r)) == 0) {
        if (clienv.json) {
            struct jsonw j;
            jsonw_init(&j);
            render_json(r, &j);
            if (jsonw_ok(&j))
                puts(j.s);
            jsonw_free(&j);
        } else {
            render_text(r);
        }
        fflush(stdout); /* the report, then why it failed: the order a terminal shows */
        if (r->status != RESOLVE_OK)
            fprintf(stderr, "lana: %s\n", r->d.msg);
        rc = cli_net_exit_of(r->status);
    }
    free(r->answer);
    free(r);
    return rc;
}
