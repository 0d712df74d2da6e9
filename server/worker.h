/*
 * worker — one thread of lanad: an epoll loop over its own UDP and TCP sockets (opened with
 * SO_REUSEPORT so the kernel spreads clients over the workers), its own read-only database
 * reader and its own answer cache. Workers share nothing mutable; the main thread stops them
 * through an eventfd. dnsudp.c and dnstcp.c do the transport; worker_respond() turns one
 * query's bytes into response bytes.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "server/srvconf.h"

enum evkind { EV_UDP, EV_TCP_LISTEN, EV_TCP_CONN, EV_STOP };

/** First member of everything registered with epoll, so the event tells what it is. */
struct evsrc {
    enum evkind kind;
    int fd;
};

struct listener {
    struct evsrc ev;
    struct sockaddr_storage addr;
    socklen_t addrlen;
};

struct tcpconn; /* dnstcp.c */

struct worker_stats {
    uint64_t udp_queries, tcp_queries, tcp_accepted, tcp_closed_idle, tcp_closed_cap;
};

struct worker {
    unsigned id;
    pthread_t thread;
    int epfd;
    struct evsrc stop;       /* eventfd written by the main thread */
    struct listener *ls;
    unsigned nls;
    const struct srvconf *cfg;
    struct zonedb_reader *zr;
    struct anscache *cache;  /* answers that depend on their own name's records only */
    struct anscache *fcache; /* the others (negative, CNAME chains, referrals, additional) */
    int64_t change_seq;      /* the newest dnschange row this worker has acted on */
    uint8_t *ansbuf;         /* DNSMSG_MAX bytes for answer_build() */
    struct dnsudp *udp;      /* batch buffers */
    struct tcpconn *conn_head, *conn_tail; /* TCP connections, least recently active first */
    unsigned nconns, max_conns;
    struct worker_stats stats;
    uint64_t last_sync_us;   /* when the database was last checked for commits */
    uint64_t seen_gen;       /* worker_commit_gen when it was last checked */
};

/**
 * Prepares a worker: opens its database reader and cache and registers its listeners (whose
 * fds it takes over). Runs on the main thread, so errors surface before the daemon is ready.
 */
int worker_init(struct worker *w, unsigned id, const struct srvconf *cfg, const char *db_path,
                struct listener *ls, unsigned nls, struct lana_diag *d);
/** Starts the thread. */
int worker_start(struct worker *w);
/** Asks the thread to stop, joins it and frees everything. */
void worker_stop(struct worker *w);

/**
 * Answers one query message. limit is the transport's size limit (0 for UDP: the query's
 * EDNS size or 512 applies). Checks the database for committed changes first when sync is set.
 * @return the response length in out (DNSMSG_MAX bytes), or 0 to send nothing.
 */
size_t worker_respond(struct worker *w, const uint8_t *pkt, size_t len, bool tcp, uint8_t *out);

/**
 * Checks the database for committed changes and flushes the cache when there are some.
 * Checks at most once per millisecond: a commit by another process is seen by the queries
 * read at least 1 ms after it.
 */
void worker_sync(struct worker *w);

/* transports */
struct dnsudp *dnsudp_new(void);
void dnsudp_free(struct dnsudp *u);
void dnsudp_on_readable(struct worker *w, int fd);

void dnstcp_accept(struct worker *w, int lfd);
void dnstcp_on_event(struct worker *w, struct evsrc *ev, uint32_t events);
/** Closes connections idle longer than the timeout; now in milliseconds (CLOCK_MONOTONIC). */
void dnstcp_sweep(struct worker *w, uint64_t now_ms);
void dnstcp_close_all(struct worker *w);

/** Bumped by the registry thread after each commit: the workers look at their database
 * before the next query they answer. */
extern _Atomic uint64_t worker_commit_gen;
