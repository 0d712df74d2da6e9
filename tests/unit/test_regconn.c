/* Unit tests of server/regconn and server/regbatch over socketpairs: the handshake, the
 * framing the command table marks as such (batch ... end, zone import ... ., quit, end) with
 * and without a token, batches run in slices while other connections read and wait, the
 * output cap, and a full disk (tests/lib/sqlfault) in a statement and at the commit. The test
 * plays regsrv's part: pump() runs what waits, commits the turn, runs the batch, flushes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/auth.h"
#include "common/clock.h"
#include "db/account.h"
#include "server/regconn.h"
#include "tests/lib/sqlfault.h"
#include "tests/lib/testdb.h"

#define NCONN 3

struct fix {
    struct testdb t;
    struct regconn_env env;
    struct regconn *cs[NCONN];
    int peers[NCONN];
    struct regconn *c; /* cs[0] */
    int peer;
    uint8_t token[AUTH_TOKEN_LEN];
    char got[1 << 16];
    int commit_fail; /* an SQLite code the next turn's commit step fails with (sqlfault) */
    bool hold_batch; /* pump() runs no slice of a batch */
};

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof *f);
    if (f == NULL || testdb_make(&f->t) != 0 ||
        store_open(f->t.path, &f->env.st, NULL, NULL) != 0 ||
        ipam_open(f->env.st, &f->env.ip, NULL) != 0 ||
        names_open(f->env.st, f->env.ip, &f->env.nm, NULL) != 0 ||
        store_open_reader(f->t.path, &f->env.rst, NULL) != 0 ||
        ipam_open(f->env.rst, &f->env.rip, NULL) != 0 ||
        names_open(f->env.rst, f->env.rip, &f->env.rnm, NULL) != 0)
        return -1;
    jsonw_init(&f->env.reply);
    struct account a = {.name = "admin", .role = "admin"};
    for (size_t i = 0; i < sizeof f->token; i++)
        f->token[i] = (uint8_t)(i * 7 + 1);
    auth_stored_key(f->token, a.stored_key);
    if (account_add(f->env.st, &a, "test", NULL) != 0)
        return -1;
    struct sockaddr_in sin = {
        .sin_family = AF_INET, .sin_port = htons(4242), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    for (int i = 0; i < NCONN; i++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0)
            return -1;
        f->cs[i] = regconn_new(&f->env, sv[0], (struct sockaddr *)&sin, 0);
        f->peers[i] = sv[1];
        if (f->cs[i] == NULL)
            return -1;
    }
    f->c = f->cs[0];
    f->peer = f->peers[0];
    sqlfault_reset();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    sqlfault_reset();
    for (int i = 0; i < NCONN; i++) {
        regconn_free(f->cs[i]);
        close(f->peers[i]);
    }
    jsonw_free(&f->env.reply);
    names_close(f->env.rnm);
    ipam_close(f->env.rip);
    store_close(f->env.rst);
    names_close(f->env.nm);
    ipam_close(f->env.ip);
    store_close(f->env.st);
    testdb_cleanup(&f->t);
    free(f);
    return 0;
}

/* regsrv's commit of the turn: on failure every connection that wrote has its replies
 * withdrawn, one error line each. */
static void commit_turn(struct fix *f)
{
    struct store *st = f->env.st;
    bool held = f->env.batch != NULL && f->env.batch->may_write;
    if (held || (!store_in_transaction(st) && !store_turn_aborted(st)))
        return;
    struct lana_diag d;
    if (f->commit_fail != 0)
        sqlfault_arm_rc(1, f->commit_fail, 1); /* COMMIT is the next step */
    int crc = store_commit(st, &d);
    f->commit_fail = 0;
    sqlfault_disarm();
    bool full = crc == LANA_EFULL || f->env.full;
    f->env.full = false;
    for (int i = 0; i < NCONN; i++) {
        if (crc != 0)
            regconn_withdraw(f->cs[i], full ? RP_FULL : RP_INTERNAL,
                             full ? REGCONN_MSG_FULL : "commit failed");
        f->cs[i]->wrote = false;
    }
}

static void release(struct fix *f)
{
    struct regconn *q;
    while (f->env.batch == NULL && (q = f->env.qhead) != NULL && q->state != RC_RUN)
        regconn_dequeue(q);
}

/* Runs one slice of the batch (beginning the next one when none runs). Returns whether it
 * did anything. */
static bool batch_slice(struct fix *f, uint64_t slice_ms)
{
    if (f->env.batch == NULL) {
        release(f);
        if (f->env.qhead == NULL || !regbatch_begin(f->env.qhead, 1))
            return false;
    }
    struct regconn *b = f->env.batch;
    enum regbatch_step s = regbatch_step(b, slice_ms ? mono_ms() + slice_ms : UINT64_MAX);
    if (s == REGBATCH_PAUSED)
        return false;
    if (s == REGBATCH_DONE) {
        struct lana_diag d;
        if (f->commit_fail != 0)
            sqlfault_arm_rc(1, f->commit_fail, 1);
        int crc = b->may_write ? store_commit(f->env.st, &d) : 0;
        f->commit_fail = 0;
        sqlfault_disarm();
        regbatch_finish(b, crc, &d);
        release(f);
    }
    return true;
}

static void flush_all(struct fix *f)
{
    for (int i = 0; i < NCONN; i++)
        regconn_flush(f->cs[i]);
}

/* What regsrv's passes do until nothing is left to do (batches run to their end). */
static void pump(struct fix *f)
{
    for (int pass = 0; pass < 100000; pass++) {
        bool any = false;
        for (int i = 0; i < NCONN; i++)
            if (regconn_runnable(f->cs[i])) {
                regconn_read(f->cs[i], 1);
                any = true;
            }
        commit_turn(f);
        if (!f->hold_batch)
            any |= batch_slice(f, 0);
        if (!any)
            break;
    }
    flush_all(f);
}

/* Everything the peer of connection i has received so far. */
static const char *got_on(struct fix *f, int i)
{
    size_t len = 0;
    ssize_t n;
    while (len < sizeof f->got - 1 &&
           (n = read(f->peers[i], f->got + len, sizeof f->got - 1 - len)) > 0)
        len += (size_t)n;
    f->got[len] = '\0';
    return f->got;
}

/* Everything connection i still has to say, as it drains (freed by the caller). */
static char *drain(struct fix *f, int i)
{
    size_t len = 0, cap = 1 << 16;
    char *all = malloc(cap);
    assert_non_null(all);
    for (int pass = 0; pass < 100000; pass++) {
        regconn_flush(f->cs[i]);
        ssize_t n;
        bool got = false;
        while ((n = read(f->peers[i], all + len, cap - len - 1)) > 0) {
            len += (size_t)n;
            got = true;
            if (cap - len < 4096) {
                cap *= 2;
                all = realloc(all, cap);
                assert_non_null(all);
            }
        }
        if (!got && f->cs[i]->outoff == f->cs[i]->outlen)
            break;
    }
    all[len] = '\0';
    return all;
}

static void send_on(struct fix *f, int i, const char *text)
{
    assert_int_equal(write(f->peers[i], text, strlen(text)), (ssize_t)strlen(text));
}

/* Sends text on connection i, lets it read and run it, plays regsrv, returns what came back. */
static const char *talk_on(struct fix *f, int i, const char *text)
{
    send_on(f, i, text);
    regconn_read(f->cs[i], 1);
    pump(f);
    return got_on(f, i);
}

static const char *talk(struct fix *f, const char *text)
{
    return talk_on(f, 0, text);
}

static void login_on(struct fix *f, int i, bool with_token)
{
    const char *w = talk_on(f, i, "HELLO lana/1 seq=41\n");
    unsigned y;
    assert_int_equal(sscanf(w, "WELCOME lana/1 ack=42 seq=%u", &y), 1);
    char line[256], hex[AUTH_HEX_LEN + 1];
    uint8_t p[AUTH_TOKEN_LEN];
    auth_proof(f->token, 41, y, p);
    auth_hex(p, sizeof p, hex);
    snprintf(line, sizeof line, with_token ? "ACK ack=%u user=admin proof=%s\n" : "ACK ack=%u\n",
             y + 1, hex);
    assert_string_equal(talk_on(f, i, line),
                        with_token
                            ? "READY {\"user\":\"admin\",\"role\":\"admin\",\"write\":true}\n"
                            : "READY {\"user\":\"\",\"role\":\"anonymous\",\"write\":false}\n");
}

static void login(struct fix *f, bool with_token)
{
    login_on(f, 0, with_token);
}

static void test_request_before_the_handshake_is_refused(void **state)
{
    struct fix *f = *state;
    assert_string_equal(talk(f, "pool list\n"),
                        "ERROR {\"ok\":false,\"error\":{\"code\":\"handshake\",\"message\":"
                        "\"expected: HELLO lana/1 seq=X\"}}\n");
    assert_true(f->c->closing);
}

static void test_framing_is_refused_inside_a_batch(void **state)
{
    struct fix *f = *state;
    login(f, true);
    const char *r = talk(f, "batch --keep-going\npool add 10.0.0.0/8\nquit\nzone import\n"
                            "batch\n\"end\"\nend\n");
    assert_non_null(strstr(r, "\"quit is not allowed inside a batch\""));
    assert_non_null(strstr(r, "\"zone import is not allowed inside a batch\""));
    assert_non_null(strstr(r, "\"batch is not allowed inside a batch\""));
    assert_non_null(strstr(r, "\"end is not allowed inside a batch\""));
    assert_non_null(strstr(r, "{\"ok\":false,\"batch\":{\"commands\":5,\"succeeded\":1,"
                              "\"failed\":4,\"first_failed_line\":2,\"committed\":true}}\n"));
    assert_false(f->c->closing);
    assert_non_null(strstr(talk(f, "pool list\n"), "\"prefix\":\"10.0.0.0/8\""));
}

static void test_anonymous_batch_writes_nothing(void **state)
{
    struct fix *f = *state;
    login(f, false);
    const char *r = talk(f, "batch --keep-going\npool list\npool add 10.0.0.0/8\nend\n");
    assert_non_null(strstr(r, "\"code\":\"permission\",\"message\":\"pool add changes the "
                              "registry: authenticate with a token first\""));
    assert_non_null(strstr(r, "\"commands\":2,\"succeeded\":1,\"failed\":1"));
    assert_string_equal(talk(f, "pool list\n"), "{\"ok\":true,\"pools\":[]}\n");
}

static void test_refused_import_swallows_its_lines(void **state)
{
    struct fix *f = *state;
    login(f, false);
    assert_string_equal(talk(f, "zone import --origin lab.\n@ 3600 IN SOA a. b. 1 2 3 4 5\n"
                                "ping\n..\n.\nping\n"),
                        "{\"ok\":false,\"error\":{\"code\":\"permission\",\"message\":\"zone "
                        "import changes the registry: authenticate with a token first\"}}\n"
                        "{\"ok\":true,\"pong\":true}\n");
    assert_string_equal(talk(f, "zone list\n"), "{\"ok\":true,\"zones\":[]}\n");
}

static void test_frame_words_follow_the_table(void **state)
{
    struct fix *f = *state;
    login(f, false);
    assert_string_equal(talk(f, "end\n"), "{\"ok\":false,\"error\":{\"code\":\"usage\","
                                          "\"message\":\"end: no batch is open\"}}\n");
    assert_string_equal(talk(f, "batch now\n"),
                        "{\"ok\":false,\"error\":{\"code\":\"usage\",\"message\":\"usage: batch "
                        "[--keep-going] [--progress N], the lines, then end\"}}\n");
    assert_string_equal(talk(f, "quit now\n"), "{\"ok\":false,\"error\":{\"code\":\"usage\","
                                               "\"message\":\"usage: quit\"}}\n");
    assert_false(f->c->closing);
    assert_string_equal(talk(f, "quit\nping\n"), "{\"ok\":true,\"bye\":true}\n");
    assert_true(f->c->closing);
}

/* ---- batches that do not stop the world ------------------------------------------------- */

/* One pass of regsrv without the batch's slice: run what waits, commit the turn, flush. */
static const char *step_on(struct fix *f, int i, const char *text)
{
    send_on(f, i, text);
    regconn_read(f->cs[i], 1);
    commit_turn(f);
    flush_all(f);
    return got_on(f, i);
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

/* Sends "batch[ opts]", n copies of line, "end" on connection i (one write each). */
static void send_batch(struct fix *f, int i, const char *opts, const char *line, size_t n)
{
    char head[64];
    snprintf(head, sizeof head, "batch%s\n", opts);
    send_on(f, i, head);
    for (size_t k = 0; k < n; k++) {
        send_on(f, i, line);
        if (k % 64 == 63)
            regconn_read(f->cs[i], 1); /* the socket's buffer is smaller than the batch */
    }
    send_on(f, i, "end\n");
    regconn_read(f->cs[i], 1);
}

/* While a batch runs (a slice done, more to do), another client completes its handshake and
 * reads the last commit; a third one's write is parked with a PROGRESS line, and runs after
 * the batch, which ends committed. */
static void test_batch_leaves_room_for_handshakes_reads_and_waiting_writers(void **state)
{
    struct fix *f = *state;
    login(f, true);
    assert_non_null(strstr(talk(f, "pool add 10.0.0.0/8\n"), "\"ok\":true"));
    send_batch(f, 0, "", "block alloc 10.0.0.0/8 /28\n", 2000);
    commit_turn(f);
    assert_true(batch_slice(f, 1000)); /* one slice: at most REGBATCH_SLICE lines */
    assert_non_null(f->env.batch);
    size_t done = f->c->bnext;
    assert_true(done > 0 && done < 2000);

    f->hold_batch = true;
    login_on(f, 1, false); /* the handshake goes on */
    const char *r = step_on(f, 1, "block list 10.0.0.0/8\n");
    assert_string_equal(r, "{\"ok\":true,\"blocks\":[]}\n"); /* the last commit */
    assert_non_null(f->env.batch);

    login_on(f, 2, true);
    f->hold_batch = false;
    r = step_on(f, 2, "block alloc 10.0.0.0/8 /24\nping\n");
    char want[128];
    snprintf(want, sizeof want, "PROGRESS {\"waiting\":\"batch\",\"done\":%zu,\"of\":2000}\n",
             done);
    assert_string_equal(r, want);
    assert_true(f->cs[2]->parked);
    assert_int_equal(regconn_want(f->cs[2]) & REGCONN_WANT_READ, 0);

    pump(f); /* the batch runs to its end, then the parked write and the ping */
    assert_null(f->env.batch);
    char *all = drain(f, 0);
    assert_non_null(strstr(all, "\"batch\":{\"commands\":2000,\"succeeded\":2000,"
                                "\"failed\":0,\"committed\":true}}\n"));
    free(all);
    r = got_on(f, 2);
    assert_non_null(strstr(r, "{\"ok\":true,\"block\":{\"prefix\":\"10.0."));
    assert_non_null(strstr(r, "\n{\"ok\":true,\"pong\":true}\n"));
    assert_non_null(strstr(talk_on(f, 1, "block show 10.0.0.0/8\n"), "\"children\":2001"));
}

/* A batch that cannot write (anonymous) holds nothing: a write meanwhile runs at once. */
static void test_read_only_batch_parks_nobody(void **state)
{
    struct fix *f = *state;
    login_on(f, 0, false);
    login_on(f, 1, true);
    send_batch(f, 0, "", "pool list\n", 2000);
    commit_turn(f);
    assert_true(batch_slice(f, 1000));
    assert_non_null(f->env.batch);
    assert_false(store_in_transaction(f->env.st));
    assert_non_null(strstr(step_on(f, 1, "pool add 10.0.0.0/8\n"),
                           "{\"ok\":true,\"pool\":{\"prefix\":\"10.0.0.0/8\""));
    assert_non_null(f->env.batch); /* still running */
    pump(f);
    char *all = drain(f, 0);
    assert_non_null(strstr(all, "\"commands\":2000,\"succeeded\":2000,\"failed\":0,"
                                "\"committed\":true}}\n"));
    free(all);
}

/* What a read sees: the last commit, plus the asking connection's own writes of the turn. */
static void test_read_sees_the_last_commit_and_its_own_writes(void **state)
{
    struct fix *f = *state;
    login_on(f, 0, true);
    login_on(f, 1, true);
    assert_non_null(strstr(talk(f, "pool add 10.0.0.0/8\n"), "\"ok\":true"));
    send_on(f, 0, "block alloc 10.1.0.0/16\nblock show 10.1.0.0/16\n");
    regconn_read(f->cs[0], 1);
    send_on(f, 1, "block show 10.1.0.0/16\n");
    regconn_read(f->cs[1], 1);
    commit_turn(f);
    flush_all(f);
    const char *r = got_on(f, 0);
    assert_int_equal(count(r, "\"ok\":true"), 2); /* its own block, pipelined */
    assert_non_null(strstr(got_on(f, 1), "\"code\":\"not_found\"")); /* not committed yet */
    assert_non_null(strstr(talk_on(f, 1, "block show 10.1.0.0/16\n"), "\"ok\":true"));
}

/* batch --progress N: a PROGRESS line every N commands, before the summary. */
static void test_batch_reports_its_own_progress(void **state)
{
    struct fix *f = *state;
    login(f, false);
    send_batch(f, 0, " --progress 100", "ping\n", 250);
    pump(f);
    const char *r = got_on(f, 0);
    assert_int_equal(count(r, "PROGRESS "), 2);
    assert_non_null(strstr(r, "PROGRESS {\"running\":\"batch\",\"done\":100,\"of\":250}\n"));
    assert_non_null(strstr(r, "PROGRESS {\"running\":\"batch\",\"done\":200,\"of\":250}\n"));
    assert_non_null(strstr(r, "\"commands\":250,\"succeeded\":250"));
    assert_non_null(strstr(talk(f, "batch --progress 0\n"), "\"code\":\"invalid\""));
}

/* A batch whose client does not read stops when its output reaches the cap, and goes on
 * when the client reads: every reply arrives. */
static void test_batch_pauses_while_its_output_is_over_the_cap(void **state)
{
    struct fix *f = *state;
    login(f, false);
    send_batch(f, 0, " --keep-going", "help\n", 3000);
    commit_turn(f);
    for (int i = 0; i < 1000 && batch_slice(f, 0); i++)
        regconn_send_some(f->c);
    assert_non_null(f->env.batch); /* paused, not done */
    size_t unsent = f->c->outlen - f->c->outoff;
    assert_true(unsent >= REGCONN_OUT_PAUSE && unsent < REGCONN_OUT_PAUSE + 16384); /* help: < 16 KiB */
    size_t lines = 0;
    char buf[1 << 16];
    for (int i = 0; i < 100000 && f->env.batch != NULL; i++) {
        ssize_t n;
        while ((n = read(f->peer, buf, sizeof buf)) > 0)
            for (ssize_t k = 0; k < n; k++)
                lines += buf[k] == '\n';
        regconn_send_some(f->c);
        batch_slice(f, 0);
    }
    pump(f);
    bool summary = false;
    for (int i = 0; i < 100000 && lines < 3001; i++) {
        const char *r = got_on(f, 0);
        for (const char *p = r; *p; p++)
            lines += *p == '\n';
        summary |= strstr(r, "\"commands\":3000,\"succeeded\":3000") != NULL;
        regconn_flush(f->c);
    }
    assert_int_equal(lines, 3001);
    assert_true(summary);
}

/* ---- the output cap, line by line; refused imports; a refusal after a partial send ------- */

/* Many requests in one read stop at the cap (the rest stays buffered) and go on once the
 * output drains: one reply each. */
static void test_pipelined_lines_stop_at_the_output_cap(void **state)
{
    struct fix *f = *state;
    login(f, false);
    char text[4000];
    size_t n = 0;
    while (n + 5 < sizeof text) {
        memcpy(text + n, "help\n", 5);
        n += 5;
    }
    assert_int_equal(write(f->peer, text, n), (ssize_t)n);
    regconn_read(f->c, 1);
    size_t unsent = f->c->outlen - f->c->outoff;
    assert_true(unsent >= REGCONN_OUT_PAUSE && unsent < REGCONN_OUT_PAUSE + 16384); /* help: < 16 KiB */
    assert_true(regconn_runnable(f->c) == false);
    size_t lines = 0;
    char buf[1 << 16];
    for (int i = 0; i < 100000 && lines < n / 5; i++) {
        regconn_send_some(f->c);
        ssize_t k;
        while ((k = read(f->peer, buf, sizeof buf)) > 0)
            for (ssize_t j = 0; j < k; j++)
                lines += buf[j] == '\n';
        if (f->c->outoff == f->c->outlen && regconn_runnable(f->c))
            regconn_read(f->c, 1);
    }
    assert_int_equal(lines, n / 5);
}

/* A refused zone import's lines are dropped as they come, not kept until its ".". */
static void test_refused_import_keeps_no_lines(void **state)
{
    struct fix *f = *state;
    login(f, false);
    send_on(f, 0, "zone import\n");
    for (int i = 0; i < 500; i++) {
        send_on(f, 0, "x 3600 IN TXT \"a line of the refused import\"\n");
        if (i % 50 == 49)
            regconn_read(f->c, 1);
    }
    regconn_read(f->c, 1);
    assert_int_equal(f->c->nbatch, 0);
    assert_int_equal(f->c->batchbytes, 0);
}

/* A refusal that drops the queued output keeps a line that has partly gone out whole. */
static void test_refuse_with_drop_never_cuts_a_line(void **state)
{
    struct fix *f = *state;
    login(f, false);
    int small = 4096;
    assert_int_equal(setsockopt(f->c->fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
    send_on(f, 0, "help\nhelp\nhelp\nhelp\nhelp\nhelp\n");
    regconn_read(f->c, 1);
    regconn_send_some(f->c);
    assert_true(f->c->outoff > 0 && f->c->out[f->c->outoff - 1] != '\n'); /* mid-line */
    regconn_refuse(f->c, RP_INTERNAL, "dropped", true);
    for (int i = 0; i < 1000 && !regconn_flush(f->c); i++)
        (void)got_on(f, 0);
    static char all[1 << 17];
    size_t had = strlen(f->got);
    memcpy(all, f->got, had + 1);
    const char *more = got_on(f, 0);
    memcpy(all + had, more, strlen(more) + 1);
    size_t lines = count(all, "\n");
    assert_true(lines >= 2);
    /* every line is one whole reply: help replies, then the error */
    assert_int_equal(count(all, "{\"ok\":true,\"commands\""), lines - 1);
    assert_non_null(strstr(all, "}\n{\"ok\":false,\"error\":{\"code\":\"internal\",\"message\":"
                                "\"dropped\"}}\n"));
}

/* ---- a full disk ---------------------------------------------------------------------------- */

static const char full_reply[] = "{\"ok\":false,\"error\":{\"code\":\"full\",\"message\":\"the "
                                 "registry's disk is full; nothing was changed\"}}\n";

/* SQLITE_FULL in a statement: the client hears why, keeps its connection, and the next write
 * succeeds. */
static void test_full_disk_in_a_statement_is_told_and_survived(void **state)
{
    struct fix *f = *state;
    login(f, true);
    assert_non_null(strstr(talk(f, "pool add 10.0.0.0/8\n"), "\"ok\":true"));
    sqlfault_arm_rc(4, SQLITE_FULL, 0); /* past BEGIN and the savepoint: the command's own */
    send_on(f, 0, "block alloc 10.0.0.0/8 /24\n");
    regconn_read(f->c, 1);
    sqlfault_disarm();
    commit_turn(f);
    flush_all(f);
    assert_string_equal(got_on(f, 0), full_reply);
    assert_false(f->c->closing);
    assert_non_null(strstr(talk(f, "block alloc 10.0.0.0/8 /24\n"),
                           "{\"ok\":true,\"block\":{\"prefix\":\"10.0.0.0/24\""));
}

/* SQLITE_FULL at the turn's commit: every reply since the connection's first write of the
 * turn becomes the error (one per request), the connection stays, and nothing was kept. */
static void test_full_disk_at_commit_withdraws_each_reply(void **state)
{
    struct fix *f = *state;
    login(f, true);
    assert_non_null(strstr(talk(f, "pool add 10.0.0.0/8\n"), "\"ok\":true"));
    f->commit_fail = SQLITE_FULL;
    const char *r = talk(f, "ping\nblock alloc 10.0.0.0/8 /24\nblock list 10.0.0.0/8\n"
                            "block alloc 10.0.0.0/8 /24\n");
    char want[1024];
    snprintf(want, sizeof want, "{\"ok\":true,\"pong\":true}\n%s%s%s", full_reply, full_reply,
             full_reply);
    assert_string_equal(r, want);
    assert_false(f->c->closing);
    assert_string_equal(talk(f, "block list 10.0.0.0/8\n"), "{\"ok\":true,\"blocks\":[]}\n");
    assert_non_null(strstr(talk(f, "block alloc 10.0.0.0/8 /24\n"), "\"ok\":true"));
    /* a batch whose commit meets a full disk says so in its summary */
    f->commit_fail = SQLITE_FULL;
    r = talk(f, "batch\nblock alloc 10.0.0.0/8 /24\nend\n");
    assert_non_null(strstr(r, "{\"ok\":false,\"error\":{\"code\":\"full\",\"message\":\"the "
                              "registry's disk is full; nothing was changed\"},\"batch\":{"
                              "\"commands\":1,\"succeeded\":1,\"failed\":0,\"committed\":false}}"));
    assert_non_null(strstr(talk(f, "block list 10.0.0.0/8\n"), "\"10.0.0.0/24\""));
    assert_null(strstr(f->got, "\"10.0.1.0/24\""));
}

/* A failed turn commit withdraws one error per request: a PROGRESS line queued in the same
 * turn (a waiting writer's tick) is not a reply, so it gets no error line of its own. */
static void test_withdraw_counts_replies_not_progress_lines(void **state)
{
    struct fix *f = *state;
    login(f, true);
    assert_non_null(strstr(talk(f, "pool add 10.0.0.0/8\n"), "\"ok\":true"));
    send_on(f, 0, "block alloc 10.0.0.0/8 /24\n");
    regconn_read(f->c, 1); /* one write in the turn: its reply waits for the commit */
    regconn_progress(f->c, "{\"waiting\":\"batch\",\"done\":1,\"of\":2}");
    f->commit_fail = SQLITE_FULL;
    commit_turn(f);
    flush_all(f);
    assert_string_equal(got_on(f, 0), full_reply);
    assert_false(f->c->closing);
}

/* A zone import sent with CRLF line ends whose "." comes after a batch began waits like any
 * write, and then runs as it came (the parked "." keeps its CR, not a NUL in its place). */
static void test_parked_crlf_import_runs_as_it_came(void **state)
{
    struct fix *f = *state;
    login(f, true);
    login_on(f, 1, true);
    assert_non_null(strstr(talk(f, "pool add 10.0.0.0/8\n"), "\"ok\":true"));
    step_on(f, 1, "zone import\r\n$ORIGIN crlf.test.\r\n"
                  "@ 3600 IN SOA ns1 hostmaster 1 3600 900 604800 300\r\n"
                  "@ 3600 IN NS ns1\r\nns1 3600 IN A 198.18.0.53\r\n");
    send_batch(f, 0, "", "block alloc 10.0.0.0/8 /28\n", 2000);
    commit_turn(f);
    assert_true(batch_slice(f, 1000));
    assert_non_null(f->env.batch);
    f->hold_batch = true;
    step_on(f, 1, ".\r\n");
    assert_true(f->cs[1]->parked);
    f->hold_batch = false;
    pump(f);
    assert_null(f->env.batch);
    const char *r = got_on(f, 1);
    assert_non_null(strstr(r, "{\"ok\":true,\"imported\":\"crlf.test.\""));
    assert_null(strstr(r, "NUL"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_request_before_the_handshake_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_framing_is_refused_inside_a_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_anonymous_batch_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_import_swallows_its_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frame_words_follow_the_table, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_batch_leaves_room_for_handshakes_reads_and_waiting_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_sees_the_last_commit_and_its_own_writes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_read_only_batch_parks_nobody, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_reports_its_own_progress, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_pauses_while_its_output_is_over_the_cap, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pipelined_lines_stop_at_the_output_cap, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refused_import_keeps_no_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_with_drop_never_cuts_a_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_disk_in_a_statement_is_told_and_survived, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_withdraw_counts_replies_not_progress_lines, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_parked_crlf_import_runs_as_it_came, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_full_disk_at_commit_withdraws_each_reply, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
