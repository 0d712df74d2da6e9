/*
 * ipam — see ipam.h.
 *
 * Free space: a block whose split flag is 0 has no children and is free as a whole, without
 * a row (so that a million leaf blocks cost no extra rows). On its first child it gets one
 * freespace row covering itself, which is then split: taking /N out of a free /F leaves one
 * free buddy at each length F+1..N. Releasing a block gives it back and merges it with its
 * buddy as long as the buddy is free, so the rows stay the maximal aligned free prefixes.
 *
 * This file holds the changes; the free space's rows are kept by ipamfree.c, the reads
 * (usage, children, chain, free lists, JSON) are in ipamread.c, and what they share is in
 * ipam_int.h.
 */
#include "db/ipam.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/jsonw.h"
#include "db/audit.h"
#include "db/authz.h"
#include "db/ipam_int.h"

static const char *const status_names[] = {"pool", "allocated", "assigned", "reserved"};

const char *ipam_status_name(enum ipam_status s)
{
    return (unsigned)s < 4 ? status_names[s] : "?";
}

bool ipam_status_parse(const char *s, enum ipam_status *out)
{
    for (unsigned i = 0; i < 4; i++)
        if (strcmp(s, status_names[i]) == 0) {
            *out = (enum ipam_status)i;
            return true;
        }
    return false;
}

int ipam_open(struct store *st, struct ipam **out, struct lana_diag *d)
{
    struct ipam *ip = calloc(1, sizeof *ip);
    if (ip == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    ip->st = st;
    jsonw_init(&ip->before);
    jsonw_init(&ip->after);
    *out = ip;
    return 0;
}

void ipam_close(struct ipam *ip)
{
    if (ip == NULL)
        return;
    jsonw_free(&ip->before);
    jsonw_free(&ip->after);
    free(ip);
}

/* ---- rows ------------------------------------------------------------------------------- */


static void copy_text(char *dst, const unsigned char *src)
{
    size_t n = src ? strnlen((const char *)src, IPAM_TEXT_MAX - 1) : 0;
    if (n > 0)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

static void read_block(sqlite3_stmt *s, struct ipam_block *b, bool *split)
{
    b->id = sqlite3_column_int64(s, 0);
    int family = sqlite3_column_int(s, 1);
    u128 start = ipam__key_value(sqlite3_column_blob(s, 2), sqlite3_column_bytes(s, 2));
    ipam__make_cidr(family, start, (unsigned)sqlite3_column_int(s, 3), &b->prefix);
    b->parent_id = sqlite3_column_int64(s, 4);
    if (!ipam_status_parse((const char *)sqlite3_column_text(s, 5), &b->status))
        b->status = IPAM_RESERVED;
    copy_text(b->holder, sqlite3_column_text(s, 6));
    copy_text(b->descr, sqlite3_column_text(s, 7));
    b->created = sqlite3_column_int64(s, 8);
    b->updated = sqlite3_column_int64(s, 9);
    if (split != NULL)
        *split = sqlite3_column_int(s, 10) != 0;
    const char *m = (const char *)sqlite3_column_text(s, 11);
    snprintf(b->maintainer, sizeof b->maintainer, "%s", m ? m : "");
}

/* Steps a prepared block query: 1 with *b set, 0 for no row, <0 on error. */
int ipam__step_block(struct ipam *ip, sqlite3_stmt *s, struct ipam_block *b, bool *split,
                      struct lana_diag *d)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        read_block(s, b, split);
        return 1;
    }
    if (rc == SQLITE_DONE)
        return 0;
    return store__err(ip->st->db, d, "block query");
}

static const char sql_get[] = "SELECT " BLOCK_COLS " FROM block WHERE family = ?1 AND start = ?2"
                              " AND plen = ?3";

int ipam__find_exact(struct ipam *ip, const struct cidr *p, struct ipam_block *b, bool *split,
                      struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(ip->st, sql_get, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int(s, 1, p->family);
    ipam__bind_key(s, 2, cidr_addr_u128(p));
    sqlite3_bind_int(s, 3, p->plen);
    rc = ipam__step_block(ip, s, b, split, d);
    /* the row is copied: a statement left on it would hold a read snapshot open, and the
     * writer's next BEGIN IMMEDIATE would fail once another connection had committed */
    sqlite3_reset(s);
    return rc;
}

int ipam_get(struct ipam *ip, const struct cidr *prefix, struct ipam_block *out,
             struct lana_diag *d)
{
    int rc = ipam__find_exact(ip, prefix, out, NULL, d);
    if (rc == 0) {
        char t[CIDR_STRLEN];
        ipam__fmt(prefix, t);
        return diag_set(d, LANA_ENOTFOUND, "%s: no such block", t);
    }
    return rc < 0 ? rc : 0;
}

const char ipam__sql_pools[] = IPAM_SQL_POOLS;
static const char sql_child_at[] = "SELECT " BLOCK_COLS " FROM block WHERE parent_id = ?1"
                                   " AND start <= ?2 ORDER BY start DESC LIMIT 1";
static const char sql_child_in[] = "SELECT " BLOCK_COLS " FROM block WHERE parent_id = ?1"
                                   " AND start >= ?2 AND start <= ?3 ORDER BY start LIMIT 1";

/* The root pool that contains p (1), or none (0). */
int ipam__pool_of(struct ipam *ip, const struct cidr *p, struct ipam_block *b, bool *split,
                   struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(ip->st, ipam__sql_pools, &s, d);
    if (rc != 0)
        return rc;
    while ((rc = ipam__step_block(ip, s, b, split, d)) == 1)
        if (cidr_contains(&b->prefix, p))
            break;
    sqlite3_reset(s);
    return rc;
}

/* The child of parent that starts at or before p's first address (1), or none (0). */
static int child_at(struct ipam *ip, int64_t parent, const struct cidr *p, struct ipam_block *b,
                    bool *split, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(ip->st, sql_child_at, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, parent);
    ipam__bind_key(s, 2, cidr_addr_u128(p));
    rc = ipam__step_block(ip, s, b, split, d);
    sqlite3_reset(s);
    return rc;
}

/* The child of parent whose range contains p (1), or none (0). */
int ipam__child_containing(struct ipam *ip, int64_t parent, const struct cidr *p,
                            struct ipam_block *b, bool *split, struct lana_diag *d)
{
    int rc = child_at(ip, parent, p, b, split, d);
    return rc == 1 && !cidr_contains(&b->prefix, p) ? 0 : rc;
}

/* Some child of parent that overlaps p (1), or none (0): the one starting at or before p, or
 * the first one starting inside p. */
static int child_overlapping(struct ipam *ip, int64_t parent, const struct cidr *p,
                             struct ipam_block *b, struct lana_diag *d)
{
    int rc = child_at(ip, parent, p, b, NULL, d);
    if (rc < 0 || (rc == 1 && cidr_overlaps(&b->prefix, p)))
        return rc;
    sqlite3_stmt *s;
    if ((rc = store__stmt(ip->st, sql_child_in, &s, d)) != 0)
        return rc;
    struct cidr last;
    cidr_last(p, &last);
    sqlite3_bind_int64(s, 1, parent);
    ipam__bind_key(s, 2, cidr_addr_u128(p));
    ipam__bind_key(s, 3, cidr_addr_u128(&last));
    rc = ipam__step_block(ip, s, b, NULL, d);
    sqlite3_reset(s);
    return rc;
}

/*
 * The most specific block strictly containing p, or p's own block when exact is allowed.
 * Returns 1 with *b, 0 when no pool contains p.
 */
static int deepest(struct ipam *ip, const struct cidr *p, struct ipam_block *b, bool *split,
                   struct lana_diag *d)
{
    int rc = ipam__pool_of(ip, p, b, split, d);
    if (rc != 1)
        return rc;
    for (;;) {
        struct ipam_block c;
        bool csplit;
        if (!*split)
            return 1; /* no children */
        rc = ipam__child_containing(ip, b->id, p, &c, &csplit, d);
        if (rc < 0)
            return rc;
        if (rc == 0 || (c.prefix.plen == p->plen))
            return 1; /* nothing deeper, or c is p itself: b is the enclosing block */
        *b = c;
        *split = csplit;
    }
}

/* ---- savepoints -------------------------------------------------------------------------- */

/* Each mutating call is one store savepoint (store_sp_begin/end), unless the caller undoes the
 * whole enclosing unit on any failure anyway (ipam_set_atomic). */
static int sp_begin(struct ipam *ip, struct lana_diag *d)
{
    return ip->no_savepoints ? 0 : store_sp_begin(ip->st, d);
}

void ipam_set_atomic(struct ipam *ip, bool atomic)
{
    ip->no_savepoints = !atomic;
}

/* Ends the savepoint: kept when rc is 0, undone otherwise. Returns rc (or a release error). */
static int sp_end(struct ipam *ip, int rc, struct lana_diag *d)
{
    return ip->no_savepoints ? rc : store_sp_end(ip->st, rc, d);
}

/* ---- free space (the rest is in ipamfree.c) ------------------------------------------ */

static const char sql_free_is[] = "SELECT 1 FROM freespace WHERE parent_id = ?1 AND plen = ?2"
                                  " AND start = ?3";

/* Reads one (plen, start) row of a freespace query: 1, 0 for none, <0 error. */
int ipam__step_free(struct ipam *ip, sqlite3_stmt *s, unsigned *plen, u128 *start,
                     struct lana_diag *d)
{
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *plen = (unsigned)sqlite3_column_int(s, 0);
        *start = ipam__key_value(sqlite3_column_blob(s, 1), sqlite3_column_bytes(s, 1));
        return 1;
    }
    return rc == SQLITE_DONE ? 0 : store__err(ip->st->db, d, "free space");
}

/* ---- changes ------------------------------------------------------------------------------ */

static int audit(struct ipam *ip, const char *actor, const char *action, const struct cidr *p,
                 const struct ipam_block *before, const struct ipam_block *after,
                 struct lana_diag *d)
{
    char t[CIDR_STRLEN];
    ipam__fmt(p, t);
    jsonw_reset(&ip->before);
    jsonw_reset(&ip->after);
    if (before != NULL)
        ipam_block_json(&ip->before, before);
    if (after != NULL)
        ipam_block_json(&ip->after, after);
    if (!jsonw_ok(&ip->before) || !jsonw_ok(&ip->after))
        return diag_set(d, LANA_ENOMEM, "out of memory");
    return audit_add(ip->st, actor ? actor : "", action, t, before ? ip->before.s : NULL,
                     after ? ip->after.s : NULL, d);
}

static const char sql_insert[] =
    "INSERT INTO block (family, start, plen, parent_id, status, holder, descr, created, updated,"
    " maintainer, delegated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10)";

/* Inserts b under a parent maintained by pm (NULL for a pool): a delegation point when
 * their maintainers differ (db/schema.sql). */
static int insert_block(struct ipam *ip, struct ipam_block *b, const char *pm, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(ip->st, sql_insert, &s, d);
    if (rc != 0)
        return rc;
    b->created = b->updated = (int64_t)time(NULL);
    sqlite3_bind_int(s, 1, b->prefix.family);
    ipam__bind_key(s, 2, cidr_addr_u128(&b->prefix));
    sqlite3_bind_int(s, 3, b->prefix.plen);
    if (b->parent_id != 0)
        sqlite3_bind_int64(s, 4, b->parent_id);
    sqlite3_bind_text(s, 5, ipam_status_name(b->status), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, b->holder, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, b->descr, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 8, b->created);
    const char *m = b->maintainer[0] ? b->maintainer : "admin";
    sqlite3_bind_text(s, 9, m, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 10, pm == NULL || strcmp(pm, m) != 0);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = store__err(ip->st->db, d, "insert block");
    else
        b->id = sqlite3_last_insert_rowid(ip->st->db);
    sqlite3_reset(s);
    return rc;
}

static int check_text(const char *what, const char *v, struct lana_diag *d)
{
    if (v == NULL)
        return 0;
    size_t n = strlen(v);
    if (n >= IPAM_TEXT_MAX)
        return diag_set(d, LANA_ERANGE, "%s longer than %d bytes", what, IPAM_TEXT_MAX - 1);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
            return diag_set(d, LANA_EPARSE, "%s holds a control character", what);
    return 0;
}

static void fill(struct ipam_block *b, const struct cidr *p, int64_t parent,
                 enum ipam_status status, const char *holder, const char *descr)
{
    b->maintainer[0] = '\0';
    b->id = 0;
    b->created = b->updated = 0;
    b->prefix = *p;
    b->parent_id = parent;
    b->status = status;
    copy_text(b->holder, (const unsigned char *)holder);
    copy_text(b->descr, (const unsigned char *)descr);
}

int ipam_pool_add(struct ipam *ip, const struct cidr *prefix, const char *descr,
                  const char *actor, struct ipam_block *out, struct lana_diag *d)
{
    int rc = check_text("description", descr, d);
    if (rc != 0 || (rc = authz_admin(ip->st, "adding a root pool", d)) != 0)
        return rc;
    char t[CIDR_STRLEN], u[CIDR_STRLEN];
    ipam__fmt(prefix, t);
    if (!cidr_is_aligned(prefix))
        return diag_set(d, LANA_EPARSE, "%s: host bits set", t);
    sqlite3_stmt *s;
    if ((rc = store__stmt(ip->st, ipam__sql_pools, &s, d)) != 0)
        return rc;
    struct ipam_block b;
    while ((rc = ipam__step_block(ip, s, &b, NULL, d)) == 1)
        if (cidr_overlaps(&b.prefix, prefix))
            break;
    sqlite3_reset(s);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        ipam__fmt(&b.prefix, u);
        return diag_set(d, LANA_ECONFLICT, "%s overlaps the pool %s", t, u);
    }
    fill(&b, prefix, 0, IPAM_POOL, "", descr);
    snprintf(b.maintainer, sizeof b.maintainer, "admin");
    if ((rc = sp_begin(ip, d)) != 0)
        return rc;
    rc = insert_block(ip, &b, NULL, d);
    if (rc == 0)
        rc = audit(ip, actor, "pool.add", prefix, NULL, &b, d);
    if ((rc = sp_end(ip, rc, d)) == 0 && out != NULL)
        *out = b;
    return rc;
}

static const char sql_delete[] = "DELETE FROM block WHERE id = ?1";
const char ipam__sql_count_children[] = "SELECT count(*) FROM block WHERE parent_id = ?1";
static const char sql_count_sub[] =
    "WITH RECURSIVE sub(id) AS (SELECT id FROM block WHERE parent_id = ?1"
    " UNION ALL SELECT b.id FROM block b JOIN sub ON b.parent_id = sub.id) SELECT count(*) FROM sub";

int ipam__count_query(struct ipam *ip, const char *sql, int64_t id, int64_t *n, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(ip->st, sql, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    if (sqlite3_step(s) == SQLITE_ROW)
        *n = sqlite3_column_int64(s, 0);
    else
        rc = store__err(ip->st->db, d, "count");
    sqlite3_reset(s);
    return rc;
}

static int delete_block(struct ipam *ip, int64_t id, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(ip->st, sql_delete, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = store__err(ip->st->db, d, "delete block");
    sqlite3_reset(s);
    return rc;
}

int ipam_pool_del(struct ipam *ip, const struct cidr *prefix, const char *actor,
                  struct lana_diag *d)
{
    struct ipam_block b;
    char t[CIDR_STRLEN];
    ipam__fmt(prefix, t);
    int rc = authz_admin(ip->st, "removing a root pool", d);
    if (rc != 0 || (rc = ipam__find_exact(ip, prefix, &b, NULL, d)) < 0)
        return rc;
    if (rc == 0 || b.status != IPAM_POOL)
        return diag_set(d, LANA_ENOTFOUND, "%s: no such pool", t);
    int64_t n = 0;
    if ((rc = ipam__count_query(ip, ipam__sql_count_children, b.id, &n, d)) != 0)
        return rc;
    if (n > 0)
        return diag_set(d, LANA_ECONFLICT, "%s: %lld block%s allocated from it; release them first",
                        t, (long long)n, n == 1 ? "" : "s");
    if ((rc = sp_begin(ip, d)) != 0)
        return rc;
    rc = delete_block(ip, b.id, d);
    if (rc == 0)
        rc = audit(ip, actor, "pool.del", prefix, &b, NULL, d);
    return sp_end(ip, rc, d);
}

/*
 * Whether a block nb may be made inside p: the acting account has authority over p
 * (db/authz.h), p is not reserved, an assigned p holds host addresses only, and the account
 * may hand the new block to nb->to. Authority comes first: a block of someone else's is
 * refused as such (LANA_EPERM), whatever its status. Sets the new block's maintainer into m.
 * 0, LANA_ECONFLICT, LANA_EPERM, LANA_ENOTFOUND (no such account), LANA_EDB.
 */
static int parent_usable(struct ipam *ip, const struct ipam_block *p, const struct ipam_new *nb,
                         char m[ACCOUNT_NAME_MAX], struct lana_diag *d)
{
    char t[CIDR_STRLEN];
    ipam__fmt(&p->prefix, t);
    /* authority first: who may not create here learns nothing more about the block */
    int rc = authz_block(ip->st, p->id, true, d);
    if (rc != 0)
        return rc;
    if (p->status == IPAM_RESERVED)
        return diag_set(d, LANA_ECONFLICT, "%s is reserved: nothing can be taken from it", t);
    if (p->status == IPAM_ASSIGNED && !nb->host)
        return diag_set(d, LANA_ECONFLICT,
                        "%s is assigned: it holds host addresses only (host add), no further "
                        "blocks",
                        t);
    const struct authz_who *w = authz_actor(ip->st);
    if (nb->to != NULL && (rc = authz_hand_block(ip->st, nb->to, ipam_status_name(nb->status), d)) != 0)
        return rc;
    snprintf(m, ACCOUNT_NAME_MAX, "%s", nb->to ? nb->to : w ? w->name : p->maintainer);
    return 0;
}

int ipam_alloc(struct ipam *ip, const struct cidr *parent, unsigned plen, enum ipam_status status,
               const char *holder, const char *descr, const char *actor, struct ipam_block *out,
               struct lana_diag *d)
{
    struct ipam_new nb = {.status = status, .holder = holder, .descr = descr};
    return ipam_alloc_new(ip, parent, plen, &nb, actor, out, d);
}

int ipam_alloc_new(struct ipam *ip, const struct cidr *parent, unsigned plen,
                   const struct ipam_new *nb, const char *actor, struct ipam_block *out,
                   struct lana_diag *d)
{
    enum ipam_status status = nb->status;
    const char *holder = nb->holder, *descr = nb->descr;
    char m[ACCOUNT_NAME_MAX];
    int rc;
    if ((rc = check_text("holder", holder, d)) != 0 || (rc = check_text("description", descr, d)) != 0)
        return rc;
    if (status == IPAM_POOL)
        return diag_set(d, LANA_EPARSE, "a pool is added with 'pool add', not allocated");
    struct ipam_block p;
    bool split;
    char t[CIDR_STRLEN];
    ipam__fmt(parent, t);
    if ((rc = ipam__find_exact(ip, parent, &p, &split, d)) < 0)
        return rc;
    if (rc == 0)
        return diag_set(d, LANA_ENOTFOUND, "%s: no such block", t);
    if ((rc = parent_usable(ip, &p, nb, m, d)) != 0)
        return rc;
    if (plen <= parent->plen || plen > cidr_bits(parent))
        return diag_set(d, LANA_ERANGE, "/%u does not fit strictly inside %s (/%u..%u)", plen, t,
                        parent->plen + 1, cidr_bits(parent));
    if ((rc = sp_begin(ip, d)) != 0)
        return rc;
    if ((rc = ipam__ensure_split(ip, &p, split, d)) != 0)
        return sp_end(ip, rc, d);
    unsigned fplen = 0;
    u128 fstart = 0, want = 0;
    if ((rc = ipam__best_free(ip, &p, plen, nb->host, &fplen, &fstart, &want, d)) == 0)
        rc = nb->host && plen == cidr_bits(parent)
                 ? diag_set(d, LANA_EEXHAUSTED, "%s has no free host address left", t)
                 : diag_set(d, LANA_EEXHAUSTED, "%s has no free /%u left", t, plen);
    if (rc < 0)
        return sp_end(ip, rc, d);
    struct cidr c;
    ipam__make_cidr(parent->family, want, plen, &c);
    struct ipam_block b;
    fill(&b, &c, p.id, status, holder, descr);
    memcpy(b.maintainer, m, sizeof b.maintainer);
    rc = ipam__carve(ip, p.id, parent->family, fplen, fstart, plen, want, d);
    if (rc == 0)
        rc = insert_block(ip, &b, p.maintainer, d);
    if (rc == 0)
        rc = audit(ip, actor, "block.alloc", &c, NULL, &b, d);
    if ((rc = sp_end(ip, rc, d)) == 0 && out != NULL)
        *out = b;
    return rc;
}

static int describe_conflict(struct ipam *ip, const struct ipam_block *p, const struct cidr *x,
                             struct lana_diag *d)
{
    struct ipam_block c;
    char t[CIDR_STRLEN], u[CIDR_STRLEN];
    ipam__fmt(x, t);
    int rc = child_overlapping(ip, p->id, x, &c, d);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return diag_set(d, LANA_ECONFLICT, "%s is not free", t);
    ipam__fmt(&c.prefix, u);
    return diag_set(d, LANA_ECONFLICT, "%s overlaps %s (%s%s%s)", t, u, ipam_status_name(c.status),
                    c.holder[0] ? ", held by " : "", c.holder);
}

int ipam_take(struct ipam *ip, const struct cidr *prefix, enum ipam_status status,
              const char *holder, const char *descr, const char *actor, struct ipam_block *out,
              struct lana_diag *d)
{
    struct ipam_new nb = {.status = status, .holder = holder, .descr = descr};
    return ipam_take_new(ip, prefix, &nb, actor, out, d);
}

int ipam_take_new(struct ipam *ip, const struct cidr *prefix, const struct ipam_new *nb,
                  const char *actor, struct ipam_block *out, struct lana_diag *d)
{
    enum ipam_status status = nb->status;
    const char *holder = nb->holder, *descr = nb->descr;
    char m[ACCOUNT_NAME_MAX];
    int rc;
    if ((rc = check_text("holder", holder, d)) != 0 || (rc = check_text("description", descr, d)) != 0)
        return rc;
    char t[CIDR_STRLEN];
    ipam__fmt(prefix, t);
    if (status == IPAM_POOL)
        return diag_set(d, LANA_EPARSE, "a pool is added with 'pool add'");
    if (!cidr_is_aligned(prefix))
        return diag_set(d, LANA_EPARSE, "%s: host bits set", t);
    struct ipam_block p, x;
    bool split;
    if ((rc = ipam__find_exact(ip, prefix, &x, NULL, d)) < 0)
        return rc;
    if (rc == 1) { /* someone else's: that it exists is all it learns */
        if ((rc = authz_block(ip->st, x.id, true, d)) != 0)
            return rc;
        return diag_set(d, LANA_ECONFLICT, "%s is already registered (%s%s%s)", t,
                        ipam_status_name(x.status), x.holder[0] ? ", held by " : "", x.holder);
    }
    if ((rc = deepest(ip, prefix, &p, &split, d)) < 0)
        return rc;
    if (rc == 0)
        return diag_set(d, LANA_ENOTFOUND, "%s lies outside every pool", t);
    if ((rc = parent_usable(ip, &p, nb, m, d)) != 0)
        return rc;
    enum cidr_role role = cidr_role_in(&p.prefix, prefix);
    if (nb->host && !nb->force && role != CIDR_ROLE_HOST) {
        char a[CIDR_STRLEN], u[CIDR_STRLEN];
        ipam__fmt(&p.prefix, u);
        if (cidr_format_addr(prefix, a, sizeof a) < 0)
            a[0] = '\0';
        return diag_set(d, LANA_ERANGE,
                        "%s is the %s of %s, not a host's (--force registers it anyway)", a,
                        cidr_role_name(role), u);
    }
    if ((rc = sp_begin(ip, d)) != 0)
        return rc;
    if ((rc = ipam__ensure_split(ip, &p, split, d)) != 0)
        return sp_end(ip, rc, d);
    /* the free prefix holding it, if any, is one of its aligned ancestors inside the parent:
     * at most one point lookup per bit, with no second index to keep on every change */
    sqlite3_stmt *s;
    if ((rc = store__stmt(ip->st, sql_free_is, &s, d)) != 0)
        return sp_end(ip, rc, d);
    u128 want = cidr_addr_u128(prefix);
    unsigned fplen = 0;
    u128 fstart = 0;
    for (unsigned k = p.prefix.plen; k <= prefix->plen && rc == 0; k++) {
        u128 start = k == 0 ? 0 : want & ~(ipam__span(prefix->family, k) - 1);
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, p.id);
        sqlite3_bind_int(s, 2, (int)k);
        ipam__bind_key(s, 3, start);
        int step = sqlite3_step(s);
        if (step == SQLITE_ROW) {
            fplen = k;
            fstart = start;
            rc = 1;
        } else if (step != SQLITE_DONE) {
            rc = store__err(ip->st->db, d, "free space");
        }
    }
    sqlite3_reset(s);
    if (rc == 0)
        rc = describe_conflict(ip, &p, prefix, d);
    if (rc < 0)
        return sp_end(ip, rc, d);
    struct ipam_block b;
    fill(&b, prefix, p.id, status, holder, descr);
    memcpy(b.maintainer, m, sizeof b.maintainer);
    rc = ipam__carve(ip, p.id, prefix->family, fplen, fstart, prefix->plen, want, d);
    if (rc == 0)
        rc = insert_block(ip, &b, p.maintainer, d);
    if (rc == 0)
        rc = audit(ip, actor,
                   status == IPAM_RESERVED   ? "block.reserve"
                   : status == IPAM_ASSIGNED ? "block.assign"
                                             : "block.allocate",
                   prefix, NULL, &b, d);
    if ((rc = sp_end(ip, rc, d)) == 0 && out != NULL)
        *out = b;
    return rc;
}

static const char sql_by_id[] = "SELECT " BLOCK_COLS " FROM block WHERE id = ?1";

int ipam_release(struct ipam *ip, const struct cidr *prefix, bool recursive, const char *actor,
                 int64_t *released, struct lana_diag *d)
{
    struct ipam_block b, p;
    char t[CIDR_STRLEN];
    ipam__fmt(prefix, t);
    int rc = ipam__find_exact(ip, prefix, &b, NULL, d);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return diag_set(d, LANA_ENOTFOUND, "%s: no such block", t);
    if (b.status == IPAM_POOL)
        return diag_set(d, LANA_ECONFLICT, "%s is a pool: remove it with 'pool del'", t);
    if ((rc = authz_block(ip->st, b.id, false, d)) != 0)
        return rc;
    int64_t n = 0;
    const char *count_sql = recursive ? sql_count_sub : ipam__sql_count_children;
    if ((rc = ipam__count_query(ip, count_sql, b.id, &n, d)) != 0)
        return rc;
    if (n > 0 && !recursive)
        return diag_set(d, LANA_ECONFLICT, "%s holds %lld block%s: release them first, or use --recursive",
                        t, (long long)n, n == 1 ? "" : "s");
    sqlite3_stmt *s;
    if ((rc = store__stmt(ip->st, sql_by_id, &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, b.parent_id);
    rc = ipam__step_block(ip, s, &p, NULL, d);
    sqlite3_reset(s);
    if (rc <= 0)
        return rc < 0 ? rc : diag_set(d, LANA_EDB, "%s: parent block missing", t);
    if ((rc = sp_begin(ip, d)) != 0)
        return rc;
    rc = delete_block(ip, b.id, d); /* children and free rows go with it (ON DELETE CASCADE) */
    if (rc == 0)
        rc = ipam__give_back(ip, &p, prefix->family, prefix->plen, cidr_addr_u128(prefix), d);
    if (rc == 0)
        rc = audit(ip, actor, "block.release", prefix, &b, NULL, d);
    if ((rc = sp_end(ip, rc, d)) == 0 && released != NULL)
        *released = n + 1;
    return rc;
}

static const char sql_update[] = "UPDATE block SET holder = ?2, descr = ?3, updated = ?4 WHERE id = ?1";

int ipam_update(struct ipam *ip, const struct cidr *prefix, const char *holder, const char *descr,
                const char *actor, struct ipam_block *out, struct lana_diag *d)
{
    int rc;
    if ((rc = check_text("holder", holder, d)) != 0 || (rc = check_text("description", descr, d)) != 0)
        return rc;
    struct ipam_block b, a;
    if ((rc = ipam_get(ip, prefix, &b, d)) != 0 || (rc = authz_block(ip->st, b.id, false, d)) != 0)
        return rc;
    a = b;
    if (holder != NULL) /* check_text: shorter than IPAM_TEXT_MAX */
        copy_text(a.holder, (const unsigned char *)holder);
    if (descr != NULL)
        copy_text(a.descr, (const unsigned char *)descr);
    a.updated = (int64_t)time(NULL);
    sqlite3_stmt *s;
    if ((rc = sp_begin(ip, d)) != 0)
        return rc;
    if ((rc = store__stmt(ip->st, sql_update, &s, d)) == 0) {
        sqlite3_bind_int64(s, 1, a.id);
        sqlite3_bind_text(s, 2, a.holder, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, a.descr, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 4, a.updated);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = store__err(ip->st->db, d, "update block");
        sqlite3_reset(s);
    }
    if (rc == 0)
        rc = audit(ip, actor, "block.update", prefix, &b, &a, d);
    if ((rc = sp_end(ip, rc, d)) == 0 && out != NULL)
        *out = a;
    return rc;
}
