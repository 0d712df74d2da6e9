/*
 * cli_serve — "lana serve": a TCP listener for the lab that prints, for each connection it
 * accepts, the listening socket's endpoint and the new socket's two endpoints side by side,
 * then echoes what it receives until the client closes. One connection at a time.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "client/cli.h"
#include "client/cli_net.h"
#include "client/clienv.h"
#include "common/net.h"
#include "common/num.h"

static const char help_serve[] =
    "usage: lana serve PORT [--bind ADDR] [--count N]\n"
    "Listens on PORT (all addresses, IPv6 and IPv4, or ADDR) and prints, for each accepted\n"
    "connection, the listening socket's endpoint and the new socket's two endpoints side by\n"
    "side; echoes what it receives. Stops after N connections (default: never; Ctrl-C).\n";

#define SERVE_IDLE_S 30 /* an echo ends after this long without a byte from the client */

struct serve_opts {
    uint16_t port;
    const char *bind_addr; /* --bind, or NULL for [::] taking IPv4 too */
    bool counted;          /* --count given: stop after count connections */
    uint64_t count;
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

/* PORT [--bind ADDR] [--count N]; -1 after --help. */
static int serve_parse(int argc, char **argv, struct serve_opts *o)
{
    const char *portarg = NULL, *count = NULL;
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(help_serve, stdout);
            return -1;
        } else if (strcmp(argv[i], "--bind") == 0 && i + 1 < argc) {
            o->bind_addr = argv[++i];
        } else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
            count = argv[++i];
        } else if (portarg == NULL) {
            portarg = argv[i];
        } else {
            fputs(help_serve, stderr);
            return LANA_EXIT_USAGE;
        }
    }
    uint64_t v;
    struct lana_diag d;
    if (count != NULL && num_parse_u64(count, 0, UINT64_MAX, &o->count, &d) != 0) {
        fprintf(stderr, "lana: --count %s\n", d.msg);
        return LANA_EXIT_USAGE;
    }
    o->counted = count != NULL;
    if (portarg == NULL || num_parse_u64(portarg, 0, 65535, &v, NULL) != 0) {
        fputs(help_serve, stderr);
        return LANA_EXIT_USAGE;
    }
    o->port = (uint16_t)v;
    return 0;
}

/* The listening socket on the port (of --bind, or [::] with IPv4 too); -1 on failure. */
static int serve_listen(const struct serve_opts *o, int *status)
{
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    if (o->bind_addr != NULL) {
        char ep[96];
        struct lana_diag d = {"not an address"};
        int n = snprintf(ep, sizeof ep, strchr(o->bind_addr, ':') ? "[%s]:%u" : "%s:%u",
                         o->bind_addr, (unsigned)o->port);
        if (n < 0 || (size_t)n >= sizeof ep || net_parse_endpoint(ep, -1, &ss, &sl, &d) != 0) {
            fprintf(stderr, "lana: --bind %s: %s\n", o->bind_addr, d.msg);
            *status = LANA_EXIT_USAGE;
            return -1;
        }
    } else { /* [::]:PORT, taking IPv4 too (v4-mapped) */
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = in6addr_any;
        s6->sin6_port = htons(o->port);
        sl = sizeof *s6;
    }
    int lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1, zero = 0;
    if (lfd >= 0) {
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (ss.ss_family == AF_INET6 && o->bind_addr == NULL)
            setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    }
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&ss, sl) != 0 || listen(lfd, 64) != 0) {
        int e = errno;
        fprintf(stderr, "lana: cannot listen on port %u: %s\n", (unsigned)o->port, strerror(e));
        if (lfd >= 0)
            close(lfd);
        *status = e == EADDRINUSE ? LANA_EXIT_CONFLICT : LANA_EXIT_PERM;
        return -1;
    }
    return lfd;
}

/* Echoes until the client closes, a signal, or SERVE_IDLE_S of silence; the bytes echoed. */
static long serve_echo(int fd)
{
    struct timeval tv = {SERVE_IDLE_S, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[4096];
    ssize_t k;
    long total = 0;
    while (!stopping && (k = recv(fd, buf, sizeof buf, 0)) > 0) {
        total += k;
        if (send(fd, buf, (size_t)k, MSG_NOSIGNAL) < 0)
            break;
    }
    return total;
}

/* Accepts, shows and echoes connections one at a time. */
static void serve_loop(int lfd, const char *lt, const struct serve_opts *o)
{
    for (uint64_t n = 0; !stopping && (!o->counted || n < o->count); n++) {
        struct sockaddr_storage peer, mine;
        socklen_t pl = sizeof peer, ml = sizeof mine;
        int fd = accept4(lfd, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR)
                break;
            continue;
        }
        memset(&mine, 0, sizeof mine);
        getsockname(fd, (struct sockaddr *)&mine, &ml);
        char mt[NET_ADDRSTRLEN], pt[NET_ADDRSTRLEN];
        printf("connection %llu: listening socket %d %s | new socket %d: local %s <-> remote %s\n",
               (unsigned long long)n + 1, lfd, lt, fd, cli_net_endpoint(&mine, mt, sizeof mt),
               cli_net_endpoint(&peer, pt, sizeof pt));
        fflush(stdout);
        long total = serve_echo(fd);
        printf("connection %llu: closed after echoing %ld bytes\n", (unsigned long long)n + 1,
               total);
        fflush(stdout);
        close(fd);
    }
}

int cli_serve(int argc, char **argv)
{
    struct serve_opts o;
    int rc = serve_parse(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    int lfd = serve_listen(&o, &rc);
    if (lfd < 0)
        return rc;
    struct sockaddr_storage la = {0};
    socklen_t ll = sizeof la;
    getsockname(lfd, (struct sockaddr *)&la, &ll);
    char lt[NET_ADDRSTRLEN];
    cli_net_endpoint(&la, lt, sizeof lt);
    printf("listening socket %d on %s\n", lfd, lt);
    fflush(stdout);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    serve_loop(lfd, lt, &o);
    close(lfd);
    return 0;
}
