/*
 * check_names — the passes of check (check.h) over zones, records and hosts: what db/names
 * and db/zoneio keep true of the tables zone, rr and host and of their ties to the address
 * registry. Names are compared in wire form, lowercased, through their canonical keys
 * (common/dname), the way the store keeps them; addresses through common/cidr.
 */
#include <sqlite3.h>
#include <string.h>

#include "common/cidr.h"
#include "common/dname.h"
#include "common/dnsmsg.h"
#include "common/rdata.h"
#include "db/check_int.h"
#include "db/node_int.h"

static const uint8_t root[1] = {0};

static void name_text(const uint8_t *wire, char out[DNAME_TEXT_MAX])
{
    if (dname_to_text(wire, out, DNAME_TEXT_MAX) < 0)
        check__fmt(out, DNAME_TEXT_MAX, "?");
}

/* A text name as lowercase wire form; false when it does not parse. */
static bool name_wire(const char *s, uint8_t out[DNAME_MAXLEN])
{
    struct lana_diag e;
    if (s == NULL || dname_from_text(s, root, out, &e) < 0)
        return false;
    dname_lower(out);
    return true;
}

static void bind_key(sqlite3_stmt *s, int col, const uint8_t *wire)
{
    uint8_t key[DNAME_KEY_MAX];
    size_t kl = dname_key(wire, key);
    sqlite3_bind_blob(s, col, key, (int)kl, SQLITE_TRANSIENT);
}

static void bind_addr(sqlite3_stmt *s, int col, const struct cidr *p)
{
    uint8_t k[16];
    unsigned __int128 v = cidr_addr_u128(p);
    for (int i = 15; i >= 0; i--, v >>= 8)
        k[i] = (uint8_t)v;
    sqlite3_bind_blob(s, col, k, 16, SQLITE_TRANSIENT);
}

static bool is_reverse(const char *zone)
{
    size_t l = strlen(zone);
    return (l >= 13 && strcmp(zone + l - 13, "in-addr.arpa.") == 0) ||
           (l >= 9 && strcmp(zone + l - 9, "ip6.arpa.") == 0);
}

/*
 * The zone of the longest apex at or above name, as db/names finds it: 1 with *id, the
 * zone's name in zone (DNAME_TEXT_MAX, may be NULL) and *at_apex; 0 for none; <0 error.
 */
static int zone_of(struct ctx *c, const uint8_t *name, int64_t *id, char *zone, bool *at_apex)
{
    sqlite3_stmt *s = c->zone_by_apex;
    for (const uint8_t *p = name; p != NULL; p = dname_parent(p)) {
        sqlite3_reset(s);
        bind_key(s, 1, p);
        int step = sqlite3_step(s);
        if (step == SQLITE_ROW) {
            *id = sqlite3_column_int64(s, 0);
            if (zone != NULL)
                check__fmt(zone, DNAME_TEXT_MAX, "%s", (const char *)sqlite3_column_text(s, 1));
            if (at_apex != NULL)
                *at_apex = p == name;
            sqlite3_reset(s);
            return 1;
        }
        if (step != SQLITE_DONE)
            return check__db_err(c, "zone lookup");
        if (p[0] == 0)
            break;
    }
    sqlite3_reset(s);
    return 0;
}

/* Whether (zone, owner, type, rdata) is a record: 1, 0, or <0. */
static int rr_exists(struct ctx *c, int64_t zone, const uint8_t *owner, uint16_t type,
                     const void *rd, size_t rdlen)
{
    sqlite3_stmt *s = c->rr_has;
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, zone);
    bind_key(s, 2, owner);
    sqlite3_bind_int(s, 3, type);
    sqlite3_bind_blob(s, 4, rdlen ? rd : "", (int)rdlen, SQLITE_TRANSIENT);
    int step = sqlite3_step(s);
    sqlite3_reset(s);
    return step == SQLITE_ROW ? 1 : step == SQLITE_DONE ? 0 : check__db_err(c, "record lookup");
}

/* The PTR owner of an address, lowercase wire. */
static bool reverse_wire(const struct cidr *a, uint8_t out[DNAME_MAXLEN])
{
    char rev[CIDR_REVLEN];
    return cidr_reverse_name(a, rev, sizeof rev) == 0 && name_wire(rev, out);
}

/* An address from A or AAAA rdata. */
static bool rdata_addr(uint16_t type, const void *rd, int len, struct cidr *out)
{
    int n = type == DNS_T_A ? 4 : 16;
    if (rd == NULL || len != n)
        return false;
    memset(out, 0, sizeof *out);
    out->family = type == DNS_T_A ? 4 : 6;
    out->plen = (uint8_t)(n * 8);
    memcpy(out->addr, rd, (size_t)n);
    return true;
}

static int prepare(struct ctx *c)
{
    int rc;
    if ((rc = check__prep(c, "SELECT id, name FROM zone WHERE apex = ?1", &c->zone_by_apex)) ||
        (rc = check__prep(c, "SELECT rdata FROM rr WHERE zone_id = ?1 AND key = ?2 AND type = +?3",
                          &c->rrset)) ||
        (rc = check__prep(c,
                          "SELECT 1 FROM rr WHERE zone_id = ?1 AND key = ?2 AND type = +?3"
                          " AND rdata = ?4",
                          &c->rr_has)) ||
        (rc = check__prep(c,
                          "SELECT status, holder FROM block WHERE family = ?1 AND start = ?2"
                          " AND plen = ?3",
                          &c->block_exact)) ||
        (rc = check__prep(c, "SELECT v4, v6 FROM host WHERE name = ?1", &c->host_by_name)) ||
        (rc = check__prep(c,
                          "SELECT type, ttl, rdata FROM rr WHERE zone_id = ?1 AND key = ?2"
                          " ORDER BY type, rdata",
                          &c->rr_of_name)) ||
        (rc = check__prep(c, "SELECT level, split FROM node_zone WHERE zone_id = ?1",
                          &c->node_params)))
        return rc;
    return 0;
}

/* ---- zones and records -------------------------------------------------------------------- */

/* SOA: exactly one, at the apex, well formed; NS at the apex. */
static int zone_soa_ns(struct ctx *c, int64_t id, const char *name, const void *apex, int alen)
{
    sqlite3_stmt *s;
    int rc =
        check__prep(c, "SELECT key = ?2, rdata, key FROM rr WHERE zone_id = ?1 AND type = 6", &s);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_blob(s, 2, apex, alen, SQLITE_TRANSIENT);
    int step, at_apex = 0;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        if (!sqlite3_column_int(s, 0)) {
            FIND(c, CHECK_ZONE_SOA, name, "an SOA record below the apex");
            continue;
        }
        at_apex++;
        if (!rdata_is_valid(DNS_T_SOA, sqlite3_column_blob(s, 1),
                            (size_t)sqlite3_column_bytes(s, 1)))
            FIND(c, CHECK_ZONE_SOA, name, "the SOA record is malformed");
    }
    if ((rc = check__ended(c, s, step)) != 0)
        return rc;
    if (at_apex != 1)
        FIND(c, CHECK_ZONE_SOA, name,
             at_apex ? "%d SOA records at the apex" : "no SOA record at the apex", at_apex);
    sqlite3_stmt *r = c->rrset;
    sqlite3_reset(r);
    sqlite3_bind_int64(r, 1, id);
    sqlite3_bind_blob(r, 2, apex, alen, SQLITE_TRANSIENT);
    sqlite3_bind_int(r, 3, DNS_T_NS);
    step = sqlite3_step(r);
    sqlite3_reset(r);
    if (step == SQLITE_DONE)
        FIND(c, CHECK_ZONE_NS, name, "no NS record at the apex");
    return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : check__db_err(c, "NS");
}

static int zone_row(struct ctx *c, sqlite3_stmt *s, void *arg)
{
    (void)arg;
    c->st.zones++;
    const char *name = (const char *)sqlite3_column_text(s, 1);
    const void *apex = sqlite3_column_blob(s, 2);
    int alen = sqlite3_column_bytes(s, 2);
    if (apex == NULL)
        apex = ""; /* the root's key is empty, and SQLite gives an empty blob as NULL */
    uint8_t w[DNAME_MAXLEN], key[DNAME_KEY_MAX];
    char t[DNAME_TEXT_MAX];
    if (!name_wire(name, w)) {
        FIND(c, CHECK_ZONE_APEX, name ? name : "?", "the zone's name does not parse");
        return 0;
    }
    name_text(w, t);
    size_t kl = dname_key(w, key);
    if (strcmp(t, name) != 0)
        FIND(c, CHECK_ZONE_APEX, name, "the name is not in canonical form (%s)", t);
    else if ((size_t)alen != kl || (kl > 0 && memcmp(apex, key, kl) != 0))
        FIND(c, CHECK_ZONE_APEX, name, "the apex key is not the name's");
    return zone_soa_ns(c, sqlite3_column_int64(s, 0), name, apex, alen);
}

static int check_zones(struct ctx *c)
{
    return check__rows(c, "SELECT id, name, apex FROM zone ORDER BY name", zone_row, NULL);
}

/* Every record: an owner key a name produces, at or below its apex, rdata of its type. */
static int record_row(struct ctx *c, sqlite3_stmt *s, void *arg)
{
    (void)arg;
    c->st.records++;
    const uint8_t *key = sqlite3_column_blob(s, 0), *apex = sqlite3_column_blob(s, 3);
    int kl = sqlite3_column_bytes(s, 0), al = sqlite3_column_bytes(s, 3);
    uint16_t type = (uint16_t)sqlite3_column_int(s, 1);
    const char *zone = (const char *)sqlite3_column_text(s, 4);
    uint8_t owner[DNAME_MAXLEN];
    char t[DNAME_TEXT_MAX], tn[16];
    if (dname_from_key(key ? key : (const uint8_t *)"", (size_t)kl, owner) < 0) {
        FIND(c, CHECK_RECORD_MALFORMED, zone, "a record whose key no name produces");
        return 0;
    }
    name_text(owner, t);
    if (kl < al || (al > 0 && memcmp(key, apex, (size_t)al) != 0))
        FIND(c, CHECK_RECORD_OUTSIDE, t, "lies outside its zone %s", zone);
    if (type != DNS_T_SOA && /* zone-soa tells about the SOA */
        !rdata_is_valid(type, sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2)))
        FIND(c, CHECK_RECORD_MALFORMED, t, "%s rdata is malformed",
             dnsmsg_type_name(type, tn, sizeof tn));
    return 0;
}

static int check_records(struct ctx *c)
{
    return check__rows(c,
                       "SELECT r.key, r.type, r.rdata, z.apex, z.name FROM rr r"
                       " JOIN zone z ON z.id = r.zone_id",
                       record_row, NULL);
}

static int cname_row(struct ctx *c, sqlite3_stmt *s, void *arg)
{
    (void)arg;
    uint8_t owner[DNAME_MAXLEN];
    char t[DNAME_TEXT_MAX] = "?";
    if (dname_from_key(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), owner) > 0)
        name_text(owner, t);
    FIND(c, CHECK_CNAME_CONFLICT, t, "a CNAME beside other data (or a second CNAME)");
    return 0;
}

/* RFC 1034 §3.6.2: a CNAME stands alone (db/names and db/zoneio refuse anything beside it). */
static int check_cnames(struct ctx *c)
{
    return check__rows(c,
                       "SELECT a.key FROM rr a WHERE a.type = 5 AND (SELECT count(*) FROM rr b"
                       " WHERE b.zone_id = a.zone_id AND b.key = a.key) > 1",
                       cname_row, NULL);
}

/* ---- hosts ---------------------------------------------------------------------------------- */

/* The A or AAAA RRset at the host's name is exactly its address of that family (or empty). */
static int host_rrset(struct ctx *c, const char *name, int64_t zone, const uint8_t *w,
                      uint16_t type, const struct cidr *addr)
{
    sqlite3_stmt *s = c->rrset;
    const char *tn = type == DNS_T_A ? "A" : "AAAA";
    bool found = false;
    int step = SQLITE_DONE;
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, zone);
    bind_key(s, 2, w);
    sqlite3_bind_int(s, 3, type);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct cidr a;
        char t[CIDR_STRLEN] = "?";
        bool ok = rdata_addr(type, sqlite3_column_blob(s, 0), sqlite3_column_bytes(s, 0), &a);
        if (ok && addr != NULL && memcmp(a.addr, addr->addr, 16) == 0) {
            found = true;
            continue;
        }
        if (ok)
            cidr_format_addr(&a, t, sizeof t);
        FIND(c, CHECK_HOST_A, name, "%s record %s is not the host's address", tn, t);
    }
    sqlite3_reset(s);
    if (step != SQLITE_DONE)
        return check__db_err(c, "host records");
    if (addr != NULL && !found) {
        char t[CIDR_STRLEN] = "?";
        cidr_format_addr(addr, t, sizeof t);
        FIND(c, CHECK_HOST_A, name, "no %s record for its address %s", tn, t);
    }
    return 0;
}

/* One address of a host: canonical, registered, and with its PTR where a reverse zone is. */
static int host_addr(struct ctx *c, const char *name, const uint8_t *w, const char *v, int family,
                     struct cidr *out, bool *have)
{
    char t[CIDR_STRLEN];
    struct cidr a;
    *have = false;
    if (v == NULL)
        return 0;
    if (cidr_parse_addr(v, &a, NULL) != 0 || a.family != family) {
        FIND(c, CHECK_HOST_ADDRESS, name, "%s is no IPv%d address", v, family);
        return 0;
    }
    *out = a;
    *have = true;
    if (cidr_format_addr(&a, t, sizeof t) != 0 || strcmp(t, v) != 0)
        FIND(c, CHECK_HOST_ADDRESS, name, "%s is not in canonical form (%s)", v, t);
    sqlite3_stmt *s = c->block_exact;
    sqlite3_reset(s);
    sqlite3_bind_int(s, 1, family);
    bind_addr(s, 2, &a);
    sqlite3_bind_int(s, 3, a.plen);
    int step = sqlite3_step(s);
    sqlite3_reset(s);
    if (step == SQLITE_DONE)
        FIND(c, CHECK_HOST_UNREGISTERED, name, "its address %s is no block of the registry", t);
    else if (step != SQLITE_ROW)
        return check__db_err(c, "address lookup");
    uint8_t rev[DNAME_MAXLEN];
    int64_t rz;
    char zone[DNAME_TEXT_MAX];
    int rc = reverse_wire(&a, rev) ? zone_of(c, rev, &rz, zone, NULL) : 0;
    if (rc <= 0)
        return rc;
    if ((rc = rr_exists(c, rz, rev, DNS_T_PTR, w, dname_len(w))) == 0)
        FIND(c, CHECK_HOST_PTR, name, "the reverse zone %s has no PTR for %s", zone, t);
    return rc < 0 ? rc : 0;
}

static int host_row(struct ctx *c, sqlite3_stmt *s, void *arg)
{
    (void)arg;
    c->st.hosts++;
    const char *name = (const char *)sqlite3_column_text(s, 0);
    int64_t zone = sqlite3_column_int64(s, 1), found;
    const char *v4 = (const char *)sqlite3_column_text(s, 2);
    const char *v6 = (const char *)sqlite3_column_text(s, 3);
    uint8_t w[DNAME_MAXLEN];
    char t[DNAME_TEXT_MAX], zt[DNAME_TEXT_MAX];
    bool apex, h4, h6;
    if (!name_wire(name, w)) {
        FIND(c, CHECK_HOST_ZONE, name ? name : "?", "the host's name does not parse");
        return 0;
    }
    name_text(w, t);
    if (strcmp(t, name) != 0)
        FIND(c, CHECK_HOST_ZONE, name, "the name is not in canonical form (%s)", t);
    int rc = zone_of(c, w, &found, zt, &apex);
    if (rc < 0)
        return rc;
    if (rc == 0 || found != zone)
        FIND(c, CHECK_HOST_ZONE, name, "registered in zone #%lld, but %s%s", (long long)zone,
             rc ? "it lies in " : "no zone holds it", rc ? zt : "");
    else if (apex)
        FIND(c, CHECK_HOST_ZONE, name, "is the apex of its zone");
    if (v4 == NULL && v6 == NULL)
        FIND(c, CHECK_HOST_ADDRESS, name, "has no address");
    struct cidr a4, a6;
    if ((rc = host_addr(c, name, w, v4, 4, &a4, &h4)) != 0 ||
        (rc = host_addr(c, name, w, v6, 6, &a6, &h6)) != 0 ||
        (rc = host_rrset(c, name, zone, w, DNS_T_A, h4 ? &a4 : NULL)) != 0)
        return rc;
    return host_rrset(c, name, zone, w, DNS_T_AAAA, h6 ? &a6 : NULL);
}

static int check_hosts(struct ctx *c)
{
    return check__rows(c, "SELECT name, zone_id, v4, v6 FROM host ORDER BY name", host_row, NULL);
}

static int shared_row(struct ctx *c, sqlite3_stmt *s, void *arg)
{
    (void)arg;
    FIND(c, CHECK_HOST_SHARED, (const char *)sqlite3_column_text(s, 0),
         "is the address of the hosts %s", (const char *)sqlite3_column_text(s, 1));
    return 0;
}

/* No address belongs to two hosts (the registry hands each out once). */
static int check_shared(struct ctx *c)
{
    return check__rows(c,
                       "SELECT v4, group_concat(name, ', ') FROM host WHERE v4 IS NOT NULL"
                       " GROUP BY v4 HAVING count(*) > 1 UNION ALL"
                       " SELECT v6, group_concat(name, ', ') FROM host WHERE v6 IS NOT NULL"
                       " GROUP BY v6 HAVING count(*) > 1",
                       shared_row, NULL);
}

/* ---- records no host owns ------------------------------------------------------------------- */

/* Whether target (in zone tz) has an address whose PTR owner is owner: 1, 0 or <0. */
static int maps_back(struct ctx *c, int64_t tz, const uint8_t *target, const uint8_t *owner)
{
    char t[DNAME_TEXT_MAX];
    name_text(target, t);
    sqlite3_stmt *h = c->host_by_name;
    sqlite3_reset(h);
    sqlite3_bind_text(h, 1, t, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(h), rc = 0;
    if (step == SQLITE_ROW) { /* a host: one of its addresses (its records are checked apart) */
        for (int i = 0; i < 2 && rc == 0; i++) {
            struct cidr a;
            uint8_t rev[DNAME_MAXLEN];
            const char *v = (const char *)sqlite3_column_text(h, i);
            rc = v && cidr_parse_addr(v, &a, NULL) == 0 && reverse_wire(&a, rev) &&
                 dname_equal(rev, owner);
        }
        sqlite3_reset(h);
        return rc;
    }
    sqlite3_reset(h);
    if (step != SQLITE_DONE)
        return check__db_err(c, "host lookup");
    static const uint16_t types[2] = {DNS_T_A, DNS_T_AAAA};
    sqlite3_stmt *s = c->rrset; /* any other name: one of its A or AAAA records */
    for (int i = 0; i < 2 && rc == 0; i++) {
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, tz);
        bind_key(s, 2, target);
        sqlite3_bind_int(s, 3, types[i]);
        while (rc == 0 && (step = sqlite3_step(s)) == SQLITE_ROW) {
            struct cidr a;
            uint8_t rev[DNAME_MAXLEN];
            rc = rdata_addr(types[i], sqlite3_column_blob(s, 0), sqlite3_column_bytes(s, 0), &a) &&
                 reverse_wire(&a, rev) && dname_equal(rev, owner);
        }
        sqlite3_reset(s);
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            return check__db_err(c, "address records");
    }
    return rc;
}

static int ptr_row(struct ctx *c, sqlite3_stmt *s, void *arg)
{
    (void)arg;
    uint8_t owner[DNAME_MAXLEN], target[DNAME_MAXLEN];
    struct rbuf rb;
    rbuf_init(&rb, sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1));
    if (dname_from_key(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), owner) <= 0 ||
        dname_decode(&rb, target) < 0)
        return 0; /* record-malformed */
    dname_lower(target);
    int64_t tz;
    char zone[DNAME_TEXT_MAX], o[DNAME_TEXT_MAX], t[DNAME_TEXT_MAX];
    int rc = zone_of(c, target, &tz, zone, NULL);
    if (rc < 0)
        return rc;
    if (rc == 0 || is_reverse(zone))
        return 0; /* a name that is not ours: nothing to compare with */
    if ((rc = maps_back(c, tz, target, owner)) == 0) {
        name_text(owner, o);
        name_text(target, t);
        FIND(c, CHECK_PTR_ORPHAN, o, "PTR %s, which does not have this address", t);
    }
    return rc < 0 ? rc : 0;
}

/* A PTR that names a name of our forward zones must map back: that name has the address. */
static int check_ptrs(struct ctx *c)
{
    /* the catalog's PTRs name zones, not addresses (check_catalog) */
    return check__rows(c,
                       "SELECT key, rdata FROM rr WHERE type = 12"
                       " AND zone_id IS NOT (SELECT zone_id FROM catalog)",
                       ptr_row, NULL);
}

/* ---- the catalog zone ------------------------------------------------------------------------ */

struct catalog_pass {
    int64_t id;
    char name[DNAME_TEXT_MAX];
    uint8_t zones[DNAME_MAXLEN]; /* zones.<catalog> */
    int64_t members;
};

/* NS and version: exactly NS invalid. and one TXT "2" (at version: sync_fixed writes it). */
static int fixed_row(struct ctx *c, sqlite3_stmt *s, void *arg)
{
    struct catalog_pass *p = arg;
    if (sqlite3_column_int64(s, 0) != 1 || sqlite3_column_int64(s, 1) != 1)
        FIND(c, CHECK_CATALOG, p->name, "the apex NS RRset is not exactly invalid.");
    if (sqlite3_column_int64(s, 2) != 1)
        FIND(c, CHECK_CATALOG, p->name, "no version TXT \"2\"");
    return 0;
}

/* One PTR of the catalog: at <one label>.zones.<catalog>, naming a zone that is not the
 * catalog; doubles are found by SQL (check_catalog). */
static int member_row(struct ctx *c, sqlite3_stmt *s, void *arg)
{
    struct catalog_pass *p = arg;
    uint8_t owner[DNAME_MAXLEN], target[DNAME_MAXLEN];
    char o[DNAME_TEXT_MAX], t[DNAME_TEXT_MAX];
    struct rbuf rb;
    rbuf_init(&rb, sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1));
    if (dname_from_key(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), owner) <= 0 ||
        dname_decode(&rb, target) < 0)
        return 0; /* record-malformed */
    name_text(owner, o);
    if (owner[0] == 0 || !dname_equal(owner + owner[0] + 1, p->zones))
        FIND(c, CHECK_CATALOG, p->name, "PTR at %s, not at <label>.zones", o);
    int64_t tz;
    char zone[DNAME_TEXT_MAX];
    bool apex = false;
    int rc = zone_of(c, target, &tz, zone, &apex);
    if (rc < 0)
        return rc;
    name_text(target, t);
    if (rc == 0 || !apex || tz == p->id)
        FIND(c, CHECK_CATALOG, p->name, "%s names %s, which is no other zone", o, t);
    else
        p->members++;
    return 0;
}

static int double_row(struct ctx *c, sqlite3_stmt *s, void *arg)
{
    struct catalog_pass *p = arg;
    uint8_t target[DNAME_MAXLEN];
    char t[DNAME_TEXT_MAX];
    struct rbuf rb;
    rbuf_init(&rb, sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0));
    if (dname_decode(&rb, target) < 0)
        return 0;
    name_text(target, t);
    FIND(c, CHECK_CATALOG, p->name, "%s is listed %lld times", t,
         (long long)sqlite3_column_int64(s, 1));
    p->members -= sqlite3_column_int64(s, 1) - 1;
    return 0;
}

/* The catalog lists every zone but itself exactly once: every PTR names another zone, none
 * twice, and there are as many as zones - 1. O(members log zones). */
static int check_catalog(struct ctx *c)
{
    struct catalog_pass p = {0};
    sqlite3_stmt *s;
    int rc = check__prep(c,
                         "SELECT z.id, z.name, z.apex, (SELECT count(*) FROM zone) FROM catalog k"
                         " JOIN zone z ON z.id = k.zone_id",
                         &s);
    if (rc != 0)
        return rc;
    int step = sqlite3_step(s);
    int64_t zones = 0;
    if (step == SQLITE_ROW) {
        p.id = sqlite3_column_int64(s, 0);
        check__fmt(p.name, sizeof p.name, "%s", (const char *)sqlite3_column_text(s, 1));
        uint8_t apex[DNAME_MAXLEN];
        zones = sqlite3_column_int64(s, 3);
        if (dname_from_key(sqlite3_column_blob(s, 2), (size_t)sqlite3_column_bytes(s, 2), apex) <=
                0 ||
            dname_len(apex) + 6 > DNAME_MAXLEN) {
            p.id = 0;
        } else {
            memcpy(p.zones, "\5zones", 6);
            memcpy(p.zones + 6, apex, dname_len(apex));
        }
    }
    if ((rc = check__ended(c, s, step == SQLITE_ROW ? SQLITE_DONE : step)) != 0 || p.id == 0)
        return rc;
    char q[600];
    check__fmt(q, sizeof q, "SELECT key, rdata FROM rr WHERE zone_id = %lld AND type = 12",
               (long long)p.id);
    if ((rc = check__rows(c, q, member_row, &p)) != 0)
        return rc;
    check__fmt(q, sizeof q,
               "SELECT rdata, count(*) FROM rr WHERE zone_id = %lld AND type = 12 GROUP BY rdata"
               " HAVING count(*) > 1",
               (long long)p.id);
    if ((rc = check__rows(c, q, double_row, &p)) != 0)
        return rc;
    if (p.members != zones - 1)
        FIND(c, CHECK_CATALOG, p.name, "%lld zones are listed of %lld", (long long)p.members,
             (long long)(zones - 1));
    /* RFC 9432 §4.1 and §4.2.1 */
    check__fmt(q, sizeof q,
               "SELECT (SELECT count(*) FROM rr WHERE zone_id = %lld AND type = 2),"
               " (SELECT count(*) FROM rr WHERE zone_id = %lld AND type = 2 AND rdata = x'07696e76616c696400'),"
               " (SELECT count(*) FROM rr WHERE zone_id = %lld AND type = 16 AND rdata = x'0132')",
               (long long)p.id, (long long)p.id, (long long)p.id);
    return check__rows(c, q, fixed_row, &p);
}

static int addr_record_row(struct ctx *c, sqlite3_stmt *s, void *arg)
{
    (void)arg;
    uint8_t owner[DNAME_MAXLEN];
    char o[DNAME_TEXT_MAX], t[CIDR_STRLEN];
    struct cidr a;
    uint16_t type = (uint16_t)sqlite3_column_int(s, 1);
    if (dname_from_key(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), owner) <= 0 ||
        !rdata_addr(type, sqlite3_column_blob(s, 2), sqlite3_column_bytes(s, 2), &a))
        return 0;
    name_text(owner, o);
    sqlite3_stmt *b = c->block_exact;
    sqlite3_reset(b);
    sqlite3_bind_int(b, 1, a.family);
    bind_addr(b, 2, &a);
    sqlite3_bind_int(b, 3, a.plen);
    int bs = sqlite3_step(b);
    const char *status = bs == SQLITE_ROW ? (const char *)sqlite3_column_text(b, 0) : NULL;
    const char *holder = bs == SQLITE_ROW ? (const char *)sqlite3_column_text(b, 1) : NULL;
    bool held = status && holder && strcmp(status, "assigned") == 0 && strcmp(holder, o) == 0;
    sqlite3_reset(b);
    if (bs != SQLITE_ROW && bs != SQLITE_DONE)
        return check__db_err(c, "address lookup");
    if (!held)
        return 0;
    sqlite3_stmt *h = c->host_by_name;
    sqlite3_reset(h);
    sqlite3_bind_text(h, 1, o, -1, SQLITE_TRANSIENT);
    int hs = sqlite3_step(h);
    sqlite3_reset(h);
    if (hs == SQLITE_DONE) {
        cidr_format_addr(&a, t, sizeof t);
        FIND(c, CHECK_RECORD_ORPHAN, o,
             "%s %s: the address is assigned to this name, but no "
             "host has it",
             type == DNS_T_A ? "A" : "AAAA", t);
    } else if (hs != SQLITE_ROW) {
        return check__db_err(c, "host lookup");
    }
    return 0;
}

/* ---- the lookup table ----------------------------------------------------------------------- */

/* Reports an entry of the lookup table that the workers must not answer from. */
static void lookup_stale(struct ctx *c, int64_t zone, const uint8_t *key, size_t klen,
                         const char *why)
{
    uint8_t wire[DNAME_MAXLEN];
    char name[DNAME_TEXT_MAX] = "?";
    if (key != NULL && klen <= DNAME_KEY_MAX && dname_from_key(key, klen, wire) > 0)
        name_text(wire, name);
    FIND(c, CHECK_LOOKUP_STALE, name,
         "%s: the DNS lookup table (zone %lld) %s, and the workers answer from it; to rebuild "
         "the table, empty it (DELETE FROM node) with lanad stopped: lanad rebuilds it at its "
         "next start",
         name, (long long)zone, why);
}

/* An entry's packing is exactly its name's records, packed as lanad packs them. */
static int lookup_entry_ok(struct ctx *c, int64_t zone, const struct node_entry *e, bool *ok)
{
    static uint8_t buf[NODE_PACK_MAX];
    size_t len = 0;
    bool packs = true;
    sqlite3_stmt *r = c->rr_of_name;
    sqlite3_bind_int64(r, 1, zone);
    sqlite3_bind_blob(r, 2, e->klen > 0 ? e->key : (const void *)"", e->klen, SQLITE_STATIC);
    int step;
    while ((step = sqlite3_step(r)) == SQLITE_ROW) {
        int rdlen = sqlite3_column_bytes(r, 2);
        if (packs)
            packs = node__pack_add(buf, &len, sqlite3_column_int64(r, 0),
                                   sqlite3_column_int64(r, 1), sqlite3_column_blob(r, 2),
                                   rdlen > 0 ? (size_t)rdlen : 0);
    }
    sqlite3_reset(r);
    if (step != SQLITE_DONE)
        return check__db_err(c, "lookup table");
    *ok = packs && len > 0 && e->plen == len && memcmp(e->pack, buf, len) == 0;
    return 0;
}

/* A bucket of table node (db/node_int.h): the DNS workers answer from it as it stands, so each
 * of its names must belong there (by its hash, at the zone's level and split), in order, and
 * hold exactly that name's records. A name missing is fine (it is read from rr). */
static int lookup_row(struct ctx *c, sqlite3_stmt *s, void *arg)
{
    (void)arg;
    static struct node_entry e[NODE_ROW_MAX / 8];
    int64_t rowid = sqlite3_column_int64(s, 0), zone = rowid >> 32;
    uint32_t bucket = (uint32_t)rowid;
    const uint8_t *v = sqlite3_column_blob(s, 1);
    int n = node__entries(v, (size_t)sqlite3_column_bytes(s, 1), e, sizeof e / sizeof e[0]);
    if (n < 0 || (size_t)n > sizeof e / sizeof e[0]) {
        lookup_stale(c, zone, NULL, 0, "has a bucket lanad did not write");
        return 0;
    }
    unsigned level = 0;
    uint32_t split = 0;
    sqlite3_stmt *p = c->node_params;
    sqlite3_bind_int64(p, 1, zone);
    int step = sqlite3_step(p);
    if (step == SQLITE_ROW) {
        level = (unsigned)sqlite3_column_int(p, 0);
        split = (uint32_t)sqlite3_column_int64(p, 1);
    }
    sqlite3_reset(p);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return check__db_err(c, "lookup table");
    for (int i = 0; i < n; i++) {
        uint64_t h = node__hash(zone, e[i].key, e[i].klen);
        bool ok = false;
        int rc = lookup_entry_ok(c, zone, &e[i], &ok);
        if (rc != 0)
            return rc;
        if (level > NODE_LEVEL_MAX || node__bucket(level, split, h) != bucket ||
            e[i].tag != node__tag(h) || (i > 0 && node__entry_cmp(&e[i - 1], &e[i]) >= 0))
            lookup_stale(c, zone, e[i].key, e[i].klen, "holds the name where it is not looked for");
        else if (!ok)
            lookup_stale(c, zone, e[i].key, e[i].klen, "does not hold the name's records");
    }
    return 0;
}

static int check_lookup(struct ctx *c)
{
    /* while a change by another program awaits its rows, the workers read rr alone */
    return check__rows(c, "SELECT b, v FROM node WHERE NOT EXISTS (SELECT 1 FROM node_dirty)",
                       lookup_row, NULL);
}

/* An A/AAAA whose address is an assigned block held by its owner name (as host add makes
 * them) belongs to a host of that name: without one it was left behind. */
static int check_addr_records(struct ctx *c)
{
    return check__rows(c, "SELECT key, type, rdata FROM rr WHERE type IN (1, 28)", addr_record_row,
                       NULL);
}

int check__names(struct ctx *c)
{
    int (*const passes[])(struct ctx *) = {
        prepare,     check_zones,  check_records, check_cnames,
        check_hosts, check_shared, check_ptrs,    check_addr_records,
        check_catalog, check_lookup,
    };
    int rc = 0;
    for (size_t i = 0; rc == 0 && !c->stop && i < sizeof passes / sizeof passes[0]; i++)
        rc = passes[i](c);
    return rc;
}
