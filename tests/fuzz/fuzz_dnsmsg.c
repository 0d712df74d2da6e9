/*
 * fuzz_dnsmsg — any bytes as a query: parsing must never read out of bounds, and whatever it
 * accepts must survive an error response being built from it.
 */
#include <stdint.h>
#include <string.h>

#include "common/dnsmsg.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dnsmsg_query q;
    static uint8_t out[DNSMSG_MAX];
    enum dnsmsg_verdict v = dnsmsg_parse_query(data, size, &q);
    if (v == DNSMSG_OK) {
        struct dnsmsg_builder b;
        dnsmsg_begin(&b, out, sizeof out, q.hdr.id, DNS_F_QR);
        dnsmsg_put_question(&b, q.qname, q.qtype, q.qclass);
        FUZZ_ASSERT(dnsmsg_finish(&b) > 0);
    }
    struct rbuf rb;
    uint8_t name[DNAME_MAXLEN];
    rbuf_init(&rb, data, size);
    while (rbuf_left(&rb) > 0 && dname_decode(&rb, name) >= 0)
        ;
    return 0;
}
