/* Unit tests of common/num: bounded parsing and exact 128-bit decimal output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/num.h"

static void test_num_parse_accepts_only_whole_decimals_in_range(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        uint64_t min, max, want;
        int rc;
    } cases[] = {
        {"0", 0, 10, 0, 0},
        {"10", 0, 10, 10, 0},
        {"11", 0, 10, 0, LANA_ERANGE},
        {"18446744073709551615", 0, UINT64_MAX, UINT64_MAX, 0},
        {"18446744073709551616", 0, UINT64_MAX, 0, LANA_ERANGE},
        {"", 0, 10, 0, LANA_EPARSE},
        {"-1", 0, 10, 0, LANA_EPARSE},
        {"+1", 0, 10, 0, LANA_EPARSE},
        {" 1", 0, 10, 0, LANA_EPARSE},
        {"1x", 0, 10, 0, LANA_EPARSE},
        {"5", 6, 10, 0, LANA_ERANGE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t v = 12345;
        struct lana_diag d;
        int rc = num_parse_u64(cases[i].in, cases[i].min, cases[i].max, &v, &d);
        assert_int_equal(rc, cases[i].rc);
        if (rc == 0)
            assert_true(v == cases[i].want);
        else
            assert_true(v == 12345); /* out-parameter untouched on failure */
    }
}

static void test_num_format_u128_is_exact(void **state)
{
    (void)state;
    char buf[48];
    assert_int_equal(num_format_u128(0, buf, sizeof buf), 1);
    assert_string_equal(buf, "0");
    assert_true(num_format_u128(~(unsigned __int128)0, buf, sizeof buf) > 0);
    assert_string_equal(buf, "340282366920938463463374607431768211455");
    assert_int_equal(num_format_u128(12345, buf, 5), LANA_ENOSPACE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_num_parse_accepts_only_whole_decimals_in_range),
        cmocka_unit_test(test_num_format_u128_is_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
