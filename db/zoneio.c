/*
 * zoneio — see zoneio.h.
 *
 * Import runs the zfile reader with a callback that inserts each record through one prepared
 * statement inside one IMMEDIATE transaction; the zone row is created (or its records
 * deleted) when the SOA arrives, so the file's first record must be the SOA, as RFC 1035 §5.2
 * asks. Checks that need the whole zone (apex NS, CNAME and other data) run as SQL before the
 * commit.
 */
#include "db/authz.h"
#include "db/zoneio.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cidr.h"
#include "common/dnsmsg.h"
#include "common/rdata.h"
#include "common/zfile.h"
#include "db/journal_int.h"
#include "db/catalog.h"
#include "db/names.h"
#include "db/node_int.h"
#include "db/store_int.h"
#include "db/zone.h"

struct import_ctx {
    struct store *st;
    const char *fname;
    sqlite3_stmt *ins;
    int64_t zone_id;
    uint8_t apex[DNAME_MAXLEN];
    uint8_t apex_key[DNAME_KEY_MAX];
    size_t apex_keylen;
    uint64_t records;
    struct lana_diag *d;
};

/*
 * Whether a registered host address has its PTR owner at or below the apex being imported:
 * the import would replace (or, for a new zone, hide) the PTR records the registry keeps for
 * it. 1 with the host's name in who, 0, or LANA_EDB. O(hosts), and only for zones that can
 * hold reverse names.
 */
static int ptr_host_below(struct import_ctx *c, char *who, size_t size)
{
    static const uint8_t v4[] = "\7in-addr\4arpa", v6[] = "\3ip6\4arpa";
    if (!dname_is_sub(c->apex, v4) && !dname_is_sub(c->apex, v6) && !dname_is_sub(v4, c->apex) &&
        !dname_is_sub(v6, c->apex))
        return 0;
    sqlite3_stmt *s;
    int rc = store__prepare(c->st, "SELECT name, v4, v6 FROM host ORDER BY name", &s, c->d);
    while (rc == 0 && (rc = store__row(c->st, s, "hosts", c->d)) == 1) {
        rc = 0;
        for (int col = 1; col <= 2 && rc == 0; col++) {
            const char *a = (const char *)sqlite3_column_text(s, col);
            struct cidr addr;
            char rev[CIDR_REVLEN];
            uint8_t owner[DNAME_MAXLEN];
            if (a == NULL || cidr_parse(a, &addr, NULL) != 0 ||
                cidr_reverse_name(&addr, rev, sizeof rev) < 0 ||
                dname_from_text(rev, NULL, owner, NULL) < 0 || !dname_is_sub(owner, c->apex))
                continue;
            const char *name = (const char *)sqlite3_column_text(s, 0);
            snprintf(who, size, "%s", name ? name : "?");
            rc = 1;
        }
        if (rc == 1)
            break;
    }
    sqlite3_finalize(s);
    return rc;
}

/* A zone the import made becomes a member of the catalog (db/catalog.h). */
static int catalog_member(struct import_ctx *c)
{
    struct names *nm = NULL;
    int rc = names_open(c->st, NULL, &nm, c->d);
    if (rc == 0)
        rc = catalog_zone_added(nm, c->zone_id, c->apex, c->d);
    names_close(nm);
    return rc;
}

static int start_zone(struct import_ctx *c, const struct zfile_rr *rr)
{
    sqlite3_stmt *s = NULL;
    char text[DNAME_TEXT_MAX];
    int rc = 0;
    memcpy(c->apex, rr->owner, dname_len(rr->owner));
    dname_lower(c->apex);
    c->apex_keylen = dname_key(c->apex, c->apex_key);
    dname_to_text(c->apex, text, sizeof text);
    int64_t now = (int64_t)time(NULL);
    /* a zone the import creates becomes a member of the catalog (db/catalog.h) */
    if ((rc = store__prepare(c->st, "SELECT EXISTS(SELECT 1 FROM zone WHERE apex = ?1)", &s,
                             c->d)) != 0)
        return rc;
    sqlite3_bind_blob(s, 1, c->apex_key, (int)c->apex_keylen, SQLITE_STATIC);
    if ((rc = store__row(c->st, s, "zone", c->d)) < 0)
        goto out;
    bool created = rc == 1 && sqlite3_column_int(s, 0) == 0;
    sqlite3_finalize(s);
    s = NULL;
    if ((rc = store__prepare(c->st,
                             "INSERT INTO zone(name, apex, created, updated) VALUES(?1, ?2, ?3, ?3)"
                             " ON CONFLICT(name) DO UPDATE SET updated = ?3 RETURNING id",
                             &s, c->d)) != 0)
        return rc;
    sqlite3_bind_text(s, 1, text, -1, SQLITE_STATIC);
    sqlite3_bind_blob(s, 2, c->apex_key, (int)c->apex_keylen, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, now);
    if (sqlite3_step(s) != SQLITE_ROW) {
        rc = store__err(c->st->db, c->d, "create zone");
        goto out;
    }
    c->zone_id = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    s = NULL;
    if ((rc = catalog_guard(c->st, c->zone_id, c->d)) != 0 ||
        (created && (rc = catalog_member(c)) != 0))
        goto out;
    /* The import replaces the zone's records: registered hosts would keep their addresses
     * with no A/AAAA left, so a zone with hosts is refused, whoever imports (the daemon or
     * lanad zone import offline). */
    if ((rc = store__prepare(c->st, "SELECT count(*) FROM host WHERE zone_id = ?1", &s, c->d)) != 0)
        goto out;
    sqlite3_bind_int64(s, 1, c->zone_id);
    if ((rc = store__row(c->st, s, "zone hosts", c->d)) < 0)
        goto out;
    sqlite3_int64 hosts = rc == 1 ? sqlite3_column_int64(s, 0) : 0;
    rc = 0;
    if (hosts > 0) {
        rc = diag_set(c->d, LANA_ECONFLICT,
                      "zone %s has %lld registered host%s: an import would orphan them; delete "
                      "them first (lana zone del %s --recursive)",
                      text, (long long)hosts, hosts == 1 ? "" : "s", text);
        goto out;
    }
    char who[DNAME_TEXT_MAX];
    if ((rc = ptr_host_below(c, who, sizeof who)) == 1) {
        rc = diag_set(c->d, LANA_ECONFLICT,
                      "zone %s holds the PTR record of registered host %s, which the registry "
                      "keeps: delete the host first",
                      text, who);
        goto out;
    }
    if (rc != 0)
        goto out;
    sqlite3_finalize(s);
    s = NULL;
    /* the zone is replaced whole: its IXFR history restarts at the imported version, and
     * its lookup rows are rebuilt once at the end (db/node_int.h) */
    if ((rc = journal__stop(c->st, c->zone_id, c->d)) != 0 ||
        (rc = node__bulk(c->st, c->zone_id, true, c->d)) != 0)
        goto out;
    if ((rc = store__prepare(c->st, "DELETE FROM rr WHERE zone_id = ?1", &s, c->d)) != 0)
        goto out;
    sqlite3_bind_int64(s, 1, c->zone_id);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = store__err(c->st->db, c->d, "clear zone");
out:
    sqlite3_finalize(s);
    return rc;
}

static int import_rr(const struct zfile_rr *rr, void *arg)
{
    struct import_ctx *c = arg;
    uint8_t owner[DNAME_MAXLEN], key[DNAME_KEY_MAX];
    if (rr->klass != DNS_C_IN)
        return diag_set(c->d, LANA_EPARSE, "%s:%u: only class IN is served", c->fname, rr->line);
    if (c->zone_id == 0) {
        if (rr->type != DNS_T_SOA)
            return diag_set(c->d, LANA_EPARSE, "%s:%u: the first record must be the zone's SOA",
                            c->fname, rr->line);
        int rc = start_zone(c, rr);
        if (rc != 0)
            return rc;
    } else if (rr->type == DNS_T_SOA) {
        return diag_set(c->d, LANA_EPARSE, "%s:%u: a second SOA record", c->fname, rr->line);
    }
    memcpy(owner, rr->owner, dname_len(rr->owner));
    dname_lower(owner);
    if (!dname_is_sub(owner, c->apex)) {
        char o[DNAME_TEXT_MAX], z[DNAME_TEXT_MAX];
        dname_to_text(owner, o, sizeof o);
        dname_to_text(c->apex, z, sizeof z);
        return diag_set(c->d, LANA_EPARSE, "%s:%u: %s is outside the zone %s", c->fname, rr->line,
                        o, z);
    }
    size_t klen = dname_key(owner, key);
    sqlite3_reset(c->ins);
    sqlite3_bind_int64(c->ins, 1, c->zone_id);
    sqlite3_bind_blob(c->ins, 2, key, (int)klen, SQLITE_STATIC);
    sqlite3_bind_int(c->ins, 3, rr->type);
    sqlite3_bind_blob(c->ins, 4, rr->rdlen ? rr->rdata : (const uint8_t *)"", rr->rdlen,
                      SQLITE_STATIC);
    sqlite3_bind_int64(c->ins, 5, rr->ttl);
    if (sqlite3_step(c->ins) != SQLITE_DONE)
        return diag_set(c->d, LANA_EDB, "%s:%u: %s", c->fname, rr->line, sqlite3_errmsg(c->st->db));
    c->records += (uint64_t)sqlite3_changes(c->st->db);
    return 0;
}

/* Whole-zone checks: NS at the apex; no CNAME beside other data (RFC 1034 §3.6.2). */
static int check_zone(struct import_ctx *c)
{
    sqlite3_stmt *s = NULL;
    int rc;
    if ((rc = store__prepare(c->st,
                             "SELECT EXISTS(SELECT 1 FROM rr WHERE zone_id = ?1 AND key = ?2"
                             " AND type = 2)",
                             &s, c->d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, c->zone_id);
    sqlite3_bind_blob(s, 2, c->apex_key, (int)c->apex_keylen, SQLITE_STATIC);
    int has_ns = sqlite3_step(s);
    if (has_ns != SQLITE_ROW) {
        rc = store__err(c->st->db, c->d, "zone check");
        goto out;
    }
    if (sqlite3_column_int(s, 0) == 0) {
        rc = diag_set(c->d, LANA_EPARSE, "%s: the zone has no NS record at its apex", c->fname);
        goto out;
    }
    sqlite3_finalize(s);
    if ((rc = store__prepare(c->st,
                             "SELECT a.key FROM rr a WHERE a.zone_id = ?1 AND a.type = 5 AND"
                             " (SELECT count(*) FROM rr b WHERE b.zone_id = ?1 AND b.key = a.key)"
                             " > 1 LIMIT 1",
                             &s, c->d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, c->zone_id);
    int step = sqlite3_step(s);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = store__err(c->st->db, c->d, "zone check");
    if (step == SQLITE_ROW) {
        uint8_t name[DNAME_MAXLEN];
        char text[DNAME_TEXT_MAX] = "?";
        if (dname_from_key(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), name) > 0)
            dname_to_text(name, text, sizeof text);
        rc = diag_set(c->d, LANA_ECONFLICT, "%s: %s has a CNAME and other data (or several CNAMEs)",
                      c->fname, text);
    }
out:
    sqlite3_finalize(s);
    return rc;
}

int zoneio_import(struct store *st, FILE *fp, const char *fname, const char *origin,
                  struct zoneio_stats *stats, struct lana_diag *d)
{
    struct import_ctx c = {.st = st, .fname = fname, .d = d};
    uint8_t org[DNAME_MAXLEN];
    int rc = authz_admin(st, "importing a zone file", d); /* it may replace any zone */
    if (rc != 0)
        return rc;
    if (origin != NULL && origin[0] == '\0')
        return diag_set(d, LANA_EPARSE, "%s: the origin is empty", fname);
    if (origin != NULL && dname_from_text(origin, (const uint8_t *)"", org, d) < 0)
        return LANA_EPARSE;
    /* inside the caller's transaction (the registry's), as one savepoint; else its own */
    bool nested = store_in_transaction(st), open = false;
    if ((rc = nested ? store_sp_begin(st, d) : store_begin(st, d)) != 0)
        return rc;
    open = true;
    if ((rc = store__prepare(st,
                             "INSERT OR IGNORE INTO rr(zone_id, key, type, rdata, ttl)"
                             " VALUES(?1, ?2, ?3, ?4, ?5)",
                             &c.ins, d)) != 0)
        goto out;
    if ((rc = zfile_read(fp, fname, origin ? org : NULL, import_rr, &c, d)) != 0)
        goto out;
    if (c.zone_id == 0) {
        rc = diag_set(d, LANA_EPARSE, "%s: no records (a zone needs an SOA and NS)", fname);
        goto out;
    }
    /* the zone was written whole: its lookup rows are rebuilt once (start_zone began that) */
    if ((rc = check_zone(&c)) != 0 || (rc = node__bulk(st, c.zone_id, false, d)) != 0 ||
        (rc = node__rebuild(st, c.zone_id, d)) != 0 ||
        (rc = journal__start(st, c.zone_id, d)) != 0 ||
        (rc = zone_serial_past_floor(st, c.zone_id, d)) != 0)
        goto out;
    sqlite3_finalize(c.ins);
    c.ins = NULL;
    /* anything may have changed: the DNS workers empty their caches (table dnschange) */
    if ((rc = zone_touch(st, 0, NULL, ZONE_TOUCH_NAME, d)) != 0)
        goto out;
    open = false; /* closed here either way: store_sp_end and store_commit undo on failure */
    if ((rc = nested ? store_sp_end(st, 0, d) : store_commit(st, d)) != 0)
        goto out;
    if (stats != NULL) {
        stats->records = c.records;
        dname_to_text(c.apex, stats->zone, sizeof stats->zone);
    }
out:
    sqlite3_finalize(c.ins);
    if (rc != 0 && open && nested)
        store_sp_end(st, rc, d);
    else if (rc != 0 && open)
        store_rollback(st);
    return rc;
}

static int zone_lookup(struct store *st, const char *name, int64_t *id, uint8_t *apex,
                       struct lana_diag *d)
{
    uint8_t wire[DNAME_MAXLEN], key[DNAME_KEY_MAX];
    sqlite3_stmt *s = NULL;
    int rc;
    if (dname_from_text(name, (const uint8_t *)"", wire, d) < 0)
        return LANA_EPARSE;
    dname_lower(wire);
    size_t klen = dname_key(wire, key);
    if ((rc = store__prepare(st, "SELECT id FROM zone WHERE apex = ?1", &s, d)) != 0)
        return rc;
    sqlite3_bind_blob(s, 1, key, (int)klen, SQLITE_STATIC);
    if ((rc = store__row(st, s, "zone", d)) == 1) {
        *id = sqlite3_column_int64(s, 0);
        memcpy(apex, wire, dname_len(wire));
        rc = 0;
    } else if (rc == 0) {
        rc = diag_set(d, LANA_ENOTFOUND, "%s: no such zone", name);
    }
    sqlite3_finalize(s);
    return rc;
}

int zoneio_export(struct store *st, const char *name, FILE *out, struct lana_diag *d)
{
    int64_t id = 0;
    uint8_t apex[DNAME_MAXLEN], owner[DNAME_MAXLEN];
    char text[DNAME_TEXT_MAX], tname[16];
    sqlite3_stmt *s = NULL;
    int rc = zone_lookup(st, name, &id, apex, d);
    if (rc != 0)
        return rc;
    /* the text of one rdata: up to 4 characters per byte ("\\ddd") of 64 KiB; on the heap,
     * so that exports can run in several threads at once */
    size_t rdcap = 4 * 65536 + 64;
    uint8_t *rdtext = malloc(rdcap);
    if (rdtext == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    dname_to_text(apex, text, sizeof text);
    fprintf(out, "$ORIGIN %s\n", text);
    /* SOA first (type 6 at the apex sorts by key first), then canonical order. */
    if ((rc = store__prepare(st,
                             "SELECT key, type, ttl, rdata FROM rr WHERE zone_id = ?1"
                             " ORDER BY type != 6, key, type, rdata",
                             &s, d)) != 0)
        goto out;
    sqlite3_bind_int64(s, 1, id);
    int step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (dname_from_key(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), owner) <
            0)
            continue;
        dname_to_text(owner, text, sizeof text);
        uint16_t type = (uint16_t)sqlite3_column_int(s, 1);
        struct wbuf wb;
        wbuf_init(&wb, rdtext, rdcap);
        rdata_format(type, sqlite3_column_blob(s, 3), (size_t)sqlite3_column_bytes(s, 3), &wb);
        wbuf_cstr(&wb);
        fprintf(out, "%s\t%lld\tIN\t%s\t%s\n", text, (long long)sqlite3_column_int64(s, 2),
                dnsmsg_type_name(type, tname, sizeof tname), (char *)rdtext);
    }
    if (step != SQLITE_DONE)
        rc = store__err(st->db, d, "export");
    if (rc == 0 && (fflush(out) != 0 || ferror(out)))
        rc = diag_set(d, LANA_EIO, "write error");
out:
    sqlite3_finalize(s);
    free(rdtext);
    return rc;
}

int zoneio_list(struct store *st, zoneio_zone_cb *cb, void *arg, struct lana_diag *d)
{
    sqlite3_stmt *s = NULL;
    int rc = store__prepare(st,
                            "SELECT name, (SELECT count(*) FROM rr WHERE zone_id = zone.id)"
                            " FROM zone ORDER BY apex",
                            &s, d);
    if (rc != 0)
        return rc;
    while ((rc = store__row(st, s, "zones", d)) == 1)
        cb((const char *)sqlite3_column_text(s, 0), (uint64_t)sqlite3_column_int64(s, 1), arg);
    sqlite3_finalize(s);
    return rc;
}

int zoneio_zone_count(struct store *st)
{
    sqlite3_stmt *s = NULL;
    int n = LANA_EDB;
    if (store__prepare(st, "SELECT count(*) FROM zone", &s, NULL) == 0 &&
        sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return n;
}
