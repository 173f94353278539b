/* test_throttle: --load, --memfree and --limit: their values, and what
 * they read of /proc (from files made here). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "throttle.h"
#include "unit.h"

/* Write text to a new file in dir; its path. */
static const char *file_with(const char *dir, const char *name,
			     const char *text)
{
	static char path[4][256];
	static int k;
	char *p = path[k++ % 4];
	FILE *f;

	snprintf(p, 256, "%s/%s", dir, name);
	f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
	return p;
}

static void test_parse_load(void)
{
	double d;

	CHECK(throttle_parse_load("3", 4, &d) == 0 && d == 3);
	CHECK(throttle_parse_load("2.5", 4, &d) == 0 && d == 2.5);
	CHECK(throttle_parse_load("50%", 4, &d) == 0 && d == 2);
	CHECK(throttle_parse_load("+2", 4, &d) == 0 && d == 6);
	CHECK(throttle_parse_load("-1", 4, &d) == 0 && d == 3);
	/* GNU parallel: 0 (or below) is 0.01 */
	CHECK(throttle_parse_load("0", 4, &d) == 0 && d == 0.01);
	CHECK(throttle_parse_load("-9", 4, &d) == 0 && d == 0.01);
	CHECK(throttle_parse_load("x", 4, &d) == -1);
	CHECK(throttle_parse_load("", 4, &d) == -1);
	CHECK(throttle_parse_load("3x", 4, &d) == -1);
	CHECK(throttle_parse_load("+50%", 4, &d) == -1);
	CHECK(throttle_parse_load("inf", 4, &d) == -1);
	CHECK(throttle_parse_load("1e999", 4, &d) == -1);
}

static void test_parse_size(void)
{
	uint64_t b;

	CHECK(throttle_parse_size("100", &b) == 0 && b == 100);
	CHECK(throttle_parse_size("1k", &b) == 0 && b == 1000);
	CHECK(throttle_parse_size("1K", &b) == 0 && b == 1024);
	CHECK(throttle_parse_size("2G", &b) == 0 && b == 2ULL << 30);
	CHECK(throttle_parse_size("3g", &b) == 0 && b == 3000000000ULL);
	CHECK(throttle_parse_size("1T", &b) == 0 && b == 1ULL << 40);
	CHECK(throttle_parse_size("1p", &b) == 0 && b == 1000000000000000ULL);
	CHECK(throttle_parse_size("0", &b) == -1);
	CHECK(throttle_parse_size("1x", &b) == -1);
	CHECK(throttle_parse_size("1KB", &b) == -1);
	CHECK(throttle_parse_size("-1", &b) == -1);
	CHECK(throttle_parse_size("", &b) == -1);
	CHECK(throttle_parse_size("99999999P", &b) == -1); /* overflow */
}

static void test_builtin(void)
{
	struct throttle_opts o = {0};

	CHECK_INT(throttle_parse_builtin("mem 2G", 4, &o), 1);
	CHECK(o.memfree == 2ULL << 30 && o.load == 0);
	o = (struct throttle_opts){0};
	CHECK_INT(throttle_parse_builtin("load 50%", 4, &o), 1);
	CHECK(o.load == 2 && o.memfree == 0);
	CHECK_INT(throttle_parse_builtin("io 10", 4, &o), -1);
	CHECK_INT(throttle_parse_builtin("./mine 10", 4, &o), 0);
	CHECK_INT(throttle_parse_builtin("mem 2G extra", 4, &o), 0);
	CHECK_INT(throttle_parse_builtin("mem lots", 4, &o), 0);
	CHECK_INT(throttle_parse_builtin("true", 4, &o), 0);
}

static void test_read(const char *dir)
{
	const char *stat = file_with(
		dir, "stat",
		"cpu  1 2 3 4\nintr 12345 0 0 0\nctxt 99\nprocs_running 5\n"
		"procs_blocked 2\nsoftirq 1 2\n");
	const char *nostat = file_with(dir, "nostat", "cpu 1 2 3\n");
	const char *mem = file_with(dir, "meminfo",
				    "MemTotal:       1000 kB\n"
				    "MemFree:         100 kB\n"
				    "MemAvailable:    600 kB\n"
				    "Buffers:          10 kB\n");
	double load = -1;
	uint64_t b = 0;

	/* running and blocked, less the reader itself */
	CHECK(throttle_read_load(stat, &load) == 0 && load == 6);
	CHECK(throttle_read_load(nostat, &load) == -1);
	CHECK(throttle_read_meminfo(mem, "MemAvailable", &b) == 0 &&
	      b == 600 * 1024);
	CHECK(throttle_read_meminfo(mem, "MemTotal", &b) == 0 &&
	      b == 1000 * 1024);
	CHECK(throttle_read_meminfo(mem, "Cached", &b) == -1);
	CHECK(throttle_read_meminfo("/nonexistent/x", "MemTotal", &b) == -1);
	/* the real ones are readable here */
	CHECK(throttle_read_load(NULL, &load) == 0 && load >= 0);
	CHECK(throttle_read_meminfo(NULL, "MemTotal", &b) == 0 && b > 0);
}

int main(void)
{
	char dir[] = "/tmp/test_throttle.XXXXXX";

	if (mkdtemp(dir) == NULL)
		return 1;
	test_parse_load();
	test_parse_size();
	test_builtin();
	test_read(dir);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		(void)!system(cmd);
	}
	return UNIT_DONE();
}
