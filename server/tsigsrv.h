/*
 * tsigsrv — TSIG (RFC 8945) for lanad's DNS threads: verifies a request's signature against
 * the keys in the database, answers the TSIG errors (NOTAUTH with BADKEY, BADSIG, BADTIME,
 * BADTRUNC; FORMERR for a malformed record), signs answers, and decides who may transfer a
 * zone (a key allowed for it, or an address in allow-transfer). Each worker has its own
 * tsigsrv (its own read connection, so a `lana key del` counts from the next request); the
 * replay cache is one for the whole process, shared by every worker under its lock.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/conf.h"
#include "common/dnsmsg.h"
#include "common/err.h"
#include "common/tsig.h"

struct sockaddr;
struct tsigsrv;

/* Every function taking a tsigsrv also takes NULL: no keys (every key is unknown). */

/** Opens a worker's key reader on the database db. 0, LANA_ENOMEM, LANA_EDB (message in d). */
int tsigsrv_new(const char *db, struct tsigsrv **out, struct lana_diag *d);
/** NULL is a no-op. */
void tsigsrv_free(struct tsigsrv *ts);

/**
 * For a query q (bytes pkt) with a TSIG record (q->tsig_off != 0): verifies it at the current
 * time. Returns 0 when it is valid, with *ctx ready for tsigsrv_sign(); otherwise the length
 * of the error answer written into out (DNSMSG_MAX bytes): NOTAUTH with the TSIG error
 * (BADKEY and BADSIG unsigned, BADTIME and BADTRUNC signed), FORMERR, or SERVFAIL when the
 * database fails. The refusal is logged at info level naming peer (NULL: UDP, "udp").
 */
size_t tsigsrv_verify(struct tsigsrv *ts, const struct dnsmsg_query *q, const uint8_t *pkt,
                      size_t len, const struct sockaddr *peer, struct tsig_ctx *ctx,
                      uint8_t *out);

/** Bytes to keep free in a message that tsigsrv_sign() will sign. */
size_t tsigsrv_space(const struct tsig_ctx *ctx);

/**
 * Signs the finished message out (*len bytes, DNSMSG_MAX capacity) at the current time: the
 * first answer of the exchange with the request's MAC, each later one chained (RFC 8945
 * §5.3.1). false when it does not fit (the caller must have kept tsigsrv_space() free).
 */
bool tsigsrv_sign(struct tsig_ctx *ctx, uint8_t *out, size_t *len);

/**
 * Who may transfer the zone q asks for (AXFR, IXFR over TCP): a request signed with a valid
 * key that may transfer the zone (all zones, or this one: `lana key add --zone`), or an
 * unsigned request from an address in allow. Returns 0 when the transfer may go on, *ctx then
 * holding the signing state and *is_signed telling whether to sign; else the length of the
 * answer written into out: the TSIG errors of tsigsrv_verify(), REFUSED (signed) for a key
 * not allowed for the zone, REFUSED for an unsigned request from elsewhere. Logs refusals.
 */
size_t tsigsrv_xfr_check(struct tsigsrv *ts, const struct conf_list *allow,
                         const struct dnsmsg_query *q, const uint8_t *pkt, size_t len,
                         const struct sockaddr *peer, struct tsig_ctx *ctx, bool *is_signed,
                         uint8_t *out);
