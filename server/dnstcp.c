/*
 * dnstcp — DNS over TCP (RFC 7766): each message has a 2-byte length prefix; a connection
 * carries many queries, pipelined ones included, answered in order. Every connection has a
 * bounded input buffer (one message, at most 2+65535 bytes) and a bounded output buffer:
 * when a client does not read its answers, reading from it pauses until they drain, so it
 * cannot make the daemon buffer without end. Connections idle longer than tcp-idle-timeout are
 * closed, and at the connection cap the least recently active one makes room for a new one
 * (RFC 7766 §6.2.3). All sockets are non-blocking: a slow client only waits for itself.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/dnsmsg.h"
#include "common/log.h"
#include "common/net.h"
#include "server/worker.h"

#define TCP_IN_INITIAL 1024

struct tcpconn {
    struct evsrc ev;
    struct tcpconn *prev, *next; /* activity list: head = least recently active */
    uint64_t last_ms;
    uint8_t *in;
    size_t inlen, incap;
    uint8_t *out;
    size_t outlen, outoff, outcap;
    uint32_t events; /* what epoll watches now */
    char peer[NET_ADDRSTRLEN];
};

static void list_remove(struct worker *w, struct tcpconn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conn_head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        w->conn_tail = c->prev;
    c->prev = c->next = NULL;
}

static void list_append(struct worker *w, struct tcpconn *c)
{
    c->prev = w->conn_tail;
    c->next = NULL;
    if (w->conn_tail)
        w->conn_tail->next = c;
    else
        w->conn_head = c;
    w->conn_tail = c;
}

static void touch(struct worker *w, struct tcpconn *c)
{
    c->last_ms = mono_ms();
    if (w->conn_tail != c) {
        list_remove(w, c);
        list_append(w, c);
    }
}

static void conn_close(struct worker *w, struct tcpconn *c)
{
    list_remove(w, c);
    close(c->ev.fd); /* also removes it from epoll */
    free(c->in);
    free(c->out);
    free(c);
    w->nconns--;
}

static void set_events(struct worker *w, struct tcpconn *c, uint32_t events)
{
    if (events == c->events)
        return;
    struct epoll_event ev = {.events = events, .data.ptr = &c->ev};
    if (epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->ev.fd, &ev) == 0)
        c->events = events;
}

void dnstcp_accept(struct worker *w, int lfd)
{
    for (int i = 0; i < 64; i++) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof peer;
        int fd = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                errno != ECONNABORTED)
                log_warn("worker %u: accept: %s", w->id, strerror(errno));
            return;
        }
        if (w->nconns >= w->max_conns && w->conn_head != NULL) {
            log_info("%s: connection cap reached, closing the least active one",
                     w->conn_head->peer);
            conn_close(w, w->conn_head);
            w->stats.tcp_closed_cap++;
        }
        struct tcpconn *c = calloc(1, sizeof *c);
        if (c == NULL || (c->in = malloc(TCP_IN_INITIAL)) == NULL) {
            free(c);
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->ev.kind = EV_TCP_CONN;
        c->ev.fd = fd;
        c->incap = TCP_IN_INITIAL;
        c->events = EPOLLIN;
        net_addr_format((struct sockaddr *)&peer, c->peer, sizeof c->peer);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &c->ev};
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            free(c->in);
            free(c);
            close(fd);
            continue;
        }
        c->last_ms = mono_ms();
        list_append(w, c);
        w->nconns++;
        w->stats.tcp_accepted++;
    }
}

/* Sends what is pending; false when the connection failed and was closed. */
static bool flush_out(struct worker *w, struct tcpconn *c)
{
    while (c->outoff < c->outlen) {
        ssize_t n = send(c->ev.fd, c->out + c->outoff, c->outlen - c->outoff,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno == EINTR)
                continue;
            conn_close(w, c);
            return false;
        }
        c->outoff += (size_t)n;
    }
    if (c->outoff == c->outlen)
        c->outoff = c->outlen = 0;
    return true;
}

static bool append_out(struct tcpconn *c, const uint8_t *msg, size_t len)
{
    if (c->outoff > 0 && c->outoff == c->outlen)
        c->outoff = c->outlen = 0;
    if (c->outlen + len + 2 > c->outcap) {
        if (c->outoff > 0) { /* compact before growing */
            memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
            c->outlen -= c->outoff;
            c->outoff = 0;
        }
        size_t cap = c->outcap ? c->outcap : 4096;
        while (cap < c->outlen + len + 2)
            cap *= 2;
        uint8_t *no = realloc(c->out, cap);
        if (no == NULL)
            return false;
        c->out = no;
        c->outcap = cap;
    }
    /* RFC 7766 §8: the length and the message go out together */
    c->out[c->outlen++] = (uint8_t)(len >> 8);
    c->out[c->outlen++] = (uint8_t)len;
    memcpy(c->out + c->outlen, msg, len);
    c->outlen += len;
    return true;
}

/* Answers every complete message in the input buffer, while output stays under the cap.
 * Returns false when the connection was closed. */
static bool process_input(struct worker *w, struct tcpconn *c)
{
    static __thread uint8_t resp[DNSMSG_MAX];
    size_t off = 0;
    bool synced = false;
    while (c->inlen - off >= 2) {
        size_t mlen = (size_t)c->in[off] << 8 | c->in[off + 1];
        if (mlen < DNSMSG_HDRLEN) {
            log_info("%s: TCP message of %zu bytes, closing", c->peer, mlen);
            conn_close(w, c);
            return false;
        }
        if (c->inlen - off < 2 + mlen)
            break;
        if (c->outlen - c->outoff > w->cfg->tcp_max_buffer)
            break; /* the client is not reading: keep the rest for later */
        if (!synced) {
            worker_sync(w);
            synced = true;
        }
        size_t rlen = worker_respond(w, c->in + off + 2, mlen, true, resp);
        w->stats.tcp_queries++;
        if (rlen > 0 && !append_out(c, resp, rlen)) {
            conn_close(w, c);
            return false;
        }
        off += 2 + mlen;
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

void dnstcp_on_event(struct worker *w, struct evsrc *ev, uint32_t events)
{
    struct tcpconn *c = (struct tcpconn *)(void *)ev;
    if (events & EPOLLERR) {
        conn_close(w, c);
        return;
    }
    if (events & EPOLLOUT) {
        if (!flush_out(w, c) || !process_input(w, c) || !flush_out(w, c))
            return;
        touch(w, c);
    }
    if (events & (EPOLLIN | EPOLLHUP)) {
        if (!ensure_in(c)) {
            conn_close(w, c);
            return;
        }
        ssize_t n = recv(c->ev.fd, c->in + c->inlen, c->incap - c->inlen, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            conn_close(w, c); /* the client closed, or the connection failed */
            return;
        }
        if (n > 0) {
            c->inlen += (size_t)n;
            touch(w, c);
            if (!process_input(w, c) || !flush_out(w, c))
                return;
        }
    }
    /* Read only while the output is under the cap; write interest only while output waits. */
    bool pending = c->outlen > c->outoff;
    bool full = c->outlen - c->outoff > w->cfg->tcp_max_buffer;
    set_events(w, c, (full ? 0 : EPOLLIN) | (pending ? EPOLLOUT : 0));
}

void dnstcp_sweep(struct worker *w, uint64_t now_ms)
{
    uint64_t idle = w->cfg->tcp_idle_timeout * 1000;
    while (w->conn_head != NULL && now_ms - w->conn_head->last_ms >= idle) {
        log_debug("%s: idle for %llu s, closing", w->conn_head->peer,
                  (unsigned long long)w->cfg->tcp_idle_timeout);
        conn_close(w, w->conn_head);
        w->stats.tcp_closed_idle++;
    }
}

void dnstcp_close_all(struct worker *w)
{
    while (w->conn_head != NULL)
        conn_close(w, w->conn_head);
}
