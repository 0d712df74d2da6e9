/*
 * zone — see zone.h.
 *
 * SOA rdata is MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM: the serial is the first of
 * the five 32-bit fields that end the rdata, 20 bytes from its end (RFC 1035 §3.3.13); it is
 * read and written only here.
 */
#include "db/zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/dnsmsg.h"
#include "common/log.h"
#include "db/catalog.h"
#include "db/host.h"
#include "db/ipam_int.h"
#include "db/authz.h"
#include "db/names_int.h"
#include "db/node_int.h"
#include "db/root.h"

static const char sql_zone_by_apex[] = "SELECT id, name FROM zone WHERE apex = ?1";

int zone_find(struct names *n, const uint8_t *name, int64_t *id, uint8_t apex[DNAME_MAXLEN],
              struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(n->st, sql_zone_by_apex, &s, d);
    if (rc != 0)
        return rc;
    for (const uint8_t *p = name;; p = dname_parent(p)) {
        uint8_t key[DNAME_KEY_MAX];
        size_t kl = dname_key(p, key);
        sqlite3_reset(s);
        sqlite3_bind_blob(s, 1, key, (int)kl, SQLITE_TRANSIENT);
        if ((rc = store__row(n->st, s, "zone", d)) != 0) {
            if (rc == 1) {
                *id = sqlite3_column_int64(s, 0);
                memcpy(apex, p, dname_len(p));
                sqlite3_reset(s);
            }
            return rc;
        }
        if (p[0] == 0)
            return 0;
    }
}

/* ---- serial and change log ---------------------------------------------------------------- */

/* written once before any thread starts (zone_serial_policy_set), only read afterwards */
static enum serial_policy serial_policy = SERIAL_DATE;

void zone_serial_policy_set(enum serial_policy p)
{
    serial_policy = p;
}

enum serial_policy zone_serial_policy(void)
{
    return serial_policy;
}

int zone_soa_serial(const uint8_t *rd, size_t len, uint32_t *serial)
{
    if (rd == NULL || len < 22)
        return LANA_EPARSE;
    const uint8_t *p = rd + len - 20;
    *serial = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static const char sql_change[] = "INSERT INTO dnschange (name) VALUES (?1)";
/* by the apex key, so that the primary key finds the SOA in one seek */
static const char sql_soa_get[] = "SELECT rdata, (SELECT name FROM zone WHERE id = ?1) FROM rr"
                                  " WHERE zone_id = ?1 AND type = 6"
                                  " AND key = (SELECT apex FROM zone WHERE id = ?1)";
static const char sql_soa_set[] = "UPDATE rr SET rdata = ?2 WHERE zone_id = ?1 AND type = 6"
                                  " AND key = (SELECT apex FROM zone WHERE id = ?1)";
static const char sql_zone_updated[] = "UPDATE zone SET updated = ?2 WHERE id = ?1";
static const char sql_floor[] = "SELECT serial FROM serial_floor"
                                " WHERE apex = (SELECT apex FROM zone WHERE id = ?1)";

/* The last serial of a zone of the same apex that was deleted or replaced by an import: a
 * secondary may still hold it, so the zone's serials must pass it, or an IXFR from it would
 * start from another zone's state. 1 with *floor, 0 when there is none, LANA_EDB. */
static int floor_of(struct store *st, int64_t zone, uint32_t *floor, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_floor, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, zone);
    if ((rc = store__row(st, s, "serial floor", d)) <= 0)
        return rc;
    const uint8_t *p = sqlite3_column_blob(s, 0);
    if (p == NULL || sqlite3_column_bytes(s, 0) != 4)
        rc = 0;
    else
        *floor = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    sqlite3_reset(s);
    return rc;
}

/* The zone's SOA serial steps on under the policy (serial_next), from floor instead when
 * floor (may be NULL) is not below it; the change that leaves today's YYYYMMDD99 for
 * counting is logged, once. */
static int bump(struct store *st, int64_t zone, const uint32_t *floor, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_soa_get, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, zone);
    uint8_t rd[2 * DNAME_MAXLEN + 20];
    int len = 0;
    uint32_t serial = 0;
    char name[DNAME_TEXT_MAX] = "";
    if ((rc = store__row(st, s, "serial", d)) < 0)
        return rc;
    if (rc == 1) {
        const unsigned char *zn = sqlite3_column_text(s, 1);
        int k = zn ? snprintf(name, sizeof name, "%s", (const char *)zn) : 0;
        if (k < 0 || (size_t)k >= sizeof name)
            name[0] = '\0'; /* the name is for the log only */
        len = sqlite3_column_bytes(s, 0);
        if ((size_t)len <= sizeof rd &&
            zone_soa_serial(sqlite3_column_blob(s, 0), (size_t)len, &serial) == 0)
            memcpy(rd, sqlite3_column_blob(s, 0), (size_t)len);
        else
            len = 0;
        sqlite3_reset(s);
    }
    if (len == 0)
        return diag_set(d, LANA_EDB, "zone %lld has no SOA", (long long)zone);
    if (floor != NULL && !serial_lt(*floor, serial))
        serial = *floor;
    enum serial_form form;
    uint32_t next = serial_next(serial_policy, serial, time(NULL), &form), gone;
    if ((rc = floor_of(st, zone, &gone, d)) < 0) /* a deleted or replaced zone's last serial */
        return rc;
    if (rc == 1 && !serial_lt(gone, next))
        next = gone + 1;
    if (form == SERIAL_SWITCHED)
        log_notice("zone %s: serial %lu was the day's last date serial (YYYYMMDD99); counting on "
                   "from %lu until the date catches up",
                   name, (unsigned long)serial, (unsigned long)next);
    put32(rd + len - 20, next);
    if ((rc = store__stmt(st, sql_soa_set, &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, zone);
    sqlite3_bind_blob(s, 2, rd, len, SQLITE_TRANSIENT);
    if ((rc = store__done(st, s, "serial", d)) != 0)
        return rc;
    if ((rc = store__stmt(st, sql_zone_updated, &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, zone);
    sqlite3_bind_int64(s, 2, (int64_t)time(NULL));
    return store__done(st, s, "zone", d);
}

int zone_serial_past_floor(struct store *st, int64_t zone, struct lana_diag *d)
{
    uint32_t gone, serial;
    int rc = floor_of(st, zone, &gone, d);
    if (rc <= 0)
        return rc;
    sqlite3_stmt *s;
    if ((rc = store__stmt(st, sql_soa_get, &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, zone);
    if ((rc = store__row(st, s, "serial", d)) <= 0)
        return rc;
    rc = zone_soa_serial(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), &serial);
    sqlite3_reset(s);
    if (rc != 0 || !serial_lt(serial, gone))
        return 0;
    log_notice("zone %lld: serial %lu is older than %lu, the zone's before: stepping it, so "
               "that secondaries take the new records",
               (long long)zone, (unsigned long)serial, (unsigned long)gone);
    return bump(st, zone, NULL, d);
}

int zone_touch(struct store *st, int64_t zone, const uint8_t *owner, unsigned what,
               struct lana_diag *d)
{
    int rc = 0;
    if (what & ZONE_TOUCH_NAME) {
        sqlite3_stmt *s;
        if ((rc = store__stmt(st, sql_change, &s, d)) != 0)
            return rc;
        if (owner != NULL)
            sqlite3_bind_blob(s, 1, owner, (int)dname_len(owner), SQLITE_TRANSIENT);
        if ((rc = store__done(st, s, "dnschange", d)) != 0)
            return rc;
    }
    if (what & ZONE_TOUCH_SERIAL)
        rc = bump(st, zone, NULL, d);
    return rc;
}

int zone_serial_above(struct store *st, int64_t zone, uint32_t floor, struct lana_diag *d)
{
    return bump(st, zone, &floor, d);
}

static const char sql_prune[] =
    "DELETE FROM dnschange WHERE seq <= (SELECT max(seq) FROM dnschange) - 100000";

int zone_prune_changes(struct names *n, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(n->st, sql_prune, &s, d);
    return rc ? rc : store__done(n->st, s, "prune", d);
}

/* ---- create ----------------------------------------------------------------------------- */

static const char sql_zone_ins[] = "INSERT INTO zone (name, apex, created, updated, sponsor,"
                                   " registrant) VALUES (?1, ?2, ?3, ?3, ?4, ?5)";

/* The SOA rdata of a new zone: our name server ns1.lab., hostmaster.<zone>, the policy's
 * first serial (YYYYMMDD00 for date). Returns its length; ns gets the name server's wire form. */
static int soa_of(const char *zone, uint8_t rd[2 * DNAME_MAXLEN + 20], uint8_t ns[DNAME_MAXLEN],
                  struct lana_diag *d)
{
    uint8_t hm[DNAME_MAXLEN];
    char buf[DNAME_TEXT_MAX + 16];
    int rc = names__wire("ns1.lab.", ns, d);
    if (rc != 0)
        return rc;
    int k = snprintf(buf, sizeof buf, "hostmaster.%s", strcmp(zone, ".") ? zone : "");
    if (k < 0 || (size_t)k >= sizeof buf || names__wire(buf, hm, NULL) != 0)
        if ((rc = names__wire("hostmaster.lab.", hm, d)) != 0)
            return rc;
    size_t nl = dname_len(ns), hl = dname_len(hm);
    memcpy(rd, ns, nl);
    memcpy(rd + nl, hm, hl);
    uint32_t v[5] = {serial_initial(serial_policy, time(NULL)), 3600, 900, 604800, NAMES_TTL};
    for (int i = 0; i < 5; i++)
        put32(rd + nl + hl + 4 * i, v[i]);
    return (int)(nl + hl + 20);
}

/* Hosts registered at or below a name (lowercase, final dot), in whatever zone holds them. */
static const char sql_hosts_below[] =
    "SELECT name FROM host WHERE name = ?1 OR substr(name, -length(?1) - 1) = '.' || ?1"
    " ORDER BY name LIMIT 1";

/* The delegations of the zones below a new zone (?3) move into it from the zone above (?1);
 * with ?1 and ?3 swapped, those of a deleted zone move back up. */
static const char sql_move_cuts[] =
    "UPDATE rr SET zone_id = ?3 WHERE zone_id = ?1 AND type = 2 AND key <> ?2"
    " AND substr(key, 1, length(?2)) = ?2 AND key IN (SELECT apex FROM zone)";

/* Glue: the addresses of the name server ns, when it lies at or below the cut, wherever the
 * registry holds them (any zone). */
static const char sql_glue[] = "SELECT type, rdata, ttl FROM rr WHERE key = ?1 AND type IN (1, 28)";

/*
 * The delegation of a new zone child at apex in the zone above it, if there is one: an NS
 * record naming ns (our name server) and, when ns lies below the cut, its addresses as glue;
 * the delegations of zones already below the apex move from the zone above into the new one
 * (their cut is now inside it). The enclosing zone's serial goes up.
 */
static int delegate(struct names *n, int64_t child, const uint8_t *apex, const uint8_t *ns,
                    struct lana_diag *d)
{
    if (apex[0] == 0)
        return 0; /* the root has nothing above it */
    int64_t parent;
    uint8_t papex[DNAME_MAXLEN];
    int rc = zone_find(n, apex + apex[0] + 1, &parent, papex, d);
    if (rc <= 0)
        return rc;
    if ((rc = rrset_put(n, parent, apex, DNS_T_NS, ns, dname_len(ns), 3600, d)) < 0)
        return rc;
    if (dname_is_sub(ns, apex)) {
        uint8_t nk[DNAME_KEY_MAX];
        size_t nkl = dname_key(ns, nk);
        sqlite3_stmt *s;
        if ((rc = store__prepare(n->st, sql_glue, &s, d)) != 0)
            return rc;
        sqlite3_bind_blob(s, 1, nk, (int)nkl, SQLITE_TRANSIENT);
        while (rc >= 0 && (rc = store__row(n->st, s, "glue", d)) == 1)
            rc = rrset_put(n, parent, ns, (uint16_t)sqlite3_column_int(s, 0),
                           sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1),
                           (uint32_t)sqlite3_column_int64(s, 2), d);
        sqlite3_finalize(s);
        if (rc < 0)
            return rc;
    }
    sqlite3_stmt *s;
    uint8_t key[DNAME_KEY_MAX];
    size_t kl = dname_key(apex, key);
    if ((rc = store__stmt(n->st, sql_move_cuts, &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, parent);
    sqlite3_bind_blob(s, 2, key, (int)kl, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 3, child);
    if ((rc = store__done(n->st, s, "move delegations", d)) != 0)
        return rc;
    return zone_touch(n->st, parent, NULL, ZONE_TOUCH_SERIAL, d);
}

/* The delegation of a deleted zone in the zone above: the NS records at its apex and the
 * addresses below it (glue); nothing else (zone_create refused a cut over other names). */
static const char sql_undelegate[] =
    "DELETE FROM rr WHERE zone_id = ?1 AND ((type = 2 AND key = ?2) OR"
    " (type IN (1, 28) AND substr(key, 1, length(?2)) = ?2 AND key <> ?2))";

static int undelegate(struct names *n, const uint8_t *apex, struct lana_diag *d)
{
    if (apex[0] == 0)
        return 0;
    int64_t parent;
    uint8_t papex[DNAME_MAXLEN], key[DNAME_KEY_MAX];
    int rc = zone_find(n, apex + apex[0] + 1, &parent, papex, d);
    if (rc <= 0)
        return rc;
    size_t kl = dname_key(apex, key);
    sqlite3_stmt *s;
    if ((rc = store__stmt(n->st, sql_undelegate, &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, parent);
    sqlite3_bind_blob(s, 2, key, (int)kl, SQLITE_TRANSIENT);
    if ((rc = store__done(n->st, s, "remove delegation", d)) != 0 ||
        sqlite3_changes(n->st->db) == 0)
        return rc;
    if ((rc = zone_touch(n->st, 0, NULL, ZONE_TOUCH_NAME, d)) != 0)
        return rc;
    return zone_touch(n->st, parent, NULL, ZONE_TOUCH_SERIAL, d);
}

/* The enclosing zone's records at or below a new apex (key ?2) that the cut would hide:
 * everything but delegations (NS at the apex, or at the apex of a zone below it, which move
 * to the new zone: sql_move_cuts), addresses below the apex (glue) and host PTR records,
 * which move to the new zone too (host_ptr_follow). */
static const char sql_names_below[] =
    "SELECT key, type FROM rr WHERE zone_id = ?1 AND substr(key, 1, length(?2)) = ?2"
    " AND NOT (type = 2 AND (key = ?2 OR key IN (SELECT apex FROM zone)))"
    " AND NOT (type IN (1, 28) AND key <> ?2) AND type <> 12 LIMIT 1";

/* LANA_ECONFLICT when the zone above apex holds names a cut there would hide. */
static int names_below(struct names *n, const uint8_t *apex, const uint8_t *key, size_t kl,
                       const char *text, struct lana_diag *d)
{
    int64_t parent;
    uint8_t papex[DNAME_MAXLEN], owner[DNAME_MAXLEN];
    int rc = apex[0] == 0 ? 0 : zone_find(n, apex + apex[0] + 1, &parent, papex, d);
    if (rc <= 0)
        return rc;
    sqlite3_stmt *s;
    if ((rc = store__stmt(n->st, sql_names_below, &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, parent);
    sqlite3_bind_blob(s, 2, key, (int)kl, SQLITE_TRANSIENT);
    if ((rc = store__row(n->st, s, "names below", d)) != 1)
        return rc;
    char on[DNAME_TEXT_MAX] = "?", pz[DNAME_TEXT_MAX];
    if (dname_from_key(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), owner) > 0)
        names__text(owner, on);
    char tb[16];
    const char *type = dnsmsg_type_name((uint16_t)sqlite3_column_int(s, 1), tb, sizeof tb);
    sqlite3_reset(s);
    names__text(papex, pz);
    return diag_set(d, LANA_ECONFLICT,
                    "%s holds %s records at %s: a zone %s would hide them (delete them first)",
                    pz, type, on, text);
}

static int zone_create(struct names *n, const uint8_t *apex, const struct authz_zone_roles *who,
                       int64_t *id, struct lana_diag *d)
{
    char text[DNAME_TEXT_MAX];
    uint8_t key[DNAME_KEY_MAX], rd[2 * DNAME_MAXLEN + 20], ns[DNAME_MAXLEN];
    size_t kl = dname_key(apex, key);
    names__text(apex, text);
    sqlite3_stmt *s;
    /* a zone cut above registered hosts would hide their records in the enclosing zone */
    int rc = store__stmt(n->st, sql_hosts_below, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s, 1, text, -1, SQLITE_TRANSIENT);
    if ((rc = store__row(n->st, s, "hosts below", d)) == 1) {
        rc = diag_set(d, LANA_ECONFLICT,
                      "host %.255s is registered below %s in another zone: delete it first",
                      (const char *)sqlite3_column_text(s, 0), text);
        sqlite3_reset(s);
    }
    if (rc != 0 || (rc = names_below(n, apex, key, kl, text, d)) != 0)
        return rc;
    rc = store__stmt(n->st, sql_zone_ins, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s, 1, text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(s, 2, key, (int)kl, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 3, (int64_t)time(NULL));
    sqlite3_bind_text(s, 4, who->sponsor, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 5, who->registrant, -1, SQLITE_TRANSIENT);
    if ((rc = store__done(n->st, s, "create zone", d)) != 0)
        return rc;
    *id = sqlite3_last_insert_rowid(n->st->db);
    if ((rc = catalog_zone_added(n, *id, apex, d)) != 0) /* a member of the catalog */
        return rc;
    /* a new zone: REFUSED turns into answers */
    if ((rc = zone_touch(n->st, 0, NULL, ZONE_TOUCH_NAME, d)) != 0)
        return rc;
    int len = soa_of(text, rd, ns, d);
    if (len < 0)
        return len;
    if ((rc = rrset_put(n, *id, apex, DNS_T_SOA, rd, (size_t)len, 3600, d)) < 0 ||
        (rc = rrset_put(n, *id, apex, DNS_T_NS, ns, dname_len(ns), 3600, d)) < 0 ||
        (rc = delegate(n, *id, apex, ns, d)) < 0)
        return rc;
    /* a zone of this name existed: the new one's serials start past the old one's */
    uint32_t floor, first;
    if ((rc = floor_of(n->st, *id, &floor, d)) < 0)
        return rc;
    if (rc == 1 && zone_soa_serial(rd, (size_t)len, &first) == 0 && !serial_lt(floor, first) &&
        (rc = bump(n->st, *id, NULL, d)) != 0)
        return rc;
    if ((rc = root_zone_changed(n, apex, d)) != 0) /* the lab's root servers, if any */
        return rc;
    /* a reverse zone takes the PTR records of the host addresses it covers */
    return host_ptr_follow(n, apex, d);
}

static const char sql_zone_block_ins[] =
    "INSERT OR IGNORE INTO zone_block (zone_id, block_id) VALUES (?1, ?2)";

int zone_add(struct names *n, const char *name, const struct cidr *blocks, unsigned nblocks,
             const char *actor, struct zone_info *out, struct lana_diag *d)
{
    return zone_register(n, name, NULL, blocks, nblocks, actor, out, d);
}

int zone_register(struct names *n, const char *name, const char *registrant,
                  const struct cidr *blocks, unsigned nblocks, const char *actor,
                  struct zone_info *out, struct lana_diag *d)
{
    uint8_t apex[DNAME_MAXLEN];
    char text[DNAME_TEXT_MAX];
    int rc;
    /* the root zone of a lab (db/root.h) is a zone name, though no host name */
    if ((strcmp(name, ".") != 0 && (rc = host_check_name(name, d)) != 0) ||
        (rc = names__canonical(name, apex, text, d)) != 0)
        return rc;
    struct authz_zone_roles roles;
    if ((rc = authz_zone_create(n->st, n->ip, apex, registrant, &roles, d)) != 0)
        return rc;
    struct zone_info z;
    if ((rc = zone_get(n, text, &z, d)) != LANA_ENOTFOUND)
        return rc < 0 ? rc : diag_set(d, LANA_ECONFLICT, "zone %s exists", z.name);
    struct ipam_block bl[ZONE_BLOCKS_MAX];
    if (nblocks > ZONE_BLOCKS_MAX)
        return diag_set(d, LANA_ERANGE, "at most %d default blocks", ZONE_BLOCKS_MAX);
    /* a zone takes its hosts' addresses from its default blocks: the asker's to give */
    for (unsigned i = 0; i < nblocks; i++)
        if ((rc = ipam_get(n->ip, &blocks[i], &bl[i], d)) != 0 ||
            (rc = authz_block(n->st, bl[i].id, true, d)) != 0)
            return rc;
    if ((rc = store_sp_begin(n->st, d)) != 0)
        return rc;
    int64_t id = 0;
    rc = zone_create(n, apex, &roles, &id, d);
    for (unsigned i = 0; rc == 0 && i < nblocks; i++) {
        sqlite3_stmt *s;
        if ((rc = store__stmt(n->st, sql_zone_block_ins, &s, d)) == 0) {
            sqlite3_bind_int64(s, 1, id);
            sqlite3_bind_int64(s, 2, bl[i].id);
            rc = store__done(n->st, s, "zone block", d);
        }
    }
    if (rc == 0)
        rc = names__audit(n, actor, "zone.add", text, NULL, NULL, d);
    if (rc == 0 && out != NULL)
        rc = zone_get(n, text, &z, d);
    if ((rc = store_sp_end(n->st, rc, d)) == 0 && out != NULL)
        *out = z;
    return rc;
}

int zone_ensure(struct names *n, const char *name, const char *actor, struct lana_diag *d)
{
    uint8_t apex[DNAME_MAXLEN];
    char text[DNAME_TEXT_MAX];
    int rc = names__canonical(name, apex, text, d);
    if (rc != 0)
        return rc;
    struct zone_info z;
    if ((rc = zone_get(n, text, &z, d)) != LANA_ENOTFOUND)
        return rc;
    if ((rc = store_sp_begin(n->st, d)) != 0)
        return rc;
    int64_t id;
    static const struct authz_zone_roles registry = {"admin", "admin"};
    rc = zone_create(n, apex, &registry, &id, d);
    if (rc == 0)
        rc = names__audit(n, actor, "zone.add", name, NULL, NULL, d);
    rc = store_sp_end(n->st, rc, d);
    return rc ? rc : 1;
}

/* ---- read --------------------------------------------------------------------------------- */

#define ZONE_COLS                                                                                  \
    "SELECT z.id, z.name, (SELECT rdata FROM rr WHERE zone_id = z.id AND type = 6),"               \
    " (SELECT count(*) FROM rr WHERE zone_id = z.id),"                                             \
    " (SELECT count(*) FROM host WHERE zone_id = z.id), z.sponsor, z.registrant FROM zone z "
static const char sql_zone_get[] = ZONE_COLS "WHERE z.name = ?1";
static const char sql_zone_all[] = ZONE_COLS "ORDER BY z.name";

static void read_zone(sqlite3_stmt *s, struct zone_info *z)
{
    memset(z, 0, sizeof *z);
    z->id = sqlite3_column_int64(s, 0);
    names__copy(z->name, sizeof z->name, (const char *)sqlite3_column_text(s, 1));
    if (zone_soa_serial(sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2),
                        &z->serial) != 0)
        z->serial = 0;
    z->records = sqlite3_column_int64(s, 3);
    z->hosts = sqlite3_column_int64(s, 4);
    z->reverse = names__is_reverse(z->name);
    names__copy(z->sponsor, sizeof z->sponsor, (const char *)sqlite3_column_text(s, 5));
    names__copy(z->registrant, sizeof z->registrant, (const char *)sqlite3_column_text(s, 6));
}

int zone_get(struct names *n, const char *name, struct zone_info *out, struct lana_diag *d)
{
    uint8_t w[DNAME_MAXLEN];
    char text[DNAME_TEXT_MAX];
    int rc = names__canonical(name, w, text, d);
    if (rc != 0)
        return rc;
    sqlite3_stmt *s;
    if ((rc = store__stmt(n->st, sql_zone_get, &s, d)) != 0)
        return rc;
    sqlite3_bind_text(s, 1, text, -1, SQLITE_TRANSIENT);
    if ((rc = store__row(n->st, s, "zone", d)) == 0)
        return diag_set(d, LANA_ENOTFOUND, "no zone %s", text);
    if (rc < 0)
        return rc;
    read_zone(s, out);
    sqlite3_reset(s);
    return 0;
}

int zone_each(struct names *n, zone_each_cb *cb, void *arg, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__prepare(n->st, sql_zone_all, &s, d);
    if (rc != 0)
        return rc;
    while ((rc = store__row(n->st, s, "zones", d)) == 1) {
        struct zone_info z;
        read_zone(s, &z);
        if ((rc = cb(&z, arg)) != 0)
            break;
    }
    sqlite3_finalize(s);
    return rc < 0 ? rc : 0;
}

static const char sql_zone_blocks[] =
    "SELECT b.family, b.start, b.plen FROM zone_block zb JOIN block b ON b.id = zb.block_id"
    " WHERE zb.zone_id = ?1 ORDER BY b.family, b.start";

int zone_blocks(struct names *n, int64_t zone_id, struct cidr *out, unsigned max, unsigned *count,
                struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(n->st, sql_zone_blocks, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, zone_id);
    *count = 0;
    while (*count < max && (rc = store__row(n->st, s, "zone blocks", d)) == 1) {
        struct cidr *c = &out[(*count)++];
        memset(c, 0, sizeof *c);
        c->family = (uint8_t)sqlite3_column_int(s, 0);
        c->plen = (uint8_t)sqlite3_column_int(s, 2);
        /* bounded by the blob's length: a damaged row cannot make it read past the end */
        cidr_addr_set_u128(c,
                           ipam__key_value(sqlite3_column_blob(s, 1), sqlite3_column_bytes(s, 1)));
    }
    sqlite3_reset(s);
    return rc < 0 ? rc : 0;
}

/* ---- delete ------------------------------------------------------------------------------- */

static const char sql_zone_other[] =
    "SELECT EXISTS(SELECT 1 FROM rr WHERE zone_id = ?1 AND key <> ?2)";
static const char sql_hosts_of_zone[] = "SELECT name FROM host WHERE zone_id = ?1";
static const char sql_zone_delete[] = "DELETE FROM zone WHERE id = ?1";

/* Whether the zone has names besides its apex: 1, 0, or LANA_EDB. */
static int zone_has_names(struct names *n, const struct zone_info *z, struct lana_diag *d)
{
    uint8_t apex[DNAME_MAXLEN], key[DNAME_KEY_MAX];
    int rc = names__wire(z->name, apex, d);
    if (rc != 0)
        return rc;
    size_t kl = dname_key(apex, key);
    sqlite3_stmt *s;
    if ((rc = store__stmt(n->st, sql_zone_other, &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, z->id);
    sqlite3_bind_blob(s, 2, key, (int)kl, SQLITE_TRANSIENT);
    if ((rc = store__row(n->st, s, "zone", d)) == 1) {
        rc = sqlite3_column_int(s, 0) != 0;
        sqlite3_reset(s);
    }
    return rc;
}

/* Deletes every host of the zone (their addresses and PTR records go too). */
static int del_hosts(struct names *n, int64_t zone, const char *actor, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__prepare(n->st, sql_hosts_of_zone, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, zone);
    char(*hosts)[DNAME_TEXT_MAX] = NULL;
    size_t nh = 0, cap = 0;
    while ((rc = store__row(n->st, s, "hosts", d)) == 1) {
        if (nh == cap) {
            cap = cap ? cap * 2 : 64;
            void *p = realloc(hosts, cap * sizeof *hosts);
            if (p == NULL) {
                rc = diag_set(d, LANA_ENOMEM, "out of memory");
                break;
            }
            hosts = p;
        }
        names__copy(hosts[nh++], DNAME_TEXT_MAX, (const char *)sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    for (size_t i = 0; rc == 0 && i < nh; i++)
        rc = host_del(n, hosts[i], actor, d);
    free(hosts);
    return rc;
}

/* The delegations of the zones below z move up to the zone above it, if there is one. */
static int lift_cuts(struct names *n, const struct zone_info *z, struct lana_diag *d)
{
    uint8_t apex[DNAME_MAXLEN], papex[DNAME_MAXLEN], key[DNAME_KEY_MAX];
    int64_t parent;
    int rc = names__wire(z->name, apex, d);
    if (rc != 0 || apex[0] == 0 || (rc = zone_find(n, apex + apex[0] + 1, &parent, papex, d)) <= 0)
        return rc;
    size_t kl = dname_key(apex, key);
    sqlite3_stmt *s;
    if ((rc = store__stmt(n->st, sql_move_cuts, &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, z->id);
    sqlite3_bind_blob(s, 2, key, (int)kl, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 3, parent);
    return store__done(n->st, s, "move delegations", d);
}

int zone_del(struct names *n, const char *name, bool recursive, const char *actor,
             struct lana_diag *d)
{
    struct zone_info z;
    int rc = zone_get(n, name, &z, d);
    if (rc != 0 || (rc = authz_zone(n->st, z.id, d)) != 0)
        return rc;
    int other = zone_has_names(n, &z, d);
    if (other < 0)
        return other;
    if ((other || z.hosts > 0) && !recursive)
        return diag_set(d, LANA_ECONFLICT,
                        "zone %s holds %lld host%s and other names: delete them first, or use "
                        "--recursive",
                        z.name, (long long)z.hosts, z.hosts == 1 ? "" : "s");
    if ((rc = store_sp_begin(n->st, d)) != 0)
        return rc;
    /* hosts first, so that their addresses and PTR records go too; the delegations of the
     * zones below it go up to the zone above, which now holds their cuts */
    rc = del_hosts(n, z.id, actor, d);
    if (rc == 0)
        rc = lift_cuts(n, &z, d);
    if (rc == 0) /* no longer a member of the catalog */
        rc = catalog_zone_deleting(n, z.id, d);
    sqlite3_stmt *s;
    if (rc == 0 && (rc = store__stmt(n->st, sql_zone_delete, &s, d)) == 0) {
        /* its records go with it (ON DELETE CASCADE): their lookup rows at once, not a
         * trigger per record */
        sqlite3_bind_int64(s, 1, z.id);
        if ((rc = node__bulk(n->st, z.id, true, d)) == 0 &&
            (rc = store__done(n->st, s, "delete zone", d)) == 0 &&
            (rc = node__bulk(n->st, z.id, false, d)) == 0)
            rc = node__rebuild(n->st, z.id, d);
    }
    if (rc == 0)
        rc = zone_touch(n->st, 0, NULL, ZONE_TOUCH_NAME, d);
    /* the host PTR records it held go back to the zone above, if there is one */
    uint8_t apex[DNAME_MAXLEN];
    if (rc == 0 && (rc = names__wire(z.name, apex, d)) == 0 && (rc = undelegate(n, apex, d)) == 0)
        rc = host_ptr_follow(n, apex, d);
    if (rc == 0)
        rc = root_zone_changed(n, apex, d);
    if (rc == 0)
        rc = names__audit(n, actor, "zone.del", z.name, NULL, NULL, d);
    return store_sp_end(n->st, rc, d);
}
