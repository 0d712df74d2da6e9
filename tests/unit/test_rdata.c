/* Unit tests of common/rdata: master-file text <-> wire for each known type and RFC 3597. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/dnsmsg.h"
#include "common/rdata.h"

/* Parses space-separated tokens (quoted tokens start with '"' here) and formats back. */
static int round_trip(uint16_t type, const char *const *toks, size_t n, char *out, size_t cap,
                      uint8_t *wire, struct lana_diag *d)
{
    struct rdata_token t[16];
    for (size_t i = 0; i < n; i++) {
        t[i].quoted = toks[i][0] == '"';
        t[i].s = toks[i] + (t[i].quoted ? 1 : 0);
    }
    static const uint8_t origin[] = "\3lab";
    int len = rdata_parse(type, t, n, origin, wire, 65535, d);
    if (len < 0)
        return len;
    struct wbuf wb;
    wbuf_init(&wb, out, cap);
    rdata_format(type, wire, (size_t)len, &wb);
    wbuf_cstr(&wb);
    return len;
}

static void test_rdata_known_types_round_trip(void **state)
{
    (void)state;
    static const struct {
        uint16_t type;
        const char *toks[8];
        size_t n;
        const char *text;
        int len;
    } cases[] = {
        {DNS_T_A, {"198.18.0.1"}, 1, "198.18.0.1", 4},
        {DNS_T_AAAA, {"2001:DB8::1"}, 1, "2001:db8::1", 16},
        {DNS_T_NS, {"ns1"}, 1, "ns1.lab.", 9},
        {DNS_T_CNAME, {"web.example.net."}, 1, "web.example.net.", 17},
        {DNS_T_PTR, {"h1.lab."}, 1, "h1.lab.", 8},
        {DNS_T_MX, {"10", "mail"}, 2, "10 mail.lab.", 12},
        {DNS_T_SRV, {"0", "5", "389", "ldap"}, 4, "0 5 389 ldap.lab.", 16},
        {DNS_T_SOA, {"ns1", "hostmaster", "1", "1h", "15m", "1w", "300"}, 7,
         "ns1.lab. hostmaster.lab. 1 3600 900 604800 300", 45},
        {DNS_T_TXT, {"\"a \\\"q\\\" b", "\"", "\"\\065\\066"}, 3, "\"a \\\"q\\\" b\" \"\" \"AB\"",
         12},
        {65280, {"\\#", "4", "0a00", "0001"}, 4, "\\# 4 0a000001", 4},
        {DNS_T_A, {"\\#", "4", "C6120001"}, 3, "198.18.0.1", 4},
        {99, {"\\#", "0"}, 2, "\\# 0", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[512];
        uint8_t wire[65536];
        struct lana_diag d = {{0}};
        int len = round_trip(cases[i].type, cases[i].toks, cases[i].n, out, sizeof out, wire, &d);
        if (len < 0)
            fail_msg("case %zu: %s", i, d.msg);
        assert_int_equal(len, cases[i].len);
        assert_string_equal(out, cases[i].text);
    }
}

static void test_rdata_rejects_bad_fields(void **state)
{
    (void)state;
    static const struct {
        uint16_t type;
        const char *toks[8];
        size_t n;
    } cases[] = {
        {DNS_T_A, {"198.18.0.256"}, 1},
        {DNS_T_A, {"2001:db8::1"}, 1},
        {DNS_T_A, {"1.2.3.4", "5.6.7.8"}, 2},
        {DNS_T_AAAA, {"198.18.0.1"}, 1},
        {DNS_T_MX, {"65536", "mail"}, 2},
        {DNS_T_MX, {"mail"}, 1},
        {DNS_T_SRV, {"0", "0", "port", "x"}, 4},
        {DNS_T_SOA, {"ns1", "hm", "x", "1", "1", "1", "1"}, 7},
        {DNS_T_SOA, {"ns1", "hm", "1", "1", "1", "1", "4294967296"}, 7},
        {DNS_T_TXT, {NULL}, 0},
        {65280, {"0a000001"}, 1},
        {65280, {"\\#", "4", "0a00"}, 3},
        {65280, {"\\#", "1", "zz"}, 3},
        {DNS_T_A, {"\\#", "3", "010203"}, 3},
        {DNS_T_NS, {"a..b"}, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[512];
        uint8_t wire[65536];
        struct lana_diag d = {{0}};
        int rc = round_trip(cases[i].type, cases[i].toks, cases[i].n, out, sizeof out, wire, &d);
        if (rc >= 0)
            fail_msg("case %zu was accepted", i);
        assert_true(d.msg[0] != '\0');
    }
    /* a TXT string of 256 octets */
    char big[300];
    memset(big, 'x', 256);
    big[256] = '\0';
    struct rdata_token t = {big, true};
    uint8_t wire[1024];
    assert_true(rdata_parse(DNS_T_TXT, &t, 1, NULL, wire, sizeof wire, NULL) < 0);
}

static void test_rdata_ttl_units_and_limits(void **state)
{
    (void)state;
    uint32_t v;
    assert_int_equal(rdata_parse_ttl("0", &v, NULL), 0);
    assert_int_equal(v, 0);
    assert_int_equal(rdata_parse_ttl("1h30m", &v, NULL), 0);
    assert_int_equal(v, 5400);
    assert_int_equal(rdata_parse_ttl("2147483647", &v, NULL), 0);
    assert_int_equal(rdata_parse_ttl("2147483648", &v, NULL), LANA_ERANGE);
    assert_int_equal(rdata_parse_ttl("1x", &v, NULL), LANA_EPARSE);
    assert_int_equal(rdata_parse_ttl("h", &v, NULL), LANA_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rdata_known_types_round_trip),
        cmocka_unit_test(test_rdata_rejects_bad_fields),
        cmocka_unit_test(test_rdata_ttl_units_and_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
