/* report: a picture of a run (--report FILE.svg or FILE.html): one lane
 * per job slot, grouped by pipeline stage and host, each job a bar from its
 * start to its end coloured by how it ended, an axis in seconds. Drawn from
 * the job log's data: the jobs of a run as they end, or the lines of a log
 * written earlier (--joblog-in).
 *
 * A joblog has no slot column: lanes are packed (a job takes the lowest
 * lane of its group free at its start). At most max_jobs jobs are kept
 * (the first to end); the others are counted and the picture says so. The
 * report copies what it keeps (a command up to REPORT_COMMAND_MAX bytes).
 * All text is escaped for XML: a command is the user's data. */
#ifndef MPRUN_REPORT_H
#define MPRUN_REPORT_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* How a job ended, as coloured: green, red, orange, purple. */
enum report_outcome {
	REPORT_OK,
	REPORT_FAILED,   /* a non-zero exit */
	REPORT_TIMEOUT,  /* ended by --timeout */
	REPORT_KILLED,   /* ended by a signal */
};

/* One finished job, as the job log has it, plus the timed-out flag. */
struct report_job {
	unsigned long long seq;
	const char *host;     /* NULL or ":": this machine */
	const char *stage;    /* NULL: no pipeline */
	uint64_t start_ms;    /* wall clock, milliseconds since the epoch */
	uint64_t runtime_ms;
	int exitval;
	int signal;
	int timed_out;
	const char *command;
};

#define REPORT_MAX_JOBS 100000
#define REPORT_COMMAND_MAX 240

enum report_format { REPORT_SVG, REPORT_HTML };

struct report;

/* A report keeping at most max_jobs jobs (0: REPORT_MAX_JOBS) under the
 * title (copied). NULL/ENOMEM. */
struct report *report_new(const char *title, size_t max_jobs);
/* Add a finished job (strings copied). -1/ENOMEM. */
int report_add(struct report *r, const struct report_job *j);
/* Add the jobs of the job log at path (GNU parallel's columns, a Stage
 * column after Command if the header names one). -1 with "FILE:LINE: ..."
 * (or "FILE: ...") in err on a line that is not a job log line, a read
 * error or ENOMEM. */
int report_read_joblog(struct report *r, const char *path, char *err,
		       size_t errlen);
/* Write the picture to f: SVG, or an HTML page holding it and tables of
 * the slowest 10 and the failed jobs. -1/errno if a write failed. */
int report_write(struct report *r, enum report_format fmt, FILE *f);
void report_free(struct report *r);

/* REPORT_HTML for a name ending in .html or .htm, else REPORT_SVG. */
enum report_format report_format_of(const char *path);
enum report_outcome report_outcome_of(int exitval, int signal,
				      int timed_out);
/* The CSS class of an outcome: "ok", "failed", "timeout", "killed". */
const char *report_outcome_class(enum report_outcome o);

/* After report_write (or report_layout): the number of lanes, and the
 * lane of the i-th job added (0-based, counting all groups' lanes from the
 * top). */
int report_layout(struct report *r);
size_t report_lanes(const struct report *r);
size_t report_job_lane(const struct report *r, size_t i);

struct buf;
/* Append s to b escaped for XML text and attributes: & < > " ' as
 * entities, control characters as \xHH, invalid UTF-8 as U+FFFD. -1 on
 * ENOMEM. */
int report_escape(struct buf *b, const char *s);

#endif
