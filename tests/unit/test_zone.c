/* Unit tests of db/zone: zones added, read and deleted; the serial goes up with every change
 * (zone_touch) under the serial policy; a zone with hosts goes only with --recursive, hosts and all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/check.h"
#include "db/host.h"
#include "db/ipam.h"
#include "db/names.h"
#include "db/rrset.h"
#include "db/service.h"
#include "db/store.h"
#include "db/zone.h"
#include "db/zoneio.h"
#include "tests/lib/testdb.h"

static struct cidr P(const char *s)
{
    struct cidr c;
    assert_int_equal(cidr_parse(s, &c, NULL), 0);
    return c;
}

static const struct host_addr_spec AUTO = {HOST_ADDR_AUTO, {0}, false},
                                   NONE = {HOST_ADDR_NONE, {0}, false};

static void test_zone_add_conflict_and_serial(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    struct zone_info z;
    struct host_info h;
    assert_int_equal(zone_add(f->nm, "lab", NULL, 0, "t", &z, &d), 0);
    assert_string_equal(z.name, "lab.");
    assert_false(z.reverse);
    uint32_t serial = z.serial;
    assert_int_equal(zone_add(f->nm, "lab.", NULL, 0, "t", &z, &d), LANA_ECONFLICT);
    assert_int_equal(zone_add(f->nm, "bad_zone", NULL, 0, "t", &z, &d), LANA_EPARSE);
    struct cidr nowhere = P("192.0.2.0/24");
    assert_int_equal(zone_add(f->nm, "x.", &nowhere, 1, "t", &z, &d), LANA_ENOTFOUND);
    assert_int_equal(zone_get(f->nm, "x.", &z, &d), LANA_ENOTFOUND);
    assert_int_equal(host_add(f->nm, "web.lab", &AUTO, &NONE, NULL, "t", &h, &d), 0);
    assert_int_equal(zone_get(f->nm, "LAB", &z, &d), 0);
    assert_int_equal(z.serial, serial + 1);
    assert_int_equal(z.hosts, 1);
    assert_int_equal(zone_touch(f->st, z.id, NULL, ZONE_TOUCH_SERIAL, &d), 0);
    assert_int_equal(zone_get(f->nm, "lab", &z, &d), 0);
    assert_int_equal(z.serial, serial + 2);
    assert_int_equal(zone_get(f->nm, "198.in-addr.arpa.", &z, &d), 0);
    assert_true(z.reverse);
    /* ensure: created once */
    assert_int_equal(zone_ensure(f->nm, "199.in-addr.arpa.", "t", &d), 1);
    assert_int_equal(zone_ensure(f->nm, "199.in-addr.arpa.", "t", &d), 0);
}

static void test_zone_soa_serial_is_read_from_the_end_of_the_rdata(void **state)
{
    (void)state;
    uint8_t rd[2 + 20] = {0}; /* two root names, then serial and four more 32-bit fields */
    rd[2] = 0x78, rd[3] = 0x56, rd[4] = 0x34, rd[5] = 0x12;
    uint32_t serial = 0;
    assert_int_equal(zone_soa_serial(rd, sizeof rd, &serial), 0);
    assert_int_equal(serial, 0x78563412);
    assert_int_equal(zone_soa_serial(rd, 21, &serial), LANA_EPARSE);
}

/* A zone cut above a host of the enclosing zone would hide its A record: refused, naming it. */
static void test_zone_add_refused_above_hosts_of_another_zone(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    assert_int_equal(zone_ensure(f->nm, "lab.", "t", &d), 1);
    assert_int_equal(host_add(f->nm, "x.sub.lab", &AUTO, &NONE, NULL, "t", NULL, &d), 0);
    char *before = testdb_dump(f->st);
    assert_int_equal(zone_add(f->nm, "sub.lab", NULL, 0, "t", NULL, &d), LANA_ECONFLICT);
    assert_string_equal(d.msg, "host x.sub.lab. is registered below sub.lab. in another zone: "
                               "delete it first");
    char *after = testdb_dump(f->st);
    assert_string_equal(after, before);
    free(before);
    free(after);
    assert_int_equal(zone_add(f->nm, "ub.lab", NULL, 0, "t", NULL, &d), 0); /* a suffix only */
}

static void test_zone_del_refuses_names_unless_recursive(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    struct host_info h;
    struct ipam_block b;
    struct cidr lan = P("198.18.4.0/24");
    assert_int_equal(ipam_take(f->ip, &lan, IPAM_ASSIGNED, "lan", NULL, "t", NULL, &d), 0);
    assert_int_equal(zone_add(f->nm, "office.lab", &lan, 1, "t", NULL, &d), 0);
    assert_int_equal(host_add(f->nm, "pc2.office.lab", &AUTO, &NONE, NULL, "t", &h, &d), 0);
    assert_string_equal(h.v4, "198.18.4.1");
    assert_non_null(strstr(testdb_export(f->st, "198.in-addr.arpa."), "PTR\tpc2.office.lab."));
    /* zone del refuses while it holds hosts */
    assert_int_equal(zone_del(f->nm, "office.lab", false, "t", &d), LANA_ECONFLICT);
    assert_int_equal(zone_del(f->nm, "office.lab", true, "t", &d), 0);
    struct cidr pc2 = P("198.18.4.0/32");
    assert_int_equal(ipam_get(f->ip, &pc2, &b, &d), LANA_ENOTFOUND);
    assert_null(strstr(testdb_export(f->st, "198.in-addr.arpa."), "pc2"));
    struct zone_info z;
    assert_int_equal(zone_get(f->nm, "office.lab", &z, &d), LANA_ENOTFOUND);
}

/* A zone import replaces the zone's records: over a zone with hosts it would leave them
 * without A/AAAA records, so db/zoneio refuses it for every caller (the registry and the
 * offline lanad zone import alike), and nothing changes. */
static void test_zone_import_refused_over_a_zone_with_hosts(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    assert_int_equal(zone_ensure(f->nm, "lab.", "t", &d), 1);
    assert_int_equal(host_add(f->nm, "pc.lab", &AUTO, &NONE, NULL, "t", NULL, &d), 0);
    char *before = testdb_dump(f->st);
    assert_non_null(before);
    static const char text[] = "$ORIGIN lab.\n$TTL 60\n@ SOA ns1 hm 9 2 3 4 5\n@ NS ns1\n"
                               "ns1 A 198.18.0.53\n";
    FILE *fp = fmemopen((void *)text, sizeof text - 1, "r");
    assert_non_null(fp);
    assert_int_equal(zoneio_import(f->st, fp, "lab.zone", NULL, NULL, &d), LANA_ECONFLICT);
    fclose(fp);
    assert_non_null(strstr(d.msg, "zone lab. has 1 registered host"));
    /* nor over the reverse zone that keeps its PTR, nor a new one more specific */
    static const char rev[] = "$ORIGIN 198.in-addr.arpa.\n$TTL 60\n@ SOA ns1 hm 9 2 3 4 5\n"
                              "@ NS ns1.lab.\n";
    static const char sub[] = "$ORIGIN 18.198.in-addr.arpa.\n$TTL 60\n@ SOA ns1 hm 9 2 3 4 5\n"
                              "@ NS ns1.lab.\n";
    const char *texts[] = {rev, sub};
    for (int i = 0; i < 2; i++) {
        fp = fmemopen((void *)texts[i], strlen(texts[i]), "r");
        assert_int_equal(zoneio_import(f->st, fp, "rev.zone", NULL, NULL, &d), LANA_ECONFLICT);
        fclose(fp);
        assert_non_null(strstr(d.msg, "holds the PTR record of registered host pc.lab."));
    }
    char *after = testdb_dump(f->st);
    assert_string_equal(after, before);
    free(before);
    free(after);
}

static int print_finding(const struct check_finding *c, void *arg)
{
    (void)arg;
    print_message("finding %s: %s: %s\n", check_code_name(c->code), c->object, c->message);
    return 0;
}

/* lanad check finds the database consistent. */
static void assert_check_clean(struct testdb_names *f)
{
    struct lana_diag d;
    assert_int_equal(check_run(f->t.path, print_finding, NULL, NULL, &d), 0);
}

#define PTR_PC0 "1.0.18.198.in-addr.arpa.\t300\tIN\tPTR\tpc.lab."
#define PTR_PC "7.4.18.198.in-addr.arpa.\t300\tIN\tPTR\tpc.lab."

static bool zone_has(struct testdb_names *f, const char *zone, const char *text)
{
    return strstr(testdb_export(f->st, zone), text) != NULL;
}

/* Hosts registered while no reverse zone covers their addresses get their PTR records as soon
 * as one is created (zone_add or zone_ensure, as lanad does for its pools at start-up). */
static void test_zone_reverse_created_after_the_host_gets_its_ptr(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    struct host_info h;
    assert_int_equal(zone_del(f->nm, "198.in-addr.arpa.", false, "t", &d), 0);
    assert_int_equal(zone_del(f->nm, "8.b.d.0.1.0.0.2.ip6.arpa.", false, "t", &d), 0);
    assert_int_equal(zone_add(f->nm, "lab", NULL, 0, "t", NULL, &d), 0);
    assert_int_equal(host_add(f->nm, "pc.lab", &AUTO, &AUTO, NULL, "t", &h, &d), 0);
    assert_string_equal(h.v4, "198.18.0.1");
    assert_string_equal(h.v6, "2001:db8::1");
    assert_check_clean(f);
    assert_int_equal(zone_ensure(f->nm, "198.in-addr.arpa.", "t", &d), 1);
    assert_true(zone_has(f, "198.in-addr.arpa.", PTR_PC0));
    struct zone_info z;
    assert_int_equal(zone_add(f->nm, "8.b.d.0.1.0.0.2.ip6.arpa", NULL, 0, "t", &z, &d), 0);
    assert_true(zone_has(f, "8.b.d.0.1.0.0.2.ip6.arpa.", "PTR\tpc.lab."));
    assert_check_clean(f);
}

/* A more specific reverse zone takes the PTR records of the addresses it covers from the zone
 * above (whose serial goes up); deleted again (only with --recursive: it holds names), it gives
 * them back. A zone created above an existing, more specific one takes nothing from it. */
static void test_zone_reverse_more_specific_takes_and_gives_back_ptrs(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    struct zone_info z, parent;
    struct host_addr_spec a = {HOST_ADDR_GIVEN, P("198.18.4.7/32"), false};
    struct host_addr_spec b = {HOST_ADDR_GIVEN, P("198.18.9.9/32"), false};
    assert_int_equal(zone_add(f->nm, "lab", NULL, 0, "t", NULL, &d), 0);
    assert_int_equal(host_add(f->nm, "pc.lab", &a, &NONE, NULL, "t", NULL, &d), 0);
    assert_int_equal(host_add(f->nm, "far.lab", &b, &NONE, NULL, "t", NULL, &d), 0);
    assert_true(zone_has(f, "198.in-addr.arpa.", PTR_PC));
    assert_int_equal(zone_get(f->nm, "198.in-addr.arpa.", &parent, &d), 0);

    assert_int_equal(zone_add(f->nm, "4.18.198.in-addr.arpa", NULL, 0, "t", &z, &d), 0);
    assert_true(zone_has(f, "4.18.198.in-addr.arpa.", PTR_PC));
    assert_false(zone_has(f, "198.in-addr.arpa.", "pc.lab."));
    assert_true(zone_has(f, "198.in-addr.arpa.", "PTR\tfar.lab."));
    uint32_t serial = parent.serial;
    assert_int_equal(zone_get(f->nm, "198.in-addr.arpa.", &parent, &d), 0);
    assert_int_equal(parent.serial, serial + 2); /* the delegation, then the PTR records */
    assert_true(zone_has(f, "198.in-addr.arpa.", "4.18.198.in-addr.arpa.\t3600\tIN\tNS\tns1.lab."));
    assert_check_clean(f);

    /* the zone above goes and comes back: the more specific one keeps the PTR */
    assert_int_equal(zone_del(f->nm, "198.in-addr.arpa.", true, "t", &d), 0);
    assert_int_equal(zone_ensure(f->nm, "198.in-addr.arpa.", "t", &d), 1);
    assert_true(zone_has(f, "4.18.198.in-addr.arpa.", PTR_PC));
    assert_false(zone_has(f, "198.in-addr.arpa.", "pc.lab."));
    assert_true(zone_has(f, "198.in-addr.arpa.", "PTR\tfar.lab."));
    assert_check_clean(f);

    /* the specific zone deleted: its host PTR records go back to the zone above */
    assert_int_equal(zone_del(f->nm, "4.18.198.in-addr.arpa", false, "t", &d), LANA_ECONFLICT);
    assert_true(zone_has(f, "4.18.198.in-addr.arpa.", PTR_PC));
    assert_int_equal(zone_get(f->nm, "198.in-addr.arpa.", &parent, &d), 0);
    serial = parent.serial;
    assert_int_equal(zone_del(f->nm, "4.18.198.in-addr.arpa", true, "t", &d), 0);
    assert_int_equal(zone_get(f->nm, "4.18.198.in-addr.arpa", &z, &d), LANA_ENOTFOUND);
    assert_true(zone_has(f, "198.in-addr.arpa.", PTR_PC));
    assert_int_equal(zone_get(f->nm, "198.in-addr.arpa.", &parent, &d), 0);
    assert_true(parent.serial > serial);
    assert_false(zone_has(f, "198.in-addr.arpa.", "4.18.198.in-addr.arpa.\t3600\tIN\tNS"));
    assert_check_clean(f);

    /* no zone left above: the PTR is simply gone, and the host stays */
    assert_int_equal(zone_del(f->nm, "198.in-addr.arpa.", true, "t", &d), 0);
    struct host_info h;
    assert_int_equal(host_get(f->nm, "pc.lab", &h, &d), 0);
    assert_check_clean(f);
}

/* Imports zone NAME with SOA serial `serial` and steps it once (zone_touch, as every change
 * does); returns the serial after. */
static uint32_t touched(struct testdb_names *f, const char *name, uint32_t serial)
{
    struct lana_diag d;
    struct zone_info z;
    char text[256];
    int n = snprintf(text, sizeof text,
                     "$ORIGIN %s\n$TTL 60\n@ SOA ns1 hm %lu 2 3 4 5\n@ NS ns1\n"
                     "ns1 A 198.18.0.53\n",
                     name, (unsigned long)serial);
    assert_true(n > 0 && (size_t)n < sizeof text);
    FILE *fp = fmemopen(text, (size_t)n, "r");
    assert_non_null(fp);
    assert_int_equal(zoneio_import(f->st, fp, "serial.zone", NULL, NULL, &d), 0);
    fclose(fp);
    assert_int_equal(zone_get(f->nm, name, &z, &d), 0);
    assert_int_equal(z.serial, serial);
    assert_int_equal(zone_touch(f->st, z.id, NULL, ZONE_TOUCH_SERIAL, &d), 0);
    assert_int_equal(zone_get(f->nm, name, &z, &d), 0);
    assert_true(serial_lt(serial, z.serial)); /* up, in RFC 1982 terms */
    return z.serial;
}

/* The serial policy reaches every zone change: under date, a zone's serial from before the
 * date form (the default zone's old 1) takes today's YYYYMMDD00, YYYYMMDD99 counts on, a
 * serial far ahead goes on by one; increment starts new zones at 1; unixtime at now. */
static void test_zone_serial_follows_the_policy(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    struct zone_info z;
    assert_int_equal(zone_serial_policy(), SERIAL_DATE);
    uint32_t today = serial_date00(time(NULL));
    assert_int_equal(touched(f, "one.", 1), today);
    assert_int_equal(touched(f, "full.", today + 99), today + 100);
    assert_int_equal(touched(f, "ahead.", 4000000000u), 4000000001u);
    assert_int_equal(touched(f, "wrap.", 0xffffffffu), today);
    assert_int_equal(zone_add(f->nm, "dated.", NULL, 0, "t", &z, &d), 0);
    assert_int_equal(z.serial, today);

    zone_serial_policy_set(SERIAL_INCREMENT);
    assert_int_equal(zone_add(f->nm, "inc.", NULL, 0, "t", &z, &d), 0);
    assert_int_equal(z.serial, 1);
    assert_int_equal(rrset_add(f->nm, "inc.", "TXT", "\"a change\"", "t", &d), 0);
    assert_int_equal(zone_get(f->nm, "inc.", &z, &d), 0);
    assert_int_equal(z.serial, 2);
    assert_int_equal(touched(f, "inc2.", 0xffffffffu), 0);

    zone_serial_policy_set(SERIAL_UNIXTIME);
    time_t t0 = time(NULL);
    assert_int_equal(zone_add(f->nm, "unix.", NULL, 0, "t", &z, &d), 0);
    assert_true(z.serial >= (uint32_t)t0 && z.serial <= (uint32_t)time(NULL));
    zone_serial_policy_set(SERIAL_DATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_zone_add_conflict_and_serial, testdb_names_setup,
                                        testdb_names_teardown),
        cmocka_unit_test(test_zone_soa_serial_is_read_from_the_end_of_the_rdata),
        cmocka_unit_test_setup_teardown(test_zone_add_refused_above_hosts_of_another_zone,
                                        testdb_names_setup, testdb_names_teardown),
        cmocka_unit_test_setup_teardown(test_zone_import_refused_over_a_zone_with_hosts,
                                        testdb_names_setup, testdb_names_teardown),
        cmocka_unit_test_setup_teardown(test_zone_del_refuses_names_unless_recursive,
                                        testdb_names_setup, testdb_names_teardown),
        cmocka_unit_test_setup_teardown(test_zone_reverse_created_after_the_host_gets_its_ptr,
                                        testdb_names_setup, testdb_names_teardown),
        cmocka_unit_test_setup_teardown(test_zone_reverse_more_specific_takes_and_gives_back_ptrs,
                                        testdb_names_setup, testdb_names_teardown),
        cmocka_unit_test_setup_teardown(test_zone_serial_follows_the_policy, testdb_names_setup,
                                        testdb_names_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
