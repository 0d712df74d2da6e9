/*
 * class — see class.h. Creation is a loop of the registry's own calls (account_add,
 * ipam_alloc_new, zone_register), so each object a class makes is exactly what the commands
 * make, with its audit row; the statements are cached by the store, so a class of 1,000 costs
 * 1,000 times a handful of index seeks. The reset finds its objects through the tree of
 * authority first, then takes them away with the registry's calls (zone_del,
 * host_release_block), and removes the accounts itself (there is no command for that yet).
 */
#include "db/class.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/jsonw.h"
#include "db/audit.h"
#include "db/authz.h"
#include "db/host.h"
#include "db/ipam.h"
#include "db/names_int.h"
#include "db/store_int.h"
#include "db/zone.h"

/* the accounts of a class: its registrar, and the accounts it made or sponsors */
#define MEMBERS "(SELECT name FROM account WHERE name = ?1 OR class = ?1 OR sponsor = ?1)"

static const char sql_class_get[] =
    "SELECT name, suffix, students, created FROM class WHERE name = ?1";
static const char sql_class_ins[] =
    "INSERT INTO class (name, suffix, students, created) VALUES (?1, ?2, ?3, ?4)";
static const char sql_class_del[] = "DELETE FROM class WHERE name = ?1";
static const char sql_students[] =
    "SELECT name, enabled FROM account WHERE class = ?1 AND role = 'registrant' ORDER BY name";
/* the blocks at the top of an account's tree: maintained by it, inside one it does not */
static const char sql_top_blocks[] =
    "SELECT b.family, b.start, b.plen FROM block b LEFT JOIN block p ON p.id = b.parent_id"
    " WHERE b.maintainer = ?1 AND b.delegated AND (p.maintainer IS NULL OR p.maintainer <> ?1)"
    " ORDER BY b.family, b.start";
static const char sql_last[] = "SELECT ts FROM audit WHERE account = ?1 AND account <> 'admin'"
                               " ORDER BY id DESC LIMIT 1";
/* the class's zones, deepest first; its blocks at the top of its accounts' trees */
static const char sql_zones[] = "SELECT name FROM zone WHERE sponsor IN " MEMBERS
                                " OR registrant IN " MEMBERS " ORDER BY length(apex) DESC, apex";
static const char sql_blocks[] =
    "SELECT b.family, b.start, b.plen FROM block b LEFT JOIN block p ON p.id = b.parent_id"
    " WHERE b.maintainer IN " MEMBERS " AND b.delegated AND (p.maintainer IS NULL OR"
    " p.maintainer NOT IN " MEMBERS
    ") ORDER BY b.family, b.start";
static const char sql_accounts[] =
    "SELECT name FROM account WHERE name IN " MEMBERS " ORDER BY name = ?1, name";
static const char sql_account_del[] = "DELETE FROM account WHERE name = ?1";

int class_check_name(const char *name, struct lana_diag *d)
{
    size_t n = strlen(name);
    if (n == 0 || n >= CLASS_NAME_MAX)
        return diag_set(d, LANA_EPARSE, "class name: 1 to %d characters", CLASS_NAME_MAX - 1);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0);
        if (!ok)
            return diag_set(d, LANA_EPARSE,
                            "class name %.48s: lower-case letters, digits, and '-' after the "
                            "first (it names a registrar and its students' zones)",
                            name);
    }
    return 0;
}

void class_made_free(struct class_made *m)
{
    if (m->m != NULL)
        memset(m->m, 0, m->n * sizeof *m->m); /* the tokens */
    free(m->m);
    memset(m, 0, sizeof *m);
}

/* ---- create -------------------------------------------------------------------------- */

/* A new account of role with a fresh token (its hex in mb->token), made by the class. */
static int add_account(struct names *n, const char *cls, const char *role, struct class_member *mb,
                       const char *actor, struct lana_diag *d)
{
    struct account a;
    uint8_t tok[AUTH_TOKEN_LEN];
    memset(&a, 0, sizeof a);
    snprintf(a.name, sizeof a.name, "%s", mb->name);
    snprintf(a.role, sizeof a.role, "%s", role);
    snprintf(mb->role, sizeof mb->role, "%s", role);
    snprintf(a.class_name, sizeof a.class_name, "%s", cls);
    if (strcmp(role, "registrant") == 0)
        snprintf(a.sponsor, sizeof a.sponsor, "%s", cls);
    if (auth_random(tok, sizeof tok) != 0)
        return diag_set(d, LANA_EDB, "no random bytes for a token");
    auth_stored_key(tok, a.stored_key);
    auth_hex(tok, sizeof tok, mb->token);
    memset(tok, 0, sizeof tok);
    return account_add(n->st, &a, actor, d);
}

struct pools {
    struct cidr v[64];
    unsigned n;
    int family;
};

static int pool_cb(const struct ipam_block *b, void *arg)
{
    struct pools *p = arg;
    if (b->prefix.family == p->family && p->n < sizeof p->v / sizeof p->v[0])
        p->v[p->n++] = b->prefix;
    return 0;
}

/* The class's block of family (a /plen) from the first root pool with room, to cls. */
static int class_block(struct names *n, int family, unsigned plen, const char *cls,
                       const char *actor, struct cidr *out, struct lana_diag *d)
{
    struct pools p = {.family = family};
    char descr[96];
    int rc = ipam_children(n->ip, NULL, pool_cb, &p, d);
    if (rc != 0)
        return rc;
    if (p.n == 0)
        return diag_set(d, LANA_ENOTFOUND, "no IPv%d pool: add one with 'pool add'", family);
    snprintf(descr, sizeof descr, "class %s", cls); /* fits: CLASS_NAME_MAX */
    struct ipam_new nb = {.status = IPAM_ALLOCATED, .descr = descr, .to = cls};
    struct ipam_block b;
    rc = LANA_EEXHAUSTED;
    for (unsigned i = 0; i < p.n && (rc == LANA_EEXHAUSTED || rc == LANA_ERANGE); i++)
        rc = ipam_alloc_new(n->ip, &p.v[i], plen, &nb, actor, &b, d);
    if (rc == LANA_EEXHAUSTED || rc == LANA_ERANGE)
        return diag_set(d, LANA_EEXHAUSTED, "no IPv%d pool has a free /%u for the class", family,
                        plen);
    if (rc == 0)
        *out = b.prefix;
    return rc;
}

/* One student: its account, its two blocks inside the class's, its zone. */
static int add_student(struct names *n, const struct class_spec *s, const struct class_made *cm,
                       struct class_member *mb, const char *actor, struct lana_diag *d)
{
    int rc = add_account(n, s->name, "registrant", mb, actor, d);
    struct ipam_new nb = {.status = IPAM_ASSIGNED, .descr = mb->name, .to = mb->name};
    struct ipam_block b4, b6;
    if (rc == 0)
        rc = ipam_alloc_new(n->ip, &cm->m[0].v4, s->v4, &nb, actor, &b4, d);
    if (rc == 0)
        rc = ipam_alloc_new(n->ip, &cm->m[0].v6, s->v6, &nb, actor, &b6, d);
    if (rc != 0)
        return rc;
    mb->v4 = b4.prefix;
    mb->v6 = b6.prefix;
    int len = snprintf(mb->zone, sizeof mb->zone, "%s.%s", mb->name, cm->suffix);
    if (len < 0 || (size_t)len >= sizeof mb->zone)
        return diag_set(d, LANA_EPARSE, "%s.%s: name too long", mb->name, cm->suffix);
    struct cidr bl[2] = {b4.prefix, b6.prefix};
    struct zone_info z;
    if ((rc = zone_register(n, mb->zone, mb->name, bl, 2, actor, &z, d)) == 0)
        snprintf(mb->zone, sizeof mb->zone, "%s", z.name);
    return rc;
}

/* bits that number count blocks (at least 1: a student's block lies strictly inside) */
static unsigned bits_for(unsigned count)
{
    unsigned b = 1;
    while ((1u << b) < count)
        b++;
    return b;
}

/* Checks spec; fills the defaults into *s and the suffix's canonical text into cm. */
static int check_spec(const struct class_spec *in, struct class_spec *s, struct class_made *cm,
                      struct lana_diag *d)
{
    uint8_t wire[DNAME_MAXLEN];
    *s = *in;
    s->v4 = s->v4 ? s->v4 : CLASS_V4_DEFAULT;
    s->v6 = s->v6 ? s->v6 : CLASS_V6_DEFAULT;
    s->suffix = s->suffix ? s->suffix : CLASS_SUFFIX_DEFAULT;
    int rc = class_check_name(s->name, d);
    if (rc != 0)
        return rc;
    if (s->students == 0 || s->students > CLASS_STUDENTS_MAX)
        return diag_set(d, LANA_ERANGE, "--students: 1 to %d", CLASS_STUDENTS_MAX);
    unsigned bits = bits_for(s->students);
    if (s->v4 > CIDR_V4_BITS || s->v4 <= bits)
        return diag_set(d, LANA_ERANGE, "--v4 /%u: %u students need /%u..%d", s->v4, s->students,
                        bits + 1, CIDR_V4_BITS);
    if (s->v6 > CIDR_V6_BITS || s->v6 <= bits)
        return diag_set(d, LANA_ERANGE, "--v6 /%u: %u students need /%u..%d", s->v6, s->students,
                        bits + 1, CIDR_V6_BITS);
    if ((rc = host_check_name(s->suffix, d)) != 0 ||
        (rc = names__canonical(s->suffix, wire, cm->suffix, d)) != 0)
        return rc;
    return 0;
}

/* The class row and its audit entry. */
static int record_class(struct names *n, const struct class_spec *s, const struct class_made *cm,
                        const char *actor, struct lana_diag *d)
{
    sqlite3_stmt *st;
    int rc = store__stmt(n->st, sql_class_ins, &st, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, cm->suffix, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, s->students);
    sqlite3_bind_int64(st, 4, (int64_t)time(NULL));
    if ((rc = store__done(n->st, st, "add class", d)) != 0)
        return rc;
    char v4[CIDR_STRLEN], v6[CIDR_STRLEN], after[512];
    cidr_format(&cm->m[0].v4, v4, sizeof v4);
    cidr_format(&cm->m[0].v6, v6, sizeof v6);
    int len = snprintf(after, sizeof after,
                       "{\"name\":\"%s\",\"suffix\":\"%s\",\"students\":%u,\"v4\":\"%s\","
                       "\"v6\":\"%s\"}",
                       s->name, cm->suffix, s->students, v4, v6);
    if (len < 0 || (size_t)len >= sizeof after) /* names checked: letters, digits, '-', '.' */
        return diag_set(d, LANA_ERANGE, "class %s: audit text too long", s->name);
    return audit_add(n->st, actor, "class.add", s->name, NULL, after, d);
}

int class_create(struct names *n, const struct class_spec *spec, const char *actor,
                 struct class_made *out, struct lana_diag *d)
{
    struct class_spec s = *spec;
    struct class_info old;
    memset(out, 0, sizeof *out);
    int rc = authz_admin(n->st, "making a class", d);
    if (rc == 0)
        rc = check_spec(spec, &s, out, d);
    if (rc == 0 && (rc = class_report(n, s.name, &old, NULL, NULL, d)) == 0)
        rc = diag_set(d, LANA_ECONFLICT, "class %s exists", s.name);
    else if (rc == LANA_ENOTFOUND)
        rc = 0;
    if (rc != 0)
        return rc;
    if ((out->m = calloc(s.students + 1u, sizeof *out->m)) == NULL)
        return diag_set(d, LANA_ENOMEM, "out of memory");
    out->n = s.students + 1;
    unsigned bits = bits_for(s.students), width = 1;
    for (unsigned k = s.students; k >= 10; k /= 10)
        width++;
    width = width < 2 ? 2 : width;
    if ((rc = store_sp_begin(n->st, d)) != 0)
        return rc;
    struct zone_info z;
    if ((rc = zone_get(n, out->suffix, &z, d)) == LANA_ENOTFOUND) {
        rc = zone_register(n, out->suffix, NULL, NULL, 0, actor, NULL, d);
        out->suffix_made = rc == 0;
    }
    snprintf(out->m[0].name, sizeof out->m[0].name, "%s", s.name);
    if (rc == 0)
        rc = add_account(n, s.name, "registrar", &out->m[0], actor, d);
    if (rc == 0)
        rc = class_block(n, 4, s.v4 - bits, s.name, actor, &out->m[0].v4, d);
    if (rc == 0)
        rc = class_block(n, 6, s.v6 - bits, s.name, actor, &out->m[0].v6, d);
    for (unsigned i = 1; rc == 0 && i <= s.students; i++) {
        snprintf(out->m[i].name, sizeof out->m[i].name, "%s-%0*u", s.name, (int)width, i);
        rc = add_student(n, &s, out, &out->m[i], actor, d);
    }
    if (rc == 0)
        rc = record_class(n, &s, out, actor, d);
    return store_sp_end(n->st, rc, d);
}

/* ---- report -------------------------------------------------------------------------- */

/* A block row (family, start, plen) as a prefix. */
static void row_cidr(sqlite3_stmt *s, struct cidr *c)
{
    const uint8_t *k = sqlite3_column_blob(s, 1);
    int len = sqlite3_column_bytes(s, 1);
    unsigned __int128 v = 0;
    for (int i = 0; k != NULL && i < len && i < 16; i++)
        v = v << 8 | k[i];
    memset(c, 0, sizeof *c);
    c->family = (uint8_t)sqlite3_column_int(s, 0);
    c->plen = (uint8_t)sqlite3_column_int(s, 2);
    cidr_addr_set_u128(c, v);
}

/* Fills r's blocks, zone and last change (r->name set). */
static int fill_row(struct names *n, const struct class_info *ci, struct class_row *r,
                    struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(n->st, sql_top_blocks, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s, 1, r->name, -1, SQLITE_STATIC);
    while ((rc = store__row(n->st, s, "class blocks", d)) == 1)
        if (r->nblocks < CLASS_ROW_BLOCKS)
            row_cidr(s, &r->blocks[r->nblocks++]);
    sqlite3_reset(s);
    if (rc < 0)
        return rc;
    struct zone_info z;
    char zname[DNAME_TEXT_MAX + ACCOUNT_NAME_MAX];
    snprintf(zname, sizeof zname, "%s.%s", r->name, ci->suffix); /* fits: sized for it */
    if ((rc = zone_get(n, zname, &z, d)) == 0) {
        snprintf(r->zone, sizeof r->zone, "%s", z.name);
        r->hosts = z.hosts;
        r->records = z.records;
    } else if (rc != LANA_ENOTFOUND && rc != LANA_EPARSE) {
        return rc;
    }
    if ((rc = store__stmt(n->st, sql_last, &s, d)) != 0)
        return rc;
    sqlite3_bind_text(s, 1, r->name, -1, SQLITE_STATIC);
    if ((rc = store__row(n->st, s, "class last change", d)) == 1)
        r->last = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return rc < 0 ? rc : 0;
}

/* The students' names and whether each is enabled, read whole (the rows' reads use the
 * statement cache, which resets a statement on reuse). */
struct roster {
    struct class_row *v;
    size_t n, cap;
};

static int read_roster(struct names *n, const char *name, struct roster *ro, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(n->st, sql_students, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    while ((rc = store__row(n->st, s, "class students", d)) == 1) {
        if (ro->n == ro->cap) {
            size_t cap = ro->cap ? ro->cap * 2 : 32;
            struct class_row *v = realloc(ro->v, cap * sizeof *v);
            if (v == NULL) {
                rc = diag_set(d, LANA_ENOMEM, "out of memory");
                break;
            }
            ro->v = v;
            ro->cap = cap;
        }
        struct class_row *r = &ro->v[ro->n++];
        memset(r, 0, sizeof *r);
        const char *nm = (const char *)sqlite3_column_text(s, 0);
        snprintf(r->name, sizeof r->name, "%s", nm ? nm : "");
        r->enabled = sqlite3_column_int(s, 1) != 0;
    }
    sqlite3_reset(s);
    return rc < 0 ? rc : 0;
}

int class_report(struct names *n, const char *name, struct class_info *info, class_row_cb *cb,
                 void *arg, struct lana_diag *d)
{
    sqlite3_stmt *s;
    struct class_info ci;
    int rc = store__stmt(n->st, sql_class_get, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    if ((rc = store__row(n->st, s, "class", d)) == 1) {
        const char *nm = (const char *)sqlite3_column_text(s, 0),
                   *sf = (const char *)sqlite3_column_text(s, 1);
        snprintf(ci.name, sizeof ci.name, "%s", nm ? nm : "");
        snprintf(ci.suffix, sizeof ci.suffix, "%s", sf ? sf : "");
        ci.students = sqlite3_column_int64(s, 2);
        ci.created = sqlite3_column_int64(s, 3);
    }
    sqlite3_reset(s);
    if (rc <= 0)
        return rc < 0 ? rc : diag_set(d, LANA_ENOTFOUND, "class %.64s: no such class", name);
    if (info != NULL)
        *info = ci;
    if (cb == NULL)
        return 0;
    struct roster ro = {0};
    rc = read_roster(n, ci.name, &ro, d);
    for (size_t i = 0; rc == 0 && i < ro.n; i++)
        if ((rc = fill_row(n, &ci, &ro.v[i], d)) == 0)
            rc = cb(&ro.v[i], arg);
    free(ro.v);
    return rc > 0 ? 0 : rc;
}

/* ---- delete -------------------------------------------------------------------------- */

/* Every row of sql (bound to the class name) as text (col 0) or as a prefix. */
struct list {
    char (*names)[DNAME_TEXT_MAX];
    struct cidr *blocks;
    size_t n, cap;
};

static int collect(struct names *n, const char *sql, const char *name, bool blocks, struct list *l,
                   struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(n->st, sql, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    while ((rc = store__row(n->st, s, "class objects", d)) == 1) {
        if (l->n == l->cap) {
            size_t cap = l->cap ? l->cap * 2 : 64;
            void *v = blocks ? realloc(l->blocks, cap * sizeof *l->blocks)
                             : realloc(l->names, cap * sizeof *l->names);
            if (v == NULL) {
                rc = diag_set(d, LANA_ENOMEM, "out of memory");
                break;
            }
            if (blocks)
                l->blocks = v;
            else
                l->names = v;
            l->cap = cap;
        }
        if (blocks) {
            row_cidr(s, &l->blocks[l->n++]);
        } else {
            const char *t = (const char *)sqlite3_column_text(s, 0);
            snprintf(l->names[l->n++], DNAME_TEXT_MAX, "%s", t ? t : "");
        }
    }
    sqlite3_reset(s);
    return rc < 0 ? rc : 0;
}

static void list_free(struct list *l)
{
    free(l->names);
    free(l->blocks);
    memset(l, 0, sizeof *l);
}

static int del_accounts(struct names *n, const char *name, const char *actor, int64_t *count,
                        struct lana_diag *d)
{
    struct list l = {0};
    int rc = collect(n, sql_accounts, name, false, &l, d);
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        sqlite3_stmt *s;
        if ((rc = store__stmt(n->st, sql_account_del, &s, d)) != 0)
            break;
        sqlite3_bind_text(s, 1, l.names[i], -1, SQLITE_STATIC);
        if ((rc = store__done(n->st, s, "delete account", d)) == 0)
            rc = audit_add(n->st, actor, "account.del", l.names[i], NULL, NULL, d);
    }
    *count = (int64_t)l.n;
    list_free(&l);
    return rc;
}

int class_delete(struct names *n, const char *name, const char *actor, struct class_gone *gone,
                 struct lana_diag *d)
{
    struct class_gone g = {0};
    struct class_info ci;
    struct list zones = {0}, blocks = {0};
    int rc = authz_admin(n->st, "resetting a class", d);
    if (rc == 0)
        rc = class_report(n, name, &ci, NULL, NULL, d);
    if (rc != 0)
        return rc;
    if ((rc = collect(n, sql_zones, ci.name, false, &zones, d)) != 0 ||
        (rc = store_sp_begin(n->st, d)) != 0)
        goto out;
    for (size_t i = 0; rc == 0 && i < zones.n; i++) {
        struct zone_info z;
        if ((rc = zone_get(n, zones.names[i], &z, d)) == 0 &&
            (rc = zone_del(n, zones.names[i], true, actor, d)) == 0) {
            g.hosts += z.hosts;
            g.zones++;
        }
    }
    /* the zones' hosts are gone: what blocks remain are found after */
    if (rc == 0)
        rc = collect(n, sql_blocks, ci.name, true, &blocks, d);
    for (size_t i = 0; rc == 0 && i < blocks.n; i++) {
        int64_t rel = 0, hosts = 0;
        rc = host_release_block(n, &blocks.blocks[i], true, actor, &rel, &hosts, d);
        g.blocks += rel;
        g.hosts += hosts;
    }
    if (rc == 0)
        rc = del_accounts(n, ci.name, actor, &g.accounts, d);
    sqlite3_stmt *s;
    if (rc == 0 && (rc = store__stmt(n->st, sql_class_del, &s, d)) == 0) {
        sqlite3_bind_text(s, 1, ci.name, -1, SQLITE_STATIC);
        rc = store__done(n->st, s, "delete class", d);
    }
    if (rc == 0)
        rc = audit_add(n->st, actor, "class.del", ci.name, NULL, NULL, d);
    rc = store_sp_end(n->st, rc, d);
    if (rc == 0 && gone != NULL)
        *gone = g;
out:
    list_free(&zones);
    list_free(&blocks);
    return rc;
}
