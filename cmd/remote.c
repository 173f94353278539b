/* remote: the SSH and Slurm executors for the command line and stages. */
#include "remote.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"
#include "exec_slurm.h"
#include "exec_ssh.h"
#include "mgr.h"

/* MPRUN_SHELL, when set and not empty. */
static const char *remote_shell(void)
{
	const char *shell = getenv("MPRUN_SHELL");

	return shell != NULL && *shell ? shell : NULL;
}

/* Say msg, keeping errno (common_failed() reads it). */
static void warn_errno(const char *msg)
{
	int saved = errno;

	warn_msg(msg);
	errno = saved;
}

/* exec_ssh notice: a host that cannot be used. */
static void on_ssh_notice(void *data, const char *msg)
{
	warn_msg(msg);
}

struct exec_ssh *remote_ssh_new(const struct cli *cli, char *const *logins,
				size_t nlogins, char *const *files,
				size_t nfiles, const char *ssh,
				unsigned default_slots, const struct mgr *mgr,
				int check_mprun)
{
	struct exec_ssh_opts o = {0};
	struct exec_ssh *s;
	char err[512];

	o.logins = logins;
	o.nlogins = nlogins;
	o.login_files = files;
	o.nlogin_files = nfiles;
	o.ssh = ssh != NULL ? ssh : getenv("MPRUN_SSH");
	o.default_slots = default_slots;
	o.env = cli->envs;
	o.nenv = cli->nenvs;
	o.workdir = cli->workdir;
	o.transfer = cli->transfer;
	o.transfer_absolute = cli->transfer_absolute;
	o.returns = cli->returns;
	o.nreturns = cli->nreturns;
	o.cleanup = cli->cleanup;
	o.shell = remote_shell();
	o.tmpdir = cli->tmpdir;
	o.notice = on_ssh_notice;
	o.counters_sock = mgr != NULL ? mgr_unix_path(mgr) : NULL;
	o.counters_key = mgr != NULL ? mgr_key(mgr) : NULL;
	o.check_mprun = check_mprun;
	s = exec_ssh_new(&o, err, sizeof(err));
	if (s == NULL)
		warn_errno(err);
	return s;
}

struct exec_slurm *remote_slurm_new(unsigned cpus, const char *alloc)
{
	struct exec_slurm_opts o = {0};
	struct exec_slurm *s;
	char err[512];

	o.cpus = cpus;
	o.alloc = alloc;
	o.srun = getenv("MPRUN_SRUN");
	o.shell = remote_shell();
	s = exec_slurm_new(&o, err, sizeof(err));
	if (s == NULL)
		warn_errno(err);
	return s;
}

unsigned remote_slurm_slots(struct exec_slurm *s, unsigned jobs, unsigned cpus,
			    const char *what)
{
	unsigned fit = exec_slurm_slots(s);

	if (jobs > fit)
		fprintf(stderr, "mprun: %s: the allocation fits %u job steps "
			"of %u CPUs at once; running %u\n", what, fit,
			cpus ? cpus : 1, fit);
	return jobs == 0 || jobs > fit ? fit : jobs;
}
