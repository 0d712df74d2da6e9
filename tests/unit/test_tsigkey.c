/* Unit tests of db/tsigkey: TSIG keys and the zones each may transfer, admin only, bad input
 * refused with nothing written, a deleted zone taken off its keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/authz.h"
#include "db/names.h"
#include "db/store.h"
#include "db/tsigkey.h"
#include "db/zone.h"
#include "tests/lib/testdb.h"

static const uint8_t SECRET[64] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

static int count(const struct tsigkey *k, void *arg)
{
    (void)k;
    (*(int *)arg)++;
    return 0;
}

static void wire(const char *text, uint8_t *out)
{
    struct lana_diag d;
    assert_true(dname_from_text(text, NULL, out, &d) > 0);
}

static void test_tsigkey_add_get_transfer_del(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    struct tsigkey k;
    struct tsig_key tk;
    uint8_t kw[DNAME_MAXLEN], zw[DNAME_MAXLEN], ow[DNAME_MAXLEN];
    const char *zones[] = {"Lab"};
    assert_int_equal(zone_add(f->nm, "lab", NULL, 0, "t", NULL, &d), 0);
    assert_int_equal(zone_add(f->nm, "other", NULL, 0, "t", NULL, &d), 0);
    assert_int_equal(tsigkey_add(f->st, "Xfr.Key", TSIG_HMAC_SHA256, SECRET, 32, zones,
                                 1, "t", &k, &d),
                     0);
    assert_string_equal(k.name, "xfr.key.");
    assert_false(k.all_zones);
    assert_int_equal(k.nzones, 1);
    assert_string_equal(k.zones[0], "lab.");
    assert_int_equal(tsigkey_add(f->st, "all", TSIG_HMAC_SHA512, SECRET, 64, NULL, 0, "t", NULL, &d), 0);
    /* what the DNS threads read */
    wire("XFR.key.", kw);
    dname_lower(kw);
    assert_int_equal(tsigkey_lookup(f->st, kw, &tk, &d), 1);
    assert_int_equal(tk.alg, TSIG_HMAC_SHA256);
    assert_int_equal(tk.secret_len, 32);
    assert_memory_equal(tk.secret, SECRET, 32);
    wire("lab.", zw);
    wire("other.", ow);
    assert_int_equal(tsigkey_may_transfer(f->st, kw, zw, &d), 1);
    assert_int_equal(tsigkey_may_transfer(f->st, kw, ow, &d), 0);
    wire("all.", kw);
    assert_int_equal(tsigkey_may_transfer(f->st, kw, ow, &d), 1);
    wire("nobody.", kw);
    assert_int_equal(tsigkey_lookup(f->st, kw, &tk, &d), 0);
    assert_int_equal(tsigkey_may_transfer(f->st, kw, zw, &d), 0);
    int n = 0;
    assert_int_equal(tsigkey_list(f->st, count, &n, &d), 0);
    assert_int_equal(n, 2);
    /* a deleted zone leaves its keys' lists */
    assert_int_equal(zone_del(f->nm, "lab.", false, "t", &d), 0);
    assert_int_equal(tsigkey_get(f->st, "xfr.key", &k, &d), 0);
    assert_int_equal(k.nzones, 0);
    assert_false(k.all_zones);
    assert_int_equal(tsigkey_del(f->st, "xfr.key.", "t", &d), 0);
    assert_int_equal(tsigkey_get(f->st, "xfr.key", &k, &d), LANA_ENOTFOUND);
    assert_int_equal(tsigkey_del(f->st, "xfr.key.", "t", &d), LANA_ENOTFOUND);
}

static void test_tsigkey_refuses_bad_input_and_non_admins(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    const char *nowhere[] = {"lab.", "nowhere."}, *bad[] = {"a..b"};
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    for (size_t i = 63; i < sizeof longname - 1; i += 64)
        longname[i] = '.';
    assert_int_equal(zone_add(f->nm, "lab", NULL, 0, "t", NULL, &d), 0);
    assert_int_equal(tsigkey_add(f->st, "k", TSIG_HMAC_SHA256, SECRET, 32, NULL, 0, "t", NULL, &d), 0);
    char *before = testdb_dump(f->st);
    assert_int_equal(tsigkey_add(f->st, "k.", TSIG_HMAC_SHA1, SECRET, 32, NULL, 0, "t", NULL, &d),
                     LANA_ECONFLICT);
    assert_int_equal(tsigkey_add(f->st, "n", TSIG_ALG_NONE, SECRET, 32, NULL, 0, "t", NULL, &d),
                     LANA_EPARSE);
    assert_int_equal(tsigkey_add(f->st, "n", TSIG_HMAC_SHA1, SECRET, 0, NULL, 0, "t", NULL, &d),
                     LANA_ERANGE);
    assert_int_equal(tsigkey_add(f->st, longname, TSIG_HMAC_SHA1, SECRET, 3, NULL, 0, "t", NULL, &d),
                     LANA_EPARSE);
    assert_int_equal(tsigkey_add(f->st, "a b", TSIG_HMAC_SHA1, SECRET, 3, NULL, 0, "t", NULL, &d),
                     LANA_EPARSE);
    assert_int_equal(tsigkey_add(f->st, ".", TSIG_HMAC_SHA1, SECRET, 3, NULL, 0, "t", NULL, &d),
                     LANA_EPARSE);
    assert_int_equal(tsigkey_add(f->st, "n", TSIG_HMAC_SHA1, SECRET, 3, nowhere, 2, "t", NULL, &d),
                     LANA_ENOTFOUND);
    assert_non_null(strstr(d.msg, "nowhere."));
    assert_int_equal(tsigkey_add(f->st, "n", TSIG_HMAC_SHA1, SECRET, 3, bad, 1, "t", NULL, &d),
                     LANA_EPARSE);
    /* a registrar may not */
    struct authz_who reg = {"r1", AUTHZ_REGISTRAR};
    authz_act(f->st, &reg);
    assert_int_equal(tsigkey_add(f->st, "n", TSIG_HMAC_SHA1, SECRET, 3, NULL, 0, "r1", NULL, &d),
                     LANA_EPERM);
    assert_int_equal(tsigkey_del(f->st, "k", "r1", &d), LANA_EPERM);
    authz_act(f->st, NULL);
    char *after = testdb_dump(f->st);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tsigkey_add_get_transfer_del, testdb_names_setup,
                                        testdb_names_teardown),
        cmocka_unit_test_setup_teardown(test_tsigkey_refuses_bad_input_and_non_admins,
                                        testdb_names_setup, testdb_names_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
