/*
 * fuzz_cidr — any bytes as prefix or address text, and as a raw prefix: parsing must never
 * read out of bounds, and parse(format(x)) == x for every prefix accepted or built.
 */
#include <stdint.h>
#include <string.h>

#include "common/cidr.h"
#include "tests/fuzz/fuzz.h"

static bool same(const struct cidr *a, const struct cidr *b)
{
    return a->family == b->family && a->plen == b->plen && memcmp(a->addr, b->addr, 16) == 0;
}

/* format, parse back, compare; then the helpers that must hold for every valid prefix */
static void round_trip(const struct cidr *c)
{
    char text[CIDR_STRLEN], rev[CIDR_REVLEN + 64], size_text[48];
    struct cidr back, first, last;
    FUZZ_ASSERT(cidr_format(c, text, sizeof text) == 0);
    FUZZ_ASSERT(cidr_parse(text, &back, NULL) == 0 && same(c, &back));
    FUZZ_ASSERT(cidr_format_addr(c, text, sizeof text) == 0);
    FUZZ_ASSERT(cidr_parse_addr(text, &back, NULL) == 0);
    FUZZ_ASSERT(memcmp(back.addr, c->addr, 16) == 0 && back.plen == cidr_bits(c));
    cidr_first(c, &first);
    cidr_last(c, &last);
    FUZZ_ASSERT(cidr_is_aligned(c) && cidr_contains(c, &first) && cidr_contains(c, &last));
    FUZZ_ASSERT(cidr_overlaps(c, &last) && memcmp(first.addr, c->addr, 16) == 0);
    FUZZ_ASSERT(cidr_size_minus1(c) == cidr_addr_u128(&last) - cidr_addr_u128(&first));
    FUZZ_ASSERT(cidr_size_format(c, size_text, sizeof size_text) == 0);
    FUZZ_ASSERT(cidr_reverse_name(c, rev, sizeof rev) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[128];
    struct cidr c;
    size_t n = strnlen((const char *)data, size < sizeof text - 1 ? size : sizeof text - 1);
    memcpy(text, data, n);
    text[n] = '\0';
    int rc = cidr_parse(text, &c, NULL);
    FUZZ_ASSERT(rc == 0 || rc == LANA_EPARSE);
    if (rc == 0)
        round_trip(&c);
    rc = cidr_parse_addr(text, &c, NULL);
    FUZZ_ASSERT(rc == 0 || rc == LANA_EPARSE);
    if (rc == 0)
        round_trip(&c);

    /* the raw form: family bit, prefix length, 16 address bytes with the host bits cleared */
    if (size >= 18) {
        memset(&c, 0, sizeof c);
        c.family = (data[0] & 1) ? 6 : 4;
        c.plen = (uint8_t)(data[1] % (cidr_bits(&c) + 1));
        memcpy(c.addr, data + 2, c.family == 4 ? 4 : 16);
        for (unsigned bit = c.plen; bit < cidr_bits(&c); bit++)
            c.addr[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
        round_trip(&c);
    }
    return 0;
}
