/* slot: what the scheduler (lib/sched) shares with the kinds of slot it
 * drives: its state, and the table of operations a kind fills in. Only
 * lib/sched.c and the kinds (lib/pool.c: one-shot jobs; lib/wpool.c:
 * long-lived workers) include it; a kind's own state starts with a
 * struct sched, so the scheduler and the kind are one allocation. */
#ifndef MPRUN_SLOT_H
#define MPRUN_SLOT_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sched.h"

struct callback_opts;
struct callbacks;
struct loop;
struct loop_timer;

/* Runtimes kept for the median of --timeout N%. */
#define SCHED_RUNTIMES 1024
/* How long a spawn failing with EAGAIN is retried when none of ours runs
 * (then the run starts no more jobs). */
#define SPAWN_GIVE_UP_MS 10000

struct slot_ops {
	/* Start what can be started (called by sched_kick, never nested). */
	void (*fill)(struct sched *s);
	/* Is anything of the kind not over: a task running, in flight or
	 * still to come, a worker alive? */
	int (*busy)(const struct sched *s);
	/* Before the first fill (NULL: nothing to do). */
	void (*start)(struct sched *s);
	/* The kind's part of sched_close and sched_terminate (each called
	 * once). */
	void (*close)(struct sched *s);
	void (*terminate)(struct sched *s);
	/* All is over: last output, before the held output is copied out
	 * (NULL: nothing to do). */
	void (*finish)(struct sched *s);
	/* A task the order lets go: write its output, report it, free it. */
	void (*release)(struct sched *s, void *task);
	/* A child of ours was reaped: 1 if it was one of the kind's. */
	int (*reaped)(struct sched *s, pid_t pid, int status);
	/* Task t's try ran past its timeout (sched_timeout_arm), and
	 * t->timed_out is set: end it (the termination sequence of its
	 * tree); its try then ends as the kind sees it. */
	void (*timed_out)(struct sched *s, struct sched_task *t);
	/* Task t, waiting on the retry queue, will not be tried again (the
	 * run closes or ends): it ends for good, failed (NULL: the kind
	 * never queues a retry). */
	void (*give_up)(struct sched *s, struct sched_task *t);
	/* Free what is the kind's (not the allocation: sched_free does). */
	void (*destroy)(struct sched *s);
	/* End the youngest running task to run it again later (NULL: the
	 * kind cannot), why naming the cause for the notice: 1 if one was
	 * ended, else 0 (see sched_evict). */
	int (*evict)(struct sched *s, const char *why);
};

struct sched {
	const struct slot_ops *ops;
	const struct sched_opts *o; /* the kind's (in its options) */
	struct loop *loop;
	struct queue *q;
	void (*want)(void *);
	void *want_data;
	int (*throttle)(void *);
	void *throttle_data;
	struct order *order;
	struct callbacks *cbs;  /* --on-success, --on-error */
	int devnull;            /* the stdin of callbacks (and of jobs) */
	pid_t self;             /* our pid, in our tasks' markers */
	const char *noun;       /* what runs in the slots: "jobs" */
	struct sched_events ev;
	/* a spawn failed for want of processes: retried on a timer */
	struct loop_timer *spawn_timer;
	uint64_t spawn_since, spawn_backoff;
	int spawn_waiting, spawn_said;
	int hold_fd[2];         /* --order map: output held until the end */
	unsigned nrunning;      /* jobs running, inputs in flight */
	unsigned long long seq; /* the last task's number */
	unsigned long long nstarted, nsucceeded, nfailed, nfaults, total;
	unsigned long long trees_ended; /* by us: --timeout, halt, evict... */
	int started, closed, terminating, halted, out_closed, finished;
	int spawn_gave_up; /* no process for SPAWN_GIVE_UP_MS, none running */
	int halt_exit;          /* exit value of the task that halted it */
	int in_kick, kick_again;
	int reaping;            /* sched_reaped is one of the loop's reapers */
	/* failed tasks to try again, taken before new input (--retries) */
	struct sched_task *retry_head, *retry_tail;
	/* --timeout N%: the kind's N, and the last runtimes for the median */
	unsigned timeout_pct;
	uint64_t runtimes[SCHED_RUNTIMES];
	size_t nruntimes;
	unsigned long long runtime_count;
};

/* What every task has, first in a kind's own (a job, a worker's input). */
struct sched_task {
	unsigned long long seq;
	unsigned slot;
	unsigned tries;           /* 1 + the retries used */
	uint64_t start_wall_ms;   /* its last try's start (wall clock) */
	uint64_t start_ms;        /* ... on the monotonic clock */
	uint64_t runtime_ms;
	int timed_out;
	/* how it ended, once it ended for good */
	int failed, exitval, signal;
	uint64_t sent, received;  /* bytes to and from it (its stdout) */
	/* the scheduler's: set by sched_task_add */
	struct sched *sched;
	struct loop_timer *timer;      /* its try's timeout */
	struct sched_task *retry_next; /* on the retry queue */
};

/* The process tree of a job or a worker: its process (the leader of its
 * group), and the marker in the environment of all of it, which finds
 * what left the group (lib/termtree). */
struct slot_tree {
	struct sched *s;
	pid_t pid;
	unsigned slot;
	int reaped;
	size_t step;              /* signals of the termseq sent */
	struct loop_timer *timer; /* the next one */
	char marker[64];          /* MPRUN_JOBID=... */
};

/* Set up the scheduler part of a kind's state, just allocated zeroed, with
 * the kind's ops, options (o must outlive it) and events (ev: NULL, or
 * copied); the kind sets noun. 0, or -1/errno (then sched_free() it). */
int sched_init(struct sched *s, const struct slot_ops *ops, struct loop *l,
	       const struct sched_opts *o, const struct sched_events *ev);
/* The callback queue, from the kind's co: the executor, environment,
 * stdin, tmpdir, termseq and notice are the scheduler's. 0 or -1/errno. */
int sched_callbacks(struct sched *s, struct callback_opts *co,
		    char *const *env);
/* A new task: its number into *seq, and its place in the order. 0, or
 * -1/ENOMEM. */
int sched_task_add(struct sched *s, void *task, unsigned long long *seq);
/* Task seq and its callback are over: release (slot_ops.release) what the
 * order lets go now. */
void sched_task_over(struct sched *s, unsigned long long seq);
/* Is the queue empty for good (or is there none)? */
int sched_queue_done(const struct sched *s);
/* Open the files that hold streams 0 .. n-1 until the end (--order map).
 * 0 or -1/errno. */
int sched_hold(struct sched *s, int n);
/* Should the run stop after this (--halt)? Then close or terminate. */
void sched_check_halt(struct sched *s, const struct sched_task *t);
/* Everything done? Then copy held output out and stop the loop. */
void sched_check_finished(struct sched *s);

/* --- tries: --retries and --timeout -------------------------------- */

/* A try of task t starts: counted in t->tries; not timed out. */
void sched_try_start(struct sched *s, struct sched_task *t);
/* Call the kind's timed_out for t ms from now (0: never), unless stopped
 * first; one timer a task. */
void sched_timeout_arm(struct sched *s, struct sched_task *t, uint64_t ms);
void sched_timeout_stop(struct sched_task *t);
/* The timeout of a try starting now: --timeout, or N% (s->timeout_pct)
 * of the median runtime of the last tries (none before 3); 0: none. */
uint64_t sched_timeout_ms(const struct sched *s);
/* A try ran ms (for the median). */
void sched_add_runtime(struct sched *s, uint64_t ms);
/* Task t's try failed, for a reason a new try may mend: run it again
 * (--retries)? 1: it waits on the retry queue (the kind takes it with
 * sched_retry_take, before new input); 0: it ends for good. Never once
 * the run closes. */
int sched_try_again(struct sched *s, struct sched_task *t);
/* The next task to try again, or NULL. */
struct sched_task *sched_retry_take(struct sched *s);
int sched_retry_waiting(const struct sched *s);
/* Give back tasks t, t->retry_next, ... (NULL-ended) whose try was cut
 * short by another's failure: first on the retry queue, in that order,
 * their tries not counted. */
void sched_retry_return(struct sched *s, struct sched_task *t);

/* A new tree in slot, named by tag ("" for a job, "w" for a worker) and
 * n in its marker: MPRUN_JOBID=PID[.GROUP].TAGN. */
void sched_tree_init(struct sched *s, struct slot_tree *t, unsigned slot,
		     const char *tag, unsigned long long n);
/* End the whole tree with the termination sequence (the executor's
 * terminate first, for what runs elsewhere); once. */
void sched_tree_end(struct slot_tree *t);
/* Stop sending the sequence. */
void sched_tree_stop(struct slot_tree *t);
/* Is a process of the tree still alive (its pid, its group, or one with
 * its marker)? */
int sched_tree_alive(const struct slot_tree *t);

/* A spawn failed for want of processes (EAGAIN; a worker's pipes also
 * EMFILE, ENFILE, ENOMEM): sched_kick() again on a timer, with back-off,
 * and at once when one of our children is reaped; said once. The kind
 * starts nothing else while s->spawn_timer runs. others: our processes
 * that may end and free one; with none, the spawn is given up after a
 * while. 0, or -1 (errno kept): give up. */
int sched_spawn_later(struct sched *s, unsigned others);
/* The spawn worked, or was given up: a next failure waits afresh. */
void sched_spawn_done(struct sched *s);

#endif
