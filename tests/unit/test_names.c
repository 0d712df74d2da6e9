/* Unit tests of db/names: zones, hosts (addresses from the registry, A/AAAA/PTR published),
 * records with their conflicts, services and SRV bindings, serial bumps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/ipam.h"
#include "db/host.h"
#include "db/names.h"
#include "db/rrset.h"
#include "db/service.h"
#include "db/zone.h"
#include "db/store.h"
#include "db/zoneio.h"
#include "tests/lib/testdb.h"

struct fix {
    struct testdb t;
    struct store *st;
    struct ipam *ip;
    struct names *nm;
};

static struct cidr P(const char *s)
{
    struct cidr c;
    assert_int_equal(cidr_parse(s, &c, NULL), 0);
    return c;
}

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof *f);
    if (f == NULL || testdb_make(&f->t) != 0 || store_open(f->t.path, &f->st, NULL, NULL) != 0 ||
        ipam_open(f->st, &f->ip, NULL) != 0 || names_open(f->st, f->ip, &f->nm, NULL) != 0)
        return -1;
    struct lana_diag d;
    struct cidr p4 = P("198.18.0.0/15"), p6 = P("2001:db8::/32");
    if (ipam_pool_add(f->ip, &p4, NULL, "t", NULL, &d) != 0 ||
        ipam_pool_add(f->ip, &p6, NULL, "t", NULL, &d) != 0 ||
        zone_ensure(f->nm, "198.in-addr.arpa.", "t", &d) != 1 ||
        zone_ensure(f->nm, "8.b.d.0.1.0.0.2.ip6.arpa.", "t", &d) != 1)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    names_close(f->nm);
    ipam_close(f->ip);
    store_close(f->st);
    testdb_cleanup(&f->t);
    free(f);
    return 0;
}

static char *export(struct fix *f, const char *zone)
{
    static char *buf;
    size_t len;
    free(buf);
    buf = NULL;
    FILE *fp = open_memstream(&buf, &len);
    struct lana_diag d;
    assert_int_equal(zoneio_export(f->st, zone, fp, &d), 0);
    fclose(fp);
    return buf;
}

static const struct host_addr_spec AUTO = {HOST_ADDR_AUTO, {0}}, NONE = {HOST_ADDR_NONE, {0}};

static void test_hosts(void **state)
{
    struct fix *f = *state;
    struct lana_diag d;
    struct zone_info z;
    struct host_info h;
    assert_int_equal(zone_add(f->nm, "lab", NULL, 0, "t", &z, &d), 0);
    uint32_t serial = z.serial;
    assert_int_equal(zone_add(f->nm, "lab.", NULL, 0, "t", &z, &d), LANA_ECONFLICT);
    assert_int_equal(host_add(f->nm, "Web1.lab", &AUTO, &AUTO, NULL, "t", &h, &d), 0);
    assert_string_equal(h.name, "web1.lab.");
    assert_string_equal(h.v4, "198.18.0.0");
    assert_string_equal(h.v6, "2001:db8::");
    char *text = export(f, "lab.");
    assert_non_null(strstr(text, "web1.lab.\t300\tIN\tA\t198.18.0.0"));
    assert_non_null(strstr(text, "web1.lab.\t300\tIN\tAAAA\t2001:db8::"));
    text = export(f, "198.in-addr.arpa.");
    assert_non_null(strstr(text, "0.0.18.198.in-addr.arpa.\t300\tIN\tPTR\tweb1.lab."));
    assert_int_equal(zone_get(f->nm, "lab", &z, &d), 0);
    assert_int_equal(z.serial, serial + 1);
    assert_int_equal(z.hosts, 1);
    /* the addresses are registry blocks held by the host */
    struct ipam_block b;
    struct cidr a = P("198.18.0.0/32");
    assert_int_equal(ipam_get(f->ip, &a, &b, &d), 0);
    assert_string_equal(b.holder, "web1.lab.");
    /* a given address; taken or outside every pool */
    struct host_addr_spec given = {HOST_ADDR_GIVEN, P("198.18.7.7/32")};
    assert_int_equal(host_add(f->nm, "db.lab", &given, &NONE, NULL, "t", &h, &d), 0);
    assert_string_equal(h.v4, "198.18.7.7");
    assert_int_equal(host_add(f->nm, "db2.lab", &given, &NONE, NULL, "t", &h, &d),
                     LANA_ECONFLICT);
    struct host_addr_spec outside = {HOST_ADDR_GIVEN, P("10.1.1.1/32")};
    assert_int_equal(host_add(f->nm, "x.lab", &outside, &NONE, NULL, "t", &h, &d),
                     LANA_ENOTFOUND);
    assert_string_equal(d.msg, "10.1.1.1 is outside every pool (pools: 198.18.0.0/15)");
    /* names */
    assert_int_equal(host_add(f->nm, "web1.lab", &AUTO, &NONE, NULL, "t", &h, &d), LANA_ECONFLICT);
    assert_int_equal(host_add(f->nm, "bad_name.lab", &AUTO, &NONE, NULL, "t", &h, &d), LANA_EPARSE);
    assert_int_equal(host_add(f->nm, "-a.lab", &AUTO, &NONE, NULL, "t", &h, &d), LANA_EPARSE);
    assert_int_equal(host_add(f->nm, "web.nowhere", &AUTO, &NONE, NULL, "t", &h, &d), LANA_ENOTFOUND);
    assert_int_equal(host_add(f->nm, "lab", &AUTO, &NONE, NULL, "t", &h, &d), LANA_EPARSE);
    char longlabel[80];
    memset(longlabel, 'a', 64);
    strcpy(longlabel + 64, ".lab");
    assert_int_equal(host_add(f->nm, longlabel, &AUTO, &NONE, NULL, "t", &h, &d), LANA_EPARSE);
    /* a block of the host's choice, or the zone's default */
    struct cidr lan = P("198.18.4.0/24");
    assert_int_equal(ipam_take(f->ip, &lan, IPAM_ASSIGNED, "lan", NULL, "t", NULL, &d), 0);
    assert_int_equal(host_add(f->nm, "pc1.lab", &AUTO, &NONE, &lan, "t", &h, &d), 0);
    assert_string_equal(h.v4, "198.18.4.0");
    assert_int_equal(zone_add(f->nm, "office.lab", &lan, 1, "t", &z, &d), 0);
    assert_int_equal(host_add(f->nm, "pc2.office.lab", &AUTO, &NONE, NULL, "t", &h, &d), 0);
    assert_string_equal(h.v4, "198.18.4.1");
    /* delete: records, PTR and address go */
    assert_int_equal(host_del(f->nm, "web1.lab", "t", &d), 0);
    assert_null(strstr(export(f, "lab."), "web1"));
    assert_null(strstr(export(f, "198.in-addr.arpa."), "web1"));
    assert_int_equal(ipam_get(f->ip, &a, &b, &d), LANA_ENOTFOUND);
    assert_int_equal(host_del(f->nm, "web1.lab", "t", &d), LANA_ENOTFOUND);
    /* zone del refuses while it holds hosts */
    assert_int_equal(zone_del(f->nm, "office.lab", false, "t", &d), LANA_ECONFLICT);
    assert_int_equal(zone_del(f->nm, "office.lab", true, "t", &d), 0);
    struct cidr pc2 = P("198.18.4.1/32");
    assert_int_equal(ipam_get(f->ip, &pc2, &b, &d), LANA_ENOTFOUND);
}

static void test_records_and_services(void **state)
{
    struct fix *f = *state;
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
    char *text = export(f, "lab.");
    assert_non_null(strstr(text, "www.lab.\t300\tIN\tCNAME\tweb.lab."));
    assert_non_null(strstr(text, "t.lab.\t300\tIN\tTXT\t\"two words\" \"q\\\"uote\""));
    int64_t n = 0;
    assert_int_equal(rrset_del(f->nm, "lab", "MX", NULL, "t", &n, &d), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rrset_del(f->nm, "lab", "MX", NULL, "t", &n, &d), LANA_ENOTFOUND);
    assert_int_equal(rrset_del(f->nm, "lab", "NS", NULL, "t", &n, &d), LANA_ECONFLICT);
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
    assert_int_equal(service_bind(f->nm, "web.lab", "lana", NULL, 0, "t", &bound, &d), 0);
    assert_int_equal(bound, 2); /* tcp and udp */
    assert_int_equal(service_bind(f->nm, "web.lab", "http", "tcp", 8080, "t", &bound, &d), 0);
    text = export(f, "lab.");
    assert_non_null(strstr(text, "_lana._tcp.web.lab.\t300\tIN\tSRV\t0 0 1024 web.lab."));
    assert_non_null(strstr(text, "_http._tcp.web.lab.\t300\tIN\tSRV\t0 0 8080 web.lab."));
    assert_int_equal(service_bind(f->nm, "nohost.lab", "http", "tcp", 0, "t", &bound, &d), LANA_ENOTFOUND);
    assert_int_equal(service_del(f->nm, "lana", "tcp", "t", &d), LANA_ECONFLICT);
    /* rename keeps the addresses and the bindings */
    assert_int_equal(host_rename(f->nm, "web.lab", "web2.lab", "t", &h, &d), 0);
    assert_string_equal(h.v4, "198.18.0.0");
    text = export(f, "lab.");
    assert_null(strstr(text, "web.lab.\t300\tIN\tA"));
    assert_non_null(strstr(text, "_lana._udp.web2.lab.\t300\tIN\tSRV\t0 0 1024 web2.lab."));
    assert_int_equal(service_unbind(f->nm, "web2.lab", "lana", NULL, "t", &bound, &d), 0);
    assert_int_equal(bound, 2);
    assert_int_equal(service_del(f->nm, "lana", "tcp", "t", &d), 0);
    /* host del also withdraws its SRV records */
    assert_int_equal(host_del(f->nm, "web2.lab", "t", &d), 0);
    assert_null(strstr(export(f, "lab."), "_http"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hosts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_records_and_services, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
