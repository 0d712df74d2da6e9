/*
 * cmd_account — the account rows of the command table: add, list, show, disable, enable and
 * token. A new token is made here, from the kernel's random source, and leaves lanad exactly
 * once: in the reply to the request that made it (account add, account token). The database
 * keeps only its StoredKey (common/auth.h), and no reply or audit row ever holds that.
 * Who may do what is db/account.c's and db/authz.c's to decide; listing and showing accounts
 * are public reads, as whois is.
 */
#include <stdio.h>
#include <string.h>

#include "common/auth.h"
#include "db/account.h"
#include "server/cmd_int.h"

static int account_cb(const struct account *a, void *arg)
{
    account_json(arg, a);
    return jsonw_over(arg) ? 1 : 0; /* 1: stop, the reply is over its cap */
}

/* {"ok":true,"account":{...}[,"token":HEX]} of account name as it now is. */
static enum regproto_code account_reply(struct cmd_ctx *c, const char *name, const char *token,
                                        struct jsonw *j)
{
    struct lana_diag d;
    struct account a;
    int e = account_get(c->st, name, &a, &d);
    if (e <= 0)
        return e < 0 ? cmd__fail(j, e, &d)
                     : cmd_error(j, RP_NOT_FOUND, "account %s: no such account", name);
    cmd__ok_open(j);
    jsonw_key(j, "account");
    account_json(j, &a);
    if (token != NULL)
        jsonw_kstr(j, "token", token);
    jsonw_end(j);
    return RP_OK;
}

/* A new token: its hex text into hex (AUTH_HEX_LEN bytes), its StoredKey into key. */
static enum regproto_code new_token(char hex[AUTH_HEX_LEN], uint8_t key[AUTH_KEY_LEN],
                                    struct jsonw *j)
{
    uint8_t token[AUTH_TOKEN_LEN];
    if (auth_random(token, sizeof token) != 0)
        return cmd_error(j, RP_INTERNAL, "no random bytes for a token");
    auth_stored_key(token, key);
    auth_hex(token, sizeof token, hex);
    memset(token, 0, sizeof token);
    return RP_OK;
}

enum regproto_code cmd__account_add(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    struct account acc;
    char hex[AUTH_HEX_LEN];
    memset(&acc, 0, sizeof acc);
    if (a->role == NULL)
        return cmd_error(j, RP_USAGE,
                         "account add NAME: --role admin|registrar|registrant is "
                         "required");
    if (account_check_name(a->pos[0], &d) != 0)
        return cmd__fail(j, LANA_EPARSE, &d);
    if (a->sponsor != NULL && strcmp(a->role, "registrant") != 0)
        return cmd_error(j, RP_INVALID,
                         "--sponsor: only a registrant has a sponsor (the "
                         "registrar whose customer it is)");
    if (a->sponsor != NULL && account_check_name(a->sponsor, &d) != 0)
        return cmd_error(j, RP_INVALID, "--sponsor: %s", d.msg);
    /* the door bounds --role and --sponsor by these sizes (cmd.c), the name is checked */
    snprintf(acc.name, sizeof acc.name, "%s", a->pos[0]);
    snprintf(acc.role, sizeof acc.role, "%s", a->role);
    snprintf(acc.sponsor, sizeof acc.sponsor, "%s", a->sponsor ? a->sponsor : "");
    enum regproto_code rc = new_token(hex, acc.stored_key, j);
    if (rc != RP_OK)
        return rc;
    int e = account_add(c->st, &acc, c->actor, &d);
    rc = e != 0 ? cmd__fail(j, e, &d) : account_reply(c, acc.name, hex, j);
    memset(hex, 0, sizeof hex);
    return rc;
}

enum regproto_code cmd__account_list(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    cmd__ok_open(j);
    jsonw_key(j, "accounts");
    jsonw_arr(j);
    int e = account_list(c->st, a->sponsor, account_cb, j, &d);
    if (e < 0)
        return cmd__fail(j, e, &d);
    jsonw_end(j);
    jsonw_end(j);
    return RP_OK;
}

enum regproto_code cmd__account_show(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    return account_reply(c, a->pos[0], NULL, j);
}

static enum regproto_code set_enabled(struct cmd_ctx *c, const struct cmd_args *a, bool on,
                                      struct jsonw *j)
{
    struct lana_diag d;
    int e = account_set_enabled(c->st, a->pos[0], on, c->actor, &d);
    return e != 0 ? cmd__fail(j, e, &d) : account_reply(c, a->pos[0], NULL, j);
}

enum regproto_code cmd__account_disable(struct cmd_ctx *c, const struct cmd_args *a,
                                        struct jsonw *j)
{
    return set_enabled(c, a, false, j);
}

enum regproto_code cmd__account_enable(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    return set_enabled(c, a, true, j);
}

enum regproto_code cmd__account_token(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    char hex[AUTH_HEX_LEN];
    uint8_t key[AUTH_KEY_LEN];
    enum regproto_code rc = new_token(hex, key, j);
    if (rc != RP_OK)
        return rc;
    int e = account_set_key(c->st, a->pos[0], key, c->actor, &d);
    rc = e != 0 ? cmd__fail(j, e, &d) : account_reply(c, a->pos[0], hex, j);
    memset(hex, 0, sizeof hex);
    return rc;
}
