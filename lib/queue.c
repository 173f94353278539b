/* queue: a bounded, joinable FIFO of pointers. */
#include "queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t not_empty; /* an item was put, or the queue closed */
	pthread_cond_t not_full;  /* an item was got, or the queue closed */
	pthread_cond_t all_done;  /* unfinished dropped to 0 */
	void **items;		  /* ring of capacity slots */
	size_t capacity;
	size_t head; /* index of the oldest item */
	size_t len;
	size_t unfinished;
	int closed;
};

/* Initialise the lock and condition variables; 0 or an error number. */
static int queue_init_sync(struct queue *q)
{
	int err, done = 0;

	err = pthread_mutex_init(&q->lock, NULL);
	if (err != 0)
		goto fail;
	done++;
	err = pthread_cond_init(&q->not_empty, NULL);
	if (err != 0)
		goto fail;
	done++;
	err = pthread_cond_init(&q->not_full, NULL);
	if (err != 0)
		goto fail;
	done++;
	err = pthread_cond_init(&q->all_done, NULL);
	if (err != 0)
		goto fail;
	return 0;
fail:
	if (done > 2)
		pthread_cond_destroy(&q->not_full);
	if (done > 1)
		pthread_cond_destroy(&q->not_empty);
	if (done > 0)
		pthread_mutex_destroy(&q->lock);
	return err;
}

/* Allocate an empty open queue of capacity slots. */
struct queue *queue_new(size_t capacity)
{
	struct queue *q = NULL;
	int err;

	if (capacity == 0) {
		errno = EINVAL;
		return NULL;
	}
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		goto fail;
	q->items = calloc(capacity, sizeof(void *));
	if (q->items == NULL)
		goto fail;
	q->capacity = capacity;
	err = queue_init_sync(q);
	if (err != 0) {
		errno = err;
		goto fail;
	}
	return q;
fail:
	err = errno;
	if (q != NULL)
		free(q->items);
	free(q);
	errno = err;
	return NULL;
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
	pthread_cond_destroy(&q->all_done);
	pthread_cond_destroy(&q->not_full);
	pthread_cond_destroy(&q->not_empty);
	pthread_mutex_destroy(&q->lock);
	free(q->items);
	free(q);
}

/* Append an item (locked, room checked by the caller). */
static void queue_push(struct queue *q, void *item)
{
	q->items[(q->head + q->len) % q->capacity] = item;
	q->len++;
	q->unfinished++;
	pthread_cond_signal(&q->not_empty);
}

/* Take the oldest item (locked, len > 0 checked by the caller). */
static void *queue_pop(struct queue *q)
{
	void *item = q->items[q->head];

	q->items[q->head] = NULL;
	q->head = (q->head + 1) % q->capacity;
	q->len--;
	pthread_cond_signal(&q->not_full);
	return item;
}

/* Put without waiting: EAGAIN when full, EPIPE when closed. */
int queue_try_put(struct queue *q, void *item)
{
	int err = 0;

	pthread_mutex_lock(&q->lock);
	if (q->closed)
		err = EPIPE;
	else if (q->len == q->capacity)
		err = EAGAIN;
	else
		queue_push(q, item);
	pthread_mutex_unlock(&q->lock);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

/* Get without waiting: EAGAIN when empty, ENODATA when empty and closed. */
int queue_try_get(struct queue *q, void **item)
{
	int err = 0;

	pthread_mutex_lock(&q->lock);
	if (q->len > 0)
		*item = queue_pop(q);
	else
		err = q->closed ? ENODATA : EAGAIN;
	pthread_mutex_unlock(&q->lock);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

/* Put, waiting for room; EPIPE once closed. */
int queue_put(struct queue *q, void *item)
{
	int closed;

	pthread_mutex_lock(&q->lock);
	while (!q->closed && q->len == q->capacity)
		pthread_cond_wait(&q->not_full, &q->lock);
	closed = q->closed;
	if (!closed)
		queue_push(q, item);
	pthread_mutex_unlock(&q->lock);
	if (closed) {
		errno = EPIPE;
		return -1;
	}
	return 0;
}

/* Get, waiting for an item; ENODATA once closed and empty. */
int queue_get(struct queue *q, void **item)
{
	int found;

	pthread_mutex_lock(&q->lock);
	while (!q->closed && q->len == 0)
		pthread_cond_wait(&q->not_empty, &q->lock);
	found = q->len > 0;
	if (found)
		*item = queue_pop(q);
	pthread_mutex_unlock(&q->lock);
	if (!found) {
		errno = ENODATA;
		return -1;
	}
	return 0;
}

/* Acknowledge an item got; EINVAL if none is outstanding. */
int queue_task_done(struct queue *q)
{
	int err = 0;

	pthread_mutex_lock(&q->lock);
	if (q->unfinished <= q->len) {
		err = EINVAL;
	} else {
		q->unfinished--;
		if (q->unfinished == 0)
			pthread_cond_broadcast(&q->all_done);
	}
	pthread_mutex_unlock(&q->lock);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

/* Wait until every item put has been acknowledged. */
void queue_join(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	while (q->unfinished > 0)
		pthread_cond_wait(&q->all_done, &q->lock);
	pthread_mutex_unlock(&q->lock);
}

/* Refuse further puts and wake every waiter. */
void queue_close(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = 1;
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->lock);
}

/* Lock a queue seen through a const pointer (the lock is not its state). */
static struct queue *queue_lock(const struct queue *q)
{
	struct queue *mq = (struct queue *)q;

	pthread_mutex_lock(&mq->lock);
	return mq;
}

/* 1 once queue_close() was called. */
int queue_closed(const struct queue *q)
{
	struct queue *mq = queue_lock(q);
	int closed = mq->closed;

	pthread_mutex_unlock(&mq->lock);
	return closed;
}

/* Items waiting to be got. */
size_t queue_len(const struct queue *q)
{
	struct queue *mq = queue_lock(q);
	size_t len = mq->len;

	pthread_mutex_unlock(&mq->lock);
	return len;
}

/* Slots in the ring (fixed). */
size_t queue_capacity(const struct queue *q)
{
	return q->capacity;
}

/* Items put and not yet acknowledged. */
size_t queue_unfinished(const struct queue *q)
{
	struct queue *mq = queue_lock(q);
	size_t n = mq->unfinished;

	pthread_mutex_unlock(&mq->lock);
	return n;
}

/* 1 if a put would have to wait. */
int queue_full(const struct queue *q)
{
	struct queue *mq = queue_lock(q);
	int full = mq->len == mq->capacity;

	pthread_mutex_unlock(&mq->lock);
	return full;
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
