/*
 * authz — see authz.h. Every check reads the rows it needs by primary key or index: a walk up
 * the block tree is one seek per level (a registrar allocating inside its own block stops at
 * the first), a walk up the zone tree one seek per label.
 */
#include "db/authz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cidr.h"
#include "common/dname.h"
#include "db/catalog.h"
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

/* What the rule reads of an account. */
struct acct {
    enum authz_role role;
    char sponsor[ACCOUNT_NAME_MAX]; /* "" for none */
    bool enabled;
};

/* The account called name: 1 with *a set, 0 if there is none, LANA_EDB. */
static int account_of(struct store *st, const char *name, struct acct *a, struct lana_diag *d)
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
    if (r == NULL || !authz_role_parse(r, &a->role))
        a->role = AUTHZ_REGISTRANT; /* the CHECK constraint keeps this from happening */
    snprintf(a->sponsor, sizeof a->sponsor, "%s", sp ? sp : "");
    a->enabled = sqlite3_column_int(s, 2) != 0;
    sqlite3_reset(s);
    return 1;
}

int authz_hand_block(struct store *st, const char *to, const char *status, struct lana_diag *d)
{
    struct acct a;
    int rc = account_of(st, to, &a, d);
    if (rc <= 0)
        return rc < 0 ? rc : diag_set(d, LANA_ENOTFOUND, "--to %s: no such account", to);
    if (!a.enabled)
        return diag_set(d, LANA_EPERM, "account %s is disabled: it can hold nothing new", to);
    if (a.role == AUTHZ_REGISTRANT && strcmp(status, "assigned") != 0)
        return diag_set(d, LANA_EPERM,
                        "%s is a registrant: it holds assigned blocks only (block assign, or "
                        "block alloc --assign)",
                        to);
    const struct authz_who *w = st->who;
    if (w == NULL || w->role == AUTHZ_ADMIN || strcmp(w->name, to) == 0)
        return 0;
    if (w->role == AUTHZ_REGISTRAR &&
        (a.role == AUTHZ_REGISTRAR || strcmp(a.sponsor, w->name) == 0))
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
    apex[0] = 0; /* the root's key is empty */
    rc = kl == 0 || (kl <= DNAME_KEY_MAX &&
                 dname_from_key(sqlite3_column_blob(s, 1), (size_t)kl, apex) > 0)
             ? 1
             : diag_set(d, LANA_EDB, "zone %s: bad apex", name);
    sqlite3_reset(s);
    return rc;
}

int authz_zone(struct store *st, int64_t id, struct lana_diag *d)
{
    int guard = catalog_guard(st, id, d); /* lanad's own, admin's neither */
    if (guard != 0)
        return guard;
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

static int deepest_cb(const struct ipam_block *b, void *arg);

/* Whether name lies under in-addr.arpa. or ip6.arpa. (or is one of them). */
static bool in_reverse_tree(const uint8_t *name)
{
    const uint8_t *last2 = NULL, *last1 = NULL;
    for (const uint8_t *p = name; *p != 0; p += *p + 1) {
        last2 = last1;
        last1 = p;
    }
    return last2 != NULL && last1[0] == 4 && memcmp(last1 + 1, "arpa", 4) == 0 &&
           ((last2[0] == 7 && memcmp(last2 + 1, "in-addr", 7) == 0) ||
            (last2[0] == 3 && memcmp(last2 + 1, "ip6", 3) == 0));
}

/* Whether an account name is an admin's: the operator "admin", or any account of role admin
 * (a zone such an account holds is a registry zone). 1, 0, LANA_EDB. */
static int admin_held(struct store *st, const char *name, struct lana_diag *d)
{
    if (strcmp(name, "admin") == 0)
        return 1;
    struct acct a;
    int rc = account_of(st, name, &a, d);
    return rc < 0 ? rc : rc == 1 && a.role == AUTHZ_ADMIN;
}

/*
 * The end of the range of keys at and below key (kl bytes) into hi (DNAME_KEY_MAX + 1
 * bytes): key with its last byte, the end of its last label (0x00), turned into 0x01
 * (dname_key never puts 0x00 in a label); for the root (kl 0) a key above every key.
 * Returns its length.
 */
static size_t keys_below(const uint8_t *key, size_t kl, uint8_t *hi)
{
    if (kl == 0) {
        memset(hi, 0xff, DNAME_KEY_MAX + 1);
        return DNAME_KEY_MAX + 1;
    }
    memcpy(hi, key, kl);
    hi[kl - 1] = 0x01;
    return kl;
}

/* the zones strictly below an apex: one range of the apex index (keys_below) */
static const char sql_zones_under[] = "SELECT id FROM zone WHERE apex > ?1 AND apex < ?2";

/*
 * A new zone at apex must not put the acting account above zones it has no authority over:
 * authority over a zone reaches every zone below it (authz_zone), so registering dept.lab.
 * above someone's x.dept.lab. would hand that zone over. 0, LANA_EPERM, LANA_EDB.
 */
static int below_ok(struct store *st, const uint8_t *apex, const char *text, struct lana_diag *d)
{
    uint8_t key[DNAME_KEY_MAX], end[DNAME_KEY_MAX + 1];
    size_t kl = dname_key(apex, key), el = keys_below(key, kl, end);
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_zones_under, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_blob(s, 1, key, (int)kl, SQLITE_TRANSIENT);
    sqlite3_bind_blob(s, 2, end, (int)el, SQLITE_TRANSIENT);
    while ((rc = store__row(st, s, "zones below", d)) == 1) {
        struct lana_diag why;
        int e = authz_zone(st, sqlite3_column_int64(s, 0), &why);
        if (e != 0) {
            sqlite3_reset(s);
            return e == LANA_EPERM ? diag_set(d, e, "%s would enclose %s", text, why.msg)
                                   : diag_set(d, e, "%s", why.msg);
        }
    }
    return rc;
}

int authz_zone_create(struct store *st, struct ipam *ip, const uint8_t *apex,
                      const char *registrant, struct authz_zone_roles *out, struct lana_diag *d)
{
    const struct authz_who *w = st->who;
    const char *me = w ? w->name : "admin";
    enum authz_role role = w ? w->role : AUTHZ_ADMIN;
    struct acct r = {.role = role, .sponsor = "", .enabled = true}; /* the registrant */
    if (registrant == NULL)
        registrant = me;
    int rc;
    if (strcmp(registrant, me) != 0) {
        if ((rc = account_of(st, registrant, &r, d)) <= 0)
            return rc < 0 ? rc : diag_set(d, LANA_ENOTFOUND, "--for %s: no such account", registrant);
        if (!r.enabled)
            return diag_set(d, LANA_EPERM, "account %s is disabled: it can hold nothing new",
                            registrant);
        if (role == AUTHZ_REGISTRANT)
            return diag_set(d, LANA_EPERM, "%s is a registrant: it registers zones for itself only",
                            me);
        if (role == AUTHZ_REGISTRAR && strcmp(r.sponsor, me) != 0)
            return diag_set(d, LANA_EPERM, "%s is not a customer of %s", registrant, me);
    }
    snprintf(out->registrant, sizeof out->registrant, "%s", registrant);
    /* the sponsoring registrar: whoever registers it, unless admin registers it for someone */
    if (role == AUTHZ_REGISTRAR)
        snprintf(out->sponsor, sizeof out->sponsor, "%s", me);
    else if (role == AUTHZ_ADMIN && r.role == AUTHZ_REGISTRAR)
        snprintf(out->sponsor, sizeof out->sponsor, "%s", registrant);
    else if (role == AUTHZ_ADMIN && r.role == AUTHZ_REGISTRANT && r.sponsor[0])
        snprintf(out->sponsor, sizeof out->sponsor, "%s", r.sponsor);
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
    bool reverse = in_reverse_tree(apex);
    struct cidr p;
    int64_t block = 0;
    /* a reverse zone follows the block that holds its addresses (RIPE's reverse delegation:
     * the most specific inetnum), not the zone above it */
    if (reverse && ip != NULL && cidr_reverse_parse(apex, &p) &&
        (rc = ipam_chain(ip, &p, deepest_cb, &block, d)) < 0 && rc != LANA_ENOTFOUND)
        return rc;
    if (block != 0) {
        if ((rc = authz_block(st, block, true, d)) != 0)
            return rc;
        if (role == AUTHZ_REGISTRANT) { /* sponsored by its own registrar, if it has one */
            struct acct m;
            if ((rc = account_of(st, me, &m, d)) < 0)
                return rc;
            snprintf(out->sponsor, sizeof out->sponsor, "%s",
                     rc == 1 && m.sponsor[0] ? m.sponsor : psp);
        }
        return below_ok(st, apex, text, d);
    }
    /* one label below the root is a top-level zone: admin's, even when `.` is served */
    if (papex[0] == 0)
        return diag_set(d, LANA_EPERM, "%s would be a top-level zone: those are admin's", text);
    /* a registration in a registry zone: one label below a forward zone an admin holds */
    bool child = apex[0] != 0 && dname_equal(apex + apex[0] + 1, papex);
    int registry = admin_held(st, prg, d);
    if (registry < 0)
        return registry;
    if (role == AUTHZ_REGISTRAR && registry && child && !reverse)
        return below_ok(st, apex, text, d);
    struct lana_diag why;
    if ((rc = authz_zone(st, parent, &why)) != 0) {
        if (rc != LANA_EPERM)
            return diag_set(d, rc, "%s", why.msg);
        if (registry && role == AUTHZ_REGISTRAR && !reverse)
            return diag_set(d, LANA_EPERM, "%s: a registrar registers one label below %s", text,
                            pname);
        if (reverse)
            return diag_set(d, LANA_EPERM,
                            "%s: a reverse zone follows the block that holds its addresses, and "
                            "%s maintains none that holds them",
                            text, st->who->name);
        return diag_set(d, LANA_EPERM, "%s lies in %s", text, why.msg);
    }
    if (role == AUTHZ_REGISTRANT) /* a zone below its own: the same sponsor */
        snprintf(out->sponsor, sizeof out->sponsor, "%s", psp);
    return below_ok(st, apex, text, d);
}

/* ---- reverse names ------------------------------------------------------------------------ */

static int deepest_cb(const struct ipam_block *b, void *arg)
{
    *(int64_t *)arg = b->id;
    return 0;
}

int authz_name(struct store *st, struct ipam *ip, int64_t zone, const uint8_t *owner,
               struct lana_diag *d)
{
    int guard = catalog_guard(st, zone, d); /* lanad's own, admin's neither */
    if (guard != 0)
        return guard;
    if (authz_is_admin(st))
        return 0;
    struct cidr p;
    int64_t block = 0;
    if (cidr_reverse_parse(owner, &p)) { /* a PTR follows the block that holds its address */
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
    struct acct a;
    int rc = account_of(st, name, &a, d);
    if (rc <= 0)
        return rc < 0 ? rc : diag_set(d, LANA_ENOTFOUND, "account %s: no such account", name);
    const struct authz_who *w = st->who;
    if (w == NULL || w->role == AUTHZ_ADMIN || (self_ok && strcmp(w->name, name) == 0))
        return 0;
    if (w->role == AUTHZ_REGISTRAR && strcmp(a.sponsor, w->name) == 0)
        return 0;
    return diag_set(d, LANA_EPERM, "account %s is managed by %s: %s may not change it", name,
                    a.sponsor[0] ? a.sponsor : "admin", w->name);
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

/* ---- what an account may change ----------------------------------------------------------- */

static const char *const kind_names[] = {[AUTHZ_KIND_ALL] = "everything",
                                         [AUTHZ_KIND_BLOCK] = "block",
                                         [AUTHZ_KIND_ZONE] = "zone",
                                         [AUTHZ_KIND_REGISTRY] = "registry",
                                         [AUTHZ_KIND_ACCOUNT] = "account"};

const char *authz_kind_name(enum authz_kind k)
{
    return k >= AUTHZ_KIND_ALL && k <= AUTHZ_KIND_ACCOUNT ? kind_names[k] : "?";
}

/*
 * The blocks an account may change: the subtrees of its delegation points (the blocks it
 * maintains whose parent it does not, db/schema.sql: every block it maintains lies in one),
 * each block with the nearest block at or above it that the account maintains (via). The
 * walk starts at the index of delegation points and goes down block_child; UNION drops the
 * second visit of a subtree that lies inside another one of the account's (its rows are the
 * same: via is always the nearest one), so every block comes once.
 */
static const char sql_list_blocks[] =
    "WITH RECURSIVE sub(id, via) AS ("
    " SELECT id, id FROM block WHERE maintainer = ?1 AND delegated"
    " UNION"
    " SELECT b.id, CASE WHEN b.maintainer = ?1 THEN b.id ELSE sub.via END"
    " FROM block b JOIN sub ON b.parent_id = sub.id)"
    " SELECT b.family, b.start, b.plen, v.family, v.start, v.plen, sub.id = sub.via"
    " FROM sub JOIN block b ON b.id = sub.id JOIN block v ON v.id = sub.via"
    " ORDER BY b.family, b.start, b.plen";

static void column_cidr(sqlite3_stmt *s, int col, struct cidr *c)
{
    ipam__make_cidr(sqlite3_column_int(s, col),
                    ipam__key_value(sqlite3_column_blob(s, col + 1),
                                    sqlite3_column_bytes(s, col + 1)),
                    (unsigned)sqlite3_column_int(s, col + 2), c);
}

static int list_blocks(struct store *st, const char *name, authz_list_cb *cb, void *arg,
                       struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_list_blocks, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
    while ((rc = store__row(st, s, "authority of blocks", d)) == 1) {
        struct cidr b, v;
        char bt[CIDR_STRLEN], vt[CIDR_STRLEN], why[CIDR_STRLEN + 40];
        column_cidr(s, 0, &b);
        column_cidr(s, 3, &v);
        ipam__fmt(&b, bt);
        ipam__fmt(&v, vt);
        bool own = sqlite3_column_int(s, 6) != 0;
        snprintf(why, sizeof why, "inside %s maintained by you", vt); /* fits: sized for it */
        struct authz_item it = {AUTHZ_KIND_BLOCK, bt, own ? "maintainer" : why, own ? NULL : vt};
        if ((rc = cb(&it, arg)) != 0)
            break;
    }
    sqlite3_reset(s);
    return rc < 0 ? rc : 0;
}

static const char sql_held_zones[] =
    "SELECT apex FROM zone WHERE sponsor = ?1 OR registrant = ?1 ORDER BY apex";
/* the zones at or below an apex: the keys from key(apex) up to key(apex) with its last byte,
 * the end of the last label (0x00), turned into 0x01 (dname_key never puts 0x00 in a label) */
static const char sql_zones_below[] =
    "SELECT name, apex, sponsor, registrant FROM zone WHERE apex >= ?1 AND apex < ?2"
    " ORDER BY apex";

#define AUTHZ_LABELS 128 /* labels in a name, at most: zones on the way down */

/* A held zone on the way down: its key, to tell what lies below it, and its name. */
struct held {
    uint8_t key[DNAME_KEY_MAX];
    size_t len;
    char name[DNAME_TEXT_MAX];
};

static bool key_below(const void *key, size_t len, const struct held *h)
{
    return len >= h->len && memcmp(key, h->key, h->len) == 0;
}

/* Every zone at or below the held zone whose key is top (len bytes), in canonical order;
 * stack: room for the held zones on the way down (one per label at most). */
static int list_zones_below(struct store *st, const char *name, const uint8_t *top, size_t len,
                            struct held *stack, authz_list_cb *cb, void *arg, struct lana_diag *d)
{
    uint8_t hi[DNAME_KEY_MAX + 1];
    size_t hl = keys_below(top, len, hi);
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_zones_below, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_blob(s, 1, top, (int)len, SQLITE_TRANSIENT);
    sqlite3_bind_blob(s, 2, hi, (int)hl, SQLITE_TRANSIENT);
    unsigned depth = 0;
    while ((rc = store__row(st, s, "authority of zones", d)) == 1) {
        const char *zn = (const char *)sqlite3_column_text(s, 0),
                   *sp = (const char *)sqlite3_column_text(s, 2),
                   *rg = (const char *)sqlite3_column_text(s, 3);
        const void *key = sqlite3_column_blob(s, 1);
        size_t kl = (size_t)sqlite3_column_bytes(s, 1);
        zn = zn ? zn : "?";
        while (depth > 0 && !key_below(key, kl, &stack[depth - 1]))
            depth--;
        bool is_sp = sp && strcmp(sp, name) == 0, is_rg = rg && strcmp(rg, name) == 0;
        char why[DNAME_TEXT_MAX + 80];
        const char *via = NULL;
        if (is_sp && is_rg)
            snprintf(why, sizeof why, "registrant and sponsor");
        else if (is_rg)
            snprintf(why, sizeof why, "registrant (sponsor %.64s)", sp ? sp : "?");
        else if (is_sp)
            snprintf(why, sizeof why, "sponsor (registrant %.64s)", rg ? rg : "?");
        else if (depth > 0)
            snprintf(why, sizeof why, "inside %s you hold", via = stack[depth - 1].name);
        else /* cannot happen: the range starts at a zone it holds */
            continue;
        struct authz_item it = {AUTHZ_KIND_ZONE, zn, why, via};
        if ((is_sp || is_rg) && depth < AUTHZ_LABELS && kl <= DNAME_KEY_MAX) {
            memcpy(stack[depth].key, key, kl);
            stack[depth].len = kl;
            snprintf(stack[depth].name, sizeof stack[depth].name, "%s", zn); /* fits */
            depth++;
        }
        if ((rc = cb(&it, arg)) != 0)
            break;
    }
    sqlite3_reset(s);
    return rc < 0 ? rc : rc > 0 ? 1 : 0;
}

static int list_zones(struct store *st, const char *name, authz_list_cb *cb, void *arg,
                      struct lana_diag *d)
{
    struct held *stack = malloc(AUTHZ_LABELS * sizeof *stack), last = {.len = 0};
    if (stack == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    bool any = false;
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql_held_zones, &s, d);
    if (rc == 0) {
        sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
        while ((rc = store__row(st, s, "zones held", d)) == 1) {
            const void *key = sqlite3_column_blob(s, 0);
            size_t kl = (size_t)sqlite3_column_bytes(s, 0);
            if ((any && key_below(key, kl, &last)) || kl > DNAME_KEY_MAX)
                continue; /* listed already, with the zone it lies in */
            memcpy(last.key, key, kl);
            last.len = kl;
            any = true;
            if ((rc = list_zones_below(st, name, last.key, kl, stack, cb, arg, d)) != 0)
                break;
        }
        sqlite3_reset(s);
    }
    free(stack);
    return rc < 0 ? rc : rc > 0 ? 1 : 0;
}

/* forward zones only: a reverse zone follows the blocks, not the registry's zones */
static const char sql_registry_zones[] =
    "SELECT name FROM zone WHERE (registrant = 'admin' OR registrant IN (SELECT name FROM account"
    " WHERE role = 'admin')) AND name NOT LIKE '%in-addr.arpa.' AND name NOT LIKE '%ip6.arpa.'"
    " ORDER BY apex";
static const char sql_customers[] = "SELECT name FROM account WHERE sponsor = ?1 ORDER BY name";

/* The rows of a one-column statement as items of kind k, the reason pre NAME post (the row's
 * value as NAME when named, else pre alone). */
static int list_names(struct store *st, const char *sql, const char *bind, enum authz_kind k,
                      const char *pre, bool named, const char *post, authz_list_cb *cb, void *arg,
                      struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(st, sql, &s, d);
    if (rc != 0)
        return rc;
    if (bind != NULL)
        sqlite3_bind_text(s, 1, bind, -1, SQLITE_TRANSIENT);
    while ((rc = store__row(st, s, authz_kind_name(k), d)) == 1) {
        const char *v = (const char *)sqlite3_column_text(s, 0);
        char why[DNAME_TEXT_MAX + 100];
        v = v ? v : "?";
        snprintf(why, sizeof why, "%s%s%s", pre, named ? v : "", post); /* fits: a name */
        struct authz_item it = {k, v, why, NULL};
        if ((rc = cb(&it, arg)) != 0)
            break;
    }
    sqlite3_reset(s);
    return rc < 0 ? rc : rc > 0 ? 1 : 0;
}

int authz_list(struct store *st, const char *name, authz_list_cb *cb, void *arg,
               struct lana_diag *d)
{
    struct acct a;
    int rc = account_of(st, name, &a, d);
    if (rc <= 0)
        return rc < 0 ? rc : diag_set(d, LANA_ENOTFOUND, "account %s: no such account", name);
    if (!a.enabled) /* its writes are refused (authz_current) */
        return 0;
    if (a.role == AUTHZ_ADMIN) {
        struct authz_item all = {AUTHZ_KIND_ALL, "everything", "admin: the registry operator",
                                 NULL};
        rc = cb(&all, arg);
        return rc < 0 ? rc : 0;
    }
    if ((rc = list_blocks(st, name, cb, arg, d)) != 0 || (rc = list_zones(st, name, cb, arg, d)) != 0)
        return rc < 0 ? rc : 0;
    if (a.role == AUTHZ_REGISTRAR &&
        (rc = list_names(st, sql_registry_zones, NULL, AUTHZ_KIND_REGISTRY, "register NAME.", true,
                         " for yourself or a customer", cb, arg, d)) != 0)
        return rc < 0 ? rc : 0;
    struct authz_item self = {AUTHZ_KIND_ACCOUNT, name, "yourself: a new token", NULL};
    if ((rc = cb(&self, arg)) != 0)
        return rc < 0 ? rc : 0;
    if (a.role == AUTHZ_REGISTRAR && (rc = list_names(st, sql_customers, name, AUTHZ_KIND_ACCOUNT,
                                                      "your customer", false, "", cb, arg, d)) != 0)
        return rc < 0 ? rc : 0;
    return 0;
}
