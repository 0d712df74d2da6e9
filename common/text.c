/*
 * text — see text.h. The decoder follows the table of well-formed byte sequences (Unicode 15
 * Table 3-7, the same ranges as RFC 3629 §4): the allowed range of the second byte depends on
 * the first, which is what shuts out overlong forms, surrogates and code points above
 * U+10FFFF without decoding them first.
 */
#include "common/text.h"

#include <string.h>

/* Why a sequence is ill-formed, for the message. */
enum why {
    WHY_NONE,
    WHY_STRAY,    /* a continuation byte where a sequence should start */
    WHY_OVERLONG, /* C0, C1, E0 80..9F, F0 80..8F: a longer form of a shorter sequence */
    WHY_NEVER,    /* F5..FF: never in UTF-8 */
    WHY_SURROGATE,
    WHY_ABOVE, /* F4 90..BF: above U+10FFFF */
    WHY_SHORT, /* a continuation byte is missing (another byte, or the end, came first) */
};

static const char *const why_text[] = {
    [WHY_NONE] = "",
    [WHY_STRAY] = "a continuation byte with no lead byte",
    [WHY_OVERLONG] = "an overlong form",
    [WHY_NEVER] = "a byte UTF-8 never uses",
    [WHY_SURROGATE] = "a UTF-16 surrogate",
    [WHY_ABOVE] = "above U+10FFFF",
    [WHY_SHORT] = "a sequence cut short",
};

static bool cont(unsigned char c)
{
    return (c & 0xc0) == 0x80;
}

static size_t decode(const unsigned char *s, size_t n, uint32_t *cp, enum why *why)
{
    unsigned char c = s[0];
    *cp = TEXT_INVALID;
    *why = WHY_NONE;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v;
    unsigned char lo = 0x80, hi = 0xbf; /* the allowed range of the second byte */
    if (c < 0xc0) {
        *why = WHY_STRAY;
        return 1;
    } else if (c < 0xc2) {
        *why = WHY_OVERLONG;
        return 1;
    } else if (c < 0xe0) {
        len = 2, v = c & 0x1f;
    } else if (c < 0xf0) {
        len = 3, v = c & 0x0f;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c < 0xf5) {
        len = 4, v = c & 0x07;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else {
        *why = WHY_NEVER;
        return 1;
    }
    for (size_t i = 1; i < len; i++) {
        unsigned char b = i < n ? s[i] : 0;
        if (i == 1 && i < n && cont(b) && (b < lo || b > hi)) {
            *why = c == 0xed ? WHY_SURROGATE : c == 0xf4 ? WHY_ABOVE : WHY_OVERLONG;
            return 1;
        }
        if (i >= n || !cont(b)) {
            *why = WHY_SHORT;
            return i; /* the lead and the continuation bytes that fit: the maximal subpart */
        }
        v = v << 6 | (b & 0x3f);
    }
    *cp = v;
    return len;
}

size_t text_utf8_next(const char *s, size_t n, uint32_t *cp)
{
    enum why why;
    return decode((const unsigned char *)s, n, cp, &why);
}

bool text_is_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x80) { /* the common case, without a call */
            i++;
            continue;
        }
        uint32_t cp;
        enum why why;
        i += decode(p + i, n - i, &cp, &why);
        if (cp == TEXT_INVALID)
            return false;
    }
    return true;
}

int text_check(const char *s, size_t len, size_t max, unsigned flags, const char *field,
               struct lana_diag *d)
{
    const unsigned char *p = (const unsigned char *)s;
    if (field == NULL)
        field = "text";
    if (len > max)
        return diag_set(d, LANA_ERANGE, "%s: %zu bytes, at most %zu", field, len, max);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        enum why why;
        size_t k = decode(p + i, len - i, &cp, &why);
        if (cp == TEXT_INVALID)
            return diag_set(d, LANA_EPARSE, "%s: invalid UTF-8 at byte %zu (0x%02x: %s)", field,
                            i + 1, p[i], why_text[why]);
        if (cp == 0)
            return diag_set(d, LANA_EPARSE, "%s: a NUL byte at byte %zu", field, i + 1);
        if (text_is_control(cp) && !(cp == '\t' && (flags & TEXT_TAB)))
            return diag_set(d, LANA_EPARSE, "%s: control character U+%04X at byte %zu", field,
                            (unsigned)cp, i + 1);
        i += k;
    }
    return 0;
}

size_t text_cut(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    size_t i = 0;
    while (i < max) {
        uint32_t cp;
        size_t k = text_utf8_next(s + i, n - i, &cp);
        if (cp != TEXT_INVALID && i + k > max)
            break; /* a whole character that does not fit: stop before it */
        if (cp == TEXT_INVALID)
            k = 1; /* stray bytes are cut anywhere; the JSON writer replaces them */
        i += k;
    }
    return i;
}

/* Edit distance of a and b, or more than max (max + 1) once it is sure to be: the words of
 * a command line are short, the rows two of at most 64 + 1 entries. */
static size_t edits(const char *a, const char *b, size_t max)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64 || (la > lb ? la - lb : lb - la) > max)
        return max + 1;
    size_t row[65], prev[65];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        row[0] = i;
        size_t best = row[0];
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = row[j - 1] + 1;
            row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            if (row[j] < best)
                best = row[j];
        }
        if (best > max)
            return max + 1;
        memcpy(prev, row, (lb + 1) * sizeof row[0]);
    }
    return prev[lb];
}

const char *text_nearest(const char *word, size_t n, text_name_fn *name, void *arg)
{
    size_t max = strlen(word) <= 4 ? 1 : 2, best = max + 1;
    const char *found = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *c = name(i, arg);
        if (c == NULL || strcmp(c, word) == 0)
            continue;
        size_t e = edits(word, c, max);
        if (e < best) {
            best = e;
            found = c;
        }
    }
    return found;
}
