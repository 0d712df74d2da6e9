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
    if (f->env.batch != NULL || (!store_in_transaction(st) && !store_turn_aborted(st)))
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
        int crc = store_commit(f->env.st, &d);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_request_before_the_handshake_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_framing_is_refused_inside_a_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_anonymous_batch_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_import_swallows_its_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frame_words_follow_the_table, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
