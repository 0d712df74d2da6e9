/*
 * store — the SQLite database: opening, schema migrations, transactions.
 *
 * A store is one read-write connection (WAL, foreign keys, busy timeout, synchronous=FULL so
 * that a commit survives a crash). The modules of each table group (zoneio, zonedb, ...) take
 * a struct store *. Nothing of sqlite3 leaks from db/: callers see only this opaque type.
 * A store is not thread-safe; use one per thread.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

#define STORE_SCHEMA_VERSION 4

struct store;

/**
 * Opens (creating when missing) the database at path and brings its schema up to date.
 * *created tells whether the file was new (may be NULL).
 * @return 0 with *out set, or LANA_EDB / -errno with a message in d.
 */
int store_open(const char *path, struct store **out, bool *created, struct lana_diag *d);
void store_close(struct store *st);

/** BEGIN IMMEDIATE / COMMIT / ROLLBACK. Rollback is safe to call when no transaction is open. */
int store_begin(struct store *st, struct lana_diag *d);
int store_commit(struct store *st, struct lana_diag *d);
void store_rollback(struct store *st);

/**
 * A nested unit inside the current transaction (SAVEPOINT batch): store_batch_end keeps its
 * changes or undoes them all, leaving the outer transaction going either way.
 */
int store_batch_begin(struct store *st, struct lana_diag *d);
int store_batch_end(struct store *st, bool keep, struct lana_diag *d);
/** Whether a transaction is open on this connection. */
bool store_in_transaction(struct store *st);

/** The schema version found in the file (PRAGMA user_version). */
int store_schema_version(struct store *st);
