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
    b->prev_owner = 0;
    memset(b->used, 0, sizeof b->used);
    wbuf_u16(&b->wb, id);
    wbuf_u16(&b->wb, flags);
    for (int i = 0; i < 4; i++)
        wbuf_u16(&b->wb, 0);
}

#define COMP_MASK (DNSMSG_COMP_SLOTS - 1u)

static inline uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static inline bool slot_used(const struct dnsmsg_builder *b, unsigned i)
{
    return (b->used[i / 64] >> (i % 64)) & 1;
}

/* Does the name in the message at off (our own writing: pointers lead backwards) equal the
 * uncompressed name, ignoring case? */
static bool name_at_equals(const struct wbuf *wb, size_t off, const uint8_t *name)
{
    const uint8_t *m = wb->data;
    for (unsigned hops = 0; off < wb->pos;) {
        uint8_t l = m[off];
        if ((l & 0xc0) == 0xc0) {
            size_t to = (size_t)(l & 0x3f) << 8 | m[off + 1];
            if (to >= off || ++hops > DNAME_PTR_HOPS_MAX)
                return false;
            off = to;
            continue;
        }
        if (l != *name || off + 1 + l > wb->pos)
            return false;
        if (l == 0)
            return true;
        for (unsigned i = 1; i <= l; i++)
            if (m[off + i] != name[i] && lower(m[off + i]) != lower(name[i]))
                return false;
        off += (size_t)l + 1;
        name += l + 1;
    }
    return false;
}

/* The offset of an earlier copy of suffix (hash h), or 0. */
static size_t comp_find(const struct dnsmsg_builder *b, const uint8_t *suffix, uint32_t h)
{
    uint16_t tag = (uint16_t)(h >> 16);
    for (unsigned i = h & COMP_MASK; slot_used(b, i); i = (i + 1) & COMP_MASK)
        if (b->slot[i].tag == tag && name_at_equals(&b->wb, b->slot[i].off, suffix))
            return b->slot[i].off;
    return 0;
}

/* Remembers that a suffix with hash h starts at off, when a pointer can reach it. */
static void comp_add(struct dnsmsg_builder *b, size_t off, uint32_t h)
{
    if (off >= 0x4000 || b->ncomp >= DNSMSG_COMP_MAX)
        return;
    unsigned i = h & COMP_MASK;
    while (slot_used(b, i))
        i = (i + 1) & COMP_MASK;
    b->used[i / 64] |= (uint64_t)1 << (i % 64);
    b->slot[i].off = (uint16_t)off;
    b->slot[i].tag = (uint16_t)(h >> 16);
    b->log[b->ncomp++] = (uint16_t)i;
}

/* Forgets the suffixes remembered after the first n (a record rolled back). */
static void comp_undo(struct dnsmsg_builder *b, unsigned n)
{
    while (b->ncomp > n) {
        unsigned i = b->log[--b->ncomp];
        b->used[i / 64] &= ~((uint64_t)1 << (i % 64));
    }
}

/* The bytes of w with ASCII capitals made small, eight at a time. */
static inline uint64_t lower8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    uint64_t low7 = w & ~high;                  /* each byte's lower seven bits */
    uint64_t ge_a = low7 + ones * (0x80 - 'A');  /* high bit: at least 'A' */
    uint64_t gt_z = low7 + ones * (0x7f - 'Z');  /* high bit: past 'Z' */
    uint64_t upper = (ge_a ^ gt_z) & ~w & high;  /* high bit: 'A'..'Z' (and ASCII) */
    return w | upper >> 2;
}

/* Mixes one label (its length byte and its bytes, ASCII case folded) into the hash h. */
static inline uint64_t hash_label(uint64_t h, const uint8_t *p)
{
    unsigned len = (unsigned)p[0] + 1, k = 0;
    for (; k + 8 <= len; k += 8) {
        uint64_t w;
        memcpy(&w, p + k, 8);
        h = (h ^ lower8(w)) * 0x9e3779b97f4a7c15u;
        h ^= h >> 32; /* a product's low bits depend on the factors' low bits only */
    }
    if (k < len) {
        uint64_t w = 0;
        for (unsigned j = k; j < len; j++)
            w |= (uint64_t)p[j] << 8 * (j - k);
        h = (h ^ lower8(w)) * 0x9e3779b97f4a7c15u;
        h ^= h >> 32;
    }
    return h;
}

void dnsmsg_put_name(struct dnsmsg_builder *b, const uint8_t *name)
{
    /* the hash of every suffix, from the root up: h[i] covers labels i.. of the name */
    const uint8_t *label[DNAME_MAXLEN / 2 + 1];
    uint32_t h[DNAME_MAXLEN / 2 + 1];
    unsigned n = 0;
    for (const uint8_t *p = name; *p && n < DNAME_MAXLEN / 2; p += *p + 1)
        label[n++] = p;
    uint64_t acc = 0;
    for (unsigned i = n; i-- > 0;) {
        acc = hash_label(acc, label[i]);
        uint64_t x = acc * 0xff51afd7ed558ccdu; /* spread every bit over the slot and tag */
        h[i] = (uint32_t)(x >> 32);
    }
    /* longest suffix first: the labels before the first one found go out as they are */
    size_t start = b->wb.pos, ptr = 0;
    unsigned i = 0;
    for (; i < n; i++)
        if ((ptr = comp_find(b, label[i], h[i])) != 0)
            break;
    size_t plain = i < n ? (size_t)(label[i] - name) : dname_len(name) - 1;
    wbuf_put(&b->wb, name, plain);
    if (b->wb.overflow)
        return;
    for (unsigned k = 0; k < i; k++)
        comp_add(b, start + (size_t)(label[k] - name), h[k]);
    if (i < n)
        wbuf_u16(&b->wb, (uint16_t)(0xc000 | ptr));
    else
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
    uint16_t prev = b->prev_owner;
    /* the records of an RRset, and of a node, come one after the other: the owner of the
     * record before is tried first */
    if (prev != 0 && name_at_equals(&b->wb, prev, owner)) {
        wbuf_u16(&b->wb, (uint16_t)(0xc000 | prev));
    } else {
        dnsmsg_put_name(b, owner);
        uint8_t l = b->wb.overflow ? 0 : b->wb.data[start];
        b->prev_owner = (l & 0xc0) == 0xc0 ? (uint16_t)((l & 0x3f) << 8 | b->wb.data[start + 1])
                        : start < 0x4000 && l != 0 ? (uint16_t)start : 0;
    }
    wbuf_u16(&b->wb, type);
    wbuf_u16(&b->wb, klass);
    wbuf_u32(&b->wb, ttl);
    size_t lenpos = b->wb.pos;
    wbuf_u16(&b->wb, 0);
    put_rdata(b, type, rdata, rdlen);
    if (b->wb.overflow) {
        wbuf_truncate(&b->wb, start);
        comp_undo(b, ncomp);
        b->prev_owner = prev;
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
