/*
 * rrset — the records of the zones as the registry changes them: records given as text
 * (rrset_add, rrset_del: CNAME, MX, TXT, NS and SRV; addresses come with hosts), and the
 * record-level primitives the other modules of the DNS side build on (rrset_put,
 * rrset_drop, rrset_at), which also write the change log for the DNS workers.
 *
 * Rules kept here: a CNAME stands alone at its name (RFC 1034 §3.6.2, RFC 2181 §10.1), a
 * zone's apex keeps at least one NS record, no duplicate records. Every changing call runs
 * inside the caller's transaction; rrset_add and rrset_del are one savepoint each, bump the
 * zone's serial and are audited. Not thread-safe: one struct names per thread.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dname.h"
#include "common/err.h"
#include "common/rdata.h"
#include "db/names.h"

/* One record as given: owner (wire and text), type, zone, rdata. */
struct rrset_record {
    uint8_t owner[DNAME_MAXLEN];
    char text[DNAME_TEXT_MAX];
    uint16_t type;
    int64_t zone;
    int rdlen; /* 0 without data */
    uint8_t rd[RDATA_MAX];
};

/**
 * Parses a record given as text: owner, type name (CNAME, MX, TXT, NS or SRV, any case) and
 * data (words, "quoted strings" as one; NULL: no data, for deletions), into *r, with the
 * zone that holds the owner. LANA_EPARSE (bad name, type or data), LANA_ENOTFOUND (no zone
 * holds the owner), LANA_EDB.
 */
int rrset_parse(struct names *n, const char *owner, const char *type, const char *data,
                struct rrset_record *r, struct lana_diag *d);

/**
 * Adds one record given as text ("MX" "10 mail.lab."). LANA_EPARSE, LANA_ENOTFOUND (outside
 * every zone), LANA_ECONFLICT (a CNAME beside other data, either way, or a duplicate),
 * LANA_EDB.
 */
int rrset_add(struct names *n, const char *owner, const char *type, const char *data,
              const char *actor, struct lana_diag *d);

/**
 * Deletes the records of owner and type (only the one with this data when data is set);
 * *deleted (may be NULL) gets how many. LANA_EPARSE, LANA_ENOTFOUND (no such record, or
 * outside every zone), LANA_ECONFLICT (the apex would lose its last NS), LANA_EDB.
 */
int rrset_del(struct names *n, const char *owner, const char *type, const char *data,
              const char *actor, int64_t *deleted, struct lana_diag *d);

/**
 * Inserts one record (owner in wire form, lower case) into zone, unless it is there, and
 * notes the change for the DNS workers (zone_touch with the owner, or everything for CNAME,
 * NS, DNAME and wildcards, whose effect reaches past their owner). No savepoint, no serial
 * bump: the caller's unit does those. 1 inserted, 0 it was there already, LANA_EDB.
 */
int rrset_put(struct names *n, int64_t zone, const uint8_t *owner, uint16_t type,
              const uint8_t *rd, size_t rdlen, uint32_t ttl, struct lana_diag *d);

/**
 * Deletes the records of owner and type in zone (only the one with rdata rd when rd is not
 * NULL) and notes the change as rrset_put does. The number deleted (>= 0), or LANA_EDB.
 */
int rrset_drop(struct names *n, int64_t zone, const uint8_t *owner, uint16_t type,
               const uint8_t *rd, size_t rdlen, struct lana_diag *d);

/**
 * What is at owner in zone: *count records in all, *cname whether one is a CNAME.
 * 0, or LANA_EDB (the outputs are then unset).
 */
int rrset_at(struct names *n, int64_t zone, const uint8_t *owner, int64_t *count, bool *cname,
             struct lana_diag *d);
