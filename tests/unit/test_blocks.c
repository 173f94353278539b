/* Unit tests for lib/blocks: every cut compared with a naive splitter. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "blocks.h"
#include "unit.h"

#define MAXB 256

/* Where the blocks of a run end (offsets), and how many. */
struct cuts {
	size_t n;
	size_t end[MAXB];
};

/* Is there a boundary at p of data (n bytes)? */
static int naive_at(const char *d, size_t n, size_t p, const char *e,
		    const char *s)
{
	size_t el = strlen(e), sl = strlen(s);

	return p > 0 && p >= el && p + sl <= n &&
	       memcmp(d + p - el, e, el) == 0 && memcmp(d + p, s, sl) == 0;
}

/* The last boundary in [lo, hi] of data, or 0. */
static size_t naive_last(const char *d, size_t n, size_t lo, size_t hi,
			 const char *e, const char *s)
{
	size_t p;

	for (p = hi; p >= lo && p > 0; p--)
		if (naive_at(d, n, p, e, s))
			return p;
	return 0;
}

/* GNU parallel's block size after a record longer than bs: ceil(1.3 bs +
 * 1). */
static size_t gnu_grow(size_t bs)
{
	return bs + (3 * bs + 9) / 10 + 1;
}

/* --pipe by size, naively: the last boundary within the block size from
 * the block's start; none: the block size grows (gnu_grow), for the later
 * blocks too, and the block looks on. */
static void naive_size(const char *d, size_t n, size_t bs, const char *e,
		       const char *s, struct cuts *c)
{
	size_t pos = 0, want, from, p, sl = strlen(s);

	c->n = 0;
	while (pos < n) {
		want = bs;
		from = pos + 1;
		for (;;) {
			if (n - pos < want) {
				p = n;
				break;
			}
			p = pos + want >= sl + from
				    ? naive_last(d, n, from, pos + want - sl, e, s)
				    : 0;
			if (p != 0)
				break;
			if (pos + want + 1 > sl + from)
				from = pos + want + 1 - sl;
			want = bs = gnu_grow(bs);
		}
		c->end[c->n++] = p;
		pos = p;
	}
}

/* -N k, naively: after the k-th boundary, counting those whose recend
 * starts past the block's first byte (GNU parallel: a blank line that
 * starts a block goes with the next record). */
static void naive_count(const char *d, size_t n, size_t k, const char *e,
			const char *s, struct cuts *c)
{
	size_t pos = 0, p, seen;

	c->n = 0;
	while (pos < n) {
		for (p = pos + strlen(e) + 1, seen = 0; p <= n; p++)
			if (naive_at(d, n, p, e, s) && ++seen == k)
				break;
		if (p > n)
			p = n;
		c->end[c->n++] = p;
		pos = p;
	}
}

/* -L k by size, naively: in each block size, after the last line whose
 * number from the block's start is a multiple of k (none: the block size
 * grows, as in naive_size); the rest at the end. */
static void naive_lines(const char *d, size_t n, size_t bs, size_t k,
			struct cuts *c)
{
	size_t pos = 0, want, p, q, seen;

	c->n = 0;
	while (pos < n) {
		for (want = bs;; want = bs = gnu_grow(bs)) {
			for (p = 0, seen = 0, q = pos;
			     q < n && q < pos + want; q++)
				if (d[q] == '\n' && ++seen % k == 0)
					p = q + 1;
			if (p == 0 && n - pos <= want)
				p = n;
			if (p != 0)
				break;
		}
		c->end[c->n++] = p;
		pos = p;
	}
}

/* --pipepart, naively (GNU parallel's cut): the first boundary whose end
 * string starts at or after each nominal cut. */
static void naive_file(const char *d, size_t n, size_t bs, const char *e,
		       const char *s, struct cuts *c)
{
	size_t pos = 0, p;

	c->n = 0;
	while (pos < n) {
		for (p = pos + bs + strlen(e); p < n; p++)
			if (naive_at(d, n, p, e, s))
				break;
		if (p > n)
			p = n;
		c->end[c->n++] = p;
		pos = p;
	}
}

/* A descriptor reading data: a pipe (splice) or a memfd (read/write). */
static int source(const char *d, size_t n, int as_pipe)
{
	int p[2], fd;

	if (!as_pipe) {
		fd = memfd_create("t", 0);
		if (write(fd, d, n) != (ssize_t)n)
			return -1;
		lseek(fd, 0, SEEK_SET);
		return fd;
	}
	if (pipe(p) == -1 || write(p[1], d, n) != (ssize_t)n)
		return -1;
	close(p[1]);
	return p[0];
}

/* Run the splitter over data; the cuts and whether the bytes are the
 * input's. 0, or -1 on an error. */
static int run(struct blocks *b, const char *d, size_t n, struct cuts *c)
{
	char got[4096];
	size_t pos = 0;
	ssize_t r;
	int fd, rc;

	c->n = 0;
	while ((rc = blocks_next(b, &fd)) == 1) {
		r = read(fd, got, sizeof(got));
		close(fd);
		if (r <= 0 || pos + (size_t)r > n ||
		    memcmp(got, d + pos, (size_t)r) != 0 || c->n == MAXB)
			return -1;
		pos += (size_t)r;
		c->end[c->n++] = pos;
	}
	return rc == 0 && pos == n ? 0 : -1;
}

/* The two lists of cuts are the same. */
static int same(const struct cuts *a, const struct cuts *b)
{
	return a->n == b->n &&
	       memcmp(a->end, b->end, a->n * sizeof(a->end[0])) == 0;
}

/* Cut d with o (file mode: in a file only; else from a pipe and from a
 * file) for windows 1..4 and the default, with and without pipe_blocks;
 * the runs whose cuts are not want's. */
static int agree_with(const char *d, struct blocks_opts *o, int file_mode,
		      const struct cuts *want)
{
	static const size_t windows[] = {1, 2, 3, 4, 0};
	struct cuts got;
	size_t n = strlen(d), w;
	struct blocks *b;
	int as_pipe, fd, bad = 0;

	for (w = 0; w < 10; w++) {
		o->window = windows[w % 5];
		o->pipe_blocks = w >= 5; /* blocks as pipes where they can be */
		for (as_pipe = 0; as_pipe <= !file_mode; as_pipe++) {
			fd = source(d, n, as_pipe);
			b = file_mode ? blocks_new_file(fd, o, 0)
				      : blocks_new_stream(fd, o);
			if (b == NULL || run(b, d, n, &got) == -1 ||
			    !same(want, &got))
				bad++;
			blocks_free(b);
			close(fd);
		}
	}
	return bad;
}

/* mode 0: by size, 1: -N, 2: file. Compare with the naive splitter; 0 if
 * all agree. */
static int agree(const char *d, const char *e, const char *s, size_t bs,
		 int mode)
{
	struct blocks_opts o = {.block = bs, .recend = e, .recstart = s};
	struct cuts want;
	size_t n = strlen(d);
	const char *ne = e != NULL ? e : s != NULL ? "" : "\n";
	const char *ns = s != NULL ? s : "";

	if (mode == 0)
		naive_size(d, n, bs, ne, ns, &want);
	else if (mode == 1)
		naive_count(d, n, bs, ne, ns, &want);
	else
		naive_file(d, n, bs, ne, ns, &want);
	if (mode == 1)
		o.nrecords = bs;
	return agree_with(d, &o, mode == 2, &want);
}

/* One newline at every position, then two, for every block size. */
static void test_every_position(void)
{
	char d[13];
	size_t i, j, bs;
	int bad = 0, mode;

	for (mode = 0; mode < 3; mode++)
		for (i = 0; i < 12; i++)
			for (j = i; j < 12; j++)
				for (bs = 1; bs <= 13; bs++) {
					memset(d, 'x', 12);
					d[12] = '\0';
					d[i] = d[j] = '\n';
					bad += agree(d, NULL, NULL, bs, mode);
				}
	CHECK_INT(bad, 0);
}

/* Lines of many lengths, with and without a final newline. */
static void test_lines(void)
{
	const char *in[] = {"a\nbb\nccc\ndddd\neeeee\n", "a\nbb\nccc\ndddd",
			    "\n\n\n\n", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n",
			    "one long record here\nx\n"};
	size_t i, bs;
	int bad = 0, mode;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		for (bs = 1; bs <= 24; bs++)
			for (mode = 0; mode < 3; mode++)
				bad += agree(in[i], NULL, NULL, bs, mode);
	CHECK_INT(bad, 0);
}

/* FASTA-like records: recstart ">", recend "\n" and "" (recstart only). */
static void test_recstart(void)
{
	const char *fa = ">a\nACGT\nAC\n>b\nGG\n>c\nTTTTTTTT\nA\n>d\n";
	const char *ends[] = {"\n", NULL, "T\n"};
	size_t i, bs;
	int bad = 0, mode;

	for (i = 0; i < 3; i++)
		for (bs = 1; bs <= 40; bs++)
			for (mode = 0; mode < 3; mode++)
				bad += agree(fa, ends[i], ">", bs, mode);
	CHECK_INT(bad, 0);
	/* every block of --recstart '>' starts with '>' */
	{
		struct blocks_opts o = {.block = 5, .recstart = ">"};
		struct cuts c;
		int fd = source(fa, strlen(fa), 1);
		struct blocks *b = blocks_new_stream(fd, &o);

		CHECK(b != NULL && run(b, fa, strlen(fa), &c) == 0);
		CHECK_INT(c.n, 4);
		CHECK_INT(c.end[0], 11);
		blocks_free(b);
		close(fd);
	}
}

/* A two-byte recend, and no separator at all (fixed-size blocks). */
static void test_other_separators(void)
{
	const char *d = "xxabyyyabzabab";
	size_t bs;
	int bad = 0, mode;

	for (bs = 1; bs <= 15; bs++)
		for (mode = 0; mode < 3; mode++) {
			bad += agree(d, "ab", NULL, bs, mode);
			bad += agree(d, "", "", bs, mode);
			bad += agree(d, "ab", "ab", bs, mode);
		}
	CHECK_INT(bad, 0);
}

/* A record longer than the block stays whole. */
static void test_long_record(void)
{
	char d[300];
	struct blocks_opts o = {.block = 10};
	struct cuts c;
	struct blocks *b;
	int fd;

	memset(d, 'L', sizeof(d));
	memcpy(d, "a\nb\n", 4);
	d[250] = '\n';
	memcpy(d + 251, "c\nd\n", 4);
	d[255] = '\0';
	fd = source(d, 255, 1);
	b = blocks_new_stream(fd, &o);
	CHECK(b != NULL && run(b, d, 255, &c) == 0);
	/* the block size grows to 307 (GNU parallel: 10, 14, 19, ... 235,
	 * 307), which holds the rest: the long record, "c\n" and "d\n" */
	CHECK_INT(c.n, 2);
	CHECK_INT(c.end[0], 4);
	CHECK_INT(c.end[1], 255);
	blocks_free(b);
	close(fd);
	CHECK_INT(agree(d, NULL, NULL, 10, 0), 0);
	CHECK_INT(agree(d, NULL, NULL, 10, 2), 0);
}

/* Empty input: no block at all; bad options refused. */
static void test_empty_and_errors(void)
{
	struct blocks_opts o = {.block = 10}, zero = {.block = 0};
	struct blocks *b;
	int fd = source("", 0, 1), out, p[2];

	b = blocks_new_stream(fd, &o);
	CHECK(b != NULL && blocks_next(b, &out) == 0);
	CHECK_INT(blocks_count(b), 0);
	blocks_free(b);
	close(fd);
	errno = 0;
	fd = source("", 0, 1);
	CHECK(blocks_new_stream(fd, &zero) == NULL && errno == EINVAL);
	CHECK(blocks_new_file(fd, &o, 0) == NULL && errno == ESPIPE);
	close(fd);
	/* an open pipe with nothing in it: EAGAIN and its descriptor */
	CHECK(pipe(p) == 0);
	b = blocks_new_stream(p[0], &o);
	CHECK(b != NULL && blocks_next(b, &out) == -1 && errno == EAGAIN);
	CHECK_INT(blocks_poll_fd(b), p[0]);
	CHECK(write(p[1], "abc\n", 4) == 4);
	close(p[1]);
	CHECK(blocks_next(b, &out) == 1);
	close(out);
	CHECK(blocks_next(b, &out) == 0);
	blocks_free(b);
	close(p[0]);
}

/* --block -N: the file in about N parts. */
static void test_file_parts(void)
{
	const char *d = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n";
	struct blocks_opts o = {.block = 0};
	struct cuts c;
	struct blocks *b;
	int fd = source(d, strlen(d), 0);

	b = blocks_new_file(fd, &o, 3);
	CHECK(b != NULL && run(b, d, strlen(d), &c) == 0);
	CHECK_INT(c.n, 3);
	blocks_free(b);
	close(fd);
}

/* The blocks of b joined by '|' into out (cap bytes); -1 on an error. */
static int joined(struct blocks *b, char *out, size_t cap)
{
	size_t len = 0;
	ssize_t r;
	int fd, rc;

	out[0] = '\0';
	while ((rc = blocks_next(b, &fd)) == 1) {
		if (len > 0 && len + 1 < cap)
			out[len++] = '|';
		r = read(fd, out + len, cap - len - 1);
		close(fd);
		if (r < 0)
			return -1;
		len += (size_t)r;
		out[len] = '\0';
	}
	return rc;
}

/* Cut d (from a pipe and a file) with o; the blocks joined by '|'. */
static int cut(const struct blocks_opts *o, const char *d, int file,
	       char *out, size_t cap)
{
	int fd = source(d, strlen(d), !file), rc = -1;
	struct blocks *b = file ? blocks_new_file(fd, o, 0)
				: blocks_new_stream(fd, o);

	if (b != NULL)
		rc = joined(b, out, cap);
	blocks_free(b);
	close(fd);
	return rc;
}

/* --regexp: patterns that say what strings say cut the same. */
static void test_regexp(void)
{
	static const char *const data[] = {
		"a\nbb\nccc\ndddd\n", ">a\nAC\n>b\nGT\n>c\nTT\n",
		"x1yx2yzx3y", ">>a\n>b\n",
	};
	struct blocks_opts lit = {.block = 3}, re = {.block = 3, .regexp = 1};
	char a[256], b[256];
	size_t i;
	int file;

	for (i = 0; i < 2; i++) {
		lit.recstart = i == 1 ? ">" : NULL;
		re.recstart = i == 1 ? ">" : NULL;
		re.recend = i == 1 ? NULL : "\\n";
		for (file = 0; file <= 1; file++) {
			CHECK(cut(&lit, data[i], file, a, sizeof(a)) == 0);
			CHECK(cut(&re, data[i], file, b, sizeof(b)) == 0);
			CHECK_STR(a, b);
		}
	}
	re.recend = "y";
	re.recstart = "x\\d";
	re.block = 1;
	CHECK(cut(&re, data[2], 0, b, sizeof(b)) == 0);
	CHECK_STR(b, "x1y|x2yzx3y");
	re.recend = "\\n";
	re.recstart = ">+";
	re.remove_sep = 1;
	CHECK(cut(&re, data[3], 0, b, sizeof(b)) == 0);
	CHECK_STR(b, "a|b");
	CHECK(cut(&re, data[3], 1, b, sizeof(b)) == 0);
	CHECK_STR(b, "a|b");
	/* -N --regexp (GNU parallel): what comes before the first record
	 * start is a block of its own; from the start, none */
	re = (struct blocks_opts){.block = 1, .regexp = 1, .nrecords = 2,
				  .recstart = ">", .recend = ""};
	CHECK(cut(&re, "aa>b>c>d", 0, b, sizeof(b)) == 0);
	CHECK_STR(b, "aa|>b>c|>d");
	CHECK(cut(&re, ">a>b>c>d", 0, b, sizeof(b)) == 0);
	CHECK_STR(b, ">a>b|>c>d");
}

/* Escapes, --rrs and --header on strings. */
static void test_escapes_rrs_header(void)
{
	struct blocks_opts o = {.block = 1, .recend = "\\0"};
	char out[256];
	int file;

	for (file = 0; file <= 1; file++) {
		CHECK(cut(&o, "a\0b\0", file, out, sizeof(out)) == 0);
		CHECK_STR(out, "a"); /* joined stops at the NUL */
	}
	o.recend = "\\t";
	CHECK(cut(&o, "a\tb\t", 0, out, sizeof(out)) == 0);
	CHECK_STR(out, "a\t|b\t");
	o.remove_sep = 1;
	CHECK(cut(&o, "a\tb\tc", 0, out, sizeof(out)) == 0);
	CHECK_STR(out, "a|b|c");
	o.recend = NULL;
	o.recstart = ">";
	o.block = 7;
	CHECK(cut(&o, ">a\n>b\n>c\n", 0, out, sizeof(out)) == 0);
	CHECK_STR(out, "a\nb\n|c\n");
	o = (struct blocks_opts){.block = 4, .header = ":"};
	CHECK(cut(&o, "h\n1\n2\n3\n", 0, out, sizeof(out)) == 0);
	CHECK_STR(out, "h\n1\n2\n|h\n3\n");
	/* --pipepart cuts after the end string found from the nominal cut */
	CHECK(cut(&o, "h\n1\n2\n3\n", 1, out, sizeof(out)) == 0);
	CHECK_STR(out, "h\n1\n2\n3\n");
	CHECK(cut(&o, "h\n1\n2\n3\n4\n5\n", 1, out, sizeof(out)) == 0);
	CHECK_STR(out, "h\n1\n2\n3\n|h\n4\n5\n");
	o.header = "2";
	CHECK(cut(&o, "h\ng\n1\n2\n", 0, out, sizeof(out)) == 0);
	CHECK_STR(out, "h\ng\n1\n2\n");
	o.header = "[a-z]+\\n";
	CHECK(cut(&o, "hh\n1\n", 1, out, sizeof(out)) == 0);
	CHECK_STR(out, "hh\n1\n");
	o.header = "0";
	CHECK(cut(&o, "h\n1\n", 0, out, sizeof(out)) == 0);
	CHECK_STR(out, "h\n1\n");
	/* a pattern that cannot match, or matches nothing: no header, and
	 * the input is not read on for one */
	o.header = "ZZ";
	CHECK(cut(&o, "h\n1\n", 0, out, sizeof(out)) == 0);
	CHECK_STR(out, "h\n1\n");
	o.header = "x*";
	CHECK(cut(&o, "h\n1\n", 1, out, sizeof(out)) == 0);
	CHECK_STR(out, "h\n1\n");
}

/* Counts the calls of grew. */
static void count_grew(void *data)
{
	++*(int *)data;
}

/* A record longer than the block: grew once; longer than max_block: an
 * error. Wrong patterns are refused with a message naming the option. */
static void test_max_and_check(void)
{
	int grew = 0;
	struct blocks_opts o = {.block = 2, .max_block = 8,
				.grew = count_grew, .grew_data = &grew};
	char out[256];

	CHECK(cut(&o, "aaaaa\nbbbbbb\nc\n", 0, out, sizeof(out)) == 0);
	CHECK_STR(out, "aaaaa\n|bbbbbb\n|c\n");
	CHECK_INT(grew, 1);
	errno = 0;
	CHECK(cut(&o, "a\nbbbbbbbbbbbb\n", 0, out, sizeof(out)) == -1 &&
	      errno == EMSGSIZE);
	errno = 0;
	CHECK(cut(&o, "a\nbbbbbbbbbbbb\n", 1, out, sizeof(out)) == -1 &&
	      errno == EMSGSIZE);
	o = (struct blocks_opts){.block = 1, .regexp = 1, .recend = "("};
	CHECK(blocks_check(&o, out, sizeof(out)) == -1 && errno == EINVAL);
	CHECK(strncmp(out, "--recend: \"(\" is not a pattern", 30) == 0);
	o = (struct blocks_opts){.block = 1, .header = "a["};
	CHECK(blocks_check(&o, out, sizeof(out)) == -1);
	CHECK(strncmp(out, "--header: \"a[\" is not a pattern", 31) == 0);
	o.header = ":";
	CHECK(blocks_check(&o, out, sizeof(out)) == 0);
}

/* -L k (GNU parallel's --pipe -L): blocks of whole k-line records by
 * size, the last lines apart; with -N m, m × k records of recend. */
static void test_max_lines(void)
{
	const char *in[] = {"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "a\nbb\n\nccc",
			    "x\n", "long line one\ns\n\nt\nu\n"};
	const char *recs = "axbxcxdxexfxg";
	struct blocks_opts o;
	struct cuts want;
	size_t i, bs, k;
	int bad = 0, grew = 0;
	char out[256];

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		for (k = 1; k <= 4; k++)
			for (bs = 1; bs <= 24; bs++) {
				o = (struct blocks_opts){.block = bs,
							 .lines = k,
							 .recend = "x",
							 .regexp = 1};
				naive_lines(in[i], strlen(in[i]), bs, k, &want);
				bad += agree_with(in[i], &o, 0, &want);
			}
	/* -N 2 -L 2 --recend x: four records a block */
	naive_count(recs, strlen(recs), 4, "x", "", &want);
	o = (struct blocks_opts){.block = 1, .nrecords = 2, .lines = 2,
				 .recend = "x"};
	bad += agree_with(recs, &o, 0, &want);
	CHECK_INT(bad, 0);
	/* seq 10 | parallel --pipe -L 3: 1-9, then 10 */
	o = (struct blocks_opts){.block = 1 << 20, .lines = 3};
	CHECK(cut(&o, in[0], 0, out, sizeof(out)) == 0);
	CHECK_STR(out, "1\n2\n3\n4\n5\n6\n7\n8\n9\n|10\n");
	/* --block 5: a 3-line record is longer, the block grows (once told) */
	o = (struct blocks_opts){.block = 5, .lines = 3, .grew = count_grew,
				 .grew_data = &grew};
	CHECK(cut(&o, in[0], 0, out, sizeof(out)) == 0);
	CHECK_STR(out, "1\n2\n3\n|4\n5\n6\n|7\n8\n9\n|10\n");
	CHECK_INT(grew, 1);
	/* refused: in file mode, and -N × -L past SIZE_MAX */
	{
		int fd = source("a\n", 2, 0);

		errno = 0;
		CHECK(blocks_new_file(fd, &o, 0) == NULL && errno == EINVAL);
		o = (struct blocks_opts){.block = 1, .nrecords = SIZE_MAX / 2,
					 .lines = 3};
		errno = 0;
		CHECK(blocks_new_stream(fd, &o) == NULL && errno == EINVAL);
		close(fd);
	}
}

/* The bytes of input in the blocks so far, and in all once known: a
 * stream's at its end, a file's at once; the header is not counted. */
static void test_bytes(void)
{
	const char *d = "h\n1\n22\n333\n";
	struct blocks_opts o = {.block = 4, .header = ":"};
	uint64_t total = 0;
	struct blocks *b;
	int fd, out, as_file;

	for (as_file = 0; as_file <= 1; as_file++) {
		fd = source(d, strlen(d), !as_file);
		b = as_file ? blocks_new_file(fd, &o, 0)
			    : blocks_new_stream(fd, &o);
		CHECK(b != NULL);
		CHECK_INT(blocks_total(b, &total), as_file);
		CHECK(blocks_next(b, &out) == 1);
		close(out);
		CHECK_INT(blocks_bytes(b), as_file ? 5 : 2); /* "1\n22\n" */
		while (blocks_next(b, &out) == 1)
			close(out);
		CHECK_INT(blocks_bytes(b), 9);
		CHECK(blocks_total(b, &total) == 1 && total == 9);
		blocks_free(b);
		close(fd);
	}
}

/* The kinds of descriptor of the blocks of d from a pipe, "p" for a pipe
 * and "m" for a memfd, into kinds. */
static void kinds_of(const char *d, struct blocks_opts *o, char *kinds)
{
	int fd = source(d, strlen(d), 1), out;
	struct blocks *b = blocks_new_stream(fd, o);
	struct stat st;

	*kinds = '\0';
	while (b != NULL && blocks_next(b, &out) == 1) {
		fstat(out, &st);
		strcat(kinds, S_ISFIFO(st.st_mode) ? "p" : "m");
		close(out);
	}
	blocks_free(b);
	close(fd);
}

/* pipe_blocks: blocks are pipes while their last boundary is in the
 * window read; then memfds; never with -N, --rrs, a header, a file. */
static void test_pipe_blocks(void)
{
	struct blocks_opts o = {.block = 6, .window = 3, .pipe_blocks = 1};
	char kinds[64];

	kinds_of("1\n2\n3\n4\n5\n6\n7\n", &o, kinds);
	CHECK_STR(kinds, "ppp");
	/* "4\nl", then "ong": no boundary in the window */
	kinds_of("1\n2\n3\n4\nlong record\n5\n6\n", &o, kinds);
	CHECK_STR(kinds, "pmmm");
	o.remove_sep = 1;
	kinds_of("1\n2\n3\n4\n5\n6\n7\n", &o, kinds);
	CHECK_STR(kinds, "mmm");
	o = (struct blocks_opts){.block = 6, .pipe_blocks = 1, .header = ":"};
	kinds_of("h\n1\n2\n3\n4\n", &o, kinds);
	CHECK_STR(kinds, "mm");
	o = (struct blocks_opts){.block = 6, .pipe_blocks = 1, .nrecords = 2};
	kinds_of("1\n2\n3\n4\n", &o, kinds);
	CHECK_STR(kinds, "mm");
	o = (struct blocks_opts){.block = 6};
	kinds_of("1\n2\n3\n4\n5\n6\n7\n", &o, kinds);
	CHECK_STR(kinds, "mmm");
}

int main(void)
{
	test_every_position();
	test_lines();
	test_recstart();
	test_other_separators();
	test_long_record();
	test_max_lines();
	test_bytes();
	test_pipe_blocks();
	test_empty_and_errors();
	test_file_parts();
	test_regexp();
	test_escapes_rrs_header();
	test_max_and_check();
	return UNIT_DONE();
}
