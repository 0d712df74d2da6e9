/* Unit tests of db/rrset: records given as text, with their conflicts (CNAME alone at its
 * name, duplicates, the apex keeps an NS), as the exported zone shows them. */
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
#include "db/rrset.h"
#include "db/service.h"
#include "db/store.h"
#include "db/store_int.h"
#include "db/zone.h"
#include "tests/lib/testdb.h"

static const struct host_addr_spec AUTO = {HOST_ADDR_AUTO, {0}, false},
                                   NONE = {HOST_ADDR_NONE, {0}, false};

static void test_records_add_del_and_their_conflicts(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    struct host_info h;
    assert_int_equal(zone_add(f->nm, "lab", NULL, 0, "t", NULL, &d), 0);
    assert_int_equal(host_add(f->nm, "web.lab", &AUTO, &NONE, NULL, "t", &h, &d), 0);
    assert_int_equal(rrset_add(f->nm, "www.lab", "CNAME", "web.lab.", "t", &d), 0);
    assert_int_equal(rrset_add(f->nm, "www.lab", "TXT", "\"x\"", "t", &d), LANA_ECONFLICT);
    assert_int_equal(rrset_add(f->nm, "web.lab", "CNAME", "x.lab.", "t", &d), LANA_ECONFLICT);
    assert_int_equal(rrset_add(f->nm, "lab", "MX", "10 web.lab.", "t", &d), 0);
    assert_int_equal(rrset_add(f->nm, "lab", "MX", "10 web.lab.", "t", &d), LANA_ECONFLICT);
    assert_int_equal(rrset_add(f->nm, "lab", "MX", "ten web.lab.", "t", &d), LANA_EPARSE);
    assert_int_equal(rrset_add(f->nm, "x.example.", "TXT", "\"a\"", "t", &d), LANA_ENOTFOUND);
    assert_int_equal(rrset_add(f->nm, "web.lab", "A", "1.2.3.4", "t", &d), LANA_EPARSE);
    assert_int_equal(rrset_add(f->nm, "sub.lab", "NS", "ns.elsewhere.", "t", &d), 0);
    assert_int_equal(rrset_add(f->nm, "t.lab", "TXT", "\"two words\" \"q\\\"uote\"", "t", &d), 0);
    const char *text = testdb_export(f->st, "lab.");
    assert_non_null(strstr(text, "www.lab.\t300\tIN\tCNAME\tweb.lab."));
    assert_non_null(strstr(text, "t.lab.\t300\tIN\tTXT\t\"two words\" \"q\\\"uote\""));
    int64_t n = 0;
    assert_int_equal(rrset_del(f->nm, "lab", "MX", NULL, "t", &n, &d), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rrset_del(f->nm, "lab", "MX", NULL, "t", &n, &d), LANA_ENOTFOUND);
    assert_int_equal(rrset_del(f->nm, "lab", "NS", NULL, "t", &n, &d), LANA_ECONFLICT);
}

/* Writers reuse prepared statements; one that SQLite prepares anew each time its parameters
 * change (a value matched against a partial index's condition) costs a parse per record. */
static void test_host_and_record_churn_never_prepares_a_statement_anew(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    struct host_info h;
    assert_int_equal(zone_add(f->nm, "lab", NULL, 0, "t", NULL, &d), 0);
    for (sqlite3_stmt *s = sqlite3_next_stmt(f->st->db, NULL); s != NULL;
         s = sqlite3_next_stmt(f->st->db, s))
        sqlite3_stmt_status(s, SQLITE_STMTSTATUS_REPREPARE, 1);
    for (int i = 0; i < 20; i++) {
        char name[32];
        snprintf(name, sizeof name, "h%d.lab", i % 3);
        assert_int_equal(host_add(f->nm, name, &AUTO, &AUTO, NULL, "t", &h, &d), 0);
        assert_int_equal(rrset_add(f->nm, name, "TXT", "\"x\"", "t", &d), 0);
        assert_int_equal(rrset_add(f->nm, name, "MX", "10 h0.lab.", "t", &d), 0);
        int64_t n;
        assert_int_equal(rrset_del(f->nm, name, "MX", NULL, "t", &n, &d), 0);
        assert_int_equal(rrset_del(f->nm, name, "TXT", "\"x\"", "t", &n, &d), 0);
        assert_int_equal(host_del(f->nm, name, "t", &d), 0);
    }
    int again = 0;
    for (sqlite3_stmt *s = sqlite3_next_stmt(f->st->db, NULL); s != NULL;
         s = sqlite3_next_stmt(f->st->db, s)) {
        int k = sqlite3_stmt_status(s, SQLITE_STMTSTATUS_REPREPARE, 0);
        if (k > 0)
            fprintf(stderr, "prepared anew %d times: %s\n", k, sqlite3_sql(s));
        again += k;
    }
    assert_int_equal(again, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_records_add_del_and_their_conflicts,
                                        testdb_names_setup, testdb_names_teardown),
        cmocka_unit_test_setup_teardown(test_host_and_record_churn_never_prepares_a_statement_anew,
                                        testdb_names_setup, testdb_names_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
