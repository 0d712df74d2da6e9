/*
 * regclient — lana's side of the registry protocol: resolve the server's name (c-ares),
 * connect (Happy Eyeballs), run the HELLO/WELCOME/ACK/READY handshake (common/regproto.h) with
 * the token's proof when there is a token, then exchange request lines and JSON reply lines.
 * The handshake is written once, here: `lana connect --hello` runs it on its own connection.
 * TLS (EPP over TLS, RFC 5734) wraps the same exchange when asked, when a pin or a CA file
 * is given, and always when the server is not on loopback; the server is then verified by
 * its pinned SHA-256 fingerprint (of the DER certificate) or by a CA file with the name
 * checked, and a certificate trusted on first use is accepted only when asked (tofu).
 * Every function returns 0 or a code of common/err.h (LANA_E*, or -errno); the commands turn
 * codes into exit statuses (client/out.h), never this module.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "client/happy.h"
#include "common/auth.h"
#include "common/err.h"

#define REGCLIENT_FP_LEN 32 /* SHA-256 of the server's certificate */
#define REGCLIENT_BUSY_RETRIES 3 /* connections again after a "busy" refusal before WELCOME */

struct ssl_st;
struct ssl_ctx_st;

struct regclient_opts {
    const char *server; /* HOST[:PORT], [v6]:PORT */
    bool have_token;
    uint8_t token[AUTH_TOKEN_LEN];
    const char *user; /* account name (default admin) */
    int timeout_ms;   /* connect, the handshake, and each reply (default 5000) */
    FILE *trace;      /* when set, the handshake lines are printed there */
    bool tls;         /* TLS even on loopback (it is always used off loopback) */
    bool have_pin;    /* verify the server by pin (implies TLS) */
    uint8_t pin[REGCLIENT_FP_LEN];
    const char *tls_ca; /* verify by this CA file and the server's name (implies TLS) */
    bool tofu;        /* accept a certificate nothing vouches for; c->fp says which */
};

/** What one handshake saw, as far as it went (lana connect --hello shows it). */
struct regclient_hello {
    uint32_t x;     /* our seq */
    uint32_t ack;   /* the server's ack: X+1 when the server is right */
    uint32_t y;     /* the server's seq */
    bool welcomed;  /* a WELCOME of our version came */
    bool ready;     /* READY came: the connection takes requests */
    bool may_write; /* READY's "write" */
    char user[64];  /* READY's "user" ("" when anonymous) */
    char role[16];  /* READY's "role" */
    bool busy;      /* refused as busy before WELCOME: at the cap, or evicted to make room */
};

struct regclient {
    int fd;
    char peer[64], local[64];
    struct regclient_hello hs;
    struct happy_result hr;
    char *buf; /* received bytes; those before off were returned already */
    size_t off, len, cap;
    /* PROGRESS lines (common/regproto.h) are not replies: regclient_recv hands their JSON to
     * this callback when it is set, and skips them either way */
    void (*progress)(void *arg, const char *json);
    void *progress_arg;
    struct ssl_ctx_st *ctx; /* TLS, when it runs */
    struct ssl_st *ssl;
    uint8_t fp[REGCLIENT_FP_LEN]; /* the server's certificate's SHA-256, with TLS */
};

/**
 * Runs the client's half of the handshake on a connected stream socket fd:
 *   > HELLO lana/1 seq=X     < WELCOME lana/1 ack=X+1 seq=Y
 *   > ACK ack=Y+1 [user=U proof=P]   < READY {"user":..,"role":..,"write":..}
 * With token (AUTH_TOKEN_LEN bytes) the ACK carries user (NULL: "admin") and the proof of
 * common/auth.h; with token NULL the connection stays anonymous. The whole exchange must end
 * within timeout_ms (> 0); fd's blocking mode does not matter and is left as it was. Reads
 * nothing past the READY line. When trace is set, every line is printed there ("> ", "< ").
 * hs (caller-owned) is emptied first and then records the exchange as far as it went, on
 * failure too. Returns 0 (READY), or with the reason in d:
 *   -ETIMEDOUT   no complete reply in time;
 *   -EPROTO      the server refused the handshake (ERROR), does not speak lana/1, acknowledged
 *                the wrong number, or sent a line that is not the protocol;
 *   LANA_EPERM   the server refused the token (ERROR with code "permission");
 *   LANA_EIO     the socket failed or the server closed it;
 *   LANA_EPARSE  user is too long for the ACK line.
 * Blocks up to timeout_ms. Thread-safe for distinct fds.
 */
int regclient_handshake(int fd, const uint8_t *token, const char *user, int timeout_ms, FILE *trace,
                        struct regclient_hello *hs, struct lana_diag *d);

/**
 * Resolves and connects to o->server and shakes hands (regclient_handshake). c is
 * caller-owned; after any return regclient_close(c) may be called, and must be after 0.
 * Returns 0, or with the reason in d: LANA_EPARSE (o->server is not HOST[:PORT]),
 * LANA_ENOTFOUND (the name does not resolve), -ETIMEDOUT (no DNS answer or no handshake reply
 * in time), LANA_EIO (cannot connect), or a code of regclient_handshake. With TLS also
 * -EPROTO for a failed TLS handshake, a certificate that is not the pinned one, or one the CA
 * file (or the system's CAs, when neither a pin nor a CA file is given) does not vouch for
 * under the server's name; the message says which, with the fingerprint seen. A "busy"
 * refusal before WELCOME (the cap, or closed to make room for others) is retried up to
 * REGCLIENT_BUSY_RETRIES times after 50, 100, 200 ms while the timeout allows.
 */
int regclient_open(struct regclient *c, const struct regclient_opts *o, struct lana_diag *d);

/** Sends one request line (a newline is added). 0, -ETIMEDOUT or LANA_EIO. */
int regclient_send(struct regclient *c, const char *line, struct lana_diag *d);

/**
 * Receives one reply line (newline removed) into *line, valid until the next call; PROGRESS
 * lines before it go to c->progress (when set) and are not returned, and each restarts the
 * timeout. 0, -ETIMEDOUT (nothing within the timeout), LANA_EIO (the server closed the
 * connection) or LANA_ENOMEM.
 */
int regclient_recv(struct regclient *c, char **line, struct lana_diag *d);

/** True for 127.0.0.0/8, ::1 and IPv4-mapped 127/8: where TLS is optional. Pure. */
bool regclient_is_loopback(const struct sockaddr *sa);

/** Closes the connection and frees the buffer; safe to call twice. */
void regclient_close(struct regclient *c);
