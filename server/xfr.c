/*
 * xfr — see xfr.h. A transfer packs records into messages of up to XFR_MSG_MAX bytes, with
 * the question in every message and an OPT record in each when the query had one. A record
 * that does not fit stays current and opens the next message (a record larger than that goes
 * alone in a message of up to 65535 bytes); the SOA closes the last one.
 *
 * Compression: pointers reach the first 16 KiB of a message only (RFC 1035 §4.1.4), hence
 * messages of 16 KiB as NSD sends; the builder (common/dnsmsg.h) points at any name written
 * before in the message.
 */
#include "server/xfr.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "common/cidr.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/net.h"
#include "db/zonedb.h"
#include "db/zonexfr.h"
#include "server/answer.h"
#include "server/secstate.h"
#include "server/tsigsrv.h"
#include "server/xfrcache.h"
#include "server/xfrpatch.h"

#define XFR_R_NOTAUTH 9 /* RFC 2136 §2.2: not authoritative for the zone */
#define XFR_OPT_LEN 11  /* an OPT record without options */
#define XFR_MSG_MAX 16384 /* bytes of one message: as far as compression pointers reach */
#define XFR_UDP_RATE 100  /* IXFR over UDP per second per DNS worker */

/* the whole-zone transfers kept for the next transfer of the same version (xfr_cache_init) */
static struct xfrcache *cache;

struct xfr {
    struct zonexfr *zx;
    struct xfrcache_msgs *rec;    /* this transfer's messages, recorded for the cache */
    struct xfrcache_msgs *cached; /* the messages sent, from the cache; next is msg */
    uint8_t *pos;    /* recording: where the message being built starts (ZONEXFR_POS_MAX) */
    size_t plen;
    struct xfrpatch_info patch; /* cached was built from an earlier version (patch.messages) */
    size_t msg;
    size_t msg_max;  /* bytes that end a message: XFR_MSG_MAX, or over UDP the client's limit */
    size_t cap;      /* bytes of one message at most: 64 KiB, or over UDP the client's limit */
    bool udp, soa_only; /* over UDP; the SOA alone, since the rest does not fit (RFC 1995 §2) */
    struct dnsmsg_query q;
    uint8_t qraw[DNAME_MAXLEN]; /* the question's name as the client wrote it (its case) */
    struct zonexfr_rr cur; /* a record read but not yet sent */
    bool have_cur, rows_done, done;
    uint64_t records, messages, bytes, start_ms;
    char zone[DNAME_TEXT_MAX];
    char peer[NET_ADDRSTRLEN];
    struct tsig_ctx tsig; /* the request's key: every message is signed when tsig_on */
    bool tsig_on;
    uint8_t opt[XFR_OPT_LEN]; /* our OPT record, when the query had one */
};

/* IXFR over UDP opens a database snapshot on the worker's thread: a token bucket per worker
 * thread bounds how often (a source address over UDP proves nothing). */
static bool udp_token(void)
{
    static _Thread_local uint64_t last_ms;
    static _Thread_local double tokens = XFR_UDP_RATE;
    uint64_t now = mono_ms();
    tokens += (double)(now - last_ms) * XFR_UDP_RATE / 1000.0;
    if (tokens > XFR_UDP_RATE)
        tokens = XFR_UDP_RATE;
    last_ms = now;
    if (tokens < 1)
        return false;
    tokens -= 1;
    return true;
}

/* The serial of an SOA record. */
static uint32_t soa_serial(const struct zonexfr_rr *soa)
{
    const uint8_t *p = soa->rdata + soa->rdlen - 20;
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* What the log calls a transfer. */
static const char *kind(const struct dnsmsg_query *q)
{
    return q->qtype == DNS_T_IXFR ? "ixfr" : "axfr";
}

bool xfr_allowed(const struct conf_list *list, const struct sockaddr *peer)
{
    struct cidr a = {0};
    if (peer->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)peer;
        a.family = 4;
        a.plen = CIDR_V4_BITS;
        memcpy(a.addr, &s4->sin_addr, 4);
    } else if (peer->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)peer;
        if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
            a.family = 4;
            a.plen = CIDR_V4_BITS;
            memcpy(a.addr, s6->sin6_addr.s6_addr + 12, 4);
        } else {
            a.family = 6;
            a.plen = CIDR_V6_BITS;
            memcpy(a.addr, s6->sin6_addr.s6_addr, 16);
        }
    } else {
        return false;
    }
    for (unsigned i = 0; i < list->n; i++) {
        for (const char *s = list->v[i];;) { /* each value: prefixes separated by spaces */
            char word[CIDR_STRLEN + 1];
            s += strspn(s, " \t");
            size_t len = strcspn(s, " \t");
            if (len == 0)
                break;
            if (len < sizeof word) {
                struct cidr p;
                memcpy(word, s, len);
                word[len] = '\0';
                if (cidr_parse(word, &p, NULL) == 0 && cidr_contains(&p, &a))
                    return true;
            }
            s += len;
        }
    }
    return false;
}

/* Our OPT record (no options, the DO bit echoed) into p, XFR_OPT_LEN bytes. */
static void opt_record(uint8_t *p, const struct dnsmsg_query *q)
{
    memset(p, 0, XFR_OPT_LEN);
    p[2] = (uint8_t)DNS_T_OPT;
    p[3] = (uint8_t)(DNSMSG_EDNS_SIZE >> 8);
    p[4] = (uint8_t)DNSMSG_EDNS_SIZE;
    if (q->edns_do)
        p[7] = 0x80;
}

/* Appends our OPT record to the finished message out of *len bytes, which has room for it,
 * and makes it the one additional record. */
static void put_opt(uint8_t *out, size_t *len, const struct dnsmsg_query *q)
{
    opt_record(out + *len, q);
    *len += XFR_OPT_LEN;
    out[10] = 0;
    out[11] = 1;
}

/* A message of n records is ready in out (*len bytes): the client's OPT record goes in, the
 * TSIG signature of a signed transfer, and it is counted. @return 1, or LANA_ERANGE. */
static int sent(struct xfr *x, uint8_t *out, size_t *len, unsigned n)
{
    if (x->q.has_edns)
        put_opt(out, len, &x->q);
    if (x->tsig_on && !tsigsrv_sign(&x->tsig, out, len))
        return LANA_ERANGE; /* cannot happen: its room was kept */
    x->messages++;
    x->records += n;
    x->bytes += *len;
    return 1;
}

/* The next message into out: 1 with *len set, 0 when the transfer has ended, <0 on error. */
static int build(struct xfr *x, uint8_t *out, size_t *len)
{
    struct dnsmsg_builder b;
    struct lana_diag d;
    if (x->done)
        return 0;
    size_t cap = x->cap - (x->q.has_edns ? XFR_OPT_LEN : 0) -
                 (x->tsig_on ? tsigsrv_space(&x->tsig) : 0);
    uint16_t flags = (uint16_t)(DNS_F_QR | DNS_F_AA | (x->q.hdr.flags & DNS_F_RD));
    dnsmsg_begin(&b, out, cap, x->q.hdr.id, flags);
    dnsmsg_put_question(&b, x->q.qname, x->q.qtype, x->q.qclass);
    /* the question as asked, case included (the name sits right after the header) */
    if (b.wb.pos >= DNSMSG_HDRLEN + x->q.qname_len)
        memcpy(out + DNSMSG_HDRLEN, x->qraw, x->q.qname_len);
    unsigned n = 0;
    if (x->messages == 0) { /* the opening SOA; alone when the client is up to date */
        const struct zonexfr_rr *soa = zonexfr_soa(x->zx);
        if (!dnsmsg_put_rr(&b, DNSMSG_AN, soa->owner, DNS_T_SOA, DNS_C_IN, soa->ttl, soa->rdata,
                           soa->rdlen))
            return LANA_ERANGE;
        n++;
        x->done = x->soa_only || zonexfr_kind(x->zx) == ZONEXFR_CURRENT;
        if (x->pos != NULL)
            x->plen = zonexfr_pos(ZONEXFR_POS_START, NULL, x->pos);
    }
    while (!x->done) {
        if (!x->have_cur && !x->rows_done) {
            int rc = zonexfr_next(x->zx, &x->cur, &d);
            if (rc < 0) {
                log_warn("%s %s to %s: %s", kind(&x->q), x->zone, x->peer, d.msg);
                return rc;
            }
            x->have_cur = rc == 1;
            x->rows_done = rc == 0;
        }
        const struct zonexfr_rr *rr = x->have_cur ? &x->cur : zonexfr_soa(x->zx);
        /* past XFR_MSG_MAX with it (uncompressed, the most it takes): the next message;
         * a record bigger than that alone goes out in a message of up to 64 KiB */
        if (n > 0 && b.wb.pos + dname_len(rr->owner) + 10 + rr->rdlen > x->msg_max)
            break;
        if (n == 0 && x->pos != NULL) /* where this message starts, for xfrpatch */
            x->plen = zonexfr_pos(x->have_cur ? ZONEXFR_POS_RECORD : ZONEXFR_POS_END, rr, x->pos);
        if (!dnsmsg_put_rr(&b, DNSMSG_AN, rr->owner, rr->type, DNS_C_IN, rr->ttl, rr->rdata,
                           rr->rdlen)) {
            if (n == 0) {
                log_warn("%s %s to %s: a record too big for a message", kind(&x->q), x->zone, x->peer);
                return LANA_ERANGE; /* alone in a message and still too big */
            }
            break;
        }
        n++;
        if (!x->have_cur) { /* the closing SOA went in */
            x->done = true;
            break;
        }
        x->have_cur = false;
    }
    *len = dnsmsg_finish(&b);
    if (*len == 0)
        return LANA_ERANGE; /* cannot happen: every put checked its room */
    if (x->rec != NULL) {
        size_t qend = DNSMSG_HDRLEN + x->q.qname_len + 4;
        /* a message past XFR_MSG_MAX (a record alone) might not leave room for another
         * client's TSIG: such a zone is not kept */
        if (*len > XFR_MSG_MAX ||
            !xfrcache_add_at(x->rec, out + qend, *len - qend, b.counts[DNSMSG_AN], x->pos,
                             x->plen)) {
            xfrcache_drop(x->rec); /* too big to keep, or out of memory: sent all the same */
            x->rec = NULL;
        } else if (x->done) {
            xfrcache_publish(cache, x->rec);
            x->rec = NULL;
        }
    }
    return sent(x, out, len, n);
}

/* The client's header and question of a cached message with an answer records and ar
 * additional ones into out: its length. */
static size_t cached_head(const struct xfr *x, uint8_t *out, uint16_t an, uint16_t ar)
{
    uint16_t flags = (uint16_t)(DNS_F_QR | DNS_F_AA | (x->q.hdr.flags & DNS_F_RD));
    uint16_t hdr[6] = {x->q.hdr.id, flags, 1, an, 0, ar};
    for (int i = 0; i < 6; i++) {
        out[2 * i] = (uint8_t)(hdr[i] >> 8);
        out[2 * i + 1] = (uint8_t)hdr[i];
    }
    size_t pos = DNSMSG_HDRLEN;
    memcpy(out + pos, x->qraw, x->q.qname_len);
    pos += x->q.qname_len;
    uint16_t tc[2] = {x->q.qtype, x->q.qclass};
    for (int i = 0; i < 2; i++) {
        out[pos++] = (uint8_t)(tc[i] >> 8);
        out[pos++] = (uint8_t)tc[i];
    }
    return pos;
}

/* The next message from the cached transfer: the client's header and question around the
 * cached body. */
static int build_cached(struct xfr *x, uint8_t *out, size_t *len)
{
    if (x->done)
        return 0;
    size_t blen;
    uint16_t an;
    const uint8_t *body = xfrcache_body(x->cached, x->msg++, &blen, &an);
    size_t pos = cached_head(x, out, an, 0);
    memcpy(out + pos, body, blen);
    *len = pos + blen;
    x->done = x->msg == xfrcache_count(x->cached);
    return sent(x, out, len, an);
}

/* dnstcp_peek_cb of an unsigned transfer from the cache: message k after the next one as
 * its header and question, the cached body and our OPT record, uncopied. */
static unsigned xfr_peek(void *stream, size_t k, uint8_t *head, struct iovec *iov)
{
    struct xfr *x = stream;
    size_t i = x->msg + k;
    if (x->done || i >= xfrcache_count(x->cached))
        return 0;
    size_t blen;
    uint16_t an;
    const uint8_t *body = xfrcache_body(x->cached, i, &blen, &an);
    iov[0] = (struct iovec){head, cached_head(x, head, an, x->q.has_edns ? 1 : 0)};
    iov[1] = (struct iovec){(void *)(uintptr_t)body, blen};
    if (!x->q.has_edns)
        return 2;
    iov[2] = (struct iovec){x->opt, XFR_OPT_LEN};
    return 3;
}

/* dnstcp_skip_cb: the first n messages xfr_peek showed went out. */
static void xfr_skip(void *stream, size_t n)
{
    struct xfr *x = stream;
    for (size_t end = x->msg + n; x->msg < end; x->msg++) {
        size_t blen;
        uint16_t an;
        xfrcache_body(x->cached, x->msg, &blen, &an);
        x->messages++;
        x->records += an;
        x->bytes += DNSMSG_HDRLEN + x->q.qname_len + 4 + blen +
                    (x->q.has_edns ? XFR_OPT_LEN : 0);
    }
    x->done = x->msg == xfrcache_count(x->cached);
}

static long xfr_next(void *stream, uint8_t *out)
{
    struct xfr *x = stream;
    size_t len = 0;
    int rc = x->cached != NULL ? build_cached(x, out, &len) : build(x, out, &len);
    return rc == 1 ? (long)len : rc;
}

/* How the log describes what the transfer sent: "" for an AXFR. */
static void what(const struct xfr *x, char *buf, size_t size)
{
    buf[0] = '\0';
    if (x->cached != NULL && x->patch.messages > 0) {
        snprintf(buf, size, " (%s%s%sbuilt from version %lld: %zu of %zu messages encoded anew)",
                 x->q.qtype == DNS_T_IXFR ? "whole zone: " : "",
                 x->q.qtype == DNS_T_IXFR ? zonexfr_why(x->zx) : "",
                 x->q.qtype == DNS_T_IXFR ? "; " : "", (long long)x->patch.from_version,
                 x->patch.encoded, x->patch.messages);
        return;
    }
    if (x->cached != NULL) {
        if (x->q.qtype == DNS_T_IXFR)
            snprintf(buf, size, " (whole zone: %s; from the transfer cache)",
                     zonexfr_why(x->zx));
        else
            snprintf(buf, size, " (from the transfer cache)");
        return;
    }
    if (x->q.qtype != DNS_T_IXFR)
        return;
    if (x->soa_only && zonexfr_kind(x->zx) != ZONEXFR_CURRENT) {
        snprintf(buf, size, " (the SOA alone: the %s does not fit one datagram)",
                 zonexfr_kind(x->zx) == ZONEXFR_INCR ? "difference" : "whole zone");
        return;
    }
    switch (zonexfr_kind(x->zx)) {
    case ZONEXFR_CURRENT:
        snprintf(buf, size, " (serial %lu is current: the SOA alone)",
                 (unsigned long)x->q.ixfr_serial);
        break;
    case ZONEXFR_INCR:
        snprintf(buf, size, " (differences from serial %lu)", (unsigned long)x->q.ixfr_serial);
        break;
    case ZONEXFR_FULL:
        snprintf(buf, size, " (whole zone: %s)", zonexfr_why(x->zx));
        break;
    }
}

/* The kind of transfer for `lana zone secondaries`. */
static const char *xfr_kind_name(const struct xfr *x)
{
    if (x->q.qtype == DNS_T_AXFR)
        return "axfr";
    switch (zonexfr_kind(x->zx)) {
    case ZONEXFR_INCR:
        return "ixfr";
    case ZONEXFR_CURRENT:
        return "ixfr (up to date)";
    case ZONEXFR_FULL:
        break;
    }
    return "ixfr (whole zone)";
}

static void xfr_free(void *stream)
{
    struct xfr *x = stream;
    char how[160];
    what(x, how, sizeof how);
    if (x->done) /* over UDP at info: anyone can send those */
        log_msg(x->udp ? LOG_LVL_INFO : LOG_LVL_NOTICE,
                "%s %s to %s%s%s: %llu records, %llu message%s, %llu bytes, %llu ms", kind(&x->q),
                   x->zone, x->peer, x->udp ? " over UDP" : "", how,
                   (unsigned long long)x->records,
                   (unsigned long long)x->messages, x->messages == 1 ? "" : "s",
                   (unsigned long long)x->bytes, (unsigned long long)(mono_ms() - x->start_ms));
    else
        log_info("%s %s to %s: ended after %llu records, %llu messages (connection closed)", kind(&x->q),
                 x->zone, x->peer, (unsigned long long)x->records,
                 (unsigned long long)x->messages);
    xfrcache_drop(x->rec);
    xfrcache_release(x->cached);
    free(x->pos);
    /* what the secondary has now (server/secstate.h); not after the SOA alone over UDP */
    if (x->done && (!x->soa_only || zonexfr_kind(x->zx) == ZONEXFR_CURRENT))
        secstate_xfr_done(x->zone, x->peer, xfr_kind_name(x), zonexfr_soa(x->zx)->rdata,
                          zonexfr_soa(x->zx)->rdlen, x->bytes);
    zonexfr_close(x->zx);
    free(x);
}

/* The messages of version ver of the zone built from the cached messages of an earlier
 * version and the journal (server/xfrpatch.h), or NULL: the transfer builds the whole zone. */
static struct xfrcache_msgs *from_earlier(struct xfr *x, const uint8_t *apex, int64_t zone,
                                          int64_t ver)
{
    struct xfrcache_msgs *prev = xfrcache_latest(cache, apex, zone), *m = NULL;
    if (prev == NULL)
        return NULL;
    if (xfrcache_version(prev) < ver &&
        (m = xfrpatch_build(cache, prev, x->zx, XFR_MSG_MAX, &x->patch)) == NULL)
        log_info("axfr %s to %s: the whole zone is read (from version %lld: %s)", x->zone,
                 x->peer, (long long)xfrcache_version(prev), x->patch.why);
    xfrcache_release(prev);
    return m;
}

int xfr_cache_init(size_t bytes)
{
    if (bytes == 0)
        return 0;
    return (cache = xfrcache_new(bytes)) != NULL ? 0 : LANA_ENOMEM;
}

int xfr_build_image(const char *db, const uint8_t *apex, size_t *bytes, struct lana_diag *d)
{
    *bytes = 0;
    if (cache == NULL)
        return 0;
    struct xfr *x = calloc(1, sizeof *x);
    uint8_t *out = malloc(DNSMSG_MAX);
    int rc = x == NULL || out == NULL ? diag_set(d, LANA_ENOMEM, "out of memory") : 0;
    if (rc == 0) {
        /* the transfer of a client that asks AXFR with the apex as written, without EDNS:
         * the kept bodies are the same for every client (each gets its own head) */
        x->q.qtype = DNS_T_AXFR;
        x->q.qclass = DNS_C_IN;
        x->q.qname_len = dname_len(apex);
        memcpy(x->q.qname, apex, x->q.qname_len);
        memcpy(x->qraw, apex, x->q.qname_len);
        x->cap = DNSMSG_MAX;
        x->msg_max = XFR_MSG_MAX;
        dname_to_text(apex, x->zone, sizeof x->zone);
        rc = zonexfr_open(db, apex, NULL, &x->zx, d);
    }
    if (rc == 0 && zonexfr_kind(x->zx) == ZONEXFR_FULL && zonexfr_version(x->zx) != 0) {
        int64_t zid = zonexfr_zone(x->zx), ver = zonexfr_version(x->zx);
        uint32_t serial = soa_serial(zonexfr_soa(x->zx));
        struct xfrcache_msgs *have = xfrcache_get(cache, apex, zid, ver, serial);
        if (have == NULL && (x->rec = xfrcache_record(cache, apex, zid, ver, serial)) != NULL &&
            (x->pos = malloc(ZONEXFR_POS_MAX)) != NULL) {
            size_t len;
            int b;
            while ((b = build(x, out, &len)) == 1 && x->rec != NULL)
                ;
            /* published at its last message; no longer recorded: too big for the cache */
            if (b < 0)
                rc = diag_set(d, LANA_EDB, "%s: the zone could not be read", x->zone);
            else if (x->done && x->rec == NULL && x->bytes > 0)
                *bytes = (size_t)x->bytes;
            rc = rc == 0 && *bytes > 0 ? 1 : rc;
        }
        xfrcache_release(have);
    }
    if (x != NULL) {
        xfrcache_drop(x->rec);
        free(x->pos);
        zonexfr_close(x->zx);
    }
    free(x);
    free(out);
    return rc == LANA_ENOTFOUND ? 0 : rc;
}

size_t xfr_answer(const char *db, const struct conf_list *allow, struct zonedb_reader *r,
                  struct tsigsrv *ts, const struct dnsmsg_query *q, const uint8_t *pkt,
                  size_t len, const struct sockaddr *peer, uint8_t *out,
                  struct dnstcp_more *more)
{
    char zone[DNAME_TEXT_MAX], who[NET_ADDRSTRLEN];
    uint8_t key[DNAME_KEY_MAX];
    struct lana_diag d;
    dname_to_text(q->qname, zone, sizeof zone);
    net_addr_format(peer, who, sizeof who);
    if (q->qtype == DNS_T_IXFR && !q->has_ixfr_serial) {
        log_info("ixfr %s to %s: refused (no SOA of the zone in the authority section)", zone, who);
        return answer_error(q, pkt, len, DNS_R_FORMERR, out, DNSMSG_MAX);
    }
    struct tsig_ctx tsig;
    bool tsig_on;
    size_t refused = tsigsrv_xfr_check(ts, allow, q, pkt, len, peer, &tsig, &tsig_on, out);
    if (refused != 0)
        return refused; /* not signed with a key of this zone, nor from allow-transfer */
    size_t klen = dname_key(q->qname, key);
    const struct zonedb_zone *z = zonedb_find_zone(r, key, klen);
    if (z == NULL || z->apex_keylen != klen || q->qclass != DNS_C_IN) {
        log_info("%s %s to %s: refused (not a zone served here)", kind(q), zone, who);
        return answer_error(q, pkt, len, XFR_R_NOTAUTH, out, DNSMSG_MAX);
    }
    struct xfr *x = calloc(1, sizeof *x);
    if (x == NULL)
        return answer_error(q, pkt, len, DNS_R_SERVFAIL, out, DNSMSG_MAX);
    x->q = *q;
    x->tsig = tsig;
    x->tsig_on = tsig_on;
    if (len >= DNSMSG_HDRLEN + q->qname_len && q->qname_len <= sizeof x->qraw)
        memcpy(x->qraw, pkt + DNSMSG_HDRLEN, q->qname_len);
    else
        memcpy(x->qraw, q->qname, q->qname_len);
    x->udp = more == NULL;
    if (x->udp && !udp_token()) {
        log_info("ixfr %s to %s: refused (more than %d IXFR over UDP per second)", zone, who,
                 XFR_UDP_RATE);
        free(x);
        return answer_error(q, pkt, len, DNS_R_REFUSED, out, DNSMSG_MAX);
    }
    /* over UDP no more than our own EDNS size: a spoofed source gets no large reply */
    x->cap = x->udp ? (answer_udp_limit(q) < DNSMSG_EDNS_SIZE ? answer_udp_limit(q)
                                                               : DNSMSG_EDNS_SIZE)
                    : DNSMSG_MAX;
    x->msg_max = x->udp ? x->cap : XFR_MSG_MAX;
    x->start_ms = mono_ms();
    memcpy(x->zone, zone, sizeof zone);
    memcpy(x->peer, who, sizeof who);
    size_t rlen = 0;
    int rc = zonexfr_open(db, q->qname, q->qtype == DNS_T_IXFR ? &q->ixfr_serial : NULL, &x->zx,
                          &d);
    if (rc != 0 && rc != LANA_ENOTFOUND)
        log_warn("%s %s to %s: %s", kind(q), zone, who, d.msg);
    /* over UDP the whole zone never goes, a difference only when one message holds it */
    x->soa_only = rc == 0 && x->udp && zonexfr_kind(x->zx) == ZONEXFR_FULL;
    if (rc == 0 && cache != NULL && !x->udp && zonexfr_kind(x->zx) == ZONEXFR_FULL &&
        zonexfr_version(x->zx) != 0) {
        int64_t zid = zonexfr_zone(x->zx), ver = zonexfr_version(x->zx);
        uint32_t serial = soa_serial(zonexfr_soa(x->zx));
        if ((x->cached = xfrcache_get(cache, q->qname, zid, ver, serial)) == NULL)
            x->cached = from_earlier(x, q->qname, zid, ver);
        if (x->patch.failed)
            rc = LANA_EDB; /* logged */
        if (rc == 0 && x->cached == NULL &&
            (x->rec = xfrcache_record(cache, q->qname, zid, ver, serial)) != NULL &&
            (x->pos = malloc(ZONEXFR_POS_MAX)) == NULL) {
            xfrcache_drop(x->rec);
            x->rec = NULL;
        }
    }
    struct tsig_ctx unsigned_yet = x->tsig; /* the signing chain before the first message */
    if (rc == 0)
        rc = x->cached != NULL ? build_cached(x, out, &rlen) : build(x, out, &rlen);
    if (rc == 1 && x->udp && !x->done) { /* that message is not sent: the SOA alone instead */
        x->soa_only = true;
        x->messages = x->records = x->bytes = 0;
        x->tsig = unsigned_yet;
        rc = build(x, out, &rlen);
    }
    if (rc != 1) { /* build logged a database error itself */
        xfrcache_drop(x->rec);
        xfrcache_release(x->cached);
        zonexfr_close(x->zx);
        free(x->pos);
        free(x);
        return answer_error(q, pkt, len, rc == LANA_ENOTFOUND ? XFR_R_NOTAUTH : DNS_R_SERVFAIL,
                            out, DNSMSG_MAX);
    }
    if (x->udp) {
        xfr_free(x); /* logs it */
        return rlen;
    }
    *more = (struct dnstcp_more){.stream = x, .next = xfr_next, .free = xfr_free};
    if (x->cached != NULL && !x->tsig_on) { /* signed messages are written one by one */
        opt_record(x->opt, q);
        more->peek = xfr_peek;
        more->skip = xfr_skip;
    }
    return rlen;
}
