/* feed: input records into a bounded queue, read as the consumer needs. */
#include "feed.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "buf.h"
#include "input.h"
#include "loop.h"
#include "queue.h"

struct feed {
	struct loop *loop;
	struct input *in;
	struct queue *q;
	void (*notify)(void *data);
	void *data;
	int watched_fd;  /* the input descriptor watched in the loop, or -1 */
	int refused_fd;  /* the input descriptor epoll refused, or -1 */
	struct loop_timer *retry; /* reads it again on the loop's next turn */
	int failed;
	struct buf err;  /* why the feed failed when the input did not */
	int busy;        /* inside feed_want: no recursion through notify */
	int again;       /* feed_want was called again from notify */
};

static void feed_readable(struct loop *l, int fd, uint32_t events,
			  void *data);
static void feed_retry(struct loop *l, void *data);

struct feed *feed_new(struct loop *l, struct input *in, struct queue *q,
		      void (*notify)(void *data), void *data)
{
	struct feed *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->loop = l;
	f->in = in;
	f->q = q;
	f->notify = notify;
	f->data = data;
	f->watched_fd = -1;
	f->refused_fd = -1;
	return f;
}

/* Stop watching the input descriptor, or reading it on the next turn. */
static void feed_unwatch(struct feed *f)
{
	if (f->watched_fd != -1)
		loop_fd_del(f->loop, f->watched_fd);
	f->watched_fd = -1;
	if (f->retry != NULL)
		loop_timer_cancel(f->loop, f->retry);
	f->retry = NULL;
}

void feed_free(struct feed *f)
{
	if (f == NULL)
		return;
	feed_unwatch(f);
	buf_free(&f->err);
	free(f);
}

/* Watch fd in the loop. A descriptor epoll refuses (EPERM: a regular
 * file, /dev/zero, a block device) never blocks a read: it is read again
 * on the loop's next turn, one read(2) a turn, so the loop keeps turning.
 * 0, or -1/errno if the loop cannot watch it at all. */
static int feed_watch_fd(struct feed *f, int fd)
{
	if (fd != f->refused_fd &&
	    loop_fd_add(f->loop, fd, EPOLLIN, feed_readable, f) == 0) {
		f->watched_fd = fd;
		return 0;
	}
	if (fd != f->refused_fd && errno != EPERM)
		return -1;
	f->refused_fd = fd;
	f->retry = loop_timer_add(f->loop, 0, feed_retry, f);
	return f->retry != NULL ? 0 : -1;
}

/* The input was exhausted or failed: no record will come any more. */
static void feed_end(struct feed *f, int failed)
{
	f->failed = failed;
	feed_unwatch(f);
	queue_close(f->q);
}

/* Wait in the loop for the input to become readable; if the loop cannot
 * wait for it, the feed fails (an input never waited for would hang). */
static void feed_watch(struct feed *f)
{
	int fd = input_poll_fd(f->in);

	if (fd == f->watched_fd && fd != -1)
		return;
	feed_unwatch(f);
	if (fd == -1 || feed_watch_fd(f, fd) == 0)
		return;
	buf_reset(&f->err);
	buf_printf(&f->err, "cannot wait for input: %s", strerror(errno));
	feed_end(f, 1);
}

/* Read records into the queue; returns how many were put. */
static unsigned long feed_fill(struct feed *f)
{
	struct record *r;
	unsigned long put = 0;
	int rc;

	while (!queue_closed(f->q) && !queue_full(f->q)) {
		rc = input_next(f->in, &r);
		if (rc == 1) {
			queue_try_put(f->q, r);
			put++;
			continue;
		}
		if (rc == -1 && errno == EAGAIN) {
			feed_watch(f);
			break;
		}
		feed_end(f, rc == -1);
		break;
	}
	if (queue_full(f->q))
		feed_unwatch(f);
	return put;
}

void feed_want(struct feed *f)
{
	int was_closed;

	if (f->busy) {
		f->again = 1;
		return;
	}
	f->busy = 1;
	do {
		f->again = 0;
		was_closed = queue_closed(f->q);
		if (feed_fill(f) > 0 || queue_closed(f->q) != was_closed)
			f->notify(f->data);
	} while (f->again && !queue_closed(f->q));
	f->busy = 0;
}

/* The loop says the input descriptor is readable. */
static void feed_readable(struct loop *l, int fd, uint32_t events, void *data)
{
	feed_want(data);
}

/* The loop's next turn: read an input epoll refused again. */
static void feed_retry(struct loop *l, void *data)
{
	struct feed *f = data;

	f->retry = NULL;
	feed_want(f);
}

const char *feed_error(const struct feed *f)
{
	if (!f->failed)
		return NULL;
	return f->err.len > 0 ? f->err.data : input_error(f->in);
}
