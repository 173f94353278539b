/* mgrcall: the client's side of the counter service (mgr_call). */
#include "mgr.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "hmac.h"
#include "internal.h"

#define REPLY_MAX (1u << 20) /* bytes of an answer (256 counters fit) */

#define call_err(err, errlen, e, ...) errbuf_printf(err, errlen, e, __VA_ARGS__)

/* Milliseconds left until deadline (0: none left). */
static int time_left(uint64_t deadline)
{
	uint64_t now = clock_now_ms();

	return now >= deadline ? 0 : (int)(deadline - now);
}

/* Wait until fd is ready for events; 0, or -1/ETIMEDOUT. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	int r;

	do
		r = poll(&p, 1, time_left(deadline));
	while (r == -1 && errno == EINTR);
	if (r == 0)
		errno = ETIMEDOUT;
	return r > 0 ? 0 : -1;
}

/* Finish a non-blocking connect. */
static int connect_wait(int fd, const struct sockaddr *sa, socklen_t len,
			uint64_t deadline)
{
	int e = 0;
	socklen_t elen = sizeof(e);

	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EAGAIN)
		return -1;
	if (wait_fd(fd, POLLOUT, deadline) == -1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) == -1)
		return -1;
	errno = e;
	return e == 0 ? 0 : -1;
}

/* Connect to "unix:PATH". */
static int connect_unix(const char *path, uint64_t deadline)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 &&
	    connect_wait(fd, (struct sockaddr *)&sa, sizeof(sa), deadline) ==
		    -1) {
		close_keep_errno(fd);
		return -1;
	}
	return fd;
}

/* Connect to "HOST:PORT" ("[V6]:PORT"), each address in turn. */
static int connect_tcp(const char *hostport, uint64_t deadline)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
	struct addrinfo *res, *ai;
	char host[256];
	const char *colon = strrchr(hostport, ':');
	size_t n;
	int fd = -1, e = EINVAL;

	if (colon == NULL || colon == hostport ||
	    (size_t)(colon - hostport) >= sizeof(host)) {
		errno = EINVAL;
		return -1;
	}
	n = (size_t)(colon - hostport);
	if (hostport[0] == '[' && colon[-1] == ']')
		memcpy(host, hostport + 1, (n -= 2));
	else
		memcpy(host, hostport, n);
	host[n] = '\0';
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0) {
		errno = EHOSTUNREACH;
		return -1;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
			    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect_wait(fd, ai->ai_addr, ai->ai_addrlen,
					    deadline) == -1) {
			e = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		errno = e;
	return fd;
}

/* Read until the peer closes (the service closes after its answer). */
static int read_all(int fd, struct buf *b, uint64_t deadline)
{
	ssize_t n;

	for (;;) {
		if (b->len >= REPLY_MAX) {
			errno = EPROTO;
			return -1;
		}
		if (buf_reserve(b, 4096) == -1)
			return -1;
		n = read(fd, b->data + b->len, b->cap - b->len - 1);
		if (n == 0)
			return 0;
		if (n > 0) {
			b->len += (size_t)n;
			b->data[b->len] = '\0';
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || wait_fd(fd, POLLIN, deadline) == -1)
			return -1;
	}
}

/* Read the greeting line (up to its newline only: the answer follows). */
static int read_greeting(int fd, char *nonce, uint64_t deadline)
{
	char line[sizeof(MGR_GREETING) + MGR_NONCE_HEX + 1];
	size_t len = 0, want = sizeof(line) - 1;
	ssize_t n;

	while (len < want) {
		n = read(fd, line + len, want - len);
		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN &&
		    wait_fd(fd, POLLIN, deadline) == 0)
			continue;
		if (n == 0)
			errno = EPROTO;
		return -1;
	}
	if (memcmp(line, MGR_GREETING, strlen(MGR_GREETING)) != 0 ||
	    line[want - 1] != '\n') {
		errno = EPROTO;
		return -1;
	}
	memcpy(nonce, line + strlen(MGR_GREETING), MGR_NONCE_HEX);
	nonce[MGR_NONCE_HEX] = '\0';
	return 0;
}

/* Write all of b. */
static int write_all(int fd, const char *p, size_t n, uint64_t deadline)
{
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno == EAGAIN &&
		    wait_fd(fd, POLLOUT, deadline) == 0)
			continue;
		return -1;
	}
	return 0;
}

/* The errno of an "err CODE" answer. */
static int code_errno(const char *code)
{
	static const struct {
		const char *name;
		int e;
	} codes[] = {{"EACCES", EACCES}, {"EINVAL", EINVAL},
		     {"ENOSPC", ENOSPC}, {"ERANGE", ERANGE}};
	size_t i;

	for (i = 0; i < ARRAY_LEN(codes); i++)
		if (strcmp(code, codes[i].name) == 0)
			return codes[i].e;
	return EPROTO;
}

/* Take the answer apart: lines before "ok[ VALUE]" (and VALUE) go to the
 * reply; "err CODE" is -1 with CODE's errno. */
static int parse_answer(struct buf *b, char **reply)
{
	char *last, *end;

	if (b->len == 0 || b->data[b->len - 1] != '\n') {
		errno = EPROTO;
		return -1;
	}
	b->data[--b->len] = '\0';
	last = strrchr(b->data, '\n');
	last = last != NULL ? last + 1 : b->data;
	if (strncmp(last, "err ", 4) == 0) {
		errno = code_errno(last + 4);
		return -1;
	}
	if (strcmp(last, "ok") == 0) {
		*last = '\0'; /* the lines before it */
	} else if (strncmp(last, "ok ", 3) == 0 && last == b->data) {
		end = last + 3;
		memmove(b->data, end, strlen(end) + 1);
	} else {
		errno = EPROTO;
		return -1;
	}
	*reply = buf_steal(b);
	return 0;
}

/* Connect to addr. */
static int connect_addr(const char *addr, uint64_t deadline)
{
	if (strncmp(addr, "unix:", 5) == 0)
		return connect_unix(addr + 5, deadline);
	if (strncmp(addr, "tcp:", 4) == 0)
		return connect_tcp(addr + 4, deadline);
	errno = EINVAL;
	return -1;
}

int mgr_call(const char *addr, const char *key, const char *request,
	     char **reply, unsigned timeout_ms, char *err, size_t errlen)
{
	uint64_t deadline = clock_now_ms() + timeout_ms;
	unsigned char d[HMAC_SHA256_LEN];
	char nonce[MGR_NONCE_HEX + 1], mac[2 * HMAC_SHA256_LEN + 1];
	struct buf b = BUF_INIT;
	int fd, rc = -1;

	*reply = NULL;
	if (errlen > 0)
		err[0] = '\0';
	fd = connect_addr(addr, deadline);
	if (fd == -1) {
		call_err(err, errlen, errno, "cannot reach the counter service "
			 "at %s: %s", addr, strerror(errno));
		return -1;
	}
	if (read_greeting(fd, nonce, deadline) == -1)
		goto fail;
	hmac_sha256(key, strlen(key), nonce, MGR_NONCE_HEX, d);
	hmac_hex(d, sizeof(d), mac);
	if (buf_printf(&b, "%s %s\n", mac, request) == -1 ||
	    write_all(fd, b.data, b.len, deadline) == -1)
		goto fail;
	buf_reset(&b);
	if (read_all(fd, &b, deadline) == -1)
		goto fail;
	rc = parse_answer(&b, reply);
	if (rc == -1 && errno == EACCES)
		call_err(err, errlen, EACCES, "the counter service at %s "
			 "refused the key (%s)", addr, MGR_KEY_ENV);
	else if (rc == -1 && errno == EPROTO)
		goto fail;
fail:
	if (rc == -1 && errlen > 0 && err[0] == '\0' &&
	    (errno == EPROTO || errno == ETIMEDOUT || errno == ECONNRESET ||
	     errno == EPIPE || errno == ENOMEM))
		call_err(err, errlen, errno, "counter service at %s: %s", addr,
			 errno == EPROTO ? "not an answer of mprun's counter "
					   "service"
					 : strerror(errno));
	close_keep_errno(fd);
	buf_free(&b);
	return rc;
}
