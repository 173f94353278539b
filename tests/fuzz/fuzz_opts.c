/* libFuzzer target for the command line parser, cmd/opts.c (opts_parse,
 * opts_free, opts_slots). The input, split at its NUL bytes, is argv[1..]
 * (at most 256 words); argv[0] is "mprun". What opts_parse prints (usage
 * errors, --help, --version, --list-options) goes to /dev/null (FUZZ_VERBOSE=1
 * keeps stderr).
 *
 * Oracles (abort() on a violation; leaks and hangs are libFuzzer's):
 *  O1 the result is 0, 1 (exit at once) or -1 (a usage error);
 *  O2 after a success: every source's values, every command word and
 *     every repeatable option's list is as long as it says and made of
 *     the argv's words (pointers into argv, or owned copies under
 *     --header :), the delimiter is a byte, -0 means delim NUL, the
 *     framing is one of the three, the halt policy is in its enums;
 *  O3 a second parse of the same words gives the same result (no state
 *     kept from one call to the next: getopt's own included);
 *  O4 opts_slots(-j) is 0 (refused) or at most 100000 + the CPUs. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "opts.h"
#include "fuzz.h"

#define MAX_WORDS 256

static FILE *devnull;
static int verbose;

/* Is p one of the words of argv (or inside one)? */
static int in_argv(const char *p, char **argv, int argc)
{
	int i;

	for (i = 0; i < argc; i++)
		if (p >= argv[i] && p <= argv[i] + strlen(argv[i]))
			return 1;
	return 0;
}

static int parse_quiet(int argc, char **argv, struct cli *cli)
{
	FILE *out = stdout, *err = stderr;
	int rc;

	stdout = devnull;
	if (!verbose)
		stderr = devnull;
	rc = opts_parse(argc, argv, cli);
	fflush(devnull);
	stdout = out;
	stderr = err;
	return rc;
}

/* O2 */
static void check_cli(const struct cli *c, char **argv, int argc)
{
	size_t i, j, total = 0;

	FUZZ_CHECK(c->delim >= 0 && c->delim <= 255, "delim %d", c->delim);
	FUZZ_CHECK(!c->null_delim || c->delim == '\0', "-0 but delim %d",
		   c->delim);
	FUZZ_CHECK(c->framing >= FRAMING_LINE && c->framing <= FRAMING_LEN,
		   "framing %d", c->framing);
	FUZZ_CHECK(c->halt.when <= HALT_NOW && c->halt.what <= HALT_DONE &&
			   c->halt.pct <= 100,
		   "halt %d %d %u", (int)c->halt.when, (int)c->halt.what,
		   c->halt.pct);
	FUZZ_CHECK(c->ncommand < (size_t)argc || c->ncommand == 0,
		   "%zu command words of %d", c->ncommand, argc);
	for (i = 0; i < c->ncommand; i++)
		FUZZ_CHECK(c->command[i] != NULL &&
				   (c->named != NULL ||
				    in_argv(c->command[i], argv, argc)),
			   "command word %zu is not a word of argv", i);
	for (i = 0; i < c->nsources; i++) {
		const struct cli_source *s = &c->sources[i];

		if (s->is_file) {
			FUZZ_CHECK(s->file != NULL &&
					   in_argv(s->file, argv, argc),
				   "source %zu: file not from argv", i);
			continue;
		}
		total += s->n;
		for (j = 0; j < s->n; j++)
			FUZZ_CHECK(s->values[j] != NULL &&
					   (c->named != NULL ||
					    in_argv(s->values[j], argv, argc)),
				   "source %zu value %zu not from argv", i, j);
	}
	FUZZ_CHECK(total < (size_t)argc, "%zu values from %d words", total,
		   argc);
	for (i = 0; i < c->nsets; i++)
		FUZZ_CHECK(in_argv(c->sets[i], argv, argc), "--set");
	for (i = 0; i < c->nenvs; i++)
		FUZZ_CHECK(in_argv(c->envs[i], argv, argc), "--env");
	/* (--onall or --nonall with no host named runs on this one: ":") */
	for (i = 0; i < c->nsshlogins; i++)
		FUZZ_CHECK(in_argv(c->sshlogins[i], argv, argc) ||
				   (c->onall != ONALL_NONE && c->nsshlogins == 1 &&
				    strcmp(c->sshlogins[i], ":") == 0),
			   "-S");
	FUZZ_CHECK(c->stdin_args == (c->nsources == 0), "stdin_args");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = fuzz_strndup(data, size), *argv[MAX_WORDS + 2];
	int argc = 0, rc, rc2;
	size_t off = 0;
	struct cli cli, again;

	argv[argc++] = "mprun";
	while (off <= size && argc <= MAX_WORDS) {
		argv[argc++] = copy + off;
		off += strlen(copy + off) + 1;
	}
	argv[argc] = NULL;
	rc = parse_quiet(argc, argv, &cli);
	FUZZ_CHECK(rc == 0 || rc == 1 || rc == -1, "opts_parse returned %d",
		   rc);
	if (rc == 0)
		check_cli(&cli, argv, argc);
	if (rc == 0 && cli.jobs != NULL) {
		FILE *err = stderr;
		unsigned n;
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		stderr = devnull;
		n = opts_slots(cli.jobs);
		stderr = err;
		FUZZ_CHECK(n <= 100000U + (unsigned)ncpu, "-j %s: %u slots",
			   cli.jobs, n);
	}
	/* O3 */
	rc2 = parse_quiet(argc, argv, &again);
	FUZZ_CHECK(rc2 == rc, "a second parse gives %d, the first %d", rc2,
		   rc);
	if (rc == 0)
		FUZZ_CHECK(again.ncommand == cli.ncommand &&
				   again.nsources == cli.nsources &&
				   again.delim == cli.delim &&
				   again.order == cli.order,
			   "a second parse gives another result");
	opts_free(&again);
	opts_free(&cli);
	free(copy);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	devnull = fopen("/dev/null", "w");
	if (devnull == NULL) {
		perror("/dev/null");
		exit(1);
	}
	return 0;
}
