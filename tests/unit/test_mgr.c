/* Unit tests for lib/mgr: the counter service over a Unix socket and TCP —
 * add, set, get and list through mgr_call reach the shared segment; a
 * wrong key, a malformed or too long line are refused and counted; a
 * silent client does not hold up the others; mgr_free leaves no socket.
 * The clients run in a child process (mgr_call blocks) while the test's
 * loop serves. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hmac.h"
#include "loop.h"
#include "mgr.h"
#include "shm.h"
#include "unit.h"

/* The client child's results: a line each, read by the parent. */
static int results[2];

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	(void)!write(results[1], line, (size_t)n);
}

/* One call, its outcome as "rc errno reply|". */
static void call(const char *addr, const char *key, const char *req)
{
	char err[512], *reply = NULL;
	int rc = mgr_call(addr, key, req, &reply, 5000, err, sizeof(err));

	say("%d %d %s|", rc, rc == -1 ? errno : 0,
	    rc == -1 ? err : reply);
	free(reply);
}

/* A socket connected to the Unix socket path, or -1. */
static int connect_unix(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd != -1 &&
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Send raw bytes to a Unix socket; say what came back. */
static void raw(const char *path, const char *bytes, size_t n)
{
	char back[512];
	size_t len = 0;
	ssize_t r;
	int fd = connect_unix(path);

	if (fd == -1) {
		say("noconnect|");
		return;
	}
	(void)!write(fd, bytes, n);
	while ((r = read(fd, back + len, sizeof(back) - 1 - len)) > 0)
		len += (size_t)r;
	back[len] = '\0';
	/* the answer after the greeting line */
	say("%s|", strchr(back, '\n') ? strchr(back, '\n') + 1 : back);
	close(fd);
}

/* Answer the challenge of the service at path with the first digits hex
 * digits of the right MAC for key, then req; say what came back. */
static void raw_mac(const char *path, const char *key, size_t digits,
		    const char *req)
{
	unsigned char d[HMAC_SHA256_LEN];
	char back[512], hex[2 * HMAC_SHA256_LEN + 1], line[512];
	const char *nonce;
	size_t len = 0;
	ssize_t r;
	int fd = connect_unix(path);

	if (fd == -1) {
		say("noconnect|");
		return;
	}
	while (!memchr(back, '\n', len) &&
	       (r = read(fd, back + len, sizeof(back) - 1 - len)) > 0)
		len += (size_t)r;
	back[len] = '\0';
	nonce = back + strlen(MGR_GREETING);
	if (len < strlen(MGR_GREETING) + MGR_NONCE_HEX) {
		say("nogreeting|");
		close(fd);
		return;
	}
	hmac_sha256(key, strlen(key), nonce, MGR_NONCE_HEX, d);
	hmac_hex(d, sizeof(d), hex);
	snprintf(line, sizeof(line), "%.*s %s\n", (int)digits, hex, req);
	(void)!write(fd, line, strlen(line));
	len = 0;
	while ((r = read(fd, back + len, sizeof(back) - 1 - len)) > 0)
		len += (size_t)r;
	back[len] = '\0';
	say("%s|", back);
	close(fd);
}

struct child {
	pid_t pid;
	int status, done;
	struct loop *l;
};

static int reaped(void *data, pid_t pid, int status)
{
	struct child *c = data;

	if (pid != c->pid)
		return 0;
	c->status = status;
	c->done = 1;
	loop_stop(c->l);
	return 1;
}

/* Run fn in a child while l serves; its said lines into out. */
static void serve_while(struct loop *l, void (*fn)(void *), void *arg,
			char *out, size_t len)
{
	struct child c = {.l = l};
	ssize_t n;
	size_t got = 0;

	CHECK(pipe(results) == 0);
	loop_child_add(l, reaped, &c);
	c.pid = fork();
	if (c.pid == 0) {
		close(results[0]);
		fn(arg);
		_exit(0);
	}
	close(results[1]);
	while (!c.done)
		loop_run_once(l);
	loop_child_del(l, reaped, &c);
	while (got + 1 < len &&
	       (n = read(results[0], out + got, len - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(results[0]);
	CHECK(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0);
}

struct ctx {
	const char *addr, *key, *path;
};

static void requests(void *arg)
{
	struct ctx *x = arg;

	call(x->addr, x->key, "add n 5");
	call(x->addr, x->key, "add n -2");
	call(x->addr, x->key, "set m 42");
	call(x->addr, x->key, "get n");
	call(x->addr, x->key, "get never");
	call(x->addr, x->key, "list");
	call(x->addr, x->key, "add bad/name! 1");
	call(x->addr, x->key, "add n 9223372036854775807");
}

/* add, set, get, list: the answers and the segment. */
static void test_requests(struct loop *l, struct shm_seg *seg)
{
	struct mgr_opts o = {.unix_socket = 1};
	char err[256], out[4096];
	struct mgr *m = mgr_new(&o, err, sizeof(err));
	struct ctx x;
	long long v = 0;

	CHECK(m != NULL);
	if (m == NULL)
		return;
	CHECK(strlen(mgr_key(m)) == MGR_KEY_HEX);
	CHECK(strncmp(mgr_unix_address(m), "unix:", 5) == 0);
	CHECK(mgr_tcp_address(m) == NULL);
	CHECK_INT(mgr_start(m, l, seg), 0);
	x = (struct ctx){mgr_unix_address(m), mgr_key(m), mgr_unix_path(m)};
	serve_while(l, requests, &x, out, sizeof(out));
	CHECK_STR(out, "0 0 5|0 0 3|0 0 42|0 0 3|0 0 0|"
		       "0 0 m 42\nn 3\n|"
		       "-1 22 |"
		       "-1 34 |");
	CHECK(shm_counter_get(seg, "n", &v) == 0 && v == 3);
	CHECK(shm_counter_get(seg, "m", &v) == 0 && v == 42);
	CHECK(mgr_served(m) == 6);
	CHECK(mgr_refused(m) == 1); /* the bad name: malformed */
	mgr_free(m);
}

static void wrong_key(void *arg)
{
	struct ctx *x = arg;
	char key[MGR_KEY_HEX + 1];

	memset(key, '0', MGR_KEY_HEX);
	key[MGR_KEY_HEX] = '\0';
	call(x->addr, key, "add n 1");
	call(x->addr, "", "add n 1");
	raw(x->path, "nonsense\n", 9);
	raw(x->path, "a\0b\n", 4);
	{
		char big[MGR_LINE_MAX + 10];

		memset(big, 'x', sizeof(big));
		raw(x->path, big, sizeof(big));
	}
	/* the right MAC cut short, or none: refused; whole: served */
	raw_mac(x->path, x->key, 8, "add n 1");
	raw_mac(x->path, x->key, 0, "add n 1");
	raw_mac(x->path, x->key, 2 * HMAC_SHA256_LEN, "add n 1");
}

/* A wrong key, a line that is no request, a NUL, too long a line, the
 * right MAC cut short or left out: refused, counted, nothing changed (the
 * whole MAC, last, is served). */
static void test_refused(struct loop *l, struct shm_seg *seg)
{
	struct mgr_opts o = {.unix_socket = 1};
	char err[256], out[4096];
	struct mgr *m = mgr_new(&o, err, sizeof(err));
	struct ctx x;
	long long v = 0;

	CHECK_INT(shm_counter_set(seg, "n", 3), 0);
	CHECK(m != NULL && mgr_start(m, l, seg) == 0);
	if (m == NULL)
		return;
	x = (struct ctx){mgr_unix_address(m), mgr_key(m), mgr_unix_path(m)};
	serve_while(l, wrong_key, &x, out, sizeof(out));
	CHECK(strstr(out, "-1 13 the counter service at unix:") == out);
	CHECK(strstr(out, "refused the key") != NULL);
	CHECK(strstr(out, "|err EACCES\n|err EINVAL\n|err EINVAL\n|"
			  "err EACCES\n|err EACCES\n|ok 4\n|") != NULL);
	CHECK(shm_counter_get(seg, "n", &v) == 0 && v == 4);
	CHECK(mgr_refused(m) == 7);
	CHECK(mgr_served(m) == 1);
	mgr_free(m);
}

static void silent_then_ask(void *arg)
{
	struct ctx *x = arg;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", x->path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		say("noconnect|");
	/* fd says nothing and stays open while another asks */
	call(x->addr, x->key, "add n 1");
	close(fd);
}

/* A client that connects and says nothing does not stall another. */
static void test_silent(struct loop *l, struct shm_seg *seg)
{
	struct mgr_opts o = {.unix_socket = 1};
	char err[256], out[4096];
	struct mgr *m = mgr_new(&o, err, sizeof(err));
	struct ctx x;
	uint64_t t0 = loop_now_ms();

	CHECK_INT(shm_counter_set(seg, "n", 0), 0);
	CHECK(m != NULL && mgr_start(m, l, seg) == 0);
	if (m == NULL)
		return;
	x = (struct ctx){mgr_unix_address(m), mgr_key(m), mgr_unix_path(m)};
	serve_while(l, silent_then_ask, &x, out, sizeof(out));
	CHECK_STR(out, "0 0 1|");
	CHECK(loop_now_ms() - t0 < MGR_IDLE_MS);
	mgr_free(m);
}

static void over_tcp(void *arg)
{
	struct ctx *x = arg;

	call(x->addr, x->key, "add t 7");
	call(x->addr, x->key, "get t");
	call("tcp:127.0.0.1:1", x->key, "get t"); /* nobody listens */
}

/* The TCP listener on a given address. */
static void test_tcp(struct loop *l, struct shm_seg *seg)
{
	struct mgr_opts o = {.tcp = 1, .tcp_bind = "127.0.0.1"};
	char err[256], out[4096];
	struct mgr *m = mgr_new(&o, err, sizeof(err));
	struct ctx x;

	CHECK(m != NULL && mgr_start(m, l, seg) == 0);
	if (m == NULL)
		return;
	CHECK(strncmp(mgr_tcp_address(m), "tcp:127.0.0.1:", 14) == 0);
	CHECK(mgr_unix_address(m) == NULL);
	x = (struct ctx){mgr_tcp_address(m), mgr_key(m), NULL};
	serve_while(l, over_tcp, &x, out, sizeof(out));
	CHECK(strncmp(out, "0 0 7|0 0 7|-1 111 cannot reach the counter "
			   "service at tcp:127.0.0.1:1",
		      strlen("0 0 7|0 0 7|-1 111 cannot reach the counter "
			     "service at tcp:127.0.0.1:1")) == 0);
	mgr_free(m);
	o.tcp_bind = "no-such-host.invalid";
	m = mgr_new(&o, err, sizeof(err));
	CHECK(m == NULL && strstr(err, "no-such-host.invalid") != NULL);
}

/* mgr_free removes the socket and its private directory (0700). */
static void test_cleanup(void)
{
	struct mgr_opts o = {.unix_socket = 1, .tmpdir = "/tmp"};
	char err[256], dir[256];
	struct mgr *m = mgr_new(&o, err, sizeof(err));
	struct stat st;

	CHECK(m != NULL);
	if (m == NULL)
		return;
	snprintf(dir, sizeof(dir), "%s", mgr_unix_path(m));
	*strrchr(dir, '/') = '\0';
	CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK(access(mgr_unix_path(m), F_OK) == 0);
	mgr_free(m);
	CHECK(access(dir, F_OK) == -1 && errno == ENOENT);
}

int main(void)
{
	struct loop *l = loop_new();
	struct shm_seg *seg = shm_run_create("test_mgr");

	CHECK(l != NULL && seg != NULL);
	if (l == NULL || seg == NULL)
		return UNIT_DONE();
	test_requests(l, seg);
	test_refused(l, seg);
	test_silent(l, seg);
	test_tcp(l, seg);
	test_cleanup();
	shm_run_destroy(seg);
	loop_free(l);
	return UNIT_DONE();
}
