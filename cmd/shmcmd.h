/* shmcmd: the mprun commands that do not run jobs but work on a run's
 * shared memory (lib/shm) or on a semaphore (lib/sem):
 *
 *   mprun --counter NAME [+N|-N|=N]   read or change a counter of the run
 *   mprun --counters                  list the run's counters
 *   mprun --status [PID]              the state of running runs
 *   mprun --cleanup                   remove what crashed runs left
 *   mprun --sem [--id NAME] [-j N] [--fg] CMD [ARG...]
 *   mprun --sem --wait [--id NAME]
 *
 * --semaphore is a synonym of --sem. The hidden --shm-run CMD [ARG...]
 * runs CMD inside a segment of its own, as a run does for its jobs (for
 * the tests). main() hands argv over when shmcmd_wants() says so. */
#ifndef MPRUN_SHMCMD_H
#define MPRUN_SHMCMD_H

/* 1 if argv[1] is one of the options above. */
int shmcmd_wants(int argc, char **argv);
/* Do what argv asks; returns the exit status (255 on a usage error). */
int shmcmd_main(int argc, char **argv);

#endif
