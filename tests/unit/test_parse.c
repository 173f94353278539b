/* Unit tests for lib/duration. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include "parse.h"
#include "unit.h"

/* parse_duration_ms(s) succeeds with want. */
static int dur_is(const char *s, uint64_t want)
{
	uint64_t ms = 12345;

	return parse_duration_ms(s, &ms) == 0 && ms == want;
}

/* parse_duration_ms(s) fails with errno e and leaves the output alone. */
static int dur_fails(const char *s, int e)
{
	uint64_t ms = 12345;

	errno = 0;
	return parse_duration_ms(s, &ms) == -1 && errno == e && ms == 12345;
}

/* parse_size(s) succeeds with want. */
static int size_is(const char *s, uint64_t want)
{
	uint64_t b = 12345;

	return parse_size(s, &b) == 0 && b == want;
}

/* parse_size(s) fails with errno e and leaves the output alone. */
static int size_fails(const char *s, int e)
{
	uint64_t b = 12345;

	errno = 0;
	return parse_size(s, &b) == -1 && errno == e && b == 12345;
}

/* parse_gnu_size(s) succeeds with want (want 0: fails with EINVAL or
 * ERANGE, output untouched). */
static int gnu_size_is(const char *s, uint64_t want)
{
	uint64_t b = 12345;

	errno = 0;
	if (want == 0)
		return parse_gnu_size(s, &b) == -1 && b == 12345 &&
		       (errno == EINVAL || errno == ERANGE);
	return parse_gnu_size(s, &b) == 0 && b == want;
}

/* parse_size_format(bytes) is want, and parse_size() reads it back. */
static int size_shows(uint64_t bytes, const char *want)
{
	char b[32];

	return strcmp(parse_size_format(bytes, b, sizeof(b)), want) == 0 &&
	       size_is(want, bytes);
}

/* parse_number(s, min, max) fails with errno e and leaves the output alone. */
static int num_fails(const char *s, long long min, long long max, int e)
{
	long long v = 12345;

	errno = 0;
	return parse_number(s, min, max, &v) == -1 && errno == e && v == 12345;
}

/* Durations that parse. */
static void test_duration_good(void)
{
	CHECK(dur_is("0", 0));
	CHECK(dur_is("1", 1000));
	CHECK(dur_is("1.5", 1500));
	CHECK(dur_is("0.001", 1));
	CHECK(dur_is("0.0005", 0)); /* below a millisecond: truncated */
	CHECK(dur_is("2.123456789123", 2123));
	CHECK(dur_is("007", 7000));
	CHECK(dur_is("300ms", 300));
	CHECK(dur_is("2s", 2000));
	CHECK(dur_is("1.25s", 1250));
	CHECK(dur_is("3m", 180000));
	CHECK(dur_is("1.5m", 90000));
	CHECK(dur_is("2h", 7200000));
	CHECK(dur_is("1d", 86400000));
	CHECK(dur_is("1m30s", 90000));
	CHECK(dur_is("1h2m3s4ms", 3723004));
	CHECK(dur_is("1d1ms", 86400001));
	CHECK(dur_is("0s", 0));
	CHECK(dur_is("18446744073709551615ms", UINT64_MAX));
	CHECK(dur_is("18446744073709551.615", UINT64_MAX));
}

/* Durations that are refused. */
static void test_duration_bad(void)
{
	CHECK(dur_fails("", EINVAL));
	CHECK(dur_fails("-1", EINVAL));
	CHECK(dur_fails("-1s", EINVAL));
	CHECK(dur_fails("+1", EINVAL));
	CHECK(dur_fails(" 1", EINVAL));
	CHECK(dur_fails("1 ", EINVAL));
	CHECK(dur_fails("1s ", EINVAL));
	CHECK(dur_fails("s", EINVAL));
	CHECK(dur_fails("ms", EINVAL));
	CHECK(dur_fails(".5", EINVAL));
	CHECK(dur_fails("1.", EINVAL));
	CHECK(dur_fails("1.s", EINVAL));
	CHECK(dur_fails("1x", EINVAL));
	CHECK(dur_fails("1sec", EINVAL));
	CHECK(dur_fails("1S", EINVAL));
	CHECK(dur_fails("1m30", EINVAL));  /* units needed once combined */
	CHECK(dur_fails("30s1m", EINVAL)); /* largest unit first */
	CHECK(dur_fails("1s1s", EINVAL));
	CHECK(dur_fails("1e3", EINVAL));
	CHECK(dur_fails("0x10", EINVAL));
	CHECK(dur_fails("18446744073709551616ms", ERANGE));
	CHECK(dur_fails("18446744073709552", ERANGE));
	CHECK(dur_fails("99999999999999999999999999", ERANGE));
	CHECK(dur_fails("213503982335d", ERANGE));
	CHECK(dur_fails("18446744073709551615ms1ms", EINVAL));
	CHECK(dur_is("18446744073709551s615ms", UINT64_MAX));
	CHECK(dur_fails("18446744073709551s616ms", ERANGE));
}

/* Sizes, good and bad. */
static void test_size(void)
{
	CHECK(size_is("0", 0));
	CHECK(size_is("1", 1));
	CHECK(size_is("100B", 100));
	CHECK(size_is("100b", 100));
	CHECK(size_is("64K", 65536));
	CHECK(size_is("64k", 65536));
	CHECK(size_is("64KB", 65536));
	CHECK(size_is("64kb", 65536));
	CHECK(size_is("1M", 1048576));
	CHECK(size_is("1m", 1048576));
	CHECK(size_is("1.5M", 1572864));
	CHECK(size_is("2G", 2147483648ULL));
	CHECK(size_is("2g", 2147483648ULL));
	CHECK(size_is("1T", 1099511627776ULL));
	CHECK(size_is("1tB", 1099511627776ULL));
	CHECK(size_is("16777215T", 16777215ULL << 40));
	CHECK(size_is("18446744073709551615", UINT64_MAX));
	CHECK(size_is("0.5K", 512));
	CHECK(size_is("0.0001K", 0)); /* a fraction of a byte: truncated */
	CHECK(size_fails("", EINVAL));
	CHECK(size_fails("-1", EINVAL));
	CHECK(size_fails("-1K", EINVAL));
	CHECK(size_fails("+1", EINVAL));
	CHECK(size_fails(" 1K", EINVAL));
	CHECK(size_fails("1K ", EINVAL));
	CHECK(size_fails("K", EINVAL));
	CHECK(size_fails("B", EINVAL));
	CHECK(size_fails("1.5", EINVAL));
	CHECK(size_fails("1.5B", EINVAL));
	CHECK(size_fails("1.K", EINVAL));
	CHECK(size_fails("1KK", EINVAL));
	CHECK(size_fails("1BB", EINVAL));
	CHECK(size_fails("1KiB", EINVAL));
	CHECK(size_fails("1P", EINVAL));
	CHECK(size_fails("1x", EINVAL));
	CHECK(size_fails("16777216T", ERANGE));
	CHECK(size_fails("17179869184G", ERANGE));
	CHECK(size_fails("18446744073709551616", ERANGE));
	CHECK(size_fails("99999999999999999999999K", ERANGE));
}

/* Signal names and numbers, both ways. */
static void test_signals(void)
{
	CHECK_INT(parse_signal("TERM"), SIGTERM);
	CHECK_INT(parse_signal("SIGTERM"), SIGTERM);
	CHECK_INT(parse_signal("term"), SIGTERM);
	CHECK_INT(parse_signal("sigTerm"), SIGTERM);
	CHECK_INT(parse_signal("15"), SIGTERM);
	CHECK_INT(parse_signal("KILL"), SIGKILL);
	CHECK_INT(parse_signal("9"), SIGKILL);
	CHECK_INT(parse_signal("INT"), SIGINT);
	CHECK_INT(parse_signal("HUP"), SIGHUP);
	CHECK_INT(parse_signal("USR1"), SIGUSR1);
	CHECK_INT(parse_signal("SIGUSR2"), SIGUSR2);
	CHECK_INT(parse_signal("CHLD"), SIGCHLD);
	CHECK_INT(parse_signal("CLD"), SIGCHLD);
	CHECK_INT(parse_signal("IOT"), SIGABRT);
	CHECK_INT(parse_signal("WINCH"), SIGWINCH);
	CHECK_INT(parse_signal("1"), 1);
	errno = 0;
	CHECK(parse_signal("FOO") == -1 && errno == EINVAL);
	CHECK_INT(parse_signal(""), -1);
	CHECK_INT(parse_signal("SIG"), -1);
	CHECK_INT(parse_signal("SIGSIGTERM"), -1);
	CHECK_INT(parse_signal("0"), -1);
	CHECK_INT(parse_signal("-15"), -1);
	CHECK_INT(parse_signal("+15"), -1);
	CHECK_INT(parse_signal("15x"), -1);
	CHECK_INT(parse_signal(" TERM"), -1);
	CHECK_INT(parse_signal("TERM "), -1);
	CHECK_INT(parse_signal("SIG15"), -1);
	CHECK_INT(parse_signal("1000"), -1);
	CHECK_INT(parse_signal("99999999999999999999999"), -1);
	CHECK_STR(parse_signal_name(SIGTERM), "TERM");
	CHECK_STR(parse_signal_name(SIGKILL), "KILL");
	CHECK_STR(parse_signal_name(SIGINT), "INT");
	CHECK_STR(parse_signal_name(SIGHUP), "HUP");
	CHECK_STR(parse_signal_name(SIGUSR1), "USR1");
	CHECK_STR(parse_signal_name(SIGABRT), "ABRT");
	CHECK_STR(parse_signal_name(SIGCHLD), "CHLD");
	CHECK_STR(parse_signal_name(SIGSEGV), "SEGV");
	CHECK_STR(parse_signal_name(SIGPIPE), "PIPE");
	CHECK_STR(parse_signal_name(SIGSYS), "SYS");
	CHECK_STR(parse_signal_name(0), NULL);
	CHECK_STR(parse_signal_name(-1), NULL);
	CHECK_STR(parse_signal_name(1000), NULL);
}

/* Every named standard signal round-trips through its name. */
static void test_signal_round_trip(void)
{
	int sig, bad = 0;
	const char *name;

	for (sig = 1; sig < 32; sig++) {
		name = parse_signal_name(sig);
		if (name == NULL || parse_signal(name) != sig) {
			printf("# signal %d: %s\n", sig,
			       name != NULL ? name : "(none)");
			bad++;
		}
	}
	CHECK_INT(bad, 0);
}

/* Strict whole numbers in a range. */
static void test_number(void)
{
	long long v = 0;

	CHECK(parse_number("0", 0, 10, &v) == 0 && v == 0);
	CHECK(parse_number("10", 0, 10, &v) == 0 && v == 10);
	CHECK(parse_number("-5", -10, 10, &v) == 0 && v == -5);
	CHECK(parse_number("0042", 0, 100, &v) == 0 && v == 42);
	CHECK(parse_number("9223372036854775807", 0, LLONG_MAX, &v) == 0 &&
	      v == LLONG_MAX);
	CHECK(parse_number("-9223372036854775808", LLONG_MIN, 0, &v) == 0 &&
	      v == LLONG_MIN);
	CHECK(num_fails("", 0, 10, EINVAL));
	CHECK(num_fails("-", -10, 10, EINVAL));
	CHECK(num_fails(" 1", 0, 10, EINVAL));
	CHECK(num_fails("1 ", 0, 10, EINVAL));
	CHECK(num_fails("+1", 0, 10, EINVAL));
	CHECK(num_fails("--1", -10, 10, EINVAL));
	CHECK(num_fails("1x", 0, 10, EINVAL));
	CHECK(num_fails("1.0", 0, 10, EINVAL));
	CHECK(num_fails("0x1", 0, 10, EINVAL));
	CHECK(num_fails("abc", 0, 10, EINVAL));
	CHECK(num_fails("11", 0, 10, ERANGE));
	CHECK(num_fails("-1", 0, 10, ERANGE));
	CHECK(num_fails("9223372036854775808", 0, LLONG_MAX, ERANGE));
	CHECK(num_fails("-9223372036854775809", LLONG_MIN, 0, ERANGE));
	CHECK(num_fails("99999999999999999999999", LLONG_MIN, LLONG_MAX,
			ERANGE));
}

/* Sizes written back with the largest unit that divides them. */
static void test_size_format(void)
{
	char small[3];

	CHECK(size_shows(0, "0"));
	CHECK(size_shows(1, "1"));
	CHECK(size_shows(1000, "1000"));
	CHECK(size_shows(1024, "1K"));
	CHECK(size_shows(1536, "1536"));
	CHECK(size_shows(1536 * 1024, "1536K"));
	CHECK(size_shows(10 << 20, "10M"));
	CHECK(size_shows((uint64_t)1 << 30, "1G"));
	CHECK(size_shows((uint64_t)3 << 40, "3T"));
	CHECK(size_shows(UINT64_MAX, "18446744073709551615"));
	CHECK_STR(parse_size_format(1 << 30, small, sizeof(small)), "1G");
	CHECK_STR(parse_size_format((uint64_t)10 << 30, small, sizeof(small)), "10");
}

/* GNU parallel's units: lower case powers of 1000, upper case or a
 * trailing i powers of 1024, fractions with a unit, no B. */
static void test_gnu_size(void)
{
	uint64_t b = 12345;

	/* 0 is a value (the callers refuse it) */
	CHECK(parse_gnu_size("0", &b) == 0 && b == 0);
	CHECK(gnu_size_is("100", 100));
	CHECK(gnu_size_is("1k", 1000));
	CHECK(gnu_size_is("1K", 1024));
	CHECK(gnu_size_is("1ki", 1024));
	CHECK(gnu_size_is("1KI", 1024));
	CHECK(gnu_size_is("1.5k", 1500));
	CHECK(gnu_size_is("1.5K", 1536));
	CHECK(gnu_size_is("2m", 2000000));
	CHECK(gnu_size_is("2M", 2 << 20));
	CHECK(gnu_size_is("3g", 3000000000ULL));
	CHECK(gnu_size_is("3Gi", 3ULL << 30));
	CHECK(gnu_size_is("1t", 1000000000000ULL));
	CHECK(gnu_size_is("1T", 1ULL << 40));
	CHECK(gnu_size_is("1p", 1000000000000000ULL));
	CHECK(gnu_size_is("1P", 1ULL << 50));
	CHECK(gnu_size_is("0.01M", 10485));
	CHECK(gnu_size_is("1.5", 0));
	CHECK(gnu_size_is("1KB", 0));
	CHECK(gnu_size_is("1kb", 0));
	CHECK(gnu_size_is("1x", 0));
	CHECK(gnu_size_is("1ki2", 0));
	CHECK(gnu_size_is("1kk", 0));
	CHECK(gnu_size_is("k", 0));
	CHECK(gnu_size_is("", 0));
	CHECK(gnu_size_is("-1k", 0));
	CHECK(gnu_size_is(" 1k", 0));
	CHECK(gnu_size_is("1 k", 0));
	CHECK(gnu_size_is("1.k", 0));
	CHECK(gnu_size_is("99999P", 0)); /* overflow */
	CHECK(gnu_size_is("18446744073709551616", 0));
}

int main(void)
{
	test_duration_good();
	test_duration_bad();
	test_size();
	test_size_format();
	test_gnu_size();
	test_signals();
	test_signal_round_trip();
	test_number();
	return UNIT_DONE();
}
