/*
 * names — zones, records, hosts and services as the registry changes them: every call runs
 * inside the caller's transaction as one savepoint (all of it or nothing), bumps the SOA
 * serial of each zone it touches, and appends to the audit log. The DNS server sees the
 * result at its next query after the commit.
 *
 * A host is a name with addresses from the address registry (db/ipam): host add assigns
 * them (the next free one of a block, or the one given), publishes A/AAAA in the host's zone
 * and PTR in the reverse zone of the address, all in one savepoint; host del undoes it all.
 * Services are IANA's service-name and port-number registry in small (RFC 6335): a name and
 * a transport get a port; a host offering one is published as an SRV record.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/cidr.h"
#include "common/dname.h"
#include "common/err.h"
#include "db/ipam.h"
#include "db/store.h"

#define NAMES_TTL 300 /* TTL of the records the registry publishes */

struct names;

struct names_zone {
    int64_t id;
    char name[DNAME_TEXT_MAX]; /* "lab." */
    uint32_t serial;
    int64_t records, hosts;
    bool reverse;
};

struct names_host {
    char name[DNAME_TEXT_MAX];
    char zone[DNAME_TEXT_MAX];
    char v4[CIDR_STRLEN], v6[CIDR_STRLEN]; /* "" when none */
    int64_t created;
};

struct names_service {
    char name[16];
    char proto[4];
    unsigned port;
    char descr[IPAM_TEXT_MAX];
    int64_t bound; /* SRV records that use it */
};

int names_open(struct store *st, struct ipam *ip, struct names **out, struct lana_diag *d);
void names_close(struct names *n);

/* ---- zones ---- */

/** Creates a zone with SOA and NS (LANA_ECONFLICT if it exists). blocks: default blocks for
 * its hosts (may be NULL). */
int names_zone_add(struct names *n, const char *name, const struct cidr *blocks, unsigned nblocks,
                   const char *actor, struct names_zone *out, struct lana_diag *d);
/** Creates the zone unless it exists (for reverse zones); 1 when created, 0 when it was there. */
int names_zone_ensure(struct names *n, const char *name, const char *actor, struct lana_diag *d);
/** Deletes a zone; one with names besides its apex only when recursive (hosts are released). */
int names_zone_del(struct names *n, const char *name, bool recursive, const char *actor,
                   struct lana_diag *d);
int names_zone_get(struct names *n, const char *name, struct names_zone *out, struct lana_diag *d);
typedef int names_zone_cb(const struct names_zone *z, void *arg);
int names_zone_each(struct names *n, names_zone_cb *cb, void *arg, struct lana_diag *d);
/** The default blocks of a zone, as prefixes. */
int names_zone_blocks(struct names *n, int64_t zone_id, struct cidr *out, unsigned max,
                      unsigned *count, struct lana_diag *d);

/* ---- records ---- */

/**
 * Adds one record given as text ("MX" "10 mail.lab."). Allowed types: CNAME, MX, TXT, NS, SRV.
 * Refused: a name outside every zone, a CNAME beside other data (either way), a duplicate.
 */
int names_record_add(struct names *n, const char *owner, const char *type, const char *data,
                     const char *actor, struct lana_diag *d);
/** Deletes the records of owner and type (only the one with this data when data is set). */
int names_record_del(struct names *n, const char *owner, const char *type, const char *data,
                     const char *actor, int64_t *deleted, struct lana_diag *d);

/* ---- hosts ---- */

/* how a host gets an address of one family */
struct names_addr_spec {
    enum { NAMES_ADDR_NONE, NAMES_ADDR_AUTO, NAMES_ADDR_GIVEN } how;
    struct cidr addr; /* GIVEN: the address (a /32 or /128) */
};

int names_host_add(struct names *n, const char *name, const struct names_addr_spec *v4,
                   const struct names_addr_spec *v6, const struct cidr *block, const char *actor,
                   struct names_host *out, struct lana_diag *d);
int names_host_del(struct names *n, const char *name, const char *actor, struct lana_diag *d);
int names_host_rename(struct names *n, const char *from, const char *to, const char *actor,
                      struct names_host *out, struct lana_diag *d);
int names_host_get(struct names *n, const char *name, struct names_host *out, struct lana_diag *d);
typedef int names_host_cb(const struct names_host *h, void *arg);
/** Hosts of one zone (zone NULL: all), by name. */
int names_host_each(struct names *n, const char *zone, names_host_cb *cb, void *arg,
                    struct lana_diag *d);

/* ---- services ---- */

/** Registers NAME/proto at port (0 = the lowest free port in 1024-49151). */
int names_service_add(struct names *n, const char *name, const char *proto, unsigned port,
                      const char *descr, const char *actor, struct names_service *out,
                      struct lana_diag *d);
/** Removes a service (refused while a host is bound to it). */
int names_service_del(struct names *n, const char *name, const char *proto, const char *actor,
                      struct lana_diag *d);
typedef int names_service_cb(const struct names_service *s, void *arg);
int names_service_each(struct names *n, names_service_cb *cb, void *arg, struct lana_diag *d);
/**
 * Publishes _NAME._PROTO.HOST SRV 0 0 PORT HOST for a registered host (proto NULL: every
 * transport the service has; port 0: the service's port). *bound counts the records made.
 */
int names_service_bind(struct names *n, const char *host, const char *service, const char *proto,
                       unsigned port, const char *actor, int *bound, struct lana_diag *d);
int names_service_unbind(struct names *n, const char *host, const char *service,
                         const char *proto, const char *actor, int *unbound, struct lana_diag *d);

/** Forgets old entries of the change log the DNS workers read (keeps the last 100000). */
int names_prune_changes(struct names *n, struct lana_diag *d);

/** Validates a host name (letters, digits, hyphens; label and name lengths). */
int names_check_hostname(const char *name, struct lana_diag *d);
