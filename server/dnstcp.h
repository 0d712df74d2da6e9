/*
 * dnstcp — DNS over TCP (RFC 7766) for one worker loop: length-prefixed messages, pipelined
 * queries answered in order, bounded input and output per connection (reading pauses while a
 * client leaves more than tcp-max-buffer bytes unread), an idle timeout and a connection cap
 * (tcp-max-connections / workers; at the cap the least recently active connection makes room,
 * RFC 7766 §6.2.3). Transport only: every answer comes from the respond callback, which may
 * hand over a stream of further messages (a zone transfer): they are pulled one at a time
 * while the unsent output stays under tcp-max-buffer (or, from a stream that shows them in
 * place, up to tcp-max-buffer bytes of them go to the socket in one sendmsg, uncopied; only
 * the rest of a message the socket took part of is kept), the queries after it wait until
 * its last message, and a connection making progress is not idle. Owns its
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
struct iovec;
struct sockaddr;

/**
 * Writes the next message of a stream into out (DNSMSG_MAX bytes).
 * @return its length (> 0), 0 when the stream has ended, or < 0 when it failed: the
 * connection is then closed, since the client could not tell a cut stream from a whole one.
 */
typedef long dnstcp_next_cb(void *stream, uint8_t *out);
/** Frees a stream, ended or not (the connection closed); called once, in the loop's thread. */
typedef void dnstcp_stream_free_cb(void *stream);

/** Pieces of one message at most, for dnstcp_peek_cb; bytes a head piece may take. */
#define DNSTCP_PIECES 4
#define DNSTCP_HEAD_MAX 288

/**
 * Optional, for a stream whose messages lie ready in memory that stays put until it is freed
 * (a cached zone transfer): message k after the next one (k = 0: the next), without taking
 * it, as pieces sent by one sendmsg() with the messages around it instead of copies: iov[0]
 * is the bytes the callback writes into head (DNSTCP_HEAD_MAX bytes, its own for this k),
 * the others point into the stream's memory. The length prefix is dnstcp's; the pieces make
 * at most 65535 bytes.
 * @return the pieces filled (1 to DNSTCP_PIECES), or 0 for none: the end of the stream, or a
 * message that only next() gives (dnstcp calls next() then).
 */
typedef unsigned dnstcp_peek_cb(void *stream, size_t k, uint8_t *head, struct iovec *iov);
/** The first n messages peek gave are taken (sent, or their rest in the output buffer). */
typedef void dnstcp_skip_cb(void *stream, size_t n);

/** Messages that follow a response on its connection; next NULL for none. peek and skip
 * are optional (both or neither): with them the stream's messages go out without a copy. */
struct dnstcp_more {
    void *stream;
    dnstcp_next_cb *next;
    dnstcp_stream_free_cb *free;
    dnstcp_peek_cb *peek;
    dnstcp_skip_cb *skip;
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
