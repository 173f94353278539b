/* libFuzzer target for the input splitter, lib/input: a file source split
 * into records (-d, -0, --colsep, --header :, -E, -r, --trim, --link,
 * --max-record), read the way mprun reads a file given with -a.
 *
 * Input: OPT DELIM FLAGS [COLSEP \0] [EOF \0] DATA
 *  OPT bits 0-1: the delimiter: 0 newline, 1 NUL (-0), 2 DELIM (-d), 3 tab;
 *      bit 2 --colsep (the pattern is the first part), bit 3 -E (the next
 *      part), bit 4 -r, bit 5 --trim l, bit 6 --trim r, bit 7 --max-record
 *      16;
 *  FLAGS bit 0 --header :, bit 1 a second source, a ::: list (bit 2: linked
 *      with :::+, bit 3: --link), bit 4 the data is also the second file
 *      source instead of the list (when it is at most 256 bytes), bit 5
 *      --shuf, bit 6 --skip-first-line, bit 7 (with -d) a delimiter of two
 *      bytes, DELIM then DELIM ^ 1.
 * The data is written to a file and read through input_add_file(), then
 * records are taken until the end or an error (a read that says EAGAIN is
 * retried: a regular file is always readable).
 *
 * Oracles (abort() on a violation):
 *  I1 a failure is EINVAL (a NUL in a record, the delimiter not NUL) or
 *     EMSGSIZE (longer than --max-record), with a message naming the
 *     source; never another errno, and it ends the input;
 *  I2 no value holds the delimiter (unless a ::: list is there: its
 *     values may); with --trim no value starts (l) or
 *     ends (r) with white space (perl's \s); a record has at least one value, and with no
 *     --colsep exactly one per source;
 *  I3 round trip: with one source and none of --colsep, -E, -r, --trim,
 *     --header, the records joined by the delimiter are the data up to the
 *     failure or the end (a final delimiter optional); with
 *     --skip-first-line, the data after its first record; with --shuf, the
 *     same records in some order (count, bytes and a sum of hashes);
 *  I4 it ends: at most (bytes + 2) x (values of the list + 1) records. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "input.h"
#define FUZZ_WANT_DIR /* a private directory for the input file */
#include "fuzz.h"

/* The next part of p[0..n) up to a NUL (or the end), moved past. */
static char *take_part(const uint8_t **p, size_t *n)
{
	const uint8_t *z = memchr(*p, 0, *n);
	size_t len = z != NULL ? (size_t)(z - *p) : *n;
	char *s = fuzz_strndup(*p, len);

	*p += len + (z != NULL);
	*n -= len + (z != NULL);
	return s;
}

static int is_blank(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

struct fcase {
	struct input_opts o;
	char dstr[2];		/* the delimiter's bytes (-d of two) */
	size_t dlen;		/* 1, or 2 */
	int header, list, list_linked, second_file, skip_first;
	char *colsep, *eof;
	const uint8_t *data;
	size_t size;
};

/* The first delimiter in d[0..n), or NULL. */
static const char *find_delim(const struct fcase *c, const char *d, size_t n)
{
	if (c->dlen > 1)
		return memmem(d, n, c->dstr, c->dlen);
	return memchr(d, c->o.delim, n);
}

/* I2 on one record. */
static void check_record(const struct fcase *c, const struct record *r)
{
	size_t i, len;

	FUZZ_CHECK(r->n >= 1, "a record with no value");
	if (c->colsep == NULL)
		FUZZ_CHECK(r->n == 1 + (size_t)(c->list || c->second_file),
			   "a record of %zu values without --colsep", r->n);
	for (i = 0; i < r->n; i++) {
		const char *v = r->v[i];

		len = strlen(v);
		if ((c->o.delim != '\0' || c->dlen > 1) && !c->list)
			FUZZ_CHECK(find_delim(c, v, len) == NULL,
				   "value %zu holds the delimiter 0x%02x", i,
				   (unsigned char)c->o.delim);
		if ((c->o.trim & INPUT_TRIM_LEFT) && len > 0)
			FUZZ_CHECK(!is_blank(v[0]), "--trim l left a blank");
		if ((c->o.trim & INPUT_TRIM_RIGHT) && len > 0)
			FUZZ_CHECK(!is_blank(v[len - 1]),
				   "--trim r left a blank");
	}
}

/* The data the records stand for: with --skip-first-line, what follows
 * the first delimiter (nothing if there is none). */
static void expected_data(const struct fcase *c, const char **d, size_t *n)
{
	const char *end;

	*d = (const char *)c->data;
	*n = c->size;
	if (!c->skip_first)
		return;
	end = find_delim(c, *d, *n);
	if (end == NULL) {
		*n = 0;
		return;
	}
	*n -= (size_t)(end + c->dlen - *d);
	*d = end + c->dlen;
}

/* I3: got (records joined) against the data. */
static void check_round_trip(const struct fcase *c, const struct buf *got,
			     int failed)
{
	const char *d;
	size_t n;

	expected_data(c, &d, &n);
	if (failed) {
		FUZZ_CHECK(got->len <= n &&
				   (got->len == 0 ||
				    memcmp(got->data, d, got->len) == 0),
			   "the records read before a failure are not a "
			   "prefix of the data");
		return;
	}
	if (n >= c->dlen && memcmp(d + n - c->dlen, c->dstr, c->dlen) == 0)
		n -= c->dlen;
	FUZZ_CHECK(got->len == n && (n == 0 || memcmp(got->data, d, n) == 0),
		   "the records joined (%zu bytes) are not the data (%zu)",
		   got->len, n);
}

/* A record's hash (FNV-1a), for comparing records in any order. */
static uint64_t record_hash(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037ull;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

/* The records of the data in any order: their count, bytes, hash sum. */
struct bag {
	unsigned long long count, bytes;
	uint64_t hashes;
};

static void bag_add(struct bag *b, const char *s, size_t len)
{
	b->count++;
	b->bytes += len;
	b->hashes += record_hash(s, len);
}

/* I3 with --shuf: the records read are the data's, in some order. */
static void check_shuffled(const struct fcase *c, const struct bag *got)
{
	struct bag want = {0, 0, 0};
	const char *d, *end;
	size_t n;

	expected_data(c, &d, &n);
	while (n > 0) {
		end = find_delim(c, d, n);
		if (end == NULL) {
			bag_add(&want, d, n);
			break;
		}
		bag_add(&want, d, (size_t)(end - d));
		n -= (size_t)(end + c->dlen - d);
		d = end + c->dlen;
	}
	FUZZ_CHECK(got->count == want.count && got->bytes == want.bytes &&
			   got->hashes == want.hashes,
		   "--shuf: %llu records of %llu bytes, the data has %llu "
		   "of %llu",
		   got->count, got->bytes, want.count, want.bytes);
}

static void run_case(struct fcase *c)
{
	static char *const list[] = {"a", " b c ", ""};
	struct input *in;
	struct record *r;
	struct buf joined = BUF_INIT;
	char err[256];
	const char *path;
	unsigned long long count = 0, limit, eagain = 0;
	struct bag bag = {0, 0, 0};
	int rc, failed = 0, plain;

	plain = c->colsep == NULL && c->eof == NULL && !c->o.skip_blank &&
		!c->o.trim && !c->header && !c->list && !c->second_file;
	limit = (c->size + 2) * (c->second_file ? c->size + 2 : 4);
	path = fuzz_write_file(c->data, c->size);
	if (path == NULL)
		return;
	in = input_new(&c->o, err, sizeof(err));
	if (in == NULL) {
		FUZZ_CHECK(errno == EINVAL && c->colsep != NULL && err[0] != '\0',
			   "input_new failed: errno %d", errno);
		return;
	}
	if (input_add_file(in, path, 0) == -1 ||
	    (c->list && input_add_list(in, list, 3, c->list_linked) == -1) ||
	    (c->second_file && input_add_file(in, path, c->list_linked) == -1))
		FUZZ_FAIL("adding the sources failed: errno %d", errno);
	if (c->skip_first && input_skip_first(in) == -1) {
		FUZZ_CHECK(errno == EINVAL || errno == EMSGSIZE,
			   "input_skip_first failed with errno %d", errno);
		failed = 1;
	}
	if (c->header) {
		char **names = NULL;
		size_t nnames = 0, i;

		rc = input_header(in, &names, &nnames);
		if (rc == -1)
			failed = 1;
		for (i = 0; i < nnames; i++)
			free(names[i]);
		free(names);
	}
	while (!failed) {
		errno = 0;
		rc = input_next(in, &r);
		if (rc == 0)
			break;
		if (rc == -1 && errno == EAGAIN) {
			FUZZ_CHECK(++eagain < 1000000, "EAGAIN forever");
			continue;
		}
		if (rc == -1) {
			FUZZ_CHECK(errno == EINVAL || errno == EMSGSIZE,
				   "input_next failed with errno %d", errno);
			FUZZ_CHECK(input_error(in) != NULL &&
					   strncmp(input_error(in), path,
						   strlen(path)) == 0,
				   "an error without the source's name: %s",
				   input_error(in) ? input_error(in) : "NULL");
			failed = 1;
			break;
		}
		check_record(c, r);
		if (plain && c->o.shuffle) {
			bag_add(&bag, r->v[0], strlen(r->v[0]));
		} else if (plain) {
			if (count > 0)
				buf_append(&joined, c->dstr, c->dlen);
			buf_append_str(&joined, r->v[0]);
		}
		record_free(r);
		FUZZ_CHECK(++count <= limit, "more than %llu records", limit);
	}
	if (plain && c->o.shuffle && !failed)
		check_shuffled(c, &bag);
	else if (plain && !c->o.shuffle)
		check_round_trip(c, &joined, failed);
	buf_free(&joined);
	input_free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fcase c;
	uint8_t opt, flags;

	if (size < 3)
		return 0;
	memset(&c, 0, sizeof(c));
	opt = data[0];
	flags = data[2];
	switch (opt & 3) {
	case 0: c.o.delim = '\n'; break;
	case 1: c.o.delim = '\0'; break;
	case 2: c.o.delim = data[1]; break;
	default: c.o.delim = '\t'; break;
	}
	c.dstr[0] = (char)c.o.delim;
	c.dlen = 1;
	if ((opt & 3) == 2 && (flags & 128)) { /* -d of two bytes */
		c.dstr[1] = (char)(data[1] ^ 1);
		c.dlen = 2;
		c.o.delims = c.dstr;
		c.o.ndelims = 2;
	}
	data += 3;
	size -= 3;
	if (opt & 4)
		c.colsep = take_part(&data, &size);
	if (opt & 8)
		c.eof = take_part(&data, &size);
	c.o.colsep = c.colsep;
	c.o.eof_str = c.eof;
	c.o.skip_blank = (opt & 16) != 0;
	c.o.trim = (opt & 32 ? INPUT_TRIM_LEFT : 0) |
		   (opt & 64 ? INPUT_TRIM_RIGHT : 0);
	c.o.max_record = opt & 128 ? 16 : 0;
	c.header = flags & 1;
	c.list = (flags & 2) != 0 && (flags & 16) == 0;
	/* two files crossed: size^2 records, kept small */
	c.second_file = (flags & 2) != 0 && (flags & 16) != 0 && size <= 259;
	c.list_linked = (flags & 4) != 0;
	c.o.shuffle = (flags & 32) != 0;
	c.skip_first = (flags & 64) != 0 && !c.header;
	c.o.link = (flags & 8) != 0;
	c.data = data;
	c.size = size;
	run_case(&c);
	free(c.colsep);
	free(c.eof);
	return 0;
}
