/*
 * srvdoc — see srvdoc.h. The man pages' prose is in their templates (doc/NAME.in); every option,
 * command and key comes from the tables here.
 */
#include "server/srvdoc.h"

#include <stdbool.h>
#include <string.h>
#include <sysexits.h>

#include "common/doc.h"
#include "common/jsonw.h"
#include "server/cmd.h"
#include "server/srvconf.h"

#define HELP_COL 27   /* where an option's help starts in --help */
#define HELP_WIDTH 79 /* and where its lines end */

static const struct conf_key *key_of(const char *name)
{
    for (size_t i = 0; i < srvconf_nkeys; i++)
        if (strcmp(srvconf_keys[i].name, name) == 0)
            return &srvconf_keys[i];
    return NULL;
}

static const struct srvdoc_opt *opt_of(const struct srvdoc *s, const char *name)
{
    for (size_t i = 0; i < s->nopts; i++)
        if (strcmp(s->opts[i].name, name) == 0)
            return &s->opts[i];
    return NULL;
}

/* A key's default as text ("127.0.0.1:5300, [::1]:5300" for a list); NULL: none. */
static const char *default_of(const struct conf_key *k, char *buf, size_t size)
{
    if (k == NULL || k->def == NULL)
        return NULL;
    size_t len = 0;
    for (const char *p = k->def; *p; p += *p == ' ') {
        size_t n = strcspn(p, " ");
        int m = snprintf(buf + len, size - len, "%s%.*s", len ? ", " : "", (int)n, p);
        if (m < 0 || (size_t)m >= size - len)
            return k->def;
        len += (size_t)m;
        p += n;
    }
    return buf;
}

/* Writes text from column col (the cursor is there) up to HELP_WIDTH, wrapped lines
 * starting at column indent. */
static void wrap(FILE *out, const char *text, int col, int indent)
{
    bool first = true;
    for (const char *p = text; *p;) {
        p += strspn(p, " ");
        int n = (int)strcspn(p, " ");
        if (n == 0)
            break;
        if (!first && col + 1 + n > HELP_WIDTH) {
            fprintf(out, "\n%*s", indent, "");
            col = indent;
        } else if (!first) {
            fputc(' ', out);
            col++;
        }
        first = false;
        fprintf(out, "%.*s", n, p);
        col += n;
        p += n;
    }
    fputc('\n', out);
}

void srvdoc_usage(const struct srvdoc *s, FILE *out)
{
    for (size_t i = 0; i < s->ncmds; i++) {
        const struct srvdoc_cmd *c = &s->cmds[i];
        int n = fprintf(out, "%s lanad [options]%s%s",
                        i ? "      " : "usage:", *c->usage ? " " : "", c->usage);
        if (n > 40) {
            fprintf(out, "\n%42s", "");
            n = 42;
        }
        fprintf(out, "%*s", n < 42 ? 42 - n : 0, "");
        wrap(out, c->help, n > 42 ? n : 42, 42);
    }
    fputs("\noptions:\n", out);
    for (size_t i = 0; i < s->nopts; i++) {
        const struct srvdoc_opt *o = &s->opts[i];
        char def[256], help[512];
        const char *dv = default_of(key_of(o->name), def, sizeof def);
        int n = fprintf(out, "  %c%c%s--%s%s%s", o->shortopt ? '-' : ' ',
                        o->shortopt ? o->shortopt : ' ', o->shortopt ? ", " : "  ", o->name,
                        o->arg ? " " : "", o->arg ? o->arg : "");
        if (n >= HELP_COL - 1) {
            fprintf(out, "\n%*s", HELP_COL, "");
        } else {
            fprintf(out, "%*s", HELP_COL - n, "");
        }
        int m = snprintf(help, sizeof help, "%s%s%s%s", o->help, dv ? " (default " : "",
                         dv ? dv : "", dv ? ")" : "");
        wrap(out, m > 0 && (size_t)m < sizeof help ? help : o->help, HELP_COL, HELP_COL);
    }
    fputs("\nEvery configuration key (lanad.conf(5)) is also accepted as --KEY VALUE.\n", out);
    wrap(out, s->exit_status, 0, 0);
}

/* ---- lanad(8) --------------------------------------------------------------------------- */

static void man_opt(FILE *out, const struct srvdoc_opt *o)
{
    fputs(".TP\n", out);
    if (o->shortopt)
        fprintf(out, "\\fB\\-%c\\fR, ", o->shortopt);
    fputs("\\fB\\-\\-", out);
    doc_roff_str(out, o->name);
    fputs("\\fR", out);
    if (o->arg) {
        fputs(" \\fI", out);
        doc_roff_str(out, o->arg);
        fputs("\\fR", out);
    }
    fputc('\n', out);
    doc_roff_str(out, o->help);
    char def[256];
    const char *dv = default_of(key_of(o->name), def, sizeof def);
    if (dv != NULL) {
        fputs(" (default ", out);
        doc_roff_str(out, dv);
        fputc(')', out);
    }
    fputs(".\n", out);
}

/* What a key's value is called: the placeholder of lanad's option of that name, else one
 * after its type. */
static const char *metavar_of(const struct srvdoc *s, const struct conf_key *k)
{
    const struct srvdoc_opt *o = opt_of(s, k->name);
    if (o != NULL && o->arg != NULL)
        return o->arg;
    return k->type == CONF_UINT ? "N" : "VALUE";
}

static int man_marker(FILE *out, const char *name, void *arg, struct lana_diag *d)
{
    const struct srvdoc *s = arg;
    if (strcmp(name, "SYNOPSIS") == 0) {
        for (size_t i = 0; i < s->ncmds; i++) {
            fputs(i ? ".br\n\\fBlanad\\fR [\\fIoptions\\fR] " : "\\fBlanad\\fR [\\fIoptions\\fR] ",
                  out);
            doc_roff_usage(out, s->cmds[i].usage);
            fputc('\n', out);
        }
    } else if (strcmp(name, "COMMANDS") == 0) {
        for (size_t i = 0; i < s->ncmds; i++) {
            fputs(".TP\n\\fBlanad\\fR ", out);
            doc_roff_usage(out, *s->cmds[i].usage ? s->cmds[i].usage : "[options]");
            fputc('\n', out);
            doc_roff_str(out, s->cmds[i].help);
            fputs(".\n", out);
        }
    } else if (strcmp(name, "OPTIONS") == 0) {
        for (size_t i = 0; i < s->nopts; i++)
            man_opt(out, &s->opts[i]);
    } else if (strcmp(name, "KEYOPTIONS") == 0) {
        for (size_t i = 0; i < srvconf_nkeys; i++) {
            const struct conf_key *k = &srvconf_keys[i];
            if (opt_of(s, k->name) != NULL)
                continue;
            struct srvdoc_opt o = {0, k->name, metavar_of(s, k), k->help};
            man_opt(out, &o);
        }
    } else if (strcmp(name, "EXIT") == 0) {
        doc_roff_str(out, s->exit_status);
        fputc('\n', out);
    } else {
        return diag_set(d, LANA_EPARSE, "unknown marker @%.40s@", name);
    }
    return 0;
}

/* ---- lanad.conf(5) ---------------------------------------------------------------------- */

static int conf_marker(FILE *out, const char *name, void *arg, struct lana_diag *d)
{
    const struct srvdoc *s = arg;
    if (strcmp(name, "KEYS") != 0)
        return diag_set(d, LANA_EPARSE, "unknown marker @%.40s@", name);
    for (size_t i = 0; i < srvconf_nkeys; i++) {
        const struct conf_key *k = &srvconf_keys[i];
        char def[256];
        const char *dv = default_of(k, def, sizeof def);
        fputs(".TP\n\\fB", out);
        doc_roff_str(out, k->name);
        fputs("\\fR = \\fI", out);
        doc_roff_str(out, metavar_of(s, k));
        fputs("\\fR\n", out);
        doc_roff_str(out, k->help);
        fputs(".\n", out);
        if (k->type == CONF_UINT)
            fprintf(out, "A number from %llu to %llu.\n", (unsigned long long)k->min,
                    (unsigned long long)k->max);
        if (k->type == CONF_LIST)
            fprintf(out,
                    "Repeatable (at most %d values); the first in the file replaces the "
                    "default list.\n",
                    CONF_LIST_MAX);
        if (dv != NULL) {
            fputs("Default: ", out);
            doc_roff_str(out, dv);
            fputs(".\n", out);
        }
    }
    return 0;
}

/* ---- completion ------------------------------------------------------------------------- */

struct scan {
    struct doc_comp *c;
    const char *cmd, *sub;
    int rc;
};

static void scan_word(const char *opt, const char *metavar, void *arg)
{
    struct scan *sc = arg;
    if (sc->rc == 0)
        sc->rc = doc_comp_word(sc->c, sc->cmd, sc->sub, opt, metavar);
}

static int completion(const struct srvdoc *s, FILE *out)
{
    struct doc_comp *c = doc_comp_new();
    int rc = c ? doc_comp_add(c, "", NULL) : LANA_ENOMEM;
    char kind[256];
    for (size_t i = 0; rc == 0 && i < s->nopts; i++) {
        const struct srvdoc_opt *o = &s->opts[i];
        const char *k = o->arg ? doc_value_kind(o->arg, kind, sizeof kind) : NULL;
        char name[64];
        snprintf(name, sizeof name, "-%c", o->shortopt); /* fits */
        if (o->shortopt)
            rc = doc_comp_opt(c, "", NULL, name, k);
        snprintf(name, sizeof name, "--%.50s", o->name);
        if (rc == 0)
            rc = doc_comp_opt(c, "", NULL, name, k);
    }
    for (size_t i = 0; rc == 0 && i < srvconf_nkeys; i++) {
        char name[64];
        snprintf(name, sizeof name, "--%.50s", srvconf_keys[i].name);
        if (opt_of(s, srvconf_keys[i].name) == NULL)
            rc = doc_comp_opt(c, "", NULL, name, "@");
    }
    for (size_t i = 0; rc == 0 && i < s->ncmds; i++) {
        /* "zone import FILE|-": a command and its subcommand; "check [--json]": a command */
        const char *u = s->cmds[i].usage;
        char cmd[32], sub[32];
        int words = sscanf(u, "%31[a-z] %31[a-z]", cmd, sub);
        if (words < 1)
            continue;
        struct scan sc = {c, cmd, words == 2 ? sub : NULL, 0};
        rc = doc_comp_add(c, cmd, sc.sub);
        if (rc == 0) {
            doc_usage_scan(u, words, scan_word, &sc);
            rc = sc.rc;
        }
    }
    if (rc == 0)
        rc = doc_comp_write(c, out, "lanad",
                            "generated by `lanad --completion bash` from lanad's options, "
                            "commands and configuration keys");
    doc_comp_free(c);
    return rc;
}

/* ---- the registry's table --------------------------------------------------------------- */

/* The reply of the registry's own `help` request: its command table, as a client gets it. */
static int commands(FILE *out)
{
    struct cmd_ctx ctx = {.actor = ""};
    char help[] = "help";
    char *argv[] = {help, NULL};
    const struct cmd *row;
    struct cmd_args a;
    struct jsonw j;
    jsonw_init(&j);
    enum regproto_code rc = cmd_prepare(&ctx, 1, argv, &row, &a, &j);
    if (rc == RP_OK)
        rc = row->run(&ctx, &a, &j); /* help reads nothing of the registry */
    if (rc == RP_OK && jsonw_ok(&j))
        fprintf(out, "%s\n", j.s);
    jsonw_free(&j);
    return rc == RP_OK ? 0 : LANA_EPARSE;
}

/* ---- the generators --------------------------------------------------------------------- */

/* Refuses a table row without its help: what is not described cannot be documented. */
static int check_tables(const struct srvdoc *s, struct lana_diag *d)
{
    for (size_t i = 0; i < s->nopts; i++)
        if (s->opts[i].help == NULL || s->opts[i].help[0] == '\0')
            return diag_set(d, LANA_EPARSE, "option --%s has no help", s->opts[i].name);
    for (size_t i = 0; i < s->ncmds; i++)
        if (s->cmds[i].help == NULL || s->cmds[i].help[0] == '\0')
            return diag_set(d, LANA_EPARSE, "command '%s' has no help", s->cmds[i].usage);
    for (size_t i = 0; i < srvconf_nkeys; i++)
        if (srvconf_keys[i].help == NULL || srvconf_keys[i].help[0] == '\0')
            return diag_set(d, LANA_EPARSE, "configuration key %s has no help",
                            srvconf_keys[i].name);
    return 0;
}

int srvdoc_main(const struct srvdoc *s, int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    bool man = strcmp(what, "--man") == 0, conf = strcmp(what, "--conf-man") == 0;
    bool cmds = strcmp(what, "--commands") == 0, comp = strcmp(what, "--completion") == 0;
    if (!man && !conf && !cmds && !comp)
        return -1;
    if (argc != (cmds ? 3 : 4) || (comp && strcmp(argv[2], "bash") != 0)) {
        fprintf(stderr, "usage: lanad --man|--conf-man TEMPLATE OUT | --commands OUT | "
                        "--completion bash OUT\n");
        return EX_USAGE;
    }
    const char *path = argv[argc - 1];
    struct lana_diag d;
    FILE *out = NULL;
    int rc = check_tables(s, &d);
    if (rc != 0) {
        fprintf(stderr, "lanad: %s\n", d.msg);
        return EX_DATAERR;
    }
    if ((rc = doc_open(path, &out, &d)) != 0) {
        fprintf(stderr, "lanad: %s\n", d.msg);
        return EX_CANTCREAT;
    }
    if (man)
        rc = doc_template(out, argv[2], LANA_VERSION, man_marker, (void *)s, &d);
    else if (conf)
        rc = doc_template(out, argv[2], LANA_VERSION, conf_marker, (void *)s, &d);
    else if (cmds && (rc = commands(out)) != 0)
        diag_set(&d, rc, "the registry's help request failed");
    else if (comp && (rc = completion(s, out)) != 0)
        diag_set(&d, rc, "cannot write the completion (a name the script would have to quote?)");
    if (rc != 0)
        fprintf(stderr, "lanad: %s\n", d.msg);
    int crc = doc_close(out, path, rc == 0, &d);
    if (rc == 0 && crc != 0)
        fprintf(stderr, "lanad: %s\n", d.msg);
    return rc != 0 || crc != 0 ? EX_CANTCREAT : EX_OK;
}
