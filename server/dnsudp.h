/*
 * dnsudp — DNS over UDP for one worker loop: reads datagrams in batches with recvmmsg(2) and
 * answers each batch with one sendmmsg(2). Transport only: every answer comes from the respond
 * callback. Owns its sockets, its batch buffers and its counter; not thread-safe (one per
 * loop). No allocation or syscall per datagram beyond the batch calls.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/ev.h"

struct sockaddr;

struct dnsudp;
struct sockaddr;

/**
 * Answers one query of len bytes from peer into out (DNSMSG_MAX bytes). sync is set for the
 * first query of a batch read from a socket: the answerer checks its data for committed
 * changes first, so an answer is never older than the last commit before its batch was read.
 * @return the response length, or 0 to send nothing.
 */
typedef size_t dnsudp_respond_cb(void *ctx, const uint8_t *query, size_t len, bool sync,
                                 const struct sockaddr *peer, uint8_t *out);

struct dnsudp_stats {
    uint64_t queries; /* datagrams read */
};

/** Creates the transport on loop; respond and ctx are retained. @return 0 or LANA_ENOMEM. */
int dnsudp_new(struct ev_loop *loop, dnsudp_respond_cb *respond, void *ctx, struct dnsudp **out);

/** Serves a bound UDP socket, which it takes over (closed by dnsudp_free(), or at once when
 * this fails). @return 0, LANA_ENOMEM or -errno. */
int dnsudp_listen(struct dnsudp *u, int fd);

const struct dnsudp_stats *dnsudp_stats(const struct dnsudp *u);

/** Closes the sockets and frees everything; call outside ev_run(). NULL is a no-op. */
void dnsudp_free(struct dnsudp *u);
