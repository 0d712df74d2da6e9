/*
 * Unit tests of client/regclient: the client's half of the registry handshake, run against a
 * scripted server on the other end of a socketpair (a thread that reads the client's lines
 * and answers what each test tells it to): READY with and without a token, a silent server
 * (the deadline), a wrong version, a wrong ack, refusals, broken READY lines, a server that
 * closes, replies that arrive in pieces, and that nothing after READY is read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client/regclient.h"
#include "common/auth.h"
#include "common/clock.h"
#include "common/regproto.h"

/* What the scripted server does after reading HELLO. */
enum welcome {
    W_GOOD,      /* WELCOME lana/1 ack=X+1 seq=Y */
    W_VERSION,   /* WELCOME lana/2 ... */
    W_GARBAGE,   /* a line of another protocol */
    W_WRONG_ACK, /* ack=X+2 */
    W_ERROR,     /* ERROR {... busy ...} */
    W_CLOSE,     /* closes the connection */
    W_SILENT,    /* says nothing */
    W_PIECES,    /* WELCOME in three writes, 30 ms apart */
    W_LONG,      /* 5000 bytes without a newline */
};

struct peer {
    int fd;
    enum welcome welcome;
    const char *ready;    /* the line after ACK (NULL: READY anonymous + "EXTRA") */
    const uint8_t *token; /* expected proof's token, or NULL */
    /* what the server saw */
    char hello[256], ack[512];
    uint32_t x;
    bool proof_ok;
};

#define PEER_Y 4000000000u /* near the top, so that Y+1 is checked without a sign */

/* Reads one line (without its newline) from fd; false at the end. */
static bool read_line(int fd, char *buf, size_t size)
{
    size_t n = 0;
    while (n + 1 < size) {
        ssize_t k = read(fd, buf + n, 1);
        if (k <= 0)
            return false;
        if (buf[n] == '\n')
            break;
        n++;
    }
    buf[n] = '\0';
    return true;
}

/* (the peer thread does not assert: cmocka's checks belong to the test's own thread; a
 * failed write shows as a failed handshake there) */
static void say(int fd, const char *s)
{
    size_t n = strlen(s);
    if (write(fd, s, n) != (ssize_t)n)
        return;
}

static void pause_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* The server's answer to HELLO; false when it closes at once. */
static bool peer_welcome(struct peer *p)
{
    char line[8192];
    switch (p->welcome) {
    case W_GOOD:
    case W_WRONG_ACK:
        snprintf(line, sizeof line, "WELCOME lana/1 ack=%u seq=%u\n",
                 p->x + (p->welcome == W_GOOD ? 1 : 2), PEER_Y);
        say(p->fd, line);
        return true;
    case W_VERSION:
        snprintf(line, sizeof line, "WELCOME lana/2 ack=%u seq=%u\n", p->x + 1, PEER_Y);
        say(p->fd, line);
        return true;
    case W_GARBAGE: say(p->fd, "HTTP/1.1 400 Bad Request\r\n"); return true;
    case W_ERROR:
        say(p->fd, "ERROR {\"ok\":false,\"error\":{\"code\":\"busy\",\"message\":\"too many\"}}\n");
        return true;
    case W_CLOSE: return false;
    case W_SILENT: pause_ms(600); return true;
    case W_PIECES:
        snprintf(line, sizeof line, "WELCOME lana/1 ack=%u seq=%u\n", p->x + 1, PEER_Y);
        for (size_t off = 0, len = strlen(line); off < len; off += 12) {
            if (write(p->fd, line + off, len - off < 12 ? len - off : 12) <= 0)
                break;
            pause_ms(30);
        }
        return true;
    case W_LONG:
        memset(line, 'x', 5000);
        line[5000] = '\0';
        say(p->fd, line);
        return true;
    }
    return false;
}

static void *peer_main(void *arg)
{
    struct peer *p = arg;
    char *words[8];
    char copy[512];
    if (!read_line(p->fd, p->hello, sizeof p->hello))
        goto out;
    snprintf(copy, sizeof copy, "%s", p->hello);
    if (regproto_split(copy, words, 8, NULL) != 3 || !regproto_kv_u32(words[2], "seq", &p->x))
        goto out;
    /* after a bad WELCOME the client must send nothing: read_line then sees the end */
    if (!peer_welcome(p) || !read_line(p->fd, p->ack, sizeof p->ack))
        goto out;
    if (p->token != NULL) { /* the server's check of the proof (common/auth.h) */
        uint8_t key[AUTH_KEY_LEN], proof[AUTH_TOKEN_LEN];
        const char *h = strstr(p->ack, "proof=");
        auth_stored_key(p->token, key);
        p->proof_ok = h != NULL && auth_unhex(h + 6, proof, sizeof proof) == 0 &&
                      auth_verify(key, p->x, PEER_Y, proof);
    }
    /* READY and the first reply in one write: the handshake must leave "EXTRA" unread */
    say(p->fd, p->ready ? p->ready
                        : "READY {\"user\":\"\",\"role\":\"anonymous\",\"write\":false}\nEXTRA\n");
out:
    shutdown(p->fd, SHUT_WR);
    return NULL;
}

/* Runs one handshake against a scripted peer; returns its code, *p and *hs filled. */
static int shake(struct peer *p, const uint8_t *token, int timeout_ms, struct regclient_hello *hs,
                 struct lana_diag *d, int *client_fd)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    p->fd = sv[1];
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, peer_main, p), 0);
    d->msg[0] = '\0';
    int rc = regclient_handshake(sv[0], token, token ? "ops" : NULL, timeout_ms, NULL, hs, d);
    shutdown(sv[0], SHUT_WR); /* the peer's last read ends; what it sent stays readable */
    pthread_join(t, NULL);
    close(sv[1]);
    if (client_fd != NULL)
        *client_fd = sv[0];
    else
        close(sv[0]);
    return rc;
}

static void test_anonymous_handshake_reaches_ready_and_reads_nothing_more(void **state)
{
    (void)state;
    struct peer p = {.welcome = W_GOOD};
    struct regclient_hello hs;
    struct lana_diag d;
    int fd;
    assert_int_equal(shake(&p, NULL, 2000, &hs, &d, &fd), 0);
    assert_true(hs.welcomed && hs.ready && !hs.may_write);
    assert_string_equal(hs.role, "anonymous");
    assert_int_equal(hs.ack, (uint32_t)(hs.x + 1));
    assert_int_equal(hs.y, PEER_Y);
    char want[64];
    snprintf(want, sizeof want, "HELLO lana/1 seq=%u", hs.x);
    assert_string_equal(p.hello, want);
    snprintf(want, sizeof want, "ACK ack=%u", (uint32_t)(PEER_Y + 1));
    assert_string_equal(p.ack, want); /* no user= or proof= without a token */
    char rest[16] = "";
    assert_int_equal(read(fd, rest, sizeof rest - 1), 6);
    assert_string_equal(rest, "EXTRA\n");
    close(fd);
}

static void test_token_handshake_sends_a_proof_the_server_accepts(void **state)
{
    (void)state;
    uint8_t token[AUTH_TOKEN_LEN];
    for (size_t i = 0; i < sizeof token; i++)
        token[i] = (uint8_t)(i * 7 + 1);
    struct peer p = {.welcome = W_GOOD,
                     .token = token,
                     .ready = "READY {\"user\":\"ops\",\"role\":\"admin\",\"write\":true}\n"};
    struct regclient_hello hs;
    struct lana_diag d;
    assert_int_equal(shake(&p, token, 2000, &hs, &d, NULL), 0);
    assert_true(p.proof_ok);
    assert_non_null(strstr(p.ack, " user=ops proof="));
    assert_true(hs.ready && hs.may_write);
    assert_string_equal(hs.user, "ops");
    assert_string_equal(hs.role, "admin");
}

static void test_silent_server_times_out_at_the_deadline(void **state)
{
    (void)state;
    struct peer p = {.welcome = W_SILENT};
    struct regclient_hello hs;
    struct lana_diag d;
    uint64_t t0 = mono_ms();
    assert_int_equal(shake(&p, NULL, 200, &hs, &d, NULL), -ETIMEDOUT);
    uint64_t took = mono_ms() - t0; /* includes the peer's 600 ms before the join */
    assert_true(took >= 200 && took < 3000);
    assert_false(hs.welcomed);
    assert_non_null(strstr(d.msg, "in time"));
}

static void test_bad_welcome_is_a_protocol_error(void **state)
{
    (void)state;
    static const enum welcome bad[] = {W_VERSION, W_GARBAGE, W_LONG};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct peer p = {.welcome = bad[i]};
        struct regclient_hello hs;
        struct lana_diag d;
        assert_int_equal(shake(&p, NULL, 2000, &hs, &d, NULL), -EPROTO);
        assert_false(hs.welcomed);
        assert_string_equal(p.ack, ""); /* nothing sent after a bad WELCOME */
    }
}

static void test_wrong_ack_stops_before_ack(void **state)
{
    (void)state;
    struct peer p = {.welcome = W_WRONG_ACK};
    struct regclient_hello hs;
    struct lana_diag d;
    assert_int_equal(shake(&p, NULL, 2000, &hs, &d, NULL), -EPROTO);
    assert_true(hs.welcomed && !hs.ready);
    assert_int_equal(hs.ack, (uint32_t)(hs.x + 2));
    assert_non_null(strstr(d.msg, "acknowledged"));
    assert_string_equal(p.ack, "");
}

static void test_refusals(void **state)
{
    (void)state;
    struct peer p = {.welcome = W_ERROR};
    struct regclient_hello hs;
    struct lana_diag d;
    assert_int_equal(shake(&p, NULL, 2000, &hs, &d, NULL), -EPROTO);
    assert_string_equal(d.msg, "the server refused the handshake: too many");

    uint8_t token[AUTH_TOKEN_LEN] = {1};
    struct peer q = {
        .welcome = W_GOOD,
        .token = token,
        .ready = "ERROR {\"ok\":false,\"error\":{\"code\":\"permission\",\"message\":\"no\"}}\n"};
    assert_int_equal(shake(&q, token, 2000, &hs, &d, NULL), LANA_EPERM);
    assert_string_equal(d.msg, "the server refused the token (wrong token or user)");
    assert_false(hs.ready);
}

static void test_unreadable_ready_is_a_protocol_error(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "READY {\"user\":\"\",\"role\":\"anonymous\",\"write\":fals\n", /* not JSON */
        "READY [1,2]\n",                                                /* not an object */
        "READY {\"user\":\"\",\"role\":\"anonymous\"}\n",               /* no "write" */
        "READY {\"user\":\"\",\"role\":\"a-role-name-far-too-long\",\"write\":true}\n",
        "READY\n",
        "ERROR {\"ok\":false,\"error\":{\"code\":\"handshake\",\"message\":\"wrong ack\"}}\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct peer p = {.welcome = W_GOOD, .ready = bad[i]};
        struct regclient_hello hs;
        struct lana_diag d;
        assert_int_equal(shake(&p, NULL, 2000, &hs, &d, NULL), -EPROTO);
        assert_false(hs.ready);
        assert_non_null(strstr(d.msg, "handshake failed"));
    }
}

static void test_closed_connection_is_an_io_error(void **state)
{
    (void)state;
    struct peer p = {.welcome = W_CLOSE};
    struct regclient_hello hs;
    struct lana_diag d;
    assert_int_equal(shake(&p, NULL, 2000, &hs, &d, NULL), LANA_EIO);
    assert_non_null(strstr(d.msg, "closed"));
}

static void test_reply_in_pieces_is_put_together(void **state)
{
    (void)state;
    struct peer p = {.welcome = W_PIECES};
    struct regclient_hello hs;
    struct lana_diag d;
    assert_int_equal(shake(&p, NULL, 3000, &hs, &d, NULL), 0);
    assert_true(hs.ready);
    assert_int_equal(hs.y, PEER_Y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_anonymous_handshake_reaches_ready_and_reads_nothing_more),
        cmocka_unit_test(test_token_handshake_sends_a_proof_the_server_accepts),
        cmocka_unit_test(test_silent_server_times_out_at_the_deadline),
        cmocka_unit_test(test_bad_welcome_is_a_protocol_error),
        cmocka_unit_test(test_wrong_ack_stops_before_ack),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_unreadable_ready_is_a_protocol_error),
        cmocka_unit_test(test_closed_connection_is_an_io_error),
        cmocka_unit_test(test_reply_in_pieces_is_put_together),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
