/* Unit tests of the zone tree's edges under the authority rule (db/authz.c, db/zone.c): a zone
 * cut never hides or takes away the names of the zone above it, registering a zone above
 * someone else's hands nothing over, a top-level zone of any admin account is a registry
 * zone, a zone's default blocks are the asker's to give, a host's automatic address comes
 * from the nearest zone that has default blocks (then from the asker's own block), and a
 * reverse zone made from a block is sponsored by the registrar that delegated the block.
 * Requests run through the command table as the accounts of tests/unit/asker.h, over the
 * pools 198.18.0.0/15 and 2001:db8::/32 and the zone lab. (admin's). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "tests/unit/asker.h"

#define expect asker_expect     /* runs a line as an account, checks its code */
#define zone_has asker_zone_has /* whether the zone's master file holds text */

/* A registration over names the zone above holds would hide them, and its deletion took away
 * every address and NS record at and below its apex in the zone above (admin's too). */
static void test_a_cut_never_hides_the_zone_above(void **state)
{
    struct fix *f = *state;
    expect(f, "admin", "record add www.lab. TXT registry", RP_OK);
    expect(f, "r1", "zone add www.lab. --for s1", RP_CONFLICT);
    assert_non_null(strstr(f->j.s, "lab. holds TXT records at www.lab."));
    expect(f, "admin", "zone add www.lab.", RP_CONFLICT);
    /* a delegation made by hand (NS at the cut, glue below it) is no obstacle */
    expect(f, "admin", "record add sub.lab. NS ns.sub.lab.", RP_OK);
    expect(f, "r1", "zone add sub.lab. --for s1", RP_OK);
    assert_true(zone_has(f, "lab.", "sub.lab.\t3600\tIN\tNS\tns1.lab."));
    expect(f, "s1", "zone del sub.lab.", RP_OK);
    /* its delegation went with it; nothing else of lab. did */
    assert_false(zone_has(f, "lab.", "sub.lab.\t"));
    assert_true(zone_has(f, "lab.", "www.lab.\t300\tIN\tTXT\t\"registry\""));
}

/* x.dept.lab. is s1's; a registrar that may register dept.lab. (one label below lab.) may do
 * so only if it has authority over every zone below it already: its sponsor r1 has, r2 not. */
static void test_an_intermediate_zone_takes_nothing_over(void **state)
{
    struct fix *f = *state;
    expect(f, "admin", "zone add x.dept.lab. --for s1", RP_OK);
    expect(f, "r2", "zone add dept.lab.", RP_PERMISSION);
    assert_non_null(strstr(f->j.s, "dept.lab. would enclose zone x.dept.lab. is held by s1"));
    expect(f, "r2", "record add www.x.dept.lab. TXT mine", RP_PERMISSION);
    expect(f, "r1", "zone add dept.lab.", RP_OK);
    /* the cut of x.dept.lab. now lies inside dept.lab.: its delegation moved there, and goes
     * back up when dept.lab. goes */
    assert_true(zone_has(f, "dept.lab.", "x.dept.lab.\t3600\tIN\tNS\tns1.lab."));
    assert_false(zone_has(f, "lab.", "x.dept.lab.\t"));
    expect(f, "r1", "zone del dept.lab.", RP_CONFLICT); /* it holds a delegation */
    expect(f, "r1", "zone del dept.lab. --recursive", RP_OK);
    assert_true(zone_has(f, "lab.", "x.dept.lab.\t3600\tIN\tNS\tns1.lab."));
    assert_false(zone_has(f, "lab.", "\ndept.lab.\t"));
}

/* A top-level zone made by an admin account other than "admin" is a registry zone too. */
static void test_a_zone_of_any_admin_is_a_registry_zone(void **state)
{
    struct fix *f = *state;
    asker_as(f, NULL);
    asker_add(f, "ops", "admin", NULL);
    expect(f, "ops", "zone add lab2.", RP_OK);
    expect(f, "r1", "zone add foo.lab2. --for s1", RP_OK);
    expect(f, "r1", "zone add a.b.lab2.", RP_PERMISSION); /* one label below, no more */
}

/* zone add --block: the asker must have authority over each default block. */
static void test_default_blocks_are_the_askers_to_give(void **state)
{
    struct fix *f = *state;
    expect(f, "admin", "block alloc 198.18.0.0/15 /24 --to r1", RP_OK);
    expect(f, "r2", "zone add r2.lab. --block 198.18.0.0/24", RP_PERMISSION);
    assert_non_null(strstr(f->j.s, "198.18.0.0/24 is maintained by r1"));
    expect(f, "r1", "zone add r1.lab. --block 198.18.0.0/24", RP_OK);
}

/* A zone below a student's takes the student's blocks; a registrar's zone without default
 * blocks takes the registrar's own; neither goes to admin's pool. */
static void test_a_hosts_address_comes_from_the_nearest_blocks(void **state)
{
    struct fix *f = *state;
    expect(f, "admin", "block alloc 198.18.0.0/15 /16 --to r1", RP_OK);
    expect(f, "r1", "block assign 198.18.0.0/16 /24 --to s1", RP_OK);
    expect(f, "r1", "zone add s1.lab. --for s1 --block 198.18.0.0/24", RP_OK);
    expect(f, "s1", "zone add sub.s1.lab.", RP_OK);
    expect(f, "s1", "host add h.sub.s1.lab. --v6 none", RP_OK);
    assert_non_null(strstr(f->j.s, "\"v4\":\"198.18.0."));
    expect(f, "r1", "zone add r1.lab.", RP_OK);
    expect(f, "r1", "host add h.r1.lab. --v6 none", RP_OK);
    assert_non_null(strstr(f->j.s, "\"v4\":\"198.18.1."));
    expect(f, "s2", "zone add s2x.lab.", RP_PERMISSION); /* a registrant registers nothing */
}

/* s1's reverse zone of its /24 is sponsored by r1, which delegated the block (and may delete
 * it); r2 may not make the reverse zone of a block it does not hold. */
static void test_a_reverse_zone_follows_its_block(void **state)
{
    struct fix *f = *state;
    expect(f, "admin", "block alloc 198.18.0.0/15 /16 --to r1", RP_OK);
    expect(f, "r1", "block assign 198.18.0.0/16 /24 --to s1", RP_OK);
    expect(f, "r2", "zone add 0.18.198.in-addr.arpa.", RP_PERMISSION);
    expect(f, "r2", "zone add junk.198.in-addr.arpa.", RP_PERMISSION);
    expect(f, "s1", "zone add 0.18.198.in-addr.arpa.", RP_OK);
    assert_non_null(strstr(f->j.s, "\"sponsor\":\"r1\",\"registrant\":\"s1\""));
    expect(f, "r1", "zone del 0.18.198.in-addr.arpa.", RP_OK);
    /* the same in ip6.arpa.: s1's /64 */
    expect(f, "admin", "block alloc 2001:db8::/32 /48 --to r1", RP_OK);
    expect(f, "r1", "block assign 2001:db8::/48 /64 --to s1", RP_OK);
#define V6REV "0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
    expect(f, "r2", "zone add " V6REV, RP_PERMISSION);
    expect(f, "s2", "zone add " V6REV, RP_PERMISSION);
    expect(f, "s1", "zone add " V6REV, RP_OK);
    assert_non_null(strstr(f->j.s, "\"sponsor\":\"r1\",\"registrant\":\"s1\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_cut_never_hides_the_zone_above, asker_setup_pools,
                                        asker_teardown),
        cmocka_unit_test_setup_teardown(test_an_intermediate_zone_takes_nothing_over,
                                        asker_setup_pools, asker_teardown),
        cmocka_unit_test_setup_teardown(test_a_zone_of_any_admin_is_a_registry_zone,
                                        asker_setup_pools, asker_teardown),
        cmocka_unit_test_setup_teardown(test_default_blocks_are_the_askers_to_give,
                                        asker_setup_pools, asker_teardown),
        cmocka_unit_test_setup_teardown(test_a_hosts_address_comes_from_the_nearest_blocks,
                                        asker_setup_pools, asker_teardown),
        cmocka_unit_test_setup_teardown(test_a_reverse_zone_follows_its_block, asker_setup_pools,
                                        asker_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
