/*
 * regbatch — the frames of a registry connection that run as one unit: a batch (the lines
 * between "batch" and "end") and a zone import (between "zone import" and "."). Lines are
 * collected first; an import then runs at once in the turn, a batch waits in env's queue and
 * runs in slices across loop passes (regsrv drives it: regbatch_begin, regbatch_step until
 * done, its commit, regbatch_finish), so that no other client waits for it but its writers.
 *
 * A batch runs on a fresh transaction of the writer (regsrv commits the turn before it
 * begins), inside one savepoint: all or nothing, or --keep-going. While it runs the
 * transaction is its alone: other writers are parked (regconn.c) and the turn's commit skips
 * it. A batch of a connection that may not write runs on the reader and holds nothing. Its
 * per-command lines go out while it runs; its summary, which says whether it was committed,
 * only after the commit. A batch whose client does not read pauses when its unsent output
 * passes REGCONN_OUT_PAUSE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "db/authz.h"
#include "db/zoneio.h"
#include "server/cmd.h"
#include "server/regconn_int.h"

/* ---- collecting ----------------------------------------------------------------------------- */

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
    regconn__batch_clear(c);
    c->state = RC_READY;
    c->import_refused = false;
    if (refused)
        return;
    if (text == NULL) {
        regconn_refuse(c, RP_INTERNAL, "out of memory", false);
        return;
    }
    FILE *fp = NULL;
    if (!regconn__ensure_tx(c)) /* answered already ("database busy") */
        goto out;
    fp = fmemopen(text, len ? len : 1, "r");
    if (fp == NULL || store_batch_begin(env->st, &d) != 0) {
        cmd_error(j, RP_INTERNAL, "cannot start the import");
        regconn__reply(c);
        goto out;
    }
    /* the import acts for the asker as any write does (server/cmd.c cmd_exec): the account
     * must still be enabled and hold its token, and zoneio_import checks the role */
    authz_act(env->st, c->user[0] ? &c->who : NULL);
    int rc = authz_current(env->st, c->key, &d);
    if (rc == 0)
        rc = zoneio_import(env->st, fp, "zone file", c->origin[0] ? c->origin : NULL, &st, &d);
    authz_act(env->st, NULL);
    if (rc == LANA_EPERM)
        log_warn("registry: %s: refused zone import: %s", c->actor, d.msg);
    struct lana_diag ed;
    int erc = store_batch_end(env->st, rc == 0, &ed);
    if (erc != 0 && rc == 0)
        rc = diag_set(&d, erc, "%s", ed.msg);
    if (rc != 0) {
        if (cmd_error(j, regproto_code_of(rc), "%s", d.msg) == RP_FULL)
            regconn__full(c);
    } else {
        jsonw_reset(j);
        jsonw_obj(j);
        jsonw_kbool(j, "ok", true);
        jsonw_kstr(j, "imported", st.zone);
        jsonw_kint(j, "records", (int64_t)st.records);
        jsonw_end(j);
    }
    regconn__reply(c);
out:
    if (fp != NULL)
        fclose(fp);
    free(text);
}

bool regbatch__line(struct regconn *c, char *line)
{
    size_t n = strlen(line);
    bool cr = n > 0 && line[n - 1] == '\r';
    if (cr)
        line[--n] = '\0';
    const char *p = line + strspn(line, " \t");
    if (c->state == RC_IMPORT) {
        if (strcmp(line, ".") == 0) {
            if (!c->import_refused && regconn__must_wait(c)) {
                if (cr) /* a parked line stays as it came: it is read again later */
                    line[n] = '\r';
                regconn__park(c);
                return false;
            }
            run_import(c);
            return true;
        }
        if (c->import_refused) /* answered already: its lines are dropped as they come */
            return true;
        if (line[0] == '.') /* a line that starts with a dot was sent with one more */
            memmove(line, line + 1, n--);
    } else if (strcmp(p, "end") == 0) {
        c->state = RC_RUN; /* regsrv begins it when its turn comes */
        regconn__enqueue(c);
        return true;
    }
    if (c->nbatch >= BATCH_MAX_LINES || c->batchbytes + n > BATCH_MAX_BYTES) {
        regconn__batch_clear(c);
        regconn_refuse(c, RP_TOO_LONG, "batch too large (at most 1000000 lines, 64 MiB)", false);
        return true;
    }
    if (c->nbatch == c->capbatch) {
        size_t cap = c->capbatch ? c->capbatch * 2 : 256;
        char **b = realloc(c->batch, cap * sizeof *b);
        if (b == NULL) {
            regconn_refuse(c, RP_INTERNAL, "out of memory", false);
            return true;
        }
        c->batch = b;
        c->capbatch = cap;
    }
    if ((c->batch[c->nbatch] = strdup(line)) == NULL) {
        regconn_refuse(c, RP_INTERNAL, "out of memory", false);
        return true;
    }
    c->nbatch++;
    c->batchbytes += n;
    return true;
}

/* ---- running -------------------------------------------------------------------------------- */

/* {"KEY":"batch","done":N,"of":M} as a PROGRESS line on c. */
static void progress_of(struct regconn *c, const char *key, const struct regconn *b)
{
    char line[128];
    int n = snprintf(line, sizeof line, "{\"%s\":\"batch\",\"done\":%zu,\"of\":%zu}", key,
                     b ? b->bnext : 0, b ? b->nbatch : 0);
    if (n > 0 && (size_t)n < sizeof line) /* two numbers and a short key: always */
        regconn_progress(c, line);
}

void regbatch_waiting(struct regconn *c)
{
    progress_of(c, "waiting", c->env->batch);
}

bool regbatch_begin(struct regconn *c, uint64_t now_ms)
{
    struct regconn_env *env = c->env;
    struct lana_diag d;
    regconn_dequeue(c);
    c->bnext = c->bok = c->bfailed = c->bfirst_bad = 0;
    c->bt0 = c->bprogress_ms = now_ms;
    c->bkeep = false;
    env->batch = c;
    if (!c->may_write) { /* it can only read: from the reader, holding nothing of the writer */
        c->bunit = true;
        return true;
    }
    if (!regconn__ensure_tx(c)) { /* answered already ("database busy") */
        env->batch = NULL;
        regconn__batch_clear(c);
        c->state = RC_READY;
        c->wrote = false;
        return false;
    }
    c->bunit = store_batch_begin(env->st, &d) == 0;
    if (!c->bunit)
        log_err("registry: %s: batch: %s", c->peer, d.msg);
    return true;
}

enum regbatch_step regbatch_step(struct regconn *c, uint64_t deadline_ms)
{
    struct regconn_env *env = c->env;
    if (c->outlen - c->outoff >= REGCONN_OUT_PAUSE)
        return REGBATCH_PAUSED;
    bool stop = !c->bunit;
    unsigned ran = 0;
    /* all or nothing: the batch savepoint undoes everything on a failure, so the engine need
     * not keep a savepoint per command; the writer's default comes back between slices */
    ipam_set_atomic(env->ip, c->keep_going);
    while (!stop && c->bnext < c->nbatch && ran < REGBATCH_SLICE &&
           c->outlen - c->outoff < REGCONN_OUT_PAUSE && (ran == 0 || mono_ms() < deadline_ms)) {
        size_t i = c->bnext++;
        ran++;
        if (regconn__run_line(c, c->batch[i], true) == RP_OK) {
            c->bok++;
        } else {
            if (c->bfailed++ == 0)
                c->bfirst_bad = i + 1;
            stop = !c->keep_going;
        }
        if (c->progress != 0 && c->bnext % c->progress == 0 && c->bnext < c->nbatch)
            progress_of(c, "running", c);
    }
    ipam_set_atomic(env->ip, true);
    if (ran > 0)
        c->bprogress_ms = c->last_ms = mono_ms(); /* not idle: it is being served */
    if (!stop && c->bnext < c->nbatch)
        return ran > 0 ? REGBATCH_MORE : REGBATCH_PAUSED;
    struct lana_diag d;
    bool keep = c->bunit && (c->bfailed == 0 || c->keep_going);
    if (c->bunit && c->may_write && store_batch_end(env->st, keep, &d) != 0) {
        log_err("registry: batch: %s", d.msg);
        keep = false;
    }
    c->bunit = false;
    c->bkeep = keep;
    return REGBATCH_DONE;
}

void regbatch_finish(struct regconn *c, int commit_rc, const struct lana_diag *d)
{
    struct jsonw *j = &c->env->reply;
    bool committed = c->bkeep && commit_rc == 0;
    bool ok = committed && c->bfailed == 0;
    jsonw_reset(j);
    jsonw_obj(j);
    jsonw_kbool(j, "ok", ok);
    if (c->bkeep && commit_rc != 0) { /* the commit failed: say why nothing was kept */
        bool full = commit_rc == LANA_EFULL;
        jsonw_key(j, "error");
        jsonw_obj(j);
        jsonw_kstr(j, "code", regproto_code_name(full ? RP_FULL : RP_INTERNAL));
        jsonw_kstr(j, "message", full ? REGCONN_MSG_FULL : d->msg);
        jsonw_end(j);
    }
    jsonw_key(j, "batch");
    jsonw_obj(j);
    jsonw_kint(j, "commands", (int64_t)c->nbatch);
    jsonw_kint(j, "succeeded", (int64_t)c->bok);
    jsonw_kint(j, "failed", (int64_t)c->bfailed);
    if (c->bfailed > 0)
        jsonw_kint(j, "first_failed_line", (int64_t)c->bfirst_bad);
    jsonw_kbool(j, "committed", committed);
    jsonw_end(j);
    jsonw_end(j);
    regconn__reply(c);
    log_info("registry: %s: batch of %zu commands, %zu failed, %s in %llu ms", c->peer, c->nbatch,
             c->bfailed, committed ? "kept" : "undone", (unsigned long long)(mono_ms() - c->bt0));
    regconn__batch_clear(c);
    c->env->batch = NULL;
    c->state = RC_READY;
    c->wrote = false;
    c->pending = true; /* lines sent after "end" may wait */
}

void regbatch_abort(struct regconn *c, const char *why)
{
    struct regconn_env *env = c->env;
    if (env->batch != c)
        return;
    ipam_set_atomic(env->ip, true);
    if (c->may_write)
        store_rollback(env->st); /* the transaction is the batch's alone */
    log_warn("registry: %s: batch of %zu commands undone after %zu: %s", c->peer, c->nbatch,
             c->bnext, why);
    regconn__batch_clear(c);
    env->batch = NULL;
    c->state = RC_READY;
    c->wrote = false;
    c->bunit = false;
}
