/*
 * regsrv — the registry thread (server/registry.h is its interface): the listeners, the loop,
 * the turn and its commit, and the idle sweep (the first-start bootstrap is server/regboot.c). What happens on one
 * connection is server/regconn.c; what a request does is the command table, server/cmd.c.
 *
 * A turn is one pass of the loop: every ready connection runs its complete lines, the
 * changes share one transaction, and end_turn() commits it before any reply of the turn is
 * sent, so many clients' commits cost one fsync and nobody hears "ok" for a lost change.
 */
#include "server/registry.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/auth.h"
#include "common/clock.h"
#include "common/ev.h"
#include "common/log.h"
#include "db/account.h"
#include "db/ipam.h"
#include "db/names.h"
#include "db/store.h"
#include "db/zone.h"
#include "server/regconn.h"
#include "server/regguard.h"

#define SWEEP_MS 1000       /* how often idle connections are looked for */
#define ACCEPT_PAUSE_MS 100 /* out of file descriptors: listeners unwatched this long */
/* Connections accepted per wake-up: small, so that a flood accepted just after a client
 * evicts only a few before the next pass reads that client's HELLO. */
#define ACCEPT_BATCH 8

struct registry {
    const struct srvconf *cfg;
    struct commitgen *gen; /* bumped after every commit: the DNS workers look for changes */
    pthread_t thread;
    bool running;
    struct ev_loop *loop;
    int *ls; /* the listening sockets */
    unsigned nls;
    struct regconn_env env;
    struct regconn *conns; /* every open connection, newest first */
    unsigned nconns;
    uint64_t turns;     /* turns that changed something */
    bool accept_paused; /* out of descriptors: the listeners wait for accept_resume() */
    bool accept_short;  /* that was logged; cleared by an accept a second after the last */
    uint64_t short_ms;  /* the last accept that failed for it */
    unsigned evicted, expired, addr_full; /* since the last sweep, which logs them */
};

/* ---- connections ------------------------------------------------------------------------ */

static void conn_free_cb(void *arg)
{
    regconn_free(arg);
}

/* Unlinks c and stops watching it; the loop frees it (and closes its fd) after the pass. */
static void conn_close(struct registry *r, struct regconn *c)
{
    regguard_leave(r->env.guard, &c->guard);
    if (c->prev)
        c->prev->next = c->next;
    else
        r->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    r->nconns--;
    ev_fd_del(r->loop, c->fd, conn_free_cb);
}

static void conn_watch(struct registry *r, struct regconn *c)
{
    unsigned want = regconn_want(c);
    ev_fd_mod(r->loop, c->fd,
              (want & REGCONN_WANT_READ ? EV_READ : 0) |
                  (want & REGCONN_WANT_WRITE ? EV_WRITE : 0));
}

/* Sends what can be sent; closes a finished connection. */
static void conn_flush(struct registry *r, struct regconn *c)
{
    if (regconn_flush(c))
        conn_close(r, c);
    else
        conn_watch(r, c);
}

/* Reads and runs requests; their replies wait for the end of the turn (write readiness
 * needs nothing here: end_turn flushes every connection with output). */
static void conn_cb(struct ev_loop *loop, int fd, void *arg, unsigned events)
{
    struct regconn *c = arg;
    (void)loop;
    (void)fd;
    if (events & EV_READ)
        regconn_read(c, mono_ms());
    else if (events & EV_ERROR)
        c->closing = true;
    if (c->guard.silent && c->state != RC_HELLO)
        regguard_progress(c->env->guard, &c->guard);
    if (c->guard.in_handshake && c->state != RC_HELLO && c->state != RC_ACK)
        regguard_ready(c->env->guard, &c->guard);
}

static struct regconn *conn_of(struct regguard_conn *gc)
{
    return (struct regconn *)(void *)((char *)gc - offsetof(struct regconn, guard));
}

/* Tells c why (if its socket takes the line now) and closes it without waiting. */
static void conn_drop(struct registry *r, struct regconn *c, enum regproto_code code,
                      const char *msg)
{
    regconn_refuse(c, code, msg, true);
    regconn_flush(c);
    conn_close(r, c);
}

/* Admits c (just linked) under regguard's caps, or closes it or the connection it evicts. */
static void conn_admit(struct registry *r, struct regconn *c, const struct sockaddr *sa)
{
    struct regguard_conn *v;
    switch (regguard_admit(r->env.guard, &c->guard, sa, mono_ms(), &v)) {
    case REGGUARD_ADMIT:
        if (v != NULL) {
            r->evicted++;
            conn_drop(r, conn_of(v), RP_BUSY, "handshake too slow; closed to make room");
        }
        return;
    case REGGUARD_ADDR_FULL:
        r->addr_full++;
        regconn_refuse(c, RP_BUSY, "too many connections from this address; try again later",
                       false);
        break;
    case REGGUARD_FULL:
        log_warn("registry: %s: refused, %u connections already", c->peer, r->nconns - 1);
        regconn_refuse(c, RP_BUSY, "too many connections; try again later", false);
        break;
    }
    conn_flush(r, c);
}

static int64_t accept_resume(struct ev_loop *loop, void *arg)
{
    struct registry *r = arg;
    for (unsigned i = 0; i < r->nls; i++)
        ev_fd_mod(loop, r->ls[i], EV_READ);
    r->accept_paused = false;
    return EV_NOMORE;
}

/*
 * accept() failed for want of descriptors or memory: the listener stays readable, so it is
 * unwatched for a while instead of being retried at once (that spun the thread), and the
 * condition is logged once until accepting works again for a second.
 */
static void accept_pause(struct registry *r, int err)
{
    r->short_ms = mono_ms();
    if (!r->accept_short) {
        log_warn("registry: cannot accept: %s; new connections wait (%u open)", strerror(err),
                 r->nconns);
        r->accept_short = true;
    }
    if (r->accept_paused || ev_timer_add(r->loop, ACCEPT_PAUSE_MS, accept_resume, r) < 0)
        return;
    for (unsigned i = 0; i < r->nls; i++)
        ev_fd_mod(r->loop, r->ls[i], 0);
    r->accept_paused = true;
}

static void accept_cb(struct ev_loop *loop, int lfd, void *arg, unsigned events)
{
    struct registry *r = arg;
    (void)events;
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                accept_pause(r, errno);
            return; /* EAGAIN, or a connection that went away before we took it */
        }
        if (r->accept_short && mono_ms() - r->short_ms >= 1000) {
            log_notice("registry: accepting connections again");
            r->accept_short = false;
        }
        struct regconn *c = regconn_new(&r->env, fd, (struct sockaddr *)&ss, mono_ms());
        if (c == NULL) {
            close(fd);
            continue;
        }
        if (ev_fd_add(loop, fd, EV_READ, conn_cb, c) != 0) {
            regconn_free(c);
            continue;
        }
        c->next = r->conns;
        if (r->conns)
            r->conns->prev = c;
        r->conns = c;
        r->nconns++;
        conn_admit(r, c, (struct sockaddr *)&ss);
    }
}

/* ---- the turn ----------------------------------------------------------------------------- */

/* Before the loop waits: commit the turn's changes, then send every reply. */
static void end_turn(struct ev_loop *loop, void *arg)
{
    struct registry *r = arg;
    (void)loop;
    struct store *st = r->env.st;
    if (store_in_transaction(st)) {
        struct lana_diag d;
        if (++r->turns % 1024 == 0 && zone_prune_changes(r->env.nm, &d) != 0)
            log_warn("registry: pruning the change log: %s", d.msg);
        int crc = store_commit(st, &d);
        if (r->gen != NULL)
            commitgen_bump(r->gen);
        if (crc != 0) {
            /* nobody may hear "ok" for a change that is not on disk: the connections that
             * changed something this turn are told and closed */
            log_err("registry: commit failed: %s", d.msg);
            for (struct regconn *c = r->conns; c; c = c->next)
                if (c->wrote)
                    regconn_refuse(c, RP_INTERNAL,
                                   "the change could not be committed; nothing was changed", true);
        }
    }
    struct regconn *next;
    for (struct regconn *c = r->conns; c; c = next) {
        next = c->next;
        c->wrote = false;
        if (c->outlen > c->outoff || c->closing)
            conn_flush(r, c);
    }
}

/* Replies sit unsent in the kernel: after an idle period, the peer is not reading them. */
static bool peer_stalled(int fd)
{
    int n = 0;
    return ioctl(fd, SIOCOUTQ, &n) == 0 && n > 0;
}

static int64_t sweep_cb(struct ev_loop *loop, void *arg)
{
    struct registry *r = arg;
    (void)loop;
    uint64_t now = mono_ms(), idle = r->cfg->registry_idle_timeout * 1000;
    struct regguard_conn *gc;
    while ((gc = regguard_expired(r->env.guard, now)) != NULL) {
        r->expired++;
        conn_drop(r, conn_of(gc), RP_HANDSHAKE, "handshake not completed in time; closing");
    }
    if (r->evicted + r->expired + r->addr_full > 0) {
        log_notice("registry: %u connections too slow in the handshake closed to make room, "
                   "%u past the handshake deadline, %u refused at the per-address cap",
                   r->evicted, r->expired, r->addr_full);
        r->evicted = r->expired = r->addr_full = 0;
    }
    struct regconn *next;
    for (struct regconn *c = r->conns; c; c = next) {
        next = c->next;
        if (now - c->last_ms < idle)
            continue;
        if (!c->closing && !peer_stalled(c->fd)) {
            log_info("registry: %s: idle, closing", c->peer);
            regconn_refuse(c, RP_BUSY, "idle for too long; closing", false);
            conn_flush(r, c);
        } else if (!c->closing || now - c->last_ms >= 2 * idle) {
            /* a peer that does not read its replies keeps them unsent for ever: with replies
             * still in the kernel after an idle period, or with the last ones after a second,
             * the connection goes without them */
            log_info("registry: %s: not reading, closed", c->peer);
            /* reset, not FIN: the unsent replies would keep it half open in the kernel */
            setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &(struct linger){1, 0},
                       sizeof(struct linger));
            conn_close(r, c);
        }
    }
    return SWEEP_MS;
}

static void *registry_main(void *arg)
{
    struct registry *r = arg;
    int rc = ev_run(r->loop);
    if (rc != 0)
        log_err("registry: the loop failed: %s", lana_strerror(rc));
    end_turn(r->loop, r); /* the last turn completes and commits */
    while (r->conns)
        conn_close(r, r->conns);
    return NULL;
}

/* The admission rules and limits of the config (server/regguard.h). */
static int guard_new(const struct srvconf *cfg, struct regguard **out)
{
    struct regguard_limits lim = {
        .max_conns = (unsigned)cfg->registry_max_connections,
        .max_handshakes =
            (unsigned)(cfg->registry_max_connections * cfg->registry_handshake_share / 100),
        .max_per_addr = (unsigned)cfg->registry_max_per_address,
        .handshake_ms = cfg->registry_handshake_timeout * 1000,
        .auth_failures = (unsigned)cfg->registry_auth_failures,
        .auth_period_ms = 60000,
        .anon_rate = (unsigned)cfg->registry_anon_read_rate,
        .anon_reply_max = (size_t)cfg->registry_anon_reply_max,
    };
    return regguard_new(&lim, out);
}

int registry_start(const struct srvconf *cfg, struct commitgen *gen, const int *fds, unsigned nfds,
                   struct registry **out, struct lana_diag *d)
{
    struct registry *r = calloc(1, sizeof *r);
    if (r == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    r->cfg = cfg;
    r->gen = gen;
    jsonw_init(&r->env.reply);
    int rc = store_open(cfg->db, &r->env.st, NULL, d);
    if (rc == 0)
        rc = ipam_open(r->env.st, &r->env.ip, d);
    if (rc == 0)
        rc = names_open(r->env.st, r->env.ip, &r->env.nm, d);
    if (rc == 0 && (rc = ev_loop_new(&r->loop)) != 0)
        diag_set(d, rc, "cannot set up the registry loop: %s", lana_strerror(rc));
    if (rc == 0 && (r->ls = calloc(nfds ? nfds : 1, sizeof *r->ls)) == NULL)
        rc = diag_set(d, LANA_ENOMEM, "out of memory");
    for (unsigned i = 0; rc == 0 && i < nfds; i++) {
        r->ls[r->nls++] = fds[i];
        if ((rc = ev_fd_add(r->loop, fds[i], EV_READ, accept_cb, r)) != 0)
            diag_set(d, rc, "cannot watch a registry listener: %s", lana_strerror(rc));
    }
    if (rc == 0 && (rc = guard_new(cfg, &r->env.guard)) != 0)
        diag_set(d, rc, "out of memory");
    if (rc == 0 && ev_timer_add(r->loop, SWEEP_MS, sweep_cb, r) < 0)
        rc = diag_set(d, LANA_ENOMEM, "out of memory");
    if (rc == 0) {
        ev_set_before_sleep(r->loop, end_turn, r);
        if (pthread_create(&r->thread, NULL, registry_main, r) != 0)
            rc = diag_set(d, LANA_EIO, "cannot start the registry thread");
        else
            r->running = true;
    }
    if (rc != 0) {
        registry_stop(r);
        return rc;
    }
    *out = r;
    return 0;
}

void registry_stop(struct registry *r)
{
    if (r == NULL)
        return;
    if (r->running) {
        ev_stop(r->loop);
        pthread_join(r->thread, NULL);
    }
    for (unsigned i = 0; i < r->nls; i++) {
        ev_fd_del(r->loop, r->ls[i], NULL);
        close(r->ls[i]);
    }
    free(r->ls);
    ev_loop_free(r->loop);
    names_close(r->env.nm);
    ipam_close(r->env.ip);
    store_close(r->env.st);
    jsonw_free(&r->env.reply);
    regguard_free(r->env.guard);
    free(r);
}
