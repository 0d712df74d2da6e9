/*
 * regio — the byte stream under one registry connection: plain TCP, or TLS (EPP over TLS,
 * RFC 5734) made from the context of server/regtls.h. regconn (lines, framing) does not know
 * which one it runs on. Both calls never block: -1 with errno EAGAIN means "try again when
 * the fd is ready" — for TLS, ready as regio_watch() says, since a TLS read may need to write
 * and a write may need to read (the handshake).
 *
 * A stream made secure with regio_secure() waits for the client's first byte: 0x16 (a TLS
 * handshake record, the ClientHello) starts TLS; anything else (the plain protocol starts
 * with 'H') stays plain where plain is allowed, and where TLS is required gets one ERROR line
 * saying so and the end of the stream.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define REGIO_READ 1u  /* regio_watch(): readability */
#define REGIO_WRITE 2u /* regio_watch(): writability */

enum regio_mode {
    REGIO_PLAIN,    /* plain TCP */
    REGIO_SNIFF,    /* TLS or plain, as the first byte says */
    REGIO_TLS_ONLY, /* TLS, or the plain client is told and closed */
    REGIO_TLS,      /* TLS, decided */
};

struct regio {
    int fd; /* owned: regio_close() closes it */
    enum regio_mode mode;
    void *ctx;             /* SSL_CTX * (not owned) until TLS starts */
    void *ssl;             /* SSL *, owned, once TLS starts */
    bool read_wants_write; /* the last TLS read stopped for write readiness */
    bool write_wants_read; /* the last send stopped for read readiness (TLS or undecided) */
    bool drained;          /* the last read found nothing: nothing decrypted is left */
    bool announced;        /* the TLS handshake's completion was logged */
    const char *peer;      /* retained, for log lines */
};

/** Starts a plain stream on a connected, non-blocking fd (which it then owns). */
void regio_init(struct regio *io, int fd);

/**
 * Makes a stream started by regio_init() wait for TLS: with required, a plain client gets
 * "ERROR {...handshake...}" and the end of the stream; without, it stays plain. ssl_ctx (an
 * SSL_CTX *, see regtls_ctx) and peer (for log lines) are retained until regio_close().
 * Call before the first regio_recv/send. Never fails (the TLS session is made on the first
 * byte; out of memory then is a read error).
 */
void regio_secure(struct regio *io, void *ssl_ctx, bool required, const char *peer);

/** Like recv(2): bytes read, 0 at end of stream, -1 with errno set (EAGAIN: nothing yet;
 * EPROTO: the TLS handshake or a record failed, logged at info level). */
ssize_t regio_recv(struct regio *io, void *buf, size_t len);

/** Like send(2) without SIGPIPE: bytes sent, or -1 with errno set (EAGAIN: not now). Sending
 * before the client's first byte makes an optional-TLS stream plain (a refusal at the cap is
 * said at once, as before TLS); a TLS-only stream waits (EAGAIN) for the ClientHello. */
ssize_t regio_send(struct regio *io, const void *buf, size_t len);

/**
 * What the fd must be watched for so that what the caller wants (REGIO_READ to read on,
 * REGIO_WRITE to send) can progress: `want` itself for plain TCP; a TLS read stopped on a
 * full socket adds REGIO_WRITE, a send stopped for the peer's handshake replaces REGIO_WRITE
 * by REGIO_READ. Pure.
 */
unsigned regio_watch(const struct regio *io, unsigned want);

/**
 * True when bytes already taken from the socket wait inside the stream (decrypted TLS data,
 * or whole records read ahead) and the last read did not end with EAGAIN: the fd will not
 * become readable for them, so the caller must read again without waiting. Pure.
 */
bool regio_pending(const struct regio *io);

/** "tls" once TLS runs, "plain" otherwise (log lines, READY). */
const char *regio_kind(const struct regio *io);

/** Closes the stream (a TLS close_notify when it can go at once) and its fd; a closed stream
 * is a no-op. */
void regio_close(struct regio *io);
