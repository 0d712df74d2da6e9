/* Unit tests of db/class: a class of 30 made in one transaction (accounts, blocks inside the
 * class's, zones with their delegations in lab.), all or nothing when a name is taken, the
 * report after a student's own work, and the reset back to the registry as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/account.h"
#include "db/authz.h"
#include "db/class.h"
#include "db/host.h"
#include "db/ipam.h"
#include "db/names.h"
#include "db/store_int.h"
#include "db/zone.h"
#include "tests/lib/testdb.h"

static struct cidr P(const char *s) {
    struct cidr c;
    assert_int_equal(cidr_parse(s, &c, NULL), 0);
    return c;
}

static int
setup(void **state)
{
    struct testdb_names *f;
    struct lana_diag d;
    if (testdb_names_open(&f) != 0)
        return -1;
    if (zone_add(f->nm, "lab.", NULL, 0, "t", NULL, &d) != 0) {
        fprintf(stderr, "setup: %s\n", d.msg);
        testdb_names_close(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    testdb_names_close(*state);
    return 0;
}

/* One integer from sql with text parameter p (NULL: none). */
static int64_t q1(struct store *st, const char *sql, const char *p)
{
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), SQLITE_OK);
    if (p)
        sqlite3_bind_text(s, 1, p, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

/*
 * The registry without what a change is allowed to leave behind: the audit log (append-only),
 * the DNS change log, SOA serials and zones' change times, and how free space is kept (a
 * block split once keeps its free space as rows; an empty one is one row, its whole prefix).
 */
static char *dump(struct store *st)
{
    static const char *const qs[] = {
        "SELECT 'account', name, role, hex(stored_key), sponsor, class, enabled FROM account",
        "SELECT 'block', id, family, hex(start), plen, parent_id, status, holder, descr,"
        " maintainer FROM block",
        "SELECT 'free', f.parent_id, f.plen, hex(f.start) FROM freespace f JOIN block b ON"
        " b.id = f.parent_id WHERE NOT (f.plen = b.plen AND f.start = b.start)",
        "SELECT 'zone', id, name, sponsor, registrant FROM zone",
        "SELECT 'rr', zone_id, hex(key), type, hex(rdata), ttl FROM rr WHERE type <> 6",
        "SELECT 'host', * FROM host",
        "SELECT 'zone_block', * FROM zone_block",
        "SELECT 'class', * FROM class"};
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        char sql[1024];
        sqlite3_stmt *s;
        assert_int_equal(sqlite3_prepare_v2(st->db, qs[i], -1, &s, NULL), SQLITE_OK);
        int ncol = sqlite3_column_count(s), n = snprintf(sql, sizeof sql, "%s ORDER BY 1", qs[i]);
        sqlite3_finalize(s);
        for (int c = 2; c <= ncol; c++) /* every column: the order is total */
            n += snprintf(sql + n, sizeof sql - (size_t)n, ", %d", c);
        assert_true((size_t)n < sizeof sql);
        assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL), SQLITE_OK);
        while (sqlite3_step(s) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(s); c++) {
                const char *t = (const char *)sqlite3_column_text(s, c);
                fprintf(fp, "%s|", t ? t : "NULL");
            }
            fputc('\n', fp);
        }
        sqlite3_finalize(s);
    }
    fclose(fp);
    return buf;
}

static void create(struct testdb_names *f, const char *name, unsigned n, struct class_made *m)
{
    struct lana_diag d;
    struct class_spec s = {.name = name, .students = n};
    assert_int_equal(store_begin(f->st, &d), 0);
    int rc = class_create(f->nm, &s, "t", m, &d);
    if (rc != 0)
        fprintf(stderr, "class_create: %s\n", d.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(store_commit(f->st, &d), 0);
}

static void test_create_30(void **state)
{
    struct testdb_names *f = *state;
    struct class_made m;
    struct lana_diag d;
    create(f, "c", 30, &m);
    assert_int_equal(m.n, 31);
    assert_false(m.suffix_made);
    assert_string_equal(m.m[0].name, "c");
    assert_string_equal(m.m[0].role, "registrar");
    /* the class's blocks: 30 /24s rounded up to 32 is a /19, 32 /64s a /59 */
    assert_int_equal(m.m[0].v4.plen, 19);
    assert_int_equal(m.m[0].v6.plen, 59);
    struct ipam_block b;
    assert_int_equal(ipam_get(f->ip, &m.m[0].v4, &b, &d), 0);
    assert_string_equal(b.maintainer, "c");
    assert_int_equal(b.status, IPAM_ALLOCATED);
    assert_int_equal(q1(f->st, "SELECT count(*) FROM account WHERE class = ?1", "c"), 31);
    assert_int_equal(q1(f->st,
                        "SELECT count(*) FROM account WHERE class = ?1 AND sponsor = ?1"
                        " AND role = 'registrant'",
                        "c"),
                     30);
    for (unsigned i = 1; i <= 30; i++) {
        const struct class_member *s = &m.m[i];
        char want[16], ns[64];
        snprintf(want, sizeof want, "c-%02u", i);
        assert_string_equal(s->name, want);
        assert_int_equal(strlen(s->token), 64);
        struct account a;
        uint8_t tok[AUTH_TOKEN_LEN], key[AUTH_KEY_LEN];
        assert_int_equal(account_get(f->st, s->name, &a, &d), 1);
        assert_int_equal(auth_unhex(s->token, tok, sizeof tok), 0);
        auth_stored_key(tok, key);
        assert_memory_equal(a.stored_key, key, sizeof key); /* the token is the account's */
        assert_int_equal(ipam_get(f->ip, &s->v4, &b, &d), 0);
        assert_string_equal(b.maintainer, s->name);
        assert_int_equal(b.status, IPAM_ASSIGNED);
        assert_int_equal(s->v4.plen, 24);
        assert_true(cidr_contains(&m.m[0].v4, &s->v4));
        assert_int_equal(ipam_get(f->ip, &s->v6, &b, &d), 0);
        assert_true(cidr_contains(&m.m[0].v6, &s->v6));
        struct zone_info z;
        snprintf(want, sizeof want, "c-%02u.lab.", i);
        assert_int_equal(zone_get(f->nm, want, &z, &d), 0);
        assert_string_equal(z.registrant, s->name);
        assert_string_equal(z.sponsor, "c");
        struct cidr bl[ZONE_BLOCKS_MAX];
        unsigned nb;
        assert_int_equal(zone_blocks(f->nm, z.id, bl, ZONE_BLOCKS_MAX, &nb, &d), 0);
        assert_int_equal(nb, 2);
        /* the delegation in lab. */
        snprintf(ns, sizeof ns, "\nc-%02u.lab.\t", i);
        assert_non_null(strstr(testdb_export(f->st, "lab."), ns));
    }
    assert_int_equal(q1(f->st, "SELECT count(*) FROM class WHERE name = ?1", "c"), 1);
    class_made_free(&m);
    assert_null(m.m);
}

/* A name taken part-way (the 17th student's account exists): nothing of the class stays. */
static void test_all_or_nothing(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    struct account a = {.name = "c-17", .role = "registrant"};
    assert_int_equal(account_add(f->st, &a, "t", &d), 0);
    char *before = dump(f->st);
    int64_t audit = q1(f->st, "SELECT count(*) FROM audit", NULL);
    struct class_made m;
    struct class_spec s = {.name = "c", .students = 30};
    assert_int_equal(store_begin(f->st, &d), 0);
    assert_int_equal(class_create(f->nm, &s, "t", &m, &d), LANA_ECONFLICT);
    assert_non_null(strstr(d.msg, "c-17"));
    assert_int_equal(store_commit(f->st, &d), 0);
    class_made_free(&m);
    char *after = dump(f->st);
    assert_string_equal(after, before);
    assert_int_equal(q1(f->st, "SELECT count(*) FROM audit", NULL), audit);
    free(before);
    free(after);
}

static int row_cb(const struct class_row *r, void *arg)
{
    struct class_row *rows = arg;
    unsigned i = (unsigned)atoi(r->name + 2) - 1;
    rows[i] = *r;
    return 0;
}

/* A student's own host, made with its own authority, shows in the report and goes with the
 * reset; the reset leaves the registry as it was before the class (the audit log aside). */
static void test_report_delete(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    char *before = dump(f->st);
    struct class_made m;
    create(f, "c", 30, &m);
    struct authz_who w = {.name = "c-03", .role = AUTHZ_REGISTRANT};
    struct host_addr_spec v4 = {HOST_ADDR_AUTO, {0}, false}, v6 = {HOST_ADDR_AUTO, {0}, false};
    struct host_info h;
    assert_int_equal(store_begin(f->st, &d), 0);
    authz_act(f->st, &w);
    int rc = host_add(f->nm, "h1.c-03.lab.", &v4, &v6, NULL, "c-03", &h, &d);
    if (rc != 0)
        fprintf(stderr, "host add: %s\n", d.msg);
    assert_int_equal(rc, 0);
    /* not in another student's zone */
    assert_int_equal(host_add(f->nm, "h1.c-04.lab.", &v4, &v6, NULL, "c-03", &h, &d), LANA_EPERM);
    authz_act(f->st, NULL);
    assert_int_equal(store_commit(f->st, &d), 0);
    struct cidr a4 = P(h.v4);
    assert_true(cidr_contains(&m.m[3].v4, &a4));

    struct class_row rows[30];
    struct class_info ci;
    memset(rows, 0, sizeof rows);
    assert_int_equal(class_report(f->nm, "c", &ci, row_cb, rows, &d), 0);
    assert_int_equal(ci.students, 30);
    assert_string_equal(ci.suffix, "lab.");
    assert_string_equal(rows[2].zone, "c-03.lab.");
    assert_int_equal(rows[2].hosts, 1);
    assert_true(rows[2].last > 0);
    assert_int_equal(rows[3].hosts, 0);
    assert_int_equal(rows[3].last, 0);
    assert_int_equal(rows[2].nblocks, 2);
    assert_memory_equal(&rows[2].blocks[0], &m.m[3].v4, sizeof(struct cidr));
    assert_memory_equal(&rows[2].blocks[1], &m.m[3].v6, sizeof(struct cidr));
    assert_int_equal(class_report(f->nm, "nope", &ci, row_cb, rows, &d), LANA_ENOTFOUND);

    /* only admin resets */
    struct authz_who reg = {.name = "c", .role = AUTHZ_REGISTRAR};
    struct class_gone g;
    assert_int_equal(store_begin(f->st, &d), 0);
    authz_act(f->st, &reg);
    assert_int_equal(class_delete(f->nm, "c", "c", &g, &d), LANA_EPERM);
    authz_act(f->st, NULL);
    assert_int_equal(class_delete(f->nm, "c", "t", &g, &d), 0);
    assert_int_equal(store_commit(f->st, &d), 0);
    assert_int_equal(g.accounts, 31);
    assert_int_equal(g.zones, 30);
    assert_int_equal(g.hosts, 1);
    char *after = dump(f->st);
    assert_string_equal(after, before);
    assert_true(q1(f->st, "SELECT count(*) FROM audit WHERE object = ?1", "c-03") > 0);
    assert_null(strstr(testdb_export(f->st, "lab."), "c-03"));
    class_made_free(&m);
    free(before);
    free(after);
}

static void test_refusals(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    struct class_made m;
    struct class_spec s = {.name = "Bad", .students = 3};
    assert_int_equal(class_create(f->nm, &s, "t", &m, &d), LANA_EPARSE);
    class_made_free(&m);
    s.name = "c";
    s.students = 0;
    assert_int_equal(class_create(f->nm, &s, "t", &m, &d), LANA_ERANGE);
    class_made_free(&m);
    s.students = 3000; /* 4096 /24s do not fit in 198.18.0.0/15 */
    assert_int_equal(class_create(f->nm, &s, "t", &m, &d), LANA_EEXHAUSTED);
    class_made_free(&m);
    s.students = 3;
    struct authz_who w = {.name = "someone", .role = AUTHZ_REGISTRAR};
    authz_act(f->st, &w);
    assert_int_equal(class_create(f->nm, &s, "t", &m, &d), LANA_EPERM);
    authz_act(f->st, NULL);
    class_made_free(&m);
    assert_int_equal(q1(f->st, "SELECT count(*) FROM account WHERE name LIKE 'c%'", NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_30, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
