/* Unit tests of common/zfile: the master-file reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dnsmsg.h"
#include "common/zfile.h"

struct collected {
    unsigned n;
    char lines[64][1700];
};

static int collect(const struct zfile_rr *rr, void *arg)
{
    struct collected *c = arg;
    char owner[DNAME_TEXT_MAX], type[16], data[600];
    struct wbuf wb;
    wbuf_init(&wb, data, sizeof data);
    rdata_format(rr->type, rr->rdata, rr->rdlen, &wb);
    wbuf_cstr(&wb);
    dname_to_text(rr->owner, owner, sizeof owner);
    if (c->n < 64)
        snprintf(c->lines[c->n], sizeof c->lines[0], "%u %s %u %s %s", rr->line, owner, rr->ttl,
                 dnsmsg_type_name(rr->type, type, sizeof type), data);
    c->n++;
    return 0;
}

static int read_text(const char *text, struct collected *c, struct lana_diag *d)
{
    FILE *fp = fmemopen((void *)text, strlen(text), "r");
    memset(c, 0, sizeof *c);
    int rc = zfile_read(fp, "t.zone", NULL, collect, c, d);
    fclose(fp);
    return rc;
}

static void test_zfile_reads_directives_owners_parentheses_and_comments(void **state)
{
    (void)state;
    static const char text[] =
        "$ORIGIN lab.\n"
        "$TTL 1h\n"
        "@ IN SOA ns1 hostmaster ( 7 ; serial\n"
        "          3600 900\n"
        "          604800 300 )\n"
        "  IN NS ns1 ; same owner as above\n"
        "ns1 60 IN A 198.18.0.1\n"
        "ns1 IN 120 AAAA 2001:db8::1\n"
        "\n"
        "; only a comment\n"
        "txt TXT \"a;b\" \"(x)\" \"\" \"q\\\"\\092\"\n"
        "$ORIGIN sub.lab.\n"
        "* A 198.18.0.9\n"
        "zero 0 A 198.18.0.0\n"
        "x TYPE65280 \\# 2 ( ab\n cd )\n";
    struct collected c;
    struct lana_diag d = {{0}};
    int rc = read_text(text, &c, &d);
    if (rc != 0)
        fail_msg("%s", d.msg);
    assert_int_equal(c.n, 8);
    assert_string_equal(c.lines[0], "3 lab. 3600 SOA ns1.lab. hostmaster.lab. 7 3600 900 604800 300");
    assert_string_equal(c.lines[1], "6 lab. 3600 NS ns1.lab.");
    assert_string_equal(c.lines[2], "7 ns1.lab. 60 A 198.18.0.1");
    assert_string_equal(c.lines[3], "8 ns1.lab. 120 AAAA 2001:db8::1");
    assert_string_equal(c.lines[4], "11 txt.lab. 3600 TXT \"a;b\" \"(x)\" \"\" \"q\\\"\\\\\"");
    assert_string_equal(c.lines[5], "13 *.sub.lab. 3600 A 198.18.0.9");
    assert_string_equal(c.lines[6], "14 zero.sub.lab. 0 A 198.18.0.0");
    assert_string_equal(c.lines[7], "15 x.sub.lab. 3600 TYPE65280 \\# 2 abcd");
}

static void test_zfile_errors_name_file_and_line(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"$ORIGIN lab.\n$TTL 60\na A 1.2.3\n", "t.zone:3: 1.2.3: not an IPv4 address"},
        {"$TTL 60\nrelative A 1.2.3.4\n", "t.zone:2: owner: relative: relative name without"},
        {"$ORIGIN lab.\na A 1.2.3.4\n", "t.zone:2: no TTL"},
        {"$ORIGIN lab.\n$TTL 60\na BOGUS x\n", "t.zone:3: BOGUS: unknown or meta record type"},
        {"$ORIGIN lab.\n$TTL 60\na TXT \"open\n", "t.zone:3: unterminated quoted string"},
        {"$ORIGIN lab.\n$TTL 60\na ( A\n1.2.3.4\n", "t.zone:3: '(' not closed"},
        {"$ORIGIN lab.\n$TTL 60\na A 1.2.3.4 )\n", "t.zone:3: ')' without '('"},
        {"$INCLUDE other.zone\n", "t.zone:1: $INCLUDE: directive not supported"},
        {" A 1.2.3.4\n", "t.zone:1: no owner name"},
        {"$TTL 60\na.lab. 99999999999 A 1.2.3.4\n", "t.zone:2: 99999999999: TTL too large"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct collected c;
        struct lana_diag d = {{0}};
        assert_int_equal(read_text(cases[i].text, &c, &d), LANA_EPARSE);
        if (strncmp(d.msg, cases[i].msg, strlen(cases[i].msg)) != 0)
            fail_msg("case %zu: got '%s', want '%s'", i, d.msg, cases[i].msg);
    }
}

static void test_zfile_refuses_an_over_long_line(void **state)
{
    (void)state;
    size_t n = ZFILE_LINE_MAX + 100;
    char *text = malloc(n + 32);
    strcpy(text, "$TTL 60\na.lab. TXT \"");
    size_t p = strlen(text);
    memset(text + p, 'x', n - p);
    strcpy(text + n, "\"\n");
    struct collected c;
    struct lana_diag d = {{0}};
    assert_int_equal(read_text(text, &c, &d), LANA_EPARSE);
    assert_non_null(strstr(d.msg, "t.zone:2: line longer than"));
    free(text);
}

static void test_zfile_accepts_a_255_octet_owner(void **state)
{
    (void)state;
    char text[1024];
    size_t p = 0;
    p += (size_t)snprintf(text, sizeof text, "$TTL 60\n");
    for (int i = 0; i < 3; i++) {
        memset(text + p, 'a', 63);
        p += 63;
        text[p++] = '.';
    }
    memset(text + p, 'b', 61);
    p += 61;
    snprintf(text + p, sizeof text - p, ". A 198.18.0.1\n");
    struct collected c;
    struct lana_diag d = {{0}};
    if (read_text(text, &c, &d) != 0)
        fail_msg("%s", d.msg);
    assert_int_equal(c.n, 1);
}

static int stop_cb(const struct zfile_rr *rr, void *arg)
{
    (void)rr;
    (void)arg;
    return LANA_ECONFLICT;
}

static void test_zfile_passes_the_callback_code_through(void **state)
{
    (void)state;
    static const char text[] = "$TTL 60\na.lab. A 1.2.3.4\nb.lab. A 1.2.3.5\n";
    FILE *fp = fmemopen((void *)text, strlen(text), "r");
    assert_int_equal(zfile_read(fp, "t", NULL, stop_cb, NULL, NULL), LANA_ECONFLICT);
    fclose(fp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zfile_reads_directives_owners_parentheses_and_comments),
        cmocka_unit_test(test_zfile_errors_name_file_and_line),
        cmocka_unit_test(test_zfile_refuses_an_over_long_line),
        cmocka_unit_test(test_zfile_accepts_a_255_octet_owner),
        cmocka_unit_test(test_zfile_passes_the_callback_code_through),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
