/*
 * sqlfault — failure injection for SQLite steps, for tests. Linked into a test program built
 * with -Wl,--wrap=sqlite3_step (and sqlite3_errcode, sqlite3_errmsg), it sits between every
 * sqlite3_step call of our code (lana_db is a static library, so the wrap reaches into it)
 * and SQLite. It counts the steps and, when
 * armed, makes chosen ones fail as a full disk or an I/O error would: the statement does not
 * run and the error code is returned, so that a test can walk a command through a failure at
 * every step it makes. Not thread-safe: one test thread drives it.
 */
#pragma once

#include <stdbool.h>

/** The n-th following step (n >= 1; counted from this call) fails with SQLITE_IOERR, once. */
void sqlfault_arm(unsigned long n);
/**
 * The n-th following step and the count - 1 after it fail with rc (an SQLite result code:
 * SQLITE_IOERR, SQLITE_FULL, SQLITE_BUSY, ...). count 0 means every step from the n-th on.
 */
void sqlfault_arm_rc(unsigned long n, int rc, unsigned long count);
/** No more failures; the step count goes on. */
void sqlfault_disarm(void);
/** Steps since the last sqlfault_reset (or arm), failed ones included. */
unsigned long sqlfault_steps(void);
/** Steps made to fail since the last arm. */
unsigned long sqlfault_fired(void);
/** Disarms and sets the step count to 0. */
void sqlfault_reset(void);
