/* run: one run of mprun: its scheduler in a loop, figures, signals,
 * progress timer and exit status. */
#include "run.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "executor.h"
#include "feed.h"
#include "input.h"
#include "internal.h"
#include "loop.h"
#include "pipefile.h"
#include "pipeline.h"
#include "pool.h"
#include "progress.h"
#include "queue.h"
#include "rrfeed.h"
#include "sched.h"
#include "mgr.h"
#include "shm.h"
#include "termtree.h"
#include "throttle.h"
#include "wpool.h"

/* After Ctrl-C, how long output may still wait for a blocked reader. */
#define INTERRUPT_WRITE_MS 250

/* How a scheduler ended. */
struct run_end {
	unsigned long long failures; /* jobs, callbacks, workers' faults */
	int output_closed;
	int spawn_gave_up;           /* fork failed for good: inputs unrun */
	int trees_ended;             /* some job's tree was ended by us */
	int halted;
	int halt_status;             /* --halt's own exit status, or -1 */
};

/* One kind of scheduler behind the run; each op gets the scheduler. */
struct run_ops {
	enum run_kind kind;
	/* Make the scheduler (and its queue, if it reads the run's input). */
	int (*make)(struct runner *r, const struct run_opts *o);
	void (*destroy)(void *s);
	/* Run the loop until it is done. 0 or -1/errno. */
	int (*go)(void *s);
	/* Records were put in the queue, or it was closed (NULL: none). */
	void (*kick)(void *s);
	void (*set_total)(void *s, unsigned long long total);
	void (*close)(void *s);
	void (*terminate)(void *s);
	/* Part i's done, failed, running (and total, if it knows it); the
	 * tasks it started. */
	void (*counts)(const void *s, size_t i, struct progress_counts *c,
		       unsigned long long *started);
	void (*end)(const void *s, struct run_end *e);
};

struct runner {
	const struct run_ops *ops;
	/* jobs, workers: where a notice goes (copied: the events given to
	 * run_new need not outlive it), or NULL */
	void (*notice)(void *data, const char *msg);
	void *notice_data;
	void *sched; /* struct sched (jobs, workers) or pipeline */
	struct loop *loop;
	struct input *in;
	struct queue *q; /* NULL for a pipeline */
	struct feed *feed;
	struct rrfeed *rr; /* --round-robin: instead of the feed */
	struct throttle *throttle; /* jobs: --load, --memfree, --limit */
	struct shm_seg *shm;
	struct mgr *mgr; /* the counter service, or NULL */
	struct loop_timer *timer;
	void (*draw)(void *data, struct runner *r, int last);
	uint64_t draw_ms;
	void *data;
	uint64_t start_ms;
	size_t parts;
	size_t per_job; /* records a job takes; 0: not known ahead (-X) */
	unsigned long long total;
	int total_known;
	uint64_t bytes_done; /* pipe mode: input of the jobs ended */
	/* per part: jobs Ctrl-C ended that finished (as failed or not) */
	struct run_cut {
		unsigned long long n, failed;
	} *cut;
	const struct run_display *display;
	struct capture_watch watch;
	int sweep_halted, sweep_always; /* end job trees after a halt, ever */
	int interrupted, quit, stops, error, error_after, go_failed;
	const struct executor **execs; /* those with helpers (attach) */
	size_t nexecs;
};

/* The pool wants more records than the queue holds. */
static void run_want(void *data)
{
	struct runner *r = data;

	if (r->rr != NULL)
		rrfeed_want(r->rr);
	else
		feed_want(r->feed);
}

/* Jobs (lib/pool): the queue sized for -n / -X, the pool reading it. */
static int jobs_make(struct runner *r, const struct run_opts *o)
{
	const struct pool_opts *po = o->pool;

	r->q = queue_new(queue_size_for(o->blocks ? QUEUE_BLOCKS : QUEUE_JOBS,
					po->sched.slots, po->max_args, po->fill));
	r->sched = r->q != NULL ? pool_new(r->loop, po, o->sched_ev) : NULL;
	if (r->sched == NULL)
		return -1;
	sched_set_source(r->sched, r->q, run_want, r);
	if (o->throttle != NULL &&
	    (r->throttle = throttle_new(r->loop, r->sched, o->throttle)) == NULL)
		return -1;
	r->per_job = po->fill ? 0 : po->max_args > 0 ? po->max_args : 1;
	if (o->round_robin)
		r->per_job = 0; /* jobs are not blocks: no total ahead */
	r->sweep_halted = po->sched.halt.when == HALT_NOW;
	return 0;
}

/* Workers (lib/wpool): a queue of a few records per worker. */
static int workers_make(struct runner *r, const struct run_opts *o)
{
	r->q = queue_new(
		queue_size_for(QUEUE_WORKERS, o->wpool->sched.slots, 0, 0));
	r->sched = r->q != NULL ? wpool_new(r->loop, o->wpool, o->sched_ev)
				: NULL;
	if (r->sched == NULL)
		return -1;
	sched_set_source(r->sched, r->q, run_want, r);
	r->per_job = 1;
	r->sweep_always = 1; /* nothing of a worker's tree outlives the run */
	return 0;
}

/* Jobs and workers: the scheduler's own operations, as the table calls
 * them. */
static void tasks_destroy(void *s) { sched_free(s); }
static int tasks_go(void *s) { return sched_run(s); }
static void tasks_kick(void *s) { sched_kick(s); }
static void tasks_set_total(void *s, unsigned long long n)
{
	sched_set_total(s, n);
}
static void tasks_close(void *s) { sched_close(s); }
static void tasks_terminate(void *s) { sched_terminate(s); }

/* Jobs and workers: the figures (inputs, for workers). */
static void tasks_counts(const void *s, size_t i, struct progress_counts *c,
			 unsigned long long *started)
{
	c->failed = sched_failed(s);
	c->done = sched_succeeded(s) + c->failed;
	c->running = sched_running(s);
	*started = sched_started(s);
}

/* Jobs and workers: failures count failed callbacks and faults too. */
static void tasks_end(const void *s, struct run_end *e)
{
	e->failures = sched_failures(s);
	e->output_closed = sched_output_closed(s);
	e->spawn_gave_up = sched_spawn_gave_up(s);
	e->trees_ended = sched_trees_ended(s) > 0;
	e->halted = sched_halted(s);
	e->halt_status = sched_halt_status(s);
}

static const struct run_ops jobs_ops = {
	.kind = RUN_JOBS, .make = jobs_make, .destroy = tasks_destroy,
	.go = tasks_go, .kick = tasks_kick, .set_total = tasks_set_total,
	.close = tasks_close, .terminate = tasks_terminate,
	.counts = tasks_counts, .end = tasks_end,
};

static const struct run_ops workers_ops = {
	.kind = RUN_WORKERS, .make = workers_make, .destroy = tasks_destroy,
	.go = tasks_go, .kick = tasks_kick, .set_total = tasks_set_total,
	.close = tasks_close, .terminate = tasks_terminate,
	.counts = tasks_counts, .end = tasks_end,
};

/* A pipeline (lib/pipeline): its stages read their own inputs. */
static int stages_make(struct runner *r, const struct run_opts *o)
{
	r->sched = pipeline_new(r->loop, o->pipefile, o->pipeline,
				o->pipeline_ev);
	if (r->sched == NULL)
		return -1;
	r->parts = pipeline_nstages(r->sched);
	r->sweep_halted = 1;
	return 0;
}

/* A pipeline: its own operations. */
static void stages_destroy(void *s) { pipeline_free(s); }
static int stages_go(void *s) { return pipeline_run(s); }
static void stages_close(void *s) { pipeline_close(s); }
static void stages_terminate(void *s) { pipeline_terminate(s); }

/* A pipeline: the figures of stage i. */
static void stages_counts(const void *s, size_t i, struct progress_counts *c,
			  unsigned long long *started)
{
	pipeline_stage_counts(s, i, &c->done, &c->failed, &c->running);
	c->total_known = pipeline_stage_total(s, i, &c->total);
	*started = pipeline_stage_started(s, i);
}

/* A pipeline: failures of every stage. */
static void stages_end(const void *s, struct run_end *e)
{
	e->failures = pipeline_failed(s);
	e->output_closed = pipeline_output_closed(s);
	e->halted = pipeline_halted(s);
	e->halt_status = pipeline_halt_status(s);
	e->trees_ended = pipeline_trees_ended(s) > 0;
}

static const struct run_ops stages_ops = {
	.kind = RUN_PIPELINE, .make = stages_make, .destroy = stages_destroy,
	.go = stages_go, .close = stages_close, .terminate = stages_terminate,
	.counts = stages_counts, .end = stages_end,
};

/* Once the input is all read: the total, for the scheduler (--halt N%),
 * the figures and mprun --status. */
static void run_total(struct runner *r)
{
	if (r->total_known || r->per_job == 0 || !queue_closed(r->q) ||
	    run_input_error(r) != NULL)
		return;
	r->total_known = 1;
	r->total = (input_count(r->in) + r->per_job - 1) / r->per_job;
	r->ops->set_total(r->sched, r->total);
	if (r->shm != NULL)
		shm_stat_set(r->shm, SHM_TOTAL, (long long)r->total);
}

/* The feed put records in the queue (or closed it): let the pool take
 * them. */
static void run_records(void *data)
{
	struct runner *r = data;

	run_total(r);
	r->ops->kick(r->sched);
}

/* Send sig to every descendant (job trees, workers, callbacks, helpers: we
 * are their subreaper). SIGTSTP cannot stop one in another session (its
 * group is orphaned: the kernel drops the signal): it gets SIGSTOP. */
static void run_signal_all(int sig)
{
	pid_t *pids = NULL, sid = getsid(0);
	size_t n = 0, i;

	if (termtree_descendants(&pids, &n) == -1)
		return;
	for (i = 0; i < n; i++)
		kill(pids[i], sig == SIGTSTP && getsid(pids[i]) != sid
				      ? SIGSTOP : sig);
	free(pids);
}

/* SIGINT: end every job's tree now. A second one: the user will not wait
 * for the termination sequence; kill every descendant at once (the loop
 * reaps them and ends). */
static void run_sigint(struct loop *l, const struct signalfd_siginfo *si,
		       void *data)
{
	struct runner *r = data;

	if (r->interrupted) {
		run_signal_all(SIGKILL);
		return;
	}
	r->interrupted = 1;
	capture_write_deadline(INTERRUPT_WRITE_MS);
	r->ops->terminate(r->sched);
}

/* SIGQUIT (Ctrl-\): as two SIGINTs, every tree killed at once; the exit
 * status says SIGQUIT. */
static void run_sigquit(struct loop *l, const struct signalfd_siginfo *si,
			void *data)
{
	struct runner *r = data;

	r->quit = 1;
	if (!r->interrupted)
		run_sigint(l, si, data);
	run_signal_all(SIGKILL);
}

/* SIGTSTP (Ctrl-Z): stop the jobs, then ourselves, as a shell stops a
 * pipeline; continued (fg, bg, SIGCONT), continue them. The time stopped
 * does not count against --timeout or --delay: the timers move on by it. */
static void run_sigtstp(struct loop *l, const struct signalfd_siginfo *si,
			void *data)
{
	struct runner *r = data;
	uint64_t t0;

	if (r->display != NULL)
		r->display->before_output(r->display->data);
	run_signal_all(SIGTSTP);
	t0 = loop_now_ms();
	kill(getpid(), SIGSTOP);
	loop_timers_delay(l, loop_now_ms() - t0);
	run_signal_all(SIGCONT);
	if (r->display != NULL && r->display->resized != NULL)
		r->display->resized(r->display->data);
}

/* The jobs running now, in every part. */
static unsigned long long run_running(const struct runner *r)
{
	struct progress_counts c;
	unsigned long long started, n = 0;
	size_t i;

	for (i = 0; i < r->parts; i++) {
		memset(&c, 0, sizeof(c));
		r->ops->counts(r->sched, i, &c, &started);
		n += c.running;
	}
	return n;
}

/* SIGTERM / SIGHUP: start no new job, let the running ones finish; a
 * second one ends them like SIGINT. */
static void run_sigterm(struct loop *l, const struct signalfd_siginfo *si,
			void *data)
{
	struct runner *r = data;

	if (r->stops++ > 0) {
		run_sigint(l, si, data);
		return;
	}
	if (r->notice != NULL) /* (as GNU parallel says it) */
		report_msg(r->notice, r->notice_data,
			   "%s received: no new jobs start; waiting for the "
			   "%llu running to finish (send it again to end them "
			   "now)",
			   si->ssi_signo == SIGHUP ? "SIGHUP" : "SIGTERM",
			   run_running(r));
	r->ops->close(r->sched);
}

/* SIGWINCH: the terminal's size changed. */
static void run_winch(struct loop *l, const struct signalfd_siginfo *si,
		      void *data)
{
	struct runner *r = data;

	r->display->resized(r->display->data);
}

/* The display's watch of job output: the options' stdout and stderr, those
 * that are terminals. */
static void run_watch_output(struct runner *r, const struct run_opts *o)
{
	const struct sched_opts *so = o->pool != NULL	 ? &o->pool->sched
				      : o->wpool != NULL ? &o->wpool->sched
							 : &o->pipeline->pool.sched;
	const struct run_display *d = r->display;

	r->watch = (struct capture_watch){
		.fd = {isatty(so->out_fd) ? so->out_fd : -1,
		       isatty(so->err_fd) ? so->err_fd : -1},
		.before = d->before_output,
		.after = d->after_output,
		.data = d->data};
	capture_set_watch(&r->watch);
}

/* The progress timer: draw, then again in draw_ms. */
static void run_tick(struct loop *l, void *data)
{
	struct runner *r = data;

	r->draw(r->data, r, 0);
	r->timer = loop_timer_add(l, r->draw_ms, run_tick, r);
}

/* Note e (if it runs helpers, once) for run_attach. 0 or -1/errno. */
static int run_note_executor(struct runner *r, const struct executor *e)
{
	const struct executor **v;
	size_t i;

	if (e == NULL || e->attach == NULL)
		return 0;
	for (i = 0; i < r->nexecs; i++)
		if (r->execs[i] == e)
			return 0;
	v = realloc(r->execs, (r->nexecs + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	r->execs = v;
	v[r->nexecs++] = e;
	return 0;
}

/* The executors of the options, which run their helpers in our loop. */
static int run_note_executors(struct runner *r, const struct run_opts *o)
{
	size_t i;
	int rc = 0;

	if (o->pool != NULL)
		rc = run_note_executor(r, o->pool->sched.exec);
	if (o->wpool != NULL)
		rc = run_note_executor(r, o->wpool->sched.exec);
	if (o->pipeline != NULL) {
		rc = run_note_executor(r, o->pipeline->pool.sched.exec);
		for (i = 0; rc == 0 && o->pipeline->stage_exec != NULL &&
			    i < o->pipefile->nstages;
		     i++)
			rc = run_note_executor(r, o->pipeline->stage_exec[i]);
	}
	return rc;
}

/* Give the executors our loop (NULL: it ends). 0 or -1/errno. */
static int run_attach(struct runner *r, struct loop *l)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < r->nexecs; i++)
		if (r->execs[i]->attach(r->execs[i]->ctx, l) == -1)
			rc = -1;
	return rc;
}

struct runner *run_new(const struct run_opts *o)
{
	struct runner *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->ops = o->pool != NULL    ? &jobs_ops
		 : o->wpool != NULL ? &workers_ops
				    : &stages_ops;
	r->in = o->in;
	if ((o->pool != NULL || o->wpool != NULL) && o->sched_ev != NULL) {
		r->notice = o->sched_ev->notice;
		r->notice_data = o->sched_ev->data;
	} else if (o->pipeline_ev != NULL) {
		r->notice = o->pipeline_ev->notice;
		r->notice_data = o->pipeline_ev->data;
	}
	r->shm = o->shm;
	r->mgr = o->shm != NULL ? o->mgr : NULL;
	r->draw = o->draw;
	r->draw_ms = o->draw_ms;
	r->data = o->data;
	r->display = o->display;
	r->parts = 1;
	r->loop = loop_new();
	if (r->loop == NULL || run_note_executors(r, o) == -1 ||
	    run_attach(r, r->loop) == -1 || r->ops->make(r, o) == -1)
		goto fail;
	r->cut = calloc(r->parts, sizeof(*r->cut));
	if (r->cut == NULL)
		goto fail;
	if (r->q != NULL && o->round_robin)
		r->rr = rrfeed_new(r->loop, r->in, r->q, o->pool->sched.slots,
				   run_records, r);
	else if (r->q != NULL)
		r->feed = feed_new(r->loop, r->in, r->q, run_records, r);
	if (r->draw != NULL)
		r->timer = loop_timer_add(r->loop, r->draw_ms, run_tick, r);
	if ((r->q != NULL && r->feed == NULL && r->rr == NULL) ||
	    (r->draw != NULL && r->timer == NULL) ||
	    (r->mgr != NULL && mgr_start(r->mgr, r->loop, r->shm) == -1) ||
	    loop_signal_add(r->loop, SIGINT, run_sigint, r) == -1 ||
	    loop_signal_add(r->loop, SIGTERM, run_sigterm, r) == -1 ||
	    loop_signal_add(r->loop, SIGHUP, run_sigterm, r) == -1 ||
	    loop_signal_add(r->loop, SIGQUIT, run_sigquit, r) == -1 ||
	    loop_signal_add(r->loop, SIGTSTP, run_sigtstp, r) == -1 ||
	    (r->display != NULL && r->display->resized != NULL &&
	     loop_signal_add(r->loop, SIGWINCH, run_winch, r) == -1))
		goto fail;
	if (r->display != NULL)
		run_watch_output(r, o);
	return r;
fail:
	run_free(r);
	return NULL;
}

void run_free(struct runner *r)
{
	int saved = errno;

	if (r == NULL)
		return;
	if (r->timer != NULL)
		loop_timer_cancel(r->loop, r->timer);
	if (r->display != NULL)
		capture_set_watch(NULL);
	mgr_stop(r->mgr);
	feed_free(r->feed);
	rrfeed_free(r->rr);
	throttle_free(r->throttle);
	if (r->sched != NULL)
		r->ops->destroy(r->sched);
	queue_free(r->q, (void (*)(void *))record_free);
	run_attach(r, NULL);
	free(r->execs);
	free(r->cut);
	loop_free(r->loop);
	free(r);
	errno = saved;
}

enum run_kind run_kind(const struct runner *r)
{
	return r->ops->kind;
}

/* End and reap every remaining descendant: kill what is left, reap it (we
 * are its subreaper), and look again, as a dying parent hands its children
 * to us. At most about a second. */
static void run_sweep(void)
{
	pid_t *pids = NULL;
	size_t n = 1, i;
	int round;

	for (round = 0; round < 100 && n > 0; round++) {
		if (termtree_descendants(&pids, &n) == -1)
			return;
		for (i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		free(pids);
		pids = NULL;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (n > 0)
			usleep(10000);
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int run_go(struct runner *r)
{
	struct run_end e = {0};
	int saved;

	r->start_ms = loop_now_ms();
	r->go_failed = r->ops->go(r->sched) == -1;
	saved = errno;
	r->ops->end(r->sched, &e);
	/* (a tree we ended, by --timeout say, may have left a process that
	 * escaped it: no orphan of it outlives the run) */
	if (r->sweep_always || r->interrupted || e.output_closed ||
	    e.trees_ended || (e.halted && r->sweep_halted))
		run_sweep();
	errno = saved;
	return r->go_failed ? -1 : 0;
}

int run_status(const struct runner *r)
{
	struct run_end e = {0};

	if (r->go_failed || run_input_error(r) != NULL)
		return RUN_EXIT_ERROR;
	if (r->interrupted)
		return r->quit ? RUN_EXIT_QUIT : RUN_EXIT_INTERRUPTED;
	r->ops->end(r->sched, &e);
	if (e.output_closed || e.spawn_gave_up || r->error)
		return RUN_EXIT_ERROR;
	if (e.halt_status >= 0)
		return e.halt_status;
	if (e.failures > 100)
		return RUN_EXIT_MANY_FAILED;
	if (e.failures > 0)
		return (int)e.failures;
	return r->error_after ? RUN_EXIT_ERROR : 0;
}

void run_fail(struct runner *r)
{
	r->error = 1;
}

void run_fail_after(struct runner *r)
{
	r->error_after = 1;
}

/* Add delta to a figure in the shared memory, and to the stage's
 * ("stage:NAME:what") if there is a stage. */
static void run_figure(struct runner *r, const char *stage,
		       enum shm_stat stat, const char *what, long long delta)
{
	char name[SHM_COUNTER_NAME_MAX + 1];
	int n;

	shm_stat_add(r->shm, stat, delta);
	if (stage == NULL)
		return;
	n = snprintf(name, sizeof(name), RUN_STAGE_PREFIX "%s:%s", stage, what);
	if (n > 0 && (size_t)n < sizeof(name) && shm_counter_name_valid(name))
		shm_counter_add(r->shm, name, delta, NULL);
}

void run_job_started(struct runner *r, const char *stage)
{
	if (r->shm == NULL)
		return;
	run_figure(r, stage, SHM_STARTED, "started", 1);
	run_figure(r, stage, SHM_RUNNING, "running", 1);
}

/* The part of stage (0 when there are no stages). */
static size_t run_part_of(const struct runner *r, const char *stage)
{
	size_t i;

	for (i = 0; stage != NULL && i < r->parts; i++)
		if (run_part_name(r, i) != NULL &&
		    strcmp(run_part_name(r, i), stage) == 0)
			return i;
	return 0;
}

void run_job_finished(struct runner *r, const char *stage, int failed,
		      int ended, uint64_t bytes)
{
	struct run_cut *cut = &r->cut[run_part_of(r, stage)];

	r->bytes_done += bytes;
	if (ended) {
		cut->n++;
		cut->failed += failed != 0;
	}
	if (r->shm == NULL)
		return;
	run_figure(r, stage, SHM_RUNNING, "running", -1);
	run_figure(r, stage, SHM_DONE, "done", 1);
	if (failed && !ended)
		run_figure(r, stage, SHM_FAILED, "failed", 1);
}

void run_task_done(struct runner *r, const char *stage, int failed)
{
	if (r->shm == NULL)
		return;
	run_figure(r, stage, SHM_STARTED, "started", 1);
	run_figure(r, stage, SHM_DONE, "done", 1);
	if (failed)
		run_figure(r, stage, SHM_FAILED, "failed", 1);
}

int run_interrupted(const struct runner *r)
{
	return r->interrupted;
}

int run_halted(const struct runner *r)
{
	struct run_end e = {0};

	r->ops->end(r->sched, &e);
	return e.halted;
}

unsigned long long run_failures(const struct runner *r)
{
	struct run_end e = {0};

	r->ops->end(r->sched, &e);
	return e.failures;
}

const char *run_input_error(const struct runner *r)
{
	if (r->rr != NULL)
		return rrfeed_error(r->rr);
	return r->feed != NULL ? feed_error(r->feed) : NULL;
}

size_t run_parts(const struct runner *r)
{
	return r->parts;
}

const char *run_part_name(const struct runner *r, size_t i)
{
	return r->ops->kind == RUN_PIPELINE ? pipeline_stage_name(r->sched, i)
					    : NULL;
}

/* Pipe mode: the bytes of input done (with --round-robin, written to the
 * jobs), and in all once known. */
static void run_bytes(const struct runner *r, struct progress_counts *c)
{
	uint64_t read, total;

	c->bytes = r->in != NULL && input_block_bytes(r->in, &read, &total);
	if (!c->bytes)
		return;
	c->bytes_done = r->rr != NULL ? rrfeed_bytes(r->rr) : r->bytes_done;
	c->bytes_total_known = total != UINT64_MAX;
	c->bytes_total = total;
}

/* After Ctrl-C: the tasks it ended apart: those that finished (a job
 * killed counts as failed) and those that never will (an input to a
 * worker: neither succeeded nor failed). */
static void run_ended(const struct runner *r, size_t i,
		      struct progress_counts *c, unsigned long long started)
{
	const struct run_cut *cut = &r->cut[i];
	unsigned long long seen = c->done + c->running;

	c->interrupted = 1;
	c->ended = (started > seen ? started - seen : 0) + cut->n;
	c->done -= cut->n < c->done ? cut->n : c->done;
	c->failed -= cut->failed < c->failed ? cut->failed : c->failed;
}

void run_counts(struct runner *r, size_t i, struct progress_counts *c)
{
	unsigned long long started = 0;

	*c = (struct progress_counts){0};
	r->ops->counts(r->sched, i, c, &started);
	c->elapsed_ms = loop_now_ms() - r->start_ms;
	if (r->q != NULL) {
		run_total(r);
		c->total_known = r->total_known;
		c->total = r->total;
		run_bytes(r, c);
	}
	if (r->interrupted)
		run_ended(r, i, c, started);
}

const char *run_worker_command(const struct runner *r)
{
	return r->ops->kind == RUN_WORKERS ? wpool_shell_command(r->sched)
					   : NULL;
}
