/*
 * anscache — a per-worker cache of canonical responses (see answer.h), keyed by the lowercased
 * question name, type and class. Not thread-safe: each worker owns one (two, in fact: see
 * anscache_is_plain()). After a commit the worker drops the answers for the names that changed, or
 * everything, so a cached response is never older than the last check of the database. Bounded by a number of entries; when full, it is
 * emptied (a cheap policy that keeps the hot path free of bookkeeping).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "server/answer.h"

struct anscache;

struct anscache *anscache_new(size_t max_entries);
void anscache_free(struct anscache *c);

/** Returns the cached response for the question (a->buf points into the cache), or false. */
bool anscache_get(struct anscache *c, const struct dnsmsg_query *q, struct answer *a);
/** Stores a copy of a canonical response; silently skipped when memory is short. */
void anscache_put(struct anscache *c, const struct dnsmsg_query *q, const struct answer *a);
void anscache_flush(struct anscache *c);
/** Drops every cached answer for this name (wire form, lowercase, len bytes); returns how many. */
size_t anscache_drop_name(struct anscache *c, const uint8_t *name, size_t len);
size_t anscache_count(const struct anscache *c);

/**
 * The cache policy: whether the canonical answer a to q depends only on the records of its
 * own name and type (NOERROR, authoritative, every answer record owned by the question name,
 * as a pointer to it, and of its type, nothing in the authority or additional sections).
 * Such answers survive a commit that does not touch their name; the others go at every
 * commit. False for anything malformed.
 */
bool anscache_is_plain(const struct dnsmsg_query *q, const struct answer *a);
