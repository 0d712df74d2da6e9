/*
 * regclient — see regclient.h. The handshake reads its replies with MSG_PEEK, taking bytes
 * only up to each newline, so that nothing after READY is read from the socket before the
 * caller's own reader (regclient_recv, or none at all) takes over.
 */
#include "client/regclient.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "client/resolve.h"
#include "common/clock.h"
#include "common/net.h"
#include "common/num.h"
#include "common/regproto.h"

/* ---- the handshake ------------------------------------------------------------------------ */

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

/* Sends "line\n" before the deadline. */
static int hs_send(int fd, const char *line, uint64_t deadline, FILE *trace, struct lana_diag *d)
{
    char buf[REGPROTO_LINE_MAX];
    int n = snprintf(buf, sizeof buf, "%s\n", line);
    if (n < 0 || (size_t)n >= sizeof buf)
        return diag_set(d, LANA_EPARSE, "a handshake line too long to send");
    if (trace)
        fprintf(trace, "> %s\n", line);
    for (size_t sent = 0; sent < (size_t)n;) {
        ssize_t k = send(fd, buf + sent, (size_t)n - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k >= 0) {
            sent += (size_t)k;
            continue;
        }
        int rc;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            rc = hs_wait(fd, POLLOUT, deadline, d);
        else if (errno == EINTR)
            rc = 0;
        else
            rc = diag_set(d, LANA_EIO, "sending the handshake: %s", strerror(errno));
        if (rc != 0)
            return rc;
    }
    return 0;
}

/*
 * Receives one line (without its newline) into buf before the deadline. Peeks first and takes
 * only the bytes up to the newline: what follows stays in the socket for the next reader.
 */
static int hs_recv(int fd, char *buf, size_t size, uint64_t deadline, FILE *trace,
                   struct lana_diag *d)
{
    size_t len = 0;
    for (;;) {
        if (len + 1 >= size)
            return diag_set(d, -EPROTO, "a handshake line longer than %zu bytes", size - 1);
        ssize_t k = recv(fd, buf + len, size - 1 - len, MSG_PEEK | MSG_DONTWAIT);
        if (k == 0)
            return diag_set(d, LANA_EIO, "the server closed the connection in the handshake");
        if (k < 0) {
            int rc = errno == EAGAIN || errno == EWOULDBLOCK ? hs_wait(fd, POLLIN, deadline, d)
                     : errno == EINTR
                         ? 0
                         : diag_set(d, LANA_EIO, "reading the handshake: %s", strerror(errno));
            if (rc != 0)
                return rc;
            continue;
        }
        char *nl = memchr(buf + len, '\n', (size_t)k);
        size_t take = nl ? (size_t)(nl - (buf + len)) + 1 : (size_t)k;
        ssize_t got = recv(fd, buf + len, take, MSG_DONTWAIT); /* what the peek showed */
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

/* WELCOME lana/1 ack=X+1 seq=Y (line is split in place). */
static int hs_welcome(char *line, struct regclient_hello *hs, struct lana_diag *d)
{
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

/* The "code" of an error reply's "error" member, or "". */
static const char *error_code(json_t *reply)
{
    const char *c = json_string_value(json_object_get(json_object_get(reply, "error"), "code"));
    return c ? c : "";
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

int regclient_handshake(int fd, const uint8_t *token, const char *user, int timeout_ms, FILE *trace,
                        struct regclient_hello *hs, struct lana_diag *d)
{
    memset(hs, 0, sizeof *hs);
    uint64_t deadline = mono_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 1);
    char line[REGPROTO_LINE_MAX];
    hs->x = auth_random_u32();
    int n = snprintf(line, sizeof line, "HELLO %s seq=%u", REGPROTO_VERSION, hs->x);
    int rc = n < 0 || (size_t)n >= sizeof line ? diag_set(d, LANA_EPARSE, "HELLO too long") : 0;
    if (rc == 0)
        rc = hs_send(fd, line, deadline, trace, d);
    if (rc == 0)
        rc = hs_recv(fd, line, sizeof line, deadline, trace, d);
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
    if ((rc = hs_send(fd, line, deadline, trace, d)) != 0 ||
        (rc = hs_recv(fd, line, sizeof line, deadline, trace, d)) != 0)
        return rc;
    return hs_ready(line, hs, d);
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

/* Resolves and connects to o->server: c->fd, c->hr, c->peer and c->local set on success. */
static int reg_connect(struct regclient *c, const struct regclient_opts *o, int timeout,
                       struct lana_diag *d)
{
    char host[256];
    uint16_t port;
    int rc = split_server(o->server, host, sizeof host, &port, d);
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

int regclient_open(struct regclient *c, const struct regclient_opts *o, struct lana_diag *d)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    int timeout = o->timeout_ms > 0 ? o->timeout_ms : 5000;
    int rc = reg_connect(c, o, timeout, d);
    if (rc != 0)
        return rc;
    /* every later send and receive waits at most the timeout too */
    struct timeval tv = {timeout / 1000, (timeout % 1000) * 1000};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return regclient_handshake(c->fd, o->have_token ? o->token : NULL, o->user, timeout, o->trace,
                               &c->hs, d);
}

int regclient_send(struct regclient *c, const char *line, struct lana_diag *d)
{
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
        ssize_t k = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
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
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
    c->len = c->cap = c->off = 0;
}
