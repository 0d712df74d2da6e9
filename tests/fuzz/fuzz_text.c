/*
 * fuzz_text — any bytes as a word at the registry's text door and as a string, key or raw
 * JSON put into a reply: text_check never reads past the bytes and accepts exactly the valid
 * UTF-8 without controls (checked against a plain scan by text_utf8_next), text_cut never cuts
 * a character, and the JSON writer's output is always one line of valid UTF-8 that jansson
 * parses, reading back the very bytes written whenever they were valid UTF-8.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonw.h"
#include "common/text.h"
#include "tests/fuzz/fuzz.h"

/* The door's verdict against a scan of the decoder's steps. */
static void check_door(const char *s, size_t n)
{
    bool text = true, utf8 = true;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = text_utf8_next(s + i, n - i, &cp);
        FUZZ_ASSERT(k >= 1 && k <= 4 && k <= n - i);
        if (cp == TEXT_INVALID)
            utf8 = text = false;
        else if (text_is_control(cp))
            text = false;
        i += k;
    }
    struct lana_diag d;
    FUZZ_ASSERT((text_check(s, n, n, 0, "f", &d) == 0) == text);
    FUZZ_ASSERT(text_is_utf8(s, n) == utf8);
    if (n > 0)
        FUZZ_ASSERT(text_check(s, n, n - 1, 0, "f", &d) == LANA_ERANGE);
    for (size_t max = 0; max <= n && max < 16; max++) {
        size_t c = text_cut(s, n, max);
        FUZZ_ASSERT(c <= max);
        if (utf8) /* a valid text is cut between characters only */
            FUZZ_ASSERT(text_is_utf8(s, c) && text_is_utf8(s + c, n - c));
    }
}

static void check_json(const char *s, size_t n)
{
    struct jsonw j;
    jsonw_init(&j);
    char *key = strndup(s, n); /* a key is a C string: up to the first NUL */
    if (key == NULL)
        return;
    jsonw_arr(&j);
    jsonw_strn(&j, s, n);
    jsonw_obj(&j);
    jsonw_kstr(&j, key, "v");
    jsonw_end(&j);
    jsonw_json(&j, "0");
    jsonw_end(&j);
    if (!jsonw_ok(&j))
        goto out;
    FUZZ_ASSERT(text_is_utf8(j.s, j.len));
    FUZZ_ASSERT(memchr(j.s, '\n', j.len) == NULL && memchr(j.s, '\r', j.len) == NULL);
    json_error_t e;
    json_t *a = json_loadb(j.s, j.len, JSON_ALLOW_NUL, &e);
    FUZZ_ASSERT(a != NULL);
    json_t *v = json_array_get(a, 0);
    if (text_is_utf8(s, n))
        FUZZ_ASSERT(json_string_length(v) == n && memcmp(json_string_value(v), s, n) == 0);
    json_decref(a);
    FUZZ_ASSERT(j.size == j.len);
    /* the bytes given as JSON text still leave JSON in ASCII on one line */
    jsonw_reset(&j);
    jsonw_json(&j, key);
    if (jsonw_ok(&j)) {
        for (size_t i = 0; i < j.len; i++)
            FUZZ_ASSERT((unsigned char)j.s[i] >= 0x20 && (unsigned char)j.s[i] < 0x80);
        json_t *t = json_loadb(j.s, j.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
        FUZZ_ASSERT(t != NULL);
        json_decref(t);
    }
out:
    free(key);
    jsonw_free(&j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_door((const char *)data, size);
    check_json((const char *)data, size);
    return 0;
}
