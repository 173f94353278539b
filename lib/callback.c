/* callback: run the --on-success / --on-error callbacks, one at a time. */
#include "callback.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "capture.h"
#include "executor.h"
#include "internal.h"
#include "loop.h"
#include "termtree.h"

/* Captured bytes kept in memory per stream by default, then spilled. */
#define MEM_LIMIT_DEFAULT (1 << 20)

struct callback {
	struct callback *next;  /* the queue */
	void *data;             /* the caller's */
	struct capture *cap[2]; /* captured stdout, stderr; or NULL */
	int open[2];            /* cap[i]'s pipe is watched, not ended */
	pid_t pid;
	int reaped, status;
};

struct callbacks {
	struct loop *loop;
	struct callback_opts opts;
	struct callback *head, *tail; /* the head one runs when running */
	size_t n;
	int running, terminating;
	size_t kill_step;             /* of the termseq, for the running one */
	struct loop_timer *kill_timer;
	unsigned long long nfailed;
};

/* Without a termseq: one SIGTERM. */
static const struct termseq term_once = {1, {SIGTERM}, {0}};

static int callback_reaped(void *data, pid_t pid, int status);
static void cb_run_next(struct callbacks *q);

struct callbacks *callback_new(struct loop *l,
			       const struct callback_opts *opts)
{
	struct callbacks *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->loop = l;
	q->opts = *opts;
	if (q->opts.mem_limit == 0)
		q->opts.mem_limit = MEM_LIMIT_DEFAULT;
	if (q->opts.termseq == NULL)
		q->opts.termseq = &term_once;
	if (loop_child_add(l, callback_reaped, q) == -1) {
		free(q);
		return NULL;
	}
	return q;
}

/* Stop watching the pipes of cb that are still open. */
static void cb_unwatch(struct callbacks *q, struct callback *cb)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (cb->open[i])
			loop_fd_del(q->loop, capture_fd(cb->cap[i]));
		cb->open[i] = 0;
	}
}

void callback_destroy(struct callbacks *q)
{
	struct callback *cb, *next;
	int st;

	if (q == NULL)
		return;
	loop_child_del(q->loop, callback_reaped, q);
	if (q->kill_timer != NULL)
		loop_timer_cancel(q->loop, q->kill_timer);
	if (q->running) {
		cb_unwatch(q, q->head);
		if (!q->head->reaped) {
			kill(-q->head->pid, SIGKILL);
			waitpid(q->head->pid, &st, 0);
		}
	}
	for (cb = q->head; cb != NULL; cb = next) {
		next = cb->next;
		callback_free(cb);
	}
	free(q);
}

void callback_free(struct callback *cb)
{
	if (cb == NULL)
		return;
	capture_free(cb->cap[0]);
	capture_free(cb->cap[1]);
	free(cb);
}

void callback_set_stream(struct callbacks *q, int i,
			 const struct callback_stream *s)
{
	q->opts.out[i] = *s;
}

void callback_add(struct callbacks *q, void *data)
{
	struct callback *cb = calloc(1, sizeof(*cb));

	if (cb == NULL) {
		q->nfailed++;
		q->opts.ops.failed(data, -1, strerror(errno));
		q->opts.ops.done(data, NULL);
		return;
	}
	cb->data = data;
	if (q->tail != NULL)
		q->tail->next = cb;
	else
		q->head = cb;
	q->tail = cb;
	q->n++;
	cb_run_next(q);
}

/* --- running one ------------------------------------------------------- */

/* Output waits on one of the running callback's pipes: capture it. */
static void cb_readable(struct loop *l, int fd, uint32_t events, void *data);

/* Make cb's captured streams: a pipe each, watched; ends[] gets the
 * child's ends (-1 for a direct stream). 0 or -1/errno. */
static int cb_open_streams(struct callbacks *q, struct callback *cb,
			   int ends[2])
{
	struct capture_opts co = {
		.mem_limit = q->opts.mem_limit,
		.spill_limit = UINT64_MAX,
		.tmpdir = q->opts.tmpdir,
	};
	const struct callback_stream *s;
	int pfd[2], i;

	for (i = 0; i < 2; i++) {
		s = &q->opts.out[i];
		if (s->direct)
			continue;
		if (pipe2(pfd, O_CLOEXEC) == -1)
			return -1;
		ends[i] = pfd[1];
		fcntl(pfd[0], F_SETFL, O_NONBLOCK);
		cb->cap[i] = capture_new(pfd[0], s->fd, NULL, &co);
		if (cb->cap[i] == NULL) {
			close_keep_errno(pfd[0]);
			return -1;
		}
		if (s->sink != NULL)
			capture_set_sink(cb->cap[i], s->sink);
		if (loop_fd_add(q->loop, pfd[0], EPOLLIN, cb_readable, q) == -1)
			return -1;
		cb->open[i] = 1;
	}
	return 0;
}

/* The environment of a callback: opts.env, then its variables. */
static int cb_env(struct callbacks *q, const struct buf *vars,
		  struct words *env)
{
	size_t off;

	if (words_add_all(env, q->opts.env) == -1)
		return -1;
	for (off = 0; off < vars->len; off += strlen(vars->data + off) + 1)
		if (words_add(env, vars->data + off) == -1)
			return -1;
	return 0;
}

/* Start cb through the executor. 0, or -1/errno (why may say more). */
static int cb_spawn(struct callbacks *q, struct callback *cb, struct buf *why)
{
	static char *const no_env[] = {NULL};
	struct exec_request req = {0};
	struct buf cmd = BUF_INIT, vars = BUF_INIT;
	struct words env = {0};
	int ends[2] = {-1, -1}, rc = -1, e, saved;

	if (q->opts.ops.prepare(cb->data, &cmd, &vars, why) == -1 ||
	    cb_env(q, &vars, &env) == -1 ||
	    cb_open_streams(q, cb, ends) == -1)
		goto out;
	req.shell_cmd = cmd.data != NULL ? cmd.data : "";
	req.envp = env.v != NULL ? (char *const *)env.v : no_env;
	req.fd_in = q->opts.fd_in;
	req.fd_out = ends[0] != -1 ? ends[0] : q->opts.out[0].fd;
	req.fd_err = ends[1] != -1 ? ends[1] : q->opts.out[1].fd;
	req.sigmask = loop_orig_sigmask(q->loop);
	rc = q->opts.exec->spawn(q->opts.exec->ctx, &req, &cb->pid, &e);
out:
	saved = errno;
	if (rc == -1)
		cb_unwatch(q, cb);
	close_keep_errno(ends[0]);
	close_keep_errno(ends[1]);
	free(env.v);
	buf_free(&cmd);
	buf_free(&vars);
	errno = saved;
	return rc;
}

/* A callback failed: count it and tell the caller. */
static void cb_fail(struct callbacks *q, struct callback *cb, int status,
		    const char *why)
{
	q->nfailed++;
	q->opts.ops.failed(cb->data, status, why);
}

/* Take the head callback off the queue and hand it back. */
static void cb_pop(struct callbacks *q)
{
	struct callback *cb = q->head;

	q->head = cb->next;
	if (q->head == NULL)
		q->tail = NULL;
	cb->next = NULL;
	q->n--;
	q->running = 0;
	q->opts.ops.done(cb->data, cb);
}

/* The running callback is over when reaped and its pipes ended: judge
 * it, hand it back, start the next. */
static void cb_maybe_done(struct callbacks *q)
{
	struct callback *cb = q->head;

	if (!cb->reaped || cb->open[0] || cb->open[1])
		return;
	if (q->kill_timer != NULL)
		loop_timer_cancel(q->loop, q->kill_timer);
	q->kill_timer = NULL;
	q->kill_step = 0;
	if (cb->status != 0)
		cb_fail(q, cb, cb->status, NULL);
	cb_pop(q);
	cb_run_next(q);
}

static void cb_readable(struct loop *l, int fd, uint32_t events, void *data)
{
	struct callbacks *q = data;
	struct callback *cb = q->head;
	int i = cb->cap[0] != NULL && capture_fd(cb->cap[0]) == fd ? 0 : 1;

	if (capture_read(cb->cap[i]) > 0)
		return;
	loop_fd_del(l, fd);
	cb->open[i] = 0;
	cb_maybe_done(q);
}

/* A child of ours ended: if it is the running callback, it may be over. */
static int callback_reaped(void *data, pid_t pid, int status)
{
	struct callbacks *q = data;

	if (!q->running || q->head->reaped || q->head->pid != pid)
		return 0;
	q->head->reaped = 1;
	q->head->status = status;
	cb_maybe_done(q);
	return 1;
}

/* Run the next queued callback if none runs: one at a time, in the order
 * queued. Once terminating, the queued ones are dropped instead. */
static void cb_run_next(struct callbacks *q)
{
	while (!q->running && q->head != NULL) {
		struct buf why = BUF_INIT;

		if (q->terminating) {
			cb_pop(q);
			continue;
		}
		if (cb_spawn(q, q->head, &why) == 0) {
			q->running = 1;
			return;
		}
		cb_fail(q, q->head, -1, why.len > 0 ? why.data : strerror(errno));
		buf_free(&why);
		cb_pop(q);
	}
}

/* --- ending ------------------------------------------------------------ */

/* Send the next signal of the termseq to the running callback's tree. */
static void cb_kill_step(struct loop *l, void *data)
{
	struct callbacks *q = data;
	const struct termseq *ts = q->opts.termseq;
	struct callback *cb = q->head;

	q->kill_timer = NULL;
	if (!q->running || q->kill_step >= ts->n)
		return;
	if (termtree_signal(cb->reaped ? 0 : cb->pid, cb->pid, NULL,
			    ts->sig[q->kill_step]) == 0)
		return; /* nothing of it is left */
	q->kill_timer = loop_timer_add(l, ts->ms[q->kill_step], cb_kill_step,
				       q);
	q->kill_step++;
}

void callback_terminate(struct callbacks *q)
{
	if (q->terminating)
		return;
	q->terminating = 1;
	cb_kill_step(q->loop, q);
}

/* --- accessors --------------------------------------------------------- */

size_t callback_pending(const struct callbacks *q)
{
	return q->n;
}

unsigned long long callback_failures(const struct callbacks *q)
{
	return q->nfailed;
}

int callback_flush(struct callback *cb)
{
	int i;

	for (i = 0; cb != NULL && i < 2; i++)
		if (cb->cap[i] != NULL && capture_flush(cb->cap[i]) == -1)
			return -1;
	return 0;
}
