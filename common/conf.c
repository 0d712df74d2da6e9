/*
 * conf — see conf.h.
 */
#include "common/conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/num.h"

static const struct conf_key *find_key(const struct conf_key *keys, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

static void list_clear(struct conf_list *l)
{
    for (unsigned i = 0; i < l->n; i++)
        free(l->v[i]);
    l->n = 0;
}

int conf_set(const struct conf_key *keys, size_t nkeys, void *cfg, const char *key,
             const char *val, int replace_list, struct lana_diag *d)
{
    const struct conf_key *k = find_key(keys, nkeys, key);
    if (k == NULL)
        return diag_set(d, LANA_ENOTFOUND, "unknown key '%.60s'", key);
    int rc;
    if (k->check != NULL && (rc = k->check(val, d)) != 0)
        return rc;
    char *field = (char *)cfg + k->offset;
    switch (k->type) {
    case CONF_STR: {
        char *copy = strdup(val);
        if (copy == NULL)
            return diag_set(d, LANA_ENOMEM, "out of memory");
        char **slot = (char **)(void *)field;
        free(*slot);
        *slot = copy;
        return 0;
    }
    case CONF_UINT: {
        uint64_t v;
        struct lana_diag nd;
        if ((rc = num_parse_u64(val, k->min, k->max, &v, &nd)) != 0)
            return diag_set(d, rc, "%s: %s", k->name, nd.msg);
        memcpy(field, &v, sizeof v);
        return 0;
    }
    case CONF_LIST: {
        struct conf_list *l = (struct conf_list *)(void *)field;
        if (replace_list)
            list_clear(l);
        if (l->n == CONF_LIST_MAX)
            return diag_set(d, LANA_ERANGE, "%s: at most %d values", k->name, CONF_LIST_MAX);
        if ((l->v[l->n] = strdup(val)) == NULL)
            return diag_set(d, LANA_ENOMEM, "out of memory");
        l->n++;
        return 0;
    }
    }
    return LANA_EPARSE;
}

int conf_defaults(const struct conf_key *keys, size_t nkeys, void *cfg)
{
    for (size_t i = 0; i < nkeys; i++) {
        if (keys[i].def == NULL)
            continue;
        struct lana_diag d;
        /* A list default may hold several values separated by spaces. */
        if (keys[i].type == CONF_LIST) {
            char buf[CONF_LINE_MAX];
            int n = snprintf(buf, sizeof buf, "%s", keys[i].def);
            if (n < 0 || (size_t)n >= sizeof buf)
                return LANA_ERANGE;
            int first = 1;
            for (char *t = buf; *t;) {
                char *sp = strchr(t, ' ');
                if (sp != NULL)
                    *sp = '\0';
                if (*t != '\0') {
                    if (conf_set(keys, nkeys, cfg, keys[i].name, t, first, &d) != 0)
                        return LANA_EPARSE;
                    first = 0;
                }
                if (sp == NULL)
                    break;
                t = sp + 1;
            }
        } else if (conf_set(keys, nkeys, cfg, keys[i].name, keys[i].def, 0, &d) != 0) {
            return LANA_EPARSE;
        }
    }
    return 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

int conf_load(const struct conf_key *keys, size_t nkeys, void *cfg, const char *path,
              conf_err_cb *err, void *arg)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        return -errno;
    char line[CONF_LINE_MAX + 2], msg[LANA_DIAG_LEN + 128];
    bool seen[128] = {false};
    unsigned lineno = 0;
    int errors = 0;
    while (fgets(line, sizeof line, fp) != NULL) {
        lineno++;
        struct lana_diag d;
        size_t len = strlen(line);
        if (len > CONF_LINE_MAX) {
            snprintf(msg, sizeof msg, "%s:%u: line longer than %d bytes", path, lineno,
                     CONF_LINE_MAX);
            err(msg, arg);
            errors++;
            int c;
            while ((c = fgetc(fp)) != EOF && c != '\n')
                ;
            continue;
        }
        char *hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        char *s = trim(line);
        if (*s == '\0')
            continue;
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            snprintf(msg, sizeof msg, "%s:%u: expected 'key = value'", path, lineno);
            err(msg, arg);
            errors++;
            continue;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        const struct conf_key *k = find_key(keys, nkeys, key);
        int replace = 0;
        if (k != NULL && k->type == CONF_LIST && (size_t)(k - keys) < sizeof seen) {
            replace = !seen[k - keys];
            seen[k - keys] = true;
        }
        if (conf_set(keys, nkeys, cfg, key, val, replace, &d) != 0) {
            snprintf(msg, sizeof msg, "%s:%u: %s", path, lineno, d.msg);
            err(msg, arg);
            errors++;
        }
    }
    fclose(fp);
    return errors;
}

void conf_fini(const struct conf_key *keys, size_t nkeys, void *cfg)
{
    for (size_t i = 0; i < nkeys; i++) {
        char *field = (char *)cfg + keys[i].offset;
        if (keys[i].type == CONF_STR) {
            char **slot = (char **)(void *)field;
            free(*slot);
            *slot = NULL;
        } else if (keys[i].type == CONF_LIST) {
            list_clear((struct conf_list *)(void *)field);
        }
    }
}
