/* Unit tests of server/regcmd: registry requests in, JSON replies out, against a real
 * database; permission, usage and error codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/regproto.h"
#include "db/ipam.h"
#include "db/store.h"
#include "server/regcmd.h"
#include "tests/lib/testdb.h"

struct fix {
    struct testdb t;
    struct store *st;
    struct ipam *ip;
    struct names *nm;
    struct jsonw j;
    struct regcmd_ctx c;
};

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof *f);
    if (f == NULL || testdb_make(&f->t) != 0 || store_open(f->t.path, &f->st, NULL, NULL) != 0 ||
        ipam_open(f->st, &f->ip, NULL) != 0 || names_open(f->st, f->ip, &f->nm, NULL) != 0)
        return -1;
    jsonw_init(&f->j);
    f->c = (struct regcmd_ctx){f->st, f->ip, "test", true, f->nm};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    jsonw_free(&f->j);
    names_close(f->nm);
    ipam_close(f->ip);
    store_close(f->st);
    testdb_cleanup(&f->t);
    free(f);
    return 0;
}

/* runs a request line, returns the code; the reply is in f->j.s */
static enum regproto_code run(struct fix *f, const char *line)
{
    char buf[REGPROTO_LINE_MAX];
    char *argv[REGPROTO_ARGS_MAX];
    snprintf(buf, sizeof buf, "%s", line);
    int n = regproto_split(buf, argv, REGPROTO_ARGS_MAX, NULL);
    assert_true(n >= 0);
    return regcmd_run(&f->c, n, argv, &f->j);
}

static void test_flow(void **state)
{
    struct fix *f = *state;
    assert_int_equal(run(f, "pool add 10.0.0.0/8 --desc \"lab space\""), RP_OK);
    assert_non_null(strstr(f->j.s, "\"description\":\"lab space\""));
    assert_int_equal(run(f, "block alloc 10.0.0.0/8 /11 --holder RIR-A"), RP_OK);
    assert_ptr_equal(strstr(f->j.s, "{\"ok\":true,\"block\":{\"prefix\":\"10.0.0.0/11\""), f->j.s);
    assert_int_equal(run(f, "block alloc 10.0.0.0/11 16 --assign"), RP_OK);
    assert_non_null(strstr(f->j.s, "\"status\":\"assigned\""));
    assert_int_equal(run(f, "block show 10.0.0.0/11"), RP_OK);
    assert_non_null(strstr(f->j.s, "\"used\":\"65536\""));
    assert_non_null(strstr(f->j.s, "\"percent\":3.125000"));
    assert_non_null(strstr(f->j.s, "\"free\":[\"10.1.0.0/16\",\"10.2.0.0/15\""));
    assert_int_equal(run(f, "whois 10.0.0.1"), RP_OK);
    assert_non_null(strstr(f->j.s, "\"query\":\"10.0.0.1/32\""));
    assert_int_equal(run(f, "block tree --depth 1"), RP_OK);
    assert_non_null(strstr(f->j.s, "\"depth\":1"));
    assert_null(strstr(f->j.s, "\"depth\":2"));
    assert_int_equal(run(f, "block release 10.0.0.0/11"), RP_CONFLICT);
    assert_int_equal(run(f, "block release 10.0.0.0/11 --recursive"), RP_OK);
    assert_non_null(strstr(f->j.s, "\"blocks\":2"));
    assert_int_equal(run(f, "log --limit 2"), RP_OK);
    assert_non_null(strstr(f->j.s, "\"action\":\"pool.add\""));
}

static void test_errors(void **state)
{
    struct fix *f = *state;
    assert_int_equal(run(f, "pool add 10.0.0.0/8"), RP_OK);
    assert_int_equal(run(f, "frobnicate"), RP_USAGE);
    assert_string_equal(f->j.s, "{\"ok\":false,\"error\":{\"code\":\"usage\",\"message\":"
                                "\"frobnicate: unknown command (try help)\"}}");
    assert_int_equal(run(f, "block alloc"), RP_USAGE);
    assert_int_equal(run(f, "block alloc 10.0.0.0/8"), RP_CONFLICT); /* the pool itself */
    assert_int_equal(run(f, "block alloc 10.0.0.0/8 /16 --color red"), RP_USAGE);
    assert_int_equal(run(f, "block alloc 10.0.0.1/8 /16"), RP_INVALID);
    assert_int_equal(run(f, "block alloc 10.0.0.0/8 /99"), RP_INVALID);
    assert_int_equal(run(f, "block alloc 10.0.0.0/8 /8"), RP_INVALID);
    assert_int_equal(run(f, "block show 10.9.0.0/16"), RP_NOT_FOUND);
    assert_int_equal(run(f, "block assign 192.168.0.0/24"), RP_NOT_FOUND);
    assert_int_equal(run(f, "block alloc 10.0.0.0/8 /9"), RP_OK);
    assert_int_equal(run(f, "block alloc 10.0.0.0/8 /9"), RP_OK);
    assert_int_equal(run(f, "block alloc 10.0.0.0/8 /24"), RP_EXHAUSTED);
    assert_int_equal(run(f, "pool del 10.0.0.0/8"), RP_CONFLICT);
    /* reading needs no authentication, writing does */
    f->c.may_write = false;
    assert_int_equal(run(f, "block list 10.0.0.0/8"), RP_OK);
    assert_int_equal(run(f, "pool list"), RP_OK);
    assert_int_equal(run(f, "block release 10.0.0.0/9"), RP_PERMISSION);
    assert_int_equal(run(f, "pool add 172.16.0.0/12"), RP_PERMISSION);
    f->c.may_write = true;
    assert_int_equal(run(f, "block show 10.0.0.0/9"), RP_OK); /* the refused release did nothing */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
