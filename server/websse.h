/*
 * websse — the web view's live feed: /api/events, a Server-Sent Events stream (the WHATWG
 * HTML "server-sent events" format) of the registry's changes as the audit log records them,
 * whichever process made them. One watcher thread follows the log (a read-only connection of
 * its own, polled every WEBSSE_POLL_MS) and keeps the last WEBSSE_RING public events; each
 * stream is a libmicrohttpd response whose reader suspends its connection when it has nothing
 * to send, and the watcher resumes it when it has; a burst of changes (a batch) goes out as
 * one event with their number. Only what the registry publishes anyway
 * goes out: the action, the object, the time and the public fields of the block, host or
 * zone (never an account's or a key's change, never a token). Each event carries the audit
 * id as its SSE id, so a browser reconnecting with Last-Event-ID resumes where it stopped.
 */
#pragma once

#include <stdint.h>

#include "common/err.h"
#include "server/http.h"

#define WEBSSE_POLL_MS 50         /* how often the watcher looks at the audit log */
#define WEBSSE_RING 256           /* public events kept for reconnecting browsers */
#define WEBSSE_BACKLOG 20         /* events a new stream (no Last-Event-ID) starts with */
#define WEBSSE_KEEPALIVE_MS 15000 /* a comment line on idle streams, so dead peers are found */
#define WEBSSE_RETRY_MS 2000      /* the reconnection delay the browser is told (`retry:`) */
#define WEBSSE_CLIENT_BUF (256u << 10) /* bytes queued for one slow stream before it is ended */
#define WEBSSE_PASS_MAX 5000 /* audit entries taken in one look */
#define WEBSSE_BURST 50      /* more changes than this in one look go out as one `burst` */

struct websse;

/**
 * Opens a read-only connection on the database at db and starts the watcher thread, from
 * the current end of the log (with the last WEBSSE_RING public events as history).
 * max_clients bounds the streams open at once (one more is answered 503); per_address those
 * of one client address (IPv4, or IPv6 /64): a newer one ends the oldest. 0 with *out, or
 * LANA_EDB / LANA_ENOMEM / a thread error with d.
 */
int websse_open(const char *db, unsigned max_clients, unsigned per_address, struct websse **out,
                struct lana_diag *d);

/**
 * Ends every stream (their connections are resumed, and their readers end the body) and
 * refuses new ones with 503. Call it before the HTTP daemon stops: libmicrohttpd must not be
 * stopped while a connection is suspended. Idempotent; thread-safe; NULL is a no-op.
 */
void websse_stop(struct websse *s);

/**
 * Stops the watcher and frees everything. Only after the HTTP daemon has stopped (no reader
 * or free callback of a stream can run any more). NULL is a no-op.
 */
void websse_close(struct websse *s);

/** Answers GET/HEAD /api/events: the stream, or 503 when at the cap or stopping. */
enum MHD_Result websse_answer(struct websse *s, const struct http_req *r);

/** Streams open now (for tests and the log). Thread-safe. */
unsigned websse_clients(struct websse *s);
