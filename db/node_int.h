/*
 * node — the DNS workers' lookup table, derived from rr (db internal).
 *
 * Each zone's names are spread over buckets by a 64-bit hash of (zone, key); table node holds
 * one row per bucket that has names, whose rowid is the zone id times 2^32 plus the bucket
 * number. The row holds, for each of its names, the name's key and all its records packed.
 * A worker finds a name's records with one integer seek and a look at a short directory at
 * the row's start: on a zone of a million names that costs a quarter less than a row per
 * name, whose B-tree leaf pages hold some sixty cells to search each (db/zonedb.c). rr stays
 * the one source of truth.
 *
 * The buckets grow with the zone by linear hashing: table node_zone keeps, per zone, the
 * level L and the split pointer S. A name's bucket is its hash's low L bits, or its low L+1
 * bits when that first number is below S. When a name added to a bucket makes it hold more
 * than NODE_SPLIT_AT names, bucket S is split in two (its names whose bit L is set move to
 * bucket S + 2^L) and S moves on; once S reaches 2^L, L grows by one and S starts again at 0.
 * A zone rebuilt whole (import, delete, start after the table was emptied) gets a level at
 * which its buckets hold NODE_LOAD names or fewer on average.
 *
 * Keeping it exact: triggers on rr note every (zone, key) whose records change in table
 * node_dirty, in the same transaction; they need nothing of lanad's, so a change made with
 * the sqlite3 shell is noted too. Every commit of lanad's first rewrites the buckets of the
 * names noted and empties node_dirty (node__flush(), called by db/store.c). A reader trusts
 * the table only while node_dirty is empty (a change by another program awaits lanad's next
 * open or commit, node__mend()).
 *
 * A name can be missing from its bucket though it has records (records packing to more than
 * NODE_PACK_MAX bytes; a bucket grown past NODE_ROW_MAX bytes; a zone's apex, whose SOA
 * changes at every commit), so a reader that does not find a name reads rr as before. Names
 * without records are never there, so a bucket says nothing of the names below a name.
 *
 * A row: the number of names n (2 bytes), then per name its tag (the hash's top 16 bits) and
 * the offset of its entry in the row (2 bytes each); then the entries: key length (2), key,
 * packing length (2), packing. Names in order of tag, then key. A packing: per record, in
 * rr's order (type, then rdata), its type (2 bytes), TTL (4), rdata length (2), then the
 * rdata. Every number big-endian.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct store;

#define NODE_PACK_MAX 2048 /* a name with more bytes of records is read from rr */
#define NODE_ROW_MAX 65535 /* a bucket's bytes at most (offsets are 16 bits) */
#define NODE_LOAD 12       /* names per bucket, on average, after a rebuild */
#define NODE_SPLIT_AT 24   /* a bucket holding more makes the zone split one */
#define NODE_LEVEL_MAX 31  /* buckets stay below 2^32 */

/** Appends one record to a packing of len bytes in buf (NODE_PACK_MAX bytes). False, and
 * nothing appended, for what gets no row: an SOA (a zone's apex: its serial changes at every
 * commit, and the row's page would be written each time) or a packing grown too long. */
bool node__pack_add(uint8_t *buf, size_t *len, int64_t type, int64_t ttl, const uint8_t *rd,
                    size_t rdlen);

/** A name's hash: stable, as the buckets depend on it (changing it needs a migration). */
uint64_t node__hash(int64_t zone, const uint8_t *key, size_t keylen);

/** The bucket of a hash, for a zone at level and split. */
static inline uint32_t node__bucket(unsigned level, uint32_t split, uint64_t h)
{
    uint64_t b = h & (((uint64_t)1 << level) - 1);
    if (b < split)
        b = h & (((uint64_t)1 << (level + 1)) - 1);
    return (uint32_t)b;
}

/** Whether a zone's id leaves room for its buckets in a rowid (1 to 2^31 - 1, as SQLite gives
 * them out; a zone outside has no buckets and is read from rr). */
static inline bool node__zone_ok(int64_t zone)
{
    return zone > 0 && zone < (int64_t)1 << 31;
}

/** The rowid of a zone's bucket. */
static inline int64_t node__rowid(int64_t zone, uint32_t bucket)
{
    return (int64_t)((uint64_t)zone << 32 | bucket);
}

/** A name's tag in its bucket's directory. */
static inline uint16_t node__tag(uint64_t h)
{
    return (uint16_t)(h >> 48);
}

/** One name of a bucket; key and pack point into the row it was read from. */
struct node_entry {
    uint16_t tag;
    uint16_t klen;
    uint16_t plen;
    const uint8_t *key;
    const uint8_t *pack;
};

/** The packing of the name (key, klen) in row v of len bytes: 1 and *pack, *plen when it is
 * there, 0 when not, -1 when the row is not one lanad wrote. */
int node__find(const uint8_t *v, size_t len, uint16_t tag, const uint8_t *key, size_t klen,
               const uint8_t **pack, size_t *plen);

/** The names of row v: their number (at most max are stored in out), or -1 when the row is
 * not one lanad wrote (short, entries out of bounds). */
int node__entries(const uint8_t *v, size_t len, struct node_entry *out, size_t max);

/** Orders entries as a row holds them: by tag, then key. */
int node__entry_cmp(const void *a, const void *b);

/** Writes n entries, in row order, as a row in out (NODE_ROW_MAX bytes): its length, or 0
 * when they do not fit. */
size_t node__encode(const struct node_entry *e, size_t n, uint8_t *out);

/** Rewrites the buckets of the names the triggers noted (table node_dirty) and forgets them:
 * run by every commit of lanad's, before it (db/store.c). 0 or LANA_EDB. */
int node__flush(struct store *st, struct lana_diag *d);

/** Bulk mode for one zone (table node_bulk, in the transaction): its record changes are not
 * noted while a whole zone is rewritten (import, zone delete); the caller ends it and calls
 * node__rebuild() in the same transaction. 0 or LANA_EDB. */
int node__bulk(struct store *st, int64_t zone, bool on, struct lana_diag *d);

/** Rewrites every bucket of a zone from rr (none left for a zone without records). */
int node__rebuild(struct store *st, int64_t zone, struct lana_diag *d);

/** At open, in a transaction of its own: rewrites the buckets of names changed by a program
 * that is not lanad (the triggers noted them, nobody rewrote them), or the whole table when it
 * is empty while there are records (emptied by hand, the way to rebuild it; or new, after a
 * migration). 0 or LANA_EDB. */
int node__mend(struct store *st, struct lana_diag *d);
