/*
 * dnstcp — DNS over TCP (RFC 7766) for one worker loop: length-prefixed messages, pipelined
 * queries answered in order, bounded input and output per connection (reading pauses while a
 * client leaves more than tcp-max-buffer bytes unread), an idle timeout and a connection cap
 * (tcp-max-connections / workers; at the cap the least recently active connection makes room,
 * RFC 7766 §6.2.3). Transport only: every answer comes from the respond callback, which may
 * hand over a stream of further messages (a zone transfer): they are pulled one at a time
 * while the unsent output stays under tcp-max-buffer, the queries after it wait until its
 * last message, and a connection making progress is not idle. Owns its
 * listeners, connections and counters; not thread-safe (one per loop). A connection closed
 * during a dispatch pass is freed after it (common/ev.h), so no event reaches freed memory.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/ev.h"
#include "server/srvconf.h"

struct dnstcp;
struct sockaddr;

/**
 * Writes the next message of a stream into out (DNSMSG_MAX bytes).
 * @return its length (> 0), 0 when the stream has ended, or < 0 when it failed: the
 * connection is then closed, since the client could not tell a cut stream from a whole one.
 */
typedef long dnstcp_next_cb(void *stream, uint8_t *out);
/** Frees a stream, ended or not (the connection closed); called once, in the loop's thread. */
typedef void dnstcp_stream_free_cb(void *stream);

/** Messages that follow a response on its connection; next NULL for none. */
struct dnstcp_more {
    void *stream;
    dnstcp_next_cb *next;
    dnstcp_stream_free_cb *free;
};

/**
 * Answers one query of len bytes from peer into out (DNSMSG_MAX bytes). sync is set for the
 * first query answered after a read from a connection: check for committed changes first.
 * more is zeroed; set it to send a stream of messages after this response.
 * @return the response length, or 0 to send nothing (and no stream).
 */
typedef size_t dnstcp_respond_cb(void *ctx, const uint8_t *query, size_t len, bool sync,
                                 const struct sockaddr *peer, uint8_t *out,
                                 struct dnstcp_more *more);

struct dnstcp_stats {
    uint64_t queries, accepted;
    uint64_t closed_idle, closed_cap; /* closed by the idle sweep, by the connection cap */
    uint64_t paused;                  /* times reading stopped: output over tcp-max-buffer */
    uint64_t streams;                 /* streams handed over (zone transfers) */
};

/**
 * Creates the transport on loop and its once-a-second idle sweep (a loop timer). cfg,
 * respond and ctx are retained. @return 0 or LANA_ENOMEM.
 */
int dnstcp_new(struct ev_loop *loop, const struct srvconf *cfg, dnstcp_respond_cb *respond,
               void *ctx, struct dnstcp **out);

/** Accepts on a listening TCP socket, which it takes over (closed by dnstcp_free(), or at
 * once when this fails). @return 0, LANA_ENOMEM or -errno. */
int dnstcp_listen(struct dnstcp *t, int fd);

const struct dnstcp_stats *dnstcp_stats(const struct dnstcp *t);
/** Open connections. */
unsigned dnstcp_count(const struct dnstcp *t);

/** Closes every connection and listener and frees everything; call outside ev_run().
 * NULL is a no-op. */
void dnstcp_free(struct dnstcp *t);
