/*
 * account — who may change the registry: a name, a role and the StoredKey of its token
 * (SHA-256 of the token, see common/auth.h). The token itself is never stored.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/auth.h"
#include "common/err.h"
#include "db/store.h"

#define ACCOUNT_NAME_MAX 64

struct account {
    char name[ACCOUNT_NAME_MAX];
    char role[16]; /* admin, registrar, registrant */
    uint8_t stored_key[AUTH_KEY_LEN];
    char sponsor[ACCOUNT_NAME_MAX]; /* the registrar whose customer it is ("": admin's) */
    char class_name[ACCOUNT_NAME_MAX]; /* the class that made it ("": none) */
    bool enabled;
    int64_t created, updated; /* unix seconds */
};

/** Whether name may name an account: 0, or LANA_EPARSE saying what is allowed. */
int account_check_name(const char *name, struct lana_diag *d);

/**
 * The account called name: 1 with *out set, 0 when there is none, LANA_EDB (also for a row
 * whose name or role does not fit struct account).
 */
int account_get(struct store *st, const char *name, struct account *out, struct lana_diag *d);
/**
 * Adds an account (a->enabled is taken as true), audited, as one savepoint (all or nothing)
 * inside the caller's transaction, under the authority rule (db/authz.h): admin and
 * registrar accounts are admin's to make; a registrant account admin's or a registrar's,
 * whose customer it then is (a->sponsor is set to the registrar; admin may name one).
 * LANA_ECONFLICT if the name exists; LANA_EPARSE (a name that is not 1-63 letters, digits,
 * '-', '_' or '.'; an unknown role); LANA_EPERM; LANA_ENOTFOUND (the sponsor named is not a
 * registrar); LANA_ENOMEM; LANA_EDB.
 */
int account_add(struct store *st, const struct account *a, const char *actor, struct lana_diag *d);
