/* run: one run of mprun, from its inputs to its exit status.
 *
 * A run of jobs (lib/pool) or of workers (lib/wpool) reads its input
 * through a feed into a bounded queue its scheduler takes records from; a
 * pipeline (lib/pipeline) has its stages' inputs of its own. The run makes
 * the loop they all share and keeps the figures: jobs (or inputs) done,
 * failed and running, the total once the input is all read, and the same
 * in the shared memory of mprun --status (counted here, set by the events
 * through run_job_started() and run_job_finished()). It handles the
 * signals: SIGINT ends every job's tree now; SIGTERM or SIGHUP starts no
 * new job and lets the running ones finish, and a second one is SIGINT. It
 * calls the caller's draw function on a timer, tells the caller's display
 * when job output goes to a terminal and when the terminal was resized
 * (SIGWINCH), ends what is left of the
 * job trees when the run was cut short, and decides mprun's exit status
 * (man/mprun.1, EXIT STATUS).
 *
 * Ownership: the run owns what it makes (loop, queue, feed, scheduler);
 * the input, shared memory and what the options point to (templates,
 * executors) stay the caller's and must outlive it. The library never
 * prints: messages go through the scheduler's events and draw. */
#ifndef MPRUN_RUN_H
#define MPRUN_RUN_H
#include <stddef.h>
#include <stdint.h>

struct input;
struct mgr;
struct pipefile;
struct pipeline_events;
struct pipeline_opts;
struct pool_opts;
struct progress_counts;
struct shm_seg;
struct throttle_opts;
struct wpool_opts;

#define RUN_EXIT_ERROR 255       /* a usage or another error */
#define RUN_EXIT_MANY_FAILED 101 /* more than 100 failures */
#define RUN_EXIT_INTERRUPTED 130 /* SIGINT, or a second SIGTERM / SIGHUP */
#define RUN_EXIT_QUIT 131        /* SIGQUIT */

/* A pipeline's per-stage figures in the shared memory are counters named
 * "stage:NAME:started" (running, done, failed). */
#define RUN_STAGE_PREFIX "stage:"

enum run_kind { RUN_JOBS, RUN_WORKERS, RUN_PIPELINE };

/* A status display on a terminal (cmd/status), told what it needs to
 * keep its lines below the jobs' output: before_output(data) before job
 * output is written to a terminal (stdout or stderr of the options, when
 * they are one), after_output(data, p, n) once the n bytes at p went out,
 * and resized(data) when the terminal's size changed (SIGWINCH, from the
 * loop). Output that the jobs write themselves (-u) is not seen. */
struct run_display {
	void (*before_output)(void *data);
	void (*after_output)(void *data, const void *p, size_t n);
	void (*resized)(void *data);
	void *data;
};

struct runner;

/* Exactly one of pool, wpool or pipefile, with its events. */
struct run_opts {
	const struct pool_opts *pool;       /* RUN_JOBS */
	const struct wpool_opts *wpool;     /* RUN_WORKERS */
	const struct sched_events *sched_ev; /* RUN_JOBS, RUN_WORKERS */
	const struct pipefile *pipefile;    /* RUN_PIPELINE */
	const struct pipeline_opts *pipeline;
	const struct pipeline_events *pipeline_ev;
	struct input *in;                   /* jobs, workers: the inputs */
	int blocks;                         /* jobs: in gives blocks (--pipe) */
	int round_robin;                    /* jobs: blocks go to the stdin
					     * pipes of slots jobs started once
					     * (lib/rrfeed) */
	const struct throttle_opts *throttle; /* jobs: --load, --memfree,
					     * --limit (lib/throttle), or NULL */
	struct shm_seg *shm;                /* figures for --status, or NULL */
	struct mgr *mgr;                    /* the counter service of jobs
					     * elsewhere (served in the run's
					     * loop, from shm), or NULL */
	/* Called every draw_ms while the run goes (draw NULL: never). */
	void (*draw)(void *data, struct runner *r, int last);
	uint64_t draw_ms;
	void *data;
	const struct run_display *display; /* or NULL; the caller's */
};

/* NULL/errno (a scheduler's message through its error event). */
struct runner *run_new(const struct run_opts *o);
void run_free(struct runner *r);
enum run_kind run_kind(const struct runner *r);

/* Run until every job is done; then, if the run was cut short (SIGINT,
 * stdout closed, --halt now; workers: always), end and reap what is left
 * of the job trees. 0 or -1/errno (then the exit status is 255). */
int run_go(struct runner *r);

/* mprun's exit status for the run so far. */
int run_status(const struct runner *r);
/* An error outside the jobs (a job log line not written, a scheduler's
 * error event): the exit status is 255 unless interrupted. */
void run_fail(struct runner *r);
/* An error after the run (--counters-json): 255 if all went well. */
void run_fail_after(struct runner *r);

/* For the figures: a job of stage (NULL: no stage) started; it ended for
 * good, with bytes of input (pipe mode: its block's), ended set if Ctrl-C
 * cut it short (then it is "ended", neither done nor failed); an input of
 * workers ended for good (it starts and ends at once). */
void run_job_started(struct runner *r, const char *stage);
void run_job_finished(struct runner *r, const char *stage, int failed,
		      int ended, uint64_t bytes);
void run_task_done(struct runner *r, const char *stage, int failed);

/* SIGINT (or a second SIGTERM) arrived. */
int run_interrupted(const struct runner *r);
/* --halt stopped the run. */
int run_halted(const struct runner *r);
/* Failed jobs, failed callbacks and workers' faults (the exit status). */
unsigned long long run_failures(const struct runner *r);
/* Why reading the input failed, or NULL. */
const char *run_input_error(const struct runner *r);
/* Figures: one part per pipeline stage (named), else one (NULL name).
 * Once interrupted, a part's counts say so and count the jobs (or inputs)
 * Ctrl-C ended apart from the done and failed ones. */
size_t run_parts(const struct runner *r);
const char *run_part_name(const struct runner *r, size_t i);
void run_counts(struct runner *r, size_t i, struct progress_counts *c);
/* RUN_WORKERS: the shell command each worker runs; else NULL. */
const char *run_worker_command(const struct runner *r);

#endif
