/* pool: the one-shot kind of slot of the scheduler (lib/sched): a job per
 * slot, over records from a queue, in one event loop.
 *
 * The pool takes records from a bounded queue (filled by a feed, or by an
 * upstream stage), groups them into jobs (one record per job, -n N records,
 * or as many as fit the command line with -X), expands the command template,
 * starts each job through an executor, captures its stdout and stderr,
 * reaps it, and releases its output in the order policy's order. A job is
 * finished when it was reaped and both its output pipes reached end of file.
 * Ownership is as lib/sched.h says. */
#ifndef MPRUN_POOL_H
#define MPRUN_POOL_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "capture.h"
#include "sched.h"

struct executor;
struct loop;
struct queue;
struct template;

enum pool_output {
	POOL_GROUP,   /* each job's stdout, then its stderr, as one unit */
	POOL_LINES,   /* whole lines, as they come (--line-buffer) */
	POOL_UNGROUP, /* straight through, not captured (-u) */
};


struct pool_opts {
	struct sched_opts sched;     /* jobs at once, order, --halt... */
	enum pool_output output;
	const struct template *tpl;  /* the command */
	size_t max_args;             /* records per job (-n); 0 means 1 */
	int fill;                    /* -X: as many records as fit */
	int spread;                  /* fill: the records of the job that
				      * reaches the end of the input are
				      * spread over the slots (GNU's -X, -m;
				      * not --xargs) */
	size_t mem_limit;            /* per stream, then spill */
	uint64_t spill_limit;        /* per stream, then pause */
	int dry_run;
	unsigned timeout_pct;        /* or: a % of the median runtime (0) */
	uint64_t delay_ms;           /* between two job starts (0) */
	const char *results_dir;     /* --results */
	const struct template *results_place; /* --results with replacement
				      * strings: each job's place (see
				      * jobfiles.h); results_dir is then
				      * the name as given */
	unsigned long long total;    /* jobs expected, for percentages (0) */
	char *const *env;            /* "NAME=VALUE" added to jobs' env */
	const char *slot_var;        /* --process-slot-var NAME: NAME=slot-1
				      * in each job's environment (a name
				      * of at most 128 bytes), or NULL */
	int keep_args;               /* pool_job_args() at its end: all of
				      * them (a batch's are dropped else) */
	int echo;                    /* -v: each job's command line first
				      * on its stdout (GNU parallel's) */
	int fifo;                    /* --fifo: a job's block goes into the
				      * named pipe of its record's value
				      * (lib/fifo); its stdin is /dev/null */
};


/* A scheduler (lib/sched) of one-shot jobs: NULL/errno (its message
 * through the error event). */
struct sched *pool_new(struct loop *l, const struct pool_opts *opts,
		       const struct sched_events *ev);

/* A job, as the events see it (and as sched_task_* tell: its number,
 * slot, tries, times, how it ended, the bytes of its stdout). */
/* The command as it runs (the shell command, or the argv words quoted). */
const char *pool_job_command(const struct sched_task *t);
/* Its --tag / --tagstring prefix (with the TAB; malloc'ed), or NULL. */
char *pool_job_tag(const struct sched_task *t);
/* Why exec failed (0 if it did not). */
int pool_job_exec_errno(const struct sched_task *t);
/* The job did not start: its command was longer than the kernel takes. */
int pool_job_too_long(const struct sched_task *t);
/* Why the template refused the job's inputs ("at L:C: ..." and two lines
 * showing where), or NULL: such a job fails with 255 and is not run. */
const char *pool_job_refused(const struct sched_task *t);
/* The program name (argv[0], or the shell). */
const char *pool_job_program(const struct sched_task *t);
/* Where its first record came from ("file", line). */
const char *pool_job_origin(const struct sched_task *t);
unsigned long long pool_job_lineno(const struct sched_task *t);
/* Its inputs (the values {} stands for), n of them. */
char *const *pool_job_args(const struct sched_task *t, size_t *n);
/* Bytes of input its records' blocks held (--pipe), else 0. */
uint64_t pool_job_input_bytes(const struct sched_task *t);
/* Its tree was being ended (Ctrl-C, --halt now, --timeout, stdout gone). */
int pool_job_terminated(const struct sched_task *t);
/* The host it ran on, as the executor names it (":" for this machine). */
const char *pool_job_host(const struct sched_task *t);

#endif
