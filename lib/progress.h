/* progress: the status line of --bar, --progress and --eta.
 *
 * The caller counts and decides when and where to draw; this module only
 * formats one line:
 *   --progress  "12 done, 2 running, 1 failed, 40 total, 3.2/s"
 *   --eta       the same, plus ", ETA 0:08"
 *   --bar       "[#######-------------]  30% " before it, and the ETA
 * The total is "?" while the input is still being read. In pipe mode the
 * bytes of input whose jobs are done follow the rate, with their total
 * and rate ("50.0M of 200.0M, 25.0M/s"; units of 1024), and once that
 * total is known the percentage and the ETA are by bytes. A label ("map",
 * "total", "interrupted") may come first, as "label: ", and a text of the
 * caller's (the user's counters) last.
 *
 * After Ctrl-C (interrupted set) the line tells what became of the jobs:
 * "12 done, 1 failed, 2 ended, 26 not started": done and failed count
 * only the jobs that ended on their own; the jobs Ctrl-C ended are
 * "ended"; no rate, bar nor ETA.
 *
 * A line wider than the width given loses whole fields, the least useful
 * first (the caller's text, the rates, half of the bar, the running jobs,
 * the bar, the bytes, the total, the failed jobs, the ETA, ...): a field
 * is shown whole or not at all. */
#ifndef MPRUN_PROGRESS_H
#define MPRUN_PROGRESS_H
#include <stddef.h>
#include <stdint.h>

enum { PROGRESS_BAR = 1, PROGRESS_COUNTS = 2, PROGRESS_ETA = 4 };

struct progress_counts {
	unsigned long long done;    /* finished, failed ones included (when
				     * interrupted, not the ended ones) */
	unsigned long long failed;
	unsigned long long running;
	unsigned long long total;   /* valid if total_known */
	int total_known;
	uint64_t elapsed_ms;
	/* pipe mode (bytes set): bytes of input done and in all */
	int bytes;
	uint64_t bytes_done;
	uint64_t bytes_total;       /* valid if bytes_total_known */
	int bytes_total_known;
	/* Ctrl-C came: jobs it ended (neither done nor failed) */
	int interrupted;
	unsigned long long ended;
};

/* Write the status line (no newline) into out: "label: " first unless
 * label is NULL, ", extra" last unless extra is NULL or empty; when width
 * > 0, at most width columns wide, fields left out whole (see above).
 * Always NUL-terminated when len > 0 (a len too small cuts the text).
 * Returns its length in bytes. */
size_t progress_format(int flags, const struct progress_counts *c,
		       const char *label, const char *extra, unsigned width,
		       char *out, size_t len);

/* The columns a line of UTF-8 text takes (one per character). */
size_t progress_columns(const char *s, size_t n);

#endif
