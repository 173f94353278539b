/* capture: buffer, spill and stream one output stream of one job. */
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "internal.h"

#define READ_CHUNK 65536
#define SPLICE_MAX (1 << 20)
#define READS_PER_CALL 4

struct capture {
	int pipe_fd;
	int out_fd;
	const struct capture_sink *sink; /* instead of out_fd, or NULL */
	int spill_fd;          /* -1 until the memory limit is passed */
	uint64_t spilled;      /* bytes in the spill file */
	struct buf mem;        /* held bytes (before the spilled ones) */
	struct buf line;       /* streaming by lines: the partial last line */
	char *tag;
	size_t tag_len;
	int at_line_start;     /* the next byte written starts a line */
	int streaming;
	int tee_fd;            /* a copy of everything read, or -1 */
	int no_splice;         /* the output refused splice(2) */
	uint64_t bytes;
	struct capture_opts opts;
};

static char read_chunk[READ_CHUNK];

/* Does a pipe hold unread bytes? */
static int pipe_has_bytes(int fd)
{
	int n = 0;

	return ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

struct capture *capture_new(int pipe_fd, int out_fd, const char *tag,
			    const struct capture_opts *opts)
{
	struct capture *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->pipe_fd = pipe_fd;
	c->out_fd = out_fd;
	c->spill_fd = -1;
	c->tee_fd = -1;
	c->at_line_start = 1;
	c->opts = *opts;
	if (tag != NULL) {
		c->tag = strdup(tag);
		if (c->tag == NULL) {
			free(c);
			return NULL;
		}
		c->tag_len = strlen(tag);
	}
	return c;
}

void capture_free(struct capture *c)
{
	if (c == NULL)
		return;
	close_keep_errno(c->pipe_fd);
	close_keep_errno(c->spill_fd);
	buf_free(&c->mem);
	buf_free(&c->line);
	free(c->tag);
	free(c);
}

int capture_fd(const struct capture *c)
{
	return c->pipe_fd;
}

int capture_streaming(const struct capture *c)
{
	return c->streaming;
}

int capture_full(const struct capture *c)
{
	return !c->streaming && c->spilled >= c->opts.spill_limit;
}

void capture_set_sink(struct capture *c, const struct capture_sink *s)
{
	c->sink = s;
}

/* Write to the output: the sink, or the descriptor. */
static int output(struct capture *c, const void *p, size_t n)
{
	if (c->sink != NULL)
		return c->sink->write(c->sink->ctx, p, n);
	return capture_write_all(c->out_fd, p, n);
}

void capture_tee(struct capture *c, int fd)
{
	c->tee_fd = fd;
}

uint64_t capture_bytes(const struct capture *c)
{
	return c->bytes;
}

int capture_write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	ssize_t w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -1;
			poll(&pfd, 1, -1);
			continue;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Write bytes to the output, with the tag at the start of each line. */
static int emit(struct capture *c, const char *p, size_t n)
{
	struct buf out = BUF_INIT;
	const char *nl;
	int rc;

	if (c->tag == NULL || n == 0)
		return output(c, p, n);
	while (n > 0) {
		if (c->at_line_start &&
		    buf_append(&out, c->tag, c->tag_len) == -1)
			goto fail;
		nl = memchr(p, '\n', n);
		size_t len = nl != NULL ? (size_t)(nl - p) + 1 : n;
		if (buf_append(&out, p, len) == -1)
			goto fail;
		c->at_line_start = nl != NULL;
		p += len;
		n -= len;
	}
	rc = output(c, out.data, out.len);
	buf_free(&out);
	return rc;
fail:
	buf_free(&out);
	return -1;
}

/* Streaming by lines: write the complete lines of p, keep the rest. */
static int emit_lines(struct capture *c, const char *p, size_t n)
{
	const char *last = memrchr(p, '\n', n);
	size_t head;

	if (last == NULL && c->line.len + n < c->opts.spill_limit)
		return buf_append(&c->line, p, n);
	head = last != NULL ? (size_t)(last - p) + 1 : n;
	if (c->line.len > 0) {
		if (emit(c, c->line.data, c->line.len) == -1)
			return -1;
		buf_reset(&c->line);
	}
	if (emit(c, p, head) == -1)
		return -1;
	return buf_append(&c->line, p + head, n - head);
}

/* Open the unlinked temporary file that holds what passes mem_limit. */
static int spill_open(struct capture *c)
{
	const char *dir = c->opts.tmpdir;
	char path[4096];
	int fd;

	if (dir == NULL)
		dir = getenv("TMPDIR");
	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd == -1) {
		if ((size_t)snprintf(path, sizeof(path), "%s/mprun.XXXXXX",
				     dir) >= sizeof(path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		fd = mkostemp(path, O_CLOEXEC);
		if (fd == -1)
			return -1;
		unlink(path);
	}
	c->spill_fd = fd;
	return 0;
}

/* Buffering: keep p in memory, or in the spill file past mem_limit. */
static int hold(struct capture *c, const char *p, size_t n)
{
	if (c->spill_fd == -1 && c->mem.len + n <= c->opts.mem_limit)
		return buf_append(&c->mem, p, n);
	if (c->spill_fd == -1 && spill_open(c) == -1)
		return -1;
	if (capture_write_all(c->spill_fd, p, n) == -1)
		return -1;
	c->spilled += n;
	return 0;
}

/* Pass freshly read bytes on, as the capture's state says. */
static int take(struct capture *c, const char *p, size_t n)
{
	if (!c->streaming)
		return hold(c, p, n);
	if (c->opts.flags & CAPTURE_LINES)
		return emit_lines(c, p, n);
	return emit(c, p, n);
}

/* Can bytes go from the pipe to the output with splice(2), uncopied? */
static int can_splice(const struct capture *c)
{
	return c->streaming && !c->no_splice && c->tag == NULL &&
	       c->sink == NULL && c->tee_fd == -1 &&
	       !(c->opts.flags & CAPTURE_LINES) && c->line.len == 0;
}

/* Streaming plainly: move what the pipe holds straight to the output.
 * 1: moved some or nothing is there; 0: end of stream; -1/errno; 2: the
 * output does not take splice (then read and write are used). */
static int splice_out(struct capture *c)
{
	ssize_t r;
	int i;

	for (i = 0; i < READS_PER_CALL; i++) {
		r = splice(c->pipe_fd, NULL, c->out_fd, NULL, SPLICE_MAX,
			   SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
		if (r == 0)
			return 0;
		if (r > 0) {
			c->bytes += (uint64_t)r;
			if (r < SPLICE_MAX)
				return 1; /* the pipe is empty now */
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			/* The pipe is empty, or the output is full: wait on
			 * the output if the pipe has bytes. */
			struct pollfd pfd = {.fd = c->out_fd, .events = POLLOUT};

			if (pipe_has_bytes(c->pipe_fd))
				poll(&pfd, 1, -1);
			else
				return 1;
			continue;
		}
		if (errno == EINVAL || errno == ENOSYS) {
			c->no_splice = 1;
			return 2;
		}
		return -1;
	}
	return 1;
}

int capture_read(struct capture *c)
{
	ssize_t r;
	int i;

	if (can_splice(c)) {
		r = splice_out(c);
		if (r != 2)
			return (int)r;
	}
	for (i = 0; i < READS_PER_CALL && !capture_full(c); i++) {
		r = read(c->pipe_fd, read_chunk, sizeof(read_chunk));
		if (r == 0)
			return 0;
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 1 : -1;
		}
		c->bytes += (uint64_t)r;
		if (c->tee_fd != -1 &&
		    capture_write_all(c->tee_fd, read_chunk, (size_t)r) == -1)
			return -1;
		if (take(c, read_chunk, (size_t)r) == -1)
			return -1;
		if ((size_t)r < sizeof(read_chunk))
			break;
	}
	return 1;
}

/* Write out the spill file's content through take(). */
static int drain_spill(struct capture *c)
{
	ssize_t r;
	off_t off = 0;

	while ((uint64_t)off < c->spilled) {
		r = pread(c->spill_fd, read_chunk, sizeof(read_chunk), off);
		if (r <= 0) {
			if (r == -1 && errno == EINTR)
				continue;
			if (r == 0)
				errno = EIO;
			return -1;
		}
		off += r;
		if (take(c, read_chunk, (size_t)r) == -1)
			return -1;
	}
	close(c->spill_fd);
	c->spill_fd = -1;
	c->spilled = 0;
	return 0;
}

int capture_stream(struct capture *c)
{
	struct buf held = c->mem;

	if (c->streaming)
		return 0;
	c->streaming = 1;
	c->mem = (struct buf)BUF_INIT;
	if (held.len > 0 && take(c, held.data, held.len) == -1) {
		buf_free(&held);
		return -1;
	}
	buf_free(&held);
	if (c->spill_fd != -1)
		return drain_spill(c);
	return 0;
}

int capture_flush(struct capture *c)
{
	if (capture_stream(c) == -1)
		return -1;
	if (c->line.len > 0) {
		if (emit(c, c->line.data, c->line.len) == -1)
			return -1;
		buf_reset(&c->line);
	}
	return 0;
}
