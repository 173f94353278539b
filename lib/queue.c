/* queue: a bounded FIFO ring of pointers, single-threaded. */
#include "queue.h"

#include <errno.h>
#include <stdlib.h>

struct queue {
	void **items; /* ring of capacity slots */
	size_t capacity;
	size_t head; /* index of the oldest item */
	size_t len;
	size_t unfinished;
	int closed;
};

/* Allocate an empty open queue of capacity slots. */
struct queue *queue_new(size_t capacity)
{
	struct queue *q;

	if (capacity == 0) {
		errno = EINVAL;
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return NULL;
	q->items = calloc(capacity, sizeof(void *));
	if (q->items == NULL) {
		free(q);
		errno = ENOMEM;
		return NULL;
	}
	q->capacity = capacity;
	return q;
}

/* Free the queue, handing the items left to free_item. */
void queue_free(struct queue *q, void (*free_item)(void *))
{
	size_t i;

	if (q == NULL)
		return;
	if (free_item != NULL)
		for (i = 0; i < q->len; i++)
			free_item(q->items[(q->head + i) % q->capacity]);
	free(q->items);
	free(q);
}

/* Append an item: EAGAIN when full, EPIPE when closed. */
int queue_try_put(struct queue *q, void *item)
{
	if (q->closed || q->len == q->capacity) {
		errno = q->closed ? EPIPE : EAGAIN;
		return -1;
	}
	q->items[(q->head + q->len) % q->capacity] = item;
	q->len++;
	q->unfinished++;
	return 0;
}

/* Take the oldest item: EAGAIN when empty, ENODATA when empty and closed. */
int queue_try_get(struct queue *q, void **item)
{
	if (q->len == 0) {
		errno = q->closed ? ENODATA : EAGAIN;
		return -1;
	}
	*item = q->items[q->head];
	q->items[q->head] = NULL;
	q->head = (q->head + 1) % q->capacity;
	q->len--;
	return 0;
}

/* Acknowledge an item got; EINVAL if none is outstanding. */
int queue_task_done(struct queue *q)
{
	if (q->unfinished <= q->len) {
		errno = EINVAL;
		return -1;
	}
	q->unfinished--;
	return 0;
}

/* Refuse further puts. */
void queue_close(struct queue *q)
{
	q->closed = 1;
}

/* 1 once queue_close() was called. */
int queue_closed(const struct queue *q)
{
	return q->closed;
}

/* Items waiting to be got. */
size_t queue_len(const struct queue *q)
{
	return q->len;
}

/* Slots in the ring (fixed). */
size_t queue_capacity(const struct queue *q)
{
	return q->capacity;
}

/* Items put and not yet acknowledged. */
size_t queue_unfinished(const struct queue *q)
{
	return q->unfinished;
}

/* 1 if a put would fail with EAGAIN. */
int queue_full(const struct queue *q)
{
	return q->len == q->capacity;
}

/* A few records per slot, at least a job's, at least 64. */
size_t queue_size_for(enum queue_use use, unsigned slots, size_t max_args,
		      int fill)
{
	size_t n = max_args > 0 ? max_args * 2 : 2;

	if (use == QUEUE_BLOCKS)
		return 1;
	if (use == QUEUE_WORKERS)
		return slots * 4 < 256 ? 256 : (size_t)slots * 4;
	if (use == QUEUE_STAGE || n < (size_t)slots * 2)
		n = (size_t)slots * 2;
	if (use == QUEUE_JOBS && fill)
		return 65536;
	return n < 64 ? 64 : n;
}
