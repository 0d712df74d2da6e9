/*
 * regio — see regio.h: plain TCP and non-blocking OpenSSL over the same fd. OpenSSL's error
 * queue is per thread; it is cleared before every call so that SSL_get_error() reports the
 * call just made.
 */
#include "server/regio.h"

#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"

#define TLS_HANDSHAKE_RECORD 0x16 /* RFC 8446 5.1: ContentType handshake(22) */

/* Sent to a plain client on an endpoint that requires TLS; the reply form of a refused
 * handshake (common/regproto.h), so that a plain client prints the message. */
static const char plain_refused[] =
    "ERROR {\"ok\":false,\"error\":{\"code\":\"handshake\",\"message\":\"this registry endpoint "
    "requires TLS (EPP over TLS, RFC 5734): connect with lana --tls\"}}\n";

void regio_init(struct regio *io, int fd)
{
    memset(io, 0, sizeof *io);
    io->fd = fd;
    io->mode = REGIO_PLAIN;
    io->drained = true;
    io->peer = "?";
}

void regio_secure(struct regio *io, void *ssl_ctx, bool required, const char *peer)
{
    io->ctx = ssl_ctx;
    io->mode = required ? REGIO_TLS_ONLY : REGIO_SNIFF;
    io->peer = peer;
}

static const char *ssl_reason(void)
{
    static __thread char buf[160];
    unsigned long e = ERR_peek_last_error();
    if (e == 0)
        return errno ? strerror(errno) : "connection closed";
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
}

/*
 * Decides the stream's kind from the first byte, without taking it. Returns 1 when decided,
 * 0 at end of stream, -1 with errno (EAGAIN: no byte yet).
 */
static int sniff(struct regio *io)
{
    unsigned char b;
    ssize_t n;
    do
        n = recv(io->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return (int)n;
    if (b != TLS_HANDSHAKE_RECORD) {
        if (io->mode == REGIO_TLS_ONLY) {
            log_info("registry: %s: plain connection on an endpoint that requires TLS; refused",
                     io->peer);
            /* a fresh socket's send buffer takes one short line */
            ssize_t k =
                send(io->fd, plain_refused, sizeof plain_refused - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            (void)k;
            shutdown(io->fd, SHUT_WR);
            io->mode = REGIO_PLAIN; /* told once; anything later fails on the shut socket */
            return 0;
        }
        io->mode = REGIO_PLAIN;
        return 1;
    }
    SSL *ssl = SSL_new(io->ctx);
    if (ssl == NULL || SSL_set_fd(ssl, io->fd) != 1) {
        SSL_free(ssl);
        errno = ENOMEM;
        return -1;
    }
    SSL_set_accept_state(ssl);
    io->ssl = ssl;
    io->mode = REGIO_TLS;
    return 1;
}

/* Maps a failed SSL_read/SSL_write to recv/send's form: 0 (end), or -1 with errno. */
static ssize_t tls_failed(struct regio *io, int ret, bool reading)
{
    SSL *ssl = io->ssl;
    int saved = errno;
    switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_WANT_READ:
        if (reading)
            io->read_wants_write = false;
        else
            io->write_wants_read = true;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_WANT_WRITE:
        if (reading)
            io->read_wants_write = true;
        else
            io->write_wants_read = false;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN: /* close_notify (or, with IGNORE_UNEXPECTED_EOF, a bare EOF) */
        if (!reading) {
            errno = EPIPE;
            return -1;
        }
        return 0;
    case SSL_ERROR_SYSCALL: errno = saved ? saved : EPIPE; return reading && saved == 0 ? 0 : -1;
    default:
        log_info("registry: %s: TLS %s failed: %s", io->peer,
                 SSL_is_init_finished(ssl) ? "record" : "handshake", ssl_reason());
        ERR_clear_error();
        errno = EPROTO;
        return -1;
    }
}

static void announce(struct regio *io)
{
    io->announced = true;
    log_info("registry: %s: %s, %s", io->peer, SSL_get_version(io->ssl),
             SSL_get_cipher_name(io->ssl));
}

ssize_t regio_recv(struct regio *io, void *buf, size_t len)
{
    if (io->mode == REGIO_SNIFF || io->mode == REGIO_TLS_ONLY) {
        int r = sniff(io);
        if (r <= 0) {
            io->drained = true;
            return r;
        }
    }
    ssize_t n;
    if (io->mode == REGIO_PLAIN) {
        do
            n = recv(io->fd, buf, len, MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
        return n;
    }
    ERR_clear_error();
    int k = SSL_read(io->ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
    if (k > 0) {
        io->read_wants_write = false;
        io->drained = false;
        if (!io->announced)
            announce(io);
        return k;
    }
    io->drained = true;
    return tls_failed(io, k, true);
}

ssize_t regio_send(struct regio *io, const void *buf, size_t len)
{
    if (io->mode == REGIO_SNIFF || io->mode == REGIO_TLS_ONLY) {
        /* plain or TLS is the client's choice, known from its first byte. Something to say
         * before that (a refusal at the connection cap) goes plain where plain is allowed, as
         * it always did (a TLS client sees a record that is not TLS: lana then reads the
         * line); where TLS is required it waits for the ClientHello. */
        int r = sniff(io);
        if (r < 0 && errno == EAGAIN && io->mode == REGIO_SNIFF) {
            io->mode = REGIO_PLAIN;
        } else if (r <= 0) {
            io->write_wants_read = r < 0 && errno == EAGAIN;
            if (r == 0)
                errno = EPIPE;
            return -1;
        }
    }
    ssize_t n;
    if (io->mode == REGIO_PLAIN) {
        io->write_wants_read = false;
        do
            n = send(io->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
        return n;
    }
    ERR_clear_error();
    int k = SSL_write(io->ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
    if (k > 0) {
        io->write_wants_read = false;
        if (!io->announced)
            announce(io);
        return k;
    }
    return tls_failed(io, k, false);
}

unsigned regio_watch(const struct regio *io, unsigned want)
{
    unsigned m = want;
    if ((want & REGIO_WRITE) && io->write_wants_read)
        m = (m & ~REGIO_WRITE) | REGIO_READ;
    if ((want & REGIO_READ) && io->read_wants_write)
        m |= REGIO_WRITE;
    return m;
}

bool regio_pending(const struct regio *io)
{
    return io->ssl != NULL && !io->drained && SSL_has_pending(io->ssl);
}

const char *regio_kind(const struct regio *io)
{
    return io->mode == REGIO_TLS ? "tls" : "plain";
}

void regio_close(struct regio *io)
{
    if (io->ssl != NULL) {
        ERR_clear_error();
        if (SSL_is_init_finished(io->ssl))
            SSL_shutdown(io->ssl); /* one try: a full socket goes without close_notify */
        SSL_free(io->ssl);
        ERR_clear_error();
        io->ssl = NULL;
    }
    if (io->fd >= 0)
        close(io->fd);
    io->fd = -1;
}
