/*
 * ipamfree — the free space of the allocation engine (see ipam.c's head comment): the
 * freespace rows of a split block, best fit, carving a prefix out and giving it back with
 * its buddies merged. Shared with ipam.c through ipam_int.h.
 */
#include <stdbool.h>
#include <stdint.h>

#include "db/ipam_int.h"

static const char sql_free_ins[] = "INSERT INTO freespace (parent_id, plen, start) VALUES (?1, ?2, ?3)";
static const char sql_free_del[] = "DELETE FROM freespace WHERE parent_id = ?1 AND plen = ?2"
                                   " AND start = ?3";
/* best fit in one index seek: the key runs plen descending, then start ascending */
static const char sql_free_best[] = "SELECT plen, start FROM freespace WHERE parent_id = ?1"
                                    " AND plen <= ?2 ORDER BY plen DESC, start LIMIT 3";
static const char sql_split[] = "UPDATE block SET split = 1 WHERE id = ?1";

static int free_put(struct ipam *ip, int64_t parent, unsigned plen, u128 start, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(ip->st, sql_free_ins, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, parent);
    sqlite3_bind_int(s, 2, (int)plen);
    ipam__bind_key(s, 3, start);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = store__err(ip->st->db, d, "free space");
    sqlite3_reset(s);
    return rc;
}

/* Deletes a free row; 1 if it was there, 0 if not. */
static int free_take(struct ipam *ip, int64_t parent, unsigned plen, u128 start,
                     struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(ip->st, sql_free_del, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, parent);
    sqlite3_bind_int(s, 2, (int)plen);
    ipam__bind_key(s, 3, start);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = store__err(ip->st->db, d, "free space");
    else
        rc = sqlite3_changes(ip->st->db) > 0;
    sqlite3_reset(s);
    return rc;
}

/* Starts tracking the free space of a block that had no children. */
int ipam__ensure_split(struct ipam *ip, const struct ipam_block *b, bool split, struct lana_diag *d)
{
    if (split)
        return 0;
    int rc = free_put(ip, b->id, b->prefix.plen, cidr_addr_u128(&b->prefix), d);
    if (rc != 0)
        return rc;
    sqlite3_stmt *s;
    if ((rc = store__stmt(ip->st, sql_split, &s, d)) != 0)
        return rc;
    sqlite3_bind_int64(s, 1, b->id);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = store__err(ip->st->db, d, "split");
    sqlite3_reset(s);
    return rc;
}


/*
 * Carves the aligned prefix (want, wplen) out of the free prefix (fstart, fplen) that holds
 * it: the free row goes, and at each length between them the half not holding want stays
 * free.
 */
int ipam__carve(struct ipam *ip, int64_t parent, int family, unsigned fplen, u128 fstart,
                 unsigned wplen, u128 want, struct lana_diag *d)
{
    int rc = free_take(ip, parent, fplen, fstart, d);
    if (rc < 0)
        return rc;
    for (unsigned k = fplen + 1; k <= wplen; k++) {
        u128 half = ipam__span(family, k);
        u128 mine = want & ~(half - 1);  /* the /k holding want */
        if ((rc = free_put(ip, parent, k, mine ^ half, d)) != 0)
            return rc;
    }
    return 0;
}

/* Gives (start, plen) back to the parent's free space, merging with free buddies. */
int ipam__give_back(struct ipam *ip, const struct ipam_block *parent, int family, unsigned plen,
                     u128 start, struct lana_diag *d)
{
    while (plen > parent->prefix.plen) {
        u128 half = ipam__span(family, plen);
        int rc = free_take(ip, parent->id, plen, start ^ half, d);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
        start &= ~half;
        plen--;
    }
    return free_put(ip, parent->id, plen, start, d);
}

/*
 * The free prefix to allocate a /plen from, best fit (the longest free prefix that holds a
 * /plen, then the lowest): *fplen and *fstart name it, *want the /plen taken from it. A host
 * address (host, a /32 or /128) skips its subnet's network and broadcast addresses and the
 * IPv6 Subnet-Router anycast address (cidr_role_in): at most two of those, so the best three
 * free prefixes always hold a candidate when there is one. 1, 0 when there is none, LANA_EDB.
 */
int ipam__best_free(struct ipam *ip, const struct ipam_block *p, unsigned plen, bool host,
                     unsigned *fplen, u128 *fstart, u128 *want, struct lana_diag *d)
{
    sqlite3_stmt *s;
    int rc = store__stmt(ip->st, sql_free_best, &s, d);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(s, 1, p->id);
    sqlite3_bind_int(s, 2, (int)plen);
    bool whole = host && plen == cidr_bits(&p->prefix);
    while ((rc = ipam__step_free(ip, s, fplen, fstart, d)) == 1) {
        *want = *fstart;
        if (!whole)
            break;
        struct cidr a;
        ipam__make_cidr(p->prefix.family, *want, plen, &a);
        if (cidr_role_in(&p->prefix, &a) == CIDR_ROLE_HOST)
            break;
        if (*fplen < plen) { /* the next address of the same free prefix is a host's */
            *want += 1;
            break;
        }
    }
    sqlite3_reset(s);
    return rc;
}
