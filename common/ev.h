/*
 * ev — the event loop: file descriptors and timers on one epoll instance, one thread per loop
 * (after Redis ae). A pass is: before_sleep hook, epoll_wait, one callback per ready fd, due
 * timers, then the deferred frees. Not thread-safe, except ev_stop().
 *
 * Invariant: once ev_fd_del() returns, no callback of that registration runs again, even for
 * an event already fetched in the current pass (every event carries the registration's
 * generation), and its free callback runs only after the pass, so any handler may close any
 * source, its own included, and the memory of every source stays valid until the pass ends.
 */
#pragma once

#include <stdint.h>

#define EV_READ 1u  /* readable (or the peer hung up: read to find out) */
#define EV_WRITE 2u /* writable */
#define EV_ERROR 4u /* error or hang-up; reported whatever the mask, while the mask is not 0 */
#define EV_NOMORE (-1) /* a timer callback's return: do not run again */

struct ev_loop;
typedef void ev_fd_cb(struct ev_loop *loop, int fd, void *arg, unsigned events);
typedef int64_t ev_timer_cb(struct ev_loop *loop, void *arg); /* ms until next run, EV_NOMORE */
typedef void ev_hook_cb(struct ev_loop *loop, void *arg);
typedef void ev_free_cb(void *arg);

/** Creates a loop. @return 0, -errno (epoll/eventfd) or LANA_ENOMEM. *out only on success. */
int ev_loop_new(struct ev_loop **out);
/** Frees the loop; runs pending free callbacks, closes no registered fd. NULL is a no-op. */
void ev_loop_free(struct ev_loop *loop);

/**
 * Watches fd for mask (EV_READ|EV_WRITE; 0 registers it unwatched). cb gets arg, which the
 * loop retains until ev_fd_del(). @return 0, LANA_EPERM (fd already registered), LANA_ENOMEM
 * or -errno from epoll_ctl.
 */
int ev_fd_add(struct ev_loop *loop, int fd, unsigned mask, ev_fd_cb *cb, void *arg);
/** Changes what fd is watched for (0: nothing, not even errors). @return 0, LANA_ENOTFOUND
 * or -errno. Costs no syscall when the mask is unchanged. */
int ev_fd_mod(struct ev_loop *loop, int fd, unsigned mask);
/**
 * Stops watching fd at once (the caller may close it right after). When free_cb is not NULL
 * it is called with the registration's arg after the current pass (at once outside a pass).
 * Never fails and never allocates; an unregistered fd is ignored.
 */
void ev_fd_del(struct ev_loop *loop, int fd, ev_free_cb *free_cb);

/** Runs cb ms milliseconds from now (then again as cb's return value says).
 * @return the timer's id (> 0) or LANA_ENOMEM. */
int64_t ev_timer_add(struct ev_loop *loop, uint64_t ms, ev_timer_cb *cb, void *arg);
/** Cancels a timer (also from its own callback). @return 0 or LANA_ENOTFOUND. */
int ev_timer_del(struct ev_loop *loop, int64_t id);

/** Sets the hook called at the start of each pass, before the loop waits. */
void ev_set_before_sleep(struct ev_loop *loop, ev_hook_cb *cb, void *arg);

/** Makes the coming wait of this pass return at once with what is ready, instead of sleeping:
 * for a before_sleep hook that has more work of its own (a long job run in slices). */
void ev_skip_sleep(struct ev_loop *loop);

/** Runs passes until ev_stop(). @return 0 when stopped, -errno if epoll_wait failed. */
int ev_run(struct ev_loop *loop);
/** Makes ev_run() return after its current pass (at once if it is not running yet). Safe
 * from any thread and from a signal handler. */
void ev_stop(struct ev_loop *loop);
