/*
 * zonexfr — see zonexfr.h. BEGIN on a fresh connection opens no snapshot yet; the first
 * SELECT does, and the transaction stays open until zonexfr_close(), so the SOA and every row
 * after it are read from the same WAL snapshot.
 *
 * A difference is read from the journal rows after the client's version, ordered by record
 * (owner key, type, rdata) and then by time: the rows of one record form a group whose first
 * operation tells whether the record existed in the client's version (its first change was
 * a removal) and whose last tells whether it exists now. The query runs twice, once for the
 * removed records and once for the added, so a difference of any size costs two rows of
 * memory. A record whose TTL changed is removed with the old and added with the new.
 */
#include "db/zonexfr.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/dname.h"
#include "common/dnsmsg.h"
#include "common/serial.h"
#include "db/store_int.h"

#define SOA_RDATA_MAX (2 * DNAME_MAXLEN + 20) /* MNAME, RNAME and five numbers at most */
/* changes in a difference at most: its rows are sorted on the DNS worker's thread */
#define ZONEXFR_DIFF_MAX 100000
#define OP_REMOVED 0
#define OP_ADDED 1

/* the journal rows of one record, merged */
struct group {
    uint8_t key[DNAME_KEY_MAX];
    size_t klen;
    uint16_t type;
    uint8_t *rdata; /* 65535 bytes */
    size_t rdlen;
    int first_op, last_op;
    uint32_t first_ttl, last_ttl;
};

/* where a difference stands: the SOAs and the two passes over the journal */
enum phase { PH_OLD_SOA, PH_REMOVED, PH_NEW_SOA, PH_ADDED, PH_DONE };

/*
 * Idle transfer connections, kept for the next transfer: opening one costs the schema's
 * parsing, and its map of the file (PRAGMA mmap_size) would be faulted in page by page again
 * by every transfer; a kept one finds the pages of the zone mapped already. A connection is
 * given back with no statement and no transaction open, and taken again only for the same
 * path naming the same file: device, inode and change time as when it was opened (a file
 * replaced under the same name, even on a reused inode, gets a new connection; so does the
 * file after a checkpoint wrote to it, which costs an open, never a wrong answer).
 */
#define POOL_MAX 4

struct pooled {
    sqlite3 *db;
    char *path;
    struct stat st;
};

static struct {
    pthread_mutex_t mu;
    struct pooled v[POOL_MAX];
    unsigned n;
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER};

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* An idle connection to the file at path (whose identity st gives), or NULL; the kept
 * connections to what path named before are closed. */
static sqlite3 *pool_take(const char *path, const struct stat *st)
{
    sqlite3 *db = NULL, *stale[POOL_MAX];
    unsigned nstale = 0;
    pthread_mutex_lock(&pool.mu);
    for (unsigned i = pool.n; i-- > 0;) {
        struct pooled *p = &pool.v[i];
        if (strcmp(p->path, path) != 0)
            continue;
        if (db == NULL && same_file(&p->st, st))
            db = p->db;
        else if (!same_file(&p->st, st))
            stale[nstale++] = p->db;
        else
            continue;
        free(p->path);
        pool.v[i] = pool.v[--pool.n];
    }
    pthread_mutex_unlock(&pool.mu);
    for (unsigned i = 0; i < nstale; i++)
        sqlite3_close(stale[i]);
    return db;
}

/* Keeps the idle connection db to the file at path for the next transfer, or closes it. */
static void pool_give(sqlite3 *db, const char *path, const struct stat *st)
{
    char *copy = strdup(path);
    pthread_mutex_lock(&pool.mu);
    if (copy != NULL && pool.n < POOL_MAX) {
        pool.v[pool.n++] = (struct pooled){db, copy, *st};
        db = NULL;
        copy = NULL;
    }
    pthread_mutex_unlock(&pool.mu);
    free(copy);
    sqlite3_close(db);
}

struct zonexfr {
    sqlite3 *db;
    char *path;     /* the database's, for giving the connection back (pool_give) */
    struct stat st; /* the file's identity when the transfer started */
    sqlite3_stmt *rows; /* the zone's records, or the journal rows of the difference */
    bool in_txn;
    enum zonexfr_kind kind;
    int64_t zone, version;
    char why[128];
    struct zonexfr_rr soa;
    uint8_t soa_rdata[SOA_RDATA_MAX];
    /* a difference */
    struct zonexfr_rr old_soa;
    uint8_t old_rdata[SOA_RDATA_MAX];
    enum phase phase;
    struct group g[2]; /* the current group and the first row of the next */
    int cur;
    bool pending, at_end;
    /* a whole zone: the key of the last row read (-1: none) and its owner */
    uint8_t last_key[DNAME_KEY_MAX];
    int last_klen;
    uint8_t last_owner[DNAME_MAXLEN];
    size_t last_olen;
    bool ranged; /* rows is the statement of zonexfr_range */
};

/* Prepares sql on the transfer's connection into *s. */
static int prep(struct zonexfr *x, const char *sql, sqlite3_stmt **s, struct lana_diag *d)
{
    if (sqlite3_prepare_v2(x->db, sql, -1, s, NULL) != SQLITE_OK) {
        *s = NULL;
        return store__err(x->db, d, "prepare transfer");
    }
    return 0;
}

static int full(struct zonexfr *x, const char *why)
{
    x->kind = ZONEXFR_FULL;
    snprintf(x->why, sizeof x->why, "%s", why);
    return 0;
}

/*
 * Decides how to answer an IXFR from serial since: the SOA alone, a difference from the
 * version of that serial, or the whole zone (x->why says why). 0, or LANA_EDB/LANA_ENOMEM.
 */
static int plan_ixfr(struct zonexfr *x, int64_t zone, uint32_t since, struct lana_diag *d)
{
    uint32_t now;
    char why[96];
    sqlite3_stmt *s = NULL;
    int rc = 0;
    const uint8_t *p = x->soa_rdata + x->soa.rdlen - 20;
    now = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    if (since == now || serial_lt(now, since)) {
        x->kind = ZONEXFR_CURRENT;
        return 0;
    }
    if (!serial_lt(since, now)) /* 2^31 apart: RFC 1982 leaves the order undefined */
        return full(x, "the serials are 2^31 apart");
    /* the newest version must be the zone as it is, with nothing unsealed after it */
    if ((rc = prep(x, "SELECT seq, serial FROM journal_version WHERE zone_id = ?1"
                      " ORDER BY seq DESC LIMIT 1", &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, zone);
    int step = sqlite3_step(s);
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        rc = store__err(x->db, d, "journal");
        goto out;
    }
    if (step == SQLITE_DONE || sqlite3_column_bytes(s, 1) != 4 ||
        memcmp(sqlite3_column_blob(s, 1), p, 4) != 0) {
        rc = full(x, "the journal does not reach the current serial");
        goto out;
    }
    int64_t last = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if ((rc = prep(x, "SELECT EXISTS(SELECT 1 FROM journal WHERE zone_id = ?1 AND seq > ?2)", &s,
                   d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, zone);
    sqlite3_bind_int64(s, 2, last);
    if (sqlite3_step(s) != SQLITE_ROW) {
        rc = store__err(x->db, d, "journal");
        goto out;
    }
    if (sqlite3_column_int(s, 0) != 0) {
        rc = full(x, "changes not sealed into a version");
        goto out;
    }
    sqlite3_finalize(s);
    /* the client's version: exactly one */
    uint8_t want[4] = {(uint8_t)(since >> 24), (uint8_t)(since >> 16), (uint8_t)(since >> 8),
                       (uint8_t)since};
    if ((rc = prep(x, "SELECT seq, soa, ttl FROM journal_version WHERE zone_id = ?1"
                      " AND serial = ?2 ORDER BY seq DESC LIMIT 2", &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, zone);
    sqlite3_bind_blob(s, 2, want, 4, SQLITE_STATIC);
    if ((step = sqlite3_step(s)) != SQLITE_ROW) {
        if (step != SQLITE_DONE)
            rc = store__err(x->db, d, "journal");
        else {
            snprintf(why, sizeof why, "serial %lu is not in the journal", (unsigned long)since);
            rc = full(x, why);
        }
        goto out;
    }
    int64_t base = sqlite3_column_int64(s, 0);
    int n = sqlite3_column_bytes(s, 1);
    if (n < 22 || (size_t)n > sizeof x->old_rdata) {
        rc = diag_set(d, LANA_EDB, "journal: bad SOA of serial %lu", (unsigned long)since);
        goto out;
    }
    memcpy(x->old_rdata, sqlite3_column_blob(s, 1), (size_t)n);
    x->old_soa = x->soa;
    x->old_soa.ttl = (uint32_t)sqlite3_column_int64(s, 2);
    x->old_soa.rdlen = (uint16_t)n;
    x->old_soa.rdata = x->old_rdata;
    if ((step = sqlite3_step(s)) == SQLITE_ROW) {
        snprintf(why, sizeof why, "serial %lu names two versions", (unsigned long)since);
        rc = full(x, why);
        goto out;
    }
    if (step != SQLITE_DONE) {
        rc = store__err(x->db, d, "journal");
        goto out;
    }
    sqlite3_finalize(s);
    s = NULL;
    /* a difference is sorted before it is sent; beyond a bound the whole zone is cheaper */
    if ((rc = prep(x, "SELECT count(*) FROM (SELECT 1 FROM journal WHERE zone_id = ?1"
                      " AND seq > ?2 AND seq <= ?3 LIMIT ?4)", &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, zone);
    sqlite3_bind_int64(s, 2, base);
    sqlite3_bind_int64(s, 3, last);
    sqlite3_bind_int64(s, 4, ZONEXFR_DIFF_MAX + 1);
    if (sqlite3_step(s) != SQLITE_ROW) {
        rc = store__err(x->db, d, "journal");
        goto out;
    }
    if (sqlite3_column_int64(s, 0) > ZONEXFR_DIFF_MAX) {
        snprintf(why, sizeof why, "the difference from serial %lu has more than %d changes",
                 (unsigned long)since, ZONEXFR_DIFF_MAX);
        rc = full(x, why);
        goto out;
    }
    sqlite3_finalize(s);
    s = NULL;
    x->g[0].rdata = malloc(65535);
    x->g[1].rdata = malloc(65535);
    if (x->g[0].rdata == NULL || x->g[1].rdata == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    if ((rc = prep(x, "SELECT key, type, rdata, op, ttl FROM journal WHERE zone_id = ?1"
                      " AND seq > ?2 AND seq <= ?3 AND op < 2 AND type != 6"
                      " ORDER BY key, type, rdata, seq", &x->rows, d)) != 0)
        return rc;
    sqlite3_bind_int64(x->rows, 1, zone);
    sqlite3_bind_int64(x->rows, 2, base);
    sqlite3_bind_int64(x->rows, 3, last);
    x->kind = ZONEXFR_INCR;
    x->phase = PH_OLD_SOA;
out:
    sqlite3_finalize(s);
    return rc;
}

int zonexfr_open(const char *path, const uint8_t *apex, const uint32_t *since,
                 struct zonexfr **out, struct lana_diag *d)
{
    uint8_t key[DNAME_KEY_MAX];
    size_t klen = dname_key(apex, key);
    sqlite3_stmt *s = NULL;
    int rc = 0;
    struct zonexfr *x = calloc(1, sizeof *x);
    *out = NULL;
    if (x == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    x->last_klen = -1;
    store__init_once();
    if (stat(path, &x->st) == 0 && (x->path = strdup(path)) != NULL)
        x->db = pool_take(path, &x->st);
    if (x->db == NULL) {
        if (sqlite3_open_v2(path, &x->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                            store__read_vfs()) !=
            SQLITE_OK) {
            rc = diag_set(d, LANA_EDB, "%s: %s", path,
                          x->db ? sqlite3_errmsg(x->db) : "cannot open");
            goto out;
        }
        if ((rc = store__configure(x->db, false, d)) != 0)
            goto out;
    }
    if (sqlite3_exec(x->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        rc = store__err(x->db, d, "begin transfer");
        goto out;
    }
    x->in_txn = true;
    if (sqlite3_prepare_v2(x->db,
                           "SELECT z.id, r.ttl, r.rdata FROM zone z JOIN rr r"
                           " ON r.zone_id = z.id AND r.key = z.apex AND r.type = 6"
                           " WHERE z.apex = ?1 LIMIT 1",
                           -1, &s, NULL) != SQLITE_OK) {
        rc = store__err(x->db, d, "prepare transfer");
        goto out;
    }
    sqlite3_bind_blob(s, 1, key, (int)klen, SQLITE_STATIC);
    int step = sqlite3_step(s);
    if (step == SQLITE_DONE) {
        rc = diag_set(d, LANA_ENOTFOUND, "no such zone");
        goto out;
    }
    if (step != SQLITE_ROW) {
        rc = store__err(x->db, d, "transfer SOA");
        goto out;
    }
    int64_t zone_id = x->zone = sqlite3_column_int64(s, 0);
    int n = sqlite3_column_bytes(s, 2);
    if (n < 22 || (size_t)n > sizeof x->soa_rdata) {
        rc = diag_set(d, LANA_EDB, "transfer SOA: bad rdata");
        goto out;
    }
    memcpy(x->soa_rdata, sqlite3_column_blob(s, 2), (size_t)n);
    memcpy(x->soa.owner, apex, dname_len(apex));
    x->soa.type = DNS_T_SOA;
    x->soa.ttl = (uint32_t)sqlite3_column_int64(s, 1);
    x->soa.rdlen = (uint16_t)n;
    x->soa.rdata = x->soa_rdata;
    sqlite3_finalize(s);
    s = NULL;
    if (since != NULL && ((rc = plan_ixfr(x, zone_id, *since, d)) != 0 || x->kind != ZONEXFR_FULL))
        goto out;
    x->kind = ZONEXFR_FULL;
    if ((rc = prep(x, "SELECT (SELECT max(seq) FROM journal_version WHERE zone_id = ?1),"
                      " (SELECT max(seq) FROM journal WHERE zone_id = ?1)", &s, d)) != 0)
        goto out;
    sqlite3_bind_int64(s, 1, zone_id);
    if (sqlite3_step(s) != SQLITE_ROW) {
        rc = store__err(x->db, d, "journal");
        goto out;
    }
    if (sqlite3_column_int64(s, 0) >= sqlite3_column_int64(s, 1)) /* NULL reads as 0 */
        x->version = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    s = NULL;
    /* the primary key's order: a range scan of the table itself, no sorting (the SOA is
     * skipped in zonexfr_next, cheaper than a test in every row's program) */
    if ((rc = prep(x, "SELECT key, type, ttl, rdata FROM rr WHERE zone_id = ?1"
                      " ORDER BY key, type, rdata", &x->rows, d)) != 0)
        goto out;
    sqlite3_bind_int64(x->rows, 1, zone_id);
out:
    sqlite3_finalize(s);
    if (rc != 0) {
        zonexfr_close(x);
        return rc;
    }
    *out = x;
    return 0;
}

const struct zonexfr_rr *zonexfr_soa(const struct zonexfr *x)
{
    return &x->soa;
}

int64_t zonexfr_zone(const struct zonexfr *x)
{
    return x->zone;
}

int64_t zonexfr_version(const struct zonexfr *x)
{
    return x->version;
}

enum zonexfr_kind zonexfr_kind(const struct zonexfr *x)
{
    return x->kind;
}

const char *zonexfr_why(const struct zonexfr *x)
{
    return x->why;
}

/* Steps the journal query into g: 1 with a row, 0 at its end, LANA_EDB. */
static int row_into(struct zonexfr *x, struct group *g, struct lana_diag *d)
{
    for (;;) {
        int step = sqlite3_step(x->rows);
        if (step == SQLITE_DONE)
            return 0;
        if (step != SQLITE_ROW)
            return store__err(x->db, d, "journal");
        int klen = sqlite3_column_bytes(x->rows, 0), rdlen = sqlite3_column_bytes(x->rows, 2);
        if (klen <= 0 || (size_t)klen > sizeof g->key || rdlen > 65535)
            continue; /* not a record a message can carry */
        memcpy(g->key, sqlite3_column_blob(x->rows, 0), (size_t)klen);
        g->klen = (size_t)klen;
        g->type = (uint16_t)sqlite3_column_int(x->rows, 1);
        if (rdlen > 0)
            memcpy(g->rdata, sqlite3_column_blob(x->rows, 2), (size_t)rdlen);
        g->rdlen = (size_t)rdlen;
        g->first_op = g->last_op = sqlite3_column_int(x->rows, 3);
        g->first_ttl = g->last_ttl = (uint32_t)sqlite3_column_int64(x->rows, 4);
        return 1;
    }
}

static bool same_record(const struct group *a, const struct group *b)
{
    return a->klen == b->klen && a->type == b->type && a->rdlen == b->rdlen &&
           memcmp(a->key, b->key, a->klen) == 0 && memcmp(a->rdata, b->rdata, a->rdlen) == 0;
}

/* The next record's group into x->g[x->cur]: 1, 0 at the end of the pass, LANA_EDB. */
static int group_next(struct zonexfr *x, struct lana_diag *d)
{
    int rc;
    if (x->at_end)
        return 0;
    if (x->pending) { /* its first row was read ahead */
        x->cur ^= 1;
        x->pending = false;
    } else if ((rc = row_into(x, &x->g[x->cur], d)) <= 0) {
        x->at_end = rc == 0;
        return rc;
    }
    struct group *g = &x->g[x->cur], *n = &x->g[x->cur ^ 1];
    for (;;) {
        if ((rc = row_into(x, n, d)) < 0)
            return rc;
        if (rc == 0) {
            x->at_end = true;
            return 1;
        }
        if (!same_record(g, n)) {
            x->pending = true;
            return 1;
        }
        g->last_op = n->first_op;
        g->last_ttl = n->first_ttl;
    }
}

/* The next record of a difference (see zonexfr.h): 1, 0 at the end, LANA_EDB. */
static int next_incr(struct zonexfr *x, struct zonexfr_rr *rr, struct lana_diag *d)
{
    for (;;) {
        switch (x->phase) {
        case PH_OLD_SOA:
        case PH_NEW_SOA:
            *rr = x->phase == PH_OLD_SOA ? x->old_soa : x->soa;
            x->phase++;
            return 1;
        case PH_REMOVED:
        case PH_ADDED: {
            int rc = group_next(x, d);
            if (rc < 0)
                return rc;
            if (rc == 0) {
                sqlite3_reset(x->rows); /* the second pass reads the same rows */
                x->at_end = x->pending = false;
                x->phase++;
                continue;
            }
            const struct group *g = &x->g[x->cur];
            bool before = g->first_op == OP_REMOVED, after = g->last_op == OP_ADDED;
            bool ttl = before && after && g->first_ttl != g->last_ttl;
            bool send = x->phase == PH_REMOVED ? before && (!after || ttl)
                                               : after && (!before || ttl);
            if (!send || dname_from_key(g->key, g->klen, rr->owner) < 0)
                continue;
            rr->type = g->type;
            rr->ttl = x->phase == PH_REMOVED ? g->first_ttl : g->last_ttl;
            rr->rdlen = (uint16_t)g->rdlen;
            rr->rdata = g->rdata;
            return 1;
        }
        case PH_DONE:
            return 0;
        }
    }
}

int zonexfr_next(struct zonexfr *x, struct zonexfr_rr *rr, struct lana_diag *d)
{
    if (x->kind == ZONEXFR_INCR)
        return next_incr(x, rr, d);
    if (x->kind == ZONEXFR_CURRENT)
        return 0;
    for (;;) {
        int step = sqlite3_step(x->rows);
        if (step == SQLITE_DONE)
            return 0;
        if (step != SQLITE_ROW)
            return store__err(x->db, d, "transfer");
        /* the row's values read through sqlite3_value: a tenth cheaper than the
         * sqlite3_column_ calls, each of which checks the connection again */
        sqlite3_value *vkey = sqlite3_column_value(x->rows, 0);
        sqlite3_value *vtype = sqlite3_column_value(x->rows, 1);
        sqlite3_value *vttl = sqlite3_column_value(x->rows, 2);
        sqlite3_value *vrdata = sqlite3_column_value(x->rows, 3);
        int type = sqlite3_value_int(vtype);
        if (type == DNS_T_SOA)
            continue; /* the zone's SOA opens and closes the transfer */
        const uint8_t *key = sqlite3_value_blob(vkey);
        int klen = sqlite3_value_bytes(vkey);
        /* the records of one owner follow each other: its name is rebuilt once (the
         * root's key is empty: the apex of the zone ".") */
        if (klen != x->last_klen || (klen > 0 && memcmp(key, x->last_key, (size_t)klen) != 0)) {
            if ((size_t)klen > sizeof x->last_key ||
                dname_from_key(key, (size_t)klen, x->last_owner) < 0) {
                x->last_klen = -1;
                continue; /* not a record a message can carry (lanad check reports it) */
            }
            if (klen > 0)
                memcpy(x->last_key, key, (size_t)klen);
            x->last_klen = klen;
            x->last_olen = dname_len(x->last_owner);
        }
        memcpy(rr->owner, x->last_owner, x->last_olen);
        const uint8_t *rdata = sqlite3_value_blob(vrdata);
        int rdlen = sqlite3_value_bytes(vrdata);
        if (rdlen > 65535)
            continue;
        rr->type = (uint16_t)type;
        rr->ttl = (uint32_t)sqlite3_value_int64(vttl);
        rr->rdlen = (uint16_t)rdlen;
        rr->rdata = rdlen > 0 ? rdata : (const uint8_t *)"";
        return 1;
    }
}

void zonexfr_close(struct zonexfr *x)
{
    if (x == NULL)
        return;
    sqlite3_finalize(x->rows);
    free(x->g[0].rdata);
    free(x->g[1].rdata);
    if (x->in_txn && sqlite3_exec(x->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_close(x->db); /* not in a state to be used again */
        x->db = NULL;
    }
    if (x->db != NULL && x->path != NULL && sqlite3_get_autocommit(x->db))
        pool_give(x->db, x->path, &x->st);
    else
        sqlite3_close(x->db);
    free(x->path);
    free(x);
}

/* Positions: kind, then for a record the key's length (2 bytes) and key, the type (2 bytes)
 * and the rdata, so that a position holds everything the order compares. */
size_t zonexfr_pos(enum zonexfr_pos_kind kind, const struct zonexfr_rr *rr, uint8_t *out)
{
    out[0] = (uint8_t)kind;
    if (kind != ZONEXFR_POS_RECORD)
        return 1;
    size_t klen = dname_key(rr->owner, out + 3);
    out[1] = (uint8_t)(klen >> 8);
    out[2] = (uint8_t)klen;
    uint8_t *p = out + 3 + klen;
    p[0] = (uint8_t)(rr->type >> 8);
    p[1] = (uint8_t)rr->type;
    memcpy(p + 2, rr->rdata, rr->rdlen);
    return 3 + klen + 2 + rr->rdlen;
}

/* The order SQLite gives blobs: bytes as unsigned, then the shorter first. */
static int blob_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen;
}

/* A record position's parts. */
struct pos_parts {
    const uint8_t *key, *rdata;
    size_t klen, rdlen;
    unsigned type;
};

static void pos_split(const uint8_t *p, size_t plen, struct pos_parts *o)
{
    o->klen = (size_t)p[1] << 8 | p[2];
    o->key = p + 3;
    o->type = (unsigned)p[3 + o->klen] << 8 | p[4 + o->klen];
    o->rdata = p + 5 + o->klen;
    o->rdlen = plen - 5 - o->klen;
}

int zonexfr_pos_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    if (a[0] != b[0] || a[0] != ZONEXFR_POS_RECORD)
        return (int)a[0] - (int)b[0];
    struct pos_parts x, y;
    pos_split(a, alen, &x);
    pos_split(b, blen, &y);
    int c = blob_cmp(x.key, x.klen, y.key, y.klen);
    if (c == 0)
        c = x.type < y.type ? -1 : x.type > y.type;
    return c != 0 ? c : blob_cmp(x.rdata, x.rdlen, y.rdata, y.rdlen);
}

int zonexfr_pos_owner_cmp(const uint8_t *key, size_t klen, const uint8_t *p, size_t plen)
{
    if (p[0] != ZONEXFR_POS_RECORD)
        return p[0] == ZONEXFR_POS_START ? 1 : -1;
    struct pos_parts y;
    pos_split(p, plen, &y);
    return blob_cmp(key, klen, y.key, y.klen);
}

int zonexfr_changes(struct zonexfr *x, int64_t since, uint32_t serial, zonexfr_owner_fn *fn,
                    void *arg, struct lana_diag *d)
{
    sqlite3_stmt *s = NULL;
    int rc;
    uint8_t want[4] = {(uint8_t)(serial >> 24), (uint8_t)(serial >> 16), (uint8_t)(serial >> 8),
                       (uint8_t)serial};
    if (x->kind != ZONEXFR_FULL || x->version == 0 || since <= 0 || since >= x->version)
        return LANA_ENOTFOUND;
    /* since is still that version of this zone: the rows after it are all kept (compaction
     * drops a version before the rows that follow it; an import drops every version, and its
     * serials step past the old ones, so a journal position used again names another serial) */
    if ((rc = prep(x, "SELECT 1 FROM journal_version WHERE seq = ?2 AND zone_id = ?1"
                      " AND serial = ?3", &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, x->zone);
    sqlite3_bind_int64(s, 2, since);
    sqlite3_bind_blob(s, 3, want, 4, SQLITE_STATIC);
    int step = sqlite3_step(s);
    sqlite3_finalize(s);
    if (step == SQLITE_DONE)
        return LANA_ENOTFOUND;
    if (step != SQLITE_ROW)
        return store__err(x->db, d, "journal");
    /* every row is a change of its owner (op 2, a new serial, one of the apex's) */
    if ((rc = prep(x, "SELECT DISTINCT key FROM journal WHERE zone_id = ?1 AND seq > ?2"
                      " AND seq <= ?3 ORDER BY key", &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, x->zone);
    sqlite3_bind_int64(s, 2, since);
    sqlite3_bind_int64(s, 3, x->version);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        const uint8_t *key = sqlite3_column_blob(s, 0);
        if ((rc = fn(arg, key != NULL ? key : (const uint8_t *)"",
                     (size_t)sqlite3_column_bytes(s, 0))) != 0)
            break;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = store__err(x->db, d, "journal");
    sqlite3_finalize(s);
    return rc;
}

/* Binds position p (of len bytes) to the range statement's parameters from i (key, type,
 * rdata); START and END as a place before and after every record. */
static void bind_pos(sqlite3_stmt *s, int i, const uint8_t *p, size_t len)
{
    if (p[0] != ZONEXFR_POS_RECORD) {
        uint8_t after[DNAME_KEY_MAX + 1]; /* above any key */
        memset(after, 0xff, sizeof after);
        sqlite3_bind_blob(s, i, after, p[0] == ZONEXFR_POS_END ? (int)sizeof after : 0,
                          SQLITE_TRANSIENT);
        sqlite3_bind_int(s, i + 1, 0);
        sqlite3_bind_blob(s, i + 2, "", 0, SQLITE_STATIC);
        return;
    }
    struct pos_parts o;
    pos_split(p, len, &o);
    sqlite3_bind_blob(s, i, o.key, (int)o.klen, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, i + 1, (int)o.type);
    sqlite3_bind_blob(s, i + 2, o.rdata, (int)o.rdlen, SQLITE_TRANSIENT);
}

int zonexfr_range(struct zonexfr *x, const uint8_t *from, size_t flen, const uint8_t *to,
                  size_t tlen, struct lana_diag *d)
{
    int rc;
    if (x->kind != ZONEXFR_FULL)
        return diag_set(d, LANA_EUNSUPP, "a range of a difference");
    if (!x->ranged) {
        sqlite3_finalize(x->rows);
        x->rows = NULL;
        if ((rc = prep(x, "SELECT key, type, ttl, rdata FROM rr WHERE zone_id = ?1"
                          " AND (key, type, rdata) >= (?2, ?3, ?4)"
                          " AND (key, type, rdata) < (?5, ?6, ?7)"
                          " ORDER BY key, type, rdata", &x->rows, d)) != 0)
            return rc;
        x->ranged = true;
    }
    sqlite3_reset(x->rows);
    sqlite3_bind_int64(x->rows, 1, x->zone);
    bind_pos(x->rows, 2, from, flen);
    bind_pos(x->rows, 5, to, tlen);
    return 0;
}
