/*
 * host — see host.h.
 *
 * A host's addresses are kept twice on purpose: as text in its row (what it was given) and
 * as assigned blocks held by it in the registry (what keeps others from taking them). Its
 * records are A/AAAA at its name, PTR at the reverse name of each address (in the reverse
 * zone that holds it, if any: host_ptr_follow keeps it there as reverse zones come and go)
 * and SRV below its name (_service._proto.host, see service.h).
 */
#include "db/host.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/dnsmsg.h"
#include "db/authz.h"
#include "db/ipam_int.h"
#include "db/names_int.h"
#include "db/zone.h"

int host_check_name(const char *name, struct lana_diag *d)
{
    size_t len = strlen(name);
    if (len > 0 && name[len - 1] == '.')
        len--;
    if (len == 0)
        return diag_set(d, LANA_EPARSE, "empty host name");
    if (len > 253)
        return diag_set(d, LANA_EPARSE, "%.40s...: a host name has at most 253 characters", name);
    size_t label = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? name[i] : '.';
        if (c == '.') {
            if (label == 0)
                return diag_set(d, LANA_EPARSE, "%s: empty label", name);
            if (name[i - 1] == '-' || name[i - label] == '-')
                return diag_set(d, LANA_EPARSE, "%s: a label may not start or end with a hyphen",
                                name);
            label = 0;
            continue;
        }
        if (!isalnum((unsigned char)c) && c != '-')
            return diag_set(d, LANA_EPARSE,
                            "%s: '%c' is not allowed (letters, digits and hyphens only)", name, c);
        if (++label > 63)
            return diag_set(d, LANA_EPARSE, "%s: a label has at most 63 characters", name);
    }
    return 0;
}

/* ---- lookups ------------------------------------------------------------------------------ */

#define HOST_COLS                                                                              \
    "SELECT h.name, z.name, h.v4, h.v6, h.created, h.zone_id FROM host h JOIN zone z"          \
    " ON z.id = h.zone_id "
static const char sql_host_get[] = HOST_COLS "WHERE h.name = ?1";
static const char sql_hosts_all[] = HOST_COLS "WHERE ?1 IS NULL OR z.name = ?1 ORDER BY h.name";
static const char sql_host_ins[] =
    "INSERT INTO host (zone_id, name, v4, v6, created) VALUES (?1, ?2, ?3, ?4, ?5)";
static const char sql_host_delete[] = "DELETE FROM host WHERE name = ?1";

static void read_host(sqlite3_stmt *s, struct host_info *h, int64_t *zone)
{
    memset(h, 0, sizeof *h);
    names__copy(h->name, sizeof h->name, (const char *)sqlite3_column_text(s, 0));
    names__copy(h->zone, sizeof h->zone, (const char *)sqlite3_column_text(s, 1));
    if (sqlite3_column_type(s, 2) == SQLITE_TEXT)
        names__copy(h->v4, sizeof h->v4, (const char *)sqlite3_column_text(s, 2));
    if (sqlite3_column_type(s, 3) == SQLITE_TEXT)
        names__copy(h->v6, sizeof h->v6, (const char *)sqlite3_column_text(s, 3));
    h->created = sqlite3_column_int64(s, 4);
    if (zone)
        *zone = sqlite3_column_int64(s, 5);
}

/* The host with this canonical name: 1 with *h, 0 for none, LANA_EDB. */
static int host_find(struct names *n, const char *text, struct host_info *h, int64_t *zone,
                     struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(n->st, sql_host_get, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s, 1, text, -1, SQLITE_TRANSIENT);
    if ((rc = store__row(n->st, s, "host", d)) == 1) {
        read_host(s, h, zone);
        sqlite3_reset(s);
    }
    return rc;
}

/* The registered host called name (its wire form in w, when w is set); LANA_ENOTFOUND if none. */
static int host_lookup(struct names *n, const char *name, struct host_info *h, int64_t *zone,
                       uint8_t *w, struct lana_diag *d)
{
    uint8_t wire[DNAME_MAXLEN];
    char text[DNAME_TEXT_MAX];
    int rc = names__canonical(name, w ? w : wire, text, d);
    if (rc != 0)
        return rc;
    rc = host_find(n, text, h, zone, d);
    return rc < 0 ? rc : rc == 0 ? diag_set(d, LANA_ENOTFOUND, "no host %s", text) : 0;
}

int host_get(struct names *n, const char *name, struct host_info *out, struct lana_diag *d)
{
    return host_lookup(n, name, out, NULL, NULL, d);
}

int host_each(struct names *n, const char *zone, host_each_cb *cb, void *arg,
              struct lana_diag *d)
{
    char zt[DNAME_TEXT_MAX];
    int rc;
    if (zone != NULL) {
        struct zone_info z;
        if ((rc = zone_get(n, zone, &z, d)) != 0)
            return rc;
        names__copy(zt, sizeof zt, z.name);
    }
    sqlite3_stmt *s;
    if ((rc = store__prepare(n->st, sql_hosts_all, &s, d)) != 0)
        return rc;
    if (zone != NULL)
        sqlite3_bind_text(s, 1, zt, -1, SQLITE_TRANSIENT);
    while ((rc = store__row(n->st, s, "hosts", d)) == 1) {
        struct host_info h;
        read_host(s, &h, NULL);
        if ((rc = cb(&h, arg)) != 0)
            break;
    }
    sqlite3_finalize(s);
    return rc < 0 ? rc : 0;
}

/* ---- addresses ---------------------------------------------------------------------------- */

struct pool_walk {
    int family;
    struct cidr first; /* the first pool of the family */
    bool found;
    char *list; /* "pools: a, b" when set */
    size_t size, len;
};

static int pool_walk_cb(const struct ipam_block *b, void *arg)
{
    struct pool_walk *w = arg;
    if (b->prefix.family != w->family)
        return 0;
    if (!w->found) {
        w->first = b->prefix;
        w->found = true;
    }
    if (w->list != NULL) {
        char t[CIDR_STRLEN];
        if (cidr_format(&b->prefix, t, sizeof t) < 0)
            return 0;
        int k = snprintf(w->list + w->len, w->size - w->len, "%s%s", w->len ? ", " : "pools: ",
                         t);
        if (k > 0 && (size_t)k < w->size - w->len)
            w->len += (size_t)k;
    }
    return 0;
}

/* The pools of a family, as "pools: a, b" (or "no IPv4 pool") for a message. */
static void pool_names(struct names *n, int family, char *out, size_t size)
{
    struct pool_walk w = {.family = family, .list = out, .size = size};
    out[0] = '\0';
    if (ipam_children(n->ip, NULL, pool_walk_cb, &w, NULL) != 0 || w.len == 0) {
        int k = snprintf(out, size, "no IPv%d pool", family);
        if (k < 0 || (size_t)k >= size)
            out[0] = '\0';
    }
}

/* The acting account's first block of a family to take host addresses from: one of its
 * delegation points (db/schema.sql) that is neither reserved nor a single address. */
static const char sql_own_block[] =
    "SELECT family, start, plen FROM block WHERE maintainer = ?1 AND delegated AND family = ?2"
    " AND status IN ('allocated', 'assigned') AND plen < (CASE family WHEN 4 THEN 32 ELSE 128 END)"
    " ORDER BY plen DESC, start LIMIT 1";

/* 1 with *parent set to the acting account's own block of the family (sql_own_block), 0
 * when it has none (or there is no acting account), LANA_EDB. */
static int own_block(struct names *n, int family, struct cidr *parent, struct lana_diag *d)
{
    const struct authz_who *w = authz_actor(n->st);
    if (w == NULL || w->role == AUTHZ_ADMIN)
        return 0;
    sqlite3_stmt *s;
    int rc = store__stmt(n->st, sql_own_block, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s, 1, w->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, family);
    if ((rc = store__row(n->st, s, "own block", d)) != 1)
        return rc;
    ipam__make_cidr(sqlite3_column_int(s, 0),
                    ipam__key_value(sqlite3_column_blob(s, 1), sqlite3_column_bytes(s, 1)),
                    (unsigned)sqlite3_column_int(s, 2), parent);
    sqlite3_reset(s);
    return 1;
}

/*
 * Where an automatic address of a family comes from: --block; else the default block of the
 * family of the host's zone, or of the nearest enclosing zone that has one (a zone below a
 * student's takes the student's blocks); else, for an account other than admin, a block of
 * its own; else the first pool. hw: the host's name (wire).
 */
static int auto_parent(struct names *n, const uint8_t *hw, int family, const struct cidr *block,
                       struct cidr *parent, struct lana_diag *d)
{
    if (block != NULL && block->family == family) {
        *parent = *block;
        return 0;
    }
    int64_t zone;
    uint8_t apex[DNAME_MAXLEN];
    int rc;
    for (const uint8_t *name = hw; (rc = zone_find(n, name, &zone, apex, d)) == 1;) {
        struct cidr zb[ZONE_BLOCKS_MAX];
        unsigned nz = 0;
        if ((rc = zone_blocks(n, zone, zb, ZONE_BLOCKS_MAX, &nz, d)) != 0)
            return rc;
        for (unsigned i = 0; i < nz; i++)
            if (zb[i].family == family) {
                *parent = zb[i];
                return 0;
            }
        if (apex[0] == 0)
            break;
        name = hw + (dname_len(hw) - dname_len(apex)) + apex[0] + 1; /* above the apex */
    }
    if (rc < 0 || (rc = own_block(n, family, parent, d)) != 0)
        return rc < 0 ? rc : 0;
    struct pool_walk w = {.family = family};
    if ((rc = ipam_children(n->ip, NULL, pool_walk_cb, &w, d)) != 0)
        return rc;
    if (!w.found)
        return diag_set(d, LANA_ENOTFOUND, "no IPv%d pool to take an address from", family);
    *parent = w.first;
    return 0;
}

/* Gets one address of a family for host name: the next free one of a block, or the given one. */
static int host_address(struct names *n, const char *name, int family,
                        const struct host_addr_spec *spec, const struct cidr *block,
                        const char *actor, struct cidr *out, struct lana_diag *d)
{
    struct ipam_block b;
    char descr[DNAME_TEXT_MAX + 8];
    int k = snprintf(descr, sizeof descr, "host %s", name);
    if (k < 0 || (size_t)k >= sizeof descr)
        return diag_set(d, LANA_ERANGE, "host name too long");
    /* a host's own address: the one thing an assigned block may hold */
    struct ipam_new nb = {.status = IPAM_ASSIGNED, .holder = name, .descr = descr, .host = true,
                          .force = spec->force};
    int rc;
    if (spec->how == HOST_ADDR_GIVEN) {
        char a[CIDR_STRLEN];
        if (cidr_format_addr(&spec->addr, a, sizeof a) < 0)
            return diag_set(d, LANA_EPARSE, "bad address");
        rc = ipam_take_new(n->ip, &spec->addr, &nb, actor, &b, d);
        if (rc == LANA_ENOTFOUND) {
            char pools[512];
            pool_names(n, family, pools, sizeof pools);
            return diag_set(d, LANA_ENOTFOUND, "%s is outside every pool (%s)", a, pools);
        }
        if (rc == LANA_ECONFLICT) {
            char msg[LANA_DIAG_LEN];
            names__copy(msg, sizeof msg, d ? d->msg : "");
            return diag_set(d, LANA_ECONFLICT, "%s is taken: %s", a, msg);
        }
        if (rc == 0)
            *out = b.prefix;
        return rc;
    }
    struct cidr parent;
    uint8_t hw[DNAME_MAXLEN];
    if ((rc = names__wire(name, hw, d)) != 0 || (rc = auto_parent(n, hw, family, block, &parent, d)) != 0)
        return rc;
    rc = ipam_alloc_new(n->ip, &parent, cidr_bits(&parent), &nb, actor, &b, d);
    if (rc == 0)
        *out = b.prefix;
    return rc;
}

/* The PTR owner of an address, and its zone: 1, or 0 when no reverse zone holds it. */
static int ptr_of(struct names *n, const struct cidr *addr, uint8_t owner[DNAME_MAXLEN],
                  int64_t *zone, struct lana_diag *d)
{
    char rev[CIDR_REVLEN];
    struct cidr a = *addr;
    a.plen = (uint8_t)cidr_bits(&a);
    if (cidr_reverse_name(&a, rev, sizeof rev) < 0 || names__wire(rev, owner, d) != 0)
        return diag_set(d, LANA_EPARSE, "reverse name");
    uint8_t apex[DNAME_MAXLEN];
    return zone_find(n, owner, zone, apex, d);
}

/* Publishes (add) or withdraws the A/AAAA record of an address and its PTR record. */
static int publish(struct names *n, int64_t zone, const uint8_t *hw, const struct cidr *a,
                   bool add, struct lana_diag *d)
{
    uint16_t type = a->family == 4 ? DNS_T_A : DNS_T_AAAA;
    size_t alen = a->family == 4 ? 4 : 16;
    int rc = add ? rrset_put(n, zone, hw, type, a->addr, alen, NAMES_TTL, d)
                 : rrset_drop(n, zone, hw, type, a->addr, alen, d);
    if (rc < 0)
        return rc;
    uint8_t pw[DNAME_MAXLEN];
    int64_t rz;
    if ((rc = ptr_of(n, a, pw, &rz, d)) < 0)
        return rc;
    if (rc == 1) {
        rc = add ? rrset_put(n, rz, pw, DNS_T_PTR, hw, dname_len(hw), NAMES_TTL, d)
                 : rrset_drop(n, rz, pw, DNS_T_PTR, hw, dname_len(hw), d);
        if (rc < 0)
            return rc;
        if (rz != zone && (rc = zone_touch(n->st, rz, NULL, ZONE_TOUCH_SERIAL, d)) != 0)
            return rc;
    }
    return 0;
}

/* ---- PTR records of reverse zones created or deleted later ---------------------------------- */

/* The zones whose records changed, for one serial bump each (a full list is bumped early). */
struct touched {
    int64_t id[8];
    unsigned n;
};

static int touched_add(struct names *n, struct touched *t, int64_t zone, struct lana_diag *d)
{
    for (unsigned i = 0; i < t->n; i++)
        if (t->id[i] == zone)
            return 0;
    if (t->n < sizeof t->id / sizeof t->id[0]) {
        t->id[t->n++] = zone;
        return 0;
    }
    return zone_touch(n->st, zone, NULL, ZONE_TOUCH_SERIAL, d);
}

/* One host address (text) of host hw: its PTR into the zone holding its owner now, out of the
 * zone above apex (above, 0 for none), when the owner lies at or below apex. */
static int ptr_follow(struct names *n, const uint8_t *apex, int64_t above, const uint8_t *hw,
                      const char *v, struct touched *t, struct lana_diag *d)
{
    struct cidr a;
    uint8_t pw[DNAME_MAXLEN];
    int64_t now = 0;
    if (v == NULL || cidr_parse_addr(v, &a, NULL) != 0)
        return 0;
    int rc = ptr_of(n, &a, pw, &now, d);
    if (rc < 0 || !dname_is_sub(pw, apex))
        return rc < 0 ? rc : 0;
    if (rc == 0)
        now = 0;
    if (above != 0 && above != now) {
        if ((rc = rrset_drop(n, above, pw, DNS_T_PTR, hw, dname_len(hw), d)) < 0)
            return rc;
        if (rc > 0 && (rc = touched_add(n, t, above, d)) != 0)
            return rc;
    }
    if (now == 0)
        return 0;
    if ((rc = rrset_put(n, now, pw, DNS_T_PTR, hw, dname_len(hw), NAMES_TTL, d)) < 0)
        return rc;
    return rc > 0 ? touched_add(n, t, now, d) : 0;
}

static const char sql_host_addrs_all[] = "SELECT name, v4, v6 FROM host";

/* Whether a zone at apex can hold PTR names: at or below in-addr.arpa. or ip6.arpa., or above. */
static bool reverse_related(const uint8_t *apex)
{
    static const uint8_t v4[] = "\7in-addr\4arpa", v6[] = "\3ip6\4arpa";
    return dname_is_sub(apex, v4) || dname_is_sub(apex, v6) || dname_is_sub(v4, apex);
}

int host_ptr_follow(struct names *n, const uint8_t *apex, struct lana_diag *d)
{
    if (!reverse_related(apex))
        return 0;
    int64_t above = 0;
    uint8_t top[DNAME_MAXLEN];
    int rc = apex[0] == 0 ? 0 : zone_find(n, dname_parent(apex), &above, top, d);
    if (rc < 0)
        return rc;
    if (rc == 0)
        above = 0;
    sqlite3_stmt *s; /* its own statement: the loop runs the cached ones */
    if ((rc = store__prepare(n->st, sql_host_addrs_all, &s, d)) != 0)
        return rc;
    struct touched t = {.n = 0};
    while ((rc = store__row(n->st, s, "hosts", d)) == 1) {
        uint8_t hw[DNAME_MAXLEN];
        const char *name = (const char *)sqlite3_column_text(s, 0);
        const char *v4 = (const char *)sqlite3_column_text(s, 1);
        const char *v6 = (const char *)sqlite3_column_text(s, 2);
        if (name == NULL || names__wire(name, hw, NULL) != 0)
            continue; /* a damaged row: lanad check reports it */
        if ((rc = ptr_follow(n, apex, above, hw, v4, &t, d)) != 0 ||
            (rc = ptr_follow(n, apex, above, hw, v6, &t, d)) != 0)
            break;
    }
    sqlite3_finalize(s);
    for (unsigned i = 0; rc == 0 && i < t.n; i++)
        rc = zone_touch(n->st, t.id[i], NULL, ZONE_TOUCH_SERIAL, d);
    return rc;
}

static int host_json(struct names *n, const struct host_info *h, struct lana_diag *d)
{
    jsonw_reset(&n->j);
    jsonw_obj(&n->j);
    jsonw_kstr(&n->j, "name", h->name);
    jsonw_kstr(&n->j, "v4", h->v4);
    jsonw_kstr(&n->j, "v6", h->v6);
    jsonw_end(&n->j);
    return jsonw_ok(&n->j) ? 0 : diag_set(d, LANA_ENOMEM, "out of memory");
}

/* ---- add ---------------------------------------------------------------------------------- */

/* The checks of host_add before anything changes: the zone (id, canonical text) of a free name. */
static int host_place(struct names *n, const char *text, const uint8_t *hw, int64_t *zone,
                      char zt[DNAME_TEXT_MAX], struct lana_diag *d)
{
    uint8_t apex[DNAME_MAXLEN];
    int rc = zone_find(n, hw, zone, apex, d);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return diag_set(d, LANA_ENOTFOUND, "no zone holds %s: add one with 'lana zone add'", text);
    if ((rc = authz_zone(n->st, *zone, d)) != 0)
        return rc;
    if (dname_equal(apex, hw))
        return diag_set(d, LANA_EPARSE, "%s is a zone's apex, not a host name", text);
    names__text(apex, zt);
    if (names__is_reverse(zt))
        return diag_set(d, LANA_EPARSE, "%s lies in a reverse zone", text);
    struct host_info h;
    if ((rc = host_find(n, text, &h, NULL, d)) != 0)
        return rc < 0 ? rc : diag_set(d, LANA_ECONFLICT, "host %s exists", text);
    int64_t count;
    bool cname;
    if ((rc = rrset_at(n, *zone, hw, &count, &cname, d)) != 0)
        return rc;
    if (count > 0)
        return diag_set(d, LANA_ECONFLICT, "%s already has records (%s)", text,
                        cname ? "a CNAME" : "see lana record");
    return 0;
}

static int host_insert(struct names *n, int64_t zone, struct host_info *h, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(n->st, sql_host_ins, &s, d);
    if (rc != 0)
        return rc;
    h->created = (int64_t)time(NULL);
    sqlite3_bind_int64(s, 1, zone);
    sqlite3_bind_text(s, 2, h->name, -1, SQLITE_TRANSIENT);
    if (h->v4[0])
        sqlite3_bind_text(s, 3, h->v4, -1, SQLITE_TRANSIENT);
    if (h->v6[0])
        sqlite3_bind_text(s, 4, h->v6, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 5, h->created);
    return store__done(n->st, s, "insert host", d);
}

int host_add(struct names *n, const char *name, const struct host_addr_spec *v4,
             const struct host_addr_spec *v6, const struct cidr *block, const char *actor,
             struct host_info *out, struct lana_diag *d)
{
    uint8_t hw[DNAME_MAXLEN];
    char text[DNAME_TEXT_MAX], zt[DNAME_TEXT_MAX];
    int64_t zone;
    int rc;
    if ((rc = host_check_name(name, d)) != 0 || (rc = names__canonical(name, hw, text, d)) != 0 ||
        (rc = host_place(n, text, hw, &zone, zt, d)) != 0)
        return rc;
    if (v4->how == HOST_ADDR_NONE && v6->how == HOST_ADDR_NONE)
        return diag_set(d, LANA_EPARSE, "a host needs an IPv4 or an IPv6 address");
    if ((rc = store_sp_begin(n->st, d)) != 0)
        return rc;
    struct host_info h;
    memset(&h, 0, sizeof h);
    names__copy(h.name, sizeof h.name, text);
    names__copy(h.zone, sizeof h.zone, zt);
    const struct host_addr_spec *specs[2] = {v4, v6};
    for (int f = 0; f < 2 && rc == 0; f++) {
        if (specs[f]->how == HOST_ADDR_NONE)
            continue;
        struct cidr a;
        rc = host_address(n, text, f ? 6 : 4, specs[f], block, actor, &a, d);
        if (rc == 0)
            rc = publish(n, zone, hw, &a, true, d);
        if (rc == 0 && cidr_format_addr(&a, f ? h.v6 : h.v4, CIDR_STRLEN) < 0)
            rc = diag_set(d, LANA_EPARSE, "bad address");
    }
    if (rc == 0)
        rc = host_insert(n, zone, &h, d);
    if (rc == 0)
        rc = zone_touch(n->st, zone, NULL, ZONE_TOUCH_SERIAL, d);
    if (rc == 0 && (rc = host_json(n, &h, d)) == 0)
        rc = names__audit(n, actor, "host.add", text, NULL, n->j.s, d);
    if ((rc = store_sp_end(n->st, rc, d)) == 0 && out != NULL)
        *out = h;
    return rc;
}

/* ---- delete and rename -------------------------------------------------------------------- */

static const char sql_srv_below[] =
    "SELECT key, rdata FROM rr WHERE zone_id = ?1 AND type = 33 AND key > ?2 AND key < ?3";
static const char sql_srv_below_del[] =
    "DELETE FROM rr WHERE zone_id = ?1 AND type = 33 AND key > ?2 AND key < ?3";

/* The SRV records bound to a host sit below its name: the key range (key, key + 0xff). */
static int srv_range(struct names *n, const char *sql, int64_t zone, const uint8_t *hw,
                     sqlite3_stmt **out, struct lana_diag *d)
{
    uint8_t lo[DNAME_KEY_MAX + 1];
    size_t kl = dname_key(hw, lo);
    int rc = store__stmt(n->st, sql, out, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(*out, 1, zone);
    sqlite3_bind_blob(*out, 2, lo, (int)kl, SQLITE_TRANSIENT);
    lo[kl] = 0xff;
    sqlite3_bind_blob(*out, 3, lo, (int)kl + 1, SQLITE_TRANSIENT);
    return 0;
}

/* Gives an address back to the registry when the host holds its block. */
static int release_address(struct names *n, const struct host_info *h, const struct cidr *a,
                           const char *actor, struct lana_diag *d)
{
    struct ipam_block b;
    int rc = ipam_get(n->ip, a, &b, d);
    if (rc == LANA_ENOTFOUND)
        return 0;
    if (rc != 0 || strcmp(b.holder, h->name) != 0)
        return rc;
    /* the host's own address goes with it: the authority over the host's zone covers it */
    const struct authz_who *w = authz_actor(n->st);
    authz_act(n->st, NULL);
    rc = ipam_release(n->ip, a, false, actor, NULL, d);
    authz_act(n->st, w);
    return rc;
}

static int host_unpublish(struct names *n, const struct host_info *h, int64_t zone,
                          const char *actor, struct lana_diag *d)
{
    uint8_t hw[DNAME_MAXLEN];
    int rc = names__wire(h->name, hw, d);
    const char *addrs[2] = {h->v4, h->v6};
    for (int f = 0; f < 2 && rc == 0; f++) {
        struct cidr a;
        if (!addrs[f][0] || cidr_parse_addr(addrs[f], &a, NULL) != 0)
            continue;
        if ((rc = publish(n, zone, hw, &a, false, d)) == 0)
            rc = release_address(n, h, &a, actor, d);
    }
    sqlite3_stmt *s;
    if (rc == 0 && (rc = srv_range(n, sql_srv_below_del, zone, hw, &s, d)) == 0)
        rc = store__done(n->st, s, "unbind services", d);
    if (rc == 0 && sqlite3_changes(n->st->db) > 0) /* names below the host: drop everything */
        rc = zone_touch(n->st, 0, NULL, ZONE_TOUCH_NAME, d);
    return rc;
}

int host_del(struct names *n, const char *name, const char *actor, struct lana_diag *d)
{
    struct host_info h;
    int64_t zone;
    int rc = host_lookup(n, name, &h, &zone, NULL, d);
    if (rc != 0 || (rc = authz_zone(n->st, zone, d)) != 0)
        return rc;
    if ((rc = store_sp_begin(n->st, d)) != 0)
        return rc;
    rc = host_unpublish(n, &h, zone, actor, d);
    sqlite3_stmt *s;
    if (rc == 0 && (rc = store__stmt(n->st, sql_host_delete, &s, d)) == 0) {
        sqlite3_bind_text(s, 1, h.name, -1, SQLITE_TRANSIENT);
        rc = store__done(n->st, s, "delete host", d);
    }
    if (rc == 0)
        rc = zone_touch(n->st, zone, NULL, ZONE_TOUCH_SERIAL, d);
    if (rc == 0 && (rc = host_json(n, &h, d)) == 0)
        rc = names__audit(n, actor, "host.del", h.name, n->j.s, NULL, d);
    return store_sp_end(n->st, rc, d);
}

/* A service bound to a host: the _service and _proto labels and the SRV rdata's head. */
struct srv_binding {
    uint8_t label[2][64];
    uint8_t rd[6]; /* priority, weight, port */
};

/* The services bound to the host hw (wire) of zone, into a new array (*out, free()). */
static int srv_bindings(struct names *n, int64_t zone, const uint8_t *hw, struct srv_binding **out,
                        size_t *count, struct lana_diag *d)
{
    struct srv_binding *srv = NULL;
    size_t ns = 0;
    sqlite3_stmt *s;
    int rc = srv_range(n, sql_srv_below, zone, hw, &s, d);
    if (rc != 0)
        return rc;
    while ((rc = store__row(n->st, s, "services", d)) == 1) {
        uint8_t owner[DNAME_MAXLEN];
        if (dname_from_key(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0),
                           owner) <= 0 ||
            dname_labels(owner) != dname_labels(hw) + 2 || sqlite3_column_bytes(s, 1) < 6)
            continue;
        void *p = realloc(srv, (ns + 1) * sizeof *srv);
        if (p == NULL) {
            sqlite3_reset(s);
            rc = diag_set(d, LANA_ENOMEM, "out of memory");
            break;
        }
        srv = p;
        memcpy(srv[ns].label[0], owner, (size_t)owner[0] + 1);
        const uint8_t *second = owner + owner[0] + 1;
        memcpy(srv[ns].label[1], second, (size_t)second[0] + 1);
        memcpy(srv[ns].rd, sqlite3_column_blob(s, 1), 6);
        ns++;
    }
    if (rc < 0) {
        free(srv);
        return rc;
    }
    *out = srv;
    *count = ns;
    return 0;
}

/* Publishes the bindings again under the host tw (wire) of zone nz. */
static int srv_rebind(struct names *n, int64_t nz, const uint8_t *tw,
                      const struct srv_binding *srv, size_t ns, struct lana_diag *d)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < ns; i++) {
        uint8_t owner[DNAME_MAXLEN], rd[6 + DNAME_MAXLEN];
        size_t l0 = (size_t)srv[i].label[0][0] + 1, l1 = (size_t)srv[i].label[1][0] + 1;
        size_t tl = dname_len(tw);
        if (l0 + l1 + tl > DNAME_MAXLEN)
            return diag_set(d, LANA_ERANGE, "a bound SRV name would be longer than 255 octets");
        memcpy(owner, srv[i].label[0], l0);
        memcpy(owner + l0, srv[i].label[1], l1);
        memcpy(owner + l0 + l1, tw, tl);
        memcpy(rd, srv[i].rd, 6);
        memcpy(rd + 6, tw, tl);
        if ((rc = rrset_put(n, nz, owner, DNS_T_SRV, rd, 6 + tl, NAMES_TTL, d)) > 0)
            rc = 0;
    }
    if (rc == 0 && ns > 0)
        rc = zone_touch(n->st, nz, NULL, ZONE_TOUCH_SERIAL, d);
    return rc;
}

int host_rename(struct names *n, const char *from, const char *to, const char *actor,
                struct host_info *out, struct lana_diag *d)
{
    struct host_info h;
    int64_t zone;
    uint8_t fw[DNAME_MAXLEN], tw[DNAME_MAXLEN];
    int rc;
    if ((rc = host_check_name(to, d)) != 0 || (rc = names__wire(to, tw, d)) != 0 ||
        (rc = host_lookup(n, from, &h, &zone, fw, d)) != 0)
        return rc;
    /* remember the services bound, to bind them again under the new name */
    struct srv_binding *srv = NULL;
    size_t ns = 0;
    if ((rc = srv_bindings(n, zone, fw, &srv, &ns, d)) != 0)
        return rc;
    if ((rc = store_sp_begin(n->st, d)) != 0) {
        free(srv);
        return rc;
    }
    /* the host keeps its addresses, whatever they are */
    struct host_addr_spec v4 = {HOST_ADDR_NONE, {0}, true}, v6 = {HOST_ADDR_NONE, {0}, true};
    if (h.v4[0] && cidr_parse_addr(h.v4, &v4.addr, NULL) == 0)
        v4.how = HOST_ADDR_GIVEN;
    if (h.v6[0] && cidr_parse_addr(h.v6, &v6.addr, NULL) == 0)
        v6.how = HOST_ADDR_GIVEN;
    rc = host_del(n, h.name, actor, d);
    if (rc == 0)
        rc = host_add(n, to, &v4, &v6, NULL, actor, out, d);
    int64_t nz = 0;
    uint8_t apex[DNAME_MAXLEN];
    if (rc == 0 && (rc = zone_find(n, tw, &nz, apex, d)) == 0)
        rc = diag_set(d, LANA_ENOTFOUND, "no zone for %s", to);
    if (rc == 1)
        rc = srv_rebind(n, nz, tw, srv, ns, d);
    free(srv);
    return store_sp_end(n->st, rc, d);
}

/* ---- blocks with hosts in them ------------------------------------------------------------ */

static const char sql_host_addrs[] = "SELECT name, v4, v6 FROM host ORDER BY name";

/* The hosts with an address inside prefix, into a new array (*out, free()): O(hosts). */
static int hosts_in(struct names *n, const struct cidr *prefix, char (**out)[DNAME_TEXT_MAX],
                    size_t *count, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(n->st, sql_host_addrs, &s, d);
    if (rc != 0)
        return rc;
    char (*hosts)[DNAME_TEXT_MAX] = NULL;
    size_t nh = 0;
    while ((rc = store__row(n->st, s, "hosts", d)) == 1) {
        bool in = false;
        for (int col = 1; col <= 2 && !in; col++) {
            struct cidr a;
            const char *t = (const char *)sqlite3_column_text(s, col);
            in = t != NULL && cidr_parse_addr(t, &a, NULL) == 0 && cidr_contains(prefix, &a);
        }
        if (!in)
            continue;
        void *p = realloc(hosts, (nh + 1) * sizeof *hosts);
        if (p == NULL) {
            sqlite3_reset(s);
            rc = diag_set(d, LANA_ENOMEM, "out of memory");
            break;
        }
        hosts = p;
        names__copy(hosts[nh++], DNAME_TEXT_MAX, (const char *)sqlite3_column_text(s, 0));
    }
    if (rc < 0) {
        free(hosts);
        return rc;
    }
    *out = hosts;
    *count = nh;
    return 0;
}

/* LANA_ECONFLICT naming (some of) the hosts in the block. */
static int refuse_hosts(const struct cidr *prefix, char (*hosts)[DNAME_TEXT_MAX], size_t nh,
                        struct lana_diag *d)
{
    char t[CIDR_STRLEN], list[160];
    size_t len = 0;
    if (cidr_format(prefix, t, sizeof t) < 0)
        memcpy(t, "?", 2);
    list[0] = '\0';
    for (size_t i = 0; i < nh; i++) {
        int k = snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", hosts[i]);
        if (k < 0 || (size_t)k >= sizeof list - len) {
            list[len] = '\0';
            k = snprintf(list + len, sizeof list - len, ", ...");
            if (k < 0 || (size_t)k >= sizeof list - len)
                list[len] = '\0';
            break;
        }
        len += (size_t)k;
    }
    return diag_set(d, LANA_ECONFLICT,
                    "%s holds the addresses of %zu host%s: %s: delete them first, or use "
                    "--recursive",
                    t, nh, nh == 1 ? "" : "s", list);
}

int host_release_block(struct names *n, const struct cidr *prefix, bool recursive,
                       const char *actor, int64_t *released, int64_t *hosts,
                       struct lana_diag *d)
{
    struct ipam_block b;
    int rc = ipam_get(n->ip, prefix, &b, d);
    if (rc != 0)
        return rc;
    if (b.status == IPAM_POOL) /* refused, with the advice to use pool del */
        return ipam_release(n->ip, prefix, recursive, actor, released, d);
    /* the authority over a block covers the hosts inside it, in whatever zone: who
     * delegated a block can take it back */
    if ((rc = authz_block(n->st, b.id, false, d)) != 0)
        return rc;
    char (*names)[DNAME_TEXT_MAX] = NULL;
    size_t nh = 0;
    if ((rc = hosts_in(n, prefix, &names, &nh, d)) != 0)
        return rc;
    if (nh > 0 && !recursive) {
        rc = refuse_hosts(prefix, names, nh, d);
        free(names);
        return rc;
    }
    int64_t k = 0;
    const struct authz_who *w = authz_actor(n->st);
    authz_act(n->st, NULL);
    if ((rc = store_sp_begin(n->st, d)) == 0) {
        for (size_t i = 0; rc == 0 && i < nh; i++)
            rc = host_del(n, names[i], actor, d);
        if (rc == 0) {
            /* the block may have been a host's own address, gone with the host */
            rc = ipam_get(n->ip, prefix, &b, d);
            if (rc == 0)
                rc = ipam_release(n->ip, prefix, recursive, actor, &k, d);
            else if (rc == LANA_ENOTFOUND && nh > 0)
                rc = 0;
        }
        rc = store_sp_end(n->st, rc, d);
    }
    authz_act(n->st, w);
    free(names);
    if (rc == 0 && released != NULL)
        *released = k + (int64_t)nh; /* each host's address in it was a block too */
    if (rc == 0 && hosts != NULL)
        *hosts = (int64_t)nh;
    return rc;
}
