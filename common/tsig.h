/*
 * tsig — transaction signatures (RFC 8945): HMAC-SHA256, HMAC-SHA512 and HMAC-SHA1 over DNS
 * messages. Verifies a request's TSIG record and signs the answers to it: the first with the
 * request's MAC in its digest (§5.3), each following message of a transfer with the MAC of the
 * message before and the timers only (§5.3.1). Pure code over bytes: no sockets, no database;
 * keys come through a lookup callback. The replay cache (§5.2.3) is the one object with a lock,
 * shared by the DNS threads.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dname.h"
#include "common/err.h"

#define TSIG_SECRET_MAX 128  /* bytes of a secret (HMAC keys longer than a block are hashed) */
#define TSIG_MAC_MAX 64      /* the longest MAC: SHA-512 */
#define TSIG_FUDGE 300       /* seconds of clock skew allowed in what we sign (§10) */
#define TSIG_B64_MAX 176     /* base64 text of TSIG_SECRET_MAX bytes, with its NUL */
#define TSIG_RCODE_NOTAUTH 9 /* the header rcode of a TSIG error (§5.2) */

enum tsig_alg { TSIG_ALG_NONE = 0, TSIG_HMAC_SHA1, TSIG_HMAC_SHA256, TSIG_HMAC_SHA512 };

/* The TSIG record's Error field (RFC 8945 §3). */
enum tsig_error {
    TSIG_NOERROR = 0,
    TSIG_BADSIG = 16,
    TSIG_BADKEY = 17,
    TSIG_BADTIME = 18,
    TSIG_BADTRUNC = 22,
};

/* A shared secret: its name (lowercase wire form), algorithm and secret bytes. */
struct tsig_key {
    uint8_t name[DNAME_MAXLEN];
    enum tsig_alg alg;
    uint8_t secret[TSIG_SECRET_MAX];
    size_t secret_len;
};

/** The algorithm of "hmac-sha256" or "hmac-sha256." (any case); TSIG_ALG_NONE when unknown. */
enum tsig_alg tsig_alg_parse(const char *s);
/** "hmac-sha256" (without the final dot, as knot.conf, named.conf and nsd.conf write it). */
const char *tsig_alg_name(enum tsig_alg a);
/** Bytes of the algorithm's full MAC (20, 32, 64). */
size_t tsig_alg_maclen(enum tsig_alg a);

/**
 * Decodes base64 text (RFC 4648, padding required, no spaces) into out (cap bytes).
 * @return the number of bytes, or LANA_EPARSE with a sentence in d (not base64, empty, longer
 * than cap).
 */
int tsig_b64_decode(const char *text, uint8_t *out, size_t cap, struct lana_diag *d);
/** Encodes n bytes as base64 into out (TSIG_B64_MAX bytes when n <= TSIG_SECRET_MAX). */
void tsig_b64_encode(const uint8_t *in, size_t n, char *out);

/**
 * A key lookup: the key named name (lowercase wire form) into *out.
 * @return 1 found, 0 unknown, < 0 an error (the request is then answered SERVFAIL).
 */
typedef int tsig_lookup_fn(const uint8_t *name, struct tsig_key *out, void *arg);

/* The replay cache of RFC 8945 §5.2.3: per key, the newest Time Signed accepted and the MAC
 * that came with it. Thread-safe; bounded (the oldest entry goes when it is full). */
struct tsig_replay;
/** @return 0 or LANA_ENOMEM. */
int tsig_replay_new(struct tsig_replay **out);
/** NULL is a no-op. */
void tsig_replay_free(struct tsig_replay *r);

/*
 * The signing state of one exchange: what the answer's TSIG records carry. Made by
 * tsig_verify(); read-only for callers.
 */
struct tsig_ctx {
    uint8_t key_name[DNAME_MAXLEN];
    uint8_t alg_name[DNAME_MAXLEN]; /* as the request named it (echoed in a BADKEY answer) */
    struct tsig_key key;            /* valid unless error is BADKEY */
    uint16_t error;                 /* enum tsig_error of the answers */
    uint64_t req_time;              /* the request's Time Signed */
    uint8_t prev_mac[TSIG_MAC_MAX]; /* the request's MAC, then the last message's */
    size_t prev_len;
    unsigned nsigned;               /* messages signed so far */
};

/* What tsig_verify() found. */
enum tsig_verdict {
    TSIG_VALID,   /* the MAC verifies: sign the answer with ctx */
    TSIG_REFUSE,  /* ctx->error says why: answer NOTAUTH, with tsig_sign() of the error */
    TSIG_FORMERR, /* the record is malformed, or its MAC size is outside RFC 8945 §5.2.2.1 */
};

/**
 * Verifies the TSIG record at offset tsig_off (the last record, as dnsmsg_parse_query() found
 * it) of the request pkt (len bytes) at time now (seconds since 1970), in RFC 8945 §5.2's
 * order: the key (unknown name or other algorithm: BADKEY), the MAC (BADSIG; a MAC shorter
 * than the full one: BADTRUNC once it verifies), the time (outside fudge: BADTIME), then the
 * replay cache replay (may be NULL): a Time Signed earlier than the newest accepted for the
 * key, or that time with the same MAC again, is BADTIME too. Only a request that passes all
 * of it updates the cache.
 * @return an enum tsig_verdict with *ctx filled, or < 0 when lookup failed (its code).
 */
int tsig_verify(const uint8_t *pkt, size_t len, size_t tsig_off, uint64_t now,
                tsig_lookup_fn *lookup, void *arg, struct tsig_replay *replay,
                struct tsig_ctx *ctx);

/** Bytes that tsig_sign() adds to a message of this exchange, at most. */
size_t tsig_space(const struct tsig_ctx *ctx);

/**
 * Appends a TSIG record to the finished message msg (*len bytes, cap bytes of room; its ID
 * goes into Original ID) and adds one to ARCOUNT. With ctx->error BADKEY or BADSIG the record
 * is unsigned (MAC size 0, §5.3.2); otherwise the MAC covers, for the first message, the
 * request's MAC, the message and every TSIG variable (BADTIME puts now into Other Data, and
 * the request's time in Time Signed); for each later one, the previous MAC, the message and
 * the timers (§5.3.1). The MAC is remembered for the next message.
 * @return 0, or LANA_ENOSPACE (msg unchanged) when it does not fit.
 */
int tsig_sign(struct tsig_ctx *ctx, uint8_t *msg, size_t *len, size_t cap, uint64_t now);

/**
 * Signs a request (the client's side, for tests and tools): appends a TSIG record with key,
 * time now and fudge TSIG_FUDGE to msg, and keeps the MAC in ctx so that the answers can be
 * checked with tsig_verify_answer(). @return 0 or LANA_ENOSPACE.
 */
int tsig_sign_request(const struct tsig_key *key, uint8_t *msg, size_t *len, size_t cap,
                      uint64_t now, struct tsig_ctx *ctx);

/**
 * Checks the TSIG of one answer (pkt, its record at tsig_off, 0 for none) of the exchange ctx
 * (made by tsig_sign_request): the first with the request's MAC, the later ones chained.
 * @return TSIG_NOERROR, or the enum tsig_error found (the record's own error, else BADSIG or
 * BADTIME), or LANA_EPARSE when the record is missing or malformed.
 */
int tsig_verify_answer(struct tsig_ctx *ctx, const uint8_t *pkt, size_t len, size_t tsig_off,
                       uint64_t now);
