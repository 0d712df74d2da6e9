/*
 * primary — what lanad, as the primary of its zones, does on the query path for their
 * secondaries: answer a NOTIFY sent to it (RFC 1996) and note the SOA queries of known
 * secondaries (server/secstate.h). Called by the DNS workers; no sockets, no allocation.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/dnsmsg.h"
#include "db/zonedb.h"

/**
 * The answer to the NOTIFY q (raw bytes pkt, len) from peer (for the log; may be NULL) into
 * out (cap bytes, at least 512), from the zones the reader r knows:
 *  - a zone served here (the qname is its apex, class IN): NOERROR, QR and AA set, opcode
 *    NOTIFY, the question echoed (RFC 1996 §4.7); logged at info: a primary needs no
 *    refresh, its data is the newest there is;
 *  - any other name or class: NOTAUTH, as Knot answers (RFC 2136 §2.2's "not authoritative
 *    for the zone"; and what xfr.c answers a transfer of a zone not served here);
 *  - a qtype other than SOA: FORMERR (RFC 1996 §3.7 says the question is the zone's SOA).
 * @return the response length (0 when the header is unusable).
 */
size_t primary_notify_answer(struct zonedb_reader *r, const struct dnsmsg_query *q,
                             const uint8_t *pkt, size_t len, const struct sockaddr *peer,
                             uint8_t *out, size_t cap);

/**
 * Notes the query q from peer when it asks for the SOA at the apex of a zone of r and peer is
 * a known secondary (secstate_soa_query). Cheap for every other query; never fails.
 */
void primary_query_seen(struct zonedb_reader *r, const struct dnsmsg_query *q,
                        const struct sockaddr *peer);
