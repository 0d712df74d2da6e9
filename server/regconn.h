/*
 * regconn — one registry protocol connection: the HELLO/WELCOME/ACK handshake, request lines
 * and their framing (batch ... end, zone import ... .), and the output buffer. It runs each
 * complete line through the command table (server/cmd.h) and queues the reply; it never
 * sends on its own except through regconn_flush() and regconn_send_some(), and it knows
 * nothing of the event loop, the listeners or the commit: server/regsrv.c owns those. The
 * running of a collected batch or zone import is server/regbatch.c.
 *
 * The turn: a write command first opens the store's transaction (if the turn has none yet)
 * and marks the connection `wrote`; regsrv commits once every ready connection has run, and
 * only then flushes the replies, so nobody hears "ok" for something that is not on disk. If
 * that commit fails, every reply the connection queued from its first write of the turn on
 * is replaced by an error line (regconn_withdraw): one reply per request still.
 *
 * What a read sees: the last commit, plus this connection's own uncommitted writes of the
 * turn. A connection that has not written in this turn reads from the reader connection
 * (env->rst: WAL gives it the last committed snapshot); one that has, or a batch's own
 * lines, read from the writer; the handshake looks accounts up on the reader, so it never
 * waits for the writer. A batch holds the writer's transaction across many loop
 * passes (regbatch); meanwhile another connection's write is parked: it stops reading, its
 * line stays buffered, and it waits in env's queue, in order, getting PROGRESS lines, until
 * the batch ends.
 *
 * Invariants: in holds no complete line between calls unless `pending` (stopped by a full
 * output, by parking or by a batch waiting to run); out[outoff..outlen) is unsent; once
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
#include "db/authz.h"
#include "db/ipam.h"
#include "db/names.h"
#include "db/store.h"
#include "server/regguard.h"
#include "server/regio.h"

#define REGCONN_WANT_READ 1u         /* regconn_want(): read more requests */
#define REGCONN_WANT_WRITE 2u        /* regconn_want(): output is waiting */
#define REGCONN_OUT_PAUSE (1u << 20) /* stop running lines with this much unsent */
#define REGCONN_MSG_FULL "the registry's disk is full; nothing was changed"

/* What every connection of the registry thread shares; owned by regsrv. */
struct regconn_env {
    struct store *st; /* the daemon's only writing connection */
    struct ipam *ip;
    struct names *nm;
    struct store *rst; /* a read-only connection on the same file (NULL: reads use st) */
    struct ipam *rip;
    struct names *rnm;
    struct jsonw reply;            /* scratch for one reply at a time */
    struct regconn *batch;         /* the batch holding st's transaction, or NULL */
    struct regconn *qhead, *qtail; /* waiting for the batch to end: parked writers, batches */
    bool full;                     /* a request of this turn found the disk full */
    struct regguard *guard;        /* admission and limits; NULL: none */
};

/* RC_RUN: a collected batch, queued or running (regbatch); no line is read meanwhile */
enum regconn_state { RC_HELLO, RC_ACK, RC_READY, RC_BATCH, RC_IMPORT, RC_RUN };

struct regconn {
    struct regconn_env *env;
    int fd;          /* the socket, for the event loop; io reads and writes it */
    struct regio io; /* the byte stream: plain TCP (or a secured transport) */
    char peer[NET_ADDRSTRLEN];
    enum regconn_state state;
    bool may_write;   /* authenticated with a role that may change the registry */
    bool closing;     /* say what is queued, then close */
    bool wrote;       /* opened or used the turn's transaction */
    bool pending;     /* complete lines wait in `in` (output full, parked, batch queued) */
    bool parked;      /* in env's queue: a write waits for the batch to end */
    size_t turn_mark; /* out offset of the first reply after this turn's first write */
    uint64_t last_ms; /* monotonic time of the last complete line (a trickle is idle) */
    struct regguard_conn guard; /* its place under the caps (regguard's fields) */
    char in[REGPROTO_LINE_MAX];
    size_t inlen;
    char *out;
    size_t outlen, outoff, outcap;
    uint32_t x, y;               /* the handshake's sequence numbers: ours is y */
    char user[ACCOUNT_NAME_MAX]; /* "" when anonymous */
    char role[sizeof(((struct account *)0)->role)];
    struct authz_who who;            /* the account as the authority rule sees it */
    uint8_t key[AUTH_KEY_LEN];       /* the StoredKey it authenticated with */
    char actor[ACCOUNT_NAME_MAX + NET_ADDRSTRLEN + 8];
    char **batch; /* the lines of a batch or a zone import, until it ends */
    size_t nbatch, capbatch, batchbytes;
    bool keep_going;     /* batch --keep-going */
    bool import_refused; /* the import's lines are read and dropped */
    char origin[256];    /* zone import --origin */
    unsigned progress;   /* batch --progress N: a PROGRESS line every N commands */
    size_t bnext, bok, bfailed, bfirst_bad; /* a running batch: next line, tallies */
    bool bunit;                             /* the batch's savepoint is open */
    bool bkeep;                             /* a done batch: its savepoint was released (kept) */
    uint64_t bt0, bprogress_ms;             /* when it started; when it last ran a line */
    struct regconn *qnext;                  /* env's queue */
    struct regconn *prev, *next;            /* regsrv's list */
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
 * Runs the complete lines already buffered, then reads what the socket holds and runs those,
 * line by line, stopping (the rest stays buffered, `pending`) when REGCONN_OUT_PAUSE bytes of
 * replies wait, when a write must wait for a batch (parked), or when a batch was collected
 * (RC_RUN: regsrv starts it). End of stream or a read error set `closing`. Never blocks.
 */
void regconn_read(struct regconn *c, uint64_t now_ms);

/** Whether lines wait in the buffer and nothing holds them any more: call regconn_read. */
bool regconn_runnable(const struct regconn *c);

/** REGCONN_WANT_READ and/or REGCONN_WANT_WRITE: what to watch the fd for now. */
unsigned regconn_want(const struct regconn *c);

/**
 * Queues "PROGRESS <json>\n", a line that is not a reply (common/regproto.h); json is one
 * object. Used for a parked connection ({"waiting":"batch",...}) and a batch's own progress.
 */
void regconn_progress(struct regconn *c, const char *json);

/** Takes c out of env's queue (when it is there); a parked connection becomes runnable. */
void regconn_dequeue(struct regconn *c);

/**
 * The turn's commit failed: every reply c queued since its first write of the turn (none of
 * them sent yet) is replaced by one error line (code, msg), so a pipelining client still gets
 * one reply per request; the connection stays open. Clears `wrote`.
 */
void regconn_withdraw(struct regconn *c, enum regproto_code code, const char *msg);

/**
 * Sends what the socket takes now. Returns true when the connection is finished (closing and
 * everything sent, or the socket failed): the caller then unlinks and frees it.
 */
bool regconn_flush(struct regconn *c);

/** Sends what the socket takes now without deciding anything (a batch streaming replies). */
void regconn_send_some(struct regconn *c);

/**
 * Drops what is queued and has not started to go out when drop is true (a line partly sent is
 * kept whole), then queues one error line (ERROR {...} during the handshake) and marks the
 * connection closing.
 */
void regconn_refuse(struct regconn *c, enum regproto_code code, const char *msg, bool drop);

/* ---- batches (server/regbatch.c) ------------------------------------------------------------ */

enum regbatch_step { REGBATCH_MORE, REGBATCH_PAUSED, REGBATCH_DONE };

/**
 * Starts c's collected batch (state RC_RUN, at the head of env's queue, no batch running, no
 * transaction open: regsrv committed the turn first). Opens the writer's transaction and the
 * batch's savepoint; env->batch = c. Returns false when it could not (answered already; c is
 * back to RC_READY).
 */
bool regbatch_begin(struct regconn *c, uint64_t now_ms);

/**
 * Runs c's batch (env->batch) until deadline_ms or REGBATCH_SLICE lines: REGBATCH_MORE (more
 * to run), REGBATCH_PAUSED (c's unsent output is over REGCONN_OUT_PAUSE: nothing ran), or
 * REGBATCH_DONE (every line ran; the savepoint is released or undone, the transaction is left
 * open for regsrv to commit, then regbatch_finish).
 */
enum regbatch_step regbatch_step(struct regconn *c, uint64_t deadline_ms);

/**
 * After the commit of a done batch (commit_rc 0, or the error with d's message): queues the
 * summary, says whether it was committed, env->batch = NULL, c back to RC_READY.
 */
void regbatch_finish(struct regconn *c, int commit_rc, const struct lana_diag *d);

/** Undoes a running batch whole (rolls the transaction back): its client went away or hung. */
void regbatch_abort(struct regconn *c, const char *why);

/** Queues {"waiting":"batch","done":N,"of":M} on c, about the running batch (if any). */
void regbatch_waiting(struct regconn *c);
