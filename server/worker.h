/*
 * worker — one DNS thread of lanad: an event loop (common/ev.h) over its own UDP and TCP
 * sockets (opened with SO_REUSEPORT so the kernel spreads clients over the workers), its own
 * read-only database reader and its own answer caches. The transports (dnsudp, dnstcp) do the
 * I/O and ask the worker for each answer; the worker keeps its caches in step with the
 * commits it learns of through the daemon's commit generation. Workers share nothing mutable.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "server/commitgen.h"
#include "server/srvconf.h"

struct worker;

struct worker_listen {
    int fd;   /* bound; listening when tcp */
    bool tcp;
};

struct worker_stats {
    uint64_t udp_queries, tcp_queries;
    uint64_t tcp_accepted, tcp_closed_idle, tcp_closed_cap, tcp_paused;
    uint64_t cache_bytes;   /* memory its answer caches may use, index included */
    uint64_t cache_answers; /* answers they hold (a walk over the index: not on a hot path) */
    uint64_t cache_hits;    /* queries answered from them */
};

/**
 * Prepares a worker on the main thread, so errors surface before the daemon is ready: opens
 * its database reader (cfg->db), caches and loop, and takes over the sockets in ls (closed by
 * worker_free(), or at once on failure). cfg and gen are retained.
 * @return 0, LANA_ENOMEM, LANA_EDB or -errno, with a sentence in d.
 */
int worker_new(unsigned id, const struct srvconf *cfg, struct commitgen *gen,
               const struct worker_listen *ls, unsigned nls, struct worker **out,
               struct lana_diag *d);
/** Starts the thread. @return 0 or -errno. */
int worker_start(struct worker *w);
/**
 * Asks the thread to stop and joins it (no-op if it was not started).
 * @return 0, or the -errno with which the worker's loop failed. A failing loop also sends
 * SIGTERM to the process, so the daemon stops rather than leave a share of the clients
 * without answers.
 */
int worker_stop(struct worker *w);
/** The worker's counters; exact once the thread is stopped. */
void worker_stats(const struct worker *w, struct worker_stats *out);
/** The memory its answer caches may use, index included; fixed at creation, so safe to read
 * while the worker runs (never fails). */
size_t worker_cache_bytes(const struct worker *w);
/** Closes every socket and frees everything; the thread must be stopped. NULL is a no-op. */
void worker_free(struct worker *w);

