/*
 * happy — see happy.h.
 */
#include "client/happy.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/net.h"

/*
 * The state of one run: the attempts' sockets, and the times in microseconds of mono_us (the
 * attempts record milliseconds since t0, with their fraction).
 */
struct race {
    const struct sockaddr_storage *addrs;
    const socklen_t *lens;
    int n, started, pending, last_err;
    int fds[RESOLVE_MAX_ADDRS];
    uint64_t t0, next_start, deadline, delay;
    struct happy_result *out;
};

static double ms_since_t0(const struct race *r)
{
    return (double)(mono_us() - r->t0) / 1000.0;
}

/* Starts the next attempt: a non-blocking connect(). */
static void race_start(struct race *r, uint64_t now)
{
    struct happy_attempt *a = &r->out->att[r->started];
    a->addr = r->addrs[r->started];
    a->len = r->lens[r->started];
    a->start_ms = (double)(now - r->t0) / 1000.0;
    r->out->natt = r->started + 1;
    int fd = socket(a->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    r->fds[r->started] = fd;
    if (fd < 0 || (connect(fd, (struct sockaddr *)&a->addr, a->len) != 0 && errno != EINPROGRESS)) {
        a->err = r->last_err = errno;
        a->end_ms = ms_since_t0(r);
        if (fd >= 0)
            close(fd);
        r->fds[r->started] = -1;
    } else {
        r->pending++;
    }
    r->started++;
    r->next_start = now + r->delay;
}

/* Waits for the pending attempts until the next start or the deadline; takes the outcomes. */
static void race_poll(struct race *r, uint64_t now)
{
    struct pollfd pfd[RESOLVE_MAX_ADDRS];
    int idx[RESOLVE_MAX_ADDRS], np = 0;
    for (int i = 0; i < r->started; i++)
        if (r->fds[i] >= 0) {
            pfd[np] = (struct pollfd){r->fds[i], POLLOUT, 0};
            idx[np++] = i;
        }
    uint64_t wake = r->deadline;
    if (r->started < r->n && r->next_start < wake)
        wake = r->next_start;
    int ms = wake > now ? (int)((wake - now + 999) / 1000) : 0;
    if (poll(pfd, (nfds_t)np, ms) <= 0)
        return;
    struct happy_result *out = r->out;
    for (int k = 0; k < np && out->fd < 0; k++) {
        if (pfd[k].revents == 0)
            continue;
        int i = idx[k], err = 0;
        socklen_t el = sizeof err;
        getsockopt(r->fds[i], SOL_SOCKET, SO_ERROR, &err, &el);
        out->att[i].end_ms = ms_since_t0(r);
        r->pending--;
        if (err == 0) {
            out->fd = r->fds[i];
            out->winner = i;
            out->att[i].won = true;
            out->handshake_ms = out->att[i].end_ms - out->att[i].start_ms;
        } else {
            out->att[i].err = r->last_err = err;
            close(r->fds[i]);
            r->next_start = mono_us(); /* a failure starts the next attempt at once */
        }
        r->fds[i] = -1;
    }
}

int happy_connect(const struct sockaddr_storage *addrs, const socklen_t *lens, int n,
                  int timeout_ms, int delay_ms, struct happy_result *out, struct lana_diag *d)
{
    memset(out, 0, sizeof *out);
    out->fd = out->winner = -1;
    struct race r = {.addrs = addrs,
                     .lens = lens,
                     .n = n > RESOLVE_MAX_ADDRS ? RESOLVE_MAX_ADDRS : n,
                     .last_err = ETIMEDOUT,
                     .out = out,
                     .t0 = mono_us(),
                     .delay = (uint64_t)(delay_ms > 0 ? delay_ms : 0) * 1000};
    r.next_start = r.t0;
    r.deadline = r.t0 + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000;
    while (out->fd < 0) {
        uint64_t now = mono_us();
        if (r.started < r.n && (r.pending == 0 || now >= r.next_start))
            race_start(&r, now);
        else if ((r.pending == 0 && r.started == r.n) || now >= r.deadline)
            break;
        else
            race_poll(&r, now);
    }
    if (out->fd < 0 && r.pending > 0)
        r.last_err = ETIMEDOUT;
    for (int i = 0; i < r.started; i++)
        if (r.fds[i] >= 0) { /* still pending: lost the race, or the time ran out */
            close(r.fds[i]);
            out->att[i].err = out->fd >= 0 ? ECANCELED : ETIMEDOUT;
            out->att[i].end_ms = ms_since_t0(&r);
        }
    if (out->fd < 0) {
        char t[NET_ADDRSTRLEN] = "";
        if (out->natt > 0)
            net_addr_format((struct sockaddr *)&out->att[out->natt - 1].addr, t, sizeof t);
        return diag_set(d, LANA_EIO, "cannot connect%s%s: %s", *t ? " to " : "", t,
                        strerror(r.last_err));
    }
    int fl = fcntl(out->fd, F_GETFL);
    fcntl(out->fd, F_SETFL, fl & ~O_NONBLOCK);
    return 0;
}
