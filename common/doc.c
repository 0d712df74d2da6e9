/*
 * doc — see doc.h. Roff escaping, templates, and the bash completion: its data (kept in the
 * order it was added, so the script reads like the tables) and the one function that walks
 * COMP_WORDS.
 */
#include "common/doc.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int doc_open(const char *path, FILE **out, struct lana_diag *d)
{
    char tmp[4096];
    if (strcmp(path, "-") == 0) {
        *out = stdout;
        return 0;
    }
    int n = snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return diag_set(d, -ENAMETOOLONG, "%.200s: name too long", path);
    FILE *fp = fopen(tmp, "w");
    if (fp == NULL)
        return diag_set(d, -errno, "%.200s: %s", tmp, strerror(errno));
    *out = fp;
    return 0;
}

int doc_close(FILE *out, const char *path, bool ok, struct lana_diag *d)
{
    char tmp[4096];
    if (out == stdout)
        return fflush(out) == 0 && ok ? 0 : diag_set(d, -EIO, "cannot write the output");
    snprintf(tmp, sizeof tmp, "%s.tmp", path); /* fit in doc_open */
    bool err = ferror(out) != 0;
    if (fclose(out) != 0 || err || !ok) {
        int e = err ? EIO : errno;
        remove(tmp);
        return ok ? diag_set(d, -e, "%.200s: %s", tmp, strerror(e))
                  : diag_set(d, -EIO, "no output");
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return diag_set(d, -e, "%.200s: %s", path, strerror(e));
    }
    return 0;
}

/* ---- roff ------------------------------------------------------------------------------ */

/* groff's own names of the few non-ASCII characters our help texts use; NULL: \[uXXXX] */
static const char *glyph_name(uint32_t cp)
{
    switch (cp) {
    case 0x2192: return "\\(->";
    case 0x2190: return "\\(<-";
    case 0x2014: return "\\(em";
    case 0x2013: return "\\(en";
    case 0x2018: return "\\(oq";
    case 0x2019: return "\\(cq";
    case 0x201c: return "\\(lq";
    case 0x201d: return "\\(rq";
    case 0x2026: return "\\&...";  /* \& : never a request, even at the start of a line */
    case 0x00d7: return "\\(mu";
    case 0x2264: return "\\(<=";
    case 0x2265: return "\\(>=";
    default: return NULL;
    }
}

/* Decodes the UTF-8 sequence at s (len > 0, s[0] >= 0x80): its length, or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t len, uint32_t *cp)
{
    size_t n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (n == 0 || n > len || s[0] > 0xf4)
        return 0;
    uint32_t v = s[0] & (0x3f >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        v = v << 6 | (s[i] & 0x3f);
    }
    *cp = v;
    return n;
}

void doc_roff_text(FILE *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    bool bol = true;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = p[i];
        if (bol && (ch == '.' || ch == '\''))
            fputs("\\&", out);
        bol = ch == '\n';
        if (ch == '\\') {
            fputs("\\e", out);
        } else if (ch == '-') {
            fputs("\\-", out);
        } else if (ch < 0x80) {
            fputc(ch, out);
        } else {
            uint32_t cp;
            size_t n = utf8_seq(p + i, len - i, &cp);
            const char *g = n ? glyph_name(cp) : NULL;
            if (n == 0)
                fputc('?', out);
            else if (g != NULL)
                fputs(g, out);
            else
                fprintf(out, "\\[u%04X]", (unsigned)cp);
            if (n > 0)
                i += n - 1;
        }
    }
}

void doc_roff_str(FILE *out, const char *s)
{
    doc_roff_text(out, s, strlen(s));
}

static bool is_punct(char c)
{
    return strchr("[]|(){}:/,", c) != NULL;
}

/* Whether w[0..n) is a placeholder: upper-case letters, digits, '_' and '-', one letter. */
static bool is_placeholder(const char *w, size_t n)
{
    bool letter = false;
    for (size_t i = 0; i < n; i++) {
        if (w[i] >= 'A' && w[i] <= 'Z')
            letter = true;
        else if (!(w[i] >= '0' && w[i] <= '9') && w[i] != '_' && w[i] != '-')
            return false;
    }
    return letter && w[0] != '-';
}

void doc_roff_usage(FILE *out, const char *usage)
{
    const char *p = usage;
    while (*p) {
        if (*p == ' ') {
            fputc(*p++, out);
            continue;
        }
        size_t tok = strcspn(p, " ");
        if (*p == '(') { /* prose from here on */
            doc_roff_str(out, p);
            return;
        }
        bool prose = p[tok - 1] == ',';
        const char *end = p + tok;
        while (p < end) {
            if (strncmp(p, "...", 3) == 0) {
                fputs("\\&...", out);
                p += 3;
            } else if (is_punct(*p)) {
                doc_roff_text(out, p, 1);
                p++;
            } else {
                size_t n = 0;
                while (p + n < end && !is_punct(p[n]) && strncmp(p + n, "...", 3) != 0)
                    n++;
                fputs(is_placeholder(p, n) ? "\\fI" : "\\fB", out);
                doc_roff_text(out, p, n);
                fputs("\\fR", out);
                p += n;
            }
        }
        if (prose) {
            doc_roff_str(out, p);
            return;
        }
    }
}

/* Writes s with every tok in it replaced by val. */
static void subst(FILE *out, const char *s, const char *tok, const char *val)
{
    for (const char *p = s; *p;) {
        const char *at = strstr(p, tok);
        size_t n = at ? (size_t)(at - p) : strlen(p);
        fwrite(p, 1, n, out);
        p += n;
        if (at != NULL) {
            fputs(val, out);
            p += strlen(tok);
        }
    }
}

int doc_template(FILE *out, const char *path, const char *version, doc_marker_fn *fn, void *arg,
                 struct lana_diag *d)
{
    FILE *fp = fopen(path, "r");
    char line[4096];
    unsigned lineno = 0;
    int rc = 0;
    if (fp == NULL)
        return diag_set(d, -errno, "%.200s: %s", path, strerror(errno));
    while (rc == 0 && fgets(line, sizeof line, fp) != NULL) {
        size_t len = strlen(line);
        lineno++;
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        else if (!feof(fp)) {
            rc = diag_set(d, LANA_EPARSE, "%.200s:%u: line too long", path, lineno);
            break;
        }
        if (strncmp(line, ".\\\" @", 5) == 0 && len > 6 && line[len - 1] == '@') {
            line[len - 1] = '\0';
            rc = fn(out, line + 5, arg, d);
            continue;
        }
        subst(out, line, "@VERSION@", version);
        fputc('\n', out);
    }
    if (rc == 0 && ferror(fp))
        rc = diag_set(d, LANA_EIO, "%.200s: read error", path);
    fclose(fp);
    return rc;
}

/* ---- usage lines ------------------------------------------------------------------------ */

const char *doc_value_kind(const char *metavar, char *buf, size_t size)
{
    size_t len = 0, alts = 0, upper = 0;
    bool lower = false;
    buf[0] = '\0';
    if (strstr(metavar, "FILE") || strstr(metavar, "PATH"))
        return snprintf(buf, size, "@file") < (int)size ? buf : "@";
    if (strstr(metavar, "DIR"))
        return snprintf(buf, size, "@dir") < (int)size ? buf : "@";
    for (const char *p = metavar; *p; p += *p == '|') {
        size_t n = strcspn(p, "|"), lc = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789.-");
        size_t uc = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
        alts++;
        upper += uc == n && n > 0;
        if (lc == n && n > 0 && strcspn(p, "abcdefghijklmnopqrstuvwxyz") < n) {
            int m = snprintf(buf + len, size - len, "%s%.*s", len ? "|" : "", (int)n, p);
            if (m < 0 || (size_t)m >= size - len)
                return "@";
            len += (size_t)m;
            lower = true;
        }
        p += n;
    }
    if (lower && alts > 1)
        return buf;
    if (alts >= 3 && upper == alts && snprintf(buf, size, "%s", metavar) < (int)size)
        return buf;
    return "@";
}

/* The word at w[0..n) with its brackets, ellipsis and a final comma taken off, into buf. */
static void bare(const char *w, size_t n, char *buf, size_t size)
{
    while (n > 0 && *w == '[')
        w++, n--;
    if (n > 0 && w[n - 1] == ',')
        n--;
    if (n >= 3 && strncmp(w + n - 3, "...", 3) == 0)
        n -= 3;
    size_t open = 0, close = 0;
    for (size_t i = 0; i < n; i++)
        open += w[i] == '[', close += w[i] == ']';
    while (n > 0 && w[n - 1] == ']' && close > open)
        n--, close--;
    if (n >= 3 && strncmp(w + n - 3, "...", 3) == 0)
        n -= 3;
    snprintf(buf, size, "%.*s", (int)(n < size ? n : size - 1), w);
}

void doc_usage_scan(const char *usage, int skip, doc_usage_fn *fn, void *arg)
{
    const char *p = usage;
    for (;;) {
        p += strspn(p, " ");
        size_t n = strcspn(p, " ");
        if (n == 0 || *p == '(')
            return;
        const char *w = p;
        p += n;
        if (skip > 0 && skip--)
            continue;
        bool last = w[n - 1] == ',';
        char word[256];
        bare(w, n, word, sizeof word);
        if (word[0] != '-' || word[1] == '\0' || word[1] == '|') {
            if (word[0] != '\0' && strcmp(word, "|") != 0)
                fn(NULL, word, arg);
        } else if (strchr(word, '|') != NULL) { /* [-4|-6]: flags */
            for (char *t = word; *t; t += *t == '|') {
                size_t m = strcspn(t, "|");
                char save = t[m];
                t[m] = '\0';
                if (t[0] == '-')
                    fn(t, NULL, arg);
                t[m] = save;
                t += m;
            }
        } else {
            /* a value follows unless the word closed its bracket or ends the line */
            size_t open = strspn(w, "["), close = 0;
            while (close < n && w[n - 1 - close] == ']')
                close++;
            const char *v = p + strspn(p, " ");
            size_t vn = strcspn(v, " ");
            if (close < open || (open == 0 && !last)) {
                if (vn > 0 && v[0] != '-' && v[0] != '[' && v[0] != '|' && v[0] != '(') {
                    char meta[256];
                    bare(v, vn, meta, sizeof meta);
                    fn(word, meta, arg);
                    last = v[vn - 1] == ',';
                    p = v + vn;
                } else {
                    fn(word, open > 0 ? "" : NULL, arg);
                }
            } else {
                fn(word, NULL, arg);
            }
        }
        if (last)
            return;
    }
}

/* ---- bash completion -------------------------------------------------------------------- */

struct doc_opt {
    char *name, *kind; /* kind "-": a flag */
};

struct doc_node {
    char *cmd, *sub; /* sub NULL: the command itself */
    struct doc_opt *opts;
    size_t nopts;
    char *pos;
};

struct doc_comp {
    struct doc_node *v;
    size_t n, cap;
};

struct doc_comp *doc_comp_new(void)
{
    return calloc(1, sizeof(struct doc_comp));
}

void doc_comp_free(struct doc_comp *c)
{
    for (size_t i = 0; c != NULL && i < c->n; i++) {
        struct doc_node *nd = &c->v[i];
        for (size_t k = 0; k < nd->nopts; k++) {
            free(nd->opts[k].name);
            free(nd->opts[k].kind);
        }
        free(nd->opts);
        free(nd->cmd);
        free(nd->sub);
        free(nd->pos);
    }
    if (c != NULL)
        free(c->v);
    free(c);
}

static struct doc_node *find(const struct doc_comp *c, const char *cmd, const char *sub)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].cmd, cmd) == 0 &&
            (sub == NULL ? c->v[i].sub == NULL : c->v[i].sub && strcmp(c->v[i].sub, sub) == 0))
            return &c->v[i];
    return NULL;
}

/* The node of cmd's sub, added (with its command) when new; NULL when out of memory. */
static struct doc_node *node(struct doc_comp *c, const char *cmd, const char *sub)
{
    struct doc_node *nd = find(c, cmd, sub);
    if (nd != NULL)
        return nd;
    if (sub != NULL && node(c, cmd, NULL) == NULL)
        return NULL;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 32;
        struct doc_node *v = realloc(c->v, cap * sizeof *v);
        if (v == NULL)
            return NULL;
        c->v = v;
        c->cap = cap;
    }
    nd = &c->v[c->n];
    *nd = (struct doc_node){.cmd = strdup(cmd), .sub = sub ? strdup(sub) : NULL};
    if (nd->cmd == NULL || (sub != NULL && nd->sub == NULL)) {
        free(nd->cmd);
        free(nd->sub);
        return NULL;
    }
    c->n++;
    return nd;
}

int doc_comp_add(struct doc_comp *c, const char *cmd, const char *sub)
{
    return node(c, cmd, sub) ? 0 : LANA_ENOMEM;
}

int doc_comp_opt(struct doc_comp *c, const char *cmd, const char *sub, const char *opt,
                 const char *kind)
{
    struct doc_node *nd = node(c, cmd, sub);
    if (nd == NULL)
        return LANA_ENOMEM;
    const char *k = kind ? kind : "-";
    for (size_t i = 0; i < nd->nopts; i++) {
        struct doc_opt *o = &nd->opts[i];
        if (strcmp(o->name, opt) != 0)
            continue;
        /* a flag named again with a value, or "@" with something that completes it */
        if (strcmp(k, "-") == 0 || (strcmp(o->kind, "-") != 0 && strcmp(k, "@") == 0))
            return 0;
        char *dup = strdup(k);
        if (dup == NULL)
            return LANA_ENOMEM;
        free(o->kind);
        o->kind = dup;
        return 0;
    }
    struct doc_opt *v = realloc(nd->opts, (nd->nopts + 1) * sizeof *v);
    if (v == NULL)
        return LANA_ENOMEM;
    nd->opts = v;
    v[nd->nopts] = (struct doc_opt){strdup(opt), strdup(k)};
    if (v[nd->nopts].name == NULL || v[nd->nopts].kind == NULL) {
        free(v[nd->nopts].name);
        free(v[nd->nopts].kind);
        return LANA_ENOMEM;
    }
    nd->nopts++;
    return 0;
}

int doc_comp_pos(struct doc_comp *c, const char *cmd, const char *sub, const char *kind)
{
    struct doc_node *nd = node(c, cmd, sub);
    char *dup = nd ? strdup(kind) : NULL;
    if (dup == NULL)
        return LANA_ENOMEM;
    free(nd->pos);
    nd->pos = dup;
    return 0;
}

int doc_comp_word(struct doc_comp *c, const char *cmd, const char *sub, const char *opt,
                  const char *metavar)
{
    char kind[256];
    if (opt != NULL)
        return doc_comp_opt(c, cmd, sub, opt,
                            metavar ? doc_value_kind(metavar, kind, sizeof kind) : NULL);
    /* "@file" or "@dir" written into kind (a bare "@" returned means no kind at all) */
    if (metavar != NULL && doc_value_kind(metavar, kind, sizeof kind) == kind && kind[0] == '@')
        return doc_comp_pos(c, cmd, sub, kind);
    return 0;
}

bool doc_comp_has(const struct doc_comp *c, const char *cmd, const char *sub)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].cmd, cmd) == 0 && c->v[i].sub != NULL &&
            (sub == NULL || strcmp(c->v[i].sub, sub) == 0))
            return true;
    return false;
}

/* Whether s may stand unquoted inside the script's single-quoted, space-split lists. */
static bool plain(const char *s)
{
    return s[strspn(s,
                    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:/|@+=-")] ==
           '\0';
}

/* The options of nd, then those of its command (nd a subcommand), as NAME=KIND words. */
static void opt_words(const struct doc_comp *c, const struct doc_node *nd, FILE *out)
{
    const struct doc_node *top = nd->sub ? find(c, nd->cmd, NULL) : NULL;
    const char *sep = "";
    for (int pass = 0; pass < 2; pass++) {
        const struct doc_node *from = pass == 0 ? nd : top;
        for (size_t i = 0; from != NULL && i < from->nopts; i++) {
            fprintf(out, "%s%s=%s", sep, from->opts[i].name, from->opts[i].kind);
            sep = " ";
        }
    }
}

/* The function that walks COMP_WORDS; %1$s is the program's name. */
/* The function that walks COMP_WORDS; @P@ stands for the program's name. */
static const char engine[] =
    "# The word being completed is an option's value, an option, the command, its subcommand\n"
    "# or a positional word; options and their values are skipped to find the command.\n"
    "_@P@_kind() {\n"
    "    local s\n"
    "    _@P@_opts \"$1\" \"$2\"\n"
    "    for s in $REPLY; do\n"
    "        if [[ ${s%%=*} == \"$3\" ]]; then REPLY=${s#*=}; return 0; fi\n"
    "    done\n"
    "    REPLY=-\n"
    "}\n"
    "_@P@_value() {\n"
    "    case $1 in\n"
    "    @file) compopt -o filenames 2>/dev/null\n"
    "        mapfile -t COMPREPLY < <(compgen -f -- \"$cur\") ;;\n"
    "    @dir) compopt -o filenames 2>/dev/null\n"
    "        mapfile -t COMPREPLY < <(compgen -d -- \"$cur\") ;;\n"
    "    @ | -) ;;\n"
    "    *) mapfile -t COMPREPLY < <(compgen -W \"${1//|/ }\" -- \"$cur\") ;;\n"
    "    esac\n"
    "}\n"
    "# bash splits words at ':' too (COMP_WORDBREAKS): the words before the cursor are read\n"
    "# again from COMP_LINE, so that --server HOST:PORT is one option and its value.\n"
    "_@P@() {\n"
    "    local cur=${COMP_WORDS[COMP_CWORD]} cmd= sub= kind= w s i names= REPLY=\n"
    "    local words=(\"${COMP_WORDS[@]}\") cword=$COMP_CWORD\n"
    "    if [[ -n ${COMP_LINE-} ]]; then\n"
    "        read -ra words <<<\"${COMP_LINE:0:COMP_POINT}\"\n"
    "        [[ ${COMP_LINE:0:COMP_POINT} == *[[:space:]] ]] && words+=(\"\")\n"
    "        cword=$((${#words[@]} - 1))\n"
    "    fi\n"
    "    COMPREPLY=()\n"
    "    for ((i = 1; i < cword; i++)); do\n"
    "        w=${words[i]}\n"
    "        if [[ $w == -?* ]]; then\n"
    "            _@P@_kind \"$cmd\" \"$sub\" \"$w\"\n"
    "            [[ $REPLY == - ]] && continue\n"
    "            if ((i + 1 == cword)); then kind=$REPLY; break; fi\n"
    "            ((i++))\n"
    "        elif [[ -z $cmd ]]; then\n"
    "            cmd=$w\n"
    "        elif [[ -z $sub ]]; then\n"
    "            _@P@_subs \"$cmd\"\n"
    "            [[ -n $REPLY ]] && sub=$w\n"
    "        fi\n"
    "    done\n"
    "    if [[ -n $kind ]]; then\n"
    "        _@P@_value \"$kind\"\n"
    "    elif [[ $cur == -* ]]; then\n"
    "        _@P@_opts \"$cmd\" \"$sub\"\n"
    "        for s in $REPLY; do names+=\" ${s%%=*}\"; done\n"
    "        mapfile -t COMPREPLY < <(compgen -W \"$names\" -- \"$cur\")\n"
    "    elif [[ -z $cmd ]]; then\n"
    "        mapfile -t COMPREPLY < <(compgen -W \"$_@P@_commands\" -- \"$cur\")\n"
    "    else\n"
    "        _@P@_subs \"$cmd\"\n"
    "        if [[ -n $REPLY && -z $sub ]]; then\n"
    "            mapfile -t COMPREPLY < <(compgen -W \"$REPLY\" -- \"$cur\")\n"
    "        else\n"
    "            _@P@_pos \"$cmd\" \"$sub\"\n"
    "            [[ -n $REPLY ]] && _@P@_value \"$REPLY\"\n"
    "        fi\n"
    "    fi\n"
    "    return 0\n"
    "}\n"
    "complete -F _@P@ @P@\n";

int doc_comp_write(const struct doc_comp *c, FILE *out, const char *prog, const char *header)
{
    for (size_t i = 0; i < c->n; i++) {
        const struct doc_node *nd = &c->v[i];
        bool ok = plain(nd->cmd) && (nd->sub == NULL || plain(nd->sub)) &&
                  (nd->pos == NULL || plain(nd->pos));
        for (size_t k = 0; ok && k < nd->nopts; k++)
            ok = plain(nd->opts[k].name) && plain(nd->opts[k].kind);
        if (!ok)
            return LANA_EPARSE;
    }
    fprintf(out, "# bash completion for %s\n# %s\n\n_%s_commands='", prog, header, prog);
    const char *sep = "";
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i].sub == NULL && c->v[i].cmd[0] != '\0') {
            fprintf(out, "%s%s", sep, c->v[i].cmd);
            sep = " ";
        }
    fprintf(out, "'\n_%s_subs() {\n    case $1 in\n", prog);
    for (size_t i = 0; i < c->n; i++) {
        if (c->v[i].sub != NULL || !doc_comp_has(c, c->v[i].cmd, NULL))
            continue;
        fprintf(out, "    %s) REPLY='", c->v[i].cmd);
        sep = "";
        for (size_t k = 0; k < c->n; k++)
            if (c->v[k].sub != NULL && strcmp(c->v[k].cmd, c->v[i].cmd) == 0) {
                fprintf(out, "%s%s", sep, c->v[k].sub);
                sep = " ";
            }
        fputs("' ;;\n", out);
    }
    fprintf(out, "    *) REPLY= ;;\n    esac\n}\n_%s_opts() {\n    case \"$1 $2\" in\n", prog);
    for (int pass = 0; pass < 2; pass++) /* subcommands first: "CMD "* catches the rest */
        for (size_t i = 0; i < c->n; i++) {
            const struct doc_node *nd = &c->v[i];
            if ((pass == 0) != (nd->sub != NULL))
                continue;
            if (nd->sub != NULL)
                fprintf(out, "    '%s %s') REPLY='", nd->cmd, nd->sub);
            else
                fprintf(out, nd->cmd[0] ? "    '%s '*) REPLY='" : "    '%s ') REPLY='", nd->cmd);
            opt_words(c, nd, out);
            fputs("' ;;\n", out);
        }
    fprintf(out, "    *) REPLY= ;;\n    esac\n}\n_%s_pos() {\n    case \"$1 $2\" in\n", prog);
    for (size_t i = 0; i < 2 * c->n; i++) { /* subcommands first, as above */
        const struct doc_node *nd = &c->v[i % c->n];
        if (nd->pos == NULL || (i < c->n) != (nd->sub != NULL))
            continue;
        if (nd->sub != NULL)
            fprintf(out, "    '%s %s') REPLY=%s ;;\n", nd->cmd, nd->sub, nd->pos);
        else
            fprintf(out, "    '%s '*) REPLY=%s ;;\n", nd->cmd, nd->pos);
    }
    fputs("    *) REPLY= ;;\n    esac\n}\n", out);
    subst(out, engine, "@P@", prog);
    return 0;
}
