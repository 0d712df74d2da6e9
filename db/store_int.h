/*
 * store_int — what the modules of db/ share about a store. Included only by the .c files of db/, since it
 * names sqlite3 types.
 */
#pragma once

#include <sqlite3.h>

#include "db/store.h"

#define STORE_STMT_CACHE 48

struct store {
    sqlite3 *db;
    char *path;
    /* statements prepared once per connection, keyed by the address of their SQL text */
    struct {
        const char *sql;
        sqlite3_stmt *stmt;
    } cache[STORE_STMT_CACHE];
    unsigned ncache;
};

/**
 * The statement for sql (a string constant: its address is the key), prepared on first use
 * and reset and unbound on every call. LANA_EDB with the message in d on failure.
 */
int store__stmt(struct store *st, const char *sql, sqlite3_stmt **out, struct lana_diag *d);

/** Prepares sql on st's connection; LANA_EDB with the SQLite message in d on failure. */
int store__prepare(struct store *st, const char *sql, sqlite3_stmt **out, struct lana_diag *d);
/** LANA_EDB with "what: sqlite message" in d. */
int store__err(sqlite3 *db, struct lana_diag *d, const char *what);
/** Process-wide SQLite settings, once, before the first connection opens. */
void store__init_once(void);

/** Applies the connection settings every connection of ours uses. */
int store__configure(sqlite3 *db, bool writer, struct lana_diag *d);
