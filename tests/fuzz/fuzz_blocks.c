/* libFuzzer target for lib/blocks: cutting a stream or a file into blocks
 * of whole records (--pipe, --pipepart).
 *
 * Input: C0 C1 C2 C3 C4 DATA (up to 8 KiB of DATA).
 *  C0 bit 0: file mode (blocks_new_file), else a stream; bit 1 (stream):
 *     from a pipe holding DATA (its writer closed), else from a memfd;
 *     bit 2 (pipe): pipe_blocks; bit 3: remove_sep (--rrs); bits 4-5: no
 *     header, ":", "2" (lines), a pattern ("h[a-z]*\n").
 *  C1 block size 1..64; C2 window 1..32 (below 16: as the unit tests do,
 *     else 64 KiB, the default); C3 bits 0-1 nrecords (-N) 0..3, bits 2-3
 *     lines (-L) 0..3 (stream mode only), bits 4-5 parts (file: --block
 *     -N) 0..3, bit 6 header_apart (then blocks_add_header puts it
 *     back); C4 the separators, from the table below.
 *
 * Oracles (abort() on a violation):
 *  B1 blocks_next() gives blocks, then 0: never an error (the input is
 *     whole and small), never an empty block, nor one of only the header
 *     (but for what --rrs empties, and an input that is only a header);
 *  B2 without --rrs the blocks, each less the header, put together are
 *     DATA less the header: not a byte lost, doubled or moved; with --rrs
 *     they hold no more than it;
 *  B3 with a header, every block starts with the same header, which is
 *     where DATA starts (":": its first line; "2": its first two);
 *  B4 with literal separators, without --rrs: a block but the last ends
 *     with recend and the next starts with recstart (a record is never
 *     split);
 *  B5 with one-byte recend, no recstart, -N n: a block but the last holds
 *     exactly n (x -L) recends, one more when it starts with one (GNU
 *     parallel's count: an empty record there goes with the next), the
 *     last at most that; -L l alone (records
 *     are lines, B4 with "\n"): a block but the last holds a multiple of l
 *     newlines;
 *  B6 at the end, blocks_bytes() and blocks_total() are the bytes of DATA
 *     less the header (DATA that is only a header: less it or not). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "blocks.h"
#include "fuzz.h"

#define DATA_MAX 8192

/* Separators: as given to blocks (GNU escapes), and their bytes. */
static const struct sep {
	const char *end, *start;     /* as the options give them */
	const char *end_b, *start_b; /* their bytes (literal ones) */
	size_t elen;                 /* end_b's bytes (it may be "\0") */
	int regexp;
} seps[] = {
	{NULL, NULL, "\n", "", 1, 0},
	{"", ">", "", ">", 0, 0},
	{"\\n", ">", "\n", ">", 1, 0},
	{";", "", ";", "", 1, 0},
	{"ab", "c", "ab", "c", 2, 0},
	{"\\0", "", "\0", "", 1, 0},
	{"\\r\\n", "", "\r\n", "", 2, 0},
	{"x", "x", "x", "x", 1, 0},
	{"[24]\\n", "", NULL, NULL, 0, 1},
	{"", "^>", NULL, NULL, 0, 1},
	{"x+", "", NULL, NULL, 0, 1},
	{"\\n", "(?=h)", NULL, NULL, 0, 1},
};
#define NSEPS (sizeof(seps) / sizeof(seps[0]))

static const char *const headers[] = {NULL, ":", "2", "h[a-z]*\n"};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* A memfd holding p[0..n), at offset 0. */
static int memfd_with(const char *p, size_t n)
{
	int fd = memfd_create("fuzz_blocks", MFD_CLOEXEC);

	FUZZ_CHECK(fd != -1, "memfd_create: %s", strerror(errno));
	FUZZ_CHECK(n == 0 || write(fd, p, n) == (ssize_t)n, "write: %s",
		   strerror(errno));
	FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek");
	return fd;
}

/* A pipe holding p[0..n), its writer closed: its read end. */
static int pipe_with(const char *p, size_t n)
{
	int fds[2];

	FUZZ_CHECK(pipe2(fds, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
	FUZZ_CHECK(n == 0 || write(fds[1], p, n) == (ssize_t)n, "write: %s",
		   strerror(errno));
	close(fds[1]);
	return fds[0];
}

/* All that fd holds, from where it is, into a malloc'd buffer. */
static char *slurp(int fd, size_t *len)
{
	size_t cap = 256, n = 0;
	char *b = malloc(cap);
	ssize_t r;

	FUZZ_CHECK(b != NULL, "malloc");
	for (;;) {
		if (n == cap) {
			cap *= 2;
			b = realloc(b, cap);
			FUZZ_CHECK(b != NULL, "realloc");
		}
		r = read(fd, b + n, cap - n);
		if (r == -1 && errno == EINTR)
			continue;
		FUZZ_CHECK(r >= 0, "reading a block: %s", strerror(errno));
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return b;
}

/* How many times byte c is in p[0..n). */
static size_t count_byte(const char *p, size_t n, char c)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += p[i] == c;
	return k;
}

/* The header the options take off DATA: its length. */
static size_t header_len(const char *hdr, const char *p, size_t n)
{
	const char *nl;
	size_t i, len = 0;

	if (hdr == NULL)
		return 0;
	if (strcmp(hdr, ":") == 0 || strcmp(hdr, "2") == 0) {
		/* as GNU parallel: fewer whole lines than that, no header */
		for (i = hdr[0] == ':' ? 1 : 2; i > 0; i--) {
			nl = memchr(p + len, '\n', n - len);
			if (nl == NULL)
				return 0;
			len = (size_t)(nl - p) + 1;
		}
		return len;
	}
	/* h[a-z]*\n at the very start */
	if (n == 0 || p[0] != 'h')
		return 0;
	for (i = 1; i < n && p[i] >= 'a' && p[i] <= 'z'; i++)
		;
	return i < n && p[i] == '\n' ? i + 1 : 0;
}

/* B4, B5 on the blocks: block k is all[at[k] .. at[k + 1]). */
static void check_records(const struct sep *sep, const char *all,
			  const size_t *at, size_t nblocks, size_t nrec,
			  size_t lines)
{
	size_t k, len, elen = sep->elen, slen = strlen(sep->start_b), want, got;
	const char *blk;

	for (k = 0; k + 1 < nblocks; k++) {
		blk = all + at[k];
		len = at[k + 1] - at[k];
		FUZZ_CHECK(len >= elen &&
				   memcmp(blk + len - elen, sep->end_b, elen) == 0,
			   "B4: block %zu does not end with recend", k + 1);
		FUZZ_CHECK(at[k + 2] - at[k + 1] >= slen &&
				   memcmp(all + at[k + 1], sep->start_b, slen) == 0,
			   "B4: block %zu does not start with recstart", k + 2);
	}
	if (elen != 1 || slen != 0)
		return;
	for (k = 0; k < nblocks; k++) {
		got = count_byte(all + at[k], at[k + 1] - at[k], sep->end_b[0]);
		if (nrec > 0) {
			/* (a blank record that starts a block goes with the
			 * next: one more, as GNU parallel counts) */
			want = nrec * (lines > 0 ? lines : 1) +
			       (all[at[k]] == sep->end_b[0]);
			FUZZ_CHECK(k + 1 == nblocks ? got <= want : got == want,
				   "B5: block %zu of %zu holds %zu records, not "
				   "%zu", k + 1, nblocks, got, want);
		} else if (lines > 0 && sep->end == NULL && k + 1 < nblocks) {
			FUZZ_CHECK(got % lines == 0,
				   "B5: block %zu holds %zu lines, not a multiple "
				   "of %zu", k + 1, got, lines);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct blocks_opts o = {0};
	const struct sep *sep;
	struct blocks *b;
	const char *p;
	char *blk, *all;
	size_t n, blen, hlen, nblocks = 0, *at;
	size_t nrec, lines, parts;
	uint64_t total = 0;
	int filemode, frompipe, fd, bfd, rc;

	if (size < 5)
		return 0;
	filemode = data[0] & 1;
	frompipe = !filemode && (data[0] & 2);
	o.pipe_blocks = frompipe && (data[0] & 4);
	o.remove_sep = (data[0] & 8) != 0;
	o.header = headers[(data[0] >> 4) & 3];
	o.block = data[1] % 64 + 1;
	o.window = data[2] % 32 < 16 ? data[2] % 16 + 1 : 0;
	nrec = filemode ? 0 : data[3] & 3;
	lines = filemode ? 0 : (data[3] >> 2) & 3;
	parts = filemode ? (data[3] >> 4) & 3 : 0;
	o.header_apart = (data[3] & 0x40) != 0;
	o.nrecords = nrec;
	o.lines = lines;
	sep = &seps[data[4] % NSEPS];
	o.recend = sep->end;
	o.recstart = sep->start;
	o.regexp = sep->regexp;
	p = (const char *)data + 5;
	n = size - 5 > DATA_MAX ? DATA_MAX : size - 5;

	fd = frompipe ? pipe_with(p, n) : memfd_with(p, n);
	o.own_fd = 1;
	b = filemode ? blocks_new_file(fd, &o, parts)
		     : blocks_new_stream(fd, &o);
	FUZZ_CHECK(b != NULL, "blocks_new: %s", strerror(errno));
	hlen = header_len(o.header, p, n);

	all = malloc(n + 1);
	at = malloc((n + 2) * sizeof(*at));
	FUZZ_CHECK(all != NULL && at != NULL, "malloc");
	at[0] = 0;
	while ((rc = blocks_next(b, &bfd)) == 1) {
		FUZZ_CHECK(!o.header_apart || blocks_add_header(b, &bfd) == 0,
			   "blocks_add_header: %s", strerror(errno));
		blk = slurp(bfd, &blen);
		close(bfd);
		/* (--round-robin's blocks, header apart, go to jobs that run
		 * anyway: one --rrs emptied is given all the same) */
		FUZZ_CHECK(blen > 0 || (o.header_apart && o.remove_sep),
			   "B1: block %zu is empty", nblocks + 1);
		FUZZ_CHECK(blen >= hlen && memcmp(blk, p, hlen) == 0,
			   "B3: block %zu does not start with the %zu-byte "
			   "header", nblocks + 1, hlen);
		/* (an input that is only its header gives one such block,
		 * which mprun does not run; --rrs may empty a block, and the
		 * header still goes to a job, as GNU parallel's) */
		FUZZ_CHECK(blen > hlen || (n == hlen && nblocks == 0) ||
				   o.remove_sep,
			   "B1: block %zu is only the header", nblocks + 1);
		FUZZ_CHECK(at[nblocks] + blen - hlen <= n && nblocks < n,
			   "B2: the blocks hold more than the input");
		memcpy(all + at[nblocks], blk + hlen, blen - hlen);
		free(blk);
		at[nblocks + 1] = at[nblocks] + blen - hlen;
		nblocks++;
	}
	FUZZ_CHECK(rc == 0, "B1: blocks_next failed: %s", strerror(errno));
	if (!o.remove_sep) {
		FUZZ_CHECK(at[nblocks] == n - hlen &&
				   memcmp(all, p + hlen, n - hlen) == 0,
			   "B2: the blocks put together (%zu bytes) are not "
			   "the input less its header (%zu bytes)", at[nblocks],
			   n - hlen);
		/* -L alone: records are lines, whatever the separators */
		if (lines > 0 && nrec == 0)
			check_records(&seps[0], all, at, nblocks, 0, lines);
		else if (!sep->regexp)
			check_records(sep, all, at, nblocks, nrec, lines);
	}
	/* (an input that is only a header: either way) */
	if (n == hlen && nblocks == 1)
		hlen = 0;
	FUZZ_CHECK(blocks_bytes(b) == n - hlen,
		   "B6: blocks_bytes %llu, input less header %zu",
		   (unsigned long long)blocks_bytes(b), n - hlen);
	FUZZ_CHECK(blocks_total(b, &total) == 1 && total == n - hlen,
		   "B6: blocks_total %llu", (unsigned long long)total);
	free(all);
	free(at);
	blocks_free(b);
	return 0;
}
