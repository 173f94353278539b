/* workers: mprun --workers CMD: the run's inputs through a pool of
 * long-lived workers (lib/wpool), with the job log, progress, --halt and
 * the exit status of a plain run. */
#include "workers.h"

#include <stdio.h>
#include <unistd.h>

#include "common.h"
#include "input.h"
#include "wpool.h"

/* wpool event: a worker started (-v says so). */
static void on_spawned(void *data, unsigned slot, pid_t pid)
{
	struct common *cm = data;

	if (cm->cli->verbose || cm->cli->echo)
		common_say("mprun: worker %u (pid %ld): %s\n", slot,
			   (long)pid, run_worker_command(cm->run));
}

/* wpool event: an input ended for good: count and log it. */
static void on_finished(void *data, const struct sched_task *t)
{
	struct common *cm = data;

	report_task(cm, NULL, cm->cli->workers, t);
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

/* The pool's options from the command line; -1 on a bad value. */
static int make_opts(struct common *cm, struct wpool_opts *wo)
{
	static const enum wpool_framing framings[] = {
		[FRAMING_LINE] = WPOOL_LINE,
		[FRAMING_NUL] = WPOOL_NUL,
		[FRAMING_LEN] = WPOOL_LEN,
	};
	const struct cli *cli = cm->cli;
	struct pool_opts po = {0};

	po.sched.slots = opts_slots(cli->jobs);
	if (po.sched.slots == 0 || common_pool_opts(cm, &po) == -1)
		return -1;
	wo->sched = po.sched; /* order, timeout, --halt, callbacks... */
	wo->command = cli->workers;
	wo->init = cli->worker_init;
	wo->framing = framings[cli->framing];
	wo->max_tasks = cli->max_tasks;
	wo->inflight = cli->max_inflight;
	return 0;
}

/* Wire the input and the worker pool. */
static int setup(struct common *cm, struct input **in)
{
	struct wpool_opts wo = {0};
	struct sched_events ev = {.spawned = on_spawned,
				  .finished = on_finished,
				  .error = common_error,
				  .notice = common_notice, .data = cm};
	struct run_opts ro = {.wpool = &wo, .sched_ev = &ev};

	if (check_options(cm->cli) == -1 || make_opts(cm, &wo) == -1)
		return -1;
	*in = cli_input(cm->cli);
	if (*in == NULL || common_joblog_open(cm, 0) == -1)
		return -1;
	if (!cm->cli->dry_run &&
	    common_shm_start(cm, "workers", NULL, 0, NULL) == -1)
		return -1;
	ro.in = *in;
	return common_start(cm, &ro);
}

int workers_run(const struct cli *cli)
{
	struct common cm = {.cli = cli};
	struct input *in = NULL;
	int rc;

	if (setup(&cm, &in) == -1) {
		rc = common_failed();
	} else {
		if (cli->dry_run)
			printf("%s\n", run_worker_command(cm.run));
		rc = common_finish(&cm, !cli->dry_run);
	}
	common_free(&cm);
	input_free(in);
	return rc;
}
