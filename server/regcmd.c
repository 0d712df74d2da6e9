/*
 * regcmd — see regcmd.h.
 */
#include "server/regcmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/num.h"
#include "db/audit.h"
#include "db/zoneio.h"

typedef unsigned __int128 u128;

#define TREE_MAX 100000 /* entries in one tree reply */

enum regproto_code regcmd_error(struct jsonw *j, enum regproto_code code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    jsonw_reset(j);
    jsonw_obj(j);
    jsonw_kbool(j, "ok", false);
    jsonw_key(j, "error");
    jsonw_obj(j);
    jsonw_kstr(j, "code", regproto_code_name(code));
    jsonw_kstr(j, "message", msg);
    jsonw_end(j);
    jsonw_end(j);
    return code;
}

static enum regproto_code fail(struct jsonw *j, int rc, const struct lana_diag *d)
{
    return regcmd_error(j, regproto_code_of(rc), "%s", d->msg);
}

/* ---- arguments ---------------------------------------------------------------------------- */

struct args {
    const char *pos[REGPROTO_ARGS_MAX];
    int npos;
    const char *holder, *desc;
    bool recursive, assign;
    const char *since, *limit, *depth;
    const char *v4, *v6, *port, *proto;
    const char *blocks[8]; /* --block, repeatable */
    int nblocks;
};

/* Options with a value, options without, all others are refused. */
static enum regproto_code parse_args(int argc, char **argv, int from, struct args *a,
                                     const char *allowed, struct jsonw *j)
{
    memset(a, 0, sizeof *a);
    for (int i = from; i < argc; i++) {
        const char *w = argv[i];
        if (strncmp(w, "--", 2) != 0 || w[2] == '\0') {
            if (a->npos == REGPROTO_ARGS_MAX)
                return regcmd_error(j, RP_USAGE, "too many arguments");
            a->pos[a->npos++] = w;
            continue;
        }
        const char *name = w + 2;
        char key[24];
        snprintf(key, sizeof key, " %s ", name);
        if (strlen(name) > 16 || strstr(allowed, key) == NULL)
            return regcmd_error(j, RP_USAGE, "%s: unknown option here", w);
        bool *flag = strcmp(name, "recursive") == 0 ? &a->recursive
                     : strcmp(name, "assign") == 0  ? &a->assign
                                                    : NULL;
        if (flag != NULL) {
            *flag = true;
            continue;
        }
        if (i + 1 >= argc)
            return regcmd_error(j, RP_USAGE, "%s needs a value", w);
        const char *v = argv[++i];
        if (strcmp(name, "holder") == 0)
            a->holder = v;
        else if (strcmp(name, "desc") == 0)
            a->desc = v;
        else if (strcmp(name, "since") == 0)
            a->since = v;
        else if (strcmp(name, "limit") == 0)
            a->limit = v;
        else if (strcmp(name, "depth") == 0)
            a->depth = v;
        else if (strcmp(name, "v4") == 0)
            a->v4 = v;
        else if (strcmp(name, "v6") == 0)
            a->v6 = v;
        else if (strcmp(name, "port") == 0)
            a->port = v;
        else if (strcmp(name, "proto") == 0)
            a->proto = v;
        else if (strcmp(name, "block") == 0) {
            if (a->nblocks == 8)
                return regcmd_error(j, RP_USAGE, "at most 8 --block options");
            a->blocks[a->nblocks++] = v;
        }
    }
    return RP_OK;
}

static enum regproto_code prefix_arg(const char *s, struct cidr *c, struct jsonw *j)
{
    struct lana_diag d;
    if (cidr_parse(s, c, &d) != 0)
        return regcmd_error(j, RP_INVALID, "%s", d.msg);
    return RP_OK;
}

/* A prefix, or an address taken as a /32 or /128. */
static enum regproto_code prefix_or_addr(const char *s, struct cidr *c, struct jsonw *j)
{
    struct lana_diag d;
    if (strchr(s, '/') ? cidr_parse(s, c, &d) != 0 : cidr_parse_addr(s, c, &d) != 0)
        return regcmd_error(j, RP_INVALID, "%s", d.msg);
    return RP_OK;
}

static enum regproto_code plen_arg(const char *s, const struct cidr *parent, unsigned *plen,
                                   struct jsonw *j)
{
    uint64_t v;
    struct lana_diag d;
    if (*s == '/')
        s++;
    if (num_parse_u64(s, 0, cidr_bits(parent), &v, &d) != 0)
        return regcmd_error(j, RP_INVALID, "prefix length /%s: must be 0..%u", s, cidr_bits(parent));
    *plen = (unsigned)v;
    return RP_OK;
}

/* ---- replies ------------------------------------------------------------------------------ */

static void u128_json(struct jsonw *j, const char *key, u128 v)
{
    char buf[48];
    num_format_u128(v, buf, sizeof buf);
    jsonw_kstr(j, key, buf); /* as a string: JSON numbers lose precision above 2^53 */
}

/* The block's members followed by its size and use; the caller closes the object. */
static int block_fields(struct regcmd_ctx *c, const struct ipam_block *b, bool fresh,
                        struct jsonw *j, struct lana_diag *d)
{
    ipam_block_json_members(j, b);
    struct ipam_usage u = {0, 0};
    int rc = fresh ? 0 : ipam_usage(c->ip, b, &u, d); /* a block just made holds nothing */
    if (rc != 0)
        return rc;
    u128 size_m1 = cidr_size_minus1(&b->prefix);
    char buf[48];
    if (size_m1 == ~(u128)0)
        snprintf(buf, sizeof buf, "340282366920938463463374607431768211456");
    else
        num_format_u128(size_m1 + 1, buf, sizeof buf);
    jsonw_kstr(j, "size", buf);
    u128_json(j, "used", u.used);
    jsonw_kint(j, "children", u.children);
    long double pct = (long double)u.used / ((long double)size_m1 + 1.0L) * 100.0L;
    char num[32] = "0.000000";
    if (u.used > 0)
        snprintf(num, sizeof num, "%.6Lf", pct);
    jsonw_key(j, "percent");
    jsonw_json(j, num);
    return 0;
}

static enum regproto_code ok_block(struct regcmd_ctx *c, const char *key,
                                   const struct ipam_block *b, bool fresh, struct jsonw *j)
{
    struct lana_diag d;
    jsonw_reset(j);
    jsonw_obj(j);
    jsonw_kbool(j, "ok", true);
    jsonw_key(j, key);
    jsonw_obj(j);
    int rc = block_fields(c, b, fresh, j, &d);
    if (rc != 0)
        return fail(j, rc, &d);
    jsonw_end(j);
    jsonw_end(j);
    return RP_OK;
}

struct listing {
    struct regcmd_ctx *c;
    struct jsonw *j;
    struct lana_diag *d;
    int depth, max_depth;
    int64_t count;
    bool truncated;
};

static int list_cb(const struct ipam_block *b, void *arg)
{
    struct listing *l = arg;
    if (l->count >= TREE_MAX) {
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

/* {"ok":true,KEY:[...]} of the children of parent (pools when NULL), recursively for trees */
static enum regproto_code listing(struct regcmd_ctx *c, const char *key,
                                  const struct ipam_block *parent, bool self, int max_depth,
                                  struct jsonw *j)
{
    struct lana_diag d;
    struct listing l = {c, j, &d, 0, max_depth, 0, false};
    jsonw_reset(j);
    jsonw_obj(j);
    jsonw_kbool(j, "ok", true);
    jsonw_key(j, key);
    jsonw_arr(j);
    int rc = self ? list_cb(parent, &l) : ipam_children(c->ip, parent, list_cb, &l, &d);
    if (rc < 0)
        return fail(j, rc, &d);
    jsonw_end(j);
    if (l.truncated)
        jsonw_kbool(j, "truncated", true);
    jsonw_end(j);
    return RP_OK;
}

static int chain_cb(const struct ipam_block *b, void *arg)
{
    struct listing *l = arg;
    jsonw_obj(l->j);
    int rc = block_fields(l->c, b, false, l->j, l->d);
    jsonw_end(l->j);
    return rc;
}

/* ---- commands ----------------------------------------------------------------------------- */

#define NEED(n, usage)                                                                         \
    do {                                                                                       \
        if (a.npos != (n))                                                                     \
            return regcmd_error(j, RP_USAGE, "usage: %s", usage);                              \
    } while (0)

static enum regproto_code cmd_pool(struct regcmd_ctx *c, int argc, char **argv, struct jsonw *j)
{
    struct args a;
    struct lana_diag d;
    struct cidr p;
    struct ipam_block b;
    enum regproto_code rc;
    const char *sub = argc > 1 ? argv[1] : "";
    if (strcmp(sub, "add") == 0) {
        if ((rc = parse_args(argc, argv, 2, &a, " desc ", j)) != RP_OK)
            return rc;
        NEED(1, "pool add PREFIX [--desc TEXT]");
        if ((rc = prefix_arg(a.pos[0], &p, j)) != RP_OK)
            return rc;
        int e = ipam_pool_add(c->ip, &p, a.desc, c->actor, &b, &d);
        char rev[CIDR_REVLEN];
        if (e == 0 && c->nm != NULL && cidr_reverse_name(&p, rev, sizeof rev) >= 0 &&
            (e = zone_ensure(c->nm, rev, c->actor, &d)) > 0)
            e = 0; /* the pool's reverse zone, so that its hosts get PTR records */
        return e ? fail(j, e, &d) : ok_block(c, "pool", &b, true, j);
    }
    if (strcmp(sub, "del") == 0) {
        if ((rc = parse_args(argc, argv, 2, &a, " ", j)) != RP_OK)
            return rc;
        NEED(1, "pool del PREFIX");
        if ((rc = prefix_arg(a.pos[0], &p, j)) != RP_OK)
            return rc;
        if (ipam_get(c->ip, &p, &b, &d) != 0 || b.status != IPAM_POOL)
            return regcmd_error(j, RP_NOT_FOUND, "%s: no such pool", a.pos[0]);
        int e = ipam_pool_del(c->ip, &p, c->actor, &d);
        return e ? fail(j, e, &d) : ok_block(c, "deleted", &b, false, j);
    }
    if (strcmp(sub, "list") == 0) {
        if ((rc = parse_args(argc, argv, 2, &a, " ", j)) != RP_OK)
            return rc;
        NEED(0, "pool list");
        return listing(c, "pools", NULL, false, -1, j);
    }
    return regcmd_error(j, RP_USAGE, "usage: pool add|del|list ...");
}

static enum regproto_code cmd_block(struct regcmd_ctx *c, int argc, char **argv, struct jsonw *j)
{
    struct args a;
    struct lana_diag d;
    struct cidr p;
    struct ipam_block b;
    enum regproto_code rc;
    int e;
    const char *sub = argc > 1 ? argv[1] : "";
    if (strcmp(sub, "alloc") == 0 || strcmp(sub, "assign") == 0 || strcmp(sub, "reserve") == 0) {
        bool alloc = strcmp(sub, "alloc") == 0, reserve = strcmp(sub, "reserve") == 0;
        if ((rc = parse_args(argc, argv, 2, &a, alloc ? " holder desc assign " : " holder desc ",
                             j)) != RP_OK)
            return rc;
        enum ipam_status st = reserve ? IPAM_RESERVED
                              : !alloc || a.assign ? IPAM_ASSIGNED
                                                   : IPAM_ALLOCATED;
        if (a.npos == 2 && !reserve) { /* PARENT /N: the next free one */
            unsigned plen = 0;
            if ((rc = prefix_arg(a.pos[0], &p, j)) != RP_OK ||
                (rc = plen_arg(a.pos[1], &p, &plen, j)) != RP_OK)
                return rc;
            e = ipam_alloc(c->ip, &p, plen, st, a.holder, a.desc, c->actor, &b, &d);
        } else if (a.npos == 1) { /* PREFIX: this one */
            if ((rc = prefix_arg(a.pos[0], &p, j)) != RP_OK)
                return rc;
            e = ipam_take(c->ip, &p, st, a.holder, a.desc, c->actor, &b, &d);
        } else {
            return regcmd_error(j, RP_USAGE, "usage: %s",
                                alloc ? "block alloc PARENT /N|PREFIX [--holder H] [--desc TEXT] [--assign]"
                                : !reserve
                                    ? "block assign PREFIX|PARENT /N [--holder H] [--desc TEXT]"
                                    : "block reserve PREFIX [--holder H] [--desc TEXT]");
        }
        return e ? fail(j, e, &d) : ok_block(c, "block", &b, true, j);
    }
    if (strcmp(sub, "release") == 0) {
        if ((rc = parse_args(argc, argv, 2, &a, " recursive ", j)) != RP_OK)
            return rc;
        NEED(1, "block release PREFIX [--recursive]");
        if ((rc = prefix_arg(a.pos[0], &p, j)) != RP_OK)
            return rc;
        if ((e = ipam_get(c->ip, &p, &b, &d)) != 0)
            return fail(j, e, &d);
        int64_t n = 0;
        if ((e = c->nm != NULL ? host_release_block(c->nm, &p, a.recursive, c->actor, &n, NULL, &d)
                               : ipam_release(c->ip, &p, a.recursive, c->actor, &n, &d)) != 0)
            return fail(j, e, &d);
        char t[CIDR_STRLEN];
        cidr_format(&p, t, sizeof t);
        jsonw_reset(j);
        jsonw_obj(j);
        jsonw_kbool(j, "ok", true);
        jsonw_kstr(j, "released", t);
        jsonw_kint(j, "blocks", n);
        jsonw_end(j);
        return RP_OK;
    }
    if (strcmp(sub, "update") == 0) {
        if ((rc = parse_args(argc, argv, 2, &a, " holder desc ", j)) != RP_OK)
            return rc;
        NEED(1, "block update PREFIX [--holder H] [--desc TEXT]");
        if ((rc = prefix_arg(a.pos[0], &p, j)) != RP_OK)
            return rc;
        e = ipam_update(c->ip, &p, a.holder, a.desc, c->actor, &b, &d);
        return e ? fail(j, e, &d) : ok_block(c, "block", &b, false, j);
    }
    if (strcmp(sub, "show") == 0) {
        if ((rc = parse_args(argc, argv, 2, &a, " ", j)) != RP_OK)
            return rc;
        NEED(1, "block show PREFIX");
        if ((rc = prefix_arg(a.pos[0], &p, j)) != RP_OK)
            return rc;
        if ((e = ipam_get(c->ip, &p, &b, &d)) != 0)
            return fail(j, e, &d);
        jsonw_reset(j);
        jsonw_obj(j);
        jsonw_kbool(j, "ok", true);
        jsonw_key(j, "block");
        jsonw_obj(j);
        if ((e = block_fields(c, &b, false, j, &d)) != 0)
            return fail(j, e, &d);
        jsonw_end(j);
        jsonw_key(j, "chain");
        jsonw_arr(j);
        struct listing l = {c, j, &d, 0, -1, 0, false};
        if ((e = ipam_chain(c->ip, &p, chain_cb, &l, &d)) != 0)
            return fail(j, e, &d);
        jsonw_end(j);
        struct cidr fl[32];
        unsigned nf = 0;
        bool more = false;
        if ((e = ipam_free_list(c->ip, &b, fl, 32, &nf, &more, &d)) != 0)
            return fail(j, e, &d);
        jsonw_key(j, "free");
        jsonw_arr(j);
        for (unsigned i = 0; i < nf; i++) {
            char t[CIDR_STRLEN];
            cidr_format(&fl[i], t, sizeof t);
            jsonw_str(j, t);
        }
        jsonw_end(j);
        jsonw_kbool(j, "free_more", more);
        jsonw_end(j);
        return RP_OK;
    }
    if (strcmp(sub, "list") == 0 || strcmp(sub, "tree") == 0) {
        bool tree = sub[0] == 't';
        if ((rc = parse_args(argc, argv, 2, &a, tree ? " depth " : " ", j)) != RP_OK)
            return rc;
        if (a.npos > 1)
            return regcmd_error(j, RP_USAGE, "usage: block %s [PREFIX]%s", sub,
                                tree ? " [--depth N]" : "");
        int depth = 128;
        if (a.depth != NULL) {
            uint64_t v;
            if (num_parse_u64(a.depth, 0, 128, &v, &d) != 0)
                return regcmd_error(j, RP_INVALID, "--depth: %s", d.msg);
            depth = (int)v;
        }
        if (a.npos == 0) {
            if (!tree)
                return listing(c, "blocks", NULL, false, -1, j);
            /* every pool with its tree */
            struct listing l = {c, j, &d, 0, depth, 0, false};
            jsonw_reset(j);
            jsonw_obj(j);
            jsonw_kbool(j, "ok", true);
            jsonw_key(j, "tree");
            jsonw_arr(j);
            if ((e = ipam_children(c->ip, NULL, list_cb, &l, &d)) < 0)
                return fail(j, e, &d);
            jsonw_end(j);
            if (l.truncated)
                jsonw_kbool(j, "truncated", true);
            jsonw_end(j);
            return RP_OK;
        }
        if ((rc = prefix_arg(a.pos[0], &p, j)) != RP_OK)
            return rc;
        if ((e = ipam_get(c->ip, &p, &b, &d)) != 0)
            return fail(j, e, &d);
        return tree ? listing(c, "tree", &b, true, depth, j) : listing(c, "blocks", &b, false, -1, j);
    }
    return regcmd_error(j, RP_USAGE,
                        "usage: block alloc|assign|reserve|release|update|show|list|tree ...");
}

static enum regproto_code cmd_whois(struct regcmd_ctx *c, int argc, char **argv, struct jsonw *j)
{
    struct args a;
    struct lana_diag d;
    struct cidr p;
    enum regproto_code rc;
    if ((rc = parse_args(argc, argv, 1, &a, " ", j)) != RP_OK)
        return rc;
    NEED(1, "whois ADDRESS|PREFIX");
    if ((rc = prefix_or_addr(a.pos[0], &p, j)) != RP_OK)
        return rc;
    char t[CIDR_STRLEN];
    cidr_format(&p, t, sizeof t);
    jsonw_reset(j);
    jsonw_obj(j);
    jsonw_kbool(j, "ok", true);
    jsonw_kstr(j, "query", t);
    jsonw_key(j, "chain");
    jsonw_arr(j);
    struct listing l = {c, j, &d, 0, -1, 0, false};
    int e = ipam_chain(c->ip, &p, chain_cb, &l, &d);
    if (e != 0)
        return fail(j, e, &d);
    jsonw_end(j);
    jsonw_end(j);
    return RP_OK;
}

static int log_cb(const struct audit_entry *e, void *arg)
{
    struct jsonw *j = arg;
    jsonw_obj(j);
    jsonw_kint(j, "id", e->id);
    jsonw_kint(j, "ts_ms", e->ts_ms);
    jsonw_kstr(j, "actor", e->actor);
    jsonw_kstr(j, "action", e->action);
    jsonw_kstr(j, "object", e->object);
    jsonw_key(j, "before");
    if (e->before)
        jsonw_json(j, e->before);
    else
        jsonw_null(j);
    jsonw_key(j, "after");
    if (e->after)
        jsonw_json(j, e->after);
    else
        jsonw_null(j);
    jsonw_end(j);
    return 0;
}

static enum regproto_code cmd_log(struct regcmd_ctx *c, int argc, char **argv, struct jsonw *j)
{
    struct args a;
    struct lana_diag d;
    enum regproto_code rc;
    if ((rc = parse_args(argc, argv, 1, &a, " since limit ", j)) != RP_OK)
        return rc;
    NEED(0, "log [--since UNIX_MS] [--limit N]");
    uint64_t since = 0, limit = 1000;
    if (a.since && num_parse_u64(a.since, 0, INT64_MAX, &since, &d) != 0)
        return regcmd_error(j, RP_INVALID, "--since: %s", d.msg);
    if (a.limit && num_parse_u64(a.limit, 1, 1000000, &limit, &d) != 0)
        return regcmd_error(j, RP_INVALID, "--limit: %s", d.msg);
    jsonw_reset(j);
    jsonw_obj(j);
    jsonw_kbool(j, "ok", true);
    jsonw_key(j, "log");
    jsonw_arr(j);
    int e = audit_list(c->st, (int64_t)since, (int64_t)limit, log_cb, j, &d);
    if (e != 0)
        return fail(j, e, &d);
    jsonw_end(j);
    jsonw_end(j);
    return RP_OK;
}


/* ---- names -------------------------------------------------------------------------------- */

static void zone_json(struct jsonw *j, const struct zone_info *z)
{
    jsonw_obj(j);
    jsonw_kstr(j, "name", z->name);
    jsonw_kint(j, "serial", z->serial);
    jsonw_kint(j, "records", z->records);
    jsonw_kint(j, "hosts", z->hosts);
    jsonw_kbool(j, "reverse", z->reverse);
    jsonw_end(j);
}

static int zone_cb(const struct zone_info *z, void *arg)
{
    zone_json(arg, z);
    return 0;
}

static void host_obj(struct jsonw *j, const struct host_info *h)
{
    jsonw_obj(j);
    jsonw_kstr(j, "name", h->name);
    jsonw_kstr(j, "zone", h->zone);
    jsonw_kstr(j, "v4", h->v4);
    jsonw_kstr(j, "v6", h->v6);
    jsonw_kint(j, "created", h->created);
    jsonw_end(j);
}

static int host_cb(const struct host_info *h, void *arg)
{
    host_obj(arg, h);
    return 0;
}

static void ok_open(struct jsonw *j)
{
    jsonw_reset(j);
    jsonw_obj(j);
    jsonw_kbool(j, "ok", true);
}

static enum regproto_code cmd_zone(struct regcmd_ctx *c, int argc, char **argv, struct jsonw *j)
{
    struct args a;
    struct lana_diag d;
    struct zone_info z;
    enum regproto_code rc;
    int e;
    const char *sub = argc > 1 ? argv[1] : "";
    if (strcmp(sub, "add") == 0) {
        if ((rc = parse_args(argc, argv, 2, &a, " block ", j)) != RP_OK)
            return rc;
        NEED(1, "zone add NAME [--block PREFIX]...");
        struct cidr bl[8];
        for (int i = 0; i < a.nblocks; i++)
            if ((rc = prefix_arg(a.blocks[i], &bl[i], j)) != RP_OK)
                return rc;
        if ((e = zone_add(c->nm, a.pos[0], bl, (unsigned)a.nblocks, c->actor, &z, &d)) != 0)
            return fail(j, e, &d);
        ok_open(j);
        jsonw_key(j, "zone");
        zone_json(j, &z);
        jsonw_end(j);
        return RP_OK;
    }
    if (strcmp(sub, "del") == 0) {
        if ((rc = parse_args(argc, argv, 2, &a, " recursive ", j)) != RP_OK)
            return rc;
        NEED(1, "zone del NAME [--recursive]");
        if ((e = zone_get(c->nm, a.pos[0], &z, &d)) != 0 ||
            (e = zone_del(c->nm, a.pos[0], a.recursive, c->actor, &d)) != 0)
            return fail(j, e, &d);
        ok_open(j);
        jsonw_kstr(j, "deleted", z.name);
        jsonw_kint(j, "hosts", z.hosts);
        jsonw_end(j);
        return RP_OK;
    }
    if (strcmp(sub, "list") == 0) {
        if ((rc = parse_args(argc, argv, 2, &a, " ", j)) != RP_OK)
            return rc;
        NEED(0, "zone list");
        ok_open(j);
        jsonw_key(j, "zones");
        jsonw_arr(j);
        if ((e = zone_each(c->nm, zone_cb, j, &d)) != 0)
            return fail(j, e, &d);
        jsonw_end(j);
        jsonw_end(j);
        return RP_OK;
    }
    if (strcmp(sub, "show") == 0) {
        if ((rc = parse_args(argc, argv, 2, &a, " ", j)) != RP_OK)
            return rc;
        NEED(1, "zone show NAME");
        if ((e = zone_get(c->nm, a.pos[0], &z, &d)) != 0)
            return fail(j, e, &d);
        struct cidr bl[8];
        unsigned nb = 0;
        zone_blocks(c->nm, z.id, bl, 8, &nb, &d);
        ok_open(j);
        jsonw_key(j, "zone");
        zone_json(j, &z);
        jsonw_key(j, "blocks");
        jsonw_arr(j);
        for (unsigned i = 0; i < nb; i++) {
            char t[CIDR_STRLEN];
            cidr_format(&bl[i], t, sizeof t);
            jsonw_str(j, t);
        }
        jsonw_end(j);
        jsonw_end(j);
        return RP_OK;
    }
    if (strcmp(sub, "export") == 0) {
        if ((rc = parse_args(argc, argv, 2, &a, " ", j)) != RP_OK)
            return rc;
        NEED(1, "zone export NAME");
        if ((e = zone_get(c->nm, a.pos[0], &z, &d)) != 0)
            return fail(j, e, &d);
        char *text = NULL;
        size_t len = 0;
        FILE *fp = open_memstream(&text, &len);
        if (fp == NULL)
            return regcmd_error(j, RP_INTERNAL, "out of memory");
        e = zoneio_export(c->st, z.name, fp, &d);
        fclose(fp);
        if (e != 0) {
            free(text);
            return fail(j, e, &d);
        }
        ok_open(j);
        jsonw_kstr(j, "zone", z.name);
        jsonw_key(j, "text");
        jsonw_strn(j, text, len);
        jsonw_end(j);
        free(text);
        return RP_OK;
    }
    return regcmd_error(j, RP_USAGE, "usage: zone add|del|list|show|export ...");
}

struct family_count {
    int family;
    bool found;
};

static int family_cb(const struct ipam_block *b, void *arg)
{
    struct family_count *f = arg;
    if (b->prefix.family == f->family)
        f->found = true;
    return 0;
}

/* --v4/--v6: auto (default), none, or an address */
static enum regproto_code addr_spec(struct regcmd_ctx *c, const char *v, int family,
                                    struct host_addr_spec *s, struct jsonw *j)
{
    struct lana_diag d;
    if (v == NULL) { /* default: auto when there is a pool of that family */
        struct family_count f = {family, false};
        ipam_children(c->ip, NULL, family_cb, &f, &d);
        s->how = f.found ? HOST_ADDR_AUTO : HOST_ADDR_NONE;
        return RP_OK;
    }
    if (strcmp(v, "auto") == 0) {
        s->how = HOST_ADDR_AUTO;
        return RP_OK;
    }
    if (strcmp(v, "none") == 0) {
        s->how = HOST_ADDR_NONE;
        return RP_OK;
    }
    if (cidr_parse_addr(v, &s->addr, &d) != 0)
        return regcmd_error(j, RP_INVALID, "--v%d: %s", family, d.msg);
    if (s->addr.family != family)
        return regcmd_error(j, RP_INVALID, "--v%d %s: not an IPv%d address", family, v, family);
    s->how = HOST_ADDR_GIVEN;
    return RP_OK;
}

static enum regproto_code ok_host(const struct host_info *h, struct jsonw *j)
{
    ok_open(j);
    jsonw_key(j, "host");
    host_obj(j, h);
    jsonw_end(j);
    return RP_OK;
}

static enum regproto_code cmd_host(struct regcmd_ctx *c, int argc, char **argv, struct jsonw *j)
{
    struct args a;
    struct lana_diag d;
    struct host_info h;
    enum regproto_code rc;
    int e;
    const char *sub = argc > 1 ? argv[1] : "";
    if (strcmp(sub, "add") == 0) {
        if ((rc = parse_args(argc, argv, 2, &a, " v4 v6 block ", j)) != RP_OK)
            return rc;
        NEED(1, "host add NAME [--v4 auto|none|ADDR] [--v6 auto|none|ADDR] [--block PREFIX]");
        struct host_addr_spec v4 = {0}, v6 = {0};
        struct cidr block;
        if ((rc = addr_spec(c, a.v4, 4, &v4, j)) != RP_OK ||
            (rc = addr_spec(c, a.v6, 6, &v6, j)) != RP_OK)
            return rc;
        if (a.nblocks > 1)
            return regcmd_error(j, RP_USAGE, "one --block per host");
        if (a.nblocks == 1 && (rc = prefix_arg(a.blocks[0], &block, j)) != RP_OK)
            return rc;
        if (a.nblocks == 1 && a.v4 == NULL && a.v6 == NULL) /* a block decides the family */
            (block.family == 4 ? &v6 : &v4)->how = HOST_ADDR_NONE;
        e = host_add(c->nm, a.pos[0], &v4, &v6, a.nblocks ? &block : NULL, c->actor, &h, &d);
        return e ? fail(j, e, &d) : ok_host(&h, j);
    }
    if (strcmp(sub, "del") == 0) {
        if ((rc = parse_args(argc, argv, 2, &a, " ", j)) != RP_OK)
            return rc;
        NEED(1, "host del NAME");
        if ((e = host_get(c->nm, a.pos[0], &h, &d)) != 0 ||
            (e = host_del(c->nm, a.pos[0], c->actor, &d)) != 0)
            return fail(j, e, &d);
        ok_open(j);
        jsonw_key(j, "deleted");
        host_obj(j, &h);
        jsonw_end(j);
        return RP_OK;
    }
    if (strcmp(sub, "show") == 0) {
        if ((rc = parse_args(argc, argv, 2, &a, " ", j)) != RP_OK)
            return rc;
        NEED(1, "host show NAME");
        e = host_get(c->nm, a.pos[0], &h, &d);
        return e ? fail(j, e, &d) : ok_host(&h, j);
    }
    if (strcmp(sub, "rename") == 0) {
        if ((rc = parse_args(argc, argv, 2, &a, " ", j)) != RP_OK)
            return rc;
        NEED(2, "host rename OLD NEW");
        e = host_rename(c->nm, a.pos[0], a.pos[1], c->actor, &h, &d);
        return e ? fail(j, e, &d) : ok_host(&h, j);
    }
    if (strcmp(sub, "list") == 0) {
        if ((rc = parse_args(argc, argv, 2, &a, " ", j)) != RP_OK)
            return rc;
        if (a.npos > 1)
            return regcmd_error(j, RP_USAGE, "usage: host list [ZONE]");
        ok_open(j);
        jsonw_key(j, "hosts");
        jsonw_arr(j);
        if ((e = host_each(c->nm, a.npos ? a.pos[0] : NULL, host_cb, j, &d)) != 0)
            return fail(j, e, &d);
        jsonw_end(j);
        jsonw_end(j);
        return RP_OK;
    }
    return regcmd_error(j, RP_USAGE, "usage: host add|del|show|list|rename ...");
}

/* Record data from words: TXT takes each word as one string; others read the words as text. */
static enum regproto_code record_data(const char *type, const struct args *a, int from, char *out,
                                      size_t size, struct jsonw *j)
{
    size_t len = 0;
    bool txt = strcasecmp(type, "TXT") == 0;
    out[0] = '\0';
    for (int i = from; i < a->npos; i++) {
        const char *w = a->pos[i];
        if (len + 2 * strlen(w) + 4 >= size)
            return regcmd_error(j, RP_TOO_LONG, "record data too long");
        if (len)
            out[len++] = ' ';
        if (txt)
            out[len++] = '"';
        for (; *w; w++) {
            if (txt && (*w == '"' || *w == '\\'))
                out[len++] = '\\';
            out[len++] = *w;
        }
        if (txt)
            out[len++] = '"';
        out[len] = '\0';
    }
    return RP_OK;
}

static enum regproto_code cmd_record(struct regcmd_ctx *c, int argc, char **argv, struct jsonw *j)
{
    struct args a;
    struct lana_diag d;
    enum regproto_code rc;
    const char *sub = argc > 1 ? argv[1] : "";
    bool add = strcmp(sub, "add") == 0;
    if (!add && strcmp(sub, "del") != 0)
        return regcmd_error(j, RP_USAGE, "usage: record add|del NAME TYPE DATA...");
    if ((rc = parse_args(argc, argv, 2, &a, " ", j)) != RP_OK)
        return rc;
    if (a.npos < (add ? 3 : 2))
        return regcmd_error(j, RP_USAGE, "usage: record %s NAME TYPE %s", sub,
                            add ? "DATA..." : "[DATA...]");
    char data[2048];
    if ((rc = record_data(a.pos[1], &a, 2, data, sizeof data, j)) != RP_OK)
        return rc;
    int64_t deleted = 0;
    int e = add ? rrset_add(c->nm, a.pos[0], a.pos[1], data, c->actor, &d)
                : rrset_del(c->nm, a.pos[0], a.pos[1], data[0] ? data : NULL, c->actor,
                                   &deleted, &d);
    if (e != 0)
        return fail(j, e, &d);
    ok_open(j);
    jsonw_key(j, "record");
    jsonw_obj(j);
    jsonw_kstr(j, "name", a.pos[0]);
    jsonw_kstr(j, "type", a.pos[1]);
    jsonw_kstr(j, "data", data);
    jsonw_end(j);
    if (!add)
        jsonw_kint(j, "deleted", deleted);
    jsonw_end(j);
    return RP_OK;
}

static void service_obj(struct jsonw *j, const struct service_info *s)
{
    jsonw_obj(j);
    jsonw_kstr(j, "name", s->name);
    jsonw_kstr(j, "proto", s->proto);
    jsonw_kint(j, "port", s->port);
    jsonw_kstr(j, "description", s->descr);
    jsonw_kint(j, "bound", s->bound);
    jsonw_end(j);
}

static int service_cb(const struct service_info *s, void *arg)
{
    service_obj(arg, s);
    return 0;
}

static enum regproto_code cmd_service(struct regcmd_ctx *c, int argc, char **argv,
                                      struct jsonw *j)
{
    struct args a;
    struct lana_diag d;
    enum regproto_code rc;
    int e;
    const char *sub = argc > 1 ? argv[1] : "";
    if (strcmp(sub, "add") == 0) {
        if ((rc = parse_args(argc, argv, 2, &a, " port desc ", j)) != RP_OK)
            return rc;
        NEED(2, "service add NAME tcp|udp [--port N|auto] [--desc TEXT]");
        uint64_t port = 0;
        if (a.port != NULL && strcmp(a.port, "auto") != 0 &&
            num_parse_u64(a.port, 1, 65535, &port, &d) != 0)
            return regcmd_error(j, RP_INVALID, "--port %s: %s", a.port, d.msg);
        struct service_info s;
        if ((e = service_add(c->nm, a.pos[0], a.pos[1], (unsigned)port, a.desc, c->actor,
                                   &s, &d)) != 0)
            return fail(j, e, &d);
        ok_open(j);
        jsonw_key(j, "service");
        service_obj(j, &s);
        jsonw_end(j);
        return RP_OK;
    }
    if (strcmp(sub, "del") == 0) {
        if ((rc = parse_args(argc, argv, 2, &a, " ", j)) != RP_OK)
            return rc;
        NEED(2, "service del NAME tcp|udp");
        if ((e = service_del(c->nm, a.pos[0], a.pos[1], c->actor, &d)) != 0)
            return fail(j, e, &d);
        ok_open(j);
        jsonw_kstr(j, "deleted", a.pos[0]);
        jsonw_kstr(j, "proto", a.pos[1]);
        jsonw_end(j);
        return RP_OK;
    }
    if (strcmp(sub, "list") == 0) {
        if ((rc = parse_args(argc, argv, 2, &a, " ", j)) != RP_OK)
            return rc;
        NEED(0, "service list");
        ok_open(j);
        jsonw_key(j, "services");
        jsonw_arr(j);
        if ((e = service_each(c->nm, service_cb, j, &d)) != 0)
            return fail(j, e, &d);
        jsonw_end(j);
        jsonw_end(j);
        return RP_OK;
    }
    bool bind = strcmp(sub, "bind") == 0;
    if (bind || strcmp(sub, "unbind") == 0) {
        if ((rc = parse_args(argc, argv, 2, &a, bind ? " proto port " : " proto ", j)) != RP_OK)
            return rc;
        NEED(2, bind ? "service bind HOST SERVICE [--proto tcp|udp] [--port N]"
                     : "service unbind HOST SERVICE [--proto tcp|udp]");
        uint64_t port = 0;
        if (a.port != NULL && num_parse_u64(a.port, 1, 65535, &port, &d) != 0)
            return regcmd_error(j, RP_INVALID, "--port %s: %s", a.port, d.msg);
        int n = 0;
        e = bind ? service_bind(c->nm, a.pos[0], a.pos[1], a.proto, (unsigned)port,
                                      c->actor, &n, &d)
                 : service_unbind(c->nm, a.pos[0], a.pos[1], a.proto, c->actor, &n, &d);
        if (e != 0)
            return fail(j, e, &d);
        ok_open(j);
        jsonw_kstr(j, bind ? "bound" : "unbound", a.pos[1]);
        jsonw_kstr(j, "host", a.pos[0]);
        jsonw_kint(j, "records", n);
        jsonw_end(j);
        return RP_OK;
    }
    return regcmd_error(j, RP_USAGE, "usage: service add|del|list|bind|unbind ...");
}

bool regcmd_is_write(int argc, char **argv)
{
    if (argc < 2)
        return false;
    if (strcmp(argv[0], "pool") == 0)
        return strcmp(argv[1], "add") == 0 || strcmp(argv[1], "del") == 0;
    if (strcmp(argv[0], "block") == 0)
        return strcmp(argv[1], "alloc") == 0 || strcmp(argv[1], "assign") == 0 ||
               strcmp(argv[1], "reserve") == 0 || strcmp(argv[1], "release") == 0 ||
               strcmp(argv[1], "update") == 0;
    if (strcmp(argv[0], "zone") == 0 || strcmp(argv[0], "record") == 0)
        return strcmp(argv[1], "add") == 0 || strcmp(argv[1], "del") == 0;
    if (strcmp(argv[0], "host") == 0)
        return strcmp(argv[1], "add") == 0 || strcmp(argv[1], "del") == 0 ||
               strcmp(argv[1], "rename") == 0;
    if (strcmp(argv[0], "service") == 0)
        return strcmp(argv[1], "add") == 0 || strcmp(argv[1], "del") == 0 ||
               strcmp(argv[1], "bind") == 0 || strcmp(argv[1], "unbind") == 0;
    return false;
}

enum regproto_code regcmd_run(struct regcmd_ctx *c, int argc, char **argv, struct jsonw *j)
{
    if (argc == 0)
        return regcmd_error(j, RP_USAGE, "empty request");
    if (regcmd_is_write(argc, argv) && !c->may_write)
        return regcmd_error(j, RP_PERMISSION,
                            "%s %s changes the registry: authenticate with a token first", argv[0],
                            argv[1]);
    const char *cmd = argv[0];
    enum regproto_code rc;
    if (strcmp(cmd, "pool") == 0)
        rc = cmd_pool(c, argc, argv, j);
    else if (strcmp(cmd, "block") == 0)
        rc = cmd_block(c, argc, argv, j);
    else if (strcmp(cmd, "whois") == 0)
        rc = cmd_whois(c, argc, argv, j);
    else if (strcmp(cmd, "log") == 0)
        rc = cmd_log(c, argc, argv, j);
    else if (c->nm != NULL && strcmp(cmd, "zone") == 0)
        rc = cmd_zone(c, argc, argv, j);
    else if (c->nm != NULL && strcmp(cmd, "host") == 0)
        rc = cmd_host(c, argc, argv, j);
    else if (c->nm != NULL && strcmp(cmd, "record") == 0)
        rc = cmd_record(c, argc, argv, j);
    else if (c->nm != NULL && strcmp(cmd, "service") == 0)
        rc = cmd_service(c, argc, argv, j);
    else if (strcmp(cmd, "ping") == 0) {
        jsonw_reset(j);
        jsonw_raw(j, "{\"ok\":true,\"pong\":true}", 24);
        rc = RP_OK;
    } else if (strcmp(cmd, "help") == 0) {
        jsonw_reset(j);
        jsonw_obj(j);
        jsonw_kbool(j, "ok", true);
        jsonw_kstr(j, "commands",
                   "pool add|del|list, block alloc|assign|reserve|release|update|show|list|tree, "
                   "whois, zone add|del|list|show|export, host add|del|show|list|rename, "
                   "record add|del, service add|del|list|bind|unbind, log, batch, ping, quit");
        jsonw_end(j);
        rc = RP_OK;
    } else {
        rc = regcmd_error(j, RP_USAGE, "%s: unknown command (try help)", cmd);
    }
    if (!jsonw_ok(j))
        return regcmd_error(j, RP_INTERNAL, "out of memory");
    return rc;
}
