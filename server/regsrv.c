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
#include "server/regtls.h"

#define SWEEP_MS 1000 /* how often idle connections are looked for */

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
    uint64_t turns; /* turns that changed something */
    struct regtls *tls;  /* the TLS context every connection may start TLS from */
    int64_t kick;        /* the timer that reads TLS data already decrypted, or 0 */
    bool tls_everywhere; /* registry-tls = required: loopback connections too */
};

/* ---- connections ------------------------------------------------------------------------ */

static void conn_free_cb(void *arg)
{
    regconn_free(arg);
}

/* Unlinks c and stops watching it; the loop frees it (and closes its fd) after the pass. */
static void conn_close(struct registry *r, struct regconn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        r->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    r->nconns--;
    ev_fd_del(r->loop, c->fd, conn_free_cb);
}

/* Watches the fd for what the connection wants, as its stream (TLS) needs it watched. */
static void conn_mask(struct ev_loop *loop, struct regconn *c)
{
    unsigned want = regconn_want(c);
    unsigned m = regio_watch(&c->io, (want & REGCONN_WANT_READ ? REGIO_READ : 0) |
                                         (want & REGCONN_WANT_WRITE ? REGIO_WRITE : 0));
    ev_fd_mod(loop, c->fd, (m & REGIO_READ ? EV_READ : 0) | (m & REGIO_WRITE ? EV_WRITE : 0));
}

/* TLS data already decrypted (or read ahead) makes the fd no more readable: a connection
 * that stopped reading with some left is read again in a pass of its own, without waiting. */
static int64_t kick_cb(struct ev_loop *loop, void *arg)
{
    struct registry *r = arg;
    (void)loop;
    r->kick = 0;
    for (struct regconn *c = r->conns; c; c = c->next)
        if (regio_pending(&c->io) && (regconn_want(c) & REGCONN_WANT_READ))
            regconn_read(c, mono_ms());
    return EV_NOMORE;
}

static void kick_if_pending(struct registry *r, struct regconn *c)
{
    if (r->kick == 0 && regio_pending(&c->io) && (regconn_want(c) & REGCONN_WANT_READ)) {
        int64_t id = ev_timer_add(r->loop, 0, kick_cb, r);
        r->kick = id > 0 ? id : 0;
    }
}

static void conn_watch(struct registry *r, struct regconn *c)
{
    conn_mask(r->loop, c);
    kick_if_pending(r, c);
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
    struct registry *r = /* env is a member of the registry */
        (struct registry *)(void *)((char *)c->env - offsetof(struct registry, env));
    (void)fd;
    /* a TLS read may wait for write readiness (a handshake flight on a full socket) */
    bool io_write = regio_watch(&c->io, REGIO_READ) & REGIO_WRITE;
    if ((events & EV_READ) || ((events & EV_WRITE) && io_write))
        regconn_read(c, mono_ms());
    else if (events & EV_ERROR)
        c->closing = true;
    if (io_write || (regio_watch(&c->io, REGIO_READ) & REGIO_WRITE))
        conn_mask(loop, c);
    kick_if_pending(r, c);
}

static void accept_cb(struct ev_loop *loop, int lfd, void *arg, unsigned events)
{
    struct registry *r = arg;
    (void)events;
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN, or a connection that went away before we took it */
        struct regconn *c = regconn_new(&r->env, fd, (struct sockaddr *)&ss, mono_ms());
        if (c == NULL) {
            close(fd);
            continue;
        }
        struct sockaddr_storage local;
        socklen_t ll = sizeof local;
        bool tls_only = getsockname(fd, (struct sockaddr *)&local, &ll) != 0 ||
                        regtls_required((struct sockaddr *)&local, r->tls_everywhere);
        regio_secure(&c->io, regtls_ctx(r->tls), tls_only, c->peer);
        if (ev_fd_add(loop, fd, EV_READ, conn_cb, c) != 0) {
            regconn_free(c);
            continue;
        }
        c->next = r->conns;
        if (r->conns)
            r->conns->prev = c;
        r->conns = c;
        r->nconns++;
        if (r->nconns > r->cfg->registry_max_connections) {
            log_warn("registry: %s: refused, %u connections already", c->peer, r->nconns - 1);
            regconn_refuse(c, RP_BUSY, "too many connections; try again later", false);
            conn_flush(r, c);
        }
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

static int64_t sweep_cb(struct ev_loop *loop, void *arg)
{
    struct registry *r = arg;
    (void)loop;
    uint64_t now = mono_ms(), idle = r->cfg->registry_idle_timeout * 1000;
    struct regconn *next;
    for (struct regconn *c = r->conns; c; c = next) {
        next = c->next;
        if (now - c->last_ms < idle)
            continue;
        if (!c->closing) {
            log_info("registry: %s: idle, closing", c->peer);
            regconn_refuse(c, RP_BUSY, "idle for too long; closing", false);
            conn_flush(r, c);
        } else if (now - c->last_ms >= 2 * idle) {
            /* a peer that does not read its last replies keeps them unsent for ever: after a
             * second idle period the connection goes without them */
            log_info("registry: %s: not reading, closed", c->peer);
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

int registry_start(const struct srvconf *cfg, struct commitgen *gen, const int *fds, unsigned nfds,
                   struct registry **out, struct lana_diag *d)
{
    struct registry *r = calloc(1, sizeof *r);
    if (r == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    r->cfg = cfg;
    r->gen = gen;
    jsonw_init(&r->env.reply);
    r->tls_everywhere = strcmp(cfg->registry_tls, "required") == 0;
    int rc = regtls_new(cfg, &r->tls, d);
    if (rc == 0)
        rc = store_open(cfg->db, &r->env.st, NULL, d);
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
    regtls_free(r->tls);
    free(r);
}
