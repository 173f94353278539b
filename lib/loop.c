/* loop: epoll, timers and a signalfd in one event loop. */
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

/* The watch of one fd, in an array indexed by fd. Its generation, kept in
 * the epoll data beside the fd, tells an event meant for a watch since
 * removed from one for a new watch of the same fd number. */
struct watch {
	loop_fd_fn fn; /* NULL: fd not watched */
	void *data;
	uint32_t gen;
};

/* Generation 0 is no watch's: it marks the signalfd in epoll data. */
#define SIGNAL_GEN 0

struct loop_timer {
	uint64_t due;
	uint64_t serial;    /* order of adding: equal due times run FIFO */
	unsigned long pass; /* the loop's timer pass when it was added */
	size_t idx;         /* place in the heap; NO_IDX once out of it */
	loop_timer_fn fn;
	void *data;
};

#define NO_IDX ((size_t)-1)

struct loop {
	int epfd;
	int sigfd;
	sigset_t sigs;
	sigset_t orig_mask;
	loop_signal_fn sigfn[_NSIG];
	void *sigdata[_NSIG];
	struct watch *watches; /* indexed by fd */
	size_t nwatches;       /* length of watches */
	uint32_t watch_gen;    /* generation of the last watch added */
	struct loop_timer **heap; /* min-heap on (due, serial) */
	size_t ntimers, heapcap;
	uint64_t timer_serial;    /* timers added so far */
	unsigned long timer_pass; /* runs of loop_run_timers() so far */
	struct reaper {
		loop_child_fn fn;
		void *data;
	} *reapers;
	size_t nreapers;
	int stopped;
};

uint64_t loop_now_ms(void)
{
	return clock_now_ms();
}

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->sigfd = -1;
	sigemptyset(&l->sigs);
	sigprocmask(SIG_SETMASK, NULL, &l->orig_mask);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd == -1)
		goto fail;
	return l;
fail:
	free(l);
	return NULL;
}

void loop_free(struct loop *l)
{
	size_t i;

	if (l == NULL)
		return;
	free(l->watches);
	for (i = 0; i < l->ntimers; i++)
		free(l->heap[i]);
	free(l->heap);
	free(l->reapers);
	close_keep_errno(l->epfd);
	close_keep_errno(l->sigfd);
	sigprocmask(SIG_SETMASK, &l->orig_mask, NULL);
	free(l);
}

/* The epoll data of a watch: its fd and its generation. */
static uint64_t watch_key(int fd, uint32_t gen)
{
	return (uint64_t)gen << 32 | (uint32_t)fd;
}

/* The watch of fd, or NULL if fd is not watched. */
static struct watch *watch_get(struct loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->nwatches ||
	    l->watches[fd].fn == NULL)
		return NULL;
	return &l->watches[fd];
}

/* Make room in the watch array for fd. 0 or -1/errno. */
static int watch_reserve(struct loop *l, int fd)
{
	size_t n = l->nwatches > 0 ? l->nwatches : 16;
	struct watch *w;

	if ((size_t)fd < l->nwatches)
		return 0;
	while (n <= (size_t)fd)
		n *= 2;
	w = realloc(l->watches, n * sizeof(*w));
	if (w == NULL)
		return -1;
	memset(w + l->nwatches, 0, (n - l->nwatches) * sizeof(*w));
	l->watches = w;
	l->nwatches = n;
	return 0;
}

/* The next watch generation, never SIGNAL_GEN. */
static uint32_t watch_next_gen(struct loop *l)
{
	if (++l->watch_gen == SIGNAL_GEN)
		l->watch_gen++;
	return l->watch_gen;
}

int loop_fd_add(struct loop *l, int fd, uint32_t events, loop_fd_fn fn,
		void *data)
{
	struct epoll_event ev = {.events = events};
	uint32_t gen;

	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (watch_reserve(l, fd) == -1)
		return -1;
	gen = watch_next_gen(l);
	ev.data.u64 = watch_key(fd, gen);
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
		return -1;
	l->watches[fd] = (struct watch){.fn = fn, .data = data, .gen = gen};
	return 0;
}

int loop_fd_mod(struct loop *l, int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events};
	struct watch *w = watch_get(l, fd);

	if (w == NULL) {
		errno = ENOENT;
		return -1;
	}
	ev.data.u64 = watch_key(fd, w->gen);
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
}

void loop_fd_del(struct loop *l, int fd)
{
	struct watch *w = watch_get(l, fd);

	if (w == NULL)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	/* Events for it may still be pending in this batch: its generation
	 * is no longer any watch's, so they are dropped. */
	*w = (struct watch){0};
}

/* Is timer a due before timer b? Equal due times: the first added. */
static int timer_before(const struct loop_timer *a, const struct loop_timer *b)
{
	return a->due != b->due ? a->due < b->due : a->serial < b->serial;
}

/* Put timer t at place i of the heap. */
static void heap_set(struct loop *l, size_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->idx = i;
}

/* Move the timer at i up while it is due before its parent. */
static void heap_up(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	while (i > 0 && timer_before(t, l->heap[(i - 1) / 2])) {
		heap_set(l, i, l->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(l, i, t);
}

/* Move the timer at i down while a child is due before it. */
static void heap_down(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];
	size_t c;

	while ((c = 2 * i + 1) < l->ntimers) {
		if (c + 1 < l->ntimers &&
		    timer_before(l->heap[c + 1], l->heap[c]))
			c++;
		if (!timer_before(l->heap[c], t))
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

/* Take timer t out of the heap (it is not freed). */
static void heap_remove(struct loop *l, struct loop_timer *t)
{
	size_t i = t->idx;
	struct loop_timer *last = l->heap[--l->ntimers];

	t->idx = NO_IDX;
	if (last == t)
		return;
	heap_set(l, i, last);
	heap_up(l, i);
	heap_down(l, last->idx);
}

/* Make room in the heap for one more timer. 0 or -1/errno. */
static int heap_reserve(struct loop *l)
{
	size_t n = l->heapcap > 0 ? 2 * l->heapcap : 16;
	struct loop_timer **h;

	if (l->ntimers < l->heapcap)
		return 0;
	h = realloc(l->heap, n * sizeof(*h));
	if (h == NULL)
		return -1;
	l->heap = h;
	l->heapcap = n;
	return 0;
}

struct loop_timer *loop_timer_add(struct loop *l, uint64_t ms,
				  loop_timer_fn fn, void *data)
{
	struct loop_timer *t;

	if (heap_reserve(l) == -1)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->due = loop_now_ms() + ms;
	t->serial = l->timer_serial++;
	t->pass = l->timer_pass;
	t->fn = fn;
	t->data = data;
	heap_set(l, l->ntimers++, t);
	heap_up(l, t->idx);
	return t;
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	/* A timer running now is out of the heap: it is freed after it ran. */
	if (t == NULL || t->idx == NO_IDX)
		return;
	heap_remove(l, t);
	free(t);
}

void loop_timers_delay(struct loop *l, uint64_t ms)
{
	size_t i;

	/* all move alike: the heap's order stands */
	for (i = 0; i < l->ntimers; i++)
		l->heap[i]->due += ms;
}

int loop_signal_add(struct loop *l, int sig, loop_signal_fn fn, void *data)
{
	struct epoll_event ev = {.events = EPOLLIN};
	int fd;

	sigaddset(&l->sigs, sig);
	if (sigprocmask(SIG_BLOCK, &l->sigs, NULL) == -1)
		return -1;
	fd = signalfd(l->sigfd, &l->sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd == -1)
		return -1;
	if (l->sigfd == -1) {
		l->sigfd = fd;
		ev.data.u64 = watch_key(fd, SIGNAL_GEN);
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
			return -1;
	}
	l->sigfn[sig] = fn;
	l->sigdata[sig] = data;
	return 0;
}

/* SIGCHLD: reap every child that ended, offer each to the reapers. */
static void loop_sigchld(struct loop *l, const struct signalfd_siginfo *si,
			 void *data)
{
	size_t i;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (i = 0; i < l->nreapers; i++)
			if (l->reapers[i].fn(l->reapers[i].data, pid, status))
				break;
}

int loop_child_add(struct loop *l, loop_child_fn fn, void *data)
{
	struct reaper *r;

	if (l->nreapers == 0 &&
	    loop_signal_add(l, SIGCHLD, loop_sigchld, NULL) == -1)
		return -1;
	r = realloc(l->reapers, (l->nreapers + 1) * sizeof(*r));
	if (r == NULL)
		return -1;
	l->reapers = r;
	r[l->nreapers].fn = fn;
	r[l->nreapers].data = data;
	l->nreapers++;
	return 0;
}

void loop_child_del(struct loop *l, loop_child_fn fn, void *data)
{
	size_t i;

	for (i = 0; i < l->nreapers; i++) {
		if (l->reapers[i].fn == fn && l->reapers[i].data == data) {
			memmove(&l->reapers[i], &l->reapers[i + 1],
				(l->nreapers - i - 1) * sizeof(*l->reapers));
			l->nreapers--;
			return;
		}
	}
}

const sigset_t *loop_orig_sigmask(const struct loop *l)
{
	return &l->orig_mask;
}

/* Drain the signalfd, calling each signal's callback. */
static void loop_read_signals(struct loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo < _NSIG && l->sigfn[si.ssi_signo] != NULL)
			l->sigfn[si.ssi_signo](l, &si, l->sigdata[si.ssi_signo]);
	}
}

/* Run the timers that are due. One added by a timer run here waits for the
 * next turn, even if due at once: a timer that re-adds itself with 0 ms
 * runs once a turn, and the loop keeps turning. (It sorts after every
 * timer due no later, so it stops the run.) */
static void loop_run_timers(struct loop *l)
{
	uint64_t now = loop_now_ms();
	struct loop_timer *t;

	l->timer_pass++;
	while (l->ntimers > 0 && l->heap[0]->due <= now &&
	       l->heap[0]->pass != l->timer_pass) {
		t = l->heap[0];
		heap_remove(l, t);
		t->fn(l, t->data);
		free(t);
	}
}

/* Milliseconds until the next timer, -1 if none. */
static int loop_timeout(struct loop *l)
{
	uint64_t now, due;

	if (l->ntimers == 0)
		return -1;
	now = loop_now_ms();
	due = l->heap[0]->due;
	if (due <= now)
		return 0;
	return due - now > 60000 ? 60000 : (int)(due - now);
}

/* Run the callback of one epoll event, unless its watch is gone: removed,
 * or removed and its fd number watched anew, in this batch. */
static void loop_dispatch(struct loop *l, const struct epoll_event *ev)
{
	int fd = (int)(uint32_t)ev->data.u64;
	uint32_t gen = (uint32_t)(ev->data.u64 >> 32);
	struct watch *w;

	if (gen == SIGNAL_GEN) {
		loop_read_signals(l);
		return;
	}
	w = watch_get(l, fd);
	if (w == NULL || w->gen != gen)
		return;
	w->fn(l, fd, ev->events, w->data);
}

int loop_run_once(struct loop *l)
{
	struct epoll_event ev[64];
	int i, n;

	n = epoll_wait(l->epfd, ev, (int)ARRAY_LEN(ev), loop_timeout(l));
	if (n == -1 && errno != EINTR)
		return -1;
	/* Interrupted (SIGSTOP then SIGCONT, say): the events that came
	 * meanwhile (a job that ended) go before the timers that ran out
	 * (its --timeout): the next round takes them first. */
	if (n == -1)
		return 0;
	for (i = 0; i < n; i++)
		loop_dispatch(l, &ev[i]);
	loop_run_timers(l);
	return 0;
}

int loop_run(struct loop *l)
{
	l->stopped = 0;
	while (!l->stopped)
		if (loop_run_once(l) == -1)
			return -1;
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stopped = 1;
}
