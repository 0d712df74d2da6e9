/*
 * authz — see authz.h. Every check reads the rows it needs by primary key or index: a walk up
 * the block tree is one seek per level (a registrar allocating inside its own block stops at
 * the first), a walk up the zone tree one seek per label.
 */
#include "db/authz.h"

#include <stdio.h>
#include <string.h>

#include "common/cidr.h"
#include "common/dname.h"
#include "db/ipam.h"
#include "db/ipam_int.h"
#include "db/store_int.h"

static const char *const role_names[] = {[AUTHZ_REGISTRANT] = "registrant",
                                         [AUTHZ_REGISTRAR] = "registrar",
                                         [AUTHZ_ADMIN] = "admin"};

bool authz_role_parse(const char *s, enum authz_role *out)
{
    for (int r = AUTHZ_REGISTRANT; r <= AUTHZ_ADMIN; r++)
        if (strcmp(s, role_names[r]) == 0) {
            *out = (enum authz_role)r;
            return true;
        }
    return false;
}

const char *authz_role_name(enum authz_role r)
{
    return r >= AUTHZ_REGISTRANT && r <= AUTHZ_ADMIN ? role_names[r] : "?";
}

void authz_act(struct store *st, const struct authz_who *who)
{
    st->who = who;
}

const struct authz_who *authz_actor(const struct store *st)
{
    return st->who;
}

bool authz_is_admin(const struct store *st)
{
    return st->who == NULL || st->who->role == AUTHZ_ADMIN;
}

int authz_admin(struct store *st, const char *what, struct lana_diag *d)
{
    if (authz_is_admin(st))
        return 0;
    return diag_set(d, LANA_EPERM, "%s is admin's (the registry operator's); %s is a %s", what,
                    st->who->name, authz_role_name(st->who->role));
}

/* ---- the block tree ----------------------------------------------------------------------- */

static const char sql_block_up[] =
    "SELECT parent_id, maintainer, family, start, plen FROM block WHERE id = ?1";

int authz_block(struct store *st, int64_t id, bool create, struct lana_diag *d)
{
    if (authz_is_admin(st))
        return 0;
    char first[CIDR_STRLEN] = "", holder[ACCOUNT_NAME_MAX] = "";
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_block_up, &s, d);
    if (rc != 0)
        return rc;
    /* the tree is at most 129 levels deep; the bound only guards a corrupt file's cycle */
    for (int depth = 0; id != 0 && depth <= 129; depth++) {
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, id);
        if ((rc = store__row(st, s, "authority", d)) <= 0)
            return rc < 0 ? rc : diag_set(d, LANA_ENOTFOUND, "block %lld: no such block",
                                          (long long)id);
        const char *m = (const char *)sqlite3_column_text(s, 1);
        if (m != NULL && strcmp(m, st->who->name) == 0) {
            sqlite3_reset(s);
            return 0;
        }
        if (depth == 0) {
            struct cidr c;
            ipam__make_cidr(sqlite3_column_int(s, 2),
                            ipam__key_value(sqlite3_column_blob(s, 3), sqlite3_column_bytes(s, 3)),
                            (unsigned)sqlite3_column_int(s, 4), &c);
            ipam__fmt(&c, first);
            snprintf(holder, sizeof holder, "%s", m ? m : "?"); /* names fit */
        }
        id = sqlite3_column_int64(s, 0);
    }
    sqlite3_reset(s);
    return diag_set(d, LANA_EPERM, "%s is maintained by %s: %s may not %s it", first, holder,
                    st->who->name, create ? "create inside" : "change");
}

static const char sql_account_get[] =
    "SELECT role, sponsor, enabled FROM account WHERE name = ?1";

/* The account called name: 1 with its role and sponsor ("" for none), 0 if none, LANA_EDB. */
static int account_of(struct store *st, const char *name, enum authz_role *role,
                      char sponsor[ACCOUNT_NAME_MAX], bool *enabled, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_account_get, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    if ((rc = store__row(st, s, "account", d)) != 1)
        return rc;
    const char *r = (const char *)sqlite3_column_text(s, 0),
               *sp = (const char *)sqlite3_column_text(s, 1);
    if (r == NULL || !authz_role_parse(r, role))
        *role = AUTHZ_REGISTRANT; /* the CHECK constraint keeps this from happening */
    snprintf(sponsor, ACCOUNT_NAME_MAX, "%s", sp ? sp : "");
    *enabled = sqlite3_column_int(s, 2) != 0;
    sqlite3_reset(s);
    return 1;
}

int authz_hand_block(struct store *st, const char *to, const char *status, struct lana_diag *d)
{
    enum authz_role role;
    char sponsor[ACCOUNT_NAME_MAX];
    bool enabled;
    int rc = account_of(st, to, &role, sponsor, &enabled, d);
    if (rc <= 0)
        return rc < 0 ? rc : diag_set(d, LANA_ENOTFOUND, "--to %s: no such account", to);
    if (!enabled)
        return diag_set(d, LANA_EPERM, "account %s is disabled: it can hold nothing new", to);
    if (role == AUTHZ_REGISTRANT && strcmp(status, "assigned") != 0)
        return diag_set(d, LANA_EPERM,
                        "%s is a registrant: it holds assigned blocks only (block assign, or "
                        "block alloc --assign)",
                        to);
    const struct authz_who *w = st->who;
    if (w == NULL || w->role == AUTHZ_ADMIN || strcmp(w->name, to) == 0)
        return 0;
    if (w->role == AUTHZ_REGISTRAR && (role == AUTHZ_REGISTRAR || strcmp(sponsor, w->name) == 0))
        return 0;
    if (w->role == AUTHZ_REGISTRAR)
        return diag_set(d, LANA_EPERM,
                        "%s is not a customer of %s: a registrar hands blocks to its own "
                        "registrants and to other registrars",
                        to, w->name);
    return diag_set(d, LANA_EPERM, "%s is a registrant: it may not hand blocks to %s", w->name, to);
}

/* ---- the zone tree ------------------------------------------------------------------------ */

static const char sql_zone_id[] = "SELECT name, apex, sponsor, registrant FROM zone WHERE id = ?1";
static const char sql_zone_apex[] = "SELECT id FROM zone WHERE apex = ?1";

/* The zone whose apex is the longest proper ancestor of name (wire): 1 with *id, 0, LANA_EDB. */
static int enclosing_zone(struct store *st, const uint8_t *name, int64_t *id, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_zone_apex, &s, d);
    if (rc != 0)
        return rc;
    for (const uint8_t *p = name; *p != 0;) {
        p += *p + 1;
        uint8_t key[DNAME_KEY_MAX];
        size_t kl = dname_key(p, key);
        sqlite3_reset(s);
        sqlite3_bind_blob(s, 1, key, (int)kl, SQLITE_TRANSIENT);
        if ((rc = store__row(st, s, "enclosing zone", d)) < 0)
            return rc;
        if (rc == 1) {
            *id = sqlite3_column_int64(s, 0);
            sqlite3_reset(s);
            return 1;
        }
    }
    return 0;
}

/* Zone id's name, apex (wire), sponsor and registrant: 1, 0 (no such zone), LANA_EDB. */
static int zone_row(struct store *st, int64_t id, char name[DNAME_TEXT_MAX],
                    uint8_t apex[DNAME_MAXLEN], char sponsor[ACCOUNT_NAME_MAX],
                    char registrant[ACCOUNT_NAME_MAX], struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_zone_id, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    if ((rc = store__row(st, s, "zone", d)) != 1)
        return rc;
    const char *nm = (const char *)sqlite3_column_text(s, 0),
               *sp = (const char *)sqlite3_column_text(s, 2),
               *rg = (const char *)sqlite3_column_text(s, 3);
    snprintf(name, DNAME_TEXT_MAX, "%s", nm ? nm : "?");
    snprintf(sponsor, ACCOUNT_NAME_MAX, "%s", sp ? sp : "");
    snprintf(registrant, ACCOUNT_NAME_MAX, "%s", rg ? rg : "");
    int kl = sqlite3_column_bytes(s, 1);
    rc = kl > 0 && kl <= DNAME_KEY_MAX &&
                 dname_from_key(sqlite3_column_blob(s, 1), (size_t)kl, apex) > 0
             ? 1
             : diag_set(d, LANA_EDB, "zone %s: bad apex", name);
    sqlite3_reset(s);
    return rc;
}

int authz_zone(struct store *st, int64_t id, struct lana_diag *d)
{
    if (authz_is_admin(st))
        return 0;
    char first[DNAME_TEXT_MAX] = "", sp0[ACCOUNT_NAME_MAX] = "", rg0[ACCOUNT_NAME_MAX] = "";
    for (int depth = 0; depth < DNAME_MAXLEN; depth++) {
        char name[DNAME_TEXT_MAX], sp[ACCOUNT_NAME_MAX], rg[ACCOUNT_NAME_MAX];
        uint8_t apex[DNAME_MAXLEN];
        int rc = zone_row(st, id, name, apex, sp, rg, d);
        if (rc <= 0)
            return rc < 0 ? rc : diag_set(d, LANA_ENOTFOUND, "zone %lld: no such zone", (long long)id);
        if (strcmp(sp, st->who->name) == 0 || strcmp(rg, st->who->name) == 0)
            return 0;
        if (depth == 0) {
            memcpy(first, name, sizeof first);
            memcpy(sp0, sp, sizeof sp0);
            memcpy(rg0, rg, sizeof rg0);
        }
        if ((rc = enclosing_zone(st, apex, &id, d)) < 0)
            return rc;
        if (rc == 0)
            break;
    }
    if (strcmp(sp0, rg0) == 0)
        return diag_set(d, LANA_EPERM, "zone %s is held by %s: %s may not change it", first, rg0,
                        st->who->name);
    return diag_set(d, LANA_EPERM, "zone %s is held by %s (sponsor %s): %s may not change it",
                    first, rg0, sp0, st->who->name);
}

int authz_zone_create(struct store *st, const uint8_t *apex, const char *registrant,
                      struct authz_zone_roles *out, struct lana_diag *d)
{
    const struct authz_who *w = st->who;
    const char *me = w ? w->name : "admin";
    enum authz_role role = w ? w->role : AUTHZ_ADMIN, rrole = role;
    char rsponsor[ACCOUNT_NAME_MAX] = "";
    bool enabled = true;
    if (registrant == NULL)
        registrant = me;
    int rc;
    if (strcmp(registrant, me) != 0) {
        if ((rc = account_of(st, registrant, &rrole, rsponsor, &enabled, d)) <= 0)
            return rc < 0 ? rc : diag_set(d, LANA_ENOTFOUND, "--for %s: no such account", registrant);
        if (!enabled)
            return diag_set(d, LANA_EPERM, "account %s is disabled: it can hold nothing new",
                            registrant);
        if (role == AUTHZ_REGISTRANT)
            return diag_set(d, LANA_EPERM, "%s is a registrant: it registers zones for itself only",
                            me);
        if (role == AUTHZ_REGISTRAR && strcmp(rsponsor, me) != 0)
            return diag_set(d, LANA_EPERM, "%s is not a customer of %s", registrant, me);
    }
    snprintf(out->registrant, sizeof out->registrant, "%s", registrant);
    /* the sponsoring registrar: whoever registers it, unless admin registers it for someone */
    if (role == AUTHZ_REGISTRAR)
        snprintf(out->sponsor, sizeof out->sponsor, "%s", me);
    else if (role == AUTHZ_ADMIN && rrole == AUTHZ_REGISTRAR)
        snprintf(out->sponsor, sizeof out->sponsor, "%s", registrant);
    else if (role == AUTHZ_ADMIN && rrole == AUTHZ_REGISTRANT && rsponsor[0])
        snprintf(out->sponsor, sizeof out->sponsor, "%s", rsponsor);
    else
        snprintf(out->sponsor, sizeof out->sponsor, "admin");
    int64_t parent;
    if ((rc = enclosing_zone(st, apex, &parent, d)) < 0)
        return rc;
    char text[DNAME_TEXT_MAX];
    if (dname_to_text(apex, text, sizeof text) < 0)
        snprintf(text, sizeof text, "?");
    if (role == AUTHZ_ADMIN)
        return 0;
    if (rc == 0)
        return diag_set(d, LANA_EPERM, "%s would be a top-level zone: those are admin's", text);
    char pname[DNAME_TEXT_MAX], psp[ACCOUNT_NAME_MAX], prg[ACCOUNT_NAME_MAX];
    uint8_t papex[DNAME_MAXLEN];
    if ((rc = zone_row(st, parent, pname, papex, psp, prg, d)) <= 0)
        return rc < 0 ? rc : diag_set(d, LANA_EDB, "zone %lld vanished", (long long)parent);
    /* a registration in a registry zone: one label below a zone that admin holds */
    bool child = apex[0] != 0 && dname_equal(apex + apex[0] + 1, papex);
    if (role == AUTHZ_REGISTRAR && strcmp(prg, "admin") == 0 && child)
        return 0;
    struct lana_diag why;
    if ((rc = authz_zone(st, parent, &why)) != 0) {
        if (rc != LANA_EPERM)
            return diag_set(d, rc, "%s", why.msg);
        if (strcmp(prg, "admin") == 0 && role == AUTHZ_REGISTRAR)
            return diag_set(d, LANA_EPERM, "%s: a registrar registers one label below %s", text,
                            pname);
        return diag_set(d, LANA_EPERM, "%s lies in %s", text, why.msg);
    }
    if (role == AUTHZ_REGISTRANT) /* a zone below its own: the same sponsor */
        snprintf(out->sponsor, sizeof out->sponsor, "%s", psp);
    return 0;
}

/* ---- reverse names ------------------------------------------------------------------------ */

/* The prefix a reverse name stands for ("7.0.10.in-addr.arpa." is 10.0.7.0/24): true with
 * *out set, false when the name is not one. */
static bool reverse_prefix(const uint8_t *name, struct cidr *out)
{
    const uint8_t *lab[40];
    unsigned n = 0;
    for (const uint8_t *p = name; *p != 0; p += *p + 1) {
        if (n == 40)
            return false;
        lab[n++] = p;
    }
    if (n < 2 || lab[n - 1][0] != 4 || memcmp(lab[n - 1] + 1, "arpa", 4) != 0)
        return false;
    bool v4 = lab[n - 2][0] == 7 && memcmp(lab[n - 2] + 1, "in-addr", 7) == 0;
    bool v6 = lab[n - 2][0] == 3 && memcmp(lab[n - 2] + 1, "ip6", 3) == 0;
    unsigned k = n - 2; /* labels of the address, least significant first */
    memset(out, 0, sizeof *out);
    if (v4 && k <= 4) {
        out->family = 4;
        out->plen = (uint8_t)(8 * k);
        for (unsigned i = 0; i < k; i++) {
            const uint8_t *l = lab[k - 1 - i];
            unsigned v = 0;
            if (l[0] < 1 || l[0] > 3 || (l[0] > 1 && l[1] == '0'))
                return false;
            for (unsigned j = 1; j <= l[0]; j++) {
                if (l[j] < '0' || l[j] > '9')
                    return false;
                v = v * 10 + (unsigned)(l[j] - '0');
            }
            if (v > 255)
                return false;
            out->addr[i] = (uint8_t)v;
        }
        return true;
    }
    if (v6 && k <= 32) {
        out->family = 6;
        out->plen = (uint8_t)(4 * k);
        for (unsigned i = 0; i < k; i++) {
            const uint8_t *l = lab[k - 1 - i];
            int c = l[0] == 1 ? l[1] : -1, v;
            if (c >= '0' && c <= '9')
                v = c - '0';
            else if (c >= 'a' && c <= 'f')
                v = c - 'a' + 10;
            else
                return false;
            out->addr[i / 2] |= (uint8_t)(i % 2 ? v : v << 4);
        }
        return true;
    }
    return false;
}

static int deepest_cb(const struct ipam_block *b, void *arg)
{
    *(int64_t *)arg = b->id;
    return 0;
}

int authz_name(struct store *st, struct ipam *ip, int64_t zone, const uint8_t *owner,
               struct lana_diag *d)
{
    if (authz_is_admin(st))
        return 0;
    struct cidr p;
    int64_t block = 0;
    if (reverse_prefix(owner, &p)) { /* a PTR follows the block that holds its address */
        int rc = ipam_chain(ip, &p, deepest_cb, &block, d);
        if (rc < 0 && rc != LANA_ENOTFOUND)
            return rc;
        if (block != 0)
            return authz_block(st, block, false, d);
    }
    return authz_zone(st, zone, d);
}

/* ---- accounts ----------------------------------------------------------------------------- */

int authz_account(struct store *st, const char *name, bool self_ok, struct lana_diag *d)
{
    enum authz_role role;
    char sponsor[ACCOUNT_NAME_MAX];
    bool enabled;
    int rc = account_of(st, name, &role, sponsor, &enabled, d);
    if (rc <= 0)
        return rc < 0 ? rc : diag_set(d, LANA_ENOTFOUND, "account %s: no such account", name);
    const struct authz_who *w = st->who;
    if (w == NULL || w->role == AUTHZ_ADMIN || (self_ok && strcmp(w->name, name) == 0))
        return 0;
    if (w->role == AUTHZ_REGISTRAR && strcmp(sponsor, w->name) == 0)
        return 0;
    return diag_set(d, LANA_EPERM, "account %s is managed by %s: %s may not change it", name,
                    sponsor[0] ? sponsor : "admin", w->name);
}

static const char sql_current[] = "SELECT enabled, stored_key FROM account WHERE name = ?1";

int authz_current(struct store *st, const uint8_t key[AUTH_KEY_LEN], struct lana_diag *d)
{
    if (st->who == NULL)
        return 0;
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_current, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s, 1, st->who->name, -1, SQLITE_STATIC);
    if ((rc = store__row(st, s, "account", d)) < 0)
        return rc;
    if (rc == 0)
        return diag_set(d, LANA_EPERM, "account %s no longer exists", st->who->name);
    bool enabled = sqlite3_column_int(s, 0) != 0;
    bool same = sqlite3_column_bytes(s, 1) == AUTH_KEY_LEN &&
                memcmp(sqlite3_column_blob(s, 1), key, AUTH_KEY_LEN) == 0;
    sqlite3_reset(s);
    if (!enabled)
        return diag_set(d, LANA_EPERM, "account %s is disabled", st->who->name);
    if (!same)
        return diag_set(d, LANA_EPERM,
                        "the token of %s was replaced: connect again with the new one",
                        st->who->name);
    return 0;
}
