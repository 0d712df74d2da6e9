/*
 * account — see account.h.
 */
#include "db/account.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

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
        snprintf(out->name, sizeof out->name, "%s", (const char *)sqlite3_column_text(s, 0));
        snprintf(out->role, sizeof out->role, "%s", (const char *)sqlite3_column_text(s, 1));
        memcpy(out->stored_key, sqlite3_column_blob(s, 2), AUTH_KEY_LEN);
        rc = 1;
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
    if ((rc = store__stmt(st, sql_add, &s, d)) != 0)
        return rc;
    sqlite3_bind_text(s, 1, a->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, a->role, -1, SQLITE_STATIC);
    sqlite3_bind_blob(s, 3, a->stored_key, AUTH_KEY_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, (int64_t)time(NULL));
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = store__err(st->db, d, "add account");
    sqlite3_reset(s);
    if (rc == 0) {
        char after[128];
        snprintf(after, sizeof after, "{\"name\":\"%s\",\"role\":\"%s\"}", a->name, a->role);
        rc = audit_add(st, actor, "account.add", a->name, NULL, after, d);
    }
    return rc;
}
