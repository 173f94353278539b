/* common: what the plain run (mprun.c) and the pipeline run (pipe.c)
 * share: messages about jobs, the job log, pool defaults from the command
 * line, progress lines, and the sweep of leftover processes. */
#ifndef MPRUN_CMD_COMMON_H
#define MPRUN_CMD_COMMON_H
#include <stddef.h>

#include "joblog.h"
#include "opts.h"
#include "pool.h"
#include "progress.h"
#include "template.h"

#define EXIT_USAGE 255
#define EXIT_MANY_FAILED 101
#define EXIT_INTERRUPTED 130

/* Print "mprun: msg" on stderr. */
void warn_msg(const char *msg);
/* Say why a job failed when the job itself cannot (not found, too long). */
void report_done(const struct pool_job *j);
/* A job ended for good: log it (unless it was
 * cut short by Ctrl-C: then --resume runs it again). -1 on a log error. */
int report_finished(struct joblog *log, const char *stage,
		    const struct pool_job *j, int interrupted);

struct wpool_task;
struct buf;
/* An input of workers ended for good: log it, Command being the workers'
 * command, a space and the input (built in scratch, the caller's, kept
 * from one input to the next). -1 on a log error. */
int report_task(struct joblog *log, const char *stage, const char *workers,
		const struct wpool_task *t, struct buf *scratch);

struct template_error;
/* Print why a template (what: "the command", "--on-error", ...) was
 * refused or could not be made. */
void template_refused(const char *what, const struct template_error *err);

/* Templates and options every pool of a run shares. */
struct common {
	struct template *tagstring, *on_success, *on_error;
};
/* Fill po from the command line (all but slots, tpl, source and order-
 * specific bits). Messages printed; -1 on a bad value. */
int common_pool_opts(const struct cli *cli, struct common *cm,
		     struct pool_opts *po);
void common_free(struct common *cm);

/* The exit status for this many failures. */
int failures_status(unsigned long long failed);

/* Draw n progress lines (labels may be NULL: no label), on a terminal in
 * place (*drawn: lines drawn last time), else as plain lines. */
void progress_show(int flags, int tty, size_t n, const char *const *labels,
		   const struct progress_counts *c, const char *extra,
		   int last, size_t *drawn);

struct shm_seg;
/* The run's shared memory (counters, figures for --status): stale
 * segments removed, a new one made, MPRUN_SHM set for the jobs (call
 * before the pools are made), --counter-init applied. NULL: message
 * printed. */
struct shm_seg *run_shm_start(const struct cli *cli, const char *label);
/* Count a job in the figures. */
void run_shm_started(struct shm_seg *seg);
void run_shm_finished(struct shm_seg *seg, int failed);
/* A pipeline stage's own figures, kept as counters "stage:NAME:WHAT"
 * (shown by mprun --status and --counters, not with the user's). */
#define STAGE_PREFIX "stage:"
void run_shm_stage(struct shm_seg *seg, const char *stage, const char *what,
		   long long delta);
/* The user's counters as "a=1 b=2" (empty if none). */
void run_shm_counters(struct shm_seg *seg, char *out, size_t len);
/* The end: counters summary on stderr, --counters-json, segment removed.
 * -1 if the JSON file could not be written (message printed). */
int run_shm_end(struct shm_seg *seg, const struct cli *cli);

struct input;
/* The input of the command line's sources (stdin when none). NULL:
 * message printed. */
struct input *cli_input(const struct cli *cli);
/* --max-record as a size_t (clamped where size_t is narrower). */
size_t cli_max_record(const struct cli *cli);

/* End and reap every remaining descendant (after Ctrl-C or a halt). */
void sweep_descendants(void);

#endif
