/* Unit tests of common/conf: table-driven key = value files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/conf.h"

struct cfg {
    char *name;
    uint64_t count;
    struct conf_list items;
};

static int no_spaces(const char *v, struct lana_diag *d)
{
    return strchr(v, ' ') ? diag_set(d, LANA_EPARSE, "no spaces please") : 0;
}

static const struct conf_key keys[] = {
    {"name", CONF_STR, 0, 0, offsetof(struct cfg, name), "default", NULL, "a name"},
    {"count", CONF_UINT, 1, 10, offsetof(struct cfg, count), "5", NULL, "a count"},
    {"item", CONF_LIST, 0, 0, offsetof(struct cfg, items), "x y", no_spaces, "items"},
};

struct errs {
    int n;
    char msgs[8][300];
};

static void on_err(const char *msg, void *arg)
{
    struct errs *e = arg;
    if (e->n < 8)
        snprintf(e->msgs[e->n], sizeof e->msgs[0], "%s", msg);
    e->n++;
}

static const char *write_file(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/lana-conf-test.XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_conf_defaults_then_file_values(void **state)
{
    (void)state;
    struct cfg c = {0};
    struct errs e = {0};
    assert_int_equal(conf_defaults(keys, 3, &c), 0);
    assert_string_equal(c.name, "default");
    assert_int_equal(c.count, 5);
    assert_int_equal(c.items.n, 2);
    const char *p = write_file("# comment\nname = lab  # trailing\n\ncount=7\nitem = a\nitem = b\n"
                               "item = c\n");
    assert_int_equal(conf_load(keys, 3, &c, p, on_err, &e), 0);
    unlink(p);
    assert_string_equal(c.name, "lab");
    assert_int_equal(c.count, 7);
    assert_int_equal(c.items.n, 3); /* the file's list replaced the default */
    assert_string_equal(c.items.v[2], "c");
    conf_fini(keys, 3, &c);
}

static void test_conf_counts_every_error_with_file_and_line(void **state)
{
    (void)state;
    struct cfg c = {0};
    struct errs e = {0};
    conf_defaults(keys, 3, &c);
    const char *p = write_file("count = 11\nbogus = 1\nno equals sign\nitem = a b\nname = ok\n");
    assert_int_equal(conf_load(keys, 3, &c, p, on_err, &e), 4);
    char want[128];
    snprintf(want, sizeof want, "%s:1: count: 11: must be 1-10", p);
    assert_string_equal(e.msgs[0], want);
    snprintf(want, sizeof want, "%s:2: unknown key 'bogus'", p);
    assert_string_equal(e.msgs[1], want);
    snprintf(want, sizeof want, "%s:3: expected 'key = value'", p);
    assert_string_equal(e.msgs[2], want);
    snprintf(want, sizeof want, "%s:4: no spaces please", p);
    assert_string_equal(e.msgs[3], want);
    assert_string_equal(c.name, "ok");
    unlink(p);
    conf_fini(keys, 3, &c);
    assert_true(conf_load(keys, 3, &c, "/nonexistent/lana.conf", on_err, &e) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conf_defaults_then_file_values),
        cmocka_unit_test(test_conf_counts_every_error_with_file_and_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
