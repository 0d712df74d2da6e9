/*
 * jsonw — see jsonw.h. Every byte reaches the buffer through put(); the public writers of
 * caller text (strings, keys, raw JSON) pass theirs through escape() or clean() first, so the
 * buffer only ever holds valid UTF-8 on one line.
 */
#include "common/jsonw.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD in UTF-8 */

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
    j->over = false;
    j->depth = 0;
    j->first[0] = true;
    j->after_key = false;
    if (j->s != NULL)
        j->s[0] = '\0';
}

static bool grow(struct jsonw *j, size_t n)
{
    if (j->oom || j->over)
        return false;
    if (j->limit > 0 && n > j->limit - (j->len < j->limit ? j->len : j->limit)) {
        j->over = true;
        return false;
    }
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

/* Appends bytes as they are: only for bytes this file has made safe. */
static void put(struct jsonw *j, const char *s, size_t n)
{
    if (!grow(j, n))
        return;
    memcpy(j->s + j->len, s, n);
    j->len += n;
    j->s[j->len] = '\0';
}

/*
 * Appends text that is meant to be JSON already (a value built elsewhere, a stored audit
 * record) so that the buffer stays valid UTF-8 on one line whatever it holds: an ill-formed
 * UTF-8 sequence becomes U+FFFD (one per maximal subpart, Unicode §3.9), a tab, CR or LF
 * becomes a space (JSON whitespace between tokens; inside a string it was invalid anyway) and
 * any other control byte becomes U+FFFD.
 */
static void clean(struct jsonw *j, const char *s, size_t n)
{
    size_t run = 0; /* bytes taken as they are, flushed in one go */
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f) {
            run++, i++;
            continue;
        }
        uint32_t cp = c;
        size_t k = c < 0x80 ? 1 : text_utf8_next(s + i, n - i, &cp);
        if (c >= 0x80 && cp != TEXT_INVALID) {
            run += k, i += k;
            continue;
        }
        put(j, s + i - run, run);
        run = 0;
        if (c == '\t' || c == '\n' || c == '\r')
            put(j, " ", 1);
        else
            put(j, REPLACEMENT, 3);
        i += k;
    }
    put(j, s + n - run, run);
}

void jsonw_raw(struct jsonw *j, const char *s, size_t n)
{
    clean(j, s, n);
}

void jsonw_printf(struct jsonw *j, const char *fmt, ...)
{
    char small[256], *buf = small;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        j->oom = true; /* nothing sensible to write: fail rather than write half */
        return;
    }
    if ((size_t)n >= sizeof small) {
        if ((buf = malloc((size_t)n + 1)) == NULL) {
            j->oom = true;
            return;
        }
        va_start(ap, fmt);
        vsnprintf(buf, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    clean(j, buf, (size_t)n);
    if (buf != small)
        free(buf);
}

/* Before a value: a comma unless it is the first at its level or follows a key. */
static void sep(struct jsonw *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (!j->first[j->depth])
        put(j, ",", 1);
    j->first[j->depth] = false;
}

static void open(struct jsonw *j, char c)
{
    sep(j);
    put(j, &c, 1);
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
    put(j, &j->closer[j->depth], 1);
    j->depth--;
}

void jsonw_key(struct jsonw *j, const char *k)
{
    jsonw_str(j, k);
    put(j, ":", 1);
    j->after_key = true;
}

/*
 * RFC 8259 §7: '"', '\\' and the C0 controls must be escaped; we also escape DEL and the C1
 * controls (as \u007f, \u0080..\u009f), so that nothing a reader prints can drive a terminal,
 * and U+2028/U+2029, which end a line for JavaScript. An ill-formed UTF-8 sequence (text stored
 * before the registry checked it) becomes U+FFFD, one per maximal subpart as Unicode §3.9 and
 * the WHATWG decoder do: the reply stays valid JSON, and the reader sees where bytes were lost.
 */
void jsonw_strn(struct jsonw *j, const char *v, size_t n)
{
    sep(j);
    put(j, "\"", 1);
    size_t run = 0; /* bytes copied as they are, flushed in one go */
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)v[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            run++, i++;
            continue;
        }
        uint32_t cp = c;
        size_t k = c < 0x80 ? 1 : text_utf8_next(v + i, n - i, &cp);
        const char *esc = NULL;
        char hex[8];
        switch (cp) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case TEXT_INVALID: esc = REPLACEMENT; break;
        default:
            if (text_is_control(cp) || cp == 0x2028 || cp == 0x2029) {
                snprintf(hex, sizeof hex, "\\u%04x", (unsigned)cp); /* 6 bytes: fits */
                esc = hex;
            }
        }
        if (esc == NULL) {
            run += k, i += k;
            continue;
        }
        put(j, v + i - run, run);
        run = 0;
        put(j, esc, strlen(esc));
        i += k;
    }
    put(j, v + n - run, run);
    put(j, "\"", 1);
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
    put(j, p, (size_t)(buf + sizeof buf - p));
}

void jsonw_bool(struct jsonw *j, bool v)
{
    sep(j);
    put(j, v ? "true" : "false", v ? 4 : 5);
}

void jsonw_null(struct jsonw *j)
{
    sep(j);
    put(j, "null", 4);
}

void jsonw_json(struct jsonw *j, const char *json)
{
    sep(j);
    clean(j, json, strlen(json));
}
