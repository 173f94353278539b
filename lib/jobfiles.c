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
	int dfd;     /* dir, opened once (all else is relative to it) */
	int private; /* dir is ours: remove it at the end */
};

static const char *const stream_name[2] = {"stdout", "stderr"};

/* Room for a file's name, under its temporary name too. */
#define NAME_LEN (NAME_MAX + 16)

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
	jf->dfd = -1;
	if (results_dir != NULL && *results_dir == '\0')
		return jf; /* each job has a place of its own */
	if (results_dir != NULL) {
		if (dirs_make_own(results_dir) == -1)
			goto fail;
		jf->dir = strdup(results_dir);
	} else {
		jf->dir = private_dir(tmpdir);
		jf->private = 1;
	}
	if (jf->dir == NULL)
		goto fail;
	/* a directory another user controls is refused (see dirs.h) */
	jf->dfd = dirs_open_own(AT_FDCWD, jf->dir);
	if (jf->dfd == -1)
		goto fail;
	return jf;
fail:
	jobfiles_free(jf);
	return NULL;
}

void jobfiles_free(struct jobfiles *jf)
{
	if (jf == NULL)
		return;
	close_keep_errno(jf->dfd);
	if (jf->private && jf->dir != NULL)
		rmdir(jf->dir);
	free(jf->dir);
	free(jf);
}

/* What follows a place's own name in the name of its file what (a place
 * that is a file: PLACE, PLACE.err, PLACE.seq). */
static const char *place_suffix(const char *what)
{
	return strcmp(what, "stdout") == 0   ? ""
	       : strcmp(what, "stderr") == 0 ? ".err"
					     : ".seq";
}

/* 1 if the place is a directory (ends in "/"). */
static int place_is_dir(const char *place)
{
	return place[0] != '\0' && place[strlen(place) - 1] == '/';
}

/* Format a path in the job's place: DIR/SEQ/NAME or DIR/SEQ.NAME, or
 * PLACE/NAME or PLACE.SUFFIX. */
static int job_path(const struct jobfiles *jf, unsigned long long seq,
		    const char *place, const char *name, char *path,
		    size_t len)
{
	int n = place != NULL && place_is_dir(place)
			? snprintf(path, len, "%s%s", place, name)
		: place != NULL
			? snprintf(path, len, "%s%s", place, place_suffix(name))
		: jf->private
			? snprintf(path, len, "%s/%llu.%s", jf->dir, seq, name)
			: snprintf(path, len, "%s/%llu/%s", jf->dir, seq, name);

	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int jobfiles_path(const struct jobfiles *jf, unsigned long long seq,
		  const char *place, int stream, char *path, size_t len)
{
	return job_path(jf, seq, place, stream_name[stream], path, len);
}

/* The name of a place's file what, under its temporary name if tmp (the
 * job's number in it: jobs may share a place, the last one's files stay).
 * 0, or -1/ENAMETOOLONG. */
static int place_name(const char *place, unsigned long long seq,
		      const char *what, int tmp, char *name, size_t len)
{
	const char *slash = strrchr(place, '/');
	const char *base = place_is_dir(place) ? what
			   : slash == NULL    ? place
					      : slash + 1;
	const char *suffix = place_is_dir(place) ? "" : place_suffix(what);
	int n = tmp ? snprintf(name, len, ".%s%s.%llu.tmp", base, suffix, seq)
		    : snprintf(name, len, "%s%s", base, suffix);

	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* The directory of a place into dir (len bytes): "." for a bare name.
 * 0, or -1/errno (EINVAL: an empty place). */
static int place_dirname(const char *place, char *dir, size_t len)
{
	const char *slash = strrchr(place, '/');
	size_t dlen = place_is_dir(place) ? strlen(place)
		      : slash == NULL	  ? 0
		      : slash == place	  ? 1
					  : (size_t)(slash - place);

	if (*place == '\0') {
		errno = EINVAL;
		return -1;
	}
	if (dlen >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (dlen == 0)
		dir[dlen++] = '.';
	else
		memcpy(dir, place, dlen);
	dir[dlen] = '\0';
	return 0;
}

/* The directory of a place (jobfiles_open() made it), opened and checked
 * as a results directory is, and in *name the name of its file what. The
 * fd, or -1/errno. */
static int place_dir(const char *place, unsigned long long seq,
		     const char *what, int tmp, char *name, size_t len)
{
	char dir[PATH_MAX];

	if (place_dirname(place, dir, sizeof(dir)) == -1 ||
	    place_name(place, seq, what, tmp, name, len) == -1)
		return -1;
	return dirs_open_own(AT_FDCWD, dir);
}

/* The directory a job's files go in, opened (a results directory's
 * SEQ/, made if missing and checked as the top one; or the place's), and
 * in *name the name of its file what, under its temporary name if tmp.
 * The directory's fd, to close (jf->dfd itself for the private
 * directory: not to close), or -1/errno. */
static int job_dir(const struct jobfiles *jf, unsigned long long seq,
		   const char *place, const char *what, int tmp, char *name,
		   size_t len)
{
	char sub[32];
	int n;

	if (place != NULL)
		return place_dir(place, seq, what, tmp, name, len);
	if (jf->private) {
		n = snprintf(name, len, "%llu.%s", seq, what);
		return n < 0 || (size_t)n >= len ? -1 : jf->dfd;
	}
	n = snprintf(name, len, tmp ? ".%s.tmp" : "%s", what);
	if (n < 0 || (size_t)n >= len)
		return -1;
	snprintf(sub, sizeof(sub), "%llu", seq);
	if (mkdirat(jf->dfd, sub, 0777) == -1 && errno != EEXIST)
		return -1;
	return dirs_open_own(jf->dfd, sub);
}

/* Close a job's directory from job_dir(), keeping errno. */
static void job_dir_close(const struct jobfiles *jf, int fd)
{
	if (fd != jf->dfd)
		close_keep_errno(fd);
}

/* Make a new file name in the directory dfd, never through a link or
 * into an existing file: a stale one is removed first. */
static int create_at(int dfd, const char *name)
{
	int fd, tries;

	for (tries = 0; tries < 2; tries++) {
		fd = openat(dfd, name,
			    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0666);
		if (fd != -1 || errno != EEXIST)
			return fd;
		if (unlinkat(dfd, name, 0) == -1 && errno != ENOENT)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

int jobfiles_open(struct jobfiles *jf, unsigned long long seq,
		  const char *place, int fds[2])
{
	char name[NAME_LEN], dir[PATH_MAX];
	int i, dfd = -1;

	fds[0] = fds[1] = -1;
	/* a place's directories are made (and the way checked) once */
	if (place != NULL && (place_dirname(place, dir, sizeof(dir)) == -1 ||
			      dirs_make_own(dir) == -1))
		return -1;
	for (i = 0; i < 2; i++) {
		dfd = job_dir(jf, seq, place, stream_name[i], 1, name,
			      sizeof(name));
		if (dfd == -1)
			goto fail;
		fds[i] = create_at(dfd, name);
		job_dir_close(jf, dfd);
		if (fds[i] == -1)
			goto fail;
	}
	return 0;
fail:
	close_keep_errno(fds[0]);
	fds[0] = -1;
	return -1;
}

/* Give a job's file its final name (renamed within its directory). */
static int commit_at(const struct jobfiles *jf, unsigned long long seq,
		     const char *place, const char *what)
{
	char tmp[NAME_LEN], final[NAME_LEN];
	int dfd = job_dir(jf, seq, place, what, 1, tmp, sizeof(tmp)), rc;

	if (dfd == -1)
		return -1;
	if (place != NULL)
		rc = place_name(place, seq, what, 0, final, sizeof(final));
	else
		rc = snprintf(final, sizeof(final), "%s", what) < 0 ? -1 : 0;
	if (rc == 0)
		rc = renameat(dfd, tmp, dfd, final);
	job_dir_close(jf, dfd);
	return rc;
}

/* Write a small file under its temporary name, then rename it. */
static int write_small(const struct jobfiles *jf, unsigned long long seq,
		       const char *place, const char *what, const char *text)
{
	char tmp[NAME_LEN];
	int dfd = job_dir(jf, seq, place, what, 1, tmp, sizeof(tmp)), fd, rc;

	if (dfd == -1)
		return -1;
	fd = create_at(dfd, tmp);
	job_dir_close(jf, dfd);
	if (fd == -1)
		return -1;
	rc = capture_write_all(fd, text, strlen(text));
	if (close(fd) == -1)
		rc = -1;
	return rc == 0 ? commit_at(jf, seq, place, what) : -1;
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
	rc = write_small(jf, seq, NULL, "cmd", text);
	free(text);
	return rc;
}

int jobfiles_commit(struct jobfiles *jf, unsigned long long seq,
		    const char *place, const char *command, int exitval,
		    int sig)
{
	char num[32];
	int i;

	if (jf->private)
		return 0;
	for (i = 0; i < 2; i++)
		if (commit_at(jf, seq, place, stream_name[i]) == -1)
			return -1;
	if (place != NULL) { /* GNU parallel's files: stdout, stderr, seq */
		snprintf(num, sizeof(num), "%llu", seq); /* no newline */
		return write_small(jf, seq, place, "seq", num);
	}
	snprintf(num, sizeof(num), "%d\n", exitval);
	if (write_small(jf, seq, NULL, "exitval", num) == -1)
		return -1;
	snprintf(num, sizeof(num), "%d\n", sig);
	if (write_small(jf, seq, NULL, "signal", num) == -1)
		return -1;
	return write_cmd(jf, seq, command);
}

void jobfiles_remove(struct jobfiles *jf, unsigned long long seq)
{
	char name[64];
	int i;

	if (!jf->private)
		return;
	for (i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "%llu.%s", seq, stream_name[i]);
		unlinkat(jf->dfd, name, 0);
	}
}
