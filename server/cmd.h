/*
 * cmd — the registry protocol's one command table: a request (a line split into words) in,
 * one JSON reply out. Transport, handshake, framing and the turn's transaction belong to
 * server/regconn.c and server/regsrv.c; handlers only read and change the registry through
 * db/, so the unit tests drive them directly.
 *
 * Each row is {verb, sub, flags, positional counts, usage, option rows, handler}. Everything
 * about a request is derived from its row and from nothing else: dispatch, the argument check
 * and its usage error, `help` and its text, whether it writes (and so needs an account that
 * may write and runs inside the turn's transaction), and the permission check.
 *
 * Invariant (fail closed): a request runs only through the row that matches its first words
 * exactly; a verb, subcommand or option that is not in the table is refused with "usage",
 * and a CMD_WRITE row is refused with "permission" before any argument is looked at unless
 * cmd_permitted() says yes. Rows with a frame (batch, end, zone import, quit) are
 * connection framing: cmd_prepare() checks them like any row, but only regconn acts on them.
 *
 * Authority comes in two steps. A row says what role it needs (CMD_ADMIN: the operator's
 * alone, such as the port registry; every other write: any account), which cmd_permitted()
 * alone compares with the asker's; then cmd_exec() makes the asker the acting account of the
 * store (db/authz.h), so that every db/ call of the handler checks the one authority rule
 * against the objects it names: the tree of blocks and zones decides, not the command.
 */
#pragma once

#include <stdbool.h>

#include "common/jsonw.h"
#include "common/regproto.h"
#include "db/authz.h"
#include "db/host.h"
#include "db/ipam.h"
#include "db/names.h"
#include "db/rrset.h"
#include "db/service.h"
#include "db/store.h"
#include "db/zone.h"
#include "server/cmdargs.h"

/* What a request runs with: the registry thread's writing connection and who is asking.
 * Every pointer is non-NULL; st, ip and nm stay the caller's. */
struct cmd_ctx {
    struct store *st;
    struct ipam *ip;
    const char *actor; /* who is asking, for the audit log ("" when anonymous) */
    bool may_write;    /* authenticated with a role that may change the registry */
    /* the authenticated account (NULL: lanad's own, as the unit tests of handlers run) and
     * the StoredKey of the token it authenticated with (AUTH_KEY_LEN bytes; NULL with who) */
    const struct authz_who *who;
    const uint8_t *key;
    struct names *nm;  /* zones, hosts, records, services */
    bool enclosed;     /* inside a unit that undoes everything on failure (an all-or-nothing
                        * batch): a write needs no savepoint of its own */
};

/* Bytes of zone import --origin: regconn keeps it in 256 bytes. */
#define CMD_ORIGIN_MAX 255

enum cmd_flags {
    CMD_WRITE = 1u << 0, /* changes the registry: permission, then the turn's transaction */
    CMD_ADMIN = 1u << 1, /* admin's alone (with CMD_WRITE): pools, the port registry, imports;
                          * alone, a read for admin only (TSIG keys and their secrets) */
    CMD_ACCOUNT = 1u << 2, /* a read for accounts only (the audit log), never anonymous */
    CMD_SECRET = 1u << 3,  /* its reply hands out a token: never inside a batch, whose lines
                            * are answered before it commits (an undone batch would take back
                            * a token already shown) */
};

/* What regconn does with a framing row; CMD_FRAME_NONE: a plain request, run by cmd_exec. */
enum cmd_frame { CMD_FRAME_NONE, CMD_FRAME_BATCH, CMD_FRAME_END, CMD_FRAME_IMPORT, CMD_FRAME_QUIT };

struct cmd;
typedef enum regproto_code cmd_fn(struct cmd_ctx *c, const struct cmd_args *a, struct jsonw *j);

struct cmd {
    const char *verb;
    const char *sub;            /* NULL: the verb takes no subcommand */
    unsigned flags;             /* enum cmd_flags */
    enum cmd_frame frame;       /* batch, end, zone import, quit; else CMD_FRAME_NONE */
    int min_pos, max_pos;       /* positional words after verb [sub] (max -1: no limit) */
    const char *usage;          /* the whole request, e.g. "pool del PREFIX" */
    const struct cmd_opt *opts; /* the options it takes (NULL-name terminated; NULL: none) */
    cmd_fn *run;                /* NULL exactly for framing rows */
};

extern const struct cmd cmd_table[];
extern const size_t cmd_ntable;

/** Whether the row changes the registry (needs cmd_permitted and a transaction). */
static inline bool cmd_is_write(const struct cmd *row)
{
    return (row->flags & CMD_WRITE) != 0;
}

/** Whether the row is connection framing, which only regconn acts on. */
static inline bool cmd_is_frame(const struct cmd *row)
{
    return row->frame != CMD_FRAME_NONE;
}

/** Whether the asker may run the row: reads are open to everyone, CMD_ACCOUNT reads to any
 * account, writes need an enabled one (may_write), CMD_ADMIN rows an admin (or lanad's own,
 * who NULL). */
bool cmd_permitted(const struct cmd *row, const struct cmd_ctx *c);

/**
 * The row that argv (argc > 0) names: verb and sub matched exactly (case matters), or NULL
 * when the table has none. Pure; thread-safe.
 */
const struct cmd *cmd_find(int argc, char **argv);

/**
 * Checks a request against the table without running it. Sets *row to the matched row (NULL
 * when there is none), then checks, in this order: permission (RP_PERMISSION), options
 * (RP_USAGE), the text door (RP_INVALID), the number of positional words (RP_USAGE with the
 * row's usage). On RP_OK a holds the parsed arguments (pointing into argv); on any refusal the
 * error reply is in j (reset first) and its code is returned. Never changes the registry.
 * An authenticated account's RP_PERMISSION is logged (warn, naming the account), as
 * cmd_exec logs its own.
 *
 * The text door is the registry's one check of what a request carries: every word after the
 * verb and sub must be text (common/text.h: valid UTF-8, no control character, no NUL) of at
 * most its field's bytes — the option row's max (holder and descriptions IPAM_TEXT_MAX - 1,
 * --origin CMD_ORIGIN_MAX) or CMDARGS_TEXT_MAX — and is refused naming the field: an option
 * ("--holder: invalid UTF-8 at byte 1 (0xc3: a sequence cut short)") or a positional word by
 * the name its row's usage gives it ("NAME: control character U+0007 at byte 3"). An unknown
 * verb is checked the same way before it is quoted back.
 */
enum regproto_code cmd_prepare(const struct cmd_ctx *c, int argc, char **argv,
                               const struct cmd **row, struct cmd_args *a, struct jsonw *j);

/* What a raw line is, for cmd_check_line(). */
enum cmd_line {
    CMD_LINE_REQUEST, /* a request, or a handshake line */
    CMD_LINE_BATCH,   /* a line collected into a batch */
    CMD_LINE_ZONE,    /* a line of a zone file sent after "zone import" */
};

/**
 * The door's look at one raw line (len bytes, its newline left out) before anything reads it
 * as a C string, splits it or collects it. A NUL anywhere is refused: a line is text, and a
 * NUL would silently cut it short. A zone file's line must moreover be text as common/text.h
 * says, tabs allowed and a final CR ignored: RFC 1035 §5.1 writes any other octet as \DDD,
 * and the registry protocol's lines are UTF-8 (each word of a request is checked later, by
 * cmd_prepare, with its field's name). lineno: the line's number inside the batch or the
 * zone file (from 1). Returns 0, or LANA_EPARSE with a message in d that says what was not
 * done ("line 3 of the batch holds a NUL byte at byte 12: the batch is dropped").
 */
int cmd_check_line(const char *line, size_t len, enum cmd_line kind, size_t lineno,
                   struct lana_diag *d);

/**
 * Runs a request that cmd_prepare accepted (row and a from it): the row's handler writes its
 * reply (one JSON object, no newline) into j. row must not be a framing row. The caller has
 * opened the transaction when cmd_is_write(row). A write row runs as one unit (a savepoint,
 * unless c->enclosed): on an error reply nothing of it is kept. A refusal (RP_PERMISSION:
 * the asker disabled or its token replaced, or the authority rule) of an authenticated
 * account is logged (warn: the account, the row, the reply). Returns the reply's code
 * (RP_OK on success); RP_INTERNAL when the reply ran out of memory or the unit could not be
 * opened or kept.
 */
enum regproto_code cmd_exec(struct cmd_ctx *c, const struct cmd *row, const struct cmd_args *a,
                            struct jsonw *j);

/**
 * Runs one request: cmd_prepare, then the row's handler, whose reply (one JSON object, no
 * newline) is written into j. A framing row is refused (RP_USAGE): only a connection can
 * act on it. The caller has opened the transaction when cmd_is_write(row). Returns the reply's
 * code (RP_OK on success); RP_INTERNAL when the reply ran out of memory.
 */
enum regproto_code cmd_run(struct cmd_ctx *c, int argc, char **argv, struct jsonw *j);

/** Writes an error reply into j (reset first) and returns code. */
enum regproto_code cmd_error(struct jsonw *j, enum regproto_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
