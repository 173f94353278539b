/* common: what the three kinds of run (plain, --workers, --pipeline)
 * share on the command's side: the state of a run (struct common), messages
 * about jobs, the job log, pool defaults from the command line, the
 * progress lines, the shared memory's start and end, and the driver that
 * makes the run (lib/run), runs it and says how it ended. */
#ifndef MPRUN_CMD_COMMON_H
#define MPRUN_CMD_COMMON_H
#include <stddef.h>

#include "buf.h"
#include "joblog.h"
#include "opts.h"
#include "pool.h"
#include "run.h"
#include "template.h"

#define EXIT_USAGE RUN_EXIT_ERROR

struct joblog_done;
struct report;
struct mgr;
struct shm_seg;
struct status;

/* What every kind of run shares on the command's side. */
struct common {
	const struct cli *cli;
	struct template *tagstring, *on_success, *on_error;
	struct template *results_place; /* --results with replacement strings */
	struct joblog *joblog;      /* --joblog, or NULL */
	struct joblog_done *resume; /* --resume: what the log says was done */
	struct shm_seg *shm;        /* counters and figures; NULL: dry run */
	struct mgr *mgr;            /* the counter service of remote jobs, or
				     * NULL (no -S, no --slurm) */
	struct runner *run;
	struct buf logcmd;          /* scratch: a task's Command column */
	struct report *report;      /* --report: the jobs drawn at the end */
	int report_fd;              /* --report's file (opened at the start) */
	int counters_fd;            /* --counters-json's (opened at the start),
				     * or 0: none (fds 0-2 are always open) */
	struct status *status;      /* --bar, --progress, --eta, or NULL */
	struct run_display display; /* its side of the run */
	int log_failed;             /* a log line failed (said once) */
	int said;                   /* an error was reported */
	/* --results FILE.csv/.tsv/.json: the table, its format, whether its
	 * header is written, and the private directory of the jobs' files */
	int table_fd, table_format, table_started;
	int null_fd; /* --results -.csv: where the jobs' stdout goes, or 0 */
	char *table_dir;
};

/* Print "mprun: msg" on stderr. */
void warn_msg(const char *msg);
/* Print a message on stderr (the status lines make way for it). */
void common_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Events of every kind of run (data: the struct common): an error outside
 * the jobs (the exit status is 255); a message only. */
void common_error(void *data, const char *msg);
void common_notice(void *data, const char *msg);
/* The pool's done event: say why a job failed when the job itself cannot
 * (not found, too long). */
void report_done(void *data, const struct sched_task *j);
/* A job of stage (NULL: none) ended for good: count it, and log it
 * (unless it was cut short by Ctrl-C: then --resume runs it again). data:
 * the struct common. */
void report_finished(void *data, const char *stage,
		     const struct sched_task *j);

/* An input of workers ended for good: count it, and log it, Command being
 * the workers' command, a space and the input. */
void report_task(struct common *cm, const char *stage, const char *workers,
		 const struct sched_task *t);

struct template_error;
/* Print why a template (what: "the command", "--on-error", ...) was
 * refused or could not be made. */
void template_refused(const char *what, const struct template_error *err);

/* Fill po from cm->cli (all but slots, tpl, source and order-specific
 * bits); cm keeps the templates. Messages printed; -1 on a bad value. */
int common_pool_opts(struct common *cm, struct pool_opts *po);
/* After cli_apply_header: --tagstring's and --results' templates made
 * again with the header's names as {N}, in po. 0 or -1 (said). */
int common_header_applied(struct common *cm, struct pool_opts *po);
/* Free what cm holds: the run first. */
void common_free(struct common *cm);

/* --joblog (stages: with a Stage column), and what --resume reads from it;
 * --report's file. -1: message printed. */
int common_joblog_open(struct common *cm, int stages);
/* --report FILE --joblog-in LOG: draw the log's run; the exit status (0,
 * or 255 with a message). */
int common_report_log(const struct cli *cli);
/* The counter service for remote jobs (lib/mgr): a Unix socket for SSH
 * hosts, TCP (--manager-addr) for Slurm steps; none when neither or for a
 * dry run. The jobs' key (and the TCP address) go into our environment.
 * -1: message printed. */
int common_mgr_start(struct common *cm, int unix_socket, int tcp);
/* Does this command text call mprun (its jobs may use counters)? */
int common_calls_mprun(char *const *words, size_t n);
/* The run's shared memory (counters, figures for --status): stale
 * segments removed, a new one made, MPRUN_SHM set for the jobs (call
 * before the pools are made), --counter-init applied, then the n counters
 * specs ("NAME=NUMBER", from where: a pipeline file's). -1: message printed
 * (a bad spec, more than SHM_COUNTERS counters), no segment. */
int common_shm_start(struct common *cm, const char *label,
		     char *const *specs, size_t n, const char *where);

struct input;
/* The input of the command line's sources (stdin when none). NULL:
 * message printed. */
struct input *cli_input(const struct cli *cli);
/* --skip-first-line: drop the first input. Then --header : without
 * --pipe: read the first record of each source of in;
 * its values name the columns, and {name}, {name.}, {name/} ... in the
 * command words become {1}, {1.}, {1/} ... 0, or -1 with a message. */
int cli_apply_header(struct cli *cli, struct input *in);
/* --max-record as a size_t (clamped where size_t is narrower). */
size_t cli_max_record(const struct cli *cli);

/* Make the run of ro (its figures, progress and events tied to cm). -1:
 * the run cannot start (see common_failed). */
int common_start(struct common *cm, struct run_opts *ro);
/* The exit status when the set-up failed (its message printed). */
int common_failed(void);
/* Run it (unless go is 0), say how it ended (the last progress lines,
 * --halt, the counters); the exit status. */
int common_finish(struct common *cm, int go);

#endif
