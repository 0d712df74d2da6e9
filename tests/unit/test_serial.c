/* Unit tests of common/serial: SOA serial policies in RFC 1982 arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "common/serial.h"

/* 2026-12-02T12:00:00Z and its neighbours */
#define DEC01_2359 ((time_t)1796169599)
#define DEC02_1200 ((time_t)1796212800)
#define DEC03_0000 ((time_t)1796256001)
#define DEC31_2300 ((time_t)1798758000)
#define JAN01_0030 ((time_t)1798763400)

static void test_serial_lt_follows_rfc1982(void **state)
{
    (void)state;
    static const struct {
        uint32_t a, b;
        bool lt, gt;
    } cases[] = {
        {0, 1, true, false},
        {1, 0, false, true},
        {7, 7, false, false},
        {0xffffffffu, 0, true, false},  /* wrap-around: 0 follows 2^32 - 1 */
        {0, 0x7fffffffu, true, false},  /* the farthest b still greater */
        {0, 0x80000000u, false, false}, /* exactly 2^31 apart: unordered */
        {0x80000000u, 0, false, false},
        {2026120299u, 2026120300u, true, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(serial_lt(cases[i].a, cases[i].b), cases[i].lt);
        assert_int_equal(serial_lt(cases[i].b, cases[i].a), cases[i].gt);
    }
}

static void test_serial_next_table(void **state)
{
    (void)state;
    static const struct {
        enum serial_policy p;
        uint32_t old;
        time_t now;
        uint32_t want;
        enum serial_form form;
    } cases[] = {
        /* date: a serial from before the date form (the old default zone's 1) takes today's 00 */
        {SERIAL_DATE, 1, DEC02_1200, 2026120200u, SERIAL_FORM_DATE},
        {SERIAL_DATE, 2026120200u, DEC02_1200, 2026120201u, SERIAL_FORM_DATE},
        /* the 100th serial of a day is YYYYMMDD99 */
        {SERIAL_DATE, 2026120298u, DEC02_1200, 2026120299u, SERIAL_FORM_DATE},
        /* the 101st would claim tomorrow's 00: the zone switches to counting */
        {SERIAL_DATE, 2026120299u, DEC02_1200, 2026120300u, SERIAL_SWITCHED},
        /* counting on, the same day: reported once, not again */
        {SERIAL_DATE, 2026120300u, DEC02_1200, 2026120301u, SERIAL_FORM_COUNT},
        /* the next day the counter lies in that day's range: the date form again */
        {SERIAL_DATE, 2026120312u, DEC03_0000, 2026120313u, SERIAL_FORM_DATE},
        /* a new day after a quiet one: that day's 00 */
        {SERIAL_DATE, 2026120199u, DEC02_1200, 2026120200u, SERIAL_FORM_DATE},
        {SERIAL_DATE, 2026120250u, DEC03_0000, 2026120300u, SERIAL_FORM_DATE},
        /* the clock went backwards: the serial still goes up */
        {SERIAL_DATE, 2026120305u, DEC01_2359, 2026120306u, SERIAL_FORM_COUNT},
        {SERIAL_DATE, 2026120250u, DEC01_2359, 2026120251u, SERIAL_FORM_COUNT},
        /* a serial far ahead (an imported zone): today's 00 is behind it, so old + 1 */
        {SERIAL_DATE, 4000000000u, DEC02_1200, 4000000001u, SERIAL_FORM_COUNT},
        /* exactly 2^31 from today's 00: unordered, so old + 1 */
        {SERIAL_DATE, 2026120200u + 0x80000000u, DEC02_1200, 2026120201u + 0x80000000u,
         SERIAL_FORM_COUNT},
        /* wrap-around: 2^32 - 1 is less than today's 00 in RFC 1982 terms */
        {SERIAL_DATE, 0xffffffffu, DEC02_1200, 2026120200u, SERIAL_FORM_DATE},
        /* the year's last day: 99 switches; the new year's 00 catches up */
        {SERIAL_DATE, 2026123199u, DEC31_2300, 2026123200u, SERIAL_SWITCHED},
        {SERIAL_DATE, 2026123200u, JAN01_0030, 2027010100u, SERIAL_FORM_DATE},
        {SERIAL_INCREMENT, 5, DEC02_1200, 6, SERIAL_FORM_COUNT},
        {SERIAL_INCREMENT, 2026120299u, DEC02_1200, 2026120300u, SERIAL_FORM_COUNT},
        {SERIAL_INCREMENT, 0xffffffffu, DEC02_1200, 0, SERIAL_FORM_COUNT},
        {SERIAL_UNIXTIME, 1, DEC02_1200, 1796212800u, SERIAL_FORM_CLOCK},
        {SERIAL_UNIXTIME, 1796212800u, DEC02_1200, 1796212801u, SERIAL_FORM_COUNT},
        /* a date serial is ahead of the clock (until 2034): counting */
        {SERIAL_UNIXTIME, 2026120200u, DEC02_1200, 2026120201u, SERIAL_FORM_COUNT},
        {SERIAL_UNIXTIME, 1796212900u, DEC02_1200, 1796212901u, SERIAL_FORM_COUNT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum serial_form form = (enum serial_form) - 1;
        uint32_t got = serial_next(cases[i].p, cases[i].old, cases[i].now, &form);
        if (got != cases[i].want || form != cases[i].form)
            fail_msg("case %zu: %s %lu: got %lu (form %d), want %lu (form %d)", i,
                     serial_policy_name(cases[i].p), (unsigned long)cases[i].old,
                     (unsigned long)got, (int)form, (unsigned long)cases[i].want,
                     (int)cases[i].form);
        assert_true(serial_lt(cases[i].old, got)); /* always up, in RFC 1982 terms */
        assert_int_equal(serial_next(cases[i].p, cases[i].old, cases[i].now, NULL), got);
    }
}

/* A whole day of changes: 00..99 in the date form, the 101st switches (once), then counting,
 * and the next day's first change takes that day's 00. */
static void test_serial_date_day_of_changes(void **state)
{
    (void)state;
    uint32_t s = serial_initial(SERIAL_DATE, DEC02_1200);
    assert_int_equal(s, 2026120200u);
    int switched = 0;
    for (int change = 2; change <= 150; change++) {
        enum serial_form form;
        uint32_t next = serial_next(SERIAL_DATE, s, DEC02_1200, &form);
        assert_true(serial_lt(s, next));
        if (change <= 100)
            assert_int_equal(form, SERIAL_FORM_DATE);
        else if (change == 101)
            assert_int_equal(form, SERIAL_SWITCHED);
        else
            assert_int_equal(form, SERIAL_FORM_COUNT);
        switched += form == SERIAL_SWITCHED;
        s = next;
    }
    assert_int_equal(switched, 1);
    assert_int_equal(s, 2026120200u + 149);
    /* the next day the counter (2026120349) is already past that day's 00: it counts on in
     * the date form of 3 December until its 99, and the day after starts at 00 */
    enum serial_form form;
    assert_int_equal(serial_next(SERIAL_DATE, s, DEC03_0000, &form), 2026120350u);
    assert_int_equal(form, SERIAL_FORM_DATE);
}

static void test_serial_initial_and_policy_names(void **state)
{
    (void)state;
    assert_int_equal(serial_initial(SERIAL_DATE, DEC02_1200), 2026120200u);
    assert_int_equal(serial_initial(SERIAL_INCREMENT, DEC02_1200), 1);
    assert_int_equal(serial_initial(SERIAL_UNIXTIME, DEC02_1200), 1796212800u);
    assert_int_equal(serial_date00(DEC01_2359), 2026120100u);
    static const char *const names[] = {"date", "increment", "unixtime"};
    for (int i = 0; i < 3; i++) {
        enum serial_policy p = SERIAL_UNIXTIME;
        assert_int_equal(serial_policy_parse(names[i], &p, NULL), 0);
        assert_int_equal(p, i);
        assert_string_equal(serial_policy_name(p), names[i]);
    }
    struct lana_diag d;
    enum serial_policy p = SERIAL_INCREMENT;
    assert_int_equal(serial_policy_parse("Date", &p, &d), LANA_EPARSE);
    assert_non_null(strstr(d.msg, "date, increment or unixtime"));
    assert_int_equal(p, SERIAL_INCREMENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serial_lt_follows_rfc1982),
        cmocka_unit_test(test_serial_next_table),
        cmocka_unit_test(test_serial_date_day_of_changes),
        cmocka_unit_test(test_serial_initial_and_policy_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
