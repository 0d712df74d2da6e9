/*
 * xfr — outgoing zone transfers (AXFR, RFC 5936) over DNS TCP: who may transfer, and the
 * stream of messages (SOA, every record of the zone, SOA) that dnstcp pulls as its output
 * drains. The records come from a snapshot of the zone (db/zonexfr.h), so a transfer is
 * consistent even while the registry commits. Access is by client address (allow-transfer);
 * a key check (TSIG) can sit beside xfr_allowed(). Each transfer is logged at notice level
 * when it ends, each refusal at info.
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
 * Answers the AXFR query q (raw bytes pkt) from peer over TCP: refused unless it is signed
 * with a key allowed for the zone or comes from an allowed address (tsigsrv_xfr_check() of
 * ts: NOTAUTH with a TSIG error, or REFUSED), and a signed transfer is signed message by
 * message; NOTAUTH when no zone the reader r knows has qname as its apex, SERVFAIL when the
 * snapshot cannot be opened; else the transfer's first message, with the rest handed to dnstcp
 * through more. db is the database file. out holds DNSMSG_MAX bytes.
 * @return the response length (0 only when the query's header is unusable).
 */
size_t xfr_answer(const char *db, const struct conf_list *allow, struct zonedb_reader *r,
                  struct tsigsrv *ts, const struct dnsmsg_query *q, const uint8_t *pkt,
                  size_t len, const struct sockaddr *peer, uint8_t *out,
                  struct dnstcp_more *more);
