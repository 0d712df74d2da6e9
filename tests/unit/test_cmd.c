/* Unit tests of server/cmd, the registry's command table: requests in, JSON replies out,
 * against a real database. The table walk checks for every row that its write flag tells the
 * truth (a read changes nothing, a write is refused without authority and changes nothing
 * then), and that what is not in the table is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/regproto.h"
#include "db/ipam.h"
#include "db/store.h"
#include "server/cmd.h"
#include "tests/lib/sqlfault.h"
#include "tests/lib/testdb.h"

struct fix {
    struct testdb_names *db;
    struct jsonw j;
    struct cmd_ctx c;
};

/* runs a request line, returns the code; the reply is in f->j.s */
static enum regproto_code run(struct fix *f, const char *line)
{
    char buf[REGPROTO_LINE_MAX];
    char *argv[REGPROTO_ARGS_MAX];
    snprintf(buf, sizeof buf, "%s", line);
    int n = regproto_split(buf, argv, REGPROTO_ARGS_MAX, NULL);
    assert_true(n >= 0);
    return cmd_run(&f->c, n, argv, &f->j);
}

static struct fix *fix_new(void)
{
    struct fix *f = calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    if (testdb_names_open_empty(&f->db) != 0) {
        free(f);
        return NULL;
    }
    jsonw_init(&f->j);
    f->c = (struct cmd_ctx){
        .st = f->db->st, .ip = f->db->ip, .actor = "test", .may_write = true, .nm = f->db->nm};
    return f;
}

static void fix_free(struct fix *f)
{
    jsonw_free(&f->j);
    testdb_names_close(f->db);
    free(f);
}

static int setup(void **state)
{
    *state = fix_new();
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    fix_free(*state);
    return 0;
}

/* The whole database as text (tests/lib/testdb), through the store's own connection so that
 * an open transaction's changes show. */
static char *dump(const struct fix *f)
{
    char *text = testdb_dump(f->db->st);
    assert_non_null(text);
    return text;
}

/* ---- requests and replies ----------------------------------------------------------------- */

static void test_blocks_flow(void **state)
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
    assert_non_null(strstr(f->j.s, "\"percent\":3.125000}"));
    assert_non_null(strstr(f->j.s, "\"free\":[\"10.1.0.0/16\",\"10.2.0.0/15\""));
    assert_int_equal(run(f, "whois 10.0.0.1"), RP_OK);
    assert_non_null(strstr(f->j.s, "\"query\":\"10.0.0.1/32\""));
    assert_int_equal(run(f, "block tree --depth 1"), RP_OK);
    assert_non_null(strstr(f->j.s, "\"depth\":1,"));
    assert_null(strstr(f->j.s, "\"depth\":2,"));
    assert_int_equal(run(f, "block release 10.0.0.0/11"), RP_CONFLICT);
    assert_int_equal(run(f, "block release 10.0.0.0/11 --recursive"), RP_OK);
    assert_non_null(strstr(f->j.s, "\"blocks\":2,\"hosts\":0}"));
    assert_int_equal(run(f, "log --limit 2"), RP_OK);
    assert_non_null(strstr(f->j.s, "\"action\":\"pool.add\""));
    assert_int_equal(run(f, "ping"), RP_OK);
    assert_string_equal(f->j.s, "{\"ok\":true,\"pong\":true}");
}

static void test_usage_errors(void **state)
{
    struct fix *f = *state;
    assert_int_equal(run(f, "pool add 10.0.0.0/8"), RP_OK);
    assert_int_equal(run(f, "frobnicate"), RP_USAGE);
    assert_string_equal(f->j.s, "{\"ok\":false,\"error\":{\"code\":\"usage\",\"message\":"
                                "\"frobnicate: unknown command (try help)\"}}");
    assert_int_equal(run(f, "pool frob"), RP_USAGE);
    assert_string_equal(f->j.s, "{\"ok\":false,\"error\":{\"code\":\"usage\",\"message\":"
                                "\"usage: pool add|del|list ...\"}}");
    assert_int_equal(run(f, "block alloc"), RP_USAGE);
    assert_non_null(strstr(f->j.s, "\"usage: block alloc PARENT /N|PREFIX [--holder H]"));
    assert_int_equal(run(f, "block alloc 10.0.0.0/8"), RP_CONFLICT); /* the pool itself */
    assert_int_equal(run(f, "block alloc 10.0.0.0/8 /16 --color red"), RP_USAGE);
    assert_non_null(strstr(f->j.s, "--color: unknown option here"));
    assert_int_equal(run(f, "block alloc 10.0.0.0/8 /16 --holder"), RP_USAGE);
    /* an option is never taken for the value of the one before it */
    assert_int_equal(run(f, "block alloc 10.0.0.0/8 /16 --desc --assign"), RP_USAGE);
    assert_non_null(strstr(f->j.s, "--desc needs a value"));
    assert_int_equal(run(f, "block reserve 10.0.0.0/8 /16"), RP_USAGE);
    assert_int_equal(run(f, "block release 10.0.0.0/16 --assign"), RP_USAGE);
    assert_int_equal(run(f, "block alloc 10.0.0.1/8 /16"), RP_INVALID);
    assert_int_equal(run(f, "block alloc 10.0.0.0/8 /99"), RP_INVALID);
    assert_int_equal(run(f, "block alloc 10.0.0.0/8 /8"), RP_INVALID);
    assert_int_equal(run(f, "block show 10.9.0.0/16"), RP_NOT_FOUND);
    assert_int_equal(run(f, "block assign 192.168.0.0/24"), RP_NOT_FOUND);
    assert_int_equal(run(f, "block alloc 10.0.0.0/8 /9"), RP_OK);
    assert_int_equal(run(f, "block alloc 10.0.0.0/8 /9"), RP_OK);
    assert_int_equal(run(f, "block alloc 10.0.0.0/8 /24"), RP_EXHAUSTED);
    assert_int_equal(run(f, "pool del 10.0.0.0/8"), RP_CONFLICT);
    assert_int_equal(run(f, "zone add lab. --block 10.0.0.0/9 --block 10.128.0.0/9 --block "
                            "1.0.0.0/8 --block 2.0.0.0/8 --block 3.0.0.0/8 --block 4.0.0.0/8 "
                            "--block 5.0.0.0/8 --block 6.0.0.0/8 --block 7.0.0.0/8"),
                     RP_USAGE);
    assert_non_null(strstr(f->j.s, "at most 8 --block options"));
    assert_int_equal(run(f, "record add lab. TXT"), RP_USAGE);
    assert_int_equal(run(f, "batch"), RP_USAGE); /* framing: only a connection acts on it */
    assert_int_equal(run(f, ""), RP_USAGE);
}

static void test_help_is_the_table(void **state)
{
    struct fix *f = *state;
    assert_int_equal(run(f, "help"), RP_OK);
    assert_non_null(strstr(f->j.s, "\"commands\":\"pool add|del|list, block alloc|assign|reserve|"
                                   "release|update|show|list|tree, whois, zone add|del|list|show|"
                                   "export|import, host add|del|show|list|rename, record add|del, "
                                   "service add|del|list|bind|unbind, log, batch, end, ping, help, "
                                   "quit\""));
    size_t rows = 0;
    for (const char *p = f->j.s; (p = strstr(p, "{\"verb\":")) != NULL; p++)
        rows++;
    assert_int_equal(rows, cmd_ntable);
    assert_non_null(strstr(f->j.s, "{\"verb\":\"pool\",\"sub\":\"add\",\"usage\":\"pool add PREFIX "
                                   "[--desc TEXT]\",\"write\":true}"));
    assert_non_null(strstr(f->j.s, "{\"verb\":\"whois\",\"sub\":null,\"usage\":\"whois "
                                   "ADDRESS|PREFIX\",\"write\":false}"));
}

/* ---- the table walk ----------------------------------------------------------------------- */

/* The state every example runs against (as an account that may write). */
static const char *const base[] = {
    "pool add 10.0.0.0/8",
    "pool add 192.168.0.0/16",
    "block alloc 10.0.0.0/8 /16",
    "block alloc 10.9.0.0/16",
    "zone add lab.",
    "host add www.lab.",
    "record add lab. TXT base",
    "service add http tcp --port 80",
    "service add ftp tcp --port 21",
    "service bind www.lab. http",
};

/* One request per row that succeeds from the base state; a new row needs one here. */
static const struct example {
    const char *verb, *sub, *line;
} examples[] = {
    {"pool", "add", "pool add 172.16.0.0/12 --desc more"},
    {"pool", "del", "pool del 192.168.0.0/16"},
    {"pool", "list", "pool list"},
    {"block", "alloc", "block alloc 10.0.0.0/8 /24 --holder h --assign"},
    {"block", "assign", "block assign 10.3.0.0/16"},
    {"block", "reserve", "block reserve 10.4.0.0/16 --desc later"},
    {"block", "release", "block release 10.9.0.0/16 --recursive"},
    {"block", "update", "block update 10.0.0.0/16 --holder other"},
    {"block", "show", "block show 10.0.0.0/16"},
    {"block", "list", "block list 10.0.0.0/8"},
    {"block", "tree", "block tree --depth 2"},
    {"whois", NULL, "whois 10.0.0.1"},
    {"zone", "add", "zone add example. --block 10.9.0.0/16"},
    {"zone", "del", "zone del lab. --recursive"},
    {"zone", "list", "zone list"},
    {"zone", "show", "zone show lab."},
    {"zone", "export", "zone export lab."},
    {"zone", "import", "zone import --origin lab."},
    {"host", "add", "host add mail.lab. --v6 none"},
    {"host", "del", "host del www.lab."},
    {"host", "show", "host show www.lab."},
    {"host", "list", "host list lab."},
    {"host", "rename", "host rename www.lab. web.lab."},
    {"record", "add", "record add lab. TXT \"hello world\""},
    {"record", "del", "record del lab. TXT base"},
    {"service", "add", "service add ssh tcp --port 22 --desc shell"},
    {"service", "del", "service del ftp tcp"},
    {"service", "list", "service list"},
    {"service", "bind", "service bind www.lab. ftp --proto tcp"},
    {"service", "unbind", "service unbind www.lab. http"},
    {"log", NULL, "log --limit 5"},
    {"batch", NULL, "batch --keep-going"},
    {"end", NULL, "end"},
    {"ping", NULL, "ping"},
    {"help", NULL, "help"},
    {"quit", NULL, "quit"},
};

static const char *example_of(const struct cmd *row)
{
    for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++)
        if (strcmp(examples[i].verb, row->verb) == 0 &&
            (row->sub == NULL ? examples[i].sub == NULL
                              : examples[i].sub != NULL && strcmp(examples[i].sub, row->sub) == 0))
            return examples[i].line;
    return NULL;
}

static struct fix *based(void)
{
    struct fix *f = fix_new();
    assert_non_null(f);
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++)
        if (run(f, base[i]) != RP_OK)
            fail_msg("base: %s: %s", base[i], f->j.s);
    return f;
}

/* Runs line as the asker (may_write) and says whether the database changed. */
static bool changes(struct fix *f, bool may_write, const char *line, enum regproto_code *code)
{
    char *before = dump(f);
    f->c.may_write = may_write;
    f->c.actor = may_write ? "admin@test" : "anonymous@test";
    *code = run(f, line);
    f->c.may_write = true;
    char *after = dump(f);
    bool changed = strcmp(before, after) != 0;
    free(before);
    free(after);
    return changed;
}

static void test_every_row_tells_the_truth(void **state)
{
    (void)state;
    enum regproto_code code;
    for (size_t i = 0; i < cmd_ntable; i++) {
        const struct cmd *row = &cmd_table[i];
        const char *line = example_of(row);
        if (line == NULL)
            fail_msg("row %s %s has no example in this test", row->verb, row->sub ? row->sub : "");
        print_message("%-8s %-7s %s\n", row->verb, row->sub ? row->sub : "",
                      cmd_is_write(row) ? "write" : "read");
        assert_true((row->run == NULL) == cmd_is_frame(row)); /* a handler, or framing */
        assert_true(row->min_pos >= 0 && (row->max_pos < 0 || row->max_pos >= row->min_pos));
        struct fix *f = based();
        char bogus[300];
        snprintf(bogus, sizeof bogus, "%s --no-such-option", line);
        if (cmd_is_write(row)) {
            /* without authority: refused before anything else, database untouched */
            if (changes(f, false, line, &code) || code != RP_PERMISSION)
                fail_msg("anonymous %s: %s", line, f->j.s);
            if (changes(f, false, bogus, &code) || code != RP_PERMISSION)
                fail_msg("anonymous %s: %s", bogus, f->j.s);
        } else {
            /* a read runs for anyone and never changes anything, even for an admin */
            bool changed = changes(f, false, line, &code);
            if (changed || (code != RP_OK && !cmd_is_frame(row)))
                fail_msg("anonymous %s: changed=%d %s", line, changed, f->j.s);
            if (changes(f, true, line, &code))
                fail_msg("%s is a read row but changed the database: %s", line, f->j.s);
        }
        if (cmd_is_frame(row)) {
            /* framing is a connection's business: as a request it does nothing */
            if (changes(f, true, line, &code) || code != RP_USAGE)
                fail_msg("%s outside a connection: %s", line, f->j.s);
        } else if (cmd_is_write(row)) {
            /* and the example is real: with authority it does change the registry */
            if (!changes(f, true, line, &code) || code != RP_OK)
                fail_msg("%s with authority: %s", line, f->j.s);
        }
        fix_free(f);
    }
}

/* Requests that no row names: refused for anyone, and nothing changes. */
static void test_not_in_the_table_is_refused(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "frobnicate",
        "pool",
        "pool frob 10.0.0.0/8",
        "pool ADD 172.16.0.0/12",
        "POOL add 172.16.0.0/12",
        "block allocate 10.0.0.0/8 /24",
        "block --holder x alloc 10.0.0.0/8 /24",
        "block 10.0.0.0/8 alloc /24",
        "host --v4 auto add new.lab.",
        "zone import-ish lab.",
        "record set lab. TXT x",
        "service rebind www.lab. http",
        "whois",
        "whois 10.0.0.1 10.0.0.2",
        "ping now",
        "help me",
        "quit now",
        "end of it",
        "log extra",
        "pool list --all",
        "block alloc 10.0.0.0/8 /24 \"--holder x\" y",
    };
    enum regproto_code code;
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        struct fix *f = based();
        for (int w = 0; w <= 1; w++) {
            bool changed = changes(f, w == 1, lines[i], &code);
            if (changed || (code != RP_USAGE && code != RP_PERMISSION))
                fail_msg("%s (%s): changed=%d %s", lines[i], w ? "admin" : "anonymous", changed,
                         f->j.s);
        }
        fix_free(f);
    }
}

/* ---- failure injection over the table ---------------------------------------------------- */

/* Every write row's example, inside a turn's transaction as the registry runs it, with the
 * k-th SQLite step made to fail (an I/O error, then a full disk) for every k the command
 * makes: the reply is an error, and the database is exactly as before — inside the turn when
 * the command could undo itself, or after the commit when the undo failed and the turn was
 * aborted. Nothing is ever half-done, whatever step fails. */
static void test_every_write_row_is_whole_or_nothing_under_failed_steps(void **state)
{
    (void)state;
    static const int rcs[] = {SQLITE_IOERR, SQLITE_FULL};
    struct fix *f = based();
    struct lana_diag d;
    unsigned long total = 0;
    for (size_t i = 0; i < cmd_ntable; i++) {
        const struct cmd *row = &cmd_table[i];
        if (!cmd_is_write(row) || cmd_is_frame(row))
            continue;
        const char *line = example_of(row);
        assert_non_null(line);
        char *base_dump = dump(f);
        assert_int_equal(store_begin(f->db->st, &d), 0);
        sqlfault_reset();
        if (run(f, line) != RP_OK)
            fail_msg("%s: %s", line, f->j.s);
        unsigned long steps = sqlfault_steps();
        store_rollback(f->db->st);
        for (size_t r = 0; r < sizeof rcs / sizeof rcs[0]; r++) {
            for (unsigned long k = 1; k <= steps; k++) {
                assert_int_equal(store_begin(f->db->st, &d), 0);
                sqlfault_arm_rc(k, rcs[r], 1);
                enum regproto_code code = run(f, line);
                sqlfault_disarm();
                if (sqlfault_fired() != 1)
                    fail_msg("%s: step %lu of %lu never ran", line, k, steps);
                if (code == RP_OK)
                    fail_msg("%s: step %lu failed (rc %d) yet the reply is ok: %s", line, k, rcs[r],
                             f->j.s);
                if (store_turn_aborted(f->db->st)) {
                    if (store_commit(f->db->st, &d) == 0)
                        fail_msg("%s: step %lu: an aborted turn was committed", line, k);
                } else {
                    char *inside = dump(f);
                    if (strcmp(inside, base_dump) != 0)
                        fail_msg("%s: step %lu failed (rc %d) but the turn kept part of it", line,
                                 k, rcs[r]);
                    free(inside);
                    store_rollback(f->db->st);
                }
                char *after = dump(f);
                if (strcmp(after, base_dump) != 0)
                    fail_msg("%s: step %lu: the database changed", line, k);
                free(after);
                total++;
            }
        }
        free(base_dump);
    }
    print_message("%lu injected failures, none half-done\n", total);
    assert_true(total > 100);
    fix_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_blocks_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_help_is_the_table, setup, teardown),
        cmocka_unit_test(test_every_row_tells_the_truth),
        cmocka_unit_test(test_every_write_row_is_whole_or_nothing_under_failed_steps),
        cmocka_unit_test(test_not_in_the_table_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
