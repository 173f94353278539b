/* blocks: a stream or a file cut into memfds of whole records. */
#include "blocks.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define BLOCKS_WINDOW (64 * 1024)
/* The most one sendfile(2) or splice(2) call moves. */
#define BLOCKS_IO_MAX ((size_t)1 << 30)
#define BLOCKS_MAX_DEFAULT ((uint64_t)1 << 30)
/* The size asked for an input pipe: fewer, larger splices (the kernel
 * may give less: /proc/sys/fs/pipe-max-size). */
#define BLOCKS_PIPE_SIZE (1 << 20)
/* A block's own pipe (pipe_blocks) holds this much more than the block
 * size (the kernel rounds up to a power of two pages). */
#define BLOCKS_PIPE_SLACK (64 * 1024)

struct blocks {
	int fd;            /* the input (the caller's) */
	int file_mode;     /* --pipepart: cut the file by offsets */
	int use_splice;    /* stream: the input is a pipe */
	int own_fd;
	int saved_flags;   /* the input's flags before O_NONBLOCK, or -1 */
	int eof;
	int poll_fd;       /* after EAGAIN, else -1 */
	char *recend, *recstart;
	size_t elen, slen;  /* literal separators (0 with regexp) */
	char *sep;          /* recend then recstart (--rrs) */
	size_t pre, post;   /* bytes read around a candidate boundary */
	pcre2_code *re;     /* --regexp: a boundary ends each match */
	pcre2_code *rrs_mid, *rrs_lead, *rrs_tail; /* --regexp --rrs */
	pcre2_match_data *md;
	int remove_sep;
	char *header;       /* --header: put before every block */
	size_t hlen;
	size_t header_lines; /* --header N */
	pcre2_code *header_re; /* --header REGEXP */
	int header_done;
	int header_apart;
	uint64_t max;       /* longest record */
	void (*grew)(void *data);
	void *grew_data;
	int warned;
	uint64_t block;
	size_t nrecords;   /* stream: records a block (-N), or 0 */
	size_t lines;      /* stream, -L without -N: lines a record, or 0 */
	uint64_t last_whole; /* -L: the cut after the last whole record so
			      * far in the block being filled, or 0 */
	uint64_t rec_at;   /* -N: where the record being read starts in the
			    * block being filled (--max-record) */
	size_t window;
	char *buf;         /* window + elen + slen bytes */
	/* stream: the block being filled */
	int cur;           /* its memfd, or -1 */
	uint64_t len;      /* bytes in it */
	uint64_t want;     /* fill it up to this many bytes */
	uint64_t from;     /* no boundary before this offset (-N: counted) */
	size_t counted;    /* -N: records counted in it */
	int lead_checked;  /* -N --regexp: the input's start was looked at */
	int lead_garbage;  /* ... and is no --recstart: the first block
			    * ends at the first boundary */
	/* stream, pipe_blocks: the block being filled is a pipe */
	int piped;         /* blocks are pipes (until one does not fit) */
	int pw, pr;        /* its write and read ends, or -1 */
	uint64_t plen;     /* bytes in it */
	size_t tlen;       /* bytes after them in buf (the block's tail, or
			    * what followed the last cut) */
	/* file mode */
	uint64_t size, pos; /* the file's size; where the next block starts */
	unsigned long long count;
	uint64_t bytes;    /* of the input, in the blocks handed out */
	uint64_t header_in; /* file mode: the header's length */
};

/* A new empty memfd for a block (sealed once whole: block_seal()). */
static int blocks_memfd(void)
{
	return memfd_create("mprun-block", MFD_CLOEXEC | MFD_ALLOW_SEALING);
}

void block_seal(int fd)
{
	int e = errno;

	/* (a pipe, which is read once, cannot be: EINVAL) */
	fcntl(fd, F_ADD_SEALS,
	      F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	errno = e;
}

/* The first offset a boundary can be at: after recend, never at 0. With
 * -N (strings), as GNU parallel counts records: after recend found past
 * the block's first byte, so that an empty record (a blank line) at the
 * start of a block goes with the next one. */
static uint64_t blocks_first(const struct blocks *b)
{
	if (b->nrecords > 0 && b->re == NULL)
		return b->elen + 1;
	return b->elen > 1 ? b->elen : 1;
}

/* s with GNU parallel's escapes (\0 \r \n \t \' \" \\) made bytes; its
 * length in *len. */
static char *blocks_unescape(const char *s, size_t *len)
{
	static const char from[] = "0rnt'\"\\";
	static const char to[] = {'\0', '\r', '\n', '\t', '\'', '"', '\\'};
	char *out = malloc(strlen(s) + 1);
	const char *c;
	size_t n = 0;

	if (out == NULL)
		return NULL;
	for (; *s != '\0'; s++) {
		c = s[0] == '\\' && s[1] != '\0' ? strchr(from, s[1]) : NULL;
		if (c != NULL)
			s++;
		out[n++] = c != NULL ? to[c - from] : *s;
	}
	out[n] = '\0';
	*len = n;
	return out;
}

/* Compile the pattern head value tail for option; NULL and errno EINVAL
 * with the reason in err (if any), or ENOMEM. */
static pcre2_code *blocks_compile(const char *head, const char *value,
				  const char *tail, uint32_t flags,
				  const char *option, char *err, size_t errlen)
{
	size_t n = strlen(head) + strlen(value) + strlen(tail) + 1;
	char *pat = malloc(n);
	PCRE2_UCHAR msg[160];
	PCRE2_SIZE off = 0;
	pcre2_code *re = NULL;
	int code = 0;

	if (pat == NULL)
		return NULL;
	snprintf(pat, n, "%s%s%s", head, value, tail);
	re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, flags,
			   &code, &off, NULL);
	free(pat);
	if (re == NULL && err != NULL) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(err, errlen, "%s: \"%s\" is not a pattern: %s", option,
			 value, (const char *)msg);
	}
	if (re == NULL)
		errno = code == PCRE2_ERROR_NOMEMORY ? ENOMEM : EINVAL;
	return re;
}

/* --regexp: check each separator alone, then compile the boundary and
 * --rrs patterns (GNU parallel's: multi-line). */
static int blocks_regexp(struct blocks *b, const char *end, const char *start,
			 char *err, size_t errlen)
{
	size_t n = strlen(end) + strlen(start) + 32;
	char *both = malloc(n);
	pcre2_code *alone[2] = {NULL, NULL};
	int rc = -1;

	alone[0] = blocks_compile("", end, "", 0, "--recend", err, errlen);
	if (alone[0] != NULL)
		alone[1] = blocks_compile("", start, "", 0, "--recstart", err,
					  errlen);
	if (both == NULL || alone[1] == NULL)
		goto out;
	snprintf(both, n, "(?:%s)(?:", end);
	b->rrs_mid = blocks_compile(both, start, ")", PCRE2_MULTILINE,
				    "--recstart", err, errlen);
	snprintf(both, n, "(?:%s)(?=(?:", end);
	b->re = blocks_compile(both, start, "))", PCRE2_MULTILINE,
			       "--recstart", err, errlen);
	b->rrs_lead = blocks_compile("(?:", start, ")", PCRE2_DOTALL,
				     "--recstart", err, errlen);
	b->rrs_tail = blocks_compile("(?:", end, ")$", PCRE2_DOTALL, "--recend",
				     err, errlen);
	if (b->rrs_mid && b->re && b->rrs_lead && b->rrs_tail)
		rc = 0;
out:
	pcre2_code_free(alone[0]);
	pcre2_code_free(alone[1]);
	free(both);
	return rc;
}

/* --header: N lines, ":" (one line) or a pattern matched at the start. */
static int blocks_header_opt(struct blocks *b, const char *h, char *err,
			     size_t errlen)
{
	char *e;
	unsigned long long n;

	b->header_done = h == NULL;
	if (h == NULL)
		return 0;
	if (strcmp(h, ":") == 0)
		h = "1";
	errno = 0;
	n = strtoull(h, &e, 10);
	if (h[0] >= '0' && h[0] <= '9' && *e == '\0' && errno == 0) {
		b->header_lines = (size_t)n;
		b->header_done = n == 0;
		return 0;
	}
	b->header_re = blocks_compile("", h, "", 0, "--header", err, errlen);
	return b->header_re == NULL ? -1 : 0;
}

/* The separators: strings with escapes, or patterns (--regexp). */
static int blocks_separators(struct blocks *b, const struct blocks_opts *o,
			     char *err, size_t errlen)
{
	const char *end = o->recend, *start = o->recstart;
	int regexp = o->regexp;

	if (o->lines > 0 && o->nrecords == 0) {
		end = "\n"; /* -L alone: records are lines */
		start = NULL;
		regexp = 0;
	}
	if (end == NULL)
		end = start != NULL ? "" : "\n";
	if (start == NULL)
		start = "";
	if (regexp && o->recend != NULL && end[0] == '\0' &&
	    o->recstart == NULL)
		end = "(?s:.)"; /* GNU parallel: any byte ends a record */
	b->recend = regexp ? strdup("") : blocks_unescape(end, &b->elen);
	b->recstart = regexp ? strdup("") : blocks_unescape(start, &b->slen);
	b->sep = malloc(b->elen + b->slen + 1);
	if (b->recend == NULL || b->recstart == NULL || b->sep == NULL)
		return -1;
	memcpy(b->sep, b->recend, b->elen);
	memcpy(b->sep + b->elen, b->recstart, b->slen);
	b->pre = regexp ? BLOCKS_RE_CONTEXT : b->elen;
	b->post = regexp ? BLOCKS_RE_CONTEXT : b->slen;
	return regexp ? blocks_regexp(b, end, start, err, errlen) : 0;
}

/* The options' strings, patterns and sizes, with GNU parallel's defaults;
 * NULL/errno with a message in err for a wrong pattern. */
static struct blocks *blocks_build(const struct blocks_opts *o, char *err,
				   size_t errlen)
{
	struct blocks *b = calloc(1, sizeof(*b));
	int code;

	if (b == NULL)
		return NULL;
	errno = ENOMEM;
	b->cur = b->fd = b->poll_fd = b->pw = b->pr = -1;
	b->block = o->block;
	b->nrecords = o->nrecords;
	if (o->lines > 0 && o->nrecords > 0 &&
	    o->nrecords > SIZE_MAX / o->lines) {
		errno = EINVAL;
		goto fail;
	}
	if (o->lines > 0 && o->nrecords > 0)
		b->nrecords = o->nrecords * o->lines; /* GNU: -N × -L */
	else
		b->lines = o->lines;
	b->window = o->window > 0 ? o->window : BLOCKS_WINDOW;
	b->own_fd = o->own_fd;
	b->saved_flags = -1;
	b->remove_sep = o->remove_sep;
	b->header_apart = o->header_apart;
	b->max = o->max_block > 0 ? o->max_block : BLOCKS_MAX_DEFAULT;
	b->grew = o->grew;
	b->grew_data = o->grew_data;
	b->md = pcre2_match_data_create(1, NULL);
	if (b->md == NULL || blocks_separators(b, o, err, errlen) == -1 ||
	    blocks_header_opt(b, o->header, err, errlen) == -1)
		goto fail;
	b->buf = malloc(b->window + b->pre + b->post);
	if (b->buf == NULL)
		goto fail;
	b->from = blocks_first(b);
	return b;
fail:
	b->own_fd = 0;
	code = errno;
	blocks_free(b);
	errno = code;
	return NULL;
}

int blocks_check(const struct blocks_opts *o, char *err, size_t errlen)
{
	struct blocks *b = blocks_build(o, err, errlen);

	if (b == NULL)
		return -1;
	blocks_free(b);
	return 0;
}

/* Is there a boundary at index i of buf (n bytes)? */
static int blocks_at(const struct blocks *b, const char *buf, size_t n,
		     size_t i)
{
	return i >= b->elen && i + b->slen <= n &&
	       memcmp(buf + i - b->elen, b->recend, b->elen) == 0 &&
	       memcmp(buf + i, b->recstart, b->slen) == 0;
}

/* Read the bytes around candidates [lo, hi] of fd into b->buf, from
 * *base (pre bytes before lo, or 0); their count, or -1/errno. */
static ssize_t blocks_window(struct blocks *b, int fd, uint64_t lo,
			     uint64_t hi, uint64_t *base)
{
	uint64_t start = lo > b->pre ? lo - b->pre : 0;
	size_t want = (size_t)(hi - start) + 1 + b->post, got = 0;
	ssize_t n;

	*base = start;
	while (got < want) {
		n = pread(fd, b->buf + got, want - got, (off_t)(start + got));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* The byte every boundary has at index (i + key_off): the last of recend,
 * else the first of recstart. 0 when both are empty. */
static int blocks_key(const struct blocks *b, int *key_off)
{
	*key_off = b->elen > 0 ? -1 : 0;
	if (b->elen > 0)
		return (unsigned char)b->recend[b->elen - 1];
	return b->slen > 0 ? (unsigned char)b->recstart[0] : -1;
}

/* --regexp: the next boundary in buf (n bytes) found from *at, which
 * moves past its match; its index, or -1. */
static long long blocks_re_next(const struct blocks *b, const char *buf,
				size_t n, size_t *at)
{
	PCRE2_SIZE *ov;

	if (*at > n || pcre2_match(b->re, (PCRE2_SPTR)buf, n, *at, 0, b->md,
				   NULL) < 0)
		return -1;
	ov = pcre2_get_ovector_pointer(b->md);
	*at = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
	return (long long)ov[1];
}

/* A boundary at index i: 0, or -2 when the record it ends, from *seen
 * (the last boundary before it; LLONG_MIN: not counted), is longer than
 * the longest allowed; *seen is then i. */
static int blocks_seen(const struct blocks *b, long long i, long long *seen)
{
	long long from = *seen;

	if (from == LLONG_MIN)
		return 0;
	*seen = i;
	return (uint64_t)(i - from) > b->max ? -2 : 0;
}

/* --regexp: the last boundary at an index in [ilo, ihi] of buf, or -1;
 * or, with k, the k-th (k counts down as in blocks_nth_in; seen as
 * there, may be NULL). */
static long long blocks_re_in(const struct blocks *b, const char *buf,
			      size_t n, size_t ilo, size_t ihi, size_t *k,
			      long long *seen)
{
	long long i, prev = -1, last = -1;
	size_t at = 0;

	while ((i = blocks_re_next(b, buf, n, &at)) != -1 &&
	       (size_t)i <= ihi) {
		if (i == prev || (size_t)i < ilo)
			continue;
		prev = last = i;
		if (seen != NULL && blocks_seen(b, i, seen) == -2)
			return -2;
		if (k != NULL && --*k == 0)
			return i;
	}
	return k != NULL ? -1 : last;
}

/* The last boundary at an index in [ilo, ihi] of buf (n bytes), or -1. */
static long long blocks_last_in(const struct blocks *b, const char *buf,
				size_t n, size_t ilo, size_t ihi)
{
	int off, key = blocks_key(b, &off);
	const char *q;

	if (b->re != NULL)
		return blocks_re_in(b, buf, n, ilo, ihi, NULL, NULL);
	if (key == -1)
		return (long long)ihi;
	for (;;) {
		q = memrchr(buf + (long)ilo + off, key, ihi - ilo + 1);
		if (q == NULL)
			return -1;
		if (blocks_at(b, buf, n, (size_t)(q - buf - off)))
			return q - buf - off;
		if (q - buf - off == (long)ilo)
			return -1;
		ihi = (size_t)(q - buf - off) - 1;
	}
}

/* Count boundaries at indexes in [ilo, ihi] of buf up to k; the index of
 * the k-th (k counts down), or -1 with *k lowered by those seen; -2: a
 * record longer than the longest allowed (see blocks_seen()). */
static long long blocks_nth_in(const struct blocks *b, const char *buf,
			       size_t n, size_t ilo, size_t ihi, size_t *k,
			       long long *seen)
{
	int off, key = blocks_key(b, &off);
	const char *q;

	if (b->re != NULL)
		return blocks_re_in(b, buf, n, ilo, ihi, k, seen);
	for (;;) {
		if (key == -1)
			q = buf + ilo + off;
		else
			q = memchr(buf + (long)ilo + off, key, ihi - ilo + 1);
		if (q == NULL)
			return -1;
		ilo = (size_t)(q - buf - off);
		if (blocks_at(b, buf, n, ilo)) {
			if (blocks_seen(b, (long long)ilo, seen) == -2)
				return -2;
			if (--*k == 0)
				return (long long)ilo;
		}
		if (ilo++ == ihi)
			return -1;
	}
}

/* The last boundary p in [from, to] of fd, read backwards a window at a
 * time: p, 0 if none, -1/errno. */
static long long blocks_find_last(struct blocks *b, int fd, uint64_t from,
				  uint64_t to)
{
	uint64_t hi = to, lo, base;
	long long i;
	ssize_t n;

	while (from <= to && from <= hi) {
		lo = hi - from + 1 > b->window ? hi - b->window + 1 : from;
		n = blocks_window(b, fd, lo, hi, &base);
		if (n == -1)
			return -1;
		i = blocks_last_in(b, b->buf, (size_t)n, (size_t)(lo - base),
				   (size_t)(hi - base));
		if (i != -1)
			return (long long)base + i;
		if (lo == from)
			break;
		hi = lo - 1;
	}
	return 0;
}

/* The k-th boundary p in [from, to] of fd, read forwards: p, or 0 with
 * *k lowered by the boundaries seen; -1/errno (EMSGSIZE: with rec_at, a
 * record longer than the longest allowed). rec_at, if not NULL: where the
 * record before from starts, moved to the last boundary seen. */
static long long blocks_find_nth(struct blocks *b, int fd, uint64_t from,
				 uint64_t to, size_t *k, uint64_t *rec_at)
{
	uint64_t lo = from, hi, base;
	long long i, seen;
	ssize_t n;

	while (lo <= to) {
		hi = to - lo + 1 > b->window ? lo + b->window - 1 : to;
		n = blocks_window(b, fd, lo, hi, &base);
		if (n == -1)
			return -1;
		seen = rec_at != NULL ? (long long)*rec_at - (long long)base
				      : LLONG_MIN;
		i = blocks_nth_in(b, b->buf, (size_t)n, (size_t)(lo - base),
				  (size_t)(hi - base), k, &seen);
		if (rec_at != NULL && seen != LLONG_MIN)
			*rec_at = (uint64_t)((long long)base + seen);
		if (i == -2) {
			errno = EMSGSIZE;
			return -1;
		}
		if (i != -1)
			return (long long)base + i;
		lo = hi + 1;
	}
	return 0;
}

/* Copy n bytes of in from offset off to the end of out, in the kernel. */
static int blocks_copy(int out, int in, uint64_t off, uint64_t n)
{
	off_t o = (off_t)off;
	ssize_t r;

	while (n > 0) {
		r = sendfile(out, in, &o, n > BLOCKS_IO_MAX ? BLOCKS_IO_MAX
							    : (size_t)n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0) {
			errno = ENODATA; /* the file shrank under us */
			return -1;
		}
		n -= (uint64_t)r;
	}
	return 0;
}

/* --- header and --rrs ------------------------------------------------- */

/* The length of the header at the start of m (n bytes, all the input if
 * end): 0 for none, -1 if more bytes may make it (a line not ended yet, a
 * pattern matched in part: GNU parallel matches what it read). */
static long long blocks_header_len(const struct blocks *b, const char *m,
				   size_t n, int end)
{
	size_t k = b->header_lines, i = 0;
	const char *q;
	int rc;

	if (b->header_re != NULL) {
		rc = pcre2_match(b->header_re, (PCRE2_SPTR)m, n, 0,
				 PCRE2_ANCHORED | (end ? 0 : PCRE2_PARTIAL_SOFT),
				 b->md, NULL);
		if (rc == PCRE2_ERROR_PARTIAL)
			return -1;
		return rc < 0 ? 0
			      : (long long)pcre2_get_ovector_pointer(b->md)[1];
	}
	while (k-- > 0) {
		q = memchr(m + i, '\n', n - i);
		if (q == NULL)
			return end ? 0 : -1;
		i = (size_t)(q - m) + 1;
	}
	return (long long)i;
}

/* Find the header in the first n bytes of fd (all the input if end) and
 * keep it: *h its length (0: none), or -1 if more bytes are needed.
 * 0 or -1/errno. */
static int blocks_take_header(struct blocks *b, int fd, size_t n, int end,
			      long long *h)
{
	char *m = NULL;

	*h = n == 0 && !end ? -1 : 0;
	if (n == 0)
		return 0;
	m = mmap(NULL, n, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -1;
	*h = blocks_header_len(b, m, n, end);
	if (*h > 0 && (b->header = malloc((size_t)*h)) != NULL) {
		memcpy(b->header, m, (size_t)*h);
		b->hlen = (size_t)*h;
	}
	munmap(m, n);
	return *h > 0 && b->header == NULL ? -1 : 0;
}

/* Write all n bytes of p to fd. */
static int blocks_write(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Remove m[from, to) of m (n bytes); the new length. */
static size_t blocks_cut_out(char *m, size_t n, size_t from, size_t to)
{
	memmove(m + from, m + to, n - to);
	return n - (to - from);
}

/* --rrs, strings: drop every recend+recstart, then a leading recstart and
 * a trailing recend; the new length. */
static size_t blocks_strip_str(const struct blocks *b, char *m, size_t n)
{
	size_t seplen = b->elen + b->slen, in = 0, out = 0, k;
	const char *q;

	while (seplen > 0 &&
	       (q = memmem(m + in, n - in, b->sep, seplen)) != NULL) {
		k = (size_t)(q - m) - in;
		memmove(m + out, m + in, k);
		out += k;
		in += k + seplen;
	}
	memmove(m + out, m + in, n - in);
	n = out + (n - in);
	if (b->slen > 0 && n >= b->slen && !memcmp(m, b->recstart, b->slen))
		n = blocks_cut_out(m, n, 0, b->slen);
	if (b->elen > 0 && n >= b->elen &&
	    !memcmp(m + n - b->elen, b->recend, b->elen))
		n -= b->elen;
	return n;
}

/* Where re matches in m (n bytes) from at (flags): 1 and [*s, *e), or 0. */
static int blocks_re_find(const struct blocks *b, const pcre2_code *re,
			  const char *m, size_t n, size_t at, uint32_t flags,
			  size_t *s, size_t *e)
{
	PCRE2_SIZE *ov;

	if (at > n ||
	    pcre2_match(re, (PCRE2_SPTR)m, n, at, flags, b->md, NULL) < 0)
		return 0;
	ov = pcre2_get_ovector_pointer(b->md);
	*s = ov[0];
	*e = ov[1] > ov[0] ? ov[1] : ov[0];
	return 1;
}

/* --rrs --regexp: as blocks_strip_str, with GNU parallel's patterns. */
static size_t blocks_strip_re(const struct blocks *b, char *m, size_t n)
{
	size_t in = 0, out = 0, at = 0, s, e;

	while (blocks_re_find(b, b->rrs_mid, m, n, at, 0, &s, &e)) {
		memmove(m + out, m + in, s - in);
		out += s - in;
		in = e;
		at = e > s ? e : s + 1;
	}
	memmove(m + out, m + in, n - in);
	n = out + (n - in);
	if (blocks_re_find(b, b->rrs_lead, m, n, 0, PCRE2_ANCHORED, &s, &e))
		n = blocks_cut_out(m, n, s, e);
	if (blocks_re_find(b, b->rrs_tail, m, n, 0, 0, &s, &e))
		n = blocks_cut_out(m, n, s, e);
	return n;
}

/* --rrs: take the separators' text out of the block in fd, in place; its
 * length left in *left. */
static int blocks_strip(struct blocks *b, int fd, size_t *left)
{
	struct stat st;
	size_t n;
	char *m;

	*left = 0;
	if (fstat(fd, &st) == -1)
		return -1;
	if (st.st_size == 0)
		return 0;
	m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	if (m == MAP_FAILED)
		return -1;
	n = b->re != NULL ? blocks_strip_re(b, m, (size_t)st.st_size)
			  : blocks_strip_str(b, m, (size_t)st.st_size);
	munmap(m, (size_t)st.st_size);
	*left = n;
	return ftruncate(fd, (off_t)n);
}

/* A new memfd in *fd: the header, then the block it had. */
static int blocks_prepend(struct blocks *b, int *fd)
{
	struct stat st;
	int m = blocks_memfd();

	if (m == -1 || fstat(*fd, &st) == -1 ||
	    blocks_write(m, b->header, b->hlen) == -1 ||
	    blocks_copy(m, *fd, 0, (uint64_t)st.st_size) == -1 ||
	    lseek(m, 0, SEEK_SET) == -1) {
		close_keep_errno(m);
		return -1;
	}
	close(*fd);
	*fd = m;
	return 0;
}

/* A block as the job gets it: without separators (--rrs), after the
 * header (--header). 0, 1 if nothing is left of it (--rrs took all of it,
 * no header goes before it, and it is not for --round-robin, whose jobs
 * run anyway): no job gets it, or -1/errno. */
static int blocks_finish(struct blocks *b, int *fd)
{
	size_t left = 1;

	if (b->remove_sep && blocks_strip(b, *fd, &left) == -1)
		return -1;
	if (left == 0 && b->hlen == 0 && !b->header_apart)
		return 1;
	return b->hlen > 0 && !b->header_apart ? blocks_prepend(b, fd) : 0;
}

/* --- stream mode ------------------------------------------------------- */

struct blocks *blocks_new_stream(int fd, const struct blocks_opts *o)
{
	struct blocks *b;
	struct stat st;
	int fl;

	if (o->block == 0 || fstat(fd, &st) == -1) {
		errno = o->block == 0 ? EINVAL : errno;
		return NULL;
	}
	b = blocks_build(o, NULL, 0);
	if (b == NULL)
		return NULL;
	if (b->max < b->block)
		b->max = b->block;
	b->fd = fd;
	b->use_splice = S_ISFIFO(st.st_mode);
	if (b->use_splice)
		fcntl(fd, F_SETPIPE_SZ, BLOCKS_PIPE_SIZE);
	b->piped = o->pipe_blocks && b->use_splice && b->nrecords == 0 &&
		   b->lines == 0 && b->re == NULL && !b->remove_sep &&
		   b->header_done;
	b->want = b->nrecords > 0 ? b->window : b->block;
	fl = fcntl(fd, F_GETFL);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode) && fl != -1 &&
	    !(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0)
		b->saved_flags = fl; /* given back: a terminal is shared */
	return b;
}

/* Read from the input through user space (not a pipe). */
static ssize_t blocks_read(struct blocks *b, size_t n)
{
	size_t cap = b->window + b->pre + b->post;
	ssize_t r = read(b->fd, b->buf, n < cap ? n : cap);

	if (r > 0 && pwrite(b->cur, b->buf, (size_t)r, (off_t)b->len) != r) {
		errno = errno ? errno : EIO;
		return -1;
	}
	return r;
}

/* Move up to n more bytes of input into the block: one splice(2) or one
 * read(2). The bytes moved, 0 at end of input, -1/errno (EAGAIN). */
static ssize_t blocks_fill(struct blocks *b, uint64_t n)
{
	loff_t off = (loff_t)b->len;
	size_t max = n > BLOCKS_IO_MAX ? BLOCKS_IO_MAX : (size_t)n;
	ssize_t r;

	do {
		if (b->use_splice)
			r = splice(b->fd, NULL, b->cur, &off, max,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		else
			r = blocks_read(b, max);
	} while (r == -1 && errno == EINTR);
	if (r == -1 && errno == EINVAL && b->use_splice) {
		b->use_splice = 0; /* a kernel that will not splice it */
		return blocks_fill(b, n);
	}
	return r;
}

/* Hand out the block up to cut; what follows goes into a new memfd. */
static int blocks_cut(struct blocks *b, uint64_t cut, int *fd)
{
	int next = -1;

	if (cut < b->len && ((next = blocks_memfd()) == -1 ||
			     blocks_copy(next, b->cur, cut, b->len - cut) == -1))
		goto fail;
	if ((cut < b->len && ftruncate(b->cur, (off_t)cut) == -1) ||
	    lseek(b->cur, 0, SEEK_SET) == -1)
		goto fail;
	*fd = b->cur;
	b->cur = next;
	b->len -= cut;
	b->bytes += cut;
	b->from = blocks_first(b);
	b->counted = 0;
	b->last_whole = 0;
	b->rec_at = 0;
	b->want = b->nrecords > 0 ? b->window : b->block;
	b->count++;
	return 1;
fail:
	close_keep_errno(next);
	return -1;
}

/* A record is longer than the block (by size, or -L): the block size
 * grows by 30 % + 1 byte, for this block and every later one, as GNU
 * parallel's does; up to the longest record, then EMSGSIZE. grew() is
 * told once. 0, or -1/errno. */
static long long blocks_grow(struct blocks *b)
{
	uint64_t nb = b->block;

	if (b->want >= b->max) {
		errno = EMSGSIZE;
		return -1;
	}
	while (nb <= b->want && nb < b->max) /* ceil(1.3 nb + 1) */
		nb += nb / 10 * 3 + (nb % 10 * 3 + 9) / 10 + 1;
	b->block = nb < b->max ? nb : b->max;
	b->want = b->block;
	if (!b->warned && b->grew != NULL)
		b->grew(b->grew_data);
	b->warned = 1;
	return 0;
}

/* By size: the cut in the filled block, 0 to read more, -1/errno. */
static long long blocks_size_cut(struct blocks *b)
{
	uint64_t want = b->want, tail;
	long long p = 0;

	/* At the end, what is left is one block; at exactly the block size
	 * the end may not be known yet: cut as if it were not. */
	if (b->eof && b->len < want)
		return (long long)b->len;
	if (want >= b->slen + b->from)
		p = blocks_find_last(b, b->cur, b->from, want - b->slen);
	if (p != 0)
		return p;
	if (b->eof)
		return (long long)b->len; /* the rest is one record */
	/* One record is longer: look on in the next block size (with
	 * --regexp, the tail again: a boundary there may have lacked the
	 * bytes after it). */
	tail = b->re != NULL ? b->post : b->slen;
	if (want < b->max && want + 1 > tail + b->from)
		b->from = want + 1 - tail;
	return blocks_grow(b);
}

/* -L: count the lines of the block up to offset to (from b->from - 1,
 * where the last count stopped), noting where each lines-th one ends. */
static int blocks_count_lines(struct blocks *b, uint64_t to)
{
	const char *p, *q, *end;
	uint64_t left;
	ssize_t n;

	while (b->from <= to) {
		left = to - b->from + 1;
		n = pread(b->cur, b->buf,
			  left > b->window ? b->window : (size_t)left,
			  (off_t)(b->from - 1));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			errno = n == 0 ? EIO : errno;
			return -1;
		}
		end = b->buf + n;
		for (p = b->buf; p < end; p = q + 1) {
			q = memchr(p, '\n', (size_t)(end - p));
			if (q == NULL)
				break;
			if (++b->counted % b->lines == 0) /* cut after q */
				b->last_whole = b->from + (size_t)(q - b->buf);
		}
		b->from += (uint64_t)n;
	}
	return 0;
}

/* -L without -N: the cut after the last whole record of lines lines
 * within the block size; at the end of the input, before the last lines
 * if they are fewer (GNU parallel). 0 to read more, -1/errno. */
static long long blocks_lines_cut(struct blocks *b)
{
	uint64_t to = b->len < b->want ? b->len : b->want;

	if (blocks_count_lines(b, to) == -1)
		return -1;
	if (b->last_whole > 0)
		return (long long)b->last_whole;
	if (b->eof && b->len <= b->want)
		return (long long)b->len;
	return blocks_grow(b);
}

/* -N --regexp, as GNU parallel: text before the first --recstart (its
 * "garbage") is a block of its own. Look once at the input's start: does
 * --recstart match there? 0, or -1/errno. */
static int blocks_check_lead(struct blocks *b)
{
	size_t n = b->len < b->window ? (size_t)b->len : b->window, s, e;
	ssize_t r;

	b->lead_checked = 1;
	r = pread(b->cur, b->buf, n, 0);
	if (r == -1)
		return -1;
	b->lead_garbage = r > 0 && !blocks_re_find(b, b->rrs_lead, b->buf,
						   (size_t)r, 0,
						   PCRE2_ANCHORED, &s, &e);
	return 0;
}

/* -N: the cut after nrecords records, 0 to read more, -1/errno. */
static long long blocks_count_cut(struct blocks *b)
{
	size_t want, k;
	uint64_t tail = b->re != NULL && !b->eof ? b->post : b->slen;
	uint64_t to = b->len >= tail ? b->len - tail : 0;
	long long p = 0;

	if (b->re != NULL && !b->lead_checked && b->cur != -1 &&
	    blocks_check_lead(b) == -1)
		return -1;
	/* the records this block is to hold: the garbage block is one */
	want = b->lead_garbage && b->count == 0 ? 1 : b->nrecords;
	k = want - b->counted;
	if (b->from <= to)
		p = blocks_find_nth(b, b->cur, b->from, to, &k, &b->rec_at);
	if (p > 0 && b->eof && (uint64_t)p == b->len)
		p = 0; /* the last record ends the input: a block anyway */
	if (p != 0)
		return p;
	b->counted = want - k;
	/* the record being read, from the last boundary: one longer than
	 * --max-record is an error, as without -N */
	if ((b->eof ? b->len : to) - b->rec_at > b->max) {
		errno = EMSGSIZE;
		return -1;
	}
	if (to + 1 > b->from)
		b->from = to + 1;
	if (b->eof)
		return (long long)b->len;
	b->want = b->len + b->window;
	return 0;
}

/* Take the header off the start of the stream: 1 (done), 0 with more to
 * read (want grown), -1/errno. */
static long long blocks_stream_header(struct blocks *b)
{
	int next = -1, end = b->eof || b->len >= b->max;
	long long h;

	if (blocks_take_header(b, b->cur, (size_t)b->len, end, &h) == -1)
		return -1;
	if (h == -1) {
		b->want = b->max - b->want > b->block ? b->want + b->block
						       : b->max;
		return 0;
	}
	b->header_done = 1;
	if (h == 0)
		return 1;
	if ((uint64_t)h < b->len &&
	    ((next = blocks_memfd()) == -1 ||
	     blocks_copy(next, b->cur, (uint64_t)h, b->len - (uint64_t)h) == -1)) {
		close_keep_errno(next);
		return -1;
	}
	close(b->cur);
	b->cur = next;
	b->len -= (uint64_t)h;
	b->want = b->nrecords > 0 ? b->window : b->block;
	return 1;
}

/* --- stream mode, blocks as pipes ------------------------------------- */

/* A new pipe for the next block, roomy enough for the block size and
 * the pages a carried tail or a spliced page begun leave part empty:
 * 0, or -1 (then the blocks are memfds). */
static int blocks_pipe_new(struct blocks *b)
{
	uint64_t room = b->block + BLOCKS_PIPE_SLACK;
	int p[2];

	if (room > INT_MAX || pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1)
		return -1;
	b->pr = p[0];
	b->pw = p[1];
	b->plen = 0;
	if (fcntl(b->pr, F_SETFL, 0) == -1 || /* the job's stdin blocks */
	    fcntl(b->pw, F_SETPIPE_SZ, (int)room) < (int)room)
		return -1; /* EPERM beyond /proc/sys/fs/pipe-max-size */
	return 0;
}

/* The bytes of the block in its pipe and buf go into a memfd, which is
 * filled on as before: the block did not fit, or its last boundary is not
 * in the window read (a long record). The blocks are memfds from now on. */
static int blocks_unpipe(struct blocks *b)
{
	loff_t off = 0;
	ssize_t n;

	b->piped = 0;
	if (b->cur == -1 && (b->cur = blocks_memfd()) == -1)
		return -1;
	while ((uint64_t)off < b->plen) {
		n = splice(b->pr, NULL, b->cur, &off, (size_t)(b->plen - off),
			   SPLICE_F_MOVE);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			errno = n == 0 ? EIO : errno;
			return -1;
		}
	}
	if (pwrite(b->cur, b->buf, b->tlen, off) != (ssize_t)b->tlen) {
		errno = errno ? errno : EIO;
		return -1;
	}
	b->len = b->plen + b->tlen;
	b->plen = b->tlen = 0;
	if (b->pr != -1)
		close(b->pr);
	if (b->pw != -1)
		close(b->pw);
	b->pr = b->pw = -1;
	return 0;
}

/* Move the first n bytes of buf into the block's pipe: 0, or -1/errno
 * (ENOSPC: it is full) with what went in moved. */
static int blocks_pipe_put(struct blocks *b, size_t n)
{
	size_t done = 0;
	ssize_t w = 0;

	while (done < n) {
		w = write(b->pw, b->buf + done, n - done);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			break;
		done += (size_t)w;
	}
	memmove(b->buf, b->buf + done, b->tlen - done);
	b->tlen -= done;
	b->plen += done;
	if (w == -1 && errno == EAGAIN)
		errno = ENOSPC;
	return done == n ? 0 : -1;
}

/* Fill the block up to the block size (or the end of the input): splice
 * into its pipe up to the window, read the window into buf. 0, or -1 with
 * errno (EAGAIN: wait for the input; ENOSPC: the pipe is full). */
static int blocks_pipe_fill(struct blocks *b)
{
	uint64_t edge = b->block > b->window ? b->block - b->window : 0;
	ssize_t n;
	int avail = 0, full = 0, stuck;

	while (!b->eof && b->plen + b->tlen < b->block) {
		if (b->tlen > 0 && b->plen < edge &&
		    blocks_pipe_put(b, b->plen + b->tlen <= edge
				? b->tlen : (size_t)(edge - b->plen)) == -1)
			return -1;
		if (b->plen < edge)
			n = splice(b->fd, NULL, b->pw, NULL,
				   (size_t)(edge - b->plen),
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		else
			n = read(b->fd, b->buf + b->tlen,
				 (size_t)(b->block - b->plen) - b->tlen);
		if (n == -1 && errno == EINTR)
			continue;
		/* EAGAIN while the input has bytes, twice: the pipe is full. */
		stuck = n == -1 && errno == EAGAIN && b->plen < edge &&
			ioctl(b->fd, FIONREAD, &avail) == 0 && avail > 0;
		if (stuck && !full++)
			continue;
		if (stuck)
			errno = ENOSPC;
		if (n == -1)
			return -1;
		full = 0;
		b->eof = n == 0;
		if (b->plen < edge)
			b->plen += (uint64_t)n;
		else
			b->tlen += (size_t)n;
	}
	return 0;
}

/* The next block as a pipe: 1 (*fd set), 0 (no more), 2 (go on with a
 * memfd), -1/errno. */
static int blocks_next_piped(struct blocks *b, int *fd)
{
	long long i = -1;
	size_t lo = b->elen > 1 ? b->elen : 1;

	if (b->pr == -1 && blocks_pipe_new(b) == -1)
		return blocks_unpipe(b) == -1 ? -1 : 2;
	if (blocks_pipe_fill(b) == -1) {
		if (errno == EAGAIN)
			b->poll_fd = b->fd;
		if (errno != ENOSPC)
			return -1;
		return blocks_unpipe(b) == -1 ? -1 : 2;
	}
	if (b->eof && b->plen + b->tlen == 0)
		return 0;
	if (!b->eof && b->tlen >= lo + b->slen)
		i = blocks_last_in(b, b->buf, b->tlen, lo, b->tlen - b->slen);
	if (b->eof)
		i = (long long)b->tlen; /* the rest is one block */
	else if (i <= 0)
		return blocks_unpipe(b) == -1 ? -1 : 2;
	if (blocks_pipe_put(b, (size_t)i) == -1)
		return errno != ENOSPC || blocks_unpipe(b) == -1 ? -1 : 2;
	close(b->pw);
	*fd = b->pr;
	b->pr = b->pw = -1;
	b->bytes += b->plen;
	b->count++;
	return 1;
}

/* The next block of a stream. */
static int blocks_next_stream(struct blocks *b, int *fd)
{
	long long cut;
	ssize_t n;
	int rc;

	while (b->piped) {
		rc = blocks_next_piped(b, fd);
		if (rc != 2)
			return rc;
	}
	for (;;) {
		if (b->cur == -1 && (b->cur = blocks_memfd()) == -1)
			return -1;
		if (!b->eof && b->len < b->want) {
			n = blocks_fill(b, b->want - b->len);
			if (n == -1 && errno == EAGAIN)
				b->poll_fd = b->fd;
			if (n == -1)
				return -1;
			b->len += (uint64_t)n;
			b->eof = n == 0;
			continue;
		}
		if (b->eof && b->len == 0)
			return 0;
		if (!b->header_done) {
			if (blocks_stream_header(b) == -1)
				return -1;
			continue;
		}
		cut = b->nrecords > 0 ? blocks_count_cut(b)
		      : b->lines > 0  ? blocks_lines_cut(b)
				      : blocks_size_cut(b);
		if (cut == -1)
			return -1;
		if (cut > 0)
			return blocks_cut(b, (uint64_t)cut, fd);
	}
}

/* --- file mode --------------------------------------------------------- */

/* Take the header off the start of the file (within the longest record). */
static int blocks_file_header(struct blocks *b)
{
	long long h;

	if (b->header_done)
		return 0;
	if (blocks_take_header(b, b->fd, (size_t)(b->size < b->max ? b->size
								    : b->max),
			       1, &h) == -1)
		return -1;
	b->pos = b->header_in = (uint64_t)h;
	b->header_done = 1;
	return 0;
}

struct blocks *blocks_new_file(int fd, const struct blocks_opts *o,
			       unsigned long long parts)
{
	struct blocks *b;
	struct stat st;

	if (fstat(fd, &st) == -1)
		return NULL;
	if (!S_ISREG(st.st_mode) || (parts == 0 && o->block == 0) ||
	    o->lines > 0 || o->nrecords > 0) {
		errno = S_ISREG(st.st_mode) ? EINVAL : ESPIPE;
		return NULL;
	}
	b = blocks_build(o, NULL, 0);
	if (b == NULL)
		return NULL;
	b->fd = fd;
	b->file_mode = 1;
	b->size = (uint64_t)st.st_size;
	if (parts > 0) /* as GNU parallel: 1 + size / slots / N */
		b->block = b->size / parts + 1;
	if (b->max < b->block)
		b->max = b->block;
	if (blocks_file_header(b) == -1) {
		b->own_fd = 0;
		blocks_free(b);
		return NULL;
	}
	return b;
}

/* The next block of a file: from pos to the first boundary whose end
 * string starts at or after pos + block (GNU parallel's cut: it looks for
 * the end string from there). */
static int blocks_next_file(struct blocks *b, int *fd)
{
	uint64_t end = b->size, to;
	uint64_t nominal = b->pos + b->block + (b->re != NULL ? 0 : b->elen);
	size_t k = 1;
	long long p = 0;
	int m;

	if (b->pos >= b->size)
		return 0;
	if (nominal < blocks_first(b))
		nominal = blocks_first(b);
	to = b->size >= b->slen ? b->size - b->slen : 0;
	if (to > b->pos + b->max)
		to = b->pos + b->max; /* a longer record is an error */
	if (nominal < b->size && nominal <= to)
		p = blocks_find_nth(b, b->fd, nominal, to, &k, NULL);
	if (p == -1)
		return -1;
	if (p == 0 && b->size - b->pos > b->max) {
		errno = EMSGSIZE;
		return -1;
	}
	if (p > 0)
		end = (uint64_t)p;
	m = blocks_memfd();
	if (m == -1 || blocks_copy(m, b->fd, b->pos, end - b->pos) == -1 ||
	    lseek(m, 0, SEEK_SET) == -1) {
		close_keep_errno(m);
		return -1;
	}
	b->bytes += end - b->pos;
	b->pos = end;
	b->count++;
	*fd = m;
	return 1;
}

int blocks_next(struct blocks *b, int *fd)
{
	int rc, empty = 0;

	do {
		b->poll_fd = -1;
		rc = b->file_mode ? blocks_next_file(b, fd)
				  : blocks_next_stream(b, fd);
		if (rc == 1 && (empty = blocks_finish(b, fd)) != 0) {
			/* -1, or a block --rrs emptied: no job runs on no
			 * input (GNU parallel's --pipe runs no command) */
			close_keep_errno(*fd);
			if (empty == -1)
				return -1;
			b->count--;
		}
	} while (rc == 1 && empty);
	return rc;
}

int blocks_add_header(struct blocks *b, int *fd)
{
	return b->hlen > 0 ? blocks_prepend(b, fd) : 0;
}

int blocks_poll_fd(const struct blocks *b)
{
	return b->poll_fd;
}

unsigned long long blocks_count(const struct blocks *b)
{
	return b->count;
}

uint64_t blocks_bytes(const struct blocks *b)
{
	return b->bytes;
}

int blocks_total(const struct blocks *b, uint64_t *total)
{
	if (b->file_mode)
		*total = b->size - b->header_in;
	else if (b->eof)
		*total = b->bytes + b->len + b->plen + b->tlen;
	return b->file_mode || b->eof;
}

uint64_t blocks_max_block(const struct blocks *b)
{
	return b->max;
}

void blocks_free(struct blocks *b)
{
	if (b == NULL)
		return;
	if (b->cur != -1)
		close(b->cur);
	if (b->pr != -1)
		close(b->pr);
	if (b->pw != -1)
		close(b->pw);
	if (b->saved_flags != -1)
		fcntl(b->fd, F_SETFL, b->saved_flags);
	if (b->own_fd && b->fd != -1)
		close(b->fd);
	free(b->recend);
	free(b->recstart);
	free(b->sep);
	free(b->header);
	pcre2_code_free(b->re);
	pcre2_code_free(b->rrs_mid);
	pcre2_code_free(b->rrs_lead);
	pcre2_code_free(b->rrs_tail);
	pcre2_code_free(b->header_re);
	pcre2_match_data_free(b->md);
	free(b->buf);
	free(b);
}
