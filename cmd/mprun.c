/* mprun: run a command over many inputs, several at a time.
 * The command line only: parsing, wiring the library, messages, exit. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "pipe.h"
#include "remote.h"
#include "workers.h"
#include "duration.h"
#include "exec_local.h"
#include "exec_slurm.h"
#include "exec_ssh.h"
#include "feed.h"
#include "input.h"
#include "joblog.h"
#include "loop.h"
#include "opts.h"
#include "pool.h"
#include "progress.h"
#include "queue.h"
#include "shm.h"
#include "shmcmd.h"
#include "template.h"
#include "termtree.h"


/* Everything one run holds. */
struct run {
	struct cli cli;
	struct loop *loop;
	struct input *in;
	struct queue *q;
	struct feed *feed;
	struct pool *pool;
	struct template *tpl;
	struct common cm;
	struct shm_seg *shm;
	struct joblog *joblog;
	struct joblog_done *resume;
	struct exec_ssh *ssh;     /* -S / --slf */
	struct exec_slurm *slurm; /* --slurm */
	struct loop_timer *progress_timer;
	uint64_t start_ms;
	int progress_tty;
	size_t progress_lines;
	int total_known;
	int interrupted;
	int stops; /* SIGTERM/SIGHUP received */
	int error;
};

static void progress_total(struct run *r, struct progress_counts *c);

/* pool event: a command is about to run (or is all a dry run does). */
static void on_launch(void *data, const struct pool_job *j)
{
	struct run *r = data;

	if (r->cli.dry_run) {
		printf("%s\n", pool_job_command(j));
		fflush(stdout);
		return;
	}
	if (r->cli.verbose)
		fprintf(stderr, "%s\n", pool_job_command(j));
	if (r->shm != NULL && pool_job_tries(j) == 1)
		run_shm_started(r->shm);
}

/* pool event: a job is done; say why it failed when the job cannot. */
static void on_done(void *data, const struct pool_job *j)
{
	report_done(j);
}

/* pool event: a job ended for good: log it (--joblog). */
static void on_finished(void *data, const struct pool_job *j)
{
	struct run *r = data;

	if (r->shm != NULL)
		run_shm_finished(r->shm, pool_job_failed(j));
	if (report_finished(r->joblog, NULL, j, r->interrupted) == -1) {
		fprintf(stderr, "mprun: %s: %s\n", r->cli.joblog,
			strerror(errno));
		r->error = 1;
	}
}

/* pool event: --resume: is job seq already in the log? */
static int on_skip(void *data, unsigned long long seq)
{
	struct run *r = data;
	int failed = 0;

	if (r->resume == NULL || !joblog_done_has(r->resume, seq, &failed))
		return 0;
	return r->cli.resume == 1 || !failed;
}

/* pool event: an error outside the jobs. */
static void on_error(void *data, const char *msg)
{
	struct run *r = data;

	r->error = 1;
	warn_msg(msg);
}

/* pool event: a message only (what it tells is counted elsewhere). */
static void on_notice(void *data, const char *msg)
{
	warn_msg(msg);
}

/* The feed put records in the queue: let the pool take them. */
static void on_records(void *data)
{
	struct run *r = data;
	struct progress_counts pc;

	progress_total(r, &pc);
	pool_kick(r->pool);
}

/* The pool wants more records than the queue holds. */
static void on_want(void *data)
{
	struct run *r = data;

	feed_want(r->feed);
}

/* SIGINT: end every job tree now (Pool.terminate). */
static void on_sigint(struct loop *l, const struct signalfd_siginfo *si,
		      void *data)
{
	struct run *r = data;

	r->interrupted = 1;
	pool_terminate(r->pool);
}

/* SIGTERM / SIGHUP: finish the running jobs, start none (Pool.close);
 * a second one ends them like SIGINT. */
static void on_sigterm(struct loop *l, const struct signalfd_siginfo *si,
		       void *data)
{
	struct run *r = data;

	if (r->stops++ > 0) {
		on_sigint(l, si, data);
		return;
	}
	pool_close(r->pool);
}

/* -X: GNU parallel repeats each space-separated word holding {} once per
 * input, so split the command words at spaces first (an empty piece keeps
 * a run of spaces as it was when the words are joined again). */
static struct template *context_template(char **words, size_t n,
					 struct template_error *err)
{
	struct template *t = NULL;
	char **pieces = NULL, *copy = NULL, *s;
	size_t i, np = 0, total = 0;

	for (i = 0; i < n; i++)
		total += strlen(words[i]) + 1;
	pieces = calloc(total + 1, sizeof(char *));
	copy = malloc(total);
	if (pieces == NULL || copy == NULL)
		goto out;
	s = copy;
	for (i = 0; i < n; i++) {
		strcpy(s, words[i]);
		for (char *tok = strsep(&s, " "); tok != NULL;
		     tok = strsep(&s, " "))
			pieces[np++] = tok;
		s = copy + (pieces[np - 1] - copy) + strlen(pieces[np - 1]) + 1;
	}
	t = template_new(pieces, np, TEMPLATE_CONTEXT, err);
out:
	free(pieces);
	free(copy);
	return t;
}

/* Build the command template from the command words. */
static int make_template(struct run *r)
{
	static char *const as_command[] = {(char *)"{}"};
	int flags = r->cli.fill ? TEMPLATE_CONTEXT : 0;
	struct template_error err = {0};

	if (r->cli.ncommand == 0)
		r->tpl = template_new(as_command, 1,
				      TEMPLATE_SHELL | TEMPLATE_NO_QUOTE, NULL);
	else if (r->cli.fill)
		r->tpl = context_template(r->cli.command, r->cli.ncommand, &err);
	else
		r->tpl = template_new(r->cli.command, r->cli.ncommand, flags,
				      &err);
	if (r->tpl == NULL) {
		template_refused("the command", &err);
		return -1;
	}
	return 0;
}

/* Build the input from the sources on the command line. */
static int make_input(struct run *r)
{
	r->in = cli_input(&r->cli);
	return r->in == NULL ? -1 : 0;
}

/* --joblog (and --resume): read what an earlier run did, then append. */
static int open_joblog(struct run *r)
{
	char err[512];

	if (r->cli.joblog == NULL)
		return 0;
	if (r->cli.resume &&
	    joblog_read(r->cli.joblog, &r->resume, err, sizeof(err)) == -1) {
		warn_msg(err);
		return -1;
	}
	if (r->cli.dry_run)
		return 0;
	r->joblog = joblog_open(r->cli.joblog, 0);
	if (r->joblog == NULL) {
		fprintf(stderr, "mprun: %s: %s\n", r->cli.joblog,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* The queue's size: enough for one job's records, small for laziness. */
static size_t queue_size(const struct cli *cli, unsigned slots)
{
	size_t n = cli->max_args > 0 ? cli->max_args : 1;

	if (cli->fill)
		return 65536;
	n = n * 2 > (size_t)slots * 2 ? n * 2 : (size_t)slots * 2;
	return n < 64 ? 64 : n;
}

/* How many jobs the run will have, once the input is all read. */
static void progress_total(struct run *r, struct progress_counts *c)
{
	unsigned long long recs;
	size_t n = r->cli.max_args > 0 ? r->cli.max_args : 1;

	if (!r->total_known && !r->cli.fill && queue_closed(r->q) &&
	    feed_error(r->feed) == NULL) {
		recs = input_count(r->in);
		r->total_known = 1;
		pool_set_total(r->pool, (recs + n - 1) / n);
		if (r->shm != NULL)
			shm_stat_set(r->shm, SHM_TOTAL,
				     (long long)((recs + n - 1) / n));
	}
	c->total_known = r->total_known;
	c->total = c->total_known ? (input_count(r->in) + n - 1) / n : 0;
}

/* Draw the status line: redrawn in place on a terminal, else a line. */
static void progress_draw(struct run *r, int last)
{
	struct progress_counts c = {0};
	char counters[512] = "";

	c.failed = pool_failed(r->pool);
	c.done = pool_succeeded(r->pool) + c.failed;
	c.running = pool_running(r->pool);
	c.elapsed_ms = loop_now_ms() - r->start_ms;
	progress_total(r, &c);
	if (r->shm != NULL)
		run_shm_counters(r->shm, counters, sizeof(counters));
	progress_show(r->cli.progress, r->progress_tty, 1, NULL, &c, counters,
		      last, &r->progress_lines);
}

/* The progress timer: redraw, at most 10 times a second on a terminal,
 * once a second otherwise. */
static void progress_tick(struct loop *l, void *data)
{
	struct run *r = data;

	progress_draw(r, 0);
	r->progress_timer = loop_timer_add(l, r->progress_tty ? 100 : 1000,
					   progress_tick, r);
}

/* Start showing progress if asked. 0 or -1. */
static int progress_start(struct run *r)
{
	if (r->cli.progress == 0)
		return 0;
	r->progress_tty = isatty(STDERR_FILENO);
	r->progress_timer = loop_timer_add(r->loop, r->progress_tty ? 100 : 1000,
					   progress_tick, r);
	return r->progress_timer == NULL ? -1 : 0;
}

/* -S / --slf: the SSH executor; its slots are the pool's (-j N means N
 * per host, as in GNU parallel). */
static int make_ssh(struct run *r, struct pool_opts *po)
{
	r->ssh = remote_ssh_new(&r->cli, r->cli.sshlogins, r->cli.nsshlogins,
				r->cli.slfs, r->cli.nslfs, r->cli.ssh,
				r->cli.jobs != NULL ? po->slots : 0);
	if (r->ssh == NULL)
		return -1;
	po->exec = exec_ssh_executor(r->ssh);
	po->slots = exec_ssh_slots(r->ssh);
	return 0;
}

/* --slurm: the Slurm executor; -j defaults to what the allocation fits. */
static int make_slurm(struct run *r, struct pool_opts *po)
{
	char what[64];

	r->slurm = remote_slurm_new(r->cli.slurm_cpus, r->cli.slurm_alloc);
	if (r->slurm == NULL)
		return -1;
	po->exec = exec_slurm_executor(r->slurm);
	snprintf(what, sizeof(what), "-j %s",
		 r->cli.jobs != NULL ? r->cli.jobs : "");
	po->slots = remote_slurm_slots(r->slurm,
				       r->cli.jobs != NULL ? po->slots : 0,
				       r->cli.slurm_cpus, what);
	return 0;
}

/* The run's executor: local (common_pool_opts set it), SSH or Slurm;
 * none is made for a dry run. */
static int make_executor(struct run *r, struct pool_opts *po)
{
	int ssh = r->cli.nsshlogins > 0 || r->cli.nslfs > 0;

	if (ssh && r->cli.slurm) {
		warn_msg("-S/--slf and --slurm cannot be used together");
		return -1;
	}
	if (r->cli.dry_run)
		return 0;
	if (ssh)
		return make_ssh(r, po);
	if (r->cli.slurm)
		return make_slurm(r, po);
	return 0;
}

/* Wire the loop, queue, feed and pool for the parsed command line. */
static int setup(struct run *r)
{
	struct pool_opts po = {0};
	struct pool_events ev = {on_launch,   on_done, on_error, on_notice,
				 on_finished, on_skip, r};

	po.slots = opts_slots(r->cli.jobs);
	if (po.slots == 0 || common_pool_opts(&r->cli, &r->cm, &po) == -1)
		return -1;
	if (make_template(r) == -1)
		return -1;
	if (make_input(r) == -1 || open_joblog(r) == -1 ||
	    make_executor(r, &po) == -1)
		return -1;
	if (!r->cli.dry_run) {
		r->shm = run_shm_start(&r->cli, r->cli.ncommand > 0
						      ? r->cli.command[0]
						      : "mprun");
		if (r->shm == NULL)
			return -1;
	}
	r->loop = loop_new();
	r->q = queue_new(queue_size(&r->cli, po.slots));
	if (r->loop == NULL || r->q == NULL)
		return -1;
	po.tpl = r->tpl;
	po.max_args = r->cli.max_args;
	po.fill = r->cli.fill;
	r->pool = pool_new(r->loop, &po, &ev);
	r->feed = feed_new(r->loop, r->in, r->q, on_records, r);
	if (r->pool == NULL || r->feed == NULL)
		return -1;
	pool_set_source(r->pool, r->q, on_want, r);
	if (progress_start(r) == -1 ||
	    loop_signal_add(r->loop, SIGINT, on_sigint, r) == -1 ||
	    loop_signal_add(r->loop, SIGTERM, on_sigterm, r) == -1 ||
	    loop_signal_add(r->loop, SIGHUP, on_sigterm, r) == -1)
		return -1;
	return 0;
}

/* Free whatever setup() made. */
static void teardown(struct run *r)
{
	feed_free(r->feed);
	pool_free(r->pool);
	queue_free(r->q, (void (*)(void *))record_free);
	input_free(r->in);
	template_free(r->tpl);
	common_free(&r->cm);
	joblog_close(r->joblog);
	run_shm_end(r->shm, &r->cli);
	joblog_done_free(r->resume);
	if (r->progress_timer != NULL)
		loop_timer_cancel(r->loop, r->progress_timer);
	loop_free(r->loop);
	exec_ssh_free(r->ssh);
	exec_slurm_free(r->slurm);
	opts_free(&r->cli);
}

/* The exit status of a finished run. */
static int run_status(struct run *r)
{
	unsigned long long failed = pool_failed(r->pool);
	const char *ferr = feed_error(r->feed);

	if (ferr != NULL) {
		warn_msg(ferr);
		return EXIT_USAGE;
	}
	if (r->interrupted)
		return EXIT_INTERRUPTED;
	if (pool_output_closed(r->pool) || r->error)
		return EXIT_USAGE;
	failed += pool_callbacks_failed(r->pool);
	return failures_status(failed);
}

/* Reset what we may have inherited: SIGCHLD must not be ignored (or wait
 * would not see our children), SIGPIPE is handled as EPIPE. */
static void reset_signals(void)
{
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
}

/* Take all the descriptors we are allowed (the soft limit up to the hard
 * one): held jobs and pipeline stages need some each. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* A standard descriptor closed when we start keeps its number taken by
 * /dev/null opened the other way round (writes on 1 and 2, reads on 0 fail
 * with EBADF, as when closed): otherwise the first file we open (the job
 * log, a pipe) would get that number and what is meant for standard output
 * would go into it. */
static int hold_closed_std_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF &&
		    open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY) != fd)
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct run r = {0};
	int rc;

	if (hold_closed_std_fds() == -1)
		return EXIT_USAGE;
	if (shmcmd_wants(argc, argv))
		return shmcmd_main(argc, argv);
	reset_signals();
	raise_fd_limit();
	rc = opts_parse(argc, argv, &r.cli);
	if (rc != 0) {
		opts_free(&r.cli);
		return rc == 1 ? 0 : EXIT_USAGE;
	}
	termtree_become_subreaper();
	if (r.cli.pipeline != NULL) {
		rc = run_pipeline(&r.cli);
		opts_free(&r.cli);
		return rc;
	}
	if (r.cli.workers != NULL) {
		rc = run_workers(&r.cli);
		opts_free(&r.cli);
		return rc;
	}
	if (setup(&r) == -1) {
		if (errno == ENOMEM)
			warn_msg(strerror(errno));
		teardown(&r);
		return EXIT_USAGE;
	}
	r.start_ms = loop_now_ms();
	if (pool_run(r.pool) == -1) {
		fprintf(stderr, "mprun: event loop: %s\n", strerror(errno));
		rc = EXIT_USAGE;
	} else {
		rc = run_status(&r);
		if (r.cli.progress)
			progress_draw(&r, 1);
		if (pool_halted(r.pool))
			fprintf(stderr, "mprun: --halt %s: stopped the run "
				"after %llu failed and %llu succeeded jobs\n",
				r.cli.halt_arg, pool_failed(r.pool),
				pool_succeeded(r.pool));
	}
	if (r.interrupted || pool_output_closed(r.pool) ||
	    (pool_halted(r.pool) && r.cli.halt.when == HALT_NOW))
		sweep_descendants();
	fflush(stdout);
	if (run_shm_end(r.shm, &r.cli) == -1 && rc == 0)
		rc = EXIT_USAGE;
	r.shm = NULL;
	teardown(&r);
	return rc;
}
