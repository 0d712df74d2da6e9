/*
 * catalog — the catalog zone lanad produces (RFC 9432, schema version 2): a zone of the zone
 * table like any other, served and transferred as one, whose records list every other zone,
 * so that a secondary (Knot's catalog-role interpret, BIND's catalog-zones) learns the zones
 * from it alone. It holds, and only ever holds:
 *
 *   <catalog>                   SOA, NS invalid.          (RFC 9432 §4.1)
 *   version.<catalog>           TXT "2"                   (§4.2.1)
 *   <unique-N>.zones.<catalog>  PTR <member>.             (§4.2), one per zone but itself
 *
 * Every unique-N label ("m" and a counter kept in table catalog, never reset) is given once:
 * a zone deleted and created again gets a new one, which tells consumers to start it afresh
 * (§5.5). The members change in the transaction that changes the zone table (the hooks below,
 * one call from each path that creates or deletes a zone), and each change steps the
 * catalog's serial through zone_touch; its records are written through rrset_put and
 * rrset_drop, as every record of the registry. Nobody edits the catalog by hand
 * (catalog_guard).
 */
#pragma once

#include <stdint.h>

#include "common/dname.h"
#include "common/err.h"
#include "db/names.h"
#include "db/store.h"

#define CATALOG_DEFAULT "catalog.lana.invalid." /* lanad.conf catalog-zone's default */
#define CATALOG_NONE "none"                     /* lanad.conf catalog-zone: no catalog */

/**
 * Makes the catalog named name (text; NULL or CATALOG_NONE: none) lanad's, at start-up,
 * before any thread: a catalog under another name is deleted first (its consumers keep their
 * zones until they drop that catalog themselves); a missing one is created; then its members
 * are brought to the zone table (what an older database or an offline change left out).
 * With none, an existing catalog is deleted. *changed (may be NULL) tells what was done:
 * "created", "renamed", "deleted", "synced" (members fixed) or "" (nothing). One
 * transaction. LANA_EPARSE (bad name), LANA_ECONFLICT (a zone of that name that is not the
 * catalog exists, or zones lie below it), LANA_EDB, LANA_ENOMEM.
 */
int catalog_setup(struct names *n, const char *name, const char **changed, struct lana_diag *d);

/**
 * The zone id of the catalog: 1 with *id (and text, when not NULL, its name), 0 when there
 * is none, LANA_EDB. Read-only.
 */
int catalog_zone(struct store *st, int64_t *id, char text[DNAME_TEXT_MAX], struct lana_diag *d);

/**
 * A zone row (id, apex in wire form) was just inserted, inside the caller's transaction: it
 * becomes a member with a fresh label, and the catalog's serial steps. Nothing when there is
 * no catalog. LANA_EPERM when apex lies below the catalog's apex (the caller's unit must
 * then undo the insert), LANA_EDB.
 */
int catalog_zone_added(struct names *n, int64_t zone, const uint8_t *apex, struct lana_diag *d);

/**
 * Zone id is about to be deleted, inside the caller's transaction: its member record goes
 * and the catalog's serial steps. LANA_EPERM when it is the catalog itself, LANA_EDB.
 */
int catalog_zone_deleting(struct names *n, int64_t zone, struct lana_diag *d);

/**
 * May anyone change zone id by hand (records, hosts, delete, import)? 0, or LANA_EPERM when
 * it is the catalog, which only lanad changes. LANA_EDB.
 */
int catalog_guard(struct store *st, int64_t zone, struct lana_diag *d);
