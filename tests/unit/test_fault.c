/* Failure injection over every write operation of db/: each one runs once to count its SQLite
 * steps, then again with a failure (SQLITE_IOERR, then SQLITE_FULL) at every step k = 1..n in
 * turn. Each must answer an error and leave the database byte for byte as it was, inside the
 * turn's transaction (the registry goes on with the turn's other commands). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/ipam.h"
#include "db/account.h"
#include "db/host.h"
#include "db/names.h"
#include "db/rrset.h"
#include "db/service.h"
#include "db/zone.h"
#include "db/zoneio.h"
#include "db/store.h"
#include "tests/lib/sqlfault.h"
#include "tests/lib/testdb.h"

static struct cidr P(const char *s)
{
    struct cidr c;
    if (cidr_parse(s, &c, NULL) != 0)
        abort();
    return c;
}

static const struct host_addr_spec AUTO = {HOST_ADDR_AUTO, {0}, false};

#define OK(x)                                                                                      \
    do {                                                                                           \
        if ((x) < 0) {                                                                             \
            fprintf(stderr, "setup: %s: %s\n", #x, d.msg);                                         \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

/* A registry with something of everything: pools, nested blocks, zones with hosts, records,
 * services bound and unbound. */
static int setup(void **state)
{
    struct testdb_names *f;
    struct lana_diag d = {{0}};
    if (testdb_names_open_empty(&f) != 0)
        return -1;
    struct cidr p4 = P("198.18.0.0/16"), p6 = P("2001:db8::/32"), spare = P("198.19.0.0/17"),
                lan = P("198.18.1.0/24"), big = P("198.18.32.0/20"), sub = P("198.18.33.0/24"),
                hosts = P("198.18.3.0/30");
    struct host_addr_spec in_hosts = {HOST_ADDR_GIVEN, P("198.18.3.1/32"), false};
    struct host_addr_spec none = {HOST_ADDR_NONE, {0}, false};
    struct host_info h;
    int bound;
    OK(store_begin(f->st, &d));
    OK(ipam_pool_add(f->ip, &p4, "v4", "t", NULL, &d));
    OK(ipam_pool_add(f->ip, &p6, "v6", "t", NULL, &d));
    OK(ipam_pool_add(f->ip, &spare, "spare", "t", NULL, &d));
    OK(ipam_take(f->ip, &lan, IPAM_ASSIGNED, "lan", NULL, "t", NULL, &d));
    OK(ipam_take(f->ip, &big, IPAM_ALLOCATED, "rir", NULL, "t", NULL, &d));
    OK(ipam_take(f->ip, &sub, IPAM_ASSIGNED, "lir", NULL, "t", NULL, &d));
    OK(ipam_take(f->ip, &hosts, IPAM_ASSIGNED, "servers", NULL, "t", NULL, &d));
    OK(zone_ensure(f->nm, "198.in-addr.arpa.", "t", &d));
    OK(zone_ensure(f->nm, "8.b.d.0.1.0.0.2.ip6.arpa.", "t", &d));
    OK(zone_add(f->nm, "lab.", &lan, 1, "t", NULL, &d));
    OK(zone_add(f->nm, "empty.", NULL, 0, "t", NULL, &d));
    OK(host_add(f->nm, "web.lab.", &AUTO, &AUTO, NULL, "t", &h, &d));
    OK(host_add(f->nm, "db.lab.", &AUTO, &none, NULL, "t", &h, &d));
    OK(host_add(f->nm, "srv.lab.", &in_hosts, &none, NULL, "t", &h, &d));
    OK(rrset_add(f->nm, "lab.", "MX", "10 web.lab.", "t", &d));
    OK(rrset_add(f->nm, "www.lab.", "CNAME", "web.lab.", "t", &d));
    OK(rrset_add(f->nm, "sub.lab.", "NS", "ns.elsewhere.", "t", &d));
    OK(service_add(f->nm, "http", "tcp", 80, "web", "t", NULL, &d));
    OK(service_add(f->nm, "dns", "udp", 53, "", "t", NULL, &d));
    OK(service_bind(f->nm, "db.lab.", "http", "tcp", 0, "t", &bound, NULL, &d));
    OK(service_bind(f->nm, "srv.lab.", "http", "tcp", 8080, "t", &bound, NULL, &d));
    OK(store_commit(f->st, &d));
    *state = f;
    return 0;
}

typedef int op_fn(struct testdb_names *f, struct lana_diag *d);

static int op_pool_add(struct testdb_names *f, struct lana_diag *d)
{
    struct cidr p = P("198.19.128.0/17");
    return ipam_pool_add(f->ip, &p, "new", "t", NULL, d);
}

static int op_pool_del(struct testdb_names *f, struct lana_diag *d)
{
    struct cidr p = P("198.19.0.0/17");
    return ipam_pool_del(f->ip, &p, "t", d);
}

static int op_block_alloc(struct testdb_names *f, struct lana_diag *d)
{
    struct cidr p = P("198.18.0.0/16");
    return ipam_alloc(f->ip, &p, 20, IPAM_ALLOCATED, "x", "d", "t", NULL, d);
}

static int op_block_assign(struct testdb_names *f, struct lana_diag *d)
{
    struct cidr p = P("198.18.39.0/24");
    return ipam_take(f->ip, &p, IPAM_ASSIGNED, "x", NULL, "t", NULL, d);
}

static int op_block_reserve(struct testdb_names *f, struct lana_diag *d)
{
    struct cidr p = P("198.18.64.0/20");
    return ipam_take(f->ip, &p, IPAM_RESERVED, "", NULL, "t", NULL, d);
}

static int op_block_release(struct testdb_names *f, struct lana_diag *d)
{
    struct cidr p = P("198.18.32.0/20");
    return ipam_release(f->ip, &p, true, "t", NULL, d);
}

static int op_block_update(struct testdb_names *f, struct lana_diag *d)
{
    struct cidr p = P("198.18.32.0/20");
    return ipam_update(f->ip, &p, "other", "changed", "t", NULL, d);
}

static int op_zone_add(struct testdb_names *f, struct lana_diag *d)
{
    struct cidr b = P("198.18.1.0/24");
    return zone_add(f->nm, "new.", &b, 1, "t", NULL, d);
}

static int op_zone_del(struct testdb_names *f, struct lana_diag *d)
{
    return zone_del(f->nm, "lab.", true, "t", d);
}

static int op_zone_del_empty(struct testdb_names *f, struct lana_diag *d)
{
    return zone_del(f->nm, "empty.", false, "t", d);
}

static int op_host_add(struct testdb_names *f, struct lana_diag *d)
{
    return host_add(f->nm, "pc.lab.", &AUTO, &AUTO, NULL, "t", NULL, d);
}

static int op_host_del(struct testdb_names *f, struct lana_diag *d)
{
    return host_del(f->nm, "web.lab.", "t", d);
}

static int op_host_rename(struct testdb_names *f, struct lana_diag *d)
{
    return host_rename(f->nm, "db.lab.", "db2.lab.", "t", NULL, d);
}

static int op_record_add(struct testdb_names *f, struct lana_diag *d)
{
    return rrset_add(f->nm, "lab.", "TXT", "\"hello\"", "t", d);
}

static int op_record_del(struct testdb_names *f, struct lana_diag *d)
{
    return rrset_del(f->nm, "lab.", "MX", NULL, "t", NULL, d);
}

static int op_service_add(struct testdb_names *f, struct lana_diag *d)
{
    return service_add(f->nm, "ssh", "tcp", 0, "", "t", NULL, d);
}

static int op_service_del(struct testdb_names *f, struct lana_diag *d)
{
    return service_del(f->nm, "dns", "udp", "t", d);
}

static int op_service_bind(struct testdb_names *f, struct lana_diag *d)
{
    int n;
    return service_bind(f->nm, "web.lab.", "http", NULL, 0, "t", &n, NULL, d);
}

static int op_service_unbind(struct testdb_names *f, struct lana_diag *d)
{
    int n;
    return service_unbind(f->nm, "db.lab.", "http", "tcp", "t", &n, d);
}

static int op_block_release_hosts(struct testdb_names *f, struct lana_diag *d)
{
    struct cidr p = P("198.18.3.0/30");
    return host_release_block(f->nm, &p, true, "t", NULL, NULL, d);
}

static int op_account_add(struct testdb_names *f, struct lana_diag *d)
{
    struct account a = {.name = "carol", .role = "registrar"};
    return account_add(f->st, &a, "t", d);
}

static int op_zone_import(struct testdb_names *f, struct lana_diag *d)
{
    static const char text[] = "$ORIGIN imp.\n"
                               "@ 3600 IN SOA ns1.imp. hostmaster.imp. 1 3600 900 604800 300\n"
                               "@ 3600 IN NS ns1.imp.\n"
                               "ns1 300 IN A 198.18.7.1\n"
                               "www 300 IN CNAME ns1\n";
    FILE *fp = fmemopen((void *)text, sizeof text - 1, "r");
    if (fp == NULL)
        return LANA_ENOMEM;
    int rc = zoneio_import(f->st, fp, "imp", NULL, NULL, d);
    fclose(fp);
    return rc;
}

static const struct {
    const char *name;
    op_fn *fn;
} ops[] = {
    {"pool add", op_pool_add},         {"pool del", op_pool_del},
    {"block alloc", op_block_alloc},   {"block assign", op_block_assign},
    {"block reserve", op_block_reserve}, {"block release", op_block_release},
    {"block update", op_block_update}, {"zone add", op_zone_add},
    {"zone del", op_zone_del},         {"zone del (empty)", op_zone_del_empty},
    {"host add", op_host_add},         {"host del", op_host_del},
    {"host rename", op_host_rename},   {"record add", op_record_add},
    {"record del", op_record_del},     {"service add", op_service_add},
    {"service del", op_service_del},   {"service bind", op_service_bind},
    {"service unbind", op_service_unbind}, {"block release (hosts)", op_block_release_hosts},
    {"account add", op_account_add},   {"zone import", op_zone_import},
};

/* Runs op with a failure at step k (0: none) inside a turn; 0 when all was as it must be. */
static int run_one(struct testdb_names *f, op_fn *fn, unsigned long k, int code, const char *before,
                   const char *name, unsigned long *steps)
{
    struct lana_diag d = {{0}};
    int bad = 0;
    if (store_begin(f->st, &d) != 0) {
        fprintf(stderr, "%s: begin: %s\n", name, d.msg);
        return 1;
    }
    if (k > 0)
        sqlfault_arm_rc(k, code, 1);
    else
        sqlfault_reset();
    int rc = fn(f, &d);
    unsigned long fired = sqlfault_fired();
    if (steps != NULL)
        *steps = sqlfault_steps();
    sqlfault_disarm();
    if (k == 0) {
        if (rc != 0) {
            fprintf(stderr, "%s: fails without a fault: %s\n", name, d.msg);
            bad = 1;
        }
        store_rollback(f->st);
        return bad;
    }
    if (fired == 0) {
        fprintf(stderr, "%s: step %lu: never reached\n", name, k);
        bad = 1;
    }
    if (rc >= 0) {
        fprintf(stderr, "%s: step %lu (rc %d): no error returned\n", name, k, code);
        bad = 1;
    }
    if (store_turn_aborted(f->st)) {
        /* the undo failed: the turn must go whole, and then all is as before the turn */
        if (store_commit(f->st, &d) == 0) {
            fprintf(stderr, "%s: step %lu: an aborted turn was committed\n", name, k);
            bad = 1;
        }
    }
    char *after = testdb_dump(f->st);
    if (after == NULL || strcmp(before, after) != 0) {
        fprintf(stderr, "%s: step %lu (rc %d): the database changed (%s)\n", name, k, code, d.msg);
        bad = 1;
    }
    free(after);
    store_rollback(f->st);
    return bad;
}

static void test_every_write_fails_whole_at_every_step(void **state)
{
    struct testdb_names *f = *state;
    char *before = testdb_dump(f->st);
    assert_non_null(before);
    int bad = 0;
    unsigned long total = 0;
    static const int codes[] = {SQLITE_IOERR, SQLITE_FULL};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        unsigned long n = 0;
        bad += run_one(f, ops[i].fn, 0, 0, before, ops[i].name, &n);
        assert_true(n > 0);
        for (size_t c = 0; c < 2; c++)
            for (unsigned long k = 1; k <= n; k++)
                bad += run_one(f, ops[i].fn, k, codes[c], before, ops[i].name, NULL);
        total += n;
    }
    print_message("%zu operations, %lu steps, each failed in turn\n", sizeof ops / sizeof ops[0],
                  total);
    char *again = testdb_dump(f->st);
    assert_string_equal(before, again);
    free(again);
    free(before);
    assert_int_equal(bad, 0);
}

/* An undo that fails too aborts the turn: everything of it is rolled back at commit, and the
 * commands after it are refused. */
static void test_failed_undo_aborts_the_turn(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    char *before = testdb_dump(f->st);
    assert_non_null(before);
    assert_int_equal(store_begin(f->st, &d), 0);
    assert_int_equal(op_pool_add(f, &d), 0); /* an earlier command of the same turn */
    sqlfault_reset();
    assert_int_equal(op_host_add(f, &d), 0);
    unsigned long n = sqlfault_steps();
    assert_true(n > 4);
    store_rollback(f->st);
    assert_int_equal(store_begin(f->st, &d), 0);
    assert_int_equal(op_pool_add(f, &d), 0);
    sqlfault_arm_rc(n - 2, SQLITE_IOERR, 0); /* late in host add, and every step after */
    assert_true(op_host_add(f, &d) < 0);
    sqlfault_disarm();
    assert_true(store_turn_aborted(f->st));
    assert_true(op_record_add(f, &d) < 0); /* the turn is over */
    assert_int_equal(store_commit(f->st, &d), LANA_EDB);
    assert_false(store_in_transaction(f->st));
    assert_false(store_turn_aborted(f->st));
    char *after = testdb_dump(f->st);
    assert_string_equal(before, after);
    free(after);
    free(before);
    /* and the store works again */
    assert_int_equal(store_begin(f->st, &d), 0);
    assert_int_equal(op_record_add(f, &d), 0);
    assert_int_equal(store_commit(f->st, &d), 0);
}

/* Outside a turn, a unit whose undo fails opened the transaction itself: it is rolled back at
 * once, and nothing is left open or marked. */
static void test_failed_undo_without_a_turn_rolls_back_at_once(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    char *before = testdb_dump(f->st);
    assert_non_null(before);
    assert_int_equal(store_begin(f->st, &d), 0);
    sqlfault_reset();
    assert_int_equal(op_host_add(f, &d), 0);
    unsigned long n = sqlfault_steps();
    store_rollback(f->st);
    sqlfault_arm_rc(n / 2, SQLITE_FULL, 0); /* inside the address's unit, and all after */
    assert_true(op_host_add(f, &d) < 0);
    sqlfault_disarm();
    assert_false(store_in_transaction(f->st));
    assert_false(store_turn_aborted(f->st));
    char *after = testdb_dump(f->st);
    assert_string_equal(before, after);
    free(after);
    free(before);
    assert_int_equal(op_record_add(f, &d), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_write_fails_whole_at_every_step, setup,
                                        testdb_names_teardown),
        cmocka_unit_test_setup_teardown(test_failed_undo_aborts_the_turn, setup,
                                        testdb_names_teardown),
        cmocka_unit_test_setup_teardown(test_failed_undo_without_a_turn_rolls_back_at_once, setup,
                                        testdb_names_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
