/* Unit tests for lib/input. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "input.h"
#include "unit.h"

static char tmpdir[] = "/tmp/test_input.XXXXXX";

/* A path in the temporary directory (static storage, one at a time). */
static const char *tmp_path(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

/* Write len bytes to a new file in the temporary directory. */
static const char *write_file(const char *name, const char *data, size_t len)
{
	const char *path = tmp_path(name);
	FILE *f = fopen(path, "w");

	if (f != NULL) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
	return path;
}

/* A new input with this delimiter and colsep. */
static struct input *new_input(int delim, const char *colsep)
{
	struct input_opts o = {.delim = delim, .colsep = colsep};

	return input_new(&o, NULL, 0);
}

/* A new input splitting on newlines, with records up to max bytes. */
static struct input *new_input_max(size_t max)
{
	struct input_opts o = {.delim = '\n', .max_record = max};

	return input_new(&o, NULL, 0);
}

/* The next record as its values joined by "|", or "EOF", "EAGAIN", "ERR". */
static const char *next_str(struct input *in)
{
	static char s[4096];
	struct record *r;
	size_t i;
	int rc = input_next(in, &r);

	if (rc == 0)
		return "EOF";
	if (rc == -1)
		return errno == EAGAIN ? "EAGAIN" : "ERR";
	s[0] = '\0';
	for (i = 0; i < r->n; i++) {
		if (i > 0)
			strncat(s, "|", sizeof(s) - strlen(s) - 1);
		strncat(s, r->v[i], sizeof(s) - strlen(s) - 1);
	}
	record_free(r);
	return s;
}

/* The next record, calling again while input_next says EAGAIN (a file,
 * so the descriptor is always readable); *calls counts the calls. */
static const char *next_patient(struct input *in, unsigned *calls)
{
	const char *s;

	*calls = 0;
	do {
		(*calls)++;
		s = next_str(in);
	} while (strcmp(s, "EAGAIN") == 0 && *calls < 100000);
	return s;
}

/* The length of the next record's values joined by "|" (next_str's buffer
 * is short), calling again while EAGAIN; -1 on an error, -2 at the end. */
static long long next_len(struct input *in, unsigned *calls)
{
	struct record *r;
	long long len = 0;
	size_t i;
	int rc;

	*calls = 0;
	do {
		(*calls)++;
		rc = input_next(in, &r);
	} while (rc == -1 && errno == EAGAIN && *calls < 100000);
	if (rc != 1)
		return rc == 0 ? -2 : -1;
	for (i = 0; i < r->n; i++)
		len += (long long)strlen(r->v[i]) + (i > 0);
	record_free(r);
	return len;
}

/* Add a list of up to 8 values given as one space-separated string. */
static int add_words(struct input *in, const char *words, int linked)
{
	char copy[256], *v[8], *save = NULL, *w;
	size_t n = 0;

	snprintf(copy, sizeof(copy), "%s", words);
	for (w = strtok_r(copy, " ", &save); w != NULL && n < 8;
	     w = strtok_r(NULL, " ", &save))
		v[n++] = w;
	return input_add_list(in, v, n, linked);
}

/* `:::` lists: values, origin, lineno and count. */
static void test_list(void)
{
	struct input *in = new_input('\n', NULL);
	struct record *r = NULL;

	CHECK(in != NULL);
	CHECK(add_words(in, "a b", 0) == 0);
	CHECK(input_next(in, &r) == 1);
	CHECK_INT(r->n, 1);
	CHECK_STR(r->v[0], "a");
	CHECK_STR(r->origin, ":::");
	CHECK_INT(r->lineno, 1);
	record_free(r);
	CHECK_STR(next_str(in), "b");
	CHECK_STR(next_str(in), "EOF");
	CHECK_STR(next_str(in), "EOF");
	CHECK_INT(input_count(in), 2);
	CHECK(input_error(in) == NULL);
	errno = 0;
	CHECK(add_words(in, "late", 0) == -1 && errno == EINVAL);
	input_free(in);

	in = new_input('\n', NULL);
	CHECK(input_add_list(in, NULL, 0, 0) == 0);
	CHECK_STR(next_str(in), "EOF");
	input_free(in);
	input_free(NULL);
	record_free(NULL);
}

/* Groups combine as a product, the first outermost, the last fastest. */
static void test_product(void)
{
	struct input *in = new_input('\n', NULL);
	struct record *r = NULL;

	CHECK(add_words(in, "a b", 0) == 0);
	CHECK(add_words(in, "1 2", 0) == 0);
	CHECK(add_words(in, "x y", 0) == 0);
	CHECK_STR(next_str(in), "a|1|x");
	CHECK_STR(next_str(in), "a|1|y");
	CHECK_STR(next_str(in), "a|2|x");
	CHECK(input_next(in, &r) == 1);
	CHECK_INT(r->lineno, 1);
	record_free(r);
	CHECK_STR(next_str(in), "b|1|x");
	CHECK(input_next(in, &r) == 1);
	CHECK_INT(r->lineno, 2);
	record_free(r);
	CHECK_STR(next_str(in), "b|2|x");
	CHECK_STR(next_str(in), "b|2|y");
	CHECK_STR(next_str(in), "EOF");
	CHECK_INT(input_count(in), 8);
	input_free(in);

	/* An empty factor makes an empty product. */
	in = new_input('\n', NULL);
	CHECK(add_words(in, "a b", 0) == 0);
	CHECK(input_add_list(in, NULL, 0, 0) == 0);
	CHECK_STR(next_str(in), "EOF");
	input_free(in);
}

/* Linked sources go in lockstep and stop with the shortest. */
static void test_linked(void)
{
	struct input *in = new_input('\n', NULL);
	const char *f = write_file("linked", "1\n2\n3\n", 6);

	CHECK(add_words(in, "a b c", 0) == 0);
	CHECK(add_words(in, "A B", 1) == 0);
	CHECK_STR(next_str(in), "a|A");
	CHECK_STR(next_str(in), "b|B");
	CHECK_STR(next_str(in), "EOF");
	input_free(in);

	in = new_input('\n', NULL);
	CHECK(add_words(in, "x y", 0) == 0);
	CHECK(add_words(in, "a b c", 0) == 0);
	CHECK(input_add_file(in, f, 1) == 0);
	CHECK(add_words(in, "P Q", 1) == 0);
	CHECK_STR(next_str(in), "x|a|1|P");
	CHECK_STR(next_str(in), "x|b|2|Q");
	CHECK_STR(next_str(in), "y|a|1|P");
	CHECK_STR(next_str(in), "y|b|2|Q");
	CHECK_STR(next_str(in), "EOF");
	input_free(in);

	/* linked with nothing before it starts the first group */
	in = new_input('\n', NULL);
	CHECK(add_words(in, "a", 1) == 0);
	CHECK(input_add_file(in, f, 1) == 0);
	CHECK_STR(next_str(in), "a|1");
	CHECK_STR(next_str(in), "EOF");
	input_free(in);
}

/* Records of files: last record with or without delimiter, empty ones. */
static void test_file(void)
{
	struct input *in = new_input('\n', NULL);
	const char *f = write_file("nl", "one\n\ntwo\r\n", 10);
	struct record *r = NULL;
	char path[256];

	snprintf(path, sizeof(path), "%s", f);
	CHECK(input_add_file(in, path, 0) == 0);
	CHECK(input_next(in, &r) == 1);
	CHECK_STR(r->v[0], "one");
	CHECK_STR(r->origin, path);
	CHECK_INT(r->lineno, 1);
	record_free(r);
	CHECK_STR(next_str(in), "");
	CHECK(input_next(in, &r) == 1);
	CHECK_STR(r->v[0], "two\r");
	CHECK_INT(r->lineno, 3);
	record_free(r);
	CHECK_STR(next_str(in), "EOF");
	input_free(in);

	in = new_input('\n', NULL);
	CHECK(input_add_file(in, write_file("nonl", "a\nb", 3), 0) == 0);
	CHECK_STR(next_str(in), "a");
	CHECK_STR(next_str(in), "b");
	CHECK_STR(next_str(in), "EOF");
	input_free(in);

	in = new_input('\n', NULL);
	CHECK(input_add_file(in, write_file("empty", "", 0), 0) == 0);
	CHECK_STR(next_str(in), "EOF");
	input_free(in);

	/* files after the first group are read whole */
	in = new_input('\n', NULL);
	CHECK(input_add_file(in, write_file("f1", "a\nb\n", 4), 0) == 0);
	CHECK(input_add_file(in, write_file("f2", "1\n2", 3), 0) == 0);
	CHECK_STR(next_str(in), "a|1");
	CHECK_STR(next_str(in), "a|2");
	CHECK_STR(next_str(in), "b|1");
	CHECK_STR(next_str(in), "b|2");
	CHECK_STR(next_str(in), "EOF");
	input_free(in);
}

/* -0 and -d: other delimiters. */
static void test_delim(void)
{
	struct input *in = new_input('\0', NULL);

	CHECK(input_add_file(in, write_file("z", "a b\0c\nd\0e", 10), 0) == 0);
	CHECK_STR(next_str(in), "a b");
	CHECK_STR(next_str(in), "c\nd");
	CHECK_STR(next_str(in), "e");
	CHECK_STR(next_str(in), "EOF");
	input_free(in);

	in = new_input(',', NULL);
	CHECK(input_add_file(in, write_file("d", "a,b b,\nc", 8), 0) == 0);
	CHECK_STR(next_str(in), "a");
	CHECK_STR(next_str(in), "b b");
	CHECK_STR(next_str(in), "\nc");
	CHECK_STR(next_str(in), "EOF");
	input_free(in);

	in = new_input(0xff, NULL);
	CHECK(input_add_file(in, write_file("ff", "x\xffy", 3), 0) == 0);
	CHECK_STR(next_str(in), "x");
	CHECK_STR(next_str(in), "y");
	CHECK_STR(next_str(in), "EOF");
	input_free(in);
}

/* --colsep splits file records and list values into columns (GNU). */
static void test_colsep(void)
{
	struct input *in = new_input('\n', ":");

	CHECK(in != NULL);
	CHECK(input_add_file(in, write_file("c1", "a:1\nb:2:\n\n", 10), 0) ==
	      0);
	CHECK(add_words(in, "x:y", 0) == 0);
	CHECK_STR(next_str(in), "a|1|x|y");
	CHECK_STR(next_str(in), "b|2||x|y");
	CHECK_STR(next_str(in), "|x|y");
	CHECK_STR(next_str(in), "EOF");
	input_free(in);

	in = new_input('\n', ",");
	CHECK(add_words(in, "a,b c,d, e", 0) == 0);
	CHECK_STR(next_str(in), "a|b");
	CHECK_STR(next_str(in), "c|d|");
	CHECK_STR(next_str(in), "e");
	CHECK_STR(next_str(in), "EOF");
	input_free(in);

	in = new_input('\n', "[,;]+");
	CHECK(input_add_file(in, write_file("c2", "x,,y;z\n", 7), 0) == 0);
	CHECK_STR(next_str(in), "x|y|z");
	input_free(in);

	in = new_input('\n', "\\s+");
	CHECK(input_add_file(in, write_file("c3", "p   q\n", 6), 0) == 0);
	CHECK_STR(next_str(in), "p|q");
	input_free(in);

	/* a pattern that can match the empty string still ends */
	in = new_input('\n', ",*");
	CHECK(input_add_file(in, write_file("c4", "ab,c\n", 5), 0) == 0);
	CHECK_STR(next_str(in), "a|b|c");
	CHECK_STR(next_str(in), "EOF");
	input_free(in);
}

/* A bad colsep pattern: NULL, EINVAL and a message with the offset. */
static void test_bad_colsep(void)
{
	struct input_opts o = {.delim = '\n', .colsep = "ab("};
	char err[128] = "";
	struct input *in;

	errno = 0;
	in = input_new(&o, err, sizeof(err));
	CHECK(in == NULL);
	CHECK_INT(errno, EINVAL);
	CHECK(strncmp(err, "--colsep: ", 10) == 0);
	CHECK(strstr(err, " at offset 3") != NULL);
	printf("# %s\n", err);
	o.colsep = "[a-";
	errno = 0;
	CHECK(input_new(&o, NULL, 0) == NULL && errno == EINVAL);
}

/* Missing files and directories fail at once with a message. */
static void test_missing(void)
{
	struct input *in = new_input('\n', NULL);
	const char *msg;

	errno = 0;
	CHECK(input_add_file(in, tmp_path("no_such_file"), 0) == -1);
	CHECK_INT(errno, ENOENT);
	msg = input_error(in);
	CHECK(msg != NULL && strstr(msg, "no_such_file") != NULL);
	errno = 0;
	CHECK(input_add_file(in, tmpdir, 0) == -1);
	CHECK_INT(errno, EISDIR);
	msg = input_error(in);
	CHECK(msg != NULL && strstr(msg, tmpdir) != NULL);
	input_free(in);
}

/* A read error fails input_next with a message naming the file. */
static void test_read_error(void)
{
	struct input *in = new_input('\n', NULL);
	const char *msg;

	/* reading /proc/self/mem at offset 0 fails with EIO */
	CHECK(input_add_file(in, "/proc/self/mem", 0) == 0);
	CHECK_STR(next_str(in), "ERR");
	CHECK_INT(errno, EIO);
	msg = input_error(in);
	CHECK(msg != NULL && strstr(msg, "/proc/self/mem") != NULL);
	CHECK_STR(next_str(in), "ERR");
	input_free(in);
}

/* A pipe on stdin (no source): EAGAIN until a record is complete. */
static void test_pipe(void)
{
	struct input *in = new_input('\n', NULL);
	int p[2], saved = dup(0), flags;
	struct record *r = NULL;

	CHECK(pipe(p) == 0);
	dup2(p[0], 0);
	close(p[0]);
	CHECK(write(p[1], "ab", 2) == 2);
	CHECK_STR(next_str(in), "EAGAIN");
	CHECK_INT(input_poll_fd(in), 0);
	CHECK(fcntl(0, F_GETFL) & O_NONBLOCK);
	CHECK_STR(next_str(in), "EAGAIN");
	CHECK(write(p[1], "c\nd", 3) == 3);
	CHECK(input_next(in, &r) == 1);
	CHECK_STR(r->v[0], "abc");
	CHECK_STR(r->origin, "-");
	record_free(r);
	CHECK_INT(input_poll_fd(in), -1);
	CHECK_STR(next_str(in), "EAGAIN");
	close(p[1]);
	CHECK_STR(next_str(in), "d");
	CHECK_STR(next_str(in), "EOF");
	input_free(in);
	flags = fcntl(0, F_GETFL);
	CHECK(flags != -1 && !(flags & O_NONBLOCK));
	dup2(saved, 0);
	close(saved);
}

/* A record longer than one read arrives over several calls, one read each. */
static void test_pipe_long(void)
{
	struct input *in = new_input('\n', NULL);
	size_t len = 200000, calls = 0;
	char *big = malloc(len + 1), path[64];
	struct record *r = NULL;
	int p[2], rc;

	CHECK(pipe(p) == 0);
	if (fcntl(p[1], F_SETPIPE_SZ, 1 << 20) == -1)
		len = 60000;
	memset(big, 'x', len);
	big[len] = '\n';
	snprintf(path, sizeof(path), "/dev/fd/%d", p[0]);
	CHECK(input_add_file(in, path, 0) == 0); /* before the writer closes */
	CHECK(write(p[1], big, len + 1) == (ssize_t)len + 1);
	close(p[1]);
	while ((rc = input_next(in, &r)) == -1 && errno == EAGAIN)
		calls++;
	CHECK(rc == 1);
	CHECK(len < 65536 || calls >= 2);
	if (rc == 1) {
		CHECK_INT(strlen(r->v[0]), len);
		CHECK_STR(r->origin, path);
		record_free(r);
	}
	CHECK_STR(next_str(in), "EOF");
	input_free(in);
	close(p[0]);
	free(big);
}

/* A big file and a long pipe stream give every record, in order. */
static void test_stream(void)
{
	struct input *in = new_input('\n', NULL);
	const char *path = tmp_path("big");
	unsigned long long n = 0, i, bad = 0, want = 300000;
	struct record *r = NULL;
	struct pollfd pfd;
	FILE *f = fopen(path, "w");
	char exp[32];
	int p[2], rc;
	pid_t pid;

	for (i = 1; i <= want; i++)
		fprintf(f, "%llu\n", i);
	fclose(f);
	CHECK(input_add_file(in, path, 0) == 0);
	while (input_next(in, &r) == 1) {
		snprintf(exp, sizeof(exp), "%llu", ++n);
		bad += strcmp(r->v[0], exp) != 0 || r->lineno != n;
		record_free(r);
	}
	CHECK_INT(n, want);
	CHECK_INT(bad, 0);
	input_free(in);

	/* `yes |`: a writer that never ends, read as far as we like */
	CHECK(pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		static const char ys[] = "y\ny\ny\ny\ny\ny\ny\ny\n";
		close(p[0]);
		while (write(p[1], ys, sizeof(ys) - 1) > 0)
			;
		_exit(0);
	}
	close(p[1]);
	in = new_input('\n', NULL);
	snprintf(exp, sizeof(exp), "/dev/fd/%d", p[0]);
	CHECK(input_add_file(in, exp, 0) == 0);
	n = bad = 0;
	while (n < 1000000) {
		rc = input_next(in, &r);
		if (rc == -1 && errno == EAGAIN) {
			pfd = (struct pollfd){.fd = input_poll_fd(in),
					      .events = POLLIN};
			poll(&pfd, 1, -1);
			continue;
		}
		if (rc != 1)
			break;
		bad += strcmp(r->v[0], "y") != 0;
		record_free(r);
		n++;
	}
	CHECK_INT(n, 1000000);
	CHECK_INT(bad, 0);
	input_free(in);
	close(p[0]);
	waitpid(pid, NULL, 0);
}

/* "PATH: record N WHAT" for a file in the temporary directory. */
static const char *record_msg(const char *name, int n, const char *what)
{
	static char msg[512];

	snprintf(msg, sizeof(msg), "%s: record %d %s", tmp_path(name), n, what);
	return msg;
}

#define NUL_MSG "holds a NUL byte (use -0 for NUL-delimited input)"

/* A NUL byte in a record split on another byte is an error naming the
 * source and the record; the records before it come first. */
static void test_nul(void)
{
	struct input *in = new_input('\n', NULL);
	unsigned calls;
	int p[2];

	CHECK(input_add_file(in, write_file("nul", "a\nb\0c\nd\n", 8), 0) ==
	      0);
	CHECK_STR(next_str(in), "a");
	errno = 0;
	CHECK_STR(next_str(in), "ERR");
	CHECK_INT(errno, EINVAL);
	CHECK_STR(input_error(in), record_msg("nul", 2, NUL_MSG));
	CHECK_STR(next_str(in), "ERR"); /* for good */
	CHECK_INT(input_count(in), 1);
	input_free(in);

	/* -d and --colsep too; a last record without its delimiter too */
	in = new_input(',', ":");
	CHECK(input_add_file(in, write_file("nul2", "a:b,c\0", 7), 0) == 0);
	CHECK_STR(next_str(in), "a|b");
	CHECK_STR(next_str(in), "ERR");
	CHECK_STR(input_error(in), record_msg("nul2", 2, NUL_MSG));
	input_free(in);

	/* a group read whole fails before the first record */
	in = new_input('\n', NULL);
	CHECK(add_words(in, "x y", 0) == 0);
	CHECK(input_add_file(in, write_file("nul3", "1\n\0\n", 4), 0) == 0);
	CHECK_STR(next_str(in), "ERR");
	CHECK_STR(input_error(in), record_msg("nul3", 2, NUL_MSG));
	CHECK_INT(input_count(in), 0);
	input_free(in);

	/* /dev/zero fails on its first read */
	in = new_input('\n', NULL);
	CHECK(input_add_file(in, "/dev/zero", 0) == 0);
	CHECK_STR(next_patient(in, &calls), "ERR");
	CHECK_INT(calls, 1);
	CHECK_STR(input_error(in), "/dev/zero: record 1 " NUL_MSG);
	input_free(in);

	/* a pipe: the NUL is seen before the record's end arrives; stdin is
	 * "stdin" in messages */
	in = new_input('\n', NULL);
	CHECK(pipe(p) == 0);
	CHECK(input_add_fd(in, p[0], "-", 0) == 0);
	CHECK(write(p[1], "ok\nab\0c", 8) == 8);
	CHECK_STR(next_str(in), "ok");
	CHECK_STR(next_str(in), "ERR");
	CHECK_STR(input_error(in), "stdin: record 2 " NUL_MSG);
	/* nothing will be read any more: the pipe is closed at once */
	signal(SIGPIPE, SIG_IGN);
	errno = 0;
	CHECK(write(p[1], "x", 1) == -1 && errno == EPIPE);
	CHECK_STR(next_str(in), "ERR");
	CHECK_STR(input_error(in), "stdin: record 2 " NUL_MSG);
	input_free(in);
	close(p[1]);

	/* with -0 NUL is the delimiter: /dev/zero is empty records */
	in = new_input('\0', NULL);
	CHECK(input_add_file(in, "/dev/zero", 0) == 0);
	CHECK_STR(next_str(in), "");
	CHECK_STR(next_str(in), "");
	input_free(in);
}

/* A record longer than max_record is an error naming the source and the
 * record, also when its end is not there yet. */
static void test_max_record(void)
{
	struct input *in = new_input_max(4);
	unsigned calls;
	char *big;
	int p[2];

	CHECK(input_add_file(in, write_file("max", "abcd\n\nabcde\n", 13), 0) ==
	      0);
	CHECK_STR(next_str(in), "abcd");
	CHECK_STR(next_str(in), "");
	errno = 0;
	CHECK_STR(next_str(in), "ERR");
	CHECK_INT(errno, EMSGSIZE);
	CHECK_STR(input_error(in),
		  record_msg("max", 3, "is longer than 4 (--max-record)"));
	CHECK_STR(next_str(in), "ERR");
	input_free(in);

	/* a last record without a newline, and the size with its unit */
	in = new_input_max(1024);
	big = calloc(1, 3000);
	memset(big, 'x', 2100);
	big[1024] = '\n';
	CHECK(input_add_file(in, write_file("max2", big, 2100), 0) == 0);
	CHECK_INT(next_len(in, &calls), 1024);
	CHECK_STR(next_str(in), "ERR");
	CHECK_STR(input_error(in), record_msg("max2", 2,
					      "is longer than 1K (--max-record)"));
	input_free(in);

	/* an endless record on a pipe: an error once max_record bytes came,
	 * not later: one read of at most 64 KiB per call */
	in = new_input_max(200000);
	CHECK(pipe(p) == 0);
	CHECK(input_add_fd(in, p[0], "endless", 0) == 0);
	memset(big, 'y', 3000);
	calls = 0;
	while (calls < 1000 && write(p[1], big, 3000) == 3000) {
		calls++;
		if (strcmp(next_str(in), "ERR") == 0)
			break;
	}
	CHECK_INT(errno, EMSGSIZE);
	CHECK_INT(calls, 200000 / 3000 + 1);
	CHECK_STR(input_error(in),
		  "endless: record 1 is longer than 200000 (--max-record)");
	input_free(in);
	close(p[1]);

	/* the default is 1 GiB: a record of 1 MiB is fine */
	in = new_input('\n', NULL);
	free(big);
	big = malloc((1 << 20) + 1);
	memset(big, 'z', 1 << 20);
	big[1 << 20] = '\n';
	CHECK(input_add_file(in, write_file("mib", big, (1 << 20) + 1), 0) == 0);
	CHECK_INT(next_len(in, &calls), 1 << 20);
	CHECK(calls >= 16);
	CHECK_STR(next_str(in), "EOF");
	input_free(in);
	free(big);
}

/* A file of the first group is read one read(2) per call too: a long
 * record takes several calls, each EAGAIN with the file to "wait" on
 * (always readable); files of other groups are read whole at once. */
static void test_file_stepwise(void)
{
	struct input *in = new_input('\n', NULL);
	size_t len = 200000;
	char *big = malloc(len + 3);
	struct pollfd pfd;
	unsigned calls;
	int fd;

	memset(big, 'x', len);
	memcpy(big + len, "\nb", 3);
	write_file("long", big, len + 2);
	CHECK(input_add_file(in, tmp_path("long"), 0) == 0);
	CHECK_STR(next_str(in), "EAGAIN");
	fd = input_poll_fd(in);
	CHECK(fd > 2);
	pfd = (struct pollfd){.fd = fd, .events = POLLIN};
	CHECK_INT(poll(&pfd, 1, 0), 1);
	CHECK_INT(next_len(in, &calls), len);
	CHECK(calls >= 2);
	CHECK_INT(input_poll_fd(in), -1);
	CHECK_STR(next_str(in), "b");
	CHECK_STR(next_str(in), "EOF");
	input_free(in);

	in = new_input('\n', NULL);
	CHECK(add_words(in, "a", 0) == 0);
	CHECK(input_add_file(in, tmp_path("long"), 0) == 0);
	CHECK_INT(next_len(in, &calls), len + 2);
	CHECK_INT(calls, 1);
	CHECK_STR(next_str(in), "a|b");
	CHECK_STR(next_str(in), "EOF");
	input_free(in);
	free(big);
}

/* -E ends the source that holds the string; -r passes over blank
 * records; --trim takes blanks off values and columns. */
static void test_eof_blank_trim(void)
{
	struct input_opts o = {.delim = '\n', .eof_str = "stop"};
	struct input *in = input_new(&o, NULL, 0);

	CHECK(add_words(in, "a stop b", 0) == 0);
	CHECK(add_words(in, "1 2", 0) == 0);
	CHECK_STR(next_str(in), "a|1");
	CHECK_STR(next_str(in), "a|2");
	CHECK_STR(next_str(in), "EOF");
	input_free(in);

	in = input_new(&o, NULL, 0);
	CHECK(input_add_file(in, write_file("e1", "x\nstop\ny\n", 9), 0) ==
	      0);
	CHECK(add_words(in, "p stop q", 0) == 0);
	CHECK_STR(next_str(in), "x|p");
	CHECK_STR(next_str(in), "EOF");
	input_free(in);

	o = (struct input_opts){.delim = '\n', .skip_blank = 1};
	in = input_new(&o, NULL, 0);
	CHECK(input_add_file(in, write_file("b1", "a\n\n \t\r\nb\n \n", 11),
			     0) == 0);
	CHECK_STR(next_str(in), "a");
	CHECK_STR(next_str(in), "b");
	CHECK_STR(next_str(in), "EOF");
	input_free(in);

	o = (struct input_opts){.delim = '\n', .colsep = ",",
				.trim = INPUT_TRIM_LEFT | INPUT_TRIM_RIGHT};
	in = input_new(&o, NULL, 0);
	CHECK(input_add_file(in, write_file("t1", " a ,\tb\t\n", 8), 0) == 0);
	CHECK_STR(next_str(in), "a|b");
	input_free(in);
	o = (struct input_opts){.delim = '\n', .trim = INPUT_TRIM_RIGHT};
	in = input_new(&o, NULL, 0);
	CHECK(input_add_file(in, write_file("t2", " a \n", 4), 0) == 0);
	CHECK_STR(next_str(in), " a");
	input_free(in);
}

/* --shuf: the same records, all of them, once each. */
static void test_shuffle(void)
{
	struct input_opts o = {.delim = '\n', .shuffle = 1};
	struct input *in = input_new(&o, NULL, 0);
	int seen[8] = {0}, i;
	const char *s;

	CHECK(add_words(in, "0 1 2 3 4 5 6 7", 0) == 0);
	for (i = 0; i < 8; i++) {
		s = next_str(in);
		CHECK(s[0] >= '0' && s[0] <= '7' && s[1] == '\0');
		seen[s[0] - '0']++;
	}
	CHECK_STR(next_str(in), "EOF");
	for (i = 0; i < 8; i++)
		CHECK(seen[i] == 1);
	input_free(in);

	in = input_new(&o, NULL, 0);
	CHECK(add_words(in, "", 0) == 0);
	CHECK_STR(next_str(in), "EOF");
	input_free(in);
}

/* --link: sources linked, the shorter wrapping around; a file too. */
static void test_link(void)
{
	struct input_opts o = {.delim = '\n', .link = 1};
	struct input *in = input_new(&o, NULL, 0);
	struct record *r;

	CHECK(input_add_file(in, write_file("l1", "a\nb\nc\n", 6), 0) == 0);
	CHECK(add_words(in, "1 2", 0) == 0);
	CHECK(add_words(in, "x", 0) == 0);
	CHECK_STR(next_str(in), "a|1|x");
	CHECK_STR(next_str(in), "b|2|x");
	CHECK(input_next(in, &r) == 1);
	CHECK(r->n == 3 && strcmp(r->v[1], "1") == 0 && r->lineno == 3);
	CHECK_STR(r->origin, tmp_path("l1"));
	record_free(r);
	CHECK_STR(next_str(in), "EOF");
	input_free(in);

	in = input_new(&o, NULL, 0);
	CHECK(add_words(in, "a b", 0) == 0);
	CHECK(add_words(in, "", 0) == 0); /* an empty source: nothing */
	CHECK_STR(next_str(in), "EOF");
	input_free(in);
}

/* --header :: the first record of each source names the columns. */
static void test_header(void)
{
	struct input *in = new_input('\n', ",");
	char **names;
	size_t n;

	CHECK(input_add_file(in, write_file("h1", "a,b\n1,2\n", 8), 0) == 0);
	CHECK(add_words(in, "x 9", 0) == 0);
	CHECK(input_header(in, &names, &n) == 0);
	CHECK(n == 3);
	CHECK_STR(names[0], "a");
	CHECK_STR(names[1], "b");
	CHECK_STR(names[2], "x");
	while (n > 0)
		free(names[--n]);
	free(names);
	CHECK_STR(next_str(in), "1|2|9");
	CHECK_STR(next_str(in), "EOF");
	CHECK(input_header(in, &names, &n) == -1 && errno == EINVAL);
	input_free(in);
}

int main(void)
{
	char cmd[64];

	if (mkdtemp(tmpdir) == NULL)
		return 1;
	test_list();
	test_product();
	test_linked();
	test_file();
	test_delim();
	test_colsep();
	test_eof_blank_trim();
	test_shuffle();
	test_header();
	test_link();
	test_bad_colsep();
	test_missing();
	test_read_error();
	test_pipe();
	test_pipe_long();
	test_stream();
	test_nul();
	test_max_record();
	test_file_stepwise();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		FAIL("removing the temporary directory");
	return UNIT_DONE();
}
