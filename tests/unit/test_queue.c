/* Unit tests for lib/queue. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "queue.h"
#include "unit.h"

#define PRODUCERS 4
#define CONSUMERS 4
#define PER_PRODUCER_MAX 100000

struct shared {
	struct queue *q;
	unsigned char *seen; /* seen[i]: times item i+1 was got */
	size_t per_producer;
	pthread_mutex_t lock;
	size_t got;
	int errors;
};

struct producer {
	struct shared *s;
	size_t first;
};

/* Count one error (from any thread). */
static void note_error(struct shared *s)
{
	pthread_mutex_lock(&s->lock);
	s->errors++;
	pthread_mutex_unlock(&s->lock);
}

/* Put items first+1 .. first+per_producer (as pointers, never NULL). */
static void *produce(void *data)
{
	struct producer *p = data;
	size_t i;

	for (i = 0; i < p->s->per_producer; i++)
		if (queue_put(p->s->q, (void *)(uintptr_t)(p->first + i + 1)) ==
		    -1)
			note_error(p->s);
	return NULL;
}

/* Get items until closed and empty, marking each seen. */
static void *consume(void *data)
{
	struct shared *s = data;
	void *item;
	size_t n;

	while (queue_get(s->q, &item) == 0) {
		n = (size_t)(uintptr_t)item;
		pthread_mutex_lock(&s->lock);
		if (n == 0 || n > PRODUCERS * s->per_producer)
			s->errors++;
		else
			s->seen[n - 1]++;
		s->got++;
		pthread_mutex_unlock(&s->lock);
		if (queue_task_done(s->q) == -1)
			note_error(s);
	}
	if (errno != ENODATA)
		note_error(s);
	return NULL;
}

/* Several producers and consumers: every item exactly once, join returns. */
static void test_threads(size_t capacity, size_t per_producer)
{
	struct shared s = {.per_producer = per_producer};
	size_t total = PRODUCERS * per_producer;
	struct producer prod[PRODUCERS];
	pthread_t pt[PRODUCERS], ct[CONSUMERS];
	size_t i, once = 0;

	s.q = queue_new(capacity);
	s.seen = calloc(total, 1);
	pthread_mutex_init(&s.lock, NULL);
	CHECK(s.q != NULL && s.seen != NULL);
	for (i = 0; i < CONSUMERS; i++)
		pthread_create(&ct[i], NULL, consume, &s);
	for (i = 0; i < PRODUCERS; i++) {
		prod[i] = (struct producer){&s, i * per_producer};
		pthread_create(&pt[i], NULL, produce, &prod[i]);
	}
	for (i = 0; i < PRODUCERS; i++)
		pthread_join(pt[i], NULL);
	queue_join(s.q);
	CHECK_INT(queue_unfinished(s.q), 0);
	queue_close(s.q);
	for (i = 0; i < CONSUMERS; i++)
		pthread_join(ct[i], NULL);
	for (i = 0; i < total; i++)
		once += s.seen[i] == 1;
	CHECK_INT(s.got, total);
	CHECK_INT(once, total);
	CHECK_INT(s.errors, 0);
	CHECK_INT(queue_len(s.q), 0);
	pthread_mutex_destroy(&s.lock);
	free(s.seen);
	queue_free(s.q, NULL);
}

/* Blocked getters wake up with ENODATA on close. */
static void *get_one(void *data)
{
	void *item;
	int r = queue_get(data, &item);

	return (void *)(intptr_t)(r == -1 && errno == ENODATA);
}

/* A put blocked on a full queue fails with EPIPE on close. */
static void *put_one(void *data)
{
	int r = queue_put(data, (void *)"late");

	return (void *)(intptr_t)(r == -1 && errno == EPIPE);
}

/* Close wakes every blocked thread. */
static void test_close_wakes(void)
{
	struct queue *q = queue_new(1);
	pthread_t t[3];
	void *ok[3];
	size_t i;

	CHECK(q != NULL);
	pthread_create(&t[0], NULL, get_one, q);
	pthread_create(&t[1], NULL, get_one, q);
	queue_close(q);
	pthread_join(t[0], &ok[0]);
	pthread_join(t[1], &ok[1]);
	queue_free(q, NULL);

	q = queue_new(1);
	CHECK(queue_put(q, (void *)"x") == 0);
	pthread_create(&t[2], NULL, put_one, q);
	queue_close(q);
	pthread_join(t[2], &ok[2]);
	for (i = 0; i < 3; i++)
		CHECK(ok[i] == (void *)1);
	queue_free(q, NULL);
}

/* A queue_join waiter returns after the last task_done of another thread. */
static void *finish_later(void *data)
{
	struct queue *q = data;
	void *item;
	int i;

	for (i = 0; i < 3; i++)
		if (queue_get(q, &item) == 0)
			queue_task_done(q);
	return NULL;
}

/* queue_join waits for the consumers' acknowledgements. */
static void test_join(void)
{
	struct queue *q = queue_new(2);
	pthread_t t;

	CHECK(q != NULL);
	pthread_create(&t, NULL, finish_later, q);
	CHECK(queue_put(q, (void *)"a") == 0);
	CHECK(queue_put(q, (void *)"b") == 0);
	CHECK(queue_put(q, (void *)"c") == 0);
	queue_join(q);
	CHECK_INT(queue_unfinished(q), 0);
	pthread_join(t, NULL);
	queue_free(q, NULL);
}

/* The non-blocking API from one thread. */
static void test_single_thread(void)
{
	static int v[5];
	struct queue *q;
	void *item = NULL;
	int i;

	errno = 0;
	CHECK(queue_new(0) == NULL && errno == EINVAL);
	q = queue_new(3);
	CHECK(q != NULL);
	CHECK_INT(queue_capacity(q), 3);
	CHECK_INT(queue_len(q), 0);
	CHECK_INT(queue_full(q), 0);
	CHECK_INT(queue_closed(q), 0);
	errno = 0;
	CHECK(queue_try_get(q, &item) == -1 && errno == EAGAIN);
	errno = 0;
	CHECK(queue_task_done(q) == -1 && errno == EINVAL);
	for (i = 0; i < 3; i++)
		CHECK(queue_try_put(q, &v[i]) == 0);
	CHECK_INT(queue_full(q), 1);
	errno = 0;
	CHECK(queue_try_put(q, &v[3]) == -1 && errno == EAGAIN);
	CHECK_INT(queue_len(q), 3);
	CHECK_INT(queue_unfinished(q), 3);
	/* Items got but not acknowledged are still unfinished. */
	CHECK(queue_try_get(q, &item) == 0 && item == &v[0]);
	CHECK_INT(queue_len(q), 2);
	CHECK_INT(queue_unfinished(q), 3);
	CHECK(queue_task_done(q) == 0);
	errno = 0;
	CHECK(queue_task_done(q) == -1 && errno == EINVAL);
	CHECK_INT(queue_unfinished(q), 2);
	/* Wrap around the ring, FIFO order kept. */
	CHECK(queue_try_put(q, &v[3]) == 0);
	CHECK(queue_try_get(q, &item) == 0 && item == &v[1]);
	CHECK(queue_try_put(q, &v[4]) == 0);
	CHECK(queue_try_get(q, &item) == 0 && item == &v[2]);
	CHECK(queue_try_get(q, &item) == 0 && item == &v[3]);
	/* Close: no more puts, the rest can still be got. */
	queue_close(q);
	queue_close(q);
	CHECK_INT(queue_closed(q), 1);
	errno = 0;
	CHECK(queue_try_put(q, &v[0]) == -1 && errno == EPIPE);
	errno = 0;
	CHECK(queue_put(q, &v[0]) == -1 && errno == EPIPE);
	CHECK(queue_try_get(q, &item) == 0 && item == &v[4]);
	errno = 0;
	CHECK(queue_try_get(q, &item) == -1 && errno == ENODATA);
	errno = 0;
	CHECK(queue_get(q, &item) == -1 && errno == ENODATA);
	CHECK_INT(queue_unfinished(q), 4);
	for (i = 0; i < 4; i++)
		CHECK(queue_task_done(q) == 0);
	CHECK(queue_task_done(q) == -1);
	queue_join(q); /* returns at once */
	CHECK_INT(queue_unfinished(q), 0);
	queue_free(q, NULL);
	queue_free(NULL, NULL);
}

/* queue_free hands the items left to free_item. */
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

int main(void)
{
	test_single_thread();
	test_free_items();
	test_join();
	test_close_wakes();
	test_threads(1, 10000);	/* every put and get contend */
	test_threads(64, PER_PRODUCER_MAX);
	return UNIT_DONE();
}
