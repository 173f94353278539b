/* workers: mprun --workers CMD: the run's inputs through a pool of
 * long-lived workers (lib/wpool), with the job log, progress, --halt and
 * the exit status of a plain run. */
#include "workers.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "common.h"
#include "feed.h"
#include "input.h"
#include "joblog.h"
#include "loop.h"
#include "queue.h"
#include "shm.h"
#include "wpool.h"

/* Everything one --workers run holds. */
struct wrun {
	struct cli *cli;
	struct loop *loop;
	struct input *in;
	struct queue *q;
	struct feed *feed;
	struct wpool *pool;
	struct common cm;
	struct shm_seg *shm;
	struct joblog *joblog;
	struct buf logcmd; /* the joblog's Command column */
	struct loop_timer *progress_timer;
	uint64_t start_ms;
	int progress_tty;
	size_t progress_lines;
	int total_known;
	int interrupted;
	int stops; /* SIGTERM/SIGHUP received */
	int error;
};

/* wpool event: a worker started (-v says so). */
static void on_spawned(void *data, unsigned slot, pid_t pid)
{
	struct wrun *r = data;

	if (r->cli->verbose)
		fprintf(stderr, "mprun: worker %u (pid %ld): %s\n", slot,
			(long)pid, wpool_shell_command(r->pool));
}

/* wpool event: an input ended for good: count, log, maybe halt. */
static void on_finished(void *data, const struct wpool_task *t)
{
	struct wrun *r = data;

	if (r->shm != NULL) {
		run_shm_started(r->shm);
		run_shm_finished(r->shm, wpool_task_failed(t));
	}
	if (report_task(r->joblog, NULL, r->cli->workers, t, &r->logcmd) ==
		    -1 &&
	    !r->error) {
		fprintf(stderr, "mprun: %s: %s\n", r->cli->joblog,
			strerror(errno));
		r->error = 1;
	}
}

/* wpool event: a worker fault or a failed callback. */
static void on_notice(void *data, const char *msg)
{
	warn_msg(msg);
}

/* wpool event: the run cannot go on. */
static void on_error(void *data, const char *msg)
{
	struct wrun *r = data;

	r->error = 1;
	warn_msg(msg);
}

/* How many inputs the run has, once the input is all read. */
static void progress_total(struct wrun *r, struct progress_counts *c)
{
	if (!r->total_known && queue_closed(r->q) &&
	    feed_error(r->feed) == NULL) {
		r->total_known = 1;
		wpool_set_total(r->pool, input_count(r->in));
		if (r->shm != NULL)
			shm_stat_set(r->shm, SHM_TOTAL,
				     (long long)input_count(r->in));
	}
	c->total_known = r->total_known;
	c->total = r->total_known ? input_count(r->in) : 0;
}

/* The feed put records in the queue: let the pool take them. */
static void on_records(void *data)
{
	struct wrun *r = data;
	struct progress_counts pc;

	progress_total(r, &pc);
	wpool_kick(r->pool);
}

/* The pool wants more records than the queue holds. */
static void on_want(void *data)
{
	struct wrun *r = data;

	feed_want(r->feed);
}

/* SIGINT: end every worker's tree now. */
static void on_sigint(struct loop *l, const struct signalfd_siginfo *si,
		      void *data)
{
	struct wrun *r = data;

	r->interrupted = 1;
	wpool_terminate(r->pool);
}

/* SIGTERM / SIGHUP: send no new input, finish the pending ones; a second
 * one ends them like SIGINT. */
static void on_sigterm(struct loop *l, const struct signalfd_siginfo *si,
		       void *data)
{
	struct wrun *r = data;

	if (r->stops++ > 0) {
		on_sigint(l, si, data);
		return;
	}
	wpool_close(r->pool);
}

/* Draw the status line. */
static void progress_draw(struct wrun *r, int last)
{
	struct progress_counts c = {0};
	char counters[512] = "";

	c.failed = wpool_failed(r->pool);
	c.done = wpool_succeeded(r->pool) + c.failed;
	c.running = wpool_busy(r->pool);
	c.elapsed_ms = loop_now_ms() - r->start_ms;
	progress_total(r, &c);
	if (r->shm != NULL)
		run_shm_counters(r->shm, counters, sizeof(counters));
	progress_show(r->cli->progress, r->progress_tty, 1, NULL, &c, counters,
		      last, &r->progress_lines);
}

/* The progress timer: redraw, 10 times a second on a terminal, else once
 * a second. */
static void progress_tick(struct loop *l, void *data)
{
	struct wrun *r = data;

	progress_draw(r, 0);
	r->progress_timer = loop_timer_add(l, r->progress_tty ? 100 : 1000,
					   progress_tick, r);
}

/* Start showing progress if asked. 0 or -1. */
static int progress_start(struct wrun *r)
{
	if (r->cli->progress == 0)
		return 0;
	r->progress_tty = isatty(STDERR_FILENO);
	r->progress_timer = loop_timer_add(r->loop, r->progress_tty ? 100 : 1000,
					   progress_tick, r);
	return r->progress_timer == NULL ? -1 : 0;
}

/* Options of a plain run that mean nothing with --workers. -1 (message
 * printed) if one was given. */
static int check_options(const struct cli *cli)
{
	const char *bad = cli->max_args > 0  ? "-n"
			  : cli->fill        ? "-X"
			  : cli->results     ? "--results"
			  : cli->resume      ? "--resume"
			  : cli->delay_ms    ? "--delay"
			  : cli->timeout_pct ? "--timeout N%"
					     : NULL;

	if (cli->workers[0] == '\0') {
		warn_msg("--workers: the command is empty");
		return -1;
	}
	if (bad == NULL)
		return 0;
	fprintf(stderr, "mprun: %s does not apply to --workers\n", bad);
	return -1;
}

/* Build the input from the sources on the command line. */
static int make_input(struct wrun *r)
{
	r->in = cli_input(r->cli);
	return r->in == NULL ? -1 : 0;
}

/* --joblog: append a line per input. */
static int open_joblog(struct wrun *r)
{
	if (r->cli->joblog == NULL || r->cli->dry_run)
		return 0;
	r->joblog = joblog_open(r->cli->joblog, 0);
	if (r->joblog == NULL) {
		fprintf(stderr, "mprun: %s: %s\n", r->cli->joblog,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* The pool's options from the command line; -1 on a bad value. */
static int make_opts(struct wrun *r, struct wpool_opts *wo)
{
	static const enum wpool_framing framings[] = {
		[FRAMING_LINE] = WPOOL_LINE,
		[FRAMING_NUL] = WPOOL_NUL,
		[FRAMING_LEN] = WPOOL_LEN,
	};
	struct pool_opts po = {0};

	wo->slots = opts_slots(r->cli->jobs);
	if (wo->slots == 0 || common_pool_opts(r->cli, &r->cm, &po) == -1)
		return -1;
	wo->command = r->cli->workers;
	wo->init = r->cli->worker_init;
	wo->framing = framings[r->cli->framing];
	wo->order = r->cli->order;
	wo->max_tasks = r->cli->max_tasks;
	wo->inflight = r->cli->max_inflight;
	wo->timeout_ms = r->cli->timeout_ms;
	wo->retries = r->cli->retries;
	wo->halt = r->cli->halt;
	wo->termseq = po.termseq;
	wo->tag = r->cli->tag;
	wo->tagstring = r->cm.tagstring;
	wo->on_success = r->cm.on_success;
	wo->on_error = r->cm.on_error;
	wo->exec = po.exec;
	wo->out_fd = STDOUT_FILENO;
	wo->err_fd = STDERR_FILENO;
	wo->tmpdir = r->cli->tmpdir;
	return 0;
}

/* The queue's size: a few records per worker, small for laziness. */
static size_t queue_size(unsigned slots)
{
	return slots * 4 < 256 ? 256 : (size_t)slots * 4;
}

/* Wire the loop, input, queue, feed and worker pool. */
static int setup(struct wrun *r)
{
	struct wpool_opts wo = {0};
	struct wpool_events ev = {on_spawned, on_finished, on_notice,
				  on_error, r};

	if (check_options(r->cli) == -1 || make_opts(r, &wo) == -1 ||
	    make_input(r) == -1 || open_joblog(r) == -1)
		return -1;
	if (!r->cli->dry_run) {
		r->shm = run_shm_start(r->cli, "workers");
		if (r->shm == NULL)
			return -1;
	}
	r->loop = loop_new();
	r->q = queue_new(queue_size(wo.slots));
	if (r->loop == NULL || r->q == NULL)
		return -1;
	r->pool = wpool_new(r->loop, &wo, &ev);
	r->feed = feed_new(r->loop, r->in, r->q, on_records, r);
	if (r->pool == NULL || r->feed == NULL)
		return -1;
	wpool_set_source(r->pool, r->q, on_want, r);
	if (progress_start(r) == -1 ||
	    loop_signal_add(r->loop, SIGINT, on_sigint, r) == -1 ||
	    loop_signal_add(r->loop, SIGTERM, on_sigterm, r) == -1 ||
	    loop_signal_add(r->loop, SIGHUP, on_sigterm, r) == -1)
		return -1;
	return 0;
}

/* Free whatever setup() made. */
static void teardown(struct wrun *r)
{
	feed_free(r->feed);
	wpool_free(r->pool);
	queue_free(r->q, (void (*)(void *))record_free);
	input_free(r->in);
	common_free(&r->cm);
	joblog_close(r->joblog);
	run_shm_end(r->shm, r->cli);
	if (r->progress_timer != NULL)
		loop_timer_cancel(r->loop, r->progress_timer);
	loop_free(r->loop);
	buf_free(&r->logcmd);
}

/* The exit status of a finished run. */
static int run_status(struct wrun *r)
{
	const char *ferr = feed_error(r->feed);

	if (ferr != NULL) {
		warn_msg(ferr);
		return EXIT_USAGE;
	}
	if (r->interrupted)
		return EXIT_INTERRUPTED;
	if (wpool_output_closed(r->pool) || r->error)
		return EXIT_USAGE;
	return failures_status(wpool_failed(r->pool) + wpool_faults(r->pool) +
			       wpool_callbacks_failed(r->pool));
}

/* Run the pool and say how it ended; the exit status. */
static int run_pool(struct wrun *r)
{
	int rc;

	r->start_ms = loop_now_ms();
	if (wpool_run(r->pool) == -1) {
		fprintf(stderr, "mprun: event loop: %s\n", strerror(errno));
		return EXIT_USAGE;
	}
	rc = run_status(r);
	if (r->cli->progress)
		progress_draw(r, 1);
	if (wpool_halted(r->pool))
		fprintf(stderr, "mprun: --halt %s: stopped the run after %llu "
			"failed and %llu succeeded inputs\n",
			r->cli->halt_arg, wpool_failed(r->pool),
			wpool_succeeded(r->pool));
	return rc;
}

int run_workers(struct cli *cli)
{
	struct wrun r = {0};
	int rc;

	r.cli = cli;
	if (setup(&r) == -1) {
		if (errno == ENOMEM)
			warn_msg(strerror(errno));
		teardown(&r);
		return EXIT_USAGE;
	}
	if (cli->dry_run) {
		printf("%s\n", wpool_shell_command(r.pool));
		rc = 0;
	} else {
		rc = run_pool(&r);
	}
	/* Nothing of any worker's tree outlives the run. */
	sweep_descendants();
	fflush(stdout);
	if (run_shm_end(r.shm, cli) == -1 && rc == 0)
		rc = EXIT_USAGE;
	r.shm = NULL;
	teardown(&r);
	return rc;
}
