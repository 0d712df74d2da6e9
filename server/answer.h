/*
 * answer — builds the DNS response to one parsed query from the zone data. No sockets.
 *
 * Answering is split in two so that responses can be cached:
 *  - answer_build() makes the canonical response for (qname, qtype, qclass): question in
 *    lower case, id 0, no OPT record, no size limit. It depends on nothing else of the query,
 *    so the answer cache keys it by those three and reuses it.
 *  - answer_finish() adapts a canonical response to one query: its id, RD bit, the question
 *    bytes exactly as asked, the OPT record (RFC 6891), and the size limit of the transport,
 *    dropping the additional section or setting TC=1 (RFC 1035 §4.2.1, RFC 2181 §9) when the
 *    response does not fit.
 * answer_error() writes FORMERR/NOTIMP/BADVERS-style responses that are never cached.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dnsmsg.h"
#include "db/zonedb.h"

/** A canonical response and what answer_finish() needs to know about it. */
struct answer {
    uint8_t *buf;        /* message bytes, DNSMSG_MAX capacity for answer_build() */
    size_t len;
    size_t add_start;    /* offset of the additional section */
    uint16_t add_count;  /* records in the additional section */
    bool glue_needed;    /* a referral: the additional records may not be dropped */
};

/**
 * Builds the canonical response into a->buf (DNSMSG_MAX bytes).
 * @return 0, or LANA_EDB when the store failed (the caller answers SERVFAIL).
 */
int answer_build(struct zonedb_reader *r, const struct dnsmsg_query *q, struct answer *a);

/**
 * Writes the response to the query q (whose raw bytes are pkt) into out, which holds at least
 * limit bytes; limit is the transport's maximum (the UDP payload size, or 65535 on TCP).
 * @return the response length.
 */
size_t answer_finish(const struct answer *a, const struct dnsmsg_query *q, const uint8_t *pkt,
                     uint8_t *out, size_t limit);

/**
 * An error response with the given rcode (FORMERR, NOTIMP, REFUSED, SERVFAIL, BADVERS): the
 * header of the query with QR set, its question when it could be parsed, and an OPT record
 * when the query had one. Returns the length, 0 when even the header is unavailable.
 */
size_t answer_error(const struct dnsmsg_query *q, const uint8_t *pkt, size_t pktlen,
                    unsigned rcode, uint8_t *out, size_t cap);

/** The UDP size limit that applies to q: its EDNS size (at most ours), else 512. */
size_t answer_udp_limit(const struct dnsmsg_query *q);
