/*
 * account — see account.h.
 */
#include "db/account.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/jsonw.h"
#include "db/audit.h"
#include "db/store_int.h"

static const char sql_get[] = "SELECT name, role, stored_key FROM account WHERE name = ?1";

int account_get(struct store *st, const char *name, struct account *out, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_get, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int step = sqlite3_step(s);
    if (step == SQLITE_ROW && sqlite3_column_bytes(s, 2) == AUTH_KEY_LEN) {
        const char *nm = (const char *)sqlite3_column_text(s, 0),
                   *role = (const char *)sqlite3_column_text(s, 1);
        int nl = snprintf(out->name, sizeof out->name, "%s", nm ? nm : "");
        int rl = snprintf(out->role, sizeof out->role, "%s", role ? role : "");
        if (nl < 0 || (size_t)nl >= sizeof out->name || rl < 0 || (size_t)rl >= sizeof out->role)
            rc = diag_set(d, LANA_EDB, "account %s: name or role too long", name);
        else
            rc = 1;
        memcpy(out->stored_key, sqlite3_column_blob(s, 2), AUTH_KEY_LEN);
    } else if (step != SQLITE_DONE && step != SQLITE_ROW) {
        rc = store__err(st->db, d, "account");
    }
    sqlite3_reset(s);
    return rc;
}

static const char sql_add[] =
    "INSERT INTO account (name, role, stored_key, created) VALUES (?1, ?2, ?3, ?4)";

int account_add(struct store *st, const struct account *a, const char *actor, struct lana_diag *d)
{
    struct account old;
    int rc = account_get(st, a->name, &old, d);
    if (rc != 0)
        return rc < 0 ? rc : diag_set(d, LANA_ECONFLICT, "account %s exists", a->name);
    sqlite3_stmt *s;
    if ((rc = store_sp_begin(st, d)) != 0)
        return rc;
    if ((rc = store__stmt(st, sql_add, &s, d)) == 0) {
        sqlite3_bind_text(s, 1, a->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, a->role, -1, SQLITE_STATIC);
        sqlite3_bind_blob(s, 3, a->stored_key, AUTH_KEY_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(s, 4, (int64_t)time(NULL));
        rc = store__done(st, s, "add account", d);
    }
    if (rc == 0) {
        struct jsonw j;
        jsonw_init(&j);
        jsonw_obj(&j);
        jsonw_kstr(&j, "name", a->name);
        jsonw_kstr(&j, "role", a->role);
        jsonw_end(&j);
        rc = jsonw_ok(&j) ? audit_add(st, actor, "account.add", a->name, NULL, j.s, d)
                          : diag_set(d, LANA_ENOMEM, "out of memory");
        jsonw_free(&j);
    }
    return store_sp_end(st, rc, d);
}
