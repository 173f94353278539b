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
/* A job ended for good: say if it timed out, and log it (unless it was
 * cut short by Ctrl-C: then --resume runs it again). -1 on a log error. */
int report_finished(struct joblog *log, const char *stage,
		    const struct pool_job *j, int interrupted);

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
		   const struct progress_counts *c, int last, size_t *drawn);

/* End and reap every remaining descendant (after Ctrl-C or a halt). */
void sweep_descendants(void);

#endif
