/*
 * jsonw — see jsonw.h.
 */
#include "common/jsonw.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jsonw_init(struct jsonw *j)
{
    memset(j, 0, sizeof *j);
    j->first[0] = true;
}

void jsonw_free(struct jsonw *j)
{
    free(j->s);
    jsonw_init(j);
}

void jsonw_reset(struct jsonw *j)
{
    j->len = 0;
    j->oom = false;
    j->depth = 0;
    j->first[0] = true;
    j->after_key = false;
    if (j->s != NULL)
        j->s[0] = '\0';
}

static bool grow(struct jsonw *j, size_t n)
{
    if (j->oom)
        return false;
    if (j->cap - j->len > n)
        return true;
    size_t cap = j->cap ? j->cap : 256;
    while (cap - j->len <= n) {
        if (cap > SIZE_MAX / 2) {
            j->oom = true;
            return false;
        }
        cap *= 2;
    }
    char *s = realloc(j->s, cap);
    if (s == NULL) {
        j->oom = true;
        return false;
    }
    j->s = s;
    j->cap = cap;
    return true;
}

void jsonw_raw(struct jsonw *j, const char *s, size_t n)
{
    if (!grow(j, n))
        return;
    memcpy(j->s + j->len, s, n);
    j->len += n;
    j->s[j->len] = '\0';
}

void jsonw_printf(struct jsonw *j, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !grow(j, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(j->s + j->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    j->len += (size_t)n;
}

/* Before a value: a comma unless it is the first at its level or follows a key. */
static void sep(struct jsonw *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (!j->first[j->depth])
        jsonw_raw(j, ",", 1);
    j->first[j->depth] = false;
}

static void open(struct jsonw *j, char c)
{
    sep(j);
    jsonw_raw(j, &c, 1);
    if (j->depth + 1 >= JSONW_DEPTH) {
        j->oom = true; /* deeper than this writer allows: fail rather than write bad JSON */
        return;
    }
    j->depth++;
    j->first[j->depth] = true;
    j->closer[j->depth] = c == '{' ? '}' : ']';
}

void jsonw_obj(struct jsonw *j) { open(j, '{'); }
void jsonw_arr(struct jsonw *j) { open(j, '['); }

void jsonw_end(struct jsonw *j)
{
    if (j->depth == 0) {
        j->oom = true;
        return;
    }
    jsonw_raw(j, &j->closer[j->depth], 1);
    j->depth--;
}

void jsonw_key(struct jsonw *j, const char *k)
{
    jsonw_str(j, k);
    jsonw_raw(j, ":", 1);
    j->after_key = true;
}

void jsonw_strn(struct jsonw *j, const char *v, size_t n)
{
    sep(j);
    jsonw_raw(j, "\"", 1);
    size_t run = 0; /* bytes copied as they are, flushed in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        const char *esc = NULL;
        char hex[8];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if (c < 0x20 || c == 0x7f) {
                snprintf(hex, sizeof hex, "\\u%04x", c);
                esc = hex;
            }
        }
        if (esc == NULL) {
            run++;
            continue;
        }
        jsonw_raw(j, v + i - run, run);
        run = 0;
        jsonw_raw(j, esc, strlen(esc));
    }
    jsonw_raw(j, v + n - run, run);
    jsonw_raw(j, "\"", 1);
}

void jsonw_str(struct jsonw *j, const char *v)
{
    if (v == NULL) {
        jsonw_null(j);
        return;
    }
    jsonw_strn(j, v, strlen(v));
}

void jsonw_int(struct jsonw *j, int64_t v)
{
    sep(j);
    char buf[24], *p = buf + sizeof buf;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v; /* INT64_MIN too */
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    if (v < 0)
        *--p = '-';
    jsonw_raw(j, p, (size_t)(buf + sizeof buf - p));
}

void jsonw_bool(struct jsonw *j, bool v)
{
    sep(j);
    jsonw_raw(j, v ? "true" : "false", v ? 4 : 5);
}

void jsonw_null(struct jsonw *j)
{
    sep(j);
    jsonw_raw(j, "null", 4);
}

void jsonw_json(struct jsonw *j, const char *json)
{
    sep(j);
    jsonw_raw(j, json, strlen(json));
}
