/* rrfeed: --round-robin: blocks written in turn to a fixed set of jobs. */
#include "rrfeed.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "feed.h"
#include "input.h"
#include "internal.h"
#include "loop.h"
#include "queue.h"

/* One job's stdin pipe and the block going into it. */
struct rr_pipe {
	struct rrfeed *f;
	int w;          /* the write end, or -1 once closed */
	int blk;        /* the block being written, or -1 */
	loff_t off;     /* bytes of it written */
	uint64_t len;
	int fed;        /* it had a block (and the header) */
};

struct rrfeed {
	struct loop *loop;
	struct input *in;
	struct queue *q;       /* the run's: one record a job */
	struct queue *blocks;  /* the feed's: one block at most */
	struct feed *feed;
	void (*notify)(void *data);
	void *data;
	struct rr_pipe *pipes; /* slots of them, npipes made */
	unsigned slots, npipes;
	struct record *pending; /* a job's record the queue had no room for */
	int spare;             /* a block no byte of which went out, or -1 */
	int busy, again;       /* inside rr_move: no recursion */
	uint64_t written;      /* bytes into the pipes */
};

static void rr_move(struct rrfeed *f);

struct rrfeed *rrfeed_new(struct loop *l, struct input *in, struct queue *q,
			  unsigned slots, void (*notify)(void *data),
			  void *data)
{
	struct rrfeed *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->loop = l;
	f->in = in;
	f->q = q;
	f->notify = notify;
	f->data = data;
	f->slots = slots > 0 ? slots : 1;
	f->spare = -1;
	f->pipes = calloc(f->slots, sizeof(*f->pipes));
	f->blocks = queue_new(1);
	if (f->pipes != NULL && f->blocks != NULL)
		f->feed = feed_new(l, in, f->blocks,
				   (void (*)(void *))rr_move, f);
	if (f->feed == NULL) {
		rrfeed_free(f);
		return NULL;
	}
	return f;
}

/* Close a pipe's write end (its job sees end of file) and its block. */
static void rr_close(struct rr_pipe *p)
{
	if (p->w != -1) {
		loop_fd_del(p->f->loop, p->w);
		close(p->w);
	}
	if (p->blk != -1)
		close(p->blk);
	p->w = p->blk = -1;
}

void rrfeed_free(struct rrfeed *f)
{
	unsigned i;

	if (f == NULL)
		return;
	for (i = 0; i < f->npipes; i++)
		rr_close(&f->pipes[i]);
	record_free(f->pending);
	if (f->spare != -1)
		close(f->spare);
	feed_free(f->feed);
	queue_free(f->blocks, (void (*)(void *))record_free);
	free(f->pipes);
	free(f);
}

/* Every job was started and has gone: nothing more can be written. */
static int rr_all_gone(const struct rrfeed *f)
{
	unsigned i;

	for (i = 0; i < f->npipes; i++)
		if (f->pipes[i].w != -1)
			return 0;
	return f->npipes == f->slots;
}

/* The input is all read and every block taken (or no job is left to
 * take one). */
static int rr_input_done(const struct rrfeed *f)
{
	return (queue_closed(f->blocks) && queue_len(f->blocks) == 0 &&
		f->spare == -1) ||
	       rr_all_gone(f);
}

/* Put the pending job in the run's queue if there is room. */
static void rr_put_pending(struct rrfeed *f)
{
	if (f->pending != NULL && queue_try_put(f->q, f->pending) == 0) {
		f->pending = NULL;
		f->notify(f->data);
	}
	if (f->pending == NULL && rr_input_done(f) && !queue_closed(f->q)) {
		queue_close(f->q);
		f->notify(f->data);
	}
}

/* The loop says pipe p has room (or its reader is gone). */
static void rr_writable(struct loop *l, int fd, uint32_t events, void *data)
{
	struct rr_pipe *p = data;

	rr_move(p->f);
}

/* A new job: a pipe whose read end is its record's stdin. Its index, or
 * -1/errno. */
static int rr_new_pipe(struct rrfeed *f)
{
	struct rr_pipe *p = &f->pipes[f->npipes];
	struct record *r;
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	r = record_new_fd("-", f->npipes + 1, fds[0]);
	if (r == NULL || fcntl(fds[1], F_SETFL, O_NONBLOCK) == -1 ||
	    loop_fd_add(f->loop, fds[1], 0, rr_writable, p) == -1) {
		if (r == NULL)
			close_keep_errno(fds[0]);
		record_free(r);
		close_keep_errno(fds[1]);
		return -1;
	}
	p->f = f;
	p->w = fds[1];
	p->blk = -1;
	f->pending = r;
	return (int)f->npipes++;
}

/* The pipe the next block goes to: a new job while there may be more
 * (the -j jobs all start, as GNU parallel's: a block waits for the job
 * before it to be taken), else one that took all of its block; -1 if none
 * now. */
static int rr_target(struct rrfeed *f)
{
	unsigned i;

	if (f->npipes < f->slots)
		return f->pending == NULL ? rr_new_pipe(f) : -1;
	for (i = 0; i < f->npipes; i++)
		if (f->pipes[i].w != -1 && f->pipes[i].blk == -1)
			return (int)i;
	return -1;
}

/* The next block: the spare one, else one of the feed's; -1 if none now. */
static int rr_next_block(struct rrfeed *f)
{
	struct record *r;
	int fd;

	if (f->spare != -1) {
		fd = f->spare;
		f->spare = -1;
		return fd;
	}
	if (queue_try_get(f->blocks, (void **)&r) == -1)
		return -1;
	queue_task_done(f->blocks);
	fd = r->fd;
	r->fd = -1;
	record_free(r);
	return fd;
}

/* Write what pipe p can take of its block; at its end, free the block. */
static void rr_write(struct rrfeed *f, struct rr_pipe *p)
{
	ssize_t n = 0;

	while (p->blk != -1 && (uint64_t)p->off < p->len) {
		n = splice(p->blk, &p->off, p->w, NULL,
			   (size_t)(p->len - (uint64_t)p->off),
			   SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		f->written += (uint64_t)n;
	}
	if (n == -1 && errno == EAGAIN) {
		loop_fd_mod(f->loop, p->w, EPOLLOUT);
		return;
	}
	if (n == -1 && p->off == 0 && f->spare == -1) {
		f->spare = p->blk; /* the job is gone: another one takes it */
		p->blk = -1;
	}
	if (n == -1) {
		rr_close(p);
		return;
	}
	close(p->blk);
	p->blk = -1;
	loop_fd_mod(f->loop, p->w, 0);
}

/* Give blocks to pipes that can take them, while there are blocks. */
static void rr_give(struct rrfeed *f)
{
	struct stat st;
	int i, blk;

	for (;;) {
		if (f->spare == -1 && queue_len(f->blocks) == 0)
			feed_want(f->feed);
		if (f->spare == -1 && queue_len(f->blocks) == 0)
			return;
		i = rr_target(f);
		if (i == -1 || (blk = rr_next_block(f)) == -1)
			return;
		if ((!f->pipes[i].fed && input_add_header(f->in, &blk) == -1) ||
		    fstat(blk, &st) == -1) {
			close(blk);
			continue;
		}
		f->pipes[i].fed = 1;
		f->pipes[i].blk = blk;
		f->pipes[i].off = 0;
		f->pipes[i].len = (uint64_t)st.st_size;
		rr_write(f, &f->pipes[i]);
		rr_put_pending(f);
	}
}

/* Move blocks along: write what the pipes take, give out new blocks,
 * close the pipes once the input is all in them. */
static void rr_move(struct rrfeed *f)
{
	unsigned i;

	if (f->busy) {
		f->again = 1;
		return;
	}
	f->busy = 1;
	do {
		f->again = 0;
		for (i = 0; i < f->npipes; i++)
			if (f->pipes[i].blk != -1)
				rr_write(f, &f->pipes[i]);
		rr_give(f);
		for (i = 0; i < f->npipes && rr_input_done(f); i++)
			if (f->pipes[i].blk == -1)
				rr_close(&f->pipes[i]);
		rr_put_pending(f);
	} while (f->again);
	f->busy = 0;
}

void rrfeed_want(struct rrfeed *f)
{
	rr_move(f);
}

const char *rrfeed_error(const struct rrfeed *f)
{
	return feed_error(f->feed);
}

uint64_t rrfeed_bytes(const struct rrfeed *f)
{
	return f->written;
}
