/* Unit tests for lib/feed: input records into a bounded queue, no further
 * ahead than the queue holds, from lists and from pipes watched in the
 * loop; the end of input and read errors close the queue. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feed.h"
#include "input.h"
#include "loop.h"
#include "queue.h"
#include "unit.h"

static unsigned notified;
static char got[256]; /* the values taken, each followed by ',' */

static void count_notify(void *data)
{
	notified++;
}

/* Take every record in q, appending its values to got. */
static size_t drain(struct queue *q)
{
	void *item;
	size_t n = 0, i;

	while (queue_try_get(q, &item) == 0) {
		struct record *r = item;

		for (i = 0; i < r->n; i++) {
			strcat(got, r->v[i]);
			strcat(got, ",");
		}
		record_free(r);
		queue_task_done(q);
		n++;
	}
	return n;
}

/* An input of the values in list (NULL-terminated). */
static struct input *list_input(char *const *list)
{
	struct input_opts io = {.delim = '\n'};
	struct input *in = input_new(&io, NULL, 0);
	size_t n = 0;

	while (list[n] != NULL)
		n++;
	input_add_list(in, list, n, 0);
	return in;
}

/* A list read two records at a time: never more than the queue holds;
 * the queue closes when the input ends. */
static void test_list(void)
{
	static char *const five[] = {"a", "b", "c", "d", "e", NULL};
	struct loop *l = loop_new();
	struct input *in = list_input(five);
	struct queue *q = queue_new(2);
	struct feed *f = feed_new(l, in, q, count_notify, NULL);

	notified = 0;
	got[0] = '\0';
	CHECK_INT(input_count(in), 0); /* nothing read before asked */
	feed_want(f);
	CHECK_INT(queue_len(q), 2);
	CHECK_INT(input_count(in), 2);
	CHECK_INT(notified, 1);
	CHECK(!queue_closed(q));
	feed_want(f); /* full: nothing more is read */
	CHECK_INT(input_count(in), 2);
	CHECK_INT(notified, 1);
	CHECK_INT(drain(q), 2);
	feed_want(f);
	CHECK_INT(queue_len(q), 2);
	CHECK_INT(notified, 2);
	CHECK(!queue_closed(q));
	drain(q);
	feed_want(f); /* the last one, and the end */
	CHECK_INT(queue_len(q), 1);
	CHECK(queue_closed(q));
	CHECK_INT(notified, 3);
	drain(q);
	CHECK_STR(got, "a,b,c,d,e,");
	feed_want(f); /* after the end: nothing, no notice */
	CHECK_INT(notified, 3);
	CHECK(feed_error(f) == NULL);
	CHECK_INT(queue_unfinished(q), 0);
	feed_free(f);
	queue_free(q, NULL);
	input_free(in);
	loop_free(l);
}

/* An input that exactly fills the queue: its end is found on the next
 * want, which closes the queue and tells so though it put nothing. */
static void test_exact_fit(void)
{
	static char *const two[] = {"x", "y", NULL};
	struct loop *l = loop_new();
	struct input *in = list_input(two);
	struct queue *q = queue_new(2);
	struct feed *f = feed_new(l, in, q, count_notify, NULL);

	notified = 0;
	got[0] = '\0';
	feed_want(f);
	CHECK_INT(queue_len(q), 2);
	CHECK(!queue_closed(q));
	CHECK_INT(notified, 1);
	drain(q);
	feed_want(f);
	CHECK(queue_closed(q));
	CHECK_INT(queue_len(q), 0);
	CHECK_INT(notified, 2);
	CHECK_STR(got, "x,y,");
	feed_free(f);
	queue_free(q, NULL);
	input_free(in);
	loop_free(l);
}

/* A consumer that takes what it is told of and asks for more from inside
 * the notice (as a pool does): no recursion, every record once. */
static struct queue *greedy_q;
static struct feed *greedy_f;
static int depth, max_depth;

static void greedy_notify(void *data)
{
	notified++;
	if (++depth > max_depth)
		max_depth = depth;
	drain(greedy_q);
	feed_want(greedy_f);
	depth--;
}

static void test_reentrant(void)
{
	static char *const five[] = {"1", "2", "3", "4", "5", NULL};
	struct loop *l = loop_new();
	struct input *in = list_input(five);

	greedy_q = queue_new(2);
	greedy_f = feed_new(l, in, greedy_q, greedy_notify, NULL);
	notified = 0;
	depth = max_depth = 0;
	got[0] = '\0';
	feed_want(greedy_f);
	CHECK_STR(got, "1,2,3,4,5,");
	CHECK_INT(max_depth, 1);
	CHECK_INT(notified, 3);
	CHECK(queue_closed(greedy_q));
	feed_free(greedy_f);
	queue_free(greedy_q, NULL);
	input_free(in);
	loop_free(l);
}

/* A pipe: nothing there yet means waiting in the loop; records come as
 * whole lines arrive; the writer's close ends the input. */
static void test_pipe(void)
{
	struct input_opts io = {.delim = '\n'};
	struct loop *l = loop_new();
	struct input *in = input_new(&io, NULL, 0);
	struct queue *q = queue_new(8);
	struct feed *f;
	int p[2];

	notified = 0;
	got[0] = '\0';
	CHECK_INT(pipe2(p, O_CLOEXEC), 0);
	CHECK_INT(input_add_fd(in, p[0], "upstream", 0), 0);
	f = feed_new(l, in, q, count_notify, NULL);
	feed_want(f);
	CHECK_INT(queue_len(q), 0);
	CHECK_INT(notified, 0);
	CHECK(!queue_closed(q));
	CHECK_INT(write(p[1], "x\ny\nz", 5), 5);
	CHECK_INT(loop_run_once(l), 0); /* readable: the feed reads */
	CHECK_INT(queue_len(q), 2);
	CHECK_INT(notified, 1);
	drain(q);
	CHECK_STR(got, "x,y,");
	close(p[1]);
	/* "z" is completed by the end of input; then the queue closes */
	while (!queue_closed(q) && loop_run_once(l) == 0)
		;
	CHECK(queue_closed(q));
	drain(q);
	CHECK_STR(got, "x,y,z,");
	CHECK(notified >= 2);
	CHECK(feed_error(f) == NULL);
	feed_free(f);
	queue_free(q, NULL);
	input_free(in);
	loop_free(l);
}

/* A read error closes the queue; feed_error says what and where. */
static void test_error(void)
{
	struct input_opts io = {.delim = '\n'};
	struct loop *l = loop_new();
	struct input *in = input_new(&io, NULL, 0);
	struct queue *q = queue_new(4);
	struct feed *f;
	char want[128];
	int p[2];

	notified = 0;
	CHECK_INT(pipe2(p, O_CLOEXEC), 0);
	/* the write end of a pipe: read(2) fails with EBADF */
	CHECK_INT(input_add_fd(in, p[1], "wrong-end", 0), 0);
	f = feed_new(l, in, q, count_notify, NULL);
	CHECK(feed_error(f) == NULL);
	feed_want(f);
	CHECK(queue_closed(q));
	CHECK_INT(queue_len(q), 0);
	CHECK_INT(notified, 1);
	snprintf(want, sizeof(want), "wrong-end: %s", strerror(EBADF));
	CHECK_STR(feed_error(f), want);
	feed_want(f);
	CHECK_INT(notified, 1);
	feed_free(f);
	queue_free(q, NULL);
	input_free(in);
	close(p[0]);
	loop_free(l);
}

/* Sets the int data points to: a test's deadline passed. */
static void set_flag(struct loop *l, void *data)
{
	*(int *)data = 1;
}

/* Run the loop until q closes or 10 s passed; the turns it took. */
static unsigned run_until_closed(struct loop *l, struct queue *q)
{
	struct loop_timer *t;
	unsigned turns = 0;
	int late = 0;

	t = loop_timer_add(l, 10000, set_flag, &late);
	while (!queue_closed(q) && !late && loop_run_once(l) == 0)
		turns++;
	if (!late)
		loop_timer_cancel(l, t);
	return turns;
}

/* A regular file (epoll refuses it: EPERM) with a record longer than one
 * read: read on the loop's next turns, never left waiting. */
static void test_unpollable(void)
{
	struct input_opts io = {.delim = '\n'};
	struct loop *l = loop_new();
	struct input *in = input_new(&io, NULL, 0);
	struct queue *q = queue_new(8);
	char path[] = "/tmp/test_feed.XXXXXX";
	size_t len = 300000, n;
	struct feed *f;
	void *item;
	char *big = malloc(len + 3);
	int fd = mkstemp(path);

	memset(big, 'x', len);
	memcpy(big + len, "\nb\n", 3);
	CHECK_INT(write(fd, big, len + 3), len + 3);
	CHECK_INT(lseek(fd, 0, SEEK_SET), 0);
	unlink(path);
	CHECK_INT(input_add_fd(in, fd, "file", 0), 0);
	notified = 0;
	f = feed_new(l, in, q, count_notify, NULL);
	feed_want(f);
	CHECK_INT(queue_len(q), 0); /* one read: the record is not whole */
	CHECK(!queue_closed(q));
	CHECK(run_until_closed(l, q) >= 4); /* a read a turn */
	CHECK(queue_closed(q));
	CHECK(feed_error(f) == NULL);
	CHECK_INT(queue_len(q), 2);
	n = 0;
	if (queue_try_get(q, &item) == 0) {
		n = strlen(((struct record *)item)->v[0]);
		record_free(item);
		queue_task_done(q);
	}
	CHECK_INT(n, len);
	got[0] = '\0';
	drain(q);
	CHECK_STR(got, "b,");
	feed_free(f);
	queue_free(q, NULL);
	input_free(in);
	loop_free(l);
	free(big);
}

/* /dev/zero as the input (epoll refuses it too): a NUL byte in the first
 * record, an error at once; with -0, empty records up to the queue's size,
 * then nothing is read until the consumer wants more. */
static void test_dev_zero(void)
{
	struct input_opts io = {.delim = '\n'};
	struct loop *l = loop_new();
	struct input *in = input_new(&io, NULL, 0);
	struct queue *q = queue_new(4);
	struct feed *f;

	CHECK_INT(input_add_file(in, "/dev/zero", 0), 0);
	f = feed_new(l, in, q, count_notify, NULL);
	feed_want(f);
	CHECK(queue_closed(q));
	CHECK_STR(feed_error(f), "/dev/zero: record 1 holds a NUL byte (use -0 "
				 "for NUL-delimited input)");
	feed_free(f);
	input_free(in);
	queue_free(q, NULL);

	io.delim = '\0';
	in = input_new(&io, NULL, 0);
	q = queue_new(4);
	CHECK_INT(input_add_file(in, "/dev/zero", 0), 0);
	f = feed_new(l, in, q, count_notify, NULL);
	feed_want(f);
	CHECK_INT(queue_len(q), 4);
	CHECK(!queue_closed(q));
	got[0] = '\0';
	CHECK_INT(drain(q), 4);
	feed_want(f);
	CHECK_INT(queue_len(q), 4);
	CHECK(feed_error(f) == NULL);
	feed_free(f);
	queue_free(q, (void (*)(void *))record_free);
	input_free(in);
	loop_free(l);
}

/* A queue closed by its consumer: the input is not read at all. */
static void test_closed_queue(void)
{
	static char *const one[] = {"a", NULL};
	struct loop *l = loop_new();
	struct input *in = list_input(one);
	struct queue *q = queue_new(2);
	struct feed *f = feed_new(l, in, q, count_notify, NULL);

	notified = 0;
	queue_close(q);
	feed_want(f);
	CHECK_INT(input_count(in), 0);
	CHECK_INT(queue_len(q), 0);
	CHECK_INT(notified, 0);
	CHECK(feed_error(f) == NULL);
	feed_free(f);
	queue_free(q, NULL);
	input_free(in);
	loop_free(l);
}

int main(void)
{
	test_list();
	test_exact_fit();
	test_reentrant();
	test_pipe();
	test_error();
	test_closed_queue();
	test_unpollable();
	test_dev_zero();
	return UNIT_DONE();
}
