/* Unit tests for lib/dirs.c: directories and files mprun writes safely. */
#include "dirs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

static char top[] = "/tmp/test_dirs.XXXXXX";

/* top/name (two at a time, for symlink()). */
static const char *at(const char *name)
{
	static char path[2][PATH_MAX];
	static int i;

	i = !i;
	snprintf(path[i], sizeof(path[i]), "%s/%s", top, name);
	return path[i];
}

static void test_make(void)
{
	struct stat st;
	int fd;

	CHECK(dirs_make(at("a/b/c")) == 0);
	CHECK(stat(at("a/b/c"), &st) == 0 && S_ISDIR(st.st_mode));
	CHECK(dirs_make(at("a/b/c")) == 0); /* again: fine */
	fd = open(at("file"), O_WRONLY | O_CREAT, 0600);
	close(fd);
	errno = 0;
	CHECK(dirs_make(at("file/x")) == -1 && errno == ENOTDIR);
	CHECK(dirs_make(at("file")) == -1 && errno == ENOTDIR);
	/* dirs_make_own: a directory on the way open to others is refused
	 * unless sticky; a link of ours on the way is followed */
	CHECK(dirs_make_own(at("m/n")) == 0);
	CHECK(mkdir(at("open"), 0777) == 0 && chmod(at("open"), 0777) == 0);
	errno = 0;
	CHECK(dirs_make_own(at("open/x")) == -1 && errno == EPERM);
	CHECK(dirs_make(at("open/x")) == 0); /* the plain one does not look */
	CHECK(chmod(at("open"), 01777) == 0);
	CHECK(dirs_make_own(at("open/y")) == 0);
	CHECK(symlink(at("m"), at("waylink")) == 0);
	CHECK(dirs_make_own(at("waylink/n/o")) == 0);
	CHECK(stat(at("m/n/o"), &st) == 0 && S_ISDIR(st.st_mode));
}

static void test_open_own(void)
{
	int fd;

	CHECK(mkdir(at("own"), 0755) == 0);
	fd = dirs_open_own(AT_FDCWD, at("own"));
	CHECK(fd >= 0);
	close(fd);
	/* others may write: refused, unless sticky */
	CHECK(chmod(at("own"), 0777) == 0);
	errno = 0;
	CHECK(dirs_open_own(AT_FDCWD, at("own")) == -1 && errno == EPERM);
	CHECK(chmod(at("own"), 01777) == 0);
	fd = dirs_open_own(AT_FDCWD, at("own"));
	CHECK(fd >= 0);
	close(fd);
	CHECK(chmod(at("own"), 0775) == 0);
	CHECK(dirs_open_own(AT_FDCWD, at("own")) == -1 && errno == EPERM);
	CHECK(chmod(at("own"), 0755) == 0);
	/* another user's, even closed to others: refused (that user could
	 * put a link there); when we are root (the suite's case) */
	if (geteuid() == 0) {
		CHECK(mkdir(at("theirs"), 0755) == 0);
		CHECK(chown(at("theirs"), 65534, 65534) == 0);
		errno = 0;
		CHECK(dirs_open_own(AT_FDCWD, at("theirs")) == -1 &&
		      errno == EPERM);
	}
	/* a link to a directory is not followed */
	CHECK(symlink(at("own"), at("link")) == 0);
	errno = 0;
	CHECK(dirs_open_own(AT_FDCWD, at("link")) == -1 &&
	      (errno == ELOOP || errno == ENOTDIR));
}

static void test_open_file(void)
{
	char buf[16] = "";
	int fd;

	fd = dirs_open_file(at("own/log"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK(write(fd, "abc", 3) == 3);
	close(fd);
	/* in a sticky, shared place: through a link ELOOP, the target
	 * untouched; not a regular file: refused */
	CHECK(chmod(at("own"), 01777) == 0);
	CHECK(symlink(at("own/log"), at("own/ln")) == 0);
	errno = 0;
	CHECK(dirs_open_file(at("own/ln"), O_WRONLY | O_TRUNC, 0) == -1 &&
	      errno == ELOOP);
	fd = open(at("own/log"), O_RDONLY);
	CHECK(read(fd, buf, sizeof(buf) - 1) == 3);
	close(fd);
	CHECK_STR(buf, "abc");
	CHECK(mkfifo(at("own/fifo"), 0600) == 0);
	errno = 0;
	CHECK(dirs_open_file(at("own/fifo"), O_RDWR, 0) == -1 &&
	      errno == EINVAL);
	/* in a directory only we can write in: as it is (/dev/null too) */
	CHECK(chmod(at("own"), 0755) == 0);
	fd = dirs_open_file(at("own/ln"), O_WRONLY | O_APPEND, 0);
	CHECK(fd >= 0);
	close(fd);
	fd = dirs_open_file("/dev/null", O_WRONLY, 0);
	CHECK(fd >= 0);
	close(fd);
	/* in a directory others may write: refused */
	CHECK(chmod(at("own"), 0777) == 0);
	errno = 0;
	CHECK(dirs_open_file(at("own/log"), O_WRONLY, 0) == -1 &&
	      errno == EPERM);
	CHECK(chmod(at("own"), 0755) == 0);
	/* no directory part: the current one */
	CHECK(chdir(at("own")) == 0);
	fd = dirs_open_file("here", O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0);
	close(fd);
	CHECK(dirs_open_file("own/", O_WRONLY, 0) == -1 && errno == EISDIR);
	CHECK(chdir("/") == 0);
}

int main(void)
{
	char cmd[PATH_MAX + 16];

	umask(022);
	if (mkdtemp(top) == NULL)
		return 99;
	test_make();
	test_open_own();
	test_open_file();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", top);
	return UNIT_DONE();
}
