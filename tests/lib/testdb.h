/*
 * testdb — test helper: a temporary directory and a database file in it, imported from a
 * zone text, removed again by testdb_cleanup().
 */
#pragma once

#include <stdint.h>

struct testdb {
    char dir[256];
    char path[300];
};

/** Makes a temp dir with an empty database path in it; returns 0 or -1. */
int testdb_make(struct testdb *t);
/** Imports zone text into the database; returns the import's code (0 on success). */
int testdb_import(struct testdb *t, const char *zone_text);
/** Removes the database, its WAL files and the directory. */
void testdb_cleanup(struct testdb *t);
/** cmocka teardown of a calloc'd struct testdb in *state: testdb_cleanup, then free. */
int testdb_teardown(void **state);
/** Path of a file under tests/data (the source tree's). */
const char *testdb_data(const char *name);

struct store;
/**
 * The whole content of the database as text, through st's own connection (so that an open
 * transaction's changes show): every table by name, every row ordered by all its columns,
 * values typed (NULL, integers, 'text', x'blob'). Two dumps are equal exactly when the
 * contents are. Returns a string to free(), or NULL on failure.
 */
char *testdb_dump(struct store *st);

struct ipam;
struct names;
/* A registry for the tests of the DNS side: pools 198.18.0.0/15 and 2001:db8::/32 with
 * their reverse zones 198.in-addr.arpa. and 8.b.d.0.1.0.0.2.ip6.arpa. */
struct testdb_names {
    struct testdb t;
    struct store *st;
    struct ipam *ip;
    struct names *nm;
};
/** Store, ipam and names over an empty database in a temp dir; 0 with *out, or -1. */
int testdb_names_open_empty(struct testdb_names **out);
/** Makes the registry above in a temp dir; 0 with *out, or -1. */
int testdb_names_open(struct testdb_names **out);
/** Closes and removes it; NULL is a no-op. */
void testdb_names_close(struct testdb_names *f);
/** cmocka group or test fixtures: testdb_names_open into *state, testdb_names_close of it. */
int testdb_names_setup(void **state);
int testdb_names_teardown(void **state);
/**
 * The zone exported as master-file text, valid until the next call. A failed export prints
 * its error and aborts the test program, so that a caller never searches a NULL text.
 */
const char *testdb_export(struct store *st, const char *zone);
/** The first column of the first row of sql (a count, say) through st's own connection; a
 * statement that fails prints its error and aborts the test program. */
int64_t testdb_count(struct store *st, const char *sql);
