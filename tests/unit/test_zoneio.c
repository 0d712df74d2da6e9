/* Unit tests of db/store and db/zoneio: import is all or nothing, export reads back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/store.h"
#include "db/zoneio.h"
#include "tests/lib/testdb.h"

static const char good[] = "$ORIGIN lab.\n$TTL 60\n@ SOA ns1 hm 1 2 3 4 5\n@ NS ns1\n"
                           "ns1 A 198.18.0.1\nwww CNAME ns1\n";

static int setup(void **state)
{
    struct testdb *t = calloc(1, sizeof *t);
    if (testdb_make(t) != 0)
        return -1;
    *state = t;
    return 0;
}

static char *export_text(struct testdb *t, const char *zone)
{
    struct store *st;
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    assert_int_equal(store_open(t->path, &st, NULL, NULL), 0);
    assert_int_equal(zoneio_export(st, zone, fp, NULL), 0);
    fclose(fp);
    store_close(st);
    return buf;
}

static int import_origin(struct testdb *t, const char *text, const char *origin,
                         struct lana_diag *d)
{
    struct store *st;
    assert_int_equal(store_open(t->path, &st, NULL, NULL), 0);
    FILE *fp = fmemopen((void *)text, strlen(text), "r");
    int rc = zoneio_import(st, fp, "z", origin, NULL, d);
    fclose(fp);
    store_close(st);
    return rc;
}

static int import_text(struct testdb *t, const char *text, struct lana_diag *d)
{
    return import_origin(t, text, NULL, d);
}

/* --origin "" is refused with its reason (it was read one byte before the string). */
static void test_zoneio_empty_origin_is_refused(void **state)
{
    struct lana_diag d;
    assert_int_equal(import_origin(*state, "@ SOA ns hm 1 2 3 4 5\n@ NS ns\n", "", &d),
                     LANA_EPARSE);
    assert_string_equal(d.msg, "z: the origin is empty");
    assert_int_equal(import_origin(*state, "@ SOA ns hm 1 2 3 4 5\n@ NS ns\n", "lab", &d), 0);
}

static void test_store_creates_the_schema_at_its_current_version(void **state)
{
    struct testdb *t = *state;
    struct store *st;
    bool created = false;
    assert_int_equal(store_open(t->path, &st, &created, NULL), 0);
    assert_true(created);
    assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
    store_close(st);
    assert_int_equal(store_open(t->path, &st, &created, NULL), 0);
    assert_false(created);
    store_close(st);
}

static void test_zoneio_export_reads_back_identically(void **state)
{
    struct testdb *t = *state;
    FILE *fp = fopen(testdb_data("test.zone"), "r");
    struct store *st;
    struct zoneio_stats stats;
    struct lana_diag d;
    assert_int_equal(store_open(t->path, &st, NULL, NULL), 0);
    if (zoneio_import(st, fp, "test.zone", NULL, &stats, &d) != 0)
        fail_msg("%s", d.msg);
    fclose(fp);
    store_close(st);
    assert_string_equal(stats.zone, "test.");
    assert_int_equal(stats.records, 68);
    char *first = export_text(t, "test.");
    assert_non_null(strstr(first, "txt.test.\t3600\tIN\tTXT\t\"a \\\"quoted\\\" word\" "
                                  "\"semi;colon\" \"\" \"ABC\"\n"));
    assert_non_null(strstr(first, "opaque.test.\t3600\tIN\tTYPE65280\t\\# 4 0a000001\n"));
    assert_true(strncmp(first, "$ORIGIN test.\ntest.\t3600\tIN\tSOA\t", 30) == 0);
    assert_int_equal(import_text(t, first, &d), 0);
    char *second = export_text(t, "TEST");
    assert_string_equal(first, second);
    free(first);
    free(second);
}

static void test_zoneio_bad_input_changes_nothing(void **state)
{
    struct testdb *t = *state;
    struct lana_diag d = {{0}};
    assert_int_equal(import_text(t, good, &d), 0);
    char *before = export_text(t, "lab.");
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"$ORIGIN lab.\n$TTL 60\n@ SOA ns1 hm 2 2 3 4 5\n@ NS ns1\nx A 1.2.3.999\n",
         "z:5: 1.2.3.999: not an IPv4 address"},
        {"$ORIGIN lab.\n$TTL 60\n@ NS ns1\n", "z:3: the first record must be the zone's SOA"},
        {"$ORIGIN lab.\n$TTL 60\n@ SOA ns1 hm 2 2 3 4 5\n@ NS ns1\nx.other. A 1.2.3.4\n",
         "z:5: x.other. is outside the zone lab."},
        {"$ORIGIN lab.\n$TTL 60\n@ SOA ns1 hm 2 2 3 4 5\n", "z: the zone has no NS record"},
        {"$ORIGIN lab.\n$TTL 60\n@ SOA ns1 hm 2 2 3 4 5\n@ NS ns1\nw CNAME a\nw A 1.2.3.4\n",
         "z: w.lab. has a CNAME and other data"},
        {"$ORIGIN lab.\n$TTL 60\n@ SOA ns1 hm 2 2 3 4 5\n@ SOA ns1 hm 3 2 3 4 5\n",
         "z:4: a second SOA record"},
        {"$ORIGIN lab.\n$TTL 60\n@ SOA ns1 hm 2 2 3 4 5\n@ NS ns1\nx CH A 1.2.3.4\n",
         "z:5: only class IN is served"},
        {"", "z: no records"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&d, 0, sizeof d);
        assert_true(import_text(t, bad[i].text, &d) < 0);
        if (strncmp(d.msg, bad[i].msg, strlen(bad[i].msg)) != 0)
            fail_msg("case %zu: got '%s'", i, d.msg);
        char *after = export_text(t, "lab.");
        assert_string_equal(before, after);
        free(after);
    }
    free(before);
}

static void test_zoneio_reimport_replaces_the_zone(void **state)
{
    struct testdb *t = *state;
    assert_int_equal(import_text(t, good, NULL), 0);
    assert_int_equal(
        import_text(t, "$ORIGIN lab.\n$TTL 60\n@ SOA ns1 hm 9 2 3 4 5\n@ NS ns1\n", NULL), 0);
    char *text = export_text(t, "lab.");
    assert_null(strstr(text, "www"));
    assert_non_null(strstr(text, "hm.lab. 9 2 3 4 5"));
    free(text);
    struct store *st;
    assert_int_equal(store_open(t->path, &st, NULL, NULL), 0);
    assert_int_equal(zoneio_zone_count(st), 1);
    struct lana_diag d;
    FILE *null = fopen("/dev/null", "w");
    assert_int_equal(zoneio_export(st, "nope.", null, &d), LANA_ENOTFOUND);
    fclose(null);
    store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_creates_the_schema_at_its_current_version, setup,
                                        testdb_teardown),
        cmocka_unit_test_setup_teardown(test_zoneio_export_reads_back_identically, setup,
                                        testdb_teardown),
        cmocka_unit_test_setup_teardown(test_zoneio_bad_input_changes_nothing, setup,
                                        testdb_teardown),
        cmocka_unit_test_setup_teardown(test_zoneio_reimport_replaces_the_zone, setup,
                                        testdb_teardown),
        cmocka_unit_test_setup_teardown(test_zoneio_empty_origin_is_refused, setup,
                                        testdb_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
