/* joblog: the record of finished jobs (--joblog), in GNU parallel's
 * tab-separated format, and reading it back for --resume.
 *
 *   Seq Host Starttime JobRuntime Send Receive Exitval Signal Command
 *
 * One line per finished job, written with a single write(2) on an O_APPEND
 * descriptor as the job ends, so a crash loses nothing already logged.
 * Starttime is seconds since the epoch and JobRuntime seconds, both with
 * three decimals. Newlines and tabs in the command are written as \n, \t. */
#ifndef MPRUN_JOBLOG_H
#define MPRUN_JOBLOG_H
#include <stddef.h>
#include <stdint.h>

struct joblog_entry {
	unsigned long long seq;
	const char *host;       /* ":" for this machine */
	uint64_t start_ms;      /* wall clock, milliseconds since the epoch */
	uint64_t runtime_ms;
	uint64_t send, receive; /* bytes */
	int exitval;
	int signal;
	const char *command;
	const char *stage;      /* pipeline stage, or NULL: no Stage column */
};

struct joblog;

/* Open path, created, emptied (unless append) or appended to; a new or
 * empty file gets the header, with a Stage column if with_stage.
 * NULL/errno on failure. */
struct joblog *joblog_open(const char *path, int with_stage, int append);
int joblog_write(struct joblog *l, const struct joblog_entry *e);
void joblog_close(struct joblog *l);

/* The jobs an earlier log shows as finished. */
struct joblog_done;

/* The highest Seq a log read back may hold (10^15: 31 years of a million
 * jobs a second); a larger one is refused, naming its line. The set read
 * back takes memory in proportion to the lines read, whatever the Seqs. */
#define JOBLOG_SEQ_MAX 1000000000000000ULL

/* Read path. A missing file gives an empty set. On a malformed line: -1,
 * and "FILE:LINE: not a job log line" in err; a Seq of 0 or past
 * JOBLOG_SEQ_MAX: "FILE:LINE: Seq N out of range (1 to JOBLOG_SEQ_MAX)";
 * on a read error, "FILE: ...". An exit value or signal is 0 (the job
 * succeeded) or any other number (it failed, however large). */
int joblog_read(const char *path, struct joblog_done **out, char *err,
		size_t errlen);
/* 1 if seq finished in the log (*failed says whether it failed), else 0. */
int joblog_done_has(const struct joblog_done *d, unsigned long long seq,
		    int *failed);
void joblog_done_free(struct joblog_done *d);

#endif
