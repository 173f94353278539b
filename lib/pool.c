/* pool: schedule jobs over N slots, capture and release their output. */
#include "pool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "callback.h"
#include "capture.h"
#include "spill.h"
#include "executor.h"
#include "fifo.h"
#include "hold.h"
#include "input.h"
#include "internal.h"
#include "jobenv.h"
#include "jobfiles.h"
#include "loop.h"
#include "policy.h"
#include "queue.h"
#include "quote.h"
#include "template.h"

/* The kernel's limit on one argument string (MAX_ARG_STRLEN). */
#define ARG_STRLEN_MAX (32 * 4096)
/* How long to wait before retrying a spawn that failed with EAGAIN. */
#define SPAWN_RETRY_MS 10
/* ... doubled at each failure up to this ... */
#define SPAWN_RETRY_MAX_MS 500
/* ... and given up after this long when none of our jobs runs. */
#define SPAWN_GIVE_UP_MS 10000
/* The size asked for each job's output pipes (the kernel may give less). */
#define JOB_PIPE_SIZE (1 << 20)
/* How long a running job's pipe may fill before we read it again. */
#define READ_COALESCE_MS 1
/* ... when a read found less than this in the pipe. */
#define COALESCE_BELOW (32 << 10)
/* Runtimes kept for the median of --timeout N%, and how many are needed. */
#define RUNTIME_SAMPLES 1024
#define RUNTIME_MIN_SAMPLES 3

struct pool_job {
	struct pool *pool;
	struct pool_job *next; /* the pool's running jobs */
	unsigned long long seq;
	unsigned slot;
	pid_t pid;
	int exec_errno;
	int wait_status;
	int reaped;
	int finished;
	int too_long;
	char *refused; /* why the template refused the job's inputs */
	int open_streams;
	int had_output;
	struct capture *cap[2]; /* stdout, stderr (NULL when ungrouped) */
	struct record **recs;
	size_t nrecs, recs_cap;
	size_t ntasks; /* records taken from the queue (task_done each) */
	char **args; /* pointers into recs' values */
	size_t nargs, args_cap;
	char *command; /* display form */
	char *program;
	char marker[64]; /* MPRUN_JOBID=... */
	size_t kill_step;
	struct loop_timer *kill_timer;
	struct loop_timer *timeout_timer;
	struct loop_timer *rearm_timer; /* read coalescing */
	int coalesced[2];
	int timed_out;
	int io_error;   /* its output could not be kept */
	int halted;     /* ended by --halt now: counts neither way */
	unsigned tries;
	uint64_t start_wall_ms, start_ms, runtime_ms;
	uint64_t out_bytes;
	int files[2];               /* --results / callback copies, or -1 */
	struct job_spawn_args *spawn; /* while being started */
	struct callback *cb;        /* its callback, once over (its output) */
	struct fifo_writer *fifo;   /* --fifo: writing its block */
};

struct pool {
	struct loop *loop;
	struct pool_opts opts;
	struct pool_events ev;
	struct queue *q;
	void (*want)(void *);
	void *want_data;
	struct record *carry; /* taken from the queue, for the next job */
	struct pool_job *partial; /* the job whose records are being gathered */
	struct order *order;
	struct pool_job *running;
	unsigned char *slot_busy;
	unsigned nrunning;
	unsigned long long seq;
	unsigned long long nstarted, nsucceeded, nfailed;
	int closed, terminating, out_closed, started, finished;
	int reaping;    /* pool_reaped is one of the loop's reapers */
	int in_kick;
	int kick_again;
	int devnull;
	int hold_fd[2]; /* map: output held until the end */
	int sink_fd[2]; /* where captures write */
	struct spill *spill; /* held output: one memory budget and file */
	struct jobenv *env; /* environ without our variables, + opts.env */
	size_t arg_max; /* bytes available for a command line */
	struct pool_job *writer;
	pid_t self;
	int (*throttle)(void *);
	void *throttle_data;
	/* job control */
	struct jobfiles *files;
	struct callbacks *cbs; /* --on-success, --on-error */
	unsigned long long ndone, total;
	int halted;
	uint64_t last_start_ms;
	struct loop_timer *delay_timer;
	/* fork failed with EAGAIN: the job waiting to be spawned again */
	struct pool_job *spawn_wait;
	struct loop_timer *spawn_timer;
	uint64_t spawn_since, spawn_backoff;
	int spawn_said;
	uint64_t runtimes[RUNTIME_SAMPLES];
	size_t nruntimes;
	unsigned long long runtime_count;
};

static void pool_check_finished(struct pool *p);
static void job_kill_step(struct loop *l, void *data);
static void job_terminate(struct pool_job *j);
static int job_start(struct pool *p, struct pool_job *j);
static void job_rearm_now(struct pool_job *j);
static int job_exec(struct pool *p, struct pool_job *j);
static void job_spawn_failed(struct pool *p, struct pool_job *j);
static void job_spawn_done(struct pool_job *j);
static void job_finish_unstarted(struct pool *p, struct pool_job *j);

/* Report an error message (printf-style) through the events. */
#define pool_error(p, ...) report_msg((p)->ev.error, (p)->ev.data, __VA_ARGS__)

/* The variables mprun sets in each job's environment (never inherited). */
static const char *const pool_job_vars[] = {"MPRUN_SEQ", "MPRUN_SLOT",
					    "MPRUN_JOBID", NULL};

/* The jobs' environment, and the command-line room it leaves. */
static int pool_init_env(struct pool *p)
{
	long argmax = sysconf(_SC_ARG_MAX);
	size_t bytes;

	p->env = jobenv_new(pool_job_vars, p->opts.env);
	if (p->env == NULL)
		return -1;
	if (argmax <= 0)
		argmax = 131072;
	/* Our three variables, the shell's argv, and a safety margin. */
	bytes = jobenv_bytes(p->env) + 3 * (64 + sizeof(char *)) + 4096;
	p->arg_max = (size_t)argmax > bytes ? (size_t)argmax - bytes : 4096;
	return 0;
}

/* The per-job files, when --results or a callback needs them. */
static int pool_open_files(struct pool *p)
{
	const struct pool_opts *o = &p->opts;

	if (o->dry_run || o->output == POOL_UNGROUP ||
	    (o->results_dir == NULL && o->on_success == NULL &&
	     o->on_error == NULL))
		return 0;
	p->files = jobfiles_new(o->results_dir, o->tmpdir);
	if (p->files == NULL) {
		pool_error(p, "%s: cannot make the directory: %s",
			   o->results_dir != NULL ? o->results_dir : "tmpdir",
			   strerror(errno));
		return -1;
	}
	return 0;
}

/* Processes of the real user now (as ulimit -u counts them, near
 * enough: threads are not counted). */
static unsigned long user_processes(void)
{
	char path[32 + sizeof(((struct dirent *)0)->d_name)];
	unsigned long n = 0;
	struct dirent *e;
	struct stat st;
	DIR *d = opendir("/proc");

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s", e->d_name);
		if (stat(path, &st) == 0 && st.st_uid == getuid())
			n++;
	}
	closedir(d);
	return n;
}

/* Under a small process limit (ulimit -u; root is not held to it), run
 * no more jobs at once than leave each room for two processes (its shell
 * and a command), as GNU parallel does; say so once. */
static void pool_fit_nproc(struct pool *p)
{
	unsigned long used, room;
	struct rlimit rl;

	if (getuid() == 0 || getrlimit(RLIMIT_NPROC, &rl) == -1 ||
	    rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > (rlim_t)p->opts.slots * 2 + 1024)
		return;
	used = user_processes();
	room = rl.rlim_cur > used ? (rl.rlim_cur - used) / 2 : 0;
	if (room < 1)
		room = 1;
	if (room >= p->opts.slots)
		return;
	report_msg(p->ev.notice, p->ev.data,
		   "only enough processes (ulimit -u %lu) to run %lu jobs at "
		   "once: running %lu at a time",
		   (unsigned long)rl.rlim_cur, room, room);
	p->opts.slots = (unsigned)room;
}

/* A child of ours ended: hand it to its job. */
static int pool_reaped(void *data, pid_t pid, int status);
static struct callbacks *pool_new_callbacks(struct pool *p);

struct pool *pool_new(struct loop *l, const struct pool_opts *opts,
		      const struct pool_events *ev)
{
	struct pool *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->loop = l;
	p->opts = *opts;
	if (p->opts.slots == 0)
		p->opts.slots = 1;
	if (ev != NULL)
		p->ev = *ev;
	pool_fit_nproc(p);
	p->devnull = -1;
	p->hold_fd[0] = p->hold_fd[1] = -1;
	p->sink_fd[0] = opts->out_fd;
	p->sink_fd[1] = opts->err_fd;
	p->self = getpid();
	p->order = order_new(opts->order);
	p->slot_busy = calloc(p->opts.slots + 1, 1);
	p->spill = spill_new(opts->mem_limit > SPILL_MEM_DEFAULT
				     ? opts->mem_limit
				     : SPILL_MEM_DEFAULT,
			     opts->tmpdir);
	if (p->order == NULL || p->slot_busy == NULL || p->spill == NULL ||
	    pool_init_env(p) == -1)
		goto fail;
	p->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (p->devnull == -1 || (p->cbs = pool_new_callbacks(p)) == NULL)
		goto fail;
	p->total = opts->total;
	if (pool_open_files(p) == -1)
		goto fail;
	if (loop_child_add(l, pool_reaped, p) == -1)
		goto fail;
	p->reaping = 1;
	return p;
fail:
	pool_free(p);
	return NULL;
}

/* Free a job and everything it owns. */
static void job_free(struct pool_job *j)
{
	size_t i;

	if (j == NULL)
		return;
	for (i = 0; i < 2; i++) {
		capture_free(j->cap[i]);
		close_keep_errno(j->files[i]);
	}
	callback_free(j->cb);
	fifo_writer_stop(j->fifo);
	for (i = 0; i < j->nrecs; i++)
		record_free(j->recs[i]);
	job_spawn_done(j);
	if (j->kill_timer != NULL)
		loop_timer_cancel(j->pool->loop, j->kill_timer);
	if (j->timeout_timer != NULL)
		loop_timer_cancel(j->pool->loop, j->timeout_timer);
	if (j->rearm_timer != NULL)
		loop_timer_cancel(j->pool->loop, j->rearm_timer);
	free(j->recs);
	free(j->args);
	free(j->command);
	free(j->program);
	free(j->refused);
	free(j);
}

void pool_free(struct pool *p)
{
	if (p == NULL)
		return;
	if (p->reaping)
		loop_child_del(p->loop, pool_reaped, p);
	record_free(p->carry);
	job_free(p->partial);
	callback_destroy(p->cbs);
	if (p->delay_timer != NULL)
		loop_timer_cancel(p->loop, p->delay_timer);
	if (p->spawn_timer != NULL)
		loop_timer_cancel(p->loop, p->spawn_timer);
	jobfiles_free(p->files);
	order_free(p->order);
	free(p->slot_busy);
	jobenv_free(p->env);
	close_keep_errno(p->devnull);
	close_keep_errno(p->hold_fd[0]);
	close_keep_errno(p->hold_fd[1]);
	spill_free(p->spill);
	free(p);
}

void pool_set_throttle(struct pool *p, int (*throttle)(void *), void *data)
{
	p->throttle = throttle;
	p->throttle_data = data;
}

void pool_set_source(struct pool *p, struct queue *q, void (*want)(void *),
		     void *data)
{
	p->q = q;
	p->want = want;
	p->want_data = data;
}

/* --- building a job ------------------------------------------------ */

/* Take the next record: the carried one, or one from the queue. */
static struct record *pool_take(struct pool *p)
{
	struct record *r = p->carry;
	void *item;

	if (r != NULL) {
		p->carry = NULL;
		return r;
	}
	if (p->q == NULL || queue_try_get(p->q, &item) == -1)
		return NULL;
	return item;
}

/* Can no record come any more? */
static int pool_source_done(const struct pool *p)
{
	return p->carry == NULL &&
	       (p->q == NULL || (queue_closed(p->q) && queue_len(p->q) == 0));
}

/* Add a record's values to the job's records and arguments. */
static int job_add_record(struct pool_job *j, struct record *r)
{
	struct record **recs;
	char **args;
	size_t cap;

	if (j->nrecs == j->recs_cap) {
		cap = j->recs_cap < 8 ? 8 : j->recs_cap * 2;
		recs = realloc(j->recs, cap * sizeof(*recs));
		if (recs == NULL)
			return -1;
		j->recs = recs;
		j->recs_cap = cap;
	}
	if (j->nargs + r->n + 1 > j->args_cap) {
		cap = j->args_cap < 8 ? 8 : j->args_cap * 2;
		if (cap < j->nargs + r->n + 1)
			cap = j->nargs + r->n + 1;
		args = realloc(j->args, cap * sizeof(*args));
		if (args == NULL)
			return -1;
		j->args = args;
		j->args_cap = cap;
	}
	memcpy(j->args + j->nargs, r->v, r->n * sizeof(char *));
	j->nargs += r->n;
	j->args[j->nargs] = NULL;
	j->recs[j->nrecs++] = r;
	j->ntasks++;
	return 0;
}

/* The cost of a record's values on the command line (-X). */
static size_t record_cost(const struct pool *p, const struct record *r)
{
	size_t i, c = 0;

	for (i = 0; i < r->n; i++)
		c += template_arg_cost(p->opts.tpl, r->v[i]);
	return c;
}

/* The most bytes one command line may take. */
static size_t pool_line_limit(const struct pool *p)
{
	size_t lim = p->arg_max;

	if (template_uses_shell(p->opts.tpl) && lim > ARG_STRLEN_MAX - 1)
		lim = ARG_STRLEN_MAX - 1;
	return lim;
}

/* Gather the records of the next job. 1: a job is ready; 0: not yet (or
 * never: see pool_source_done); -1/ENOMEM. */
static int pool_gather(struct pool *p, struct pool_job *j)
{
	size_t want = p->opts.max_args > 0 ? p->opts.max_args : 1;
	size_t cost = template_base_cost(p->opts.tpl);
	size_t limit = pool_line_limit(p);
	struct record *r;

	for (;;) {
		if (!p->opts.fill && j->nrecs >= want)
			return 1;
		r = pool_take(p);
		if (r == NULL && !pool_source_done(p) && p->want != NULL) {
			p->want(p->want_data);
			r = pool_take(p);
		}
		if (r == NULL)
			break;
		if (p->opts.fill) {
			size_t c = record_cost(p, r);

			if (j->nrecs > 0 && cost + c > limit) {
				p->carry = r;
				return 1;
			}
			cost += c;
		}
		if (job_add_record(j, r) == -1) {
			record_free(r);
			return -1;
		}
	}
	/* The queue is empty: a partial job goes only if no more can come. */
	if (j->nrecs == 0)
		return 0;
	return pool_source_done(p) ? 1 : 0;
}

/* Is one argv word or the shell string within the kernel's limits? */
static int args_fit(const struct pool *p, char *const *argv, size_t argc)
{
	size_t i, total = 0, len;

	for (i = 0; i < argc; i++) {
		len = strlen(argv[i]);
		if (len >= ARG_STRLEN_MAX)
			return 0;
		total += len + 1 + sizeof(char *);
	}
	return total <= p->arg_max;
}

/* The command as shown by -v and --dry-run: argv words quoted. */
static char *argv_display(char *const *argv, size_t argc)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < argc; i++) {
		if ((i > 0 && buf_append_char(&b, ' ') == -1) ||
		    quote_shell(&b, argv[i]) == -1) {
			buf_free(&b);
			return NULL;
		}
	}
	return buf_steal(&b);
}

/* The job's tag (--tag / --tagstring), or NULL; a record with a tag of
 * its own (a block's file) shows that as its value. */
static char *job_tag(struct pool *p, struct pool_job *j,
		     const struct template_job *tj)
{
	struct template_job shown = *tj;
	struct buf b = BUF_INIT;
	char *tagv[1];
	size_t i;

	if (j->nrecs == 1 && j->recs[0]->tag != NULL) {
		tagv[0] = (char *)j->recs[0]->tag;
		shown.args = tagv;
		shown.nargs = 1;
	}
	if (p->opts.tagstring != NULL) {
		if (template_expand_shell(p->opts.tagstring, &shown, &b,
					  NULL) == -1)
			goto fail;
	} else if (p->opts.tag) {
		for (i = 0; i < shown.nargs; i++)
			if ((i > 0 && buf_append_char(&b, ' ') == -1) ||
			    buf_append_str(&b, shown.args[i]) == -1)
				goto fail;
	} else {
		return NULL;
	}
	if (buf_append_char(&b, '\t') == -1)
		goto fail;
	return buf_steal(&b);
fail:
	buf_free(&b);
	return NULL;
}

/* The lowest free slot number (1-based). */
static unsigned pool_free_slot(struct pool *p)
{
	unsigned s;

	for (s = 1; s <= p->opts.slots; s++)
		if (!p->slot_busy[s])
			return s;
	return 0;
}

/* The job's environment: ours plus MPRUN_SEQ, MPRUN_SLOT, MPRUN_JOBID. */
static char *const *job_env(struct pool *p, struct pool_job *j, char *vars,
			    size_t varlen)
{
	int a = snprintf(vars, varlen, "MPRUN_SEQ=%llu", j->seq);
	char *add[3] = {vars, vars + a + 1, j->marker};

	snprintf(vars + a + 1, varlen - (size_t)a - 1, "MPRUN_SLOT=%u",
		 j->slot);
	return jobenv_with(p->env, add, 3);
}

/* --- output --------------------------------------------------------- */

static void job_stream_ready(struct loop *l, int fd, uint32_t events,
			     void *data);

/* Our stdout or stderr is gone: end the run, drop all output. */
static void pool_output_gone(struct pool *p)
{
	if (p->out_closed)
		return;
	p->out_closed = 1;
	pool_terminate(p);
}

/* Make the order's current writer stream, resuming its paused reads. */
static void pool_update_writer(struct pool *p)
{
	struct pool_job *w;
	size_t i;

	if (p->opts.output == POOL_UNGROUP || p->opts.retries > 0)
		return;
	w = order_writer(p->order);
	if (w == NULL || w == p->writer)
		return;
	p->writer = w;
	for (i = 0; i < 2; i++) {
		if (w->cap[i] == NULL)
			continue;
		if (capture_stream(w->cap[i]) == -1)
			pool_output_gone(p);
		loop_fd_mod(p->loop, capture_fd(w->cap[i]), EPOLLIN);
	}
}

/* Release every job whose turn it is: write its output, report it. */
static void pool_release_ready(struct pool *p)
{
	struct pool_job *j;
	size_t i;

	while ((j = order_pop_release(p->order)) != NULL) {
		if (j == p->writer)
			p->writer = NULL;
		for (i = 0; i < 2 && !p->out_closed; i++)
			if (j->cap[i] != NULL && capture_flush(j->cap[i]) == -1)
				pool_output_gone(p);
		if (!p->out_closed && callback_flush(j->cb) == -1)
			pool_output_gone(p);
		if (p->ev.done != NULL)
			p->ev.done(p->ev.data, j);
		for (i = 0; i < j->ntasks && p->q != NULL; i++)
			queue_task_done(p->q);
		job_free(j);
	}
	pool_update_writer(p);
}

/* Remove a job from the running list. */
static void pool_unlink(struct pool *p, struct pool_job *j)
{
	struct pool_job **pp;

	for (pp = &p->running; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == j) {
			*pp = j->next;
			return;
		}
	}
}

/* The job left the running set: free its slot. */
static void job_leave(struct pool *p, struct pool_job *j)
{
	pool_unlink(p, j);
	p->nrunning--;
	p->slot_busy[j->slot] = 0;
	if (j->timeout_timer != NULL) {
		loop_timer_cancel(p->loop, j->timeout_timer);
		j->timeout_timer = NULL;
	}
	if (j->kill_timer != NULL) {
		loop_timer_cancel(p->loop, j->kill_timer);
		j->kill_timer = NULL;
	}
	/* A job being ended: whatever of its tree outlived it goes too. */
	if (j->kill_step > 0)
		termtree_signal(0, j->pid, j->marker, SIGKILL);
}

/* The job and its callback are over: let its output go. */
static void job_complete(struct pool *p, struct pool_job *j)
{
	if (p->files != NULL && p->opts.results_dir == NULL)
		jobfiles_remove(p->files, j->seq);
	order_finished(p->order, j->seq);
	pool_release_ready(p);
	pool_kick(p);
}

/* Keep a runtime for the median of --timeout N%. */
static void pool_add_runtime(struct pool *p, uint64_t ms)
{
	p->runtimes[p->runtime_count++ % RUNTIME_SAMPLES] = ms;
	if (p->nruntimes < RUNTIME_SAMPLES)
		p->nruntimes++;
}

/* Should the run stop after this job (--halt)? */
static void pool_check_halt(struct pool *p, const struct pool_job *j)
{
	const struct policy_halt *h = &p->opts.halt;

	if (p->halted ||
	    !policy_halt_reached(h, p->nsucceeded, p->nfailed,
				 p->total > 0 ? p->total : p->nstarted))
		return;
	p->halted = 1;
	if (h->when == HALT_NOW)
		pool_terminate(p);
	else
		pool_close(p);
}

/* Should a failed try run again (--retries)? */
static int job_should_retry(const struct pool *p, const struct pool_job *j)
{
	return pool_job_failed(j) && j->tries <= p->opts.retries &&
	       !p->closed && !j->too_long && j->pid > 0 &&
	       j->exec_errno == 0;
}

/* Run a failed job again: its output so far is dropped. */
static void job_retry(struct pool *p, struct pool_job *j)
{
	size_t i;

	job_rearm_now(j);
	if (j->timeout_timer != NULL) {
		loop_timer_cancel(p->loop, j->timeout_timer);
		j->timeout_timer = NULL;
	}
	if (j->kill_timer != NULL) {
		loop_timer_cancel(p->loop, j->kill_timer);
		j->kill_timer = NULL;
	}
	for (i = 0; i < 2; i++) {
		capture_free(j->cap[i]);
		j->cap[i] = NULL;
		close_keep_errno(j->files[i]);
		j->files[i] = -1;
	}
	free(j->command);
	free(j->program);
	j->command = j->program = NULL;
	j->reaped = 0;
	j->wait_status = 0;
	j->exec_errno = 0;
	j->kill_step = 0;
	j->timed_out = 0;
	j->tries++;
	if (job_start(p, j) == -1) {
		pool_error(p, "cannot start a job: %s", strerror(errno));
		j->wait_status = 255 << 8;
		j->reaped = 1;
		j->pid = -1;
	}
}

/* Tell that a try of the job was ended by --timeout. */
static void job_report_timeout(struct pool *p, const struct pool_job *j)
{
	report_msg(p->ev.notice, p->ev.data,
		   "job %llu timed out after %.3fs: %s", j->seq,
		   (double)j->runtime_ms / 1000.0, pool_job_command(j));
}

/* A job that ended for good needs its block no more (--pipe). */
static void job_close_blocks(struct pool_job *j)
{
	size_t i;

	for (i = 0; i < j->nrecs; i++) {
		close_keep_errno(j->recs[i]->fd);
		j->recs[i]->fd = -1;
	}
}

/* The job is done when reaped and both streams ended; then it may run
 * again (--retries), is counted, logged, and its callback is queued. */
static void job_maybe_finished(struct pool_job *j)
{
	struct pool *p = j->pool;

	if (j->finished || !j->reaped || j->open_streams > 0)
		return;
	fifo_writer_stop(j->fifo);
	j->fifo = NULL;
	if (j->start_ms > 0)
		j->runtime_ms = loop_now_ms() - j->start_ms;
	if (j->timed_out)
		job_report_timeout(p, j);
	if (job_should_retry(p, j)) {
		job_retry(p, j);
		if (!j->reaped)
			return;
	}
	j->finished = 1;
	job_close_blocks(j);
	j->out_bytes = j->cap[0] != NULL ? capture_bytes(j->cap[0]) : 0;
	job_leave(p, j);
	if (p->halted && p->terminating && j->kill_step > 0 && !j->timed_out)
		j->halted = 1; /* cut short by --halt now: not a failure */
	else if (pool_job_failed(j))
		p->nfailed++;
	else
		p->nsucceeded++;
	if (j->pid > 0)
		pool_add_runtime(p, j->runtime_ms);
	if (p->files != NULL && j->files[0] != -1 &&
	    jobfiles_commit(p->files, j->seq, j->command, pool_job_exitval(j),
			    pool_job_signal(j)) == -1)
		pool_error(p, "%s: cannot save the job's output: %s",
			   p->opts.results_dir, strerror(errno));
	if (p->ev.finished != NULL && j->pid > 0)
		p->ev.finished(p->ev.data, j);
	pool_check_halt(p, j);
	if (j->pid > 0 && !p->terminating &&
	    (pool_job_failed(j) ? p->opts.on_error : p->opts.on_success)) {
		struct template_job tj = {j->args, j->nargs, j->seq, j->slot};

		callback_add(p->cbs, j, pool_job_failed(j), &tj);
		return;
	}
	job_complete(p, j);
}

/* A stream reached its end: stop watching it, then close it (a held job
 * keeps no descriptor). */
static void job_stream_closed(struct pool_job *j, int i)
{
	loop_fd_del(j->pool->loop, capture_fd(j->cap[i]));
	capture_close_pipe(j->cap[i]);
	j->open_streams--;
}

/* Watch the job's paused pipes again (the coalescing delay is over, or
 * the job exited and what is left must be read now). */
static void job_rearm(struct loop *l, void *data)
{
	struct pool_job *j = data;
	int i;

	j->rearm_timer = NULL;
	for (i = 0; i < 2; i++) {
		if (!j->coalesced[i] || j->cap[i] == NULL)
			continue;
		j->coalesced[i] = 0;
		if (!capture_full(j->cap[i]))
			loop_fd_mod(l, capture_fd(j->cap[i]), EPOLLIN);
	}
}

/* After a read from a running job, let its pipe fill a while before the
 * next one: a job writing in small pieces then costs us a wake-up per
 * few milliseconds, not one per write. Its exit re-arms at once. */
static void job_coalesce(struct pool_job *j, int i)
{
	struct pool *p = j->pool;

	if (j->reaped)
		return;
	loop_fd_mod(p->loop, capture_fd(j->cap[i]), 0);
	j->coalesced[i] = 1;
	if (j->rearm_timer == NULL)
		j->rearm_timer = loop_timer_add(p->loop, READ_COALESCE_MS,
						job_rearm, j);
	if (j->rearm_timer == NULL)
		job_rearm(p->loop, j);
}

/* Stop the coalescing delay and watch the pipes again. */
static void job_rearm_now(struct pool_job *j)
{
	if (j->rearm_timer != NULL)
		loop_timer_cancel(j->pool->loop, j->rearm_timer);
	job_rearm(j->pool->loop, j);
}

/* The job's output (stream i) could not be kept (no room for the spill
 * file, naming its directory, or a read error): say so, end the job, and
 * count it failed, rather than lose output silently. */
static void job_io_error(struct pool_job *j, int i)
{
	char what[1024];
	int saved = errno;

	if (j->io_error)
		return;
	j->io_error = 1;
	if (capture_store_failed(j->cap[i]))
		snprintf(what, sizeof(what),
			 "job %llu: cannot keep its output: %s", j->seq,
			 spill_dir(j->pool->spill));
	else
		snprintf(what, sizeof(what), "job %llu: cannot keep its output",
			 j->seq);
	errno = saved;
	pool_error(j->pool, "%s: %s (job ended)", what, strerror(errno));
	job_terminate(j);
}

/* Both pipes ended, most likely because the job exited: reap it now
 * rather than on the SIGCHLD that follows, so its slot is free sooner. */
static void job_try_reap(struct pool_job *j)
{
	int status;

	if (j->reaped || j->pid <= 0 || waitpid(j->pid, &status, WNOHANG) <= 0)
		return;
	j->reaped = 1;
	j->wait_status = status;
}

/* Output is waiting on one of a job's pipes. */
static void job_stream_ready(struct loop *l, int fd, uint32_t events,
			     void *data)
{
	struct pool_job *j = data;
	struct pool *p = j->pool;
	int i = capture_fd(j->cap[0]) == fd ? 0 : 1;
	uint64_t before = capture_bytes(j->cap[i]);
	int rc = capture_read(j->cap[i]);

	if (capture_bytes(j->cap[i]) > 0 && !j->had_output) {
		j->had_output = 1;
		order_output(p->order, j->seq);
		pool_update_writer(p);
	}
	if (rc == -1 && errno == EPIPE)
		pool_output_gone(p);
	else if (rc == -1 && errno == EINTR)
		; /* a Ctrl-C came while our reader was blocked: the loop
		   * ends the jobs next */
	else if (rc == -1)
		job_io_error(j, i);
	if (rc <= 0) {
		job_stream_closed(j, i);
		if (j->open_streams == 0)
			job_try_reap(j);
		job_maybe_finished(j);
		return;
	}
	if (capture_full(j->cap[i]))
		loop_fd_mod(l, fd, 0);
	else if (capture_bytes(j->cap[i]) - before < COALESCE_BELOW)
		job_coalesce(j, i);
}

/* --- starting jobs ---------------------------------------------------- */

/* Stdout to the pool's sink (a pipeline channel) unless held (map). */
static void pool_set_sink(struct pool *p, struct capture *c, int stream)
{
	if (stream == 0 && p->opts.out_sink != NULL && p->hold_fd[0] == -1)
		capture_set_sink(c, p->opts.out_sink);
}

/* Make the pipes and captures of a job; fds[] gets the child's ends. */
static int job_open_streams(struct pool *p, struct pool_job *j, int fds[2],
			    const struct template_job *tj)
{
	struct capture_opts co = {
		.mem_limit = p->opts.mem_limit,
		.spill_limit = p->opts.retries > 0 ? UINT64_MAX
						   : p->opts.spill_limit,
		.tmpdir = p->opts.tmpdir,
		.spill = p->spill,
		.flags = p->opts.output == POOL_LINES ? CAPTURE_LINES : 0,
	};
	char *tag = NULL;
	int pfd[2], i;

	if (p->opts.output == POOL_UNGROUP) {
		fds[0] = p->opts.out_fd;
		fds[1] = p->opts.err_fd;
		return 0;
	}
	tag = job_tag(p, j, tj);
	for (i = 0; i < 2; i++) {
		if (pipe2(pfd, O_CLOEXEC) == -1)
			goto fail;
		fcntl(pfd[0], F_SETFL, O_NONBLOCK);
		/* A roomy stdout pipe: the job writes on while we sleep. */
		if (i == 0)
			fcntl(pfd[0], F_SETPIPE_SZ, JOB_PIPE_SIZE);
		j->cap[i] = capture_new(pfd[0], p->sink_fd[i], tag, &co);
		if (j->cap[i] == NULL) {
			close_keep_errno(pfd[0]);
			close_keep_errno(pfd[1]);
			goto fail;
		}
		pool_set_sink(p, j->cap[i], i);
		fds[i] = pfd[1];
	}
	free(tag);
	return 0;
fail:
	free(tag);
	if (i == 1) {
		close_keep_errno(fds[0]);
		fds[0] = -1;
	}
	return -1;
}

/* Watch the job's pipes; unordered --line-buffer jobs all stream. */
static void job_watch_streams(struct pool *p, struct pool_job *j)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (j->cap[i] == NULL)
			continue;
		if (p->opts.output == POOL_LINES &&
		    p->opts.order == ORDER_UNORDERED)
			capture_stream(j->cap[i]);
		if (loop_fd_add(p->loop, capture_fd(j->cap[i]), EPOLLIN,
				job_stream_ready, j) == 0)
			j->open_streams++;
	}
}

/* The template refused the job's inputs: it fails without running. */
static int job_refuse(struct pool_job *j, const struct template_error *err)
{
	struct buf b = BUF_INIT;

	if (template_error_format(err, &b) == -1)
		return -1;
	j->refused = buf_steal(&b);
	j->command = strdup("");
	j->program = strdup("sh");
	j->wait_status = 255 << 8;
	return j->refused == NULL || j->command == NULL || j->program == NULL
		       ? -1
		       : 0;
}

/* Expand the command of a job into req (argv or shell form). */
static int job_expand(struct pool *p, struct pool_job *j,
		      const struct template_job *tj, struct exec_request *req,
		      char ***argv, struct buf *sh)
{
	struct template_error err;
	size_t argc;
	int rc;

	if (template_uses_shell(p->opts.tpl)) {
		char *words[3] = {(char *)"sh", (char *)"-c", NULL};

		rc = template_expand_shell(p->opts.tpl, tj, sh, &err);
		if (rc == -1 && errno == EDOM)
			return job_refuse(j, &err);
		if (rc == -1)
			return -1;
		words[2] = sh->data;
		req->shell_cmd = sh->data;
		j->too_long = !args_fit(p, words, 3);
		j->command = strdup(sh->data);
		j->program = strdup("sh");
	} else {
		rc = template_expand_argv(p->opts.tpl, tj, argv, &argc, &err);
		if (rc == -1 && errno == EDOM)
			return job_refuse(j, &err);
		if (rc == -1)
			return -1;
		req->argv = *argv;
		j->too_long = !args_fit(p, *argv, argc);
		j->command = argv_display(*argv, argc);
		j->program = strdup((*argv)[0]);
	}
	return j->command == NULL || j->program == NULL ? -1 : 0;
}

/* The job did not start (too long, dry run, failure): finish it now. */
static void job_finish_unstarted(struct pool *p, struct pool_job *j)
{
	size_t i;

	for (i = 0; i < 2; i++) {
		if (j->cap[i] != NULL && j->open_streams > 0) {
			loop_fd_del(p->loop, capture_fd(j->cap[i]));
			j->open_streams--;
		}
	}
	j->reaped = 1;
	j->pid = -1;
	job_maybe_finished(j);
}

/* The job's stdin: its block (--pipe), from the start at every try, its
 * pipe (--round-robin), or /dev/null (also with --fifo). */
static int job_stdin(struct pool *p, struct pool_job *j)
{
	int fd = j->nrecs > 0 ? j->recs[0]->fd : -1;

	if (fd == -1 || p->opts.fifo ||
	    (lseek(fd, 0, SEEK_SET) == -1 && errno != ESPIPE))
		return p->devnull;
	return fd;
}

/* Spawn the job's process with its child ends of the pipes in fds. */
static int job_spawn(struct pool *p, struct pool_job *j,
		     struct exec_request *req, const int fds[2])
{
	char vars[96];
	int rc;

	req->envp = job_env(p, j, vars, sizeof(vars));
	req->fd_in = job_stdin(p, j);
	req->fd_out = fds[0];
	req->fd_err = fds[1];
	req->sigmask = loop_orig_sigmask(p->loop);
	req->slot = j->slot;
	req->seq = j->seq;
	req->args = j->args;
	req->nargs = j->nargs;
	rc = p->opts.exec->spawn(p->opts.exec->ctx, req, &j->pid,
				 &j->exec_errno);
	return rc;
}

/* The spawn-retry timer, or a child of ours was reaped: try again. */
static void pool_spawn_retry(struct loop *l, void *data)
{
	struct pool *p = data;
	struct pool_job *j = p->spawn_wait;

	p->spawn_timer = NULL;
	if (j == NULL)
		return;
	if (job_exec(p, j) == -1) {
		job_spawn_done(j);
		job_spawn_failed(p, j);
	}
	pool_kick(p);
}

/* fork failed with EAGAIN: try again on a timer with back-off (and at
 * once when one of our children is reaped); start nothing else meanwhile.
 * With none of ours running to free a process, give up after a while. */
static int pool_spawn_later(struct pool *p, struct pool_job *j)
{
	uint64_t now = loop_now_ms();

	if (p->spawn_wait != j) {
		p->spawn_wait = j;
		p->spawn_since = now;
		p->spawn_backoff = SPAWN_RETRY_MS;
	} else if (p->spawn_backoff < SPAWN_RETRY_MAX_MS) {
		p->spawn_backoff *= 2;
	}
	if (p->nrunning <= 1 && now - p->spawn_since > SPAWN_GIVE_UP_MS) {
		errno = EAGAIN;
		return -1;
	}
	if (!p->spawn_said && p->ev.notice != NULL) {
		p->spawn_said = 1;
		p->ev.notice(p->ev.data, "cannot start more processes now "
			     "(fork: Resource temporarily unavailable): "
			     "waiting for running jobs to end");
	}
	j->pid = 0;
	if (p->spawn_timer == NULL)
		p->spawn_timer = loop_timer_add(p->loop, p->spawn_backoff,
						pool_spawn_retry, p);
	return p->spawn_timer == NULL ? -1 : 0;
}

/* A spawn waiting for EAGAIN to pass is given up (terminate, free). */
static void pool_spawn_cancel(struct pool *p)
{
	struct pool_job *j = p->spawn_wait;

	if (p->spawn_timer != NULL)
		loop_timer_cancel(p->loop, p->spawn_timer);
	p->spawn_timer = NULL;
	p->spawn_wait = NULL;
	if (j == NULL)
		return;
	job_spawn_done(j);
	j->wait_status = 255 << 8;
	job_finish_unstarted(p, j);
}

/* Close the child's ends of the pipes (not the shared ungrouped ones). */
static void job_close_child_ends(struct pool *p, int fds[2])
{
	int i;

	if (p->opts.output == POOL_UNGROUP)
		return;
	for (i = 0; i < 2; i++) {
		close_keep_errno(fds[i]);
		fds[i] = -1;
	}
}

/* Count the job as started: sequence number, slot, order. */
static int pool_register(struct pool *p, struct pool_job *j)
{
	if (order_started(p->order, p->seq + 1, j) == -1)
		return -1;
	j->pool = p;
	j->seq = ++p->seq;
	j->slot = pool_free_slot(p);
	p->slot_busy[j->slot] = 1;
	p->nrunning++;
	p->nstarted++;
	j->next = p->running;
	p->running = j;
	if (p->opts.group > 0)
		snprintf(j->marker, sizeof(j->marker),
			 "MPRUN_JOBID=%ld.%u.%llu", (long)p->self,
			 p->opts.group, j->seq);
	else
		snprintf(j->marker, sizeof(j->marker), "MPRUN_JOBID=%ld.%llu",
			 (long)p->self, j->seq);
	return 0;
}

/* The timeout of a job starting now, in ms; 0 for none. */
static uint64_t pool_timeout_ms(struct pool *p)
{
	uint64_t s[RUNTIME_SAMPLES], v;
	size_t n = p->nruntimes, i, k;

	if (p->opts.timeout_pct == 0)
		return p->opts.timeout_ms;
	if (n < RUNTIME_MIN_SAMPLES)
		return 0;
	memcpy(s, p->runtimes, n * sizeof(s[0]));
	for (i = 1; i < n; i++) { /* insertion sort: n is small */
		v = s[i];
		for (k = i; k > 0 && s[k - 1] > v; k--)
			s[k] = s[k - 1];
		s[k] = v;
	}
	v = s[n / 2] * p->opts.timeout_pct / 100;
	return v > 0 ? v : 1;
}

/* --timeout: the job ran too long; end its tree, it fails. */
static void job_timeout(struct loop *l, void *data)
{
	struct pool_job *j = data;

	j->timeout_timer = NULL;
	j->timed_out = 1;
	job_terminate(j);
}

/* Open the job's --results / callback files and tee its output there. */
static int job_open_files(struct pool *p, struct pool_job *j)
{
	int i;

	if (p->files == NULL || j->cap[0] == NULL)
		return 0;
	if (jobfiles_open(p->files, j->seq, j->files) == -1)
		return -1;
	for (i = 0; i < 2; i++)
		capture_tee(j->cap[i], j->files[i]);
	return 0;
}

/* A started job that will never be expanded again (no retry, no callback)
 * keeps only its first record (for messages): big batches (-n 10000) then
 * do not hold their inputs while they run. */
static void job_drop_records(struct pool *p, struct pool_job *j)
{
	size_t i;

	if (p->opts.retries > 0 || p->opts.on_success != NULL ||
	    p->opts.on_error != NULL || j->nrecs <= 1)
		return;
	for (i = 1; i < j->nrecs; i++)
		record_free(j->recs[i]);
	j->nrecs = 1;
	j->nargs = j->recs[0]->n;
	j->args[j->nargs] = NULL;
}

/* What a job needs to spawn, kept while fork fails with EAGAIN. */
struct job_spawn_args {
	struct exec_request req;
	char **argv;
	struct buf sh;
	int fds[2]; /* the child's ends of its output pipes */
};

/* The job needs its spawn arguments no more (it runs, or will not): free
 * them (the child ends are closed) and stop waiting to spawn it. */
static void job_spawn_done(struct pool_job *j)
{
	struct pool *p = j->pool;
	struct job_spawn_args *a = j->spawn;

	if (p != NULL && p->spawn_wait == j)
		p->spawn_wait = NULL;
	if (a == NULL)
		return;
	job_close_child_ends(p, a->fds);
	free(a->argv);
	buf_free(&a->sh);
	free(a);
	j->spawn = NULL;
}

/* The job's process runs: watch it. */
static void job_running(struct pool *p, struct pool_job *j)
{
	uint64_t tmo;

	job_drop_records(p, j);
	p->last_start_ms = j->start_ms;
	job_watch_streams(p, j);
	tmo = pool_timeout_ms(p);
	if (tmo > 0)
		j->timeout_timer = loop_timer_add(p->loop, tmo, job_timeout, j);
	pool_update_writer(p);
}

/* Give up on a job that could not be spawned: it fails. */
static void job_spawn_failed(struct pool *p, struct pool_job *j)
{
	pool_error(p, "cannot start a job: %s", strerror(errno));
	j->wait_status = 255 << 8;
	job_finish_unstarted(p, j);
}

/* --fifo: write the job's block into its named pipe from the loop. */
static void job_fifo_start(struct pool *p, struct pool_job *j)
{
	const struct record *r = j->nrecs > 0 ? j->recs[0] : NULL;

	if (!p->opts.fifo || r == NULL || !r->fifo || r->fd == -1)
		return;
	j->fifo = fifo_writer_start(p->loop, r->v[0], r->fd);
	if (j->fifo == NULL)
		pool_error(p, "job %llu: cannot write its block into %s: %s",
			   j->seq, r->v[0], strerror(errno));
}

/* Spawn the job from j->spawn; 0 (running or waiting to retry) or -1. */
static int job_exec(struct pool *p, struct pool_job *j)
{
	struct job_spawn_args *a = j->spawn;

	/* taken before the spawn: a timer the job sets up counts from no
	 * earlier than this */
	j->start_ms = loop_now_ms();
	if (job_spawn(p, j, &a->req, a->fds) == -1) {
		j->start_ms = 0;
		if (errno == EAGAIN && !p->terminating)
			return pool_spawn_later(p, j);
		return -1;
	}
	job_spawn_done(j);
	job_running(p, j);
	job_fifo_start(p, j);
	return 0;
}

/* Expand, spawn and watch a registered job (also for a retry). On -1 the
 * caller finishes the job as failed. */
static int job_start(struct pool *p, struct pool_job *j)
{
	struct template_job tj;
	struct job_spawn_args *a;

	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return -1;
	a->fds[0] = a->fds[1] = -1;
	a->sh = (struct buf)BUF_INIT;
	j->spawn = a;
	tj = (struct template_job){j->args, j->nargs, j->seq, j->slot};
	if (job_expand(p, j, &tj, &a->req, &a->argv, &a->sh) == -1)
		goto fail;
	if (p->ev.launch != NULL && !j->too_long && j->refused == NULL)
		p->ev.launch(p->ev.data, j);
	if (p->opts.dry_run || j->too_long || j->refused != NULL) {
		job_spawn_done(j);
		job_finish_unstarted(p, j);
		return 0;
	}
	if (job_open_streams(p, j, a->fds, &tj) == -1 ||
	    job_open_files(p, j) == -1)
		goto fail;
	return job_exec(p, j);
fail:
	job_spawn_done(j);
	return -1;
}

/* Build and start one job from the records gathered in j. On -1 the job
 * was not registered and is still the caller's. */
static int pool_launch(struct pool *p, struct pool_job *j)
{
	if (pool_register(p, j) == -1)
		return -1;
	j->tries = 1;
	j->start_wall_ms = clock_wall_ms();
	if (job_start(p, j) == -1)
		job_spawn_failed(p, j);
	return 0;
}

/* --resume: the job's number is taken, but it does not run or count. */
static int pool_skip(struct pool *p, struct pool_job *j)
{
	size_t i;

	if (p->ev.skip == NULL || !p->ev.skip(p->ev.data, p->seq + 1))
		return 0;
	p->seq++;
	for (i = 0; i < j->ntasks && p->q != NULL; i++)
		queue_task_done(p->q);
	job_free(j);
	return 1;
}

/* --delay: wake the pool when the next job may start. */
static void pool_delay_over(struct loop *l, void *data)
{
	struct pool *p = data;

	p->delay_timer = NULL;
	pool_kick(p);
}

/* Must the next start wait for --delay? Then arm the timer. */
static int pool_delayed(struct pool *p)
{
	uint64_t now, next;

	if (p->opts.delay_ms == 0 || p->last_start_ms == 0)
		return 0;
	now = loop_now_ms();
	next = p->last_start_ms + p->opts.delay_ms;
	if (now >= next)
		return 0;
	if (p->delay_timer == NULL)
		p->delay_timer = loop_timer_add(p->loop, next - now,
						pool_delay_over, p);
	return 1;
}

/* Start jobs while there are free slots and records. */
static void pool_fill(struct pool *p)
{
	struct pool_job *j;
	int rc;

	while (!p->closed && p->nrunning < p->opts.slots &&
	       p->spawn_wait == NULL && !pool_delayed(p) &&
	       (p->throttle == NULL || !p->throttle(p->throttle_data))) {
		if (p->partial == NULL) {
			p->partial = calloc(1, sizeof(*p->partial));
			if (p->partial == NULL)
				break;
			p->partial->files[0] = p->partial->files[1] = -1;
		}
		p->partial->pool = p;
		rc = pool_gather(p, p->partial);
		if (rc == 0 && p->partial->nrecs == 0 && pool_source_done(p)) {
			job_free(p->partial);
			p->partial = NULL;
		}
		if (rc != 1)
			break;
		j = p->partial;
		p->partial = NULL;
		if (pool_skip(p, j))
			continue;
		if (pool_launch(p, j) == -1) {
			pool_error(p, "cannot start a job: %s",
				   strerror(errno));
			job_free(j);
			break;
		}
	}
	pool_check_finished(p);
}

void pool_kick(struct pool *p)
{
	if (p->in_kick) {
		p->kick_again = 1;
		return;
	}
	p->in_kick = 1;
	do {
		p->kick_again = 0;
		if (p->started)
			pool_fill(p);
	} while (p->kick_again);
	p->in_kick = 0;
	pool_check_finished(p);
}

/* --- callbacks (--on-success, --on-error) ------------------------------ */

/* callback opts.vars: what the job's callback needs to know. */
static int job_cb_vars(void *data, struct buf *b)
{
	struct pool_job *j = data;
	char out[4096] = "", err[4096] = "";

	if (j->files[0] != -1) {
		jobfiles_path(j->pool->files, j->seq, 0, out, sizeof(out));
		jobfiles_path(j->pool->files, j->seq, 1, err, sizeof(err));
	}
	return buf_printf(b,
			  "MPRUN_SEQ=%llu%cMPRUN_SLOT=%u%cMPRUN_EXIT=%d%c"
			  "MPRUN_SIGNAL=%d%cMPRUN_RUNTIME=%.3f%cMPRUN_STDOUT=%s%c"
			  "MPRUN_STDERR=%s%c%s%c",
			  j->seq, 0, j->slot, 0, pool_job_exitval(j), 0,
			  pool_job_signal(j), 0, (double)j->runtime_ms / 1000.0,
			  0, out, 0, err, 0, j->marker, 0);
}

/* callback opts.done: the job and its callback are over. */
static void job_cb_done(void *data, struct callback *cb)
{
	struct pool_job *j = data;

	j->cb = cb;
	job_complete(j->pool, j);
}

/* The callback queue: its output goes where the jobs' does. */
static struct callbacks *pool_new_callbacks(struct pool *p)
{
	int direct = p->opts.output == POOL_UNGROUP;
	struct callback_opts co = {
		.cmd = {p->opts.on_success, p->opts.on_error},
		.noun = "job",
		.how = {{"failed with exit status ", ""},
			{"was killed by signal ", ""}},
		.exec = p->opts.exec,
		.env = jobenv_base(p->env),
		.fd_in = p->devnull,
		.out = {{p->sink_fd[0], p->opts.out_sink, direct},
			{p->sink_fd[1], NULL, direct}},
		.mem_limit = p->opts.mem_limit,
		.tmpdir = p->opts.tmpdir,
		.termseq = &p->opts.termseq,
		.vars = job_cb_vars,
		.done = job_cb_done,
		.notice = p->ev.notice,
		.ctx = p->ev.data,
	};

	return callback_new(p->loop, &co);
}

/* --- reaping and ending ------------------------------------------------ */

/* The running job of a pid, or NULL. */
static struct pool_job *job_by_pid(struct pool *p, pid_t pid)
{
	struct pool_job *j;

	for (j = p->running; j != NULL; j = j->next)
		if (j->pid == pid && !j->reaped)
			return j;
	return NULL;
}

static int pool_reaped(void *data, pid_t pid, int status)
{
	struct pool *p = data;
	struct pool_job *j = job_by_pid(p, pid);

	if (j == NULL)
		return 0;
	j->reaped = 1;
	j->wait_status = status;
	job_rearm_now(j);
	job_maybe_finished(j);
	if (p->spawn_wait != NULL && p->spawn_timer != NULL) {
		/* a process was freed: the waiting spawn may work now */
		loop_timer_cancel(p->loop, p->spawn_timer);
		p->spawn_timer = loop_timer_add(p->loop, 0, pool_spawn_retry, p);
	}
	return 1;
}

/* Is anything of the job's tree still alive? */
static int job_tree_alive(struct pool_job *j)
{
	pid_t *pids = NULL;
	size_t n = 0;

	if (termtree_collect(j->reaped ? 0 : j->pid, j->pid, j->marker, &pids,
			     &n) == -1)
		return !j->reaped;
	free(pids);
	return n > 0;
}

/* Send the next signal of the termination sequence to the job's tree. */
static void job_kill_step(struct loop *l, void *data)
{
	struct pool_job *j = data;
	const struct termseq *ts = &j->pool->opts.termseq;

	int remote = 0;

	j->kill_timer = NULL;
	if (j->kill_step >= ts->n || !job_tree_alive(j))
		return;
	if (j->pool->opts.exec->terminate != NULL && !j->reaped)
		remote = j->pool->opts.exec->terminate(
			j->pool->opts.exec->ctx, j->pid, j->slot,
			ts->sig[j->kill_step]);
	if (!remote)
		termtree_signal(j->reaped ? 0 : j->pid, j->pid, j->marker,
				ts->sig[j->kill_step]);
	j->kill_timer = loop_timer_add(l, ts->ms[j->kill_step], job_kill_step,
				       j);
	j->kill_step++;
}

/* End a running job's whole tree with the termination sequence. */
static void job_terminate(struct pool_job *j)
{
	if (j->kill_step > 0 || j->pid <= 0)
		return;
	job_kill_step(j->pool->loop, j);
}

void pool_close(struct pool *p)
{
	p->closed = 1;
	pool_check_finished(p);
}

void pool_terminate(struct pool *p)
{
	struct pool_job *j;

	p->closed = 1;
	p->terminating = 1;
	pool_spawn_cancel(p);
	for (j = p->running; j != NULL; j = j->next)
		job_terminate(j);
	callback_terminate(p->cbs);
	pool_check_finished(p);
}

void pool_halt_now(struct pool *p)
{
	p->halted = 1;
	pool_terminate(p);
}

/* --- running ------------------------------------------------------------ */

/* Open the files that hold output until the end (--order map). */
static int pool_open_hold(struct pool *p)
{
	struct callback_stream held = {.fd = -1};
	int i;

	for (i = 0; i < 2; i++) {
		p->hold_fd[i] = hold_open(p->opts.tmpdir);
		if (p->hold_fd[i] == -1)
			return -1;
		held.fd = p->sink_fd[i] = p->hold_fd[i];
		callback_set_stream(p->cbs, i, &held);
	}
	return 0;
}

/* Everything done? Then flush held output and stop the loop. */
static void pool_check_finished(struct pool *p)
{
	size_t i;

	if (p->finished || !p->started || p->nrunning > 0 ||
	    order_pending(p->order) > 0 || p->in_kick)
		return;
	if (!p->closed && (!pool_source_done(p) || p->partial != NULL))
		return;
	p->finished = 1;
	for (i = 0; i < 2; i++) {
		if (p->hold_fd[i] == -1 || p->out_closed)
			continue;
		if (hold_copy(p->hold_fd[i],
			      i == 0 ? p->opts.out_fd : p->opts.err_fd,
			      i == 0 ? p->opts.out_sink : NULL) == -1)
			p->out_closed = 1;
	}
	loop_stop(p->loop);
}

void pool_start(struct pool *p)
{
	if (p->opts.order == ORDER_MAP && p->opts.output != POOL_UNGROUP &&
	    !p->opts.dry_run && pool_open_hold(p) == -1)
		pool_error(p, "cannot hold output for --order map: %s",
			   strerror(errno));
	p->started = 1;
	pool_kick(p);
}

int pool_run(struct pool *p)
{
	pool_start(p);
	while (!p->finished)
		if (loop_run_once(p->loop) == -1)
			return -1;
	return 0;
}

int pool_finished(const struct pool *p)
{
	return p->finished;
}

unsigned long long pool_started(const struct pool *p)
{
	return p->nstarted;
}

unsigned long long pool_succeeded(const struct pool *p)
{
	return p->nsucceeded;
}

unsigned long long pool_failed(const struct pool *p)
{
	return p->nfailed;
}

int pool_output_closed(const struct pool *p)
{
	return p->out_closed;
}

/* --- jobs as the events see them ------------------------------------ */

unsigned long long pool_job_seq(const struct pool_job *j)
{
	return j->seq;
}

unsigned pool_job_slot(const struct pool_job *j)
{
	return j->slot;
}

const char *pool_job_command(const struct pool_job *j)
{
	return j->command != NULL ? j->command : "";
}

int pool_job_wait_status(const struct pool_job *j)
{
	return j->wait_status;
}

int pool_job_exec_errno(const struct pool_job *j)
{
	return j->exec_errno;
}

int pool_job_too_long(const struct pool_job *j)
{
	return j->too_long;
}

const char *pool_job_refused(const struct pool_job *j)
{
	return j->refused;
}

int pool_job_failed(const struct pool_job *j)
{
	if (j->pool->opts.dry_run && !j->too_long && j->refused == NULL)
		return 0;
	return j->too_long || j->refused != NULL || j->timed_out ||
	       j->io_error ||
	       !WIFEXITED(j->wait_status) ||
	       WEXITSTATUS(j->wait_status) != 0;
}

const char *pool_job_program(const struct pool_job *j)
{
	return j->program != NULL ? j->program : "";
}

const char *pool_job_origin(const struct pool_job *j)
{
	return j->nrecs > 0 && j->recs[0]->origin != NULL ? j->recs[0]->origin
							   : "";
}

unsigned long long pool_job_lineno(const struct pool_job *j)
{
	return j->nrecs > 0 ? j->recs[0]->lineno : 0;
}

uint64_t pool_job_start_ms(const struct pool_job *j)
{
	return j->start_wall_ms;
}

uint64_t pool_job_runtime_ms(const struct pool_job *j)
{
	return j->runtime_ms;
}

uint64_t pool_job_output_bytes(const struct pool_job *j)
{
	return j->out_bytes;
}

uint64_t pool_job_input_bytes(const struct pool_job *j)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < j->nrecs; i++)
		n += j->recs[i]->bytes;
	return n;
}

int pool_job_exitval(const struct pool_job *j)
{
	if (WIFSIGNALED(j->wait_status))
		return 128 + WTERMSIG(j->wait_status);
	return WIFEXITED(j->wait_status) ? WEXITSTATUS(j->wait_status) : -1;
}

int pool_job_signal(const struct pool_job *j)
{
	return WIFSIGNALED(j->wait_status) ? WTERMSIG(j->wait_status) : 0;
}

int pool_job_timed_out(const struct pool_job *j)
{
	return j->timed_out;
}

unsigned pool_job_tries(const struct pool_job *j)
{
	return j->tries;
}

unsigned pool_running(const struct pool *p)
{
	return p->nrunning;
}

unsigned long long pool_callbacks_failed(const struct pool *p)
{
	return callback_failures(p->cbs);
}

int pool_halted(const struct pool *p)
{
	return p->halted;
}

void pool_set_total(struct pool *p, unsigned long long total)
{
	p->total = total;
}

int pool_job_terminated(const struct pool_job *j)
{
	return j->kill_step > 0;
}

const char *pool_job_host(const struct pool_job *j)
{
	const struct executor *e = j->pool->opts.exec;
	const char *h = e->host != NULL ? e->host(e->ctx, j->slot) : NULL;

	return h != NULL ? h : ":";
}
