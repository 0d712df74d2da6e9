/*
 * account — who may change the registry: a name, a role and the StoredKey of its token
 * (SHA-256 of the token, see common/auth.h). The token itself is never stored.
 */
#pragma once

#include <stdint.h>

#include "common/auth.h"
#include "common/err.h"
#include "db/store.h"

#define ACCOUNT_NAME_MAX 64

struct account {
    char name[ACCOUNT_NAME_MAX];
    char role[16]; /* admin, registrar, registrant */
    uint8_t stored_key[AUTH_KEY_LEN];
};

/**
 * The account called name: 1 with *out set, 0 when there is none, LANA_EDB (also for a row
 * whose name or role does not fit struct account).
 */
int account_get(struct store *st, const char *name, struct account *out, struct lana_diag *d);
/**
 * Adds an account, audited, as one savepoint (all or nothing) inside the caller's
 * transaction. LANA_ECONFLICT if the name exists; LANA_ENOMEM; LANA_EDB.
 */
int account_add(struct store *st, const struct account *a, const char *actor, struct lana_diag *d);
