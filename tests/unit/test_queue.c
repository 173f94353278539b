/* Unit tests for lib/queue: a single-threaded ring of pointers. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "queue.h"
#include "unit.h"

/* The pointer standing for item number n (never NULL for n >= 1). */
static void *item_n(size_t n)
{
	return (void *)(uintptr_t)n;
}

/* An empty open queue: get EAGAIN; a closed empty one: ENODATA. */
static void test_empty(void)
{
	struct queue *q;
	void *item = item_n(7);

	errno = 0;
	CHECK(queue_new(0) == NULL && errno == EINVAL);
	q = queue_new(3);
	CHECK(q != NULL);
	CHECK_INT(queue_capacity(q), 3);
	CHECK_INT(queue_len(q), 0);
	CHECK_INT(queue_unfinished(q), 0);
	CHECK_INT(queue_full(q), 0);
	CHECK_INT(queue_closed(q), 0);
	errno = 0;
	CHECK(queue_try_get(q, &item) == -1 && errno == EAGAIN);
	CHECK(item == item_n(7)); /* untouched on failure */
	errno = 0;
	CHECK(queue_task_done(q) == -1 && errno == EINVAL);
	queue_close(q);
	errno = 0;
	CHECK(queue_try_get(q, &item) == -1 && errno == ENODATA);
	queue_free(q, NULL);
	queue_free(NULL, NULL);
}

/* A full queue refuses with EAGAIN and keeps its items in order. */
static void test_full(void)
{
	struct queue *q = queue_new(3);
	void *item = NULL;
	size_t i;

	CHECK(q != NULL);
	for (i = 1; i <= 3; i++)
		CHECK(queue_try_put(q, item_n(i)) == 0);
	CHECK_INT(queue_full(q), 1);
	errno = 0;
	CHECK(queue_try_put(q, item_n(4)) == -1 && errno == EAGAIN);
	CHECK_INT(queue_len(q), 3);
	CHECK_INT(queue_unfinished(q), 3);
	CHECK(queue_try_get(q, &item) == 0 && item == item_n(1));
	CHECK_INT(queue_full(q), 0);
	CHECK(queue_try_put(q, item_n(4)) == 0);
	for (i = 2; i <= 4; i++)
		CHECK(queue_try_get(q, &item) == 0 && item == item_n(i));
	queue_free(q, NULL);
}

/* Close: put fails with EPIPE (even with room), queued items still come,
 * then ENODATA; close is idempotent. */
static void test_close(void)
{
	struct queue *q = queue_new(4);
	void *item = NULL;

	CHECK(q != NULL);
	CHECK(queue_try_put(q, item_n(1)) == 0);
	CHECK(queue_try_put(q, item_n(2)) == 0);
	queue_close(q);
	queue_close(q);
	CHECK_INT(queue_closed(q), 1);
	errno = 0;
	CHECK(queue_try_put(q, item_n(3)) == -1 && errno == EPIPE);
	CHECK_INT(queue_len(q), 2);
	CHECK_INT(queue_unfinished(q), 2);
	CHECK(queue_try_get(q, &item) == 0 && item == item_n(1));
	CHECK(queue_try_get(q, &item) == 0 && item == item_n(2));
	errno = 0;
	CHECK(queue_try_get(q, &item) == -1 && errno == ENODATA);
	queue_free(q, NULL);
}

/* A full closed queue says EPIPE, not EAGAIN: no room will ever help. */
static void test_close_full(void)
{
	struct queue *q = queue_new(1);

	CHECK(q != NULL);
	CHECK(queue_try_put(q, item_n(1)) == 0);
	queue_close(q);
	errno = 0;
	CHECK(queue_try_put(q, item_n(2)) == -1 && errno == EPIPE);
	queue_free(q, NULL);
}

/* unfinished counts items put and not acknowledged, got or not. */
static void test_task_done(void)
{
	struct queue *q = queue_new(4);
	void *item = NULL;
	int i;

	CHECK(q != NULL);
	for (i = 1; i <= 3; i++)
		CHECK(queue_try_put(q, item_n((size_t)i)) == 0);
	CHECK_INT(queue_unfinished(q), 3);
	errno = 0;
	CHECK(queue_task_done(q) == -1 && errno == EINVAL); /* none got */
	CHECK(queue_try_get(q, &item) == 0);
	CHECK_INT(queue_len(q), 2);
	CHECK_INT(queue_unfinished(q), 3);
	CHECK(queue_try_get(q, &item) == 0);
	CHECK(queue_task_done(q) == 0);
	CHECK_INT(queue_unfinished(q), 2);
	CHECK(queue_task_done(q) == 0);
	CHECK_INT(queue_unfinished(q), 1);
	errno = 0;
	CHECK(queue_task_done(q) == -1 && errno == EINVAL);
	CHECK_INT(queue_unfinished(q), 1);
	queue_close(q);
	CHECK(queue_try_get(q, &item) == 0 && item == item_n(3));
	CHECK(queue_task_done(q) == 0);
	CHECK_INT(queue_unfinished(q), 0);
	CHECK(queue_task_done(q) == -1);
	queue_free(q, NULL);
}

/* Around the ring many times with every fill level from 0 to capacity:
 * items come out in the order they went in, each exactly once. */
static void test_wrap(size_t capacity, size_t rounds)
{
	struct queue *q = queue_new(capacity);
	size_t r, k, put = 0, got = 0, bad = 0, fails = 0;
	void *item;

	CHECK(q != NULL);
	for (r = 0; r < rounds; r++) {
		size_t fill = r % (capacity + 1);

		for (k = 0; k < fill; k++)
			fails += queue_try_put(q, item_n(++put)) != 0;
		fails += queue_len(q) != fill;
		fails += queue_full(q) != (fill == capacity);
		for (k = 0; k < fill; k++) {
			if (queue_try_get(q, &item) != 0)
				fails++;
			else
				bad += item != item_n(++got);
			fails += queue_task_done(q) != 0;
		}
	}
	CHECK_INT(fails, 0);
	CHECK_INT(bad, 0);
	CHECK_INT(got, put);
	CHECK(put > capacity * 10); /* the head went round many times */
	CHECK_INT(queue_len(q), 0);
	CHECK_INT(queue_unfinished(q), 0);
	queue_free(q, NULL);
}

/* Kept at capacity - 1 while items stream through: the ring slides. */
static void test_slide(size_t capacity, size_t n)
{
	struct queue *q = queue_new(capacity);
	size_t i, next = 1, bad = 0;
	void *item;

	CHECK(q != NULL);
	for (i = 1; i < capacity; i++)
		bad += queue_try_put(q, item_n(i)) != 0;
	for (i = capacity; i <= n; i++) {
		bad += queue_try_put(q, item_n(i)) != 0;
		bad += queue_try_put(q, item_n(0)) != -1 || errno != EAGAIN;
		bad += queue_try_get(q, &item) != 0 || item != item_n(next++);
	}
	CHECK_INT(bad, 0);
	CHECK_INT(queue_len(q), capacity - 1);
	CHECK_INT(queue_unfinished(q), n);
	queue_free(q, NULL);
}

/* Capacity 1: full after one put, empty after one get. */
static void test_capacity_one(void)
{
	struct queue *q = queue_new(1);
	void *item = NULL;

	CHECK(q != NULL);
	CHECK_INT(queue_capacity(q), 1);
	CHECK(queue_try_put(q, item_n(1)) == 0);
	CHECK_INT(queue_full(q), 1);
	errno = 0;
	CHECK(queue_try_put(q, item_n(2)) == -1 && errno == EAGAIN);
	CHECK(queue_try_get(q, &item) == 0 && item == item_n(1));
	errno = 0;
	CHECK(queue_try_get(q, &item) == -1 && errno == EAGAIN);
	CHECK(queue_try_put(q, item_n(2)) == 0);
	CHECK(queue_try_get(q, &item) == 0 && item == item_n(2));
	CHECK(queue_task_done(q) == 0 && queue_task_done(q) == 0);
	CHECK_INT(queue_unfinished(q), 0);
	queue_free(q, NULL);
}

/* queue_free hands the items left, wrapped or not, to free_item. */
static void test_free_items(void)
{
	struct queue *q = queue_new(4);
	void *item;
	int i;

	CHECK(q != NULL);
	for (i = 0; i < 4; i++)
		CHECK(queue_try_put(q, strdup("item")) == 0);
	CHECK(queue_try_get(q, &item) == 0);
	free(item);
	CHECK(queue_try_put(q, strdup("wrapped")) == 0);
	queue_free(q, free); /* ASan reports a leak if one is missed */
}

/* Every queue's size: at least 64, two records per slot, a job's worth. */
static void test_size_for(void)
{
	CHECK_INT(queue_size_for(QUEUE_JOBS, 4, 0, 0), 64);
	CHECK_INT(queue_size_for(QUEUE_JOBS, 100, 0, 0), 200);
	CHECK_INT(queue_size_for(QUEUE_JOBS, 1, 100, 0), 200);
	CHECK_INT(queue_size_for(QUEUE_JOBS, 4, 0, 1), 65536);
	CHECK_INT(queue_size_for(QUEUE_WORKERS, 10, 0, 0), 256);
	CHECK_INT(queue_size_for(QUEUE_WORKERS, 100, 0, 0), 400);
	CHECK_INT(queue_size_for(QUEUE_STAGE, 50, 1000, 0), 100);
	CHECK_INT(queue_size_for(QUEUE_STAGE, 2, 0, 0), 64);
}

int main(void)
{
	test_empty();
	test_full();
	test_close();
	test_close_full();
	test_task_done();
	test_wrap(1, 100);
	test_wrap(5, 1000);
	test_wrap(64, 500);
	test_slide(3, 10000);
	test_slide(1, 1000);
	test_capacity_one();
	test_free_items();
	test_size_for();
	return UNIT_DONE();
}
