/*
 * zonedb — see zonedb.h.
 */
#include "db/zonedb.h"

#include <stdlib.h>
#include <string.h>

#include "common/dnsmsg.h"
#include "common/log.h"
#include "common/rdata.h"
#include "db/node_int.h"
#include "db/store_int.h"

struct zonedb_reader {
    sqlite3 *db;
    sqlite3_stmt *st_version, *st_node, *st_dirty, *st_params, *st_zones, *st_soa, *st_cuts,
        *st_wilds, *st_changes, *st_change_min, *st_begin, *st_commit;
    int64_t data_version;
    uint64_t generation;
    bool release_warned; /* a failed end of a snapshot was logged once */
    bool hashed_ok;      /* table node may be read: no change awaits its rows (node_int.h) */
    struct zonedb_zone *zones;
    unsigned nzones;
    /* node results: rr array and the bytes their rdata points into */
    struct zonedb_rr *rr;
    unsigned rr_cap;
    uint8_t *buf;
    size_t buf_cap;
    sqlite3_blob *blob; /* on a bucket of table node while a snapshot is held, or NULL */
    uint8_t dir[2 + 4 * 1024];
};

/* The blob handle keeps its statement running, which would keep the snapshot: it goes first. */
static void blob_close(struct zonedb_reader *r)
{
    if (r->blob != NULL)
        sqlite3_blob_close(r->blob);
    r->blob = NULL;
}

static void free_keys(struct zonedb_key *k, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        free(k[i].k);
    free(k);
}

static void free_zones(struct zonedb_zone *z, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        free_keys(z[i].cuts, z[i].ncuts);
        free_keys(z[i].wilds, z[i].nwilds);
    }
    free(z);
}

static struct zonedb_zone *zone_by_id(struct zonedb_zone *z, unsigned n, int64_t id)
{
    for (unsigned i = 0; i < n; i++)
        if (z[i].id == id)
            return &z[i];
    return NULL;
}

static int add_key(struct zonedb_key **arr, unsigned *n, const void *k, size_t len)
{
    if (*n > 0 && (*arr)[*n - 1].len == len && memcmp((*arr)[*n - 1].k, k, len) == 0)
        return 0; /* rows arrive sorted by key: skip the other RRs of the same owner */
    struct zonedb_key *na = realloc(*arr, (*n + 1) * sizeof *na);
    if (na == NULL)
        return LANA_ENOMEM;
    *arr = na;
    if ((na[*n].k = malloc(len)) == NULL)
        return LANA_ENOMEM;
    memcpy(na[*n].k, k, len);
    na[*n].len = len;
    (*n)++;
    return 0;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Loads every zone, its SOA, cuts and wildcards into a new table, then swaps it in. */
static int load_zones(struct zonedb_reader *r, struct lana_diag *d)
{
    struct zonedb_zone *zones = NULL;
    unsigned n = 0;
    int rc = 0, s;
    sqlite3_reset(r->st_zones);
    while ((s = sqlite3_step(r->st_zones)) == SQLITE_ROW) {
        struct zonedb_zone *nz = realloc(zones, (n + 1) * sizeof *nz);
        if (nz == NULL) {
            rc = diag_set(d, LANA_ENOMEM, "out of memory");
            goto out;
        }
        zones = nz;
        struct zonedb_zone *z = &zones[n++];
        memset(z, 0, sizeof *z);
        z->id = sqlite3_column_int64(r->st_zones, 0);
        const void *apex = sqlite3_column_blob(r->st_zones, 1);
        int alen = sqlite3_column_bytes(r->st_zones, 1);
        if (alen < 0 || alen >= DNAME_KEY_MAX || (alen > 0 && apex == NULL) ||
            dname_from_key(apex, (size_t)alen, z->apex) < 0) {
            rc = diag_set(d, LANA_EDB, "zone %lld: bad apex key", (long long)z->id);
            goto out;
        }
        if (alen > 0)
            memcpy(z->apex_key, apex, (size_t)alen);
        z->apex_keylen = (size_t)alen;
        sqlite3_reset(r->st_soa);
        sqlite3_bind_int64(r->st_soa, 1, z->id);
        sqlite3_bind_blob(r->st_soa, 2, z->apex_key, (int)z->apex_keylen, SQLITE_STATIC);
        int step = sqlite3_step(r->st_soa);
        if (step != SQLITE_ROW && step != SQLITE_DONE) {
            /* a failed read is not "no SOA": the zone would answer without one */
            rc = store__err(r->db, d, "load zone SOA");
            sqlite3_reset(r->st_soa);
            goto out;
        }
        if (step == SQLITE_ROW) {
            int len = sqlite3_column_bytes(r->st_soa, 1);
            const uint8_t *rd = sqlite3_column_blob(r->st_soa, 1);
            if (len >= 22 && len <= (int)sizeof z->soa &&
                rdata_is_valid(DNS_T_SOA, rd, (size_t)len)) {
                memcpy(z->soa, rd, (size_t)len);
                z->soa_len = (uint16_t)len;
                z->soa_ttl = (uint32_t)sqlite3_column_int64(r->st_soa, 0);
                uint32_t minimum = get32(rd + len - 4);
                z->neg_ttl = minimum < z->soa_ttl ? minimum : z->soa_ttl;
            }
        }
        sqlite3_reset(r->st_soa);
    }
    if (s != SQLITE_DONE) {
        rc = store__err(r->db, d, "load zones");
        goto out;
    }
    sqlite3_reset(r->st_cuts);
    while ((s = sqlite3_step(r->st_cuts)) == SQLITE_ROW) {
        struct zonedb_zone *z = zone_by_id(zones, n, sqlite3_column_int64(r->st_cuts, 0));
        const void *k = sqlite3_column_blob(r->st_cuts, 1);
        size_t len = (size_t)sqlite3_column_bytes(r->st_cuts, 1);
        if (z == NULL || (len == z->apex_keylen && (len == 0 || memcmp(k, z->apex_key, len) == 0)))
            continue;
        if (add_key(&z->cuts, &z->ncuts, k, len) != 0) {
            rc = diag_set(d, LANA_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (s != SQLITE_DONE) {
        rc = store__err(r->db, d, "load zone cuts");
        goto out;
    }
    sqlite3_reset(r->st_wilds);
    while ((s = sqlite3_step(r->st_wilds)) == SQLITE_ROW) {
        struct zonedb_zone *z = zone_by_id(zones, n, sqlite3_column_int64(r->st_wilds, 0));
        const uint8_t *k = sqlite3_column_blob(r->st_wilds, 1);
        size_t len = (size_t)sqlite3_column_bytes(r->st_wilds, 1);
        /* "*" must be a whole label: the key ends "\0*\0" or is just "*\0" */
        if (z == NULL || len < 2 || (len > 2 && k[len - 3] != 0))
            continue;
        if (add_key(&z->wilds, &z->nwilds, k, len) != 0) {
            rc = diag_set(d, LANA_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (s != SQLITE_DONE) {
        rc = store__err(r->db, d, "load wildcards");
        goto out;
    }
    free_zones(r->zones, r->nzones);
    r->zones = zones;
    r->nzones = n;
    r->generation++;
    zones = NULL;
    n = 0;
out:
    sqlite3_reset(r->st_cuts);
    sqlite3_reset(r->st_wilds);
    free_zones(zones, n);
    return rc;
}

int zonedb_changes(struct zonedb_reader *r, int64_t after, zonedb_change_cb *cb, void *arg,
                   int64_t *last, struct lana_diag *d)
{
    int64_t lo = 0, hi = 0;
    sqlite3_reset(r->st_change_min);
    int step = sqlite3_step(r->st_change_min);
    if (step == SQLITE_ROW) {
        lo = sqlite3_column_int64(r->st_change_min, 0);
        hi = sqlite3_column_int64(r->st_change_min, 1);
    }
    sqlite3_reset(r->st_change_min);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return store__err(r->db, d, "dnschange");
    *last = hi > after ? hi : after;
    if (after < 0 || (lo > after + 1 && hi > after))
        return 1; /* rows this reader has not seen were pruned, or it starts afresh */
    sqlite3_reset(r->st_changes);
    sqlite3_bind_int64(r->st_changes, 1, after);
    while ((step = sqlite3_step(r->st_changes)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(r->st_changes, 0);
        const uint8_t *name = sqlite3_column_blob(r->st_changes, 1);
        int len = sqlite3_column_bytes(r->st_changes, 1);
        if (name != NULL && (len < 1 || len > DNAME_MAXLEN || (size_t)len != dname_len(name)))
            name = NULL; /* unreadable: take it as "anything" */
        cb(name, arg);
        if (seq > *last)
            *last = seq;
    }
    sqlite3_reset(r->st_changes);
    return step == SQLITE_DONE ? 0 : store__err(r->db, d, "dnschange");
}

void zonedb_reader_hold(struct zonedb_reader *r)
{
    if (sqlite3_get_autocommit(r->db)) {
        /* a deferred BEGIN: the snapshot is taken by the first read that follows */
        sqlite3_step(r->st_begin);
        sqlite3_reset(r->st_begin);
    }
}

void zonedb_reader_release(struct zonedb_reader *r)
{
    blob_close(r);
    if (sqlite3_get_autocommit(r->db))
        return;
    int rc = sqlite3_step(r->st_commit);
    sqlite3_reset(r->st_commit);
    if (rc != SQLITE_DONE && !sqlite3_get_autocommit(r->db)) {
        /* never seen for a read-only transaction; a snapshot kept would hold the WAL back */
        sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
        if (!r->release_warned)
            log_warn("zone reader: ending a read transaction: %s", sqlite3_errmsg(r->db));
        r->release_warned = true;
    }
}

bool zonedb_reader_held(const struct zonedb_reader *r)
{
    return !sqlite3_get_autocommit(r->db);
}

int zonedb_reader_sync(struct zonedb_reader *r, struct lana_diag *d)
{
    int64_t v = -1;
    zonedb_reader_release(r); /* data_version reports commits seen by a new snapshot only */
    sqlite3_reset(r->st_version);
    if (sqlite3_step(r->st_version) == SQLITE_ROW)
        v = sqlite3_column_int64(r->st_version, 0);
    sqlite3_reset(r->st_version);
    if (v < 0)
        return store__err(r->db, d, "data_version");
    if (v == r->data_version)
        return 0;
    /* Read the version before the zones: a commit in between only causes one more reload. */
    int rc = load_zones(r, d);
    if (rc != 0)
        return rc;
    r->hashed_ok = false; /* until told otherwise: a change awaits its rows, or no table */
    if (r->st_params != NULL) {
        sqlite3_reset(r->st_dirty);
        int step = sqlite3_step(r->st_dirty);
        if (step == SQLITE_ROW)
            r->hashed_ok = sqlite3_column_int(r->st_dirty, 0) == 0;
        sqlite3_reset(r->st_dirty);
        if (step != SQLITE_ROW)
            return store__err(r->db, d, "lookup table");
        /* each zone's buckets (none listed: level 0, a single bucket) */
        while ((step = sqlite3_step(r->st_params)) == SQLITE_ROW) {
            struct zonedb_zone *z =
                zone_by_id(r->zones, r->nzones, sqlite3_column_int64(r->st_params, 0));
            int64_t level = sqlite3_column_int64(r->st_params, 1);
            int64_t split = sqlite3_column_int64(r->st_params, 2);
            if (z != NULL && level >= 0 && level <= NODE_LEVEL_MAX && split >= 0 &&
                split < (int64_t)1 << level) {
                z->node_on = true;
                z->node_level = (unsigned)level;
                z->node_split = (uint32_t)split;
            }
        }
        sqlite3_reset(r->st_params);
        if (step != SQLITE_DONE) {
            r->hashed_ok = false;
            return store__err(r->db, d, "lookup table");
        }
    }
    r->data_version = v;
    return 1;
}

int zonedb_reader_open(const char *path, struct zonedb_reader **out, struct lana_diag *d)
{
    struct zonedb_reader *r = calloc(1, sizeof *r);
    int rc = 0;
    *out = NULL;
    if (r == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    r->data_version = -1;
    store__init_once();
    if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                        store__read_vfs()) != SQLITE_OK) {
        rc = diag_set(d, LANA_EDB, "%s: %s", path, r->db ? sqlite3_errmsg(r->db) : "cannot open");
        goto out;
    }
    if ((rc = store__configure(r->db, false, d)) != 0)
        goto out;
    struct {
        sqlite3_stmt **st;
        const char *sql;
    } stmts[] = {
        {&r->st_version, "PRAGMA data_version"},
        {&r->st_node, "SELECT key, type, ttl, rdata FROM rr WHERE zone_id = ?1 AND key >= ?2"
                      " ORDER BY key, type, rdata"},
        {&r->st_zones, "SELECT id, apex FROM zone ORDER BY id"},
        {&r->st_soa, "SELECT ttl, rdata FROM rr WHERE zone_id = ?1 AND key = ?2 AND type = 6"
                     " LIMIT 1"},
        {&r->st_cuts, "SELECT zone_id, key FROM rr WHERE type = 2 ORDER BY zone_id, key"},
        {&r->st_wilds, "SELECT zone_id, key FROM rr WHERE substr(key, -2) = x'2a00'"
                       " ORDER BY zone_id, key"},
        {&r->st_changes, "SELECT seq, name FROM dnschange WHERE seq > ?1 ORDER BY seq"},
        /* two subqueries: min() and max() together would scan the table, each alone is a seek */
        {&r->st_change_min, "SELECT coalesce((SELECT min(seq) FROM dnschange), 0),"
                            " coalesce((SELECT max(seq) FROM dnschange), 0)"},
        {&r->st_begin, "BEGIN"},
        {&r->st_commit, "COMMIT"},
    };
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++) {
        if (sqlite3_prepare_v3(r->db, stmts[i].sql, -1, SQLITE_PREPARE_PERSISTENT, stmts[i].st,
                               NULL) != SQLITE_OK) {
            rc = store__err(r->db, d, "prepare");
            goto out;
        }
    }
    /* a database from before the lookup table in buckets (schema 8: node_zone) is read
     * through rr alone; the buckets themselves are read through a blob handle (node_hashed) */
    if (sqlite3_prepare_v3(r->db, "SELECT EXISTS (SELECT 1 FROM node_dirty)", -1,
                           SQLITE_PREPARE_PERSISTENT, &r->st_dirty, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(r->db, "SELECT zone_id, level, split FROM node_zone", -1,
                           SQLITE_PREPARE_PERSISTENT, &r->st_params, NULL) != SQLITE_OK) {
        sqlite3_finalize(r->st_params);
        r->st_params = NULL;
    }
    if ((rc = zonedb_reader_sync(r, d)) < 0)
        goto out;
    *out = r;
    return 0;
out:
    zonedb_reader_close(r);
    return rc;
}

void zonedb_reader_close(struct zonedb_reader *r)
{
    if (r == NULL)
        return;
    sqlite3_finalize(r->st_version);
    sqlite3_finalize(r->st_node);
    blob_close(r);
    sqlite3_finalize(r->st_dirty);
    sqlite3_finalize(r->st_params);
    sqlite3_finalize(r->st_zones);
    sqlite3_finalize(r->st_soa);
    sqlite3_finalize(r->st_cuts);
    sqlite3_finalize(r->st_wilds);
    sqlite3_finalize(r->st_changes);
    sqlite3_finalize(r->st_change_min);
    sqlite3_finalize(r->st_begin);
    sqlite3_finalize(r->st_commit);
    sqlite3_close_v2(r->db);
    free_zones(r->zones, r->nzones);
    free(r->rr);
    free(r->buf);
    free(r);
}

uint64_t zonedb_reader_generation(const struct zonedb_reader *r)
{
    return r->generation;
}

unsigned zonedb_zone_count(const struct zonedb_reader *r)
{
    return r->nzones;
}

const struct zonedb_zone *zonedb_zone_at(const struct zonedb_reader *r, unsigned i)
{
    return i < r->nzones ? &r->zones[i] : NULL;
}

const struct zonedb_zone *zonedb_find_zone(const struct zonedb_reader *r, const uint8_t *key,
                                           size_t keylen)
{
    /* Keys of ancestors are prefixes ending at a separator, so a prefix test suffices. */
    const struct zonedb_zone *best = NULL;
    for (unsigned i = 0; i < r->nzones; i++) {
        const struct zonedb_zone *z = &r->zones[i];
        if (z->apex_keylen <= keylen && memcmp(z->apex_key, key, z->apex_keylen) == 0 &&
            (best == NULL || z->apex_keylen > best->apex_keylen))
            best = z;
    }
    return best;
}

/* Room for n records and len bytes of rdata in the reader's result arrays. */
static int reserve(struct zonedb_reader *r, unsigned n, size_t len)
{
    if (n > r->rr_cap) {
        unsigned cap = r->rr_cap ? r->rr_cap : 16;
        while (cap < n)
            cap *= 2;
        struct zonedb_rr *nr = realloc(r->rr, cap * sizeof *nr);
        if (nr == NULL)
            return LANA_ENOMEM;
        r->rr = nr;
        r->rr_cap = cap;
    }
    if (len > r->buf_cap) {
        size_t cap = r->buf_cap ? r->buf_cap : 4096;
        while (cap < len)
            cap *= 2;
        uint8_t *nb = realloc(r->buf, cap);
        if (nb == NULL)
            return LANA_ENOMEM;
        r->buf = nb;
        r->buf_cap = cap;
    }
    return 0;
}

/* Reads the packed records of plen bytes in r->buf into r->rr (db/node_int.h): 1, or 0 for
 * a packing that does not parse (not lanad's: read rr instead), or LANA_ENOMEM. */
static int unpack(struct zonedb_reader *r, size_t plen, struct zonedb_node *out)
{
    const uint8_t *p = r->buf;
    unsigned n = 0;
    for (size_t off = 0; off + 8 <= plen; n++)
        off += 8 + ((size_t)p[off + 6] << 8 | p[off + 7]);
    int rc = reserve(r, n, plen);
    if (rc != 0)
        return rc;
    size_t off = 0;
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *e = r->buf + off;
        uint16_t rdlen = (uint16_t)(e[6] << 8 | e[7]);
        if (off + 8 + rdlen > plen)
            return 0; /* cut short */
        r->rr[i].type = (uint16_t)(e[0] << 8 | e[1]);
        r->rr[i].ttl = get32(e + 2);
        r->rr[i].rdlen = rdlen;
        r->rr[i].rdata = e + 8;
        off += 8 + rdlen;
    }
    if (n == 0 || off != plen)
        return 0;
    out->rr = r->rr;
    out->nrr = n;
    out->has_below = false; /* not known, and only asked of a name without records */
    return 1;
}

/*
 * The name's records from its bucket in table node (db/node_int.h): one integer seek, then a
 * look at the bucket's directory. 1 with out filled, 0 when the name is not there (read rr
 * then), <0 on error. A row or packing that does not parse is taken as no entry.
 */
static int node_hashed(struct zonedb_reader *r, const struct zonedb_zone *z, const uint8_t *key,
                       size_t keylen, struct zonedb_node *out)
{
    if (!r->hashed_ok || !z->node_on || !node__zone_ok(z->id) || keylen > DNAME_KEY_MAX)
        return 0;
    uint64_t h = node__hash(z->id, key, keylen);
    int64_t rowid = node__rowid(z->id, node__bucket(z->node_level, z->node_split, h));
    /* An incremental-I/O handle reads the few bytes wanted where a statement would copy
     * the whole bucket out of its page; moved from bucket to bucket, it is opened once per
     * snapshot. Every bucket has a row, so a move fails on a damaged table only. */
    int rc = r->blob != NULL ? sqlite3_blob_reopen(r->blob, rowid)
                             : sqlite3_blob_open(r->db, "main", "node", "v", rowid, 0, &r->blob);
    if (rc != SQLITE_OK) {
        blob_close(r); /* dead after a failed move: read rr, open anew next time */
        return 0;
    }
    int found = 0;
    int len = sqlite3_blob_bytes(r->blob);
    uint8_t *dir = r->dir;
    size_t n = 0;
    if (len < 2 || sqlite3_blob_read(r->blob, dir, 2, 0) != SQLITE_OK ||
        (n = (size_t)(dir[0] << 8 | dir[1])) > (sizeof r->dir - 2) / 4 || 2 + 4 * n > (size_t)len ||
        (n > 0 && sqlite3_blob_read(r->blob, dir + 2, (int)(4 * n), 2) != SQLITE_OK))
        goto out;
    uint16_t tag = node__tag(h);
    uint8_t head[2 + DNAME_KEY_MAX + 2];
    for (size_t i = 0; i < n; i++) {
        const uint8_t *slot = dir + 2 + 4 * i;
        uint16_t t = (uint16_t)(slot[0] << 8 | slot[1]);
        if (t < tag)
            continue;
        if (t > tag)
            break;
        /* the entry's head: key length, key, packing length; for a key of our length */
        size_t off = (size_t)(slot[2] << 8 | slot[3]);
        if (off + 4 + keylen > (size_t)len)
            continue; /* not an entry of our name's length */
        if (sqlite3_blob_read(r->blob, head, (int)(4 + keylen), (int)off) != SQLITE_OK)
            goto out;
        if ((size_t)(head[0] << 8 | head[1]) != keylen ||
            (keylen > 0 && memcmp(head + 2, key, keylen) != 0))
            continue;
        size_t plen = (size_t)(head[2 + keylen] << 8 | head[3 + keylen]);
        if (plen == 0 || off + 4 + keylen + plen > (size_t)len || (rc = reserve(r, 0, plen)) != 0)
            goto out;
        if (sqlite3_blob_read(r->blob, r->buf, (int)plen, (int)(off + 4 + keylen)) != SQLITE_OK)
            goto out;
        if ((found = unpack(r, plen, out)) < 0)
            rc = found;
        break;
    }
out:
    if (sqlite3_get_autocommit(r->db))
        blob_close(r); /* no snapshot held: the handle's own would outlive this read */
    return rc < 0 ? rc : found;
}

int zonedb_node_get(struct zonedb_reader *r, const struct zonedb_zone *z, const uint8_t *key,
                    size_t keylen, struct zonedb_node *out)
{
    int found = node_hashed(r, z, key, keylen, out);
    if (found != 0)
        return found < 0 ? found : 0;
    sqlite3_stmt *s = r->st_node;
    int rc = 0, step;
    size_t used = 0;
    unsigned n = 0;
    out->has_below = false;
    sqlite3_bind_int64(s, 1, z->id);
    sqlite3_bind_blob(s, 2, key, (int)keylen, SQLITE_STATIC);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        const uint8_t *k = sqlite3_column_blob(s, 0);
        size_t klen = (size_t)sqlite3_column_bytes(s, 0);
        /* (the root's key is empty: SQLite gives it as NULL, which memcmp may not see) */
        if (klen != keylen || (keylen > 0 && memcmp(k, key, keylen) != 0)) {
            /* The first row after the node: a name below it shares the node's key prefix. */
            out->has_below = klen > keylen && (keylen == 0 || memcmp(k, key, keylen) == 0);
            break;
        }
        const uint8_t *rd = sqlite3_column_blob(s, 3);
        size_t rdlen = (size_t)sqlite3_column_bytes(s, 3);
        if (rdlen > 65535)
            continue;
        if ((rc = reserve(r, n + 1, used + rdlen)) != 0)
            goto out;
        if (rdlen > 0)
            memcpy(r->buf + used, rd, rdlen);
        r->rr[n].type = (uint16_t)sqlite3_column_int(s, 1);
        r->rr[n].ttl = (uint32_t)sqlite3_column_int64(s, 2);
        r->rr[n].rdlen = (uint16_t)rdlen;
        r->rr[n].rdata = (const uint8_t *)(uintptr_t)used; /* offset until buf stops moving */
        used += rdlen;
        n++;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = LANA_EDB;
out:
    sqlite3_reset(s);
    if (rc != 0)
        return rc;
    for (unsigned i = 0; i < n; i++)
        r->rr[i].rdata = r->buf + (uintptr_t)r->rr[i].rdata;
    out->rr = r->rr;
    out->nrr = n;
    return 0;
}
