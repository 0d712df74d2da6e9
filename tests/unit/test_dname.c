/* Unit tests of common/dname: text, decompression limits, canonical keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/dname.h"

static const uint8_t root[] = {0};

static void test_dname_text_round_trip_with_escapes(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"www.lab.", "www.lab."},
        {".", "."},
        {"a\\.b.lab.", "a\\.b.lab."},
        {"\\065bc.lab.", "Abc.lab."},
        {"sp\\032ace.lab.", "sp\\032ace.lab."},
        {"web1", "web1."}, /* relative to the root origin */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t w[DNAME_MAXLEN];
        char t[DNAME_TEXT_MAX];
        assert_true(dname_from_text(cases[i].in, root, w, NULL) > 0);
        assert_int_equal(dname_to_text(w, t, sizeof t), 0);
        assert_string_equal(t, cases[i].out);
    }
}

static void test_dname_from_text_applies_origin_and_at(void **state)
{
    (void)state;
    uint8_t origin[DNAME_MAXLEN], w[DNAME_MAXLEN];
    char t[DNAME_TEXT_MAX];
    assert_int_equal(dname_from_text("lab.", NULL, origin, NULL), 5);
    assert_int_equal(dname_from_text("ns1", origin, w, NULL), 9);
    dname_to_text(w, t, sizeof t);
    assert_string_equal(t, "ns1.lab.");
    assert_int_equal(dname_from_text("@", origin, w, NULL), 5);
    assert_true(dname_equal(w, origin));
    assert_int_equal(dname_from_text("ns1", NULL, w, NULL), LANA_EPARSE);
}

static void test_dname_limits_63_octet_labels_and_255_octet_names(void **state)
{
    (void)state;
    char text[600];
    uint8_t w[DNAME_MAXLEN];
    struct lana_diag d;
    /* 63-octet label: fine; 64: refused */
    memset(text, 'a', 63);
    strcpy(text + 63, ".lab.");
    assert_true(dname_from_text(text, NULL, w, NULL) > 0);
    memset(text, 'a', 64);
    strcpy(text + 64, ".lab.");
    assert_int_equal(dname_from_text(text, NULL, w, &d), LANA_EPARSE);
    assert_non_null(strstr(d.msg, "63"));
    /* 4 labels of 63 plus 3 length bytes... exactly 255 octets: 3*(1+63) + (1+61) + 1 */
    size_t p = 0;
    for (int i = 0; i < 3; i++) {
        memset(text + p, 'b', 63);
        p += 63;
        text[p++] = '.';
    }
    memset(text + p, 'c', 61);
    p += 61;
    text[p++] = '.';
    text[p] = '\0';
    assert_int_equal(dname_from_text(text, NULL, w, NULL), 255);
    /* one label more: 257 octets */
    memmove(text + 2, text, p + 1);
    text[0] = 'x';
    text[1] = '.';
    assert_int_equal(dname_from_text(text, NULL, w, &d), LANA_EPARSE);
    assert_non_null(strstr(d.msg, "255"));
    assert_int_equal(dname_from_text("a..b.", NULL, w, NULL), LANA_EPARSE);
    assert_int_equal(dname_from_text("", NULL, w, NULL), LANA_EPARSE);
    assert_int_equal(dname_from_text("bad\\", NULL, w, NULL), LANA_EPARSE);
    assert_int_equal(dname_from_text("bad\\256.", NULL, w, NULL), LANA_EPARSE);
}

static void test_dname_decode_follows_backward_pointers(void **state)
{
    (void)state;
    /* a 12-octet header, then offset 12: "lab." ; offset 17: "www" + pointer to 12 */
    static const uint8_t msg[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'l', 'a', 'b', 0,
                                  3, 'w', 'w', 'w', 0xc0, 0x0c, 0xff};
    struct rbuf rb;
    uint8_t out[DNAME_MAXLEN];
    char t[DNAME_TEXT_MAX];
    rbuf_init(&rb, msg, sizeof msg);
    rb.pos = 17;
    assert_int_equal(dname_decode(&rb, out), 9);
    assert_int_equal(rb.pos, 23); /* the cursor stops after the pointer */
    dname_to_text(out, t, sizeof t);
    assert_string_equal(t, "www.lab.");
}

static void test_dname_decode_refuses_loops_forward_pointers_and_truncation(void **state)
{
    (void)state;
    /* each case follows a 12-octet header: offsets below count from the message start */
    static const uint8_t self_loop[] = {0xc0, 12};
    static const uint8_t forward[] = {0xc0, 14, 1, 'a', 0};
    static const uint8_t pair_loop[] = {1, 'a', 0xc0, 16, 1, 'b', 0xc0, 12};
    static const uint8_t truncated[] = {5, 'a', 'b'};
    static const uint8_t no_end[] = {1, 'a', 1, 'b'};
    static const uint8_t reserved[] = {0x40, 'a', 0};
    static const uint8_t half_pointer[] = {1, 'a', 0xc0};
    struct {
        const uint8_t *m;
        size_t len, start;
    } cases[] = {
        {self_loop, sizeof self_loop, 0}, {forward, sizeof forward, 0},
        {pair_loop, sizeof pair_loop, 4}, {truncated, sizeof truncated, 0},
        {no_end, sizeof no_end, 0},       {reserved, sizeof reserved, 0},
        {half_pointer, sizeof half_pointer, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t msg[DNAME_PTR_MIN + 16] = {0};
        memcpy(msg + DNAME_PTR_MIN, cases[i].m, cases[i].len);
        struct rbuf rb;
        uint8_t out[DNAME_MAXLEN];
        rbuf_init(&rb, msg, DNAME_PTR_MIN + cases[i].len);
        rb.pos = DNAME_PTR_MIN + cases[i].start;
        assert_int_equal(dname_decode(&rb, out), LANA_EPARSE);
        assert_true(rb.err);
    }
}

static void test_dname_decode_refuses_pointers_into_the_header(void **state)
{
    (void)state;
    /* A header whose bytes read as names: id 0x0000 is the root, qdcount 0x0001 at offset 4
     * is a label "\000" then the root. A pointer to any offset below 12 is malformed. */
    uint8_t msg[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x00, 0, 1, 0, 1};
    for (uint8_t target = 0; target < DNAME_PTR_MIN; target++) {
        struct rbuf rb;
        uint8_t out[DNAME_MAXLEN];
        msg[13] = target;
        rbuf_init(&rb, msg, sizeof msg);
        rb.pos = 12;
        assert_int_equal(dname_decode(&rb, out), LANA_EPARSE);
        assert_true(rb.err);
    }
}

static void test_dname_decode_bounds_pointer_chains(void **state)
{
    (void)state;
    /* found by fuzz_dnsmsg's speed: pointers to pointers, each two octets back, cost one step
     * each; thousands of records naming the end of a 32 KiB chain cost seconds per message */
    static uint8_t msg[DNAME_PTR_MIN + 2 * 400 + 1];
    size_t end = DNAME_PTR_MIN;
    msg[end++] = 0; /* the root at offset 12 */
    for (size_t i = 0; i < 400; i++) {
        size_t prev = end - (i == 0 ? 1 : 2);
        msg[end++] = (uint8_t)(0xc0 | prev >> 8);
        msg[end++] = (uint8_t)prev;
    }
    struct rbuf rb;
    uint8_t out[DNAME_MAXLEN];
    rbuf_init(&rb, msg, end);
    rb.pos = end - 2; /* 400 hops */
    assert_int_equal(dname_decode(&rb, out), LANA_EPARSE);
    rbuf_init(&rb, msg, end);
    rb.pos = DNAME_PTR_MIN + 1 + 2 * (DNAME_PTR_HOPS_MAX - 1); /* the longest allowed chain */
    assert_int_equal(dname_decode(&rb, out), 1);
    /* a name of 127 labels, each label followed by a pointer to the one before: 127 hops */
    uint8_t deep[DNAME_PTR_MIN + 1 + 127 * 4] = {0};
    size_t prev = DNAME_PTR_MIN, pos = DNAME_PTR_MIN + 1; /* the root at offset 12 */
    for (int i = 0; i < 127; i++) {
        deep[pos] = 1;
        deep[pos + 1] = 'a';
        deep[pos + 2] = (uint8_t)(0xc0 | prev >> 8);
        deep[pos + 3] = (uint8_t)prev;
        prev = pos;
        pos += 4;
    }
    rbuf_init(&rb, deep, sizeof deep);
    rb.pos = prev;
    assert_int_equal(dname_decode(&rb, out), 255);
}

static void test_dname_decode_refuses_names_over_255_octets_built_by_pointers(void **state)
{
    (void)state;
    /* 5 blocks of a 63-octet label each pointing to the previous block: 320 octets */
    uint8_t msg[400] = {0};
    size_t pos = DNAME_PTR_MIN, prev = 0;
    for (int i = 0; i < 5; i++) {
        size_t here = pos;
        msg[pos++] = 63;
        memset(msg + pos, 'x', 63);
        pos += 63;
        if (i == 0) {
            msg[pos++] = 0;
        } else {
            msg[pos++] = (uint8_t)(0xc0 | (prev >> 8));
            msg[pos++] = (uint8_t)prev;
        }
        prev = here;
    }
    struct rbuf rb;
    uint8_t out[DNAME_MAXLEN];
    rbuf_init(&rb, msg, pos);
    rb.pos = prev;
    assert_int_equal(dname_decode(&rb, out), LANA_EPARSE);
}

static void test_dname_keys_sort_in_canonical_order_and_round_trip(void **state)
{
    (void)state;
    /* RFC 4034 §6.1 example order (case folded), escapes included */
    static const char *const ordered[] = {
        "example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.",
        "zABC.a.EXAMPLE.", "z.example.", "\\001.z.example.", "*.z.example.",
        "\\200.z.example.",
    };
    uint8_t prev[DNAME_KEY_MAX];
    size_t prevlen = 0;
    for (size_t i = 0; i < sizeof ordered / sizeof ordered[0]; i++) {
        uint8_t w[DNAME_MAXLEN], key[DNAME_KEY_MAX], back[DNAME_MAXLEN];
        assert_true(dname_from_text(ordered[i], NULL, w, NULL) > 0);
        size_t klen = dname_key(w, key);
        if (i > 0) {
            size_t n = klen < prevlen ? klen : prevlen;
            int c = memcmp(prev, key, n);
            assert_true(c < 0 || (c == 0 && prevlen < klen));
        }
        int n = dname_from_key(key, klen, back);
        assert_true(n > 0);
        dname_lower(w);
        assert_memory_equal(back, w, (size_t)n);
        memcpy(prev, key, klen);
        prevlen = klen;
    }
    /* A descendant's key starts with its ancestor's key. */
    uint8_t a[DNAME_MAXLEN], b[DNAME_MAXLEN], ka[DNAME_KEY_MAX], kb[DNAME_KEY_MAX];
    dname_from_text("lab.", NULL, a, NULL);
    dname_from_text("x.y.LAB.", NULL, b, NULL);
    size_t la = dname_key(a, ka), lb = dname_key(b, kb);
    assert_true(lb > la);
    assert_memory_equal(ka, kb, la);
    assert_int_equal(dname_from_key((const uint8_t *)"ab", 2, a), LANA_EPARSE);
}

static void test_dname_from_key_refuses_keys_no_name_produces(void **state)
{
    (void)state;
    /* found by fuzz_dname: an upper-case key decoded to a name whose key differs */
    static const struct {
        const char *k;
        size_t len;
    } bad[] = {
        {"lab\0W\0", 6},      /* upper case: dname_key() lowercases */
        {"lab\0\0", 5},       /* an empty label */
        {"lab", 3},            /* no final separator */
        {"a\1\3\0", 4},      /* an escape other than \1\1 and \1\2 */
    };
    uint8_t out[DNAME_MAXLEN], key[DNAME_KEY_MAX];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(dname_from_key((const uint8_t *)bad[i].k, bad[i].len, out), LANA_EPARSE);
    assert_int_equal(dname_from_key((const uint8_t *)"lab\0w\0", 6, out), 7);
    assert_int_equal(dname_key(out, key), 6);
    assert_memory_equal(key, "lab\0w\0", 6);
}

static void test_dname_comparisons_ignore_case(void **state)
{
    (void)state;
    uint8_t a[DNAME_MAXLEN], b[DNAME_MAXLEN], z[DNAME_MAXLEN];
    dname_from_text("WWW.Lab.", NULL, a, NULL);
    dname_from_text("www.lab.", NULL, b, NULL);
    dname_from_text("LAB.", NULL, z, NULL);
    assert_true(dname_equal(a, b));
    assert_true(dname_is_sub(a, z));
    assert_false(dname_is_sub(z, a));
    assert_int_equal(dname_labels(a), 2);
    assert_true(dname_equal(dname_parent(a), z));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dname_text_round_trip_with_escapes),
        cmocka_unit_test(test_dname_from_text_applies_origin_and_at),
        cmocka_unit_test(test_dname_limits_63_octet_labels_and_255_octet_names),
        cmocka_unit_test(test_dname_decode_follows_backward_pointers),
        cmocka_unit_test(test_dname_decode_refuses_loops_forward_pointers_and_truncation),
        cmocka_unit_test(test_dname_decode_refuses_pointers_into_the_header),
        cmocka_unit_test(test_dname_decode_bounds_pointer_chains),
        cmocka_unit_test(test_dname_decode_refuses_names_over_255_octets_built_by_pointers),
        cmocka_unit_test(test_dname_keys_sort_in_canonical_order_and_round_trip),
        cmocka_unit_test(test_dname_from_key_refuses_keys_no_name_produces),
        cmocka_unit_test(test_dname_comparisons_ignore_case),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
