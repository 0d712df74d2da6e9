/* Unit tests of server/anscache: the byte bound, first-in first-out eviction, admission,
 * emptying, dropping a name, and a random run checked against a model (no database, no
 * sockets). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/anscache.h"
#include "tests/lib/dnsresp.h"

/* A question for name/type, parsed as the workers parse it. */
static void question(struct dnsmsg_query *q, const char *name, uint16_t type)
{
    uint8_t pkt[512];
    size_t n = dnsresp_query(pkt, sizeof pkt, 1, name, type, 0);
    assert_int_equal(dnsmsg_parse_query(pkt, n, q), DNSMSG_OK);
}

/* A made-up response of len bytes whose bytes say which name, type and version it is. */
static struct answer response(uint8_t *buf, size_t len, unsigned id, uint16_t type, unsigned ver)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(id * 31 + type * 7 + ver * 13 + i);
    return (struct answer){.buf = buf, .len = len, .add_start = len, .add_count = 0};
}

static bool holds(struct anscache *c, const char *name, uint16_t type, const uint8_t *want,
                  size_t len)
{
    struct dnsmsg_query q;
    struct answer a;
    question(&q, name, type);
    if (!anscache_get(c, &q, &a))
        return false;
    assert_int_equal(a.len, len);
    assert_memory_equal(a.buf, want, len);
    return true;
}

static void test_anscache_is_bounded_in_bytes_and_drops_the_oldest_first(void **state)
{
    (void)state;
    struct anscache *c = anscache_new(64 * 1024);
    uint8_t buf[200];
    char name[64];
    size_t bytes = anscache_bytes(c);
    assert_true(bytes >= 64 * 1024 && bytes <= 64 * 1024 * 3 / 2);
    /* 2000 answers of 200 bytes: 400 KB through a 64 KiB cache */
    for (unsigned i = 0; i < 2000; i++) {
        struct dnsmsg_query q;
        snprintf(name, sizeof name, "h%u.lab.", i);
        question(&q, name, DNS_T_A);
        struct answer a = response(buf, sizeof buf, i, DNS_T_A, 0);
        anscache_put(c, &q, &a);
        assert_true(anscache_count(c) * 200 <= 64 * 1024);
    }
    assert_int_equal(anscache_bytes(c), bytes); /* it never grows */
    size_t n = anscache_count(c);
    assert_true(n >= 200); /* about 280 fit; a full bucket costs a few */
    /* the newest are there, the oldest gone */
    for (unsigned i = 1990; i < 2000; i++) {
        snprintf(name, sizeof name, "H%u.Lab.", i); /* names match in any case */
        struct answer a = response(buf, sizeof buf, i, DNS_T_A, 0);
        uint8_t want[200];
        memcpy(want, a.buf, sizeof want);
        assert_true(holds(c, name, DNS_T_A, want, sizeof want));
    }
    for (unsigned i = 0; i < 1500; i++) {
        snprintf(name, sizeof name, "h%u.lab.", i);
        assert_false(holds(c, name, DNS_T_A, NULL, 0));
    }
    anscache_free(c);
}

/* Admission: while the ring has room every question is let in; once it is full, a question
 * is let in on its second asking only, and one not asked again for long is forgotten. */
static void test_anscache_admits_a_new_question_once_full_only_when_asked_again(void **state)
{
    (void)state;
    struct anscache *c = anscache_new(64 * 1024);
    uint8_t buf[200];
    char name[64];
    struct dnsmsg_query q;
    question(&q, "new.lab.", DNS_T_A);
    assert_true(anscache_admits(c, &q)); /* room: anything goes */
    for (unsigned i = 0; i < 400; i++) { /* 80 KB through the 64 KiB ring: full */
        snprintf(name, sizeof name, "h%u.lab.", i);
        question(&q, name, DNS_T_A);
        struct answer a = response(buf, sizeof buf, i, DNS_T_A, 0);
        anscache_put(c, &q, &a);
    }
    question(&q, "new.lab.", DNS_T_A);
    assert_false(anscache_admits(c, &q)); /* new: answered, not kept */
    assert_true(anscache_admits(c, &q));  /* asked again: kept */
    question(&q, "NEW.lab.", DNS_T_A);
    assert_true(anscache_admits(c, &q)); /* the same question in another case */
    question(&q, "new.lab.", DNS_T_AAAA);
    assert_false(anscache_admits(c, &q)); /* another type is another question */
    /* 4096 bits for this cache, emptied once 512 are set: after 3000 other questions the
     * first is forgotten */
    for (unsigned i = 0; i < 3000; i++) {
        snprintf(name, sizeof name, "other%u.lab.", i);
        question(&q, name, DNS_T_A);
        anscache_admits(c, &q);
    }
    question(&q, "new.lab.", DNS_T_A);
    assert_false(anscache_admits(c, &q));
    anscache_free(c);
    struct anscache *none = anscache_new(0); /* no cache: nothing is looked up or kept */
    assert_false(anscache_admits(none, &q));
    anscache_free(none);
}

static void test_anscache_flush_empties_at_once_and_it_fills_again(void **state)
{
    (void)state;
    struct anscache *c = anscache_new(1 << 20);
    uint8_t buf[60];
    char name[64];
    struct dnsmsg_query q;
    for (unsigned i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "h%u.lab.", i);
        question(&q, name, DNS_T_AAAA);
        struct answer a = response(buf, sizeof buf, i, DNS_T_AAAA, 0);
        anscache_put(c, &q, &a);
    }
    assert_true(anscache_count(c) >= 990);
    anscache_flush(c);
    assert_int_equal(anscache_count(c), 0);
    assert_false(holds(c, "h5.lab.", DNS_T_AAAA, NULL, 0));
    question(&q, "h5.lab.", DNS_T_AAAA);
    struct answer a = response(buf, sizeof buf, 5, DNS_T_AAAA, 1);
    anscache_put(c, &q, &a);
    assert_int_equal(anscache_count(c), 1);
    assert_true(holds(c, "h5.lab.", DNS_T_AAAA, buf, sizeof buf));
    anscache_free(c);
}

static void test_anscache_drop_name_drops_every_type_of_that_name_only(void **state)
{
    (void)state;
    struct anscache *c = anscache_new(1 << 20);
    uint8_t buf[4][40], other[40];
    static const uint16_t types[] = {DNS_T_A, DNS_T_AAAA, DNS_T_TXT, DNS_T_MX};
    struct dnsmsg_query q;
    for (unsigned t = 0; t < 4; t++) {
        question(&q, "pc.lab.", types[t]);
        struct answer a = response(buf[t], sizeof buf[t], 1, types[t], 0);
        anscache_put(c, &q, &a);
    }
    question(&q, "pc2.lab.", DNS_T_A);
    struct answer a = response(other, sizeof other, 2, DNS_T_A, 0);
    anscache_put(c, &q, &a);
    for (unsigned t = 0; t < 4; t++)
        assert_true(holds(c, "pc.lab.", types[t], buf[t], sizeof buf[t]));
    uint8_t wire[DNAME_MAXLEN];
    question(&q, "pc.lab.", DNS_T_A);
    memcpy(wire, q.qname, q.qname_len);
    assert_int_equal(anscache_drop_name(c, wire, q.qname_len), 4);
    for (unsigned t = 0; t < 4; t++)
        assert_false(holds(c, "pc.lab.", types[t], NULL, 0));
    assert_true(holds(c, "pc2.lab.", DNS_T_A, other, sizeof other));
    assert_int_equal(anscache_drop_name(c, wire, q.qname_len), 0);
    anscache_free(c);
}

static void test_anscache_keeps_no_giant_answer_and_zero_bytes_keeps_nothing(void **state)
{
    (void)state;
    static uint8_t big[20000];
    struct anscache *c = anscache_new(64 * 1024);
    struct dnsmsg_query q;
    question(&q, "big.lab.", DNS_T_TXT);
    struct answer a = response(big, sizeof big, 3, DNS_T_TXT, 0);
    anscache_put(c, &q, &a); /* over a quarter of the cache */
    assert_false(holds(c, "big.lab.", DNS_T_TXT, NULL, 0));
    a.len = 10000;
    anscache_put(c, &q, &a);
    assert_true(holds(c, "big.lab.", DNS_T_TXT, big, 10000));
    anscache_free(c);

    struct anscache *none = anscache_new(0);
    assert_non_null(none);
    anscache_put(none, &q, &a);
    assert_false(holds(none, "big.lab.", DNS_T_TXT, NULL, 0));
    assert_int_equal(anscache_bytes(none), 0);
    assert_int_equal(anscache_count(none), 0);
    anscache_flush(none);
    anscache_free(none);
}

/*
 * A random run against a model: 300 names × 3 types, answers of 20..400 bytes in an 8 KiB
 * cache, puts, drops and flushes. A hit must give exactly the bytes of the newest put of
 * that question since it was last dropped or flushed -- never an older version, never an
 * answer of another question, never garbage from an entry the ring wrote over.
 */
static void test_anscache_random_run_never_gives_a_stale_or_foreign_answer(void **state)
{
    (void)state;
    enum { NAMES = 300, TYPES = 3, STEPS = 200000 };
    static const uint16_t types[TYPES] = {DNS_T_A, DNS_T_AAAA, DNS_T_TXT};
    static unsigned ver[NAMES][TYPES];  /* version of the newest put; 0: none live */
    static unsigned len[NAMES][TYPES];
    uint8_t buf[400], want[400];
    char name[64];
    unsigned hits = 0, seed = 12345;
    struct anscache *c = anscache_new(8192);
    for (unsigned step = 0; step < STEPS; step++) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = seed >> 8;
        unsigned n = r % NAMES, t = (r / NAMES) % TYPES, op = (r / NAMES / TYPES) % 100;
        snprintf(name, sizeof name, "n%u.lab.", n);
        struct dnsmsg_query q;
        question(&q, name, types[t]);
        if (op < 45) { /* put a new version */
            ver[n][t] = step + 1;
            len[n][t] = 20 + (r % 381);
            struct answer a = response(buf, len[n][t], n, types[t], ver[n][t]);
            anscache_put(c, &q, &a);
        } else if (op < 98) { /* get */
            struct answer a;
            if (anscache_get(c, &q, &a)) {
                hits++;
                assert_int_not_equal(ver[n][t], 0);
                response(want, len[n][t], n, types[t], ver[n][t]);
                assert_int_equal(a.len, len[n][t]);
                assert_memory_equal(a.buf, want, a.len);
            }
        } else if (op < 99) { /* a commit changed this name */
            anscache_drop_name(c, q.qname, q.qname_len);
            for (unsigned k = 0; k < TYPES; k++)
                ver[n][k] = 0;
        } else if (r % 50 == 0) { /* a commit changed everything */
            anscache_flush(c);
            memset(ver, 0, sizeof ver);
        }
    }
    assert_true(hits > 1000); /* the run did exercise hits */
    anscache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_anscache_is_bounded_in_bytes_and_drops_the_oldest_first),
        cmocka_unit_test(test_anscache_admits_a_new_question_once_full_only_when_asked_again),
        cmocka_unit_test(test_anscache_flush_empties_at_once_and_it_fills_again),
        cmocka_unit_test(test_anscache_drop_name_drops_every_type_of_that_name_only),
        cmocka_unit_test(test_anscache_keeps_no_giant_answer_and_zero_bytes_keeps_nothing),
        cmocka_unit_test(test_anscache_random_run_never_gives_a_stale_or_foreign_answer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
