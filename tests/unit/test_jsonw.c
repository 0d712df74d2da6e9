/* Unit tests of common/jsonw, the builder on jansson: structure, escapes, and the promise that
 * whatever bytes a caller hands it (text stored before the registry checked it included), the
 * output is valid JSON in ASCII on one line, which jansson reads back, of exactly the size the
 * writer counted for its cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonw.h"
#include "common/text.h"

#define FFFD "\\uFFFD" /* U+FFFD as the text shows it */

/* {"k":v} with the value written by jsonw_strn, as text (valid until the next call) */
static const char *one(const char *v, size_t n)
{
    static struct jsonw j;
    jsonw_free(&j);
    jsonw_obj(&j);
    jsonw_key(&j, "k");
    jsonw_strn(&j, v, n);
    jsonw_end(&j);
    assert_true(jsonw_ok(&j));
    return j.s;
}

static void test_structure_and_commas(void **state)
{
    (void)state;
    struct jsonw j;
    jsonw_init(&j);
    jsonw_obj(&j);
    jsonw_kbool(&j, "ok", true);
    jsonw_key(&j, "a");
    jsonw_arr(&j);
    jsonw_int(&j, INT64_MIN);
    jsonw_null(&j);
    jsonw_str(&j, NULL);
    jsonw_json(&j, "{\"x\":1}");
    jsonw_end(&j);
    jsonw_kint(&j, "n", 42);
    jsonw_end(&j);
    assert_true(jsonw_ok(&j));
    assert_string_equal(j.s, "{\"ok\":true,\"a\":[-9223372036854775808,null,null,{\"x\":1}],"
                             "\"n\":42}");
    jsonw_end(&j); /* one too many: fails rather than writes bad JSON */
    assert_false(jsonw_ok(&j));
    jsonw_free(&j);
}

static void test_escapes_every_control_character(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t n;
        const char *out;
    } cases[] = {
        {"plain", 5, "{\"k\":\"plain\"}"},
        {"q\"b\\", 4, "{\"k\":\"q\\\"b\\\\\"}"},
        {"\n\r\t", 3, "{\"k\":\"\\n\\r\\t\"}"},
        {"\0\x01\x1b\x1f", 4, "{\"k\":\"\\u0000\\u0001\\u001B\\u001F\"}"},
        {"\b\f", 2, "{\"k\":\"\\b\\f\"}"},
        {"\x7f", 1, "{\"k\":\"\x7f\"}"}, /* DEL is ASCII, and drives no terminal */
        {"\xc2\x80\xc2\x9b\xc2\x9f", 6, "{\"k\":\"\\u0080\\u009B\\u009F\"}"}, /* C1 */
        {"\xc2\xa0", 2, "{\"k\":\"\\u00A0\"}"},
        {"\xe2\x80\xa8\xe2\x80\xa9", 6, "{\"k\":\"\\u2028\\u2029\"}"},
        {"Zo\xc3\xab \xf0\x9f\x8c\x8d", 9, "{\"k\":\"Zo\\u00EB \\uD83C\\uDF0D\"}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(one(cases[i].in, cases[i].n), cases[i].out);
}

/* Unicode 15 §3.9, Table 3-8: one U+FFFD per maximal subpart, as the WHATWG decoder does. */
static void test_invalid_utf8_becomes_replacement_characters(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"\xc3\x28", "{\"k\":\"" FFFD "(\"}"},
        {"\x61\xf1\x80\x80\xe1\x80\xc2\x62\x80\x63\x80\xbf\x64",
         "{\"k\":\"a" FFFD FFFD FFFD "b" FFFD "c" FFFD FFFD "d\"}"},
        {"\xed\xa0\x80", "{\"k\":\"" FFFD FFFD FFFD "\"}"},          /* a surrogate */
        {"\xc0\xaf", "{\"k\":\"" FFFD FFFD "\"}"},                   /* overlong '/' */
        {"\xf4\x90\x80\x80", "{\"k\":\"" FFFD FFFD FFFD FFFD "\"}"}, /* above U+10FFFF */
        {"end\xe2\x82", "{\"k\":\"end" FFFD "\"}"},                  /* cut short */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(one(cases[i].in, strlen(cases[i].in)), cases[i].out);
}

static void test_keys_are_escaped_too(void **state)
{
    (void)state;
    struct jsonw j;
    jsonw_init(&j);
    jsonw_obj(&j);
    jsonw_kstr(&j, "a\"\x01\xff", "v");
    jsonw_end(&j);
    assert_string_equal(j.s, "{\"a\\\"\\u0001" FFFD "\":\"v\"}");
    jsonw_free(&j);
}

/* JSON text (a stored audit record, a number formatted elsewhere) is parsed into the value,
 * after bytes that would break the encoding became U+FFFD; text that is not JSON is kept as a
 * string. A jansson value goes in whole. */
static void test_json_text_and_values(void **state)
{
    (void)state;
    struct jsonw j;
    jsonw_init(&j);
    jsonw_arr(&j);
    jsonw_json(&j, "{\"holder\":\"\xc3\x28\",\n\"d\":\"\\u001b\"}");
    jsonw_json(&j, "12.500000");
    jsonw_json(&j, "{not json\xff");
    jsonw_value(&j, json_pack("{s:[i,b]}", "v", 7, 1));
    jsonw_end(&j);
    assert_true(jsonw_ok(&j));
    assert_string_equal(j.s, "[{\"holder\":\"" FFFD "(\",\"d\":\"\\u001B\"},12.5,\"{not json" FFFD
                             "\",{\"v\":[7,true]}]");
    assert_int_equal(j.size, j.len);
    jsonw_free(&j);
}

/* Misuse fails the writer instead of writing bad JSON: a value without its key in an object,
 * a close with a key waiting. */
static void test_misuse_fails(void **state)
{
    (void)state;
    struct jsonw j;
    jsonw_init(&j);
    jsonw_obj(&j);
    jsonw_int(&j, 1);
    assert_false(jsonw_ok(&j));
    jsonw_reset(&j);
    jsonw_obj(&j);
    jsonw_key(&j, "k");
    jsonw_end(&j);
    assert_false(jsonw_ok(&j));
    jsonw_reset(&j);
    jsonw_obj(&j);
    jsonw_kint(&j, "k", 1);
    jsonw_end(&j);
    assert_true(jsonw_ok(&j));
    assert_string_equal(j.s, "{\"k\":1}");
    jsonw_free(&j);
}

/* xorshift64*: the same bytes on every run */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

/*
 * 20,000 random strings, as keys and as values, biased toward the bytes that matter (controls,
 * quotes, lead and continuation bytes, the edges of the valid ranges): the text is always one
 * line of printable ASCII that jansson parses, of the size counted, and a valid input reads
 * back byte for byte.
 */
static void test_any_bytes_give_json_a_reader_parses(void **state)
{
    (void)state;
    static const unsigned char pick[] = {0x00, 0x01, 0x09, 0x0a, 0x0d, 0x1f, 0x20, '"',  '\\', 'a',
                                         0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2,
                                         0xdf, 0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff};
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    unsigned long valid = 0;
    struct jsonw j;
    jsonw_init(&j);
    for (int round = 0; round < 20000; round++) {
        unsigned char s[25];
        size_t n = rnd(&seed) % (sizeof s - 1);
        for (size_t i = 0; i < n; i++) {
            uint64_t r = rnd(&seed);
            s[i] = r & 1 ? pick[(r >> 8) % sizeof pick] : (unsigned char)(r >> 16);
        }
        jsonw_reset(&j);
        jsonw_obj(&j);
        jsonw_key(&j, "k");
        jsonw_strn(&j, (const char *)s, n);
        s[n] = '\0';
        jsonw_key(&j, "m");
        jsonw_obj(&j);
        jsonw_kstr(&j, (const char *)s, "v"); /* up to its first NUL, as a key is */
        jsonw_end(&j);
        jsonw_end(&j);
        assert_true(jsonw_ok(&j));
        assert_int_equal(j.size, j.len); /* the size counted for the cap is exact */
        for (size_t i = 0; i < j.len; i++)
            assert_true((unsigned char)j.s[i] >= 0x20 && (unsigned char)j.s[i] < 0x80);
        assert_null(memchr(j.s, '\n', j.len));
        assert_null(memchr(j.s, '\r', j.len));
        json_error_t e;
        json_t *o = json_loadb(j.s, j.len, JSON_ALLOW_NUL, &e);
        if (o == NULL)
            fail_msg("round %d: %s: %s", round, e.text, j.s);
        json_t *k = json_object_get(o, "k");
        assert_non_null(k);
        if (text_is_utf8((const char *)s, n)) {
            valid++;
            assert_int_equal(json_string_length(k), n);
            assert_memory_equal(json_string_value(k), s, n);
        }
        json_decref(o);
    }
    jsonw_free(&j);
    assert_true(valid > 1000); /* both kinds were tried */
}

/* A capped writer stops at its cap: nothing past it is written, over turns true (a reader
 * walking a table stops there), and a reset keeps the cap but clears over. */
static void test_a_capped_writer_stops_at_its_cap(void **state)
{
    (void)state;
    struct jsonw j;
    jsonw_init(&j);
    jsonw_set_limit(&j, 64);
    jsonw_arr(&j);
    for (int i = 0; i < 1000 && !jsonw_over(&j); i++)
        jsonw_str(&j, "a string of some twenty bytes");
    assert_true(jsonw_over(&j));
    assert_true(j.len <= 64);
    assert_true(jsonw_ok(&j)); /* over is not out of memory */
    jsonw_reset(&j);
    assert_false(jsonw_over(&j));
    jsonw_str(&j, "short");
    assert_false(jsonw_over(&j));
    assert_string_equal(j.s, "\"short\"");
    jsonw_set_limit(&j, 0);
    for (int i = 0; i < 100; i++)
        jsonw_str(&j, "a string of some twenty bytes");
    assert_false(jsonw_over(&j));
    assert_true(j.len > 64 * 10);
    jsonw_free(&j);
}

/* A key written twice: the second value takes the first one's place, and the size counted
 * for the cap stays the text's (a cap it fits under is not reported over). jsonw_string
 * never fails on bad bytes. */
static void test_a_key_written_twice_and_jsonw_string(void **state)
{
    (void)state;
    struct jsonw j;
    jsonw_init(&j);
    jsonw_obj(&j);
    jsonw_kstr(&j, "a", "a long first value");
    jsonw_kint(&j, "a", 1);
    jsonw_end(&j);
    assert_string_equal(j.s, "{\"a\":1}");
    assert_int_equal(j.size, j.len);
    jsonw_reset(&j);
    jsonw_set_limit(&j, 14); /* the text is 13 bytes; counting the replaced member, 19 */
    jsonw_obj(&j);
    jsonw_kstr(&j, "a", "0123");
    jsonw_kint(&j, "a", 1);
    jsonw_kint(&j, "b", 2);
    jsonw_end(&j);
    assert_false(jsonw_over(&j));
    assert_string_equal(j.s, "{\"a\":1,\"b\":2}");
    jsonw_free(&j);
    json_t *v = jsonw_string("x\xffy");
    assert_non_null(v);
    assert_string_equal(json_string_value(v), "x\xef\xbf\xbdy");
    json_decref(v);
    assert_null(jsonw_string(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structure_and_commas),
        cmocka_unit_test(test_escapes_every_control_character),
        cmocka_unit_test(test_invalid_utf8_becomes_replacement_characters),
        cmocka_unit_test(test_keys_are_escaped_too),
        cmocka_unit_test(test_json_text_and_values),
        cmocka_unit_test(test_misuse_fails),
        cmocka_unit_test(test_a_key_written_twice_and_jsonw_string),
        cmocka_unit_test(test_any_bytes_give_json_a_reader_parses),
        cmocka_unit_test(test_a_capped_writer_stops_at_its_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
