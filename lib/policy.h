/* policy: the job-control policies shared by the command line, the
 * schedulers and pipeline files: the --halt type, and parsing --timeout
 * and --halt. */
#ifndef MPRUN_POLICY_H
#define MPRUN_POLICY_H
#include <stdint.h>

/* --halt: when to stop the run early (GNU parallel's semantics). */
enum policy_halt_when { HALT_NEVER, HALT_SOON, HALT_NOW };
enum policy_halt_what { HALT_FAIL, HALT_SUCCESS, HALT_DONE };
struct policy_halt {
	enum policy_halt_when when;
	enum policy_halt_what what;
	unsigned long long count; /* stop after this many jobs ... */
	unsigned pct;             /* ... or this percentage (if count is 0) */
};

/* A timeout: a duration (see parse_duration_ms) into *ms, or "N%" (of the
 * median runtime) into *pct; the other is set to 0. Zero is refused.
 * 0 or -1/EINVAL. */
int policy_timeout_parse(const char *s, uint64_t *ms, unsigned *pct);
/* A halt policy: "never", or now|soon,fail|success|done=N|N% (GNU
 * parallel's spelling). 0 or -1/EINVAL. */
int policy_halt_parse(const char *s, struct policy_halt *h);
/* Does h stop the run after ok succeeded and bad failed jobs? base: the
 * jobs a percentage is of (all of them if known, else those started). */
int policy_halt_reached(const struct policy_halt *h, unsigned long long ok,
			unsigned long long bad, unsigned long long base);

#endif
