/* pipe: mprun --pipeline FILE. */
#include "pipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "exec_slurm.h"
#include "exec_ssh.h"
#include "joblog.h"
#include "pipefile.h"
#include "pipeline.h"
#include "remote.h"
#include "shm.h"
#include "wpool.h"

/* Commands a --dry-run shows per stage. */
#define DRY_RUN_SHOWN 5

/* A pipeline run; cm first, so that the common events (common_error,
 * report_finished) take the run itself as their data. */
struct prun {
	struct common cm;
	struct pipefile *pf;
	unsigned long long *shown; /* dry run: commands shown per stage */
	/* Per stage: its SSH or Slurm executor (executor: key), or NULL. */
	struct exec_ssh **ssh;
	struct exec_slurm **slurm;
	const struct executor **exec;
	unsigned *slots;
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
static void p_launch(void *data, const char *stage, const struct sched_task *j)
{
	struct prun *r = data;
	size_t i = stage_at(r, stage);

	if (r->cm.cli->dry_run) {
		if (r->shown[i]++ < DRY_RUN_SHOWN)
			printf("%s: %s\n", stage, pool_job_command(j));
		else if (r->shown[i] == DRY_RUN_SHOWN + 1)
			printf("%s: ...\n", stage);
		return;
	}
	if (r->cm.cli->verbose || r->cm.cli->echo) /* (-v too: stdout is
						     * the stages' data) */
		common_say("%s: %s\n", stage, pool_job_command(j));
	if (sched_task_tries(j) == 1)
		run_job_started(r->cm.run, stage);
}

/* A job is done; say why it failed when the job cannot. */
static void p_done(void *data, const char *stage, const struct sched_task *j)
{
	report_done(data, j);
}

/* An input of a workers: stage ended for good: count and log it. */
static void p_task(void *data, const char *stage, const struct sched_task *t)
{
	struct prun *r = data;

	report_task(&r->cm, stage, r->pf->stages[stage_at(r, stage)].workers,
		    t);
}

/* A worker of a workers: stage started (-v says so). */
static void p_spawned(void *data, const char *stage, unsigned slot, pid_t pid)
{
	struct prun *r = data;

	if (r->cm.cli->verbose || r->cm.cli->echo)
		common_say("%s: worker %u (pid %ld): %s\n", stage, slot,
			   (long)pid, r->pf->stages[stage_at(r, stage)].workers);
}

/* --dry-run: where a pipe: true stage's blocks go. */
static void print_pipe(const struct pf_stage *s)
{
	printf("#   pipe: blocks of %llu bytes, ",
	       (unsigned long long)(s->block ? s->block : 1 << 20));
	if (s->round_robin && s->jobs > 0)
		printf("to %u jobs in turn\n", s->jobs);
	else if (s->round_robin)
		printf("to -j jobs in turn\n");
	else
		printf("each a job's %s\n", s->cat    ? "{} (a file)"
					   : s->fifo ? "{} (a named pipe)"
						     : "stdin");
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
		if (s->pipe)
			print_pipe(s);
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

/* The counters and figures, with the counters the file declares. */
static int pipe_shm_start(struct prun *r)
{
	struct buf where = BUF_INIT;
	int rc = buf_printf(&where, "%s: counters", r->cm.cli->pipeline);

	if (rc == 0)
		rc = common_shm_start(&r->cm, r->cm.cli->pipeline,
				      r->pf->counters, r->pf->ncounters,
				      where.data);
	buf_free(&where);
	return rc;
}

/* May the jobs of stage s use counters: the file declares some, or its
 * command calls mprun? */
static int stage_calls_mprun(const struct pipefile *pf,
			     const struct pf_stage *s)
{
	return pf->ncounters > 0 || common_calls_mprun(&s->cmd, 1);
}

/* The counter service, when a stage that runs elsewhere may use counters:
 * a Unix socket for executor: ssh, TCP for executor: slurm. */
static int start_mgr(struct prun *r)
{
	int ssh = 0, slurm = 0;
	size_t i;

	for (i = 0; i < r->pf->nstages; i++) {
		if (!stage_calls_mprun(r->pf, &r->pf->stages[i]) &&
		    r->cm.cli->manager_addr == NULL)
			continue;
		ssh |= r->pf->stages[i].executor == PF_SSH;
		slurm |= r->pf->stages[i].executor == PF_SLURM;
	}
	return common_mgr_start(&r->cm, ssh, slurm);
}

/* The executors of the stages that say executor: ssh or slurm (none for
 * a dry run). -1: message printed. */
static int make_executors(struct prun *r, unsigned jobs)
{
	const struct cli *cli = r->cm.cli;
	size_t i, n = r->pf->nstages;
	char what[256];

	if (start_mgr(r) == -1)
		return -1;
	r->ssh = calloc(n, sizeof(*r->ssh));
	r->slurm = calloc(n, sizeof(*r->slurm));
	r->exec = calloc(n, sizeof(*r->exec));
	r->slots = calloc(n, sizeof(*r->slots));
	if (r->ssh == NULL || r->slurm == NULL || r->exec == NULL ||
	    r->slots == NULL)
		return -1;
	for (i = 0; i < n && !cli->dry_run; i++) {
		const struct pf_stage *s = &r->pf->stages[i];

		if (s->executor == PF_SSH) {
			r->ssh[i] = remote_ssh_new(
				cli, s->hosts, s->nhosts, NULL, 0, s->ssh,
				s->jobs	       ? s->jobs
				: cli->jobs != NULL ? jobs
						    : 0,
				r->cm.mgr, stage_calls_mprun(r->pf, s));
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
	const struct cli *cli = r->cm.cli;
	struct pipeline_events ev = {
		.launch = p_launch, .done = p_done, .finished = report_finished,
		.error = common_error, .notice = common_notice, .task = p_task,
		.spawned = p_spawned, .data = r};
	struct pipeline_opts po = {0};
	struct run_opts ro = {.pipeline = &po, .pipeline_ev = &ev};
	char err[1024] = "";

	if (pipefile_load(cli->pipeline, cli->sets, cli->nsets, &r->pf, err,
			  sizeof(err)) == -1) {
		warn_msg(err);
		return -1;
	}
	po.jobs = opts_slots(cli->jobs);
	if (po.jobs == 0 || common_pool_opts(&r->cm, &po.pool) == -1 ||
	    make_executors(r, po.jobs) == -1 ||
	    common_joblog_open(&r->cm, 1) == -1)
		return -1;
	po.pool.echo = 0; /* -v on stderr: stdout carries the stages' data */
	po.stage_exec = r->exec;
	po.stage_slots = r->slots;
	po.max_record = cli_max_record(cli);
	if (!cli->dry_run && pipe_shm_start(r) == -1)
		return -1;
	r->shown = calloc(r->pf->nstages, sizeof(*r->shown));
	if (r->shown == NULL)
		return -1;
	ro.pipefile = r->pf;
	return common_start(&r->cm, &ro);
}

/* Free the run. */
static void p_teardown(struct prun *r)
{
	size_t i;

	common_free(&r->cm);
	for (i = 0; r->pf != NULL && i < r->pf->nstages; i++) {
		exec_ssh_free(r->ssh != NULL ? r->ssh[i] : NULL);
		exec_slurm_free(r->slurm != NULL ? r->slurm[i] : NULL);
	}
	free(r->ssh);
	free(r->slurm);
	free(r->exec);
	free(r->slots);
	pipefile_free(r->pf);
	free(r->shown);
}

int pipe_run(const struct cli *cli)
{
	struct prun r = {.cm.cli = cli};
	int rc;

	if (p_setup(&r) == -1) {
		rc = common_failed();
	} else {
		if (cli->dry_run)
			print_graph(r.pf);
		rc = common_finish(&r.cm, 1);
	}
	p_teardown(&r);
	return rc;
}
