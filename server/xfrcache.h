/*
 * xfrcache — the messages of the last whole-zone transfer of each zone, shared by the DNS
 * workers, so that the next AXFR of the same version of the zone is a copy instead of a new
 * read and encoding of every record (secondaries ask for the same version one after another).
 *
 * A version is the zone's journal version (db/zonexfr.h zonexfr_version): every commit that
 * changes a zone makes a new one, an import too, so a cached transfer can never be served
 * for other data than it was built from, even when a zone file brings back an old serial.
 *
 * What is kept of each message is its body: the bytes after the question up to the end of
 * the answer section, and its answer count. Header, question (the client's id and case), the
 * OPT record and a TSIG signature are the client's own and are written around the body for
 * each transfer; compression pointers inside a body point at the question or into the body
 * itself, at the same offsets in every copy, since the question has the same length.
 *
 * Each message may carry where it starts in the zone's order (a position, db/zonexfr.h,
 * opaque here): with them the next version's messages are built from these and the journal
 * (server/xfrpatch.h).
 *
 * The cache holds at most max_bytes of bodies; the least recently used zones go first. An
 * entry is immutable once published and counted by reference: a transfer holding one keeps it
 * valid after it is replaced or evicted. All functions are thread safe.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xfrcache;
struct xfrcache_msgs;

/** A cache of at most max_bytes (0: caching off, every lookup misses); NULL when out of memory. */
struct xfrcache *xfrcache_new(size_t max_bytes);
/** Frees the cache; entries still held by transfers live until they are released. */
void xfrcache_free(struct xfrcache *c);

/**
 * The messages of zone (its apex in lowercase wire form, and its id: a deleted zone's id and
 * journal positions may come back for another zone) at version and serial, with a reference the caller gives back with
 * xfrcache_release; NULL when they are not cached.
 */
struct xfrcache_msgs *xfrcache_get(struct xfrcache *c, const uint8_t *apex, int64_t zone,
                                   int64_t version, uint32_t serial);
void xfrcache_release(struct xfrcache_msgs *m);

/** The zone's entry whatever its version (the last built), with a reference; or NULL. */
struct xfrcache_msgs *xfrcache_latest(struct xfrcache *c, const uint8_t *apex, int64_t zone);

/** Another reference to m, given back with xfrcache_release; returns m. */
struct xfrcache_msgs *xfrcache_ref(struct xfrcache_msgs *m);

/** The version and serial of m. */
int64_t xfrcache_version(const struct xfrcache_msgs *m);
uint32_t xfrcache_serial(const struct xfrcache_msgs *m);

/** How many messages; body i with its length and answer count. */
size_t xfrcache_count(const struct xfrcache_msgs *m);
const uint8_t *xfrcache_body(const struct xfrcache_msgs *m, size_t i, size_t *len,
                             uint16_t *ancount);

/**
 * Recording a transfer as it is built: a new, unpublished entry (NULL when out of memory or
 * caching is off); add each message's body in order; publish it when the transfer ended
 * whole, else drop it. add returns false (and the entry should be dropped) when the entry
 * would not fit in the cache or memory runs out.
 */
struct xfrcache_msgs *xfrcache_record(struct xfrcache *c, const uint8_t *apex, int64_t zone,
                                      int64_t version, uint32_t serial);
bool xfrcache_add(struct xfrcache_msgs *m, const uint8_t *body, size_t len, uint16_t ancount);
/** Like xfrcache_add, with the position where the message starts (pos, plen bytes); a
 * message added without one leaves the entry without positions (xfrcache_pos). */
bool xfrcache_add_at(struct xfrcache_msgs *m, const uint8_t *body, size_t len, uint16_t ancount,
                     const uint8_t *pos, size_t plen);
/** Makes room for bytes of bodies in the unpublished entry m at once, its pages faulted in by
 * one system call instead of one fault every 4 KiB (a hint: nothing happens on failure). */
void xfrcache_reserve(struct xfrcache_msgs *m, size_t bytes);
/** Drops the messages of an unpublished entry after its first n. */
void xfrcache_truncate(struct xfrcache_msgs *m, size_t n);
/** Where message i starts (plen bytes), or NULL when some message was added without one. */
const uint8_t *xfrcache_pos(const struct xfrcache_msgs *m, size_t i, size_t *plen);

/** Publishes m, replacing the zone's entry; takes the recorder's reference. */
void xfrcache_publish(struct xfrcache *c, struct xfrcache_msgs *m);
void xfrcache_drop(struct xfrcache_msgs *m);

/** Bytes of bodies cached and entries, for the log. */
void xfrcache_stats(struct xfrcache *c, size_t *bytes, size_t *entries);
