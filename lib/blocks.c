/* blocks: a stream or a file cut into memfds of whole records. */
#include "blocks.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define BLOCKS_WINDOW (64 * 1024)
/* The most one sendfile(2) or splice(2) call moves. */
#define BLOCKS_IO_MAX ((size_t)1 << 30)

struct blocks {
	int fd;            /* the input (the caller's) */
	int file_mode;     /* --pipepart: cut the file by offsets */
	int use_splice;    /* stream: the input is a pipe */
	int own_fd;
	int saved_flags;   /* the input's flags before O_NONBLOCK, or -1 */
	int eof;
	int poll_fd;       /* after EAGAIN, else -1 */
	char *recend, *recstart;
	size_t elen, slen;
	uint64_t block;
	size_t nrecords;   /* stream: records a block (-N), or 0 */
	size_t window;
	char *buf;         /* window + elen + slen bytes */
	/* stream: the block being filled */
	int cur;           /* its memfd, or -1 */
	uint64_t len;      /* bytes in it */
	uint64_t want;     /* fill it up to this many bytes */
	uint64_t from;     /* no boundary before this offset (-N: counted) */
	size_t counted;    /* -N: records counted in it */
	/* file mode */
	uint64_t size, pos; /* the file's size; where the next block starts */
	unsigned long long count;
};

/* A new empty memfd for a block. */
static int blocks_memfd(void)
{
	return memfd_create("mprun-block", MFD_CLOEXEC);
}

/* The first offset a boundary can be at: after recend, never at 0. */
static uint64_t blocks_first(const struct blocks *b)
{
	return b->elen > 1 ? b->elen : 1;
}

/* The options' strings and sizes, with GNU parallel's defaults. */
static struct blocks *blocks_alloc(const struct blocks_opts *o)
{
	struct blocks *b = calloc(1, sizeof(*b));
	const char *end = o->recend, *start = o->recstart;

	if (b == NULL)
		return NULL;
	if (end == NULL)
		end = start != NULL ? "" : "\n";
	if (start == NULL)
		start = "";
	b->recend = strdup(end);
	b->recstart = strdup(start);
	b->elen = strlen(end);
	b->slen = strlen(start);
	b->block = o->block;
	b->nrecords = o->nrecords;
	b->window = o->window > 0 ? o->window : BLOCKS_WINDOW;
	b->buf = malloc(b->window + b->elen + b->slen);
	b->cur = b->fd = b->poll_fd = -1;
	b->own_fd = o->own_fd;
	b->saved_flags = -1;
	b->from = blocks_first(b);
	if (b->recend == NULL || b->recstart == NULL || b->buf == NULL) {
		blocks_free(b);
		errno = ENOMEM;
		return NULL;
	}
	return b;
}

/* Is there a boundary at index i of buf (n bytes)? */
static int blocks_at(const struct blocks *b, const char *buf, size_t n,
		     size_t i)
{
	return i >= b->elen && i + b->slen <= n &&
	       memcmp(buf + i - b->elen, b->recend, b->elen) == 0 &&
	       memcmp(buf + i, b->recstart, b->slen) == 0;
}

/* Read the bytes around candidates [lo, hi] of fd into b->buf; their
 * count, or -1/errno. */
static ssize_t blocks_window(struct blocks *b, int fd, uint64_t lo,
			     uint64_t hi)
{
	size_t want = (size_t)(hi - lo) + 1 + b->elen + b->slen, got = 0;
	ssize_t n;

	while (got < want) {
		n = pread(fd, b->buf + got, want - got,
			  (off_t)(lo - b->elen + got));
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

/* The last boundary at an index in [ilo, ihi] of buf (n bytes), or -1. */
static long long blocks_last_in(const struct blocks *b, const char *buf,
				size_t n, size_t ilo, size_t ihi)
{
	int off, key = blocks_key(b, &off);
	const char *q;

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
 * the k-th (k counts down), or -1 with *k lowered by those seen. */
static long long blocks_nth_in(const struct blocks *b, const char *buf,
			       size_t n, size_t ilo, size_t ihi, size_t *k)
{
	int off, key = blocks_key(b, &off);
	const char *q;

	for (;;) {
		if (key == -1)
			q = buf + ilo + off;
		else
			q = memchr(buf + (long)ilo + off, key, ihi - ilo + 1);
		if (q == NULL)
			return -1;
		ilo = (size_t)(q - buf - off);
		if (blocks_at(b, buf, n, ilo) && --*k == 0)
			return (long long)ilo;
		if (ilo++ == ihi)
			return -1;
	}
}

/* The last boundary p in [from, to] of fd, read backwards a window at a
 * time: p, 0 if none, -1/errno. */
static long long blocks_find_last(struct blocks *b, int fd, uint64_t from,
				  uint64_t to)
{
	uint64_t hi = to, lo;
	long long i;
	ssize_t n;

	while (from <= to && from <= hi) {
		lo = hi - from + 1 > b->window ? hi - b->window + 1 : from;
		n = blocks_window(b, fd, lo, hi);
		if (n == -1)
			return -1;
		i = blocks_last_in(b, b->buf, (size_t)n, b->elen,
				   b->elen + (size_t)(hi - lo));
		if (i != -1)
			return (long long)(lo - b->elen) + i;
		if (lo == from)
			break;
		hi = lo - 1;
	}
	return 0;
}

/* The k-th boundary p in [from, to] of fd, read forwards: p, or 0 with
 * *k lowered by the boundaries seen; -1/errno. */
static long long blocks_find_nth(struct blocks *b, int fd, uint64_t from,
				 uint64_t to, size_t *k)
{
	uint64_t lo = from, hi;
	long long i;
	ssize_t n;

	while (lo <= to) {
		hi = to - lo + 1 > b->window ? lo + b->window - 1 : to;
		n = blocks_window(b, fd, lo, hi);
		if (n == -1)
			return -1;
		i = blocks_nth_in(b, b->buf, (size_t)n, b->elen,
				  b->elen + (size_t)(hi - lo), k);
		if (i != -1)
			return (long long)(lo - b->elen) + i;
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
			errno = EIO; /* the file shrank under us */
			return -1;
		}
		n -= (uint64_t)r;
	}
	return 0;
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
	b = blocks_alloc(o);
	if (b == NULL)
		return NULL;
	b->fd = fd;
	b->use_splice = S_ISFIFO(st.st_mode);
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
	size_t cap = b->window + b->elen + b->slen;
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
	b->from = blocks_first(b);
	b->counted = 0;
	b->want = b->nrecords > 0 ? b->window : b->block;
	b->count++;
	return 1;
fail:
	close_keep_errno(next);
	return -1;
}

/* By size: the cut in the filled block, 0 to read more, -1/errno. */
static long long blocks_size_cut(struct blocks *b)
{
	uint64_t want = b->want;
	long long p = 0;

	/* At the end, what is left is one block; at exactly the block size
	 * the end may not be known yet: cut as if it were not. */
	if (b->eof && b->len < want)
		return (long long)b->len;
	if (want >= b->slen + b->from)
		p = blocks_find_last(b, b->cur, b->from, want - b->slen);
	if (p != 0)
		return p;
	/* One record is longer: look on in the next block size. */
	if (want + 1 > b->slen + b->from)
		b->from = want + 1 - b->slen;
	b->want += b->block;
	return 0;
}

/* -N: the cut after nrecords records, 0 to read more, -1/errno. */
static long long blocks_count_cut(struct blocks *b)
{
	size_t k = b->nrecords - b->counted;
	uint64_t to = b->len >= b->slen ? b->len - b->slen : 0;
	long long p = 0;

	if (b->from <= to)
		p = blocks_find_nth(b, b->cur, b->from, to, &k);
	if (p > 0 && b->eof && (uint64_t)p == b->len)
		p = 0; /* the last record ends the input: a block anyway */
	if (p != 0)
		return p;
	b->counted = b->nrecords - k;
	if (to + 1 > b->from)
		b->from = to + 1;
	if (b->eof)
		return (long long)b->len;
	b->want = b->len + b->window;
	return 0;
}

/* The next block of a stream. */
static int blocks_next_stream(struct blocks *b, int *fd)
{
	long long cut;
	ssize_t n;

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
		cut = b->nrecords > 0 ? blocks_count_cut(b) : blocks_size_cut(b);
		if (cut == -1)
			return -1;
		if (cut > 0)
			return blocks_cut(b, (uint64_t)cut, fd);
	}
}

/* --- file mode --------------------------------------------------------- */

struct blocks *blocks_new_file(int fd, const struct blocks_opts *o,
			       unsigned long long parts)
{
	struct blocks *b;
	struct stat st;

	if (fstat(fd, &st) == -1)
		return NULL;
	if (!S_ISREG(st.st_mode) || (parts == 0 && o->block == 0)) {
		errno = S_ISREG(st.st_mode) ? EINVAL : ESPIPE;
		return NULL;
	}
	b = blocks_alloc(o);
	if (b == NULL)
		return NULL;
	b->fd = fd;
	b->file_mode = 1;
	b->size = (uint64_t)st.st_size;
	if (parts > 0)
		b->block = b->size / parts;
	if (b->block == 0)
		b->block = 1;
	return b;
}

/* The next block of a file: from pos to the first boundary at or after
 * pos + block. */
static int blocks_next_file(struct blocks *b, int *fd)
{
	uint64_t end = b->size, nominal = b->pos + b->block;
	size_t k = 1;
	long long p = 0;
	int m;

	if (b->pos >= b->size)
		return 0;
	if (nominal < blocks_first(b))
		nominal = blocks_first(b);
	if (nominal < b->size && b->size >= b->slen)
		p = blocks_find_nth(b, b->fd, nominal, b->size - b->slen, &k);
	if (p == -1)
		return -1;
	if (p > 0)
		end = (uint64_t)p;
	m = blocks_memfd();
	if (m == -1 || blocks_copy(m, b->fd, b->pos, end - b->pos) == -1 ||
	    lseek(m, 0, SEEK_SET) == -1) {
		close_keep_errno(m);
		return -1;
	}
	b->pos = end;
	b->count++;
	*fd = m;
	return 1;
}

int blocks_next(struct blocks *b, int *fd)
{
	b->poll_fd = -1;
	return b->file_mode ? blocks_next_file(b, fd)
			    : blocks_next_stream(b, fd);
}

int blocks_poll_fd(const struct blocks *b)
{
	return b->poll_fd;
}

unsigned long long blocks_count(const struct blocks *b)
{
	return b->count;
}

void blocks_free(struct blocks *b)
{
	if (b == NULL)
		return;
	if (b->cur != -1)
		close(b->cur);
	if (b->saved_flags != -1)
		fcntl(b->fd, F_SETFL, b->saved_flags);
	if (b->own_fd && b->fd != -1)
		close(b->fd);
	free(b->recend);
	free(b->recstart);
	free(b->buf);
	free(b);
}
