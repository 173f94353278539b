/* Unit tests for lib/order: the release policies. */
#include <stdlib.h>
#include <string.h>
#include "order.h"
#include "unit.h"

static int a, b, c;

/* imap: the oldest unfinished job writes; releases go in start order. */
static void test_imap(void)
{
	struct order *o = order_new(ORDER_IMAP);

	CHECK(order_started(o, 1, &a) == 0);
	CHECK(order_started(o, 2, &b) == 0);
	CHECK(order_started(o, 3, &c) == 0);
	CHECK(order_writer(o) == &a);
	order_finished(o, 2);
	CHECK(order_pop_release(o) == NULL);
	CHECK(order_writer(o) == &a);
	order_finished(o, 1);
	CHECK(order_writer(o) == NULL);
	CHECK(order_pop_release(o) == &a);
	CHECK(order_pop_release(o) == &b);
	CHECK(order_pop_release(o) == NULL);
	CHECK(order_writer(o) == &c);
	CHECK_INT(order_pending(o), 1);
	order_finished(o, 3);
	CHECK(order_pop_release(o) == &c);
	CHECK_INT(order_pending(o), 0);
	order_free(o);
}

/* unordered: first with output writes; others wait while it writes. */
static void test_unordered(void)
{
	struct order *o = order_new(ORDER_UNORDERED);

	order_started(o, 1, &a);
	order_started(o, 2, &b);
	order_started(o, 3, &c);
	CHECK(order_writer(o) == NULL);
	order_output(o, 2);
	CHECK(order_writer(o) == &b);
	order_output(o, 1);
	CHECK(order_writer(o) == &b);
	order_finished(o, 3);
	CHECK(order_pop_release(o) == NULL); /* b is half-way */
	order_finished(o, 2);
	CHECK(order_pop_release(o) == &b);
	CHECK(order_pop_release(o) == &c);
	CHECK(order_pop_release(o) == NULL);
	CHECK(order_writer(o) == &a);
	order_finished(o, 1);
	CHECK(order_writer(o) == NULL);
	CHECK(order_pop_release(o) == &a);
	CHECK_INT(order_pending(o), 0);
	order_free(o);
}

/* unordered: a finished job with no output goes at once. */
static void test_unordered_quiet(void)
{
	struct order *o = order_new(ORDER_UNORDERED);

	order_started(o, 1, &a);
	order_started(o, 2, &b);
	order_finished(o, 2);
	CHECK(order_writer(o) == NULL);
	CHECK(order_pop_release(o) == &b);
	CHECK(order_pop_release(o) == NULL);
	order_free(o); /* frees a's entry: ASan checks no leak */
}

/* Unordered: while a finished job waits to be written, no running job
 * becomes the writer (its streamed output would pass the finished one's). */
static void test_unordered_finished_first(void)
{
	struct order *o = order_new(ORDER_UNORDERED);
	int x, y;

	order_started(o, 1, &x);
	order_started(o, 2, &y);
	order_output(o, 1);
	order_finished(o, 1);
	order_output(o, 2);
	CHECK(order_writer(o) == NULL);
	CHECK(order_pop_release(o) == &x);
	CHECK(order_writer(o) == &y);
	order_finished(o, 2);
	CHECK(order_writer(o) == NULL);
	CHECK(order_pop_release(o) == &y);
	CHECK_INT(order_pending(o), 0);
	order_free(o);
}

#define MANY 5000

/* Shuffle the numbers 0..n-1 into v. */
static void shuffle(int *v, int n, unsigned seed)
{
	int i, k, t;

	srand(seed);
	for (i = 0; i < n; i++)
		v[i] = i;
	for (i = n - 1; i > 0; i--) {
		k = rand() % (i + 1);
		t = v[i];
		v[i] = v[k];
		v[k] = t;
	}
}

/* imap and map: many jobs finishing in a random order are released in
 * start order, each as soon as every earlier one finished. */
static void test_many_in_order(enum order_policy policy)
{
	static char jobs[MANY];
	static int fin[MANY], done[MANY];
	struct order *o = order_new(policy);
	int i, next = 0, ok = 1, prefix = 0;
	void *j;

	shuffle(fin, MANY, 11);
	memset(done, 0, sizeof(done));
	for (i = 0; i < MANY; i++)
		ok &= order_started(o, (unsigned long long)i + 1,
				    &jobs[i]) == 0;
	for (i = 0; i < MANY; i++) {
		order_finished(o, (unsigned long long)fin[i] + 1);
		done[fin[i]] = 1;
		while (prefix < MANY && done[prefix])
			prefix++;
		while ((j = order_pop_release(o)) != NULL)
			ok &= j == &jobs[next++];
		ok &= next == prefix;
		ok &= order_writer(o) == (prefix < MANY ? &jobs[prefix] : NULL);
	}
	CHECK(ok);
	CHECK_INT(next, MANY);
	CHECK_INT(order_pending(o), 0);
	order_free(o);
}

/* unordered: many quiet jobs are released in the order they finish. */
static void test_many_unordered(void)
{
	static char jobs[MANY];
	static int fin[MANY];
	struct order *o = order_new(ORDER_UNORDERED);
	int i, ok = 1, n = 0;
	void *j;

	shuffle(fin, MANY, 12);
	for (i = 0; i < MANY; i++)
		ok &= order_started(o, (unsigned long long)i + 1,
				    &jobs[i]) == 0;
	for (i = 0; i < MANY; i++) {
		order_finished(o, (unsigned long long)fin[i] + 1);
		ok &= order_writer(o) == NULL;
		while ((j = order_pop_release(o)) != NULL)
			ok &= j == &jobs[fin[n++]];
		ok &= n == i + 1;
	}
	CHECK(ok);
	CHECK_INT(order_pending(o), 0);
	order_free(o);
}

/* unordered, many jobs: while the writer streams, finished jobs wait and
 * go in finish order once it ends; then the first started job with output
 * writes. */
static void test_many_unordered_writer(void)
{
	static char jobs[MANY];
	struct order *o = order_new(ORDER_UNORDERED);
	int i, ok = 1;

	for (i = 0; i < MANY; i++)
		ok &= order_started(o, (unsigned long long)i + 1,
				    &jobs[i]) == 0;
	order_output(o, 100);
	order_output(o, 4000);
	order_output(o, 50);
	CHECK(order_writer(o) == &jobs[49]); /* first started with output */
	for (i = MANY - 1; i >= 1000; i--)
		order_finished(o, (unsigned long long)i + 1);
	CHECK(order_pop_release(o) == NULL); /* the writer is half-way */
	order_finished(o, 50);
	CHECK(order_pop_release(o) == &jobs[49]);
	for (i = MANY - 1; i >= 1000; i--)
		ok &= order_pop_release(o) == &jobs[i];
	CHECK(ok);
	CHECK(order_pop_release(o) == NULL);
	CHECK(order_writer(o) == &jobs[99]);
	CHECK_INT(order_pending(o), 999);
	for (i = 0; i < 1000; i++)
		order_finished(o, (unsigned long long)i + 1);
	CHECK(order_pop_release(o) == &jobs[99]);
	for (i = 0; i < 1000; i++)
		if (i != 49 && i != 99)
			ok &= order_pop_release(o) == &jobs[i];
	CHECK(ok);
	CHECK_INT(order_pending(o), 0);
	order_free(o);
}

/* Sequence numbers with gaps (--resume skips some) and reused after
 * release; finishing an unknown or released number does nothing. */
static void test_seq_gaps(void)
{
	struct order *o = order_new(ORDER_IMAP);

	CHECK(order_started(o, 1, &a) == 0);
	CHECK(order_started(o, 17, &b) == 0);
	CHECK(order_started(o, 1000001, &c) == 0);
	CHECK(order_started(o, 17, &c) == -1); /* pending already */
	order_finished(o, 1000001);
	order_finished(o, 33); /* not pending */
	CHECK(order_pop_release(o) == NULL);
	order_finished(o, 1);
	CHECK(order_pop_release(o) == &a);
	CHECK(order_writer(o) == &b);
	order_finished(o, 1); /* released already */
	order_finished(o, 17);
	CHECK(order_pop_release(o) == &b);
	CHECK(order_pop_release(o) == &c);
	CHECK_INT(order_pending(o), 0);
	order_free(o);
}

/* The index's first place for seq in a table of 2^bits places: the
 * formula of order.c's index_home, to find numbers that collide. */
static size_t home_of(unsigned long long seq, unsigned bits)
{
	return (size_t)((seq * 11400714819323198485ull) >> (64 - bits));
}

/* Two pending numbers with the same first place (sparse numbers, as
 * --resume leaves): removing the first moves the second back into its
 * place, so it is still found when it finishes. */
static void test_index_collision(void)
{
	struct order *o = order_new(ORDER_IMAP);
	unsigned long long x = 5, y;

	/* the index has 16 places while at most 7 are pending */
	for (y = x + 1; home_of(y, 4) != home_of(x, 4); y++)
		;
	CHECK(order_started(o, x, &a) == 0);
	CHECK(order_started(o, y, &b) == 0);
	order_finished(o, x);
	CHECK(order_pop_release(o) == &a);
	CHECK(order_writer(o) == &b);
	order_finished(o, y);
	CHECK(order_pop_release(o) == &b);
	CHECK_INT(order_pending(o), 0);
	order_free(o);
}

/* Many sparse numbers, chosen to crowd a few first places, finishing in
 * a random order: each is found and released once, in start order. */
static void test_index_crowded(void)
{
	static char jobs[MANY];
	static unsigned long long seqs[MANY];
	static int fin[MANY];
	struct order *o = order_new(ORDER_IMAP);
	unsigned long long s = 1;
	int i, n = 0, ok = 1;
	void *j;

	/* numbers whose first place in a 2^14-place table is below 64 */
	for (i = 0; i < MANY; i++) {
		while (home_of(s, 14) >= 64)
			s++;
		seqs[i] = s++;
		ok &= order_started(o, seqs[i], &jobs[i]) == 0;
	}
	CHECK(ok);
	shuffle(fin, MANY, 13);
	for (i = 0; i < MANY; i++) {
		order_finished(o, seqs[fin[i]]);
		while ((j = order_pop_release(o)) != NULL)
			ok &= j == &jobs[n++];
	}
	CHECK(ok);
	CHECK_INT(n, MANY);
	CHECK_INT(order_pending(o), 0);
	order_free(o);
}

int main(void)
{
	test_imap();
	test_unordered();
	test_unordered_quiet();
	test_unordered_finished_first();
	test_many_in_order(ORDER_IMAP);
	test_many_in_order(ORDER_MAP);
	test_many_unordered();
	test_many_unordered_writer();
	test_seq_gaps();
	test_index_collision();
	test_index_crowded();
	return UNIT_DONE();
}
