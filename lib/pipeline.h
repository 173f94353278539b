/* pipeline: run the stages of a pipeline file, each a pool, in one loop.
 *
 * A stage that reads another stage gets that stage's stdout through a
 * channel: the upstream pool's output (in its order policy) goes into the
 * channel instead of mprun's stdout, and comes out of a pipe that is a file
 * source of the downstream stage's input, read lazily through its bounded
 * queue. So stage B starts on its first input while stage A still runs,
 * and when B is behind, A stops starting jobs (throttle) until B catches
 * up: memory stays bounded. A stage with after: starts only when those
 * stages have ended. The stdout of a stage nobody reads is mprun's. */
#ifndef MPRUN_PIPELINE_H
#define MPRUN_PIPELINE_H
#include <stddef.h>
#include <stdint.h>

#include "pipefile.h"
#include "pool.h"

struct loop;

/* What every stage shares (the command line's options); a stage's own
 * keys (jobs, n, order, timeout, retries, halt, callbacks, env) win. */
struct pipeline_opts {
	unsigned jobs;             /* default slots per stage */
	struct pool_opts pool;     /* defaults: output, tag, limits, exec... */
};

/* Pool events, with the stage they come from. */
struct pipeline_events {
	void (*launch)(void *data, const char *stage, const struct pool_job *j);
	void (*done)(void *data, const char *stage, const struct pool_job *j);
	void (*finished)(void *data, const char *stage,
			 const struct pool_job *j);
	void (*error)(void *data, const char *msg);
	void (*notice)(void *data, const char *msg);
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
const struct pool *pipeline_stage_pool(const struct pipeline *pl, size_t i);
/* The stage's input is all read: its job count is known. */
int pipeline_stage_total(const struct pipeline *pl, size_t i,
			 unsigned long long *total);
/* Failed jobs and failed callbacks of all stages. */
unsigned long long pipeline_failed(const struct pipeline *pl);
int pipeline_output_closed(const struct pipeline *pl);
int pipeline_halted(const struct pipeline *pl);

#endif
