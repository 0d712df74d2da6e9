/*
 * Unit tests of server/regguard: admission under the caps and the choice of the connection
 * to evict, the handshake deadline, the address table (keys, bounded size, displacement,
 * counts) and the two limiters with their expiry. Time is passed in, so nothing sleeps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/regguard.h"

static struct regguard_limits lim(void)
{
    return (struct regguard_limits){.max_conns = 8,
                                    .max_handshakes = 4,
                                    .max_per_addr = 3,
                                    .handshake_ms = 1000,
                                    .auth_failures = 3,
                                    .auth_period_ms = 60000,
                                    .anon_rate = 2,
                                    .anon_reply_max = 100};
}

static struct sockaddr_storage v4(const char *a)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    in->sin_family = AF_INET;
    assert_int_equal(inet_pton(AF_INET, a, &in->sin_addr), 1);
    return ss;
}

static struct sockaddr_storage v6(const char *a)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    in6->sin6_family = AF_INET6;
    assert_int_equal(inet_pton(AF_INET6, a, &in6->sin6_addr), 1);
    return ss;
}

static enum regguard_verdict admit(struct regguard *g, struct regguard_conn *gc, const char *a,
                                   uint64_t now, struct regguard_conn **victim)
{
    struct sockaddr_storage ss = strchr(a, ':') ? v6(a) : v4(a);
    return regguard_admit(g, gc, (struct sockaddr *)&ss, now, victim);
}

/* The handshake share: past it, the oldest in the handshake is the victim. */
static void test_handshake_share(void **state)
{
    (void)state;
    struct regguard_limits l = lim();
    struct regguard *g;
    assert_int_equal(regguard_new(&l, &g), 0);
    struct regguard_conn c[6], *v;
    char a[32];
    for (int i = 0; i < 4; i++) {
        snprintf(a, sizeof a, "10.0.0.%d", i + 1);
        assert_int_equal(admit(g, &c[i], a, 100 + i, &v), REGGUARD_ADMIT);
        assert_null(v);
    }
    unsigned hs;
    assert_int_equal(regguard_count(g, &hs), 4);
    assert_int_equal(hs, 4);
    regguard_ready(g, &c[1]); /* c[1] is past its handshake: never a victim */
    assert_int_equal(admit(g, &c[4], "10.0.0.9", 200, &v), REGGUARD_ADMIT);
    assert_null(v); /* 4 in the handshake again, not over */
    assert_int_equal(admit(g, &c[5], "10.0.0.10", 201, &v), REGGUARD_ADMIT);
    assert_ptr_equal(v, &c[0]); /* the oldest in the handshake */
    regguard_leave(g, v);
    regguard_leave(g, v); /* twice is harmless */
    assert_int_equal(regguard_count(g, &hs), 5);
    assert_int_equal(hs, 4);
    regguard_free(g);
}

/* Among connections that all sent a line: the oldest handshake of an address holding
 * several goes first, so a flood evicts its own. */
static void test_victim_flood(void **state)
{
    (void)state;
    struct regguard_limits l = lim();
    l.max_conns = 100;
    l.max_per_addr = 100;
    struct regguard *g;
    assert_int_equal(regguard_new(&l, &g), 0);
    struct regguard_conn c[8], *v;
    assert_int_equal(admit(g, &c[0], "10.0.0.1", 1, &v), REGGUARD_ADMIT);
    regguard_progress(g, &c[0]); /* a real client */
    assert_int_equal(admit(g, &c[1], "10.6.6.6", 2, &v), REGGUARD_ADMIT);
    regguard_progress(g, &c[1]);
    assert_int_equal(admit(g, &c[2], "10.6.6.6", 3, &v), REGGUARD_ADMIT);
    regguard_progress(g, &c[2]);
    assert_int_equal(admit(g, &c[3], "10.7.7.7", 4, &v), REGGUARD_ADMIT);
    regguard_progress(g, &c[3]);
    assert_int_equal(admit(g, &c[4], "10.6.6.6", 5, &v), REGGUARD_ADMIT);
    regguard_progress(g, &c[4]);
    assert_ptr_equal(v, &c[1]); /* not c[0], the oldest, alone from its address */
    regguard_leave(g, v);
    assert_int_equal(admit(g, &c[5], "10.6.6.6", 6, &v), REGGUARD_ADMIT);
    regguard_progress(g, &c[5]);
    assert_ptr_equal(v, &c[2]);
    regguard_leave(g, v);
    assert_int_equal(admit(g, &c[6], "10.8.8.8", 7, &v), REGGUARD_ADMIT);
    regguard_progress(g, &c[6]);
    assert_ptr_equal(v, &c[4]);
    regguard_leave(g, v);
    /* now each address holds one: the oldest goes */
    assert_int_equal(admit(g, &c[7], "10.9.9.9", 8, &v), REGGUARD_ADMIT);
    regguard_progress(g, &c[7]);
    assert_ptr_equal(v, &c[0]);
    regguard_free(g);
}

/* Connections without a complete line go first, however old the others are. */
static void test_victim_silent(void **state)
{
    (void)state;
    struct regguard_limits l = lim(); /* 4 in the handshake */
    l.max_conns = 100;
    struct regguard *g;
    assert_int_equal(regguard_new(&l, &g), 0);
    struct regguard_conn c[8], *v;
    assert_int_equal(admit(g, &c[0], "10.0.0.1", 1, &v), REGGUARD_ADMIT); /* a real client */
    regguard_progress(g, &c[0]);                                          /* sent HELLO */
    assert_int_equal(admit(g, &c[1], "10.6.0.1", 2, &v), REGGUARD_ADMIT);
    assert_int_equal(admit(g, &c[2], "10.6.0.2", 3, &v), REGGUARD_ADMIT);
    assert_int_equal(admit(g, &c[3], "10.6.0.3", 4, &v), REGGUARD_ADMIT);
    for (int i = 4; i < 7; i++) {
        char a[32];
        snprintf(a, sizeof a, "10.6.0.%d", i);
        assert_int_equal(admit(g, &c[i], a, 5, &v), REGGUARD_ADMIT);
        assert_ptr_equal(v, &c[i - 3]); /* the oldest silent one, never c[0] */
        regguard_leave(g, v);
    }
    for (int i = 4; i < 7; i++)
        regguard_progress(g, &c[i]);
    regguard_progress(g, &c[0]); /* twice is harmless */
    assert_int_equal(admit(g, &c[7], "10.6.0.7", 6, &v), REGGUARD_ADMIT);
    assert_ptr_equal(v, &c[0]); /* none silent, none crowded: the oldest */
    regguard_free(g);
}

/* At the cap: a handshake is evicted; when every place is READY, refused. */
static void test_cap(void **state)
{
    (void)state;
    struct regguard_limits l = lim();
    l.max_conns = 3;
    l.max_handshakes = 3;
    struct regguard *g;
    assert_int_equal(regguard_new(&l, &g), 0);
    struct regguard_conn c[5], *v;
    assert_int_equal(admit(g, &c[0], "10.0.0.1", 1, &v), REGGUARD_ADMIT);
    assert_int_equal(admit(g, &c[1], "10.0.0.2", 2, &v), REGGUARD_ADMIT);
    assert_int_equal(admit(g, &c[2], "10.0.0.3", 3, &v), REGGUARD_ADMIT);
    regguard_ready(g, &c[0]);
    regguard_ready(g, &c[2]);
    assert_int_equal(admit(g, &c[3], "10.0.0.4", 4, &v), REGGUARD_ADMIT);
    assert_ptr_equal(v, &c[1]);
    regguard_leave(g, v);
    regguard_ready(g, &c[3]);
    assert_int_equal(admit(g, &c[4], "10.0.0.5", 5, &v), REGGUARD_FULL);
    assert_null(v);
    assert_false(c[4].counted);
    regguard_leave(g, &c[4]); /* never counted: no-op */
    assert_int_equal(regguard_count(g, NULL), 3);
    regguard_leave(g, &c[0]);
    assert_int_equal(admit(g, &c[4], "10.0.0.5", 6, &v), REGGUARD_ADMIT);
    assert_null(v);
    regguard_free(g);
}

/* The cap per address: evicts that address's oldest handshake, else refuses; a /64 is one
 * address and an IPv4-mapped IPv6 address is its IPv4 address. */
static void test_per_address(void **state)
{
    (void)state;
    struct regguard_limits l = lim();
    l.max_conns = 100;
    l.max_handshakes = 100;
    struct regguard *g;
    assert_int_equal(regguard_new(&l, &g), 0);
    struct regguard_conn c[10], *v;
    assert_int_equal(admit(g, &c[0], "10.0.0.2", 1, &v), REGGUARD_ADMIT); /* another address */
    assert_int_equal(admit(g, &c[1], "10.0.0.1", 2, &v), REGGUARD_ADMIT);
    assert_int_equal(admit(g, &c[2], "::ffff:10.0.0.1", 3, &v), REGGUARD_ADMIT);
    assert_int_equal(admit(g, &c[3], "10.0.0.1", 4, &v), REGGUARD_ADMIT);
    assert_null(v);
    assert_int_equal(admit(g, &c[4], "10.0.0.1", 5, &v), REGGUARD_ADMIT);
    assert_ptr_equal(v, &c[1]); /* not c[0], older but of another address */
    regguard_leave(g, v);
    regguard_ready(g, &c[2]);
    regguard_ready(g, &c[3]);
    regguard_ready(g, &c[4]);
    assert_int_equal(admit(g, &c[5], "10.0.0.1", 6, &v), REGGUARD_ADDR_FULL);
    assert_null(v);
    assert_int_equal(admit(g, &c[5], "10.0.0.3", 6, &v), REGGUARD_ADMIT);
    /* IPv6: the same /64 is one address, another /64 is not */
    assert_int_equal(admit(g, &c[6], "2001:db8::1", 7, &v), REGGUARD_ADMIT);
    assert_int_equal(admit(g, &c[7], "2001:db8::2:3", 8, &v), REGGUARD_ADMIT);
    assert_int_equal(admit(g, &c[8], "2001:db8:0:0:ffff::9", 9, &v), REGGUARD_ADMIT);
    regguard_ready(g, &c[6]);
    regguard_ready(g, &c[7]);
    regguard_ready(g, &c[8]);
    assert_int_equal(admit(g, &c[9], "2001:db8::77", 10, &v), REGGUARD_ADDR_FULL);
    assert_int_equal(admit(g, &c[9], "2001:db8:0:1::77", 10, &v), REGGUARD_ADMIT);
    regguard_free(g);
}

/* The deadline counts from the accept; a connection past its handshake has none. */
static void test_deadline(void **state)
{
    (void)state;
    struct regguard_limits l = lim();
    struct regguard *g;
    assert_int_equal(regguard_new(&l, &g), 0);
    struct regguard_conn c[3], *v;
    admit(g, &c[0], "10.0.0.1", 100, &v);
    admit(g, &c[1], "10.0.0.2", 500, &v);
    admit(g, &c[2], "10.0.0.3", 600, &v);
    regguard_ready(g, &c[0]);
    assert_null(regguard_expired(g, 1499));
    assert_ptr_equal(regguard_expired(g, 1500), &c[1]);
    regguard_leave(g, &c[1]);
    assert_null(regguard_expired(g, 1599));
    assert_ptr_equal(regguard_expired(g, 1600), &c[2]);
    regguard_leave(g, &c[2]);
    assert_null(regguard_expired(g, 1000000));
    regguard_free(g);
}

/* Failed authentications: N per window, then a wait; the window expires; per address. */
static void test_auth_limit(void **state)
{
    (void)state;
    struct regguard_limits l = lim();
    struct regguard *g;
    assert_int_equal(regguard_new(&l, &g), 0);
    struct regguard_conn a, b, *v;
    admit(g, &a, "10.0.0.1", 0, &v);
    admit(g, &b, "10.0.0.2", 0, &v);
    assert_int_equal(regguard_auth_wait(g, &a, 1000), 0);
    assert_false(regguard_auth_failed(g, &a, 1000));
    assert_false(regguard_auth_failed(g, &a, 2000));
    assert_int_equal(regguard_auth_wait(g, &a, 2000), 0);
    assert_true(regguard_auth_failed(g, &a, 3000)); /* the one to log */
    assert_int_equal(regguard_auth_wait(g, &a, 3000), 58);
    assert_int_equal(regguard_auth_wait(g, &a, 60999), 1);
    assert_int_equal(regguard_auth_wait(g, &b, 3000), 0);  /* another address */
    assert_int_equal(regguard_auth_wait(g, &a, 61000), 0); /* the window is over */
    assert_false(regguard_auth_failed(g, &a, 61000));      /* a new one starts */
    assert_int_equal(regguard_auth_wait(g, &a, 61000), 0);
    /* the state outlives the connection */
    regguard_leave(g, &a);
    assert_false(regguard_auth_failed(g, &b, 62000));
    admit(g, &a, "10.0.0.1", 62000, &v);
    assert_false(regguard_auth_failed(g, &a, 62000));
    assert_true(regguard_auth_failed(g, &a, 62001));
    assert_true(regguard_auth_wait(g, &a, 62001) > 0);
    l.auth_failures = 0; /* off */
    struct regguard *g0;
    assert_int_equal(regguard_new(&l, &g0), 0);
    admit(g0, &a, "10.0.0.1", 0, &v);
    for (int i = 0; i < 100; i++)
        assert_false(regguard_auth_failed(g0, &a, 1));
    assert_int_equal(regguard_auth_wait(g0, &a, 1), 0);
    regguard_free(g0);
    regguard_free(g);
}

/* The token bucket: a burst of rate reads, then one per 1000/rate ms. */
static void test_anon_bucket(void **state)
{
    (void)state;
    struct regguard_limits l = lim(); /* 2 reads per second */
    struct regguard *g;
    assert_int_equal(regguard_new(&l, &g), 0);
    struct regguard_conn a, b, *v;
    admit(g, &a, "10.0.0.1", 1000, &v);
    admit(g, &b, "10.0.0.1", 1000, &v); /* the same address: the same bucket */
    assert_int_equal(regguard_anon_read(g, &a, 1000), 0);
    assert_int_equal(regguard_anon_read(g, &b, 1000), 0);
    assert_int_equal(regguard_anon_read(g, &a, 1000), 500);
    assert_int_equal(regguard_anon_read(g, &a, 1250), 250);
    assert_int_equal(regguard_anon_read(g, &a, 1500), 0);
    assert_int_equal(regguard_anon_read(g, &b, 1500), 500);
    assert_int_equal(regguard_anon_read(g, &a, 100000), 0); /* full again, never above */
    assert_int_equal(regguard_anon_read(g, &a, 100000), 0);
    assert_int_equal(regguard_anon_read(g, &a, 100000), 500);
    assert_int_equal(regguard_anon_reply_max(g), 100);
    regguard_free(g);
}

/* Many addresses: memory stays fixed, and entries with connections are never displaced. */
static void test_table_bounded(void **state)
{
    (void)state;
    struct regguard_limits l = lim();
    l.max_conns = 100000;
    l.max_handshakes = 100000;
    l.max_per_addr = 1;
    struct regguard *g;
    assert_int_equal(regguard_new(&l, &g), 0);
    enum { N = 20000 };
    struct regguard_conn *c = calloc(N, sizeof *c), *v;
    assert_non_null(c);
    char a[32];
    /* 20000 connected addresses in a table of 262144 entries */
    for (int i = 0; i < N; i++) {
        snprintf(a, sizeof a, "10.%d.%d.1", i / 256, i % 256);
        assert_int_equal(admit(g, &c[i], a, (uint64_t)i, &v), REGGUARD_ADMIT);
    }
    /* each is still known: a second connection from it is over its cap of 1 ... */
    for (int i = 0; i < N; i += 97) {
        regguard_ready(g, &c[i]);
        struct regguard_conn x;
        snprintf(a, sizeof a, "10.%d.%d.1", i / 256, i % 256);
        assert_int_equal(admit(g, &x, a, 30000, &v), REGGUARD_ADDR_FULL);
    }
    /* ... even after a million other addresses passed through (each left at once) */
    for (int i = 0; i < 1000000; i++) {
        struct regguard_conn x;
        snprintf(a, sizeof a, "11.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
        assert_int_equal(admit(g, &x, a, 40000 + (uint64_t)i, &v), REGGUARD_ADMIT);
        regguard_auth_failed(g, &x, 40000 + (uint64_t)i);
        regguard_leave(g, &x);
    }
    for (int i = 0; i < N; i += 97) {
        struct regguard_conn x;
        snprintf(a, sizeof a, "10.%d.%d.1", i / 256, i % 256);
        assert_int_equal(admit(g, &x, a, 2000000, &v), REGGUARD_ADDR_FULL);
    }
    assert_int_equal(regguard_count(g, NULL), N);
    for (int i = 0; i < N; i++)
        regguard_leave(g, &c[i]);
    assert_int_equal(regguard_count(g, NULL), 0);
    free(c);
    regguard_free(g);
}

/* Displacement prefers entries with nothing to remember over a running failure window. */
static void test_displacement(void **state)
{
    (void)state;
    struct regguard_limits l = lim();
    struct regguard *g;
    assert_int_equal(regguard_new(&l, &g), 0);
    struct regguard_conn x, *v;
    admit(g, &x, "10.9.9.9", 0, &v);
    for (int i = 0; i < 3; i++)
        regguard_auth_failed(g, &x, 1);
    regguard_leave(g, &x);
    char a[32];
    for (int i = 0; i < 100000; i++) { /* every set is refilled many times over */
        struct regguard_conn y;
        snprintf(a, sizeof a, "11.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
        admit(g, &y, a, 10 + (uint64_t)i / 100, &v);
        regguard_leave(g, &y);
    }
    admit(g, &x, "10.9.9.9", 2000, &v);
    assert_true(regguard_auth_wait(g, &x, 2000) > 0); /* still refused */
    regguard_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_share), cmocka_unit_test(test_victim_flood),
        cmocka_unit_test(test_victim_silent),   cmocka_unit_test(test_cap),
        cmocka_unit_test(test_per_address),     cmocka_unit_test(test_deadline),
        cmocka_unit_test(test_auth_limit),      cmocka_unit_test(test_anon_bucket),
        cmocka_unit_test(test_table_bounded),   cmocka_unit_test(test_displacement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
