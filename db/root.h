/*
 * root — the lab's root server system: the root zone `.` and its name servers.
 *
 * A lab that serves `.` has one set of servers for every zone: lanad and the secondaries that
 * copy each of its zones. Their names and addresses are the root servers (table root_server,
 * `lana root add NAME ADDR...`), and the zone data follows from them, kept here in one place:
 *  - every zone's apex NS set is the root servers (once there is one; a zone made later gets
 *    the same), and its delegation in the zone above names the same set;
 *  - a delegation carries glue: the addresses of the name servers that lie below the cut
 *    (RFC 9471: in-bailiwick names), so `lab. NS a.root-servers.lab.` in `.` comes with
 *    `a.root-servers.lab. A ...`; glue of names no longer in the set goes;
 *  - a root server's addresses are records of `.` and of the deepest other zone holding its
 *    name (authoritative there: `a.root-servers.lab. A` is data of `lab.`).
 * When `.` is made, every zone whose enclosing zone it now is gets its delegation there.
 * Every changed zone's serial goes up once per call. Runs inside the caller's transaction;
 * not thread-safe (one struct names per thread).
 */
#pragma once

#include <stdint.h>

#include "common/dname.h"
#include "common/err.h"
#include "db/names.h"

#define ROOT_SERVERS_MAX 13     /* as many names as the Internet's root has (fits 512 bytes) */
#define ROOT_ADDRS_MAX 4        /* addresses of one server */
#define ROOT_HINTS_TTL 3600000u /* the TTL a root hints file gives (named.root) */

struct root_server {
    char name[DNAME_TEXT_MAX]; /* lower case, final dot */
    uint8_t wire[DNAME_MAXLEN];
    unsigned naddr;
    struct {
        uint16_t type; /* DNS_T_A or DNS_T_AAAA */
        uint8_t a[16]; /* 4 or 16 octets used */
    } addr[ROOT_ADDRS_MAX];
};

struct root_set {
    unsigned n;
    struct root_server s[ROOT_SERVERS_MAX];
};

/** The root servers, by name. 0 or LANA_EDB. */
int root_servers(struct names *n, struct root_set *out, struct lana_diag *d);

/**
 * Adds root server name (a host name) with its addresses (IPv4 or IPv6 text, 1 to
 * ROOT_ADDRS_MAX), or gives one that exists these addresses instead, and brings every zone in
 * line (see above). One savepoint, audited as root.add. *zones (may be NULL) gets how many
 * zones changed. LANA_EPARSE (name, address), LANA_ENOTFOUND (lanad serves no `.`),
 * LANA_ERANGE (too many servers or addresses), LANA_ECONFLICT (name is a registered host),
 * LANA_EDB.
 */
int root_add(struct names *n, const char *name, const char *const *addrs, unsigned naddr,
             const char *actor, int *zones, struct lana_diag *d);

/**
 * Removes root server name: out of every NS set, its addresses out of the zones. The last one
 * stays (the zones would be left without NS). LANA_ENOTFOUND, LANA_ECONFLICT, LANA_EDB.
 */
int root_del(struct names *n, const char *name, const char *actor, int *zones, struct lana_diag *d);

/**
 * Called by zone creation and deletion (db/zone.c), inside their savepoint, once the zone at
 * apex has its SOA, NS and delegation, or is gone with its delegation: when there are root
 * servers, a new zone takes them as its NS set and their addresses are put back where a
 * deletion took them; when the zone is `.`, the zones below it get their delegations there.
 * 0, LANA_ENOMEM or LANA_EDB.
 */
int root_zone_changed(struct names *n, const uint8_t *apex, struct lana_diag *d);
