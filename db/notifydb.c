/*
 * notifydb — see notifydb.h. The notifier's scan is two queries (zones with their SOA, then
 * the per-zone targets) run only when PRAGMA data_version says another connection committed;
 * each statement is reset when done, so the reader never holds a snapshot between scans.
 */
#include "db/notifydb.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/dname.h"
#include "db/authz.h"
#include "db/names_int.h"
#include "db/store_int.h"
#include "db/zone.h"

int notifydb_parse_target(const char *s, struct sockaddr_storage *ss, socklen_t *len,
                          char canon[NET_ADDRSTRLEN], struct lana_diag *d)
{
    struct sockaddr_storage a;
    socklen_t alen;
    int rc = net_parse_endpoint(s, NOTIFYDB_PORT, &a, &alen, d);
    if (rc != 0)
        return rc;
    const struct sockaddr *sa = (const struct sockaddr *)&a;
    if (net_addr_port(sa) == 0)
        return diag_set(d, LANA_EPARSE, "%.80s: port 0 cannot receive a NOTIFY", s);
    bool bad;
    if (a.ss_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)(const void *)&a;
        uint32_t ip = ntohl(v4->sin_addr.s_addr);
        bad = ip == 0 || (ip >> 28) == 0xe || ip == 0xffffffffu;
    } else {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)(const void *)&a;
        bad = IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr) || IN6_IS_ADDR_MULTICAST(&v6->sin6_addr);
    }
    if (bad)
        return diag_set(d, LANA_EPARSE,
                        "%.80s: not the address of one secondary (unspecified, broadcast or "
                        "multicast)",
                        s);
    if (canon != NULL)
        net_addr_format(sa, canon, NET_ADDRSTRLEN);
    *ss = a;
    *len = alen;
    return 0;
}

int notifydb_parse_list(const char *val, notifydb_each_cb *cb, void *arg, struct lana_diag *d)
{
    char word[NET_ADDRSTRLEN + 8];
    int n = 0, rc;
    for (const char *p = val;; p += strcspn(p, " \t")) {
        p += strspn(p, " \t");
        size_t len = strcspn(p, " \t");
        if (len == 0)
            break;
        if (len >= sizeof word)
            return diag_set(d, LANA_EPARSE, "%.60s: not an address", p);
        memcpy(word, p, len);
        word[len] = '\0';
        struct sockaddr_storage ss;
        socklen_t sl;
        if ((rc = notifydb_parse_target(word, &ss, &sl, NULL, d)) != 0 ||
            (cb != NULL && (rc = cb(&ss, arg)) != 0))
            return rc;
        n++;
    }
    return n > 0 ? 0 : diag_set(d, LANA_EPARSE, "no address");
}

static const char sql_add[] = "INSERT INTO notify_target (zone_id, addr) VALUES (?1, ?2)";
static const char sql_has[] = "SELECT 1 FROM notify_target WHERE zone_id = ?1 AND addr = ?2";
static const char sql_del[] = "DELETE FROM notify_target WHERE zone_id = ?1 AND addr = ?2";

/* The zone (its id, under the authority rule) and the target's canonical text. */
static int prepare(struct names *n, const char *zone, const char *target, struct zone_info *z,
                   char canon[NET_ADDRSTRLEN], struct lana_diag *d)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int rc = notifydb_parse_target(target, &ss, &len, canon, d);
    if (rc == 0)
        rc = zone_get(n, zone, z, d);
    if (rc == 0)
        rc = authz_zone(n->st, z->id, d);
    return rc;
}

/* 1 when the zone has the target, 0 when not, <0 on error. */
static int has(struct names *n, int64_t zone, const char *canon, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(n->st, sql_has, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, zone);
    sqlite3_bind_text(s, 2, canon, -1, SQLITE_STATIC);
    rc = store__row(n->st, s, "notify target", d);
    if (rc == 1)
        sqlite3_reset(s);
    return rc;
}

static int change(struct names *n, const char *zone, const char *target, const char *actor,
                  bool add, char canon[NET_ADDRSTRLEN], struct lana_diag *d)
{
    struct zone_info z;
    char c[NET_ADDRSTRLEN];
    sqlite3_stmt *s;
    int rc = prepare(n, zone, target, &z, c, d);
    if (rc != 0)
        return rc;
    if ((rc = store_sp_begin(n->st, d)) != 0)
        return rc;
    if ((rc = has(n, z.id, c, d)) < 0)
        goto out;
    if (add && rc == 1) {
        rc = diag_set(d, LANA_ECONFLICT, "%s is a NOTIFY target of %s already", c, z.name);
        goto out;
    }
    if (!add && rc == 0) {
        rc = diag_set(d, LANA_ENOTFOUND, "%s is not a NOTIFY target of %s", c, z.name);
        goto out;
    }
    if ((rc = store__stmt(n->st, add ? sql_add : sql_del, &s, d)) != 0)
        goto out;
    sqlite3_bind_int64(s, 1, z.id);
    sqlite3_bind_text(s, 2, c, -1, SQLITE_STATIC);
    if ((rc = store__done(n->st, s, "notify target", d)) != 0)
        goto out;
    rc = names__audit(n, actor, add ? "zone.notify.add" : "zone.notify.del", z.name,
                      add ? NULL : c, add ? c : NULL, d);
out:
    rc = store_sp_end(n->st, rc, d);
    if (rc == 0 && canon != NULL)
        memcpy(canon, c, NET_ADDRSTRLEN);
    return rc;
}

int notifydb_add(struct names *n, const char *zone, const char *target, const char *actor,
                 char canon[NET_ADDRSTRLEN], struct lana_diag *d)
{
    return change(n, zone, target, actor, true, canon, d);
}

int notifydb_del(struct names *n, const char *zone, const char *target, const char *actor,
                 char canon[NET_ADDRSTRLEN], struct lana_diag *d)
{
    return change(n, zone, target, actor, false, canon, d);
}

#define SQL_TARGETS "SELECT z.name, t.addr FROM notify_target t JOIN zone z ON z.id = t.zone_id "
static const char sql_targets_all[] = SQL_TARGETS "ORDER BY z.name, t.addr";
static const char sql_targets_zone[] = SQL_TARGETS "WHERE z.id = ?1 ORDER BY t.addr";

/* Runs a prepared target query to its end (or until cb stops it). */
static int each_target(sqlite3_stmt *s, notifydb_target_cb *cb, void *arg, sqlite3 *db,
                       struct lana_diag *d)
{
    int step, rc = 0;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        const char *zn = (const char *)sqlite3_column_text(s, 0);
        const char *addr = (const char *)sqlite3_column_text(s, 1);
        if (zn != NULL && addr != NULL && (rc = cb(zn, addr, arg)) != 0)
            break;
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = store__err(db, d, "notify targets");
    sqlite3_reset(s);
    return rc;
}

int notifydb_list(struct names *n, const char *zone, notifydb_target_cb *cb, void *arg,
                  struct lana_diag *d)
{
    sqlite3_stmt *s;
    struct zone_info z;
    int rc = zone != NULL ? zone_get(n, zone, &z, d) : 0;
    if (rc == 0)
        rc = store__stmt(n->st, zone != NULL ? sql_targets_zone : sql_targets_all, &s, d);
    if (rc != 0)
        return rc;
    if (zone != NULL)
        sqlite3_bind_int64(s, 1, z.id);
    return each_target(s, cb, arg, n->st->db, d);
}

/* ---- the notifier's view -------------------------------------------------------------- */

struct notifydb_reader {
    sqlite3 *db;
    sqlite3_stmt *version, *zones, *targets, *begin, *commit;
    int64_t data_version; /* -1 before the first scan */
};

int notifydb_reader_open(const char *path, struct notifydb_reader **out, struct lana_diag *d)
{
    int rc = 0;
    struct notifydb_reader *r = calloc(1, sizeof *r);
    *out = NULL;
    if (r == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    r->data_version = -1;
    store__init_once();
    if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                        store__read_vfs()) !=
        SQLITE_OK) {
        rc = diag_set(d, LANA_EDB, "%s: %s", path, r->db ? sqlite3_errmsg(r->db) : "cannot open");
        goto out;
    }
    if ((rc = store__configure(r->db, false, d)) != 0)
        goto out;
    const struct {
        sqlite3_stmt **st;
        const char *sql;
    } stmts[] = {
        {&r->version, "PRAGMA data_version"},
        /* CROSS JOIN keeps zone the outer loop: each SOA is then one seek, where SQLite
         * would otherwise scan every record (once per commit; tests/check_sql_plans.py) */
        {&r->zones, "SELECT z.name, r.ttl, r.rdata FROM zone z CROSS JOIN rr r"
                    " ON r.zone_id = z.id AND r.key = z.apex AND r.type = 6 ORDER BY z.name"},
        {&r->targets, sql_targets_all},
        /* prepared once: a scan follows every commit of the registry */
        {&r->begin, "BEGIN"},
        {&r->commit, "COMMIT"},
    };
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++)
        if (sqlite3_prepare_v3(r->db, stmts[i].sql, -1, SQLITE_PREPARE_PERSISTENT, stmts[i].st,
                               NULL) != SQLITE_OK) {
            rc = store__err(r->db, d, "prepare");
            goto out;
        }
    *out = r;
    return 0;
out:
    notifydb_reader_close(r);
    return rc;
}

void notifydb_reader_close(struct notifydb_reader *r)
{
    if (r == NULL)
        return;
    sqlite3_finalize(r->version);
    sqlite3_finalize(r->zones);
    sqlite3_finalize(r->targets);
    sqlite3_finalize(r->begin);
    sqlite3_finalize(r->commit);
    sqlite3_close(r->db);
    free(r);
}

static int scan_zones(struct notifydb_reader *r, notifydb_zone_cb *zcb, void *arg,
                      struct lana_diag *d)
{
    static const uint8_t root[1] = {0};
    int step;
    while ((step = sqlite3_step(r->zones)) == SQLITE_ROW) {
        uint8_t apex[DNAME_MAXLEN];
        struct notifydb_zone z = {
            .name = (const char *)sqlite3_column_text(r->zones, 0),
            .apex = apex,
            .soa_ttl = (uint32_t)sqlite3_column_int64(r->zones, 1),
            .soa = sqlite3_column_blob(r->zones, 2),
            .soa_len = (size_t)sqlite3_column_bytes(r->zones, 2),
        };
        /* a zone whose name or SOA cannot be read is skipped: lanad check reports it */
        if (z.name == NULL || z.soa == NULL || dname_from_text(z.name, root, apex, NULL) < 0 ||
            zone_soa_serial(z.soa, z.soa_len, &z.serial) != 0)
            continue;
        dname_lower(apex);
        zcb(&z, arg);
    }
    int rc = step == SQLITE_DONE ? 0 : store__err(r->db, d, "zones");
    sqlite3_reset(r->zones);
    return rc;
}

int notifydb_scan(struct notifydb_reader *r, notifydb_zone_cb *zcb, notifydb_target_cb *tcb,
                  void *arg, struct lana_diag *d)
{
    int step = sqlite3_step(r->version);
    int64_t v = step == SQLITE_ROW ? sqlite3_column_int64(r->version, 0) : -1;
    sqlite3_reset(r->version);
    if (step != SQLITE_ROW)
        return store__err(r->db, d, "data_version");
    if (v == r->data_version)
        return 0;
    /* both queries in one read transaction: the targets belong to the zones just read */
    step = sqlite3_step(r->begin);
    sqlite3_reset(r->begin);
    if (step != SQLITE_DONE)
        return store__err(r->db, d, "begin");
    int rc = scan_zones(r, zcb, arg, d);
    if (rc == 0)
        rc = each_target(r->targets, tcb, arg, r->db, d);
    sqlite3_step(r->commit);
    sqlite3_reset(r->commit);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    r->data_version = v;
    return 1;
}
