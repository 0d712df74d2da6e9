/*
 * test_doc — common/doc: roff escaping and usage lines, the usage scanner that finds options
 * and their values, the kind of a value, templates, and the completion data's checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/doc.h"

/* What f wrote into a memory stream, as a string (caller frees). */
struct mem {
    FILE *fp;
    char *buf;
    size_t len;
};

static void mem_open(struct mem *m)
{
    m->fp = open_memstream(&m->buf, &m->len);
    assert_non_null(m->fp);
}

static char *mem_close(struct mem *m)
{
    fclose(m->fp);
    return m->buf;
}

static void test_roff_text(void **state)
{
    (void)state;
    struct mem m;
    mem_open(&m);
    doc_roff_str(m.fp, ".start --opt a\\b\n'quote\xe2\x86\x92 \xe2\x9c\x93 \xff");
    char *s = mem_close(&m);
    assert_string_equal(s, "\\&.start \\-\\-opt a\\eb\n\\&'quote\\(-> \\[u2713] ?");
    free(s);
    /* an ellipsis that starts a line is text, not a roff request */
    mem_open(&m);
    doc_roff_str(m.fp, "\xe2\x80\xa6 more\n");
    s = mem_close(&m);
    assert_string_equal(s, "\\&... more\n");
    free(s);
}

static void test_roff_usage(void **state)
{
    (void)state;
    struct mem m;
    mem_open(&m);
    doc_roff_usage(m.fp, "zone import [--origin NAME], the file's lines");
    char *s = mem_close(&m);
    assert_string_equal(s, "\\fBzone\\fR \\fBimport\\fR [\\fB\\-\\-origin\\fR \\fINAME\\fR], the "
                           "file's lines");
    free(s);
    mem_open(&m);
    doc_roff_usage(m.fp, "block alloc PARENT /N [--dns ADDR[:PORT]]...");
    s = mem_close(&m);
    assert_string_equal(s, "\\fBblock\\fR \\fBalloc\\fR \\fIPARENT\\fR /\\fIN\\fR "
                           "[\\fB\\-\\-dns\\fR \\fIADDR\\fR[:\\fIPORT\\fR]]\\&...");
    free(s);
}

/* The scanner's words, as "opt=metavar" (flag: "opt", positional: "=word") joined by ' '. */
static void collect(const char *opt, const char *metavar, void *arg)
{
    char *out = arg;
    size_t len = strlen(out);
    snprintf(out + len, 512 - len, "%s%s%s%s", len ? " " : "", opt ? opt : "", metavar ? "=" : "",
             metavar ? metavar : "");
}

static void scan(const char *usage, int skip, const char *want)
{
    char got[512] = "";
    doc_usage_scan(usage, skip, collect, got);
    assert_string_equal(got, want);
}

static void test_usage_scan(void **state)
{
    (void)state;
    scan("block alloc PARENT /N [--to ACCOUNT] [--assign]", 2, "=PARENT =/N --to=ACCOUNT --assign");
    scan("lana connect TARGET [PORT|SERVICE] [--dns ADDR[:PORT]]... [--tcp] [-4|-6]", 2,
         "=TARGET =PORT|SERVICE --dns=ADDR[:PORT] --tcp -4 -6");
    scan("lana class create NAME --students N [--v4 /24] --tokens DIR", 3,
         "=NAME --students=N --v4=/24 --tokens=DIR");
    scan("zone import [--origin NAME], the file's lines, then .", 2, "--origin=NAME");
    scan("end (closes a batch)", 1, "");
    scan("lana resolve -x ADDRESS [--dns ...] [--json]", 2, "-x=ADDRESS --dns= --json");
    scan("lana batch [FILE|-] [--keep-going]", 2, "=FILE|- --keep-going");
}

static void test_value_kind(void **state)
{
    (void)state;
    char b[64];
    assert_string_equal(doc_value_kind("PATH", b, sizeof b), "@file");
    assert_string_equal(doc_value_kind("FILE|-", b, sizeof b), "@file");
    assert_string_equal(doc_value_kind("DIR", b, sizeof b), "@dir");
    assert_string_equal(doc_value_kind("tcp|udp", b, sizeof b), "tcp|udp");
    assert_string_equal(doc_value_kind("auto|none|ADDR", b, sizeof b), "auto|none");
    assert_string_equal(doc_value_kind("N|auto", b, sizeof b), "auto");
    assert_string_equal(doc_value_kind("A|AAAA|SRV", b, sizeof b), "A|AAAA|SRV");
    assert_string_equal(doc_value_kind("UNIX_MS|YYYY-MM-DD", b, sizeof b), "@");
    assert_string_equal(doc_value_kind("lab.", b, sizeof b), "@");
    assert_string_equal(doc_value_kind("ACCOUNT", b, sizeof b), "@");
}

static int marker(FILE *out, const char *name, void *arg, struct lana_diag *d)
{
    (void)arg;
    if (strcmp(name, "X") != 0)
        return diag_set(d, LANA_EPARSE, "unknown marker @%s@", name);
    fputs("generated\n", out);
    return 0;
}

static void test_template(void **state)
{
    (void)state;
    char path[] = "/tmp/test_doc_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    fputs(".TH T 1 \"\" \"lana @VERSION@\"\n.\\\" @X@\nprose\n", fp);
    fclose(fp);
    struct mem m;
    struct lana_diag d;
    mem_open(&m);
    assert_int_equal(doc_template(m.fp, path, "9.9", marker, NULL, &d), 0);
    char *s = mem_close(&m);
    assert_string_equal(s, ".TH T 1 \"\" \"lana 9.9\"\ngenerated\nprose\n");
    free(s);
    fp = fopen(path, "a");
    fputs(".\\\" @Y@\n", fp);
    fclose(fp);
    mem_open(&m);
    assert_int_equal(doc_template(m.fp, path, "9.9", marker, NULL, &d), LANA_EPARSE);
    assert_non_null(strstr(d.msg, "@Y@"));
    free(mem_close(&m));
    remove(path);
}

static void test_comp(void **state)
{
    (void)state;
    struct doc_comp *c = doc_comp_new();
    struct mem m;
    assert_int_equal(doc_comp_opt(c, "block", "alloc", "--to", "@"), 0);
    assert_int_equal(doc_comp_opt(c, "block", NULL, "--json", NULL), 0);
    assert_int_equal(doc_comp_opt(c, "block", NULL, "--json", NULL), 0);
    assert_int_equal(doc_comp_pos(c, "batch", NULL, "@file"), 0);
    assert_true(doc_comp_has(c, "block", "alloc"));
    assert_false(doc_comp_has(c, "batch", NULL));
    mem_open(&m);
    assert_int_equal(doc_comp_write(c, m.fp, "t", "test"), 0);
    char *s = mem_close(&m);
    assert_non_null(strstr(s, "_t_commands='block batch'"));
    assert_non_null(strstr(s, "'block alloc') REPLY='--to=@ --json=-' ;;"));
    assert_non_null(strstr(s, "'batch '*) REPLY=@file ;;"));
    assert_non_null(strstr(s, "complete -F _t t\n"));
    free(s);
    /* a name the script would have to quote is refused */
    assert_int_equal(doc_comp_opt(c, "block", NULL, "--it's", NULL), 0);
    mem_open(&m);
    assert_int_equal(doc_comp_write(c, m.fp, "t", "test"), LANA_EPARSE);
    free(mem_close(&m));
    doc_comp_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roff_text),  cmocka_unit_test(test_roff_usage),
        cmocka_unit_test(test_usage_scan), cmocka_unit_test(test_value_kind),
        cmocka_unit_test(test_template),   cmocka_unit_test(test_comp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
