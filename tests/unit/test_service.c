/* Unit tests of db/service: the port registry (RFC 6335 names, free ports, the dynamic
 * range) and SRV bindings, which follow a host's rename and go with the host. */
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
#include "db/zone.h"
#include "tests/lib/testdb.h"

static const struct host_addr_spec AUTO = {HOST_ADDR_AUTO, {0}, false},
                                   NONE = {HOST_ADDR_NONE, {0}, false};

static void test_services_ports_bindings_and_rename(void **state)
{
    struct testdb_names *f = *state;
    struct lana_diag d;
    struct host_info h;
    const char *text;
    assert_int_equal(zone_add(f->nm, "lab", NULL, 0, "t", NULL, &d), 0);
    assert_int_equal(host_add(f->nm, "web.lab", &AUTO, &NONE, NULL, "t", &h, &d), 0);
    /* services */
    struct service_info s;
    assert_int_equal(service_add(f->nm, "http", "tcp", 80, NULL, "t", &s, &d), 0);
    assert_int_equal(service_add(f->nm, "lana", "tcp", 0, NULL, "t", &s, &d), 0);
    assert_int_equal(s.port, 1024);
    assert_int_equal(service_add(f->nm, "lana2", "tcp", 0, NULL, "t", &s, &d), 0);
    assert_int_equal(s.port, 1025);
    assert_int_equal(service_add(f->nm, "lana", "udp", 0, NULL, "t", &s, &d), 0);
    assert_int_equal(s.port, 1024);
    assert_int_equal(service_add(f->nm, "www", "tcp", 80, NULL, "t", &s, &d), LANA_ECONFLICT);
    assert_int_equal(service_add(f->nm, "x", "tcp", 50000, NULL, "t", &s, &d), LANA_ERANGE);
    assert_int_equal(service_add(f->nm, "a--b", "tcp", 0, NULL, "t", &s, &d), LANA_EPARSE);
    assert_int_equal(service_add(f->nm, "123", "tcp", 0, NULL, "t", &s, &d), LANA_EPARSE);
    assert_int_equal(service_add(f->nm, "ok", "sctp", 0, NULL, "t", &s, &d), LANA_EPARSE);
    int bound = 0;
    struct service_srv srv[SERVICE_SRV_MAX];
    assert_int_equal(service_bind(f->nm, "web.lab", "lana", NULL, 0, "t", &bound, srv, &d), 0);
    assert_int_equal(bound, 2); /* tcp and udp, and what was published for each */
    assert_string_equal(srv[0].owner, "_lana._tcp.web.lab.");
    assert_string_equal(srv[1].owner, "_lana._udp.web.lab.");
    for (int i = 0; i < 2; i++) {
        assert_int_equal(srv[i].ttl, 300);
        assert_int_equal(srv[i].priority, 0);
        assert_int_equal(srv[i].weight, 0);
        assert_int_equal(srv[i].port, 1024);
        assert_string_equal(srv[i].target, "web.lab.");
    }
    assert_int_equal(service_bind(f->nm, "web.lab", "http", "tcp", 8080, "t", &bound, srv, &d), 0);
    assert_int_equal(bound, 1);
    assert_string_equal(srv[0].owner, "_http._tcp.web.lab.");
    assert_int_equal(srv[0].port, 8080);
    text = testdb_export(f->st, "lab.");
    assert_non_null(strstr(text, "_lana._tcp.web.lab.\t300\tIN\tSRV\t0 0 1024 web.lab."));
    assert_non_null(strstr(text, "_http._tcp.web.lab.\t300\tIN\tSRV\t0 0 8080 web.lab."));
    assert_int_equal(service_bind(f->nm, "nohost.lab", "http", "tcp", 0, "t", &bound, NULL, &d), LANA_ENOTFOUND);
    assert_int_equal(service_del(f->nm, "lana", "tcp", "t", &d), LANA_ECONFLICT);
    /* rename keeps the addresses and the bindings */
    assert_int_equal(host_rename(f->nm, "web.lab", "web2.lab", "t", &h, &d), 0);
    assert_string_equal(h.v4, "198.18.0.1");
    text = testdb_export(f->st, "lab.");
    assert_null(strstr(text, "web.lab.\t300\tIN\tA"));
    assert_non_null(strstr(text, "_lana._udp.web2.lab.\t300\tIN\tSRV\t0 0 1024 web2.lab."));
    assert_int_equal(service_unbind(f->nm, "web2.lab", "lana", NULL, "t", &bound, &d), 0);
    assert_int_equal(bound, 2);
    assert_int_equal(service_del(f->nm, "lana", "tcp", "t", &d), 0);
    /* host del also withdraws its SRV records */
    assert_int_equal(host_del(f->nm, "web2.lab", "t", &d), 0);
    assert_null(strstr(testdb_export(f->st, "lab."), "_http"));
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_services_ports_bindings_and_rename, testdb_names_setup,
                                        testdb_names_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
