/*
 * Unit tests of client/labaddr: the lab rule of `lana connect` as a table of addresses against
 * this machine's addresses and the registry's pools (written here: no network), and the
 * reading of a `pool list` reply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "client/labaddr.h"

static struct sockaddr_storage sa(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
    } else {
        assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
        s6->sin6_family = AF_INET6;
    }
    return ss;
}

static void set_of(struct labaddr_set *s, const char *const *prefixes)
{
    memset(s, 0, sizeof *s);
    for (; *prefixes; prefixes++)
        assert_int_equal(cidr_parse(*prefixes, &s->prefix[s->n++], NULL), 0);
}

static void test_labaddr_rule_table(void **state)
{
    (void)state;
    static const char *const local_list[] = {"192.168.1.10", "fd00::2", NULL};
    /* what the new default pools look like: 198.18.0.0/15 and a ULA /48 */
    static const char *const pool_list[] = {"198.18.0.0/15", "fd12:3456:789a::/48", "10.7.0.0/16",
                                            NULL};
    struct labaddr_set local, pools;
    set_of(&local, local_list);
    set_of(&pools, pool_list);
    static const struct {
        const char *addr;
        enum labaddr_kind with_pools, without_pools; /* pools known, registry unreachable */
    } rows[] = {
        {"127.0.0.1", LABADDR_LOOPBACK, LABADDR_LOOPBACK},
        {"127.255.0.9", LABADDR_LOOPBACK, LABADDR_LOOPBACK},
        {"::1", LABADDR_LOOPBACK, LABADDR_LOOPBACK},
        {"::ffff:127.0.0.1", LABADDR_LOOPBACK, LABADDR_LOOPBACK},
        {"0.0.0.0", LABADDR_LOCAL, LABADDR_LOCAL},
        {"::", LABADDR_LOCAL, LABADDR_LOCAL},
        {"192.168.1.10", LABADDR_LOCAL, LABADDR_LOCAL},
        {"fd00::2", LABADDR_LOCAL, LABADDR_LOCAL},
        {"198.18.0.2", LABADDR_RANGE, LABADDR_RANGE},
        {"198.19.255.255", LABADDR_RANGE, LABADDR_RANGE},
        {"::ffff:198.18.3.4", LABADDR_RANGE, LABADDR_RANGE},
        {"2001:db8::2", LABADDR_RANGE, LABADDR_RANGE},
        {"2001:db8:ffff::1", LABADDR_RANGE, LABADDR_RANGE},
        {"10.7.1.1", LABADDR_POOL, LABADDR_OUTSIDE},
        {"fd12:3456:789a:1::5", LABADDR_POOL, LABADDR_OUTSIDE},
        /* the defect: a routed 10.x address, the machine's own ULA network, the Internet */
        {"10.0.7.1", LABADDR_OUTSIDE, LABADDR_OUTSIDE},
        {"fd00::1", LABADDR_OUTSIDE, LABADDR_OUTSIDE},
        {"fd12:3456:789b::1", LABADDR_OUTSIDE, LABADDR_OUTSIDE},
        {"192.168.1.11", LABADDR_OUTSIDE, LABADDR_OUTSIDE},
        {"198.20.0.1", LABADDR_OUTSIDE, LABADDR_OUTSIDE},
        {"198.17.255.255", LABADDR_OUTSIDE, LABADDR_OUTSIDE},
        {"2001:db9::1", LABADDR_OUTSIDE, LABADDR_OUTSIDE},
        {"8.8.8.8", LABADDR_OUTSIDE, LABADDR_OUTSIDE},
        {"2606:4700::1111", LABADDR_OUTSIDE, LABADDR_OUTSIDE},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct sockaddr_storage a = sa(rows[i].addr);
        print_message("%s\n", rows[i].addr);
        int which = 99;
        assert_int_equal(labaddr_classify(&a, &local, &pools, &which), rows[i].with_pools);
        if (rows[i].with_pools == LABADDR_POOL)
            assert_true(which >= 0 && which < pools.n);
        else if (rows[i].with_pools != LABADDR_LOCAL)
            assert_int_equal(which, -1);
        assert_int_equal(labaddr_classify(&a, &local, NULL, NULL), rows[i].without_pools);
    }
    /* the matching prefix: fd00::2 is the second of this machine's */
    struct sockaddr_storage a = sa("fd00::2");
    int which = -1;
    assert_int_equal(labaddr_classify(&a, &local, &pools, &which), LABADDR_LOCAL);
    assert_int_equal(which, 1);
    /* without this machine's addresses only loopback counts as this host */
    a = sa("192.168.1.10");
    assert_int_equal(labaddr_classify(&a, NULL, NULL, NULL), LABADDR_OUTSIDE);
    struct sockaddr_storage unix_like;
    memset(&unix_like, 0, sizeof unix_like);
    unix_like.ss_family = AF_UNIX;
    assert_int_equal(labaddr_classify(&unix_like, &local, &pools, NULL), LABADDR_OUTSIDE);
}

static void test_labaddr_reads_a_pool_list_reply(void **state)
{
    (void)state;
    struct labaddr_set s;
    struct lana_diag d;
    const char *reply = "{\"ok\":true,\"pools\":[{\"prefix\":\"198.18.0.0/15\",\"family\":4},"
                        "{\"prefix\":\"fd12:3456:789a::/48\",\"family\":6}]}";
    assert_int_equal(labaddr_parse_pools(reply, &s, &d), 0);
    assert_int_equal(s.n, 2);
    char text[128];
    labaddr_set_text(&s, text, sizeof text);
    assert_string_equal(text, "198.18.0.0/15, fd12:3456:789a::/48");
    assert_int_equal(labaddr_parse_pools("{\"ok\":true,\"pools\":[]}", &s, &d), 0);
    assert_int_equal(s.n, 0);
    static const char *const bad[] = {
        "not json",
        "{\"ok\":false,\"error\":{\"code\":\"permission\"}}",
        "{\"ok\":true}",
        "{\"ok\":true,\"pools\":[{\"family\":4}]}",
        "{\"ok\":true,\"pools\":[{\"prefix\":\"10.0.0.1/8\"}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(labaddr_parse_pools(bad[i], &s, &d), LANA_EPARSE);
        assert_int_equal(s.n, 0);
    }
    /* more pools than the set holds: the first LABADDR_MAX, and it says so */
    char big[LABADDR_MAX * 40 + 64];
    size_t l = (size_t)snprintf(big, sizeof big, "{\"ok\":true,\"pools\":[");
    for (int i = 0; i < LABADDR_MAX + 3; i++)
        l += (size_t)snprintf(big + l, sizeof big - l, "%s{\"prefix\":\"10.%d.0.0/16\"}",
                              i ? "," : "", i);
    snprintf(big + l, sizeof big - l, "]}");
    assert_int_equal(labaddr_parse_pools(big, &s, &d), 0);
    assert_int_equal(s.n, LABADDR_MAX);
    assert_true(s.truncated);
}

static void test_labaddr_local_has_loopback(void **state)
{
    (void)state;
    struct labaddr_set s;
    struct lana_diag d;
    assert_int_equal(labaddr_local(&s, &d), 0);
    int found = 0;
    for (int i = 0; i < s.n; i++) {
        struct cidr h;
        assert_int_equal(cidr_parse("127.0.0.1", &h, NULL), 0);
        found |= cidr_contains(&s.prefix[i], &h);
    }
    assert_true(found);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labaddr_rule_table),
        cmocka_unit_test(test_labaddr_reads_a_pool_list_reply),
        cmocka_unit_test(test_labaddr_local_has_loopback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
