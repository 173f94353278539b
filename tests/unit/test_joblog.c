/* Unit tests for lib/joblog: the log as written, and reading it back for
 * --resume (malformed lines, absurd and repeated numbers, the header). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "joblog.h"
#include "unit.h"

static char dir[] = "/tmp/test_joblogXXXXXX";
static char path[256];
static char text[4096];

/* The whole file at p, in text. */
static const char *slurp(const char *p)
{
	int fd = open(p, O_RDONLY);
	ssize_t n = fd == -1 ? -1 : read(fd, text, sizeof(text) - 1);

	text[n > 0 ? n : 0] = '\0';
	if (fd != -1)
		close(fd);
	return text;
}

/* Write s as the file at p. */
static void put(const char *p, const char *s)
{
	FILE *f = fopen(p, "w");

	fputs(s, f);
	fclose(f);
}

#define HEADER                                                              \
	"Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\t" \
	"Command"

/* A new file gets the header once; entries are GNU parallel's columns. */
static void test_write(void)
{
	struct joblog_entry e = {
		.seq = 3,
		.start_ms = 1700000000123ULL,
		.runtime_ms = 5,
		.send = 0,
		.receive = 42,
		.exitval = 2,
		.signal = 0,
		.command = "printf 'a\tb\nc' \\n",
	};
	struct joblog *l;

	snprintf(path, sizeof(path), "%s/log", dir);
	l = joblog_open(path, 0, 1);
	CHECK(l != NULL);
	CHECK_STR(slurp(path), HEADER "\n");
	CHECK_INT(joblog_write(l, &e), 0);
	e = (struct joblog_entry){.seq = 10,
				  .host = "2/web1",
				  .start_ms = 999,
				  .runtime_ms = 61001,
				  .send = 7,
				  .receive = 0,
				  .exitval = 143,
				  .signal = 15,
				  .command = NULL};
	CHECK_INT(joblog_write(l, &e), 0);
	joblog_close(l);
	/* Newline and TAB escaped; host ":" when none; 3 decimals each;
	 * JobRuntime right-aligned in 10 (GNU parallel's %10.3f). */
	CHECK_STR(slurp(path),
		  HEADER "\n"
			 "3\t:\t1700000000.123\t     0.005\t0\t42\t2\t0\t"
			 "printf 'a\\tb\\nc' \\n\n"
			 "10\t2/web1\t0.999\t    61.001\t7\t0\t143\t15\t\n");
	/* Opened again to append: appended to, no second header. */
	l = joblog_open(path, 0, 1);
	CHECK(l != NULL);
	e = (struct joblog_entry){.seq = 11, .command = "x"};
	CHECK_INT(joblog_write(l, &e), 0);
	joblog_close(l);
	CHECK_STR(slurp(path),
		  HEADER "\n"
			 "3\t:\t1700000000.123\t     0.005\t0\t42\t2\t0\t"
			 "printf 'a\\tb\\nc' \\n\n"
			 "10\t2/web1\t0.999\t    61.001\t7\t0\t143\t15\t\n"
			 "11\t:\t0.000\t     0.000\t0\t0\t0\t0\tx\n");

	/* An empty existing file gets the header too; with the Stage column. */
	snprintf(path, sizeof(path), "%s/stage", dir);
	put(path, "");
	l = joblog_open(path, 1, 1);
	CHECK(l != NULL);
	e = (struct joblog_entry){.seq = 1, .command = "c", .stage = "s\t1"};
	CHECK_INT(joblog_write(l, &e), 0);
	e = (struct joblog_entry){.seq = 2, .command = "d"};
	CHECK_INT(joblog_write(l, &e), 0);
	joblog_close(l);
	CHECK_STR(slurp(path),
		  HEADER "\tStage\n"
			 "1\t:\t0.000\t     0.000\t0\t0\t0\t0\tc\ts\\t1\n"
			 "2\t:\t0.000\t     0.000\t0\t0\t0\t0\td\t\n");

	/* Cannot be opened: NULL and errno. */
	snprintf(path, sizeof(path), "%s/no/such/log", dir);
	errno = 0;
	CHECK(joblog_open(path, 0, 1) == NULL && errno == ENOENT);
}

/* Written, then read back: which jobs finished and which failed. */
static void test_roundtrip(void)
{
	struct joblog_entry e = {.command = "cmd\twith\ntabs"};
	struct joblog_done *d = NULL;
	struct joblog *l;
	char err[512] = "";
	int failed = -1;

	snprintf(path, sizeof(path), "%s/round", dir);
	l = joblog_open(path, 0, 1);
	e.seq = 1;
	joblog_write(l, &e);
	e.seq = 2;
	e.exitval = 1;
	joblog_write(l, &e);
	e.seq = 4;
	e.exitval = 137;
	e.signal = 9;
	joblog_write(l, &e);
	e.seq = 5;
	e.exitval = 0;
	e.signal = 1; /* exit 0 but a signal: failed */
	joblog_write(l, &e);
	e.seq = 3000;
	e.signal = 0;
	joblog_write(l, &e);
	joblog_close(l);
	CHECK_INT(joblog_read(path, &d, err, sizeof(err)), 0);
	CHECK(d != NULL);
	CHECK(joblog_done_has(d, 1, &failed) == 1 && failed == 0);
	CHECK(joblog_done_has(d, 2, &failed) == 1 && failed == 1);
	failed = -1;
	CHECK(joblog_done_has(d, 3, &failed) == 0 && failed == -1);
	CHECK(joblog_done_has(d, 4, &failed) == 1 && failed == 1);
	CHECK(joblog_done_has(d, 5, &failed) == 1 && failed == 1);
	CHECK(joblog_done_has(d, 3000, &failed) == 1 && failed == 0);
	CHECK_INT(joblog_done_has(d, 2999, &failed), 0);
	CHECK_INT(joblog_done_has(d, 3001, &failed), 0);
	CHECK_INT(joblog_done_has(d, 0, &failed), 0);
	CHECK_INT(joblog_done_has(d, 18446744073709551615ULL, &failed), 0);
	joblog_done_free(d);
	CHECK_INT(joblog_done_has(NULL, 1, &failed), 0);
	joblog_done_free(NULL);
}

/* Read text as a log: 0 or -1; the message in err. */
static int read_text(const char *s, struct joblog_done **d, char *err,
		     size_t len)
{
	snprintf(path, sizeof(path), "%s/in", dir);
	put(path, s);
	*d = NULL;
	err[0] = '\0';
	return joblog_read(path, d, err, len);
}

/* The last line for a job wins; blank lines and the header are skipped;
 * a log need not have a header, nor a command, nor a final newline. */
static void test_read_forms(void)
{
	struct joblog_done *d;
	char err[512];
	int failed = -1;

	CHECK_INT(read_text(HEADER "\n"
				   "7\t:\t0\t0\t0\t0\t1\t0\tx\n"
				   "7\t:\t0\t0\t0\t0\t0\t0\tx\n"
				   "8\t:\t0\t0\t0\t0\t0\t0\tx\n"
				   "\n"
				   "8\t:\t0\t0\t0\t0\t0\t2\tx\n"
				   "9\t:\t0\t0\t0\t0\t-1\t0\n"
				   "10\t:\t0\t0\t0\t0\t0\t0\t\n"
				   "11\tw\t1.5\t2.25\t0\t0\t0\t0\ta b\tstage",
			    &d, err, sizeof(err)),
		  0);
	CHECK_STR(err, "");
	CHECK(joblog_done_has(d, 7, &failed) == 1 && failed == 0);
	CHECK(joblog_done_has(d, 8, &failed) == 1 && failed == 1);
	CHECK(joblog_done_has(d, 9, &failed) == 1 && failed == 1);
	CHECK(joblog_done_has(d, 10, &failed) == 1 && failed == 0);
	CHECK(joblog_done_has(d, 11, &failed) == 1 && failed == 0);
	CHECK_INT(joblog_done_has(d, 6, &failed), 0);
	joblog_done_free(d);

	/* No header; an empty file; a header only. */
	CHECK_INT(read_text("2\t:\t0\t0\t0\t0\t0\t0\tx\n", &d, err,
			    sizeof(err)),
		  0);
	CHECK(joblog_done_has(d, 2, &failed) == 1 && failed == 0);
	joblog_done_free(d);
	CHECK_INT(read_text("", &d, err, sizeof(err)), 0);
	CHECK(d != NULL && joblog_done_has(d, 1, &failed) == 0);
	joblog_done_free(d);
	CHECK_INT(read_text(HEADER "\tStage\n", &d, err, sizeof(err)), 0);
	CHECK(d != NULL && joblog_done_has(d, 1, &failed) == 0);
	joblog_done_free(d);

	/* A missing log is empty. */
	snprintf(path, sizeof(path), "%s/missing", dir);
	d = NULL;
	CHECK_INT(joblog_read(path, &d, err, sizeof(err)), 0);
	CHECK(d != NULL && joblog_done_has(d, 1, &failed) == 0);
	joblog_done_free(d);
}

/* A bad log: -1, no set, and "FILE:LINE: not a job log line". */
static void check_bad(const char *s, unsigned line, const char *why)
{
	struct joblog_done *d;
	char err[512], want[512];
	int rc = read_text(s, &d, err, sizeof(err));

	snprintf(want, sizeof(want), "%s:%u: %s", path, line, why);
	CHECK(rc == -1 && d == NULL);
	CHECK_STR(err, want);
}

#define OK_LINE "1\t:\t0\t0\t0\t0\t0\t0\tx\n"

/* Malformed lines, each named by file and line. */
static void test_read_bad(void)
{
	const char *bad = "not a job log line";

	check_bad("1\t:\t0\t0\t0\t0\t0\n", 1, bad); /* 7 fields */
	check_bad(OK_LINE "garbage\n", 2, bad);
	check_bad(OK_LINE "\n" OK_LINE "x\t:\t0\t0\t0\t0\t0\t0\tx\n", 4, bad);
	check_bad("1a\t:\t0\t0\t0\t0\t0\t0\tx\n", 1, bad);
	check_bad("1\t:\t0\t0\t0\t0\tzero\t0\tx\n", 1, bad);
	check_bad("1\t:\t0\t0\t0\t0\t0\t15x\tx\n", 1, bad);
	check_bad("1\t:\t0\t0\t0\t0\t0\t0\r\n", 1, bad); /* CRLF */
	/* The header only counts on the first line. */
	check_bad(OK_LINE HEADER "\n", 2, bad);
	check_bad("Seq Host\n", 1, bad);
}

/* The message for a Seq out of range, as text gives it. */
static const char *range_msg(const char *seq)
{
	static char m[128];

	snprintf(m, sizeof(m), "Seq %s out of range (1 to %llu)", seq,
		 JOBLOG_SEQ_MAX);
	return m;
}

/* Job numbers that no run makes: refused with the place, never a hang or
 * a huge allocation. */
static void test_read_absurd(void)
{
	const char *bad = "not a job log line";
	char s[128], n[32];

	check_bad(OK_LINE "18446744073709551615\t:\t0\t0\t0\t0\t0\t0\tx\n", 2,
		  range_msg("18446744073709551615"));
	check_bad("9223372036854775808\t:\t0\t0\t0\t0\t0\t0\tx\n", 1,
		  range_msg("9223372036854775808"));
	check_bad("99999999999999999999999\t:\t0\t0\t0\t0\t0\t0\tx\n", 1,
		  range_msg("99999999999999999999999"));
	check_bad("0\t:\t0\t0\t0\t0\t0\t0\tx\n", 1, range_msg("0"));
	snprintf(n, sizeof(n), "%llu", JOBLOG_SEQ_MAX + 1);
	snprintf(s, sizeof(s), "%s\t:\t0\t0\t0\t0\t0\t0\tx\n", n);
	check_bad(s, 1, range_msg(n));
	/* a long one is cut in the message */
	check_bad("1234567890123456789012345678901234567890\t:\t0\t0\t0\t0\t0"
		  "\t0\tx\n",
		  1, range_msg("123456789012345678901234567890..."));
	/* strtoull would read these as numbers ("-1" as the largest) */
	check_bad("-1\t:\t0\t0\t0\t0\t0\t0\tx\n", 1, bad);
	check_bad("+5\t:\t0\t0\t0\t0\t0\t0\tx\n", 1, bad);
	check_bad(" 1\t:\t0\t0\t0\t0\t0\t0\tx\n", 1, bad);
	check_bad("\t1\t:\t0\t0\t0\t0\t0\t0\tx\n", 1, bad);
	/* an empty Exitval: not the next column in its place (strtok read
	 * this as exit 0, signal 5: found by tests/fuzz/fuzz_joblog) */
	check_bad("1\t:\t0\t0\t0\t0\t\t0\t5\n", 1, bad);
	check_bad("1\t:\t0\t0\t0\t0\t0\t\t5\n", 1, bad);
	check_bad("\t1\t0\t0\t0\t0\t0\t0\t5\n", 1, bad);
	/* A huge exit value is not a huge Seq: a failed job; so is one
	 * that is 0 modulo 2^32. */
	{
		struct joblog_done *d;
		char err[512];
		int failed = 0;

		CHECK_INT(read_text("1\t:\t0\t0\t0\t0\t99999999999999999999\t0\t"
				    "x\n"
				    "2\t:\t0\t0\t0\t0\t4294967296\t0\tx\n"
				    "3\t:\t0\t0\t0\t0\t0\t4294967296\tx\n",
				    &d, err, sizeof(err)),
			  0);
		CHECK(joblog_done_has(d, 1, &failed) == 1 && failed == 1);
		failed = 0;
		CHECK(joblog_done_has(d, 2, &failed) == 1 && failed == 1);
		failed = 0;
		CHECK(joblog_done_has(d, 3, &failed) == 1 && failed == 1);
		joblog_done_free(d);
	}
}

/* Large Seqs within the bound: a set of a few entries, not one byte per
 * job number (the set was an array indexed by Seq: 4 GB for 4000000000);
 * the last line of a Seq wins, in any order of Seqs. */
static void test_read_sparse(void)
{
	struct joblog_done *d;
	char err[512], s[512];
	int failed = -1;

	snprintf(s, sizeof(s),
		 "4000000000\t:\t0\t0\t0\t0\t1\t0\tx\n"
		 "%llu\t:\t0\t0\t0\t0\t0\t0\tx\n"
		 "3\t:\t0\t0\t0\t0\t0\t0\tx\n"
		 "4000000000\t:\t0\t0\t0\t0\t0\t0\tx\n"
		 "3\t:\t0\t0\t0\t0\t0\t9\tx\n"
		 "5\t:\t0\t0\t0\t0\t2\t0\tx\n",
		 JOBLOG_SEQ_MAX);
	CHECK_INT(read_text(s, &d, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK(joblog_done_has(d, 4000000000ULL, &failed) == 1 && failed == 0);
	CHECK(joblog_done_has(d, JOBLOG_SEQ_MAX, &failed) == 1 && failed == 0);
	CHECK(joblog_done_has(d, 3, &failed) == 1 && failed == 1);
	CHECK(joblog_done_has(d, 5, &failed) == 1 && failed == 1);
	CHECK_INT(joblog_done_has(d, 4, &failed), 0);
	CHECK_INT(joblog_done_has(d, 1, &failed), 0);
	CHECK_INT(joblog_done_has(d, 3999999999ULL, &failed), 0);
	CHECK_INT(joblog_done_has(d, JOBLOG_SEQ_MAX - 1, &failed), 0);
	CHECK_INT(joblog_done_has(d, JOBLOG_SEQ_MAX + 1, &failed), 0);
	joblog_done_free(d);
	CHECK_INT(joblog_done_has(NULL, 1, &failed), 0);
}

/* A log that cannot be read (a directory): an error, not an empty set. */
static void test_read_error(void)
{
	struct joblog_done *d = NULL;
	char err[512] = "", want[512];

	snprintf(want, sizeof(want), "%s: %s", dir, strerror(EISDIR));
	CHECK_INT(joblog_read(dir, &d, err, sizeof(err)), -1);
	CHECK(d == NULL);
	CHECK_STR(err, want);
	snprintf(path, sizeof(path), "%s/unreadable", dir);
	put(path, OK_LINE);
	chmod(path, 0);
	if (access(path, R_OK) == 0) {
		printf("# skipped: root reads an unreadable file\n");
	} else {
		snprintf(want, sizeof(want), "%s: %s", path, strerror(EACCES));
		CHECK_INT(joblog_read(path, &d, err, sizeof(err)), -1);
		CHECK_STR(err, want);
	}
}

int main(void)
{
	if (mkdtemp(dir) == NULL)
		return 99;
	test_write();
	test_roundtrip();
	test_read_forms();
	test_read_bad();
	test_read_absurd();
	test_read_sparse();
	test_read_error();
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		printf("# could not remove %s\n", dir);
	return UNIT_DONE();
}
