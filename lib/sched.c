/* sched: one scheduler over the kinds of slot (lib/slot.h). */
#include "sched.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callback.h"
#include "executor.h"
#include "hold.h"
#include "internal.h"
#include "loop.h"
#include "queue.h"
#include "slot.h"
#include "termtree.h"

/* How long to wait before retrying a spawn that failed with EAGAIN, */
#define SPAWN_RETRY_MS 10
/* ... doubled at each failure up to this, and given up after
 * SPAWN_GIVE_UP_MS (slot.h) when none of ours runs. */
#define SPAWN_RETRY_MAX_MS 500

static void spawn_retry(struct loop *l, void *data);
static void retry_give_up(struct sched *s);

/* Stop waiting to retry a spawn. */
static void spawn_cancel(struct sched *s)
{
	if (s->spawn_timer != NULL)
		loop_timer_cancel(s->loop, s->spawn_timer);
	s->spawn_timer = NULL;
}

/* A child of ours ended: hand it to the kind. A process was freed: a
 * spawn waiting may work now. */
static int sched_reaped(void *data, pid_t pid, int status)
{
	struct sched *s = data;

	if (!s->ops->reaped(s, pid, status))
		return 0;
	if (s->spawn_timer != NULL) {
		spawn_cancel(s);
		s->spawn_timer = loop_timer_add(s->loop, 0, spawn_retry, s);
	}
	return 1;
}

int sched_init(struct sched *s, const struct slot_ops *ops, struct loop *l,
	       const struct sched_opts *o, const struct sched_events *ev)
{
	s->ops = ops;
	s->o = o;
	if (ev != NULL)
		s->ev = *ev;
	s->loop = l;
	s->self = getpid();
	s->hold_fd[0] = s->hold_fd[1] = -1;
	s->order = order_new(o->order);
	s->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (s->order == NULL || s->devnull == -1 ||
	    loop_child_add(l, sched_reaped, s) == -1)
		return -1;
	s->reaping = 1;
	return 0;
}

void sched_free(struct sched *s)
{
	if (s == NULL)
		return;
	if (s->reaping)
		loop_child_del(s->loop, sched_reaped, s);
	callback_destroy(s->cbs);
	spawn_cancel(s);
	if (s->ops != NULL)
		s->ops->destroy(s);
	order_free(s->order);
	close_keep_errno(s->devnull);
	close_keep_errno(s->hold_fd[0]);
	close_keep_errno(s->hold_fd[1]);
	free(s);
}

void sched_set_source(struct sched *s, struct queue *q, void (*want)(void *),
		      void *data)
{
	s->q = q;
	s->want = want;
	s->want_data = data;
}

void sched_set_throttle(struct sched *s, int (*throttle)(void *),
			void *data)
{
	s->throttle = throttle;
	s->throttle_data = data;
}

int sched_callbacks(struct sched *s, struct callback_opts *co,
		    char *const *env)
{
	co->exec = s->o->exec;
	co->env = env;
	co->fd_in = s->devnull;
	co->tmpdir = s->o->tmpdir;
	co->termseq = &s->o->termseq;
	co->notice = s->ev.notice;
	co->ctx = s->ev.data;
	s->cbs = callback_new(s->loop, co);
	return s->cbs != NULL ? 0 : -1;
}

int sched_task_add(struct sched *s, void *task, unsigned long long *seq)
{
	if (order_started(s->order, s->seq + 1, task) == -1)
		return -1;
	*seq = ++s->seq;
	s->nstarted++;
	((struct sched_task *)task)->sched = s;
	return 0;
}

void sched_task_over(struct sched *s, unsigned long long seq)
{
	void *t;

	order_finished(s->order, seq);
	while ((t = order_pop_release(s->order)) != NULL)
		s->ops->release(s, t);
}

int sched_queue_done(const struct sched *s)
{
	return s->q == NULL || (queue_closed(s->q) && queue_len(s->q) == 0);
}

int sched_evict(struct sched *s, const char *why)
{
	if (s->ops->evict == NULL || s->closed)
		return 0;
	return s->ops->evict(s, why);
}

void sched_kick(struct sched *s)
{
	if (!s->started)
		return;
	if (s->in_kick) {
		s->kick_again = 1;
		return;
	}
	s->in_kick = 1;
	do {
		s->kick_again = 0;
		s->ops->fill(s);
	} while (s->kick_again);
	s->in_kick = 0;
	sched_check_finished(s);
}

int sched_hold(struct sched *s, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		s->hold_fd[i] = hold_open(s->o->tmpdir);
		if (s->hold_fd[i] == -1)
			return -1;
	}
	return 0;
}

void sched_check_finished(struct sched *s)
{
	int i;

	if (s->finished || !s->started || s->in_kick ||
	    order_pending(s->order) > 0 || s->ops->busy(s))
		return;
	s->finished = 1;
	if (s->ops->finish != NULL)
		s->ops->finish(s);
	for (i = 0; i < 2; i++) {
		if (s->hold_fd[i] == -1 || s->out_closed)
			continue;
		if (hold_copy(s->hold_fd[i],
			      i == 0 ? s->o->out_fd : s->o->err_fd,
			      i == 0 ? s->o->out_sink : NULL) == -1) {
			if (errno != EPIPE) /* (a reader that left: nothing) */
				report_msg(s->ev.error, s->ev.data,
					   "standard %s: %s",
					   i == 0 ? "output" : "error",
					   strerror(errno));
			s->out_closed = 1;
		}
	}
	loop_stop(s->loop);
}

void sched_start(struct sched *s)
{
	if (s->ops->start != NULL)
		s->ops->start(s);
	s->started = 1;
	sched_kick(s);
}

int sched_finished(const struct sched *s)
{
	return s->finished;
}

int sched_run(struct sched *s)
{
	sched_start(s);
	while (!s->finished)
		if (loop_run_once(s->loop) == -1)
			return -1;
	return 0;
}

void sched_close(struct sched *s)
{
	if (!s->closed) {
		s->closed = 1;
		spawn_cancel(s); /* a spawn waiting for EAGAIN: not started */
		retry_give_up(s);
		s->ops->close(s);
	}
	sched_check_finished(s);
}

void sched_terminate(struct sched *s)
{
	if (!s->terminating) {
		s->closed = s->terminating = 1;
		spawn_cancel(s);
		retry_give_up(s);
		s->ops->terminate(s);
		callback_terminate(s->cbs);
	}
	sched_check_finished(s);
}

void sched_halt_now(struct sched *s)
{
	s->halted = 1;
	sched_terminate(s);
}

void sched_check_halt(struct sched *s, const struct sched_task *t)
{
	if (s->halted ||
	    !policy_halt_reached(&s->o->halt, s->nsucceeded, s->nfailed,
				 s->total > 0 ? s->total : s->nstarted))
		return;
	s->halted = 1;
	s->halt_exit = t->failed ? t->exitval : 0;
	if (s->o->halt.when == HALT_NOW)
		sched_terminate(s);
	else
		sched_close(s);
}

void sched_set_total(struct sched *s, unsigned long long total)
{
	s->total = total;
}

unsigned long long sched_started(const struct sched *s)
{
	return s->nstarted;
}

unsigned long long sched_succeeded(const struct sched *s)
{
	return s->nsucceeded;
}

unsigned long long sched_failed(const struct sched *s)
{
	return s->nfailed;
}

unsigned sched_running(const struct sched *s)
{
	return s->nrunning;
}

unsigned long long sched_callbacks_failed(const struct sched *s)
{
	return callback_failures(s->cbs);
}

unsigned long long sched_faults(const struct sched *s)
{
	return s->nfaults;
}

unsigned long long sched_failures(const struct sched *s)
{
	return s->nfailed + s->nfaults + callback_failures(s->cbs);
}

int sched_halt_status(const struct sched *s)
{
	const struct policy_halt *h = &s->o->halt;
	unsigned long long base = s->total > 0 ? s->total : s->nstarted;

	if (h->when == HALT_NEVER)
		return -1;
	if (h->what == HALT_FAIL && h->pct > 0) /* halted or not */
		return base > 0 ? (int)(s->nfailed * 100 / base) : 0;
	if (!s->halted)
		return -1;
	if (h->what == HALT_SUCCESS)
		return 0;
	if (h->count == 1) /* fail=1, done=1: the status of that task */
		return s->halt_exit >= 0 && s->halt_exit < 256 ? s->halt_exit
							       : 1;
	return -1;
}

int sched_halted(const struct sched *s)
{
	return s->halted;
}

int sched_output_closed(const struct sched *s)
{
	return s->out_closed;
}

int sched_spawn_gave_up(const struct sched *s)
{
	return s->spawn_gave_up;
}

unsigned long long sched_task_seq(const struct sched_task *t)
{
	return t->seq;
}

unsigned sched_task_slot(const struct sched_task *t)
{
	return t->slot;
}

unsigned sched_task_tries(const struct sched_task *t)
{
	return t->tries;
}

uint64_t sched_task_start_ms(const struct sched_task *t)
{
	return t->start_wall_ms;
}

uint64_t sched_task_runtime_ms(const struct sched_task *t)
{
	return t->runtime_ms;
}

int sched_task_timed_out(const struct sched_task *t)
{
	return t->timed_out;
}

int sched_task_failed(const struct sched_task *t)
{
	return t->failed;
}

int sched_task_exitval(const struct sched_task *t)
{
	return t->exitval;
}

int sched_task_signal(const struct sched_task *t)
{
	return t->signal;
}

uint64_t sched_task_sent(const struct sched_task *t)
{
	return t->sent;
}

uint64_t sched_task_received(const struct sched_task *t)
{
	return t->received;
}

/* --- spawns failing for want of processes -------------------------- */

/* The spawn retry timer: start what can be started, the waiting spawn
 * first. */
static void spawn_retry(struct loop *l, void *data)
{
	struct sched *s = data;

	s->spawn_timer = NULL;
	sched_kick(s);
}

int sched_spawn_later(struct sched *s, unsigned others)
{
	uint64_t now = loop_now_ms();
	int saved = errno;

	if (!s->spawn_waiting) {
		s->spawn_waiting = 1;
		s->spawn_since = now;
		s->spawn_backoff = SPAWN_RETRY_MS;
	} else if (s->spawn_backoff < SPAWN_RETRY_MAX_MS) {
		s->spawn_backoff *= 2;
	}
	if (others == 0 &&
	    (s->spawn_gave_up || now - s->spawn_since > SPAWN_GIVE_UP_MS)) {
		s->spawn_gave_up = 1;
		errno = saved;
		return -1;
	}
	if (s->spawn_said++ == 0)
		report_msg(s->ev.notice, s->ev.data,
			   "cannot start more processes now (%s: %s): "
			   "waiting for running %s to end",
			   saved == EMFILE || saved == ENFILE ? "pipe" : "fork",
			   strerror(saved), s->noun);
	if (s->spawn_timer == NULL)
		s->spawn_timer = loop_timer_add(s->loop, s->spawn_backoff,
						spawn_retry, s);
	errno = saved;
	return s->spawn_timer == NULL ? -1 : 0;
}

void sched_spawn_done(struct sched *s)
{
	s->spawn_waiting = 0;
}

/* --- tries: --retries and --timeout -------------------------------- */

void sched_try_start(struct sched *s, struct sched_task *t)
{
	t->sched = s;
	t->tries++;
	t->timed_out = 0;
}

/* The try ran too long: it is timed out, and the kind ends it. */
static void try_timed_out(struct loop *l, void *data)
{
	struct sched_task *t = data;

	t->timer = NULL;
	t->timed_out = 1;
	t->sched->ops->timed_out(t->sched, t);
}

void sched_timeout_arm(struct sched *s, struct sched_task *t, uint64_t ms)
{
	t->sched = s;
	sched_timeout_stop(t);
	if (ms > 0)
		t->timer = loop_timer_add(s->loop, ms, try_timed_out, t);
}

void sched_timeout_stop(struct sched_task *t)
{
	if (t->timer != NULL)
		loop_timer_cancel(t->sched->loop, t->timer);
	t->timer = NULL;
}

uint64_t sched_timeout_ms(const struct sched *s)
{
	uint64_t v[SCHED_RUNTIMES], x;
	size_t n = s->nruntimes, i, k;

	if (s->timeout_pct == 0)
		return s->o->timeout_ms;
	if (n < 3)
		return 0;
	memcpy(v, s->runtimes, n * sizeof(v[0]));
	for (i = 1; i < n; i++) { /* insertion sort: n is small */
		x = v[i];
		for (k = i; k > 0 && v[k - 1] > x; k--)
			v[k] = v[k - 1];
		v[k] = x;
	}
	x = v[n / 2] * s->timeout_pct / 100;
	return x > 0 ? x : 1;
}

void sched_add_runtime(struct sched *s, uint64_t ms)
{
	s->runtimes[s->runtime_count++ % SCHED_RUNTIMES] = ms;
	if (s->nruntimes < SCHED_RUNTIMES)
		s->nruntimes++;
}

/* Put t last on the retry queue. */
static void retry_push(struct sched *s, struct sched_task *t)
{
	t->retry_next = NULL;
	if (s->retry_tail != NULL)
		s->retry_tail->retry_next = t;
	else
		s->retry_head = t;
	s->retry_tail = t;
}

int sched_try_again(struct sched *s, struct sched_task *t)
{
	sched_timeout_stop(t);
	if (t->tries > s->o->retries || s->closed)
		return 0;
	retry_push(s, t);
	return 1;
}

struct sched_task *sched_retry_take(struct sched *s)
{
	struct sched_task *t = s->retry_head;

	if (t == NULL)
		return NULL;
	s->retry_head = t->retry_next;
	if (s->retry_head == NULL)
		s->retry_tail = NULL;
	t->retry_next = NULL;
	return t;
}

int sched_retry_waiting(const struct sched *s)
{
	return s->retry_head != NULL;
}

void sched_retry_return(struct sched *s, struct sched_task *t)
{
	struct sched_task *last = NULL, *u;

	for (u = t; u != NULL; u = u->retry_next) {
		u->tries--;
		last = u;
	}
	if (last == NULL)
		return;
	last->retry_next = s->retry_head;
	s->retry_head = t;
	if (s->retry_tail == NULL)
		s->retry_tail = last;
}

/* The run closes: the tasks waiting to be tried again end, failed. */
static void retry_give_up(struct sched *s)
{
	struct sched_task *t;

	while ((t = sched_retry_take(s)) != NULL)
		s->ops->give_up(s, t);
}

/* --- process trees -------------------------------------------------- */

void sched_tree_init(struct sched *s, struct slot_tree *t, unsigned slot,
		     const char *tag, unsigned long long n)
{
	t->s = s;
	t->slot = slot;
	t->reaped = 0;
	t->step = 0;
	if (s->o->group > 0)
		snprintf(t->marker, sizeof(t->marker),
			 "MPRUN_JOBID=%ld.%u.%s%llu", (long)s->self,
			 s->o->group, tag, n);
	else
		snprintf(t->marker, sizeof(t->marker), "MPRUN_JOBID=%ld.%s%llu",
			 (long)s->self, tag, n);
}

/* Is anything of the tree still alive? */
int sched_tree_alive(const struct slot_tree *t)
{
	pid_t *pids = NULL;
	size_t n = 0;

	if (termtree_collect(t->reaped ? 0 : t->pid, t->pid, t->marker, &pids,
			     &n) == -1)
		return !t->reaped;
	free(pids);
	return n > 0;
}

/* Send the next signal of the termination sequence to the tree. */
static void tree_step(struct loop *l, void *data)
{
	struct slot_tree *t = data;
	const struct termseq *ts = &t->s->o->termseq;
	const struct executor *e = t->s->o->exec;
	int remote = 0;

	t->timer = NULL;
	if (t->step >= ts->n || !sched_tree_alive(t))
		return;
	if (e != NULL && e->terminate != NULL && !t->reaped)
		remote = e->terminate(e->ctx, t->pid, t->slot,
				      ts->sig[t->step]);
	if (!remote)
		termtree_signal(t->reaped ? 0 : t->pid, t->pid, t->marker,
				ts->sig[t->step]);
	t->timer = loop_timer_add(l, ts->ms[t->step], tree_step, t);
	t->step++;
}

void sched_tree_end(struct slot_tree *t)
{
	if (t->step > 0 || t->pid <= 0)
		return;
	t->s->trees_ended++;
	tree_step(t->s->loop, t);
}

unsigned long long sched_trees_ended(const struct sched *s)
{
	return s->trees_ended;
}

void sched_tree_stop(struct slot_tree *t)
{
	if (t->timer != NULL)
		loop_timer_cancel(t->s->loop, t->timer);
	t->timer = NULL;
}
