/* feed: input records into a bounded queue, read as the consumer needs. */
#include "feed.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>

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
	int failed;
	int busy;        /* inside feed_want: no recursion through notify */
	int again;       /* feed_want was called again from notify */
};

static void feed_readable(struct loop *l, int fd, uint32_t events,
			  void *data);

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
	return f;
}

/* Stop watching the input descriptor. */
static void feed_unwatch(struct feed *f)
{
	if (f->watched_fd != -1)
		loop_fd_del(f->loop, f->watched_fd);
	f->watched_fd = -1;
}

void feed_free(struct feed *f)
{
	if (f == NULL)
		return;
	feed_unwatch(f);
	free(f);
}

/* Wait in the loop for the input to become readable. */
static void feed_watch(struct feed *f)
{
	int fd = input_poll_fd(f->in);

	if (fd == f->watched_fd)
		return;
	feed_unwatch(f);
	if (fd != -1 &&
	    loop_fd_add(f->loop, fd, EPOLLIN, feed_readable, f) == 0)
		f->watched_fd = fd;
}

/* The input was exhausted or failed: no record will come any more. */
static void feed_end(struct feed *f, int failed)
{
	f->failed = failed;
	feed_unwatch(f);
	queue_close(f->q);
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

const char *feed_error(const struct feed *f)
{
	return f->failed ? input_error(f->in) : NULL;
}
