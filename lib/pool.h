/* pool: N slots running jobs over records from a queue, one event loop.
 *
 * The pool takes records from a bounded queue (filled by a feed, or by an
 * upstream stage), groups them into jobs (one record per job, -n N records,
 * or as many as fit the command line with -X), expands the command template,
 * starts each job through an executor, captures its stdout and stderr,
 * reaps it, and releases its output in the order policy's order. A job is
 * finished when it was reaped and both its output pipes reached end of file.
 *
 * Ownership: the pool does not own the loop, the template, the executor or
 * the queue; it owns the records it takes from the queue (and calls
 * queue_task_done for each when its job is released). The library never
 * prints messages: it reports through the events below; only job output is
 * written, to the descriptors in the options. */
#ifndef MPRUN_POOL_H
#define MPRUN_POOL_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "capture.h"
#include "order.h"
#include "policy.h"
#include "termtree.h"

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
	unsigned slots;              /* >= 1 */
	enum order_policy order;
	enum pool_output output;
	const struct template *tpl;  /* the command */
	size_t max_args;             /* records per job (-n); 0 means 1 */
	int fill;                    /* -X: as many records as fit */
	int tag;                     /* --tag: lines prefixed by the args */
	const struct template *tagstring; /* --tagstring, or NULL */
	size_t mem_limit;            /* per stream, then spill */
	uint64_t spill_limit;        /* per stream, then pause */
	const char *tmpdir;
	int dry_run;
	const struct executor *exec;
	struct termseq termseq;      /* how job trees are ended */
	int out_fd, err_fd;          /* where job output goes (1 and 2) */
	/* job control (all 0 / NULL: off) */
	uint64_t timeout_ms;         /* end a job running longer */
	unsigned timeout_pct;        /* or: this % of the median runtime */
	unsigned retries;            /* run a failed job again this often */
	uint64_t delay_ms;           /* between two job starts */
	struct policy_halt halt;
	const struct template *on_success; /* callbacks (shell commands) */
	const struct template *on_error;
	const char *results_dir;     /* --results */
	unsigned long long total;    /* jobs expected, for percentages (0) */
	char *const *env;            /* "NAME=VALUE" added to jobs' env */
	const struct capture_sink *out_sink; /* stdout there, not out_fd */
	int fifo;                    /* --fifo: a job's block goes into the
				      * named pipe of its record's value
				      * (lib/fifo); its stdin is /dev/null */
	unsigned group;              /* pools of one process (pipeline
				      * stages) each have their own: their
				      * jobs' MPRUN_JOBID differ; 0: none */
};

struct pool_job;

/* What the pool reports. Every member may be NULL. */
struct pool_events {
	/* A job's command is ready: it is about to start (or, with dry_run,
	 * it is all that happens). */
	void (*launch)(void *data, const struct pool_job *j);
	/* A job is released: its output went out (or was dropped). */
	void (*done)(void *data, const struct pool_job *j);
	/* Something went wrong outside any job's own exit status. */
	void (*error)(void *data, const char *msg);
	/* Something worth telling that is counted elsewhere (a failed
	 * callback: see pool_callbacks_failed()). */
	void (*notice)(void *data, const char *msg);
	/* The job ended for good (last try), before its callback and
	 * before its output is released: the time to log it. */
	void (*finished)(void *data, const struct pool_job *j);
	/* Should job seq be skipped (--resume)? Skipped jobs neither run
	 * nor count. */
	int (*skip)(void *data, unsigned long long seq);
	void *data;
};

struct pool;

struct pool *pool_new(struct loop *l, const struct pool_opts *opts,
		      const struct pool_events *ev);
void pool_free(struct pool *p);

/* Where records come from. want(data) is called when the pool would take
 * more records than the queue holds; the producer calls pool_kick() after
 * putting records or closing the queue. */
void pool_set_source(struct pool *p, struct queue *q, void (*want)(void *),
		     void *data);
/* While throttle(data) returns 1, start no new job (a pipeline stage whose
 * reader is behind); call pool_kick() when it may have changed. */
void pool_set_throttle(struct pool *p, int (*throttle)(void *), void *data);
/* Records may be waiting in the queue: start what can be started. */
void pool_kick(struct pool *p);
/* Start the pool in its loop; then pool_finished() tells when it is done. */
void pool_start(struct pool *p);
/* Run the loop until this pool is finished. 0 or -1/errno. */
int pool_run(struct pool *p);
int pool_finished(const struct pool *p);

/* Start no new job; let the running ones finish (Pool.close). */
void pool_close(struct pool *p);
/* Start no new job and end every running job's tree (Pool.terminate). */
void pool_terminate(struct pool *p);
/* --halt now decided elsewhere (another pipeline stage): as
 * pool_terminate, and the jobs so ended count neither as failed nor as
 * succeeded, as with the pool's own --halt now. */
void pool_halt_now(struct pool *p);

unsigned long long pool_started(const struct pool *p);
unsigned long long pool_succeeded(const struct pool *p);
unsigned long long pool_failed(const struct pool *p);
/* Our stdout was closed by its reader (EPIPE): the run was ended. */
int pool_output_closed(const struct pool *p);
unsigned pool_running(const struct pool *p);
/* Callbacks that failed (exit status not 0, or could not run). */
unsigned long long pool_callbacks_failed(const struct pool *p);
/* --halt stopped the run. */
int pool_halted(const struct pool *p);
/* Set the number of jobs expected, once known (for --halt N%). */
void pool_set_total(struct pool *p, unsigned long long total);

/* A job, as seen by the events. */
unsigned long long pool_job_seq(const struct pool_job *j);
unsigned pool_job_slot(const struct pool_job *j);
/* The command as it runs (the shell command, or the argv words quoted). */
const char *pool_job_command(const struct pool_job *j);
/* The wait status (valid in done), and why exec failed (0 if it did not). */
int pool_job_wait_status(const struct pool_job *j);
int pool_job_exec_errno(const struct pool_job *j);
/* The job did not start: its command was longer than the kernel takes. */
int pool_job_too_long(const struct pool_job *j);
/* Why the template refused the job's inputs ("at L:C: ..." and two lines
 * showing where), or NULL: such a job fails with 255 and is not run. */
const char *pool_job_refused(const struct pool_job *j);
int pool_job_failed(const struct pool_job *j);
/* The program name (argv[0], or the shell). */
const char *pool_job_program(const struct pool_job *j);
/* Where its first record came from ("file", line). */
const char *pool_job_origin(const struct pool_job *j);
unsigned long long pool_job_lineno(const struct pool_job *j);
/* When it started (wall clock, ms since the epoch) and how long it ran. */
uint64_t pool_job_start_ms(const struct pool_job *j);
uint64_t pool_job_runtime_ms(const struct pool_job *j);
/* Bytes it wrote on stdout. */
uint64_t pool_job_output_bytes(const struct pool_job *j);
/* Bytes of input its records' blocks held (--pipe), else 0. */
uint64_t pool_job_input_bytes(const struct pool_job *j);
/* Its exit status (128 + the signal if killed, as the shell says) and
 * the signal that killed it (0). */
int pool_job_exitval(const struct pool_job *j);
int pool_job_signal(const struct pool_job *j);
/* It was ended by --timeout. */
int pool_job_timed_out(const struct pool_job *j);
/* Its tree was being ended (Ctrl-C, --halt now, --timeout, stdout gone). */
int pool_job_terminated(const struct pool_job *j);
/* The host it ran on, as the executor names it (":" for this machine). */
const char *pool_job_host(const struct pool_job *j);
/* How many times it ran (1 + retries used). */
unsigned pool_job_tries(const struct pool_job *j);

#endif
