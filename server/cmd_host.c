/*
 * cmd_host — the host rows of the command table: add (addresses chosen from the pools, given,
 * or none, per family), del, show, list, rename. The A/AAAA/PTR records follow the host in
 * db/names; this file only turns words into a names_addr_spec and hosts into JSON.
 */
#include <string.h>

#include "server/cmd_int.h"

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
    return jsonw_over(arg) ? 1 : 0; /* 1: stop, the reply is over its cap */
}

static enum regproto_code ok_host(const char *key, const struct host_info *h, struct jsonw *j)
{
    cmd__ok_open(j);
    jsonw_key(j, key);
    host_obj(j, h);
    jsonw_end(j);
    return RP_OK;
}

struct family_find {
    int family;
    bool found;
};

static int family_cb(const struct ipam_block *b, void *arg)
{
    struct family_find *f = arg;
    f->found = b->prefix.family == f->family;
    return f->found ? 1 : 0; /* 1: stop here */
}

/* --v4/--v6: auto (the default when a pool of that family exists), none, or an address
 * (with --force even a network, broadcast or Subnet-Router anycast address). */
static enum regproto_code addr_spec(struct cmd_ctx *c, const char *v, int family, bool force,
                                    struct host_addr_spec *s, struct jsonw *j)
{
    struct lana_diag d;
    if (v == NULL) {
        struct family_find f = {family, false};
        int rc = ipam_children(c->ip, NULL, family_cb, &f, &d);
        if (rc < 0)
            return cmd__fail(j, rc, &d);
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
        return cmd_error(j, RP_INVALID, "--v%d: %s", family, d.msg);
    if (s->addr.family != family)
        return cmd_error(j, RP_INVALID, "--v%d %s: not an IPv%d address", family, v, family);
    s->how = HOST_ADDR_GIVEN;
    s->force = force;
    return RP_OK;
}

enum regproto_code cmd__host_add(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    struct host_info h;
    struct host_addr_spec v4 = {0}, v6 = {0};
    struct cidr block;
    enum regproto_code rc;
    if ((rc = addr_spec(c, a->v4, 4, a->force, &v4, j)) != RP_OK ||
        (rc = addr_spec(c, a->v6, 6, a->force, &v6, j)) != RP_OK)
        return rc;
    if (a->nblocks > 1)
        return cmd_error(j, RP_USAGE, "one --block per host");
    if (a->nblocks == 1 && (rc = cmd__prefix(a->blocks[0], &block, j)) != RP_OK)
        return rc;
    if (a->nblocks == 1 && a->v4 == NULL && a->v6 == NULL) /* a block decides the family */
        (block.family == 4 ? &v6 : &v4)->how = HOST_ADDR_NONE;
    int e =
        host_add(c->nm, a->pos[0], &v4, &v6, a->nblocks ? &block : NULL, c->actor, &h, &d);
    return e ? cmd__fail(j, e, &d) : ok_host("host", &h, j);
}

enum regproto_code cmd__host_del(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    struct host_info h;
    int e;
    if ((e = host_get(c->nm, a->pos[0], &h, &d)) != 0 ||
        (e = host_del(c->nm, a->pos[0], c->actor, &d)) != 0)
        return cmd__fail(j, e, &d);
    return ok_host("deleted", &h, j);
}

enum regproto_code cmd__host_show(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    struct host_info h;
    int e = host_get(c->nm, a->pos[0], &h, &d);
    return e ? cmd__fail(j, e, &d) : ok_host("host", &h, j);
}

enum regproto_code cmd__host_rename(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    struct host_info h;
    int e = host_rename(c->nm, a->pos[0], a->pos[1], c->actor, &h, &d);
    return e ? cmd__fail(j, e, &d) : ok_host("host", &h, j);
}

enum regproto_code cmd__host_list(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    cmd__ok_open(j);
    jsonw_key(j, "hosts");
    jsonw_arr(j);
    int e = host_each(c->nm, a->npos ? a->pos[0] : NULL, host_cb, j, &d);
    if (e != 0)
        return cmd__fail(j, e, &d);
    jsonw_end(j);
    jsonw_end(j);
    return RP_OK;
}
