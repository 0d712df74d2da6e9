/* Unit tests of zone transfers: db/zonexfr (one snapshot whatever is committed meanwhile)
 * and server/xfr (allow-transfer's address match; the messages of a transfer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "common/dnsmsg.h"
#include "db/zonedb.h"
#include "db/zonexfr.h"
#include "server/xfr.h"
#include "server/xfrcache.h"
#include "tests/lib/testdb.h"

static const uint8_t lab[] = "\3lab";

static int setup(void **state)
{
    struct testdb *t = calloc(1, sizeof *t);
    if (testdb_make(t) != 0)
        return -1;
    *state = t;
    return 0;
}

/* A zone lab. of serial `serial` with n hosts hN, each an A record. */
static void import_hosts(struct testdb *t, unsigned serial, unsigned n)
{
    size_t cap = 256 + (size_t)n * 48, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    len += (size_t)snprintf(text, cap,
                            "$ORIGIN lab.\n@ 3600 SOA ns1 hm %u 2 3 4 5\n@ NS ns1\n"
                            "ns1 A 198.18.0.1\n",
                            serial);
    for (unsigned i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len, "host-with-a-long-name-%u A 198.18.%u.%u\n",
                                i, 1 + i / 250, 1 + i % 250);
    assert_int_equal(testdb_import(t, text), 0);
    free(text);
}

static unsigned read_all(struct zonexfr *x)
{
    struct zonexfr_rr rr;
    unsigned n = 0;
    int rc;
    while ((rc = zonexfr_next(x, &rr, NULL)) == 1) {
        assert_int_not_equal(rr.type, DNS_T_SOA);
        n++;
    }
    assert_int_equal(rc, 0);
    return n;
}

/* A cursor keeps its snapshot while the zone is replaced under it; a new one sees the new. */
static void test_zonexfr_is_one_snapshot(void **state)
{
    struct testdb *t = *state;
    struct zonexfr *x;
    import_hosts(t, 7, 10);
    assert_int_equal(zonexfr_open(t->path, lab, NULL, &x, NULL), 0);
    assert_int_equal(zonexfr_soa(x)->type, DNS_T_SOA);
    import_hosts(t, 8, 20);            /* committed while the cursor is open: it does not wait */
    assert_int_equal(read_all(x), 12); /* NS, ns1 A, 10 hosts */
    const uint8_t *soa = zonexfr_soa(x)->rdata;
    uint16_t len = zonexfr_soa(x)->rdlen;
    assert_int_equal(soa[len - 20 + 3], 7); /* the serial of the snapshot */
    zonexfr_close(x);
    assert_int_equal(zonexfr_open(t->path, lab, NULL, &x, NULL), 0);
    assert_int_equal(read_all(x), 22);
    zonexfr_close(x);
}

/* Transfers keep their connection for the next transfer: two databases transferred in turn
 * each give their own zone, and a database removed and made again under the same path (the
 * inode may well be reused) gives the new one, not what a kept connection still maps. */
static void test_zonexfr_kept_connections_follow_the_file(void **state)
{
    struct testdb *t = *state, other;
    struct zonexfr *x;
    assert_int_equal(testdb_make(&other), 0);
    import_hosts(t, 7, 10);
    import_hosts(&other, 9, 30);
    for (int round = 0; round < 3; round++) {
        assert_int_equal(zonexfr_open(t->path, lab, NULL, &x, NULL), 0);
        assert_int_equal(read_all(x), 12);
        zonexfr_close(x);
        assert_int_equal(zonexfr_open(other.path, lab, NULL, &x, NULL), 0);
        assert_int_equal(read_all(x), 32);
        zonexfr_close(x);
    }
    testdb_cleanup(t);
    testdb_cleanup(&other); /* the same directory name again, for the same path */
    memcpy(t, &other, sizeof other);
    assert_int_equal(mkdir(t->dir, 0700), 0);
    import_hosts(t, 11, 5);
    assert_int_equal(zonexfr_open(t->path, lab, NULL, &x, NULL), 0);
    assert_int_equal(read_all(x), 7);
    assert_int_equal(zonexfr_soa(x)->rdata[zonexfr_soa(x)->rdlen - 20 + 3], 11);
    zonexfr_close(x);
}

/* The root zone: the records owned by the apex "." (whose key is empty) go out too. */
static void test_zonexfr_root_zone(void **state)
{
    struct testdb *t = *state;
    struct zonexfr *x;
    struct zonexfr_rr rr;
    static const uint8_t root[] = "";
    assert_int_equal(testdb_import(t, "$ORIGIN .\n@ 3600 SOA ns1.lab. hm. 3 2 3 4 5\n"
                                      "@ NS ns1.lab.\n@ NS ns2.lab.\nlab. NS ns1.lab.\n"
                                      "ns1.lab. A 198.18.0.1\nns2.lab. A 198.18.0.2\n"),
                     0);
    assert_int_equal(zonexfr_open(t->path, root, NULL, &x, NULL), 0);
    unsigned n = 0, apex_ns = 0;
    while (zonexfr_next(x, &rr, NULL) == 1) {
        n++;
        if (rr.owner[0] == 0 && rr.type == DNS_T_NS)
            apex_ns++;
    }
    assert_int_equal(n, 5);
    assert_int_equal(apex_ns, 2);
    zonexfr_close(x);
}

/* Positions follow the order a whole zone comes in, and a range of them gives exactly the
 * records between, in the same snapshot, as often as asked (server/xfrpatch.c reads the
 * messages it encodes anew so). */
static void test_zonexfr_positions_and_ranges(void **state)
{
    struct testdb *t = *state;
    struct zonexfr *x;
    struct zonexfr_rr rr;
    enum { N = 300 };
    static uint8_t pos[N + 2][300];
    size_t plen[N + 2], n = 0;
    uint8_t start[1], end[1];
    size_t slen = zonexfr_pos(ZONEXFR_POS_START, NULL, start);
    size_t elen = zonexfr_pos(ZONEXFR_POS_END, NULL, end);
    import_hosts(t, 5, N);
    assert_int_equal(zonexfr_open(t->path, lab, NULL, &x, NULL), 0);
    while (zonexfr_next(x, &rr, NULL) == 1) {
        assert_true(n < N + 2);
        plen[n] = zonexfr_pos(ZONEXFR_POS_RECORD, &rr, pos[n]);
        assert_true(zonexfr_pos_cmp(start, slen, pos[n], plen[n]) < 0);
        assert_true(zonexfr_pos_cmp(pos[n], plen[n], end, elen) < 0);
        if (n > 0) { /* strictly after the one before */
            assert_true(zonexfr_pos_cmp(pos[n - 1], plen[n - 1], pos[n], plen[n]) < 0);
            assert_true(zonexfr_pos_cmp(pos[n], plen[n], pos[n - 1], plen[n - 1]) > 0);
        }
        assert_int_equal(zonexfr_pos_cmp(pos[n], plen[n], pos[n], plen[n]), 0);
        n++;
    }
    assert_int_equal(n, N + 2);
    /* an owner against a position: before, among, after its records */
    uint8_t key[DNAME_KEY_MAX];
    size_t klen = dname_key((const uint8_t *)"\3ns1\3lab", key);
    assert_int_equal(zonexfr_pos_owner_cmp(key, klen, start, slen), 1);
    assert_int_equal(zonexfr_pos_owner_cmp(key, klen, end, elen), -1);
    for (size_t i = 0; i < n; i++) {
        int c = zonexfr_pos_owner_cmp(key, klen, pos[i], plen[i]);
        assert_true(c != 0 || memcmp(pos[i] + 3, key, klen) == 0);
    }
    /* ranges, in any order, on the same cursor */
    size_t from[] = {50, 0, 120, 301}, to[] = {120, 10, 302, 302};
    for (int k = 0; k < 4; k++) {
        assert_int_equal(zonexfr_range(x, pos[from[k]], plen[from[k]],
                                       to[k] == N + 2 ? end : pos[to[k]],
                                       to[k] == N + 2 ? elen : plen[to[k]], NULL),
                         0);
        size_t i = from[k];
        while (zonexfr_next(x, &rr, NULL) == 1) {
            uint8_t p[300];
            size_t len = zonexfr_pos(ZONEXFR_POS_RECORD, &rr, p);
            assert_true(i < to[k]);
            assert_int_equal(zonexfr_pos_cmp(p, len, pos[i], plen[i]), 0);
            i++;
        }
        assert_int_equal(i, to[k]);
    }
    assert_int_equal(zonexfr_range(x, start, slen, end, elen, NULL), 0);
    assert_int_equal(read_all(x), N + 2);
    /* the journal cannot describe a step from a version that is not older */
    assert_int_equal(zonexfr_changes(x, zonexfr_version(x), 5, NULL, NULL, NULL), LANA_ENOTFOUND);
    assert_int_equal(zonexfr_changes(x, 0, 5, NULL, NULL, NULL), LANA_ENOTFOUND);
    zonexfr_close(x);
}

static void test_zonexfr_unknown_zone(void **state)
{
    struct testdb *t = *state;
    struct zonexfr *x = NULL;
    struct lana_diag d;
    import_hosts(t, 1, 1);
    assert_int_equal(zonexfr_open(t->path, (const uint8_t *)"\4nope", NULL, &x, &d),
                     LANA_ENOTFOUND);
    assert_null(x);
    zonexfr_close(NULL);
}

static struct sockaddr_storage addr(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (strchr(text, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, text, &s4->sin_addr), 1);
    }
    return ss;
}

static bool allowed(const struct conf_list *l, const char *text)
{
    struct sockaddr_storage ss = addr(text);
    return xfr_allowed(l, (const struct sockaddr *)&ss);
}

static void test_xfr_allowed(void **state)
{
    (void)state;
    struct conf_list none = {0};
    struct conf_list l = {2, {"127.0.0.0/8 ::1/128", "2001:db8::/32"}};
    assert_false(allowed(&none, "127.0.0.1")); /* the default: nobody */
    assert_true(allowed(&l, "127.0.0.1"));
    assert_true(allowed(&l, "127.255.0.9"));
    assert_false(allowed(&l, "128.0.0.1"));
    assert_true(allowed(&l, "::1"));
    assert_false(allowed(&l, "::2"));
    assert_true(allowed(&l, "2001:db8:1::5"));
    assert_true(allowed(&l, "::ffff:127.0.0.1")); /* a v4 client of a dual-stack socket */
    assert_false(allowed(&l, "::ffff:10.0.0.1"));
}

static size_t make_query(uint8_t *pkt, uint16_t id, uint16_t qtype)
{
    static const uint8_t q[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'l', 'a', 'b', 0};
    memcpy(pkt, q, sizeof q);
    pkt[0] = (uint8_t)(id >> 8);
    pkt[1] = (uint8_t)id;
    pkt[sizeof q] = (uint8_t)(qtype >> 8);
    pkt[sizeof q + 1] = (uint8_t)qtype;
    pkt[sizeof q + 2] = 0;
    pkt[sizeof q + 3] = 1;
    return sizeof q + 4;
}

static unsigned u16at(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* The messages of a transfer of 2,000 hosts: several, each with the id, AA and the question,
 * every record once, and the stream ends (freed) after the closing SOA. */
static void test_xfr_messages(void **state)
{
    struct testdb *t = *state;
    struct zonedb_reader *r;
    struct dnsmsg_query q;
    uint8_t pkt[64], *out = malloc(DNSMSG_MAX);
    assert_non_null(out);
    import_hosts(t, 3, 2000);
    assert_int_equal(zonedb_reader_open(t->path, &r, NULL), 0);
    size_t len = make_query(pkt, 0xbeef, DNS_T_AXFR);
    assert_int_equal(dnsmsg_parse_query(pkt, len, &q), DNSMSG_OK);
    struct conf_list allow = {1, {"127.0.0.1/32"}};
    struct sockaddr_storage ok = addr("127.0.0.1"), no = addr("127.0.0.2");
    struct dnstcp_more more = {0};

    size_t n = xfr_answer(t->path, &allow, r, NULL, &q, pkt, len, (const struct sockaddr *)&no, out,
                          &more);
    assert_true(n >= DNSMSG_HDRLEN);
    assert_int_equal(out[3] & 15, DNS_R_REFUSED);
    assert_null(more.next);

    n = xfr_answer(t->path, &allow, r, NULL, &q, pkt, len, (const struct sockaddr *)&ok, out,
                   &more);
    assert_non_null(more.next);
    unsigned msgs = 0, records = 0;
    long m = (long)n;
    while (m > 0) {
        assert_true(m <= DNSMSG_MAX);
        assert_int_equal(u16at(out), 0xbeef);
        assert_int_equal(out[2] & 0x84, 0x84); /* QR, AA */
        assert_int_equal(out[3] & 15, 0);
        assert_int_equal(u16at(out + 4), 1);
        records += u16at(out + 6);
        msgs++;
        m = more.next(more.stream, out);
    }
    assert_int_equal(m, 0);
    more.free(more.stream);
    assert_true(msgs >= 2);
    assert_int_equal(records, 2000 + 2 + 2); /* hosts, NS, ns1 A, SOA twice */

    /* a stream freed before its end (the client left) frees everything (ASan checks) */
    n = xfr_answer(t->path, &allow, r, NULL, &q, pkt, len, (const struct sockaddr *)&ok, out,
                   &more);
    assert_non_null(more.next);
    assert_true(more.next(more.stream, out) > 0);
    more.free(more.stream);

    /* not the apex of a zone: NOTAUTH */
    static const uint8_t sub[] = {0, 1,   0, 0,   0,   1,   0, 0, 0,   0, 0, 0,
                                  1, 'x', 3, 'l', 'a', 'b', 0, 0, 252, 0, 1};
    assert_int_equal(dnsmsg_parse_query(sub, sizeof sub, &q), DNSMSG_OK);
    more = (struct dnstcp_more){0};
    n = xfr_answer(t->path, &allow, r, NULL, &q, sub, sizeof sub, (const struct sockaddr *)&ok, out,
                   &more);
    assert_int_equal(out[3] & 15, 9);
    assert_null(more.next);
    zonedb_reader_close(r);
    free(out);
}

/* A record larger than the 16 KiB a message usually takes goes out alone in a bigger one. */
static void test_xfr_big_record(void **state)
{
    struct testdb *t = *state;
    struct zonedb_reader *r;
    struct dnsmsg_query q;
    uint8_t pkt[64], *out = malloc(DNSMSG_MAX);
    size_t cap = 40000, len = 0;
    char *text = malloc(cap);
    assert_non_null(out);
    assert_non_null(text);
    len += (size_t)snprintf(text, cap,
                            "$ORIGIN lab.\n@ SOA ns1 hm 1 2 3 4 5\n@ NS ns1\n"
                            "ns1 A 198.18.0.1\nbig TXT");
    for (int i = 0; i < 100; i++) /* 100 strings of 200 bytes: 20,100 bytes of rdata */
        len += (size_t)snprintf(text + len, cap - len, " \"%0200d\"", i);
    snprintf(text + len, cap - len, "\nz A 198.18.0.2\n");
    assert_int_equal(testdb_import(t, text), 0);
    free(text);
    assert_int_equal(zonedb_reader_open(t->path, &r, NULL), 0);
    len = make_query(pkt, 1, DNS_T_AXFR);
    assert_int_equal(dnsmsg_parse_query(pkt, len, &q), DNSMSG_OK);
    struct conf_list allow = {1, {"127.0.0.1"}};
    struct sockaddr_storage ok = addr("127.0.0.1");
    struct dnstcp_more more = {0};
    long m = (long)xfr_answer(t->path, &allow, r, NULL, &q, pkt, len, (const struct sockaddr *)&ok,
                              out, &more);
    assert_non_null(more.next);
    unsigned records = 0;
    long biggest = 0;
    while (m > 0) {
        assert_int_equal(out[3] & 15, 0);
        records += u16at(out + 6);
        biggest = m > biggest ? m : biggest;
        m = more.next(more.stream, out);
    }
    assert_int_equal(m, 0);
    more.free(more.stream);
    assert_int_equal(records, 6); /* SOA, NS, ns1 A, big TXT, z A, SOA */
    assert_true(biggest > 20100);
    zonedb_reader_close(r);
    free(out);
}

/* The transfer cache: an entry is found only by its own zone (apex and id), version and
 * serial — a deleted zone's id and journal positions may come back for another zone — and a
 * transfer holding an entry keeps it valid after the zone's next version replaces it. */
static void test_xfrcache_key_and_lifetime(void **state)
{
    (void)state;
    struct xfrcache *c = xfrcache_new(1 << 20);
    assert_non_null(c);
    static const uint8_t za[] = "\2za\3lab", zb[] = "\2zb\3lab";
    struct xfrcache_msgs *m = xfrcache_record(c, za, 7, 40, 2026120201);
    assert_non_null(m);
    assert_true(xfrcache_add(m, (const uint8_t *)"body-one", 8, 1));
    assert_true(xfrcache_add(m, (const uint8_t *)"body-two!", 9, 2));
    xfrcache_publish(c, m);
    assert_null(xfrcache_get(c, zb, 7, 40, 2026120201)); /* another zone in its place */
    assert_null(xfrcache_get(c, za, 7, 41, 2026120201));
    assert_null(xfrcache_get(c, za, 7, 40, 2026120202));
    struct xfrcache_msgs *got = xfrcache_get(c, za, 7, 40, 2026120201);
    assert_non_null(got);
    assert_int_equal(xfrcache_count(got), 2);
    size_t len;
    uint16_t an;
    const uint8_t *b = xfrcache_body(got, 1, &len, &an);
    assert_int_equal(len, 9);
    assert_int_equal(an, 2);
    assert_memory_equal(b, "body-two!", 9);
    /* the next version replaces it; the transfer still holding the old one reads it whole */
    struct xfrcache_msgs *n = xfrcache_record(c, za, 7, 41, 2026120202);
    assert_true(xfrcache_add(n, (const uint8_t *)"new", 3, 1));
    xfrcache_publish(c, n);
    assert_null(xfrcache_get(c, za, 7, 40, 2026120201));
    b = xfrcache_body(got, 0, &len, &an);
    assert_memory_equal(b, "body-one", 8);
    xfrcache_release(got);
    size_t bytes, entries;
    xfrcache_stats(c, &bytes, &entries);
    assert_int_equal(bytes, 3);
    assert_int_equal(entries, 1);
    /* an entry bigger than the cache is not kept */
    struct xfrcache *small = xfrcache_new(16);
    struct xfrcache_msgs *big = xfrcache_record(small, za, 1, 1, 1);
    assert_true(xfrcache_add(big, (const uint8_t *)"0123456789", 10, 1));
    assert_false(xfrcache_add(big, (const uint8_t *)"0123456789", 10, 1));
    xfrcache_drop(big);
    xfrcache_free(small);
    xfrcache_free(c);
}

/* Positions kept with the messages, the zone's latest entry whatever its version, and an
 * entry with one message added without a position has none. */
static void test_xfrcache_positions(void **state)
{
    (void)state;
    struct xfrcache *c = xfrcache_new(1 << 20);
    static const uint8_t za[] = "\2za\3lab";
    assert_null(xfrcache_latest(c, za, 7));
    struct xfrcache_msgs *m = xfrcache_record(c, za, 7, 40, 5);
    for (int i = 0; i < 100; i++) { /* past the first growth of the arrays */
        char pos[8];
        snprintf(pos, sizeof pos, "p%d", i);
        assert_true(
            xfrcache_add_at(m, (const uint8_t *)"body", 4, 1, (const uint8_t *)pos, strlen(pos)));
    }
    xfrcache_publish(c, m);
    struct xfrcache_msgs *got = xfrcache_latest(c, za, 7);
    assert_ptr_equal(got, m);
    assert_int_equal(xfrcache_version(got), 40);
    assert_int_equal(xfrcache_serial(got), 5);
    size_t plen;
    const uint8_t *p = xfrcache_pos(got, 77, &plen);
    assert_non_null(p);
    assert_int_equal(plen, 3);
    assert_memory_equal(p, "p77", 3);
    assert_ptr_equal(xfrcache_ref(got), got);
    xfrcache_release(got);
    xfrcache_release(got);
    assert_null(xfrcache_latest(c, za, 8)); /* another zone's id */
    struct xfrcache_msgs *n = xfrcache_record(c, za, 7, 41, 6);
    assert_true(xfrcache_add_at(n, (const uint8_t *)"b", 1, 1, (const uint8_t *)"p0", 2));
    assert_true(xfrcache_add(n, (const uint8_t *)"c", 1, 1));
    assert_null(xfrcache_pos(n, 0, &plen));
    xfrcache_drop(n);
    xfrcache_free(c);
}

/* The records of one AXFR of lab. through xfr_answer (allowed from 127.0.0.1). */
static unsigned axfr_records(struct testdb *t)
{
    struct zonedb_reader *r;
    struct dnsmsg_query q;
    uint8_t pkt[64], *out = malloc(DNSMSG_MAX);
    assert_non_null(out);
    assert_int_equal(zonedb_reader_open(t->path, &r, NULL), 0);
    size_t len = make_query(pkt, 7, DNS_T_AXFR);
    assert_int_equal(dnsmsg_parse_query(pkt, len, &q), DNSMSG_OK);
    struct conf_list allow = {1, {"127.0.0.1/32"}};
    struct sockaddr_storage ok = addr("127.0.0.1");
    struct dnstcp_more more = {0};
    long m = (long)xfr_answer(t->path, &allow, r, NULL, &q, pkt, len, (const struct sockaddr *)&ok,
                              out, &more);
    unsigned records = 0;
    while (m > 0) {
        assert_int_equal(out[3] & 15, 0);
        records += u16at(out + 6);
        m = more.next != NULL ? more.next(more.stream, out) : 0;
    }
    assert_int_equal(m, 0);
    if (more.free != NULL)
        more.free(more.stream);
    zonedb_reader_close(r);
    free(out);
    return records;
}

/* With the transfer cache on, a zone replaced by an import (its journal restarted) is not
 * built from the cached messages of the zone before: the transfer has the new records. Run
 * last: the cache stays on for the rest of the program. */
static void test_xfr_cache_after_import(void **state)
{
    struct testdb *t = *state;
    assert_int_equal(xfr_cache_init(64 << 20), 0);
    import_hosts(t, 3, 2000);
    assert_int_equal(axfr_records(t), 2000 + 4);
    assert_int_equal(axfr_records(t), 2000 + 4); /* from the cache */
    import_hosts(t, 4, 2100);
    assert_int_equal(axfr_records(t), 2100 + 4);
    import_hosts(t, 5, 1500);
    assert_int_equal(axfr_records(t), 1500 + 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_zonexfr_is_one_snapshot, setup, testdb_teardown),
        cmocka_unit_test_setup_teardown(test_zonexfr_unknown_zone, setup, testdb_teardown),
        cmocka_unit_test_setup_teardown(test_zonexfr_positions_and_ranges, setup, testdb_teardown),
        cmocka_unit_test_setup_teardown(test_zonexfr_root_zone, setup, testdb_teardown),
        cmocka_unit_test_setup_teardown(test_zonexfr_kept_connections_follow_the_file, setup,
                                        testdb_teardown),
        cmocka_unit_test(test_xfr_allowed),
        cmocka_unit_test_setup_teardown(test_xfr_messages, setup, testdb_teardown),
        cmocka_unit_test_setup_teardown(test_xfr_big_record, setup, testdb_teardown),
        cmocka_unit_test(test_xfrcache_key_and_lifetime),
        cmocka_unit_test(test_xfrcache_positions),
        cmocka_unit_test_setup_teardown(test_xfr_cache_after_import, setup, testdb_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
