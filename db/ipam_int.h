/*
 * ipam_int — what ipam.c (changes), ipamfree.c (free space) and ipamread.c (reads) share:
 * the context's layout, the address-as-key helpers (inline: they sit on the allocation path),
 * the row readers and the free-space operations. Included only by those three files.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/jsonw.h"
#include "db/ipam.h"
#include "db/store_int.h"

typedef unsigned __int128 u128;

struct ipam {
    struct store *st;
    struct jsonw before, after;
    bool no_savepoints; /* the caller undoes everything on any failure (ipam_set_atomic) */
};

/* ---- addresses as 16-byte keys ---- */

static inline void ipam__key_of(u128 v, uint8_t k[16])
{
    for (int i = 15; i >= 0; i--) {
        k[i] = (uint8_t)v;
        v >>= 8;
    }
}

static inline u128 ipam__key_value(const void *blob, int len)
{
    const uint8_t *k = blob;
    u128 v = 0;
    for (int i = 0; i < len && i < 16; i++)
        v = v << 8 | k[i];
    return v;
}

static inline unsigned ipam__width(int family)
{
    return family == 4 ? CIDR_V4_BITS : CIDR_V6_BITS;
}

/* addresses in a /plen, for 1 <= plen (never 2^128) */
static inline u128 ipam__span(int family, unsigned plen)
{
    return (u128)1 << (ipam__width(family) - plen);
}

static inline void ipam__make_cidr(int family, u128 start, unsigned plen, struct cidr *c)
{
    memset(c, 0, sizeof *c);
    c->family = (uint8_t)family;
    c->plen = (uint8_t)plen;
    cidr_addr_set_u128(c, start);
}

static inline void ipam__bind_key(sqlite3_stmt *s, int col, u128 v)
{
    uint8_t k[16];
    ipam__key_of(v, k);
    sqlite3_bind_blob(s, col, k, 16, SQLITE_TRANSIENT);
}

static inline void ipam__fmt(const struct cidr *c, char buf[CIDR_STRLEN])
{
    if (cidr_format(c, buf, CIDR_STRLEN) < 0)
        snprintf(buf, CIDR_STRLEN, "?");
}

#define BLOCK_COLS                                                                                 \
    "id, family, start, plen, parent_id, status, holder, descr, created, updated, split, maintainer"

/** The root pools in address order (a statement-cache key). */
#define IPAM_SQL_POOLS                                                                             \
    "SELECT " BLOCK_COLS " FROM block WHERE parent_id IS NULL ORDER BY family, start"
extern const char ipam__sql_pools[];
/** The key of SELECT count(*) FROM block WHERE parent_id = ?1 in the statement cache. */
extern const char ipam__sql_count_children[];

/** Steps a prepared block query: 1 with *b (and *split) set, 0 for no row, LANA_EDB. */
int ipam__step_block(struct ipam *ip, sqlite3_stmt *s, struct ipam_block *b, bool *split,
                     struct lana_diag *d);
/** The block with exactly prefix p: 1 with *b, 0 for none, LANA_EDB. */
int ipam__find_exact(struct ipam *ip, const struct cidr *p, struct ipam_block *b, bool *split,
                     struct lana_diag *d);
/** The root pool that contains p: 1 with *b, 0 for none, LANA_EDB. */
int ipam__pool_of(struct ipam *ip, const struct cidr *p, struct ipam_block *b, bool *split,
                  struct lana_diag *d);
/** The child of parent whose range contains p: 1 with *b, 0 for none, LANA_EDB. */
int ipam__child_containing(struct ipam *ip, int64_t parent, const struct cidr *p,
                           struct ipam_block *b, bool *split, struct lana_diag *d);
/** Runs a count query whose ?1 is id: 0 with *n, or LANA_EDB. */
int ipam__count_query(struct ipam *ip, const char *sql, int64_t id, int64_t *n,
                      struct lana_diag *d);
/** Reads one (plen, start) row of a freespace query: 1, 0 for none, LANA_EDB. */
int ipam__step_free(struct ipam *ip, sqlite3_stmt *s, unsigned *plen, u128 *start,
                    struct lana_diag *d);

/* ---- free space (ipamfree.c) ---- */

/** Starts tracking the free space of block b when it had none (split false): one freespace
 * row covering it, and its split flag set. 0 or LANA_EDB. */
int ipam__ensure_split(struct ipam *ip, const struct ipam_block *b, bool split,
                       struct lana_diag *d);
/** Carves the aligned prefix (want, wplen) out of the free prefix (fstart, fplen) of parent
 * that holds it: the free row goes, and at each length between them the half not holding
 * want stays free. 0 or LANA_EDB. */
int ipam__carve(struct ipam *ip, int64_t parent, int family, unsigned fplen, u128 fstart,
                unsigned wplen, u128 want, struct lana_diag *d);
/** Gives (start, plen) back to parent's free space, merged with its free buddies. 0 or
 * LANA_EDB. */
int ipam__give_back(struct ipam *ip, const struct ipam_block *parent, int family, unsigned plen,
                    u128 start, struct lana_diag *d);
/**
 * The free prefix of block p to allocate a /plen from, best fit (the longest free prefix
 * that holds a /plen, then the lowest): *fplen and *fstart name it, *want the /plen to take
 * from it. A host's address (host, a /32 or /128) is never p's network or broadcast address
 * nor its Subnet-Router anycast address (cidr_role_in). 1, 0 when there is none, LANA_EDB.
 */
int ipam__best_free(struct ipam *ip, const struct ipam_block *p, unsigned plen, bool host,
                    unsigned *fplen, u128 *fstart, u128 *want, struct lana_diag *d);
