/*
 * fuzz_tokfile — any bytes as a token file's text (what lana reads from a file or from
 * LANA_TOKEN): parsing never reads out of bounds, and every accepted file formats back to a
 * text that parses to the same contents.
 */
#include <stdint.h>
#include <string.h>

#include "common/tokfile.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[TOKFILE_TEXT_MAX * 2];
    size_t n = strnlen((const char *)data, size < sizeof text - 1 ? size : sizeof text - 1);
    memcpy(text, data, n);
    text[n] = '\0';
    struct tokfile t, back;
    struct lana_diag d;
    int rc = tokfile_parse(text, &t, &d);
    FUZZ_ASSERT(rc == 0 || rc == LANA_EPARSE);
    if (rc == 0) {
        char out[TOKFILE_TEXT_MAX];
        FUZZ_ASSERT(tokfile_format(&t, out, sizeof out) > 0);
        FUZZ_ASSERT(tokfile_parse(out, &back, NULL) == 0);
        FUZZ_ASSERT(memcmp(&t, &back, sizeof t) == 0);
    }
    uint8_t pin[TOKFILE_PIN_LEN];
    rc = tokfile_parse_pin(text, pin);
    FUZZ_ASSERT(rc == 0 || rc == LANA_EPARSE);
    return 0;
}
