/*
 * regdata — see regdata.h. Every query copies what it found out of SQLite (the statement is
 * reset) before it calls the caller's callback, so that a callback may ask anything of the
 * registry, this module included, without disturbing a walk in progress.
 */
#include "db/regdata.h"

#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "db/ipam_int.h"
#include "db/names.h"

#define CHAIN_MAX 130  /* blocks nest strictly: at most 129 prefix lengths of IPv6, and a pool */
#define SEARCH_SCAN 64 /* names scanned per name listed, at most, by a domain search */

struct regdata {
    struct store *st;
    struct ipam *ip;
    struct names *nm;
};

int regdata_open(struct store *st, struct regdata **out, struct lana_diag *d)
{
    struct regdata *rd = calloc(1, sizeof *rd);
    int rc = LANA_ENOMEM;
    *out = NULL;
    if (rd == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    rd->st = st;
    if ((rc = ipam_open(st, &rd->ip, d)) != 0 || (rc = names_open(st, rd->ip, &rd->nm, d)) != 0) {
        regdata_close(rd);
        return rc;
    }
    *out = rd;
    return 0;
}

void regdata_close(struct regdata *rd)
{
    if (rd == NULL)
        return;
    names_close(rd->nm);
    ipam_close(rd->ip);
    free(rd);
}

static bool same_prefix(const struct cidr *a, const struct cidr *b)
{
    return a->family == b->family && a->plen == b->plen && cidr_addr_u128(a) == cidr_addr_u128(b);
}

static void fmt(const struct cidr *c, char t[CIDR_STRLEN])
{
    ipam__fmt(c, t);
}

/* ---- emitting blocks under a bound ------------------------------------------------------- */

struct emitter {
    regdata_block_cb *cb;
    void *arg;
    unsigned max, count;
    bool more;
};

/* Gives b (with its parent's prefix and status, NULL for none) to the caller: 0 to go on, 1
 * when the bound is reached (more is set), or the callback's nonzero value. */
static int emit(struct emitter *e, const struct ipam_block *b, const struct cidr *parent,
                enum ipam_status parent_status)
{
    if (e->count >= e->max) {
        e->more = true;
        return 1;
    }
    struct regdata_block rb = {.b = *b, .has_parent = parent != NULL};
    if (parent != NULL) {
        rb.parent = *parent;
        rb.parent_status = parent_status;
    }
    e->count++;
    return e->cb(&rb, e->arg);
}

/* The chain of blocks containing q, root pool first: 0 with chain[*n] (n >= 1),
 * LANA_ENOTFOUND (outside every pool), LANA_EDB. */
struct chain {
    struct ipam_block v[CHAIN_MAX];
    unsigned n;
};

static int chain_cb(const struct ipam_block *b, void *arg)
{
    struct chain *c = arg;
    if (c->n == CHAIN_MAX)
        return LANA_ERANGE; /* cannot happen: nesting is strict */
    c->v[c->n++] = *b;
    return 0;
}

static int chain_of(struct regdata *rd, const struct cidr *q, struct chain *c, struct lana_diag *d)
{
    c->n = 0;
    int rc = ipam_chain(rd->ip, q, chain_cb, c, d);
    if (rc == LANA_ERANGE)
        return diag_set(d, LANA_EDB, "the block tree is deeper than %d", CHAIN_MAX);
    return rc;
}

static const char sql_children_in[] = "SELECT family, start, plen FROM block WHERE parent_id = ?1"
                                      " AND start >= ?2 AND start <= ?3 ORDER BY start LIMIT ?4";

/*
 * The children of parent (NULL: the root pools) that lie inside range, in address order, at
 * most lim of them: 0 with *out (malloc'd prefixes, the caller frees) and *n; LANA_ENOMEM,
 * LANA_EDB. Only prefixes are kept: a walk nests one such list per level.
 */
static int children_in(struct regdata *rd, const struct ipam_block *parent,
                       const struct cidr *range, unsigned lim, struct cidr **out, unsigned *n,
                       struct lana_diag *d)
{
    struct cidr *v = malloc(((size_t)lim + 1) * sizeof *v);
    sqlite3_stmt *s;
    int rc;
    *n = 0;
    *out = NULL;
    if (v == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    if (parent == NULL) { /* the pools: few, read whole */
        if ((rc = store__stmt(rd->st, ipam__sql_pools, &s, d)) != 0)
            goto out;
        struct ipam_block b;
        while (*n < lim && (rc = ipam__step_block(rd->ip, s, &b, NULL, d)) == 1)
            if (cidr_contains(range, &b.prefix))
                v[(*n)++] = b.prefix;
    } else {
        if ((rc = store__stmt(rd->st, sql_children_in, &s, d)) != 0)
            goto out;
        struct cidr last;
        cidr_last(range, &last);
        sqlite3_bind_int64(s, 1, parent->id);
        ipam__bind_key(s, 2, cidr_addr_u128(range));
        ipam__bind_key(s, 3, cidr_addr_u128(&last));
        sqlite3_bind_int64(s, 4, lim);
        while ((rc = store__row(rd->st, s, "children", d)) == 1)
            ipam__make_cidr(sqlite3_column_int(s, 0),
                            ipam__key_value(sqlite3_column_blob(s, 1), sqlite3_column_bytes(s, 1)),
                            (unsigned)sqlite3_column_int(s, 2), &v[(*n)++]);
    }
    sqlite3_reset(s);
out:
    if (rc < 0) {
        free(v);
        return rc;
    }
    *out = v;
    return 0;
}

/* The blocks inside range below parent (NULL: the pools): one level, or every level (deep),
 * depth first. 0, 1 (bound reached), the callback's value, or an error. */
static int walk_more(struct regdata *rd, const struct ipam_block *parent, const struct cidr *range,
                     bool deep, unsigned level, struct emitter *e, struct lana_diag *d)
{
    struct cidr *v;
    unsigned n;
    int rc = children_in(rd, parent, range, e->max - e->count + 1, &v, &n, d);
    if (rc != 0)
        return rc;
    for (unsigned i = 0; i < n && rc == 0; i++) {
        struct ipam_block b;
        if ((rc = ipam__find_exact(rd->ip, &v[i], &b, NULL, d)) <= 0) {
            if (rc == 0) /* cannot happen on one read snapshot */
                rc = diag_set(d, LANA_EDB, "a block vanished during the walk");
            break;
        }
        rc = emit(e, &b, parent ? &parent->prefix : NULL, parent ? parent->status : IPAM_POOL);
        if (rc == 0 && deep && level < CHAIN_MAX)
            rc = walk_more(rd, &b, &b.prefix, deep, level + 1, e, d);
    }
    free(v);
    return rc;
}

static int not_found(const struct cidr *q, const char *what, struct lana_diag *d)
{
    char t[CIDR_STRLEN];
    fmt(q, t);
    return diag_set(d, LANA_ENOTFOUND, "%s: %s", t, what);
}

/* -m and -M: inside the most specific block containing q, or among the pools. */
static int ip_more(struct regdata *rd, const struct cidr *q, bool deep, struct emitter *e,
                   struct lana_diag *d)
{
    struct chain *c = malloc(sizeof *c);
    if (c == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    int rc = chain_of(rd, q, c, d);
    if (rc == 0)
        rc = walk_more(rd, &c->v[c->n - 1], q, deep, 0, e, d);
    else if (rc == LANA_ENOTFOUND)
        rc = walk_more(rd, NULL, q, deep, 0, e, d);
    free(c);
    if (rc == 0 && e->count == 0)
        return not_found(q, "no block lies inside it", d);
    return rc;
}

int regdata_ip(struct regdata *rd, const struct cidr *q, enum regdata_ip_kind kind, unsigned max,
               regdata_block_cb *cb, void *arg, bool *more, struct lana_diag *d)
{
    struct emitter e = {cb, arg, max, 0, false};
    int rc;
    if (more != NULL)
        *more = false;
    if (kind == REGDATA_IP_MORE || kind == REGDATA_IP_ALL_MORE) {
        rc = ip_more(rd, q, kind == REGDATA_IP_ALL_MORE, &e, d);
        goto out;
    }
    struct chain *c = malloc(sizeof *c);
    if (c == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    if ((rc = chain_of(rd, q, c, d)) != 0)
        goto done;
    bool exact = same_prefix(&c->v[c->n - 1].prefix, q);
    unsigned from = 0, to = c->n; /* the blocks c->v[from..to) */
    switch (kind) {
    case REGDATA_IP_CHAIN: break;
    case REGDATA_IP_EXACT:
        if (!exact) {
            rc = not_found(q, "no such block", d);
            goto done;
        }
        from = c->n - 1;
        break;
    case REGDATA_IP_LESS:
        to = exact ? c->n - 1 : c->n;
        if (to == 0) {
            rc = not_found(q, "a root pool: nothing is less specific", d);
            goto done;
        }
        from = to - 1;
        break;
    default: from = c->n - 1; break; /* REGDATA_IP_DEFAULT */
    }
    for (unsigned i = from; i < to && rc == 0; i++)
        rc = emit(&e, &c->v[i], i > 0 ? &c->v[i - 1].prefix : NULL,
                  i > 0 ? c->v[i - 1].status : IPAM_POOL);
done:
    free(c);
out:
    if (rc == 1 && e.more)
        rc = 0; /* the bound, not the callback, stopped it */
    if (more != NULL)
        *more = e.more;
    return rc;
}

int regdata_usage(struct regdata *rd, const struct regdata_block *b, struct ipam_usage *out,
                  struct lana_diag *d)
{
    return ipam_usage(rd->ip, &b->b, out, d);
}

int regdata_host_at(struct regdata *rd, const struct cidr *addr, struct host_info *out,
                    struct lana_diag *d)
{
    struct ipam_block b;
    struct host_info h;
    struct lana_diag ignore;
    if (addr->plen != cidr_bits(addr))
        return 0;
    /* a host's address is an assigned block held by the host's name (db/host.h) */
    int rc = ipam__find_exact(rd->ip, addr, &b, NULL, d);
    if (rc <= 0 || b.status != IPAM_ASSIGNED || b.holder[0] == '\0')
        return rc;
    rc = host_get(rd->nm, b.holder, &h, &ignore);
    if (rc == LANA_EDB || rc == LANA_EFULL || rc == LANA_ENOMEM)
        return diag_set(d, rc, "%s", ignore.msg);
    if (rc != 0)
        return 0; /* a holder text that names no host */
    struct cidr a;
    const char *t = addr->family == 4 ? h.v4 : h.v6;
    if (cidr_parse_addr(t, &a, &ignore) != 0 || !same_prefix(&a, addr))
        return 0;
    *out = h;
    return 1;
}

/* ---- domains -------------------------------------------------------------------------------- */

static const char sql_zone_times[] = "SELECT created, updated FROM zone WHERE id = ?1";

/* The zone called name with its times and blocks: 0, LANA_ENOTFOUND, LANA_EPARSE, LANA_EDB. */
static int zone_of(struct regdata *rd, const char *name, struct regdata_zone *z,
                   struct lana_diag *d)
{
    memset(z, 0, sizeof *z);
    int rc = zone_get(rd->nm, name, &z->z, d);
    if (rc != 0)
        return rc;
    sqlite3_stmt *s;
    if ((rc = store__stmt(rd->st, sql_zone_times, &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, z->z.id);
    if ((rc = store__row(rd->st, s, "zone", d)) == 1) {
        z->created = sqlite3_column_int64(s, 0);
        z->updated = sqlite3_column_int64(s, 1);
        sqlite3_reset(s);
    }
    if (rc < 0)
        return rc;
    return zone_blocks(rd->nm, z->z.id, z->blocks, REGDATA_ZONE_BLOCKS, &z->nblocks, d);
}

/* name as lower-case wire and canonical text: 0 or LANA_EPARSE. */
static int canonical(const char *name, uint8_t w[DNAME_MAXLEN], char t[DNAME_TEXT_MAX],
                     struct lana_diag *d)
{
    if (dname_from_text(name, (const uint8_t *)"", w, d) < 0)
        return LANA_EPARSE;
    dname_lower(w);
    if (dname_to_text(w, t, DNAME_TEXT_MAX) < 0)
        return diag_set(d, LANA_EPARSE, "%.60s: not a domain name", name);
    return 0;
}

bool regdata_reverse_prefix(const char *name, struct cidr *out)
{
    uint8_t w[DNAME_MAXLEN];
    char t[DNAME_TEXT_MAX];
    struct lana_diag ignore;
    return canonical(name, w, t, &ignore) == 0 && cidr_reverse_parse(w, out);
}

static int found_cb(const struct regdata_block *b, void *arg)
{
    (void)b;
    (void)arg;
    return 1;
}

/* A reverse name that is no zone: the zone holding it, the host at its address. */
static int reverse_of(struct regdata *rd, const uint8_t *w, struct regdata_domain *out,
                      struct lana_diag *d)
{
    int64_t id;
    uint8_t apex[DNAME_MAXLEN];
    char at[DNAME_TEXT_MAX];
    int rc = zone_find(rd->nm, w, &id, apex, d);
    if (rc < 0)
        return rc;
    if (rc == 1 && dname_to_text(apex, at, sizeof at) >= 0) {
        if ((rc = zone_of(rd, at, &out->zone, d)) != 0)
            return rc;
        out->has_zone = true;
    }
    if ((rc = regdata_host_at(rd, &out->prefix, &out->host, d)) < 0)
        return rc;
    out->has_host = rc == 1;
    if (out->has_zone)
        return 0;
    /* no zone of ours: found when a block contains the prefix or lies inside it */
    rc = regdata_ip(rd, &out->prefix, REGDATA_IP_DEFAULT, 1, found_cb, NULL, NULL, d);
    if (rc == LANA_ENOTFOUND)
        rc = regdata_ip(rd, &out->prefix, REGDATA_IP_MORE, 1, found_cb, NULL, NULL, d);
    if (rc == 1)
        return 0;
    return rc == LANA_ENOTFOUND ? diag_set(d, LANA_ENOTFOUND, "no domain %s", out->name) : rc;
}

int regdata_domain(struct regdata *rd, const char *name, struct regdata_domain *out,
                   struct lana_diag *d)
{
    uint8_t w[DNAME_MAXLEN];
    char t[DNAME_TEXT_MAX];
    int rc = canonical(name, w, t, d);
    if (rc != 0)
        return rc;
    memset(out, 0, sizeof *out);
    memcpy(out->name, t, sizeof t);
    out->has_prefix = cidr_reverse_parse(w, &out->prefix);
    if ((rc = zone_of(rd, t, &out->zone, d)) != LANA_ENOTFOUND) {
        out->kind = REGDATA_DOMAIN_ZONE;
        out->has_zone = rc == 0;
        return rc;
    }
    if ((rc = host_get(rd->nm, t, &out->host, d)) != LANA_ENOTFOUND) {
        if (rc != 0)
            return rc;
        out->kind = REGDATA_DOMAIN_HOST;
        out->has_host = true;
        if ((rc = zone_of(rd, out->host.zone, &out->zone, d)) != 0)
            return rc;
        out->has_zone = true;
        return 0;
    }
    if (!out->has_prefix)
        return diag_set(d, LANA_ENOTFOUND, "no domain %s", t);
    out->kind = REGDATA_DOMAIN_REVERSE;
    return reverse_of(rd, w, out, d);
}

/* ---- domain search ------------------------------------------------------------------------- */

struct pattern {
    char prefix[DNAME_TEXT_MAX]; /* the text before '*' (or the whole name) */
    char suffix[DNAME_TEXT_MAX]; /* after the '*' when it ends an inner label: ".lab." */
    bool star, tail;             /* a '*'; at the very end */
};

static int pattern_parse(const char *p, struct pattern *pt, struct lana_diag *d)
{
    memset(pt, 0, sizeof *pt);
    size_t len = strlen(p);
    const char *star = strchr(p, '*');
    if (len == 0 || len >= DNAME_TEXT_MAX)
        return diag_set(d, LANA_EPARSE, "a domain pattern is 1 to %d characters",
                        DNAME_TEXT_MAX - 1);
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == '*';
        if (!ok)
            return diag_set(d, LANA_EPARSE, "%.60s: letters, digits, '-', '_', '.' and one '*'", p);
    }
    if (star == NULL) {
        uint8_t w[DNAME_MAXLEN];
        return canonical(p, w, pt->prefix, d);
    }
    size_t at = (size_t)(star - p);
    if (strchr(star + 1, '*') != NULL)
        return diag_set(d, LANA_EPARSE, "%.60s: one '*' at most", p);
    if (at == 0 || p[at - 1] == '.')
        return diag_set(d, LANA_EPARSE, "%.60s: some characters must come before the '*'", p);
    if (star[1] != '\0' && star[1] != '.')
        return diag_set(d, LANA_EPARSE, "%.60s: '*' may only end a label", p);
    pt->star = true;
    for (size_t i = 0; i < at; i++)
        pt->prefix[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] - 'A' + 'a' : p[i]);
    pt->tail = star[1] == '\0' || strcmp(star + 1, ".") == 0;
    if (!pt->tail) {
        uint8_t w[DNAME_MAXLEN];
        char t[DNAME_TEXT_MAX];
        int rc = canonical(star + 2, w, t, d); /* the labels after "*." */
        if (rc != 0)
            return rc;
        int n = snprintf(pt->suffix, sizeof pt->suffix, ".%s", t);
        if (n < 0 || (size_t)n >= sizeof pt->suffix)
            return diag_set(d, LANA_EPARSE, "%.60s: too long", p);
    }
    return 0;
}

static bool pattern_match(const struct pattern *pt, const char *name)
{
    size_t pl = strlen(pt->prefix), nl = strlen(name), sl = strlen(pt->suffix);
    if (!pt->star)
        return strcmp(name, pt->prefix) == 0;
    if (nl < pl || strncmp(name, pt->prefix, pl) != 0)
        return false;
    if (pt->tail)
        return true;
    if (nl < pl + sl || strcmp(name + nl - sl, pt->suffix) != 0)
        return false;
    return memchr(name + pl, '.', nl - sl - pl) == NULL; /* within one label */
}

static const char sql_zone_range[] = "SELECT name FROM zone WHERE name >= ?1 AND name < ?2"
                                     " ORDER BY name LIMIT ?3";
static const char sql_host_range[] = "SELECT name FROM host WHERE name >= ?1 AND name < ?2"
                                     " ORDER BY name LIMIT ?3";

/* The names of table (one of the queries above) that match pt, in *names (malloc'd, each
 * DNAME_TEXT_MAX bytes), at most lim; *cut when the scan stopped at its bound. */
static int names_matching(struct regdata *rd, const char *sql, const struct pattern *pt,
                          unsigned lim, char (**names)[DNAME_TEXT_MAX], unsigned *n, bool *cut,
                          struct lana_diag *d)
{
    char hi[DNAME_TEXT_MAX];
    size_t pl = strlen(pt->prefix);
    memcpy(hi, pt->prefix, pl + 1);
    hi[pl - 1]++; /* ASCII: the first text past every name starting with the prefix */
    char(*v)[DNAME_TEXT_MAX] = malloc(((size_t)lim + 1) * sizeof *v);
    if (v == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    sqlite3_stmt *s;
    int rc = store__stmt(rd->st, sql, &s, d);
    int64_t scan = (int64_t)lim * SEARCH_SCAN, seen = 0;
    *n = 0;
    if (rc == 0) {
        sqlite3_bind_text(s, 1, pt->prefix, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 2, hi, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 3, pt->star ? scan : 1);
        while (*n <= lim && (rc = store__row(rd->st, s, "domain search", d)) == 1) {
            const char *name = (const char *)sqlite3_column_text(s, 0);
            seen++;
            if (name != NULL && pattern_match(pt, name) &&
                snprintf(v[*n], sizeof v[*n], "%s", name) < (int)sizeof v[*n])
                (*n)++;
        }
        sqlite3_reset(s);
    }
    if (rc < 0) {
        free(v);
        return rc;
    }
    *cut = pt->star && seen >= scan;
    *names = v;
    return 0;
}

int regdata_domain_search(struct regdata *rd, const char *pattern, unsigned max,
                          regdata_domain_cb *cb, void *arg, bool *truncated, struct lana_diag *d)
{
    struct pattern pt;
    char(*zones)[DNAME_TEXT_MAX] = NULL, (*hosts)[DNAME_TEXT_MAX] = NULL;
    unsigned nz = 0, nh = 0, given = 0;
    bool cut_z = false, cut_h = false;
    struct regdata_domain *dom = NULL;
    if (truncated != NULL)
        *truncated = false;
    int rc = pattern_parse(pattern, &pt, d);
    if (rc == 0)
        rc = names_matching(rd, sql_zone_range, &pt, max, &zones, &nz, &cut_z, d);
    if (rc == 0)
        rc = names_matching(rd, sql_host_range, &pt, max, &hosts, &nh, &cut_h, d);
    if (rc == 0 && (dom = malloc(sizeof *dom)) == NULL)
        rc = diag_set(d, LANA_ENOMEM, "out of memory");
    /* zones first, then hosts: both lists are read whole, so cb may ask anything */
    for (unsigned i = 0; rc == 0 && i < nz + nh && given < max; i++) {
        const char *name = i < nz ? zones[i] : hosts[i - nz];
        rc = regdata_domain(rd, name, dom, d);
        if (rc == LANA_ENOTFOUND) { /* cannot happen on one read snapshot */
            rc = 0;
            continue;
        }
        if (rc == 0) {
            given++;
            rc = cb(dom, arg);
        }
    }
    if (truncated != NULL && rc == 0)
        *truncated = nz + nh > given || cut_z || cut_h;
    free(dom);
    free(zones);
    free(hosts);
    return rc;
}

/* ---- entities ------------------------------------------------------------------------------ */

static const char sql_holder_any[] = "SELECT 1 FROM block WHERE holder = ?1 LIMIT 1";

int regdata_entity(struct regdata *rd, const char *handle, struct regdata_entity *out,
                   struct lana_diag *d)
{
    size_t len = strlen(handle);
    if (len == 0 || len >= IPAM_TEXT_MAX)
        return diag_set(d, LANA_EPARSE, "an entity handle is 1 to %d bytes", IPAM_TEXT_MAX - 1);
    memset(out, 0, sizeof *out);
    memcpy(out->name, handle, len + 1);
    struct account a;
    int rc = len < ACCOUNT_NAME_MAX ? account_get(rd->st, handle, &a, d) : 0;
    if (rc < 0)
        return rc;
    if (rc == 1) {
        out->is_account = true;
        memcpy(out->role, a.role, sizeof out->role);
        memcpy(out->sponsor, a.sponsor, sizeof out->sponsor);
        out->enabled = a.enabled;
        out->created = a.created;
        out->updated = a.updated;
        memset(&a, 0, sizeof a); /* its stored key goes no further */
        return 0;
    }
    sqlite3_stmt *s;
    if ((rc = store__stmt(rd->st, sql_holder_any, &s, d)) != 0)
        return rc;
    sqlite3_bind_text(s, 1, handle, -1, SQLITE_TRANSIENT);
    rc = store__row(rd->st, s, "entity", d);
    sqlite3_reset(s);
    if (rc < 0)
        return rc;
    return rc == 1 ? 0 : diag_set(d, LANA_ENOTFOUND, "no entity %.*s",
                                  (int)text_cut(handle, strlen(handle), 80), handle);
}

/* Gives the blocks of a query that binds ?1 (text) and ?2 (limit) and selects BLOCK_COLS, each
 * with its parent's prefix; the rows are read whole first. */
static const char sql_parent[] = "SELECT family, start, plen, status FROM block WHERE id = ?1";

static int parent_prefix(struct regdata *rd, int64_t id, struct cidr *out, enum ipam_status *status,
                         struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(rd->st, sql_parent, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    if ((rc = store__row(rd->st, s, "parent", d)) == 1) {
        ipam__make_cidr(sqlite3_column_int(s, 0),
                        ipam__key_value(sqlite3_column_blob(s, 1), sqlite3_column_bytes(s, 1)),
                        (unsigned)sqlite3_column_int(s, 2), out);
        if (!ipam_status_parse((const char *)sqlite3_column_text(s, 3), status))
            *status = IPAM_POOL;
        sqlite3_reset(s);
    }
    return rc;
}

static int blocks_by(struct regdata *rd, const char *sql, const char *text, unsigned max,
                     int64_t scan, regdata_block_cb *cb, void *arg, bool *more, struct lana_diag *d)
{
    struct emitter e = {cb, arg, max, 0, false};
    struct ipam_block *v = malloc(((size_t)max + 1) * sizeof *v);
    unsigned n = 0;
    sqlite3_stmt *s;
    if (more != NULL)
        *more = false;
    if (v == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    int rc = store__stmt(rd->st, sql, &s, d);
    if (rc == 0) {
        sqlite3_bind_text(s, 1, text, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 2, (int64_t)max + 1);
        sqlite3_bind_int64(s, 3, scan);
        while (n <= max && (rc = ipam__step_block(rd->ip, s, &v[n], NULL, d)) == 1)
            n++;
        sqlite3_reset(s);
        rc = rc < 0 ? rc : 0;
    }
    for (unsigned i = 0; rc >= 0 && i < n; i++) {
        struct cidr p;
        enum ipam_status ps = IPAM_POOL;
        int has = v[i].parent_id != 0 ? parent_prefix(rd, v[i].parent_id, &p, &ps, d) : 0;
        rc = has < 0 ? has : emit(&e, &v[i], has == 1 ? &p : NULL, ps);
        if (rc != 0)
            break;
    }
    free(v);
    if (rc == 1 && e.more)
        rc = 0;
    if (more != NULL)
        *more = e.more;
    return rc;
}

static const char sql_holder_blocks[] = "SELECT " BLOCK_COLS " FROM block WHERE holder = ?1"
                                        " ORDER BY family, start, plen LIMIT ?2";

int regdata_holder_blocks(struct regdata *rd, const char *holder, unsigned max,
                          regdata_block_cb *cb, void *arg, bool *more, struct lana_diag *d)
{
    return blocks_by(rd, sql_holder_blocks, holder, max, 0, cb, arg, more, d);
}

/*
 * The blocks an account maintains: the subtrees of its delegation points (index block_mnt),
 * each followed down while the maintainer stays the same (a child maintained by another is
 * the other's delegation point; below it, a block of ours again is one of ours). The walk
 * is cut at ?3 rows so that admin (who maintains every undelegated block) costs a bound.
 */
static const char sql_mnt_blocks[] =
    "WITH RECURSIVE sub(bid) AS ("
    " SELECT id FROM block WHERE maintainer = ?1 AND delegated"
    " UNION ALL"
    " SELECT b.id FROM block b JOIN sub ON b.parent_id = sub.bid WHERE b.maintainer = ?1"
    " LIMIT ?3)"
    " SELECT " BLOCK_COLS " FROM sub JOIN block ON id = bid ORDER BY family, start, plen"
    " LIMIT ?2";

int regdata_mnt_blocks(struct regdata *rd, const char *account, unsigned max, regdata_block_cb *cb,
                       void *arg, bool *more, struct lana_diag *d)
{
    int64_t scan = (int64_t)max * SEARCH_SCAN + 1;
    return blocks_by(rd, sql_mnt_blocks, account, max, scan, cb, arg, more, d);
}

static const char sql_mnt_zones[] = "SELECT name FROM zone WHERE sponsor = ?1 OR registrant = ?1"
                                    " ORDER BY name LIMIT ?2";

int regdata_mnt_zones(struct regdata *rd, const char *account, unsigned max, regdata_zone_cb *cb,
                      void *arg, bool *more, struct lana_diag *d)
{
    char(*v)[DNAME_TEXT_MAX] = malloc(((size_t)max + 1) * sizeof *v);
    struct regdata_zone *z = malloc(sizeof *z);
    unsigned n = 0;
    sqlite3_stmt *s;
    if (more != NULL)
        *more = false;
    int rc = v == NULL || z == NULL ? diag_set(d, LANA_ENOMEM, "out of memory")
                                    : store__stmt(rd->st, sql_mnt_zones, &s, d);
    if (rc == 0) {
        sqlite3_bind_text(s, 1, account, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 2, (int64_t)max + 1);
        while (n <= max && (rc = store__row(rd->st, s, "zones", d)) == 1) {
            const char *name = (const char *)sqlite3_column_text(s, 0);
            if (name != NULL && snprintf(v[n], sizeof v[n], "%s", name) < (int)sizeof v[n])
                n++;
        }
        sqlite3_reset(s);
        rc = rc < 0 ? rc : 0;
    }
    for (unsigned i = 0; rc >= 0 && i < n && i < max; i++) {
        if ((rc = zone_of(rd, v[i], z, d)) == 0)
            rc = cb(z, arg);
        if (rc != 0)
            break;
    }
    if (more != NULL && rc >= 0)
        *more = n > max;
    free(v);
    free(z);
    return rc;
}
