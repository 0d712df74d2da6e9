/*
 * regclient — see regclient.h.
 */
#include "client/regclient.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "client/resolve.h"
#include "common/net.h"
#include "common/regproto.h"

int regclient_exit_of(const char *code)
{
    switch (regproto_code_parse(code)) {
    case RP_OK: return LANA_EXIT_OK;
    case RP_USAGE: return LANA_EXIT_USAGE;
    case RP_INVALID: return LANA_EXIT_INVALID;
    case RP_NOT_FOUND: return LANA_EXIT_NOT_FOUND;
    case RP_CONFLICT:
    case RP_EXHAUSTED: return LANA_EXIT_CONFLICT;
    case RP_PERMISSION: return LANA_EXIT_PERM;
    case RP_TOO_LONG: return LANA_EXIT_USAGE;
    case RP_HANDSHAKE: return LANA_EXIT_PROTOCOL;
    case RP_BUSY: return LANA_EXIT_TEMP;
    case RP_INTERNAL: return LANA_EXIT_SERVER;
    default: return LANA_EXIT_PROTOCOL;
    }
}

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
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (*end != '\0' || p < 1 || p > 65535 || colon[1] == '\0')
            return diag_set(d, LANA_EPARSE, "%s: the port must be 1..65535", s);
        *port = (uint16_t)p;
    }
    return 0;
}

int regclient_open(struct regclient *c, const struct regclient_opts *o, struct lana_diag *d)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    char host[256];
    uint16_t port;
    if (split_server(o->server, host, sizeof host, &port, d) != 0)
        return LANA_EXIT_USAGE;
    struct resolve_opts ro = {.timeout_ms = 1000, .tries = 2};
    static struct resolve_result rr;
    enum resolve_status rs = resolve_host(host, port, &ro, &rr, d);
    if (rs != RESOLVE_OK)
        return rs == RESOLVE_NXDOMAIN || rs == RESOLVE_NODATA ? LANA_EXIT_NO_HOST
               : rs == RESOLVE_TIMEOUT                         ? LANA_EXIT_TEMP
                                                               : LANA_EXIT_NO_HOST;
    int timeout = o->timeout_ms > 0 ? o->timeout_ms : 5000;
    if (happy_connect(rr.addr, rr.len, rr.n, timeout, HAPPY_DELAY_MS, &c->hr, d) != 0) {
        char msg[LANA_DIAG_LEN];
        snprintf(msg, sizeof msg, "%s", d->msg);
        diag_set(d, LANA_EIO, "registry server %s: %s", o->server, msg);
        return LANA_EXIT_CONNECT;
    }
    c->fd = c->hr.fd;
    struct timeval tv = {timeout / 1000, (timeout % 1000) * 1000};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(c->fd, (struct sockaddr *)&ss, &sl);
    net_addr_format((struct sockaddr *)&ss, c->local, sizeof c->local);
    net_addr_format((struct sockaddr *)&c->hr.att[c->hr.winner].addr, c->peer, sizeof c->peer);

    /* the three-way handshake */
    char out[REGPROTO_LINE_MAX], *line;
    c->x = auth_random_u32();
    snprintf(out, sizeof out, "HELLO %s seq=%u", REGPROTO_VERSION, c->x);
    if (o->trace)
        fprintf(o->trace, "> %s\n", out);
    int rc;
    if ((rc = regclient_send(c, out, d)) != 0 || (rc = regclient_recv(c, &line, d)) != 0)
        return rc;
    if (o->trace)
        fprintf(o->trace, "< %s\n", line);
    char *argv[8];
    int argc = regproto_split(line, argv, 8, d);
    uint32_t ack = 0;
    if (argc >= 1 && strcmp(argv[0], "ERROR") == 0)
        return diag_set(d, LANA_EIO, "the server refused the handshake"), LANA_EXIT_PROTOCOL;
    if (argc != 4 || strcmp(argv[0], "WELCOME") != 0 || strcmp(argv[1], REGPROTO_VERSION) != 0 ||
        !regproto_kv_u32(argv[2], "ack", &ack) || !regproto_kv_u32(argv[3], "seq", &c->y)) {
        diag_set(d, LANA_EPARSE, "%s does not speak %s", o->server, REGPROTO_VERSION);
        return LANA_EXIT_PROTOCOL;
    }
    if (ack != c->x + 1) {
        diag_set(d, LANA_EPARSE, "the server acknowledged %u, expected %u", ack, c->x + 1);
        return LANA_EXIT_PROTOCOL;
    }
    int n = snprintf(out, sizeof out, "ACK ack=%u", c->y + 1);
    if (o->have_token) {
        uint8_t proof[AUTH_TOKEN_LEN];
        char hex[AUTH_HEX_LEN];
        auth_proof(o->token, c->x, c->y, proof);
        auth_hex(proof, sizeof proof, hex);
        snprintf(out + n, sizeof out - (size_t)n, " user=%s proof=%s", o->user ? o->user : "admin",
                 hex);
    }
    if (o->trace)
        fprintf(o->trace, "> %s\n", out);
    if ((rc = regclient_send(c, out, d)) != 0 || (rc = regclient_recv(c, &line, d)) != 0)
        return rc;
    if (o->trace)
        fprintf(o->trace, "< %s\n", line);
    if (strncmp(line, "READY ", 6) == 0) {
        c->may_write = strstr(line, "\"write\":true") != NULL;
        const char *r = strstr(line, "\"role\":\"");
        if (r != NULL)
            snprintf(c->role, sizeof c->role, "%.*s", (int)strcspn(r + 8, "\""), r + 8);
        return 0;
    }
    if (strstr(line, "\"permission\"") != NULL) {
        diag_set(d, LANA_EPERM, "the server refused the token (wrong token or user)");
        return LANA_EXIT_PERM;
    }
    diag_set(d, LANA_EPARSE, "handshake failed: %.200s", line);
    return LANA_EXIT_PROTOCOL;
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
            diag_set(d, LANA_EIO, "sending to %s: %s", c->peer, strerror(errno));
            return errno == EAGAIN ? LANA_EXIT_TEMP : LANA_EXIT_CONNECT;
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
            return 0;
        }
        if (c->off > 0) { /* the lines returned before are no longer needed */
            memmove(c->buf, c->buf + c->off, c->len - c->off);
            c->len -= c->off;
            c->off = 0;
        }
        if (c->cap - c->len < 65536) {
            size_t cap = c->cap ? c->cap * 2 : 131072;
            char *b = realloc(c->buf, cap);
            if (b == NULL) {
                diag_set(d, LANA_ENOMEM, "out of memory");
                return LANA_EXIT_SERVER;
            }
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
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            diag_set(d, LANA_EIO, "no reply from %s in time", c->peer);
            return LANA_EXIT_TEMP;
        }
        diag_set(d, LANA_EIO, "%s closed the connection", c->peer);
        return LANA_EXIT_CONNECT;
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
