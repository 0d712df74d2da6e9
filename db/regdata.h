/*
 * regdata — registration data: the one read layer behind every "who holds this" answer. The
 * registry command `whois`, the port-43 whois server (RFC 3912) and RDAP (RFC 9082/9083) all
 * ask here, so the three can never disagree. It returns our own structs through callbacks and
 * renders nothing (no RPSL, no JSON); it only reads, and checks no authority: registration
 * data is public, as in the RIPE database (tokens and stored keys never appear here).
 *
 * Handles (the names RDAP and whois give objects, and take back):
 *   - a block:  its prefix in canonical text, "198.18.7.0/24", "2001:db8:4001::/48";
 *               RDAP's parentHandle is its parent's prefix (none for a root pool);
 *   - an entity: an account's name ("student07"); a holder text that is no account's name
 *               stands for whoever the blocks with that holder are held by;
 *   - a domain: its name in lower case without the final dot ("student07.lab",
 *               "web1.student07.lab", "7.18.198.in-addr.arpa"); a final dot is accepted.
 *
 * Every walk is bounded by a caller's max and says whether it stopped there (more /
 * truncated). Cost: IP queries are O(depth of the block tree) index seeks plus what they
 * list; maintainer queries start from indexes (block_mnt, zone_sponsor, zone_registrant);
 * a holder query scans the blocks (no index on holder text), bounded by its max.
 *
 * Not thread-safe: one struct regdata per store and thread (a read-only store is the usual).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/cidr.h"
#include "common/dname.h"
#include "common/err.h"
#include "db/account.h"
#include "db/host.h"
#include "db/ipam.h"
#include "db/store.h"
#include "db/zone.h"

#define REGDATA_MAX 1000 /* a sensible default bound for listings (callers may pass others) */

/* A block as registration data: the block, and its parent's prefix (RDAP parentHandle). */
struct regdata_block {
    /* prefix, status, holder, descr, maintainer (mnt-by), created, updated (unix seconds) */
    struct ipam_block b;
    bool has_parent;    /* false for a root pool */
    struct cidr parent; /* the parent's prefix when has_parent */
    /* and its status: an allocation from a pool is a registrar's, one from an allocation a
     * sub-allocation */
    enum ipam_status parent_status;
};

typedef int regdata_block_cb(const struct regdata_block *b, void *arg); /* nonzero stops */

/* The IP queries, in the RIPE database's words (whois flags in brackets). */
enum regdata_ip_kind {
    REGDATA_IP_DEFAULT,  /* the most specific block containing the query (the exact one when
                          * it is a block): whois without flags, RDAP /ip */
    REGDATA_IP_CHAIN,    /* [-L] all less specific and the exact one: root pool first, down to
                          * the most specific block containing the query */
    REGDATA_IP_EXACT,    /* [-x] the block with exactly this prefix */
    REGDATA_IP_LESS,     /* [-l] one level less specific: the most specific block that
                          * contains the query and is not the query itself */
    REGDATA_IP_MORE,     /* [-m] one level more specific: the blocks inside the query that no
                          * other block inside it contains (a block's children), address order */
    REGDATA_IP_ALL_MORE, /* [-M] every block inside the query (not itself), depth first in
                          * address order: each block, then what lies inside it */
};

struct regdata;

/**
 * A reader over st (which must outlive it; not owned). It opens its own registry handles
 * (db/ipam.h, db/names.h) on st. 0 with *out set, or LANA_ENOMEM.
 */
int regdata_open(struct store *st, struct regdata **out, struct lana_diag *d);
/** Frees it; NULL is a no-op. */
void regdata_close(struct regdata *rd);

/**
 * The blocks of one IP query q (an address is a /32 or /128) of the given kind, at most max
 * of them to cb (*more, when not NULL, tells whether some were left out). Each block comes
 * with its parent's prefix.
 * 0 when at least one block was given; LANA_ENOTFOUND (with a message naming q) when there
 * is none; LANA_EDB; cb's nonzero value stops the walk and is returned.
 */
int regdata_ip(struct regdata *rd, const struct cidr *q, enum regdata_ip_kind kind, unsigned max,
               regdata_block_cb *cb, void *arg, bool *more, struct lana_diag *d);

/**
 * Addresses used by the block's children and how many children it has (db/ipam.h
 * ipam_usage), for listings that show utilization. 0 with *out, or LANA_EDB.
 */
int regdata_usage(struct regdata *rd, const struct regdata_block *b, struct ipam_usage *out,
                  struct lana_diag *d);

/**
 * The host registered at exactly the address addr (a /32 or /128): 1 with *out set, 0 when
 * none is, LANA_EDB.
 */
int regdata_host_at(struct regdata *rd, const struct cidr *addr, struct host_info *out,
                    struct lana_diag *d);

/* ---- domains --------------------------------------------------------------------------------- */

#define REGDATA_ZONE_BLOCKS ZONE_BLOCKS_MAX

/* A zone as registration data. */
struct regdata_zone {
    /* name (with its final dot), serial, records, hosts, reverse, sponsor (the registrar),
     * registrant (the maintainer) */
    struct zone_info z;
    int64_t created, updated; /* unix seconds */
    struct cidr blocks[REGDATA_ZONE_BLOCKS]; /* its default blocks, address order */
    unsigned nblocks;
};

enum regdata_domain_kind {
    REGDATA_DOMAIN_ZONE,    /* a zone of ours, forward or reverse */
    REGDATA_DOMAIN_HOST,    /* a registered host */
    REGDATA_DOMAIN_REVERSE, /* a name under in-addr.arpa. or ip6.arpa. that is no zone of ours:
                             * it stands for an address (full) or a prefix (partial) */
};

struct regdata_domain {
    enum regdata_domain_kind kind;
    char name[DNAME_TEXT_MAX]; /* canonical text with the final dot ("web1.lab.") */
    /* ZONE: the zone; HOST: the host's zone; REVERSE: the zone of ours that holds the name,
     * when has_zone */
    bool has_zone;
    struct regdata_zone zone;
    /* HOST: the host; REVERSE of a full address: the host registered there, when has_host */
    bool has_host;
    struct host_info host;
    /* REVERSE, and a reverse ZONE: the address (/32, /128) or prefix the name stands for
     * (7.18.198.in-addr.arpa. is 198.18.7.0/24); its blocks: regdata_ip(...) of it */
    bool has_prefix;
    struct cidr prefix;
};

/**
 * What the domain name (text, final dot optional, any case) is: a zone (first), a host, or a
 * reverse name. A reverse name is found when a zone of ours holds it or a block contains or
 * lies inside its prefix. 0 with *out set; LANA_EPARSE (not a domain name); LANA_ENOTFOUND;
 * LANA_EDB.
 */
int regdata_domain(struct regdata *rd, const char *name, struct regdata_domain *out,
                   struct lana_diag *d);

/**
 * Whether the reverse name (text, final dot optional) stands for an address or prefix: true
 * with *out set ("7.18.198.in-addr.arpa" is 198.18.7.0/24, 32 nibbles of ip6.arpa an address),
 * else false. Pure; never touches the store.
 */
bool regdata_reverse_prefix(const char *name, struct cidr *out);

typedef int regdata_domain_cb(const struct regdata_domain *dom, void *arg); /* nonzero stops */

/**
 * Zones and hosts whose name matches pattern (RDAP /domains?name=, RFC 9082 section 4.1):
 * a domain name with at most one '*'. At the very end of the pattern it stands for any
 * trailing characters ("stud*" matches "student07.lab." and "studio.lab."); at the end of
 * another label for any characters but a dot ("stud*.lab" matches "student07.lab." only);
 * without '*' the name itself is looked for. At least one character must come before the
 * '*'. Case does not matter; a final dot is optional. Zones first, then hosts, each by name;
 * at most max to cb; *truncated (may be NULL) tells whether there were more, or whether the
 * scan of names sharing the text before '*' stopped at its own bound (64 * max names).
 * 0 (also when nothing matched); LANA_EPARSE (a '*' inside a label, two of them, nothing
 * before it, a bad name); LANA_EDB; cb's nonzero value.
 */
int regdata_domain_search(struct regdata *rd, const char *pattern, unsigned max,
                          regdata_domain_cb *cb, void *arg, bool *truncated, struct lana_diag *d);

/* ---- entities ------------------------------------------------------------------------------- */

struct regdata_entity {
    bool is_account;                /* false: a holder text found on blocks only */
    char name[IPAM_TEXT_MAX];       /* the account's name, or the holder text (the handle) */
    char role[16];                  /* account: admin, registrar, registrant; "" for a holder */
    char sponsor[ACCOUNT_NAME_MAX]; /* account: its registrar ("" when admin's) */
    bool enabled;                   /* account: may it write */
    int64_t created, updated;       /* account: unix seconds (0 when not recorded) */
};

/**
 * The entity whose handle is handle: an account of that name, else a holder text that some
 * block carries. 0 with *out set; LANA_ENOTFOUND; LANA_EPARSE (empty or over-long); LANA_EDB.
 */
int regdata_entity(struct regdata *rd, const char *handle, struct regdata_entity *out,
                   struct lana_diag *d);

/**
 * The blocks whose holder text is exactly holder, in address order (IPv4 first), at most max
 * to cb; *more (may be NULL) whether there were more. A scan of the blocks. 0 (also when none
 * is), LANA_EDB, cb's nonzero value.
 */
int regdata_holder_blocks(struct regdata *rd, const char *holder, unsigned max,
                          regdata_block_cb *cb, void *arg, bool *more, struct lana_diag *d);

/* ---- inverse queries by maintainer (whois -i mnt-by NAME) -------------------------------- */

/**
 * The blocks account maintains (mnt-by), in address order (IPv4 first), at most max to cb;
 * *more (may be NULL) whether there were more. Walks down from the account's delegation
 * points. 0 (also when none), LANA_EDB, cb's nonzero value.
 */
int regdata_mnt_blocks(struct regdata *rd, const char *account, unsigned max, regdata_block_cb *cb,
                       void *arg, bool *more, struct lana_diag *d);

typedef int regdata_zone_cb(const struct regdata_zone *z, void *arg); /* nonzero stops */

/**
 * The zones account maintains: those it is the registrant or the sponsoring registrar of, by
 * name, at most max to cb; *more (may be NULL) whether there were more. 0 (also when none),
 * LANA_EDB, cb's nonzero value.
 */
int regdata_mnt_zones(struct regdata *rd, const char *account, unsigned max, regdata_zone_cb *cb,
                      void *arg, bool *more, struct lana_diag *d);
