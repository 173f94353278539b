/* Unit tests for lib/shell.c: which shell runs the commands. */
#include "shell.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

static void test_is_posix(void)
{
	CHECK(shell_is_posix("/bin/sh"));
	CHECK(shell_is_posix("/usr/bin/bash"));
	CHECK(shell_is_posix("dash"));
	CHECK(shell_is_posix("/usr/bin/zsh"));
	CHECK(shell_is_posix("/bin/mksh"));
	CHECK(!shell_is_posix("/usr/bin/fish"));
	CHECK(!shell_is_posix("/bin/csh"));
	CHECK(!shell_is_posix("/usr/bin/tcsh"));
	CHECK(!shell_is_posix("/usr/bin/make"));
	CHECK(!shell_is_posix("/usr/bin/bashful"));
	CHECK(!shell_is_posix(""));
}

/* --shell, then MPRUN_SHELL, then PARALLEL_SHELL, then the parent's
 * shell, then SHELL, then /bin/sh. */
static void test_choose(void)
{
	char parent[PATH_MAX], link[64];
	ssize_t n;
	const char *want;

	setenv("MPRUN_SHELL", "/bin/mp", 1);
	setenv("PARALLEL_SHELL", "/bin/par", 1);
	CHECK_STR(shell_choose("/bin/given"), "/bin/given");
	CHECK_STR(shell_choose(NULL), "/bin/mp");
	CHECK_STR(shell_choose(""), "/bin/mp");
	setenv("MPRUN_SHELL", "", 1);
	CHECK_STR(shell_choose(NULL), "/bin/par");
	unsetenv("MPRUN_SHELL");
	unsetenv("PARALLEL_SHELL");

	/* our parent (the test runner) if it is a shell */
	snprintf(link, sizeof(link), "/proc/%ld/exe", (long)getppid());
	n = readlink(link, parent, sizeof(parent) - 1);
	CHECK(n > 0);
	parent[n > 0 ? n : 0] = '\0';
	setenv("SHELL", "/bin/dash", 1);
	want = shell_is_posix(parent) ? parent : "/bin/dash";
	CHECK_STR(shell_choose(NULL), want);
	if (!shell_is_posix(parent)) {
		setenv("SHELL", "/usr/bin/fish", 1);
		CHECK_STR(shell_choose(NULL), "/bin/sh");
		setenv("SHELL", "dash", 1); /* not absolute */
		CHECK_STR(shell_choose(NULL), "/bin/sh");
	}
}

/* A child whose parent is /bin/dash gets /bin/dash. */
static void test_parent(void)
{
	char cmd[PATH_MAX + 64], got[PATH_MAX] = "";
	FILE *f;

	if (access("/bin/dash", X_OK) != 0) {
		printf("# no /bin/dash\n");
		return;
	}
	/* dash -c 'prog; :' keeps dash as the parent (no exec of prog) */
	snprintf(cmd, sizeof(cmd),
		 "/bin/dash -c 'env -u MPRUN_SHELL -u PARALLEL_SHELL "
		 "SHELL=/bin/false %s --print-shell; :'",
		 program_invocation_name);
	f = popen(cmd, "r");
	CHECK(f != NULL);
	if (f != NULL) {
		if (fgets(got, sizeof(got), f) == NULL)
			got[0] = '\0';
		pclose(f);
	}
	CHECK_STR(got, "/usr/bin/dash\n");
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--print-shell") == 0) {
		printf("%s\n", shell_choose(NULL));
		return 0;
	}
	test_is_posix();
	test_choose();
	test_parent();
	return UNIT_DONE();
}
