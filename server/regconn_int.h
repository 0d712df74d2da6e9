/*
 * regconn_int — what server/regconn.c and server/regbatch.c share about a connection and
 * nobody else uses: queueing a reply, running one request line, the turn's transaction and
 * the batch queue. Not a public interface; see server/regconn.h for the contract.
 */
#pragma once

#include "server/regconn.h"

#define REGBATCH_SLICE 512 /* at most this many lines of a batch per loop pass */
#define BATCH_MAX_LINES 1000000
#define BATCH_MAX_BYTES (64u << 20)

/* Queues the reply in env->reply as one line; a connection whose reply cannot be queued is
 * closed. */
void regconn__reply(struct regconn *c);

/* Queues prefix, json and a newline. */
void regconn__line(struct regconn *c, const char *prefix, const char *json);

/* Runs one request line (split in place when in_batch, else a copy of it). Queues the reply
 * and returns its code; REGCONN__PARKED when the line is a write that must wait for the batch
 * (nothing queued but a PROGRESS line; the line is left as it was). */
#define REGCONN__PARKED ((enum regproto_code)RP_NCODES)
enum regproto_code regconn__run_line(struct regconn *c, char *line, bool in_batch);

/* Opens the turn's transaction before the first change and marks c `wrote`. false when it
 * could not (the error is answered). */
bool regconn__ensure_tx(struct regconn *c);

/* The reply in env->reply has code "full": logs it, says REGCONN_MSG_FULL instead, and
 * remembers for the turn that the disk was full. */
void regconn__full(struct regconn *c);

/* Whether a write of c must wait: another connection's batch holds the writer. */
bool regconn__must_wait(const struct regconn *c);

/* Parks c (its write waits for the batch): into env's queue, a PROGRESS line at once. */
void regconn__park(struct regconn *c);

/* Appends c to env's queue. */
void regconn__enqueue(struct regconn *c);

/* Frees the lines of a batch or import. */
void regconn__batch_clear(struct regconn *c);

/* A line between "batch" and "end" or "zone import" and ".": collected, or the end of the
 * frame. false when the line must wait (the import's "." while a batch runs): left as is. */
bool regbatch__line(struct regconn *c, char *line);
