/*
 * fuzz_regproto — any bytes as a registry request or handshake line, and as a string put into
 * a JSON reply: splitting must never read or write out of bounds, the words of a line quoted
 * back and split again are the same words, and a reply string stays on one line and reads
 * back (jansson) as the bytes written whenever they are valid UTF-8.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonw.h"
#include "common/regproto.h"
#include "tests/fuzz/fuzz.h"

/* split -> quote -> split gives the same words (the registry's and the client's view agree) */
static void check_split(const uint8_t *data, size_t size)
{
    static char line[REGPROTO_LINE_MAX + 1], joined[4 * REGPROTO_LINE_MAX];
    char *argv[REGPROTO_ARGS_MAX], *argv2[REGPROTO_ARGS_MAX];
    size_t n = size < REGPROTO_LINE_MAX ? size : REGPROTO_LINE_MAX;
    memcpy(line, data, n);
    line[n] = '\0';
    struct lana_diag d;
    int argc = regproto_split(line, argv, REGPROTO_ARGS_MAX, &d);
    if (argc < 0) {
        FUZZ_ASSERT(argc == LANA_EPARSE);
        return;
    }
    int len = 0;
    for (int i = 0; i < argc; i++) {
        len = regproto_append_word(joined, sizeof joined, (size_t)len, argv[i]);
        FUZZ_ASSERT(len >= 0); /* 4 x the line always has room */
    }
    if (argc == 0)
        joined[0] = '\0';
    int argc2 = regproto_split(joined, argv2, REGPROTO_ARGS_MAX, &d);
    FUZZ_ASSERT(argc2 == argc);
    for (int i = 0; i < argc; i++)
        FUZZ_ASSERT(strcmp(argv[i], argv2[i]) == 0);
    /* the handshake's reading of its words: seq=, ack= */
    uint32_t v;
    for (int i = 0; i < argc; i++) {
        FUZZ_ASSERT(!regproto_kv_u32(argv[i], "seq", &v) || strncmp(argv[i], "seq=", 4) == 0);
        regproto_kv_u32(argv[i], "ack", &v);
        enum regproto_code c = regproto_code_parse(argv[i]);
        FUZZ_ASSERT(c == RP_NCODES || strcmp(regproto_code_name(c), argv[i]) == 0);
    }
}

/* a reply object holding the bytes as a string: one line, and jansson reads it back */
static void check_json(const uint8_t *data, size_t size)
{
    struct jsonw j;
    jsonw_init(&j);
    jsonw_obj(&j);
    jsonw_key(&j, "message");
    jsonw_strn(&j, (const char *)data, size);
    jsonw_end(&j);
    if (!jsonw_ok(&j))
        goto out;
    /* one reply is one line */
    FUZZ_ASSERT(memchr(j.s, '\n', j.len) == NULL && memchr(j.s, '\r', j.len) == NULL);
    json_t *utf8 = json_stringn((const char *)data, size); /* NULL unless valid UTF-8 */
    if (utf8 == NULL)
        goto out;
    json_decref(utf8);
    json_error_t je;
    json_t *o = json_loadb(j.s, j.len, JSON_ALLOW_NUL, &je);
    FUZZ_ASSERT(o != NULL);
    json_t *m = json_object_get(o, "message");
    FUZZ_ASSERT(m != NULL && json_string_length(m) == size);
    FUZZ_ASSERT(memcmp(json_string_value(m), data, size) == 0);
    json_decref(o);
out:
    jsonw_free(&j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_split(data, size);
    check_json(data, size);
    return 0;
}
