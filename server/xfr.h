/*
 * xfr — outgoing zone transfers over DNS: AXFR (RFC 5936) over TCP, IXFR (RFC 1995) over TCP
 * and UDP; who may transfer, and the stream of messages that dnstcp pulls as its output
 * drains. AXFR sends SOA, every record of the zone, SOA. IXFR sends the differences from the
 * client's serial as one condensed sequence when the journal holds that version (db/journal.h),
 * the SOA alone when the client is current, else the whole zone AXFR-style (RFC 1995 §4). Over
 * UDP an IXFR gets its answer only when it fits in one message, else the SOA alone (§2), which
 * sends the client to TCP. The records come from a snapshot (db/zonexfr.h), so a transfer is
 * consistent even while the registry commits. Access is by client address (allow-transfer);
 * a key check (TSIG) can sit beside xfr_allowed(). Each transfer is logged at notice level
 * when it ends, with what it sent, each refusal at info.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/conf.h"
#include "common/dnsmsg.h"
#include "server/dnstcp.h"

struct sockaddr;
struct zonedb_reader;
struct tsigsrv;

/**
 * Whether the address lies inside one of the prefixes of list (allow-transfer's values: each
 * one or more prefixes separated by spaces, already validated); an IPv4-mapped IPv6 address
 * counts as its IPv4 address. Never fails.
 */
bool xfr_allowed(const struct conf_list *list, const struct sockaddr *peer);

/**
 * Keeps up to bytes of whole-zone transfers in memory (server/xfrcache.h), so that the next
 * transfer of the same version of a zone is a copy; 0 keeps none. Call once before the DNS
 * workers start. 0 or LANA_ENOMEM.
 */
int xfr_cache_init(size_t bytes);

/**
 * Builds the messages of the whole-zone transfer of the zone whose apex is apex (wire, lower
 * case), as it is now, into the transfer cache unless they are there: what the first AXFR of
 * that version would do, without a client. db is the database file.
 * @return 1 with *bytes the size of the transfer built, 0 when nothing was to be done (no
 * cache, the zone gone, already cached, or too big for the cache), or LANA_EDB/LANA_ENOMEM
 * with the message in d.
 */
int xfr_build_image(const char *db, const uint8_t *apex, size_t *bytes, struct lana_diag *d);

/**
 * Answers the AXFR or IXFR query q (raw bytes pkt) from peer: FORMERR for an IXFR without the
 * client's SOA; refused unless it is signed with a key allowed for the zone or comes from an
 * allowed address (tsigsrv_xfr_check() of ts: NOTAUTH with a TSIG error, or REFUSED), and a
 * signed transfer is signed message by message; NOTAUTH when no zone the reader r knows has
 * qname as its apex, SERVFAIL when the snapshot cannot be opened; else the transfer's first
 * message. Over TCP (more given) the rest is handed to dnstcp through more; over UDP (more
 * NULL: IXFR only) the one message is the whole answer. db is the database file. out holds
 * DNSMSG_MAX bytes.
 * @return the response length (0 only when the query's header is unusable).
 */
size_t xfr_answer(const char *db, const struct conf_list *allow, struct zonedb_reader *r,
                  struct tsigsrv *ts, const struct dnsmsg_query *q, const uint8_t *pkt,
                  size_t len, const struct sockaddr *peer, uint8_t *out,
                  struct dnstcp_more *more);
