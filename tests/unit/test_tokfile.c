/* Unit tests of common/tokfile: the token file's text, the format before TLS, every refusal,
 * and the pin's two spellings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "common/tokfile.h"

#define HEX64 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define PIN64 "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

static void test_tokfile_format_round_trips(void **state)
{
    (void)state;
    struct tokfile t, back;
    memset(&t, 0, sizeof t);
    snprintf(t.user, sizeof t.user, "alice");
    for (int i = 0; i < AUTH_TOKEN_LEN; i++)
        t.token[i] = (uint8_t)i;
    t.have_pin = true;
    memset(t.pin, 0xab, sizeof t.pin);
    snprintf(t.server, sizeof t.server, "registry.lab:5301");
    char buf[TOKFILE_TEXT_MAX];
    int n = tokfile_format(&t, buf, sizeof buf);
    assert_true(n > 0);
    assert_non_null(strstr(buf, "\nuser=alice\n"));
    assert_non_null(strstr(buf, "\ntls-sha256=abababab"));
    assert_non_null(strstr(buf, "\nserver=registry.lab:5301\n"));
    assert_int_equal(tokfile_parse(buf, &back, NULL), 0);
    assert_memory_equal(&t, &back, sizeof t);
    /* without pin and server, those lines are not written */
    t.have_pin = false;
    t.server[0] = '\0';
    n = tokfile_format(&t, buf, sizeof buf);
    assert_null(strstr(buf, "tls-sha256"));
    assert_null(strstr(buf, "server="));
    assert_int_equal(tokfile_format(&t, buf, 20), LANA_ENOSPACE);
}

static void test_tokfile_reads_the_old_format(void **state)
{
    (void)state;
    struct tokfile t;
    assert_int_equal(tokfile_parse(HEX64 "\n", &t, NULL), 0);
    assert_int_equal(t.token[1], 0x11);
    assert_string_equal(t.user, "");
    assert_false(t.have_pin);
}

static void test_tokfile_table(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int rc;
        const char *msg; /* the diagnostic, when refused */
    } rows[] = {
        {"# c\n\nuser = bob\ntoken=" HEX64 "\n", 0, NULL},
        {"token=" HEX64 "\r\ntls-sha256=" PIN64 "\r\n", 0, NULL},
        {"  token = " HEX64 "  ", 0, NULL},
        {"user=admin\n", LANA_EPARSE, "no token= line (64 hex digits)"},
        {"token=" HEX64 "\nfoo=bar\n", LANA_EPARSE, "line 2: unknown key 'foo'"},
        {"token=" HEX64 "\ntoken=" HEX64 "\n", LANA_EPARSE, "line 2: 'token' given twice"},
        {"token=00\n", LANA_EPARSE, "line 1: bad value for 'token'"},
        {"token=" HEX64 "\ntls-sha256=abc\n", LANA_EPARSE, "line 2: bad value for 'tls-sha256'"},
        {"token=" HEX64 "\nuser=two words\n", LANA_EPARSE, "line 2: bad value for 'user'"},
        {"token=" HEX64 "\nuser=\n", LANA_EPARSE, "line 2: bad value for 'user'"},
        {"token " HEX64 "\n", LANA_EPARSE, "line 1: expected key=value"},
        {"", LANA_EPARSE, "no token= line (64 hex digits)"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct tokfile t;
        struct lana_diag d = {""};
        int rc = tokfile_parse(rows[i].text, &t, &d);
        if (rc != rows[i].rc)
            fail_msg("row %zu: rc %d, want %d (%s)", i, rc, rows[i].rc, d.msg);
        if (rows[i].msg != NULL)
            assert_string_equal(d.msg, rows[i].msg);
    }
    struct tokfile t;
    assert_int_equal(tokfile_parse("# c\n\nuser = bob\ntoken=" HEX64 "\n", &t, NULL), 0);
    assert_string_equal(t.user, "bob");
}

static void test_tokfile_pin_spellings(void **state)
{
    (void)state;
    uint8_t a[TOKFILE_PIN_LEN], b[TOKFILE_PIN_LEN];
    char colons[3 * TOKFILE_PIN_LEN];
    for (int i = 0; i < TOKFILE_PIN_LEN; i++)
        snprintf(colons + 3 * i, 4, "%.2s%s", PIN64 + 2 * i, i + 1 < TOKFILE_PIN_LEN ? ":" : "");
    assert_int_equal(tokfile_parse_pin(PIN64, a), 0);
    assert_int_equal(tokfile_parse_pin(colons, b), 0);
    assert_memory_equal(a, b, sizeof a);
    assert_int_equal(a[0], 0xff);
    colons[0] = 'F';
    assert_int_equal(tokfile_parse_pin(colons, b), 0); /* either case */
    assert_int_equal(tokfile_parse_pin("ff:ee", b), LANA_EPARSE);
    assert_int_equal(tokfile_parse_pin("f:fee", b), LANA_EPARSE);
    assert_int_equal(tokfile_parse_pin(PIN64 "00", b), LANA_EPARSE);
    assert_int_equal(tokfile_parse_pin("", b), LANA_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokfile_format_round_trips),
        cmocka_unit_test(test_tokfile_reads_the_old_format),
        cmocka_unit_test(test_tokfile_table),
        cmocka_unit_test(test_tokfile_pin_spellings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
