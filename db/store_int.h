/*
 * store_int — what the modules of db/ share about a store. Included only by the .c files of
 * db/ (and by test helpers that dump a database), since it names sqlite3 types.
 *
 * Statements: the ones of the transaction machinery (BEGIN, COMMIT, ROLLBACK and the savepoint
 * trio) are prepared when the connection opens, so that undoing a change never needs a new
 * statement; every other statement of db/ is prepared on first use and kept in a cache that
 * grows as needed, so it can never be full.
 */
#pragma once

#include <sqlite3.h>

#include "db/store.h"

/* the statements prepared at open, by index into struct store.tx */
enum store_tx {
    STORE_TX_BEGIN,    /* BEGIN IMMEDIATE */
    STORE_TX_COMMIT,   /* COMMIT */
    STORE_TX_ROLLBACK, /* ROLLBACK */
    STORE_TX_SP,       /* SAVEPOINT sp */
    STORE_TX_RELEASE,  /* RELEASE sp */
    STORE_TX_UNDO,     /* ROLLBACK TO sp */
    STORE_TX_N
};

struct store_cached {
    const char *sql; /* the key: the address of a string constant */
    sqlite3_stmt *stmt;
};

struct store {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *tx[STORE_TX_N];
    struct store_cached *cache; /* grows by doubling; never full */
    unsigned ncache, cache_cap;
    unsigned sp_depth;    /* savepoints open through store_sp_begin / store_batch_begin */
    unsigned sp_own;      /* depth of the savepoint that opened the transaction (0: none) */
    bool aborted;         /* an undo failed: the open transaction must be rolled back whole */
    const struct authz_who *who; /* whose writes these are (db/authz.h); NULL: lanad's own */
    bool read_tx; /* a read transaction of store_read_begin is open */
    /* db/journal.c: the newest version at the last trim of the journal (0: none yet) and the
     * seals since */
    int64_t journal_trimmed;
    unsigned journal_seals;
    void *node_scratch; /* db/node.c: what a rewrite of buckets works in, kept for the next */
};

/**
 * The statement for sql (a string constant: its address is the key), prepared on first use
 * and reset and unbound on every call. LANA_EDB (prepare failed) or LANA_ENOMEM with the
 * message in d; the cache itself never runs out.
 */
int store__stmt(struct store *st, const char *sql, sqlite3_stmt **out, struct lana_diag *d);
/**
 * store__stmt for a walk whose callback may start the same walk again (a tree read
 * recursively): the cached statement, unless an outer walk is stepping it, then one prepared
 * for this walk alone. End it with store__stmt_end(*out, *own).
 */
int store__stmt_walk(struct store *st, const char *sql, sqlite3_stmt **out, bool *own,
                     struct lana_diag *d);
/** Resets a statement of store__stmt_walk, or finalizes it when it was its walk's own. */
void store__stmt_end(sqlite3_stmt *s, bool own);

/** Prepares sql on st's connection; LANA_EDB with the SQLite message in d on failure. */
int store__prepare(struct store *st, const char *sql, sqlite3_stmt **out, struct lana_diag *d);
/** LANA_EDB (LANA_EFULL when the disk is full) with "what: sqlite message" in d. */
int store__err(sqlite3 *db, struct lana_diag *d, const char *what);
/**
 * Steps s once, expecting it to finish (an INSERT, UPDATE, DELETE or statement of the
 * transaction machinery), and resets it. 0, or LANA_EDB with "what: message" in d.
 */
int store__done(struct store *st, sqlite3_stmt *s, const char *what, struct lana_diag *d);
/**
 * Steps s once for a query: 1 with a row ready to read, 0 when there is none (s is then
 * reset), LANA_EDB with "what: message" in d on an error (s reset). Never takes an error for
 * "no row".
 */
int store__row(struct store *st, sqlite3_stmt *s, const char *what, struct lana_diag *d);
/** Process-wide SQLite settings, once, before the first connection opens. */
void store__init_once(void);

/** The name of the file layer (VFS) for read-only connections that keep their mapping of
 * the database across commits (db/readvfs.c), or NULL (SQLite's default then). */
const char *store__read_vfs(void);
/** How many whole-file unmaps that layer has let through, in all (for tests). */
unsigned long store__read_vfs_unmaps(void);

/** Applies the connection settings every connection of ours uses. */
int store__configure(sqlite3 *db, bool writer, struct lana_diag *d);
