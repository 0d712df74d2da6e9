/*
 * whois — lanad's port-43 whois service (RFC 3912), `listen-whois`: one thread with its own
 * event loop (common/ev) and read-only database connection. A connection carries one query
 * line (CRLF or LF; a line cut by the client's half-close counts too); the answer
 * (server/rpsl.h) is written and the connection closed. This file is the transport only.
 *
 * Bounds (server/regguard.h does the bookkeeping): a cap on open connections in all and per
 * client address, where a new connection pushes out the oldest one that has not sent its
 * query yet; whois-timeout seconds from accept to the end of the answer; a query line of at
 * most RPSL_LINE_MAX bytes; whois-rate queries per second per client address (a token
 * bucket), beyond which the answer is an %ERROR line. Nothing a client does holds up another.
 */
#pragma once

#include "common/err.h"
#include "server/srvconf.h"

struct whois;

/**
 * Starts the whois thread on the given listening sockets (it takes them over, also on
 * failure). 0 with *out, or a LANA_E code with d.
 */
int whois_start(const struct srvconf *cfg, const int *fds, unsigned nfds, struct whois **out,
                struct lana_diag *d);

/** Stops the thread, closes every connection and listener; NULL is a no-op. */
void whois_stop(struct whois *w);
