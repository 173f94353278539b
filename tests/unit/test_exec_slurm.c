/* Unit tests for lib/exec_slurm without a Slurm cluster: the allocation
 * read from SLURM_* variables (slots, errors), the srun command line of
 * each job (a printf standing in for srun), terminate through stand-in
 * squeue and scancel, and --slurm-alloc through a stand-in salloc. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec_slurm.h"
#include "loop.h"
#include "unit.h"

static char top[] = "/tmp/test_exec_slurmXXXXXX";
static char logpath[128];
static char text[8192];
static sigset_t nomask;
static char *envp_min[] = {(char *)"PATH=/usr/bin:/bin", NULL};

/* Everything on fd until EOF into text; closes fd. */
static const char *read_all(int fd)
{
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(text) - 1 &&
	       (n = read(fd, text + len, sizeof(text) - 1 - len)) > 0)
		len += (size_t)n;
	text[len] = '\0';
	close(fd);
	return text;
}

/* The stand-ins' log (what squeue, scancel and salloc were run with),
 * emptied. */
static const char *take_log(void)
{
	int fd = open(logpath, O_RDONLY);

	if (fd == -1)
		return "";
	read_all(fd);
	unlink(logpath);
	return text;
}

/* Make an executable script at top/name. */
static void script(const char *name, const char *body)
{
	char p[PATH_MAX + 64];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", top, name);
	f = fopen(p, "w");
	fprintf(f, "#!/bin/sh\n%s", body);
	fclose(f);
	chmod(p, 0755);
}

/* No SLURM_* variable of ours. */
static void clear_slurm(void)
{
	unsetenv("SLURM_JOB_ID");
	unsetenv("SLURM_JOB_NODELIST");
	unsetenv("SLURM_NTASKS");
	unsetenv("SLURM_CPUS_PER_TASK");
	unsetenv("SLURM_JOB_CPUS_PER_NODE");
}

/* exec_slurm_new with cpus and srun; err in text. */
static struct exec_slurm *make(unsigned cpus, const char *srun,
			       const char *shell)
{
	struct exec_slurm_opts o = {cpus, NULL, srun, shell};

	memset(text, 'Z', 64);
	return exec_slurm_new(&o, text, sizeof(text));
}

/* Slots from the allocation's CPUs; the errors outside one. */
static void test_alloc_vars(void)
{
	struct exec_slurm *s;

	clear_slurm();
	errno = 0;
	CHECK(make(1, NULL, NULL) == NULL && errno == ESRCH);
	CHECK_STR(text, "not inside a Slurm allocation (SLURM_JOB_ID is not "
			"set): run inside salloc or sbatch, or use "
			"--slurm-alloc OPTIONS");
	setenv("SLURM_JOB_ID", "", 1);
	errno = 0;
	CHECK(make(1, NULL, NULL) == NULL && errno == ESRCH);

	/* tasks x CPUs per task, divided by the CPUs of a job */
	setenv("SLURM_JOB_ID", "42", 1);
	setenv("SLURM_NTASKS", "4", 1);
	setenv("SLURM_CPUS_PER_TASK", "2", 1);
	setenv("SLURM_JOB_CPUS_PER_NODE", "64", 1); /* not used */
	setenv("SLURM_JOB_NODELIST", "n[1-2]", 1);
	s = make(3, NULL, NULL);
	CHECK(s != NULL);
	CHECK_INT(exec_slurm_slots(s), 2);
	CHECK_STR(exec_slurm_jobid(s), "42");
	CHECK_STR(text, ""); /* err emptied on success */
	{
		const struct executor *e = exec_slurm_executor(s);

		CHECK_STR(e->name, "slurm");
		CHECK(e->terminate != NULL && e->host != NULL);
		CHECK_STR(e->host(e->ctx, 1), "n[1-2]");
		CHECK_STR(e->host(e->ctx, 2), "n[1-2]");
		CHECK(e->host(e->ctx, 0) == NULL); /* callbacks run here */
	}
	exec_slurm_free(s);
	s = make(0, NULL, NULL); /* 0 CPUs means 1 */
	CHECK(s != NULL && exec_slurm_slots(s) == 8);
	exec_slurm_free(s);
	s = make(8, NULL, NULL); /* all of it: one slot */
	CHECK(s != NULL && exec_slurm_slots(s) == 1);
	exec_slurm_free(s);
	errno = 0;
	CHECK(make(9, NULL, NULL) == NULL && errno == EINVAL);
	CHECK_STR(text, "the Slurm allocation has 8 CPUs, fewer than "
			"--slurm-cpus 9");

	unsetenv("SLURM_CPUS_PER_TASK"); /* tasks alone: one CPU each */
	s = make(1, NULL, NULL);
	CHECK(s != NULL && exec_slurm_slots(s) == 4);
	exec_slurm_free(s);

	/* no task count: the sum of SLURM_JOB_CPUS_PER_NODE */
	unsetenv("SLURM_NTASKS");
	unsetenv("SLURM_JOB_NODELIST");
	setenv("SLURM_JOB_CPUS_PER_NODE", "4(x2),2", 1);
	s = make(1, NULL, NULL);
	CHECK(s != NULL && exec_slurm_slots(s) == 10);
	CHECK(s != NULL &&
	      exec_slurm_executor(s)->host(exec_slurm_executor(s)->ctx, 1) ==
		      NULL);
	exec_slurm_free(s);
	setenv("SLURM_NTASKS", "0", 1);
	setenv("SLURM_JOB_CPUS_PER_NODE", "3,5(x3)", 1);
	s = make(2, NULL, NULL);
	CHECK(s != NULL && exec_slurm_slots(s) == 9); /* 18 / 2 */
	exec_slurm_free(s);
	unsetenv("SLURM_NTASKS");
	unsetenv("SLURM_JOB_CPUS_PER_NODE");
	errno = 0;
	CHECK(make(1, NULL, NULL) == NULL && errno == EINVAL);
	CHECK_STR(text, "the Slurm allocation has 0 CPUs, fewer than "
			"--slurm-cpus 1");

	/* an empty srun command */
	setenv("SLURM_NTASKS", "2", 1);
	errno = 0;
	CHECK(make(1, " \t ", NULL) == NULL && errno == EINVAL);
	CHECK_STR(text, "the srun command is empty");
	exec_slurm_free(NULL);
}

/* Start one job through the executor (stdout and stderr on one pipe)
 * and wait; its output in text. */
static pid_t spawn(const struct executor *e, char *const *argv,
		   const char *cmd, unsigned slot, unsigned long long seq,
		   int *status)
{
	struct exec_request req = {0};
	int p[2], ee = -1, null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid_t pid = -1;

	text[0] = '\0';
	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	req.argv = argv;
	req.shell_cmd = cmd;
	req.envp = envp_min;
	req.fd_in = null;
	req.fd_out = p[1];
	req.fd_err = p[1];
	req.sigmask = &nomask;
	req.slot = slot;
	req.seq = seq;
	if (e->spawn(e->ctx, &req, &pid, &ee) == -1)
		pid = -1;
	close(p[1]);
	close(null);
	read_all(p[0]);
	if (pid > 0)
		waitpid(pid, status, 0);
	return pid;
}

/* The srun command line of each form; slot 0 and slots past the
 * allocation run here without srun. */
static void test_argv(void)
{
	char *argv[] = {"echo", "a b", "$x", NULL};
	char *here[] = {"echo", "here", NULL};
	char want[1024];
	struct exec_slurm *s;
	const struct executor *e;
	int st = -1;

	clear_slurm();
	setenv("SLURM_JOB_ID", "42", 1);
	setenv("SLURM_NTASKS", "4", 1);
	setenv("SLURM_CPUS_PER_TASK", "2", 1);
	s = make(3, "printf  [%s]\\n", NULL);
	CHECK(s != NULL);
	e = exec_slurm_executor(s);
	CHECK(spawn(e, argv, NULL, 1, 7, &st) > 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	snprintf(want, sizeof(want),
		 "[--jobid=42]\n[--exact]\n[-n1]\n[-N1]\n[-c]\n[3]\n[-QQ]\n"
		 "[--job-name=mprun-%ld-7]\n[--]\n[/bin/sh]\n[-c]\n"
		 "[exec \"$@\"]\n[mprun]\n[echo]\n[a b]\n[$x]\n",
		 (long)getpid());
	CHECK_STR(text, want);
	CHECK(spawn(e, NULL, "echo 'hi there'", 2, 12, &st) > 0);
	snprintf(want, sizeof(want),
		 "[--jobid=42]\n[--exact]\n[-n1]\n[-N1]\n[-c]\n[3]\n[-QQ]\n"
		 "[--job-name=mprun-%ld-12]\n[--]\n[/bin/sh]\n[-c]\n"
		 "[echo 'hi there']\n",
		 (long)getpid());
	CHECK_STR(text, want);
	/* slot 0 (a callback) and a slot past the allocation: here */
	CHECK(spawn(e, here, NULL, 0, 3, &st) > 0);
	CHECK_STR(text, "here\n");
	CHECK(spawn(e, NULL, "echo here too", 3, 4, &st) > 0);
	CHECK_STR(text, "here too\n");
	exec_slurm_free(s);

	/* srun's own words first; the shell of shell commands */
	s = make(1, "printf [%s]\\n --mpi=none", "/bin/dash");
	CHECK(s != NULL);
	e = exec_slurm_executor(s);
	CHECK(spawn(e, NULL, "true", 1, 1, &st) > 0);
	snprintf(want, sizeof(want),
		 "[--mpi=none]\n[--jobid=42]\n[--exact]\n[-n1]\n[-N1]\n[-c]\n"
		 "[1]\n[-QQ]\n[--job-name=mprun-%ld-1]\n[--]\n[/bin/dash]\n"
		 "[-c]\n[true]\n",
		 (long)getpid());
	CHECK_STR(text, want);
	exec_slurm_free(s);
	/* srun not found: the job exits 127, as here */
	s = make(1, "/nonexistent/srun", NULL);
	CHECK(s != NULL);
	CHECK(spawn(exec_slurm_executor(s), here, NULL, 1, 1, &st) > 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 127);
	exec_slurm_free(s);
}

/* Start one job through the executor and leave it running. */
static pid_t spawn_running(const struct executor *e, unsigned slot,
			   unsigned long long seq)
{
	char *argv[] = {"true", NULL};
	struct exec_request req = {0};
	int ee = -1, null = open("/dev/null", O_RDWR | O_CLOEXEC);
	pid_t pid = -1;

	req.argv = argv;
	req.envp = envp_min;
	req.fd_in = req.fd_out = req.fd_err = null;
	req.sigmask = &nomask;
	req.slot = slot;
	req.seq = seq;
	if (e->spawn(e->ctx, &req, &pid, &ee) == -1)
		pid = -1;
	close(null);
	return pid;
}

/* A loop timer of test_terminate: the loop turns. */
static void tick(struct loop *l, void *data)
{
}

/* A loop timer of test_terminate: stop looking. */
static void time_up(struct loop *l, void *data)
{
	*(int *)data = 1;
}

/* Run the loop until the stand-ins' log has n lines (at most 5 s); the
 * log, emptied. */
static const char *log_after(struct loop *l, int n)
{
	struct loop_timer *t;
	char buf[4096];
	int late = 0, fd, lines;
	ssize_t got;

	t = loop_timer_add(l, 5000, time_up, &late);
	while (!late) {
		lines = 0;
		fd = open(logpath, O_RDONLY);
		got = fd >= 0 ? read(fd, buf, sizeof(buf)) : 0;
		if (fd >= 0)
			close(fd);
		for (ssize_t i = 0; i < got; i++)
			lines += buf[i] == '\n';
		if (lines >= n)
			break;
		loop_timer_add(l, 10, tick, NULL);
		loop_run_once(l);
	}
	if (!late)
		loop_timer_cancel(l, t);
	return take_log();
}

/* terminate: nothing waits. The step is found by its name with squeue,
 * scancelled with the signal, and then srun gets the signal (the pool
 * leaves srun alone: 1), all in the loop; looked up once; SIGKILL is for
 * the pool to send too (0); a job without a step: srun alone; only for
 * the job's own pid and slot; helpers still running end with the loop. */
static void test_terminate(void)
{
	char want[512];
	struct exec_slurm *s;
	const struct executor *e;
	struct loop *l = loop_new();
	uint64_t t0;
	int st = 0;
	pid_t p1, p2, hung, r;

	clear_slurm();
	setenv("SLURM_JOB_ID", "42", 1);
	setenv("SLURM_NTASKS", "2", 1);
	snprintf(want, sizeof(want),
		 "[ -z \"$HANG\" ] || { echo \"squeue $$\" >>%s; exec sleep 3; }\n"
		 "sleep 0.3; echo \"squeue $*\" >>%s\n"
		 "echo '42.3 mprun-%ld-70'\n"
		 "echo '42.4 mprun-%ld-7'\n"
		 "echo '42.5 other-job'\n",
		 logpath, logpath, (long)getpid(), (long)getpid());
	script("squeue", want);
	snprintf(want, sizeof(want), "echo \"scancel $*\" >>%s\n", logpath);
	script("scancel", want);
	/* srun: says which signal reached it, then ends */
	snprintf(want, sizeof(want),
		 "trap 'echo \"srun $8 TERM\" >>%s; exit 0' TERM\n"
		 "trap 'echo \"srun $8 INT\" >>%s; exit 0' INT\n"
		 "while :; do sleep 0.02; done\n",
		 logpath, logpath);
	script("fake-srun", want);
	s = make(1, "fake-srun", NULL);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	e = exec_slurm_executor(s);
	CHECK_INT(e->attach(e->ctx, l), 0);
	p1 = spawn_running(e, 1, 7);
	p2 = spawn_running(e, 2, 9);
	usleep(100 * 1000); /* the srun stand-ins set their traps */
	take_log();
	t0 = loop_now_ms();
	CHECK_INT(e->terminate(e->ctx, p1, 1, SIGTERM), 1);
	CHECK(loop_now_ms() - t0 < 100); /* squeue takes 300 ms: not waited */
	snprintf(want, sizeof(want),
		 "squeue -h -s -j 42 -o %%i %%j\n"
		 "scancel --signal=TERM 42.4\n"
		 "srun --job-name=mprun-%ld-7 TERM\n",
		 (long)getpid());
	CHECK_STR(log_after(l, 3), want);
	CHECK_INT(e->terminate(e->ctx, p1, 1, SIGKILL), 0); /* step known */
	CHECK_STR(log_after(l, 1), "scancel --signal=KILL 42.4\n");
	CHECK_INT(e->terminate(e->ctx, p1 + 1000, 1, SIGTERM), 0);
	CHECK_INT(e->terminate(e->ctx, p1, 0, SIGTERM), 0); /* slot 0 */
	CHECK_INT(e->terminate(e->ctx, p1, 3, SIGTERM), 0); /* no such slot */
	/* job 9 has no step (yet): srun gets it alone */
	CHECK_INT(e->terminate(e->ctx, p2, 2, SIGINT), 1);
	snprintf(want, sizeof(want),
		 "squeue -h -s -j 42 -o %%i %%j\n"
		 "srun --job-name=mprun-%ld-9 INT\n",
		 (long)getpid());
	CHECK_STR(log_after(l, 2), want);
	waitpid(p1, &st, 0);
	waitpid(p2, &st, 0);

	/* a squeue that hangs: the loop goes on; it ends with the loop */
	setenv("HANG", "1", 1);
	p1 = spawn_running(e, 1, 7);
	usleep(100 * 1000);
	CHECK_INT(e->terminate(e->ctx, p1, 1, SIGTERM), 1);
	{
		const char *got = log_after(l, 1);

		hung = strncmp(got, "squeue ", 7) == 0 ? atoi(got + 7) : 0;
	}
	CHECK(hung > 0);
	t0 = loop_now_ms();
	CHECK_INT(e->attach(e->ctx, NULL), 0);
	/* killed at once: reaped here, or by helper_free's own waitpid
	 * when SIGKILL took effect before it looked (then it is gone) */
	st = 0;
	r = hung > 0 ? waitpid(hung, &st, 0) : 0;
	CHECK((r == hung && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) ||
	      (r == -1 && errno == ECHILD && kill(hung, 0) == -1));
	CHECK(loop_now_ms() - t0 < 1000);
	unsetenv("HANG");
	kill(p1, SIGKILL);
	waitpid(p1, &st, 0);
	/* without a loop: srun alone, nothing started */
	p1 = spawn_running(e, 1, 7);
	CHECK_INT(e->terminate(e->ctx, p1, 1, SIGTERM), 0);
	kill(p1, SIGKILL);
	waitpid(p1, &st, 0);
	CHECK_STR(take_log(), "");
	exec_slurm_free(s);
	loop_free(l);
}

/* --slurm-alloc: salloc holds an allocation until the executor is freed;
 * its variables (not ours) make the slots; a failing salloc is EIO with
 * its message; a salloc that ends badly is scancelled. */
static void test_salloc(void)
{
	struct exec_slurm_opts o = {2, "-p good  -t 5", "true", NULL};
	struct exec_slurm *s;
	char body[1024];

	snprintf(body, sizeof(body),
		 "echo \"salloc $1 $2 $3 $4 $5 $6\" >>%s\n"
		 "if [ \"$2\" = bad ]; then\n"
		 "  echo 'salloc: Pending job allocation 5' >&2\n"
		 "  echo 'salloc: error: invalid partition: bad' >&2\n"
		 "  exit 1\n"
		 "fi\n"
		 "while [ \"$1\" != /bin/sh ]; do shift; done\n"
		 "SLURM_JOB_ID=77 SLURM_JOB_NODELIST=node7 SLURM_NTASKS=2 \\\n"
		 "SLURM_CPUS_PER_TASK=3 \"$@\"\n"
		 "echo \"released $?\" >>%s\n"
		 "exit ${FAKE_SALLOC_EXIT:-0}\n",
		 logpath, logpath);
	script("salloc", body);
	snprintf(body, sizeof(body), "echo \"scancel $*\" >>%s\n", logpath);
	script("scancel", body);
	clear_slurm();
	take_log();
	s = exec_slurm_new(&o, text, sizeof(text));
	CHECK(s != NULL);
	CHECK_STR(exec_slurm_jobid(s), "77");
	CHECK_INT(exec_slurm_slots(s), 3); /* 2 x 3 CPUs, 2 a job */
	CHECK_STR(exec_slurm_executor(s)->host(exec_slurm_executor(s)->ctx, 1),
		  "node7");
	CHECK(getenv("SLURM_JOB_ID") == NULL); /* ours untouched */
	CHECK_STR(take_log(), "salloc -p good -t 5 /bin/sh -c\n");
	exec_slurm_free(s); /* closes its stdin: released, no scancel */
	CHECK_STR(take_log(), "released 0\n");

	setenv("FAKE_SALLOC_EXIT", "1", 1);
	s = exec_slurm_new(&o, text, sizeof(text));
	CHECK(s != NULL);
	exec_slurm_free(s);
	CHECK_STR(take_log(), "salloc -p good -t 5 /bin/sh -c\n"
			      "released 0\nscancel 77\n");
	unsetenv("FAKE_SALLOC_EXIT");

	o.alloc = "-p bad";
	errno = 0;
	CHECK(exec_slurm_new(&o, text, sizeof(text)) == NULL && errno == EIO);
	CHECK_STR(text, "salloc -p bad: salloc: error: invalid partition: bad");
	take_log();

	/* an allocation inside one: SLURM_JOB_ID of ours is not used */
	setenv("SLURM_JOB_ID", "42", 1);
	o.alloc = "-p good";
	s = exec_slurm_new(&o, text, sizeof(text));
	CHECK(s != NULL && strcmp(exec_slurm_jobid(s), "77") == 0);
	exec_slurm_free(s);
	take_log();
	clear_slurm();
}

int main(void)
{
	char path[2 * PATH_MAX + 16];

	sigemptyset(&nomask);
	if (mkdtemp(top) == NULL)
		return 99;
	snprintf(logpath, sizeof(logpath), "%s/log", top);
	snprintf(path, sizeof(path), "%s:%s", top, getenv("PATH"));
	setenv("PATH", path, 1);
	test_alloc_vars();
	test_argv();
	test_terminate();
	test_salloc();
	snprintf(path, sizeof(path), "rm -rf '%s'", top);
	if (system(path) != 0)
		printf("# could not remove %s\n", top);
	return UNIT_DONE();
}
