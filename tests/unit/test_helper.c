/* Unit tests for lib/helper: helper commands run as children of the loop —
 * output collected, exit status, not found, stdin, the timeout killing the
 * whole group while the loop goes on with its other timers, a signal that
 * ends a wait at once, a helper moved between loops — and helper_run. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper.h"
#include "loop.h"
#include "unit.h"

/* What a test's helper did: done (how often), output callbacks. */
struct seen {
	int done, outputs;
	uint64_t done_ms;
	struct loop *stop; /* stop this loop when done */
};

static void on_done(void *data, struct helper *h)
{
	struct seen *s = data;

	s->done++;
	s->done_ms = loop_now_ms();
	if (s->stop != NULL)
		loop_stop(s->stop);
}

static void on_output(void *data, struct helper *h)
{
	((struct seen *)data)->outputs++;
}

static int seen_done(void *data)
{
	return ((struct seen *)data)->done > 0;
}

/* helper_run: output, exit status, not found, what is kept. */
static void test_run(void)
{
	char *both[] = {"sh", "-c", "echo out; echo err >&2; exit 3", NULL};
	char *absent[] = {"mprun-no-such-helper", NULL};
	char *big[] = {"head", "-c", "100000", "/dev/zero", NULL};
	struct buf o = BUF_INIT, e = BUF_INIT;
	int st = -1;

	CHECK_INT(helper_run(both, &o, &e, 0, &st), 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3);
	CHECK(o.len == 4 && memcmp(o.data, "out\n", 4) == 0);
	CHECK(e.len == 4 && memcmp(e.data, "err\n", 4) == 0);
	buf_free(&o);
	buf_free(&e);

	CHECK_INT(helper_run(absent, NULL, &e, 2000, &st), 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 127);
	CHECK_INT(e.len, 0);

	CHECK_INT(helper_run(big, &o, NULL, 5000, &st), 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(o.len >= 65536 && o.len < 65536 + 4096); /* 64 KiB kept */
	buf_free(&o);
}

/* helper_run past its timeout: killed, reaped, ETIMEDOUT; the whole group
 * is killed, the helper's own child too (reaped here, as the subreaper). */
static void test_run_timeout(void)
{
	char *slow[] = {"sleep", "3", NULL};
	char *closed[] = {"sh", "-c", "exec >&- 2>&-; sleep 3", NULL};
	char *tree[] = {"sh", "-c", "sleep 3 & echo $! >&2; wait", NULL};
	struct buf e = BUF_INIT;
	uint64_t t0 = loop_now_ms();
	pid_t grandchild;
	int st = -1;

	errno = 0;
	CHECK_INT(helper_run(slow, NULL, NULL, 30, &st), -1);
	CHECK_INT(errno, ETIMEDOUT);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	errno = 0;
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
	errno = 0;
	CHECK_INT(helper_run(closed, NULL, NULL, 30, &st), -1);
	CHECK_INT(errno, ETIMEDOUT);
	CHECK(loop_now_ms() - t0 < 2000);

	CHECK_INT(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	errno = 0;
	CHECK(helper_run(tree, NULL, &e, 300, &st) == -1 && errno == ETIMEDOUT);
	grandchild = e.data != NULL ? (pid_t)atoi(e.data) : 0;
	CHECK(grandchild > 0);
	/* killed (and reaped by the helper's loop, or here) */
	if (grandchild > 0)
		waitpid(grandchild, NULL, 0);
	errno = 0;
	CHECK(grandchild > 0 && kill(grandchild, 0) == -1 && errno == ESRCH);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	buf_free(&e);
}

/* The ticking timer of test_timeout_loop_goes_on. */
static void tick(struct loop *l, void *data)
{
	int *ticks = data;

	(*ticks)++;
	loop_timer_add(l, 10, tick, ticks);
}

/* A helper that never exits is ended at its timeout while the loop runs
 * its other timers all along; stdin is the caller's; output is told. */
static void test_timeout_loop_goes_on(void)
{
	char *never[] = {"sh", "-c", "read x; echo \"got $x\"; exec sleep 30",
			 NULL};
	struct loop *l = loop_new();
	struct seen s = {0};
	struct helper_opts o = {-1, 300, on_output, on_done, &s};
	struct helper *h;
	uint64_t t0;
	int ticks = 0, p[2];

	CHECK_INT(pipe2(p, O_CLOEXEC), 0);
	o.fd_in = p[0];
	s.stop = l;
	t0 = loop_now_ms();
	h = helper_start(l, never, &o);
	close(p[0]);
	CHECK(h != NULL);
	if (h == NULL)
		return;
	CHECK_INT(write(p[1], "fed\n", 4), 4);
	loop_timer_add(l, 10, tick, &ticks);
	loop_run(l);
	CHECK_INT(s.done, 1);
	CHECK(s.outputs >= 1);
	CHECK(helper_timed_out(h));
	CHECK(!helper_ok(h));
	CHECK(WIFSIGNALED(helper_status(h)) &&
	      WTERMSIG(helper_status(h)) == SIGKILL);
	CHECK_STR(helper_out(h)->data, "got fed\n");
	/* ended at its timeout, not before, not much later */
	CHECK(s.done_ms - t0 >= 300 && s.done_ms - t0 < 1000);
	/* the loop did not wait for it: its timer ran all along */
	CHECK(ticks >= 10);
	CHECK(kill(helper_pid(h), 0) == -1 && errno == ESRCH);
	helper_free(h);
	close(p[1]);
	loop_free(l);
}

/* A timer of test_signal: a Ctrl-C for us. */
static void send_sigint(struct loop *l, void *data)
{
	kill(getpid(), SIGINT);
}

/* SIGINT while a helper runs: the wait ends at once (EINTR), and freeing
 * the helper ends it. */
static void test_signal(void)
{
	char *slow[] = {"sleep", "20", NULL};
	struct helper_wait w;
	struct seen s = {0};
	struct helper_opts o = {-1, 0, NULL, on_done, &s};
	struct helper *h;
	uint64_t t0;
	pid_t pid;

	CHECK_INT(helper_wait_init(&w, 1), 0);
	h = helper_start(w.loop, slow, &o);
	CHECK(h != NULL);
	if (h == NULL)
		return;
	pid = helper_pid(h);
	t0 = loop_now_ms();
	loop_timer_add(w.loop, 100, send_sigint, NULL);
	errno = 0;
	CHECK_INT(helper_wait_run(&w, seen_done, &s), -1);
	CHECK_INT(errno, EINTR);
	CHECK_INT(w.signo, SIGINT);
	CHECK(loop_now_ms() - t0 < 1000);
	CHECK_INT(s.done, 0);
	helper_free(h);
	helper_wait_fini(&w);
	/* killed: gone (a zombie at most, until reaped here) */
	waitpid(pid, NULL, 0);
	CHECK(kill(pid, 0) == -1 && errno == ESRCH);
}

/* A helper moved out of its loop and into another: its end, which no loop
 * watched, is told in the new one (as a set-up, a run and a release do). */
static void test_set_loop(void)
{
	char *quick[] = {"sh", "-c", "echo ready; exit 4", NULL};
	struct loop *a = loop_new(), *b = loop_new();
	struct seen s = {0};
	struct helper_opts o = {-1, 0, NULL, on_done, &s};
	struct helper *h = helper_start(a, quick, &o);

	CHECK(h != NULL);
	if (h == NULL)
		return;
	CHECK_INT(helper_set_loop(h, NULL), 0);
	loop_free(a);
	usleep(100 * 1000); /* it exits meanwhile */
	s.stop = b;
	CHECK_INT(helper_set_loop(h, b), 0);
	CHECK_INT(s.done, 0); /* never from helper_set_loop */
	CHECK_INT(helper_set_timeout(h, 5000), 0);
	loop_run(b);
	CHECK_INT(s.done, 1);
	CHECK(WIFEXITED(helper_status(h)) && WEXITSTATUS(helper_status(h)) == 4);
	CHECK_STR(helper_out(h)->data, "ready\n");
	helper_free(h);
	loop_free(b);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_run();
	test_run_timeout();
	test_timeout_loop_goes_on();
	test_signal();
	test_set_loop();
	return UNIT_DONE();
}
