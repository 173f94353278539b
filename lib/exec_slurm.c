/* exec_slurm: run each job as a step of a Slurm allocation with srun. */
#include "exec_slurm.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "exec_local.h"
#include "internal.h"

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

struct slurm_slot {
	pid_t pid;		/* the job's srun */
	unsigned long long seq; /* its job number */
	char step[64];		/* "JOB.STEP" once looked up */
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
	/* --slurm-alloc: the salloc holding the allocation */
	struct exec_helper holder;
	int holding;
	int hold_fd; /* write end of its command's stdin, or -1 */
	char *err;
	size_t errlen;
};

/* Write a message into the caller's error buffer; errno is set to e. */
static void slurm_err(struct exec_slurm *s, int e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void slurm_err(struct exec_slurm *s, int e, const char *fmt, ...)
{
	va_list ap;

	if (s->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(s->err, s->errlen, fmt, ap);
		va_end(ap);
	}
	errno = e;
}

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
	return s->slots == NULL ? -1 : 0;
}

/* Read the holder's output into out (stderr into err) until the ready
 * line or the end. 0 when ready. */
static int holder_wait_ready(struct exec_slurm *s, struct buf *out,
			     struct buf *err)
{
	struct pollfd pfd[2];
	char chunk[4096];
	ssize_t n;
	int i, *fd[2] = {&s->holder.out, &s->holder.err};
	struct buf *b[2] = {out, err};

	while (s->holder.out >= 0 || s->holder.err >= 0) {
		if (out->data != NULL && strstr(out->data, READY "\n") != NULL)
			return 0;
		for (i = 0; i < 2; i++)
			pfd[i] = (struct pollfd){*fd[i], POLLIN, 0};
		if (poll(pfd, 2, -1) == -1 && errno != EINTR)
			return -1;
		for (i = 0; i < 2; i++) {
			if (*fd[i] < 0 || pfd[i].revents == 0)
				continue;
			n = read(*fd[i], chunk, sizeof(chunk));
			if (n > 0 && buf_append(b[i], chunk, (size_t)n) == -1)
				return -1;
			if (n == 0 || (n == -1 && errno != EINTR)) {
				close(*fd[i]);
				*fd[i] = -1;
			}
		}
	}
	return out->data != NULL && strstr(out->data, READY "\n") != NULL
		       ? 0
		       : -1;
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

/* Start salloc with a holding command; hold_fd gets its stdin. */
static int holder_start(struct exec_slurm *s, const char *opts)
{
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
	if (exec_local_helper_start((char *const *)a.v, p[0], &s->holder) ==
	    -1) {
		close_keep_errno(p[1]);
		goto out;
	}
	s->holding = 1;
	s->hold_fd = p[1];
	rc = 0;
out:
	close_keep_errno(p[0]);
	strv_free(words);
	free(a.v);
	return rc;
}

/* --slurm-alloc: get an allocation and wait until it is granted. */
static int get_alloc(struct exec_slurm *s, const char *opts)
{
	struct buf out = BUF_INIT, err = BUF_INIT;
	int rc = -1;

	if (holder_start(s, opts) == -1)
		goto out;
	if (holder_wait_ready(s, &out, &err) == -1) {
		slurm_err(s, EIO, "salloc %s: %s", opts,
			  *last_line(&err) ? last_line(&err)
					   : "no allocation");
		goto out;
	}
	s->vars = parse_vars(&out);
	rc = s->vars == NULL ? -1 : 0;
out:
	buf_free(&out);
	buf_free(&err);
	return rc;
}

/* Give the allocation back: close the holder's stdin, wait for salloc;
 * scancel it if salloc did not end well (killed by a sweep, say). */
static void release_alloc(struct exec_slurm *s)
{
	char *argv[] = {(char *)"scancel", s->jobid, NULL};
	int status = 0, ok;

	close_keep_errno(s->hold_fd);
	s->hold_fd = -1;
	ok = exec_local_helper_finish(&s->holder, NULL, NULL,
				      RELEASE_TIMEOUT_MS, &status) == 0 &&
	     WIFEXITED(status) && WEXITSTATUS(status) == 0;
	s->holding = 0;
	if (!ok && s->jobid != NULL)
		exec_local_helper_run(argv, NULL, NULL, HELPER_TIMEOUT_MS,
				      &status);
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

/* executor.spawn: srun the job as a step (slot 0, callbacks: here). */
static int slurm_spawn(void *ctx, const struct exec_request *req, pid_t *pid,
		       int *exec_errno)
{
	struct exec_slurm *s = ctx;
	struct exec_request r = *req;
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
	if (rc == 0)
		s->slots[req->slot] = (struct slurm_slot){*pid, req->seq, ""};
	free(a.v);
	return rc;
}

/* Find the step of slot sl by its name (squeue -s); 0 when found. */
static int find_step(struct exec_slurm *s, struct slurm_slot *sl)
{
	char *argv[] = {(char *)"squeue", (char *)"-h", (char *)"-s",
			(char *)"-j", s->jobid, (char *)"-o", (char *)"%i %j",
			NULL};
	struct buf out = BUF_INIT;
	char want[96], *line, *sp;
	int status;

	snprintf(want, sizeof(want), " mprun-%ld-%llu\n", s->self, sl->seq);
	if (exec_local_helper_run(argv, &out, NULL, HELPER_TIMEOUT_MS,
				  &status) == 0 &&
	    out.data != NULL && buf_append_char(&out, '\n') == 0 &&
	    (sp = strstr(out.data, want)) != NULL) {
		*sp = '\0';
		line = strrchr(out.data, '\n');
		line = line != NULL ? line + 1 : out.data;
		snprintf(sl->step, sizeof(sl->step), "%s", line);
	}
	buf_free(&out);
	return sl->step[0] != '\0' ? 0 : -1;
}

/* executor.terminate: scancel --signal=SIG the job's step. */
static int slurm_terminate(void *ctx, pid_t pid, unsigned slot, int sig)
{
	struct exec_slurm *s = ctx;
	struct slurm_slot *sl;
	const char *name = sigabbrev_np(sig);
	char sigarg[48];
	char *argv[] = {(char *)"scancel", sigarg, NULL, NULL};
	int status;

	if (slot == 0 || slot > s->nslots || name == NULL)
		return 0;
	sl = &s->slots[slot];
	if (sl->pid != pid || (sl->step[0] == '\0' && find_step(s, sl) == -1))
		return 0;
	snprintf(sigarg, sizeof(sigarg), "--signal=%s", name);
	argv[2] = sl->step;
	exec_local_helper_run(argv, NULL, NULL, HELPER_TIMEOUT_MS, &status);
	return 0; /* srun is signalled too: it passes the signal on */
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
				    slurm_host, s};
	return s;
fail:
	if (errlen > 0 && err[0] == '\0')
		snprintf(err, errlen, "%s", strerror(errno));
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
	if (s->holding)
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
