/* Unit tests for lib/pool, driven through a fake executor.
 *
 * The fake executor forks a child that runs no program: it follows a
 * little script, the job's arguments joined by spaces, one token at a
 * time:
 *   oTEXT  TEXT and a newline on stdout      eTEXT  the same on stderr
 *   pTEXT  TEXT on stdout, no newline        bN     N x's and a newline
 *   g      wait until the test opens the job's gate (one byte on a pipe)
 *   i      ignore SIGTERM from now on        kN     kill itself with N
 *   xN     exit N (the end of the script exits 0)
 *   E      exec "failed": exit 127 and report ENOENT
 *   F      spawn fails (-1/EIO), no process  A      first spawn EAGAIN
 *   N      every spawn EAGAIN                M      first spawn EMFILE
 * and "|" separates the scripts of successive tries (--retries; the last
 * one repeats). Gates are opened from the pool's events, when stdout
 * holds some text, or (for --timeout N%) a measured time after the spawn,
 * so each test fixes the order of events it checks and no sleep is
 * needed; after 3 s every gate opens, so a broken pool fails instead of
 * hanging. Callbacks (spawns with no job arguments) print what they were
 * given. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "executor.h"
#include "input.h"
#include "loop.h"
#include "pool.h"
#include "queue.h"
#include "template.h"
#include "termtree.h"
#include "unit.h"

#define MAXJ 64

static char top[] = "/tmp/test_poolXXXXXX";

/* --- the fake executor ------------------------------------------------- */

struct spawned {
	unsigned long long seq;
	unsigned slot;
	size_t nargs;
	char script[256];
	char env_seq[32], env_slot[32], env_jobid[64], env_foo[32];
	uint64_t at_ms;
};

static struct {
	unsigned tries[MAXJ];     /* spawns per seq */
	int gate_w[MAXJ];         /* write end of the job's gate, or -1 */
	int gate_open[MAXJ];      /* opened before the job started */
	int eagain_done[MAXJ];
	int emfile_done[MAXJ];
	struct spawned sp[4 * MAXJ];
	size_t nsp;
	char cb[2048];            /* what the callbacks were started with */
	unsigned ncb;
	char terminated[256];     /* executor terminate calls: "seq:sig " */
	pid_t pid_of[MAXJ];
	const char *host;         /* what host() answers, or NULL */
	unsigned gate_after[MAXJ]; /* open the gate this many ms after the
				    * spawn ... */
	unsigned gate_after_median[MAXJ]; /* ... or this many medians of
					   * the runtimes so far */
} fk;

static struct loop *fake_loop;
static uint64_t median_runtime(void);
static void gate(unsigned long long seq);

/* A gate's timer. */
static void gate_timer(struct loop *l, void *data)
{
	gate((unsigned long long)(uintptr_t)data);
}

/* The value of name in envp, or "". */
static const char *env_get(char *const *envp, const char *name)
{
	size_t len = strlen(name);

	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			return *envp + len + 1;
	return "";
}

/* The segment of script for try number t (1-based) into seg. */
static void try_segment(const char *script, unsigned t, char *seg,
			size_t len)
{
	const char *s = script, *bar;

	while (t-- > 1 && (bar = strchr(s, '|')) != NULL)
		s = bar + 1;
	bar = strchr(s, '|');
	snprintf(seg, len, "%.*s",
		 bar != NULL ? (int)(bar - s) : (int)strlen(s), s);
}

/* Does the segment have the one-letter token c? */
static int has_token(const char *seg, char c)
{
	const char *s = seg;

	while (*s != '\0') {
		size_t n = strcspn(s, " ");

		if (n == 1 && s[0] == c)
			return 1;
		s += n;
		s += strspn(s, " ");
	}
	return 0;
}

/* Write all of p on fd (in the child). */
static void put(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0 && (w = write(fd, p, n)) > 0) {
		p += w;
		n -= (size_t)w;
	}
}

/* In the child: set up like a real executor, then follow seg. */
static void child_run(const struct exec_request *req, char *seg, int gate)
{
	char *save = NULL, *tok, big[4096];
	char c;

	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, req->sigmask, NULL);
	dup2(req->fd_in, 0);
	dup2(req->fd_out, 1);
	dup2(req->fd_err, 2);
	if (gate >= 0)
		dup2(gate, 3);
	close_range(gate >= 0 ? 4 : 3, ~0U, 0);
	for (tok = strtok_r(seg, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save)) {
		switch (tok[0]) {
		case 'o':
		case 'e':
			put(tok[0] == 'o' ? 1 : 2, tok + 1, strlen(tok + 1));
			put(tok[0] == 'o' ? 1 : 2, "\n", 1);
			break;
		case 'p':
			put(1, tok + 1, strlen(tok + 1));
			break;
		case 'b': {
			long n = atol(tok + 1);

			memset(big, 'x', sizeof(big));
			for (; n > 0; n -= (long)sizeof(big))
				put(1, big,
				    n < (long)sizeof(big) ? (size_t)n
							  : sizeof(big));
			put(1, "\n", 1);
			break;
		}
		case 'g':
			if (read(3, &c, 1) != 1)
				_exit(99);
			break;
		case 'i':
			signal(SIGTERM, SIG_IGN);
			break;
		case 'k':
			kill(getpid(), atoi(tok + 1));
			break;
		case 'x':
			_exit(atoi(tok + 1));
		case 'E':
			_exit(127);
		default:
			break;
		}
	}
	_exit(0);
}

/* A callback: print its command, its MPRUN_EXIT and its job's stdout
 * (the MPRUN_STDOUT file); fail if the command says "fail". */
static int fake_callback(const struct exec_request *req, pid_t *pid)
{
	char text[512], file[128] = "";
	const char *path = env_get(req->envp, "MPRUN_STDOUT");
	int fd = *path != '\0' ? open(path, O_RDONLY) : -1;
	ssize_t n = fd >= 0 ? read(fd, file, sizeof(file) - 1) : -1;
	int fail = strstr(req->shell_cmd, "fail") != NULL;

	if (fd >= 0)
		close(fd);
	file[n > 0 ? n : 0] = '\0';
	snprintf(text, sizeof(text), "cb[%s] exit=%s out=%s;\n", req->shell_cmd,
		 env_get(req->envp, "MPRUN_EXIT"), file);
	fk.ncb++;
	snprintf(fk.cb + strlen(fk.cb), sizeof(fk.cb) - strlen(fk.cb),
		 "%s|seq=%s|", req->shell_cmd, env_get(req->envp, "MPRUN_SEQ"));
	*pid = fork();
	if (*pid == 0) {
		dup2(req->fd_out, 1);
		put(1, text, strlen(text));
		_exit(fail);
	}
	if (*pid > 0)
		setpgid(*pid, *pid);
	return *pid > 0 ? 0 : -1;
}

static int fake_spawn(void *ctx, const struct exec_request *req, pid_t *pid,
		      int *exec_errno)
{
	struct spawned *s = &fk.sp[fk.nsp < 4 * MAXJ ? fk.nsp : 0];
	char seg[256];
	size_t i;
	int g[2];

	*exec_errno = 0;
	if (req->args == NULL) /* a callback: it has no job arguments */
		return fake_callback(req, pid);
	if (req->seq >= MAXJ) {
		errno = EINVAL;
		return -1;
	}
	memset(s, 0, sizeof(*s));
	s->seq = req->seq;
	s->slot = req->slot;
	s->nargs = req->nargs;
	s->at_ms = loop_now_ms();
	for (i = 0; i < req->nargs; i++)
		snprintf(s->script + strlen(s->script),
			 sizeof(s->script) - strlen(s->script), "%s%s",
			 i > 0 ? " " : "", req->args[i]);
	snprintf(s->env_seq, sizeof(s->env_seq), "%s",
		 env_get(req->envp, "MPRUN_SEQ"));
	snprintf(s->env_slot, sizeof(s->env_slot), "%s",
		 env_get(req->envp, "MPRUN_SLOT"));
	snprintf(s->env_jobid, sizeof(s->env_jobid), "%s",
		 env_get(req->envp, "MPRUN_JOBID"));
	snprintf(s->env_foo, sizeof(s->env_foo), "%s",
		 env_get(req->envp, "FOO"));
	if (fk.nsp < 4 * MAXJ)
		fk.nsp++;
	try_segment(s->script, ++fk.tries[req->seq], seg, sizeof(seg));
	if (has_token(seg, 'F')) {
		errno = EIO;
		return -1;
	}
	if (has_token(seg, 'N')) { /* never: out of processes for good */
		errno = EAGAIN;
		return -1;
	}
	if (has_token(seg, 'M') && !fk.emfile_done[req->seq]) {
		fk.emfile_done[req->seq] = 1;
		errno = EMFILE;
		return -1;
	}
	if (has_token(seg, 'A') && !fk.eagain_done[req->seq]) {
		fk.eagain_done[req->seq] = 1;
		errno = EAGAIN;
		return -1;
	}
	if (pipe2(g, O_CLOEXEC) == -1)
		return -1;
	*pid = fork();
	if (*pid == 0)
		child_run(req, seg, g[0]);
	close(g[0]);
	if (*pid == -1) {
		close(g[1]);
		return -1;
	}
	setpgid(*pid, *pid);
	if (fk.gate_w[req->seq] >= 0)
		close(fk.gate_w[req->seq]);
	fk.gate_w[req->seq] = g[1];
	fk.pid_of[req->seq] = *pid;
	if (fk.gate_open[req->seq] && write(g[1], "x", 1) != 1)
		printf("# gate write failed\n");
	if (has_token(seg, 'E'))
		*exec_errno = ENOENT;
	if (fk.gate_after_median[req->seq] > 0)
		fk.gate_after[req->seq] = fk.gate_after_median[req->seq] *
					  (unsigned)median_runtime();
	if (fk.gate_after[req->seq] > 0)
		loop_timer_add(fake_loop, fk.gate_after[req->seq], gate_timer,
			       (void *)(uintptr_t)req->seq);
	return 0;
}

/* Which job has pid, or 0. */
static unsigned long long seq_of(pid_t pid)
{
	unsigned long long i;

	for (i = 1; i < MAXJ; i++)
		if (fk.pid_of[i] == pid)
			return i;
	return 0;
}

static int fake_terminate(void *ctx, pid_t pid, unsigned slot, int sig)
{
	snprintf(fk.terminated + strlen(fk.terminated),
		 sizeof(fk.terminated) - strlen(fk.terminated), "%llu:%d ",
		 seq_of(pid), sig);
	return 0;
}

static const char *fake_host(void *ctx, unsigned slot)
{
	static char h[32];

	if (fk.host == NULL)
		return NULL;
	snprintf(h, sizeof(h), "%s%u", fk.host, slot);
	return h;
}

static const struct executor fake = {"fake", fake_spawn, fake_terminate,
				     fake_host, NULL, NULL};

/* Let job seq go on past its "g". */
static void gate(unsigned long long seq)
{
	fk.gate_open[seq] = 1;
	if (fk.gate_w[seq] >= 0 && write(fk.gate_w[seq], "x", 1) != 1)
		printf("# gate write failed\n");
}

static void fake_reset(void)
{
	size_t i;

	for (i = 0; i < MAXJ; i++)
		if (fk.gate_w[i] >= 0)
			close(fk.gate_w[i]);
	memset(&fk, 0, sizeof(fk));
	for (i = 0; i < MAXJ; i++)
		fk.gate_w[i] = -1;
}

static const struct spawned no_spawn = {.script = "(not spawned)"};

/* The spawns of job seq: the k-th (0-based), or no_spawn. */
static const struct spawned *spawn_of(unsigned long long seq, unsigned k)
{
	size_t i;

	for (i = 0; i < fk.nsp; i++)
		if (fk.sp[i].seq == seq && k-- == 0)
			return &fk.sp[i];
	return &no_spawn;
}

/* Was job seq spawned? */
static int ran(unsigned long long seq)
{
	return spawn_of(seq, 0) != &no_spawn;
}

/* --- a run: pool, loop, queue, output files, events -------------------- */

struct jobinfo {
	int seen;
	unsigned slot, tries;
	int failed, exitval, sig, timed_out, terminated, too_long;
	int exec_errno;
	uint64_t runtime_ms, out_bytes;
	char command[256], host[32], refused[32];
	size_t out_at_done; /* stdout bytes written when it was released */
};

static struct {
	struct pool_opts o;
	struct sched_events ev;
	struct loop *l;
	struct queue *q;
	struct sched *p;
	int out, err;
	char events[1024];   /* "l1 f1 d1 ..." */
	char errors[1024];
	char notices[1024];
	struct jobinfo job[MAXJ];
	unsigned long long open_on_finish[MAXJ]; /* gate to open */
	unsigned long long skip_seq;
	/* a watch: when stdout is want (and job after_seq finished, if
	 * set), open gate; checked every millisecond */
	const char *want;
	unsigned long long after_seq, watch_gate;
	int watch_fired;
	uint64_t watch_deadline;
	unsigned long long terminate_on_finish;
	struct loop_timer *rescue;
	int rescued;
} R;

static char outbuf[200000];

/* Everything written to fd so far. */
static const char *contents(int fd)
{
	ssize_t n = pread(fd, outbuf, sizeof(outbuf) - 1, 0);

	outbuf[n > 0 ? n : 0] = '\0';
	return outbuf;
}

static void add_event(char c, const struct sched_task *j)
{
	snprintf(R.events + strlen(R.events),
		 sizeof(R.events) - strlen(R.events), "%c%llu ", c,
		 sched_task_seq(j));
}

static void ev_launch(void *data, const struct sched_task *j)
{
	add_event('l', j);
}

static void ev_finished(void *data, const struct sched_task *j)
{
	unsigned long long s = sched_task_seq(j);

	add_event('f', j);
	if (s < MAXJ && R.open_on_finish[s] != 0)
		gate(R.open_on_finish[s]);
	if (s == R.terminate_on_finish)
		sched_terminate(R.p);
}

static void ev_done(void *data, const struct sched_task *j)
{
	unsigned long long s = sched_task_seq(j);
	struct jobinfo *ji = &R.job[s < MAXJ ? s : 0];

	add_event('d', j);
	ji->seen = 1;
	ji->slot = sched_task_slot(j);
	ji->tries = sched_task_tries(j);
	ji->failed = sched_task_failed(j);
	ji->exitval = sched_task_exitval(j);
	ji->sig = sched_task_signal(j);
	ji->timed_out = sched_task_timed_out(j);
	ji->terminated = pool_job_terminated(j);
	ji->too_long = pool_job_too_long(j);
	ji->exec_errno = pool_job_exec_errno(j);
	ji->runtime_ms = sched_task_runtime_ms(j);
	ji->out_bytes = sched_task_received(j);
	snprintf(ji->command, sizeof(ji->command), "%s", pool_job_command(j));
	snprintf(ji->host, sizeof(ji->host), "%s", pool_job_host(j));
	snprintf(ji->refused, sizeof(ji->refused), "%s",
		 pool_job_refused(j) != NULL ? pool_job_refused(j) : "");
	ji->out_at_done = strlen(contents(R.out));
}

static void ev_error(void *data, const char *msg)
{
	snprintf(R.errors + strlen(R.errors),
		 sizeof(R.errors) - strlen(R.errors), "%s\n", msg);
}

static void ev_notice(void *data, const char *msg)
{
	snprintf(R.notices + strlen(R.notices),
		 sizeof(R.notices) - strlen(R.notices), "%s\n", msg);
}

static int ev_skip(void *data, unsigned long long seq)
{
	return seq == R.skip_seq;
}

/* The median runtime of the jobs done so far (ms). */
static uint64_t median_runtime(void)
{
	uint64_t v[MAXJ], t;
	size_t n = 0, i, k;

	for (i = 1; i < MAXJ; i++)
		if (R.job[i].seen)
			v[n++] = R.job[i].runtime_ms;
	for (i = 1; i < n; i++)
		for (k = i; k > 0 && v[k - 1] > v[k]; k--) {
			t = v[k];
			v[k] = v[k - 1];
			v[k - 1] = t;
		}
	return n > 0 ? v[n / 2] : 0;
}

/* The watch's timer: open its gate once stdout is as wanted. */
static void watch_tick(struct loop *l, void *data)
{
	char f[32];
	int ready;

	snprintf(f, sizeof(f), "f%llu ", R.after_seq);
	ready = strcmp(contents(R.out), R.want) == 0 &&
		(R.after_seq == 0 || strstr(R.events, f) != NULL);
	if (ready || loop_now_ms() > R.watch_deadline) {
		R.watch_fired = ready ? 1 : -1;
		gate(R.watch_gate);
		return;
	}
	loop_timer_add(l, 1, watch_tick, NULL);
}

/* Open gate g once stdout is exactly want (and job after has finished,
 * if not 0); give up after two seconds (watch_fired -1). */
static void watch(const char *want, unsigned long long after,
		  unsigned long long g)
{
	R.want = want;
	R.after_seq = after;
	R.watch_gate = g;
	R.watch_fired = 0;
	R.watch_deadline = loop_now_ms() + 2000;
	loop_timer_add(R.l, 1, watch_tick, NULL);
}

/* A test gone wrong must fail, not hang: after 3 s every gate opens. */
static void rescue(struct loop *l, void *data)
{
	unsigned long long i;

	R.rescue = NULL;
	R.rescued = 1;
	for (i = 1; i < MAXJ; i++)
		gate(i);
}

/* A temporary file (unlinked) for output. */
static int tmpfile_fd(void)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/outXXXXXX", top);
	fd = mkstemp(path);
	unlink(path);
	return fd;
}

static struct template *tpl_new(const char *const *words, size_t n,
				int flags)
{
	struct template_error err;

	return template_new((char *const *)words, n, flags, &err);
}

static struct template *the_tpl; /* "fake {}" */

/* Fresh options, queue and files for a run with slots. */
static void setup(unsigned slots)
{
	fake_reset();
	memset(&R, 0, sizeof(R));
	R.o.sched.slots = slots;
	R.o.sched.order = ORDER_UNORDERED;
	R.o.output = POOL_GROUP;
	R.o.tpl = the_tpl;
	R.o.mem_limit = 1 << 20;
	R.o.spill_limit = (uint64_t)1 << 30;
	R.o.sched.tmpdir = top;
	R.o.sched.exec = &fake;
	termseq_default(&R.o.sched.termseq);
	R.out = tmpfile_fd();
	R.err = tmpfile_fd();
	R.o.sched.out_fd = R.out;
	R.o.sched.err_fd = R.err;
	R.ev = (struct sched_events){.launch = ev_launch, .done = ev_done,
				     .finished = ev_finished,
				     .error = ev_error, .notice = ev_notice};
	R.l = loop_new();
	fake_loop = R.l;
	R.q = queue_new(256);
	R.rescue = loop_timer_add(R.l, 3000, rescue, NULL);
}

/* Queue one record with the given values. */
static void add_rec(size_t n, const char *const *v)
{
	struct record *r = calloc(1, sizeof(*r));
	size_t i;

	r->n = n;
	r->v = calloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++)
		r->v[i] = strdup(v[i]);
	r->origin = ":::";
	r->fd = -1; /* no block (--pipe) */
	r->lineno = queue_len(R.q) + 1;
	queue_try_put(R.q, r);
}

/* Queue one record per script (NULL-terminated). */
static void add(const char *first, ...);
static void add(const char *first, ...)
{
	va_list ap;
	const char *s;

	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *))
		add_rec(1, &s);
	va_end(ap);
}

/* Make the pool (R.o may have been changed), run it to the end. */
static int run(void)
{
	int rc;

	queue_close(R.q);
	R.p = pool_new(R.l, &R.o, &R.ev);
	if (R.p == NULL)
		return -2;
	sched_set_source(R.p, R.q, NULL, NULL);
	rc = sched_run(R.p);
	return rc;
}

static void teardown(void)
{
	CHECK(!R.rescued); /* no job waited for a gate that never opened */
	if (R.rescue != NULL)
		loop_timer_cancel(R.l, R.rescue);
	sched_free(R.p);
	queue_free(R.q, (void (*)(void *))record_free);
	loop_free(R.l);
	close(R.out);
	close(R.err);
	fake_reset();
	/* every child of ours was reaped */
	errno = 0;
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD);
}

/* --- the tests ------------------------------------------------------------ */

/* Plain jobs: counts, statuses, the job's accessors and environment. */
static void test_basic(void)
{
	char jobid[64];

	setup(1);
	setenv("FOO", "environ", 1);
	{
		static char *const env[] = {"FOO=opt", NULL};

		R.o.env = env;
	}
	fk.host = "h";
	add("oA", "x3", "k15", "oB eC", NULL);
	CHECK_INT(run(), 0);
	CHECK_STR(contents(R.out), "A\nB\n");
	CHECK_STR(contents(R.err), "C\n");
	CHECK_STR(R.events, "l1 f1 d1 l2 f2 d2 l3 f3 d3 l4 f4 d4 ");
	CHECK_INT(sched_started(R.p), 4);
	CHECK_INT(sched_succeeded(R.p), 2);
	CHECK_INT(sched_failed(R.p), 2);
	CHECK_INT(sched_running(R.p), 0);
	CHECK(sched_finished(R.p) && !sched_halted(R.p) &&
	      !sched_output_closed(R.p));
	CHECK_INT(queue_unfinished(R.q), 0);
	CHECK(!R.job[1].failed && R.job[1].exitval == 0 && R.job[1].sig == 0);
	CHECK(R.job[2].failed && R.job[2].exitval == 3 && R.job[2].sig == 0);
	CHECK(R.job[3].failed && R.job[3].exitval == 143 && R.job[3].sig == 15);
	CHECK(!R.job[3].timed_out && !R.job[3].terminated);
	CHECK_STR(R.job[4].command, "fake 'oB eC'");
	CHECK_INT(R.job[4].out_bytes, 2); /* stdout only */
	CHECK_INT(R.job[2].out_bytes, 0);
	CHECK_STR(R.job[2].command, "fake x3");
	CHECK_STR(R.job[4].host, "h1");
	CHECK(R.job[1].tries == 1 && R.job[1].slot == 1);
	CHECK_STR(R.errors, "");
	CHECK_STR(R.notices, "");
	/* what each job was started with */
	CHECK_STR(spawn_of(2, 0)->env_seq, "2");
	CHECK_STR(spawn_of(2, 0)->env_slot, "1");
	snprintf(jobid, sizeof(jobid), "%ld.2", (long)getpid());
	CHECK_STR(spawn_of(2, 0)->env_jobid, jobid);
	CHECK_STR(spawn_of(2, 0)->env_foo, "opt"); /* opts.env wins */
	CHECK_STR(spawn_of(4, 0)->script, "oB eC");
	CHECK(!ran(5));
	unsetenv("FOO");
	teardown();
}

/* Slots: the lowest free one; a finished job's slot is reused. */
static void test_slots(void)
{
	setup(2);
	add("g oA", "oB", "oC", NULL);
	R.open_on_finish[3] = 1;
	CHECK_INT(run(), 0);
	CHECK_INT(spawn_of(1, 0)->slot, 1);
	CHECK_INT(spawn_of(2, 0)->slot, 2);
	CHECK_INT(spawn_of(3, 0)->slot, 2);
	CHECK_STR(spawn_of(3, 0)->env_slot, "2");
	CHECK_STR(contents(R.out), "B\nC\nA\n"); /* unordered */
	CHECK_STR(R.events, "l1 l2 f2 d2 l3 f3 d3 f1 d1 ");
	teardown();
}

/* unordered: output as jobs end; the first job with output writes
 * through, others wait for it. */
static void test_unordered(void)
{
	setup(2);
	add("g oA", "oB", NULL);
	R.open_on_finish[2] = 1;
	CHECK_INT(run(), 0);
	CHECK_STR(contents(R.out), "B\nA\n");
	CHECK_STR(R.events, "l1 l2 f2 d2 f1 d1 ");
	teardown();

	/* job 1 writes first: it is the writer; job 2 ends meanwhile and
	 * waits until job 1 is done */
	setup(2);
	add("oA1 g oA2", "g oB", NULL);
	watch("A1\n", 0, 2);
	R.open_on_finish[2] = 1;
	CHECK_INT(run(), 0);
	CHECK_INT(R.watch_fired, 1);
	CHECK_STR(contents(R.out), "A1\nA2\nB\n");
	CHECK_STR(R.events, "l1 l2 f2 f1 d1 d2 ");
	CHECK_INT(R.job[2].out_at_done, 8);
	teardown();
}

/* imap (-k): input order; the oldest job streams while it runs, later
 * ones are held until it is done. */
static void test_imap(void)
{
	setup(2);
	R.o.sched.order = ORDER_IMAP;
	add("oA1 g oA2", "oB", "oC", NULL);
	/* job 1's first line is out while it runs, though job 2 is done */
	watch("A1\n", 2, 1);
	CHECK_INT(run(), 0);
	CHECK_INT(R.watch_fired, 1);
	CHECK_STR(contents(R.out), "A1\nA2\nB\nC\n");
	CHECK_INT(R.job[1].out_at_done, 6);
	CHECK_INT(R.job[2].out_at_done, 8);
	CHECK(strncmp(R.events, "l1 l2 f2 ", 9) == 0);
	CHECK(strstr(R.events, "d1 d2 ") != NULL);
	teardown();

	/* stderr goes the same way, each job's as a unit */
	setup(2);
	R.o.sched.order = ORDER_IMAP;
	add("g oA eA", "oB eB", NULL);
	R.open_on_finish[2] = 1;
	CHECK_INT(run(), 0);
	CHECK_STR(contents(R.out), "A\nB\n");
	CHECK_STR(contents(R.err), "A\nB\n");
	CHECK_STR(R.events, "l1 l2 f2 f1 d1 d2 ");
	teardown();
}

/* map: input order, nothing out before the end. */
static void test_map(void)
{
	setup(2);
	R.o.sched.order = ORDER_MAP;
	add("g oA eE", "oB", NULL);
	R.open_on_finish[2] = 1;
	CHECK_INT(run(), 0);
	CHECK_STR(contents(R.out), "A\nB\n");
	CHECK_STR(contents(R.err), "E\n");
	CHECK_INT(R.job[1].out_at_done, 0);
	CHECK_INT(R.job[2].out_at_done, 0);
	CHECK_STR(R.events, "l1 l2 f2 f1 d1 d2 ");
	teardown();
}

/* Grouped output: a job's stdout, then its stderr, when both go to one
 * file; --line-buffer lets whole lines of every job through as they come;
 * -u passes the job's own descriptors. */
static void test_output_modes(void)
{
	/* job 2 is not the writer (job 1 is, in -k order): its output is
	 * kept and goes out as one unit, stdout first */
	setup(2);
	R.o.sched.order = ORDER_IMAP;
	R.o.sched.err_fd = R.out;
	add("g", "oX eY oZ eW oV", NULL);
	R.open_on_finish[2] = 1;
	CHECK_INT(run(), 0);
	CHECK_STR(contents(R.out), "X\nZ\nV\nY\nW\n");
	teardown();

	setup(2);
	R.o.output = POOL_LINES;
	add("oA1 pA2 g oA3", "g oB1", NULL);
	watch("A1\n", 0, 2);		 /* A1 is out: let job 2 write */
	R.open_on_finish[2] = 1; /* then finish job 1 */
	CHECK_INT(run(), 0);
	CHECK_INT(R.watch_fired, 1);
	/* the partial "A2" waits for its newline; B1 goes first */
	CHECK_STR(contents(R.out), "A1\nB1\nA2A3\n");
	teardown();

	setup(1);
	R.o.output = POOL_UNGROUP;
	add("oA eB pC", NULL);
	CHECK_INT(run(), 0);
	CHECK_STR(contents(R.out), "A\nC");
	CHECK_STR(contents(R.err), "B\n");
	teardown();

	/* --tag: each line starts with the arguments and a TAB */
	setup(1);
	R.o.sched.tag = 1;
	add("oA oB", NULL);
	{
		const char *two[] = {"oC", "eD"};

		add_rec(2, two);
	}
	CHECK_INT(run(), 0);
	CHECK_STR(contents(R.out), "oA oB\tA\noA oB\tB\noC eD\tC\n");
	CHECK_STR(contents(R.err), "oC eD\tD\n");
	teardown();
}

/* Exec failure (127, not retried), spawn failure (255, an error, no
 * finished event), EAGAIN retried while others run. */
static void test_spawn_failures(void)
{
	setup(2);
	R.o.sched.retries = 2;
	add("E", "F|oOK", NULL);
	CHECK_INT(run(), 0);
	CHECK(R.job[1].failed && R.job[1].exitval == 127 &&
	      R.job[1].exec_errno == ENOENT && R.job[1].tries == 1);
	CHECK(R.job[2].failed && R.job[2].exitval == 255 &&
	      R.job[2].tries == 1);
	CHECK_STR(R.errors, "cannot start a job: Input/output error\n");
	CHECK(strstr(R.events, "f1 ") != NULL &&
	      strstr(R.events, "f2 ") == NULL);
	CHECK_INT(sched_failed(R.p), 2);
	CHECK_INT(fk.tries[2], 1);
	teardown();

	setup(2);
	add("g", "A oB", NULL);
	R.open_on_finish[2] = 1;
	CHECK_INT(run(), 0);
	CHECK_INT(fk.tries[2], 2); /* EAGAIN, then started */
	CHECK(!R.job[2].failed);
	CHECK_STR(contents(R.out), "B\n");
	CHECK_STR(R.errors, "");
	teardown();

	/* EAGAIN with nothing else running: tried again on a timer (the
	 * loop turns meanwhile), said once */
	setup(1);
	add("A oB", "A oC", NULL);
	CHECK_INT(run(), 0);
	CHECK(!R.job[1].failed && !R.job[2].failed);
	CHECK_INT(fk.tries[1], 2);
	CHECK_INT(fk.tries[2], 2);
	CHECK_STR(contents(R.out), "B\nC\n");
	CHECK_STR(R.errors, "");
	CHECK_STR(R.notices, "cannot start more processes now (fork: Resource "
			     "temporarily unavailable): waiting for running "
			     "jobs to end\n");
	teardown();

	/* Ctrl-C while a spawn waits for EAGAIN to pass: it is given up at
	 * once (255, not run), nothing hangs */
	setup(2);
	R.terminate_on_finish = 1;
	add("oB", "N", "oC", NULL);
	CHECK_INT(run(), 0);
	CHECK(!R.rescued);
	CHECK(R.job[2].failed && R.job[2].exitval == 255);
	CHECK(!ran(3));
	CHECK_STR(contents(R.out), "B\n");
	teardown();
}

/* Out of descriptors (EMFILE): with another job running, the job waits
 * and starts first when that one ends, its try not counted, and the pool
 * runs one fewer at once (said once); alone, it fails and no more start. */
static void test_out_of_fds(void)
{
	setup(2);
	R.o.sched.retries = 0;
	add("oA", "M oB", "oC", NULL);
	CHECK_INT(run(), 0);
	CHECK_INT(fk.tries[2], 2); /* EMFILE, then started */
	CHECK(!R.job[2].failed && R.job[2].tries == 1);
	CHECK_STR(contents(R.out), "A\nB\nC\n");
	CHECK_STR(R.errors, "");
	CHECK(strstr(R.notices, "out of file descriptors (ulimit -n ") !=
		      NULL &&
	      strstr(R.notices, "): running 1 jobs at a time\n") != NULL);
	CHECK_INT(sched_failed(R.p), 0);
	teardown();

	setup(2);
	add("M oB", "oC", NULL);
	CHECK_INT(run(), 0);
	CHECK(R.job[1].failed && R.job[1].exitval == 255);
	CHECK(strstr(R.errors, "with no job running: starting no more "
			       "jobs\n") != NULL);
	CHECK(!ran(2));
	teardown();
}

/* --halt soon / now, counts and percentages. */
static void test_halt(void)
{
	struct policy_halt soon1 = {HALT_SOON, HALT_FAIL, 1, 0};
	struct policy_halt now1 = {HALT_NOW, HALT_FAIL, 1, 0};
	struct policy_halt pct = {HALT_SOON, HALT_FAIL, 0, 50};
	struct policy_halt ok2 = {HALT_SOON, HALT_SUCCESS, 2, 0};

	setup(1);
	R.o.sched.halt = soon1;
	add("x1", "oB", "oC", NULL);
	CHECK_INT(run(), 0);
	CHECK(sched_halted(R.p));
	CHECK_INT(sched_started(R.p), 1);
	CHECK_INT(sched_failed(R.p), 1);
	CHECK_STR(contents(R.out), "");
	CHECK_STR(R.events, "l1 f1 d1 ");
	teardown();

	/* soon: the running job finishes, nothing new starts */
	setup(2);
	R.o.sched.halt = soon1;
	add("g oA", "x1", "oC", NULL);
	R.open_on_finish[2] = 1;
	CHECK_INT(run(), 0);
	CHECK(sched_halted(R.p));
	CHECK_INT(sched_started(R.p), 2);
	CHECK_INT(sched_succeeded(R.p), 1);
	CHECK_INT(sched_failed(R.p), 1);
	CHECK(!R.job[1].terminated && !R.job[1].failed);
	CHECK_STR(contents(R.out), "A\n");
	teardown();

	/* now: the running job is ended, not counted failed, but logged */
	setup(2);
	R.o.sched.halt = now1;
	add("oA g oA2", "g x1", "oC", NULL);
	watch("A\n", 0, 2); /* job 1 is running and has written */
	CHECK_INT(run(), 0);
	CHECK(sched_halted(R.p));
	CHECK_INT(sched_started(R.p), 2);
	CHECK_INT(sched_failed(R.p), 1);
	CHECK_INT(sched_succeeded(R.p), 0);
	CHECK(R.job[1].terminated && R.job[1].sig == SIGTERM);
	CHECK(strstr(R.events, "f1 ") != NULL); /* still logged */
	CHECK_STR(fk.terminated, "1:15 ");
	CHECK(strstr(contents(R.out), "A2") == NULL);
	teardown();

	/* 50% of 4 jobs: the second failure, not the first */
	setup(1);
	R.o.sched.halt = pct;
	R.o.total = 4;
	add("x1", "oB", "x1", "oD", NULL);
	CHECK_INT(run(), 0);
	CHECK(sched_halted(R.p));
	CHECK_INT(sched_started(R.p), 3);
	teardown();
	/* total unknown: a percentage of the jobs started (1 of 1) */
	setup(1);
	R.o.sched.halt = pct;
	add("x1", "oB", "x1", "oD", NULL);
	CHECK_INT(run(), 0);
	CHECK_INT(sched_started(R.p), 1);
	teardown();
	/* sched_set_total counts too */
	setup(1);
	R.o.sched.halt = pct;
	add("x1", "oB", "x1", "oD", NULL);
	queue_close(R.q);
	R.p = pool_new(R.l, &R.o, &R.ev);
	sched_set_source(R.p, R.q, NULL, NULL);
	sched_set_total(R.p, 4);
	CHECK_INT(sched_run(R.p), 0);
	CHECK_INT(sched_started(R.p), 3);
	teardown();

	setup(1);
	R.o.sched.halt = ok2;
	add("oA", "x1", "oC", "oD", NULL);
	CHECK_INT(run(), 0);
	CHECK_INT(sched_started(R.p), 3);
	CHECK_STR(contents(R.out), "A\nC\n");
	teardown();
}

/* --retries: a failed try runs again, its output dropped; exec failures
 * and successes are not retried. */
static void test_retries(void)
{
	setup(1);
	R.o.sched.retries = 2;
	R.o.sched.order = ORDER_IMAP;
	add("oT1 x1|oT2 k9|oOK", "x1", "oFIRST", NULL);
	CHECK_INT(run(), 0);
	CHECK_STR(contents(R.out), "OK\nFIRST\n");
	CHECK(!R.job[1].failed && R.job[1].tries == 3);
	CHECK(R.job[2].failed && R.job[2].tries == 3 && R.job[2].exitval == 1);
	CHECK(R.job[3].tries == 1);
	CHECK_INT(fk.tries[1], 3);
	CHECK_INT(fk.tries[2], 3);
	CHECK_INT(fk.tries[3], 1);
	CHECK_INT(sched_succeeded(R.p), 2);
	CHECK_INT(sched_failed(R.p), 1);
	CHECK_STR(R.events, "l1 l1 l1 f1 d1 l2 l2 l2 f2 d2 l3 f3 d3 ");
	teardown();
}

/* --timeout: a job running too long is ended and fails, reported once;
 * one that ignores SIGTERM gets the rest of the termination sequence;
 * a quick job is not touched. */
static void test_timeout(void)
{
	setup(2);
	R.o.sched.timeout_ms = 300; /* the quick one must not time out too,
				     * under ASan on a loaded machine */
	add("g", "oQUICK", NULL);
	CHECK_INT(run(), 0);
	CHECK(R.job[1].failed && R.job[1].timed_out && R.job[1].terminated &&
	      R.job[1].sig == SIGTERM);
	CHECK(!R.job[2].failed && !R.job[2].timed_out);
	CHECK(strncmp(R.notices, "job 1 timed out after ", 22) == 0 &&
	      strcmp(R.notices + strlen(R.notices) - 10, "s: fake g\n") == 0);
	CHECK_STR(fk.terminated, "1:15 ");
	CHECK_INT(sched_failed(R.p), 1);
	teardown();

	setup(1);
	R.o.sched.timeout_ms = 20;
	R.o.sched.termseq = (struct termseq){2, {SIGTERM, SIGKILL}, {20, 10}};
	add("i g", NULL);
	CHECK_INT(run(), 0);
	CHECK(R.job[1].timed_out && R.job[1].sig == SIGKILL);
	CHECK_STR(fk.terminated, "1:15 1:9 ");
	teardown();

	/* a timeout of 100% of the median runtime: none before 3 samples
	 * (jobs of 40 ms or more); then a job that would need 3 medians is
	 * ended, and one that needs 2 ms is not */
	setup(1);
	R.o.timeout_pct = 100;
	add("g", "g", "g", "g oLATE", "g oEARLY", NULL);
	fk.gate_after[1] = fk.gate_after[2] = fk.gate_after[3] = 40;
	fk.gate_after_median[4] = 3;
	fk.gate_after[5] = 2;
	CHECK_INT(run(), 0);
	CHECK(!R.job[1].timed_out && !R.job[2].timed_out &&
	      !R.job[3].timed_out);
	CHECK(R.job[3].runtime_ms >= 40);
	CHECK(R.job[4].timed_out && R.job[4].failed);
	CHECK(!R.job[5].timed_out && !R.job[5].failed);
	CHECK_STR(contents(R.out), "EARLY\n");
	teardown();

	/* retries after a timeout: the next try may succeed (300 ms: the
	 * second try must not time out too on a loaded machine) */
	setup(1);
	R.o.sched.timeout_ms = 300;
	R.o.sched.retries = 1;
	add("g|oOK", NULL);
	CHECK_INT(run(), 0);
	CHECK(!R.job[1].failed && R.job[1].tries == 2 && !R.job[1].timed_out);
	CHECK_STR(contents(R.out), "OK\n");
	teardown();
}

/* Callbacks: after the job ended, one at a time, output after the
 * job's; a failed one is counted and told. */
static void test_callbacks(void)
{
	const char *ok[] = {"ok {}"}, *bad[] = {"fail {}"};
	struct template *on_ok = tpl_new(ok, 1, TEMPLATE_SHELL |
							TEMPLATE_NO_APPEND);
	struct template *on_bad = tpl_new(bad, 1, TEMPLATE_SHELL |
							  TEMPLATE_NO_APPEND);
	char dir[PATH_MAX];
	DIR *d;
	struct dirent *e;
	int left = 0;

	setup(1);
	R.o.sched.on_success = on_ok;
	R.o.sched.on_error = on_bad;
	add("oA", "oB x4", NULL);
	CHECK_INT(run(), 0);
	CHECK_STR(contents(R.out),
		  "A\ncb[ok oA] exit=0 out=A\n;\n"
		  "B\ncb[_mp1='oB x4'; fail \"${_mp1}\"] exit=4 out=B\n;\n");
	CHECK_INT(fk.ncb, 2);
	CHECK_STR(fk.cb, "ok oA|seq=1|_mp1='oB x4'; fail \"${_mp1}\"|seq=2|");
	CHECK_INT(sched_callbacks_failed(R.p), 1);
	CHECK_STR(R.notices,
		  "job 2: --on-error callback failed with exit status 1\n");
	CHECK_INT(sched_failed(R.p), 1);
	CHECK_INT(sched_succeeded(R.p), 1);
	CHECK_STR(R.events, "l1 f1 d1 l2 f2 d2 ");
	teardown();
	/* the callbacks' private files are gone with the pool */
	snprintf(dir, sizeof(dir), "%s", top);
	d = opendir(dir);
	while (d != NULL && (e = readdir(d)) != NULL)
		left += strncmp(e->d_name, "mprun-cb.", 9) == 0;
	if (d != NULL)
		closedir(d);
	CHECK_INT(left, 0);

	/* no callback for a job that did not start */
	setup(1);
	R.o.sched.on_error = on_bad;
	add("F", NULL);
	CHECK_INT(run(), 0);
	CHECK_INT(fk.ncb, 0);
	teardown();
	template_free(on_ok);
	template_free(on_bad);
}

/* --results DIR: the job's files, complete when it is done. */
static void test_results(void)
{
	char dir[PATH_MAX], p[PATH_MAX + 32];
	int fd;

	snprintf(dir, sizeof(dir), "%s/res", top);
	setup(1);
	R.o.results_dir = dir;
	add("oA eB x2", NULL);
	CHECK_INT(run(), 0);
	{
		static const char *const want[][2] = {
			{"cmd", "fake 'oA eB x2'\n"}, {"stdout", "A\n"},
			{"stderr", "B\n"},	      {"exitval", "2\n"},
			{"signal", "0\n"},
		};
		size_t i;

		for (i = 0; i < 5; i++) {
			snprintf(p, sizeof(p), "%s/1/%s", dir, want[i][0]);
			fd = open(p, O_RDONLY);
			CHECK_STR(fd >= 0 ? contents(fd) : "(none)",
				  want[i][1]);
			if (fd >= 0)
				close(fd);
		}
	}
	CHECK_STR(contents(R.out), "A\n"); /* and the output as ever */
	teardown();

	/* a results "directory" that is a file: the pool is not made */
	snprintf(p, sizeof(p), "%s/file", top);
	close(open(p, O_WRONLY | O_CREAT, 0644));
	setup(1);
	R.o.results_dir = p;
	CHECK(pool_new(R.l, &R.o, &R.ev) == NULL);
	CHECK(strstr(R.errors, "--results ") != NULL &&
	      strstr(R.errors, "/file: Not a directory") != NULL);
	teardown();
}

/* --resume: a skipped job keeps its number, neither runs nor counts. */
static void test_skip(void)
{
	setup(1);
	R.ev.skip = ev_skip;
	R.skip_seq = 2;
	add("oA", "oB", "oC", NULL);
	CHECK_INT(run(), 0);
	CHECK_STR(contents(R.out), "A\nC\n");
	CHECK_STR(R.events, "l1 f1 d1 l3 f3 d3 ");
	CHECK_INT(sched_started(R.p), 2);
	CHECK_INT(sched_succeeded(R.p), 2);
	CHECK_INT(queue_unfinished(R.q), 0);
	CHECK(!ran(2) && ran(3));
	teardown();
}

/* -X -n max, 2 slots, over the first nrec of oA..oE: the jobs' scripts,
 * joined by '|', are want. */
static void fill_capped(size_t max, size_t nrec, const char *want)
{
	static const char *const recs[] = {"oA", "oB", "oC", "oD", "oE"};
	char got[64] = "";
	size_t i, n;

	setup(2);
	R.o.fill = 1;
	R.o.spread = 1;
	R.o.max_args = max;
	for (i = 0; i < nrec; i++)
		add(recs[i], NULL);
	CHECK_INT(run(), 0);
	n = (size_t)sched_started(R.p);
	for (i = 1; i <= n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
			 i > 1 ? "|" : "", spawn_of((unsigned)i, 0)->script);
	CHECK_STR(got, want);
	teardown();
}

/* -n 2 and -X: records per job; the last batch goes when the input
 * ends. */
static void test_batches(void)
{
	setup(1);
	R.o.max_args = 2;
	add("oA", "oB", "oC", "oD", "oE", NULL);
	CHECK_INT(run(), 0);
	CHECK_INT(sched_started(R.p), 3);
	CHECK_STR(spawn_of(1, 0)->script, "oA oB");
	CHECK_STR(spawn_of(3, 0)->script, "oE");
	CHECK_INT(spawn_of(3, 0)->nargs, 1);
	CHECK_STR(contents(R.out), "A\nB\nC\nD\nE\n");
	CHECK_STR(R.job[2].command, "fake oC oD");
	CHECK_INT(queue_unfinished(R.q), 0);
	teardown();

	setup(2);
	R.o.fill = 1;
	add("oA", "oB", "oC", NULL);
	CHECK_INT(run(), 0);
	CHECK_INT(sched_started(R.p), 1);
	CHECK_STR(spawn_of(1, 0)->script, "oA oB oC");
	teardown();

	/* -X -n 2 (GNU parallel): at most 2 a job; the job that reaches the
	 * end spreads its records over the slots, one that does not (one more
	 * came) keeps its 2 */
	fill_capped(2, 5, "oA oB|oC oD|oE");
	fill_capped(4, 4, "oA oB|oC oD");

	/* an empty queue: nothing runs, the pool is finished */
	setup(2);
	CHECK_INT(run(), 0);
	CHECK(sched_finished(R.p) && sched_started(R.p) == 0);
	CHECK_STR(R.events, "");
	teardown();
}

/* --dry-run, a command too long for the kernel, a value the template
 * refuses: no process, and the right status. */
static void test_unstarted(void)
{
	const char *arith[] = {"echo", "$(({}+1))"};
	struct template *t = tpl_new(arith, 2, 0);
	char *huge = malloc(200 * 1024);

	setup(1);
	R.o.dry_run = 1;
	add("oA", "x1", NULL);
	CHECK_INT(run(), 0);
	CHECK_INT(fk.nsp, 0);
	CHECK_STR(R.events, "l1 d1 l2 d2 ");
	CHECK(!R.job[1].failed && !R.job[2].failed);
	CHECK_STR(R.job[2].command, "fake x1");
	CHECK_STR(contents(R.out), "");
	teardown();

	memset(huge, 'o', 200 * 1024 - 1);
	huge[200 * 1024 - 1] = '\0';
	setup(1);
	add(huge, "oB", NULL);
	CHECK_INT(run(), 0);
	CHECK(R.job[1].too_long && R.job[1].failed);
	CHECK(!ran(1) && ran(2));
	CHECK_STR(R.events, "d1 l2 f2 d2 "); /* no launch, not logged */
	CHECK_INT(sched_failed(R.p), 1);
	teardown();
	free(huge);

	setup(1);
	R.o.tpl = t;
	add("5", "a b", NULL);
	CHECK_INT(run(), 0);
	CHECK(!R.job[1].failed && R.job[2].failed && R.job[2].exitval == 255);
	CHECK(strncmp(R.job[2].refused, "at 1:", 5) == 0);
	CHECK_STR(R.job[1].refused, "");
	CHECK(!ran(2));
	CHECK_STR(R.events, "l1 f1 d1 d2 ");
	teardown();
	template_free(t);
}

/* Our stdout closed by its reader: the run ends, running jobs too. */
static void test_output_closed(void)
{
	int p[2];

	setup(2);
	if (pipe2(p, O_CLOEXEC) == -1)
		return;
	close(p[0]);
	R.o.sched.out_fd = p[1];
	add("g", "oB", "oC", NULL);
	CHECK_INT(run(), 0);
	CHECK(sched_output_closed(R.p));
	CHECK(R.job[1].terminated);
	CHECK_INT(sched_started(R.p), 2);
	close(p[1]);
	teardown();
}

/* --delay: starts spaced at least that far apart. */
static void test_delay(void)
{
	setup(3);
	R.o.delay_ms = 25;
	add("oA", "oB", "oC", NULL);
	CHECK_INT(run(), 0);
	CHECK(spawn_of(2, 0)->at_ms - spawn_of(1, 0)->at_ms >= 25);
	CHECK(spawn_of(3, 0)->at_ms - spawn_of(2, 0)->at_ms >= 25);
	teardown();
}

/* A throttle holds new starts until it lets go and the pool is kicked;
 * a want callback is asked for records. */
static int throttled;
static int throttle(void *data)
{
	return throttled;
}

static unsigned wants;
static void want_more(void *data)
{
	static const char *v[] = {"oW"};

	wants++;
	if (wants <= 2)
		add_rec(1, v);
	else
		queue_close(R.q);
}

static void test_throttle_and_want(void)
{
	setup(2);
	add("oA", "oB", NULL);
	queue_close(R.q);
	R.p = pool_new(R.l, &R.o, &R.ev);
	sched_set_source(R.p, R.q, NULL, NULL);
	throttled = 1;
	sched_set_throttle(R.p, throttle, NULL);
	sched_start(R.p);
	CHECK_INT(sched_started(R.p), 0);
	CHECK(!sched_finished(R.p));
	throttled = 0;
	sched_kick(R.p);
	CHECK_INT(sched_started(R.p), 2);
	while (!sched_finished(R.p) && loop_run_once(R.l) == 0)
		;
	CHECK_INT(sched_succeeded(R.p), 2);
	teardown();

	setup(1);
	wants = 0;
	R.p = pool_new(R.l, &R.o, &R.ev);
	sched_set_source(R.p, R.q, want_more, NULL);
	CHECK_INT(sched_run(R.p), 0);
	CHECK_INT(sched_started(R.p), 2);
	CHECK_INT(wants, 3);
	CHECK_STR(contents(R.out), "W\nW\n");
	teardown();
}

/* sched_terminate (Ctrl-C) after a job: running jobs ended, nothing
 * new started. */
static void test_terminate(void)
{
	setup(2);
	R.terminate_on_finish = 2;
	add("g", "oB", "oC", NULL);
	CHECK_INT(run(), 0);
	CHECK_INT(sched_started(R.p), 2);
	CHECK_STR(contents(R.out), "B\n");
	CHECK(R.job[1].terminated && R.job[1].sig == SIGTERM);
	CHECK(!ran(3));
	teardown();
}

/* Big output while another job is the writer: buffered (spilled past
 * mem_limit) and written whole, in order. */
static void test_spill(void)
{
	size_t len;

	setup(2);
	R.o.sched.order = ORDER_IMAP;
	R.o.mem_limit = 1024;
	add("g oA", "b300000", NULL);
	R.open_on_finish[2] = 1;
	CHECK_INT(run(), 0);
	len = strlen(contents(R.out));
	CHECK_INT(len, sizeof(outbuf) - 1); /* at least that much */
	CHECK(strncmp(outbuf, "A\nxxx", 5) == 0);
	{
		struct stat st;

		fstat(R.out, &st);
		CHECK_INT(st.st_size, 2 + 300000 + 1);
	}
	teardown();
}

int main(void)
{
	const char *fw[] = {"fake", "{}"};
	char cmd[PATH_MAX + 16];

	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(top) == NULL)
		return 99;
	memset(&fk, 0, sizeof(fk));
	memset(fk.gate_w, -1, sizeof(fk.gate_w));
	the_tpl = tpl_new(fw, 2, 0);
	test_basic();
	test_slots();
	test_unordered();
	test_imap();
	test_map();
	test_output_modes();
	test_spawn_failures();
	test_out_of_fds();
	test_halt();
	test_retries();
	test_timeout();
	test_callbacks();
	test_results();
	test_skip();
	test_batches();
	test_unstarted();
	test_output_closed();
	test_delay();
	test_throttle_and_want();
	test_terminate();
	test_spill();
	template_free(the_tpl);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", top);
	return UNIT_DONE();
}
