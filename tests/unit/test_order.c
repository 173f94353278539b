/* Unit tests for lib/order: the release policies. */
#include <stdlib.h>
#include "order.h"
#include "unit.h"

static int a, b, c;

/* imap: the oldest unfinished job writes; releases go in start order. */
static void test_imap(void)
{
	struct order *o = order_new(ORDER_IMAP);

	CHECK(order_started(o, &a) == 0);
	CHECK(order_started(o, &b) == 0);
	CHECK(order_started(o, &c) == 0);
	CHECK(order_writer(o) == &a);
	order_finished(o, &b);
	CHECK(order_pop_release(o) == NULL);
	CHECK(order_writer(o) == &a);
	order_finished(o, &a);
	CHECK(order_writer(o) == NULL);
	CHECK(order_pop_release(o) == &a);
	CHECK(order_pop_release(o) == &b);
	CHECK(order_pop_release(o) == NULL);
	CHECK(order_writer(o) == &c);
	CHECK_INT(order_pending(o), 1);
	order_finished(o, &c);
	CHECK(order_pop_release(o) == &c);
	CHECK_INT(order_pending(o), 0);
	order_free(o);
}

/* unordered: first with output writes; others wait while it writes. */
static void test_unordered(void)
{
	struct order *o = order_new(ORDER_UNORDERED);

	order_started(o, &a);
	order_started(o, &b);
	order_started(o, &c);
	CHECK(order_writer(o) == NULL);
	order_output(o, &b);
	CHECK(order_writer(o) == &b);
	order_output(o, &a);
	CHECK(order_writer(o) == &b);
	order_finished(o, &c);
	CHECK(order_pop_release(o) == NULL); /* b is half-way */
	order_finished(o, &b);
	CHECK(order_pop_release(o) == &b);
	CHECK(order_pop_release(o) == &c);
	CHECK(order_pop_release(o) == NULL);
	CHECK(order_writer(o) == &a);
	order_finished(o, &a);
	CHECK(order_writer(o) == NULL);
	CHECK(order_pop_release(o) == &a);
	CHECK_INT(order_pending(o), 0);
	order_free(o);
}

/* unordered: a finished job with no output goes at once. */
static void test_unordered_quiet(void)
{
	struct order *o = order_new(ORDER_UNORDERED);

	order_started(o, &a);
	order_started(o, &b);
	order_finished(o, &b);
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

	order_started(o, &x);
	order_started(o, &y);
	order_output(o, &x);
	order_finished(o, &x);
	order_output(o, &y);
	CHECK(order_writer(o) == NULL);
	CHECK(order_pop_release(o) == &x);
	CHECK(order_writer(o) == &y);
	order_finished(o, &y);
	CHECK(order_writer(o) == NULL);
	CHECK(order_pop_release(o) == &y);
	CHECK_INT(order_pending(o), 0);
	order_free(o);
}

int main(void)
{
	test_imap();
	test_unordered();
	test_unordered_quiet();
	test_unordered_finished_first();
	return UNIT_DONE();
}
