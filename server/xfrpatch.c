/*
 * xfrpatch — see xfrpatch.h. A message i of the earlier version holds the records at or after
 * its position s[i] and before s[i + 1] (the last: before the end). Every record of an owner
 * lies between the owner's lowest and highest place, so the messages an owner's change can
 * touch are those from the last one starting before the owner to the last one starting at or
 * before it: a new record of the owner goes where the order puts it, in one of them. The
 * new version keeps that rule: a copied message keeps its position, a message encoded anew
 * starts at its first record, and nothing of the new version lies between a stretch's start
 * and its first record.
 */
#include "server/xfrpatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dname.h"
#include "common/dnsmsg.h"
#include "common/log.h"
#include "db/zonexfr.h"
#include "server/xfrcache.h"

/* The marking of the earlier version's messages by the changed owners. */
struct marks {
    const struct xfrcache_msgs *prev;
    size_t n;        /* its messages */
    bool *mark;      /* to encode anew */
    size_t marked, limit;
};

/* The position message i starts at (i == n: the end). */
static int owner_vs(const struct marks *mk, const uint8_t *key, size_t klen, size_t i)
{
    if (i == mk->n)
        return -1;
    size_t plen;
    const uint8_t *p = xfrcache_pos(mk->prev, i, &plen);
    return zonexfr_pos_owner_cmp(key, klen, p, plen);
}

/* Marks the messages an owner's records may lie in (zonexfr_owner_fn); 1 past the limit. */
static int mark_owner(void *arg, const uint8_t *key, size_t klen)
{
    struct marks *mk = arg;
    /* first: the smallest i whose next message starts at or after the owner's first place */
    size_t lo = 1, hi = mk->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (owner_vs(mk, key, klen, mid) <= 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    size_t first = lo - 1;
    /* last: the greatest i starting at or before the owner's last place */
    lo = first, hi = mk->n;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (owner_vs(mk, key, klen, mid) >= 0)
            lo = mid;
        else
            hi = mid;
    }
    for (size_t i = first; i <= lo; i++)
        if (!mk->mark[i]) {
            mk->mark[i] = true;
            if (++mk->marked > mk->limit)
                return 1;
        }
    return 0;
}

/* Encoding a stretch into messages of the new version. */
struct enc {
    struct xfrcache_msgs *out;
    struct dnsmsg_builder b;
    uint8_t msg[DNSMSG_MAX];
    uint8_t pos[ZONEXFR_POS_MAX]; /* where the message being built starts */
    size_t plen, qend, msg_max;
    size_t limit;                 /* a message ends before it: msg_max, or less (encode) */
    const uint8_t *apex;
    unsigned n;                   /* records in it */
    size_t made;
};

static void enc_begin(struct enc *e)
{
    dnsmsg_begin(&e->b, e->msg, sizeof e->msg, 0, DNS_F_QR | DNS_F_AA);
    dnsmsg_put_question(&e->b, e->apex, DNS_T_AXFR, DNS_C_IN);
    e->n = 0;
}

/* The message built so far into the new version. 0, or -1 (too big to keep, or memory). */
static int enc_flush(struct enc *e)
{
    size_t len = dnsmsg_finish(&e->b);
    if (len == 0 || len > e->msg_max ||
        !xfrcache_add_at(e->out, e->msg + e->qend, len - e->qend, e->b.counts[DNSMSG_AN],
                         e->pos, e->plen))
        return -1;
    e->made++;
    enc_begin(e);
    return 0;
}

/* Adds rr, at position kind (RECORD, or START/END for the SOAs), the way server/xfr.c packs a
 * whole build: past the limit with it uncompressed, it opens the next message. 0 or -1. */
static int enc_put(struct enc *e, const struct zonexfr_rr *rr, enum zonexfr_pos_kind kind)
{
    if (e->n > 0 && e->b.wb.pos + dname_len(rr->owner) + 10 + rr->rdlen > e->limit &&
        enc_flush(e) != 0)
        return -1;
    if (e->n == 0)
        e->plen = zonexfr_pos(kind, rr, e->pos);
    if (!dnsmsg_put_rr(&e->b, DNSMSG_AN, rr->owner, rr->type, DNS_C_IN, rr->ttl, rr->rdata,
                       rr->rdlen))
        return -1; /* alone and still too big: a whole build keeps no such zone either */
    e->n++;
    return 0;
}

/* Encodes messages a to b of the earlier version anew from the database into e, in messages
 * that end before limit bytes. 0, or -1 (why in info). */
static int encode_at(struct enc *e, struct marks *mk, struct zonexfr *x, size_t a, size_t b,
                     size_t limit, struct xfrpatch_info *info)
{
    struct lana_diag d;
    struct zonexfr_rr rr;
    size_t flen, tlen = 1;
    uint8_t end = ZONEXFR_POS_END;
    const uint8_t *from = xfrcache_pos(mk->prev, a, &flen), *to = &end;
    if (b + 1 < mk->n)
        to = xfrcache_pos(mk->prev, b + 1, &tlen);
    int rc = zonexfr_range(x, from, flen, to, tlen, &d);
    e->limit = limit;
    enc_begin(e);
    if (rc == 0 && a == 0 && enc_put(e, zonexfr_soa(x), ZONEXFR_POS_START) != 0)
        goto big;
    if (rc == 0)
        while ((rc = zonexfr_next(x, &rr, &d)) == 1)
            if (enc_put(e, &rr, ZONEXFR_POS_RECORD) != 0)
                goto big;
    if (rc < 0) {
        log_warn("transfer of a new version: %s", d.msg);
        snprintf(info->why, sizeof info->why, "database error");
        return -1;
    }
    if (b + 1 == mk->n && enc_put(e, zonexfr_soa(x), ZONEXFR_POS_END) != 0)
        goto big;
    if (e->n == 0 || enc_flush(e) == 0)
        return 0;
big:
    snprintf(info->why, sizeof info->why, "a message too big to keep");
    return -1;
}

/* Encodes messages a to b anew (encode_at). Packed greedily, a stretch that grew ends in a
 * small message, which the next change nearby would leave small again and add another:
 * then the stretch is encoded once more, its bytes spread evenly over as many messages. */
static int encode(struct enc *e, struct marks *mk, struct zonexfr *x, size_t a, size_t b,
                  struct xfrpatch_info *info)
{
    size_t base = xfrcache_count(e->out), made = e->made, len;
    uint16_t an;
    if (encode_at(e, mk, x, a, b, e->msg_max, info) != 0)
        return -1;
    size_t k = xfrcache_count(e->out) - base, total = 0;
    if (k < 2)
        return 0;
    for (size_t i = base; i < base + k; i++) {
        xfrcache_body(e->out, i, &len, &an);
        total += len + e->qend;
    }
    if (len + e->qend >= e->msg_max / 2)
        return 0;
    xfrcache_truncate(e->out, base);
    e->made = made;
    /* the slack: the first names of a message are not compressed against the one before */
    size_t even = total / k + e->msg_max / 16;
    return encode_at(e, mk, x, a, b, even < e->msg_max ? even : e->msg_max, info);
}

/* The bytes of m's messages. */
static size_t body_bytes(const struct xfrcache_msgs *m)
{
    size_t bytes = 0, n = xfrcache_count(m), len;
    uint16_t an;
    for (size_t i = 0; i < n; i++) {
        xfrcache_body(m, i, &len, &an);
        bytes += len;
    }
    return bytes;
}

struct xfrcache_msgs *xfrpatch_build(struct xfrcache *c, struct xfrcache_msgs *prev,
                                     struct zonexfr *x, size_t msg_max,
                                     struct xfrpatch_info *info)
{
    struct lana_diag d;
    size_t n = xfrcache_count(prev), plen;
    const uint8_t *p0 = n > 0 ? xfrcache_pos(prev, 0, &plen) : NULL;
    memset(info, 0, sizeof *info);
    info->from_version = xfrcache_version(prev);
    if (p0 == NULL || p0[0] != ZONEXFR_POS_START) {
        snprintf(info->why, sizeof info->why, "no positions in the cached messages");
        return NULL;
    }
    size_t bytes = body_bytes(prev);
    if (n > 4 + 2 * bytes / msg_max) { /* messages of less than half the size on average */
        snprintf(info->why, sizeof info->why, "the cached messages are too cut up");
        return NULL;
    }
    struct marks mk = {prev, n, calloc(n, sizeof *mk.mark), 0, n / 4 + 2};
    struct enc *e = malloc(sizeof *e);
    struct xfrcache_msgs *out = NULL;
    if (mk.mark == NULL || e == NULL) {
        snprintf(info->why, sizeof info->why, "out of memory");
        goto fail;
    }
    mk.mark[0] = mk.mark[n - 1] = true; /* the SOA opens the first and closes the last */
    mk.marked = n > 1 ? 2 : 1;
    int rc = zonexfr_changes(x, info->from_version, xfrcache_serial(prev), mark_owner, &mk, &d);
    if (rc != 0) {
        if (rc == LANA_EDB)
            log_warn("transfer of a new version: %s", d.msg);
        snprintf(info->why, sizeof info->why, "%s",
                 rc == 1 ? "more than a quarter of the messages changed"
                 : rc == LANA_ENOTFOUND ? "the journal does not cover the step"
                                        : "database error");
        goto fail;
    }
    const struct zonexfr_rr *soa = zonexfr_soa(x);
    const uint8_t *sp = soa->rdata + soa->rdlen - 20;
    uint32_t serial = (uint32_t)sp[0] << 24 | (uint32_t)sp[1] << 16 | (uint32_t)sp[2] << 8 | sp[3];
    if ((out = xfrcache_record(c, soa->owner, zonexfr_zone(x), zonexfr_version(x), serial)) ==
        NULL) {
        snprintf(info->why, sizeof info->why, "out of memory");
        goto fail;
    }
    xfrcache_reserve(out, bytes + bytes / 16);
    e->out = out;
    e->apex = soa->owner;
    e->qend = DNSMSG_HDRLEN + dname_len(soa->owner) + 4;
    e->msg_max = msg_max;
    e->made = 0;
    size_t copied = 0;
    for (size_t i = 0; i < n;) {
        if (mk.mark[i]) {
            size_t a = i;
            while (i < n && mk.mark[i])
                i++;
            if (encode(e, &mk, x, a, i - 1, info) != 0)
                goto fail;
            continue;
        }
        size_t len;
        uint16_t an;
        const uint8_t *body = xfrcache_body(prev, i, &len, &an);
        const uint8_t *pos = xfrcache_pos(prev, i, &plen);
        if (!xfrcache_add_at(out, body, len, an, pos, plen)) {
            snprintf(info->why, sizeof info->why, "the zone no longer fits the cache");
            goto fail;
        }
        copied++;
        i++;
    }
    info->messages = copied + e->made;
    info->encoded = e->made;
    free(mk.mark);
    free(e);
    xfrcache_ref(out);
    xfrcache_publish(c, out);
    return out;
fail:
    if (out != NULL) { /* ranges were read maybe: the cursor back at the whole zone */
        uint8_t start = ZONEXFR_POS_START, end = ZONEXFR_POS_END;
        if (zonexfr_range(x, &start, 1, &end, 1, &d) != 0) {
            log_warn("transfer of a new version: %s", d.msg);
            info->failed = true;
        }
    }
    xfrcache_drop(out);
    free(mk.mark);
    free(e);
    return NULL;
}
