/* Tests for lib/exec_ssh against two real sshd on the loopback
 * (tests/services/sshd.sh, on ports of their own so that tests/ssh.bats can
 * run at the same time): quoting of hostile inputs, output order across
 * hosts, dead hosts, --env, --workdir, --transfer/--return/--cleanup, and
 * that an ended job leaves no remote process. Needs root (the service makes
 * a test user); skipped otherwise. */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec_ssh.h"
#include "input.h"
#include "loop.h"
#include "pool.h"
#include "queue.h"
#include "template.h"
#include "termtree.h"
#include "unit.h"

#define SSHD_DIR "/tmp/mprun-sshd-unit"
#define KILLED_DIR "/tmp/mprun-unit-killed" /* test_killed's sockets */
#define REVIVE_DIR "/tmp/mprun-unit-revive" /* test_revive's files */
#define PORTS "MPRUN_SSHD_PORT_A=22042 MPRUN_SSHD_PORT_B=22043 " \
	      "MPRUN_SSHD_PORT_DEAD=22049"

static char ssh_cmd[512];
static const char *self; /* argv[0], to run killed_child() */
static char notices[4096];

/* Run a shell command line; its exit status. */
static int sh(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Start (or stop) the two sshd of this test. */
static int sshd(const char *what)
{
	char cmd[1024];
	const char *src = getenv("MPRUN_SRCDIR");

	snprintf(cmd, sizeof(cmd),
		 "MPRUN_SSHD_DIR=%s %s %s/tests/services/sshd.sh %s >&2",
		 SSHD_DIR, PORTS, src != NULL ? src : ".", what);
	return sh(cmd);
}

/* exec_ssh notice: keep the messages. */
static void on_notice(void *data, const char *msg)
{
	strncat(notices, msg, sizeof(notices) - strlen(notices) - 2);
	strcat(notices, "\n");
}

/* Options with the test's ssh command and the given logins. */
static struct exec_ssh_opts opts_for(char **logins, size_t n)
{
	struct exec_ssh_opts o = {0};

	o.logins = logins;
	o.nlogins = n;
	o.ssh = ssh_cmd;
	o.notice = on_notice;
	return o;
}

/* Everything in file fd, from its start. */
static char *slurp(int fd)
{
	static char data[1 << 16];
	ssize_t r = pread(fd, data, sizeof(data) - 1, 0);

	data[r > 0 ? r : 0] = '\0';
	return data;
}

/* What one pool run gave. */
struct run_result {
	char *out;
	unsigned long long failed;
	char hosts[8][32]; /* the Host column of jobs 1..7 */
	uint64_t last_tick, max_gap; /* the loop's ticker: longest pause */
	uint64_t ms;		     /* how long the run took */
};

/* A ticker in the run's loop: the longest time between two ticks shows
 * whether anything blocked the loop. */
static void ticker(struct loop *l, void *data)
{
	struct run_result *r = data;
	uint64_t now = loop_now_ms();

	if (r->last_tick != 0 && now - r->last_tick > r->max_gap)
		r->max_gap = now - r->last_tick;
	r->last_tick = now;
	loop_timer_add(l, 10, ticker, r);
}

/* pool event: note the host of each finished job. */
static void on_finished(void *data, const struct pool_job *j)
{
	struct run_result *r = data;
	unsigned long long seq = pool_job_seq(j);

	if (seq < 8)
		snprintf(r->hosts[seq], sizeof(r->hosts[seq]), "%s",
			 pool_job_host(j));
}

/* The loop timer of test_terminate: end the run. */
static void end_run(struct loop *l, void *data)
{
	pool_terminate(data);
}

/* Run words over the values through exec, -k order; the output is kept
 * in r (until the next run). terminate_ms > 0: pool_terminate then. */
static void run_pool(const struct executor *exec, unsigned slots,
		     char **words, size_t nwords, char **values, size_t n,
		     unsigned terminate_ms, struct run_result *r)
{
	struct pool_events ev = {.finished = on_finished, .data = r};
	struct pool_opts po = {0};
	struct input *in = input_new(&(struct input_opts){.delim = '\n'}, NULL, 0);
	struct queue *q = queue_new(n + 1);
	struct loop *l = loop_new();
	struct record *rec;
	struct pool *p;
	int out = open("/tmp", O_TMPFILE | O_RDWR, 0600);

	memset(r, 0, sizeof(*r));
	input_add_list(in, values, n, 0);
	while (input_next(in, &rec) == 1)
		queue_try_put(q, rec);
	queue_close(q);
	po.slots = slots;
	po.order = ORDER_IMAP;
	po.output = POOL_GROUP;
	po.tpl = template_new(words, nwords, 0, NULL);
	po.mem_limit = 1 << 20;
	po.spill_limit = 1 << 30;
	po.tmpdir = "/tmp";
	po.exec = exec;
	termseq_default(&po.termseq);
	po.out_fd = out;
	po.err_fd = out;
	exec->attach(exec->ctx, l); /* as the run does */
	p = pool_new(l, &po, &ev);
	pool_set_source(p, q, NULL, NULL);
	if (terminate_ms > 0)
		loop_timer_add(l, terminate_ms, end_run, p);
	loop_timer_add(l, 10, ticker, r);
	r->ms = loop_now_ms();
	pool_run(p);
	r->ms = loop_now_ms() - r->ms;
	r->failed = pool_failed(p);
	r->out = slurp(out);
	pool_free(p);
	template_free((struct template *)po.tpl);
	queue_free(q, (void (*)(void *))record_free);
	input_free(in);
	exec->attach(exec->ctx, NULL);
	loop_free(l);
	close(out);
}

/* Slots map to hosts in order; the Host column names them. */
static void test_slots(void)
{
	char *logins[] = {(char *)"2/mprun-a, 3/mprun-b", (char *)"1/:"};
	struct exec_ssh_opts o = opts_for(logins, 2);
	char err[256];
	struct exec_ssh *s = exec_ssh_new(&o, err, sizeof(err));
	const struct executor *e;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	e = exec_ssh_executor(s);
	CHECK_INT(exec_ssh_slots(s), 6);
	CHECK_STR(e->host(e->ctx, 1), "mprun-a");
	CHECK_STR(e->host(e->ctx, 2), "mprun-a");
	CHECK_STR(e->host(e->ctx, 3), "mprun-b");
	CHECK_STR(e->host(e->ctx, 5), "mprun-b");
	CHECK(e->host(e->ctx, 6) == NULL);
	CHECK(e->host(e->ctx, 0) == NULL);
	exec_ssh_free(s);
}

static char *hostile[] = {
	(char *)"$(touch /tmp/mprun-pwned-unit)",
	(char *)"a; touch /tmp/mprun-pwned-unit",
	(char *)"'\"",
	(char *)"two  spaces",
	(char *)"line1\nline2",
	(char *)"`touch /tmp/mprun-pwned-unit`",
	(char *)"*",
	(char *)"~",
	(char *)"\\",
	(char *)"-n",
	(char *)"|&;<>()$`\\\"' \t*?[#~=%",
};
#define NHOSTILE (sizeof(hostile) / sizeof(hostile[0]))

/* The hostile values, each followed by end, in order. */
static const char *hostile_expected(const char *end)
{
	static char want[1024];
	size_t i;

	want[0] = '\0';
	for (i = 0; i < NHOSTILE; i++) {
		strcat(want, hostile[i]);
		strcat(want, end);
	}
	return want;
}

/* Inputs that are code for a shell reach the remote command as literal
 * words, in the argv form and in the shell form, over two hosts, in order. */
static void test_quoting(void)
{
	char *logins[] = {(char *)"2/mprun-a,2/mprun-b"};
	char *argv_form[] = {(char *)"printf", (char *)"%s,", (char *)"{}"};
	char *shell_form[] = {(char *)"printf '%s\\n' {} | cat"};
	struct exec_ssh_opts o = opts_for(logins, 1);
	struct exec_ssh *s = exec_ssh_new(&o, NULL, 0);
	struct run_result r;

	unlink("/tmp/mprun-pwned-unit");
	CHECK(s != NULL);
	if (s == NULL)
		return;
	run_pool(exec_ssh_executor(s), 4, argv_form, 3, hostile, NHOSTILE, 0,
		 &r);
	CHECK_STR(r.out, hostile_expected(","));
	CHECK_INT(r.failed, 0);
	run_pool(exec_ssh_executor(s), 4, shell_form, 1, hostile, NHOSTILE, 0,
		 &r);
	CHECK_STR(r.out, hostile_expected("\n"));
	CHECK_INT(r.failed, 0);
	CHECK(access("/tmp/mprun-pwned-unit", F_OK) == -1);
	exec_ssh_free(s);
}

/* Exit statuses and stderr come back; the Host column names the host. */
static void test_status(void)
{
	char *logins[] = {(char *)"1/mprun-a,1/mprun-b"};
	char *words[] = {(char *)"echo out-{}; echo err-{} >&2; exit {}"};
	char *values[] = {(char *)"0", (char *)"3"};
	struct exec_ssh_opts o = opts_for(logins, 1);
	struct exec_ssh *s = exec_ssh_new(&o, NULL, 0);
	struct run_result r;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	run_pool(exec_ssh_executor(s), 2, words, 1, values, 2, 0, &r);
	CHECK_STR(r.out, "out-0\nerr-0\nout-3\nerr-3\n");
	CHECK_INT(r.failed, 1);
	CHECK_STR(r.hosts[1], "mprun-a");
	CHECK_STR(r.hosts[2], "mprun-b");
	exec_ssh_free(s);
}

/* A dead host is told once and not used; with none alive: EHOSTUNREACH. */
static void test_dead_host(void)
{
	char *logins[] = {(char *)"1/mprun-dead,1/mprun-b"};
	char *dead[] = {(char *)"mprun-dead"};
	char *bad[] = {(char *)"-oProxyCommand=touch /tmp/x"};
	char *words[] = {(char *)"echo", (char *)"{}"};
	char *values[] = {(char *)"1", (char *)"2", (char *)"3"};
	struct exec_ssh_opts o = opts_for(logins, 1);
	struct exec_ssh *s;
	struct run_result r;
	char err[256];

	notices[0] = '\0';
	s = exec_ssh_new(&o, err, sizeof(err));
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK(strstr(notices, "mprun-dead") != NULL);
	CHECK(strchr(notices, '\n') == strrchr(notices, '\n'));
	CHECK_INT(exec_ssh_slots(s), 1);
	run_pool(exec_ssh_executor(s), 1, words, 2, values, 3, 0, &r);
	CHECK_STR(r.out, "1\n2\n3\n");
	CHECK_STR(r.hosts[1], "mprun-b");
	CHECK_STR(r.hosts[3], "mprun-b");
	exec_ssh_free(s);

	o = opts_for(dead, 1);
	errno = 0;
	CHECK(exec_ssh_new(&o, err, sizeof(err)) == NULL);
	CHECK_INT(errno, EHOSTUNREACH);
	CHECK(strstr(err, "no SSH host") != NULL);
	o = opts_for(bad, 1);
	CHECK(exec_ssh_new(&o, err, sizeof(err)) == NULL);
	CHECK_INT(errno, EINVAL);
}

/* --env sends a variable (quoted) and --workdir is where jobs run. */
static void test_env_workdir(void)
{
	char *logins[] = {(char *)"mprun-a"};
	char *env[] = {(char *)"MPRUN_UNIT_VAR"};
	char *words[] = {(char *)"printf '%s|%s|' \"$MPRUN_UNIT_VAR\" "
				 "\"$MPRUN_SEQ\"; pwd"};
	char *values[] = {(char *)"x"};
	struct exec_ssh_opts o = opts_for(logins, 1);
	struct exec_ssh *s;
	struct run_result r;

	setenv("MPRUN_UNIT_VAR", "a 'b' $(touch /tmp/mprun-pwned-unit)", 1);
	o.env = env;
	o.nenv = 1;
	o.workdir = "mprun unit wd";
	s = exec_ssh_new(&o, NULL, 0);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	run_pool(exec_ssh_executor(s), 1, words, 1, values, 1, 0, &r);
	CHECK(strncmp(r.out, "a 'b' $(touch /tmp/mprun-pwned-unit)|1|/", 40) ==
	      0);
	CHECK(strstr(r.out, "/mprun unit wd\n") != NULL);
	CHECK(access("/tmp/mprun-pwned-unit", F_OK) == -1);
	exec_ssh_free(s);
}

/* Spawn one job straight through the executor with args; wait for it and
 * return its output (stdout and stderr) and wait status. */
static char *spawn_one(const struct executor *e, char **argv, char **args,
		       size_t nargs, int *status)
{
	static char out[8192];
	extern char **environ;
	struct exec_request req = {0};
	sigset_t none;
	int p[2], eno;
	ssize_t n, len = 0;
	pid_t pid;

	sigemptyset(&none);
	if (pipe2(p, O_CLOEXEC) == -1)
		abort();
	req.argv = argv;
	req.envp = environ;
	req.fd_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	req.fd_out = p[1];
	req.fd_err = p[1];
	req.sigmask = &none;
	req.slot = 1;
	req.seq = 1;
	req.args = args;
	req.nargs = nargs;
	if (e->spawn(e->ctx, &req, &pid, &eno) == -1)
		abort();
	close(p[1]);
	close(req.fd_in);
	while ((n = read(p[0], out + len, sizeof(out) - 1 - (size_t)len)) > 0)
		len += n;
	out[len] = '\0';
	close(p[0]);
	waitpid(pid, status, 0);
	return out;
}

/* --transfer copies the input file there, --return brings the result
 * back, --cleanup removes both there. */
static void test_files(void)
{
	char *logins[] = {(char *)"mprun-a"};
	char *rets[] = {(char *)"{}.out"};
	char *argv[] = {(char *)"sh", (char *)"-c",
			(char *)"tr a-z A-Z < \"$1\" > \"$1.out\"; cat \"$1.out\"",
			(char *)"sh", (char *)"in dir/it's.txt", NULL};
	char *args[] = {(char *)"in dir/it's.txt"};
	struct exec_ssh_opts o = opts_for(logins, 1);
	struct exec_ssh *s;
	const char *home = "/home/mprun-test/mprun-unit-files";
	char path[512], *out;
	int status;
	FILE *f;

	sh("rm -rf /home/mprun-test/mprun-unit-files 'in dir'; mkdir 'in dir'");
	f = fopen("in dir/it's.txt", "w");
	fputs("hello\n", f);
	fclose(f);
	o.transfer = 1;
	o.returns = rets;
	o.nreturns = 1;
	o.workdir = "mprun-unit-files";
	s = exec_ssh_new(&o, NULL, 0);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	out = spawn_one(exec_ssh_executor(s), argv, args, 1, &status);
	CHECK_STR(out, "HELLO\n");
	CHECK_INT(status, 0);
	f = fopen("in dir/it's.txt.out", "r");
	CHECK(f != NULL);
	if (f != NULL) {
		CHECK(fgets(path, sizeof(path), f) != NULL);
		CHECK_STR(path, "HELLO\n");
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/in dir/it's.txt", home);
	CHECK(access(path, F_OK) == 0); /* no --cleanup: left there */
	exec_ssh_free(s);

	o.cleanup = 1;
	unlink("in dir/it's.txt.out");
	s = exec_ssh_new(&o, NULL, 0);
	out = spawn_one(exec_ssh_executor(s), argv, args, 1, &status);
	CHECK_STR(out, "HELLO\n");
	CHECK(access("in dir/it's.txt.out", F_OK) == 0);
	CHECK(access(path, F_OK) == -1);
	strcat(path, ".out");
	CHECK(access(path, F_OK) == -1);
	exec_ssh_free(s);
	sh("rm -rf 'in dir'");
}

/* Is a process whose command line matches the regex s alive? (Write s
 * so that it does not match itself: "sleep 12[3]".) */
static int alive(const char *s)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "pgrep -f -- '%s' >/dev/null", s);
	return sh(cmd) == 0;
}

/* Wait up to ms for no process with s in its command line. */
static int gone_within(const char *s, int ms)
{
	struct timespec nap = {0, 100 * 1000 * 1000};

	for (; ms > 0; ms -= 100) {
		if (!alive(s))
			return 1;
		nanosleep(&nap, NULL);
	}
	return !alive(s);
}

/* Wait up to ms for a process with s in its command line. */
static int alive_within(const char *s, int ms)
{
	struct timespec nap = {0, 100 * 1000 * 1000};

	for (; ms > 0; ms -= 100) {
		if (alive(s))
			return 1;
		nanosleep(&nap, NULL);
	}
	return alive(s);
}

/* Ending the run (Ctrl-C) ends the remote trees, grandchildren too. */
static void test_terminate(void)
{
	char *logins[] = {(char *)"1/mprun-a,1/mprun-b"};
	char *words[] = {(char *)"sleep 7{} & sleep 8{}; echo never"};
	char *values[] = {(char *)"313", (char *)"314"};
	struct exec_ssh_opts o = opts_for(logins, 1);
	struct exec_ssh *s = exec_ssh_new(&o, NULL, 0);
	struct run_result r;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	run_pool(exec_ssh_executor(s), 2, words, 1, values, 2, 1500, &r);
	CHECK_INT(r.failed, 2);
	CHECK(strstr(r.out, "never") == NULL);
	CHECK(gone_within("sleep 831[34]", 3000));
	CHECK(gone_within("sleep 731[34]", 3000));
	exec_ssh_free(s);
}

/* The ssh of test_revive: a master start waits REVIVE_DIR/slow seconds
 * (as over a slow network), or fails when REVIVE_DIR/fail exists. */
static const char revive_ssh[] =
	"#!/bin/sh\n"
	"case \"$*\" in *ControlMaster=yes*)\n"
	"  if [ -e " REVIVE_DIR "/fail ]; then\n"
	"    echo 'ssh: connect to host mprun-a port 22: Connection refused' >&2\n"
	"    exit 255\n"
	"  fi\n"
	"  [ ! -e " REVIVE_DIR "/slow ] || sleep \"$(cat " REVIVE_DIR "/slow)\"\n"
	"esac\n"
	"exec ssh -F " SSHD_DIR "/ssh_config \"$@\"\n";

/* A new executor for mprun-a through the slow ssh, whose master is then
 * closed (as after 60 s idle). */
static struct exec_ssh *revive_setup(void)
{
	char *logins[] = {(char *)"1/mprun-a"};
	struct exec_ssh_opts o = opts_for(logins, 1);
	struct exec_ssh *s;
	char cmd[1024];

	sh("rm -f " REVIVE_DIR "/slow " REVIVE_DIR "/fail " REVIVE_DIR
	   "/ssh.d/mprun-ssh-*/*");
	o.ssh = REVIVE_DIR "/ssh";
	o.tmpdir = REVIVE_DIR "/ssh.d";
	s = exec_ssh_new(&o, NULL, 0);
	snprintf(cmd, sizeof(cmd),
		 "for s in %s/ssh.d/mprun-ssh-*/*; do %s -o ControlPath=\"$s\" "
		 "-O exit mprun-a 2>/dev/null; done",
		 REVIVE_DIR, ssh_cmd);
	sh(cmd);
	return s;
}

/* Run `echo {}` over n values on a new executor whose master was closed,
 * after the shell command flag. 0, or -1 when no executor was made. */
static int revive_run(const char *flag, size_t n, unsigned terminate_ms,
		      struct run_result *r)
{
	char *words[] = {(char *)"echo", (char *)"{}"};
	char *values[] = {(char *)"1", (char *)"2"};
	struct exec_ssh *s = revive_setup();

	if (s == NULL)
		return -1;
	sh(flag);
	run_pool(exec_ssh_executor(s), 1, words, 2, values, n, terminate_ms,
		 r);
	exec_ssh_free(s);
	return 0;
}

/* A master gone during the run is started again in the loop: the loop
 * goes on meanwhile (no pause), the jobs wait at their gate and then run
 * over it; a master that fails fails its jobs with its message; ending
 * the run while a master starts ends it at once, and the master too. */
static void test_revive(void)
{
	struct run_result r;
	FILE *f;

	sh("rm -rf " REVIVE_DIR "; mkdir -p " REVIVE_DIR "/ssh.d");
	f = fopen(REVIVE_DIR "/ssh", "w");
	if (f != NULL) {
		fputs(revive_ssh, f);
		fclose(f);
	}
	chmod(REVIVE_DIR "/ssh", 0755);

	CHECK_INT(revive_run("echo 1 >" REVIVE_DIR "/slow", 2, 0, &r), 0);
	CHECK_STR(r.out, "1\n2\n");
	CHECK_INT(r.failed, 0);
	CHECK(r.ms >= 1000);	 /* they waited for the master */
	CHECK(r.max_gap < 300); /* and the loop did not */

	CHECK_INT(revive_run("touch " REVIVE_DIR "/fail", 1, 0, &r), 0);
	CHECK_INT(r.failed, 1);
	CHECK(strstr(r.out, "mprun: SSH host mprun-a: the master connection "
			    "failed: ssh: connect to host mprun-a port 22: "
			    "Connection refused\n") != NULL);
	CHECK(r.max_gap < 300);

	CHECK_INT(revive_run("echo 57.31 >" REVIVE_DIR "/slow", 1, 300, &r), 0);
	CHECK_INT(r.failed, 1);
	CHECK(r.ms < 1000);
	CHECK(r.max_gap < 300);
	CHECK(gone_within("sleep 57[.]31", 1000)); /* [.]: not pgrep's sh */
	sh("rm -rf " REVIVE_DIR);
}

/* The process that test_killed kills: a run of `sleep 9315` on mprun-b
 * (a fresh process, like mprun; not a fork of the test). */
static int killed_child(void)
{
	char *logins[] = {(char *)"mprun-b"};
	char *words[] = {(char *)"sleep"};
	char *values[] = {(char *)"9315"};
	struct exec_ssh_opts o = opts_for(logins, 1);
	struct exec_ssh *s;
	struct run_result r;

	o.tmpdir = KILLED_DIR;
	s = exec_ssh_new(&o, NULL, 0);
	if (s != NULL)
		run_pool(exec_ssh_executor(s), 1, words, 1, values, 1, 0, &r);
	return 1;
}

/* mprun itself killed with SIGKILL: its ssh clients die with it (parent
 * death signal) and the remote watchers end the remote trees. */
static void test_killed(void)
{
	char cmd[1024];
	pid_t pid;
	int st;

	mkdir(KILLED_DIR, 0700);
	pid = fork();
	if (pid == 0) {
		execl(self, self, "killed-child", (char *)NULL);
		_exit(127);
	}
	CHECK(alive_within("sleep 931[5]", 10000));
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	CHECK(gone_within("sleep 931[5]", 4000));
	/* the master it left (it would go after 60 s idle) */
	snprintf(cmd, sizeof(cmd),
		 "for s in %s/mprun-ssh-*/*; do %s -o ControlPath=\"$s\" -O exit "
		 "mprun-b 2>/dev/null; done; rm -rf %s",
		 KILLED_DIR, ssh_cmd, KILLED_DIR);
	sh(cmd);
}

int main(int argc, char **argv)
{
	snprintf(ssh_cmd, sizeof(ssh_cmd), "ssh -F %s/ssh_config", SSHD_DIR);
	self = argv[0];
	if (argc > 1 && strcmp(argv[1], "killed-child") == 0)
		return killed_child();
	if (getuid() != 0) {
		printf("1..0 # SKIP needs root (starts sshd, adds a user)\n");
		return 0;
	}
	if (sshd("start") != 0) {
		printf("Bail out! tests/services/sshd.sh start failed\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	termtree_become_subreaper();
	test_slots();
	test_quoting();
	test_status();
	test_dead_host();
	test_env_workdir();
	test_files();
	test_terminate();
	test_revive();
	test_killed();
	sshd("stop");
	return UNIT_DONE();
}
