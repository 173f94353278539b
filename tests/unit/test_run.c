/* Unit tests for lib/run: runs over a ::: list through the plain pool and
 * through workers (figures, exit status), and SIGTERM / a second SIGTERM. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "exec_local.h"
#include "input.h"
#include "loop.h"
#include "pool.h"
#include "progress.h"
#include "run.h"
#include "template.h"
#include "termtree.h"
#include "unit.h"
#include "wpool.h"

/* What the draw function saw, and when it sends SIGTERM. */
struct seen {
	unsigned draws, lasts;
	unsigned term_at[2]; /* draws after which to send SIGTERM (0: no) */
};

/* The draw function: count the calls; send SIGTERM when asked. */
static void draw(void *data, struct runner *r, int last)
{
	struct seen *s = data;

	s->draws++;
	s->lasts += last;
	if (s->draws == s->term_at[0] || s->draws == s->term_at[1])
		kill(getpid(), SIGTERM);
}

/* An input holding the values of one ::: list. */
static struct input *list(char *const *values, size_t n)
{
	struct input_opts io = {.delim = '\n'};
	struct input *in = input_new(&io, NULL, 0);

	if (in != NULL && input_add_list(in, values, n, 0) == -1) {
		input_free(in);
		return NULL;
	}
	return in;
}

/* Pool options for cmd (argv words, the input appended or as {}). */
static struct template *jobs_opts(struct pool_opts *po, char **cmd, size_t n,
				  int out)
{
	po->sched.slots = 2;
	po->sched.order = ORDER_IMAP;
	po->output = POOL_GROUP;
	po->tpl = template_new(cmd, n, 0, NULL);
	po->mem_limit = 1 << 20;
	po->spill_limit = (uint64_t)1 << 30;
	po->sched.exec = exec_local("/bin/sh");
	termseq_default(&po->sched.termseq);
	po->sched.out_fd = out;
	po->sched.err_fd = 2;
	return (struct template *)po->tpl;
}

/* A plain run: "test {} -lt 3" over 1..5 fails 3 jobs: exit status 3. */
static void test_jobs(int out)
{
	char *values[] = {"1", "2", "3", "4", "5"};
	char *cmd[] = {"test", "{}", "-lt", "3"};
	struct pool_opts po = {0};
	struct template *tpl = jobs_opts(&po, cmd, 4, out);
	struct input *in = list(values, 5);
	struct seen seen = {0};
	struct run_opts ro = {.pool = &po, .in = in, .draw = draw,
			      .draw_ms = 5, .data = &seen};
	struct runner *r = run_new(&ro);
	struct progress_counts c;

	CHECK(r != NULL);
	CHECK_INT(run_kind(r), RUN_JOBS);
	CHECK_INT(run_go(r), 0);
	run_counts(r, 0, &c);
	CHECK_INT(c.done, 5);
	CHECK_INT(c.failed, 3);
	CHECK_INT(c.running, 0);
	CHECK(c.total_known && c.total == 5);
	CHECK_INT(run_parts(r), 1);
	CHECK(run_part_name(r, 0) == NULL);
	CHECK(run_worker_command(r) == NULL);
	CHECK_INT(run_failures(r), 3);
	CHECK(!run_halted(r) && !run_interrupted(r));
	CHECK(run_input_error(r) == NULL);
	CHECK_INT(run_status(r), 3);
	CHECK_INT(seen.lasts, 0);
	run_fail_after(r);
	CHECK_INT(run_status(r), 3);
	run_fail(r);
	CHECK_INT(run_status(r), RUN_EXIT_ERROR);
	run_free(r);
	input_free(in);
	template_free(tpl);
}

/* -n 2: five records make three jobs, all succeed; an error after the
 * run makes a clean run's status 255. */
static void test_jobs_batches(int out)
{
	char *values[] = {"a", "b", "c", "d", "e"};
	char *cmd[] = {"true"};
	struct pool_opts po = {0};
	struct template *tpl = jobs_opts(&po, cmd, 1, out);
	struct input *in = list(values, 5);
	struct run_opts ro = {.pool = &po, .in = in};
	struct runner *r;
	struct progress_counts c;

	po.max_args = 2;
	r = run_new(&ro);
	CHECK(r != NULL);
	CHECK_INT(run_go(r), 0);
	run_counts(r, 0, &c);
	CHECK(c.done == 3 && c.failed == 0 && c.total_known && c.total == 3);
	CHECK_INT(run_status(r), 0);
	run_fail_after(r);
	CHECK_INT(run_status(r), RUN_EXIT_ERROR);
	run_free(r);
	input_free(in);
	template_free(tpl);
}

/* Workers: `sed -u` answers each of three inputs: exit status 0. */
static void test_workers(int out)
{
	char *values[] = {"x", "y", "z"};
	struct wpool_opts wo = {0};
	struct input *in = list(values, 3);
	struct run_opts ro = {.wpool = &wo, .in = in};
	struct runner *r;
	struct progress_counts c;

	wo.sched.slots = 2;
	wo.command = "exec sed -u 's/^/r/'";
	wo.framing = WPOOL_LINE;
	wo.sched.order = ORDER_IMAP;
	wo.sched.exec = exec_local("/bin/sh");
	wo.sched.out_fd = out;
	wo.sched.err_fd = 2;
	termseq_default(&wo.sched.termseq);
	r = run_new(&ro);
	CHECK(r != NULL);
	CHECK_INT(run_kind(r), RUN_WORKERS);
	CHECK(run_worker_command(r) != NULL);
	CHECK_INT(run_go(r), 0);
	run_counts(r, 0, &c);
	CHECK(c.done == 3 && c.failed == 0 && c.running == 0);
	CHECK(c.total_known && c.total == 3);
	CHECK_INT(run_status(r), 0);
	run_free(r);
	input_free(in);
}

/* Four `sleep` jobs on two slots; SIGTERM after the first draw (and again
 * after the third if twice). */
static struct runner *sleeps(struct seen *seen, const char *secs,
			     struct input **in, struct template **tpl,
			     struct pool_opts *po, int out)
{
	char *values[] = {(char *)secs, (char *)secs, (char *)secs,
			  (char *)secs};
	char *cmd[] = {"sleep"};
	struct run_opts ro = {.pool = po, .draw = draw, .draw_ms = 100,
			      .data = seen};

	*tpl = jobs_opts(po, cmd, 1, out);
	*in = list(values, 4);
	ro.in = *in;
	return run_new(&ro);
}

/* SIGTERM: the two running jobs finish, the other two never start. */
static void test_sigterm(int out)
{
	struct seen seen = {.term_at = {1, 0}};
	struct pool_opts po = {0};
	struct template *tpl;
	struct input *in;
	struct runner *r = sleeps(&seen, "0.3", &in, &tpl, &po, out);
	struct progress_counts c;

	CHECK(r != NULL);
	CHECK_INT(run_go(r), 0);
	run_counts(r, 0, &c);
	CHECK(c.done == 2 && c.failed == 0);
	CHECK(!run_interrupted(r));
	CHECK_INT(run_status(r), 0);
	run_free(r);
	input_free(in);
	template_free(tpl);
}

/* A second SIGTERM ends the running jobs like SIGINT: exit status 130. */
static void test_sigterm_twice(int out)
{
	struct seen seen = {.term_at = {1, 3}};
	struct pool_opts po = {0};
	struct template *tpl;
	struct input *in;
	struct runner *r = sleeps(&seen, "30", &in, &tpl, &po, out);
	uint64_t t0 = loop_now_ms();
	struct progress_counts c;

	CHECK(r != NULL);
	CHECK_INT(run_go(r), 0);
	CHECK(loop_now_ms() - t0 < 10000);
	run_counts(r, 0, &c);
	CHECK(c.done <= 2 && c.running == 0);
	CHECK(run_interrupted(r));
	CHECK_INT(run_status(r), RUN_EXIT_INTERRUPTED);
	run_free(r);
	input_free(in);
	template_free(tpl);
}

int main(void)
{
	int out = open("/dev/null", O_WRONLY | O_CLOEXEC);

	termtree_become_subreaper();
	test_jobs(out);
	test_jobs_batches(out);
	test_workers(out);
	test_sigterm(out);
	test_sigterm_twice(out);
	close(out);
	return UNIT_DONE();
}
