/*
 * worker — see worker.h.
 */
#include "server/worker.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/dname.h"
#include "common/dnsmsg.h"
#include "common/ev.h"
#include "common/log.h"
#include "db/zonedb.h"
#include "server/anscache.h"
#include "server/answer.h"
#include "server/dnstcp.h"
#include "server/dnsudp.h"
#include "server/primary.h"
#include "server/tsigsrv.h"
#include "server/xfr.h"

#define SNAPSHOT_US 1000 /* how long a read snapshot may serve (worker_sync()) */

struct worker {
    unsigned id;
    pthread_t thread;
    bool started;
    int loop_rc;             /* what ev_run() returned */
    const struct srvconf *cfg;
    struct commitgen *gen;
    struct ev_loop *loop;
    struct dnsudp *udp;
    struct dnstcp *tcp;
    struct zonedb_reader *zr;
    struct anscache *cache;  /* answers that depend on their own name's records only */
    struct anscache *fcache; /* the others (negative, CNAME chains, referrals, additional) */
    int64_t change_seq;      /* the newest dnschange row this worker has acted on */
    uint8_t *ansbuf;         /* DNSMSG_MAX bytes for answer_build() */
    uint64_t last_sync_us;   /* when the database was last checked for commits */
    uint64_t seen_gen;       /* the commit generation when it was last checked */
    struct tsigsrv *tsig;    /* TSIG keys, read per signed request */
    int64_t rest_timer;      /* the timer that ends an idle worker's snapshot, or 0 */
    uint64_t cache_hits;     /* queries answered from a cache */
};

struct change_ctx {
    struct worker *w;
    bool all, any;
};

static void on_change(const uint8_t *name, void *arg)
{
    struct change_ctx *cx = arg;
    cx->any = true;
    if (name == NULL) {
        cx->all = true;
        return;
    }
    if (cx->all)
        return;
    for (const uint8_t *p = name;; p = dname_parent(p)) {
        anscache_drop_name(cx->w->cache, p, dname_len(p));
        if (p[0] == 0)
            break;
    }
}

/*
 * Checks the database for committed changes and flushes the caches when there are some.
 * A commit of the registry thread (in this process) is announced through the commit
 * generation, seen at once. For other processes (lanad zone import) SQLite is asked: that
 * costs a lock round trip, so at most once per SNAPSHOT_US: a commit by another process is
 * seen by the queries read at least that long after it.
 */
static void worker_check(struct worker *w)
{
    struct lana_diag d;
    int rc = zonedb_reader_sync(w->zr, &d);
    if (rc < 0) {
        log_warn("worker %u: %s", w->id, d.msg);
        return;
    }
    if (rc == 0)
        return;
    /* Something was committed. Answers that depend on more than their own name's records
     * (negative answers carry the SOA serial; CNAME chains, referrals, additional records)
     * are in the fragile cache and all go; plain answers go only for the names that changed
     * and their ancestors (which may have become or stopped being empty non-terminals). */
    struct change_ctx cx = {w, false, false};
    int64_t last = w->change_seq;
    rc = zonedb_changes(w->zr, w->change_seq, on_change, &cx, &last, &d);
    if (rc != 0 || cx.all) {
        anscache_flush(w->cache);
        anscache_flush(w->fcache);
    } else if (cx.any) {
        anscache_flush(w->fcache);
    }
    if (rc < 0)
        log_warn("worker %u: %s", w->id, d.msg);
    w->change_seq = last;
}

/*
 * At the start of a batch: looks for commits, then reads from one snapshot. The snapshot
 * outlives the batch: taking one costs SQLite its file locks, several system calls, as much
 * as answering a few queries, and under load a worker wakes for a dozen queries at a time.
 * It is kept while the commit generation stands still and for at most SNAPSHOT_US since the
 * last check, so a query never reads older data than before; worker_rest() lets it go.
 */
static void worker_sync(struct worker *w)
{
    uint64_t now = mono_us();
    uint64_t gen = w->gen != NULL ? commitgen_get(w->gen) : 0;
    if (gen != w->seen_gen || now - w->last_sync_us >= SNAPSHOT_US) {
        w->seen_gen = gen;
        w->last_sync_us = now;
        worker_check(w); /* ends the snapshot held, if any */
    }
    zonedb_reader_hold(w->zr);
}

static int64_t snapshot_expired(struct ev_loop *loop, void *arg)
{
    (void)loop;
    struct worker *w = arg;
    w->rest_timer = 0;
    zonedb_reader_release(w->zr);
    return EV_NOMORE;
}

/* Before the event loop waits: a snapshot is let go once it is SNAPSHOT_US old, at the
 * latest a millisecond or two after the worker went idle (a timer), so an idle worker holds
 * none and the WAL can be checkpointed. Timers run between batches, never during one. */
static void worker_rest(struct ev_loop *loop, void *arg)
{
    struct worker *w = arg;
    if (!zonedb_reader_held(w->zr))
        return;
    if (mono_us() - w->last_sync_us >= SNAPSHOT_US) {
        zonedb_reader_release(w->zr);
    } else if (w->rest_timer == 0) {
        int64_t id = ev_timer_add(loop, SNAPSHOT_US / 1000, snapshot_expired, w);
        if (id > 0)
            w->rest_timer = id;
        else
            zonedb_reader_release(w->zr); /* no timer: hold nothing across a wait */
    }
}

/* Answers one query message from peer; more is given over TCP only (NULL for UDP, where the
 * query's EDNS size or 512 limits the answer; over TCP 64 KiB, and a transfer streams its
 * messages, server/xfr.h). @return the response length in out (DNSMSG_MAX bytes), or 0 to
 * send nothing. */
static size_t respond(struct worker *w, const uint8_t *pkt, size_t len,
                      const struct sockaddr *peer, uint8_t *out, struct dnstcp_more *more)
{
    struct dnsmsg_query q;
    struct answer a;
    switch (dnsmsg_parse_query(pkt, len, &q)) {
    case DNSMSG_DROP:
        return 0;
    case DNSMSG_FORMERR:
        return answer_error(&q, pkt, len, DNS_R_FORMERR, out, DNSMSG_MAX);
    case DNSMSG_NOTIMP:
        return answer_error(&q, pkt, len, DNS_R_NOTIMP, out, DNSMSG_MAX);
    case DNSMSG_OK:
        break;
    }
    if (q.has_edns && q.edns_version > 0) /* RFC 6891 §6.1.3 */
        return answer_error(&q, pkt, len, DNS_R_BADVERS, out, DNSMSG_MAX);
    if (q.opcode == DNS_OP_NOTIFY) /* answered as a primary does (server/primary.h) */
        return primary_notify_answer(w->zr, &q, pkt, len, peer, out, DNSMSG_MAX);
    primary_query_seen(w->zr, &q, peer); /* a secondary's SOA query (server/secstate.h) */
    /* transfers: AXFR over TCP, IXFR over either (AXFR over UDP is answered NOTIMP) */
    if (q.qtype == DNS_T_IXFR || (q.qtype == DNS_T_AXFR && more != NULL))
        return xfr_answer(w->cfg->db, &w->cfg->allow_transfer, w->zr, w->tsig, &q, pkt, len,
                          peer, out, more);
    struct tsig_ctx tsig; /* a signed query: verified, and its answer signed (RFC 8945) */
    size_t refused = q.tsig_off != 0 ? tsigsrv_verify(w->tsig, &q, pkt, len, peer, &tsig, out) : 0;
    if (refused != 0)
        return refused;
    size_t limit = (more != NULL ? DNSMSG_MAX : answer_udp_limit(&q)) -
                   (q.tsig_off != 0 ? tsigsrv_space(&tsig) : 0);
    bool admits = anscache_admits(w->cache, &q);
    if (admits && (anscache_get(w->cache, &q, &a) || anscache_get(w->fcache, &q, &a))) {
        w->cache_hits++;
    } else {
        a.buf = w->ansbuf;
        if (answer_build(w->zr, &q, &a) != 0) {
            log_warn("worker %u: database read failed; answering SERVFAIL", w->id);
            return answer_error(&q, pkt, len, DNS_R_SERVFAIL, out, DNSMSG_MAX);
        }
        if (admits)
            anscache_put(anscache_is_plain(&q, &a) ? w->cache : w->fcache, &q, &a);
    }
    size_t n = answer_finish(&a, &q, pkt, out, limit);
    if (n != 0 && q.tsig_off != 0 && !tsigsrv_sign(&tsig, out, &n))
        return answer_error(&q, pkt, len, DNS_R_SERVFAIL, out, DNSMSG_MAX);
    return n;
}

static size_t respond_udp(void *ctx, const uint8_t *pkt, size_t len, bool sync,
                          const struct sockaddr *peer, uint8_t *out)
{
    if (sync)
        worker_sync(ctx);
    return respond(ctx, pkt, len, peer, out, NULL);
}

static size_t respond_tcp(void *ctx, const uint8_t *pkt, size_t len, bool sync,
                          const struct sockaddr *peer, uint8_t *out, struct dnstcp_more *more)
{
    if (sync)
        worker_sync(ctx);
    return respond(ctx, pkt, len, peer, out, more);
}

static int open_transports(struct worker *w, const struct worker_listen *ls, unsigned nls,
                           struct lana_diag *d)
{
    int rc = dnsudp_new(w->loop, respond_udp, w, &w->udp);
    if (rc == 0)
        rc = dnstcp_new(w->loop, w->cfg, respond_tcp, w, &w->tcp);
    if (rc != 0) {
        for (unsigned i = 0; i < nls; i++)
            close(ls[i].fd);
        return diag_set(d, rc, "out of memory");
    }
    unsigned i = 0;
    for (; i < nls && rc == 0; i++)
        rc = ls[i].tcp ? dnstcp_listen(w->tcp, ls[i].fd) : dnsudp_listen(w->udp, ls[i].fd);
    for (; i < nls; i++) /* after a failure, the rest is closed as promised */
        close(ls[i].fd);
    if (rc != 0)
        return diag_set(d, rc, "cannot watch a socket: %s", lana_strerror(rc));
    return 0;
}

int worker_new(unsigned id, const struct srvconf *cfg, struct commitgen *gen,
               const struct worker_listen *ls, unsigned nls, struct worker **out,
               struct lana_diag *d)
{
    int rc;
    struct worker *w = calloc(1, sizeof *w);
    if (w == NULL) {
        rc = diag_set(d, LANA_ENOMEM, "out of memory");
        for (unsigned i = 0; i < nls; i++)
            close(ls[i].fd);
        goto out;
    }
    w->id = id;
    w->cfg = cfg;
    w->gen = gen;
    if ((rc = ev_loop_new(&w->loop)) != 0) {
        diag_set(d, rc, "event loop: %s", lana_strerror(rc));
        for (unsigned i = 0; i < nls; i++)
            close(ls[i].fd);
        goto out;
    }
    if ((rc = open_transports(w, ls, nls, d)) != 0 ||
        (rc = zonedb_reader_open(cfg->db, &w->zr, d)) != 0 ||
        (rc = tsigsrv_new(cfg->db, &w->tsig, d)) != 0)
        goto out;
    /* Each worker has its share of answer-cache-mib; an eighth of it for the fragile answers
     * (negative answers, chains, referrals), which a commit anywhere empties. */
    size_t share = (size_t)(cfg->answer_cache << 20) / (cfg->workers > 0 ? cfg->workers : 1);
    w->cache = anscache_new(share - share / 8);
    w->fcache = anscache_new(share / 8);
    w->ansbuf = malloc(DNSMSG_MAX);
    if (w->cache == NULL || w->fcache == NULL || w->ansbuf == NULL) {
        rc = diag_set(d, LANA_ENOMEM, "out of memory");
        goto out;
    }
    struct lana_diag cd;
    int64_t last = 0;
    /* start from the newest change: what came before is in the database already */
    if (zonedb_changes(w->zr, -1, NULL, NULL, &last, &cd) < 0)
        last = -1;
    w->change_seq = last;
    w->seen_gen = gen != NULL ? commitgen_get(gen) : 0;
    ev_set_before_sleep(w->loop, worker_rest, w);
out:
    if (rc != 0) {
        worker_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    w->loop_rc = ev_run(w->loop);
    if (w->loop_rc != 0) {
        log_err("worker %u: event loop: %s; stopping the daemon", w->id,
                lana_strerror(w->loop_rc));
        kill(getpid(), SIGTERM);
    }
    return NULL;
}

int worker_start(struct worker *w)
{
    int rc = pthread_create(&w->thread, NULL, worker_main, w);
    if (rc != 0)
        return -rc;
    w->started = true;
    return 0;
}

int worker_stop(struct worker *w)
{
    if (w == NULL || !w->started)
        return 0;
    ev_stop(w->loop);
    pthread_join(w->thread, NULL);
    w->started = false;
    return w->loop_rc;
}

void worker_stats(const struct worker *w, struct worker_stats *out)
{
    const struct dnsudp_stats *u = dnsudp_stats(w->udp);
    const struct dnstcp_stats *t = dnstcp_stats(w->tcp);
    *out = (struct worker_stats){
        .udp_queries = u->queries,
        .tcp_queries = t->queries,
        .tcp_accepted = t->accepted,
        .tcp_closed_idle = t->closed_idle,
        .tcp_closed_cap = t->closed_cap,
        .tcp_paused = t->paused,
        .cache_bytes = worker_cache_bytes(w),
        .cache_answers = anscache_count(w->cache) + anscache_count(w->fcache),
        .cache_hits = w->cache_hits,
    };
}

size_t worker_cache_bytes(const struct worker *w)
{
    return anscache_bytes(w->cache) + anscache_bytes(w->fcache);
}

void worker_free(struct worker *w)
{
    if (w == NULL)
        return;
    worker_stop(w);
    dnstcp_free(w->tcp);
    dnsudp_free(w->udp);
    ev_loop_free(w->loop);
    zonedb_reader_close(w->zr);
    tsigsrv_free(w->tsig);
    anscache_free(w->cache);
    anscache_free(w->fcache);
    free(w->ansbuf);
    free(w);
}
