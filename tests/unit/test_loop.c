/* Unit tests for lib/loop: timers, and child exits shared by reapers. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop.h"
#include "unit.h"

/* A reaper that claims the children whose pids it holds. */
struct reaper {
	pid_t pids[4];
	int status[4];
	int got, offered;
};

static int claim(void *data, pid_t pid, int status)
{
	struct reaper *r = data;
	int i;

	r->offered++;
	for (i = 0; i < 4; i++) {
		if (r->pids[i] == pid) {
			r->status[i] = status;
			r->got++;
			return 1;
		}
	}
	return 0;
}

/* A child that exits with code. */
static pid_t child(int code)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(code);
	return pid;
}

static void stop_soon(struct loop *l, void *data)
{
	int *fired = data;

	*fired = 1;
	loop_stop(l);
}

/* A timer that adds itself again at once, counting its runs. */
static void again(struct loop *l, void *data)
{
	unsigned *runs = data;

	if (++*runs < 1000)
		loop_timer_add(l, 0, again, runs);
}

/* A 0 ms timer added by a timer runs on the next turn, not in the same
 * one: a timer re-adding itself never holds the loop. */
static void test_timer_next_turn(void)
{
	struct loop *l = loop_new();
	unsigned runs = 0, turns;

	loop_timer_add(l, 0, again, &runs);
	loop_timer_add(l, 0, again, &runs); /* both due: both run */
	CHECK_INT(loop_run_once(l), 0);
	CHECK_INT(runs, 2);
	for (turns = 1; turns < 10; turns++)
		loop_run_once(l);
	CHECK_INT(runs, 20);
	loop_free(l);
}

/* Timers that note the order they ran in. */
struct ran {
	int order[512];
	int n;
	struct loop_timer *victim; /* cancelled by the first to run */
	struct loop_timer *self;
};

struct tag {
	struct ran *r;
	int id;
};

static void note(struct loop *l, void *data)
{
	struct tag *t = data;

	(void)l;
	t->r->order[t->r->n++] = t->id;
}

/* Notes itself, then cancels the victim and (a no-op) itself. */
static void note_and_cancel(struct loop *l, void *data)
{
	struct tag *t = data;

	note(l, data);
	loop_timer_cancel(l, t->r->victim);
	t->r->victim = NULL;
	loop_timer_cancel(l, t->r->self);
}

/* Timers due at the same time run in the order they were added. */
static void test_timer_fifo(void)
{
	struct loop *l = loop_new();
	struct ran r = {0};
	struct tag tags[100];
	int i, inorder = 1;

	for (i = 0; i < 100; i++) {
		tags[i] = (struct tag){&r, i};
		loop_timer_add(l, 0, note, &tags[i]);
	}
	loop_run_once(l);
	CHECK_INT(r.n, 100);
	for (i = 0; i < r.n; i++)
		inorder &= r.order[i] == i;
	CHECK(inorder);
	loop_free(l);
}

/* loop_timers_delay moves every timer not yet run, keeping their order: a
 * timer added after it, due sooner, runs first. */
static void test_timers_delay(void)
{
	struct loop *l = loop_new();
	struct ran r = {0};
	struct tag tags[3] = {{&r, 0}, {&r, 1}, {&r, 9}};
	int i;

	loop_timer_add(l, 0, note, &tags[0]);
	loop_timer_add(l, 20, note, &tags[1]);
	loop_timers_delay(l, 50);
	loop_timer_add(l, 30, note, &tags[2]);
	for (i = 0; i < 100 && r.n < 3; i++)
		loop_run_once(l);
	CHECK_INT(r.n, 3);
	CHECK_INT(r.order[0], 9);
	CHECK_INT(r.order[1], 0);
	CHECK_INT(r.order[2], 1);
	loop_free(l);
}

/* Many timers, some cancelled: the others run once each, soonest first,
 * equal delays in the order added. */
static void test_timer_heap(void)
{
	struct loop *l = loop_new();
	struct ran r = {0};
	struct tag tags[400];
	struct loop_timer *t[400];
	int seen[400] = {0}, delay[400], i, ok = 1, sorted = 1;
	uint64_t start = loop_now_ms(), end;

	srand(7);
	for (i = 0; i < 400; i++) {
		tags[i] = (struct tag){&r, i};
		delay[i] = rand() % 25;
		t[i] = loop_timer_add(l, (uint64_t)delay[i], note, &tags[i]);
	}
	end = loop_now_ms();
	for (i = 0; i < 400; i += 3)
		loop_timer_cancel(l, t[i]);
	for (i = 0; i < 200 && r.n < 266; i++)
		loop_run_once(l);
	CHECK_INT(r.n, 266);
	for (i = 0; i < r.n; i++)
		seen[r.order[i]]++;
	for (i = 0; i < 400; i++)
		ok &= seen[i] == (i % 3 == 0 ? 0 : 1);
	CHECK(ok);
	for (i = 1; i < r.n && start == end; i++) {
		int a = r.order[i - 1], b = r.order[i];

		sorted &= delay[a] < delay[b] ||
			  (delay[a] == delay[b] && a < b);
	}
	CHECK(sorted);
	loop_free(l);
}

/* A timer cancels another due in the same pass, and itself: the other
 * never runs, nothing is freed twice. */
static void test_timer_cancel_in_pass(void)
{
	struct loop *l = loop_new();
	struct ran r = {0};
	struct tag a = {&r, 1}, b = {&r, 2}, c = {&r, 3};

	r.self = loop_timer_add(l, 0, note_and_cancel, &a);
	r.victim = loop_timer_add(l, 0, note, &b);
	loop_timer_add(l, 0, note, &c);
	loop_run_once(l);
	CHECK_INT(r.n, 2);
	CHECK_INT(r.order[0], 1);
	CHECK_INT(r.order[1], 3);
	loop_free(l);
}

/* Two watched pipes readable in one batch. Whichever callback runs first
 * removes the other's watch, closes that pipe, puts a new quiet pipe on
 * the same fd number and watches it: the old event must not reach it. */
struct fdswap {
	int a[2], b[2];
	int calls, fresh_calls;
};

static void fresh_ready(struct loop *l, int fd, uint32_t events, void *data)
{
	struct fdswap *s = data;
	char c;

	(void)l;
	(void)events;
	s->fresh_calls++;
	if (read(fd, &c, 1) != 1)
		s->fresh_calls += 100; /* called with nothing to read */
}

static void swap_other(struct loop *l, int fd, uint32_t events, void *data)
{
	struct fdswap *s = data;
	int *other = fd == s->a[0] ? s->b : s->a, np[2], num = other[0];

	(void)events;
	if (s->calls++ > 0)
		return;
	loop_fd_del(l, num);
	close(other[0]);
	close(other[1]);
	if (pipe(np) == -1)
		return;
	fcntl(np[0], F_SETFL, O_NONBLOCK); /* a stray call must not block */
	if (np[0] != num) {
		dup2(np[0], num);
		close(np[0]);
	}
	other[0] = num;
	other[1] = np[1];
	loop_fd_add(l, num, EPOLLIN, fresh_ready, s);
}

static void test_watch_generation(void)
{
	struct loop *l = loop_new();
	struct fdswap s = {0};

	CHECK(pipe(s.a) == 0 && pipe(s.b) == 0);
	CHECK(write(s.a[1], "x", 1) == 1 && write(s.b[1], "y", 1) == 1);
	loop_fd_add(l, s.a[0], EPOLLIN, swap_other, &s);
	loop_fd_add(l, s.b[0], EPOLLIN, swap_other, &s);
	loop_timer_add(l, 0, stop_soon, &(int){0});
	loop_run_once(l);
	CHECK_INT(s.calls, 1);
	CHECK_INT(s.fresh_calls, 0);
	/* the new watch works */
	CHECK(write(s.a[1], "z", 1) == 1 && write(s.b[1], "z", 1) == 1);
	loop_run_once(l);
	CHECK(s.fresh_calls >= 1 && s.fresh_calls < 100);
	loop_fd_del(l, s.a[0]);
	loop_fd_del(l, s.b[0]);
	close(s.a[0]);
	close(s.a[1]);
	close(s.b[0]);
	close(s.b[1]);
	loop_free(l);
}

int main(void)
{
	struct loop *l = loop_new();
	struct reaper a = {0}, b = {0};
	pid_t stray;
	int fired = 0, i;

	CHECK(l != NULL);
	CHECK_INT(loop_child_add(l, claim, &a), 0);
	CHECK_INT(loop_child_add(l, claim, &b), 0);
	for (i = 0; i < 2; i++) {
		a.pids[i] = child(10 + i);
		b.pids[i] = child(20 + i);
	}
	stray = child(30); /* nobody's: reaped all the same */
	for (i = 0; i < 200 && a.got + b.got < 4; i++) {
		loop_timer_add(l, 10, stop_soon, &fired);
		loop_run(l);
	}
	CHECK_INT(a.got, 2);
	CHECK_INT(b.got, 2);
	CHECK(WIFEXITED(a.status[0]) && WEXITSTATUS(a.status[0]) == 10);
	CHECK(WIFEXITED(a.status[1]) && WEXITSTATUS(a.status[1]) == 11);
	CHECK(WIFEXITED(b.status[0]) && WEXITSTATUS(b.status[0]) == 20);
	CHECK(WIFEXITED(b.status[1]) && WEXITSTATUS(b.status[1]) == 21);
	/* a is asked first: it saw every child, b only those a left */
	CHECK(a.offered >= 4);
	CHECK(b.offered < a.offered);
	CHECK(fired);
	usleep(20000);
	loop_timer_add(l, 10, stop_soon, &fired);
	loop_run(l);
	CHECK(waitpid(stray, NULL, WNOHANG) == -1); /* already reaped */

	/* a reaper removed gets nothing more; b now sees every exit */
	loop_child_del(l, claim, &a);
	a.got = b.got = b.offered = 0;
	b.pids[2] = child(22);
	a.pids[2] = child(12);
	for (i = 0; i < 200 && b.offered < 2; i++) {
		loop_timer_add(l, 10, stop_soon, &fired);
		loop_run(l);
	}
	CHECK_INT(a.got, 0);
	CHECK_INT(b.got, 1);
	CHECK_INT(b.offered, 2);
	loop_free(l);
	test_timer_next_turn();
	test_timer_fifo();
	test_timers_delay();
	test_timer_heap();
	test_timer_cancel_in_pass();
	test_watch_generation();
	return UNIT_DONE();
}
