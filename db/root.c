/*
 * root — see root.h. The zone data is derived from the root_server table and the zones'
 * own apex NS sets by one idempotent pass (sync): each step compares what is there with what
 * should be and writes only a difference, so a pass over a lab in line changes nothing and
 * bumps no serial.
 */
#include "db/root.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/dnsmsg.h"
#include "db/host.h"
#include "db/names_int.h"
#include "db/rrset.h"
#include "db/zone.h"

#define NS_MAX 32     /* NS records of one set looked at; more are left as they are */
#define ADDRS_MAX 16  /* addresses of one name looked at */
#define STALE_MAX 64  /* stale glue names removed below one cut per pass */
#define ROOT_TTL 3600 /* of the NS and address records written here, as zone_create's NS */

static const uint8_t root_wire[1] = {0};

struct nsset {
    unsigned n;
    uint8_t name[NS_MAX][DNAME_MAXLEN];
};

struct addrs {
    unsigned n;
    struct {
        uint16_t type;
        uint8_t len;
        uint8_t a[16];
        uint32_t ttl;
    } v[ADDRS_MAX];
};

/* The zones this call changed, each bumped once at its end. */
struct touched {
    int64_t *id;
    size_t n, cap;
};

static int touch(struct touched *t, int64_t id, struct lana_diag *d)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->id[i] == id)
            return 0;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        int64_t *p = realloc(t->id, cap * sizeof *p);
        if (p == NULL)
            return diag_set(d, LANA_ENOMEM, "out of memory");
        t->id = p;
        t->cap = cap;
    }
    t->id[t->n++] = id;
    return 0;
}

static int bump_all(struct names *n, const struct touched *t, struct lana_diag *d)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < t->n; i++)
        rc = zone_touch(n->st, t->id[i], NULL, ZONE_TOUCH_SERIAL, d);
    return rc;
}

/* ---- the table ------------------------------------------------------------------------- */

static const char sql_rs_all[] =
    "SELECT name, type, rdata FROM root_server ORDER BY name, type, rdata";
static const char sql_rs_del[] = "DELETE FROM root_server WHERE name = ?1";
static const char sql_rs_ins[] =
    "INSERT OR IGNORE INTO root_server (name, type, rdata) VALUES (?1, ?2, ?3)";

int root_servers(struct names *n, struct root_set *out, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(n->st, sql_rs_all, &s, d);
    if (rc != 0)
        return rc;
    out->n = 0;
    struct root_server *cur = NULL;
    while ((rc = store__row(n->st, s, "root servers", d)) == 1) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        if (name == NULL)
            continue;
        if (cur == NULL || strcmp(cur->name, name) != 0) {
            if (out->n == ROOT_SERVERS_MAX)
                break; /* root_add keeps the table within the cap */
            cur = &out->s[out->n];
            memset(cur, 0, sizeof *cur);
            names__copy(cur->name, sizeof cur->name, name);
            if (names__wire(name, cur->wire, NULL) != 0) {
                cur = NULL; /* a damaged row: not a server */
                continue;
            }
            out->n++;
        }
        int len = sqlite3_column_bytes(s, 2);
        uint16_t type = (uint16_t)sqlite3_column_int(s, 1);
        if (cur->naddr < ROOT_ADDRS_MAX && len == (type == DNS_T_A ? 4 : 16)) {
            cur->addr[cur->naddr].type = type;
            memcpy(cur->addr[cur->naddr].a, sqlite3_column_blob(s, 2), (size_t)len);
            cur->naddr++;
        }
    }
    if (rc == 1)
        sqlite3_reset(s);
    return rc < 0 ? rc : 0;
}

static const struct root_server *find_server(const struct root_set *r, const uint8_t *name)
{
    for (unsigned i = 0; i < r->n; i++)
        if (dname_equal(r->s[i].wire, name))
            return &r->s[i];
    return NULL;
}

/* ---- NS sets ------------------------------------------------------------------------------ */

static const char sql_ns_at[] = "SELECT rdata FROM rr WHERE zone_id = ?1 AND key = ?2 AND type = 2";

static int bind_zone_key(struct names *n, const char *sql, int64_t zone, const uint8_t *owner,
                         sqlite3_stmt **s, struct lana_diag *d)
{
    uint8_t key[DNAME_KEY_MAX];
    size_t kl = dname_key(owner, key);
    int rc = store__stmt(n->st, sql, s, d);
    if (rc == 0) {
        sqlite3_bind_int64(*s, 1, zone);
        sqlite3_bind_blob(*s, 2, key, (int)kl, SQLITE_TRANSIENT);
    }
    return rc;
}

static int ns_at(struct names *n, int64_t zone, const uint8_t *owner, struct nsset *out,
                 struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = bind_zone_key(n, sql_ns_at, zone, owner, &s, d);
    out->n = 0;
    while (rc == 0 && (rc = store__row(n->st, s, "NS", d)) == 1) {
        rc = 0;
        const uint8_t *rd = sqlite3_column_blob(s, 0);
        int len = sqlite3_column_bytes(s, 0);
        if (out->n == NS_MAX || rd == NULL || len <= 0 || (size_t)len > DNAME_MAXLEN ||
            dname_len(rd) != (size_t)len)
            continue;
        memcpy(out->name[out->n++], rd, (size_t)len);
    }
    return rc < 0 ? rc : 0;
}

static bool in_set(const struct nsset *s, const uint8_t *name)
{
    for (unsigned i = 0; i < s->n; i++)
        if (dname_equal(s->name[i], name))
            return true;
    return false;
}

/* Makes the NS RRset at owner in zone exactly want: 1 changed, 0 it was so, <0 an error. */
static int set_ns(struct names *n, int64_t zone, const uint8_t *owner, const struct nsset *want,
                  struct lana_diag *d)
{
    struct nsset have;
    int rc = ns_at(n, zone, owner, &have, d);
    if (rc != 0)
        return rc;
    bool same = have.n == want->n;
    for (unsigned i = 0; same && i < want->n; i++)
        same = in_set(&have, want->name[i]);
    if (same)
        return 0;
    if ((rc = rrset_drop(n, zone, owner, DNS_T_NS, NULL, 0, d)) < 0)
        return rc;
    for (unsigned i = 0; i < want->n; i++)
        if ((rc = rrset_put(n, zone, owner, DNS_T_NS, want->name[i], dname_len(want->name[i]),
                            ROOT_TTL, d)) < 0)
            return rc;
    return 1;
}

/* ---- addresses ---------------------------------------------------------------------------- */

static const char sql_addr_at[] =
    "SELECT type, rdata, ttl FROM rr WHERE zone_id = ?1 AND key = ?2 AND type IN (1, 28)";
/* wherever the registry holds them; ?1 is unused, so that both bind alike */
static const char sql_addr_any[] =
    "SELECT type, rdata, ttl FROM rr WHERE ?1 IS NOT NULL AND key = ?2 AND type IN (1, 28)";

static bool addrs_has(const struct addrs *a, uint16_t type, const uint8_t *v, size_t len)
{
    for (unsigned i = 0; i < a->n; i++)
        if (a->v[i].type == type && a->v[i].len == len && memcmp(a->v[i].a, v, len) == 0)
            return true;
    return false;
}

static void addrs_push(struct addrs *a, uint16_t type, const uint8_t *v, size_t len, uint32_t ttl)
{
    if (a->n == ADDRS_MAX || len != (type == DNS_T_A ? 4u : 16u) || addrs_has(a, type, v, len))
        return;
    a->v[a->n].type = type;
    a->v[a->n].len = (uint8_t)len;
    memcpy(a->v[a->n].a, v, len);
    a->v[a->n].ttl = ttl;
    a->n++;
}

static int addrs_read(struct names *n, const char *sql, int64_t zone, const uint8_t *owner,
                      struct addrs *out, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = bind_zone_key(n, sql, zone, owner, &s, d);
    out->n = 0;
    while (rc == 0 && (rc = store__row(n->st, s, "addresses", d)) == 1) {
        int len = sqlite3_column_bytes(s, 1);
        if (len == 4 || len == 16)
            addrs_push(out, (uint16_t)sqlite3_column_int(s, 0), sqlite3_column_blob(s, 1),
                       (size_t)len, (uint32_t)sqlite3_column_int64(s, 2));
        rc = 0;
    }
    return rc < 0 ? rc : 0;
}

/* A name server's addresses: a root server's from the table, any other's wherever the
 * registry holds them. */
static int addrs_of(struct names *n, const struct root_set *r, const uint8_t *ns, struct addrs *out,
                    struct lana_diag *d)
{
    const struct root_server *s = find_server(r, ns);
    if (s == NULL)
        return addrs_read(n, sql_addr_any, 0, ns, out, d);
    out->n = 0;
    for (unsigned i = 0; i < s->naddr; i++)
        addrs_push(out, s->addr[i].type, s->addr[i].a, s->addr[i].type == DNS_T_A ? 4 : 16,
                   ROOT_TTL);
    return 0;
}

/* Makes the addresses at owner in zone exactly want (TTLs aside): 1 changed, 0, <0. */
static int set_addrs(struct names *n, int64_t zone, const uint8_t *owner, const struct addrs *want,
                     struct lana_diag *d)
{
    struct addrs have;
    int rc = addrs_read(n, sql_addr_at, zone, owner, &have, d);
    if (rc != 0)
        return rc;
    bool same = have.n == want->n;
    for (unsigned i = 0; same && i < want->n; i++)
        same = addrs_has(&have, want->v[i].type, want->v[i].a, want->v[i].len);
    if (same)
        return 0;
    if ((rc = rrset_drop(n, zone, owner, DNS_T_A, NULL, 0, d)) < 0 ||
        (rc = rrset_drop(n, zone, owner, DNS_T_AAAA, NULL, 0, d)) < 0)
        return rc;
    for (unsigned i = 0; i < want->n; i++)
        if ((rc = rrset_put(n, zone, owner, want->v[i].type, want->v[i].a, want->v[i].len,
                            want->v[i].ttl, d)) < 0)
            return rc;
    return 1;
}

/* ---- delegations ---------------------------------------------------------------------- */

static const char sql_below[] =
    "SELECT DISTINCT key FROM rr WHERE zone_id = ?1 AND type IN (1, 28) AND key <> ?2"
    " AND substr(key, 1, length(?2)) = ?2 LIMIT 64";

/* Glue in parent below the cut at apex whose name no longer serves it goes. */
static int drop_stale_glue(struct names *n, int64_t parent, const uint8_t *apex,
                           const struct nsset *ns, bool *changed, struct lana_diag *d)
{
    uint8_t stale[STALE_MAX][DNAME_MAXLEN];
    unsigned k = 0;
    sqlite3_stmt *s;
    int rc = bind_zone_key(n, sql_below, parent, apex, &s, d);
    while (rc == 0 && (rc = store__row(n->st, s, "glue", d)) == 1) {
        uint8_t name[DNAME_MAXLEN];
        rc = 0;
        if (dname_from_key(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), name) >
                0 &&
            !in_set(ns, name) && k < STALE_MAX)
            memcpy(stale[k++], name, dname_len(name));
    }
    if (rc < 0)
        return rc;
    for (unsigned i = 0; i < k; i++) {
        int a = rrset_drop(n, parent, stale[i], DNS_T_A, NULL, 0, d);
        int b = a < 0 ? 0 : rrset_drop(n, parent, stale[i], DNS_T_AAAA, NULL, 0, d);
        if (a < 0 || b < 0)
            return a < 0 ? a : b;
        *changed |= a + b > 0;
    }
    return 0;
}

/*
 * The delegation of zone (at apex) in the zone above it, if lanad serves one: the zone's own
 * apex NS set, with glue for the names below the cut (RFC 9471) and no glue for others.
 */
static int sync_cut(struct names *n, const struct root_set *r, int64_t zone, const uint8_t *apex,
                    struct touched *t, struct lana_diag *d)
{
    if (apex[0] == 0)
        return 0;
    int64_t parent;
    uint8_t papex[DNAME_MAXLEN];
    int rc = zone_find(n, apex + apex[0] + 1, &parent, papex, d);
    if (rc <= 0)
        return rc;
    struct nsset want;
    if ((rc = ns_at(n, zone, apex, &want, d)) != 0 || want.n == 0)
        return rc;
    int c = set_ns(n, parent, apex, &want, d);
    if (c < 0)
        return c;
    bool changed = c > 0;
    for (unsigned i = 0; i < want.n; i++) {
        if (!dname_is_sub(want.name[i], apex) || dname_equal(want.name[i], apex))
            continue;
        struct addrs a;
        if ((rc = addrs_of(n, r, want.name[i], &a, d)) != 0)
            return rc;
        if (a.n == 0)
            continue; /* nothing to give: a lame delegation until it has addresses */
        if ((c = set_addrs(n, parent, want.name[i], &a, d)) < 0)
            return c;
        changed |= c > 0;
    }
    if ((rc = drop_stale_glue(n, parent, apex, &want, &changed, d)) != 0)
        return rc;
    return changed ? touch(t, parent, d) : 0;
}

/* ---- the pass ----------------------------------------------------------------------------- */

static const char sql_zones[] = "SELECT id, apex FROM zone ORDER BY length(apex), apex";

struct zref {
    int64_t id;
    uint8_t apex[DNAME_MAXLEN];
};

static int zones_all(struct names *n, struct zref **out, size_t *count, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__prepare(n->st, sql_zones, &s, d);
    size_t cap = 0;
    *out = NULL;
    *count = 0;
    while (rc == 0 && (rc = store__row(n->st, s, "zones", d)) == 1) {
        rc = 0;
        if (*count == cap) {
            cap = cap ? cap * 2 : 64;
            struct zref *p = realloc(*out, cap * sizeof *p);
            if (p == NULL) {
                rc = diag_set(d, LANA_ENOMEM, "out of memory");
                break;
            }
            *out = p;
        }
        struct zref *z = &(*out)[*count];
        z->id = sqlite3_column_int64(s, 0);
        if (dname_from_key(sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1), z->apex) >
            0)
            (*count)++;
    }
    sqlite3_finalize(s);
    return rc < 0 ? rc : 0;
}

/* A root server's addresses in `.` and in the deepest other zone holding its name. */
static int place(struct names *n, const struct root_server *s, struct touched *t,
                 struct lana_diag *d)
{
    struct addrs a = {0};
    for (unsigned i = 0; i < s->naddr; i++)
        addrs_push(&a, s->addr[i].type, s->addr[i].a, s->addr[i].type == DNS_T_A ? 4 : 16,
                   ROOT_TTL);
    int64_t root, deepest;
    uint8_t apex[DNAME_MAXLEN];
    int rc = zone_find(n, root_wire, &root, apex, d);
    if (rc < 0)
        return rc;
    if (rc == 1 && (rc = set_addrs(n, root, s->wire, &a, d)) != 0)
        rc = rc < 0 ? rc : touch(t, root, d);
    if (rc < 0)
        return rc;
    if ((rc = zone_find(n, s->wire, &deepest, apex, d)) <= 0 || apex[0] == 0)
        return rc < 0 ? rc : 0;
    if ((rc = set_addrs(n, deepest, s->wire, &a, d)) <= 0)
        return rc;
    return touch(t, deepest, d);
}

/* Brings every zone in line with the root servers (root.h); the caller bumps t's zones. */
/* A catalog zone (RFC 9432 §4.1: its NS is the single name `invalid.`) is no zone to resolve:
 * the pass leaves its NS and its delegation as they are. 1, 0, or <0. */
static int is_catalog(struct names *n, const struct zref *z, struct lana_diag *d)
{
    static const uint8_t invalid[] = "\7invalid";
    struct nsset ns;
    int rc = ns_at(n, z->id, z->apex, &ns, d);
    return rc < 0 ? rc : ns.n == 1 && dname_equal(ns.name[0], invalid);
}

static int sync(struct names *n, const struct root_set *r, struct touched *t, struct lana_diag *d)
{
    struct zref *z;
    size_t nz, kept = 0;
    int rc = zones_all(n, &z, &nz, d);
    for (size_t i = 0; rc == 0 && i < nz; i++) {
        int c = is_catalog(n, &z[i], d);
        if (c < 0)
            rc = c;
        else if (c == 0)
            z[kept++] = z[i];
    }
    nz = kept;
    if (rc != 0) {
        free(z);
        return rc;
    }
    struct nsset want = {0};
    for (unsigned i = 0; i < r->n && want.n < NS_MAX; i++)
        memcpy(want.name[want.n++], r->s[i].wire, dname_len(r->s[i].wire));
    for (size_t i = 0; rc == 0 && want.n > 0 && i < nz; i++) {
        int c = set_ns(n, z[i].id, z[i].apex, &want, d);
        rc = c < 0 ? c : c > 0 ? touch(t, z[i].id, d) : 0;
    }
    for (unsigned i = 0; rc == 0 && i < r->n; i++)
        rc = place(n, &r->s[i], t, d);
    for (size_t i = 0; rc == 0 && i < nz; i++)
        rc = sync_cut(n, r, z[i].id, z[i].apex, t, d);
    free(z);
    return rc;
}

int root_zone_changed(struct names *n, const uint8_t *apex, struct lana_diag *d)
{
    struct root_set *r = malloc(sizeof *r);
    if (r == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    struct touched t = {0};
    int rc = root_servers(n, r, d);
    if (rc == 0 && (r->n > 0 || apex[0] == 0) && (rc = sync(n, r, &t, d)) == 0)
        rc = bump_all(n, &t, d);
    free(t.id);
    free(r);
    return rc;
}

/* ---- commands ------------------------------------------------------------------------- */

static const char sql_is_host[] = "SELECT 1 FROM host WHERE name = ?1";

static int audit_server(struct names *n, const char *actor, const char *action,
                        const struct root_server *s, struct lana_diag *d)
{
    jsonw_reset(&n->j);
    jsonw_obj(&n->j);
    jsonw_key(&n->j, "addresses");
    jsonw_arr(&n->j);
    for (unsigned i = 0; s != NULL && i < s->naddr; i++) {
        char text[INET6_ADDRSTRLEN];
        int af = s->addr[i].type == DNS_T_A ? AF_INET : AF_INET6;
        jsonw_str(&n->j, inet_ntop(af, s->addr[i].a, text, sizeof text) ? text : "?");
    }
    jsonw_end(&n->j);
    jsonw_end(&n->j);
    if (!jsonw_ok(&n->j))
        return diag_set(d, LANA_ENOMEM, "out of memory");
    return names__audit(n, actor, action, s ? s->name : "", NULL, n->j.s, d);
}

/* Runs the pass and the bumps with r, the table as it now is; *zones gets the count. */
static int finish(struct names *n, struct touched *t, int *zones, struct lana_diag *d)
{
    struct root_set *r = malloc(sizeof *r);
    if (r == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    int rc = root_servers(n, r, d);
    if (rc == 0)
        rc = sync(n, r, t, d);
    if (rc == 0)
        rc = bump_all(n, t, d);
    if (rc == 0 && zones != NULL)
        *zones = (int)t->n;
    free(r);
    return rc;
}

int root_add(struct names *n, const char *name, const char *const *addrs, unsigned naddr,
             const char *actor, int *zones, struct lana_diag *d)
{
    struct root_server s;
    memset(&s, 0, sizeof s);
    int64_t root;
    uint8_t apex[DNAME_MAXLEN];
    int rc;
    if ((rc = host_check_name(name, d)) != 0 ||
        (rc = names__canonical(name, s.wire, s.name, d)) != 0)
        return rc;
    if (naddr == 0 || naddr > ROOT_ADDRS_MAX)
        return diag_set(d, LANA_ERANGE, "a root server has 1 to %d addresses", ROOT_ADDRS_MAX);
    for (unsigned i = 0; i < naddr; i++) {
        uint8_t a[16];
        uint16_t type = DNS_T_A;
        if (inet_pton(AF_INET, addrs[i], a) != 1) {
            if (inet_pton(AF_INET6, addrs[i], a) != 1)
                return diag_set(d, LANA_EPARSE, "%.64s: not an IPv4 or IPv6 address", addrs[i]);
            type = DNS_T_AAAA;
        }
        bool dup = false;
        for (unsigned k = 0; k < s.naddr; k++)
            dup |= s.addr[k].type == type && memcmp(s.addr[k].a, a, 16) == 0;
        if (dup)
            continue;
        s.addr[s.naddr].type = type;
        memcpy(s.addr[s.naddr].a, a, 16);
        s.naddr++;
    }
    if ((rc = zone_find(n, root_wire, &root, apex, d)) <= 0)
        return rc < 0 ? rc
                      : diag_set(d, LANA_ENOTFOUND,
                                 "lanad serves no root zone: add it first (lana zone add .)");
    sqlite3_stmt *st;
    if ((rc = store__stmt(n->st, sql_is_host, &st, d)) != 0)
        return rc;
    sqlite3_bind_text(st, 1, s.name, -1, SQLITE_TRANSIENT);
    if ((rc = store__row(n->st, st, "host", d)) != 0) {
        if (rc == 1)
            sqlite3_reset(st);
        return rc < 0 ? rc
                      : diag_set(d, LANA_ECONFLICT,
                                 "%s is a registered host: its addresses are the host's (name "
                                 "the root server otherwise)",
                                 s.name);
    }
    struct root_set *r = malloc(sizeof *r);
    if (r == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    rc = root_servers(n, r, d);
    if (rc == 0 && find_server(r, s.wire) == NULL && r->n == ROOT_SERVERS_MAX)
        rc = diag_set(d, LANA_ERANGE, "at most %d root servers", ROOT_SERVERS_MAX);
    free(r);
    if (rc != 0 || (rc = store_sp_begin(n->st, d)) != 0)
        return rc;
    struct touched t = {0};
    if ((rc = store__stmt(n->st, sql_rs_del, &st, d)) == 0) {
        sqlite3_bind_text(st, 1, s.name, -1, SQLITE_TRANSIENT);
        rc = store__done(n->st, st, "root server", d);
    }
    for (unsigned i = 0; rc == 0 && i < s.naddr; i++) {
        if ((rc = store__stmt(n->st, sql_rs_ins, &st, d)) != 0)
            break;
        sqlite3_bind_text(st, 1, s.name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 2, s.addr[i].type);
        sqlite3_bind_blob(st, 3, s.addr[i].a, s.addr[i].type == DNS_T_A ? 4 : 16, SQLITE_TRANSIENT);
        rc = store__done(n->st, st, "root server", d);
    }
    if (rc == 0)
        rc = finish(n, &t, zones, d);
    if (rc == 0)
        rc = audit_server(n, actor, "root.add", &s, d);
    free(t.id);
    return store_sp_end(n->st, rc, d);
}

int root_del(struct names *n, const char *name, const char *actor, int *zones, struct lana_diag *d)
{
    uint8_t wire[DNAME_MAXLEN];
    char text[DNAME_TEXT_MAX];
    int rc = names__canonical(name, wire, text, d);
    if (rc != 0)
        return rc;
    struct root_set *r = malloc(sizeof *r);
    if (r == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    struct root_server gone;
    struct touched t = {0};
    if ((rc = root_servers(n, r, d)) != 0)
        goto out;
    const struct root_server *s = find_server(r, wire);
    if (s == NULL) {
        rc = diag_set(d, LANA_ENOTFOUND, "%s is not a root server", text);
        goto out;
    }
    if (r->n == 1) {
        rc = diag_set(d, LANA_ECONFLICT,
                      "%s is the last root server: the zones would be left without name servers",
                      text);
        goto out;
    }
    gone = *s;
    if ((rc = store_sp_begin(n->st, d)) != 0)
        goto out;
    sqlite3_stmt *st;
    if ((rc = store__stmt(n->st, sql_rs_del, &st, d)) == 0) {
        sqlite3_bind_text(st, 1, gone.name, -1, SQLITE_TRANSIENT);
        rc = store__done(n->st, st, "root server", d);
    }
    /* its addresses go from `.` and from the zone that held them as its data (place()) */
    struct addrs none = {0};
    int64_t zid;
    uint8_t apex[DNAME_MAXLEN];
    for (int pass = 0; rc == 0 && pass < 2; pass++) {
        int f = zone_find(n, pass == 0 ? root_wire : gone.wire, &zid, apex, d);
        if (f < 0)
            rc = f;
        else if (f == 1 && (pass == 0 || apex[0] != 0) &&
                 (rc = set_addrs(n, zid, gone.wire, &none, d)) > 0)
            rc = touch(&t, zid, d);
    }
    if (rc == 0)
        rc = finish(n, &t, zones, d);
    if (rc == 0)
        rc = audit_server(n, actor, "root.del", &gone, d);
    rc = store_sp_end(n->st, rc, d);
out:
    free(t.id);
    free(r);
    return rc;
}
