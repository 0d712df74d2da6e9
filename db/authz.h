/*
 * authz — who may change what: the registry's one authority rule, after the RIPE database
 * (mnt-by, mnt-lower) and EPP (a sponsoring registrar per object).
 *
 *   An account may change an object it maintains, or one that lies inside an object it
 *   maintains; it may create inside what it may change.
 *
 * For the address space "inside" is the block tree: a block's maintainer, and the
 * maintainers of every block enclosing it, may change or release it and create inside it
 * (root pools are admin's, so admin may everything). For names it is the zone tree: a zone's
 * registrant and sponsoring registrar manage what is inside it, and so does whoever holds
 * authority over the enclosing zone. Two edges join the trees to the outside: a registrar may
 * register a name one label below a zone that admin holds (a registry zone such as lab.),
 * for itself or one of its customers; and a reverse name (PTR) follows the block that holds
 * its address, not its zone. The port registry and top-level zones are admin's.
 *
 * The db/ functions that change the registry call these checks for the objects they name,
 * with the acting account the caller set on the store (authz_act); with none set (lanad's
 * own work: bootstrap, migrations, tests of db/ alone) everything is allowed. A refusal is
 * LANA_EPERM with a message that names who holds the authority ("10.0.7.0/24 is maintained
 * by student07"); it is checked before anything is written.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "db/account.h"
#include "db/store.h"

enum authz_role { AUTHZ_REGISTRANT = 1, AUTHZ_REGISTRAR, AUTHZ_ADMIN };

/* The acting account, as authenticated. */
struct authz_who {
    char name[ACCOUNT_NAME_MAX];
    enum authz_role role;
};

/** "admin", "registrar", "registrant" to a role: true with *out set, else false. */
bool authz_role_parse(const char *s, enum authz_role *out);
/** The role's name (static text). */
const char *authz_role_name(enum authz_role r);

/** Sets whose writes st's changes are from now on (NULL: lanad's own). who must outlive it. */
void authz_act(struct store *st, const struct authz_who *who);
/** The acting account, or NULL. */
const struct authz_who *authz_actor(const struct store *st);

/** Whether the acting account is admin, or there is none. */
bool authz_is_admin(const struct store *st);

/**
 * Admin only (the port registry, root pools, accounts of registrars, top-level zones).
 * what names the object for the message ("the port registry"). 0, LANA_EPERM.
 */
int authz_admin(struct store *st, const char *what, struct lana_diag *d);

/**
 * May the acting account change block id (update, release), or create inside it (create:
 * the message then says so)? 0, LANA_EPERM ("10.0.7.0/24 is maintained by student07"),
 * LANA_ENOTFOUND, LANA_EDB.
 */
int authz_block(struct store *st, int64_t id, bool create, struct lana_diag *d);

/**
 * May the acting account hand a new block of status (a name from ipam: "allocated",
 * "assigned", "reserved") to account to? Admin may hand anything to anyone; a registrar to
 * itself, to its customers and to other registrars (a sub-allocation); a registrant only to
 * itself. A registrant holds assigned blocks only. The account must exist and be enabled.
 * 0, LANA_EPERM, LANA_ENOTFOUND (no such account), LANA_EDB.
 */
int authz_hand_block(struct store *st, const char *to, const char *status, struct lana_diag *d);

/**
 * May the acting account change zone id and everything in it? 0, LANA_EPERM ("zone
 * student07.lab. is held by student07 (sponsor class1)"; for the catalog zone, whoever
 * asks: db/catalog.h), LANA_ENOTFOUND, LANA_EDB.
 */
int authz_zone(struct store *st, int64_t id, struct lana_diag *d);

struct ipam;
/**
 * May the acting account change the records at owner (wire, lower case) in zone? A reverse
 * name (under in-addr.arpa. or ip6.arpa.) that stands for an address or prefix inside a
 * block follows that block (authz_block of the most specific one); every other name follows
 * its zone (authz_zone). 0, LANA_EPERM, LANA_ENOTFOUND, LANA_EDB.
 */
int authz_name(struct store *st, struct ipam *ip, int64_t zone, const uint8_t *owner,
               struct lana_diag *d);

/** Who a new zone belongs to. */
struct authz_zone_roles {
    char sponsor[ACCOUNT_NAME_MAX];
    char registrant[ACCOUNT_NAME_MAX];
};

/**
 * May the acting account create the zone whose apex is apex (wire, lower case), for the
 * account registrant (NULL: itself)? Sets *out: the sponsor is the registrar that registers
 * it (for admin: the registrant's own sponsor, or the registrant when it is a registrar; for
 * a registrant below its own zone: that zone's sponsor), the registrant is the one named.
 * A reverse zone (under in-addr.arpa. or ip6.arpa.) whose addresses lie in a block follows
 * the most specific such block (authz_block, through ip), never the registry edge; one
 * outside every block follows the zone above it. 0, LANA_EPERM, LANA_ENOTFOUND (no such
 * registrant), LANA_EDB.
 */
int authz_zone_create(struct store *st, struct ipam *ip, const uint8_t *apex,
                      const char *registrant, struct authz_zone_roles *out, struct lana_diag *d);

/**
 * May the acting account manage accounts name (disable, enable, a new token)? Admin any;
 * a registrar its customers; everyone may give itself a new token (self_ok). 0, LANA_EPERM,
 * LANA_ENOTFOUND, LANA_EDB.
 */
int authz_account(struct store *st, const char *name, bool self_ok, struct lana_diag *d);

/**
 * The acting account's own state at the moment of a write: enabled, and still holding the
 * token it authenticated with (key: its StoredKey then). 0; LANA_EPERM ("account student07
 * is disabled", "the token of student07 was replaced"); LANA_EDB.
 */
int authz_current(struct store *st, const uint8_t key[AUTH_KEY_LEN], struct lana_diag *d);

/* ---- what an account may change (lana authority) ------------------------------------------- */

enum authz_kind {
    AUTHZ_KIND_ALL,      /* everything: an admin account (one item, nothing else listed) */
    AUTHZ_KIND_BLOCK,    /* a block, and everything inside it (reverse names included) */
    AUTHZ_KIND_ZONE,     /* a zone, and everything in it: hosts, records, service bindings */
    AUTHZ_KIND_REGISTRY, /* a registry zone: a registrar may register names one label below */
    AUTHZ_KIND_ACCOUNT,  /* an account: its token (itself), or disable/enable/token (customer) */
};

/** "everything", "block", "zone", "registry", "account" (static text). */
const char *authz_kind_name(enum authz_kind k);

/* One object an account may change, and why. The strings live during the callback only. */
struct authz_item {
    enum authz_kind kind;
    const char *name;   /* "198.18.7.0/24", "student07.lab.", "student07", "everything" */
    const char *reason; /* "maintainer", "inside 198.18.0.0/20 maintained by you", ... */
    const char *via;    /* the enclosing object that gives the authority, or NULL */
};

typedef int authz_list_cb(const struct authz_item *it, void *arg); /* nonzero stops */

/**
 * Every object the account called name may change under the rule above, and why, in this
 * order: blocks (address order: each block it maintains, "maintainer", and every block inside
 * one, "inside P maintained by you" with the nearest such P), zones (canonical order: those it
 * sponsors or is the registrant of, and every zone below one, "inside Z you hold"), for a
 * registrar the registry zones it may register names below (zones whose registrant is admin),
 * then accounts (itself, for a new token; for a registrar, its customers). Reverse names,
 * hosts and records are not listed one by one: they follow their block or zone. An admin
 * account gets one AUTHZ_KIND_ALL item instead of a list of the whole registry; a disabled
 * account none (it may change nothing). The acting account of st plays no part.
 *
 * Cost: blocks are walked down from the account's own (index block_mnt, then block_child),
 * zones from the ones it holds (zone_sponsor, zone_registrant, then a range of apex keys):
 * O(what is listed), never a scan of the registry. Only reads; cb may not use st.
 * 0 (also when cb stopped it with a positive value), cb's negative value, LANA_ENOTFOUND (no
 * such account), LANA_EDB.
 */
int authz_list(struct store *st, const char *name, authz_list_cb *cb, void *arg,
               struct lana_diag *d);
