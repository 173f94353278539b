/* spawn_floor: run PROG COUNT times, N at a time; the floor for dispatch.
 * Like `seq COUNT | xargs -PN -n1 PROG ARGS...` and `mprun -jN PROG ARGS`,
 * each run gets its number (1..COUNT) as its last argument: the children
 * then do the same work as theirs (GNU true, for one, sets up its locale
 * when it has an argument, and returns at once when it has none). With -n
 * first, no number is added (bench/pipe.sh: COUNT x `wc -l`, the floor of
 * a job per block). */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

/* Parse a positive decimal count, or return 0. */
static unsigned long parse_count(const char *s)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return 0;
	return n;
}

/* Reap one child; return -1 when none is left. */
static int reap_one(void)
{
	int status;
	pid_t pid;

	do
		pid = waitpid(-1, &status, 0);
	while (pid == -1 && errno == EINTR);
	return pid == -1 ? -1 : 0;
}

int main(int argc, char **argv)
{
	unsigned long slots, count, started, running = 0;
	char **args, num[32];
	int i, nargs, numbered = 1;
	pid_t pid;
	int err;

	if (argc > 1 && strcmp(argv[1], "-n") == 0) {
		numbered = 0;
		argc--;
		argv++;
	}
	nargs = argc - 3;
	if (argc < 4) {
		fprintf(stderr,
			"usage: spawn_floor [-n] N COUNT PROG [ARGS...]\n");
		return 2;
	}
	slots = parse_count(argv[1]);
	count = parse_count(argv[2]);
	if (slots == 0 || count == 0) {
		fprintf(stderr, "spawn_floor: N and COUNT must be >= 1\n");
		return 2;
	}
	args = calloc((size_t)nargs + 2, sizeof(char *));
	if (args == NULL) {
		perror("spawn_floor");
		return 1;
	}
	for (i = 0; i < nargs; i++)
		args[i] = argv[3 + i];
	args[nargs] = numbered ? num : NULL;
	for (started = 0; started < count; started++) {
		if (running == slots && reap_one() == 0)
			running--;
		snprintf(num, sizeof(num), "%lu", started + 1);
		err = posix_spawnp(&pid, argv[3], NULL, NULL, args, environ);
		if (err != 0) {
			errno = err;
			perror(argv[3]);
			return 1;
		}
		running++;
	}
	while (reap_one() == 0)
		;
	free(args);
	return 0;
}
