/*
 * cmd_block — the block rows of the command table (alloc, assign, reserve, release, update,
 * show, list, tree) and the block replies that pool and whois share: a block's members with
 * its exact size and use, listings and trees (at most TREE_MAX entries, then "truncated").
 */
#include <stdio.h>

#include "common/num.h"
#include "db/regdata.h"
#include "server/cmd_int.h"

typedef unsigned __int128 u128;

#define TREE_MAX 100000 /* entries in one tree reply */

static void u128_json(struct jsonw *j, const char *key, u128 v)
{
    char buf[48];
    num_format_u128(v, buf, sizeof buf);
    jsonw_kstr(j, key, buf); /* as a string: JSON numbers lose precision above 2^53 */
}

/* The block's members followed by its size and use; the caller closes the object. */
static int block_fields(struct cmd_ctx *c, const struct ipam_block *b, bool fresh, struct jsonw *j,
                        struct lana_diag *d)
{
    ipam_block_json_members(j, b);
    struct ipam_usage u = {0, 0};
    int rc = fresh ? 0 : ipam_usage(c->ip, b, &u, d); /* a block just made holds nothing */
    if (rc != 0)
        return rc;
    u128 size_m1 = cidr_size_minus1(&b->prefix);
    char buf[48] = "340282366920938463463374607431768211456"; /* 2^128: ::/0 */
    if (size_m1 != ~(u128)0)
        num_format_u128(size_m1 + 1, buf, sizeof buf);
    jsonw_kstr(j, "size", buf);
    u128_json(j, "used", u.used);
    jsonw_kint(j, "children", u.children);
    long double pct = (long double)u.used / ((long double)size_m1 + 1.0L) * 100.0L;
    char num[64] = "0.000000";
    if (u.used > 0) {
        int n = snprintf(num, sizeof num, "%.6Lf", pct);
        if (n < 0 || (size_t)n >= sizeof num) /* at most "100.000000" */
            return diag_set(d, LANA_ENOSPACE, "percentage does not fit");
    }
    jsonw_key(j, "percent");
    jsonw_json(j, num);
    return 0;
}

enum regproto_code cmd__ok_block(struct cmd_ctx *c, const char *key, const struct ipam_block *b,
                                 bool fresh, struct jsonw *j)
{
    struct lana_diag d;
    cmd__ok_open(j);
    jsonw_key(j, key);
    jsonw_obj(j);
    int rc = block_fields(c, b, fresh, j, &d);
    if (rc != 0)
        return cmd__fail(j, rc, &d);
    jsonw_end(j);
    jsonw_end(j);
    return RP_OK;
}

struct listing {
    struct cmd_ctx *c;
    struct jsonw *j;
    struct lana_diag *d;
    int depth, max_depth;
    int64_t count;
    bool truncated;
};

static int list_cb(const struct ipam_block *b, void *arg)
{
    struct listing *l = arg;
    if (l->count >= TREE_MAX || jsonw_over(l->j)) {
        l->truncated = true;
        return 1;
    }
    l->count++;
    jsonw_obj(l->j);
    if (l->max_depth >= 0)
        jsonw_kint(l->j, "depth", l->depth);
    int rc = block_fields(l->c, b, false, l->j, l->d);
    jsonw_end(l->j);
    if (rc != 0)
        return rc;
    if (l->max_depth >= 0 && l->depth < l->max_depth) {
        l->depth++;
        rc = ipam_children(l->c->ip, b, list_cb, l, l->d);
        l->depth--;
    }
    return rc;
}

enum regproto_code cmd__listing(struct cmd_ctx *c, const char *key, const struct ipam_block *parent,
                                bool self, int max_depth, struct jsonw *j)
{
    struct lana_diag d;
    struct listing l = {c, j, &d, 0, max_depth, 0, false};
    cmd__ok_open(j);
    jsonw_key(j, key);
    jsonw_arr(j);
    int rc = self ? list_cb(parent, &l) : ipam_children(c->ip, parent, list_cb, &l, &d);
    if (rc < 0)
        return cmd__fail(j, rc, &d);
    jsonw_end(j);
    if (l.truncated)
        jsonw_kbool(j, "truncated", true);
    jsonw_end(j);
    return RP_OK;
}

static int chain_cb(const struct regdata_block *b, void *arg)
{
    struct listing *l = arg;
    jsonw_obj(l->j);
    int rc = block_fields(l->c, &b->b, false, l->j, l->d);
    jsonw_end(l->j);
    return rc;
}

/* The chain as the registration data layer gives it (db/regdata.h), the one that port 43 and
 * RDAP read too, so that the three cannot disagree. */
int cmd__chain(struct cmd_ctx *c, const struct cidr *p, struct jsonw *j, struct lana_diag *d)
{
    struct listing l = {c, j, d, 0, -1, 0, false};
    struct regdata *rd;
    int rc = regdata_open(c->st, &rd, d);
    if (rc != 0)
        return rc;
    jsonw_arr(j);
    rc = regdata_ip(rd, p, REGDATA_IP_CHAIN, CIDR_V6_BITS + 2, chain_cb, &l, NULL, d);
    jsonw_end(j);
    regdata_close(rd);
    return rc;
}

static enum regproto_code plen_arg(const char *s, const struct cidr *parent, unsigned *plen,
                                   struct jsonw *j)
{
    uint64_t v;
    struct lana_diag d;
    if (*s != '/') /* "block alloc P 24": a prefix length is always written /24 */
        return cmd_error(j, RP_USAGE,
                         "%.8s: the size of the new block is written /%.8s (with its slash)", s, s);
    s++;
    if (num_parse_u64(s, 0, cidr_bits(parent), &v, &d) != 0)
        return cmd_error(j, RP_INVALID, "prefix length /%s: must be 0..%u", s, cidr_bits(parent));
    *plen = (unsigned)v;
    return RP_OK;
}

/* PARENT /N: the next free one of that size; PREFIX: this one. The row allows 1..2 words. */
static enum regproto_code take(struct cmd_ctx *c, const struct cmd_args *a, enum ipam_status st,
                               struct jsonw *j)
{
    struct lana_diag d;
    struct cidr p;
    struct ipam_block b;
    enum regproto_code rc;
    int e;
    if ((rc = cmd__prefix(a->pos[0], &p, j)) != RP_OK)
        return rc;
    struct ipam_new nb = {.status = st, .holder = a->holder, .descr = a->desc, .to = a->to};
    if (a->npos == 2) {
        unsigned plen = 0;
        if ((rc = plen_arg(a->pos[1], &p, &plen, j)) != RP_OK)
            return rc;
        e = ipam_alloc_new(c->ip, &p, plen, &nb, c->actor, &b, &d);
    } else {
        e = ipam_take_new(c->ip, &p, &nb, c->actor, &b, &d);
    }
    return e ? cmd__fail(j, e, &d) : cmd__ok_block(c, "block", &b, true, j);
}

enum regproto_code cmd__block_alloc(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    return take(c, a, a->assign ? IPAM_ASSIGNED : IPAM_ALLOCATED, j);
}

enum regproto_code cmd__block_assign(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    return take(c, a, IPAM_ASSIGNED, j);
}

enum regproto_code cmd__block_reserve(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    return take(c, a, IPAM_RESERVED, j); /* the row allows the PREFIX form only */
}

/* s as a prefix in *p and the block registered at it in *b: RP_OK, or the error reply. */
static enum regproto_code block_at(struct cmd_ctx *c, const char *s, struct cidr *p,
                                   struct ipam_block *b, struct jsonw *j)
{
    struct lana_diag d;
    enum regproto_code rc = cmd__prefix(s, p, j);
    if (rc != RP_OK)
        return rc;
    int e = ipam_get(c->ip, p, b, &d);
    return e ? cmd__fail(j, e, &d) : RP_OK;
}

enum regproto_code cmd__block_release(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    struct cidr p;
    struct ipam_block b;
    enum regproto_code rc;
    int e;
    if ((rc = block_at(c, a->pos[0], &p, &b, j)) != RP_OK)
        return rc;
    /* host_release_block refuses a block that holds host addresses (naming the hosts), or
     * with --recursive deletes those hosts with it, so no address keeps a stale name */
    int64_t n = 0, hosts = 0;
    if ((e = c->nm != NULL ? host_release_block(c->nm, &p, a->recursive, c->actor, &n, &hosts, &d)
                           : ipam_release(c->ip, &p, a->recursive, c->actor, &n, &d)) != 0)
        return cmd__fail(j, e, &d);
    char t[CIDR_STRLEN];
    cidr_format(&p, t, sizeof t);
    cmd__ok_open(j);
    jsonw_kstr(j, "released", t);
    jsonw_kint(j, "blocks", n);
    jsonw_kint(j, "hosts", hosts);
    jsonw_end(j);
    return RP_OK;
}

enum regproto_code cmd__block_update(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    struct cidr p;
    struct ipam_block b;
    enum regproto_code rc;
    if ((rc = cmd__prefix(a->pos[0], &p, j)) != RP_OK)
        return rc;
    int e = ipam_update(c->ip, &p, a->holder, a->desc, c->actor, &b, &d);
    return e ? cmd__fail(j, e, &d) : cmd__ok_block(c, "block", &b, false, j);
}

/* The block, its chain from the pool down, and (the first 32 of) its free space. */
enum regproto_code cmd__block_show(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    struct cidr p;
    struct ipam_block b;
    enum regproto_code rc;
    int e;
    if ((rc = block_at(c, a->pos[0], &p, &b, j)) != RP_OK)
        return rc;
    cmd__ok_open(j);
    jsonw_key(j, "block");
    jsonw_obj(j);
    if ((e = block_fields(c, &b, false, j, &d)) != 0)
        return cmd__fail(j, e, &d);
    jsonw_end(j);
    jsonw_key(j, "chain");
    if ((e = cmd__chain(c, &p, j, &d)) != 0)
        return cmd__fail(j, e, &d);
    struct cidr fl[32];
    unsigned nf = 0;
    bool more = false;
    if ((e = ipam_free_list(c->ip, &b, fl, 32, &nf, &more, &d)) != 0)
        return cmd__fail(j, e, &d);
    cmd__kcidrs(j, "free", fl, nf);
    jsonw_kbool(j, "free_more", more);
    jsonw_end(j);
    return RP_OK;
}

enum regproto_code cmd__block_list(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct cidr p;
    struct ipam_block b;
    enum regproto_code rc;
    if (a->npos == 0)
        return cmd__listing(c, "blocks", NULL, false, -1, j);
    if ((rc = block_at(c, a->pos[0], &p, &b, j)) != RP_OK)
        return rc;
    return cmd__listing(c, "blocks", &b, false, -1, j);
}

/* The tree under a block, or every pool with its tree; --depth 0..128 (default 128). */
enum regproto_code cmd__block_tree(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    struct cidr p;
    struct ipam_block b;
    enum regproto_code rc;
    int depth = 128;
    if (a->depth != NULL) {
        uint64_t v;
        if (num_parse_u64(a->depth, 0, 128, &v, &d) != 0)
            return cmd_error(j, RP_INVALID, "--depth: %s", d.msg);
        depth = (int)v;
    }
    if (a->npos == 0)
        return cmd__listing(c, "tree", NULL, false, depth, j);
    if ((rc = block_at(c, a->pos[0], &p, &b, j)) != RP_OK)
        return rc;
    return cmd__listing(c, "tree", &b, true, depth, j);
}
