/*
 * cli_reg — lana's registry commands: pool, block, zone, host, record, service, whois, log and
 * batch. Each sends its words to lanad as one request line and prints the JSON reply through
 * client/out_reg (as text, or as it is with --json).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "client/cli.h"
#include "client/clienv.h"
#include "client/out_reg.h"
#include "common/regproto.h"
#include "common/text.h"

/* ---- help ------------------------------------------------------------------------------- */

static const char help_pool[] =
    "usage: lana pool add PREFIX [--desc TEXT]    add a root pool (admin)\n"
    "       lana pool del PREFIX                  remove a pool nothing is allocated from\n"
    "       lana pool list                        the pools with their utilization\n";
static const char help_block[] =
    "usage: lana block alloc PARENT /N [--to ACCOUNT] [--holder H] [--desc TEXT] [--assign]\n"
    "                                   the next free /N inside PARENT (best fit)\n"
    "       lana block alloc PREFIX [--to ACCOUNT] [--holder H] [--desc TEXT] [--assign]\n"
    "                                   this very prefix, if it is free\n"
    "       lana block assign PREFIX [--to ACCOUNT] [--holder H] [--desc TEXT]\n"
    "       lana block assign PARENT /N [--to ACCOUNT] [--holder H] [--desc TEXT]\n"
    "                                   a block for end use (status assigned: it holds\n"
    "                                   host addresses only)\n"
    "       lana block reserve PREFIX [--to ACCOUNT] [--holder H] [--desc TEXT]\n"
    "                                   hold a block back\n"
    "       lana block release PREFIX [--recursive]   give a block back\n"
    "       lana block update PREFIX [--holder H] [--desc TEXT]\n"
    "       lana block show PREFIX       the block, its maintainer, chain, use and free space\n"
    "       lana block list [PARENT]     the blocks inside PARENT (the pools without it)\n"
    "       lana block tree [PREFIX] [--depth N]   an indented tree with utilization\n"
    "Every block has a maintainer account: you may change what you maintain or what lies\n"
    "inside it, and create inside it. --to ACCOUNT delegates the new block (admin to a\n"
    "registrar: allocated; a registrar to its registrant: assigned); without it the block\n"
    "is yours. --holder is free text describing who uses it.\n";
static const char help_whois[] =
    "usage: lana whois ADDRESS|PREFIX\n"
    "The chain of blocks that contain it, from the root pool down, with their holders.\n";
static const char help_log[] =
    "usage: lana log [--since UNIX_MS|YYYY-MM-DD] [--limit N]\n"
    "The audit log: every change, who made it and when, oldest first: the newest N (1000\n"
    "by default), or with --since the first N from then on. Admin reads everything, a\n"
    "registrar its own and its customers' changes, a registrant its own.\n";
static const char help_batch[] =
    "usage: lana batch [FILE|-] [--keep-going]\n"
    "Runs registry commands, one per line ('#' starts a comment; a leading 'lana' is\n"
    "optional), in one transaction: all of them or, on the first error, none.\n"
    "--keep-going runs past errors and keeps what succeeded. One result line per command;\n"
    "on a terminal, a progress bar on stderr while it runs (or waits for another batch).\n";

static const char help_zone[] =
    "usage: lana zone add NAME [--for ACCOUNT] [--block PREFIX]...\n"
    "                     a zone, delegated from the zone above it (NS); its hosts take\n"
    "                     addresses from these blocks by default. A registrar registers\n"
    "                     NAME.lab. (one label below a zone admin holds) for itself or\n"
    "                     for a registrant of its own (--for); admin makes top-level zones\n"
    "       lana zone del NAME [--recursive]          refused while it holds names\n"
    "       lana zone list | lana zone show NAME\n"
    "       lana zone export NAME                     the zone as a master file\n"
    "       lana zone import FILE|- [--origin NAME]   a master file, all or nothing (a zone\n"
    "                                                 that exists is replaced)\n"
    "       lana zone notify add|del ZONE ADDR[:PORT] a secondary sent a NOTIFY when the zone\n"
    "                                                 changes (port 53 by default)\n"
    "       lana zone notify list ZONE                the zone's own NOTIFY targets\n"
    "       lana zone secondaries [ZONE]              each secondary: last NOTIFY sent and\n"
    "                                                 answered, SOA query, transfer, serial\n";
static const char help_host[] =
    "usage: lana host add NAME [--v4 auto|none|ADDR] [--v6 auto|none|ADDR] [--block PREFIX]\n"
    "                     [--force]\n"
    "           assigns addresses (the next free host address of --block, else of the zone's\n"
    "           default block, else of the first pool of the family: never a network,\n"
    "           broadcast or IPv6 Subnet-Router anycast address; or the one given, which may\n"
    "           be one of those only with --force) and publishes A/AAAA and PTR records\n"
    "       lana host del NAME            withdraws every record, releases the addresses\n"
    "       lana host show NAME | lana host list [ZONE] | lana host rename OLD NEW\n";
static const char help_record[] =
    "usage: lana record add NAME TYPE DATA...     TYPE: CNAME, MX, TXT, NS (delegation), SRV\n"
    "       lana record del NAME TYPE [DATA...]   all records of that type without DATA\n"
    "For TXT each DATA word is one string: lana record add t.lab TXT \"two words\" second\n";
static const char help_service[] =
    "usage: lana service add NAME tcp|udp [--port N|auto] [--desc TEXT]\n"
    "           a service name and port (auto: the lowest free port in 1024-49151)\n"
    "       lana service del NAME tcp|udp | lana service list\n"
    "       lana service bind HOST SERVICE [--proto tcp|udp] [--port N]\n"
    "           publishes _SERVICE._PROTO.HOST SRV 0 0 PORT HOST\n"
    "       lana service unbind HOST SERVICE [--proto tcp|udp]\n";

static bool wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    return false;
}

static int show_help(const char *text)
{
    fputs(text, stdout);
    fputs("\n", stdout);
    fputs(clienv_help, stdout);
    return LANA_EXIT_OK;
}

/* ---- one request ------------------------------------------------------------------------ */

#define CHECK_QUOTE_MAX 64 /* bytes of a word quoted in a message */

/*
 * The registry's text door, on our side (lanad's check is the guarantee; this one saves a
 * round trip and says precisely what is wrong): every word after the verb must be UTF-8
 * without control characters. A word after an option is named after it ("--holder"), other
 * words by the word before them ('the word after "add"'). where: "FILE:LINE: " or "".
 * Returns 0, or LANA_EXIT_INVALID (a bad word) or LANA_EXIT_USAGE (a word's name does not
 * fit its buffer: a bug), with the message printed.
 */
static int check_words(int argc, char **argv, const char *where)
{
    for (int i = 1; i < argc; i++) {
        /* the longer of the two names: the quote's bytes at most, in the words around it */
        char field[sizeof "the word after \"\"" + CHECK_QUOTE_MAX];
        struct lana_diag d;
        const char *prev = argv[i - 1]; /* checked already (the verb: one of our commands) */
        int cut = (int)text_cut(prev, strlen(prev), CHECK_QUOTE_MAX);
        int n = i > 1 && strncmp(prev, "--", 2) == 0 && strncmp(argv[i], "--", 2) != 0
                    ? snprintf(field, sizeof field, "%.*s", cut, prev)
                    : snprintf(field, sizeof field, "the word after \"%.*s\"", cut, prev);
        if (n < 0 || (size_t)n >= sizeof field) { /* cannot happen: field holds the longest */
            fprintf(stderr, "lana: %sword %d: its name does not fit (a bug); nothing was sent\n",
                    where, i);
            return LANA_EXIT_USAGE;
        }
        if (text_check(argv[i], strlen(argv[i]), REGPROTO_LINE_MAX, 0, field, &d) != 0) {
            fprintf(stderr, "lana: %s%s; nothing was sent\n", where, d.msg);
            return LANA_EXIT_INVALID;
        }
    }
    return 0;
}

static int build_line(int argc, char **argv, char *line, size_t size)
{
    size_t len = 0;
    line[0] = '\0';
    for (int i = 0; i < argc; i++) {
        int n = regproto_append_word(line, size, len, argv[i]);
        if (n < 0) {
            fprintf(stderr, "lana: the command is longer than %d bytes\n", REGPROTO_LINE_MAX - 1);
            return LANA_EXIT_USAGE;
        }
        len = (size_t)n;
    }
    return 0;
}

int cli_reg_ask(int argc, char **argv, struct regclient *c, char **reply)
{
    char line[REGPROTO_LINE_MAX];
    int rc = check_words(argc, argv, "");
    if (rc == 0)
        rc = build_line(argc, argv, line, sizeof line);
    if (rc != 0 || (rc = clienv_connect(c, false)) != 0)
        return rc;
    struct lana_diag d;
    int err;
    if ((err = regclient_send(c, line, &d)) == 0 && (err = regclient_recv(c, reply, &d)) == 0)
        return 0;
    fprintf(stderr, "lana: %s\n", d.msg);
    cli_reg_close(c);
    return out_exit_of(err);
}

void cli_reg_close(struct regclient *c)
{
    struct lana_diag d;
    regclient_send(c, "quit", &d);
    regclient_close(c);
}

static int request(int argc, char **argv)
{
    struct regclient c;
    char *reply;
    int rc = cli_reg_ask(argc, argv, &c, &reply);
    if (rc != 0)
        return rc;
    rc = out_reg_reply(reply, argc, argv, 0, clienv.json);
    cli_reg_close(&c);
    return rc;
}

int cli_reg_request(int argc, char **argv)
{
    return request(argc, argv);
}

int cli_pool(int argc, char **argv)
{
    if (wants_help(argc, argv) || argc < 2)
        return argc < 2 ? (fputs(help_pool, stderr), LANA_EXIT_USAGE) : show_help(help_pool);
    return request(argc, argv);
}

int cli_block(int argc, char **argv)
{
    if (wants_help(argc, argv) || argc < 2)
        return argc < 2 ? (fputs(help_block, stderr), LANA_EXIT_USAGE) : show_help(help_block);
    return request(argc, argv);
}

static int simple(int argc, char **argv, const char *help)
{
    if (wants_help(argc, argv) || argc < 2)
        return argc < 2 ? (fputs(help, stderr), LANA_EXIT_USAGE) : show_help(help);
    return request(argc, argv);
}

/* Sends the import's head line, the file's lines (a leading dot doubled, as in SMTP) and the
 * final dot. Returns 0 or an exit status (message printed). */
static int import_send(struct regclient *c, FILE *in, const char *path, const char *origin)
{
    struct lana_diag d;
    char line[REGPROTO_LINE_MAX];
    char *words[4] = {"zone", "import", "--origin", (char *)origin};
    int rc = build_line(origin ? 4 : 2, words, line, sizeof line);
    int err = rc == 0 ? regclient_send(c, line, &d) : 0;
    char *buf = NULL;
    size_t cap = 0;
    ssize_t got;
    long no = 0;
    while (rc == 0 && err == 0 && (got = getline(&buf, &cap, in)) >= 0) {
        no++;
        while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\r'))
            buf[--got] = '\0';
        /* what lanad accepts of a zone file's line (server/cmd.h, cmd_check_line): text, tabs
         * allowed; not sending "." then leaves nothing imported */
        char at[300];
        struct lana_diag td;
        snprintf(at, sizeof at, "%s:%ld", path, no); /* a long path is cut: only a message */
        if (text_check(buf, (size_t)got, REGPROTO_LINE_MAX, TEXT_TAB, at, &td) != 0) {
            fprintf(stderr, "lana: %s; nothing was imported\n", td.msg);
            rc = LANA_EXIT_INVALID;
            break;
        }
        int n = snprintf(line, sizeof line, "%s%s", buf[0] == '.' ? "." : "", buf);
        if ((size_t)got + 2 >= REGPROTO_LINE_MAX || n < 0 || (size_t)n >= sizeof line) {
            fprintf(stderr, "lana: %s:%ld: line longer than %d bytes\n", path, no,
                    REGPROTO_LINE_MAX - 2);
            rc = LANA_EXIT_INVALID;
            break;
        }
        err = regclient_send(c, line, &d);
    }
    free(buf);
    if (rc == 0 && err == 0)
        err = regclient_send(c, ".", &d);
    if (err != 0) {
        fprintf(stderr, "lana: %s\n", d.msg);
        rc = out_exit_of(err);
    }
    return rc;
}

/* lana zone import FILE|- [--origin NAME]: the file's lines go to the daemon, ended by a
 * line with a single dot. */
static int zone_import(int argc, char **argv)
{
    const char *path = NULL, *origin = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--origin") == 0 && i + 1 < argc)
            origin = argv[++i];
        else if (path == NULL)
            path = argv[i];
        else
            return fputs(help_zone, stderr), LANA_EXIT_USAGE;
    }
    if (path == NULL)
        return fputs(help_zone, stderr), LANA_EXIT_USAGE;
    struct lana_diag od;
    if (origin != NULL &&
        text_check(origin, strlen(origin), REGPROTO_LINE_MAX, 0, "--origin", &od) != 0) {
        fprintf(stderr, "lana: %s; nothing was sent\n", od.msg);
        return LANA_EXIT_INVALID;
    }
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (in == NULL) {
        fprintf(stderr, "lana: %s: %s\n", path, strerror(errno));
        return errno == ENOENT ? LANA_EXIT_NOT_FOUND : LANA_EXIT_USAGE;
    }
    struct regclient c;
    int rc = clienv_connect(&c, false);
    if (rc == 0) {
        struct lana_diag d;
        char *reply;
        if ((rc = import_send(&c, in, path, origin)) == 0) {
            int err = regclient_recv(&c, &reply, &d);
            char *args[2] = {"zone", "import"};
            if (err == 0)
                rc = out_reg_reply(reply, 2, args, 0, clienv.json);
            else
                rc = (fprintf(stderr, "lana: %s\n", d.msg), out_exit_of(err));
        }
        regclient_send(&c, "quit", &d);
        regclient_close(&c);
    }
    if (in != stdin)
        fclose(in);
    return rc;
}

int cli_zone(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "import") == 0 && !wants_help(argc, argv))
        return zone_import(argc, argv);
    return simple(argc, argv, help_zone);
}
int cli_host(int argc, char **argv) { return simple(argc, argv, help_host); }
int cli_record(int argc, char **argv) { return simple(argc, argv, help_record); }
int cli_service(int argc, char **argv) { return simple(argc, argv, help_service); }

int cli_whois(int argc, char **argv)
{
    if (wants_help(argc, argv))
        return show_help(help_whois);
    if (argc != 2) {
        fputs(help_whois, stderr);
        return LANA_EXIT_USAGE;
    }
    return request(argc, argv);
}

int cli_log(int argc, char **argv)
{
    if (wants_help(argc, argv))
        return show_help(help_log);
    /* --since also takes a date, turned into milliseconds here */
    char ms[32];
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--since") != 0 || strchr(argv[i + 1], '-') == NULL)
            continue;
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        const char *end = strptime(argv[i + 1], "%Y-%m-%d", &tm);
        if (end != NULL && *end == 'T')
            end = strptime(end + 1, "%H:%M:%S", &tm);
        if (end == NULL || (*end != '\0' && strcmp(end, "Z") != 0)) {
            fprintf(stderr, "lana: --since %s: expected YYYY-MM-DD[THH:MM:SS] (UTC) or unix ms\n",
                    argv[i + 1]);
            return LANA_EXIT_USAGE;
        }
        int n = snprintf(ms, sizeof ms, "%lld", (long long)timegm(&tm) * 1000);
        if (n < 0 || (size_t)n >= sizeof ms) /* 20 digits at most: cannot happen */
            return LANA_EXIT_USAGE;
        argv[i + 1] = ms;
    }
    return request(argc, argv);
}

/* ---- batch ------------------------------------------------------------------------------- */

/* Removes a comment (a '#' outside quotes at the start or after a blank) and the newline;
 * returns false for a line with nothing left. */
static bool clean_line(char *s)
{
    bool q = false;
    for (char *p = s; *p; p++) {
        if (*p == '\\' && q && p[1]) {
            p++;
            continue;
        }
        if (*p == '"')
            q = !q;
        else if (*p == '#' && !q && (p == s || p[-1] == ' ' || p[-1] == '\t')) {
            *p = '\0';
            break;
        }
    }
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    char *p = s;
    while (*p == ' ' || *p == '\t')
        p++;
    if (strncmp(p, "lana ", 5) == 0)
        p += 5;
    memmove(s, p, strlen(p) + 1);
    return *s != '\0';
}

/* The commands of a batch file, with their line numbers. */
struct batch {
    char **lines;
    long *lineno;
    size_t n, cap;
};

static void batch_free(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->lines[i]);
    free(b->lines);
    free(b->lineno);
}

/* Appends one command; false when out of memory. */
static bool batch_add(struct batch *b, const char *line, long no)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        char **nl = realloc(b->lines, cap * sizeof *nl);
        if (nl != NULL)
            b->lines = nl;
        long *nn = realloc(b->lineno, cap * sizeof *nn);
        if (nn != NULL)
            b->lineno = nn;
        if (nl == NULL || nn == NULL)
            return false;
        b->cap = cap;
    }
    if ((b->lines[b->n] = strdup(line)) == NULL)
        return false;
    b->lineno[b->n++] = no;
    return true;
}

/* The words of a batch line through check_words(); 0 or an exit status (message printed). */
static int batch_check(const char *line, const char *path, long no)
{
    char copy[REGPROTO_LINE_MAX], where[300];
    char *words[REGPROTO_ARGS_MAX];
    int n = snprintf(copy, sizeof copy, "%s", line); /* batch_read kept lines this short */
    if (n < 0 || (size_t)n >= sizeof copy)
        return LANA_EXIT_INVALID;
    snprintf(where, sizeof where, "%s:%ld: ", path ? path : "-", no); /* cut: only a message */
    int wc = regproto_split(copy, words, REGPROTO_ARGS_MAX, NULL);
    return wc > 0 ? check_words(wc, words, where) : 0; /* lanad answers a bad split itself */
}

/* Reads every command first: a bad line stops us before anything is sent. Returns 0 or an
 * exit status (message printed). */
static int batch_read(FILE *in, const char *path, struct batch *b)
{
    char *buf = NULL;
    size_t bcap = 0;
    long no = 0;
    int rc = 0;
    ssize_t got;
    while (rc == 0 && (got = getline(&buf, &bcap, in)) >= 0) {
        no++;
        const char *nul = memchr(buf, '\0', (size_t)got);
        if ((size_t)got >= REGPROTO_LINE_MAX) {
            fprintf(stderr, "lana: %s:%ld: line longer than %d bytes\n", path ? path : "-", no,
                    REGPROTO_LINE_MAX - 1);
            rc = LANA_EXIT_INVALID;
        } else if (nul != NULL) { /* a C string would end there: say so rather than cut */
            fprintf(stderr, "lana: %s:%ld: a NUL byte at byte %zu; nothing was sent\n",
                    path ? path : "-", no, (size_t)(nul - buf) + 1);
            rc = LANA_EXIT_INVALID;
        } else if (clean_line(buf) && (rc = batch_check(buf, path, no)) != 0) {
            break;
        } else if (*buf != '\0' && !batch_add(b, buf, no)) {
            fprintf(stderr, "lana: out of memory\n");
            rc = LANA_EXIT_SERVER;
        }
    }
    free(buf);
    if (rc == 0 && b->n == 0) {
        fprintf(stderr, "lana: %s: no commands\n", path ? path : "standard input");
        rc = LANA_EXIT_USAGE;
    }
    return rc;
}

/* The progress bar of a batch on a terminal: PROGRESS {"running"|"waiting":"batch",
 * "done":N,"of":M} redrawn on one line of stderr. */
struct bar {
    bool shown;
};

static void bar_draw(void *arg, const char *json)
{
    struct bar *b = arg;
    json_t *p = json_loads(json, 0, NULL);
    json_int_t done = json_integer_value(json_object_get(p, "done"));
    json_int_t of = json_integer_value(json_object_get(p, "of"));
    bool waiting = json_object_get(p, "waiting") != NULL;
    json_decref(p);
    if (of <= 0 || done < 0 || done > of)
        return;
    enum { WIDTH = 40 };
    char bar[WIDTH + 1];
    int fill = (int)(done * WIDTH / of);
    for (int i = 0; i < WIDTH; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[WIDTH] = '\0';
    fprintf(stderr, "\r%s [%s] %lld/%lld", waiting ? "waiting for another batch" : "batch", bar,
            (long long)done, (long long)of);
    fflush(stderr);
    b->shown = true;
}

/* Ends the bar's line before anything else is printed. */
static void bar_end(struct bar *b)
{
    if (b->shown)
        fputs("\r\033[K", stderr);
    b->shown = false;
}

/* Sends the batch, then prints one reply per command that ran and the summary (an
 * all-or-nothing batch stops at its first failure). Returns the exit status. */
static int batch_run(struct regclient *c, const struct batch *b, bool keep_going)
{
    struct lana_diag d;
    struct bar bar = {false};
    char head[64];
    /* about a hundred steps of the bar, only for eyes on a terminal */
    bool show = !clienv.json && isatty(STDERR_FILENO);
    bool out_tty = isatty(STDOUT_FILENO);
    int n = snprintf(head, sizeof head, "batch%s --progress %zu", keep_going ? " --keep-going" : "",
                     b->n / 100 + 1);
    if (!show || n < 0 || (size_t)n >= sizeof head)
        n = snprintf(head, sizeof head, "batch%s", keep_going ? " --keep-going" : "");
    if (show) {
        c->progress = bar_draw;
        c->progress_arg = &bar;
    }
    int err = regclient_send(c, head, &d);
    for (size_t i = 0; err == 0 && i < b->n; i++)
        err = regclient_send(c, b->lines[i], &d);
    if (err == 0)
        err = regclient_send(c, "end", &d);
    int first_err = 0, rc = 0;
    for (size_t i = 0; err == 0; i++) {
        char *reply;
        if ((err = regclient_recv(c, &reply, &d)) != 0)
            break;
        /* the bar's line is cleared before anything is printed on the terminal */
        if (out_tty || strstr(reply, "\"ok\":true") == NULL || strstr(reply, "\"batch\":{"))
            bar_end(&bar);
        if (out_reg_summary(reply, first_err, clienv.json, &rc))
            break;
        char copy[REGPROTO_LINE_MAX];
        char *words[REGPROTO_ARGS_MAX];
        int wc = 0;
        if (i < b->n) { /* the command's words choose the printer; batch_read kept them short */
            int k = snprintf(copy, sizeof copy, "%s", b->lines[i]);
            if (k >= 0 && (size_t)k < sizeof copy)
                wc = regproto_split(copy, words, REGPROTO_ARGS_MAX, NULL);
        }
        int e = out_reg_reply(reply, wc < 0 ? 0 : wc, words, i < b->n ? b->lineno[i] : 0,
                              clienv.json);
        if (e != 0 && first_err == 0)
            first_err = e;
    }
    bar_end(&bar);
    c->progress = NULL;
    if (err != 0) {
        fprintf(stderr, "lana: %s\n", d.msg);
        rc = out_exit_of(err);
    }
    return rc;
}

int cli_batch(int argc, char **argv)
{
    if (wants_help(argc, argv))
        return show_help(help_batch);
    const char *path = NULL;
    bool keep_going = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--keep-going") == 0)
            keep_going = true;
        else if (path == NULL)
            path = argv[i];
        else
            return fputs(help_batch, stderr), LANA_EXIT_USAGE;
    }
    FILE *in = path == NULL || strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (in == NULL) {
        fprintf(stderr, "lana: %s: %s\n", path, strerror(errno));
        return errno == ENOENT ? LANA_EXIT_NOT_FOUND : LANA_EXIT_USAGE;
    }
    struct batch b = {0};
    int rc = batch_read(in, path, &b);
    if (in != stdin)
        fclose(in);
    struct regclient c;
    if (rc == 0 && (rc = clienv_connect(&c, false)) == 0) {
        struct lana_diag d;
        rc = batch_run(&c, &b, keep_going);
        regclient_send(&c, "quit", &d);
        regclient_close(&c);
    }
    batch_free(&b);
    return rc;
}
