/*
 * regcmd — the registry protocol's commands: one request (a line split into words) in, one
 * JSON reply out. Transport, handshake and transactions belong to server/registry.c; this
 * module only reads and changes the registry through db/ipam and friends, so the unit tests
 * drive it directly.
 *
 * Commands (words as the lana CLI takes them):
 *   pool add PREFIX [--desc T] | pool del PREFIX | pool list
 *   block alloc PARENT /N [--holder H] [--desc T] [--assign] | block alloc PREFIX [...]
 *   block assign PREFIX [--holder H] [--desc T] | block assign PARENT /N [...]
 *   block reserve PREFIX [--holder H] [--desc T]
 *   block release PREFIX [--recursive]
 *   block update PREFIX [--holder H] [--desc T]
 *   block show PREFIX | block list [PARENT] | block tree [PREFIX] [--depth N]
 *   whois ADDRESS|PREFIX | log [--since UNIX_MS] [--limit N] | ping | help
 *   zone add NAME [--block PREFIX]... | zone del NAME [--recursive] | zone list | zone show NAME
 *   zone export NAME
 *   host add NAME [--v4 auto|none|ADDR] [--v6 auto|none|ADDR] [--block PREFIX] | host del NAME
 *   host show NAME | host list [ZONE] | host rename OLD NEW
 *   record add NAME TYPE DATA... | record del NAME TYPE [DATA...]
 *   service add NAME tcp|udp [--port N|auto] [--desc T] | service del NAME tcp|udp
 *   service list | service bind HOST SERVICE [--proto P] [--port N]
 *   service unbind HOST SERVICE [--proto P]
 */
#pragma once

#include <stdbool.h>

#include "common/jsonw.h"
#include "common/regproto.h"
#include "db/ipam.h"
#include "db/host.h"
#include "db/names.h"
#include "db/rrset.h"
#include "db/service.h"
#include "db/zone.h"
#include "db/store.h"

struct regcmd_ctx {
    struct store *st;
    struct ipam *ip;
    const char *actor; /* who is asking, for the audit log ("" when anonymous) */
    bool may_write;    /* authenticated with a role that may change the registry */
    struct names *nm;  /* zones, hosts, records, services (NULL: those commands fail) */
};

/** Whether the request changes the registry (and so needs may_write and a transaction). */
bool regcmd_is_write(int argc, char **argv);

/**
 * Runs one request and writes its reply (one JSON object, no newline) into j, which is reset
 * first. Returns the reply's code (RP_OK on success).
 */
enum regproto_code regcmd_run(struct regcmd_ctx *c, int argc, char **argv, struct jsonw *j);

/** Writes an error reply into j (reset first) and returns code. */
enum regproto_code regcmd_error(struct jsonw *j, enum regproto_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
