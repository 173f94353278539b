/* progress: the status line of --bar, --progress and --eta.
 *
 * The caller counts and decides when to draw; this module only formats:
 *   --progress  "12 done, 2 running, 1 failed, 40 total, 3.2/s"
 *   --eta       the same, plus ", ETA 0:08"
 *   --bar       "[#######-------------]  30% " before it
 * The total is "?" while the input is still being read. In pipe mode the
 * bytes of input whose jobs are done follow the rate, with their total
 * and rate ("50.0M of 200.0M, 25.0M/s"; units of 1024), and once that
 * total is known the percentage and the ETA are by bytes. */
#ifndef MPRUN_PROGRESS_H
#define MPRUN_PROGRESS_H
#include <stddef.h>
#include <stdint.h>

enum { PROGRESS_BAR = 1, PROGRESS_COUNTS = 2, PROGRESS_ETA = 4 };

struct progress_counts {
	unsigned long long done;    /* finished, failed ones included */
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
};

/* Write the status line (no newline) into out, at most width columns wide
 * when width > 0. Returns its length. */
size_t progress_format(int flags, const struct progress_counts *c,
		       unsigned width, char *out, size_t len);

#endif
