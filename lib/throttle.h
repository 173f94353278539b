/* throttle: GNU parallel's dynamic limits on starting jobs, --load,
 * --memfree and --limit, as the scheduler's throttle (sched_set_throttle):
 * before each start the scheduler asks; "not now" is asked again on a
 * timer of the loop (10 ms, doubling up to 1 s), never by waiting.
 *
 * --load MAX: no job starts while the processes running or waiting for
 * the disk (procs_running + procs_blocked of /proc/stat, less mprun
 * itself: GNU parallel's instant "load", not the load average) are MAX or
 * more. --memfree SIZE: no job starts while MemAvailable (/proc/meminfo)
 * is below SIZE, and while jobs run it is looked at every second: below
 * SIZE / 2 the youngest job is ended and runs again later (sched_evict).
 * --limit CMD: before each start the shell command CMD runs, as a child
 * the loop watches; its exit status says 0: start one job, 2: end the
 * youngest job (and start none now), anything else: start none now.
 * While jobs run it is also run every second, for its 2. "mem SIZE" and
 * "load MAX" as CMD are --memfree SIZE and --load MAX (checked here, no
 * child).
 *
 * Ownership: the throttle holds its scheduler and loop (both must outlive
 * it) and its child (freed, killed, with it). */
#ifndef MPRUN_THROTTLE_H
#define MPRUN_THROTTLE_H
#include <stdint.h>

struct loop;
struct sched;
struct throttle;

struct throttle_opts {
	double load;          /* --load (> 0), or 0: none */
	uint64_t memfree;     /* --memfree in bytes, or 0: none */
	const char *limit;    /* --limit's command, or NULL */
	const char *shell;    /* the shell that runs it (absolute path) */
	/* the files read (NULL: /proc/stat, /proc/meminfo) */
	const char *stat_path, *meminfo_path;
};

/* The throttle of s (its only one) in loop l. NULL/errno. */
struct throttle *throttle_new(struct loop *l, struct sched *s,
			      const struct throttle_opts *o);
void throttle_free(struct throttle *t);

/* --load's value: N or N.N, N% of ncpus, +N or -N (ncpus more or less);
 * under 0.01 is 0.01 (GNU's 0). -1 if malformed. */
int throttle_parse_load(const char *v, unsigned ncpus, double *out);
/* A size with GNU parallel's units (parse_gnu_size: "1k" 1000, "1K" 1024,
 * "1.5G"), a number alone bytes. -1 if malformed or 0 or overflowing. */
int throttle_parse_size(const char *v, uint64_t *out);
/* --limit "mem SIZE" or "load MAX" (1, the value set; the other left as
 * is), "io N" (-1: GNU parallel's, not built), or a command of the user's
 * (0). */
int throttle_parse_builtin(const char *cmd, unsigned ncpus,
			   struct throttle_opts *o);

/* The instant load (path NULL: /proc/stat). -1/errno. */
int throttle_read_load(const char *path, double *load);
/* A field of /proc/meminfo ("MemAvailable"), in bytes (path NULL: the
 * real one). -1/errno (ENOENT: no such field). */
int throttle_read_meminfo(const char *path, const char *field,
			  uint64_t *bytes);

#endif
