/* exec_ssh: the executor that runs jobs on SSH hosts (GNU parallel's -S,
 * --slf, --transfer, --return, --cleanup, --env, --workdir).
 *
 * Hosts. Each login is "[N/]LOGIN": N slots (jobs at once) on LOGIN, which
 * is given to ssh as its destination (host, user@host, ssh://user@host:port
 * or a Host of an ssh_config); ":" is this machine, run through exec_local.
 * "[N/]SSH OPTIONS LOGIN" (GNU parallel's "ssh -p 2222 host") gives the
 * host its own ssh command, split at blanks, instead of opts.ssh.
 * Without N a host has opts.default_slots slots, or, when that is 0, as
 * many as it has CPUs (`nproc` there). The pool's slots 1..exec_ssh_slots()
 * are given to the live hosts in order: "2/a,3/b" makes slots 1-2 run on a
 * and 3-5 on b. Slot 0 (the pool's callbacks) runs here.
 *
 * Connections. exec_ssh_new() makes a private directory (mkdtemp) for the
 * control sockets and starts one master connection per host, all at once
 * (ControlMaster=yes, ControlPersist=60 s, ConnectTimeout): that login is
 * also the host's check. A host whose check fails is reported once through
 * opts.notice and dropped: its slots go to no one, exec_ssh_slots() counts
 * only the live hosts, and exec_ssh_new() fails when none is left. Every job
 * then runs `ssh -o ControlMaster=no -o ControlPath=... -- LOGIN CMD` over
 * its host's master; a master that went away (idle for 60 s, network) is
 * started again before the next job. exec_ssh_free() closes the masters
 * (`ssh -O exit`) and removes the directory.
 *
 * Quoting. CMD is one string for the remote login shell, which must be a
 * POSIX shell (sh, dash, bash, ksh, zsh; not csh or fish). The job's
 * command (the shell command as the pool made it, or the argv words each
 * quoted with quote_shell) is quoted once more, as a whole, so that the
 * remote /bin/sh parses exactly what the local shell would have parsed: an
 * input that is a literal word here is a literal word there.
 *
 * Remote process tree. The remote command runs in its own session (sshd
 * makes it so). A small remote sh wrapper runs the job with stdin from
 * /dev/null and starts a watcher that reads the ssh channel's stdin, which
 * is a pipe whose write end the executor keeps for the job:
 *   - terminate(sig) writes the signal's name on it: the watcher sends sig
 *     to the job's whole remote process group;
 *   - when the pipe closes (the job's ssh died: the pool signalled it, or
 *     mprun died and took its ssh clients with it, or the connection was
 *     lost) the watcher sends TERM to the group, and KILL once the job's
 *     main process outlived 2 s; after a normal end it ends what is left of
 *     the group at once.
 * So a job ended by Ctrl-C, --timeout or --halt leaves no remote process
 * (except what left the remote process group with setsid). The remote
 * needs /bin/sh, kill and sleep. A job's exit status is the remote
 * command's (255: ssh failed).
 *
 * Files. The remote side runs in opts.workdir (made with mkdir -p; relative
 * paths are relative to the login directory), or in the login directory.
 * --transfer copies each of the job's arguments, as a file, to the same path
 * there (mkdir -p + cat through ssh) before the job; --return copies each
 * expanded return template back here after the job (into a temporary file,
 * then renamed; a missing file fails an otherwise successful job with 255);
 * --cleanup removes the transferred and returned files there afterwards.
 * These run in the job's process (a local sh), so they are part of the job:
 * its output, its exit status, its termination. ':' jobs have nothing to
 * copy.
 *
 * Environment. A remote job gets MPRUN_SEQ, MPRUN_SLOT, MPRUN_JOBID and each
 * opts.env variable that is set in the job's environment here, quoted into
 * its command; the rest of the remote environment is the login's.
 *
 * Counters. With opts.counters_sock, each host's master command also makes
 * a private directory there, /tmp/mprun-ctr.<random>.<n> (mode 0700; one
 * that exists must be a directory of the login's own, not a link), and
 * says whether mprun is on PATH; then `ssh -O forward -R DIR/s:SOCK` makes
 * the master forward DIR/s to the service, and the host's jobs get
 * MPRUN_COUNTERS=unix:DIR/s and the key. A host without mprun is told once
 * through opts.notice (if opts.check_mprun), as is a forward that failed.
 * exec_ssh_free() removes the directories before closing the masters.
 *
 * Ownership: exec_ssh_new() copies what it needs from the options. The
 * executor must outlive the pool that uses it. */
#ifndef MPRUN_EXEC_SSH_H
#define MPRUN_EXEC_SSH_H
#include <stddef.h>
#include <stdio.h>

#include "executor.h"

struct exec_ssh_opts {
	char *const *logins;	  /* -S values, each "[N/]LOGIN[,...]" */
	size_t nlogins;
	char *const *login_files; /* --slf files: a login a line; blank lines
				   * and lines starting with '#' are skipped */
	size_t nlogin_files;
	const char *ssh;	  /* the ssh command and its options, split at
				   * blanks (no quoting); NULL: "ssh" */
	unsigned default_slots;	  /* slots of a login without N/; 0: CPUs */
	char *const *env;	  /* --env NAME: variables sent along */
	size_t nenv;
	const char *workdir;	  /* --workdir, or NULL */
	int transfer;		  /* --transfer */
	int transfer_absolute;	  /* --transfer-absolute: absolute and ../
				   * paths are the same paths there */
	char *const *returns;	  /* --return FILE templates ({} {.} ...) */
	size_t nreturns;
	int cleanup;		  /* --cleanup */
	const char *shell;	  /* the shell of shell commands; NULL: /bin/sh
				   * (locally through exec_local, and remotely:
				   * it must exist there too) */
	const char *tmpdir;	  /* for the sockets' directory; NULL: $TMPDIR,
				   * else /tmp */
	unsigned connect_timeout; /* seconds (ssh ConnectTimeout); 0: 5 */
	/* The run's counter service (lib/mgr), a Unix socket here, or NULL:
	 * each host's master forwards a socket in a private directory there
	 * to it, and the jobs there get MGR_ENV and MGR_KEY_ENV (the key). */
	const char *counters_sock;
	const char *counters_key;
	int check_mprun;	  /* tell once of each host where mprun is not
				   * on PATH (with --env PATH: that PATH) */
	/* Told once for each host that failed its check and is not used.
	 * May be NULL. */
	void (*notice)(void *data, const char *msg);
	void *data;
};

struct exec_ssh;

/* One entry of a -S or --slf login list, "[N/]LOGIN" (blanks around it
 * trimmed; not NUL-terminated). */
struct ssh_login {
	const char *entry, *login; /* the whole entry; its LOGIN */
	size_t entry_len, len;
	unsigned long slots;       /* N (at most 7 digits), 0 without N/ */
	int has_slots;             /* N/ was given */
};

/* Call fn for each non-empty entry of a comma-separated login list: 0, or
 * -1 as soon as fn says -1. */
int ssh_logins_each(const char *list,
		    int (*fn)(void *data, const struct ssh_login *e),
		    void *data);
/* The same for each line of a --slf file f ('#' lines are comments). */
int ssh_login_lines_each(FILE *f,
			 int (*fn)(void *data, const struct ssh_login *e),
			 void *data);

/* Parse the logins, check the hosts and start their masters. NULL with
 * errno and a message in err (errlen bytes): EINVAL for a bad login, env
 * name or template, EHOSTUNREACH when no host is left, else the errno of
 * what failed (a --slf file that cannot be read, ENOMEM). */
struct exec_ssh *exec_ssh_new(const struct exec_ssh_opts *o, char *err,
			      size_t errlen);
/* The executor to give the pool (valid until exec_ssh_free). */
const struct executor *exec_ssh_executor(struct exec_ssh *s);
/* Slots of the live hosts: the pool's slot count (-j). */
unsigned exec_ssh_slots(const struct exec_ssh *s);
/* Close the masters, remove the sockets' directory, free. NULL is fine. */
void exec_ssh_free(struct exec_ssh *s);

#endif
