/*
 * authz_model — see authz_model.h. The rule as the issue states it: blocks inside what an
 * account maintains, zones inside what it sponsors or is the registrant of, a reverse name
 * with its block, top-level zones admin's, a registrar's registrations one label below a
 * zone admin holds, tokens of oneself and (for a registrar) of its customers.
 */
#include "tests/unit/authz_model.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/host.h"
#include "db/ipam.h"
#include "db/rrset.h"
#include "db/store_int.h"
#include "db/zone.h"

static uint64_t rnd(struct world *w)
{
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return w->rng;
}
static int pick(struct world *w, int n) { return (int)(rnd(w) % (uint64_t)n); }

static const char *role_name(int r)
{
    return r == ADMIN ? "admin" : r == REGISTRAR ? "registrar" : "registrant";
}

/* the issue: a block's maintainer, or the maintainer of an enclosing block, may change it and
 * create inside it; root pools are admin's, and admin may everything */
static bool block_auth(const struct world *w, int who, int b)
{
    if (w->a[who].role == ADMIN)
        return true;
    for (; b >= 0; b = w->b[b].parent)
        if (w->b[b].mnt == who)
            return true;
    return false;
}

/* handing a new block of status st to account to: admin to anyone, a registrar to itself, its
 * customers and other registrars, a registrant to itself; a registrant holds assigned blocks
 * only; a disabled account holds nothing new */
static bool hand_ok(const struct world *w, int who, int to, int st)
{
    const struct m_acct *t = &w->a[to];
    if (!t->enabled || (t->role == REGISTRANT && st != IPAM_ASSIGNED))
        return false;
    if (w->a[who].role == ADMIN || who == to)
        return true;
    return w->a[who].role == REGISTRAR && (t->role == REGISTRAR || t->sponsor == who);
}

/* name is at or below zone name z (text, canonical) */
static bool name_below(const char *name, const char *z, bool proper)
{
    size_t n = strlen(name), k = strlen(z);
    if (strcmp(z, ".") == 0)
        return !proper || strcmp(name, ".") != 0;
    if (n == k)
        return !proper && strcmp(name, z) == 0;
    return n > k && strcmp(name + n - k, z) == 0 && name[n - k - 1] == '.';
}

/* the deepest zone at (or, proper, strictly above) name */
static int zone_of(const struct world *w, const char *name, bool proper)
{
    int best = -1;
    for (int i = 0; i < w->nz; i++)
        if (w->z[i].alive && name_below(name, w->z[i].name, proper) &&
            (best < 0 || strlen(w->z[i].name) > strlen(w->z[best].name)))
            best = i;
    return best;
}

/* the issue: a zone's registrant and its sponsoring registrar manage what is inside it, and
 * so does whoever holds authority over the zone it lies in */
static bool zone_auth(const struct world *w, int who, int z)
{
    if (w->a[who].role == ADMIN)
        return true;
    for (; z >= 0; z = zone_of(w, w->z[z].name, true))
        if (w->z[z].sponsor == who || w->z[z].registrant == who)
            return true;
    return false;
}

/* the deepest block containing (or equal to) p */
static int block_of(const struct world *w, const struct cidr *p)
{
    int best = -1;
    for (int i = 0; i < w->nb; i++)
        if (w->b[i].alive && cidr_contains(&w->b[i].p, p) &&
            (best < 0 || w->b[i].p.plen > w->b[best].p.plen))
            best = i;
    return best;
}

static void kill_block(struct world *w, int b)
{
    w->b[b].alive = false;
    for (int i = 0; i < w->nb; i++)
        if (w->b[i].alive && w->b[i].parent == b)
            kill_block(w, i);
}

static int add_block(struct world *w, const struct cidr *p, int parent, int st, int mnt)
{
    assert_true(w->nb < MAXB);
    w->b[w->nb] = (struct m_block){*p, parent, st, mnt, true};
    return w->nb++;
}

/* ---- the world -------------------------------------------------------------------------- */

struct store *model_store(struct world *w) { return w->db->st; }

static int sql_int(struct world *w, const char *sql)
{
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_prepare_v2(model_store(w)->db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return v;
}

static void add_account(struct world *w, int i, const char *name, int role, int sponsor)
{
    struct m_acct *a = &w->a[i];
    snprintf(a->name, sizeof a->name, "%s", name);
    a->role = role;
    a->sponsor = sponsor;
    a->enabled = true;
    for (int k = 0; k < AUTH_KEY_LEN; k++)
        a->key[k] = (uint8_t)(i * 31 + k);
    snprintf(a->who.name, sizeof a->who.name, "%s", name);
    a->who.role = role == ADMIN ? AUTHZ_ADMIN : role == REGISTRAR ? AUTHZ_REGISTRAR : AUTHZ_REGISTRANT;
    struct account acc = {.enabled = true};
    snprintf(acc.name, sizeof acc.name, "%s", name);
    snprintf(acc.role, sizeof acc.role, "%s", role_name(role));
    memcpy(acc.stored_key, a->key, AUTH_KEY_LEN);
    if (sponsor >= 0)
        snprintf(acc.sponsor, sizeof acc.sponsor, "%s", w->a[sponsor].name);
    struct lana_diag d;
    authz_act(model_store(w), NULL);
    if (account_add(model_store(w), &acc, "test", &d) != 0)
        fail_msg("account add %s: %s", name, d.msg);
}

void model_disable(struct world *w, int i)
{
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE account SET enabled = 0 WHERE name = '%s'", w->a[i].name);
    assert_int_equal(sqlite3_exec(model_store(w)->db, sql, NULL, NULL, NULL), SQLITE_OK);
    w->a[i].enabled = false;
}

/* admin; registrars reg1-reg3; registrants stu1-stu7 (customers of a random registrar or
 * admin's); ghost, a disabled customer of reg1 that may be named but holds nothing new */
struct world *model_world_new(uint64_t seed)
{
    struct world *w = calloc(1, sizeof *w);
    assert_non_null(w);
    assert_int_equal(testdb_names_open(&w->db), 0);
    w->rng = seed * 2654435761u + 1;
    add_account(w, 0, "admin", ADMIN, -1);
    for (int i = 1; i <= 3; i++) {
        char n[16];
        snprintf(n, sizeof n, "reg%d", i);
        add_account(w, i, n, REGISTRAR, -1);
    }
    for (int i = 4; i < NACCT - 1; i++) {
        char n[16];
        snprintf(n, sizeof n, "stu%d", i - 3);
        int sp = pick(w, 4);
        add_account(w, i, n, REGISTRANT, sp == 0 ? -1 : sp);
    }
    add_account(w, NACCT - 1, "ghost", REGISTRANT, 1);
    model_disable(w, NACCT - 1);
    struct cidr p4, p6, r4, r6;
    cidr_parse("198.18.0.0/15", &p4, NULL);
    cidr_parse("2001:db8::/32", &p6, NULL);
    cidr_parse("198.0.0.0/8", &r4, NULL);
    r6 = p6;
    add_block(w, &p4, -1, IPAM_POOL, 0);
    add_block(w, &p6, -1, IPAM_POOL, 0);
    w->z[0] = (struct m_zone){"198.in-addr.arpa.", 0, 0, r4, true};
    w->z[1] = (struct m_zone){"8.b.d.0.1.0.0.2.ip6.arpa.", 0, 0, r6, true};
    w->nz = 2;
    return w;
}

void model_world_free(struct world *w)
{
    testdb_names_close(w->db);
    free(w);
}

/* ---- operations ------------------------------------------------------------------------- */

/* A random prefix of plen inside p (aligned), or an address when plen is the family's width. */
static void random_inside(struct world *w, const struct cidr *p, unsigned plen, struct cidr *out)
{
    unsigned __int128 base = cidr_addr_u128(p), span = cidr_size_minus1(p);
    unsigned bits = cidr_bits(p);
    unsigned __int128 off = ((unsigned __int128)rnd(w) << 64 | rnd(w)) & span;
    unsigned __int128 unit = plen >= bits ? 1 : (unsigned __int128)1 << (bits - plen);
    *out = *p;
    out->plen = (uint8_t)plen;
    cidr_addr_set_u128(out, base + off / unit * unit);
}

static int random_block(struct world *w, bool pools)
{
    for (int tries = 0; tries < 1000; tries++) {
        int b = pick(w, w->nb);
        if (w->b[b].alive && (pools || w->b[b].status != IPAM_POOL))
            return b;
    }
    return -1;
}

static int random_zone(struct world *w, bool reverse_too)
{
    for (int tries = 0; tries < 1000; tries++) {
        int z = pick(w, w->nz);
        if (w->z[z].alive && (reverse_too || w->z[z].rev.family == 0))
            return z;
    }
    return -1;
}

/* One operation by account who, its verdict checked against the model's. */
struct op {
    enum verdict expect;
    const char *what;
    char text[2 * DNAME_TEXT_MAX + 100];
    struct lana_diag d;
};

static int op_block_new(struct world *w, int who, struct op *o, bool take)
{
    int p = random_block(w, true);
    if (p < 0)
        return NOOP;
    unsigned bits = cidr_bits(&w->b[p].p), plen = w->b[p].p.plen + 1 + (unsigned)pick(w, 5);
    if (plen > (bits == 32 ? 30u : 64u))
        return NOOP;
    int statuses[] = {IPAM_ALLOCATED, IPAM_ALLOCATED, IPAM_ASSIGNED, IPAM_ASSIGNED, IPAM_RESERVED};
    int status = statuses[pick(w, 5)], to = pick(w, 2) ? -1 : pick(w, NACCT);
    struct cidr x = w->b[p].p;
    int parent = p;
    bool in_way = false, exists = false;
    if (take) {
        random_inside(w, &w->b[p].p, plen, &x);
        parent = block_of(w, &x);
        for (int i = 0; i < w->nb; i++)
            in_way |= w->b[i].alive && cidr_overlaps(&w->b[i].p, &x) && !cidr_contains(&w->b[i].p, &x);
        exists = w->b[parent].p.plen == x.plen;
    }
    /* one who may not create inside learns nothing more: not that the block is assigned or
     * reserved, nor that the prefix is registered or something is in the way */
    const struct m_block *pb = &w->b[parent];
    o->expect = !block_auth(w, who, parent)                                 ? DENY
                : exists                                                     ? STRUCT
                : pb->status == IPAM_RESERVED || pb->status == IPAM_ASSIGNED ? STRUCT
                : to >= 0 && !hand_ok(w, who, to, status)                    ? DENY
                : in_way                                                     ? STRUCT
                                                                             : ALLOW;
    struct ipam_new nb = {.status = (enum ipam_status)status, .to = to >= 0 ? w->a[to].name : NULL};
    struct ipam_block out;
    char pt[CIDR_STRLEN], xt[CIDR_STRLEN];
    cidr_format(&pb->p, pt, sizeof pt);
    cidr_format(&x, xt, sizeof xt);
    snprintf(o->text, sizeof o->text, "%s %s /%u %s --to %s", take ? "take" : "alloc",
             take ? xt : pt, plen, ipam_status_name(nb.status), to >= 0 ? w->a[to].name : "-");
    int rc = take ? ipam_take_new(w->db->ip, &x, &nb, "t", &out, &o->d)
                  : ipam_alloc_new(w->db->ip, &pb->p, plen, &nb, "t", &out, &o->d);
    if (rc == 0) {
        int mnt = to >= 0 ? to : who;
        assert_string_equal(out.maintainer, w->a[mnt].name);
        assert_int_equal(block_of(w, &out.prefix), parent);
        add_block(w, &out.prefix, parent, status, mnt);
    }
    return rc;
}

static int op_block_change(struct world *w, int who, struct op *o, bool release)
{
    int b = random_block(w, !release);
    if (b < 0)
        return NOOP;
    o->expect = block_auth(w, who, b) ? ALLOW : DENY;
    char t[CIDR_STRLEN];
    cidr_format(&w->b[b].p, t, sizeof t);
    snprintf(o->text, sizeof o->text, "%s %s", release ? "release" : "update", t);
    int rc = release ? host_release_block(w->db->nm, &w->b[b].p, true, "t", NULL, NULL, &o->d)
                     : ipam_update(w->db->ip, &w->b[b].p, NULL, "changed", "t", NULL, &o->d);
    if (rc == 0 && release) {
        for (int i = 0; i < w->nh; i++)
            if (w->h[i].alive && cidr_contains(&w->b[b].p, &w->b[w->h[i].block].p))
                w->h[i].alive = false;
        kill_block(w, b);
    }
    return rc;
}

static int op_host_add(struct world *w, int who, struct op *o)
{
    int z = random_zone(w, false), b = random_block(w, true);
    if (z < 0 || b < 0 || w->nh == MAXH)
        return NOOP;
    struct cidr a;
    random_inside(w, &w->b[b].p, cidr_bits(&w->b[b].p), &a);
    int parent = block_of(w, &a);
    bool taken = w->b[parent].p.plen == a.plen;
    char name[DNAME_TEXT_MAX], at[CIDR_STRLEN];
    if (snprintf(name, sizeof name, "h%d.%s", ++w->serial, w->z[z].name) >= (int)sizeof name)
        return NOOP; /* the zone's name is too long for one more label */
    cidr_format_addr(&a, at, sizeof at);
    snprintf(o->text, sizeof o->text, "host add %s %s", name, at);
    o->expect = !zone_auth(w, who, z) || !block_auth(w, who, parent)     ? DENY
                : taken || w->b[parent].status == IPAM_RESERVED             ? STRUCT
                                                                            : ALLOW;
    struct host_addr_spec none = {HOST_ADDR_NONE, {0}, false}, given = {HOST_ADDR_GIVEN, a, false};
    int rc = host_add(w->db->nm, name, a.family == 4 ? &given : &none,
                      a.family == 6 ? &given : &none, NULL, "t", NULL, &o->d);
    if (rc == 0) {
        int ab = add_block(w, &a, parent, IPAM_ASSIGNED, who);
        struct m_host *h = &w->h[w->nh++];
        snprintf(h->name, sizeof h->name, "%s", name);
        h->zone = z;
        h->block = ab;
        h->alive = true;
    }
    return rc;
}

static void kill_host(struct world *w, int h)
{
    w->h[h].alive = false;
    if (w->b[w->h[h].block].alive) /* its address goes with it */
        kill_block(w, w->h[h].block);
}

static int op_host_del(struct world *w, int who, struct op *o)
{
    int h = pick(w, w->nh > 0 ? w->nh : 1);
    if (w->nh == 0 || !w->h[h].alive)
        return NOOP;
    snprintf(o->text, sizeof o->text, "host del %s", w->h[h].name);
    o->expect = zone_auth(w, who, w->h[h].zone) ? ALLOW : DENY;
    int rc = host_del(w->db->nm, w->h[h].name, "t", &o->d);
    if (rc == 0)
        kill_host(w, h);
    return rc;
}

static int op_zone_add(struct world *w, int who, struct op *o)
{
    if (w->nz == MAXZ)
        return NOOP;
    int r = pick(w, 5) < 3 ? who : pick(w, NACCT), parent;
    struct m_zone nz = {.registrant = r, .alive = true};
    int k = pick(w, 20);
    if (k == 0) { /* a top-level zone */
        snprintf(nz.name, sizeof nz.name, "t%d.", ++w->serial);
    } else if (k == 1) { /* a reverse zone one label below 198.in-addr.arpa. */
        int oct = 18 + pick(w, 2);
        snprintf(nz.name, sizeof nz.name, "%d.198.in-addr.arpa.", oct);
        if (zone_of(w, nz.name, false) >= 0 && strcmp(w->z[zone_of(w, nz.name, false)].name, nz.name) == 0)
            return NOOP;
        char p[32];
        snprintf(p, sizeof p, "198.%d.0.0/16", oct);
        cidr_parse(p, &nz.rev, NULL);
    } else {
        int pz = random_zone(w, false);
        if (pz < 0)
            return NOOP;
        if (snprintf(nz.name, sizeof nz.name, "z%d.%s", ++w->serial, w->z[pz].name) >=
            (int)sizeof nz.name)
            return NOOP;
    }
    parent = zone_of(w, nz.name, true);
    const struct m_acct *W = &w->a[who], *R = &w->a[r];
    bool child = parent >= 0 && strcmp(strchr(nz.name, '.') + 1, w->z[parent].name) == 0;
    if (r != who && (!R->enabled || W->role == REGISTRANT || (W->role == REGISTRAR && R->sponsor != who)))
        o->expect = DENY;
    else if (W->role == ADMIN)
        o->expect = ALLOW;
    else if (parent < 0)
        o->expect = DENY;
    else if (nz.rev.family != 0 && block_of(w, &nz.rev) >= 0) /* reverse: its block decides */
        o->expect = block_auth(w, who, block_of(w, &nz.rev)) ? ALLOW : DENY;
    else if (W->role == REGISTRAR && w->z[parent].registrant == 0 && child &&
             w->z[parent].rev.family == 0 && strstr(w->z[parent].name, ".arpa.") == NULL)
        o->expect = ALLOW;
    else
        o->expect = zone_auth(w, who, parent) ? ALLOW : DENY;
    /* its sponsoring registrar: whoever registers it; admin's registration is sponsored by
     * the registrant's registrar (or the registrar itself); a registrant's zone below its own
     * keeps that zone's sponsor */
    nz.sponsor = W->role == REGISTRAR                         ? who
                 : W->role == ADMIN && R->role == REGISTRAR   ? r
                 : W->role == ADMIN && R->role == REGISTRANT && R->sponsor >= 0 ? R->sponsor
                 : W->role == ADMIN || parent < 0                               ? 0
                                                                               : w->z[parent].sponsor;
    snprintf(o->text, sizeof o->text, "zone add %s --for %s", nz.name, R->name);
    struct zone_info zi;
    int rc = zone_register(w->db->nm, nz.name, r == who ? NULL : R->name, NULL, 0, "t", &zi, &o->d);
    if (rc == 0) {
        assert_string_equal(zi.registrant, R->name);
        assert_string_equal(zi.sponsor, w->a[nz.sponsor].name);
        w->z[w->nz++] = nz;
    }
    return rc;
}

static int op_zone_del(struct world *w, int who, struct op *o)
{
    int z = random_zone(w, true);
    if (z < 0)
        return NOOP;
    snprintf(o->text, sizeof o->text, "zone del %s", w->z[z].name);
    o->expect = zone_auth(w, who, z) ? ALLOW : DENY;
    int rc = zone_del(w->db->nm, w->z[z].name, true, "t", &o->d);
    if (rc == 0) {
        w->z[z].alive = false;
        for (int i = 0; i < w->nh; i++)
            if (w->h[i].alive && w->h[i].zone == z)
                kill_host(w, i);
    }
    return rc;
}

/* A TXT record at a zone's apex, at a new name in a forward zone, or at the reverse name of
 * an address: a reverse name follows the block that holds its address, any other its zone. */
static int op_record(struct world *w, int who, struct op *o)
{
    char owner[DNAME_TEXT_MAX];
    struct cidr rev = {0};
    int k = pick(w, 3);
    if (k == 0) {
        int z = random_zone(w, true);
        if (z < 0)
            return NOOP;
        snprintf(owner, sizeof owner, "%s", w->z[z].name);
        rev = w->z[z].rev;
    } else if (k == 1) {
        int z = random_zone(w, false);
        if (z < 0)
            return NOOP;
        if (snprintf(owner, sizeof owner, "r%d.%s", ++w->serial, w->z[z].name) >=
            (int)sizeof owner)
            return NOOP;
    } else {
        int b = random_block(w, true);
        if (b < 0)
            return NOOP;
        random_inside(w, &w->b[b].p, cidr_bits(&w->b[b].p), &rev);
        if (cidr_reverse_name(&rev, owner, sizeof owner) < 0)
            return NOOP;
    }
    int z = zone_of(w, owner, false), b = rev.family ? block_of(w, &rev) : -1;
    if (z < 0)
        return NOOP;
    o->expect = (b >= 0 ? block_auth(w, who, b) : zone_auth(w, who, z)) ? ALLOW : DENY;
    char data[32];
    snprintf(data, sizeof data, "t%d", ++w->serial);
    snprintf(o->text, sizeof o->text, "record add %s TXT %s", owner, data);
    return rrset_add(w->db->nm, owner, "TXT", data, "t", &o->d);
}

static int op_token(struct world *w, int who, struct op *o)
{
    int t = pick(w, NACCT);
    snprintf(o->text, sizeof o->text, "account token %s", w->a[t].name);
    o->expect = w->a[who].role == ADMIN || who == t ||
                        (w->a[who].role == REGISTRAR && w->a[t].sponsor == who)
                    ? ALLOW
                    : DENY;
    return authz_account(model_store(w), w->a[t].name, true, &o->d);
}

/* Runs one random operation by a random enabled account; false when none was made. */
static bool step(struct world *w, int weights_admin)
{
    int who = pick(w, 100) < weights_admin ? 0 : 1 + pick(w, NACCT - 2);
    struct op o = {.expect = ALLOW};
    int k = pick(w, 100);
    bool deny_dump = true; /* the dump is cheap enough at this size to take every time */
    char *before = deny_dump ? testdb_dump(model_store(w)) : NULL;
    int changes = sqlite3_total_changes(model_store(w)->db);
    authz_act(model_store(w), &w->a[who].who);
    int rc = k < 18   ? op_block_new(w, who, &o, false)
             : k < 30 ? op_block_new(w, who, &o, true)
             : k < 38 ? op_block_change(w, who, &o, true)
             : k < 48 ? op_block_change(w, who, &o, false)
             : k < 63 ? op_host_add(w, who, &o)
             : k < 68 ? op_host_del(w, who, &o)
             : k < 80 ? op_zone_add(w, who, &o)
             : k < 83 ? op_zone_del(w, who, &o)
             : k < 95 ? op_record(w, who, &o)
                      : op_token(w, who, &o);
    authz_act(model_store(w), NULL);
    if (rc == NOOP) {
        free(before);
        return false;
    }
    w->tried[o.expect]++;
    if ((o.expect == DENY) != (rc == LANA_EPERM) || (o.expect == STRUCT && rc == 0))
        fail_msg("%s by %s (%s): the model says %s, the registry %d (%s)", o.text,
                 w->a[who].name, role_name(w->a[who].role),
                 o.expect == ALLOW ? "allowed" : o.expect == DENY ? "refused" : "a conflict", rc,
                 rc ? o.d.msg : "done");
    if (o.expect == ALLOW && rc == 0)
        w->got[ALLOW]++;
    if (rc == LANA_EPERM) { /* a refusal wrote nothing at all: no change, no audit row */
        assert_int_equal(sqlite3_total_changes(model_store(w)->db), changes);
        char *after = testdb_dump(model_store(w));
        assert_string_equal(before, after);
        free(after);
    }
    free(before);
    return true;
}

/* The registry holds what the model holds: every block with its maintainer, every zone with
 * its sponsor and registrant, every host. */
static void same_as_model(struct world *w)
{
    int nb = 0, nz = 0, nh = 0;
    struct lana_diag d;
    for (int i = 0; i < w->nb; i++) {
        if (!w->b[i].alive)
            continue;
        nb++;
        struct ipam_block b;
        assert_int_equal(ipam_get(w->db->ip, &w->b[i].p, &b, &d), 0);
        assert_string_equal(b.maintainer, w->a[w->b[i].mnt].name);
    }
    for (int i = 0; i < w->nz; i++) {
        if (!w->z[i].alive)
            continue;
        nz++;
        struct zone_info z;
        assert_int_equal(zone_get(w->db->nm, w->z[i].name, &z, &d), 0);
        assert_string_equal(z.sponsor, w->a[w->z[i].sponsor].name);
        assert_string_equal(z.registrant, w->a[w->z[i].registrant].name);
    }
    for (int i = 0; i < w->nh; i++)
        nh += w->h[i].alive;
    assert_int_equal(sql_int(w, "SELECT count(*) FROM block"), nb);
    assert_int_equal(sql_int(w, "SELECT count(*) FROM zone"), nz);
    assert_int_equal(sql_int(w, "SELECT count(*) FROM host"), nh);
}

/* ---- authz_list against the model ------------------------------------------------------- */


void model_seen_add(struct names_seen *s, const char *kind, const char *name)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->v = realloc(s->v, (size_t)s->cap * sizeof *s->v);
        assert_non_null(s->v);
    }
    snprintf(s->v[s->n++], sizeof s->v[0], "%s %s", kind, name);
}

static int by_text(const void *a, const void *b) { return strcmp(a, b); }

char *model_seen_text(struct names_seen *s)
{
    if (s->n > 0)
        qsort(s->v, (size_t)s->n, sizeof s->v[0], by_text);
    size_t len = 1, at = 0;
    for (int i = 0; i < s->n; i++)
        len += strlen(s->v[i]) + 1;
    char *t = calloc(1, len);
    assert_non_null(t);
    for (int i = 0; i < s->n; i++) {
        size_t k = strlen(s->v[i]);
        memcpy(t + at, s->v[i], k);
        t[at + k] = '\n';
        at += k + 1;
    }
    free(s->v);
    *s = (struct names_seen){0};
    return t;
}

int model_list_cb(const struct authz_item *it, void *arg)
{
    model_seen_add(arg, authz_kind_name(it->kind), it->name);
    return 0;
}

/* What the model says account i may change, in authz_list's words. */
static char *model_list(struct world *w, int i)
{
    struct names_seen s = {0};
    const struct m_acct *a = &w->a[i];
    if (!a->enabled)
        return model_seen_text(&s);
    if (a->role == ADMIN) {
        model_seen_add(&s, "everything", "everything");
        return model_seen_text(&s);
    }
    for (int b = 0; b < w->nb; b++)
        if (w->b[b].alive && block_auth(w, i, b)) {
            char t[CIDR_STRLEN];
            cidr_format(&w->b[b].p, t, sizeof t);
            model_seen_add(&s, "block", t);
        }
    for (int z = 0; z < w->nz; z++) {
        if (w->z[z].alive && zone_auth(w, i, z))
            model_seen_add(&s, "zone", w->z[z].name);
        /* a registry zone is a forward one: below a reverse zone, the blocks decide */
        if (w->z[z].alive && a->role == REGISTRAR && w->z[z].registrant == 0 &&
            strstr(w->z[z].name, ".arpa.") == NULL)
            model_seen_add(&s, "registry", w->z[z].name);
    }
    model_seen_add(&s, "account", a->name);
    for (int k = 0; k < NACCT; k++)
        if (a->role == REGISTRAR && w->a[k].sponsor == i)
            model_seen_add(&s, "account", w->a[k].name);
    return model_seen_text(&s);
}

void model_lists_match(struct world *w)
{
    for (int i = 0; i < NACCT; i++) {
        struct names_seen s = {0};
        struct lana_diag d;
        assert_int_equal(authz_list(model_store(w), w->a[i].name, model_list_cb, &s, &d), 0);
        char *got = model_seen_text(&s), *want = model_list(w, i);
        if (strcmp(got, want) != 0)
            fail_msg("authority of %s:\n%s\nthe model:\n%s", w->a[i].name, got, want);
        free(got);
        free(want);
    }
}

uint64_t model_seed_base(void)
{
    const char *s = getenv("LANA_AUTHZ_SEED");
    return s ? strtoull(s, NULL, 10) : 1;
}

struct world *model_grown(uint64_t seed, int ops)
{
    struct world *w = model_world_new(seed);
    struct lana_diag d;
    /* one transaction for the whole walk: each operation is a savepoint inside it, as in a
     * batch, and the disk is not synced after every one */
    assert_int_equal(store_begin(model_store(w), &d), 0);
    /* admin acts more at first: the registry starts as admin's */
    for (int made = 0, n = 0; made < ops && n < ops * 4; n++) {
        if (!step(w, made < ops / 10 ? 60 : 12))
            continue;
        if (++made % 50 == 0) {
            same_as_model(w);
            model_lists_match(w);
        }
    }
    same_as_model(w);
    model_lists_match(w);
    assert_int_equal(store_commit(model_store(w), &d), 0);
    return w;
}
