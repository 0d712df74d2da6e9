/*
 * Unit tests of client/calc: the fields "lana calc" prints, for a table of inputs whose
 * expected values are ipcalc 0.42's (IPv4: Network, Netmask, Wildcard, Broadcast, HostMin,
 * HostMax, Hosts/Net, Class) and sipcalc 1.1.6's (IPv6: network range), written down here so
 * that neither tool is needed to run the test. Where lana deliberately differs (IPv6 hosts,
 * which neither tool counts) the RFC is named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "client/calc.h"
#include "common/num.h"

static struct calc C(const char *s)
{
    struct calc c;
    struct lana_diag d;
    if (calc_compute(s, &c, &d) != 0)
        fail_msg("%s: %s", s, d.msg);
    return c;
}

static const char *A(const struct cidr *c)
{
    static char buf[4][CIDR_STRLEN];
    static unsigned k;
    char *b = buf[k++ % 4];
    assert_int_equal(cidr_format_addr(c, b, CIDR_STRLEN), 0);
    return b;
}

static void test_calc_ipv4_fields_match_ipcalc(void **state)
{
    (void)state;
    static const struct {
        const char *in, *network, *mask, *wild, *bcast, *hmin, *hmax, *hosts;
        char klass;
    } cases[] = {
        {"192.168.1.77/24", "192.168.1.0/24", "255.255.255.0", "0.0.0.255", "192.168.1.255",
         "192.168.1.1", "192.168.1.254", "254", 'C'},
        {"10.1.2.3/20", "10.1.0.0/20", "255.255.240.0", "0.0.15.255", "10.1.15.255",
         "10.1.0.1", "10.1.15.254", "4094", 'A'},
        {"198.18.0.0/15", "198.18.0.0/15", "255.254.0.0", "0.1.255.255", "198.19.255.255",
         "198.18.0.1", "198.19.255.254", "131070", 'C'},
        {"198.18.0.5/30", "198.18.0.4/30", "255.255.255.252", "0.0.0.3", "198.18.0.7",
         "198.18.0.5", "198.18.0.6", "2", 'C'},
        /* RFC 3021: no broadcast, both addresses are hosts */
        {"198.18.0.4/31", "198.18.0.4/31", "255.255.255.254", "0.0.0.1", NULL, "198.18.0.4",
         "198.18.0.5", "2", 'C'},
        {"198.18.0.1/32", "198.18.0.1/32", "255.255.255.255", "0.0.0.0", NULL, "198.18.0.1",
         "198.18.0.1", "1", 'C'},
        {"198.18.0.1", "198.18.0.1/32", "255.255.255.255", "0.0.0.0", NULL, "198.18.0.1",
         "198.18.0.1", "1", 'C'},
        {"0.0.0.0/0", "0.0.0.0/0", "0.0.0.0", "255.255.255.255", "255.255.255.255", "0.0.0.1",
         "255.255.255.254", "4294967294", 'A'},
        {"100.64.1.2/10", "100.64.0.0/10", "255.192.0.0", "0.63.255.255", "100.127.255.255",
         "100.64.0.1", "100.127.255.254", "4194302", 'A'},
        {"172.20.1.1/16", "172.20.0.0/16", "255.255.0.0", "0.0.255.255", "172.20.255.255",
         "172.20.0.1", "172.20.255.254", "65534", 'B'},
        {"224.0.0.251/24", "224.0.0.0/24", "255.255.255.0", "0.0.0.255", "224.0.0.255",
         "224.0.0.1", "224.0.0.254", "254", 'D'},
        {"240.1.2.3/8", "240.0.0.0/8", "255.0.0.0", "0.255.255.255", "240.255.255.255",
         "240.0.0.1", "240.255.255.254", "16777214", 'E'},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct calc c = C(cases[i].in);
        char net[CIDR_STRLEN], hosts[48];
        assert_int_equal(cidr_format(&c.net, net, sizeof net), 0);
        assert_string_equal(net, cases[i].network);
        assert_string_equal(A(&c.netmask), cases[i].mask);
        assert_string_equal(A(&c.wildcard), cases[i].wild);
        assert_int_equal(c.has_broadcast, cases[i].bcast != NULL);
        if (cases[i].bcast)
            assert_string_equal(A(&c.broadcast), cases[i].bcast);
        assert_string_equal(A(&c.host_min), cases[i].hmin);
        assert_string_equal(A(&c.host_max), cases[i].hmax);
        assert_int_equal(calc_hosts_format(&c, hosts, sizeof hosts), 0);
        assert_string_equal(hosts, cases[i].hosts);
        assert_int_equal(c.klass, cases[i].klass);
    }
}

static void test_calc_ipv6_range_matches_sipcalc_and_skips_subnet_router_anycast(void **state)
{
    (void)state;
    static const struct {
        const char *in, *network, *first, *last, *hmin, *hmax, *hosts;
    } cases[] = {
        {"2001:db8::1/64", "2001:db8::/64", "2001:db8::", "2001:db8::ffff:ffff:ffff:ffff",
         "2001:db8::1", "2001:db8::ffff:ffff:ffff:ffff", "18446744073709551615"},
        {"2001:db8:1:2::77/48", "2001:db8:1::/48", "2001:db8:1::",
         "2001:db8:1:ffff:ffff:ffff:ffff:ffff", "2001:db8:1::1",
         "2001:db8:1:ffff:ffff:ffff:ffff:ffff", "1208925819614629174706175"},
        /* ::/0: 2^128 addresses, 2^128 - 1 hosts, computed exactly */
        {"::/0", "::/0", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::1",
         "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "340282366920938463463374607431768211455"},
        /* RFC 6164: a /127 point-to-point link uses both addresses */
        {"2001:db8::/127", "2001:db8::/127", "2001:db8::", "2001:db8::1", "2001:db8::",
         "2001:db8::1", "2"},
        {"::1/128", "::1/128", "::1", "::1", "::1", "::1", "1"},
        {"2001:db8::5/126", "2001:db8::4/126", "2001:db8::4", "2001:db8::7", "2001:db8::5",
         "2001:db8::7", "3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct calc c = C(cases[i].in);
        char net[CIDR_STRLEN], hosts[48];
        assert_int_equal(cidr_format(&c.net, net, sizeof net), 0);
        assert_string_equal(net, cases[i].network);
        assert_string_equal(A(&c.first), cases[i].first);
        assert_string_equal(A(&c.last), cases[i].last);
        assert_string_equal(A(&c.host_min), cases[i].hmin);
        assert_string_equal(A(&c.host_max), cases[i].hmax);
        assert_int_equal(calc_hosts_format(&c, hosts, sizeof hosts), 0);
        assert_string_equal(hosts, cases[i].hosts);
        assert_false(c.has_broadcast);
        assert_int_equal(c.klass, 0);
    }
}

static void test_calc_addresses_are_exact_powers_of_two(void **state)
{
    (void)state;
    static const struct {
        const char *in, *size;
        unsigned log2;
    } cases[] = {
        {"0.0.0.0/0", "4294967296", 32},
        {"198.18.0.0/31", "2", 1},
        {"198.18.0.0/32", "1", 0},
        {"::/0", "340282366920938463463374607431768211456", 128},
        {"2001:db8::/127", "2", 1},
        {"2001:db8::/128", "1", 0},
        {"2001:db8::/32", "79228162514264337593543950336", 96},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct calc c = C(cases[i].in);
        char size[48];
        assert_int_equal(cidr_size_format(&c.net, size, sizeof size), 0);
        assert_string_equal(size, cases[i].size);
        assert_int_equal(c.addr_log2, cases[i].log2);
    }
}

static void test_calc_names_the_special_purpose_block(void **state)
{
    (void)state;
    static const struct {
        const char *in, *prefix, *outer; /* most specific block, the next one out (or NULL) */
    } cases[] = {
        {"10.1.2.3/20", "10.0.0.0/8", NULL},
        {"172.31.0.1", "172.16.0.0/12", NULL},
        {"192.168.1.77/24", "192.168.0.0/16", NULL},
        {"100.64.1.2/10", "100.64.0.0/10", NULL},
        {"127.0.0.1", "127.0.0.0/8", NULL},
        {"169.254.1.1/16", "169.254.0.0/16", NULL},
        {"192.0.2.7", "192.0.2.0/24", NULL},
        {"198.51.100.0/24", "198.51.100.0/24", NULL},
        {"203.0.113.9", "203.0.113.0/24", NULL},
        {"198.19.1.0/24", "198.18.0.0/15", NULL},
        {"0.1.2.3", "0.0.0.0/8", NULL},
        {"255.255.255.255", "255.255.255.255/32", "240.0.0.0/4"},
        {"224.0.0.251", "224.0.0.0/24", "224.0.0.0/4"},
        {"192.0.0.9", "192.0.0.9/32", "192.0.0.0/24"},
        {"::1", "::1/128", NULL},
        {"::", "::/128", NULL},
        {"fe80::1/64", "fe80::/10", NULL},
        {"2001:db8::/32", "2001:db8::/32", NULL},
        {"2001:2::1", "2001:2::/48", "2001::/23"},
        {"2001::1", "2001::/32", "2001::/23"},
        {"fd12:3456:789a::/48", "fc00::/7", NULL},
        {"ff02::1", "ff00::/8", NULL},
        {"::ffff:198.18.0.1", "::ffff:0:0/96", NULL},
        {"64:ff9b::c612:1", "64:ff9b::/96", NULL},
        {"2002:c612:1::/48", "2002::/16", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct calc c = C(cases[i].in);
        assert_true(c.nspecial >= 1);
        assert_string_equal(c.special[0]->prefix, cases[i].prefix);
        if (cases[i].outer) {
            assert_true(c.nspecial >= 2);
            assert_string_equal(c.special[1]->prefix, cases[i].outer);
        } else {
            assert_int_equal(c.nspecial, 1);
        }
    }
    /* outside every block, and a prefix wider than the block around its start */
    assert_int_equal(C("8.8.8.8").nspecial, 0);
    assert_int_equal(C("2600::/16").nspecial, 0);
    assert_int_equal(C("0.0.0.0/0").nspecial, 0);
}

static void test_calc_binary_marks_the_prefix_boundary(void **state)
{
    (void)state;
    char b[CALC_BINLEN];
    struct calc c = C("198.18.0.0/15");
    assert_int_equal(calc_binary(&c.net, c.net.plen, b, sizeof b), 0);
    assert_string_equal(b, "11000110.0001001|0.00000000.00000000");
    c = C("198.18.0.77/24");
    assert_int_equal(calc_binary(&c.host, c.net.plen, b, sizeof b), 0);
    assert_string_equal(b, "11000110.00010010.00000000.|01001101");
    c = C("198.18.0.1");
    assert_int_equal(calc_binary(&c.net, c.net.plen, b, sizeof b), 0);
    assert_string_equal(b, "11000110.00010010.00000000.00000001");
    c = C("2001:db8::/32");
    assert_int_equal(calc_binary(&c.net, c.net.plen, b, sizeof b), 0);
    assert_string_equal(b, "0010000000000001:0000110110111000:|0000000000000000:0000000000000000:"
                           "0000000000000000:0000000000000000:0000000000000000:0000000000000000");
    assert_int_equal(strlen(b), CALC_BINLEN - 4); /* 128 + 7 + 1: no '|' after all bits */
    assert_int_equal(calc_binary(&c.net, c.net.plen, b, CALC_BINLEN - 1), LANA_ENOSPACE);
}

static void test_calc_ipv4_in_ipv6_forms(void **state)
{
    (void)state;
    char b[CIDR_STRLEN];
    struct calc c = C("198.18.0.1");
    assert_true(c.has_v4_in_v6);
    assert_int_equal(calc_format_v4_in_v6(&c.mapped, b, sizeof b), 0);
    assert_string_equal(b, "::ffff:198.18.0.1");
    assert_int_equal(calc_format_v4_in_v6(&c.nat64, b, sizeof b), 0);
    assert_string_equal(b, "64:ff9b::198.18.0.1");
    c = C("198.18.0.0/15");
    assert_int_equal(calc_format_v4_in_v6(&c.mapped, b, sizeof b), 0);
    assert_string_equal(b, "::ffff:198.18.0.0/111");
    assert_int_equal(calc_format_v4_in_v6(&c.nat64, b, sizeof b), 0);
    assert_string_equal(b, "64:ff9b::198.18.0.0/111");
    /* an ADDRESS/LEN gives the address's forms */
    c = C("198.18.3.4/16");
    assert_int_equal(calc_format_v4_in_v6(&c.mapped, b, sizeof b), 0);
    assert_string_equal(b, "::ffff:198.18.3.4");
    /* and back: the IPv4 address inside an IPv6 one */
    c = C("64:ff9b::c612:1");
    assert_true(c.has_embedded);
    assert_false(c.has_v4_in_v6);
    assert_int_equal(cidr_format(&c.embedded, b, sizeof b), 0);
    assert_string_equal(b, "198.18.0.1/32");
    c = C("::ffff:198.18.0.0/112");
    assert_int_equal(cidr_format(&c.embedded, b, sizeof b), 0);
    assert_string_equal(b, "198.18.0.0/16");
    assert_false(C("2001:db8::1").has_embedded);
}

static void test_calc_split_lists_subnets_and_caps_the_count(void **state)
{
    (void)state;
    struct calc c = C("198.18.0.0/24");
    struct lana_diag d;
    uint64_t n = 0;
    struct cidr s;
    char b[CIDR_STRLEN];
    assert_int_equal(calc_split_check(&c, 26, &n, &d), 0);
    assert_int_equal(n, 4);
    calc_split_nth(&c, 26, 3, &s);
    assert_int_equal(cidr_format(&s, b, sizeof b), 0);
    assert_string_equal(b, "198.18.0.192/26");
    assert_int_equal(calc_split_check(&c, 24, &n, &d), 0);
    assert_int_equal(n, 1);
    assert_int_equal(calc_split_check(&c, 23, &n, &d), LANA_ERANGE);
    assert_int_equal(calc_split_check(&c, 33, &n, &d), LANA_ERANGE);
    c = C("198.18.0.0/15");
    assert_int_equal(calc_split_check(&c, 31, &n, &d), 0);
    assert_int_equal(n, 65536);
    assert_int_equal(calc_split_check(&c, 32, &n, &d), LANA_ENOSPACE);
    assert_non_null(strstr(d.msg, "/31 or shorter"));
    c = C("::/0");
    assert_int_equal(calc_split_check(&c, 0, &n, &d), 0);
    calc_split_nth(&c, 0, 0, &s);
    assert_int_equal(cidr_format(&s, b, sizeof b), 0);
    assert_string_equal(b, "::/0");
    assert_int_equal(calc_split_check(&c, 1, &n, &d), 0);
    calc_split_nth(&c, 1, 1, &s);
    assert_int_equal(cidr_format(&s, b, sizeof b), 0);
    assert_string_equal(b, "8000::/1");
    c = C("2001:db8::/32");
    assert_int_equal(calc_split_check(&c, 48, &n, &d), 0);
    calc_split_nth(&c, 48, 65535, &s);
    assert_int_equal(cidr_format(&s, b, sizeof b), 0);
    assert_string_equal(b, "2001:db8:ffff::/48");
    assert_int_equal(calc_split_check(&c, 64, &n, &d), LANA_ENOSPACE);
}

static void test_calc_zone_index_gets_its_own_error(void **state)
{
    (void)state;
    static const char *const in[] = {"fe80::1%eth0", "fe80::1%eth0/64", "fe80::%2/10"};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        struct calc c;
        struct lana_diag d;
        assert_int_equal(calc_compute(in[i], &c, &d), LANA_EPARSE);
        assert_non_null(strstr(d.msg, "zone index"));
    }
    struct calc c;
    struct lana_diag d;
    assert_int_equal(calc_compute("fe80::1%eth0", &c, &d), LANA_EPARSE);
    assert_non_null(strstr(d.msg, "(%eth0)"));
    assert_non_null(strstr(d.msg, "give the address alone, fe80::1"));
    /* the other errors stay what they were */
    assert_int_equal(calc_compute("198.18.0.1/33", &c, &d), LANA_EPARSE);
    assert_non_null(strstr(d.msg, "prefix length must be 0-32"));
    assert_int_equal(calc_compute("198.18.0.256", &c, &d), LANA_EPARSE);
    assert_non_null(strstr(d.msg, "not a valid IPv4 address"));
    assert_int_equal(calc_compute("2001:db8::g/64", &c, &d), LANA_EPARSE);
    assert_non_null(strstr(d.msg, "not a valid IPv6 address"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calc_ipv4_fields_match_ipcalc),
        cmocka_unit_test(test_calc_ipv6_range_matches_sipcalc_and_skips_subnet_router_anycast),
        cmocka_unit_test(test_calc_addresses_are_exact_powers_of_two),
        cmocka_unit_test(test_calc_names_the_special_purpose_block),
        cmocka_unit_test(test_calc_binary_marks_the_prefix_boundary),
        cmocka_unit_test(test_calc_ipv4_in_ipv6_forms),
        cmocka_unit_test(test_calc_split_lists_subnets_and_caps_the_count),
        cmocka_unit_test(test_calc_zone_index_gets_its_own_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
