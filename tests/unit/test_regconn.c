/* Unit tests of server/regconn over a socketpair: the handshake, and the framing the command
 * table marks as such (batch ... end, zone import ... ., quit, end) with and without a token.
 * The test plays regsrv's part: after each exchange it commits the turn, then flushes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/auth.h"
#include "db/account.h"
#include "server/regconn.h"
#include "tests/lib/testdb.h"

struct fix {
    struct testdb t;
    struct regconn_env env;
    struct regconn *c;
    int peer;
    uint8_t token[AUTH_TOKEN_LEN];
    char got[1 << 16];
};

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof *f);
    int sv[2];
    if (f == NULL || testdb_make(&f->t) != 0 ||
        store_open(f->t.path, &f->env.st, NULL, NULL) != 0 ||
        ipam_open(f->env.st, &f->env.ip, NULL) != 0 ||
        names_open(f->env.st, f->env.ip, &f->env.nm, NULL) != 0 ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0)
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
    f->c = regconn_new(&f->env, sv[0], (struct sockaddr *)&sin, 0);
    f->peer = sv[1];
    *state = f;
    return f->c ? 0 : -1;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    regconn_free(f->c);
    close(f->peer);
    jsonw_free(&f->env.reply);
    names_close(f->env.nm);
    ipam_close(f->env.ip);
    store_close(f->env.st);
    testdb_cleanup(&f->t);
    free(f);
    return 0;
}

/* Sends text, lets the connection read and run it, ends the turn, returns what came back. */
static const char *talk(struct fix *f, const char *text)
{
    assert_int_equal(write(f->peer, text, strlen(text)), (ssize_t)strlen(text));
    regconn_read(f->c, 1);
    if (store_in_transaction(f->env.st))
        assert_int_equal(store_commit(f->env.st, NULL), 0);
    f->c->wrote = false;
    regconn_flush(f->c);
    ssize_t n = read(f->peer, f->got, sizeof f->got - 1);
    f->got[n > 0 ? n : 0] = '\0';
    return f->got;
}

static void login(struct fix *f, bool with_token)
{
    const char *w = talk(f, "HELLO lana/1 seq=41\n");
    unsigned y;
    assert_int_equal(sscanf(w, "WELCOME lana/1 ack=42 seq=%u", &y), 1);
    char line[256], hex[AUTH_HEX_LEN + 1];
    uint8_t p[AUTH_TOKEN_LEN];
    auth_proof(f->token, 41, y, p);
    auth_hex(p, sizeof p, hex);
    snprintf(line, sizeof line, with_token ? "ACK ack=%u user=admin proof=%s\n" : "ACK ack=%u\n",
             y + 1, hex);
    assert_string_equal(talk(f, line),
                        with_token
                            ? "READY {\"user\":\"admin\",\"role\":\"admin\",\"write\":true}\n"
                            : "READY {\"user\":\"\",\"role\":\"anonymous\",\"write\":false}\n");
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
                        "[--keep-going], the lines, then end\"}}\n");
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
