/*
 * cmd_class — the class rows of the command table: create (the accounts with their tokens,
 * shown this once), report (per student: blocks, zone, hosts, records, last change) and
 * delete (the reset). The work is db/class.c's; this file reads the words and writes JSON.
 *
 * The reply of create is complete however large the class: an authenticated connection's
 * replies have no cap (regconn's output grows as needed, and lana's reader too), and a class
 * of 1,000 students is about 200 KB.
 */
#include <stdio.h>
#include <string.h>

#include "common/num.h"
#include "db/class.h"
#include "server/cmd_int.h"

/* "/24" or "24" for --v4 / --v6: 0 and *out, or the error reply's code. */
static enum regproto_code plen_of(const char *opt, const char *s, unsigned max, unsigned *out,
                                  struct jsonw *j)
{
    struct lana_diag d;
    uint64_t v;
    if (s == NULL)
        return RP_OK;
    if (num_parse_u64(s + (*s == '/'), 1, max, &v, &d) != 0)
        return cmd_error(j, RP_INVALID, "--%s: a prefix length such as /%u: %s", opt,
                         max == CIDR_V4_BITS ? CLASS_V4_DEFAULT : CLASS_V6_DEFAULT, d.msg);
    *out = (unsigned)v;
    return RP_OK;
}

static void kcidr(struct jsonw *j, const char *k, const struct cidr *c)
{
    char t[CIDR_STRLEN];
    if (cidr_format(c, t, sizeof t) < 0)
        snprintf(t, sizeof t, "?");
    jsonw_kstr(j, k, t);
}

enum regproto_code cmd__class_create(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    struct class_spec s = {.name = a->pos[0], .suffix = a->suffix};
    struct class_made m;
    uint64_t n;
    enum regproto_code rc;
    if (a->students == NULL)
        return cmd_error(j, RP_USAGE, "class create: --students N is required");
    if (num_parse_u64(a->students, 1, CLASS_STUDENTS_MAX, &n, &d) != 0)
        return cmd_error(j, RP_INVALID, "--students: %s", d.msg);
    s.students = (unsigned)n;
    if ((rc = plen_of("v4", a->v4, CIDR_V4_BITS, &s.v4, j)) != RP_OK ||
        (rc = plen_of("v6", a->v6, CIDR_V6_BITS, &s.v6, j)) != RP_OK)
        return rc;
    int e = class_create(c->nm, &s, c->actor, &m, &d);
    if (e != 0) {
        class_made_free(&m);
        return cmd__fail(j, e, &d);
    }
    cmd__ok_open(j);
    jsonw_key(j, "class");
    jsonw_obj(j);
    jsonw_kstr(j, "name", m.m[0].name);
    jsonw_kstr(j, "suffix", m.suffix);
    jsonw_kint(j, "students", (int64_t)m.n - 1);
    kcidr(j, "v4", &m.m[0].v4);
    kcidr(j, "v6", &m.m[0].v6);
    jsonw_kbool(j, "suffix_made", m.suffix_made);
    jsonw_end(j);
    jsonw_key(j, "accounts");
    jsonw_arr(j);
    for (unsigned i = 0; i < m.n; i++) {
        const struct class_member *mb = &m.m[i];
        jsonw_obj(j);
        jsonw_kstr(j, "name", mb->name);
        jsonw_kstr(j, "role", mb->role);
        jsonw_kstr(j, "token", mb->token);
        kcidr(j, "v4", &mb->v4);
        kcidr(j, "v6", &mb->v6);
        if (mb->zone[0])
            jsonw_kstr(j, "zone", mb->zone);
        jsonw_end(j);
    }
    jsonw_end(j);
    jsonw_end(j);
    class_made_free(&m);
    return RP_OK;
}

static int report_cb(const struct class_row *r, void *arg)
{
    struct jsonw *j = arg;
    jsonw_obj(j);
    jsonw_kstr(j, "name", r->name);
    jsonw_kbool(j, "enabled", r->enabled);
    cmd__kcidrs(j, "blocks", r->blocks, r->nblocks);
    jsonw_kstr(j, "zone", r->zone);
    jsonw_kint(j, "hosts", r->hosts);
    jsonw_kint(j, "records", r->records);
    jsonw_kint(j, "last", r->last);
    jsonw_end(j);
    return jsonw_over(j) ? 1 : 0;
}

/*
 * A read, but not a public one: it says what each student did and when, as the audit log
 * does, so it is for accounts (CMD_ACCOUNT) and, of those, for admin and the class's own
 * registrar (the teacher may hold either token).
 */
enum regproto_code cmd__class_report(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    struct class_info ci;
    const char *name = a->pos[0];
    if (c->who != NULL && c->who->role != AUTHZ_ADMIN && strcmp(c->who->name, name) != 0)
        return cmd_error(j, RP_PERMISSION,
                         "the report of class %s is for admin and %s; %s is "
                         "neither",
                         name, name, c->who->name);
    int e = class_report(c->nm, name, &ci, NULL, NULL, &d);
    if (e != 0)
        return cmd__fail(j, e, &d);
    cmd__ok_open(j);
    jsonw_key(j, "class");
    jsonw_obj(j);
    jsonw_kstr(j, "name", ci.name);
    jsonw_kstr(j, "suffix", ci.suffix);
    jsonw_kint(j, "students", ci.students);
    jsonw_kint(j, "created", ci.created);
    jsonw_end(j);
    jsonw_key(j, "students");
    jsonw_arr(j);
    if ((e = class_report(c->nm, name, NULL, report_cb, j, &d)) != 0)
        return cmd__fail(j, e, &d);
    jsonw_end(j);
    jsonw_end(j);
    return RP_OK;
}

enum regproto_code cmd__class_delete(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j)
{
    struct lana_diag d;
    struct class_gone g;
    int e = class_delete(c->nm, a->pos[0], c->actor, &g, &d);
    if (e != 0)
        return cmd__fail(j, e, &d);
    cmd__ok_open(j);
    jsonw_kstr(j, "deleted", a->pos[0]);
    jsonw_kint(j, "accounts", g.accounts);
    jsonw_kint(j, "zones", g.zones);
    jsonw_kint(j, "blocks", g.blocks);
    jsonw_kint(j, "hosts", g.hosts);
    jsonw_end(j);
    return RP_OK;
}
