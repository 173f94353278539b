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

int main(void)
{
	devnull = fopen("/dev/null", "w");
	if (devnull == NULL)
		return 99;
	test_parse_twice();
	fclose(devnull);
	return UNIT_DONE();
}
