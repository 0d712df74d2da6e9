/* Unit tests of common/net: endpoint text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/net.h"

static void test_net_endpoints_parse_and_format(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
        int def;
    } ok[] = {
        {"127.0.0.1:5300", "127.0.0.1:5300", -1},
        {"[::1]:53", "[::1]:53", -1},
        {"[2001:DB8::1]:0", "[2001:db8::1]:0", -1},
        {"198.18.0.1", "198.18.0.1:53", 53},
        {"2001:db8::1", "[2001:db8::1]:53", 53},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        struct sockaddr_storage ss;
        socklen_t len;
        char buf[NET_ADDRSTRLEN];
        assert_int_equal(net_parse_endpoint(ok[i].in, ok[i].def, &ss, &len, NULL), 0);
        assert_string_equal(net_addr_format((struct sockaddr *)&ss, buf, sizeof buf), ok[i].out);
    }
    static const char *const bad[] = {"127.0.0.1", "127.0.0.1:65536", "[::1", "[::1]x",
                                      "host:53", ":53", "127.0.0.1:"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sockaddr_storage ss;
        socklen_t len;
        struct lana_diag d = {{0}};
        assert_int_equal(net_parse_endpoint(bad[i], -1, &ss, &len, &d), LANA_EPARSE);
        assert_true(d.msg[0] != '\0');
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_net_endpoints_parse_and_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
