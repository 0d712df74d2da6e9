/*
 * audit — the append-only log of every change: who, when, what, and the object before and
 * after (JSON). The table refuses UPDATE and DELETE (triggers), so rows are only ever added,
 * in the same transaction as the change they describe.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "db/store.h"

struct audit_entry {
    int64_t id;
    int64_t ts_ms; /* unix milliseconds */
    const char *actor, *action, *object;
    const char *before, *after; /* JSON text or NULL */
};

/**
 * Appends one entry (before and after: JSON text or NULL; the strings are copied) in the
 * caller's transaction. 0 or LANA_EDB.
 */
int audit_add(struct store *st, const char *actor, const char *action, const char *object,
              const char *before, const char *after, struct lana_diag *d);

typedef int audit_each_cb(const struct audit_entry *e, void *arg); /* nonzero stops */

/**
 * Entries with ts >= since_ms, oldest first, at most limit (0 = all). The entry's strings are
 * valid during the callback only. 0, the callback's nonzero value, or LANA_EDB.
 */
int audit_list(struct store *st, int64_t since_ms, int64_t limit, audit_each_cb *cb, void *arg,
               struct lana_diag *d);

/**
 * audit_list limited to what one account may read: the changes made by account, and with
 * customers those of the accounts it sponsors (a registrar's registrants) too. account NULL:
 * every entry (admin's view). newest: the newest limit entries (still oldest first) rather
 * than the first limit ones from since_ms.
 */
int audit_list_of(struct store *st, const char *account, bool customers, int64_t since_ms,
                  int64_t limit, bool newest, audit_each_cb *cb, void *arg, struct lana_diag *d);

/**
 * The entries after entry after_id (id > after_id: in commit order, whoever wrote them),
 * oldest first, at most limit (0 = all): how a follower of the log (the web view's live
 * feed) takes what is new since it last looked. 0, the callback's nonzero value, or LANA_EDB.
 */
int audit_after(struct store *st, int64_t after_id, int64_t limit, audit_each_cb *cb, void *arg,
                struct lana_diag *d);
