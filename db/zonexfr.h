/*
 * zonexfr — one zone's records read for a zone transfer (RFC 5936), as one snapshot.
 *
 * A transfer has its own read-only SQLite connection holding one read transaction from open
 * to close: in WAL mode every row it returns belongs to the database state of the moment the
 * transfer started, whatever the registry commits meanwhile, and the DNS worker's own reader
 * is neither blocked nor held back. The SOA is read first; the other records follow in
 * canonical order (owner key, type, rdata), one at a time, so a zone of any size costs one
 * row of memory. A cursor is used by one thread only.
 */
#pragma once

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

/**
 * Opens the database at path read-only, starts the snapshot and reads the SOA of the zone
 * whose apex is the wire name apex (lower case).
 * @return 0 with *out set; LANA_ENOTFOUND when no zone has that apex (or it has no SOA);
 * LANA_ENOMEM; LANA_EDB with the message in d.
 */
int zonexfr_open(const char *path, const uint8_t *apex, struct zonexfr **out,
                 struct lana_diag *d);

/** The zone's SOA record, read when the cursor opened (never fails). */
const struct zonexfr_rr *zonexfr_soa(const struct zonexfr *x);

/**
 * The next record other than the SOA into *rr.
 * @return 1 with *rr filled, 0 when every record was read, LANA_EDB with the message in d.
 */
int zonexfr_next(struct zonexfr *x, struct zonexfr_rr *rr, struct lana_diag *d);

/** Ends the snapshot, closes the connection and frees the cursor; NULL is a no-op. */
void zonexfr_close(struct zonexfr *x);
