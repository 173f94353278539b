/* onall: --onall and --nonall as an outer run of one mprun per host. */
#include "onall.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "capture.h"
#include "common.h"
#include "exec_ssh.h"
#include "hold.h"
#include "quote.h"

struct onall {
	char **hosts;     /* owned strings */
	size_t nhosts;
	char **argv;      /* the outer command line (strings owned below) */
	char **owned;     /* what argv holds that is ours */
	size_t nowned;
	char *stdin_copy; /* the inputs read from stdin, in a file */
	char jobs[32];
};

/* Keep s (ours) in o; s itself, or NULL. */
static char *own(struct onall *o, char *s)
{
	char **v;

	if (s == NULL)
		return NULL;
	v = realloc(o->owned, (o->nowned + 1) * sizeof(*v));
	if (v == NULL) {
		free(s);
		return NULL;
	}
	o->owned = v;
	v[o->nowned++] = s;
	return s;
}

/* ssh_logins_each callback: add the host of one "[N/]LOGIN" (N dropped:
 * each host runs one job at a time). */
static int add_host(void *data, const struct ssh_login *e)
{
	struct onall *o = data;
	char **v;

	if (e->len == 0)
		return 0;
	v = realloc(o->hosts, (o->nhosts + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	o->hosts = v;
	v[o->nhosts] = strndup(e->login, e->len);
	return v[o->nhosts++] == NULL ? -1 : 0;
}

/* The hosts of a --slf file (a list a line, '#' comments). */
static int add_host_file(struct onall *o, const char *path)
{
	FILE *f = fopen(path, "r");
	int rc;

	if (f == NULL) {
		fprintf(stderr, "mprun: --slf %s: %s\n", path, strerror(errno));
		return -1;
	}
	rc = ssh_login_lines_each(f, add_host, o);
	fclose(f);
	return rc;
}

/* The inputs come from stdin: copy them into a file that every host's run
 * reads. 0 or -1 (said). */
static int copy_stdin(struct onall *o, const char *tmpdir)
{
	struct buf path = BUF_INIT;
	char chunk[65536];
	ssize_t n;
	int fd;

	if (buf_printf(&path, "%s/mprun-onall.XXXXXX", hold_dir(tmpdir)) == -1)
		return -1;
	fd = mkstemp(path.data);
	if (fd == -1) {
		fprintf(stderr, "mprun: --onall: a file in %s: %s\n",
			hold_dir(tmpdir), strerror(errno));
		buf_free(&path);
		return -1;
	}
	o->stdin_copy = buf_steal(&path);
	while ((n = read(STDIN_FILENO, chunk, sizeof(chunk))) > 0)
		if (capture_write_all(fd, chunk, (size_t)n) == -1)
			break;
	if (n != 0 || close(fd) == -1) {
		fprintf(stderr, "mprun: --onall: copying the inputs from "
			"stdin: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* One host's command line, quoted for the shell: mprun -S HOST -j1, the
 * options kept, the command and its inputs. */
static char *host_command(struct onall *o, const struct cli *cli,
			  const char *self, const char *host, char **words,
			  size_t nwords)
{
	struct buf b = BUF_INIT;
	size_t i;
	int rc;

	rc = quote_shell(&b, self) | buf_append_str(&b, " -S ") |
	     quote_shell(&b, host) | buf_append_str(&b, " -j1");
	if (cli->tag && strchr(host, '{') == NULL) /* GNU: the host */
		rc |= buf_append_str(&b, " --tagstring ") |
		      quote_shell(&b, host);
	if (cli->onall == ONALL_NONE_ARGS) /* once: an input put nowhere */
		rc |= buf_append_str(&b, " -N0");
	for (i = 0; i < nwords; i++)
		rc |= buf_append_char(&b, ' ') | quote_shell(&b, words[i]);
	if (cli->onall == ONALL_NONE_ARGS)
		rc |= buf_append_str(&b, " ::: 1");
	else if (o->stdin_copy != NULL)
		rc |= buf_append_str(&b, " :::: ") |
		      quote_shell(&b, o->stdin_copy);
	if (rc != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* The outer command line: -j, -k, the output mode, and the hosts'
 * command lines as its inputs, each run by the shell (no command). */
static int outer_argv(struct onall *o, const struct cli *cli,
		      const char *self, char **words, size_t nwords,
		      int *argc)
{
	size_t n = 0, i;
	char **a = calloc(2 * o->nhosts + 16, sizeof(char *));

	if (a == NULL)
		return -1;
	o->argv = a;
	a[n++] = (char *)"mprun";
	snprintf(o->jobs, sizeof(o->jobs), "%u",
		 cli->jobs != NULL ? opts_slots(cli->jobs)
				   : (unsigned)o->nhosts);
	a[n++] = (char *)"-j";
	a[n++] = o->jobs;
	if (cli->order == ORDER_IMAP)
		a[n++] = (char *)"-k";
	if (cli->output == POOL_LINES)
		a[n++] = (char *)"--line-buffer";
	else if (cli->output == POOL_UNGROUP)
		a[n++] = (char *)"-u";
	if (cli->shell != NULL) {
		a[n++] = (char *)"--shell";
		a[n++] = (char *)cli->shell;
	}
	a[n++] = (char *)"--";
	a[n++] = (char *)":::";
	for (i = 0; i < o->nhosts; i++)
		if ((a[n++] = own(o, host_command(o, cli, self, o->hosts[i],
						  words, nwords))) == NULL)
			return -1;
	*argc = (int)n;
	return 0;
}

struct onall *onall_new(const struct cli *cli, int argc, char **argv,
			int *out_argc, char ***out_argv)
{
	struct onall *o = calloc(1, sizeof(*o));
	char self[PATH_MAX], **words = NULL;
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	size_t nwords = 0, i;

	if (o == NULL || len <= 0) {
		warn_msg(strerror(errno));
		goto fail;
	}
	self[len] = '\0';
	for (i = 0; i < cli->nsshlogins; i++)
		if (ssh_logins_each(cli->sshlogins[i], add_host, o) == -1)
			goto fail_said;
	for (i = 0; i < cli->nslfs; i++)
		if (add_host_file(o, cli->slfs[i]) == -1)
			goto fail;
	if (o->nhosts == 0) {
		warn_msg("--onall: no host in -S or --slf");
		goto fail;
	}
	if (opts_onall_words(argc, argv, &words, &nwords) == -1)
		goto fail;
	if (cli->onall == ONALL_ALL && cli->stdin_args &&
	    copy_stdin(o, cli->tmpdir) == -1)
		goto fail;
	if (outer_argv(o, cli, self, words, nwords, out_argc) == -1)
		goto fail_said;
	free(words);
	*out_argv = o->argv;
	return o;
fail_said:
	warn_msg(strerror(errno));
fail:
	free(words);
	onall_free(o);
	return NULL;
}

void onall_free(struct onall *o)
{
	size_t i;

	if (o == NULL)
		return;
	if (o->stdin_copy != NULL)
		unlink(o->stdin_copy);
	free(o->stdin_copy);
	for (i = 0; i < o->nhosts; i++)
		free(o->hosts[i]);
	free(o->hosts);
	for (i = 0; i < o->nowned; i++)
		free(o->owned[i]);
	free(o->owned);
	free(o->argv);
	free(o);
}
