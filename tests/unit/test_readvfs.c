/* Unit tests of db/readvfs through db/zonedb: a reader keeps its mapping of the database
 * across another connection's commits (its pages do not fault in again), and reads right
 * after the file grew past the mapping and after it shrank (VACUUM, then a truncating
 * checkpoint). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "db/store_int.h"
#include "db/zonedb.h"
#include "tests/lib/testdb.h"

#define HOSTS 100000

static int setup(void **state)
{
    struct testdb *t = calloc(1, sizeof *t);
    size_t cap = 64 + (size_t)HOSTS * 64, n = 0;
    char *zone = malloc(cap);
    if (t == NULL || zone == NULL || testdb_make(t) != 0)
        return -1;
    n += (size_t)snprintf(zone + n, cap - n,
                          "$ORIGIN lab.\n$TTL 60\n@ SOA ns hm 1 2 3 4 30\n@ NS ns\n");
    for (int i = 0; i < HOSTS; i++)
        n += (size_t)snprintf(zone + n, cap - n, "h%d A 198.18.%d.%d\nh%d AAAA 2001:db8::%x:%x\n", i,
                              i / 256 % 256, i % 256, i, i >> 16, i & 0xffff);
    int rc = testdb_import(t, zone);
    free(zone);
    if (rc != 0)
        return -1;
    *state = t;
    return 0;
}

static long minor_faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

/* Reads hosts [from, to) as a worker does (one snapshot); returns how many have 2 records. */
static int read_hosts(struct zonedb_reader *r, int from, int to)
{
    uint8_t wire[DNAME_MAXLEN], key[DNAME_KEY_MAX];
    char name[32];
    int found = 0;
    assert_true(zonedb_reader_sync(r, NULL) >= 0);
    zonedb_reader_hold(r);
    for (int i = from; i < to; i++) {
        snprintf(name, sizeof name, "h%d.lab.", i);
        assert_true(dname_from_text(name, NULL, wire, NULL) > 0);
        size_t k = dname_key(wire, key);
        const struct zonedb_zone *z = zonedb_find_zone(r, key, k);
        assert_non_null(z);
        struct zonedb_node node;
        assert_int_equal(zonedb_node_get(r, z, key, k, &node), 0);
        found += node.nrr == 2;
    }
    zonedb_reader_release(r);
    return found;
}

static void exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err);
}

/* A worker's reader and another connection that writes, on the same database. */
static void open_pair(const struct testdb *t, struct zonedb_reader **r, sqlite3 **w)
{
    assert_int_equal(zonedb_reader_open(t->path, r, NULL), 0);
    assert_int_equal(sqlite3_open(t->path, w), SQLITE_OK);
    sqlite3_busy_timeout(*w, 5000);
}

static void test_readvfs_keeps_the_mapping_across_commits(void **state)
{
    struct zonedb_reader *r;
    sqlite3 *w;
    open_pair(*state, &r, &w);
    long f0 = minor_faults();
    assert_int_equal(read_hosts(r, 0, HOSTS), HOSTS);
    long first = minor_faults() - f0;
    unsigned long unmaps = store__read_vfs_unmaps();
    for (int round = 0; round < 3; round++) {
        /* a commit elsewhere that leaves the file's size alone (and no record changes: those
         * would send the reader from table node to rr until lanad rewrites their rows) */
        exec(w, "UPDATE zone SET updated = updated + 1");
        f0 = minor_faults();
        assert_int_equal(read_hosts(r, 0, HOSTS), HOSTS);
        long again = minor_faults() - f0;
        /* SQLite alone unmaps the file here, and every page faults in again */
        assert_int_equal(store__read_vfs_unmaps(), unmaps);
#ifdef __SANITIZE_ADDRESS__ /* the sanitizer's own memory faults in by the thousand */
        (void)again;
        (void)first;
#else
        if (again * 2 > first)
            fail_msg("round %d: %ld page faults after a commit, %ld for the first read", round,
                     again, first);
#endif
    }
    sqlite3_close(w);
    zonedb_reader_close(r);
}

static void test_readvfs_reads_right_after_the_file_grows_and_shrinks(void **state)
{
    struct zonedb_reader *r;
    sqlite3 *w;
    open_pair(*state, &r, &w);
    assert_int_equal(read_hosts(r, 0, HOSTS), HOSTS);
    unsigned long unmaps = store__read_vfs_unmaps();
    /* growth: as many hosts again, in a few commits, each checkpointed into the file */
    sqlite3_stmt *ins;
    assert_int_equal(sqlite3_prepare_v2(w, "INSERT INTO rr (zone_id, key, type, rdata, ttl)"
                                           " VALUES (1, ?1, ?2, ?3, 60)", -1, &ins, NULL),
                     SQLITE_OK);
    for (int part = 0; part < 4; part++) {
        exec(w, "BEGIN");
        for (int i = HOSTS + part * (HOSTS / 4); i < HOSTS + (part + 1) * (HOSTS / 4); i++) {
            /* the key: labels from the root down, each followed by 0 (common/dname.h) */
            uint8_t key[32];
            int klen = snprintf((char *)key, sizeof key, "lab%ch%d%c", 0, i, 0);
            uint8_t a[4] = {198, 18, (uint8_t)(i >> 8), (uint8_t)i};
            uint8_t aaaa[16] = {0x20, 0x01, 0x0d, 0xb8, [13] = (uint8_t)(i >> 16),
                                (uint8_t)(i >> 8), (uint8_t)i};
            for (int ty = 0; ty < 2; ty++) {
                sqlite3_bind_blob(ins, 1, key, klen, SQLITE_STATIC);
                sqlite3_bind_int(ins, 2, ty == 0 ? 1 : 28);
                sqlite3_bind_blob(ins, 3, ty == 0 ? a : aaaa, ty == 0 ? 4 : 16, SQLITE_STATIC);
                assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
                sqlite3_reset(ins);
            }
        }
        exec(w, "COMMIT");
        exec(w, "PRAGMA wal_checkpoint(TRUNCATE)");
        assert_int_equal(read_hosts(r, 0, HOSTS + (part + 1) * (HOSTS / 4)),
                         HOSTS + (part + 1) * (HOSTS / 4));
    }
    sqlite3_finalize(ins);
    /* the file grew well past the slack: the mapping was made again, at least once */
    assert_true(store__read_vfs_unmaps() > unmaps);
    unmaps = store__read_vfs_unmaps();
    /* shrinking: most hosts go, VACUUM rewrites the file, the checkpoint truncates it */
    sqlite3_int64 before = 0, after = 0;
    sqlite3_stmt *s;
    const char *size_sql = "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size";
    assert_int_equal(sqlite3_prepare_v2(w, size_sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    before = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    exec(w, "UPDATE zone SET journal = 0"); /* no IXFR journal of the changes here */
    exec(w, "DELETE FROM journal");
    exec(w, "DELETE FROM rr WHERE type IN (1, 28) AND key > x'6c6162006831'"); /* lab\0h1 */
    /* no lookup table (as if emptied by hand), nothing noted: the readers read rr */
    exec(w, "DELETE FROM node; DELETE FROM node_zone; DELETE FROM node_dirty");
    exec(w, "VACUUM");
    exec(w, "PRAGMA wal_checkpoint(TRUNCATE)");
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    after = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (after * 4 >= before)
        fail_msg("the file went from %lld to %lld bytes only", (long long)before, (long long)after);
    /* h0 is left (its key sorts before "lab\0h1"); the rest are gone, and looking for them
     * touches no page past the end of the shorter file */
    assert_int_equal(read_hosts(r, 0, 1), 1);
    assert_true(store__read_vfs_unmaps() > unmaps); /* a smaller file: mapped again */
    assert_int_equal(read_hosts(r, 1, HOSTS * 2), 0);
    sqlite3_close(w);
    zonedb_reader_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_readvfs_keeps_the_mapping_across_commits, setup,
                                        testdb_teardown),
        cmocka_unit_test_setup_teardown(test_readvfs_reads_right_after_the_file_grows_and_shrinks,
                                        setup, testdb_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
