/*
 * xfrwarm — the transfer images built at start: once lanad answers, a thread of its own
 * builds the whole-zone transfer of every zone into the transfer cache (server/xfr.h), so
 * that the first AXFR after a start is sent from memory as the later ones are, where Knot and
 * NSD load their zones before they answer at all. Only when transfers can happen at all
 * (allow-transfer is set, or a TSIG key exists) and the cache is on.
 */
#pragma once

#include "server/srvconf.h"

struct xfrwarm;

/** Starts the thread (NULL when there is nothing to build or it cannot start; logged). */
struct xfrwarm *xfrwarm_start(const struct srvconf *cfg);

/** Stops it between two zones and waits for it; NULL is a no-op. */
void xfrwarm_stop(struct xfrwarm *w);
