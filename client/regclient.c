/*
 * regclient — see regclient.h. The handshake reads its replies with MSG_PEEK, taking bytes
 * only up to each newline, so that nothing after READY is read from the socket before the
 * caller's own reader (regclient_recv, or none at all) takes over.
 */
#include "client/regclient.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "client/resolve.h"
#include "common/clock.h"
#include "common/net.h"
#include "common/num.h"
#include "common/regproto.h"

/* ---- the handshake ------------------------------------------------------------------------ */

/* The handshake's byte stream: plain (ssl NULL) or TLS, on a fd of either blocking mode. */
struct hs_io {
    int fd;
    SSL *ssl;
};

/* Waits until fd is ready for ev or the deadline (mono_ms) passes. */
static int hs_wait(int fd, short ev, uint64_t deadline, struct lana_diag *d)
{
    for (;;) {
        uint64_t now = mono_ms();
        if (now >= deadline)
            return diag_set(d, -ETIMEDOUT, "no handshake reply from the server in time");
        struct pollfd p = {fd, ev, 0};
        int r = poll(&p, 1, (int)(deadline - now));
        if (r > 0)
            return 0; /* readable, writable, or an error that recv/send will report */
        if (r < 0 && errno != EINTR)
            return diag_set(d, LANA_EIO, "poll: %s", strerror(errno));
    }
}

/*
 * One non-blocking step of the stream: send (peek false: recv, with peek: look without
 * taking). Returns bytes, 0 at end of stream, or -1 with *ev what to wait for (POLLIN or
 * POLLOUT; 0 with errno set: failed).
 */
static ssize_t io_step(struct hs_io *io, int op, void *buf, size_t len, short *ev)
{
    *ev = 0;
    if (io->ssl == NULL) {
        ssize_t k = op == 0   ? send(io->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT)
                    : op == 1 ? recv(io->fd, buf, len, MSG_DONTWAIT)
                              : recv(io->fd, buf, len, MSG_PEEK | MSG_DONTWAIT);
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            *ev = op == 0 ? POLLOUT : POLLIN;
        else if (k < 0 && errno == EINTR)
            *ev = op == 0 ? POLLOUT : POLLIN;
        return k;
    }
    ERR_clear_error();
    int n = len > INT_MAX ? INT_MAX : (int)len;
    int k = op == 0 ? SSL_write(io->ssl, buf, n)
            : op == 1 ? SSL_read(io->ssl, buf, n)
                      : SSL_peek(io->ssl, buf, n);
    if (k > 0)
        return k;
    switch (SSL_get_error(io->ssl, k)) {
    case SSL_ERROR_WANT_READ: *ev = POLLIN; return -1;
    case SSL_ERROR_WANT_WRITE: *ev = POLLOUT; return -1;
    case SSL_ERROR_ZERO_RETURN: return 0;
    default: errno = errno ? errno : EPROTO; return -1;
    }
}

/* Sends "line\n" before the deadline. */
static int hs_send(struct hs_io *io, const char *line, uint64_t deadline, FILE *trace,
                   struct lana_diag *d)
{
    char buf[REGPROTO_LINE_MAX];
    int n = snprintf(buf, sizeof buf, "%s\n", line);
    if (n < 0 || (size_t)n >= sizeof buf)
        return diag_set(d, LANA_EPARSE, "a handshake line too long to send");
    if (trace)
        fprintf(trace, "> %s\n", line);
    for (size_t sent = 0; sent < (size_t)n;) {
        short ev;
        ssize_t k = io_step(io, 0, buf + sent, (size_t)n - sent, &ev);
        if (k > 0) {
            sent += (size_t)k;
            continue;
        }
        int rc = ev != 0 ? hs_wait(io->fd, ev, deadline, d)
                         : diag_set(d, LANA_EIO, "sending the handshake: %s", strerror(errno));
        if (rc != 0)
            return rc;
    }
    return 0;
}

/*
 * Receives one line (without its newline) into buf before the deadline. Peeks first and takes
 * only the bytes up to the newline: what follows stays in the stream for the next reader.
 */
static int hs_recv(struct hs_io *io, char *buf, size_t size, uint64_t deadline, FILE *trace,
                   struct lana_diag *d)
{
    size_t len = 0;
    for (;;) {
        if (len + 1 >= size)
            return diag_set(d, -EPROTO, "a handshake line longer than %zu bytes", size - 1);
        short ev;
        ssize_t k = io_step(io, 2, buf + len, size - 1 - len, &ev);
        if (k == 0)
            return diag_set(d, LANA_EIO, "the server closed the connection in the handshake");
        if (k < 0) {
            int rc = ev != 0 ? hs_wait(io->fd, ev, deadline, d)
                             : diag_set(d, LANA_EIO, "reading the handshake: %s", strerror(errno));
            if (rc != 0)
                return rc;
            continue;
        }
        char *nl = memchr(buf + len, '\n', (size_t)k);
        size_t take = nl ? (size_t)(nl - (buf + len)) + 1 : (size_t)k;
        ssize_t got = io_step(io, 1, buf + len, take, &ev); /* what the peek showed */
        if (got != (ssize_t)take)
            return diag_set(d, LANA_EIO, "reading the handshake: %s",
                            got < 0 ? strerror(errno) : "short read");
        len += take;
        if (nl != NULL) {
            buf[len - 1] = '\0';
            if (trace)
                fprintf(trace, "< %s\n", buf);
            return 0;
        }
    }
}

/* The "code" of an error reply's "error" member, or "". */
static const char *error_code(json_t *reply)
{
    const char *c = json_string_value(json_object_get(json_object_get(reply, "error"), "code"));
    return c ? c : "";
}

/* WELCOME lana/1 ack=X+1 seq=Y (line is split in place). */
static int hs_welcome(char *line, struct regclient_hello *hs, struct lana_diag *d)
{
    if (strncmp(line, "ERROR ", 6) == 0) { /* say why: busy, TLS required, ... */
        json_t *j = json_loads(line + 6, 0, NULL);
        const char *m =
            json_string_value(json_object_get(json_object_get(j, "error"), "message"));
        hs->busy = strcmp(error_code(j), "busy") == 0;
        int rc = diag_set(d, -EPROTO, "the server refused the handshake%s%.180s", m ? ": " : "",
                          m ? m : "");
        json_decref(j);
        return rc;
    }
    char *argv[8];
    int argc = regproto_split(line, argv, 8, NULL);
    if (argc >= 1 && strcmp(argv[0], "ERROR") == 0)
        return diag_set(d, -EPROTO, "the server refused the handshake");
    if (argc != 4 || strcmp(argv[0], "WELCOME") != 0 || strcmp(argv[1], REGPROTO_VERSION) != 0 ||
        !regproto_kv_u32(argv[2], "ack", &hs->ack) || !regproto_kv_u32(argv[3], "seq", &hs->y))
        return diag_set(d, -EPROTO, "the server does not speak %s", REGPROTO_VERSION);
    hs->welcomed = true;
    if (hs->ack != (uint32_t)(hs->x + 1))
        return diag_set(d, -EPROTO, "the server acknowledged %u, expected %u", hs->ack,
                        (uint32_t)(hs->x + 1));
    return 0;
}

/* Copies a string member of o into buf; false when it is missing, not a string, or too long. */
static bool member_text(json_t *o, const char *key, char *buf, size_t size)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (s == NULL)
        return false;
    int n = snprintf(buf, size, "%s", s);
    return n >= 0 && (size_t)n < size;
}

/* READY {"user":U,"role":R,"write":W}, or ERROR {"ok":false,"error":{"code":C,...}}. */
static int hs_ready(const char *line, struct regclient_hello *hs, struct lana_diag *d)
{
    bool ready = strncmp(line, "READY ", 6) == 0, error = strncmp(line, "ERROR ", 6) == 0;
    json_t *j = ready || error ? json_loads(line + 6, 0, NULL) : NULL;
    int rc;
    if (ready && json_is_object(j) && json_is_boolean(json_object_get(j, "write")) &&
        member_text(j, "user", hs->user, sizeof hs->user) &&
        member_text(j, "role", hs->role, sizeof hs->role)) {
        hs->may_write = json_is_true(json_object_get(j, "write"));
        hs->ready = true;
        rc = 0;
    } else if (error && strcmp(error_code(j), "permission") == 0) {
        rc = diag_set(d, LANA_EPERM, "the server refused the token (wrong token or user)");
    } else {
        rc = diag_set(d, -EPROTO, "handshake failed: %.200s", line);
    }
    json_decref(j);
    return rc;
}

static int handshake(struct hs_io *io, const uint8_t *token, const char *user, int timeout_ms,
                     FILE *trace, struct regclient_hello *hs, struct lana_diag *d)
{
    memset(hs, 0, sizeof *hs);
    uint64_t deadline = mono_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 1);
    char line[REGPROTO_LINE_MAX];
    hs->x = auth_random_u32();
    int n = snprintf(line, sizeof line, "HELLO %s seq=%u", REGPROTO_VERSION, hs->x);
    int rc = n < 0 || (size_t)n >= sizeof line ? diag_set(d, LANA_EPARSE, "HELLO too long") : 0;
    if (rc == 0)
        rc = hs_send(io, line, deadline, trace, d);
    if (rc == 0)
        rc = hs_recv(io, line, sizeof line, deadline, trace, d);
    if (rc == 0)
        rc = hs_welcome(line, hs, d);
    if (rc != 0)
        return rc;
    if (token == NULL) {
        n = snprintf(line, sizeof line, "ACK ack=%u", (uint32_t)(hs->y + 1));
    } else {
        uint8_t proof[AUTH_TOKEN_LEN];
        char hex[AUTH_HEX_LEN];
        auth_proof(token, hs->x, hs->y, proof);
        auth_hex(proof, sizeof proof, hex);
        n = snprintf(line, sizeof line, "ACK ack=%u user=%s proof=%s", (uint32_t)(hs->y + 1),
                     user ? user : "admin", hex);
    }
    if (n < 0 || (size_t)n >= sizeof line)
        return diag_set(d, LANA_EPARSE, "the user name is too long");
    if ((rc = hs_send(io, line, deadline, trace, d)) != 0 ||
        (rc = hs_recv(io, line, sizeof line, deadline, trace, d)) != 0)
        return rc;
    return hs_ready(line, hs, d);
}

int regclient_handshake(int fd, const uint8_t *token, const char *user, int timeout_ms, FILE *trace,
                        struct regclient_hello *hs, struct lana_diag *d)
{
    struct hs_io io = {fd, NULL};
    return handshake(&io, token, user, timeout_ms, trace, hs, d);
}

/* ---- TLS ---------------------------------------------------------------------------------- */

static const char *tls_reason(void)
{
    static char buf[160];
    unsigned long e = ERR_peek_last_error();
    if (e == 0)
        return errno ? strerror(errno) : "the server closed the connection";
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
}

/* Checks the certificate the server showed: the pin, else the CA's verdict (c->fp is set). */
static int tls_verify(struct regclient *c, const struct regclient_opts *o, struct lana_diag *d)
{
    X509 *cert = SSL_get1_peer_certificate(c->ssl);
    unsigned len = sizeof c->fp;
    if (cert == NULL || X509_digest(cert, EVP_sha256(), c->fp, &len) != 1) {
        X509_free(cert);
        return diag_set(d, -EPROTO, "the server showed no TLS certificate");
    }
    X509_free(cert);
    char seen[2 * REGCLIENT_FP_LEN + 1], want[2 * REGCLIENT_FP_LEN + 1];
    auth_hex(c->fp, sizeof c->fp, seen);
    if (o->have_pin) {
        if (CRYPTO_memcmp(c->fp, o->pin, sizeof c->fp) == 0)
            return 0;
        auth_hex(o->pin, sizeof o->pin, want);
        return diag_set(d, -EPROTO,
                        "the server's TLS certificate is not the pinned one: sha256=%s, pin %s",
                        seen, want);
    }
    if (o->tofu && o->tls_ca == NULL)
        return 0; /* the caller reports and keeps c->fp */
    long v = SSL_get_verify_result(c->ssl);
    if (v == X509_V_OK)
        return 0;
    return diag_set(d, -EPROTO,
                    "the server's TLS certificate sha256=%s is not trusted (%s, %s): use "
                    "--tls-pin, --tls-ca FILE or --tls-tofu",
                    seen, o->tls_ca ? o->tls_ca : "system CAs", X509_verify_cert_error_string(v));
}

/*
 * A failed TLS handshake. A server that refuses a connection before its first byte (busy at
 * the connection cap) says so in plain text, as it always did: OpenSSL has taken the first
 * five bytes ("ERROR") as a record header; the rest of the line tells why. -EPROTO either
 * way, as for a refusal in the plain handshake.
 */
static int tls_refused(struct regclient *c, struct lana_diag *d)
{
    char why[160], line[1024];
    snprintf(why, sizeof why, "%s", tls_reason());
    ssize_t n = recv(c->fd, line, sizeof line - 1, MSG_DONTWAIT);
    json_t *j = NULL;
    if (n > 2 && line[0] == ' ' && line[1] == '{') {
        line[n] = '\0';
        j = json_loads(line + 1, JSON_DISABLE_EOF_CHECK, NULL);
    }
    json_t *err = json_object_get(j, "error");
    const char *code = json_string_value(json_object_get(err, "code"));
    const char *msg = json_string_value(json_object_get(err, "message"));
    int rc;
    c->hs.busy = code != NULL && strcmp(code, "busy") == 0;
    if (code != NULL && msg != NULL)
        rc = diag_set(d, -EPROTO, "the server refused the connection: %.180s", msg);
    else
        rc = diag_set(d, -EPROTO, "TLS with %s failed: %s", c->peer, why);
    json_decref(j);
    return rc;
}

/* TLS over c->fd before the deadline (non-blocking meanwhile), then verifies the server. */
static int tls_start(struct regclient *c, const struct regclient_opts *o,
                               const char *host, uint64_t deadline, struct lana_diag *d)
{
    /* OpenSSL writes to the socket without MSG_NOSIGNAL: a server that closed first (busy at
     * its cap) must give EPIPE, as on the plain path, not kill lana with SIGPIPE */
    signal(SIGPIPE, SIG_IGN);
    ERR_clear_error();
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (c->ctx == NULL)
        return diag_set(d, LANA_ENOMEM, "cannot make a TLS context: %s", tls_reason());
    SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(c->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
    /* the verdict is read after the handshake (tls_verify), so the message can be ours */
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
    if (o->tls_ca != NULL) {
        if (SSL_CTX_load_verify_locations(c->ctx, o->tls_ca, NULL) != 1)
            return diag_set(d, LANA_EIO, "--tls-ca %s: %s", o->tls_ca, tls_reason());
    } else if (!o->have_pin && !o->tofu) {
        SSL_CTX_set_default_verify_paths(c->ctx);
    }
    c->ssl = SSL_new(c->ctx);
    if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
        return diag_set(d, LANA_ENOMEM, "cannot start TLS: %s", tls_reason());
    unsigned char a[sizeof(struct in6_addr)];
    bool ip = inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
    X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);
    if (ip) {
        X509_VERIFY_PARAM_set1_ip_asc(vp, host);
    } else {
        SSL_set_tlsext_host_name(c->ssl, host); /* SNI */
        X509_VERIFY_PARAM_set1_host(vp, host, 0);
    }
    int flags = fcntl(c->fd, F_GETFL);
    fcntl(c->fd, F_SETFL, flags | O_NONBLOCK);
    int rc = 0;
    for (;;) {
        ERR_clear_error();
        int k = SSL_connect(c->ssl);
        if (k == 1)
            break;
        int e = SSL_get_error(c->ssl, k);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            if ((rc = hs_wait(c->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, d)) !=
                0)
                break;
            continue;
        }
        rc = tls_refused(c, d);
        break;
    }
    fcntl(c->fd, F_SETFL, flags);
    if (rc == 0)
        rc = tls_verify(c, o, d);
    return rc;
}

/* recv(2)'s form over TLS on the blocking fd (SO_RCVTIMEO: EAGAIN is the timeout). */
static ssize_t tls_recv(struct regclient *c, void *buf, size_t len)
{
    ERR_clear_error();
    int k = SSL_read(c->ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
    if (k > 0)
        return k;
    int e = SSL_get_error(c->ssl, k);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        errno = EAGAIN;
        return -1;
    }
    if (e == SSL_ERROR_ZERO_RETURN)
        return 0;
    if (errno == 0)
        errno = EPROTO;
    return -1;
}

/* One request line over TLS: line and newline in one record when they fit. */
static int tls_send_line(struct regclient *c, const char *line, struct lana_diag *d)
{
    char buf[REGPROTO_LINE_MAX + 1];
    size_t n = strlen(line);
    const char *parts[2] = {line, "\n"};
    size_t lens[2] = {n, 1};
    int nparts = 2;
    if (n < sizeof buf) {
        memcpy(buf, line, n);
        buf[n] = '\n';
        parts[0] = buf;
        lens[0] = n + 1;
        nparts = 1;
    }
    for (int i = 0; i < nparts; i++) {
        ERR_clear_error();
        int k = SSL_write(c->ssl, parts[i], (int)lens[i]); /* all or nothing: no partial mode */
        if (k > 0)
            continue;
        int e = SSL_get_error(c->ssl, k);
        int code = e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ ? -ETIMEDOUT : LANA_EIO;
        return diag_set(d, code, "sending to %s: %s", c->peer, tls_reason());
    }
    return 0;
}

/* ---- the connection ----------------------------------------------------------------------- */

/* HOST[:PORT], [V6]:PORT, or a bare IPv6 address */
static int split_server(const char *s, char *host, size_t hsize, uint16_t *port,
                        struct lana_diag *d)
{
    const char *colon = NULL;
    *port = REGPROTO_PORT;
    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || (close[1] != '\0' && close[1] != ':'))
            return diag_set(d, LANA_EPARSE, "%s: expected [IPV6]:PORT", s);
        if ((size_t)(close - s - 1) >= hsize)
            return diag_set(d, LANA_EPARSE, "%s: name too long", s);
        memcpy(host, s + 1, (size_t)(close - s - 1));
        host[close - s - 1] = '\0';
        colon = close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = strchr(s, ':');
        if (colon != NULL && strchr(colon + 1, ':') != NULL)
            colon = NULL; /* a bare IPv6 address */
        size_t n = colon ? (size_t)(colon - s) : strlen(s);
        if (n == 0 || n >= hsize)
            return diag_set(d, LANA_EPARSE, "%s: expected HOST[:PORT]", s);
        memcpy(host, s, n);
        host[n] = '\0';
    }
    if (colon != NULL) {
        uint64_t p;
        if (num_parse_u64(colon + 1, 1, 65535, &p, NULL) != 0)
            return diag_set(d, LANA_EPARSE, "%s: the port must be 1..65535", s);
        *port = (uint16_t)p;
    }
    return 0;
}

/* Resolves and connects to o->server: c->fd, c->hr, c->peer and c->local set on success, and
 * host (256 bytes) is the server's name or address as given. */
static int reg_connect(struct regclient *c, const struct regclient_opts *o, int timeout,
                       char host[256], struct lana_diag *d)
{
    uint16_t port;
    int rc = split_server(o->server, host, 256, &port, d);
    if (rc != 0)
        return rc;
    struct resolve_opts ro = {.timeout_ms = 1000, .tries = 2};
    struct resolve_result rr;
    enum resolve_status rs = resolve_host(host, port, &ro, &rr, d);
    if (rs != RESOLVE_OK)
        return rs == RESOLVE_TIMEOUT ? -ETIMEDOUT : LANA_ENOTFOUND;
    if (happy_connect(rr.addr, rr.len, rr.n, timeout, HAPPY_DELAY_MS, &c->hr, d) != 0) {
        char msg[LANA_DIAG_LEN];
        memcpy(msg, d->msg, sizeof msg);
        return diag_set(d, LANA_EIO, "registry server %s: %s", o->server, msg);
    }
    c->fd = c->hr.fd;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(c->fd, (struct sockaddr *)&ss, &sl) == 0)
        net_addr_format((struct sockaddr *)&ss, c->local, sizeof c->local);
    net_addr_format((struct sockaddr *)&c->hr.att[c->hr.winner].addr, c->peer, sizeof c->peer);
    return 0;
}

bool regclient_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >> 24) ==
               127;
    if (sa->sa_family != AF_INET6)
        return false;
    const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
}

/* One attempt of regclient_open() before the deadline. */
static int open_once(struct regclient *c, const struct regclient_opts *o, uint64_t deadline,
                     struct lana_diag *d)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    uint64_t t0 = mono_ms();
    int timeout = deadline > t0 ? (int)(deadline - t0) : 1;
    char host[256];
    int rc = reg_connect(c, o, timeout, host, d);
    if (rc != 0)
        return rc;
    /* every later send and receive waits at most the timeout too */
    struct timeval tv = {timeout / 1000, (timeout % 1000) * 1000};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    bool tls = o->tls || o->have_pin || o->tls_ca != NULL || o->tofu ||
               !regclient_is_loopback((struct sockaddr *)&c->hr.att[c->hr.winner].addr);
    if (tls && (rc = tls_start(c, o, host, deadline, d)) != 0)
        return rc;
    struct hs_io io = {c->fd, c->ssl};
    uint64_t now = mono_ms();
    return handshake(&io, o->have_token ? o->token : NULL, o->user,
                     now < deadline ? (int)(deadline - now) : 1, o->trace, &c->hs, d);
}

/*
 * A server refuses with "busy" before WELCOME when its connection cap is reached, or when a
 * flood of connections that never finish their handshake made it close ours to make room:
 * as an EPP client would, lana connects again after a short, growing pause (50, 100, 200 ms)
 * while its timeout allows, and reports the refusal only then.
 */
int regclient_open(struct regclient *c, const struct regclient_opts *o, struct lana_diag *d)
{
    int timeout = o->timeout_ms > 0 ? o->timeout_ms : 5000;
    uint64_t deadline = mono_ms() + (uint64_t)timeout;
    for (unsigned attempt = 0;; attempt++) {
        int rc = open_once(c, o, deadline, d);
        uint64_t pause = 50u << attempt;
        if (rc == 0 || !c->hs.busy || attempt == REGCLIENT_BUSY_RETRIES ||
            mono_ms() + pause >= deadline)
            return rc;
        if (o->trace)
            fprintf(o->trace, "# busy: connecting again in %llu ms\n", (unsigned long long)pause);
        regclient_close(c);
        struct timespec ts = {0, (long)pause * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
}

int regclient_send(struct regclient *c, const char *line, struct lana_diag *d)
{
    if (c->ssl != NULL)
        return tls_send_line(c, line, d);
    size_t n = strlen(line);
    char nl = '\n';
    struct iovec iov[2] = {{(void *)line, n}, {&nl, 1}};
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
    size_t total = n + 1, sent = 0;
    while (sent < total) {
        ssize_t k = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            int code = errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : LANA_EIO;
            return diag_set(d, code, "sending to %s: %s", c->peer, strerror(errno));
        }
        sent += (size_t)k;
        /* move the iovecs past what went out */
        while (k > 0 && mh.msg_iovlen > 0) {
            if ((size_t)k >= mh.msg_iov->iov_len) {
                k -= (ssize_t)mh.msg_iov->iov_len;
                mh.msg_iov++;
                mh.msg_iovlen--;
            } else {
                mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + k;
                mh.msg_iov->iov_len -= (size_t)k;
                k = 0;
            }
        }
    }
    return 0;
}

int regclient_recv(struct regclient *c, char **line, struct lana_diag *d)
{
    for (;;) {
        char *nl = c->len > c->off ? memchr(c->buf + c->off, '\n', c->len - c->off) : NULL;
        if (nl != NULL) {
            *nl = '\0';
            *line = c->buf + c->off;
            c->off = (size_t)(nl - c->buf) + 1;
            if (strncmp(*line, REGPROTO_PROGRESS, strlen(REGPROTO_PROGRESS)) != 0)
                return 0;
            if (c->progress != NULL) /* not a reply: the server is still at work */
                c->progress(c->progress_arg, *line + strlen(REGPROTO_PROGRESS));
            continue;
        }
        if (c->off > 0) { /* the lines returned before are no longer needed */
            memmove(c->buf, c->buf + c->off, c->len - c->off);
            c->len -= c->off;
            c->off = 0;
        }
        if (c->cap - c->len < 65536) {
            size_t cap = c->cap ? c->cap * 2 : 131072;
            char *b = realloc(c->buf, cap);
            if (b == NULL)
                return diag_set(d, LANA_ENOMEM, "out of memory");
            c->buf = b;
            c->cap = cap;
        }
        ssize_t k = c->ssl ? tls_recv(c, c->buf + c->len, c->cap - c->len)
                           : recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
        if (k > 0) {
            c->len += (size_t)k;
            continue;
        }
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return diag_set(d, -ETIMEDOUT, "no reply from %s in time", c->peer);
        return diag_set(d, LANA_EIO, "%s closed the connection", c->peer);
    }
}

void regclient_close(struct regclient *c)
{
    if (c->ssl != NULL) {
        SSL_shutdown(c->ssl); /* close_notify; no wait for the server's */
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    SSL_CTX_free(c->ctx);
    c->ctx = NULL;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
    c->len = c->cap = c->off = 0;
}
