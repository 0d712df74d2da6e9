/*
 * regconn — see regconn.h. Lines are split at '\n' in place; a line is handled by the
 * handshake, collected into a batch or an import, or split into words and looked up in the
 * command table. The table alone says whether a request is framing (batch, end, zone import,
 * quit), whether it writes (then the turn's transaction is opened first) and whether the
 * connection may run it.
 */
#include "server/regconn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/auth.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/text.h"
#include "db/zoneio.h"
#include "server/cmd.h"

#define BATCH_MAX_LINES 1000000
#define BATCH_MAX_BYTES (64u << 20)
#define OUT_PAUSE (1u << 20) /* stop reading a connection with this much unsent */
#define HANDSHAKE_WORDS 8

struct regconn *regconn_new(struct regconn_env *env, int fd, const struct sockaddr *peer,
                            uint64_t now_ms)
{
    struct regconn *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->env = env;
    c->fd = fd;
    regio_init(&c->io, fd);
    c->state = RC_HELLO;
    c->last_ms = now_ms;
    net_addr_format(peer, c->peer, sizeof c->peer);
    return c;
}

static void batch_clear(struct regconn *c)
{
    for (size_t i = 0; i < c->nbatch; i++)
        free(c->batch[i]);
    free(c->batch);
    c->batch = NULL;
    c->nbatch = c->capbatch = c->batchbytes = 0;
}

void regconn_free(struct regconn *c)
{
    if (c == NULL)
        return;
    regio_close(&c->io);
    batch_clear(c);
    free(c->out);
    free(c);
}

unsigned regconn_want(const struct regconn *c)
{
    size_t pending = c->outlen - c->outoff;
    return (pending > 0 ? REGCONN_WANT_WRITE : 0) |
           (!c->closing && pending < OUT_PAUSE ? REGCONN_WANT_READ : 0);
}

/* ---- output ------------------------------------------------------------------------------- */

static bool out_put(struct regconn *c, const char *s, size_t n)
{
    if (c->outcap - c->outlen < n + 1) {
        if (c->outoff > 0) { /* slide the unsent part down first */
            memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
            c->outlen -= c->outoff;
            c->outoff = 0;
        }
        size_t cap = c->outcap ? c->outcap : 4096;
        while (cap - c->outlen < n + 1)
            cap *= 2;
        char *o = realloc(c->out, cap);
        if (o == NULL)
            return false;
        c->out = o;
        c->outcap = cap;
    }
    memcpy(c->out + c->outlen, s, n);
    c->outlen += n;
    return true;
}

/* Queues one line; a connection whose reply cannot be queued is closed. */
static void reply_line(struct regconn *c, const char *prefix, const char *json)
{
    if (!out_put(c, prefix, strlen(prefix)) || !out_put(c, json, strlen(json)) ||
        !out_put(c, "\n", 1))
        c->closing = true;
}

static void reply(struct regconn *c)
{
    reply_line(c, "", c->env->reply.s);
}

void regconn_refuse(struct regconn *c, enum regproto_code code, const char *msg, bool drop)
{
    if (drop)
        c->outlen = c->outoff = 0;
    cmd_error(&c->env->reply, code, "%s", msg);
    reply_line(c, c->state == RC_HELLO || c->state == RC_ACK ? "ERROR " : "", c->env->reply.s);
    c->closing = true;
}

bool regconn_flush(struct regconn *c)
{
    while (c->outoff < c->outlen) {
        ssize_t n = regio_send(&c->io, c->out + c->outoff, c->outlen - c->outoff);
        if (n < 0)
            return errno != EAGAIN && errno != EWOULDBLOCK;
        c->outoff += (size_t)n;
    }
    c->outoff = c->outlen = 0;
    return c->closing;
}

/*
 * A long batch streams its per-command lines while it runs (the client reads them
 * meanwhile); its summary, which says whether the batch was committed, is only sent after the
 * commit. Failures are left for regconn_flush() after the turn.
 */
void regconn_send_some(struct regconn *c)
{
    while (c->outoff < c->outlen) {
        ssize_t n = regio_send(&c->io, c->out + c->outoff, c->outlen - c->outoff);
        if (n <= 0)
            return;
        c->outoff += (size_t)n;
    }
    c->outoff = c->outlen = 0;
}

/* ---- handshake ---------------------------------------------------------------------------- */

static void hello(struct regconn *c, int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[0], "HELLO") != 0 || !regproto_kv_u32(argv[2], "seq", &c->x)) {
        regconn_refuse(c, RP_HANDSHAKE, "expected: HELLO " REGPROTO_VERSION " seq=X", false);
        return;
    }
    if (strcmp(argv[1], REGPROTO_VERSION) != 0) {
        regconn_refuse(c, RP_HANDSHAKE, "this server speaks " REGPROTO_VERSION " only", false);
        return;
    }
    c->y = auth_random_u32();
    char line[128];
    int n =
        snprintf(line, sizeof line, "WELCOME %s ack=%u seq=%u", REGPROTO_VERSION, c->x + 1, c->y);
    if (n < 0 || (size_t)n >= sizeof line) { /* cannot happen: three short fields */
        regconn_refuse(c, RP_INTERNAL, "handshake line too long", false);
        return;
    }
    reply_line(c, "", line);
    c->state = RC_ACK;
}

/* Refuses an address over its failed-authentication limit (regguard) without a check. */
static bool guard_auth_refused(struct regconn *c)
{
    unsigned wait = c->env->guard ? regguard_auth_wait(c->env->guard, &c->guard, mono_ms()) : 0;
    if (wait == 0)
        return false;
    char msg[80];
    snprintf(msg, sizeof msg, "too many failed authentications; wait %u s", wait); /* fits */
    regconn_refuse(c, RP_BUSY, msg, false);
    return true;
}

/* Counts a failure; the one that reaches the limit is logged (once per address and window). */
static void guard_auth_failed(struct regconn *c)
{
    if (c->env->guard && regguard_auth_failed(c->env->guard, &c->guard, mono_ms()))
        log_warn("registry: %s: too many failed authentications; refusing them for %u s",
                 c->peer, regguard_auth_wait(c->env->guard, &c->guard, mono_ms()));
}

/* Checks the proof of user (admin when empty) against its stored key; sets who is asking. */
static bool authenticate(struct regconn *c, const char *user, const char *proof)
{
    struct account a;
    struct lana_diag d;
    uint8_t p[AUTH_TOKEN_LEN];
    if (user == NULL || *user == '\0')
        user = "admin";
    if (guard_auth_refused(c))
        return false;
    int rc = account_get(c->env->st, user, &a, &d);
    if (rc != 1 || auth_unhex(proof, p, sizeof p) != 0 ||
        !auth_verify(a.stored_key, c->x, c->y, p)) {
        log_warn("registry: %s: authentication as %.64s refused", c->peer, user);
        guard_auth_failed(c);
        regconn_refuse(c, RP_PERMISSION, "authentication refused", false);
        return false;
    }
    snprintf(c->user, sizeof c->user, "%s", a.name); /* same sizes: cannot be cut */
    snprintf(c->role, sizeof c->role, "%s", a.role);
    c->may_write = strcmp(a.role, "admin") == 0 || strcmp(a.role, "registrar") == 0;
    log_info("registry: %s: authenticated as %s", c->peer, c->user);
    return true;
}

static void ack(struct regconn *c, int argc, char **argv)
{
    uint32_t ackno = 0;
    const char *user = NULL, *proof = NULL;
    bool ok = argc >= 2 && strcmp(argv[0], "ACK") == 0 && regproto_kv_u32(argv[1], "ack", &ackno);
    for (int i = 2; ok && i < argc; i++) {
        if (strncmp(argv[i], "user=", 5) == 0)
            user = argv[i] + 5;
        else if (strncmp(argv[i], "proof=", 6) == 0)
            proof = argv[i] + 6;
        else
            ok = false;
    }
    if (!ok) {
        regconn_refuse(c, RP_HANDSHAKE, "expected: ACK ack=Y+1 [user=NAME proof=HEX]", false);
        return;
    }
    if (ackno != c->y + 1) {
        log_warn("registry: %s: handshake with ack=%u, expected %u", c->peer, ackno, c->y + 1);
        regconn_refuse(c, RP_HANDSHAKE, "wrong ack: it must be the server's seq + 1", false);
        return;
    }
    if (proof == NULL && user != NULL) {
        regconn_refuse(c, RP_HANDSHAKE, "user= without proof=", false);
        return;
    }
    struct lana_diag d; /* the text door for the one free word of the handshake */
    if (user != NULL && text_check(user, strlen(user), ACCOUNT_NAME_MAX - 1, 0, "user=", &d) != 0) {
        regconn_refuse(c, RP_INVALID, d.msg, false);
        return;
    }
    if (proof != NULL && !authenticate(c, user, proof))
        return;
    int n =
        snprintf(c->actor, sizeof c->actor, "%s@%s", c->user[0] ? c->user : "anonymous", c->peer);
    if (n < 0 || (size_t)n >= sizeof c->actor) { /* sized for both */
        regconn_refuse(c, RP_INTERNAL, "actor name too long", false);
        return;
    }
    struct jsonw *j = &c->env->reply;
    jsonw_reset(j);
    jsonw_obj(j);
    jsonw_kstr(j, "user", c->user);
    jsonw_kstr(j, "role", c->user[0] ? c->role : "anonymous");
    jsonw_kbool(j, "write", c->may_write);
    jsonw_end(j);
    reply_line(c, "READY ", j->s);
    c->state = RC_READY;
}

/* ---- requests ----------------------------------------------------------------------------- */

/* Opens the turn's transaction before the first change; regsrv commits it after the turn. */
static bool ensure_tx(struct regconn *c)
{
    struct lana_diag d;
    if (!store_in_transaction(c->env->st) && store_begin(c->env->st, &d) != 0) {
        log_err("registry: %s", d.msg);
        cmd_error(&c->env->reply, RP_INTERNAL, "database busy: %s", d.msg);
        reply(c);
        return false;
    }
    c->wrote = true;
    return true;
}

static struct cmd_ctx ctx_of(struct regconn *c)
{
    return (struct cmd_ctx){.st = c->env->st,
                            .ip = c->env->ip,
                            .actor = c->actor,
                            .may_write = c->may_write,
                            .nm = c->env->nm};
}

/* batch, end, zone import or quit on a line of its own; code: what cmd_prepare said. */
static void frame(struct regconn *c, const struct cmd *row, const struct cmd_args *a,
                  enum regproto_code code)
{
    struct jsonw *j = &c->env->reply;
    if (row->frame == CMD_FRAME_IMPORT) { /* the file's lines follow in any case */
        c->state = RC_IMPORT;
        c->import_refused = code != RP_OK; /* then a is not filled in */
        c->origin[0] = '\0';
        if (code != RP_OK) {
            reply(c);
            return;
        }
        int n = snprintf(c->origin, sizeof c->origin, "%s", a->origin ? a->origin : "");
        if (n < 0 || (size_t)n >= sizeof c->origin) {
            cmd_error(j, RP_INVALID, "--origin: longer than %zu bytes", sizeof c->origin - 1);
            reply(c);
            c->import_refused = true;
        }
        return;
    }
    if (code != RP_OK) {
        reply(c);
        return;
    }
    switch (row->frame) {
    case CMD_FRAME_BATCH:
        c->state = RC_BATCH;
        c->keep_going = a->keep_going;
        return;
    case CMD_FRAME_QUIT:
        jsonw_reset(j);
        jsonw_obj(j);
        jsonw_kbool(j, "ok", true);
        jsonw_kbool(j, "bye", true);
        jsonw_end(j);
        reply(c);
        c->closing = true;
        return;
    default: /* end */
        cmd_error(j, RP_USAGE, "end: no batch is open");
        reply(c);
        return;
    }
}

/*
 * cmd_exec(), with a client without a token held to its address's read rate and to the
 * reply size (regguard): over either, the reply is an error saying what to do instead.
 */
static enum regproto_code exec_guarded(struct regconn *c, struct cmd_ctx *x, const struct cmd *row,
                                       struct cmd_args *a)
{
    struct regguard *g = c->env->guard;
    struct jsonw *j = &c->env->reply;
    if (g == NULL || c->user[0] != '\0')
        return cmd_exec(x, row, a, j);
    uint64_t wait = regguard_anon_read(g, &c->guard, mono_ms());
    if (wait > 0)
        return cmd_error(j, RP_BUSY, "too many reads without a token from this address; "
                         "wait %llu ms, or authenticate", (unsigned long long)wait);
    enum regproto_code code = cmd_exec(x, row, a, j);
    size_t max = regguard_anon_reply_max(g), len = j->len;
    if (max > 0 && len > max)
        code = cmd_error(j, RP_TOO_LONG, "the reply has %zu bytes, over the %zu allowed without "
                         "a token; authenticate or narrow the query", len, max);
    return code;
}

/* Runs one request's words; in a batch, framing is refused. Queues the reply. */
static enum regproto_code run_words(struct regconn *c, int argc, char **argv, bool in_batch)
{
    struct jsonw *j = &c->env->reply;
    struct cmd_ctx x = ctx_of(c);
    x.enclosed = in_batch && !c->keep_going;
    const struct cmd *row;
    struct cmd_args a;
    enum regproto_code code = cmd_prepare(&x, argc, argv, &row, &a, j);
    if (row != NULL && cmd_is_frame(row) && !in_batch) {
        frame(c, row, &a, code);
        return code;
    }
    if (code == RP_OK && cmd_is_frame(row))
        code = cmd_error(j, RP_USAGE, "%s%s%s is not allowed inside a batch", row->verb,
                         row->sub ? " " : "", row->sub ? row->sub : "");
    else if (code == RP_OK && cmd_is_write(row) && !ensure_tx(c))
        return RP_INTERNAL;
    else if (code == RP_OK)
        code = exec_guarded(c, &x, row, &a);
    reply(c);
    return code;
}

static enum regproto_code run_line(struct regconn *c, char *line, bool in_batch)
{
    char *argv[REGPROTO_ARGS_MAX];
    struct lana_diag d;
    int argc = regproto_split(line, argv, REGPROTO_ARGS_MAX, &d);
    if (argc < 0) {
        cmd_error(&c->env->reply, RP_USAGE, "%s", d.msg);
        reply(c);
        return RP_USAGE;
    }
    return run_words(c, argc, argv, in_batch);
}

static void batch_summary(struct regconn *c, bool unit, size_t ok, size_t failed, size_t first_bad,
                          bool keep)
{
    struct jsonw *j = &c->env->reply;
    jsonw_reset(j);
    jsonw_obj(j);
    jsonw_kbool(j, "ok", unit && failed == 0);
    jsonw_key(j, "batch");
    jsonw_obj(j);
    jsonw_kint(j, "commands", (int64_t)c->nbatch);
    jsonw_kint(j, "succeeded", (int64_t)ok);
    jsonw_kint(j, "failed", (int64_t)failed);
    if (failed > 0)
        jsonw_kint(j, "first_failed_line", (int64_t)first_bad);
    jsonw_kbool(j, "committed", keep);
    jsonw_end(j);
    jsonw_end(j);
    reply(c);
}

/* Runs the collected lines as one unit inside the turn: all or nothing, or --keep-going. */
static void run_batch(struct regconn *c)
{
    struct regconn_env *env = c->env;
    uint64_t t0 = mono_ms();
    struct lana_diag d;
    size_t ok = 0, failed = 0, first_bad = 0;
    if (!ensure_tx(c)) { /* answered already ("database busy") */
        batch_clear(c);
        c->state = RC_READY;
        return;
    }
    bool unit = store_batch_begin(env->st, &d) == 0;
    /* all or nothing: the batch savepoint undoes everything on a failure, so the engine need
     * not keep a savepoint per command */
    ipam_set_atomic(env->ip, c->keep_going);
    for (size_t i = 0; unit && i < c->nbatch; i++) {
        if (i % 256 == 255)
            regconn_send_some(c);
        if (run_line(c, c->batch[i], true) == RP_OK) {
            ok++;
            continue;
        }
        if (failed++ == 0)
            first_bad = i + 1;
        if (!c->keep_going)
            break;
    }
    ipam_set_atomic(env->ip, true);
    bool keep = unit && (failed == 0 || c->keep_going);
    if (unit && store_batch_end(env->st, keep, &d) != 0) {
        log_err("registry: batch: %s", d.msg);
        keep = false;
    }
    batch_summary(c, unit, ok, failed, first_bad, keep);
    log_info("registry: %s: batch of %zu commands, %zu failed, %s in %llu ms", c->peer, c->nbatch,
             failed, keep ? "kept" : "undone", (unsigned long long)(mono_ms() - t0));
    batch_clear(c);
    c->state = RC_READY;
}

/* The collected lines as one text, each with its newline; NULL when out of memory. */
static char *import_text(const struct regconn *c, size_t *len)
{
    size_t total = 0;
    for (size_t i = 0; i < c->nbatch; i++)
        total += strlen(c->batch[i]) + 1;
    char *text = malloc(total + 1);
    if (text == NULL)
        return NULL;
    size_t pos = 0;
    for (size_t i = 0; i < c->nbatch; i++) {
        size_t n = strlen(c->batch[i]);
        memcpy(text + pos, c->batch[i], n);
        text[pos + n] = '\n';
        pos += n + 1;
    }
    text[pos] = '\0';
    *len = pos;
    return text;
}

/* Runs a zone file received between "zone import" and "." as one unit of the turn. */
static void run_import(struct regconn *c)
{
    struct regconn_env *env = c->env;
    struct jsonw *j = &env->reply;
    struct lana_diag d;
    struct zoneio_stats st;
    size_t len = 0;
    char *text = c->import_refused ? NULL : import_text(c, &len);
    bool refused = c->import_refused; /* already answered */
    batch_clear(c);
    c->state = RC_READY;
    if (refused)
        return;
    if (text == NULL) {
        regconn_refuse(c, RP_INTERNAL, "out of memory", false);
        return;
    }
    FILE *fp = NULL;
    if (!ensure_tx(c)) /* answered already ("database busy") */
        goto out;
    fp = fmemopen(text, len ? len : 1, "r");
    if (fp == NULL || store_batch_begin(env->st, &d) != 0) {
        cmd_error(j, RP_INTERNAL, "cannot start the import");
        reply(c);
        goto out;
    }
    int rc = zoneio_import(env->st, fp, "zone file", c->origin[0] ? c->origin : NULL, &st, &d);
    struct lana_diag ed;
    if (store_batch_end(env->st, rc == 0, &ed) != 0 && rc == 0)
        rc = diag_set(&d, LANA_EDB, "%s", ed.msg);
    if (rc != 0) {
        cmd_error(j, regproto_code_of(rc), "%s", d.msg);
    } else {
        jsonw_reset(j);
        jsonw_obj(j);
        jsonw_kbool(j, "ok", true);
        jsonw_kstr(j, "imported", st.zone);
        jsonw_kint(j, "records", (int64_t)st.records);
        jsonw_end(j);
    }
    reply(c);
out:
    if (fp != NULL)
        fclose(fp);
    free(text);
}

/* A line of a batch or of a zone import: collected until "end" or ".". */
static void batch_line(struct regconn *c, char *line)
{
    size_t n = strlen(line);
    if (n > 0 && line[n - 1] == '\r')
        line[--n] = '\0';
    const char *p = line + strspn(line, " \t");
    if (c->state == RC_IMPORT) {
        if (strcmp(line, ".") == 0) {
            run_import(c);
            return;
        }
        if (line[0] == '.') /* a line that starts with a dot was sent with one more */
            memmove(line, line + 1, n--);
    } else if (strcmp(p, "end") == 0) {
        run_batch(c);
        return;
    }
    if (c->nbatch >= BATCH_MAX_LINES || c->batchbytes + n > BATCH_MAX_BYTES) {
        batch_clear(c);
        regconn_refuse(c, RP_TOO_LONG, "batch too large (at most 1000000 lines, 64 MiB)", false);
        return;
    }
    if (c->nbatch == c->capbatch) {
        size_t cap = c->capbatch ? c->capbatch * 2 : 256;
        char **b = realloc(c->batch, cap * sizeof *b);
        if (b == NULL) {
            regconn_refuse(c, RP_INTERNAL, "out of memory", false);
            return;
        }
        c->batch = b;
        c->capbatch = cap;
    }
    if ((c->batch[c->nbatch] = strdup(line)) == NULL) {
        regconn_refuse(c, RP_INTERNAL, "out of memory", false);
        return;
    }
    c->nbatch++;
    c->batchbytes += n;
}

static void line_in(struct regconn *c, char *line)
{
    char *argv[HANDSHAKE_WORDS];
    switch (c->state) {
    case RC_HELLO:
    case RC_ACK: {
        int argc = regproto_split(line, argv, HANDSHAKE_WORDS, NULL);
        (c->state == RC_HELLO ? hello : ack)(c, argc, argv);
        return;
    }
    case RC_BATCH:
    case RC_IMPORT: batch_line(c, line); return;
    default: run_line(c, line, false);
    }
}

/*
 * The text door's look at a raw line before anything reads it as a C string (cmd_check_line):
 * a NUL would cut it short unseen, and a zone file's line must be text. Returns whether the
 * line may go on to line_in(); when not, it has been answered here.
 */
static bool line_ok(struct regconn *c, const char *line, size_t len)
{
    struct lana_diag d;
    bool zone = c->state == RC_IMPORT;
    if (zone && c->import_refused) /* dropped anyway; line_in still looks for the "." */
        return true;
    if (!zone && memchr(line, '\0', len) == NULL)
        return true;
    enum cmd_line kind = zone                   ? CMD_LINE_ZONE
                         : c->state == RC_BATCH ? CMD_LINE_BATCH
                                                : CMD_LINE_REQUEST;
    if (cmd_check_line(line, len, kind, c->nbatch + 1, &d) == 0)
        return true;
    if (kind == CMD_LINE_ZONE) { /* like a refused "zone import": its lines are read, dropped */
        c->import_refused = true;
        cmd_error(&c->env->reply, RP_INVALID, "%s", d.msg);
        reply(c);
    } else if (kind == CMD_LINE_BATCH || c->state != RC_READY) {
        batch_clear(c); /* the rest of the batch cannot be told from requests: close */
        regconn_refuse(c, RP_INVALID, d.msg, false);
    } else {
        cmd_error(&c->env->reply, RP_INVALID, "%s", d.msg);
        reply(c);
    }
    return false;
}

void regconn_read(struct regconn *c, uint64_t now_ms)
{
    for (;;) {
        if (c->closing || c->outlen - c->outoff >= OUT_PAUSE)
            return;
        ssize_t n = regio_recv(&c->io, c->in + c->inlen, sizeof c->in - c->inlen);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
            c->closing = true;
            if (c->outoff == c->outlen) /* nothing left to say */
                c->outlen = c->outoff = 0;
            return;
        }
        if (n < 0)
            return;
        c->inlen += (size_t)n;
        size_t start = 0;
        for (size_t i = c->inlen - (size_t)n; i < c->inlen && !c->closing; i++) {
            if (c->in[i] != '\n')
                continue;
            c->last_ms = now_ms; /* only a complete line counts as activity */
            c->in[i] = '\0';
            if (line_ok(c, c->in + start, i - start))
                line_in(c, c->in + start);
            start = i + 1;
        }
        memmove(c->in, c->in + start, c->inlen - start);
        c->inlen -= start;
        if (c->inlen == sizeof c->in && !c->closing) {
            log_warn("registry: %s: line longer than %d bytes", c->peer, REGPROTO_LINE_MAX);
            c->inlen = 0;
            batch_clear(c);
            regconn_refuse(c, RP_TOO_LONG, "line longer than 4096 bytes", false);
        }
    }
}
