/*
 * commitgen — the daemon's commit generation: a counter the registry thread bumps after each
 * commit and the DNS workers read before answering, so a change is visible to the next query
 * without each worker asking SQLite. One instance per daemon, owned by main and handed by
 * pointer to the registry and to every worker. Lock-free; safe from any thread.
 */
#pragma once

#include <stdatomic.h>
#include <stdint.h>

struct commitgen {
    _Atomic uint64_t n;
};

/** Announces a commit: release order, so the reader that sees it also sees the data. */
static inline void commitgen_bump(struct commitgen *g)
{
    atomic_fetch_add_explicit(&g->n, 1, memory_order_release);
}

/** The current generation; changes after each commit. */
static inline uint64_t commitgen_get(const struct commitgen *g)
{
    return atomic_load_explicit(&g->n, memory_order_acquire);
}
