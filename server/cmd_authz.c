/*
 * cmd_authz — the authority row: `authority [ACCOUNT]`, every object the account may change
 * and why (db/authz.h authz_list), as public as whois. Without ACCOUNT it is the asker's own;
 * an anonymous asker must name one. At most AUTHZ_REPLY_MAX objects, then "truncated".
 */
#include <stdio.h>
#include <string.h>

#include "server/cmd_int.h"

#define AUTHZ_REPLY_MAX 100000 /* objects in one reply */

struct authority {
    struct jsonw *j;
    int64_t count;
    bool truncated;
};

static int item_cb(const struct authz_item *it, void *arg)
{
    struct authority *a = arg;
    if (a->count >= AUTHZ_REPLY_MAX || jsonw_over(a->j)) {
        a->truncated = true;
        return 1;
    }
    a->count++;
    jsonw_obj(a->j);
    jsonw_kstr(a->j, "kind", authz_kind_name(it->kind));
    jsonw_kstr(a->j, "name", it->name);
    jsonw_kstr(a->j, "reason", it->reason);
    if (it->via != NULL)
        jsonw_kstr(a->j, "via", it->via);
    jsonw_end(a->j);
    return 0;
}

/* {"ok":true,"account":A,"role":R,"sponsor":S|null,"enabled":B,"everything":B,
 *  "objects":[{kind,name,reason[,via]}...][,"truncated":true]} */
enum regproto_code cmd__authority(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    const char *name = a->npos > 0 ? a->pos[0] : c->who ? c->who->name : NULL;
    if (name == NULL)
        return cmd_error(j, RP_USAGE, "authority: name an ACCOUNT (no account is signed in)");
    if (account_check_name(name, &d) != 0)
        return cmd_error(j, RP_INVALID, "%s", d.msg);
    struct account acc;
    int e = account_get(c->st, name, &acc, &d);
    if (e < 0)
        return cmd__fail(j, e, &d);
    if (e == 0)
        return cmd_error(j, RP_NOT_FOUND, "account %s: no such account", name);
    enum authz_role role;
    bool all = acc.enabled && authz_role_parse(acc.role, &role) && role == AUTHZ_ADMIN;
    struct authority l = {j, 0, false};
    cmd__ok_open(j);
    jsonw_kstr(j, "account", acc.name);
    jsonw_kstr(j, "role", acc.role);
    jsonw_key(j, "sponsor");
    jsonw_str(j, acc.sponsor[0] ? acc.sponsor : NULL);
    jsonw_kbool(j, "enabled", acc.enabled);
    jsonw_kbool(j, "everything", all);
    jsonw_key(j, "objects");
    jsonw_arr(j);
    if ((e = authz_list(c->st, acc.name, item_cb, &l, &d)) != 0)
        return cmd__fail(j, e, &d);
    jsonw_end(j);
    jsonw_kint(j, "count", l.count);
    if (l.truncated)
        jsonw_kbool(j, "truncated", true);
    jsonw_end(j);
    return RP_OK;
}
