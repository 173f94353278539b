/* fifo: a block written into a named pipe from the loop (--fifo). */
#include "fifo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "loop.h"

#define FIFO_RETRY_FIRST_MS 1
#define FIFO_RETRY_MAX_MS 50

struct fifo_writer {
	struct loop *loop;
	char *path;
	int block;        /* the caller's */
	int fd;           /* the pipe, once open; -1 */
	int watched;
	loff_t off;
	uint64_t len;
	uint64_t retry_ms;
	struct loop_timer *timer;
};

char *fifo_dir_new(const char *tmpdir)
{
	const char *base = tmpdir != NULL ? tmpdir : getenv("TMPDIR");
	size_t n;
	char *dir;

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	n = strlen(base) + sizeof("/mprun-fifo-XXXXXX");
	dir = malloc(n);
	if (dir == NULL)
		return NULL;
	snprintf(dir, n, "%s/mprun-fifo-XXXXXX", base);
	if (mkdtemp(dir) == NULL) { /* mode 0700 */
		free(dir);
		return NULL;
	}
	return dir;
}

/* Done (all written, or the reader left): close the pipe. */
static void fifo_close(struct fifo_writer *w)
{
	if (w->watched)
		loop_fd_del(w->loop, w->fd);
	w->watched = 0;
	if (w->fd != -1)
		close(w->fd);
	w->fd = -1;
	w->len = 0;
	w->off = 0;
}

/* Write what the pipe takes; wait for room, or close at the end. */
static void fifo_write(struct loop *l, int fd, uint32_t events, void *data)
{
	struct fifo_writer *w = data;
	ssize_t n = 0;

	while ((uint64_t)w->off < w->len) {
		n = splice(w->block, &w->off, w->fd, NULL,
			   (size_t)(w->len - (uint64_t)w->off),
			   SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
	}
	if (n == -1 && errno == EAGAIN && !w->watched &&
	    loop_fd_add(w->loop, w->fd, EPOLLOUT, fifo_write, w) == 0)
		w->watched = 1;
	if (n == -1 && errno == EAGAIN && w->watched)
		return;
	fifo_close(w);
}

/* Try to open the pipe (the job may not have opened it yet). */
static void fifo_open(struct loop *l, void *data)
{
	struct fifo_writer *w = data;

	w->timer = NULL;
	w->fd = open(w->path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (w->fd != -1) {
		fifo_write(l, w->fd, 0, w);
		return;
	}
	if (errno != ENXIO && errno != EINTR)
		return; /* gone: nothing to write to */
	w->timer = loop_timer_add(l, w->retry_ms, fifo_open, w);
	if (w->retry_ms < FIFO_RETRY_MAX_MS)
		w->retry_ms *= 2;
}

struct fifo_writer *fifo_writer_start(struct loop *l, const char *path,
				      int block)
{
	struct fifo_writer *w = calloc(1, sizeof(*w));
	struct stat st;

	if (w == NULL)
		return NULL;
	w->loop = l;
	w->block = block;
	w->fd = -1;
	w->retry_ms = FIFO_RETRY_FIRST_MS;
	w->path = strdup(path);
	if (w->path == NULL || fstat(block, &st) == -1) {
		fifo_writer_stop(w);
		return NULL;
	}
	w->len = (uint64_t)st.st_size;
	fifo_open(l, w);
	return w;
}

void fifo_writer_stop(struct fifo_writer *w)
{
	if (w == NULL)
		return;
	if (w->timer != NULL)
		loop_timer_cancel(w->loop, w->timer);
	fifo_close(w);
	free(w->path);
	free(w);
}
