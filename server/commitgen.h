/*
 * commitgen — the daemon's commit generation: a counter the registry thread bumps after each
 * commit and the DNS workers read before answering, so a change is visible to the next query
 * without each worker asking SQLite. One instance per daemon, owned by main and handed by
 * pointer to the registry and to every worker. Lock-free; safe from any thread.
 * A thread that sleeps in its loop between commits (the notifier) may also be woken by an
 * eventfd it hands over with commitgen_watch().
 */
#pragma once

#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

struct commitgen {
    _Atomic uint64_t n;
    _Atomic int wake; /* an eventfd + 1 written after each bump; 0: none */
};

/** Announces a commit: release order, so the reader that sees it also sees the data. */
static inline void commitgen_bump(struct commitgen *g)
{
    atomic_fetch_add_explicit(&g->n, 1, memory_order_release);
    int fd = atomic_load_explicit(&g->wake, memory_order_acquire) - 1;
    if (fd >= 0) {
        uint64_t one = 1;
        ssize_t w = write(fd, &one, sizeof one); /* a full counter wakes the reader as well */
        (void)w;
    }
}

/** Has each later bump write 1 to the eventfd fd (-1: stop); fd stays the caller's. */
static inline void commitgen_watch(struct commitgen *g, int fd)
{
    atomic_store_explicit(&g->wake, fd + 1, memory_order_release);
}

/** The current generation; changes after each commit. */
static inline uint64_t commitgen_get(const struct commitgen *g)
{
    return atomic_load_explicit(&g->n, memory_order_acquire);
}
