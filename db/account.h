/*
 * account — who may change the registry: a name, a role and the StoredKey of its token
 * (SHA-256 of the token, see common/auth.h). The token itself is never stored, and the
 * StoredKey never leaves this module's callers: nothing here writes it into JSON or the
 * audit log. Every change is audited and checked against the authority rule (db/authz.h).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/auth.h"
#include "common/err.h"
#include "db/store.h"

#define ACCOUNT_NAME_MAX 64

struct jsonw;

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
 * whose customer it then is (a->sponsor is set to the registrar, which may name no other;
 * admin may name one).
 * LANA_ECONFLICT if the name exists; LANA_EPARSE (a name that is not 1-63 letters, digits,
 * '-', '_' or '.'; an unknown role); LANA_EPERM; LANA_ENOTFOUND (the sponsor named is not a
 * registrar); LANA_ENOMEM; LANA_EDB.
 */
int account_add(struct store *st, const struct account *a, const char *actor, struct lana_diag *d);

typedef int account_each_cb(const struct account *a, void *arg); /* nonzero stops */

/**
 * Every account in name order, or with sponsor non-NULL the customers of that registrar
 * (the accounts whose sponsor it is). A public read, as whois is: it checks no authority. a
 * is valid during the callback only. 0, the callback's nonzero value, LANA_EDB.
 */
int account_list(struct store *st, const char *sponsor, account_each_cb *cb, void *arg,
                 struct lana_diag *d);

/**
 * Disables (enabled false) or enables account name, audited as account.disable or
 * account.enable with its state before and after, as one savepoint inside the caller's
 * transaction. A disabled account still authenticates and reads, but writes nothing and can
 * be handed nothing (db/authz.h). Admin may disable or enable any account, a registrar its
 * customers, nobody itself; the account "admin" is never disabled (nothing could enable it
 * again). Setting the state it has already is a success that changes and audits nothing.
 * 0; LANA_EPERM; LANA_ENOTFOUND; LANA_EDB.
 */
int account_set_enabled(struct store *st, const char *name, bool enabled, const char *actor,
                        struct lana_diag *d);

/**
 * Gives account name the token whose StoredKey is key (common/auth.h auth_stored_key): the
 * old token stops working at once, for new connections (authentication) and for those
 * already authenticated with it (db/authz.h authz_current refuses their next write).
 * Audited as account.token, with no secret in the row (neither token nor key). One
 * savepoint inside the caller's transaction. Admin may replace any account's token, a
 * registrar its customers', every account its own.
 * 0; LANA_EPERM; LANA_ENOTFOUND; LANA_EDB.
 */
int account_set_key(struct store *st, const char *name, const uint8_t key[AUTH_KEY_LEN],
                    const char *actor, struct lana_diag *d);

/**
 * Writes a as one JSON object into j: name, role, sponsor and class (null when none),
 * enabled, created and updated (unix seconds). Never the key.
 */
void account_json(struct jsonw *j, const struct account *a);
