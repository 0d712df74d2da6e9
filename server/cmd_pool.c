/*
 * cmd_pool — the pool rows of the command table: root blocks of the address space. A new
 * pool also gets its reverse zone, so that the hosts given addresses from it get PTR records.
 */
#include "server/cmd_int.h"

enum regproto_code cmd__pool_add(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    struct cidr p;
    struct ipam_block b;
    enum regproto_code rc;
    if ((rc = cmd__prefix(a->pos[0], &p, j)) != RP_OK)
        return rc;
    int e = ipam_pool_add(c->ip, &p, a->desc, c->actor, &b, &d);
    char rev[CIDR_REVLEN];
    if (e == 0 && cidr_reverse_name(&p, rev, sizeof rev) >= 0 &&
        (e = zone_ensure(c->nm, rev, c->actor, &d)) > 0)
        e = 0; /* 1: the reverse zone was made now */
    return e ? cmd__fail(j, e, &d) : cmd__ok_block(c, "pool", &b, true, j);
}

enum regproto_code cmd__pool_del(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    struct cidr p;
    struct ipam_block b;
    enum regproto_code rc;
    if ((rc = cmd__prefix(a->pos[0], &p, j)) != RP_OK)
        return rc;
    if (ipam_get(c->ip, &p, &b, &d) != 0 || b.status != IPAM_POOL)
        return cmd_error(j, RP_NOT_FOUND, "%s: no such pool", a->pos[0]);
    int e = ipam_pool_del(c->ip, &p, c->actor, &d);
    return e ? cmd__fail(j, e, &d) : cmd__ok_block(c, "deleted", &b, false, j);
}

enum regproto_code cmd__pool_list(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    (void)a;
    return cmd__listing(c, "pools", NULL, false, -1, j);
}
