/* Unit tests for lib/wpool: the framings, and a small live run. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec_local.h"
#include "input.h"
#include "loop.h"
#include "queue.h"
#include "termtree.h"
#include "unit.h"
#include "wpool.h"

/* Encode p[0..n) and return the bytes (static, NUL-terminated). */
static const char *enc(enum wpool_framing f, const char *p, size_t n,
		       size_t *len)
{
	static struct buf b;

	b.len = 0;
	if (wpool_frame_encode(f, p, n, &b) == -1)
		return NULL;
	*len = b.len;
	return b.data;
}

/* Encoding in the three framings, and what they refuse. */
static void test_encode(void)
{
	size_t n = 0;
	const char *s;

	s = enc(WPOOL_LINE, "abc", 3, &n);
	CHECK(s != NULL && n == 4 && memcmp(s, "abc\n", 4) == 0);
	s = enc(WPOOL_NUL, "a\nb", 3, &n);
	CHECK(s != NULL && n == 4 && memcmp(s, "a\nb\0", 4) == 0);
	s = enc(WPOOL_LEN, "a\0\nb", 4, &n);
	CHECK(s != NULL && n == 6 && memcmp(s, "4\na\0\nb", 6) == 0);
	s = enc(WPOOL_LEN, "", 0, &n);
	CHECK(s != NULL && n == 2 && memcmp(s, "0\n", 2) == 0);
	errno = 0;
	CHECK(enc(WPOOL_LINE, "a\nb", 3, &n) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(enc(WPOOL_NUL, "a\0b", 3, &n) == NULL && errno == EINVAL);
}

/* Parsing: whole records, partial ones, malformed length headers. */
static void test_parse(void)
{
	size_t st = 9, len = 9, used = 9;

	CHECK_INT(wpool_frame_parse(WPOOL_LINE, "ab\ncd", 5, &st, &len, &used),
		  1);
	CHECK(st == 0 && len == 2 && used == 3);
	CHECK_INT(wpool_frame_parse(WPOOL_LINE, "abc", 3, &st, &len, &used), 0);
	CHECK_INT(wpool_frame_parse(WPOOL_NUL, "a\nb\0", 4, &st, &len, &used),
		  1);
	CHECK(st == 0 && len == 3 && used == 4);
	CHECK_INT(wpool_frame_parse(WPOOL_LEN, "3\na\0b", 5, &st, &len, &used),
		  1);
	CHECK(st == 2 && len == 3 && used == 5);
	CHECK_INT(wpool_frame_parse(WPOOL_LEN, "3\na\0", 4, &st, &len, &used),
		  0);
	CHECK_INT(wpool_frame_parse(WPOOL_LEN, "12", 2, &st, &len, &used), 0);
	CHECK_INT(wpool_frame_parse(WPOOL_LEN, "0\n", 2, &st, &len, &used), 1);
	CHECK(st == 2 && len == 0 && used == 2);
	errno = 0;
	CHECK(wpool_frame_parse(WPOOL_LEN, "x\n", 2, &st, &len, &used) == -1 &&
	      errno == EPROTO);
	errno = 0;
	CHECK(wpool_frame_parse(WPOOL_LEN, "\nab", 3, &st, &len, &used) ==
		      -1 &&
	      errno == EPROTO);
	errno = 0;
	CHECK(wpool_frame_parse(WPOOL_LEN, " 1\na", 4, &st, &len, &used) ==
		      -1 &&
	      errno == EPROTO);
	errno = 0;
	CHECK(wpool_frame_parse(WPOOL_LEN, "99999999999\n", 12, &st, &len,
				&used) == -1 &&
	      errno == EMSGSIZE);
}

/* Put one record holding the value v into q. */
static void put_value(struct queue *q, const char *v)
{
	struct record *r = calloc(1, sizeof(*r));

	r->n = 1;
	r->v = calloc(2, sizeof(char *));
	r->v[0] = strdup(v);
	r->origin = ":::";
	r->fd = -1; /* no block (--pipe) */
	queue_try_put(q, r);
}

static unsigned long long finished_n;

static void count_finished(void *data, const struct sched_task *t)
{
	finished_n++;
}

/* A live run: 2 `sed -u` workers, 5 inputs in input order, output read
 * back from a file. */
static void test_run(void)
{
	struct wpool_opts o = {0};
	struct sched_events ev = {.finished = count_finished};
	char path[] = "/tmp/test_wpoolXXXXXX", got[256];
	struct loop *l = loop_new();
	struct queue *q = queue_new(16);
	struct sched *p;
	ssize_t n;
	int fd = mkstemp(path);

	unlink(path);
	o.sched.slots = 2;
	o.command = "exec sed -u 's/^/r/'";
	o.framing = WPOOL_LINE;
	o.sched.order = ORDER_IMAP;
	o.sched.exec = exec_local("/bin/sh");
	o.sched.out_fd = fd;
	o.sched.err_fd = 2;
	termseq_default(&o.sched.termseq);
	p = wpool_new(l, &o, &ev);
	CHECK(p != NULL);
	put_value(q, "1");
	put_value(q, "2");
	put_value(q, "3");
	put_value(q, "4");
	put_value(q, "5");
	queue_close(q);
	sched_set_source(p, q, NULL, NULL);
	CHECK_INT(sched_run(p), 0);
	CHECK_INT(sched_succeeded(p), 5);
	CHECK_INT(sched_failed(p), 0);
	CHECK_INT(finished_n, 5);
	CHECK(wpool_spawns(p) <= 2);
	n = pread(fd, got, sizeof(got) - 1, 0);
	got[n > 0 ? n : 0] = '\0';
	CHECK_STR(got, "r1\nr2\nr3\nr4\nr5\n");
	CHECK_INT(queue_unfinished(q), 0);
	sched_free(p);
	queue_free(q, NULL);
	loop_free(l);
	close(fd);
}

static char notice_got[512];

static void keep_notice(void *data, const char *msg)
{
	snprintf(notice_got, sizeof(notice_got), "%s", msg);
}

/* Run the values vals (n of them) through slots workers of cmd, in input
 * order; the results into got (NUL-terminated). The pool is returned. */
static struct sched *run_values(const char *cmd, unsigned slots,
				const char *const *vals, size_t n,
				char *got, size_t len, struct loop **l,
				struct queue **q)
{
	struct wpool_opts o = {0};
	struct sched_events ev = {.notice = keep_notice};
	char path[] = "/tmp/test_wpoolXXXXXX";
	struct sched *p;
	ssize_t r;
	size_t i;
	int fd = mkstemp(path);

	unlink(path);
	*l = loop_new();
	*q = queue_new(16);
	o.sched.slots = slots;
	o.command = cmd;
	o.framing = WPOOL_LINE;
	o.sched.order = ORDER_IMAP;
	o.sched.exec = exec_local("/bin/sh");
	o.sched.out_fd = fd;
	o.sched.err_fd = 2;
	termseq_default(&o.sched.termseq);
	p = wpool_new(*l, &o, &ev);
	CHECK(p != NULL);
	for (i = 0; i < n; i++)
		put_value(*q, vals[i]);
	queue_close(*q);
	sched_set_source(p, *q, NULL, NULL);
	CHECK_INT(sched_run(p), 0);
	r = pread(fd, got, len - 1, 0);
	got[r > 0 ? r : 0] = '\0';
	close(fd);
	return p;
}

/* Free what run_values made. */
static void run_free(struct sched *p, struct loop *l, struct queue *q)
{
	sched_free(p);
	queue_free(q, NULL);
	loop_free(l);
}

/* A filter that buffers its input and output (sed without -u): more
 * inputs than workers; exact results, in order, no notice. */
static void test_filter(void)
{
	static const char *const v[] = {"1", "2", "3", "4", "5", "6", "7"};
	struct loop *l;
	struct queue *q;
	struct sched *p;
	char got[256];

	notice_got[0] = '\0';
	p = run_values("exec sed 's/^/r/'", 2, v, 7, got, sizeof(got), &l, &q);
	CHECK_STR(got, "r1\nr2\nr3\nr4\nr5\nr6\nr7\n");
	CHECK_INT(sched_succeeded(p), 7);
	CHECK_INT(sched_failed(p), 0);
	CHECK_STR(notice_got, "");
	CHECK_INT(queue_unfinished(q), 0);
	run_free(p, l, q);
}

/* A worker that drops records (grep -v) and exits at the end of its
 * input: the inputs it left unanswered fail, with one notice. */
static void test_short(void)
{
	static const char *const v[] = {"a", "b", "x", "c"};
	struct loop *l;
	struct queue *q;
	struct sched *p;
	char got[256];

	notice_got[0] = '\0';
	p = run_values("exec grep -v x", 1, v, 4, got, sizeof(got), &l, &q);
	/* a, b answered; x got c's result; c unanswered */
	CHECK_STR(got, "a\nb\nc\n");
	CHECK_INT(sched_succeeded(p), 3);
	CHECK_INT(sched_failed(p), 1);
	CHECK_STR(notice_got, "worker 1 exited at the end of its input with 1 "
		  "input unanswered, from input 'c': a worker must write one "
		  "result record per input (its results may belong to other "
		  "inputs)");
	CHECK_INT(queue_unfinished(q), 0);
	run_free(p, l, q);
}

int main(void)
{
	test_encode();
	test_parse();
	test_run();
	test_filter();
	test_short();
	return UNIT_DONE();
}
