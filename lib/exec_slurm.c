/* exec_slurm: run each job as a step of a Slurm allocation with srun. */
#include "exec_slurm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "exec_local.h"
#include "helper.h"
#include "internal.h"
#include "loop.h"

#define HELPER_TIMEOUT_MS 5000	/* squeue, scancel */
#define RELEASE_TIMEOUT_MS 15000 /* salloc giving the allocation back */
#define READY "mprun-alloc-ready"

extern char **environ;

/* Run by sh with "$@" = salloc and its options: salloc's command reports
 * the allocation, then holds it until its stdin (our pipe) closes. salloc
 * runs in the background (with stdin moved back explicitly) so that the sh,
 * not salloc, is the process that dies with mprun. */
static const char hold_sh[] =
	"exec 3<&0; \"$@\" /bin/sh -c 'env | grep \"^SLURM_\"; echo " READY
	"; exec cat >/dev/null' <&3 3<&- & wait $!";

/* The argv form runs through sh for the exit status of exec failures. */
static const char exec_sh[] = "exec \"$@\"";

struct exec_slurm;

/* A slot's job, and the signals on their way to its step: terminate()
 * asks squeue for the step (once), then scancels it with the signal, then
 * passes the signal on to srun; all through helpers in the loop. */
struct slurm_slot {
	pid_t pid;		/* the job's srun */
	unsigned long long seq; /* its job number */
	char step[64];		/* "JOB.STEP" once looked up */
	struct helper *busy;	/* its squeue or scancel, or NULL */
	int sig;		/* the next signal for the step, or 0 */
	int sent;		/* the signal busy scancels with, or 0 */
	int srun_fd;		/* a pidfd of srun (from terminate), or -1 */
	struct exec_slurm *s;
};

struct exec_slurm {
	struct executor exec;
	const struct executor *local;
	char **srun; /* the srun command's words */
	size_t nsrun;
	char *shell;
	char **vars; /* the allocation's SLURM_* ("NAME=value"), or NULL:
		      * environ */
	char *jobid;
	char *nodes;
	char jobid_arg[80];
	char cpus_arg[16];
	unsigned cpus;
	unsigned nslots;
	struct slurm_slot *slots; /* [1..nslots] */
	long self;
	struct loop *loop; /* where helpers run (set-up, run), or NULL */
	/* --slurm-alloc: the salloc holding the allocation */
	struct helper *holder;
	int held;    /* its allocation was granted */
	int holder_ended;
	int hold_fd; /* write end of its command's stdin, or -1 */
	char *err;
	size_t errlen;
};

/* Write a message into the caller's error buffer; errno is set to e. */
#define slurm_err(s, e, ...) \
	errbuf_printf((s)->err, (s)->errlen, (e), __VA_ARGS__)

/* A variable of the allocation. */
static const char *alloc_var(const struct exec_slurm *s, const char *name)
{
	return env_lookup(s->vars != NULL ? s->vars : environ, name);
}

/* The last non-empty line of b, or "". */
static const char *last_line(struct buf *b)
{
	char *p;

	if (b->data == NULL)
		return "";
	while (b->len > 0 && b->data[b->len - 1] == '\n')
		b->data[--b->len] = '\0';
	p = strrchr(b->data, '\n');
	return p != NULL ? p + 1 : b->data;
}

/* --- the allocation ------------------------------------------------------ */

/* CPUs in SLURM_JOB_CPUS_PER_NODE ("4(x2),2" is 10). */
static unsigned long cpus_per_node_sum(const char *s)
{
	unsigned long sum = 0, n, times;
	char *end;

	while (s != NULL && *s != '\0') {
		n = strtoul(s, &end, 10);
		times = 1;
		if (strncmp(end, "(x", 2) == 0)
			times = strtoul(end + 2, &end, 10);
		sum += n * times;
		s = strchr(end, ',');
		if (s != NULL)
			s++;
	}
	return sum;
}

/* The allocation's CPUs: tasks x CPUs per task, else all its CPUs. */
static unsigned long alloc_cpus(const struct exec_slurm *s)
{
	const char *ntasks = alloc_var(s, "SLURM_NTASKS");
	const char *cpt = alloc_var(s, "SLURM_CPUS_PER_TASK");

	if (ntasks != NULL && strtoul(ntasks, NULL, 10) > 0)
		return strtoul(ntasks, NULL, 10) *
		       (cpt != NULL && strtoul(cpt, NULL, 10) > 0
				? strtoul(cpt, NULL, 10)
				: 1);
	return cpus_per_node_sum(alloc_var(s, "SLURM_JOB_CPUS_PER_NODE"));
}

/* Job id, node list and slots from the allocation's variables. */
static int use_alloc(struct exec_slurm *s)
{
	const char *id = alloc_var(s, "SLURM_JOB_ID");
	const char *nodes = alloc_var(s, "SLURM_JOB_NODELIST");
	unsigned long cpus = alloc_cpus(s);
	unsigned k;

	if (id == NULL || *id == '\0') {
		slurm_err(s, EIO, "the Slurm allocation has no SLURM_JOB_ID");
		return -1;
	}
	if (cpus < s->cpus) {
		slurm_err(s, EINVAL,
			  "the Slurm allocation has %lu CPUs, fewer than "
			  "--slurm-cpus %u",
			  cpus, s->cpus);
		return -1;
	}
	s->nslots = (unsigned)(cpus / s->cpus);
	s->jobid = strdup(id);
	s->nodes = nodes != NULL ? strdup(nodes) : NULL;
	if (s->jobid == NULL || (nodes != NULL && s->nodes == NULL))
		return -1;
	snprintf(s->jobid_arg, sizeof(s->jobid_arg), "--jobid=%s", id);
	s->slots = calloc(s->nslots + 1, sizeof(*s->slots));
	if (s->slots == NULL)
		return -1;
	for (k = 0; k <= s->nslots; k++) {
		s->slots[k].srun_fd = -1;
		s->slots[k].s = s;
	}
	return 0;
}

/* The holder said something: is the allocation granted? */
static void holder_output(void *data, struct helper *h)
{
	struct exec_slurm *s = data;
	struct buf *out = helper_out(h);

	if (out->data != NULL && strstr(out->data, READY "\n") != NULL)
		s->held = 1;
}

/* The holder ended (salloc gave up, failed, or released the allocation). */
static void holder_done(void *data, struct helper *h)
{
	struct exec_slurm *s = data;

	holder_output(s, h);
	s->holder_ended = 1;
}

/* The holder ended. */
static int holder_settled_end(void *data)
{
	return ((struct exec_slurm *)data)->holder_ended;
}

/* Granted, or no allocation will come. */
static int holder_settled(void *data)
{
	struct exec_slurm *s = data;

	return s->held || s->holder_ended;
}

/* The holder's SLURM_* lines as a NULL-terminated "NAME=value" array. */
static char **parse_vars(struct buf *out)
{
	char **v = calloc(out->len / 2 + 2, sizeof(char *));
	char *line = out->data, *nl;
	size_t k = 0;

	while (v != NULL && line != NULL && *line != '\0') {
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (strncmp(line, "SLURM_", 6) == 0 &&
		    (v[k++] = strdup(line)) == NULL) {
			strv_free(v);
			return NULL;
		}
		line = nl != NULL ? nl + 1 : NULL;
	}
	return v;
}

/* Start salloc with a holding command in the executor's loop; hold_fd
 * gets its stdin. */
static int holder_start(struct exec_slurm *s, const char *opts)
{
	struct helper_opts ho = {-1, 0, holder_output, holder_done, s};
	struct words a = {0};
	char **words = NULL;
	size_t n;
	int p[2] = {-1, -1}, rc = -1;

	words = strv_split_blanks(opts, &n);
	if (words == NULL || words_add(&a, "/bin/sh") == -1 ||
	    words_add(&a, "-c") == -1 || words_add(&a, hold_sh) == -1 ||
	    words_add(&a, "mprun-alloc") == -1 || words_add(&a, "salloc") == -1 ||
	    words_add_all(&a, words) == -1 || pipe2(p, O_CLOEXEC) == -1)
		goto out;
	ho.fd_in = p[0];
	s->holder = helper_start(s->loop, (char *const *)a.v, &ho);
	if (s->holder == NULL) {
		close_keep_errno(p[1]);
		goto out;
	}
	s->hold_fd = p[1];
	rc = 0;
out:
	close_keep_errno(p[0]);
	strv_free(words);
	free(a.v);
	return rc;
}

/* --slurm-alloc: get an allocation and wait until it is granted, in a
 * loop of our own (no run yet) where SIGINT, SIGTERM and SIGHUP end the
 * wait (EINTR). */
static int get_alloc(struct exec_slurm *s, const char *opts)
{
	struct helper_wait w;
	struct buf *err;
	int rc = -1;

	if (helper_wait_init(&w, 1) == -1)
		return -1;
	s->loop = w.loop;
	if (holder_start(s, opts) == -1)
		goto out;
	if (helper_wait_run(&w, holder_settled, s) == -1) {
		if (errno == EINTR)
			slurm_err(s, EINTR, "interrupted (SIG%s) while waiting "
				  "for the Slurm allocation",
				  sigabbrev_np(w.signo));
		goto out;
	}
	err = helper_err(s->holder);
	if (!s->held) {
		slurm_err(s, EIO, "salloc %s: %s", opts,
			  *last_line(err) ? last_line(err) : "no allocation");
		goto out;
	}
	s->vars = parse_vars(helper_out(s->holder));
	rc = s->vars == NULL ? -1 : 0;
out:
	if (s->holder != NULL)
		helper_set_loop(s->holder, NULL);
	s->loop = NULL;
	helper_wait_fini(&w);
	return rc;
}

/* Give the allocation back: close the holder's stdin (a salloc still
 * waiting for its allocation gets SIGTERM: it withdraws the request) and
 * wait for salloc, at most RELEASE_TIMEOUT_MS; scancel the allocation if
 * salloc did not end well (killed by a sweep, say). The run is over: this
 * waits in a loop of its own. */
static void release_alloc(struct exec_slurm *s)
{
	char *argv[] = {(char *)"scancel", s->jobid, NULL};
	struct helper_wait w;
	int status = 0, ok = 0;

	close_keep_errno(s->hold_fd);
	s->hold_fd = -1;
	if (!s->held && !s->holder_ended)
		kill(-helper_pid(s->holder), SIGTERM);
	if (helper_wait_init(&w, 0) == 0) {
		if (helper_set_loop(s->holder, w.loop) == 0 &&
		    (s->holder_ended ||
		     helper_set_timeout(s->holder, RELEASE_TIMEOUT_MS) == 0))
			helper_wait_run(&w, holder_settled_end, s);
		ok = s->holder_ended && helper_ok(s->holder);
		helper_free(s->holder);
		s->holder = NULL;
		helper_wait_fini(&w);
	}
	if (!ok && s->jobid != NULL)
		helper_run(argv, NULL, NULL, HELPER_TIMEOUT_MS, &status);
}

/* --- the executor --------------------------------------------------------- */

/* The srun argv of a job into a; the step name is kept in name. */
static int srun_argv(struct exec_slurm *s, const struct exec_request *req,
		     struct words *a, char *name, size_t len)
{
	snprintf(name, len, "--job-name=mprun-%ld-%llu", s->self, req->seq);
	if (words_add_all(a, s->srun) == -1 ||
	    words_add(a, s->jobid_arg) == -1 || words_add(a, "--exact") == -1 ||
	    words_add(a, "-n1") == -1 || words_add(a, "-N1") == -1 ||
	    words_add(a, "-c") == -1 || words_add(a, s->cpus_arg) == -1 ||
	    words_add(a, "-QQ") == -1 || words_add(a, name) == -1 ||
	    words_add(a, "--") == -1)
		return -1;
	if (req->shell_cmd != NULL) {
		if (words_add(a, s->shell ? s->shell : "/bin/sh") == -1 ||
		    words_add(a, "-c") == -1)
			return -1;
		return words_add(a, req->shell_cmd);
	}
	if (words_add(a, "/bin/sh") == -1 || words_add(a, "-c") == -1 ||
	    words_add(a, exec_sh) == -1 || words_add(a, "mprun") == -1)
		return -1;
	return words_add_all(a, req->argv);
}

static void slot_reset(struct slurm_slot *sl);

/* executor.spawn: srun the job as a step (slot 0, callbacks: here). */
static int slurm_spawn(void *ctx, const struct exec_request *req, pid_t *pid,
		       int *exec_errno)
{
	struct exec_slurm *s = ctx;
	struct exec_request r = *req;
	struct slurm_slot *sl;
	struct words a = {0};
	char name[96];
	int rc = -1;

	if (req->slot == 0 || req->slot > s->nslots)
		return s->local->spawn(s->local->ctx, req, pid, exec_errno);
	if (srun_argv(s, req, &a, name, sizeof(name)) == 0) {
		r.argv = (char *const *)a.v;
		r.shell_cmd = NULL;
		rc = s->local->spawn(s->local->ctx, &r, pid, exec_errno);
	}
	if (rc == 0) {
		sl = &s->slots[req->slot];
		slot_reset(sl);
		sl->pid = *pid;
		sl->seq = req->seq;
		sl->step[0] = '\0';
	}
	free(a.v);
	return rc;
}

/* End what runs for slot sl's job: its squeue or scancel, its pidfd. */
static void slot_reset(struct slurm_slot *sl)
{
	helper_free(sl->busy);
	sl->busy = NULL;
	sl->sig = sl->sent = 0;
	close_keep_errno(sl->srun_fd);
	sl->srun_fd = -1;
}

/* Pass sig on to the job's srun (by its pidfd: no other process can get
 * it, even if srun was reaped meanwhile). */
static void srun_signal(struct slurm_slot *sl, int sig)
{
	if (sl->srun_fd >= 0 && sig != SIGKILL)
		syscall(SYS_pidfd_send_signal, sl->srun_fd, sig, NULL, 0);
}

static void step_next(struct slurm_slot *sl);

/* The step of slot sl's job, from squeue's lines "ID NAME", or "". */
static void step_found(void *data, struct helper *h)
{
	struct slurm_slot *sl = data;
	struct buf *out = helper_out(h);
	char want[96], *line, *sp;

	snprintf(want, sizeof(want), " mprun-%ld-%llu\n", sl->s->self,
		 sl->seq);
	if (helper_ok(h) && out->data != NULL &&
	    buf_append_char(out, '\n') == 0 &&
	    (sp = strstr(out->data, want)) != NULL) {
		*sp = '\0';
		line = strrchr(out->data, '\n');
		line = line != NULL ? line + 1 : out->data;
		snprintf(sl->step, sizeof(sl->step), "%s", line);
	}
	helper_free(h);
	sl->busy = NULL;
	if (sl->step[0] == '\0') { /* no step (yet): srun gets it alone */
		srun_signal(sl, sl->sig);
		sl->sig = 0;
	}
	step_next(sl);
}

/* scancel ended: the step has its signal; now srun. */
static void step_signalled(void *data, struct helper *h)
{
	struct slurm_slot *sl = data;

	helper_free(h);
	sl->busy = NULL;
	srun_signal(sl, sl->sent);
	sl->sent = 0;
	step_next(sl);
}

/* Start what comes next for slot sl's signal: find its step (squeue -s,
 * by its name), or scancel --signal=SIG it. */
static void step_next(struct slurm_slot *sl)
{
	struct exec_slurm *s = sl->s;
	struct helper_opts o = {-1, HELPER_TIMEOUT_MS, NULL, step_found, sl};
	char *squeue[] = {(char *)"squeue", (char *)"-h", (char *)"-s",
			  (char *)"-j", s->jobid, (char *)"-o", (char *)"%i %j",
			  NULL};
	char sigarg[48];
	char *scancel[] = {(char *)"scancel", sigarg, sl->step, NULL};

	if (sl->busy != NULL || sl->sig == 0 || s->loop == NULL)
		return;
	if (sl->step[0] == '\0') {
		sl->busy = helper_start(s->loop, squeue, &o);
	} else {
		snprintf(sigarg, sizeof(sigarg), "--signal=%s",
			 sigabbrev_np(sl->sig));
		o.done = step_signalled;
		sl->sent = sl->sig;
		sl->sig = 0;
		sl->busy = helper_start(s->loop, scancel, &o);
	}
	if (sl->busy == NULL) { /* srun passes it on, as it can */
		srun_signal(sl, sl->sent != 0 ? sl->sent : sl->sig);
		sl->sig = sl->sent = 0;
	}
}

/* executor.terminate: scancel --signal=SIG the job's step, then pass SIG
 * on to srun (which would kill the step at once), without waiting: 1, the
 * pool leaves srun alone. SIGKILL goes to the step too, but srun is
 * killed by the pool at once (0). Without a loop: 0, srun alone. */
static int slurm_terminate(void *ctx, pid_t pid, unsigned slot, int sig)
{
	struct exec_slurm *s = ctx;
	struct slurm_slot *sl;

	if (slot == 0 || slot > s->nslots || sigabbrev_np(sig) == NULL ||
	    s->loop == NULL)
		return 0;
	sl = &s->slots[slot];
	if (sl->pid != pid)
		return 0;
	/* not reaped yet (the pool asks only then): this pidfd is srun's */
	if (sl->srun_fd < 0)
		sl->srun_fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (sl->srun_fd < 0 && sig != SIGKILL)
		return 0;
	sl->sig = sig;
	step_next(sl);
	return sig == SIGKILL ? 0 : 1;
}

/* executor.attach: helpers run in l from now on (the holder too); none
 * when l is NULL (the run is over: the slots' helpers are ended). */
static int slurm_attach(void *ctx, struct loop *l)
{
	struct exec_slurm *s = ctx;
	unsigned k;

	for (k = 1; l == NULL && s->slots != NULL && k <= s->nslots; k++)
		slot_reset(&s->slots[k]);
	s->loop = l;
	return s->holder != NULL ? helper_set_loop(s->holder, l) : 0;
}

/* executor.host: the allocation's nodes (slot 0: here). */
static const char *slurm_host(void *ctx, unsigned slot)
{
	struct exec_slurm *s = ctx;

	return slot == 0 ? NULL : s->nodes;
}

/* Copy the options. */
static int copy_opts(struct exec_slurm *s, const struct exec_slurm_opts *o)
{
	s->cpus = o->cpus ? o->cpus : 1;
	snprintf(s->cpus_arg, sizeof(s->cpus_arg), "%u", s->cpus);
	s->local = exec_local(o->shell);
	s->self = (long)getpid();
	s->hold_fd = -1;
	s->srun = strv_split_blanks(o->srun != NULL ? o->srun : "srun",
				    &s->nsrun);
	if (s->srun == NULL)
		return -1;
	if (s->nsrun == 0) {
		slurm_err(s, EINVAL, "the srun command is empty");
		return -1;
	}
	if (o->shell != NULL && (s->shell = strdup(o->shell)) == NULL)
		return -1;
	return 0;
}

struct exec_slurm *exec_slurm_new(const struct exec_slurm_opts *o, char *err,
				  size_t errlen)
{
	struct exec_slurm *s = calloc(1, sizeof(*s));
	const char *id = getenv("SLURM_JOB_ID");

	if (s == NULL)
		return NULL;
	s->err = err;
	s->errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
	if (copy_opts(s, o) == -1)
		goto fail;
	if (o->alloc == NULL && (id == NULL || *id == '\0')) {
		slurm_err(s, ESRCH,
			  "not inside a Slurm allocation (SLURM_JOB_ID is "
			  "not set): run inside salloc or sbatch, or use "
			  "--slurm-alloc OPTIONS");
		goto fail;
	}
	if ((o->alloc != NULL && get_alloc(s, o->alloc) == -1) ||
	    use_alloc(s) == -1)
		goto fail;
	s->exec = (struct executor){"slurm", slurm_spawn, slurm_terminate,
				    slurm_host, s, slurm_attach};
	return s;
fail:
	errbuf_errno(err, errlen);
	exec_slurm_free(s);
	return NULL;
}

const struct executor *exec_slurm_executor(struct exec_slurm *s)
{
	return &s->exec;
}

unsigned exec_slurm_slots(const struct exec_slurm *s)
{
	return s->nslots;
}

const char *exec_slurm_jobid(const struct exec_slurm *s)
{
	return s->jobid;
}

void exec_slurm_free(struct exec_slurm *s)
{
	int saved = errno;

	if (s == NULL)
		return;
	slurm_attach(s, NULL);
	if (s->holder != NULL)
		release_alloc(s);
	strv_free(s->srun);
	strv_free(s->vars);
	free(s->shell);
	free(s->jobid);
	free(s->nodes);
	free(s->slots);
	free(s);
	errno = saved;
}
