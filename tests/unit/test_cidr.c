/* Unit tests of common/cidr: parsing, RFC 5952 text, containment, sizes, reverse names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/cidr.h"

static struct cidr P(const char *s)
{
    struct cidr c;
    struct lana_diag d;
    if (cidr_parse(s, &c, &d) != 0)
        fail_msg("%s: %s", s, d.msg);
    return c;
}

static void test_cidr_parse_and_format_round_trip_canonically(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"10.0.0.0/8", "10.0.0.0/8"},
        {"0.0.0.0/0", "0.0.0.0/0"},
        {"192.0.2.1", "192.0.2.1/32"},
        {"FD00::/8", "fd00::/8"},
        {"2001:DB8:0:0:0:0:0:1", "2001:db8::1/128"},
        {"2001:db8:0:0:1:0:0:0/80", "2001:db8:0:0:1::/80"},
        {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1/128"}, /* one zero group: no "::" */
        {"::/0", "::/0"},
        {"::ffff:192.0.2.1", "::ffff:192.0.2.1/128"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[CIDR_STRLEN];
        struct cidr c = P(cases[i].in);
        assert_int_equal(cidr_format(&c, buf, sizeof buf), 0);
        assert_string_equal(buf, cases[i].out);
    }
}

static void test_cidr_parse_rejects_bad_input_with_a_message(void **state)
{
    (void)state;
    static const struct {
        const char *in, *msg_part;
    } cases[] = {
        {"10.0.0.0/33", "prefix length must be 0-32"},
        {"fd00::/129", "prefix length must be 0-128"},
        {"10.0.0.1/8", "host bits set (did you mean 10.0.0.0/8?)"},
        {"10.0.0/8", "not a valid IPv4 address"},
        {"010.0.0.0/8", "not a valid IPv4 address"},
        {"10.0.0.0/", "prefix length"},
        {"10.0.0.0/-1", "prefix length"},
        {"fd00:::/8", "not a valid IPv6 address"},
        {"", "empty"},
        {"banana", "not a valid IPv4 address"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cidr c;
        struct lana_diag d = {{0}};
        assert_int_equal(cidr_parse(cases[i].in, &c, &d), LANA_EPARSE);
        if (strstr(d.msg, cases[i].msg_part) == NULL)
            fail_msg("%s: message '%s' lacks '%s'", cases[i].in, d.msg, cases[i].msg_part);
    }
}

static void test_cidr_contains_and_overlaps_respect_family_and_length(void **state)
{
    (void)state;
    struct cidr p8 = P("10.0.0.0/8"), p16 = P("10.1.0.0/16"), o16 = P("11.1.0.0/16");
    struct cidr v6 = P("fd00::/8"), v6s = P("fd12:3456::/32"), all6 = P("::/0");
    assert_true(cidr_contains(&p8, &p16));
    assert_false(cidr_contains(&p16, &p8));
    assert_false(cidr_contains(&p8, &o16));
    assert_true(cidr_contains(&p8, &p8));
    assert_true(cidr_contains(&v6, &v6s));
    assert_true(cidr_contains(&all6, &v6));
    assert_false(cidr_contains(&all6, &p8)); /* families never mix */
    assert_true(cidr_overlaps(&p16, &p8));
    assert_false(cidr_overlaps(&p16, &o16));
}

static void test_cidr_first_last_and_netmask(void **state)
{
    (void)state;
    char f[CIDR_STRLEN], l[CIDR_STRLEN], m[CIDR_STRLEN];
    struct cidr c = P("192.0.2.64/26"), a, b, mask;
    cidr_first(&c, &a);
    cidr_last(&c, &b);
    cidr_netmask(&c, &mask);
    cidr_format_addr(&a, f, sizeof f);
    cidr_format_addr(&b, l, sizeof l);
    cidr_format_addr(&mask, m, sizeof m);
    assert_string_equal(f, "192.0.2.64");
    assert_string_equal(l, "192.0.2.127");
    assert_string_equal(m, "255.255.255.192");
    c = P("2001:db8::/32");
    cidr_last(&c, &b);
    cidr_format_addr(&b, l, sizeof l);
    assert_string_equal(l, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
    c = P("::/0");
    cidr_last(&c, &b);
    cidr_format_addr(&b, l, sizeof l);
    assert_string_equal(l, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

static void test_cidr_size_is_exact_up_to_2_pow_128(void **state)
{
    (void)state;
    static const struct {
        const char *in, *size;
    } cases[] = {
        {"::/0", "340282366920938463463374607431768211456"},
        {"fd00::/8", "1329227995784915872903807060280344576"},
        {"2001:db8::/64", "18446744073709551616"},
        {"2001:db8::1/128", "1"},
        {"0.0.0.0/0", "4294967296"},
        {"10.0.0.0/8", "16777216"},
        {"192.0.2.7/32", "1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[48];
        struct cidr c = P(cases[i].in);
        assert_int_equal(cidr_size_format(&c, buf, sizeof buf), 0);
        assert_string_equal(buf, cases[i].size);
    }
    struct cidr all = P("::/0");
    assert_true(cidr_size_minus1(&all) == ~(unsigned __int128)0);
}

static void test_cidr_reverse_names_follow_rfc_1035_2317_and_3596(void **state)
{
    (void)state;
    static const struct {
        const char *in, *rev;
    } cases[] = {
        {"192.0.2.1", "1.2.0.192.in-addr.arpa."},
        {"10.0.0.0/8", "10.in-addr.arpa."},
        {"172.16.0.0/12", "172.in-addr.arpa."},
        {"192.0.2.0/24", "2.0.192.in-addr.arpa."},
        {"192.0.2.0/26", "0-63.2.0.192.in-addr.arpa."},
        {"0.0.0.0/0", "in-addr.arpa."},
        {"2001:db8::/32", "8.b.d.0.1.0.0.2.ip6.arpa."},
        {"fd00::/8", "d.f.ip6.arpa."},
        {"2001:db8::/30", "b.d.0.1.0.0.2.ip6.arpa."},
        {"2001:db8::1",
         "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[CIDR_REVLEN];
        struct cidr c = P(cases[i].in);
        assert_int_equal(cidr_reverse_name(&c, buf, sizeof buf), 0);
        assert_string_equal(buf, cases[i].rev);
    }
}

static void test_cidr_is_aligned(void **state)
{
    (void)state;
    struct cidr c;
    assert_int_equal(cidr_parse_addr("10.0.0.128", &c, NULL), 0);
    c.plen = 25;
    assert_true(cidr_is_aligned(&c));
    c.plen = 24;
    assert_false(cidr_is_aligned(&c));
}

/* RFC 4007 §11: a zone index is no part of an address; the message says so and names it. */
static void test_cidr_zone_index_is_refused_by_name(void **state)
{
    (void)state;
    static const char *const in[] = {"fe80::1%eth0", "fe80::1%eth0/64", "ff02::1%2"};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        struct cidr c;
        struct lana_diag d;
        assert_int_equal(cidr_parse(in[i], &c, &d), LANA_EPARSE);
        assert_non_null(strstr(d.msg, "zone index"));
    }
    struct cidr c;
    struct lana_diag d;
    assert_int_equal(cidr_parse_addr("fe80::1%eth0", &c, &d), LANA_EPARSE);
    assert_non_null(strstr(d.msg, "(%eth0)"));
    assert_non_null(strstr(d.msg, "give the address alone, fe80::1"));
    /* in IPv4 a '%' is only a bad character */
    assert_int_equal(cidr_parse_addr("198.18.0.1%eth0", &c, &d), LANA_EPARSE);
    assert_non_null(strstr(d.msg, "not a valid IPv4 address"));
}

/* The role of an address in its subnet, as host numbering reads it. */
static void test_cidr_role_in_a_subnet(void **state)
{
    (void)state;
    static const struct {
        const char *subnet, *addr;
        enum cidr_role want;
    } cases[] = {
        {"198.18.7.0/24", "198.18.7.0", CIDR_ROLE_NETWORK},
        {"198.18.7.0/24", "198.18.7.255", CIDR_ROLE_BROADCAST},
        {"198.18.7.0/24", "198.18.7.1", CIDR_ROLE_HOST},
        {"198.18.7.0/30", "198.18.7.3", CIDR_ROLE_BROADCAST},
        {"198.18.7.0/31", "198.18.7.0", CIDR_ROLE_HOST}, /* RFC 3021 */
        {"198.18.7.1/32", "198.18.7.1", CIDR_ROLE_HOST},
        {"0.0.0.0/0", "255.255.255.255", CIDR_ROLE_BROADCAST},
        {"198.18.7.0/24", "198.18.8.0", CIDR_ROLE_HOST}, /* not inside */
        {"2001:db8::/64", "2001:db8::", CIDR_ROLE_SUBNET_ROUTER},
        {"2001:db8::/64", "2001:db8::ffff:ffff:ffff:ffff", CIDR_ROLE_HOST},
        {"2001:db8::/126", "2001:db8::", CIDR_ROLE_SUBNET_ROUTER},
        {"2001:db8::/127", "2001:db8::", CIDR_ROLE_HOST}, /* RFC 6164 */
        {"2001:db8::1/128", "2001:db8::1", CIDR_ROLE_HOST},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cidr n = P(cases[i].subnet), a = P(cases[i].addr);
        if (cidr_role_in(&n, &a) != cases[i].want)
            fail_msg("%s in %s: %s", cases[i].addr, cases[i].subnet,
                     cidr_role_name(cidr_role_in(&n, &a)));
    }
    assert_string_equal(cidr_role_name(CIDR_ROLE_SUBNET_ROUTER), "Subnet-Router anycast address");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cidr_parse_and_format_round_trip_canonically),
        cmocka_unit_test(test_cidr_parse_rejects_bad_input_with_a_message),
        cmocka_unit_test(test_cidr_contains_and_overlaps_respect_family_and_length),
        cmocka_unit_test(test_cidr_first_last_and_netmask),
        cmocka_unit_test(test_cidr_size_is_exact_up_to_2_pow_128),
        cmocka_unit_test(test_cidr_reverse_names_follow_rfc_1035_2317_and_3596),
        cmocka_unit_test(test_cidr_is_aligned),
        cmocka_unit_test(test_cidr_zone_index_is_refused_by_name),
        cmocka_unit_test(test_cidr_role_in_a_subnet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
