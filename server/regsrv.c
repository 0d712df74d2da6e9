/*
 * regsrv — the registry thread (server/registry.h is its interface): the listeners, the loop,
 * the turn and its commit, and the idle sweep (the first-start bootstrap is server/regboot.c). What happens on one
 * connection is server/regconn.c; what a request does is the command table, server/cmd.c.
 *
 * A turn is one pass of the loop: every ready connection runs its complete lines, the
 * changes share one transaction, and end_turn() commits it before any reply of the turn is
 * sent, so many clients' commits cost one fsync and nobody hears "ok" for a lost change.
 * When that commit fails (a full disk), the replies of every connection that wrote are
 * replaced by error lines, one per request, and the connections stay open.
 *
 * A batch runs in slices (server/regbatch.c), one per pass, with the loop not sleeping while
 * it has work: between slices the loop serves every other connection — handshakes, and reads
 * from the reader connection. Its transaction stays open across passes; the turn's commit
 * leaves it alone, and other writers wait in env's queue (regconn.c parks them) until it ends.
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
#include <sys/eventfd.h>
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
#include "server/regtls.h"

#define SWEEP_MS 1000       /* how often idle connections are looked for */
#define ACCEPT_PAUSE_MS 100 /* out of file descriptors: listeners unwatched this long */
/* Connections accepted per wake-up: small, so that a flood accepted just after a client
 * evicts only a few before the next pass reads that client's HELLO. */
#define ACCEPT_BATCH 8
#define BATCH_TICK_MS 1000 /* how often waiting writers hear of the batch */
#define BATCH_SLICE_MS 5   /* a batch runs this long per loop pass at most */
/* A batch whose client does not read, with writers waiting behind it, is undone after this
 * long (or the idle timeout, when shorter): it holds every one of them meanwhile. */
#define BATCH_STALL_MS 5000

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
    unsigned evicted, expired, addr_full, full; /* since the last sweep, which logs them */
    /* a done batch's commit runs on a thread of its own (writing a big WAL and its fsync take
     * hundreds of milliseconds), while the loop goes on without the writer */
    struct regconn *committing; /* its batch, or NULL; env.batch stays set meanwhile */
    bool orphan;                /* its connection closed meanwhile: freed when it ends */
    pthread_t committer;
    int commit_efd; /* the committer says it is done here */
    bool stopping;  /* the loop has stopped: the last turn commits on this thread */
    int commit_rc;
    struct lana_diag commit_d;
    struct regtls *tls;  /* the TLS context every connection may start TLS from */
    int64_t kick;        /* the timer that reads TLS data already decrypted, or 0 */
    bool tls_everywhere; /* registry-tls = required: loopback connections too */
};

/* ---- connections ------------------------------------------------------------------------ */

static void conn_free_cb(void *arg)
{
    regconn_free(arg);
}

/* The head of the queue goes on once no batch runs: the writers parked before the next
 * batch in the queue are released (they become runnable); that batch begins later. */
static void release_waiting(struct registry *r)
{
    struct regconn *q;
    while (r->env.batch == NULL && (q = r->env.qhead) != NULL && q->state != RC_RUN)
        regconn_dequeue(q);
}

/* Takes c off the list of open connections. */
static void conn_unlink(struct registry *r, struct regconn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        r->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    r->nconns--;
}

/* Unlinks c and stops watching it; the loop frees it (and closes its fd) after the pass. A
 * batch it was running is undone. */
static void conn_close(struct registry *r, struct regconn *c)
{
    regguard_leave(r->env.guard, &c->guard);
    conn_unlink(r, c);
    if (c == r->committing) { /* the committer is still at work: it frees c when done */
        r->orphan = true;
        ev_fd_del(r->loop, c->fd, NULL);
        return;
    }
    if (c == r->env.batch) {
        regbatch_abort(c, "its connection closed");
        release_waiting(r);
    }
    regconn_dequeue(c);
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
    if (c->guard.silent && c->state != RC_HELLO)
        regguard_progress(c->env->guard, &c->guard);
    if (c->guard.in_handshake && c->state != RC_HELLO && c->state != RC_ACK)
        regguard_ready(c->env->guard, &c->guard);
    if (io_write || (regio_watch(&c->io, REGIO_READ) & REGIO_WRITE))
        conn_mask(loop, c);
    kick_if_pending(r, c);
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
        r->full++;
        regconn_refuse(c, RP_BUSY, "too many connections; try again later", false);
        break;
    }
    if (c->io.mode == REGIO_TLS_ONLY) {
        /* the refusal could only be said after a ClientHello: waiting for one would keep a
         * descriptor per refused connection, and a flood would run lanad out of them */
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &(struct linger){1, 0}, sizeof(struct linger));
        conn_close(r, c);
        return;
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
        conn_admit(r, c, (struct sockaddr *)&ss);
    }
}

/* ---- the turn ----------------------------------------------------------------------------- */

/* Commits the writer's transaction (a turn's, or a finished batch's). 0 or its error. */
static int commit_writer(struct registry *r, struct lana_diag *d)
{
    struct lana_diag pd;
    if (++r->turns % 1024 == 0 && zone_prune_changes(r->env.nm, &pd) != 0)
        log_warn("registry: pruning the change log: %s", pd.msg);
    int crc = store_commit(r->env.st, d);
    if (r->gen != NULL)
        commitgen_bump(r->gen);
    return crc;
}

/* Commits what the turn changed, unless a batch holds the transaction. */
static void commit_turn(struct registry *r)
{
    struct store *st = r->env.st;
    bool held = r->env.batch != NULL && r->env.batch->may_write; /* the batch's transaction */
    if (held || (!store_in_transaction(st) && !store_turn_aborted(st)))
        return;
    struct lana_diag d;
    int crc = commit_writer(r, &d);
    bool full = crc == LANA_EFULL || r->env.full;
    r->env.full = false;
    if (crc != 0)
        log_err("registry: commit failed: %s", d.msg);
    for (struct regconn *c = r->conns; c; c = c->next) {
        /* nobody may hear "ok" for a change that is not on disk: what the connections that
         * changed something this turn were to hear becomes an error, reply for reply */
        if (crc != 0)
            regconn_withdraw(c, full ? RP_FULL : RP_INTERNAL,
                             full ? REGCONN_MSG_FULL
                                  : "the change could not be committed; nothing was changed");
        c->wrote = false;
    }
}

/* The batch's summary after its commit; the writers behind it go on. */
static void batch_done(struct registry *r, struct regconn *b, int crc, const struct lana_diag *d)
{
    if (crc != 0)
        log_err("registry: %s: commit of a batch failed: %s", b->peer, d->msg);
    regbatch_finish(b, crc, d);
    release_waiting(r);
}

static void *committer_main(void *arg)
{
    struct registry *r = arg;
    r->commit_rc = store_commit(r->env.st, &r->commit_d);
    uint64_t one = 1;
    ssize_t n = write(r->commit_efd, &one, sizeof one); /* an eventfd write cannot fail here */
    (void)n;
    return NULL;
}

/*
 * Commits a done batch on the committer thread. Until it ends the writer belongs to that
 * thread: env.batch stays set, so every write is parked, the turn's commit waits, and reads
 * and handshakes use the reader. false when no thread could be started (commit here then).
 */
static bool start_commit(struct registry *r, struct regconn *b)
{
    struct lana_diag pd;
    if (++r->turns % 1024 == 0 && zone_prune_changes(r->env.nm, &pd) != 0)
        log_warn("registry: pruning the change log: %s", pd.msg);
    if (r->commit_efd < 0 || pthread_create(&r->committer, NULL, committer_main, r) != 0)
        return false;
    r->committing = b;
    return true;
}

/* Waits for the committer, then finishes its batch (or frees its orphaned connection). */
static void commit_join(struct registry *r)
{
    pthread_join(r->committer, NULL);
    struct regconn *b = r->committing;
    r->committing = NULL;
    if (r->gen != NULL)
        commitgen_bump(r->gen);
    if (r->orphan) { /* nobody to tell; its connection is gone */
        r->orphan = false;
        log_info("registry: %s: batch %s, its client gone", b->peer,
                 r->commit_rc == 0 ? "committed" : "not committed");
        r->env.batch = NULL;
        regconn_free(b);
        release_waiting(r);
        return;
    }
    batch_done(r, b, r->commit_rc, &r->commit_d);
}

static void commit_done_cb(struct ev_loop *loop, int fd, void *arg, unsigned events)
{
    struct registry *r = arg;
    uint64_t v;
    (void)events;
    ssize_t n = read(fd, &v, sizeof v);
    (void)n;
    if (r->committing != NULL) {
        commit_join(r);
        ev_skip_sleep(loop); /* the released writers and the next batch go on now */
    }
}

/* Begins the next batch when none runs, or runs a slice of the running one; a finished batch
 * is committed and its waiting writers released. Returns whether it has more work now. */
static bool batch_turn(struct registry *r, uint64_t now)
{
    struct regconn_env *e = &r->env;
    if (r->committing != NULL)
        return false;
    if (e->batch == NULL) {
        release_waiting(r);
        if (r->stopping) /* the last turn: no batch begins now */
            return false;
        if (e->qhead == NULL || !regbatch_begin(e->qhead, now))
            return false;
    }
    struct regconn *b = e->batch;
    if (b->closing) { /* nobody will hear its summary: its client is gone, or idle */
        regbatch_abort(b, "its connection is closing");
        conn_close(r, b);
        return false;
    }
    enum regbatch_step step = regbatch_step(b, now + BATCH_SLICE_MS);
    if (step != REGBATCH_DONE)
        return step == REGBATCH_MORE;
    if (b->may_write && !r->stopping && start_commit(r, b))
        return false; /* commit_done_cb finishes it */
    struct lana_diag d = {""};
    int crc = b->may_write ? commit_writer(r, &d) : 0;
    batch_done(r, b, crc, &d);
    return e->qhead != NULL; /* released writers, or the next batch */
}

/* Before the loop waits: run the lines that waited, commit the turn's changes, run a slice
 * of the batch, then send every reply. */
static void end_turn(struct ev_loop *loop, void *arg)
{
    struct registry *r = arg;
    uint64_t now = mono_ms();
    struct regconn *next;
    for (struct regconn *c = r->conns; c; c = c->next)
        if (regconn_runnable(c)) /* held by a full output or a batch, now free to go on */
            regconn_read(c, now);
    commit_turn(r);
    /* the turn's replies go out before the batch's slice, not after it */
    for (struct regconn *c = r->conns; c; c = next) {
        next = c->next;
        if (c->outlen > c->outoff || c->closing)
            conn_flush(r, c);
    }
    bool again = batch_turn(r, now);
    for (struct regconn *c = r->conns; c; c = next) {
        next = c->next;
        if (c->outlen > c->outoff || c->closing)
            conn_flush(r, c);
        else
            conn_watch(r, c);
    }
    for (struct regconn *c = r->conns; c && !again; c = c->next)
        again = regconn_runnable(c);
    if (again)
        ev_skip_sleep(loop);
}

/* Every second: the waiting writers hear how far the batch is (and are not idle: they wait
 * for us); a batch whose client has not read for the idle timeout is undone and closed. */
static int64_t batch_tick_cb(struct ev_loop *loop, void *arg)
{
    struct registry *r = arg;
    (void)loop;
    uint64_t now = mono_ms(), limit = r->cfg->registry_idle_timeout * 1000;
    if (r->env.qhead != NULL && limit > BATCH_STALL_MS)
        limit = BATCH_STALL_MS;
    struct regconn *b = r->env.batch;
    if (b != NULL && r->committing == NULL && now - b->bprogress_ms >= limit) {
        log_warn("registry: %s: a batch stuck on a client that does not read; closing", b->peer);
        regbatch_abort(b, "its client does not read its replies");
        release_waiting(r);
        conn_close(r, b);
    }
    for (struct regconn *q = r->env.qhead; q != NULL; q = q->qnext) {
        regbatch_waiting(q);
        q->last_ms = now;
    }
    return BATCH_TICK_MS;
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
    if (r->evicted + r->expired + r->addr_full + r->full > 0) {
        log_notice("registry: %u connections too slow in the handshake closed to make room, "
                   "%u past the handshake deadline, %u refused at the per-address cap, %u "
                   "refused at the cap (%u open)",
                   r->evicted, r->expired, r->addr_full, r->full, r->nconns);
        r->evicted = r->expired = r->addr_full = r->full = 0;
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
    if (r->committing != NULL) /* a batch's commit completes */
        commit_join(r);
    r->stopping = true; /* no committer thread starts any more: registry_stop closes the db */
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
        .auth_period_ms = cfg->registry_auth_window * 1000,
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
    r->commit_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    jsonw_init(&r->env.reply);
    r->tls_everywhere = strcmp(cfg->registry_tls, "required") == 0;
    int rc = regtls_new(cfg, &r->tls, d);
    if (rc == 0)
        rc = store_open(cfg->db, &r->env.st, NULL, d);
    if (rc == 0)
        rc = ipam_open(r->env.st, &r->env.ip, d);
    if (rc == 0)
        rc = names_open(r->env.st, r->env.ip, &r->env.nm, d);
    /* reads of clients that have not written in the turn, and every read while a batch
     * holds the writer, go to a read-only connection of their own */
    if (rc == 0)
        rc = store_open_reader(cfg->db, &r->env.rst, d);
    if (rc == 0)
        rc = ipam_open(r->env.rst, &r->env.rip, d);
    if (rc == 0)
        rc = names_open(r->env.rst, r->env.rip, &r->env.rnm, d);
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
    if (rc == 0 && ev_timer_add(r->loop, BATCH_TICK_MS, batch_tick_cb, r) < 0)
        rc = diag_set(d, LANA_ENOMEM, "out of memory");
    if (rc == 0 && r->commit_efd >= 0 &&
        (rc = ev_fd_add(r->loop, r->commit_efd, EV_READ, commit_done_cb, r)) != 0)
        diag_set(d, rc, "cannot watch the committer: %s", lana_strerror(rc));
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
    if (r->commit_efd >= 0) {
        if (r->loop != NULL)
            ev_fd_del(r->loop, r->commit_efd, NULL);
        close(r->commit_efd);
    }
    ev_loop_free(r->loop);
    names_close(r->env.rnm);
    ipam_close(r->env.rip);
    store_close(r->env.rst);
    names_close(r->env.nm);
    ipam_close(r->env.ip);
    store_close(r->env.st);
    jsonw_free(&r->env.reply);
    regguard_free(r->env.guard);
    regtls_free(r->tls);
    free(r);
}
