/*
 * Unit tests of db/check: a database left by a randomized workload of the registry's own
 * calls (blocks allocated, taken and released; zones, hosts, records) passes; then each kind
 * of damage, made directly in SQL on a copy of it, gives exactly the finding codes it should
 * and no other.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cidr.h"
#include "common/dname.h"
#include "db/check.h"
#include "db/ipam.h"
#include "db/host.h"
#include "db/names.h"
#include "db/rrset.h"
#include "db/store.h"
#include "db/zone.h"
#include "tests/lib/testdb.h"

typedef unsigned __int128 u128;

static struct testdb golden; /* the clean database every case starts from */

static struct cidr P(const char *s)
{
    struct cidr c;
    struct lana_diag d;
    if (cidr_parse(s, &c, &d) != 0)
        fail_msg("bad test prefix %s: %s", s, d.msg);
    return c;
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* ---- the workload ----------------------------------------------------------------------- */

#define NB 2048

/* Random allocations, takes and releases below 198.19.0.0/16 and 2001:db8:8000::/33. */
static void ipam_workload(struct ipam *ip, int steps)
{
    static struct cidr blocks[NB];
    int n = 2;
    blocks[0] = P("198.19.0.0/16");
    blocks[1] = P("2001:db8:8000::/33");
    struct lana_diag d;
    struct ipam_block b;
    for (int step = 0; step < steps; step++) {
        int op = (int)(rnd() % 100), i = (int)(rnd() % (uint64_t)n);
        struct cidr p = blocks[i];
        unsigned room = cidr_bits(&p) - p.plen;
        if (room == 0)
            continue;
        unsigned plen = p.plen + 1 + (unsigned)(rnd() % (room < 8 ? room : 8));
        if (op < 50) {
            if (ipam_alloc(ip, &p, plen, IPAM_ALLOCATED, "h", NULL, "t", &b, &d) == 0 && n < NB)
                blocks[n++] = b.prefix;
        } else if (op < 70) {
            struct cidr x = p;
            x.plen = (uint8_t)plen;
            u128 slot = (u128)rnd() % ((u128)1 << (plen - p.plen));
            cidr_addr_set_u128(&x, cidr_addr_u128(&p) + slot * (cidr_size_minus1(&x) + 1));
            enum ipam_status st = rnd() % 3 ? IPAM_ASSIGNED : IPAM_RESERVED;
            if (ipam_take(ip, &x, st, NULL, NULL, "t", &b, &d) == 0 && n < NB)
                blocks[n++] = x;
        } else if (i >= 2) {
            /* released blocks stay in the list: using them later is refused, which is fine */
            ipam_release(ip, &p, rnd() % 4 == 0, "t", NULL, &d);
        }
    }
}

/* Zones, hosts (addresses from the first pools, 198.18.0.0/16 and 2001:db8::/33, with their
 * PTR), records. */
static void names_workload(struct names *nm, int steps)
{
    struct lana_diag d;
    const struct host_addr_spec none = {HOST_ADDR_NONE, {0}, false},
                                autos = {HOST_ADDR_AUTO, {0}, false};
    char name[64], to[64];
    for (int step = 0; step < steps; step++) {
        int op = (int)(rnd() % 100);
        snprintf(name, sizeof name, "h%u.%s", (unsigned)(rnd() % 40), rnd() % 2 ? "lab." : "lab2.");
        if (op < 50) {
            bool v4 = rnd() % 4 != 0, v6 = !v4 || rnd() % 2;
            host_add(nm, name, v4 ? &autos : &none, v6 ? &autos : &none, NULL, "t", NULL,
                           &d);
        } else if (op < 70) {
            host_del(nm, name, "t", &d);
        } else if (op < 80) {
            snprintf(to, sizeof to, "r%u.lab.", (unsigned)(rnd() % 40));
            host_rename(nm, name, to, "t", NULL, &d);
        } else if (op < 90) {
            rrset_add(nm, name, "TXT", "\"x\"", "t", &d);
        } else {
            snprintf(to, sizeof to, "c%u.lab2.", (unsigned)(rnd() % 10));
            rrset_add(nm, to, "CNAME", name, "t", &d);
        }
    }
}

/*
 * The clean database. Besides the random part it holds fixed objects the damage cases
 * name: 198.18.128.0/17 with children 198.18.128.0/24 and 198.18.129.0/24 (so its free rows
 * are 198.18.130.0/23, 198.18.132.0/22, ... 198.18.192.0/18), and the host fixed.lab. at
 * 198.18.20.5.
 */
static int make_golden(void **state)
{
    (void)state;
    struct store *st = NULL;
    struct ipam *ip = NULL;
    struct names *nm = NULL;
    struct lana_diag d;
    if (testdb_make(&golden) != 0 || store_open(golden.path, &st, NULL, &d) != 0 ||
        ipam_open(st, &ip, &d) != 0 || names_open(st, ip, &nm, &d) != 0 ||
        store_begin(st, &d) != 0)
        return -1;
    const char *pools[] = {"198.18.0.0/16", "2001:db8::/33", "198.19.0.0/16", "2001:db8:8000::/33"};
    for (int i = 0; i < 4; i++) {
        struct cidr p = P(pools[i]);
        if (ipam_pool_add(ip, &p, NULL, "t", NULL, &d) != 0)
            return -1;
    }
    struct cidr f = P("198.18.128.0/17"), a4 = P("198.18.20.5/32");
    struct host_addr_spec given = {HOST_ADDR_GIVEN, a4, false}, none = {HOST_ADDR_NONE, {0}, false};
    if (zone_ensure(nm, "198.in-addr.arpa.", "t", &d) != 1 ||
        zone_ensure(nm, "8.b.d.0.1.0.0.2.ip6.arpa.", "t", &d) != 1 ||
        zone_add(nm, "lab.", NULL, 0, "t", NULL, &d) != 0 ||
        zone_add(nm, "lab2.", NULL, 0, "t", NULL, &d) != 0 ||
        ipam_take(ip, &f, IPAM_ALLOCATED, "fixed", NULL, "t", NULL, &d) != 0 ||
        ipam_alloc(ip, &f, 24, IPAM_ALLOCATED, NULL, NULL, "t", NULL, &d) != 0 ||
        ipam_alloc(ip, &f, 24, IPAM_ALLOCATED, NULL, NULL, "t", NULL, &d) != 0 ||
        host_add(nm, "fixed.lab.", &given, &none, NULL, "t", NULL, &d) != 0) {
        fprintf(stderr, "golden: %s\n", d.msg);
        return -1;
    }
    ipam_workload(ip, 3000);
    names_workload(nm, 400);
    if (store_commit(st, &d) != 0)
        return -1;
    names_close(nm);
    ipam_close(ip);
    store_close(st);
    return 0;
}

static int drop_golden(void **state)
{
    (void)state;
    testdb_cleanup(&golden);
    return 0;
}

/* ---- findings -------------------------------------------------------------------------------- */

struct seen {
    int n;
    enum check_code code[64];
    char text[4096];
};

static int collect(const struct check_finding *f, void *arg)
{
    struct seen *s = arg;
    if (s->n < 64)
        s->code[s->n++] = f->code;
    size_t l = strlen(s->text);
    if (l + 1 < sizeof s->text)
        snprintf(s->text + l, sizeof s->text - l, "  %s %s: %s\n", check_code_name(f->code),
                 f->object, f->message); /* the report of a failure; cut if very long */
    return 0;
}

static void test_clean_database_passes(void **state)
{
    (void)state;
    struct seen s = {0};
    struct check_stats st;
    struct lana_diag d;
    int rc = check_run(golden.path, collect, &s, &st, &d);
    if (rc != 0)
        fail_msg("%d findings (or error %s):\n%s", rc, rc < 0 ? d.msg : "", s.text);
    print_message("clean: %lld blocks, %lld hosts, %lld zones, %lld records\n",
                  (long long)st.blocks, (long long)st.hosts, (long long)st.zones,
                  (long long)st.records);
    assert_true(st.blocks > 200); /* fewer since an assigned block holds host addresses only */
    assert_true(st.hosts > 20);
    assert_int_equal(st.zones, 4);
    assert_int_equal(st.findings, 0);
}

static void test_missing_file_is_not_found(void **state)
{
    (void)state;
    struct lana_diag d;
    assert_int_equal(check_run("/nonexistent/lana.db", NULL, NULL, NULL, &d), LANA_ENOTFOUND);
    assert_string_equal(d.msg, "/nonexistent/lana.db: no such database");
}

/* Scripts match the codes' names: each has one, and no two are alike. */
static void test_every_code_has_its_own_name(void **state)
{
    (void)state;
    for (int i = 0; i < CHECK_NCODES; i++) {
        assert_string_not_equal(check_code_name((enum check_code)i), "?");
        for (int j = 0; j < i; j++)
            assert_string_not_equal(check_code_name((enum check_code)i),
                                    check_code_name((enum check_code)j));
    }
    assert_string_equal(check_code_name(CHECK_NCODES), "?");
}

/* ---- damage, one kind per row ---------------------------------------------------------------- */

struct damage {
    const char *what;
    const char *sql;
    enum check_code want[3];
    int nwant;
};

/* Keys the SQL below names: x'...' literals would hide what they stand for. */
static void key_fn(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    uint8_t w[DNAME_MAXLEN], k[DNAME_KEY_MAX];
    static const uint8_t root[1] = {0};
    if (dname_from_text((const char *)sqlite3_value_text(argv[0]), root, w, NULL) < 0) {
        sqlite3_result_error(cx, "bad name", -1);
        return;
    }
    sqlite3_result_blob(cx, k, (int)dname_key(w, k), SQLITE_TRANSIENT);
}

static void wire_fn(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    uint8_t w[DNAME_MAXLEN];
    static const uint8_t root[1] = {0};
    int n = dname_from_text((const char *)sqlite3_value_text(argv[0]), root, w, NULL);
    if (n < 0)
        sqlite3_result_error(cx, "bad name", -1);
    else
        sqlite3_result_blob(cx, w, n, SQLITE_TRANSIENT);
}

/* addr('198.18.128.128'): the 16-byte start of the block table */
static void addr_fn(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    struct cidr c;
    if (cidr_parse_addr((const char *)sqlite3_value_text(argv[0]), &c, NULL) != 0) {
        sqlite3_result_error(cx, "bad address", -1);
        return;
    }
    uint8_t k[16];
    u128 v = cidr_addr_u128(&c);
    for (int i = 15; i >= 0; i--, v >>= 8)
        k[i] = (uint8_t)v;
    sqlite3_result_blob(cx, k, 16, SQLITE_TRANSIENT);
}

#define BLOCK(a, l) "(SELECT id FROM block WHERE start = addr('" a "') AND plen = " #l ")"
#define ZONE(n) "(SELECT id FROM zone WHERE name = '" n "')"

static const struct damage damages[] = {
    {"overlapping siblings",
     "INSERT INTO block (family, start, plen, parent_id, status, created, updated)"
     " VALUES (4, addr('198.18.128.128'), 25, " BLOCK("198.18.128.0", 17) ", 'allocated', 0, 0)",
     {CHECK_BLOCK_OVERLAP}, 1},
    {"a missing free prefix",
     "DELETE FROM freespace WHERE parent_id = " BLOCK("198.18.128.0", 17) " AND plen = 23",
     {CHECK_FREE_MISSING}, 1},
    {"an extra free prefix over an allocation",
     "INSERT INTO freespace VALUES (" BLOCK("198.18.128.0", 17) ", 24, addr('198.18.129.0'))",
     {CHECK_FREE_OVERLAP}, 1},
    {"two free buddies not merged",
     "DELETE FROM freespace WHERE parent_id = " BLOCK("198.18.128.0", 17) " AND plen = 18;"
     "INSERT INTO freespace VALUES (" BLOCK("198.18.128.0", 17) ", 19, addr('198.18.192.0')),"
     " (" BLOCK("198.18.128.0", 17) ", 19, addr('198.18.224.0'))",
     {CHECK_FREE_NOT_MAXIMAL}, 1},
    {"a free prefix with host bits",
     "INSERT INTO freespace VALUES (" BLOCK("198.18.128.0", 17) ", 24, addr('198.18.129.1'))",
     {CHECK_FREE_MISALIGNED}, 1},
    {"children without a free-space index",
     "UPDATE block SET split = 0 WHERE id = " BLOCK("198.18.128.0", 17),
     {CHECK_BLOCK_UNSPLIT, CHECK_FREE_UNSPLIT}, 2},
    {"a child outside its parent",
     "UPDATE block SET parent_id = " BLOCK("198.18.128.0", 17) " WHERE start = addr('198.18.20.5')",
     {CHECK_BLOCK_OUTSIDE, CHECK_FREE_MISSING}, 2},
    {"a pool inside a pool",
     "INSERT INTO block (family, start, plen, status, created, updated)"
     " VALUES (4, addr('198.18.64.0'), 24, 'pool', 0, 0)",
     {CHECK_BLOCK_OVERLAP}, 1},
    {"a host whose A record points elsewhere",
     "UPDATE rr SET rdata = addr4('198.18.20.99') WHERE type = 1 AND key = key('fixed.lab.')",
     {CHECK_HOST_A}, 1},
    {"a host without its PTR",
     "DELETE FROM rr WHERE type = 12 AND key = key('5.20.18.198.in-addr.arpa.')",
     {CHECK_HOST_PTR}, 1},
    {"a PTR without a host",
     "INSERT INTO rr VALUES (" ZONE("198.in-addr.arpa.") ", key('99.20.18.198.in-addr.arpa.'), 12,"
     " wire('ghost.lab.'), 300)",
     {CHECK_PTR_ORPHAN}, 1},
    {"a host whose address was released",
     "DELETE FROM block WHERE start = addr('198.18.20.5') AND plen = 32",
     {CHECK_HOST_UNREGISTERED, CHECK_FREE_MISSING}, 2},
    {"two hosts with one address",
     "INSERT INTO host (zone_id, name, v4, created) VALUES (" ZONE("lab.") ", 'twin.lab.',"
     " '198.18.20.5', 0); INSERT INTO rr VALUES (" ZONE("lab.") ", key('twin.lab.'), 1,"
     " addr4('198.18.20.5'), 300); INSERT INTO rr VALUES (" ZONE("198.in-addr.arpa.") ","
     " key('5.20.18.198.in-addr.arpa.'), 12, wire('twin.lab.'), 300)",
     {CHECK_HOST_SHARED}, 1},
    {"a host's records left behind",
     "DELETE FROM host WHERE name = 'fixed.lab.'",
     {CHECK_RECORD_ORPHAN}, 1},
    {"records left behind, after a PTR naming a reverse name",
     "INSERT INTO rr VALUES (" ZONE("198.in-addr.arpa.") ", key('98.20.18.198.in-addr.arpa.'), 12,"
     " wire('5.20.18.198.in-addr.arpa.'), 300); DELETE FROM host WHERE name = 'fixed.lab.'",
     {CHECK_RECORD_ORPHAN}, 1},
    {"a block maintained by an account that is gone",
     "UPDATE block SET maintainer = 'ghost' WHERE id = " BLOCK("198.18.128.0", 17),
     {CHECK_AUTHORITY_ORPHAN}, 1},
    {"a block whose delegation mark is wrong (lana authority would miss it)",
     "UPDATE block SET delegated = 1 WHERE id = " BLOCK("198.18.128.0", 17),
     {CHECK_AUTHORITY_ORPHAN}, 1},
    {"a zone registered for an account that is gone",
     "UPDATE zone SET registrant = 'ghost' WHERE id = " ZONE("lab2."),
     {CHECK_AUTHORITY_ORPHAN}, 1},
    /* (a bucket's last byte is the last byte of its last name's records) */
    {"a lookup entry that is not its name's records (the workers would answer from it)",
     "UPDATE node SET v = substr(v, 1, length(v) - 1) || CASE WHEN substr(v, -1) = x'63'"
     " THEN x'64' ELSE x'63' END WHERE b = (SELECT min(b) FROM node WHERE length(v) > 2)",
     {CHECK_LOOKUP_STALE}, 1},
    {"a lookup bucket that does not parse (it says 5 names, and holds none)",
     "INSERT INTO node VALUES ((" ZONE("lab.") " << 32) + 7, x'0005')",
     {CHECK_LOOKUP_STALE}, 1},
    {"a lookup entry in a bucket where its name is not looked for",
     "INSERT INTO node SELECT b + 1000, v FROM node"
     " WHERE b = (SELECT min(b) FROM node WHERE length(v) > 2)",
     {CHECK_LOOKUP_STALE}, 1},
    {"a zone without its SOA",
     "DELETE FROM rr WHERE type = 6 AND zone_id = " ZONE("lab2."),
     {CHECK_ZONE_SOA}, 1},
    {"a zone with a malformed SOA",
     "UPDATE rr SET rdata = x'0000' WHERE type = 6 AND zone_id = " ZONE("lab2."),
     {CHECK_ZONE_SOA}, 1},
    {"a zone with two SOA records",
     "INSERT INTO rr SELECT zone_id, key, 6, rdata || x'00', ttl FROM rr"
     " WHERE type = 6 AND zone_id = " ZONE("lab2."),
     {CHECK_ZONE_SOA}, 1},
    {"a zone without NS",
     "DELETE FROM rr WHERE type = 2 AND zone_id = " ZONE("lab2."),
     {CHECK_ZONE_NS}, 1},
    {"a CNAME beside other data",
     "INSERT INTO rr VALUES (" ZONE("lab.") ", key('fixed.lab.'), 5, wire('lab.'), 300)",
     {CHECK_CNAME_CONFLICT}, 1},
    {"a record outside its zone",
     "INSERT INTO rr VALUES (" ZONE("lab2.") ", key('x.lab.'), 16, x'0178', 300)",
     {CHECK_RECORD_OUTSIDE}, 1},
    {"a record with malformed rdata",
     "INSERT INTO rr VALUES (" ZONE("lab.") ", key('mx.lab.'), 15, x'00', 300)",
     {CHECK_RECORD_MALFORMED}, 1},
    {"a zone whose name is not canonical",
     "UPDATE zone SET name = 'LAB2.' WHERE name = 'lab2.'",
     {CHECK_ZONE_APEX}, 1},
    {"a row pointing at nothing",
     "PRAGMA foreign_keys = OFF; INSERT INTO zone_block VALUES (" ZONE("lab.") ", 999999)",
     {CHECK_FOREIGN_KEY}, 1},
    {"another schema version",
     "PRAGMA user_version = 3",
     {CHECK_SCHEMA_VERSION}, 1},
};

static void addr4_fn(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    struct cidr c;
    if (cidr_parse_addr((const char *)sqlite3_value_text(argv[0]), &c, NULL) != 0 || c.family != 4)
        sqlite3_result_error(cx, "bad address", -1);
    else
        sqlite3_result_blob(cx, c.addr, 4, SQLITE_TRANSIENT);
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

/* A copy of the clean database with the damage done to it, checked. */
static void damaged_check(const struct damage *dm, struct seen *s)
{
    struct testdb t;
    sqlite3 *db;
    char *err = NULL;
    assert_int_equal(testdb_make(&t), 0);
    copy_file(golden.path, t.path);
    assert_int_equal(sqlite3_open(t.path, &db), SQLITE_OK);
    sqlite3_create_function(db, "key", 1, SQLITE_UTF8, NULL, key_fn, NULL, NULL);
    sqlite3_create_function(db, "wire", 1, SQLITE_UTF8, NULL, wire_fn, NULL, NULL);
    sqlite3_create_function(db, "addr", 1, SQLITE_UTF8, NULL, addr_fn, NULL, NULL);
    sqlite3_create_function(db, "addr4", 1, SQLITE_UTF8, NULL, addr4_fn, NULL, NULL);
    if (sqlite3_exec(db, dm->sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", dm->what, err);
    if (sqlite3_changes(db) == 0 && strncmp(dm->sql, "PRAGMA", 6) != 0)
        fail_msg("%s: the SQL changed nothing", dm->what);
    sqlite3_close(db);
    struct lana_diag d;
    int rc = check_run(t.path, collect, s, NULL, &d);
    testdb_cleanup(&t);
    if (rc < 0)
        fail_msg("%s: %s", dm->what, d.msg);
    assert_int_equal(rc, s->n);
}

static void test_each_damage_gives_its_finding(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof damages / sizeof damages[0]; i++) {
        const struct damage *dm = &damages[i];
        struct seen s = {0};
        damaged_check(dm, &s);
        /* exactly the codes wanted: each at least once, nothing else */
        bool ok = s.n > 0;
        for (int k = 0; k < dm->nwant; k++) {
            bool found = false;
            for (int j = 0; j < s.n; j++)
                found |= s.code[j] == dm->want[k];
            ok &= found;
        }
        for (int j = 0; j < s.n; j++) {
            bool wanted = false;
            for (int k = 0; k < dm->nwant; k++)
                wanted |= s.code[j] == dm->want[k];
            ok &= wanted;
        }
        if (!ok)
            fail_msg("%s: want %s%s%s, got:\n%s", dm->what, check_code_name(dm->want[0]),
                     dm->nwant > 1 ? " and " : "",
                     dm->nwant > 1 ? check_code_name(dm->want[1]) : "", s.text);
        print_message("%-45s %s\n", dm->what, check_code_name(s.code[0]));
    }
}

/* A file that is not a database is a finding of SQLite's own check, not an error. */
static void test_not_a_database(void **state)
{
    (void)state;
    struct testdb t;
    assert_int_equal(testdb_make(&t), 0);
    FILE *fp = fopen(t.path, "wb");
    assert_non_null(fp);
    for (int i = 0; i < 1000; i++)
        fputs("not a database at all ", fp);
    fclose(fp);
    struct seen s = {0};
    struct lana_diag d;
    int rc = check_run(t.path, collect, &s, NULL, &d);
    testdb_cleanup(&t);
    assert_int_equal(rc, 1);
    assert_int_equal(s.code[0], CHECK_SQLITE_INTEGRITY);
}

/* The callback can stop the check at the first finding. */
static int stop_cb(const struct check_finding *f, void *arg)
{
    (void)f;
    (*(int *)arg)++;
    return 1;
}

static void test_callback_stops(void **state)
{
    (void)state;
    struct testdb t;
    sqlite3 *db;
    assert_int_equal(testdb_make(&t), 0);
    copy_file(golden.path, t.path);
    assert_int_equal(sqlite3_open(t.path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DELETE FROM freespace; DELETE FROM rr WHERE type = 6",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    int calls = 0;
    struct lana_diag d;
    assert_int_equal(check_run(t.path, stop_cb, &calls, NULL, &d), 1);
    assert_int_equal(calls, 1);
    assert_true(check_run(t.path, NULL, NULL, NULL, &d) > 10);
    testdb_cleanup(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_database_passes),
        cmocka_unit_test(test_missing_file_is_not_found),
        cmocka_unit_test(test_every_code_has_its_own_name),
        cmocka_unit_test(test_each_damage_gives_its_finding),
        cmocka_unit_test(test_not_a_database),
        cmocka_unit_test(test_callback_stops),
    };
    return cmocka_run_group_tests(tests, make_golden, drop_golden);
}
