/* Unit tests of server/rpsl: the port-43 queries and their RPSL answers without sockets —
 * RIPE's statuses, the error numbers of bad queries (table-driven), objects separated and
 * complete, and an answer cut at the last whole object when the buffer is full. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/ipam.h"
#include "db/regdata.h"
#include "server/rpsl.h"
#include "tests/lib/testdb.h"

struct fx {
    struct testdb_names *db;
    struct regdata *rd;
    char buf[1 << 20];
};

static struct cidr P(const char *s) {
    struct cidr c;
    assert_int_equal(cidr_parse(s, &c, NULL), 0);
    return c;
}

/* 198.18.0.0/15 pool > 198.18.0.0/16 allocated > 198.18.0.0/20 allocated > 32 assigned /28s */
static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    struct lana_diag d;
    if (f == NULL || testdb_names_open_empty(&f->db) != 0)
        return -1;
    struct cidr pool = P("198.18.0.0/15"), a16 = P("198.18.0.0/16"), a20 = P("198.18.0.0/20");
    if (ipam_pool_add(f->db->ip, &pool, "lab pool", "t", NULL, &d) != 0 ||
        ipam_take(f->db->ip, &a16, IPAM_ALLOCATED, "RIR one", "a registrar", "t", NULL, &d) != 0 ||
        ipam_take(f->db->ip, &a20, IPAM_ALLOCATED, "lir", NULL, "t", NULL, &d) != 0)
        return -1;
    for (int i = 0; i < 32; i++)
        if (ipam_alloc(f->db->ip, &a20, 28, IPAM_ASSIGNED, "customer", NULL, "t", NULL, &d) != 0)
            return -1;
    if (regdata_open(f->db->st, &f->rd, &d) != 0)
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

/* The answer to line in a buffer of cap bytes, NUL-terminated in f->buf. */
static const char *ask(struct fx *f, const char *line, size_t cap)
{
    struct wbuf wb;
    wbuf_init(&wb, f->buf, cap);
    rpsl_answer(f->rd, line, strlen(line), &wb);
    assert_false(wb.overflow);
    f->buf[wb.pos < sizeof f->buf ? wb.pos : sizeof f->buf - 1] = '\0';
    return f->buf;
}

static unsigned count(const char *text, const char *what)
{
    unsigned n = 0;
    for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

static void test_statuses_in_ripe_words(void **state)
{
    (void)state;
    struct regdata_block b = {.b = {.prefix = P("198.18.0.0/16"), .status = IPAM_POOL}};
    assert_string_equal(rpsl_status(&b), "ALLOCATED UNSPECIFIED");
    b.b.status = IPAM_ALLOCATED;
    b.has_parent = true;
    b.parent_status = IPAM_POOL;
    assert_string_equal(rpsl_status(&b), "ALLOCATED PA");
    b.parent_status = IPAM_ALLOCATED;
    assert_string_equal(rpsl_status(&b), "SUB-ALLOCATED PA");
    b.b.status = IPAM_ASSIGNED;
    assert_string_equal(rpsl_status(&b), "ASSIGNED PA");
    b.b.status = IPAM_RESERVED;
    assert_string_equal(rpsl_status(&b), "NOT-SET");
    b.b.prefix = P("2001:db8::/32");
    b.b.status = IPAM_ALLOCATED;
    assert_string_equal(rpsl_status(&b), "ALLOCATED-BY-LIR");
    b.parent_status = IPAM_POOL;
    assert_string_equal(rpsl_status(&b), "ALLOCATED-BY-RIR");
    b.b.status = IPAM_ASSIGNED;
    assert_string_equal(rpsl_status(&b), "ASSIGNED");
}

static void test_bad_queries_get_ripe_error_numbers(void **state)
{
    struct fx *f = *state;
    static const struct {
        const char *line, *want;
    } cases[] = {
        {"", "%ERROR:106: no search key specified\n"},
        {"-L", "%ERROR:106: "},
        {"-k 198.18.0.1", "%ERROR:111: invalid option supplied\n"},
        {"--all-less 198.18.0.1", "%ERROR:111: "},
        {"-T", "%ERROR:111: "},
        {"-T person 198.18.0.1", "%ERROR:103: unknown object type\n"},
        {"-T , 198.18.0.1", "%ERROR:103: "},
        {"-L -m 198.18.0.1", "%ERROR:109: invalid combination of flags passed\n"},
        {"-Lx 198.18.0.1", "%ERROR:109: "},
        {"-i mnt-by -L stu7", "%ERROR:109: "},
        {"-i origin AS1", "%ERROR:111: "},
        {"198.18.0.1\x7f", "%ERROR:108: bad character in input\n"},
        {"198.18.0.1 \x01", "%ERROR:108: "},
        {"\xc3\x28", "%ERROR:108: "},
        {"a b c d", "%ERROR:115: invalid search key\n"},
        {"198.18.0.0 - 198.18.0.2", "%ERROR:115: "},
        {"192.0.2.1", "%ERROR:101: no entries found\n%\n% No entries found in source LANA.\n"},
        {"-x 198.18.0.0/17", "%ERROR:101: "},
        {"nobody.lab", "%ERROR:101: "},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *out = ask(f, cases[i].line, sizeof f->buf);
        if (strstr(out, cases[i].want) == NULL)
            fail_msg("%s: wanted %s in:\n%s", cases[i].line, cases[i].want, out);
        assert_null(strstr(out, "\nsource:"));                            /* no object */
        assert_true(strncmp(out, "% This is the LANA", 18) == 0);         /* the header */
        assert_non_null(strstr(out, "% This query was served by lanad")); /* the footer */
    }
    char longline[RPSL_LINE_MAX + 2];
    memset(longline, 'a', sizeof longline - 1);
    longline[sizeof longline - 1] = '\0';
    assert_non_null(strstr(ask(f, longline, sizeof f->buf), "%ERROR:107: input line too long"));
}

static void test_objects_are_whole_and_separated(void **state)
{
    struct fx *f = *state;
    const char *out = ask(f, "-L 198.18.0.1", sizeof f->buf);
    assert_int_equal(count(out, "\ninetnum:"), 4);
    assert_int_equal(count(out, "\nsource:         LANA\n\n"), 4);
    assert_non_null(strstr(out, "\ninetnum:        198.18.0.0 - 198.19.255.255\n"
                                "netname:        LANA-POOL\n"
                                "descr:          lab pool\n"
                                "status:         ALLOCATED UNSPECIFIED\n"));
    assert_non_null(strstr(out, "\ninetnum:        198.18.0.0 - 198.18.255.255\n"
                                "netname:        RIR-ONE\n"
                                "descr:          a registrar\n"
                                "status:         ALLOCATED PA\n"
                                "remarks:        holder: RIR one\n"
                                "mnt-by:         admin\n"));
    assert_non_null(strstr(out, "netname:        LIR\n"));
    assert_non_null(strstr(out, "status:         SUB-ALLOCATED PA\n"));
    assert_non_null(strstr(out, "inetnum:        198.18.0.0 - 198.18.0.15\n"));
    /* flags in any order and clusters, types filtering */
    assert_string_equal(ask(f, "198.18.0.1 -rL", sizeof f->buf), out);
    out = ask(f, "-T inet6num -L 198.18.0.1", sizeof f->buf);
    assert_non_null(strstr(out, "%ERROR:101"));
}

static void test_an_answer_too_big_is_cut_after_a_whole_object(void **state)
{
    struct fx *f = *state;
    const char *out = ask(f, "-M 198.18.0.0/15", sizeof f->buf);
    assert_int_equal(count(out, "\nsource:"), 34); /* /16, /20, 32 x /28 */
    assert_null(strstr(out, "was cut"));
    out = ask(f, "-M 198.18.0.0/15", 4096);
    unsigned n = count(out, "\nsource:         LANA\n");
    char want[80];
    snprintf(want, sizeof want, "%% The answer was cut after %u objects", n);
    assert_true(n >= 2 && n < 34);
    assert_non_null(strstr(out, want));
    assert_int_equal(count(out, "inetnum:"), n); /* no object half written */
    assert_non_null(strstr(out, "% This query was served by lanad"));
    /* a buffer too small for anything at all says so by its overflow flag */
    struct wbuf wb;
    char tiny[64];
    wbuf_init(&wb, tiny, sizeof tiny);
    rpsl_answer(f->rd, "198.18.0.1", 10, &wb);
    assert_true(wb.overflow);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_statuses_in_ripe_words),
        cmocka_unit_test(test_bad_queries_get_ripe_error_numbers),
        cmocka_unit_test(test_objects_are_whole_and_separated),
        cmocka_unit_test(test_an_answer_too_big_is_cut_after_a_whole_object),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
