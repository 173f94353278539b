/* pipeline: run the stages of a pipeline file, each a pool, in one loop.
 *
 * A stage that reads another stage gets that stage's stdout through a
 * channel: the upstream pool's output (in its order policy) goes into the
 * channel instead of mprun's stdout, and comes out of a pipe that is a file
 * source of the downstream stage's input, read lazily through its bounded
 * queue. So stage B starts on its first input while stage A still runs,
 * and when B is behind, A stops starting jobs (throttle) until B catches
 * up: memory stays bounded. A stage with after: starts only when those
 * stages have ended. The stdout of a stage nobody reads is mprun's.
 * A stage with workers: instead of cmd: is a worker pool (lib/wpool): its
 * inputs go to long-lived workers as records, with the same channels,
 * throttle, order, halt and termination. */
#ifndef MPRUN_PIPELINE_H
#define MPRUN_PIPELINE_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pipefile.h"
#include "pool.h"

struct loop;

/* What every stage shares (the command line's options); a stage's own
 * keys (jobs, n, order, timeout, retries, halt, callbacks, env) win. */
struct pipeline_opts {
	unsigned jobs;             /* default slots per stage */
	struct pool_opts pool;     /* defaults: output, tag, limits, exec... */
	/* Per stage (nstages entries), or NULL: the executor of a stage that
	 * has its own (executor: ssh or slurm; NULL: pool.exec) and its
	 * slots, which win over jobs and the stage's jobs:. */
	const struct executor *const *stage_exec;
	const unsigned *stage_slots;
	size_t max_record;         /* longest input record (0: 1 GiB) */
};

/* Pool events, with the stage they come from. */
struct pipeline_events {
	void (*launch)(void *data, const char *stage,
		       const struct sched_task *j);
	void (*done)(void *data, const char *stage, const struct sched_task *j);
	void (*finished)(void *data, const char *stage,
			 const struct sched_task *j);
	void (*error)(void *data, const char *msg);
	void (*notice)(void *data, const char *msg);
	/* A workers: stage: an input ended for good; a worker started. */
	void (*task)(void *data, const char *stage, const struct sched_task *t);
	void (*spawned)(void *data, const char *stage, unsigned slot,
			pid_t pid);
	void *data;
};

struct pipeline;

/* NULL/errno (a message through ev->error where there is one). */
struct pipeline *pipeline_new(struct loop *l, const struct pipefile *pf,
			      const struct pipeline_opts *o,
			      const struct pipeline_events *ev);
void pipeline_free(struct pipeline *pl);
/* Run until every started stage is done. 0 or -1/errno. */
int pipeline_run(struct pipeline *pl);
/* Ctrl-C: every stage's jobs ended; SIGTERM: no new jobs anywhere. */
void pipeline_terminate(struct pipeline *pl);
void pipeline_close(struct pipeline *pl);

size_t pipeline_nstages(const struct pipeline *pl);
const char *pipeline_stage_name(const struct pipeline *pl, size_t i);
/* The stage's jobs (or inputs, for workers) done, failed and running. */
void pipeline_stage_counts(const struct pipeline *pl, size_t i,
			   unsigned long long *done,
			   unsigned long long *failed,
			   unsigned long long *running);
/* The stage's jobs (or inputs) started so far. */
unsigned long long pipeline_stage_started(const struct pipeline *pl,
					  size_t i);
/* The stage's input is all read: its job count is known. */
int pipeline_stage_total(const struct pipeline *pl, size_t i,
			 unsigned long long *total);
/* Failed jobs and failed callbacks of all stages. */
unsigned long long pipeline_failed(const struct pipeline *pl);
int pipeline_output_closed(const struct pipeline *pl);
int pipeline_halted(const struct pipeline *pl);
/* How many job trees its stages ended themselves (--timeout, halt). */
unsigned long long pipeline_trees_ended(const struct pipeline *pl);
/* The exit status --halt gives (as a plain run's, of the stage that
 * halted the pipeline), or -1. */
int pipeline_halt_status(const struct pipeline *pl);

#endif
