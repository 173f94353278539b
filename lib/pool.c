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
#include "dirs.h"
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
#include "slot.h"
#include "template.h"

/* The kernel's limit on one argument string (MAX_ARG_STRLEN). */
#define ARG_STRLEN_MAX (32 * 4096)
/* The size asked for each job's output pipes (the kernel may give less). */
#define JOB_PIPE_SIZE (1 << 20)
/* How long a running job's pipe may fill before we read it again. */
#define READ_COALESCE_MS 1
/* ... when a read found less than this in the pipe. */
#define COALESCE_BELOW (32 << 10)
/* After the run is ended (Ctrl-C, --halt now), how long a job whose process
 * is gone may keep its pipes open (see job_grace()). */
#define PIPE_GRACE_MS 300

struct pool_job {
	struct sched_task task; /* first: what every task has */
	struct pool *pool;
	struct pool_job *next; /* the pool's running jobs */
	struct slot_tree tree; /* its process, reaped or not, ended how */
	int exec_errno;
	int wait_status;
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
	size_t cost; /* -X: the command line's bytes so far (0: none yet) */
	char *command; /* display form */
	char *program;
	struct loop_timer *rearm_timer; /* read coalescing */
	/* The run is being ended and the job's process is gone, but its
	 * pipes are still open (held by a process that left its tree): they
	 * are closed when this runs out. */
	struct loop_timer *grace_timer;
	int coalesced[2];
	int paused[2];  /* not read: its capture is full or its sink is */
	int io_error;   /* its output could not be kept */
	int halted;     /* ended by --halt now: counts neither way */
	int files[2];               /* --results / callback copies, or -1 */
	char *place;                /* its --results place, or NULL */
	int saved;                  /* its files are saved (closed) */
	int start_said;             /* why it could not start is said */
	struct job_spawn_args *spawn; /* while being started */
	struct callback *cb;        /* its callback, once over (its output) */
	struct fifo_writer *fifo;   /* --fifo: writing its block */
	int evicted;                /* ended by sched_evict: runs again */
	int parked;                 /* evicted and over: waits, in its slot,
				     * for the throttle to let it run */
};

struct pool {
	struct sched s; /* first: the scheduler's state */
	struct pool_opts opts;
	struct record *carry; /* taken from the queue, for the next job */
	/* opts.spread: the records put back for the next jobs, and how many
	 * each takes from then on (0: not spread yet) */
	struct record **back;
	size_t nback, back_at, spread_max;
	int spread_done;
	struct pool_job *partial; /* the job whose records are being gathered */
	struct pool_job *running;
	unsigned char *slot_busy;
	int sink_fd[2]; /* where captures write */
	struct spill *spill; /* held output: one memory budget and file */
	struct jobenv *env; /* environ without our variables, + opts.env */
	size_t arg_max; /* bytes available for a command line */
	struct pool_job *writer;
	/* job control */
	struct jobfiles *files;
	uint64_t last_start_ms;
	struct loop_timer *delay_timer;
	struct loop_timer *fd_timer; /* out of descriptors, none of our jobs
				      * running: start nothing until it
				      * fires (a callback may free some) */
	unsigned fd_tries;
	/* fork failed with EAGAIN: the job waiting to be spawned again */
	struct pool_job *spawn_wait;
	unsigned nparked;       /* evicted jobs waiting to run again */
	unsigned npaused;       /* paused streams of running jobs */
};

static int job_start(struct pool *p, struct pool_job *j);
static int job_exec(struct pool *p, struct pool_job *j);
static void job_spawn_failed(struct pool *p, struct pool_job *j);
static void job_spawn_done(struct pool_job *j);
static void job_finish_unstarted(struct pool *p, struct pool_job *j);

/* Report an error message (printf-style) through the events. */
#define pool_error(p, ...) report_msg((p)->s.ev.error, (p)->s.ev.data, __VA_ARGS__)

/* The variables mprun sets in each job's environment (never inherited). */
static const char *const pool_job_vars[] = {"MPRUN_SEQ", "MPRUN_SLOT",
					    "MPRUN_JOBID", NULL};

/* The jobs' environment, and the command-line room it leaves. */
static int pool_init_env(struct pool *p)
{
	long argmax = sysconf(_SC_ARG_MAX);
	size_t bytes;
	const char *vars[] = {pool_job_vars[0], pool_job_vars[1],
			      pool_job_vars[2], p->opts.slot_var, NULL};

	p->env = jobenv_new(vars, p->opts.env);
	if (p->env == NULL)
		return -1;
	if (argmax <= 0)
		argmax = 131072;
	bytes = jobenv_bytes(p->env) + JOBENV_ARG_MARGIN;
	if ((size_t)argmax <= bytes) {
		pool_error(p, "the environment takes %zu bytes of the %ld the "
			      "kernel allows a command with it: no room is left "
			      "for the commands (unset some variables)",
			   jobenv_bytes(p->env), argmax);
		errno = E2BIG;
		return -1;
	}
	p->arg_max = (size_t)argmax - bytes;
	return 0;
}

/* The per-job files, when --results or a callback needs them. */
static int pool_open_files(struct pool *p)
{
	const struct pool_opts *o = &p->opts;

	if (o->dry_run || o->output == POOL_UNGROUP ||
	    (o->results_dir == NULL && o->results_place == NULL &&
	     o->sched.on_success == NULL && o->sched.on_error == NULL))
		return 0;
	p->files = jobfiles_new(o->results_place != NULL ? ""
							 : o->results_dir,
				o->sched.tmpdir);
	if (p->files == NULL) {
		if (o->results_dir != NULL)
			pool_error(p, "--results %s: %s", o->results_dir,
				   dirs_strerror(errno));
		else
			pool_error(p, "a directory for the jobs' files in "
				   "%s: %s", hold_dir(o->sched.tmpdir),
				   dirs_strerror(errno));
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

/* Under a small limit (ulimit -FLAG LIMIT of what), run at most room
 * jobs at once; say so once. */
static void pool_fit(struct pool *p, const char *what, char flag,
		     rlim_t limit, unsigned long room)
{
	if (room < 1)
		room = 1;
	if (room >= p->opts.sched.slots)
		return;
	report_msg(p->s.ev.notice, p->s.ev.data,
		   "only enough %s (ulimit -%c %lu) to run %lu jobs at once: "
		   "running %lu at a time",
		   what, flag, (unsigned long)limit, room, room);
	p->opts.sched.slots = (unsigned)room;
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
	    rl.rlim_cur > (rlim_t)p->opts.sched.slots * 2 + 1024)
		return;
	used = user_processes();
	room = rl.rlim_cur > used ? (rl.rlim_cur - used) / 2 : 0;
	pool_fit(p, "processes", 'u', rl.rlim_cur, room);
}

/* The descriptors we have open. */
static unsigned long open_fds(void)
{
	unsigned long n = 0;
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n > 0 ? n - 1 : 0; /* not the directory's own */
}

/* Under a small descriptor limit (ulimit -n, after raising it to the hard
 * one), run no more jobs at once than there are descriptors for, as GNU
 * parallel does, instead of failing the jobs that find none; say so once.
 * A job holds its two output pipes, and two files with --results or a
 * callback; starting one takes two more for a moment. (Should a job find
 * none all the same, job_wait_for_fds() runs fewer.) */
static void pool_fit_nofile(struct pool *p)
{
	const struct pool_opts *o = &p->opts;
	int cbs = o->sched.on_success != NULL || o->sched.on_error != NULL;
	unsigned long per_job = 2, used, room;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > (rlim_t)o->sched.slots * 8 + 1024)
		return;
	if (cbs || o->results_dir != NULL || o->results_place != NULL)
		per_job += 2;
	/* a spawn (both ends of its pipes, its stdin), a spill file, and two
	 * to spare: what a job and a callback start holds at once is more
	 * than this sum only by a moment (seen: 39 of 40 without them) */
	used = open_fds() + 8;
	if (cbs)
		used += 6; /* the callback running: both ends of its two
			    * pipes while it starts, its stdin, a file */
	room = rl.rlim_cur > used ? (rl.rlim_cur - used) / per_job : 0;
	pool_fit(p, "file descriptors", 'n', rl.rlim_cur, room);
}

static int pool_new_callbacks(struct pool *p);

static const struct slot_ops pool_ops;

struct sched *pool_new(struct loop *l, const struct pool_opts *opts,
		       const struct sched_events *ev)
{
	struct pool *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->opts = *opts;
	if (sched_init(&p->s, &pool_ops, l, &p->opts.sched, ev) == -1)
		goto fail;
	if (p->opts.sched.slots == 0)
		p->opts.sched.slots = 1;
	pool_fit_nproc(p);
	p->sink_fd[0] = opts->sched.out_fd;
	p->sink_fd[1] = opts->sched.err_fd;
	p->s.noun = "jobs";
	p->s.total = opts->total;
	p->s.timeout_pct = opts->timeout_pct;
	p->slot_busy = calloc(p->opts.sched.slots + 1, 1);
	p->spill = spill_new(opts->mem_limit > SPILL_MEM_DEFAULT
				     ? opts->mem_limit
				     : SPILL_MEM_DEFAULT,
			     opts->sched.tmpdir);
	if (p->slot_busy == NULL || p->spill == NULL ||
	    pool_init_env(p) == -1)
		goto fail;
	if (pool_new_callbacks(p) == -1 || pool_open_files(p) == -1)
		goto fail;
	return &p->s;
fail:
	sched_free(&p->s);
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
	sched_tree_stop(&j->tree);
	sched_timeout_stop(&j->task);
	if (j->rearm_timer != NULL)
		loop_timer_cancel(j->pool->s.loop, j->rearm_timer);
	if (j->grace_timer != NULL)
		loop_timer_cancel(j->pool->s.loop, j->grace_timer);
	free(j->recs);
	free(j->args);
	free(j->command);
	free(j->program);
	free(j->refused);
	free(j->place);
	free(j);
}

/* slot_ops.destroy: free what is the pool's. */
static void pool_destroy(struct sched *s)
{
	struct pool *p = (struct pool *)s;

	record_free(p->carry);
	while (p->back_at < p->nback)
		record_free(p->back[p->back_at++]);
	free(p->back);
	job_free(p->partial);
	if (p->delay_timer != NULL)
		loop_timer_cancel(p->s.loop, p->delay_timer);
	if (p->fd_timer != NULL)
		loop_timer_cancel(p->s.loop, p->fd_timer);
	jobfiles_free(p->files);
	free(p->slot_busy);
	jobenv_free(p->env);
	spill_free(p->spill);
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
	if (p->back_at < p->nback)
		return p->back[p->back_at++];
	if (p->s.q == NULL || queue_try_get(p->s.q, &item) == -1)
		return NULL;
	return item;
}

/* Can no record come any more? */
static int pool_source_done(const struct pool *p)
{
	return p->carry == NULL && p->back_at == p->nback &&
	       sched_queue_done(&p->s);
}

/* -X, -m: the job reached the end of the input with several records:
 * it keeps its share of the slots (GNU parallel's ceil(n / slots)), the
 * rest is put back, and each later job takes as many. 0 or -1/ENOMEM. */
static int pool_spread(struct pool *p, struct pool_job *j)
{
	size_t per, i, nargs = 0;

	if (!p->opts.spread || p->spread_done || j->nrecs < 2)
		return 0;
	p->spread_done = 1;
	per = (j->nrecs + p->opts.sched.slots - 1) / p->opts.sched.slots;
	if (per >= j->nrecs)
		return 0;
	p->back = malloc((j->nrecs - per) * sizeof(*p->back));
	if (p->back == NULL)
		return -1;
	for (i = per; i < j->nrecs; i++)
		p->back[p->nback++] = j->recs[i];
	for (i = 0; i < per; i++)
		nargs += j->recs[i]->n;
	j->ntasks -= j->nrecs - per;
	j->nrecs = per;
	j->nargs = nargs;
	j->args[nargs] = NULL;
	p->spread_max = per;
	return 0;
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
	size_t limit = pool_line_limit(p);
	struct record *r;

	/* (a job may take its records over several calls: the queue ran
	 * dry before it was full) */
	if (j->cost == 0)
		j->cost = template_base_cost(p->opts.tpl);
	for (;;) {
		if (!p->opts.fill && j->nrecs >= want)
			return 1;
		if (p->spread_max > 0 && j->nrecs >= p->spread_max)
			return 1;
		r = pool_take(p);
		if (r == NULL && !pool_source_done(p) && p->s.want != NULL) {
			p->s.want(p->s.want_data);
			r = pool_take(p);
		}
		if (r == NULL)
			break;
		if (p->opts.fill) {
			size_t c = record_cost(p, r);

			/* -n with -X: at most that many; one more came, so
			 * this job does not reach the end (no spread) */
			if ((p->opts.max_args > 0 &&
			     j->nrecs >= p->opts.max_args) ||
			    (j->nrecs > 0 && j->cost + c > limit)) {
				p->carry = r;
				return 1;
			}
			j->cost += c;
		}
		if (job_add_record(j, r) == -1) {
			record_free(r);
			return -1;
		}
	}
	/* The queue is empty: a partial job goes only if no more can come. */
	if (j->nrecs == 0 || !pool_source_done(p))
		return 0;
	return pool_spread(p, j) == -1 ? -1 : 1;
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
	if (p->opts.sched.tagstring != NULL) {
		if (template_expand_shell(p->opts.sched.tagstring, &shown, &b,
					  NULL) == -1)
			goto fail;
	} else if (p->opts.sched.tag) {
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

	for (s = 1; s <= p->opts.sched.slots; s++)
		if (!p->slot_busy[s])
			return s;
	return 0;
}

/* The job's environment: ours plus MPRUN_SEQ, MPRUN_SLOT, MPRUN_JOBID
 * (and --process-slot-var's). */
static char *const *job_env(struct pool *p, struct pool_job *j, char *vars,
			    size_t varlen)
{
	int a = snprintf(vars, varlen, "MPRUN_SEQ=%llu", j->task.seq);
	int b = snprintf(vars + a + 1, varlen - (size_t)a - 1, "MPRUN_SLOT=%u",
			 j->task.slot);
	char *add[4] = {vars, vars + a + 1, j->tree.marker, vars + a + b + 2};

	if (p->opts.slot_var == NULL)
		return jobenv_with(p->env, add, 3);
	snprintf(add[3], varlen - (size_t)(a + b + 2), "%s=%u",
		 p->opts.slot_var, j->task.slot - 1); /* GNU: slot - 1 */
	return jobenv_with(p->env, add, 4);
}

/* --- output --------------------------------------------------------- */

static void job_stream_ready(struct loop *l, int fd, uint32_t events,
			     void *data);

/* Our stdout or stderr (stream 0 or 1) is gone (EPIPE: its reader left,
 * nothing to say) or cannot be written (ENOSPC, EBADF...: said once): end
 * the run, drop all output. */
static void pool_output_gone(struct pool *p, int stream)
{
	int e = errno;

	if (p->s.out_closed)
		return;
	p->s.out_closed = 1;
	if (e != EPIPE)
		pool_error(p, "standard %s: %s", stream == 0 ? "output" : "error",
			   strerror(e));
	sched_terminate(&p->s);
}

/* Should the job's stream i wait unread? While its capture is full; and,
 * while the job runs, when the reader of its stream is too far behind (a
 * pipeline channel): the job then blocks on its pipe instead of the channel
 * growing without bound. An ended job or a run being ended reads on. */
static int job_should_pause(const struct pool_job *j, int i)
{
	if (capture_full(j->cap[i]))
		return 1;
	if (j->tree.reaped || j->pool->s.terminating)
		return 0;
	return capture_should_pause(j->cap[i]);
}

static void job_pause(struct pool_job *j, int i)
{
	loop_fd_mod(j->pool->s.loop, capture_fd(j->cap[i]), 0);
	if (!j->paused[i]) {
		j->paused[i] = 1;
		j->pool->npaused++;
	}
}

static void job_unpause(struct pool_job *j, int i)
{
	if (j->paused[i]) {
		j->paused[i] = 0;
		j->pool->npaused--;
	}
}

/* Read the job's paused streams again if they may be. */
static void job_resume(struct pool_job *j)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (!j->paused[i] || j->coalesced[i] || job_should_pause(j, i))
			continue;
		job_unpause(j, i);
		loop_fd_mod(j->pool->s.loop, capture_fd(j->cap[i]), EPOLLIN);
	}
}

/* The reader caught up (a kick): resume what waited for it. */
static void pool_resume(struct pool *p)
{
	struct pool_job *j;

	if (p->npaused == 0)
		return;
	for (j = p->running; j != NULL; j = j->next)
		job_resume(j);
}

/* Make the order's current writer stream, resuming its paused reads. */
static void pool_update_writer(struct pool *p)
{
	struct pool_job *w;
	size_t i;

	if (p->opts.output == POOL_UNGROUP || p->opts.sched.retries > 0)
		return;
	w = order_writer(p->s.order);
	if (w == NULL || w == p->writer)
		return;
	p->writer = w;
	for (i = 0; i < 2; i++) {
		if (w->cap[i] == NULL)
			continue;
		if (capture_stream(w->cap[i]) == -1)
			pool_output_gone(p, (int)i);
		job_unpause(w, (int)i);
		loop_fd_mod(p->s.loop, capture_fd(w->cap[i]), EPOLLIN);
	}
}

/* slot_ops.release: the job's turn: write its output, report it. */
static void pool_release(struct sched *s, void *task)
{
	struct pool *p = (struct pool *)s;
	struct pool_job *j = task;
	size_t i;

	if (j == p->writer)
		p->writer = NULL;
	for (i = 0; i < 2 && !s->out_closed; i++)
		if (j->cap[i] != NULL && capture_flush(j->cap[i]) == -1)
			pool_output_gone(p, (int)i);
	if (!s->out_closed && callback_flush(j->cb) == -1)
		pool_output_gone(p, 0);
	if (p->s.ev.done != NULL)
		p->s.ev.done(p->s.ev.data, &j->task);
	for (i = 0; i < j->ntasks && s->q != NULL; i++)
		queue_task_done(s->q);
	job_free(j);
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

/* The job's try is over: it leaves the running set, its slot is free. */
static void job_leave(struct pool *p, struct pool_job *j)
{
	pool_unlink(p, j);
	p->s.nrunning--;
	p->slot_busy[j->task.slot] = 0;
	sched_timeout_stop(&j->task);
	if (j->rearm_timer != NULL)
		loop_timer_cancel(p->s.loop, j->rearm_timer);
	j->rearm_timer = NULL;
	if (j->grace_timer != NULL)
		loop_timer_cancel(p->s.loop, j->grace_timer);
	j->grace_timer = NULL;
	j->coalesced[0] = j->coalesced[1] = 0;
	job_unpause(j, 0);
	job_unpause(j, 1);
	sched_tree_stop(&j->tree);
	/* A job being ended: whatever of its tree outlived it goes too. */
	if (j->tree.step > 0)
		termtree_signal(0, j->tree.pid, j->tree.marker, SIGKILL);
}

/* The job and its callback are over: let its output go. */
static void job_complete(struct pool *p, struct pool_job *j)
{
	if (p->files != NULL && p->opts.results_dir == NULL)
		jobfiles_remove(p->files, j->task.seq);
	sched_task_over(&p->s, j->task.seq);
	pool_update_writer(p);
	sched_kick(&p->s);
}

/* Did the job fail (its try, until it ended for good)? */
static int job_failed(const struct pool_job *j)
{
	if (j->pool->opts.dry_run && !j->too_long && j->refused == NULL)
		return 0;
	return j->too_long || j->refused != NULL || j->task.timed_out ||
	       j->io_error || !WIFEXITED(j->wait_status) ||
	       WEXITSTATUS(j->wait_status) != 0;
}

/* The job ended for good: how, for the events. */
static void job_ended(struct pool_job *j)
{
	int st = j->wait_status;

	j->task.failed = job_failed(j);
	j->task.exitval = WIFSIGNALED(st)   ? 128 + WTERMSIG(st)
			  : WIFEXITED(st) ? WEXITSTATUS(st)
					  : -1;
	j->task.signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	j->task.received = j->cap[0] != NULL ? capture_bytes(j->cap[0]) : 0;
}

/* May a failed try mend by running again (--retries)? Not when the
 * command is too long, could not start or be executed. */
static int job_retryable(const struct pool_job *j)
{
	return job_failed(j) && !j->too_long && j->tree.pid > 0 &&
	       j->exec_errno == 0;
}

/* Tell that a try of the job was ended by --timeout. */
static void job_report_timeout(struct pool *p, const struct pool_job *j)
{
	report_msg(p->s.ev.notice, p->s.ev.data,
		   "job %llu timed out after %.3fs: %s", j->task.seq,
		   (double)j->task.runtime_ms / 1000.0,
		   pool_job_command(&j->task));
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

static void job_finish(struct pool *p, struct pool_job *j);

/* The job's files are complete: close them (a job waiting for its
 * callback holds no descriptor). */
static void job_close_files(struct pool_job *j)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (j->cap[i] != NULL)
			capture_tee(j->cap[i], -1);
		close_keep_errno(j->files[i]);
		j->files[i] = -1;
	}
	j->saved = 1;
}

/* The job's try is over when reaped and both streams ended; then it may
 * run again (--retries, from the retry queue), or it ends for good. */
static void job_maybe_finished(struct pool_job *j)
{
	struct pool *p = j->pool;

	if (j->finished || j->parked || !j->tree.reaped ||
	    j->open_streams > 0)
		return;
	if (j->evicted && !p->s.closed) {
		j->parked = 1; /* pool_unpark() runs it again */
		p->nparked++;
		sched_kick(&p->s);
		return;
	}
	j->evicted = 0;
	fifo_writer_stop(j->fifo);
	j->fifo = NULL;
	if (j->task.start_ms > 0)
		j->task.runtime_ms = loop_now_ms() - j->task.start_ms;
	if (j->task.timed_out)
		job_report_timeout(p, j);
	job_leave(p, j);
	if (job_retryable(j) && sched_try_again(&p->s, &j->task)) {
		sched_kick(&p->s);
		return;
	}
	job_finish(p, j);
}

/* The job ended for good: it is counted, logged, and its callback is
 * queued. */
static void job_finish(struct pool *p, struct pool_job *j)
{
	j->finished = 1;
	job_close_blocks(j);
	job_ended(j);
	if ((p->s.halted || p->s.out_closed) && p->s.terminating &&
	    j->tree.step > 0 && !j->task.timed_out)
		j->halted = 1; /* cut short by --halt now, or as its output
				* had no reader any more: not a failure */
	else if (j->task.failed)
		p->s.nfailed++;
	else
		p->s.nsucceeded++;
	if (j->tree.pid > 0)
		sched_add_runtime(&p->s, j->task.runtime_ms);
	if (p->files != NULL && j->files[0] != -1) {
		if (jobfiles_commit(p->files, j->task.seq, j->place,
				    j->command, j->task.exitval,
				    j->task.signal) == -1)
			pool_error(p, "%s: cannot save the job's output: %s",
				   j->place != NULL ? j->place
						    : p->opts.results_dir,
				   strerror(errno));
		job_close_files(j); /* its callback reads them by name */
	}
	if (p->s.ev.finished != NULL && j->tree.pid > 0)
		p->s.ev.finished(p->s.ev.data, &j->task);
	sched_check_halt(&p->s, &j->task);
	if (j->tree.pid > 0 && !p->s.terminating &&
	    (j->task.failed ? p->opts.sched.on_error
			    : p->opts.sched.on_success)) {
		struct template_job tj = {j->args, j->nargs, j->task.seq,
					  j->task.slot};

		callback_add(p->s.cbs, j, j->task.failed, &tj);
		return;
	}
	job_complete(p, j);
}

/* A stream reached its end: stop watching it, then close it (a held job
 * keeps no descriptor). */
static void job_stream_closed(struct pool_job *j, int i)
{
	job_unpause(j, i);
	loop_fd_del(j->pool->s.loop, capture_fd(j->cap[i]));
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
		if (job_should_pause(j, i))
			job_pause(j, i);
		else
			loop_fd_mod(l, capture_fd(j->cap[i]), EPOLLIN);
	}
}

/* After a read from a running job, let its pipe fill a while before the
 * next one: a job writing in small pieces then costs us a wake-up per
 * few milliseconds, not one per write. Its exit re-arms at once. */
static void job_coalesce(struct pool_job *j, int i)
{
	struct pool *p = j->pool;

	if (j->tree.reaped)
		return;
	loop_fd_mod(p->s.loop, capture_fd(j->cap[i]), 0);
	j->coalesced[i] = 1;
	if (j->rearm_timer == NULL)
		j->rearm_timer = loop_timer_add(p->s.loop, READ_COALESCE_MS,
						job_rearm, j);
	if (j->rearm_timer == NULL)
		job_rearm(p->s.loop, j);
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
			 "job %llu: cannot keep its output: %s", j->task.seq,
			 spill_dir(j->pool->spill));
	else if (i == 0 && capture_streaming(j->cap[i]) &&
		 j->pool->opts.sched.out_sink != NULL)
		/* a pipeline channel's spill file, in the same directory */
		snprintf(what, sizeof(what),
			 "job %llu: cannot keep its output for the next stage: "
			 "%s", j->task.seq, spill_dir(j->pool->spill));
	else
		snprintf(what, sizeof(what), "job %llu: cannot keep its output",
			 j->task.seq);
	errno = saved;
	pool_error(j->pool, "%s: %s (job ended)", what, strerror(errno));
	sched_tree_end(&j->tree);
}

/* Both pipes ended, most likely because the job exited: reap it now
 * rather than on the SIGCHLD that follows, so its slot is free sooner. */
static void job_try_reap(struct pool_job *j)
{
	int status;

	if (j->tree.reaped || j->tree.pid <= 0 ||
	    waitpid(j->tree.pid, &status, WNOHANG) <= 0)
		return;
	j->tree.reaped = 1;
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
		order_output(p->s.order, j->task.seq);
		pool_update_writer(p);
	}
	if (rc == -1 && (errno == EPIPE || capture_out_failed(j->cap[i])))
		pool_output_gone(p, i); /* a write to our stdout or stderr */
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
	if (job_should_pause(j, i))
		job_pause(j, i);
	else if (capture_bytes(j->cap[i]) - before < COALESCE_BELOW)
		job_coalesce(j, i);
}

/* --- starting jobs ---------------------------------------------------- */

/* Stdout to the pool's sink (a pipeline channel) unless held (map). */
static void pool_set_sink(struct pool *p, struct capture *c, int stream)
{
	if (stream == 0 && p->opts.sched.out_sink != NULL &&
	    p->s.hold_fd[0] == -1)
		capture_set_sink(c, p->opts.sched.out_sink);
}

/* Make the pipes and captures of a job; fds[] gets the child's ends. */
static int job_open_streams(struct pool *p, struct pool_job *j, int fds[2],
			    const struct template_job *tj)
{
	struct capture_opts co = {
		.mem_limit = p->opts.mem_limit,
		.spill_limit = p->opts.sched.retries > 0 ? UINT64_MAX
						   : p->opts.spill_limit,
		.tmpdir = p->opts.sched.tmpdir,
		.spill = p->spill,
		.flags = p->opts.output == POOL_LINES ? CAPTURE_LINES : 0,
	};
	char *tag = NULL;
	int pfd[2], i;

	if (p->opts.output == POOL_UNGROUP) {
		fds[0] = p->opts.sched.out_fd;
		fds[1] = p->opts.sched.err_fd;
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
		    p->opts.sched.order == ORDER_UNORDERED)
			capture_stream(j->cap[i]);
		if (loop_fd_add(p->s.loop, capture_fd(j->cap[i]), EPOLLIN,
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
			loop_fd_del(p->s.loop, capture_fd(j->cap[i]));
			j->open_streams--;
		}
	}
	j->tree.reaped = 1;
	j->tree.pid = -1;
	job_maybe_finished(j);
}

/* The job's stdin: its block (--pipe), from the start at every try, its
 * pipe (--round-robin), or /dev/null (also with --fifo). */
static int job_stdin(struct pool *p, struct pool_job *j)
{
	int fd = j->nrecs > 0 ? j->recs[0]->fd : -1;

	if (fd == -1 || p->opts.fifo ||
	    (lseek(fd, 0, SEEK_SET) == -1 && errno != ESPIPE))
		return p->s.devnull;
	return fd;
}

/* Spawn the job's process with its child ends of the pipes in fds. */
static int job_spawn(struct pool *p, struct pool_job *j,
		     struct exec_request *req, const int fds[2])
{
	const struct executor *e;
	char vars[96 + 160]; /* (the slot variable's name: at most 128) */
	int rc;

	req->envp = job_env(p, j, vars, sizeof(vars));
	req->fd_in = job_stdin(p, j);
	req->fd_out = fds[0];
	req->fd_err = fds[1];
	req->sigmask = loop_orig_sigmask(p->s.loop);
	req->slot = j->task.slot;
	req->seq = j->task.seq;
	req->args = j->args;
	req->nargs = j->nargs;
	e = p->opts.sched.exec;
	rc = e->spawn(e->ctx, req, &j->tree.pid, &j->exec_errno);
	return rc;
}

/* The spawn retry is due (sched_spawn_later): spawn the waiting job. */
static void pool_spawn_retry(struct pool *p)
{
	struct pool_job *j = p->spawn_wait;

	if (job_exec(p, j) == -1) {
		job_spawn_done(j);
		job_spawn_failed(p, j);
	}
}

/* fork failed with EAGAIN: the job waits for its retry, the pool starts
 * nothing else meanwhile (sched_spawn_later). */
static int pool_spawn_later(struct pool *p, struct pool_job *j)
{
	int e;

	p->spawn_wait = j;
	if (sched_spawn_later(&p->s, p->s.nrunning - 1) == -1) {
		e = errno;
		if (sched_spawn_gave_up(&p->s) && !p->s.closed) {
			/* nothing runs that could free a process: the run
			 * starts no more jobs (this one fails) */
			pool_error(p, "cannot start a job (fork: %s) for %d s "
				      "with none running: giving up, the "
				      "inputs left are not run",
				   strerror(e), SPAWN_GIVE_UP_MS / 1000);
			j->start_said = 1;
			p->spawn_wait = NULL;
			sched_spawn_done(&p->s);
			sched_close(&p->s);
		}
		errno = e;
		return -1;
	}
	j->tree.pid = 0;
	return 0;
}

/* The spawn waiting for EAGAIN to pass is given up (terminate). */
static void pool_spawn_cancel(struct pool *p)
{
	struct pool_job *j = p->spawn_wait;

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

/* The job's try takes a free slot: it runs, its tree is new. */
static void job_occupy(struct pool *p, struct pool_job *j)
{
	j->task.slot = pool_free_slot(p);
	p->slot_busy[j->task.slot] = 1;
	p->s.nrunning++;
	j->next = p->running;
	p->running = j;
	sched_tree_init(&p->s, &j->tree, j->task.slot, "", j->task.seq);
	sched_try_start(&p->s, &j->task);
}

/* Count the job as started: sequence number, order, slot. */
static int pool_register(struct pool *p, struct pool_job *j)
{
	if (sched_task_add(&p->s, j, &j->task.seq) == -1)
		return -1;
	j->pool = p;
	job_occupy(p, j);
	return 0;
}

/* slot_ops.timed_out: the job ran too long; end its tree, it fails. */
static void pool_timed_out(struct sched *s, struct sched_task *t)
{
	struct pool_job *j = (struct pool_job *)t;

	/* It ended on its own, nothing of its tree is left, and only the
	 * end of its pipes is still to be read (mprun was stopped, say): no
	 * timeout. */
	if (j->tree.reaped && WIFEXITED(j->wait_status) &&
	    !sched_tree_alive(&j->tree)) {
		t->timed_out = 0;
		return;
	}
	sched_tree_end(&j->tree);
}

/* 1 if path has a ".." component. */
static int has_dotdot(const char *path)
{
	const char *c;

	for (c = path; (c = strstr(c, "..")) != NULL; c += 2)
		if ((c == path || c[-1] == '/') &&
		    (c[2] == '\0' || c[2] == '/'))
			return 1;
	return 0;
}

/* Do the inputs take a --results place (name expanded) elsewhere than its
 * name points: absolute where the name is not, or with a ".." the name
 * does not have? (Values are data: "../../x" is not a way out.) */
static int place_escapes(const char *name, const char *place)
{
	return (place[0] == '/' && name[0] != '/') ||
	       (has_dotdot(place) && !has_dotdot(name));
}

/* The job's --results place: the template expanded with its values, as
 * --tagstring is (no quoting). 0 or -1/errno. */
static int job_place(struct pool *p, struct pool_job *j)
{
	struct template_job tj = {j->args, j->nargs, j->task.seq,
				  j->task.slot};
	struct buf b = BUF_INIT;

	if (template_expand_shell(p->opts.results_place, &tj, &b, NULL) ==
	    -1) {
		buf_free(&b);
		return -1;
	}
	j->place = buf_steal(&b);
	if (place_escapes(p->opts.results_dir, j->place)) {
		pool_error(p, "job %llu: --results %s: refused: its inputs "
			      "lead out of where the name points (an absolute "
			      "path or ..)",
			   j->task.seq, j->place);
		j->start_said = 1;
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* Open the job's --results / callback files and tee its output there. */
static int job_open_files(struct pool *p, struct pool_job *j)
{
	int i;

	if (p->files == NULL || j->cap[0] == NULL)
		return 0;
	if ((p->opts.results_place != NULL && j->place == NULL &&
	     job_place(p, j) == -1) ||
	    jobfiles_open(p->files, j->task.seq, j->place, j->files) == -1) {
		if (errno == EMFILE || errno == ENFILE || j->start_said)
			return -1; /* job_spawn_failed() sees to it, or said */
		if (p->opts.results_dir != NULL)
			pool_error(p, "job %llu: --results %s: %s", j->task.seq,
				   j->place != NULL ? j->place
						    : p->opts.results_dir,
				   errno == EINVAL ? "an empty name"
						   : dirs_strerror(errno));
		j->start_said = p->opts.results_dir != NULL;
		return -1;
	}
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

	if (p->opts.sched.retries > 0 || p->opts.sched.on_success != NULL ||
	    p->opts.sched.on_error != NULL || p->opts.keep_args ||
	    j->nrecs <= 1)
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
	int e = errno; /* why the spawn failed, for the caller */

	if (p != NULL && p->spawn_wait == j) {
		p->spawn_wait = NULL;
		sched_spawn_done(&p->s);
	}
	if (a != NULL) {
		job_close_child_ends(p, a->fds);
		free(a->argv);
		buf_free(&a->sh);
		free(a);
		j->spawn = NULL;
	}
	errno = e;
}

/* The job's process runs: watch it. */
static void job_running(struct pool *p, struct pool_job *j)
{
	p->fd_tries = 0;
	job_drop_records(p, j);
	/* (--delay counts from the spawn's end: starts are never closer) */
	p->last_start_ms = loop_now_ms();
	job_watch_streams(p, j);
	sched_timeout_arm(&p->s, &j->task, sched_timeout_ms(&p->s));
	pool_update_writer(p);
}

/* The wait for descriptors is over: start again. */
static void pool_fd_retry(struct loop *l, void *data)
{
	struct pool *p = data;

	(void)l;
	p->fd_timer = NULL;
	sched_kick(&p->s);
}

/* Out of descriptors (errno) while starting j: with other jobs running,
 * run fewer at once (said once) and start j again, first, when one ends
 * (its try not counted); with none running but a callback, which holds
 * some, start it again on a timer (for 10 s); else the run can go no
 * further: it closes. 1 if j waits. */
static int job_wait_for_fds(struct pool *p, struct pool_job *j)
{
	struct rlimit rl;
	unsigned others = p->s.nrunning - 1;

	if ((errno != EMFILE && errno != ENFILE) || p->s.closed)
		return 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		rl.rlim_cur = 0;
	if (others == 0) {
		if (p->fd_timer == NULL && p->s.cbs != NULL &&
		    callback_pending(p->s.cbs) && p->fd_tries < FD_RETRY_TRIES)
			p->fd_timer = loop_timer_add(p->s.loop, FD_RETRY_MS,
						     pool_fd_retry, p);
		if (p->fd_timer == NULL) {
			pool_error(p, "out of file descriptors (ulimit -n %lu) "
				      "with no job running: starting no more "
				      "jobs",
				   (unsigned long)rl.rlim_cur);
			sched_close(&p->s);
			j->start_said = 1;
			return 0;
		}
		p->fd_tries++;
	} else if (p->opts.sched.slots > others) {
		p->opts.sched.slots = others;
		report_msg(p->s.ev.notice, p->s.ev.data,
			   "out of file descriptors (ulimit -n %lu): running "
			   "%u jobs at a time",
			   (unsigned long)rl.rlim_cur, others);
	}
	job_spawn_done(j);
	job_leave(p, j);
	sched_retry_return(&p->s, &j->task);
	return 1;
}

/* Give up on a job that could not be spawned: it fails (or waits for
 * descriptors, see job_wait_for_fds). */
static void job_spawn_failed(struct pool *p, struct pool_job *j)
{
	if (job_wait_for_fds(p, j))
		return;
	if (!j->start_said)
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
	j->fifo = fifo_writer_start(p->s.loop, r->v[0], r->fd);
	if (j->fifo == NULL)
		pool_error(p, "job %llu: cannot write its block into %s: %s",
			   j->task.seq, r->v[0], strerror(errno));
}

/* Spawn the job from j->spawn; 0 (running or waiting to retry) or -1. */
static int job_exec(struct pool *p, struct pool_job *j)
{
	struct job_spawn_args *a = j->spawn;

	/* taken before the spawn: a timer the job sets up counts from no
	 * earlier than this */
	j->task.start_ms = loop_now_ms();
	if (job_spawn(p, j, &a->req, a->fds) == -1) {
		j->task.start_ms = 0;
		if (errno == EAGAIN && !p->s.terminating)
			return pool_spawn_later(p, j);
		return -1;
	}
	job_spawn_done(j);
	job_running(p, j);
	job_fifo_start(p, j);
	return 0;
}

/* -v: the command line first in the job's stdout (with the rest of its
 * output, tagged as it is; straight out with -u). */
static int job_echo(struct pool *p, struct pool_job *j)
{
	const char *cmd = pool_job_command(&j->task);
	struct buf b = BUF_INIT;
	int rc;

	if (!p->opts.echo)
		return 0;
	if (buf_printf(&b, "%s\n", cmd) == -1)
		return -1;
	rc = j->cap[0] != NULL
		     ? capture_inject(j->cap[0], b.data, b.len)
		     : capture_write_all(p->opts.sched.out_fd, b.data, b.len);
	buf_free(&b);
	return rc;
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
	tj = (struct template_job){j->args, j->nargs, j->task.seq,
				   j->task.slot};
	if (job_expand(p, j, &tj, &a->req, &a->argv, &a->sh) == -1)
		goto fail;
	if (p->s.ev.launch != NULL && !j->too_long && j->refused == NULL)
		p->s.ev.launch(p->s.ev.data, &j->task);
	if (p->opts.dry_run || j->too_long || j->refused != NULL) {
		job_spawn_done(j);
		job_finish_unstarted(p, j);
		return 0;
	}
	if (job_open_streams(p, j, a->fds, &tj) == -1 ||
	    job_open_files(p, j) == -1 || job_echo(p, j) == -1)
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
	j->task.start_wall_ms = clock_wall_ms();
	if (job_start(p, j) == -1)
		job_spawn_failed(p, j);
	return 0;
}

/* --resume: the job's number is taken, but it does not run or count. */
static int pool_skip(struct pool *p, struct pool_job *j)
{
	size_t i;

	if (p->s.ev.skip == NULL || !p->s.ev.skip(p->s.ev.data, p->s.seq + 1))
		return 0;
	p->s.seq++;
	for (i = 0; i < j->ntasks && p->s.q != NULL; i++)
		queue_task_done(p->s.q);
	job_free(j);
	return 1;
}

/* --delay: wake the pool when the next job may start. */
static void pool_delay_over(struct loop *l, void *data)
{
	struct pool *p = data;

	p->delay_timer = NULL;
	sched_kick(&p->s);
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
		p->delay_timer = loop_timer_add(p->s.loop, next - now,
						pool_delay_over, p);
	return 1;
}

/* Start a new try of job j, which holds no slot: its output so far is
 * dropped. */
static void job_rerun(struct pool *p, struct pool_job *j)
{
	size_t i;

	for (i = 0; i < 2; i++) {
		capture_free(j->cap[i]);
		j->cap[i] = NULL;
		close_keep_errno(j->files[i]);
		j->files[i] = -1;
	}
	free(j->command);
	free(j->program);
	j->command = j->program = NULL;
	j->wait_status = 0;
	j->exec_errno = 0;
	job_occupy(p, j);
	if (job_start(p, j) == -1)
		job_spawn_failed(p, j);
}

/* Start the next try of a failed job waiting on the retry queue; 0 if
 * none waits. */
static int pool_retry(struct pool *p)
{
	struct pool_job *j = (struct pool_job *)sched_retry_take(&p->s);

	if (j == NULL)
		return 0;
	job_rerun(p, j);
	return 1;
}

/* An evicted job waiting in its slot: run it again (the oldest first),
 * its ended try not counted against --retries; or, when the pool closed,
 * let it end as it was ended. */
static void pool_unpark(struct pool *p)
{
	struct pool_job *j, *old = NULL;

	for (j = p->running; j != NULL; j = j->next)
		if (j->parked && (old == NULL || j->task.seq < old->task.seq))
			old = j;
	if (old == NULL)
		return;
	old->parked = old->evicted = 0;
	p->nparked--;
	if (p->s.closed) {
		job_maybe_finished(old);
		return;
	}
	job_leave(p, old);
	old->task.tries--;
	job_rerun(p, old);
}

/* slot_ops.evict: end the youngest job running (not the only one) to run
 * it again later. */
static int pool_evict(struct sched *s, const char *why)
{
	struct pool *p = (struct pool *)s;
	struct pool_job *j, *young = NULL;
	unsigned live = 0;

	for (j = p->running; j != NULL; j = j->next) {
		if (j->tree.pid <= 0 || j->tree.reaped || j->tree.step > 0)
			continue;
		live++;
		if (young == NULL || j->task.seq > young->task.seq)
			young = j;
	}
	if (live < 2)
		return 0;
	report_msg(p->s.ev.notice, p->s.ev.data,
		   "%s: ending job %llu, the youngest; it runs again later",
		   why, young->task.seq);
	young->evicted = 1;
	sched_tree_end(&young->tree);
	return 1;
}

/* slot_ops.fill: start jobs while there are free slots and records. */
static void pool_fill(struct sched *s)
{
	struct pool *p = (struct pool *)s;
	struct pool_job *j;
	int rc;

	pool_resume(p);
	if (p->spawn_wait != NULL && s->spawn_timer == NULL)
		pool_spawn_retry(p);
	while (p->nparked > 0 && !p->s.closed && p->spawn_wait == NULL &&
	       (p->s.throttle == NULL || !p->s.throttle(p->s.throttle_data)))
		pool_unpark(p);
	while (!p->s.closed && p->s.nrunning < p->opts.sched.slots &&
	       p->spawn_wait == NULL && p->fd_timer == NULL &&
	       !pool_delayed(p) &&
	       (p->s.throttle == NULL || !p->s.throttle(p->s.throttle_data))) {
		if (pool_retry(p))
			continue;
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
}

/* --- callbacks (--on-success, --on-error) ------------------------------ */

/* callback opts.vars: what the job's callback needs to know. */
static int job_cb_vars(void *data, struct buf *b)
{
	struct pool_job *j = data;
	char out[4096] = "", err[4096] = "";

	if (j->saved) {
		jobfiles_path(j->pool->files, j->task.seq, j->place, 0, out,
			      sizeof(out));
		jobfiles_path(j->pool->files, j->task.seq, j->place, 1, err,
			      sizeof(err));
	}
	return buf_printf(b,
			  "MPRUN_SEQ=%llu%cMPRUN_SLOT=%u%cMPRUN_EXIT=%d%c"
			  "MPRUN_SIGNAL=%d%cMPRUN_RUNTIME=%.3f%cMPRUN_STDOUT=%s%c"
			  "MPRUN_STDERR=%s%c%s%c",
			  j->task.seq, 0, j->task.slot, 0, j->task.exitval, 0,
			  j->task.signal, 0, (double)j->task.runtime_ms / 1000.0,
			  0, out, 0, err, 0, j->tree.marker, 0);
}

/* callback opts.done: the job and its callback are over. */
static void job_cb_done(void *data, struct callback *cb)
{
	struct pool_job *j = data;

	j->cb = cb;
	job_complete(j->pool, j);
}

/* The callback queue: its output goes where the jobs' does. */
static int pool_new_callbacks(struct pool *p)
{
	int direct = p->opts.output == POOL_UNGROUP;
	struct callback_opts co = {
		.cmd = {p->opts.sched.on_success, p->opts.sched.on_error},
		.noun = "job",
		.how = {{"failed with exit status ", ""},
			{"was killed by signal ", ""}},
		.out = {{p->sink_fd[0], p->opts.sched.out_sink, direct},
			{p->sink_fd[1], NULL, direct}},
		.mem_limit = p->opts.mem_limit,
		.vars = job_cb_vars,
		.done = job_cb_done,
	};

	return sched_callbacks(&p->s, &co, jobenv_base(p->env));
}

/* --- reaping and ending ------------------------------------------------ */

/* The running job of a pid, or NULL. */
static struct pool_job *job_by_pid(struct pool *p, pid_t pid)
{
	struct pool_job *j;

	for (j = p->running; j != NULL; j = j->next)
		if (j->tree.pid == pid && !j->tree.reaped)
			return j;
	return NULL;
}

static void job_grace(struct pool_job *j);

/* The grace is over: once nothing of the job's tree is left (the
 * termination sequence ran its course), what is in the pipes is read, and
 * they are closed (the process holding them is swept when the run ends). */
static void job_grace_over(struct loop *l, void *data)
{
	struct pool_job *j = data;
	int i;

	j->grace_timer = NULL;
	if (sched_tree_alive(&j->tree)) { /* the sequence goes on */
		job_grace(j);
		return;
	}
	for (i = 0; i < 2; i++) {
		if (j->cap[i] == NULL || capture_fd(j->cap[i]) == -1)
			continue;
		(void)capture_read(j->cap[i]); /* what it holds now */
		job_stream_closed(j, i);
	}
	job_maybe_finished(j);
}

/* While the run is being ended, a job whose process is gone waits for
 * the end of its pipes a short while only: a process that left its tree
 * (setsid, its environment cleared) may hold them open for ever. */
static void job_grace(struct pool_job *j)
{
	struct pool *p = j->pool;

	if (p->s.terminating && j->tree.reaped && j->open_streams > 0 &&
	    j->grace_timer == NULL)
		j->grace_timer = loop_timer_add(p->s.loop, PIPE_GRACE_MS,
						job_grace_over, j);
}

/* slot_ops.reaped: a child of ours ended: hand it to its job. */
static int pool_reaped(struct sched *s, pid_t pid, int status)
{
	struct pool *p = (struct pool *)s;
	struct pool_job *j = job_by_pid(p, pid);

	if (j == NULL)
		return 0;
	j->tree.reaped = 1;
	j->wait_status = status;
	if (j->rearm_timer != NULL)
		loop_timer_cancel(p->s.loop, j->rearm_timer);
	j->rearm_timer = NULL;
	job_rearm(p->s.loop, j);
	job_resume(j);
	job_grace(j);
	job_maybe_finished(j);
	return 1;
}

/* slot_ops.give_up: a failed job waiting to run again will not: it ends
 * for good with its last try. */
static void pool_give_up(struct sched *s, struct sched_task *t)
{
	job_finish((struct pool *)s, (struct pool_job *)t);
}

/* slot_ops.close: the pool only starts no new job (sched.closed). */
static void pool_close(struct sched *s)
{
	struct pool *p = (struct pool *)s;

	pool_spawn_cancel(p); /* a spawn waiting for EAGAIN never starts */
	while (p->nparked > 0) /* evicted jobs end as they were ended */
		pool_unpark(p);
}

/* slot_ops.terminate: give up a spawn waiting, end every job's tree. */
static void pool_terminate(struct sched *s)
{
	struct pool *p = (struct pool *)s;
	struct pool_job *j;

	for (j = p->running; j != NULL; j = j->next) {
		sched_tree_end(&j->tree);
		job_grace(j);
	}
	pool_close(s); /* (which gives up a spawn waiting too) */
}

/* --- running ------------------------------------------------------------ */

/* slot_ops.start: --order map holds stdout and stderr (the callbacks'
 * too) in files until the end. */
static void pool_start(struct sched *s)
{
	struct pool *p = (struct pool *)s;
	struct callback_stream held = {.fd = -1};
	int i, rc;

	if (p->opts.sched.order == ORDER_MAP &&
	    p->opts.output != POOL_UNGROUP && !p->opts.dry_run) {
		rc = sched_hold(s, 2);
		for (i = 0; i < 2 && s->hold_fd[i] != -1; i++) {
			held.fd = p->sink_fd[i] = s->hold_fd[i];
			callback_set_stream(s->cbs, i, &held);
		}
		if (rc == -1)
			pool_error(p, "cannot hold output for --order map: %s",
				   strerror(errno));
	}
	/* now that the run holds all it holds besides its jobs (the loop,
	 * the job log, a --results directory, the hold files) */
	pool_fit_nofile(p);
}

/* slot_ops.busy: a job running, or records to come for one. */
static int pool_busy(const struct sched *s)
{
	const struct pool *p = (const struct pool *)s;

	return s->nrunning > 0 || sched_retry_waiting(s) ||
	       (!s->closed && (!pool_source_done(p) || p->partial != NULL));
}

/* --- jobs as the events see them ------------------------------------ */

/* The job of a task the events were given. */
#define JOB(t) ((const struct pool_job *)(t))

const char *pool_job_command(const struct sched_task *t)
{
	return JOB(t)->command != NULL ? JOB(t)->command : "";
}

char *pool_job_tag(const struct sched_task *t)
{
	struct pool_job *j = (struct pool_job *)JOB(t);
	struct template_job tj = {j->args, j->nargs, j->task.seq,
				  j->task.slot};

	return job_tag(j->pool, j, &tj);
}

int pool_job_exec_errno(const struct sched_task *t)
{
	return JOB(t)->exec_errno;
}

int pool_job_too_long(const struct sched_task *t)
{
	return JOB(t)->too_long;
}

const char *pool_job_refused(const struct sched_task *t)
{
	return JOB(t)->refused;
}

const char *pool_job_program(const struct sched_task *t)
{
	return JOB(t)->program != NULL ? JOB(t)->program : "";
}

const char *pool_job_origin(const struct sched_task *t)
{
	const struct pool_job *j = JOB(t);

	return j->nrecs > 0 && j->recs[0]->origin != NULL ? j->recs[0]->origin
							   : "";
}

unsigned long long pool_job_lineno(const struct sched_task *t)
{
	return JOB(t)->nrecs > 0 ? JOB(t)->recs[0]->lineno : 0;
}

int pool_job_terminated(const struct sched_task *t)
{
	return JOB(t)->tree.step > 0;
}

const char *pool_job_host(const struct sched_task *t)
{
	const struct executor *e = JOB(t)->pool->opts.sched.exec;
	const char *h = e->host != NULL ? e->host(e->ctx, t->slot) : NULL;

	return h != NULL ? h : ":";
}

char *const *pool_job_args(const struct sched_task *t, size_t *n)
{
	*n = JOB(t)->nargs;
	return JOB(t)->args;
}

uint64_t pool_job_input_bytes(const struct sched_task *t)
{
	const struct pool_job *j = JOB(t);
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < j->nrecs; i++)
		n += j->recs[i]->bytes;
	return n;
}

static const struct slot_ops pool_ops = {
	.fill = pool_fill, .busy = pool_busy, .start = pool_start,
	.close = pool_close, .terminate = pool_terminate,
	.release = pool_release, .reaped = pool_reaped,
	.timed_out = pool_timed_out, .give_up = pool_give_up,
	.destroy = pool_destroy, .evict = pool_evict,
};
