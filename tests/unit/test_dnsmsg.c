/* Unit tests of common/dnsmsg: strict query parsing and compressed building, exact bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/dnsmsg.h"

/* A query for "Web.Lab." A with id 0x1234, RD set, no EDNS. */
static const uint8_t q_plain[] = {
    0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
    3, 'W', 'e', 'b', 3, 'L', 'a', 'b', 0, 0, 1, 0, 1,
};

static size_t with_opt(uint8_t *buf, const uint8_t *q, size_t qlen, uint16_t udp, uint8_t ver,
                       uint16_t flags, uint16_t arcount)
{
    memcpy(buf, q, qlen);
    buf[10] = (uint8_t)(arcount >> 8);
    buf[11] = (uint8_t)arcount;
    uint8_t opt[] = {0, 0, 41, (uint8_t)(udp >> 8), (uint8_t)udp, 0, ver,
                     (uint8_t)(flags >> 8), (uint8_t)flags, 0, 0};
    memcpy(buf + qlen, opt, sizeof opt);
    return qlen + sizeof opt;
}

static void test_dnsmsg_parses_a_plain_query_and_lowercases_the_name(void **state)
{
    (void)state;
    struct dnsmsg_query q;
    assert_int_equal(dnsmsg_parse_query(q_plain, sizeof q_plain, &q), DNSMSG_OK);
    assert_int_equal(q.hdr.id, 0x1234);
    assert_int_equal(q.qtype, DNS_T_A);
    assert_int_equal(q.qclass, DNS_C_IN);
    assert_int_equal(q.qname_len, 9);
    assert_memory_equal(q.qname, "\3web\3lab\0", 9);
    assert_int_equal(q.question_end, sizeof q_plain);
    assert_false(q.has_edns);
}

static void test_dnsmsg_reads_edns_size_version_and_do_bit(void **state)
{
    (void)state;
    uint8_t buf[128];
    struct dnsmsg_query q;
    size_t n = with_opt(buf, q_plain, sizeof q_plain, 4096, 0, DNS_EDNS_DO, 1);
    assert_int_equal(dnsmsg_parse_query(buf, n, &q), DNSMSG_OK);
    assert_true(q.has_edns);
    assert_int_equal(q.edns_udp, 4096);
    assert_true(q.edns_do);
    n = with_opt(buf, q_plain, sizeof q_plain, 100, 1, 0, 1);
    assert_int_equal(dnsmsg_parse_query(buf, n, &q), DNSMSG_OK);
    assert_int_equal(q.edns_udp, 512); /* RFC 6891 §6.2.5: below 512 counts as 512 */
    assert_int_equal(q.edns_version, 1);
}

static void test_dnsmsg_classifies_malformed_queries(void **state)
{
    (void)state;
    uint8_t buf[256];
    struct dnsmsg_query q;
    /* shorter than a header: dropped */
    assert_int_equal(dnsmsg_parse_query(q_plain, 11, &q), DNSMSG_DROP);
    /* a response (QR=1): dropped, never answered */
    memcpy(buf, q_plain, sizeof q_plain);
    buf[2] |= 0x80;
    assert_int_equal(dnsmsg_parse_query(buf, sizeof q_plain, &q), DNSMSG_DROP);
    /* NOTIFY is parsed (the server answers it), UPDATE is not served: NOTIMP */
    memcpy(buf, q_plain, sizeof q_plain);
    buf[2] = (uint8_t)(DNS_OP_NOTIFY << 3);
    assert_int_equal(dnsmsg_parse_query(buf, sizeof q_plain, &q), DNSMSG_OK);
    assert_int_equal(q.opcode, DNS_OP_NOTIFY);
    buf[2] = (uint8_t)(DNS_OP_UPDATE << 3);
    assert_int_equal(dnsmsg_parse_query(buf, sizeof q_plain, &q), DNSMSG_NOTIMP);
    /* qdcount 0 and 2 */
    memcpy(buf, q_plain, sizeof q_plain);
    buf[5] = 0;
    assert_int_equal(dnsmsg_parse_query(buf, sizeof q_plain, &q), DNSMSG_FORMERR);
    buf[5] = 2;
    assert_int_equal(dnsmsg_parse_query(buf, sizeof q_plain, &q), DNSMSG_FORMERR);
    /* truncated question */
    assert_int_equal(dnsmsg_parse_query(q_plain, sizeof q_plain - 1, &q), DNSMSG_FORMERR);
    assert_int_equal(dnsmsg_parse_query(q_plain, 15, &q), DNSMSG_FORMERR);
    /* counts larger than the packet */
    memcpy(buf, q_plain, sizeof q_plain);
    buf[6] = 0xff;
    buf[7] = 0xff;
    assert_int_equal(dnsmsg_parse_query(buf, sizeof q_plain, &q), DNSMSG_FORMERR);
    memcpy(buf, q_plain, sizeof q_plain);
    buf[11] = 1; /* one additional record announced, none present */
    assert_int_equal(dnsmsg_parse_query(buf, sizeof q_plain, &q), DNSMSG_FORMERR);
    /* trailing garbage */
    memcpy(buf, q_plain, sizeof q_plain);
    buf[sizeof q_plain] = 0;
    assert_int_equal(dnsmsg_parse_query(buf, sizeof q_plain + 1, &q), DNSMSG_FORMERR);
    /* two OPT records */
    size_t n = with_opt(buf, q_plain, sizeof q_plain, 1232, 0, 0, 2);
    uint8_t opt[11];
    memcpy(opt, buf + sizeof q_plain, 11);
    memcpy(buf + n, opt, 11);
    assert_int_equal(dnsmsg_parse_query(buf, n + 11, &q), DNSMSG_FORMERR);
    /* OPT whose owner is not the root */
    memcpy(buf, q_plain, sizeof q_plain);
    buf[11] = 1;
    static const uint8_t bad_opt[] = {1, 'x', 0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0};
    memcpy(buf + sizeof q_plain, bad_opt, sizeof bad_opt);
    assert_int_equal(dnsmsg_parse_query(buf, sizeof q_plain + sizeof bad_opt, &q),
                     DNSMSG_FORMERR);
    /* OPT option running past its RDATA */
    n = with_opt(buf, q_plain, sizeof q_plain, 1232, 0, 0, 1);
    buf[n - 1] = 4;
    static const uint8_t bad_option[] = {0, 10, 0, 8};
    memcpy(buf + n, bad_option, sizeof bad_option);
    assert_int_equal(dnsmsg_parse_query(buf, n + sizeof bad_option, &q), DNSMSG_FORMERR);
    /* a compression loop in the question */
    static const uint8_t loop[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1};
    assert_int_equal(dnsmsg_parse_query(loop, sizeof loop, &q), DNSMSG_FORMERR);
    /* an over-long label in the question */
    static const uint8_t longlabel[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 64, 'a', 0, 0, 1, 0, 1};
    assert_int_equal(dnsmsg_parse_query(longlabel, sizeof longlabel, &q), DNSMSG_FORMERR);
}

static void test_dnsmsg_pointer_into_the_header_is_formerr(void **state)
{
    (void)state;
    /* A qname that points into the header: at offset 4 the qdcount 00 01 reads as the root,
     * at offset 5 as a label "\000" and the root. Both are FORMERR, not a question. */
    uint8_t q[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                   0xc0, 0x04, 0x00, 0x01, 0x00, 0x01};
    struct dnsmsg_query dq;
    for (uint8_t target = 0; target < DNSMSG_HDRLEN; target++) {
        q[13] = target;
        assert_int_equal(dnsmsg_parse_query(q, sizeof q, &dq), DNSMSG_FORMERR);
    }
    q[13] = DNSMSG_HDRLEN; /* the name itself: a loop, FORMERR too */
    assert_int_equal(dnsmsg_parse_query(q, sizeof q, &dq), DNSMSG_FORMERR);
    /* in an additional record the same: its owner pointing at the header */
    static const uint8_t opt_in_header[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
                                            0x00, 0x00, 0x00, 0x01, 0x01, 'a', 0x00, 0x00,
                                            0x01, 0x00, 0x01, 0xc0, 0x02, 0x00, 0x29, 0x04,
                                            0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    assert_int_equal(dnsmsg_parse_query(opt_in_header, sizeof opt_in_header, &dq),
                     DNSMSG_FORMERR);
}

static void test_dnsmsg_builder_compresses_names_exactly(void **state)
{
    (void)state;
    uint8_t buf[512];
    struct dnsmsg_builder b;
    static const uint8_t www[] = "\3www\3lab";          /* NUL ends the name */
    static const uint8_t web[] = "\3web\3lab";
    static const uint8_t a[] = {198, 18, 0, 80};
    dnsmsg_begin(&b, buf, sizeof buf, 0xabcd, DNS_F_QR | DNS_F_AA);
    dnsmsg_put_question(&b, www, DNS_T_A, DNS_C_IN);
    assert_true(dnsmsg_put_rr(&b, DNSMSG_AN, www, DNS_T_CNAME, DNS_C_IN, 60, web, sizeof web));
    assert_true(dnsmsg_put_rr(&b, DNSMSG_AN, web, DNS_T_A, DNS_C_IN, 60, a, 4));
    size_t n = dnsmsg_finish(&b);
    static const uint8_t want[] = {
        0xab, 0xcd, 0x84, 0x00, 0, 1, 0, 2, 0, 0, 0, 0,
        3, 'w', 'w', 'w', 3, 'l', 'a', 'b', 0, 0, 1, 0, 1,
        0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 6, 3, 'w', 'e', 'b', 0xc0, 16,
        0xc0, 37, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 18, 0, 80,
    };
    assert_int_equal(n, sizeof want);
    assert_memory_equal(buf, want, sizeof want);
}

static void test_dnsmsg_builder_rolls_back_a_record_that_does_not_fit(void **state)
{
    (void)state;
    uint8_t buf[40];
    struct dnsmsg_builder b;
    static const uint8_t name[] = "\3www\3lab";
    static const uint8_t a[] = {1, 2, 3, 4};
    dnsmsg_begin(&b, buf, sizeof buf, 1, DNS_F_QR);
    dnsmsg_put_question(&b, name, DNS_T_A, DNS_C_IN);
    size_t before = b.wb.pos;
    assert_true(dnsmsg_put_rr(&b, DNSMSG_AN, name, DNS_T_A, DNS_C_IN, 1, a, 4) == false);
    assert_int_equal(b.wb.pos, before);
    assert_int_equal(b.counts[DNSMSG_AN], 0);
    assert_int_equal(dnsmsg_finish(&b), before);
}

static void test_dnsmsg_type_names_round_trip(void **state)
{
    (void)state;
    char buf[16];
    assert_string_equal(dnsmsg_type_name(DNS_T_AAAA, buf, sizeof buf), "AAAA");
    assert_string_equal(dnsmsg_type_name(65280, buf, sizeof buf), "TYPE65280");
    assert_int_equal(dnsmsg_type_parse("srv"), DNS_T_SRV);
    assert_int_equal(dnsmsg_type_parse("TYPE65280"), 65280);
    assert_int_equal(dnsmsg_type_parse("TYPE0"), 0);
    assert_int_equal(dnsmsg_type_parse("BOGUS"), 0);
}

/* An IXFR query carries the client's SOA in the authority section (RFC 1995 §3); a TSIG
 * record may only be the last record of a message (RFC 8945 §5.1). */
static void test_dnsmsg_reads_the_ixfr_serial_and_finds_the_tsig(void **state)
{
    (void)state;
    static const uint8_t ixfr[] = {
        0x12, 0x34, 0x00, 0x00, 0, 1, 0, 0, 0, 1, 0, 0,
        3, 'l', 'a', 'b', 0, 0, 251, 0, 1,
        0xc0, 12, 0, 6, 0, 1, 0, 0, 0, 0, 0, 22, /* owner: a pointer to the qname */
        0, 0, 0x78, 0x56, 0x34, 0x12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4,
    };
    uint8_t buf[256];
    struct dnsmsg_query q;
    assert_int_equal(dnsmsg_parse_query(ixfr, sizeof ixfr, &q), DNSMSG_OK);
    assert_true(q.has_ixfr_serial);
    assert_int_equal(q.ixfr_serial, 0x78563412u);
    assert_int_equal(q.tsig_off, 0);
    /* an SOA of another owner, or of the wrong length, gives no serial */
    memcpy(buf, ixfr, sizeof ixfr);
    buf[21] = 0; /* owner: the root */
    memcpy(buf + 22, ixfr + 23, sizeof ixfr - 23);
    assert_int_equal(dnsmsg_parse_query(buf, sizeof ixfr - 1, &q), DNSMSG_OK);
    assert_false(q.has_ixfr_serial);
    memcpy(buf, ixfr, sizeof ixfr);
    buf[32] = 21; /* rdlength one short: the record is malformed */
    assert_int_equal(dnsmsg_parse_query(buf, sizeof ixfr, &q), DNSMSG_FORMERR);
    /* a plain query with a record of type TSIG last: its offset */
    static const uint8_t tsig[] = {0, 0, 250, 0, 255, 0, 0, 0, 0, 0, 0};
    memcpy(buf, q_plain, sizeof q_plain);
    buf[11] = 1;
    memcpy(buf + sizeof q_plain, tsig, sizeof tsig);
    assert_int_equal(dnsmsg_parse_query(buf, sizeof q_plain + sizeof tsig, &q), DNSMSG_OK);
    assert_int_equal(q.tsig_off, sizeof q_plain);
    /* TSIG before an OPT: FORMERR */
    size_t n = with_opt(buf, q_plain, sizeof q_plain, 1232, 0, 0, 2);
    uint8_t opt[11];
    memcpy(opt, buf + sizeof q_plain, 11);
    memcpy(buf + sizeof q_plain, tsig, sizeof tsig);
    memcpy(buf + sizeof q_plain + sizeof tsig, opt, 11);
    assert_int_equal(dnsmsg_parse_query(buf, n + sizeof tsig, &q), DNSMSG_FORMERR);
    /* after the OPT: fine */
    memcpy(buf + sizeof q_plain, opt, 11);
    memcpy(buf + sizeof q_plain + 11, tsig, sizeof tsig);
    assert_int_equal(dnsmsg_parse_query(buf, n + sizeof tsig, &q), DNSMSG_OK);
    assert_int_equal(q.tsig_off, sizeof q_plain + 11);
    assert_true(q.has_edns);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dnsmsg_parses_a_plain_query_and_lowercases_the_name),
        cmocka_unit_test(test_dnsmsg_reads_edns_size_version_and_do_bit),
        cmocka_unit_test(test_dnsmsg_classifies_malformed_queries),
        cmocka_unit_test(test_dnsmsg_pointer_into_the_header_is_formerr),
        cmocka_unit_test(test_dnsmsg_builder_compresses_names_exactly),
        cmocka_unit_test(test_dnsmsg_builder_rolls_back_a_record_that_does_not_fit),
        cmocka_unit_test(test_dnsmsg_type_names_round_trip),
        cmocka_unit_test(test_dnsmsg_reads_the_ixfr_serial_and_finds_the_tsig),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
