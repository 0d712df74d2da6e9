/*
 * notifier — see notifier.h. State: the zones as last read (sorted by name, each with its
 * serial, SOA and own targets), and the NOTIFYs in flight, each with its timer. Everything
 * belongs to the notifier's thread except secstate (locked by its own module).
 *
 * Scans are cheap when nothing changed (one PRAGMA), and at most one runs per
 * NOTIFIER_SCAN_GAP_MS: a burst of commits costs one scan per gap, never a wait longer than
 * that gap, far below the second that propagation is allowed.
 */
#include "server/notifier.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/dnsmsg.h"
#include "common/ev.h"
#include "common/log.h"
#include "common/net.h"
#include "db/notifydb.h"
#include "db/store.h"
#include "db/tsigkey.h"
#include "server/secstate.h"

/* 20 ms: a registration every 10 ms (a class at work) costs one scan per two commits, the
 * reads and wake-ups of a scan at every commit were a visible part of lanad's CPU beside the
 * DNS workers, and a NOTIFY still leaves well within the second propagation may take */
#define NOTIFIER_SCAN_GAP_MS 20
#define NOTIFIER_PENDING_MAX 100000 /* NOTIFYs in flight at most; more are dropped, logged */
#define NOTIFIER_MSG_MAX 1232       /* never more than a safe UDP payload */
#define SOA_MAX (2 * DNAME_MAXLEN + 20)
#define TARGETS_MAX (2 * CONF_LIST_MAX * 8 + 256) /* targets of one zone that are notified */

struct nzone {
    char name[DNAME_TEXT_MAX];
    uint8_t apex[DNAME_MAXLEN];
    uint32_t serial, ttl;
    uint8_t soa[SOA_MAX];
    uint16_t soa_len;
    struct sockaddr_storage *tg; /* its own targets (lana zone notify) */
    unsigned ntg;
};

struct zones {
    struct nzone *v;
    size_t n, cap;
};

struct pending {
    struct pending *next;
    struct notifier *owner;
    char zone[DNAME_TEXT_MAX];
    uint8_t msg[NOTIFIER_MSG_MAX];
    size_t len;
    uint32_t serial;
    uint16_t id;
    unsigned tries;
    uint64_t first_ms; /* monotonic: when it was first sent */
    int64_t timer;
    struct sockaddr_storage to;
    socklen_t tolen;
    char who[NET_ADDRSTRLEN];
};

struct notifier {
    const struct srvconf *cfg;
    struct commitgen *gen;
    struct ev_loop *loop;
    pthread_t thread;
    bool started;
    int wakefd, fd4, fd6;
    struct notifydb_reader *rd;
    struct store *keys;            /* for notify-key (db/tsigkey.h), or NULL */
    uint8_t key_wire[DNAME_MAXLEN]; /* notify-key's name */
    bool key_missing;              /* logged once: notify-key names no key */
    struct sockaddr_storage *also; /* also-notify */
    unsigned nalso;
    struct zones zones, next;      /* as last seen; being read */
    struct pending *pending;
    size_t npending;
    uint64_t last_scan_ms;
    int64_t scan_timer;            /* a deferred scan, or 0 */
    struct sockaddr_storage tg[TARGETS_MAX]; /* scratch: the targets of one zone */
};

uint64_t notifier_retry_ms(unsigned sent)
{
    uint64_t ms = NOTIFIER_FIRST_MS;
    for (unsigned i = 1; i < sent && ms < NOTIFIER_MAX_MS; i++)
        ms *= 2;
    return ms < NOTIFIER_MAX_MS ? ms : NOTIFIER_MAX_MS;
}

/* ---- reading the zones --------------------------------------------------------------------- */

static void zones_clear(struct zones *z)
{
    for (size_t i = 0; i < z->n; i++)
        free(z->v[i].tg);
    z->n = 0;
}

static void on_zone(const struct notifydb_zone *dz, void *arg)
{
    struct zones *z = &((struct notifier *)arg)->next;
    size_t nl = strlen(dz->name);
    if (nl >= DNAME_TEXT_MAX || dz->soa_len > SOA_MAX)
        return;
    if (z->n == z->cap) {
        size_t cap = z->cap ? 2 * z->cap : 64;
        struct nzone *v = realloc(z->v, cap * sizeof *v);
        if (v == NULL)
            return; /* the zone is left out of this scan; logged by the caller's count */
        z->v = v;
        z->cap = cap;
    }
    struct nzone *e = &z->v[z->n++];
    memset(e, 0, sizeof *e);
    memcpy(e->name, dz->name, nl + 1);
    memcpy(e->apex, dz->apex, dname_len(dz->apex));
    e->serial = dz->serial;
    e->ttl = dz->soa_ttl;
    memcpy(e->soa, dz->soa, dz->soa_len);
    e->soa_len = (uint16_t)dz->soa_len;
}

/* The zone called name in z (sorted by name, as the scan reads them), or NULL. */
static struct nzone *find(struct zones *z, const char *name)
{
    size_t lo = 0, hi = z->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(z->v[mid].name, name);
        if (c == 0)
            return &z->v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int on_target(const char *zone, const char *target, void *arg)
{
    struct nzone *z = find(&((struct notifier *)arg)->next, zone);
    struct sockaddr_storage ss;
    socklen_t len;
    if (z == NULL || notifydb_parse_target(target, &ss, &len, NULL, NULL) != 0)
        return 0;
    struct sockaddr_storage *v = realloc(z->tg, (z->ntg + 1) * sizeof *v);
    if (v == NULL)
        return 0;
    z->tg = v;
    z->tg[z->ntg++] = ss;
    return 0;
}

/* ---- sending --------------------------------------------------------------------------- */

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
    return x->sin6_port == y->sin6_port &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
}

static void pending_free(struct notifier *n, struct pending *p)
{
    for (struct pending **pp = &n->pending; *pp != NULL; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    if (p->timer > 0)
        ev_timer_del(n->loop, p->timer);
    n->npending--;
    free(p);
}

static void send_one(struct notifier *n, struct pending *p)
{
    int fd = p->to.ss_family == AF_INET6 ? n->fd6 : n->fd4;
    p->tries++;
    if (fd < 0 || sendto(fd, p->msg, p->len, 0, (const struct sockaddr *)&p->to, p->tolen) < 0)
        log_debug("NOTIFY %s serial %lu to %s: send %u failed: %s", p->zone,
                  (unsigned long)p->serial, p->who, p->tries,
                  fd < 0 ? "no socket of its family" : strerror(errno));
    secstate_notify_sent(p->zone, (const struct sockaddr *)&p->to, p->serial, p->tries);
}

static int64_t on_retry(struct ev_loop *loop, void *arg)
{
    (void)loop;
    struct pending *p = arg;
    struct notifier *n = p->owner;
    if (p->tries >= NOTIFIER_TRIES) {
        log_notice("NOTIFY %s serial %lu to %s: no answer after %u tries, %llu ms; given up",
                   p->zone, (unsigned long)p->serial, p->who, p->tries,
                   (unsigned long long)(mono_ms() - p->first_ms));
        secstate_notify_gaveup(p->zone, (const struct sockaddr *)&p->to, p->serial);
        p->timer = 0; /* this timer ends with EV_NOMORE */
        pending_free(n, p);
        return EV_NOMORE;
    }
    send_one(n, p);
    return (int64_t)notifier_retry_ms(p->tries);
}

/* The NOTIFY message of zone z with id into p (RFC 1996 §3.7: the SOA in the answer section;
 * left out when it would not fit). */
static void build(struct pending *p, const struct nzone *z)
{
    struct dnsmsg_builder b;
    uint16_t flags = (uint16_t)(DNS_OP_NOTIFY << 11 | DNS_F_AA);
    for (int with_soa = 1; with_soa >= 0; with_soa--) {
        dnsmsg_begin(&b, p->msg, sizeof p->msg, p->id, flags);
        dnsmsg_put_question(&b, z->apex, DNS_T_SOA, DNS_C_IN);
        if (with_soa && !dnsmsg_put_rr(&b, DNSMSG_AN, z->apex, DNS_T_SOA, DNS_C_IN, z->ttl,
                                       z->soa, z->soa_len))
            continue;
        if ((p->len = dnsmsg_finish(&b)) > 0)
            return;
    }
}

/* Signs the NOTIFY in p with notify-key (RFC 8945), read from the database each time so that
 * a key made or changed with lana key takes effect; unsigned when there is no such key. */
static void sign(struct notifier *n, struct pending *p)
{
    struct tsig_key key;
    struct tsig_ctx ctx;
    struct lana_diag d;
    int rc = tsigkey_lookup(n->keys, n->key_wire, &key, &d);
    if (rc != 1) {
        if (!n->key_missing)
            log_warn("NOTIFY: notify-key %s: %s; NOTIFYs go unsigned", n->cfg->notify_key,
                     rc == 0 ? "no such key (lana key add)" : d.msg);
        n->key_missing = true;
        return;
    }
    n->key_missing = false;
    if (tsig_sign_request(&key, p->msg, &p->len, sizeof p->msg, (uint64_t)time(NULL), &ctx) != 0)
        log_warn("NOTIFY %s: no room for the TSIG record; sent unsigned", p->zone);
    memset(&key, 0, sizeof key);
}

static void notify_one(struct notifier *n, const struct nzone *z,
                       const struct sockaddr_storage *to)
{
    struct pending *p = NULL;
    for (struct pending *q = n->pending; q != NULL; q = q->next)
        if (strcmp(q->zone, z->name) == 0 && same_addr(&q->to, to))
            p = q;
    if (p != NULL) { /* a newer serial replaces the one in flight: an answer to the old one
                      * would not say that the secondary heard of the new */
        log_debug("NOTIFY %s serial %lu to %s: replaced by serial %lu", p->zone,
                  (unsigned long)p->serial, p->who, (unsigned long)z->serial);
        pending_free(n, p);
    }
    if (n->npending >= NOTIFIER_PENDING_MAX) {
        log_warn("NOTIFY %s: %d NOTIFYs in flight already; this one is not sent", z->name,
                 NOTIFIER_PENDING_MAX);
        return;
    }
    if ((p = calloc(1, sizeof *p)) == NULL) {
        log_warn("NOTIFY %s: out of memory", z->name);
        return;
    }
    p->owner = n;
    memcpy(p->zone, z->name, sizeof p->zone);
    p->serial = z->serial;
    p->to = *to;
    p->tolen = to->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                         : sizeof(struct sockaddr_in);
    net_addr_format((const struct sockaddr *)to, p->who, sizeof p->who);
    if (getrandom(&p->id, sizeof p->id, 0) != sizeof p->id)
        p->id = (uint16_t)mono_us();
    build(p, z);
    if (p->len > 0 && n->keys != NULL)
        sign(n, p);
    if (p->len == 0) {
        free(p);
        return;
    }
    p->first_ms = mono_ms();
    p->next = n->pending;
    n->pending = p;
    n->npending++;
    send_one(n, p);
    p->timer = ev_timer_add(n->loop, notifier_retry_ms(1), on_retry, p);
    if (p->timer < 0) {
        p->timer = 0;
        pending_free(n, p);
    }
}

/* The targets of z: also-notify, then its own, each once. */
static unsigned targets_of(const struct notifier *n, const struct nzone *z,
                           struct sockaddr_storage *out, unsigned max)
{
    unsigned k = 0;
    for (unsigned src = 0; src < 2; src++) {
        const struct sockaddr_storage *v = src == 0 ? n->also : z->tg;
        unsigned nv = src == 0 ? n->nalso : z->ntg;
        for (unsigned i = 0; i < nv && k < max; i++) {
            bool dup = false;
            for (unsigned j = 0; j < k && !dup; j++)
                dup = same_addr(&out[j], &v[i]);
            if (!dup)
                out[k++] = v[i];
        }
    }
    return k;
}

static bool same_targets(const struct nzone *a, const struct nzone *b)
{
    if (a->ntg != b->ntg)
        return false;
    for (unsigned i = 0; i < a->ntg; i++)
        if (!same_addr(&a->tg[i], &b->tg[i]))
            return false;
    return true;
}

/* ---- scanning -------------------------------------------------------------------------- */

/* Reads the zones when the database changed, and notifies the targets of each zone whose
 * serial moved. first: the baseline at start, which announces nothing. */
static void scan(struct notifier *n, bool first)
{
    struct lana_diag d;
    n->last_scan_ms = mono_ms();
    zones_clear(&n->next);
    int rc = notifydb_scan(n->rd, on_zone, on_target, n, &d);
    if (rc < 0)
        log_warn("notifier: %s", d.msg);
    if (rc != 1)
        return;
    struct sockaddr_storage *tg = n->tg;
    for (size_t i = 0; i < n->next.n; i++) {
        const struct nzone *z = &n->next.v[i];
        const struct nzone *old = first ? NULL : find(&n->zones, z->name);
        unsigned k = targets_of(n, z, tg, TARGETS_MAX);
        if (old == NULL || !same_targets(old, z))
            secstate_targets(z->name, tg, k);
        if (old == NULL || old->serial == z->serial)
            continue;
        for (unsigned t = 0; t < k; t++)
            notify_one(n, z, &tg[t]);
    }
    struct zones was = n->zones;
    n->zones = n->next;
    n->next = was;
}

static int64_t on_scan_timer(struct ev_loop *loop, void *arg)
{
    (void)loop;
    struct notifier *n = arg;
    n->scan_timer = 0;
    scan(n, false);
    return EV_NOMORE;
}

/* A commit was announced: scan now, or at the end of the current gap. */
static void scan_soon(struct notifier *n)
{
    uint64_t since = mono_ms() - n->last_scan_ms;
    if (since >= NOTIFIER_SCAN_GAP_MS) {
        scan(n, false);
        return;
    }
    if (n->scan_timer == 0) {
        int64_t id = ev_timer_add(n->loop, NOTIFIER_SCAN_GAP_MS - since, on_scan_timer, n);
        n->scan_timer = id > 0 ? id : 0;
    }
}

static void on_wake(struct ev_loop *loop, int fd, void *arg, unsigned events)
{
    (void)loop;
    (void)events;
    uint64_t v;
    ssize_t r = read(fd, &v, sizeof v);
    (void)r;
    scan_soon(arg);
}

static int64_t on_poll(struct ev_loop *loop, void *arg)
{
    (void)loop;
    scan(arg, false);
    return NOTIFIER_POLL_MS;
}

/* ---- answers --------------------------------------------------------------------------- */

static const char *rcode_name(unsigned rc)
{
    static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
                                        "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
                                        "NOTZONE"};
    return rc < sizeof names / sizeof names[0] ? names[rc] : "an unknown rcode";
}

/* Reads what came to fd; a response that matches a NOTIFY in flight ends it. */
static void on_answer(struct ev_loop *loop, int fd, void *arg, unsigned events)
{
    (void)loop;
    (void)events;
    struct notifier *n = arg;
    for (int round = 0; round < 64; round++) {
        uint8_t buf[DNSMSG_HDRLEN];
        struct sockaddr_storage from;
        socklen_t flen = sizeof from;
        ssize_t got = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC,
                               (struct sockaddr *)&from, &flen);
        if (got < 0)
            return;
        struct rbuf rb;
        struct dnsmsg_header h;
        rbuf_init(&rb, buf, (size_t)got < sizeof buf ? (size_t)got : sizeof buf);
        if (!dnsmsg_header_decode(&rb, &h) || !(h.flags & DNS_F_QR) ||
            DNS_F_OPCODE(h.flags) != DNS_OP_NOTIFY)
            continue;
        for (struct pending *p = n->pending; p != NULL; p = p->next) {
            if (p->id != h.id || !same_addr(&p->to, &from))
                continue;
            unsigned rc = h.flags & 0xf;
            uint64_t ms = mono_ms() - p->first_ms;
            if (rc == DNS_R_NOERROR)
                log_info("NOTIFY %s serial %lu to %s: answered after %u tr%s, %llu ms", p->zone,
                         (unsigned long)p->serial, p->who, p->tries, p->tries == 1 ? "y" : "ies",
                         (unsigned long long)ms);
            else
                log_notice("NOTIFY %s serial %lu to %s: answered %s after %u tr%s, %llu ms",
                           p->zone, (unsigned long)p->serial, p->who, rcode_name(rc), p->tries,
                           p->tries == 1 ? "y" : "ies", (unsigned long long)ms);
            secstate_notify_answered(p->zone, (const struct sockaddr *)&p->to, p->serial,
                                     p->tries, rc);
            pending_free(n, p);
            break;
        }
    }
}

/* ---- life ------------------------------------------------------------------------------ */

static int add_also(const struct sockaddr_storage *ss, void *arg)
{
    struct notifier *n = arg;
    struct sockaddr_storage *v = realloc(n->also, (n->nalso + 1) * sizeof *v);
    if (v == NULL)
        return LANA_ENOMEM;
    n->also = v;
    n->also[n->nalso++] = *ss;
    return 0;
}

/* also-notify: each value one or more targets separated by spaces. */
static int parse_also(struct notifier *n, const struct conf_list *l, struct lana_diag *d)
{
    for (unsigned i = 0; i < l->n; i++) {
        struct lana_diag e = {""};
        int rc = notifydb_parse_list(l->v[i], add_also, n, &e);
        if (rc != 0)
            return diag_set(d, rc, "also-notify: %s", rc == LANA_ENOMEM ? "out of memory" : e.msg);
    }
    return 0;
}

/* An unbound UDP socket of family (the kernel picks the port at the first send). */
static int open_udp(struct notifier *n, int family)
{
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1; /* no IPv6 (or IPv4) here: targets of that family are logged as unsent */
    if (ev_fd_add(n->loop, fd, EV_READ, on_answer, n) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int notifier_new(const struct srvconf *cfg, struct commitgen *gen, struct notifier **out,
                 struct lana_diag *d)
{
    int rc;
    struct notifier *n = calloc(1, sizeof *n);
    *out = NULL;
    if (n == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    n->cfg = cfg;
    n->gen = gen;
    n->wakefd = n->fd4 = n->fd6 = -1;
    if ((rc = parse_also(n, &cfg->also_notify, d)) != 0)
        goto out;
    if ((rc = ev_loop_new(&n->loop)) != 0) {
        diag_set(d, rc, "event loop: %s", lana_strerror(rc));
        goto out;
    }
    if ((n->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
        ev_fd_add(n->loop, n->wakefd, EV_READ, on_wake, n) != 0) {
        rc = diag_set(d, n->wakefd < 0 ? -errno : LANA_ENOMEM, "eventfd: %s",
                      n->wakefd < 0 ? strerror(errno) : "cannot watch it");
        goto out;
    }
    n->fd4 = open_udp(n, AF_INET);
    n->fd6 = open_udp(n, AF_INET6);
    if ((rc = notifydb_reader_open(cfg->db, &n->rd, d)) != 0)
        goto out;
    if (cfg->notify_key != NULL &&
        ((rc = tsigkey_name(cfg->notify_key, NULL, n->key_wire, d)) != 0 ||
         (rc = store_open_reader(cfg->db, &n->keys, d)) != 0))
        goto out;
    scan(n, true);
    if (ev_timer_add(n->loop, NOTIFIER_POLL_MS, on_poll, n) < 0) {
        rc = diag_set(d, LANA_ENOMEM, "out of memory");
        goto out;
    }
    *out = n;
    return 0;
out:
    notifier_free(n);
    return rc;
}

static void *notifier_main(void *arg)
{
    struct notifier *n = arg;
    int rc = ev_run(n->loop);
    if (rc != 0)
        log_err("notifier: event loop: %s; no more NOTIFYs are sent", lana_strerror(rc));
    return NULL;
}

int notifier_start(struct notifier *n)
{
    int rc = pthread_create(&n->thread, NULL, notifier_main, n);
    if (rc != 0)
        return -rc;
    n->started = true;
    if (n->gen != NULL)
        commitgen_watch(n->gen, n->wakefd);
    return 0;
}

void notifier_free(struct notifier *n)
{
    if (n == NULL)
        return;
    if (n->gen != NULL)
        commitgen_watch(n->gen, -1);
    if (n->started) {
        ev_stop(n->loop);
        pthread_join(n->thread, NULL);
    }
    while (n->pending != NULL)
        pending_free(n, n->pending);
    int fds[] = {n->wakefd, n->fd4, n->fd6};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0) {
            if (n->loop != NULL)
                ev_fd_del(n->loop, fds[i], NULL);
            close(fds[i]);
        }
    ev_loop_free(n->loop);
    notifydb_reader_close(n->rd);
    store_close(n->keys);
    zones_clear(&n->zones);
    zones_clear(&n->next);
    free(n->zones.v);
    free(n->next.v);
    free(n->also);
    free(n);
}
