/*
 * account — see account.h.
 */
#include "db/account.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/jsonw.h"
#include "db/audit.h"
#include "db/authz.h"
#include "db/store_int.h"

#define ACCOUNT_COLS "name, role, stored_key, sponsor, class, enabled, created, updated"

static const char sql_get[] = "SELECT " ACCOUNT_COLS " FROM account WHERE name = ?1";

static void copy_col(char *dst, size_t size, sqlite3_stmt *s, int col)
{
    const char *v = (const char *)sqlite3_column_text(s, col);
    snprintf(dst, size, "%s", v ? v : "");
}

static int account_read(sqlite3_stmt *s, struct account *out, struct lana_diag *d)
{
    const char *nm = (const char *)sqlite3_column_text(s, 0),
               *role = (const char *)sqlite3_column_text(s, 1);
    int nl = snprintf(out->name, sizeof out->name, "%s", nm ? nm : "");
    int rl = snprintf(out->role, sizeof out->role, "%s", role ? role : "");
    if (nl < 0 || (size_t)nl >= sizeof out->name || rl < 0 || (size_t)rl >= sizeof out->role ||
        sqlite3_column_bytes(s, 2) != AUTH_KEY_LEN)
        return diag_set(d, LANA_EDB, "account %s: name, role or key malformed", out->name);
    memcpy(out->stored_key, sqlite3_column_blob(s, 2), AUTH_KEY_LEN);
    copy_col(out->sponsor, sizeof out->sponsor, s, 3);
    copy_col(out->class_name, sizeof out->class_name, s, 4);
    out->enabled = sqlite3_column_int(s, 5) != 0;
    out->created = sqlite3_column_int64(s, 6);
    out->updated = sqlite3_column_int64(s, 7);
    return 1;
}

int account_get(struct store *st, const char *name, struct account *out, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_get, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    if ((rc = store__row(st, s, "account", d)) == 1)
        rc = account_read(s, out, d);
    sqlite3_reset(s);
    return rc;
}

int account_check_name(const char *name, struct lana_diag *d)
{
    size_t n = strlen(name);
    if (n == 0 || n >= ACCOUNT_NAME_MAX)
        return diag_set(d, LANA_EPARSE, "account name: 1 to %d characters", ACCOUNT_NAME_MAX - 1);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  (i > 0 && (c == '-' || c == '_' || c == '.'));
        if (!ok)
            return diag_set(d, LANA_EPARSE,
                            "account name %.64s: lower-case letters, digits, and '-', '_' or '.' "
                            "after the first",
                            name);
    }
    return 0;
}

/* Who may make an account of a's role, and whose customer it is: sets a->sponsor. */
static int may_add(struct store *st, struct account *a, struct lana_diag *d)
{
    const struct authz_who *w = authz_actor(st);
    if (strcmp(a->role, "registrant") != 0) {
        a->sponsor[0] = '\0';
        return authz_admin(st, "making admin and registrar accounts", d);
    }
    if (w != NULL && w->role == AUTHZ_REGISTRAR) { /* its own customer */
        if (a->sponsor[0] && strcmp(a->sponsor, w->name) != 0)
            return diag_set(d, LANA_EPERM,
                            "%s is a registrar: the registrants it makes are its own customers, "
                            "not %s's",
                            w->name, a->sponsor);
        snprintf(a->sponsor, sizeof a->sponsor, "%s", w->name);
        return 0;
    }
    int rc = authz_admin(st, "making registrant accounts (or a registrar's)", d);
    if (rc != 0 || a->sponsor[0] == '\0')
        return rc;
    struct account sp;
    if ((rc = account_get(st, a->sponsor, &sp, d)) < 0)
        return rc;
    if (rc == 0 || strcmp(sp.role, "registrar") != 0)
        return diag_set(d, LANA_ENOTFOUND, "sponsor %s: no such registrar", a->sponsor);
    return 0;
}

static const char sql_add[] =
    "INSERT INTO account (name, role, stored_key, created, updated, sponsor, class, enabled)"
    " VALUES (?1, ?2, ?3, ?4, ?4, nullif(?5, ''), nullif(?6, ''), 1)";

int account_add(struct store *st, const struct account *in, const char *actor, struct lana_diag *d)
{
    struct account a = *in, old;
    enum authz_role role;
    int rc = account_check_name(a.name, d);
    if (rc != 0)
        return rc;
    if (!authz_role_parse(a.role, &role))
        return diag_set(d, LANA_EPARSE, "role %.16s: admin, registrar or registrant", a.role);
    if ((rc = may_add(st, &a, d)) != 0)
        return rc;
    if ((rc = account_get(st, a.name, &old, d)) != 0)
        return rc < 0 ? rc : diag_set(d, LANA_ECONFLICT, "account %s exists", a.name);
    sqlite3_stmt *s;
    if ((rc = store_sp_begin(st, d)) != 0)
        return rc;
    if ((rc = store__stmt(st, sql_add, &s, d)) == 0) {
        sqlite3_bind_text(s, 1, a.name, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, a.role, -1, SQLITE_STATIC);
        sqlite3_bind_blob(s, 3, a.stored_key, AUTH_KEY_LEN, SQLITE_STATIC);
        sqlite3_bind_int64(s, 4, (int64_t)time(NULL));
        sqlite3_bind_text(s, 5, a.sponsor, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 6, a.class_name, -1, SQLITE_STATIC);
        rc = store__done(st, s, "add account", d);
    }
    if (rc == 0) {
        struct jsonw j;
        jsonw_init(&j);
        jsonw_obj(&j);
        jsonw_kstr(&j, "name", a.name);
        jsonw_kstr(&j, "role", a.role);
        if (a.sponsor[0])
            jsonw_kstr(&j, "sponsor", a.sponsor);
        if (a.class_name[0])
            jsonw_kstr(&j, "class", a.class_name);
        jsonw_end(&j);
        rc = jsonw_ok(&j) ? audit_add(st, actor, "account.add", a.name, NULL, j.s, d)
                          : diag_set(d, LANA_ENOMEM, "out of memory");
        jsonw_free(&j);
    }
    return store_sp_end(st, rc, d);
}

void account_json(struct jsonw *j, const struct account *a)
{
    jsonw_obj(j);
    jsonw_kstr(j, "name", a->name);
    jsonw_kstr(j, "role", a->role);
    jsonw_key(j, "sponsor");
    if (a->sponsor[0])
        jsonw_str(j, a->sponsor);
    else
        jsonw_null(j);
    jsonw_key(j, "class");
    if (a->class_name[0])
        jsonw_str(j, a->class_name);
    else
        jsonw_null(j);
    jsonw_kbool(j, "enabled", a->enabled);
    jsonw_kint(j, "created", a->created);
    jsonw_kint(j, "updated", a->updated);
    jsonw_end(j);
}

static const char sql_list[] = "SELECT " ACCOUNT_COLS " FROM account ORDER BY name";
static const char sql_list_of[] =
    "SELECT " ACCOUNT_COLS " FROM account WHERE sponsor = ?1 ORDER BY name";

int account_list(struct store *st, const char *sponsor, account_each_cb *cb, void *arg,
                 struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sponsor ? sql_list_of : sql_list, &s, d);
    if (rc != 0)
        return rc;
    if (sponsor != NULL)
        sqlite3_bind_text(s, 1, sponsor, -1, SQLITE_STATIC);
    int step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct account a;
        if ((rc = account_read(s, &a, d)) < 0 || (rc = cb(&a, arg)) != 0)
            break;
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = store__err(st->db, d, "account list");
    sqlite3_reset(s);
    return rc;
}

/* The audit row of a change of account name from *before to *after (the key left out). */
static int audit_change(struct store *st, const char *actor, const char *action,
                        const struct account *before, const struct account *after,
                        struct lana_diag *d)
{
    struct jsonw b, a;
    jsonw_init(&b);
    jsonw_init(&a);
    account_json(&b, before);
    account_json(&a, after);
    int rc = jsonw_ok(&b) && jsonw_ok(&a) ? audit_add(st, actor, action, after->name, b.s, a.s, d)
                                          : diag_set(d, LANA_ENOMEM, "out of memory");
    jsonw_free(&b);
    jsonw_free(&a);
    return rc;
}

/* ?4: who disables it (NULL when enabling: it is enabled by whoever may) */
static const char sql_set_enabled[] =
    "UPDATE account SET enabled = ?2, updated = ?3, disabled_by = ?4 WHERE name = ?1";
/* whether an admin account (or lanad itself, NULL) disabled it */
static const char sql_disabled_by_admin[] =
    "SELECT disabled_by IS NULL OR disabled_by = 'admin' OR disabled_by IN"
    " (SELECT name FROM account WHERE role = 'admin') FROM account WHERE name = ?1";
static const char sql_set_key[] =
    "UPDATE account SET stored_key = ?2, updated = ?3 WHERE name = ?1";

/* Writes after (its enabled flag or its key, by sql) over name's row and audits the change
 * from before, as one savepoint. */
static int account_update(struct store *st, const char *sql, const struct account *before,
                          const struct account *after, const char *actor, const char *action,
                          struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store_sp_begin(st, d);
    if (rc != 0)
        return rc;
    if ((rc = store__stmt(st, sql, &s, d)) == 0) {
        sqlite3_bind_text(s, 1, after->name, -1, SQLITE_STATIC);
        if (sql == sql_set_key)
            sqlite3_bind_blob(s, 2, after->stored_key, AUTH_KEY_LEN, SQLITE_STATIC);
        else
            sqlite3_bind_int(s, 2, after->enabled);
        sqlite3_bind_int64(s, 3, after->updated);
        const struct authz_who *w = authz_actor(st);
        if (sql == sql_set_enabled && !after->enabled)
            sqlite3_bind_text(s, 4, w ? w->name : "admin", -1, SQLITE_TRANSIENT);
        rc = store__done(st, s, action, d);
    }
    if (rc == 0)
        rc = audit_change(st, actor, action, before, after, d);
    return store_sp_end(st, rc, d);
}

int account_set_enabled(struct store *st, const char *name, bool enabled, const char *actor,
                        struct lana_diag *d)
{
    const struct authz_who *w = authz_actor(st);
    struct account old, now;
    int rc = authz_account(st, name, false, d);
    if (rc != 0)
        return rc;
    /* admin is the one account that can enable the others: disabled, nothing could undo it */
    if (!enabled && strcmp(name, "admin") == 0)
        return diag_set(d, LANA_EPERM,
                        "account admin cannot be disabled: it is the registry operator's, and "
                        "no other account could enable it again");
    if (w != NULL && strcmp(w->name, name) == 0)
        return diag_set(d, LANA_EPERM, "%s may not %s itself", name,
                        enabled ? "enable" : "disable");
    if ((rc = account_get(st, name, &old, d)) <= 0)
        return rc < 0 ? rc : diag_set(d, LANA_ENOTFOUND, "account %s: no such account", name);
    if (old.enabled == enabled)
        return 0; /* nothing to change, nothing to audit */
    if (enabled && !authz_is_admin(st)) { /* what an admin disabled, only an admin enables */
        sqlite3_stmt *s;
        if ((rc = store__stmt(st, sql_disabled_by_admin, &s, d)) != 0)
            return rc;
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        if ((rc = store__row(st, s, "disabled by", d)) < 0)
            return rc;
        bool by_admin = rc == 1 && sqlite3_column_int(s, 0) != 0;
        sqlite3_reset(s);
        if (by_admin)
            return diag_set(d, LANA_EPERM,
                            "account %s was disabled by an admin: only an admin enables it", name);
    }
    now = old;
    now.enabled = enabled;
    now.updated = (int64_t)time(NULL);
    return account_update(st, sql_set_enabled, &old, &now, actor,
                          enabled ? "account.enable" : "account.disable", d);
}

int account_set_key(struct store *st, const char *name, const uint8_t key[AUTH_KEY_LEN],
                    const char *actor, struct lana_diag *d)
{
    struct account old, now;
    int rc = authz_account(st, name, true, d);
    if (rc != 0)
        return rc;
    if ((rc = account_get(st, name, &old, d)) <= 0)
        return rc < 0 ? rc : diag_set(d, LANA_ENOTFOUND, "account %s: no such account", name);
    now = old;
    memcpy(now.stored_key, key, AUTH_KEY_LEN);
    now.updated = (int64_t)time(NULL);
    rc = account_update(st, sql_set_key, &old, &now, actor, "account.token", d);
    memset(&old, 0, sizeof old);
    memset(&now, 0, sizeof now);
    return rc;
}
