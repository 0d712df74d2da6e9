/*
 * anscache — see anscache.h. The responses live in one ring of bytes written in order; the
 * index is a table of 4-way buckets, one cache line each, whose slots hold a tag and the
 * ring position of an entry. An entry is valid while the ring has not come round to it and
 * it is not older than the last flush: both are a comparison of positions, so eviction and
 * flushing cost nothing per entry, and a lookup that misses reads one cache line.
 */
#include "server/anscache.h"

#include "common/rbuf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define WAYS 4
#define BYTES_PER_BUCKET 256 /* ring bytes per bucket: room for about 4 answers of 64 bytes */

struct slot {
    uint64_t pos; /* ring position of the entry + 1; 0: empty */
    uint32_t tag; /* hash of the whole key; never 0 in a used slot */
    uint32_t unused;
};

struct bucket {
    struct slot s[WAYS];
};

/* An entry in the ring: this header, the key (qname, qtype, qclass), the response. */
struct entry {
    uint16_t klen, len, add_start, add_count;
    uint8_t glue_needed;
    uint8_t data[];
};

struct anscache {
    void *map; /* one anonymous mapping: the index, then the ring */
    size_t map_len;
    struct bucket *buckets;
    size_t mask; /* buckets - 1 */
    uint8_t *ring;
    uint64_t cap;     /* ring bytes */
    uint64_t wpos;    /* bytes ever written (positions grow; the ring offset is pos % cap) */
    uint64_t floor;   /* entries written before it were flushed */
    uint64_t *seen;   /* anscache_admits(): a bit per question hash, once the ring is full */
    size_t seen_mask; /* bits - 1 */
    size_t seen_set;  /* bits set since the bitmap was last emptied */
};

static uint64_t hash_name(const uint8_t *k, size_t n)
{
    /* FNV-1a, then a final mix so that the low bits used for the bucket are well spread. */
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ k[i]) * 0x100000001b3ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

/* The tag of a key: the name's hash with its type and class mixed in (the bucket comes from
 * the name alone, so that every answer for one name shares a bucket: anscache_drop_name). */
static uint32_t key_tag(uint64_t h, uint16_t qtype, uint16_t qclass)
{
    uint64_t t = (h >> 32 ^ ((uint64_t)qtype << 16 | qclass)) * 0x9e3779b97f4a7c15ull;
    uint32_t tag = (uint32_t)(t >> 32);
    return tag != 0 ? tag : 1;
}

static size_t make_key(const struct dnsmsg_query *q, uint8_t *k)
{
    memcpy(k, q->qname, q->qname_len);
    k[q->qname_len] = (uint8_t)(q->qtype >> 8);
    k[q->qname_len + 1] = (uint8_t)q->qtype;
    k[q->qname_len + 2] = (uint8_t)(q->qclass >> 8);
    k[q->qname_len + 3] = (uint8_t)q->qclass;
    return q->qname_len + 4;
}

struct anscache *anscache_new(size_t bytes)
{
    struct anscache *c = calloc(1, sizeof *c);
    if (c == NULL || bytes < 4096)
        return c; /* a cache of less than a page keeps nothing */
    size_t nb = 64;
    while (nb < bytes / BYTES_PER_BUCKET && nb < ((size_t)1 << 40))
        nb *= 2;
    c->cap = bytes & ~(size_t)7; /* entries are 8-byte aligned, the ring too */
    c->mask = nb - 1;
    /* An anonymous mapping comes zero-filled and page-aligned, and its pages are touched as
     * entries are written: an idle cache costs address space only, its index included. */
    size_t index = nb * sizeof *c->buckets;
    c->map_len = index + c->cap;
    c->map = mmap(NULL, c->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (c->map == MAP_FAILED) {
        free(c);
        return NULL;
    }
    c->buckets = c->map;
    c->ring = (uint8_t *)c->map + index;
    /* about two bits per answer the ring holds (of 64 bytes and more): a question is
     * remembered across some sixteen times as many others as the cache keeps */
    size_t bits = 4096;
    while (bits < c->cap / 16)
        bits *= 2;
    if ((c->seen = calloc(bits / 64, sizeof *c->seen)) == NULL) {
        anscache_free(c);
        return NULL;
    }
    c->seen_mask = bits - 1;
    return c;
}

void anscache_free(struct anscache *c)
{
    if (c == NULL)
        return;
    if (c->map != NULL)
        munmap(c->map, c->map_len);
    free(c->seen);
    free(c);
}

size_t anscache_bytes(const struct anscache *c)
{
    return c->cap == 0 ? 0 : c->cap + (c->mask + 1) * sizeof *c->buckets + (c->seen_mask + 1) / 8;
}

void anscache_flush(struct anscache *c)
{
    c->floor = c->wpos;
}

static bool valid(const struct anscache *c, const struct slot *s)
{
    if (s->pos == 0)
        return false;
    uint64_t p = s->pos - 1;
    return p >= c->floor && c->wpos - p <= c->cap;
}

static struct entry *entry_at(const struct anscache *c, uint64_t pos1)
{
    return (struct entry *)(void *)(c->ring + (pos1 - 1) % c->cap);
}

size_t anscache_count(const struct anscache *c)
{
    size_t n = 0;
    for (size_t b = 0; c->cap != 0 && b <= c->mask; b++)
        for (int i = 0; i < WAYS; i++)
            n += valid(c, &c->buckets[b].s[i]);
    return n;
}

bool anscache_admits(struct anscache *c, const struct dnsmsg_query *q)
{
    if (c->cap == 0)
        return false;
    if (c->wpos <= c->cap)
        return true; /* room left: no answer is pushed out by keeping one more */
    uint64_t h = hash_name(q->qname, q->qname_len);
    size_t bit = (size_t)key_tag(h, q->qtype, q->qclass) & c->seen_mask;
    uint64_t *w = &c->seen[bit / 64], m = (uint64_t)1 << (bit % 64);
    if (*w & m)
        return true;
    if (++c->seen_set > (c->seen_mask + 1) / 8) { /* ageing: older questions are forgotten */
        memset(c->seen, 0, (c->seen_mask + 1) / 8);
        c->seen_set = 1;
    }
    *w |= m;
    return false;
}

bool anscache_get(struct anscache *c, const struct dnsmsg_query *q, struct answer *a)
{
    if (c->cap == 0)
        return false;
    uint8_t k[DNAME_MAXLEN + 4];
    size_t klen = make_key(q, k);
    uint64_t h = hash_name(k, klen - 4);
    uint32_t tag = key_tag(h, q->qtype, q->qclass);
    struct bucket *b = &c->buckets[h & c->mask];
    for (int i = 0; i < WAYS; i++) {
        struct slot *s = &b->s[i];
        if (s->tag != tag || !valid(c, s))
            continue;
        struct entry *e = entry_at(c, s->pos);
        if (e->klen == klen && memcmp(e->data, k, klen) == 0) {
            a->buf = e->data + klen;
            a->len = e->len;
            a->add_start = e->add_start;
            a->add_count = e->add_count;
            a->glue_needed = e->glue_needed;
            return true;
        }
    }
    return false;
}

void anscache_put(struct anscache *c, const struct dnsmsg_query *q, const struct answer *a)
{
    if (c->cap == 0 || a->len > 65535)
        return;
    uint8_t k[DNAME_MAXLEN + 4];
    size_t klen = make_key(q, k);
    uint64_t need = (sizeof(struct entry) + klen + a->len + 7) & ~(uint64_t)7;
    if (need > c->cap / 4)
        return; /* a giant answer would evict a quarter of the cache */
    uint64_t off = c->wpos % c->cap;
    if (off + need > c->cap)
        c->wpos += c->cap - off; /* an entry is contiguous: skip the ring's tail */
    uint64_t pos = c->wpos;
    c->wpos += need;
    struct entry *e = (struct entry *)(void *)(c->ring + pos % c->cap);
    e->klen = (uint16_t)klen;
    e->len = (uint16_t)a->len;
    e->add_start = (uint16_t)a->add_start;
    e->add_count = a->add_count;
    e->glue_needed = a->glue_needed;
    memcpy(e->data, k, klen);
    memcpy(e->data + klen, a->buf, a->len);

    uint64_t h = hash_name(k, klen - 4);
    uint32_t tag = key_tag(h, q->qtype, q->qclass);
    struct bucket *b = &c->buckets[h & c->mask];
    struct slot *victim = NULL;
    for (int i = 0; i < WAYS; i++) {
        struct slot *s = &b->s[i];
        if (!valid(c, s)) {
            if (victim == NULL || valid(c, victim))
                victim = s;
            continue;
        }
        if (s->tag == tag) {
            struct entry *old = entry_at(c, s->pos);
            if (old->klen == klen && memcmp(old->data, k, klen) == 0) {
                victim = s; /* the same question again: the new answer replaces it */
                break;
            }
        }
        if (victim == NULL || (valid(c, victim) && s->pos < victim->pos))
            victim = s; /* the bucket is full: the oldest entry makes room */
    }
    victim->pos = pos + 1;
    victim->tag = tag;
}

size_t anscache_drop_name(struct anscache *c, const uint8_t *name, size_t len)
{
    if (c->cap == 0)
        return 0;
    struct bucket *b = &c->buckets[hash_name(name, len) & c->mask];
    size_t dropped = 0;
    for (int i = 0; i < WAYS; i++) {
        struct slot *s = &b->s[i];
        if (!valid(c, s))
            continue;
        struct entry *e = entry_at(c, s->pos);
        if (e->klen == len + 4 && memcmp(e->data, name, len) == 0) {
            s->pos = 0;
            dropped++;
        }
    }
    return dropped;
}

bool anscache_is_plain(const struct dnsmsg_query *q, const struct answer *a)
{
    if (a->add_count != 0 || a->glue_needed)
        return false;
    struct rbuf rb;
    rbuf_init(&rb, a->buf, a->len);
    rbuf_skip(&rb, 2); /* id */
    uint16_t flags = rbuf_u16(&rb);
    rbuf_skip(&rb, 2); /* QDCOUNT */
    uint16_t an = rbuf_u16(&rb), ns = rbuf_u16(&rb);
    rbuf_skip(&rb, 2); /* ARCOUNT: 0, add_count says */
    if (rb.err || (flags & 0x000f) != DNS_R_NOERROR || !(flags & DNS_F_AA) || an == 0 || ns != 0)
        return false;
    rbuf_skip(&rb, q->qname_len + 4); /* the question */
    for (unsigned i = 0; i < an; i++) {
        uint16_t owner = rbuf_u16(&rb); /* 0xc00c: a pointer to the question name */
        uint16_t type = rbuf_u16(&rb);
        rbuf_skip(&rb, 2 + 4); /* class, TTL */
        rbuf_skip(&rb, rbuf_u16(&rb));
        if (rb.err || owner != (0xc000 | DNSMSG_HDRLEN) || type != q->qtype)
            return false;
    }
    return true;
}
