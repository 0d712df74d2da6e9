/*
 * check_int — what the two files of the check module share: the state of one run and the
 * helpers that report findings and query errors. Included only by db/check*.c, which include
 * <sqlite3.h> themselves: SQLite's types are only named here.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "db/check.h"

struct sqlite3;
struct sqlite3_stmt;

struct ctx {
    struct sqlite3 *db;
    check_cb *cb;
    void *arg;
    struct check_stats st;
    bool stop; /* the callback asked to stop */
    struct lana_diag *d;
    struct lana_diag m; /* the message of the finding being reported */
    /* point queries of the name passes, prepared once (finalized by check_run) */
    struct sqlite3_stmt *zone_by_apex, *rrset, *rr_has, *block_exact, *host_by_name, *rr_of_name,
        *node_params;
};

/** Reports the finding whose message is in c->m (nothing once the callback said stop). */
void check__emit(struct ctx *c, enum check_code code, const char *object);

/* A finding with a printf-style message, as one statement. */
#define FIND(c, code, object, ...)                                                                 \
    (diag_set(&(c)->m, 0, __VA_ARGS__), check__emit((c), (code), (object)))

/** LANA_EDB (LANA_EIO for an I/O error) with "what: sqlite message" in c->d. */
int check__db_err(struct ctx *c, const char *what);
/** Prepares sql; 0, or check__db_err's code. */
int check__prep(struct ctx *c, const char *sql, struct sqlite3_stmt **s);
/** Finalizes s after a row loop whose last step was step (ROW: stopped early): 0 or error. */
int check__ended(struct ctx *c, struct sqlite3_stmt *s, int step);

/** One row of a pass's query, in s: 0 to go on; anything else ends the pass with that code. */
typedef int check_row_fn(struct ctx *c, struct sqlite3_stmt *s, void *arg);
/**
 * Runs sql and row(c, s, arg) on each of its rows, until the rows end, row returns nonzero or
 * the callback said stop: 0, row's code, or check__db_err's code (LANA_EDB, LANA_EIO).
 */
int check__rows(struct ctx *c, const char *sql, check_row_fn *row, void *arg);

/** printf into buf; a text too long for it ends in "..." (never cut silently). */
void check__fmt(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** The passes over zones, records and hosts (check_names.c): 0 or a LANA_E* code. */
int check__names(struct ctx *c);
