/* Unit tests of db/host: releasing a block that holds host addresses (refused, naming the
 * hosts; or, with --recursive, the hosts and all their records go in the same unit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/host.h"
#include "db/ipam.h"
#include "db/names.h"
#include "db/service.h"
#include "db/store.h"
#include "db/zone.h"
#include "tests/lib/testdb.h"

#ifndef RELEASE_BLOCK /* what `lana block release` runs */
#define RELEASE_BLOCK(f, p, rec, k, d) host_release_block((f)->nm, (p), (rec), "t", (k), NULL, (d))
#endif

static struct cidr P(const char *s)
{
    struct cidr c;
    assert_int_equal(cidr_parse(s, &c, NULL), 0);
    return c;
}

static int setup(void **state)
{
    struct testdb_names *f;
    struct lana_diag d;
    if (testdb_names_open_empty(&f) != 0)
        return -1;
    struct cidr pool = P("198.18.0.0/15"), blk = P("198.18.200.0/30");
    struct host_addr_spec a = {HOST_ADDR_GIVEN, P("198.18.200.1/32"), false},
                          b = {HOST_ADDR_GIVEN, P("198.18.200.2/32"), false},
                          c = {HOST_ADDR_GIVEN, P("198.18.1.1/32"), false},
                          none = {HOST_ADDR_NONE, {0}, false};
    int bound;
    if (ipam_pool_add(f->ip, &pool, NULL, "t", NULL, &d) != 0 ||
        ipam_take(f->ip, &blk, IPAM_ASSIGNED, "servers", NULL, "t", NULL, &d) != 0 ||
        zone_ensure(f->nm, "198.in-addr.arpa.", "t", &d) != 1 ||
        zone_add(f->nm, "lab.", NULL, 0, "t", NULL, &d) != 0 ||
        host_add(f->nm, "a.lab.", &a, &none, NULL, "t", NULL, &d) != 0 ||
        host_add(f->nm, "b.lab.", &b, &none, NULL, "t", NULL, &d) != 0 ||
        host_add(f->nm, "c.lab.", &c, &none, NULL, "t", NULL, &d) != 0 ||
        service_add(f->nm, "http", "tcp", 80, NULL, "t", NULL, &d) != 0 ||
        service_bind(f->nm, "a.lab.", "http", "tcp", 0, "t", &bound, NULL, &d) != 0) {
        fprintf(stderr, "setup: %s\n", d.msg);
        testdb_names_close(f);
        return -1;
    }
    *state = f;
    return 0;
}

/* Defect: `block release 198.18.200.0/30 --recursive` answered "released" and left the hosts
 * registered and in DNS; the address could then be given out again, with two PTR names. */
static void test_release_of_a_block_with_hosts_refuses_or_takes_them_along(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    struct cidr blk = P("198.18.200.0/30"), one = P("198.18.200.1/32");
    struct host_info h;
    int64_t k = 0;
    char *before = testdb_dump(f->st);
    assert_non_null(before);
    /* without --recursive: refused, naming the hosts, nothing changed */
    assert_int_equal(RELEASE_BLOCK(f, &blk, false, &k, &d), LANA_ECONFLICT);
    assert_non_null(strstr(d.msg, "a.lab."));
    assert_non_null(strstr(d.msg, "b.lab."));
    char *after = testdb_dump(f->st);
    assert_string_equal(before, after);
    free(after);
    free(before);
    /* a host's own address block: refused too */
    assert_int_equal(RELEASE_BLOCK(f, &one, false, &k, &d), LANA_ECONFLICT);
    assert_non_null(strstr(d.msg, "a.lab."));
    /* --recursive: the hosts, their A, PTR and SRV records and the blocks all go */
    assert_int_equal(RELEASE_BLOCK(f, &blk, true, &k, &d), 0);
    assert_int_equal(k, 3);
    assert_int_equal(host_get(f->nm, "a.lab.", &h, &d), LANA_ENOTFOUND);
    assert_int_equal(host_get(f->nm, "b.lab.", &h, &d), LANA_ENOTFOUND);
    assert_int_equal(host_get(f->nm, "c.lab.", &h, &d), 0);
    const char *lab = testdb_export(f->st, "lab.");
    assert_null(strstr(lab, "a.lab.\t"));
    assert_null(strstr(lab, "_http._tcp.a.lab."));
    assert_null(strstr(lab, "b.lab.\t"));
    assert_non_null(strstr(lab, "c.lab.\t300\tIN\tA\t198.18.1.1"));
    const char *rev = testdb_export(f->st, "198.in-addr.arpa.");
    assert_null(strstr(rev, "200.18.198.in-addr.arpa."));
    assert_non_null(strstr(rev, "1.1.18.198.in-addr.arpa.\t300\tIN\tPTR\tc.lab."));
    struct ipam_block b;
    assert_int_equal(ipam_get(f->ip, &blk, &b, &d), LANA_ENOTFOUND);
    assert_int_equal(ipam_get(f->ip, &one, &b, &d), LANA_ENOTFOUND);
    /* the address is free again, for one host and one PTR */
    struct host_addr_spec again = {HOST_ADDR_GIVEN, P("198.18.200.1/32"), false},
                          none = {HOST_ADDR_NONE, {0}, false};
    assert_int_equal(host_add(f->nm, "d.lab.", &again, &none, NULL, "t", &h, &d), 0);
    rev = testdb_export(f->st, "198.in-addr.arpa.");
    assert_non_null(strstr(rev, "1.200.18.198.in-addr.arpa.\t300\tIN\tPTR\td.lab."));
    assert_null(strstr(rev, "a.lab."));
}

/* A block without hosts is released as ipam_release does it. */
static void test_release_of_a_block_without_hosts(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    struct cidr lan = P("198.18.3.0/24"), sub = P("198.18.3.0/28");
    int64_t k = 0, hosts = -1;
    assert_int_equal(ipam_take(f->ip, &lan, IPAM_ALLOCATED, "x", NULL, "t", NULL, &d), 0);
    assert_int_equal(ipam_take(f->ip, &sub, IPAM_ASSIGNED, "y", NULL, "t", NULL, &d), 0);
    assert_int_equal(host_release_block(f->nm, &lan, false, "t", &k, &hosts, &d), LANA_ECONFLICT);
    assert_int_equal(host_release_block(f->nm, &lan, true, "t", &k, &hosts, &d), 0);
    assert_int_equal(k, 2);
    assert_int_equal(hosts, 0);
    assert_int_equal(host_release_block(f->nm, &lan, true, "t", &k, &hosts, &d), LANA_ENOTFOUND);
}

/* A read leaves no statement on a row: the registry's connection must be able to begin its
 * next write turn after another connection (an offline lanad command) has committed. */
static void test_a_read_holds_no_snapshot_open(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    struct ipam_block b;
    struct cidr lan = P("198.18.3.0/24");
    assert_int_equal(ipam_take(f->ip, &lan, IPAM_ALLOCATED, "x", NULL, "t", NULL, &d), 0);
    assert_int_equal(ipam_get(f->ip, &lan, &b, &d), 0);
    assert_int_equal(testdb_import(&f->t, "$ORIGIN other.\n$TTL 60\n@ SOA ns hm 1 2 3 4 5\n"
                                          "@ NS ns\n"),
                     0);
    if (store_begin(f->st, &d) != 0)
        fail_msg("the writer cannot begin after a read: %s", d.msg);
    store_rollback(f->st);
}

static const struct host_addr_spec AUTO = {HOST_ADDR_AUTO, {0}, false},
                                   NONE = {HOST_ADDR_NONE, {0}, false};

static void test_host_add_publishes_and_del_withdraws(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    struct zone_info z;
    struct host_info h;
    assert_int_equal(zone_add(f->nm, "lab", NULL, 0, "t", &z, &d), 0);
    uint32_t serial = z.serial;
    assert_int_equal(zone_add(f->nm, "lab.", NULL, 0, "t", &z, &d), LANA_ECONFLICT);
    assert_int_equal(host_add(f->nm, "Web1.lab", &AUTO, &AUTO, NULL, "t", &h, &d), 0);
    assert_string_equal(h.name, "web1.lab.");
    assert_string_equal(h.v4, "198.18.0.1");
    assert_string_equal(h.v6, "2001:db8::1");
    const char *text = testdb_export(f->st, "lab.");
    assert_non_null(strstr(text, "web1.lab.\t300\tIN\tA\t198.18.0.1"));
    assert_non_null(strstr(text, "web1.lab.\t300\tIN\tAAAA\t2001:db8::1"));
    text = testdb_export(f->st, "198.in-addr.arpa.");
    assert_non_null(strstr(text, "1.0.18.198.in-addr.arpa.\t300\tIN\tPTR\tweb1.lab."));
    assert_int_equal(zone_get(f->nm, "lab", &z, &d), 0);
    assert_int_equal(z.serial, serial + 1);
    assert_int_equal(z.hosts, 1);
    /* the addresses are registry blocks held by the host */
    struct ipam_block b;
    struct cidr a = P("198.18.0.1/32");
    assert_int_equal(ipam_get(f->ip, &a, &b, &d), 0);
    assert_string_equal(b.holder, "web1.lab.");
    /* a given address; taken or outside every pool */
    struct host_addr_spec given = {HOST_ADDR_GIVEN, P("198.18.7.7/32"), false};
    assert_int_equal(host_add(f->nm, "db.lab", &given, &NONE, NULL, "t", &h, &d), 0);
    assert_string_equal(h.v4, "198.18.7.7");
    assert_int_equal(host_add(f->nm, "db2.lab", &given, &NONE, NULL, "t", &h, &d),
                     LANA_ECONFLICT);
    struct host_addr_spec outside = {HOST_ADDR_GIVEN, P("192.0.2.1/32"), false};
    assert_int_equal(host_add(f->nm, "x.lab", &outside, &NONE, NULL, "t", &h, &d),
                     LANA_ENOTFOUND);
    assert_string_equal(d.msg, "192.0.2.1 is outside every pool (pools: 198.18.0.0/15)");
    /* names */
    assert_int_equal(host_add(f->nm, "web1.lab", &AUTO, &NONE, NULL, "t", &h, &d), LANA_ECONFLICT);
    assert_int_equal(host_add(f->nm, "bad_name.lab", &AUTO, &NONE, NULL, "t", &h, &d), LANA_EPARSE);
    assert_int_equal(host_add(f->nm, "-a.lab", &AUTO, &NONE, NULL, "t", &h, &d), LANA_EPARSE);
    assert_int_equal(host_add(f->nm, "web.nowhere", &AUTO, &NONE, NULL, "t", &h, &d), LANA_ENOTFOUND);
    assert_int_equal(host_add(f->nm, "lab", &AUTO, &NONE, NULL, "t", &h, &d), LANA_EPARSE);
    char longlabel[80];
    memset(longlabel, 'a', 64);
    strcpy(longlabel + 64, ".lab");
    assert_int_equal(host_add(f->nm, longlabel, &AUTO, &NONE, NULL, "t", &h, &d), LANA_EPARSE);
    /* a block of the host's choice, or the zone's default */
    struct cidr lan = P("198.18.4.0/24");
    assert_int_equal(ipam_take(f->ip, &lan, IPAM_ASSIGNED, "lan", NULL, "t", NULL, &d), 0);
    assert_int_equal(host_add(f->nm, "pc1.lab", &AUTO, &NONE, &lan, "t", &h, &d), 0);
    assert_string_equal(h.v4, "198.18.4.1");
    assert_int_equal(zone_add(f->nm, "office.lab", &lan, 1, "t", &z, &d), 0);
    assert_int_equal(host_add(f->nm, "pc2.office.lab", &AUTO, &NONE, NULL, "t", &h, &d), 0);
    assert_string_equal(h.v4, "198.18.4.2");
    /* delete: records, PTR and address go */
    assert_int_equal(host_del(f->nm, "web1.lab", "t", &d), 0);
    assert_null(strstr(testdb_export(f->st, "lab."), "web1"));
    assert_null(strstr(testdb_export(f->st, "198.in-addr.arpa."), "web1"));
    assert_int_equal(ipam_get(f->ip, &a, &b, &d), LANA_ENOTFOUND);
    assert_int_equal(host_del(f->nm, "web1.lab", "t", &d), LANA_ENOTFOUND);
}

/* Automatic host numbering skips the subnet's network and broadcast addresses (IPv4, /30 and
 * shorter) and the IPv6 Subnet-Router anycast address (RFC 4291 2.6.1); a /31 (RFC 3021) and
 * a /127 (RFC 6164) use both addresses. A given network or broadcast address is refused,
 * naming what it is, unless forced; a rename keeps a forced address. */
static void test_host_numbering_skips_network_broadcast_and_anycast(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    struct host_info h;
    struct zone_info z;
    static const struct host_addr_spec AUTO4 = {HOST_ADDR_AUTO, {0}, false},
                                       NO = {HOST_ADDR_NONE, {0}, false};
    struct cidr p30 = P("198.18.9.0/30"), p31 = P("198.18.9.4/31"), p24 = P("198.18.10.0/24"),
                p64 = P("2001:db8:9::/64"), p127 = P("2001:db8:a::/127");
    struct cidr all[] = {p30, p31, p24, p64, p127};
    for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++)
        assert_int_equal(ipam_take(f->ip, &all[i], IPAM_ASSIGNED, "lan", NULL, "t", NULL, &d), 0);
    assert_int_equal(zone_add(f->nm, "lab", NULL, 0, "t", &z, &d), 0);
    const char *want30[] = {"198.18.9.1", "198.18.9.2"};
    for (int i = 0; i < 2; i++) {
        char name[16];
        snprintf(name, sizeof name, "a%d.lab", i);
        assert_int_equal(host_add(f->nm, name, &AUTO4, &NO, &p30, "t", &h, &d), 0);
        assert_string_equal(h.v4, want30[i]);
    }
    assert_int_equal(host_add(f->nm, "a2.lab", &AUTO4, &NO, &p30, "t", &h, &d), LANA_EEXHAUSTED);
    assert_string_equal(d.msg, "198.18.9.0/30 has no free host address left");
    const char *want31[] = {"198.18.9.4", "198.18.9.5"};
    for (int i = 0; i < 2; i++) {
        char name[16];
        snprintf(name, sizeof name, "b%d.lab", i);
        assert_int_equal(host_add(f->nm, name, &AUTO4, &NO, &p31, "t", &h, &d), 0);
        assert_string_equal(h.v4, want31[i]);
    }
    /* IPv6: ::1 first in a /64; both addresses of a /127 */
    assert_int_equal(host_add(f->nm, "c0.lab", &NO, &AUTO4, &p64, "t", &h, &d), 0);
    assert_string_equal(h.v6, "2001:db8:9::1");
    assert_int_equal(host_add(f->nm, "c1.lab", &NO, &AUTO4, &p127, "t", &h, &d), 0);
    assert_string_equal(h.v6, "2001:db8:a::");
    assert_int_equal(host_add(f->nm, "c2.lab", &NO, &AUTO4, &p127, "t", &h, &d), 0);
    assert_string_equal(h.v6, "2001:db8:a::1");
    /* best fit (the smallest free piece first), and a freed host address comes back; the
     * network address never does, even when it is the best fit */
    const char *steps[][2] = {{"d0", "198.18.10.1"}, {"d1", "198.18.10.2"}, {"-d0", ""},
                              {"d2", "198.18.10.3"}, {"d3", "198.18.10.1"}, {"d4", "198.18.10.4"}};
    for (unsigned i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        char name[16];
        snprintf(name, sizeof name, "%s.lab", steps[i][0] + (steps[i][0][0] == '-'));
        if (steps[i][0][0] == '-') {
            assert_int_equal(host_del(f->nm, name, "t", &d), 0);
            continue;
        }
        assert_int_equal(host_add(f->nm, name, &AUTO4, &NO, &p24, "t", &h, &d), 0);
        assert_string_equal(h.v4, steps[i][1]);
    }
    /* given: refused with the reason, unless forced */
    struct host_addr_spec net = {HOST_ADDR_GIVEN, P("198.18.10.0/32"), false},
                          bcast = {HOST_ADDR_GIVEN, P("198.18.10.255/32"), false},
                          any = {HOST_ADDR_GIVEN, P("2001:db8:9::/128"), false};
    assert_int_equal(host_add(f->nm, "n.lab", &net, &NO, NULL, "t", &h, &d), LANA_ERANGE);
    assert_string_equal(d.msg, "198.18.10.0 is the network address of 198.18.10.0/24, not a "
                               "host's (--force registers it anyway)");
    assert_int_equal(host_add(f->nm, "n.lab", &bcast, &NO, NULL, "t", &h, &d), LANA_ERANGE);
    assert_non_null(strstr(d.msg, "is the broadcast address of 198.18.10.0/24"));
    assert_int_equal(host_add(f->nm, "n.lab", &NO, &any, NULL, "t", &h, &d), LANA_ERANGE);
    assert_non_null(strstr(d.msg, "is the Subnet-Router anycast address of 2001:db8:9::/64"));
    assert_int_equal(host_get(f->nm, "n.lab", &h, &d), LANA_ENOTFOUND);
    net.force = true;
    assert_int_equal(host_add(f->nm, "n.lab", &net, &NO, NULL, "t", &h, &d), 0);
    assert_string_equal(h.v4, "198.18.10.0");
    assert_int_equal(host_rename(f->nm, "n.lab", "m.lab", "t", &h, &d), 0);
    assert_string_equal(h.v4, "198.18.10.0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_host_add_publishes_and_del_withdraws,
                                        testdb_names_setup, testdb_names_teardown),
        cmocka_unit_test_setup_teardown(test_host_numbering_skips_network_broadcast_and_anycast,
                                        testdb_names_setup, testdb_names_teardown),
        cmocka_unit_test_setup_teardown(
            test_release_of_a_block_with_hosts_refuses_or_takes_them_along, setup,
            testdb_names_teardown),
        cmocka_unit_test_setup_teardown(test_release_of_a_block_without_hosts, setup,
                                        testdb_names_teardown),
        cmocka_unit_test_setup_teardown(test_a_read_holds_no_snapshot_open, setup,
                                        testdb_names_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
