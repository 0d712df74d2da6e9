/*
 * cmd_key — the key rows of the command table: TSIG keys (RFC 8945) for zone transfers, all
 * admin's. A new key's secret comes from the caller (--secret, base64) or from the kernel's
 * random generator: as many bytes as the algorithm's hash (RFC 8945 §6: a key as long as the
 * MAC). The secret is in the reply of add and show, and of list with --secrets.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "common/tsig.h"
#include "db/tsigkey.h"
#include "server/cmd_int.h"

/* KEY:{name, algorithm, [secret,] zones ("all" or a list), created} as a member of j. */
static void put_key(struct jsonw *j, const char *member, const struct tsigkey *k, bool secret)
{
    if (member != NULL)
        jsonw_key(j, member);
    jsonw_obj(j);
    jsonw_kstr(j, "name", k->name);
    jsonw_kstr(j, "algorithm", tsig_alg_name(k->key.alg));
    if (secret) {
        char b64[TSIG_B64_MAX];
        tsig_b64_encode(k->key.secret, k->key.secret_len, b64);
        jsonw_kstr(j, "secret", b64);
        memset(b64, 0, sizeof b64);
    }
    jsonw_key(j, "zones");
    tsigkey_zones_json(j, k);
    jsonw_kint(j, "created", k->created);
    jsonw_end(j);
}

static enum regproto_code ok_key(const struct tsigkey *k, struct jsonw *j)
{
    cmd__ok_open(j);
    put_key(j, "key", k, true);
    jsonw_end(j);
    return RP_OK;
}

enum regproto_code cmd__key_add(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    struct tsigkey k;
    uint8_t secret[TSIG_SECRET_MAX];
    enum tsig_alg alg = a->algorithm ? tsig_alg_parse(a->algorithm) : TSIG_HMAC_SHA256;
    if (alg == TSIG_ALG_NONE)
        return cmd_error(j, RP_INVALID, "--algorithm %s: hmac-sha256, hmac-sha512 or hmac-sha1",
                         a->algorithm);
    int n;
    if (a->secret != NULL) {
        if ((n = tsig_b64_decode(a->secret, secret, sizeof secret, &d)) < 0)
            return cmd_error(j, RP_INVALID, "--%s", d.msg);
    } else {
        n = (int)tsig_alg_maclen(alg);
        if (getrandom(secret, (size_t)n, 0) != n) /* a few bytes: never short, never blocks
                                                   * once the kernel's pool is ready */
            return cmd_error(j, RP_INTERNAL, "random bytes: %s", strerror(errno));
    }
    int e = tsigkey_add(c->st, a->pos[0], alg, secret, (size_t)n, a->blocks,
                        (unsigned)a->nblocks, c->actor, &k, &d);
    memset(secret, 0, sizeof secret);
    enum regproto_code rc = e ? cmd__fail(j, e, &d) : ok_key(&k, j);
    memset(&k, 0, sizeof k);
    return rc;
}

enum regproto_code cmd__key_show(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    struct tsigkey k;
    int e = tsigkey_get(c->st, a->pos[0], &k, &d);
    enum regproto_code rc = e ? cmd__fail(j, e, &d) : ok_key(&k, j);
    memset(&k, 0, sizeof k);
    return rc;
}

struct list_ctx {
    struct jsonw *j;
    bool secrets;
};

static int list_one(const struct tsigkey *k, void *arg)
{
    struct list_ctx *lc = arg;
    put_key(lc->j, NULL, k, lc->secrets);
    return 0;
}

enum regproto_code cmd__key_list(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    struct list_ctx lc = {j, a->secrets};
    cmd__ok_open(j);
    jsonw_key(j, "keys");
    jsonw_arr(j);
    int e = tsigkey_list(c->st, list_one, &lc, &d);
    if (e != 0)
        return cmd__fail(j, e, &d);
    jsonw_end(j);
    jsonw_end(j);
    return RP_OK;
}

enum regproto_code cmd__key_del(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    char name[DNAME_TEXT_MAX];
    int e = tsigkey_name(a->pos[0], name, NULL, &d);
    if (e == 0)
        e = tsigkey_del(c->st, name, c->actor, &d);
    if (e != 0)
        return cmd__fail(j, e, &d);
    cmd__ok_open(j);
    jsonw_kstr(j, "deleted", name);
    jsonw_end(j);
    return RP_OK;
}
