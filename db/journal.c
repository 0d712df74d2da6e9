/*
 * journal — see journal.h and journal_int.h. Sealing costs a commit that touched no zone two
 * index lookups (the newest journal row against the newest version).
 */
#include "db/journal.h"
#include "db/journal_int.h"

#include <stdlib.h>

#include "common/log.h"
#include "db/zone.h"

static unsigned journal_serials = JOURNAL_SERIALS_DEFAULT;

void journal_serials_set(unsigned n)
{
    journal_serials = n > 0 ? n : 1;
}

static const char sql_pending[] = "SELECT (SELECT coalesce(max(seq), 0) FROM journal),"
                                  " (SELECT coalesce(max(seq), 0) FROM journal_version)";
static const char sql_seal[] = JOURNAL_SEAL_SQL;
/* zones whose records changed in the transaction while their serial stayed that of their
 * last version: a version needs a serial of its own */
static const char sql_stale[] =
    "SELECT t.zone_id FROM (SELECT DISTINCT zone_id FROM journal NOT INDEXED WHERE seq > ?1) t"
    " JOIN zone z ON z.id = t.zone_id"
    " JOIN rr s ON s.zone_id = t.zone_id AND s.key = z.apex AND s.type = 6"
    " WHERE substr(s.rdata, -20, 4) = (SELECT serial FROM journal_version"
    "  WHERE zone_id = t.zone_id ORDER BY seq DESC LIMIT 1)";
/* the zones sealed since the last trim (NOT INDEXED: the rowid range, not a scan of an index
 * that yields the zones in order) */
static const char sql_sealed[] =
    "SELECT DISTINCT zone_id FROM journal_version NOT INDEXED WHERE seq > ?1";
static const char sql_newest[] = "SELECT coalesce(max(seq), 0) FROM journal_version";
/* the newest version a zone may no longer keep: the (bound + 1)th newest stays as the base */
static const char sql_cut[] = "SELECT seq FROM journal_version WHERE zone_id = ?1"
                              " ORDER BY seq DESC LIMIT 1 OFFSET ?2";
static const char sql_drop_rows[] = "DELETE FROM journal WHERE zone_id = ?1 AND seq <= ?2";
static const char sql_drop_versions[] =
    "DELETE FROM journal_version WHERE zone_id = ?1 AND seq < ?2";

/*
 * Seals between two trims: finding a zone's cut walks its kept versions, and dropping the
 * oldest writes the first pages of three indexes, so with a large bound a trim every seal
 * would cost each registration a thousand index steps and a few more pages in the WAL. A
 * bound below 16 is kept exactly; a larger one is exceeded by fewer than an eighth of it,
 * and never by more than 31 versions, until the next trim.
 */
static unsigned trim_step(void)
{
    unsigned s = journal_serials / 8;
    return s < 1 ? 1 : s > 32 ? 32 : s;
}

/* Drops the versions of zone beyond the bound, and the rows before the oldest kept. */
static int compact(struct store *st, int64_t zone, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_cut, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, zone);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)journal_serials);
    if ((rc = store__row(st, s, "journal", d)) <= 0)
        return rc;
    int64_t cut = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    const char *sql[2] = {sql_drop_rows, sql_drop_versions};
    for (int i = 0; i < 2 && rc >= 0; i++) {
        if ((rc = store__stmt(st, sql[i], &s, d)) != 0)
            return rc;
        sqlite3_bind_int64(s, 1, zone);
        sqlite3_bind_int64(s, 2, cut);
        rc = store__done(st, s, "journal", d);
    }
    return rc;
}

/* The zone ids sql (bound to prev) returns, into a malloc'd *out of *n. 0, LANA_EDB, ENOMEM. */
static int collect(struct store *st, const char *sql, int64_t prev, int64_t **out, size_t *n,
                   struct lana_diag *d)
{
    sqlite3_stmt *s;
    size_t cap = 0;
    int rc = store__stmt(st, sql, &s, d);
    *out = NULL;
    *n = 0;
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, prev);
    while ((rc = store__row(st, s, "journal", d)) == 1) {
        if (*n == cap) {
            size_t ncap = cap ? 2 * cap : 16;
            int64_t *p = realloc(*out, ncap * sizeof *p);
            if (p == NULL) {
                sqlite3_reset(s);
                free(*out);
                *out = NULL;
                return diag_set(d, LANA_ENOMEM, "out of memory");
            }
            *out = p;
            cap = ncap;
        }
        (*out)[(*n)++] = sqlite3_column_int64(s, 0);
    }
    if (rc != 0) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

int journal__seal(struct store *st, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int64_t *zones = NULL;
    size_t n = 0;
    int rc = store__stmt(st, sql_pending, &s, d);
    if (rc != 0 || (rc = store__row(st, s, "journal", d)) <= 0)
        return rc;
    int64_t last_row = sqlite3_column_int64(s, 0), prev = sqlite3_column_int64(s, 1);
    sqlite3_reset(s);
    if (last_row <= prev)
        return 0; /* no zone changed */
    if ((rc = collect(st, sql_stale, prev, &zones, &n, d)) != 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        log_notice("zone %lld: records changed without a new serial; stepping it for IXFR",
                   (long long)zones[i]);
        rc = zone_touch(st, zones[i], NULL, ZONE_TOUCH_SERIAL, d);
    }
    free(zones);
    zones = NULL;
    n = 0;
    if (rc != 0)
        return rc;
    if ((rc = store__stmt(st, sql_seal, &s, d)) != 0 ||
        (rc = store__done(st, s, "journal", d)) != 0)
        return rc;
    /* the first seal of a connection trims (a process that commits once, like an offline
     * import, must not leave the bound behind), then every trim_step()th */
    if (st->journal_trimmed > 0 && ++st->journal_seals < trim_step())
        return 0;
    /* the zones sealed since; collected first, since compacting writes the table read */
    if ((rc = collect(st, sql_sealed, st->journal_trimmed, &zones, &n, d)) != 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = compact(st, zones[i], d);
    free(zones);
    if (rc != 0 || (rc = store__stmt(st, sql_newest, &s, d)) != 0 ||
        (rc = store__row(st, s, "journal", d)) <= 0)
        return rc;
    /* a rollback after this may leave a zone over the bound until it changes again: never
     * under it, and the positions only grow */
    st->journal_trimmed = sqlite3_column_int64(s, 0);
    st->journal_seals = 0;
    sqlite3_reset(s);
    return 0;
}

static const char sql_off[] = "UPDATE zone SET journal = ?2 WHERE id = ?1";
/* the serial the zone had, which its serials after an import must pass (db/zone.c) */
static const char sql_floor[] =
    "INSERT OR REPLACE INTO serial_floor (apex, serial) SELECT z.apex, substr(r.rdata, -20, 4)"
    " FROM zone z JOIN rr r ON r.zone_id = z.id AND r.key = z.apex AND r.type = 6"
    " WHERE z.id = ?1";
static const char sql_forget_rows[] = "DELETE FROM journal WHERE zone_id = ?1";
static const char sql_forget_versions[] = "DELETE FROM journal_version WHERE zone_id = ?1";
static const char sql_mark[] =
    "INSERT INTO journal (zone_id, op, key, type, rdata, ttl)"
    " SELECT r.zone_id, 2, r.key, 6, r.rdata, r.ttl FROM rr r JOIN zone z"
    " ON z.id = r.zone_id AND r.key = z.apex AND r.type = 6 WHERE z.id = ?1";

static int run(struct store *st, const char *sql, int64_t zone, int on, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, zone);
    if (on >= 0)
        sqlite3_bind_int(s, 2, on);
    return store__done(st, s, "journal", d);
}

int journal__stop(struct store *st, int64_t zone, struct lana_diag *d)
{
    int rc = run(st, sql_floor, zone, -1, d);
    if (rc == 0)
        rc = run(st, sql_off, zone, 0, d);
    if (rc == 0)
        rc = run(st, sql_forget_rows, zone, -1, d);
    if (rc == 0)
        rc = run(st, sql_forget_versions, zone, -1, d);
    return rc;
}

int journal__start(struct store *st, int64_t zone, struct lana_diag *d)
{
    int rc = run(st, sql_off, zone, 1, d);
    return rc == 0 ? run(st, sql_mark, zone, -1, d) : rc;
}
