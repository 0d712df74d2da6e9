/* Unit tests of common/tsig: RFC 8945 signatures, checked against bytes dnspython made. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/dnsmsg.h"
#include "common/tsig.h"

#define T0 1700000000u

/* dnspython 2.3: make_query("lab.", "AXFR"), id 0x1234, flags 0, signed at T0 with
 * key.example. (hmac-sha256, secret bytes 0..31), fudge 300 */
static const uint8_t kat_req[] = {
    0x12, 0x34, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x6c, 0x61,
    0x62, 0x00, 0x00, 0xfc, 0x00, 0x01, 0x03, 0x6b, 0x65, 0x79, 0x07, 0x65, 0x78, 0x61, 0x6d,
    0x70, 0x6c, 0x65, 0x00, 0x00, 0xfa, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3d, 0x0b,
    0x68, 0x6d, 0x61, 0x63, 0x2d, 0x73, 0x68, 0x61, 0x32, 0x35, 0x36, 0x00, 0x00, 0x00, 0x65,
    0x53, 0xf1, 0x00, 0x01, 0x2c, 0x00, 0x20, 0xb4, 0xfd, 0x63, 0xdd, 0x0a, 0x20, 0xd9, 0x0f,
    0xa1, 0x6f, 0xf8, 0xb9, 0x00, 0x66, 0xcf, 0x45, 0xa8, 0x03, 0xeb, 0xdf, 0xad, 0x5c, 0x43,
    0xdb, 0x45, 0x54, 0xab, 0x26, 0x96, 0xe7, 0xbd, 0xbf, 0x12, 0x34, 0x00, 0x00, 0x00, 0x00};
/* its response (make_response, AA set), signed by dnspython at T0; the TSIG record at 21 */
static const uint8_t kat_resp[] = {
    0x12, 0x34, 0x84, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x6c, 0x61,
    0x62, 0x00, 0x00, 0xfc, 0x00, 0x01, 0x03, 0x6b, 0x65, 0x79, 0x07, 0x65, 0x78, 0x61, 0x6d,
    0x70, 0x6c, 0x65, 0x00, 0x00, 0xfa, 0x00, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3d, 0x0b,
    0x68, 0x6d, 0x61, 0x63, 0x2d, 0x73, 0x68, 0x61, 0x32, 0x35, 0x36, 0x00, 0x00, 0x00, 0x65,
    0x53, 0xf1, 0x00, 0x01, 0x2c, 0x00, 0x20, 0x7e, 0xb0, 0xc1, 0x11, 0xcc, 0xd5, 0xaa, 0xcf,
    0x1e, 0x34, 0x21, 0x7a, 0xab, 0x6c, 0x23, 0xc4, 0xd5, 0xf0, 0xe9, 0xb7, 0xa6, 0x18, 0x70,
    0x71, 0x74, 0x53, 0x39, 0x15, 0xba, 0xe6, 0x59, 0x3d, 0x12, 0x34, 0x00, 0x00, 0x00, 0x00};
#define KAT_TSIG_OFF 21

struct keys {
    struct tsig_key k[2];
    unsigned n;
    int lookups;
};

static int lookup(const uint8_t *name, struct tsig_key *out, void *arg)
{
    struct keys *ks = arg;
    ks->lookups++;
    for (unsigned i = 0; i < ks->n; i++)
        if (dname_equal(ks->k[i].name, name)) {
            *out = ks->k[i];
            return 1;
        }
    return 0;
}

static void make_key(struct tsig_key *k, const char *name, enum tsig_alg alg, uint8_t fill)
{
    struct lana_diag d;
    memset(k, 0, sizeof *k);
    assert_true(dname_from_text(name, NULL, k->name, &d) > 0);
    k->alg = alg;
    k->secret_len = 32;
    for (size_t i = 0; i < 32; i++)
        k->secret[i] = (uint8_t)(fill + i);
}

static struct keys kat_keys(void)
{
    struct keys ks = {.n = 1};
    make_key(&ks.k[0], "key.example.", TSIG_HMAC_SHA256, 0);
    return ks;
}

static void test_tsig_verifies_and_signs_like_dnspython(void **state)
{
    (void)state;
    struct keys ks = kat_keys();
    struct tsig_ctx ctx;
    struct dnsmsg_query q;
    assert_int_equal(dnsmsg_parse_query(kat_req, sizeof kat_req, &q), DNSMSG_OK);
    assert_int_equal(q.tsig_off, KAT_TSIG_OFF);
    assert_int_equal(tsig_verify(kat_req, sizeof kat_req, q.tsig_off, T0 + 10, lookup, &ks, NULL,
                                 &ctx),
                     TSIG_VALID);
    /* the answer, unsigned, then signed by us: the very bytes dnspython signed */
    uint8_t msg[512];
    memcpy(msg, kat_resp, KAT_TSIG_OFF);
    msg[11] = 0;
    size_t len = KAT_TSIG_OFF;
    assert_int_equal(tsig_sign(&ctx, msg, &len, sizeof msg, T0), 0);
    assert_int_equal(len, sizeof kat_resp);
    assert_memory_equal(msg, kat_resp, sizeof kat_resp);
}

static void test_tsig_refuses_changed_bytes_and_wrong_secret(void **state)
{
    (void)state;
    struct keys ks = kat_keys();
    struct tsig_ctx ctx;
    uint8_t pkt[sizeof kat_req];
    memcpy(pkt, kat_req, sizeof pkt);
    pkt[14] ^= 0x20; /* "lAb.": the MAC covers the bytes as sent */
    assert_int_equal(tsig_verify(pkt, sizeof pkt, KAT_TSIG_OFF, T0, lookup, &ks, NULL, &ctx),
                     TSIG_REFUSE);
    assert_int_equal(ctx.error, TSIG_BADSIG);
    ks.k[0].secret[0] ^= 1;
    assert_int_equal(tsig_verify(kat_req, sizeof kat_req, KAT_TSIG_OFF, T0, lookup, &ks, NULL, &ctx),
                     TSIG_REFUSE);
    assert_int_equal(ctx.error, TSIG_BADSIG);
    /* BADSIG is answered unsigned (RFC 8945 §5.3.2): MAC size 0 */
    uint8_t msg[512];
    memcpy(msg, kat_resp, KAT_TSIG_OFF);
    msg[11] = 0;
    size_t len = KAT_TSIG_OFF;
    assert_int_equal(tsig_sign(&ctx, msg, &len, sizeof msg, T0), 0);
    size_t mac_size_at = KAT_TSIG_OFF + 13 + 10 + 13 + 8;
    assert_int_equal(msg[mac_size_at] << 8 | msg[mac_size_at + 1], 0);
    assert_int_equal(msg[mac_size_at + 4] << 8 | msg[mac_size_at + 5], TSIG_BADSIG);
    assert_int_equal(msg[11], 1);
}

static void test_tsig_unknown_key_or_algorithm_is_badkey(void **state)
{
    (void)state;
    struct keys ks = {.n = 1};
    struct tsig_ctx ctx;
    make_key(&ks.k[0], "other.example.", TSIG_HMAC_SHA256, 0);
    assert_int_equal(tsig_verify(kat_req, sizeof kat_req, KAT_TSIG_OFF, T0, lookup, &ks, NULL, &ctx),
                     TSIG_REFUSE);
    assert_int_equal(ctx.error, TSIG_BADKEY);
    ks = kat_keys();
    ks.k[0].alg = TSIG_HMAC_SHA512; /* the name known, for another algorithm */
    assert_int_equal(tsig_verify(kat_req, sizeof kat_req, KAT_TSIG_OFF, T0, lookup, &ks, NULL, &ctx),
                     TSIG_REFUSE);
    assert_int_equal(ctx.error, TSIG_BADKEY);
}

static void test_tsig_badtime_is_signed_with_our_time(void **state)
{
    (void)state;
    struct keys ks = kat_keys();
    struct tsig_ctx ctx;
    assert_int_equal(tsig_verify(kat_req, sizeof kat_req, KAT_TSIG_OFF, T0 + 301, lookup, &ks,
                                 NULL, &ctx),
                     TSIG_REFUSE);
    assert_int_equal(ctx.error, TSIG_BADTIME);
    assert_int_equal(tsig_verify(kat_req, sizeof kat_req, KAT_TSIG_OFF, T0 - 300, lookup, &ks,
                                 NULL, &ctx),
                     TSIG_VALID);
    assert_int_equal(tsig_verify(kat_req, sizeof kat_req, KAT_TSIG_OFF, T0 + 301, lookup, &ks,
                                 NULL, &ctx),
                     TSIG_REFUSE);
    uint8_t msg[512];
    memcpy(msg, kat_resp, KAT_TSIG_OFF);
    msg[11] = 0;
    size_t len = KAT_TSIG_OFF;
    assert_int_equal(tsig_sign(&ctx, msg, &len, sizeof msg, T0 + 301), 0);
    /* Time Signed is the request's, Other Data (6 bytes) our clock; the MAC is whole */
    const uint8_t *rd = msg + KAT_TSIG_OFF + 13 + 10 + 13;
    assert_memory_equal(rd, kat_req + KAT_TSIG_OFF + 13 + 10 + 13, 6);
    assert_int_equal(rd[8] << 8 | rd[9], 32);
    const uint8_t *tail = rd + 10 + 32;
    assert_int_equal(tail[2] << 8 | tail[3], TSIG_BADTIME);
    assert_int_equal(tail[4] << 8 | tail[5], 6);
    uint64_t other = (uint64_t)tail[6] << 40 | (uint64_t)tail[7] << 32 | (uint64_t)tail[8] << 24 |
                     (uint64_t)tail[9] << 16 | (uint64_t)tail[10] << 8 | tail[11];
    assert_int_equal(other, T0 + 301);
    assert_int_equal(len, (size_t)(tail + 12 - msg));
}

static void test_tsig_replay_cache_refuses_the_same_request_again(void **state)
{
    (void)state;
    struct keys ks = {.n = 1};
    struct tsig_replay *rp;
    struct tsig_ctx cctx, sctx;
    make_key(&ks.k[0], "k.", TSIG_HMAC_SHA512, 7);
    assert_int_equal(tsig_replay_new(&rp), 0);
    uint8_t a[512], b[512];
    size_t alen = sizeof kat_resp - 0, blen;
    /* two requests: a at T0, b at T0 - 5 (a different message: another ID) */
    memcpy(a, kat_req, KAT_TSIG_OFF);
    a[11] = 0;
    alen = KAT_TSIG_OFF;
    memcpy(b, a, alen);
    b[1] = 0x99;
    blen = alen;
    assert_int_equal(tsig_sign_request(&ks.k[0], a, &alen, sizeof a, T0, &cctx), 0);
    assert_int_equal(tsig_sign_request(&ks.k[0], b, &blen, sizeof b, T0 - 5, &cctx), 0);
    assert_int_equal(tsig_verify(a, alen, KAT_TSIG_OFF, T0, lookup, &ks, rp, &sctx), TSIG_VALID);
    /* the same bytes again */
    assert_int_equal(tsig_verify(a, alen, KAT_TSIG_OFF, T0, lookup, &ks, rp, &sctx), TSIG_REFUSE);
    assert_int_equal(sctx.error, TSIG_BADTIME);
    /* an older one (another secondary sharing the key, its clock 5 s behind): served once,
     * refused when it comes again */
    assert_int_equal(tsig_verify(b, blen, KAT_TSIG_OFF, T0, lookup, &ks, rp, &sctx), TSIG_VALID);
    assert_int_equal(tsig_verify(b, blen, KAT_TSIG_OFF, T0, lookup, &ks, rp, &sctx), TSIG_REFUSE);
    assert_int_equal(sctx.error, TSIG_BADTIME);
    assert_int_equal(tsig_verify(a, alen, KAT_TSIG_OFF, T0, lookup, &ks, rp, &sctx), TSIG_REFUSE);
    /* a newer one passes, and a bad MAC does not move the cache */
    b[1] = 0x55;
    blen = KAT_TSIG_OFF;
    b[11] = 0;
    assert_int_equal(tsig_sign_request(&ks.k[0], b, &blen, sizeof b, T0 + 1, &cctx), 0);
    assert_int_equal(tsig_verify(b, blen, KAT_TSIG_OFF, T0, lookup, &ks, rp, &sctx), TSIG_VALID);
    tsig_replay_free(rp);
}

static void test_tsig_multi_message_chain(void **state)
{
    (void)state;
    static const enum tsig_alg alg[] = {TSIG_HMAC_SHA1, TSIG_HMAC_SHA256, TSIG_HMAC_SHA512};
    for (unsigned i = 0; i < 3; i++) {
        struct keys ks = {.n = 1};
        struct tsig_ctx client, server;
        struct dnsmsg_query q;
        make_key(&ks.k[0], "xfr.key.", alg[i], (uint8_t)(40 + i));
        uint8_t req[512], msg[3][512];
        size_t rlen = KAT_TSIG_OFF, mlen[3];
        memcpy(req, kat_req, rlen);
        req[11] = 0;
        assert_int_equal(tsig_sign_request(&ks.k[0], req, &rlen, sizeof req, T0, &client), 0);
        assert_int_equal(dnsmsg_parse_query(req, rlen, &q), DNSMSG_OK);
        assert_int_equal(tsig_verify(req, rlen, q.tsig_off, T0 + 1, lookup, &ks, NULL, &server),
                         TSIG_VALID);
        for (unsigned m = 0; m < 3; m++) { /* three messages, each different */
            memcpy(msg[m], kat_resp, KAT_TSIG_OFF);
            msg[m][11] = 0;
            msg[m][3] = (uint8_t)m;
            mlen[m] = KAT_TSIG_OFF;
            assert_int_equal(tsig_sign(&server, msg[m], &mlen[m], sizeof msg[m], T0 + 2), 0);
        }
        /* out of order the chain breaks; in order every message verifies */
        struct tsig_ctx c2 = client;
        assert_int_equal(tsig_verify_answer(&c2, msg[1], mlen[1], KAT_TSIG_OFF, T0 + 2), TSIG_BADSIG);
        for (unsigned m = 0; m < 3; m++)
            assert_int_equal(tsig_verify_answer(&client, msg[m], mlen[m], KAT_TSIG_OFF, T0 + 2),
                             TSIG_NOERROR);
        assert_int_equal(client.nsigned, 3);
    }
}

static void test_tsig_truncated_mac(void **state)
{
    (void)state;
    struct keys ks = kat_keys();
    struct tsig_ctx ctx;
    /* the KAT request with its MAC cut to n bytes (rdlen and MAC size adjusted) */
    static const size_t cut[] = {31, 16, 15, 10, 0};
    static const int want[] = {TSIG_REFUSE, TSIG_REFUSE, TSIG_FORMERR, TSIG_FORMERR, TSIG_FORMERR};
    for (unsigned i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        uint8_t pkt[sizeof kat_req];
        size_t macat = KAT_TSIG_OFF + 13 + 10 + 13 + 10, n = cut[i];
        memcpy(pkt, kat_req, macat);
        memcpy(pkt + macat, kat_req + macat, n);
        memcpy(pkt + macat + n, kat_req + macat + 32, 6);
        pkt[macat - 1] = (uint8_t)n;
        uint16_t rdlen = (uint16_t)(13 + 10 + n + 6);
        pkt[KAT_TSIG_OFF + 13 + 8] = (uint8_t)(rdlen >> 8);
        pkt[KAT_TSIG_OFF + 13 + 9] = (uint8_t)rdlen;
        int v = tsig_verify(pkt, macat + n + 6, KAT_TSIG_OFF, T0, lookup, &ks, NULL, &ctx);
        assert_int_equal(v, want[i]);
        if (v == TSIG_REFUSE) /* a valid truncated MAC: refused by our policy */
            assert_int_equal(ctx.error, TSIG_BADTRUNC);
    }
}

static void test_tsig_malformed_record_is_formerr(void **state)
{
    (void)state;
    struct keys ks = kat_keys();
    struct tsig_ctx ctx;
    uint8_t pkt[sizeof kat_req + 1];
    memcpy(pkt, kat_req, sizeof kat_req);
    assert_int_equal(tsig_verify(pkt, sizeof kat_req - 1, KAT_TSIG_OFF, T0, lookup, &ks, NULL, &ctx),
                     TSIG_FORMERR);
    pkt[sizeof kat_req] = 0; /* a byte past the record */
    assert_int_equal(tsig_verify(pkt, sizeof pkt, KAT_TSIG_OFF, T0, lookup, &ks, NULL, &ctx),
                     TSIG_FORMERR);
    pkt[KAT_TSIG_OFF + 13 + 3] = DNS_C_IN; /* class must be ANY */
    assert_int_equal(tsig_verify(pkt, sizeof kat_req, KAT_TSIG_OFF, T0, lookup, &ks, NULL, &ctx),
                     TSIG_FORMERR);
    assert_int_equal(ks.lookups, 0);
}

static void test_tsig_algorithms_and_base64(void **state)
{
    (void)state;
    struct lana_diag d;
    uint8_t out[TSIG_SECRET_MAX];
    char text[TSIG_B64_MAX];
    assert_int_equal(tsig_alg_parse("hmac-sha256."), TSIG_HMAC_SHA256);
    assert_int_equal(tsig_alg_parse("HMAC-SHA512"), TSIG_HMAC_SHA512);
    assert_int_equal(tsig_alg_parse("hmac-sha1"), TSIG_HMAC_SHA1);
    assert_int_equal(tsig_alg_parse("hmac-md5"), TSIG_ALG_NONE);
    assert_int_equal(tsig_alg_parse("hmac-sha2566"), TSIG_ALG_NONE);
    assert_int_equal(tsig_b64_decode("AAECAw==", out, sizeof out, &d), 4);
    assert_memory_equal(out, "\0\1\2\3", 4);
    assert_int_equal(tsig_b64_decode("AAECAwQ=", out, sizeof out, &d), 5);
    assert_int_equal(tsig_b64_decode("AAECAw=", out, sizeof out, &d), LANA_EPARSE);
    assert_int_equal(tsig_b64_decode("AA=CAw==", out, sizeof out, &d), LANA_EPARSE);
    assert_int_equal(tsig_b64_decode("AAEC Aw=", out, sizeof out, &d), LANA_EPARSE);
    assert_int_equal(tsig_b64_decode("", out, sizeof out, &d), LANA_EPARSE);
    assert_int_equal(tsig_b64_decode("AAECAw==", out, 3, &d), LANA_EPARSE);
    uint8_t big[TSIG_SECRET_MAX];
    memset(big, 0xa5, sizeof big);
    tsig_b64_encode(big, sizeof big, text);
    assert_int_equal(tsig_b64_decode(text, out, sizeof out, &d), TSIG_SECRET_MAX);
    assert_memory_equal(out, big, sizeof big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tsig_verifies_and_signs_like_dnspython),
        cmocka_unit_test(test_tsig_refuses_changed_bytes_and_wrong_secret),
        cmocka_unit_test(test_tsig_unknown_key_or_algorithm_is_badkey),
        cmocka_unit_test(test_tsig_badtime_is_signed_with_our_time),
        cmocka_unit_test(test_tsig_replay_cache_refuses_the_same_request_again),
        cmocka_unit_test(test_tsig_multi_message_chain),
        cmocka_unit_test(test_tsig_truncated_mac),
        cmocka_unit_test(test_tsig_malformed_record_is_formerr),
        cmocka_unit_test(test_tsig_algorithms_and_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
