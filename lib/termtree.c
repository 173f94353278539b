/* termtree: find and signal the whole process tree of a job from /proc. */
#include "termtree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "parse.h"
#include "internal.h"

/* One live process as /proc/PID/stat shows it. */
struct proc {
	pid_t pid, ppid, pgrp;
};

/* A snapshot of the live processes, sorted by pid. */
struct proctab {
	struct proc *v;
	size_t n, cap;
};

/* Have orphaned descendants re-parented to us rather than to init. */
int termtree_become_subreaper(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1 ? -1 : 0;
}

/* read() until buf is full or EOF; bytes read or -1/errno. */
static ssize_t read_full(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t r;

	while (got < len) {
		r = read(fd, buf + got, len - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* The pid a /proc entry name stands for, or -1 if it is not a number. */
static pid_t proc_dir_pid(const char *name)
{
	long long v;

	if (name[0] == '-' || parse_number(name, 1, INT_MAX, &v) == -1)
		return -1;
	return (pid_t)v;
}

/* 1 if a /proc read failed with e because the process is gone or hidden
 * from us (hidepid), which is no error for a scan. */
static int proc_gone(int e)
{
	return e == ENOENT || e == ESRCH || e == EACCES || e == EPERM;
}

/* Read state, ppid and pgrp of pid into p. 1 if live, 0 if gone or a zombie,
 * -1/errno on another error. */
static int proc_read_stat(pid_t pid, struct proc *p)
{
	char path[64], buf[1024], state, *rparen;
	int fd, ppid, pgrp;
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return proc_gone(errno) ? 0 : -1;
	len = read_full(fd, buf, sizeof(buf) - 1);
	close_keep_errno(fd);
	if (len == -1)
		return proc_gone(errno) ? 0 : -1;
	buf[len] = '\0';
	/* "pid (comm) state ppid pgrp ...": comm may hold spaces and ')'. */
	rparen = strrchr(buf, ')');
	if (rparen == NULL ||
	    sscanf(rparen + 1, " %c %d %d", &state, &ppid, &pgrp) != 3)
		return 0;
	if (state == 'Z' || state == 'X' || state == 'x')
		return 0;
	*p = (struct proc){pid, (pid_t)ppid, (pid_t)pgrp};
	return 1;
}

/* Append p to t. 0 or -1/ENOMEM. */
static int proctab_add(struct proctab *t, const struct proc *p)
{
	struct proc *v;
	size_t cap;

	if (t->n == t->cap) {
		cap = t->cap == 0 ? 256 : t->cap * 2;
		v = realloc(t->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = *p;
	return 0;
}

/* Order of struct proc by pid, for qsort and bsearch. */
static int proc_cmp(const void *a, const void *b)
{
	pid_t x = ((const struct proc *)a)->pid;
	pid_t y = ((const struct proc *)b)->pid;

	return (x > y) - (x < y);
}

/* Fill t with every live process. 0 or -1/errno (t is then freed). */
static int proctab_load(struct proctab *t)
{
	struct dirent *de;
	struct proc p;
	DIR *dir;
	pid_t pid;
	int r = -1, saved;

	*t = (struct proctab){NULL, 0, 0};
	dir = opendir("/proc");
	if (dir == NULL)
		return -1;
	for (;;) {
		errno = 0; /* readdir's end and error differ only in errno */
		de = readdir(dir);
		if (de == NULL)
			break;
		pid = proc_dir_pid(de->d_name);
		if (pid == -1)
			continue;
		r = proc_read_stat(pid, &p);
		if (r == -1 || (r == 1 && proctab_add(t, &p) == -1)) {
			r = -1;
			goto out;
		}
	}
	r = errno == 0 ? 0 : -1;
	qsort(t->v, t->n, sizeof(*t->v), proc_cmp);
out:
	saved = errno;
	closedir(dir);
	if (r == -1) {
		free(t->v);
		*t = (struct proctab){NULL, 0, 0};
	}
	errno = saved;
	return r;
}

/* The entry of pid in t, or NULL. */
static const struct proc *proctab_find(const struct proctab *t, pid_t pid)
{
	struct proc key = {pid, 0, 0};

	if (t->n == 0)
		return NULL;
	return bsearch(&key, t->v, t->n, sizeof(*t->v), proc_cmp);
}

/* 1 if p descends (through live parents) from ancestor, p itself excluded. */
static int proc_descends(const struct proctab *t, const struct proc *p,
			 pid_t ancestor)
{
	size_t steps;

	/* At most t->n steps: a ppid cycle in a torn snapshot cannot loop. */
	for (steps = 0; p != NULL && steps <= t->n; steps++) {
		if (p->ppid == ancestor)
			return 1;
		if (p->ppid <= 0)
			return 0;
		p = proctab_find(t, p->ppid);
	}
	return 0;
}

/* An exact environment entry looked for as /proc/PID/environ streams by. */
struct env_match {
	const char *want;
	size_t len;
	size_t pos; /* bytes of want matched so far in the current entry */
	int same;   /* the current entry still matches want so far */
};

/* Feed n bytes of NUL-separated entries; 1 once an entry equals want. */
static int env_match_feed(struct env_match *m, const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (buf[i] == '\0') {
			if (m->same && m->pos == m->len)
				return 1;
			m->pos = 0;
			m->same = 1;
		} else if (m->same && buf[i] == m->want[m->pos]) {
			m->pos++; /* want[len] is NUL: never matches here */
		} else {
			m->same = 0;
		}
	}
	return 0;
}

/* 1 if /proc/PID/environ holds the exact entry marker, else 0. */
static int proc_has_env(pid_t pid, const char *marker)
{
	struct env_match m = {marker, strlen(marker), 0, 1};
	char path[64], buf[4096];
	int fd, found = 0;
	ssize_t r;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return 0;
	while (!found) {
		r = read_full(fd, buf, sizeof(buf));
		if (r <= 0)
			break;
		found = env_match_feed(&m, buf, (size_t)r);
	}
	/* The last entry may lack its NUL. */
	if (!found && m.same && m.pos == m.len && m.len > 0)
		found = 1;
	close_keep_errno(fd);
	return found;
}

/* 1 if p belongs to the job's tree (see termtree_collect). */
static int proc_in_job(const struct proctab *t, const struct proc *p,
		       pid_t self, pid_t root, pid_t pgid, const char *marker)
{
	if (p->pid == self)
		return 0;
	if (root > 0 && (p->pid == root || proc_descends(t, p, root)))
		return 1;
	if (pgid > 0 && p->pgrp == pgid)
		return 1;
	return marker != NULL && marker[0] != '\0' &&
	       proc_descends(t, p, self) && proc_has_env(p->pid, marker);
}

/* The pids of t's entries that pass proc_in_job (or all descendants of the
 * caller when all is set) into *pids, *n. 0 or -1/errno. */
static int proctab_select(const struct proctab *t, int all, pid_t root,
			  pid_t pgid, const char *marker, pid_t **pids,
			  size_t *n)
{
	pid_t self = getpid();
	size_t i, k = 0;
	pid_t *v;
	int in;

	/* One more than needed, so that malloc never sees 0. */
	v = malloc((t->n + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	for (i = 0; i < t->n; i++) {
		if (all)
			in = proc_descends(t, &t->v[i], self);
		else
			in = proc_in_job(t, &t->v[i], self, root, pgid,
					 marker);
		if (in)
			v[k++] = t->v[i].pid;
	}
	*pids = v;
	*n = k;
	return 0;
}

/* The job's process group, or 0 when there is none: our own group is never
 * a job's (signalling it would hit mprun and its parent shell). */
static pid_t job_pgid(pid_t pgid)
{
	return pgid > 0 && pgid != getpgrp() ? pgid : 0;
}

/* Snapshot /proc and select from it (see proctab_select). */
static int termtree_find(int all, pid_t root, pid_t pgid, const char *marker,
			 pid_t **pids, size_t *n)
{
	struct proctab t;
	int r, saved;

	/* pid 1 as root or group would stand for the whole system. */
	if (root == 1 || pgid == 1) {
		errno = EINVAL;
		return -1;
	}
	pgid = job_pgid(pgid);
	if (proctab_load(&t) == -1)
		return -1;
	r = proctab_select(&t, all, root, pgid, marker, pids, n);
	saved = errno;
	free(t.v);
	errno = saved;
	return r;
}

/* The live processes of a job's tree (see termtree.h). */
int termtree_collect(pid_t root, pid_t pgid, const char *marker, pid_t **pids,
		     size_t *n)
{
	return termtree_find(0, root, pgid, marker, pids, n);
}

/* Every live descendant of ours. */
int termtree_descendants(pid_t **pids, size_t *n)
{
	return termtree_find(1, 0, 0, NULL, pids, n);
}

/* Signal the job's group, then every process of its tree. */
int termtree_signal(pid_t root, pid_t pgid, const char *marker, int sig)
{
	pid_t *pids;
	size_t n, i;
	int count = 0;

	/* Collect first: once root dies its children move to us and are no
	 * longer found as its descendants. */
	if (termtree_collect(root, pgid, marker, &pids, &n) == -1)
		return -1;
	if (job_pgid(pgid) > 0 && kill(-pgid, sig) == 0)
		count++;
	for (i = 0; i < n; i++)
		if (kill(pids[i], sig) == 0)
			count++;
	free(pids);
	return count;
}

/* GNU parallel's default: TERM,200,TERM,100,TERM,50,KILL,25. */
void termseq_default(struct termseq *ts)
{
	static const struct termseq def = {
		4, {SIGTERM, SIGTERM, SIGTERM, SIGKILL}, {200, 100, 50, 25}};

	*ts = def;
}

/* Write "--termseq: <message>" to err (if given) and fail with EINVAL. */
__attribute__((format(printf, 3, 4))) static int
termseq_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int len;

	if (err != NULL && errlen > 0) {
		len = snprintf(err, errlen, "--termseq: ");
		if (len > 0 && (size_t)len < errlen) {
			va_start(ap, fmt);
			vsnprintf(err + len, errlen - (size_t)len, fmt, ap);
			va_end(ap);
		}
	}
	errno = EINVAL;
	return -1;
}

/* The length of an element for a "%.*s" format. */
static int element_len(size_t len)
{
	return len > INT_MAX ? INT_MAX : (int)len;
}

/* Parse one element (len bytes at s) as a signal (even index) or a wait. */
static int termseq_element(const char *s, size_t len, size_t index,
			   struct termseq *ts, char *err, size_t errlen)
{
	char word[64];
	long long ms;
	int sig;

	/* Too long to be valid: an empty word fails below. */
	memcpy(word, s, len < sizeof(word) ? len : 0);
	word[len < sizeof(word) ? len : 0] = '\0';
	if (index % 2 == 0) {
		if (ts->n == TERMSEQ_MAX)
			return termseq_error(err, errlen,
					     "more than %d signals",
					     TERMSEQ_MAX);
		sig = parse_signal(word);
		if (sig == -1)
			return termseq_error(err, errlen,
					     "'%.*s' is not a signal",
					     element_len(len), s);
		ts->sig[ts->n] = sig;
		ts->ms[ts->n++] = 0;
		return 0;
	}
	if (parse_number(word, 0, UINT_MAX, &ms) == -1)
		return termseq_error(err, errlen,
				     "'%.*s' is not a number of milliseconds",
				     element_len(len), s);
	ts->ms[ts->n - 1] = (unsigned)ms;
	return 0;
}

/* Parse "SIG,MS,SIG,MS..." into ts, which is left alone on error. */
int termseq_parse(const char *s, struct termseq *ts, char *err,
		  size_t errlen)
{
	struct termseq parsed = {0};
	const char *end;
	size_t index = 0, len;

	if (s[0] == '\0')
		return termseq_error(err, errlen, "the sequence is empty");
	for (;;) {
		end = strchr(s, ',');
		len = end != NULL ? (size_t)(end - s) : strlen(s);
		if (termseq_element(s, len, index++, &parsed, err, errlen) ==
		    -1)
			return -1;
		if (end == NULL)
			break;
		s = end + 1;
	}
	*ts = parsed;
	return 0;
}
