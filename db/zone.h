/*
 * zone — the zones of the registry: create (SOA and NS of our own), delete, read, and the one
 * place where a change to a zone is recorded (zone_touch): its SOA serial goes up under the
 * process's serial policy (common/serial.h, RFC 1982 arithmetic) and a row of the change log
 * (table dnschange) tells the DNS workers what to drop from their caches at their next query
 * after the commit.
 *
 * Every changing call runs inside the caller's transaction as one savepoint (all or
 * nothing, store_sp_begin/end) and appends to the audit log. Not thread-safe: one struct
 * names per thread.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/cidr.h"
#include "common/dname.h"
#include "common/err.h"
#include "common/serial.h"
#include "db/account.h"
#include "db/names.h"

#define ZONE_BLOCKS_MAX 8 /* default blocks a zone may have */

struct zone_info {
    int64_t id;
    char name[DNAME_TEXT_MAX]; /* canonical text, "lab." */
    uint32_t serial;
    int64_t records, hosts;
    bool reverse; /* under in-addr.arpa. or ip6.arpa. */
    char sponsor[ACCOUNT_NAME_MAX];    /* the sponsoring registrar (db/authz.h) */
    char registrant[ACCOUNT_NAME_MAX]; /* the account it is registered for */
};

/**
 * Creates zone name with an SOA (ns1.lab., hostmaster.<zone>, serial YYYYMMDD00) and an NS
 * record at its apex; blocks (nblocks of them, at most ZONE_BLOCKS_MAX; may be NULL) become
 * the zone's default blocks for host addresses and must exist. A reverse zone takes, in the
 * same savepoint, the PTR records of the registered host addresses it covers (it is now the
 * most specific zone for them): host_ptr_follow moves each from the zone that held it, if
 * any, serials and change log included. *out (may be NULL) gets the new zone. LANA_EPARSE
 * (bad name), LANA_ERANGE (too many blocks), LANA_ENOTFOUND (a block does not exist),
 * LANA_ECONFLICT (the zone exists; or a host is registered at or below the new apex in an
 * enclosing zone, whose records the new zone cut would hide), LANA_EDB, LANA_ENOMEM.
 */
int zone_add(struct names *n, const char *name, const struct cidr *blocks, unsigned nblocks,
             const char *actor, struct zone_info *out, struct lana_diag *d);

/**
 * zone_add under the authority rule (db/authz.h, authz_zone_create), for the account
 * registrant (NULL: the acting account). Every new zone below another is delegated from it:
 * an NS record at the new apex in the enclosing zone (and glue when the name server lies
 * below the cut); zone_del takes the delegation away again. The errors of zone_add, and
 * LANA_EPERM; LANA_ENOTFOUND also for an unknown registrant.
 */
int zone_register(struct names *n, const char *name, const char *registrant,
                  const struct cidr *blocks, unsigned nblocks, const char *actor,
                  struct zone_info *out, struct lana_diag *d);

/**
 * Creates zone name unless it exists (reverse zones, made on demand), taking the host PTR
 * records it covers as zone_add does. 1 when created, 0 when it was there; LANA_EPARSE,
 * LANA_EDB, LANA_ENOMEM.
 */
int zone_ensure(struct names *n, const char *name, const char *actor, struct lana_diag *d);

/**
 * Deletes a zone. One holding hosts or names besides its apex only when recursive: its hosts
 * are deleted first (host_del: their addresses go back to the registry, their PTR records
 * go), then everything else. Host PTR records count as names: a reverse zone holding some
 * goes only when recursive, and then they are not lost but go back, in the same savepoint,
 * to the less specific zone that now holds their owner (host_ptr_follow), if there is one;
 * with none, the hosts stay without PTR. LANA_EPARSE, LANA_ENOTFOUND, LANA_ECONFLICT (not
 * empty and not recursive), LANA_EDB, LANA_ENOMEM.
 */
int zone_del(struct names *n, const char *name, bool recursive, const char *actor,
             struct lana_diag *d);

/** The zone called name. 0 with *out; LANA_EPARSE, LANA_ENOTFOUND, LANA_EDB. */
int zone_get(struct names *n, const char *name, struct zone_info *out, struct lana_diag *d);

typedef int zone_each_cb(const struct zone_info *z, void *arg); /* nonzero stops */
/** Every zone by name. 0 (or the callback's negative code), LANA_EDB. */
int zone_each(struct names *n, zone_each_cb *cb, void *arg, struct lana_diag *d);

/**
 * The default blocks of a zone, as prefixes in address order: at most max into out, *count
 * of them. 0 or LANA_EDB.
 */
int zone_blocks(struct names *n, int64_t zone_id, struct cidr *out, unsigned max,
                unsigned *count, struct lana_diag *d);

/**
 * The zone of the longest apex at or above name (wire, lower case): 1 with *id and apex
 * set, 0 when no zone holds the name, LANA_EDB.
 */
int zone_find(struct names *n, const uint8_t *name, int64_t *id, uint8_t apex[DNAME_MAXLEN],
              struct lana_diag *d);

#define ZONE_TOUCH_SERIAL 1u /* SOA serial + 1 and the zone's updated time */
#define ZONE_TOUCH_NAME 2u   /* a change-log row for owner (NULL: anything may have changed) */

/**
 * Records a change to zone (its id; 0 with ZONE_TOUCH_NAME alone, as a zone file import
 * does, which brings its own serial). what is a mask of ZONE_TOUCH_*. This is the only
 * writer of SOA serials and of the change log. 0, or LANA_EDB (also when the zone has no
 * SOA).
 */
/**
 * Steps the serial of zone past the last serial a zone of its apex had before it was deleted
 * or replaced by an import, when it is older (a zone file bringing an older serial):
 * secondaries holding the old serial would otherwise keep the old records, and an IXFR could
 * start from them. The same serial again is left alone: a file imported again as it was
 * keeps its serial (and changed records under an unchanged serial reach no secondary, as with
 * any DNS server). 0, or LANA_EDB.
 */
int zone_serial_past_floor(struct store *st, int64_t zone, struct lana_diag *d);

int zone_touch(struct store *st, int64_t zone, const uint8_t *owner, unsigned what,
               struct lana_diag *d);

/**
 * Steps zone's serial as zone_touch does, but from floor when floor is not below the serial
 * (RFC 1982): a zone made again (the catalog, db/catalog.h) goes on above the serial its
 * consumers last saw. 0 or LANA_EDB.
 */
int zone_serial_above(struct store *st, int64_t zone, uint32_t floor, struct lana_diag *d);

/**
 * Sets the serial policy (common/serial.h) by which this process starts new zones and steps
 * serials in zone_touch. Like log_init, call it once before any thread starts; until then
 * the policy is SERIAL_DATE.
 */
void zone_serial_policy_set(enum serial_policy p);
/** The serial policy zone_serial_policy_set chose. */
enum serial_policy zone_serial_policy(void);

/** The serial of SOA rdata (wire): 0 with *serial, or LANA_EPARSE when it is too short. */
int zone_soa_serial(const uint8_t *rd, size_t len, uint32_t *serial);

/** Forgets old entries of the change log the DNS workers read (keeps the last 100000). */
int zone_prune_changes(struct names *n, struct lana_diag *d);
