/* shell: which shell runs the commands that need one (GNU parallel's
 * rule): the one asked for (--shell, $MPRUN_SHELL, $PARALLEL_SHELL), else
 * the shell mprun was started from (its parent process) when it is a
 * POSIX-family shell, else $SHELL when it is one, else /bin/sh. So a
 * command written for the user's shell (bash's [[ ]], exported functions)
 * runs as it would there. */
#ifndef MPRUN_SHELL_H
#define MPRUN_SHELL_H

#include <stddef.h>

/* The first executable regular file called name in $PATH, into buf: 0,
 * or -1 when name is empty or has a slash, or none is found. */
int shell_path_find(const char *name, char *buf, size_t len);

/* The shell's path (a static string, or given). */
const char *shell_choose(const char *given);
/* Is path, by its name, a shell whose language is not POSIX sh (fish,
 * csh, tcsh, rc, nu, ...)? mprun's commands are POSIX shell. */
int shell_is_foreign(const char *path);
/* Is path a POSIX-family shell by its name (sh, bash, dash, ksh, mksh,
 * zsh, ash, yash, posh)? */
int shell_is_posix(const char *path);

#endif
