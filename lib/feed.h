/* feed: moves input records into a bounded queue, lazily.
 *
 * The consumer (a pool) calls feed_want() whenever it would take more
 * records. The feed then reads records from its input until the queue is
 * full, the input ends (the queue is closed) or the input has nothing more
 * for now: then it watches the input's descriptor in the loop and tries
 * again when it is readable, calling the notify callback after putting
 * records or closing the queue. A descriptor epoll refuses (a regular file,
 * /dev/zero, a block device) is always readable: it is read again on the
 * loop's next turn. So input is never read further ahead than the queue
 * holds, and the loop keeps turning while it is read. The feed owns
 * neither the input nor the queue. */
#ifndef MPRUN_FEED_H
#define MPRUN_FEED_H

struct feed;
struct input;
struct loop;
struct queue;

struct feed *feed_new(struct loop *l, struct input *in, struct queue *q,
		      void (*notify)(void *data), void *data);
void feed_free(struct feed *f);

/* Fill the queue as far as the input allows now. */
void feed_want(struct feed *f);
/* The input's error message if reading failed, or why the loop could not
 * wait for the input (the queue is then closed); else NULL. */
const char *feed_error(const struct feed *f);

#endif
