/*
 * dnstcp — see dnstcp.h. Every connection has a bounded input buffer (one message, at most
 * 2+65535 bytes) and a growing output buffer: when a client does not read its answers and the
 * unsent bytes pass tcp-max-buffer, reading from it stops until they drain, so it cannot make
 * the daemon buffer without end. Connections sit on an activity list, least recently active
 * first, which the idle sweep and the cap take from. All sockets are non-blocking: a slow
 * client only waits for itself.
 */
#include "server/dnstcp.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/conf.h"
#include "common/dnsmsg.h"
#include "common/err.h"
#include "common/log.h"
#include "common/net.h"

#define TCP_IN_INITIAL 1024
#define TCP_ACCEPT_BATCH 64 /* connections accepted per wake-up */
#define TCP_SOCKS_MAX CONF_LIST_MAX /* one listener per DNS endpoint */
#define TCP_STREAM_ROUNDS 4 /* output buffers of a stream sent per wake-up */
/* bytes of a stream's messages copied to the output before they are sent (less when
 * tcp-max-buffer is): below malloc's mmap threshold, so the buffer reuses memory instead
 * of mapping fresh pages (a page fault every 4 KiB) for every transfer */
#define TCP_STREAM_BATCH 65536
#define TCP_ACCEPT_PAUSE_MS 100 /* out of file descriptors: listeners unwatched this long */
#define TCP_GATHER_MSGS 64 /* messages of a stream handed to one sendmsg at most */
#define TCP_GATHER_IOV (1 + TCP_GATHER_MSGS * (1 + DNSTCP_PIECES))

struct tcpconn {
    struct dnstcp *t;
    int fd;                      /* -1 once closed (the memory lives until the pass ends) */
    struct tcpconn *prev, *next; /* activity list: head = least recently active */
    uint64_t last_ms;
    uint8_t *in;
    size_t inlen, incap;
    uint8_t *out;
    size_t outlen, outoff, outcap;
    unsigned mask; /* what the loop watches now */
    bool eof;      /* the client shut its sending side: answer what came, then close */
    bool blocked;  /* the last gathered send found the socket full: wait for EV_WRITE */
    struct dnstcp_more more; /* the stream being sent; the queries after it wait */
    struct sockaddr_storage addr;
    char peer[NET_ADDRSTRLEN];
};

/* What one gathered send is made of: the pending output, then per message its length prefix
 * and its pieces (dnstcp_peek_cb). */
struct gather {
    struct iovec iov[TCP_GATHER_IOV];
    uint8_t prefix[TCP_GATHER_MSGS][2];
    uint8_t head[TCP_GATHER_MSGS][DNSTCP_HEAD_MAX];
    unsigned first[TCP_GATHER_MSGS + 1]; /* message k's prefix is iov[first[k]] */
    size_t bytes[TCP_GATHER_MSGS];       /* and its bytes, prefix included */
};

struct dnstcp {
    struct ev_loop *loop;
    const struct srvconf *cfg;
    dnstcp_respond_cb *respond;
    void *ctx;
    int64_t sweep_id;
    int lfds[TCP_SOCKS_MAX];
    unsigned nlfds;
    struct tcpconn *head, *tail;
    unsigned nconns, max_conns;
    uint8_t *resp; /* DNSMSG_MAX bytes: the answer being framed */
    struct gather *g; /* a stream's messages shown in place, for one sendmsg (send_gathered) */
    int64_t pause_id; /* the timer that watches the listeners again, while paused */
    bool accept_short; /* out of descriptors was logged; cleared by an accept a second later */
    uint64_t short_ms; /* the last accept that failed for it */
    struct dnstcp_stats stats;
};

static void list_remove(struct dnstcp *t, struct tcpconn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        t->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        t->tail = c->prev;
    c->prev = c->next = NULL;
}

static void list_append(struct dnstcp *t, struct tcpconn *c)
{
    c->prev = t->tail;
    c->next = NULL;
    if (t->tail)
        t->tail->next = c;
    else
        t->head = c;
    t->tail = c;
}

static void touch(struct dnstcp *t, struct tcpconn *c)
{
    c->last_ms = mono_ms();
    if (t->tail != c) {
        list_remove(t, c);
        list_append(t, c);
    }
}

static void conn_free(void *arg)
{
    struct tcpconn *c = arg;
    if (c->more.next != NULL)
        c->more.free(c->more.stream);
    free(c->in);
    free(c->out);
    free(c);
}

/* Closes at once; the loop frees the memory after the current pass (at once outside one). */
static void conn_close(struct dnstcp *t, struct tcpconn *c)
{
    list_remove(t, c);
    int fd = c->fd;
    c->fd = -1;
    t->nconns--;
    ev_fd_del(t->loop, fd, conn_free);
    close(fd);
}

/* Read only while the output is under the cap; write interest only while output waits. */
static void update_mask(struct dnstcp *t, struct tcpconn *c)
{
    bool pending = c->outlen > c->outoff || c->more.next != NULL;
    bool full = c->outlen - c->outoff > t->cfg->tcp_max_buffer;
    unsigned mask = (full || c->eof ? 0 : EV_READ) | (pending ? EV_WRITE : 0);
    if (mask == c->mask)
        return;
    if (full && (c->mask & EV_READ)) {
        t->stats.paused++;
        log_info("%s: paused reading: output over cap (%zu bytes unsent)", c->peer,
                 c->outlen - c->outoff);
    }
    if (ev_fd_mod(t->loop, c->fd, mask) == 0)
        c->mask = mask;
}

/* Sends what is pending; false when the connection failed and was closed. */
static bool flush_out(struct dnstcp *t, struct tcpconn *c)
{
    while (c->outoff < c->outlen) {
        ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break; /* the client's window is full: wait for EV_WRITE */
            if (errno == EINTR)
                continue;
            conn_close(t, c);
            return false;
        }
        c->outoff += (size_t)n;
    }
    if (c->outoff == c->outlen)
        c->outoff = c->outlen = 0;
    return true;
}

/* Room for len more bytes of output: compacts, or grows the buffer. */
static bool out_room(struct tcpconn *c, size_t len)
{
    if (c->outoff > 0 && c->outoff == c->outlen)
        c->outoff = c->outlen = 0;
    if (c->outlen + len > c->outcap) {
        if (c->outoff > 0) { /* compact before growing */
            memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
            c->outlen -= c->outoff;
            c->outoff = 0;
        }
        size_t cap = c->outcap ? c->outcap : 4096;
        while (cap < c->outlen + len)
            cap *= 2;
        uint8_t *no = realloc(c->out, cap);
        if (no == NULL)
            return false;
        c->out = no;
        c->outcap = cap;
    }
    return true;
}

static bool append_out(struct tcpconn *c, const uint8_t *msg, size_t len)
{
    if (!out_room(c, len + 2))
        return false;
    /* RFC 7766 §8: the length and the message go out together */
    c->out[c->outlen++] = (uint8_t)(len >> 8);
    c->out[c->outlen++] = (uint8_t)len;
    memcpy(c->out + c->outlen, msg, len);
    c->outlen += len;
    return true;
}

/* Copies the bytes of the n pieces from byte skip on into the output: the rest of a message
 * the socket took part of. */
static bool append_rest(struct tcpconn *c, const struct iovec *iov, unsigned n, size_t skip)
{
    for (unsigned i = 0; i < n; i++) {
        size_t len = iov[i].iov_len;
        if (skip >= len) {
            skip -= len;
            continue;
        }
        if (!out_room(c, len - skip))
            return false;
        memcpy(c->out + c->outlen, (const uint8_t *)iov[i].iov_base + skip, len - skip);
        c->outlen += len - skip;
        skip = 0;
    }
    return true;
}

/*
 * One sendmsg of the pending output and of the stream's next messages as it shows them in
 * place (dnstcp_peek_cb), up to tcp-max-buffer bytes (one message at least). The messages
 * the socket took whole are taken from the stream; of one it took a part of, the rest is
 * copied to the output buffer and the message taken too; the others stay in the stream for
 * the next send. c->blocked tells that the socket did not take everything.
 * @return 1 after a send, 0 when the stream showed no message (next() gives the next one),
 * -1 when the connection was closed (it failed, a message was malformed, or no memory).
 */
static int send_gathered(struct dnstcp *t, struct tcpconn *c)
{
    struct gather *g = t->g;
    size_t pending = c->outlen - c->outoff, offered = pending;
    unsigned niov = 0, k = 0;
    if (pending > 0)
        g->iov[niov++] = (struct iovec){c->out + c->outoff, pending};
    while (k < TCP_GATHER_MSGS && (k == 0 || offered < t->cfg->tcp_max_buffer)) {
        struct iovec *piece = &g->iov[niov + 1];
        unsigned np = c->more.peek(c->more.stream, k, g->head[k], piece);
        if (np == 0)
            break;
        size_t mlen = 0;
        for (unsigned i = 0; i < np && np <= DNSTCP_PIECES; i++)
            mlen += piece[i].iov_len;
        if (np > DNSTCP_PIECES || mlen < DNSMSG_HDRLEN || mlen > 0xffff) {
            log_warn("%s: a stream showed a malformed message, closing", c->peer);
            conn_close(t, c);
            return -1;
        }
        g->prefix[k][0] = (uint8_t)(mlen >> 8);
        g->prefix[k][1] = (uint8_t)mlen;
        g->iov[niov] = (struct iovec){g->prefix[k], 2};
        g->first[k] = niov;
        g->bytes[k] = 2 + mlen;
        niov += 1 + np;
        offered += 2 + mlen;
        k++;
    }
    if (k == 0)
        return 0;
    g->first[k] = niov;
    struct msghdr mh = {.msg_iov = g->iov, .msg_iovlen = niov};
    ssize_t n;
    do
        n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            conn_close(t, c);
            return -1;
        }
        n = 0;
    }
    size_t left = (size_t)n;
    c->blocked = left < offered;
    if (left < pending) {
        c->outoff += left;
        return 1;
    }
    left -= pending;
    c->outoff = c->outlen = 0;
    unsigned taken = 0;
    while (taken < k && left >= g->bytes[taken])
        left -= g->bytes[taken++];
    if (taken < k && left > 0) { /* a message cut short: its rest waits in the output */
        if (!append_rest(c, &g->iov[g->first[taken]], g->first[taken + 1] - g->first[taken],
                         left)) {
            conn_close(t, c);
            return -1;
        }
        taken++;
    }
    if (taken > 0)
        c->more.skip(c->more.stream, taken);
    return 1;
}

/* Pulls the stream's messages while the output stays under TCP_STREAM_BATCH and the cap; at
 * its end the stream is freed. Messages the stream shows in place go out instead by one
 * gathered send per call (serve() calls again while the socket takes them). Returns false
 * when the connection was closed (the stream failed, or no memory). */
static bool pump_stream(struct dnstcp *t, struct tcpconn *c)
{
    size_t batch = t->cfg->tcp_max_buffer < TCP_STREAM_BATCH ? t->cfg->tcp_max_buffer
                                                              : TCP_STREAM_BATCH;
    while (c->more.next != NULL && c->outlen - c->outoff <= batch) {
        if (c->more.peek != NULL) {
            int sent = send_gathered(t, c);
            if (sent < 0)
                return false;
            if (sent > 0)
                break;
        }
        long n = c->more.next(c->more.stream, t->resp);
        if (n == 0) {
            c->more.free(c->more.stream);
            c->more = (struct dnstcp_more){0};
            break;
        }
        if (n < 0 || !append_out(c, t->resp, (size_t)n)) {
            conn_close(t, c); /* conn_free frees the stream */
            return false;
        }
    }
    return true;
}

/* Answers every complete message in the input buffer, while output stays under the cap and
 * no stream is being sent. Returns false when the connection was closed. */
static bool process_input(struct dnstcp *t, struct tcpconn *c)
{
    size_t off = 0;
    bool sync = true;
    if (!pump_stream(t, c))
        return false;
    while (c->more.next == NULL && c->inlen - off >= 2) {
        size_t mlen = (size_t)c->in[off] << 8 | c->in[off + 1];
        if (mlen < DNSMSG_HDRLEN) {
            log_info("%s: TCP message of %zu bytes, closing", c->peer, mlen);
            conn_close(t, c);
            return false;
        }
        if (c->inlen - off < 2 + mlen)
            break;
        if (c->outlen - c->outoff > t->cfg->tcp_max_buffer)
            break; /* the client is not reading: keep the rest for later */
        struct dnstcp_more more = {0};
        size_t rlen = t->respond(t->ctx, c->in + off + 2, mlen, sync,
                                 (const struct sockaddr *)&c->addr, t->resp, &more);
        sync = false;
        t->stats.queries++;
        off += 2 + mlen;
        if (rlen > 0 && more.next != NULL) {
            c->more = more;
            t->stats.streams++;
        } else if (more.next != NULL) {
            more.free(more.stream); /* no response, no stream */
        }
        if ((rlen > 0 && !append_out(c, t->resp, rlen)) || !pump_stream(t, c)) {
            if (c->fd >= 0)
                conn_close(t, c);
            return false;
        }
    }
    if (off > 0) {
        memmove(c->in, c->in + off, c->inlen - off);
        c->inlen -= off;
    }
    return true;
}

/* Makes room in the input buffer for the message being received (at most 2+65535). */
static bool ensure_in(struct tcpconn *c)
{
    size_t need = c->inlen >= 2 ? 2 + ((size_t)c->in[0] << 8 | c->in[1]) : 2;
    if (need <= c->incap && c->inlen < c->incap)
        return true;
    size_t cap = c->incap;
    while (cap < need || cap <= c->inlen)
        cap *= 2;
    if (cap > 2 + DNSMSG_MAX)
        cap = 2 + DNSMSG_MAX;
    if (cap <= c->inlen)
        return true; /* full: the message in it is complete, processing will drain it */
    uint8_t *ni = realloc(c->in, cap);
    if (ni == NULL)
        return false;
    c->in = ni;
    c->incap = cap;
    return true;
}

/* Whether the input holds a complete message (or a length prefix too short to be one). */
static bool has_message(const struct tcpconn *c)
{
    if (c->inlen < 2)
        return false;
    size_t mlen = (size_t)c->in[0] << 8 | c->in[1];
    return mlen < DNSMSG_HDRLEN || c->inlen >= 2 + mlen;
}

/* Answers and sends; again while sending emptied the output and complete queries wait, since
 * queries held back by the output cap must not wait for input that may never come. A stream
 * gets a few rounds per call, then the loop's other connections have their turn (its write
 * interest brings it back). Returns false when the connection was closed. */
static bool serve(struct dnstcp *t, struct tcpconn *c)
{
    unsigned rounds = 0;
    c->blocked = false;
    do {
        if (!process_input(t, c) || !flush_out(t, c))
            return false;
    } while (c->outlen == 0 && !c->blocked &&
             (c->more.next != NULL ? ++rounds < TCP_STREAM_ROUNDS : has_message(c)));
    return true;
}

/* After the client's end of stream: closes once every answer it asked for has gone out (a
 * partial message left over is never completed). Returns false when it closed. */
static bool finish_if_done(struct dnstcp *t, struct tcpconn *c)
{
    if (!c->eof || c->outlen > c->outoff || has_message(c) || c->more.next != NULL)
        return true;
    conn_close(t, c);
    return false;
}

static void on_conn(struct ev_loop *loop, int fd, void *arg, unsigned events)
{
    (void)loop;
    struct tcpconn *c = arg;
    struct dnstcp *t = c->t;
    if (events & EV_ERROR) {
        conn_close(t, c);
        return;
    }
    if (events & EV_WRITE) {
        if (!flush_out(t, c) || !serve(t, c) || !finish_if_done(t, c))
            return;
        touch(t, c);
    }
    if ((events & EV_READ) && !c->eof) {
        if (!ensure_in(c)) {
            conn_close(t, c);
            return;
        }
        /* A buffer still full holds complete messages held back by the output cap (then
         * reading is paused): nothing to read into, and a recv of 0 bytes would look like
         * the end of the stream. */
        if (c->inlen == c->incap)
            goto out;
        ssize_t n = recv(fd, c->in + c->inlen, c->incap - c->inlen, MSG_DONTWAIT);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            conn_close(t, c); /* the connection failed */
            return;
        }
        if (n == 0) { /* a half-close (RFC 7766 §6.2.4 lets a client send, then shut down) */
            c->eof = true;
            if (!serve(t, c) || !finish_if_done(t, c))
                return;
        }
        if (n > 0) {
            c->inlen += (size_t)n;
            touch(t, c);
            if (!serve(t, c))
                return;
        }
    }
out:
    update_mask(t, c);
}

/* Takes a new connection; at the cap the least recently active one makes room. */
static void conn_open(struct dnstcp *t, int fd, const struct sockaddr_storage *peer)
{
    if (t->nconns >= t->max_conns && t->head != NULL) {
        log_info("%s: connection cap reached, closing the least active one", t->head->peer);
        /* its event may be later in this pass: the loop drops it, and frees after the pass */
        conn_close(t, t->head);
        t->stats.closed_cap++;
    }
    struct tcpconn *c = calloc(1, sizeof *c);
    if (c == NULL || (c->in = malloc(TCP_IN_INITIAL)) == NULL) {
        free(c);
        close(fd);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->t = t;
    c->fd = fd;
    c->incap = TCP_IN_INITIAL;
    c->mask = EV_READ;
    c->addr = *peer;
    net_addr_format((const struct sockaddr *)peer, c->peer, sizeof c->peer);
    if (ev_fd_add(t->loop, fd, EV_READ, on_conn, c) != 0) {
        conn_free(c);
        close(fd);
        return;
    }
    c->last_ms = mono_ms();
    list_append(t, c);
    t->nconns++;
    t->stats.accepted++;
}

static int64_t on_resume(struct ev_loop *loop, void *arg)
{
    struct dnstcp *t = arg;
    for (unsigned i = 0; i < t->nlfds; i++)
        ev_fd_mod(loop, t->lfds[i], EV_READ);
    t->pause_id = 0;
    return EV_NOMORE;
}

/*
 * accept() failed for want of descriptors or memory: the connection stays queued and the
 * listener readable, so retrying at once would spin; the listeners are unwatched for a
 * while instead, and the condition is logged once until accepting works again for a second.
 */
static void accept_pause(struct dnstcp *t, int err)
{
    t->short_ms = mono_ms();
    if (!t->accept_short) {
        log_warn("tcp: cannot accept: %s; new connections wait (%u open)", strerror(err),
                 t->nconns);
        t->accept_short = true;
    }
    if (t->pause_id > 0)
        return;
    int64_t id = ev_timer_add(t->loop, TCP_ACCEPT_PAUSE_MS, on_resume, t);
    if (id < 0)
        return;
    t->pause_id = id;
    for (unsigned i = 0; i < t->nlfds; i++)
        ev_fd_mod(t->loop, t->lfds[i], 0);
}

static void on_listener(struct ev_loop *loop, int lfd, void *arg, unsigned events)
{
    (void)loop;
    (void)events;
    struct dnstcp *t = arg;
    for (int i = 0; i < TCP_ACCEPT_BATCH; i++) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof peer;
        int fd = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                accept_pause(t, errno);
            else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                     errno != ECONNABORTED)
                log_warn("accept: %s", strerror(errno));
            return;
        }
        if (t->accept_short && mono_ms() - t->short_ms >= 1000) {
            log_notice("tcp: accepting connections again");
            t->accept_short = false;
        }
        conn_open(t, fd, &peer);
    }
}

/* Closes connections idle longer than tcp-idle-timeout; runs once a second. */
static int64_t on_sweep(struct ev_loop *loop, void *arg)
{
    (void)loop;
    struct dnstcp *t = arg;
    uint64_t now = mono_ms(), idle = t->cfg->tcp_idle_timeout * 1000;
    while (t->head != NULL && now - t->head->last_ms >= idle) {
        log_debug("%s: idle for %llu s, closing", t->head->peer,
                  (unsigned long long)t->cfg->tcp_idle_timeout);
        conn_close(t, t->head);
        t->stats.closed_idle++;
    }
    return 1000;
}

int dnstcp_new(struct ev_loop *loop, const struct srvconf *cfg, dnstcp_respond_cb *respond,
               void *ctx, struct dnstcp **out)
{
    struct dnstcp *t = calloc(1, sizeof *t);
    if (t == NULL)
        return LANA_ENOMEM;
    t->loop = loop;
    t->cfg = cfg;
    t->respond = respond;
    t->ctx = ctx;
    t->max_conns = (unsigned)(cfg->tcp_max_connections / (cfg->workers ? cfg->workers : 1));
    if (t->max_conns == 0)
        t->max_conns = 1;
    t->resp = malloc(DNSMSG_MAX);
    t->g = malloc(sizeof *t->g);
    t->sweep_id = ev_timer_add(loop, 1000, on_sweep, t);
    if (t->resp == NULL || t->g == NULL || t->sweep_id < 0) {
        t->sweep_id = 0;
        dnstcp_free(t);
        return LANA_ENOMEM;
    }
    *out = t;
    return 0;
}

int dnstcp_listen(struct dnstcp *t, int fd)
{
    int rc = t->nlfds < TCP_SOCKS_MAX ? ev_fd_add(t->loop, fd, EV_READ, on_listener, t)
                                      : LANA_ENOMEM;
    if (rc != 0) {
        close(fd);
        return rc;
    }
    t->lfds[t->nlfds++] = fd;
    return 0;
}

const struct dnstcp_stats *dnstcp_stats(const struct dnstcp *t)
{
    return &t->stats;
}

unsigned dnstcp_count(const struct dnstcp *t)
{
    return t->nconns;
}

void dnstcp_free(struct dnstcp *t)
{
    if (t == NULL)
        return;
    while (t->head != NULL)
        conn_close(t, t->head);
    for (unsigned i = 0; i < t->nlfds; i++) {
        ev_fd_del(t->loop, t->lfds[i], NULL);
        close(t->lfds[i]);
    }
    if (t->sweep_id > 0)
        ev_timer_del(t->loop, t->sweep_id);
    if (t->pause_id > 0)
        ev_timer_del(t->loop, t->pause_id);
    free(t->resp);
    free(t->g);
    free(t);
}
