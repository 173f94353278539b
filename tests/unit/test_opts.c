/* Unit tests for cmd/opts: what the option parser keeps from one call to
 * the next (found by tests/fuzz/fuzz_opts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"
#include "unit.h"

static FILE *devnull;

/* opts_parse with what it prints sent to /dev/null (stdout is TAP's). */
static int parse(int argc, char **argv, struct cli *cli)
{
	FILE *out = stdout, *err = stderr;
	int rc;

	stdout = devnull;
	stderr = devnull;
	rc = opts_parse(argc, argv, cli);
	stdout = out;
	stderr = err;
	return rc;
}

/* A call stopped inside a cluster of short options ("-lh": -l is unknown)
 * left getopt there: the next call went on with -h, from the first
 * call's (freed) words, and printed --help. */
static void test_parse_twice(void)
{
	char *w1 = strdup("-lh"), *w2 = strdup("echo");
	char *argv1[] = {"mprun", w1, NULL}, *argv2[] = {"mprun", w2, NULL};
	struct cli cli;

	CHECK_INT(parse(2, argv1, &cli), -1);
	opts_free(&cli);
	free(w1);
	CHECK_INT(parse(2, argv2, &cli), 0);
	CHECK(cli.ncommand == 1 && strcmp(cli.command[0], "echo") == 0);
	opts_free(&cli);
	/* the same words twice give the same answer */
	w1 = strdup("-kl");
	argv1[1] = w1;
	CHECK_INT(parse(2, argv1, &cli), -1);
	opts_free(&cli);
	CHECK_INT(parse(2, argv1, &cli), -1);
	opts_free(&cli);
	free(w1);
	free(w2);
}

/* How each filling and batching option sets the fill, the spread and the
 * repetition of words with {} (GNU parallel's context replace). */
static void test_fill(void)
{
	static const struct {
		const char *opt;
		int fill, no_spread, context;
		size_t max_args;
	} want[] = {
		{"-X", FILL_CONTEXT, 0, 0, 0},
		{"-m", FILL_PLAIN, 0, 0, 0},
		{"--xargs", FILL_PLAIN, 1, 0, 0},
		{"-N2", FILL_NONE, 0, 1, 2},
		{"-L2", FILL_NONE, 0, 1, 2},
		{"-n2", FILL_NONE, 0, 0, 2},
	};
	char *argv[5] = {"mprun", NULL, NULL, "echo", NULL};
	struct cli cli;
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		argv[1] = (char *)want[i].opt;
		argv[2] = "-k";
		CHECK_INT(parse(4, argv, &cli), 0);
		CHECK_INT(cli.fill, want[i].fill);
		CHECK_INT(cli.no_spread, want[i].no_spread);
		CHECK_INT(cli.context, want[i].context);
		CHECK_INT(cli.max_args, want[i].max_args);
		opts_free(&cli);
	}
}

/* -0 after a -d of several bytes: NUL is the delimiter, the string is
 * gone; -d after -0: the string. */
static void test_delim(void)
{
	char *a[] = {"mprun", "-d", "::", "-0", "echo", NULL};
	char *b[] = {"mprun", "-0", "-d", "::", "echo", NULL};
	struct cli cli;

	CHECK_INT(parse(5, a, &cli), 0);
	CHECK(cli.delim == '\0' && cli.delims == NULL && cli.ndelims == 0);
	opts_free(&cli);
	CHECK_INT(parse(5, b, &cli), 0);
	CHECK(cli.ndelims == 2 && memcmp(cli.delims, "::", 2) == 0);
	opts_free(&cli);
}

/* Two options together: -L under -m or --xargs does not repeat words
 * with {}, -N always does; --colsep trims both ends of each column unless
 * --trim is given, in either order (GNU parallel), and the tab --header
 * implies does not. */
static void test_pairs(void)
{
	static const struct {
		const char *a, *b;
		int context, trim;
	} want[] = {
		{"-L2", "-m", 0, 0},
		{"-L2", "--xargs", 0, 0},
		{"-N2", "-m", 1, 0},
		{"--colsep=,", "-k", 0, INPUT_TRIM_LEFT | INPUT_TRIM_RIGHT},
		{"--colsep=,", "--trim=n", 0, 0},
		{"--trim=n", "--colsep=,", 0, 0},
		{"--trim=l", "-C,", 0, INPUT_TRIM_LEFT},
		{"--header=:", "-k", 0, 0},
		{"--trim=r", "-k", 0, INPUT_TRIM_RIGHT},
		{"-k", "-k", 0, 0},
	};
	char *argv[5] = {"mprun", NULL, NULL, "echo", NULL};
	struct cli cli;
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		argv[1] = (char *)want[i].a;
		argv[2] = (char *)want[i].b;
		CHECK_INT(parse(4, argv, &cli), 0);
		CHECK_INT(cli.context, want[i].context);
		CHECK_INT(cli.trim, want[i].trim);
		opts_free(&cli);
	}
}

int main(void)
{
	devnull = fopen("/dev/null", "w");
	if (devnull == NULL)
		return 99;
	test_parse_twice();
	test_fill();
	test_pairs();
	test_delim();
	fclose(devnull);
	return UNIT_DONE();
}
