/*
 * ev — see ev.h.
 *
 * Registrations live in a table indexed by fd. epoll's data word carries the fd and the
 * generation of its registration (bumped by every ev_fd_del), so an event fetched before a
 * delete is recognised as stale and dropped without touching the owner's memory, even when the
 * fd number was closed and reused in the same pass. Free callbacks wait in an array whose room
 * is reserved by ev_fd_add (invariant: pend_cap >= live + npend), so ev_fd_del cannot fail.
 * Timers are an unsorted array scanned once per pass: O(timers), meant for a handful of
 * periodic sweeps, not for a timeout per connection.
 */
#include "common/ev.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/err.h"

#define EV_BATCH 64 /* events fetched per epoll_wait */

struct ev_fdent {
    ev_fd_cb *cb; /* NULL: not registered */
    void *arg;
    uint32_t gen;
    unsigned mask; /* what epoll watches; 0 means the fd is out of the epoll set */
};

struct ev_timer {
    int64_t id; /* 0: deleted, removed at the end of the timer step */
    uint64_t when_ms;
    ev_timer_cb *cb;
    void *arg;
    uint64_t step; /* the timer step that last ran it */
};

struct ev_pending {
    ev_free_cb *cb;
    void *arg;
};

struct ev_loop {
    int epfd, wakefd;
    atomic_bool stop;
    bool in_pass;
    bool no_sleep; /* ev_skip_sleep: the next epoll_wait polls */
    struct ev_fdent *fds;
    size_t nfds;         /* entries in fds */
    size_t live;         /* registered fds */
    struct ev_pending *pend;
    size_t npend, pend_cap;
    struct ev_timer *timers;
    size_t ntimers, timer_cap;
    int64_t next_id;
    uint64_t timer_step; /* counts run_timers() calls */
    ev_hook_cb *before_sleep;
    void *before_sleep_arg;
    struct epoll_event evs[EV_BATCH];
};

static uint32_t epoll_mask(unsigned mask)
{
    return (mask & EV_READ ? EPOLLIN : 0) | (mask & EV_WRITE ? EPOLLOUT : 0);
}

static int epoll_set(struct ev_loop *loop, int fd, unsigned old, unsigned mask)
{
    struct epoll_event e = {.events = epoll_mask(mask)};
    e.data.u64 = (uint64_t)loop->fds[fd].gen << 32 | (uint32_t)fd;
    int op = old == 0 ? EPOLL_CTL_ADD : mask == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
    return epoll_ctl(loop->epfd, op, fd, &e) == 0 ? 0 : -errno;
}

int ev_loop_new(struct ev_loop **out)
{
    int rc = 0;
    struct ev_loop *loop = calloc(1, sizeof *loop);
    if (loop == NULL)
        return LANA_ENOMEM;
    loop->wakefd = -1;
    loop->next_id = 1;
    atomic_init(&loop->stop, false);
    if ((loop->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
        (loop->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
        rc = -errno;
        goto out;
    }
    /* the wake-up fd is not in the table: its data word is all ones, no fd has that */
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = UINT64_MAX};
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->wakefd, &e) != 0)
        rc = -errno;
out:
    if (rc != 0) {
        ev_loop_free(loop);
        return rc;
    }
    *out = loop;
    return 0;
}

static void run_pending(struct ev_loop *loop)
{
    /* a free callback may delete more sources: outside the pass those are freed at once */
    for (size_t i = 0; i < loop->npend; i++)
        loop->pend[i].cb(loop->pend[i].arg);
    loop->npend = 0;
}

void ev_loop_free(struct ev_loop *loop)
{
    if (loop == NULL)
        return;
    loop->in_pass = false;
    run_pending(loop);
    if (loop->epfd >= 0)
        close(loop->epfd);
    if (loop->wakefd >= 0)
        close(loop->wakefd);
    free(loop->fds);
    free(loop->pend);
    free(loop->timers);
    free(loop);
}

static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *p = realloc(*arr, n * size);
    if (p == NULL)
        return LANA_ENOMEM;
    memset((char *)p + *cap * size, 0, (n - *cap) * size);
    *arr = p;
    *cap = n;
    return 0;
}

int ev_fd_add(struct ev_loop *loop, int fd, unsigned mask, ev_fd_cb *cb, void *arg)
{
    int rc;
    if (fd < 0)
        return -EBADF;
    if ((size_t)fd < loop->nfds && loop->fds[fd].cb != NULL)
        return LANA_EPERM;
    if ((rc = grow((void **)&loop->fds, &loop->nfds, (size_t)fd + 1, sizeof *loop->fds)) != 0 ||
        (rc = grow((void **)&loop->pend, &loop->pend_cap, loop->live + loop->npend + 1,
                   sizeof *loop->pend)) != 0)
        return rc;
    struct ev_fdent *f = &loop->fds[fd];
    mask &= EV_READ | EV_WRITE;
    if (mask != 0 && (rc = epoll_set(loop, fd, 0, mask)) != 0)
        return rc;
    f->cb = cb;
    f->arg = arg;
    f->mask = mask;
    loop->live++;
    return 0;
}

int ev_fd_mod(struct ev_loop *loop, int fd, unsigned mask)
{
    if (fd < 0 || (size_t)fd >= loop->nfds || loop->fds[fd].cb == NULL)
        return LANA_ENOTFOUND;
    struct ev_fdent *f = &loop->fds[fd];
    mask &= EV_READ | EV_WRITE;
    if (mask == f->mask)
        return 0;
    int rc = epoll_set(loop, fd, f->mask, mask);
    if (rc == 0)
        f->mask = mask;
    return rc;
}

void ev_fd_del(struct ev_loop *loop, int fd, ev_free_cb *free_cb)
{
    if (fd < 0 || (size_t)fd >= loop->nfds || loop->fds[fd].cb == NULL)
        return;
    struct ev_fdent *f = &loop->fds[fd];
    if (f->mask != 0)
        epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL); /* fails only if fd was closed */
    void *arg = f->arg;
    f->cb = NULL;
    f->arg = NULL;
    f->mask = 0;
    f->gen++; /* events of this registration already fetched are now stale */
    loop->live--;
    if (free_cb == NULL)
        return;
    if (loop->in_pass) {
        /* room was reserved when the fd was added */
        loop->pend[loop->npend++] = (struct ev_pending){free_cb, arg};
        return;
    }
    free_cb(arg);
}

int64_t ev_timer_add(struct ev_loop *loop, uint64_t ms, ev_timer_cb *cb, void *arg)
{
    int rc = grow((void **)&loop->timers, &loop->timer_cap, loop->ntimers + 1,
                  sizeof *loop->timers);
    if (rc != 0)
        return rc;
    int64_t id = loop->next_id++;
    loop->timers[loop->ntimers++] = (struct ev_timer){id, mono_ms() + ms, cb, arg, 0};
    return id;
}

int ev_timer_del(struct ev_loop *loop, int64_t id)
{
    for (size_t i = 0; i < loop->ntimers; i++) {
        if (loop->timers[i].id == id && id > 0) {
            loop->timers[i].id = 0; /* removed by the next timer step */
            return 0;
        }
    }
    return LANA_ENOTFOUND;
}

void ev_set_before_sleep(struct ev_loop *loop, ev_hook_cb *cb, void *arg)
{
    loop->before_sleep = cb;
    loop->before_sleep_arg = arg;
}

void ev_skip_sleep(struct ev_loop *loop)
{
    loop->no_sleep = true;
}

void ev_stop(struct ev_loop *loop)
{
    uint64_t one = 1;
    atomic_store(&loop->stop, true);
    ssize_t n = write(loop->wakefd, &one, sizeof one); /* a full counter wakes it as well */
    (void)n;
}

/* Milliseconds epoll_wait may sleep: until the nearest timer, or for ever (-1). */
static int wait_ms(const struct ev_loop *loop)
{
    if (loop->ntimers == 0)
        return -1;
    uint64_t near = UINT64_MAX, now = mono_ms();
    for (size_t i = 0; i < loop->ntimers; i++)
        if (loop->timers[i].id != 0 && loop->timers[i].when_ms < near)
            near = loop->timers[i].when_ms;
    if (near == UINT64_MAX)
        return -1;
    return near <= now ? 0 : near - now > 60000 ? 60000 : (int)(near - now);
}

/* Runs the due timers, earliest deadline first, each at most once per step; those added
 * meanwhile wait for the next pass. O(due * timers): meant for a handful of timers. */
static void run_timers(struct ev_loop *loop)
{
    uint64_t now = mono_ms(), step = ++loop->timer_step;
    size_t n = loop->ntimers;
    for (;;) {
        size_t best = n;
        for (size_t i = 0; i < n; i++) {
            const struct ev_timer *t = &loop->timers[i];
            if (t->id != 0 && t->when_ms <= now && t->step != step &&
                (best == n || t->when_ms < loop->timers[best].when_ms))
                best = i;
        }
        if (best == n)
            break;
        struct ev_timer *t = &loop->timers[best];
        int64_t id = t->id;
        t->step = step;
        int64_t again = t->cb(loop, t->arg);
        t = &loop->timers[best]; /* the callback may have added timers (and moved the array) */
        if (t->id != id) /* deleted by its own callback */
            continue;
        if (again < 0)
            t->id = 0;
        else
            t->when_ms = mono_ms() + (uint64_t)again;
    }
    size_t keep = 0;
    for (size_t i = 0; i < loop->ntimers; i++)
        if (loop->timers[i].id != 0)
            loop->timers[keep++] = loop->timers[i];
    loop->ntimers = keep;
}

static void dispatch(struct ev_loop *loop, const struct epoll_event *e)
{
    if (e->data.u64 == UINT64_MAX) {
        uint64_t v;
        ssize_t n = read(loop->wakefd, &v, sizeof v);
        (void)n;
        return;
    }
    size_t fd = (uint32_t)e->data.u64;
    uint32_t gen = (uint32_t)(e->data.u64 >> 32);
    if (fd >= loop->nfds)
        return;
    const struct ev_fdent *f = &loop->fds[fd];
    if (f->cb == NULL || f->gen != gen || f->mask == 0)
        return; /* deleted (or paused) earlier in this pass */
    unsigned events = (e->events & EPOLLIN ? EV_READ : 0) | (e->events & EPOLLOUT ? EV_WRITE : 0);
    events &= f->mask; /* the mask may have changed since the event was fetched */
    if (e->events & (EPOLLERR | EPOLLHUP))
        events |= EV_ERROR;
    if (events != 0)
        f->cb(loop, (int)fd, f->arg, events);
}

int ev_run(struct ev_loop *loop)
{
    while (!atomic_load_explicit(&loop->stop, memory_order_relaxed)) {
        if (loop->before_sleep != NULL)
            loop->before_sleep(loop, loop->before_sleep_arg);
        if (atomic_load_explicit(&loop->stop, memory_order_relaxed))
            break;
        int n = epoll_wait(loop->epfd, loop->evs, EV_BATCH, loop->no_sleep ? 0 : wait_ms(loop));
        loop->no_sleep = false;
        if (n < 0 && errno != EINTR)
            return -errno;
        loop->in_pass = true;
        for (int i = 0; i < n; i++)
            dispatch(loop, &loop->evs[i]);
        run_timers(loop);
        loop->in_pass = false;
        run_pending(loop);
    }
    /* consumed, wake-up included: a later ev_run runs again, and its first pass waits */
    atomic_store(&loop->stop, false);
    uint64_t v;
    ssize_t n = read(loop->wakefd, &v, sizeof v);
    (void)n;
    return 0;
}
