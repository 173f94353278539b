/* Unit tests for lib/policy: --timeout and --halt values, and when a halt
 * policy stops the run. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "policy.h"
#include "unit.h"

/* Parse a timeout; *ms and *pct start as junk to see both are set. */
static int tmo(const char *s, uint64_t *ms, unsigned *pct)
{
	*ms = 777;
	*pct = 777;
	errno = 0;
	return policy_timeout_parse(s, ms, pct);
}

/* Durations in ms, percentages of the median, and what is refused. */
static void test_timeout(void)
{
	static const char *const bad[] = {
		"", "0", "0s", "0ms", "-5", "abc", "%", "0%", "-5%", "50%%",
		"10%s", "%50", " 50%", "5 0%", "1.5%", "1000001%",
		"99999999999999999999%", "1x", "s"};
	uint64_t ms;
	unsigned pct;
	size_t i;

	CHECK_INT(tmo("30", &ms, &pct), 0);
	CHECK(ms == 30000 && pct == 0);
	CHECK_INT(tmo("2.5s", &ms, &pct), 0);
	CHECK(ms == 2500 && pct == 0);
	CHECK_INT(tmo("1m30s", &ms, &pct), 0);
	CHECK(ms == 90000 && pct == 0);
	CHECK_INT(tmo("1ms", &ms, &pct), 0);
	CHECK(ms == 1 && pct == 0);
	CHECK_INT(tmo("200%", &ms, &pct), 0);
	CHECK(ms == 0 && pct == 200);
	CHECK_INT(tmo("1%", &ms, &pct), 0);
	CHECK(ms == 0 && pct == 1);
	CHECK_INT(tmo("1000000%", &ms, &pct), 0);
	CHECK(ms == 0 && pct == 1000000);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = tmo(bad[i], &ms, &pct);

		CHECK(rc == -1 && errno == EINVAL && ms == 0 && pct == 0);
		if (rc != -1)
			printf("# accepted: [%s]\n", bad[i]);
	}
}

/* Parse a halt policy into *h (first filled with junk). */
static int halt(const char *s, struct policy_halt *h)
{
	memset(h, 0x5a, sizeof(*h));
	errno = 0;
	return policy_halt_parse(s, h);
}

/* Is h exactly {when, what, count, pct}? */
static int halt_is(const struct policy_halt *h, enum policy_halt_when when,
		   enum policy_halt_what what, unsigned long long count,
		   unsigned pct)
{
	return h->when == when && h->what == what && h->count == count &&
	       h->pct == pct;
}

/* GNU parallel's spellings, the boundaries, and what is refused. */
static void test_halt_parse(void)
{
	static const char *const bad[] = {
		"", "now", "soon", "now,", "later,fail=1", "NOW,fail=1",
		"now,fail", "now,fail=", "now,fail=0", "now,fail=-1",
		"now,fail=0%", "now,fail=101%", "now,fail=1.5", "now,fail=1,x",
		"now,fail=1x", "now,failed=1", "now,fail= 1", "never,fail=1",
		"nevermore", "soon;fail=1", "now,fail=1000000000001",
		"now,fail=%", "3", "now,done=1%%", "100%", "0%", "-3",
		"01%", "1%x", "-1%"};
	struct policy_halt h;
	size_t i;

	CHECK_INT(halt("never", &h), 0);
	CHECK(halt_is(&h, HALT_NEVER, HALT_FAIL, 0, 0));
	CHECK_INT(halt("now,fail=1", &h), 0);
	CHECK(halt_is(&h, HALT_NOW, HALT_FAIL, 1, 0));
	CHECK_INT(halt("soon,fail=3", &h), 0);
	CHECK(halt_is(&h, HALT_SOON, HALT_FAIL, 3, 0));
	CHECK_INT(halt("soon,success=2", &h), 0);
	CHECK(halt_is(&h, HALT_SOON, HALT_SUCCESS, 2, 0));
	CHECK_INT(halt("now,done=7", &h), 0);
	CHECK(halt_is(&h, HALT_NOW, HALT_DONE, 7, 0));
	CHECK_INT(halt("now,fail=30%", &h), 0);
	CHECK(halt_is(&h, HALT_NOW, HALT_FAIL, 0, 30));
	CHECK_INT(halt("soon,success=100%", &h), 0);
	CHECK(halt_is(&h, HALT_SOON, HALT_SUCCESS, 0, 100));
	CHECK_INT(halt("soon,done=1%", &h), 0);
	CHECK(halt_is(&h, HALT_SOON, HALT_DONE, 0, 1));
	/* the older spellings */
	CHECK_INT(halt("0", &h), 0);
	CHECK(halt_is(&h, HALT_NEVER, HALT_FAIL, 0, 0));
	CHECK_INT(halt("1", &h), 0);
	CHECK(halt_is(&h, HALT_SOON, HALT_FAIL, 1, 0));
	CHECK_INT(halt("2", &h), 0);
	CHECK(halt_is(&h, HALT_NOW, HALT_FAIL, 1, 0));
	CHECK_INT(halt("-1", &h), 0);
	CHECK(halt_is(&h, HALT_SOON, HALT_SUCCESS, 1, 0));
	CHECK_INT(halt("-2", &h), 0);
	CHECK(halt_is(&h, HALT_NOW, HALT_SUCCESS, 1, 0));
	CHECK_INT(halt("25%", &h), 0);
	CHECK(halt_is(&h, HALT_SOON, HALT_FAIL, 0, 25));
	CHECK_INT(halt("now,fail=1000000000000", &h), 0);
	CHECK(halt_is(&h, HALT_NOW, HALT_FAIL, 1000000000000ULL, 0));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = halt(bad[i], &h);

		/* refused, and *h left all zero (never), not half-set */
		CHECK(rc == -1 && errno == EINVAL &&
		      halt_is(&h, HALT_NEVER, HALT_FAIL, 0, 0));
		if (rc != -1)
			printf("# accepted: [%s]\n", bad[i]);
	}
}

/* When a parsed policy stops the run: counts, percentages of base. */
static void test_halt_reached(void)
{
	struct policy_halt h;

	CHECK_INT(halt("never", &h), 0);
	CHECK_INT(policy_halt_reached(&h, 100, 100, 200), 0);

	CHECK_INT(halt("now,fail=2", &h), 0);
	CHECK_INT(policy_halt_reached(&h, 50, 1, 100), 0);
	CHECK_INT(policy_halt_reached(&h, 0, 2, 100), 1);
	CHECK_INT(policy_halt_reached(&h, 0, 3, 0), 1); /* base unknown */
	CHECK_INT(policy_halt_reached(&h, 5, 0, 5), 0);

	CHECK_INT(halt("soon,success=3", &h), 0);
	CHECK_INT(policy_halt_reached(&h, 2, 9, 20), 0);
	CHECK_INT(policy_halt_reached(&h, 3, 0, 20), 1);

	CHECK_INT(halt("soon,done=3", &h), 0);
	CHECK_INT(policy_halt_reached(&h, 1, 1, 20), 0);
	CHECK_INT(policy_halt_reached(&h, 2, 1, 20), 1);
	CHECK_INT(policy_halt_reached(&h, 1, 2, 20), 1);

	/* 50% of 4 jobs: 2 failures, not 1; successes do not count */
	CHECK_INT(halt("now,fail=50%", &h), 0);
	CHECK_INT(policy_halt_reached(&h, 3, 1, 4), 0);
	CHECK_INT(policy_halt_reached(&h, 0, 2, 4), 1);
	CHECK_INT(policy_halt_reached(&h, 0, 2, 5), 0); /* 40% */
	CHECK_INT(policy_halt_reached(&h, 0, 3, 5), 1); /* 60% */
	CHECK_INT(policy_halt_reached(&h, 0, 0, 0), 0); /* nothing known */
	CHECK_INT(policy_halt_reached(&h, 0, 5, 0), 0);

	CHECK_INT(halt("soon,success=100%", &h), 0);
	CHECK_INT(policy_halt_reached(&h, 2, 0, 3), 0);
	CHECK_INT(policy_halt_reached(&h, 3, 0, 3), 1);

	CHECK_INT(halt("soon,done=10%", &h), 0);
	CHECK_INT(policy_halt_reached(&h, 0, 0, 10), 0);
	CHECK_INT(policy_halt_reached(&h, 0, 1, 10), 1);
	CHECK_INT(policy_halt_reached(&h, 1, 0, 10), 1);
	CHECK_INT(policy_halt_reached(&h, 1, 0, 11), 0);
}

int main(void)
{
	test_timeout();
	test_halt_parse();
	test_halt_reached();
	return UNIT_DONE();
}
