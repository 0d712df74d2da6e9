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

#include <jansson.h>

#include "common/regproto.h"
#include "common/text.h"
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
    /* the size is written with its slash: 16 alone is a usage error, not a guess */
    assert_int_equal(run(f, "block alloc 10.0.0.0/11 16 --assign"), RP_USAGE);
    assert_non_null(strstr(f->j.s, "the size of the new block is written /16"));
    assert_int_equal(run(f, "block alloc 10.0.0.0/11 /16 --assign"), RP_OK);
    assert_non_null(strstr(f->j.s, "\"status\":\"assigned\""));
    assert_int_equal(run(f, "block show 10.0.0.0/11"), RP_OK);
    assert_non_null(strstr(f->j.s, "\"used\":\"65536\""));
    assert_non_null(strstr(f->j.s, "\"percent\":3.125}"));
    assert_non_null(strstr(f->j.s, "\"free\":[\"10.1.0.0/16\",\"10.2.0.0/15\""));
    assert_int_equal(run(f, "whois 10.0.0.1"), RP_OK);
    assert_non_null(strstr(f->j.s, "\"query\":\"10.0.0.1/32\""));
    assert_int_equal(run(f, "block tree --depth 1"), RP_OK);
    assert_non_null(strstr(f->j.s, "\"depth\":1,"));
    assert_null(strstr(f->j.s, "\"depth\":2,"));
    assert_int_equal(run(f, "block release 10.0.0.0/11"), RP_CONFLICT);
    assert_int_equal(run(f, "block release 10.0.0.0/11 --recursive"), RP_OK);
    assert_non_null(strstr(f->j.s, "\"blocks\":2,\"hosts\":0}"));
    assert_int_equal(run(f, "log --since 0 --limit 2"), RP_OK); /* the first two */
    assert_non_null(strstr(f->j.s, "\"action\":\"pool.add\""));
    assert_int_equal(run(f, "log --limit 1"), RP_OK); /* the newest */
    assert_non_null(strstr(f->j.s, "\"action\":\"block.release\""));
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
    /* a near miss gets "did you mean" */
    assert_int_equal(run(f, "blok list"), RP_USAGE);
    assert_non_null(strstr(f->j.s, "blok: unknown command (did you mean block?)"));
    assert_int_equal(run(f, "pool lst"), RP_USAGE);
    assert_non_null(strstr(f->j.s, "usage: pool add|del|list ... (did you mean pool list?)"));
    assert_int_equal(run(f, "block tree --dpth 1"), RP_USAGE);
    assert_non_null(strstr(f->j.s, "--dpth: unknown option here (did you mean --depth?)"));
    assert_int_equal(run(f, "pool frob"), RP_USAGE);
    assert_string_equal(f->j.s, "{\"ok\":false,\"error\":{\"code\":\"usage\",\"message\":"
                                "\"usage: pool add|del|list ...\"}}");
    assert_int_equal(run(f, "block alloc"), RP_USAGE);
    assert_non_null(strstr(f->j.s, "\"usage: block alloc PARENT /N|PREFIX [--to ACCOUNT] [--holder H]"));
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
                                   "export|notify|secondaries|import, host add|del|show|list|rename, record add|del, "
                                   "service add|del|list|bind|unbind, account add|list|show|disable|"
                                   "enable|token, class create|report|delete, key add|list|show|del, "
                                   "log, authority, batch, "
                                   "end, ping, help, "
                                   "quit, root add|del|hints\""));
    size_t rows = 0;
    for (const char *p = f->j.s; (p = strstr(p, "{\"verb\":")) != NULL; p++)
        rows++;
    assert_int_equal(rows, cmd_ntable);
    assert_non_null(strstr(f->j.s, "{\"verb\":\"pool\",\"sub\":\"add\",\"usage\":\"pool add PREFIX "
                                   "[--desc TEXT]\",\"write\":true,\"auth\":\"admin\",\"options\":[{\"name\":"
                                   "\"desc\",\"value\":true,\"max\":255}],\"min_pos\":1,"
                                   "\"max_pos\":1}"));
    assert_non_null(strstr(f->j.s, "{\"verb\":\"whois\",\"sub\":null,\"usage\":\"whois "
                                   "ADDRESS|PREFIX\",\"write\":false,\"auth\":\"public\",\"options\":[],"
                                   "\"min_pos\":1,\"max_pos\":1}"));
    assert_non_null(strstr(f->j.s, "\"options\":[{\"name\":\"to\",\"value\":true,\"max\":63},"
                                   "{\"name\":\"holder\",\"value\":true,\"max\":"
                                   "255},{\"name\":\"desc\",\"value\":true,\"max\":255},"
                                   "{\"name\":\"assign\",\"value\":false}]"));
}

/* ---- the table walk ----------------------------------------------------------------------- */

/* The state every example runs against (as an account that may write). Its hosts take
 * addresses from 198.18.0.0/15 and 2001:db8::/32 only (RFC 2544, RFC 3849). */
static const char *const base[] = {
    "pool add 198.18.0.0/16",
    "pool add 198.19.0.0/16",
    "block alloc 198.18.0.0/16 /20",
    "block alloc 198.18.144.0/20",
    "zone add lab.",
    "host add www.lab.",
    "record add lab. TXT base",
    "service add http tcp --port 80",
    "service add ftp tcp --port 21",
    "service bind www.lab. http",
    "account add r1 --role registrar",
    "account add s1 --role registrant --sponsor r1",
    "account add s3 --role registrant",
    "account disable s3",
    "pool add 2001:db8::/33",
    "class create c0 --students 2",
    "key add k0. --secret AAECAwQFBgcICQoLDA0ODw==",
    "zone add .",
    "root add a.root-servers.lab. 198.18.0.53",
    "root add b.root-servers.lab. 2001:db8::53",
};

/* One request per row that succeeds from the base state; a new row needs one here. */
static const struct example {
    const char *verb, *sub, *line;
} examples[] = {
    {"pool", "add", "pool add 2001:db8:8000::/33 --desc more"},
    {"pool", "del", "pool del 198.19.0.0/16"},
    {"pool", "list", "pool list"},
    {"block", "alloc", "block alloc 198.18.0.0/16 /24 --holder h --assign"},
    {"block", "assign", "block assign 198.18.48.0/20"},
    {"block", "reserve", "block reserve 198.18.64.0/20 --desc later"},
    {"block", "release", "block release 198.18.144.0/20 --recursive"},
    {"block", "update", "block update 198.18.0.0/20 --holder other"},
    {"block", "show", "block show 198.18.0.0/20"},
    {"block", "list", "block list 198.18.0.0/16"},
    {"block", "tree", "block tree --depth 2"},
    {"whois", NULL, "whois 198.18.0.1"},
    {"zone", "add", "zone add example. --block 198.18.144.0/20"},
    {"zone", "del", "zone del lab. --recursive"},
    {"zone", "list", "zone list"},
    {"zone", "show", "zone show lab."},
    {"zone", "export", "zone export lab."},
    {"zone", "import", "zone import --origin lab."},
    {"zone", "notify", "zone notify add lab. 192.0.2.53"},
    {"zone", "secondaries", "zone secondaries lab."},
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
    {"account", "add", "account add s2 --role registrant --sponsor r1"},
    {"account", "list", "account list --sponsor r1"},
    {"account", "show", "account show s1"},
    {"account", "disable", "account disable s1"},
    {"account", "enable", "account enable s3"},
    {"account", "token", "account token s1"},
    {"class", "create", "class create c1 --students 3 --v4 /26 --v6 /64 --suffix lab."},
    {"class", "report", "class report c0"},
    {"class", "delete", "class delete c0"},
    {"key", "add", "key add k1 --algorithm hmac-sha512 --zone lab."},
    {"key", "list", "key list --secrets"},
    {"key", "show", "key show k0."},
    {"key", "del", "key del k0"},
    {"log", NULL, "log --limit 5"},
    {"authority", NULL, "authority admin"},
    {"batch", NULL, "batch --keep-going"},
    {"end", NULL, "end"},
    {"ping", NULL, "ping"},
    {"help", NULL, "help"},
    {"quit", NULL, "quit"},
    {"root", "add", "root add c.root-servers.lab. 198.18.0.55 2001:db8::55"},
    {"root", "del", "root del b.root-servers.lab."},
    {"root", "hints", "root hints"},
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
    struct lana_diag d;
    struct account admin = {.name = "admin", .role = "admin"}; /* for the authority row */
    if (account_add(f->db->st, &admin, "test", &d) != 0)
        fail_msg("account add admin: %s", d.msg);
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
        if (cmd_is_write(row) || (row->flags & (CMD_ACCOUNT | CMD_ADMIN))) {
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
        "pool frob 198.18.0.0/16",
        "pool ADD 172.16.0.0/12",
        "POOL add 172.16.0.0/12",
        "block allocate 198.18.0.0/16 /24",
        "block --holder x alloc 198.18.0.0/16 /24",
        "block 198.18.0.0/16 alloc /24",
        "host --v4 auto add new.lab.",
        "zone import-ish lab.",
        "record set lab. TXT x",
        "service rebind www.lab. http",
        "whois",
        "whois 198.18.0.1 198.18.0.2",
        "ping now",
        "help me",
        "quit now",
        "end of it",
        "log extra",
        "pool list --all",
        "block alloc 198.18.0.0/16 /24 \"--holder x\" y",
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

/* ---- the text door -------------------------------------------------------------------------- */

/* What every field is tried with, and what the door must say of it. */
static const struct bad {
    const char *s, *says;
} bads[] = {
    {"\xc3\x28", "invalid UTF-8 at byte 1 (0xc3: a sequence cut short)"},
    {"ok\xed\xa0\x80", "invalid UTF-8 at byte 3 (0xed: a UTF-16 surrogate)"},
    {"\xc0\xaf", "invalid UTF-8 at byte 1 (0xc0: an overlong form)"},
    {"\xf4\x90\x80\x80", "invalid UTF-8 at byte 1 (0xf4: above U+10FFFF)"},
    {"x\xff", "invalid UTF-8 at byte 2 (0xff: a byte UTF-8 never uses)"},
    {"a\x01", "control character U+0001 at byte 2"},
    {"tab\there", "control character U+0009 at byte 4"},
    {"\x1b[2J", "control character U+001B at byte 1"},
    {"del\x7f", "control character U+007F at byte 4"},
    {"\xc2\x9b[31m", "control character U+009B at byte 1"},
};

/* The option of row r named by the word "--name", or NULL. */
static const struct cmd_opt *opt_of(const struct cmd *r, const char *word)
{
    for (const struct cmd_opt *o = r->opts; o != NULL && o->name != NULL; o++)
        if (strncmp(word, "--", 2) == 0 && strcmp(word + 2, o->name) == 0)
            return o;
    return NULL;
}

/* Runs argv as an admin; the reply must be the door's refusal of field with says in it. */
static void refused(struct fix *f, int argc, char **argv, const char *field, const char *says)
{
    enum regproto_code code = cmd_run(&f->c, argc, argv, &f->j);
    char want[160];
    snprintf(want, sizeof want, "\"message\":\"%s: ", field);
    if (code != RP_INVALID || strstr(f->j.s, want) == NULL || strstr(f->j.s, says) == NULL)
        fail_msg("%s %s, %s: want %s...%s, got %s", argv[0], argc > 1 ? argv[1] : "", field, want,
                 says, f->j.s);
}

/*
 * Walks the table: every field of every row (each positional word of its example, each
 * option value, and every value option the example leaves out, appended) gets each bad text
 * and a word one byte over its limit. Each is refused as invalid, naming the field, and the
 * database is the same after all of them; a word exactly at its limit passes the door.
 */
static void test_every_text_field_is_checked_at_the_door(void **state)
{
    (void)state;
    struct fix *f = based();
    static char big[CMDARGS_TEXT_MAX + 2];
    unsigned fields = 0;
    for (size_t i = 0; i < cmd_ntable; i++) {
        const struct cmd *row = &cmd_table[i];
        char line[512], *w[REGPROTO_ARGS_MAX + 2];
        snprintf(line, sizeof line, "%s", example_of(row));
        int n = regproto_split(line, w, REGPROTO_ARGS_MAX, NULL), first = row->sub ? 2 : 1;
        assert_true(n >= first);
        /* the value options the example leaves out, appended with a placeholder */
        for (const struct cmd_opt *o = row->opts; o != NULL && o->name != NULL; o++) {
            bool there = false;
            for (int k = first; k < n; k++)
                there |= opt_of(row, w[k]) == o;
            if (!there && o->kind != CMDARGS_FLAG) {
                static char names[16][32];
                snprintf(names[n % 16], sizeof names[0], "--%s", o->name);
                w[n] = names[n % 16];
                w[n + 1] = "placeholder";
                n += 2;
            }
        }
        for (int k = first; k < n; k++) {
            if (strncmp(w[k], "--", 2) == 0)
                continue; /* an option's own word: matched against the table */
            const struct cmd_opt *o = opt_of(row, w[k - 1]);
            char field[40];
            size_t max = o && o->max ? o->max : CMDARGS_TEXT_MAX;
            if (o != NULL)
                snprintf(field, sizeof field, "%s", w[k - 1]);
            char *keep = w[k], *before = dump(f);
            for (size_t b = 0; b < sizeof bads / sizeof bads[0]; b++) {
                w[k] = (char *)bads[b].s;
                if (o == NULL) { /* a positional word: named by the row's usage, not "word N" */
                    assert_int_equal(cmd_run(&f->c, n, w, &f->j), RP_INVALID);
                    const char *m = strstr(f->j.s, "\"message\":\"");
                    assert_non_null(m);
                    if (strncmp(m + 11, "word ", 5) == 0 || strstr(m, bads[b].says) == NULL)
                        fail_msg("%s: %s", example_of(row), f->j.s);
                    continue;
                }
                refused(f, n, w, field, bads[b].says);
            }
            memset(big, 'x', max + 1);
            big[max + 1] = '\0';
            w[k] = big;
            char says[48];
            snprintf(says, sizeof says, ": %zu bytes, at most %zu", max + 1, max);
            assert_int_equal(cmd_run(&f->c, n, w, &f->j), RP_INVALID);
            if (strstr(f->j.s, says) == NULL)
                fail_msg("%s, word %d of %zu bytes: %s", example_of(row), k, max + 1, f->j.s);
            char *after = dump(f);
            if (strcmp(before, after) != 0)
                fail_msg("%s, word %d: a refused request changed the database", example_of(row), k);
            free(before);
            free(after);
            big[max] = '\0'; /* at the limit: whatever the reply (it may run), not the door's */
            cmd_run(&f->c, n, w, &f->j);
            if (strstr(f->j.s, "bytes, at most") != NULL)
                fail_msg("%s, word %d of %zu bytes: %s", example_of(row), k, max, f->j.s);
            w[k] = keep;
            fields++;
        }
    }
    print_message("%u fields, each refused %zu ways; nothing changed\n", fields,
                  sizeof bads / sizeof bads[0] + 1);
    assert_true(fields >= 45);
    fix_free(f);
}

/* Positional words are named as the row's usage names them. */
static void test_the_door_names_the_field(void **state)
{
    struct fix *f = *state;
    static const struct {
        const char *line, *field;
    } cases[] = {
        {"host rename www.lab. \xff", "NEW"},
        {"host rename \xff x", "OLD"},
        {"record add lab. TXT a b \xff", "DATA"},
        {"block alloc 10.0.0.0/8 \xff", "/N|PREFIX"},
        {"block list \xff", "PREFIX"},
        {"service add ssh \x01", "tcp|udp"},
        {"zone add lab. --block \xff", "--block"},
        {"block alloc 10.0.0.0/8 /24 --holder \xff --holder ok", "--holder"},
        {"block alloc 10.0.0.0/8 /24 --holder ok --holder \xff", "--holder"},
        {"frob\xff", "command"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char want[64];
        snprintf(want, sizeof want, "\"code\":\"invalid\",\"message\":\"%s: ", cases[i].field);
        enum regproto_code code = run(f, cases[i].line);
        if (code != RP_INVALID || strstr(f->j.s, want) == NULL)
            fail_msg("%s: %s", cases[i].line, f->j.s);
    }
    /* a write is still refused for its permission before its words are looked at */
    f->c.may_write = false;
    assert_int_equal(run(f, "block alloc 10.0.0.0/8 /24 --holder \xff"), RP_PERMISSION);
    f->c.may_write = true;
    /* an unknown option is a usage error; its word is quoted without cutting a character */
    assert_int_equal(run(f, "block list --\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                            "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                            "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                            "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9x"),
                     RP_USAGE);
    assert_true(text_is_utf8(f->j.s, f->j.len));
    assert_null(strstr(f->j.s, "\xef\xbf\xbd"));
}

/* Text that is valid is kept exactly: any script, emoji, quotes, up to the field's limit. */
static void test_valid_text_is_kept_as_sent(void **state)
{
    struct fix *f = *state;
    assert_int_equal(run(f, "pool add 10.0.0.0/8"), RP_OK);
    assert_int_equal(
        run(f, "block alloc 10.0.0.0/8 /24 --holder \"Zo\xc3\xab \\\"Z\\\" \xf0\x9f\x8c\x8d\" "
               "--desc \"\xd0\xbb\xd0\xb0\xd0\xb1 \xe5\xae\x9f\xe9\xa8\x93\xe5\xae\xa4\""),
        RP_OK);
    assert_int_equal(run(f, "block show 10.0.0.0/24"), RP_OK);
    json_t *o = json_loads(f->j.s, 0, NULL), *b = json_object_get(o, "block");
    assert_string_equal(json_string_value(json_object_get(b, "holder")),
                        "Zo\xc3\xab \"Z\" \xf0\x9f\x8c\x8d");
    assert_string_equal(json_string_value(json_object_get(b, "description")),
                        "\xd0\xbb\xd0\xb0\xd0\xb1 \xe5\xae\x9f\xe9\xa8\x93\xe5\xae\xa4");
    json_decref(o);
    /* on the wire as \u escapes: the line is ASCII, whatever the text */
    assert_non_null(strstr(f->j.s, "\"holder\":\"Zo\\u00EB \\\"Z\\\" \\uD83C\\uDF0D\","));
    char line[600];
    snprintf(line, sizeof line, "block update 10.0.0.0/24 --holder %0255d", 7);
    assert_int_equal(run(f, line), RP_OK);
}

/* A raw line: a NUL is never silently cut; a zone file's line must be text. */
static void test_a_line_with_a_nul_is_refused_whole(void **state)
{
    (void)state;
    struct lana_diag d;
    assert_int_equal(cmd_check_line("ping", 4, CMD_LINE_REQUEST, 1, &d), 0);
    assert_int_equal(cmd_check_line("pi\0ng", 5, CMD_LINE_REQUEST, 1, &d), LANA_EPARSE);
    assert_string_equal(d.msg, "the line holds a NUL byte at byte 3: it was not run");
    assert_int_equal(cmd_check_line("\xff\x01", 2, CMD_LINE_BATCH, 7, &d), 0); /* words later */
    assert_int_equal(cmd_check_line("ping\0", 5, CMD_LINE_BATCH, 7, &d), LANA_EPARSE);
    assert_string_equal(d.msg, "line 7 of the batch holds a NUL byte at byte 5: the batch is "
                               "dropped, nothing of it ran");
    const char *tab_cr = "@\tIN TXT \"caf\\195\\169\"\r";
    assert_int_equal(cmd_check_line(tab_cr, strlen(tab_cr), CMD_LINE_ZONE, 3, &d), 0);
    assert_int_equal(cmd_check_line("@ TXT \"caf\xc3\xa9\"", 13, CMD_LINE_ZONE, 3, &d), 0);
    assert_int_equal(cmd_check_line("@ TXT \"\xc3\x28\"", 10, CMD_LINE_ZONE, 4, &d), LANA_EPARSE);
    assert_string_equal(d.msg, "zone file line 4: invalid UTF-8 at byte 8 (0xc3: a sequence cut "
                               "short): nothing is imported");
    assert_int_equal(cmd_check_line("@ TXT a\0b", 9, CMD_LINE_ZONE, 5, &d), LANA_EPARSE);
    assert_string_equal(d.msg, "zone file line 5: a NUL byte at byte 8: nothing is imported");
    assert_int_equal(cmd_check_line("@ TXT \x1b", 7, CMD_LINE_ZONE, 6, &d), LANA_EPARSE);
}

/*
 * A database written by a registry that did not check its text (here: sqlite3 directly) holds
 * invalid UTF-8 and control bytes in holders, descriptions, names and the audit log. Every
 * read still answers one line of JSON that jansson parses.
 */
static void test_a_poisoned_database_still_gives_json(void **state)
{
    (void)state;
    struct fix *f = based();
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->db->t.path, &db), SQLITE_OK);
    static const char poison[] =
        "UPDATE block SET holder = x'c328' || char(27) || '[2J', descr = x'ff0a' || char(1, 127)"
        " || x'c285eda080'; "
        "UPDATE zone SET name = 'l' || x'80' || char(10) || 'ab.' WHERE name = 'lab.'; "
        "UPDATE host SET name = 'w' || x'c0af' || char(9) || 'w.lab.'; "
        "UPDATE service SET descr = x'e282' || char(13) || '\"'; "
        "INSERT INTO audit (ts, actor, action, object, before, after) VALUES (1, x'f4908080',"
        " 'block.update', x'ff' || char(10), '{\"holder\":\"' || x'c328' || '\"}',"
        " '{\"holder\":' || char(10) || '\"' || x'1b' || '\"}');";
    char *err = NULL;
    if (sqlite3_exec(db, poison, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s", err);
    sqlite3_close(db);
    static const char *const reads[] = {
        "block list",
        "block list 198.18.0.0/16",
        "block show 198.18.0.0/20",
        "block tree",
        "whois 198.18.0.1",
        "pool list",
        "zone list",
        "host list",
        "service list",
        "log",
        "log --limit 1",
    };
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        assert_int_equal(run(f, reads[i]), RP_OK);
        json_error_t e;
        json_t *o = json_loads(f->j.s, 0, &e);
        if (o == NULL || !text_is_utf8(f->j.s, f->j.len) || strchr(f->j.s, '\n') != NULL)
            fail_msg("%s: %s: %s", reads[i], e.text, f->j.s);
        json_decref(o);
    }
    /* the replacement shows where bytes were lost; what was text stays */
    assert_int_equal(run(f, "block show 198.18.0.0/20"), RP_OK);
    assert_non_null(strstr(f->j.s, "\"holder\":\"\\uFFFD(\\u001B[2J\""));
    fix_free(f);
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

/* A capped reply (jsonw_set_limit: how the registry limits a reply to a client without a
 * token) stops the listing at the cap: the table is not read to its end and the reply is
 * not built in full only to be thrown away. Counted in SQLite steps. */
static void test_a_capped_listing_stops_reading_at_the_cap(void **state)
{
    struct fix *f = *state;
    assert_int_equal(run(f, "pool add 10.0.0.0/8"), RP_OK);
    for (int i = 0; i < 2000; i++)
        assert_int_equal(run(f, "block alloc 10.0.0.0/8 /24"), RP_OK);
    sqlfault_reset();
    assert_int_equal(run(f, "block list 10.0.0.0/8"), RP_OK);
    unsigned long full = sqlfault_steps();
    assert_false(jsonw_over(&f->j));
    assert_true(full >= 2000);
    jsonw_set_limit(&f->j, 4096);
    sqlfault_reset();
    run(f, "block list 10.0.0.0/8");
    unsigned long capped = sqlfault_steps();
    assert_true(jsonw_over(&f->j));
    assert_true(f->j.len <= 4096);
    jsonw_set_limit(&f->j, 0);
    assert_true(capped < full / 10);
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
        cmocka_unit_test(test_every_text_field_is_checked_at_the_door),
        cmocka_unit_test_setup_teardown(test_the_door_names_the_field, setup, teardown),
        cmocka_unit_test_setup_teardown(test_valid_text_is_kept_as_sent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_capped_listing_stops_reading_at_the_cap, setup,
                                        teardown),
        cmocka_unit_test(test_a_line_with_a_nul_is_refused_whole),
        cmocka_unit_test(test_a_poisoned_database_still_gives_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
