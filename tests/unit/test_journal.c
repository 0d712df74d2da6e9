/* Unit tests of the IXFR journal (db/journal.h) and the differences read from it
 * (db/zonexfr.h): one version per committed transaction, nothing from a rollback, the bound,
 * a deleted zone's history gone, an import restarting it, condensation and TTL changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dnsmsg.h"
#include "common/serial.h"
#include "db/journal.h"
#include "db/rrset.h"
#include "db/store_int.h"
#include "db/zone.h"
#include "db/zonexfr.h"
#include "tests/lib/testdb.h"

static const uint8_t lab[] = "\3lab";

static int64_t zone_id_of(struct testdb_names *f)
{
    return testdb_count(f->st, "SELECT id FROM zone WHERE name = 'lab.'");
}

static uint32_t serial(struct names *nm)
{
    struct zone_info z;
    struct lana_diag d;
    assert_int_equal(zone_get(nm, "lab.", &z, &d), 0);
    return z.serial;
}

static void txt(struct names *nm, const char *owner, const char *data)
{
    struct lana_diag d;
    if (rrset_add(nm, owner, "TXT", data, "t", &d) != 0)
        fail_msg("rrset_add %s: %s", owner, d.msg);
}

static void untxt(struct names *nm, const char *owner)
{
    struct lana_diag d;
    if (rrset_del(nm, owner, "TXT", NULL, "t", NULL, &d) != 0)
        fail_msg("rrset_del %s: %s", owner, d.msg);
}

/* What an IXFR from since gets: its kind, and the records between the SOAs as lines
 * "owner TYPE ttl" with a '-' or '+' for the removed or added part. */
static enum zonexfr_kind diff(const char *path, uint32_t since, char *out, size_t size)
{
    struct zonexfr *x;
    struct zonexfr_rr rr;
    struct lana_diag d;
    if (zonexfr_open(path, lab, &since, &x, &d) != 0)
        fail_msg("zonexfr_open: %s", d.msg);
    enum zonexfr_kind k = zonexfr_kind(x);
    size_t len = 0;
    int soas = 0, rc;
    out[0] = '\0';
    while ((rc = zonexfr_next(x, &rr, &d)) == 1) {
        char owner[DNAME_TEXT_MAX], type[16];
        if (rr.type == DNS_T_SOA) {
            soas++;
            continue;
        }
        dname_to_text(rr.owner, owner, sizeof owner);
        len += (size_t)snprintf(out + len, size - len, "%c%s %s %u\n", soas == 1 ? '-' : '+',
                                owner, dnsmsg_type_name(rr.type, type, sizeof type), rr.ttl);
        assert_true(len < size);
    }
    assert_int_equal(rc, 0);
    if (k == ZONEXFR_INCR)
        assert_int_equal(soas, 2);
    zonexfr_close(x);
    return k;
}

static void test_journal_one_version_per_commit_none_for_a_rollback(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    char buf[4096];
    assert_int_equal(zone_add(f->nm, "lab.", NULL, 0, "t", NULL, &d), 0);
    uint32_t s0 = serial(f->nm);
    int64_t v0 = testdb_count(f->st, "SELECT count(*) FROM journal_version");
    txt(f->nm, "a.lab.", "\"one\"");
    assert_int_equal(testdb_count(f->st, "SELECT count(*) FROM journal_version"), v0 + 1);
    /* two changes, two serial bumps, one transaction: one version */
    assert_int_equal(store_begin(f->st, &d), 0);
    txt(f->nm, "b.lab.", "\"two\"");
    txt(f->nm, "c.lab.", "\"three\"");
    assert_int_equal(store_commit(f->st, &d), 0);
    assert_int_equal(testdb_count(f->st, "SELECT count(*) FROM journal_version"), v0 + 2);
    uint32_t s2 = serial(f->nm);
    /* a rolled back change leaves neither rows nor a version */
    int64_t rows = testdb_count(f->st, "SELECT count(*) FROM journal");
    assert_int_equal(store_begin(f->st, &d), 0);
    txt(f->nm, "gone.lab.", "\"never\"");
    store_rollback(f->st);
    assert_int_equal(testdb_count(f->st, "SELECT count(*) FROM journal"), rows);
    assert_int_equal(serial(f->nm), s2);
    /* from each committed version, what came after it */
    assert_int_equal(diff(f->t.path, s0, buf, sizeof buf), ZONEXFR_INCR);
    assert_string_equal(buf, "+a.lab. TXT 300\n+b.lab. TXT 300\n+c.lab. TXT 300\n");
    assert_int_equal(diff(f->t.path, s0 + 1, buf, sizeof buf), ZONEXFR_INCR);
    assert_string_equal(buf, "+b.lab. TXT 300\n+c.lab. TXT 300\n");
    /* the serial between b and c was never committed: no client can hold it */
    assert_int_equal(s2, s0 + 3); /* the date policy steps one per change within a day */
    assert_int_equal(diff(f->t.path, s0 + 2, buf, sizeof buf), ZONEXFR_FULL);
    assert_int_equal(diff(f->t.path, s2, buf, sizeof buf), ZONEXFR_CURRENT);
    assert_string_equal(buf, "");
}

/* A record added and removed between the versions cancels out; one removed since is sent as
 * removed; a TTL change is the record removed with the old TTL and added with the new. */
static void test_journal_condenses_and_carries_ttl_changes(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    char buf[4096];
    assert_int_equal(zone_add(f->nm, "lab.", NULL, 0, "t", NULL, &d), 0);
    txt(f->nm, "old.lab.", "\"x\"");
    txt(f->nm, "ttl.lab.", "\"y\"");
    uint32_t base = serial(f->nm);
    txt(f->nm, "flash.lab.", "\"z\"");
    untxt(f->nm, "flash.lab.");
    untxt(f->nm, "old.lab.");
    txt(f->nm, "new.lab.", "\"w\"");
    assert_int_equal(store_begin(f->st, &d), 0);
    assert_int_equal(sqlite3_exec(f->st->db, "UPDATE rr SET ttl = 60 WHERE type = 16 AND"
                                             " key = x'6c61620074746c00'", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(zone_touch(f->st, zone_id_of(f), NULL, ZONE_TOUCH_SERIAL, &d), 0);
    assert_int_equal(store_commit(f->st, &d), 0);
    assert_int_equal(diff(f->t.path, base, buf, sizeof buf), ZONEXFR_INCR);
    assert_string_equal(buf, "-old.lab. TXT 300\n-ttl.lab. TXT 300\n"
                             "+new.lab. TXT 300\n+ttl.lab. TXT 60\n");
}

/* journal_serials_set(3): a zone keeps three versions after its base; older serials get the
 * whole zone, and the rows before the oldest base are gone. */
static void test_journal_bound_drops_the_oldest(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    char buf[8192];
    journal_serials_set(3);
    assert_int_equal(zone_add(f->nm, "lab.", NULL, 0, "t", NULL, &d), 0);
    uint32_t s[8];
    for (int i = 0; i < 8; i++) {
        char owner[32];
        snprintf(owner, sizeof owner, "h%d.lab.", i);
        txt(f->nm, owner, "\"v\"");
        s[i] = serial(f->nm);
    }
    int64_t zid = zone_id_of(f);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM journal_version WHERE zone_id = %lld",
             (long long)zid);
    assert_int_equal(testdb_count(f->st, sql), 4);
    assert_int_equal(diff(f->t.path, s[3], buf, sizeof buf), ZONEXFR_FULL);
    assert_int_equal(diff(f->t.path, s[4], buf, sizeof buf), ZONEXFR_INCR);
    assert_string_equal(buf, "+h5.lab. TXT 300\n+h6.lab. TXT 300\n+h7.lab. TXT 300\n");
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM journal WHERE zone_id = %lld AND seq <="
             " (SELECT min(seq) FROM journal_version WHERE zone_id = %lld)",
             (long long)zid, (long long)zid);
    assert_int_equal(testdb_count(f->st, sql), 0);
    journal_serials_set(JOURNAL_SERIALS_DEFAULT);
}

/* A large bound is trimmed in steps (an eighth of it, at most 32 commits): the count stays
 * between bound + 1 and bound + step, every version of the bound still answers with a
 * difference, and a new connection's first commit trims at once to an exact small bound. */
static void test_journal_trims_in_steps(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    char buf[8192];
    journal_serials_set(160); /* a step of 20 */
    assert_int_equal(zone_add(f->nm, "lab.", NULL, 0, "t", NULL, &d), 0);
    int64_t zid = zone_id_of(f);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM journal_version WHERE zone_id = %lld",
             (long long)zid);
    static uint32_t s[400];
    int64_t most = 0, trims = 0, last = 0;
    for (int i = 0; i < 400; i++) {
        char owner[32];
        snprintf(owner, sizeof owner, "h%d.lab.", i);
        txt(f->nm, owner, "\"v\"");
        s[i] = serial(f->nm);
        int64_t n = testdb_count(f->st, sql);
        assert_true(n <= 160 + 20);
        if (i >= 200)
            assert_true(n >= 161);
        trims += n < last;
        most = n > most ? n : most;
        last = n;
    }
    assert_int_equal(most, 180); /* one trim per 20 commits, not one per commit */
    assert_true(trims >= 10 && trims <= 12);
    assert_int_equal(diff(f->t.path, s[399 - 160], buf, sizeof buf), ZONEXFR_INCR);
    /* what a process that commits once (an offline import) sees: its first seal trims */
    f->st->journal_trimmed = 0;
    f->st->journal_seals = 0;
    journal_serials_set(5);
    txt(f->nm, "last.lab.", "\"v\"");
    assert_int_equal(testdb_count(f->st, sql), 6);
    journal_serials_set(JOURNAL_SERIALS_DEFAULT);
}

/* A deleted zone takes its history with it, and an import starts a zone's history at the
 * imported version: from it a difference, from before it the whole zone. */
static void test_journal_zone_delete_and_import(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    char buf[4096];
    assert_int_equal(zone_add(f->nm, "lab.", NULL, 0, "t", NULL, &d), 0);
    txt(f->nm, "a.lab.", "\"one\"");
    int64_t zid = zone_id_of(f);
    assert_int_equal(zone_del(f->nm, "lab.", true, "t", &d), 0);
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT (SELECT count(*) FROM journal WHERE zone_id = %lld) +"
             " (SELECT count(*) FROM journal_version WHERE zone_id = %lld)",
             (long long)zid, (long long)zid);
    assert_int_equal(testdb_count(f->st, sql), 0);
    /* a serial past the deleted zone's (an older one would be stepped past it) */
    assert_int_equal(testdb_import(&f->t, "$ORIGIN lab.\n@ 3600 SOA ns1 hm 4000000000 2 3 4 5\n"
                                          "@ NS ns1\nns1 A 198.18.0.1\nx TXT \"x\"\n"),
                     0);
    zid = zone_id_of(f);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM journal_version WHERE zone_id = %lld AND serial = x'ee6b2800'",
             (long long)zid);
    assert_int_equal(testdb_count(f->st, sql), 1);
    txt(f->nm, "b.lab.", "\"two\"");
    assert_int_equal(diff(f->t.path, 4000000000u, buf, sizeof buf), ZONEXFR_INCR);
    assert_string_equal(buf, "+b.lab. TXT 300\n");
    assert_int_equal(diff(f->t.path, 3999999999u, buf, sizeof buf), ZONEXFR_FULL);
}

/* Every version has a serial of its own: records changed without a new serial get one at the
 * commit, and a new serial alone is a version (its difference is empty). */
static void test_journal_every_version_has_its_own_serial(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    char buf[4096];
    assert_int_equal(zone_add(f->nm, "lab.", NULL, 0, "t", NULL, &d), 0);
    txt(f->nm, "a.lab.", "\"one\"");
    uint32_t s1 = serial(f->nm);
    char sql[256];
    snprintf(sql, sizeof sql, "INSERT INTO rr (zone_id, key, type, rdata, ttl) VALUES (%lld,"
             " x'6c61620072617700', 16, x'03726177', 300)", (long long)zone_id_of(f));
    assert_int_equal(store_begin(f->st, &d), 0);
    assert_int_equal(sqlite3_exec(f->st->db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(store_commit(f->st, &d), 0);
    uint32_t s2 = serial(f->nm);
    assert_true(s2 != s1);
    assert_int_equal(diff(f->t.path, s1, buf, sizeof buf), ZONEXFR_INCR);
    assert_string_equal(buf, "+raw.lab. TXT 300\n");
    assert_int_equal(store_begin(f->st, &d), 0);
    assert_int_equal(zone_touch(f->st, zone_id_of(f), NULL, ZONE_TOUCH_SERIAL, &d), 0);
    assert_int_equal(store_commit(f->st, &d), 0);
    assert_true(serial(f->nm) != s2);
    assert_int_equal(diff(f->t.path, s2, buf, sizeof buf), ZONEXFR_INCR);
    assert_string_equal(buf, "");
}

/* A zone deleted and made again, or replaced by an import, never names a state of the old
 * zone with one of its serials: its serials step past the last one the old zone had. */
static void test_journal_a_new_zone_passes_the_old_serials(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    char buf[4096];
    assert_int_equal(zone_add(f->nm, "lab.", NULL, 0, "t", NULL, &d), 0);
    for (int i = 0; i < 5; i++) {
        char data[16];
        snprintf(data, sizeof data, "\"%d\"", i);
        txt(f->nm, "a.lab.", data);
    }
    uint32_t old = serial(f->nm);
    assert_int_equal(zone_del(f->nm, "lab.", true, "t", &d), 0);
    assert_int_equal(zone_add(f->nm, "lab.", NULL, 0, "t", NULL, &d), 0);
    uint32_t again = serial(f->nm);
    assert_true(serial_lt(old, again));
    /* a secondary of the old zone gets the new one whole */
    assert_int_equal(diff(f->t.path, old, buf, sizeof buf), ZONEXFR_FULL);
    /* an import with an older serial: the next change still passes the one before it */
    txt(f->nm, "b.lab.", "\"z\"");
    uint32_t before = serial(f->nm);
    assert_int_equal(testdb_import(&f->t, "$ORIGIN lab.\n@ 3600 SOA ns1 hm 7 2 3 4 5\n"
                                          "@ NS ns1\nns1 A 198.18.0.1\n"),
                     0);
    /* the import itself steps past the serial it replaced: secondaries take the new records */
    uint32_t imported = serial(f->nm);
    assert_true(serial_lt(before, imported));
    assert_int_equal(diff(f->t.path, before, buf, sizeof buf), ZONEXFR_FULL);
    txt(f->nm, "c.lab.", "\"w\"");
    assert_true(serial_lt(imported, serial(f->nm)));
}

/* The owners collected by zonexfr_changes, as text "key-hex,key-hex,..." (the apex's key
 * "6c616200"); stops with 7 after stop_after owners. */
struct owners {
    char text[512];
    int n, stop_after;
};

static int collect_owner(void *arg, const uint8_t *key, size_t klen)
{
    struct owners *o = arg;
    size_t len = strlen(o->text);
    for (size_t i = 0; i < klen && len + 3 < sizeof o->text; i++, len += 2)
        snprintf(o->text + len, sizeof o->text - len, "%02x", key[i]);
    snprintf(o->text + len, sizeof o->text - len, ",");
    return ++o->n == o->stop_after ? 7 : 0;
}

/* zonexfr_changes names every owner changed between a version and the snapshot, once each,
 * in the zone's order; not for another serial of that version, nor from the newest. */
static void test_zonexfr_changes_names_the_changed_owners(void **state)
{
    struct testdb_names *f = *state;
    struct zonexfr *x;
    struct owners o = {{0}, 0, 0};
    struct lana_diag d;
    assert_int_equal(zone_add(f->nm, "lab.", NULL, 0, "t", NULL, &d), 0);
    txt(f->nm, "a.lab.", "\"one\"");
    txt(f->nm, "keep.lab.", "\"one\"");
    assert_int_equal(zonexfr_open(f->t.path, lab, NULL, &x, NULL), 0);
    int64_t v1 = zonexfr_version(x);
    uint32_t s1 = serial(f->nm);
    assert_true(v1 > 0);
    assert_int_equal(zonexfr_changes(x, v1, s1, collect_owner, &o, NULL), LANA_ENOTFOUND);
    zonexfr_close(x);
    txt(f->nm, "m.lab.", "\"two\"");
    txt(f->nm, "b.lab.", "\"two\"");
    untxt(f->nm, "a.lab.");
    txt(f->nm, "m.lab.", "\"three\"");
    assert_int_equal(zonexfr_open(f->t.path, lab, NULL, &x, NULL), 0);
    assert_true(zonexfr_version(x) > v1);
    assert_int_equal(zonexfr_changes(x, v1, s1, collect_owner, &o, NULL), 0);
    /* the apex (its serial), a, b, m: keys are the labels reversed, each ended by a 0 */
    assert_string_equal(o.text, "6c616200,6c6162006100,6c6162006200,6c6162006d00,");
    assert_int_equal(zonexfr_changes(x, v1, s1 + 1, collect_owner, &o, NULL), LANA_ENOTFOUND);
    o = (struct owners){{0}, 0, 2};
    assert_int_equal(zonexfr_changes(x, v1, s1, collect_owner, &o, NULL), 7);
    assert_int_equal(o.n, 2);
    zonexfr_close(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_journal_one_version_per_commit_none_for_a_rollback,
                                        testdb_names_setup, testdb_names_teardown),
        cmocka_unit_test_setup_teardown(test_journal_condenses_and_carries_ttl_changes,
                                        testdb_names_setup, testdb_names_teardown),
        cmocka_unit_test_setup_teardown(test_journal_bound_drops_the_oldest, testdb_names_setup,
                                        testdb_names_teardown),
        cmocka_unit_test_setup_teardown(test_journal_trims_in_steps, testdb_names_setup,
                                        testdb_names_teardown),
        cmocka_unit_test_setup_teardown(test_journal_zone_delete_and_import, testdb_names_setup,
                                        testdb_names_teardown),
        cmocka_unit_test_setup_teardown(test_journal_every_version_has_its_own_serial,
                                        testdb_names_setup, testdb_names_teardown),
        cmocka_unit_test_setup_teardown(test_journal_a_new_zone_passes_the_old_serials,
                                        testdb_names_setup, testdb_names_teardown),
        cmocka_unit_test_setup_teardown(test_zonexfr_changes_names_the_changed_owners,
                                        testdb_names_setup, testdb_names_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
