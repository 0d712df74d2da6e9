/* Unit tests of db/zonedb: zone table, node reads, change detection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/zonedb.h"
#include "tests/lib/sqlfault.h"
#include "tests/lib/testdb.h"

static const char zone[] = "$ORIGIN lab.\n$TTL 60\n@ 120 SOA ns1 hm 1 2 3 4 30\n@ NS ns1\n"
                           "ns1 A 198.18.0.1\nns1 AAAA 2001:db8::1\na.b.c A 198.18.0.2\n"
                           "sub NS ns.sub\nns.sub A 198.18.0.3\n*.w A 198.18.0.4\n"
                           "x*.w A 198.18.0.5\n";

static int setup(void **state)
{
    struct testdb *t = calloc(1, sizeof *t);
    if (testdb_make(t) != 0 || testdb_import(t, zone) != 0)
        return -1;
    *state = t;
    return 0;
}

static size_t key_of(const char *text, uint8_t *key)
{
    uint8_t w[DNAME_MAXLEN];
    assert_true(dname_from_text(text, NULL, w, NULL) > 0);
    return dname_key(w, key);
}

static void test_zonedb_loads_zones_with_soa_cuts_and_wildcards(void **state)
{
    struct testdb *t = *state;
    struct zonedb_reader *r;
    uint8_t key[DNAME_KEY_MAX];
    assert_int_equal(zonedb_reader_open(t->path, &r, NULL), 0);
    assert_int_equal(zonedb_zone_count(r), 1);
    size_t k = key_of("deep.name.LAB.", key);
    const struct zonedb_zone *z = zonedb_find_zone(r, key, k);
    assert_non_null(z);
    assert_int_equal(z->neg_ttl, 30); /* min(120, 30) */
    assert_int_equal(z->ncuts, 1);
    assert_int_equal(z->nwilds, 1);   /* "x*" is no wildcard label */
    k = key_of("other.", key);
    assert_null(zonedb_find_zone(r, key, k));
    zonedb_reader_close(r);
}

static void test_zonedb_node_tells_data_empty_non_terminal_and_nothing(void **state)
{
    struct testdb *t = *state;
    struct zonedb_reader *r;
    struct zonedb_node n;
    uint8_t key[DNAME_KEY_MAX];
    assert_int_equal(zonedb_reader_open(t->path, &r, NULL), 0);
    size_t k = key_of("lab.", key);
    const struct zonedb_zone *z = zonedb_find_zone(r, key, k);
    k = key_of("ns1.lab.", key);
    assert_int_equal(zonedb_node_get(r, z, key, k, &n), 0);
    assert_int_equal(n.nrr, 2);
    assert_int_equal(n.rr[0].type, 1);
    assert_int_equal(n.rr[1].type, 28);
    assert_memory_equal(n.rr[0].rdata, "\xc6\x12\x00\x01", 4);
    assert_false(n.has_below);
    k = key_of("c.lab.", key);
    assert_int_equal(zonedb_node_get(r, z, key, k, &n), 0);
    assert_int_equal(n.nrr, 0);
    assert_true(n.has_below);
    k = key_of("nothing.lab.", key);
    assert_int_equal(zonedb_node_get(r, z, key, k, &n), 0);
    assert_int_equal(n.nrr, 0);
    assert_false(n.has_below);
    zonedb_reader_close(r);
}

static void test_zonedb_sync_sees_a_commit_by_another_connection(void **state)
{
    struct testdb *t = *state;
    struct zonedb_reader *r;
    assert_int_equal(zonedb_reader_open(t->path, &r, NULL), 0);
    uint64_t g = zonedb_reader_generation(r);
    assert_int_equal(zonedb_reader_sync(r, NULL), 0);
    assert_int_equal(testdb_import(t, "$ORIGIN two.\n$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\n"),
                     0);
    assert_int_equal(zonedb_reader_sync(r, NULL), 1);
    assert_true(zonedb_reader_generation(r) > g);
    assert_int_equal(zonedb_zone_count(r), 2);
    zonedb_reader_close(r);
}

/* A reload reads several statements; a failure of any one of them (here each step in turn)
 * fails the whole reload, so that no zone is ever served from half a read (a zone whose SOA
 * read failed would answer negative responses without an SOA). The next sync retries. */
static void test_zonedb_sync_fails_whole_when_any_read_fails(void **state)
{
    struct testdb *t = *state;
    struct zonedb_reader *r;
    uint8_t key[DNAME_KEY_MAX];
    assert_int_equal(zonedb_reader_open(t->path, &r, NULL), 0);
    assert_int_equal(testdb_import(t, "$ORIGIN two.\n$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\n"),
                     0);
    unsigned long k;
    for (k = 1; k < 1000; k++) {
        sqlfault_reset();
        sqlfault_arm(k);
        int rc = zonedb_reader_sync(r, NULL);
        sqlfault_disarm();
        if (sqlfault_fired() == 0) { /* past the reload's last step: it ran clean */
            assert_int_equal(rc, 1);
            break;
        }
        if (rc >= 0)
            fail_msg("step %lu of the reload failed, yet the reload returned %d", k, rc);
    }
    assert_true(k > 3 && k < 1000);
    assert_int_equal(zonedb_zone_count(r), 2);
    const struct zonedb_zone *z = zonedb_find_zone(r, key, key_of("two.", key));
    assert_non_null(z);
    assert_true(z->soa_len > 0);
    zonedb_reader_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_zonedb_loads_zones_with_soa_cuts_and_wildcards,
                                        setup, testdb_teardown),
        cmocka_unit_test_setup_teardown(test_zonedb_node_tells_data_empty_non_terminal_and_nothing,
                                        setup, testdb_teardown),
        cmocka_unit_test_setup_teardown(test_zonedb_sync_sees_a_commit_by_another_connection,
                                        setup, testdb_teardown),
        cmocka_unit_test_setup_teardown(test_zonedb_sync_fails_whole_when_any_read_fails, setup,
                                        testdb_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
