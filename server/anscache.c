/*
 * anscache — see anscache.h. Chained hash table; one allocation per entry holds the key and
 * the response. The table doubles up to the entry limit's size and never shrinks.
 */
#include "server/anscache.h"

#include "common/rbuf.h"

#include <stdlib.h>
#include <string.h>

struct entry {
    struct entry *next;
    uint64_t hash;
    uint16_t klen;
    uint16_t len;
    uint16_t add_start;
    uint16_t add_count;
    bool glue_needed;
    uint8_t data[]; /* key (qname, qtype, qclass) then the response */
};

struct anscache {
    struct entry **buckets;
    size_t nbuckets; /* a power of two */
    size_t count, max;
};

static uint64_t hash_key(const uint8_t *k, size_t n)
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

static size_t make_key(const struct dnsmsg_query *q, uint8_t *k)
{
    memcpy(k, q->qname, q->qname_len);
    k[q->qname_len] = (uint8_t)(q->qtype >> 8);
    k[q->qname_len + 1] = (uint8_t)q->qtype;
    k[q->qname_len + 2] = (uint8_t)(q->qclass >> 8);
    k[q->qname_len + 3] = (uint8_t)q->qclass;
    return q->qname_len + 4;
}

struct anscache *anscache_new(size_t max_entries)
{
    struct anscache *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->max = max_entries;
    c->nbuckets = 1024;
    c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
    if (c->buckets == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

void anscache_flush(struct anscache *c)
{
    for (size_t i = 0; i < c->nbuckets; i++) {
        struct entry *e = c->buckets[i];
        while (e != NULL) {
            struct entry *next = e->next;
            free(e);
            e = next;
        }
        c->buckets[i] = NULL;
    }
    c->count = 0;
}

void anscache_free(struct anscache *c)
{
    if (c == NULL)
        return;
    anscache_flush(c);
    free(c->buckets);
    free(c);
}

size_t anscache_count(const struct anscache *c)
{
    return c->count;
}

/* Entries are hashed by their name alone, so that all the answers for one name share a
 * bucket and anscache_drop_name() finds them there. */
bool anscache_get(struct anscache *c, const struct dnsmsg_query *q, struct answer *a)
{
    uint8_t k[DNAME_MAXLEN + 4];
    size_t klen = make_key(q, k);
    uint64_t h = hash_key(k, klen - 4);
    for (struct entry *e = c->buckets[h & (c->nbuckets - 1)]; e != NULL; e = e->next) {
        if (e->hash == h && e->klen == klen && memcmp(e->data, k, klen) == 0) {
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

static void grow(struct anscache *c)
{
    size_t n = c->nbuckets * 2;
    struct entry **nb = calloc(n, sizeof *nb);
    if (nb == NULL)
        return;
    for (size_t i = 0; i < c->nbuckets; i++) {
        struct entry *e = c->buckets[i];
        while (e != NULL) {
            struct entry *next = e->next;
            e->next = nb[e->hash & (n - 1)];
            nb[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    free(c->buckets);
    c->buckets = nb;
    c->nbuckets = n;
}

void anscache_put(struct anscache *c, const struct dnsmsg_query *q, const struct answer *a)
{
    uint8_t k[DNAME_MAXLEN + 4];
    if (c->max == 0 || a->len > 65535)
        return;
    if (c->count >= c->max)
        anscache_flush(c);
    if (c->count >= c->nbuckets && c->nbuckets < c->max)
        grow(c);
    size_t klen = make_key(q, k);
    struct entry *e = malloc(sizeof *e + klen + a->len);
    if (e == NULL)
        return;
    e->hash = hash_key(k, klen - 4);
    e->klen = (uint16_t)klen;
    e->len = (uint16_t)a->len;
    e->add_start = (uint16_t)a->add_start;
    e->add_count = a->add_count;
    e->glue_needed = a->glue_needed;
    memcpy(e->data, k, klen);
    memcpy(e->data + klen, a->buf, a->len);
    size_t b = e->hash & (c->nbuckets - 1);
    e->next = c->buckets[b];
    c->buckets[b] = e;
    c->count++;
}

size_t anscache_drop_name(struct anscache *c, const uint8_t *name, size_t len)
{
    uint64_t h = hash_key(name, len);
    size_t dropped = 0;
    for (struct entry **pe = &c->buckets[h & (c->nbuckets - 1)]; *pe != NULL;) {
        struct entry *e = *pe;
        if (e->hash == h && e->klen == len + 4 && memcmp(e->data, name, len) == 0) {
            *pe = e->next;
            free(e);
            c->count--;
            dropped++;
        } else {
            pe = &e->next;
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
    if (rb.err || (flags & 0x000f) != DNS_R_NOERROR || !(flags & DNS_F_AA) || an == 0 ||
        ns != 0)
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
