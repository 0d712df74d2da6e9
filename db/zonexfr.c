/*
 * zonexfr — see zonexfr.h. BEGIN on a fresh connection opens no snapshot yet; the first
 * SELECT does, and the transaction stays open until zonexfr_close(), so the SOA and every row
 * after it are read from the same WAL snapshot.
 */
#include "db/zonexfr.h"

#include <stdlib.h>
#include <string.h>

#include "common/dname.h"
#include "common/dnsmsg.h"
#include "db/store_int.h"

struct zonexfr {
    sqlite3 *db;
    sqlite3_stmt *rows;
    bool in_txn;
    struct zonexfr_rr soa;
    uint8_t soa_rdata[2 * DNAME_MAXLEN + 20]; /* MNAME, RNAME and five numbers at most */
};

int zonexfr_open(const char *path, const uint8_t *apex, struct zonexfr **out,
                 struct lana_diag *d)
{
    uint8_t key[DNAME_KEY_MAX];
    size_t klen = dname_key(apex, key);
    sqlite3_stmt *s = NULL;
    int rc = 0;
    struct zonexfr *x = calloc(1, sizeof *x);
    *out = NULL;
    if (x == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    store__init_once();
    if (sqlite3_open_v2(path, &x->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        rc = diag_set(d, LANA_EDB, "%s: %s", path, x->db ? sqlite3_errmsg(x->db) : "cannot open");
        goto out;
    }
    if ((rc = store__configure(x->db, false, d)) != 0)
        goto out;
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
    int64_t zone_id = sqlite3_column_int64(s, 0);
    int n = sqlite3_column_bytes(s, 2);
    if (n <= 0 || (size_t)n > sizeof x->soa_rdata) {
        rc = diag_set(d, LANA_EDB, "transfer SOA: bad rdata");
        goto out;
    }
    memcpy(x->soa_rdata, sqlite3_column_blob(s, 2), (size_t)n);
    memcpy(x->soa.owner, apex, dname_len(apex));
    x->soa.type = DNS_T_SOA;
    x->soa.ttl = (uint32_t)sqlite3_column_int64(s, 1);
    x->soa.rdlen = (uint16_t)n;
    x->soa.rdata = x->soa_rdata;
    if (sqlite3_prepare_v2(x->db,
                           "SELECT key, type, ttl, rdata FROM rr WHERE zone_id = ?1 AND type != 6"
                           " ORDER BY key, type, rdata",
                           -1, &x->rows, NULL) != SQLITE_OK) {
        rc = store__err(x->db, d, "prepare transfer");
        goto out;
    }
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

int zonexfr_next(struct zonexfr *x, struct zonexfr_rr *rr, struct lana_diag *d)
{
    for (;;) {
        int step = sqlite3_step(x->rows);
        if (step == SQLITE_DONE)
            return 0;
        if (step != SQLITE_ROW)
            return store__err(x->db, d, "transfer");
        int rdlen = sqlite3_column_bytes(x->rows, 3);
        if (dname_from_key(sqlite3_column_blob(x->rows, 0),
                           (size_t)sqlite3_column_bytes(x->rows, 0), rr->owner) < 0 ||
            rdlen > 65535)
            continue; /* not a record a message can carry (lanad check reports it) */
        rr->type = (uint16_t)sqlite3_column_int(x->rows, 1);
        rr->ttl = (uint32_t)sqlite3_column_int64(x->rows, 2);
        rr->rdlen = (uint16_t)rdlen;
        rr->rdata = rdlen > 0 ? sqlite3_column_blob(x->rows, 3) : (const uint8_t *)"";
        return 1;
    }
}

void zonexfr_close(struct zonexfr *x)
{
    if (x == NULL)
        return;
    sqlite3_finalize(x->rows);
    if (x->in_txn)
        sqlite3_exec(x->db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(x->db);
    free(x);
}
