/*
 * answer — see answer.h. The lookup follows RFC 1034 §4.3.2: find the zone, stop at a zone
 * cut (referral), else read the node; a missing node may be an empty non-terminal (NODATA,
 * RFC 8020), match a wildcard (RFC 4592) or not exist (NXDOMAIN); a CNAME is followed inside
 * our zones. Negative answers carry the zone's SOA with TTL min(SOA TTL, MINIMUM) (RFC 2308).
 * DS is the parent's data at a cut (RFC 4035 §3.1.4.1). A response over 64 KiB is SERVFAIL.
 */
#include "server/answer.h"

#include <string.h>

#define CHAIN_MAX 12    /* CNAMEs followed before giving up (loops end here) */
#define TARGETS_MAX 16  /* names whose addresses go to the additional section */

struct target {
    uint8_t name[DNAME_MAXLEN];
    bool required;
};

struct build {
    struct zonedb_reader *r;
    struct dnsmsg_builder b;
    struct target targets[TARGETS_MAX];
    unsigned ntargets;
    bool overflow; /* a record that must be sent did not fit in 64 KiB */
};

/* Appends one record; one that does not fit (dnsmsg_put_rr rolls it back) is remembered, as
 * the response would otherwise go out short of a record without saying so. */
static void put_rr(struct build *bd, enum dnsmsg_section sec, const uint8_t *owner,
                   uint16_t type, uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
    if (!dnsmsg_put_rr(&bd->b, sec, owner, type, DNS_C_IN, ttl, rdata, rdlen))
        bd->overflow = true;
}

static void add_target(struct build *bd, const uint8_t *name, bool required)
{
    if (bd->ntargets == TARGETS_MAX)
        return;
    for (unsigned i = 0; i < bd->ntargets; i++)
        if (dname_equal(bd->targets[i].name, name))
            return;
    memcpy(bd->targets[bd->ntargets].name, name, dname_len(name));
    bd->targets[bd->ntargets++].required = required;
}

/* The name inside NS/MX/SRV rdata whose addresses belong in the additional section. */
static const uint8_t *rdata_target(const struct zonedb_rr *rr)
{
    switch (rr->type) {
    case DNS_T_NS: return rr->rdata;
    case DNS_T_MX: return rr->rdlen > 2 ? rr->rdata + 2 : NULL;
    case DNS_T_SRV: return rr->rdlen > 6 ? rr->rdata + 6 : NULL;
    default: return NULL;
    }
}

static void put_soa(struct build *bd, const struct zonedb_zone *z)
{
    if (z->soa_len > 0)
        put_rr(bd, DNSMSG_NS, z->apex, DNS_T_SOA, z->neg_ttl, z->soa, z->soa_len);
}

/* The highest zone cut at or above the name (below the apex), or NULL. */
static const struct zonedb_key *find_cut(const struct zonedb_zone *z, const uint8_t *key,
                                         size_t keylen)
{
    const struct zonedb_key *best = NULL;
    for (unsigned i = 0; i < z->ncuts; i++) {
        const struct zonedb_key *c = &z->cuts[i];
        if (c->len <= keylen && memcmp(c->k, key, c->len) == 0 &&
            (best == NULL || c->len < best->len))
            best = c;
    }
    return best;
}

/*
 * RFC 4592 §3.3.1: a wildcard *.X answers for a name that does not exist when X is the
 * closest encloser, i.e. the child of X on the way to the name does not exist either.
 * Returns 1 and fills node with the wildcard's node, 0 when none applies, <0 on error.
 */
static int find_wildcard(struct build *bd, const struct zonedb_zone *z, const uint8_t *key,
                         size_t keylen, struct zonedb_node *node)
{
    const struct zonedb_key *best = NULL;
    for (unsigned i = 0; i < z->nwilds; i++) {
        const struct zonedb_key *w = &z->wilds[i];
        size_t plen = w->len - 2; /* key of X */
        if (plen < keylen && memcmp(w->k, key, plen) == 0 && (best == NULL || w->len > best->len))
            best = w;
    }
    if (best == NULL)
        return 0;
    size_t child = best->len - 2;
    while (child < keylen && key[child] != 0)
        child++;
    child++; /* include the separator */
    struct zonedb_node cn;
    int rc = zonedb_node_get(bd->r, z, key, child, &cn);
    if (rc != 0)
        return rc;
    if (cn.nrr > 0 || cn.has_below)
        return 0;
    if ((rc = zonedb_node_get(bd->r, z, best->k, best->len, node)) != 0)
        return rc;
    return node->nrr > 0 ? 1 : 0;
}

/*
 * RFC 4035 §3.1.4.1: the DS RRset of a cut lives in the parent zone. The zone to answer a DS
 * query for name (key) from, z being the longest zone holding it: at the apex of z, the
 * parent zone when we serve it too and it delegates exactly this name; otherwise z (whose
 * answer at its apex is NODATA, as a server of the child alone gives).
 */
static const struct zonedb_zone *ds_zone(const struct zonedb_reader *r,
                                         const struct zonedb_zone *z, const uint8_t *key,
                                         size_t klen)
{
    if (klen == 0 || klen != z->apex_keylen)
        return z;
    size_t plen = klen - 1; /* the key without its last label: separators are the only 0s */
    while (plen > 0 && key[plen - 1] != 0)
        plen--;
    const struct zonedb_zone *p = zonedb_find_zone(r, key, plen);
    if (p == NULL)
        return z;
    const struct zonedb_key *cut = find_cut(p, key, klen);
    return cut != NULL && cut->len == klen ? p : z;
}

/* A referral (RFC 1034 §4.3.2 step 3b): the cut's NS in authority, glue in additional. */
static int referral(struct build *bd, const struct zonedb_zone *z, const struct zonedb_key *cut)
{
    struct zonedb_node node;
    uint8_t owner[DNAME_MAXLEN];
    int rc = zonedb_node_get(bd->r, z, cut->k, cut->len, &node);
    if (rc != 0)
        return rc;
    if (dname_from_key(cut->k, cut->len, owner) < 0)
        return LANA_EDB;
    for (unsigned i = 0; i < node.nrr; i++) {
        if (node.rr[i].type != DNS_T_NS)
            continue;
        put_rr(bd, DNSMSG_NS, owner, DNS_T_NS, node.rr[i].ttl, node.rr[i].rdata,
               node.rr[i].rdlen);
        add_target(bd, node.rr[i].rdata, dname_is_sub(node.rr[i].rdata, owner));
    }
    return 0;
}

/*
 * Addresses of the collected targets that live in our zones, outside any cut unless glue.
 * Optional addresses that do not fit are left out; glue that does not fit is an overflow.
 */
static int additional(struct build *bd, size_t *add_start, bool *glue_needed)
{
    *add_start = bd->b.wb.pos;
    for (unsigned i = 0; i < bd->ntargets; i++) {
        uint8_t key[DNAME_KEY_MAX];
        const uint8_t *name = bd->targets[i].name;
        size_t klen = dname_key(name, key);
        const struct zonedb_zone *z = zonedb_find_zone(bd->r, key, klen);
        if (z == NULL)
            continue;
        if (!bd->targets[i].required && find_cut(z, key, klen) != NULL)
            continue;
        struct zonedb_node node;
        int rc = zonedb_node_get(bd->r, z, key, klen, &node);
        if (rc != 0)
            return rc;
        for (unsigned j = 0; j < node.nrr; j++) {
            const struct zonedb_rr *rr = &node.rr[j];
            if (rr->type != DNS_T_A && rr->type != DNS_T_AAAA)
                continue;
            bool put = dnsmsg_put_rr(&bd->b, DNSMSG_AR, name, rr->type, DNS_C_IN, rr->ttl,
                                     rr->rdata, rr->rdlen);
            if (bd->targets[i].required) {
                *glue_needed = true;
                bd->overflow |= !put;
            }
        }
    }
    return 0;
}

int answer_build(struct zonedb_reader *r, const struct dnsmsg_query *q, struct answer *a)
{
    static __thread struct build bd_tls;
    struct build *bd = &bd_tls;
    uint8_t name[DNAME_MAXLEN], key[DNAME_KEY_MAX];
    unsigned rcode = DNS_R_NOERROR;
    uint16_t flags = DNS_F_QR;
    int rc = 0;

    bd->r = r;
    bd->ntargets = 0;
    bd->overflow = false;
    a->glue_needed = false;
    dnsmsg_begin(&bd->b, a->buf, DNSMSG_MAX, 0, flags);
    dnsmsg_put_question(&bd->b, q->qname, q->qtype, q->qclass);

    memcpy(name, q->qname, q->qname_len);
    size_t klen = dname_key(name, key);
    const struct zonedb_zone *z = zonedb_find_zone(r, key, klen);
    if ((q->qclass != DNS_C_IN && q->qclass != DNS_C_ANY) || z == NULL) {
        rcode = DNS_R_REFUSED; /* not ours: we are no resolver (RFC 1034 §4.3.1) */
        goto done;
    }
    if (q->qtype == DNS_T_AXFR) {
        /* AXFR is served over TCP only (server/xfr.c); over UDP it is not defined (RFC 5936
         * §4.2), and NOTIMP is what NSD and Knot answer there */
        rcode = DNS_R_NOTIMP;
        goto done;
    }
    if (q->qtype == DNS_T_IXFR) {
        rcode = DNS_R_REFUSED; /* incremental transfers are not offered */
        goto done;
    }
    if (q->qtype == DNS_T_MAILA || q->qtype == DNS_T_MAILB || q->qtype == DNS_T_OPT) {
        rcode = DNS_R_NOTIMP;
        goto done;
    }
    flags |= DNS_F_AA;
    uint8_t seen[CHAIN_MAX][DNAME_MAXLEN]; /* names of the chain so far, to stop loops */
    for (unsigned hop = 0;; hop++) {
        memcpy(seen[hop], name, dname_len(name));
        if (q->qtype == DNS_T_DS)
            z = ds_zone(r, z, key, klen);
        const struct zonedb_key *cut = find_cut(z, key, klen);
        /* A DS query for the cut itself is answered from this (the parent) side, with AA:
         * the DS RRset, or NODATA with our SOA (RFC 4035 §3.1.4.1) -- never a referral. */
        if (cut != NULL && !(q->qtype == DNS_T_DS && cut->len == klen)) {
            /* Below a cut: a referral. After CNAMEs the answer keeps them and AA (the
             * CNAMEs are our data) and the referral follows for the last target, as NSD
             * and Knot answer (RFC 1034 §4.3.2 steps 3a, 3b). */
            if (hop == 0)
                flags &= (uint16_t)~DNS_F_AA;
            rc = referral(bd, z, cut);
            goto done;
        }
        struct zonedb_node node;
        if ((rc = zonedb_node_get(r, z, key, klen, &node)) != 0)
            goto done;
        if (node.nrr == 0) {
            if (node.has_below) { /* empty non-terminal: the name exists, NODATA */
                put_soa(bd, z);
                goto done;
            }
            int w = find_wildcard(bd, z, key, klen, &node);
            if (w < 0) {
                rc = w;
                goto done;
            }
            if (w == 0) {
                rcode = DNS_R_NXDOMAIN;
                put_soa(bd, z);
                goto done;
            }
        }
        const struct zonedb_rr *cname = NULL;
        unsigned matched = 0;
        for (unsigned i = 0; i < node.nrr; i++) {
            const struct zonedb_rr *rr = &node.rr[i];
            if (rr->type == DNS_T_CNAME)
                cname = rr;
            if (rr->type == q->qtype || q->qtype == DNS_T_ANY) {
                put_rr(bd, DNSMSG_AN, name, rr->type, rr->ttl, rr->rdata, rr->rdlen);
                const uint8_t *t = rdata_target(rr);
                if (t != NULL)
                    add_target(bd, t, false);
                matched++;
            }
        }
        if (matched > 0)
            goto done;
        if (cname == NULL) {
            put_soa(bd, z); /* NODATA */
            goto done;
        }
        put_rr(bd, DNSMSG_AN, name, DNS_T_CNAME, cname->ttl, cname->rdata, cname->rdlen);
        /* Follow the target while it is ours; a loop or a long chain stops at CHAIN_MAX. */
        uint8_t next[DNAME_MAXLEN];
        memcpy(next, cname->rdata, dname_len(cname->rdata));
        dname_lower(next);
        memcpy(name, next, dname_len(next));
        klen = dname_key(name, key);
        z = zonedb_find_zone(r, key, klen);
        if (z == NULL || hop + 1 >= CHAIN_MAX)
            goto done;
        for (unsigned i = 0; i <= hop; i++)
            if (dname_equal(seen[i], name))
                goto done; /* a loop: the answer holds each CNAME once */
    }
done:
    if (rc != 0)
        return rc;
    if ((rc = additional(bd, &a->add_start, &a->glue_needed)) != 0)
        return rc;
    a->add_count = bd->b.counts[DNSMSG_AR];
    wbuf_set_u16(&bd->b.wb, 2, (uint16_t)(flags | rcode));
    a->len = dnsmsg_finish(&bd->b);
    if (bd->overflow || a->len == 0) {
        /* Over 64 KiB even on TCP: only giant RRsets get here. A response cut short would
         * be taken for the whole RRset, so say SERVFAIL instead (RFC 1035 §4.1.1). */
        dnsmsg_begin(&bd->b, a->buf, DNSMSG_MAX, 0, DNS_F_QR | DNS_R_SERVFAIL);
        dnsmsg_put_question(&bd->b, q->qname, q->qtype, q->qclass);
        a->len = dnsmsg_finish(&bd->b);
        a->add_start = a->len;
        a->add_count = 0;
        a->glue_needed = false;
    }
    return 0;
}

size_t answer_udp_limit(const struct dnsmsg_query *q)
{
    return q->has_edns ? q->edns_udp : DNSMSG_UDP_MIN;
}

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static size_t put_opt(uint8_t *p, unsigned ext_rcode, bool do_bit)
{
    p[0] = 0;
    put_u16(p + 1, DNS_T_OPT);
    put_u16(p + 3, DNSMSG_EDNS_SIZE);
    p[5] = (uint8_t)ext_rcode;
    p[6] = 0;
    put_u16(p + 7, do_bit ? DNS_EDNS_DO : 0);
    put_u16(p + 9, 0);
    return 11;
}

size_t answer_finish(const struct answer *a, const struct dnsmsg_query *q, const uint8_t *pkt,
                     uint8_t *out, size_t limit)
{
    size_t opt = q->has_edns ? 11 : 0;
    size_t qend = DNSMSG_HDRLEN + q->qname_len + 4;
    size_t len = a->len;
    uint16_t arcount = a->add_count;
    bool tc = false;
    if (len + opt > limit) {
        if (!a->glue_needed && a->add_start + opt <= limit) {
            len = a->add_start; /* RFC 2181 §9: drop additional data before truncating */
            arcount = 0;
        } else {
            len = qend;
            tc = true;
        }
    }
    memcpy(out, a->buf, len);
    uint16_t flags = (uint16_t)(out[2] << 8 | out[3]);
    flags = (uint16_t)(flags | (q->hdr.flags & DNS_F_RD) | (tc ? DNS_F_TC : 0));
    put_u16(out, q->hdr.id);
    put_u16(out + 2, flags);
    if (tc) {
        put_u16(out + 6, 0);
        put_u16(out + 8, 0);
    }
    /* The question exactly as asked (case included), when it was not compressed. */
    if (q->question_end == qend)
        memcpy(out + DNSMSG_HDRLEN, pkt + DNSMSG_HDRLEN, qend - DNSMSG_HDRLEN);
    if (opt) {
        len += put_opt(out + len, 0, q->edns_do);
        arcount++;
    }
    put_u16(out + 10, tc ? (uint16_t)(opt ? 1 : 0) : arcount);
    return len;
}

size_t answer_error(const struct dnsmsg_query *q, const uint8_t *pkt, size_t pktlen,
                    unsigned rcode, uint8_t *out, size_t cap)
{
    struct dnsmsg_builder b;
    if (pktlen < DNSMSG_HDRLEN || cap < 512)
        return 0;
    uint16_t flags = (uint16_t)(DNS_F_QR | (q->hdr.flags & (0x7800 | DNS_F_RD)) | (rcode & 0xf));
    dnsmsg_begin(&b, out, cap, q->hdr.id, flags);
    if (q->qname_len > 0)
        dnsmsg_put_question(&b, q->qname, q->qtype, q->qclass);
    if (q->has_edns)
        dnsmsg_put_opt(&b, DNSMSG_EDNS_SIZE, (uint8_t)(rcode >> 4), q->edns_do);
    size_t len = dnsmsg_finish(&b);
    if (q->qname_len > 0 && q->question_end == DNSMSG_HDRLEN + q->qname_len + 4)
        memcpy(out + DNSMSG_HDRLEN, pkt + DNSMSG_HDRLEN, q->qname_len + 4);
    return len;
}
