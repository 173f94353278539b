/* helper: helper commands of the executors as children watched by the
 * loop. */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec_local.h"
#include "internal.h"
#include "loop.h"

#define HELPER_KEEP (64 * 1024) /* bytes of a helper's output kept */

extern char **environ;

struct helper {
	struct loop *loop; /* NULL: watched by none */
	pid_t pid;
	int fd[2];	    /* read ends of its stdout and stderr, or -1 */
	struct buf buf[2];  /* what they gave */
	struct loop_timer *timer;
	uint64_t deadline;  /* of its timeout (ms), or 0 */
	int status;
	int reaped, timed_out, told;
	struct helper_opts o;
};

static void helper_readable(struct loop *l, int fd, uint32_t events,
			    void *data);
static int helper_reaped(void *data, pid_t pid, int status);
static void helper_timeout(struct loop *l, void *data);

/* Spawn argv with its stdout and stderr on new pipes. 0 or -1/errno. */
static int helper_spawn(struct helper *h, char *const *argv, int fd_in)
{
	const struct executor *local = exec_local(NULL);
	struct exec_request req = {0};
	int out[2] = {-1, -1}, err[2] = {-1, -1}, null_fd = -1, e, rc = -1;
	sigset_t none;

	sigemptyset(&none);
	if (fd_in < 0)
		fd_in = null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd_in < 0 || pipe2(out, O_CLOEXEC) == -1 ||
	    pipe2(err, O_CLOEXEC) == -1)
		goto out;
	req = (struct exec_request){.argv = argv, .envp = environ,
				    .fd_in = fd_in, .fd_out = out[1],
				    .fd_err = err[1], .sigmask = &none};
	if (local->spawn(local->ctx, &req, &h->pid, &e) == -1)
		goto out;
	h->fd[0] = out[0];
	h->fd[1] = err[0];
	out[0] = err[0] = -1;
	rc = 0;
out:
	close_keep_errno(out[0]);
	close_keep_errno(out[1]);
	close_keep_errno(err[0]);
	close_keep_errno(err[1]);
	close_keep_errno(null_fd);
	return rc;
}

/* Stop watching pipe i and close it. */
static void helper_close(struct helper *h, int i)
{
	if (h->fd[i] < 0)
		return;
	if (h->loop != NULL)
		loop_fd_del(h->loop, h->fd[i]);
	close(h->fd[i]);
	h->fd[i] = -1;
}

/* Done once reaped with both pipes at end of file: tell it, once. The
 * callback may free h. */
static void helper_check_done(struct helper *h)
{
	if (!h->reaped || h->fd[0] >= 0 || h->fd[1] >= 0 || h->told)
		return;
	h->told = 1;
	if (h->timer != NULL)
		loop_timer_cancel(h->loop, h->timer);
	h->timer = NULL;
	h->o.done(h->o.data, h);
}

/* Leave h's loop: its watches, reaper and timer. */
static void helper_unwatch(struct helper *h)
{
	int i;

	if (h->loop == NULL)
		return;
	for (i = 0; i < 2; i++)
		if (h->fd[i] >= 0)
			loop_fd_del(h->loop, h->fd[i]);
	if (!h->reaped)
		loop_child_del(h->loop, helper_reaped, h);
	if (h->timer != NULL)
		loop_timer_cancel(h->loop, h->timer);
	h->timer = NULL;
	h->loop = NULL;
}

/* Arm the timer for the deadline in h's loop. 0 or -1/errno. */
static int helper_arm(struct helper *h)
{
	uint64_t now = loop_now_ms();

	if (h->timer != NULL)
		loop_timer_cancel(h->loop, h->timer);
	h->timer = NULL;
	if (h->deadline == 0 || h->loop == NULL || h->told)
		return 0;
	h->timer = loop_timer_add(h->loop,
				  h->deadline > now ? h->deadline - now : 0,
				  helper_timeout, h);
	return h->timer == NULL ? -1 : 0;
}

/* Join loop l: its pipes and timer (the reaper is the caller's). 0 or
 * -1/errno. */
static int helper_watch(struct helper *h, struct loop *l)
{
	int i;

	h->loop = l;
	for (i = 0; i < 2; i++)
		if (h->fd[i] >= 0 &&
		    loop_fd_add(l, h->fd[i], EPOLLIN, helper_readable, h) == -1)
			return -1;
	return helper_arm(h);
}

struct helper *helper_start(struct loop *l, char *const *argv,
			    const struct helper_opts *o)
{
	struct helper *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->o = *o;
	h->fd[0] = h->fd[1] = -1;
	h->buf[0] = h->buf[1] = (struct buf)BUF_INIT;
	if (o->timeout_ms > 0)
		h->deadline = loop_now_ms() + o->timeout_ms;
	/* the reaper is there before the child can end */
	h->loop = l;
	if (loop_child_add(l, helper_reaped, h) == -1) {
		free(h);
		return NULL;
	}
	if (helper_spawn(h, argv, o->fd_in) == -1) {
		loop_child_del(l, helper_reaped, h);
		h->loop = NULL;
		h->reaped = 1; /* no child: nothing to kill */
		helper_free(h);
		return NULL;
	}
	if (helper_watch(h, l) == -1) {
		helper_free(h);
		return NULL;
	}
	return h;
}

/* A pipe is readable: keep what fits; close it at end of file. */
static void helper_readable(struct loop *l, int fd, uint32_t events,
			    void *data)
{
	struct helper *h = data;
	int i = fd == h->fd[0] ? 0 : 1;
	char chunk[4096];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		helper_close(h, i);
		helper_check_done(h);
		return;
	}
	if (h->buf[i].len < HELPER_KEEP)
		buf_append(&h->buf[i], chunk, (size_t)n);
	if (h->o.output != NULL)
		h->o.output(h->o.data, h);
}

/* The loop reaped a child: ours? */
static int helper_reaped(void *data, pid_t pid, int status)
{
	struct helper *h = data;

	if (pid != h->pid)
		return 0;
	h->status = status;
	h->reaped = 1;
	loop_child_del(h->loop, helper_reaped, h);
	helper_check_done(h);
	return 1;
}

/* Its timeout: kill its group, stop reading; done once reaped. */
static void helper_timeout(struct loop *l, void *data)
{
	struct helper *h = data;

	h->timer = NULL;
	h->timed_out = 1;
	if (!h->reaped)
		kill(-h->pid, SIGKILL);
	helper_close(h, 0);
	helper_close(h, 1);
	helper_check_done(h);
}

/* Tell from the loop that a helper moved there is done. */
static void helper_settle(struct loop *l, void *data)
{
	struct helper *h = data;

	h->timer = NULL;
	helper_check_done(h);
}

int helper_set_loop(struct helper *h, struct loop *l)
{
	int status;
	pid_t r;

	helper_unwatch(h);
	if (l == NULL || h->told)
		return 0;
	if (!h->reaped && loop_child_add(l, helper_reaped, h) == -1)
		return -1;
	if (helper_watch(h, l) == -1)
		return -1;
	/* ended while no loop of ours looked: reap it, or learn that
	 * another loop did */
	r = h->reaped ? 0 : waitpid(h->pid, &status, WNOHANG);
	if (r == h->pid || (r == -1 && errno == ECHILD)) {
		loop_child_del(l, helper_reaped, h);
		h->status = r == h->pid ? status : -1;
		h->reaped = 1;
	}
	/* done already: told from the loop, not from here */
	if (h->reaped && h->fd[0] < 0 && h->fd[1] < 0) {
		if (h->timer != NULL)
			loop_timer_cancel(l, h->timer);
		h->timer = loop_timer_add(l, 0, helper_settle, h);
		return h->timer == NULL ? -1 : 0;
	}
	return 0;
}

int helper_set_timeout(struct helper *h, unsigned timeout_ms)
{
	h->deadline = timeout_ms > 0 ? loop_now_ms() + timeout_ms : 0;
	return helper_arm(h);
}

void helper_free(struct helper *h)
{
	int saved = errno;

	if (h == NULL)
		return;
	helper_unwatch(h);
	if (!h->reaped) {
		kill(-h->pid, SIGKILL);
		/* a loop that runs reaps it when it is gone */
		waitpid(h->pid, NULL, WNOHANG);
	}
	close_keep_errno(h->fd[0]);
	close_keep_errno(h->fd[1]);
	buf_free(&h->buf[0]);
	buf_free(&h->buf[1]);
	free(h);
	errno = saved;
}

pid_t helper_pid(const struct helper *h)
{
	return h->pid;
}

int helper_status(const struct helper *h)
{
	return h->status;
}

int helper_timed_out(const struct helper *h)
{
	return h->timed_out;
}

int helper_ok(const struct helper *h)
{
	return !h->timed_out && h->status != -1 && WIFEXITED(h->status) &&
	       WEXITSTATUS(h->status) == 0;
}

struct buf *helper_out(struct helper *h)
{
	return &h->buf[0];
}

struct buf *helper_err(struct helper *h)
{
	return &h->buf[1];
}

/* --- waiting where no loop runs ------------------------------------------ */

/* SIGINT, SIGTERM, SIGHUP, SIGQUIT while waiting: stop. */
static void wait_signal(struct loop *l, const struct signalfd_siginfo *si,
			void *data)
{
	struct helper_wait *w = data;

	w->signo = (int)si->ssi_signo;
}

int helper_wait_init(struct helper_wait *w, int signals)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	size_t i;

	w->signo = 0;
	w->loop = loop_new();
	if (w->loop == NULL)
		return -1;
	for (i = 0; signals && i < ARRAY_LEN(sigs); i++) {
		if (loop_signal_add(w->loop, sigs[i], wait_signal, w) == -1) {
			helper_wait_fini(w);
			return -1;
		}
	}
	return 0;
}

int helper_wait_run(struct helper_wait *w, int (*settled)(void *data),
		    void *data)
{
	while (!settled(data)) {
		if (w->signo != 0) {
			errno = EINTR;
			return -1;
		}
		if (loop_run_once(w->loop) == -1)
			return -1;
	}
	return 0;
}

void helper_wait_fini(struct helper_wait *w)
{
	loop_free(w->loop);
	w->loop = NULL;
}

/* One helper_run: the helper, and whether it is done. */
struct run_one {
	struct helper *h;
	int done;
};

/* helper_run's helper is done. */
static void run_one_done(void *data, struct helper *h)
{
	((struct run_one *)data)->done = 1;
}

/* helper_run: is it done? */
static int run_one_settled(void *data)
{
	return ((struct run_one *)data)->done;
}

/* Move b's data to *to (when to is not NULL). */
static void buf_give(struct buf *b, struct buf *to)
{
	if (to == NULL)
		return;
	buf_free(to);
	*to = *b;
	*b = (struct buf)BUF_INIT;
}

int helper_run(char *const *argv, struct buf *out, struct buf *err,
	       unsigned timeout_ms, int *status)
{
	struct helper_opts o = {-1, timeout_ms, NULL, run_one_done, NULL};
	struct helper_wait w;
	struct run_one one = {NULL, 0};
	int rc = -1;

	o.data = &one;
	if (helper_wait_init(&w, 0) == -1)
		return -1;
	one.h = helper_start(w.loop, argv, &o);
	if (one.h == NULL || helper_wait_run(&w, run_one_settled, &one) == -1)
		goto out;
	*status = helper_status(one.h);
	buf_give(helper_out(one.h), out);
	buf_give(helper_err(one.h), err);
	rc = 0;
	if (helper_timed_out(one.h)) {
		errno = ETIMEDOUT;
		rc = -1;
	}
out:
	helper_free(one.h);
	helper_wait_fini(&w);
	return rc;
}
