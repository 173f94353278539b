/* exec_ssh: run jobs on SSH hosts over one master connection per host. */
#include "exec_ssh.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "exec_local.h"
#include "helper.h"
#include "hmac.h"
#include "internal.h"
#include "loop.h"
#include "mgr.h"
#include "quote.h"
#include "template.h"

#define CONNECT_TIMEOUT_S 5
#define PERSIST "ControlPersist=60"
#define HELPER_TIMEOUT_MS 5000 /* -O check, -O exit */
#define MASTER_GRACE_MS 10000  /* a master's start: ConnectTimeout + this */
#define MASTER_EXIT_MS 1000    /* for the masters to go after -O exit */
#define REVIVE_MS 10000	       /* at most one new master a host in this */
#define SOCK_DIR_MAX 64	       /* longer $TMPDIR: /tmp (sun_path is short) */
#define CPUS_CMD "nproc 2>/dev/null || getconf _NPROCESSORS_ONLN || echo 1"
#define CTR_DIR "/tmp/mprun-ctr." /* + random + "." + host: the private
				   * directory of a host's forwarded socket */
#define CTR_MADE "mprun-ctr-made"	  /* the master made it */
#define MPRUN_MISSING "mprun-not-on-path" /* no mprun there */

/* The remote wrapper, run by the remote /bin/sh with $1 = the job's script
 * and $2 = the watcher. The channel's stdin moves to fd 3 for the watcher;
 * the job gets /dev/null. The wrapper survives the signals it sends to its
 * own group (a handler, which the job does not inherit) and ends with the
 * job's status. */
static const char wrap_sh[] =
	"exec 3<&0 </dev/null; "
	"/bin/sh -c \"$2\" mprun-watch $$ <&3 >/dev/null 2>&1 & "
	"trap : TERM INT HUP QUIT USR1 USR2; "
	"/bin/sh -c \"$1\" 3<&-";

/* The remote watcher ($1 = the wrapper's pid, which leads the group):
 * forward each signal name read, then at end of file end the group: TERM,
 * and KILL once the job's main process outlived 2 s. */
static const char watch_sh[] =
	"trap : TERM INT HUP QUIT USR1 USR2; "
	"while read -r s; do kill -s \"$s\" 0; done; "
	"kill -s TERM 0; i=0; "
	"while [ $i -lt 20 ] && kill -0 \"$1\" 2>/dev/null; do "
	"sleep 0.1 2>/dev/null || sleep 1; i=$((i+1)); done; "
	"kill -s KILL 0";

/* The gate of a job whose host's master is being started: the job's
 * local process first reads one line from its stdin (the control pipe):
 * GATE_GO lets it run its ssh over the new master; any other line is why
 * the master failed, and the job fails with it (255). The rest of the
 * pipe is then the ssh's, as for any job. */
#define GATE_GO "go"
static const char gate_sh[] =
	"IFS= read -r m; [ \"$m\" = " GATE_GO " ] && exec \"$@\"; "
	"printf 'mprun: %s\\n' \"${m:-the SSH master connection failed}\" >&2; "
	"exit 255";

/* The variables of the pool that a remote job gets too. */
static const char *const job_vars[] = {"MPRUN_SEQ", "MPRUN_SLOT",
				       "MPRUN_JOBID"};

struct ssh_host {
	char *login;	   /* as given, without N/ (and without its own ssh
			    * command); ":" for this machine */
	char **ssh;	   /* "[N/]SSH OPTIONS LOGIN": the words before LOGIN,
			    * its own ssh command (GNU parallel's), or NULL */
	size_t nssh;
	unsigned slots;	   /* N/, or 0 */
	int local;	   /* ":" */
	int alive;	   /* passed its check */
	char *ctl_opt;	   /* "ControlPath=<socket>" */
	const char *ctl;   /* the socket path, inside ctl_opt */
	pid_t master;	   /* its master process, or 0 */
	uint64_t revived;  /* when master_revive() last tried (ms) */
	struct helper *starting; /* its master being started, or NULL */
	struct helper *asking;	 /* its `ssh -O check` or `-O exit` */
	int gone_fd;		 /* closing: a pidfd of its master, or -1 */
	char *ctr_dir;		 /* the counters' directory there, or NULL */
	char *ctr_addr;		 /* "unix:<ctr_dir>/s" */
	int ctr_made;		 /* the master made ctr_dir */
	int forwarded;		 /* ctr_dir/s is forwarded to the service */
	int reviving;		 /* its forward is for a revived master */
	struct exec_ssh *s;
};

struct ssh_slot {
	struct ssh_host *host;
	pid_t pid; /* the job's local process */
	int ctl;   /* write end of its ssh's stdin, or -1 */
	int gated; /* its job waits at the gate for the host's master */
};

struct exec_ssh {
	struct executor exec;
	const struct executor *local;
	char **ssh; /* the ssh command's words, NULL-terminated */
	size_t nssh;
	struct ssh_host *hosts;
	size_t nhosts;
	struct ssh_slot *slots; /* [1..nslots] */
	unsigned nslots;
	char **env;
	size_t nenv;
	char *workdir;
	int transfer, transfer_absolute;
	int cleanup;
	struct template **returns;
	size_t nreturns;
	char *shell; /* the remote shell of shell commands, NULL: /bin/sh */
	char *dir;   /* the sockets' directory, or NULL */
	char timeout_opt[32];
	unsigned connect_ms;
	struct loop *loop; /* where helpers run (set-up, run), or NULL */
	int late;	   /* closing: the masters' time is over */
	unsigned default_slots;
	char *ctr_sock, *ctr_key; /* the counter service, or NULL */
	int check_mprun;
	void (*notice)(void *data, const char *msg);
	void *data;
	char *err;
	size_t errlen;
};

/* --- small helpers ------------------------------------------------------ */

/* Write a message into the caller's error buffer; errno is set to e. */
#define ssh_err(s, e, ...) \
	errbuf_printf((s)->err, (s)->errlen, (e), __VA_ARGS__)

/* Append borrowed words up to a NULL. 0 or -1/ENOMEM. */
static int words_addv(struct words *w, ...)
{
	const char *word;
	va_list ap;
	int rc = 0;

	va_start(ap, w);
	while (rc == 0 && (word = va_arg(ap, const char *)) != NULL)
		rc = words_add(w, word);
	va_end(ap);
	return rc;
}

/* Append fmt to b, where %s is raw text and %q one quoted shell word
 * (quote_shell). 0 or -1/ENOMEM. */
static int qprintf(struct buf *b, const char *fmt, ...)
{
	const char *p = fmt;
	size_t n;
	va_list ap;
	int rc = 0;

	va_start(ap, fmt);
	while (rc == 0 && *p != '\0') {
		n = strcspn(p, "%");
		rc = buf_append(b, p, n);
		p += n;
		if (rc == -1 || *p == '\0')
			break;
		if (p[1] == 's')
			rc = buf_append_str(b, va_arg(ap, const char *));
		else if (p[1] == 'q')
			rc = quote_shell(b, va_arg(ap, const char *));
		else
			rc = buf_append_char(b, p[1]);
		p += p[1] != '\0' ? 2 : 1;
	}
	va_end(ap);
	return rc;
}

/* Append quoted words separated by blanks to a shell script. */
static int script_add_words(struct buf *b, const struct words *w)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (qprintf(b, i > 0 ? " %q" : "%q", w->v[i]) == -1)
			return -1;
	return 0;
}

/* A valid environment variable name? */
static int env_name_ok(const char *name)
{
	const char *p = name;

	if (!(*p == '_' || (*p >= 'A' && *p <= 'Z') ||
	      (*p >= 'a' && *p <= 'z')))
		return 0;
	for (p++; *p != '\0'; p++)
		if (!(*p == '_' || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			return 0;
	return 1;
}

/* The last non-empty line of b (trimmed in place), or "". */
static const char *last_line(struct buf *b)
{
	char *p;

	if (b->data == NULL)
		return "";
	while (b->len > 0 && (b->data[b->len - 1] == '\n' ||
			      b->data[b->len - 1] == '\r'))
		b->data[--b->len] = '\0';
	p = strrchr(b->data, '\n');
	return p != NULL ? p + 1 : b->data;
}

/* Write msg on a pipe whose reader may be gone, without dying of SIGPIPE. */
static void pipe_write(int fd, const char *msg)
{
	struct timespec zero = {0, 0};
	sigset_t pipe_set, old;
	ssize_t n;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, &old);
	n = write(fd, msg, strlen(msg));
	if (n == -1 && errno == EPIPE && !sigismember(&old, SIGPIPE))
		sigtimedwait(&pipe_set, NULL, &zero);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* --- logins ------------------------------------------------------------- */

/* A login is used as an ssh destination: one word, not an option. */
static int login_ok(const char *login)
{
	const unsigned char *p = (const unsigned char *)login;

	if (*p == '\0' || *p == '-')
		return 0;
	for (; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

/* Parse one entry of a login list into e: blanks around it trimmed, then
 * "[N/]LOGIN". 0 if the entry is empty. */
static int login_parse(const char *entry, size_t len, struct ssh_login *e)
{
	size_t d = 0;

	while (len > 0 && strchr(" \t\r\n", entry[len - 1]) != NULL)
		len--;
	while (len > 0 && strchr(" \t\r\n", *entry) != NULL)
		entry++, len--;
	if (len == 0)
		return 0;
	memset(e, 0, sizeof(*e));
	e->entry = entry;
	e->entry_len = len;
	while (d < len && d < 7 && entry[d] >= '0' && entry[d] <= '9')
		e->slots = e->slots * 10 + (unsigned long)(entry[d++] - '0');
	if (d > 0 && d < len && entry[d] == '/') {
		e->has_slots = 1;
		entry += d + 1;
		len -= d + 1;
	} else {
		e->slots = 0;
	}
	e->login = entry;
	e->len = len;
	return 1;
}

int ssh_logins_each(const char *list,
		    int (*fn)(void *data, const struct ssh_login *e),
		    void *data)
{
	struct ssh_login e;
	size_t len;

	for (;;) {
		len = strcspn(list, ",");
		if (login_parse(list, len, &e) && fn(data, &e) == -1)
			return -1;
		if (list[len] == '\0')
			return 0;
		list += len + 1;
	}
}

int ssh_login_lines_each(FILE *f,
			 int (*fn)(void *data, const struct ssh_login *e),
			 void *data)
{
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;

	while (rc == 0 && getline(&line, &cap, f) != -1)
		if (line[strspn(line, " \t")] != '#')
			rc = ssh_logins_each(line, fn, data);
	free(line);
	return rc;
}

/* A login "SSH OPTIONS LOGIN" (GNU parallel's "-S 'ssh -p 2222 host'"):
 * its words but the last are the host's own ssh command, instead of
 * --ssh. 0, or -1 (a bad login: said). */
static int login_own_ssh(struct exec_ssh *s, struct ssh_host *h)
{
	size_t n;
	char **v = strv_split_blanks(h->login, &n);

	if (v == NULL)
		return -1;
	if (n < 2 || !login_ok(v[n - 1]) || v[0][0] == '-') {
		ssh_err(s, EINVAL, "bad SSH login '%s': the ssh command, its "
			"options, then the login", h->login);
		strv_free(v);
		return -1;
	}
	free(h->login);
	h->login = v[n - 1];
	v[n - 1] = NULL;
	h->ssh = v;
	h->nssh = n - 1;
	return 0;
}

/* ssh_logins_each callback: add the host of one login. */
static int add_login(void *data, const struct ssh_login *e)
{
	struct exec_ssh *s = data;
	struct ssh_host *h;

	if (e->has_slots && e->slots == 0) {
		ssh_err(s, EINVAL, "bad SSH login '%.*s': 0 slots",
			(int)e->entry_len, e->entry);
		return -1;
	}
	h = realloc(s->hosts, (s->nhosts + 1) * sizeof(*h));
	if (h == NULL)
		return -1;
	s->hosts = h;
	h = &s->hosts[s->nhosts];
	memset(h, 0, sizeof(*h));
	h->login = strndup(e->login, e->len);
	if (h->login == NULL)
		return -1;
	s->nhosts++;
	if (strpbrk(h->login, " \t") != NULL && login_own_ssh(s, h) == -1)
		return -1;
	h->slots = (unsigned)e->slots;
	h->local = strcmp(h->login, ":") == 0;
	if (!h->local && !login_ok(h->login)) {
		ssh_err(s, EINVAL, "bad SSH login '%s'", h->login);
		return -1;
	}
	return 0;
}

/* Add the hosts of a --slf file: a login list a line, '#' comments. */
static int add_login_file(struct exec_ssh *s, const char *path)
{
	FILE *f = fopen(path, "r");
	int rc;

	if (f == NULL) {
		ssh_err(s, errno, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = ssh_login_lines_each(f, add_login, s);
	fclose(f);
	return rc;
}

/* --- masters -------------------------------------------------------------- */

/* The ssh command and the options that reach host h's master. */
static int ssh_base(struct exec_ssh *s, struct ssh_host *h, struct words *w,
		    const char *master)
{
	char **ssh = h->ssh != NULL ? h->ssh : s->ssh;
	size_t i, n = h->ssh != NULL ? h->nssh : s->nssh;

	for (i = 0; i < n; i++)
		if (words_add(w, ssh[i]) == -1)
			return -1;
	return words_addv(w, "-o", master, "-o", h->ctl_opt, NULL);
}

/* A master being started (host h's check, or a revival) ended. */
static void master_started(void *data, struct helper *hp);
/* The `ssh -O check` asking for host h's master's pid ended. */
static void master_pid_told(void *data, struct helper *hp);

/* s[0..n) in base64 (RFC 4648, padded), appended to b. */
static int base64_append(struct buf *b, const char *s, size_t n)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)s;
	char q[4];
	size_t i;
	unsigned v;

	if (buf_reserve(b, (n + 2) / 3 * 4) == -1)
		return -1;
	for (i = 0; i < n; i += 3) {
		v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = abc[v >> 18 & 63];
		q[1] = abc[v >> 12 & 63];
		q[2] = i + 1 < n ? abc[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? abc[v & 63] : '=';
		buf_append(b, q, 4); /* room reserved */
	}
	return 0;
}

/* Text for the remote login shell, which may not be a POSIX shell (csh,
 * fish): /bin/sh runs it, decoded from base64 in single quotes. */
static int sh_base64(struct buf *b, const char *text, size_t len)
{
	return buf_append_str(b, "exec /bin/sh -c 'eval \"$(echo ") == -1 ||
			       base64_append(b, text, len) == -1
		       ? -1
		       : buf_append_str(b, " | base64 -d)\"'");
}

/* "export PATH=...; " when --env PATH sends ours: what the jobs see. */
static int add_path_export(struct exec_ssh *s, struct buf *b)
{
	const char *path = getenv("PATH");
	size_t i;

	for (i = 0; i < s->nenv; i++)
		if (strcmp(s->env[i], "PATH") == 0 && path != NULL)
			return qprintf(b, "export PATH=%q; ", path);
	return 0;
}

/* The master's command with counters: make the host's private directory
 * (or, for a revived master, check that it is still ours, and remove the
 * old socket), write the key read from stdin into it (a command line is
 * seen by every user of either host), say whether mprun is on PATH, then
 * print the CPU count. */
static int master_script(struct exec_ssh *s, struct ssh_host *h,
			 struct buf *b)
{
	struct buf sc = BUF_INIT;
	int rc = -1;

	if (qprintf(&sc, "umask 077; d=%q; { mkdir \"$d\" 2>/dev/null || "
		    "{ [ -d \"$d\" ] && [ ! -h \"$d\" ] && [ -O \"$d\" ] && "
		    "chmod 700 \"$d\" && rm -f \"$d/s\"; }; } && "
		    "IFS= read -r k && printf '%%s\\n' \"$k\" >\"$d/key\" && "
		    "echo " CTR_MADE "; ", h->ctr_dir) == 0 &&
	    add_path_export(s, &sc) == 0 &&
	    buf_append_str(&sc, "command -v mprun >/dev/null 2>&1 || echo "
		    MPRUN_MISSING "; " CPUS_CMD) == 0)
		rc = sh_base64(b, sc.data, sc.len);
	buf_free(&sc);
	return rc;
}

/* A pipe's reading end that holds key and a newline, then ends; -1/errno.
 * (A key is far shorter than PIPE_BUF: the write does not block.) */
static int key_pipe(const char *key)
{
	int fds[2];
	struct buf b = BUF_INIT;
	ssize_t n;

	if (buf_printf(&b, "%s\n", key) == -1)
		return -1;
	if (pipe2(fds, O_CLOEXEC) == -1) {
		buf_free(&b);
		return -1;
	}
	n = write(fds[1], b.data, b.len);
	close_keep_errno(fds[1]);
	if (n != (ssize_t)b.len) {
		if (n >= 0)
			errno = EIO;
		close_keep_errno(fds[0]);
		fds[0] = -1;
	}
	buf_free(&b);
	return fds[0];
}

/* Start host h's master with a command that prints its CPU count (and
 * makes its counters' directory), in the executor's loop;
 * master_started() goes on. */
static int master_start(struct exec_ssh *s, struct ssh_host *h)
{
	struct helper_opts o = {-1, s->connect_ms + MASTER_GRACE_MS, NULL,
				master_started, h};
	struct words w = {0};
	struct buf cmd = BUF_INIT;

	h->starting = NULL;
	if (h->ctr_dir != NULL && (o.fd_in = key_pipe(s->ctr_key)) == -1)
		return -1;
	if ((h->ctr_dir == NULL ? buf_append_str(&cmd, CPUS_CMD)
				: master_script(s, h, &cmd)) == 0 &&
	    ssh_base(s, h, &w, "ControlMaster=yes") == 0 &&
	    words_addv(&w, "-o", PERSIST, "-o", s->timeout_opt, "--",
		       h->login, cmd.data, NULL) == 0)
		h->starting = helper_start(s->loop, (char *const *)w.v, &o);
	free(w.v);
	buf_free(&cmd);
	close_keep_errno(o.fd_in);
	return h->starting != NULL ? 0 : -1;
}

/* Start `ssh -O op` on host h's master in loop l; done goes on. */
static struct helper *master_op(struct exec_ssh *s, struct ssh_host *h,
				struct loop *l, const char *op,
				void (*done)(void *data, struct helper *hp))
{
	struct helper_opts o = {-1, HELPER_TIMEOUT_MS, NULL, done, h};
	struct words w = {0};
	struct helper *hp = NULL;

	if (ssh_base(s, h, &w, "ControlMaster=no") == 0 &&
	    words_addv(&w, "-O", op, "--", h->login, NULL) == 0)
		hp = helper_start(l, (char *const *)w.v, &o);
	free(w.v);
	return hp;
}

/* The pid of host h's master, from `ssh -O check` ("(pid=N)"). */
static void master_pid_told(void *data, struct helper *hp)
{
	struct ssh_host *h = data;
	struct buf *err = helper_err(hp);
	const char *p;

	if (helper_ok(hp) && err->data != NULL &&
	    (p = strstr(err->data, "(pid=")) != NULL)
		h->master = (pid_t)strtol(p + 5, NULL, 10);
	helper_free(hp);
	h->asking = NULL;
}

/* Tell that host h is not used, with what its check said. */
static void host_dead(struct exec_ssh *s, struct ssh_host *h,
		      const char *why, int status)
{
	char msg[1024];

	if (*why == '\0')
		why = "no answer";
	if (status != -1 && WIFEXITED(status))
		snprintf(msg, sizeof(msg),
			 "SSH host %s: %s (exit status %d): not used",
			 h->login, why, WEXITSTATUS(status));
	else
		snprintf(msg, sizeof(msg), "SSH host %s: %s: not used",
			 h->login, why);
	if (s->notice != NULL)
		s->notice(s->data, msg);
}

/* The CPU count printed by the check (its last number line), or 1. */
static unsigned parse_cpus(struct buf *out)
{
	const char *line = last_line(out);
	unsigned long n = strtoul(line, NULL, 10);

	return n >= 1 && n <= 100000 ? (unsigned)n : 1;
}

/* Let the jobs of host h that wait for its master go: on through it, or,
 * when why is not NULL, fail at once (255) saying why. */
static void gates_open(struct exec_ssh *s, struct ssh_host *h,
		       const char *why)
{
	char msg[512];
	unsigned k;

	if (why != NULL)
		snprintf(msg, sizeof(msg),
			 "SSH host %s: the master connection failed: %s\n",
			 h->login, *why != '\0' ? why : "no answer");
	for (k = 1; k <= s->nslots; k++) {
		if (s->slots[k].host != h || !s->slots[k].gated)
			continue;
		s->slots[k].gated = 0;
		pipe_write(s->slots[k].ctl, why != NULL ? msg : GATE_GO "\n");
	}
}

/* Is line a whole line of b? */
static int has_line(const struct buf *b, const char *line)
{
	const char *p = b->data;
	size_t n = strlen(line);

	while (p != NULL && (p = strstr(p, line)) != NULL) {
		if ((p == b->data || p[-1] == '\n') &&
		    (p[n] == '\n' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

/* `ssh -O forward` of the counters' socket ended: the master's pid next;
 * a revived master's jobs go on. */
static void forward_done(void *data, struct helper *hp)
{
	struct ssh_host *h = data;
	struct exec_ssh *s = h->s;
	char msg[1024];

	h->forwarded = helper_ok(hp);
	if (!h->forwarded && s->notice != NULL) {
		snprintf(msg, sizeof(msg), "SSH host %s: the counter service "
			 "could not be forwarded there (%s): its jobs cannot "
			 "use counters", h->login,
			 *last_line(helper_err(hp)) ? last_line(helper_err(hp))
						    : "no answer");
		s->notice(s->data, msg);
	}
	helper_free(hp);
	h->asking = master_op(s, h, s->loop, "check", master_pid_told);
	if (h->reviving)
		gates_open(s, h, NULL);
}

/* Start forwarding host h's counters' socket to the service through its
 * new master. 0 or -1/errno. */
static int forward_start(struct exec_ssh *s, struct ssh_host *h, int revived)
{
	struct helper_opts o = {-1, HELPER_TIMEOUT_MS, NULL, forward_done, h};
	struct words w = {0};
	struct buf spec = BUF_INIT;

	helper_free(h->asking);
	h->asking = NULL;
	h->reviving = revived;
	if (buf_printf(&spec, "%s/s:%s", h->ctr_dir, s->ctr_sock) == 0 &&
	    ssh_base(s, h, &w, "ControlMaster=no") == 0 &&
	    words_addv(&w, "-O", "forward", "-R", spec.data, "--", h->login,
		       NULL) == 0)
		h->asking = helper_start(s->loop, (char *const *)w.v, &o);
	free(w.v);
	buf_free(&spec);
	return h->asking != NULL ? 0 : -1;
}

/* What the master's command said of counters: its directory made (then
 * forward it: 1), mprun missing (told once). */
static int counters_ready(struct exec_ssh *s, struct ssh_host *h,
			  const struct buf *out, int first)
{
	char msg[512];

	if (h->ctr_dir == NULL)
		return 0;
	if (first && s->check_mprun && has_line(out, MPRUN_MISSING) &&
	    s->notice != NULL) {
		snprintf(msg, sizeof(msg), "SSH host %s: mprun is not on PATH "
			 "there: its jobs cannot use counters (mprun "
			 "--counter)", h->login);
		s->notice(s->data, msg);
	}
	h->ctr_made = has_line(out, CTR_MADE);
	if (!h->ctr_made && first && s->notice != NULL) {
		snprintf(msg, sizeof(msg), "SSH host %s: %s is not a private "
			 "directory of ours there: its jobs cannot use "
			 "counters", h->login, h->ctr_dir);
		s->notice(s->data, msg);
	}
	return h->ctr_made;
}

static void master_started(void *data, struct helper *hp)
{
	struct ssh_host *h = data;
	struct exec_ssh *s = h->s;
	int ok = helper_ok(hp), first = !h->alive;
	const char *why = last_line(helper_err(hp));

	h->starting = NULL;
	if (ok && first) {
		h->alive = 1;
		if (h->slots == 0)
			h->slots = s->default_slots ? s->default_slots
						    : parse_cpus(helper_out(hp));
	} else if (first) {
		host_dead(s, h, helper_timed_out(hp) ? "" : why,
			  helper_timed_out(hp) ? -1 : helper_status(hp));
	}
	/* with counters, the forward first (forward_done goes on) */
	if (ok && counters_ready(s, h, helper_out(hp), first) &&
	    forward_start(s, h, !first) == 0) {
		helper_free(hp);
		return;
	}
	if (ok && h->asking == NULL)
		h->asking = master_op(s, h, s->loop, "check", master_pid_told);
	if (!first)
		gates_open(s, h, ok ? NULL : why);
	helper_free(hp);
}

/* The master of host h went away (idle, network): start it again, at
 * most once in REVIVE_MS (a host that went down would cost every job its
 * ConnectTimeout). 1 when the job must wait at its gate for the master;
 * 0 when it connects on its own (no new master, or no loop to start one
 * in). */
static int master_revive(struct exec_ssh *s, struct ssh_host *h)
{
	uint64_t now = loop_now_ms();

	if (h->starting != NULL)
		return 1;
	if (s->loop == NULL || access(h->ctl, F_OK) == 0 ||
	    (h->revived != 0 && now - h->revived < REVIVE_MS))
		return 0;
	h->revived = now;
	h->master = 0;
	return master_start(s, h) == 0;
}

/* End what runs for host h: its master's start, the question for its pid
 * (jobs still at its gate are let go: they connect on their own). */
static void host_helpers_end(struct exec_ssh *s, struct ssh_host *h)
{
	helper_free(h->starting);
	helper_free(h->asking);
	h->starting = h->asking = NULL;
	if (s->slots != NULL)
		gates_open(s, h, NULL);
}

/* Are the checks of every host done (with their masters' pids)? */
static int hosts_settled(void *data)
{
	struct exec_ssh *s = data;
	size_t i;

	for (i = 0; i < s->nhosts; i++)
		if (s->hosts[i].starting != NULL || s->hosts[i].asking != NULL)
			return 0;
	return 1;
}

/* --- closing the masters (after the run: in a loop of our own) ---------- */

/* `ssh -O exit` ended. */
static void master_exit_done(void *data, struct helper *hp)
{
	struct ssh_host *h = data;

	helper_free(hp);
	h->asking = NULL;
}

/* A master that was told to exit is gone. */
static void master_gone(struct loop *l, int fd, uint32_t events, void *data)
{
	struct ssh_host *h = data;

	loop_fd_del(l, h->gone_fd);
	close(h->gone_fd);
	h->gone_fd = -1;
}

/* The masters had their time to exit. */
static void masters_late(struct loop *l, void *data)
{
	int *late = data;

	*late = 1;
}

/* Are the masters closed: every `-O exit` done, every master gone (or
 * late)? */
static int masters_closed(void *data)
{
	struct exec_ssh *s = data;
	size_t i;

	for (i = 0; i < s->nhosts; i++)
		if (s->hosts[i].asking != NULL ||
		    (s->hosts[i].gone_fd >= 0 && !s->late))
			return 0;
	return 1;
}

/* Remove the counters' directories on the hosts (all at once, through
 * their masters), before the masters close. */
static void counters_dirs_remove(struct exec_ssh *s)
{
	struct helper_opts o = {-1, HELPER_TIMEOUT_MS, NULL, master_exit_done,
				NULL};
	struct helper_wait w;
	struct words wd = {0};
	struct buf cmd = BUF_INIT;
	size_t i;

	if (s->ctr_sock == NULL || helper_wait_init(&w, 0) == -1)
		return;
	for (i = 0; i < s->nhosts; i++) {
		struct ssh_host *h = &s->hosts[i];

		if (!h->ctr_made || access(h->ctl, F_OK) == -1)
			continue;
		wd.n = 0;
		buf_reset(&cmd);
		o.data = h;
		if (qprintf(&cmd, "rm -rf %q", h->ctr_dir) == 0 &&
		    ssh_base(s, h, &wd, "ControlMaster=no") == 0 &&
		    words_addv(&wd, "--", h->login, cmd.data, NULL) == 0)
			h->asking = helper_start(w.loop, (char *const *)wd.v,
						 &o);
	}
	helper_wait_run(&w, hosts_settled, s);
	for (i = 0; i < s->nhosts; i++) {
		helper_free(s->hosts[i].asking);
		s->hosts[i].asking = NULL;
	}
	free(wd.v);
	buf_free(&cmd);
	helper_wait_fini(&w);
}

/* Close every master (`ssh -O exit`, all at once) and wait, at most
 * MASTER_EXIT_MS, until those whose pid we know are gone (as the
 * subreaper, the loop reaps them). Nothing else runs here any more: the
 * run's loop is gone, so this waits in a loop of its own. */
static void masters_close(struct exec_ssh *s)
{
	struct helper_wait w;
	size_t i;

	if (helper_wait_init(&w, 0) == -1)
		return;
	s->late = 0;
	for (i = 0; i < s->nhosts; i++) {
		struct ssh_host *h = &s->hosts[i];

		h->gone_fd = -1;
		if (h->local || h->ctl == NULL || access(h->ctl, F_OK) == -1)
			continue;
		if (h->master > 0)
			h->gone_fd = (int)syscall(SYS_pidfd_open, h->master, 0);
		if (h->gone_fd >= 0 &&
		    loop_fd_add(w.loop, h->gone_fd, EPOLLIN, master_gone, h) ==
			    -1) {
			close(h->gone_fd);
			h->gone_fd = -1;
		}
		h->asking = master_op(s, h, w.loop, "exit", master_exit_done);
	}
	if (loop_timer_add(w.loop, MASTER_EXIT_MS, masters_late, &s->late) !=
	    NULL)
		helper_wait_run(&w, masters_closed, s);
	for (i = 0; i < s->nhosts; i++) {
		struct ssh_host *h = &s->hosts[i];

		helper_free(h->asking);
		h->asking = NULL;
		if (h->gone_fd >= 0)
			close(h->gone_fd);
		if (h->ctl != NULL)
			unlink(h->ctl);
	}
	helper_wait_fini(&w);
}

/* Name each remote host's counters' directory (random: another user
 * there cannot have made it in advance, and a shared /tmp of several hosts
 * keeps them apart). */
static int counters_dirs(struct exec_ssh *s)
{
	char rnd[17];
	struct buf b = BUF_INIT;
	size_t i;

	if (hmac_random_hex(rnd, 8) == -1)
		return -1;
	for (i = 0; i < s->nhosts; i++) {
		if (s->hosts[i].local)
			continue;
		if (buf_printf(&b, CTR_DIR "%s.%zu", rnd, i) == -1)
			return -1;
		s->hosts[i].ctr_dir = buf_steal(&b);
		if (buf_printf(&b, "unix:%s/s", s->hosts[i].ctr_dir) == -1)
			return -1;
		s->hosts[i].ctr_addr = buf_steal(&b);
	}
	return 0;
}

/* Give each remote host its socket path in the private directory. */
static int make_sockets(struct exec_ssh *s, const char *tmpdir)
{
	struct buf b = BUF_INIT;
	size_t i;

	if (tmpdir == NULL || *tmpdir == '\0' || strlen(tmpdir) > SOCK_DIR_MAX)
		tmpdir = "/tmp";
	if (buf_printf(&b, "%s/mprun-ssh-XXXXXX", tmpdir) == -1)
		return -1;
	if (mkdtemp(b.data) == NULL) {
		ssh_err(s, errno, "%s: %s", b.data, strerror(errno));
		buf_free(&b);
		return -1;
	}
	s->dir = buf_steal(&b);
	for (i = 0; i < s->nhosts; i++) {
		if (buf_printf(&b, "ControlPath=%s/%zu", s->dir, i) == -1)
			return -1;
		s->hosts[i].ctl_opt = buf_steal(&b);
		s->hosts[i].ctl = s->hosts[i].ctl_opt + strlen("ControlPath=");
	}
	return s->ctr_sock != NULL ? counters_dirs(s) : 0;
}

/* Check every host at once (their masters start) and wait for them in a
 * loop of our own, where SIGINT, SIGTERM and SIGHUP end the wait (EINTR):
 * no run, no loop, is there yet. The live hosts get their slots. 0 or
 * -1/errno. */
static int check_hosts(struct exec_ssh *s)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct helper_wait w;
	size_t i;
	int rc;

	if (helper_wait_init(&w, 1) == -1)
		return -1;
	s->loop = w.loop;
	for (i = 0; i < s->nhosts; i++) {
		struct ssh_host *h = &s->hosts[i];

		h->s = s;
		if (h->local) {
			h->alive = 1;
			if (h->slots == 0)
				h->slots = s->default_slots ? s->default_slots
				       : cpus > 0	    ? (unsigned)cpus
							    : 1;
		} else if (master_start(s, h) == -1) {
			host_dead(s, h, strerror(errno), -1);
		}
	}
	rc = helper_wait_run(&w, hosts_settled, s);
	if (rc == -1 && errno == EINTR)
		ssh_err(s, EINTR, "interrupted (SIG%s) while connecting to the "
			"SSH hosts", sigabbrev_np(w.signo));
	for (i = 0; i < s->nhosts; i++)
		host_helpers_end(s, &s->hosts[i]);
	s->loop = NULL;
	helper_wait_fini(&w);
	return rc;
}

/* Map the pool's slots to the live hosts. */
static int map_slots(struct exec_ssh *s)
{
	unsigned total = 0, k, slot = 1;
	size_t i;

	for (i = 0; i < s->nhosts; i++)
		if (s->hosts[i].alive)
			total += s->hosts[i].slots;
	if (total == 0) {
		ssh_err(s, EHOSTUNREACH, "no SSH host could be reached");
		return -1;
	}
	s->slots = calloc(total + 1, sizeof(*s->slots));
	if (s->slots == NULL)
		return -1;
	s->nslots = total;
	for (i = 0; i < s->nhosts; i++)
		for (k = 0; s->hosts[i].alive && k < s->hosts[i].slots; k++)
			s->slots[slot++].host = &s->hosts[i];
	for (k = 0; k <= total; k++)
		s->slots[k].ctl = -1;
	return 0;
}

/* --- the remote command ------------------------------------------------ */

/* How a remote command enters the work directory. */
enum cd_mode {
	CD_JOB,	 /* the job's script: make it, enter it or exit 1 */
	CD_MAKE, /* a transfer: make it and enter it, && */
	CD_ENTER /* a return or clean-up: enter it, && */
};

/* Go to the work directory, if there is one. */
static int add_cd(struct exec_ssh *s, struct buf *b, enum cd_mode mode)
{
	const char *wd = s->workdir;

	if (wd == NULL)
		return 0;
	if (mode == CD_JOB)
		return qprintf(b, "mkdir -p -- %q && cd -- %q || exit 1\n", wd,
			       wd);
	if (mode == CD_MAKE)
		return qprintf(b, "mkdir -p -- %q && cd -- %q && ", wd, wd);
	return qprintf(b, "cd -- %q && ", wd);
}

/* "export NAME='value'" for a variable set in envp. */
static int add_export(struct buf *b, char *const *envp, const char *name)
{
	const char *v = env_lookup(envp, name);

	if (v == NULL)
		return 0;
	return qprintf(b, "export %s=%q\n", name, v);
}

/* The job's command as it was given: the argv words, or the shell's. */
static int add_command(struct exec_ssh *s, struct buf *b,
		       const struct exec_request *req)
{
	size_t i;

	if (req->shell_cmd != NULL && s->shell == NULL)
		return buf_append_str(b, req->shell_cmd);
	if (req->shell_cmd != NULL)
		return qprintf(b, "exec %q -c %q", s->shell, req->shell_cmd);
	if (buf_append_str(b, "exec") == -1)
		return -1;
	for (i = 0; req->argv[i] != NULL; i++)
		if (qprintf(b, " %q", req->argv[i]) == -1)
			return -1;
	return 0;
}

/* The job's script for the remote /bin/sh: variables, directory, command. */
static int job_script(struct exec_ssh *s, struct ssh_host *h, struct buf *b,
		      const struct exec_request *req)
{
	size_t i;

	if (h->forwarded &&
	    qprintf(b, "export " MGR_ENV "=%q; IFS= read -r " MGR_KEY_ENV
		    " <%q/key; export " MGR_KEY_ENV "\n", h->ctr_addr,
		    h->ctr_dir) == -1)
		return -1;
	for (i = 0; i < ARRAY_LEN(job_vars); i++)
		if (add_export(b, req->envp, job_vars[i]) == -1)
			return -1;
	for (i = 0; i < s->nenv; i++)
		if (add_export(b, req->envp, s->env[i]) == -1)
			return -1;
	if (add_cd(s, b, CD_JOB) == -1)
		return -1;
	return add_command(s, b, req);
}

/* The command line for the remote login shell: the wrapper, the job's
 * script and the watcher, each one quoted word, for /bin/sh. The login
 * shell (which may be csh or fish, with their own quoting) sees only
 * base64 text in single quotes: /bin/sh decodes the command and runs it. */
static int remote_command(struct exec_ssh *s, struct ssh_host *h,
			  struct buf *b, const struct exec_request *req)
{
	struct buf job = BUF_INIT, cmd = BUF_INIT;
	int rc = -1;

	if (job_script(s, h, &job, req) == 0 &&
	    qprintf(&cmd, "exec /bin/sh -c %q mprun %q %q", wrap_sh, job.data,
		    watch_sh) == 0)
		rc = sh_base64(b, cmd.data, cmd.len);
	buf_free(&job);
	buf_free(&cmd);
	return rc;
}

/* --- files: --transfer, --return, --cleanup -------------------------- */

/* "mkdir -p -- DIR && " for path's directory (nothing if it has none). */
static int add_mkdir(struct buf *b, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash == NULL ? 0 : slash == path ? 1 : (size_t)(slash - path);
	char *dir;
	int rc;

	if (n == 0)
		return 0;
	dir = strndup(path, n);
	if (dir == NULL)
		return -1;
	rc = qprintf(b, "mkdir -p -- %q && ", dir);
	free(dir);
	return rc;
}

/* One ssh command of the local script: base + the quoted remote command
 * (which is built in r) + redir (raw) + file (quoted) + end (raw). */
static int add_ssh_line(struct buf *sc, const struct words *base,
			const struct buf *r, const char *redir,
			const char *file, const char *end)
{
	if (script_add_words(sc, base) == -1)
		return -1;
	return qprintf(sc, " %q %s%q%s", r->data != NULL ? r->data : "", redir,
		       file, end);
}

/* The path a local file has on the host, in the work directory: as
 * GNU parallel, what follows "/./" if there is one (dir/./sub/f is
 * sub/f); else the path itself when it is relative and has no ".."
 * component. NULL for an absolute or ".." path (it would be written, and
 * removed by --cleanup, outside the work directory), unless
 * --transfer-absolute. */
static const char *remote_path(const struct exec_ssh *s, const char *f)
{
	const char *dot = strstr(f, "/./"), *p;

	if (dot != NULL)
		f = dot + 3;
	else if (s->transfer_absolute)
		return f;
	if (f[0] == '/' || f[0] == '\0')
		return NULL;
	for (p = f; p != NULL; p = strchr(p, '/'), p = p ? p + 1 : NULL)
		if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || !p[2]))
			return NULL;
	return f;
}

/* A job whose file cannot go to the host: its script says so and fails. */
static int add_refusal(struct buf *sc, const char *what, const char *f)
{
	return qprintf(sc,
		       "printf 'mprun: %%s: %%s: %%s\\n' %q %q "
		       "'an absolute or .. path would be outside the remote "
		       "work directory (use dir/./path or "
		       "--transfer-absolute)' >&2; exit 255\n",
		       what, f);
}

/* Copy each argument to the host: ssh 'mkdir -p D && cat > F' < F. */
static int add_transfers(struct exec_ssh *s, struct buf *sc,
			 const struct words *base,
			 const struct exec_request *req)
{
	struct buf r = BUF_INIT;
	const char *f, *there;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && s->transfer && i < req->nargs; i++) {
		f = req->args[i];
		there = remote_path(s, f);
		buf_reset(&r);
		if (there == NULL)
			rc = add_refusal(sc, "--transfer", f);
		else if (add_cd(s, &r, CD_MAKE) == -1 ||
			 add_mkdir(&r, there) == -1 ||
			 qprintf(&r, "cat > %q", there) == -1)
			rc = -1;
		else
			rc = add_ssh_line(sc, base, &r, "< ", f,
					  " || exit 255\n");
	}
	buf_free(&r);
	return rc;
}

/* The job's return files, expanded (a NULL-terminated array). */
static char **expand_returns(struct exec_ssh *s,
			     const struct exec_request *req)
{
	struct template_job tj = {req->args, req->nargs, req->seq, req->slot};
	struct buf b = BUF_INIT;
	char **v = calloc(s->nreturns + 1, sizeof(char *));
	size_t i;

	for (i = 0; v != NULL && i < s->nreturns; i++) {
		if (template_expand_shell(s->returns[i], &tj, &b, NULL) == -1) {
			strv_free(v);
			return NULL;
		}
		v[i] = buf_steal(&b);
	}
	return v;
}

/* Copy one file back: ssh 'cat -- F' into a new file of a random name
 * beside F (mktemp: never through a link planted there), given the mode
 * a new file gets, then renamed to F (a link at F is replaced, not
 * followed); when that fails, a successful job fails with 255. */
static int add_return(struct exec_ssh *s, struct buf *sc,
		      const struct words *base, const char *file)
{
	struct buf r = BUF_INIT, tmp = BUF_INIT;
	int rc = -1;

	if (add_cd(s, &r, CD_ENTER) == -1 ||
	    qprintf(&r, "cat -- %q", file) == -1 ||
	    buf_printf(&tmp, "%s.mprun-XXXXXX", file) == -1 ||
	    buf_append_str(sc, "t=; if ") == -1 || add_mkdir(sc, file) == -1 ||
	    qprintf(sc, "t=$(mktemp -- %q) && ", tmp.data) == -1 ||
	    script_add_words(sc, base) == -1 ||
	    qprintf(sc, " %q </dev/null >\"$t\"", r.data) == -1)
		goto out;
	rc = qprintf(sc,
		     "; then chmod -- \"$(umask -S | tr -d x)\" \"$t\"; "
		     "mv -f -- \"$t\" %q; "
		     "else [ -z \"$t\" ] || rm -f -- \"$t\"; "
		     "[ $r -ne 0 ] || r=255; fi\n",
		     file);
out:
	buf_free(&r);
	buf_free(&tmp);
	return rc;
}

/* Remove the transferred and returned files on the host. */
static int add_cleanup(struct exec_ssh *s, struct buf *sc,
		       const struct words *base,
		       const struct exec_request *req, char **rets)
{
	struct buf r = BUF_INIT;
	size_t i;
	int rc = 0;

	const char *there;

	if (add_cd(s, &r, CD_ENTER) == -1 ||
	    buf_append_str(&r, "rm -f --") == -1)
		rc = -1;
	/* only what went there (paths in the work directory) */
	for (i = 0; rc == 0 && s->transfer && i < req->nargs; i++)
		if ((there = remote_path(s, req->args[i])) != NULL)
			rc = qprintf(&r, " %q", there);
	for (i = 0; rc == 0 && rets[i] != NULL; i++)
		if ((there = remote_path(s, rets[i])) != NULL)
			rc = qprintf(&r, " %q", there);
	if (rc == 0)
		rc = add_ssh_line(sc, base, &r, "</dev/null", "", "\n");
	buf_free(&r);
	return rc;
}

/* The local script of a job with files: transfers, the job, returns,
 * clean-up; it ends with the job's status. */
static int files_script(struct exec_ssh *s, struct buf *sc,
			const struct words *base,
			const struct exec_request *req,
			const struct buf *remote)
{
	char **rets = expand_returns(s, req);
	size_t i;
	int rc = -1;

	if (rets == NULL || add_transfers(s, sc, base, req) == -1 ||
	    script_add_words(sc, base) == -1 ||
	    qprintf(sc, " %q\nr=$?\n", remote->data) == -1)
		goto out;
	for (i = 0; rets[i] != NULL; i++)
		if (add_return(s, sc, base, rets[i]) == -1)
			goto out;
	if (s->cleanup && add_cleanup(s, sc, base, req, rets) == -1)
		goto out;
	rc = buf_append_str(sc, "exit $r\n");
out:
	strv_free(rets);
	return rc;
}

/* --- the executor --------------------------------------------------------- */

/* A pipe for the job's ssh stdin: the read end for the job, the write end
 * (non-blocking) kept to signal the remote side. */
static int control_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	if (fcntl(fds[1], F_SETFL, O_NONBLOCK) == -1) {
		close_keep_errno(fds[0]);
		close_keep_errno(fds[1]);
		return -1;
	}
	return 0;
}

/* The local argv of a remote job, in w: its ssh, or a local sh running
 * the file script (kept in sc); the remote command is kept in cmd. */
static int remote_argv(struct exec_ssh *s, struct ssh_host *h,
		       const struct exec_request *req, struct words *w,
		       struct buf *sc, struct buf *cmd)
{
	struct words base = {0};
	int rc = -1;

	if (remote_command(s, h, cmd, req) == -1)
		return -1;
	if ((!s->transfer || req->nargs == 0) && s->nreturns == 0)
		return ssh_base(s, h, w, "ControlMaster=no") == -1
			       ? -1
			       : words_addv(w, "--", h->login, cmd->data, NULL);
	if (ssh_base(s, h, &base, "ControlMaster=no") == 0 &&
	    words_addv(&base, "--", h->login, NULL) == 0 &&
	    files_script(s, sc, &base, req, cmd) == 0)
		rc = words_addv(w, "/bin/sh", "-c", sc->data, NULL);
	free(base.v);
	return rc;
}

/* Start a remote job: its ssh (or file script) with the control pipe;
 * behind the gate while its host's master is being started. */
static int remote_spawn(struct exec_ssh *s, struct ssh_slot *sl,
			const struct exec_request *req, pid_t *pid,
			int *exec_errno)
{
	struct exec_request r = *req;
	struct words w = {0};
	struct buf sc = BUF_INIT, cmd = BUF_INIT;
	int ctl[2] = {-1, -1}, rc = -1;
	int gated = master_revive(s, sl->host);

	if ((gated && words_addv(&w, "/bin/sh", "-c", gate_sh, "mprun-gate",
				 NULL) == -1) ||
	    remote_argv(s, sl->host, req, &w, &sc, &cmd) == -1 ||
	    control_pipe(ctl) == -1)
		goto out;
	r.argv = (char *const *)w.v;
	r.shell_cmd = NULL;
	r.fd_in = ctl[0];
	rc = s->local->spawn(s->local->ctx, &r, pid, exec_errno);
	close_keep_errno(ctl[0]);
	if (rc == -1) {
		close_keep_errno(ctl[1]);
		goto out;
	}
	close_keep_errno(sl->ctl);
	sl->ctl = ctl[1];
	sl->pid = *pid;
	sl->gated = gated;
out:
	free(w.v);
	buf_free(&sc);
	buf_free(&cmd);
	return rc;
}

/* executor.spawn: the slot's host runs the job (slot 0: here). */
static int ssh_spawn(void *ctx, const struct exec_request *req, pid_t *pid,
		     int *exec_errno)
{
	struct exec_ssh *s = ctx;
	struct ssh_slot *sl;

	if (req->slot == 0 || req->slot > s->nslots ||
	    s->slots[req->slot].host->local)
		return s->local->spawn(s->local->ctx, req, pid, exec_errno);
	sl = &s->slots[req->slot];
	return remote_spawn(s, sl, req, pid, exec_errno);
}

/* executor.terminate: send sig to the job's remote process group over the
 * control channel; ssh itself only gets the final SIGKILL (1). */
static int ssh_terminate(void *ctx, pid_t pid, unsigned slot, int sig)
{
	struct exec_ssh *s = ctx;
	struct ssh_slot *sl;
	const char *name = sigabbrev_np(sig);
	char msg[32];

	if (slot == 0 || slot > s->nslots)
		return 0;
	sl = &s->slots[slot];
	/* at the gate, the local process is all there is */
	if (sl->pid != pid || sl->ctl < 0 || sl->gated)
		return 0;
	if (sig == SIGKILL) { /* end of file: the watcher ends the group */
		close(sl->ctl);
		sl->ctl = -1;
		return 0;
	}
	if (name == NULL)
		return 0;
	snprintf(msg, sizeof(msg), "%s\n", name);
	pipe_write(sl->ctl, msg);
	return 1;
}

/* executor.host: the login of the slot's host; NULL for this machine. */
static const char *ssh_host_name(void *ctx, unsigned slot)
{
	struct exec_ssh *s = ctx;

	if (slot == 0 || slot > s->nslots || s->slots[slot].host->local)
		return NULL;
	return s->slots[slot].host->login;
}

/* executor.attach: helpers run in l from now on; none when l is NULL
 * (the run is over: the masters being started are ended). */
static int ssh_attach(void *ctx, struct loop *l)
{
	struct exec_ssh *s = ctx;
	size_t i;

	if (l == NULL)
		for (i = 0; i < s->nhosts; i++)
			host_helpers_end(s, &s->hosts[i]);
	s->loop = l;
	return 0;
}

/* Copy the options that need no checking. */
static int copy_opts(struct exec_ssh *s, const struct exec_ssh_opts *o)
{
	unsigned t = o->connect_timeout ? o->connect_timeout
					: CONNECT_TIMEOUT_S;
	size_t i;

	snprintf(s->timeout_opt, sizeof(s->timeout_opt), "ConnectTimeout=%u",
		 t);
	s->connect_ms = t * 1000;
	s->default_slots = o->default_slots;
	s->transfer = o->transfer;
	s->transfer_absolute = o->transfer_absolute;
	s->cleanup = o->cleanup;
	s->notice = o->notice;
	s->data = o->data;
	s->check_mprun = o->check_mprun;
	if (o->counters_sock != NULL &&
	    ((s->ctr_sock = strdup(o->counters_sock)) == NULL ||
	     (s->ctr_key = strdup(o->counters_key != NULL ? o->counters_key
							  : "")) == NULL))
		return -1;
	s->local = exec_local(o->shell);
	s->ssh = strv_split_blanks(o->ssh != NULL ? o->ssh : "ssh", &s->nssh);
	if (s->ssh == NULL)
		return -1;
	if (s->nssh == 0) {
		ssh_err(s, EINVAL, "the ssh command is empty");
		return -1;
	}
	if (o->shell != NULL && strcmp(o->shell, "/bin/sh") != 0 &&
	    (s->shell = strdup(o->shell)) == NULL)
		return -1;
	if (o->workdir != NULL && (s->workdir = strdup(o->workdir)) == NULL)
		return -1;
	for (i = 0; i < o->nlogins; i++)
		if (ssh_logins_each(o->logins[i], add_login, s) == -1)
			return -1;
	for (i = 0; i < o->nlogin_files; i++)
		if (add_login_file(s, o->login_files[i]) == -1)
			return -1;
	return 0;
}

/* Copy and check the --env names. */
static int copy_env(struct exec_ssh *s, const struct exec_ssh_opts *o)
{
	size_t i;

	s->env = calloc(o->nenv + 1, sizeof(char *));
	if (s->env == NULL)
		return -1;
	for (i = 0; i < o->nenv; i++) {
		if (!env_name_ok(o->env[i])) {
			ssh_err(s, EINVAL, "--env: bad variable name '%s'",
				o->env[i]);
			return -1;
		}
		s->env[i] = strdup(o->env[i]);
		if (s->env[i] == NULL)
			return -1;
		s->nenv++;
	}
	return 0;
}

/* Make the --return templates: raw text with {} {.} ... replaced. */
static int copy_returns(struct exec_ssh *s, const struct exec_ssh_opts *o)
{
	size_t i;

	s->returns = calloc(o->nreturns + 1, sizeof(*s->returns));
	if (s->returns == NULL)
		return -1;
	for (i = 0; i < o->nreturns; i++) {
		s->returns[i] = template_new(&o->returns[i], 1,
					     TEMPLATE_NO_QUOTE |
						     TEMPLATE_NO_APPEND,
					     NULL);
		if (s->returns[i] == NULL) {
			if (errno == EINVAL)
				ssh_err(s, EINVAL, "--return: empty file name");
			return -1;
		}
		s->nreturns++;
	}
	return 0;
}

/* Has any host to be reached through ssh? */
static int any_remote(const struct exec_ssh *s)
{
	size_t i;

	for (i = 0; i < s->nhosts; i++)
		if (!s->hosts[i].local)
			return 1;
	return 0;
}

struct exec_ssh *exec_ssh_new(const struct exec_ssh_opts *o, char *err,
			      size_t errlen)
{
	struct exec_ssh *s = calloc(1, sizeof(*s));
	const char *tmpdir = o->tmpdir ? o->tmpdir : getenv("TMPDIR");

	if (s == NULL)
		return NULL;
	s->err = err;
	s->errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
	if (copy_opts(s, o) == -1 || copy_env(s, o) == -1 ||
	    copy_returns(s, o) == -1)
		goto fail;
	if (s->nhosts == 0) {
		ssh_err(s, EINVAL, "no SSH login given");
		goto fail;
	}
	if (any_remote(s) && make_sockets(s, tmpdir) == -1)
		goto fail;
	if (check_hosts(s) == -1 || map_slots(s) == -1)
		goto fail;
	s->exec = (struct executor){"ssh", ssh_spawn, ssh_terminate,
				    ssh_host_name, s, ssh_attach};
	return s;
fail:
	errbuf_errno(err, errlen);
	exec_ssh_free(s);
	return NULL;
}

const struct executor *exec_ssh_executor(struct exec_ssh *s)
{
	return &s->exec;
}

unsigned exec_ssh_slots(const struct exec_ssh *s)
{
	return s->nslots;
}

void exec_ssh_free(struct exec_ssh *s)
{
	int saved = errno;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nhosts; i++)
		host_helpers_end(s, &s->hosts[i]);
	for (i = 0; s->slots != NULL && i <= s->nslots; i++)
		close_keep_errno(s->slots[i].ctl);
	counters_dirs_remove(s);
	masters_close(s);
	for (i = 0; i < s->nhosts; i++) {
		free(s->hosts[i].login);
		strv_free(s->hosts[i].ssh);
		free(s->hosts[i].ctl_opt);
		free(s->hosts[i].ctr_dir);
		free(s->hosts[i].ctr_addr);
	}
	if (s->dir != NULL)
		rmdir(s->dir);
	for (i = 0; i < s->nreturns; i++)
		template_free(s->returns[i]);
	free(s->returns);
	free(s->slots);
	free(s->hosts);
	strv_free(s->ssh);
	strv_free(s->env);
	free(s->workdir);
	free(s->shell);
	free(s->dir);
	free(s->ctr_sock);
	free(s->ctr_key);
	free(s);
	errno = saved;
}
