/* executor: how a job's command is started, behind one interface, so that
 * the pool schedules jobs the same way whether they run here (exec_local),
 * on SSH hosts or as Slurm steps.
 *
 * An executor starts one process per job and returns its pid; the pool reaps
 * it (SIGCHLD) and reads its output pipes. The process must be the leader of
 * a new process group so that the job's tree can be signalled as a whole. */
#ifndef MPRUN_EXECUTOR_H
#define MPRUN_EXECUTOR_H
#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

struct loop;

/* What to run for one job. Exactly one of argv and shell_cmd is set. */
struct exec_request {
	char *const *argv;     /* program and arguments, looked up in PATH */
	const char *shell_cmd; /* a command for `$MPRUN_SHELL -c` */
	char *const *envp;     /* the job's whole environment */
	int fd_in;             /* the job's stdin, stdout and stderr; the */
	int fd_out;            /* executor dups them onto 0, 1 and 2 */
	int fd_err;
	const sigset_t *sigmask; /* the job's signal mask */
	unsigned slot;           /* the pool's slot (1-based): with several
				  * hosts, which host runs the job */
	unsigned long long seq;  /* the job's number */
	char *const *args;       /* the job's arguments (its input values, */
	size_t nargs;            /* as {} sees them): remote executors copy
				  * them as files (--transfer) and expand
				  * --return templates with them */
};

struct executor {
	const char *name;
	/* Start the job. 0 and *pid on success; the job runs even if its
	 * program could not be executed: then it exits 127 (not found) or 126
	 * (not executable) and *exec_errno says why (0 when exec worked).
	 * -1/errno when no process could be made (EAGAIN: try later). */
	int (*spawn)(void *ctx, const struct exec_request *req, pid_t *pid,
		     int *exec_errno);
	/* Optional: the job started as pid is being ended with signal sig:
	 * end what runs elsewhere (a remote tree, a Slurm step). Returns 1
	 * when sig went to the remote side and the local process (ssh) must
	 * not get it, lest it die and close the way there before sig got
	 * through: the pool then signals the local tree with SIGKILL only.
	 * Returns 0 when the pool signals the local tree itself as usual. */
	int (*terminate)(void *ctx, pid_t pid, unsigned slot, int sig);
	/* Optional: the host name for the job log ("the Host column"); NULL
	 * means this machine. */
	const char *(*host)(void *ctx, unsigned slot);
	void *ctx;
	/* Optional: the loop of the run, given before the first spawn, in
	 * which the executor runs its own helper processes (ssh masters,
	 * squeue, scancel) without waiting for them; NULL when that loop is
	 * about to be freed: helpers still running are ended. Without a loop
	 * the executor starts no helper in spawn or terminate. 0 or
	 * -1/errno. */
	int (*attach)(void *ctx, struct loop *l);
};

#endif
