/* shell: choose the shell of the jobs (see shell.h). */
#include "shell.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int shell_path_find(const char *name, char *buf, size_t len)
{
	const char *pathenv = getenv("PATH"), *dir, *end;
	struct stat st;
	size_t dl;

	if (*name == '\0' || strchr(name, '/') != NULL || pathenv == NULL)
		return -1;
	for (dir = pathenv;; dir = end + 1) {
		end = strchr(dir, ':');
		dl = end != NULL ? (size_t)(end - dir) : strlen(dir);
		if (snprintf(buf, len, "%.*s%s%s", (int)dl, dir,
			     dl > 0 ? "/" : "", name) < (int)len &&
		    stat(buf, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(buf, X_OK) == 0)
			return 0;
		if (end == NULL)
			return -1;
	}
}

/* Is the last component of path one of names (NULL-terminated)? */
static int named(const char *path, const char *const *names)
{
	const char *base = strrchr(path, '/');

	base = base != NULL ? base + 1 : path;
	for (; *names != NULL; names++)
		if (strcmp(base, *names) == 0)
			return 1;
	return 0;
}

int shell_is_posix(const char *path)
{
	static const char *const names[] = {
		"sh",  "bash", "dash", "ksh",  "ksh93", "mksh",
		"pdksh", "zsh", "ash", "yash", "posh", NULL};

	return named(path, names);
}

int shell_is_foreign(const char *path)
{
	static const char *const names[] = {"fish", "csh", "tcsh",   "rc",
					    "es",   "nu",  "elvish", "xonsh",
					    "pwsh", "ion", NULL};

	return named(path, names);
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
	/* (fish or csh there is not used: the commands are POSIX shell) */
	if (((v = env_nonempty("MPRUN_SHELL")) != NULL ||
	     (v = env_nonempty("PARALLEL_SHELL")) != NULL) &&
	    !shell_is_foreign(v))
		/* a name is looked for in $PATH (not found: the jobs say
		 * so) */
		return shell_path_find(v, parent, sizeof(parent)) == 0 ? parent
									 : v;
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
