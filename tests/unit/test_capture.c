/* Unit tests for lib/capture: buffering, spilling, pausing, tags, lines. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "capture.h"
#include "spill.h"
#include "unit.h"

/* A pipe whose read end is non-blocking. */
static void make_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC) == -1)
		abort();
	fcntl(p[0], F_SETFL, O_NONBLOCK);
}

/* Everything written to the output file so far. */
static char *slurp(int fd, size_t *len)
{
	static char data[1 << 22];
	ssize_t r = pread(fd, data, sizeof(data) - 1, 0);

	*len = r > 0 ? (size_t)r : 0;
	data[*len] = '\0';
	return data;
}

/* A temporary output file. */
static int out_file(void)
{
	return open("/tmp", O_TMPFILE | O_RDWR, 0600);
}

/* Buffered output spills past mem_limit and comes out whole. */
static void test_spill(void)
{
	struct capture_opts o = {.mem_limit = 100, .spill_limit = 1 << 20};
	int p[2], out = out_file();
	char chunk[1000];
	struct capture *c;
	size_t len, i;

	make_pipe(p);
	c = capture_new(p[0], out, NULL, &o);
	for (i = 0; i < 50; i++) {
		memset(chunk, 'a' + (int)(i % 26), sizeof(chunk));
		CHECK(write(p[1], chunk, sizeof(chunk)) == sizeof(chunk));
		CHECK(capture_read(c) == 1);
	}
	slurp(out, &len);
	CHECK_INT(len, 0); /* nothing written while buffering */
	close(p[1]);
	while (capture_read(c) == 1)
		;
	CHECK_INT(capture_bytes(c), 50000);
	CHECK(capture_flush(c) == 0);
	char *data = slurp(out, &len);
	CHECK_INT(len, 50000);
	CHECK(data[0] == 'a' && data[999] == 'a' && data[1000] == 'b' &&
	      data[49999] == 'a' + 49 % 26);
	capture_free(c);
	close(out);
}

/* Past spill_limit the capture is full; streaming empties it. */
static void test_full(void)
{
	struct capture_opts o = {.mem_limit = 10, .spill_limit = 100};
	int p[2], out = out_file();
	char chunk[64] = {0};
	struct capture *c;
	size_t len;

	make_pipe(p);
	c = capture_new(p[0], out, NULL, &o);
	CHECK(write(p[1], chunk, 64) == 64);
	capture_read(c);
	CHECK(!capture_full(c));
	CHECK(write(p[1], chunk, 64) == 64);
	capture_read(c);
	CHECK(capture_full(c));
	CHECK(capture_stream(c) == 0);
	CHECK(!capture_full(c));
	CHECK(capture_streaming(c));
	slurp(out, &len);
	CHECK_INT(len, 128);
	CHECK(write(p[1], chunk, 10) == 10);
	capture_read(c);
	slurp(out, &len);
	CHECK_INT(len, 138); /* streamed straight through */
	close(p[1]);
	capture_free(c);
	close(out);
}

/* Tags start every line; lines mode holds a partial line. */
static void test_tag_lines(void)
{
	struct capture_opts o = {.mem_limit = 1 << 20, .spill_limit = 1 << 20,
				 .flags = CAPTURE_LINES};
	int p[2], out = out_file();
	struct capture *c;
	size_t len;

	make_pipe(p);
	c = capture_new(p[0], out, "T\t", &o);
	capture_stream(c);
	CHECK(write(p[1], "one\ntw", 6) == 6);
	capture_read(c);
	CHECK_STR(slurp(out, &len), "T\tone\n");
	CHECK(write(p[1], "o\nthr", 5) == 5);
	capture_read(c);
	CHECK_STR(slurp(out, &len), "T\tone\nT\ttwo\n");
	close(p[1]);
	CHECK(capture_read(c) == 0);
	CHECK(capture_flush(c) == 0);
	CHECK_STR(slurp(out, &len), "T\tone\nT\ttwo\nT\tthr");
	capture_free(c);
	close(out);
}

/* Open descriptors of this process. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	while (d != NULL && (e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	if (d != NULL)
		closedir(d);
	return n - 1; /* the directory's own */
}

/* Write n bytes of pattern k into a pipe and read them into c. */
static void feed(struct capture *c, int wfd, int k, size_t n)
{
	char chunk[10000];
	size_t i, m;

	while (n > 0) {
		m = n < sizeof(chunk) ? n : sizeof(chunk);
		for (i = 0; i < m; i++)
			chunk[i] = (char)('a' + (k + (int)(n - i)) % 26);
		if (write(wfd, chunk, m) != (ssize_t)m)
			abort();
		capture_read(c);
		n -= n < sizeof(chunk) ? n : sizeof(chunk);
	}
}

/* At end of stream the pipe can be closed at once; what is held stays. */
static void test_close_pipe(void)
{
	struct capture_opts o = {.mem_limit = 10, .spill_limit = 1 << 20};
	int p[2], out = out_file(), rfd;
	struct capture *c;
	size_t len;

	make_pipe(p);
	rfd = p[0];
	c = capture_new(p[0], out, NULL, &o);
	CHECK_INT(capture_fd(c), rfd);
	CHECK(write(p[1], "held and spilled\n", 17) == 17);
	close(p[1]);
	while (capture_read(c) == 1)
		;
	capture_close_pipe(c);
	CHECK_INT(capture_fd(c), -1);
	CHECK(fcntl(rfd, F_GETFD) == -1 && errno == EBADF);
	CHECK(capture_flush(c) == 0);
	CHECK_STR(slurp(out, &len), "held and spilled\n");
	capture_free(c); /* closes nothing twice */
	close(out);
}

/* Captures that share a store share its memory budget and its one file:
 * the first keeps its bytes in memory, the others spill; each comes out
 * exact; freed, they give everything back. */
static void test_shared_store(void)
{
	struct spill *s = spill_new(150000, NULL);
	struct capture_opts o = {.mem_limit = 1 << 20,
				 .spill_limit = UINT64_MAX, .spill = s};
	struct capture *c[3];
	int p[3][2], out[3], k, fds;
	size_t len, i;
	char *data;

	fds = count_fds();
	for (k = 0; k < 3; k++) {
		make_pipe(p[k]);
		out[k] = out_file();
		c[k] = capture_new(p[k][0], out[k], NULL, &o);
	}
	for (i = 0; i < 10; i++)
		for (k = 0; k < 3; k++)
			feed(c[k], p[k][1], k, 10000);
	CHECK(spill_mem_used(s) <= 150000);
	CHECK(spill_mem_used(s) > 100000);      /* the first, in memory */
	/* the rest, past the budget, in the file */
	CHECK(spill_live(s) >= 150000 && spill_live(s) <= 200000);
	CHECK_INT(count_fds(), fds + 3 * 3 + 1); /* one file for both */
	for (k = 0; k < 3; k++) {
		close(p[k][1]);
		while (capture_read(c[k]) == 1)
			;
		CHECK(capture_flush(c[k]) == 0);
		data = slurp(out[k], &len);
		CHECK_INT(len, 100000);
		CHECK(data[0] == 'a' + (k + 10000) % 26 &&
		      data[99999] == 'a' + (k + 1) % 26);
	}
	CHECK_INT(spill_live(s), 0);
	CHECK_INT(spill_mem_used(s), 0); /* streaming gave memory back */
	for (k = 0; k < 3; k++) {
		capture_free(c[k]);
		close(out[k]);
	}
	CHECK_INT(count_fds(), fds + 1);
	spill_free(s);
	CHECK_INT(count_fds(), fds);
}

/* A spill file that cannot be made: the read fails, and says so. */
static void test_store_failed(void)
{
	struct capture_opts o = {.mem_limit = 4, .spill_limit = 1 << 20,
				 .tmpdir = "/nonexistent/dir"};
	int p[2], out = out_file();
	struct capture *c;

	make_pipe(p);
	c = capture_new(p[0], out, NULL, &o);
	CHECK(write(p[1], "abc", 3) == 3);
	CHECK(capture_read(c) == 1);
	CHECK(!capture_store_failed(c));
	CHECK(write(p[1], "defgh", 5) == 5);
	CHECK(capture_read(c) == -1 && errno == ENOENT);
	CHECK(capture_store_failed(c));
	close(p[1]);
	capture_free(c);
	close(out);
}

/* What the watch of writes saw: the calls in order ("b" before, "a" and
 * the bytes after), and the output's length at each before(). */
static char watch_log[256];
static size_t watch_out_len[8], watch_befores;
static int watch_out;

static void watch_before(void *data)
{
	size_t len;

	strcat(watch_log, "b");
	slurp(watch_out, &len);
	if (watch_befores < 8)
		watch_out_len[watch_befores++] = len;
}

static void watch_after(void *data, const void *p, size_t n)
{
	strcat(watch_log, "a:");
	strncat(watch_log, p, n);
	strcat(watch_log, "|");
}

/* A watcher is told before and after every write to the descriptors it
 * names, with the bytes; a streaming capture to a pipe it names writes
 * (no splice: the watcher sees the bytes); other descriptors: nothing. */
static void test_watch(void)
{
	struct capture_opts o = {.mem_limit = 1 << 20, .spill_limit = 1 << 20};
	int p[2], q[2], other = out_file();
	struct capture_watch w = {.fd = {-1, -1}, .before = watch_before,
				  .after = watch_after};
	struct capture *c;
	char got[64];
	size_t len;

	watch_out = out_file();
	w.fd[1] = watch_out;
	capture_set_watch(&w);
	CHECK(capture_write_all(watch_out, "one\n", 4) == 0);
	CHECK(capture_write_all(other, "not seen", 8) == 0);
	CHECK(capture_write_all(watch_out, "tw", 2) == 0);
	CHECK_STR(watch_log, "ba:one\n|ba:tw|");
	CHECK_INT(watch_befores, 2); /* before the bytes went out */
	CHECK_INT(watch_out_len[0], 0);
	CHECK_INT(watch_out_len[1], 4);
	CHECK_STR(slurp(watch_out, &len), "one\ntw");
	CHECK_STR(slurp(other, &len), "not seen");

	/* a job's stream to a watched pipe */
	make_pipe(p);
	make_pipe(q);
	w.fd[0] = q[1];
	watch_log[0] = '\0';
	c = capture_new(p[0], q[1], NULL, &o);
	capture_stream(c);
	CHECK(write(p[1], "job\n", 4) == 4);
	CHECK(capture_read(c) == 1);
	CHECK_STR(watch_log, "ba:job\n|");
	CHECK(read(q[0], got, sizeof(got)) == 4);
	capture_free(c);
	close(p[1]);

	capture_set_watch(NULL);
	watch_log[0] = '\0';
	CHECK(capture_write_all(q[1], "x", 1) == 0);
	CHECK_STR(watch_log, "");
	close(q[0]);
	close(q[1]);
	close(watch_out);
	close(other);
}

int main(void)
{
	test_spill();
	test_full();
	test_tag_lines();
	test_close_pipe();
	test_shared_store();
	test_store_failed();
	test_watch();
	return UNIT_DONE();
}
