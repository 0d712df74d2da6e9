/*
 * cmd_record — the record rows of the command table: add and del of one record given as words
 * (NAME TYPE DATA...). Which types and what data are allowed is db/names' business.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "server/cmd_int.h"

#define RECORD_DATA_MAX 2048 /* bytes of record data text */

/* Record data from words: TXT takes each word as one string; others read the words as text. */
static enum regproto_code record_data(const char *type, const struct cmd_args *a, int from,
                                      char *out, size_t size, struct jsonw *j)
{
    size_t len = 0;
    bool txt = strcasecmp(type, "TXT") == 0;
    out[0] = '\0';
    for (int i = from; i < a->npos; i++) {
        const char *w = a->pos[i];
        if (len + 2 * strlen(w) + 4 >= size) /* worst case: every byte escaped, 2 quotes */
            return cmd_error(j, RP_TOO_LONG, "record data too long");
        if (len)
            out[len++] = ' ';
        if (txt)
            out[len++] = '"';
        for (; *w; w++) {
            if (txt && (*w == '"' || *w == '\\'))
                out[len++] = '\\';
            out[len++] = *w;
        }
        if (txt)
            out[len++] = '"';
        out[len] = '\0';
    }
    return RP_OK;
}

static enum regproto_code record_reply(const struct cmd_args *a, const char *data, bool add,
                                       int64_t deleted, struct jsonw *j)
{
    cmd__ok_open(j);
    jsonw_key(j, "record");
    jsonw_obj(j);
    jsonw_kstr(j, "name", a->pos[0]);
    jsonw_kstr(j, "type", a->pos[1]);
    jsonw_kstr(j, "data", data);
    jsonw_end(j);
    if (!add)
        jsonw_kint(j, "deleted", deleted);
    jsonw_end(j);
    return RP_OK;
}

enum regproto_code cmd__record_add(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    char data[RECORD_DATA_MAX];
    enum regproto_code rc = record_data(a->pos[1], a, 2, data, sizeof data, j);
    if (rc != RP_OK)
        return rc;
    int e = rrset_add(c->nm, a->pos[0], a->pos[1], data, c->actor, &d);
    return e ? cmd__fail(j, e, &d) : record_reply(a, data, true, 0, j);
}

/* Without DATA: every record of that type at the name. */
enum regproto_code cmd__record_del(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    char data[RECORD_DATA_MAX];
    int64_t deleted = 0;
    enum regproto_code rc = record_data(a->pos[1], a, 2, data, sizeof data, j);
    if (rc != RP_OK)
        return rc;
    int e = rrset_del(c->nm, a->pos[0], a->pos[1], data[0] ? data : NULL, c->actor, &deleted,
                             &d);
    return e ? cmd__fail(j, e, &d) : record_reply(a, data, false, deleted, j);
}
