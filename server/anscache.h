/*
 * anscache — a per-worker cache of canonical responses (see answer.h), keyed by the lowercased
 * question name, type and class, bounded in bytes. Not thread-safe: each worker owns one (two,
 * in fact: see anscache_is_plain()). After a commit the worker drops the answers for the names
 * that changed, or everything, so a cached response is never older than the last check of the
 * database. When full, the oldest answers make room (first in, first out); emptying it costs
 * nothing per entry, so a commit never stalls the worker.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "server/answer.h"

struct anscache;

/** A cache holding at most `bytes` of answers (under 4096: a cache that keeps nothing), or
 * NULL when memory is short. Its index takes a quarter to a half more (anscache_bytes()). */
struct anscache *anscache_new(size_t bytes);
void anscache_free(struct anscache *c);
/** The memory it may use: the answers' bytes and its index (never fails). */
size_t anscache_bytes(const struct anscache *c);

/**
 * Admission (a doorkeeper, as in TinyLFU): while the cache has room every answer is kept;
 * once it is full, an answer is worth keeping only for a question asked before, recently
 * (a bitmap of questions seen, emptied each time an eighth of it is set). True: look the
 * question up and keep its answer. False: the question is new, now noted; answer it from the
 * database and keep nothing (a lookup would miss: on a zone of a million names most
 * questions are asked once, and their answers would only push the others out).
 */
bool anscache_admits(struct anscache *c, const struct dnsmsg_query *q);

/** Returns the cached response for the question (a->buf points into the cache, valid until
 * the next anscache_put), or false. */
bool anscache_get(struct anscache *c, const struct dnsmsg_query *q, struct answer *a);
/** Stores a copy of a canonical response, making room by dropping the oldest; one larger than
 * a quarter of the cache is not kept. */
void anscache_put(struct anscache *c, const struct dnsmsg_query *q, const struct answer *a);
void anscache_flush(struct anscache *c);
/** Drops every cached answer for this name (wire form, lowercase, len bytes); returns how many. */
size_t anscache_drop_name(struct anscache *c, const uint8_t *name, size_t len);
/** Answers it holds now: a walk over the whole index, for tests and reports. */
size_t anscache_count(const struct anscache *c);

/**
 * The cache policy: whether the canonical answer a to q depends only on the records of its
 * own name and type (NOERROR, authoritative, every answer record owned by the question name,
 * as a pointer to it, and of its type, nothing in the authority or additional sections).
 * Such answers survive a commit that does not touch their name; the others go at every
 * commit. False for anything malformed.
 */
bool anscache_is_plain(const struct dnsmsg_query *q, const struct answer *a);
