/*
 * dnsudp — see dnsudp.h. A batch starts with one check of the database for committed
 * changes (the sync flag of its first answer). A wake-up handles at most UDP_ROUNDS batches,
 * then returns to the loop so TCP clients and the other sockets get their turn (the socket is
 * level-triggered and comes back at once).
 */
#include "server/dnsudp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/conf.h"
#include "common/dnsmsg.h"
#include "common/err.h"
#include "common/log.h"

#define UDP_BATCH 32
#define UDP_ROUNDS 8
#define UDP_QUERY_MAX 4096 /* longer datagrams are no queries of ours; they are dropped */
#define UDP_SOCKS_MAX CONF_LIST_MAX /* one per DNS endpoint */

struct dnsudp {
    struct ev_loop *loop;
    dnsudp_respond_cb *respond;
    void *ctx;
    struct dnsudp_stats stats;
    int fds[UDP_SOCKS_MAX];
    unsigned nfds;
    struct mmsghdr in[UDP_BATCH], out[UDP_BATCH];
    struct iovec iov_in[UDP_BATCH], iov_out[UDP_BATCH];
    struct sockaddr_storage peer[UDP_BATCH];
    uint8_t qbuf[UDP_BATCH][UDP_QUERY_MAX];
    uint8_t *rbuf[UDP_BATCH]; /* DNSMSG_MAX each */
};

int dnsudp_new(struct ev_loop *loop, dnsudp_respond_cb *respond, void *ctx, struct dnsudp **out)
{
    struct dnsudp *u = calloc(1, sizeof *u);
    if (u == NULL)
        return LANA_ENOMEM;
    u->loop = loop;
    u->respond = respond;
    u->ctx = ctx;
    for (int i = 0; i < UDP_BATCH; i++) {
        if ((u->rbuf[i] = malloc(DNSMSG_MAX)) == NULL) {
            dnsudp_free(u);
            return LANA_ENOMEM;
        }
        u->iov_in[i].iov_base = u->qbuf[i];
        u->iov_in[i].iov_len = UDP_QUERY_MAX;
        u->in[i].msg_hdr.msg_iov = &u->iov_in[i];
        u->in[i].msg_hdr.msg_iovlen = 1;
    }
    *out = u;
    return 0;
}

void dnsudp_free(struct dnsudp *u)
{
    if (u == NULL)
        return;
    for (unsigned i = 0; i < u->nfds; i++) {
        ev_fd_del(u->loop, u->fds[i], NULL);
        close(u->fds[i]);
    }
    for (int i = 0; i < UDP_BATCH; i++)
        free(u->rbuf[i]);
    free(u);
}

const struct dnsudp_stats *dnsudp_stats(const struct dnsudp *u)
{
    return &u->stats;
}

/* Reads one batch and answers it. @return the number of datagrams read (0: none waiting). */
static int serve_batch(struct dnsudp *u, int fd)
{
    for (int i = 0; i < UDP_BATCH; i++) {
        u->in[i].msg_hdr.msg_name = &u->peer[i];
        u->in[i].msg_hdr.msg_namelen = sizeof u->peer[i];
        u->in[i].msg_hdr.msg_flags = 0;
    }
    int n = recvmmsg(fd, u->in, UDP_BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) {
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            log_warn("recvmmsg: %s", strerror(errno));
        return 0;
    }
    bool sync = true;
    int nout = 0;
    for (int i = 0; i < n; i++) {
        if (u->in[i].msg_hdr.msg_flags & MSG_TRUNC)
            continue;
        size_t len = u->respond(u->ctx, u->qbuf[i], u->in[i].msg_len, sync,
                                (const struct sockaddr *)&u->peer[i], u->rbuf[i]);
        sync = false;
        if (len == 0)
            continue;
        u->iov_out[nout].iov_base = u->rbuf[i];
        u->iov_out[nout].iov_len = len;
        memset(&u->out[nout].msg_hdr, 0, sizeof u->out[nout].msg_hdr);
        u->out[nout].msg_hdr.msg_name = &u->peer[i];
        u->out[nout].msg_hdr.msg_namelen = u->in[i].msg_hdr.msg_namelen;
        u->out[nout].msg_hdr.msg_iov = &u->iov_out[nout];
        u->out[nout].msg_hdr.msg_iovlen = 1;
        nout++;
    }
    u->stats.queries += (uint64_t)n;
    for (int sent = 0; sent < nout;) {
        int m = sendmmsg(fd, u->out + sent, (unsigned)(nout - sent), MSG_DONTWAIT);
        if (m <= 0) {
            /* A full send buffer or an unreachable peer loses this answer only; UDP clients
             * retry. Skip the datagram that failed and go on. */
            sent++;
            continue;
        }
        sent += m;
    }
    return n;
}

static void on_readable(struct ev_loop *loop, int fd, void *arg, unsigned events)
{
    (void)loop;
    (void)events;
    struct dnsudp *u = arg;
    for (int round = 0; round < UDP_ROUNDS; round++)
        if (serve_batch(u, fd) < UDP_BATCH)
            return;
}

int dnsudp_listen(struct dnsudp *u, int fd)
{
    int rc = u->nfds < UDP_SOCKS_MAX ? ev_fd_add(u->loop, fd, EV_READ, on_readable, u)
                                     : LANA_ENOMEM;
    if (rc != 0) {
        close(fd);
        return rc;
    }
    u->fds[u->nfds++] = fd;
    return 0;
}
