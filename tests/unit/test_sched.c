/* Unit tests for lib/sched, driven through fake kinds of slot: the core
 * alone (kick, start and finish, the order's release, held output, close,
 * terminate, --halt, the spawn back-off, process trees and their
 * termination sequence), then through a fake kind of one-shot jobs that
 * runs no process (--retries, --timeout, spawns failing with EAGAIN),
 * and back-pressure through lib/wpool with real workers. lib/pool and
 * lib/wpool are tested with their own executors in test_pool and
 * test_wpool. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "callback.h"
#include "exec_local.h"
#include "input.h"
#include "loop.h"
#include "queue.h"
#include "slot.h"
#include "termtree.h"
#include "unit.h"
#include "wpool.h"

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
		FAIL("sched_init");
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


/* --- a fake kind of one-shot jobs ------------------------------------ */

/* A job's record is its script: one letter a try (the last repeats):
 * 's' the try succeeds, 'f' it fails, 'h' it hangs until ended (by its
 * timeout). A try ends on a timer, as a process is reaped later. */
struct fjob {
	struct sched_task task;
	const char *script;
	char out[32];            /* its try's output: "SEQ:TRY" */
	int bad;                 /* its try failed */
	struct loop_timer *end;  /* its try's end, due */
};

struct fk {
	struct sched s;
	struct sched_opts o;
	struct queue *q;
	struct fjob *waiting;    /* its spawn failed with EAGAIN */
	unsigned spawn_fails;    /* spawns still to fail with EAGAIN */
	int hold;                /* take nothing (from the queue or retries) */
	unsigned taken, spawns, timeouts, give_ups;
	char log[512];           /* "SEQ.TRY " for each try spawned */
	char rel[512];           /* "SEQ:TRY[t][F] " for each task released */
	char notices[512];
};

static void fk_try_end(struct loop *l, void *data);

/* Spawn the job's try, or fail with EAGAIN: then it waits. */
static void fk_spawn(struct fk *k, struct fjob *j)
{
	size_t n = strlen(j->script);
	char c = j->script[j->task.tries <= n ? j->task.tries - 1 : n - 1];

	if (k->spawn_fails > 0) {
		k->spawn_fails--;
		k->waiting = j;
		errno = EAGAIN;
		CHECK_INT(sched_spawn_later(&k->s, k->s.nrunning - 1), 0);
		return;
	}
	sched_spawn_done(&k->s);
	k->spawns++;
	snprintf(j->out, sizeof(j->out), "%llu:%u", j->task.seq,
		 j->task.tries);
	snprintf(k->log + strlen(k->log), sizeof(k->log) - strlen(k->log),
		 "%llu.%u ", j->task.seq, j->task.tries);
	j->bad = c == 'f';
	sched_timeout_arm(&k->s, &j->task, sched_timeout_ms(&k->s));
	if (c != 'h')
		j->end = loop_timer_add(loop, 1, fk_try_end, j);
}

/* slot_ops.fill: a job waiting to spawn first, then retries, then new
 * jobs from the queue, while slots are free. */
static void fk_fill(struct sched *s)
{
	struct fk *k = (struct fk *)s;
	struct fjob *j;
	void *item;

	if (k->waiting != NULL && s->spawn_timer == NULL) {
		j = k->waiting;
		k->waiting = NULL;
		fk_spawn(k, j);
	}
	while (!s->closed && !k->hold && k->waiting == NULL &&
	       s->nrunning < k->o.slots) {
		j = (struct fjob *)sched_retry_take(s);
		if (j == NULL) {
			if (queue_try_get(k->q, &item) == -1)
				break;
			j = calloc(1, sizeof(*j));
			j->script = item;
			k->taken++;
			sched_task_add(s, j, &j->task.seq);
		}
		s->nrunning++;
		sched_try_start(s, &j->task);
		fk_spawn(k, j);
	}
}

/* The job ended for good: counted, then released in order. */
static void fk_finish(struct fk *k, struct fjob *j)
{
	j->task.failed = j->bad;
	if (j->bad)
		k->s.nfailed++;
	else
		k->s.nsucceeded++;
	sched_check_halt(&k->s, &j->task);
	sched_task_over(&k->s, j->task.seq);
	sched_kick(&k->s);
}

/* A try ended: the job runs again (--retries) or ends for good. */
static void fk_try_end(struct loop *l, void *data)
{
	struct fjob *j = data;
	struct fk *k = (struct fk *)j->task.sched;

	j->end = NULL;
	k->s.nrunning--;
	sched_timeout_stop(&j->task);
	sched_add_runtime(&k->s, 1);
	if (j->bad && sched_try_again(&k->s, &j->task)) {
		sched_kick(&k->s);
		return;
	}
	fk_finish(k, j);
}

static int fk_busy(const struct sched *s)
{
	return s->nrunning > 0 || sched_retry_waiting(s) ||
	       (!s->closed && !sched_queue_done(s));
}

static void fk_nothing(struct sched *s)
{
}

static void fk_release(struct sched *s, void *task)
{
	struct fk *k = (struct fk *)s;
	struct fjob *j = task;

	snprintf(k->rel + strlen(k->rel), sizeof(k->rel) - strlen(k->rel),
		 "%s%s%s ", j->out, j->task.timed_out ? "t" : "",
		 j->task.failed ? "F" : "");
	queue_task_done(k->q);
	free(j);
}

static int fk_reaped(struct sched *s, pid_t pid, int status)
{
	return 0;
}

/* slot_ops.timed_out: its "tree" is ended: the try ends soon, failed. */
static void fk_timed_out(struct sched *s, struct sched_task *t)
{
	struct fjob *j = (struct fjob *)t;

	((struct fk *)s)->timeouts++;
	CHECK(t->timed_out);
	j->bad = 1;
	if (j->end == NULL)
		j->end = loop_timer_add(loop, 0, fk_try_end, j);
}

static void fk_give_up(struct sched *s, struct sched_task *t)
{
	((struct fk *)s)->give_ups++;
	fk_finish((struct fk *)s, (struct fjob *)t);
}

static const struct slot_ops fk_ops = {
	.fill = fk_fill, .busy = fk_busy, .close = fk_nothing,
	.terminate = fk_nothing, .release = fk_release,
	.reaped = fk_reaped, .timed_out = fk_timed_out,
	.give_up = fk_give_up, .destroy = fk_nothing,
};

static void fk_notice(void *data, const char *msg)
{
	struct fk *k = data;

	snprintf(k->notices + strlen(k->notices),
		 sizeof(k->notices) - strlen(k->notices), "%s\n", msg);
}

/* A fake job scheduler of slots, order imap, over the scripts given
 * (NULL-ended), in a closed queue. */
static struct fk *fk_new(unsigned slots, unsigned retries,
			 uint64_t timeout_ms, const char *const *scripts)
{
	struct fk *k = calloc(1, sizeof(*k));
	struct callback_opts co = {.noun = "fake"};

	k->o.slots = slots;
	k->o.order = ORDER_IMAP;
	k->o.retries = retries;
	k->o.timeout_ms = timeout_ms;
	k->q = queue_new(16);
	if (sched_init(&k->s, &fk_ops, loop, &k->o,
		       &(struct sched_events){.notice = fk_notice,
					      .data = k}) == -1 ||
	    sched_callbacks(&k->s, &co, environ) == -1)
		exit(1);
	k->s.noun = "fake jobs";
	while (*scripts != NULL)
		queue_try_put(k->q, (void *)*scripts++);
	queue_close(k->q);
	sched_set_source(&k->s, k->q, NULL, NULL);
	return k;
}

/* Run to the end (at most 5 s: a broken scheduler fails, not hangs). */
static int fk_run(struct fk *k)
{
	sched_start(&k->s);
	return run_until(&k->s.finished, 5000);
}

static void fk_free(struct fk *k)
{
	struct queue *q = k->q;

	sched_free(&k->s);
	queue_free(q, NULL);
}

/* --retries 3: a job failing twice then succeeding runs three times, the
 * retries before new input; the output of its last try goes out, in
 * input order; it counts once, as succeeded. */
static void test_retries(void)
{
	static const char *const two[] = {"ffs", "s", NULL};
	struct fk *k = fk_new(1, 3, 0, two);

	CHECK(fk_run(k));
	CHECK_STR(k->log, "1.1 1.2 1.3 2.1 ");
	CHECK_STR(k->rel, "1:3 2:1 ");
	CHECK_INT(sched_succeeded(&k->s), 2);
	CHECK_INT(sched_failed(&k->s), 0);
	CHECK_INT(sched_started(&k->s), 2);
	fk_free(k);

	/* two slots: job 2 ends first, it is released after job 1 */
	k = fk_new(2, 3, 0, two);
	CHECK(fk_run(k));
	CHECK_STR(k->log, "1.1 2.1 1.2 1.3 ");
	CHECK_STR(k->rel, "1:3 2:1 ");
	fk_free(k);

	/* --retries 1: two tries, then it fails for good */
	k = fk_new(1, 1, 0, (const char *const[]){"ffs", NULL});
	CHECK(fk_run(k));
	CHECK_STR(k->rel, "1:2F ");
	CHECK_INT(sched_failed(&k->s), 1);
	fk_free(k);

	/* no --retries: one try */
	k = fk_new(1, 0, 0, (const char *const[]){"fs", NULL});
	CHECK(fk_run(k));
	CHECK_STR(k->rel, "1:1F ");
	fk_free(k);

	/* closing the run: a job waiting to run again fails with its try,
	 * and nothing is tried again after */
	k = fk_new(1, 3, 0, (const char *const[]){"ffs", NULL});
	sched_start(&k->s);
	k->hold = 1;
	while (!sched_retry_waiting(&k->s) && !k->s.finished)
		loop_run_once(loop);
	CHECK(sched_retry_waiting(&k->s));
	sched_close(&k->s);
	CHECK_INT(k->give_ups, 1);
	CHECK(!sched_retry_waiting(&k->s));
	CHECK(sched_finished(&k->s));
	CHECK_STR(k->rel, "1:1F ");
	CHECK_INT(sched_failed(&k->s), 1);
	fk_free(k);
}

/* --timeout: a job that never ends is ended when its timer fires, counts
 * as timed out and failed, and is tried again while retries remain; a
 * try that ends in time is not timed out, and its timer is gone. */
static void test_timeouts(void)
{
	struct fk *k = fk_new(2, 1, 50, (const char *const[]){"h", "hs", "s",
							      NULL});
	int over = 0;

	CHECK(fk_run(k));
	CHECK_INT(k->timeouts, 3);
	CHECK_STR(k->rel, "1:2tF 2:2 3:1 ");
	CHECK_INT(sched_failed(&k->s), 1);
	CHECK_INT(sched_succeeded(&k->s), 2);
	fk_free(k);

	/* no retries: timed out once; the quick job's timer never fires */
	k = fk_new(2, 0, 50, (const char *const[]){"s", "h", NULL});
	CHECK(fk_run(k));
	CHECK_INT(k->timeouts, 1);
	CHECK_STR(k->rel, "1:1 2:1tF ");
	loop_timer_add(loop, 100, late, &over);
	run_until(&over, 1000);
	CHECK_INT(k->timeouts, 1);
	fk_free(k);

	/* --timeout N%: none before three runtimes, then N% of the median */
	k = fk_new(1, 0, 0, (const char *const[]){NULL});
	k->s.timeout_pct = 50;
	CHECK_INT(sched_timeout_ms(&k->s), 0);
	sched_add_runtime(&k->s, 100);
	sched_add_runtime(&k->s, 900);
	CHECK_INT(sched_timeout_ms(&k->s), 0);
	sched_add_runtime(&k->s, 300);
	CHECK_INT(sched_timeout_ms(&k->s), 150);
	sched_add_runtime(&k->s, 500);
	CHECK_INT(sched_timeout_ms(&k->s), 250);
	k->s.timeout_pct = 0;
	k->o.timeout_ms = 7;
	CHECK_INT(sched_timeout_ms(&k->s), 7);
	fk_free(k);
}

/* Spawns failing with EAGAIN (no process to spare): the scheduler backs
 * off on a timer, doubling, says so once, and later starts every job,
 * none lost, none twice. */
static void test_eagain(void)
{
	struct fk *k = fk_new(2, 0, 0, (const char *const[]){"s", "s", "s",
							     "s", "s", NULL});

	k->spawn_fails = 4;
	CHECK(fk_run(k));
	CHECK_INT(k->spawns, 5);
	CHECK_INT(k->taken, 5);
	CHECK_STR(k->rel, "1:1 2:1 3:1 4:1 5:1 ");
	CHECK_INT(sched_succeeded(&k->s), 5);
	CHECK_INT(k->s.spawn_backoff, 80);
	CHECK(strstr(k->notices, "waiting for running fake jobs to end") !=
	      NULL);
	CHECK(strchr(k->notices, '\n') == k->notices + strlen(k->notices) - 1);
	fk_free(k);
}

/* --- back-pressure, through lib/wpool --------------------------------- */

/* The producer of test_backpressure: puts records while the queue has
 * room, up to bp_total in all. */
static struct {
	struct queue *q;
	struct sched *s;
	unsigned put, total;
	int throttled;
} bp;

static void bp_want(void *data)
{
	char v[16];

	while (bp.put < bp.total && !queue_full(bp.q)) {
		struct record *r = calloc(1, sizeof(*r));

		snprintf(v, sizeof(v), "%u", bp.put + 1);
		r->n = 1;
		r->v = calloc(2, sizeof(char *));
		r->v[0] = strdup(v);
		r->origin = ":::";
		r->fd = -1;
		queue_try_put(bp.q, r);
		bp.put++;
	}
	if (bp.put == bp.total)
		queue_close(bp.q);
	sched_kick(bp.s);
}

static int bp_throttle(void *data)
{
	return bp.throttled;
}

/* Inputs taken from the queue so far. */
static unsigned bp_taken(void)
{
	return bp.put - (unsigned)queue_len(bp.q);
}

/* Back-pressure: while our output is blocked (the throttle of a pipeline
 * stage whose reader is behind) no input is taken; while the first
 * input's result is held (its worker stalls, the other answers the rest
 * in order after it), no more inputs are taken than the held results'
 * bound (256 a slot) and those in flight; then every result arrives, in
 * order. */
static void test_backpressure(void)
{
	char path[] = "/tmp/test_schedXXXXXX", gate[64], cmd[256], *got;
	struct wpool_opts o = {0};
	struct loop *l = loop;
	unsigned before, i;
	int fd = mkstemp(path), over = 0, ok = 1;
	ssize_t n;
	size_t off = 0;

	unlink(path);
	snprintf(gate, sizeof(gate), "%s.gate", path);
	snprintf(cmd, sizeof(cmd),
		 "while IFS= read -r l; do if [ \"$l\" = 1 ]; then "
		 "while [ ! -e %s ]; do sleep 0.02; done; fi; "
		 "echo \"r$l\"; done", gate);
	bp = (typeof(bp)){.total = 3000, .throttled = 1};
	bp.q = queue_new(64);
	o.sched.slots = 2;
	o.command = cmd;
	o.framing = WPOOL_LINE;
	o.inflight = 1;
	o.sched.order = ORDER_IMAP;
	o.sched.exec = exec_local("/bin/sh");
	o.sched.out_fd = fd;
	o.sched.err_fd = 2;
	termseq_default(&o.sched.termseq);
	bp.s = wpool_new(l, &o, NULL);
	CHECK(bp.s != NULL);
	sched_set_source(bp.s, bp.q, bp_want, NULL);
	sched_set_throttle(bp.s, bp_throttle, NULL);
	bp_want(NULL);
	sched_start(bp.s);
	loop_timer_add(l, 200, late, &over);
	run_until(&over, 1000);
	CHECK_INT(bp_taken(), 0); /* blocked: nothing taken */
	bp.throttled = 0;
	sched_kick(bp.s);
	/* held: the bound is reached, and stays */
	for (i = 0; i < 1000 && bp_taken() < 2 * 256; i++) {
		over = 0;
		loop_timer_add(l, 10, late, &over);
		run_until(&over, 1000);
	}
	CHECK(bp_taken() >= 2 * 256);
	over = 0;
	loop_timer_add(l, 500, late, &over);
	run_until(&over, 2000);
	before = bp_taken();
	CHECK(before <= 2 * 256 + 8);
	CHECK(before < bp.total);
	/* let the first go: every result, in order */
	close(open(gate, O_WRONLY | O_CREAT, 0600));
	while (!sched_finished(bp.s) && ok)
		ok = loop_run_once(l) == 0;
	CHECK(sched_finished(bp.s));
	CHECK_INT(sched_succeeded(bp.s), bp.total);
	got = malloc(64 * bp.total);
	n = pread(fd, got, 64 * bp.total - 1, 0);
	got[n > 0 ? n : 0] = '\0';
	for (i = 1; i <= bp.total && ok; i++) {
		char want[16];
		int w = snprintf(want, sizeof(want), "r%u\n", i);

		ok = strncmp(got + off, want, (size_t)w) == 0;
		off += (size_t)w;
	}
	CHECK(ok && got[off] == '\0');
	free(got);
	unlink(gate);
	close(fd);
	sched_free(bp.s);
	queue_free(bp.q, NULL);
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
	test_retries();
	test_timeouts();
	test_eagain();
	test_backpressure();
	loop_free(loop);
	return UNIT_DONE();
}
