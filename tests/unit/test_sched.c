/* Unit tests for lib/sched, driven through a fake kind of slot: the core
 * alone (kick, start and finish, the order's release, held output, close,
 * terminate, --halt, the spawn back-off, process trees and their
 * termination sequence). lib/pool and lib/wpool are tested with their
 * own executors in test_pool and test_wpool. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "callback.h"
#include "loop.h"
#include "slot.h"
#include "termtree.h"
#include "unit.h"

/* The fake kind: counts what the scheduler asks of it. */
struct fake {
	struct sched s;
	struct sched_opts o;
	unsigned fills, starts, closes, terminates, finishes;
	int filled;                /* fill ran (the tests reset it) */
	unsigned depth, max_depth; /* fills running now, at most */
	unsigned kick_in_fill;     /* fill kicks again this many times */
	int busy;                  /* what busy() answers */
	unsigned long long released[8];
	size_t nreleased;
	pid_t child;               /* a child of "ours", or 0 */
	int child_status, reaped;
	char notices[256];
};

static unsigned destroyed;

static void fake_fill(struct sched *s)
{
	struct fake *f = (struct fake *)s;

	f->fills++;
	f->filled = 1;
	if (++f->depth > f->max_depth)
		f->max_depth = f->depth;
	if (f->kick_in_fill > 0) {
		f->kick_in_fill--;
		sched_kick(s);
	}
	f->depth--;
}

static int fake_busy(const struct sched *s)
{
	return ((const struct fake *)s)->busy;
}

static void fake_start(struct sched *s)
{
	((struct fake *)s)->starts++;
}

static void fake_close(struct sched *s)
{
	((struct fake *)s)->closes++;
}

static void fake_terminate(struct sched *s)
{
	((struct fake *)s)->terminates++;
}

static void fake_finish(struct sched *s)
{
	((struct fake *)s)->finishes++;
}

static void fake_release(struct sched *s, void *task)
{
	struct fake *f = (struct fake *)s;

	f->released[f->nreleased++] = ((struct sched_task *)task)->seq;
}

static int fake_reaped(struct sched *s, pid_t pid, int status)
{
	struct fake *f = (struct fake *)s;

	if (pid != f->child)
		return 0;
	f->child_status = status;
	f->reaped = 1;
	return 1;
}

static void fake_destroy(struct sched *s)
{
	destroyed++;
}

static const struct slot_ops fake_ops = {
	.fill = fake_fill, .busy = fake_busy, .start = fake_start,
	.close = fake_close, .terminate = fake_terminate,
	.finish = fake_finish, .release = fake_release,
	.reaped = fake_reaped, .destroy = fake_destroy,
};

static void fake_notice(void *data, const char *msg)
{
	struct fake *f = data;

	snprintf(f->notices + strlen(f->notices),
		 sizeof(f->notices) - strlen(f->notices), "%s\n", msg);
}

static struct loop *loop;

/* A fake scheduler, busy until told otherwise. */
static struct fake *fake_new(enum order_policy order)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct callback_opts co = {.noun = "fake"};

	if (f == NULL)
		exit(1);
	f->o.order = order;
	if (sched_init(&f->s, &fake_ops, loop, &f->o,
		       &(struct sched_events){.notice = fake_notice,
					      .data = f}) == -1 ||
	    sched_callbacks(&f->s, &co, environ) == -1) {
		CHECK(!"sched_init");
		exit(1);
	}
	f->busy = 1;
	f->s.noun = "fakes";
	return f;
}

/* A deadline of run_until() passed. */
static void late(struct loop *l, void *data)
{
	*(int *)data = 1;
}

/* Run the loop until *flag is set, or ms pass. */
static int run_until(const int *flag, unsigned ms)
{
	int over = 0;
	struct loop_timer *t = loop_timer_add(loop, ms, late, &over);

	while (!*flag && !over)
		loop_run_once(loop);
	if (!over)
		loop_timer_cancel(loop, t);
	return *flag;
}

/* Nothing is filled before the start; a kick inside fill runs fill again
 * after it, never inside it. */
static void test_kick(void)
{
	struct fake *f = fake_new(ORDER_IMAP);

	sched_kick(&f->s);
	CHECK_INT(f->fills, 0);
	f->kick_in_fill = 2;
	sched_start(&f->s);
	CHECK_INT(f->starts, 1);
	CHECK_INT(f->fills, 3);
	CHECK_INT(f->max_depth, 1);
	CHECK(!sched_finished(&f->s));
	sched_free(&f->s);
	CHECK_INT(destroyed, 1);
}

/* Finished once nothing is busy and the order is empty: the kind's last
 * output, then the held output goes out, once. */
static void test_finish_hold(void)
{
	struct fake *f = fake_new(ORDER_MAP);
	char got[16] = "";
	int p[2];

	if (pipe(p) == -1)
		return;
	f->o.out_fd = p[1];
	CHECK_INT(sched_hold(&f->s, 1), 0);
	CHECK_INT(write(f->s.hold_fd[0], "held\n", 5), 5);
	sched_start(&f->s);
	CHECK(!sched_finished(&f->s));
	f->busy = 0;
	sched_kick(&f->s);
	CHECK(sched_finished(&f->s));
	CHECK_INT(f->finishes, 1);
	CHECK_INT(read(p[0], got, sizeof(got) - 1), 5);
	CHECK_STR(got, "held\n");
	sched_kick(&f->s);
	CHECK_INT(f->finishes, 1);
	close(p[0]);
	close(p[1]);
	sched_free(&f->s);
}

/* Tasks are numbered in order; released as the order policy says. */
static void test_order(void)
{
	struct sched_task t[3];
	struct fake *f = fake_new(ORDER_IMAP);
	int i;

	for (i = 0; i < 3; i++)
		CHECK_INT(sched_task_add(&f->s, &t[i], &t[i].seq), 0);
	CHECK_INT(t[2].seq, 3);
	CHECK_INT(sched_started(&f->s), 3);
	sched_task_over(&f->s, 2);
	CHECK_INT(f->nreleased, 0);
	sched_task_over(&f->s, 1);
	CHECK_INT(f->nreleased, 2);
	CHECK_INT(f->released[0], 1);
	CHECK_INT(f->released[1], 2);
	sched_task_over(&f->s, 3);
	CHECK_INT(f->nreleased, 3);
	sched_free(&f->s);

	f = fake_new(ORDER_UNORDERED);
	for (i = 0; i < 2; i++)
		sched_task_add(&f->s, &t[i], &t[i].seq);
	sched_task_over(&f->s, 2);
	CHECK_INT(f->nreleased, 1);
	CHECK_INT(f->released[0], 2);
	sched_free(&f->s);
}

/* Close and terminate reach the kind once each; terminate closes. */
static void test_close_terminate(void)
{
	struct fake *f = fake_new(ORDER_IMAP);

	sched_start(&f->s);
	sched_close(&f->s);
	sched_close(&f->s);
	CHECK_INT(f->closes, 1);
	CHECK_INT(f->terminates, 0);
	sched_terminate(&f->s);
	sched_terminate(&f->s);
	CHECK_INT(f->terminates, 1);
	sched_free(&f->s);

	f = fake_new(ORDER_IMAP);
	sched_terminate(&f->s);
	sched_close(&f->s);
	CHECK_INT(f->closes, 0);
	CHECK(!sched_halted(&f->s));
	sched_free(&f->s);
}

/* --halt: soon closes, now terminates; percentages of the total; the
 * exit status it gives (GNU parallel's). */
static void test_halt(void)
{
	struct fake *f = fake_new(ORDER_IMAP);
	struct sched_task ok = {.failed = 0, .exitval = 0},
			  bad = {.failed = 1, .exitval = 7};

	f->o.halt = (struct policy_halt){HALT_SOON, HALT_FAIL, 2, 0};
	f->s.nfailed = 1;
	sched_check_halt(&f->s, &bad);
	CHECK(!sched_halted(&f->s));
	CHECK_INT(sched_halt_status(&f->s), -1);
	f->s.nfailed = 2;
	sched_check_halt(&f->s, &bad);
	CHECK(sched_halted(&f->s));
	CHECK_INT(f->closes, 1);
	CHECK_INT(f->terminates, 0);
	CHECK_INT(sched_failures(&f->s), 2);
	CHECK_INT(sched_halt_status(&f->s), -1); /* fail=2: the count */
	sched_free(&f->s);

	f = fake_new(ORDER_IMAP);
	f->o.halt = (struct policy_halt){HALT_NOW, HALT_SUCCESS, 0, 50};
	sched_set_total(&f->s, 4);
	f->s.nsucceeded = 1;
	sched_check_halt(&f->s, &ok);
	CHECK(!sched_halted(&f->s));
	f->s.nsucceeded = 2;
	sched_check_halt(&f->s, &ok);
	CHECK(sched_halted(&f->s));
	CHECK_INT(f->terminates, 1);
	CHECK_INT(sched_halt_status(&f->s), 0);
	sched_free(&f->s);

	/* fail=1: the failing task's status */
	f = fake_new(ORDER_IMAP);
	f->o.halt = (struct policy_halt){HALT_NOW, HALT_FAIL, 1, 0};
	f->s.nfailed = 1;
	sched_check_halt(&f->s, &bad);
	CHECK_INT(sched_halt_status(&f->s), 7);
	sched_free(&f->s);

	/* fail=N%: the percentage failed, stopped or not */
	f = fake_new(ORDER_IMAP);
	f->o.halt = (struct policy_halt){HALT_SOON, HALT_FAIL, 0, 50};
	sched_set_total(&f->s, 8);
	f->s.nfailed = 3;
	sched_check_halt(&f->s, &bad);
	CHECK(!sched_halted(&f->s));
	CHECK_INT(sched_halt_status(&f->s), 37);
	sched_free(&f->s);

	f = fake_new(ORDER_IMAP);
	sched_halt_now(&f->s);
	CHECK(sched_halted(&f->s));
	CHECK_INT(f->terminates, 1);
	sched_free(&f->s);
}

/* A spawn failing with EAGAIN: said once, retried on a timer with
 * back-off (at once when a child of ours is reaped), given up after a
 * while with none of ours running. */
static void test_spawn_later(void)
{
	struct fake *f = fake_new(ORDER_IMAP);
	uint64_t t0;

	sched_start(&f->s);
	f->filled = 0;
	errno = EAGAIN;
	CHECK_INT(sched_spawn_later(&f->s, 1), 0);
	CHECK_INT(errno, EAGAIN);
	CHECK(f->s.spawn_timer != NULL);
	CHECK_INT(f->s.spawn_backoff, 10);
	CHECK(strstr(f->notices, "waiting for running fakes to end") != NULL);
	CHECK(run_until(&f->filled, 1000));
	CHECK(f->s.spawn_timer == NULL);
	CHECK_INT(sched_spawn_later(&f->s, 1), 0);
	CHECK_INT(f->s.spawn_backoff, 20);
	CHECK(strchr(strchr(f->notices, '\n') + 1, '\n') == NULL);

	/* a child of ours reaped: the retry is now, not in 500 ms */
	loop_timer_cancel(loop, f->s.spawn_timer);
	f->s.spawn_timer = NULL;
	f->s.spawn_backoff = 250;
	sched_spawn_later(&f->s, 1);
	CHECK_INT(f->s.spawn_backoff, 500);
	f->filled = 0;
	t0 = loop_now_ms();
	f->child = fork();
	if (f->child == 0)
		_exit(0);
	CHECK(run_until(&f->filled, 2000));
	CHECK(f->reaped);
	CHECK(loop_now_ms() - t0 < 400);

	/* none of ours running: given up after a while */
	sched_spawn_done(&f->s);
	CHECK_INT(sched_spawn_later(&f->s, 0), 0);
	f->s.spawn_since -= 20000;
	CHECK_INT(sched_spawn_later(&f->s, 1), 0);
	errno = EAGAIN;
	CHECK_INT(sched_spawn_later(&f->s, 0), -1);
	CHECK_INT(errno, EAGAIN);
	sched_terminate(&f->s);
	CHECK(f->s.spawn_timer == NULL);
	sched_free(&f->s);
}

/* A tree's marker, and the termination sequence: TERM (ignored), then
 * KILL after its delay; the child is reaped through the kind. */
static void test_tree(void)
{
	struct fake *f = fake_new(ORDER_IMAP);
	struct termseq ts = {2, {SIGTERM, SIGKILL}, {50, 0}};
	struct slot_tree t = {0};
	char want[64];
	int p[2];
	char c;

	f->o.group = 3;
	f->o.termseq = ts;
	sched_tree_init(&f->s, &t, 2, "w", 7);
	snprintf(want, sizeof(want), "MPRUN_JOBID=%ld.3.w7", (long)getpid());
	CHECK_STR(t.marker, want);
	f->o.group = 0;
	sched_tree_init(&f->s, &t, 2, "", 8);
	snprintf(want, sizeof(want), "MPRUN_JOBID=%ld.8", (long)getpid());
	CHECK_STR(t.marker, want);

	if (pipe(p) == -1)
		return;
	t.pid = f->child = fork();
	if (t.pid == 0) {
		setpgid(0, 0);
		signal(SIGTERM, SIG_IGN);
		close(p[0]);
		if (write(p[1], "", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	setpgid(t.pid, t.pid);
	close(p[1]);
	CHECK_INT(read(p[0], &c, 1), 1); /* it ignores SIGTERM now */
	close(p[0]);
	sched_tree_end(&t);
	CHECK_INT(t.step, 1);
	sched_tree_end(&t); /* once */
	CHECK_INT(t.step, 1);
	run_until(&f->reaped, 3000);
	CHECK(f->reaped);
	CHECK(WIFSIGNALED(f->child_status) &&
	      WTERMSIG(f->child_status) == SIGKILL);
	CHECK_INT(t.step, 2);
	sched_tree_stop(&t);
	CHECK(t.timer == NULL);
	sched_free(&f->s);
}

int main(void)
{
	loop = loop_new();
	if (loop == NULL)
		return 1;
	test_kick();
	test_finish_hold();
	test_order();
	test_close_terminate();
	test_halt();
	test_spawn_later();
	test_tree();
	loop_free(loop);
	return UNIT_DONE();
}
