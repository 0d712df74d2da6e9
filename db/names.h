/*
 * names — the context shared by the modules that change the DNS side of the registry:
 * zone (zones, SOA serial, change log), rrset (records), host (hosts with their addresses
 * and A/AAAA/PTR) and service (port registry, SRV). It holds the store, the address registry
 * the hosts take addresses from, and scratch space for audit text; open one per store and
 * thread. It is not a module of its own: every operation lives in the module of its job.
 */
#pragma once

#include "common/err.h"
#include "db/ipam.h"
#include "db/store.h"

#define NAMES_TTL 300 /* TTL of the records the registry publishes */

struct names;

/**
 * A context over st and ip (both must outlive it; neither is owned).
 * @return 0 with *out set, or LANA_ENOMEM.
 */
int names_open(struct store *st, struct ipam *ip, struct names **out, struct lana_diag *d);
/** Frees the context; NULL is a no-op. */
void names_close(struct names *n);
