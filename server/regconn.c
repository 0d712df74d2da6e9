/*
 * regconn — see regconn.h. Lines are split at '\n' in place; a line is handled by the
 * handshake, collected into a batch or an import (regbatch.c), or split into words and looked
 * up in the command table. The table alone says whether a request is framing (batch, end,
 * zone import, quit), whether it writes (then the turn's transaction is opened first, or the
 * connection is parked while a batch holds it) and whether the connection may run it.
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
#include "common/num.h"
#include "common/text.h"
#include "server/cmd.h"
#include "server/regconn_int.h"

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

void regconn__batch_clear(struct regconn *c)
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
    regconn_dequeue(c);
    regio_close(&c->io);
    regconn__batch_clear(c);
    free(c->out);
    free(c);
}

/* Whether something holds the connection's lines: they wait in `in`. */
static bool held(const struct regconn *c)
{
    return c->closing || c->parked || c->state == RC_RUN ||
           c->outlen - c->outoff >= REGCONN_OUT_PAUSE;
}

bool regconn_runnable(const struct regconn *c)
{
    return c->pending && !held(c);
}

unsigned regconn_want(const struct regconn *c)
{
    size_t pending = c->outlen - c->outoff;
    return (pending > 0 ? REGCONN_WANT_WRITE : 0) |
           (!held(c) && !c->pending ? REGCONN_WANT_READ : 0);
}

/* ---- the queue of connections waiting for a batch ------------------------------------------ */

void regconn__enqueue(struct regconn *c)
{
    struct regconn_env *e = c->env;
    c->qnext = NULL;
    if (e->qtail != NULL)
        e->qtail->qnext = c;
    else
        e->qhead = c;
    e->qtail = c;
}

void regconn_dequeue(struct regconn *c)
{
    struct regconn_env *e = c->env;
    struct regconn *prev = NULL;
    for (struct regconn *q = e->qhead; q != NULL; prev = q, q = q->qnext) { /* O(waiting) */
        if (q != c)
            continue;
        if (prev != NULL)
            prev->qnext = c->qnext;
        else
            e->qhead = c->qnext;
        if (e->qtail == c)
            e->qtail = prev;
        break;
    }
    c->qnext = NULL;
    c->parked = false;
}

bool regconn__must_wait(const struct regconn *c)
{
    const struct regconn *b = c->env->batch;
    return b != NULL && b != c && b->may_write; /* a batch that cannot write holds nothing */
}

void regconn__park(struct regconn *c)
{
    c->parked = true;
    c->pending = true;
    regconn__enqueue(c);
    regbatch_waiting(c);
}

/* ---- output ------------------------------------------------------------------------------- */

static bool out_put(struct regconn *c, const char *s, size_t n)
{
    if (c->outcap - c->outlen < n + 1) {
        if (c->outoff > 0) { /* slide the unsent part down first */
            memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
            c->outlen -= c->outoff;
            c->turn_mark = c->turn_mark > c->outoff ? c->turn_mark - c->outoff : 0;
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

void regconn__line(struct regconn *c, const char *prefix, const char *json)
{
    if (!out_put(c, prefix, strlen(prefix)) || !out_put(c, json, strlen(json)) ||
        !out_put(c, "\n", 1))
        c->closing = true;
}

static void reply_line(struct regconn *c, const char *prefix, const char *json)
{
    regconn__line(c, prefix, json);
}

void regconn__reply(struct regconn *c)
{
    regconn__line(c, "", c->env->reply.s);
}

void regconn_progress(struct regconn *c, const char *json)
{
    regconn__line(c, REGPROTO_PROGRESS, json);
}

/* The first offset at or after `from` where a line starts: a line partly sent stays whole. */
static size_t line_start(const struct regconn *c, size_t from)
{
    if (from == 0 || from >= c->outlen || c->out[from - 1] == '\n')
        return from < c->outlen ? from : c->outlen;
    const char *nl = memchr(c->out + from, '\n', c->outlen - from);
    return nl ? (size_t)(nl - c->out) + 1 : c->outlen;
}

void regconn_refuse(struct regconn *c, enum regproto_code code, const char *msg, bool drop)
{
    if (drop)
        c->outlen = line_start(c, c->outoff);
    cmd_error(&c->env->reply, code, "%s", msg);
    reply_line(c, c->state == RC_HELLO || c->state == RC_ACK ? "ERROR " : "", c->env->reply.s);
    c->closing = true;
}

void regconn_withdraw(struct regconn *c, enum regproto_code code, const char *msg)
{
    if (!c->wrote)
        return;
    c->wrote = false;
    size_t from = line_start(c, c->turn_mark > c->outoff ? c->turn_mark : c->outoff);
    size_t n = 0; /* replies, one per request: PROGRESS lines are not replies */
    for (size_t i = from; i < c->outlen;) {
        const char *nl = memchr(c->out + i, '\n', c->outlen - i);
        size_t end = nl ? (size_t)(nl - c->out) + 1 : c->outlen;
        if (end - i <= 9 || memcmp(c->out + i, "PROGRESS ", 9) != 0)
            n++;
        i = end;
    }
    c->outlen = from;
    cmd_error(&c->env->reply, code, "%s", msg);
    for (size_t i = 0; i < n; i++)
        regconn__reply(c);
}

bool regconn_flush(struct regconn *c)
{
    while (c->outoff < c->outlen) {
        ssize_t n = regio_send(&c->io, c->out + c->outoff, c->outlen - c->outoff);
        if (n < 0)
            return errno != EAGAIN && errno != EWOULDBLOCK;
        c->outoff += (size_t)n;
    }
    c->outoff = c->outlen = c->turn_mark = 0;
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
    c->outoff = c->outlen = c->turn_mark = 0;
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
    /* from the reader: the writer may be busy with a batch (or on the committer thread) */
    struct store *st = c->env->rst ? c->env->rst : c->env->st;
    int rc = account_get(st, user, &a, &d);
    if (st != c->env->st)
        store_read_done(st);
    if (rc != 1 || auth_unhex(proof, p, sizeof p) != 0 ||
        !auth_verify(a.stored_key, c->x, c->y, p)) {
        log_warn("registry: %s: authentication as %.64s refused", c->peer, user);
        guard_auth_failed(c);
        regconn_refuse(c, RP_PERMISSION, "authentication refused", false);
        return false;
    }
    snprintf(c->user, sizeof c->user, "%s", a.name); /* same sizes: cannot be cut */
    snprintf(c->role, sizeof c->role, "%s", a.role);
    /* every enabled account may write; what it may change, the authority rule decides per
     * object. A disabled one reads only: it never holds the writer (a batch of refusals) */
    c->may_write = a.enabled;
    memcpy(c->who.name, a.name, sizeof c->who.name);
    if (!authz_role_parse(a.role, &c->who.role))
        c->who.role = AUTHZ_REGISTRANT; /* the schema's CHECK allows no other */
    memcpy(c->key, a.stored_key, sizeof c->key);
    if (!a.enabled)
        log_notice("registry: %s: %s is disabled: it may read, not write", c->peer, c->user);
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

bool regconn__ensure_tx(struct regconn *c)
{
    struct regconn_env *e = c->env;
    struct lana_diag d;
    if (store_turn_aborted(e->st)) {
        /* a change of this turn could not be undone (SQLite may have dropped the whole
         * transaction): nothing more joins it; the commit rolls it back and tells everyone */
        cmd_error(&e->reply, e->full ? RP_FULL : RP_INTERNAL, "%s",
                  e->full ? REGCONN_MSG_FULL : "the turn failed; nothing was changed");
        regconn__reply(c);
        return false;
    }
    if (!store_in_transaction(e->st) && store_begin(e->st, &d) != 0) {
        log_err("registry: %s", d.msg);
        cmd_error(&e->reply, RP_INTERNAL, "database busy: %s", d.msg);
        regconn__reply(c);
        return false;
    }
    if (!c->wrote) {
        c->wrote = true;
        c->turn_mark = c->outlen;
    }
    return true;
}

void regconn__full(struct regconn *c)
{
    log_err("registry: %s: the disk is full: a change was refused", c->peer);
    cmd_error(&c->env->reply, RP_FULL, "%s", REGCONN_MSG_FULL);
    c->env->full = true;
}

/* The connections a request runs with: a read by a connection that has not written in this
 * turn goes to the reader (the last commit), everything else to the writer. */
static struct cmd_ctx ctx_of(struct regconn *c, bool writer)
{
    struct regconn_env *e = c->env;
    bool w = writer || e->rst == NULL;
    return (struct cmd_ctx){.st = w ? e->st : e->rst,
                            .ip = w ? e->ip : e->rip,
                            .actor = c->actor,
                            .may_write = c->may_write,
                            .who = c->user[0] ? &c->who : NULL,
                            .key = c->key,
                            .nm = w ? e->nm : e->rnm};
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
            regconn__reply(c);
            return;
        }
        int n = snprintf(c->origin, sizeof c->origin, "%s", a->origin ? a->origin : "");
        if (n < 0 || (size_t)n >= sizeof c->origin) {
            cmd_error(j, RP_INVALID, "--origin: longer than %zu bytes", sizeof c->origin - 1);
            regconn__reply(c);
            c->import_refused = true;
        }
        return;
    }
    if (code != RP_OK) {
        regconn__reply(c);
        return;
    }
    uint64_t every = 0;
    struct lana_diag d;
    switch (row->frame) {
    case CMD_FRAME_BATCH:
        if (a->progress && num_parse_u64(a->progress, 1, BATCH_MAX_LINES, &every, &d) != 0) {
            cmd_error(j, RP_INVALID, "--progress: %s", d.msg);
            regconn__reply(c);
            return;
        }
        c->state = RC_BATCH;
        c->keep_going = a->keep_going;
        c->progress = (unsigned)every;
        return;
    case CMD_FRAME_QUIT:
        jsonw_reset(j);
        jsonw_obj(j);
        jsonw_kbool(j, "ok", true);
        jsonw_kbool(j, "bye", true);
        jsonw_end(j);
        regconn__reply(c);
        c->closing = true;
        return;
    default: /* end */
        cmd_error(j, RP_USAGE, "end: no batch is open");
        regconn__reply(c);
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
    /* the cap is in the writer, so a read of a huge table stops at it rather than being built
     * in full (and holding every writer meanwhile) only to be thrown away */
    size_t max = regguard_anon_reply_max(g);
    jsonw_set_limit(j, max);
    enum regproto_code code = cmd_exec(x, row, a, j);
    bool over = jsonw_over(j);
    jsonw_set_limit(j, 0);
    if (over)
        code = cmd_error(j, RP_TOO_LONG, "the reply is over the %zu bytes allowed without a "
                         "token; authenticate or narrow the query", max);
    return code;
}

/* Runs one request's words; in a batch, framing is refused. Queues the reply. */
static enum regproto_code run_words(struct regconn *c, int argc, char **argv, bool in_batch)
{
    struct jsonw *j = &c->env->reply;
    struct cmd_ctx x = ctx_of(c, true);
    x.enclosed = in_batch && !c->keep_going;
    const struct cmd *row;
    struct cmd_args a;
    enum regproto_code code = cmd_prepare(&x, argc, argv, &row, &a, j);
    if (code == RP_OK && cmd_is_write(row) && !in_batch && regconn__must_wait(c)) {
        regconn__park(c);
        return REGCONN__PARKED;
    }
    if (row != NULL && cmd_is_frame(row) && !in_batch) {
        frame(c, row, &a, code);
        return code;
    }
    if (code == RP_OK && cmd_is_frame(row)) {
        code = cmd_error(j, RP_USAGE, "%s%s%s is not allowed inside a batch", row->verb,
                         row->sub ? " " : "", row->sub ? row->sub : "");
    } else if (code == RP_OK && in_batch && (row->flags & CMD_SECRET)) {
        code = cmd_error(j, RP_USAGE,
                         "%s %s hands out a token: send it on a line of its own, not inside a "
                         "batch (an undone batch would take back a token already shown)",
                         row->verb, row->sub);
    } else if (code == RP_OK && cmd_is_write(row)) {
        if (!regconn__ensure_tx(c))
            return RP_INTERNAL;
        code = cmd_exec(&x, row, &a, j);
    } else if (code == RP_OK) {
        bool writer = (in_batch && c->may_write) || c->wrote;
        struct cmd_ctx r = ctx_of(c, writer);
        r.enclosed = x.enclosed;
        code = exec_guarded(c, &r, row, &a);
        if (r.st != c->env->st)
            store_read_done(r.st);
    }
    if (code == RP_FULL)
        regconn__full(c);
    regconn__reply(c);
    return code;
}

enum regproto_code regconn__run_line(struct regconn *c, char *line, bool in_batch)
{
    char *argv[REGPROTO_ARGS_MAX];
    char copy[REGPROTO_LINE_MAX];
    struct lana_diag d;
    if (!in_batch) { /* split a copy: a parked line must stay as it came */
        size_t n = strlen(line);
        memcpy(copy, line, n + 1); /* a line of `in` is shorter than it */
        line = copy;
    }
    int argc = regproto_split(line, argv, REGPROTO_ARGS_MAX, &d);
    if (argc < 0) {
        cmd_error(&c->env->reply, RP_USAGE, "%s", d.msg);
        regconn__reply(c);
        return RP_USAGE;
    }
    return run_words(c, argc, argv, in_batch);
}

/* One complete line; false when it must wait (parked): it is then left as it came. */
static bool line_in(struct regconn *c, char *line)
{
    char *argv[HANDSHAKE_WORDS];
    switch (c->state) {
    case RC_HELLO:
    case RC_ACK: {
        int argc = regproto_split(line, argv, HANDSHAKE_WORDS, NULL);
        (c->state == RC_HELLO ? hello : ack)(c, argc, argv);
        return true;
    }
    case RC_BATCH:
    case RC_IMPORT: return regbatch__line(c, line);
    default: return regconn__run_line(c, line, false) != REGCONN__PARKED;
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
        regconn__reply(c);
    } else if (kind == CMD_LINE_BATCH || c->state != RC_READY) {
        regconn__batch_clear(c); /* the rest of the batch cannot be told from requests: close */
        regconn_refuse(c, RP_INVALID, d.msg, false);
    } else {
        cmd_error(&c->env->reply, RP_INVALID, "%s", d.msg);
        regconn__reply(c);
    }
    return false;
}

/*
 * Runs the complete lines of `in` in order until something holds the connection (its
 * output over the cap, checked before every line, a parked write, a batch to run): the rest
 * stays buffered and `pending`. Returns whether the connection may read more.
 */
static bool run_lines(struct regconn *c, uint64_t now_ms)
{
    size_t start = 0;
    bool go = true;
    while (c->pending) {
        if (held(c)) {
            go = false;
            break;
        }
        char *nl = memchr(c->in + start, '\n', c->inlen - start);
        if (nl == NULL) {
            c->pending = false;
            break;
        }
        *nl = '\0';
        c->last_ms = now_ms; /* only a complete line counts as activity */
        if (!line_ok(c, c->in + start, (size_t)(nl - (c->in + start)))) {
            start = (size_t)(nl - c->in) + 1; /* answered by the text door */
            continue;
        }
        if (!line_in(c, c->in + start)) {
            *nl = '\n';
            go = false;
            break;
        }
        start = (size_t)(nl - c->in) + 1;
    }
    memmove(c->in, c->in + start, c->inlen - start);
    c->inlen -= start;
    if (go && !c->closing && c->inlen == sizeof c->in) {
        log_warn("registry: %s: line longer than %d bytes", c->peer, REGPROTO_LINE_MAX);
        c->inlen = 0;
        regconn__batch_clear(c);
        regconn_refuse(c, RP_TOO_LONG, "line longer than 4096 bytes", false);
    }
    return go && !c->closing;
}

void regconn_read(struct regconn *c, uint64_t now_ms)
{
    while (run_lines(c, now_ms)) {
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
        c->pending = true;
    }
}
