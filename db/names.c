/*
 * names — see names.h: the shared context and the name helpers of names_int.h.
 */
#include "db/names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/audit.h"
#include "db/names_int.h"

int names_open(struct store *st, struct ipam *ip, struct names **out, struct lana_diag *d)
{
    struct names *n = calloc(1, sizeof *n);
    if (n == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    n->st = st;
    n->ip = ip;
    jsonw_init(&n->j);
    *out = n;
    return 0;
}

void names_close(struct names *n)
{
    if (n == NULL)
        return;
    jsonw_free(&n->j);
    free(n);
}

int names__wire(const char *text, uint8_t out[DNAME_MAXLEN], struct lana_diag *d)
{
    static const uint8_t root[1] = {0};
    struct lana_diag e;
    if (dname_from_text(text, root, out, &e) < 0)
        return diag_set(d, LANA_EPARSE, "%s", e.msg);
    dname_lower(out);
    return 0;
}

void names__text(const uint8_t *wire, char out[DNAME_TEXT_MAX])
{
    if (dname_to_text(wire, out, DNAME_TEXT_MAX) < 0)
        memcpy(out, "?", 2);
}

int names__canonical(const char *name, uint8_t wire[DNAME_MAXLEN], char text[DNAME_TEXT_MAX],
                     struct lana_diag *d)
{
    int rc = names__wire(name, wire, d);
    if (rc == 0)
        names__text(wire, text);
    return rc;
}

bool names__is_reverse(const char *name)
{
    size_t l = strlen(name);
    return (l >= 13 && strcmp(name + l - 13, "in-addr.arpa.") == 0) ||
           (l >= 9 && strcmp(name + l - 9, "ip6.arpa.") == 0);
}

int names__audit(struct names *n, const char *actor, const char *action, const char *object,
                 const char *before, const char *after, struct lana_diag *d)
{
    return audit_add(n->st, actor ? actor : "", action, object, before, after, d);
}

void names__copy(char *dst, size_t size, const char *src)
{
    size_t len = src ? strnlen(src, size - 1) : 0;
    memcpy(dst, src ? src : "", len);
    dst[len] = '\0';
}
