/* termtree: find and signal the whole process tree of a job, including
 * descendants that left its process group (setsid, double fork).
 *
 * mprun makes itself a child subreaper, so an escaped descendant whose parent
 * died is re-parented to mprun instead of init and stays findable. Each job is
 * started with an environment marker MPRUN_JOBID=<marker>; a process belongs
 * to a job's tree when it descends (PPid links in /proc) from the job's pid,
 * or belongs to its process group, or descends from mprun and still carries
 * the job's marker in /proc/PID/environ. */
#ifndef MPRUN_TERMTREE_H
#define MPRUN_TERMTREE_H
#include <stddef.h>
#include <sys/types.h>

/* PR_SET_CHILD_SUBREAPER on the calling process. 0 or -1/errno. */
int termtree_become_subreaper(void);

/* Collect the live processes of one job's tree: descendants of root, members
 * of process group pgid (if > 0), and descendants of the calling process
 * whose environment holds the exact entry marker ("MPRUN_JOBID=123.4"; may
 * be NULL). *pids is malloc'ed (caller frees), *n its length; root itself is
 * included while alive. 0 or -1/errno. Zombies are left out. */
int termtree_collect(pid_t root, pid_t pgid, const char *marker, pid_t **pids,
		     size_t *n);

/* Signal a job's tree: kill(-pgid, sig) and then every process found by
 * termtree_collect(). Returns how many processes or groups were signalled
 * (0 when nothing is left), -1/errno on failure to read /proc. */
int termtree_signal(pid_t root, pid_t pgid, const char *marker, int sig);

/* Every live descendant of the calling process, zombies left out.
 * 0 or -1/errno; *pids malloc'ed. */
int termtree_descendants(pid_t **pids, size_t *n);

/* The termination sequence (--termseq): signals to send, each followed by a
 * wait in milliseconds before the next. GNU parallel's default is
 * TERM,200,TERM,100,TERM,50,KILL,25. */
#define TERMSEQ_MAX 16
struct termseq {
	size_t n;
	int sig[TERMSEQ_MAX];
	unsigned ms[TERMSEQ_MAX];
};
void termseq_default(struct termseq *ts);
/* Parse "SIG,MS,SIG,MS,..." (names with or without "SIG", or numbers; a
 * final MS may be omitted and means 0). On error: -1, and a message naming
 * the bad element written to err (errlen bytes). */
int termseq_parse(const char *s, struct termseq *ts, char *err,
		  size_t errlen);

#endif
