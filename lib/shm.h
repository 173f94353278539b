/* shm: one POSIX shared-memory segment per run, holding the run's own
 * figures (started, running, done, failed, total) and a fixed table of
 * named counters that the jobs update with `mprun --counter`.
 *
 * The segment is "/mprun.<uid>.<pid>.<random>" (mode 0600, made with
 * O_CREAT|O_EXCL; the file is /dev/shm/mprun.<uid>.<pid>.<random>). The run
 * creates it with shm_run_create(), exports its name to the jobs in the
 * environment variable SHM_ENV, and removes it with shm_run_destroy().
 * Segments left by runs that crashed (owner gone, or its pid reused by
 * another process) are removed by shm_cleanup_stale().
 *
 * Everything in the segment is updated with lock-free C11 atomics, so any
 * number of processes may update it at once. Counters: up to SHM_COUNTERS
 * names of 1..SHM_COUNTER_NAME_MAX bytes from [A-Za-z0-9_.:/-]; a name is
 * claimed the first time it is used (race-free: a compare-and-swap on the
 * slot's state word) and never freed while the run lasts. Values are signed
 * 64-bit and wrap around on overflow. */
#ifndef MPRUN_SHM_H
#define MPRUN_SHM_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define SHM_ENV "MPRUN_SHM"	     /* the jobs find the segment here */
#define SHM_DIR "/dev/shm"	     /* where the segments appear as files */
#define SHM_COUNTERS 256	     /* slots in the counter table */
#define SHM_COUNTER_NAME_MAX 63	     /* bytes in a counter's name */
#define SHM_LABEL_MAX 127	     /* bytes of the run's label kept */
#define SHM_NAME_MAX 64		     /* a segment name, NUL included */

struct shm_seg;

/* The run's figures, as kept in the segment. */
enum shm_stat {
	SHM_STARTED,
	SHM_RUNNING,
	SHM_DONE,	/* finished, failed ones included */
	SHM_FAILED,
	SHM_TOTAL,	/* -1 while unknown */
	SHM_NSTATS
};

/* A snapshot of the figures and of who owns the segment. */
struct shm_stats {
	long long stat[SHM_NSTATS];
	pid_t owner;
	int64_t start_ms;	/* when the run began, ms since the epoch */
};

/* One counter, copied out of the segment. */
struct shm_counter {
	char name[SHM_COUNTER_NAME_MAX + 1];
	long long value;
};

/* --- the run's side ------------------------------------------------------ */

/* Create this process's segment; label (may be NULL) is what --status shows
 * for the run, e.g. the command, cut to SHM_LABEL_MAX bytes. Every figure
 * starts at 0 (the total at -1). NULL/errno on failure. */
struct shm_seg *shm_run_create(const char *label);
/* Remove the segment (if this process made it), unmap it and free seg.
 * NULL is allowed. Keeps errno. */
void shm_run_destroy(struct shm_seg *seg);
/* Remove the segments of this user's runs whose owner is gone. removed
 * (may be NULL) is told each one removed, with the pid that owned it.
 * Returns how many were removed, or -1/errno if SHM_DIR cannot be read. */
int shm_cleanup_stale(void (*removed)(void *data, const char *name,
				      pid_t owner),
		      void *data);

/* --- any process's side -------------------------------------------------- */

/* Map an existing segment by its name (as in SHM_ENV). It must belong to
 * this user. NULL/errno: ENOENT if it is gone, EINVAL if name is not a
 * segment name, EPROTO if it is not (or not yet) a segment of this version,
 * EPERM if another user owns it. */
struct shm_seg *shm_attach(const char *name);
/* Unmap and free (never removes the segment). NULL is allowed. */
void shm_detach(struct shm_seg *seg);
/* The segment's name, e.g. "/mprun.1000.4242.9f3a01c2". */
const char *shm_name(const struct shm_seg *seg);
/* The label given to shm_run_create(). */
const char *shm_label(const struct shm_seg *seg);
/* 1 if the process that created the segment is still alive. */
int shm_owner_alive(const struct shm_seg *seg);
/* Call fn for each live run of this user (pid 0), or for the run of pid
 * only; the segment is detached when fn returns. fn returning non-zero
 * stops the walk. Returns how many runs fn was called for, or -1/errno. */
int shm_runs_each(pid_t pid, int (*fn)(void *data, struct shm_seg *seg),
		  void *data);

/* --- the run's figures --------------------------------------------------- */

/* Add delta to one figure (atomically). */
void shm_stat_add(struct shm_seg *seg, enum shm_stat which, long long delta);
/* Set one figure (atomically). */
void shm_stat_set(struct shm_seg *seg, enum shm_stat which, long long value);
/* Copy all figures (each read atomically; together, a near snapshot). */
void shm_stats_read(const struct shm_seg *seg, struct shm_stats *out);

/* --- counters ------------------------------------------------------------ */

/* 1 if name is a valid counter name. */
int shm_counter_name_valid(const char *name);
/* Add delta to counter name, creating it at 0 first if needed; *newval
 * (may be NULL) gets the value after the addition. 0, or -1/errno: EINVAL
 * for a bad name, ENOSPC when the table is full, ERANGE when the sum does
 * not fit in 64 bits (the counter is left as it was). */
int shm_counter_add(struct shm_seg *seg, const char *name, long long delta,
		    long long *newval);
/* Set counter name to value, creating it if needed. 0 or -1/errno. */
int shm_counter_set(struct shm_seg *seg, const char *name, long long value);
/* Create counter name at 0 if it does not exist yet (keeps the value of an
 * existing one). 0 or -1/errno. */
int shm_counter_declare(struct shm_seg *seg, const char *name);
/* Read counter name. 0, or -1/errno: ENOENT if nobody created it. */
int shm_counter_get(const struct shm_seg *seg, const char *name,
		    long long *value);
/* Copy the counters, sorted by name, into out (room for max; SHM_COUNTERS
 * is always enough). Returns how many there are (may exceed max: only max
 * are copied). */
size_t shm_counters_list(const struct shm_seg *seg, struct shm_counter *out,
			 size_t max);
/* Parse "NAME=VALUE" (as for --counter-init; "NAME" alone means 0) into
 * name (SHM_COUNTER_NAME_MAX + 1 bytes) and *value. 0 or -1/EINVAL. */
int shm_counter_spec_parse(const char *spec, char *name, long long *value);
/* Format counters as "a=1 b=2" for a status line; at most len bytes with
 * the NUL, whole fields only: when the others do not fit, " ..." ends the
 * text. Returns the length all of them need (as snprintf). */
size_t shm_counters_format(const struct shm_counter *c, size_t n, char *out,
			   size_t len);
/* Write counters as one JSON object {"a": 1, "b": 2} and a newline to f.
 * 0, or -1/errno on a write error. */
int shm_counters_write_json(const struct shm_counter *c, size_t n, FILE *f);

#endif
