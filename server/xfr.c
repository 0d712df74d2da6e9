/*
 * xfr — see xfr.h. A transfer packs records into messages of up to XFR_MSG_MAX bytes, with
 * the question in every message and an OPT record in each when the query had one. A record
 * that does not fit stays current and opens the next message (a record larger than that goes
 * alone in a message of up to 65535 bytes); the SOA closes the last one.
 *
 * Compression: pointers reach the first 16 KiB of a message only (RFC 1035 §4.1.4), hence
 * messages of 16 KiB as NSD sends. The builder's table of names (common/dnsmsg.h) holds a
 * few dozen entries, too few for a message of hundreds of owners; before each record it is
 * cut back to the question's names (the apex and its suffixes) plus the names of the record
 * before, which in canonical order is where the owner and the in-zone targets repeat.
 */
#include "server/xfr.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/cidr.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/net.h"
#include "db/zonedb.h"
#include "db/zonexfr.h"
#include "server/answer.h"
#include "server/tsigsrv.h"

#define XFR_R_NOTAUTH 9 /* RFC 2136 §2.2: not authoritative for the zone */
#define XFR_OPT_LEN 11  /* an OPT record without options */
#define XFR_MSG_MAX 16384 /* bytes of one message: as far as compression pointers reach */

struct xfr {
    struct zonexfr *zx;
    struct dnsmsg_query q;
    uint8_t qraw[DNAME_MAXLEN]; /* the question's name as the client wrote it (its case) */
    struct zonexfr_rr cur; /* a record read but not yet sent */
    bool have_cur, rows_done, done;
    uint64_t records, messages, bytes, start_ms;
    char zone[DNAME_TEXT_MAX];
    char peer[NET_ADDRSTRLEN];
    struct tsig_ctx tsig; /* the request's key: every message is signed when tsig_on */
    bool tsig_on;
};

/* What the log calls a transfer: an IXFR is answered with the whole zone (RFC 1995 §4). */
static const char *kind(const struct dnsmsg_query *q)
{
    return q->qtype == DNS_T_IXFR ? "ixfr (whole zone)" : "axfr";
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

/* Appends our OPT record (no options, the DO bit echoed) to the finished message out of *len
 * bytes, which has room for it, and makes it the one additional record. */
static void put_opt(uint8_t *out, size_t *len, const struct dnsmsg_query *q)
{
    uint8_t *p = out + *len;
    memset(p, 0, XFR_OPT_LEN);
    p[2] = (uint8_t)DNS_T_OPT;
    p[3] = (uint8_t)(DNSMSG_EDNS_SIZE >> 8);
    p[4] = (uint8_t)DNSMSG_EDNS_SIZE;
    if (q->edns_do)
        p[7] = 0x80;
    *len += XFR_OPT_LEN;
    out[10] = 0;
    out[11] = 1;
}

/* The next message into out: 1 with *len set, 0 when the transfer has ended, <0 on error. */
static int build(struct xfr *x, uint8_t *out, size_t *len)
{
    struct dnsmsg_builder b;
    struct lana_diag d;
    if (x->done)
        return 0;
    size_t cap = DNSMSG_MAX - (x->q.has_edns ? XFR_OPT_LEN : 0) -
                 (x->tsig_on ? tsigsrv_space(&x->tsig) : 0);
    uint16_t flags = (uint16_t)(DNS_F_QR | DNS_F_AA | (x->q.hdr.flags & DNS_F_RD));
    dnsmsg_begin(&b, out, cap, x->q.hdr.id, flags);
    dnsmsg_put_question(&b, x->q.qname, x->q.qtype, x->q.qclass);
    /* the question as asked, case included (the name sits right after the header) */
    if (b.wb.pos >= DNSMSG_HDRLEN + x->q.qname_len)
        memcpy(out + DNSMSG_HDRLEN, x->qraw, x->q.qname_len);
    unsigned n = 0, base = b.ncomp, last = b.ncomp;
    if (x->messages == 0) { /* the opening SOA */
        const struct zonexfr_rr *soa = zonexfr_soa(x->zx);
        if (!dnsmsg_put_rr(&b, DNSMSG_AN, soa->owner, DNS_T_SOA, DNS_C_IN, soa->ttl, soa->rdata,
                           soa->rdlen))
            return LANA_ERANGE;
        n++;
    }
    for (;;) {
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
        if (n > 0 && b.wb.pos + dname_len(rr->owner) + 10 + rr->rdlen > XFR_MSG_MAX)
            break;
        unsigned prev = b.ncomp - last; /* the names the record before added */
        memmove(&b.comp[base], &b.comp[last], prev * sizeof b.comp[0]);
        b.ncomp = last = base + prev;
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
        x->records++;
    }
    *len = dnsmsg_finish(&b);
    if (*len == 0)
        return LANA_ERANGE; /* cannot happen: every put checked its room */
    if (x->q.has_edns)
        put_opt(out, len, &x->q);
    if (x->tsig_on && !tsigsrv_sign(&x->tsig, out, len))
        return LANA_ERANGE; /* cannot happen: its room was kept */
    x->messages++;
    x->bytes += *len;
    return 1;
}

static long xfr_next(void *stream, uint8_t *out)
{
    struct xfr *x = stream;
    size_t len = 0;
    int rc = build(x, out, &len);
    return rc == 1 ? (long)len : rc;
}

static void xfr_free(void *stream)
{
    struct xfr *x = stream;
    if (x->done)
        log_notice("%s %s to %s: %llu records, %llu message%s, %llu bytes, %llu ms", kind(&x->q), x->zone,
                   x->peer, (unsigned long long)x->records + 2,
                   (unsigned long long)x->messages, x->messages == 1 ? "" : "s",
                   (unsigned long long)x->bytes, (unsigned long long)(mono_ms() - x->start_ms));
    else
        log_info("%s %s to %s: ended after %llu records, %llu messages (connection closed)", kind(&x->q),
                 x->zone, x->peer, (unsigned long long)x->records,
                 (unsigned long long)x->messages);
    zonexfr_close(x->zx);
    free(x);
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
    x->start_ms = mono_ms();
    memcpy(x->zone, zone, sizeof zone);
    memcpy(x->peer, who, sizeof who);
    size_t rlen = 0;
    int rc = zonexfr_open(db, q->qname, &x->zx, &d);
    if (rc != 0 && rc != LANA_ENOTFOUND)
        log_warn("%s %s to %s: %s", kind(q), zone, who, d.msg);
    if (rc == 0)
        rc = build(x, out, &rlen);
    if (rc != 1) { /* build logged a database error itself */
        zonexfr_close(x->zx);
        free(x);
        return answer_error(q, pkt, len, rc == LANA_ENOTFOUND ? XFR_R_NOTAUTH : DNS_R_SERVFAIL,
                            out, DNSMSG_MAX);
    }
    *more = (struct dnstcp_more){x, xfr_next, xfr_free};
    return rlen;
}
