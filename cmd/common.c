/* common: messages, job log, pool defaults and progress for the command. */
#include "common.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "exec_local.h"
#include "input.h"
#include "shm.h"
#include "template.h"
#include "termtree.h"
#include "wpool.h"

void warn_msg(const char *msg)
{
	fprintf(stderr, "mprun: %s\n", msg);
}

void report_done(const struct pool_job *j)
{
	int e = pool_job_exec_errno(j);

	const char *origin = pool_job_origin(j);
	/* "file:12", or "::: #2" for a value of the command line */
	const char *sep = *origin != '\0' && origin[strlen(origin) - 1] == ':'
				  ? " #"
				  : ":";

	if (pool_job_refused(j) != NULL)
		fprintf(stderr, "mprun: job %llu (input %s%s%llu) not run: %s\n",
			pool_job_seq(j), origin, sep, pool_job_lineno(j),
			pool_job_refused(j));
	else if (pool_job_too_long(j))
		fprintf(stderr,
			"mprun: job %llu: command line too long for the kernel "
			"(input %s%s%llu); job not run\n",
			pool_job_seq(j), origin, sep, pool_job_lineno(j));
	else if (e == ENOENT)
		fprintf(stderr, "mprun: %s: command not found\n",
			pool_job_program(j));
	else if (e != 0)
		fprintf(stderr, "mprun: %s: %s\n", pool_job_program(j),
			strerror(e));
}

int report_finished(struct joblog *log, const char *stage,
		    const struct pool_job *j, int interrupted)
{
	struct joblog_entry e = {
		.seq = pool_job_seq(j),
		.host = pool_job_host(j),
		.start_ms = pool_job_start_ms(j),
		.runtime_ms = pool_job_runtime_ms(j),
		.receive = pool_job_output_bytes(j),
		.exitval = pool_job_exitval(j),
		.signal = pool_job_signal(j),
		.command = pool_job_command(j),
		.stage = stage,
	};

	if (interrupted && pool_job_terminated(j) && !pool_job_timed_out(j))
		return 0;
	return log != NULL ? joblog_write(log, &e) : 0;
}

int report_task(struct joblog *log, const char *stage, const char *workers,
		const struct wpool_task *t, struct buf *scratch)
{
	struct joblog_entry e = {
		.seq = wpool_task_seq(t),
		.host = ":",
		.start_ms = wpool_task_start_ms(t),
		.runtime_ms = wpool_task_runtime_ms(t),
		.send = wpool_task_sent(t),
		.receive = wpool_task_received(t),
		.exitval = wpool_task_failed(t),
		.signal = wpool_task_signal(t),
		.stage = stage,
	};
	const char *in;
	size_t len;

	if (log == NULL)
		return 0;
	in = wpool_task_input(t, &len);
	scratch->len = 0;
	if (buf_printf(scratch, "%s %.*s", workers, (int)len, in) == -1)
		return -1;
	e.command = scratch->data;
	return joblog_write(log, &e);
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

int common_pool_opts(const struct cli *cli, struct common *cm,
		     struct pool_opts *po)
{
	const char *shell = getenv("MPRUN_SHELL");
	char err[256];

	termseq_default(&po->termseq);
	if (cli->termseq != NULL &&
	    termseq_parse(cli->termseq, &po->termseq, err, sizeof(err)) == -1) {
		warn_msg(err);
		return -1;
	}
	if (make_callback("--on-success", cli->on_success, &cm->on_success) ==
		    -1 ||
	    make_callback("--on-error", cli->on_error, &cm->on_error) == -1)
		return -1;
	if (cli->tagstring != NULL) {
		char *words[] = {(char *)cli->tagstring};

		cm->tagstring = template_new(words, 1,
					     TEMPLATE_SHELL | TEMPLATE_NO_QUOTE |
						     TEMPLATE_NO_APPEND,
					     NULL);
		if (cm->tagstring == NULL) {
			warn_msg("--tagstring is empty");
			return -1;
		}
	}
	po->order = cli->order;
	po->output = cli->output;
	po->tag = cli->tag;
	po->tagstring = cm->tagstring;
	po->mem_limit = (size_t)cli->mem_limit;
	po->spill_limit = cli->spill_limit;
	po->tmpdir = cli->tmpdir;
	po->dry_run = cli->dry_run;
	po->exec = exec_local(shell != NULL && *shell ? shell : "/bin/sh");
	po->out_fd = STDOUT_FILENO;
	po->err_fd = STDERR_FILENO;
	po->timeout_ms = cli->timeout_ms;
	po->timeout_pct = cli->timeout_pct;
	po->retries = cli->retries;
	po->delay_ms = cli->delay_ms;
	po->halt = cli->halt;
	po->on_success = cm->on_success;
	po->on_error = cm->on_error;
	po->results_dir = cli->results;
	return 0;
}

void common_free(struct common *cm)
{
	template_free(cm->tagstring);
	template_free(cm->on_success);
	template_free(cm->on_error);
	memset(cm, 0, sizeof(*cm));
}

int failures_status(unsigned long long failed)
{
	return failed > 100 ? EXIT_MANY_FAILED : (int)failed;
}

/* The width of the terminal on stderr (80 if unknown). */
static size_t term_width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
		return ws.ws_col;
	return 80;
}

void progress_show(int flags, int tty, size_t n, const char *const *labels,
		   const struct progress_counts *c, const char *extra,
		   int last, size_t *drawn)
{
	char line[512];
	size_t i, len;

	if (tty && *drawn > 1)
		fprintf(stderr, "\033[%zuA", *drawn - 1);
	for (i = 0; i < n; i++) {
		len = progress_format(flags, &c[i], 0, line, sizeof(line));
		if (i + 1 == n && extra != NULL && *extra != '\0')
			len += (size_t)snprintf(line + len, sizeof(line) - len,
						", %s", extra);
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		if (tty && len > term_width() - 1)
			len = term_width() - 1;
		if (tty)
			fprintf(stderr, "\r%s%s%.*s\033[K%s",
				labels ? labels[i] : "", labels ? ": " : "",
				(int)len, line,
				i + 1 < n || last ? "\n" : "");
		else
			fprintf(stderr, "mprun: %s%s%.*s\n",
				labels ? labels[i] : "", labels ? ": " : "",
				(int)len, line);
	}
	*drawn = n;
	fflush(stderr);
}

void sweep_descendants(void)
{
	pid_t *pids = NULL;
	size_t n = 1, i;
	int round;

	/* Kill what is left, reap it (we are its subreaper), and look again:
	 * a dying parent hands its children to us. At most about a second. */
	for (round = 0; round < 100 && n > 0; round++) {
		if (termtree_descendants(&pids, &n) == -1)
			return;
		for (i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		free(pids);
		pids = NULL;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (n > 0)
			usleep(10000);
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

struct shm_seg *run_shm_start(const struct cli *cli, const char *label)
{
	char name[SHM_COUNTER_NAME_MAX + 1];
	struct shm_seg *seg;
	long long v;
	size_t i;

	shm_cleanup_stale(NULL, NULL);
	seg = shm_run_create(label);
	if (seg == NULL) {
		fprintf(stderr, "mprun: cannot make the shared memory for "
			"counters (/dev/shm): %s\n", strerror(errno));
		return NULL;
	}
	if (setenv(SHM_ENV, shm_name(seg), 1) == -1)
		goto fail;
	for (i = 0; i < cli->ncounter_inits; i++) {
		if (shm_counter_spec_parse(cli->counter_inits[i], name, &v) ==
			    -1 ||
		    shm_counter_set(seg, name, v) == -1) {
			fprintf(stderr, "mprun: --counter-init: \"%s\" is not "
				"NAME=NUMBER (names: letters, digits, _ . : / "
				"-)\n", cli->counter_inits[i]);
			goto fail;
		}
	}
	return seg;
fail:
	shm_run_destroy(seg);
	unsetenv(SHM_ENV);
	return NULL;
}

void run_shm_started(struct shm_seg *seg)
{
	shm_stat_add(seg, SHM_STARTED, 1);
	shm_stat_add(seg, SHM_RUNNING, 1);
}

void run_shm_finished(struct shm_seg *seg, int failed)
{
	shm_stat_add(seg, SHM_RUNNING, -1);
	shm_stat_add(seg, SHM_DONE, 1);
	if (failed)
		shm_stat_add(seg, SHM_FAILED, 1);
}

/* The user's counters: all but the per-stage figures of a pipeline. */
static size_t user_counters(struct shm_seg *seg, struct shm_counter *c)
{
	size_t n = shm_counters_list(seg, c, SHM_COUNTERS), i, k = 0;

	if (n > SHM_COUNTERS)
		n = SHM_COUNTERS;
	for (i = 0; i < n; i++)
		if (strncmp(c[i].name, STAGE_PREFIX, strlen(STAGE_PREFIX)) != 0)
			c[k++] = c[i];
	return k;
}

void run_shm_counters(struct shm_seg *seg, char *out, size_t len)
{
	struct shm_counter c[SHM_COUNTERS];
	size_t n = user_counters(seg, c);

	out[0] = '\0';
	shm_counters_format(c, n, out, len);
}

void run_shm_stage(struct shm_seg *seg, const char *stage, const char *what,
		   long long delta)
{
	char name[SHM_COUNTER_NAME_MAX + 1];
	int n = snprintf(name, sizeof(name), "%s%s:%s", STAGE_PREFIX, stage,
			 what);

	if (n > 0 && (size_t)n < sizeof(name) && shm_counter_name_valid(name))
		shm_counter_add(seg, name, delta, NULL);
}

int run_shm_end(struct shm_seg *seg, const struct cli *cli)
{
	struct shm_counter c[SHM_COUNTERS];
	size_t n;
	char text[1024];
	FILE *f;
	int rc = 0;

	if (seg == NULL)
		return 0;
	n = user_counters(seg, c);
	if (n > 0) {
		shm_counters_format(c, n, text, sizeof(text));
		fprintf(stderr, "mprun: counters: %s\n", text);
	}
	if (cli->counters_json != NULL) {
		f = fopen(cli->counters_json, "w");
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
	return rc;
}

size_t cli_max_record(const struct cli *cli)
{
	return cli->max_record > SIZE_MAX ? SIZE_MAX : (size_t)cli->max_record;
}

struct input *cli_input(const struct cli *cli)
{
	struct input_opts io = {.delim = cli->delim,
				.colsep = cli->colsep,
				.max_record = cli_max_record(cli)};
	char err[256] = "";
	struct input *in;
	size_t i;

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
