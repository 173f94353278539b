/* remote: the SSH and Slurm executors, made the same way for the command
 * line (-S, --slf, --slurm) and for a pipeline stage (executor: ssh with
 * hosts:, executor: slurm). MPRUN_SHELL, MPRUN_SSH and MPRUN_SRUN in the
 * environment stand for the shell, the ssh command (when none is given)
 * and the srun command. */
#ifndef MPRUN_CMD_REMOTE_H
#define MPRUN_CMD_REMOTE_H
#include <stddef.h>

#include "opts.h"

struct exec_ssh;
struct mgr;
struct exec_slurm;

/* An SSH executor for these logins ("[N/]HOST[,...]") and login files,
 * with the command line's --env, --workdir, --transfer, --return and
 * --cleanup; ssh: the ssh command (NULL: MPRUN_SSH, else "ssh");
 * default_slots: the slots of a login without N/ (0: CPUs). NULL: message
 * printed. */
struct exec_ssh *remote_ssh_new(const struct cli *cli, char *const *logins,
				size_t nlogins, char *const *files,
				size_t nfiles, const char *ssh,
				unsigned default_slots, const struct mgr *mgr,
				int check_mprun);
/* A Slurm executor: steps of cpus CPUs (0: 1), in our allocation or one
 * salloc gets with alloc's options. NULL: message printed. */
struct exec_slurm *remote_slurm_new(unsigned cpus, const char *alloc);
/* The slots to run with the Slurm executor s when asked for jobs (0: as
 * many as fit); more than fit are cut, with a word naming what (what: "-j
 * 8", "stage x: jobs: 8"). */
unsigned remote_slurm_slots(struct exec_slurm *s, unsigned jobs, unsigned cpus,
			    const char *what);

#endif
