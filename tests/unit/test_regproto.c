/* Unit tests of common/regproto, common/auth and common/jsonw: request words, quoting, the
 * handshake proof, JSON text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "common/auth.h"
#include "common/jsonw.h"
#include "common/regproto.h"

static void test_split(void **state)
{
    (void)state;
    char line[] = "block alloc 10.0.0.0/8 /16 --desc \"two words \\\"quoted\\\" \\\\\" --holder x\n";
    char *argv[16];
    int n = regproto_split(line, argv, 16, NULL);
    assert_int_equal(n, 8);
    assert_string_equal(argv[0], "block");
    assert_string_equal(argv[3], "/16");
    assert_string_equal(argv[5], "two words \"quoted\" \\");
    assert_string_equal(argv[7], "x");
    char empty[] = "  a \"\"  b\t";
    assert_int_equal(regproto_split(empty, argv, 16, NULL), 3);
    assert_string_equal(argv[1], "");
    assert_string_equal(argv[2], "b");
    char blank[] = "   \r\n";
    assert_int_equal(regproto_split(blank, argv, 16, NULL), 0);
    struct lana_diag d;
    char bad[] = "a \"open";
    assert_int_equal(regproto_split(bad, argv, 16, &d), LANA_EPARSE);
    assert_string_equal(d.msg, "unterminated quote");
    char many[] = "a b c d";
    assert_int_equal(regproto_split(many, argv, 3, &d), LANA_EPARSE);
    char ctl[] = "a \x01 b"; /* words are not judged here: the registry's text door does */
    assert_int_equal(regproto_split(ctl, argv, 3, &d), 3);
    assert_string_equal(argv[1], "\x01");
}

static void test_quote_round_trip(void **state)
{
    (void)state;
    const char *words[] = {"block", "alloc", "a b", "", "q\"uo\\te", "--desc", "x"};
    char line[256];
    size_t len = 0;
    for (int i = 0; i < 7; i++) {
        int n = regproto_append_word(line, sizeof line, len, words[i]);
        assert_true(n > 0);
        len = (size_t)n;
    }
    assert_string_equal(line, "block alloc \"a b\" \"\" \"q\\\"uo\\\\te\" --desc x");
    char *argv[16];
    assert_int_equal(regproto_split(line, argv, 16, NULL), 7);
    for (int i = 0; i < 7; i++)
        assert_string_equal(argv[i], words[i]);
    char small[8];
    assert_int_equal(regproto_append_word(small, sizeof small, 0, "too long a word"), LANA_ENOSPACE);
}

static void test_kv_and_codes(void **state)
{
    (void)state;
    uint32_t v;
    assert_true(regproto_kv_u32("seq=4294967295", "seq", &v));
    assert_int_equal(v, 4294967295u);
    assert_false(regproto_kv_u32("seq=4294967296", "seq", &v));
    assert_false(regproto_kv_u32("seq=", "seq", &v));
    assert_false(regproto_kv_u32("sequence=1", "seq", &v));
    assert_false(regproto_kv_u32("seq=-1", "seq", &v));
    assert_int_equal(regproto_code_parse("not_found"), RP_NOT_FOUND);
    assert_int_equal(regproto_code_parse("bogus"), RP_NCODES);
    assert_string_equal(regproto_code_name(regproto_code_of(LANA_EEXHAUSTED)), "exhausted");
    assert_string_equal(regproto_code_name(regproto_code_of(LANA_EDB)), "internal");
}

static void test_auth(void **state)
{
    (void)state;
    uint8_t token[AUTH_TOKEN_LEN], key[AUTH_KEY_LEN], proof[AUTH_TOKEN_LEN];
    assert_int_equal(auth_random(token, sizeof token), 0);
    auth_stored_key(token, key);
    auth_proof(token, 1000, 2000, proof);
    assert_true(auth_verify(key, 1000, 2000, proof));
    /* the proof is bound to X and Y: replaying it in another handshake fails */
    assert_false(auth_verify(key, 1000, 2001, proof));
    assert_false(auth_verify(key, 1001, 2000, proof));
    /* the proof is not the token, and another token gives a proof that fails */
    assert_memory_not_equal(proof, token, sizeof token);
    uint8_t other[AUTH_TOKEN_LEN];
    memcpy(other, token, sizeof other);
    other[0] ^= 1;
    auth_proof(other, 1000, 2000, proof);
    assert_false(auth_verify(key, 1000, 2000, proof));
    /* the stored key itself is no token: using it as one fails */
    auth_proof(key, 1000, 2000, proof);
    assert_false(auth_verify(key, 1000, 2000, proof));
    /* known answer: SHA-256 of 32 zero bytes */
    uint8_t zero[AUTH_TOKEN_LEN] = {0};
    char hex[AUTH_HEX_LEN];
    auth_stored_key(zero, key);
    auth_hex(key, sizeof key, hex);
    assert_string_equal(hex, "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925");
    uint8_t back[AUTH_KEY_LEN];
    assert_int_equal(auth_unhex(hex, back, sizeof back), 0);
    assert_memory_equal(back, key, sizeof key);
    char spaced[AUTH_HEX_LEN + 4];
    snprintf(spaced, sizeof spaced, " %s\n", hex);
    assert_int_equal(auth_unhex(spaced, back, sizeof back), 0);
    assert_int_equal(auth_unhex("12", back, sizeof back), LANA_EPARSE);
    hex[5] = 'g';
    assert_int_equal(auth_unhex(hex, back, sizeof back), LANA_EPARSE);
}

static void test_jsonw(void **state)
{
    (void)state;
    struct jsonw j;
    jsonw_init(&j);
    jsonw_obj(&j);
    jsonw_kbool(&j, "ok", true);
    jsonw_kstr(&j, "s", "a\"b\\c\n\x01\x7f é");
    jsonw_key(&j, "list");
    jsonw_arr(&j);
    jsonw_int(&j, -5);
    jsonw_null(&j);
    jsonw_obj(&j);
    jsonw_end(&j);
    jsonw_json(&j, "1.50");
    jsonw_end(&j);
    jsonw_kint(&j, "n", INT64_MAX);
    jsonw_end(&j);
    assert_true(jsonw_ok(&j));
    assert_string_equal(j.s, "{\"ok\":true,\"s\":\"a\\\"b\\\\c\\n\\u0001\x7f \\u00E9\","
                             "\"list\":[-5,null,{},1.5],\"n\":9223372036854775807}");
    jsonw_reset(&j);
    jsonw_end(&j); /* unbalanced: reported, not written */
    assert_false(jsonw_ok(&j));
    jsonw_reset(&j);
    for (int i = 0; i < JSONW_DEPTH + 2; i++)
        jsonw_arr(&j);
    assert_false(jsonw_ok(&j));
    jsonw_free(&j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_quote_round_trip),
        cmocka_unit_test(test_kv_and_codes),
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_jsonw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
