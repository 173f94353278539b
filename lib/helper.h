/* helper: a helper command of the remote executors (an ssh master, `ssh -O`,
 * squeue, scancel, salloc) run as a child that the loop watches: nothing
 * waits for it. Its stdout and stderr are collected (at most 64 KiB each is
 * kept), it is reaped through the loop's child reapers, a timer ends it at
 * its timeout, and one callback says that it is done.
 *
 * It is started like a job (exec_local: its own process group, SIGKILLed if
 * mprun dies), with our environment, an empty signal mask and stdin from
 * opts.fd_in (-1: /dev/null). It is done once it was reaped and both its
 * pipes reached end of file; at its timeout its process group is killed,
 * the pipes are closed, and it is done once reaped.
 *
 * Where no loop runs (an executor's set-up before the run, its release
 * after), helper_wait gives a loop of its own to wait in, which may end the
 * wait on SIGINT, SIGTERM or SIGHUP; helper_run runs one command to its end
 * that way.
 *
 * Ownership: the caller owns a helper and frees it with helper_free(),
 * from its done callback or before; freeing one that runs kills its process
 * group. The callbacks are never called from helper_start, helper_set_loop
 * or helper_free. */
#ifndef MPRUN_HELPER_H
#define MPRUN_HELPER_H
#include <sys/types.h>

#include "buf.h"

struct loop;
struct helper;

struct helper_opts {
	int fd_in;	     /* its stdin (the caller keeps it); -1: /dev/null */
	unsigned timeout_ms; /* 0: none */
	/* Optional: more output was collected (helper_out, helper_err). */
	void (*output)(void *data, struct helper *h);
	/* It is done: helper_status() and its output are final. */
	void (*done)(void *data, struct helper *h);
	void *data;
};

/* Start argv (looked up in PATH) in loop l. NULL/errno. */
struct helper *helper_start(struct loop *l, char *const *argv,
			    const struct helper_opts *o);
/* Move it to loop l (NULL: no loop watches it until it is given one):
 * where no loop runs, between the loops of a set-up, a run and a release.
 * If it was reaped meanwhile by a loop that did not know it, it is done
 * with status -1. 0 or -1/errno. */
int helper_set_loop(struct helper *h, struct loop *l);
/* A new timeout from now (0: none); needs a loop. 0 or -1/errno. */
int helper_set_timeout(struct helper *h, unsigned timeout_ms);
/* Kill its process group and free it. NULL is fine. */
void helper_free(struct helper *h);

pid_t helper_pid(const struct helper *h);
/* Once done: its wait status (127 << 8 when it could not be executed; -1
 * when it was reaped elsewhere), and whether the timeout ended it. */
int helper_status(const struct helper *h);
int helper_timed_out(const struct helper *h);
/* Did it exit with status 0 (and not at its timeout)? */
int helper_ok(const struct helper *h);
/* Its output collected so far (the buffers stay the helper's). */
struct buf *helper_out(struct helper *h);
struct buf *helper_err(struct helper *h);

/* A loop of its own to wait for helpers in, where no loop runs. */
struct helper_wait {
	struct loop *loop;
	int signo; /* the signal that ended the wait, or 0 */
};

/* Make the loop; with signals, SIGINT, SIGTERM and SIGHUP end the wait.
 * 0 or -1/errno. */
int helper_wait_init(struct helper_wait *w, int signals);
/* Run its loop until settled(data) is true: 0, or -1 with EINTR when a
 * signal came first (w->signo), or another errno. */
int helper_wait_run(struct helper_wait *w, int (*settled)(void *data),
		    void *data);
/* Free the loop (helpers still in it must be freed or moved first). */
void helper_wait_fini(struct helper_wait *w);

/* Run argv to its end in a loop of its own, collecting stdout and stderr
 * into out and err (NULL: dropped). *status gets its wait status. 0, or
 * -1 with ETIMEDOUT (killed at timeout_ms) or another errno. */
int helper_run(char *const *argv, struct buf *out, struct buf *err,
	       unsigned timeout_ms, int *status);

#endif
