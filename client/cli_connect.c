/*
 * cli_connect — "lana connect": resolve a target (a SERVICE through its SRV record), connect
 * Happy-Eyeballs style (client/happy.c) or, with --trace, once under a packet capture
 * (client/trace.c), then show what the kernel knows of the connection and, with --hello, run
 * the registry handshake on it (regclient_handshake). The steps fill one report; then one of
 * two renderers prints it, as text or as one JSON object. The report is printed as far as the
 * steps went, the reason of a failure goes to stderr, and the exit status names the step.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/cli.h"
#include "client/cli_net.h"
#include "client/clienv.h"
#include "client/handshake.h"
#include "client/happy.h"
#include "client/labaddr.h"
#include "client/regclient.h"
#include "client/trace.h"
#include "common/clock.h"
#include "common/dnsmsg.h"
#include "common/jsonw.h"
#include "common/net.h"
#include "common/num.h"
#include "common/regproto.h"
#include "common/tokfile.h"

static const char help_connect[] =
    "usage: lana connect TARGET [PORT|SERVICE] [--dns ADDR[:PORT]]... [--tcp] [-4|-6]\n"
    "                    [--timeout MS] [--hello] [--trace] [--any-address] [--json]\n"
    "Resolves TARGET through c-ares (a SERVICE through its SRV record _SERVICE._tcp.TARGET),\n"
    "then connects Happy-Eyeballs style (RFC 8305: IPv6 first, the next address 250 ms later,\n"
    "the first to complete wins). Prints every attempt, the winning connection's local and\n"
    "remote endpoints, the handshake time and the kernel's TCP_INFO. --hello runs lanad's\n"
    "registry handshake (HELLO/WELCOME/ACK) and prints X, X+1, Y, Y+1. --trace (root or\n"
    "CAP_NET_RAW) connects to the first address only and shows the captured SYN, SYN/ACK and\n"
    "ACK with their sequence and acknowledgement numbers, waiting up to 1 s for all three.\n"
    "An address outside the lab (not loopback, not this machine's, not in 198.18.0.0/15,\n"
    "2001:db8::/32 or the registry's pools) is refused unless --any-address is given.\n"
    "Exit: 0, 64 usage, 67/68/69/75 as lana resolve, 71 connection refused,\n"
    "72 unreachable, 74 --trace captured fewer than the three segments, 76 they do not add\n"
    "up (or --hello failed), 77 an address outside the lab without --any-address, or\n"
    "--trace not allowed, 79 connect timeout.\n";

#define CONNECT_SEGMENTS 8 /* captured segments kept for --trace */
/* how long --trace waits, after connect() completed, for the rest of the three segments: the
 * capture's buffer is read in immediate mode, so 1 s is ample on any lab network */
#define CONNECT_TRACE_WAIT_MS 1000
/* how long the registry may take to list its pools (the lab rule), at most */
#define CONNECT_POOLS_WAIT_MS 1000

/* How far the steps went; each step's members are set once it is reached. */
enum connect_step {
    STEP_NONE,
    STEP_SRV,       /* the SRV record gave host and port */
    STEP_RESOLVED,  /* host resolved to addrs */
    STEP_ATTEMPTED, /* attempts made (h), error set when none connected */
    STEP_CONNECTED, /* endpoints and tcp_info read; trace and hello when asked */
};

struct connect_report {
    enum connect_step step;
    const char *target;
    const char *service; /* SERVICE or PORT as given, or NULL */
    const char *servers; /* --dns, or NULL for the system's resolvers */
    bool tcp;
    char error[2 * LANA_DIAG_LEN]; /* why a step failed: printed after the report */
    /* STEP_SRV */
    char srv_name[320];  /* _SERVICE._tcp.TARGET */
    char srv_data[1024]; /* the record's text */
    uint32_t srv_ttl;
    /* STEP_RESOLVED */
    char host[256]; /* TARGET, or the SRV record's target */
    uint16_t port;
    struct resolve_result addrs;
    /* STEP_ATTEMPTED */
    struct happy_result h; /* also the "error" member of the JSON */
    /* STEP_CONNECTED */
    char local[NET_ADDRSTRLEN], remote[NET_ADDRSTRLEN];
    uint16_t local_port;
    struct tcp_info ti;
    bool traced; /* --trace: seg[] holds the capture, hc the verdict */
    struct trace_segment seg[CONNECT_SEGMENTS];
    int nseg;
    struct handshake_check hc;
    char port_text[200]; /* where the local port came from (handshake_port_text) */
    bool have_range;
    uint16_t range_lo, range_hi;
    bool hello; /* --hello got a WELCOME: hs holds the exchange */
    struct regclient_hello hs;
};

/* ---- the steps ---------------------------------------------------------------------------- */

/* Records why a step failed (printed after the report) and returns its exit status. */
static int __attribute__((format(printf, 3, 4)))
fail(struct connect_report *r, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
    if (n < 0)
        r->error[0] = '\0';
    else if ((size_t)n >= sizeof r->error) /* a cut message still says what went wrong */
        memcpy(r->error + sizeof r->error - 4, "...", 4);
    return status;
}

/*
 * PORT or SERVICE: digits (after an optional sign) are a port, which must be 1..65535;
 * anything else is a service name, looked up through SRV.
 */
static int step_port(struct connect_report *r, bool *by_srv)
{
    const char *service = r->service;
    r->port = REGPROTO_PORT;
    *by_srv = false;
    if (service == NULL)
        return 0;
    const char *digits = service + (*service == '+' || *service == '-');
    if (*digits == '\0' || strspn(digits, "0123456789") != strlen(digits)) {
        *by_srv = true;
        return 0;
    }
    uint64_t v;
    if (*service == '-' || num_parse_u64(digits, 1, 65535, &v, NULL) != 0)
        return fail(r, LANA_EXIT_USAGE, "port %s: 1..65535", service);
    r->port = (uint16_t)v;
    return 0;
}

/* _SERVICE._tcp.TARGET SRV: the host and port to use (the first SRV record). */
static int step_srv(struct connect_report *r, const struct resolve_opts *ro)
{
    int n = snprintf(r->srv_name, sizeof r->srv_name, "_%s._tcp.%s", r->service, r->target);
    if (n < 0 || (size_t)n >= sizeof r->srv_name)
        return fail(r, LANA_EXIT_USAGE, "_%.40s._tcp.%.40s...: name too long", r->service,
                    r->target);
    struct resolve_answer *an = malloc(sizeof *an);
    if (an == NULL)
        return fail(r, LANA_EXIT_SERVER, "out of memory");
    struct lana_diag d;
    enum resolve_status s = resolve_query(r->srv_name, DNS_T_SRV, ro, an, &d);
    const struct resolve_rr *rr = NULL;
    for (int i = 0; s == RESOLVE_OK && rr == NULL && i < an->n; i++)
        if (an->rr[i].type == DNS_T_SRV)
            rr = &an->rr[i];
    int rc = 0;
    if (rr == NULL) {
        cli_net_dns_hint(ro, s, an->asked, &d);
        rc = fail(r, s == RESOLVE_OK ? NET_EXIT_NODATA : cli_net_exit_of(s), "%s",
                  s == RESOLVE_OK ? "no SRV record" : d.msg);
    } else if (!rr->has_srv) {
        rc = fail(r, LANA_EXIT_PROTOCOL, "unreadable SRV record: %s", rr->data);
    } else {
        memcpy(r->srv_data, rr->data, sizeof r->srv_data);
        memcpy(r->host, rr->srv.target, sizeof r->host);
        r->srv_ttl = rr->ttl;
        r->port = rr->srv.port;
        r->step = STEP_SRV;
    }
    free(an);
    return rc;
}

/* The host's addresses, after -4/-6. */
static int step_resolve(struct connect_report *r, const struct resolve_opts *ro)
{
    struct lana_diag d;
    enum resolve_status s = resolve_host(r->host, r->port, ro, &r->addrs, &d);
    if (s != RESOLVE_OK) {
        cli_net_dns_hint(ro, s, r->addrs.asked, &d);
        return fail(r, cli_net_exit_of(s), "%s", d.msg);
    }
    r->step = STEP_RESOLVED;
    return 0;
}

/* The registry's pools for the lab rule: asked anonymously (pool list is public), quickly. */
static int lab_pools(struct labaddr_set *pools, struct lana_diag *d)
{
    struct regclient_opts ro;
    char *known = NULL;
    /* the registry lana's other commands reach (the token file's server and pin included);
     * anonymous, and trusting no new certificate */
    int rc = clienv_opts(&ro, &known);
    free(known);
    if (rc != 0)
        return diag_set(d, LANA_EUNSUPP, "the registry's options are unusable");
    memset(ro.token, 0, sizeof ro.token);
    ro.have_token = false;
    ro.user = NULL;
    ro.tofu = false;
    if (clienv.timeout > CONNECT_POOLS_WAIT_MS)
        ro.timeout_ms = CONNECT_POOLS_WAIT_MS;
    return labaddr_pools(&ro, pools, d);
}

/*
 * The lab rule (client/labaddr.h) over the addresses connect() would be given (with --trace
 * the first only): loopback, this machine's, the built-in ranges, then, only when one is still
 * outside, the registry's pools. An address outside them all refuses the whole connection
 * unless --any-address: a lab tool must not send a SYN out of the lab by accident.
 */
static int step_lab(struct connect_report *r, const struct cli_net_opts *o)
{
    if (o->any_address)
        return 0;
    int n = o->trace ? 1 : r->addrs.n;
    struct labaddr_set *sets = calloc(2, sizeof *sets); /* this machine's, the pools */
    if (sets == NULL)
        return fail(r, LANA_EXIT_SERVER, "out of memory");
    struct lana_diag d, pd = {""};
    if (labaddr_local(&sets[0], &d) != 0)
        sets[0].n = 0; /* without them, only loopback counts as this host */
    bool asked = false, reached = false;
    int rc = 0, outside = -1;
    for (int i = 0; i < n && outside < 0; i++) {
        enum labaddr_kind k = labaddr_classify(&r->addrs.addr[i], &sets[0], NULL, NULL);
        if (k == LABADDR_OUTSIDE && !asked) {
            asked = true;
            reached = lab_pools(&sets[1], &pd) == 0;
        }
        if (k == LABADDR_OUTSIDE &&
            labaddr_classify(&r->addrs.addr[i], &sets[0], &sets[1], NULL) == LABADDR_OUTSIDE)
            outside = i;
    }
    if (outside >= 0) {
        char a[NET_ADDRSTRLEN], pools[160], why[256];
        cli_net_endpoint(&r->addrs.addr[outside], a, sizeof a);
        labaddr_set_text(&sets[1], pools, sizeof pools);
        int k = !reached    ? snprintf(why, sizeof why, "the registry's pools unknown: %s", pd.msg)
                : sets[1].n ? snprintf(why, sizeof why, "nor in the registry's pools %s", pools)
                            : snprintf(why, sizeof why, "and the registry has no pools");
        if (k < 0 || (size_t)k >= sizeof why)
            memcpy(why + sizeof why - 4, "...", 4);
        rc = fail(r, NET_EXIT_OUTSIDE,
                  "%s is outside the lab: not loopback, not this machine's, not in %s (%s); "
                  "a SYN to it could leave the lab. Not connecting: add --any-address to "
                  "connect anyway",
                  a, labaddr_ranges_text, why);
    }
    free(sets);
    return rc;
}

/* Waits for a non-blocking connect() on fd; 0 or an errno value. */
static int connect_wait(int fd, int timeout_ms)
{
    struct pollfd p = {fd, POLLOUT, 0};
    if (poll(&p, 1, timeout_ms) <= 0)
        return ETIMEDOUT;
    int err = 0;
    socklen_t el = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
    return err;
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
    struct sockaddr_storage me = {.ss_family = to->ss_family};
    socklen_t ml =
        to->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    if (fd < 0 || bind(fd, (struct sockaddr *)&me, ml) != 0 ||
        getsockname(fd, (struct sockaddr *)&me, &ml) != 0) {
        h->att[0].err = errno;
        if (fd >= 0)
            close(fd);
        return diag_set(d, LANA_EIO, "socket: %s", strerror(h->att[0].err));
    }
    int rc = trace_start(net_addr_port((struct sockaddr *)&me), (const struct sockaddr *)to, tr, d);
    if (rc != 0) {
        close(fd);
        return rc;
    }
    uint64_t t0 = mono_us();
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    int err = 0;
    if (connect(fd, (const struct sockaddr *)to, tolen) != 0)
        err = errno == EINPROGRESS ? connect_wait(fd, timeout_ms) : errno;
    double ms = (double)(mono_us() - t0) / 1000.0;
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

/* The exit status of a connection that did not happen: a timeout anywhere wins. */
static int connect_exit(const struct happy_result *h)
{
    int e = h->natt ? h->att[h->natt - 1].err : ETIMEDOUT;
    for (int i = 0; i < h->natt; i++)
        if (h->att[i].err == ETIMEDOUT)
            e = ETIMEDOUT;
    return e == ECONNREFUSED ? NET_EXIT_REFUSED
           : e == ETIMEDOUT  ? NET_EXIT_CONNTIME
                             : NET_EXIT_UNREACH; /* ENETUNREACH, EHOSTUNREACH, ... */
}

/*
 * Happy Eyeballs over every address, or with --trace one traced connect() to the first.
 * *tr is the running capture, if any.
 */
static int step_connect(struct connect_report *r, const struct cli_net_opts *o, struct trace **tr)
{
    struct lana_diag d;
    const struct resolve_result *a = &r->addrs;
    int rc;
    if (o->trace) {
        /* one address (the first, after -4/-6), from a port bound before connect() so that
         * the capture can be set on the connection's two ports before its SYN leaves */
        rc = traced_connect(&a->addr[0], a->len[0], o->timeout_ms, &r->h, tr, &d);
        if (rc == LANA_EPERM)
            return fail(r, LANA_EXIT_PERM, "--trace: %s", d.msg);
    } else {
        rc = happy_connect(a->addr, a->len, a->n, o->timeout_ms, HAPPY_DELAY_MS, &r->h, &d);
    }
    r->step = STEP_ATTEMPTED;
    return rc == 0 ? 0 : fail(r, connect_exit(&r->h), "%s", d.msg);
}

/* The connection's two endpoints and TCP_INFO. */
static void step_connected(struct connect_report *r)
{
    struct sockaddr_storage local, remote;
    socklen_t ll = sizeof local, rl = sizeof remote;
    memset(&local, 0, sizeof local);
    memset(&remote, 0, sizeof remote);
    getsockname(r->h.fd, (struct sockaddr *)&local, &ll);
    getpeername(r->h.fd, (struct sockaddr *)&remote, &rl);
    cli_net_endpoint(&local, r->local, sizeof r->local);
    cli_net_endpoint(&remote, r->remote, sizeof r->remote);
    r->local_port = net_addr_port((struct sockaddr *)&local);
    r->have_range = handshake_read_port_range(&r->range_lo, &r->range_hi);
    handshake_port_text(r->local_port, r->have_range, r->range_lo, r->range_hi, r->port_text,
                        sizeof r->port_text);
    socklen_t tl = sizeof r->ti;
    memset(&r->ti, 0, sizeof r->ti);
    getsockopt(r->h.fd, IPPROTO_TCP, TCP_INFO, &r->ti, &tl);
    r->step = STEP_CONNECTED;
}

/* --trace: what the capture shows; fewer than the three segments, or numbers that do not add
 * up, is a failure, never a trace passed as shown. */
static int step_verdict(struct connect_report *r)
{
    struct handshake_check *hc = &r->hc;
    handshake_check(r->seg, r->nseg, hc);
    if (hc->verdict == HANDSHAKE_INCOMPLETE)
        return fail(r, NET_EXIT_TRACE,
                    "--trace: the capture is incomplete: saw %s, missing %s%s%s (waited %d ms "
                    "after connect() completed); the connection itself was made",
                    hc->seen, hc->missing, hc->why[0] ? "; " : "", hc->why, CONNECT_TRACE_WAIT_MS);
    if (hc->verdict == HANDSHAKE_INCONSISTENT)
        return fail(r, LANA_EXIT_PROTOCOL, "--trace: the handshake does not add up: %s", hc->why);
    return 0;
}

/* --hello: the registry handshake on the connection, then "quit". */
static int step_hello(struct connect_report *r, int timeout_ms)
{
    struct lana_diag d;
    int rc = regclient_handshake(r->h.fd, NULL, NULL, timeout_ms, NULL, &r->hs, &d);
    r->hello = r->hs.welcomed; /* after a WELCOME the report shows what went wrong */
    if (!r->hello)
        fail(r, 0, "%s", d.msg);
    /* the polite end; the connection is closed next whether the server reads it or not */
    static const char quit[] = "quit\n";
    (void)send(r->h.fd, quit, sizeof quit - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    return rc == 0 ? 0 : LANA_EXIT_PROTOCOL;
}

/* ---- the two renderers -------------------------------------------------------------------- */

static const char *tcp_state(unsigned s)
{
    static const char *const names[] = {"?",          "ESTABLISHED", "SYN_SENT",  "SYN_RECV",
                                        "FIN_WAIT1",  "FIN_WAIT2",   "TIME_WAIT", "CLOSE",
                                        "CLOSE_WAIT", "LAST_ACK",    "LISTEN",    "CLOSING"};
    return s < sizeof names / sizeof names[0] ? names[s] : "?";
}

/* An attempt's outcome in words. */
static const char *outcome(const struct happy_attempt *a)
{
    return a->won                ? "connected"
           : a->err == ECANCELED ? "cancelled (another won)"
                                 : strerror(a->err);
}

/*
 * What a captured segment shows of the three-way handshake: its seq and ack against X (the
 * SYN's seq) and Y (the SYN/ACK's), which the caller carries from segment to segment.
 */
static void segment_note(const struct trace_segment *s, uint32_t *x, uint32_t *y, char *note,
                         size_t size)
{
    int n = 0;
    note[0] = '\0';
    if (strcmp(s->flags, "SYN") == 0 && s->from_client) {
        *x = s->seq;
        n = snprintf(note, size, "seq = X");
    } else if (strcmp(s->flags, "SYN,ACK") == 0 && !s->from_client) {
        *y = s->seq;
        n = snprintf(note, size, "seq = Y, ack = X+1%s", s->ack == *x + 1 ? "" : " (no!)");
    } else if (strcmp(s->flags, "ACK") == 0 && s->from_client && *y != 0) {
        n = snprintf(note, size, "seq = X+1, ack = Y+1%s",
                     s->seq == *x + 1 && s->ack == *y + 1 ? "" : " (no!)");
    }
    if (n < 0 || (size_t)n >= size)
        note[0] = '\0';
}

/* The service, resolve and attempt lines. */
static void text_attempts(const struct connect_report *r)
{
    if (r->step >= STEP_SRV && r->srv_name[0])
        printf("service %s: %s SRV %s (TTL %u)\n", r->service, r->srv_name, r->srv_data,
               r->srv_ttl);
    if (r->step < STEP_RESOLVED)
        return;
    const struct resolve_result *x = &r->addrs;
    if (x->source == RESOLVE_SRC_DNS)
        printf("resolved %s in %.1f ms through %s%s%s%s over %s:", r->host, x->ms,
               r->servers ? r->servers : "the system's resolvers",
               r->servers || !x->asked[0] ? "" : " (", r->servers ? "" : x->asked,
               r->servers || !x->asked[0] ? "" : ")", r->tcp ? "TCP" : "UDP");
    else
        printf("resolved %s %s, no DNS query:", r->host, cli_net_source_text(x->source));
    char a[NET_ADDRSTRLEN];
    for (int i = 0; i < r->addrs.n; i++)
        printf(" %s", cli_net_endpoint(&r->addrs.addr[i], a, sizeof a));
    printf("\n");
    for (int i = 0; r->step >= STEP_ATTEMPTED && i < r->h.natt; i++) {
        const struct happy_attempt *t = &r->h.att[i];
        printf("attempt %d: %-40s started at %7.1f ms, %s at %7.1f ms\n", i + 1,
               cli_net_endpoint(&t->addr, a, sizeof a), t->start_ms, outcome(t), t->end_ms);
    }
}

/* The connection, the capture and the registry handshake. */
static void text_connected(const struct connect_report *r)
{
    const struct tcp_info *ti = &r->ti;
    printf("connected: local %s (port %u, chosen by the kernel) -> remote %s\n", r->local,
           r->local_port, r->remote);
    printf("           %s\n", r->port_text);
    printf("handshake: %.3f ms from connect() (SYN sent) to writable (SYN/ACK received, "
           "ACK sent)\n",
           r->h.handshake_ms);
    printf("tcp_info:  state %s, rtt %.3f ms (var %.3f), mss %u sent / %u received, "
           "cwnd %u\n",
           tcp_state(ti->tcpi_state), ti->tcpi_rtt / 1000.0, ti->tcpi_rttvar / 1000.0,
           ti->tcpi_snd_mss, ti->tcpi_rcv_mss, ti->tcpi_snd_cwnd);
    if (r->traced) {
        printf("captured (libpcap):\n");
        uint32_t x = 0, y = 0;
        for (int i = 0; i < r->nseg; i++) {
            const struct trace_segment *s = &r->seg[i];
            char note[64];
            segment_note(s, &x, &y, note, sizeof note);
            printf("  %7.3f ms  %s  %-8s seq=%-10u ack=%-10u %s\n", s->ms,
                   s->from_client ? "client -> server" : "server -> client", s->flags, s->seq,
                   s->ack, note);
        }
        if (r->nseg == 0)
            printf("  (nothing captured)\n");
        printf("  handshake %s: saw %s%s%s\n",
               r->hc.verdict == HANDSHAKE_COMPLETE     ? "complete"
               : r->hc.verdict == HANDSHAKE_INCOMPLETE ? "INCOMPLETE"
                                                       : "INCONSISTENT",
               r->hc.seen, r->hc.missing[0] ? "; missing " : "", r->hc.missing);
    }
    if (r->hello) {
        const struct regclient_hello *hs = &r->hs;
        printf("registry handshake:\n");
        printf("  > HELLO seq=X          X   = %u\n", hs->x);
        printf("  < WELCOME ack=X+1      X+1 = %u%s\n", hs->ack,
               hs->ack == (uint32_t)(hs->x + 1) ? "" : "  (wrong!)");
        printf("  <         seq=Y        Y   = %u\n", hs->y);
        printf("  > ACK ack=Y+1          Y+1 = %u\n", (uint32_t)(hs->y + 1));
        printf("  < %s\n", hs->ready ? "READY" : "(no READY)");
    }
}

static void render_text(const struct connect_report *r)
{
    text_attempts(r);
    if (r->step >= STEP_CONNECTED)
        text_connected(r);
}

/* target .. attempts, and error when none connected. */
static void json_attempts(const struct connect_report *r, struct jsonw *j)
{
    jsonw_kstr(j, "target", r->target);
    if (r->srv_name[0]) {
        jsonw_kstr(j, "srv", r->srv_name);
        jsonw_kstr(j, "srv_target", r->host);
    }
    jsonw_kstr(j, "host", r->host);
    jsonw_kint(j, "port", r->port);
    jsonw_kstr(j, "source", cli_net_source_name(r->addrs.source));
    if (r->addrs.source == RESOLVE_SRC_DNS)
        jsonw_kstr(j, "dns_servers", r->servers ? r->servers : r->addrs.asked);
    jsonw_key(j, "resolved");
    jsonw_arr(j);
    char a[NET_ADDRSTRLEN];
    for (int i = 0; i < r->addrs.n; i++)
        jsonw_str(j, cli_net_endpoint(&r->addrs.addr[i], a, sizeof a));
    jsonw_end(j);
    jsonw_key(j, "attempts");
    jsonw_arr(j);
    for (int i = 0; i < r->h.natt; i++) {
        const struct happy_attempt *t = &r->h.att[i];
        jsonw_obj(j);
        jsonw_kstr(j, "remote", cli_net_endpoint(&t->addr, a, sizeof a));
        cli_net_json_ms(j, "start_ms", t->start_ms);
        cli_net_json_ms(j, "end_ms", t->end_ms);
        jsonw_kstr(j, "outcome", outcome(t));
        jsonw_end(j);
    }
    jsonw_end(j);
    if (r->step < STEP_CONNECTED)
        jsonw_kstr(j, "error", r->error);
}

/* The capture and the registry handshake. */
static void json_trace_hello(const struct connect_report *r, struct jsonw *j)
{
    if (r->traced) {
        jsonw_key(j, "trace");
        jsonw_arr(j);
        for (int i = 0; i < r->nseg; i++) {
            jsonw_obj(j);
            jsonw_kstr(j, "from", r->seg[i].from_client ? "client" : "server");
            jsonw_kstr(j, "flags", r->seg[i].flags);
            jsonw_kint(j, "seq", r->seg[i].seq);
            jsonw_kint(j, "ack", r->seg[i].ack);
            jsonw_end(j);
        }
        jsonw_end(j);
        jsonw_kstr(j, "handshake",
                   r->hc.verdict == HANDSHAKE_COMPLETE     ? "complete"
                   : r->hc.verdict == HANDSHAKE_INCOMPLETE ? "incomplete"
                                                           : "inconsistent");
        jsonw_kstr(j, "missing", r->hc.missing);
    }
    if (r->hello) {
        jsonw_key(j, "hello");
        jsonw_obj(j);
        jsonw_kint(j, "x", r->hs.x);
        jsonw_kint(j, "x_plus_1", r->hs.ack);
        jsonw_kint(j, "y", r->hs.y);
        jsonw_kint(j, "y_plus_1", (uint32_t)(r->hs.y + 1));
        jsonw_kbool(j, "ready", r->hs.ready);
        jsonw_end(j);
    }
}

/* One object, once connect() was tried: nothing before (the reason is on stderr). */
static void render_json(const struct connect_report *r, struct jsonw *j)
{
    if (r->step < STEP_ATTEMPTED)
        return;
    jsonw_obj(j);
    json_attempts(r, j);
    if (r->step >= STEP_CONNECTED) {
        const struct tcp_info *ti = &r->ti;
        jsonw_kstr(j, "local", r->local);
        jsonw_kint(j, "local_port", r->local_port);
        jsonw_kstr(j, "remote", r->remote);
        cli_net_json_ms(j, "handshake_ms", r->h.handshake_ms);
        jsonw_key(j, "tcp_info");
        jsonw_obj(j);
        jsonw_kstr(j, "state", tcp_state(ti->tcpi_state));
        jsonw_kint(j, "rtt_us", ti->tcpi_rtt);
        jsonw_kint(j, "rttvar_us", ti->tcpi_rttvar);
        jsonw_kint(j, "snd_mss", ti->tcpi_snd_mss);
        jsonw_kint(j, "rcv_mss", ti->tcpi_rcv_mss);
        jsonw_kint(j, "snd_cwnd", ti->tcpi_snd_cwnd);
        jsonw_end(j);
        jsonw_key(j, "local_port_range");
        if (r->have_range) {
            jsonw_obj(j);
            jsonw_kint(j, "lo", r->range_lo);
            jsonw_kint(j, "hi", r->range_hi);
            jsonw_kstr(j, "file", HANDSHAKE_PORT_RANGE_FILE);
            jsonw_end(j);
        } else {
            jsonw_null(j);
        }
        json_trace_hello(r, j);
    }
    jsonw_end(j);
    if (jsonw_ok(j))
        puts(j->s);
}

/* ---- the command -------------------------------------------------------------------------- */

/* The steps, as far as they go; returns the exit status. */
static int connect_run(struct connect_report *r, const struct cli_net_opts *o)
{
    struct resolve_opts ro = cli_net_resolve_opts(o);
    r->servers = ro.servers;
    r->tcp = o->tcp;
    bool by_srv;
    int rc = step_port(r, &by_srv);
    if (rc == 0 && by_srv)
        rc = step_srv(r, &ro);
    if (rc == 0 && !by_srv) {
        int n = snprintf(r->host, sizeof r->host, "%s", r->target);
        if (n < 0 || (size_t)n >= sizeof r->host)
            rc = fail(r, LANA_EXIT_USAGE, "%.40s...: a name has at most 255 characters", r->target);
    }
    if (rc == 0)
        rc = step_resolve(r, &ro);
    if (rc == 0)
        rc = step_lab(r, o);
    struct trace *tr = NULL;
    if (rc == 0)
        rc = step_connect(r, o, &tr);
    if (rc == 0) {
        step_connected(r);
        if (tr != NULL) {
            r->nseg = trace_collect(tr, CONNECT_TRACE_WAIT_MS, r->seg, CONNECT_SEGMENTS);
            r->traced = true;
            rc = step_verdict(r);
        }
    }
    trace_stop(tr);
    if (rc == 0 && o->hello)
        rc = step_hello(r, o->timeout_ms);
    if (r->h.fd >= 0)
        close(r->h.fd);
    return rc;
}

int cli_connect(int argc, char **argv)
{
    struct cli_net_opts o;
    int rc = cli_net_parse(argc, argv, CLI_NET_ANY, help_connect, &o);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    if (o.npos < 1 || o.npos > 2) {
        fputs(help_connect, stderr);
        return LANA_EXIT_USAGE;
    }
    struct connect_report *r = calloc(1, sizeof *r);
    if (r == NULL) {
        fputs("lana: out of memory\n", stderr);
        return LANA_EXIT_SERVER;
    }
    r->target = o.pos[0];
    r->service = o.npos == 2 ? o.pos[1] : NULL;
    r->h.fd = -1;
    rc = connect_run(r, &o);
    if (clienv.json) {
        struct jsonw j;
        jsonw_init(&j);
        render_json(r, &j);
        jsonw_free(&j);
    } else {
        render_text(r);
    }
    fflush(stdout); /* the report, then why it failed: the order a terminal shows */
    if (r->error[0])
        fprintf(stderr, "lana: %s\n", r->error);
    free(r);
    return rc;
}
