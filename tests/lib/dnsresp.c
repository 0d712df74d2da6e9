/*
 * dnsresp — see dnsresp.h. Built on the project's own decoders (rbuf, dname, rdata); the
 * names inside NS/CNAME/PTR/MX/SOA/SRV rdata are decompressed into a scratch buffer first.
 */
#include "tests/lib/dnsresp.h"

#include <stdio.h>
#include <string.h>

#include "common/dnsmsg.h"
#include "common/rdata.h"

static int decompress_rdata(const uint8_t *msg, size_t len, size_t pos, uint16_t type,
                            uint16_t rdlen, uint8_t *out, size_t *outlen)
{
    struct rbuf rb;
    struct wbuf wb;
    uint8_t name[DNAME_MAXLEN];
    rbuf_init(&rb, msg, pos + rdlen);
    rb.pos = pos;
    wbuf_init(&wb, out, 65535);
    int names = 0, fixed_before = 0, fixed_after = 0;
    switch (type) {
    case DNS_T_NS: case DNS_T_CNAME: case DNS_T_PTR: names = 1; break;
    case DNS_T_MX: names = 1; fixed_before = 2; break;
    case DNS_T_SRV: names = 1; fixed_before = 6; break;
    case DNS_T_SOA: names = 2; fixed_after = 20; break;
    default: break;
    }
    (void)len;
    if (names == 0) {
        rbuf_need(&rb, rdlen);
        wbuf_put(&wb, rbuf_cur(&rb), rdlen);
        *outlen = wb.pos;
        return rb.err ? -1 : 0;
    }
    rbuf_need(&rb, (size_t)fixed_before);
    wbuf_put(&wb, rbuf_cur(&rb), (size_t)fixed_before);
    rbuf_skip(&rb, (size_t)fixed_before);
    for (int i = 0; i < names; i++) {
        int n = dname_decode(&rb, name);
        if (n < 0)
            return -1;
        wbuf_put(&wb, name, (size_t)n);
    }
    rbuf_need(&rb, (size_t)fixed_after);
    wbuf_put(&wb, rbuf_cur(&rb), (size_t)fixed_after);
    rbuf_skip(&rb, (size_t)fixed_after);
    *outlen = wb.pos;
    return rb.err || rb.pos != pos + rdlen ? -1 : 0;
}

int dnsresp_parse(const uint8_t *msg, size_t len, struct dnsresp *out)
{
    struct rbuf rb;
    struct dnsmsg_header h;
    uint8_t name[DNAME_MAXLEN];
    static uint8_t rd[65536];
    memset(out, 0, sizeof *out);
    rbuf_init(&rb, msg, len);
    if (!dnsmsg_header_decode(&rb, &h))
        return -1;
    out->id = h.id;
    out->flags = h.flags;
    out->rcode = h.flags & 0xf;
    if (h.qdcount > 1)
        return -1;
    if (h.qdcount == 1) {
        if (dname_decode(&rb, name) < 0)
            return -1;
        dname_to_text(name, out->qname, sizeof out->qname);
        out->qtype = rbuf_u16(&rb);
        out->qclass = rbuf_u16(&rb);
    }
    unsigned counts[3] = {h.ancount, h.nscount, h.arcount};
    for (int s = 0; s < 3; s++) {
        for (unsigned i = 0; i < counts[s]; i++) {
            if (dname_decode(&rb, name) < 0)
                return -1;
            uint16_t type = rbuf_u16(&rb);
            rbuf_u16(&rb);
            uint32_t ttl = rbuf_u32(&rb);
            uint16_t rdlen = rbuf_u16(&rb);
            if (rb.err || rbuf_left(&rb) < rdlen)
                return -1;
            if (type == DNS_T_OPT) {
                out->has_opt = 1;
                out->opt_udp = 0;
                out->rcode = (uint16_t)(out->rcode | ((ttl >> 24) << 4));
                rbuf_skip(&rb, rdlen);
                continue;
            }
            size_t rdl;
            if (decompress_rdata(msg, len, rb.pos, type, rdlen, rd, &rdl) != 0)
                return -1;
            rbuf_skip(&rb, rdlen);
            unsigned k = out->count[s + 1]++;
            if (k >= DNSRESP_MAX_RR)
                continue;
            struct dnsresp_rr *rr = &out->rr[s + 1][k];
            dname_to_text(name, rr->owner, sizeof rr->owner);
            rr->type = type;
            rr->ttl = ttl;
            struct wbuf wb;
            wbuf_init(&wb, rr->data, sizeof rr->data);
            rdata_format(type, rd, rdl, &wb);
            wbuf_cstr(&wb);
        }
    }
    return rb.err || rbuf_left(&rb) != 0 ? -1 : 0;
}

int dnsresp_find(const struct dnsresp *r, int section, uint16_t type, const char *data)
{
    for (unsigned i = 0; i < r->count[section] && i < DNSRESP_MAX_RR; i++)
        if (r->rr[section][i].type == type &&
            (data == NULL || strcmp(r->rr[section][i].data, data) == 0))
            return (int)i;
    return -1;
}

size_t dnsresp_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t type,
                     uint16_t edns_udp)
{
    struct dnsmsg_builder b;
    uint8_t wire[DNAME_MAXLEN];
    if (dname_from_text(name, (const uint8_t *)"", wire, NULL) < 0)
        return 0;
    dnsmsg_begin(&b, buf, cap, id, 0);
    /* Keep the case as given: the server must echo it. */
    dnsmsg_put_question(&b, wire, type, DNS_C_IN);
    if (edns_udp)
        dnsmsg_put_opt(&b, edns_udp, 0, false);
    return dnsmsg_finish(&b);
}
