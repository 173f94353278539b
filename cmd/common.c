/* common: the command's side of a run: messages, job log, pool defaults,
 * progress lines, shared memory, and the driver over lib/run. */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blocks.h"
#include "buf.h"
#include "dirs.h"
#include "exec_local.h"
#include "hold.h"
#include "input.h"
#include "parse.h"
#include "progress.h"
#include "report.h"
#include "restable.h"
#include "shell.h"
#include "mgr.h"
#include "shm.h"
#include "status.h"
#include "template.h"
#include "wpool.h"

/* The status lines on the terminal, while they are drawn in place:
 * messages make way for them (common_say). */
static struct status *live_status;

/* Where job output is written instead of fd (1 or 2): when fd is a pipe,
 * our own non-blocking descriptor of it (opened anew through /proc, so the
 * flag does not reach the jobs or the shell sharing fd): a write to a
 * blocked reader then waits in the loop's time, and Ctrl-C still ends the
 * run. Anything else, or when that fails: fd itself. */
static int output_fd(int fd)
{
	static int cached[3] = {-1, -1, -1};
	char path[32];
	struct stat st;
	int nfd;

	if (cached[fd] != -1)
		return cached[fd];
	cached[fd] = fd;
	if (fstat(fd, &st) == -1 || !S_ISFIFO(st.st_mode))
		return fd;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (nfd != -1)
		cached[fd] = nfd;
	return cached[fd];
}

void common_say(const char *fmt, ...)
{
	va_list ap;

	if (live_status != NULL)
		status_hide(live_status);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (live_status != NULL)
		status_wrote(live_status, "\n", 1);
}

void warn_msg(const char *msg)
{
	common_say("mprun: %s\n", msg);
}

void common_error(void *data, const char *msg)
{
	struct common *cm = data;

	if (cm->run != NULL)
		run_fail(cm->run);
	cm->said = 1;
	warn_msg(msg);
}

void common_notice(void *data, const char *msg)
{
	warn_msg(msg);
}

void report_done(void *data, const struct sched_task *j)
{
	int e = pool_job_exec_errno(j);

	const char *origin = pool_job_origin(j);
	/* "file:12", or "::: #2" for a value of the command line */
	const char *sep = *origin != '\0' && origin[strlen(origin) - 1] == ':'
				  ? " #"
				  : ":";

	if (pool_job_refused(j) != NULL)
		common_say("mprun: job %llu (input %s%s%llu) not run: %s\n",
			   sched_task_seq(j), origin, sep, pool_job_lineno(j),
			   pool_job_refused(j));
	else if (pool_job_too_long(j))
		common_say("mprun: job %llu: command line too long for the "
			   "kernel (input %s%s%llu); job not run\n",
			   sched_task_seq(j), origin, sep, pool_job_lineno(j));
	else if (e == ENOENT)
		common_say("mprun: %s: command not found\n",
			   pool_job_program(j));
	else if (e != 0)
		common_say("mprun: %s: %s\n", pool_job_program(j),
			   strerror(e));
}

/* A job could not be logged in file: say so (once: the first file) and
 * the exit status is 255. */
static void log_failed(struct common *cm, const char *file)
{
	if (!cm->log_failed)
		common_say("mprun: %s: %s\n", file, strerror(errno));
	cm->log_failed = 1;
	run_fail(cm->run);
}

/* Write a line to the job log, if any. */
static void log_line(struct common *cm, const struct joblog_entry *e)
{
	if (cm->joblog != NULL &&
	    (e->command == NULL || joblog_write(cm->joblog, e) == -1))
		log_failed(cm, cm->cli->joblog);
}

/* Keep a job for --report, if any. */
static void report_line(struct common *cm, const struct joblog_entry *e,
			int timed_out)
{
	struct report_job rj = {.seq = e->seq, .host = e->host,
				.stage = e->stage, .start_ms = e->start_ms,
				.runtime_ms = e->runtime_ms,
				.exitval = e->exitval, .signal = e->signal,
				.timed_out = timed_out, .command = e->command};

	if (cm->report != NULL && report_add(cm->report, &rj) == -1)
		log_failed(cm, cm->cli->report);
}

/* A task's line of the job log: what every task has. */
static struct joblog_entry task_entry(const struct sched_task *t,
				      const char *stage)
{
	return (struct joblog_entry){
		.seq = sched_task_seq(t),
		.host = ":",
		.start_ms = sched_task_start_ms(t),
		.runtime_ms = sched_task_runtime_ms(t),
		.send = sched_task_sent(t),
		.receive = sched_task_received(t),
		.exitval = sched_task_exitval(t),
		.signal = sched_task_signal(t),
		.stage = stage,
	};
}

static void table_row(struct common *cm, const struct sched_task *j,
		      const struct joblog_entry *e);

void report_finished(void *data, const char *stage,
		     const struct sched_task *j)
{
	struct common *cm = data;
	struct joblog_entry e = task_entry(j, stage);

	e.host = pool_job_host(j);
	e.command = pool_job_command(j);
	e.send = pool_job_input_bytes(j); /* a --pipe job's block */
	/* cut short by Ctrl-C: not logged (--resume runs it again) */
	int ended = run_interrupted(cm->run) && pool_job_terminated(j) &&
		    !sched_task_timed_out(j);

	run_job_finished(cm->run, stage, sched_task_failed(j), ended, e.send);
	report_line(cm, &e, sched_task_timed_out(j));
	if (!ended) {
		log_line(cm, &e);
		if (cm->table_fd > 0)
			table_row(cm, j, &e);
	}
}

void report_task(struct common *cm, const char *stage, const char *workers,
		 const struct sched_task *t)
{
	struct joblog_entry e = task_entry(t, stage);
	const char *in;
	size_t len;

	run_task_done(cm->run, stage, sched_task_failed(t));
	if (cm->joblog == NULL && cm->report == NULL)
		return;
	in = wpool_task_input(t, &len);
	cm->logcmd.len = 0;
	if (buf_printf(&cm->logcmd, "%s %.*s", workers, (int)len, in) == 0)
		e.command = cm->logcmd.data;
	report_line(cm, &e, sched_task_timed_out(t));
	log_line(cm, &e);
}

void template_refused(const char *what, const struct template_error *err)
{
	struct buf b = BUF_INIT;

	if (err->msg[0] == '\0') {
		fprintf(stderr, "mprun: %s: %s\n", what,
			errno == EINVAL ? "the command is empty"
					: strerror(errno));
		return;
	}
	if (template_error_format(err, &b) == 0)
		fprintf(stderr, "mprun: %s refused, %s\n", what, b.data);
	buf_free(&b);
}

/* A callback's template: a shell command, the job's arguments not
 * appended. Message printed on -1. */
static int make_callback(const char *what, const char *cmd,
			 struct template **out)
{
	char *words[1] = {(char *)cmd};
	struct template_error err;

	*out = NULL;
	if (cmd == NULL)
		return 0;
	*out = template_new(words, 1, TEMPLATE_SHELL | TEMPLATE_NO_APPEND,
			    &err);
	if (*out == NULL)
		template_refused(what, &err);
	return *out == NULL ? -1 : 0;
}

/* --results NAME with replacement strings (not a table): each job's files
 * go where NAME expanded with its values says (GNU parallel's; see
 * jobfiles.h). A name whose braces are no replacement string is a plain
 * directory. 0, or -1 said. */
static int results_place(struct common *cm, struct pool_opts *po)
{
	char *words[] = {(char *)cm->cli->results};

	if (cm->cli->results == NULL ||
	    restable_format(cm->cli->results) != -1 ||
	    strchr(cm->cli->results, '{') == NULL)
		return 0;
	cm->results_place = template_new(words, 1,
					 TEMPLATE_SHELL | TEMPLATE_NO_QUOTE |
						 TEMPLATE_NO_APPEND,
					 NULL);
	if (cm->results_place == NULL && errno == ENOMEM) {
		warn_msg("out of memory");
		return -1;
	}
	if (cm->results_place != NULL &&
	    !template_has_replacement(cm->results_place)) {
		template_free(cm->results_place);
		cm->results_place = NULL;
	}
	po->results_place = cm->results_place;
	return 0;
}

/* --results FILE.csv/.tsv/.json: the jobs' files go to a private
 * directory; each finished job is a row of the table (see table_row()). */
static int results_table_open(struct common *cm, struct pool_opts *po)
{
	const char *tmp = hold_dir(cm->cli->tmpdir);
	struct buf dir = BUF_INIT;

	cm->table_fd = -1;
	if (cm->cli->results == NULL ||
	    (cm->table_format = restable_format(cm->cli->results)) == -1 ||
	    cm->cli->dry_run)
		return 0;
	if (buf_printf(&dir, "%s/mprun-results.XXXXXX", tmp) == -1 ||
	    mkdtemp(dir.data) == NULL) {
		fprintf(stderr, "mprun: --results: a directory in %s: %s\n",
			tmp, strerror(errno));
		buf_free(&dir);
		return -1;
	}
	cm->table_dir = buf_steal(&dir);
	if (strncmp(cm->cli->results, "-.", 2) == 0) {
		/* -.csv, -.tsv, -.json: the table is the standard output,
		 * and the jobs' output goes only into it (GNU parallel's) */
		cm->table_fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
		cm->null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (cm->null_fd == -1 && cm->table_fd != -1) {
			close(cm->table_fd);
			cm->table_fd = -1;
		}
		po->sched.out_fd = cm->null_fd;
	} else {
		cm->table_fd = dirs_open_file(cm->cli->results,
					      O_WRONLY | O_CREAT | O_TRUNC,
					      0644);
	}
	if (cm->table_fd == -1) {
		fprintf(stderr, "mprun: --results %s: %s\n", cm->cli->results,
			dirs_strerror(errno));
		return -1;
	}
	po->results_dir = cm->table_dir;
	po->keep_args = 1;
	return 0;
}

/* Write b to the table and empty it: 0 or -1/errno. */
static int table_flush(struct common *cm, struct buf *b)
{
	int rc = capture_write_all(cm->table_fd, b->data, b->len);

	buf_reset(b);
	return rc;
}

/* Append one output field of a row from the file at path (missing: empty),
 * read in chunks and written out as b fills, so that memory stays bounded
 * whatever the job printed. 0 or -1/errno. */
static int table_output(struct common *cm, struct buf *b,
			enum restable_field which, const char *path)
{
	enum restable_format f = (enum restable_format)cm->table_format;
	char chunk[65536];
	ssize_t n;
	int quoted = 0, rc = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	/* a CSV or TSV field is quoted if any of its bytes needs it */
	while (fd != -1 && f != RESTABLE_JSON && !quoted &&
	       (n = read(fd, chunk, sizeof(chunk))) > 0)
		quoted = restable_needs_quotes(f, chunk, (size_t)n);
	if (fd != -1 && lseek(fd, 0, SEEK_SET) == -1)
		rc = -1;
	if (rc == 0)
		rc = restable_field_begin(b, f, which, quoted);
	while (rc == 0 && fd != -1 && (n = read(fd, chunk, sizeof(chunk))) > 0)
		if ((rc = restable_field_add(b, f, quoted, chunk, (size_t)n)) ==
			    0 &&
		    b->len >= sizeof(chunk))
			rc = table_flush(cm, b);
	if (rc == 0)
		rc = restable_field_end(b, f, quoted);
	if (fd != -1)
		close(fd);
	return rc;
}

/* Write job j's row, from its files, then remove them. */
static void table_row(struct common *cm, const struct sched_task *j,
		      const struct joblog_entry *e)
{
	static const char *const files[] = {"stdout", "stderr", "exitval",
					    "signal", "cmd"};
	enum restable_format f = (enum restable_format)cm->table_format;
	struct restable_row r = {0};
	struct buf b = BUF_INIT, path = BUF_INIT, path2 = BUF_INIT;
	size_t i;

	buf_printf(&path, "%s/%llu/stdout", cm->table_dir,
		   sched_task_seq(j));
	buf_printf(&path2, "%s/%llu/stderr", cm->table_dir,
		   sched_task_seq(j));
	r.seq = e->seq;
	r.host = e->host;
	r.start_ms = e->start_ms;
	r.runtime_ms = e->runtime_ms;
	r.send = e->send;
	r.receive = e->receive;
	r.exitval = e->exitval;
	r.signal = e->signal;
	r.command = e->command;
	r.args = pool_job_args(j, &r.nargs);
	if ((!cm->table_started && restable_header(&b, f, r.nargs) == -1) ||
	    restable_row_start(&b, f, &r) == -1 ||
	    table_output(cm, &b, RESTABLE_STDOUT, path.data) == -1 ||
	    table_output(cm, &b, RESTABLE_STDERR, path2.data) == -1 ||
	    restable_row_end(&b, f) == -1 || table_flush(cm, &b) == -1) {
		if (!cm->log_failed)
			fprintf(stderr, "mprun: --results %s: %s\n",
				cm->cli->results, strerror(errno));
		cm->log_failed = 1;
		run_fail(cm->run);
	}
	cm->table_started = 1;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		buf_reset(&path);
		buf_printf(&path, "%s/%llu/%s", cm->table_dir,
			   sched_task_seq(j), files[i]);
		unlink(path.data);
		/* and one a full disk left half written (jobfiles' name) */
		buf_reset(&path);
		buf_printf(&path, "%s/%llu/.%s.tmp", cm->table_dir,
			   sched_task_seq(j), files[i]);
		unlink(path.data);
	}
	buf_reset(&path);
	buf_printf(&path, "%s/%llu", cm->table_dir, sched_task_seq(j));
	rmdir(path.data);
	buf_free(&b);
	buf_free(&path);
	buf_free(&path2);
}

/* --tagstring's template. 0 or -1 (said). */
static int common_tagstring(struct common *cm)
{
	char *words[] = {(char *)cm->cli->tagstring};

	template_free(cm->tagstring);
	cm->tagstring = NULL;
	if (cm->cli->tagstring == NULL || *cm->cli->tagstring == '\0')
		return 0; /* --tagstring '': no tag (GNU parallel's) */
	cm->tagstring = template_new(words, 1,
				     TEMPLATE_SHELL | TEMPLATE_NO_QUOTE |
					     TEMPLATE_NO_APPEND,
				     NULL);
	if (cm->tagstring == NULL) {
		warn_msg("--tagstring is empty");
		return -1;
	}
	return 0;
}

int common_header_applied(struct common *cm, struct pool_opts *po)
{
	if (cm->cli->named_tag != NULL) {
		if (common_tagstring(cm) == -1)
			return -1;
		po->sched.tagstring = cm->tagstring;
	}
	if (cm->cli->named_results != NULL) {
		template_free(cm->results_place);
		cm->results_place = NULL;
		po->results_dir = cm->cli->results;
		return results_place(cm, po);
	}
	return 0;
}

int common_pool_opts(struct common *cm, struct pool_opts *po)
{
	const struct cli *cli = cm->cli;
	struct sched_opts *so = &po->sched;
	char err[256];

	termseq_default(&so->termseq);
	if (cli->termseq != NULL &&
	    termseq_parse(cli->termseq, &so->termseq, err, sizeof(err)) == -1) {
		warn_msg(err);
		return -1;
	}
	if (make_callback("--on-success", cli->on_success, &cm->on_success) ==
		    -1 ||
	    make_callback("--on-error", cli->on_error, &cm->on_error) == -1)
		return -1;
	if (common_tagstring(cm) == -1)
		return -1;
	so->order = cli->order;
	po->output = cli->output;
	so->tag = cli->tag;
	so->tagstring = cm->tagstring;
	po->mem_limit = (size_t)cli->mem_limit;
	po->spill_limit = cli->spill_limit;
	so->tmpdir = cli->tmpdir;
	po->fifo = cli->fifo;
	po->dry_run = cli->dry_run;
	po->echo = cli->echo;
	so->exec = exec_local(shell_choose(cli->shell));
	so->out_fd = cli->output == POOL_UNGROUP ? STDOUT_FILENO
						: output_fd(STDOUT_FILENO);
	so->err_fd = cli->output == POOL_UNGROUP ? STDERR_FILENO
						: output_fd(STDERR_FILENO);
	so->timeout_ms = cli->timeout_ms;
	po->timeout_pct = cli->timeout_pct;
	so->retries = cli->retries;
	po->delay_ms = cli->delay_ms;
	so->halt = cli->halt;
	so->on_success = cm->on_success;
	so->on_error = cm->on_error;
	po->results_dir = cli->results;
	if (results_place(cm, po) == -1)
		return -1;
	return results_table_open(cm, po);
}

static int shm_end(struct common *cm);

void common_free(struct common *cm)
{
	run_free(cm->run);
	if (live_status == cm->status)
		live_status = NULL;
	status_free(cm->status);
	template_free(cm->tagstring);
	template_free(cm->results_place);
	template_free(cm->on_success);
	template_free(cm->on_error);
	joblog_close(cm->joblog);
	joblog_done_free(cm->resume);
	report_free(cm->report);
	if (cm->report != NULL)
		close(cm->report_fd);
	if (cm->table_fd > 0)
		close(cm->table_fd);
	if (cm->null_fd > 0)
		close(cm->null_fd);
	if (cm->table_dir != NULL)
		rmdir(cm->table_dir);
	free(cm->table_dir);
	shm_end(cm);
	if (cm->counters_fd > 0) /* no segment: a dry run, or it failed */
		close(cm->counters_fd);
	mgr_free(cm->mgr);
	buf_free(&cm->logcmd);
	memset(cm, 0, sizeof(*cm));
}

/* Open the file of an option written at the end (--report,
 * --counters-json): not through a link, nor another user's. -1: message
 * printed. */
static int output_file_open(const char *option, const char *path)
{
	int fd = dirs_open_file(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				0644);

	if (fd == -1)
		fprintf(stderr, "mprun: %s %s: %s\n", option, path,
			dirs_strerror(errno));
	return fd;
}

/* Write the report to its file and close both. -1: message printed. */
static int report_close(struct report *r, int fd, const char *path)
{
	FILE *f = fdopen(fd, "w");
	int rc = f != NULL ? report_write(r, report_format_of(path), f) : -1;
	int e = errno;

	if (f == NULL)
		close(fd);
	else if (fclose(f) == EOF && rc == 0)
		rc = -1, e = errno;
	if (rc == -1)
		fprintf(stderr, "mprun: --report %s: %s\n", path, strerror(e));
	report_free(r);
	return rc;
}

int common_report_log(const struct cli *cli)
{
	struct report *r = report_new(cli->joblog_in, 0);
	char err[1024];
	int fd;

	if (r == NULL) {
		warn_msg(strerror(errno));
		return EXIT_USAGE;
	}
	if (report_read_joblog(r, cli->joblog_in, err, sizeof(err)) == -1) {
		warn_msg(err);
		report_free(r);
		return EXIT_USAGE;
	}
	fd = output_file_open("--report", cli->report);
	if (fd == -1) {
		report_free(r);
		return EXIT_USAGE;
	}
	return report_close(r, fd, cli->report) == -1 ? EXIT_USAGE : 0;
}

/* The title of a run's report: its command line, shortened. */
static void report_title(const struct cli *cli, struct buf *b)
{
	size_t i;

	if (cli->pipeline != NULL)
		buf_printf(b, "mprun --pipeline %s", cli->pipeline);
	else if (cli->workers != NULL)
		buf_printf(b, "mprun --workers %s", cli->workers);
	else
		buf_append_str(b, "mprun");
	for (i = 0; i < cli->ncommand && b->len < 200; i++)
		buf_printf(b, " %s", cli->command[i]);
}

int common_joblog_open(struct common *cm, int stages)
{
	const struct cli *cli = cm->cli;
	char err[512];

	if (cli->report != NULL && !cli->dry_run) {
		struct buf title = BUF_INIT;

		report_title(cli, &title);
		cm->report = report_new(title.data, 0);
		buf_free(&title);
		if (cm->report == NULL) {
			warn_msg(strerror(errno));
			return -1;
		}
		cm->report_fd = output_file_open("--report", cli->report);
		if (cm->report_fd == -1) {
			report_free(cm->report);
			cm->report = NULL;
			return -1;
		}
	}
	if (cli->counters_json != NULL && !cli->dry_run &&
	    (cm->counters_fd = output_file_open("--counters-json",
						cli->counters_json)) == -1)
		return -1;
	if (cli->joblog == NULL)
		return 0;
	if (strcmp(cli->joblog, "-") == 0) {
		fprintf(stderr, "mprun: --joblog -: mprun does not write the job "
				"log to standard output (GNU parallel does): "
				"name a file (./- for a file named -)\n");
		return -1;
	}
	if (cli->resume && !stages &&
	    joblog_read(cli->joblog, &cm->resume, err, sizeof(err)) == -1) {
		warn_msg(err);
		return -1;
	}
	if (cli->dry_run)
		return 0;
	/* GNU parallel: a new log each run, unless +FILE or a resume */
	cm->joblog = joblog_open(cli->joblog, stages,
				 cli->joblog_append || cli->resume);
	if (cm->joblog == NULL) {
		fprintf(stderr, "mprun: --joblog %s: %s\n", cli->joblog,
			dirs_strerror(errno));
		return -1;
	}
	return 0;
}

int common_mgr_start(struct common *cm, int unix_socket, int tcp)
{
	const struct cli *cli = cm->cli;
	struct mgr_opts o = {.unix_socket = unix_socket, .tcp = tcp,
			     .tcp_bind = cli->manager_addr,
			     .tmpdir = cli->tmpdir};
	char err[512];

	if ((!unix_socket && !tcp) || cli->dry_run)
		return 0;
	cm->mgr = mgr_new(&o, err, sizeof(err));
	if (cm->mgr == NULL) {
		warn_msg(err);
		return -1;
	}
	if (setenv(MGR_KEY_ENV, mgr_key(cm->mgr), 1) == -1 ||
	    (tcp && setenv(MGR_ENV, mgr_tcp_address(cm->mgr), 1) == -1)) {
		warn_msg(strerror(errno));
		return -1;
	}
	return 0;
}

int common_calls_mprun(char *const *words, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (words[i] != NULL && strstr(words[i], "mprun") != NULL)
			return 1;
	return 0;
}

/* Declare the counters specs[0..n-1] ("NAME=NUMBER") in seg; -1 with a
 * message naming where they come from (a bad spec, too many counters). */
static int counters_declare(struct shm_seg *seg, char *const *specs,
			    size_t n, const char *where)
{
	char name[SHM_COUNTER_NAME_MAX + 1];
	long long v;
	size_t i;

	for (i = 0; i < n; i++) {
		if (shm_counter_spec_parse(specs[i], name, &v) == -1) {
			fprintf(stderr, "mprun: %s: \"%s\" is not NAME=NUMBER "
				"(names: letters, digits, _ . : / -)\n",
				where, specs[i]);
			return -1;
		}
		if (shm_counter_set(seg, name, v) == -1) {
			if (errno == ENOSPC)
				fprintf(stderr, "mprun: %s: %s: too many "
					"counters (max %d)\n", where, name,
					SHM_COUNTERS);
			else
				fprintf(stderr, "mprun: %s: %s: %s\n", where,
					name, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int common_shm_start(struct common *cm, const char *label,
		     char *const *specs, size_t n, const char *where)
{
	const struct cli *cli = cm->cli;
	struct shm_seg *seg;

	shm_cleanup_stale(NULL, NULL);
	seg = shm_run_create(label);
	if (seg == NULL) {
		fprintf(stderr, "mprun: cannot make the shared memory for "
			"counters (/dev/shm): %s\n", strerror(errno));
		return -1;
	}
	if (setenv(SHM_ENV, shm_name(seg), 1) == -1)
		goto fail;
	if (counters_declare(seg, cli->counter_inits, cli->ncounter_inits,
			     "--counter-init") == -1 ||
	    counters_declare(seg, specs, n, where) == -1)
		goto fail;
	cm->shm = seg;
	return 0;
fail:
	shm_run_destroy(seg);
	unsetenv(SHM_ENV);
	return -1;
}

/* The user's counters: all but the per-stage figures of a pipeline. */
static size_t user_counters(struct shm_seg *seg, struct shm_counter *c)
{
	size_t n = shm_counters_list(seg, c, SHM_COUNTERS), i, k = 0;

	if (n > SHM_COUNTERS)
		n = SHM_COUNTERS;
	for (i = 0; i < n; i++)
		if (strncmp(c[i].name, RUN_STAGE_PREFIX,
			    strlen(RUN_STAGE_PREFIX)) != 0)
			c[k++] = c[i];
	return k;
}

/* The end: counters summary on stderr, --counters-json, segment removed.
 * -1 if the JSON file could not be written (message printed). */
static int shm_end(struct common *cm)
{
	const struct cli *cli = cm->cli;
	struct shm_seg *seg = cm->shm;
	/* (all of them: names and values of at most 20 digits and a sign) */
	static char text[SHM_COUNTERS * (SHM_COUNTER_NAME_MAX + 22) + 1];
	struct shm_counter c[SHM_COUNTERS];
	size_t n;
	FILE *f;
	int rc = 0;

	if (seg == NULL)
		return 0;
	n = user_counters(seg, c);
	if (n > 0) {
		shm_counters_format(c, n, text, sizeof(text));
		fprintf(stderr, "mprun: counters: %s\n", text);
	}
	if (cm->counters_fd > 0) {
		f = fdopen(cm->counters_fd, "w");
		if (f == NULL)
			close(cm->counters_fd);
		cm->counters_fd = 0;
		if (f != NULL && shm_counters_write_json(c, n, f) == -1) {
			fclose(f);
			f = NULL;
		}
		if (f == NULL || fclose(f) == EOF) {
			fprintf(stderr, "mprun: --counters-json %s: %s\n",
				cli->counters_json, strerror(errno));
			rc = -1;
		}
	}
	shm_run_destroy(seg);
	cm->shm = NULL;
	return rc;
}

size_t cli_max_record(const struct cli *cli)
{
	return cli->max_record > SIZE_MAX ? SIZE_MAX : (size_t)cli->max_record;
}

/* A record is longer than --block: say so (once). */
static void cli_block_grew(void *data)
{
	const struct cli *cli = data;
	char size[32];

	common_say("mprun: a record is larger than --block %s: the block "
		   "grows to hold it\n",
		   parse_size_format(cli->block ? cli->block : 1 << 20, size,
				     sizeof(size)));
}

/* --pipe, --pipepart: the splitter over stdin or the file. */
static struct blocks *cli_blocks(const struct cli *cli, const char *name)
{
	struct blocks_opts bo = {.block = cli->block ? cli->block : 1 << 20,
				 .recend = cli->recend,
				 .recstart = cli->recstart,
				 .nrecords = cli->nrecords,
				 .lines = cli->lines,
				 .own_fd = strcmp(name, "-") != 0,
				 .regexp = cli->regexp,
				 .remove_sep = cli->remove_sep,
				 .header = cli->header,
				 .header_apart = cli->round_robin,
				 /* a block read once, from its start */
				 .pipe_blocks = !cli->retries && !cli->cat &&
						!cli->fifo && !cli->round_robin,
				 .max_block = cli->max_record,
				 .grew = cli_block_grew,
				 .grew_data = (void *)(uintptr_t)cli};
	int fd = bo.own_fd ? open(name, O_RDONLY | O_CLOEXEC) : 0;
	struct blocks *b = NULL;

	if (fd != -1)
		b = cli->pipe == PIPE_PART
			    ? blocks_new_file(fd, &bo, cli->block_parts *
						       opts_slots(cli->jobs))
			    : blocks_new_stream(fd, &bo);
	if (b == NULL && errno == ESPIPE)
		fprintf(stderr, "mprun: --pipepart: %s: not a seekable file "
				"(use --pipe for a pipe)\n", name);
	else if (b == NULL)
		fprintf(stderr, "mprun: %s: %s\n",
			strcmp(name, "-") == 0 ? "stdin" : name,
			strerror(errno));
	if (b == NULL && bo.own_fd && fd != -1)
		close(fd);
	return b;
}

/* The input of a run in pipe mode: one record a block. */
static struct input *cli_blocks_input(const struct cli *cli)
{
	struct input_opts io = {.delim = '\n'};
	const char *name = cli->nsources > 0 ? cli->sources[0].file : "-";
	struct blocks *b = cli_blocks(cli, name);
	struct input *in;

	if (b == NULL)
		return NULL;
	in = input_new(&io, NULL, 0);
	if (in == NULL) {
		blocks_free(b);
		warn_msg(strerror(errno));
		return NULL;
	}
	if (input_add_blocks(in, b, name, cli->cat) == -1 ||
	    (cli->fifo && input_set_block_fifos(in, cli->tmpdir) == -1)) {
		fprintf(stderr, "mprun: %s: %s\n",
			cli->fifo ? "--fifo" : name, strerror(errno));
		input_free(in);
		return NULL;
	}
	return in;
}

struct input *cli_input(const struct cli *cli)
{
	struct input_opts io = {.delim = cli->delim,
				.delims = cli->delims,
				.ndelims = cli->ndelims,
				.colsep = cli->colsep,
				.max_record = cli_max_record(cli),
				.eof_str = cli->eof_str,
				.skip_blank = cli->skip_blank,
				.shuffle = cli->shuffle,
				.link = cli->link,
				.trim = cli->trim};
	char err[256] = "";
	struct input *in;
	size_t i;

	if (cli->nsources == 0 && isatty(STDIN_FILENO))
		warn_msg("reading the inputs from the terminal, one a line "
			 "(end with Ctrl-D); give them with :::, :::: or a "
			 "pipe instead");
	if (cli->pipe != PIPE_NONE)
		return cli_blocks_input(cli);
	in = input_new(&io, err, sizeof(err));
	if (in == NULL) {
		warn_msg(err[0] ? err : strerror(errno));
		return NULL;
	}
	for (i = 0; i < cli->nsources; i++) {
		const struct cli_source *s = &cli->sources[i];
		int rc = s->is_file
				 ? input_add_file(in, s->file, s->linked)
				 : input_add_list(in, s->values, s->n, s->linked);

		if (rc == -1) {
			const char *msg = input_error(in);

			if (msg != NULL)
				warn_msg(msg);
			else
				fprintf(stderr, "mprun: %s: %s\n",
					s->is_file ? s->file : ":::",
					strerror(errno));
			input_free(in);
			return NULL;
		}
	}
	return in;
}

/* Word w with each {NAME followed by }, . or / (NAME one of names, the
 * longest that fits) made {N, N its 1-based index. NULL on ENOMEM. */
static char *header_rewrite(const char *w, char *const *names, size_t n)
{
	struct buf b = BUF_INIT;
	size_t i, best, blen, len;

	while (*w != '\0') {
		best = n;
		blen = 0;
		for (i = 0; *w == '{' && i < n; i++) {
			len = strlen(names[i]);
			if (len > blen && strncmp(w + 1, names[i], len) == 0 &&
			    strchr("}./", w[1 + len]) != NULL && w[1 + len]) {
				best = i;
				blen = len;
			}
		}
		if (best < n) {
			if (buf_printf(&b, "{%zu", best + 1) == -1)
				goto fail;
			w += 1 + blen;
		} else if (buf_append_char(&b, *w++) == -1) {
			goto fail;
		}
	}
	if (buf_append_char(&b, '\0') == -1)
		goto fail;
	return b.data;
fail:
	buf_free(&b);
	return NULL;
}

int cli_apply_header(struct cli *cli, struct input *in)
{
	char **names = NULL;
	size_t n = 0, i;
	int rc = -1;

	if (cli->skip_first && input_skip_first(in) == -1) {
		warn_msg(input_error(in) ? input_error(in) : strerror(errno));
		return -1;
	}
	if (cli->header == NULL || cli->pipe != PIPE_NONE)
		return 0;
	if (input_header(in, &names, &n) == -1) {
		warn_msg(input_error(in) ? input_error(in) : strerror(errno));
		return -1;
	}
	cli->named = calloc(cli->ncommand + 1, sizeof(char *));
	if (cli->named == NULL)
		goto out;
	for (i = 0; i < cli->ncommand; i++)
		if ((cli->named[i] = header_rewrite(cli->command[i], names,
						    n)) == NULL)
			goto out;
	cli->command = cli->named;
	if (cli->tagstring != NULL &&
	    (cli->tagstring = cli->named_tag =
		     header_rewrite(cli->tagstring, names, n)) == NULL)
		goto out;
	if (cli->results != NULL && strchr(cli->results, '{') != NULL &&
	    (cli->results = cli->named_results =
		     header_rewrite(cli->results, names, n)) == NULL)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		warn_msg(strerror(errno));
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* The longest status line, in bytes. */
#define LINE_MAX_BYTES 1024

/* Sum c into the total of a pipeline's stages. */
static void add_counts(struct progress_counts *sum,
		       const struct progress_counts *c)
{
	sum->done += c->done;
	sum->failed += c->failed;
	sum->running += c->running;
	sum->ended += c->ended;
	sum->total += c->total;
	sum->total_known &= c->total_known;
	sum->interrupted |= c->interrupted;
	sum->elapsed_ms = c->elapsed_ms;
}

/* Format the status line of part i (i == run_parts(): a pipeline's
 * total) into line; the user's counters go on the last one. */
static void format_part(struct common *cm, size_t i, const char *counters,
			struct progress_counts *sum, char *line)
{
	size_t n = run_parts(cm->run);
	struct progress_counts c;
	const char *label;

	if (i < n) {
		run_counts(cm->run, i, &c);
		label = run_part_name(cm->run, i);
		add_counts(sum, &c);
	} else {
		c = *sum;
		label = "total";
	}
	if (c.interrupted && (i == n || n == 1))
		label = "interrupted";
	progress_format(cm->cli->progress, &c, label,
			i + 1 == n + (n > 1) ? counters : NULL,
			status_width(cm->status), line, LINE_MAX_BYTES);
}

/* The run's draw function: a status line per part (pipeline stage, then
 * the pipeline's total), at the bottom of the terminal or printed. */
static void draw(void *data, struct runner *run, int last)
{
	struct common *cm = data;
	size_t n = run_parts(run), nl = n + (n > 1), i;
	struct progress_counts sum = {.total_known = 1};
	struct shm_counter user[SHM_COUNTERS];
	char counters[512] = "", *text;
	const char **lines;

	if (cm->shm != NULL)
		shm_counters_format(user, user_counters(cm->shm, user),
				    counters, sizeof(counters));
	text = malloc(nl * LINE_MAX_BYTES);
	lines = calloc(nl, sizeof(*lines));
	for (i = 0; text != NULL && lines != NULL && i < nl; i++) {
		lines[i] = text + i * LINE_MAX_BYTES;
		format_part(cm, i, counters, &sum, text + i * LINE_MAX_BYTES);
	}
	if (text != NULL && lines != NULL) {
		if (last)
			status_end(cm->status, lines, nl);
		else
			status_draw(cm->status, lines, nl);
	}
	free(text);
	free(lines);
}

/* The display's side of the run: job output to the terminal makes way for
 * the status lines; a resize draws them anew. */
static void display_before(void *data)
{
	struct common *cm = data;

	status_hide(cm->status);
}

static void display_after(void *data, const void *p, size_t n)
{
	struct common *cm = data;

	status_wrote(cm->status, p, n);
}

static void display_resized(void *data)
{
	struct common *cm = data;

	status_resized(cm->status);
	if (cm->run != NULL)
		draw(cm, cm->run, 0);
}

static const struct run_display display_ops = {
	.before_output = display_before,
	.after_output = display_after,
	.resized = display_resized,
};

/* The status lines: drawn in place on a terminal, unless the jobs write
 * there themselves (-u) or a dry run prints its commands there: then, as
 * on a file, printed, but only at the end. */
static int status_start(struct common *cm, struct run_opts *ro)
{
	int ungrouped = cm->cli->output == POOL_UNGROUP || cm->cli->dry_run;

	cm->status = status_new(STDERR_FILENO, !ungrouped);
	if (cm->status == NULL)
		return -1;
	cm->display = display_ops;
	cm->display.data = cm;
	if (status_live(cm->status)) {
		live_status = cm->status;
		ro->display = &cm->display;
	} else if (ungrouped && isatty(STDERR_FILENO)) {
		return 0;
	}
	ro->draw = draw;
	ro->draw_ms = status_live(cm->status) ? STATUS_MIN_MS : 1000;
	return 0;
}

int common_start(struct common *cm, struct run_opts *ro)
{
	ro->shm = cm->shm;
	ro->mgr = cm->mgr;
	ro->data = cm;
	if (cm->cli->progress && status_start(cm, ro) == -1) {
		warn_msg(strerror(errno));
		return -1;
	}
	cm->run = run_new(ro);
	if (cm->run != NULL)
		return 0;
	if (!cm->said) /* (a scheduler may have said why) */
		fprintf(stderr, "mprun: cannot start the run: %s\n",
			strerror(errno));
	errno = 0; /* said */
	return -1;
}

int common_failed(void)
{
	if (errno == ENOMEM)
		warn_msg(strerror(errno));
	/* a signal ended the set-up (waiting for SSH hosts, an allocation) */
	if (errno == EINTR)
		return RUN_EXIT_INTERRUPTED;
	return EXIT_USAGE;
}

/* Say that --halt stopped the run, after how many failures. */
static void report_halt(struct common *cm)
{
	struct progress_counts c;

	if (run_kind(cm->run) == RUN_PIPELINE) {
		fprintf(stderr, "mprun: --halt: stopped the pipeline after "
			"%llu failed jobs\n", run_failures(cm->run));
		return;
	}
	run_counts(cm->run, 0, &c);
	fprintf(stderr, "mprun: --halt %s: stopped the run after %llu failed "
		"and %llu succeeded %s\n", cm->cli->halt_arg, c.failed,
		c.done - c.failed,
		run_kind(cm->run) == RUN_WORKERS ? "inputs" : "jobs");
}

int common_finish(struct common *cm, int go)
{
	if (go && run_go(cm->run) == -1) {
		common_say("mprun: %s%s\n",
			   run_kind(cm->run) == RUN_PIPELINE ? ""
							      : "event loop: ",
			   strerror(errno));
	} else if (go) {
		if (run_input_error(cm->run) != NULL)
			warn_msg(run_input_error(cm->run));
		if (cm->cli->progress)
			draw(cm, cm->run, 1);
		if (run_halted(cm->run))
			report_halt(cm);
	}
	fflush(stdout);
	if (cm->mgr != NULL && mgr_refused(cm->mgr) > 0)
		common_say("mprun: counter service: %llu connections refused "
			   "(a wrong key, a malformed request, or silence)\n",
			   mgr_refused(cm->mgr));
	if (shm_end(cm) == -1)
		run_fail_after(cm->run);
	if (cm->report != NULL &&
	    report_close(cm->report, cm->report_fd, cm->cli->report) == -1)
		run_fail_after(cm->run);
	cm->report = NULL;
	return run_status(cm->run);
}
