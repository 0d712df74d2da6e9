/*
 * zfile — reader of RFC 1035 §5 master files ("zone files").
 *
 * Handles $ORIGIN, $TTL, @, relative names, owners inherited from the previous record,
 * parentheses spanning lines, ';' comments, quoted strings with escapes, and the RFC 3597
 * generic rdata form. $INCLUDE and $GENERATE are refused. The reader only parses: each record
 * goes to a callback, which decides what to do with it. Errors name "file:line".
 */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "common/dname.h"
#include "common/err.h"
#include "common/rdata.h"

#define ZFILE_LINE_MAX 65536 /* one physical line; a longer one is an error */

struct zfile_rr {
    uint8_t owner[DNAME_MAXLEN]; /* wire form, as written (not lowercased) */
    uint16_t type, klass;
    uint32_t ttl;
    uint16_t rdlen;
    uint8_t rdata[RDATA_MAX];
    unsigned line;
};

/** Called once per record; a non-zero return stops the reader and is passed through. */
typedef int zfile_rr_cb(const struct zfile_rr *rr, void *arg);

/**
 * Reads every record of fp. origin (wire) is the initial $ORIGIN and may be NULL, in which
 * case the file must set $ORIGIN before it uses a relative name. name is used in messages.
 * @return 0; LANA_EPARSE with "name:line: message" in d; LANA_ENOMEM; or the callback's code.
 */
int zfile_read(FILE *fp, const char *name, const uint8_t *origin, zfile_rr_cb *cb, void *arg,
               struct lana_diag *d);
