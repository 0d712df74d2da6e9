/*
 * whois — see whois.h. A connection lives through three states: reading its query line,
 * writing the answer (whatever the socket did not take at once waits in a buffer of its
 * own), and closing: after the answer the write side is shut (FIN); a client that sent more
 * than its line has the rest read and dropped until it closes too, so that the kernel never
 * answers unread bytes with a reset that could destroy the end of the answer on the client's
 * side. The whois-timeout deadline, counted from the accept, ends every state.
 */
#include "server/whois.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/ev.h"
#include "common/log.h"
#include "common/net.h"
#include "common/wbuf.h"
#include "db/regdata.h"
#include "db/store.h"
#include "server/regguard.h"
#include "server/rpsl.h"

#define SWEEP_MS 200          /* how often deadlines are looked at */
#define ACCEPT_PAUSE_MS 100   /* out of file descriptors: listeners unwatched this long */
#define ACCEPT_BATCH 64       /* connections taken per readable listener per pass */
#define ANSWER_MAX (1u << 20) /* bytes of one answer (rpsl cuts it at the last whole object) */
#define DRAIN_MAX 65536       /* bytes read and dropped per wake-up while closing */

enum wstate { W_READ, W_WRITE, W_CLOSING };

struct wconn {
    struct regguard_conn guard; /* admission, deadline, query rate (server/regguard.h) */
    struct wconn *prev, *next;
    struct whois *w;
    int fd;
    enum wstate state;
    char peer[NET_ADDRSTRLEN];
    char in[RPSL_LINE_MAX + 2]; /* the line and its CRLF */
    size_t inlen;
    uint8_t *out; /* the part of the answer the socket did not take yet */
    size_t outlen, outpos;
};

struct whois {
    const struct srvconf *cfg;
    struct ev_loop *loop;
    pthread_t thread;
    bool running, accept_paused;
    int *ls;
    unsigned nls;
    struct store *st;
    struct regdata *rd;
    struct regguard *guard;
    struct wconn *conns;
    unsigned nconns;
    uint8_t *answer; /* ANSWER_MAX bytes: the answer being written */
    /* since the last log line: connections pushed out, refused, past the deadline; queries
     * refused over the rate */
    unsigned evicted, full, expired, limited;
};

static void conn_free_cb(void *arg)
{
    struct wconn *c = arg;
    free(c->out);
    free(c);
}

static void conn_close(struct whois *w, struct wconn *c, bool reset)
{
    regguard_leave(w->guard, &c->guard);
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    w->nconns--;
    if (reset) /* reset, not FIN: nothing it should still read, and no TIME_WAIT */
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &(struct linger){1, 0}, sizeof(struct linger));
    ev_fd_del(w->loop, c->fd, conn_free_cb);
    close(c->fd);
}

/* Best effort for a connection about to close: a short answer, if the socket takes it now:
 * "%ERROR:code: ..." with msg as its detail, or (code 0) the comment "% msg". */
static void say(struct wconn *c, enum rpsl_error code, const char *msg)
{
    char buf[1024];
    struct wbuf wb;
    wbuf_init(&wb, buf, sizeof buf);
    if (code == 0)
        rpsl_comment(&wb, "%s", msg);
    else
        rpsl_error(&wb, code, "%s", msg);
    if (!wb.overflow) {
        ssize_t k = send(c->fd, buf, wb.pos, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)k;
    }
}

/*
 * Reads and drops what the client still sends. With nothing unread the socket is closed at
 * once (its FIN is out: the close sends no reset, and the client needs nothing more);
 * otherwise it waits for the client's EOF, dropping what comes.
 */
static void drain(struct whois *w, struct wconn *c)
{
    char buf[4096];
    size_t got = 0;
    while (got < DRAIN_MAX) {
        ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
            got += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN && got > 0)
            return; /* a client still talking: wait for its EOF */
        conn_close(w, c, false);
        return;
    }
}

/* The answer is out: FIN, then wait for the client's close. */
static void finish(struct whois *w, struct wconn *c)
{
    free(c->out);
    c->out = NULL;
    shutdown(c->fd, SHUT_WR);
    c->state = W_CLOSING;
    ev_fd_mod(w->loop, c->fd, EV_READ);
    drain(w, c);
}

/* Writes what is pending; finishes when all went. */
static void flush(struct whois *w, struct wconn *c)
{
    while (c->outpos < c->outlen) {
        ssize_t n =
            send(c->fd, c->out + c->outpos, c->outlen - c->outpos, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            ev_fd_mod(w->loop, c->fd, EV_WRITE);
            return;
        }
        if (n <= 0) {
            conn_close(w, c, true);
            return;
        }
        c->outpos += (size_t)n;
    }
    finish(w, c);
}

/* Sends an answer of len bytes from w->answer: at once as far as the socket takes it, the
 * rest from a copy of its own. */
static void send_answer(struct whois *w, struct wconn *c, size_t len)
{
    size_t done = 0;
    c->state = W_WRITE;
    while (done < len) {
        ssize_t n = send(c->fd, w->answer + done, len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n <= 0) {
            conn_close(w, c, true);
            return;
        }
        done += (size_t)n;
    }
    if (done < len) {
        c->out = malloc(len - done);
        if (c->out == NULL) {
            conn_close(w, c, true);
            return;
        }
        memcpy(c->out, w->answer + done, len - done);
        c->outlen = len - done;
        c->outpos = 0;
    }
    flush(w, c);
}

/* One query line (its line end taken off): the answer, or the rate's refusal. */
static void query(struct whois *w, struct wconn *c, const char *line, size_t len)
{
    struct wbuf wb;
    wbuf_init(&wb, w->answer, ANSWER_MAX);
    regguard_progress(w->guard, &c->guard);
    uint64_t wait = regguard_anon_read(w->guard, &c->guard, mono_ms());
    if (wait > 0) {
        w->limited++;
        rpsl_error(&wb, RPSL_ERR_DENIED,
                   "%s: more than %llu queries a second; try again in %llu ms", c->peer,
                   (unsigned long long)w->cfg->whois_rate, (unsigned long long)wait);
    } else {
        /* one snapshot for the whole answer (and the locks taken once) */
        struct lana_diag d;
        if (store_read_begin(w->st, &d) != 0)
            log_warn("whois: %s", d.msg); /* the statements then read on their own */
        rpsl_answer(w->rd, line, len, &wb);
        store_read_end(w->st); /* the next query sees the last commit */
        if (wb.overflow) {     /* not even an error fitted: cannot happen with ANSWER_MAX */
            wbuf_init(&wb, w->answer, ANSWER_MAX);
            rpsl_error(&wb, RPSL_ERR_INTERNAL, "the answer does not fit");
        }
    }
    send_answer(w, c, wb.pos);
}

/* Reads toward the query line; answers it once it is complete (or cut by the client's EOF). */
static void conn_read(struct whois *w, struct wconn *c)
{
    for (;;) {
        size_t room = sizeof c->in - c->inlen;
        ssize_t n = room ? recv(c->fd, c->in + c->inlen, room, MSG_DONTWAIT) : 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n < 0) {
            conn_close(w, c, true);
            return;
        }
        char *nl = memchr(c->in + c->inlen, '\n', (size_t)n);
        c->inlen += (size_t)n;
        size_t len = nl ? (size_t)(nl - c->in) : c->inlen;
        if (nl == NULL && room > 0 && n > 0)
            continue;                  /* more of the line to come */
        if (nl == NULL && room == 0) { /* the buffer is full and holds no line end */
            struct wbuf wb;
            wbuf_init(&wb, w->answer, ANSWER_MAX);
            rpsl_error(&wb, RPSL_ERR_TOO_LONG, "a query is at most %d bytes", RPSL_LINE_MAX);
            send_answer(w, c, wb.pos);
            return;
        }
        if (len == 0 && nl == NULL) { /* EOF before any query */
            conn_close(w, c, false);
            return;
        }
        if (len > 0 && c->in[len - 1] == '\r')
            len--;
        query(w, c, c->in, len);
        return;
    }
}

static void conn_cb(struct ev_loop *loop, int fd, void *arg, unsigned events)
{
    struct wconn *c = arg;
    struct whois *w = c->w;
    (void)loop;
    (void)fd;
    switch (c->state) {
    case W_READ: conn_read(w, c); break;
    case W_WRITE:
        if (events & (EV_WRITE | EV_ERROR))
            flush(w, c);
        break;
    case W_CLOSING: drain(w, c); break;
    }
}

static struct wconn *conn_of(struct regguard_conn *gc)
{
    return (struct wconn *)(void *)((char *)gc - offsetof(struct wconn, guard));
}

/* Closes c as the bounds say: a word to a client that has not asked yet, then the socket. */
static void conn_drop(struct whois *w, struct wconn *c, const char *why)
{
    if (c->state == W_READ)
        say(c, 0, why);
    conn_close(w, c, c->state != W_READ);
}

static int64_t accept_resume(struct ev_loop *loop, void *arg)
{
    struct whois *w = arg;
    for (unsigned i = 0; i < w->nls; i++)
        ev_fd_mod(loop, w->ls[i], EV_READ);
    w->accept_paused = false;
    return EV_NOMORE;
}

/* accept() failed for want of descriptors or memory: the listeners rest a while instead of
 * spinning on a readable socket. */
static void accept_pause(struct whois *w, int err)
{
    if (w->accept_paused || ev_timer_add(w->loop, ACCEPT_PAUSE_MS, accept_resume, w) < 0)
        return;
    log_warn("whois: cannot accept: %s; new connections wait (%u open)", strerror(err), w->nconns);
    for (unsigned i = 0; i < w->nls; i++)
        ev_fd_mod(w->loop, w->ls[i], 0);
    w->accept_paused = true;
}

/* Takes c in under the caps, pushing out the connection regguard names, or refuses it. */
static bool conn_admit(struct whois *w, struct wconn *c, const struct sockaddr *sa)
{
    struct regguard_conn *v = NULL;
    switch (regguard_admit(w->guard, &c->guard, sa, mono_ms(), &v)) {
    case REGGUARD_ADMIT:
        if (v != NULL) {
            w->evicted++;
            conn_drop(w, conn_of(v),
                      "Connection closed to make room: send the query as you connect.");
        }
        return true;
    case REGGUARD_ADDR_FULL:
        w->full++;
        say(c, RPSL_ERR_CONNECTIONS, "too many connections from this address; try again later");
        return false;
    case REGGUARD_FULL:
        w->full++;
        say(c, RPSL_ERR_CONNECTIONS, "too many connections; try again later");
        return false;
    }
    return false;
}

static void accept_cb(struct ev_loop *loop, int lfd, void *arg, unsigned events)
{
    struct whois *w = arg;
    (void)events;
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                accept_pause(w, errno);
            return;
        }
        struct wconn *c = calloc(1, sizeof *c);
        if (c == NULL) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->w = w;
        net_addr_format((struct sockaddr *)&ss, c->peer, sizeof c->peer);
        if (!conn_admit(w, c, (struct sockaddr *)&ss) ||
            ev_fd_add(loop, fd, EV_READ, conn_cb, c) != 0) {
            regguard_leave(w->guard, &c->guard);
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &(struct linger){1, 0}, sizeof(struct linger));
            close(fd);
            free(c);
            continue;
        }
        c->next = w->conns;
        if (w->conns)
            w->conns->prev = c;
        w->conns = c;
        w->nconns++;
        conn_read(w, c); /* the query is often there already: no wait for the next pass */
    }
}

static int64_t sweep_cb(struct ev_loop *loop, void *arg)
{
    struct whois *w = arg;
    (void)loop;
    struct regguard_conn *gc;
    char why[80];
    snprintf(why, sizeof why, "Connection closed: no query within %llu seconds.",
             (unsigned long long)w->cfg->whois_timeout);
    while ((gc = regguard_expired(w->guard, mono_ms())) != NULL) {
        w->expired++;
        conn_drop(w, conn_of(gc), why);
    }
    return SWEEP_MS;
}

/* The counts of the bounds at work, once a minute at most. */
static int64_t report_cb(struct ev_loop *loop, void *arg)
{
    struct whois *w = arg;
    (void)loop;
    if (w->evicted + w->full + w->expired + w->limited > 0) {
        log_notice("whois: %u connections pushed out to make room, %u refused at a cap, %u "
                   "past the deadline, %u queries over the rate (%u open)",
                   w->evicted, w->full, w->expired, w->limited, w->nconns);
        w->evicted = w->full = w->expired = w->limited = 0;
    }
    return 60000;
}

static void *whois_main(void *arg)
{
    struct whois *w = arg;
    int rc = ev_run(w->loop);
    if (rc != 0)
        log_err("whois: the loop failed: %s", lana_strerror(rc));
    while (w->conns)
        conn_close(w, w->conns, true);
    return NULL;
}

int whois_start(const struct srvconf *cfg, const int *fds, unsigned nfds, struct whois **out,
                struct lana_diag *d)
{
    struct whois *w = calloc(1, sizeof *w);
    int rc = 0;
    *out = NULL;
    if (w == NULL || (w->ls = calloc(nfds ? nfds : 1, sizeof *w->ls)) == NULL ||
        (w->answer = malloc(ANSWER_MAX)) == NULL) {
        if (w != NULL) {
            free(w->ls);
            free(w);
        }
        for (unsigned i = 0; i < nfds; i++)
            close(fds[i]);
        return diag_set(d, LANA_ENOMEM, "out of memory");
    }
    w->cfg = cfg;
    for (unsigned i = 0; i < nfds; i++)
        w->ls[w->nls++] = fds[i];
    struct regguard_limits lim = {
        .max_conns = (unsigned)cfg->whois_max_connections,
        .max_handshakes = (unsigned)cfg->whois_max_connections, /* every one, until it closes */
        .max_per_addr = (unsigned)cfg->whois_max_per_address,
        .handshake_ms = cfg->whois_timeout * 1000,
        .anon_rate = (unsigned)cfg->whois_rate,
    };
    if ((rc = store_open_reader(cfg->db, &w->st, d)) == 0)
        rc = regdata_open(w->st, &w->rd, d);
    if (rc == 0 && regguard_new(&lim, &w->guard) != 0)
        rc = diag_set(d, LANA_ENOMEM, "out of memory");
    if (rc == 0 && (rc = ev_loop_new(&w->loop)) != 0)
        diag_set(d, rc, "cannot set up the whois loop: %s", lana_strerror(rc));
    for (unsigned i = 0; rc == 0 && i < w->nls; i++)
        if ((rc = ev_fd_add(w->loop, w->ls[i], EV_READ, accept_cb, w)) != 0)
            diag_set(d, rc, "cannot watch a whois listener: %s", lana_strerror(rc));
    if (rc == 0 && (ev_timer_add(w->loop, SWEEP_MS, sweep_cb, w) < 0 ||
                    ev_timer_add(w->loop, 60000, report_cb, w) < 0))
        rc = diag_set(d, LANA_ENOMEM, "out of memory");
    if (rc == 0) {
        if (pthread_create(&w->thread, NULL, whois_main, w) != 0)
            rc = diag_set(d, LANA_EIO, "cannot start the whois thread");
        else
            w->running = true;
    }
    if (rc != 0) {
        whois_stop(w);
        return rc;
    }
    *out = w;
    return 0;
}

void whois_stop(struct whois *w)
{
    if (w == NULL)
        return;
    if (w->running) {
        ev_stop(w->loop);
        pthread_join(w->thread, NULL);
    }
    for (unsigned i = 0; i < w->nls; i++) {
        if (w->loop != NULL)
            ev_fd_del(w->loop, w->ls[i], NULL);
        close(w->ls[i]);
    }
    free(w->ls);
    ev_loop_free(w->loop);
    regdata_close(w->rd);
    store_close(w->st);
    regguard_free(w->guard);
    free(w->answer);
    free(w);
}
