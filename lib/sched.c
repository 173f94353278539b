/* sched: one scheduler over the kinds of slot (lib/slot.h). */
#include "sched.h"

#include <errno.h>
#include <stdlib.h>

#include "callback.h"
#include "hold.h"
#include "internal.h"
#include "loop.h"
#include "queue.h"
#include "slot.h"

/* A child of ours ended: hand it to the kind. */
static int sched_reaped(void *data, pid_t pid, int status)
{
	struct sched *s = data;

	return s->ops->reaped(s, pid, status);
}

int sched_init(struct sched *s, const struct slot_ops *ops, struct loop *l,
	       enum order_policy order)
{
	s->ops = ops;
	s->loop = l;
	s->hold_fd[0] = s->hold_fd[1] = -1;
	s->order = order_new(order);
	if (s->order == NULL || loop_child_add(l, sched_reaped, s) == -1)
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
	if (s->ops != NULL)
		s->ops->destroy(s);
	order_free(s->order);
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

int sched_queue_done(const struct sched *s)
{
	return s->q == NULL || (queue_closed(s->q) && queue_len(s->q) == 0);
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
		s->hold_fd[i] = hold_open(s->tmpdir);
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
		if (hold_copy(s->hold_fd[i], i == 0 ? s->out_fd : s->err_fd,
			      i == 0 ? s->out_sink : NULL) == -1)
			s->out_closed = 1;
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
		s->ops->close(s);
	}
	sched_check_finished(s);
}

void sched_terminate(struct sched *s)
{
	if (!s->terminating) {
		s->closed = s->terminating = 1;
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

void sched_check_halt(struct sched *s)
{
	if (s->halted ||
	    !policy_halt_reached(&s->halt, s->nsucceeded, s->nfailed,
				 s->total > 0 ? s->total : s->nstarted))
		return;
	s->halted = 1;
	if (s->halt.when == HALT_NOW)
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

int sched_halted(const struct sched *s)
{
	return s->halted;
}

int sched_output_closed(const struct sched *s)
{
	return s->out_closed;
}
