/*
 * check — verifies a lana database offline, in the manner of PRAGMA integrity_check and
 * nsd-checkzone: SQLite's own integrity, then the invariants that db/ipam and db/names keep
 * and that no SQL constraint expresses. It is not a repair tool: it changes nothing, opens
 * its own read-only connection and reads one snapshot (one read transaction), so it may run
 * beside a live lanad, whose commits it neither sees half-done nor waits for.
 *
 * What is verified (each finding carries one of the codes below):
 *  - SQLite: integrity_check, foreign_key_check, the schema version (STORE_SCHEMA_VERSION);
 *    with any of these failing nothing else is checked, since the rows cannot be trusted;
 *  - blocks: host bits zero, a root is a pool and a pool is a root, every other block lies
 *    strictly inside its parent, siblings (and root pools) never overlap;
 *  - free space (db/ipam.c's buddy invariant): inside every split block the freespace rows
 *    and the children tile the block exactly (no gap, no overlap), every free row is an
 *    aligned prefix inside the block, no two free rows are buddies (they would have been
 *    merged); a block that was never split has no free rows and no children;
 *  - zones: the apex key matches the name, exactly one well-formed SOA, at the apex; NS at
 *    the apex; every record at or below the apex, of well-formed rdata; no CNAME beside
 *    other data. (The schema keeps the serial only in the SOA rdata, so there is no second
 *    copy to compare it with.)
 *  - hosts: the name lies in its zone (the longest matching apex) and is not the apex; one
 *    address or two, canonical, of the right family; each address is a block of the
 *    registry (a /32 or /128) and no other host has it; the A and AAAA RRsets at the name
 *    are exactly the host's addresses; where a reverse zone holds an address, its PTR
 *    names the host;
 *  - the catalog zone (db/catalog.h), when there is one: NS invalid., version TXT "2",
 *    and one PTR per other zone, at <label>.zones, each label once;
 *  - records no host owns any more: a PTR naming a name of our forward zones that does not
 *    have that address (a host's, or an A/AAAA there), and an A/AAAA whose address is an
 *    assigned block held by that very name (as host add makes them) with no such host.
 *
 * Thread-safe as far as SQLite is (one connection per call).
 */
#pragma once

#include <stdint.h>

#include "common/err.h"

/* What a finding is about. The names (check_code_name) are stable: scripts match them. */
enum check_code {
    CHECK_SQLITE_INTEGRITY,  /* "sqlite-integrity": a line of PRAGMA integrity_check */
    CHECK_FOREIGN_KEY,       /* "foreign-key": a row refers to a missing row */
    CHECK_SCHEMA_VERSION,    /* "schema-version": not the version this lanad writes */
    CHECK_BLOCK_MISALIGNED,  /* "block-misaligned": host bits set, or a bad length */
    CHECK_BLOCK_ROOT,        /* "block-root": a root that is not a pool, or a pool with a parent */
    CHECK_BLOCK_OUTSIDE,     /* "block-outside-parent": not strictly inside its parent */
    CHECK_BLOCK_OVERLAP,     /* "block-overlap": two siblings (or two pools) overlap */
    CHECK_BLOCK_UNSPLIT,     /* "block-unsplit": children, but no free-space index */
    CHECK_FREE_UNSPLIT,      /* "free-unsplit": free rows under a block never split */
    CHECK_FREE_MISALIGNED,   /* "free-misaligned": a free row that is no prefix of the block */
    CHECK_FREE_OVERLAP,      /* "free-overlap": a free row overlaps a block or another one */
    CHECK_FREE_MISSING,      /* "free-missing": space that is neither allocated nor free */
    CHECK_FREE_NOT_MAXIMAL,  /* "free-not-maximal": two free buddies not merged */
    CHECK_ZONE_APEX,         /* "zone-apex": the apex key does not match the name */
    CHECK_ZONE_SOA,          /* "zone-soa": SOA missing, repeated, off the apex or malformed */
    CHECK_ZONE_NS,           /* "zone-ns": no NS at the apex */
    CHECK_RECORD_OUTSIDE,    /* "record-outside-zone": a record above or beside its apex */
    CHECK_RECORD_MALFORMED,  /* "record-malformed": bad owner key or rdata */
    CHECK_CNAME_CONFLICT,    /* "cname-conflict": a CNAME beside other data */
    CHECK_HOST_ZONE,         /* "host-zone": the name is not in the host's zone */
    CHECK_HOST_ADDRESS,      /* "host-address": none, unparsable or not canonical */
    CHECK_HOST_UNREGISTERED, /* "host-address-unregistered": no block for the address */
    CHECK_HOST_SHARED,       /* "host-address-shared": two hosts with one address */
    CHECK_HOST_A,            /* "host-a": the A/AAAA RRset differs from the addresses */
    CHECK_HOST_PTR,          /* "host-ptr": the reverse zone lacks the host's PTR */
    CHECK_PTR_ORPHAN,        /* "ptr-orphan": a PTR to a name without that address */
    CHECK_RECORD_ORPHAN,     /* "record-orphan": a host's A/AAAA without the host */
    CHECK_AUTHORITY_ORPHAN,  /* "authority-orphan": a maintainer, sponsor or registrant that
                              * is no account, or a block's delegation mark wrong */
    CHECK_CATALOG,           /* "catalog": the catalog zone's members are not the zones */
    CHECK_LOOKUP_STALE,      /* "lookup-stale": an entry of the DNS workers' lookup table
                              * (node) not where its name is looked for, or not its name's
                              * records, or a bucket that does not parse */
    CHECK_NCODES
};

struct check_finding {
    enum check_code code;
    const char *object;  /* the prefix, zone or host name it is about */
    const char *message; /* one sentence, no newline */
};

/** What was looked at. */
struct check_stats {
    int64_t blocks, hosts, zones, records;
    int64_t findings;
};

/**
 * Called once per finding; both strings are valid only during the call. Nonzero stops the
 * check (check_run then returns the findings so far).
 */
typedef int check_cb(const struct check_finding *f, void *arg);

/** The stable name of a code ("block-overlap"); "?" for a value out of range. */
const char *check_code_name(enum check_code code);

/**
 * Checks the database at path, read-only (the file is never created or changed; a WAL left
 * by a crashed writer is read as SQLite recovers it). cb (may be NULL) hears every finding;
 * stats (may be NULL) is filled in either way. May block up to a few seconds while another
 * connection holds an exclusive lock.
 * @return the number of findings (0: clean, capped at INT32_MAX), or LANA_ENOTFOUND (no such
 *         file), LANA_EIO (it cannot be read), LANA_EDB (a query failed), LANA_ENOMEM, with
 *         the reason in d.
 */
int check_run(const char *path, check_cb *cb, void *arg, struct check_stats *stats,
              struct lana_diag *d);
