/*
 * regconn — one registry protocol connection: the HELLO/WELCOME/ACK handshake, request lines
 * and their framing (batch ... end, zone import ... .), and the output buffer. It runs each
 * complete line through the command table (server/cmd.h) and queues the reply; it never
 * sends on its own except through regconn_flush() and regconn_send_some(), and it knows
 * nothing of the event loop, the listeners or the commit: server/regsrv.c owns those.
 *
 * The turn: a write command first opens the store's transaction (if the turn has none yet)
 * and marks the connection `wrote`; regsrv commits once every ready connection has run, and
 * only then flushes the replies, so nobody hears "ok" for something that is not on disk.
 *
 * Invariants: in holds no complete line between calls; out[outoff..outlen) is unsent; once
 * `closing` is set no further line is read, and the connection is done when out is empty.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/jsonw.h"
#include "common/net.h"
#include "common/regproto.h"
#include "db/account.h"
#include "db/ipam.h"
#include "db/names.h"
#include "db/store.h"
#include "server/regguard.h"
#include "server/regio.h"

#define REGCONN_WANT_READ 1u  /* regconn_want(): read more requests */
#define REGCONN_WANT_WRITE 2u /* regconn_want(): output is waiting */

/* What every connection of the registry thread shares; owned by regsrv. */
struct regconn_env {
    struct store *st; /* the daemon's only writing connection */
    struct ipam *ip;
    struct names *nm;
    struct jsonw reply; /* scratch for one reply at a time */
    struct regguard *guard; /* admission and limits; NULL: none */
};

enum regconn_state { RC_HELLO, RC_ACK, RC_READY, RC_BATCH, RC_IMPORT };

struct regconn {
    struct regconn_env *env;
    int fd;          /* the socket, for the event loop; io reads and writes it */
    struct regio io; /* the byte stream: plain TCP (or a secured transport) */
    char peer[NET_ADDRSTRLEN];
    enum regconn_state state;
    bool may_write;   /* authenticated with a role that may change the registry */
    bool closing;     /* say what is queued, then close */
    bool wrote;       /* opened or used the turn's transaction */
    uint64_t last_ms; /* monotonic time of the last complete line (a trickle is idle) */
    struct regguard_conn guard; /* its place under the caps (regguard's fields) */
    char in[REGPROTO_LINE_MAX];
    size_t inlen;
    char *out;
    size_t outlen, outoff, outcap;
    uint32_t x, y;               /* the handshake's sequence numbers: ours is y */
    char user[ACCOUNT_NAME_MAX]; /* "" when anonymous */
    char role[sizeof(((struct account *)0)->role)];
    char actor[ACCOUNT_NAME_MAX + NET_ADDRSTRLEN + 8];
    char **batch; /* the lines of a batch or a zone import, until it ends */
    size_t nbatch, capbatch, batchbytes;
    bool keep_going;             /* batch --keep-going */
    bool import_refused;         /* the import's lines are read and dropped */
    char origin[256];            /* zone import --origin */
    struct regconn *prev, *next; /* regsrv's list */
};

/**
 * A new connection on fd (which it then owns), in the handshake's first state. Returns NULL
 * when out of memory (fd is left open for the caller).
 */
struct regconn *regconn_new(struct regconn_env *env, int fd, const struct sockaddr *peer,
                            uint64_t now_ms);

/** Closes the fd and frees everything; NULL is a no-op. The caller unlinks it first. */
void regconn_free(struct regconn *c);

/**
 * Reads what the socket holds and runs every complete line (at most until OUT_PAUSE bytes of
 * replies wait). End of stream or a read error set `closing`. Never blocks.
 */
void regconn_read(struct regconn *c, uint64_t now_ms);

/** REGCONN_WANT_READ and/or REGCONN_WANT_WRITE: what to watch the fd for now. */
unsigned regconn_want(const struct regconn *c);

/**
 * Sends what the socket takes now. Returns true when the connection is finished (closing and
 * everything sent, or the socket failed): the caller then unlinks and frees it.
 */
bool regconn_flush(struct regconn *c);

/** Sends what the socket takes now without deciding anything (a batch streaming replies). */
void regconn_send_some(struct regconn *c);

/**
 * Drops what is queued when drop is true, then queues one error line (ERROR {...} during the
 * handshake) and marks the connection closing.
 */
void regconn_refuse(struct regconn *c, enum regproto_code code, const char *msg, bool drop);
