/* callback: run the --on-success / --on-error callbacks, one at a time. */
#include "callback.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#include "capture.h"
#include "executor.h"
#include "internal.h"
#include "loop.h"
#include "termtree.h"

struct callback {
	struct callback *next;  /* the queue */
	void *data;             /* the caller's */
	int failed;             /* runs cmd[failed] */
	struct template_job tj;
	struct capture *cap[2]; /* captured stdout, stderr; or NULL */
	int open[2];            /* cap[i]'s pipe is watched */
	pid_t pid;
	int reaped, status;
};

struct callbacks {
	struct loop *loop;
	struct callback_opts o;
	struct callback *head, *tail; /* the head one runs when running */
	int running, terminating;
	size_t kill_step;             /* of the termseq */
	struct loop_timer *kill_timer;
	struct loop_timer *retry_timer; /* out of descriptors: try again */
	unsigned retries;
	unsigned long long nfailed;
};

static const struct termseq term_once = {1, {SIGTERM}, {0}};

static int callback_reaped(void *data, pid_t pid, int status);
static void cb_readable(struct loop *l, int fd, uint32_t events, void *data);
static void cb_run_next(struct callbacks *q);

struct callbacks *callback_new(struct loop *l,
			       const struct callback_opts *opts)
{
	struct callbacks *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->loop = l;
	q->o = *opts;
	q->o.mem_limit = opts->mem_limit > 0 ? opts->mem_limit : 1 << 20;
	q->o.termseq = opts->termseq != NULL ? opts->termseq : &term_once;
	if (loop_child_add(l, callback_reaped, q) == 0)
		return q;
	free(q);
	return NULL;
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
	struct callback *cb;

	if (q == NULL)
		return;
	loop_child_del(q->loop, callback_reaped, q);
	if (q->kill_timer != NULL)
		loop_timer_cancel(q->loop, q->kill_timer);
	if (q->retry_timer != NULL)
		loop_timer_cancel(q->loop, q->retry_timer);
	if (q->running) {
		cb_unwatch(q, q->head);
		if (!q->head->reaped) {
			kill(-q->head->pid, SIGKILL);
			waitpid(q->head->pid, NULL, 0);
		}
	}
	while ((cb = q->head) != NULL) {
		q->head = cb->next;
		callback_free(cb);
	}
	free(q);
}

void callback_free(struct callback *cb)
{
	if (cb != NULL) {
		capture_free(cb->cap[0]);
		capture_free(cb->cap[1]);
	}
	free(cb);
}

void callback_set_stream(struct callbacks *q, int i,
			 const struct callback_stream *s)
{
	q->o.out[i] = *s;
}

/* A callback failed: count it, say whose and how (its wait status st, or
 * why it did not run). */
static void cb_fail(struct callbacks *q, const struct callback *cb, int st,
		    const char *why)
{
	char msg[256], how[64];
	int sig = WIFSIGNALED(st) ? 1 : 0;

	q->nfailed++;
	snprintf(how, sizeof(how), "%s%d%s", q->o.how[sig][0],
		 sig ? WTERMSIG(st) : WEXITSTATUS(st), q->o.how[sig][1]);
	snprintf(msg, sizeof(msg), "%s %llu: %s callback %s", q->o.noun,
		 cb->tj.seq, cb->failed ? "--on-error" : "--on-success",
		 why != NULL ? why : how);
	if (q->o.notice != NULL)
		q->o.notice(q->o.ctx, msg);
}

void callback_add(struct callbacks *q, void *data, int failed,
		  const struct template_job *tj)
{
	struct callback *cb = calloc(1, sizeof(*cb));
	struct callback c = {.data = data, .failed = failed, .tj = *tj};

	if (cb == NULL) {
		cb_fail(q, &c, 0, strerror(errno));
		q->o.done(data, NULL);
		return;
	}
	*cb = c;
	if (q->tail != NULL)
		q->tail->next = cb;
	else
		q->head = cb;
	q->tail = cb;
	cb_run_next(q);
}

/* Make a watched pipe for each captured stream of cb; ends[] gets the
 * child's ends. 0 or -1/errno. */
static int cb_open_streams(struct callbacks *q, struct callback *cb,
			   int ends[2])
{
	struct capture_opts co = {.mem_limit = q->o.mem_limit,
				  .spill_limit = UINT64_MAX,
				  .tmpdir = q->o.tmpdir};
	const struct callback_stream *s = q->o.out;
	int pfd[2], i;

	for (i = 0; i < 2; i++) {
		if (s[i].direct)
			continue;
		if (pipe2(pfd, O_CLOEXEC) == -1)
			return -1;
		ends[i] = pfd[1];
		fcntl(pfd[0], F_SETFL, O_NONBLOCK);
		cb->cap[i] = capture_new(pfd[0], s[i].fd, NULL, &co);
		if (cb->cap[i] == NULL) {
			close_keep_errno(pfd[0]);
			return -1;
		}
		if (s[i].sink != NULL)
			capture_set_sink(cb->cap[i], s[i].sink);
		if (loop_fd_add(q->loop, pfd[0], EPOLLIN, cb_readable, q) == -1)
			return -1;
		cb->open[i] = 1;
	}
	return 0;
}

/* Its environment: opts.env, then the variables in vars. */
static int cb_env(struct callbacks *q, const struct buf *vars,
		  struct words *env)
{
	size_t off;

	if (words_add_all(env, q->o.env) == -1)
		return -1;
	for (off = 0; off < vars->len; off += strlen(vars->data + off) + 1)
		if (words_add(env, vars->data + off) == -1)
			return -1;
	return words_add(env, NULL);
}

/* Expand cb's command and start it. 0, or -1/errno (why may say more). */
static int cb_spawn(struct callbacks *q, struct callback *cb, struct buf *why)
{
	struct exec_request req = {.fd_in = q->o.fd_in};
	struct buf cmd = BUF_INIT, vars = BUF_INIT;
	struct template_error err;
	struct words env = {0};
	int ends[2] = {-1, -1}, rc = -1, e;

	if (template_expand_shell(q->o.cmd[cb->failed], &cb->tj, &cmd,
				  &err) == -1) {
		if (errno == EDOM)
			(void)template_error_format(&err, why);
		goto out;
	}
	if (q->o.vars(cb->data, &vars) == -1 || cb_env(q, &vars, &env) == -1 ||
	    cb_open_streams(q, cb, ends) == -1)
		goto out;
	req.shell_cmd = cmd.data;
	req.envp = (char *const *)env.v;
	req.fd_out = ends[0] != -1 ? ends[0] : q->o.out[0].fd;
	req.fd_err = ends[1] != -1 ? ends[1] : q->o.out[1].fd;
	req.sigmask = loop_orig_sigmask(q->loop);
	rc = q->o.exec->spawn(q->o.exec->ctx, &req, &cb->pid, &e);
out:
	if (rc == -1)
		cb_unwatch(q, cb);
	close_keep_errno(ends[0]);
	close_keep_errno(ends[1]);
	free(env.v);
	buf_free(&cmd);
	buf_free(&vars);
	return rc;
}

/* Take the head callback off the queue and hand it back. */
static void cb_pop(struct callbacks *q)
{
	struct callback *cb = q->head;

	q->head = cb->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->running = 0;
	q->o.done(cb->data, cb);
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

/* Output waits on one of the running callback's pipes: capture it. */
static void cb_readable(struct loop *l, int fd, uint32_t events, void *data)
{
	struct callbacks *q = data;
	struct callback *cb = q->head;
	int i = cb->open[0] && capture_fd(cb->cap[0]) == fd ? 0 : 1;

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

/* The wait for descriptors is over: try the head callback again. */
static void cb_retry(struct loop *l, void *data)
{
	struct callbacks *q = data;

	(void)l;
	q->retry_timer = NULL;
	cb_run_next(q);
}

/* Run the next queued callback if none runs; once terminating, drop the
 * queued ones instead. */
static void cb_run_next(struct callbacks *q)
{
	struct buf why = BUF_INIT;

	while (!q->running && q->head != NULL && q->retry_timer == NULL) {
		buf_reset(&why);
		if (!q->terminating && cb_spawn(q, q->head, &why) == 0) {
			q->running = 1;
			q->retries = 0;
			break;
		}
		if (!q->terminating && why.len == 0 &&
		    (errno == EMFILE || errno == ENFILE || errno == EAGAIN) &&
		    q->retries < FD_RETRY_TRIES) {
			q->retries++;
			q->retry_timer = loop_timer_add(q->loop, FD_RETRY_MS,
							cb_retry, q);
			if (q->retry_timer != NULL)
				break;
		}
		q->retries = 0;
		if (!q->terminating)
			cb_fail(q, q->head, 0,
				why.len > 0 ? why.data : strerror(errno));
		cb_pop(q);
	}
	buf_free(&why);
}

/* Send the next signal of the termseq to the running callback's tree. */
static void cb_kill_step(struct loop *l, void *data)
{
	struct callbacks *q = data;
	const struct termseq *ts = q->o.termseq;
	struct callback *cb = q->head;

	q->kill_timer = NULL;
	if (!q->running || q->kill_step >= ts->n ||
	    termtree_signal(cb->reaped ? 0 : cb->pid, cb->pid, NULL,
			    ts->sig[q->kill_step]) == 0)
		return;
	q->kill_timer =
		loop_timer_add(l, ts->ms[q->kill_step++], cb_kill_step, q);
}

void callback_terminate(struct callbacks *q)
{
	if (q->retry_timer != NULL) { /* the queued ones go now */
		loop_timer_cancel(q->loop, q->retry_timer);
		q->retry_timer = NULL;
		q->terminating++;
		cb_run_next(q);
		return;
	}
	if (!q->terminating++)
		cb_kill_step(q->loop, q);
}

int callback_pending(const struct callbacks *q)
{
	return q->head != NULL;
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
