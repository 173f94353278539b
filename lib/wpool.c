/* wpool: long-lived workers, each serving one input record at a time. */
#include "wpool.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "callback.h"
#include "capture.h"
#include "executor.h"
#include "hold.h"
#include "input.h"
#include "internal.h"
#include "jobenv.h"
#include "loop.h"
#include "policy.h"
#include "queue.h"
#include "slot.h"
#include "template.h"

/* Bytes asked for by one read of a worker's stdout. */
#define READ_CHUNK 65536
/* Results are collected and written out in blocks of about this size, or
 * this many milliseconds after the first one waiting. */
#define OUT_FLUSH_AT 65536
#define OUT_FLUSH_MS 2
/* A worker that has not answered its first input after this long is
 * probably holding its results in a buffer: say so once (it goes on). */
#define STALL_HINT_MS 5000
/* How long a worker that closed its stdin or stdout may take to exit. */
#define GRACE_MS 250
/* How long a worker may take to exit after its stdin closed (default). */
#define RETIRE_MS 10000
/* Results held back for the order (inputs in flight aside), per slot,
 * before sending pauses. */
#define PENDING_PER_SLOT 256
/* A worker gets more inputs in flight while its queued work is expected to
 * take less than this (its time per input, averaged, times the inputs in
 * flight); at most opts.inflight, which defaults to WPOOL_INFLIGHT. */
#define QUEUED_WORK_US 2000
/* A worker silent this long with its window full and input waiting is
 * sent one input more (a probe); if it then has read every byte sent
 * without answering, it reads ahead (a filter filling a buffer) and is
 * streamed to: sent inputs up to STREAM_BYTES and STREAM_INPUTS in flight
 * (or opts.inflight, when given). Workers are looked at every
 * QUIET_TICK_MS while one is busy. */
#define QUIET_MS 1000
#define QUIET_TICK_MS 250
#define STREAM_BYTES 65536
#define STREAM_INPUTS 16384
/* Inputs written to a worker with one writev(2) at most. */
#define WRITE_IOV 64
/* Bytes of an input quoted in a message. */
#define QUOTE_MAX 60
/* Bytes of a result put in a callback's MPRUN_RESULT. */
#define RESULT_ENV_MAX (128 * 1024 - 64)
/* Buffers larger than this are freed when a task is recycled. */
#define KEEP_BUF_MAX (1 << 20)

enum wstate { W_EMPTY, W_IDLE, W_BUSY, W_RETIRING, W_ENDING };

/* What a worker's deadline timer is waiting for (the timeout of its oldest
 * input in flight is that input's: sched_timeout_arm). */
enum deadline { DL_NONE, DL_GRACE, DL_RETIRE };

struct wpool_task {
	struct sched_task task;      /* first: what every task has */
	struct wpool *pool;
	struct wpool_task *next;     /* in flight, free list */
	struct wpool_task *all_next; /* every task the pool made */
	struct record *rec;
	struct buf send;             /* the input as a record */
	size_t in_off, in_len;       /* the input's text inside send */
	struct buf result;           /* the result's payload */
	struct callback *cb;         /* its callback, once over (its output) */
	uint64_t sent_us;            /* when it was given to its worker */
	int interrupted;
};

struct worker {
	struct wpool *pool;
	unsigned slot;
	enum wstate state;
	struct slot_tree tree;    /* its process, reaped or not, ended how */
	int in_fd, out_fd;        /* our ends of its stdin and stdout */
	int in_watched;           /* in_fd is in the loop (EPOLLOUT) */
	int status;
	int answered;             /* it returned at least one result */
	int ended_by_us;          /* ENDING for a fault we reported */
	int input_ended;          /* we closed its stdin: no more input */
	int probing;              /* sent one more input while it is silent */
	int streaming;            /* it reads ahead: fill it (STREAM_*) */
	/* Inputs in flight, oldest first, linked by next: the worker answers
	 * them in this order. unsent is the first not wholly written, sent
	 * the bytes of it that are. */
	struct wpool_task *head, *tail, *unsent;
	size_t sent;
	unsigned inflight;
	unsigned window;          /* inputs it may have in flight now */
	size_t inflight_bytes;    /* the bytes of the inputs in flight */
	uint64_t heard_ms;        /* its last result, or when it got busy */
	uint64_t last_us;         /* when its last result came */
	uint64_t svc_us;          /* its time per input (moving average) */
	struct buf rbuf;          /* bytes read, not yet a whole record */
	size_t rpos;              /* of rbuf, parsed already */
	size_t scanned;           /* from rpos, known to hold no terminator */
	unsigned long long served;
	enum deadline dl;
	struct loop_timer *deadline;
	char slotvar[32];         /* MPRUN_WORKER=... */
};

struct wpool {
	struct sched s;           /* first: the scheduler's state */
	struct wpool_opts opts;
	struct worker *workers;
	char *shell_cmd;
	struct jobenv *env;       /* environ without our variables */
	struct wpool_task *free_tasks, *all_tasks;
	struct capture_sink cb_sink; /* their stdout: into out */
	struct buf out;           /* results not yet written */
	struct loop_timer *flush_timer;
	struct buf scratch;       /* tags, messages */
	unsigned long long nspawns;
	unsigned inflight_max;    /* opts.inflight as given, or 0 */
	int read_ahead;           /* a worker was seen reading ahead */
	struct loop_timer *quiet_timer; /* looks for silent workers */
	unsigned bad_starts, hinted;
	int fatal;
	uint64_t now_us, now_wall_ms; /* the clocks, read by pool_clock() */
	struct loop_timer *stall_timer; /* until the flush hint is given */
	struct loop_timer *drain_timer; /* after sched_close: then terminate */
	int drain_over;
};

static void task_finished(struct wpool *p, struct wpool_task *t);
static void worker_end(struct worker *w);
static void worker_parse(struct worker *w);

/* --- framing -------------------------------------------------------- */

/* Can framing f carry the record p[0..n)? 0, or -1/EINVAL. */
static int frame_check(enum wpool_framing f, const char *p, size_t n)
{
	if (n > WPOOL_RECORD_MAX ||
	    (f == WPOOL_LINE && memchr(p, '\n', n) != NULL) ||
	    (f == WPOOL_NUL && memchr(p, '\0', n) != NULL)) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* What goes before a record of n bytes (WPOOL_LEN: "n\n") into head;
 * its length. */
static size_t frame_head(enum wpool_framing f, size_t n, char head[32])
{
	return f == WPOOL_LEN ? (size_t)snprintf(head, 32, "%zu\n", n) : 0;
}

/* What goes after a record: its terminator (none for WPOOL_LEN). */
static void frame_tail(enum wpool_framing f, struct buf *out)
{
	if (f != WPOOL_LEN)
		buf_append_char(out, f == WPOOL_LINE ? '\n' : '\0');
}

int wpool_frame_encode(enum wpool_framing f, const void *p, size_t n,
		       struct buf *out)
{
	char head[32];
	size_t hl;

	if (frame_check(f, p, n) == -1)
		return -1;
	hl = frame_head(f, n, head);
	if (buf_reserve(out, hl + n + 1) == -1)
		return -1;
	buf_append(out, head, hl);
	buf_append(out, p, n);
	frame_tail(f, out);
	return 0;
}

/* WPOOL_LEN: parse the header "DIGITS\n". */
static int frame_parse_len(const char *p, size_t n, size_t *start,
			   size_t *len, size_t *used)
{
	size_t i, v = 0;

	for (i = 0; i < n && p[i] != '\n'; i++) {
		if (p[i] < '0' || p[i] > '9' || i >= 18) {
			errno = EPROTO;
			return -1;
		}
		v = v * 10 + (size_t)(p[i] - '0');
	}
	if (i == n)
		return 0;
	if (i == 0) {
		errno = EPROTO;
		return -1;
	}
	if (v > WPOOL_RECORD_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (n - i - 1 < v)
		return 0;
	*start = i + 1;
	*len = v;
	*used = i + 1 + v;
	return 1;
}

int wpool_frame_parse(enum wpool_framing f, const char *p, size_t n,
		      size_t *start, size_t *len, size_t *used)
{
	const char *e;

	if (f == WPOOL_LEN)
		return frame_parse_len(p, n, start, len, used);
	e = memchr(p, f == WPOOL_LINE ? '\n' : '\0', n);
	if (e == NULL) {
		if (n > WPOOL_RECORD_MAX) {
			errno = EMSGSIZE;
			return -1;
		}
		return 0;
	}
	*start = 0;
	*len = (size_t)(e - p);
	*used = *len + 1;
	return 1;
}

/* --- small helpers ------------------------------------------------------ */

/* Read the clocks once for a batch of inputs sent or results read: many
 * a millisecond, each would otherwise read them several times. */
static void pool_clock(struct wpool *p)
{
	p->now_us = clock_now_us();
	p->now_wall_ms = clock_wall_ms();
}

/* Report a notice, printf-style (worker faults, failed callbacks). */
#define pool_notice(p, ...) \
	report_msg((p)->s.ev.notice, (p)->s.ev.data, __VA_ARGS__)

/* The run cannot go on: report (once) and close the pool. */
static void pool_fatal(struct wpool *p, const char *msg)
{
	if (p->fatal++ == 0 && p->s.ev.error != NULL)
		p->s.ev.error(p->s.ev.data, msg);
	sched_close(&p->s);
}

/* The input's text for a message: at most QUOTE_MAX bytes, control
 * characters shown as '?', "..." when cut. */
static void quote_input(const struct wpool_task *t, char *out, size_t len)
{
	const char *s = t->send.data + t->in_off;
	size_t i, n = t->in_len < QUOTE_MAX ? t->in_len : QUOTE_MAX;

	if (n > len - 4)
		n = len - 4;
	for (i = 0; i < n; i++)
		out[i] = (unsigned char)s[i] < 32 || s[i] == 127 ? '?' : s[i];
	strcpy(out + i, n < t->in_len ? "..." : "");
}

/* "exit status N" or "signal N" for a wait status. */
static void describe_status(int st, char *out, size_t len)
{
	if (WIFSIGNALED(st))
		snprintf(out, len, "signal %d", WTERMSIG(st));
	else
		snprintf(out, len, "exit status %d", WEXITSTATUS(st));
}

/* The variables mprun sets for workers and callbacks (never inherited). */
static const char *const pool_worker_vars[] = {
	"MPRUN_WORKER", "MPRUN_JOBID", "MPRUN_SEQ",
	"MPRUN_SLOT",   "MPRUN_EXIT",  "MPRUN_RESULT", NULL};

/* The shell command of a worker: the command, after the initializer. */
static int pool_init_command(struct wpool *p)
{
	struct buf b = BUF_INIT;

	if (p->opts.init != NULL &&
	    buf_printf(&b, "{ %s\n} </dev/null >&2 || exit\n", p->opts.init) ==
		    -1)
		goto fail;
	if (buf_append_str(&b, p->opts.command) == -1)
		goto fail;
	p->shell_cmd = buf_steal(&b);
	return 0;
fail:
	buf_free(&b);
	return -1;
}

static int pool_new_callbacks(struct wpool *p);
static const struct slot_ops wpool_ops;

struct sched *wpool_new(struct loop *l, const struct wpool_opts *opts,
			const struct sched_events *ev)
{
	struct wpool *p;
	unsigned i;

	if (opts->sched.slots == 0 || opts->command == NULL ||
	    opts->sched.exec == NULL) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->opts = *opts;
	if (sched_init(&p->s, &wpool_ops, l, &p->opts.sched, ev) == -1)
		goto fail;
	p->s.noun = "workers";
	if (p->opts.retire_ms == 0)
		p->opts.retire_ms = RETIRE_MS;
	p->inflight_max = p->opts.inflight;
	if (p->opts.inflight == 0)
		p->opts.inflight = WPOOL_INFLIGHT;
	p->workers = calloc(opts->sched.slots, sizeof(*p->workers));
	if (p->workers == NULL ||
	    (p->env = jobenv_new(pool_worker_vars, NULL)) == NULL ||
	    pool_init_command(p) == -1)
		goto fail;
	for (i = 0; i < opts->sched.slots; i++) {
		p->workers[i].pool = p;
		p->workers[i].slot = i + 1;
		p->workers[i].in_fd = p->workers[i].out_fd = -1;
	}
	if (pool_new_callbacks(p) == -1)
		goto fail;
	return &p->s;
fail:
	sched_free(&p->s);
	return NULL;
}

/* Close one of a worker's pipe ends (and stop watching it). */
static void worker_close_fd(struct worker *w, int *fd)
{
	if (*fd < 0)
		return;
	loop_fd_del(w->pool->s.loop, *fd);
	close(*fd);
	*fd = -1;
}

/* Cancel a worker's timers. */
static void worker_cancel_timers(struct worker *w)
{
	if (w->head != NULL)
		sched_timeout_stop(&w->head->task);
	if (w->deadline != NULL)
		loop_timer_cancel(w->pool->s.loop, w->deadline);
	sched_tree_stop(&w->tree);
	w->deadline = NULL;
	w->dl = DL_NONE;
}

/* Kill the group of a process not reaped yet; reap it if it is gone
 * already, else the loop (or our exit) does: freeing never waits (a
 * process in uninterruptible sleep would keep us). */
static void kill_and_reap(pid_t pid)
{
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, WNOHANG);
}

/* Free every task the pool made, with what they hold. */
static void pool_free_tasks(struct wpool *p)
{
	struct wpool_task *t, *tn;

	for (t = p->all_tasks; t != NULL; t = tn) {
		tn = t->all_next;
		callback_free(t->cb);
		if (t->rec != NULL)
			record_free(t->rec);
		buf_free(&t->send);
		buf_free(&t->result);
		free(t);
	}
}

/* slot_ops.destroy: kill the workers left, free the pool's. */
static void wpool_destroy(struct sched *s)
{
	struct wpool *p = (struct wpool *)s;
	unsigned i;

	for (i = 0; p->workers != NULL && i < p->opts.sched.slots; i++) {
		struct worker *w = &p->workers[i];

		worker_cancel_timers(w);
		worker_close_fd(w, &w->in_fd);
		worker_close_fd(w, &w->out_fd);
		if (w->state != W_EMPTY && !w->tree.reaped)
			kill_and_reap(w->tree.pid);
		buf_free(&w->rbuf);
	}
	pool_free_tasks(p);
	if (p->stall_timer != NULL)
		loop_timer_cancel(p->s.loop, p->stall_timer);
	if (p->quiet_timer != NULL)
		loop_timer_cancel(p->s.loop, p->quiet_timer);
	if (p->drain_timer != NULL)
		loop_timer_cancel(p->s.loop, p->drain_timer);
	if (p->flush_timer != NULL)
		loop_timer_cancel(p->s.loop, p->flush_timer);
	buf_free(&p->out);
	buf_free(&p->scratch);
	free(p->workers);
	free(p->shell_cmd);
	jobenv_free(p->env);
}

/* --- output ------------------------------------------------------------ */

/* Give results to their reader: the sink, or out_fd. 0 or -1/errno. */
static int out_deliver(struct wpool *p, const void *d, size_t n)
{
	const struct capture_sink *sink = p->opts.sched.out_sink;

	if (sink != NULL)
		return sink->write(sink->ctx, d, n);
	return capture_write_all(p->opts.sched.out_fd, d, n);
}

/* Write results out: to the holding file under --order map, else to
 * their reader. 0 or -1/errno. */
static int out_write(struct wpool *p, const void *d, size_t n)
{
	if (p->s.hold_fd[0] != -1)
		return capture_write_all(p->s.hold_fd[0], d, n);
	return out_deliver(p, d, n);
}

/* Write out the collected results. Our reader gone: end the run. */
static void out_flush(struct wpool *p)
{
	char msg[256];

	if (p->out.len == 0)
		return;
	if (!p->s.out_closed && out_write(p, p->out.data, p->out.len) == -1) {
		p->s.out_closed = 1;
		if (errno != EPIPE && errno != EINTR) { /* EINTR: Ctrl-C */
			snprintf(msg, sizeof(msg), "cannot write the results: %s",
				 strerror(errno));
			if (p->s.ev.error != NULL)
				p->s.ev.error(p->s.ev.data, msg);
		}
		sched_terminate(&p->s);
	}
	p->out.len = 0;
}

/* The flush timer: write out what was collected. */
static void out_flush_due(struct loop *l, void *data)
{
	struct wpool *p = data;

	p->flush_timer = NULL;
	out_flush(p);
}

/* Results were added: write them out soon, or now if there are many. */
static void out_added(struct wpool *p)
{
	if (p->out.len >= OUT_FLUSH_AT) {
		out_flush(p);
		return;
	}
	if (p->flush_timer == NULL && p->out.len > 0)
		p->flush_timer = loop_timer_add(p->s.loop, OUT_FLUSH_MS,
						out_flush_due, p);
	if (p->flush_timer == NULL)
		out_flush(p);
}

/* The task's tag (--tag, --tagstring) into p->scratch; 0 or -1. */
static int task_tag(struct wpool *p, struct wpool_task *t)
{
	struct template_job tj = {t->rec->v, t->rec->n, t->task.seq,
				  t->task.slot};

	p->scratch.len = 0;
	if (p->opts.sched.tagstring != NULL) {
		if (template_expand_shell(p->opts.sched.tagstring, &tj,
					  &p->scratch, NULL) == -1)
			return -1;
	} else if (p->opts.sched.tag) {
		if (buf_append(&p->scratch, t->send.data + t->in_off,
			       t->in_len) == -1)
			return -1;
	} else {
		return 0;
	}
	return buf_append_char(&p->scratch, '\t');
}

/* Add the task's result (tagged, framed) to the output. */
static void out_append(struct wpool *p, struct wpool_task *t)
{
	enum wpool_framing f = p->opts.framing;
	char head[32];
	size_t tl;

	if (task_tag(p, t) == -1)
		p->scratch.len = 0;
	tl = p->scratch.len;
	if (buf_reserve(&p->out, tl + t->result.len + 32) == -1) {
		out_flush(p);
		if (buf_reserve(&p->out, tl + t->result.len + 32) == -1)
			return;
	}
	buf_append(&p->out, head, frame_head(f, tl + t->result.len, head));
	buf_append(&p->out, p->scratch.data, tl);
	buf_append(&p->out, t->result.data, t->result.len);
	frame_tail(f, &p->out);
	out_added(p);
}

/* The callbacks' stdout sink: add their output (after a result). */
static int out_callback(void *ctx, const void *d, size_t n)
{
	struct wpool *p = ctx;

	if (buf_append(&p->out, d, n) == -1) {
		out_flush(p);
		out_write(p, d, n);
	}
	out_added(p);
	return 0;
}

/* --- tasks ------------------------------------------------------------ */

/* A task for a new record: from the free list, or made. */
static struct wpool_task *task_get(struct wpool *p)
{
	struct wpool_task *t = p->free_tasks;

	if (t != NULL) {
		p->free_tasks = t->next;
		t->next = NULL;
		return t;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->pool = p;
	t->all_next = p->all_tasks;
	p->all_tasks = t;
	return t;
}

/* The input record of t: its values joined by spaces, framed. -1/EINVAL
 * when the framing cannot carry it (the text is in place for messages). */
static int task_encode(struct wpool *p, struct wpool_task *t)
{
	const struct record *r = t->rec;
	enum wpool_framing f = p->opts.framing;
	char head[32];
	size_t i, n = 0, hl;

	for (i = 0; i < r->n; i++)
		n += strlen(r->v[i]) + (i > 0);
	hl = frame_head(f, n, head);
	t->send.len = 0;
	if (buf_reserve(&t->send, hl + n + 1) == -1)
		return -1;
	buf_append(&t->send, head, hl);
	t->in_off = hl;
	t->in_len = n;
	for (i = 0; i < r->n; i++) {
		if (i > 0)
			buf_append_char(&t->send, ' ');
		buf_append_str(&t->send, r->v[i]);
	}
	if (frame_check(f, t->send.data + hl, n) == -1)
		return -1;
	frame_tail(f, &t->send);
	return 0;
}

/* Put t back on the free list: its record is done with. */
static void task_recycle(struct wpool *p, struct wpool_task *t)
{
	record_free(t->rec);
	t->rec = NULL;
	if (p->s.q != NULL)
		queue_task_done(p->s.q);
	if (t->send.cap > KEEP_BUF_MAX)
		buf_free(&t->send);
	if (t->result.cap > KEEP_BUF_MAX)
		buf_free(&t->result);
	callback_free(t->cb);
	t->cb = NULL;
	t->next = p->free_tasks;
	p->free_tasks = t;
}

/* slot_ops.release: the task's turn: its result (and its callback's
 * output) goes out. */
static void pool_release(struct sched *s, void *task)
{
	struct wpool *p = (struct wpool *)s;
	struct wpool_task *t = task;

	if (!t->task.failed)
		out_append(p, t);
	callback_flush(t->cb);
	task_recycle(p, t);
}

/* The task and its callback are over: its result may go out. */
static void task_complete(struct wpool *p, struct wpool_task *t)
{
	sched_task_over(&p->s, t->task.seq);
	sched_check_finished(&p->s);
}

/* Queue the task's callback, if it has one; 1 if queued. */
static int task_queue_callback(struct wpool *p, struct wpool_task *t)
{
	if (t->interrupted || p->s.terminating ||
	    (t->task.failed ? p->opts.sched.on_error
			    : p->opts.sched.on_success) == NULL)
		return 0;
	callback_add(p->s.cbs, t, t->task.failed,
		     &(struct template_job){t->rec->v, t->rec->n, t->task.seq,
					    t->task.slot});
	return 1;
}

/* The task ended for good (answered or failed): count, report, callback. */
static void task_finished(struct wpool *p, struct wpool_task *t)
{
	int counted = !t->interrupted;

	t->task.exitval = t->task.failed;
	if (counted) {
		if (t->task.failed)
			p->s.nfailed++;
		else
			p->s.nsucceeded++;
		if (p->s.ev.finished != NULL)
			p->s.ev.finished(p->s.ev.data, &t->task);
	}
	if (!task_queue_callback(p, t))
		task_complete(p, t);
	if (counted)
		sched_check_halt(&p->s, &t->task);
}

/* A task cut short by sched_terminate(): neither counted nor logged. */
static void task_interrupt(struct wpool *p, struct wpool_task *t)
{
	t->task.failed = 1;
	t->interrupted = 1;
	task_finished(p, t);
}

/* A worker fault on t: report it (msg, ending in a preposition, then the
 * input quoted)
 * and try t again or fail it. */
static void task_fault(struct wpool *p, struct wpool_task *t,
		       const char *msg)
{
	int retry = sched_try_again(&p->s, &t->task);
	char in[QUOTE_MAX + 8];

	t->task.runtime_ms = loop_now_ms() - t->task.start_ms;
	quote_input(t, in, sizeof(in));
	pool_notice(p, "%s input '%s'%s", msg, in,
		    retry ? "; trying it again" : "");
	if (retry) {
		t->result.len = 0;
		return;
	}
	t->task.failed = 1;
	task_finished(p, t);
}

/* An input the framing cannot carry fails without being sent. */
static void task_reject(struct wpool *p, struct wpool_task *t)
{
	char in[QUOTE_MAX + 8];

	quote_input(t, in, sizeof(in));
	pool_notice(p, "input '%s' holds a newline, which --framing line "
		    "cannot send (use --framing len)", in);
	t->task.failed = 1;
	task_finished(p, t);
}

/* The next task to send: a retry, else a new record from the queue
 * (unless the order holds too many results back). NULL if none. */
static struct wpool_task *pool_take(struct wpool *p)
{
	struct wpool_task *t = (struct wpool_task *)sched_retry_take(&p->s);
	void *item;

	if (t != NULL)
		return t;
	if (p->s.closed || p->s.q == NULL ||
	    order_pending(p->s.order) - p->s.nrunning >=
		    (unsigned long)p->opts.sched.slots * PENDING_PER_SLOT ||
	    (p->s.throttle != NULL && p->s.throttle(p->s.throttle_data)) ||
	    queue_try_get(p->s.q, &item) == -1)
		return NULL;
	t = task_get(p);
	if (t == NULL || sched_task_add(&p->s, t, &t->task.seq) == -1) {
		record_free(item);
		queue_task_done(p->s.q);
		pool_fatal(p, strerror(ENOMEM));
		return NULL;
	}
	t->rec = item;
	t->task.start_ms = p->now_us / 1000;
	t->task.start_wall_ms = p->now_wall_ms;
	t->task.tries = 0;
	t->task.failed = t->task.signal = t->task.timed_out = 0;
	t->interrupted = 0;
	t->result.len = 0;
	return t;
}

/* Is there an input to send now? */
static int pool_has_work(const struct wpool *p)
{
	if (sched_retry_waiting(&p->s))
		return 1;
	return !p->s.closed && p->s.q != NULL && queue_len(p->s.q) > 0;
}

/* Can no input come any more? */
static int pool_source_done(const struct wpool *p)
{
	return !sched_retry_waiting(&p->s) &&
	       (p->s.closed || sched_queue_done(&p->s));
}

/* Has w been sent its --max-tasks-per-worker inputs? */
static int worker_sent_max(const struct worker *w)
{
	const struct wpool_opts *o = &w->pool->opts;

	return o->max_tasks > 0 && w->served + w->inflight >= o->max_tasks;
}

/* --- workers: starting, sending -------------------------------------- */

static void worker_readable(struct loop *l, int fd, uint32_t events,
			    void *data);
static void worker_writable(struct loop *l, int fd, uint32_t events,
			    void *data);

/* Spawn the worker's shell on the child ends of its pipes, with its
 * MPRUN_WORKER and marker; *e gets why exec failed. 0 or -1/errno. */
static int worker_spawn(struct worker *w, int in, int out, int *e)
{
	struct wpool *p = w->pool;
	struct exec_request req = {0};
	char *add[2] = {w->slotvar, w->tree.marker};

	sched_tree_init(&p->s, &w->tree, w->slot, "w", p->nspawns + 1);
	snprintf(w->slotvar, sizeof(w->slotvar), "MPRUN_WORKER=%u", w->slot);
	req.shell_cmd = p->shell_cmd;
	req.envp = jobenv_with(p->env, add, 2);
	req.fd_in = in;
	req.fd_out = out;
	req.fd_err = p->opts.sched.err_fd;
	req.sigmask = loop_orig_sigmask(p->s.loop);
	req.slot = w->slot;
	return p->opts.sched.exec->spawn(p->opts.sched.exec->ctx, &req,
					 &w->tree.pid, e);
}

/* The inputs a worker that reads ahead may have in flight (and at most
 * STREAM_BYTES of them, bar one). */
static unsigned pool_stream_inputs(const struct wpool *p)
{
	return p->inflight_max > 0 ? p->inflight_max : STREAM_INPUTS;
}

/* A worker was spawned: it is idle, its stdout watched. Once one worker
 * was seen reading ahead, the others (same command) are streamed to at
 * once. */
static void worker_started(struct worker *w, int exec_errno)
{
	struct wpool *p = w->pool;
	char msg[256];

	w->state = W_IDLE;
	w->answered = w->ended_by_us = 0;
	w->input_ended = w->probing = 0;
	w->streaming = p->read_ahead;
	w->inflight_bytes = 0;
	w->served = 0;
	w->rbuf.len = w->rpos = w->scanned = 0;
	w->head = w->tail = w->unsent = NULL;
	w->inflight = 0;
	w->window = w->streaming ? pool_stream_inputs(p) : 1;
	w->last_us = w->svc_us = 0;
	p->nspawns++;
	if (loop_fd_add(p->s.loop, w->out_fd, EPOLLIN, worker_readable, w) ==
	    -1)
		worker_end(w); /* cannot hear it: end it, it is reaped */
	if (p->s.ev.spawned != NULL)
		p->s.ev.spawned(p->s.ev.data, w->slot, w->tree.pid);
	if (exec_errno != 0) {
		snprintf(msg, sizeof(msg), "cannot run the workers' shell: %s",
			 strerror(exec_errno));
		pool_fatal(p, msg);
	}
}

/* Start a worker in an empty slot. 0 or -1/errno (nothing to undo). */
static int worker_start(struct worker *w)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, e = 0;

	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1)
		goto fail;
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	if (worker_spawn(w, in[0], out[1], &e) == -1)
		goto fail;
	close(in[0]);
	close(out[1]);
	w->in_fd = in[1];
	w->out_fd = out[0];
	worker_started(w, e);
	return 0;
fail:
	close_keep_errno(in[0]);
	close_keep_errno(in[1]);
	close_keep_errno(out[0]);
	close_keep_errno(out[1]);
	return -1;
}

/* The inputs w may have in flight now: its window, within max_tasks. */
static unsigned worker_room(const struct worker *w)
{
	const struct wpool_opts *o = &w->pool->opts;
	unsigned long long left;

	if (w->inflight >= w->window ||
	    (w->streaming && w->inflight_bytes >= STREAM_BYTES))
		return 0;
	if (o->max_tasks == 0)
		return w->window - w->inflight;
	left = o->max_tasks - w->served;
	if (left <= w->inflight)
		return 0;
	left -= w->inflight;
	return left < w->window - w->inflight ? (unsigned)left
					      : w->window - w->inflight;
}

/* Can w take an input now? (alive, both pipes open, room in flight) */
static int worker_usable(const struct worker *w)
{
	return (w->state == W_IDLE || w->state == W_BUSY) && !w->tree.reaped &&
	       w->in_fd >= 0 && w->out_fd >= 0 && w->dl != DL_GRACE &&
	       worker_room(w) > 0;
}

/* The worker to send the next input to: an idle one, else a new one in an
 * empty slot, else the busy one with the fewest inputs in flight that has
 * room for one more; NULL if none now. */
static struct worker *pool_ready_worker(struct wpool *p)
{
	struct worker *empty = NULL, *busy = NULL, *w;
	unsigned i, alive = 0;
	struct rlimit rl;
	char msg[256];

	for (i = 0; i < p->opts.sched.slots; i++) {
		w = &p->workers[i];
		if (w->state == W_IDLE && worker_usable(w))
			return w;
		if (w->state == W_EMPTY && empty == NULL)
			empty = w;
		alive += w->state != W_EMPTY;
		if (w->state == W_BUSY && worker_usable(w) &&
		    (busy == NULL || w->inflight < busy->inflight))
			busy = w;
	}
	if (empty == NULL || p->s.spawn_timer != NULL)
		return busy;
	if (worker_start(empty) == 0) {
		sched_spawn_done(&p->s);
		return worker_usable(empty) ? empty : busy;
	}
	if ((errno == EMFILE || errno == ENFILE) && alive == 0) {
		/* no worker of ours holds one that could be freed */
		if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
			rl.rlim_cur = 0;
		snprintf(msg, sizeof(msg), "out of file descriptors (ulimit "
			 "-n %lu) with no worker running: starting none",
			 (unsigned long)rl.rlim_cur);
		pool_fatal(p, msg);
		return NULL;
	}
	if ((errno == EAGAIN || errno == ENOMEM || errno == EMFILE ||
	     errno == ENFILE) &&
	    sched_spawn_later(&p->s, alive) == 0)
		return busy;
	snprintf(msg, sizeof(msg), "cannot start a worker: %s",
		 strerror(errno));
	pool_fatal(p, msg);
	return NULL;
}

/* The worker's deadline timer fired. */
static void worker_deadline(struct loop *l, void *data);

/* Stop the worker's deadline timer. */
static void worker_cancel_deadline(struct worker *w)
{
	if (w->deadline != NULL)
		loop_timer_cancel(w->pool->s.loop, w->deadline);
	w->deadline = NULL;
	w->dl = DL_NONE;
}

/* Arm the worker's deadline timer for kind, ms from now; a worker has one
 * deadline at a time: its oldest input's timeout is stopped. */
static void worker_set_deadline(struct worker *w, enum deadline kind,
				uint64_t ms)
{
	worker_cancel_deadline(w);
	if (w->head != NULL)
		sched_timeout_stop(&w->head->task);
	w->dl = kind;
	w->deadline = loop_timer_add(w->pool->s.loop, ms, worker_deadline, w);
}

/* The oldest input in flight has the timeout to itself (and the worker
 * no other deadline). */
static void worker_arm_timeout(struct worker *w)
{
	struct wpool *p = w->pool;

	if (p->opts.sched.timeout_ms == 0 || w->head == NULL)
		return;
	worker_cancel_deadline(w);
	sched_timeout_arm(&p->s, &w->head->task, p->opts.sched.timeout_ms);
}

/* The worker closed its stdin or stdout: it has GRACE_MS to exit. */
static void worker_pipe_lost(struct worker *w)
{
	if (w->state == W_ENDING || w->state == W_RETIRING ||
	    w->dl == DL_GRACE)
		return;
	worker_set_deadline(w, DL_GRACE, GRACE_MS);
}

/* The worker was sent all its inputs and no more will come: close its
 * stdin, so that a filter holding results in a buffer flushes them. */
static void worker_end_input(struct worker *w)
{
	if (w->in_fd < 0 || w->unsent != NULL)
		return;
	worker_close_fd(w, &w->in_fd);
	w->in_watched = 0;
	w->input_ended = 1;
}

/* No more input will come: close the busy worker's stdin now? Yes after
 * sched_close() and for a worker that reads ahead (or was probed); the
 * others first get QUIET_MS to answer (worker_quiet_check), so that a
 * worker answering each input does not see its stdin end early. */
static void worker_input_done(struct worker *w)
{
	if (w->pool->s.closed || w->streaming || w->probing)
		worker_end_input(w);
}

/* Write what can be written of the inputs in flight not yet sent whole. */
static void worker_write(struct worker *w)
{
	struct iovec iov[WRITE_IOV];
	struct wpool_task *t;
	size_t off, left;
	ssize_t n;
	int k;

	while (w->unsent != NULL) {
		off = w->sent;
		for (k = 0, t = w->unsent; t != NULL && k < WRITE_IOV;
		     t = t->next, k++, off = 0) {
			iov[k].iov_base = t->send.data + off;
			iov[k].iov_len = t->send.len - off;
		}
		n = writev(w->in_fd, iov, k);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			if (!w->in_watched &&
			    loop_fd_add(w->pool->s.loop, w->in_fd, EPOLLOUT,
					worker_writable, w) == 0)
				w->in_watched = 1;
			return;
		}
		if (n <= 0) {
			worker_close_fd(w, &w->in_fd); /* EPIPE: it closed
							* stdin */
			w->in_watched = 0;
			worker_pipe_lost(w);
			return;
		}
		for (left = (size_t)n; left > 0;) {
			t = w->unsent;
			if (left < t->send.len - w->sent) {
				w->sent += left;
				break;
			}
			left -= t->send.len - w->sent;
			t->task.sent = t->send.len;
			w->unsent = t->next;
			w->sent = 0;
		}
	}
	if (w->in_watched) {
		loop_fd_del(w->pool->s.loop, w->in_fd);
		w->in_watched = 0;
	}
	if (worker_sent_max(w))
		worker_end_input(w); /* it is started again after them */
	else if (pool_source_done(w->pool))
		worker_input_done(w); /* that was the last */
}

/* The worker's stdin has room again. */
static void worker_writable(struct loop *l, int fd, uint32_t events,
			    void *data)
{
	struct worker *w = data;

	if (w->state == W_BUSY && w->unsent != NULL)
		worker_write(w);
}

/* Queue t for the worker w (idle, or busy with room); it is written by
 * pool_fill, with the others queued at the same time. */
static void worker_send(struct worker *w, struct wpool_task *t)
{
	struct wpool *p = w->pool;

	t->task.slot = w->slot;
	sched_try_start(&p->s, &t->task);
	t->sent_us = p->now_us;
	t->task.start_ms = p->now_us / 1000;
	t->task.start_wall_ms = p->now_wall_ms;
	t->task.sent = t->task.received = 0;
	t->task.signal = t->task.timed_out = 0;
	t->result.len = 0;
	t->next = NULL;
	if (w->tail != NULL)
		w->tail->next = t;
	else
		w->head = t;
	w->tail = t;
	if (w->unsent == NULL) {
		w->unsent = t;
		w->sent = 0;
	}
	w->inflight++;
	w->inflight_bytes += t->send.len;
	p->s.nrunning++;
	if (w->state == W_IDLE) {
		w->state = W_BUSY;
		w->heard_ms = p->now_us / 1000;
		worker_arm_timeout(w);
	}
}

/* Write the inputs queued for the workers by worker_send. */
static void pool_write_all(struct wpool *p)
{
	unsigned i;

	for (i = 0; i < p->opts.sched.slots; i++) {
		struct worker *w = &p->workers[i];

		if (w->state == W_BUSY && w->unsent != NULL &&
		    !w->in_watched) {
			if (w->in_fd >= 0)
				worker_write(w);
			else
				worker_pipe_lost(w);
		}
	}
}

/* Take the oldest input in flight off w (it is answered or failed); the
 * next one, if any, now has the timeout to itself. */
static struct wpool_task *worker_detach(struct worker *w)
{
	struct wpool *p = w->pool;
	struct wpool_task *t = w->head;

	w->head = t->next;
	if (w->head == NULL)
		w->tail = NULL;
	if (w->unsent == t) {
		w->unsent = t->next;
		w->sent = 0;
	}
	t->next = NULL;
	w->inflight--;
	w->inflight_bytes -= t->send.len;
	p->s.nrunning--;
	sched_timeout_stop(&t->task);
	if (w->head != NULL) {
		w->head->task.start_ms = p->now_us / 1000;
		w->head->task.start_wall_ms = p->now_wall_ms;
		if (w->state == W_BUSY)
			worker_arm_timeout(w);
	} else if (w->in_watched) {
		loop_fd_del(p->s.loop, w->in_fd);
		w->in_watched = 0;
	}
	return t;
}

/* Give back the inputs in flight on w behind the one it failed on: they
 * go first to the next workers, their try not counted. */
static void worker_requeue(struct worker *w)
{
	struct sched_task *t, *first = NULL, *last = NULL;

	while (w->head != NULL) {
		t = &worker_detach(w)->task;
		t->retry_next = NULL;
		if (last != NULL)
			last->retry_next = t;
		else
			first = t;
		last = t;
	}
	sched_retry_return(&w->pool->s, first);
}

/* Close the worker's stdin: it should exit (after max_tasks, at the end,
 * or after sched_close). */
static void worker_retire(struct worker *w)
{
	worker_close_fd(w, &w->in_fd);
	w->in_watched = 0;
	w->state = W_RETIRING;
	worker_set_deadline(w, DL_RETIRE, w->pool->opts.retire_ms);
}

/* --- workers: results and faults ------------------------------------- */

/* A fault of a busy worker on its oldest input: report, end it, retry or
 * fail that input, give back the others. what completes "worker N ...". */
static void worker_fault(struct worker *w, const char *what, int timed_out)
{
	struct wpool_task *t = worker_detach(w);
	char msg[256];

	snprintf(msg, sizeof(msg), "worker %u %s", w->slot, what);
	t->task.timed_out = timed_out;
	w->ended_by_us = 1;
	worker_end(w);
	worker_requeue(w);
	task_fault(w->pool, t, msg);
}

/* Output from a worker that owes none: report, count, end it. */
static void worker_stray(struct worker *w)
{
	w->pool->s.nfaults++;
	w->ended_by_us = 1;
	pool_notice(w->pool, "worker %u wrote output with no input pending",
		    w->slot);
	worker_end(w);
}

/* A worker timed out, or is long silent, before its first result: say
 * once that results must be flushed (a stdio buffer holding them, or a
 * worker reading ahead, looks like this). what: "gave no result at all",
 * "has given no result for 5s". */
static void pool_flush_hint(struct wpool *p, struct worker *w,
			    const char *what)
{
	if (p->hinted++ > 0)
		return;
	pool_notice(p, "worker %u %s: a worker must flush each result record "
		    "(stdbuf -oL, python3 -u, awk's fflush(), sed -u; mawk -W "
		    "interactive)", w->slot, what);
}

/* Every STALL_HINT_MS until the hint is given or all is done: a worker
 * silent since its first input was sent that long ago gets the hint. */
static void pool_stall_check(struct loop *l, void *data)
{
	struct wpool *p = data;
	uint64_t now = loop_now_ms();
	char what[64];
	unsigned i;

	p->stall_timer = NULL;
	if (p->hinted || p->s.finished)
		return;
	for (i = 0; i < p->opts.sched.slots; i++) {
		struct worker *w = &p->workers[i];

		if (w->state == W_BUSY && !w->answered && w->rbuf.len == 0 &&
		    now - w->head->task.start_ms >= STALL_HINT_MS) {
			snprintf(what, sizeof(what), "has given no result for "
				 "%us", (unsigned)((now - w->head->task.start_ms) /
						   1000));
			pool_flush_hint(p, w, what);
			return;
		}
	}
	p->stall_timer = loop_timer_add(l, STALL_HINT_MS, pool_stall_check, p);
}

/* The worker's deadline: input timeout, pipe grace or retire grace. */
static void worker_deadline(struct loop *l, void *data)
{
	struct worker *w = data;
	enum deadline kind = w->dl;

	pool_clock(w->pool);
	w->deadline = NULL;
	w->dl = DL_NONE;
	if (w->state == W_BUSY) {
		worker_fault(w, "closed its stdin or stdout on", 0);
	} else if (kind == DL_RETIRE) {
		pool_notice(w->pool, "worker %u did not exit within %.3fs of "
			    "its stdin closing: ending it", w->slot,
			    (double)w->pool->opts.retire_ms / 1000.0);
		worker_end(w);
	} else if (kind == DL_GRACE) {
		w->ended_by_us = 1;
		worker_end(w);
	}
}

/* slot_ops.timed_out: the oldest input in flight on its worker had no
 * result in time: the worker is ended, the input tried again or failed. */
static void pool_timed_out(struct sched *s, struct sched_task *t)
{
	struct wpool *p = (struct wpool *)s;
	struct worker *w = &p->workers[t->slot - 1];
	char what[96];

	pool_clock(p);
	snprintf(what, sizeof(what), "timed out after %.3fs on",
		 (double)p->opts.sched.timeout_ms / 1000.0);
	if (!w->answered && w->rbuf.len == 0)
		pool_flush_hint(p, w, "gave no result at all");
	worker_fault(w, what, 1);
}

/* The oldest input in flight got its result, payload p[0..n), used bytes
 * read. Its time per input tunes the worker's window. */
static void worker_answered(struct worker *w, const char *p, size_t n,
			    size_t used)
{
	struct wpool *pool = w->pool;
	struct wpool_task *t = worker_detach(w);
	uint64_t now = pool->now_us, from, svc;

	t->task.received = used;
	t->task.runtime_ms = now / 1000 - t->task.start_ms;
	if (buf_append(&t->result, p, n) == -1) {
		worker_end(w);
		worker_requeue(w);
		task_fault(pool, t, "cannot hold the result of");
		return;
	}
	from = t->sent_us > w->last_us ? t->sent_us : w->last_us;
	svc = now > from ? now - from : 0;
	w->svc_us = w->served == 0 ? svc : (w->svc_us * 7 + svc) / 8;
	w->last_us = now;
	w->heard_ms = now / 1000;
	w->probing = 0;
	if (w->streaming)
		w->window = pool_stream_inputs(pool);
	else
		w->window = w->svc_us * pool->opts.inflight <= QUEUED_WORK_US
				    ? pool->opts.inflight
				    : (unsigned)(QUEUED_WORK_US / w->svc_us) + 1;
	w->served++;
	w->answered = 1;
	pool->bad_starts = 0;
	if (w->inflight == 0) {
		w->state = W_IDLE;
		if ((pool->opts.max_tasks > 0 &&
		     w->served >= pool->opts.max_tasks) ||
		    pool->s.closed)
			worker_retire(w);
	}
	task_finished(pool, t);
}

/* The next record of rbuf (from rpos), resuming a scan for a terminator. */
static int worker_next_record(struct worker *w, size_t *start, size_t *len,
			      size_t *used)
{
	enum wpool_framing f = w->pool->opts.framing;
	size_t skip = f == WPOOL_LEN ? 0 : w->scanned;
	const char *p = w->rbuf.data + w->rpos;
	size_t n = w->rbuf.len - w->rpos;
	int rc;

	rc = wpool_frame_parse(f, p + skip, n - skip, start, len, used);
	if (rc == 0 && f != WPOOL_LEN)
		w->scanned = n;
	if (rc == 1) {
		*len += skip;
		*used += skip;
	}
	return rc;
}

/* Move the part of a record left in rbuf to its start. */
static void worker_compact(struct worker *w)
{
	if (w->rpos == 0)
		return;
	memmove(w->rbuf.data, w->rbuf.data + w->rpos, w->rbuf.len - w->rpos);
	w->rbuf.len -= w->rpos;
	w->rpos = 0;
}

/* Make sense of the bytes read from a worker: each whole record answers
 * the oldest input in flight. */
static void worker_parse(struct worker *w)
{
	size_t start = 0, len = 0, used = 0;
	const char *why = NULL;
	int rc;

	pool_clock(w->pool);
	while (w->rbuf.len > w->rpos) {
		if (w->state == W_ENDING || w->state == W_EMPTY)
			break;
		if (w->state != W_BUSY) {
			w->rbuf.len = w->rpos = w->scanned = 0;
			worker_stray(w);
			return;
		}
		rc = worker_next_record(w, &start, &len, &used);
		if (rc == 0) {
			worker_compact(w);
			return;
		}
		if (rc == -1)
			why = errno == EPROTO ? "wrote a malformed length for"
					      : "wrote a record too large for";
		else if (w->unsent == w->head)
			why = "answered before reading all of";
		else if (w->inflight == 1 && w->rpos + used < w->rbuf.len)
			why = "wrote more than one record for";
		if (why != NULL) {
			worker_fault(w, why, 0);
			break;
		}
		w->rpos += used;
		w->scanned = 0;
		worker_answered(w, w->rbuf.data + w->rpos - used + start, len,
				used);
	}
	w->rbuf.len = w->rpos = w->scanned = 0;
}

/* Read what the worker's stdout holds now: > 0 bytes, 0 at EOF, -1
 * (EAGAIN: nothing now). */
static ssize_t worker_read(struct worker *w)
{
	ssize_t n;

	if (w->rbuf.cap - w->rbuf.len < READ_CHUNK / 4 &&
	    buf_reserve(&w->rbuf, READ_CHUNK) == -1)
		return -1;
	do
		n = read(w->out_fd, w->rbuf.data + w->rbuf.len,
			 w->rbuf.cap - w->rbuf.len - 1);
	while (n == -1 && errno == EINTR);
	if (n > 0)
		w->rbuf.len += (size_t)n;
	return n;
}

/* The worker's stdout is readable (or closed). */
static void worker_readable(struct loop *l, int fd, uint32_t events,
			    void *data)
{
	struct worker *w = data;
	ssize_t n = worker_read(w);

	if (n > 0) {
		worker_parse(w);
		sched_kick(&w->pool->s);
		return;
	}
	if (n == -1 && errno == EAGAIN)
		return;
	worker_close_fd(w, &w->out_fd); /* EOF: it closed stdout */
	worker_pipe_lost(w);
}

/* --- workers: ending and reaping ------------------------------------- */

/* End the worker's whole tree with the termination sequence. */
static void worker_end(struct worker *w)
{
	if (w->state == W_ENDING || w->state == W_EMPTY)
		return;
	w->state = W_ENDING;
	worker_cancel_deadline(w);
	if (w->head != NULL)
		sched_timeout_stop(&w->head->task);
	worker_close_fd(w, &w->in_fd);
	w->in_watched = 0;
	if (!w->tree.reaped)
		sched_tree_end(&w->tree);
}

/* A worker that ends before its first result counts against the run:
 * too many in a row, or one whose command cannot run, stop it. */
static void pool_count_bad_start(struct wpool *p, struct worker *w)
{
	int st = w->status;
	char msg[256];

	if (w->answered || w->state == W_RETIRING || w->ended_by_us)
		return;
	p->bad_starts++;
	if (WIFEXITED(st) &&
	    (WEXITSTATUS(st) == 126 || WEXITSTATUS(st) == 127)) {
		snprintf(msg, sizeof(msg), "worker %u exited %d before its "
			 "first result: the worker command cannot run",
			 w->slot, WEXITSTATUS(st));
		pool_fatal(p, msg);
	} else if (p->bad_starts >=
		   (p->opts.sched.retries + 2) * p->opts.sched.slots) {
		snprintf(msg, sizeof(msg), "%u workers in a row ended before "
			 "their first result: stopping", p->bad_starts);
		pool_fatal(p, msg);
	}
}

/* The worker exited normally after its stdin was closed, inputs still
 * unanswered: it wrote fewer records than it was sent inputs (a filter
 * that drops some), so the results it gave may belong to other inputs.
 * Say so once; the unanswered inputs fail (they are not tried again). */
static void worker_short(struct worker *w)
{
	struct wpool *p = w->pool;
	struct wpool_task *t;
	char in[QUOTE_MAX + 8];

	quote_input(w->head, in, sizeof(in));
	pool_notice(p, "worker %u exited at the end of its input with %u "
		    "input%s unanswered, from input '%s': a worker must write "
		    "one result record per input (its results may belong to "
		    "other inputs)", w->slot, w->inflight,
		    w->inflight == 1 ? "" : "s", in);
	w->ended_by_us = 1;
	while (w->head != NULL) {
		t = worker_detach(w);
		t->task.runtime_ms = p->now_us / 1000 - t->task.start_ms;
		t->task.failed = 1;
		task_finished(p, t);
	}
}

/* The worker was reaped: take what it wrote, settle its input, empty
 * its slot. */
static void worker_reaped(struct worker *w, int status)
{
	struct wpool *p = w->pool;
	char st[64], msg[128];

	pool_clock(p);
	w->tree.reaped = 1;
	w->status = status;
	while (w->out_fd >= 0 && worker_read(w) > 0)
		worker_parse(w);
	describe_status(status, st, sizeof(st));
	if (w->state == W_BUSY && w->input_ended && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0) {
		worker_short(w);
	} else if (w->state == W_BUSY) {
		snprintf(msg, sizeof(msg), "died (%s) on", st);
		w->head->task.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
		worker_fault(w, msg, 0);
		w->ended_by_us = 0;
	} else if (w->state == W_IDLE && status != 0) {
		pool_notice(p, "worker %u exited (%s) with no input pending",
			    w->slot, st);
	}
	pool_count_bad_start(p, w);
	worker_cancel_timers(w);
	worker_close_fd(w, &w->in_fd);
	worker_close_fd(w, &w->out_fd);
	w->in_watched = 0;
	/* Whatever of its tree outlived it goes too (its group, and what
	 * left the group but carries its marker). */
	termtree_signal(0, w->tree.pid, w->tree.marker, SIGKILL);
	w->state = W_EMPTY;
	sched_kick(&p->s);
}

/* --- callbacks ------------------------------------------------------- */

/* callback opts.vars: what the input's callback needs to know. */
static int task_cb_vars(void *data, struct buf *b)
{
	struct wpool_task *t = data;
	const char *r = t->result.data != NULL ? t->result.data : "";
	size_t rl = strnlen(r, t->result.len);

	return buf_printf(b,
			  "MPRUN_SEQ=%llu%cMPRUN_SLOT=%u%cMPRUN_EXIT=%d%c"
			  "MPRUN_RESULT=%.*s%c",
			  t->task.seq, 0, t->task.slot, 0, t->task.failed, 0,
			  (int)(rl < RESULT_ENV_MAX ? rl : RESULT_ENV_MAX), r, 0);
}

/* callback opts.done: the input and its callback are over. */
static void task_cb_done(void *data, struct callback *cb)
{
	struct wpool_task *t = data;

	t->cb = cb;
	task_complete(t->pool, t);
}

/* The callback queue: stdout after the result, stderr to err_fd. */
static int pool_new_callbacks(struct wpool *p)
{
	struct callback_opts co = {
		.cmd = {p->opts.sched.on_success, p->opts.sched.on_error},
		.noun = "input",
		.how = {{"failed (exit status ", ")"},
			{"failed (signal ", ")"}},
		.out = {{-1, &p->cb_sink, 0}, {p->opts.sched.err_fd, NULL, 1}},
		.vars = task_cb_vars,
		.done = task_cb_done,
	};

	p->cb_sink = (struct capture_sink){out_callback, p, NULL};
	return sched_callbacks(&p->s, &co, jobenv_base(p->env));
}

/* --- the pool ---------------------------------------------------------- */

/* The worker whose process is pid, or NULL. */
static struct worker *pool_worker_by_pid(struct wpool *p, pid_t pid)
{
	unsigned i;

	for (i = 0; i < p->opts.sched.slots; i++)
		if (p->workers[i].state != W_EMPTY &&
		    !p->workers[i].tree.reaped && p->workers[i].tree.pid == pid)
			return &p->workers[i];
	return NULL;
}

/* slot_ops.reaped: a child of ours ended: a worker? */
static int pool_reaped(struct sched *s, pid_t pid, int status)
{
	struct wpool *p = (struct wpool *)s;
	struct worker *w = pool_worker_by_pid(p, pid);

	if (w != NULL) {
		worker_reaped(w, status);
		return 1;
	}
	return 0;
}

/* Close the stdin of workers that will get no more input: idle ones
 * retire (and so do idle ones whose stdin we closed already); busy ones,
 * once sent all their inputs, answer them and exit. */
static void pool_end_inputs(struct wpool *p)
{
	int done = pool_source_done(p);
	unsigned i;

	for (i = 0; i < p->opts.sched.slots; i++) {
		struct worker *w = &p->workers[i];

		if (w->state == W_IDLE && (done || w->input_ended))
			worker_retire(w);
		else if (w->state == W_BUSY && done)
			worker_input_done(w);
	}
}

/* The bytes written to the worker's stdin it has not read yet, or -1. */
static int worker_unread(const struct worker *w)
{
	int n;

	if (w->in_fd < 0 || ioctl(w->in_fd, FIONREAD, &n) == -1)
		return -1;
	return n;
}

/* A worker silent for QUIET_MS with its window full and input waiting is
 * probed with one input more; still silent, with all it was sent read, it
 * reads ahead: it is streamed to. 1 if it may now take more input. */
static int worker_quiet_check(struct worker *w, uint64_t now)
{
	struct wpool *p = w->pool;

	if (w->state != W_BUSY || w->streaming || w->in_fd < 0 ||
	    w->unsent != NULL || now - w->heard_ms < QUIET_MS)
		return 0;
	if (pool_source_done(p)) { /* it may be waiting for more input */
		worker_end_input(w);
		return 0;
	}
	if (w->probing) {
		if (w->inflight < 2 || worker_unread(w) != 0)
			return 0;
		w->streaming = p->read_ahead = 1;
		w->window = pool_stream_inputs(p);
		return 1;
	}
	if (w->inflight < w->window || !pool_has_work(p) ||
	    (p->inflight_max > 0 && w->inflight >= p->inflight_max))
		return 0;
	w->probing = 1;
	w->window = w->inflight + 1;
	return 1;
}

static void pool_quiet_arm(struct wpool *p);

/* Every QUIET_TICK_MS while a worker is busy: look for silent ones. */
static void pool_quiet_tick(struct loop *l, void *data)
{
	struct wpool *p = data;
	uint64_t now;
	int more = 0;
	unsigned i;

	p->quiet_timer = NULL;
	pool_clock(p);
	now = p->now_us / 1000;
	for (i = 0; i < p->opts.sched.slots; i++)
		more |= worker_quiet_check(&p->workers[i], now);
	if (more)
		sched_kick(&p->s);
	pool_quiet_arm(p);
}

/* Arm the quiet timer while a worker not streamed to is busy. */
static void pool_quiet_arm(struct wpool *p)
{
	unsigned i;

	if (p->quiet_timer != NULL || p->s.finished || p->s.terminating)
		return;
	for (i = 0; i < p->opts.sched.slots; i++) {
		struct worker *w = &p->workers[i];

		if (w->state == W_BUSY && !w->streaming && w->in_fd >= 0) {
			p->quiet_timer = loop_timer_add(p->s.loop,
							QUIET_TICK_MS,
							pool_quiet_tick, p);
			return;
		}
	}
}

/* Ask the producer for more records when the queue runs low. */
static void pool_want_more(struct wpool *p)
{
	if (p->s.want != NULL && p->s.q != NULL && !p->s.closed &&
	    !queue_closed(p->s.q) &&
	    queue_len(p->s.q) < queue_capacity(p->s.q) / 2)
		p->s.want(p->s.want_data);
}

/* slot_ops.fill: send inputs to idle workers (starting workers as
 * needed), retire the idle ones when no input is left. */
static void pool_fill(struct sched *s)
{
	struct wpool *p = (struct wpool *)s;
	struct wpool_task *t;
	struct worker *w;

	pool_clock(p);
	pool_want_more(p);
	while (!s->terminating && pool_has_work(p) &&
	       (w = pool_ready_worker(p)) != NULL &&
	       (t = pool_take(p)) != NULL) {
		if (task_encode(p, t) == 0)
			worker_send(w, t);
		else if (errno == EINVAL)
			task_reject(p, t);
		else
			pool_fatal(p, strerror(errno));
	}
	pool_want_more(p); /* a streamed worker may not answer soon */
	pool_write_all(p);
	pool_end_inputs(p);
	pool_quiet_arm(p);
}

/* slot_ops.busy: input to come or in flight, a callback, a worker. */
static int pool_busy(const struct sched *s)
{
	const struct wpool *p = (const struct wpool *)s;
	unsigned i;

	if (!pool_source_done(p) || s->nrunning > 0 ||
	    callback_pending(s->cbs))
		return 1;
	for (i = 0; i < p->opts.sched.slots; i++)
		if (p->workers[i].state != W_EMPTY)
			return 1;
	return 0;
}

/* slot_ops.finish: the last results out, the pool's timers off. */
static void pool_finish(struct sched *s)
{
	struct wpool *p = (struct wpool *)s;

	out_flush(p);
	if (p->stall_timer != NULL)
		loop_timer_cancel(s->loop, p->stall_timer);
	p->stall_timer = NULL;
	if (p->quiet_timer != NULL)
		loop_timer_cancel(s->loop, p->quiet_timer);
	p->quiet_timer = NULL;
	if (p->drain_timer != NULL)
		loop_timer_cancel(s->loop, p->drain_timer);
	p->drain_timer = NULL;
}

/* slot_ops.start: --order map holds the results in a file until the
 * end; the flush hint is looked for. */
static void pool_start(struct sched *s)
{
	struct wpool *p = (struct wpool *)s;

	if (p->opts.sched.order == ORDER_MAP && sched_hold(s, 1) == -1)
		pool_fatal(p, "cannot hold the results for --order map");
	p->stall_timer = loop_timer_add(s->loop, STALL_HINT_MS,
					pool_stall_check, p);
}

/* slot_ops.give_up: an input waiting for a retry fails (or, when ending
 * the run, is dropped). */
static void pool_give_up(struct sched *s, struct sched_task *t)
{
	struct wpool *p = (struct wpool *)s;
	struct wpool_task *in = (struct wpool_task *)t;

	if (s->terminating) {
		task_interrupt(p, in);
	} else {
		in->task.failed = 1;
		task_finished(p, in);
	}
}

/* The drain after sched_close is over: end the workers still busy. */
static void pool_drain_over(struct loop *l, void *data)
{
	struct wpool *p = data;

	p->drain_timer = NULL;
	p->drain_over = 1;
	pool_notice(p, "ending the workers that did not answer in time after "
		    "SIGTERM (their inputs fail)");
	sched_terminate(&p->s);
}

/* slot_ops.close: close the workers' stdin (the retries failed); the busy
 * ones get retire_ms to answer. */
static void pool_close(struct sched *s)
{
	struct wpool *p = (struct wpool *)s;
	unsigned i;

	for (i = 0; i < p->opts.sched.slots; i++) {
		struct worker *w = &p->workers[i];

		if (w->state == W_IDLE)
			worker_retire(w);
		else if (w->state == W_BUSY)
			worker_end_input(w);
	}
	/* busy workers have as long to answer as a worker whose stdin
	 * closed has to exit; then they are ended */
	if (p->s.nrunning > 0 && p->drain_timer == NULL)
		p->drain_timer = loop_timer_add(p->s.loop, p->opts.retire_ms,
						pool_drain_over, p);
}

/* slot_ops.terminate: drop the inputs in flight (after the
 * drain they fail), end every worker's tree. */
static void pool_terminate(struct sched *s)
{
	struct wpool *p = (struct wpool *)s;
	unsigned i;

	for (i = 0; i < p->opts.sched.slots; i++) {
		struct worker *w = &p->workers[i];

		while (w->head != NULL) {
			struct wpool_task *t = worker_detach(w);

			if (p->drain_over) { /* not answered in time: fails */
				t->task.failed = 1;
				task_finished(p, t);
			} else {
				task_interrupt(p, t);
			}
		}
		w->ended_by_us = 1;
		worker_end(w);
	}
}

/* --- accessors ---------------------------------------------------------- */

const char *wpool_shell_command(const struct sched *s)
{
	return ((const struct wpool *)s)->shell_cmd;
}

unsigned long long wpool_spawns(const struct sched *s)
{
	return ((const struct wpool *)s)->nspawns;
}

/* The input of a task the events were given. */
#define INPUT(t) ((const struct wpool_task *)(t))

const char *wpool_task_input(const struct sched_task *t, size_t *len)
{
	*len = INPUT(t)->in_len;
	return INPUT(t)->send.data + INPUT(t)->in_off;
}

static const struct slot_ops wpool_ops = {
	.fill = pool_fill, .busy = pool_busy, .start = pool_start,
	.close = pool_close, .terminate = pool_terminate,
	.finish = pool_finish, .release = pool_release,
	.reaped = pool_reaped, .timed_out = pool_timed_out,
	.give_up = pool_give_up, .destroy = wpool_destroy,
};
