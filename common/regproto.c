/*
 * regproto — see regproto.h.
 */
#include "common/regproto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const code_names[RP_NCODES] = {
    "ok", "usage", "invalid", "not_found", "conflict", "exhausted", "permission", "too_long",
    "handshake", "internal", "busy", "full",
};

const char *regproto_code_name(enum regproto_code c)
{
    return (unsigned)c < RP_NCODES ? code_names[c] : "internal";
}

enum regproto_code regproto_code_parse(const char *name)
{
    for (unsigned i = 0; i < RP_NCODES; i++)
        if (strcmp(name, code_names[i]) == 0)
            return (enum regproto_code)i;
    return RP_NCODES;
}

enum regproto_code regproto_code_of(int e)
{
    switch (e) {
    case 0: return RP_OK;
    case LANA_EPARSE:
    case LANA_ERANGE: return RP_INVALID;
    case LANA_ENOTFOUND: return RP_NOT_FOUND;
    case LANA_ECONFLICT: return RP_CONFLICT;
    case LANA_EEXHAUSTED: return RP_EXHAUSTED;
    case LANA_EPERM: return RP_PERMISSION;
    case LANA_ENOSPACE: return RP_TOO_LONG;
    case LANA_EFULL: return RP_FULL;
    default: return RP_INTERNAL;
    }
}

int regproto_split(char *line, char **argv, int max, struct lana_diag *d)
{
    int n = 0;
    char *r = line, *w = line;
    size_t len = strlen(line);
    if (len > 0 && line[len - 1] == '\n')
        line[--len] = '\0';
    if (len > 0 && line[len - 1] == '\r')
        line[--len] = '\0';
    for (;;) {
        while (*r == ' ' || *r == '\t')
            r++;
        if (*r == '\0')
            return n;
        if (n == max)
            return diag_set(d, LANA_EPARSE, "more than %d words", max);
        argv[n++] = w;
        bool quoted = false;
        for (;;) {
            unsigned char c = (unsigned char)*r;
            if (c == '\0') {
                if (quoted)
                    return diag_set(d, LANA_EPARSE, "unterminated quote");
                break;
            }
            if (!quoted && (c == ' ' || c == '\t')) {
                r++;
                break;
            }
            if (c == '"') {
                quoted = !quoted;
                r++;
                continue;
            }
            if (c == '\\' && quoted && (r[1] == '"' || r[1] == '\\')) {
                *w++ = r[1];
                r += 2;
                continue;
            }
            *w++ = (char)c;
            r++;
        }
        /* the write pointer never passes the read pointer, so ending the word cannot
         * overwrite what is still to be read */
        *w++ = '\0';
    }
}

int regproto_append_word(char *buf, size_t cap, size_t len, const char *word)
{
    bool quote = *word == '\0' || strpbrk(word, " \t\"\\") != NULL;
    size_t need = (len ? 1 : 0) + strlen(word) * 2 + (quote ? 2 : 0) + 1;
    if (len + need > cap)
        return LANA_ENOSPACE;
    if (len)
        buf[len++] = ' ';
    if (quote)
        buf[len++] = '"';
    for (const char *p = word; *p; p++) {
        if (quote && (*p == '"' || *p == '\\'))
            buf[len++] = '\\';
        buf[len++] = *p;
    }
    if (quote)
        buf[len++] = '"';
    buf[len] = '\0';
    return (int)len;
}

bool regproto_kv_u32(const char *word, const char *name, uint32_t *v)
{
    size_t n = strlen(name);
    if (strncmp(word, name, n) != 0 || word[n] != '=')
        return false;
    const char *s = word + n + 1;
    if (*s < '0' || *s > '9')
        return false;
    char *end;
    unsigned long long x = strtoull(s, &end, 10);
    if (*end != '\0' || x > UINT32_MAX)
        return false;
    *v = (uint32_t)x;
    return true;
}
