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

/* The key of a name (common/dname.h). */
static size_t key_of(const char *name, uint8_t *key)
{
    uint8_t w[DNAME_MAXLEN];
    assert_true(dname_from_text(name, NULL, w, NULL) > 0);
    return dname_key(w, key);
}

/* Looks a name up in table node as a worker does (the zone's level and split, the bucket, its
 * directory), through a connection of its own: the rowid of its bucket and its packing into
 * pack (NODE_PACK_MAX bytes), whose length it returns; -1 when the name is not there. */
static int lookup(const char *path, const char *zone, const char *name, int64_t *rowid,
                  uint8_t *pack)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    uint8_t key[DNAME_KEY_MAX];
    size_t klen = key_of(name, key);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT z.id, coalesce(p.level, 0),"
                                        " coalesce(p.split, 0) FROM zone z LEFT JOIN node_zone"
                                        " p ON p.zone_id = z.id WHERE z.name = ?1",
                                        -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(s, 1, zone, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t id = sqlite3_column_int64(s, 0);
    uint64_t h = node__hash(id, key, klen);
    *rowid = node__rowid(id, node__bucket((unsigned)sqlite3_column_int(s, 1),
                                          (uint32_t)sqlite3_column_int64(s, 2), h));
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT v FROM node WHERE b = ?1", -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(s, 1, *rowid);
    int len = -1;
    const uint8_t *p;
    size_t plen;
    if (sqlite3_step(s) == SQLITE_ROW &&
        node__find(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), node__tag(h), key,
                   klen, &p, &plen) == 1) {
        memcpy(pack, p, plen);
        len = (int)plen;
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return len;
}

/* The names table node holds, over every bucket whose rowid satisfies the SQL condition. */
static int entries(const char *path, const char *where)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT v FROM node WHERE %s", where);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    int n = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
        int k =
            node__entries(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), NULL, 0);
        assert_true(k >= 0);
        n += k;
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

/* Replaces a name's entry in its bucket, behind lanad's back: with another packing, or (to
 * != NULL) with the same packing under another name, its tag kept. */
static void tamper(const char *path, const char *name, const uint8_t *pack, size_t plen,
                   const char *to)
{
    static struct node_entry e[1024];
    static uint8_t row[NODE_ROW_MAX], out[NODE_ROW_MAX], old[NODE_PACK_MAX];
    int64_t rowid;
    uint8_t key[DNAME_KEY_MAX], tokey[DNAME_KEY_MAX];
    size_t klen = key_of(name, key);
    assert_true(lookup(path, "lab.", name, &rowid, old) > 0);
    sqlite3 *db;
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT v FROM node WHERE b = ?1", -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(s, 1, rowid);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    size_t len = (size_t)sqlite3_column_bytes(s, 0);
    memcpy(row, sqlite3_column_blob(s, 0), len);
    sqlite3_finalize(s);
    int n = node__entries(row, len, e, 1024);
    assert_true(n > 0);
    for (int i = 0; i < n; i++) {
        if (e[i].klen != klen || memcmp(e[i].key, key, klen) != 0)
            continue;
        if (pack != NULL) {
            e[i].pack = pack;
            e[i].plen = (uint16_t)plen;
        }
        if (to != NULL) {
            e[i].klen = (uint16_t)key_of(to, tokey);
            e[i].key = tokey;
        }
    }
    len = node__encode(e, (size_t)n, out);
    assert_true(len > 0);
    assert_int_equal(sqlite3_prepare_v2(db, "UPDATE node SET v = ?2 WHERE b = ?1", -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(s, 1, rowid);
    sqlite3_bind_blob(s, 2, out, (int)len, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
    sqlite3_close(db);
}

/* one TXT record "x": type 16, TTL 300, rdata 02 01 78 */
static const uint8_t txt_x[] = {0, 16, 0, 0, 1, 44, 0, 2, 1, 'x'};

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
    uint8_t pack[NODE_PACK_MAX];
    int64_t rowid;
    assert_int_equal(lookup(f->t.path, "lab.", "lab.", &rowid, pack), -1); /* the apex */
    /* MX 10 mail.lab. (2 + 10 bytes) and TXT "one" (4), 8 bytes ahead of each */
    assert_int_equal(lookup(f->t.path, "lab.", "www.lab.", &rowid, pack), 8 + 12 + 8 + 4);
    struct zonedb_reader *r;
    struct zonedb_node n = read_node(f->t.path, "www.lab.", &r);
    assert_int_equal(n.nrr, 2);
    zonedb_reader_close(r);
    assert_int_equal(rrset_del(f->nm, "www.lab.", "TXT", NULL, "t", NULL, &d), 0);
    assert_int_equal(rrset_add(f->nm, "new.lab.", "TXT", "\"two\"", "t", &d), 0);
    assert_int_equal(testdb_count(f->st, "SELECT count(*) FROM node_dirty"), 0);
    assert_int_equal(testdb_count(f->st, "SELECT count(*) FROM node_bulk"), 0);
    /* www (MX), new (TXT); the reverse zones' and lab.'s apexes have no entry */
    assert_int_equal(entries(f->t.path, "1"), 2);
    assert_int_equal(check_run(f->t.path, no_finding, NULL, NULL, &d), 0);
    n = read_node(f->t.path, "www.lab.", &r);
    assert_int_equal(n.nrr, 1);
    assert_int_equal(n.rr[0].type, 15);
    zonedb_reader_close(r);
}

/* The worker answers from the name's entry in its bucket (an entry changed behind lanad's back
 * shows); a name not there (an entry of another name under its tag) is read from rr. */
static void test_reader_uses_the_row_and_checks_its_name(void **state)
{
    struct testdb_names *f = *state;
    struct zonedb_reader *r;
    assert_int_equal(entries(f->t.path, "1"), 1); /* www's alone */
    tamper(f->t.path, "www.lab.", txt_x, sizeof txt_x, NULL);
    struct zonedb_node n = read_node(f->t.path, "www.lab.", &r);
    assert_int_equal(n.nrr, 1);
    assert_int_equal(n.rr[0].type, 16);
    assert_memory_equal(n.rr[0].rdata, "\x01x", 2);
    zonedb_reader_close(r);
    struct lana_diag d;
    assert_int_equal(check_run(f->t.path, NULL, NULL, NULL, &d), 1); /* lookup-stale */
    /* the same entry, named as another name (under www's tag): www is read from rr again */
    tamper(f->t.path, "www.lab.", NULL, 0, "other.lab.");
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
    store_close(st);
    uint8_t pack[NODE_PACK_MAX];
    int64_t rowid;
    /* the TXT record alone: 8 bytes and "one" */
    assert_int_equal(lookup(f->t.path, "lab.", "www.lab.", &rowid, pack), 12);
    assert_int_equal(check_run(f->t.path, no_finding, NULL, NULL, &d), 0);
}

/* The way to rebuild the table: empty it; lanad rebuilds it at its next start. */
static void test_emptied_table_is_rebuilt_at_start(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    tamper(f->t.path, "www.lab.", txt_x, sizeof txt_x, NULL);
    assert_int_equal(check_run(f->t.path, NULL, NULL, NULL, &d), 1); /* lookup-stale */
    other(f->t.path, "DELETE FROM node");
    struct store *st;
    assert_int_equal(store_open(f->t.path, &st, NULL, &d), 0);
    store_close(st);
    assert_int_equal(entries(f->t.path, "1"), 1); /* www's again */
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
    assert_int_equal(entries(f->t.path, "b >> 32 = (SELECT id FROM zone WHERE name = 'two.')"),
                     3); /* ns, a, b.c */
    assert_int_equal(testdb_count(f->st, "SELECT count(*) FROM node_dirty"), 0);
    assert_int_equal(testdb_count(f->st, "SELECT count(*) FROM node_bulk"), 0);
    struct zonedb_reader *r;
    struct zonedb_node nd = read_node(f->t.path, "big.two.", &r);
    assert_int_equal(nd.nrr, 200);
    zonedb_reader_close(r);
    assert_int_equal(check_run(f->t.path, no_finding, NULL, NULL, &d), 0);
    assert_int_equal(zone_del(f->nm, "two.", true, "t", &d), 0);
    assert_int_equal(testdb_count(f->st, "SELECT count(*) FROM node WHERE b >> 32 NOT IN"
                                         " (SELECT id FROM zone)"),
                     0);
    assert_int_equal(testdb_count(f->st, "SELECT count(*) FROM node_zone WHERE zone_id NOT IN"
                                         " (SELECT id FROM zone)"),
                     0);
    assert_int_equal(testdb_count(f->st, "SELECT count(*) FROM node_dirty"), 0);
    assert_int_equal(testdb_count(f->st, "SELECT count(*) FROM node_bulk"), 0);
}

/* Names added one at a time: a bucket grown past NODE_SPLIT_AT names makes the zone split
 * one (linear hashing); every name stays where a worker looks for it, every bucket of the
 * level has its row; names removed leave the rest findable. */
static void test_buckets_split_as_the_zone_grows(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    char name[64];
    uint8_t pack[NODE_PACK_MAX];
    int64_t rowid;
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "h%d.lab.", i);
        assert_int_equal(rrset_add(f->nm, name, "TXT", "\"t\"", "t", &d), 0);
    }
    int64_t level = testdb_count(f->st, "SELECT level FROM node_zone WHERE zone_id ="
                                        " (SELECT id FROM zone WHERE name = 'lab.')");
    int64_t split = testdb_count(f->st, "SELECT split FROM node_zone WHERE zone_id ="
                                        " (SELECT id FROM zone WHERE name = 'lab.')");
    assert_true(level >= 3); /* 301 names, 24 at most before a split: 13 buckets or more */
    assert_int_equal(testdb_count(f->st, "SELECT count(*) FROM node WHERE b >> 32 ="
                                         " (SELECT id FROM zone WHERE name = 'lab.')"),
                     (1 << level) + split);
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "h%d.lab.", i);
        assert_int_equal(lookup(f->t.path, "lab.", name, &rowid, pack), 8 + 2);
    }
    assert_int_equal(entries(f->t.path, "1"), 301);
    assert_int_equal(check_run(f->t.path, no_finding, NULL, NULL, &d), 0);
    for (int i = 0; i < 300; i += 2) {
        snprintf(name, sizeof name, "h%d.lab.", i);
        assert_int_equal(rrset_del(f->nm, name, "TXT", NULL, "t", NULL, &d), 0);
    }
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "h%d.lab.", i);
        assert_int_equal(lookup(f->t.path, "lab.", name, &rowid, pack), i % 2 ? 8 + 2 : -1);
    }
    struct zonedb_reader *r;
    struct zonedb_node n = read_node(f->t.path, "h299.lab.", &r);
    assert_int_equal(n.nrr, 1);
    zonedb_reader_close(r);
    assert_int_equal(entries(f->t.path, "1"), 151);
    assert_int_equal(check_run(f->t.path, no_finding, NULL, NULL, &d), 0);
}

/* A bucket written by another program that claims more names than a bucket holds (2000
 * slots, all on one empty entry) is taken as empty by the rewrite that follows: no write past
 * the names lanad keeps (a sanitizer build would stop here), and the name gets its entry. */
static void test_a_bucket_of_too_many_names_is_not_lanads(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    static uint8_t row[2 + 4 * 2000 + 4];
    row[0] = 2000 >> 8;
    row[1] = 2000 & 0xff;
    for (int i = 0; i < 2000; i++) {
        row[4 + 4 * i] = (2 + 4 * 2000) >> 8;
        row[5 + 4 * i] = (2 + 4 * 2000) & 0xff;
    }
    sqlite3 *db;
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_open(f->t.path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "UPDATE node SET v = ?1 WHERE b >> 32 ="
                                        " (SELECT id FROM zone WHERE name = 'lab.')",
                                        -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(s, 1, row, sizeof row, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(s), SQLITE_DONE);
    assert_int_equal(sqlite3_changes(db), 1); /* lab. has one bucket: www's */
    sqlite3_finalize(s);
    sqlite3_close(db);
    assert_true(check_run(f->t.path, NULL, NULL, NULL, &d) > 0); /* lookup-stale */
    assert_int_equal(rrset_add(f->nm, "www.lab.", "TXT", "\"two\"", "t", &d), 0);
    uint8_t pack[NODE_PACK_MAX];
    int64_t rowid;
    assert_int_equal(lookup(f->t.path, "lab.", "www.lab.", &rowid, pack), 8 + 12 + 2 * (8 + 4));
}

/* The hash is what is stored: it must not change without a migration. */
static void test_hash_is_stable(void **state)
{
    (void)state;
    assert_true(node__hash(1, (const uint8_t *)"lab\0www\0", 8) ==
                node__hash(1, (const uint8_t *)"lab\0www\0", 8));
    assert_true(node__hash(1, (const uint8_t *)"lab\0www\0", 8) !=
                node__hash(2, (const uint8_t *)"lab\0www\0", 8));
    assert_true(node__hash(0, NULL, 0) == 0x4c5958c2e7015a35ull);
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
        cmocka_unit_test_setup_teardown(test_buckets_split_as_the_zone_grows, setup,
                                        testdb_names_teardown),
        cmocka_unit_test_setup_teardown(test_a_bucket_of_too_many_names_is_not_lanads, setup,
                                        testdb_names_teardown),
        cmocka_unit_test(test_hash_is_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
