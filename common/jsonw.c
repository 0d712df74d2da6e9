/*
 * jsonw — see jsonw.h. Values are jansson's; jsonw keeps the stack of open containers, the
 * key waiting for its value, and the exact size the text will have (so that a capped writer
 * stops where the text would pass its cap, before it is dumped). Caller text reaches jansson
 * only through utf8_fix(): jansson is handed valid UTF-8 and never has to refuse a string.
 */
#include "common/jsonw.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD in UTF-8 */
/* The one way text is written: compact, ASCII only (every control character, U+2028/2029 and
 * whatever else is not ASCII as \u escapes), reals with up to 15 significant digits. */
#define DUMP_FLAGS (JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15))

void jsonw_init(struct jsonw *j)
{
    memset(j, 0, sizeof *j);
    j->first[0] = true;
}

/* Drops the values being built (the outermost owns the others). */
static void drop_open(struct jsonw *j)
{
    if (j->depth > 0)
        json_decref(j->open[0]);
    memset(j->open, 0, sizeof j->open);
    j->depth = 0;
}

void jsonw_free(struct jsonw *j)
{
    drop_open(j);
    free(j->s);
    free(j->key);
    jsonw_init(j);
}

void jsonw_reset(struct jsonw *j)
{
    drop_open(j);
    j->len = 0;
    j->size = 0;
    j->oom = false;
    j->over = false;
    j->have_key = false;
    j->first[0] = true;
    if (j->s != NULL)
        j->s[0] = '\0';
}

/*
 * The bytes jansson writes for the string s (n bytes of valid UTF-8) with DUMP_FLAGS,
 * quotes included: two for '"', '\\' and the five controls with a short escape, six for any
 * other control and every other character outside ASCII, twelve above U+FFFF (a surrogate
 * pair), one for the rest of ASCII (DEL included: jansson leaves it as it is).
 */
static size_t dumped_size(const char *s, size_t n)
{
    size_t size = 2;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' ||
                c == '\t')
                size += 2;
            else
                size += c < 0x20 ? 6 : 1;
            i++;
            continue;
        }
        uint32_t cp;
        i += text_utf8_next(s + i, n - i, &cp);
        size += cp > 0xffff ? 12 : 6;
    }
    return size;
}

/*
 * s (n bytes) as valid UTF-8: s itself when it is (*fixed NULL), else a copy in *fixed (to
 * free) where every ill-formed sequence became U+FFFD, one per maximal subpart (Unicode
 * §3.9, as the WHATWG decoder does): the reader sees where bytes were lost. false: no memory.
 */
static bool utf8_fix(const char *s, size_t n, char **fixed, size_t *fixed_n)
{
    *fixed = NULL;
    if (text_is_utf8(s, n))
        return true;
    char *out = malloc(n * 3 + 1); /* one byte at worst becomes three */
    if (out == NULL)
        return false;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp = (unsigned char)s[i];
        size_t k = cp < 0x80 ? 1 : text_utf8_next(s + i, n - i, &cp);
        if (cp == TEXT_INVALID) {
            memcpy(out + o, REPLACEMENT, 3);
            o += 3;
        } else {
            memcpy(out + o, s + i, k);
            o += k;
        }
        i += k;
    }
    out[o] = '\0';
    *fixed = out;
    *fixed_n = o;
    return true;
}

/* Appends the dumped text of a completed outermost value (a comma before all but the first,
 * as a sequence of values on one line). Its size is known (size counts every byte the text
 * will have), so jansson dumps it once, straight into the buffer. */
static void emit(struct jsonw *j, json_t *v)
{
    size_t need = j->size - j->len;
    for (int pass = 0; pass < 2; pass++) {
        if (need == 0 || need > SIZE_MAX / 4 - j->len) {
            j->oom = true;
            return;
        }
        if (j->cap < j->len + need + 1) {
            size_t cap = j->cap ? j->cap : 256;
            while (cap < j->len + need + 1)
                cap *= 2;
            char *s = realloc(j->s, cap);
            if (s == NULL) {
                j->oom = true;
                return;
            }
            j->s = s;
            j->cap = cap;
        }
        size_t comma = j->len > 0 ? 1 : 0;
        if (comma)
            j->s[j->len] = ',';
        size_t got = json_dumpb(v, j->s + j->len + comma, need - comma, DUMP_FLAGS);
        if (got == need - comma) {
            j->len += need;
            j->s[j->len] = '\0';
            return;
        }
        need = got + comma; /* counted wrong (a bug, not the input): take jansson's size */
    }
    j->oom = true;
}

/*
 * Adds v (its reference taken; NULL means out of memory) of `size` dumped bytes where the
 * writer stands: into the open container under the waiting key or at the end, or as an
 * outermost value. A container is then open. Past the cap, or after a failure, v is dropped
 * (a container is still counted open, as NULL, so that the closes stay paired).
 */
static void add(struct jsonw *j, json_t *v, size_t size, bool container)
{
    json_t *parent = j->depth > 0 ? j->open[j->depth - 1] : NULL;
    bool in_object = parent != NULL && json_is_object(parent);
    if (v == NULL)
        j->oom = true;
    if (in_object && !j->have_key)
        j->oom = true; /* a value without its key: fail rather than write bad JSON */
    if (container && j->depth + 1 >= JSONW_DEPTH)
        j->oom = true; /* deeper than this writer allows */
    size_t more = size + (j->first[j->depth] ? 0 : 1);
    if (in_object && j->have_key)
        more += dumped_size(j->key, strlen(j->key)) + 1;
    json_t *old = in_object && j->have_key ? json_object_get(parent, j->key) : NULL;
    if (old != NULL) /* a key written twice: the new value takes the old one's place */
        more = size;
    j->first[j->depth] = false;
    if (!j->oom && !j->over && j->limit > 0 && more > j->limit - (j->size < j->limit ? j->size : j->limit))
        j->over = true;
    j->size += more;
    if (old != NULL)
        j->size -= json_dumpb(old, NULL, 0, DUMP_FLAGS);
    bool keep = !j->oom && !j->over && (j->depth == 0 || parent != NULL);
    if (keep && parent != NULL) {
        int rc = in_object ? json_object_set_new_nocheck(parent, j->key, v)
                           : json_array_append_new(parent, v);
        if (rc != 0) {
            j->oom = true;
            keep = false; /* jansson has released v */
        }
    } else if (!keep) {
        json_decref(v);
    }
    j->have_key = false;
    if (container) {
        if (j->depth + 1 < JSONW_DEPTH) {
            j->open[j->depth++] = keep ? v : NULL;
            j->first[j->depth] = true;
        }
        return;
    }
    if (keep && j->depth == 0) {
        emit(j, v);
        json_decref(v);
    }
}

void jsonw_obj(struct jsonw *j) { add(j, json_object(), 2, true); }
void jsonw_arr(struct jsonw *j) { add(j, json_array(), 2, true); }

void jsonw_end(struct jsonw *j)
{
    if (j->depth == 0 || j->have_key) {
        j->oom = true; /* one close too many, or a key without its value */
        return;
    }
    json_t *v = j->open[--j->depth];
    j->open[j->depth] = NULL;
    if (j->depth == 0 && v != NULL) {
        if (!j->oom && !j->over)
            emit(j, v);
        json_decref(v);
    }
}

void jsonw_key(struct jsonw *j, const char *k)
{
    char *fixed;
    size_t n = strlen(k);
    if (!utf8_fix(k, n, &fixed, &n)) {
        j->oom = true;
        return;
    }
    const char *src = fixed ? fixed : k;
    if (j->keycap < n + 1) {
        char *key = realloc(j->key, n + 1);
        if (key == NULL) {
            free(fixed);
            j->oom = true;
            return;
        }
        j->key = key;
        j->keycap = n + 1;
    }
    memcpy(j->key, src, n + 1);
    free(fixed);
    j->have_key = true;
}

void jsonw_strn(struct jsonw *j, const char *v, size_t n)
{
    char *fixed;
    if (!utf8_fix(v, n, &fixed, &n)) {
        j->oom = true;
        return;
    }
    const char *src = fixed ? fixed : v;
    add(j, json_stringn_nocheck(src, n), dumped_size(src, n), false);
    free(fixed);
}

void jsonw_str(struct jsonw *j, const char *v)
{
    if (v == NULL)
        jsonw_null(j);
    else
        jsonw_strn(j, v, strlen(v));
}

void jsonw_int(struct jsonw *j, int64_t v)
{
    size_t digits = v < 0 ? 2 : 1;
    for (uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v; u >= 10; u /= 10)
        digits++;
    add(j, json_integer((json_int_t)v), digits, false);
}

void jsonw_bool(struct jsonw *j, bool v) { add(j, json_boolean(v), v ? 4 : 5, false); }
void jsonw_null(struct jsonw *j) { add(j, json_null(), 4, false); }

/* Added whole: an object or array given here is not left open for more. */
void jsonw_value(struct jsonw *j, json_t *v)
{
    add(j, v, v != NULL ? json_dumpb(v, NULL, 0, DUMP_FLAGS) : 0, false);
}

json_t *jsonw_string(const char *s)
{
    if (s == NULL)
        return NULL;
    char *fixed;
    size_t n = strlen(s);
    if (!utf8_fix(s, n, &fixed, &n))
        return NULL;
    json_t *v = json_stringn_nocheck(fixed ? fixed : s, n);
    free(fixed);
    return v;
}

void jsonw_json(struct jsonw *j, const char *json)
{
    char *fixed;
    size_t n = strlen(json);
    if (!utf8_fix(json, n, &fixed, &n)) {
        j->oom = true;
        return;
    }
    const char *src = fixed ? fixed : json;
    json_t *v = json_loadb(src, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (v == NULL) /* not JSON after all: kept as text */
        v = json_stringn_nocheck(src, n);
    free(fixed);
    jsonw_value(j, v);
}
