/*
 * tsigkey — see tsigkey.h.
 */
#include "db/tsigkey.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/jsonw.h"
#include "db/audit.h"
#include "db/authz.h"
#include "db/store_int.h"

static const char sql_ins[] = "INSERT INTO tsig_key (name, algorithm, secret, all_zones, created)"
                              " VALUES (?1, ?2, ?3, ?4, ?5)";
static const char sql_ins_zone[] = "INSERT OR IGNORE INTO tsig_key_zone (key, zone_id) VALUES (?1, ?2)";
static const char sql_zone_id[] = "SELECT id FROM zone WHERE name = ?1";
static const char sql_get[] = "SELECT name, algorithm, secret, all_zones, created FROM tsig_key"
                              " WHERE name = ?1";
static const char sql_all[] = "SELECT name, algorithm, secret, all_zones, created FROM tsig_key"
                              " ORDER BY name";
static const char sql_zones[] = "SELECT z.name FROM tsig_key_zone k JOIN zone z ON z.id = k.zone_id"
                                " WHERE k.key = ?1 ORDER BY z.name";
static const char sql_del[] = "DELETE FROM tsig_key WHERE name = ?1";
static const char sql_may[] = "SELECT k.all_zones OR EXISTS (SELECT 1 FROM tsig_key_zone kz"
                              " JOIN zone z ON z.id = kz.zone_id WHERE kz.key = k.name"
                              " AND z.name = ?2) FROM tsig_key k WHERE k.name = ?1";

int tsigkey_name(const char *in, char *text, uint8_t *wire, struct lana_diag *d)
{
    static const uint8_t root[1] = {0};
    uint8_t w[DNAME_MAXLEN];
    char t[DNAME_TEXT_MAX];
    size_t n = strlen(in);
    if (n == 0 || strcmp(in, ".") == 0)
        return diag_set(d, LANA_EPARSE, "key name: empty");
    if (n - (in[n - 1] == '.') > TSIGKEY_NAME_MAX)
        return diag_set(d, LANA_EPARSE, "key name: longer than %d characters", TSIGKEY_NAME_MAX);
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return diag_set(d, LANA_EPARSE,
                            "key name: '%c' at %zu (letters, digits, '-', '_' and dots only)",
                            c >= 0x20 && c < 0x7f ? c : '?', i + 1);
    }
    struct lana_diag e;
    if (dname_from_text(in, root, w, &e) < 0)
        return diag_set(d, LANA_EPARSE, "key name: %s", e.msg);
    dname_lower(w);
    dname_to_text(w, t, sizeof t);
    if (text != NULL)
        memcpy(text, t, strlen(t) + 1);
    if (wire != NULL)
        memcpy(wire, w, dname_len(w));
    return 0;
}

/* A zone's name as the zone table keeps it (lowercase, final dot) into out. */
static int zone_text(const char *in, char *out, struct lana_diag *d)
{
    static const uint8_t root[1] = {0};
    uint8_t w[DNAME_MAXLEN];
    struct lana_diag e;
    if (dname_from_text(in, root, w, &e) < 0)
        return diag_set(d, LANA_EPARSE, "zone %s: %s", in, e.msg);
    dname_lower(w);
    dname_to_text(w, out, DNAME_TEXT_MAX);
    return 0;
}

/* Reads the row of s (name, algorithm, secret, all_zones, created) into k. */
static int read_row(sqlite3_stmt *s, struct tsigkey *k, struct lana_diag *d)
{
    memset(k, 0, sizeof *k);
    const char *name = (const char *)sqlite3_column_text(s, 0);
    const char *alg = (const char *)sqlite3_column_text(s, 1);
    const void *sec = sqlite3_column_blob(s, 2);
    int n = sqlite3_column_bytes(s, 2);
    if (name == NULL || alg == NULL || sec == NULL || n <= 0 || n > TSIG_SECRET_MAX ||
        strlen(name) >= sizeof k->name || tsigkey_name(name, NULL, k->key.name, d) != 0 ||
        (k->key.alg = tsig_alg_parse(alg)) == TSIG_ALG_NONE)
        return diag_set(d, LANA_EDB, "tsig_key: a malformed row");
    memcpy(k->name, name, strlen(name) + 1);
    memcpy(k->key.secret, sec, (size_t)n);
    k->key.secret_len = (size_t)n;
    k->all_zones = sqlite3_column_int(s, 3) != 0;
    k->created = sqlite3_column_int64(s, 4);
    return 0;
}

static int read_zones(struct store *st, struct tsigkey *k, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_zones, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s, 1, k->name, -1, SQLITE_TRANSIENT);
    while ((rc = store__row(st, s, "tsig key zones", d)) == 1) {
        const char *z = (const char *)sqlite3_column_text(s, 0);
        if (k->nzones < TSIGKEY_ZONES_MAX && z != NULL && strlen(z) < DNAME_TEXT_MAX)
            memcpy(k->zones[k->nzones++], z, strlen(z) + 1);
    }
    return rc;
}

void tsigkey_zones_json(struct jsonw *j, const struct tsigkey *k)
{
    if (k->all_zones) {
        jsonw_str(j, "all");
        return;
    }
    jsonw_arr(j);
    for (unsigned i = 0; i < k->nzones; i++)
        jsonw_str(j, k->zones[i]);
    jsonw_end(j);
}

/* The after/before JSON of the audit log: the algorithm and zones, never the secret. */
static void audit_json(struct jsonw *j, const struct tsigkey *k)
{
    jsonw_obj(j);
    jsonw_kstr(j, "algorithm", tsig_alg_name(k->key.alg));
    jsonw_key(j, "zones");
    tsigkey_zones_json(j, k);
    jsonw_end(j);
}

static int add_rows(struct store *st, const struct tsigkey *k, const char *actor,
                    struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_ins, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s, 1, k->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, tsig_alg_name(k->key.alg), -1, SQLITE_STATIC);
    sqlite3_bind_blob(s, 3, k->key.secret, (int)k->key.secret_len, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 4, k->all_zones);
    sqlite3_bind_int64(s, 5, k->created);
    if ((rc = store__done(st, s, "insert tsig key", d)) != 0)
        return rc;
    for (unsigned i = 0; i < k->nzones && rc == 0; i++) {
        if ((rc = store__stmt(st, sql_zone_id, &s, d)) != 0)
            break;
        sqlite3_bind_text(s, 1, k->zones[i], -1, SQLITE_TRANSIENT);
        if ((rc = store__row(st, s, "zone", d)) < 0)
            break;
        if (rc == 0) {
            rc = diag_set(d, LANA_ENOTFOUND, "zone %s: no such zone", k->zones[i]);
            break;
        }
        int64_t id = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
        if ((rc = store__stmt(st, sql_ins_zone, &s, d)) == 0) {
            sqlite3_bind_text(s, 1, k->name, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(s, 2, id);
            rc = store__done(st, s, "insert tsig key zone", d);
        }
    }
    if (rc == 0) {
        struct jsonw j;
        jsonw_init(&j);
        audit_json(&j, k);
        rc = jsonw_ok(&j) ? audit_add(st, actor, "key.add", k->name, NULL, j.s, d)
                          : diag_set(d, LANA_ENOMEM, "out of memory");
        jsonw_free(&j);
    }
    return rc;
}

int tsigkey_add(struct store *st, const char *name, enum tsig_alg alg, const uint8_t *secret,
                size_t len, const char *const *zones, unsigned nzones, const char *actor,
                struct tsigkey *out, struct lana_diag *d)
{
    struct tsigkey k;
    memset(&k, 0, sizeof k);
    int rc = tsigkey_name(name, k.name, k.key.name, d);
    if (rc != 0)
        return rc;
    if (alg == TSIG_ALG_NONE)
        return diag_set(d, LANA_EPARSE, "algorithm: hmac-sha256, hmac-sha512 or hmac-sha1");
    if (len == 0 || len > TSIG_SECRET_MAX)
        return diag_set(d, LANA_ERANGE, "secret: %zu bytes (1 to %d)", len, TSIG_SECRET_MAX);
    if (nzones > TSIGKEY_ZONES_MAX)
        return diag_set(d, LANA_ERANGE, "at most %d zones per key", TSIGKEY_ZONES_MAX);
    for (unsigned i = 0; i < nzones; i++)
        if ((rc = zone_text(zones[i], k.zones[i], d)) != 0)
            return rc;
    if ((rc = authz_admin(st, "TSIG keys", d)) != 0)
        return rc;
    struct tsigkey old;
    struct lana_diag e;
    if ((rc = tsigkey_get(st, k.name, &old, &e)) != LANA_ENOTFOUND)
        return rc == 0 ? diag_set(d, LANA_ECONFLICT, "key %s exists already", k.name)
                       : diag_set(d, rc, "%s", e.msg);
    k.key.alg = alg;
    memcpy(k.key.secret, secret, len);
    k.key.secret_len = len;
    k.all_zones = nzones == 0;
    k.nzones = nzones;
    k.created = (int64_t)time(NULL);
    if ((rc = store_sp_begin(st, d)) != 0)
        return rc;
    rc = add_rows(st, &k, actor, d);
    if ((rc = store_sp_end(st, rc, d)) == 0 && out != NULL)
        rc = tsigkey_get(st, k.name, out, d);
    memset(&k, 0, sizeof k);
    return rc;
}

int tsigkey_del(struct store *st, const char *name, const char *actor, struct lana_diag *d)
{
    struct tsigkey k;
    char text[DNAME_TEXT_MAX];
    int rc = tsigkey_name(name, text, NULL, d);
    if (rc != 0 || (rc = authz_admin(st, "TSIG keys", d)) != 0 ||
        (rc = tsigkey_get(st, text, &k, d)) != 0)
        return rc;
    if ((rc = store_sp_begin(st, d)) != 0)
        return rc;
    sqlite3_stmt *s;
    if ((rc = store__stmt(st, sql_del, &s, d)) == 0) {
        sqlite3_bind_text(s, 1, text, -1, SQLITE_TRANSIENT);
        rc = store__done(st, s, "delete tsig key", d);
    }
    if (rc == 0) {
        struct jsonw j;
        jsonw_init(&j);
        audit_json(&j, &k);
        rc = jsonw_ok(&j) ? audit_add(st, actor, "key.del", text, j.s, NULL, d)
                          : diag_set(d, LANA_ENOMEM, "out of memory");
        jsonw_free(&j);
    }
    memset(&k, 0, sizeof k);
    return store_sp_end(st, rc, d);
}

int tsigkey_get(struct store *st, const char *name, struct tsigkey *out, struct lana_diag *d)
{
    char text[DNAME_TEXT_MAX];
    sqlite3_stmt *s;
    int rc = tsigkey_name(name, text, NULL, d);
    if (rc != 0 || (rc = store__stmt(st, sql_get, &s, d)) != 0)
        return rc;
    sqlite3_bind_text(s, 1, text, -1, SQLITE_TRANSIENT);
    if ((rc = store__row(st, s, "tsig key", d)) <= 0)
        return rc < 0 ? rc : diag_set(d, LANA_ENOTFOUND, "key %s: no such key", text);
    rc = read_row(s, out, d);
    sqlite3_reset(s);
    if (rc == 0 && !out->all_zones)
        rc = read_zones(st, out, d);
    return rc;
}

int tsigkey_list(struct store *st, tsigkey_each_cb *cb, void *arg, struct lana_diag *d)
{
    /* the keys first, then each one's zones: one statement runs at a time */
    struct tsigkey *keys = NULL;
    size_t n = 0, cap = 0;
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_all, &s, d);
    while (rc == 0 && (rc = store__row(st, s, "tsig keys", d)) == 1) {
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 8;
            struct tsigkey *nk = realloc(keys, ncap * sizeof *nk);
            if (nk == NULL) {
                rc = diag_set(d, LANA_ENOMEM, "out of memory");
                sqlite3_reset(s);
                break;
            }
            keys = nk;
            cap = ncap;
        }
        if ((rc = read_row(s, &keys[n], d)) != 0) {
            sqlite3_reset(s);
            break;
        }
        n++;
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (!keys[i].all_zones)
            rc = read_zones(st, &keys[i], d);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = cb(&keys[i], arg);
    if (keys != NULL)
        memset(keys, 0, n * sizeof *keys);
    free(keys);
    return rc;
}

int tsigkey_lookup(struct store *st, const uint8_t *wire, struct tsig_key *out,
                   struct lana_diag *d)
{
    char text[DNAME_TEXT_MAX];
    struct tsigkey k;
    sqlite3_stmt *s;
    dname_to_text(wire, text, sizeof text);
    int rc = store__stmt(st, sql_get, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s, 1, text, -1, SQLITE_TRANSIENT);
    if ((rc = store__row(st, s, "tsig key", d)) == 1) {
        rc = read_row(s, &k, d) == 0 ? 1 : LANA_EDB;
        sqlite3_reset(s);
        if (rc == 1)
            *out = k.key;
        memset(&k, 0, sizeof k);
    }
    store_read_done(st);
    return rc;
}

int tsigkey_may_transfer(struct store *st, const uint8_t *wire, const uint8_t *zone,
                         struct lana_diag *d)
{
    char key[DNAME_TEXT_MAX], zn[DNAME_TEXT_MAX];
    uint8_t z[DNAME_MAXLEN];
    sqlite3_stmt *s;
    dname_to_text(wire, key, sizeof key);
    memcpy(z, zone, dname_len(zone));
    dname_lower(z);
    dname_to_text(z, zn, sizeof zn);
    int rc = store__stmt(st, sql_may, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, zn, -1, SQLITE_TRANSIENT);
    if ((rc = store__row(st, s, "tsig key zone", d)) == 1) {
        rc = sqlite3_column_int(s, 0) != 0;
        sqlite3_reset(s);
    }
    store_read_done(st);
    return rc;
}
