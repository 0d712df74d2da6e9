/*
 * fuzz_dname — any bytes as a name in text form and as a DNS message holding names: parsing
 * must never read out of bounds, and every name accepted must survive wire -> text -> wire
 * and wire -> canonical key -> wire unchanged (the key round trip lowercases).
 */
#include <stdint.h>
#include <string.h>

#include "common/dname.h"
#include "tests/fuzz/fuzz.h"

/* The promises of dname.h for one well-formed wire name of length n. */
static void check_name(const uint8_t *name, int n)
{
    char text[DNAME_TEXT_MAX];
    uint8_t back[DNAME_MAXLEN], key[DNAME_KEY_MAX], lower[DNAME_MAXLEN];
    FUZZ_ASSERT(n > 0 && n <= DNAME_MAXLEN && dname_len(name) == (size_t)n);
    for (const uint8_t *p = name; *p; p += *p + 1)
        FUZZ_ASSERT(*p <= DNAME_LABEL_MAX);
    FUZZ_ASSERT(dname_to_text(name, text, sizeof text) == 0); /* DNAME_TEXT_MAX holds all */
    FUZZ_ASSERT(dname_from_text(text, NULL, back, NULL) == n);
    FUZZ_ASSERT(memcmp(back, name, (size_t)n) == 0);
    size_t klen = dname_key(name, key);
    FUZZ_ASSERT(klen <= DNAME_KEY_MAX && dname_from_key(key, klen, back) == n);
    memcpy(lower, name, (size_t)n);
    dname_lower(lower);
    FUZZ_ASSERT(memcmp(back, lower, (size_t)n) == 0 && dname_equal(name, lower));
    const uint8_t *parent = dname_parent(name);
    FUZZ_ASSERT(parent == NULL || (dname_is_sub(name, parent) && !dname_is_sub(parent, name)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t origin[] = "\3lab";
    char text[2048];
    uint8_t name[DNAME_MAXLEN];

    /* text form: the bytes up to the first NUL, relative to lab. */
    size_t tlen = strnlen((const char *)data, size < sizeof text - 1 ? size : sizeof text - 1);
    memcpy(text, data, tlen);
    text[tlen] = '\0';
    int n = dname_from_text(text, origin, name, NULL);
    FUZZ_ASSERT(n > 0 || n == LANA_EPARSE);
    if (n > 0)
        check_name(name, n);

    /* wire form: the names starting at each of the first offsets of the message */
    for (size_t off = 0; off < size && off < 24; off++) {
        struct rbuf rb;
        rbuf_init(&rb, data, size);
        rb.pos = off;
        n = dname_decode(&rb, name);
        if (n > 0) {
            FUZZ_ASSERT(!rb.err && rb.pos > off && rb.pos <= size);
            check_name(name, n);
        } else {
            FUZZ_ASSERT(n == LANA_EPARSE && rb.err);
        }
    }

    /* arbitrary bytes as a canonical key: accepted keys give names that key back the same */
    uint8_t key[DNAME_KEY_MAX];
    n = dname_from_key(data, size, name);
    if (n > 0) {
        check_name(name, n);
        FUZZ_ASSERT(dname_key(name, key) == size && memcmp(key, data, size) == 0);
    }
    return 0;
}
