/*
 * regguard — admission and limits of the registry service, kept apart from sockets and the
 * protocol: which connection may come in (the cap, the share of it that clients still in
 * their handshake may hold, the cap per client address), which one is evicted to make room,
 * when a handshake has taken too long, and two per-address limiters: failed authentications
 * (a fixed window) and reads by unauthenticated clients (a token bucket, plus a reply size).
 * server/regsrv.c and server/regconn.c call it; it never closes or sends anything itself.
 *
 * A client address is an IPv4 address, or an IPv6 /64 (one subscriber's usual share; an
 * IPv4-mapped IPv6 address counts as IPv4). Every address's state lives in one fixed-size
 * table, set-associative (8 ways), hashed with a random key: addresses are chosen by the
 * peer, so memory stays bounded and a flood of new addresses only displaces the least
 * recently seen idle entries. An entry with open connections is never displaced; when its
 * whole set is pinned, the address shares one overflow entry (limits then bind together).
 *
 * Invariants: every admitted connection is counted in its entry until regguard_leave();
 * the handshake queue holds, oldest first, the admitted connections not yet ready (and each
 * address's queue its own of them), so the deadline sweep stops at the first one in time.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/err.h"

struct regguard;

/* The limits (from the config: server/srvconf.h); 0 turns a limiter off where noted. */
struct regguard_limits {
    unsigned max_conns;      /* open connections in all */
    unsigned max_handshakes; /* of those, still in the handshake (>= 1) */
    unsigned max_per_addr;   /* open connections per client address */
    uint64_t handshake_ms;   /* HELLO..READY, counted from the accept */
    unsigned auth_failures;  /* failed authentications per address per period; 0: off */
    uint64_t auth_period_ms;
    unsigned anon_rate;    /* unauthenticated reads per second per address; 0: off */
    size_t anon_reply_max; /* bytes of one unauthenticated reply; 0: off */
};

/* A connection's part, embedded in it; the fields are regguard's. */
struct regguard_conn {
    struct regguard_conn *prev, *next;   /* the handshake queue */
    struct regguard_conn *aprev, *anext; /* its address's handshake queue */
    struct regguard_conn *sprev, *snext; /* the queue of those without a complete line */
    uint64_t start_ms;                   /* accepted */
    uint32_t slot;                       /* its address's entry */
    bool in_handshake;
    bool silent;  /* in the handshake without a complete line yet */
    bool counted; /* admitted and not yet left */
};

enum regguard_verdict {
    REGGUARD_ADMIT,     /* counted; close *victim first when it is not NULL */
    REGGUARD_FULL,      /* every place is held by a client past its handshake */
    REGGUARD_ADDR_FULL, /* its address holds max_per_addr, none of them in the handshake */
};

/**
 * A guard with these limits (copied) and a table of at least 2 x max_conns entries.
 * @return 0 or LANA_ENOMEM; *out only on success.
 */
int regguard_new(const struct regguard_limits *lim, struct regguard **out);
/** Frees the guard; NULL is a no-op. Connections still counted are forgotten. */
void regguard_free(struct regguard *g);

/**
 * Decides about a new connection gc from peer sa at now. At the address's cap it picks that
 * address's oldest connection still in its handshake as *victim; at the cap or the
 * handshake share, the oldest that has not sent a complete line, else the oldest handshake
 * of the address first crowded with several, else the oldest handshake of all. The caller must
 * close *victim (and pass it to regguard_leave()) at once; otherwise *victim is NULL. On
 * REGGUARD_ADMIT gc is counted and queued as in its handshake; on a refusal gc is cleared (not
 * counted).
 */
enum regguard_verdict regguard_admit(struct regguard *g, struct regguard_conn *gc,
                                     const struct sockaddr *sa, uint64_t now,
                                     struct regguard_conn **victim);

/** gc sent its first complete line: no longer among the first to be evicted. */
void regguard_progress(struct regguard *g, struct regguard_conn *gc);

/** gc finished its handshake: it leaves the queue (no-op when it already had). */
void regguard_ready(struct regguard *g, struct regguard_conn *gc);

/** gc is closed: uncounted and out of the queue. No-op when it was never counted. */
void regguard_leave(struct regguard *g, struct regguard_conn *gc);

/** The oldest connection whose handshake deadline has passed at now, or NULL. */
struct regguard_conn *regguard_expired(const struct regguard *g, uint64_t now);

/** Connections counted, and those of them in the handshake. */
unsigned regguard_count(const struct regguard *g, unsigned *in_handshake);

/**
 * 0 when gc's address may try to authenticate at now; else the seconds (>= 1) until its
 * failure window ends.
 */
unsigned regguard_auth_wait(const struct regguard *g, const struct regguard_conn *gc, uint64_t now);

/**
 * Records a failed authentication of gc's address. @return true for the failure that
 * reaches the limit (once per window: the caller logs it), false otherwise.
 */
bool regguard_auth_failed(struct regguard *g, const struct regguard_conn *gc, uint64_t now);

/**
 * One unauthenticated read of gc's address at now: takes a token and returns 0, or returns
 * the milliseconds (>= 1) until a token is there (nothing is taken).
 */
uint64_t regguard_anon_read(struct regguard *g, const struct regguard_conn *gc, uint64_t now);

/** The most bytes an unauthenticated reply may have (0: no limit). */
size_t regguard_anon_reply_max(const struct regguard *g);
