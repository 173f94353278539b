/* queue: a bounded FIFO ring of pointers for mprun's single-threaded event
 * loop. Nothing here locks or blocks: a put on a full queue fails with
 * EAGAIN and a get on an empty one with EAGAIN (or ENODATA once closed and
 * empty); the caller waits through the loop (feed_want/kick), never here.
 *
 * Every item got must later be acknowledged with queue_task_done();
 * queue_unfinished() counts items put but not yet acknowledged, so the
 * work is all done when the queue is closed and unfinished == 0.
 * The queue does not own the items: whoever gets an item owns it.
 * queue_free() calls free_item (if not NULL) on each item still queued. */
#ifndef MPRUN_QUEUE_H
#define MPRUN_QUEUE_H
#include <stddef.h>

struct queue;

/* capacity >= 1. Returns NULL with errno set on failure (EINVAL for a zero
 * capacity, ENOMEM). */
struct queue *queue_new(size_t capacity);
void queue_free(struct queue *q, void (*free_item)(void *));

/* 0 on success; -1 with errno EAGAIN (full) or EPIPE (closed). */
int queue_try_put(struct queue *q, void *item);
/* 0 and *item set; -1 with errno EAGAIN (empty but open) or ENODATA (empty
 * and closed: no item will ever come). */
int queue_try_get(struct queue *q, void **item);
/* Acknowledge one item got earlier. -1/EINVAL if none is outstanding. */
int queue_task_done(struct queue *q);

/* No more puts; items already queued can still be got. Idempotent. */
void queue_close(struct queue *q);
int queue_closed(const struct queue *q);

size_t queue_len(const struct queue *q);      /* items waiting */
size_t queue_capacity(const struct queue *q);
size_t queue_unfinished(const struct queue *q); /* put but not task_done */
int queue_full(const struct queue *q);

/* The capacity of a queue feeding slots slots of jobs (max_args records a
 * job, -n; fill: -X), of workers, or of a pipeline stage (its pool gathers
 * -n itself): at least a job's records, small so that input is read
 * lazily. Every queue's size is decided here. A record of QUEUE_BLOCKS holds
 * a whole block of data (--pipe): one waits, so that the blocks held are
 * those of the running jobs, one queued and the one being read. */
enum queue_use { QUEUE_JOBS, QUEUE_WORKERS, QUEUE_STAGE, QUEUE_BLOCKS };
size_t queue_size_for(enum queue_use use, unsigned slots, size_t max_args,
		      int fill);

#endif
