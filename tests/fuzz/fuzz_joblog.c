/* libFuzzer target for the job log reader, lib/joblog (joblog_read, used
 * by --resume and --resume-failed).
 *
 * Input: CTRL DATA. CTRL bit 0: DATA is a log file read as it is; else
 * DATA is cut into 9-byte entries (8 bytes of Seq, 1 of exit value and
 * signal) that joblog_write() logs to a new file, read back.
 *
 * Oracles (abort() on a violation):
 *  J1 a file read: success, or -1 with a message "FILE:LINE: ..." naming
 *     a line of the file (or "FILE: ..."); in time and memory bounded by
 *     the file (libFuzzer's -timeout and -rss_limit_mb);
 *  J2 after a success, the Seq of every line "SEQ\t...\tEXIT\tSIG\t..."
 *     of the file (digits only in SEQ, EXIT, SIG) is in the set; the Seq
 *     after the largest of any line is not (J3 checks failed or not);
 *  J3 round trip: what joblog_write() logs, joblog_read() gives back
 *     (each Seq with the state of its last entry), or refuses a Seq past
 *     JOBLOG_SEQ_MAX (or 0) naming its line. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "joblog.h"
#define FUZZ_WANT_DIR /* a private directory for the input file */
#include "fuzz.h"

/* A whole decimal number of s[0..n) (digits only, leading zeros any): 0,
 * or -1. */
static int digits(const char *s, size_t n, unsigned long long *v)
{
	size_t i;

	for (; n > 1 && s[0] == '0'; s++, n--)
		;
	if (n == 0 || n > 19)
		return -1;
	for (*v = 0, i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (unsigned long long)(s[i] - '0');
	}
	return 0;
}

/* J1 on the message of a failed read of path. */
static void check_error(const char *path, const char *err)
{
	size_t pl = strlen(path);

	FUZZ_CHECK(strncmp(err, path, pl) == 0 && err[pl] == ':' &&
			   err[pl + 1] != '\0',
		   "joblog_read failed with the message \"%s\"", err);
}

/* The Seq field of the line p[0..n) (up to a tab or NUL) as a number of
 * digits only: 0, or -1. */
static int seq_field(const char *p, size_t n, unsigned long long *v)
{
	size_t len = 0;

	while (len < n && p[len] != '\t' && p[len] != '\0')
		len++;
	return digits(p, len, v);
}

/* J2: the lines of data whose Seq, Exitval and Signal are plain numbers
 * are in d; the Seq after the largest of any line is not. */
static void check_lines(const struct joblog_done *d, const uint8_t *data,
			size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	unsigned long long seq, ex, sig, max = 0;
	int failed;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl != NULL ? nl : end;
		const char *f[9];
		size_t nf = 0;
		const char *q = p;

		if (seq_field(p, (size_t)(le - p), &seq) == 0 && seq > max)
			max = seq;
		f[nf++] = q;
		while (nf < 9 && (q = memchr(q, '\t', (size_t)(le - q))) != NULL)
			f[nf++] = ++q;
		if (nf == 9 &&
		    digits(f[0], (size_t)(f[1] - f[0] - 1), &seq) == 0 &&
		    digits(f[6], (size_t)(f[7] - f[6] - 1), &ex) == 0 &&
		    digits(f[7], (size_t)(f[8] - f[7] - 1), &sig) == 0 &&
		    memchr(p, '\0', (size_t)(le - p)) == NULL)
			FUZZ_CHECK(joblog_done_has(d, seq, &failed) == 1,
				   "Seq %llu of the log is not in the set",
				   seq);
		p = le + 1;
	}
	if (max < JOBLOG_SEQ_MAX)
		FUZZ_CHECK(joblog_done_has(d, max + 1, &failed) == 0,
			   "Seq %llu is in the set, no line has it", max + 1);
}

/* J3 */
static void round_trip(const uint8_t *data, size_t size)
{
	struct joblog *l;
	struct joblog_done *d = NULL;
	unsigned long long seq[64];
	int failed[64], f, bad = 0;
	size_t n = 0, i, j;
	char err[512];

	unlink(fuzz_file);
	l = joblog_open(fuzz_file, data[0] & 2, 0);
	FUZZ_CHECK(l != NULL, "joblog_open: errno %d", errno);
	for (; size >= 9 && n < 64; data += 9, size -= 9, n++) {
		struct joblog_entry e = {0};

		memcpy(&seq[n], data, 8);
		/* mostly small Seqs, that repeat */
		if (!(data[7] & 0x80))
			seq[n] = seq[n] % 64 + 1;
		e.seq = seq[n];
		e.exitval = data[8] & 0x0f;
		e.signal = data[8] & 0x10 ? 9 : 0;
		e.command = "echo a\tb\nc";
		e.stage = "st";
		failed[n] = e.exitval != 0 || e.signal != 0;
		if (seq[n] == 0 || seq[n] > JOBLOG_SEQ_MAX)
			bad = 1;
		FUZZ_CHECK(joblog_write(l, &e) == 0, "joblog_write: errno %d",
			   errno);
	}
	joblog_close(l);
	err[0] = '\0';
	if (joblog_read(fuzz_file, &d, err, sizeof(err)) == -1) {
		FUZZ_CHECK(bad, "a log joblog_write wrote is refused: %s", err);
		check_error(fuzz_file, err);
		return;
	}
	FUZZ_CHECK(!bad, "a Seq out of range was taken");
	for (i = 0; i < n; i++) {
		int want = failed[i];

		for (j = i + 1; j < n; j++)
			if (seq[j] == seq[i])
				want = failed[j];
		FUZZ_CHECK(joblog_done_has(d, seq[i], &f) == 1 && f == want,
			   "Seq %llu: not read back as %s", seq[i],
			   want ? "failed" : "succeeded");
	}
	joblog_done_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct joblog_done *d = NULL;
	const char *path;
	char err[512];

	if (size == 0)
		return 0;
	if (!(data[0] & 1)) {
		round_trip(data, size);
		return 0;
	}
	path = fuzz_write_file(data + 1, size - 1);
	if (path == NULL)
		return 0;
	err[0] = '\0';
	if (joblog_read(path, &d, err, sizeof(err)) == -1) {
		check_error(path, err);
		return 0;
	}
	check_lines(d, data + 1, size - 1);
	joblog_done_free(d);
	return 0;
}
