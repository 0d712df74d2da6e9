/*
 * tsigkey — the TSIG keys of the registry (RFC 8945): name, algorithm, secret, and the zones
 * each may transfer (a list, or all zones). Kept in tables tsig_key and tsig_key_zone (schema
 * version 6, db/schema.sql). Changes are admin's alone (db/authz.h) and audited; reads serve
 * the registry (lana key list|show) and the DNS threads (each through its own reader store),
 * which look a key up on every signed request, so a deleted key stops working at once.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/dname.h"
#include "common/err.h"
#include "common/jsonw.h"
#include "common/tsig.h"
#include "db/store.h"

#define TSIGKEY_ZONES_MAX 8     /* zones named in one lana key add */
#define TSIGKEY_NAME_MAX 253    /* bytes of a key's name in text, final dot left out */

/* One key as the registry shows it. */
struct tsigkey {
    char name[DNAME_TEXT_MAX]; /* lowercase, final dot */
    struct tsig_key key;
    int64_t created;           /* unix seconds */
    bool all_zones;
    unsigned nzones;
    char zones[TSIGKEY_ZONES_MAX][DNAME_TEXT_MAX];
};

/**
 * Normalizes a key name: a domain name of letters, digits, '-' and '_' labels (so that it
 * reads the same in every server's configuration), the final dot optional; into text
 * (lowercase, final dot, DNAME_TEXT_MAX bytes) and wire (DNAME_MAXLEN bytes), either NULL.
 * 0, or LANA_EPARSE with a sentence in d.
 */
int tsigkey_name(const char *in, char *text, uint8_t *wire, struct lana_diag *d);

/**
 * Adds key name with alg and secret (len bytes), allowed to transfer the nzones zones named
 * (each must exist), or every zone when nzones is 0. Admin only; audited as key.add by actor.
 * 0 with *out (may be NULL) filled; LANA_EPARSE (name, zone name), LANA_ERANGE (secret
 * length), LANA_EPERM, LANA_ECONFLICT (the name exists), LANA_ENOTFOUND (a zone), LANA_EDB.
 * Nothing is written on failure.
 */
int tsigkey_add(struct store *st, const char *name, enum tsig_alg alg, const uint8_t *secret,
                size_t len, const char *const *zones, unsigned nzones, const char *actor,
                struct tsigkey *out, struct lana_diag *d);

/** Writes the key's zones as a JSON value into j: "all", or the array of zone names. */
void tsigkey_zones_json(struct jsonw *j, const struct tsigkey *k);

/** Deletes key name (admin only; audited as key.del). 0, LANA_EPARSE, LANA_EPERM,
 * LANA_ENOTFOUND, LANA_EDB. */
int tsigkey_del(struct store *st, const char *name, const char *actor, struct lana_diag *d);

/** Key name with its zones. 0, LANA_EPARSE, LANA_ENOTFOUND, LANA_EDB. */
int tsigkey_get(struct store *st, const char *name, struct tsigkey *out, struct lana_diag *d);

typedef int tsigkey_each_cb(const struct tsigkey *k, void *arg); /* nonzero stops */
/** Every key in name order. 0 (or what cb returned), LANA_EDB. */
int tsigkey_list(struct store *st, tsigkey_each_cb *cb, void *arg, struct lana_diag *d);

/**
 * For the DNS threads: the key whose name is wire (lowercase wire form). 1 found, 0 unknown,
 * LANA_EDB. Ends its read at once (store_read_done).
 */
int tsigkey_lookup(struct store *st, const uint8_t *wire, struct tsig_key *out,
                   struct lana_diag *d);

/**
 * Whether key wire may transfer the zone whose apex is zone (wire form). 1 yes, 0 no,
 * LANA_EDB.
 */
int tsigkey_may_transfer(struct store *st, const uint8_t *wire, const uint8_t *zone,
                         struct lana_diag *d);
