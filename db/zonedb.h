/*
 * zonedb — read access to zones and records for the DNS answerer.
 *
 * A reader is one read-only SQLite connection with its prepared statements plus an in-memory
 * table of the zones (apex, SOA, zone cuts, wildcard owners), reloaded when another connection
 * has committed a change (PRAGMA data_version). Reading a node — every RRset at one name, and
 * whether any name lies below it — is one b-tree seek on the rr primary key, which is what
 * tells NXDOMAIN from NODATA from an empty non-terminal. A reader is used by one thread only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/dname.h"
#include "common/err.h"

struct zonedb_key {
    uint8_t *k;
    size_t len;
};

struct zonedb_zone {
    int64_t id;
    uint8_t apex[DNAME_MAXLEN];
    uint8_t apex_key[DNAME_KEY_MAX];
    size_t apex_keylen;
    uint8_t soa[512];        /* SOA rdata (wire); soa_len 0 when the zone has none */
    uint16_t soa_len;
    uint32_t soa_ttl;
    uint32_t neg_ttl;        /* RFC 2308 §5: min(SOA TTL, SOA MINIMUM) */
    struct zonedb_key *cuts; /* owners of NS RRsets below the apex (delegations) */
    unsigned ncuts;
    struct zonedb_key *wilds; /* wildcard owners ("*.x") */
    unsigned nwilds;
    bool node_on;             /* it has buckets in the lookup table (db/node_int.h) */
    unsigned node_level;      /* and their level and split pointer */
    uint32_t node_split;
};

struct zonedb_rr {
    uint16_t type;
    uint16_t rdlen;
    uint32_t ttl;
    const uint8_t *rdata;
};

/** Every RRset at one name, in type order; pointers stay valid until the next call. */
struct zonedb_node {
    struct zonedb_rr *rr;
    unsigned nrr;
    bool has_below; /* some name lies strictly below this one (told when nrr is 0) */
};

struct zonedb_reader;

/**
 * Opens a read-only reader on an existing database; the zone table is loaded at once.
 * @return 0 with *out set; LANA_ENOMEM; LANA_EDB (cannot open or read) with the message in d.
 */
int zonedb_reader_open(const char *path, struct zonedb_reader **out, struct lana_diag *d);
/** Closes the reader and frees its zone table; NULL is a no-op. */
void zonedb_reader_close(struct zonedb_reader *r);

/**
 * Reloads the zone table when the database changed since the last call.
 * @return 1 when it changed (callers flush what they cached), 0 when not, or LANA_EDB.
 */
int zonedb_reader_sync(struct zonedb_reader *r, struct lana_diag *d);

/**
 * Holds one read snapshot for the reads that follow, until zonedb_reader_release() or the next
 * zonedb_reader_sync(): SQLite then takes its file locks once for all of them instead of once
 * per statement (two system calls or more per read). A snapshot held keeps the WAL from being
 * checkpointed past it, so release it before waiting for work. Harmless when already held;
 * when it cannot be taken, each read takes its own as before (never fails).
 */
void zonedb_reader_hold(struct zonedb_reader *r);
/** Ends the snapshot zonedb_reader_hold() took, if any (never fails). */
void zonedb_reader_release(struct zonedb_reader *r);
/** Whether a snapshot is held now. */
bool zonedb_reader_held(const struct zonedb_reader *r);

typedef void zonedb_change_cb(const uint8_t *name, void *arg);
/**
 * The DNS-visible changes committed after sequence number `after` (table dnschange): cb gets
 * each changed owner name, or NULL when anything may have changed. *last becomes the newest
 * sequence number. Returns 0; 1 when the changes since `after` are not all known any more
 * (pruned, or after < 0) and everything must be taken as changed; <0 on error.
 */
int zonedb_changes(struct zonedb_reader *r, int64_t after, zonedb_change_cb *cb, void *arg,
                   int64_t *last, struct lana_diag *d);

/** Generation number, increased by each reload; lets callers tag cached data (never fails). */
uint64_t zonedb_reader_generation(const struct zonedb_reader *r);

/**
 * The zone with the longest apex containing the name whose key is given, or NULL. The pointer
 * stays valid until the next zonedb_reader_sync that reloads.
 */
const struct zonedb_zone *zonedb_find_zone(const struct zonedb_reader *r, const uint8_t *key,
                                           size_t keylen);

/** Number of zones loaded (never fails). */
unsigned zonedb_zone_count(const struct zonedb_reader *r);
/** The i-th zone loaded (i below zonedb_zone_count), valid until the next sync. */
const struct zonedb_zone *zonedb_zone_at(const struct zonedb_reader *r, unsigned i);

/**
 * Reads the node of the name with the given key in the zone.
 * @return 0 (out filled; nrr may be 0) or LANA_EDB.
 */
int zonedb_node_get(struct zonedb_reader *r, const struct zonedb_zone *z, const uint8_t *key,
                    size_t keylen, struct zonedb_node *out);
