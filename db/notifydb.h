/*
 * notifydb — the secondaries a zone's changes are announced to (NOTIFY, RFC 1996): the
 * per-zone targets of `lana zone notify`, kept in table notify_target, and a read-only view
 * for lanad's notifier of every zone's SOA and targets. A target is an address and a UDP
 * port, stored in one canonical text form ("192.0.2.1:53", "[2001:db8::1]:53"), so that the
 * same secondary written two ways is one row.
 *
 * The changing calls run inside the caller's transaction as one savepoint, check the one
 * authority rule (db/authz.h: whoever may change the zone) and append to the audit log.
 * Not thread-safe: a reader, like a struct names, belongs to one thread.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/err.h"
#include "common/net.h"
#include "db/names.h"

#define NOTIFYDB_PORT 53 /* a target written without a port */

/**
 * Parses a NOTIFY target "ADDR", "ADDR:PORT", "[V6]:PORT" (or a bare IPv6 address): the port
 * defaults to 53 and may not be 0; the unspecified and multicast addresses are refused.
 * ss, len and canon (the canonical text) are written on success only; canon may be NULL.
 * 0, or LANA_EPARSE with what is wrong in d. Pure; thread-safe.
 */
int notifydb_parse_target(const char *s, struct sockaddr_storage *ss, socklen_t *len,
                          char canon[NET_ADDRSTRLEN], struct lana_diag *d);

typedef int notifydb_each_cb(const struct sockaddr_storage *ss, void *arg); /* !=0 stops */

/**
 * Parses a list of targets separated by spaces or tabs (a value of lanad.conf's also-notify)
 * with notifydb_parse_target, handing each to cb (may be NULL: only check). 0 (or cb's
 * nonzero return), or LANA_EPARSE with what is wrong in d (a bad target, or none at all).
 */
int notifydb_parse_list(const char *val, notifydb_each_cb *cb, void *arg, struct lana_diag *d);

/**
 * Adds target to zone's NOTIFY targets; canon (may be NULL) gets its canonical text.
 * 0; LANA_EPARSE (bad zone name or target), LANA_ENOTFOUND (no such zone), LANA_EPERM,
 * LANA_ECONFLICT (already a target of the zone), LANA_EDB.
 */
int notifydb_add(struct names *n, const char *zone, const char *target, const char *actor,
                 char canon[NET_ADDRSTRLEN], struct lana_diag *d);

/** Removes one; the errors of notifydb_add, LANA_ENOTFOUND also when it is not a target. */
int notifydb_del(struct names *n, const char *zone, const char *target, const char *actor,
                 char canon[NET_ADDRSTRLEN], struct lana_diag *d);

typedef int notifydb_target_cb(const char *zone, const char *target, void *arg); /* !=0 stops */

/**
 * The targets of zone (NULL: of every zone), by zone then address text.
 * 0 (or the callback's nonzero return), LANA_EPARSE, LANA_ENOTFOUND (no such zone), LANA_EDB.
 */
int notifydb_list(struct names *n, const char *zone, notifydb_target_cb *cb, void *arg,
                  struct lana_diag *d);

/* ---- the notifier's view -------------------------------------------------------------- */

struct notifydb_reader;

/** One zone as the notifier sees it; pointers stay valid during the callback only. */
struct notifydb_zone {
    const char *name;     /* canonical text, "lab." */
    const uint8_t *apex;  /* wire, lower case */
    uint32_t soa_ttl;
    const uint8_t *soa;   /* SOA rdata (wire) */
    size_t soa_len;
    uint32_t serial;
};

typedef void notifydb_zone_cb(const struct notifydb_zone *z, void *arg);

/**
 * Opens a read-only connection on the database at path (which exists, schema up to date).
 * 0 with *out; LANA_ENOMEM; LANA_EDB with the message in d.
 */
int notifydb_reader_open(const char *path, struct notifydb_reader **out, struct lana_diag *d);
/** Closes it; NULL is a no-op. */
void notifydb_reader_close(struct notifydb_reader *r);

/**
 * When the database changed since the last call (another connection committed; always on
 * the first call): zcb gets every zone that has an SOA, by name, then tcb every per-zone
 * target, and 1 is returned. 0 when nothing changed (nothing is read: one cheap pragma);
 * LANA_EDB with the message in d.
 */
int notifydb_scan(struct notifydb_reader *r, notifydb_zone_cb *zcb, notifydb_target_cb *tcb,
                  void *arg, struct lana_diag *d);
