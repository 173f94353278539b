/* mgr: the counter service for jobs that run elsewhere. */
#include "mgr.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "hmac.h"
#include "internal.h"
#include "loop.h"
#include "parse.h"
#include "shm.h"

#define SOCK_DIR_MAX 64	 /* a longer $TMPDIR: /tmp (sun_path is short) */
#define ACCEPT_PAUSE_MS 100 /* out of descriptors: accept again after this */
#define BACKLOG 128

struct mgr_client {
	int fd;
	char nonce[MGR_NONCE_HEX + 1];
	char in[MGR_LINE_MAX];
	size_t inlen;
	struct buf out;
	int answered; /* the answer is queued: close once it is sent */
	struct loop_timer *deadline;
	struct mgr *m;
	struct mgr_client *prev, *next;
};

struct mgr {
	int unix_fd, tcp_fd;
	char *dir, *path, *unix_addr, *tcp_addr;
	char key[MGR_KEY_HEX + 1];
	struct loop *loop;
	struct shm_seg *seg;
	struct loop_timer *resume; /* accepting again after EMFILE */
	struct mgr_client *clients;
	unsigned nclients;
	unsigned long long refused, served;
};

#define mgr_err(err, errlen, e, ...) errbuf_printf(err, errlen, e, __VA_ARGS__)

/* --- connections --------------------------------------------------------- */

/* Close and free one connection. */
static void client_close(struct mgr_client *c)
{
	struct mgr *m = c->m;

	if (m->loop != NULL) {
		loop_fd_del(m->loop, c->fd);
		loop_timer_cancel(m->loop, c->deadline);
	}
	close(c->fd);
	buf_free(&c->out);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		m->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	m->nclients--;
	free(c);
}

/* Send what is queued; close once the answer went out. */
static void client_flush(struct mgr_client *c)
{
	ssize_t n;

	while (c->out.len > 0) {
		n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			loop_fd_mod(c->m->loop, c->fd, EPOLLOUT);
			return;
		}
		if (n == -1) {
			client_close(c);
			return;
		}
		buf_consume(&c->out, (size_t)n);
	}
	if (c->answered)
		client_close(c);
	else
		loop_fd_mod(c->m->loop, c->fd, EPOLLIN);
}

/* Queue the last line of the answer (v: "ok V"; list: "ok") and close
 * after it. */
static void client_ok(struct mgr_client *c, int with_value, long long v)
{
	int r = with_value ? buf_printf(&c->out, "ok %lld\n", v)
			   : buf_append_str(&c->out, "ok\n");

	c->answered = 1;
	if (r == -1) {
		client_close(c);
		return;
	}
	client_flush(c);
}

/* Refuse the connection: count it, say why, close. */
static void client_refuse(struct mgr_client *c, const char *code)
{
	c->m->refused++;
	c->answered = 1;
	if (buf_printf(&c->out, "err %s\n", code) == -1) {
		client_close(c);
		return;
	}
	client_flush(c);
}

/* An error of the counters themselves (not counted as refused). */
static void client_error(struct mgr_client *c, int e)
{
	const char *code = e == ENOSPC ? "ENOSPC"
			   : e == ERANGE ? "ERANGE"
					 : "EINVAL";

	c->answered = 1;
	if (buf_printf(&c->out, "err %s\n", code) == -1) {
		client_close(c);
		return;
	}
	client_flush(c);
}

/* Did the client prove the key (mac: hex of HMAC-SHA256(key, nonce))? */
static int mac_ok(const struct mgr *m, const struct mgr_client *c,
		  const char *mac, size_t len)
{
	unsigned char d[HMAC_SHA256_LEN];
	char hex[2 * HMAC_SHA256_LEN + 1];

	if (len != 2 * HMAC_SHA256_LEN)
		return 0;
	hmac_sha256(m->key, MGR_KEY_HEX, c->nonce, MGR_NONCE_HEX, d);
	hmac_hex(d, sizeof(d), hex);
	return hmac_equal(hex, mac, len);
}

/* "list": every counter, then ok. */
static void answer_list(struct mgr_client *c)
{
	struct shm_counter *all = calloc(SHM_COUNTERS, sizeof(*all));
	size_t i, n;

	if (all == NULL) {
		client_close(c);
		return;
	}
	n = shm_counters_list(c->m->seg, all, SHM_COUNTERS);
	for (i = 0; i < n && i < SHM_COUNTERS; i++)
		if (buf_printf(&c->out, "%s %lld\n", all[i].name,
			       all[i].value) == -1)
			break;
	free(all);
	c->m->served++;
	client_ok(c, 0, 0);
}

/* Split "VERB NAME [N]" into its words; the number checked. 0 or -1. */
static int split_request(char *req, char **verb, char **name, char **num,
			 long long *n)
{
	*verb = strtok(req, " ");
	*name = strtok(NULL, " ");
	*num = strtok(NULL, " ");
	if (*verb == NULL || strtok(NULL, " ") != NULL)
		return -1;
	if (*num != NULL && parse_number(*num, INT64_MIN, INT64_MAX, n) == -1)
		return -1;
	return 0;
}

/* Carry out one authenticated request. */
static void client_request(struct mgr_client *c, char *req)
{
	struct shm_seg *seg = c->m->seg;
	char *verb, *name, *num;
	long long n = 0, v = 0;
	int r;

	if (split_request(req, &verb, &name, &num, &n) == -1) {
		client_refuse(c, "EINVAL");
		return;
	}
	if (strcmp(verb, "list") == 0 && name == NULL) {
		answer_list(c);
		return;
	}
	if (name == NULL || !shm_counter_name_valid(name)) {
		client_refuse(c, "EINVAL");
		return;
	}
	if (strcmp(verb, "add") == 0 && num != NULL) {
		r = shm_counter_add(seg, name, n, &v);
	} else if (strcmp(verb, "set") == 0 && num != NULL) {
		r = shm_counter_set(seg, name, n);
		v = n;
	} else if (strcmp(verb, "get") == 0 && num == NULL) {
		r = shm_counter_get(seg, name, &v);
		if (r == -1 && errno == ENOENT)
			r = 0; /* a counter nobody touched yet reads 0 */
	} else {
		client_refuse(c, "EINVAL");
		return;
	}
	if (r == -1) {
		client_error(c, errno);
		return;
	}
	c->m->served++;
	client_ok(c, 1, v);
}

/* A whole line arrived: "MAC REQUEST". */
static void client_line(struct mgr_client *c, char *line)
{
	char *sp = strchr(line, ' ');

	if (sp == NULL || !mac_ok(c->m, c, line, (size_t)(sp - line))) {
		client_refuse(c, "EACCES");
		return;
	}
	client_request(c, sp + 1);
}

/* Read what the client sent; act on its line once it is whole. */
static void client_read(struct mgr_client *c)
{
	ssize_t n;
	char *nl;

	n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) { /* gone before asking anything */
		c->m->refused += c->inlen > 0;
		client_close(c);
		return;
	}
	c->inlen += (size_t)n;
	nl = memchr(c->in, '\n', c->inlen);
	if (nl == NULL && c->inlen == sizeof(c->in)) {
		client_refuse(c, "EINVAL"); /* too long */
		return;
	}
	if (nl == NULL)
		return;
	*nl = '\0';
	if (memchr(c->in, '\0', (size_t)(nl - c->in)) != NULL ||
	    (size_t)(nl - c->in) + 1 != c->inlen) {
		client_refuse(c, "EINVAL"); /* a NUL, or more than one line */
		return;
	}
	loop_fd_mod(c->m->loop, c->fd, 0);
	client_line(c, c->in);
}

/* Loop watch of a connection. */
static void on_client(struct loop *l, int fd, uint32_t events, void *data)
{
	struct mgr_client *c = data;

	(void)l;
	(void)fd;
	if (c->answered || c->out.len > 0) {
		client_flush(c);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		client_read(c);
}

/* A connection's time is over: silent, or not reading its answer. */
static void on_deadline(struct loop *l, void *data)
{
	struct mgr_client *c = data;

	(void)l;
	c->deadline = NULL;
	c->m->refused += !c->answered;
	client_close(c);
}

/* Take a new connection: greet it with a fresh nonce. */
static void client_new(struct mgr *m, int fd)
{
	struct mgr_client *c;

	if (m->nclients >= MGR_CLIENTS || (c = calloc(1, sizeof(*c))) == NULL) {
		m->refused++;
		close(fd);
		return;
	}
	c->fd = fd;
	c->m = m;
	if (hmac_random_hex(c->nonce, MGR_NONCE_HEX / 2) == -1 ||
	    buf_printf(&c->out, MGR_GREETING "%s\n", c->nonce) == -1 ||
	    loop_fd_add(m->loop, fd, EPOLLOUT, on_client, c) == -1 ||
	    (c->deadline = loop_timer_add(m->loop, MGR_IDLE_MS, on_deadline,
					  c)) == NULL) {
		loop_fd_del(m->loop, fd);
		buf_free(&c->out);
		free(c);
		close(fd);
		m->refused++;
		return;
	}
	c->next = m->clients;
	if (m->clients != NULL)
		m->clients->prev = c;
	m->clients = c;
	m->nclients++;
	client_flush(c);
}

/* --- listening ----------------------------------------------------------- */

static void on_listen(struct loop *l, int fd, uint32_t events, void *data);

/* Out of descriptors a while ago: listen again. */
static void on_resume(struct loop *l, void *data)
{
	struct mgr *m = data;

	m->resume = NULL;
	if (m->unix_fd >= 0)
		loop_fd_mod(l, m->unix_fd, EPOLLIN);
	if (m->tcp_fd >= 0)
		loop_fd_mod(l, m->tcp_fd, EPOLLIN);
}

/* Pause both listeners for ACCEPT_PAUSE_MS (EMFILE: accept would fail
 * again at once, and the loop would spin). */
static void listen_pause(struct mgr *m)
{
	if (m->resume != NULL)
		return;
	if (m->unix_fd >= 0)
		loop_fd_mod(m->loop, m->unix_fd, 0);
	if (m->tcp_fd >= 0)
		loop_fd_mod(m->loop, m->tcp_fd, 0);
	m->resume = loop_timer_add(m->loop, ACCEPT_PAUSE_MS, on_resume, m);
}

/* Accept what is waiting (a bounded batch: the loop goes on meanwhile). */
static void on_listen(struct loop *l, int fd, uint32_t events, void *data)
{
	struct mgr *m = data;
	int i, c;

	(void)l;
	(void)events;
	for (i = 0; i < 64; i++) {
		c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c >= 0) {
			client_new(m, c);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM)
			listen_pause(m);
		if (errno != EINTR && errno != ECONNABORTED)
			return;
	}
}

/* A private directory (0700) holding the socket "s". */
static int unix_listen(struct mgr *m, const char *tmpdir, char *err,
		       size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct buf b = BUF_INIT;

	if (tmpdir == NULL || *tmpdir == '\0' || strlen(tmpdir) > SOCK_DIR_MAX)
		tmpdir = "/tmp";
	if (buf_printf(&b, "%s/mprun-mgr-XXXXXX", tmpdir) == -1)
		return -1;
	if (mkdtemp(b.data) == NULL) {
		mgr_err(err, errlen, errno, "%s: %s", b.data, strerror(errno));
		buf_free(&b);
		return -1;
	}
	m->dir = buf_steal(&b);
	if (buf_printf(&b, "%s/s", m->dir) == -1)
		return -1;
	m->path = buf_steal(&b);
	if (buf_printf(&b, "unix:%s", m->path) == -1)
		return -1;
	m->unix_addr = buf_steal(&b);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", m->path);
	m->unix_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    0);
	if (m->unix_fd == -1 ||
	    bind(m->unix_fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(m->unix_fd, BACKLOG) == -1) {
		mgr_err(err, errlen, errno, "counter service: %s: %s", m->path,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* The port a bound socket got. */
static unsigned bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* Bind a TCP socket to the first address of host that takes it (NULL:
 * every IPv4 address), on a port the kernel picks. */
static int tcp_bind(const char *host, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res, *ai;
	int fd = -1, rc, e = EADDRNOTAVAIL;

	hints.ai_family = host == NULL ? AF_INET : AF_UNSPEC;
	rc = getaddrinfo(host, "0", &hints, &res);
	if (rc != 0) {
		mgr_err(err, errlen, EADDRNOTAVAIL, "--manager-addr %s: %s",
			host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
			    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd >= 0 && bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, BACKLOG) == 0)
			break;
		e = errno;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		mgr_err(err, errlen, e, "counter service: cannot listen on %s: "
			"%s", host != NULL ? host : "TCP", strerror(e));
	return fd;
}

/* The TCP listener and the address the jobs get. */
static int tcp_listen(struct mgr *m, const char *host, char *err,
		      size_t errlen)
{
	char name[256];
	struct buf b = BUF_INIT;

	m->tcp_fd = tcp_bind(host, err, errlen);
	if (m->tcp_fd == -1)
		return -1;
	if (host == NULL) {
		if (gethostname(name, sizeof(name)) == -1)
			snprintf(name, sizeof(name), "localhost");
		name[sizeof(name) - 1] = '\0';
		host = name;
	}
	if (buf_printf(&b, strchr(host, ':') != NULL ? "tcp:[%s]:%u"
						      : "tcp:%s:%u",
		       host, bound_port(m->tcp_fd)) == -1)
		return -1;
	m->tcp_addr = buf_steal(&b);
	return 0;
}

struct mgr *mgr_new(const struct mgr_opts *o, char *err, size_t errlen)
{
	struct mgr *m = calloc(1, sizeof(*m));
	const char *tmpdir = o->tmpdir != NULL ? o->tmpdir : getenv("TMPDIR");

	if (errlen > 0)
		err[0] = '\0';
	if (m == NULL)
		goto fail;
	m->unix_fd = m->tcp_fd = -1;
	if (hmac_random_hex(m->key, MGR_KEY_HEX / 2) == -1 ||
	    (o->unix_socket && unix_listen(m, tmpdir, err, errlen) == -1) ||
	    (o->tcp && tcp_listen(m, o->tcp_bind, err, errlen) == -1))
		goto fail;
	return m;
fail:
	errbuf_errno(err, errlen);
	mgr_free(m);
	return NULL;
}

int mgr_start(struct mgr *m, struct loop *l, struct shm_seg *seg)
{
	m->loop = l;
	m->seg = seg;
	if ((m->unix_fd >= 0 &&
	     loop_fd_add(l, m->unix_fd, EPOLLIN, on_listen, m) == -1) ||
	    (m->tcp_fd >= 0 &&
	     loop_fd_add(l, m->tcp_fd, EPOLLIN, on_listen, m) == -1)) {
		mgr_stop(m);
		return -1;
	}
	return 0;
}

void mgr_stop(struct mgr *m)
{
	if (m == NULL || m->loop == NULL)
		return;
	while (m->clients != NULL)
		client_close(m->clients);
	if (m->unix_fd >= 0)
		loop_fd_del(m->loop, m->unix_fd);
	if (m->tcp_fd >= 0)
		loop_fd_del(m->loop, m->tcp_fd);
	loop_timer_cancel(m->loop, m->resume);
	m->resume = NULL;
	m->loop = NULL;
}

void mgr_free(struct mgr *m)
{
	int saved = errno;

	if (m == NULL)
		return;
	mgr_stop(m);
	if (m->unix_fd >= 0)
		close(m->unix_fd);
	if (m->tcp_fd >= 0)
		close(m->tcp_fd);
	if (m->path != NULL)
		unlink(m->path);
	if (m->dir != NULL)
		rmdir(m->dir);
	free(m->dir);
	free(m->path);
	free(m->unix_addr);
	free(m->tcp_addr);
	free(m);
	errno = saved;
}

const char *mgr_key(const struct mgr *m)
{
	return m->key;
}

const char *mgr_unix_path(const struct mgr *m)
{
	return m->path;
}

const char *mgr_unix_address(const struct mgr *m)
{
	return m->unix_addr;
}

const char *mgr_tcp_address(const struct mgr *m)
{
	return m->tcp_addr;
}

unsigned long long mgr_refused(const struct mgr *m)
{
	return m->refused;
}

unsigned long long mgr_served(const struct mgr *m)
{
	return m->served;
}
