/* Unit tests of server/rdap: rdap_render as a pure function from (registry, path, name) to an
 * HTTP status and an RFC 9083 body, without sockets, over a small registry built through db/:
 * the objects' members and links, every error path with its status, and link escaping.
 * (rdap_answer's HTTP side is the integration test's: tests/integration/rdap.py.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/account.h"
#include "db/host.h"
#include "db/ipam.h"
#include "db/names.h"
#include "db/regdata.h"
#include "db/zone.h"
#include "server/rdap.h"
#include "tests/lib/testdb.h"

/* rdap.c's HTTP side is not under test here: these stand in for server/http.c. */
enum MHD_Result http_reply(const struct http_req *r, unsigned status, const char *ctype,
                           const char *body, size_t len)
{
    (void)r, (void)status, (void)ctype, (void)body, (void)len;
    return MHD_NO;
}
enum MHD_Result http_reply_hdrs(const struct http_req *r, unsigned status, const char *ctype,
                                const char *body, size_t len, const char *const *hdrs)
{
    (void)r, (void)status, (void)ctype, (void)body, (void)len, (void)hdrs;
    return MHD_NO;
}
bool http_base_url(const struct http_req *r, char *buf, size_t size)
{
    (void)r, (void)buf, (void)size;
    return false;
}
bool http_cache_get(const struct http_req *r, const char *key, unsigned *status,
                    const char **body, size_t *len)
{
    (void)r, (void)key, (void)status, (void)body, (void)len;
    return false;
}
void http_cache_put(const struct http_req *r, const char *key, unsigned status, const char *body,
                    size_t len)
{
    (void)r, (void)key, (void)status, (void)body, (void)len;
}

#define BASE "http://rdap.test:8053"

struct fx {
    struct testdb_names *db;
    struct regdata *rd;
};

static struct cidr P(const char *s)
{
    struct cidr c;
    int rc = strchr(s, '/') ? cidr_parse(s, &c, NULL) : cidr_parse_addr(s, &c, NULL);
    assert_int_equal(rc, 0);
    return c;
}

static int add_account(struct store *st, const char *name, const char *role, const char *sponsor)
{
    struct account a;
    struct lana_diag d;
    memset(&a, 0, sizeof a);
    snprintf(a.name, sizeof a.name, "%s", name);
    snprintf(a.role, sizeof a.role, "%s", role);
    snprintf(a.sponsor, sizeof a.sponsor, "%s", sponsor);
    return account_add(st, &a, "t", &d);
}

/*
 * 198.18.0.0/15 pool
 *   198.18.0.0/16 allocated to isp1 (holder "ISP One/North", a '/' and a space to escape)
 *     198.18.4.0/22 allocated inside it (a sub-allocation), holder "down"
 *     198.18.7.0/24 assigned to stu7
 *       198.18.7.10/32 web1.stu7.lab.
 * zones lab., stu7.lab. (stu7, sponsor isp1)
 */
static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    struct lana_diag d;
    if (f == NULL || testdb_names_open_empty(&f->db) != 0)
        return -1;
    struct testdb_names *t = f->db;
    struct cidr p4 = P("198.18.0.0/15"), a16 = P("198.18.0.0/16"), a22 = P("198.18.4.0/22"),
                a24 = P("198.18.7.0/24");
    struct ipam_new isp = {.status = IPAM_ALLOCATED, .holder = "ISP One/North",
                           .descr = "first allocation", .to = "isp1"};
    struct ipam_new down = {.status = IPAM_ALLOCATED, .holder = "down", .to = "isp1"};
    struct ipam_new stu = {.status = IPAM_ASSIGNED, .descr = "lab LAN", .to = "stu7"};
    struct host_addr_spec none = {HOST_ADDR_NONE, {0}, false},
                          w4 = {HOST_ADDR_GIVEN, P("198.18.7.10"), false};
    if (ipam_pool_add(t->ip, &p4, "lab pool", "t", NULL, &d) != 0 ||
        add_account(t->st, "isp1", "registrar", "") != 0 ||
        add_account(t->st, "stu7", "registrant", "isp1") != 0 ||
        ipam_take_new(t->ip, &a16, &isp, "t", NULL, &d) != 0 ||
        ipam_take_new(t->ip, &a22, &down, "t", NULL, &d) != 0 ||
        ipam_take_new(t->ip, &a24, &stu, "t", NULL, &d) != 0 ||
        zone_add(t->nm, "lab.", NULL, 0, "t", NULL, &d) != 0 ||
        zone_register(t->nm, "stu7.lab.", "stu7", &a24, 1, "t", NULL, &d) != 0 ||
        host_add(t->nm, "web1.stu7.lab.", &w4, &none, NULL, "t", NULL, &d) != 0 ||
        regdata_open(t->st, &f->rd, &d) != 0) {
        fprintf(stderr, "setup: %s\n", d.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    regdata_close(f->rd);
    testdb_names_close(f->db);
    free(f);
    return 0;
}

/* Renders path (and ?name=), checks the status, and returns the parsed body. */
static json_t *render(struct fx *f, const char *path, const char *name, unsigned want)
{
    struct rdap_out o;
    assert_int_equal(rdap_render(f->rd, BASE, path, name, &o), 0);
    if (o.status != want)
        fprintf(stderr, "%s: %u %s\n", path, o.status, o.body);
    assert_int_equal(o.status, want);
    assert_int_equal(strlen(o.body), o.len);
    json_error_t e;
    json_t *j = json_loads(o.body, 0, &e);
    free(o.body);
    assert_non_null(j);
    /* every answer, error or not, is a top-level RDAP object */
    json_t *conf = json_object_get(j, "rdapConformance");
    assert_true(json_is_array(conf));
    assert_string_equal(json_string_value(json_array_get(conf, 0)), "rdap_level_0");
    return j;
}

static const char *str(json_t *j, const char *path)
{
    /* "a.b.0.c": members and array indexes */
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *tok = strtok(buf, "."); tok != NULL && j != NULL; tok = strtok(NULL, "."))
        j = json_is_array(j) ? json_array_get(j, (size_t)atoi(tok)) : json_object_get(j, tok);
    return json_string_value(j);
}

static void test_rdap_ip_most_specific_with_parent_and_cidr0(void **state)
{
    json_t *j = render(*state, "/ip/198.18.7.10", NULL, 200);
    assert_string_equal(str(j, "objectClassName"), "ip network");
    assert_string_equal(str(j, "handle"), "198.18.7.10/32");
    assert_string_equal(str(j, "parentHandle"), "198.18.7.0/24");
    assert_string_equal(str(j, "startAddress"), "198.18.7.10");
    assert_string_equal(str(j, "endAddress"), "198.18.7.10");
    assert_string_equal(str(j, "ipVersion"), "v4");
    assert_string_equal(str(j, "cidr0_cidrs.0.v4prefix"), "198.18.7.10");
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(json_object_get(j, "cidr0_cidrs"), 0), "length")),
                     32);
    assert_string_equal(str(j, "rdapConformance.1"), "cidr0");
    assert_string_equal(str(j, "links.0.rel"), "self");
    assert_string_equal(str(j, "links.0.href"), BASE "/rdap/ip/198.18.7.10/32");
    assert_string_equal(str(j, "links.1.rel"), "up");
    assert_string_equal(str(j, "links.1.href"), BASE "/rdap/ip/198.18.7.0/24");
    assert_null(json_object_get(j, "country"));
    json_decref(j);
}

static void test_rdap_ip_types_are_whois_status_words(void **state)
{
    json_t *j = render(*state, "/ip/198.18.0.0/15", NULL, 200);
    assert_string_equal(str(j, "type"), "ALLOCATED UNSPECIFIED");
    assert_null(json_object_get(j, "parentHandle")); /* a root pool */
    json_decref(j);
    j = render(*state, "/ip/198.18.200.1", NULL, 200);
    assert_string_equal(str(j, "handle"), "198.18.0.0/16");
    assert_string_equal(str(j, "type"), "ALLOCATED PA");
    assert_string_equal(str(j, "name"), "ISP-ONE-NORTH");
    assert_string_equal(str(j, "remarks.0.description.0"), "first allocation");
    /* the holder text is the registrant; the maintainer administrative; its registrar */
    assert_string_equal(str(j, "entities.0.handle"), "ISP One/North");
    assert_string_equal(str(j, "entities.0.roles.0"), "registrant");
    assert_string_equal(str(j, "entities.0.links.0.href"), BASE "/rdap/entity/ISP%20One%2FNorth");
    assert_string_equal(str(j, "entities.1.handle"), "isp1");
    assert_string_equal(str(j, "entities.1.roles.0"), "administrative");
    json_decref(j);
    j = render(*state, "/ip/198.18.5.0/24", NULL, 200);
    assert_string_equal(str(j, "handle"), "198.18.4.0/22");
    assert_string_equal(str(j, "type"), "SUB-ALLOCATED PA");
    json_decref(j);
    j = render(*state, "/ip/198.18.7.0/24", NULL, 200);
    assert_string_equal(str(j, "type"), "ASSIGNED PA");
    assert_string_equal(str(j, "entities.0.handle"), "stu7");
    assert_string_equal(str(j, "entities.0.roles.0"), "registrant");
    assert_string_equal(str(j, "entities.1.handle"), "isp1");
    assert_string_equal(str(j, "entities.1.roles.0"), "registrar");
    json_decref(j);
}

static void test_rdap_domain_zone_host_and_reverse(void **state)
{
    json_t *j = render(*state, "/domain/STU7.lab.", NULL, 200);
    assert_string_equal(str(j, "objectClassName"), "domain");
    assert_string_equal(str(j, "ldhName"), "stu7.lab");
    assert_string_equal(str(j, "entities.0.handle"), "stu7");
    assert_string_equal(str(j, "entities.1.roles.0"), "registrar");
    assert_string_equal(str(j, "events.0.eventAction"), "registration");
    json_decref(j);
    j = render(*state, "/domain/web1.stu7.lab", NULL, 200);
    assert_string_equal(str(j, "remarks.0.description.0"), "198.18.7.10");
    assert_string_equal(str(j, "links.1.href"), BASE "/rdap/domain/stu7.lab");
    json_decref(j);
    j = render(*state, "/domain/10.7.18.198.in-addr.arpa", NULL, 200);
    assert_string_equal(str(j, "network.handle"), "198.18.7.10/32");
    assert_null(json_object_get(json_object_get(j, "network"), "rdapConformance"));
    assert_string_equal(str(j, "remarks.0.description.0"), "web1.stu7.lab");
    json_decref(j);
    j = render(*state, "/domain/7.18.198.in-addr.arpa", NULL, 200);
    assert_string_equal(str(j, "network.handle"), "198.18.7.0/24");
    json_decref(j);
}

static void test_rdap_entity_account_and_holder(void **state)
{
    json_t *j = render(*state, "/entity/stu7", NULL, 200);
    assert_string_equal(str(j, "objectClassName"), "entity");
    assert_string_equal(str(j, "roles.0"), "registrant");
    assert_string_equal(str(j, "vcardArray.0"), "vcard");
    assert_string_equal(str(j, "vcardArray.1.1.0"), "fn");
    assert_string_equal(str(j, "vcardArray.1.1.3"), "stu7");
    assert_string_equal(str(j, "entities.0.handle"), "isp1");
    assert_string_equal(str(j, "networks.0.handle"), "198.18.7.0/24");
    assert_string_equal(str(j, "links.1.rel"), "related");
    assert_string_equal(str(j, "links.1.href"), BASE "/rdap/domain/stu7.lab");
    json_decref(j);
    j = render(*state, "/entity/ISP One/North", NULL, 400); /* a '/' is not a handle's */
    json_decref(j);
    j = render(*state, "/entity/down", NULL, 200);
    assert_string_equal(str(j, "networks.0.handle"), "198.18.4.0/22");
    json_decref(j);
}

static void test_rdap_search_and_help(void **state)
{
    json_t *j = render(*state, "/domains", "stu*", 200);
    assert_string_equal(str(j, "domainSearchResults.0.ldhName"), "stu7.lab");
    assert_int_equal(json_array_size(json_object_get(j, "domainSearchResults")), 1);
    json_decref(j);
    j = render(*state, "/domains", "web*.stu7.lab", 200);
    assert_string_equal(str(j, "domainSearchResults.0.ldhName"), "web1.stu7.lab");
    json_decref(j);
    j = render(*state, "/help", NULL, 200);
    assert_true(json_array_size(json_object_get(j, "notices")) >= 2);
    json_decref(j);
    j = render(*state, "", NULL, 200); /* /rdap alone: the help too */
    assert_non_null(json_object_get(j, "notices"));
    json_decref(j);
}

/* Every error path: its status, and an error object whose errorCode is that status. */
static void test_rdap_errors_are_error_objects(void **state)
{
    static const struct {
        const char *path, *name;
        unsigned status;
    } cases[] = {
        {"/ip/198.18.7.300", NULL, 400},    {"/ip/198.18.7.1/16", NULL, 400},
        {"/ip/", NULL, 400},                {"/ip", NULL, 400},
        {"/ip/192.0.2.1", NULL, 404},       {"/ip/2001:db8::1", NULL, 404},
        {"/domain/nope.lab", NULL, 404},    {"/domain/bad..name", NULL, 400},
        {"/domain/", NULL, 400},            {"/domain/a/b", NULL, 400},
        {"/entity/nobody", NULL, 404},      {"/entity/", NULL, 400},
        {"/domains", NULL, 400},            {"/domains", "", 400},
        {"/domains", "*", 400},             {"/domains", "a*b*", 400},
        {"/domains/x", "a*", 400},          {"/autnum/64496", NULL, 501},
        {"/nameserver/ns1.lab", NULL, 501}, {"/nameservers", "ns*", 501},
        {"/entities", "x", 501},            {"/whatever", NULL, 501},
        {"/ipx/1.2.3.4", NULL, 501},        {"/helpme", NULL, 501},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *j = render(*state, cases[i].path, cases[i].name, cases[i].status);
        assert_int_equal(json_integer_value(json_object_get(j, "errorCode")), cases[i].status);
        assert_non_null(str(j, "title"));
        assert_non_null(str(j, "description.0"));
        assert_null(json_object_get(j, "objectClassName"));
        json_decref(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rdap_ip_most_specific_with_parent_and_cidr0),
        cmocka_unit_test(test_rdap_ip_types_are_whois_status_words),
        cmocka_unit_test(test_rdap_domain_zone_host_and_reverse),
        cmocka_unit_test(test_rdap_entity_account_and_holder),
        cmocka_unit_test(test_rdap_search_and_help),
        cmocka_unit_test(test_rdap_errors_are_error_objects),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
