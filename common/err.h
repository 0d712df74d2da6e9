/*
 * err — the project's one error-code space and the per-input diagnostic buffer.
 *
 * Functions that can fail return 0 or a negative code. -1..-999 are -errno passed through
 * unchanged; our own codes start at -1000. A struct lana_diag carries a human sentence about
 * what was wrong with one particular input; the caller decides whether to print, log or send it.
 */
#pragma once

#include <stddef.h>

enum lana_err {
    LANA_OK = 0,
    LANA_EPARSE = -1000,  /* input text or bytes are malformed */
    LANA_ERANGE = -1001,  /* a value is outside its allowed range */
    LANA_ENOSPACE = -1002, /* an output buffer is too small */
    LANA_EEXHAUSTED = -1003, /* no free space left in a pool */
    LANA_ECONFLICT = -1004, /* the change collides with existing data */
    LANA_ENOTFOUND = -1005, /* the object does not exist */
    LANA_EPERM = -1006,   /* not allowed */
    LANA_EDB = -1007,     /* the database failed */
    LANA_ENOMEM = -1008,  /* out of memory */
    LANA_EUNSUPP = -1009, /* well-formed but not supported */
    LANA_EIO = -1010,     /* a file or socket failed */
    LANA_EFULL = -1011,   /* the disk holding the database is full: nothing was written */
};

#define LANA_DIAG_LEN 256

struct lana_diag {
    char msg[LANA_DIAG_LEN];
};

/** Static text for a code of either range; never NULL. Thread-safe. */
const char *lana_strerror(int code);

/**
 * Writes a printf-style message into d (when d is not NULL) and returns code, so that
 * `return diag_set(d, LANA_EPARSE, "...")` reads as one statement. A message longer than the
 * buffer is cut with "..." at its end.
 */
int diag_set(struct lana_diag *d, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
