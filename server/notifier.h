/*
 * notifier — lanad's outgoing NOTIFY (RFC 1996): one thread with its own event loop that
 * tells the secondaries of a zone that it changed. It reads every zone's SOA serial from its
 * own read-only connection (db/notifydb.h) whenever the commit generation moves (the
 * registry's commits wake it through an eventfd, at once) and every NOTIFIER_POLL_MS (for
 * commits by another process, lanad zone import), and compares with what it saw before: a
 * serial that moved sends a NOTIFY (opcode 4, AA, question ZONE SOA IN, the new SOA in the
 * answer section, RFC 1996 §3.7) over UDP to every target of the zone: lanad.conf's
 * also-notify plus the zone's own (lana zone notify). Each is sent again after
 * notifier_retry_ms() until a response with its ID, QR and opcode NOTIFY comes from the
 * target's address and port, at most NOTIFIER_TRIES times; a newer serial replaces the one
 * still in flight. Outcomes are logged (answered: info; given up: notice) and recorded in
 * server/secstate.h. Zones seen for the first time (at start, or new) are not announced.
 */
#pragma once

#include <stdint.h>

#include "common/err.h"
#include "server/commitgen.h"
#include "server/srvconf.h"

#define NOTIFIER_TRIES 5       /* sends of one NOTIFY before giving up */
#define NOTIFIER_FIRST_MS 250  /* the wait after the first send */
#define NOTIFIER_MAX_MS 2000   /* the longest wait */
#define NOTIFIER_POLL_MS 500   /* how often other processes' commits are looked for */

struct notifier;

/**
 * The wait, in ms, after the sent-th send (1 for the first) before sending again or, after
 * the NOTIFIER_TRIES-th, giving up: NOTIFIER_FIRST_MS doubled at each send, at most
 * NOTIFIER_MAX_MS (250, 500, 1000, 2000, 2000). Pure.
 */
uint64_t notifier_retry_ms(unsigned sent);

/**
 * Prepares the notifier on the main thread: parses also-notify (cfg->also_notify), opens its
 * database reader and UDP sockets, and reads the zones' serials as they are now. cfg and gen
 * are retained until notifier_free().
 * @return 0, LANA_EPARSE (a bad also-notify value), LANA_ENOMEM, LANA_EDB or -errno, with a
 * sentence in d.
 */
int notifier_new(const struct srvconf *cfg, struct commitgen *gen, struct notifier **out,
                 struct lana_diag *d);
/** Starts the thread. @return 0 or -errno. */
int notifier_start(struct notifier *n);
/** Stops the thread (pending NOTIFYs are dropped) and frees everything. NULL is a no-op. */
void notifier_free(struct notifier *n);
