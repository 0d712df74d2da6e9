/*
 * node — see node_int.h. The SQL functions the triggers on rr call, and the rebuild of a
 * zone's rows after a bulk change.
 */
#include "db/node_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/dnsmsg.h"
#include "common/log.h"
#include "db/store.h"
#include "db/store_int.h"

int64_t node__hash(int64_t zone, const uint8_t *key, size_t keylen)
{
    /* FNV-1a over the zone id and the key, then a final mix (the rowids spread evenly, so
     * the table's pages fill evenly) */
    uint64_t h = 0xcbf29ce484222325ull, z = (uint64_t)zone;
    for (int i = 0; i < 8; i++, z >>= 8)
        h = (h ^ (z & 0xff)) * 0x100000001b3ull;
    for (size_t i = 0; i < keylen; i++)
        h = (h ^ key[i]) * 0x100000001b3ull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return (int64_t)h;
}

static void fn_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const uint8_t *key = sqlite3_value_blob(argv[1]);
    int len = sqlite3_value_bytes(argv[1]);
    sqlite3_result_int64(ctx, node__hash(sqlite3_value_int64(argv[0]), len > 0 ? key : NULL,
                                         len > 0 ? (size_t)len : 0));
}

/* The aggregate's state: the packed records so far, in small while they fit (most names'
 * do), else in a buffer of NODE_PACK_MAX; none: the name gets no row. SQLite zeroes it for
 * every name, so it is kept small. */
struct pack {
    size_t len;
    bool none;
    uint8_t *big;
    uint8_t small[232];
};

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

static void fn_pack_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    struct pack *p = sqlite3_aggregate_context(ctx, sizeof *p);
    if (p == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    int n = sqlite3_value_bytes(argv[2]);
    size_t rdlen = n > 0 ? (size_t)n : 0;
    if (p->none)
        return;
    if (p->big == NULL && p->len + 8 + rdlen > sizeof p->small) {
        if ((p->big = sqlite3_malloc(NODE_PACK_MAX)) == NULL) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
        memcpy(p->big, p->small, p->len);
    }
    p->none =
        !node__pack_add(p->big != NULL ? p->big : p->small, &p->len, sqlite3_value_int64(argv[0]),
                        sqlite3_value_int64(argv[1]), sqlite3_value_blob(argv[2]), rdlen);
}

static void fn_pack_final(sqlite3_context *ctx)
{
    struct pack *p = sqlite3_aggregate_context(ctx, 0);
    if (p == NULL || p->none || p->len == 0)
        sqlite3_result_null(ctx);
    else
        sqlite3_result_blob(ctx, p->big != NULL ? p->big : p->small, (int)p->len, SQLITE_TRANSIENT);
    if (p != NULL)
        sqlite3_free(p->big);
}

int node__register(struct store *st, struct lana_diag *d)
{
    const int flags = SQLITE_UTF8 | SQLITE_INNOCUOUS;
    if (sqlite3_create_function(st->db, "lana_node_hash", 2, flags | SQLITE_DETERMINISTIC, NULL,
                                fn_hash, NULL, NULL) != SQLITE_OK ||
        sqlite3_create_function(st->db, "lana_node_pack", 3, flags, NULL, NULL, fn_pack_step,
                                fn_pack_final) != SQLITE_OK)
        return store__err(st->db, d, "register functions");
    return 0;
}

static const char sql_dirty[] = "SELECT zone_id, key FROM node_dirty";
static const char sql_records[] = "SELECT type, ttl, rdata FROM rr WHERE zone_id = ?1 AND key = ?2"
                                  " ORDER BY type, rdata";
static const char sql_drop[] = "DELETE FROM node WHERE h = ?1";
static const char sql_put[] = "INSERT INTO node (h, zone_id, key, rrs) VALUES (?1, ?2, ?3, ?4)";
static const char sql_clean[] = "DELETE FROM node_dirty";

/* Rewrites the row of one name from its records: the slot of its hash is emptied (whoever
 * held it), then filled when the name has records that pack. */
static int rewrite(struct store *st, int64_t zone, const uint8_t *key, size_t klen,
                   struct lana_diag *d)
{
    static _Thread_local uint8_t buf[NODE_PACK_MAX];
    int64_t h = node__hash(zone, key, klen);
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_drop, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, h);
    if ((rc = store__done(st, s, "node row", d)) != 0 ||
        (rc = store__stmt(st, sql_records, &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, zone);
    sqlite3_bind_blob(s, 2, klen > 0 ? key : (const void *)"", (int)klen, SQLITE_STATIC);
    size_t len = 0;
    bool packs = true;
    while ((rc = store__row(st, s, "node row", d)) == 1) {
        int rdlen = sqlite3_column_bytes(s, 2);
        if (packs)
            packs =
                node__pack_add(buf, &len, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
                               sqlite3_column_blob(s, 2), rdlen > 0 ? (size_t)rdlen : 0);
    }
    if (rc < 0)
        return rc;
    if (!packs || len == 0)
        return 0;
    if ((rc = store__stmt(st, sql_put, &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, h);
    sqlite3_bind_int64(s, 2, zone);
    sqlite3_bind_blob(s, 3, klen > 0 ? key : (const void *)"", (int)klen, SQLITE_TRANSIENT);
    sqlite3_bind_blob(s, 4, buf, (int)len, SQLITE_TRANSIENT);
    return store__done(st, s, "node row", d);
}

int node__flush(struct store *st, struct lana_diag *d)
{
    sqlite3_stmt *s;
    bool own;
    int rc = store__stmt_walk(st, sql_dirty, &s, &own, d), any = 0;
    if (rc != 0)
        return rc;
    while ((rc = store__row(st, s, "node rows", d)) == 1) {
        const uint8_t *key = sqlite3_column_blob(s, 1);
        int klen = sqlite3_column_bytes(s, 1);
        any = 1;
        if ((rc = rewrite(st, sqlite3_column_int64(s, 0), key, klen > 0 ? (size_t)klen : 0, d)) !=
            0)
            break;
    }
    store__stmt_end(s, own);
    if (rc < 0 || !any)
        return rc < 0 ? rc : 0;
    if ((rc = store__stmt(st, sql_clean, &s, d)) != 0)
        return rc;
    return store__done(st, s, "node rows", d);
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
    return store__done(st, s, "node rows", d);
}

static const char sql_clear[] = "DELETE FROM node WHERE zone_id = ?1";
static const char sql_clear_dirty[] = "DELETE FROM node_dirty WHERE zone_id = ?1";
static const char sql_zone_records[] = "SELECT key, type, ttl, rdata FROM rr WHERE zone_id = ?1"
                                       " ORDER BY key, type, rdata";
/* a name whose hash another holds already (of another zone, or earlier here) keeps no row */
static const char sql_fill[] =
    "INSERT OR IGNORE INTO node (h, zone_id, key, rrs) VALUES (?1, ?2, ?3, ?4)";

/* The rows of a rebuild, made in memory first: each name's key then its packing, at off in
 * the arena; sorted by hash before they are written, so that they are appended to the table
 * rather than inserted all over it. */
struct built {
    int64_t h;
    size_t off;
    uint16_t klen;
    uint16_t plen;
};

struct rebuild {
    uint8_t *arena;
    size_t used, cap;
    struct built *rows;
    size_t n, rows_cap;
};

static int by_hash(const void *a, const void *b)
{
    int64_t x = ((const struct built *)a)->h, y = ((const struct built *)b)->h;
    return x < y ? -1 : x > y;
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

/* Ends the name being packed (its key is at the arena's mark): kept as a row when it packs. */
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
    b->rows[b->n++] = (struct built){node__hash(zone, b->arena + mark, klen), mark, (uint16_t)klen,
                                     (uint16_t)plen};
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
    while ((rc = store__row(st, s, "node rows", d)) == 1) {
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

int node__rebuild(struct store *st, int64_t zone, struct lana_diag *d)
{
    const char *const clear[] = {sql_clear, sql_clear_dirty};
    sqlite3_stmt *s;
    int rc;
    for (size_t i = 0; i < sizeof clear / sizeof clear[0]; i++) {
        if ((rc = store__stmt(st, clear[i], &s, d)) != 0)
            return rc;
        sqlite3_bind_int64(s, 1, zone);
        if ((rc = store__done(st, s, "node rows", d)) != 0)
            return rc;
    }
    struct rebuild b = {0};
    if ((rc = pack_zone(st, zone, &b, d)) != 0)
        goto out;
    if (b.n == 0)
        goto out;
    qsort(b.rows, b.n, sizeof *b.rows, by_hash);
    if ((rc = store__stmt(st, sql_fill, &s, d)) != 0)
        goto out;
    for (size_t i = 0; i < b.n && rc == 0; i++) {
        const struct built *r = &b.rows[i];
        sqlite3_bind_int64(s, 1, r->h);
        sqlite3_bind_int64(s, 2, zone);
        sqlite3_bind_blob(s, 3, r->klen > 0 ? b.arena + r->off : (const uint8_t *)"", r->klen,
                          SQLITE_STATIC);
        sqlite3_bind_blob(s, 4, b.arena + r->off + r->klen, r->plen, SQLITE_STATIC);
        rc = store__done(st, s, "node rows", d);
    }
out:
    free(b.arena);
    free(b.rows);
    return rc;
}

/* 1 when node_dirty holds names, 2 when node is empty while rr holds records other than
 * SOAs (a table emptied by hand, to have it rebuilt), 0 when neither; or LANA_EDB. */
static const char sql_state[] =
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM node_dirty) THEN 1"
    " WHEN NOT EXISTS (SELECT 1 FROM node) AND EXISTS (SELECT 1 FROM rr WHERE type <> 6)"
    " THEN 2 ELSE 0 END";
static const char sql_zones[] = "SELECT id FROM zone";

int node__mend(struct store *st, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_state, &s, d);
    if (rc != 0 || (rc = store__row(st, s, "node rows", d)) < 0)
        return rc;
    int state = rc == 1 ? sqlite3_column_int(s, 0) : 0;
    sqlite3_reset(s);
    if (state == 0)
        return 0;
    if ((rc = store_begin(st, d)) != 0)
        return rc;
    if (state == 2) { /* every zone's rows, as an import writes them */
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
        log_notice("the DNS lookup table was empty: rebuilt from the records");
    }
    return store_commit(st, d); /* which rewrites the rows of the names noted (node__flush) */
}
