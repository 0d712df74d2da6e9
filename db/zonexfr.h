/*
 * zonexfr — one zone's records read for a zone transfer (RFC 5936), as one snapshot.
 *
 * A transfer has its own read-only SQLite connection holding one read transaction from open
 * to close: in WAL mode every row it returns belongs to the database state of the moment the
 * transfer started, whatever the registry commits meanwhile, and the DNS worker's own reader
 * is neither blocked nor held back. The SOA is read first; the other records follow in
 * canonical order (owner key, type, rdata), one at a time, so a zone of any size costs one
 * row of memory. An IXFR reads the zone's journal in the same snapshot. A cursor is used by
 * one thread only.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/dname.h"
#include "common/err.h"

/** One record of the zone; owner and rdata stay valid until the next zonexfr_next(). */
struct zonexfr_rr {
    uint8_t owner[DNAME_MAXLEN];
    uint16_t type;
    uint16_t rdlen;
    uint32_t ttl;
    const uint8_t *rdata;
};

struct zonexfr;

/** What the transfer sends, decided when the cursor opens (zonexfr_kind). */
enum zonexfr_kind {
    ZONEXFR_FULL,    /* the whole zone: SOA, every record, SOA (AXFR, or IXFR falling back) */
    ZONEXFR_INCR,    /* one condensed difference sequence (RFC 1995 §4): the records come as
                      * old SOA, the removed records, the zone's SOA, the added records */
    ZONEXFR_CURRENT, /* the client's serial is not older than ours: the SOA alone */
};

/**
 * Opens the database at path read-only, starts the snapshot and reads the SOA of the zone
 * whose apex is the wire name apex (lower case). since is NULL for AXFR; for IXFR the
 * client's serial: the difference from that version when the journal (db/journal.h) holds
 * it, else the whole zone (zonexfr_kind, zonexfr_why).
 * @return 0 with *out set; LANA_ENOTFOUND when no zone has that apex (or it has no SOA);
 * LANA_ENOMEM; LANA_EDB with the message in d.
 */
int zonexfr_open(const char *path, const uint8_t *apex, const uint32_t *since,
                 struct zonexfr **out, struct lana_diag *d);

/**
 * The zone's id and its newest journal version (db/journal.h) in the snapshot: together with
 * the SOA's serial they name exactly the records sent. version is 0 when the journal does not
 * describe the snapshot (changes not sealed into a version). Never fails.
 */
int64_t zonexfr_zone(const struct zonexfr *x);
int64_t zonexfr_version(const struct zonexfr *x);

/** What the cursor sends (never fails). */
enum zonexfr_kind zonexfr_kind(const struct zonexfr *x);

/** Why an IXFR gets the whole zone ("serial 5 is not in the journal"), or "" (never fails). */
const char *zonexfr_why(const struct zonexfr *x);

/** The zone's SOA record, read when the cursor opened (never fails). */
const struct zonexfr_rr *zonexfr_soa(const struct zonexfr *x);

/**
 * The next record between the opening and closing SOA into *rr: for a whole zone every
 * record but the SOA, in canonical order; for a difference, the sequence zonexfr_kind
 * describes, removed and added records each in canonical order.
 * @return 1 with *rr filled, 0 when every record was read, LANA_EDB with the message in d.
 */
int zonexfr_next(struct zonexfr *x, struct zonexfr_rr *rr, struct lana_diag *d);

/*
 * Positions and ranges, for building a version's transfer from an earlier one's (its
 * messages each hold a contiguous run of the zone's order, server/xfrpatch.h).
 *
 * A position is a point in the order the whole-zone records come in (owner key, type,
 * rdata, as the rr table sorts them), written as bytes: ZONEXFR_POS_START before every
 * record, ZONEXFR_POS_END after every record, or a record's own place. Positions compare
 * with zonexfr_pos_cmp, never with memcmp.
 */
#define ZONEXFR_POS_MAX (1 + 2 + DNAME_KEY_MAX + 2 + 65535)
enum zonexfr_pos_kind { ZONEXFR_POS_START = 0, ZONEXFR_POS_RECORD = 1, ZONEXFR_POS_END = 2 };

/** Writes the position of rr (kind RECORD), or of kind START or END (rr NULL), into out of
 * ZONEXFR_POS_MAX bytes; returns its length. */
size_t zonexfr_pos(enum zonexfr_pos_kind kind, const struct zonexfr_rr *rr, uint8_t *out);

/** <0, 0, >0 as position a comes before, at or after position b. */
int zonexfr_pos_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/** Where the owner key (klen bytes) stands against position p: <0 when every record of that
 * owner comes before p, >0 when every one comes at or after it, 0 when p is among them. */
int zonexfr_pos_owner_cmp(const uint8_t *key, size_t klen, const uint8_t *p, size_t plen);

/** Called with each owner whose records changed, in the zone's order; a non-zero return
 * stops the walk and is returned by zonexfr_changes. */
typedef int zonexfr_owner_fn(void *arg, const uint8_t *key, size_t klen);

/**
 * The owners (their keys) whose records differ between journal version `since` of the zone,
 * of serial `serial`, and the version the snapshot holds, from the journal rows between them,
 * in the snapshot.
 * @return 0 after every owner; what fn returned when it stopped; LANA_ENOTFOUND when the
 * journal cannot tell (the snapshot is not a sealed version, since is not older than it, no
 * longer in the journal with that serial, or an import restarted the zone's history since); LANA_EDB with d.
 */
int zonexfr_changes(struct zonexfr *x, int64_t since, uint32_t serial, zonexfr_owner_fn *fn,
                    void *arg, struct lana_diag *d);

/**
 * Limits a whole-zone cursor to the records at or after position from and before position
 * to: the next zonexfr_next calls return them (the SOA skipped, as always), in the same
 * snapshot. May be called again for another range (ranges need not follow each other).
 * @return 0, or LANA_EDB with d (LANA_EUNSUPP for a cursor of a difference).
 */
int zonexfr_range(struct zonexfr *x, const uint8_t *from, size_t flen, const uint8_t *to,
                  size_t tlen, struct lana_diag *d);

/** Ends the snapshot, closes the connection and frees the cursor; NULL is a no-op. */
void zonexfr_close(struct zonexfr *x);
