/*
 * cmd_service — the service rows of the command table: the port registry (add, del, list)
 * and binding a service to a host (bind, unbind), which publishes or removes its SRV record.
 */
#include <string.h>

#include "common/num.h"
#include "server/cmd_int.h"

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
    return jsonw_over(arg) ? 1 : 0; /* 1: stop, the reply is over its cap */
}

/* --port N (1..65535) into *port; "auto" (where allowed) and absence leave 0. */
static enum regproto_code port_arg(const char *v, bool may_auto, unsigned *port, struct jsonw *j)
{
    struct lana_diag d;
    uint64_t n = 0;
    *port = 0;
    if (v == NULL || (may_auto && strcmp(v, "auto") == 0))
        return RP_OK;
    if (num_parse_u64(v, 1, 65535, &n, &d) != 0)
        return cmd_error(j, RP_INVALID, "--port %s: %s", v, d.msg);
    *port = (unsigned)n;
    return RP_OK;
}

enum regproto_code cmd__service_add(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    struct service_info s;
    unsigned port;
    enum regproto_code rc = port_arg(a->port, true, &port, j);
    if (rc != RP_OK)
        return rc;
    int e = service_add(c->nm, a->pos[0], a->pos[1], port, a->desc, c->actor, &s, &d);
    if (e != 0)
        return cmd__fail(j, e, &d);
    cmd__ok_open(j);
    jsonw_key(j, "service");
    service_obj(j, &s);
    jsonw_end(j);
    return RP_OK;
}

enum regproto_code cmd__service_del(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    int e = service_del(c->nm, a->pos[0], a->pos[1], c->actor, &d);
    if (e != 0)
        return cmd__fail(j, e, &d);
    cmd__ok_open(j);
    jsonw_kstr(j, "deleted", a->pos[0]);
    jsonw_kstr(j, "proto", a->pos[1]);
    jsonw_end(j);
    return RP_OK;
}

enum regproto_code cmd__service_list(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    (void)a;
    cmd__ok_open(j);
    jsonw_key(j, "services");
    jsonw_arr(j);
    int e = service_each(c->nm, service_cb, j, &d);
    if (e != 0)
        return cmd__fail(j, e, &d);
    jsonw_end(j);
    jsonw_end(j);
    return RP_OK;
}

/* The reply to unbind: what, from which host, how many records. */
static enum regproto_code bound_reply(const char *key, const struct cmd_args *a, int n,
                                      struct jsonw *j)
{
    cmd__ok_open(j);
    jsonw_kstr(j, key, a->pos[1]);
    jsonw_kstr(j, "host", a->pos[0]);
    jsonw_kint(j, "records", n);
    jsonw_end(j);
    return RP_OK;
}

/* The reply to bind: bound_reply's fields and "srv", the records made, each with owner, ttl,
 * class, type, priority, weight, port and target, as a zone file would have them. */
enum regproto_code cmd__service_bind(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    struct service_srv srv[SERVICE_SRV_MAX];
    unsigned port;
    int n = 0;
    enum regproto_code rc = port_arg(a->port, false, &port, j);
    if (rc != RP_OK)
        return rc;
    int e = service_bind(c->nm, a->pos[0], a->pos[1], a->proto, port, c->actor, &n, srv, &d);
    if (e != 0)
        return cmd__fail(j, e, &d);
    cmd__ok_open(j);
    jsonw_kstr(j, "bound", a->pos[1]);
    jsonw_kstr(j, "host", a->pos[0]);
    jsonw_kint(j, "records", n);
    jsonw_key(j, "srv");
    jsonw_arr(j);
    for (int i = 0; i < n && i < SERVICE_SRV_MAX; i++) {
        jsonw_obj(j);
        jsonw_kstr(j, "owner", srv[i].owner);
        jsonw_kint(j, "ttl", srv[i].ttl);
        jsonw_kstr(j, "class", "IN");
        jsonw_kstr(j, "type", "SRV");
        jsonw_kint(j, "priority", srv[i].priority);
        jsonw_kint(j, "weight", srv[i].weight);
        jsonw_kint(j, "port", srv[i].port);
        jsonw_kstr(j, "target", srv[i].target);
        jsonw_end(j);
    }
    jsonw_end(j);
    jsonw_end(j);
    return RP_OK;
}

enum regproto_code cmd__service_unbind(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    int n = 0;
    int e = service_unbind(c->nm, a->pos[0], a->pos[1], a->proto, c->actor, &n, &d);
    return e ? cmd__fail(j, e, &d) : bound_reply("unbound", a, n, j);
}
