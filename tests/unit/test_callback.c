/* Unit tests for lib/callback: real callbacks through exec_local and the
 * loop — one at a time in the order queued, failures counted and told,
 * output held until flushed (then in flush order) or passed straight
 * through, a large output spilled to a file, and callback_terminate()
 * ending the running one's tree (termseq) and dropping the queued ones. */
#include <dirent.h>
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

#include "buf.h"
#include "callback.h"
#include "exec_local.h"
#include "loop.h"
#include "template.h"
#include "termtree.h"
#include "unit.h"

#define MAXCB 8

static char top[] = "/tmp/test_callbackXXXXXX";
static char *envp[] = {(char *)"PATH=/usr/bin:/bin", NULL};

/* One callback as the caller sees it. */
struct cbjob {
	char *cmd[1];    /* its shell command; also its {} */
	int seq;
	int failed;      /* the job failed: on_error runs */
	int no_vars;     /* opts.vars fails */
	int done;
	struct callback *cb;
};

/* The test's state: the loop, the queue, its jobs and what was told. */
static struct {
	struct loop *l;
	struct callbacks *q;
	struct callback_opts o;
	struct cbjob job[MAXCB];
	int out, err;    /* the files where output goes */
	char log[1024];  /* "d2 ..." and the notices, in the order told */
	int timed_out;
	struct template *tpl[2];
} T;

/* opts.vars: the job's number in $SEQ, top in $TOP, its command in
 * $CMD (the templates run it). */
static int vars(void *data, struct buf *b)
{
	struct cbjob *j = data;

	if (j->no_vars) {
		errno = E2BIG;
		return -1;
	}
	return buf_printf(b, "SEQ=%d%cTOP=%s%cCMD=%s%c", j->seq, 0, top, 0,
			  j->cmd[0], 0);
}

/* opts.done: note it, keep the callback (flushed by the test). */
static void done(void *data, struct callback *cb)
{
	struct cbjob *j = data;

	j->done = 1;
	j->cb = cb;
	snprintf(T.log + strlen(T.log), sizeof(T.log) - strlen(T.log), "d%d ",
		 j->seq);
}

/* opts.notice: note it. */
static void notice(void *ctx, const char *msg)
{
	snprintf(T.log + strlen(T.log), sizeof(T.log) - strlen(T.log),
		 "[%s] ", msg);
}

/* An unlinked file in top for output, read back by contents(). */
static int scratch(void)
{
	return open(top, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
}

/* Everything written to fd so far. */
static const char *contents(int fd)
{
	static char text[1 << 20];
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);

	text[n > 0 ? n : 0] = '\0';
	return text;
}

/* A fresh queue; its output to two scratch files. */
static void setup(size_t mem_limit)
{
	static struct termseq ts;

	const char *ok[] = {"eval \"$CMD\""},
		   *bad[] = {"echo on-error {#} {}; eval \"$CMD\""};
	int fl = TEMPLATE_SHELL | TEMPLATE_NO_APPEND;
	struct template_error err;

	memset(&T, 0, sizeof(T));
	T.tpl[0] = template_new((char *const *)ok, 1, fl, &err);
	T.tpl[1] = template_new((char *const *)bad, 1, fl, &err);
	termseq_default(&ts);
	T.l = loop_new();
	T.out = scratch();
	T.err = scratch();
	T.o = (struct callback_opts){
		.cmd = {T.tpl[0], T.tpl[1]},
		.noun = "job",
		.how = {{"exit ", ""}, {"signal ", ""}},
		.exec = exec_local("/bin/sh"),
		.env = envp,
		.fd_in = -1,
		.out = {{.fd = T.out}, {.fd = T.err}},
		.mem_limit = mem_limit,
		.tmpdir = top,
		.termseq = &ts,
		.vars = vars,
		.done = done,
		.notice = notice,
	};
	T.o.fd_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* Make the queue with T.o (after a test changed it). */
static void start(void)
{
	T.q = callback_new(T.l, &T.o);
	CHECK(T.q != NULL);
}

/* Queue the callback of job i: the job failed or not, its cmd. */
static void add(int i, int failed, const char *cmd)
{
	struct template_job tj = {T.job[i].cmd, 1, (unsigned)i, 1};

	T.job[i] = (struct cbjob){{(char *)cmd}, i, failed, 0, 0, NULL};
	T.job[i].no_vars = cmd == NULL;
	callback_add(T.q, &T.job[i], failed, &tj);
}

/* The run took too long. */
static void too_long(struct loop *l, void *data)
{
	T.timed_out = 1;
}

/* Run the loop until nothing is pending (at most 10 s). */
static void run(void)
{
	struct loop_timer *t = loop_timer_add(T.l, 10000, too_long, NULL);

	while (callback_pending(T.q) > 0 && !T.timed_out)
		loop_run_once(T.l);
	if (!T.timed_out)
		loop_timer_cancel(T.l, t);
	CHECK(!T.timed_out);
}

/* Free the queue, the callbacks handed back, the loop, the files. */
static void teardown(void)
{
	int i;

	callback_destroy(T.q);
	for (i = 0; i < MAXCB; i++)
		callback_free(T.job[i].cb);
	loop_free(T.l);
	close(T.out);
	close(T.err);
	close(T.o.fd_in);
	template_free(T.tpl[0]);
	template_free(T.tpl[1]);
}

/* One at a time, in the order queued; each done when over. */
static void test_order(void)
{
	const char *cmd = "echo start $SEQ >>$TOP/order; sleep 0.05; "
			  "echo end $SEQ >>$TOP/order";
	char path[PATH_MAX];
	int fd;

	setup(0);
	start();
	add(1, 0, cmd);
	CHECK(callback_pending(T.q));
	add(2, 0, cmd);
	add(3, 0, cmd);
	CHECK(callback_pending(T.q));
	CHECK_STR(T.log, "");
	run();
	CHECK_STR(T.log, "d1 d2 d3 ");
	snprintf(path, sizeof(path), "%s/order", top);
	fd = open(path, O_RDONLY);
	CHECK_STR(contents(fd),
		  "start 1\nend 1\nstart 2\nend 2\nstart 3\nend 3\n");
	close(fd);
	unlink(path);
	CHECK_INT(callback_failures(T.q), 0);
	teardown();
}

/* A status other than 0, a signal, a callback that cannot start: each
 * counted, told with its status or reason, and done. */
static void test_failures(void)
{
	setup(0);
	start();
	add(1, 0, "exit 3");
	add(2, 0, "true");
	add(3, 1, "kill -9 $$");
	add(4, 0, NULL);
	run();
	CHECK_STR(T.log, "[job 1: --on-success callback exit 3] d1 d2 "
			 "[job 3: --on-error callback signal 9] d3 "
			 "[job 4: --on-success callback Argument list too long] "
			 "d4 ");
	CHECK_INT(callback_failures(T.q), 3);
	/* the failed job's callback is on_error's */
	CHECK_INT(callback_flush(T.job[3].cb), 0);
	CHECK_STR(contents(T.out), "on-error 3 kill -9 $$\n");
	teardown();
}

/* Captured output is held until flushed, then written in flush order;
 * a direct stream goes straight out. */
static void test_output(void)
{
	setup(0);
	start();
	add(1, 0, "echo o1; echo e1 >&2; echo o1b");
	add(2, 0, "echo o2; echo e2 >&2");
	run();
	CHECK_STR(contents(T.out), "");
	CHECK_STR(contents(T.err), "");
	CHECK_INT(callback_flush(T.job[2].cb), 0);
	CHECK_INT(callback_flush(T.job[1].cb), 0);
	CHECK_STR(contents(T.out), "o2\no1\no1b\n");
	CHECK_STR(contents(T.err), "e2\ne1\n");
	CHECK_INT(callback_flush(NULL), 0);
	teardown();

	setup(0);
	T.o.out[1].direct = 1;
	start();
	add(1, 0, "echo o1; echo e1 >&2");
	run();
	CHECK_STR(contents(T.out), "");
	CHECK_STR(contents(T.err), "e1\n");
	CHECK_INT(callback_flush(T.job[1].cb), 0);
	CHECK_STR(contents(T.out), "o1\n");
	teardown();
}

/* Does one of our descriptors name a (deleted) file in top? */
static int has_spill_file(void)
{
	char link[PATH_MAX], path[300];
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	ssize_t n;
	int found = 0;

	while (d != NULL && (e = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		found |= strncmp(link, top, strlen(top)) == 0 &&
			 strstr(link, "(deleted)") != NULL &&
			 atoi(e->d_name) != T.out && atoi(e->d_name) != T.err;
	}
	if (d != NULL)
		closedir(d);
	return found;
}

/* Output past mem_limit goes to a spill file, and comes back whole. */
static void test_spill(void)
{
	struct buf want = BUF_INIT;
	int i;

	for (i = 1; i <= 20000; i++)
		buf_printf(&want, "%d\n", i);
	setup(4096);
	start();
	add(1, 0, "seq 20000");
	run();
	CHECK(has_spill_file());
	CHECK_INT(callback_flush(T.job[1].cb), 0);
	CHECK_STR(contents(T.out), want.data);
	callback_free(T.job[1].cb);
	T.job[1].cb = NULL;
	CHECK(!has_spill_file());
	CHECK_INT(callback_failures(T.q), 0);
	teardown();
	buf_free(&want);
}

/* Is a file in top there? */
static int exists(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", top, name);
	return access(path, F_OK) == 0;
}

/* callback_terminate(): the running callback's tree is ended (TERM, then
 * KILL for one that ignores TERM), the queued ones are dropped. */
static void test_terminate(void)
{
	uint64_t t0;
	int i;

	setup(0);
	start();
	add(1, 0, "sleep 30 & wait");
	add(2, 0, "touch $TOP/ran2");
	t0 = loop_now_ms();
	callback_terminate(T.q);
	run();
	CHECK(loop_now_ms() - t0 < 5000);
	CHECK_STR(T.log, "[job 1: --on-success callback signal 15] d1 d2 ");
	CHECK(!exists("ran2"));
	CHECK_INT(callback_failures(T.q), 1);
	/* no more run after that */
	add(3, 0, "touch $TOP/ran3");
	CHECK(!callback_pending(T.q));
	CHECK(T.job[3].done && !exists("ran3"));
	teardown();

	setup(0);
	start();
	add(1, 0, "trap '' TERM; touch $TOP/trapped; while :; do sleep 0.01; done");
	for (i = 0; i < 1000 && !exists("trapped"); i++)
		usleep(10000);
	t0 = loop_now_ms();
	callback_terminate(T.q);
	run();
	CHECK(loop_now_ms() - t0 >= 300); /* TERM,200,TERM,100,TERM,50,KILL */
	CHECK(loop_now_ms() - t0 < 5000);
	CHECK_STR(T.log, "[job 1: --on-success callback signal 9] d1 ");
	teardown();
}

/* Freeing the queue kills and reaps the running callback. */
static void test_destroy(void)
{
	setup(0);
	start();
	add(1, 0, "sleep 30");
	add(2, 0, "true");
	callback_destroy(T.q);
	T.q = NULL;
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
	CHECK(!T.job[1].done && !T.job[2].done);
	teardown();
}

/* Remove top and what is in it. */
static void remove_top(void)
{
	DIR *d = opendir(top);
	struct dirent *e;
	char path[PATH_MAX];

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", top, e->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(top);
}

int main(void)
{
	if (mkdtemp(top) == NULL)
		return 1;
	test_order();
	test_failures();
	test_output();
	test_spill();
	test_terminate();
	test_destroy();
	remove_top();
	return UNIT_DONE();
}
