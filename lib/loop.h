/* loop: mprun's one event loop: epoll over file descriptors, one-shot
 * timers on a monotonic clock, and signals delivered through a signalfd.
 *
 * Callbacks are a function plus a void *data that the loop never owns.
 * A callback may add or remove any watch, timer or signal, including its
 * own. */
#ifndef MPRUN_LOOP_H
#define MPRUN_LOOP_H
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/types.h>

struct loop;
struct loop_timer;

typedef void (*loop_fd_fn)(struct loop *l, int fd, uint32_t events,
			   void *data);
typedef void (*loop_timer_fn)(struct loop *l, void *data);
typedef void (*loop_signal_fn)(struct loop *l,
			       const struct signalfd_siginfo *si, void *data);

struct loop *loop_new(void);
/* Frees the loop; restores the signal mask it changed. */
void loop_free(struct loop *l);

/* Watch fd for events (EPOLLIN, EPOLLOUT). 0 or -1/errno. */
int loop_fd_add(struct loop *l, int fd, uint32_t events, loop_fd_fn fn,
		void *data);
/* Change the events of a watched fd; 0 pauses it. */
int loop_fd_mod(struct loop *l, int fd, uint32_t events);
/* Stop watching fd (call before closing it). */
void loop_fd_del(struct loop *l, int fd);

/* A one-shot timer ms milliseconds from now. NULL/errno on failure. */
struct loop_timer *loop_timer_add(struct loop *l, uint64_t ms,
				  loop_timer_fn fn, void *data);
/* Cancel a timer not yet run (O(log n)); from its own callback, a no-op.
 * A timer that has run is freed: forget its pointer in its callback. */
void loop_timer_cancel(struct loop *l, struct loop_timer *t);

/* Move every timer not yet run ms later (the time the process was
 * stopped, which is not to count). */
void loop_timers_delay(struct loop *l, uint64_t ms);
/* Deliver sig through the loop (it is blocked and read from a signalfd).
 * One callback per signal. 0 or -1/errno. */
int loop_signal_add(struct loop *l, int sig, loop_signal_fn fn, void *data);
/* Child exits: on SIGCHLD the loop reaps every child that ended
 * (waitpid(-1, WNOHANG)) and offers each to the reapers in the order they
 * were added, until one returns 1 (it was its child); a child no reaper
 * claims (an adopted descendant) is just reaped. Several modules (pools,
 * worker pools) can so share one loop. A reaper may remove itself. 0 or
 * -1/errno. */
typedef int (*loop_child_fn)(void *data, pid_t pid, int status);
int loop_child_add(struct loop *l, loop_child_fn fn, void *data);
void loop_child_del(struct loop *l, loop_child_fn fn, void *data);

/* The signal mask in force before the loop blocked anything, for children. */
const sigset_t *loop_orig_sigmask(const struct loop *l);

/* Milliseconds on the monotonic clock. */
uint64_t loop_now_ms(void);

/* Wait for events and run their callbacks once; 0 or -1/errno. */
int loop_run_once(struct loop *l);
/* Run until loop_stop(). */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

#endif
