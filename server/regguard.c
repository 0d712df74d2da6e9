/*
 * regguard — see regguard.h. The address table is nsets x WAYS entries plus one overflow
 * entry at the end; a lookup probes only its set, so every operation costs at most WAYS
 * probes, and the handshake queues are doubly linked lists (see queue_add()).
 *
 * The token bucket counts thousandths of a read: it refills rate per millisecond up to
 * 1000 x rate (one second's worth), and a read takes 1000.
 */
#include "server/regguard.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/auth.h"

#define WAYS 8
#define MIN_ENTRIES 4096
#define NONE UINT32_MAX

struct entry {
    uint8_t key[16];
    bool used;
    uint32_t nconns, nhs;                    /* open connections, and those in the handshake */
    struct regguard_conn *hs_head, *hs_tail; /* those, oldest first */
    uint32_t cprev, cnext;                   /* the crowded list, while nhs >= 2 */
    uint64_t seen_ms;                        /* last admitted or asked about */
    uint64_t fail_start;                     /* the failure window's start */
    uint32_t fails;                          /* failures in that window */
    uint64_t bucket_ms;                      /* the bucket's last refill */
    uint64_t tokens;                         /* thousandths of a read */
};

struct regguard {
    struct regguard_limits lim;
    uint64_t seed[2];
    struct entry *tab;                   /* nsets * WAYS, then the overflow entry */
    uint32_t nsets;                      /* a power of two */
    struct regguard_conn *head, *tail;   /* the handshake queue, oldest first */
    uint32_t crowd_head, crowd_tail;     /* entries with several handshakes, in that order */
    struct regguard_conn *shead, *stail; /* the silent ones: no complete line yet */
    unsigned nconns, nhs;
};

int regguard_new(const struct regguard_limits *lim, struct regguard **out)
{
    struct regguard *g = calloc(1, sizeof *g);
    if (g == NULL)
        return LANA_ENOMEM;
    g->lim = *lim;
    if (g->lim.max_handshakes == 0)
        g->lim.max_handshakes = 1;
    if (g->lim.max_per_addr == 0)
        g->lim.max_per_addr = UINT32_MAX;
    uint64_t want = 2 * (uint64_t)lim->max_conns;
    if (want < MIN_ENTRIES)
        want = MIN_ENTRIES;
    g->nsets = 1;
    while ((uint64_t)g->nsets * WAYS < want)
        g->nsets *= 2;
    g->tab = calloc((size_t)g->nsets * WAYS + 1, sizeof *g->tab);
    if (g->tab == NULL) {
        free(g);
        return LANA_ENOMEM;
    }
    g->crowd_head = g->crowd_tail = NONE;
    if (auth_random(g->seed, sizeof g->seed) != 0) { /* a fixed key only weakens the spread */
        g->seed[0] = 0x9e3779b97f4a7c15u;
        g->seed[1] = (uint64_t)(uintptr_t)g;
    }
    *out = g;
    return 0;
}

void regguard_free(struct regguard *g)
{
    if (g == NULL)
        return;
    free(g->tab);
    free(g);
}

/* ---- the address table -------------------------------------------------------------------- */

/* The address an entry is kept for: IPv4 as ::ffff:a.b.c.d, IPv6 by its /64. */
static void key_of(const struct sockaddr *sa, uint8_t key[16])
{
    memset(key, 0, 16);
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        key[10] = key[11] = 0xff;
        memcpy(key + 12, &in->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        bool mapped = IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr);
        memcpy(key, &in6->sin6_addr, mapped ? 16 : 8);
    }
}

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53u;
    h ^= h >> 33;
    return h;
}

static uint32_t set_of(const struct regguard *g, const uint8_t key[16])
{
    uint64_t a, b;
    memcpy(&a, key, 8);
    memcpy(&b, key + 8, 8);
    return (uint32_t)(mix(mix(a ^ g->seed[0]) ^ b ^ g->seed[1]) & (g->nsets - 1));
}

/* Nothing worth keeping: no connection, no failure window open, a full bucket. */
static bool entry_idle(const struct regguard *g, const struct entry *e, uint64_t now)
{
    if (e->nconns > 0)
        return false;
    if (e->fails > 0 && now - e->fail_start < g->lim.auth_period_ms)
        return false;
    uint64_t cap = 1000u * (uint64_t)g->lim.anon_rate;
    return e->tokens + (now - e->bucket_ms) * g->lim.anon_rate >= cap;
}

/*
 * The entry of key, made when missing: in an empty way, else in place of an idle one, else
 * of the least recently seen one without connections; the overflow entry when every way of
 * the set has connections. Returns its index.
 */
static uint32_t lookup(struct regguard *g, const uint8_t key[16], uint64_t now)
{
    uint32_t base = set_of(g, key) * WAYS, pick = UINT32_MAX;
    bool pick_idle = false;
    for (uint32_t i = base; i < base + WAYS; i++) {
        struct entry *e = &g->tab[i];
        if (e->used && memcmp(e->key, key, 16) == 0) {
            e->seen_ms = now;
            return i;
        }
        if (!e->used) {
            if (pick == UINT32_MAX || g->tab[pick].used)
                pick = i;
            continue;
        }
        if (e->nconns > 0 || (pick != UINT32_MAX && !g->tab[pick].used))
            continue;
        bool idle = entry_idle(g, e, now);
        if (pick == UINT32_MAX || (idle && !pick_idle) ||
            (idle == pick_idle && e->seen_ms < g->tab[pick].seen_ms)) {
            pick = i;
            pick_idle = idle;
        }
    }
    if (pick == UINT32_MAX) {
        pick = g->nsets * WAYS; /* the overflow entry */
        g->tab[pick].used = true;
        g->tab[pick].seen_ms = now;
        return pick;
    }
    struct entry *e = &g->tab[pick];
    memset(e, 0, sizeof *e);
    memcpy(e->key, key, 16);
    e->used = true;
    e->seen_ms = e->bucket_ms = now;
    e->tokens = 1000u * (uint64_t)g->lim.anon_rate;
    return pick;
}

/* ---- connections -------------------------------------------------------------------------- */

/*
 * The handshake queues: one of every connection in its handshake (g->head), one per address
 * (e->hs_head), and the crowded list of the addresses that hold two or more of them, in the
 * order they became crowded. All are doubly linked, so every change costs O(1).
 */
static void crowd_add(struct regguard *g, uint32_t slot)
{
    struct entry *e = &g->tab[slot];
    e->cprev = g->crowd_tail;
    e->cnext = NONE;
    if (g->crowd_tail != NONE)
        g->tab[g->crowd_tail].cnext = slot;
    else
        g->crowd_head = slot;
    g->crowd_tail = slot;
}

static void crowd_remove(struct regguard *g, uint32_t slot)
{
    struct entry *e = &g->tab[slot];
    if (e->cprev != NONE)
        g->tab[e->cprev].cnext = e->cnext;
    else
        g->crowd_head = e->cnext;
    if (e->cnext != NONE)
        g->tab[e->cnext].cprev = e->cprev;
    else
        g->crowd_tail = e->cprev;
}

static void queue_add(struct regguard *g, struct regguard_conn *gc)
{
    struct entry *e = &g->tab[gc->slot];
    gc->prev = g->tail;
    gc->next = NULL;
    if (g->tail)
        g->tail->next = gc;
    else
        g->head = gc;
    g->tail = gc;
    gc->aprev = e->hs_tail;
    gc->anext = NULL;
    if (e->hs_tail)
        e->hs_tail->anext = gc;
    else
        e->hs_head = gc;
    e->hs_tail = gc;
    gc->sprev = g->stail;
    gc->snext = NULL;
    if (g->stail)
        g->stail->snext = gc;
    else
        g->shead = gc;
    g->stail = gc;
    gc->in_handshake = gc->silent = true;
    g->nhs++;
    if (++e->nhs == 2)
        crowd_add(g, gc->slot);
}

static void silent_remove(struct regguard *g, struct regguard_conn *gc)
{
    if (!gc->silent)
        return;
    if (gc->sprev)
        gc->sprev->snext = gc->snext;
    else
        g->shead = gc->snext;
    if (gc->snext)
        gc->snext->sprev = gc->sprev;
    else
        g->stail = gc->sprev;
    gc->sprev = gc->snext = NULL;
    gc->silent = false;
}

static void queue_remove(struct regguard *g, struct regguard_conn *gc)
{
    if (!gc->in_handshake)
        return;
    silent_remove(g, gc);
    struct entry *e = &g->tab[gc->slot];
    if (gc->prev)
        gc->prev->next = gc->next;
    else
        g->head = gc->next;
    if (gc->next)
        gc->next->prev = gc->prev;
    else
        g->tail = gc->prev;
    if (gc->aprev)
        gc->aprev->anext = gc->anext;
    else
        e->hs_head = gc->anext;
    if (gc->anext)
        gc->anext->aprev = gc->aprev;
    else
        e->hs_tail = gc->aprev;
    gc->prev = gc->next = gc->aprev = gc->anext = NULL;
    gc->in_handshake = false;
    g->nhs--;
    if (e->nhs-- == 2)
        crowd_remove(g, gc->slot);
}

/*
 * The connection to evict for a newcomer: the oldest that has not sent a complete line yet
 * (a slowloris never does; a real client sends HELLO at once), else the oldest handshake of
 * the address that became crowded (two or more in the handshake) first, else the oldest
 * handshake of all. A flood thus evicts its own connections, and a client's handshake
 * survives any rate of them unless they too complete lines from addresses of their own.
 */
static struct regguard_conn *pick_victim(const struct regguard *g)
{
    if (g->shead != NULL)
        return g->shead;
    return g->crowd_head != NONE ? g->tab[g->crowd_head].hs_head : g->head;
}

enum regguard_verdict regguard_admit(struct regguard *g, struct regguard_conn *gc,
                                     const struct sockaddr *sa, uint64_t now,
                                     struct regguard_conn **victim)
{
    uint8_t key[16];
    key_of(sa, key);
    uint32_t slot = lookup(g, key, now);
    struct entry *e = &g->tab[slot];
    struct regguard_conn *v = NULL;
    if (e->nconns >= g->lim.max_per_addr) {
        if (e->nhs == 0) {
            *gc = (struct regguard_conn){0};
            *victim = NULL;
            return REGGUARD_ADDR_FULL;
        }
        v = e->hs_head;
    } else if (g->nconns >= g->lim.max_conns || g->nhs >= g->lim.max_handshakes) {
        if (g->head == NULL) {
            *gc = (struct regguard_conn){0};
            *victim = NULL;
            return REGGUARD_FULL;
        }
        v = pick_victim(g);
    }
    *gc = (struct regguard_conn){.start_ms = now, .slot = slot, .counted = true};
    queue_add(g, gc);
    g->nconns++;
    e->nconns++;
    *victim = v;
    return REGGUARD_ADMIT;
}

void regguard_progress(struct regguard *g, struct regguard_conn *gc)
{
    if (gc->counted)
        silent_remove(g, gc);
}

void regguard_ready(struct regguard *g, struct regguard_conn *gc)
{
    if (gc->counted)
        queue_remove(g, gc);
}

void regguard_leave(struct regguard *g, struct regguard_conn *gc)
{
    if (!gc->counted)
        return;
    queue_remove(g, gc);
    gc->counted = false;
    g->nconns--;
    g->tab[gc->slot].nconns--;
}

struct regguard_conn *regguard_expired(const struct regguard *g, uint64_t now)
{
    struct regguard_conn *gc = g->head;
    return gc != NULL && now - gc->start_ms >= g->lim.handshake_ms ? gc : NULL;
}

unsigned regguard_count(const struct regguard *g, unsigned *in_handshake)
{
    if (in_handshake != NULL)
        *in_handshake = g->nhs;
    return g->nconns;
}

/* ---- limiters ----------------------------------------------------------------------------- */

unsigned regguard_auth_wait(const struct regguard *g, const struct regguard_conn *gc, uint64_t now)
{
    const struct entry *e = &g->tab[gc->slot];
    if (g->lim.auth_failures == 0 || e->fails < g->lim.auth_failures ||
        now - e->fail_start >= g->lim.auth_period_ms)
        return 0;
    return (unsigned)((e->fail_start + g->lim.auth_period_ms - now + 999) / 1000);
}

bool regguard_auth_failed(struct regguard *g, const struct regguard_conn *gc, uint64_t now)
{
    struct entry *e = &g->tab[gc->slot];
    if (g->lim.auth_failures == 0)
        return false;
    if (e->fails == 0 || now - e->fail_start >= g->lim.auth_period_ms) {
        e->fail_start = now;
        e->fails = 0;
    }
    return ++e->fails == g->lim.auth_failures;
}

uint64_t regguard_anon_read(struct regguard *g, const struct regguard_conn *gc, uint64_t now)
{
    uint64_t rate = g->lim.anon_rate, cap = 1000 * rate;
    if (rate == 0)
        return 0;
    struct entry *e = &g->tab[gc->slot];
    if (now > e->bucket_ms) {
        uint64_t add = (now - e->bucket_ms) * rate;
        e->tokens = cap - e->tokens <= add ? cap : e->tokens + add;
        e->bucket_ms = now;
    }
    if (e->tokens >= 1000) {
        e->tokens -= 1000;
        return 0;
    }
    return (1000 - e->tokens + rate - 1) / rate;
}

size_t regguard_anon_reply_max(const struct regguard *g)
{
    return g->lim.anon_reply_max;
}
