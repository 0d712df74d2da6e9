/*
 * dnsmsg — see dnsmsg.h.
 */
#include "common/dnsmsg.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/num.h"

bool dnsmsg_header_decode(struct rbuf *rb, struct dnsmsg_header *h)
{
    h->id = rbuf_u16(rb);
    h->flags = rbuf_u16(rb);
    h->qdcount = rbuf_u16(rb);
    h->ancount = rbuf_u16(rb);
    h->nscount = rbuf_u16(rb);
    h->arcount = rbuf_u16(rb);
    return !rb->err;
}

int dnsmsg_skip_rr(struct rbuf *rb)
{
    uint8_t name[DNAME_MAXLEN];
    if (dname_decode(rb, name) < 0)
        return -1;
    uint16_t type = rbuf_u16(rb);
    rbuf_skip(rb, 6); /* class, ttl */
    uint16_t rdlen = rbuf_u16(rb);
    rbuf_skip(rb, rdlen);
    return rb->err ? -1 : type;
}

static bool parse_opt(struct rbuf *rb, struct dnsmsg_query *q)
{
    uint8_t name[DNAME_MAXLEN];
    if (dname_decode(rb, name) != 1) /* RFC 6891 §6.1.2: the owner must be the root */
        return false;
    rbuf_skip(rb, 2); /* type, read by the caller already */
    uint16_t udp = rbuf_u16(rb);
    rbuf_u8(rb); /* extended rcode: meaningless in a query */
    q->edns_version = rbuf_u8(rb);
    uint16_t flags = rbuf_u16(rb);
    uint16_t rdlen = rbuf_u16(rb);
    if (!rbuf_need(rb, rdlen))
        return false;
    /* Options are {code, length, data}; each must fit inside RDATA. Unknown ones are ignored. */
    struct rbuf opts;
    rbuf_init(&opts, rbuf_cur(rb), rdlen);
    while (rbuf_left(&opts) > 0) {
        rbuf_u16(&opts);
        uint16_t olen = rbuf_u16(&opts);
        rbuf_skip(&opts, olen);
    }
    if (opts.err)
        return false;
    rbuf_skip(rb, rdlen);
    q->has_edns = true;
    q->edns_udp = udp < DNSMSG_UDP_MIN ? DNSMSG_UDP_MIN : udp;
    q->edns_do = (flags & DNS_EDNS_DO) != 0;
    return !rb->err;
}

/* The first authority record of an IXFR query, when it is an SOA owned by the qname: the
 * client's serial (RFC 1995 §3). The record at off was checked whole by dnsmsg_skip_rr; its
 * owner may point back into the question, so it is decoded against the whole packet. */
static void ixfr_serial(const uint8_t *pkt, size_t len, size_t off, struct dnsmsg_query *q)
{
    uint8_t owner[DNAME_MAXLEN];
    struct rbuf rb;
    rbuf_init(&rb, pkt, len);
    rb.pos = off;
    if (dname_decode(&rb, owner) < 0)
        return;
    dname_lower(owner);
    uint16_t type = rbuf_u16(&rb), klass = rbuf_u16(&rb);
    rbuf_skip(&rb, 4); /* ttl */
    uint16_t rdlen = rbuf_u16(&rb);
    size_t end = rb.pos + rdlen;
    uint8_t name[DNAME_MAXLEN];
    if (rb.err || type != DNS_T_SOA || klass != q->qclass || !dname_equal(owner, q->qname) ||
        dname_decode(&rb, name) < 0 || dname_decode(&rb, name) < 0 || rb.pos + 20 != end)
        return;
    q->ixfr_serial = rbuf_u32(&rb);
    q->has_ixfr_serial = !rb.err;
}

enum dnsmsg_verdict dnsmsg_parse_query(const uint8_t *pkt, size_t len, struct dnsmsg_query *q)
{
    struct rbuf rb;
    rbuf_init(&rb, pkt, len);
    memset(q, 0, sizeof *q);
    if (!dnsmsg_header_decode(&rb, &q->hdr))
        return DNSMSG_DROP;
    if (q->hdr.flags & DNS_F_QR)
        return DNSMSG_DROP; /* never answer a response: that is how reflection loops start */
    q->opcode = (uint8_t)DNS_F_OPCODE(q->hdr.flags);
    if (q->opcode != DNS_OP_QUERY && q->opcode != DNS_OP_NOTIFY)
        return DNSMSG_NOTIMP;
    if (q->hdr.qdcount != 1)
        return DNSMSG_FORMERR;
    /* Every RR takes at least 11 bytes; refuse counts the packet cannot hold before looping. */
    size_t rrs = (size_t)q->hdr.ancount + q->hdr.nscount + q->hdr.arcount;
    if (rrs * 11 > rbuf_left(&rb))
        return DNSMSG_FORMERR;
    int n = dname_decode(&rb, q->qname);
    q->qtype = rbuf_u16(&rb);
    q->qclass = rbuf_u16(&rb);
    if (n < 0 || rb.err)
        return DNSMSG_FORMERR;
    q->qname_len = (size_t)n;
    dname_lower(q->qname);
    q->question_end = rb.pos;
    for (size_t i = 0; i < (size_t)q->hdr.ancount + q->hdr.nscount; i++) {
        size_t start = rb.pos;
        if (dnsmsg_skip_rr(&rb) < 0)
            return DNSMSG_FORMERR;
        if (i == q->hdr.ancount && q->qtype == DNS_T_IXFR)
            ixfr_serial(pkt, len, start, q);
    }
    for (unsigned i = 0; i < q->hdr.arcount; i++) {
        size_t start = rb.pos;
        int type = dnsmsg_skip_rr(&rb);
        if (type < 0)
            return DNSMSG_FORMERR;
        if (type == DNS_T_TSIG) {
            if (i + 1 != q->hdr.arcount)
                return DNSMSG_FORMERR; /* RFC 8945 §5.1: TSIG is the last record, once */
            q->tsig_off = start;
        } else if (type == DNS_T_OPT) {
            if (q->has_edns)
                return DNSMSG_FORMERR; /* RFC 6891 §6.1.1: more than one OPT */
            struct rbuf ob;
            rbuf_init(&ob, pkt + start, rb.pos - start);
            if (!parse_opt(&ob, q))
                return DNSMSG_FORMERR;
        }
    }
    if (rb.pos != len)
        return DNSMSG_FORMERR; /* trailing garbage */
    return DNSMSG_OK;
}

/* ---- building ---------------------------------------------------------------------- */

void dnsmsg_begin(struct dnsmsg_builder *b, void *buf, size_t cap, uint16_t id, uint16_t flags)
{
    wbuf_init(&b->wb, buf, cap);
    memset(b->counts, 0, sizeof b->counts);
    b->ncomp = 0;
    wbuf_u16(&b->wb, id);
    wbuf_u16(&b->wb, flags);
    for (int i = 0; i < 4; i++)
        wbuf_u16(&b->wb, 0);
}

/* Does the (possibly compressed) name at msg offset `off` equal the uncompressed `name`? */
static bool name_at_equals(const struct wbuf *wb, size_t off, const uint8_t *name)
{
    uint8_t tmp[DNAME_MAXLEN];
    struct rbuf rb;
    rbuf_init(&rb, wb->data, wb->pos);
    rb.pos = off;
    if (dname_decode(&rb, tmp) < 0)
        return false;
    return dname_equal(tmp, name);
}

void dnsmsg_put_name(struct dnsmsg_builder *b, const uint8_t *name)
{
    /* For each suffix, longest first, look for an earlier copy to point at. O(labels*ncomp),
     * fine for answers of a few dozen records; the answer cache spares repeated work. */
    const uint8_t *p = name;
    while (*p) {
        for (unsigned i = 0; i < b->ncomp; i++) {
            if (name_at_equals(&b->wb, b->comp[i], p)) {
                wbuf_u16(&b->wb, (uint16_t)(0xc000 | b->comp[i]));
                return;
            }
        }
        if (b->wb.pos < 0x4000 && b->ncomp < DNSMSG_COMP_MAX)
            b->comp[b->ncomp++] = (uint16_t)b->wb.pos;
        wbuf_put(&b->wb, p, (size_t)*p + 1);
        p += *p + 1;
    }
    wbuf_u8(&b->wb, 0);
}

void dnsmsg_put_question(struct dnsmsg_builder *b, const uint8_t *name, uint16_t type,
                         uint16_t klass)
{
    dnsmsg_put_name(b, name);
    wbuf_u16(&b->wb, type);
    wbuf_u16(&b->wb, klass);
    b->counts[DNSMSG_QD]++;
}

/* Writes rdata, compressing the embedded names of the RFC 1035 types. */
static void put_rdata(struct dnsmsg_builder *b, uint16_t type, const uint8_t *rd, uint16_t len)
{
    struct rbuf rb;
    uint8_t name[DNAME_MAXLEN];
    rbuf_init(&rb, rd, len);
    switch (type) {
    case DNS_T_NS:
    case DNS_T_CNAME:
    case DNS_T_PTR:
        if (dname_decode(&rb, name) < 0 || rbuf_left(&rb) != 0)
            break;
        dnsmsg_put_name(b, name);
        return;
    case DNS_T_MX: {
        uint16_t pref = rbuf_u16(&rb);
        if (dname_decode(&rb, name) < 0 || rbuf_left(&rb) != 0)
            break;
        wbuf_u16(&b->wb, pref);
        dnsmsg_put_name(b, name);
        return;
    }
    case DNS_T_SOA: {
        uint8_t rname[DNAME_MAXLEN];
        if (dname_decode(&rb, name) < 0 || dname_decode(&rb, rname) < 0 || rbuf_left(&rb) != 20)
            break;
        dnsmsg_put_name(b, name);
        dnsmsg_put_name(b, rname);
        wbuf_put(&b->wb, rbuf_cur(&rb), 20);
        return;
    }
    default:
        break;
    }
    wbuf_put(&b->wb, rd, len);
}

bool dnsmsg_put_rr(struct dnsmsg_builder *b, enum dnsmsg_section sec, const uint8_t *owner,
                   uint16_t type, uint16_t klass, uint32_t ttl, const uint8_t *rdata,
                   uint16_t rdlen)
{
    size_t start = b->wb.pos;
    unsigned ncomp = b->ncomp;
    dnsmsg_put_name(b, owner);
    wbuf_u16(&b->wb, type);
    wbuf_u16(&b->wb, klass);
    wbuf_u32(&b->wb, ttl);
    size_t lenpos = b->wb.pos;
    wbuf_u16(&b->wb, 0);
    put_rdata(b, type, rdata, rdlen);
    if (b->wb.overflow) {
        wbuf_truncate(&b->wb, start);
        b->ncomp = ncomp;
        return false;
    }
    wbuf_set_u16(&b->wb, lenpos, (uint16_t)(b->wb.pos - lenpos - 2));
    b->counts[sec]++;
    return true;
}

bool dnsmsg_put_opt(struct dnsmsg_builder *b, uint16_t udp_size, uint8_t ext_rcode, bool do_bit)
{
    if (!wbuf_room(&b->wb, 11)) {
        wbuf_truncate(&b->wb, b->wb.pos);
        return false;
    }
    wbuf_u8(&b->wb, 0);
    wbuf_u16(&b->wb, DNS_T_OPT);
    wbuf_u16(&b->wb, udp_size);
    wbuf_u8(&b->wb, ext_rcode);
    wbuf_u8(&b->wb, 0); /* version 0 */
    wbuf_u16(&b->wb, do_bit ? DNS_EDNS_DO : 0);
    wbuf_u16(&b->wb, 0);
    b->counts[DNSMSG_AR]++;
    return true;
}

void dnsmsg_set_rcode(struct dnsmsg_builder *b, unsigned rcode)
{
    uint16_t flags = (uint16_t)(b->wb.data[2] << 8 | b->wb.data[3]);
    flags = (uint16_t)((flags & ~0xfu) | (rcode & 0xf));
    wbuf_set_u16(&b->wb, 2, flags);
}

size_t dnsmsg_finish(struct dnsmsg_builder *b)
{
    if (b->wb.overflow)
        return 0;
    for (int i = 0; i < 4; i++)
        wbuf_set_u16(&b->wb, 4 + 2 * (size_t)i, b->counts[i]);
    return b->wb.pos;
}

static const struct {
    uint16_t type;
    const char *name;
} type_names[] = {
    {DNS_T_A, "A"},       {DNS_T_NS, "NS"},       {DNS_T_CNAME, "CNAME"}, {DNS_T_SOA, "SOA"},
    {DNS_T_PTR, "PTR"},   {DNS_T_HINFO, "HINFO"}, {DNS_T_MX, "MX"},       {DNS_T_TXT, "TXT"},
    {DNS_T_AAAA, "AAAA"}, {DNS_T_SRV, "SRV"},     {DNS_T_OPT, "OPT"},     {DNS_T_DS, "DS"},
    {DNS_T_RRSIG, "RRSIG"}, {DNS_T_IXFR, "IXFR"}, {DNS_T_AXFR, "AXFR"},   {DNS_T_ANY, "ANY"},
};

const char *dnsmsg_type_name(uint16_t type, char *buf, size_t size)
{
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++) {
        if (type_names[i].type == type) {
            snprintf(buf, size, "%s", type_names[i].name);
            return buf;
        }
    }
    snprintf(buf, size, "TYPE%u", type);
    return buf;
}

uint16_t dnsmsg_type_parse(const char *s)
{
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (strcasecmp(s, type_names[i].name) == 0)
            return type_names[i].type;
    if (strncasecmp(s, "TYPE", 4) == 0) {
        uint64_t v;
        if (num_parse_u64(s + 4, 1, 65535, &v, NULL) == 0)
            return (uint16_t)v;
    }
    return 0;
}
