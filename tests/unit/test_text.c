/* Unit tests of common/text: the UTF-8 decoder against a reference built from the definition
 * (every sequence of up to three bytes, and all four-byte sequences over their significant
 * bytes), the maximal-subpart steps of Unicode §3.9, and text_check's verdicts and messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "common/text.h"

/*
 * The reference: decode by the bit patterns alone, then refuse what RFC 3629 §3 says a
 * decoder must refuse (an overlong form, a surrogate, above U+10FFFF). It only says whether a
 * whole sequence of exactly n bytes is one valid character.
 */
static bool ref_valid(const unsigned char *s, size_t n, uint32_t *cp)
{
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    size_t len = s[0] < 0x80             ? 1
                 : (s[0] & 0xe0) == 0xc0 ? 2
                 : (s[0] & 0xf0) == 0xe0 ? 3
                 : (s[0] & 0xf8) == 0xf0 ? 4
                                         : 0;
    if (len == 0 || len != n)
        return false;
    uint32_t v = len == 1 ? s[0] : s[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return false;
        v = v << 6 | (s[i] & 0x3f);
    }
    if (v < min[len] || (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
        return false;
    *cp = v;
    return true;
}

/* Whether s[0..n) is a string of valid characters by the reference (UTF-8 is prefix-free:
 * the lead byte says how long each one is). */
static bool ref_string(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t len = s[i] < 0x80             ? 1
                     : (s[i] & 0xe0) == 0xc0 ? 2
                     : (s[i] & 0xf0) == 0xe0 ? 3
                     : (s[i] & 0xf8) == 0xf0 ? 4
                                             : 0;
        uint32_t cp;
        if (len == 0 || len > n - i || !ref_valid(s + i, len, &cp))
            return false;
        i += len;
    }
    return true;
}

/* For a sequence of n bytes: decoding it whole must give the reference's verdict. */
static void agree(const unsigned char *s, size_t n)
{
    uint32_t want = 0, got = 0;
    bool valid = ref_valid(s, n, &want);
    size_t k = text_utf8_next((const char *)s, n, &got);
    if (valid && (k != n || got != want))
        fail_msg("%02x %02x %02x %02x (%zu): k=%zu cp=%x, want U+%04X", s[0], n > 1 ? s[1] : 0,
                 n > 2 ? s[2] : 0, n > 3 ? s[3] : 0, n, k, got, want);
    if (!valid && got != TEXT_INVALID && k == n)
        fail_msg("%02x %02x %02x %02x (%zu) accepted as U+%04X", s[0], n > 1 ? s[1] : 0,
                 n > 2 ? s[2] : 0, n > 3 ? s[3] : 0, n, got);
    assert_true(k >= 1 && k <= (n < 4 ? n : 4));
    if (text_is_utf8((const char *)s, n) != ref_string(s, n))
        fail_msg("%02x %02x %02x %02x (%zu): text_is_utf8 disagrees", s[0], n > 1 ? s[1] : 0,
                 n > 2 ? s[2] : 0, n > 3 ? s[3] : 0, n);
}

static void test_decoder_agrees_with_rfc3629_on_every_short_sequence(void **state)
{
    (void)state;
    unsigned char s[4];
    unsigned long accepted = 0;
    for (unsigned a = 0; a < 256; a++) {
        s[0] = (unsigned char)a;
        agree(s, 1);
        for (unsigned b = 0; b < 256; b++) {
            s[1] = (unsigned char)b;
            agree(s, 2);
            for (unsigned c = 0; c < 256; c++) {
                s[2] = (unsigned char)c;
                uint32_t cp;
                agree(s, 3);
                accepted += ref_valid(s, 3, &cp);
            }
        }
    }
    /* U+0800..U+FFFF less the 2048 surrogates: every three-byte character, once */
    assert_int_equal(accepted, 0x10000 - 0x800 - 0x800);
    /* four bytes: every lead and second byte, the last two over their boundary values */
    static const unsigned char tail[] = {0x00, 0x3f, 0x7f, 0x80, 0x8f, 0x90,
                                         0x9f, 0xa0, 0xbf, 0xc0, 0xff};
    for (unsigned a = 0xc0; a < 256; a++)
        for (unsigned b = 0; b < 256; b++)
            for (size_t c = 0; c < sizeof tail; c++)
                for (size_t e = 0; e < sizeof tail; e++) {
                    s[0] = (unsigned char)a, s[1] = (unsigned char)b;
                    s[2] = tail[c], s[3] = tail[e];
                    agree(s, 4);
                }
}

static void test_decoder_bounds_and_code_points(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        uint32_t cp;
    } ok[] = {
        {"\x7f", 0x7f},
        {"\xc2\x80", 0x80},
        {"\xdf\xbf", 0x7ff},
        {"\xe0\xa0\x80", 0x800},
        {"\xed\x9f\xbf", 0xd7ff},
        {"\xee\x80\x80", 0xe000},
        {"\xef\xbf\xbf", 0xffff},
        {"\xf0\x90\x80\x80", 0x10000},
        {"\xf4\x8f\xbf\xbf", 0x10ffff},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint32_t cp;
        size_t n = strlen(ok[i].s);
        assert_int_equal(text_utf8_next(ok[i].s, n, &cp), n);
        assert_int_equal(cp, ok[i].cp);
    }
    /* a sequence is never read past the bytes it is given */
    uint32_t cp;
    assert_int_equal(text_utf8_next("\xf0\x90\x80\x80", 3, &cp), 3);
    assert_int_equal(cp, TEXT_INVALID);
}

/* Unicode 15 §3.9, Table 3-8 and the examples after it: one U+FFFD per maximal subpart. */
static void test_maximal_subparts_as_unicode_says(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        const char *steps; /* the length of each step, 'v' for a valid one, 'x' invalid */
    } cases[] = {
        {"\x61\xf1\x80\x80\xe1\x80\xc2\x62\x80\x63\x80\xbf\x64", "1v3x2x1x1v1x1v1x1x1v"},
        {"\xc0\xaf\xe0\x80\xbf\xf0\x81\x82\x41", "1x1x1x1x1x1x1x1x1v"},
        {"\xed\xa0\x80\xed\xbf\xbf\xed\xaf\x41", "1x1x1x1x1x1x1x1x1v"},
        {"\xf4\x91\x92\x93\xff\x41\x80\xbf\x42", "1x1x1x1x1x1v1x1x1v"},
        {"\xe1\x80\xe2\xf0\x91\x92\xf1\xbf\x41", "2x1x3x2x1v"},
        {"\xf8\x88\x80\x80\x80", "1x1x1x1x1x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *s = cases[i].s, *st = cases[i].steps;
        size_t n = strlen(s), pos = 0;
        for (; pos < n; st += 2) {
            uint32_t cp;
            size_t k = text_utf8_next(s + pos, n - pos, &cp);
            if (st[0] == '\0' || (size_t)(st[0] - '0') != k ||
                (st[1] == 'x') != (cp == TEXT_INVALID))
                fail_msg("case %zu, byte %zu: step %zu %s", i, pos + 1, k,
                         cp == TEXT_INVALID ? "invalid" : "valid");
            pos += k;
        }
        assert_int_equal(*st, '\0');
    }
}

static void test_text_check_verdicts_and_messages(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t len; /* 0: strlen */
        size_t max;
        unsigned flags;
        int rc;
        const char *msg;
    } cases[] = {
        {"RIR-A", 0, 255, 0, 0, NULL},
        {"", 0, 255, 0, 0, NULL},
        {"Zoë's lab \xe2\x80\x94 \xf0\x9f\x8c\x8d", 0, 255, 0, 0, NULL},
        {"\xc3\x28", 0, 255, 0, LANA_EPARSE,
         "--holder: invalid UTF-8 at byte 1 (0xc3: a sequence cut short)"},
        {"ab\xc3", 0, 255, 0, LANA_EPARSE,
         "--holder: invalid UTF-8 at byte 3 (0xc3: a sequence cut short)"},
        {"a\x80", 0, 255, 0, LANA_EPARSE,
         "--holder: invalid UTF-8 at byte 2 (0x80: a continuation byte with no lead byte)"},
        {"\xc0\xaf", 0, 255, 0, LANA_EPARSE,
         "--holder: invalid UTF-8 at byte 1 (0xc0: an overlong form)"},
        {"\xe0\x80\xaf", 0, 255, 0, LANA_EPARSE,
         "--holder: invalid UTF-8 at byte 1 (0xe0: an overlong form)"},
        {"\xf0\x80\x80\xaf", 0, 255, 0, LANA_EPARSE,
         "--holder: invalid UTF-8 at byte 1 (0xf0: an overlong form)"},
        {"x\xed\xa0\x80", 0, 255, 0, LANA_EPARSE,
         "--holder: invalid UTF-8 at byte 2 (0xed: a UTF-16 surrogate)"},
        {"\xf4\x90\x80\x80", 0, 255, 0, LANA_EPARSE,
         "--holder: invalid UTF-8 at byte 1 (0xf4: above U+10FFFF)"},
        {"\xf5\x80\x80\x80", 0, 255, 0, LANA_EPARSE,
         "--holder: invalid UTF-8 at byte 1 (0xf5: a byte UTF-8 never uses)"},
        {"\xff", 0, 255, 0, LANA_EPARSE,
         "--holder: invalid UTF-8 at byte 1 (0xff: a byte UTF-8 never uses)"},
        {"ab\0cd", 5, 255, 0, LANA_EPARSE, "--holder: a NUL byte at byte 3"},
        {"a\tb", 0, 255, 0, LANA_EPARSE, "--holder: control character U+0009 at byte 2"},
        {"a\tb", 0, 255, TEXT_TAB, 0, NULL},
        {"a\rb", 0, 255, TEXT_TAB, LANA_EPARSE, "--holder: control character U+000D at byte 2"},
        {"\x1b[31m", 0, 255, 0, LANA_EPARSE, "--holder: control character U+001B at byte 1"},
        {"del\x7f", 0, 255, 0, LANA_EPARSE, "--holder: control character U+007F at byte 4"},
        {"\xc2\x80", 0, 255, 0, LANA_EPARSE, "--holder: control character U+0080 at byte 1"},
        {"ok\xc2\x9f", 0, 255, 0, LANA_EPARSE, "--holder: control character U+009F at byte 3"},
        {"\xc2\xa0", 0, 255, 0, 0, NULL},     /* U+00A0, the first after C1 */
        {"\xe2\x80\xae", 0, 255, 0, 0, NULL}, /* a format character is not a control */
        {"12345", 0, 5, 0, 0, NULL},
        {"123456", 0, 5, 0, LANA_ERANGE, "--holder: 6 bytes, at most 5"},
        {"\xc3\xa9\xc3\xa9\xc3\xa9", 0, 5, 0, LANA_ERANGE, "--holder: 6 bytes, at most 5"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct lana_diag d = {"untouched"};
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].s);
        int rc = text_check(cases[i].s, len, cases[i].max, cases[i].flags, "--holder", &d);
        if (rc != cases[i].rc)
            fail_msg("case %zu: rc %d, want %d (%s)", i, rc, cases[i].rc, d.msg);
        assert_string_equal(d.msg, cases[i].msg ? cases[i].msg : "untouched");
    }
    struct lana_diag d;
    assert_int_equal(text_check("\x01", 1, 10, 0, NULL, &d), LANA_EPARSE);
    assert_string_equal(d.msg, "text: control character U+0001 at byte 1");
    assert_int_equal(text_check("\x01", 1, 10, 0, NULL, NULL), LANA_EPARSE);
}

static void test_controls_are_c0_del_and_c1_only(void **state)
{
    (void)state;
    for (uint32_t cp = 0; cp < 0x110000; cp++) {
        bool want = cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
        if (text_is_control(cp) != want)
            fail_msg("U+%04X", cp);
    }
}

static void test_cut_never_splits_a_character(void **state)
{
    (void)state;
    const char *s = "ab\xc3\xa9\xe2\x82\xac\xf0\x9f\x8c\x8d"; /* a b é € 🌍: 2+2+3+4 */
    size_t n = strlen(s);
    static const size_t want[] = {0, 1, 2, 2, 4, 4, 4, 7, 7, 7, 7, 11, 11};
    for (size_t max = 0; max <= n + 1; max++)
        assert_int_equal(text_cut(s, n, max), want[max]);
    /* stray bytes may be cut anywhere */
    assert_int_equal(text_cut("\x80\x80\x80", 3, 2), 2);
    assert_int_equal(text_cut("a\xc3", 2, 1), 1);
}

static const char *const names[] = {"pool", "block", "zone", "host", "record", "service",
                                    "whois", "log", "authority", "account", "class"};

static const char *name_at(size_t i, void *arg)
{
    (void)arg;
    return names[i];
}

/* "did you mean": the nearest name within 2 edits (1 for a word of up to 4 bytes), the first
 * of equals, never the word itself, nothing when none is near. */
static void test_nearest_name(void **state)
{
    (void)state;
    size_t n = sizeof names / sizeof names[0];
    assert_string_equal(text_nearest("blok", n, name_at, NULL), "block");
    assert_null(text_nearest("hots", n, name_at, NULL)); /* 2 edits: too many for 4 bytes */
    assert_string_equal(text_nearest("hostt", n, name_at, NULL), "host");
    assert_string_equal(text_nearest("autority", n, name_at, NULL), "authority");
    assert_string_equal(text_nearest("acount", n, name_at, NULL), "account");
    assert_null(text_nearest("frobnicate", n, name_at, NULL));
    assert_null(text_nearest("pool", n, name_at, NULL)); /* itself: never */
    assert_null(text_nearest("", n, name_at, NULL));
    char longw[200];
    memset(longw, 'a', sizeof longw - 1);
    longw[sizeof longw - 1] = '\0';
    assert_null(text_nearest(longw, n, name_at, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decoder_agrees_with_rfc3629_on_every_short_sequence),
        cmocka_unit_test(test_decoder_bounds_and_code_points),
        cmocka_unit_test(test_maximal_subparts_as_unicode_says),
        cmocka_unit_test(test_nearest_name),
        cmocka_unit_test(test_text_check_verdicts_and_messages),
        cmocka_unit_test(test_controls_are_c0_del_and_c1_only),
        cmocka_unit_test(test_cut_never_splits_a_character),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
