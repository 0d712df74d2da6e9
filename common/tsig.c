/*
 * tsig — see tsig.h.
 *
 * The digests (RFC 8945 §4.3, §5.3, §5.3.1), all fed to one HMAC:
 *   request:          message' | variables
 *   first answer:     len16 + request MAC | message' | variables
 *   following answer: len16 + previous MAC | message' | timers
 * where message' is the message before its TSIG record with ARCOUNT one less and the Original
 * ID in the header, the variables are key name and algorithm name (canonical: lowercase,
 * uncompressed), class ANY, TTL 0, Time Signed (48 bits), Fudge, Error, Other Len and Other
 * Data, and the timers are Time Signed and Fudge.
 */
#include "common/tsig.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/dnsmsg.h"
#include "common/rbuf.h"
#include "common/wbuf.h"

#define REPLAY_MAX 256 /* keys remembered by the replay cache */

static const struct {
    const char *name, *digest;
    size_t maclen;
} algs[] = {
    [TSIG_HMAC_SHA1] = {"hmac-sha1", "SHA1", 20},
    [TSIG_HMAC_SHA256] = {"hmac-sha256", "SHA256", 32},
    [TSIG_HMAC_SHA512] = {"hmac-sha512", "SHA512", 64},
};

enum tsig_alg tsig_alg_parse(const char *s)
{
    size_t n = strlen(s);
    if (n > 0 && s[n - 1] == '.')
        n--;
    for (int a = TSIG_HMAC_SHA1; a <= TSIG_HMAC_SHA512; a++)
        if (strlen(algs[a].name) == n && strncasecmp(s, algs[a].name, n) == 0)
            return (enum tsig_alg)a;
    return TSIG_ALG_NONE;
}

const char *tsig_alg_name(enum tsig_alg a)
{
    return a >= TSIG_HMAC_SHA1 && a <= TSIG_HMAC_SHA512 ? algs[a].name : "unknown";
}

size_t tsig_alg_maclen(enum tsig_alg a)
{
    return a >= TSIG_HMAC_SHA1 && a <= TSIG_HMAC_SHA512 ? algs[a].maclen : 0;
}

/* The algorithm's name in wire form ("\x0bhmac-sha256\x00") into out; its length. */
static size_t alg_wire(enum tsig_alg a, uint8_t *out)
{
    const char *s = tsig_alg_name(a);
    size_t n = strlen(s);
    out[0] = (uint8_t)n;
    memcpy(out + 1, s, n);
    out[n + 1] = 0;
    return n + 2;
}

/* ---- base64 --------------------------------------------------------------------------------- */

int tsig_b64_decode(const char *text, uint8_t *out, size_t cap, struct lana_diag *d)
{
    size_t n = strlen(text);
    if (n == 0 || n % 4 != 0)
        return diag_set(d, LANA_EPARSE, "secret: not base64 (%zu characters, not a positive "
                        "multiple of 4)", n);
    if (n / 4 * 3 > cap + 2 || n / 4 * 3 > TSIG_SECRET_MAX + 3)
        return diag_set(d, LANA_EPARSE, "secret: longer than %zu bytes", cap);
    for (size_t i = 0; i < n; i++) {
        char c = text[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '/' || (c == '=' && i >= n - 2 && (i == n - 1 || text[n - 1] == '='));
        if (!ok)
            return diag_set(d, LANA_EPARSE, "secret: not base64 (character %zu)", i + 1);
    }
    uint8_t tmp[TSIG_SECRET_MAX + 3];
    int m = EVP_DecodeBlock(tmp, (const unsigned char *)text, (int)n);
    if (m < 0)
        return diag_set(d, LANA_EPARSE, "secret: not base64");
    size_t len = (size_t)m - (text[n - 1] == '=') - (text[n - 2] == '=');
    if (len == 0 || len > cap) {
        OPENSSL_cleanse(tmp, sizeof tmp);
        return diag_set(d, LANA_EPARSE, len == 0 ? "secret: empty" : "secret: longer than %zu bytes",
                        cap);
    }
    memcpy(out, tmp, len);
    OPENSSL_cleanse(tmp, sizeof tmp);
    return (int)len;
}

void tsig_b64_encode(const uint8_t *in, size_t n, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

/* ---- the TSIG record ------------------------------------------------------------------------ */

struct rr {
    uint8_t key[DNAME_MAXLEN], alg[DNAME_MAXLEN];
    uint64_t time;
    uint16_t fudge, mac_len, orig_id, error, other_len;
    const uint8_t *mac, *other;
};

/* Reads the TSIG record at off, the last of pkt. 0 or LANA_EPARSE. */
static int parse_rr(const uint8_t *pkt, size_t len, size_t off, struct rr *r)
{
    struct rbuf rb;
    if (off < DNSMSG_HDRLEN || off >= len)
        return LANA_EPARSE;
    rbuf_init(&rb, pkt, len);
    rbuf_skip(&rb, off);
    if (dname_decode(&rb, r->key) < 0)
        return LANA_EPARSE;
    uint16_t type = rbuf_u16(&rb), klass = rbuf_u16(&rb);
    uint32_t ttl = rbuf_u32(&rb);
    uint16_t rdlen = rbuf_u16(&rb);
    if (rb.err || type != DNS_T_TSIG || klass != DNS_C_ANY || ttl != 0 || rbuf_left(&rb) != rdlen)
        return LANA_EPARSE; /* RFC 8945 §4.2: class ANY, TTL 0; nothing after it */
    if (dname_decode(&rb, r->alg) < 0)
        return LANA_EPARSE;
    uint64_t hi = rbuf_u16(&rb);
    r->time = hi << 32 | rbuf_u32(&rb);
    r->fudge = rbuf_u16(&rb);
    r->mac_len = rbuf_u16(&rb);
    r->mac = rbuf_cur(&rb);
    rbuf_skip(&rb, r->mac_len);
    r->orig_id = rbuf_u16(&rb);
    r->error = rbuf_u16(&rb);
    r->other_len = rbuf_u16(&rb);
    r->other = rbuf_cur(&rb);
    rbuf_skip(&rb, r->other_len);
    if (rb.err || rbuf_left(&rb) != 0)
        return LANA_EPARSE;
    dname_lower(r->key);
    dname_lower(r->alg);
    return 0;
}

/* ---- HMAC ----------------------------------------------------------------------------------- */

static EVP_MAC *hmac_impl;

static void hmac_fetch(void)
{
    hmac_impl = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
}

static EVP_MAC_CTX *hmac_new(const struct tsig_key *k)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, hmac_fetch);
    if (hmac_impl == NULL || k->alg == TSIG_ALG_NONE || k->secret_len == 0)
        return NULL;
    EVP_MAC_CTX *c = EVP_MAC_CTX_new(hmac_impl);
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)algs[k->alg].digest, 0),
        OSSL_PARAM_construct_end(),
    };
    if (c != NULL && EVP_MAC_init(c, k->secret, k->secret_len, p) != 1) {
        EVP_MAC_CTX_free(c);
        c = NULL;
    }
    return c;
}

/* Feeds message' (pkt up to off, ARCOUNT one less, orig_id as its ID). */
static void hmac_message(EVP_MAC_CTX *c, const uint8_t *pkt, size_t off, uint16_t orig_id)
{
    uint8_t hdr[DNSMSG_HDRLEN];
    memcpy(hdr, pkt, sizeof hdr);
    hdr[0] = (uint8_t)(orig_id >> 8);
    hdr[1] = (uint8_t)orig_id;
    uint16_t ar = (uint16_t)(pkt[10] << 8 | pkt[11]);
    ar--;
    hdr[10] = (uint8_t)(ar >> 8);
    hdr[11] = (uint8_t)ar;
    EVP_MAC_update(c, hdr, sizeof hdr);
    EVP_MAC_update(c, pkt + DNSMSG_HDRLEN, off - DNSMSG_HDRLEN);
}

static void hmac_prior(EVP_MAC_CTX *c, const uint8_t *mac, size_t n)
{
    uint8_t l[2] = {(uint8_t)(n >> 8), (uint8_t)n};
    EVP_MAC_update(c, l, 2);
    EVP_MAC_update(c, mac, n);
}

static void put_u48(struct wbuf *wb, uint64_t t)
{
    wbuf_u16(wb, (uint16_t)(t >> 32));
    wbuf_u32(wb, (uint32_t)t);
}

/* Feeds the variables (all = false: the timers only). */
static void hmac_vars(EVP_MAC_CTX *c, bool all, const uint8_t *key, const uint8_t *alg,
                      uint64_t time, uint16_t fudge, uint16_t error, const uint8_t *other,
                      uint16_t other_len)
{
    uint8_t buf[2 * DNAME_MAXLEN + 32];
    struct wbuf wb;
    wbuf_init(&wb, buf, sizeof buf);
    if (all) {
        wbuf_put(&wb, key, dname_len(key));
        wbuf_u16(&wb, DNS_C_ANY);
        wbuf_u32(&wb, 0);
        wbuf_put(&wb, alg, dname_len(alg));
    }
    put_u48(&wb, time);
    wbuf_u16(&wb, fudge);
    if (all) {
        wbuf_u16(&wb, error);
        wbuf_u16(&wb, other_len);
    }
    EVP_MAC_update(c, buf, wb.pos);
    if (all && other_len > 0)
        EVP_MAC_update(c, other, other_len);
}

static size_t hmac_end(EVP_MAC_CTX *c, uint8_t *mac)
{
    size_t n = 0;
    if (EVP_MAC_final(c, mac, &n, TSIG_MAC_MAX) != 1)
        n = 0;
    EVP_MAC_CTX_free(c);
    return n;
}

/* ---- the replay cache ----------------------------------------------------------------------- */

/* The MACs of the last REPLAY_MACS requests accepted with one key. A request is refused when
 * its MAC is among them: the same message again. Older Time Signed values are not refused
 * (RFC 8945 §5.2.3 suggests it): one key shared by several secondaries, whose clocks differ
 * by a second or whose requests cross on the way, would be refused for no replay at all. A
 * replay older than the ring is still refused by the time check once outside the fudge. */
#define REPLAY_MACS 64

struct replay_mac {
    uint64_t time;
    uint8_t mac[TSIG_MAC_MAX];
    size_t len;
};

struct replay_entry {
    uint8_t name[DNAME_MAXLEN];
    uint64_t used; /* when the entry last changed */
    struct replay_mac m[REPLAY_MACS];
    unsigned next; /* the slot the next MAC takes */
};

struct tsig_replay {
    pthread_mutex_t lock;
    struct replay_entry e[REPLAY_MAX];
    unsigned n;
    uint64_t clock;
};

int tsig_replay_new(struct tsig_replay **out)
{
    struct tsig_replay *r = calloc(1, sizeof *r);
    if (r == NULL)
        return LANA_ENOMEM;
    pthread_mutex_init(&r->lock, NULL);
    *out = r;
    return 0;
}

void tsig_replay_free(struct tsig_replay *r)
{
    if (r == NULL)
        return;
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* Accepts (and records) a verified request of key at time with mac, or refuses a replay. */
static bool replay_accept(struct tsig_replay *r, const uint8_t *key, uint64_t time,
                          const uint8_t *mac, size_t mac_len)
{
    bool ok = true;
    pthread_mutex_lock(&r->lock);
    struct replay_entry *e = NULL, *oldest = &r->e[0];
    for (unsigned i = 0; i < r->n && e == NULL; i++) {
        if (dname_equal(r->e[i].name, key))
            e = &r->e[i];
        else if (r->e[i].used < oldest->used)
            oldest = &r->e[i];
    }
    if (e != NULL) {
        for (unsigned i = 0; i < REPLAY_MACS && ok; i++)
            if (e->m[i].len == mac_len && e->m[i].time == time &&
                CRYPTO_memcmp(mac, e->m[i].mac, mac_len) == 0)
                ok = false; /* the same message again */
    } else {
        e = r->n < REPLAY_MAX ? &r->e[r->n++] : oldest;
        memset(e, 0, sizeof *e);
        memcpy(e->name, key, dname_len(key));
    }
    if (ok) {
        struct replay_mac *m = &e->m[e->next];
        e->next = (e->next + 1) % REPLAY_MACS;
        m->time = time;
        memcpy(m->mac, mac, mac_len);
        m->len = mac_len;
        e->used = ++r->clock;
    }
    pthread_mutex_unlock(&r->lock);
    return ok;
}

/* ---- verifying and signing ------------------------------------------------------------------ */

static bool time_ok(uint64_t t, uint16_t fudge, uint64_t now)
{
    return (t > now ? t - now : now - t) <= fudge;
}

int tsig_verify(const uint8_t *pkt, size_t len, size_t tsig_off, uint64_t now,
                tsig_lookup_fn *lookup, void *arg, struct tsig_replay *replay,
                struct tsig_ctx *ctx)
{
    struct rr r;
    uint8_t wire[DNAME_MAXLEN], mac[TSIG_MAC_MAX];
    memset(ctx, 0, sizeof *ctx);
    if (parse_rr(pkt, len, tsig_off, &r) != 0)
        return TSIG_FORMERR;
    memcpy(ctx->key_name, r.key, dname_len(r.key));
    memcpy(ctx->alg_name, r.alg, dname_len(r.alg));
    ctx->req_time = r.time;
    int rc = lookup(r.key, &ctx->key, arg);
    if (rc < 0)
        return rc;
    /* §5.2.1: a key we do not have, or have for another algorithm */
    if (rc == 0 || ctx->key.alg == TSIG_ALG_NONE ||
        memcmp(wire, r.alg, alg_wire(ctx->key.alg, wire)) != 0) {
        ctx->error = TSIG_BADKEY;
        return TSIG_REFUSE;
    }
    /* §5.2.2.1: longer than the hash, or shorter than half of it or 10 octets: FORMERR */
    size_t full = tsig_alg_maclen(ctx->key.alg), min = full / 2 > 10 ? full / 2 : 10;
    if (r.mac_len > full || r.mac_len < min)
        return TSIG_FORMERR;
    EVP_MAC_CTX *c = hmac_new(&ctx->key);
    if (c == NULL)
        return LANA_ENOMEM;
    hmac_message(c, pkt, tsig_off, r.orig_id);
    hmac_vars(c, true, r.key, r.alg, r.time, r.fudge, r.error, r.other, r.other_len);
    if (hmac_end(c, mac) != full || CRYPTO_memcmp(mac, r.mac, r.mac_len) != 0) {
        ctx->error = TSIG_BADSIG;
        return TSIG_REFUSE;
    }
    memcpy(ctx->prev_mac, r.mac, r.mac_len);
    ctx->prev_len = r.mac_len;
    if (!time_ok(r.time, r.fudge, now)) {
        ctx->error = TSIG_BADTIME;
        return TSIG_REFUSE;
    }
    /* our policy: whole MACs only (§5.2.2.1 leaves the minimum to local policy) */
    if (r.mac_len < full) {
        ctx->error = TSIG_BADTRUNC;
        return TSIG_REFUSE;
    }
    if (replay != NULL && !replay_accept(replay, r.key, r.time, r.mac, r.mac_len)) {
        ctx->error = TSIG_BADTIME;
        return TSIG_REFUSE;
    }
    return TSIG_VALID;
}

size_t tsig_space(const struct tsig_ctx *ctx)
{
    return dname_len(ctx->key_name) + 10 + dname_len(ctx->alg_name) + 16 + TSIG_MAC_MAX + 6;
}

/* Appends the record (time, error, other) with mac; adds one to ARCOUNT. */
static int put_rr(struct tsig_ctx *ctx, uint8_t *msg, size_t *len, size_t cap, uint64_t time,
                  const uint8_t *mac, size_t mac_len, const uint8_t *other, uint16_t other_len)
{
    struct wbuf wb;
    wbuf_init(&wb, msg, cap);
    wb.pos = *len;
    wbuf_put(&wb, ctx->key_name, dname_len(ctx->key_name));
    wbuf_u16(&wb, DNS_T_TSIG);
    wbuf_u16(&wb, DNS_C_ANY);
    wbuf_u32(&wb, 0);
    size_t rdlen_at = wb.pos;
    wbuf_u16(&wb, 0);
    wbuf_put(&wb, ctx->alg_name, dname_len(ctx->alg_name));
    put_u48(&wb, time);
    wbuf_u16(&wb, TSIG_FUDGE);
    wbuf_u16(&wb, (uint16_t)mac_len);
    wbuf_put(&wb, mac, mac_len);
    wbuf_u16(&wb, (uint16_t)(msg[0] << 8 | msg[1]));
    wbuf_u16(&wb, ctx->error);
    wbuf_u16(&wb, other_len);
    wbuf_put(&wb, other, other_len);
    if (wb.overflow)
        return LANA_ENOSPACE;
    wbuf_set_u16(&wb, rdlen_at, (uint16_t)(wb.pos - rdlen_at - 2));
    uint16_t ar = (uint16_t)(msg[10] << 8 | msg[11]);
    wbuf_set_u16(&wb, 10, (uint16_t)(ar + 1));
    *len = wb.pos;
    return 0;
}

int tsig_sign(struct tsig_ctx *ctx, uint8_t *msg, size_t *len, size_t cap, uint64_t now)
{
    uint8_t mac[TSIG_MAC_MAX], other[6];
    uint16_t other_len = 0;
    size_t mac_len = 0;
    uint64_t time = now;
    if (*len < DNSMSG_HDRLEN)
        return LANA_ENOSPACE;
    if (ctx->error == TSIG_BADTIME) { /* §5.2.3: our time in Other Data */
        time = ctx->req_time;
        struct wbuf wb;
        wbuf_init(&wb, other, sizeof other);
        put_u48(&wb, now);
        other_len = sizeof other;
    }
    if (ctx->error != TSIG_BADKEY && ctx->error != TSIG_BADSIG) { /* §5.3.2: those unsigned */
        EVP_MAC_CTX *c = hmac_new(&ctx->key);
        if (c == NULL)
            return LANA_ENOMEM;
        hmac_prior(c, ctx->prev_mac, ctx->prev_len);
        EVP_MAC_update(c, msg, *len);
        hmac_vars(c, ctx->nsigned == 0, ctx->key_name, ctx->alg_name, time, TSIG_FUDGE,
                  ctx->error, other, other_len);
        mac_len = hmac_end(c, mac);
        if (mac_len == 0)
            return LANA_ENOMEM;
    }
    int rc = put_rr(ctx, msg, len, cap, time, mac, mac_len, other, other_len);
    if (rc != 0)
        return rc;
    memcpy(ctx->prev_mac, mac, mac_len);
    ctx->prev_len = mac_len;
    ctx->nsigned++;
    return 0;
}

int tsig_sign_request(const struct tsig_key *key, uint8_t *msg, size_t *len, size_t cap,
                      uint64_t now, struct tsig_ctx *ctx)
{
    uint8_t mac[TSIG_MAC_MAX];
    memset(ctx, 0, sizeof *ctx);
    ctx->key = *key;
    memcpy(ctx->key_name, key->name, dname_len(key->name));
    alg_wire(key->alg, ctx->alg_name);
    if (*len < DNSMSG_HDRLEN)
        return LANA_ENOSPACE;
    EVP_MAC_CTX *c = hmac_new(key);
    if (c == NULL)
        return LANA_ENOMEM;
    EVP_MAC_update(c, msg, *len);
    hmac_vars(c, true, ctx->key_name, ctx->alg_name, now, TSIG_FUDGE, 0, NULL, 0);
    size_t mac_len = hmac_end(c, mac);
    int rc = put_rr(ctx, msg, len, cap, now, mac, mac_len, NULL, 0);
    if (rc != 0)
        return rc;
    memcpy(ctx->prev_mac, mac, mac_len);
    ctx->prev_len = mac_len;
    return 0;
}

int tsig_verify_answer(struct tsig_ctx *ctx, const uint8_t *pkt, size_t len, size_t tsig_off,
                       uint64_t now)
{
    struct rr r;
    uint8_t mac[TSIG_MAC_MAX];
    if (tsig_off == 0 || parse_rr(pkt, len, tsig_off, &r) != 0)
        return LANA_EPARSE;
    if (r.error != 0)
        return r.error;
    if (!dname_equal(r.key, ctx->key_name) || !dname_equal(r.alg, ctx->alg_name))
        return TSIG_BADKEY;
    size_t full = tsig_alg_maclen(ctx->key.alg);
    EVP_MAC_CTX *c = hmac_new(&ctx->key);
    if (c == NULL)
        return LANA_ENOMEM;
    hmac_prior(c, ctx->prev_mac, ctx->prev_len);
    hmac_message(c, pkt, tsig_off, r.orig_id);
    hmac_vars(c, ctx->nsigned == 0, r.key, r.alg, r.time, r.fudge, r.error, r.other, r.other_len);
    if (hmac_end(c, mac) != full || r.mac_len != full || CRYPTO_memcmp(mac, r.mac, full) != 0)
        return TSIG_BADSIG;
    if (!time_ok(r.time, r.fudge, now))
        return TSIG_BADTIME;
    memcpy(ctx->prev_mac, r.mac, full);
    ctx->prev_len = full;
    ctx->nsigned++;
    return TSIG_NOERROR;
}
