/*
 * zoneio — zones in and out of the store as RFC 1035 master files.
 *
 * Import replaces a zone's whole content in one transaction: either every record of the file
 * is stored, or (on the first bad line) nothing changes and the error names file:line.
 * Export writes a file that named-checkzone and kzonecheck accept: $ORIGIN, the SOA first,
 * then every record in canonical order with absolute owner names.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "common/err.h"
#include "db/store.h"

struct zoneio_stats {
    uint64_t records;
    char zone[1010]; /* the zone's name as text */
};

/**
 * Imports a master file. origin (text, may be NULL) is the initial $ORIGIN; the zone is the
 * owner of the file's SOA record, which must be present once, at the top of the zone. Every
 * record must lie inside the zone; CNAME may not share a name with other data; the apex needs
 * NS records. Classes other than IN are refused.
 * Inside an open transaction it is one savepoint of it; otherwise its own transaction.
 * The change log gets one "anything changed" row (zone_touch).
 * @return 0 with stats filled (may be NULL); LANA_EPARSE (syntax, a record outside the zone,
 * no SOA first, no apex NS, class not IN, with file:line in d); LANA_ECONFLICT (a CNAME beside
 * other data; a zone with registered hosts, or a reverse zone at or above the PTR owner of a
 * registered host address, whose records the import would take away or hide);
 * LANA_EDB.
 */
int zoneio_import(struct store *st, FILE *fp, const char *fname, const char *origin,
                  struct zoneio_stats *stats, struct lana_diag *d);

/**
 * Writes the zone named name (text) to out. Reentrant. 0; LANA_EPARSE (bad name);
 * LANA_ENOTFOUND when no such zone exists; LANA_ENOMEM; LANA_EIO (write error); LANA_EDB.
 */
int zoneio_export(struct store *st, const char *name, FILE *out, struct lana_diag *d);

/** Lists the zones, by apex, with their number of records, through the callback. 0 or LANA_EDB. */
typedef void zoneio_zone_cb(const char *name, uint64_t records, void *arg);
int zoneio_list(struct store *st, zoneio_zone_cb *cb, void *arg, struct lana_diag *d);

/** Number of zones in the store, or LANA_EDB. */
int zoneio_zone_count(struct store *st);
