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

struct watch {
	int fd;
	loop_fd_fn fn;
	void *data;
	struct watch *next;
};

struct loop_timer {
	uint64_t due;
	unsigned long pass;  /* the loop's timer pass when it was added */
	loop_timer_fn fn;
	void *data;
	struct loop_timer *next;
};

struct loop {
	int epfd;
	int sigfd;
	sigset_t sigs;
	sigset_t orig_mask;
	loop_signal_fn sigfn[_NSIG];
	void *sigdata[_NSIG];
	struct watch *watches;
	struct loop_timer *timers; /* sorted by due time */
	unsigned long timer_pass;  /* runs of loop_run_timers() so far */
	struct reaper {
		loop_child_fn fn;
		void *data;
	} *reapers;
	size_t nreapers;
	int stopped;
};

/* Marker for the signalfd in epoll data. */
static struct watch sig_watch;

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
	struct watch *w, *wn;
	struct loop_timer *t, *tn;

	if (l == NULL)
		return;
	for (w = l->watches; w != NULL; w = wn) {
		wn = w->next;
		free(w);
	}
	for (t = l->timers; t != NULL; t = tn) {
		tn = t->next;
		free(t);
	}
	free(l->reapers);
	close_keep_errno(l->epfd);
	close_keep_errno(l->sigfd);
	sigprocmask(SIG_SETMASK, &l->orig_mask, NULL);
	free(l);
}

/* Find the watch record of fd, and optionally the link pointing to it. */
static struct watch *watch_find(struct loop *l, int fd, struct watch ***link)
{
	struct watch **pp;

	for (pp = &l->watches; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->fd == fd) {
			if (link != NULL)
				*link = pp;
			return *pp;
		}
	}
	return NULL;
}

int loop_fd_add(struct loop *l, int fd, uint32_t events, loop_fd_fn fn,
		void *data)
{
	struct epoll_event ev = {.events = events};
	struct watch *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return -1;
	w->fd = fd;
	w->fn = fn;
	w->data = data;
	ev.data.ptr = w;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		int saved = errno;

		free(w);
		errno = saved;
		return -1;
	}
	w->next = l->watches;
	l->watches = w;
	return 0;
}

int loop_fd_mod(struct loop *l, int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events};

	ev.data.ptr = watch_find(l, fd, NULL);
	if (ev.data.ptr == NULL) {
		errno = ENOENT;
		return -1;
	}
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
}

void loop_fd_del(struct loop *l, int fd)
{
	struct watch **link, *w = watch_find(l, fd, &link);

	if (w == NULL)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	*link = w->next;
	/* Events for w may still be pending in this round: mark it dead. */
	w->fn = NULL;
	w->next = NULL;
	free(w);
}

struct loop_timer *loop_timer_add(struct loop *l, uint64_t ms,
				  loop_timer_fn fn, void *data)
{
	struct loop_timer *t = calloc(1, sizeof(*t)), **pp;

	if (t == NULL)
		return NULL;
	t->due = loop_now_ms() + ms;
	t->pass = l->timer_pass;
	t->fn = fn;
	t->data = data;
	for (pp = &l->timers; *pp != NULL && (*pp)->due <= t->due;
	     pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	return t;
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	struct loop_timer **pp;

	for (pp = &l->timers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			free(t);
			return;
		}
	}
}

int loop_signal_add(struct loop *l, int sig, loop_signal_fn fn, void *data)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &sig_watch};
	int fd;

	sigaddset(&l->sigs, sig);
	if (sigprocmask(SIG_BLOCK, &l->sigs, NULL) == -1)
		return -1;
	fd = signalfd(l->sigfd, &l->sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd == -1)
		return -1;
	if (l->sigfd == -1) {
		l->sigfd = fd;
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
	while (l->timers != NULL && l->timers->due <= now &&
	       l->timers->pass != l->timer_pass) {
		t = l->timers;
		l->timers = t->next;
		t->fn(l, t->data);
		free(t);
	}
}

/* Milliseconds until the next timer, -1 if none. */
static int loop_timeout(struct loop *l)
{
	uint64_t now;

	if (l->timers == NULL)
		return -1;
	now = loop_now_ms();
	if (l->timers->due <= now)
		return 0;
	return l->timers->due - now > 60000 ? 60000
					    : (int)(l->timers->due - now);
}

/* Is w still a live watch? (it may have been removed by a callback) */
static int watch_alive(struct loop *l, struct watch *w)
{
	struct watch *p;

	for (p = l->watches; p != NULL; p = p->next)
		if (p == w)
			return 1;
	return 0;
}

int loop_run_once(struct loop *l)
{
	struct epoll_event ev[64];
	int i, n;

	n = epoll_wait(l->epfd, ev, (int)ARRAY_LEN(ev), loop_timeout(l));
	if (n == -1 && errno != EINTR)
		return -1;
	for (i = 0; i < n; i++) {
		struct watch *w = ev[i].data.ptr;

		if (w == &sig_watch) {
			loop_read_signals(l);
			continue;
		}
		if (!watch_alive(l, w))
			continue;
		w->fn(l, w->fd, ev[i].events, w->data);
	}
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
