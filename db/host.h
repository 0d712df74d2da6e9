/*
 * host — registered hosts: a name in one of our zones with an IPv4 and/or an IPv6 address
 * taken from the address registry (db/ipam). host_add assigns the addresses (the next free
 * one of a block, or the one given), publishes A/AAAA in the host's zone and PTR in the
 * most specific reverse zone of each address (host_ptr_follow moves it when such zones are
 * created or deleted later); host_del undoes all of it, SRV records bound below the host
 * included. Because hosts sit above the address registry, the release of a block that holds
 * host addresses is done here too (host_release_block), so that no host outlives its address.
 *
 * Every changing call runs inside the caller's transaction as one savepoint (all or
 * nothing), bumps the serial of each zone it touches and is audited. Not thread-safe: one
 * struct names per thread.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/cidr.h"
#include "common/dname.h"
#include "common/err.h"
#include "db/names.h"

struct host_info {
    char name[DNAME_TEXT_MAX]; /* canonical text, "web1.lab." */
    char zone[DNAME_TEXT_MAX];
    char v4[CIDR_STRLEN], v6[CIDR_STRLEN]; /* "" when none */
    int64_t created;                       /* unix seconds */
};

/* how a host gets an address of one family */
struct host_addr_spec {
    enum { HOST_ADDR_NONE, HOST_ADDR_AUTO, HOST_ADDR_GIVEN } how;
    struct cidr addr; /* GIVEN: the address (a /32 or /128) */
    bool force;       /* GIVEN: even its subnet's network, broadcast or Subnet-Router anycast
                       * address (refused otherwise: cidr_role_in) */
};

/**
 * Registers host name (letters, digits, hyphens; below the apex of one of our forward zones,
 * with no records there yet) with an address of each family whose spec is not NONE (at
 * least one). AUTO takes the next free address of: block when it is of that family, else
 * the zone's first default block of the family, else the first pool of the family, and
 * never the block's network or broadcast address (IPv4, blocks up to /30) nor its IPv6
 * Subnet-Router anycast address (blocks up to /126). GIVEN registers that address; one of
 * those is refused (LANA_ERANGE, naming what it is) unless spec->force. Each address
 * becomes an assigned block held by the host; A/AAAA and PTR (when a reverse zone holds the
 * address) are published. *out (may be NULL) gets the
 * host. LANA_EPARSE (bad name, an apex, a reverse zone, no address asked for),
 * LANA_ENOTFOUND (no zone holds the name; a given address outside every pool; no pool of the
 * family), LANA_ECONFLICT (the host exists, the name has records, the address is taken),
 * LANA_EEXHAUSTED (the block is full), LANA_ERANGE, LANA_EDB, LANA_ENOMEM.
 */
int host_add(struct names *n, const char *name, const struct host_addr_spec *v4,
             const struct host_addr_spec *v6, const struct cidr *block, const char *actor,
             struct host_info *out, struct lana_diag *d);

/**
 * Deletes a host: its A/AAAA, PTR and SRV records go, and its addresses return to the
 * registry (the blocks the host holds). LANA_EPARSE, LANA_ENOTFOUND, LANA_EDB, LANA_ENOMEM.
 */
int host_del(struct names *n, const char *name, const char *actor, struct lana_diag *d);

/**
 * Renames a host, keeping its addresses and the services bound to it (SRV records follow
 * the new name). *out (may be NULL) gets the host. The codes of host_del and host_add.
 */
int host_rename(struct names *n, const char *from, const char *to, const char *actor,
                struct host_info *out, struct lana_diag *d);

/** The host called name. 0 with *out; LANA_EPARSE, LANA_ENOTFOUND, LANA_EDB. */
int host_get(struct names *n, const char *name, struct host_info *out, struct lana_diag *d);

typedef int host_each_cb(const struct host_info *h, void *arg); /* nonzero stops */
/**
 * The hosts of one zone (zone NULL: all), by name. 0 (or the callback's negative code);
 * LANA_EPARSE, LANA_ENOTFOUND (no such zone), LANA_EDB.
 */
int host_each(struct names *n, const char *zone, host_each_cb *cb, void *arg,
              struct lana_diag *d);

/**
 * Releases the block prefix (ipam_release) unless host addresses lie in it. When some do:
 * without recursive, LANA_ECONFLICT with a message naming the hosts ("10.0.200.0/30 holds
 * the addresses of 2 hosts: a.lab., b.lab.: delete them first, or use --recursive") and
 * nothing changes; with
 * recursive, those hosts are deleted first (host_del: records, PTR, SRV, addresses), then
 * the block and everything below it, all in one savepoint. *released (may be NULL) counts
 * the blocks released (each deleted host's address counts as one); *hosts (may be NULL) the hosts
 * deleted. LANA_ENOTFOUND (no such block), LANA_ECONFLICT (a pool; children without
 * recursive; host addresses without recursive), LANA_EDB, LANA_ENOMEM.
 */
int host_release_block(struct names *n, const struct cidr *prefix, bool recursive,
                       const char *actor, int64_t *released, int64_t *hosts,
                       struct lana_diag *d);

/**
 * Where a host's PTR records live, the one rule for zones made or removed after the host:
 * each PTR is in the zone that holds its owner (the reverse name of the address), the most
 * specific of our zones above it, as host_add publishes it. Called by zone.c in the savepoint
 * that created or deleted the zone at apex (wire, lower case), after the zone row went in or
 * out: every host address whose PTR owner lies at or below apex gets its PTR in the zone
 * holding that owner now (none when no zone does) and loses it from the zone next above apex
 * when that is another one. So a new reverse zone takes the PTR records of the addresses it
 * covers (from the less specific zone that held them, if any) and a deleted one gives them
 * back to the less specific zone, if one exists. Each zone that changed gets one serial bump
 * (zone_touch) and its change-log rows (rrset_put/rrset_drop). A zone that cannot hold
 * reverse names (not at, below or above in-addr.arpa. or ip6.arpa.) is a no-op; otherwise
 * O(hosts). 0, LANA_EPARSE, LANA_EDB.
 */
int host_ptr_follow(struct names *n, const uint8_t *apex, struct lana_diag *d);

/**
 * Checks a host name: letters, digits and hyphens, no hyphen at either end of a label, labels
 * of 1-63 characters, at most 253 characters in all (a final dot allowed). 0 or LANA_EPARSE.
 */
int host_check_name(const char *name, struct lana_diag *d);
