/*
 * cli_serve — "lana serve": a TCP echo listener for the lab, on the event loop (common/ev.h).
 * It names the calls as it makes them (socket() → bind() → listen(backlog) → accept()), and
 * for each client it accepts prints the new socket the kernel made, with its fd and both
 * endpoints. Every client is served on its own: non-blocking sockets, a bounded buffer each
 * (a client that does not read its echo stops being read, nobody else waits), an idle
 * timeout each. At --max-clients the listening socket is not watched, so new connections
 * wait in the kernel's backlog until a client leaves.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/cli.h"
#include "client/cli_net.h"
#include "client/clienv.h"
#include "common/clock.h"
#include "common/ev.h"
#include "common/net.h"
#include "common/num.h"

static const char help_serve[] =
    "usage: lana serve PORT [--bind ADDR] [--count N] [--once] [--max-clients N]\n"
    "                  [--idle SECONDS]\n"
    "Listens on PORT (all addresses, IPv6 and IPv4, or ADDR; 0: the kernel chooses) and\n"
    "names the calls: socket() → bind() → listen(backlog 64) → accept(). For each client it\n"
    "accepts it prints the new socket (its fd) and both endpoints, and echoes what that\n"
    "client sends. Clients are served at once and independently, on one event loop.\n"
    "  --count N         accept N clients, then exit when they have all left\n"
    "  --once            serve one client, then exit (--count 1)\n"
    "  --max-clients N   clients served at once (default 64, 1-1000); at the cap new\n"
    "                    connections wait in the listen backlog until a client leaves\n"
    "  --idle SECONDS    close a client silent this long (default 30)\n"
    "Each client has a 4096-byte echo buffer: one that does not read its echo is not read\n"
    "until it does. Ctrl-C (SIGINT) or SIGTERM closes every socket and exits 0.\n"
    "exit status: 0 ok; 64 usage; 69 ADDR is not an address of this machine; 71 system\n"
    "error (socket, event loop); 73 the port is in use; 77 no permission for the port.\n";

#define SERVE_BACKLOG 64
#define SERVE_BUF 4096        /* bytes received and not yet echoed, per client */
#define SERVE_ACCEPT_BURST 16 /* accepts per readiness of the listening socket */
#define SERVE_EXIT_UNAVAILABLE 69
#define SERVE_EXIT_OSERR 71

struct serve_opts {
    uint16_t port;
    const char *bind_addr; /* --bind, or NULL for [::] taking IPv4 too */
    bool counted;          /* --count or --once: stop accepting after count clients */
    uint64_t count;
    uint64_t max_clients;
    uint64_t idle_ms;
};

struct serve;

/* One accepted client: its socket and the bytes received and not yet echoed. */
struct serve_client {
    struct serve *s;
    int fd;           /* -1: the slot is free */
    uint64_t n;       /* its connection number, from 1 */
    uint64_t last_ms; /* mono_ms() of its last byte in or out */
    uint64_t total;   /* bytes echoed */
    bool eof;         /* it closed its side: echo what is left, then close */
    size_t off, len;  /* buf[off, len) waits to be sent */
    char buf[SERVE_BUF];
};

/* The server: one listening socket, a fixed table of clients. */
struct serve {
    struct ev_loop *loop;
    const struct serve_opts *o;
    int lfd;
    bool watching; /* the listening socket is watched (below the cap, count not reached) */
    uint64_t accepted, active;
    struct serve_client *cl; /* o->max_clients slots */
    int64_t pause_timer;     /* > 0: accept() ran out of descriptors, retry timer */
};

static struct ev_loop *volatile serve_loop_sig;

static void on_signal(int sig)
{
    (void)sig;
    if (serve_loop_sig != NULL)
        ev_stop(serve_loop_sig);
}

/* Parses a count option's value into *out within [min, max]; 0 or LANA_EXIT_USAGE. */
static int serve_num(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    struct lana_diag d;
    if (num_parse_u64(s, min, max, out, &d) != 0) {
        fprintf(stderr, "lana: %s %s: %s\n", opt, s, d.msg);
        return LANA_EXIT_USAGE;
    }
    return 0;
}

/* PORT [--bind ADDR] [--count N] [--once] [--max-clients N] [--idle S]; -1 after --help,
 * 0, or LANA_EXIT_USAGE. */
static int serve_parse(int argc, char **argv, struct serve_opts *o)
{
    const char *portarg = NULL;
    uint64_t v;
    memset(o, 0, sizeof *o);
    o->max_clients = 64;
    o->idle_ms = 30000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(help_serve, stdout);
            return -1;
        } else if (strcmp(a, "--once") == 0) {
            o->counted = true;
            o->count = 1;
            continue;
        } else if (val == NULL || a[0] != '-' || a[1] != '-') {
            if (portarg == NULL && a[0] != '-') {
                portarg = a;
                continue;
            }
            fprintf(stderr, "lana: serve: unexpected %s\n", a);
            fputs(help_serve, stderr);
            return LANA_EXIT_USAGE;
        } else if (strcmp(a, "--bind") == 0) {
            o->bind_addr = val;
        } else if (strcmp(a, "--count") == 0) {
            rc = serve_num(a, val, 0, UINT64_MAX, &o->count);
            o->counted = true;
        } else if (strcmp(a, "--max-clients") == 0) {
            rc = serve_num(a, val, 1, 1000, &o->max_clients);
        } else if (strcmp(a, "--idle") == 0) {
            rc = serve_num(a, val, 1, 86400, &v);
            o->idle_ms = v * 1000;
        } else {
            fprintf(stderr, "lana: serve: unknown option %s\n", a);
            fputs(help_serve, stderr);
            return LANA_EXIT_USAGE;
        }
        if (rc != 0)
            return rc;
        i++;
    }
    if (portarg == NULL || num_parse_u64(portarg, 0, 65535, &v, NULL) != 0) {
        fputs(help_serve, stderr);
        return LANA_EXIT_USAGE;
    }
    o->port = (uint16_t)v;
    return 0;
}

/* The exit status for a failed socket()/bind()/listen() errno. */
static int serve_listen_status(int e)
{
    switch (e) {
    case EADDRINUSE: return LANA_EXIT_CONFLICT;
    case EACCES:
    case EPERM: return LANA_EXIT_PERM;
    case EADDRNOTAVAIL: return SERVE_EXIT_UNAVAILABLE;
    default: return SERVE_EXIT_OSERR;
    }
}

/* The listening socket on the port (of --bind, or [::] with IPv4 too), non-blocking; -1 on
 * failure with *status set and the failed call named on stderr. */
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
    const char *call = "socket()";
    int lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1, zero = 0;
    if (lfd >= 0) {
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (ss.ss_family == AF_INET6 && o->bind_addr == NULL)
            setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
        call = "bind()";
        if (bind(lfd, (struct sockaddr *)&ss, sl) == 0) {
            call = "listen()";
            if (listen(lfd, SERVE_BACKLOG) == 0)
                return lfd;
        }
    }
    int e = errno;
    fprintf(stderr, "lana: cannot listen on port %u: %s: %s\n", (unsigned)o->port, call,
            strerror(e));
    if (lfd >= 0)
        close(lfd);
    *status = serve_listen_status(e);
    return -1;
}

/* Watches the listening socket exactly when another client may be accepted. */
static void serve_watch_listener(struct serve *s)
{
    bool want = s->pause_timer == 0 && s->active < s->o->max_clients &&
                (!s->o->counted || s->accepted < s->o->count);
    if (want == s->watching)
        return;
    if (ev_fd_mod(s->loop, s->lfd, want ? EV_READ : 0) == 0)
        s->watching = want;
    if (!want && s->active >= s->o->max_clients) {
        printf("at --max-clients %llu: new connections wait in the backlog (%d)\n",
               (unsigned long long)s->o->max_clients, SERVE_BACKLOG);
        fflush(stdout);
    }
}

/* Closes a client's socket, says why, frees its slot; stops the loop when the count is done. */
static void serve_close(struct serve *s, struct serve_client *c, const char *why)
{
    ev_fd_del(s->loop, c->fd, NULL);
    close(c->fd);
    printf("connection %llu: socket %d closed (%s) after echoing %llu bytes\n",
           (unsigned long long)c->n, c->fd, why, (unsigned long long)c->total);
    fflush(stdout);
    c->fd = -1;
    s->active--;
    if (s->o->counted && s->accepted >= s->o->count && s->active == 0)
        ev_stop(s->loop);
    else
        serve_watch_listener(s);
}

/* Sends what the client's buffer holds; false when the client was closed. */
static bool serve_flush(struct serve *s, struct serve_client *c)
{
    while (c->off < c->len) {
        ssize_t k = send(c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno == EINTR)
                continue;
            serve_close(s, c, strerror(errno));
            return false;
        }
        c->off += (size_t)k;
        c->total += (uint64_t)k;
        c->last_ms = mono_ms();
    }
    if (c->off == c->len)
        c->off = c->len = 0;
    if (c->eof && c->len == 0) {
        serve_close(s, c, "client closed");
        return false;
    }
    /* read while there is room, write while there is something to send */
    unsigned mask = (c->eof || c->len == SERVE_BUF ? 0 : EV_READ) | (c->len ? EV_WRITE : 0);
    ev_fd_mod(s->loop, c->fd, mask);
    return true;
}

/* A client's socket is ready: read into the free part of its buffer, then echo. */
static void serve_on_client(struct ev_loop *loop, int fd, void *arg, unsigned events)
{
    struct serve_client *c = arg;
    struct serve *s = c->s;
    (void)loop;
    (void)fd;
    if ((events & (EV_READ | EV_ERROR)) && !c->eof && c->len < SERVE_BUF) {
        if (c->off > 0) {
            memmove(c->buf, c->buf + c->off, c->len - c->off);
            c->len -= c->off;
            c->off = 0;
        }
        ssize_t k = recv(c->fd, c->buf + c->len, SERVE_BUF - c->len, 0);
        if (k > 0) {
            c->len += (size_t)k;
            c->last_ms = mono_ms();
        } else if (k == 0) {
            c->eof = true;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            serve_close(s, c, strerror(errno));
            return;
        }
    }
    serve_flush(s, c);
}

/* Takes one accepted socket into a free slot and shows it; false if it had to be closed. */
static bool serve_take(struct serve *s, int fd, const struct sockaddr_storage *peer)
{
    struct serve_client *c = NULL;
    for (uint64_t i = 0; i < s->o->max_clients && c == NULL; i++)
        if (s->cl[i].fd < 0)
            c = &s->cl[i];
    if (c == NULL || ev_fd_add(s->loop, fd, EV_READ, serve_on_client, c) != 0) {
        close(fd); /* not reached: the listener is not watched at the cap */
        return false;
    }
    struct sockaddr_storage mine = {0};
    socklen_t ml = sizeof mine;
    getsockname(fd, (struct sockaddr *)&mine, &ml);
    c->s = s;
    c->fd = fd;
    c->n = ++s->accepted;
    c->last_ms = mono_ms();
    c->total = c->off = c->len = 0;
    c->eof = false;
    s->active++;
    char mt[NET_ADDRSTRLEN], pt[NET_ADDRSTRLEN];
    printf("connection %llu: accept() → new socket %d for %s (local %s), %llu client%s\n",
           (unsigned long long)c->n, fd, cli_net_endpoint(peer, pt, sizeof pt),
           cli_net_endpoint(&mine, mt, sizeof mt), (unsigned long long)s->active,
           s->active == 1 ? "" : "s");
    fflush(stdout);
    return true;
}

/* accept() ran out of descriptors: the listener rests 200 ms (else it would spin). */
static int64_t serve_on_resume(struct ev_loop *loop, void *arg)
{
    struct serve *s = arg;
    (void)loop;
    s->pause_timer = 0;
    serve_watch_listener(s);
    return EV_NOMORE;
}

/* The listening socket is readable: accept what waits, up to the cap and the count. */
static void serve_on_listen(struct ev_loop *loop, int fd, void *arg, unsigned events)
{
    struct serve *s = arg;
    (void)events;
    for (int i = 0; i < SERVE_ACCEPT_BURST && s->watching; i++) {
        struct sockaddr_storage peer = {0};
        socklen_t pl = sizeof peer;
        int cfd = accept4(fd, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (cfd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                fprintf(stderr, "lana: accept(): %s; trying again in 200 ms\n", strerror(errno));
                int64_t id = ev_timer_add(loop, 200, serve_on_resume, s);
                s->pause_timer = id > 0 ? id : 0;
                serve_watch_listener(s);
            }
            return; /* EAGAIN, or a connection reset while it waited (ECONNABORTED) */
        }
        serve_take(s, cfd, &peer);
        serve_watch_listener(s);
    }
}

/* Once a second: closes the clients silent for --idle. */
static int64_t serve_on_tick(struct ev_loop *loop, void *arg)
{
    struct serve *s = arg;
    uint64_t now = mono_ms();
    (void)loop;
    for (uint64_t i = 0; i < s->o->max_clients; i++) {
        struct serve_client *c = &s->cl[i];
        if (c->fd >= 0 && now - c->last_ms >= s->o->idle_ms) {
            char why[48];
            int n = snprintf(why, sizeof why, "idle %llu s",
                             (unsigned long long)(s->o->idle_ms / 1000));
            serve_close(s, c, n > 0 && (size_t)n < sizeof why ? why : "idle");
        }
    }
    return 1000;
}

/* Runs the loop until a signal or the count is done; then closes every client.
 * @return 0, or 71 when the loop could not be set up or failed. */
static int serve_run(struct serve *s)
{
    int rc = SERVE_EXIT_OSERR;
    s->cl = calloc(s->o->max_clients, sizeof *s->cl);
    if (s->cl == NULL || ev_loop_new(&s->loop) != 0) {
        fprintf(stderr, "lana: serve: cannot set up the event loop\n");
        goto out;
    }
    for (uint64_t i = 0; i < s->o->max_clients; i++)
        s->cl[i].fd = -1;
    if (ev_fd_add(s->loop, s->lfd, 0, serve_on_listen, s) != 0 ||
        ev_timer_add(s->loop, 1000, serve_on_tick, s) < 0) {
        fprintf(stderr, "lana: serve: cannot set up the event loop\n");
        goto out;
    }
    serve_watch_listener(s);
    if (s->o->counted && s->o->count == 0) {
        rc = 0;
        goto out;
    }
    serve_loop_sig = s->loop;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    rc = ev_run(s->loop) == 0 ? 0 : SERVE_EXIT_OSERR;
    serve_loop_sig = NULL;
    for (uint64_t i = 0; i < s->o->max_clients; i++)
        if (s->cl[i].fd >= 0)
            serve_close(s, &s->cl[i], "server stopping");
out:
    if (s->loop != NULL)
        ev_fd_del(s->loop, s->lfd, NULL);
    ev_loop_free(s->loop);
    free(s->cl);
    return rc;
}

int cli_serve(int argc, char **argv)
{
    struct serve_opts o;
    int rc = serve_parse(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? 0 : rc;
    signal(SIGPIPE, SIG_IGN);
    int lfd = serve_listen(&o, &rc);
    if (lfd < 0)
        return rc;
    struct sockaddr_storage la = {0};
    socklen_t ll = sizeof la;
    getsockname(lfd, (struct sockaddr *)&la, &ll);
    char lt[NET_ADDRSTRLEN];
    cli_net_endpoint(&la, lt, sizeof lt);
    printf("socket() → bind() → listen(backlog %d) → accept(): listening socket %d\n",
           SERVE_BACKLOG, lfd);
    printf("listening socket %d on %s, up to %llu clients at once\n", lfd, lt,
           (unsigned long long)o.max_clients);
    fflush(stdout);
    struct serve s = {.o = &o, .lfd = lfd};
    rc = serve_run(&s);
    close(lfd);
    printf("listening socket %d closed after %llu connection%s\n", lfd,
           (unsigned long long)s.accepted, s.accepted == 1 ? "" : "s");
    fflush(stdout);
    return rc;
}
