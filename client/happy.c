/*
 * happy — see happy.h.
 */
#include "client/happy.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/net.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

int happy_connect(const struct sockaddr_storage *addrs, const socklen_t *lens, int n,
                  int timeout_ms, int delay_ms, struct happy_result *out, struct lana_diag *d)
{
    memset(out, 0, sizeof *out);
    out->fd = out->winner = -1;
    if (n > RESOLVE_MAX_ADDRS)
        n = RESOLVE_MAX_ADDRS;
    int fds[RESOLVE_MAX_ADDRS];
    double t0 = now_ms(), next_start = t0, deadline = t0 + timeout_ms;
    int started = 0, pending = 0, last_err = ETIMEDOUT;
    while (out->fd < 0) {
        double now = now_ms();
        if (started < n && (pending == 0 || now >= next_start)) {
            struct happy_attempt *a = &out->att[started];
            a->addr = addrs[started];
            a->len = lens[started];
            a->start_ms = now - t0;
            out->natt = started + 1;
            int fd = socket(a->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            fds[started] = fd;
            if (fd < 0 || (connect(fd, (struct sockaddr *)&a->addr, a->len) != 0 &&
                           errno != EINPROGRESS)) {
                a->err = last_err = errno;
                a->end_ms = now_ms() - t0;
                if (fd >= 0)
                    close(fd);
                fds[started] = -1;
            } else {
                pending++;
            }
            started++;
            next_start = now + delay_ms;
            continue;
        }
        if (pending == 0 && started == n)
            break;
        if (now >= deadline)
            break;
        struct pollfd pfd[RESOLVE_MAX_ADDRS];
        int idx[RESOLVE_MAX_ADDRS], np = 0;
        for (int i = 0; i < started; i++)
            if (fds[i] >= 0) {
                pfd[np] = (struct pollfd){fds[i], POLLOUT, 0};
                idx[np++] = i;
            }
        double wake = deadline;
        if (started < n && next_start < wake)
            wake = next_start;
        int ms = (int)(wake - now) + 1;
        if (poll(pfd, (nfds_t)np, ms < 0 ? 0 : ms) <= 0)
            continue;
        for (int k = 0; k < np && out->fd < 0; k++) {
            if (pfd[k].revents == 0)
                continue;
            int i = idx[k], err = 0;
            socklen_t el = sizeof err;
            getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &err, &el);
            out->att[i].end_ms = now_ms() - t0;
            pending--;
            if (err == 0) {
                out->fd = fds[i];
                out->winner = i;
                out->att[i].won = true;
                out->handshake_ms = out->att[i].end_ms - out->att[i].start_ms;
                fds[i] = -1;
            } else {
                out->att[i].err = last_err = err;
                close(fds[i]);
                fds[i] = -1;
                next_start = now_ms(); /* a failure starts the next attempt at once */
            }
        }
    }
    if (out->fd < 0 && pending > 0)
        last_err = ETIMEDOUT;
    for (int i = 0; i < started; i++)
        if (fds[i] >= 0) { /* still pending: lost the race, or the time ran out */
            close(fds[i]);
            out->att[i].err = out->fd >= 0 ? ECANCELED : ETIMEDOUT;
            out->att[i].end_ms = now_ms() - t0;
        }
    if (out->fd < 0) {
        char t[NET_ADDRSTRLEN] = "";
        if (out->natt > 0)
            net_addr_format((struct sockaddr *)&out->att[out->natt - 1].addr, t, sizeof t);
        return diag_set(d, LANA_EIO, "cannot connect%s%s: %s", *t ? " to " : "", t,
                        strerror(last_err));
    }
    int fl = fcntl(out->fd, F_GETFL);
    fcntl(out->fd, F_SETFL, fl & ~O_NONBLOCK);
    return 0;
}
