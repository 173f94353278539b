/* Unit tests for lib/termtree: --termseq parsing and a real process tree. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "termtree.h"
#include "unit.h"

#define MARKER "MPRUN_JOBID=test.1"
#define SLEEP "/bin/sleep"
#define WAIT_MS 5000 /* longest wait for processes to start or die */

/* A pid the job's processes report through a pipe, tagged by role. */
struct rec {
	char tag;
	pid_t pid;
};

/* The processes of the tree test, by role. */
struct tree {
	pid_t job;	  /* root and leader of its group */
	pid_t grandchild; /* same group */
	pid_t escaped;	  /* setsid, double fork, carries MARKER */
	pid_t decoy;	  /* setsid, double fork, near-miss markers */
};

/* Milliseconds on a monotonic clock. */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep for ms milliseconds. */
static void nap(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* Report (tag, pid) on fd; in a child, so errors end it. */
static void send_rec(int fd, char tag, pid_t pid)
{
	struct rec r;

	memset(&r, 0, sizeof(r));
	r.tag = tag;
	r.pid = pid;
	if (write(fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(126);
}

/* Become "sleep 30" with environment envp (NULL: keep ours). */
static void exec_sleep(char *const envp[])
{
	char *const argv[] = {"sleep", "30", NULL};

	if (envp != NULL)
		execve(SLEEP, argv, envp);
	else
		execv(SLEEP, argv);
	_exit(127);
}

/* Start sleep in a new session through a double fork, so that it leaves
 * the job's group and tree; report its pid as tag. */
static void spawn_escaped(int fd, char tag, char *const envp[])
{
	pid_t mid, pid;

	mid = fork();
	if (mid != 0)
		return; /* left as a zombie of the job: never collected */
	pid = fork();
	if (pid == 0) {
		setsid();
		exec_sleep(envp);
	}
	if (pid == -1)
		_exit(125);
	send_rec(fd, tag, pid);
	_exit(0);
}

/* The job: its own group, a grandchild in it, two escaped processes. */
static void job_main(int fd)
{
	static char *const marked[] = {"MPRUN_TEST_FIRST=1", MARKER, NULL};
	static char *const decoy[] = {"MPRUN_JOBID=test.10", "X" MARKER,
				      "MPRUN_JOBID=test.", MARKER "0", NULL};
	pid_t pid;

	setpgid(0, 0);
	pid = fork();
	if (pid == 0)
		exec_sleep(NULL);
	send_rec(fd, 'g', pid);
	spawn_escaped(fd, 'e', marked);
	spawn_escaped(fd, 'd', decoy);
	exec_sleep(NULL);
}

/* Read records from fd until EOF (every writer exec'd or exited) into t.
 * 0, or -1 on a timeout or a failed spawn. */
static int read_tree(int fd, struct tree *t)
{
	long long end = now_ms() + WAIT_MS;
	struct pollfd pfd = {fd, POLLIN, 0};
	struct rec r;
	ssize_t got;

	for (;;) {
		if (poll(&pfd, 1, 100) == 0) {
			if (now_ms() > end)
				return -1;
			continue;
		}
		got = read(fd, &r, sizeof(r));
		if (got == 0)
			break;
		if (got != (ssize_t)sizeof(r) || r.pid <= 0)
			return -1;
		if (r.tag == 'g')
			t->grandchild = r.pid;
		else if (r.tag == 'e')
			t->escaped = r.pid;
		else if (r.tag == 'd')
			t->decoy = r.pid;
	}
	return t->grandchild > 0 && t->escaped > 0 && t->decoy > 0 ? 0 : -1;
}

/* Fork the job and wait until all its processes are started. 0 or -1. */
static int start_tree(struct tree *t)
{
	int fds[2];

	memset(t, 0, sizeof(*t));
	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	t->job = fork();
	if (t->job == 0) {
		close(fds[0]);
		job_main(fds[1]);
	}
	close(fds[1]);
	if (t->job == -1) {
		close(fds[0]);
		return -1;
	}
	setpgid(t->job, t->job); /* no race with the job's own setpgid */
	if (read_tree(fds[0], t) == -1) {
		close(fds[0]);
		return -1;
	}
	close(fds[0]);
	return 0;
}

/* 1 if pids (n of them) are exactly the non-zero pids of want (nwant). */
static int same_pids(const pid_t *pids, size_t n, const pid_t *want,
		     size_t nwant)
{
	size_t i, j, k = 0;

	for (j = 0; j < nwant; j++) {
		if (want[j] <= 0)
			continue;
		k++;
		for (i = 0; i < n && pids[i] != want[j]; i++)
			;
		if (i == n)
			return 0;
	}
	return n == k;
}

/* Print pids as a TAP comment. */
static void show_pids(const char *what, const pid_t *pids, size_t n)
{
	size_t i;

	printf("# %s:", what);
	for (i = 0; i < n; i++)
		printf(" %d", (int)pids[i]);
	printf("\n");
}

/* termtree_collect until it finds exactly want, retrying while processes
 * start, exec or die. 1 if it did. */
static int collect_is(pid_t root, pid_t pgid, const char *marker,
		      const pid_t *want, size_t nwant)
{
	long long end = now_ms() + WAIT_MS;
	pid_t *pids = NULL;
	size_t n = 0;
	int ok;

	for (;;) {
		if (termtree_collect(root, pgid, marker, &pids, &n) == -1)
			return 0;
		ok = same_pids(pids, n, want, nwant);
		if (ok || now_ms() > end)
			break;
		free(pids);
		pids = NULL;
		nap(10);
	}
	if (!ok)
		show_pids("collected", pids, n);
	free(pids);
	return ok;
}

/* Like collect_is, for termtree_descendants. */
static int descendants_are(const pid_t *want, size_t nwant)
{
	long long end = now_ms() + WAIT_MS;
	pid_t *pids = NULL;
	size_t n = 0;
	int ok;

	for (;;) {
		if (termtree_descendants(&pids, &n) == -1)
			return 0;
		ok = same_pids(pids, n, want, nwant);
		if (ok || now_ms() > end)
			break;
		free(pids);
		pids = NULL;
		nap(10);
	}
	if (!ok)
		show_pids("descendants", pids, n);
	free(pids);
	return ok;
}

/* Reap every child until none is left; the number reaped, or -1 if some
 * are still alive after WAIT_MS. */
static int reap_all(void)
{
	long long end = now_ms() + WAIT_MS;
	int status, reaped = 0;
	pid_t pid;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid > 0) {
			reaped++;
		} else if (pid == -1 && errno == ECHILD) {
			return reaped;
		} else if (pid == -1 && errno != EINTR) {
			return -1;
		} else if (now_ms() > end) {
			return -1;
		} else {
			nap(10);
		}
	}
}

/* Kill every descendant left (we are their subreaper) and reap them. */
static void kill_everything(const struct tree *t)
{
	pid_t *pids = NULL;
	size_t n = 0, i;

	if (t->job > 0)
		kill(-t->job, SIGKILL);
	if (termtree_descendants(&pids, &n) == 0)
		for (i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
	free(pids);
	reap_all();
}

/* The job's tree is found by each of its three links, then killed. */
static void test_tree(void)
{
	struct tree t;
	pid_t *pids = NULL;
	size_t n = 1;

	CHECK(termtree_become_subreaper() == 0);
	CHECK(termtree_descendants(&pids, &n) == 0 && n == 0);
	free(pids);
	if (start_tree(&t) == -1) {
		FAIL("start_tree");
		kill_everything(&t);
		return;
	}
	CHECK(t.job > 0 && t.grandchild > 0 && t.escaped > 0 && t.decoy > 0);
	{
		pid_t all[] = {t.job, t.grandchild, t.escaped};
		pid_t group[] = {t.job, t.grandchild};
		pid_t marked[] = {t.escaped};
		pid_t mine[] = {t.job, t.grandchild, t.escaped, t.decoy};

		CHECK(collect_is(t.job, t.job, MARKER, all, 3));
		CHECK(collect_is(t.job, 0, NULL, group, 2));
		CHECK(collect_is(0, t.job, NULL, group, 2));
		CHECK(collect_is(0, 0, MARKER, marked, 1));
		CHECK(collect_is(0, 0, "MPRUN_JOBID=test", NULL, 0));
		CHECK(collect_is(0, 0, "MPRUN_JOBID=test.", &t.decoy, 1));
		CHECK(collect_is(0, 0, "MPRUN_TEST_FIRST=1", marked, 1));
		CHECK(collect_is(0, 0, "", NULL, 0));
		CHECK(collect_is(0, 0, NULL, NULL, 0));
		CHECK(descendants_are(mine, 4));
		CHECK_INT(termtree_signal(t.job, t.job, MARKER, SIGKILL), 4);
		CHECK(collect_is(t.job, t.job, MARKER, NULL, 0));
		CHECK(descendants_are(&t.decoy, 1));
	}
	CHECK(kill(t.decoy, SIGKILL) == 0);
	/* job, grandchild, the two middle zombies, escaped, decoy */
	CHECK_INT(reap_all(), 6);
	CHECK(descendants_are(NULL, 0));
	CHECK_INT(termtree_signal(t.job, t.job, MARKER, SIGKILL), 0);
	kill_everything(&t);
}

/* Start a parent and a child whose name has spaces and parentheses. */
static pid_t start_odd_names(void)
{
	int fds[2];
	char c;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		prctl(PR_SET_NAME, "a) (b c) 9 ");
		if (fork() == -1)
			_exit(1);
		close(fds[1]); /* EOF for the parent once both closed it */
		for (;;)
			pause();
	}
	close(fds[1]);
	while (pid > 0 && read(fds[0], &c, 1) > 0)
		;
	close(fds[0]);
	return pid;
}

/* /proc/PID/stat is parsed from the last ')'. */
static void test_odd_names(void)
{
	struct tree t = {0};
	pid_t *pids = NULL, parent;
	size_t n = 0;

	parent = start_odd_names();
	CHECK(parent > 0);
	if (parent <= 0)
		return;
	CHECK(termtree_collect(parent, 0, NULL, &pids, &n) == 0 && n == 2 &&
	      (pids[0] == parent || pids[1] == parent));
	free(pids);
	CHECK_INT(termtree_signal(parent, 0, NULL, SIGKILL), 2);
	CHECK_INT(reap_all(), 2);
	kill_everything(&t);
}

/* Guards against signalling the whole system or ourselves. */
static void test_guards(void)
{
	pid_t *pids = NULL;
	size_t n = 1;

	errno = 0;
	CHECK(termtree_collect(1, 0, NULL, &pids, &n) == -1 && errno == EINVAL);
	errno = 0;
	CHECK(termtree_collect(0, 1, NULL, &pids, &n) == -1 && errno == EINVAL);
	errno = 0;
	CHECK(termtree_signal(0, 1, NULL, 0) == -1 && errno == EINVAL);
	CHECK(termtree_collect(0, getpgrp(), NULL, &pids, &n) == 0 && n == 0);
	free(pids);
	CHECK(termtree_collect(getpid(), 0, NULL, &pids, &n) == 0 && n == 0);
	free(pids);
	CHECK_INT(termtree_signal(0, getpgrp(), NULL, 0), 0);
}

/* termseq_parse(s) succeeds with the n signals and waits given. */
static int termseq_is(const char *s, size_t n, const int *sig,
		      const unsigned *ms)
{
	struct termseq ts;
	char err[128] = "";
	size_t i;

	if (termseq_parse(s, &ts, err, sizeof(err)) == -1 || ts.n != n) {
		printf("# %s: %s\n", s, err);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (ts.sig[i] != sig[i] || ts.ms[i] != ms[i])
			return 0;
	return 1;
}

/* termseq_parse(s) fails with message want, leaving ts alone. */
static void termseq_fails(const char *s, const char *want)
{
	struct termseq ts, before;
	char err[128] = "";

	termseq_default(&ts);
	before = ts;
	errno = 0;
	CHECK(termseq_parse(s, &ts, err, sizeof(err)) == -1 && errno == EINVAL);
	CHECK(memcmp(&ts, &before, sizeof(ts)) == 0);
	CHECK_STR(err, want);
}

/* The default sequence and good ones. */
static void test_termseq_good(void)
{
	static const int dsig[] = {SIGTERM, SIGTERM, SIGTERM, SIGKILL};
	static const unsigned dms[] = {200, 100, 50, 25};
	static const int sig2[] = {SIGINT, SIGKILL};
	static const unsigned ms2[] = {1000, 0};
	static const int sig1[] = {SIGKILL};
	static const unsigned ms1[] = {0};
	int sig16[TERMSEQ_MAX];
	unsigned ms16[TERMSEQ_MAX];
	struct termseq ts;
	char s[256] = "";
	size_t i;

	termseq_default(&ts);
	CHECK_INT(ts.n, 4);
	CHECK(memcmp(ts.sig, dsig, sizeof(dsig)) == 0);
	CHECK(memcmp(ts.ms, dms, sizeof(dms)) == 0);
	CHECK(termseq_is("TERM,200,TERM,100,TERM,50,KILL,25", 4, dsig, dms));
	CHECK(termseq_is("SIGTERM,200,term,100,15,50,sigkill,25", 4, dsig,
			 dms));
	CHECK(termseq_is("SIGINT,1000,9", 2, sig2, ms2));
	CHECK(termseq_is("INT,1000,KILL,0", 2, sig2, ms2));
	CHECK(termseq_is("KILL", 1, sig1, ms1));
	CHECK(termseq_is("KILL,0", 1, sig1, ms1));
	for (i = 0; i < TERMSEQ_MAX; i++) {
		sig16[i] = SIGUSR1;
		ms16[i] = (unsigned)i;
		snprintf(s + strlen(s), sizeof(s) - strlen(s), "%sUSR1,%zu",
			 i > 0 ? "," : "", i);
	}
	CHECK(termseq_is(s, TERMSEQ_MAX, sig16, ms16));
	CHECK(termseq_parse("TERM,4294967295", &ts, NULL, 0) == 0 &&
	      ts.ms[0] == 4294967295U);
}

/* Bad sequences name the bad element. */
static void test_termseq_bad(void)
{
	char s[256] = "", err[8];
	struct termseq ts;
	size_t i;

	termseq_fails("FOO,100", "--termseq: 'FOO' is not a signal");
	termseq_fails("TERM,100,FOO", "--termseq: 'FOO' is not a signal");
	termseq_fails("TERM,x", "--termseq: 'x' is not a number of "
				"milliseconds");
	termseq_fails("TERM,100,KILL,1s",
		      "--termseq: '1s' is not a number of milliseconds");
	termseq_fails("TERM,-1", "--termseq: '-1' is not a number of "
				 "milliseconds");
	termseq_fails("TERM,1.5", "--termseq: '1.5' is not a number of "
				  "milliseconds");
	termseq_fails("TERM,4294967296", "--termseq: '4294967296' is not a "
					 "number of milliseconds");
	termseq_fails("TERM, 100", "--termseq: ' 100' is not a number of "
				   "milliseconds");
	termseq_fails("TERM,,KILL", "--termseq: '' is not a number of "
				    "milliseconds");
	termseq_fails("TERM,100,", "--termseq: '' is not a signal");
	termseq_fails(",100", "--termseq: '' is not a signal");
	termseq_fails("0,100", "--termseq: '0' is not a signal");
	termseq_fails("", "--termseq: the sequence is empty");
	termseq_fails("TERMTERMTERMTERMTERMTERMTERMTERMTERMTERMTERMTERMTERMTERM"
		      "TERMTERMTERM",
		      "--termseq: 'TERMTERMTERMTERMTERMTERMTERMTERMTERMTERMT"
		      "ERMTERMTERMTERMTERMTERMTERM' is not a signal");
	for (i = 0; i <= TERMSEQ_MAX; i++)
		snprintf(s + strlen(s), sizeof(s) - strlen(s), "%sTERM,1",
			 i > 0 ? "," : "");
	termseq_fails(s, "--termseq: more than 16 signals");
	/* A short or missing error buffer is no problem. */
	CHECK(termseq_parse("FOO", &ts, err, sizeof(err)) == -1 &&
	      strcmp(err, "--terms") == 0);
	CHECK(termseq_parse("FOO", &ts, err, 1) == -1 && err[0] == '\0');
	CHECK(termseq_parse("FOO", &ts, NULL, 0) == -1);
}

int main(void)
{
	test_termseq_good();
	test_termseq_bad();
	test_guards();
	test_tree();
	test_odd_names();
	return UNIT_DONE();
}
