/* mprun: run a command over many inputs, several at a time.
 * The command line only: parsing, wiring the library, messages, exit. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "onall.h"
#include "pipe.h"
#include "remote.h"
#include "workers.h"
#include "exec_local.h"
#include "exec_slurm.h"
#include "exec_ssh.h"
#include "input.h"
#include "joblog.h"
#include "opts.h"
#include "quote.h"
#include "buf.h"
#include "pool.h"
#include "shmcmd.h"
#include "template.h"
#include "termtree.h"
#include "throttle.h"
#include "shell.h"

/* Everything one plain run holds on the command's side. */
struct run {
	struct cli cli;
	struct common cm;
	struct input *in;
	struct template *tpl;
	struct exec_ssh *ssh;     /* -S / --slf */
	struct exec_slurm *slurm; /* --slurm */
	struct throttle_opts throttle; /* --load, --memfree, --limit */
};

/* pool event: a command is about to run (or is all a dry run does). */
static void on_launch(void *data, const struct sched_task *j)
{
	struct common *cm = data;

	if (cm->cli->dry_run) { /* (tagged, as GNU parallel) */
		char *tag = pool_job_tag(j);

		printf("%s%s\n", tag != NULL ? tag : "", pool_job_command(j));
		free(tag);
		fflush(stdout);
		return;
	}
	if (cm->cli->verbose)
		common_say("%s\n", pool_job_command(j));
	if (sched_task_tries(j) == 1)
		run_job_started(cm->run, NULL);
}

/* pool event: a job ended for good: count and log it (--joblog). */
static void on_finished(void *data, const struct sched_task *j)
{
	report_finished(data, NULL, j);
}

/* pool event: --resume: is job seq already in the log? */
static int on_skip(void *data, unsigned long long seq)
{
	struct common *cm = data;
	int failed = 0;

	if (cm->resume == NULL || !joblog_done_has(cm->resume, seq, &failed))
		return 0;
	return cm->cli->resume == 1 || !failed;
}

/* -X: GNU parallel repeats each space-separated word holding {} once per
 * input, so split the command words at spaces first (an empty piece keeps
 * a run of spaces as it was when the words are joined again). */
static struct template *context_template(char **words, size_t n,
					 const struct template_conf *conf,
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
	t = template_new_conf(pieces, np, conf, err);
out:
	free(pieces);
	free(copy);
	return t;
}

/* Does a command word hold s? */
static int command_has(const struct cli *cli, const char *s)
{
	for (size_t i = 0; i < cli->ncommand; i++)
		if (strstr(cli->command[i], s) != NULL)
			return 1;
	return 0;
}

/* --plus {##} and {0#}: the number of jobs, counted before the run by
 * reading the inputs once more (::: values and files: not stdin, not -X
 * or -m, whose jobs depend on the command line's length). 0: not known
 * (the template refuses them); -1: the inputs could not be read (said). */
static long long count_jobs(const struct cli *cli)
{
	struct input *in;
	struct record *rec;
	char **names = NULL;
	size_t n = 0, i;
	unsigned long long records = 0;
	int rc;

	struct stat st;

	if (!cli->plus || cli->stdin_args || cli->fill || cli->pipe ||
	    (!command_has(cli, "{##}") && !command_has(cli, "{0#}")))
		return 0;
	for (i = 0; i < cli->nsources; i++) /* read once more: files only */
		if (cli->sources[i].is_file &&
		    (stat(cli->sources[i].file, &st) == -1 ||
		     !S_ISREG(st.st_mode)))
			return 0;
	in = cli_input(cli);
	if (in == NULL)
		return -1;
	rc = cli->skip_first ? input_skip_first(in) : 0;
	if (rc == 0 && cli->header != NULL && input_header(in, &names, &n) == 0)
		for (i = 0; i < n; i++)
			free(names[i]);
	free(names);
	while (rc == 0 && (rc = input_next(in, &rec)) == 1) {
		record_free(rec);
		records++;
		rc = 0;
	}
	if (rc == -1)
		warn_msg(input_error(in) ? input_error(in) : strerror(errno));
	input_free(in);
	if (rc == -1)
		return -1;
	n = cli->max_args > 0 ? cli->max_args : 1;
	return (long long)((records + n - 1) / n);
}

/* Build the command template from the command words. */
static int make_template(struct run *r)
{
	static char *const as_command[] = {(char *)"{}"};
	struct template_conf conf = {
		.flags = (r->cli.fill == FILL_CONTEXT || r->cli.context
				  ? TEMPLATE_CONTEXT
				  : 0) |
			 /* (--cat, --fifo: {} is the block's file, and is
			  * appended as GNU parallel does) */
			 ((r->cli.pipe != PIPE_NONE && !r->cli.cat &&
			   !r->cli.fifo) ||
					  r->cli.no_insert
				  ? TEMPLATE_NO_APPEND
				  : 0) |
			 (r->cli.quote ? TEMPLATE_QUOTE : 0) |
			 (r->cli.no_insert ? TEMPLATE_NO_ARGS : 0),
		.plus = r->cli.plus,
		.rpls = r->cli.rpls,
		.nrpls = r->cli.nrpls,
		.slots = opts_slots(r->cli.jobs),
	};
	struct template_error err = {0};
	long long total = count_jobs(&r->cli);

	if (total == -1)
		return -1;
	conf.total = (unsigned long long)total;
	memcpy(conf.tags, r->cli.tags, sizeof(conf.tags));
	if (r->cli.ncommand == 0)
		r->tpl = template_new(as_command, 1,
				      TEMPLATE_SHELL | TEMPLATE_NO_QUOTE, NULL);
	else if ((r->cli.fill == FILL_CONTEXT || r->cli.context) &&
		 !r->cli.quote)
		r->tpl = context_template(r->cli.command, r->cli.ncommand,
					  &conf, &err);
	else
		r->tpl = template_new_conf(r->cli.command, r->cli.ncommand,
					   &conf, &err);
	if (r->tpl == NULL) {
		template_refused("the command", &err);
		return -1;
	}
	return 0;
}

/* May the jobs use counters (then remote ones get the counter service):
 * --counter-init, or a command that calls mprun? */
static int may_count(const struct run *r)
{
	return r->cli.ncounter_inits > 0 ||
	       common_calls_mprun(r->cli.command, r->cli.ncommand);
}

/* -S / --slf: the SSH executor; its slots are the pool's (-j N means N
 * per host, as in GNU parallel). */
static int make_ssh(struct run *r, struct pool_opts *po)
{
	int counters = may_count(r);

	if (common_mgr_start(&r->cm, counters, 0) == -1)
		return -1;
	r->ssh = remote_ssh_new(&r->cli, r->cli.sshlogins, r->cli.nsshlogins,
				r->cli.slfs, r->cli.nslfs, r->cli.ssh,
				r->cli.jobs != NULL ? po->sched.slots : 0,
				r->cm.mgr, counters);
	if (r->ssh == NULL)
		return -1;
	po->sched.exec = exec_ssh_executor(r->ssh);
	po->sched.slots = exec_ssh_slots(r->ssh);
	return 0;
}

/* --slurm: the Slurm executor; -j defaults to what the allocation fits. */
static int make_slurm(struct run *r, struct pool_opts *po)
{
	char what[64];

	if (common_mgr_start(&r->cm, 0,
			     may_count(r) || r->cli.manager_addr != NULL) == -1)
		return -1;
	r->slurm = remote_slurm_new(r->cli.slurm_cpus, r->cli.slurm_alloc);
	if (r->slurm == NULL)
		return -1;
	po->sched.exec = exec_slurm_executor(r->slurm);
	snprintf(what, sizeof(what), "-j %s",
		 r->cli.jobs != NULL ? r->cli.jobs : "");
	po->sched.slots = remote_slurm_slots(
		r->slurm, r->cli.jobs != NULL ? po->sched.slots : 0,
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

/* Wire the run for the parsed command line. */
static int setup(struct run *r)
{
	struct pool_opts po = {0};
	struct sched_events ev = {.launch = on_launch, .done = report_done,
				  .finished = on_finished,
				  .error = common_error,
				  .notice = common_notice, .skip = on_skip,
				  .data = &r->cm};
	struct run_opts ro = {.pool = &po, .sched_ev = &ev};

	r->cm.cli = &r->cli;
	po.sched.slots = opts_slots(r->cli.jobs);
	if (po.sched.slots == 0 || common_pool_opts(&r->cm, &po) == -1)
		return -1;
	r->in = cli_input(&r->cli);
	if (r->in == NULL || cli_apply_header(&r->cli, r->in) == -1 ||
	    common_header_applied(&r->cm, &po) == -1 ||
	    make_template(r) == -1 || common_joblog_open(&r->cm, 0) == -1 ||
	    make_executor(r, &po) == -1)
		return -1;
	if (!r->cli.dry_run &&
	    common_shm_start(&r->cm,
			     r->cli.ncommand > 0 ? r->cli.command[0] : "mprun",
			     NULL, 0, NULL) == -1)
		return -1;
	po.tpl = r->tpl;
	po.max_args = r->cli.max_args;
	po.fill = r->cli.fill;
	po.spread = r->cli.fill && !r->cli.no_spread;
	po.slot_var = r->cli.slot_var;
	po.total = r->cli.total_jobs;
	ro.in = r->in;
	ro.blocks = r->cli.pipe != PIPE_NONE;
	ro.round_robin = r->cli.round_robin;
	if (r->cli.throttle_opt != NULL && !r->cli.dry_run) {
		r->throttle = (struct throttle_opts){
			.load = r->cli.load, .memfree = r->cli.memfree,
			.limit = r->cli.limit,
			.shell = shell_choose(r->cli.shell)};
		ro.throttle = &r->throttle;
	}
	return common_start(&r->cm, &ro);
}

/* --shell-quote: print each input, its values quoted for the shell and
 * joined by spaces, a line each; run nothing. */
static int print_quoted(struct cli *cli)
{
	struct input *in = cli_input(cli);
	struct buf b = BUF_INIT;
	struct record *rec;
	int rc = -1;

	if (in == NULL || cli_apply_header(cli, in) == -1)
		goto out;
	for (;;) {
		rc = input_next(in, &rec);
		if (rc == -1 && errno == EAGAIN) {
			struct pollfd pfd = {.fd = input_poll_fd(in),
					     .events = POLLIN};

			if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
				break;
			continue;
		}
		if (rc != 1)
			break;
		b.len = 0;
		for (size_t i = 0; i < rec->n && rc == 1; i++)
			if ((i > 0 && buf_append_char(&b, ' ') == -1) ||
			    quote_shell(&b, rec->v[i]) == -1)
				rc = -1;
		record_free(rec);
		if (rc == -1 || buf_append_char(&b, '\n') == -1 ||
		    fwrite(b.data, 1, b.len, stdout) != b.len)
			break;
	}
	if (rc == -1)
		warn_msg(input_error(in) ? input_error(in) : strerror(errno));
out:
	buf_free(&b);
	input_free(in);
	return rc == 0 && fflush(stdout) == 0 ? 0 : EXIT_USAGE;
}

/* Free whatever setup() made. */
static void teardown(struct run *r)
{
	common_free(&r->cm);
	input_free(r->in);
	template_free(r->tpl);
	exec_ssh_free(r->ssh);
	exec_slurm_free(r->slurm);
	opts_free(&r->cli);
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

/* --onall, --nonall: cli becomes the outer run of one mprun per host
 * (cmd/onall.h). 0 or -1 (said). */
static int onall_parse(struct cli *cli, int argc, char **argv,
		       struct onall **onall)
{
	int n;
	char **v;

	*onall = onall_new(cli, argc, argv, &n, &v);
	if (*onall == NULL)
		return -1;
	opts_free(cli);
	return opts_parse(n, v, cli);
}

static int mprun_main(int argc, char **argv);

/* What was printed (--dry-run, --help, --version...) must have reached
 * standard output: else say why, and the exit status is not 0. */
static int stdout_flushed(int rc)
{
	int e = 0;

	if (fflush(stdout) == EOF)
		e = errno;
	else if (!ferror(stdout))
		return rc;
	if (e != EPIPE) /* (an earlier write's errno is gone) */
		fprintf(stderr, "mprun: standard output: %s\n",
			e != 0 ? strerror(e) : "write error");
	return rc != 0 ? rc : EXIT_USAGE;
}

int main(int argc, char **argv)
{
	return stdout_flushed(mprun_main(argc, argv));
}

static int mprun_main(int argc, char **argv)
{
	struct run r = {0};
	struct onall *onall = NULL;
	int rc;

	if (hold_closed_std_fds() == -1)
		return EXIT_USAGE;
	/* (--sem --fg waits for its command too) */
	signal(SIGCHLD, SIG_DFL);
	if (shmcmd_wants(argc, argv))
		return shmcmd_main(argc, argv);
	reset_signals();
	raise_fd_limit();
	rc = opts_parse(argc, argv, &r.cli);
	if (rc == 0 && r.cli.onall != ONALL_NONE)
		rc = onall_parse(&r.cli, argc, argv, &onall);
	if (rc != 0) {
		opts_free(&r.cli);
		onall_free(onall);
		return rc == 1 ? 0 : EXIT_USAGE;
	}
	if (r.cli.nice_set && setpriority(PRIO_PROCESS, 0, r.cli.nice) == -1) {
		fprintf(stderr, "mprun: --nice %d: %s\n", r.cli.nice,
			strerror(errno));
		opts_free(&r.cli);
		onall_free(onall);
		return EXIT_USAGE;
	}
	if (r.cli.workdir != NULL && r.cli.nsshlogins == 0 && r.cli.nslfs == 0 &&
	    exec_local_set_dir(r.cli.workdir) == -1) {
		fprintf(stderr, "mprun: --workdir %s: %s\n", r.cli.workdir,
			strerror(errno));
		opts_free(&r.cli);
		return EXIT_USAGE;
	}
	if (r.cli.shell_quote) {
		rc = print_quoted(&r.cli);
		opts_free(&r.cli);
		return rc;
	}
	if (r.cli.joblog_in != NULL) {
		rc = common_report_log(&r.cli);
		opts_free(&r.cli);
		return rc;
	}
	termtree_become_subreaper();
	if (r.cli.pipeline != NULL) {
		rc = pipe_run(&r.cli);
		opts_free(&r.cli);
		return rc;
	}
	if (r.cli.workers != NULL) {
		rc = workers_run(&r.cli);
		opts_free(&r.cli);
		return rc;
	}
	rc = setup(&r) == -1 ? common_failed() : common_finish(&r.cm, 1);
	teardown(&r);
	onall_free(onall);
	return rc;
}
