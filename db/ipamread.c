/*
 * ipamread — the read side of ipam (see ipam.h): usage, children, the chain of containing
 * blocks, free-space lists and the JSON form of a block. Nothing here changes the registry.
 */
#include "db/ipam.h"

#include "db/ipam_int.h"

/* the walks' statements: keys of their own in the statement cache, so that a callback that
 * runs the same SQL through store__stmt never resets a walk under way */
static const char sql_children[] = "SELECT " BLOCK_COLS " FROM block WHERE parent_id = ?1"
                                   " ORDER BY start";
static const char sql_pools[] = IPAM_SQL_POOLS;

void ipam_block_json(struct jsonw *j, const struct ipam_block *b)
{
    jsonw_obj(j);
    ipam_block_json_members(j, b);
    jsonw_end(j);
}

void ipam_block_json_members(struct jsonw *j, const struct ipam_block *b)
{
    char t[CIDR_STRLEN];
    ipam__fmt(&b->prefix, t);
    jsonw_kstr(j, "prefix", t);
    jsonw_kint(j, "family", b->prefix.family);
    jsonw_kstr(j, "status", ipam_status_name(b->status));
    jsonw_kstr(j, "holder", b->holder);
    jsonw_kstr(j, "maintainer", b->maintainer);
    jsonw_kstr(j, "description", b->descr);
    jsonw_kint(j, "created", b->created);
    jsonw_kint(j, "updated", b->updated);
}

static const char sql_free_sum[] = "SELECT plen, count(*) FROM freespace WHERE parent_id = ?1"
                                   " GROUP BY plen";

int ipam_usage(struct ipam *ip, const struct ipam_block *b, struct ipam_usage *out,
               struct lana_diag *d)
{
    memset(out, 0, sizeof *out);
    int rc = ipam__count_query(ip, ipam__sql_count_children, b->id, &out->children, d);
    if (rc != 0 || out->children == 0)
        return rc;
    sqlite3_stmt *s;
    if ((rc = store__stmt(ip->st, sql_free_sum, &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, b->id);
    u128 free_n = 0;
    int step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        unsigned plen = (unsigned)sqlite3_column_int(s, 0);
        u128 cnt = (u128)sqlite3_column_int64(s, 1);
        free_n += cnt * ipam__span(b->prefix.family, plen);
    }
    if (step != SQLITE_DONE)
        rc = store__err(ip->st->db, d, "usage");
    sqlite3_reset(s);
    /* size - free, computed as (size - 1) - free + 1 so that ::/0 (2^128) does not overflow
     * unless it is entirely used, where the count saturates at 2^128 - 1 */
    u128 size_m1 = cidr_size_minus1(&b->prefix);
    out->used = size_m1 - free_n;
    if (out->used != ~(u128)0)
        out->used++;
    return rc;
}

static int each(struct ipam *ip, sqlite3_stmt *s, ipam_each_cb *cb, void *arg, struct lana_diag *d)
{
    struct ipam_block b;
    int rc;
    while ((rc = ipam__step_block(ip, s, &b, NULL, d)) == 1)
        if ((rc = cb(&b, arg)) != 0)
            break;
    sqlite3_reset(s);
    return rc < 0 ? rc : 0;
}

int ipam_children(struct ipam *ip, const struct ipam_block *parent, ipam_each_cb *cb, void *arg,
                  struct lana_diag *d)
{
    /* a callback may walk the tree below (recursion): then that walk prepares its own */
    sqlite3_stmt *s;
    bool own;
    int rc = store__stmt_walk(ip->st, parent ? sql_children : sql_pools, &s, &own, d);
    if (rc != 0)
        return rc;
    if (parent != NULL)
        sqlite3_bind_int64(s, 1, parent->id);
    rc = each(ip, s, cb, arg, d);
    store__stmt_end(s, own);
    return rc;
}

static const char sql_children_page[] = "SELECT " BLOCK_COLS " FROM block WHERE parent_id = ?1"
                                        " AND start > ?2 ORDER BY start LIMIT ?3";

int ipam_children_page(struct ipam *ip, const struct ipam_block *parent, const struct cidr *after,
                       unsigned limit, ipam_each_cb *cb, void *arg, struct lana_diag *d)
{
    /* one seek on block_child (parent_id, start) and limit steps: the cost of a page does not
     * grow with the number of siblings. Children never overlap, so start is unique among them.
     * As in ipam_children, a callback that walks the same way gets a statement of its own. */
    sqlite3_stmt *s;
    bool own;
    int rc = store__stmt_walk(ip->st, sql_children_page, &s, &own, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, parent->id);
    if (after != NULL)
        ipam__bind_key(s, 2, cidr_addr_u128(after));
    else
        sqlite3_bind_zeroblob(s, 2, 0); /* below every 16-byte key */
    sqlite3_bind_int64(s, 3, limit > 0 ? (int64_t)limit : -1);
    rc = each(ip, s, cb, arg, d);
    store__stmt_end(s, own);
    return rc;
}

int ipam_chain(struct ipam *ip, const struct cidr *prefix, ipam_each_cb *cb, void *arg,
               struct lana_diag *d)
{
    struct ipam_block b;
    bool split;
    int rc = ipam__pool_of(ip, prefix, &b, &split, d);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        char t[CIDR_STRLEN];
        ipam__fmt(prefix, t);
        return diag_set(d, LANA_ENOTFOUND, "%s lies outside every pool", t);
    }
    for (;;) {
        if ((rc = cb(&b, arg)) != 0)
            return rc;
        if (!split || b.prefix.plen == prefix->plen)
            return 0;
        rc = ipam__child_containing(ip, b.id, prefix, &b, &split, d);
        if (rc <= 0)
            return rc;
    }
}

static const char sql_free_list[] = "SELECT plen, start FROM freespace WHERE parent_id = ?1"
                                    " ORDER BY start LIMIT ?2";

int ipam_free_list(struct ipam *ip, const struct ipam_block *b, struct cidr *out, unsigned max,
                   unsigned *n, bool *more, struct lana_diag *d)
{
    *n = 0;
    *more = false;
    struct ipam_block again;
    bool split;
    int rc = ipam__find_exact(ip, &b->prefix, &again, &split, d);
    if (rc <= 0)
        return rc < 0 ? rc : diag_set(d, LANA_ENOTFOUND, "no such block");
    if (!split) {
        if (max > 0) {
            out[0] = b->prefix;
            *n = 1;
        }
        return 0;
    }
    sqlite3_stmt *s;
    if ((rc = store__stmt(ip->st, sql_free_list, &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, b->id);
    sqlite3_bind_int64(s, 2, (int64_t)max + 1);
    unsigned plen;
    u128 start;
    while ((rc = ipam__step_free(ip, s, &plen, &start, d)) == 1) {
        if (*n == max) {
            *more = true;
            break;
        }
        ipam__make_cidr(b->prefix.family, start, plen, &out[(*n)++]);
    }
    sqlite3_reset(s);
    return rc < 0 ? rc : 0;
}
