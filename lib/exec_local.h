/* exec_local: the executor that runs jobs on this machine.
 *
 * Spawning uses vfork() (the same clone(CLONE_VM|CLONE_VFORK) technique as
 * glibc's posix_spawn), because the child must do one thing posix_spawn
 * cannot: PR_SET_PDEATHSIG, so that jobs die with mprun even if mprun is
 * killed with SIGKILL. Between vfork and exec the child only: starts a new
 * process group, sets the parent-death signal, resets the signals mprun
 * ignores (SIGPIPE, inherited ones) to their default (exec resets caught
 * ones), restores the given mask, dups the three descriptors and execs.
 * Exec failure is reported through shared memory (vfork), mapped to exit
 * status 127 (ENOENT) or 126 (others). Every other descriptor of mprun is
 * close-on-exec. */
#ifndef MPRUN_EXEC_LOCAL_H
#define MPRUN_EXEC_LOCAL_H
#include "buf.h"
#include "executor.h"

/* The local executor; shell is the shell for shell commands (e.g. /bin/sh).
 * The returned executor is static: nothing to free. */
const struct executor *exec_local(const char *shell);
/* --workdir: local jobs start in dir (made with its parents if missing),
 * NULL: where mprun runs. 0, or -1/errno. */
int exec_local_set_dir(const char *dir);

/* Helper commands of the remote executors (ssh checks, scancel, salloc):
 * started like a job (own process group, SIGKILLed if mprun dies), with
 * our environment, an empty signal mask, stdin from fd_in (-1: /dev/null)
 * and stdout and stderr on pipes that the caller reads. */
struct exec_helper {
	pid_t pid;
	int out; /* read ends of its stdout and stderr, or -1 */
	int err;
};

/* Start argv (looked up in PATH). 0 or -1/errno (nothing to finish). */
int exec_local_helper_start(char *const *argv, int fd_in,
			    struct exec_helper *h);
/* Collect its stdout and stderr into out and err (NULL: discarded; at most
 * 64 KiB each is kept) until it exits, and reap it. After timeout_ms (0: no
 * limit) its process group is killed. *status gets the wait status (127 <<
 * 8 when it could not be executed). 0, or -1 with ETIMEDOUT (killed) or
 * another errno; the helper is reaped in every case. */
int exec_local_helper_finish(struct exec_helper *h, struct buf *out,
			     struct buf *err, unsigned timeout_ms,
			     int *status);
/* Start and finish in one call. */
int exec_local_helper_run(char *const *argv, struct buf *out,
			  struct buf *err, unsigned timeout_ms, int *status);

#endif
