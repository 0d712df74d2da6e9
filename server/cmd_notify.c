/*
 * cmd_notify — the zone rows about secondaries: `zone notify add|del|list ZONE [ADDR[:PORT]]`
 * (the per-zone NOTIFY targets kept in the database, db/notifydb.h) and `zone secondaries
 * [ZONE]` (what the daemon knows of them now, server/secstate.h, which `zone show` includes).
 */
#include <stdlib.h>
#include <string.h>

#include "db/notifydb.h"
#include "server/cmd_int.h"
#include "server/secstate.h"

static int target_cb(const char *zone, const char *target, void *arg)
{
    struct jsonw *j = arg;
    jsonw_obj(j);
    jsonw_kstr(j, "zone", zone);
    jsonw_kstr(j, "target", target);
    jsonw_end(j);
    return jsonw_over(j) ? 1 : 0;
}

enum regproto_code cmd__zone_notify(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    static const char usage[] = "usage: zone notify add|del ZONE ADDR[:PORT] | zone notify "
                                "list ZONE";
    struct lana_diag d;
    struct zone_info z;
    char canon[NET_ADDRSTRLEN];
    const char *op = a->pos[0];
    bool add = strcmp(op, "add") == 0, del = strcmp(op, "del") == 0;
    bool list = strcmp(op, "list") == 0;
    if (!(add || del || list) || a->npos != (list ? 2 : 3))
        return cmd_error(j, RP_USAGE, "%s", usage);
    int e = zone_get(c->nm, a->pos[1], &z, &d);
    if (e != 0)
        return cmd__fail(j, e, &d);
    if (list) {
        cmd__ok_open(j);
        jsonw_kstr(j, "zone", z.name);
        jsonw_key(j, "targets");
        jsonw_arr(j);
        if ((e = notifydb_list(c->nm, z.name, target_cb, j, &d)) < 0)
            return cmd__fail(j, e, &d);
        jsonw_end(j);
        jsonw_end(j);
        return RP_OK;
    }
    e = add ? notifydb_add(c->nm, z.name, a->pos[2], c->actor, canon, &d)
            : notifydb_del(c->nm, z.name, a->pos[2], c->actor, canon, &d);
    if (e != 0)
        return cmd__fail(j, e, &d);
    cmd__ok_open(j);
    jsonw_kstr(j, "zone", z.name);
    jsonw_kstr(j, add ? "added" : "deleted", canon);
    jsonw_end(j);
    return RP_OK;
}

/* A time in ms, or null for never. */
static void kms(struct jsonw *j, const char *k, int64_t ms)
{
    jsonw_key(j, k);
    if (ms != 0)
        jsonw_int(j, ms);
    else
        jsonw_null(j);
}

static void secondary_json(struct jsonw *j, const struct secstate_entry *e)
{
    jsonw_obj(j);
    jsonw_kstr(j, "zone", e->zone);
    jsonw_kstr(j, "address", e->addr);
    jsonw_kbool(j, "notify_target", e->target);
    if (e->notify_port != 0)
        jsonw_kint(j, "notify_port", e->notify_port);
    jsonw_key(j, "notify");
    jsonw_obj(j);
    if (e->notify_sent_ms != 0) {
        jsonw_key(j, "sent");
        jsonw_obj(j);
        jsonw_kint(j, "time_ms", e->notify_sent_ms);
        jsonw_kint(j, "serial", e->notify_sent_serial);
        jsonw_kint(j, "tries", e->notify_sent_tries);
        jsonw_end(j);
    }
    if (e->notify_answered_ms != 0) {
        jsonw_key(j, "answered");
        jsonw_obj(j);
        jsonw_kint(j, "time_ms", e->notify_answered_ms);
        jsonw_kint(j, "serial", e->notify_answered_serial);
        jsonw_kint(j, "tries", e->notify_answered_tries);
        jsonw_kint(j, "rcode", e->notify_rcode);
        jsonw_end(j);
    }
    if (e->notify_gaveup_ms != 0) {
        jsonw_key(j, "gave_up");
        jsonw_obj(j);
        jsonw_kint(j, "time_ms", e->notify_gaveup_ms);
        jsonw_kint(j, "serial", e->notify_gaveup_serial);
        jsonw_end(j);
    }
    jsonw_end(j);
    kms(j, "soa_query_ms", e->soa_query_ms);
    jsonw_key(j, "transfer");
    if (e->xfr_ms != 0) {
        jsonw_obj(j);
        jsonw_kstr(j, "kind", e->xfr_kind);
        jsonw_kint(j, "serial", e->xfr_serial);
        jsonw_kint(j, "time_ms", e->xfr_ms);
        jsonw_kint(j, "bytes", (int64_t)e->xfr_bytes);
        jsonw_end(j);
    } else {
        jsonw_null(j);
    }
    /* the serial it has: the one its last transfer carried */
    jsonw_key(j, "serial");
    if (e->xfr_ms != 0)
        jsonw_int(j, e->xfr_serial);
    else
        jsonw_null(j);
    jsonw_end(j);
}

void cmd__ksecondaries(struct jsonw *j, const char *zone)
{
    struct secstate_entry *v;
    size_t n = secstate_snapshot(zone, &v);
    jsonw_key(j, "secondaries");
    jsonw_arr(j);
    for (size_t i = 0; i < n && !jsonw_over(j); i++)
        secondary_json(j, &v[i]);
    jsonw_end(j);
    free(v);
}

enum regproto_code cmd__zone_secondaries(struct cmd_ctx *c, const struct cmd_args *a,
                                         struct jsonw *j)
{
    struct lana_diag d;
    struct zone_info z;
    if (a->npos == 1) {
        int e = zone_get(c->nm, a->pos[0], &z, &d);
        if (e != 0)
            return cmd__fail(j, e, &d);
    }
    cmd__ok_open(j);
    cmd__ksecondaries(j, a->npos == 1 ? z.name : NULL);
    jsonw_end(j);
    return RP_OK;
}
