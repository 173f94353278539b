/* Unit tests for lib/exec_local: real jobs through /bin/sh and execve —
 * exit statuses (126, 127), the job's environment, descriptors, process
 * group, signals and mask, the death signal, $PATH lookup. (Helper
 * commands: test_helper.c.) */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec_local.h"
#include "unit.h"

static char top[] = "/tmp/test_exec_localXXXXXX";
static const struct executor *ex;
static char out[8192];
static sigset_t nomask;
static char *envp_min[] = {(char *)"FOO=bar baz",
			   (char *)"PATH=/usr/bin:/bin", NULL};

/* Everything on fd until EOF, into out; closes fd. */
static const char *read_all(int fd)
{
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(out) - 1 &&
	       (n = read(fd, out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(fd);
	return out;
}

/* The result of one job. */
struct result {
	int rc;		/* of spawn */
	int exec_errno;
	int status;	/* wait status */
	char text[4096]; /* stdout and stderr, in the order written */
};

/* Run a job with argv or cmd (the other NULL) and envp, its stdout and
 * stderr on one pipe, stdin /dev/null; wait for it. */
static void run(char *const *argv, const char *cmd, char *const *envp,
		struct result *r)
{
	struct exec_request req = {0};
	int p[2], null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	pid_t pid = -1;

	memset(r, 0, sizeof(*r));
	r->exec_errno = -1;
	if (pipe2(p, O_CLOEXEC) == -1)
		return;
	req.argv = argv;
	req.shell_cmd = cmd;
	req.envp = envp != NULL ? envp : envp_min;
	req.fd_in = null;
	req.fd_out = p[1];
	req.fd_err = p[1];
	req.sigmask = &nomask;
	req.slot = 1;
	req.seq = 1;
	r->rc = ex->spawn(ex->ctx, &req, &pid, &r->exec_errno);
	close(p[1]);
	close(null);
	snprintf(r->text, sizeof(r->text), "%s", read_all(p[0]));
	if (r->rc == 0)
		waitpid(pid, &r->status, 0);
}

/* Did the job exit with code? */
static int exited(const struct result *r, int code)
{
	return r->rc == 0 && WIFEXITED(r->status) &&
	       WEXITSTATUS(r->status) == code;
}

/* Make an executable (or not) file with text. */
static void make_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd == -1 || write(fd, text, strlen(text)) < 0)
		printf("# cannot write %s\n", path);
	close(fd);
	chmod(path, mode);
}

/* Shell and argv forms, exit codes, and exec failures as 127 / 126. */
static void test_status(void)
{
	char *echo[] = {"echo", "a  b", "c", NULL};
	char *absent[] = {"/nonexistent/prog", NULL};
	char *unknown[] = {"mprun-no-such-program-x", "a", NULL};
	char *dir[] = {top, NULL};
	char path[PATH_MAX], script[PATH_MAX];
	char *noexec[] = {path, NULL};
	char *noshebang[] = {script, "x", NULL};
	struct result r;

	run(echo, NULL, NULL, &r);
	CHECK(exited(&r, 0) && r.exec_errno == 0);
	CHECK_STR(r.text, "a  b c\n");
	run(NULL, "echo one; echo two >&2; exit 3", NULL, &r);
	CHECK(exited(&r, 3) && r.exec_errno == 0);
	CHECK_STR(r.text, "one\ntwo\n");
	run(NULL, "kill -TERM $$", NULL, &r);
	CHECK(r.rc == 0 && WIFSIGNALED(r.status) &&
	      WTERMSIG(r.status) == SIGTERM);

	run(absent, NULL, NULL, &r);
	CHECK(exited(&r, 127) && r.exec_errno == ENOENT);
	CHECK_STR(r.text, ""); /* the executor itself writes nothing */
	run(unknown, NULL, NULL, &r);
	CHECK(exited(&r, 127) && r.exec_errno == ENOENT);
	snprintf(path, sizeof(path), "%s/noexec", top);
	make_file(path, "#!/bin/sh\necho ran\n", 0644);
	run(noexec, NULL, NULL, &r);
	CHECK(exited(&r, 126) && r.exec_errno == EACCES);
	CHECK_STR(r.text, "");
	run(dir, NULL, NULL, &r);
	CHECK(exited(&r, 126) && r.exec_errno == EACCES);
	/* A script with no #! line runs with /bin/sh, as execvp does. */
	snprintf(script, sizeof(script), "%s/noshebang", top);
	make_file(script, "echo \"script $1\"\nexit 5\n", 0755);
	run(noshebang, NULL, NULL, &r);
	CHECK(exited(&r, 5) && r.exec_errno == 0);
	CHECK_STR(r.text, "script x\n");

	/* The shell of shell commands; NULL keeps the one set. */
	ex = exec_local("/nonexistent/sh");
	run(NULL, "echo hi", NULL, &r);
	CHECK(exited(&r, 127) && r.exec_errno == ENOENT);
	ex = exec_local(NULL);
	run(NULL, "echo hi", NULL, &r);
	CHECK(exited(&r, 127) && r.exec_errno == ENOENT);
	ex = exec_local("/bin/sh");
	run(NULL, "echo hi", NULL, &r);
	CHECK(exited(&r, 0) && r.exec_errno == 0);
	CHECK_STR(r.text, "hi\n");
	CHECK_STR(ex->name, "local");
	CHECK(ex->terminate == NULL && ex->host == NULL);
}

/* The job gets envp and nothing else of ours. */
static void test_env(void)
{
	char *env[] = {"/usr/bin/env", NULL};
	char *noenv[] = {NULL};
	struct result r;

	setenv("MPRUN_TEST_LEAK", "1", 1);
	run(env, NULL, NULL, &r);
	CHECK(exited(&r, 0));
	CHECK_STR(r.text, "FOO=bar baz\nPATH=/usr/bin:/bin\n");
	run(NULL, "echo \"[$FOO]\" \"[${MPRUN_TEST_LEAK-unset}]\"", NULL, &r);
	CHECK_STR(r.text, "[bar baz] [unset]\n");
	run(env, NULL, noenv, &r);
	CHECK(exited(&r, 0));
	CHECK_STR(r.text, "");
	unsetenv("MPRUN_TEST_LEAK");
}

/* Descriptors: stdin, stdout and stderr as given, even when one already
 * has its target's number; close-on-exec ones stay out. */
static void test_fds(void)
{
	char *cat[] = {"cat", NULL};
	struct exec_request req = {0};
	int in[2], o[2], e[2], saved, st = -1, e2 = -1;
	char cmd[128];
	pid_t pid;
	struct result r;

	/* separate stdout and stderr */
	CHECK_INT(pipe2(in, O_CLOEXEC), 0);
	CHECK_INT(pipe2(o, O_CLOEXEC), 0);
	CHECK_INT(pipe2(e, O_CLOEXEC), 0);
	req.shell_cmd = "read x; echo \"out $x\"; echo \"err $x\" >&2";
	req.envp = envp_min;
	req.fd_in = in[0];
	req.fd_out = o[1];
	req.fd_err = e[1];
	req.sigmask = &nomask;
	CHECK_INT(ex->spawn(ex->ctx, &req, &pid, &e2), 0);
	close(in[0]);
	close(o[1]);
	close(e[1]);
	CHECK_INT(write(in[1], "v\n", 2), 2);
	close(in[1]);
	CHECK_STR(read_all(o[0]), "out v\n");
	CHECK_STR(read_all(e[0]), "err v\n");
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	/* stdin given as fd 0 itself, close-on-exec: cat still reads it */
	saved = dup(0);
	CHECK_INT(pipe2(in, O_CLOEXEC), 0);
	CHECK_INT(pipe2(o, O_CLOEXEC), 0);
	CHECK_INT(dup3(in[0], 0, O_CLOEXEC), 0);
	close(in[0]);
	req = (struct exec_request){.argv = cat, .envp = envp_min, .fd_in = 0,
				    .fd_out = o[1], .fd_err = o[1],
				    .sigmask = &nomask};
	CHECK_INT(ex->spawn(ex->ctx, &req, &pid, &e2), 0);
	dup2(saved, 0);
	close(saved);
	close(o[1]);
	CHECK_INT(write(in[1], "through fd 0\n", 13), 13);
	close(in[1]);
	CHECK_STR(read_all(o[0]), "through fd 0\n");
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	/* a close-on-exec descriptor of ours is not the job's */
	CHECK_INT(pipe2(in, O_CLOEXEC), 0);
	snprintf(cmd, sizeof(cmd),
		 "[ -e /proc/$$/fd/%d ] && echo open || echo closed; "
		 "[ -e /proc/$$/fd/2 ] && echo 2 open",
		 in[1]);
	run(NULL, cmd, NULL, &r);
	CHECK_STR(r.text, "closed\n2 open\n");
	close(in[0]);
	close(in[1]);
}

/* Own process group; the mask given; ignored signals back at default;
 * our own mask untouched. */
static void test_signals(void)
{
	char *blk[] = {"grep", "^SigBlk", "/proc/self/status", NULL};
	char *cat[] = {"cat", NULL};
	struct exec_request req = {0};
	sigset_t mask, after;
	int in[2], st = -1, e = -1;
	pid_t pid;
	struct result r;

	CHECK_INT(pipe2(in, O_CLOEXEC), 0);
	req = (struct exec_request){.argv = cat, .envp = envp_min,
				    .fd_in = in[0], .fd_out = 2, .fd_err = 2,
				    .sigmask = &nomask};
	CHECK_INT(ex->spawn(ex->ctx, &req, &pid, &e), 0);
	CHECK_INT(getpgid(pid), pid); /* a group of its own */
	CHECK(getpgid(pid) != getpgid(0));
	close(in[0]);
	close(in[1]);
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	/* our mask blocks SIGUSR2, the job's blocks SIGUSR1 only */
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR2);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	{
		struct exec_request rq = {.argv = blk, .envp = envp_min,
					  .sigmask = &mask};
		int o[2];

		CHECK_INT(pipe2(o, O_CLOEXEC), 0);
		rq.fd_in = o[0];
		rq.fd_out = o[1];
		rq.fd_err = o[1];
		CHECK_INT(ex->spawn(ex->ctx, &rq, &pid, &e), 0);
		close(o[1]);
		CHECK_STR(read_all(o[0]), "SigBlk:\t0000000000000200\n");
		waitpid(pid, &st, 0);
	}
	run(blk, NULL, NULL, &r);
	CHECK_STR(r.text, "SigBlk:\t0000000000000000\n");
	sigprocmask(SIG_BLOCK, NULL, &after);
	CHECK(sigismember(&after, SIGUSR2) && !sigismember(&after, SIGUSR1) &&
	      !sigismember(&after, SIGCHLD));
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR2);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);

	/* SIGPIPE is ignored here (main): the job gets it at its default */
	run(NULL, "kill -PIPE $$; echo survived", NULL, &r);
	CHECK(r.rc == 0 && WIFSIGNALED(r.status) &&
	      WTERMSIG(r.status) == SIGPIPE);
	CHECK_STR(r.text, "");
}

/* A job dies with the process that started it (PR_SET_PDEATHSIG): a
 * child of ours starts a job and exits; we, the subreaper, reap the job,
 * killed by SIGKILL. */
static void test_death_signal(void)
{
	int p[2], st = -1;
	pid_t starter, job = 0;

	CHECK_INT(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	CHECK_INT(pipe2(p, O_CLOEXEC), 0);
	starter = fork();
	if (starter == 0) {
		char *nap[] = {"sleep", "3", NULL};
		struct exec_request req = {.argv = nap, .envp = envp_min,
					   .fd_in = 0, .fd_out = 2, .fd_err = 2,
					   .sigmask = &nomask};
		pid_t pid = 0;
		int e;

		close(p[0]);
		if (ex->spawn(ex->ctx, &req, &pid, &e) == -1)
			pid = 0;
		if (write(p[1], &pid, sizeof(pid)) < 0)
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &job, sizeof(job)) != sizeof(job))
		job = 0;
	close(p[0]);
	waitpid(starter, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(job > 0);
	st = -1;
	if (job > 0)
		CHECK_INT(waitpid(job, &st, 0), job);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}

/* $PATH: looked up as it is now (the parent's lookup is cached per name
 * and $PATH); directories and files without x skipped. */
static void test_path(void)
{
	char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX], f[PATH_MAX + 32];
	char pathenv[3 * PATH_MAX + 32], *saved = strdup(getenv("PATH"));
	char *prog[] = {"mprun-test-prog", NULL};
	struct result r;

	snprintf(a, sizeof(a), "%s/a", top);
	snprintf(b, sizeof(b), "%s/b", top);
	snprintf(c, sizeof(c), "%s/c", top);
	mkdir(a, 0755);
	mkdir(b, 0755);
	mkdir(c, 0755);
	snprintf(f, sizeof(f), "%s/mprun-test-prog", a);
	make_file(f, "#!/bin/sh\necho A\n", 0755);
	snprintf(f, sizeof(f), "%s/mprun-test-prog", b);
	make_file(f, "#!/bin/sh\necho B\n", 0755);
	snprintf(f, sizeof(f), "%s/mprun-test-prog", c);
	mkdir(f, 0755); /* a directory of that name */

	snprintf(pathenv, sizeof(pathenv), "%s:%s:/usr/bin:/bin", c, a);
	setenv("PATH", pathenv, 1);
	run(prog, NULL, NULL, &r);
	CHECK(exited(&r, 0));
	CHECK_STR(r.text, "A\n");
	snprintf(pathenv, sizeof(pathenv), "%s:%s:/usr/bin:/bin", b, a);
	setenv("PATH", pathenv, 1);
	run(prog, NULL, NULL, &r);
	CHECK_STR(r.text, "B\n");
	/* not executable: skipped */
	snprintf(f, sizeof(f), "%s/mprun-test-prog", b);
	chmod(f, 0644);
	run(prog, NULL, NULL, &r);
	CHECK_STR(r.text, "A\n");
	snprintf(pathenv, sizeof(pathenv), "%s", c);
	setenv("PATH", pathenv, 1);
	run(prog, NULL, NULL, &r);
	CHECK(exited(&r, 126) || exited(&r, 127));
	CHECK(r.exec_errno == EACCES || r.exec_errno == ENOENT);
	setenv("PATH", saved, 1);
	free(saved);
}

/* A bash function exported into the job's environment runs through the
 * shell, its words as arguments (not code); a program of the same name
 * comes after it, as in the shell. */
static void test_function(void)
{
	char *fenv[] = {(char *)"BASH_FUNC_myf%%=() {  echo \"f:$1:$2\"\n}",
			(char *)"BASH_FUNC_true%%=() {  echo fn-true\n}",
			(char *)"PATH=/usr/bin:/bin", NULL};
	char *call[] = {"myf", "a b", "$(echo no)", NULL};
	char *tru[] = {"true", NULL};
	char *other[] = {"myfx", NULL};
	struct result r;

	ex = exec_local("/bin/bash");
	run(call, NULL, fenv, &r);
	CHECK(exited(&r, 0));
	CHECK_STR(r.text, "f:a b:$(echo no)\n");
	run(tru, NULL, fenv, &r);
	CHECK(exited(&r, 0));
	CHECK_STR(r.text, "fn-true\n");
	/* only the name exactly: myfx is no function (and no program) */
	run(other, NULL, fenv, &r);
	CHECK(exited(&r, 127));
	/* without the variable, the program */
	run(tru, NULL, NULL, &r);
	CHECK(exited(&r, 0));
	CHECK_STR(r.text, "");
	ex = exec_local("/bin/sh");
}

int main(void)
{
	char cmd[PATH_MAX + 16];

	/* before the first spawn: the executor notes what we ignore */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&nomask);
	if (mkdtemp(top) == NULL)
		return 99;
	ex = exec_local("/bin/sh");
	test_status();
	test_env();
	test_fds();
	test_signals();
	test_death_signal();
	test_path();
	test_function();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", top);
	return UNIT_DONE();
}
