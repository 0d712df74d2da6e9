/* Unit tests of the lab's root server system (db/root.c) through the command table: `.` is a
 * zone only admin makes, and it delegates the zones below it; the root servers become the NS
 * set of every zone, with glue where a cut hides their names and their addresses as data of
 * the zone that holds them; one pass changes nothing more when nothing changed; removing one
 * takes it out of everything; the refusals change nothing. Over the pools 198.18.0.0/15 and
 * 2001:db8::/32 and the zone lab. of tests/unit/asker.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "tests/unit/asker.h"

#define expect asker_expect
#define zone_has asker_zone_has

static void test_the_root_zone_is_admins_and_delegates_the_zones_below(void **state)
{
    struct fix *f = *state;
    expect(f, "r1", "zone add .", RP_PERMISSION);
    expect(f, "admin", "root add a.root-servers.lab. 198.18.0.1", RP_NOT_FOUND); /* no `.` */
    expect(f, "admin", "zone add .", RP_OK);
    /* lab. and the pools' reverse zones existed: each is delegated from `.` now */
    assert_true(zone_has(f, ".", "lab.\t3600\tIN\tNS\tns1.lab."));
    assert_true(zone_has(f, ".", "198.in-addr.arpa.\t3600\tIN\tNS\tns1.lab."));
    /* with `.` served, a name one label below it is still a top-level zone: admin's */
    expect(f, "r1", "zone add net101.", RP_PERMISSION);
    assert_non_null(strstr(f->j.s, "top-level"));
    expect(f, "admin", "zone add net.", RP_OK);
    assert_true(zone_has(f, ".", "net.\t3600\tIN\tNS\tns1.lab."));
    expect(f, "admin", "zone del net.", RP_OK);
    assert_false(zone_has(f, ".", "net.\t"));
}

static void test_root_servers_are_every_zones_name_servers(void **state)
{
    struct fix *f = *state;
    expect(f, "admin", "zone add .", RP_OK);
    expect(f, "r1", "root add a.root-servers.lab. 198.18.0.1", RP_PERMISSION);
    expect(f, "admin", "root add a.root-servers.lab. 198.18.0.1", RP_OK);
    expect(f, "admin", "root add b.root-servers.lab. 198.18.0.2 2001:db8::2", RP_OK);
    expect(f, "r1", "zone add s07.lab. --for s1", RP_OK); /* made after: the same NS set */
    const char *zones[] = {".", "lab.", "s07.lab.", "198.in-addr.arpa."};
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        char at[64];
        snprintf(at, sizeof at, "%s\t3600\tIN\tNS\tb.root-servers.lab.", zones[i]);
        if (!zone_has(f, zones[i], at))
            fail_msg("%s: no NS b: %s", zones[i], testdb_export(f->db->st, zones[i]));
        assert_false(zone_has(f, zones[i], "IN\tNS\tns1.lab."));
    }
    /* delegations: in `.` with glue (the names lie below the cut at lab.); in lab. without */
    assert_true(zone_has(f, ".", "lab.\t3600\tIN\tNS\ta.root-servers.lab."));
    assert_true(zone_has(f, ".", "a.root-servers.lab.\t3600\tIN\tA\t198.18.0.1"));
    assert_true(zone_has(f, ".", "b.root-servers.lab.\t3600\tIN\tAAAA\t2001:db8::2"));
    assert_true(zone_has(f, "lab.", "s07.lab.\t3600\tIN\tNS\ta.root-servers.lab."));
    assert_true(zone_has(f, "lab.", "a.root-servers.lab.\t3600\tIN\tA\t198.18.0.1"));
    /* again with the same address: nothing to do, no serial moves */
    expect(f, "admin", "root add a.root-servers.lab. 198.18.0.1", RP_OK);
    assert_non_null(strstr(f->j.s, "\"zones\":0"));
    expect(f, "admin", "root hints", RP_OK);
    assert_non_null(strstr(f->j.s, "{\"name\":\"b.root-servers.lab.\",\"addresses\":"
                                   "[\"198.18.0.2\",\"2001:db8::2\"]}"));
    /* a new address replaces the old one everywhere */
    expect(f, "admin", "root add a.root-servers.lab. 198.18.0.11", RP_OK);
    assert_false(zone_has(f, ".", "198.18.0.1\n"));
    assert_false(zone_has(f, "lab.", "198.18.0.1\n"));
    assert_true(zone_has(f, ".", "a.root-servers.lab.\t3600\tIN\tA\t198.18.0.11"));
    /* one goes: out of every NS set, its addresses out of `.` and lab. */
    expect(f, "admin", "root del b.root-servers.lab.", RP_OK);
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
        assert_false(zone_has(f, zones[i], "b.root-servers.lab."));
    expect(f, "admin", "root del a.root-servers.lab.", RP_CONFLICT); /* the last one */
    /* a catalog zone (NS invalid., RFC 9432) keeps its NS */
    expect(f, "admin", "zone add catalog.lab.", RP_OK);
    expect(f, "admin", "record add catalog.lab. NS invalid.", RP_OK);
    expect(f, "admin", "record del catalog.lab. NS a.root-servers.lab.", RP_OK);
    expect(f, "admin", "root add a.root-servers.lab. 198.18.0.12", RP_OK);
    assert_true(zone_has(f, "catalog.lab.", "IN\tNS\tinvalid.\n"));
    assert_false(zone_has(f, "catalog.lab.", "root-servers"));
    assert_true(zone_has(f, "s07.lab.", "s07.lab.\t3600\tIN\tNS\ta.root-servers.lab."));
}

static void test_refusals_change_nothing(void **state)
{
    struct fix *f = *state;
    expect(f, "admin", "zone add .", RP_OK);
    expect(f, "admin", "host add h1.lab. --v4 198.18.1.1 --v6 none", RP_OK);
    const char *before = testdb_export(f->db->st, ".");
    char copy[8192];
    snprintf(copy, sizeof copy, "%s", before);
    expect(f, "admin", "root add h1.lab. 198.18.0.1", RP_CONFLICT); /* a host's name */
    expect(f, "admin", "root add a.root-servers.lab. 300.1.1.1", RP_INVALID);
    expect(f, "admin", "root add a.root-servers.lab. 1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4 5.5.5.5",
           RP_USAGE);
    expect(f, "admin", "root del a.root-servers.lab.", RP_NOT_FOUND);
    assert_string_equal(testdb_export(f->db->st, "."), copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_the_root_zone_is_admins_and_delegates_the_zones_below,
                                        asker_setup_pools, asker_teardown),
        cmocka_unit_test_setup_teardown(test_root_servers_are_every_zones_name_servers,
                                        asker_setup_pools, asker_teardown),
        cmocka_unit_test_setup_teardown(test_refusals_change_nothing, asker_setup_pools,
                                        asker_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
