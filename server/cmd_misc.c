/*
 * cmd_misc — the small rows of the command table: whois (the chain of blocks that holds an
 * address or prefix), log (the audit log), ping, and help, which is written from the table
 * itself so that it cannot list a command the server does not take or miss one it does.
 */
#include <stdio.h>
#include <string.h>

#include "common/num.h"
#include "db/audit.h"
#include "server/cmd_int.h"

/* A prefix, or an address taken as a /32 or /128. */
static enum regproto_code prefix_or_addr(const char *s, struct cidr *c, struct jsonw *j)
{
    struct lana_diag d;
    if (strchr(s, '/') ? cidr_parse(s, c, &d) != 0 : cidr_parse_addr(s, c, &d) != 0)
        return cmd_error(j, RP_INVALID, "%s", d.msg);
    return RP_OK;
}

enum regproto_code cmd__whois(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    struct cidr p;
    enum regproto_code rc;
    if ((rc = prefix_or_addr(a->pos[0], &p, j)) != RP_OK)
        return rc;
    char t[CIDR_STRLEN];
    cidr_format(&p, t, sizeof t);
    cmd__ok_open(j);
    jsonw_kstr(j, "query", t);
    jsonw_key(j, "chain");
    int e = cmd__chain(c, &p, j, &d);
    if (e != 0)
        return cmd__fail(j, e, &d);
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
    return jsonw_over(j) ? 1 : 0; /* 1: stop, the reply is over its cap */
}

enum regproto_code cmd__log(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    uint64_t since = 0, limit = 1000;
    if (a->since && num_parse_u64(a->since, 0, INT64_MAX, &since, &d) != 0)
        return cmd_error(j, RP_INVALID, "--since: %s", d.msg);
    if (a->limit && num_parse_u64(a->limit, 1, 1000000, &limit, &d) != 0)
        return cmd_error(j, RP_INVALID, "--limit: %s", d.msg);
    /* admin reads everything, a registrar its own and its customers' changes, a registrant
     * its own; the log is not public (it holds the before and after of every change) */
    const char *who = c->who && c->who->role != AUTHZ_ADMIN ? c->who->name : NULL;
    bool customers = c->who && c->who->role == AUTHZ_REGISTRAR;
    cmd__ok_open(j);
    jsonw_key(j, "log");
    jsonw_arr(j);
    /* without --since, the newest --limit entries; with it, the first ones from then on (a
     * reader pages forward); oldest first either way */
    int e = audit_list_of(c->st, who, customers, (int64_t)since, (int64_t)limit, a->since == NULL,
                          log_cb, j, &d);
    if (e != 0)
        return cmd__fail(j, e, &d);
    jsonw_end(j);
    jsonw_end(j);
    return RP_OK;
}

enum regproto_code cmd__ping(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    (void)c;
    (void)a;
    cmd__ok_open(j);
    jsonw_kbool(j, "pong", true);
    jsonw_end(j);
    return RP_OK;
}

/* {"ok":true,"commands":"pool add|del|list, ...","table":[{command,usage,write}...]} */
enum regproto_code cmd__help(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    (void)c;
    (void)a;
    char list[1024];
    size_t len = 0;
    for (size_t i = 0; i < cmd_ntable; i++) {
        const struct cmd *r = &cmd_table[i];
        bool same = i > 0 && strcmp(cmd_table[i - 1].verb, r->verb) == 0;
        int n = same ? snprintf(list + len, sizeof list - len, "|%s", r->sub)
                     : snprintf(list + len, sizeof list - len, "%s%s%s%s", len ? ", " : "", r->verb,
                                r->sub ? " " : "", r->sub ? r->sub : "");
        if (n < 0 || (size_t)n >= sizeof list - len)
            return cmd_error(j, RP_INTERNAL, "help text longer than %zu bytes", sizeof list);
        len += (size_t)n;
    }
    cmd__ok_open(j);
    jsonw_kstr(j, "commands", list);
    jsonw_key(j, "table");
    jsonw_arr(j);
    for (size_t i = 0; i < cmd_ntable; i++) {
        const struct cmd *r = &cmd_table[i];
        jsonw_obj(j);
        jsonw_kstr(j, "verb", r->verb);
        jsonw_key(j, "sub");
        if (r->sub)
            jsonw_str(j, r->sub);
        else
            jsonw_null(j);
        jsonw_kstr(j, "usage", r->usage);
        jsonw_kbool(j, "write", cmd_is_write(r));
        /* the authority it needs: the tree decides for "account" rows (db/authz.h) */
        jsonw_kstr(j, "auth", (r->flags & CMD_ADMIN)                          ? "admin"
                              : cmd_is_write(r) || (r->flags & CMD_ACCOUNT) ? "account"
                                                                            : "public");
        /* what the text door allows each option's value (cmd.h), so that a client or a test
         * can walk every field of every row */
        jsonw_key(j, "options");
        jsonw_arr(j);
        for (const struct cmd_opt *o = r->opts; o != NULL && o->name != NULL; o++) {
            jsonw_obj(j);
            jsonw_kstr(j, "name", o->name);
            jsonw_kbool(j, "value", o->kind != CMDARGS_FLAG);
            if (o->kind != CMDARGS_FLAG)
                jsonw_kint(j, "max", (int64_t)(o->max ? o->max : CMDARGS_TEXT_MAX));
            jsonw_end(j);
        }
        jsonw_end(j);
        jsonw_kint(j, "min_pos", r->min_pos);
        jsonw_kint(j, "max_pos", r->max_pos);
        jsonw_end(j);
    }
    jsonw_end(j);
    jsonw_end(j);
    return RP_OK;
}
