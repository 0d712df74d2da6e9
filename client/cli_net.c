/*
 * cli_net — lana's lab tools: resolve (names through c-ares), connect (resolve, then Happy
 * Eyeballs, then what the kernel knows of the connection), serve (a listener that shows both
 * endpoints of every connection and echoes).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client/cli.h"
#include "client/clienv.h"
#include "client/happy.h"
#include "client/resolve.h"
#include "client/trace.h"
#include "common/auth.h"
#include "common/cidr.h"
#include "common/dnsmsg.h"
#include "common/jsonw.h"
#include "common/net.h"
#include "common/regproto.h"

/* exit statuses of resolve and connect, one per kind of failure */
enum {
    NET_EXIT_NODATA = 67,    /* the name exists without that kind of record */
    NET_EXIT_NXDOMAIN = 68,  /* the name does not exist */
    NET_EXIT_DNSFAIL = 69,   /* the DNS server refused or failed */
    NET_EXIT_REFUSED = 71,   /* the connection was refused (RST) */
    NET_EXIT_UNREACH = 72,   /* network or host unreachable */
    NET_EXIT_DNSTIME = 75,   /* no DNS answer in time */
    NET_EXIT_CONNTIME = 79,  /* the connection did not complete in time */
};

static int exit_of(enum resolve_status s)
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

static const char help_resolve[] =
    "usage: lana resolve NAME [-t A|AAAA|SRV|PTR|TXT|MX|NS|CNAME|SOA|ANY] [--dns ADDR[:PORT]]...\n"
    "                    [--tcp] [--json]\n"
    "       lana resolve -x ADDRESS [--dns ...] [--tcp] [--json]\n"
    "Asks through c-ares. Without -t: A and AAAA (ares_getaddrinfo); with -t: one query\n"
    "(ares_query). Without --dns: the system's resolvers (resolv.conf, and /etc/hosts for\n"
    "addresses). Prints each answer with its TTL, the server asked, UDP or TCP, the time.\n"
    "Exit: 0, 64 usage, 67 no such record, 68 no such name, 69 server refused or failed,\n"
    "75 no answer in time.\n";

static const char help_connect[] =
    "usage: lana connect TARGET [PORT|SERVICE] [--dns ADDR[:PORT]]... [--tcp] [-4|-6]\n"
    "                    [--timeout MS] [--hello] [--trace] [--json]\n"
    "Resolves TARGET through c-ares (a SERVICE through its SRV record _SERVICE._tcp.TARGET),\n"
    "then connects Happy-Eyeballs style (RFC 8305: IPv6 first, the next address 250 ms later,\n"
    "the first to complete wins). Prints every attempt, the winning connection's local and\n"
    "remote endpoints, the handshake time and the kernel's TCP_INFO. --hello runs lanad's\n"
    "registry handshake (HELLO/WELCOME/ACK) and prints X, X+1, Y, Y+1. --trace (root or\n"
    "CAP_NET_RAW) connects to the first address only and shows the captured SYN, SYN/ACK and\n"
    "ACK with their sequence and acknowledgement numbers.\n"
    "Exit: 0, 64 usage, 67/68/69/75 as lana resolve, 71 connection refused,\n"
    "72 unreachable, 77 --trace not allowed, 79 connect timeout.\n";

static const char help_serve[] =
    "usage: lana serve PORT [--bind ADDR] [--count N]\n"
    "Listens on PORT (all addresses, IPv6 and IPv4, or ADDR) and prints, for each accepted\n"
    "connection, the listening socket's endpoint and the new socket's two endpoints side by\n"
    "side; echoes what it receives. Stops after N connections (default: never; Ctrl-C).\n";

struct netopts {
    char servers[512];
    bool tcp, hello, trace;
    int family;
    int timeout_ms;
};

/* Options common to resolve and connect; the rest is left in pos[]. */
static int parse_net(int argc, char **argv, struct netopts *o, const char **pos, int *npos,
                     const char **type, const char **rev, const char *help)
{
    memset(o, 0, sizeof *o);
    o->timeout_ms = (int)clienv.timeout; /* --timeout is one of the common options */
    *npos = 0;
    size_t sl = 0;
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
        } else if (strcmp(a, "-4") == 0 || strcmp(a, "-6") == 0) {
            o->family = a[1] == '4' ? AF_INET : AF_INET6;
        } else if (strcmp(a, "--dns") == 0 && more) {
            const char *v = argv[++i];
            /* ADDR, ADDR:PORT, [V6]:PORT, or a bare IPv6 address */
            char one[80];
            struct in6_addr a6;
            if (inet_pton(AF_INET6, v, &a6) == 1) /* a bare IPv6 address */
                snprintf(one, sizeof one, "[%s]:53", v);
            else
                snprintf(one, sizeof one, "%s", v);
            int n = snprintf(o->servers + sl, sizeof o->servers - sl, "%s%s", sl ? "," : "", one);
            if (n < 0 || (size_t)n >= sizeof o->servers - sl) {
                fprintf(stderr, "lana: too many --dns servers\n");
                return LANA_EXIT_USAGE;
            }
            sl += (size_t)n;
        } else if (strcmp(a, "--timeout") == 0 && more) {
            o->timeout_ms = atoi(argv[++i]);
            if (o->timeout_ms <= 0) {
                fprintf(stderr, "lana: --timeout: milliseconds, more than 0\n");
                return LANA_EXIT_USAGE;
            }
        } else if (type != NULL && strcmp(a, "-t") == 0 && more) {
            *type = argv[++i];
        } else if (rev != NULL && strcmp(a, "-x") == 0 && more) {
            *rev = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "lana: %s: unknown option\n%s", a, help);
            return LANA_EXIT_USAGE;
        } else if (*npos < 4) {
            pos[(*npos)++] = a;
        } else {
            fprintf(stderr, "%s", help);
            return LANA_EXIT_USAGE;
        }
    }
    return 0;
}

static struct resolve_opts ropts(const struct netopts *o)
{
    return (struct resolve_opts){.servers = o->servers[0] ? o->servers : NULL,
                                 .tcp = o->tcp,
                                 .family = o->family,
                                 .timeout_ms = 1000,
                                 .tries = 2};
}

static const char *type_text(uint16_t t, char buf[16])
{
    return dnsmsg_type_name(t, buf, 16);
}

/* ---- resolve ------------------------------------------------------------------------------ */

int cli_resolve(int argc, char **argv)
{
    struct netopts o;
    const char *pos[4], *type = NULL, *rev = NULL;
    int npos;
    int rc = parse_net(argc, argv, &o, pos, &npos, &type, &rev, help_resolve);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    char name[CIDR_REVLEN];
    if (rev != NULL) {
        struct cidr a;
        struct lana_diag d;
        if (npos != 0 || cidr_parse_addr(rev, &a, &d) != 0) {
            fprintf(stderr, "lana: -x %s: %s\n", rev, npos ? "one name or -x, not both" : d.msg);
            return LANA_EXIT_USAGE;
        }
        cidr_reverse_name(&a, name, sizeof name);
        type = "PTR";
    } else if (npos == 1) {
        snprintf(name, sizeof name, "%s", pos[0]);
    } else {
        fputs(help_resolve, stderr);
        return LANA_EXIT_USAGE;
    }
    struct resolve_opts ro = ropts(&o);
    struct lana_diag d;
    struct jsonw j;
    jsonw_init(&j);
    const char *transport = o.tcp ? "tcp" : "udp";
    if (type == NULL) { /* addresses: ares_getaddrinfo, A and AAAA together */
        static struct resolve_result r;
        enum resolve_status s = resolve_host(name, 0, &ro, &r, &d);
        if (clienv.json) {
            jsonw_obj(&j);
            jsonw_kstr(&j, "name", name);
            jsonw_kstr(&j, "server", ro.servers ? ro.servers : "system");
            jsonw_kstr(&j, "transport", transport);
            jsonw_key(&j, "ms");
            char ms[32];
            snprintf(ms, sizeof ms, "%.3f", r.ms);
            jsonw_json(&j, ms);
            jsonw_kstr(&j, "status", s == RESOLVE_OK ? "ok" : d.msg);
            jsonw_key(&j, "answers");
            jsonw_arr(&j);
        }
        for (int i = 0; s == RESOLVE_OK && i < r.n; i++) {
            char a[NET_ADDRSTRLEN];
            const struct sockaddr *sa = (const struct sockaddr *)&r.addr[i];
            const void *ip = sa->sa_family == AF_INET
                                 ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
                                 : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
            inet_ntop(sa->sa_family, ip, a, sizeof a);
            if (clienv.json) {
                jsonw_obj(&j);
                jsonw_kstr(&j, "type", sa->sa_family == AF_INET ? "A" : "AAAA");
                jsonw_kint(&j, "ttl", r.ttl[i]);
                jsonw_kstr(&j, "data", a);
                jsonw_end(&j);
            } else {
                printf("%-30s %6u  %-5s %s\n", name, r.ttl[i],
                       sa->sa_family == AF_INET ? "A" : "AAAA", a);
            }
        }
        if (clienv.json) {
            jsonw_end(&j);
            jsonw_end(&j);
            puts(j.s);
        } else if (s == RESOLVE_OK) {
            printf(";; %d address%s from %s over %s in %.1f ms%s%s\n", r.n, r.n == 1 ? "" : "es",
                   ro.servers ? ro.servers : "the system's resolvers", o.tcp ? "TCP" : "UDP",
                   r.ms, r.canonical[0] ? "; canonical name " : "", r.canonical);
        }
        if (s != RESOLVE_OK)
            fprintf(stderr, "lana: %s\n", d.msg);
        jsonw_free(&j);
        return exit_of(s);
    }
    char up[16];
    snprintf(up, sizeof up, "%s", type);
    for (char *p = up; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    uint16_t t = dnsmsg_type_parse(up);
    if (t == 0) {
        fprintf(stderr, "lana: -t %s: unknown record type\n", type);
        return LANA_EXIT_USAGE;
    }
    static struct resolve_answer an;
    enum resolve_status s = resolve_query(name, t, &ro, &an, &d);
    if (clienv.json) {
        jsonw_obj(&j);
        jsonw_kstr(&j, "name", name);
        jsonw_kstr(&j, "type", up);
        jsonw_kstr(&j, "server", an.server);
        jsonw_kstr(&j, "transport", transport);
        char ms[32];
        snprintf(ms, sizeof ms, "%.3f", an.ms);
        jsonw_key(&j, "ms");
        jsonw_json(&j, ms);
        jsonw_kstr(&j, "status", s == RESOLVE_OK ? "ok" : d.msg);
        jsonw_key(&j, "answers");
        jsonw_arr(&j);
        for (int i = 0; i < an.n; i++) {
            char tb[16];
            jsonw_obj(&j);
            jsonw_kstr(&j, "name", an.rr[i].owner);
            jsonw_kstr(&j, "type", type_text(an.rr[i].type, tb));
            jsonw_kint(&j, "ttl", an.rr[i].ttl);
            jsonw_kstr(&j, "data", an.rr[i].data);
            jsonw_end(&j);
        }
        jsonw_end(&j);
        jsonw_end(&j);
        puts(j.s);
    } else {
        for (int i = 0; i < an.n; i++) {
            char tb[16];
            printf("%-30s %6u  %-5s %s\n", an.rr[i].owner, an.rr[i].ttl,
                   type_text(an.rr[i].type, tb), an.rr[i].data);
        }
        if (s == RESOLVE_OK)
            printf(";; %d record%s from %s over %s in %.1f ms\n", an.n, an.n == 1 ? "" : "s",
                   o.servers[0] ? o.servers : "the system's resolvers", o.tcp ? "TCP" : "UDP",
                   an.ms);
    }
    if (s != RESOLVE_OK)
        fprintf(stderr, "lana: %s\n", d.msg);
    jsonw_free(&j);
    return exit_of(s);
}

/* ---- connect ------------------------------------------------------------------------------ */

/* ADDR:PORT; an IPv4 peer of a dual-stack socket ([::ffff:a.b.c.d]) shown as IPv4 */
static const char *endpoint(const struct sockaddr_storage *ss, char *buf, size_t size)
{
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
    if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
        struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = s6->sin6_port};
        memcpy(&s4.sin_addr, &s6->sin6_addr.s6_addr[12], 4);
        return net_addr_format((const struct sockaddr *)&s4, buf, size);
    }
    return net_addr_format((const struct sockaddr *)ss, buf, size);
}

static const char *tcp_state(unsigned s)
{
    static const char *const names[] = {"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV",
                                        "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
                                        "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING"};
    return s < sizeof names / sizeof names[0] ? names[s] : "?";
}

static int hello(int fd, struct jsonw *j)
{
    uint32_t x = 0;
    FILE *fp = fdopen(dup(fd), "r+");
    if (fp == NULL)
        return LANA_EXIT_PROTOCOL;
    x = auth_random_u32();
    fprintf(fp, "HELLO %s seq=%u\n", REGPROTO_VERSION, x);
    fflush(fp);
    char line[REGPROTO_LINE_MAX];
    uint32_t ack = 0, y = 0;
    char *argv[8];
    int argc = 0;
    if (fgets(line, sizeof line, fp) != NULL)
        argc = regproto_split(line, argv, 8, NULL);
    if (argc != 4 || strcmp(argv[0], "WELCOME") != 0 || !regproto_kv_u32(argv[2], "ack", &ack) ||
        !regproto_kv_u32(argv[3], "seq", &y)) {
        fclose(fp);
        fprintf(stderr, "lana: the server does not speak %s\n", REGPROTO_VERSION);
        return LANA_EXIT_PROTOCOL;
    }
    fprintf(fp, "ACK ack=%u\n", y + 1);
    fflush(fp);
    bool ready = fgets(line, sizeof line, fp) != NULL && strncmp(line, "READY", 5) == 0;
    fprintf(fp, "quit\n");
    fclose(fp);
    if (clienv.json) {
        jsonw_key(j, "hello");
        jsonw_obj(j);
        jsonw_kint(j, "x", x);
        jsonw_kint(j, "x_plus_1", ack);
        jsonw_kint(j, "y", y);
        jsonw_kint(j, "y_plus_1", (uint32_t)(y + 1));
        jsonw_kbool(j, "ready", ready);
        jsonw_end(j);
    } else {
        printf("registry handshake:\n");
        printf("  > HELLO seq=X          X   = %u\n", x);
        printf("  < WELCOME ack=X+1      X+1 = %u%s\n", ack, ack == x + 1 ? "" : "  (wrong!)");
        printf("  <         seq=Y        Y   = %u\n", y);
        printf("  > ACK ack=Y+1          Y+1 = %u\n", (uint32_t)(y + 1));
        printf("  < %s\n", ready ? "READY" : "(no READY)");
    }
    return ack == x + 1 && ready ? 0 : LANA_EXIT_PROTOCOL;
}

/* A single connect() from a port bound first, with the capture started in between. */
static int traced_connect(const struct sockaddr_storage *to, socklen_t tolen, int timeout_ms,
                          struct happy_result *h, struct trace **tr, struct lana_diag *d)
{
    memset(h, 0, sizeof *h);
    h->fd = h->winner = -1;
    h->natt = 1;
    h->att[0].addr = *to;
    h->att[0].len = tolen;
    int fd = socket(to->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_storage me;
    memset(&me, 0, sizeof me);
    me.ss_family = to->ss_family;
    socklen_t ml = to->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    if (fd < 0 || bind(fd, (struct sockaddr *)&me, ml) != 0 ||
        getsockname(fd, (struct sockaddr *)&me, &ml) != 0) {
        h->att[0].err = errno;
        if (fd >= 0)
            close(fd);
        return diag_set(d, LANA_EIO, "socket: %s", strerror(errno));
    }
    int rc = trace_start(net_addr_port((struct sockaddr *)&me), net_addr_port((const struct sockaddr *)to), tr, d);
    if (rc != 0) {
        close(fd);
        return rc;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    int err = 0;
    if (connect(fd, (const struct sockaddr *)to, tolen) != 0) {
        if (errno != EINPROGRESS) {
            err = errno;
        } else {
            struct pollfd p = {fd, POLLOUT, 0};
            if (poll(&p, 1, timeout_ms) <= 0) {
                err = ETIMEDOUT;
            } else {
                socklen_t el = sizeof err;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
            }
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1000.0 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    h->att[0].end_ms = ms;
    if (err != 0) {
        h->att[0].err = err;
        close(fd);
        char a[NET_ADDRSTRLEN];
        net_addr_format((const struct sockaddr *)to, a, sizeof a);
        return diag_set(d, LANA_EIO, "cannot connect to %s: %s", a, strerror(err));
    }
    fcntl(fd, F_SETFL, fl);
    h->fd = fd;
    h->winner = 0;
    h->att[0].won = true;
    h->handshake_ms = ms;
    return 0;
}

static void show_trace(struct trace *tr, struct jsonw *j)
{
    struct trace_segment seg[8];
    int n = trace_collect(tr, 500, seg, 8);
    uint32_t x = 0, y = 0;
    if (clienv.json) {
        jsonw_key(j, "trace");
        jsonw_arr(j);
    } else {
        printf("captured (libpcap):\n");
    }
    for (int i = 0; i < n; i++) {
        const struct trace_segment *s = &seg[i];
        char note[64] = "";
        if (strcmp(s->flags, "SYN") == 0 && s->from_client) {
            x = s->seq;
            snprintf(note, sizeof note, "seq = X");
        } else if (strcmp(s->flags, "SYN,ACK") == 0 && !s->from_client) {
            y = s->seq;
            snprintf(note, sizeof note, "seq = Y, ack = X+1%s", s->ack == x + 1 ? "" : " (no!)");
        } else if (strcmp(s->flags, "ACK") == 0 && s->from_client && y != 0) {
            snprintf(note, sizeof note, "seq = X+1, ack = Y+1%s",
                     s->seq == x + 1 && s->ack == y + 1 ? "" : " (no!)");
        }
        if (clienv.json) {
            jsonw_obj(j);
            jsonw_kstr(j, "from", s->from_client ? "client" : "server");
            jsonw_kstr(j, "flags", s->flags);
            jsonw_kint(j, "seq", s->seq);
            jsonw_kint(j, "ack", s->ack);
            jsonw_end(j);
        } else {
            printf("  %7.3f ms  %s  %-8s seq=%-10u ack=%-10u %s\n", s->ms,
                   s->from_client ? "client -> server" : "server -> client", s->flags, s->seq,
                   s->ack, note);
        }
    }
    if (clienv.json)
        jsonw_end(j);
    else if (n == 0)
        printf("  (nothing captured)\n");
}

int cli_connect(int argc, char **argv)
{
    struct netopts o;
    const char *pos[4];
    int npos;
    int rc = parse_net(argc, argv, &o, pos, &npos, NULL, NULL, help_connect);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (npos < 1 || npos > 2) {
        fputs(help_connect, stderr);
        return LANA_EXIT_USAGE;
    }
    const char *target = pos[0];
    const char *service = npos == 2 ? pos[1] : NULL;
    struct resolve_opts ro = ropts(&o);
    struct lana_diag d;
    char host[256];
    snprintf(host, sizeof host, "%s", target);
    long port = REGPROTO_PORT;
    char *end = NULL;
    if (service != NULL)
        port = strtol(service, &end, 10);
    bool by_srv = service != NULL && (*end != '\0' || end == service);
    static struct resolve_answer srv;
    struct jsonw j;
    jsonw_init(&j);
    if (clienv.json) {
        jsonw_obj(&j);
        jsonw_kstr(&j, "target", target);
    }
    if (by_srv) { /* _SERVICE._tcp.TARGET SRV: the host and port to use */
        char q[300];
        snprintf(q, sizeof q, "_%s._tcp.%s", service, target);
        enum resolve_status s = resolve_query(q, DNS_T_SRV, &ro, &srv, &d);
        int k = -1;
        for (int i = 0; s == RESOLVE_OK && i < srv.n; i++)
            if (srv.rr[i].type == DNS_T_SRV) {
                k = i;
                break;
            }
        if (k < 0) {
            fprintf(stderr, "lana: %s\n", s == RESOLVE_OK ? "no SRV record" : d.msg);
            jsonw_free(&j);
            return s == RESOLVE_OK ? NET_EXIT_NODATA : exit_of(s);
        }
        unsigned pr, w, p;
        char t[256];
        if (sscanf(srv.rr[k].data, "%u %u %u %255s", &pr, &w, &p, t) != 4) {
            fprintf(stderr, "lana: unreadable SRV record: %s\n", srv.rr[k].data);
            jsonw_free(&j);
            return LANA_EXIT_PROTOCOL;
        }
        snprintf(host, sizeof host, "%s", t);
        port = p;
        if (clienv.json) {
            jsonw_kstr(&j, "srv", q);
            jsonw_kstr(&j, "srv_target", t);
        } else {
            printf("service %s: %s SRV %s (TTL %u)\n", service, q, srv.rr[k].data, srv.rr[k].ttl);
        }
    } else if (service != NULL && (port < 1 || port > 65535)) {
        fprintf(stderr, "lana: port %s: 1..65535\n", service);
        jsonw_free(&j);
        return LANA_EXIT_USAGE;
    }
    static struct resolve_result r;
    enum resolve_status s = resolve_host(host, (uint16_t)port, &ro, &r, &d);
    if (s != RESOLVE_OK) {
        fprintf(stderr, "lana: %s\n", d.msg);
        jsonw_free(&j);
        return exit_of(s);
    }
    if (clienv.json) {
        jsonw_kstr(&j, "host", host);
        jsonw_kint(&j, "port", port);
        jsonw_key(&j, "resolved");
        jsonw_arr(&j);
    } else {
        printf("resolved %s in %.1f ms through %s over %s:", host, r.ms,
               ro.servers ? ro.servers : "the system's resolvers", o.tcp ? "TCP" : "UDP");
    }
    for (int i = 0; i < r.n; i++) {
        char a[NET_ADDRSTRLEN];
        endpoint(&r.addr[i], a, sizeof a);
        if (clienv.json)
            jsonw_str(&j, a);
        else
            printf(" %s", a);
    }
    if (clienv.json)
        jsonw_end(&j);
    else
        printf("\n");
    struct happy_result h;
    struct trace *tr = NULL;
    int hrc;
    if (o.trace) {
        /* one address (the first, after -4/-6), from a port bound before connect() so that the
         * capture can be set on the connection's two ports before its SYN leaves */
        hrc = traced_connect(&r.addr[0], r.len[0], o.timeout_ms, &h, &tr, &d);
        if (hrc == LANA_EPERM) {
            fprintf(stderr, "lana: --trace: %s\n", d.msg);
            jsonw_free(&j);
            return LANA_EXIT_PERM;
        }
    } else {
        hrc = happy_connect(r.addr, r.len, r.n, o.timeout_ms, HAPPY_DELAY_MS, &h, &d);
    }
    if (clienv.json) {
        jsonw_key(&j, "attempts");
        jsonw_arr(&j);
    }
    for (int i = 0; i < h.natt; i++) {
        char a[NET_ADDRSTRLEN];
        endpoint(&h.att[i].addr, a, sizeof a);
        const char *what = h.att[i].won ? "connected" : h.att[i].err == ECANCELED
                                                            ? "cancelled (another won)"
                                                            : strerror(h.att[i].err);
        if (clienv.json) {
            jsonw_obj(&j);
            jsonw_kstr(&j, "remote", a);
            char t[64];
            snprintf(t, sizeof t, "%.3f", h.att[i].start_ms);
            jsonw_key(&j, "start_ms");
            jsonw_json(&j, t);
            snprintf(t, sizeof t, "%.3f", h.att[i].end_ms);
            jsonw_key(&j, "end_ms");
            jsonw_json(&j, t);
            jsonw_kstr(&j, "outcome", what);
            jsonw_end(&j);
        } else {
            printf("attempt %d: %-40s started at %7.1f ms, %s at %7.1f ms\n", i + 1, a,
                   h.att[i].start_ms, what, h.att[i].end_ms);
        }
    }
    if (clienv.json)
        jsonw_end(&j);
    if (hrc != 0) {
        int e = h.natt ? h.att[h.natt - 1].err : ETIMEDOUT;
        for (int i = 0; i < h.natt; i++)
            if (h.att[i].err == ETIMEDOUT)
                e = ETIMEDOUT;
        if (clienv.json) {
            jsonw_kstr(&j, "error", d.msg);
            jsonw_end(&j);
            puts(j.s);
        }
        fprintf(stderr, "lana: %s\n", d.msg);
        jsonw_free(&j);
        trace_stop(tr);
        return e == ECONNREFUSED ? NET_EXIT_REFUSED
               : e == ETIMEDOUT  ? NET_EXIT_CONNTIME
               : (e == ENETUNREACH || e == EHOSTUNREACH || e == EADDRNOTAVAIL) ? NET_EXIT_UNREACH
                                                                              : NET_EXIT_UNREACH;
    }
    struct sockaddr_storage local, remote;
    socklen_t ll = sizeof local, rl = sizeof remote;
    getsockname(h.fd, (struct sockaddr *)&local, &ll);
    getpeername(h.fd, (struct sockaddr *)&remote, &rl);
    char la[NET_ADDRSTRLEN], ra[NET_ADDRSTRLEN];
    endpoint(&local, la, sizeof la);
    endpoint(&remote, ra, sizeof ra);
    struct tcp_info ti;
    socklen_t tl = sizeof ti;
    memset(&ti, 0, sizeof ti);
    getsockopt(h.fd, IPPROTO_TCP, TCP_INFO, &ti, &tl);
    if (clienv.json) {
        jsonw_kstr(&j, "local", la);
        jsonw_kint(&j, "local_port", net_addr_port((struct sockaddr *)&local));
        jsonw_kstr(&j, "remote", ra);
        char t[32];
        snprintf(t, sizeof t, "%.3f", h.handshake_ms);
        jsonw_key(&j, "handshake_ms");
        jsonw_json(&j, t);
        jsonw_key(&j, "tcp_info");
        jsonw_obj(&j);
        jsonw_kstr(&j, "state", tcp_state(ti.tcpi_state));
        jsonw_kint(&j, "rtt_us", ti.tcpi_rtt);
        jsonw_kint(&j, "rttvar_us", ti.tcpi_rttvar);
        jsonw_kint(&j, "snd_mss", ti.tcpi_snd_mss);
        jsonw_kint(&j, "rcv_mss", ti.tcpi_rcv_mss);
        jsonw_kint(&j, "snd_cwnd", ti.tcpi_snd_cwnd);
        jsonw_end(&j);
    } else {
        printf("connected: local %s (port %u, chosen by the kernel) -> remote %s\n", la,
               net_addr_port((struct sockaddr *)&local), ra);
        printf("handshake: %.3f ms from connect() (SYN sent) to writable (SYN/ACK received, "
               "ACK sent)\n",
               h.handshake_ms);
        printf("tcp_info:  state %s, rtt %.3f ms (var %.3f), mss %u sent / %u received, "
               "cwnd %u\n",
               tcp_state(ti.tcpi_state), ti.tcpi_rtt / 1000.0, ti.tcpi_rttvar / 1000.0,
               ti.tcpi_snd_mss, ti.tcpi_rcv_mss, ti.tcpi_snd_cwnd);
    }
    rc = 0;
    if (tr != NULL) {
        show_trace(tr, &j);
        trace_stop(tr);
    }
    if (o.hello)
        rc = hello(h.fd, &j);
    close(h.fd);
    if (clienv.json) {
        jsonw_end(&j);
        puts(j.s);
    }
    jsonw_free(&j);
    return rc;
}

/* ---- serve -------------------------------------------------------------------------------- */

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

int cli_serve(int argc, char **argv)
{
    const char *portarg = NULL, *bind_addr = NULL;
    long count = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(help_serve, stdout);
            return 0;
        } else if (strcmp(argv[i], "--bind") == 0 && i + 1 < argc) {
            bind_addr = argv[++i];
        } else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
            count = atol(argv[++i]);
        } else if (portarg == NULL) {
            portarg = argv[i];
        } else {
            fputs(help_serve, stderr);
            return LANA_EXIT_USAGE;
        }
    }
    char *end;
    long port = portarg ? strtol(portarg, &end, 10) : -1;
    if (portarg == NULL || *end != '\0' || port < 0 || port > 65535) {
        fputs(help_serve, stderr);
        return LANA_EXIT_USAGE;
    }
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sl;
    if (bind_addr != NULL) {
        char ep[96];
        struct lana_diag d;
        snprintf(ep, sizeof ep, strchr(bind_addr, ':') ? "[%s]:%ld" : "%s:%ld", bind_addr, port);
        if (net_parse_endpoint(ep, -1, &ss, &sl, &d) != 0) {
            fprintf(stderr, "lana: --bind %s: %s\n", bind_addr, d.msg);
            return LANA_EXIT_USAGE;
        }
    } else { /* [::]:PORT, taking IPv4 too (v4-mapped) */
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = in6addr_any;
        s6->sin6_port = htons((uint16_t)port);
        sl = sizeof *s6;
    }
    int lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1, zero = 0;
    if (lfd >= 0) {
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (ss.ss_family == AF_INET6 && bind_addr == NULL)
            setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    }
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&ss, sl) != 0 || listen(lfd, 64) != 0) {
        fprintf(stderr, "lana: cannot listen on port %ld: %s\n", port, strerror(errno));
        return errno == EADDRINUSE ? LANA_EXIT_CONFLICT : LANA_EXIT_PERM;
    }
    struct sockaddr_storage la;
    socklen_t ll = sizeof la;
    getsockname(lfd, (struct sockaddr *)&la, &ll);
    char lt[NET_ADDRSTRLEN];
    endpoint(&la, lt, sizeof lt);
    printf("listening socket %d on %s\n", lfd, lt);
    fflush(stdout);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    for (long n = 0; !stopping && (count < 0 || n < count); n++) {
        struct sockaddr_storage peer;
        socklen_t pl = sizeof peer;
        int fd = accept4(lfd, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR)
                break;
            continue;
        }
        struct sockaddr_storage mine;
        socklen_t ml = sizeof mine;
        getsockname(fd, (struct sockaddr *)&mine, &ml);
        char mt[NET_ADDRSTRLEN], pt[NET_ADDRSTRLEN];
        endpoint(&mine, mt, sizeof mt);
        endpoint(&peer, pt, sizeof pt);
        printf("connection %ld: listening socket %d %s | new socket %d: local %s <-> remote %s\n",
               n + 1, lfd, lt, fd, mt, pt);
        fflush(stdout);
        /* echo until the client closes (bounded by a 30 s silence) */
        struct timeval tv = {30, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buf[4096];
        ssize_t k;
        long total = 0;
        while (!stopping && (k = recv(fd, buf, sizeof buf, 0)) > 0) {
            total += k;
            if (send(fd, buf, (size_t)k, MSG_NOSIGNAL) < 0)
                break;
        }
        printf("connection %ld: closed after echoing %ld bytes\n", n + 1, total);
        fflush(stdout);
        close(fd);
    }
    close(lfd);
    return 0;
}
