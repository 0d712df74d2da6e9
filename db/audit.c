/*
 * audit — see audit.h.
 */
#include "db/audit.h"

#include <string.h>

#include "common/clock.h"
#include "db/authz.h"
#include "db/store_int.h"

static const char sql_add[] = "INSERT INTO audit (ts, actor, action, object, before, after, account)"
                             " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

int audit_add(struct store *st, const char *actor, const char *action, const char *object,
              const char *before, const char *after, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_add, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, real_ms());
    sqlite3_bind_text(s, 2, actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, action, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, object, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, before, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, after, -1, SQLITE_STATIC);
    /* the account behind the change: the acting one, else the actor's "name@peer" */
    const char *at = st->who ? NULL : strchr(actor, '@');
    if (st->who != NULL)
        sqlite3_bind_text(s, 7, st->who->name, -1, SQLITE_STATIC);
    else if (at != NULL && at > actor)
        sqlite3_bind_text(s, 7, actor, (int)(at - actor), SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = store__err(st->db, d, "audit");
    sqlite3_reset(s);
    return rc;
}

/* Steps s (bound, from the statement cache) through cb and resets it: 0, cb's nonzero value,
 * or LANA_EDB. */
static int each_row(struct store *st, sqlite3_stmt *s, audit_each_cb *cb, void *arg,
                    struct lana_diag *d)
{
    int rc = 0, step;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct audit_entry e = {
            .id = sqlite3_column_int64(s, 0),
            .ts_ms = sqlite3_column_int64(s, 1),
            .actor = (const char *)sqlite3_column_text(s, 2),
            .action = (const char *)sqlite3_column_text(s, 3),
            .object = (const char *)sqlite3_column_text(s, 4),
            .before = (const char *)sqlite3_column_text(s, 5),
            .after = (const char *)sqlite3_column_text(s, 6),
        };
        if ((rc = cb(&e, arg)) != 0)
            break;
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = store__err(st->db, d, "audit list");
    sqlite3_reset(s);
    return rc;
}

#define ALL "SELECT id, ts, actor, action, object, before, after FROM audit WHERE ts >= ?1"
/* an account's own changes, and its customers' when ?4: one index search per account (the
 * rows of one student are found without reading the others'); admin's own rows are not in
 * the index on account (admin reads the whole log), hence the two forms */
#define OF(extra)                                                                                  \
    "SELECT id, ts, actor, action, object, before, after FROM audit WHERE account IN"              \
    " (SELECT ?3 UNION ALL SELECT name FROM account WHERE ?4 AND sponsor = ?3)" extra               \
    " AND ts >= ?1"
#define OLDEST(q) q " ORDER BY id LIMIT ?2"
#define NEWEST(q) "SELECT * FROM (" q " ORDER BY id DESC LIMIT ?2) ORDER BY id"
/* [newest][0 all, 1 an account's, 2 admin's own] */
static const char *const sql_list[2][3] = {
    {OLDEST(ALL), OLDEST(OF(" AND account <> 'admin'")), OLDEST(OF(""))},
    {NEWEST(ALL), NEWEST(OF(" AND account <> 'admin'")), NEWEST(OF(""))},
};

int audit_list(struct store *st, int64_t since_ms, int64_t limit, audit_each_cb *cb, void *arg,
               struct lana_diag *d)
{
    return audit_list_of(st, NULL, false, since_ms, limit, false, cb, arg, d);
}

int audit_list_of(struct store *st, const char *account, bool customers, int64_t since_ms,
                  int64_t limit, bool newest, audit_each_cb *cb, void *arg, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int which = account == NULL ? 0 : strcmp(account, "admin") != 0 ? 1 : 2;
    const char *sql = sql_list[newest][which];
    int rc = store__stmt(st, sql, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, since_ms);
    sqlite3_bind_int64(s, 2, limit > 0 ? limit : -1);
    if (account != NULL) {
        sqlite3_bind_text(s, 3, account, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 4, customers);
    }
    return each_row(st, s, cb, arg, d);
}

static const char sql_after[] = "SELECT id, ts, actor, action, object, before, after FROM audit"
                                " WHERE id > ?1 ORDER BY id LIMIT ?2";

int audit_after(struct store *st, int64_t after_id, int64_t limit, audit_each_cb *cb, void *arg,
                struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_after, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, after_id);
    sqlite3_bind_int64(s, 2, limit > 0 ? limit : -1);
    return each_row(st, s, cb, arg, d);
}
