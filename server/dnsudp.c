/*
 * dnsudp — DNS over UDP: reads datagrams in batches with recvmmsg(2) and answers each batch
 * with one sendmmsg(2). A batch starts with one check of the database for committed changes,
 * so an answer is never older than the last commit before its batch was read.
 * A wake-up handles at most UDP_ROUNDS batches, then returns to epoll so TCP clients and the
 * other sockets get their turn (the socket is level-triggered and comes back at once).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/dnsmsg.h"
#include "common/log.h"
#include "server/worker.h"

#define UDP_BATCH 32
#define UDP_ROUNDS 8
#define UDP_QUERY_MAX 4096 /* longer datagrams are no queries of ours; they are dropped */

struct dnsudp {
    struct mmsghdr in[UDP_BATCH], out[UDP_BATCH];
    struct iovec iov_in[UDP_BATCH], iov_out[UDP_BATCH];
    struct sockaddr_storage peer[UDP_BATCH];
    uint8_t qbuf[UDP_BATCH][UDP_QUERY_MAX];
    uint8_t *rbuf[UDP_BATCH]; /* DNSMSG_MAX each */
};

struct dnsudp *dnsudp_new(void)
{
    struct dnsudp *u = calloc(1, sizeof *u);
    if (u == NULL)
        return NULL;
    for (int i = 0; i < UDP_BATCH; i++) {
        if ((u->rbuf[i] = malloc(DNSMSG_MAX)) == NULL) {
            dnsudp_free(u);
            return NULL;
        }
        u->iov_in[i].iov_base = u->qbuf[i];
        u->iov_in[i].iov_len = UDP_QUERY_MAX;
        u->in[i].msg_hdr.msg_iov = &u->iov_in[i];
        u->in[i].msg_hdr.msg_iovlen = 1;
    }
    return u;
}

void dnsudp_free(struct dnsudp *u)
{
    if (u == NULL)
        return;
    for (int i = 0; i < UDP_BATCH; i++)
        free(u->rbuf[i]);
    free(u);
}

void dnsudp_on_readable(struct worker *w, int fd)
{
    struct dnsudp *u = w->udp;
    for (int round = 0; round < UDP_ROUNDS; round++) {
        for (int i = 0; i < UDP_BATCH; i++) {
            u->in[i].msg_hdr.msg_name = &u->peer[i];
            u->in[i].msg_hdr.msg_namelen = sizeof u->peer[i];
            u->in[i].msg_hdr.msg_flags = 0;
        }
        int n = recvmmsg(fd, u->in, UDP_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                log_warn("worker %u: recvmmsg: %s", w->id, strerror(errno));
            return;
        }
        worker_sync(w);
        int nout = 0;
        for (int i = 0; i < n; i++) {
            if (u->in[i].msg_hdr.msg_flags & MSG_TRUNC)
                continue;
            size_t len = worker_respond(w, u->qbuf[i], u->in[i].msg_len, false, u->rbuf[i]);
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
        w->stats.udp_queries += (uint64_t)n;
        for (int sent = 0; sent < nout;) {
            int m = sendmmsg(fd, u->out + sent, (unsigned)(nout - sent), MSG_DONTWAIT);
            if (m <= 0) {
                /* A full send buffer or an unreachable peer loses this answer only; UDP
                 * clients retry. Skip the datagram that failed and go on. */
                sent++;
                continue;
            }
            sent += m;
        }
        if (n < UDP_BATCH)
            return;
    }
}
