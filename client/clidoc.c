/*
 * clidoc — see clidoc.h. The page's prose is in its template (doc/lana.1.in); every command,
 * subcommand and option comes from the tables and the --help texts.
 */
#include "client/clidoc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <jansson.h>

#include "client/clienv.h"
#include "common/doc.h"

struct gen {
    const struct clidoc *doc;
    json_t *table; /* the registry's rows */
    char **help;   /* each command's --help, the common options cut off */
};

/* ---- the tables ------------------------------------------------------------------------- */

/* Runs `lana NAME --help` in a child; its output (malloc'd), or NULL when it failed. */
static char *help_of(const struct cli_command *c)
{
    int fds[2];
    if (pipe(fds) != 0)
        return NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return NULL;
    }
    if (pid == 0) {
        char name[64], opt[] = "--help";
        snprintf(name, sizeof name, "%s", c->name); /* the table's names are short */
        char *argv[] = {name, opt, NULL};
        close(fds[0]);
        if (dup2(fds[1], STDOUT_FILENO) < 0)
            _exit(126);
        int rc = c->run(2, argv);
        _exit(fflush(stdout) == 0 && rc == 0 ? 0 : 1);
    }
    close(fds[1]);
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    ssize_t n = 1;
    while (buf != NULL && n > 0) {
        if (cap - len < 2) {
            char *more = realloc(buf, cap *= 2);
            if (more == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = more;
        }
        n = read(fds[0], buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            n = 1;
        else if (n > 0)
            len += (size_t)n;
    }
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (buf == NULL || n < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || len == 0) {
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    char *common = strstr(buf, clienv_help); /* every registry command's help ends with them */
    if (common != NULL)
        *common = '\0';
    for (len = strlen(buf); len > 0 && buf[len - 1] == '\n'; len--)
        buf[len - 1] = '\0';
    return buf;
}

/* The row's verb, sub (NULL) and usage; false when the row is not what lanad writes. */
static bool row_of(json_t *row, const char **verb, const char **sub, const char **usage)
{
    *verb = json_string_value(json_object_get(row, "verb"));
    *sub = json_string_value(json_object_get(row, "sub"));
    *usage = json_string_value(json_object_get(row, "usage"));
    return *verb != NULL && *usage != NULL;
}

static const struct cli_command *command_of(const struct gen *g, const char *name)
{
    for (size_t i = 0; i < g->doc->ncmds; i++)
        if (strcmp(g->doc->cmds[i].name, name) == 0)
            return &g->doc->cmds[i];
    return NULL;
}

/* A command row's help is "ARGS  description": the length of ARGS and the description. */
static int args_len(const char *help, const char **desc)
{
    const char *gap = strstr(help, "  ");
    *desc = gap ? gap + strspn(gap, " ") : help;
    return gap ? (int)(gap - help) : 0;
}

/* ---- lana(1) ---------------------------------------------------------------------------- */

/* Who may make a request of the row, and whether it writes. */
static void who(FILE *out, json_t *row)
{
    const char *auth = json_string_value(json_object_get(row, "auth"));
    bool write = json_is_true(json_object_get(row, "write"));
    fprintf(out, "%s; %s.\n",
            auth && strcmp(auth, "admin") == 0     ? "admin only"
            : auth && strcmp(auth, "account") == 0 ? "an account, on what it may change"
                                                   : "anyone, a token not needed",
            write ? "changes the registry" : "reads");
}

static void man_command(const struct gen *g, size_t i, FILE *out)
{
    const struct cli_command *c = &g->doc->cmds[i];
    const char *desc;
    int alen = args_len(c->help, &desc);
    char usage[512];
    snprintf(usage, sizeof usage, "%s %.*s", c->name, alen, c->help);
    fputs(".SS ", out);
    doc_roff_str(out, c->name);
    fputs("\n.PP\n\\fBlana\\fR ", out);
    doc_roff_usage(out, usage);
    fputs("\n.br\n", out);
    doc_roff_str(out, desc);
    fputs(".\n.PP\n.RS 4\n.nf\n", out);
    doc_roff_str(out, g->help[i]);
    fputs("\n.fi\n.RE\n", out);
    bool first = true;
    size_t k;
    json_t *row;
    json_array_foreach(g->table, k, row)
    {
        const char *verb, *sub, *u;
        if (!row_of(row, &verb, &sub, &u) || strcmp(verb, c->name) != 0)
            continue;
        if (first)
            fputs(".PP\nIts requests in lanad's command table, and who may make them:\n", out);
        first = false;
        fputs(".TP\n\\fBlana\\fR ", out);
        doc_roff_usage(out, u);
        fputc('\n', out);
        who(out, row);
    }
}

/* The common options: clienv_help's lines "  --OPT [ARG]   help", help going on in lines
 * indented further. */
static void man_common(FILE *out)
{
    for (const char *p = clienv_help; *p;) {
        size_t n = strcspn(p, "\n");
        const char *lead = p + strspn(p, " ");
        if (*lead == '-') {
            size_t spec = 0;
            while (lead + spec < p + n && strncmp(lead + spec, "  ", 2) != 0)
                spec++;
            char s[128];
            snprintf(s, sizeof s, "%.*s", (int)(spec < sizeof s ? spec : sizeof s - 1), lead);
            fputs(".TP\n", out);
            doc_roff_usage(out, s);
            fputc('\n', out);
            lead += spec;
            lead += strspn(lead, " ");
        }
        if (lead > p + 2 && lead < p + n) { /* the help, or its next line */
            doc_roff_text(out, lead, (size_t)(p + n - lead));
            fputc('\n', out);
        }
        p += n + (p[n] == '\n');
    }
}

static int man_marker(FILE *out, const char *name, void *arg, struct lana_diag *d)
{
    const struct gen *g = arg;
    if (strcmp(name, "SYNOPSIS") == 0) {
        doc_roff_usage(out, g->doc->synopsis);
        fputc('\n', out);
        for (size_t i = 0; i < g->doc->ncmds; i++) {
            const char *desc, *h = g->doc->cmds[i].help;
            char usage[512];
            snprintf(usage, sizeof usage, "lana %s %.*s", g->doc->cmds[i].name, args_len(h, &desc),
                     h);
            fputs(".br\n", out);
            doc_roff_usage(out, usage);
            fputc('\n', out);
        }
    } else if (strcmp(name, "COMMANDS") == 0) {
        for (size_t i = 0; i < g->doc->ncmds; i++)
            man_command(g, i, out);
    } else if (strcmp(name, "COMMON") == 0) {
        man_common(out);
    } else if (strcmp(name, "PROTOCOL") == 0) {
        size_t k;
        json_t *row;
        json_array_foreach(g->table, k, row)
        {
            const char *verb, *sub, *u;
            if (!row_of(row, &verb, &sub, &u) || command_of(g, verb) != NULL)
                continue;
            fputs(".TP\n", out);
            doc_roff_usage(out, u);
            fputc('\n', out);
            who(out, row);
        }
    } else if (strcmp(name, "EXIT") == 0) {
        doc_roff_str(out, g->doc->exit_status);
        fputc('\n', out);
    } else {
        return diag_set(d, LANA_EPARSE, "unknown marker @%.40s@", name);
    }
    return 0;
}

/* ---- completion ------------------------------------------------------------------------- */

struct scan {
    struct doc_comp *c;
    const char *cmd, *sub; /* sub: NULL, a row's, or subbuf */
    int rc;
    char subbuf[64];
};

static void scan_word(const char *opt, const char *metavar, void *arg)
{
    struct scan *sc = arg;
    if (sc->rc == 0)
        sc->rc = doc_comp_word(sc->c, sc->cmd, sc->sub, opt, metavar);
}

/* One usage of cmd in a --help text: "lana CMD [SUB] ..." up to a " | lana" that starts the
 * next; sets sc->sub. */
static void scan_usage(struct scan *sc, const char *text, size_t len)
{
    char line[512], first[64], second[64];
    snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), text);
    char *next = strstr(line, " | lana ");
    if (next != NULL)
        *next = '\0';
    int words = sscanf(line, "lana %63s %63s", first, second);
    if (words >= 1 && strcmp(first, sc->cmd) == 0) {
        bool sub = words == 2 && doc_comp_has(sc->c, sc->cmd, second);
        sc->sub = sub ? memcpy(sc->subbuf, second, strlen(second) + 1) : NULL;
        doc_usage_scan(line, sub ? 3 : 2, scan_word, sc);
    }
    if (next != NULL)
        scan_usage(sc, text + (next - line) + 3, len - (size_t)(next - line) - 3);
}

/*
 * The options of a --help text (or of clienv_help, cmd ""): its usage lines ("usage: lana CMD
 * SUB ..." and "   lana CMD SUB ..."), their continuations ("   [--tcp]") and option lines
 * ("  --count N   help"); prose is not read.
 */
static int scan_help(struct doc_comp *c, const char *cmd, const char *text)
{
    struct scan sc = {c, cmd, NULL, 0, ""};
    for (const char *p = text; *p && sc.rc == 0;) {
        size_t n = strcspn(p, "\n");
        const char *lead = p + strspn(p, " ");
        if (strncmp(p, "usage: ", 7) == 0)
            lead = p + 7;
        if (strncmp(lead, "lana ", 5) == 0 && lead < p + n) {
            scan_usage(&sc, lead, (size_t)(p + n - lead));
        } else if (lead > p && lead < p + n && (*lead == '[' || *lead == '-')) {
            size_t spec = 0; /* an option line's usage part ends at two spaces */
            while (lead + spec < p + n && strncmp(lead + spec, "  ", 2) != 0)
                spec++;
            char line[256];
            snprintf(line, sizeof line, "%.*s", (int)(spec < sizeof line ? spec : sizeof line - 1),
                     lead);
            if (*lead == '-')
                sc.sub = NULL;
            doc_usage_scan(line, 0, scan_word, &sc);
        }
        p += n + (p[n] == '\n');
    }
    return sc.rc;
}

static int completion(const struct gen *g, FILE *out)
{
    struct doc_comp *c = doc_comp_new();
    struct scan top = {c, "", NULL, 0, ""};
    if (c == NULL)
        return LANA_ENOMEM;
    doc_usage_scan(g->doc->synopsis, 1, scan_word, &top); /* --help, --version */
    int rc = top.rc ? top.rc : scan_help(c, "", clienv_help);
    for (size_t i = 0; rc == 0 && i < g->doc->ncmds; i++) {
        const struct cli_command *cmd = &g->doc->cmds[i];
        size_t k;
        json_t *row;
        rc = doc_comp_opt(c, cmd->name, NULL, "--help", NULL); /* help_of ran it */
        json_array_foreach(g->table, k, row)
        {
            const char *verb, *sub, *u;
            if (rc != 0 || !row_of(row, &verb, &sub, &u) || strcmp(verb, cmd->name) != 0)
                continue;
            struct scan sc = {c, verb, sub, doc_comp_add(c, verb, sub), ""};
            doc_usage_scan(u, sub ? 2 : 1, scan_word, &sc);
            rc = sc.rc;
        }
        if (rc == 0)
            rc = scan_help(c, cmd->name, g->help[i]);
        if (rc == 0 && cmd->registry) /* the common options go anywhere on its line */
            rc = scan_help(c, cmd->name, clienv_help);
    }
    if (rc == 0)
        rc = doc_comp_write(c, out, "lana",
                            "generated by `lana --completion bash` from lana's command table, "
                            "each command's --help and lanad's registry table");
    doc_comp_free(c);
    return rc;
}

/* ---- the generators --------------------------------------------------------------------- */

/* Reads the registry's table and every command's help into g. 0, or EX_DATAERR (printed). */
static int load(struct gen *g, const char *table_path)
{
    json_error_t e;
    json_t *root = json_load_file(table_path, 0, &e);
    json_t *table = json_object_get(root, "table");
    if (!json_is_array(table)) {
        fprintf(stderr, "lana: %s: not the registry's command table (%s)\n", table_path,
                root ? "no \"table\"" : e.text);
        json_decref(root);
        return EX_DATAERR;
    }
    g->table = json_incref(table);
    json_decref(root);
    g->help = calloc(g->doc->ncmds, sizeof *g->help);
    for (size_t i = 0; g->help != NULL && i < g->doc->ncmds; i++)
        if ((g->help[i] = help_of(&g->doc->cmds[i])) == NULL) {
            fprintf(stderr, "lana: '%s --help' failed or printed nothing\n", g->doc->cmds[i].name);
            return EX_DATAERR;
        }
    return g->help ? 0 : EX_OSERR;
}

int clidoc_main(const struct clidoc *doc, int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    bool man = strcmp(what, "--man") == 0, comp = strcmp(what, "--completion") == 0;
    if (!man && !comp)
        return -1;
    if (argc != 5 || (comp && strcmp(argv[2], "bash") != 0)) {
        fprintf(stderr, "usage: lana --man TEMPLATE TABLE OUT | --completion bash TABLE OUT\n");
        return EX_USAGE;
    }
    struct gen g = {doc, NULL, NULL};
    struct lana_diag d;
    FILE *out = NULL;
    int status = load(&g, argv[3]);
    if (status == 0 && doc_open(argv[4], &out, &d) != 0) {
        fprintf(stderr, "lana: %s\n", d.msg);
        status = EX_CANTCREAT;
    }
    if (status == 0) {
        int rc = man ? doc_template(out, argv[2], LANA_VERSION, man_marker, &g, &d)
                     : completion(&g, out);
        if (rc != 0 && !man)
            diag_set(&d, rc, "cannot write the completion (a name it would have to quote?)");
        if (rc != 0)
            fprintf(stderr, "lana: %s\n", d.msg);
        if (doc_close(out, argv[4], rc == 0, &d) != 0 || rc != 0) {
            if (rc == 0)
                fprintf(stderr, "lana: %s\n", d.msg);
            status = EX_CANTCREAT;
        }
    }
    for (size_t i = 0; g.help != NULL && i < doc->ncmds; i++)
        free(g.help[i]);
    free(g.help);
    json_decref(g.table);
    return status;
}
