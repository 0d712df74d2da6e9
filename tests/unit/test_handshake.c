/*
 * Unit tests of client/handshake: the verdict on a capture of a TCP handshake, from a table of
 * captured-segment sets (no capture, no root: the segments are written here), and the text of
 * where the client's port came from (ip_local_port_range against IANA's 49152–65535).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "client/handshake.h"

#define X 1000u
#define Y 5000u

/* one segment: who sent it, flags, seq, ack */
#define C(f, s, a)                                                                                 \
    {                                                                                              \
        f, s, a, true, 0.0                                                                         \
    }
#define S(f, s, a)                                                                                 \
    {                                                                                              \
        f, s, a, false, 0.0                                                                        \
    }

static const struct trace_segment SYN = C("SYN", X, 0), SYNACK = S("SYN,ACK", Y, X + 1),
                                  ACK = C("ACK", X + 1, Y + 1);

struct row {
    const char *name;
    struct trace_segment seg[6];
    int n;
    enum handshake_verdict verdict;
    const char *seen, *missing;
    const char *why; /* a part of the reason, or NULL for none */
};

static void check_row(const struct row *r)
{
    struct handshake_check hc;
    handshake_check(r->seg, r->n, &hc);
    print_message("%s\n", r->name);
    assert_int_equal(hc.verdict, r->verdict);
    assert_string_equal(hc.seen, r->seen);
    assert_string_equal(hc.missing, r->missing);
    if (r->why == NULL)
        assert_string_equal(hc.why, "");
    else
        assert_non_null(strstr(hc.why, r->why));
}

/* The defect: a capture of SYN and SYN/ACK only once passed as a trace. */
static void test_handshake_two_segments_are_incomplete(void **state)
{
    (void)state;
    static const struct row rows[] = {
        {"SYN and SYN/ACK, no ACK",
         {SYN, SYNACK},
         2,
         HANDSHAKE_INCOMPLETE,
         "SYN, SYN/ACK",
         "ACK",
         NULL},
        {"SYN and ACK, no SYN/ACK",
         {SYN, ACK},
         2,
         HANDSHAKE_INCOMPLETE,
         "SYN",
         "SYN/ACK, ACK",
         NULL},
        {"SYN/ACK and ACK, no SYN",
         {SYNACK, ACK},
         2,
         HANDSHAKE_INCOMPLETE,
         "SYN/ACK, ACK",
         "SYN",
         NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        check_row(&rows[i]);
}

static void test_handshake_verdicts_table(void **state)
{
    (void)state;
    static const struct row rows[] = {
        {"the three, in order",
         {SYN, SYNACK, ACK},
         3,
         HANDSHAKE_COMPLETE,
         "SYN, SYN/ACK, ACK",
         "",
         NULL},
        {"nothing captured",
         {{"", 0, 0, false, 0}},
         0,
         HANDSHAKE_INCOMPLETE,
         "nothing",
         "SYN, SYN/ACK, ACK",
         NULL},
        {"SYN alone", {SYN}, 1, HANDSHAKE_INCOMPLETE, "SYN", "SYN/ACK, ACK", NULL},
        {"a retransmitted SYN, then the rest",
         {SYN, SYN, SYNACK, ACK},
         4,
         HANDSHAKE_COMPLETE,
         "SYN, SYN/ACK, ACK",
         "",
         NULL},
        {"data after the ACK",
         {SYN, SYNACK, ACK, C("PSH,ACK", X + 1, Y + 1)},
         4,
         HANDSHAKE_COMPLETE,
         "SYN, SYN/ACK, ACK",
         "",
         NULL},
        {"data but no pure ACK is not the handshake's ACK",
         {SYN, SYNACK, C("PSH,ACK", X + 1, Y + 1)},
         3,
         HANDSHAKE_INCOMPLETE,
         "SYN, SYN/ACK",
         "ACK",
         NULL},
        {"the SYN/ACK before the SYN",
         {SYNACK, SYN, ACK},
         3,
         HANDSHAKE_INCOMPLETE,
         "SYN",
         "SYN/ACK, ACK",
         "SYN/ACK came before any SYN"},
        {"the ACK before the SYN/ACK",
         {SYN, ACK, SYNACK},
         3,
         HANDSHAKE_INCOMPLETE,
         "SYN, SYN/ACK",
         "ACK",
         "ACK came before the SYN/ACK"},
        {"the ACK sent by the server",
         {SYN, SYNACK, S("ACK", X + 1, Y + 1)},
         3,
         HANDSHAKE_INCOMPLETE,
         "SYN, SYN/ACK",
         "ACK",
         NULL},
        {"a RST instead of the SYN/ACK",
         {SYN, S("RST,ACK", 0, X + 1)},
         2,
         HANDSHAKE_INCOMPLETE,
         "SYN",
         "SYN/ACK, ACK",
         NULL},
        {"SYN/ACK acknowledges the wrong number",
         {SYN, S("SYN,ACK", Y, X + 2), ACK},
         3,
         HANDSHAKE_INCONSISTENT,
         "SYN, SYN/ACK, ACK",
         "",
         "not X+1 = 1001"},
        {"ACK with the wrong seq",
         {SYN, SYNACK, C("ACK", X, Y + 1)},
         3,
         HANDSHAKE_INCONSISTENT,
         "SYN, SYN/ACK, ACK",
         "",
         "the ACK has seq 1000"},
        {"ACK acknowledges the wrong number",
         {SYN, SYNACK, C("ACK", X + 1, Y)},
         3,
         HANDSHAKE_INCONSISTENT,
         "SYN, SYN/ACK, ACK",
         "",
         "not Y+1 = 5001"},
        {"numbers wrapping at 2^32",
         {C("SYN", 0xffffffffu, 0), S("SYN,ACK", 7, 0), C("ACK", 0, 8)},
         3,
         HANDSHAKE_COMPLETE,
         "SYN, SYN/ACK, ACK",
         "",
         NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        check_row(&rows[i]);
}

static void test_handshake_indexes_point_at_the_segments(void **state)
{
    (void)state;
    const struct trace_segment seg[] = {SYN, SYN, SYNACK, C("PSH,ACK", X + 1, Y + 1), ACK};
    struct handshake_check hc;
    handshake_check(seg, 5, &hc);
    assert_int_equal(hc.verdict, HANDSHAKE_COMPLETE);
    assert_int_equal(hc.syn, 0);
    assert_int_equal(hc.synack, 2);
    assert_int_equal(hc.ack, 4);
    handshake_check(seg, 2, &hc);
    assert_int_equal(hc.synack, -1);
    assert_int_equal(hc.ack, -1);
}

static void test_handshake_port_range_parse(void **state)
{
    (void)state;
    uint16_t lo = 1, hi = 2;
    assert_true(handshake_parse_port_range("32768\t60999\n", &lo, &hi));
    assert_int_equal(lo, 32768);
    assert_int_equal(hi, 60999);
    assert_true(handshake_parse_port_range("49152 65535", &lo, &hi));
    assert_int_equal(hi, 65535);
    static const char *const bad[] = {"",    "32768", "60999 32768", "0 100", "1 65536",
                                      "a b", "1 2 3", "-1 5",        "12x 13"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lo = hi = 7;
        assert_false(handshake_parse_port_range(bad[i], &lo, &hi));
        assert_int_equal(lo, 7); /* untouched on failure */
        assert_int_equal(hi, 7);
    }
}

static void test_handshake_port_text_names_the_file_and_iana(void **state)
{
    (void)state;
    char buf[200];
    assert_true(handshake_port_text(51376, true, 32768, 60999, buf, sizeof buf));
    assert_string_equal(buf, "local port 51376 chosen by the kernel from 32768–60999 "
                             "(/proc/sys/net/ipv4/ip_local_port_range; IANA suggests "
                             "49152–65535)");
    assert_true(handshake_port_text(1000, true, 32768, 60999, buf, sizeof buf));
    assert_non_null(strstr(buf, "outside the kernel's ephemeral range 32768–60999"));
    assert_true(handshake_port_text(40000, false, 0, 0, buf, sizeof buf));
    assert_non_null(strstr(buf, "ip_local_port_range unreadable; IANA suggests 49152–65535"));
    char small[16];
    assert_false(handshake_port_text(51376, true, 32768, 60999, small, sizeof small));
    assert_int_equal(strlen(small), sizeof small - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_two_segments_are_incomplete),
        cmocka_unit_test(test_handshake_verdicts_table),
        cmocka_unit_test(test_handshake_indexes_point_at_the_segments),
        cmocka_unit_test(test_handshake_port_range_parse),
        cmocka_unit_test(test_handshake_port_text_names_the_file_and_iana),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
