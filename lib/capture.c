/* capture: buffer, spill and stream one output stream of one job. */
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "internal.h"
#include "spill.h"

#define READ_CHUNK 65536
#define SPLICE_MAX (1 << 20)
#define READS_PER_CALL 4
/* How long a blocked write waits before looking for a Ctrl-C. */
#define WRITE_WAIT_SLICE_MS 100

struct capture {
	int pipe_fd;
	int out_fd;
	const struct capture_sink *sink; /* instead of out_fd, or NULL */
	int sink_mid_line;     /* the last byte to the sink was no newline */
	struct spill *store;   /* the memory budget and the spill file */
	int own_store;         /* made by the capture (no opts.spill) */
	struct spill_run *run; /* held bytes in the file, or NULL */
	int store_failed;      /* the last error came from the file */
	int out_failed;        /* ... or from writing to out_fd */
	struct buf mem;        /* held bytes (before the spilled ones) */
	size_t mem_taken;      /* of the store's budget, for mem */
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
	c->pipe_fd = -1;
	c->out_fd = out_fd;
	c->tee_fd = -1;
	c->at_line_start = 1;
	c->opts = *opts;
	c->store = opts->spill;
	if (c->store == NULL) {
		c->store = spill_new(0, opts->tmpdir);
		c->own_store = 1;
	}
	if (c->store == NULL)
		goto fail;
	if (tag != NULL) {
		c->tag = strdup(tag);
		if (c->tag == NULL)
			goto fail;
		c->tag_len = strlen(tag);
	}
	c->pipe_fd = pipe_fd;
	return c;
fail:
	capture_free(c);
	return NULL;
}

/* Forget the bytes held in memory and give their budget back. */
static void mem_release(struct capture *c)
{
	buf_free(&c->mem);
	spill_mem_give(c->store, c->mem_taken);
	c->mem_taken = 0;
}

void capture_free(struct capture *c)
{
	if (c == NULL)
		return;
	close_keep_errno(c->pipe_fd);
	if (c->store != NULL) {
		spill_run_free(c->run);
		mem_release(c);
		if (c->own_store)
			spill_free(c->store);
	}
	buf_free(&c->line);
	free(c->tag);
	free(c);
}

void capture_close_pipe(struct capture *c)
{
	close_keep_errno(c->pipe_fd);
	c->pipe_fd = -1;
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
	uint64_t spilled = c->run != NULL ? spill_run_bytes(c->run) : 0;

	return !c->streaming && spilled >= c->opts.spill_limit;
}

int capture_should_pause(const struct capture *c)
{
	if (!c->streaming)
		return capture_full(c);
	return c->sink != NULL && c->sink->full != NULL &&
	       c->sink->full(c->sink->ctx);
}

int capture_store_failed(const struct capture *c)
{
	return c->store_failed;
}

int capture_out_failed(const struct capture *c)
{
	return c->out_failed;
}

void capture_set_sink(struct capture *c, const struct capture_sink *s)
{
	c->sink = s;
}

/* Write to the output: the sink, or the descriptor. */
static int output(struct capture *c, const void *p, size_t n)
{
	if (c->sink != NULL && n > 0) {
		c->sink_mid_line = ((const char *)p)[n - 1] != '\n';
		return c->sink->write(c->sink->ctx, p, n);
	}
	if (c->sink != NULL)
		return 0;
	if (capture_write_all(c->out_fd, p, n) == -1) {
		c->out_failed = 1;
		return -1;
	}
	return 0;
}

void capture_tee(struct capture *c, int fd)
{
	c->tee_fd = fd;
}

uint64_t capture_bytes(const struct capture *c)
{
	return c->bytes;
}

/* When writes stop waiting (ms on the monotonic clock), or 0: never. */
static uint64_t write_deadline;

void capture_write_deadline(uint64_t ms)
{
	write_deadline = clock_now_ms() + ms;
}

/* Wait until fd takes more, in slices, giving up (-1/EINTR) as soon as a
 * Ctrl-C waits for the loop or the write deadline passed: the reader may
 * never come back. */
static int wait_writable(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	sigset_t pending;
	int r;

	for (;;) {
		if (write_deadline != 0 && clock_now_ms() >= write_deadline)
			break;
		r = poll(&pfd, 1, WRITE_WAIT_SLICE_MS);
		if (r > 0 || (r == -1 && errno != EINTR))
			return 0; /* writable, or write() says what is wrong */
		if (sigpending(&pending) == 0 && sigismember(&pending, SIGINT))
			break;
	}
	errno = EINTR;
	return -1;
}

/* Who watches writes to a terminal, or NULL. */
static const struct capture_watch *watch;

void capture_set_watch(const struct capture_watch *w)
{
	watch = w;
}

/* Does the watcher want to know about writes to fd? */
static int watched(int fd)
{
	return watch != NULL && fd >= 0 &&
	       (fd == watch->fd[0] || fd == watch->fd[1]);
}

/* Write all of p to fd (see capture_write_all). */
static int write_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN || wait_writable(fd) == -1)
				return -1;
			continue;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int capture_write_all(int fd, const void *p, size_t n)
{
	const struct capture_watch *w = watched(fd) && n > 0 ? watch : NULL;
	int rc;

	if (w != NULL)
		w->before(w->data);
	rc = write_all(fd, p, n);
	if (w != NULL)
		w->after(w->data, p, n);
	return rc;
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

/* May n more bytes stay in memory (the capture's mem_limit and the
 * store's budget)? What the buffer grows by is taken from the budget. */
static int mem_room(struct capture *c, size_t n)
{
	size_t cap;

	if (n > c->opts.mem_limit || c->mem.len > c->opts.mem_limit - n)
		return 0;
	cap = buf_reserved_cap(&c->mem, n);
	if (cap <= c->mem.cap || cap == (size_t)-1)
		return cap != (size_t)-1;
	if (!spill_mem_take(c->store, cap - c->mem.cap))
		return 0;
	c->mem_taken += cap - c->mem.cap;
	return 1;
}

/* Buffering: keep p in memory while there is room, then (and from then
 * on) in the store's file. */
static int hold(struct capture *c, const char *p, size_t n)
{
	if (c->run == NULL && mem_room(c, n))
		return buf_append(&c->mem, p, n);
	if (c->run == NULL)
		c->run = spill_run_new(c->store);
	if (c->run == NULL)
		return -1;
	if (spill_run_append(c->run, p, n) == -1) {
		c->store_failed = 1;
		return -1;
	}
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
	       c->sink == NULL && c->tee_fd == -1 && !watched(c->out_fd) &&
	       !(c->opts.flags & CAPTURE_LINES) && c->line.len == 0;
}

/* The pipe showed no bytes: 0 if it is at its end, 1 if not (yet); a
 * byte that came meanwhile is passed on (1, or -1/errno). */
static int pipe_at_end(struct capture *c)
{
	ssize_t r = read(c->pipe_fd, read_chunk, sizeof(read_chunk));

	if (r == 0)
		return 0;
	if (r == -1)
		return errno == EAGAIN || errno == EINTR ? 1 : -1;
	c->bytes += (uint64_t)r;
	return take(c, read_chunk, (size_t)r) == -1 ? -1 : 1;
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
			/* The pipe is empty (or at its end: splice does not
			 * say so while the output is full), or the output is
			 * full: wait on the output if the pipe has bytes. */
			if (!pipe_has_bytes(c->pipe_fd))
				return pipe_at_end(c);
			if (wait_writable(c->out_fd) == -1)
				return -1;
			continue;
		}
		if (errno == EINVAL || errno == ENOSYS) {
			c->no_splice = 1;
			return 2;
		}
		c->out_failed = 1;
		return -1;
	}
	return 1;
}

int capture_inject(struct capture *c, const char *p, size_t n)
{
	return take(c, p, n);
}

int capture_read(struct capture *c)
{
	ssize_t r;
	int i;

	c->store_failed = c->out_failed = 0;
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

/* Write out the bytes held in the store's file through take(). */
static int drain_spill(struct capture *c)
{
	ssize_t r;

	for (;;) {
		r = spill_run_read(c->run, read_chunk, sizeof(read_chunk));
		if (r == 0)
			break;
		if (r == -1 || take(c, read_chunk, (size_t)r) == -1)
			return -1;
	}
	spill_run_free(c->run);
	c->run = NULL;
	return 0;
}

int capture_stream(struct capture *c)
{
	struct buf held = c->mem;
	int rc;

	if (c->streaming)
		return 0;
	c->streaming = 1;
	c->mem = (struct buf)BUF_INIT;
	rc = held.len > 0 ? take(c, held.data, held.len) : 0;
	buf_free(&held);
	spill_mem_give(c->store, c->mem_taken);
	c->mem_taken = 0;
	if (rc == -1)
		return -1;
	if (c->run != NULL)
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
	/* a sink's reader takes lines: a job's last one ends with it (not
	 * glued to the next job's) */
	if (c->sink_mid_line && output(c, "\n", 1) == -1)
		return -1;
	return 0;
}
