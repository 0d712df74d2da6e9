/* Unit tests of NOTIFY's parts: the notifier's back-off schedule (server/notifier.h), NOTIFY
 * targets in the database and the notifier's view of it (db/notifydb.h), and the table of
 * secondaries (server/secstate.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dname.h"
#include "db/notifydb.h"
#include "db/zone.h"
#include "server/notifier.h"
#include "server/secstate.h"
#include "tests/lib/testdb.h"

static void test_notifier_retry_ms_doubles_up_to_the_cap(void **state)
{
    (void)state;
    static const struct {
        unsigned sent;
        uint64_t ms;
    } rows[] = {{0, 250}, {1, 250}, {2, 500}, {3, 1000}, {4, 2000}, {5, 2000}, {1000, 2000}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        assert_int_equal(notifier_retry_ms(rows[i].sent), rows[i].ms);
    uint64_t total = 0; /* a NOTIFY never answered is given up after this long */
    for (unsigned k = 1; k <= NOTIFIER_TRIES; k++)
        total += notifier_retry_ms(k);
    assert_int_equal(total, 250 + 500 + 1000 + 2000 + 2000);
}

static void test_notifydb_parse_target_rows(void **state)
{
    (void)state;
    static const struct {
        const char *in, *canon;
        int rc;
    } rows[] = {
        {"192.0.2.1", "192.0.2.1:53", 0},
        {"192.0.2.1:5300", "192.0.2.1:5300", 0},
        {"2001:db8::1", "[2001:db8::1]:53", 0},
        {"[2001:DB8::1]:5300", "[2001:db8::1]:5300", 0},
        {"127.0.0.1:0", NULL, LANA_EPARSE},     /* port 0 */
        {"127.0.0.1:65536", NULL, LANA_EPARSE},
        {"0.0.0.0", NULL, LANA_EPARSE},         /* unspecified */
        {"::", NULL, LANA_EPARSE},
        {"224.0.0.251", NULL, LANA_EPARSE},     /* multicast */
        {"ff02::1", NULL, LANA_EPARSE},
        {"255.255.255.255", NULL, LANA_EPARSE}, /* broadcast */
        {"ns1.lab.", NULL, LANA_EPARSE},        /* names are not resolved */
        {"[2001:db8::1", NULL, LANA_EPARSE},
        {"", NULL, LANA_EPARSE},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct sockaddr_storage ss;
        socklen_t len;
        char canon[NET_ADDRSTRLEN] = "untouched";
        struct lana_diag d = {0};
        int rc = notifydb_parse_target(rows[i].in, &ss, &len, canon, &d);
        if (rc != rows[i].rc)
            fail_msg("%s: %d, expected %d", rows[i].in, rc, rows[i].rc);
        if (rc == 0)
            assert_string_equal(canon, rows[i].canon);
        else
            assert_string_equal(canon, "untouched"), assert_true(d.msg[0] != '\0');
    }
}

struct seen {
    unsigned zones, targets;
    uint32_t lab_serial;
    char last_target[NET_ADDRSTRLEN];
};

static void on_zone(const struct notifydb_zone *z, void *arg)
{
    struct seen *s = arg;
    s->zones++;
    if (strcmp(z->name, "lab.") == 0) {
        uint32_t serial;
        assert_int_equal(zone_soa_serial(z->soa, z->soa_len, &serial), 0);
        assert_int_equal(serial, z->serial);
        assert_int_equal(z->apex[0], 3);
        s->lab_serial = z->serial;
    }
}

static int on_target(const char *zone, const char *target, void *arg)
{
    struct seen *s = arg;
    s->targets++;
    assert_string_equal(zone, "lab.");
    snprintf(s->last_target, sizeof s->last_target, "%s", target);
    return 0;
}

static int count_cb(const char *zone, const char *target, void *arg)
{
    (void)zone;
    (void)target;
    (*(int *)arg)++;
    return 0;
}

static int64_t zone_id_of(struct testdb_names *f, const char *name)
{
    struct zone_info z;
    struct lana_diag d;
    assert_int_equal(zone_get(f->nm, name, &z, &d), 0);
    return z.id;
}

static int count(struct testdb_names *f, const char *zone)
{
    struct lana_diag d;
    int n = 0;
    assert_int_equal(notifydb_list(f->nm, zone, count_cb, &n, &d), 0);
    return n;
}

static void test_notifydb_targets_add_del_list_and_follow_the_zone(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    char canon[NET_ADDRSTRLEN];
    assert_int_equal(zone_add(f->nm, "lab.", NULL, 0, "test", NULL, &d), 0);
    assert_int_equal(notifydb_add(f->nm, "lab", "192.0.2.1", "test", canon, &d), 0);
    assert_string_equal(canon, "192.0.2.1:53");
    /* the same secondary written another way is the same row */
    assert_int_equal(notifydb_add(f->nm, "LAB.", "192.0.2.1:53", "test", NULL, &d),
                     LANA_ECONFLICT);
    assert_int_equal(notifydb_add(f->nm, "lab.", "[2001:db8::1]:5300", "test", NULL, &d), 0);
    assert_int_equal(notifydb_add(f->nm, "lab.", "0.0.0.0", "test", NULL, &d), LANA_EPARSE);
    assert_int_equal(notifydb_add(f->nm, "nosuch.", "192.0.2.1", "test", NULL, &d),
                     LANA_ENOTFOUND);
    assert_int_equal(count(f, "lab."), 2);
    assert_int_equal(count(f, NULL), 2);
    assert_int_equal(notifydb_del(f->nm, "lab.", "192.0.2.7", "test", NULL, &d), LANA_ENOTFOUND);
    assert_int_equal(notifydb_del(f->nm, "lab.", "192.0.2.1", "test", canon, &d), 0);
    assert_int_equal(count(f, "lab."), 1);
    /* the notifier's view: read once after each change, with the targets */
    struct notifydb_reader *r;
    struct seen s = {0};
    assert_int_equal(notifydb_reader_open(f->t.path, &r, &d), 0);
    assert_int_equal(notifydb_scan(r, on_zone, on_target, &s, &d), 1);
    assert_true(s.zones >= 3); /* lab. and the two reverse zones */
    assert_int_equal(s.targets, 1);
    assert_string_equal(s.last_target, "[2001:db8::1]:5300");
    uint32_t before = s.lab_serial;
    assert_int_equal(notifydb_scan(r, on_zone, on_target, &s, &d), 0); /* nothing changed */
    memset(&s, 0, sizeof s);
    assert_int_equal(zone_touch(f->st, zone_id_of(f, "lab."), NULL, ZONE_TOUCH_SERIAL, &d), 0);
    assert_int_equal(notifydb_scan(r, on_zone, on_target, &s, &d), 1);
    assert_int_not_equal(s.lab_serial, before);
    /* a deleted zone takes its targets along */
    assert_int_equal(zone_del(f->nm, "lab.", false, "test", &d), 0);
    assert_int_equal(count(f, NULL), 0);
    notifydb_reader_close(r);
}

static struct sockaddr_storage v4(const char *a, uint16_t port)
{
    struct sockaddr_storage ss = {0};
    struct sockaddr_in *s = (struct sockaddr_in *)&ss;
    s->sin_family = AF_INET;
    s->sin_port = htons(port);
    inet_pton(AF_INET, a, &s->sin_addr);
    return ss;
}

static void test_secstate_records_soa_queries_of_known_secondaries_only(void **state)
{
    (void)state;
    static const uint8_t lab[] = {3, 'l', 'a', 'b', 0};
    static const uint8_t soa[] = {0, 0, 0x78, 0xc4, 0x3c, 0x11, 0, 0, 0, 1, 0, 0, 0, 1,
                                  0, 0, 0, 1, 0, 0, 0, 1}; /* MNAME ., RNAME ., serial ... */
    struct secstate_entry *v;
    secstate_reset();
    struct sockaddr_storage a = v4("192.0.2.9", 4000), b = v4("192.0.2.10", 4000);
    secstate_soa_query(lab, (struct sockaddr *)&a);
    assert_false(secstate_any_known());
    assert_int_equal(secstate_snapshot(NULL, &v), 0);
    struct sockaddr_storage tg = v4("192.0.2.9", 5300);
    secstate_targets("lab.", &tg, 1);
    assert_true(secstate_any_known());
    secstate_soa_query(lab, (struct sockaddr *)&a); /* another port: the same secondary */
    secstate_soa_query(lab, (struct sockaddr *)&b); /* not a secondary */
    secstate_notify_answered("lab.", (struct sockaddr *)&tg, 7, 2, 0);
    secstate_xfr_done("lab.", "[::ffff:192.0.2.9]:4711", "axfr", soa, sizeof soa, 1234);
    assert_int_equal(secstate_snapshot(NULL, &v), 1);
    assert_string_equal(v[0].zone, "lab.");
    assert_string_equal(v[0].addr, "192.0.2.9");
    assert_true(v[0].target);
    assert_int_equal(v[0].notify_port, 5300);
    assert_true(v[0].soa_query_ms > 0);
    assert_int_equal(v[0].notify_answered_serial, 7);
    assert_int_equal(v[0].notify_answered_tries, 2);
    assert_string_equal(v[0].xfr_kind, "axfr");
    assert_int_equal(v[0].xfr_serial, 0x78c43c11u);
    assert_int_equal(v[0].xfr_bytes, 1234);
    free(v);
    /* no longer a target: still known, by its transfer */
    secstate_targets("lab.", NULL, 0);
    assert_true(secstate_any_known());
    assert_int_equal(secstate_snapshot("other.", &v), 0);
    assert_int_equal(secstate_snapshot("lab.", &v), 1);
    assert_false(v[0].target);
    free(v);
    secstate_reset();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notifier_retry_ms_doubles_up_to_the_cap),
        cmocka_unit_test(test_notifydb_parse_target_rows),
        cmocka_unit_test_setup_teardown(test_notifydb_targets_add_del_list_and_follow_the_zone,
                                        testdb_names_setup, testdb_names_teardown),
        cmocka_unit_test(test_secstate_records_soa_queries_of_known_secondaries_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
