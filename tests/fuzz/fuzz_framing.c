/* libFuzzer target for the worker framing of lib/wpool (wpool_frame_parse,
 * wpool_frame_encode): line, nul and len records.
 *
 * Input: CTRL PAYLOAD. CTRL bits 0-1 pick the framing (3: len). PAYLOAD is
 * used twice: as a stream a worker wrote (parsed record after record), and
 * as the bytes of records the pool sends (encoded, then parsed back).
 *
 * Oracles (abort() on a violation):
 *  P1 a stream parses into records that stay inside it: start + len <= used
 *     <= the bytes left, used > 0; a line/nul record holds no delimiter and
 *     its delimiter follows it; a len record's header is its length in
 *     decimal, 1-18 digits; a failure is EPROTO (len) or EMSGSIZE, never
 *     a wrong record;
 *  P2 0 ("no whole record yet") on a prefix of a stream is never followed
 *     by a record the prefix already held: parsing byte by byte and parsing
 *     the whole agree on the first record;
 *  E1 encode refuses (EINVAL) exactly a payload the framing cannot carry
 *     (a newline for line, a NUL for nul), else its output parses back to
 *     the payload, using every byte;
 *  E2 two records encoded back to back parse back as the two, in order;
 *     every proper prefix of an encoded record parses as 0 (incomplete). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "wpool.h"
#include "fuzz.h"

static const char *const names[] = {"line", "nul", "len"};

/* P1 on the first record of p[0..n); returns parse's result. */
static int parse_checked(enum wpool_framing f, const char *p, size_t n,
			 size_t *start, size_t *len, size_t *used)
{
	size_t i;
	int rc;

	errno = 0;
	rc = wpool_frame_parse(f, p, n, start, len, used);
	if (rc == -1) {
		FUZZ_CHECK(errno == EMSGSIZE || (f == WPOOL_LEN &&
						 errno == EPROTO),
			   "%s: parse failed with errno %d", names[f], errno);
		return rc;
	}
	FUZZ_CHECK(rc == 0 || rc == 1, "%s: parse returned %d", names[f], rc);
	if (rc == 0)
		return rc;
	FUZZ_CHECK(*used > 0 && *used <= n && *start + *len <= *used,
		   "%s: record [%zu, +%zu) using %zu of %zu bytes", names[f],
		   *start, *len, *used, n);
	if (f != WPOOL_LEN) {
		char d = f == WPOOL_LINE ? '\n' : '\0';

		FUZZ_CHECK(*start == 0 && *used == *len + 1 && p[*len] == d &&
				   memchr(p, d, *len) == NULL,
			   "%s: the record is not the bytes before the first "
			   "delimiter", names[f]);
	} else {
		size_t v = 0;

		FUZZ_CHECK(*start >= 2 && *start <= 19 && p[*start - 1] == '\n',
			   "len: header of %zu bytes", *start);
		for (i = 0; i + 1 < *start; i++) {
			FUZZ_CHECK(p[i] >= '0' && p[i] <= '9',
				   "len: a header byte 0x%02x",
				   (unsigned char)p[i]);
			v = v * 10 + (size_t)(p[i] - '0');
		}
		FUZZ_CHECK(v == *len && *used == *start + *len,
			   "len: header says %zu, record is %zu", v, *len);
	}
	return rc;
}

/* P1, P2 over the whole stream. */
static void parse_stream(enum wpool_framing f, const char *p, size_t n)
{
	size_t start, len, used, s2, l2, u2, k;
	int rc;

	while (n > 0) {
		rc = parse_checked(f, p, n, &start, &len, &used);
		/* P2: the shortest prefix that gives a record gives this one */
		for (k = 1; k < n && k <= 64; k++) {
			int r2 = wpool_frame_parse(f, p, k, &s2, &l2, &u2);

			if (r2 == 1) {
				FUZZ_CHECK(rc == 1 && s2 == start &&
						   l2 == len && u2 == used,
					   "%s: a prefix of %zu bytes parses "
					   "as another record", names[f], k);
				break;
			}
			if (r2 == -1)
				break;
		}
		if (rc != 1)
			return;
		p += used;
		n -= used;
	}
}

/* E1, E2. */
static void round_trip(enum wpool_framing f, const char *p, size_t n)
{
	struct buf b = BUF_INIT;
	char d = f == WPOOL_LINE ? '\n' : '\0';
	int carriable = f == WPOOL_LEN || memchr(p, d, n) == NULL;
	size_t start, len, used, half = n / 2, k, first;
	int rc;

	errno = 0;
	rc = wpool_frame_encode(f, p, n, &b);
	if (!carriable) {
		FUZZ_CHECK(rc == -1 && errno == EINVAL && b.len == 0,
			   "%s: encode took a payload with its delimiter",
			   names[f]);
		goto out;
	}
	FUZZ_CHECK(rc == 0, "%s: encode refused %zu bytes (errno %d)",
		   names[f], n, errno);
	rc = parse_checked(f, b.data, b.len, &start, &len, &used);
	FUZZ_CHECK(rc == 1 && used == b.len && len == n &&
			   memcmp(b.data + start, p, n) == 0,
		   "%s: %zu bytes encoded do not parse back", names[f], n);
	for (k = 0; k < b.len && k < 256; k++)
		FUZZ_CHECK(wpool_frame_parse(f, b.data, k, &start, &len,
					     &used) == 0,
			   "%s: a prefix of %zu of %zu bytes is not incomplete",
			   names[f], k, b.len);
	/* E2: the first half and the second as two records */
	buf_reset(&b);
	FUZZ_CHECK(wpool_frame_encode(f, p, half, &b) == 0 &&
			   wpool_frame_encode(f, p + half, n - half, &b) == 0,
		   "%s: encode refused a part", names[f]);
	rc = parse_checked(f, b.data, b.len, &start, &len, &used);
	FUZZ_CHECK(rc == 1 && len == half && memcmp(b.data + start, p, half) == 0,
		   "%s: first of two records", names[f]);
	first = used;
	rc = parse_checked(f, b.data + first, b.len - first, &start, &len,
			   &used);
	FUZZ_CHECK(rc == 1 && len == n - half && first + used == b.len &&
			   memcmp(b.data + first + start, p + half, n - half) ==
				   0,
		   "%s: second of two records", names[f]);
out:
	buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum wpool_framing f;
	const char *p = (const char *)data + 1;

	if (size == 0)
		return 0;
	switch (data[0] & 3) {
	case 0: f = WPOOL_LINE; break;
	case 1: f = WPOOL_NUL; break;
	default: f = WPOOL_LEN; break;
	}
	parse_stream(f, p, size - 1);
	round_trip(f, p, size - 1);
	return 0;
}
