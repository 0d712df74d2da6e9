/*
 * check_int — what the two files of the check module share: the state of one run and the
 * helpers that report findings and query errors. Included only by db/check*.c (it names
 * sqlite3 types).
 */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>

#include "db/check.h"

struct ctx {
    sqlite3 *db;
    check_cb *cb;
    void *arg;
    struct check_stats st;
    bool stop;          /* the callback asked to stop */
    struct lana_diag *d;
    struct lana_diag m; /* the message of the finding being reported */
    /* point queries of the name passes, prepared once (finalized by check_run) */
    sqlite3_stmt *zone_by_apex, *rrset, *rr_has, *block_exact, *host_by_name;
};

/** Reports the finding whose message is in c->m (nothing once the callback said stop). */
void check__emit(struct ctx *c, enum check_code code, const char *object);

/* A finding with a printf-style message, as one statement. */
#define FIND(c, code, object, ...)                                                              \
    (diag_set(&(c)->m, 0, __VA_ARGS__), check__emit((c), (code), (object)))

/** LANA_EDB (LANA_EIO for an I/O error) with "what: sqlite message" in c->d. */
int check__db_err(struct ctx *c, const char *what);
/** Prepares sql; 0, or check__db_err's code. */
int check__prep(struct ctx *c, const char *sql, sqlite3_stmt **s);
/** Finalizes s after a row loop whose last step was step (ROW: stopped early): 0 or error. */
int check__ended(struct ctx *c, sqlite3_stmt *s, int step);

/** The passes over zones, records and hosts (check_names.c): 0 or a LANA_E* code. */
int check__names(struct ctx *c);
