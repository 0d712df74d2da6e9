#define _POSIX_C_SOURCE 200809L /* fmemopen */
/* Unit tests of the DNS workers' lookup table (db/node_int.h): its rows follow every change
 * of the records, the workers read them, and whatever cannot be trusted is read from rr. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "db/check.h"
#include "db/node_int.h"
#include "db/rrset.h"
#include "db/store_int.h"
#include "db/zone.h"
#include "db/zonedb.h"
#include "db/zoneio.h"
#include "tests/lib/testdb.h"

static int setup(void **state)
{
    struct lana_diag d;
    if (testdb_names_setup(state) != 0)
        return -1;
    struct testdb_names *f = *state;
    if (zone_add(f->nm, "lab", NULL, 0, "t", NULL, &d) != 0 ||
        rrset_add(f->nm, "www.lab.", "TXT", "\"one\"", "t", &d) != 0 ||
        rrset_add(f->nm, "www.lab.", "MX", "10 mail.lab.", "t", &d) != 0) {
        fprintf(stderr, "setup: %s\n", d.msg);
        return -1;
    }
    return 0;
}

/* Another program's connection (the sqlite3 shell, say): none of lanad's functions. */
static void other(const char *path, const char *sql)
{
    sqlite3 *db;
    char *err = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err);
    sqlite3_close(db);
}

/* What a worker reads for the name: its records, through a reader of its own. */
static struct zonedb_node read_node(const char *path, const char *name, struct zonedb_reader **r)
{
    uint8_t w[DNAME_MAXLEN], key[DNAME_KEY_MAX];
    struct zonedb_node n;
    assert_int_equal(zonedb_reader_open(path, r, NULL), 0);
    assert_true(dname_from_text(name, NULL, w, NULL) > 0);
    size_t k = dname_key(w, key);
    const struct zonedb_zone *z = zonedb_find_zone(*r, key, k);
    assert_non_null(z);
    assert_int_equal(zonedb_node_get(*r, z, key, k, &n), 0);
    return n;
}

static int no_finding(const struct check_finding *f, void *arg)
{
    (void)arg;
    fail_msg("lanad check: %s: %s", f->object, f->message);
    return 1;
}

/* Every change of lanad's rewrites its names' rows before it commits; the apex (SOA) has
 * none; nothing is left noted; lanad check agrees. */
static void test_rows_follow_every_change(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    assert_int_equal(testdb_count(f->st, "SELECT count(*) FROM node WHERE key = x'6c616200'"), 0);
    struct zonedb_reader *r;
    struct zonedb_node n = read_node(f->t.path, "www.lab.", &r);
    assert_int_equal(n.nrr, 2);
    zonedb_reader_close(r);
    assert_int_equal(rrset_del(f->nm, "www.lab.", "TXT", NULL, "t", NULL, &d), 0);
    assert_int_equal(rrset_add(f->nm, "new.lab.", "TXT", "\"two\"", "t", &d), 0);
    assert_int_equal(testdb_count(f->st, "SELECT count(*) FROM node_dirty"), 0);
    assert_int_equal(testdb_count(f->st, "SELECT count(*) FROM node_bulk"), 0);
    /* www (MX), new (TXT), and the reverse zones' and lab.'s apexes have no row */
    assert_int_equal(testdb_count(f->st, "SELECT count(*) FROM node"), 2);
    assert_int_equal(check_run(f->t.path, no_finding, NULL, NULL, &d), 0);
    n = read_node(f->t.path, "www.lab.", &r);
    assert_int_equal(n.nrr, 1);
    assert_int_equal(n.rr[0].type, 15);
    zonedb_reader_close(r);
}

/* The worker answers from the row (a row changed behind lanad's back shows), unless the row
 * is another name's (two names, one hash): then from rr. */
static void test_reader_uses_the_row_and_checks_its_name(void **state)
{
    struct testdb_names *f = *state;
    struct zonedb_reader *r;
    /* one TXT record "x": type 16, TTL 300, rdata 02 01 78 */
    assert_int_equal(testdb_count(f->st, "SELECT count(*) FROM node"), 1); /* www's alone */
    other(f->t.path, "UPDATE node SET rrs = x'00100000012c00020178'");
    struct zonedb_node n = read_node(f->t.path, "www.lab.", &r);
    assert_int_equal(n.nrr, 1);
    assert_int_equal(n.rr[0].type, 16);
    assert_memory_equal(n.rr[0].rdata, "\x01x", 2);
    zonedb_reader_close(r);
    struct lana_diag d;
    assert_int_equal(check_run(f->t.path, NULL, NULL, NULL, &d), 1); /* lookup-stale */
    /* the same row, named as another name: www is read from rr again */
    other(f->t.path, "UPDATE node SET key = x'6c6162006f7468657200'");
    n = read_node(f->t.path, "www.lab.", &r);
    assert_int_equal(n.nrr, 2);
    assert_int_equal(n.rr[0].type, 15);
    assert_int_equal(n.rr[1].type, 16);
    zonedb_reader_close(r);
}

/* A change by another program is noted by the triggers: the workers read rr until lanad
 * rewrites the rows, at its next open (or commit). */
static void test_change_by_another_program(void **state)
{
    struct testdb_names *f = *state;
    struct zonedb_reader *r;
    struct lana_diag d;
    other(f->t.path, "DELETE FROM rr WHERE type = 15");
    assert_int_equal(testdb_count(f->st, "SELECT count(*) FROM node_dirty"), 1);
    struct zonedb_node n = read_node(f->t.path, "www.lab.", &r);
    assert_int_equal(n.nrr, 1); /* the TXT alone, though the row still says MX and TXT */
    assert_int_equal(n.rr[0].type, 16);
    zonedb_reader_close(r);
    assert_int_equal(check_run(f->t.path, no_finding, NULL, NULL, &d), 0);
    struct store *st;
    assert_int_equal(store_open(f->t.path, &st, NULL, &d), 0); /* lanad starts: mended */
    assert_int_equal(testdb_count(st, "SELECT count(*) FROM node_dirty"), 0);
    /* the TXT record alone: 8 bytes and "one" */
    assert_int_equal(testdb_count(st, "SELECT count(*) FROM node WHERE length(rrs) = 12"), 1);
    store_close(st);
    assert_int_equal(check_run(f->t.path, no_finding, NULL, NULL, &d), 0);
}

/* The way to rebuild the table: empty it; lanad rebuilds it at its next start. */
static void test_emptied_table_is_rebuilt_at_start(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    other(f->t.path, "UPDATE node SET rrs = x'00100000012c00020178'");
    assert_int_equal(check_run(f->t.path, NULL, NULL, NULL, &d), 1); /* lookup-stale */
    other(f->t.path, "DELETE FROM node");
    struct store *st;
    assert_int_equal(store_open(f->t.path, &st, NULL, &d), 0);
    assert_int_equal(testdb_count(st, "SELECT count(*) FROM node"), 1); /* www's again */
    store_close(st);
    assert_int_equal(check_run(f->t.path, no_finding, NULL, NULL, &d), 0);
}

/* An import and a zone delete write their rows once, not through the triggers; a name whose
 * records pack too long has no row and is read from rr. */
static void test_import_delete_and_big_names(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    char zone[40000];
    int n = snprintf(zone, sizeof zone,
                     "$ORIGIN two.\n$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\n"
                     "ns A 198.18.1.1\na A 198.18.1.2\nb.c TXT \"b\"\n");
    for (int i = 0; i < 200; i++) /* 200 records of 100 bytes: past NODE_PACK_MAX */
        n += snprintf(zone + n, sizeof zone - (size_t)n, "big TXT \"%098d\"\n", i);
    FILE *fp = fmemopen(zone, (size_t)n, "r");
    assert_non_null(fp);
    assert_int_equal(zoneio_import(f->st, fp, "two.zone", NULL, NULL, &d), 0);
    fclose(fp);
    assert_int_equal(testdb_count(f->st, "SELECT count(*) FROM node WHERE zone_id ="
                                         " (SELECT id FROM zone WHERE name = 'two.')"),
                     3); /* ns, a, b.c */
    assert_int_equal(testdb_count(f->st, "SELECT count(*) FROM node_dirty"), 0);
    assert_int_equal(testdb_count(f->st, "SELECT count(*) FROM node_bulk"), 0);
    struct zonedb_reader *r;
    struct zonedb_node nd = read_node(f->t.path, "big.two.", &r);
    assert_int_equal(nd.nrr, 200);
    zonedb_reader_close(r);
    assert_int_equal(check_run(f->t.path, no_finding, NULL, NULL, &d), 0);
    assert_int_equal(zone_del(f->nm, "two.", true, "t", &d), 0);
    assert_int_equal(testdb_count(f->st, "SELECT count(*) FROM node WHERE zone_id NOT IN"
                                         " (SELECT id FROM zone)"),
                     0);
    assert_int_equal(testdb_count(f->st, "SELECT count(*) FROM node_dirty"), 0);
    assert_int_equal(testdb_count(f->st, "SELECT count(*) FROM node_bulk"), 0);
}

/* The hash is what is stored: it must not change without a migration. */
static void test_hash_is_stable(void **state)
{
    (void)state;
    assert_true(node__hash(1, (const uint8_t *)"lab\0www\0", 8) ==
                node__hash(1, (const uint8_t *)"lab\0www\0", 8));
    assert_true(node__hash(1, (const uint8_t *)"lab\0www\0", 8) !=
                node__hash(2, (const uint8_t *)"lab\0www\0", 8));
    assert_true(node__hash(0, NULL, 0) == (int64_t)0x4c5958c2e7015a35ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rows_follow_every_change, setup,
                                        testdb_names_teardown),
        cmocka_unit_test_setup_teardown(test_reader_uses_the_row_and_checks_its_name, setup,
                                        testdb_names_teardown),
        cmocka_unit_test_setup_teardown(test_change_by_another_program, setup,
                                        testdb_names_teardown),
        cmocka_unit_test_setup_teardown(test_emptied_table_is_rebuilt_at_start, setup,
                                        testdb_names_teardown),
        cmocka_unit_test_setup_teardown(test_import_delete_and_big_names, setup,
                                        testdb_names_teardown),
        cmocka_unit_test(test_hash_is_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
