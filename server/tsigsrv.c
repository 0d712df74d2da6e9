/*
 * tsigsrv — see tsigsrv.h.
 */
#include "server/tsigsrv.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/net.h"
#include "db/store.h"
#include "db/tsigkey.h"
#include "server/answer.h"
#include "server/xfr.h"

struct tsigsrv {
    struct store *st; /* this worker's read connection */
};

/* The replay cache (RFC 8945 §5.2.3) of the process: a request accepted by one worker must be
 * refused as a replay by every other, so it is the one thing the workers share. Made once,
 * lives as long as the process. */
static struct tsig_replay *replay;

static void replay_init(void)
{
    if (tsig_replay_new(&replay) != 0)
        replay = NULL;
}

int tsigsrv_new(const char *db, struct tsigsrv **out, struct lana_diag *d)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, replay_init);
    struct tsigsrv *ts = calloc(1, sizeof *ts);
    if (ts == NULL || replay == NULL) {
        free(ts);
        return diag_set(d, LANA_ENOMEM, "out of memory");
    }
    int rc = store_open_reader(db, &ts->st, d);
    if (rc != 0) {
        free(ts);
        return rc;
    }
    *out = ts;
    return 0;
}

void tsigsrv_free(struct tsigsrv *ts)
{
    if (ts == NULL)
        return;
    store_close(ts->st);
    free(ts);
}

struct lookup_ctx {
    struct tsigsrv *ts;
    struct lana_diag d;
};

static int lookup(const uint8_t *name, struct tsig_key *out, void *arg)
{
    struct lookup_ctx *lc = arg;
    if (lc->ts == NULL)
        return 0; /* no keys at all */
    return tsigkey_lookup(lc->ts->st, name, out, &lc->d);
}

static const char *error_name(unsigned e)
{
    switch (e) {
    case TSIG_BADSIG: return "BADSIG";
    case TSIG_BADKEY: return "BADKEY";
    case TSIG_BADTIME: return "BADTIME";
    case TSIG_BADTRUNC: return "BADTRUNC";
    default: return "error";
    }
}

static void peer_text(const struct sockaddr *peer, char *buf, size_t size)
{
    if (peer != NULL)
        net_addr_format(peer, buf, size);
    else
        snprintf(buf, size, "udp");
}

/* An error answer of rcode to q, signed with ctx when it is not NULL. */
static size_t error_answer(const struct dnsmsg_query *q, const uint8_t *pkt, size_t len,
                           unsigned rcode, struct tsig_ctx *ctx, uint8_t *out)
{
    size_t n = answer_error(q, pkt, len, rcode, out, DNSMSG_MAX - (ctx ? tsig_space(ctx) : 0));
    if (n > 0 && ctx != NULL && tsig_sign(ctx, out, &n, DNSMSG_MAX, (uint64_t)time(NULL)) != 0)
        return answer_error(q, pkt, len, DNS_R_SERVFAIL, out, DNSMSG_MAX);
    return n;
}

size_t tsigsrv_verify(struct tsigsrv *ts, const struct dnsmsg_query *q, const uint8_t *pkt,
                      size_t len, const struct sockaddr *peer, struct tsig_ctx *ctx,
                      uint8_t *out)
{
    struct lookup_ctx lc = {ts, {{0}}};
    char who[NET_ADDRSTRLEN], key[DNAME_TEXT_MAX];
    int v = tsig_verify(pkt, len, q->tsig_off, (uint64_t)time(NULL), lookup, &lc, replay, ctx);
    if (v == TSIG_VALID)
        return 0;
    peer_text(peer, who, sizeof who);
    dname_to_text(ctx->key_name, key, sizeof key);
    if (v < 0) {
        log_warn("%s: TSIG key %s: %s; answering SERVFAIL", who, key, lc.d.msg);
        return answer_error(q, pkt, len, DNS_R_SERVFAIL, out, DNSMSG_MAX);
    }
    if (v == TSIG_FORMERR) {
        log_info("%s: a malformed TSIG record (or MAC size); answering FORMERR", who);
        return answer_error(q, pkt, len, DNS_R_FORMERR, out, DNSMSG_MAX);
    }
    log_info("%s: TSIG key %s: %s; answering NOTAUTH", who, key, error_name(ctx->error));
    return error_answer(q, pkt, len, TSIG_RCODE_NOTAUTH, ctx, out);
}

size_t tsigsrv_space(const struct tsig_ctx *ctx)
{
    return tsig_space(ctx);
}

bool tsigsrv_sign(struct tsig_ctx *ctx, uint8_t *out, size_t *len)
{
    return tsig_sign(ctx, out, len, DNSMSG_MAX, (uint64_t)time(NULL)) == 0;
}

size_t tsigsrv_xfr_check(struct tsigsrv *ts, const struct conf_list *allow,
                         const struct dnsmsg_query *q, const uint8_t *pkt, size_t len,
                         const struct sockaddr *peer, struct tsig_ctx *ctx, bool *is_signed,
                         uint8_t *out)
{
    char who[NET_ADDRSTRLEN], zone[DNAME_TEXT_MAX], key[DNAME_TEXT_MAX];
    struct lana_diag d;
    const char *kind = q->qtype == DNS_T_IXFR ? "ixfr" : "axfr";
    *is_signed = false;
    peer_text(peer, who, sizeof who);
    dname_to_text(q->qname, zone, sizeof zone);
    if (q->tsig_off == 0) {
        if (xfr_allowed(allow, peer))
            return 0;
        log_info("%s %s to %s: refused (not in allow-transfer)", kind, zone, who);
        return answer_error(q, pkt, len, DNS_R_REFUSED, out, DNSMSG_MAX);
    }
    size_t n = tsigsrv_verify(ts, q, pkt, len, peer, ctx, out);
    if (n != 0)
        return n;
    dname_to_text(ctx->key_name, key, sizeof key);
    int rc = tsigkey_may_transfer(ts->st, ctx->key_name, q->qname, &d);
    if (rc < 0) {
        log_warn("%s %s to %s: %s", kind, zone, who, d.msg);
        return error_answer(q, pkt, len, DNS_R_SERVFAIL, ctx, out);
    }
    if (rc == 0) {
        /* the signature holds, so this is not an authentication error (NOTAUTH and a TSIG
         * error): the key is simply not allowed this zone, a refusal (RFC 5936 §2.2.1),
         * signed so that the client can trust it */
        log_info("%s %s to %s: refused (key %s is not allowed this zone)", kind, zone, who, key);
        return error_answer(q, pkt, len, DNS_R_REFUSED, ctx, out);
    }
    *is_signed = true;
    return 0;
}
