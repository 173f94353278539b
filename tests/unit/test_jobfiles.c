/* Unit tests for lib/jobfiles: the --results layout (DIR/SEQ/ with cmd,
 * stdout, stderr, exitval, signal; temporary names until the job ends)
 * and the private files of the callbacks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobfiles.h"
#include "unit.h"

static char top[] = "/tmp/test_jobfilesXXXXXX";
static char text[4096];

/* The whole file at p, or "(none)". */
static const char *slurp(const char *p)
{
	int fd = open(p, O_RDONLY);
	ssize_t n;

	if (fd == -1)
		return "(none)";
	n = read(fd, text, sizeof(text) - 1);
	text[n > 0 ? n : 0] = '\0';
	close(fd);
	return text;
}

/* The file at dir/name, or "(none)". */
static const char *file(const char *d, const char *name)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", d, name);
	return slurp(p);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory d, sorted, joined by spaces ("(none)" if d is
 * missing). */
static const char *names(const char *d)
{
	static char out[1024];
	char *v[64];
	size_t n = 0, i;
	struct dirent *e;
	DIR *dp = opendir(d);

	if (dp == NULL)
		return "(none)";
	while ((e = readdir(dp)) != NULL && n < 64)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			v[n++] = strdup(e->d_name);
	closedir(dp);
	qsort(v, n, sizeof(v[0]), cmp);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(out, " ");
		strncat(out, v[i], sizeof(out) - strlen(out) - 2);
		free(v[i]);
	}
	return out;
}

/* Write s on fd. */
static void say(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		printf("# short write\n");
}

/* --results DIR: made with its parents; files under temporary names
 * while the job runs; the five files once it ended. */
static void test_results(void)
{
	char results[PATH_MAX], job[PATH_MAX + 32], p[PATH_MAX];
	struct jobfiles *jf;
	int fds[2] = {-1, -1};

	snprintf(results, sizeof(results), "%s/a/b/res", top);
	jf = jobfiles_new(results, NULL);
	CHECK(jf != NULL);
	CHECK_STR(names(results), "");
	CHECK_INT(jobfiles_open(jf, 7, NULL, fds), 0);
	CHECK(fds[0] >= 0 && fds[1] >= 0 && fds[0] != fds[1]);
	CHECK(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
	snprintf(job, sizeof(job), "%s/7", results);
	/* while the job runs, no file has its final name */
	CHECK_STR(names(job), ".stderr.tmp .stdout.tmp");
	say(fds[0], "out\n");
	say(fds[1], "err\n");
	close(fds[0]);
	close(fds[1]);
	CHECK_INT(jobfiles_commit(jf, 7, NULL, "echo 'a\tb'", 3, 0), 0);
	CHECK_STR(names(job), "cmd exitval signal stderr stdout");
	CHECK_STR(file(job, "stdout"), "out\n");
	CHECK_STR(file(job, "stderr"), "err\n");
	CHECK_STR(file(job, "cmd"), "echo 'a\tb'\n");
	CHECK_STR(file(job, "exitval"), "3\n");
	CHECK_STR(file(job, "signal"), "0\n");
	CHECK_INT(jobfiles_path(jf, 7, NULL, 0, p, sizeof(p)), 0);
	CHECK_STR(p, strcat(strcpy(job, results), "/7/stdout"));
	CHECK_INT(jobfiles_path(jf, 7, NULL, 1, p, sizeof(p)), 0);
	CHECK_STR(p, strcat(strcpy(job, results), "/7/stderr"));

	/* A killed job; a job with no output; no command: no cmd file. */
	CHECK_INT(jobfiles_open(jf, 12, NULL, fds), 0);
	close(fds[0]);
	close(fds[1]);
	CHECK_INT(jobfiles_commit(jf, 12, NULL, NULL, 137, 9), 0);
	snprintf(job, sizeof(job), "%s/12", results);
	CHECK_STR(names(job), "exitval signal stderr stdout");
	CHECK_STR(file(job, "stdout"), "");
	CHECK_STR(file(job, "exitval"), "137\n");
	CHECK_STR(file(job, "signal"), "9\n");

	/* A retry: opened again, the job's files start empty. */
	CHECK_INT(jobfiles_open(jf, 7, NULL, fds), 0);
	snprintf(job, sizeof(job), "%s/7", results);
	CHECK_STR(file(job, ".stdout.tmp"), "");
	say(fds[0], "second\n");
	close(fds[0]);
	close(fds[1]);
	CHECK_INT(jobfiles_commit(jf, 7, NULL, "again", 0, 0), 0);
	CHECK_STR(file(job, "stdout"), "second\n");
	CHECK_STR(file(job, "stderr"), "");
	CHECK_STR(file(job, "cmd"), "again\n");
	CHECK_STR(file(job, "exitval"), "0\n");
	CHECK_STR(names(job), "cmd exitval signal stderr stdout");

	/* jobfiles_remove leaves a results directory alone; so does free. */
	jobfiles_remove(jf, 7);
	CHECK_STR(names(job), "cmd exitval signal stderr stdout");
	jobfiles_free(jf);
	CHECK_STR(names(results), "12 7");

	/* An existing results directory is used as it is. */
	jf = jobfiles_new(results, NULL);
	CHECK(jf != NULL);
	jobfiles_free(jf);
	CHECK_STR(names(results), "12 7");

	/* Commit of a job never opened: an error, nothing made. */
	jf = jobfiles_new(results, NULL);
	errno = 0;
	CHECK(jobfiles_commit(jf, 99, NULL, "x", 0, 0) == -1 &&
	      errno == ENOENT);
	jobfiles_free(jf);
}

/* Where the results directory cannot be. */
static void test_results_bad(void)
{
	char p[PATH_MAX], longname[PATH_MAX + 16];
	struct jobfiles *jf;
	int fd;

	snprintf(p, sizeof(p), "%s/plain", top);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	close(fd);
	errno = 0;
	CHECK(jobfiles_new(p, NULL) == NULL && errno == ENOTDIR);
	snprintf(p, sizeof(p), "%s/plain/sub", top);
	errno = 0;
	CHECK(jobfiles_new(p, NULL) == NULL && errno == ENOTDIR);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	errno = 0;
	CHECK(jobfiles_new(longname, NULL) == NULL && errno == ENAMETOOLONG);

	/* The job's directory cannot be made: a file is in the way. */
	snprintf(p, sizeof(p), "%s/res2", top);
	jf = jobfiles_new(p, NULL);
	CHECK(jf != NULL);
	snprintf(p, sizeof(p), "%s/res2/5", top);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	close(fd);
	{
		int fds[2] = {123, 456};

		errno = 0;
		CHECK(jobfiles_open(jf, 5, NULL, fds) == -1 &&
		      errno == ENOTDIR);
		CHECK(fds[0] == -1 && fds[1] == -1);
	}
	jobfiles_free(jf);
}

/* No results directory: private files SEQ.stdout / SEQ.stderr in a
 * directory of our own under tmpdir, removed one by one and at the end. */
static void test_private(void)
{
	char tmp[PATH_MAX], p[PATH_MAX + 32], priv[PATH_MAX];
	char want[PATH_MAX + 32];
	struct jobfiles *jf;
	int fds[2];
	char *slash;

	snprintf(tmp, sizeof(tmp), "%s/tmp", top);
	mkdir(tmp, 0700);
	jf = jobfiles_new(NULL, tmp);
	CHECK(jf != NULL);
	CHECK_INT(jobfiles_open(jf, 3, NULL, fds), 0);
	say(fds[0], "o");
	say(fds[1], "e");
	close(fds[0]);
	close(fds[1]);
	CHECK_INT(jobfiles_path(jf, 3, NULL, 0, p, sizeof(p)), 0);
	/* tmp/mprun-cb.XXXXXX/3.stdout */
	snprintf(want, sizeof(want), "%s/mprun-cb.", tmp);
	CHECK(strncmp(p, want, strlen(want)) == 0);
	slash = strrchr(p, '/');
	CHECK(slash != NULL && strcmp(slash, "/3.stdout") == 0 &&
	      slash - p == (long)strlen(want) + 6);
	CHECK_STR(slurp(p), "o");
	snprintf(priv, sizeof(priv), "%.*s", (int)(slash - p), p);
	CHECK_STR(names(priv), "3.stderr 3.stdout");
	/* commit gives no final names and writes nothing more */
	CHECK_INT(jobfiles_commit(jf, 3, NULL, "cmd", 1, 0), 0);
	CHECK_STR(names(priv), "3.stderr 3.stdout");
	CHECK_INT(jobfiles_path(jf, 3, NULL, 1, p, sizeof(p)), 0);
	CHECK_STR(slurp(p), "e");
	CHECK_INT(jobfiles_open(jf, 4, NULL, fds), 0);
	close(fds[0]);
	close(fds[1]);
	jobfiles_remove(jf, 3);
	CHECK_STR(names(priv), "4.stderr 4.stdout");
	jobfiles_remove(jf, 4);
	CHECK_STR(names(priv), "");
	jobfiles_free(jf);
	CHECK_STR(names(tmp), ""); /* the private directory is gone */

	/* $TMPDIR when no tmpdir is given. */
	setenv("TMPDIR", tmp, 1);
	jf = jobfiles_new(NULL, NULL);
	CHECK(jf != NULL);
	CHECK(strncmp(names(tmp), "mprun-cb.", 9) == 0);
	jobfiles_free(jf);
	CHECK_STR(names(tmp), "");
	unsetenv("TMPDIR");

	/* A path that does not fit is refused. */
	jf = jobfiles_new(NULL, tmp);
	errno = 0;
	CHECK(jobfiles_path(jf, 1, NULL, 0, p, 10) == -1 &&
	      errno == ENAMETOOLONG);
	jobfiles_free(jf);
	snprintf(p, sizeof(p), "%s/nonexistent", tmp);
	errno = 0;
	CHECK(jobfiles_new(NULL, p) == NULL && errno == ENOENT);
}

/* Places (--results with replacement strings): a file and .err/.seq
 * beside it, or a directory; two jobs in one place: the last one's files;
 * an empty place refused. */
static void test_places(void)
{
	char place[PATH_MAX], d[PATH_MAX], p[PATH_MAX];
	struct jobfiles *jf = jobfiles_new("", NULL);
	int fds[2];

	CHECK(jf != NULL);
	if (jf == NULL)
		return;
	snprintf(place, sizeof(place), "%s/pl/out_a", top);
	CHECK_INT(jobfiles_open(jf, 3, place, fds), 0);
	CHECK(write(fds[0], "o\n", 2) == 2 && write(fds[1], "e\n", 2) == 2);
	close(fds[0]);
	close(fds[1]);
	snprintf(d, sizeof(d), "%s/pl", top);
	CHECK_STR(names(d), ".out_a.3.tmp .out_a.err.3.tmp");
	CHECK_INT(jobfiles_commit(jf, 3, place, "echo a", 0, 0), 0);
	CHECK_STR(names(d), "out_a out_a.err out_a.seq");
	CHECK_STR(file(d, "out_a"), "o\n");
	CHECK_STR(file(d, "out_a.err"), "e\n");
	CHECK_STR(file(d, "out_a.seq"), "3");
	CHECK_INT(jobfiles_path(jf, 3, place, 1, p, sizeof(p)), 0);
	CHECK_STR(strrchr(p, '/'), "/out_a.err");
	/* a directory place, shared by jobs 4 and 5: 5 ends last */
	snprintf(place, sizeof(place), "%s/pd/x/", top);
	CHECK_INT(jobfiles_open(jf, 4, place, fds), 0);
	CHECK(write(fds[0], "four", 4) == 4);
	close(fds[0]);
	close(fds[1]);
	CHECK_INT(jobfiles_open(jf, 5, place, fds), 0);
	CHECK(write(fds[0], "five", 4) == 4);
	close(fds[0]);
	close(fds[1]);
	CHECK_INT(jobfiles_commit(jf, 4, place, NULL, 0, 0), 0);
	CHECK_INT(jobfiles_commit(jf, 5, place, NULL, 0, 0), 0);
	snprintf(d, sizeof(d), "%s/pd/x", top);
	CHECK_STR(names(d), "seq stderr stdout");
	CHECK_STR(file(d, "stdout"), "five");
	CHECK_STR(file(d, "seq"), "5");
	CHECK_INT(jobfiles_path(jf, 5, place, 0, p, sizeof(p)), 0);
	CHECK(strcmp(p, place) > 0 && strcmp(p + strlen(place), "stdout") == 0);
	errno = 0;
	CHECK(jobfiles_open(jf, 6, "", fds) == -1 && errno == EINVAL);
	jobfiles_free(jf);
}

int main(void)
{
	char cmd[PATH_MAX + 16];

	if (mkdtemp(top) == NULL)
		return 99;
	test_results();
	test_results_bad();
	test_private();
	test_places();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", top);
	return UNIT_DONE();
}
