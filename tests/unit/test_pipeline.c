/* Unit tests for lib/pipeline: small pipelines run end to end through the
 * library with real /bin/sh jobs: stages connected by channels, fan-out,
 * batches, the after: barrier, a workers: stage, callbacks and env, --halt
 * now and soon across stages, --dry-run, and what pipeline_new refuses. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec_local.h"
#include "loop.h"
#include "pipefile.h"
#include "pipeline.h"
#include "termtree.h"
#include "unit.h"

static char top[] = "/tmp/test_pipelineXXXXXX";
static char yaml[128];
static char text[65536];
static int fifo = -1; /* written to when stage s1 finishes a job */

static struct {
	char launched[2048]; /* "stage:seq " per launch */
	char finished[2048]; /* "stage:seq " per finished job */
	char errors[1024];
	char notices[1024];
	unsigned done;
	int term_sig[8];     /* signal that ended stage "s<i>"'s job 1 */
	int terminated[8];
} ev;

/* Everything written to fd, as text. */
static const char *contents(int fd)
{
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);

	text[n > 0 ? n : 0] = '\0';
	return text;
}

/* The lines of s sorted, joined again (for fan-out, whose stages
 * interleave). */
static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *sorted(const char *s)
{
	static char out[4096];
	char copy[4096], *lines[256], *save = NULL, *l;
	size_t n = 0, i;

	snprintf(copy, sizeof(copy), "%s", s);
	for (l = strtok_r(copy, "\n", &save); l != NULL && n < 256;
	     l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	qsort(lines, n, sizeof(lines[0]), cmp);
	out[0] = '\0';
	for (i = 0; i < n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s\n",
			 lines[i]);
	return out;
}

static void add(char *buf, size_t len, const char *stage,
		const struct sched_task *j)
{
	snprintf(buf + strlen(buf), len - strlen(buf), "%s:%llu ", stage,
		 sched_task_seq(j));
}

static void on_launch(void *data, const char *stage, const struct sched_task *j)
{
	add(ev.launched, sizeof(ev.launched), stage, j);
}

static void on_finished(void *data, const char *stage,
			const struct sched_task *j)
{
	add(ev.finished, sizeof(ev.finished), stage, j);
	if (fifo >= 0 && strcmp(stage, "s1") == 0 &&
	    write(fifo, "go\n", 3) != 3)
		printf("# fifo write failed\n");
	if (stage[0] == 's' && stage[1] >= '0' && stage[1] <= '7' &&
	    sched_task_seq(j) == 1) {
		ev.term_sig[stage[1] - '0'] = sched_task_signal(j);
		ev.terminated[stage[1] - '0'] = pool_job_terminated(j);
	}
}

static void on_done(void *data, const char *stage, const struct sched_task *j)
{
	ev.done++;
}

static void on_error(void *data, const char *msg)
{
	snprintf(ev.errors + strlen(ev.errors),
		 sizeof(ev.errors) - strlen(ev.errors), "%s\n", msg);
}

static void on_notice(void *data, const char *msg)
{
	snprintf(ev.notices + strlen(ev.notices),
		 sizeof(ev.notices) - strlen(ev.notices), "%s\n", msg);
}

/* One run of a pipeline file given as text. */
struct run {
	struct pipefile *pf;
	struct loop *l;
	struct pipeline *pl;
	int out, err;
	int rc;
};

/* A temporary file (unlinked). */
static int tmpfile_fd(void)
{
	char path[160];
	int fd;

	snprintf(path, sizeof(path), "%s/outXXXXXX", top);
	fd = mkstemp(path);
	unlink(path);
	return fd;
}

/* Load text and build the pipeline (dry_run as given); NULL pl when
 * refused. */
static void build(struct run *r, const char *yaml_text, int dry_run)
{
	struct pipeline_opts o = {0};
	struct pipeline_events pe = {on_launch, on_done, on_finished,
				     on_error,	on_notice, NULL,
				     NULL,	NULL};
	char err[512] = "";
	FILE *f = fopen(yaml, "w");

	memset(&ev, 0, sizeof(ev));
	memset(r, 0, sizeof(*r));
	fputs(yaml_text, f);
	fclose(f);
	r->rc = -2;
	if (pipefile_load(yaml, NULL, 0, &r->pf, err, sizeof(err)) == -1) {
		printf("# %s\n", err);
		return;
	}
	r->l = loop_new();
	r->out = tmpfile_fd();
	r->err = tmpfile_fd();
	o.jobs = 2;
	o.pool.sched.slots = 2;
	o.pool.sched.order = ORDER_UNORDERED;
	o.pool.output = POOL_GROUP;
	o.pool.mem_limit = 1 << 20;
	o.pool.spill_limit = (uint64_t)1 << 30;
	o.pool.sched.tmpdir = top;
	o.pool.sched.exec = exec_local("/bin/sh");
	termseq_default(&o.pool.sched.termseq);
	o.pool.sched.out_fd = r->out;
	o.pool.sched.err_fd = r->err;
	o.pool.dry_run = dry_run;
	r->pl = pipeline_new(r->l, r->pf, &o, &pe);
}

/* Build and run; r->rc is pipeline_run's. */
static void run(struct run *r, const char *yaml_text)
{
	build(r, yaml_text, 0);
	if (r->pl != NULL)
		r->rc = pipeline_run(r->pl);
}

static void finish(struct run *r)
{
	pipeline_free(r->pl);
	pipefile_free(r->pf);
	if (r->l != NULL)
		loop_free(r->l);
	if (r->out > 0)
		close(r->out);
	if (r->err > 0)
		close(r->err);
	errno = 0;
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
}

/* The counts of stage i as "done/failed/running". */
static const char *counts(const struct run *r, size_t i)
{
	static char s[64];
	unsigned long long d, f, run_n;

	pipeline_stage_counts(r->pl, i, &d, &f, &run_n);
	snprintf(s, sizeof(s), "%llu/%llu/%llu", d, f, run_n);
	return s;
}

/* One stage's output is the next one's input, line by line, while both
 * run; the reader's order policy orders what it writes. */
static void test_chain(void)
{
	struct run r;
	unsigned long long total = 0;

	run(&r, "stages:\n"
		"  gen:\n"
		"    cmd: printf '%s\\n' 1 2 3\n"
		"  pre:\n"
		"    cmd: echo x{}\n"
		"    input: gen\n"
		"    order: imap\n");
	CHECK_INT(r.rc, 0);
	CHECK_STR(contents(r.out), "x1\nx2\nx3\n");
	CHECK_STR(contents(r.err), "");
	CHECK_INT(pipeline_nstages(r.pl), 2);
	CHECK_STR(pipeline_stage_name(r.pl, 1), "pre");
	CHECK_STR(counts(&r, 0), "1/0/0");
	CHECK_STR(counts(&r, 1), "3/0/0");
	CHECK(pipeline_stage_total(r.pl, 1, &total) == 1 && total == 3);
	CHECK_INT(pipeline_failed(r.pl), 0);
	CHECK(!pipeline_halted(r.pl) && !pipeline_output_closed(r.pl));
	/* gen ran once, before any of pre's jobs could start */
	CHECK(strncmp(ev.launched, "gen:1 ", 6) == 0);
	CHECK_INT(ev.done, 4);
	CHECK_STR(ev.errors, "");
	finish(&r);
}

/* Fan-out: both readers get every line; a batch stage (n) gathers its
 * inputs from a stream of 2000. */
static void test_fanout_and_batch(void)
{
	struct run r;
	unsigned long long total = 0;

	run(&r, "stages:\n"
		"  gen:\n"
		"    cmd: printf '%s\\n' 1 2 3\n"
		"  b:\n"
		"    cmd: echo b{}\n"
		"    input: gen\n"
		"  c:\n"
		"    cmd: echo c{}\n"
		"    input: gen\n");
	CHECK_INT(r.rc, 0);
	CHECK_STR(sorted(contents(r.out)), "b1\nb2\nb3\nc1\nc2\nc3\n");
	CHECK_STR(counts(&r, 1), "3/0/0");
	CHECK_STR(counts(&r, 2), "3/0/0");
	finish(&r);

	run(&r, "stages:\n"
		"  gen:\n"
		"    cmd: seq 2000\n"
		"  count:\n"
		"    cmd: echo {} | wc -w\n"
		"    input: gen\n"
		"    n: 1500\n"
		"    order: imap\n");
	CHECK_INT(r.rc, 0);
	CHECK_STR(contents(r.out), "1500\n500\n");
	CHECK(pipeline_stage_total(r.pl, 1, &total) == 1 && total == 2);
	finish(&r);
}

/* after: a stage starts only when those it waits for have ended; env
 * and callbacks of a stage; failures counted across stages. */
static void test_after_env_callbacks(void)
{
	struct run r;
	const char *c3;

	run(&r, "stages:\n"
		"  first:\n"
		"    cmd: echo \"$GREETING {}\"\n"
		"    input: [a, b, c]\n"
		"    env: {GREETING: hi}\n"
		"    order: imap\n"
		"  last:\n"
		"    cmd: echo last\n"
		"    after: first\n"
		"  codes:\n"
		"    cmd: exit {}\n"
		"    input: [0, 3]\n"
		"    order: imap\n"
		"    after: last\n"
		"    on_error: echo \"bad {} $MPRUN_EXIT\"; exit 2\n"
		"    on_success: echo \"good {}\"\n");
	CHECK_INT(r.rc, 0);
	CHECK_STR(contents(r.out), "hi a\nhi b\nhi c\nlast\n"
				   "good 0\nbad 3 3\n");
	/* every job of first finished before last started */
	c3 = strstr(ev.launched, "last:1");
	CHECK(c3 != NULL && strstr(c3, "first:") == NULL);
	CHECK(strstr(ev.finished, "last:1") >
	      strstr(ev.finished, "first:3"));
	/* the failed job and its failed callback */
	CHECK_INT(pipeline_failed(r.pl), 2);
	CHECK_STR(counts(&r, 2), "2/1/0");
	CHECK_STR(ev.notices, "stage codes: job 2: --on-error callback failed "
			      "with exit status 2\n");
	finish(&r);
}

/* A workers: stage in the middle of a pipeline. */
static void test_workers(void)
{
	struct run r;

	run(&r, "stages:\n"
		"  gen:\n"
		"    cmd: printf '%s\\n' 1 2 3 4\n"
		"  w:\n"
		"    workers: exec sed -u 's/^/w/'\n"
		"    input: gen\n"
		"    jobs: 2\n"
		"    order: imap\n"
		"  sum:\n"
		"    cmd: echo {}\n"
		"    input: w\n"
		"    n: 10\n");
	CHECK_INT(r.rc, 0);
	CHECK_STR(contents(r.out), "w1 w2 w3 w4\n");
	CHECK_STR(counts(&r, 1), "4/0/0");
	finish(&r);
}

/* --halt now in one stage ends the running jobs of every stage; soon
 * lets them finish and starts nothing more anywhere. */
static void test_halt(void)
{
	struct run r;
	uint64_t t0 = loop_now_ms();
	char path[PATH_MAX], yaml_text[PATH_MAX + 256];

	run(&r, "stages:\n"
		"  s0:\n"
		"    cmd: exec sleep 3\n"
		"  s1:\n"
		"    cmd: exit 1\n"
		"    halt: now,fail=1\n"
		"  s2:\n"
		"    cmd: echo never\n"
		"    after: s1\n");
	CHECK_INT(r.rc, 0);
	CHECK(pipeline_halted(r.pl));
	CHECK(ev.terminated[0] && ev.term_sig[0] == SIGTERM);
	CHECK(loop_now_ms() - t0 < 2500); /* not the 3 s of the sleep */
	CHECK(strstr(ev.launched, "s2:") == NULL);
	CHECK_STR(contents(r.out), "");
	/* the job cut short by --halt now is not counted failed */
	CHECK_INT(pipeline_failed(r.pl), 1);
	finish(&r);

	/* s0 runs until s1's job has finished (and halted the run) */
	snprintf(path, sizeof(path), "%s/fifo", top);
	CHECK_INT(mkfifo(path, 0600), 0);
	fifo = open(path, O_RDWR | O_CLOEXEC);
	snprintf(yaml_text, sizeof(yaml_text),
		 "stages:\n"
		 "  s0:\n"
		 "    cmd: read x < %s; echo \"s0 $x\"\n"
		 "  s1:\n"
		 "    cmd: exit 1\n"
		 "    halt: soon,fail=1\n"
		 "  s2:\n"
		 "    cmd: echo never\n"
		 "    after: s1\n",
		 path);
	run(&r, yaml_text);
	CHECK_INT(r.rc, 0);
	CHECK(pipeline_halted(r.pl));
	CHECK(!ev.terminated[0] && ev.term_sig[0] == 0);
	CHECK_STR(contents(r.out), "s0 go\n");
	CHECK(strstr(ev.launched, "s2:") == NULL);
	CHECK_INT(pipeline_failed(r.pl), 1);
	finish(&r);
	close(fifo);
	fifo = -1;
}

/* --dry-run: the commands are launched (shown), nothing runs; a workers
 * stage has no pool then. */
static void test_dry_run(void)
{
	struct run r;

	build(&r, "stages:\n"
		  "  a:\n"
		  "    cmd: echo {}\n"
		  "    input: [1, 2]\n"
		  "  w:\n"
		  "    workers: cat\n"
		  "    input: a\n",
	      1);
	CHECK(r.pl != NULL);
	if (r.pl != NULL)
		r.rc = pipeline_run(r.pl);
	CHECK_INT(r.rc, 0);
	CHECK_STR(ev.launched, "a:1 a:2 ");
	CHECK_STR(ev.finished, "");
	CHECK_STR(contents(r.out), "");
	finish(&r);
}

/* 1 if loading yaml_text fails with a message that holds want. */
static int load_error(const char *yaml_text, const char *want)
{
	struct pipefile *pf = NULL;
	char err[512] = "";
	FILE *f = fopen(yaml, "w");

	if (f == NULL)
		return 0;
	fputs(yaml_text, f);
	fclose(f);
	if (pipefile_load(yaml, NULL, 0, &pf, err, sizeof(err)) == 0) {
		pipefile_free(pf);
		return 0;
	}
	if (strstr(err, want) == NULL) {
		printf("# got: %s\n", err);
		return 0;
	}
	return 1;
}

/* What pipeline_new refuses, with the message through the error event. */
static void test_refused(void)
{
	struct run r;

	/* a command that would make an input code: refused when the file
	 * is read, with the file's place and the command's */
	CHECK(load_error("stages:\n  a:\n    cmd: eval {}\n    input: [1]\n",
			 ":3:10: stage 'a': cmd refused, at 1:6: 'eval' reads"));
	CHECK(load_error("stages:\n  a:\n    cmd: echo\n    on_error: eval {}\n",
			 ":4:15: stage 'a': on_error refused, at 1:6: 'eval'"));

	build(&r, "stages:\n  a:\n    cmd: cat {}\n"
		  "    input: {file: /nonexistent/in}\n",
	      0);
	CHECK(r.pl == NULL);
	CHECK_STR(ev.errors,
		  "stage a: /nonexistent/in: No such file or directory\n");
	finish(&r);
}

int main(void)
{
	char cmd[PATH_MAX];

	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(top) == NULL)
		return 99;
	snprintf(yaml, sizeof(yaml), "%s/p.yaml", top);
	test_chain();
	test_fanout_and_batch();
	test_after_env_callbacks();
	test_workers();
	test_halt();
	test_dry_run();
	test_refused();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", top);
	return UNIT_DONE();
}
