/*
 * worker — see worker.h.
 */
#include "server/worker.h"

#include "common/clock.h"
#include "common/dname.h"

#include <stdatomic.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"
#include "server/anscache.h"
#include "server/answer.h"

int worker_init(struct worker *w, unsigned id, const struct srvconf *cfg, const char *db_path,
                struct listener *ls, unsigned nls, struct lana_diag *d)
{
    int rc;
    memset(w, 0, sizeof *w);
    w->id = id;
    w->cfg = cfg;
    w->ls = ls;
    w->nls = nls;
    w->epfd = -1;
    w->stop.fd = -1;
    w->stop.kind = EV_STOP;
    w->max_conns = (unsigned)(cfg->tcp_max_connections / cfg->workers);
    if (w->max_conns == 0)
        w->max_conns = 1;
    if ((rc = zonedb_reader_open(db_path, &w->zr, d)) != 0)
        return rc;
    w->cache = anscache_new(cfg->answer_cache);
    w->fcache = anscache_new(cfg->answer_cache);
    struct lana_diag cd;
    int64_t last = 0;
    /* start from the newest change: what came before is in the database already */
    if (zonedb_changes(w->zr, -1, NULL, NULL, &last, &cd) < 0)
        last = -1;
    w->change_seq = last;
    w->ansbuf = malloc(DNSMSG_MAX);
    w->udp = dnsudp_new();
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->stop.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (w->cache == NULL || w->fcache == NULL || w->ansbuf == NULL || w->udp == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    if (w->epfd < 0 || w->stop.fd < 0)
        return diag_set(d, -errno, "epoll/eventfd: %s", strerror(errno));
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &w->stop};
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->stop.fd, &ev) != 0)
        return diag_set(d, -errno, "epoll_ctl: %s", strerror(errno));
    for (unsigned i = 0; i < nls; i++) {
        ev.events = EPOLLIN;
        ev.data.ptr = &ls[i].ev;
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, ls[i].ev.fd, &ev) != 0)
            return diag_set(d, -errno, "epoll_ctl: %s", strerror(errno));
    }
    return 0;
}

_Atomic uint64_t worker_commit_gen;

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
 * Whether a canonical answer depends only on the records of its own name and type: NOERROR,
 * authoritative, answers all owned by the question name (a pointer to it) and of its type,
 * nothing in the authority or additional sections.
 */
static bool plain_answer(const struct dnsmsg_query *q, const struct answer *a)
{
    const uint8_t *m = a->buf;
    size_t len = a->len;
    if (len < 12 || (m[3] & 0x0f) != 0 || !(m[2] & 0x04))
        return false;
    unsigned an = (unsigned)m[6] << 8 | m[7], ns = (unsigned)m[8] << 8 | m[9];
    if (an == 0 || ns != 0 || a->add_count != 0 || a->glue_needed)
        return false;
    size_t p = 12 + q->qname_len + 4;
    for (unsigned i = 0; i < an; i++) {
        if (p + 12 > len || m[p] != 0xc0 || m[p + 1] != 0x0c ||
            ((unsigned)m[p + 2] << 8 | m[p + 3]) != q->qtype)
            return false;
        p += 12 + ((size_t)m[p + 10] << 8 | m[p + 11]);
    }
    return p <= len;
}

void worker_sync(struct worker *w)
{
    struct lana_diag d;
    /* A commit of the registry thread (in this process) is announced through
     * worker_commit_gen, seen at once. For other processes (lanad zone import) SQLite is
     * asked: that costs a lock round trip, so at most once per millisecond. */
    uint64_t now = mono_us();
    uint64_t gen = atomic_load_explicit(&worker_commit_gen, memory_order_acquire);
    if (gen == w->seen_gen && now - w->last_sync_us < 1000)
        return;
    w->seen_gen = gen;
    w->last_sync_us = now;
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

size_t worker_respond(struct worker *w, const uint8_t *pkt, size_t len, bool tcp, uint8_t *out)
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
    size_t limit = tcp ? DNSMSG_MAX : answer_udp_limit(&q);
    if (!anscache_get(w->cache, &q, &a) && !anscache_get(w->fcache, &q, &a)) {
        a.buf = w->ansbuf;
        if (answer_build(w->zr, &q, &a) != 0) {
            log_warn("worker %u: database read failed; answering SERVFAIL", w->id);
            return answer_error(&q, pkt, len, DNS_R_SERVFAIL, out, DNSMSG_MAX);
        }
        anscache_put(plain_answer(&q, &a) ? w->cache : w->fcache, &q, &a);
    }
    return answer_finish(&a, &q, pkt, out, limit);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct epoll_event evs[64];
    uint64_t next_sweep = mono_ms() + 1000;
    for (;;) {
        int n = epoll_wait(w->epfd, evs, 64, 1000);
        if (n < 0 && errno != EINTR) {
            log_err("worker %u: epoll_wait: %s", w->id, strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++) {
            struct evsrc *src = evs[i].data.ptr;
            switch (src->kind) {
            case EV_STOP: goto out;
            case EV_UDP: dnsudp_on_readable(w, src->fd); break;
            case EV_TCP_LISTEN: dnstcp_accept(w, src->fd); break;
            case EV_TCP_CONN: dnstcp_on_event(w, src, evs[i].events); break;
            }
        }
        uint64_t now = mono_ms();
        if (now >= next_sweep) {
            dnstcp_sweep(w, now);
            next_sweep = now + 1000;
        }
    }
out:
    return NULL;
}

int worker_start(struct worker *w)
{
    int rc = pthread_create(&w->thread, NULL, worker_main, w);
    return rc == 0 ? 0 : -rc;
}

void worker_stop(struct worker *w)
{
    uint64_t one = 1;
    if (w->stop.fd >= 0 && w->thread) {
        ssize_t n = write(w->stop.fd, &one, sizeof one);
        (void)n;
        pthread_join(w->thread, NULL);
    }
    dnstcp_close_all(w);
    for (unsigned i = 0; i < w->nls; i++)
        if (w->ls[i].ev.fd >= 0)
            close(w->ls[i].ev.fd);
    if (w->epfd >= 0)
        close(w->epfd);
    if (w->stop.fd >= 0)
        close(w->stop.fd);
    zonedb_reader_close(w->zr);
    anscache_free(w->cache);
    anscache_free(w->fcache);
    dnsudp_free(w->udp);
    free(w->ansbuf);
    free(w->ls);
}
