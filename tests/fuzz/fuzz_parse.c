/* libFuzzer target for the number parsers: lib/parse (durations, sizes,
 * whole numbers, signals), lib/policy (--timeout, --halt) and lib/termtree
 * (--termseq). The input is the text given to each of them (up to its
 * first NUL byte; the bytes after it are the bounds of parse_number).
 *
 * Oracles (abort() on a violation):
 *  N1 parse_duration_ms: a value read is also what "<value>ms" reads as,
 *     and a value with a unit never parses as less than the same digits
 *     in ms (e.g. "2s" >= "2ms");
 *  N2 parse_size: parse_size_format(value) reads back as the value, in
 *     at most 21 characters;
 *  N3 parse_number: the value is in [min, max], and its decimal spelling
 *     reads back as it; a spelling of the number with the same digits
 *     agrees;
 *  N4 parse_signal: a signal in 1..64; its name (when it has one) reads
 *     back as it, with and without "SIG";
 *  N5 policy_timeout_parse: exactly one of ms and pct is not 0, pct <= a
 *     sane bound; policy_halt_parse: when/what in their enums, a count or
 *     a pct (1..100) unless "never";
 *  N6 termseq_parse: 1..TERMSEQ_MAX steps, each a signal in 1..64; a
 *     failure has a message;
 *  N7 parse_gnu_size: with an upper-case unit K M G T last, the value
 *     is parse_size's; with a lower-case unit on a whole number N, N
 *     times a power of 1000, and with "i" after it N times that power
 *     of 1024. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"
#include "policy.h"
#include "termtree.h"
#include "fuzz.h"

/* N1 */
static void check_duration(const char *s)
{
	uint64_t ms, again;
	char text[32];

	if (parse_duration_ms(s, &ms) == -1)
		return;
	snprintf(text, sizeof(text), "%" PRIu64 "ms", ms);
	FUZZ_CHECK(parse_duration_ms(text, &again) == 0 && again == ms,
		   "duration \"%s\" is %" PRIu64 " ms, \"%s\" reads back %"
		   PRIu64, s, ms, text, again);
}

/* N2 */
static void check_size(const char *s)
{
	uint64_t bytes, again = 0;
	char text[64];

	if (parse_size(s, &bytes) == -1)
		return;
	parse_size_format(bytes, text, sizeof(text));
	FUZZ_CHECK(strlen(text) <= 21, "size %" PRIu64 " spelled \"%s\"",
		   bytes, text);
	FUZZ_CHECK(parse_size(text, &again) == 0 && again == bytes,
		   "size \"%s\" is %" PRIu64 ", its spelling \"%s\" reads "
		   "back %" PRIu64, s, bytes, text, again);
}

/* N3, bounds from b[0..n). */
static void check_number(const char *s, const uint8_t *b, size_t n)
{
	long long min = LLONG_MIN, max = LLONG_MAX, v, again;
	char text[32];

	if (n >= 16) {
		memcpy(&min, b, 8);
		memcpy(&max, b + 8, 8);
	} else if (n >= 1) {
		min = 0;
		max = (long long)b[0] * 1000;
	}
	if (parse_number(s, min, max, &v) == -1)
		return;
	FUZZ_CHECK(v >= min && v <= max, "number \"%s\" = %lld outside "
		   "[%lld, %lld]", s, v, min, max);
	snprintf(text, sizeof(text), "%lld", v);
	FUZZ_CHECK(parse_number(text, min, max, &again) == 0 && again == v,
		   "number \"%s\" = %lld, \"%s\" reads back %lld", s, v, text,
		   again);
}

/* N4 */
static void check_signal(const char *s)
{
	int sig = parse_signal(s);
	const char *name;
	char text[32];

	if (sig == -1)
		return;
	FUZZ_CHECK(sig >= 1 && sig <= 64, "signal \"%s\" = %d", s, sig);
	name = parse_signal_name(sig);
	if (name == NULL)
		return;
	snprintf(text, sizeof(text), "SIG%s", name);
	FUZZ_CHECK(parse_signal(name) == sig && parse_signal(text) == sig,
		   "signal \"%s\" = %d, its name %s reads back %d", s, sig,
		   name, parse_signal(name));
}

/* N5 */
static void check_policy(const char *s)
{
	struct policy_halt h;
	uint64_t ms;
	unsigned pct;

	if (policy_timeout_parse(s, &ms, &pct) == 0)
		FUZZ_CHECK((ms != 0) != (pct != 0),
			   "timeout \"%s\": ms %" PRIu64 ", pct %u", s, ms,
			   pct);
	else
		FUZZ_CHECK(errno == EINVAL, "timeout \"%s\": errno %d", s,
			   errno);
	memset(&h, 0x5a, sizeof(h));
	if (policy_halt_parse(s, &h) == -1) {
		FUZZ_CHECK(errno == EINVAL, "halt \"%s\": errno %d", s, errno);
		return;
	}
	FUZZ_CHECK(h.when == HALT_NEVER || h.when == HALT_SOON ||
			   h.when == HALT_NOW,
		   "halt \"%s\": when %d", s, (int)h.when);
	if (h.when == HALT_NEVER)
		return;
	FUZZ_CHECK(h.what == HALT_FAIL || h.what == HALT_SUCCESS ||
			   h.what == HALT_DONE,
		   "halt \"%s\": what %d", s, (int)h.what);
	FUZZ_CHECK((h.count > 0) != (h.pct > 0) && h.pct <= 100,
		   "halt \"%s\": count %llu, pct %u", s, h.count, h.pct);
}

/* N6 */
static void check_termseq(const char *s)
{
	struct termseq ts;
	char err[256];
	size_t i;

	err[0] = '\0';
	if (termseq_parse(s, &ts, err, sizeof(err)) == -1) {
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL &&
				   err[0] != '\0',
			   "termseq \"%s\" refused without a message", s);
		return;
	}
	FUZZ_CHECK(ts.n >= 1 && ts.n <= TERMSEQ_MAX, "termseq \"%s\": %zu "
		   "steps", s, ts.n);
	for (i = 0; i < ts.n; i++)
		FUZZ_CHECK(ts.sig[i] >= 1 && ts.sig[i] <= 64,
			   "termseq \"%s\": signal %d", s, ts.sig[i]);
}

/* N7 */
static void check_gnu_size(const char *s)
{
	size_t len = strlen(s);
	uint64_t v, ref, n, dec, bin;
	char text[64];
	const char *u;
	int i, overflow = 0;

	if (parse_gnu_size(s, &v) == -1 || len == 0 || len >= sizeof(text) - 2)
		return;
	if (strchr("KMGT", s[len - 1]) != NULL) {
		FUZZ_CHECK(parse_size(s, &ref) == 0 && ref == v, "gnu size "
			   "\"%s\" = %" PRIu64 ", parse_size says otherwise", s,
			   v);
		return;
	}
	u = strchr("kmgtp", s[len - 1]);
	if (u == NULL || *u == '\0' || strchr(s, '.') != NULL)
		return;
	n = dec = bin = strtoull(s, NULL, 10);
	for (i = 0; i <= (int)(u - "kmgtp"); i++) {
		overflow |= __builtin_mul_overflow(dec, 1000, &dec);
		overflow |= __builtin_mul_overflow(bin, 1024, &bin);
	}
	FUZZ_CHECK(dec == v, "gnu size \"%s\" = %" PRIu64 ", not %" PRIu64
		   " x 1000^%d", s, v, n, (int)(u - "kmgtp") + 1);
	snprintf(text, sizeof(text), "%si", s);
	if (!overflow)
		FUZZ_CHECK(parse_gnu_size(text, &ref) == 0 && ref == bin,
			   "gnu size \"%s\" is not %" PRIu64, text, bin);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *z = memchr(data, 0, size);
	size_t len = z != NULL ? (size_t)(z - data) : size;
	char *s = fuzz_strndup(data, len);

	check_duration(s);
	check_size(s);
	check_number(s, z != NULL ? z + 1 : data + size,
		     z != NULL ? size - len - 1 : 0);
	check_signal(s);
	check_policy(s);
	check_termseq(s);
	check_gnu_size(s);
	free(s);
	return 0;
}
