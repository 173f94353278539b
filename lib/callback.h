/* callback: the queue of --on-success / --on-error callbacks that a pool
 * runs after its jobs (pool) or inputs (wpool) ended: shell commands started
 * through the executor, one at a time, in the order they were queued.
 *
 * The queue knows nothing of jobs: each callback carries the caller's data
 * pointer, and the caller's operations make its command and variables when
 * its turn comes, hear of its failure and take it back when it is over.
 * A callback's stdin is opts.fd_in; each of its streams either goes straight
 * to a descriptor or is captured (memory, then a temporary file) and
 * written out when the caller calls callback_flush(), which is how its
 * output follows its job's. It is over when it was reaped (the queue is one
 * of the loop's reapers) and its captured streams ended. A callback that
 * exits with a status other than 0, is killed, or cannot start is counted
 * as failed. callback_terminate() ends the running callback's tree with the
 * termination sequence and drops the queued ones.
 *
 * Ownership: the queue owns a callback from callback_add() until it hands
 * it over through ops.done(); the caller then frees it (callback_free()).
 * The loop, executor, environment, termseq and sinks are the caller's and
 * must outlive the queue. The library never prints: failures are told
 * through ops.failed(). */
#ifndef MPRUN_CALLBACK_H
#define MPRUN_CALLBACK_H
#include <stddef.h>
#include <sys/types.h>

struct buf;
struct capture_sink;
struct executor;
struct loop;
struct termseq;

struct callback;
struct callbacks;

/* What the caller does for its callbacks; data is the callback's, as given
 * to callback_add(). */
struct callback_ops {
	/* The callback's turn: append its shell command to cmd and its
	 * variables to vars ("NAME=value" strings, each ended by a NUL byte;
	 * they are added to opts.env). 0, or -1/errno with, optionally, a
	 * reason in why (the callback then fails). */
	int (*prepare)(void *data, struct buf *cmd, struct buf *vars,
		       struct buf *why);
	/* It failed: status is its wait status, or -1 when it did not start
	 * (why says why; NULL otherwise). */
	void (*failed)(void *data, int status, const char *why);
	/* It is over (ran, failed, or was dropped): the caller owns cb now
	 * (NULL if it could not be queued). */
	void (*done)(void *data, struct callback *cb);
};

/* Where one stream of the callbacks goes. */
struct callback_stream {
	int fd;                          /* the descriptor written to */
	const struct capture_sink *sink; /* captured output goes here
					  * instead of fd, when not NULL */
	int direct;                      /* 1: the callback writes to fd
					  * itself; 0: captured */
};

struct callback_opts {
	const struct executor *exec;     /* starts them (as slot 0: here) */
	char *const *env;                /* their environment, before their
					  * variables (NULL-terminated) */
	int fd_in;                       /* their stdin */
	struct callback_stream out[2];   /* stdout, stderr */
	size_t mem_limit;                /* captured bytes in memory, per
					  * stream, before spilling; 0: 1 MiB */
	const char *tmpdir;              /* spill files (NULL: $TMPDIR) */
	const struct termseq *termseq;   /* how a running one is ended */
	struct callback_ops ops;
};

/* A queue on loop l (it adds itself to the loop's reapers). NULL/errno. */
struct callbacks *callback_new(struct loop *l,
			       const struct callback_opts *opts);
/* Frees the queue and the callbacks it still owns, without calling the
 * ops; a running one is killed (SIGKILL to its group) and reaped. */
void callback_destroy(struct callbacks *q);

/* Change where stream i (0: stdout, 1: stderr) of later callbacks goes. */
void callback_set_stream(struct callbacks *q, int i,
			 const struct callback_stream *s);
/* Queue a callback for data; it starts at once if none runs. When it
 * cannot be queued (ENOMEM) it fails and is done at once. */
void callback_add(struct callbacks *q, void *data);
/* End the running callback's tree (the termseq); start no more: the
 * queued ones are dropped (done without running) once it ended. */
void callback_terminate(struct callbacks *q);
/* Callbacks queued or running. */
size_t callback_pending(const struct callbacks *q);
/* Callbacks that failed so far. */
unsigned long long callback_failures(const struct callbacks *q);

/* Write out cb's captured output (cb may be NULL). 0 or -1/errno. */
int callback_flush(struct callback *cb);
/* Free a callback handed over by ops.done() (NULL is ignored). */
void callback_free(struct callback *cb);

#endif
