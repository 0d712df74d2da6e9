/* Unit tests of db/regdata: every query kind of the registration data layer (IP with each
 * RIPE flag, domains forward and reverse, entities, inverse by maintainer, domain search),
 * their not-found answers and their bounds, over a small registry built through db/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/account.h"
#include "db/host.h"
#include "db/ipam.h"
#include "db/names.h"
#include "db/regdata.h"
#include "db/store.h"
#include "db/zone.h"
#include "tests/lib/testdb.h"

struct fx {
    struct testdb_names *db;
    struct regdata *rd;
};

static struct cidr P(const char *s) {
    struct cidr c;
    int rc = strchr(s, '/') ? cidr_parse(s, &c, NULL) : cidr_parse_addr(s, &c, NULL);
    assert_int_equal(rc, 0);
    return c;
}

static int
account(struct store *st, const char *name, const char *role, const char *sponsor)
{
    struct account a;
    struct lana_diag d;
    memset(&a, 0, sizeof a);
    snprintf(a.name, sizeof a.name, "%s", name);
    snprintf(a.role, sizeof a.role, "%s", role);
    snprintf(a.sponsor, sizeof a.sponsor, "%s", sponsor);
    int rc = account_add(st, &a, "t", &d);
    if (rc != 0)
        fprintf(stderr, "account %s: %s\n", name, d.msg);
    return rc;
}

/*
 * 198.18.0.0/15 pool                2001:db8::/32 pool
 *   198.18.0.0/16 allocated reg1      2001:db8:1::/48 allocated reg1
 *     198.18.7.0/24 assigned stu7       2001:db8:1::10/128 web1.stu7.lab.
 *       198.18.7.10/32 web1.stu7.lab. (web2..web4: .8, .9, .11, best fit)
 * zones lab. (admin), stu7.lab. (stu7, sponsor reg1, block 198.18.7.0/24),
 * 18.198.in-addr.arpa.; hosts web1..web4.stu7.lab.
 */
static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    struct lana_diag d;
    if (f == NULL || testdb_names_open_empty(&f->db) != 0)
        return -1;
    struct testdb_names *t = f->db;
    struct cidr p4 = P("198.18.0.0/15"), p6 = P("2001:db8::/32"), a16 = P("198.18.0.0/16"),
                a24 = P("198.18.7.0/24"), a48 = P("2001:db8:1::/48");
    struct ipam_new reg = {
        .status = IPAM_ALLOCATED, .holder = "REG-ONE", .descr = "a registrar", .to = "reg1"};
    struct ipam_new stu = {
        .status = IPAM_ASSIGNED, .holder = "student seven", .descr = "lab LAN", .to = "stu7"};
    struct host_addr_spec none = {HOST_ADDR_NONE, {0}, false},
                          w4 = {HOST_ADDR_GIVEN, P("198.18.7.10"), false},
                          w6 = {HOST_ADDR_GIVEN, P("2001:db8:1::10"), false};
    if (ipam_pool_add(t->ip, &p4, "lab pool", "t", NULL, &d) != 0 ||
        ipam_pool_add(t->ip, &p6, "documentation", "t", NULL, &d) != 0 ||
        account(t->st, "reg1", "registrar", "") != 0 ||
        account(t->st, "stu7", "registrant", "reg1") != 0 ||
        ipam_take_new(t->ip, &a16, &reg, "t", NULL, &d) != 0 ||
        ipam_take_new(t->ip, &a48, &reg, "t", NULL, &d) != 0 ||
        ipam_take_new(t->ip, &a24, &stu, "t", NULL, &d) != 0 ||
        zone_add(t->nm, "lab.", NULL, 0, "t", NULL, &d) != 0 ||
        zone_register(t->nm, "stu7.lab.", "stu7", &a24, 1, "t", NULL, &d) != 0 ||
        zone_ensure(t->nm, "18.198.in-addr.arpa.", "t", &d) != 1 ||
        host_add(t->nm, "web1.stu7.lab.", &w4, &w6, NULL, "t", NULL, &d) != 0) {
        fprintf(stderr, "setup: %s\n", d.msg);
        return -1;
    }
    struct host_addr_spec auto4 = {HOST_ADDR_AUTO, {0}, false};
    for (int i = 2; i <= 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "web%d.stu7.lab.", i);
        if (host_add(t->nm, name, &auto4, &none, &a24, "t", NULL, &d) != 0) {
            fprintf(stderr, "setup %s: %s\n", name, d.msg);
            return -1;
        }
    }
    if (regdata_open(t->st, &f->rd, &d) != 0)
        return -1;
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

/* What a walk gave: "prefix<parent" per block, space-separated ("198.18.0.0/15<-" for a
 * pool), so that every test states the exact answer in one string. */
struct got {
    char s[4096];
    unsigned n;
};

static int got_cb(const struct regdata_block *b, void *arg)
{
    struct got *g = arg;
    char p[CIDR_STRLEN], q[CIDR_STRLEN] = "-";
    cidr_format(&b->b.prefix, p, sizeof p);
    if (b->has_parent)
        cidr_format(&b->parent, q, sizeof q);
    size_t len = strlen(g->s);
    snprintf(g->s + len, sizeof g->s - len, "%s%s<%s", len ? " " : "", p, q);
    g->n++;
    return 0;
}

/* "status<parent's status" per block */
static int status_cb(const struct regdata_block *b, void *arg)
{
    struct got *g = arg;
    size_t len = strlen(g->s);
    snprintf(g->s + len, sizeof g->s - len, "%s%s<%s", len ? " " : "",
             ipam_status_name(b->b.status),
             b->has_parent ? ipam_status_name(b->parent_status) : "-");
    g->n++;
    return 0;
}

static int ip(struct fx *f, const char *q, enum regdata_ip_kind k, unsigned max, struct got *g,
              bool *more)
{
    struct lana_diag d;
    struct cidr c = P(q);
    memset(g, 0, sizeof *g);
    return regdata_ip(f->rd, &c, k, max, got_cb, g, more, &d);
}

static void test_default_is_the_most_specific_block_with_its_parent(void **state)
{
    struct fx *f = *state;
    struct got g;
    assert_int_equal(ip(f, "198.18.7.99", REGDATA_IP_DEFAULT, 10, &g, NULL), 0);
    assert_string_equal(g.s, "198.18.7.0/24<198.18.0.0/16");
    assert_int_equal(ip(f, "198.18.7.0/24", REGDATA_IP_DEFAULT, 10, &g, NULL), 0);
    assert_string_equal(g.s, "198.18.7.0/24<198.18.0.0/16");
    assert_int_equal(ip(f, "198.18.7.10", REGDATA_IP_DEFAULT, 10, &g, NULL), 0);
    assert_string_equal(g.s, "198.18.7.10/32<198.18.7.0/24");
    assert_int_equal(ip(f, "198.19.0.1", REGDATA_IP_DEFAULT, 10, &g, NULL), 0);
    assert_string_equal(g.s, "198.18.0.0/15<-");
    assert_int_equal(ip(f, "2001:db8:1:2::1", REGDATA_IP_DEFAULT, 10, &g, NULL), 0);
    assert_string_equal(g.s, "2001:db8:1::/48<2001:db8::/32");
    assert_int_equal(ip(f, "192.0.2.1", REGDATA_IP_DEFAULT, 10, &g, NULL), LANA_ENOTFOUND);
    assert_int_equal(g.n, 0);
}

static void test_chain_runs_from_the_pool_down(void **state)
{
    struct fx *f = *state;
    struct got g;
    assert_int_equal(ip(f, "198.18.7.10", REGDATA_IP_CHAIN, 10, &g, NULL), 0);
    assert_string_equal(g.s, "198.18.0.0/15<- 198.18.0.0/16<198.18.0.0/15 "
                             "198.18.7.0/24<198.18.0.0/16 198.18.7.10/32<198.18.7.0/24");
    assert_int_equal(ip(f, "2001:db8:1::10", REGDATA_IP_CHAIN, 10, &g, NULL), 0);
    assert_string_equal(g.s, "2001:db8::/32<- 2001:db8:1::/48<2001:db8::/32 "
                             "2001:db8:1::10/128<2001:db8:1::/48");
    struct lana_diag d;
    struct cidr q = P("198.18.7.10");
    memset(&g, 0, sizeof g);
    assert_int_equal(regdata_ip(f->rd, &q, REGDATA_IP_CHAIN, 10, status_cb, &g, NULL, &d), 0);
    assert_string_equal(g.s, "pool<- allocated<pool assigned<allocated assigned<assigned");
    memset(&g, 0, sizeof g);
    assert_int_equal(regdata_mnt_blocks(f->rd, "reg1", 1, status_cb, &g, NULL, &d), 0);
    assert_string_equal(g.s, "allocated<pool");
    /* bounded: the first blocks, and the bound said */
    bool more = false;
    assert_int_equal(ip(f, "198.18.7.10", REGDATA_IP_CHAIN, 2, &g, &more), 0);
    assert_int_equal(g.n, 2);
    assert_true(more);
    assert_int_equal(ip(f, "10.0.0.1", REGDATA_IP_CHAIN, 10, &g, NULL), LANA_ENOTFOUND);
}

static void test_exact_and_one_level_less(void **state)
{
    struct fx *f = *state;
    struct got g;
    assert_int_equal(ip(f, "198.18.7.0/24", REGDATA_IP_EXACT, 10, &g, NULL), 0);
    assert_string_equal(g.s, "198.18.7.0/24<198.18.0.0/16");
    assert_int_equal(ip(f, "198.18.7.0/25", REGDATA_IP_EXACT, 10, &g, NULL), LANA_ENOTFOUND);
    assert_int_equal(ip(f, "198.18.7.99", REGDATA_IP_EXACT, 10, &g, NULL), LANA_ENOTFOUND);
    /* -l leaves the exact block out */
    assert_int_equal(ip(f, "198.18.7.0/24", REGDATA_IP_LESS, 10, &g, NULL), 0);
    assert_string_equal(g.s, "198.18.0.0/16<198.18.0.0/15");
    assert_int_equal(ip(f, "198.18.7.99", REGDATA_IP_LESS, 10, &g, NULL), 0);
    assert_string_equal(g.s, "198.18.7.0/24<198.18.0.0/16");
    assert_int_equal(ip(f, "198.18.0.0/15", REGDATA_IP_LESS, 10, &g, NULL), LANA_ENOTFOUND);
}

static void test_more_specific_one_level_and_all(void **state)
{
    struct fx *f = *state;
    struct got g;
    bool more = true;
    assert_int_equal(ip(f, "198.18.0.0/15", REGDATA_IP_MORE, 10, &g, &more), 0);
    assert_string_equal(g.s, "198.18.0.0/16<198.18.0.0/15");
    assert_false(more);
    /* not a block: what lies inside it, one level */
    assert_int_equal(ip(f, "198.18.0.0/20", REGDATA_IP_MORE, 10, &g, NULL), 0);
    assert_string_equal(g.s, "198.18.7.0/24<198.18.0.0/16");
    /* larger than every pool: the pools inside */
    assert_int_equal(ip(f, "198.0.0.0/8", REGDATA_IP_MORE, 10, &g, NULL), 0);
    assert_string_equal(g.s, "198.18.0.0/15<-");
    assert_int_equal(ip(f, "198.18.0.0/16", REGDATA_IP_ALL_MORE, 10, &g, NULL), 0);
    assert_string_equal(g.s, "198.18.7.0/24<198.18.0.0/16 198.18.7.8/32<198.18.7.0/24 "
                             "198.18.7.9/32<198.18.7.0/24 198.18.7.10/32<198.18.7.0/24 "
                             "198.18.7.11/32<198.18.7.0/24");
    /* bounded */
    assert_int_equal(ip(f, "198.18.0.0/15", REGDATA_IP_ALL_MORE, 3, &g, &more), 0);
    assert_int_equal(g.n, 3);
    assert_true(more);
    assert_string_equal(g.s, "198.18.0.0/16<198.18.0.0/15 198.18.7.0/24<198.18.0.0/16 "
                             "198.18.7.8/32<198.18.7.0/24");
    assert_int_equal(ip(f, "198.18.7.10", REGDATA_IP_MORE, 10, &g, NULL), LANA_ENOTFOUND);
    assert_int_equal(ip(f, "10.0.0.0/8", REGDATA_IP_ALL_MORE, 10, &g, NULL), LANA_ENOTFOUND);
}

/* a callback that asks the registry again, in the middle of a walk */
static int nested_cb(const struct regdata_block *b, void *arg)
{
    struct fx *f = arg;
    struct got g;
    struct lana_diag d;
    memset(&g, 0, sizeof g);
    int rc = regdata_ip(f->rd, &b->b.prefix, REGDATA_IP_CHAIN, 10, got_cb, &g, NULL, &d);
    assert_int_equal(rc, 0);
    assert_true(g.n >= 2);
    struct host_info h;
    return regdata_host_at(f->rd, &b->b.prefix, &h, &d) < 0 ? -1 : 0;
}

static void test_callbacks_may_query_during_a_walk(void **state)
{
    struct fx *f = *state;
    struct lana_diag d;
    struct cidr q = P("198.18.0.0/16");
    assert_int_equal(regdata_ip(f->rd, &q, REGDATA_IP_ALL_MORE, 100, nested_cb, f, NULL, &d), 0);
    /* and the walk still saw everything: same answer as without nesting */
    struct got g;
    assert_int_equal(ip(f, "198.18.0.0/16", REGDATA_IP_ALL_MORE, 100, &g, NULL), 0);
    assert_int_equal(g.n, 5);
}

static void test_host_at_an_exact_address(void **state)
{
    struct fx *f = *state;
    struct lana_diag d;
    struct host_info h;
    struct cidr a = P("198.18.7.10"), b = P("198.18.7.12"), n = P("198.18.7.0/24"),
                v6 = P("2001:db8:1::10");
    assert_int_equal(regdata_host_at(f->rd, &a, &h, &d), 1);
    assert_string_equal(h.name, "web1.stu7.lab.");
    assert_int_equal(regdata_host_at(f->rd, &v6, &h, &d), 1);
    assert_string_equal(h.name, "web1.stu7.lab.");
    assert_int_equal(regdata_host_at(f->rd, &b, &h, &d), 0);
    assert_int_equal(regdata_host_at(f->rd, &n, &h, &d), 0);
}

static void test_domains_forward_and_reverse(void **state)
{
    struct fx *f = *state;
    struct lana_diag d;
    struct regdata_domain dom;
    char t[CIDR_STRLEN];
    assert_int_equal(regdata_domain(f->rd, "stu7.lab", &dom, &d), 0);
    assert_int_equal(dom.kind, REGDATA_DOMAIN_ZONE);
    assert_string_equal(dom.name, "stu7.lab.");
    assert_string_equal(dom.zone.z.registrant, "stu7");
    assert_string_equal(dom.zone.z.sponsor, "reg1");
    assert_int_equal(dom.zone.z.hosts, 4);
    assert_int_equal(dom.zone.nblocks, 1);
    cidr_format(&dom.zone.blocks[0], t, sizeof t);
    assert_string_equal(t, "198.18.7.0/24");
    assert_true(dom.zone.created > 0 && dom.zone.updated >= dom.zone.created);
    assert_false(dom.has_prefix);

    assert_int_equal(regdata_domain(f->rd, "WEB1.Stu7.lab.", &dom, &d), 0);
    assert_int_equal(dom.kind, REGDATA_DOMAIN_HOST);
    assert_string_equal(dom.host.v4, "198.18.7.10");
    assert_string_equal(dom.host.v6, "2001:db8:1::10");
    assert_true(dom.has_zone);
    assert_string_equal(dom.zone.z.name, "stu7.lab.");

    assert_int_equal(regdata_domain(f->rd, "10.7.18.198.in-addr.arpa", &dom, &d), 0);
    assert_int_equal(dom.kind, REGDATA_DOMAIN_REVERSE);
    cidr_format(&dom.prefix, t, sizeof t);
    assert_string_equal(t, "198.18.7.10/32");
    assert_true(dom.has_host);
    assert_string_equal(dom.host.name, "web1.stu7.lab.");
    assert_true(dom.has_zone);
    assert_string_equal(dom.zone.z.name, "18.198.in-addr.arpa.");

    assert_int_equal(regdata_domain(f->rd, "7.18.198.in-addr.arpa.", &dom, &d), 0);
    assert_int_equal(dom.kind, REGDATA_DOMAIN_REVERSE);
    cidr_format(&dom.prefix, t, sizeof t);
    assert_string_equal(t, "198.18.7.0/24");
    assert_false(dom.has_host);

    /* a reverse zone is a zone, and says what it stands for */
    assert_int_equal(regdata_domain(f->rd, "18.198.in-addr.arpa", &dom, &d), 0);
    assert_int_equal(dom.kind, REGDATA_DOMAIN_ZONE);
    assert_true(dom.zone.z.reverse);
    assert_true(dom.has_prefix);
    cidr_format(&dom.prefix, t, sizeof t);
    assert_string_equal(t, "198.18.0.0/16");

    /* IPv6, no reverse zone of ours: found through its block, with the host */
    assert_int_equal(
        regdata_domain(f->rd,
                       "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2."
                       "ip6.arpa",
                       &dom, &d),
        0);
    assert_int_equal(dom.kind, REGDATA_DOMAIN_REVERSE);
    assert_false(dom.has_zone);
    assert_true(dom.has_host);
    /* a partial one: the /48's zone name */
    assert_int_equal(regdata_domain(f->rd, "1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", &dom, &d), 0);
    cidr_format(&dom.prefix, t, sizeof t);
    assert_string_equal(t, "2001:db8:1::/48");

    assert_int_equal(regdata_domain(f->rd, "9.9.10.in-addr.arpa", &dom, &d), LANA_ENOTFOUND);
    assert_int_equal(regdata_domain(f->rd, "nope.lab", &dom, &d), LANA_ENOTFOUND);
    assert_non_null(strstr(d.msg, "nope.lab."));
    assert_int_equal(regdata_domain(f->rd, "bad..name", &dom, &d), LANA_EPARSE);
}

static void test_reverse_prefix_names(void **state)
{
    (void)state;
    static const struct {
        const char *name, *want; /* want NULL: not a reverse name */
    } cases[] = {
        {"1.7.18.198.in-addr.arpa", "198.18.7.1/32"},
        {"7.18.198.IN-ADDR.ARPA.", "198.18.7.0/24"},
        {"198.in-addr.arpa", "198.0.0.0/8"},
        {"8.b.d.0.1.0.0.2.ip6.arpa", "2001:db8::/32"},
        {"256.in-addr.arpa", NULL},
        {"07.in-addr.arpa", NULL},
        {"0-63.7.18.198.in-addr.arpa", NULL},
        {"g.ip6.arpa", NULL},
        {"lab.", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cidr c;
        char t[CIDR_STRLEN];
        bool ok = regdata_reverse_prefix(cases[i].name, &c);
        assert_int_equal(ok, cases[i].want != NULL);
        if (ok) {
            cidr_format(&c, t, sizeof t);
            assert_string_equal(t, cases[i].want);
        }
    }
}

static int dom_cb(const struct regdata_domain *dom, void *arg)
{
    struct got *g = arg;
    size_t len = strlen(g->s);
    snprintf(g->s + len, sizeof g->s - len, "%s%s%s", len ? " " : "", dom->name,
             dom->kind == REGDATA_DOMAIN_ZONE ? "(zone)" : "");
    g->n++;
    return 0;
}

static int search(struct fx *f, const char *pat, unsigned max, struct got *g, bool *trunc)
{
    struct lana_diag d;
    memset(g, 0, sizeof *g);
    return regdata_domain_search(f->rd, pat, max, dom_cb, g, trunc, &d);
}

static void test_domain_search_with_one_star(void **state)
{
    struct fx *f = *state;
    struct got g;
    bool trunc = true;
    assert_int_equal(search(f, "stu*", 10, &g, &trunc), 0);
    assert_string_equal(g.s, "stu7.lab.(zone)");
    assert_false(trunc);
    assert_int_equal(search(f, "WEB*.stu7.lab", 10, &g, &trunc), 0);
    assert_string_equal(g.s, "web1.stu7.lab. web2.stu7.lab. web3.stu7.lab. web4.stu7.lab.");
    assert_int_equal(search(f, "web*.lab", 10, &g, &trunc), 0); /* the star stays in a label */
    assert_string_equal(g.s, "");
    assert_int_equal(search(f, "l*", 10, &g, &trunc), 0);
    assert_string_equal(g.s, "lab.(zone)");
    assert_int_equal(search(f, "lab", 10, &g, &trunc), 0);
    assert_string_equal(g.s, "lab.(zone)");
    assert_int_equal(search(f, "web*", 2, &g, &trunc), 0);
    assert_string_equal(g.s, "web1.stu7.lab. web2.stu7.lab.");
    assert_true(trunc);
    assert_int_equal(search(f, "nothing*", 10, &g, &trunc), 0);
    assert_int_equal(g.n, 0);
    assert_false(trunc);
    static const char *const bad[] = {"*", "*.lab", "we*b.lab", "a*b*", "web.*", "sp ace*", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(search(f, bad[i], 10, &g, NULL), LANA_EPARSE);
}

static void test_entities_accounts_and_holders(void **state)
{
    struct fx *f = *state;
    struct lana_diag d;
    struct regdata_entity e;
    assert_int_equal(regdata_entity(f->rd, "stu7", &e, &d), 0);
    assert_true(e.is_account);
    assert_string_equal(e.role, "registrant");
    assert_string_equal(e.sponsor, "reg1");
    assert_true(e.enabled);
    assert_true(e.created > 0);
    assert_int_equal(regdata_entity(f->rd, "student seven", &e, &d), 0);
    assert_false(e.is_account);
    assert_string_equal(e.name, "student seven");
    assert_string_equal(e.role, "");
    assert_int_equal(regdata_entity(f->rd, "nobody", &e, &d), LANA_ENOTFOUND);
    assert_int_equal(regdata_entity(f->rd, "", &e, &d), LANA_EPARSE);

    struct got g = {{0}, 0};
    bool more = true;
    assert_int_equal(regdata_holder_blocks(f->rd, "student seven", 10, got_cb, &g, &more, &d), 0);
    assert_string_equal(g.s, "198.18.7.0/24<198.18.0.0/16");
    assert_false(more);
    memset(&g, 0, sizeof g);
    assert_int_equal(regdata_holder_blocks(f->rd, "REG-ONE", 1, got_cb, &g, &more, &d), 0);
    assert_string_equal(g.s, "198.18.0.0/16<198.18.0.0/15");
    assert_true(more);
    memset(&g, 0, sizeof g);
    assert_int_equal(regdata_holder_blocks(f->rd, "nobody", 10, got_cb, &g, &more, &d), 0);
    assert_int_equal(g.n, 0);
}

static int zone_cb(const struct regdata_zone *z, void *arg)
{
    struct got *g = arg;
    size_t len = strlen(g->s);
    snprintf(g->s + len, sizeof g->s - len, "%s%s", len ? " " : "", z->z.name);
    g->n++;
    return 0;
}

static void test_inverse_by_maintainer(void **state)
{
    struct fx *f = *state;
    struct lana_diag d;
    struct got g = {{0}, 0};
    bool more = true;
    assert_int_equal(regdata_mnt_blocks(f->rd, "stu7", 10, got_cb, &g, &more, &d), 0);
    assert_string_equal(g.s, "198.18.7.0/24<198.18.0.0/16 198.18.7.8/32<198.18.7.0/24 "
                             "198.18.7.9/32<198.18.7.0/24 198.18.7.10/32<198.18.7.0/24 "
                             "198.18.7.11/32<198.18.7.0/24");
    assert_false(more);
    memset(&g, 0, sizeof g);
    assert_int_equal(regdata_mnt_blocks(f->rd, "reg1", 10, got_cb, &g, &more, &d), 0);
    assert_string_equal(g.s, "198.18.0.0/16<198.18.0.0/15 2001:db8:1::/48<2001:db8::/32 "
                             "2001:db8:1::10/128<2001:db8:1::/48");
    memset(&g, 0, sizeof g);
    assert_int_equal(regdata_mnt_blocks(f->rd, "reg1", 2, got_cb, &g, &more, &d), 0);
    assert_int_equal(g.n, 2);
    assert_true(more);
    memset(&g, 0, sizeof g);
    assert_int_equal(regdata_mnt_blocks(f->rd, "nobody", 10, got_cb, &g, &more, &d), 0);
    assert_int_equal(g.n, 0);

    memset(&g, 0, sizeof g);
    assert_int_equal(regdata_mnt_zones(f->rd, "stu7", 10, zone_cb, &g, &more, &d), 0);
    assert_string_equal(g.s, "stu7.lab.");
    assert_false(more);
    memset(&g, 0, sizeof g);
    assert_int_equal(regdata_mnt_zones(f->rd, "reg1", 10, zone_cb, &g, &more, &d), 0);
    assert_string_equal(g.s, "stu7.lab."); /* its sponsor */
    memset(&g, 0, sizeof g);
    assert_int_equal(regdata_mnt_zones(f->rd, "admin", 1, zone_cb, &g, &more, &d), 0);
    assert_int_equal(g.n, 1);
    assert_true(more); /* lab. and the reverse zone */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_is_the_most_specific_block_with_its_parent),
        cmocka_unit_test(test_chain_runs_from_the_pool_down),
        cmocka_unit_test(test_exact_and_one_level_less),
        cmocka_unit_test(test_more_specific_one_level_and_all),
        cmocka_unit_test(test_callbacks_may_query_during_a_walk),
        cmocka_unit_test(test_host_at_an_exact_address),
        cmocka_unit_test(test_domains_forward_and_reverse),
        cmocka_unit_test(test_reverse_prefix_names),
        cmocka_unit_test(test_domain_search_with_one_star),
        cmocka_unit_test(test_entities_accounts_and_holders),
        cmocka_unit_test(test_inverse_by_maintainer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
