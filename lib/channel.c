/* channel: a never-blocking byte pipe between two pipeline stages. */
#include "channel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "buf.h"
#include "capture.h"
#include "hold.h"
#include "internal.h"
#include "loop.h"

#define CHUNK 65536

struct channel {
	struct loop *loop;
	int wfd, rfd;          /* the pipe: our end, the consumer's end */
	int watching;          /* wfd is watched for EPOLLOUT */
	struct buf mem;        /* pending bytes, from mem_off on */
	size_t mem_off;
	size_t mem_limit;
	int spill_fd;          /* more pending bytes, after those in mem */
	uint64_t spill_rd, spill_wr;
	const char *tmpdir;
	int closed, done, broken;
	void (*drain)(void *);
	void *drain_data;
};

static void channel_pump(struct loop *l, int fd, uint32_t events,
			 void *data);

struct channel *channel_new(struct loop *l, size_t mem_limit,
			    const char *tmpdir)
{
	struct channel *ch = calloc(1, sizeof(*ch));
	int p[2];

	if (ch == NULL)
		return NULL;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1) {
		free(ch);
		return NULL;
	}
	ch->loop = l;
	ch->rfd = p[0];
	ch->wfd = p[1];
	ch->spill_fd = -1;
	ch->mem_limit = mem_limit > 0 ? mem_limit : CHUNK;
	ch->tmpdir = tmpdir;
	if (loop_fd_add(l, ch->wfd, 0, channel_pump, ch) == -1) {
		channel_free(ch);
		return NULL;
	}
	return ch;
}

void channel_free(struct channel *ch)
{
	if (ch == NULL)
		return;
	if (ch->wfd != -1) {
		loop_fd_del(ch->loop, ch->wfd);
		close(ch->wfd);
	}
	close_keep_errno(ch->rfd);
	close_keep_errno(ch->spill_fd);
	buf_free(&ch->mem);
	free(ch);
}

int channel_take_reader(struct channel *ch)
{
	int fd = ch->rfd;

	ch->rfd = -1;
	return fd;
}

uint64_t channel_backlog(const struct channel *ch)
{
	return (ch->mem.len - ch->mem_off) + (ch->spill_wr - ch->spill_rd);
}

void channel_on_drain(struct channel *ch, void (*fn)(void *), void *data)
{
	ch->drain = fn;
	ch->drain_data = data;
}

int channel_done(const struct channel *ch)
{
	return ch->done;
}

/* Watch our end for room in the pipe, or stop watching. */
static void channel_watch(struct channel *ch, int on)
{
	if (ch->wfd == -1 || ch->watching == on)
		return;
	ch->watching = on;
	loop_fd_mod(ch->loop, ch->wfd, on ? EPOLLOUT : 0);
}

/* Hold n bytes: in memory while nothing is spilled and there is room. */
static int channel_hold(struct channel *ch, const void *p, size_t n)
{
	ssize_t w;

	if (ch->spill_wr == ch->spill_rd &&
	    ch->mem.len - ch->mem_off + n <= ch->mem_limit)
		return buf_append(&ch->mem, p, n);
	if (ch->spill_fd == -1)
		ch->spill_fd = hold_open(ch->tmpdir);
	if (ch->spill_fd == -1)
		return -1;
	while (n > 0) {
		w = pwrite(ch->spill_fd, p, n, (off_t)ch->spill_wr);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -1;
		ch->spill_wr += (uint64_t)w;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

/* Refill memory from the spill file once memory is all sent. */
static int channel_refill(struct channel *ch)
{
	char chunk[CHUNK];
	uint64_t left = ch->spill_wr - ch->spill_rd;
	ssize_t r;

	buf_reset(&ch->mem);
	ch->mem_off = 0;
	if (left == 0)
		return 0;
	r = pread(ch->spill_fd, chunk, left < CHUNK ? (size_t)left : CHUNK,
		  (off_t)ch->spill_rd);
	if (r <= 0)
		return -1;
	ch->spill_rd += (uint64_t)r;
	if (ch->spill_rd == ch->spill_wr) {
		ch->spill_rd = ch->spill_wr = 0;
		if (ftruncate(ch->spill_fd, 0) == -1)
			return -1;
	}
	return buf_append(&ch->mem, chunk, (size_t)r);
}

/* Close our end: the reader sees end of file. */
static void channel_finish(struct channel *ch)
{
	if (ch->wfd == -1)
		return;
	loop_fd_del(ch->loop, ch->wfd);
	close(ch->wfd);
	ch->wfd = -1;
	ch->done = 1;
}

/* Move pending bytes into the pipe while it has room; notify: tell the
 * drain callback if the backlog fell (only from the loop, never from
 * inside a write, which may come from the producer's own pool). */
static void channel_send(struct channel *ch, int notify)
{
	uint64_t before = channel_backlog(ch);
	ssize_t w;

	while (!ch->broken && channel_backlog(ch) > 0) {
		if (ch->mem_off == ch->mem.len && channel_refill(ch) == -1) {
			ch->broken = 1;
			break;
		}
		w = write(ch->wfd, ch->mem.data + ch->mem_off,
			  ch->mem.len - ch->mem_off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1) {
			if (errno != EAGAIN)
				ch->broken = 1;
			break;
		}
		ch->mem_off += (size_t)w;
	}
	if (ch->mem_off == ch->mem.len) {
		buf_reset(&ch->mem);
		ch->mem_off = 0;
	}
	channel_watch(ch, !ch->broken && channel_backlog(ch) > 0);
	if ((ch->closed && channel_backlog(ch) == 0) || ch->broken)
		channel_finish(ch);
	if (notify && channel_backlog(ch) < before && ch->drain != NULL)
		ch->drain(ch->drain_data);
}

/* The loop: the pipe has room again. */
static void channel_pump(struct loop *l, int fd, uint32_t events,
			 void *data)
{
	channel_send(data, 1);
}

int channel_write(struct channel *ch, const void *p, size_t n)
{
	if (ch->broken || ch->closed) {
		errno = EPIPE;
		return -1;
	}
	if (channel_hold(ch, p, n) == -1)
		return -1;
	if (!ch->watching)
		channel_send(ch, 0);
	return 0;
}

void channel_close(struct channel *ch)
{
	if (ch->closed)
		return;
	ch->closed = 1;
	channel_send(ch, 0);
}
