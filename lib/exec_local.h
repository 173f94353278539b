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

#endif
