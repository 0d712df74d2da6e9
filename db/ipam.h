/*
 * ipam — the address registry: root pools, blocks nested strictly inside them, and the free
 * space of every block indexed as maximal aligned free prefixes (a buddy system kept in
 * SQLite), so that allocating or releasing costs O(address width) index operations whatever
 * the size of the registry.
 *
 * Every mutating call is atomic on its own (a SAVEPOINT: it changes everything or nothing)
 * and appends one row to the audit log; it also works inside a larger transaction opened by
 * the caller (store_begin), which is how a batch becomes all-or-nothing. Reads and writes go
 * through one struct ipam per store and thread.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/cidr.h"
#include "common/err.h"
#include "db/account.h"
#include "db/store.h"

#define IPAM_TEXT_MAX 256 /* holder and description, bytes including the NUL */

enum ipam_status { IPAM_POOL, IPAM_ALLOCATED, IPAM_ASSIGNED, IPAM_RESERVED };

struct ipam_block {
    int64_t id;
    int64_t parent_id; /* 0 for a root pool */
    struct cidr prefix;
    enum ipam_status status;
    char holder[IPAM_TEXT_MAX];
    char descr[IPAM_TEXT_MAX];
    char maintainer[ACCOUNT_NAME_MAX]; /* the account with authority over it (db/authz.h) */
    int64_t created, updated;          /* unix seconds */
};

/* What a new block is: its status, texts, and whom it goes to. */
struct ipam_new {
    enum ipam_status status;
    const char *holder, *descr; /* free text (NULL: empty) */
    const char *to;   /* the account that will maintain it (a delegation); NULL: the acting
                       * account (db/authz.h), or the parent's maintainer when there is none */
    bool host;        /* a host's address: the one thing an assigned block may hold */
    bool force;       /* a host's address may be its subnet's network, broadcast or
                       * Subnet-Router anycast address (ipam_take_new) */
};

/** What a block holds: addresses in its children, and how many children. */
struct ipam_usage {
    unsigned __int128 used;
    int64_t children;
};

struct ipam;

/**
 * The address registry over st (which must outlive it; not owned). One per store and thread.
 * @return 0 with *out set, or LANA_ENOMEM.
 */
int ipam_open(struct store *st, struct ipam **out, struct lana_diag *d);

/**
 * With atomic false, a failing call may leave part of its work done: for a caller that undoes
 * the whole enclosing unit on any failure anyway (an all-or-nothing batch), this saves a
 * savepoint per call. Atomic (the default) again with true.
 */
void ipam_set_atomic(struct ipam *ip, bool atomic);
/** Frees the registry handle; NULL is a no-op. */
void ipam_close(struct ipam *ip);

/** "pool", "allocated", "assigned", "reserved" (static text; "?" for no such status). */
const char *ipam_status_name(enum ipam_status s);
/** Parses "pool", "allocated", "assigned" or "reserved": true with *out set, else false. */
bool ipam_status_parse(const char *s, enum ipam_status *out);

/**
 * Adds a root pool. actor names who did it, for the audit log. *out (may be NULL) gets it.
 * LANA_ECONFLICT when it overlaps a pool or an existing block; LANA_ERANGE / LANA_EPARSE
 * (description too long, or with a control character); LANA_EDB.
 */
int ipam_pool_add(struct ipam *ip, const struct cidr *prefix, const char *descr,
                  const char *actor, struct ipam_block *out, struct lana_diag *d);
/** Removes a pool that holds no blocks: LANA_ECONFLICT otherwise; LANA_ENOTFOUND; LANA_EDB. */
int ipam_pool_del(struct ipam *ip, const struct cidr *prefix, const char *actor,
                  struct lana_diag *d);

/**
 * Allocates the next free /plen inside the block parent (which must exist): best fit, i.e.
 * taken from the smallest free aligned prefix that holds it, lowest address first.
 * LANA_EEXHAUSTED when nothing that large is free; LANA_ERANGE when plen is not longer than
 * the parent's or beyond the family's width; LANA_ENOTFOUND (no such parent); LANA_ECONFLICT
 * (the parent is reserved); LANA_EPARSE (status pool, or bad holder/description text);
 * LANA_EDB. *out (may be NULL) gets the new block.
 */
int ipam_alloc(struct ipam *ip, const struct cidr *parent, unsigned plen, enum ipam_status status,
               const char *holder, const char *descr, const char *actor, struct ipam_block *out,
               struct lana_diag *d);

/**
 * ipam_alloc with everything a new block can be (nb), under the authority rule (db/authz.h):
 * the acting account must have authority over the parent, and may hand the block only to an
 * account authz_hand_block allows. An assigned parent holds host addresses only (nb->host).
 * A host's address (nb->host, a /32 or /128) is never the parent's network or broadcast
 * address nor its IPv6 Subnet-Router anycast address (cidr_role_in).
 * The errors of ipam_alloc, and LANA_EPERM (no authority; or a block other than a host's
 * address inside an assigned one).
 */
int ipam_alloc_new(struct ipam *ip, const struct cidr *parent, unsigned plen,
                   const struct ipam_new *nb, const char *actor, struct ipam_block *out,
                   struct lana_diag *d);
/**
 * Registers the given prefix under the most specific block that contains it.
 * LANA_ECONFLICT (naming what is in the way) when it exists or overlaps a block there, or
 * the enclosing block is reserved; LANA_ENOTFOUND when no pool contains it; LANA_EPARSE
 * (host bits set, status pool, bad text); LANA_ERANGE; LANA_EDB. *out (may be NULL) gets it.
 */
int ipam_take(struct ipam *ip, const struct cidr *prefix, enum ipam_status status,
              const char *holder, const char *descr, const char *actor, struct ipam_block *out,
              struct lana_diag *d);
/**
 * ipam_take with everything a new block can be, under the authority rule (ipam_alloc_new).
 * A host's address (nb->host) that is the network or broadcast address or the IPv6
 * Subnet-Router anycast address of the block it lands in (cidr_role_in) is refused with
 * LANA_ERANGE naming what it is, unless nb->force.
 */
int ipam_take_new(struct ipam *ip, const struct cidr *prefix, const struct ipam_new *nb,
                  const char *actor, struct ipam_block *out, struct lana_diag *d);

/**
 * Releases a block, which returns to its parent's free space. A block with children only
 * when recursive (they all go). Pools are removed with ipam_pool_del instead.
 * *released (may be NULL) counts the blocks removed. This knows nothing of hosts: the
 * registry's command uses host_release_block (db/host.h), which refuses or deletes the hosts
 * whose addresses lie in the block. LANA_ENOTFOUND; LANA_ECONFLICT (a pool; children without
 * recursive); LANA_EDB.
 */
int ipam_release(struct ipam *ip, const struct cidr *prefix, bool recursive, const char *actor,
                 int64_t *released, struct lana_diag *d);

/**
 * Changes a block's holder and/or description (NULL leaves one as it is); *out (may be NULL)
 * gets the block after. LANA_ENOTFOUND, LANA_ERANGE / LANA_EPARSE (bad text), LANA_EDB.
 */
int ipam_update(struct ipam *ip, const struct cidr *prefix, const char *holder, const char *descr,
                const char *actor, struct ipam_block *out, struct lana_diag *d);

/** The block with exactly this prefix: 0 with *out; LANA_ENOTFOUND if none; LANA_EDB. */
int ipam_get(struct ipam *ip, const struct cidr *prefix, struct ipam_block *out,
             struct lana_diag *d);

/** Addresses used by the block's children and their number: 0 with *out, or LANA_EDB. */
int ipam_usage(struct ipam *ip, const struct ipam_block *b, struct ipam_usage *out,
               struct lana_diag *d);

typedef int ipam_each_cb(const struct ipam_block *b, void *arg); /* nonzero stops */

/**
 * The children of parent in address order; parent NULL lists the root pools. The callback
 * may read the registry (walk below). 0 (also when cb stopped with a positive value), cb's
 * negative code, or LANA_EDB.
 */
int ipam_children(struct ipam *ip, const struct ipam_block *parent, ipam_each_cb *cb, void *arg,
                  struct lana_diag *d);

/**
 * One page of the children of parent (not NULL) in address order: those that start after
 * after's address (NULL: from the first), at most limit (0: all). Costs one index seek and
 * limit steps however many children there are. The callback may read the registry. 0 (also
 * when cb stopped with a positive value), cb's negative code, or LANA_EDB.
 */
int ipam_children_page(struct ipam *ip, const struct ipam_block *parent, const struct cidr *after,
                       unsigned limit, ipam_each_cb *cb, void *arg, struct lana_diag *d);

/**
 * The chain of blocks that contain prefix (an address is a /32 or /128), root pool first,
 * down to the most specific one (prefix itself when it is a block). LANA_ENOTFOUND when no
 * pool contains it; LANA_EDB; the callback's nonzero value stops the walk and is returned.
 */
int ipam_chain(struct ipam *ip, const struct cidr *prefix, ipam_each_cb *cb, void *arg,
               struct lana_diag *d);

/**
 * The free prefixes inside a block (maximal aligned ones), in address order, at most max of
 * them; *more tells whether some were left out. 0, LANA_ENOTFOUND (no such block), LANA_EDB.
 */
int ipam_free_list(struct ipam *ip, const struct ipam_block *b, struct cidr *out, unsigned max,
                   unsigned *n, bool *more, struct lana_diag *d);

/** The block as a JSON object (for replies and the audit log); j's own error is sticky. */
struct jsonw;
void ipam_block_json(struct jsonw *j, const struct ipam_block *b);
/** The same members, written into an object the caller opened (and adds to). */
void ipam_block_json_members(struct jsonw *j, const struct ipam_block *b);
