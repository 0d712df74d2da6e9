/*
 * store — the SQLite database: opening, schema migrations, transactions.
 *
 * A store is one read-write connection (WAL, foreign keys, busy timeout, synchronous=FULL so
 * that a commit survives a crash). The modules of each table group (zoneio, zonedb, ...) take
 * a struct store *. Nothing of sqlite3 leaks from db/: callers see only this opaque type.
 * A store is not thread-safe; use one per thread.
 *
 * Every call below that runs SQL returns LANA_EFULL instead of LANA_EDB when the disk holding
 * the database is full (SQLITE_FULL, or an I/O error with ENOSPC), in a statement or at the
 * commit: the statement (or the transaction) did not happen, and it may succeed once space
 * is back. The modules of db/ pass it on unchanged.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

#define STORE_SCHEMA_VERSION 8

struct store;

/**
 * Opens (creating when missing) the database at path and brings its schema up to date, and
 * prepares the statements of the transaction machinery (so that an undo never needs a new
 * one). *created tells whether the file was new (may be NULL). Blocks on file I/O.
 * @return 0 with *out set; LANA_ENOMEM; LANA_EDB with a message in d (cannot open, newer
 *         schema, migration failed). *out is NULL on failure.
 */
int store_open(const char *path, struct store **out, bool *created, struct lana_diag *d);
/**
 * Opens a read-only connection on the database at path, which must exist with an up-to-date
 * schema (a writer opened it first). In WAL mode each of its reads sees the last commit, and
 * never waits for the writer. Blocks on file I/O.
 * @return 0 with *out set; LANA_ENOMEM; LANA_EDB with a message in d. *out is NULL on failure.
 */
int store_open_reader(const char *path, struct store **out, struct lana_diag *d);
/**
 * Ends the read snapshot any statement of st was left holding (a query stopped at a row), so
 * that st's next read sees the last commit and the WAL can be checkpointed. Call it on a
 * reader after each request. Never fails.
 */
void store_read_done(struct store *st);
/**
 * Opens a read transaction on a reader (BEGIN, deferred), so that every statement until
 * store_read_end sees one snapshot and the file locks are taken once for all of them instead
 * of once per statement (a whois query runs several). No-op (and store_read_end then too)
 * when a transaction is open already. 0, or LANA_EDB with the message in d.
 */
int store_read_begin(struct store *st, struct lana_diag *d);
/** store_read_done, and the end of the transaction store_read_begin opened. Never fails. */
void store_read_end(struct store *st);
/** Closes the connection (an open transaction is rolled back). NULL is a no-op. */
void store_close(struct store *st);

/**
 * BEGIN IMMEDIATE: opens the write transaction of a turn. Clears a previous abort mark.
 * @return 0, or LANA_EDB (busy, or a transaction is already open) with the message in d.
 */
int store_begin(struct store *st, struct lana_diag *d);
/**
 * COMMIT. When the turn was aborted (store_turn_aborted), nothing is committed: the whole
 * transaction is rolled back and LANA_EDB is returned with "the turn was aborted" in d, so
 * the database is exactly as it was at store_begin. A failed COMMIT is rolled back too.
 * @return 0, or LANA_EDB / LANA_EFULL with the message in d; either way no transaction is
 *         open after.
 */
int store_commit(struct store *st, struct lana_diag *d);
/** ROLLBACK of the whole transaction; safe when none is open. Clears the abort mark. */
void store_rollback(struct store *st);

/**
 * Savepoints: the one way db/ makes a change all-or-nothing. store_sp_begin opens a nested
 * unit (SAVEPOINT; inside the caller's transaction, or its own when none is open);
 * store_sp_end(st, rc, d) closes it: with rc == 0 it keeps the changes (RELEASE), with
 * rc != 0 it undoes them (ROLLBACK TO + RELEASE). Units nest freely.
 *
 * If the undo itself fails, the change cannot be taken back piece by piece: the store marks
 * the turn aborted (store_turn_aborted), every later store_sp_begin fails with LANA_EDB, and
 * store_commit rolls the whole transaction back. A unit that opened the transaction itself
 * rolls it back at once instead.
 *
 * store_sp_begin: 0; LANA_EDB when the turn is aborted or SAVEPOINT fails (message in d).
 * store_sp_end: rc when rc != 0 (d keeps the caller's message; an undo failure is appended);
 * else 0, or LANA_EDB when RELEASE failed (the unit is then undone as above).
 */
int store_sp_begin(struct store *st, struct lana_diag *d);
int store_sp_end(struct store *st, int rc, struct lana_diag *d);

/**
 * Whether an undo failed in the open transaction: the turn's changes cannot be trusted, and
 * the caller must answer every command of the turn with an error; store_commit will roll it
 * all back. Cleared by store_begin, store_commit and store_rollback.
 */
bool store_turn_aborted(const struct store *st);

/**
 * A batch: a unit (a savepoint, as store_sp_begin) that store_batch_end keeps (keep true) or
 * undoes whole (keep false), leaving the outer transaction going either way.
 * store_batch_begin: as store_sp_begin. store_batch_end: 0, or LANA_EDB when the release or
 * the undo failed (an undo failure aborts the turn, see above).
 */
int store_batch_begin(struct store *st, struct lana_diag *d);
int store_batch_end(struct store *st, bool keep, struct lana_diag *d);
/** Whether a transaction is open on this connection. */
bool store_in_transaction(struct store *st);

/** The schema version found in the file (PRAGMA user_version), or -1 when unreadable. */
int store_schema_version(struct store *st);
