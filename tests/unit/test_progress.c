/* Unit tests for lib/progress: the status line of --progress, --eta and
 * --bar, exactly, for given counts and widths. */
#include <string.h>

#include "progress.h"
#include "unit.h"

static char line[512];

/* Counts of jobs: done, failed, running, the total (if known), time. */
static struct progress_counts counts(unsigned long long done,
				     unsigned long long failed,
				     unsigned long long running,
				     unsigned long long total, int known,
				     uint64_t elapsed_ms)
{
	struct progress_counts c = {0};

	c.done = done;
	c.failed = failed;
	c.running = running;
	c.total = total;
	c.total_known = known;
	c.elapsed_ms = elapsed_ms;
	return c;
}

/* Format into line with a roomy buffer; returns the length. */
static size_t fmt2(int flags, const struct progress_counts *c,
		   const char *label, const char *extra, unsigned width)
{
	memset(line, 'Z', sizeof(line));
	return progress_format(flags, c, label, extra, width, line,
			       sizeof(line));
}

/* The same, with no label nor text of the caller. */
static size_t fmt(int flags, const struct progress_counts *c, unsigned width)
{
	return fmt2(flags, c, NULL, NULL, width);
}

/* The three kinds of line for 12 of 40 done in 3.75 s. */
static void test_kinds(void)
{
	struct progress_counts c = counts(12, 1, 2, 40, 1, 3750);
	size_t n;

	n = fmt(PROGRESS_COUNTS, &c, 0);
	CHECK_STR(line, "12 done, 2 running, 1 failed, 40 total, 3.2/s");
	CHECK_INT(n, strlen(line));
	fmt(PROGRESS_COUNTS | PROGRESS_ETA, &c, 0);
	/* 28 left at 3.2/s: 8.75 s, shown as whole seconds */
	CHECK_STR(line,
		  "12 done, 2 running, 1 failed, 40 total, 3.2/s, ETA 0:08");
	fmt(PROGRESS_ETA, &c, 0);
	CHECK_STR(line,
		  "12 done, 2 running, 1 failed, 40 total, 3.2/s, ETA 0:08");
	n = fmt(PROGRESS_BAR, &c, 0);
	/* 30%: 6 of 20 cells; the bar brings the ETA with it */
	CHECK_STR(line, "[######--------------]  30% 12 done, 2 running, "
			"1 failed, 40 total, 3.2/s, ETA 0:08");
	CHECK_INT(n, strlen(line));
	fmt(PROGRESS_BAR | PROGRESS_COUNTS | PROGRESS_ETA, &c, 0);
	CHECK_STR(line, "[######--------------]  30% 12 done, 2 running, "
			"1 failed, 40 total, 3.2/s, ETA 0:08");
}

/* The total not known yet: "?" for the total, the percentage, the ETA. */
static void test_unknown_total(void)
{
	struct progress_counts c = counts(3, 0, 4, 999, 0, 1000);

	fmt(PROGRESS_COUNTS, &c, 0);
	CHECK_STR(line, "3 done, 4 running, 0 failed, ? total, 3.0/s");
	fmt(PROGRESS_BAR, &c, 0);
	CHECK_STR(line, "[--------------------]   ?% 3 done, 4 running, "
			"0 failed, ? total, 3.0/s, ETA ?");
}

/* The ends of the bar, rounding down, and a count past the total. */
static void test_bar_ends(void)
{
	struct progress_counts c = counts(0, 0, 0, 0, 1, 0);

	fmt(PROGRESS_BAR, &c, 0); /* nothing to do at all */
	CHECK_STR(line, "[--------------------]   0% 0 done, 0 running, "
			"0 failed, 0 total, 0.0/s, ETA ?");
	c = counts(0, 0, 1, 5, 1, 500);
	fmt(PROGRESS_BAR, &c, 0); /* started, none done: no ETA yet */
	CHECK_STR(line, "[--------------------]   0% 0 done, 1 running, "
			"0 failed, 5 total, 0.0/s, ETA ?");
	c = counts(1, 0, 0, 3, 1, 3000);
	fmt(PROGRESS_BAR, &c, 0); /* 33%: 6.6 cells, 6 drawn */
	CHECK_STR(line, "[######--------------]  33% 1 done, 0 running, "
			"0 failed, 3 total, 0.3/s, ETA 0:06");
	c = counts(19, 0, 1, 20, 1, 1900);
	fmt(PROGRESS_BAR, &c, 0); /* 95%: 19 cells */
	CHECK_STR(line, "[###################-]  95% 19 done, 1 running, "
			"0 failed, 20 total, 10.0/s, ETA 0:00");
	c = counts(20, 20, 0, 20, 1, 2000);
	fmt(PROGRESS_BAR, &c, 0);
	CHECK_STR(line, "[####################] 100% 20 done, 0 running, "
			"20 failed, 20 total, 10.0/s, ETA 0:00");
	c = counts(25, 0, 0, 20, 1, 2000);
	fmt(PROGRESS_BAR, &c, 0); /* more done than the total: 100%, no ETA */
	CHECK_STR(line, "[####################] 100% 25 done, 0 running, "
			"0 failed, 20 total, 12.5/s, ETA ?");
}

/* The ETA as M:SS under an hour, H:MM:SS from an hour. */
static void test_eta_forms(void)
{
	struct progress_counts c = counts(1, 0, 0, 2, 1, 59999);

	fmt(PROGRESS_ETA, &c, 0); /* 59.999 s left: 0:59 */
	CHECK_STR(line,
		  "1 done, 0 running, 0 failed, 2 total, 0.0/s, ETA 0:59");
	c.elapsed_ms = 60000;
	fmt(PROGRESS_ETA, &c, 0);
	CHECK_STR(line,
		  "1 done, 0 running, 0 failed, 2 total, 0.0/s, ETA 1:00");
	c.elapsed_ms = 3599000;
	fmt(PROGRESS_ETA, &c, 0);
	CHECK_STR(line,
		  "1 done, 0 running, 0 failed, 2 total, 0.0/s, ETA 59:59");
	c.elapsed_ms = 3600000;
	fmt(PROGRESS_ETA, &c, 0);
	CHECK_STR(line,
		  "1 done, 0 running, 0 failed, 2 total, 0.0/s, ETA 1:00:00");
	c = counts(2, 0, 0, 7, 1, 2 * 3661000ULL / 5);
	fmt(PROGRESS_ETA, &c, 0); /* 5 left at 3661/5 s each */
	CHECK_STR(line,
		  "2 done, 0 running, 0 failed, 7 total, 0.0/s, ETA 1:01:01");
	c = counts(1, 0, 0, 101, 1, 3600000);
	fmt(PROGRESS_ETA, &c, 0); /* 100 hours */
	CHECK_STR(line,
		  "1 done, 0 running, 0 failed, 101 total, 0.0/s, "
		  "ETA 100:00:00");
}

/* The rate with one decimal, rounded. */
static void test_rate(void)
{
	struct progress_counts c = counts(2, 0, 0, 9, 1, 3000);

	fmt(PROGRESS_COUNTS, &c, 0);
	CHECK_STR(line, "2 done, 0 running, 0 failed, 9 total, 0.7/s");
	c = counts(1000, 0, 0, 9000, 1, 500);
	fmt(PROGRESS_COUNTS, &c, 0);
	CHECK_STR(line, "1000 done, 0 running, 0 failed, 9000 total, 2000.0/s");
	c = counts(18446744073709551615ULL, 0, 0, 0, 0, 0);
	fmt(PROGRESS_COUNTS, &c, 0); /* no time yet: 0.0, no division */
	CHECK_STR(line, "18446744073709551615 done, 0 running, 0 failed, "
			"? total, 0.0/s");
}

/* A width leaves fields out whole, the least useful first, never cuts
 * one: the rate, then half the bar, the running jobs, the bar, the total,
 * the failed jobs, the ETA, the percentage. */
static void test_widths(void)
{
	struct progress_counts c = counts(12, 1, 2, 40, 1, 3750);
	size_t n;

	n = fmt(PROGRESS_BAR, &c, 500); /* wider than the line */
	CHECK_INT(n, 83);
	CHECK_STR(line, "[######--------------]  30% 12 done, 2 running, "
			"1 failed, 40 total, 3.2/s, ETA 0:08");
	n = fmt(PROGRESS_BAR, &c, 83); /* exactly the line's length */
	CHECK_INT(n, 83);
	n = fmt(PROGRESS_BAR, &c, 82);
	CHECK_STR(line, "[######--------------]  30% 12 done, 2 running, "
			"1 failed, 40 total, ETA 0:08");
	n = fmt(PROGRESS_BAR, &c, 75);
	CHECK_STR(line, "[###-------]  30% 12 done, 2 running, 1 failed, "
			"40 total, ETA 0:08");
	CHECK_INT(n, 66);
	/* 80 columns but one: the rate goes, the rest stays */
	fmt(PROGRESS_BAR, &c, 79);
	CHECK_STR(line, "[######--------------]  30% 12 done, 2 running, "
			"1 failed, 40 total, ETA 0:08");
	/* 50 columns but one: the ETA still whole */
	n = fmt(PROGRESS_BAR, &c, 49);
	CHECK_STR(line, "30% 12 done, 1 failed, 40 total, ETA 0:08");
	CHECK(n <= 49);
	fmt(PROGRESS_BAR, &c, 55);
	CHECK_STR(line, "[###-------]  30% 12 done, 1 failed, 40 total, "
			"ETA 0:08");
	fmt(PROGRESS_BAR, &c, 33);
	CHECK_STR(line, "30% 12 done, 1 failed, ETA 0:08");
	fmt(PROGRESS_BAR, &c, 30);
	CHECK_STR(line, "30% 12 done, ETA 0:08");
	fmt(PROGRESS_BAR, &c, 20);
	CHECK_STR(line, "30% 12 done");
	fmt(PROGRESS_BAR, &c, 10);
	CHECK_STR(line, "12 done");
	n = fmt(PROGRESS_BAR, &c, 6); /* not even the last field */
	CHECK_INT(n, 0);
	CHECK_STR(line, "");
	/* --progress: the rate goes first, then the running jobs */
	fmt(PROGRESS_COUNTS, &c, 44);
	CHECK_STR(line, "12 done, 2 running, 1 failed, 40 total");
	fmt(PROGRESS_COUNTS, &c, 37);
	CHECK_STR(line, "12 done, 1 failed, 40 total");
	/* --eta at 50 columns: whole */
	fmt(PROGRESS_ETA, &c, 49);
	CHECK_STR(line, "12 done, 2 running, 1 failed, 40 total, ETA 0:08");
	fmt(PROGRESS_ETA, &c, 45);
	CHECK_STR(line, "12 done, 1 failed, 40 total, ETA 0:08");
	/* the ETA in hours, at a width it does not fit with the failed ones */
	c = counts(1, 0, 0, 101, 1, 3600000);
	fmt(PROGRESS_ETA, &c, 30);
	CHECK_STR(line, "1 done, ETA 100:00:00");
	fmt(PROGRESS_ETA, &c, 20);
	CHECK_STR(line, "1 done");
}

/* A small buffer cuts the text to what fits, always NUL-terminated; the
 * length says so. */
static void test_small_buffer(void)
{
	struct progress_counts c = counts(12, 1, 2, 40, 1, 3750);
	char small[9];
	size_t n;

	memset(small, 'Z', sizeof(small));
	n = progress_format(PROGRESS_BAR, &c, NULL, NULL, 0, small,
			    sizeof(small));
	CHECK_INT(n, 8);
	CHECK_STR(small, "[######-");
	memset(small, 'Z', sizeof(small));
	n = progress_format(PROGRESS_COUNTS, &c, NULL, NULL, 0, small, 1);
	CHECK_INT(n, 0);
	CHECK(small[0] == '\0' && small[1] == 'Z');
	memset(small, 'Z', sizeof(small));
	n = progress_format(PROGRESS_COUNTS, &c, NULL, NULL, 0, small, 0);
	CHECK_INT(n, 0);
	CHECK(small[0] == 'Z'); /* no room: not even a NUL written */
	memset(small, 'Z', sizeof(small));
	n = progress_format(PROGRESS_COUNTS, &c, "label", NULL, 8, small,
			    sizeof(small));
	CHECK_INT(n, 7);
	CHECK_STR(small, "12 done");
}

/* A label first, the caller's text (the user's counters) last; at a
 * width, the caller's text goes first, the label last but one. */
static void test_label_extra(void)
{
	struct progress_counts c = counts(12, 1, 2, 40, 1, 3750);
	size_t n;

	n = fmt2(PROGRESS_BAR, &c, "map", "hits=3 misses=1", 0);
	CHECK_STR(line, "map: [######--------------]  30% 12 done, "
			"2 running, 1 failed, 40 total, 3.2/s, ETA 0:08, "
			"hits=3 misses=1");
	CHECK_INT(n, strlen(line));
	fmt2(PROGRESS_COUNTS, &c, "map", "", 0); /* empty: nothing */
	CHECK_STR(line, "map: 12 done, 2 running, 1 failed, 40 total, 3.2/s");
	fmt2(PROGRESS_BAR, &c, "map", "hits=3 misses=1", 88);
	CHECK_STR(line, "map: [######--------------]  30% 12 done, "
			"2 running, 1 failed, 40 total, 3.2/s, ETA 0:08");
	fmt2(PROGRESS_BAR, &c, "map", "hits=3", 49);
	CHECK_STR(line, "map: 30% 12 done, 1 failed, 40 total, ETA 0:08");
	fmt2(PROGRESS_BAR, &c, "map", NULL, 16);
	CHECK_STR(line, "map: 30% 12 done");
	fmt2(PROGRESS_BAR, &c, "map", NULL, 15);
	CHECK_STR(line, "map: 12 done");
	fmt2(PROGRESS_BAR, &c, "map", NULL, 11);
	CHECK_STR(line, "12 done");
	/* columns, not bytes: a label in UTF-8 */
	n = fmt2(PROGRESS_COUNTS, &c, "\xc3\xa9t\xc3\xa9", NULL, 22);
	CHECK_STR(line, "\xc3\xa9t\xc3\xa9: 12 done, 1 failed");
	CHECK_INT(progress_columns(line, n), 22);
	CHECK_INT(n, 24);
	fmt2(PROGRESS_COUNTS, &c, "\xc3\xa9t\xc3\xa9", NULL, 21);
	CHECK_STR(line, "\xc3\xa9t\xc3\xa9: 12 done");
}

/* After Ctrl-C: done and failed as they ended on their own, the jobs it
 * ended, those that never started; no rate, bar nor ETA. */
static void test_interrupted(void)
{
	struct progress_counts c = counts(12, 1, 0, 40, 1, 3750);

	c.interrupted = 1;
	c.ended = 2;
	fmt2(PROGRESS_BAR, &c, "interrupted", NULL, 0);
	CHECK_STR(line, "interrupted: 12 done, 1 failed, 2 ended, "
			"26 not started");
	fmt2(PROGRESS_ETA, &c, NULL, NULL, 0);
	CHECK_STR(line, "12 done, 1 failed, 2 ended, 26 not started");
	c.running = 3; /* still ending */
	fmt2(PROGRESS_COUNTS, &c, "interrupted", NULL, 0);
	CHECK_STR(line, "interrupted: 12 done, 3 running, 1 failed, 2 ended, "
			"23 not started");
	c.running = 0;
	c.total_known = 0;
	fmt2(PROGRESS_COUNTS, &c, "interrupted", "n=4", 0);
	CHECK_STR(line, "interrupted: 12 done, 1 failed, 2 ended, "
			"? not started, n=4");
	c.total_known = 1;
	c.total = 10; /* (counted past the total: none left) */
	fmt2(PROGRESS_COUNTS, &c, "interrupted", NULL, 0);
	CHECK_STR(line, "interrupted: 12 done, 1 failed, 2 ended, "
			"0 not started");
	/* shortened: failed, not started, ended go before the label */
	c.total = 40;
	fmt2(PROGRESS_BAR, &c, "interrupted", NULL, 49);
	CHECK_STR(line, "interrupted: 12 done, 2 ended, 26 not started");
	fmt2(PROGRESS_BAR, &c, "interrupted", NULL, 30);
	CHECK_STR(line, "interrupted: 12 done, 2 ended");
	fmt2(PROGRESS_BAR, &c, "interrupted", NULL, 21);
	CHECK_STR(line, "interrupted: 12 done");
}

/* Pipe mode: the bytes done, of their total, and their rate; the bar and
 * the ETA by bytes once their total is known (jobs' total or not). */
static void test_bytes(void)
{
	struct progress_counts c = counts(3, 0, 2, 0, 0, 2000);

	c.bytes = 1;
	c.bytes_done = 50 << 20;
	fmt(PROGRESS_COUNTS, &c, 0);
	CHECK_STR(line, "3 done, 2 running, 0 failed, ? total, 1.5/s, "
			"50.0M of ?, 25.0M/s");
	fmt(PROGRESS_BAR, &c, 0);
	CHECK_STR(line, "[--------------------]   ?% 3 done, 2 running, "
			"0 failed, ? total, 1.5/s, 50.0M of ?, 25.0M/s, ETA ?");
	c.bytes_total = 200 << 20;
	c.bytes_total_known = 1;
	fmt(PROGRESS_BAR, &c, 0); /* 25%: 5 cells; 150M left at 25M/s */
	CHECK_STR(line, "[#####---------------]  25% 3 done, 2 running, "
			"0 failed, ? total, 1.5/s, 50.0M of 200.0M, 25.0M/s, "
			"ETA 0:06");
	/* the jobs' total known too: still by bytes */
	c.total = 12;
	c.total_known = 1;
	fmt(PROGRESS_ETA, &c, 0);
	CHECK_STR(line, "3 done, 2 running, 0 failed, 12 total, 1.5/s, "
			"50.0M of 200.0M, 25.0M/s, ETA 0:06");
	/* small and large sizes; no time yet: no rate */
	c = counts(0, 0, 0, 0, 1, 0);
	c.bytes = c.bytes_total_known = 1;
	c.bytes_done = 1023;
	c.bytes_total = 1536;
	fmt(PROGRESS_COUNTS, &c, 0);
	CHECK_STR(line, "0 done, 0 running, 0 failed, 0 total, 0.0/s, "
			"1023B of 1.5K, 0B/s");
	c.bytes_done = 0;
	c.bytes_total = (uint64_t)3 << 40;
	fmt(PROGRESS_BAR, &c, 0);
	CHECK_STR(line, "[--------------------]   0% 0 done, 0 running, "
			"0 failed, 0 total, 0.0/s, 0B of 3.0T, 0B/s, ETA ?");
}

int main(void)
{
	test_kinds();
	test_unknown_total();
	test_bar_ends();
	test_eta_forms();
	test_rate();
	test_widths();
	test_small_buffer();
	test_label_extra();
	test_interrupted();
	test_bytes();
	return UNIT_DONE();
}
