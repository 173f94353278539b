/* exec_slurm: the executor that runs each job as a step of a Slurm
 * allocation (--slurm, --slurm-cpus, --slurm-alloc).
 *
 * Each job runs as
 *     srun --jobid=JOB --exact -n1 -N1 -c CPUS -QQ --job-name=mprun-PID-SEQ
 *          -- /bin/sh -c 'exec "$@"' mprun ARGV...     (argv form)
 *          -- SHELL -c COMMAND                        (shell form)
 * --exact gives the step only its CPUS, so that steps run side by side
 * (Slurm 21.08 or later); -QQ keeps srun's own messages ("task 0: Exited
 * with exit code 3") out of the job's stderr; the sh in the argv form makes
 * a program that is not found exit 127 as it does here. srun's stdin is
 * /dev/null; its stdout and stderr are the job's. Its environment (the
 * job's) goes to the step (srun's --export=ALL).
 *
 * The allocation. Inside one (SLURM_JOB_ID set: in salloc or sbatch) the
 * jobs use it. Outside, with opts.alloc ("--slurm-alloc OPTIONS"), the
 * executor gets one itself: it runs `salloc OPTIONS` in the background with
 * a command that reports the allocation and then waits for its stdin to
 * close; that stdin is a pipe held by the executor. exec_slurm_free()
 * closes the pipe (salloc then releases the allocation), and so does the
 * kernel when mprun dies; salloc is not killed with mprun (it is the child
 * of a small sh that is). If salloc did not end cleanly, free() also
 * `scancel`s the allocation. exec_slurm_new() waits until the allocation is
 * granted. Outside an allocation without opts.alloc, exec_slurm_new()
 * fails and says how to get one.
 *
 * Slots: the allocation's CPUs (SLURM_NTASKS x SLURM_CPUS_PER_TASK, else
 * the sum of SLURM_JOB_CPUS_PER_NODE) divided by CPUS: more steps than fit
 * would only wait in srun.
 *
 * Termination: terminate(sig) sends sig to the job's step with
 * `scancel --signal=SIG JOB.STEP` (the step found by its name with
 * squeue -s) before the pool signals srun. srun itself, on SIGTERM or
 * SIGINT, kills its step (SIGKILL, exit status 137); when srun is killed
 * with SIGKILL (mprun killed), slurmstepd ends the step within seconds. So
 * no step outlives its job; a step's grace time after SIGTERM is short.
 *
 * The Host column is the allocation's node list (SLURM_JOB_NODELIST).
 *
 * Ownership: exec_slurm_new() copies what it needs from the options. The
 * executor must outlive the pool that uses it. */
#ifndef MPRUN_EXEC_SLURM_H
#define MPRUN_EXEC_SLURM_H
#include <stddef.h>

#include "executor.h"

struct exec_slurm_opts {
	unsigned cpus;	    /* --slurm-cpus: CPUs of each job; 0: 1 */
	const char *alloc;  /* --slurm-alloc: salloc's options, split at
			     * blanks (no quoting); NULL: use the allocation
			     * we run in */
	const char *srun;   /* the srun command and extra options, split at
			     * blanks; NULL: "srun" */
	const char *shell;  /* the shell of shell commands (it must exist on
			     * the nodes); NULL: /bin/sh */
};

struct exec_slurm;

/* Find or get the allocation. NULL with errno and a message in err
 * (errlen bytes): ESRCH when not inside an allocation and opts.alloc is
 * NULL, EINVAL for a bad option, EIO when salloc failed (with its
 * message), else the errno of what failed. */
struct exec_slurm *exec_slurm_new(const struct exec_slurm_opts *o, char *err,
				  size_t errlen);
const struct executor *exec_slurm_executor(struct exec_slurm *s);
/* Jobs that fit in the allocation at once: the pool's slot count (-j). */
unsigned exec_slurm_slots(const struct exec_slurm *s);
/* The allocation's job id. */
const char *exec_slurm_jobid(const struct exec_slurm *s);
/* Release what exec_slurm_new() allocated, free. NULL is fine. */
void exec_slurm_free(struct exec_slurm *s);

#endif
