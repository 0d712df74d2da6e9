/*
 * secstate — what lanad knows of the secondaries of its zones, per zone and secondary: the
 * last NOTIFY sent and answered (or given up), the last SOA query seen from it, the last zone
 * transfer it took. A secondary is one IP address (an IPv4-mapped IPv6 address counts as its
 * IPv4 address); the UDP port of a NOTIFY target is kept beside it.
 *
 * In memory only, forgotten at restart, and bounded (SECSTATE_MAX rows; what would go past is
 * not recorded). One table per process behind one mutex, because its writers have no common
 * context to reach it through: the notifier thread, every DNS worker (SOA queries) and the
 * transfer streams freed by dnstcp (server/xfr.c); the registry thread reads it. Every
 * function is thread-safe and never fails; none blocks beyond the mutex.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "common/dname.h"
#include "common/net.h"

#define SECSTATE_MAX 65536

/** One secondary of one zone. Times are wall-clock ms (0: never). */
struct secstate_entry {
    char zone[DNAME_TEXT_MAX];  /* canonical text, "lab." */
    char addr[NET_ADDRSTRLEN];  /* the address alone, "192.0.2.1", "2001:db8::1" */
    uint8_t ip[16];             /* the address, IPv4 mapped into IPv6 */
    bool target;                /* a NOTIFY target at the notifier's last look */
    uint16_t notify_port;       /* its NOTIFY port (0: never a target) */
    int64_t notify_sent_ms;     /* the last NOTIFY sent (each retry counts) */
    uint32_t notify_sent_serial;
    unsigned notify_sent_tries;
    int64_t notify_answered_ms; /* the last NOTIFY answered */
    uint32_t notify_answered_serial;
    unsigned notify_answered_tries;
    unsigned notify_rcode;      /* that answer's rcode */
    int64_t notify_gaveup_ms;   /* the last NOTIFY never answered */
    uint32_t notify_gaveup_serial;
    int64_t soa_query_ms;       /* the last SOA query for the zone from the address */
    int64_t xfr_ms;             /* the last transfer that ran to its end */
    char xfr_kind[8];           /* "axfr" or "ixfr" */
    uint32_t xfr_serial;        /* the serial it carried: the one the secondary now has */
    uint64_t xfr_bytes;
};

/** Marks the NOTIFY targets of zone as the notifier sees them now: the zone's other rows lose
 * their target mark. targets: n addresses (with their ports). */
void secstate_targets(const char *zone, const struct sockaddr_storage *targets, unsigned n);

/** A NOTIFY of serial went to target (tries: how many times so far, 1 for the first). */
void secstate_notify_sent(const char *zone, const struct sockaddr *target, uint32_t serial,
                          unsigned tries);
/** target answered the NOTIFY of serial, after tries sends, with rcode. */
void secstate_notify_answered(const char *zone, const struct sockaddr *target, uint32_t serial,
                              unsigned tries, unsigned rcode);
/** target never answered the NOTIFY of serial. */
void secstate_notify_gaveup(const char *zone, const struct sockaddr *target, uint32_t serial);

/** Whether any secondary is known (one atomic load): the callers' cheap first test. */
bool secstate_any_known(void);

/** An SOA query for zone (the apex, wire, lower case) came from peer; recorded only when peer
 * is a known secondary (a NOTIFY target or an address that has transferred a zone), so any
 * client's SOA query costs one atomic load and, from a known address, one lookup. */
void secstate_soa_query(const uint8_t *apex, const struct sockaddr *peer);

/** A transfer of zone (text) of kind ("axfr", "ixfr"), bytes long, to peer (its "ADDR:PORT"
 * text, as net_addr_format writes it) ran to its end; soa (rdlen bytes): the SOA rdata it
 * ended with, whose serial the secondary now has. */
void secstate_xfr_done(const char *zone, const char *peer, const char *kind,
                       const uint8_t *soa, size_t rdlen, uint64_t bytes);

/**
 * A copy of the rows of zone (NULL: of every zone), by zone then address, into *out (malloc'd,
 * the caller frees it; NULL when there are none or memory ran out). @return the row count.
 */
size_t secstate_snapshot(const char *zone, struct secstate_entry **out);

/** Forgets everything (for tests). */
void secstate_reset(void);
