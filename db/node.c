/*
 * node — see node_int.h. The bucket row format, the rewrite of the buckets of changed names
 * (with the splits that follow), and the rebuild of a zone's buckets after a bulk change.
 */
#include "db/node_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/dnsmsg.h"
#include "common/log.h"
#include "db/store.h"
#include "db/store_int.h"

uint64_t node__hash(int64_t zone, const uint8_t *key, size_t keylen)
{
    /* FNV-1a over the zone id and the key, then a final mix (the low bits choose the bucket,
     * the high bits make the tag: both must be spread evenly) */
    uint64_t h = 0xcbf29ce484222325ull, z = (uint64_t)zone;
    for (int i = 0; i < 8; i++, z >>= 8)
        h = (h ^ (z & 0xff)) * 0x100000001b3ull;
    for (size_t i = 0; i < keylen; i++)
        h = (h ^ key[i]) * 0x100000001b3ull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

bool node__pack_add(uint8_t *buf, size_t *len, int64_t type, int64_t ttl, const uint8_t *rd,
                    size_t rdlen)
{
    if (type == DNS_T_SOA || rdlen > 65535 || *len + 8 + rdlen > NODE_PACK_MAX)
        return false;
    uint8_t *o = buf + *len;
    o[0] = (uint8_t)(type >> 8);
    o[1] = (uint8_t)type;
    o[2] = (uint8_t)(ttl >> 24);
    o[3] = (uint8_t)(ttl >> 16);
    o[4] = (uint8_t)(ttl >> 8);
    o[5] = (uint8_t)ttl;
    o[6] = (uint8_t)(rdlen >> 8);
    o[7] = (uint8_t)rdlen;
    if (rdlen > 0)
        memcpy(o + 8, rd, rdlen);
    *len += 8 + rdlen;
    return true;
}

/* ---- the row format ------------------------------------------------------------------------ */

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* The entry of directory slot i, bounds checked: false when the row is not lanad's. */
static bool entry_at(const uint8_t *v, size_t len, size_t i, struct node_entry *e)
{
    const uint8_t *slot = v + 2 + 4 * i;
    size_t off = get16(slot + 2);
    if (off + 2 > len)
        return false;
    e->tag = get16(slot);
    e->klen = get16(v + off);
    if (off + 2 + e->klen + 2 > len)
        return false;
    e->key = v + off + 2;
    e->plen = get16(v + off + 2 + e->klen);
    if (off + 4 + (size_t)e->klen + e->plen > len)
        return false;
    e->pack = v + off + 4 + e->klen;
    return true;
}

int node__find(const uint8_t *v, size_t len, uint16_t tag, const uint8_t *key, size_t klen,
               const uint8_t **pack, size_t *plen)
{
    if (v == NULL || len < 2)
        return -1;
    size_t n = get16(v);
    if (2 + 4 * n > len)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *slot = v + 2 + 4 * i;
        uint16_t t = get16(slot);
        if (t < tag)
            continue;
        if (t > tag)
            break; /* in tag order: no other slot has it */
        struct node_entry e;
        if (!entry_at(v, len, i, &e))
            return -1;
        if (e.klen == klen && (klen == 0 || memcmp(e.key, key, klen) == 0)) {
            *pack = e.pack;
            *plen = e.plen;
            return 1;
        }
    }
    return 0;
}

int node__entries(const uint8_t *v, size_t len, struct node_entry *out, size_t max)
{
    if (v == NULL || len < 2)
        return -1;
    size_t n = get16(v);
    if (2 + 4 * n > len)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct node_entry e;
        if (!entry_at(v, len, i, &e))
            return -1;
        if (i < max)
            out[i] = e;
    }
    return (int)n;
}

int node__entry_cmp(const void *a, const void *b)
{
    const struct node_entry *x = a, *y = b;
    if (x->tag != y->tag)
        return x->tag < y->tag ? -1 : 1;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = n > 0 ? memcmp(x->key, y->key, n) : 0;
    return c != 0 ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

size_t node__encode(const struct node_entry *e, size_t n, uint8_t *out)
{
    size_t len = 2 + 4 * n;
    if (n > 0xffff || len > NODE_ROW_MAX)
        return 0;
    put16(out, n);
    for (size_t i = 0; i < n; i++) {
        if (len + 4 + e[i].klen + e[i].plen > NODE_ROW_MAX)
            return 0;
        put16(out + 2 + 4 * i, e[i].tag);
        put16(out + 4 + 4 * i, len);
        put16(out + len, e[i].klen);
        if (e[i].klen > 0)
            memcpy(out + len + 2, e[i].key, e[i].klen);
        put16(out + len + 2 + e[i].klen, e[i].plen);
        memcpy(out + len + 4 + e[i].klen, e[i].pack, e[i].plen);
        len += 4 + (size_t)e[i].klen + e[i].plen;
    }
    return len;
}

/* ---- a zone's level and split pointer, and its buckets --------------------------------------- */

struct lhash {
    int64_t zone;
    unsigned level;
    uint32_t split;
};

static const char sql_params[] = "SELECT level, split FROM node_zone WHERE zone_id = ?1";
static const char sql_params_put[] =
    "INSERT OR REPLACE INTO node_zone (zone_id, level, split) VALUES (?1, ?2, ?3)";
static const char sql_row[] = "SELECT v FROM node WHERE b = ?1";
static const char sql_row_put[] = "INSERT OR REPLACE INTO node (b, v) VALUES (?1, ?2)";

/* A zone without buckets yet (*found false) gets one: level 0, split 0. */
static int params_get(struct store *st, int64_t zone, struct lhash *p, bool *found,
                      struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_params, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, zone);
    *p = (struct lhash){.zone = zone};
    *found = false;
    if ((rc = store__row(st, s, "node buckets", d)) == 1) {
        *found = true;
        int64_t level = sqlite3_column_int64(s, 0), split = sqlite3_column_int64(s, 1);
        if (level >= 0 && level <= NODE_LEVEL_MAX && split >= 0 && split < (int64_t)1 << level)
            p->level = (unsigned)level, p->split = (uint32_t)split;
    }
    sqlite3_reset(s);
    return rc < 0 ? rc : 0;
}

static int params_put(struct store *st, const struct lhash *p, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_params_put, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, p->zone);
    sqlite3_bind_int64(s, 2, p->level);
    sqlite3_bind_int64(s, 3, p->split);
    return store__done(st, s, "node buckets", d);
}

#define BUCKET_NAMES 1024 /* a bucket's names at most: the others are read from rr */

/* A bucket being edited: a copy of its row, and its names pointing into it or elsewhere. */
struct bucket {
    uint8_t row[NODE_ROW_MAX];
    struct node_entry e[BUCKET_NAMES];
    size_t n;
};

/* What a flush works in: allocated at the first flush with names to rewrite, kept by the
 * store (st->node_scratch) for the next (a third of a megabyte: malloc would map and unmap
 * it at every commit). */
struct scratch {
    struct bucket b, from, to;
    uint8_t pack[NODE_PACK_MAX];
    uint8_t out[NODE_ROW_MAX];
};

/* Reads a bucket (none: no names). A row that is not lanad's is taken as empty: its names are
 * rewritten as they change, and lanad check reports it. */
static int bucket_get(struct store *st, int64_t rowid, struct bucket *b, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_row, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, rowid);
    b->n = 0;
    if ((rc = store__row(st, s, "node buckets", d)) == 1) {
        const uint8_t *v = sqlite3_column_blob(s, 0);
        int len = sqlite3_column_bytes(s, 0);
        if (len > 0 && len <= NODE_ROW_MAX) {
            memcpy(b->row, v, (size_t)len);
            int n = node__entries(b->row, (size_t)len, b->e, BUCKET_NAMES);
            b->n = n > 0 && n <= BUCKET_NAMES ? (size_t)n : 0; /* more: not a row of lanad's */
        }
    }
    sqlite3_reset(s);
    return rc < 0 ? rc : 0;
}

/* Writes a bucket's names (in row order); a bucket without names keeps a row too, so that
 * every bucket of a zone that has buckets has its row (a reader's blob handle moves from row
 * to row, and dies on a missing one). Names that do not fit are left out, last first (they
 * are read from rr). */
static int bucket_put(struct store *st, int64_t rowid, struct bucket *b, uint8_t *out,
                      struct lana_diag *d)
{
    size_t len = 0;
    while ((len = node__encode(b->e, b->n, out)) == 0)
        b->n--;
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_row_put, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, rowid);
    sqlite3_bind_blob(s, 2, out, (int)len, SQLITE_STATIC);
    return store__done(st, s, "node buckets", d);
}

/* Splits the zone's bucket at its split pointer in two, and moves the pointer on. */
static int split(struct store *st, struct lhash *p, struct scratch *w, struct lana_diag *d)
{
    struct bucket *from = &w->from, *to = &w->to;
    uint32_t src = p->split, dst = src + ((uint32_t)1 << p->level);
    int rc = bucket_get(st, node__rowid(p->zone, src), from, d);
    if (rc != 0)
        return rc;
    size_t keep = 0;
    to->n = 0;
    for (size_t i = 0; i < from->n; i++) {
        const struct node_entry *e = &from->e[i];
        if (node__hash(p->zone, e->key, e->klen) >> p->level & 1)
            to->e[to->n++] = *e; /* both stay in row order */
        else
            from->e[keep++] = *e;
    }
    from->n = keep;
    if ((rc = bucket_put(st, node__rowid(p->zone, dst), to, w->out, d)) != 0 ||
        (rc = bucket_put(st, node__rowid(p->zone, src), from, w->out, d)) != 0)
        return rc;
    if (++p->split == (uint32_t)1 << p->level) {
        p->level++;
        p->split = 0;
    }
    return params_put(st, p, d);
}

/* ---- the rewrite of changed names ------------------------------------------------------------ */

static const char sql_dirty[] = "SELECT zone_id, key FROM node_dirty";
static const char sql_records[] = "SELECT type, ttl, rdata FROM rr WHERE zone_id = ?1 AND key = ?2"
                                  " ORDER BY type, rdata";
static const char sql_clean[] = "DELETE FROM node_dirty";

/* Rewrites one name's entry in its bucket from its records: taken out, then put back when the
 * name has records that pack. A bucket grown past NODE_SPLIT_AT names splits one bucket of
 * the zone (not necessarily this one: linear hashing). */
static int rewrite(struct store *st, int64_t zone, const uint8_t *key, size_t klen,
                   struct scratch *w, struct lana_diag *d)
{
    struct bucket *b = &w->b;
    uint8_t *pack = w->pack;
    sqlite3_stmt *s;
    if (!node__zone_ok(zone))
        return 0;
    int rc = store__stmt(st, sql_records, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, zone);
    sqlite3_bind_blob(s, 2, klen > 0 ? key : (const void *)"", (int)klen, SQLITE_STATIC);
    size_t plen = 0;
    bool packs = true;
    while ((rc = store__row(st, s, "node buckets", d)) == 1) {
        int rdlen = sqlite3_column_bytes(s, 2);
        if (packs)
            packs =
                node__pack_add(pack, &plen, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
                               sqlite3_column_blob(s, 2), rdlen > 0 ? (size_t)rdlen : 0);
    }
    if (rc < 0)
        return rc;
    struct lhash p;
    bool found;
    if ((rc = params_get(st, zone, &p, &found, d)) != 0)
        return rc;
    if (!found && (!packs || plen == 0))
        return 0; /* no buckets, and none needed */
    if (!found && (rc = params_put(st, &p, d)) != 0)
        return rc; /* the zone's first bucket */
    uint64_t h = node__hash(zone, key, klen);
    int64_t rowid = node__rowid(zone, node__bucket(p.level, p.split, h));
    if ((rc = bucket_get(st, rowid, b, d)) != 0)
        return rc;
    struct node_entry mine = {node__tag(h), (uint16_t)klen, (uint16_t)plen, key, pack};
    size_t at = 0, was = b->n;
    bool removed = false, added = false;
    while (at < b->n && node__entry_cmp(&b->e[at], &mine) < 0)
        at++;
    if (at < b->n && node__entry_cmp(&b->e[at], &mine) == 0) {
        memmove(&b->e[at], &b->e[at + 1], (--b->n - at) * sizeof b->e[0]);
        removed = true;
    }
    if (packs && plen > 0 && b->n < BUCKET_NAMES) {
        memmove(&b->e[at + 1], &b->e[at], (b->n - at) * sizeof b->e[0]);
        b->e[at] = mine;
        b->n++;
        added = true;
    }
    if (!removed && !added && found)
        return 0; /* not there, and still not: the bucket stays as it is */
    if ((rc = bucket_put(st, rowid, b, w->out, d)) != 0)
        return rc;
    if (b->n > was && b->n > NODE_SPLIT_AT && p.level < NODE_LEVEL_MAX)
        return split(st, &p, w, d);
    return 0;
}

int node__flush(struct store *st, struct lana_diag *d)
{
    sqlite3_stmt *s;
    bool own;
    int rc = store__stmt_walk(st, sql_dirty, &s, &own, d), any = 0;
    if (rc != 0)
        return rc;
    struct scratch *w = NULL;
    while ((rc = store__row(st, s, "node buckets", d)) == 1) {
        const uint8_t *key = sqlite3_column_blob(s, 1);
        int klen = sqlite3_column_bytes(s, 1);
        any = 1;
        if (klen < 0 || klen > DNAME_KEY_MAX)
            continue;
        if (w == NULL && (w = st->node_scratch) == NULL &&
            (w = st->node_scratch = malloc(sizeof *w)) == NULL) {
            rc = diag_set(d, LANA_ENOMEM, "out of memory");
            break;
        }
        if ((rc = rewrite(st, sqlite3_column_int64(s, 0), key, (size_t)klen, w, d)) != 0)
            break;
    }
    store__stmt_end(s, own);
    if (rc < 0 || !any)
        return rc < 0 ? rc : 0;
    if ((rc = store__stmt(st, sql_clean, &s, d)) != 0)
        return rc;
    return store__done(st, s, "node buckets", d);
}

static const char sql_bulk_on[] = "INSERT OR IGNORE INTO node_bulk (zone_id) VALUES (?1)";
static const char sql_bulk_off[] = "DELETE FROM node_bulk WHERE zone_id = ?1";

int node__bulk(struct store *st, int64_t zone, bool on, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, on ? sql_bulk_on : sql_bulk_off, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, zone);
    return store__done(st, s, "node buckets", d);
}

/* ---- the rebuild of a zone ------------------------------------------------------------------- */

static const char sql_clear[] = "DELETE FROM node WHERE b BETWEEN ?1 AND ?2";
static const char sql_clear_params[] = "DELETE FROM node_zone WHERE zone_id = ?1";
static const char sql_clear_dirty[] = "DELETE FROM node_dirty WHERE zone_id = ?1";
static const char sql_zone_records[] = "SELECT key, type, ttl, rdata FROM rr WHERE zone_id = ?1"
                                       " ORDER BY key, type, rdata";
static const char sql_fill[] = "INSERT INTO node (b, v) VALUES (?1, ?2)";

/* The names of a rebuild, packed in memory first: each name's key then its packing, at off in
 * the arena; sorted by bucket, then in row order, before they are written, so that the rows
 * are appended to the table rather than inserted all over it. */
struct built {
    uint32_t bucket;
    struct node_entry e; /* key and pack: offsets into the arena until it stops moving */
};

struct rebuild {
    uint8_t *arena;
    size_t used, cap;
    struct built *rows;
    size_t n, rows_cap;
};

static int by_bucket(const void *a, const void *b)
{
    const struct built *x = a, *y = b;
    if (x->bucket != y->bucket)
        return x->bucket < y->bucket ? -1 : 1;
    return node__entry_cmp(&x->e, &y->e);
}

/* Room for more bytes in the arena: false when memory is short. */
static bool arena_room(struct rebuild *b, size_t more)
{
    if (b->arena != NULL && b->used + more <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 1 << 20;
    while (cap < b->used + more)
        cap *= 2;
    uint8_t *a = realloc(b->arena, cap);
    if (a == NULL)
        return false;
    b->arena = a;
    b->cap = cap;
    return true;
}

/* Ends the name being packed (its key is at the arena's mark): kept when it packs. */
static bool end_name(struct rebuild *b, int64_t zone, size_t mark, size_t klen, bool packs)
{
    size_t plen = b->used - mark - klen;
    if (!packs || plen == 0) {
        b->used = mark;
        return true;
    }
    if (b->n == b->rows_cap) {
        size_t cap = b->rows_cap ? b->rows_cap * 2 : 4096;
        struct built *r = realloc(b->rows, cap * sizeof *r);
        if (r == NULL)
            return false;
        b->rows = r;
        b->rows_cap = cap;
    }
    uint64_t h = node__hash(zone, b->arena + mark, klen);
    b->rows[b->n++] = (struct built){(uint32_t)h, /* the bucket is set once the level is known */
                                     {node__tag(h), (uint16_t)klen, (uint16_t)plen,
                                      (const uint8_t *)(uintptr_t)mark,
                                      (const uint8_t *)(uintptr_t)(mark + klen)}};
    return true;
}

/* Reads the zone's records in key order and packs each name's in memory. */
static int pack_zone(struct store *st, int64_t zone, struct rebuild *b, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_zone_records, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, zone);
    size_t mark = 0, klen = 0;
    bool open = false, packs = false;
    while ((rc = store__row(st, s, "node buckets", d)) == 1) {
        const uint8_t *key = sqlite3_column_blob(s, 0);
        int kl = sqlite3_column_bytes(s, 0), rl = sqlite3_column_bytes(s, 3);
        size_t rdlen = rl > 0 ? (size_t)rl : 0;
        if (kl < 0 || kl > DNAME_KEY_MAX)
            continue;
        /* (the root's key is empty: SQLite gives it as NULL, which memcmp may not see) */
        if (!open || (size_t)kl != klen || (klen > 0 && memcmp(b->arena + mark, key, klen) != 0)) {
            if ((open && !end_name(b, zone, mark, klen, packs)) || !arena_room(b, (size_t)kl)) {
                sqlite3_reset(s);
                return diag_set(d, LANA_ENOMEM, "out of memory");
            }
            mark = b->used;
            klen = (size_t)kl;
            if (klen > 0)
                memcpy(b->arena + mark, key, klen);
            b->used += klen;
            open = packs = true;
        }
        if (!packs)
            continue;
        if (!arena_room(b, 8 + rdlen)) {
            sqlite3_reset(s);
            return diag_set(d, LANA_ENOMEM, "out of memory");
        }
        /* the packing so far starts past the key; node__pack_add bounds it by its start */
        size_t len = b->used - mark - klen;
        packs = node__pack_add(b->arena + mark + klen, &len, sqlite3_column_int64(s, 1),
                               sqlite3_column_int64(s, 2), sqlite3_column_blob(s, 3), rdlen);
        b->used = mark + klen + len;
    }
    if (rc < 0)
        return rc;
    if (open && !end_name(b, zone, mark, klen, packs))
        return diag_set(d, LANA_ENOMEM, "out of memory");
    return 0;
}

/* Writes the built names, sorted, a bucket per row, every bucket of the level (those without
 * names too: bucket_put()). */
static int fill(struct store *st, int64_t zone, unsigned level, struct rebuild *b,
                struct lana_diag *d)
{
    struct bucket *row = malloc(sizeof *row);
    if (row == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_fill, &s, d);
    size_t i = 0;
    for (uint64_t bucket = 0; bucket < (uint64_t)1 << level && rc == 0; bucket++) {
        row->n = 0;
        for (; i < b->n && b->rows[i].bucket == bucket; i++)
            if (row->n < BUCKET_NAMES)
                row->e[row->n++] = b->rows[i].e;
        size_t len = 0;
        while ((len = node__encode(row->e, row->n, row->row)) == 0)
            row->n--; /* the last names do not fit: read from rr */
        sqlite3_bind_int64(s, 1, node__rowid(zone, (uint32_t)bucket));
        sqlite3_bind_blob(s, 2, row->row, (int)len, SQLITE_STATIC);
        rc = store__done(st, s, "node buckets", d);
    }
    free(row);
    return rc;
}

int node__rebuild(struct store *st, int64_t zone, struct lana_diag *d)
{
    const char *const clear[] = {sql_clear, sql_clear_params, sql_clear_dirty};
    sqlite3_stmt *s;
    int rc;
    for (size_t i = 0; i < sizeof clear / sizeof clear[0]; i++) {
        if ((rc = store__stmt(st, clear[i], &s, d)) != 0)
            return rc;
        if (clear[i] == sql_clear) {
            sqlite3_bind_int64(s, 1, node__rowid(zone, 0));
            sqlite3_bind_int64(s, 2, node__rowid(zone, UINT32_MAX));
        } else {
            sqlite3_bind_int64(s, 1, zone);
        }
        if ((rc = store__done(st, s, "node buckets", d)) != 0)
            return rc;
    }
    struct rebuild b = {0};
    if (!node__zone_ok(zone) || (rc = pack_zone(st, zone, &b, d)) != 0 || b.n == 0)
        goto out; /* no names: no buckets (rewrite() makes the first) */
    struct lhash p = {.zone = zone};
    while (p.level < NODE_LEVEL_MAX && ((size_t)NODE_LOAD << p.level) < b.n)
        p.level++;
    for (size_t i = 0; i < b.n; i++) {
        struct built *r = &b.rows[i];
        r->bucket =
            node__bucket(p.level, 0, node__hash(zone, b.arena + (uintptr_t)r->e.key, r->e.klen));
        r->e.key = b.arena + (uintptr_t)r->e.key;
        r->e.pack = b.arena + (uintptr_t)r->e.pack;
    }
    qsort(b.rows, b.n, sizeof *b.rows, by_bucket);
    if ((rc = fill(st, zone, p.level, &b, d)) == 0)
        rc = params_put(st, &p, d);
out:
    free(b.arena);
    free(b.rows);
    return rc;
}

/* 2 when node is empty while rr holds records other than SOAs (a table emptied by hand to
 * have it rebuilt, or a new one), else 1 when node_dirty holds names, else 0. */
static const char sql_state[] =
    "SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM node) AND EXISTS (SELECT 1 FROM rr WHERE type <> 6)"
    " THEN 2 WHEN EXISTS (SELECT 1 FROM node_dirty) THEN 1 ELSE 0 END";
static const char sql_zones[] = "SELECT id FROM zone";

int node__mend(struct store *st, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_state, &s, d);
    if (rc != 0 || (rc = store__row(st, s, "node buckets", d)) < 0)
        return rc;
    int state = rc == 1 ? sqlite3_column_int(s, 0) : 0;
    sqlite3_reset(s);
    if (state == 0)
        return 0;
    if ((rc = store_begin(st, d)) != 0)
        return rc;
    if (state == 2) { /* every zone's buckets, as an import writes them */
        bool own;
        if ((rc = store__stmt_walk(st, sql_zones, &s, &own, d)) == 0) {
            while ((rc = store__row(st, s, "zones", d)) == 1)
                if ((rc = node__rebuild(st, sqlite3_column_int64(s, 0), d)) != 0)
                    break;
            store__stmt_end(s, own);
        }
        if (rc < 0) {
            store_rollback(st);
            return rc;
        }
        log_notice("the DNS lookup table was empty: built from the records");
    }
    return store_commit(st, d); /* which rewrites the buckets of the names noted (node__flush) */
}
