/* Unit tests of common/ev: timers, fd events, deferred frees, stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/ev.h"

static struct ev_loop *new_loop(void)
{
    struct ev_loop *loop = NULL;
    assert_int_equal(ev_loop_new(&loop), 0);
    assert_non_null(loop);
    return loop;
}

/* Stops the loop after ms, so that a broken test fails instead of hanging. */
static int64_t on_guard(struct ev_loop *loop, void *arg)
{
    *(bool *)arg = true;
    ev_stop(loop);
    return EV_NOMORE;
}

/* ---- timers ---------------------------------------------------------------------------- */

struct tlog {
    int order[16];
    int n;
    int repeats;
};

struct targ {
    struct tlog *log;
    int tag;
    bool stop;
};

static int64_t on_timer(struct ev_loop *loop, void *arg)
{
    struct targ *t = arg;
    t->log->order[t->log->n++] = t->tag;
    if (t->stop)
        ev_stop(loop);
    return EV_NOMORE;
}

static int64_t on_repeat(struct ev_loop *loop, void *arg)
{
    (void)loop;
    struct tlog *log = arg;
    return ++log->repeats < 3 ? 5 : EV_NOMORE;
}

static void test_ev_timers_fire_in_deadline_order_and_repeat(void **state)
{
    (void)state;
    struct ev_loop *loop = new_loop();
    struct tlog log = {{0}, 0, 0};
    struct targ a = {&log, 30, true}, b = {&log, 10, false}, c = {&log, 20, false},
                d = {&log, 15, false};
    uint64_t t0 = mono_ms();
    assert_true(ev_timer_add(loop, 30, on_timer, &a) > 0);
    assert_true(ev_timer_add(loop, 10, on_timer, &b) > 0);
    assert_true(ev_timer_add(loop, 20, on_timer, &c) > 0);
    int64_t dead = ev_timer_add(loop, 15, on_timer, &d);
    assert_true(dead > 0);
    assert_true(ev_timer_add(loop, 1, on_repeat, &log) > 0);
    assert_int_equal(ev_timer_del(loop, dead), 0);
    assert_int_equal(ev_timer_del(loop, dead), LANA_ENOTFOUND);
    assert_int_equal(ev_run(loop), 0);
    assert_true(mono_ms() - t0 >= 30);
    assert_int_equal(log.n, 3); /* the deleted timer never ran */
    assert_int_equal(log.order[0], 10);
    assert_int_equal(log.order[1], 20);
    assert_int_equal(log.order[2], 30);
    assert_int_equal(log.repeats, 3);
    ev_loop_free(loop);
}

/* ---- fd events ------------------------------------------------------------------------- */

struct fdrec {
    int calls;
    unsigned events;
    char got[8];
};

static void on_fd(struct ev_loop *loop, int fd, void *arg, unsigned events)
{
    struct fdrec *r = arg;
    r->calls++;
    r->events = events;
    if (events & EV_READ) {
        ssize_t n = read(fd, r->got, sizeof r->got);
        (void)n;
    }
    ev_stop(loop);
}

static void test_ev_fd_events_follow_the_mask(void **state)
{
    (void)state;
    struct ev_loop *loop = new_loop();
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    struct fdrec r = {0, 0, {0}};
    bool fired = false;
    assert_int_equal(ev_fd_add(loop, sv[0], EV_READ, on_fd, &r), 0);
    assert_int_equal(ev_fd_add(loop, sv[0], EV_READ, on_fd, &r), LANA_EPERM);

    assert_int_equal(write(sv[1], "hi", 2), 2);
    assert_int_equal(ev_run(loop), 0);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.events, EV_READ);
    assert_memory_equal(r.got, "hi", 2);

    assert_int_equal(ev_fd_mod(loop, sv[0], EV_WRITE), 0);
    assert_int_equal(ev_run(loop), 0);
    assert_int_equal(r.calls, 2);
    assert_int_equal(r.events, EV_WRITE);

    /* mask 0: readable data and even a hang-up are not reported */
    assert_int_equal(ev_fd_mod(loop, sv[0], 0), 0);
    assert_int_equal(write(sv[1], "x", 1), 1);
    assert_true(ev_timer_add(loop, 20, on_guard, &fired) > 0);
    assert_int_equal(ev_run(loop), 0);
    assert_true(fired);
    assert_int_equal(r.calls, 2);

    /* watched again: the waiting byte and then the hang-up are reported */
    assert_int_equal(ev_fd_mod(loop, sv[0], EV_READ), 0);
    assert_int_equal(ev_run(loop), 0);
    assert_int_equal(r.calls, 3);
    assert_int_equal(r.got[0], 'x');
    close(sv[1]);
    assert_int_equal(ev_run(loop), 0);
    assert_int_equal(r.calls, 4);
    assert_true(r.events & EV_READ);

    assert_int_equal(ev_fd_mod(loop, 999, EV_READ), LANA_ENOTFOUND);
    ev_fd_del(loop, sv[0], NULL);
    ev_fd_del(loop, sv[0], NULL); /* ignored */
    assert_int_equal(ev_fd_mod(loop, sv[0], EV_READ), LANA_ENOTFOUND);
    close(sv[0]);
    ev_loop_free(loop);
}

/* ---- deferred close -------------------------------------------------------------------- */

/*
 * Two sources readable in the same pass; whichever runs first closes the other, closes its fd
 * and opens a new socket pair, which gets the same fd numbers back and is registered at once.
 * The closed source must never be dispatched again, the stale event of its fd must not reach
 * the new registration in this pass, and its memory must be freed only after the pass.
 */
struct world;

struct src {
    struct world *w;
    int fd, peer;
    int calls;
    bool is_new;
};

struct world {
    int pass;        /* counted by before_sleep */
    bool in_cb;      /* inside a callback now */
    struct src *s[2];
    int closed;      /* index of the closed source, -1 before */
    int freed_pass;  /* pass in which the free callback ran; 0 = not yet */
    bool freed_in_cb;
    int new_first_pass; /* pass of the new source's first callback */
    struct src *fresh;
    int self_freed;
};

static void on_before_sleep(struct ev_loop *loop, void *arg)
{
    (void)loop;
    struct world *w = arg;
    w->pass++;
    if (w->pass > 5)
        ev_stop(loop);
}

static int64_t on_tick(struct ev_loop *loop, void *arg)
{
    (void)loop;
    (void)arg;
    return 1; /* keeps passes coming until before_sleep stops the loop */
}

static void free_src(void *arg)
{
    struct src *s = arg;
    struct world *w = s->w;
    if (s->is_new) {
        w->self_freed++;
    } else {
        w->freed_pass = w->pass;
        w->freed_in_cb = w->in_cb;
    }
    free(s);
}

static void on_src(struct ev_loop *loop, int fd, void *arg, unsigned events);

static void on_new(struct ev_loop *loop, int fd, void *arg, unsigned events)
{
    (void)events;
    struct src *s = arg;
    char b[8];
    ssize_t n = read(fd, b, sizeof b);
    (void)n;
    if (s->w->new_first_pass == 0)
        s->w->new_first_pass = s->w->pass;
    /* closes itself, then reads its own memory: valid until the pass ends */
    ev_fd_del(loop, fd, free_src);
    close(s->fd);
    close(s->peer);
    s->calls++;
    assert_int_equal(s->calls, 1);
}

static void on_src(struct ev_loop *loop, int fd, void *arg, unsigned events)
{
    (void)events;
    struct src *s = arg;
    struct world *w = s->w;
    w->in_cb = true;
    s->calls++;
    assert_int_equal(w->closed, -1); /* never called once the other one closed */
    char b[8];
    ssize_t n = read(fd, b, sizeof b);
    (void)n;
    int other = w->s[0] == s ? 1 : 0;
    struct src *o = w->s[other];
    int ofd = o->fd, opeer = o->peer;
    ev_fd_del(loop, ofd, free_src);
    close(ofd);
    close(opeer);
    w->closed = other;
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    assert_int_equal(sv[0], ofd); /* the lowest free number: the closed source's */
    struct src *f = calloc(1, sizeof *f);
    assert_non_null(f);
    *f = (struct src){w, sv[0], sv[1], 0, true};
    w->fresh = f;
    assert_int_equal(ev_fd_add(loop, sv[0], EV_READ, on_new, f), 0);
    assert_int_equal(write(sv[1], "n", 1), 1);
    ev_fd_del(loop, fd, NULL); /* done with this one as well; freed by the test */
    w->in_cb = false;
}

static void test_ev_close_during_pass_is_never_dispatched_and_freed_after(void **state)
{
    (void)state;
    struct ev_loop *loop = new_loop();
    struct world w = {0};
    w.closed = -1;
    struct src *keep[2];
    for (int i = 0; i < 2; i++) {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
        struct src *s = calloc(1, sizeof *s);
        assert_non_null(s);
        *s = (struct src){&w, sv[0], sv[1], 0, false};
        w.s[i] = keep[i] = s;
        assert_int_equal(ev_fd_add(loop, sv[0], EV_READ, on_src, s), 0);
        assert_int_equal(write(sv[1], "x", 1), 1); /* both readable before the first wait */
    }
    ev_set_before_sleep(loop, on_before_sleep, &w);
    assert_true(ev_timer_add(loop, 1, on_tick, NULL) > 0);
    assert_int_equal(ev_run(loop), 0);
    assert_true(w.closed >= 0);
    int survivor = 1 - w.closed;
    assert_int_equal(keep[survivor]->calls, 1);
    assert_int_equal(w.freed_pass, 1); /* after pass 1, not later */
    assert_false(w.freed_in_cb);       /* and not inside the callback that closed it */
    /* the fd reused in pass 1 got its own events only from pass 2 on */
    assert_true(w.new_first_pass >= 2);
    assert_int_equal(w.self_freed, 1);
    close(keep[survivor]->fd);
    close(keep[survivor]->peer);
    free(keep[survivor]);
    ev_loop_free(loop);
}

/* ---- stop ------------------------------------------------------------------------------ */

static void *stop_later(void *arg)
{
    usleep(20000);
    ev_stop(arg);
    return NULL;
}

static void test_ev_stop_before_run_and_from_another_thread(void **state)
{
    (void)state;
    struct ev_loop *loop = new_loop();
    ev_stop(loop);
    assert_int_equal(ev_run(loop), 0); /* returns at once */

    bool fired = false;
    assert_true(ev_timer_add(loop, 5000, on_guard, &fired) > 0);
    pthread_t t;
    uint64_t t0 = mono_ms();
    assert_int_equal(pthread_create(&t, NULL, stop_later, loop), 0);
    assert_int_equal(ev_run(loop), 0); /* blocked in epoll_wait until the other thread */
    pthread_join(t, NULL);
    assert_false(fired);
    assert_true(mono_ms() - t0 < 4000);
    ev_loop_free(loop);
    ev_loop_free(NULL);
}

/* ---- a hook with work of its own ------------------------------------------------------- */

struct slices {
    int left; /* passes the hook still wants without sleeping */
    int passes;
};

static void on_slice(struct ev_loop *loop, void *arg)
{
    struct slices *s = arg;
    s->passes++;
    if (s->left-- > 0)
        ev_skip_sleep(loop);
    else
        ev_stop(loop);
}

/* ev_skip_sleep from before_sleep: the coming wait polls instead of sleeping until the next
 * timer (here a guard 10 s away), so 100 passes take no time; without it the loop sleeps. */
static void test_ev_skip_sleep_makes_the_next_wait_poll(void **state)
{
    (void)state;
    struct ev_loop *loop = new_loop();
    bool guard = false;
    assert_true(ev_timer_add(loop, 10000, on_guard, &guard) > 0);
    struct slices s = {100, 0};
    ev_set_before_sleep(loop, on_slice, &s);
    uint64_t t0 = mono_ms();
    assert_int_equal(ev_run(loop), 0);
    assert_false(guard);
    assert_int_equal(s.passes, 101);
    assert_true(mono_ms() - t0 < 5000);
    ev_loop_free(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ev_skip_sleep_makes_the_next_wait_poll),
        cmocka_unit_test(test_ev_timers_fire_in_deadline_order_and_repeat),
        cmocka_unit_test(test_ev_fd_events_follow_the_mask),
        cmocka_unit_test(test_ev_close_during_pass_is_never_dispatched_and_freed_after),
        cmocka_unit_test(test_ev_stop_before_run_and_from_another_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
