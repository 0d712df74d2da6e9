/* Unit tests of db/catalog: the catalog zone (RFC 9432) lists exactly the zones of the zone
 * table, each once, at labels never given twice; every change steps its serial in the same
 * transaction as the change (a failed zone add or delete leaves the catalog as it was, at
 * every step that can fail); nobody changes it by hand; start-up renames, deletes and
 * re-creates it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db/catalog.h"
#include "db/check.h"
#include "db/class.h"
#include "db/host.h"
#include "db/names.h"
#include "db/rrset.h"
#include "db/store.h"
#include "db/zone.h"
#include "db/zoneio.h"
#include "tests/lib/sqlfault.h"
#include "tests/lib/testdb.h"

#define CAT "catalog.lana.invalid."
#define MAXM 64

struct member {
    char label[64];
    char zone[256];
};

struct view {
    unsigned n; /* members */
    struct member m[MAXM];
    unsigned ns, version, other; /* NS invalid., version TXT "2", anything else but the SOA */
    uint32_t serial;
};

/* The catalog as its master-file export shows it (what AXFR serves, record for record). */
static void read_catalog(struct testdb_names *f, const char *cat, struct view *v)
{
    memset(v, 0, sizeof *v);
    char *text = strdup(testdb_export(f->st, cat));
    char suffix[300];
    snprintf(suffix, sizeof suffix, ".zones.%s", cat);
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char owner[300], klass[8], type[16], data[300];
        long ttl;
        if (line[0] == '$' || sscanf(line, "%299s %ld %7s %15s %299[^\n]", owner, &ttl, klass,
                                     type, data) != 5)
            continue;
        size_t ol = strlen(owner), sl = strlen(suffix);
        if (strcmp(type, "SOA") == 0) {
            unsigned long serial;
            char a[256], b[256];
            assert_int_equal(sscanf(data, "%255s %255s %lu", a, b, &serial), 3);
            v->serial = (uint32_t)serial;
        } else if (strcmp(type, "NS") == 0 && strcmp(owner, cat) == 0 &&
                   strcmp(data, "invalid.") == 0) {
            v->ns++;
        } else if (strcmp(type, "TXT") == 0 && strncmp(owner, "version.", 8) == 0 &&
                   strcmp(owner + 8, cat) == 0 && strcmp(data, "\"2\"") == 0) {
            v->version++;
        } else if (strcmp(type, "PTR") == 0 && ol > sl && strcmp(owner + ol - sl, suffix) == 0 &&
                   v->n < MAXM) {
            struct member *m = &v->m[v->n++];
            snprintf(m->label, sizeof m->label, "%.*s", (int)(ol - sl), owner);
            snprintf(m->zone, sizeof m->zone, "%.255s", data);
        } else {
            v->other++;
        }
    }
    free(text);
}

struct zones {
    unsigned n;
    char name[MAXM][256];
    int64_t cat;
};

static int zone_cb(const struct zone_info *z, void *arg)
{
    struct zones *zs = arg;
    if (z->id != zs->cat && zs->n < MAXM)
        snprintf(zs->name[zs->n++], 256, "%.255s", z->name);
    return 0;
}

/* The catalog is exact: one NS invalid., one version "2", nothing else, and its members are
 * the zone table but itself, each once, at labels all different. Returns the view. */
static struct view exact(struct testdb_names *f, const char *cat)
{
    struct view v;
    struct zones zs = {0};
    struct lana_diag d;
    assert_int_equal(catalog_zone(f->st, &zs.cat, NULL, &d), 1);
    assert_int_equal(zone_each(f->nm, zone_cb, &zs, &d), 0);
    read_catalog(f, cat, &v);
    assert_int_equal(v.ns, 1);
    assert_int_equal(v.version, 1);
    assert_int_equal(v.other, 0);
    if (v.n != zs.n)
        print_message("%s", testdb_export(f->st, cat));
    assert_int_equal(v.n, zs.n);
    for (unsigned i = 0; i < zs.n; i++) {
        unsigned found = 0;
        for (unsigned j = 0; j < v.n; j++)
            found += strcmp(v.m[j].zone, zs.name[i]) == 0;
        if (found != 1)
            fail_msg("zone %s is listed %u times", zs.name[i], found);
    }
    for (unsigned i = 0; i < v.n; i++)
        for (unsigned j = i + 1; j < v.n; j++)
            assert_string_not_equal(v.m[i].label, v.m[j].label);
    int found = check_run(f->t.path, NULL, NULL, NULL, &d); /* lanad check agrees */
    if (found != 0)
        fail_msg("lanad check: %d, %s", found, found < 0 ? d.msg : "findings");
    return v;
}

static const struct host_addr_spec AUTO = {HOST_ADDR_AUTO, {0}, false},
                                   NONE = {HOST_ADDR_NONE, {0}, false};

static const char *label_of(const struct view *v, const char *zone)
{
    for (unsigned i = 0; i < v->n; i++)
        if (strcmp(v->m[i].zone, zone) == 0)
            return v->m[i].label;
    return NULL;
}

static int setup(void **state)
{
    struct testdb_names *f;
    struct lana_diag d;
    const char *what = NULL;
    if (testdb_names_open(&f) != 0 || catalog_setup(f->nm, CAT, &what, &d) != 0 ||
        strcmp(what, "created") != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    testdb_names_close(*state);
    return 0;
}

static void test_catalog_lists_every_zone_and_follows_adds_and_deletes(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    struct view v = exact(f, CAT);
    assert_non_null(label_of(&v, "198.in-addr.arpa.")); /* the zones made before it */
    assert_null(label_of(&v, CAT));                     /* not itself */
    uint32_t serial = v.serial;
    const char *adds[] = {"lab.", "a.lab.", "b.a.lab.", "other."};
    for (size_t i = 0; i < sizeof adds / sizeof adds[0]; i++) {
        assert_int_equal(zone_add(f->nm, adds[i], NULL, 0, "t", NULL, &d), 0);
        v = exact(f, CAT);
        assert_true(v.serial > serial);
        serial = v.serial;
    }
    assert_int_equal(zone_ensure(f->nm, "7.18.198.in-addr.arpa.", "t", &d), 1);
    v = exact(f, CAT);
    assert_true(v.serial > serial);
    serial = v.serial;
    /* a zone file import that makes a zone makes a member; one that replaces a zone does not */
    const char *zf = "$ORIGIN imp.\n@ 300 IN SOA ns1.lab. h.imp. 7 3600 900 604800 300\n"
                     "@ 300 IN NS ns1.lab.\nwww 300 IN A 192.0.2.1\n";
    for (int round = 0; round < 2; round++) {
        FILE *fp = fmemopen((void *)zf, strlen(zf), "r");
        assert_int_equal(zoneio_import(f->st, fp, "imp.zone", NULL, NULL, &d), 0);
        fclose(fp);
        v = exact(f, CAT);
        assert_non_null(label_of(&v, "imp."));
        if (round == 0)
            assert_true(v.serial > serial);
        else
            assert_int_equal(v.serial, serial);
        serial = v.serial;
    }
    /* deletes, a recursive one with hosts among them */
    assert_int_equal(host_add(f->nm, "h.b.a.lab", &AUTO, &NONE, NULL, "t", NULL, &d), 0);
    assert_int_equal(zone_del(f->nm, "b.a.lab.", true, "t", &d), 0);
    v = exact(f, CAT);
    assert_null(label_of(&v, "b.a.lab."));
    assert_true(v.serial > serial);
    serial = v.serial;
    assert_int_equal(zone_del(f->nm, "other.", false, "t", &d), 0);
    v = exact(f, CAT);
    assert_null(label_of(&v, "other."));
    assert_true(v.serial > serial);
}

/* RFC 9432 §5.5: a zone deleted and made again gets a new label, so that consumers start it
 * afresh instead of keeping the old one's state. */
static void test_catalog_label_is_new_when_a_zone_is_made_again(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    char seen[8][64];
    for (int i = 0; i < 8; i++) {
        assert_int_equal(zone_add(f->nm, "again.", NULL, 0, "t", NULL, &d), 0);
        struct view v = exact(f, CAT);
        const char *l = label_of(&v, "again.");
        assert_non_null(l);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(seen[j], l);
        snprintf(seen[i], sizeof seen[i], "%s", l);
        assert_int_equal(zone_del(f->nm, "again.", false, "t", &d), 0);
    }
}

/* One transaction: a failure at any step of a zone add or delete leaves the whole database,
 * the catalog included, as it was. */
static void test_catalog_failed_zone_change_changes_nothing(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    assert_int_equal(zone_add(f->nm, "lab.", NULL, 0, "t", NULL, &d), 0);
    for (int del = 0; del < 2; del++) {
        unsigned long fired = 1;
        for (unsigned long n = 1; fired > 0 && n < 500; n++) {
            char *before = testdb_dump(f->st);
            sqlfault_reset();
            sqlfault_arm(n);
            int rc = del ? zone_del(f->nm, "x.lab.", false, "t", &d)
                         : zone_add(f->nm, "x.lab.", NULL, 0, "t", NULL, &d);
            fired = sqlfault_fired();
            sqlfault_disarm();
            char *after = testdb_dump(f->st);
            if (fired > 0) {
                assert_int_not_equal(rc, 0);
                assert_string_equal(after, before);
            } else {
                assert_int_equal(rc, 0); /* past the last step: it went through */
            }
            free(before);
            free(after);
            if (fired > 0)
                exact(f, CAT);
        }
        assert_int_equal(fired, 0);
        struct view v = exact(f, CAT);
        if (del)
            assert_null(label_of(&v, "x.lab."));
        else
            assert_non_null(label_of(&v, "x.lab."));
    }
    /* inside a transaction the caller rolls back, the member goes with the zone */
    char *before = testdb_dump(f->st);
    assert_int_equal(store_begin(f->st, &d), 0);
    assert_int_equal(zone_add(f->nm, "y.lab.", NULL, 0, "t", NULL, &d), 0);
    store_rollback(f->st);
    char *after = testdb_dump(f->st);
    assert_string_equal(after, before);
    free(before);
    free(after);
}

/* Nobody changes the catalog by hand, admin neither: delete, records, hosts, zones inside
 * it, an import over it are refused and change nothing. */
static void test_catalog_refuses_hand_changes(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    char *before = testdb_dump(f->st);
    assert_int_equal(zone_del(f->nm, CAT, true, "t", &d), LANA_EPERM);
    assert_non_null(strstr(d.msg, "catalog zone lanad keeps"));
    int64_t n = 0;
    assert_int_equal(rrset_add(f->nm, "x." CAT, "TXT", "\"hi\"", "t", &d), LANA_EPERM);
    assert_int_equal(rrset_add(f->nm, "m99.zones." CAT, "TXT", "\"hi\"", "t", &d), LANA_EPERM);
    assert_int_equal(rrset_del(f->nm, "version." CAT, "TXT", NULL, "t", &n, &d), LANA_EPERM);
    assert_int_equal(host_add(f->nm, "h." CAT, &NONE, &NONE, NULL, "t", NULL, &d), LANA_EPERM);
    assert_int_equal(zone_add(f->nm, "zones." CAT, NULL, 0, "t", NULL, &d), LANA_EPERM);
    assert_non_null(strstr(d.msg, "lies inside " CAT));
    assert_int_equal(zone_add(f->nm, CAT, NULL, 0, "t", NULL, &d), LANA_ECONFLICT);
    const char *zf = "$ORIGIN " CAT "\n@ 300 IN SOA ns1.lab. h.lab. 9 3600 900 604800 300\n"
                     "@ 300 IN NS ns1.lab.\n";
    FILE *fp = fmemopen((void *)zf, strlen(zf), "r");
    assert_int_equal(zoneio_import(f->st, fp, "cat.zone", NULL, NULL, &d), LANA_EPERM);
    fclose(fp);
    const char *under = "$ORIGIN sub." CAT "\n@ 300 IN SOA ns1.lab. h.lab. 9 3600 900 604800 300\n"
                        "@ 300 IN NS ns1.lab.\n";
    fp = fmemopen((void *)under, strlen(under), "r");
    assert_int_equal(zoneio_import(f->st, fp, "sub.zone", NULL, NULL, &d), LANA_EPERM);
    fclose(fp);
    char *after = testdb_dump(f->st);
    assert_string_equal(after, before);
    free(before);
    free(after);
}

/* Start-up: the same name again changes nothing; a new name deletes the old catalog and makes
 * one with every zone; none deletes it; made again under an old name, its serial goes on
 * above the one its consumers saw last. */
static void test_catalog_setup_renames_disables_and_recreates(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    struct zone_info z;
    const char *what = NULL;
    assert_int_equal(zone_add(f->nm, "lab.", NULL, 0, "t", NULL, &d), 0);
    assert_int_equal(catalog_setup(f->nm, CAT, &what, &d), 0);
    assert_string_equal(what, "");
    struct view v = exact(f, CAT);
    uint32_t old_serial = v.serial;
    assert_int_equal(catalog_setup(f->nm, "cat2.example.", &what, &d), 0);
    assert_string_equal(what, "renamed");
    assert_int_equal(zone_get(f->nm, CAT, &z, &d), LANA_ENOTFOUND);
    v = exact(f, "cat2.example.");
    assert_non_null(label_of(&v, "lab."));
    assert_int_equal(catalog_setup(f->nm, CATALOG_NONE, &what, &d), 0);
    assert_string_equal(what, "deleted");
    int64_t id;
    assert_int_equal(catalog_zone(f->st, &id, NULL, &d), 0);
    assert_int_equal(zone_get(f->nm, "cat2.example.", &z, &d), LANA_ENOTFOUND);
    /* without a catalog, zones come and go freely */
    assert_int_equal(zone_add(f->nm, "late.", NULL, 0, "t", NULL, &d), 0);
    assert_int_equal(catalog_setup(f->nm, CAT, &what, &d), 0);
    assert_string_equal(what, "created");
    v = exact(f, CAT);
    assert_non_null(label_of(&v, "late."));
    assert_true(v.serial > old_serial);
    /* a name taken by an ordinary zone, or one with zones below it, is refused */
    assert_int_equal(catalog_setup(f->nm, "lab.", &what, &d), LANA_ECONFLICT);
    assert_int_equal(zone_add(f->nm, "x.under.", NULL, 0, "t", NULL, &d), 0);
    assert_int_equal(catalog_setup(f->nm, "under.", &what, &d), LANA_ECONFLICT);
    assert_int_equal(catalog_setup(f->nm, "bad..name", &what, &d), LANA_EPARSE);
    exact(f, CAT); /* and the catalog stays */
}

/* A class makes and removes its students' zones in one transaction each: the catalog follows. */
static void test_catalog_follows_a_class(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    struct class_made m;
    struct class_gone g;
    struct class_spec spec = {.name = "c", .students = 12};
    uint32_t serial = exact(f, CAT).serial;
    assert_int_equal(store_begin(f->st, &d), 0);
    assert_int_equal(class_create(f->nm, &spec, "t", &m, &d), 0);
    assert_int_equal(store_commit(f->st, &d), 0);
    struct view v = exact(f, CAT);
    for (unsigned i = 1; i < m.n; i++)
        assert_non_null(label_of(&v, m.m[i].zone));
    assert_true(v.serial > serial);
    assert_int_equal(store_begin(f->st, &d), 0);
    assert_int_equal(class_delete(f->nm, "c", "t", &g, &d), 0);
    assert_int_equal(store_commit(f->st, &d), 0);
    v = exact(f, CAT);
    for (unsigned i = 1; i < m.n; i++)
        assert_null(label_of(&v, m.m[i].zone));
    class_made_free(&m);
}

static int count_catalog(const struct check_finding *c, void *arg)
{
    if (c->code == CHECK_CATALOG)
        ++*(int *)arg;
    return 0;
}

static void sql(const char *path, const char *text)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, text, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* A catalog changed behind lanad's back (a member lost, a stranger, a second PTR for one
 * zone, the version gone) is what lanad check reports, and the next start mends it. */
static void test_catalog_check_finds_and_setup_mends(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    const char *what = NULL;
    assert_int_equal(zone_add(f->nm, "lab.", NULL, 0, "t", NULL, &d), 0);
    struct view v = exact(f, CAT);
    const char *cat = "(SELECT zone_id FROM catalog)";
    char q[1024];
    snprintf(q, sizeof q,
             "DELETE FROM rr WHERE zone_id = %s AND type = 12 AND rdata = x'036c616200';"
             "INSERT INTO rr VALUES (%s, x'696e76616c6964006c616e6100636174616c6f67007a6f6e6573006d31007800',"
             " 12, x'0331393807696e2d61646472046172706100', 0);"
             "INSERT INTO rr VALUES (%s, x'696e76616c6964006c616e6100636174616c6f67007a6f6e65730078797a00', 12,"
             " x'0667686f737400', 0);"
             "DELETE FROM rr WHERE zone_id = %s AND type = 16;",
             cat, cat, cat, cat);
    sql(f->t.path, q);
    int found = 0;
    assert_true(check_run(f->t.path, count_catalog, &found, NULL, &d) > 0);
    assert_true(found >= 4); /* lab. missing, 198... twice, ghost. no zone, no version */
    assert_int_equal(catalog_setup(f->nm, CAT, &what, &d), 0);
    assert_string_equal(what, "synced");
    struct view w = exact(f, CAT);
    assert_true(w.serial > v.serial);
    /* the member that stayed right kept its label; the one lost comes back under a new one */
    assert_string_equal(label_of(&w, "198.in-addr.arpa."), label_of(&v, "198.in-addr.arpa."));
    assert_string_not_equal(label_of(&w, "lab."), label_of(&v, "lab."));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_catalog_lists_every_zone_and_follows_adds_and_deletes,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_catalog_label_is_new_when_a_zone_is_made_again,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_catalog_failed_zone_change_changes_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_catalog_refuses_hand_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_catalog_setup_renames_disables_and_recreates, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_catalog_check_finds_and_setup_mends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_catalog_follows_a_class, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
