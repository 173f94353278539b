/* exec_local: start job processes on this machine with vfork + exec. */
#include "exec_local.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* Writable only between vfork and exec, by the child. */
static volatile int child_errno;

static struct executor local_executor;
static const char *local_shell = "/bin/sh";

/* In the child: put fd on target, which must not be closed by mistake. */
static int child_dup(int fd, int target)
{
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, target) == -1 ? -1 : 0;
}

/* In the vfork child: set up the process and exec; never returns. */
static void child_exec(const struct exec_request *req, pid_t parent)
{
	struct sigaction dfl;
	int sig;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (sig = 1; sig < _NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	if (child_dup(req->fd_in, 0) == -1 || child_dup(req->fd_out, 1) == -1 ||
	    child_dup(req->fd_err, 2) == -1)
		goto fail;
	sigprocmask(SIG_SETMASK, req->sigmask, NULL);
	if (req->shell_cmd != NULL) {
		char *const argv[] = {(char *)local_shell, (char *)"-c",
				      (char *)req->shell_cmd, NULL};

		execve(local_shell, argv, req->envp);
	} else {
		execvpe(req->argv[0], req->argv, req->envp);
	}
fail:
	child_errno = errno;
	_exit(errno == ENOENT ? 127 : 126);
}

/* executor.spawn for local jobs. */
static int local_spawn(void *ctx, const struct exec_request *req, pid_t *pid,
		       int *exec_errno)
{
	sigset_t all, old;
	pid_t parent = getpid();
	pid_t p;
	int saved;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	child_errno = 0;
	p = vfork();
	if (p == 0)
		child_exec(req, parent);
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (p == -1) {
		errno = saved;
		return -1;
	}
	/* Also from the parent: no race with a signal sent to the group
	 * before the child's setpgid ran. */
	setpgid(p, p);
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
