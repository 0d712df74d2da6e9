/* Unit tests of server/answer and server/anscache against tests/data/test.zone, no sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/anscache.h"
#include "server/answer.h"
#include "tests/lib/dnsresp.h"
#include "tests/lib/testdb.h"

enum { AN = 1, NS = 2, AR = 3 };

struct fixture {
    struct testdb t;
    struct zonedb_reader *r;
    uint8_t build[DNSMSG_MAX];
    uint8_t out[DNSMSG_MAX];
    struct dnsresp resp;
};

/* Imports a zone file of tests/data; returns 0 or -1. */
static int import_file(struct testdb *t, const char *name)
{
    static char text[65536];
    FILE *fp = fopen(testdb_data(name), "r");
    if (fp == NULL)
        return -1;
    size_t n = fread(text, 1, sizeof text - 1, fp);
    fclose(fp);
    text[n] = '\0';
    return testdb_import(t, text) == 0 ? 0 : -1;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (testdb_make(&f->t) != 0 || import_file(&f->t, "test.zone") != 0 ||
        import_file(&f->t, "deleg.zone") != 0 || import_file(&f->t, "child.zone") != 0 ||
        zonedb_reader_open(f->t.path, &f->r, NULL) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    zonedb_reader_close(f->r);
    testdb_cleanup(&f->t);
    free(f);
    return 0;
}

/* Asks one question over a transport with the given limit (0 = UDP rules). */
static const struct dnsresp *ask(struct fixture *f, const char *name, uint16_t type,
                                 uint16_t edns, bool tcp)
{
    uint8_t q[512];
    size_t qlen = dnsresp_query(q, sizeof q, 0x4242, name, type, edns);
    struct dnsmsg_query dq;
    assert_int_equal(dnsmsg_parse_query(q, qlen, &dq), DNSMSG_OK);
    struct answer a = {.buf = f->build};
    assert_int_equal(answer_build(f->r, &dq, &a), 0);
    size_t len = answer_finish(&a, &dq, q, f->out, tcp ? DNSMSG_MAX : answer_udp_limit(&dq));
    assert_true(len <= (tcp ? DNSMSG_MAX : answer_udp_limit(&dq)));
    assert_int_equal(dnsresp_parse(f->out, len, &f->resp), 0);
    assert_int_equal(f->resp.id, 0x4242);
    assert_true(f->resp.flags & DNS_F_QR);
    return &f->resp;
}

#define AA(r) (((r)->flags & DNS_F_AA) != 0)
#define TC(r) (((r)->flags & DNS_F_TC) != 0)

static void test_answer_positive_is_authoritative_and_echoes_the_question(void **state)
{
    const struct dnsresp *r = ask(*state, "Web.TEST.", DNS_T_A, 0, false);
    assert_int_equal(r->rcode, DNS_R_NOERROR);
    assert_true(AA(r));
    assert_string_equal(r->qname, "Web.TEST.");
    assert_int_equal(r->count[AN], 1);
    assert_string_equal(r->rr[AN][0].data, "198.18.0.80");
    assert_int_equal(r->rr[AN][0].ttl, 3600);
    r = ask(*state, "ttl0.test.", DNS_T_A, 0, false);
    assert_int_equal(r->rr[AN][0].ttl, 0);
    r = ask(*state, "upper.test.", DNS_T_A, 0, false);
    assert_int_equal(r->count[AN], 1);
}

static void test_answer_nxdomain_and_nodata_carry_the_soa_with_negative_ttl(void **state)
{
    const struct dnsresp *r = ask(*state, "nope.test.", DNS_T_A, 0, false);
    assert_int_equal(r->rcode, DNS_R_NXDOMAIN);
    assert_true(AA(r));
    assert_int_equal(r->count[AN], 0);
    assert_int_equal(r->count[NS], 1);
    assert_int_equal(r->rr[NS][0].type, DNS_T_SOA);
    assert_string_equal(r->rr[NS][0].owner, "test.");
    assert_int_equal(r->rr[NS][0].ttl, 300);
    r = ask(*state, "web.test.", DNS_T_MX, 0, false);
    assert_int_equal(r->rcode, DNS_R_NOERROR);
    assert_int_equal(r->count[AN], 0);
    assert_int_equal(dnsresp_find(r, NS, DNS_T_SOA, NULL), 0);
}

static void test_answer_empty_non_terminals_are_nodata(void **state)
{
    const struct dnsresp *r = ask(*state, "b.c.ent.test.", DNS_T_A, 0, false);
    assert_int_equal(r->rcode, DNS_R_NOERROR);
    assert_int_equal(r->count[AN], 0);
    assert_int_equal(dnsresp_find(r, NS, DNS_T_SOA, NULL), 0);
    r = ask(*state, "ent.test.", DNS_T_A, 0, false);
    assert_int_equal(r->rcode, DNS_R_NOERROR);
    r = ask(*state, "x.c.ent.test.", DNS_T_A, 0, false);
    assert_int_equal(r->rcode, DNS_R_NXDOMAIN);
}

static void test_answer_follows_cname_chains_and_stops_loops(void **state)
{
    const struct dnsresp *r = ask(*state, "alias2.test.", DNS_T_A, 0, false);
    assert_int_equal(r->rcode, DNS_R_NOERROR);
    assert_int_equal(r->count[AN], 3);
    assert_string_equal(r->rr[AN][0].data, "www.test.");
    assert_string_equal(r->rr[AN][1].data, "web.test.");
    assert_string_equal(r->rr[AN][2].data, "198.18.0.80");
    r = ask(*state, "www.test.", DNS_T_CNAME, 0, false);
    assert_int_equal(r->count[AN], 1);
    r = ask(*state, "loop1.test.", DNS_T_A, 0, false);
    assert_int_equal(r->rcode, DNS_R_NOERROR);
    assert_int_equal(r->count[AN], 2);
    r = ask(*state, "dangle.test.", DNS_T_A, 0, false);
    assert_int_equal(r->rcode, DNS_R_NXDOMAIN); /* RFC 6604: the rcode of the last name */
    assert_int_equal(r->count[AN], 1);
    assert_int_equal(dnsresp_find(r, NS, DNS_T_SOA, NULL), 0);
    r = ask(*state, "away.test.", DNS_T_A, 0, false);
    assert_int_equal(r->rcode, DNS_R_NOERROR);
    assert_int_equal(r->count[AN], 1);
    assert_int_equal(r->count[NS], 0);
    r = ask(*state, "www.test.", DNS_T_MX, 0, false); /* NODATA at the end of a chain */
    assert_int_equal(r->count[AN], 1);
    assert_int_equal(dnsresp_find(r, NS, DNS_T_SOA, NULL), 0);
}

static void test_answer_wildcards_follow_rfc_4592(void **state)
{
    const struct dnsresp *r = ask(*state, "anything.wild.test.", DNS_T_A, 0, false);
    assert_int_equal(r->rcode, DNS_R_NOERROR);
    assert_string_equal(r->rr[AN][0].owner, "anything.wild.test.");
    assert_string_equal(r->rr[AN][0].data, "198.18.0.99");
    r = ask(*state, "a.b.wild.test.", DNS_T_TXT, 0, false);
    assert_string_equal(r->rr[AN][0].data, "\"wildcard\"");
    r = ask(*state, "x.wild.test.", DNS_T_MX, 0, false); /* wildcard NODATA */
    assert_int_equal(r->rcode, DNS_R_NOERROR);
    assert_int_equal(r->count[AN], 0);
    r = ask(*state, "host.wild.test.", DNS_T_TXT, 0, false); /* existing name: no wildcard */
    assert_int_equal(r->rcode, DNS_R_NOERROR);
    assert_int_equal(r->count[AN], 0);
    r = ask(*state, "sub.host.wild.test.", DNS_T_A, 0, false); /* closest encloser is host */
    assert_int_equal(r->rcode, DNS_R_NXDOMAIN);
    r = ask(*state, "wild.test.", DNS_T_A, 0, false);
    assert_int_equal(r->rcode, DNS_R_NOERROR); /* wild.test is an empty non-terminal */
    assert_int_equal(r->count[AN], 0);
}

static void test_answer_referrals_carry_ns_and_glue_without_aa(void **state)
{
    const struct dnsresp *r = ask(*state, "deep.sub.test.", DNS_T_A, 0, false);
    assert_int_equal(r->rcode, DNS_R_NOERROR);
    assert_false(AA(r));
    assert_int_equal(r->count[AN], 0);
    assert_int_equal(r->count[NS], 2);
    assert_true(dnsresp_find(r, NS, DNS_T_NS, "ns.sub.test.") >= 0);
    assert_true(dnsresp_find(r, NS, DNS_T_NS, "ns.elsewhere.net.") >= 0);
    assert_true(dnsresp_find(r, AR, DNS_T_A, "198.18.1.53") >= 0);
    r = ask(*state, "sub.test.", DNS_T_NS, 0, false);
    assert_false(AA(r));
    assert_int_equal(r->count[NS], 2);
    r = ask(*state, "test.", DNS_T_NS, 0, false); /* the apex is no cut */
    assert_true(AA(r));
    assert_int_equal(r->count[AN], 2);
    assert_true(dnsresp_find(r, AR, DNS_T_A, "198.18.0.1") >= 0);
    assert_true(dnsresp_find(r, AR, DNS_T_AAAA, "2001:db8::1") >= 0);
}

static void test_answer_ds_at_a_delegation_comes_from_the_parent_side(void **state)
{
    /* RFC 4035 §3.1.4.1: DS at a cut is the parent's authoritative data, never a referral */
    const struct dnsresp *r = ask(*state, "signed.parent.", DNS_T_DS, 0, false);
    assert_int_equal(r->rcode, DNS_R_NOERROR);
    assert_true(AA(r));
    assert_int_equal(r->count[AN], 1);
    assert_int_equal(r->rr[AN][0].type, DNS_T_DS);
    assert_string_equal(r->rr[AN][0].owner, "signed.parent.");
    assert_int_equal(r->count[NS], 0);
    r = ask(*state, "unsigned.parent.", DNS_T_DS, 0, false); /* no DS: NODATA, parent's SOA */
    assert_int_equal(r->rcode, DNS_R_NOERROR);
    assert_true(AA(r));
    assert_int_equal(r->count[AN], 0);
    assert_int_equal(r->count[NS], 1);
    assert_int_equal(r->rr[NS][0].type, DNS_T_SOA);
    assert_string_equal(r->rr[NS][0].owner, "parent.");
    assert_int_equal(r->rr[NS][0].ttl, 300);
    r = ask(*state, "sub.test.", DNS_T_DS, 0, false);
    assert_true(AA(r));
    assert_int_equal(dnsresp_find(r, NS, DNS_T_NS, NULL), -1);
    assert_int_equal(dnsresp_find(r, NS, DNS_T_SOA, NULL), 0);
    /* the apex of a child we serve too: the parent answers, with its DS */
    r = ask(*state, "child.parent.", DNS_T_DS, 0, false);
    assert_true(AA(r));
    assert_int_equal(r->count[AN], 1);
    assert_int_equal(r->rr[AN][0].type, DNS_T_DS);
    r = ask(*state, "child.parent.", DNS_T_SOA, 0, false); /* other types: the child */
    assert_int_equal(r->count[AN], 1);
    assert_string_equal(r->rr[AN][0].data,
                        "ns1.parent. hostmaster.parent. 2026120101 3600 900 604800 300");
    r = ask(*state, "test.", DNS_T_DS, 0, false); /* an apex whose parent is not ours */
    assert_true(AA(r));
    assert_int_equal(r->count[AN], 0);
    assert_string_equal(r->rr[NS][0].owner, "test.");
    /* below the cut, and other types at it, stay referrals */
    r = ask(*state, "www.signed.parent.", DNS_T_DS, 0, false);
    assert_false(AA(r));
    assert_int_equal(r->count[AN], 0);
    assert_true(dnsresp_find(r, NS, DNS_T_NS, "ns.signed.parent.") >= 0);
    r = ask(*state, "signed.parent.", DNS_T_A, 0, false);
    assert_false(AA(r));
    assert_true(dnsresp_find(r, NS, DNS_T_NS, "ns.signed.parent.") >= 0);
}

static void test_answer_cname_into_a_delegation_is_followed_by_the_referral(void **state)
{
    /* as NSD and Knot: the CNAME (ours, so AA), then NS in authority and glue */
    const struct dnsresp *r = ask(*state, "to-signed.parent.", DNS_T_A, 0, false);
    assert_int_equal(r->rcode, DNS_R_NOERROR);
    assert_true(AA(r));
    assert_int_equal(r->count[AN], 1);
    assert_int_equal(r->rr[AN][0].type, DNS_T_CNAME);
    assert_string_equal(r->rr[AN][0].data, "www.signed.parent.");
    assert_int_equal(r->count[NS], 1);
    assert_string_equal(r->rr[NS][0].owner, "signed.parent.");
    assert_string_equal(r->rr[NS][0].data, "ns.signed.parent.");
    assert_int_equal(r->count[AR], 1);
    assert_string_equal(r->rr[AR][0].owner, "ns.signed.parent.");
    assert_string_equal(r->rr[AR][0].data, "198.18.4.53");
    r = ask(*state, "chain.parent.", DNS_T_AAAA, 0, false);
    assert_true(AA(r));
    assert_int_equal(r->count[AN], 2);
    assert_string_equal(r->rr[AN][1].data, "www.signed.parent.");
    assert_true(dnsresp_find(r, NS, DNS_T_NS, "ns.signed.parent.") >= 0);
    assert_true(dnsresp_find(r, AR, DNS_T_A, "198.18.4.53") >= 0);
    r = ask(*state, "to-cut.parent.", DNS_T_A, 0, false); /* the cut itself, no glue */
    assert_true(AA(r));
    assert_int_equal(r->count[AN], 1);
    assert_int_equal(r->count[NS], 1);
    assert_string_equal(r->rr[NS][0].data, "ns.elsewhere.net.");
    assert_int_equal(r->count[AR], 0);
    r = ask(*state, "to-cut.parent.", DNS_T_DS, 0, false); /* DS there: the parent's NODATA */
    assert_true(AA(r));
    assert_int_equal(r->count[AN], 1);
    assert_int_equal(dnsresp_find(r, NS, DNS_T_NS, NULL), -1);
    assert_int_equal(dnsresp_find(r, NS, DNS_T_SOA, NULL), 0);
}

static void test_answer_rrset_over_64k_is_servfail(void **state)
{
    /* 260 TXT records of 256 octets at one name: 260 * 268 octets > 65535 */
    struct fixture *f = *state;
    size_t cap = 300 * 300 + 512, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    int n = snprintf(text, cap, "$ORIGIN huge.\n$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\n"
                                "ns A 198.18.6.1\nsmall TXT ok\n");
    assert_true(n > 0 && (size_t)n < cap);
    len = (size_t)n;
    for (int i = 0; i < 260; i++) {
        n = snprintf(text + len, cap - len, "big TXT \"%03d%0252d\"\n", i, 0);
        assert_true(n > 0 && (size_t)n < cap - len);
        len += (size_t)n;
    }
    assert_int_equal(testdb_import(&f->t, text), 0);
    free(text);
    zonedb_reader_close(f->r);
    assert_int_equal(zonedb_reader_open(f->t.path, &f->r, NULL), 0);
    const struct dnsresp *r = ask(f, "big.huge.", DNS_T_TXT, 0, true);
    assert_int_equal(r->rcode, DNS_R_SERVFAIL);
    assert_false(AA(r));
    assert_int_equal(r->count[AN] + r->count[NS] + r->count[AR], 0);
    assert_string_equal(r->qname, "big.huge.");
    r = ask(f, "big.huge.", DNS_T_ANY, 1232, false);
    assert_int_equal(r->rcode, DNS_R_SERVFAIL);
    assert_false(TC(r));
    r = ask(f, "small.huge.", DNS_T_TXT, 0, true); /* the rest of the zone is answered */
    assert_int_equal(r->rcode, DNS_R_NOERROR);
    assert_int_equal(r->count[AN], 1);
}

static void test_answer_refuses_names_outside_our_zones(void **state)
{
    const struct dnsresp *r = ask(*state, "example.com.", DNS_T_A, 0, false);
    assert_int_equal(r->rcode, DNS_R_REFUSED);
    assert_false(AA(r));
    assert_string_equal(r->qname, "example.com.");
    /* AXFR is served over TCP only (server/xfr.c): here, the UDP path, NOTIMP (RFC 5936
     * §4.2, as NSD); IXFR is not offered */
    r = ask(*state, "test.", DNS_T_AXFR, 0, true);
    assert_int_equal(r->rcode, DNS_R_NOTIMP);
    assert_int_equal(r->count[AN], 0);
    r = ask(*state, "test.", DNS_T_IXFR, 0, true);
    assert_int_equal(r->rcode, DNS_R_REFUSED);
}

static void test_answer_serves_other_types_and_any(void **state)
{
    const struct dnsresp *r = ask(*state, "opaque.test.", 65280, 0, false);
    assert_int_equal(r->count[AN], 1);
    assert_string_equal(r->rr[AN][0].data, "\\# 4 0a000001");
    r = ask(*state, "_ldap._tcp.test.", DNS_T_SRV, 0, false);
    assert_string_equal(r->rr[AN][0].data, "0 5 389 ns1.test.");
    assert_true(dnsresp_find(r, AR, DNS_T_A, "198.18.0.1") >= 0);
    r = ask(*state, "txt.test.", DNS_T_TXT, 0, false);
    assert_string_equal(r->rr[AN][0].data, "\"a \\\"quoted\\\" word\" \"semi;colon\" \"\" \"ABC\"");
    r = ask(*state, "web.test.", DNS_T_ANY, 0, false);
    assert_int_equal(r->count[AN], 2);
}

static void test_answer_truncates_udp_answers_that_do_not_fit(void **state)
{
    /* 40 A records: 12+14+40*16 = 666 bytes, over 512 */
    const struct dnsresp *r = ask(*state, "big.test.", DNS_T_A, 0, false);
    assert_true(TC(r));
    assert_int_equal(r->count[AN], 0);
    assert_string_equal(r->qname, "big.test.");
    r = ask(*state, "big.test.", DNS_T_A, 600, false);
    assert_true(TC(r));
    assert_true(r->has_opt);
    r = ask(*state, "big.test.", DNS_T_A, 1232, false);
    assert_false(TC(r));
    assert_int_equal(r->count[AN], 40);
    r = ask(*state, "big.test.", DNS_T_A, 0, true);
    assert_false(TC(r));
    assert_int_equal(r->count[AN], 40);
}

static void test_answer_errors_echo_the_header_and_edns(void **state)
{
    (void)state;
    uint8_t q[512], out[512];
    size_t qlen = dnsresp_query(q, sizeof q, 7, "x.test.", DNS_T_A, 1232);
    q[qlen - 6] = 1; /* EDNS version 1 */
    struct dnsmsg_query dq;
    assert_int_equal(dnsmsg_parse_query(q, qlen, &dq), DNSMSG_OK);
    size_t len = answer_error(&dq, q, qlen, DNS_R_BADVERS, out, sizeof out);
    struct dnsresp r;
    assert_int_equal(dnsresp_parse(out, len, &r), 0);
    assert_int_equal(r.rcode, DNS_R_BADVERS);
    assert_int_equal(r.id, 7);
    assert_true(r.has_opt);
}

static void test_anscache_hits_give_the_same_bytes_as_a_fresh_build(void **state)
{
    struct fixture *f = *state;
    struct anscache *c = anscache_new(1 << 16);
    static const char *const names[] = {"www.test.", "nope.test.", "WWW.Test.", "big.test."};
    for (size_t i = 0; i < 4; i++) {
        uint8_t q[512], fresh[DNSMSG_MAX], cached[DNSMSG_MAX];
        size_t qlen = dnsresp_query(q, sizeof q, (uint16_t)(100 + i), names[i], DNS_T_A, 0);
        struct dnsmsg_query dq;
        dnsmsg_parse_query(q, qlen, &dq);
        struct answer a = {.buf = f->build}, b;
        assert_int_equal(answer_build(f->r, &dq, &a), 0);
        size_t n1 = answer_finish(&a, &dq, q, fresh, 512);
        bool hit = anscache_get(c, &dq, &b);
        assert_int_equal(hit, i == 2); /* WWW.Test. hits the entry of www.test. */
        if (!hit) {
            anscache_put(c, &dq, &a);
            assert_true(anscache_get(c, &dq, &b));
        }
        size_t n2 = answer_finish(&b, &dq, q, cached, 512);
        assert_int_equal(n1, n2);
        assert_memory_equal(fresh, cached, n1);
    }
    assert_int_equal(anscache_count(c), 3);
    anscache_flush(c);
    assert_int_equal(anscache_count(c), 0);
    anscache_free(c);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_answer_positive_is_authoritative_and_echoes_the_question),
        T(test_answer_nxdomain_and_nodata_carry_the_soa_with_negative_ttl),
        T(test_answer_empty_non_terminals_are_nodata),
        T(test_answer_follows_cname_chains_and_stops_loops),
        T(test_answer_wildcards_follow_rfc_4592),
        T(test_answer_referrals_carry_ns_and_glue_without_aa),
        T(test_answer_ds_at_a_delegation_comes_from_the_parent_side),
        T(test_answer_cname_into_a_delegation_is_followed_by_the_referral),
        T(test_answer_rrset_over_64k_is_servfail),
        T(test_answer_refuses_names_outside_our_zones),
        T(test_answer_serves_other_types_and_any),
        T(test_answer_truncates_udp_answers_that_do_not_fit),
        T(test_answer_errors_echo_the_header_and_edns),
        T(test_anscache_hits_give_the_same_bytes_as_a_fresh_build),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
