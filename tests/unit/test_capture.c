/* Unit tests for lib/capture: buffering, spilling, pausing, tags, lines. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "capture.h"
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

int main(void)
{
	test_spill();
	test_full();
	test_tag_lines();
	return UNIT_DONE();
}
