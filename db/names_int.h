/*
 * names_int — what zone.c, rrset.c, host.c and service.c share: the context's layout and the
 * name helpers all four use. Included only by those .c files, and by catalog.c, which keeps
 * a zone of its own through them (it names sqlite3 types through store_int.h).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/dname.h"
#include "common/jsonw.h"
#include "db/names.h"
#include "db/rrset.h"
#include "db/store_int.h"

struct names {
    struct store *st;
    struct ipam *ip;
    struct jsonw j;            /* audit text being built */
    struct rrset_record rec;   /* the record being added or deleted */
};

/** Text to lower-case wire form; relative names are taken as absolute. 0 or LANA_EPARSE. */
int names__wire(const char *text, uint8_t out[DNAME_MAXLEN], struct lana_diag *d);
/** Wire to text ("?" when it cannot be shown). */
void names__text(const uint8_t *wire, char out[DNAME_TEXT_MAX]);
/** A name as its wire form (lower case) and canonical text ("web1.lab."). 0 or LANA_EPARSE. */
int names__canonical(const char *name, uint8_t wire[DNAME_MAXLEN], char text[DNAME_TEXT_MAX],
                     struct lana_diag *d);
/** Whether a zone name (canonical text) is a reverse zone (in-addr.arpa., ip6.arpa.). */
bool names__is_reverse(const char *name);
/** Appends an audit row (actor NULL: ""). 0 or LANA_EDB. */
int names__audit(struct names *n, const char *actor, const char *action, const char *object,
                 const char *before, const char *after, struct lana_diag *d);
/** Copies src into dst (size bytes) cut at a character boundary; never fails. */
void names__copy(char *dst, size_t size, const char *src);
