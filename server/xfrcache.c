/*
 * xfrcache — see xfrcache.h. A few dozen zones at most are transferred, so the cache is an
 * array searched in order under one mutex, held only for a lookup or an insertion; bodies
 * are read without it (published entries never change).
 */
#include "server/xfrcache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/dname.h"

struct xfrcache_msgs {
    uint8_t apex[DNAME_MAXLEN];
    int64_t zone, version;
    uint32_t serial;
    atomic_int refs;
    size_t limit;       /* bytes this entry may grow to: the cache's size */
    uint8_t *data;      /* the bodies, one after the other, in cap bytes mapped (see add) */
    size_t len, cap;
    size_t faulted;     /* data[0, faulted) has its pages in (populate) */
    size_t *off;        /* n + 1 offsets into data */
    uint16_t *ancount;
    size_t n, ncap;
    uint8_t *pos;       /* the messages' positions, one after the other (malloc'd) */
    size_t *poff;       /* n + 1 offsets into pos; NULL: no positions */
    size_t plen, pcap;
    bool no_pos;        /* a message came without one */
    uint64_t used;      /* the cache's tick at the last lookup (under its mutex) */
};

struct xfrcache {
    pthread_mutex_t mu;
    size_t max_bytes, bytes;
    struct xfrcache_msgs **v;
    size_t n, cap;
    uint64_t tick;
};

struct xfrcache *xfrcache_new(size_t max_bytes)
{
    struct xfrcache *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c);
        return NULL;
    }
    c->max_bytes = max_bytes;
    return c;
}

/*
 * The mapping of the last entry freed, kept for the next entry of the same size: its pages
 * are faulted in already, so the next version of a zone (server/xfrpatch.h) is written at
 * the speed of a copy instead of a page fault every 4 KiB and an unmapping of the old one.
 * One at most: the memory of one more zone's messages.
 */
static struct {
    pthread_mutex_t mu;
    void *p;
    size_t cap;
} spare = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* A mapping of cap bytes for an entry's bodies, the spare one when it fits, or NULL. */
static void *map_take(size_t cap)
{
    void *p = NULL;
    pthread_mutex_lock(&spare.mu);
    if (spare.p != NULL && spare.cap == cap) {
        p = spare.p;
        spare.p = NULL;
    }
    pthread_mutex_unlock(&spare.mu);
    return p;
}

/* Gives a freed entry's mapping back: kept as the spare, or unmapped. */
static void map_give(void *p, size_t cap)
{
    pthread_mutex_lock(&spare.mu);
    void *old = spare.p;
    size_t old_cap = spare.cap;
    spare.p = p;
    spare.cap = cap;
    pthread_mutex_unlock(&spare.mu);
    if (old != NULL)
        munmap(old, old_cap);
}

void xfrcache_release(struct xfrcache_msgs *m)
{
    if (m == NULL || atomic_fetch_sub(&m->refs, 1) != 1)
        return;
    if (m->data != NULL)
        map_give(m->data, m->cap);
    free(m->off);
    free(m->ancount);
    free(m->pos);
    free(m->poff);
    free(m);
}

void xfrcache_drop(struct xfrcache_msgs *m)
{
    xfrcache_release(m);
}

void xfrcache_free(struct xfrcache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++)
        xfrcache_release(c->v[i]);
    free(c->v);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

struct xfrcache_msgs *xfrcache_get(struct xfrcache *c, const uint8_t *apex, int64_t zone,
                                   int64_t version, uint32_t serial)
{
    struct xfrcache_msgs *m = NULL;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i]->zone == zone && c->v[i]->version == version && c->v[i]->serial == serial &&
            dname_equal(c->v[i]->apex, apex)) {
            m = c->v[i];
            m->used = ++c->tick;
            atomic_fetch_add(&m->refs, 1);
            break;
        }
    pthread_mutex_unlock(&c->mu);
    return m;
}

struct xfrcache_msgs *xfrcache_latest(struct xfrcache *c, const uint8_t *apex, int64_t zone)
{
    struct xfrcache_msgs *m = NULL;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i]->zone == zone && dname_equal(c->v[i]->apex, apex)) {
            m = c->v[i];
            atomic_fetch_add(&m->refs, 1);
            break;
        }
    pthread_mutex_unlock(&c->mu);
    return m;
}

struct xfrcache_msgs *xfrcache_ref(struct xfrcache_msgs *m)
{
    atomic_fetch_add(&m->refs, 1);
    return m;
}

int64_t xfrcache_version(const struct xfrcache_msgs *m)
{
    return m->version;
}

uint32_t xfrcache_serial(const struct xfrcache_msgs *m)
{
    return m->serial;
}

size_t xfrcache_count(const struct xfrcache_msgs *m)
{
    return m->n;
}

const uint8_t *xfrcache_body(const struct xfrcache_msgs *m, size_t i, size_t *len,
                             uint16_t *ancount)
{
    *len = m->off[i + 1] - m->off[i];
    *ancount = m->ancount[i];
    return m->data + m->off[i];
}

struct xfrcache_msgs *xfrcache_record(struct xfrcache *c, const uint8_t *apex, int64_t zone,
                                      int64_t version, uint32_t serial)
{
    if (c == NULL || c->max_bytes == 0)
        return NULL;
    struct xfrcache_msgs *m = calloc(1, sizeof *m);
    if (m == NULL || (m->off = calloc(1, sizeof *m->off)) == NULL) {
        free(m);
        return NULL;
    }
    memcpy(m->apex, apex, dname_len(apex));
    m->zone = zone;
    m->version = version;
    m->serial = serial;
    m->limit = c->max_bytes;
    atomic_init(&m->refs, 1);
    return m;
}

/* Room for one more message: the data mapped, the arrays of offsets grown. */
static bool grow(struct xfrcache_msgs *m)
{
    /* The bodies go into address space reserved for the most the entry may hold, mapped
     * lazily: the buffer never moves (a growing malloc'd one is copied over and over, its new
     * pages faulted in each time), and past its first 2 MiB, which small zones never leave,
     * the kernel may back it with huge pages: a few faults for a zone of megabytes instead of
     * one per 4 KiB page, a cost the first transfer of a version pays whole. */
    if (m->data == NULL) {
        size_t huge = (size_t)2 << 20, cap = (m->limit + huge - 1) / huge * huge;
        void *p = map_take(cap);
        if (p == NULL) {
            p = mmap(NULL, cap, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (p == MAP_FAILED)
                return false;
            if (cap > huge)
                madvise((uint8_t *)p + huge, cap - huge, MADV_HUGEPAGE); /* advice only */
        }
        m->data = p;
        m->cap = cap;
    }
    if (m->n == m->ncap) {
        size_t ncap = m->ncap ? 2 * m->ncap : 64;
        size_t *off = realloc(m->off, (ncap + 1) * sizeof *off);
        if (off == NULL)
            return false;
        m->off = off;
        uint16_t *an = realloc(m->ancount, ncap * sizeof *an);
        if (an == NULL)
            return false;
        m->ancount = an;
        if (!m->no_pos) {
            size_t *poff = realloc(m->poff, (ncap + 1) * sizeof *poff);
            if (poff == NULL)
                return false;
            if (m->poff == NULL)
                poff[0] = 0;
            m->poff = poff;
        }
        m->ncap = ncap;
    }
    return true;
}

bool xfrcache_add(struct xfrcache_msgs *m, const uint8_t *body, size_t len, uint16_t ancount)
{
    return xfrcache_add_at(m, body, len, ancount, NULL, 0);
}

/* Appends message n's position (the caller checked n fits the offsets' array). */
static bool add_pos(struct xfrcache_msgs *m, const uint8_t *pos, size_t plen)
{
    if (m->no_pos)
        return true;
    if (pos == NULL) { /* none for this message: none for the entry */
        m->no_pos = true;
        free(m->pos);
        free(m->poff);
        m->pos = NULL;
        m->poff = NULL;
        return true;
    }
    if (m->plen + plen > m->pcap) {
        size_t cap = m->pcap ? 2 * m->pcap : 4096;
        while (cap < m->plen + plen)
            cap *= 2;
        uint8_t *p = realloc(m->pos, cap);
        if (p == NULL)
            return false;
        m->pos = p;
        m->pcap = cap;
    }
    memcpy(m->pos + m->plen, pos, plen);
    m->plen += plen;
    m->poff[m->n + 1] = m->plen;
    return true;
}

/* Faults in the pages of data up to end and on to the next XFRCACHE_POPULATE bytes by one
 * system call, instead of one page fault every 4 KiB as the bodies are written (a hint:
 * where it fails the writes fault them in). */
#define XFRCACHE_POPULATE ((size_t)256 << 10)
static void populate(struct xfrcache_msgs *m, size_t end)
{
    if (end <= m->faulted)
        return;
    size_t to = (end + XFRCACHE_POPULATE - 1) / XFRCACHE_POPULATE * XFRCACHE_POPULATE;
    if (to > m->cap)
        to = m->cap;
#ifdef MADV_POPULATE_WRITE
    madvise(m->data + m->faulted, to - m->faulted, MADV_POPULATE_WRITE);
#endif
    m->faulted = to;
}

bool xfrcache_add_at(struct xfrcache_msgs *m, const uint8_t *body, size_t len, uint16_t ancount,
                     const uint8_t *pos, size_t plen)
{
    if (m->len + len > m->limit || !grow(m))
        return false;
    if (!add_pos(m, pos, plen))
        return false;
    populate(m, m->len + len);
    memcpy(m->data + m->len, body, len);
    m->ancount[m->n] = ancount;
    m->len += len;
    m->off[++m->n] = m->len;
    return true;
}

void xfrcache_reserve(struct xfrcache_msgs *m, size_t bytes)
{
    if (bytes > m->limit || !grow(m))
        return;
    populate(m, bytes);
}

void xfrcache_truncate(struct xfrcache_msgs *m, size_t n)
{
    if (n >= m->n)
        return;
    m->n = n;
    m->len = m->off[n];
    if (m->poff != NULL)
        m->plen = m->poff[n];
}

const uint8_t *xfrcache_pos(const struct xfrcache_msgs *m, size_t i, size_t *plen)
{
    if (m->no_pos || m->poff == NULL)
        return NULL;
    *plen = m->poff[i + 1] - m->poff[i];
    return m->pos + m->poff[i];
}

/* Removes entry i from the array (the caller holds the mutex) and drops the cache's reference. */
static void take_out(struct xfrcache *c, size_t i)
{
    struct xfrcache_msgs *m = c->v[i];
    c->bytes -= m->len;
    c->v[i] = c->v[--c->n];
    xfrcache_release(m);
}

void xfrcache_publish(struct xfrcache *c, struct xfrcache_msgs *m)
{
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i]->zone == m->zone) { /* one version per zone: the last built */
            take_out(c, i);
            break;
        }
    while (c->n > 0 && c->bytes + m->len > c->max_bytes) { /* the least recently used go */
        size_t old = 0;
        for (size_t i = 1; i < c->n; i++)
            if (c->v[i]->used < c->v[old]->used)
                old = i;
        take_out(c, old);
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        void *p = realloc(c->v, cap * sizeof *c->v);
        if (p == NULL) {
            pthread_mutex_unlock(&c->mu);
            xfrcache_release(m);
            return;
        }
        c->v = p;
        c->cap = cap;
    }
    m->used = ++c->tick;
    c->v[c->n++] = m;
    c->bytes += m->len;
    pthread_mutex_unlock(&c->mu);
}

void xfrcache_stats(struct xfrcache *c, size_t *bytes, size_t *entries)
{
    pthread_mutex_lock(&c->mu);
    *bytes = c->bytes;
    *entries = c->n;
    pthread_mutex_unlock(&c->mu);
}
