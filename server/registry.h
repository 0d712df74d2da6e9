/*
 * registry — lanad's registry protocol service, as main.c starts and stops it; implemented by
 * server/regsrv.c (listeners, loop, turn and commit, bootstrap) and server/regconn.c (one
 * connection: handshake, framing, output), with requests run through the command table
 * (server/cmd.h). One thread with its own event loop (common/ev) over the registry listeners
 * and connections, and the daemon's only writing database connection, so every change is
 * serialized through it (two clients can never receive the same block).
 *
 * Each loop turn runs the complete request lines of every ready connection; the changes of
 * one turn share one transaction (each command inside its own savepoint, so a failing command
 * undoes only itself), which is committed before any reply of that turn is sent: a client
 * never hears "ok" for something that is not on disk, and many clients' commits cost one
 * fsync. A batch (lines between "batch" and "end") runs as one unit on a transaction of its
 * own, in slices across loop passes, while handshakes and reads (from a read-only connection)
 * go on and other writers wait their turn (server/regbatch.c).
 *
 * Connections start with the HELLO/WELCOME/ACK handshake (common/regproto.h); without a
 * valid proof they may only run the table's read rows. Lines are bounded (REGPROTO_LINE_MAX),
 * idle connections are closed, and beyond the cap new connections get a "busy" reply.
 */
#pragma once

#include "common/err.h"
#include "server/commitgen.h"
#include "server/srvconf.h"

struct registry;

/**
 * First start: creates the admin account and its token file when the database has none, and
 * the configured root pools when the registry has no pool. Runs before the threads start.
 */
int registry_bootstrap(const struct srvconf *cfg, struct lana_diag *d);

/**
 * For a database without an admin account (or none yet): LANA_ECONFLICT, with what to do in
 * d, when the token file exists already (lanad did not write it for this database); else 0
 * (LANA_ENOMEM when out of memory). registry_bootstrap() checks it too; main.c asks before it
 * creates a new database, so that a refused start leaves nothing behind.
 */
int registry_token_unexpected(const struct srvconf *cfg, struct lana_diag *d);

/**
 * Starts the registry thread on the given listening sockets (it takes them over). Every commit
 * bumps gen (retained until registry_stop), which tells the DNS workers to look for changes.
 */
int registry_start(const struct srvconf *cfg, struct commitgen *gen, const int *fds,
                   unsigned nfds, struct registry **out, struct lana_diag *d);

/** Stops the thread (the current turn completes and commits), closes everything. */
void registry_stop(struct registry *r);
