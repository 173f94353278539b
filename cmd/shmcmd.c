/* shmcmd: mprun --counter, --counters, --status, --cleanup, --sem. */
#include "shmcmd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mgr.h"
#include "parse.h"
#include "sem.h"
#include "shm.h"

#define EXIT_USAGE 255
#define EXIT_NOT_FOUND 1
#define SERVICE_TIMEOUT_MS 30000 /* a counter request to the service */

/* One command: its option and what does it (args[0] is the option). */
struct shmcmd {
	const char *opt;
	int takes_value; /* "--opt=VALUE" is "--opt VALUE" */
	int (*run)(int argc, char **args);
};

static int cmd_counter(int argc, char **args);
static int cmd_counters(int argc, char **args);
static int cmd_status(int argc, char **args);
static int cmd_cleanup(int argc, char **args);
static int cmd_sem(int argc, char **args);
static int cmd_shm_run(int argc, char **args);

static const struct shmcmd commands[] = {
	{"--counter", 1, cmd_counter},	{"--counters", 0, cmd_counters},
	{"--status", 1, cmd_status},	{"--cleanup", 0, cmd_cleanup},
	{"--sem", 0, cmd_sem},		{"--semaphore", 0, cmd_sem},
	{"--shm-run", 0, cmd_shm_run},
};
#define SEM_COMMAND 4 /* commands[4] */

/* The options of --sem that take a value as the next word. */
static int sem_takes_value(const char *a)
{
	static const char *const opts[] = {"-j", "-P", "--jobs", "--id",
					   "--semaphorename",
					   "--semaphoretimeout", "--st"};
	size_t i;

	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (strcmp(a, opts[i]) == 0)
			return 1;
	return 0;
}

/* Where --semaphore (or --sem) is among the options before the command
 * (GNU parallel takes it anywhere there), or 0. */
static int sem_option_at(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--");
	     i++) {
		if (strcmp(argv[i], "--semaphore") == 0 ||
		    strcmp(argv[i], "--sem") == 0)
			return i;
		if (sem_takes_value(argv[i]))
			i++;
	}
	return 0;
}

/* Is mprun called as sem (GNU parallel's `sem`, an alias of parallel
 * --semaphore)? */
static int called_as_sem(char **argv)
{
	const char *slash = strrchr(argv[0], '/');

	return strcmp(slash != NULL ? slash + 1 : argv[0], "sem") == 0;
}

/* The command argv[1] asks for, or NULL. */
static const struct shmcmd *find_command(int argc, char **argv)
{
	size_t i, len;

	if (argc >= 1 && (called_as_sem(argv) || sem_option_at(argc, argv)))
		return &commands[SEM_COMMAND];
	if (argc < 2)
		return NULL;
	/* With more words, --cleanup is the remote option (with -S). */
	if (strcmp(argv[1], "--cleanup") == 0 && argc > 2)
		return NULL;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		len = strlen(commands[i].opt);
		if (strncmp(argv[1], commands[i].opt, len) != 0)
			continue;
		if (argv[1][len] == '\0' ||
		    (argv[1][len] == '=' && commands[i].takes_value))
			return &commands[i];
	}
	return NULL;
}

int shmcmd_wants(int argc, char **argv)
{
	return find_command(argc, argv) != NULL;
}

int shmcmd_main(int argc, char **argv)
{
	const struct shmcmd *c = find_command(argc, argv);
	char *eq, **args;
	int i, n = 0, rc;

	if (c == NULL)
		return EXIT_USAGE;
	args = calloc((size_t)argc + 2, sizeof(*args));
	if (args == NULL) {
		fprintf(stderr, "mprun: %s\n", strerror(errno));
		return EXIT_USAGE;
	}
	/* args: the option, its "=VALUE" as a word of its own, the rest */
	args[n++] = (char *)c->opt;
	if (c == &commands[SEM_COMMAND]) {
		/* sem ARGS, or mprun OPTS --semaphore OPTS CMD */
		int at = called_as_sem(argv) ? 0 : sem_option_at(argc, argv);

		for (i = 1; i < argc; i++)
			if (i != at)
				args[n++] = argv[i];
	} else {
		eq = strchr(argv[1], '=');
		if (eq != NULL)
			args[n++] = eq + 1;
		for (i = 2; i < argc; i++)
			args[n++] = argv[i];
	}
	rc = c->run(n, args);
	free(args);
	return rc;
}

/* --- shared helpers ------------------------------------------------------ */

/* Print "mprun: OPT: " and a formatted message, in one write (a job's
 * stderr may share a pipe with other writers); returns EXIT_USAGE. */
__attribute__((format(printf, 2, 3))) static int fail(const char *opt,
						      const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "mprun: %s: %s\n", opt, msg);
	return EXIT_USAGE;
}

/* Why shm_attach() failed, in words. */
static const char *attach_error(int err)
{
	switch (err) {
	case ENOENT:
		return "no such segment (has the run ended?)";
	case EINVAL:
		return "not the name of an mprun segment";
	case EPROTO:
		return "not a segment of this version of mprun";
	case EPERM:
	case EACCES:
		return "the segment belongs to another user";
	default:
		return strerror(err);
	}
}

/* Map the segment of the run this job belongs to ($MPRUN_SHM), or print
 * why not and return NULL. */
static struct shm_seg *attach_from_env(const char *opt)
{
	const char *name = getenv(SHM_ENV);
	struct shm_seg *seg;

	if (name == NULL || *name == '\0') {
		fail(opt, "no run: " SHM_ENV " is not set (run this inside a "
			  "job of mprun; on an SSH host or a Slurm node, the "
			  "run serves its counters when given --counter-init "
			  "or when its command calls mprun)");
		return NULL;
	}
	seg = shm_attach(name);
	if (seg == NULL)
		fail(opt, SHM_ENV "=%s: %s", name, attach_error(errno));
	return seg;
}

/* Why a counter operation failed, in words. */
static int counter_error(const char *opt, const char *name, int err)
{
	if (err == EINVAL)
		return fail(opt, "invalid counter name '%s' (1 to %d "
				 "characters from A-Z a-z 0-9 _ . : / -)",
			    name, SHM_COUNTER_NAME_MAX);
	if (err == ENOSPC)
		return fail(opt, "%s: too many counters (max %d)", name,
			    SHM_COUNTERS);
	if (err == ERANGE)
		return fail(opt, "%s: the result does not fit in a 64-bit "
				 "counter (from %lld to %lld): unchanged",
			    name, LLONG_MIN, LLONG_MAX);
	return fail(opt, "%s: %s", name, strerror(err));
}

/* Parse "+N", "-N" (add) or "=N" (set). 0 or -1. */
static int parse_change(const char *s, int *set, long long *n)
{
	*set = s[0] == '=';
	if (s[0] == '+')
		return parse_number(s + 1, 0, LLONG_MAX, n);
	if (s[0] == '-')
		return parse_number(s, LLONG_MIN, 0, n);
	if (s[0] == '=')
		return parse_number(s + 1, LLONG_MIN, LLONG_MAX, n);
	return -1;
}

/* --- counters ------------------------------------------------------------ */

/* The run's counter service (MGR_ENV) rather than a segment: a job on
 * another host, where the run's segment is not (unset, or not there). */
static int use_service(void)
{
	const char *name = getenv(SHM_ENV), *addr = getenv(MGR_ENV);
	char path[sizeof(SHM_DIR) + SHM_NAME_MAX];

	if (addr == NULL || *addr == '\0')
		return 0;
	if (name == NULL || *name == '\0')
		return 1;
	snprintf(path, sizeof(path), SHM_DIR "%s", name);
	return access(path, F_OK) == -1;
}

/* Ask the counter service: its answer's lines in *reply. 0, or the exit
 * status after saying why. */
static int ask_service(const char *opt, const char *name, const char *req,
		       char **reply)
{
	const char *key = getenv(MGR_KEY_ENV);
	char err[512];

	if (key == NULL || *key == '\0')
		return fail(opt, "%s is set but " MGR_KEY_ENV " is not: the "
			    "counter service needs the run's key",
			    MGR_ENV);
	if (mgr_call(getenv(MGR_ENV), key, req, reply,
		     SERVICE_TIMEOUT_MS, err, sizeof(err)) == 0)
		return 0;
	if (errno == EINVAL || errno == ENOSPC || errno == ERANGE)
		return counter_error(opt, name, errno);
	return fail(opt, "%s", err);
}

/* mprun --counter through the service: "add NAME N", "set NAME N" or
 * "get NAME"; print the value. */
static int service_counter(const char *opt, const char *name, int argc,
			   int set, long long n)
{
	char req[MGR_LINE_MAX], *reply = NULL;
	int r;

	if (argc == 2)
		snprintf(req, sizeof(req), "get %s", name);
	else
		snprintf(req, sizeof(req), "%s %s %lld", set ? "set" : "add",
			 name, n);
	r = ask_service(opt, name, req, &reply);
	if (r == 0)
		printf("%s\n", reply);
	free(reply);
	return r;
}

/* mprun --counter NAME [+N|-N|=N]: print the value (after the change). */
static int cmd_counter(int argc, char **args)
{
	struct shm_seg *seg;
	long long n = 0, value = 0;
	int set = 0, r;

	if (argc < 2 || argc > 3)
		return fail(args[0], "usage: mprun --counter NAME [+N|-N|=N]");
	if (!shm_counter_name_valid(args[1]))
		return counter_error(args[0], args[1], EINVAL);
	if (argc == 3 && parse_change(args[2], &set, &n) == -1)
		return fail(args[0], "%s: invalid change '%s' (use +N, -N or "
				     "=N, N a whole number)",
			    args[1], args[2]);
	if (use_service())
		return service_counter(args[0], args[1], argc, set, n);
	seg = attach_from_env(args[0]);
	if (seg == NULL)
		return EXIT_USAGE;
	if (argc == 2) {
		/* a counter nobody touched yet reads 0 */
		r = shm_counter_get(seg, args[1], &value);
		if (r == -1 && errno == ENOENT)
			r = 0;
	} else if (set) {
		r = shm_counter_set(seg, args[1], n);
		value = n;
	} else {
		r = shm_counter_add(seg, args[1], n, &value);
	}
	if (r == -1)
		r = counter_error(args[0], args[1], errno);
	else
		printf("%lld\n", value);
	shm_detach(seg);
	return r;
}

/* Print the counters of seg as "NAME VALUE" lines, with a prefix. */
static void print_counters(const struct shm_seg *seg, const char *prefix)
{
	struct shm_counter c[SHM_COUNTERS];
	size_t i, n = shm_counters_list(seg, c, SHM_COUNTERS);

	for (i = 0; i < n; i++)
		printf("%s%s %lld\n", prefix, c[i].name, c[i].value);
}

/* mprun --counters: every counter of the run, sorted by name. */
static int cmd_counters(int argc, char **args)
{
	struct shm_seg *seg;

	char *reply = NULL;
	int r;

	if (argc != 1)
		return fail(args[0], "takes no argument");
	if (use_service()) {
		r = ask_service(args[0], "", "list", &reply);
		if (r == 0)
			fputs(reply, stdout);
		free(reply);
		return r;
	}
	seg = attach_from_env(args[0]);
	if (seg == NULL)
		return EXIT_USAGE;
	print_counters(seg, "");
	shm_detach(seg);
	return 0;
}

/* --- status and cleanup -------------------------------------------------- */

/* shm_runs_each callback: print one run's state. */
static int print_run(void *data, struct shm_seg *seg)
{
	struct shm_stats s;
	long long elapsed;
	char total[32];

	shm_stats_read(seg, &s);
	elapsed = ((long long)time(NULL) * 1000 - s.start_ms) / 1000;
	if (s.stat[SHM_TOTAL] < 0)
		snprintf(total, sizeof(total), "?");
	else
		snprintf(total, sizeof(total), "%lld", s.stat[SHM_TOTAL]);
	printf("run %ld: started %lld, running %lld, done %lld, failed %lld, "
	       "total %s, elapsed %llds\n",
	       (long)s.owner, s.stat[SHM_STARTED], s.stat[SHM_RUNNING],
	       s.stat[SHM_DONE], s.stat[SHM_FAILED], total,
	       elapsed < 0 ? 0 : elapsed);
	if (*shm_label(seg) != '\0')
		printf("  command: %s\n", shm_label(seg));
	print_counters(seg, "  counter ");
	return 0;
}

/* mprun --status [PID]: the state of this user's running runs. */
static int cmd_status(int argc, char **args)
{
	long long pid = 0;
	int n;

	if (argc > 2)
		return fail(args[0], "usage: mprun --status [PID]");
	if (argc == 2 && parse_number(args[1], 1, INT_MAX, &pid) == -1)
		return fail(args[0], "invalid process id '%s'", args[1]);
	n = shm_runs_each((pid_t)pid, print_run, NULL);
	if (n == -1)
		return fail(args[0], SHM_DIR ": %s", strerror(errno));
	if (n > 0)
		return 0;
	if (pid != 0)
		fprintf(stderr, "mprun: --status: no running mprun with pid "
				"%lld\n",
			pid);
	else
		fprintf(stderr, "mprun: --status: no running mprun of this "
				"user\n");
	return EXIT_NOT_FOUND;
}

/* shm_cleanup_stale callback: say what went. */
static void report_segment(void *data, const char *name, pid_t owner)
{
	printf("removed segment %s (run %ld is gone)\n", name, (long)owner);
}

/* sem_cleanup_idle callback: say what went. */
static void report_semaphore(void *data, const char *id)
{
	printf("removed semaphore %s (idle)\n", id);
}

/* mprun --cleanup: remove crashed runs' segments and idle semaphores. */
static int cmd_cleanup(int argc, char **args)
{
	if (argc != 1)
		return fail(args[0], "takes no argument");
	if (shm_cleanup_stale(report_segment, NULL) == -1)
		return fail(args[0], SHM_DIR ": %s", strerror(errno));
	if (sem_cleanup_idle(report_semaphore, NULL) == -1)
		return fail(args[0],
			    "semaphores: no directory of this user's: "
			    SEM_DIR "/mprun-%lu: %s (and $HOME/.mprun-sem "
			    "cannot be used)",
			    (unsigned long)geteuid(), strerror(errno));
	return 0;
}

/* --- running a command ---------------------------------------------------- */

/* In a child: exec the command (one word: a shell command). Never
 * returns: 127 if not found, 126 if it cannot run. */
static void exec_command(const char *opt, char **cmd)
{
	int err;

	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	if (cmd[1] == NULL)
		execl("/bin/sh", "sh", "-c", cmd[0], (char *)NULL);
	else
		execvp(cmd[0], cmd);
	err = errno;
	fprintf(stderr, "mprun: %s: %s: %s\n", opt, cmd[0],
		err == ENOENT ? "command not found" : strerror(err));
	_exit(err == ENOENT ? 127 : 126);
}

/* Wait for child pid; its exit status, or 128 + the signal that killed it. */
static int wait_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return EXIT_USAGE;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Fork and exec cmd; the pid, or -1 after a message. */
static pid_t spawn_command(const char *opt, char **cmd)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == -1)
		fail(opt, "fork: %s", strerror(errno));
	else if (pid == 0)
		exec_command(opt, cmd);
	return pid;
}

/* The command run_foreground() waits for, for forward_signal(). */
static volatile sig_atomic_t fg_child;

/* Run cmd in the foreground with SIGINT and SIGQUIT ignored here (the
 * terminal sends them to the command too), as system() does. */
static int run_foreground(const char *opt, char **cmd)
{
	void (*old_int)(int) = signal(SIGINT, SIG_IGN);
	void (*old_quit)(int) = signal(SIGQUIT, SIG_IGN);
	pid_t pid = spawn_command(opt, cmd);
	int rc;

	fg_child = pid;
	rc = pid == -1 ? EXIT_USAGE : wait_status(pid);
	fg_child = 0;
	signal(SIGINT, old_int);
	signal(SIGQUIT, old_quit);
	return rc;
}

/* --- semaphores ---------------------------------------------------------- */

struct sem_args {
	const char *id;
	long long slots;
	int fg, wait;
	long long timeout; /* --semaphoretimeout: s, < 0: give up; 0: none */
	char **cmd; /* NULL-terminated */
};

/* The value of option args[*i] ("-j N", "-jN", "--jobs=N", "--id N"...),
 * or NULL if args[*i] is not opt. short_opt may be NULL. */
static const char *option_value(int argc, char **args, int *i,
				const char *long_opt, const char *short_opt)
{
	const char *a = args[*i];
	size_t len = strlen(long_opt);

	if (strncmp(a, long_opt, len) == 0 && a[len] == '=')
		return a + len + 1;
	if (short_opt != NULL && strncmp(a, short_opt, 2) == 0 &&
	    a[2] != '\0')
		return a + 2;
	if (strcmp(a, long_opt) != 0 &&
	    (short_opt == NULL || strcmp(a, short_opt) != 0))
		return NULL;
	if (*i + 1 >= argc)
		return "";
	return args[++*i];
}

/* Parse the option args[*i] of --sem (moving *i past its value). 0, or
 * EXIT_USAGE after a message. */
static int parse_sem_option(int argc, char **args, int *i,
			    struct sem_args *sa)
{
	const char *v;

	if (strcmp(args[*i], "--fg") == 0) {
		sa->fg = 1;
		return 0;
	}
	if (strcmp(args[*i], "--wait") == 0) {
		sa->wait = 1;
		return 0;
	}
	if (strcmp(args[*i], "--bg") == 0 ||
	    strcmp(args[*i], "--will-cite") == 0 ||
	    strcmp(args[*i], "--semaphore") == 0) /* sem --semaphore */
		return 0;
	v = option_value(argc, args, i, "--semaphoretimeout", NULL);
	if (v == NULL)
		v = option_value(argc, args, i, "--st", NULL);
	if (v != NULL) {
		if (parse_number(v, -1000000, 1000000, &sa->timeout) == -1 ||
		    sa->timeout == 0)
			return fail("--sem", "invalid --semaphoretimeout '%s' "
					     "(seconds: N to run anyway after "
					     "N s, -N to give up)", v);
		return 0;
	}
	v = option_value(argc, args, i, "--id", NULL);
	if (v == NULL)
		v = option_value(argc, args, i, "--semaphorename", NULL);
	if (v != NULL) {
		sa->id = v;
		if (sem_id_valid(v))
			return 0;
		return fail("--sem", "invalid --id '%s' (1 to %d characters "
				     "from A-Z a-z 0-9 _ . : -)",
			    v, SEM_ID_MAX);
	}
	v = option_value(argc, args, i, "--jobs", "-j");
	if (v == NULL)
		return fail("--sem", "unknown option '%s'", args[*i]);
	if (parse_number(v, 1, SEM_SLOTS_MAX, &sa->slots) == -1)
		return fail("--sem", "invalid -j '%s' (1 to %d)", v,
			    SEM_SLOTS_MAX);
	return 0;
}

/* Parse the words after --sem. 0, or EXIT_USAGE after a message. */
static int parse_sem_args(int argc, char **args, struct sem_args *sa)
{
	int i;

	*sa = (struct sem_args){"default", 1, 0, 0, 0, NULL};
	for (i = 1; i < argc && args[i][0] == '-'; i++) {
		if (strcmp(args[i], "--") == 0) {
			i++;
			break;
		}
		if (parse_sem_option(argc, args, &i, sa) != 0)
			return EXIT_USAGE;
	}
	sa->cmd = &args[i];
	if (sa->wait && i < argc)
		return fail(args[0], "--wait takes no command");
	if (!sa->wait && i >= argc)
		return fail(args[0], "usage: mprun --sem [--id NAME] [-j N] "
				     "[--fg] CMD [ARG...] | mprun --sem "
				     "--wait [--id NAME]");
	return 0;
}

/* Take a slot into *slot, retrying when a signal interrupts the wait: 0
 * (*slot NULL when --semaphoretimeout N passed: run anyway), or the exit
 * status after a message (1 when -N passed: give up). */
static int take_slot(const struct sem_args *sa, struct sem_slot **slot)
{
	int ms = sa->timeout == 0 ? -1
				  : (int)(sa->timeout < 0 ? -sa->timeout
							  : sa->timeout) *
					    1000;
	char why[PATH_MAX + 128];

	do
		*slot = sem_acquire(sa->id, (unsigned)sa->slots, ms);
	while (*slot == NULL && errno == EINTR);
	if (*slot != NULL || (errno == EAGAIN && sa->timeout > 0))
		return 0;
	if (errno == EAGAIN) {
		fail("--sem", "semaphore '%s': no slot within %lld s "
			      "(--semaphoretimeout): not run",
		     sa->id, -sa->timeout);
		return 1;
	}
	return fail("--sem", "semaphore '%s': %s", sa->id,
		    sem_strerror(sa->id, errno, why, sizeof(why)));
}

static void forward_signal(int sig);

/* --sem --fg: a child takes a slot and becomes the command, which holds
 * the slot until it ends (so a holder killed with SIGKILL does not let
 * another command in while its command runs); we wait for it, ignoring
 * SIGQUIT meanwhile, as system() does, and passing SIGINT, SIGTERM and
 * SIGHUP sent to us on to it (one that waits for a slot ends: the command
 * does not run later). */
static int sem_foreground(const struct sem_args *sa)
{
	struct sigaction fwd = {.sa_handler = forward_signal}, old_int,
			 old_term, old_hup;
	void (*old_quit)(int) = signal(SIGQUIT, SIG_IGN);
	struct sem_slot *slot;
	pid_t pid;
	int rc;

	sigaction(SIGINT, &fwd, &old_int);
	sigaction(SIGTERM, &fwd, &old_term);
	sigaction(SIGHUP, &fwd, &old_hup);

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL); /* Ctrl-C while waiting for a slot */
		signal(SIGQUIT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		rc = take_slot(sa, &slot);
		if (rc != 0)
			_exit(rc);
		exec_command("--sem", sa->cmd);
	}
	if (pid == -1)
		rc = fail("--sem", "fork: %s", strerror(errno));
	else {
		fg_child = pid;
		rc = wait_status(pid);
		fg_child = 0;
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	signal(SIGQUIT, old_quit);
	return rc;
}

/* --sem: a child takes a slot, tells us through a pipe and becomes the
 * command, which keeps the slot until it ends (it survives exec). We
 * return as soon as the slot is taken. */
static int sem_background(const struct sem_args *sa)
{
	int fds[2];
	char ok = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) == -1)
		return fail("--sem", "pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid == -1) {
		close(fds[0]);
		close(fds[1]);
		return fail("--sem", "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		struct sem_slot *slot;
		int rc = take_slot(sa, &slot);

		close(fds[0]);
		if (rc != 0)
			_exit(rc);
		if (write(fds[1], "k", 1) != 1)
			_exit(EXIT_USAGE);
		exec_command("--sem", sa->cmd);
	}
	close(fds[1]);
	while (read(fds[0], &ok, 1) == -1 && errno == EINTR)
		;
	close(fds[0]);
	return ok == 'k' ? 0 : wait_status(pid);
}

/* mprun --sem ...: GNU parallel's sem. */
static int cmd_sem(int argc, char **args)
{
	struct sem_args sa;
	char why[PATH_MAX + 128];
	int r;

	if (parse_sem_args(argc, args, &sa) != 0)
		return EXIT_USAGE;
	if (sem_dir() == NULL)
		return fail("--sem", "no directory for the semaphores' names: "
				     "%s/mprun-%lu and ~/.mprun-sem: %s",
			    SEM_DIR, (unsigned long)geteuid(),
			    strerror(errno));
	if (sem_dir_bypassed() != NULL)
		fprintf(stderr, "mprun: --sem: %s\n", sem_dir_bypassed());
	if (sa.fg)
		return sem_foreground(&sa);
	if (!sa.wait)
		return sem_background(&sa);
	do
		r = sem_wait_idle(sa.id, -1);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		return fail(args[0], "semaphore '%s': %s", sa.id,
			    sem_strerror(sa.id, errno, why, sizeof(why)));
	return 0;
}

/* --- a run of one command, for the tests --------------------------------- */

/* SIGTERM/SIGHUP while --shm-run waits: pass it on to the command. */
static void forward_signal(int sig)
{
	if (fg_child > 0)
		kill((pid_t)fg_child, sig);
}

/* mprun --shm-run CMD [ARG...]: run CMD with MPRUN_SHM set to a segment
 * of its own (counted as one job), remove the segment when it ends. */
static int cmd_shm_run(int argc, char **args)
{
	struct sigaction sa = {.sa_handler = forward_signal};
	struct shm_seg *seg;
	int rc;

	if (argc < 2)
		return fail(args[0], "usage: mprun --shm-run CMD [ARG...]");
	shm_cleanup_stale(NULL, NULL);
	seg = shm_run_create(args[1]);
	if (seg == NULL)
		return fail(args[0], "shm_open: %s", strerror(errno));
	if (setenv(SHM_ENV, shm_name(seg), 1) == -1) {
		shm_run_destroy(seg);
		return fail(args[0], "%s", strerror(errno));
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	shm_stat_set(seg, SHM_TOTAL, 1);
	shm_stat_add(seg, SHM_STARTED, 1);
	shm_stat_add(seg, SHM_RUNNING, 1);
	rc = run_foreground(args[0], &args[1]);
	shm_stat_add(seg, SHM_RUNNING, -1);
	shm_stat_add(seg, SHM_DONE, 1);
	shm_stat_add(seg, SHM_FAILED, rc != 0);
	shm_run_destroy(seg);
	return rc;
}
