/* jobfiles: per-job output files for --results and callbacks. */
#include "jobfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "dirs.h"
#include "internal.h"

struct jobfiles {
	char *dir;   /* the results directory, or the private one */
	int private; /* dir is ours: remove it at the end */
};

static const char *const stream_name[2] = {"stdout", "stderr"};


/* Make a private directory under tmpdir, $TMPDIR or /tmp. */
static char *private_dir(const char *tmpdir)
{
	char path[PATH_MAX];

	if (tmpdir == NULL)
		tmpdir = getenv("TMPDIR");
	if (tmpdir == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	if ((size_t)snprintf(path, sizeof(path), "%s/mprun-cb.XXXXXX",
			     tmpdir) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if (mkdtemp(path) == NULL)
		return NULL;
	return strdup(path);
}

struct jobfiles *jobfiles_new(const char *results_dir, const char *tmpdir)
{
	struct jobfiles *jf = calloc(1, sizeof(*jf));

	if (jf == NULL)
		return NULL;
	if (results_dir != NULL) {
		if (dirs_make(results_dir) == -1)
			goto fail;
		jf->dir = strdup(results_dir);
	} else {
		jf->dir = private_dir(tmpdir);
		jf->private = 1;
	}
	if (jf->dir == NULL)
		goto fail;
	return jf;
fail:
	free(jf);
	return NULL;
}

void jobfiles_free(struct jobfiles *jf)
{
	if (jf == NULL)
		return;
	if (jf->private)
		rmdir(jf->dir);
	free(jf->dir);
	free(jf);
}

/* Format a path in the job's place: DIR/SEQ/NAME or DIR/SEQ.NAME. */
static int job_path(const struct jobfiles *jf, unsigned long long seq,
		    const char *name, char *path, size_t len)
{
	int n = jf->private
			? snprintf(path, len, "%s/%llu.%s", jf->dir, seq, name)
			: snprintf(path, len, "%s/%llu/%s", jf->dir, seq, name);

	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int jobfiles_path(const struct jobfiles *jf, unsigned long long seq,
		  int stream, char *path, size_t len)
{
	return job_path(jf, seq, stream_name[stream], path, len);
}

/* The name a file is written under before it is complete. */
static int tmp_path(const struct jobfiles *jf, unsigned long long seq,
		    const char *name, char *path, size_t len)
{
	char tmpname[64];

	if (jf->private)
		return job_path(jf, seq, name, path, len);
	snprintf(tmpname, sizeof(tmpname), ".%s.tmp", name);
	return job_path(jf, seq, tmpname, path, len);
}

int jobfiles_open(struct jobfiles *jf, unsigned long long seq, int fds[2])
{
	char path[PATH_MAX];
	int i;

	fds[0] = fds[1] = -1;
	if (!jf->private) {
		if (job_path(jf, seq, "", path, sizeof(path)) == -1 ||
		    dirs_make(path) == -1)
			return -1;
	}
	for (i = 0; i < 2; i++) {
		if (tmp_path(jf, seq, stream_name[i], path, sizeof(path)) == -1)
			goto fail;
		fds[i] = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			      0666);
		if (fds[i] == -1)
			goto fail;
	}
	return 0;
fail:
	close_keep_errno(fds[0]);
	fds[0] = -1;
	return -1;
}

/* Write a small file under its temporary name, then rename it. */
static int write_small(const struct jobfiles *jf, unsigned long long seq,
		       const char *name, const char *text)
{
	char tmp[PATH_MAX], final[PATH_MAX];
	int fd, rc;

	if (tmp_path(jf, seq, name, tmp, sizeof(tmp)) == -1 ||
	    job_path(jf, seq, name, final, sizeof(final)) == -1)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd == -1)
		return -1;
	rc = capture_write_all(fd, text, strlen(text));
	if (close(fd) == -1)
		rc = -1;
	if (rc == 0)
		rc = rename(tmp, final);
	return rc;
}

/* The cmd file: the command and a newline. */
static int write_cmd(const struct jobfiles *jf, unsigned long long seq,
		     const char *command)
{
	char *text;
	int rc;

	if (command == NULL)
		return 0;
	if (asprintf(&text, "%s\n", command) == -1)
		return -1;
	rc = write_small(jf, seq, "cmd", text);
	free(text);
	return rc;
}

int jobfiles_commit(struct jobfiles *jf, unsigned long long seq,
		    const char *command, int exitval, int sig)
{
	char tmp[PATH_MAX], final[PATH_MAX], num[32];
	int i;

	if (jf->private)
		return 0;
	for (i = 0; i < 2; i++) {
		if (tmp_path(jf, seq, stream_name[i], tmp, sizeof(tmp)) == -1 ||
		    job_path(jf, seq, stream_name[i], final, sizeof(final)) ==
			    -1 ||
		    rename(tmp, final) == -1)
			return -1;
	}
	snprintf(num, sizeof(num), "%d\n", exitval);
	if (write_small(jf, seq, "exitval", num) == -1)
		return -1;
	snprintf(num, sizeof(num), "%d\n", sig);
	if (write_small(jf, seq, "signal", num) == -1)
		return -1;
	return write_cmd(jf, seq, command);
}

void jobfiles_remove(struct jobfiles *jf, unsigned long long seq)
{
	char path[PATH_MAX];
	int i;

	if (!jf->private)
		return;
	for (i = 0; i < 2; i++)
		if (jobfiles_path(jf, seq, i, path, sizeof(path)) == 0)
			unlink(path);
}
