/*
 * cmd_zone — the zone rows of the command table: add (optionally tied to blocks), del, list,
 * show, export as master-file text. "zone import" is a row too, but its lines are framing:
 * server/regconn.c collects them and runs the import.
 */
#include <stdio.h>
#include <stdlib.h>

#include "db/catalog.h"
#include "db/zoneio.h"
#include "server/cmd_int.h"

#define ZONE_BLOCKS_MAX 8 /* blocks shown by zone show */

/* The catalog zone's id (db/catalog.h) into *id, 0 when there is none: 0 or LANA_EDB. */
static int catalog_id(struct cmd_ctx *c, int64_t *id, struct lana_diag *d)
{
    *id = 0;
    int rc = catalog_zone(c->st, id, NULL, d);
    return rc < 0 ? rc : 0;
}

static void zone_json(struct jsonw *j, const struct zone_info *z, int64_t catalog)
{
    jsonw_obj(j);
    jsonw_kstr(j, "name", z->name);
    jsonw_kint(j, "serial", z->serial);
    jsonw_kint(j, "records", z->records);
    jsonw_kint(j, "hosts", z->hosts);
    jsonw_kbool(j, "reverse", z->reverse);
    jsonw_kstr(j, "sponsor", z->sponsor);
    jsonw_kstr(j, "registrant", z->registrant);
    if (z->id == catalog)
        jsonw_kbool(j, "catalog", true); /* lanad's catalog zone (RFC 9432) */
    jsonw_end(j);
}

struct zone_list {
    struct jsonw *j;
    int64_t catalog;
};

static int zone_cb(const struct zone_info *z, void *arg)
{
    struct zone_list *l = arg;
    zone_json(l->j, z, l->catalog);
    return jsonw_over(l->j) ? 1 : 0; /* 1: stop, the reply is over its cap */
}

enum regproto_code cmd__zone_add(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    struct zone_info z;
    struct cidr bl[CMDARGS_LIST_MAX];
    enum regproto_code rc;
    for (int i = 0; i < a->nblocks; i++)
        if ((rc = cmd__prefix(a->blocks[i], &bl[i], j)) != RP_OK)
            return rc;
    int64_t cat;
    int e = zone_register(c->nm, a->pos[0], a->for_, bl, (unsigned)a->nblocks, c->actor, &z, &d);
    if (e != 0 || (e = catalog_id(c, &cat, &d)) != 0)
        return cmd__fail(j, e, &d);
    cmd__ok_open(j);
    jsonw_key(j, "zone");
    zone_json(j, &z, cat);
    jsonw_end(j);
    return RP_OK;
}

enum regproto_code cmd__zone_del(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    struct zone_info z;
    int e;
    if ((e = zone_get(c->nm, a->pos[0], &z, &d)) != 0 ||
        (e = zone_del(c->nm, a->pos[0], a->recursive, c->actor, &d)) != 0)
        return cmd__fail(j, e, &d);
    cmd__ok_open(j);
    jsonw_kstr(j, "deleted", z.name);
    jsonw_kint(j, "hosts", z.hosts);
    jsonw_end(j);
    return RP_OK;
}

enum regproto_code cmd__zone_list(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    (void)a;
    cmd__ok_open(j);
    jsonw_key(j, "zones");
    jsonw_arr(j);
    struct zone_list l = {j, 0};
    int e = catalog_id(c, &l.catalog, &d);
    if (e == 0)
        e = zone_each(c->nm, zone_cb, &l, &d);
    if (e != 0)
        return cmd__fail(j, e, &d);
    jsonw_end(j);
    jsonw_end(j);
    return RP_OK;
}

enum regproto_code cmd__zone_show(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    struct zone_info z;
    struct cidr bl[ZONE_BLOCKS_MAX];
    unsigned nb = 0;
    int64_t cat;
    int e;
    if ((e = zone_get(c->nm, a->pos[0], &z, &d)) != 0 ||
        (e = zone_blocks(c->nm, z.id, bl, ZONE_BLOCKS_MAX, &nb, &d)) != 0 ||
        (e = catalog_id(c, &cat, &d)) != 0)
        return cmd__fail(j, e, &d);
    cmd__ok_open(j);
    jsonw_key(j, "zone");
    zone_json(j, &z, cat);
    cmd__kcidrs(j, "blocks", bl, nb);
    cmd__ksecondaries(j, z.name);
    jsonw_end(j);
    return RP_OK;
}

enum regproto_code cmd__zone_export(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    struct zone_info z;
    char *text = NULL;
    size_t len = 0;
    enum regproto_code rc;
    int e = zone_get(c->nm, a->pos[0], &z, &d);
    if (e != 0)
        return cmd__fail(j, e, &d);
    FILE *fp = open_memstream(&text, &len);
    if (fp == NULL)
        return cmd_error(j, RP_INTERNAL, "out of memory");
    e = zoneio_export(c->st, z.name, fp, &d);
    if (fclose(fp) != 0 && e == 0)
        e = diag_set(&d, LANA_ENOMEM, "out of memory");
    if (e != 0) {
        rc = cmd__fail(j, e, &d);
        goto out;
    }
    cmd__ok_open(j);
    jsonw_kstr(j, "zone", z.name);
    jsonw_key(j, "text");
    jsonw_strn(j, text, len);
    jsonw_end(j);
    rc = RP_OK;
out:
    free(text);
    return rc;
}
