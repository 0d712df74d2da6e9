/*
 * cmdargs — see cmdargs.h.
 */
#include "server/cmdargs.h"

#include <string.h>

#include "common/text.h"

static const struct cmd_opt *opt_find(const struct cmd_opt *opts, const char *name)
{
    for (const struct cmd_opt *o = opts; o != NULL && o->name != NULL; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

/* The name of option row i, for text_nearest. */
static const char *opt_name(size_t i, void *arg)
{
    return ((const struct cmd_opt *)arg)[i].name;
}

int cmdargs_parse(const struct cmd_opt *opts, int argc, char **argv, int from, struct cmd_args *a,
                  struct lana_diag *d)
{
    memset(a, 0, sizeof *a);
    for (int i = from; i < argc; i++) {
        const char *w = argv[i];
        if (strncmp(w, "--", 2) != 0 || w[2] == '\0') {
            if (a->npos == REGPROTO_ARGS_MAX)
                return diag_set(d, LANA_EPARSE, "too many arguments");
            a->pos[a->npos++] = w;
            continue;
        }
        const struct cmd_opt *o = opt_find(opts, w + 2);
        if (o == NULL) { /* quoted without cutting a character (the reply escapes the rest) */
            size_t n = 0;
            while (opts != NULL && opts[n].name != NULL)
                n++;
            const char *near = text_check(w, strlen(w), 64, 0, NULL, NULL) == 0
                                   ? text_nearest(w + 2, n, opt_name, (void *)opts)
                                   : NULL;
            return diag_set(d, LANA_EPARSE, "%.*s: unknown option here%s%s%s",
                            (int)text_cut(w, strlen(w), 64), w, near ? " (did you mean --" : "",
                            near ? near : "", near ? "?)" : "");
        }
        char *field = (char *)a + o->off;
        if (o->kind == CMDARGS_FLAG) {
            *(bool *)(void *)field = true;
            continue;
        }
        /* the next word is an option, not this one's value (cmdargs.h): "--desc --assign"
         * must not swallow --assign */
        if (i + 1 >= argc || (strncmp(argv[i + 1], "--", 2) == 0 && argv[i + 1][2] != '\0'))
            return diag_set(d, LANA_EPARSE, "%.64s needs a value", w);
        const char *v = argv[++i];
        if (o->kind == CMDARGS_VALUE) {
            *(const char **)(void *)field = v;
            continue;
        }
        if (a->nblocks == CMDARGS_LIST_MAX) /* CMDARGS_LIST: blocks[], counted by nblocks */
            return diag_set(d, LANA_EPARSE, "at most %d %.64s options", CMDARGS_LIST_MAX, w);
        ((const char **)(void *)field)[a->nblocks++] = v;
    }
    return 0;
}
