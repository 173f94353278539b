/* Unit tests for lib/loop: timers, and child exits shared by reapers. */
#include <signal.h>
#include <stdlib.h>
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
	return UNIT_DONE();
}
