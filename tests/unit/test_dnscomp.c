/* Unit tests of name compression in the message builder (common/dnsmsg, RFC 1035 §4.1.4):
 * messages of many names read back by the parser, pointers only backwards and below 0x4000,
 * the case of a name's first writing kept, the rdata of types other than RFC 1035's never
 * compressed nor pointed into, a record rolled back leaving nothing to point at, and the size
 * of every message equal to a naive reference compressor's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dname.h"
#include "common/dnsmsg.h"

#define MAXN 4000

/* One record to write: owner and, for the types that carry one, a name in the rdata. */
struct rec {
    uint8_t owner[DNAME_MAXLEN];
    uint16_t type;
    uint8_t rdata[DNAME_MAXLEN + 2];
    uint16_t rdlen;
};

/* A wire name from text ("www.Lab."), relative names never used here. */
static void wire(const char *text, uint8_t *out)
{
    assert_true(dname_from_text(text, NULL, out, NULL) > 0);
}

/* A deterministic mix: hosts at several depths, mixed case, NS/CNAME/MX/SRV/PTR targets in
 * and out of the zone, and a private type whose rdata holds the bytes of a name. */
static size_t make_records(struct rec *r, size_t n)
{
    static const char *const zones[] = {"lab.", "Student07.LAB.", "b.c.d.e.example.", "lab."};
    uint32_t seed = 12345;
    for (size_t i = 0; i < n; i++) {
        char text[200];
        seed = seed * 1103515245u + 12345u;
        unsigned k = seed >> 16;
        const char *zone = zones[k % 4];
        snprintf(text, sizeof text, "%s%u.%s%s", (k & 8) ? "H" : "h", (k >> 4) % 700,
                 (k & 64) ? "sub." : "", zone);
        wire(text, r[i].owner);
        switch (k % 7) {
        case 0:
            r[i].type = DNS_T_A;
            memcpy(r[i].rdata, "\xc6\x12\x00\x01", 4);
            r[i].rdlen = 4;
            break;
        case 1:
        case 2: {
            static const uint16_t types[] = {DNS_T_NS, DNS_T_CNAME};
            r[i].type = types[k % 7 - 1];
            snprintf(text, sizeof text, "ns%u.%s", (k >> 8) % 5, k & 32 ? "LAB." : "other.test.");
            wire(text, r[i].rdata);
            r[i].rdlen = (uint16_t)dname_len(r[i].rdata);
            break;
        }
        case 3:
            r[i].type = DNS_T_MX;
            r[i].rdata[0] = 0;
            r[i].rdata[1] = 10;
            snprintf(text, sizeof text, "mx.%s", zone);
            wire(text, r[i].rdata + 2);
            r[i].rdlen = (uint16_t)(2 + dname_len(r[i].rdata + 2));
            break;
        case 4: /* SRV: a name in the rdata, not compressed (RFC 2782) */
            r[i].type = DNS_T_SRV;
            memcpy(r[i].rdata, "\0\1\0\2\x1f\x90", 6);
            snprintf(text, sizeof text, "h%u.%s", (k >> 4) % 700, zone);
            wire(text, r[i].rdata + 6);
            r[i].rdlen = (uint16_t)(6 + dname_len(r[i].rdata + 6));
            break;
        case 5: /* a private type whose rdata happens to spell the owner */
            r[i].type = 65280;
            memcpy(r[i].rdata, r[i].owner, dname_len(r[i].owner));
            r[i].rdlen = (uint16_t)dname_len(r[i].owner);
            break;
        default:
            r[i].type = DNS_T_PTR;
            snprintf(text, sizeof text, "h%u.%s", (k >> 4) % 700, zones[(k >> 9) % 4]);
            wire(text, r[i].rdata);
            r[i].rdlen = (uint16_t)dname_len(r[i].rdata);
            break;
        }
    }
    return n;
}

/* The compressed names of one rdata per type (RFC 3597 §4): their offset in the rdata. */
static int rdata_name_at(uint16_t type)
{
    switch (type) {
    case DNS_T_NS:
    case DNS_T_CNAME:
    case DNS_T_PTR:
        return 0;
    case DNS_T_MX:
        return 2;
    default:
        return -1;
    }
}

/* ---- a naive reference compressor: every earlier name and suffix decoded and compared */

struct naive {
    uint8_t *m;
    size_t pos, cap;
    size_t names[4 * MAXN]; /* offsets of every suffix spelled out, below 0x4000 */
    size_t n;
};

static bool naive_equal_at(const struct naive *nv, size_t off, const uint8_t *name)
{
    uint8_t tmp[DNAME_MAXLEN];
    struct rbuf rb;
    rbuf_init(&rb, nv->m, nv->pos);
    rb.pos = off;
    return dname_decode(&rb, tmp) > 0 && dname_equal(tmp, name);
}

static void naive_name(struct naive *nv, const uint8_t *name)
{
    for (const uint8_t *p = name; *p; p += *p + 1) {
        for (size_t i = 0; i < nv->n; i++) {
            if (naive_equal_at(nv, nv->names[i], p)) {
                nv->m[nv->pos++] = (uint8_t)(0xc0 | nv->names[i] >> 8);
                nv->m[nv->pos++] = (uint8_t)nv->names[i];
                return;
            }
        }
        if (nv->pos < 0x4000)
            nv->names[nv->n++] = nv->pos;
        memcpy(nv->m + nv->pos, p, (size_t)*p + 1);
        nv->pos += (size_t)*p + 1;
    }
    nv->m[nv->pos++] = 0;
}

/* The length the naive compressor gives records r[0..n) after a question for qname. */
static size_t naive_message(struct naive *nv, const uint8_t *qname, const struct rec *r,
                            size_t n)
{
    nv->pos = DNSMSG_HDRLEN;
    nv->n = 0;
    naive_name(nv, qname);
    memcpy(nv->m + nv->pos, "\0\xfc\0\1", 4); /* AXFR IN */
    nv->pos += 4;
    for (size_t i = 0; i < n; i++) {
        naive_name(nv, r[i].owner);
        uint8_t *f = nv->m + nv->pos; /* type, class IN, TTL 60, rdata length */
        memcpy(f, (uint8_t[]){(uint8_t)(r[i].type >> 8), (uint8_t)r[i].type, 0, 1, 0, 0, 0, 60},
               8);
        nv->pos += 10;
        size_t rdstart = nv->pos;
        int at = rdata_name_at(r[i].type);
        if (at < 0) {
            memcpy(nv->m + nv->pos, r[i].rdata, r[i].rdlen);
            nv->pos += r[i].rdlen;
        } else {
            memcpy(nv->m + nv->pos, r[i].rdata, (size_t)at);
            nv->pos += (size_t)at;
            naive_name(nv, r[i].rdata + at);
        }
        f[8] = (uint8_t)((nv->pos - rdstart) >> 8);
        f[9] = (uint8_t)(nv->pos - rdstart);
    }
    return nv->pos;
}

/* ---- checks of a built message */

/* Label starts seen so far in the message being checked: a pointer may only land on one. */
static bool label_start[65536];

/* The name at p: its labels are remembered, its pointer (if any) leads backwards, below
 * 0x4000, to the start of a label written before. */
static void check_name_at(const uint8_t *m, size_t p)
{
    while (m[p] != 0 && (m[p] & 0xc0) != 0xc0) {
        label_start[p] = true;
        p += m[p] + 1u;
    }
    if ((m[p] & 0xc0) == 0xc0) {
        size_t to = (size_t)(m[p] & 0x3f) << 8 | m[p + 1];
        assert_true(to < p);
        assert_true(to < 0x4000);
        assert_true(label_start[to]);
    }
}

/* Reads the message back: every name checked (check_name_at) and equal to what was written
 * (case-insensitively, and byte for byte when want_case), the rdata of the other types as
 * given. */
static void check_message(const uint8_t *m, size_t len, const uint8_t *qname,
                          const struct rec *r, size_t n, bool want_case)
{
    memset(label_start, 0, sizeof label_start);
    struct rbuf rb;
    rbuf_init(&rb, m, len);
    struct dnsmsg_header h;
    assert_true(dnsmsg_header_decode(&rb, &h));
    assert_int_equal(h.qdcount, 1);
    assert_int_equal(h.ancount, n);
    for (size_t i = 0; i <= n; i++) {
        const uint8_t *want = i == 0 ? qname : r[i - 1].owner;
        uint8_t got[DNAME_MAXLEN];
        check_name_at(m, rb.pos);
        assert_true(dname_decode(&rb, got) > 0);
        assert_true(dname_equal(got, want));
        if (want_case)
            assert_memory_equal(got, want, dname_len(want));
        if (i == 0) {
            rbuf_skip(&rb, 4);
            continue;
        }
        uint16_t type = rbuf_u16(&rb);
        rbuf_skip(&rb, 6);
        uint16_t rdlen = rbuf_u16(&rb);
        assert_int_equal(type, r[i - 1].type);
        int at = rdata_name_at(type);
        if (at < 0) { /* never compressed: the bytes as given */
            assert_int_equal(rdlen, r[i - 1].rdlen);
            assert_true(rbuf_need(&rb, rdlen));
            assert_memory_equal(rbuf_cur(&rb), r[i - 1].rdata, rdlen);
            rbuf_skip(&rb, rdlen);
            continue;
        }
        size_t end = rb.pos + rdlen;
        rbuf_skip(&rb, (size_t)at);
        check_name_at(m, rb.pos);
        assert_true(dname_decode(&rb, got) > 0);
        assert_true(dname_equal(got, r[i - 1].rdata + at));
        assert_int_equal(rb.pos, end);
    }
    assert_false(rb.err);
    assert_int_equal(rb.pos, len);
}

/* Records r[from..) into messages of up to max bytes; each checked and compared with the
 * naive compressor. Returns the number of messages. */
static unsigned build_all(const struct rec *r, size_t n, size_t max, size_t cap)
{
    static uint8_t buf[65535], ref[65535 + 1024];
    static struct naive nv;
    static const uint8_t qname[] = "\3LAB";
    struct dnsmsg_builder b;
    unsigned msgs = 0;
    for (size_t i = 0; i < n;) {
        size_t first = i;
        dnsmsg_begin(&b, buf, cap, 7, DNS_F_QR | DNS_F_AA);
        dnsmsg_put_question(&b, qname, DNS_T_AXFR, DNS_C_IN);
        while (i < n && b.wb.pos < max &&
               dnsmsg_put_rr(&b, DNSMSG_AN, r[i].owner, r[i].type, DNS_C_IN, 60, r[i].rdata,
                             r[i].rdlen))
            i++;
        assert_true(i > first);
        size_t len = dnsmsg_finish(&b);
        assert_true(len > 0);
        check_message(buf, len, qname, r + first, i - first, false);
        nv.m = ref;
        nv.cap = sizeof ref;
        assert_int_equal(naive_message(&nv, qname, r + first, i - first), len);
        assert_memory_equal(ref + DNSMSG_HDRLEN, buf + DNSMSG_HDRLEN, len - DNSMSG_HDRLEN);
        msgs++;
    }
    return msgs;
}

/* Many names in 16 KiB messages, as a zone transfer sends them: every message reads back and
 * is, byte for byte, what the naive compressor writes. */
static void test_dnscomp_many_names_match_a_naive_compressor(void **state)
{
    (void)state;
    static struct rec r[MAXN];
    make_records(r, MAXN);
    assert_true(build_all(r, MAXN, 16384, 65535) > 4);
}

/* Messages of 64 KiB: names past 0x4000 are written but never pointed at; pointers from
 * there still reach the names of the first 16 KiB. */
static void test_dnscomp_pointers_stay_below_0x4000_in_big_messages(void **state)
{
    (void)state;
    static struct rec r[MAXN];
    make_records(r, MAXN);
    assert_true(build_all(r, MAXN, 60000, 65535) >= 2);
}

/* The first writing of a name keeps its case; later ones point at it whatever their case. */
static void test_dnscomp_keeps_the_case_written_first(void **state)
{
    (void)state;
    uint8_t buf[512];
    struct dnsmsg_builder b;
    struct rec r[3] = {0};
    wire("WwW.Lab.", r[0].owner);
    wire("www.LAB.", r[1].owner);
    wire("Mail.lab.", r[2].owner);
    for (int i = 0; i < 3; i++) {
        r[i].type = DNS_T_A;
        r[i].rdlen = 4;
    }
    dnsmsg_begin(&b, buf, sizeof buf, 1, DNS_F_QR);
    dnsmsg_put_question(&b, r[0].owner, DNS_T_A, DNS_C_IN);
    for (int i = 0; i < 3; i++)
        assert_true(dnsmsg_put_rr(&b, DNSMSG_AN, r[i].owner, DNS_T_A, DNS_C_IN, 1, r[i].rdata, 4));
    size_t len = dnsmsg_finish(&b);
    /* the question spelled as given; both www owners a pointer to it; Mail spelled out
     * with its case, then a pointer to the question's "Lab" */
    static const uint8_t want[] = {3, 'W', 'w', 'W', 3, 'L', 'a', 'b', 0};
    assert_memory_equal(buf + DNSMSG_HDRLEN, want, sizeof want);
    size_t rr1 = DNSMSG_HDRLEN + sizeof want + 4;
    assert_int_equal(buf[rr1], 0xc0);
    assert_int_equal(buf[rr1 + 1], DNSMSG_HDRLEN);
    size_t rr3 = rr1 + 2 * (2 + 10 + 4);
    assert_memory_equal(buf + rr3, "\4Mail\xc0\x10", 7);
    assert_int_equal(len, rr3 + 7 + 10 + 4);
    /* read back: the names as written first */
    struct rbuf rb;
    uint8_t got[DNAME_MAXLEN];
    rbuf_init(&rb, buf, len);
    rb.pos = rr1;
    assert_true(dname_decode(&rb, got) > 0);
    assert_memory_equal(got, r[0].owner, dname_len(r[0].owner));
}

/* A record that does not fit is rolled back with the names it spelled out: the next record
 * with the same owner spells it again instead of pointing past the end. */
static void test_dnscomp_rolled_back_names_are_forgotten(void **state)
{
    (void)state;
    uint8_t buf[80];
    struct dnsmsg_builder b;
    uint8_t q[DNAME_MAXLEN], owner[DNAME_MAXLEN], big[40] = {0};
    wire("lab.", q);
    wire("a-rather-long-owner-name.lab.", owner);
    dnsmsg_begin(&b, buf, sizeof buf, 1, DNS_F_QR);
    dnsmsg_put_question(&b, q, DNS_T_AXFR, DNS_C_IN);
    size_t before = b.wb.pos;
    unsigned ncomp = b.ncomp;
    assert_false(dnsmsg_put_rr(&b, DNSMSG_AN, owner, 65280, DNS_C_IN, 1, big, sizeof big));
    assert_int_equal(b.wb.pos, before);
    assert_int_equal(b.ncomp, ncomp);
    assert_true(dnsmsg_put_rr(&b, DNSMSG_AN, owner, DNS_T_A, DNS_C_IN, 1, big, 4));
    size_t len = dnsmsg_finish(&b);
    struct rec r = {0};
    memcpy(r.owner, owner, dname_len(owner));
    r.type = DNS_T_A;
    r.rdlen = 4;
    check_message(buf, len, q, &r, 1, true);
    assert_int_equal(buf[before], 24); /* spelled out again, not a pointer */
}

/* A builder starts a message afresh: nothing of the message before is pointed at. */
static void test_dnscomp_a_new_message_forgets_the_names_before(void **state)
{
    (void)state;
    uint8_t buf[512];
    struct dnsmsg_builder b;
    struct rec r = {0};
    wire("host.zone.test.", r.owner);
    r.type = DNS_T_A;
    r.rdlen = 4;
    for (int round = 0; round < 2; round++) {
        static const uint8_t root[] = "";
        dnsmsg_begin(&b, buf, sizeof buf, 1, DNS_F_QR);
        dnsmsg_put_question(&b, root, DNS_T_A, DNS_C_IN);
        assert_true(dnsmsg_put_rr(&b, DNSMSG_AN, r.owner, DNS_T_A, DNS_C_IN, 1, r.rdata, 4));
        size_t len = dnsmsg_finish(&b);
        check_message(buf, len, root, &r, 1, true);
        assert_int_equal(buf[DNSMSG_HDRLEN + 5], 4); /* "host" spelled out */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dnscomp_many_names_match_a_naive_compressor),
        cmocka_unit_test(test_dnscomp_pointers_stay_below_0x4000_in_big_messages),
        cmocka_unit_test(test_dnscomp_keeps_the_case_written_first),
        cmocka_unit_test(test_dnscomp_rolled_back_names_are_forgotten),
        cmocka_unit_test(test_dnscomp_a_new_message_forgets_the_names_before),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
