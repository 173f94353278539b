/* exec_local: start job processes on this machine with vfork + exec. */
#include "exec_local.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dirs.h"
#include "internal.h"
#include "shell.h"

extern char **environ;

/* Writable only between vfork and exec, by the child. */
static volatile int child_errno;

static struct executor local_executor;
static const char *local_shell = "/bin/sh";
static char *local_dir; /* --workdir: jobs start there, or NULL */
/* Signals mprun ignores (SIGPIPE, inherited ones): jobs get them back at
 * their default. Caught signals need nothing: exec resets them. */
static int ignored[_NSIG];
static size_t nignored;
static pid_t self;
/* The last program found in $PATH: its name, the $PATH it was found in,
 * and its path. */
static struct {
	char *name, *pathenv, *path;
} found;

/* In the child: put fd on target, which must not be closed by mistake. */
static int child_dup(int fd, int target)
{
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, target) == -1 ? -1 : 0;
}

/* The path of the program name in $PATH, found in the parent once for
 * all jobs: execvpe in each child would try every directory before it (a
 * failed execve each, with the parent stopped in vfork). NULL when name
 * has a slash, is not found, or memory runs out: the child's execvpe then
 * does what it always does. */
static const char *find_program(const char *name)
{
	const char *pathenv = getenv("PATH");
	char buf[PATH_MAX];

	if (*name == '\0' || strchr(name, '/') != NULL || pathenv == NULL)
		return NULL;
	if (found.name != NULL && strcmp(found.name, name) == 0 &&
	    strcmp(found.pathenv, pathenv) == 0)
		return found.path;
	if (shell_path_find(name, buf, sizeof(buf)) == -1)
		return NULL;
	free(found.name);
	free(found.pathenv);
	free(found.path);
	found.name = strdup(name);
	found.pathenv = strdup(pathenv);
	found.path = strdup(buf);
	if (found.name == NULL || found.pathenv == NULL || found.path == NULL) {
		free(found.name);
		free(found.pathenv);
		free(found.path);
		found.name = found.pathenv = found.path = NULL;
	}
	return found.path;
}

/* Is name a shell function exported in envp (bash's BASH_FUNC_name%%=)?
 * Then it is what the user's shell would run, before any program. */
static int is_exported_function(const char *name, char *const *envp)
{
	size_t len = strlen(name);

	if (len == 0 || strchr(name, '/') != NULL || strchr(name, '=') != NULL)
		return 0;
	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, "BASH_FUNC_", 10) == 0 &&
		    strncmp(*envp + 10, name, len) == 0 &&
		    strncmp(*envp + 10 + len, "%%=", 3) == 0)
			return 1;
	return 0;
}

/* argv run as a function through the shell: SHELL -c '"$0" "$@"' argv...
 * (the words stay arguments, never code). Freed by the caller. */
__attribute__((noinline)) static char **function_argv(char *const *argv)
{
	size_t n = 0, i;
	char **v;

	while (argv[n] != NULL)
		n++;
	v = calloc(n + 4, sizeof(*v));
	if (v == NULL)
		return NULL;
	v[0] = (char *)local_shell;
	v[1] = (char *)"-c";
	v[2] = (char *)"\"$0\" \"$@\"";
	for (i = 0; i < n; i++)
		v[3 + i] = argv[i];
	return v;
}

/* In the vfork child: set up the process and exec; never returns. */
static void child_exec(const struct exec_request *req, const char *path,
		       char *const *fn_argv, pid_t parent)
{
	struct sigaction dfl;
	size_t i;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (i = 0; i < nignored; i++)
		sigaction(ignored[i], &dfl, NULL);
	if (child_dup(req->fd_in, 0) == -1 || child_dup(req->fd_out, 1) == -1 ||
	    child_dup(req->fd_err, 2) == -1)
		goto fail;
	sigprocmask(SIG_SETMASK, req->sigmask, NULL);
	if (local_dir != NULL && chdir(local_dir) == -1)
		goto fail;
	if (req->shell_cmd != NULL) {
		char *const argv[] = {(char *)local_shell, (char *)"-c",
				      (char *)req->shell_cmd, NULL};

		execve(local_shell, argv, req->envp);
	} else if (fn_argv != NULL) {
		execve(local_shell, fn_argv, req->envp);
	} else {
		/* The path found by the parent; if it fails (gone, or a
		 * script with no #! line), execvpe as ever. */
		if (path != NULL)
			execve(path, req->argv, req->envp);
		execvpe(req->argv[0], req->argv, req->envp);
	}
fail:
	child_errno = errno;
	_exit(errno == ENOENT ? 127 : 126);
}

/* Once: our pid, and the signals we ignore (jobs get them back). */
static void find_ignored(void)
{
	struct sigaction sa;
	int sig;

	self = getpid();
	nignored = 0;
	for (sig = 1; sig < _NSIG; sig++)
		if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
			ignored[nignored++] = sig;
}

/* executor.spawn for local jobs. */
static int local_spawn(void *ctx, const struct exec_request *req, pid_t *pid,
		       int *exec_errno)
{
	/* (each set once, before vfork) */
	const int is_fn =
		req->argv != NULL &&
		is_exported_function(req->argv[0],
				     req->envp != NULL ? req->envp : environ);
	char **const fn_argv = is_fn ? function_argv(req->argv) : NULL;
	const char *const path = req->argv != NULL && !is_fn
					 ? find_program(req->argv[0])
					 : NULL;
	sigset_t all, old;
	pid_t p;
	int saved;

	if (is_fn && fn_argv == NULL)
		return -1;
	if (self == 0)
		find_ignored();
	self = getpid(); /* not cached: we may be a fork of the first */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	child_errno = 0;
	p = vfork();
	if (p == 0)
		child_exec(req, path, fn_argv, self);
	saved = errno;
	free(fn_argv);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (p == -1) {
		errno = saved;
		return -1;
	}
	/* The child's setpgid ran before vfork returned: no race. */
	*pid = p;
	*exec_errno = child_errno;
	return 0;
}

const struct executor *exec_local(const char *shell)
{
	if (shell != NULL && *shell != '\0')
		local_shell = shell;
	local_executor.name = "local";
	local_executor.spawn = local_spawn;
	local_executor.ctx = NULL;
	return &local_executor;
}

int exec_local_set_dir(const char *dir)
{
	char *copy;

	if (dir == NULL) {
		free(local_dir);
		local_dir = NULL;
		return 0;
	}
	if (dirs_make(dir) == -1)
		return -1;
	copy = realpath(dir, NULL);
	if (copy == NULL)
		return -1;
	free(local_dir);
	local_dir = copy;
	return 0;
}
