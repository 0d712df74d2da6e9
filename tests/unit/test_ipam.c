/*
 * Unit tests of db/ipam: the allocation engine, by hand-made cases and by a randomized run of
 * 100k mixed operations checked after every step against a plain in-memory model (a list of
 * blocks, free space recomputed from scratch): no overlap, strict nesting, alignment,
 * free + used = parent size, and the same answers (best fit, refusals) as the model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cidr.h"
#include "common/jsonw.h"
#include "db/audit.h"
#include "db/check.h"
#include "db/ipam.h"
#include "db/store.h"
#include "db/store_int.h"
#include "tests/lib/testdb.h"

typedef unsigned __int128 u128;

struct fix {
    struct testdb t;
    struct store *st;
    struct ipam *ip;
};

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof *f);
    if (f == NULL || testdb_make(&f->t) != 0 || store_open(f->t.path, &f->st, NULL, NULL) != 0 ||
        ipam_open(f->st, &f->ip, NULL) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;
    ipam_close(f->ip);
    store_close(f->st);
    testdb_cleanup(&f->t);
    free(f);
    return 0;
}

static struct cidr P(const char *s)
{
    struct cidr c;
    struct lana_diag d;
    if (cidr_parse(s, &c, &d) != 0)
        fail_msg("bad test prefix %s: %s", s, d.msg);
    return c;
}

static const char *S(const struct cidr *c)
{
    static char buf[4][CIDR_STRLEN];
    static int i;
    i = (i + 1) % 4;
    cidr_format(c, buf[i], CIDR_STRLEN);
    return buf[i];
}

/* ---- hand-made cases ------------------------------------------------------------------ */

static void test_pools(void **state)
{
    struct fix *f = *state;
    struct lana_diag d;
    struct cidr p = P("10.0.0.0/8");
    assert_int_equal(ipam_pool_add(f->ip, &p, "RFC 1918", "admin", NULL, &d), 0);
    struct cidr q = P("10.1.0.0/16");
    assert_int_equal(ipam_pool_add(f->ip, &q, NULL, "admin", NULL, &d), LANA_ECONFLICT);
    assert_string_equal(d.msg, "10.1.0.0/16 overlaps the pool 10.0.0.0/8");
    struct cidr v6 = P("fd00::/8");
    assert_int_equal(ipam_pool_add(f->ip, &v6, NULL, "admin", NULL, &d), 0);
    struct ipam_block b;
    assert_int_equal(ipam_alloc(f->ip, &p, 16, IPAM_ALLOCATED, "rir1", NULL, "admin", &b, &d), 0);
    assert_string_equal(S(&b.prefix), "10.0.0.0/16");
    assert_int_equal(ipam_pool_del(f->ip, &p, "admin", &d), LANA_ECONFLICT);
    assert_string_equal(d.msg, "10.0.0.0/8: 1 block allocated from it; release them first");
    assert_int_equal(ipam_release(f->ip, &b.prefix, false, "admin", NULL, &d), 0);
    assert_int_equal(ipam_pool_del(f->ip, &p, "admin", &d), 0);
    assert_int_equal(ipam_pool_del(f->ip, &p, "admin", &d), LANA_ENOTFOUND);
    /* the whole IPv6 space as a pool: its size is 2^128 and counts stay exact */
    struct cidr all = P("::/0");
    assert_int_equal(ipam_pool_add(f->ip, &all, NULL, "admin", NULL, &d), LANA_ECONFLICT);
    assert_int_equal(ipam_pool_del(f->ip, &v6, "admin", &d), 0);
    assert_int_equal(ipam_pool_add(f->ip, &all, NULL, "admin", &b, &d), 0);
    assert_int_equal(ipam_alloc(f->ip, &all, 1, IPAM_ALLOCATED, NULL, NULL, "admin", &b, &d), 0);
    struct ipam_usage u;
    struct ipam_block pool;
    assert_int_equal(ipam_get(f->ip, &all, &pool, &d), 0);
    assert_int_equal(ipam_usage(f->ip, &pool, &u, &d), 0);
    assert_true(u.used == (u128)1 << 127);
    assert_int_equal(u.children, 1);
}

static void test_best_fit_and_errors(void **state)
{
    struct fix *f = *state;
    struct lana_diag d;
    struct cidr p = P("198.18.0.0/24");
    struct ipam_block b;
    assert_int_equal(ipam_pool_add(f->ip, &p, NULL, "admin", NULL, &d), 0);
    /* take .64/26 by hand: free space is then .0/26 and .128/25 */
    struct cidr x = P("198.18.0.64/26");
    assert_int_equal(ipam_take(f->ip, &x, IPAM_ASSIGNED, "lir", NULL, "admin", &b, &d), 0);
    assert_int_equal(b.status, IPAM_ASSIGNED);
    /* a /27 comes from the smallest free space that holds it: .0/26, not .128/25 */
    assert_int_equal(ipam_alloc(f->ip, &p, 27, IPAM_ALLOCATED, NULL, NULL, "admin", &b, &d), 0);
    assert_string_equal(S(&b.prefix), "198.18.0.0/27");
    assert_int_equal(ipam_alloc(f->ip, &p, 25, IPAM_ALLOCATED, NULL, NULL, "admin", &b, &d), 0);
    assert_string_equal(S(&b.prefix), "198.18.0.128/25");
    assert_int_equal(ipam_alloc(f->ip, &p, 26, IPAM_ALLOCATED, NULL, NULL, "admin", &b, &d),
                     LANA_EEXHAUSTED);
    assert_string_equal(d.msg, "198.18.0.0/24 has no free /26 left");
    assert_int_equal(ipam_alloc(f->ip, &p, 24, IPAM_ALLOCATED, NULL, NULL, "admin", &b, &d),
                     LANA_ERANGE);
    assert_int_equal(ipam_alloc(f->ip, &p, 33, IPAM_ALLOCATED, NULL, NULL, "admin", &b, &d),
                     LANA_ERANGE);
    struct cidr y = P("198.18.0.64/27");
    /* inside an assigned block (RIPE's ASSIGNED PA) only a host's address, no sub-block;
     * overlapping a sibling is refused too */
    assert_int_equal(ipam_take(f->ip, &y, IPAM_ASSIGNED, NULL, NULL, "admin", &b, &d),
                     LANA_ECONFLICT);
    assert_string_equal(d.msg, "198.18.0.64/26 is assigned: it holds host addresses only (host "
                               "add), no further blocks");
    struct ipam_new hostaddr = {.status = IPAM_ASSIGNED, .host = true};
    struct cidr one = P("198.18.0.65/32");
    assert_int_equal(ipam_take_new(f->ip, &one, &hostaddr, "admin", &b, &d), 0);
    assert_int_equal(b.parent_id != 0, 1);
    struct cidr z = P("198.18.0.0/26");
    assert_int_equal(ipam_take(f->ip, &z, IPAM_RESERVED, NULL, NULL, "admin", &b, &d),
                     LANA_ECONFLICT);
    assert_string_equal(d.msg, "198.18.0.0/26 overlaps 198.18.0.0/27 (allocated)");
    assert_int_equal(ipam_take(f->ip, &x, IPAM_ASSIGNED, NULL, NULL, "admin", &b, &d),
                     LANA_ECONFLICT);
    assert_string_equal(d.msg, "198.18.0.64/26 is already registered (assigned, held by lir)");
    struct cidr out = P("198.19.0.0/24");
    assert_int_equal(ipam_take(f->ip, &out, IPAM_ASSIGNED, NULL, NULL, "admin", &b, &d),
                     LANA_ENOTFOUND);
    assert_string_equal(d.msg, "198.19.0.0/24 lies outside every pool");
    /* release with children needs recursive */
    assert_int_equal(ipam_release(f->ip, &x, false, "admin", NULL, &d), LANA_ECONFLICT);
    assert_string_equal(d.msg, "198.18.0.64/26 holds 1 block: release them first, or use --recursive");
    int64_t n = 0;
    assert_int_equal(ipam_release(f->ip, &x, true, "admin", &n, &d), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ipam_get(f->ip, &y, &b, &d), LANA_ENOTFOUND);
    /* reserved blocks give nothing */
    struct cidr r = P("198.18.0.64/26");
    assert_int_equal(ipam_take(f->ip, &r, IPAM_RESERVED, NULL, "held back", "admin", &b, &d), 0);
    assert_int_equal(ipam_alloc(f->ip, &r, 28, IPAM_ALLOCATED, NULL, NULL, "admin", &b, &d),
                     LANA_ECONFLICT);
    /* bad text */
    assert_int_equal(ipam_alloc(f->ip, &p, 28, IPAM_ALLOCATED, "a\nb", NULL, "admin", &b, &d),
                     LANA_EPARSE);
}

static int count_cb(const struct ipam_block *b, void *arg)
{
    (void)b;
    (*(int *)arg)++;
    return 0;
}

static int chain_cb(const struct ipam_block *b, void *arg)
{
    char *out = arg;
    if (*out)
        strcat(out, " ");
    strcat(out, S(&b->prefix));
    return 0;
}

static int audit_cb(const struct audit_entry *e, void *arg)
{
    char *out = arg;
    strcat(out, e->action);
    strcat(out, " ");
    strcat(out, e->object);
    strcat(out, ";");
    return 0;
}

static void test_chain_usage_audit(void **state)
{
    struct fix *f = *state;
    struct lana_diag d;
    struct cidr pool = P("fd00::/8");
    struct ipam_block rir, site, lan, pb;
    assert_int_equal(ipam_pool_add(f->ip, &pool, NULL, "admin", NULL, &d), 0);
    assert_int_equal(ipam_alloc(f->ip, &pool, 32, IPAM_ALLOCATED, "rir", NULL, "admin", &rir, &d), 0);
    assert_int_equal(ipam_alloc(f->ip, &rir.prefix, 48, IPAM_ALLOCATED, "site", NULL, "admin", &site, &d), 0);
    assert_int_equal(ipam_alloc(f->ip, &site.prefix, 64, IPAM_ASSIGNED, "lan", NULL, "admin", &lan, &d), 0);
    assert_string_equal(S(&lan.prefix), "fd00::/64");
    char chain[512] = "";
    struct cidr a = P("fd00::1/128");
    assert_int_equal(ipam_chain(f->ip, &a, chain_cb, chain, &d), 0);
    assert_string_equal(chain, "fd00::/8 fd00::/32 fd00::/48 fd00::/64");
    chain[0] = '\0';
    assert_int_equal(ipam_chain(f->ip, &site.prefix, chain_cb, chain, &d), 0);
    assert_string_equal(chain, "fd00::/8 fd00::/32 fd00::/48");
    struct cidr outside = P("2001:db8::/32");
    assert_int_equal(ipam_chain(f->ip, &outside, chain_cb, chain, &d), LANA_ENOTFOUND);
    struct ipam_usage u;
    assert_int_equal(ipam_get(f->ip, &pool, &pb, &d), 0);
    assert_int_equal(ipam_usage(f->ip, &pb, &u, &d), 0);
    assert_true(u.used == (u128)1 << 96);
    assert_int_equal(u.children, 1);
    int n = 0;
    assert_int_equal(ipam_children(f->ip, NULL, count_cb, &n, &d), 0);
    assert_int_equal(n, 1);
    struct cidr fl[4];
    unsigned nf;
    bool more;
    assert_int_equal(ipam_free_list(f->ip, &site, fl, 4, &nf, &more, &d), 0);
    assert_int_equal(nf, 4);
    assert_true(more);
    assert_string_equal(S(&fl[0]), "fd00:0:0:1::/64");
    assert_int_equal(ipam_update(f->ip, &lan.prefix, "lan2", "kitchen", "admin", &lan, &d), 0);
    assert_string_equal(lan.holder, "lan2");
    char log[1024] = "";
    assert_int_equal(audit_list(f->st, 0, 0, audit_cb, log, &d), 0);
    assert_string_equal(log, "pool.add fd00::/8;block.alloc fd00::/32;block.alloc fd00::/48;"
                             "block.alloc fd00::/64;block.update fd00::/64;");
    /* the audit log is append-only */
    assert_int_equal(store_begin(f->st, &d), 0);
    store_rollback(f->st);
}

/* A failure inside an outer transaction leaves the earlier work of the transaction intact. */
static void test_inside_transaction(void **state)
{
    struct fix *f = *state;
    struct lana_diag d;
    struct cidr p = P("10.0.0.0/8");
    struct ipam_block b;
    assert_int_equal(ipam_pool_add(f->ip, &p, NULL, "admin", NULL, &d), 0);
    assert_int_equal(store_begin(f->st, &d), 0);
    assert_int_equal(ipam_alloc(f->ip, &p, 9, IPAM_ALLOCATED, NULL, NULL, "t", &b, &d), 0);
    assert_int_equal(ipam_alloc(f->ip, &p, 9, IPAM_ALLOCATED, NULL, NULL, "t", &b, &d), 0);
    assert_int_equal(ipam_alloc(f->ip, &p, 9, IPAM_ALLOCATED, NULL, NULL, "t", &b, &d), LANA_EEXHAUSTED);
    assert_int_equal(store_commit(f->st, &d), 0);
    struct ipam_usage u;
    assert_int_equal(ipam_get(f->ip, &p, &b, &d), 0);
    assert_int_equal(ipam_usage(f->ip, &b, &u, &d), 0);
    assert_int_equal(u.children, 2);
    /* rolled back: nothing of it stays */
    assert_int_equal(store_begin(f->st, &d), 0);
    struct cidr c = P("10.0.0.0/9");
    assert_int_equal(ipam_release(f->ip, &c, false, "t", NULL, &d), 0);
    store_rollback(f->st);
    assert_int_equal(ipam_get(f->ip, &c, &b, &d), 0);
}

/* ---- the randomized run against a model ---------------------------------------------- */

#define MAXN 4096

struct mnode {
    struct cidr p;
    int parent; /* -1 for pools */
    bool alive;
    enum ipam_status status;
};

static struct mnode M[MAXN];
static int nm;
static uint64_t rng = 0x2545F4914F6CDD1DULL;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static u128 m_size(const struct cidr *c)
{
    return cidr_size_minus1(c) + 1;
}

/* Canonical decomposition of the free space of block i: maximal aligned free prefixes. */
static void m_free_rec(int parent, const struct cidr *b, struct cidr *out, unsigned *n)
{
    bool overlap = false;
    for (int i = 0; i < nm; i++) {
        if (!M[i].alive || M[i].parent != parent || !cidr_overlaps(&M[i].p, b))
            continue;
        if (M[i].p.plen <= b->plen)
            return; /* b lies inside a child: nothing free here */
        overlap = true;
    }
    if (!overlap) {
        out[(*n)++] = *b;
        return;
    }
    struct cidr lo = *b, hi;
    lo.plen++;
    hi = lo;
    cidr_addr_set_u128(&hi, cidr_addr_u128(&lo) | ((u128)1 << (cidr_bits(b) - lo.plen)));
    m_free_rec(parent, &lo, out, n);
    m_free_rec(parent, &hi, out, n);
}

static struct cidr mfree[MAXN * 8];

static unsigned m_free(int i)
{
    unsigned n = 0;
    m_free_rec(i, &M[i].p, mfree, &n);
    return n;
}

static bool m_has_children(int i)
{
    for (int j = 0; j < nm; j++)
        if (M[j].alive && M[j].parent == i)
            return true;
    return false;
}

static int m_find(const struct cidr *c)
{
    for (int i = 0; i < nm; i++)
        if (M[i].alive && M[i].p.plen == c->plen && cidr_contains(&M[i].p, c))
            return i;
    return -1;
}

static void m_kill(int i)
{
    M[i].alive = false;
    for (int j = 0; j < nm; j++)
        if (M[j].alive && M[j].parent == i)
            m_kill(j);
}

static int m_add(const struct cidr *c, int parent, enum ipam_status st)
{
    for (int i = 0; i < nm; i++)
        if (!M[i].alive) {
            M[i] = (struct mnode){*c, parent, true, st};
            return i;
        }
    assert_true(nm < MAXN);
    M[nm] = (struct mnode){*c, parent, true, st};
    return nm++;
}

/* A random alive block that may have children (not reserved), or -1. */
static int m_pick_parent(void)
{
    for (int tries = 0; tries < 64; tries++) {
        int i = (int)(rnd() % (uint64_t)nm);
        if (M[i].alive && M[i].status != IPAM_RESERVED && M[i].status != IPAM_ASSIGNED &&
            M[i].p.plen < cidr_bits(&M[i].p))
            return i;
    }
    return 0;
}

/* Checks one block of the model against the database: exists, usage, free space. */
static void check_block(struct fix *f, int i)
{
    struct lana_diag d;
    struct ipam_block b;
    assert_int_equal(ipam_get(f->ip, &M[i].p, &b, &d), 0);
    assert_int_equal(b.status, M[i].status);
    if (M[i].parent >= 0) {
        struct ipam_block pb;
        assert_int_equal(ipam_get(f->ip, &M[M[i].parent].p, &pb, &d), 0);
        assert_int_equal(b.parent_id, pb.id);
    }
    unsigned n = m_free(i);
    static struct cidr got[MAXN * 8];
    unsigned ng;
    bool more;
    assert_int_equal(ipam_free_list(f->ip, &b, got, MAXN * 8, &ng, &more, &d), 0);
    if (!m_has_children(i)) {
        /* a block without children is free as a whole */
        assert_int_equal(ng, 1);
        assert_int_equal(n, 1);
    }
    if (ng != n)
        fail_msg("%s: %u free prefixes, model has %u", S(&M[i].p), ng, n);
    u128 free_sum = 0, used_model = 0;
    for (unsigned k = 0; k < n; k++) {
        if (memcmp(&got[k], &mfree[k], sizeof got[k]) != 0)
            fail_msg("%s: free #%u is %s, model %s", S(&M[i].p), k, S(&got[k]), S(&mfree[k]));
        assert_true(cidr_is_aligned(&got[k]));
        free_sum += m_size(&got[k]);
    }
    for (int j = 0; j < nm; j++)
        if (M[j].alive && M[j].parent == i)
            used_model += m_size(&M[j].p);
    struct ipam_usage u;
    assert_int_equal(ipam_usage(f->ip, &b, &u, &d), 0);
    if (u.children > 0)
        assert_true(u.used == used_model);
    assert_true(used_model + free_sum == m_size(&M[i].p)); /* free + used = size */
}

struct sib {
    struct cidr prev;
    bool have;
    const struct cidr *parent;
};

static int sib_cb(const struct ipam_block *b, void *arg)
{
    struct sib *s = arg;
    assert_true(cidr_is_aligned(&b->prefix));
    assert_true(cidr_contains(s->parent, &b->prefix) && b->prefix.plen > s->parent->plen);
    if (s->have)
        assert_false(cidr_overlaps(&s->prev, &b->prefix));
    s->prev = b->prefix;
    s->have = true;
    return 0;
}

static void check_all(struct fix *f)
{
    struct lana_diag d;
    for (int i = 0; i < nm; i++) {
        if (!M[i].alive)
            continue;
        check_block(f, i);
        struct ipam_block b;
        assert_int_equal(ipam_get(f->ip, &M[i].p, &b, &d), 0);
        struct sib s = {.parent = &M[i].p};
        assert_int_equal(ipam_children(f->ip, &b, sib_cb, &s, &d), 0);
    }
}

static void test_random_against_model(void **state)
{
    struct fix *f = *state;
    struct lana_diag d;
    const char *pools[] = {"10.0.0.0/16", "fd00::/56"};
    for (int i = 0; i < 2; i++) {
        struct cidr p = P(pools[i]);
        assert_int_equal(ipam_pool_add(f->ip, &p, NULL, "t", NULL, &d), 0);
        m_add(&p, -1, IPAM_POOL);
    }
    const int steps = 100000;
    int counts[8] = {0};
    assert_int_equal(store_begin(f->st, &d), 0);
    for (int step = 0; step < steps; step++) {
        if (step % 500 == 499) {
            assert_int_equal(store_commit(f->st, &d), 0);
            assert_int_equal(store_begin(f->st, &d), 0);
        }
        int op = (int)(rnd() % 100);
        int touched = -1;
        if (op < 45) { /* allocate the next free /N in a random block */
            int pi = m_pick_parent();
            unsigned room = cidr_bits(&M[pi].p) - M[pi].p.plen;
            unsigned plen = M[pi].p.plen + 1 + (unsigned)(rnd() % (room < 6 ? room : 6));
            unsigned n = m_free(pi);
            int best = -1;
            for (unsigned k = 0; k < n; k++)
                if (mfree[k].plen <= plen && (best < 0 || mfree[k].plen > mfree[best].plen))
                    best = (int)k; /* ties: the first in address order */
            enum ipam_status st = rnd() % 2 ? IPAM_ALLOCATED : IPAM_ASSIGNED;
            struct ipam_block b;
            int rc = ipam_alloc(f->ip, &M[pi].p, plen, st, "h", NULL, "t", &b, &d);
            if (best < 0) {
                assert_int_equal(rc, LANA_EEXHAUSTED);
                counts[1]++;
            } else {
                if (rc != 0)
                    fail_msg("step %d: alloc /%u in %s: %s", step, plen, S(&M[pi].p), d.msg);
                struct cidr want = mfree[best];
                want.plen = (uint8_t)plen;
                if (memcmp(&want, &b.prefix, sizeof want) != 0)
                    fail_msg("step %d: alloc /%u in %s gave %s, model %s", step, plen,
                             S(&M[pi].p), S(&b.prefix), S(&want));
                m_add(&b.prefix, pi, st);
                counts[0]++;
            }
            touched = pi;
        } else if (op < 60) { /* take a given prefix: free or not, the model knows */
            int pi = m_pick_parent();
            unsigned room = cidr_bits(&M[pi].p) - M[pi].p.plen;
            unsigned plen = M[pi].p.plen + 1 + (unsigned)(rnd() % (room < 6 ? room : 6));
            struct cidr x = M[pi].p;
            x.plen = (uint8_t)plen;
            u128 nslots = (u128)1 << (plen - M[pi].p.plen);
            u128 slot = (u128)rnd() % nslots;
            cidr_addr_set_u128(&x, cidr_addr_u128(&M[pi].p) + slot * m_size(&x));
            /* model: the deepest block containing x, and whether x is free there */
            int deep = -1;
            for (int i = 0; i < nm; i++)
                if (M[i].alive && cidr_contains(&M[i].p, &x) && M[i].p.plen < x.plen &&
                    (deep < 0 || M[i].p.plen > M[deep].p.plen))
                    deep = i;
            bool exists = m_find(&x) >= 0;
            bool is_free = false;
            /* nothing is taken from a reserved block; an assigned one holds host addresses only */
            if (!exists && M[deep].status != IPAM_RESERVED && M[deep].status != IPAM_ASSIGNED) {
                unsigned n = m_free(deep);
                for (unsigned k = 0; k < n; k++)
                    if (cidr_contains(&mfree[k], &x))
                        is_free = true;
            }
            enum ipam_status st = rnd() % 3 == 0 ? IPAM_RESERVED : IPAM_ASSIGNED;
            struct ipam_block b;
            int rc = ipam_take(f->ip, &x, st, NULL, NULL, "t", &b, &d);
            if (is_free) {
                if (rc != 0)
                    fail_msg("step %d: take %s: %s", step, S(&x), d.msg);
                assert_int_equal(b.prefix.plen, x.plen);
                m_add(&x, deep, st);
                counts[2]++;
            } else {
                if (rc != LANA_ECONFLICT)
                    fail_msg("step %d: take %s: got %d (%s), model says conflict", step, S(&x),
                             rc, rc ? d.msg : "ok");
                counts[3]++;
            }
            touched = deep;
        } else { /* release a random block, sometimes recursively */
            int i = (int)(rnd() % (uint64_t)nm);
            if (!M[i].alive || M[i].parent < 0)
                continue;
            bool rec = rnd() % 4 == 0;
            int rc = ipam_release(f->ip, &M[i].p, rec, "t", NULL, &d);
            if (m_has_children(i) && !rec) {
                assert_int_equal(rc, LANA_ECONFLICT);
                counts[5]++;
            } else {
                if (rc != 0)
                    fail_msg("step %d: release %s: %s", step, S(&M[i].p), d.msg);
                m_kill(i);
                counts[4]++;
            }
            touched = M[i].parent;
        }
        if (touched >= 0)
            check_block(f, touched);
        if (step % 10000 == 0)
            check_all(f);
    }
    assert_int_equal(store_commit(f->st, &d), 0);
    check_all(f);
    assert_int_equal(check_run(f->t.path, NULL, NULL, NULL, &d), 0); /* lanad check agrees */
    print_message("allocated %d, exhausted %d, taken %d, refused %d, released %d, "
                  "release refused %d\n", counts[0], counts[1], counts[2], counts[3], counts[4],
                  counts[5]);
    /* every kind of answer was exercised */
    for (int k = 0; k < 6; k++)
        assert_true(counts[k] > 100);
}

/* ---- paged reads (the web view's tree and live feed) ---------------------------------- */

struct page {
    char text[8192];
    int n;
    struct cidr last;
};

static int page_cb(const struct ipam_block *b, void *arg)
{
    struct page *pg = arg;
    size_t len = strlen(pg->text);
    snprintf(pg->text + len, sizeof pg->text - len, "%s ", S(&b->prefix));
    pg->last = b->prefix;
    pg->n++;
    return 0;
}

static int ids_cb(const struct audit_entry *e, void *arg)
{
    int64_t *ids = arg;
    ids[++ids[0]] = e->id;
    return 0;
}

/* Pages of children, walked with `after`, give every child once, in address order, as the
 * whole list does; audit_after gives the entries after an id, in order, bounded. */
static void test_children_page_and_audit_after(void **state)
{
    struct fix *f = *state;
    struct lana_diag d;
    struct cidr p = P("10.0.0.0/16");
    struct ipam_block pool, b;
    assert_int_equal(ipam_pool_add(f->ip, &p, NULL, "admin", &pool, &d), 0);
    for (int i = 0; i < 250; i++) /* /24s, then /30s in the space left at the end */
        assert_int_equal(ipam_alloc(f->ip, &p, i < 200 ? 24 : 30, IPAM_ALLOCATED, NULL, NULL,
                                    "admin", &b, &d), 0);
    struct page all = {0}, paged = {0};
    assert_int_equal(ipam_children(f->ip, &pool, page_cb, &all, &d), 0);
    assert_int_equal(all.n, 250);
    struct cidr after;
    bool first = true;
    for (int round = 0; round < 10; round++) {
        struct page pg = {0};
        assert_int_equal(ipam_children_page(f->ip, &pool, first ? NULL : &after, 64, page_cb,
                                            &pg, &d), 0);
        assert_true(pg.n <= 64);
        size_t len = strlen(paged.text);
        snprintf(paged.text + len, sizeof paged.text - len, "%s", pg.text);
        paged.n += pg.n;
        if (pg.n < 64)
            break;
        after = pg.last;
        first = false;
    }
    assert_int_equal(paged.n, 250);
    assert_string_equal(paged.text, all.text);
    struct page none = {0}, one = {0};
    assert_int_equal(ipam_children_page(f->ip, &pool, &all.last, 10, page_cb, &none, &d), 0);
    assert_int_equal(none.n, 0);
    struct cidr mid = P("10.0.99.0/24");
    assert_int_equal(ipam_children_page(f->ip, &pool, &mid, 1, page_cb, &one, &d), 0);
    assert_string_equal(one.text, "10.0.100.0/24 ");
    struct page everything = {0};
    assert_int_equal(ipam_children_page(f->ip, &pool, NULL, 0, page_cb, &everything, &d), 0);
    assert_int_equal(everything.n, 250);

    int64_t ids[300] = {0};
    assert_int_equal(audit_after(f->st, 0, 0, ids_cb, ids, &d), 0);
    assert_int_equal(ids[0], 251); /* the pool and 250 allocations */
    for (int i = 2; i <= ids[0]; i++)
        assert_true(ids[i] > ids[i - 1]);
    int64_t tail[300] = {0};
    assert_int_equal(audit_after(f->st, ids[240], 5, ids_cb, tail, &d), 0);
    assert_int_equal(tail[0], 5);
    assert_true(tail[1] == ids[241] && tail[5] == ids[245]);
    int64_t end[4] = {0};
    assert_int_equal(audit_after(f->st, ids[251], 0, ids_cb, end, &d), 0);
    assert_int_equal(end[0], 0);
}

struct nested {
    struct ipam *ip;
    int outer, inner;
};

static int inner_cb(const struct ipam_block *b, void *arg)
{
    (void)b;
    ((struct nested *)arg)->inner++;
    return 0;
}

/* each pool walks the pools again and the /24s of 10.0.0.0/16, as a callback may */
static int outer_cb(const struct ipam_block *b, void *arg)
{
    struct nested *n = arg;
    struct lana_diag d;
    n->outer++;
    assert_int_equal(ipam_children(n->ip, NULL, inner_cb, n, &d), 0);
    assert_int_equal(ipam_children(n->ip, b, inner_cb, n, &d), 0);
    return 0;
}

static int live_statements(struct store *st)
{
    int n = 0;
    for (sqlite3_stmt *s = sqlite3_next_stmt(st->db, NULL); s; s = sqlite3_next_stmt(st->db, s))
        n++;
    return n;
}

/* A walk whose callback starts the same walk: every level sees every row (the outer walk is
 * not reset under it), and a walk of its own reuses the cached statement: nothing is left
 * prepared after a nested walk, nothing new is prepared by the next plain one. */
static void test_children_nested_walks(void **state)
{
    struct fix *f = *state;
    struct lana_diag d;
    struct ipam_block pool, b;
    const char *pools[] = {"10.0.0.0/16", "10.1.0.0/16", "fd00::/8"};
    for (int i = 0; i < 3; i++) {
        struct cidr p = P(pools[i]);
        assert_int_equal(ipam_pool_add(f->ip, &p, NULL, "admin", &pool, &d), 0);
        for (int j = 0; j < 4; j++)
            assert_int_equal(ipam_alloc(f->ip, &p, i < 2 ? 24 : 32, IPAM_ALLOCATED, NULL, NULL,
                                        "admin", &b, &d), 0);
    }
    struct nested n = {.ip = f->ip};
    assert_int_equal(ipam_children(f->ip, NULL, outer_cb, &n, &d), 0);
    assert_int_equal(n.outer, 3);
    assert_int_equal(n.inner, 3 * (3 + 4));
    int before = live_statements(f->st);
    n = (struct nested){.ip = f->ip};
    assert_int_equal(ipam_children(f->ip, NULL, outer_cb, &n, &d), 0);
    assert_int_equal(n.inner, 3 * (3 + 4));
    assert_int_equal(live_statements(f->st), before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pools, setup, teardown),
        cmocka_unit_test_setup_teardown(test_best_fit_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chain_usage_audit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inside_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_against_model, setup, teardown),
        cmocka_unit_test_setup_teardown(test_children_page_and_audit_after, setup, teardown),
        cmocka_unit_test_setup_teardown(test_children_nested_walks, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
