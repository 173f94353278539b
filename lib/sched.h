/* sched: the scheduler of a run: tasks taken from a bounded queue, run in
 * slots, released in the order policy's order (lib/order), with --halt,
 * --retries (a retry queue ahead of new input), --timeout (a timer a
 * task), close (SIGTERM) and terminate (Ctrl-C), the callback queue and
 * the --order map hold. What a slot is comes from its kind, behind a table of
 * operations (lib/slot.h): a one-shot job per task (lib/pool: local, SSH
 * and Slurm executors) or a long-lived worker serving many (lib/wpool).
 * pool_new() and wpool_new() make a scheduler of their kind; everything
 * else is done here, the same for both.
 *
 * Ownership: the scheduler owns neither the loop, the queue, the templates
 * nor the executor; it owns the records it takes from the queue (and calls
 * queue_task_done for each when its task is released). It reaps its
 * children as one of the loop's reapers (loop_child_add), so schedulers
 * share a loop. The library never prints: it reports through the events;
 * only the tasks' output is written, to the descriptors (or the sink) of
 * the options. */
#ifndef MPRUN_SCHED_H
#define MPRUN_SCHED_H

#include <stdint.h>
#include <sys/types.h>

#include "order.h"
#include "policy.h"
#include "termtree.h"

struct capture_sink;
struct executor;
struct queue;
struct template;
struct sched;
/* A task: a job (lib/pool) or an input to a worker (lib/wpool), as the
 * events see it; the kind's own accessors tell the rest. */
struct sched_task;

/* What every kind of slot is told; its own options hold the rest. */
struct sched_opts {
	unsigned slots;              /* >= 1: jobs at once, or workers */
	enum order_policy order;
	/* job control (all 0 / NULL: off) */
	uint64_t timeout_ms;         /* end a task running longer */
	unsigned retries;            /* run a failed task again this often */
	struct policy_halt halt;     /* stop early: "now" is sched_terminate,
				      * "soon" sched_close; percentages are
				      * of the total (sched_set_total) or of
				      * the tasks started */
	struct termseq termseq;      /* how task trees are ended */
	int tag;                     /* --tag: output prefixed by the input */
	const struct template *tagstring; /* --tagstring, or NULL */
	const struct template *on_success; /* callbacks (shell commands) */
	const struct template *on_error;
	const struct executor *exec; /* starts the tasks and callbacks */
	int out_fd, err_fd;          /* where output goes (1 and 2) */
	const struct capture_sink *out_sink; /* stdout there, not out_fd */
	const char *tmpdir;          /* held and spilled output (NULL:
				      * $TMPDIR, /tmp) */
	unsigned group;              /* schedulers of one process (pipeline
				      * stages) each have their own: their
				      * tasks' MPRUN_JOBID differ; 0: none */
};

/* What a scheduler reports. Every member may be NULL. */
struct sched_events {
	/* Jobs: a job's command is ready: it is about to start (or, with
	 * dry_run, it is all that happens). */
	void (*launch)(void *data, const struct sched_task *t);
	/* Jobs: a job is released: its output went out (or was dropped). */
	void (*done)(void *data, const struct sched_task *t);
	/* Workers: a worker started in slot (1-based) as process pid. */
	void (*spawned)(void *data, unsigned slot, pid_t pid);
	/* A task ended for good (its last try), before its callback and
	 * before its output is released: the time to log it. Not called
	 * for a job that did not start, nor for an input cut short by
	 * sched_terminate(). */
	void (*finished)(void *data, const struct sched_task *t);
	/* Something went wrong outside any task's own exit status (workers:
	 * the run cannot go on as asked, and the scheduler closes). */
	void (*error)(void *data, const char *msg);
	/* Something worth telling that is counted elsewhere (a failed
	 * callback, a worker's fault). */
	void (*notice)(void *data, const char *msg);
	/* Jobs: should job seq be skipped (--resume)? Skipped jobs neither
	 * run nor count. */
	int (*skip)(void *data, unsigned long long seq);
	void *data;
};

/* Frees the scheduler; what still runs of a worker is killed (SIGKILL). */
void sched_free(struct sched *s);

/* Where records come from. want(data) is called when the scheduler would
 * take more records than the queue holds; the producer calls sched_kick()
 * after putting records or closing the queue. */
void sched_set_source(struct sched *s, struct queue *q, void (*want)(void *),
		      void *data);
/* While throttle(data) returns 1, start no new task (a pipeline stage
 * whose reader is behind); call sched_kick() when it may have changed. */
void sched_set_throttle(struct sched *s, int (*throttle)(void *),
			void *data);
/* --memfree, --limit (lib/throttle): end the youngest running job (the
 * highest number) to run it again once the throttle lets a job start; it
 * does not count as a try of --retries, and a notice says so, naming why
 * ("--memfree"). Never the only job running, so that a run always moves
 * on. 1 if one was ended, 0 if none could be. */
int sched_evict(struct sched *s, const char *why);
/* Records may be waiting in the queue: start what can be started. */
void sched_kick(struct sched *s);
/* Start the scheduler in its loop; then sched_finished() tells when all is
 * done (every task released, every slot empty); it also calls
 * loop_stop(). */
void sched_start(struct sched *s);
int sched_finished(const struct sched *s);
/* Start, and run the loop until finished. 0 or -1/errno. */
int sched_run(struct sched *s);

/* SIGTERM: start no new task; let the running ones finish. */
void sched_close(struct sched *s);
/* Ctrl-C: start no new task and end every running task's tree now. */
void sched_terminate(struct sched *s);
/* --halt now decided elsewhere (another pipeline stage): as
 * sched_terminate, and the tasks so ended count neither as failed nor as
 * succeeded, as with the scheduler's own --halt now. */
void sched_halt_now(struct sched *s);
/* The number of tasks in all, once known (for --halt N%). */
void sched_set_total(struct sched *s, unsigned long long total);

/* Tasks started, succeeded, failed; running (jobs running, or inputs in
 * flight to workers). */
unsigned long long sched_started(const struct sched *s);
unsigned long long sched_succeeded(const struct sched *s);
unsigned long long sched_failed(const struct sched *s);
unsigned sched_running(const struct sched *s);
/* Callbacks that failed (exit status not 0, killed, or not started). */
unsigned long long sched_callbacks_failed(const struct sched *s);
/* Faults not tied to a task (a worker's stray output). */
unsigned long long sched_faults(const struct sched *s);
/* What counts in the exit status: failed tasks, faults, failed
 * callbacks. */
unsigned long long sched_failures(const struct sched *s);
/* --halt stopped the run. */
int sched_halted(const struct sched *s);
/* The exit status --halt gives its run (GNU parallel's): 0 once
 * success=N/N% stopped it, the exit value of the task that stopped it for
 * fail=1 and done=1, the percentage of tasks that failed for fail=N%
 * (stopped or not); -1: the usual status (the failures counted). */
int sched_halt_status(const struct sched *s);
/* Our stdout was closed by its reader (EPIPE): the run was ended. */
int sched_output_closed(const struct sched *s);
/* Did starting a process fail (EAGAIN) so long, with nothing running, that
 * the run gave up? */
int sched_spawn_gave_up(const struct sched *s);
/* How many trees of tasks it ended itself (--timeout, --halt now, ...). */
unsigned long long sched_trees_ended(const struct sched *s);

/* The task's number (1-based, in input order), its slot (1-based: the
 * job's, or its worker's), and how many times it ran (1 + retries). */
unsigned long long sched_task_seq(const struct sched_task *t);
unsigned sched_task_slot(const struct sched_task *t);
unsigned sched_task_tries(const struct sched_task *t);
/* When its last try started (wall clock, ms since the epoch) and how long
 * it ran. */
uint64_t sched_task_start_ms(const struct sched_task *t);
uint64_t sched_task_runtime_ms(const struct sched_task *t);
/* It was ended by the timeout. */
int sched_task_timed_out(const struct sched_task *t);
/* Once it ended for good: it failed; its exit status (a job's: 128 + the
 * signal if killed, as the shell says; an input's: 1 if it failed) and
 * the signal that killed it (a worker's, on an input), or 0; the bytes
 * written to it (an input's, framing included) and read from it (its
 * stdout). */
int sched_task_failed(const struct sched_task *t);
int sched_task_exitval(const struct sched_task *t);
int sched_task_signal(const struct sched_task *t);
uint64_t sched_task_sent(const struct sched_task *t);
uint64_t sched_task_received(const struct sched_task *t);

#endif
