/* shell: choose the shell of the jobs (see shell.h). */
#include "shell.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int shell_is_posix(const char *path)
{
	static const char *const names[] = {"sh",   "bash", "dash", "ksh",
					    "ksh93", "mksh", "pdksh", "zsh",
					    "ash",  "yash", "posh"};
	const char *base = strrchr(path, '/');
	size_t i;

	base = base != NULL ? base + 1 : path;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(base, names[i]) == 0)
			return 1;
	return 0;
}

/* The environment variable name, if set and not empty. */
static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

const char *shell_choose(const char *given)
{
	static char parent[PATH_MAX];
	char link[64];
	const char *v;
	ssize_t n;

	if (given != NULL && *given != '\0')
		return given;
	if ((v = env_nonempty("MPRUN_SHELL")) != NULL ||
	    (v = env_nonempty("PARALLEL_SHELL")) != NULL)
		return v;
	snprintf(link, sizeof(link), "/proc/%ld/exe", (long)getppid());
	n = readlink(link, parent, sizeof(parent) - 1);
	if (n > 0) {
		parent[n] = '\0';
		if (shell_is_posix(parent) && access(parent, X_OK) == 0)
			return parent;
	}
	v = env_nonempty("SHELL");
	if (v != NULL && v[0] == '/' && shell_is_posix(v) &&
	    access(v, X_OK) == 0)
		return v;
	return "/bin/sh";
}
