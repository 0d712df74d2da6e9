/*
 * fuzz_rpsl — any bytes as a port-43 query line, answered from a small registry (made once in
 * a temporary directory): the answer always fits the buffer, is UTF-8 text whose only control
 * character is the line end, opens with the header and closes with the footer, and every line
 * is a "%" comment, empty, or an "attribute:" padded to 16 columns.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "db/host.h"
#include "db/ipam.h"
#include "db/regdata.h"
#include "db/zone.h"
#include "server/rpsl.h"
#include "tests/fuzz/fuzz.h"
#include "tests/lib/testdb.h"

static struct testdb_names *db;
static struct regdata *rd;
static char answer[1 << 20];

static void done(void)
{
    regdata_close(rd);
    testdb_names_close(db);
}

/* 198.18.0.0/15 > 198.18.0.0/16 > 198.18.7.0/24 > web1.lab.'s address; 2001:db8::/32 */
static void setup(void)
{
    struct lana_diag d;
    struct cidr p4, p6, a16, a24, h;
    struct host_addr_spec none = {HOST_ADDR_NONE, {0}, false}, v4 = {HOST_ADDR_GIVEN, {0}, false};
    FUZZ_ASSERT(testdb_names_open_empty(&db) == 0);
    FUZZ_ASSERT(
        cidr_parse("198.18.0.0/15", &p4, &d) == 0 && cidr_parse("2001:db8::/32", &p6, &d) == 0 &&
        cidr_parse("198.18.0.0/16", &a16, &d) == 0 && cidr_parse("198.18.7.0/24", &a24, &d) == 0 &&
        cidr_parse_addr("198.18.7.10", &h, &d) == 0);
    v4.addr = h;
    FUZZ_ASSERT(ipam_pool_add(db->ip, &p4, "pool", "t", NULL, &d) == 0);
    FUZZ_ASSERT(ipam_pool_add(db->ip, &p6, NULL, "t", NULL, &d) == 0);
    FUZZ_ASSERT(ipam_take(db->ip, &a16, IPAM_ALLOCATED, "RIR", "a registrar", "t", NULL, &d) == 0);
    FUZZ_ASSERT(ipam_take(db->ip, &a24, IPAM_ASSIGNED, "student", NULL, "t", NULL, &d) == 0);
    FUZZ_ASSERT(zone_add(db->nm, "lab.", &a24, 1, "t", NULL, &d) == 0);
    FUZZ_ASSERT(zone_ensure(db->nm, "198.in-addr.arpa.", "t", &d) == 1);
    FUZZ_ASSERT(host_add(db->nm, "web1.lab.", &v4, &none, NULL, "t", NULL, &d) == 0);
    FUZZ_ASSERT(regdata_open(db->st, &rd, &d) == 0);
    atexit(done);
}

static void check_line(const char *l, size_t n)
{
    if (n == 0 || l[0] == '%')
        return;
    size_t k = 0;
    while (k < n && ((l[k] >= 'a' && l[k] <= 'z') || (l[k] >= '0' && l[k] <= '9') || l[k] == '-'))
        k++;
    FUZZ_ASSERT(k > 0 && k < n && l[k] == ':');
    FUZZ_ASSERT(n >= 16);
    for (size_t i = k + 1; i < 16; i++)
        FUZZ_ASSERT(l[i] == ' ');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (rd == NULL)
        setup();
    struct wbuf wb;
    wbuf_init(&wb, answer, sizeof answer);
    rpsl_answer(rd, (const char *)data, size, &wb);
    FUZZ_ASSERT(!wb.overflow);
    const char *a = answer;
    size_t n = wb.pos;
    FUZZ_ASSERT(text_is_utf8(a, n));
    FUZZ_ASSERT(n > 2 && strncmp(a, "% This is the LANA", 18) == 0);
    FUZZ_ASSERT(a[n - 1] == '\n' && a[n - 2] == '\n');
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(a + i, '\n', n - i);
        FUZZ_ASSERT(nl != NULL);
        size_t len = (size_t)(nl - (a + i));
        for (size_t k = 0, step; k < len; k += step) {
            uint32_t cp;
            step = text_utf8_next(a + i + k, len - k, &cp);
            FUZZ_ASSERT(!text_is_control(cp));
        }
        check_line(a + i, len);
        i += len + 1;
    }
    return 0;
}
