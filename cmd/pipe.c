/* pipe: mprun --pipeline FILE. */
#include "pipe.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "common.h"
#include "exec_slurm.h"
#include "exec_ssh.h"
#include "joblog.h"
#include "loop.h"
#include "pipefile.h"
#include "pipeline.h"
#include "remote.h"
#include "shm.h"
#include "wpool.h"

/* Commands a --dry-run shows per stage. */
#define DRY_RUN_SHOWN 5

struct prun {
	struct cli *cli;
	struct pipefile *pf;
	struct loop *loop;
	struct pipeline *pl;
	struct common cm;
	struct joblog *joblog;
	struct loop_timer *progress_timer;
	size_t progress_lines;
	int progress_tty;
	uint64_t start_ms;
	unsigned long long *shown; /* dry run: commands shown per stage */
	struct shm_seg *shm;
	struct buf logcmd; /* the joblog's Command column, workers: stages */
	/* Per stage: its SSH or Slurm executor (executor: key), or NULL. */
	struct exec_ssh **ssh;
	struct exec_slurm **slurm;
	const struct executor **exec;
	unsigned *slots;
	int interrupted, stops, error;
};

/* The index of a stage by name. */
static size_t stage_at(struct prun *r, const char *stage)
{
	size_t i;

	for (i = 0; i < r->pf->nstages; i++)
		if (strcmp(r->pf->stages[i].name, stage) == 0)
			return i;
	return 0;
}

/* A job is about to run (or a dry run shows it). */
static void p_launch(void *data, const char *stage, const struct pool_job *j)
{
	struct prun *r = data;
	size_t i = stage_at(r, stage);

	if (r->cli->dry_run) {
		if (r->shown[i]++ < DRY_RUN_SHOWN)
			printf("%s: %s\n", stage, pool_job_command(j));
		else if (r->shown[i] == DRY_RUN_SHOWN + 1)
			printf("%s: ...\n", stage);
		return;
	}
	if (r->cli->verbose)
		fprintf(stderr, "%s: %s\n", stage, pool_job_command(j));
	if (r->shm != NULL && pool_job_tries(j) == 1) {
		run_shm_started(r->shm);
		run_shm_stage(r->shm, stage, "started", 1);
		run_shm_stage(r->shm, stage, "running", 1);
	}
}

static void p_done(void *data, const char *stage, const struct pool_job *j)
{
	report_done(j);
}

static void p_finished(void *data, const char *stage,
		       const struct pool_job *j)
{
	struct prun *r = data;

	if (r->shm != NULL) {
		run_shm_finished(r->shm, pool_job_failed(j));
		run_shm_stage(r->shm, stage, "running", -1);
		run_shm_stage(r->shm, stage, "done", 1);
		if (pool_job_failed(j))
			run_shm_stage(r->shm, stage, "failed", 1);
	}
	if (report_finished(r->joblog, stage, j, r->interrupted) == -1) {
		fprintf(stderr, "mprun: %s: %s\n", r->cli->joblog,
			strerror(errno));
		r->error = 1;
	}
}

/* An input of a workers: stage ended for good. */
static void p_task(void *data, const char *stage, const struct wpool_task *t)
{
	struct prun *r = data;
	const struct pf_stage *s = &r->pf->stages[stage_at(r, stage)];

	if (r->shm != NULL) {
		run_shm_started(r->shm);
		run_shm_finished(r->shm, wpool_task_failed(t));
		run_shm_stage(r->shm, stage, "started", 1);
		run_shm_stage(r->shm, stage, "done", 1);
		if (wpool_task_failed(t))
			run_shm_stage(r->shm, stage, "failed", 1);
	}
	if (report_task(r->joblog, stage, s->workers, t, &r->logcmd) == -1 &&
	    !r->error) {
		fprintf(stderr, "mprun: %s: %s\n", r->cli->joblog,
			strerror(errno));
		r->error = 1;
	}
}

/* A worker of a workers: stage started (-v says so). */
static void p_spawned(void *data, const char *stage, unsigned slot, pid_t pid)
{
	struct prun *r = data;

	if (r->cli->verbose)
		fprintf(stderr, "%s: worker %u (pid %ld): %s\n", stage, slot,
			(long)pid, r->pf->stages[stage_at(r, stage)].workers);
}

static void p_error(void *data, const char *msg)
{
	struct prun *r = data;

	r->error = 1;
	warn_msg(msg);
}

static void p_notice(void *data, const char *msg)
{
	warn_msg(msg);
}

/* Ctrl-C: end every stage's jobs. */
static void p_sigint(struct loop *l, const struct signalfd_siginfo *si,
		     void *data)
{
	struct prun *r = data;

	r->interrupted = 1;
	pipeline_terminate(r->pl);
}

/* SIGTERM / SIGHUP: no new jobs; a second one is Ctrl-C. */
static void p_sigterm(struct loop *l, const struct signalfd_siginfo *si,
		      void *data)
{
	struct prun *r = data;

	if (r->stops++ > 0)
		p_sigint(l, si, data);
	else
		pipeline_close(r->pl);
}

/* Draw one progress line per stage. */
static void p_progress_draw(struct prun *r, int last)
{
	size_t n = pipeline_nstages(r->pl), i;
	struct progress_counts *c = calloc(n, sizeof(*c));
	const char **labels = calloc(n, sizeof(*labels));
	char counters[512] = "";

	for (i = 0; c != NULL && labels != NULL && i < n; i++) {
		labels[i] = pipeline_stage_name(r->pl, i);
		pipeline_stage_counts(r->pl, i, &c[i].done, &c[i].failed,
				      &c[i].running);
		c[i].elapsed_ms = loop_now_ms() - r->start_ms;
		c[i].total_known =
			pipeline_stage_total(r->pl, i, &c[i].total);
	}
	if (r->shm != NULL)
		run_shm_counters(r->shm, counters, sizeof(counters));
	if (c != NULL && labels != NULL)
		progress_show(r->cli->progress, r->progress_tty, n, labels, c,
			      counters, last, &r->progress_lines);
	free(c);
	free(labels);
}

/* The progress timer. */
static void p_progress_tick(struct loop *l, void *data)
{
	struct prun *r = data;

	p_progress_draw(r, 0);
	r->progress_timer = loop_timer_add(l, r->progress_tty ? 100 : 1000,
					   p_progress_tick, r);
}

/* --dry-run: the stage graph first. */
static void print_graph(const struct pipefile *pf)
{
	size_t i, k;

	for (i = 0; i < pf->nstages; i++) {
		const struct pf_stage *s = &pf->stages[i];

		if (s->workers != NULL)
			printf("# stage %s: workers: %s\n", s->name,
			       s->workers);
		else
			printf("# stage %s: %s\n", s->name, s->cmd);
		for (k = 0; k < s->ninputs; k++) {
			const struct pf_source *src = &s->inputs[k];

			printf("#   input%s: ", src->linked ? " (linked)" : "");
			if (src->kind == PF_STAGE)
				printf("stage %s\n",
				       pf->stages[src->stage].name);
			else if (src->kind == PF_FILE)
				printf("file %s\n", src->path);
			else
				printf("%zu value%s\n", src->nvalues,
				       src->nvalues == 1 ? "" : "s");
		}
		for (k = 0; k < s->nafter; k++)
			printf("#   after: %s\n", pf->stages[s->after[k]].name);
		if (s->executor == PF_SSH) {
			printf("#   executor: ssh on");
			for (k = 0; k < s->nhosts; k++)
				printf(" %s", s->hosts[k]);
			printf("\n");
		} else if (s->executor == PF_SLURM) {
			printf("#   executor: slurm, %u CPU%s a job step\n",
			       s->slurm_cpus ? s->slurm_cpus : 1,
			       s->slurm_cpus > 1 ? "s" : "");
		}
		if (!s->read_by_others)
			printf("#   output: mprun's stdout\n");
	}
	fflush(stdout);
}

/* The counters: the file declares. */
static int declare_counters(struct prun *r)
{
	char name[SHM_COUNTER_NAME_MAX + 1];
	long long v;
	size_t i;

	for (i = 0; i < r->pf->ncounters; i++) {
		if (shm_counter_spec_parse(r->pf->counters[i], name, &v) == -1 ||
		    shm_counter_set(r->shm, name, v) == -1) {
			fprintf(stderr, "mprun: %s: counters: \"%s\" is not a "
				"valid counter (names: letters, digits, _ . : / "
				"-)\n", r->cli->pipeline, r->pf->counters[i]);
			return -1;
		}
	}
	return 0;
}

/* The executors of the stages that say executor: ssh or slurm (none for
 * a dry run). -1: message printed. */
static int make_executors(struct prun *r, unsigned jobs)
{
	size_t i, n = r->pf->nstages;
	char what[256];

	r->ssh = calloc(n, sizeof(*r->ssh));
	r->slurm = calloc(n, sizeof(*r->slurm));
	r->exec = calloc(n, sizeof(*r->exec));
	r->slots = calloc(n, sizeof(*r->slots));
	if (r->ssh == NULL || r->slurm == NULL || r->exec == NULL ||
	    r->slots == NULL)
		return -1;
	for (i = 0; i < n && !r->cli->dry_run; i++) {
		const struct pf_stage *s = &r->pf->stages[i];

		if (s->executor == PF_SSH) {
			r->ssh[i] = remote_ssh_new(
				r->cli, s->hosts, s->nhosts, NULL, 0, s->ssh,
				s->jobs ? s->jobs
					: r->cli->jobs != NULL ? jobs : 0);
			if (r->ssh[i] == NULL)
				return -1;
			r->exec[i] = exec_ssh_executor(r->ssh[i]);
			r->slots[i] = exec_ssh_slots(r->ssh[i]);
		} else if (s->executor == PF_SLURM) {
			r->slurm[i] = remote_slurm_new(s->slurm_cpus,
						       s->slurm_alloc);
			if (r->slurm[i] == NULL)
				return -1;
			r->exec[i] = exec_slurm_executor(r->slurm[i]);
			snprintf(what, sizeof(what), "stage %s: jobs: %u",
				 s->name, s->jobs);
			r->slots[i] = remote_slurm_slots(
				r->slurm[i], s->jobs, s->slurm_cpus, what);
		}
	}
	return 0;
}

/* Load the file and build the run. -1: message printed. */
static int p_setup(struct prun *r)
{
	struct pipeline_events ev = {p_launch, p_done,	 p_finished, p_error,
				     p_notice, p_task, p_spawned,  r};
	struct pipeline_opts po = {0};
	char err[1024] = "";

	if (pipefile_load(r->cli->pipeline, r->cli->sets, r->cli->nsets,
			  &r->pf, err, sizeof(err)) == -1) {
		warn_msg(err);
		return -1;
	}
	po.jobs = opts_slots(r->cli->jobs);
	if (po.jobs == 0 || common_pool_opts(r->cli, &r->cm, &po.pool) == -1 ||
	    make_executors(r, po.jobs) == -1)
		return -1;
	po.stage_exec = r->exec;
	po.stage_slots = r->slots;
	po.max_record = cli_max_record(r->cli);
	if (r->cli->joblog != NULL && !r->cli->dry_run) {
		r->joblog = joblog_open(r->cli->joblog, 1);
		if (r->joblog == NULL) {
			fprintf(stderr, "mprun: %s: %s\n", r->cli->joblog,
				strerror(errno));
			return -1;
		}
	}
	if (!r->cli->dry_run) {
		r->shm = run_shm_start(r->cli, r->cli->pipeline);
		if (r->shm == NULL || declare_counters(r) == -1)
			return -1;
	}
	r->shown = calloc(r->pf->nstages, sizeof(*r->shown));
	r->loop = loop_new();
	if (r->shown == NULL || r->loop == NULL)
		return -1;
	r->pl = pipeline_new(r->loop, r->pf, &po, &ev);
	if (r->pl == NULL)
		return -1;
	if (loop_signal_add(r->loop, SIGINT, p_sigint, r) == -1 ||
	    loop_signal_add(r->loop, SIGTERM, p_sigterm, r) == -1 ||
	    loop_signal_add(r->loop, SIGHUP, p_sigterm, r) == -1)
		return -1;
	if (r->cli->progress) {
		r->progress_tty = isatty(STDERR_FILENO);
		r->progress_timer = loop_timer_add(
			r->loop, r->progress_tty ? 100 : 1000, p_progress_tick, r);
	}
	return 0;
}

/* Free the run. */
static void p_teardown(struct prun *r)
{
	if (r->progress_timer != NULL)
		loop_timer_cancel(r->loop, r->progress_timer);
	size_t i;

	pipeline_free(r->pl);
	loop_free(r->loop);
	for (i = 0; r->pf != NULL && i < r->pf->nstages; i++) {
		exec_ssh_free(r->ssh != NULL ? r->ssh[i] : NULL);
		exec_slurm_free(r->slurm != NULL ? r->slurm[i] : NULL);
	}
	free(r->ssh);
	free(r->slurm);
	free(r->exec);
	free(r->slots);
	buf_free(&r->logcmd);
	joblog_close(r->joblog);
	run_shm_end(r->shm, r->cli);
	common_free(&r->cm);
	pipefile_free(r->pf);
	free(r->shown);
}

/* The exit status of a finished pipeline. */
static int p_status(struct prun *r)
{
	if (r->interrupted)
		return EXIT_INTERRUPTED;
	if (pipeline_output_closed(r->pl) || r->error)
		return EXIT_USAGE;
	return failures_status(pipeline_failed(r->pl));
}

int run_pipeline(struct cli *cli)
{
	struct prun r = {.cli = cli};
	int rc;

	if (p_setup(&r) == -1) {
		if (errno == ENOMEM)
			warn_msg(strerror(errno));
		p_teardown(&r);
		return EXIT_USAGE;
	}
	if (cli->dry_run)
		print_graph(r.pf);
	r.start_ms = loop_now_ms();
	if (pipeline_run(r.pl) == -1) {
		fprintf(stderr, "mprun: %s\n", strerror(errno));
		rc = EXIT_USAGE;
	} else {
		rc = p_status(&r);
		if (cli->progress)
			p_progress_draw(&r, 1);
		if (pipeline_halted(r.pl))
			fprintf(stderr, "mprun: --halt: stopped the pipeline "
				"after %llu failed jobs\n",
				pipeline_failed(r.pl));
	}
	if (r.interrupted || pipeline_output_closed(r.pl) ||
	    pipeline_halted(r.pl))
		sweep_descendants();
	fflush(stdout);
	if (run_shm_end(r.shm, cli) == -1 && rc == 0)
		rc = EXIT_USAGE;
	r.shm = NULL;
	p_teardown(&r);
	return rc;
}
