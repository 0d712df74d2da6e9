/*
 * service — IANA's service-name and port-number registry in small (RFC 6335): a service name
 * and a transport (tcp, udp) get a port; a registered host offering a service is published
 * as an SRV record _service._proto.host (RFC 2782) in the host's zone.
 *
 * Every changing call runs inside the caller's transaction as one savepoint (all or
 * nothing) and is audited; binding bumps the host zone's serial. Not thread-safe: one struct
 * names per thread.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/dname.h"
#include "common/err.h"
#include "db/ipam.h"
#include "db/names.h"

struct service_info {
    char name[16];  /* lower case, RFC 6335 §5.1 */
    char proto[4];  /* "tcp" or "udp" */
    unsigned port;
    char descr[IPAM_TEXT_MAX];
    int64_t bound; /* SRV records that use it (service_each only) */
};

/**
 * Registers name/proto at port (0: the lowest free port in 1024-49151). *out (may be NULL)
 * gets it. LANA_EPARSE (bad name or transport), LANA_ERANGE (a port in the dynamic range
 * 49152-65535), LANA_ECONFLICT (registered already, or the port is taken), LANA_EEXHAUSTED
 * (no free port), LANA_EDB.
 */
int service_add(struct names *n, const char *name, const char *proto, unsigned port,
                const char *descr, const char *actor, struct service_info *out,
                struct lana_diag *d);

/**
 * Removes a service. LANA_EPARSE, LANA_ENOTFOUND, LANA_ECONFLICT (a host is bound to it),
 * LANA_EDB.
 */
int service_del(struct names *n, const char *name, const char *proto, const char *actor,
                struct lana_diag *d);

typedef int service_each_cb(const struct service_info *s, void *arg); /* nonzero stops */
/** Every service by port and transport, with its bound count. 0 (or the callback's negative
 * code), LANA_EDB, LANA_ENOMEM. */
int service_each(struct names *n, service_each_cb *cb, void *arg, struct lana_diag *d);

/* One SRV record service_bind published: OWNER TTL IN SRV PRIORITY WEIGHT PORT TARGET. */
struct service_srv {
    char owner[DNAME_TEXT_MAX]; /* _name._proto.host. */
    uint32_t ttl;
    unsigned priority, weight, port;
    char target[DNAME_TEXT_MAX]; /* the host */
};
#define SERVICE_SRV_MAX 2 /* one record per transport */

/**
 * Publishes _NAME._PROTO.HOST SRV 0 0 PORT HOST for a registered host (proto NULL: every
 * transport the service has; port 0: the service's port). *bound counts the records made;
 * srv (may be NULL) gets them, srv[0 .. *bound - 1]. LANA_EPARSE, LANA_ENOTFOUND (no such
 * service or host), LANA_ECONFLICT (bound already), LANA_ERANGE (the SRV name would be too
 * long), LANA_EDB.
 */
int service_bind(struct names *n, const char *host, const char *service, const char *proto,
                 unsigned port, const char *actor, int *bound,
                 struct service_srv srv[SERVICE_SRV_MAX], struct lana_diag *d);

/**
 * Withdraws what service_bind published (proto NULL: every transport); *unbound counts the
 * transports unbound. LANA_EPARSE, LANA_ENOTFOUND (no such service or host, or not bound),
 * LANA_EDB.
 */
int service_unbind(struct names *n, const char *host, const char *service, const char *proto,
                   const char *actor, int *unbound, struct lana_diag *d);
