/*
 * sqlfault — see sqlfault.h. The wrapped function gets the real one as __real_sqlite3_step
 * (GNU ld --wrap); a failing step never reaches SQLite, which is how SQLite itself behaves for
 * a statement that hits an I/O error: its own changes are undone, the transaction goes on.
 * sqlite3_errcode and sqlite3_errmsg are wrapped too, so that the code that looks at why a
 * step failed (a full disk is told apart) sees the injected cause until the next real step.
 */
#include "tests/lib/sqlfault.h"

#include <sqlite3.h>

int __real_sqlite3_step(sqlite3_stmt *s);
int __wrap_sqlite3_step(sqlite3_stmt *s);
int __real_sqlite3_errcode(sqlite3 *db);
int __wrap_sqlite3_errcode(sqlite3 *db);
const char *__real_sqlite3_errmsg(sqlite3 *db);
const char *__wrap_sqlite3_errmsg(sqlite3 *db);

static unsigned long steps, first, last, fired; /* fail steps first..last (1-based) */
static int fail_rc;
static int faked; /* the code of the last step when it was made to fail, else 0 */

void sqlfault_arm_rc(unsigned long n, int rc, unsigned long count)
{
    steps = 0;
    fired = 0;
    first = n;
    last = count == 0 ? ~0UL : n + count - 1;
    fail_rc = rc;
}

void sqlfault_arm(unsigned long n)
{
    sqlfault_arm_rc(n, SQLITE_IOERR, 1);
}

void sqlfault_disarm(void)
{
    first = last = 0;
}

unsigned long sqlfault_steps(void)
{
    return steps;
}

unsigned long sqlfault_fired(void)
{
    return fired;
}

void sqlfault_reset(void)
{
    sqlfault_disarm();
    steps = 0;
    fired = 0;
}

int __wrap_sqlite3_step(sqlite3_stmt *s)
{
    steps++;
    if (first != 0 && steps >= first && steps <= last) {
        fired++;
        faked = fail_rc;
        return fail_rc;
    }
    faked = 0;
    return __real_sqlite3_step(s);
}

/* After a failed step our code asks the connection why: it answers as SQLite would have. */
int __wrap_sqlite3_errcode(sqlite3 *db)
{
    return faked != 0 ? faked : __real_sqlite3_errcode(db);
}

const char *__wrap_sqlite3_errmsg(sqlite3 *db)
{
    return faked != 0 ? sqlite3_errstr(faked) : __real_sqlite3_errmsg(db);
}
