/* common: the command's side of a run: messages, job log, pool defaults,
 * progress lines, shared memory, and the driver over lib/run. */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blocks.h"
#include "buf.h"
#include "exec_local.h"
#include "input.h"
#include "parse.h"
#include "progress.h"
#include "shell.h"
#include "shm.h"
#include "template.h"
#include "wpool.h"

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

void warn_msg(const char *msg)
{
	fprintf(stderr, "mprun: %s\n", msg);
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

void report_done(void *data, const struct pool_job *j)
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

/* Write a line to the job log, if any; if it cannot be written, say so
 * (once) and the exit status is 255. */
static void log_line(struct common *cm, const struct joblog_entry *e)
{
	if (cm->joblog == NULL ||
	    (e->command != NULL && joblog_write(cm->joblog, e) == 0))
		return;
	if (!cm->log_failed)
		fprintf(stderr, "mprun: %s: %s\n", cm->cli->joblog,
			strerror(errno));
	cm->log_failed = 1;
	run_fail(cm->run);
}

void report_finished(void *data, const char *stage, const struct pool_job *j)
{
	struct common *cm = data;
	struct joblog_entry e = {
		.seq = pool_job_seq(j),
		.host = pool_job_host(j),
		.start_ms = pool_job_start_ms(j),
		.runtime_ms = pool_job_runtime_ms(j),
		.send = pool_job_input_bytes(j),
		.receive = pool_job_output_bytes(j),
		.exitval = pool_job_exitval(j),
		.signal = pool_job_signal(j),
		.command = pool_job_command(j),
		.stage = stage,
	};

	run_job_finished(cm->run, stage, pool_job_failed(j), e.send);
	if (!run_interrupted(cm->run) || !pool_job_terminated(j) ||
	    pool_job_timed_out(j))
		log_line(cm, &e);
}

void report_task(struct common *cm, const char *stage, const char *workers,
		 const struct wpool_task *t)
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

	run_task_done(cm->run, stage, wpool_task_failed(t));
	if (cm->joblog == NULL)
		return;
	in = wpool_task_input(t, &len);
	cm->logcmd.len = 0;
	if (buf_printf(&cm->logcmd, "%s %.*s", workers, (int)len, in) == 0)
		e.command = cm->logcmd.data;
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

int common_pool_opts(struct common *cm, struct pool_opts *po)
{
	const struct cli *cli = cm->cli;
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
	po->fifo = cli->fifo;
	po->dry_run = cli->dry_run;
	po->exec = exec_local(shell_choose(cli->shell));
	po->out_fd = cli->output == POOL_UNGROUP ? STDOUT_FILENO
						: output_fd(STDOUT_FILENO);
	po->err_fd = cli->output == POOL_UNGROUP ? STDERR_FILENO
						: output_fd(STDERR_FILENO);
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

static int shm_end(struct common *cm);

void common_free(struct common *cm)
{
	run_free(cm->run);
	template_free(cm->tagstring);
	template_free(cm->on_success);
	template_free(cm->on_error);
	joblog_close(cm->joblog);
	joblog_done_free(cm->resume);
	shm_end(cm);
	buf_free(&cm->logcmd);
	memset(cm, 0, sizeof(*cm));
}

const char *unsafe_file_error(int err)
{
	if (err == EPERM)
		return "refused: it or its directory belongs to another "
		       "user, or others may write there";
	if (err == ELOOP)
		return "refused: a symbolic link";
	if (err == EINVAL)
		return "refused: not a regular file";
	return strerror(err);
}

int common_joblog_open(struct common *cm, int stages)
{
	const struct cli *cli = cm->cli;
	char err[512];

	if (cli->joblog == NULL)
		return 0;
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
			unsafe_file_error(errno));
		return -1;
	}
	return 0;
}

/* The width of the terminal on stderr (80 if unknown). */
static size_t term_width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
		return ws.ws_col;
	return 80;
}

int common_shm_start(struct common *cm, const char *label)
{
	const struct cli *cli = cm->cli;
	char name[SHM_COUNTER_NAME_MAX + 1];
	struct shm_seg *seg;
	long long v;
	size_t i;

	shm_cleanup_stale(NULL, NULL);
	seg = shm_run_create(label);
	if (seg == NULL) {
		fprintf(stderr, "mprun: cannot make the shared memory for "
			"counters (/dev/shm): %s\n", strerror(errno));
		return -1;
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

	fprintf(stderr, "mprun: a record is larger than --block %s: the "
			"block grows to hold it\n",
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
	rc = 0;
out:
	if (rc == -1)
		warn_msg(strerror(errno));
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* The run's draw function: a progress line per part (pipeline stage,
 * then labelled), on a terminal redrawn in place, else plain lines. */
static void draw(void *data, struct runner *run, int last)
{
	struct common *cm = data;
	size_t n = run_parts(run), i, len;
	struct progress_counts c;
	struct shm_counter user[SHM_COUNTERS];
	char counters[512] = "", line[512];
	const char *label;

	if (cm->shm != NULL)
		shm_counters_format(user, user_counters(cm->shm, user),
				    counters, sizeof(counters));
	if (cm->progress_tty && cm->progress_lines > 1)
		fprintf(stderr, "\033[%zuA", cm->progress_lines - 1);
	for (i = 0; i < n; i++) {
		run_counts(run, i, &c);
		label = run_part_name(run, i);
		len = progress_format(cm->cli->progress, &c, 0, line,
				      sizeof(line));
		if (i + 1 == n && *counters != '\0')
			len += (size_t)snprintf(line + len, sizeof(line) - len,
						", %s", counters);
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		if (cm->progress_tty && len > term_width() - 1)
			len = term_width() - 1;
		if (cm->progress_tty)
			fprintf(stderr, "\r%s%s%.*s\033[K%s",
				label ? label : "", label ? ": " : "", (int)len,
				line, i + 1 < n || last ? "\n" : "");
		else
			fprintf(stderr, "mprun: %s%s%.*s\n", label ? label : "",
				label ? ": " : "", (int)len, line);
	}
	cm->progress_lines = n;
	fflush(stderr);
}

int common_start(struct common *cm, struct run_opts *ro)
{
	ro->shm = cm->shm;
	ro->data = cm;
	if (cm->cli->progress) {
		cm->progress_tty = isatty(STDERR_FILENO);
		ro->draw = draw;
		ro->draw_ms = cm->progress_tty ? 100 : 1000;
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
		fprintf(stderr, "mprun: %s%s\n",
			run_kind(cm->run) == RUN_PIPELINE ? "" : "event loop: ",
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
	if (shm_end(cm) == -1)
		run_fail_after(cm->run);
	return run_status(cm->run);
}
