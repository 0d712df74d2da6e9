/*
 * cmd — see cmd.h. The table, and everything derived from it: lookup, permission, argument
 * checks, the text door, usage errors and help. The handlers live in cmd_<verb>.c (cmd_misc.c
 * for the small ones).
 */
#include "server/cmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/text.h"
#include "common/tsig.h"
#include "db/authz.h"
#include "db/root.h"
#include "server/cmd_int.h"

#define OPTS(...) ((const struct cmd_opt[]){__VA_ARGS__, {NULL, CMDARGS_FLAG, 0, 0}})
/* what db/ipam and db/service keep of a holder or a description */
#define TEXT_FIELD_MAX (IPAM_TEXT_MAX - 1)
#define DESC CMDARGS_OPT_TEXT(desc, TEXT_FIELD_MAX)
#define HOLDER_DESC CMDARGS_OPT_TEXT(holder, TEXT_FIELD_MAX), DESC
#define BLOCKS CMDARGS_OPT("block", CMDARGS_LIST, blocks)
#define TO CMDARGS_OPT_TEXT(to, ACCOUNT_NAME_MAX - 1)
#define FOR {"for", CMDARGS_VALUE, offsetof(struct cmd_args, for_), ACCOUNT_NAME_MAX - 1}
#define ADMIN (CMD_WRITE | CMD_ADMIN)
#define ROLE CMDARGS_OPT_TEXT(role, sizeof((struct account *)0)->role - 1)
#define SPONSOR CMDARGS_OPT_TEXT(sponsor, ACCOUNT_NAME_MAX - 1)

/* Order matters only for help and for the "usage: VERB a|b|c" of an unknown subcommand. */
const struct cmd cmd_table[] = {
    {"pool", "add", ADMIN, 0, 1, 1, "pool add PREFIX [--desc TEXT]", OPTS(DESC), cmd__pool_add},
    {"pool", "del", ADMIN, 0, 1, 1, "pool del PREFIX", NULL, cmd__pool_del},
    {"pool", "list", 0, 0, 0, 0, "pool list", NULL, cmd__pool_list},
    {"block", "alloc", CMD_WRITE, 0, 1, 2,
     "block alloc PARENT /N|PREFIX [--to ACCOUNT] [--holder H] [--desc TEXT] [--assign]",
     OPTS(TO, HOLDER_DESC, CMDARGS_OPT_FLAG(assign)), cmd__block_alloc},
    {"block", "assign", CMD_WRITE, 0, 1, 2,
     "block assign PREFIX|PARENT /N [--to ACCOUNT] [--holder H] [--desc TEXT]",
     OPTS(TO, HOLDER_DESC), cmd__block_assign},
    {"block", "reserve", CMD_WRITE, 0, 1, 1,
     "block reserve PREFIX [--to ACCOUNT] [--holder H] [--desc TEXT]", OPTS(TO, HOLDER_DESC),
     cmd__block_reserve},
    {"block", "release", CMD_WRITE, 0, 1, 1, "block release PREFIX [--recursive]",
     OPTS(CMDARGS_OPT_FLAG(recursive)), cmd__block_release},
    {"block", "update", CMD_WRITE, 0, 1, 1, "block update PREFIX [--holder H] [--desc TEXT]",
     OPTS(HOLDER_DESC), cmd__block_update},
    {"block", "show", 0, 0, 1, 1, "block show PREFIX", NULL, cmd__block_show},
    {"block", "list", 0, 0, 0, 1, "block list [PREFIX]", NULL, cmd__block_list},
    {"block", "tree", 0, 0, 0, 1, "block tree [PREFIX] [--depth N]", OPTS(CMDARGS_OPT_VALUE(depth)),
     cmd__block_tree},
    {"whois", NULL, 0, 0, 1, 1, "whois ADDRESS|PREFIX", NULL, cmd__whois},
    {"zone", "add", CMD_WRITE, 0, 1, 1, "zone add NAME [--for ACCOUNT] [--block PREFIX]...",
     OPTS(FOR, BLOCKS), cmd__zone_add},
    {"zone", "del", CMD_WRITE, 0, 1, 1, "zone del NAME [--recursive]",
     OPTS(CMDARGS_OPT_FLAG(recursive)), cmd__zone_del},
    {"zone", "list", 0, 0, 0, 0, "zone list", NULL, cmd__zone_list},
    {"zone", "show", 0, 0, 1, 1, "zone show NAME", NULL, cmd__zone_show},
    {"zone", "export", 0, 0, 1, 1, "zone export NAME", NULL, cmd__zone_export},
    {"zone", "notify", CMD_WRITE, 0, 2, 3, "zone notify add|del|list ZONE [ADDR[:PORT]]", NULL,
     cmd__zone_notify},
    {"zone", "secondaries", 0, 0, 0, 1, "zone secondaries [ZONE]", NULL, cmd__zone_secondaries},
    {"zone", "import", ADMIN, CMD_FRAME_IMPORT, 0, 0,
     "zone import [--origin NAME], the file's lines, then .",
     OPTS(CMDARGS_OPT_TEXT(origin, CMD_ORIGIN_MAX)), NULL},
    {"host", "add", CMD_WRITE, 0, 1, 1,
     "host add NAME [--v4 auto|none|ADDR] [--v6 auto|none|ADDR] [--block PREFIX] [--force]",
     OPTS(CMDARGS_OPT_VALUE(v4), CMDARGS_OPT_VALUE(v6), BLOCKS, CMDARGS_OPT_FLAG(force)),
     cmd__host_add},
    {"host", "del", CMD_WRITE, 0, 1, 1, "host del NAME", NULL, cmd__host_del},
    {"host", "show", 0, 0, 1, 1, "host show NAME", NULL, cmd__host_show},
    {"host", "list", 0, 0, 0, 1, "host list [ZONE]", NULL, cmd__host_list},
    {"host", "rename", CMD_WRITE, 0, 2, 2, "host rename OLD NEW", NULL, cmd__host_rename},
    {"record", "add", CMD_WRITE, 0, 3, -1, "record add NAME TYPE DATA...", NULL, cmd__record_add},
    {"record", "del", CMD_WRITE, 0, 2, -1, "record del NAME TYPE [DATA...]", NULL, cmd__record_del},
    {"service", "add", ADMIN, 0, 2, 2, "service add NAME tcp|udp [--port N|auto] [--desc TEXT]",
     OPTS(CMDARGS_OPT_VALUE(port), DESC), cmd__service_add},
    {"service", "del", ADMIN, 0, 2, 2, "service del NAME tcp|udp", NULL, cmd__service_del},
    {"service", "list", 0, 0, 0, 0, "service list", NULL, cmd__service_list},
    {"service", "bind", CMD_WRITE, 0, 2, 2,
     "service bind HOST SERVICE [--proto tcp|udp] [--port N]",
     OPTS(CMDARGS_OPT_VALUE(proto), CMDARGS_OPT_VALUE(port)), cmd__service_bind},
    {"service", "unbind", CMD_WRITE, 0, 2, 2, "service unbind HOST SERVICE [--proto tcp|udp]",
     OPTS(CMDARGS_OPT_VALUE(proto)), cmd__service_unbind},
    {"account", "add", CMD_WRITE | CMD_SECRET, 0, 1, 1,
     "account add NAME --role admin|registrar|registrant [--sponsor REGISTRAR]",
     OPTS(ROLE, SPONSOR), cmd__account_add},
    {"account", "list", 0, 0, 0, 0, "account list [--sponsor REGISTRAR]", OPTS(SPONSOR),
     cmd__account_list},
    {"account", "show", 0, 0, 1, 1, "account show NAME", NULL, cmd__account_show},
    {"account", "disable", CMD_WRITE, 0, 1, 1, "account disable NAME", NULL, cmd__account_disable},
    {"account", "enable", CMD_WRITE, 0, 1, 1, "account enable NAME", NULL, cmd__account_enable},
    {"account", "token", CMD_WRITE | CMD_SECRET, 0, 1, 1, "account token NAME", NULL, cmd__account_token},
    {"class", "create", ADMIN | CMD_SECRET, 0, 1, 1,
     "class create NAME --students N [--v4 /24] [--v6 /64] [--suffix lab.]",
     OPTS(CMDARGS_OPT_VALUE(students), CMDARGS_OPT_VALUE(v4), CMDARGS_OPT_VALUE(v6),
          CMDARGS_OPT_TEXT(suffix, 253)),
     cmd__class_create},
    {"class", "report", CMD_ACCOUNT, 0, 1, 1, "class report NAME", NULL, cmd__class_report},
    {"class", "delete", ADMIN, 0, 1, 1, "class delete NAME", NULL, cmd__class_delete},
    {"key", "add", ADMIN | CMD_SECRET, 0, 1, 1,
     "key add NAME [--algorithm hmac-sha256|hmac-sha512|hmac-sha1] [--secret BASE64] "
     "[--zone ZONE]...",
     OPTS(CMDARGS_OPT_TEXT(algorithm, 32), CMDARGS_OPT_TEXT(secret, TSIG_B64_MAX - 1),
          CMDARGS_OPT("zone", CMDARGS_LIST, blocks)),
     cmd__key_add},
    {"key", "list", CMD_ADMIN, 0, 0, 0, "key list [--secrets]", OPTS(CMDARGS_OPT_FLAG(secrets)),
     cmd__key_list},
    {"key", "show", CMD_ADMIN, 0, 1, 1, "key show NAME", NULL, cmd__key_show},
    {"key", "del", ADMIN, 0, 1, 1, "key del NAME", NULL, cmd__key_del},
    {"log", NULL, CMD_ACCOUNT, 0, 0, 0, "log [--since UNIX_MS] [--limit N]",
     OPTS(CMDARGS_OPT_VALUE(since), CMDARGS_OPT_VALUE(limit)), cmd__log},
    {"authority", NULL, 0, 0, 0, 1, "authority [ACCOUNT]", NULL, cmd__authority},
    {"batch", NULL, 0, CMD_FRAME_BATCH, 0, 0,
     "batch [--keep-going] [--progress N], the lines, then end",
     OPTS(CMDARGS_OPT("keep-going", CMDARGS_FLAG, keep_going), CMDARGS_OPT_VALUE(progress)), NULL},
    {"end", NULL, 0, CMD_FRAME_END, 0, 0, "end (closes a batch)", NULL, NULL},
    {"ping", NULL, 0, 0, 0, 0, "ping", NULL, cmd__ping},
    {"help", NULL, 0, 0, 0, 0, "help", NULL, cmd__help},
    {"quit", NULL, 0, CMD_FRAME_QUIT, 0, 0, "quit", NULL, NULL},
    {"root", "add", ADMIN, 0, 2, 1 + ROOT_ADDRS_MAX, "root add NAME ADDR...", NULL, cmd__root_add},
    {"root", "del", ADMIN, 0, 1, 1, "root del NAME", NULL, cmd__root_del},
    {"root", "hints", 0, 0, 0, 0, "root hints", NULL, cmd__root_hints},
};
const size_t cmd_ntable = sizeof cmd_table / sizeof cmd_table[0];

enum regproto_code cmd_error(struct jsonw *j, enum regproto_code code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        snprintf(msg, sizeof msg, "(unprintable message)");
    else if ((size_t)n >= sizeof msg)
        memcpy(msg + sizeof msg - 4, "...", 4); /* cut, and say so */
    jsonw_reset(j);
    jsonw_obj(j);
    jsonw_kbool(j, "ok", false);
    jsonw_key(j, "error");
    jsonw_obj(j);
    jsonw_kstr(j, "code", regproto_code_name(code));
    jsonw_kstr(j, "message", msg);
    jsonw_end(j);
    jsonw_end(j);
    return code;
}

void cmd__ok_open(struct jsonw *j)
{
    jsonw_reset(j);
    jsonw_obj(j);
    jsonw_kbool(j, "ok", true);
}

enum regproto_code cmd__fail(struct jsonw *j, int rc, const struct lana_diag *d)
{
    return cmd_error(j, regproto_code_of(rc), "%s", d->msg);
}

enum regproto_code cmd__prefix(const char *s, struct cidr *c, struct jsonw *j)
{
    struct lana_diag d;
    if (cidr_parse(s, c, &d) != 0)
        return cmd_error(j, RP_INVALID, "%s", d.msg);
    return RP_OK;
}

void cmd__kcidrs(struct jsonw *j, const char *key, const struct cidr *v, unsigned n)
{
    jsonw_key(j, key);
    jsonw_arr(j);
    for (unsigned i = 0; i < n; i++) {
        char t[CIDR_STRLEN];
        cidr_format(&v[i], t, sizeof t);
        jsonw_str(j, t);
    }
    jsonw_end(j);
}

bool cmd_permitted(const struct cmd *row, const struct cmd_ctx *c)
{
    if (!cmd_is_write(row) && (row->flags & CMD_ADMIN) == 0) /* an account-only read: any
                                                                 * account, a disabled one too */
        return (row->flags & CMD_ACCOUNT) == 0 || c->may_write || c->who != NULL;
    if (!c->may_write)
        return false;
    return (row->flags & CMD_ADMIN) == 0 || c->who == NULL || c->who->role == AUTHZ_ADMIN;
}

const struct cmd *cmd_find(int argc, char **argv)
{
    for (size_t i = 0; argc > 0 && i < cmd_ntable; i++) {
        const struct cmd *r = &cmd_table[i];
        if (strcmp(r->verb, argv[0]) != 0)
            continue;
        if (r->sub == NULL || (argc > 1 && strcmp(r->sub, argv[1]) == 0))
            return r;
    }
    return NULL;
}

/* The table's verbs (each once: the first row of a verb), for text_nearest. */
static const char *verb_at(size_t i, void *arg)
{
    (void)arg;
    return i > 0 && strcmp(cmd_table[i - 1].verb, cmd_table[i].verb) == 0 ? NULL
                                                                          : cmd_table[i].verb;
}

/* The subcommands of the verb arg, for text_nearest. */
static const char *sub_at(size_t i, void *arg)
{
    return strcmp(cmd_table[i].verb, arg) == 0 ? cmd_table[i].sub : NULL;
}

/* "usage: VERB a|b|c ..." from the rows of a known verb, or "unknown command"; either with
 * "did you mean ...?" when one name of the table is near (sub: the word after the verb). */
static enum regproto_code no_row(const char *verb, const char *sub, struct jsonw *j)
{
    char subs[256];
    size_t len = 0;
    for (size_t i = 0; i < cmd_ntable; i++) {
        const struct cmd *r = &cmd_table[i];
        if (r->sub == NULL || strcmp(r->verb, verb) != 0)
            continue;
        int n = snprintf(subs + len, sizeof subs - len, "%s%s", len ? "|" : "", r->sub);
        if (n < 0 || (size_t)n >= sizeof subs - len)
            break; /* the table's subcommands fit; a cut list is still a usage reply */
        len += (size_t)n;
    }
    if (len == 0) {
        const char *near = text_nearest(verb, cmd_ntable, verb_at, NULL);
        return cmd_error(j, RP_USAGE, "%.*s: unknown command (%s%s%s)",
                         (int)text_cut(verb, strlen(verb), 64), verb, near ? "did you mean " : "try help",
                         near ? near : "", near ? "?" : "");
    }
    const char *near = sub ? text_nearest(sub, cmd_ntable, sub_at, (void *)verb) : NULL;
    if (near != NULL)
        return cmd_error(j, RP_USAGE, "usage: %s %s ... (did you mean %s %s?)", verb, subs, verb,
                         near);
    return cmd_error(j, RP_USAGE, "usage: %s %s ...", verb, subs);
}

/*
 * The name of positional word k (from 0) of row r, taken from its usage: "host rename OLD NEW"
 * names them OLD and NEW; brackets are dropped ("[PREFIX]"), a name ending in "..." (DATA...)
 * names every word from there on, and option groups ("[--holder H]") are skipped. What the
 * usage does not name is "word N" (N counted from the verb, 1-based).
 */
static void pos_name(const struct cmd *r, int k, int word, char *buf, size_t size)
{
    const char *p = r->usage;
    int skip = r->sub ? 2 : 1, seen = 0;
    bool in_opt = false;
    size_t n;
    for (; *p; p += n) {
        p += strspn(p, " ");
        n = strcspn(p, " ");
        if (n == 0)
            break;
        if (skip > 0) {
            skip--;
            continue;
        }
        bool last = p[n - 1] == ','; /* "[--origin NAME], the file's lines": prose follows */
        if (in_opt || strncmp(p, "[--", 3) == 0) {
            in_opt = memchr(p, ']', n) == NULL;
            if (last)
                break;
            continue;
        }
        const char *name = p + (*p == '[');
        size_t len = (size_t)(p + n - name);
        while (len > 0 && (name[len - 1] == ']' || name[len - 1] == ','))
            len--;
        bool more = len > 3 && strncmp(name + len - 3, "...", 3) == 0;
        if (more)
            len -= 3;
        if (seen++ == k || more) {
            int m = snprintf(buf, size, "%.*s", (int)len, name);
            if (m >= 0 && (size_t)m < size)
                return;
            break;
        }
        if (last)
            break;
    }
    snprintf(buf, size, "word %d", word + 1); /* short: always fits */
}

/*
 * What field argv[i] (i past the verb and sub) is, by what cmdargs_parse made of it (a points
 * into argv): its name for messages, and the most bytes it may hold. An option's own word is
 * named after the option, and so is its value (also one a repeated option replaced).
 */
static size_t field_of(const struct cmd *r, const struct cmd_args *a, char **argv, int i,
                       char *name, size_t size)
{
    const char *w = argv[i];
    for (int k = 0; k < a->npos; k++)
        if (a->pos[k] == w) {
            pos_name(r, k, i, name, size);
            return CMDARGS_TEXT_MAX;
        }
    bool value = strncmp(w, "--", 2) != 0; /* not positional, not an option: a value */
    const char *opt = value ? argv[i - 1] : w;
    for (const struct cmd_opt *o = r->opts; o != NULL && o->name != NULL; o++) {
        if (strcmp(opt + 2, o->name) != 0)
            continue;
        snprintf(name, size, "--%s", o->name); /* the table's names are short */
        return value && o->max ? o->max : CMDARGS_TEXT_MAX;
    }
    snprintf(name, size, "word %d", i + 1); /* cannot happen after a successful parse */
    return CMDARGS_TEXT_MAX;
}

/*
 * The text door: every word of the request must be text (common/text.h: UTF-8, no control
 * character) of at most its field's bytes, before any handler sees it. RP_OK, or RP_INVALID
 * with the error reply in j naming the field ("--holder: invalid UTF-8 at byte 1 (...)").
 */
static enum regproto_code door(const struct cmd *r, const struct cmd_args *a, int argc, char **argv,
                               struct jsonw *j)
{
    /* the verb and sub matched the table's words: text already */
    for (int i = r->sub ? 2 : 1; i < argc; i++) {
        char name[64];
        struct lana_diag d;
        size_t max = field_of(r, a, argv, i, name, sizeof name);
        if (text_check(argv[i], strlen(argv[i]), max, 0, name, &d) != 0)
            return cmd_error(j, RP_INVALID, "%s", d.msg);
    }
    return RP_OK;
}

/* lanad's log line of a refused request of an authenticated account (row, its reply in j);
 * anonymous requests, refused before any token was shown, are not logged. */
static void log_refusal(const struct cmd_ctx *c, const struct cmd *row, const struct jsonw *j)
{
    if (c->who != NULL)
        log_warn("registry: %s: refused %s%s%s: %s", c->actor, row->verb, row->sub ? " " : "",
                 row->sub ? row->sub : "", j->s);
}

enum regproto_code cmd_prepare(const struct cmd_ctx *c, int argc, char **argv,
                               const struct cmd **row, struct cmd_args *a, struct jsonw *j)
{
    const struct cmd *r = argc > 0 ? cmd_find(argc, argv) : NULL;
    struct lana_diag d;
    *row = r;
    if (argc <= 0)
        return cmd_error(j, RP_USAGE, "empty request");
    if (r == NULL) { /* the verb is quoted back: it must be text first */
        if (text_check(argv[0], strlen(argv[0]), CMDARGS_TEXT_MAX, 0, "command", &d) != 0)
            return cmd_error(j, RP_INVALID, "%s", d.msg);
        /* the word after the verb, when it is text, to find a near subcommand */
        const char *sub = argc > 1 && text_check(argv[1], strlen(argv[1]), 64, 0, NULL, &d) == 0
                              ? argv[1]
                              : NULL;
        return no_row(argv[0], sub, j);
    }
    if (!cmd_permitted(r, c) && !c->may_write && c->who != NULL) { /* a disabled account */
        cmd_error(j, RP_PERMISSION, "account %s is disabled: it may read, not change the registry",
                  c->who->name);
        log_refusal(c, r, j);
        return RP_PERMISSION;
    }
    if (!cmd_permitted(r, c) && !c->may_write)
        return cmd_error(j, RP_PERMISSION, "%s%s%s %s: authenticate with a token first", r->verb,
                         r->sub ? " " : "", r->sub ? r->sub : "",
                         cmd_is_write(r) ? "changes the registry" : "is for accounts only");
    if (!cmd_permitted(r, c)) {
        cmd_error(j, RP_PERMISSION, "%s%s%s is admin's (the registry operator's); %s is a %s",
                  r->verb, r->sub ? " " : "", r->sub ? r->sub : "", c->who->name,
                  authz_role_name(c->who->role));
        log_refusal(c, r, j);
        return RP_PERMISSION;
    }
    if (cmdargs_parse(r->opts, argc, argv, r->sub ? 2 : 1, a, &d) != 0)
        return cmd_error(j, RP_USAGE, "%s", d.msg);
    enum regproto_code rc = door(r, a, argc, argv, j);
    if (rc != RP_OK)
        return rc;
    if (a->npos < r->min_pos || (r->max_pos >= 0 && a->npos > r->max_pos))
        return cmd_error(j, RP_USAGE, "usage: %s", r->usage);
    return RP_OK;
}

int cmd_check_line(const char *line, size_t len, enum cmd_line kind, size_t lineno,
                   struct lana_diag *d)
{
    const char *nul = memchr(line, '\0', len);
    size_t at = nul ? (size_t)(nul - line) + 1 : 0;
    if (kind == CMD_LINE_ZONE) {
        char field[48];
        struct lana_diag t;
        snprintf(field, sizeof field, "zone file line %zu", lineno); /* fits: 20 digits */
        if (len > 0 && line[len - 1] == '\r')
            len--;
        int rc = text_check(line, len, REGPROTO_LINE_MAX, TEXT_TAB, field, &t);
        return rc == 0 ? 0 : diag_set(d, LANA_EPARSE, "%s: nothing is imported", t.msg);
    }
    if (nul == NULL)
        return 0;
    if (kind == CMD_LINE_BATCH)
        return diag_set(d, LANA_EPARSE,
                        "line %zu of the batch holds a NUL byte at byte %zu: the batch is "
                        "dropped, nothing of it ran",
                        lineno, at);
    return diag_set(d, LANA_EPARSE, "the line holds a NUL byte at byte %zu: it was not run", at);
}

enum regproto_code cmd_exec(struct cmd_ctx *c, const struct cmd *row, const struct cmd_args *a,
                            struct jsonw *j)
{
    /* A write row is one unit: a handler may make several db/ calls (pool add also creates
     * its reverse zone), and each of those keeps its own changes on success, so a failure in
     * a later call must undo the earlier ones. The savepoint nests inside the turn's
     * transaction; a failed undo aborts the turn (store_turn_aborted), whose commit then
     * rolls everything back. */
    struct lana_diag d;
    bool unit = cmd_is_write(row) && !c->enclosed;
    /* the authority rule (db/authz.h) acts for the asker in every db/ call of a write; the
     * asker itself must still be enabled and hold the token it authenticated with */
    if (cmd_is_write(row) && c->who != NULL) {
        authz_act(c->st, c->who);
        int e = authz_current(c->st, c->key, &d);
        if (e != 0) {
            authz_act(c->st, NULL);
            enum regproto_code rc = cmd__fail(j, e, &d);
            if (rc == RP_PERMISSION)
                log_refusal(c, row, j);
            return rc;
        }
    }
    if (unit && store_sp_begin(c->st, &d) != 0) {
        authz_act(c->st, NULL);
        return cmd_error(j, RP_INTERNAL, "%s", d.msg);
    }
    enum regproto_code rc = row->run(c, a, j);
    authz_act(c->st, NULL);
    if (rc == RP_PERMISSION) /* refused: nothing changed, no audit row */
        log_refusal(c, row, j);
    if (rc == RP_OK && !jsonw_ok(j))
        rc = cmd_error(j, RP_INTERNAL, "out of memory");
    if (unit && store_sp_end(c->st, rc == RP_OK ? 0 : LANA_EDB, &d) != 0 && rc == RP_OK)
        rc = cmd_error(j, RP_INTERNAL, "%s", d.msg);
    else if (!jsonw_ok(j))
        rc = cmd_error(j, RP_INTERNAL, "out of memory");
    return rc;
}

enum regproto_code cmd_run(struct cmd_ctx *c, int argc, char **argv, struct jsonw *j)
{
    const struct cmd *row;
    struct cmd_args a;
    enum regproto_code rc = cmd_prepare(c, argc, argv, &row, &a, j);
    if (rc != RP_OK)
        return rc;
    if (cmd_is_frame(row))
        return cmd_error(j, RP_USAGE, "%s is part of the connection's framing, not a request here",
                         row->verb);
    return cmd_exec(c, row, &a, j);
}
