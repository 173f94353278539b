/* Unit tests for lib/rrfeed (--round-robin) and lib/fifo (--fifo): blocks
 * written from the loop into pipes that readers in the same loop drain;
 * every byte arrives once, in whole records, and nothing blocks. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blocks.h"
#include "fifo.h"
#include "input.h"
#include "loop.h"
#include "queue.h"
#include "rrfeed.h"
#include "unit.h"

#define NREAD 4

/* A reader of one job's pipe: what it got. */
struct reader {
	struct loop *l;
	int fd;
	char *got;
	size_t len, cap;
	int eof;
};

static struct reader readers[NREAD];
static unsigned nreaders, open_readers;
static struct queue *jobs;

/* Read what is there; at end of file stop watching. */
static void reader_in(struct loop *l, int fd, uint32_t events, void *data)
{
	struct reader *r = data;
	ssize_t n;

	if (r->cap - r->len < 4096) {
		r->cap = r->cap * 2 + 8192;
		r->got = realloc(r->got, r->cap);
	}
	n = read(fd, r->got + r->len, r->cap - r->len);
	if (n > 0) {
		r->len += (size_t)n;
		return;
	}
	if (n == -1 && errno == EAGAIN)
		return;
	loop_fd_del(l, fd);
	r->eof = 1;
	if (--open_readers == 0)
		loop_stop(l);
}

/* The rrfeed put a job (or closed the queue): read its pipe. */
static void take_jobs(void *data)
{
	struct loop *l = data;
	struct record *rec;
	struct reader *r;

	while (queue_try_get(jobs, (void **)&rec) == 0) {
		queue_task_done(jobs);
		r = &readers[nreaders++];
		r->fd = rec->fd;
		rec->fd = -1;
		record_free(rec);
		fcntl(r->fd, F_SETFL, O_NONBLOCK);
		open_readers++;
		loop_fd_add(l, r->fd, EPOLLIN, reader_in, r);
	}
}

/* The lines 1..n, as seq prints them, in a pipe (a child writes them). */
static int seq_pipe(unsigned n)
{
	int p[2];
	unsigned i;
	FILE *f;

	if (pipe(p) == -1)
		return -1;
	if (fork() == 0) {
		close(p[0]);
		f = fdopen(p[1], "w");
		for (i = 1; i <= n; i++)
			fprintf(f, "%u\n", i);
		fclose(f);
		_exit(0);
	}
	close(p[1]);
	return p[0];
}

/* Each reader got whole lines; together every line of first..n once. */
static int lines_ok(unsigned first, unsigned n)
{
	unsigned char *seen = calloc(n + 1, 1);
	unsigned i, v, total = 0;
	size_t k;
	int bad = 0;

	for (i = 0; i < nreaders; i++) {
		struct reader *r = &readers[i];

		if (r->len > 0 && r->got[r->len - 1] != '\n')
			bad++;
		for (k = 0; k < r->len;) {
			v = (unsigned)strtoul(r->got + k, NULL, 10);
			if (v < first || v > n || seen[v]++)
				bad++;
			total++;
			k = (size_t)((char *)memchr(r->got + k, '\n',
						    r->len - k) -
				     r->got) + 1;
		}
	}
	free(seen);
	return bad == 0 && total == n - first + 1;
}

/* 3 jobs at most over 200000 lines in blocks of 4K: three pipes, every
 * line once in whole records; the header once a job. */
static void test_round_robin(int header)
{
	struct loop *l = loop_new();
	struct input_opts io = {.delim = '\n'};
	struct input *in = input_new(&io, NULL, 0);
	struct blocks_opts bo = {.block = 4096, .own_fd = 1,
				 .header = header ? "1" : NULL,
				 .header_apart = 1};
	struct rrfeed *f;
	unsigned i, n = 200000;
	int fd = seq_pipe(n);

	memset(readers, 0, sizeof(readers));
	nreaders = open_readers = 0;
	jobs = queue_new(1);
	CHECK(input_add_blocks(in, blocks_new_stream(fd, &bo), "-", 0) == 0);
	f = rrfeed_new(l, in, jobs, 3, take_jobs, l);
	CHECK(f != NULL);
	rrfeed_want(f);
	while (!queue_closed(jobs) || open_readers > 0) {
		if (loop_run_once(l) == -1)
			break;
		rrfeed_want(f); /* the pool asks again as it takes jobs */
	}
	CHECK_INT(nreaders, 3);
	/* with the header (line 1), each job's input starts with it once */
	for (i = 0; header && i < nreaders; i++) {
		struct reader *r = &readers[i];

		CHECK(r->len >= 2 && memcmp(r->got, "1\n", 2) == 0);
		memmove(r->got, r->got + 2, r->len - 2);
		r->len -= 2;
	}
	CHECK(lines_ok(header ? 2 : 1, n));
	CHECK(rrfeed_error(f) == NULL);
	rrfeed_free(f);
	queue_free(jobs, (void (*)(void *))record_free);
	input_free(in);
	for (i = 0; i < nreaders; i++) {
		close(readers[i].fd);
		free(readers[i].got);
	}
	loop_free(l);
}

/* A named pipe written from the loop: the reader opens it late (the
 * writer retries on its timer), gets every byte, then end of file. */
static void test_fifo(void)
{
	struct loop *l = loop_new();
	char *dir = fifo_dir_new(NULL), path[4096];
	int blk = memfd_create("t", MFD_CLOEXEC), fd;
	struct fifo_writer *w;
	struct stat st;
	size_t n = 300000, i;
	char *data = malloc(n);

	for (i = 0; i < n; i++)
		data[i] = (char)('a' + i % 26);
	CHECK(dir != NULL && stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
	snprintf(path, sizeof(path), "%s/1", dir);
	CHECK(mkfifo(path, 0600) == 0);
	CHECK(write(blk, data, n) == (ssize_t)n);
	w = fifo_writer_start(l, path, blk);
	CHECK(w != NULL);
	usleep(20000);
	loop_run_once(l); /* a retry of the open: still no reader */
	memset(readers, 0, sizeof(readers));
	open_readers = 1;
	fd = open(path, O_RDONLY | O_NONBLOCK);
	readers[0].fd = fd;
	loop_fd_add(l, fd, EPOLLIN, reader_in, &readers[0]);
	while (open_readers > 0 && loop_run_once(l) == 0)
		;
	CHECK(readers[0].eof);
	CHECK(readers[0].len == n && memcmp(readers[0].got, data, n) == 0);
	fifo_writer_stop(w);
	close(fd);
	close(blk);
	unlink(path);
	CHECK(rmdir(dir) == 0);
	free(readers[0].got);
	free(data);
	free(dir);
	loop_free(l);
}

int main(void)
{
	test_round_robin(0);
	test_round_robin(1);
	test_fifo();
	return UNIT_DONE();
}
