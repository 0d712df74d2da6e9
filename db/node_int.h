/*
 * node — the DNS workers' lookup table, derived from rr (db internal).
 *
 * Table node holds, for each owner name of each zone, every record of that name packed in one
 * row whose rowid is a 64-bit hash of (zone, key): a worker finds a name's records with one
 * integer seek instead of a search by blob key through the rr index, which on a large zone
 * costs about half as much again (db/zonedb.c). rr stays the one source of truth.
 *
 * Keeping it exact: triggers on rr note every (zone, key) whose records change in table
 * node_dirty, in the same transaction; they need nothing of lanad's, so a change made with
 * the sqlite3 shell is noted too. Every commit of lanad's first rewrites the rows of the
 * names noted and empties node_dirty (node__flush(), called by db/store.c). A reader trusts
 * the table only while node_dirty is empty (a change by another program awaits lanad's next
 * open or commit, node__mend()).
 *
 * A row can be missing for a name that has records (two names with one hash: the later
 * change takes the slot; records packing to more than NODE_PACK_MAX bytes; a zone's apex,
 * whose SOA changes at every commit), so a reader that finds no row, or a row of another
 * name, reads rr as before. Rows never exist for names without records, so a row found says
 * nothing of the names below it.
 *
 * Packed records, in rr's order (type, then rdata): per record type (2 bytes), TTL (4),
 * rdata length (2), all big-endian, then the rdata.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct store;

#define NODE_PACK_MAX 16384 /* larger record sets have no row (read from rr) */

/** Appends one record to a packing of len bytes in buf (NODE_PACK_MAX bytes). False, and
 * nothing appended, for what gets no row: an SOA (a zone's apex: its serial changes at every
 * commit, and the row's page would be written each time) or a packing grown too long. */
bool node__pack_add(uint8_t *buf, size_t *len, int64_t type, int64_t ttl, const uint8_t *rd,
                    size_t rdlen);

/** The rowid of a name's row: stable, as it is stored (changing it needs a migration). */
int64_t node__hash(int64_t zone, const uint8_t *key, size_t keylen);

/** Registers lana_node_hash() and lana_node_pack() on the store's writer connection (the
 * migration and node__rebuild() use them). @return 0 or LANA_EDB. */
int node__register(struct store *st, struct lana_diag *d);

/** Rewrites the rows of the names the triggers noted (table node_dirty) and forgets them:
 * run by every commit of lanad's, before it (db/store.c). 0 or LANA_EDB. */
int node__flush(struct store *st, struct lana_diag *d);

/** Bulk mode for one zone (table node_bulk, in the transaction): its record changes are not
 * noted while a whole zone is rewritten (import, zone delete); the caller ends it and calls
 * node__rebuild() in the same transaction. 0 or LANA_EDB. */
int node__bulk(struct store *st, int64_t zone, bool on, struct lana_diag *d);

/** Rewrites every row of a zone from rr (none left for a zone without records). */
int node__rebuild(struct store *st, int64_t zone, struct lana_diag *d);

/** At open, in a transaction of its own: rewrites the rows of names changed by a program that
 * is not lanad (the triggers noted them, nobody rewrote them), or the whole table when it is
 * empty while there are records (emptied by hand: the way to rebuild it). 0 or LANA_EDB. */
int node__mend(struct store *st, struct lana_diag *d);
