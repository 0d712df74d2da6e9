/*
 * cmd_root — the rows of the lab's root server system (db/root.h): `root add NAME ADDR...`
 * and `root del NAME` (admin), and `root hints`, public as whois: the root servers with their
 * addresses, from which lana prints a root hints file (named.root) for a resolver.
 */
#include <arpa/inet.h>
#include <stdlib.h>

#include "common/dnsmsg.h"
#include "db/root.h"
#include "server/cmd_int.h"

static void server_json(struct jsonw *j, const struct root_server *s)
{
    jsonw_obj(j);
    jsonw_kstr(j, "name", s->name);
    jsonw_key(j, "addresses");
    jsonw_arr(j);
    for (unsigned i = 0; i < s->naddr; i++) {
        char text[INET6_ADDRSTRLEN];
        int af = s->addr[i].type == DNS_T_A ? AF_INET : AF_INET6;
        jsonw_str(j, inet_ntop(af, s->addr[i].a, text, sizeof text) ? text : "?");
    }
    jsonw_end(j);
    jsonw_end(j);
}

/* {"ok":true,"ttl":3600000,"servers":[{"name":N,"addresses":[...]}...]} and, after a change,
 * "changed": what was done and "zones": how many zones it changed */
static enum regproto_code reply(struct cmd_ctx *c, const char *changed, const char *name, int zones,
                                struct jsonw *j)
{
    struct lana_diag d;
    struct root_set *r = malloc(sizeof *r);
    if (r == NULL)
        return cmd_error(j, RP_INTERNAL, "out of memory");
    int e = root_servers(c->nm, r, &d);
    if (e != 0) {
        free(r);
        return cmd__fail(j, e, &d);
    }
    cmd__ok_open(j);
    if (changed != NULL) {
        jsonw_kstr(j, changed, name);
        jsonw_kint(j, "zones", zones);
    }
    jsonw_kint(j, "ttl", ROOT_HINTS_TTL);
    jsonw_key(j, "servers");
    jsonw_arr(j);
    for (unsigned i = 0; i < r->n; i++)
        server_json(j, &r->s[i]);
    jsonw_end(j);
    jsonw_end(j);
    free(r);
    return RP_OK;
}

enum regproto_code cmd__root_add(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    int zones = 0;
    int e = root_add(c->nm, a->pos[0], a->pos + 1, (unsigned)(a->npos - 1), c->actor, &zones, &d);
    if (e != 0)
        return cmd__fail(j, e, &d);
    return reply(c, "added", a->pos[0], zones, j);
}

enum regproto_code cmd__root_del(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    int zones = 0;
    int e = root_del(c->nm, a->pos[0], c->actor, &zones, &d);
    if (e != 0)
        return cmd__fail(j, e, &d);
    return reply(c, "deleted", a->pos[0], zones, j);
}

enum regproto_code cmd__root_hints(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    (void)a;
    return reply(c, NULL, NULL, 0, j);
}
