/* dirs: directories mprun makes (see dirs.h). */
#include "dirs.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A directory on the way of dirs_make_own(): not a link of another user
 * (ELOOP), not open to others unless sticky (EPERM). 0 or -1/errno. */
static int way_ok(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		return -1;
	if (S_ISLNK(st.st_mode) && st.st_uid != geteuid() && st.st_uid != 0) {
		errno = ELOOP;
		return -1;
	}
	if (stat(path, &st) == -1)
		return -1;
	errno = EPERM;
	return (st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX) ? -1 : 0;
}

/* mkdir -p path; with check, every directory on the way is way_ok(). */
static int make_path(const char *path, int check)
{
	char tmp[PATH_MAX];
	struct stat st;
	char *s;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s", path) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (s = tmp + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if ((mkdir(tmp, 0777) == -1 && errno != EEXIST) ||
		    (check && way_ok(tmp) == -1))
			return -1;
		*s = '/';
	}
	if (mkdir(tmp, 0777) == 0)
		return 0;
	if (errno != EEXIST || stat(tmp, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int dirs_make(const char *path)
{
	return make_path(path, 0);
}

int dirs_make_own(const char *path)
{
	return make_path(path, 1);
}

int dirs_open_own(int dfd, const char *name)
{
	struct stat st;
	int fd = openat(dfd, name,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto fail;
	errno = EPERM;
	if (!(st.st_mode & S_ISVTX) &&
	    ((st.st_uid != geteuid() && st.st_uid != 0) ||
	     (st.st_mode & (S_IWGRP | S_IWOTH))))
		goto fail;
	return fd;
fail:
	{
		int e = errno;

		close(fd);
		errno = e;
	}
	return -1;
}

/* Opened with O_NONBLOCK (a FIFO must not make open() wait): back to
 * blocking unless the caller asked for it. 0 or -1/errno. */
static int open_blocking(int fd, int flags)
{
	if (flags & O_NONBLOCK)
		return 0;
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
}

int dirs_open_file(const char *path, int flags, mode_t mode)
{
	const char *slash = strrchr(path, '/'), *base;
	char *dir;
	struct stat st;
	int dfd, fd, e;

	if (slash == NULL) {
		dir = strdup(".");
		base = path;
	} else {
		dir = slash == path ? strdup("/")
				    : strndup(path, (size_t)(slash - path));
		base = slash + 1;
	}
	if (dir == NULL)
		return -1;
	if (*base == '\0') {
		free(dir);
		errno = EISDIR;
		return -1;
	}
	dfd = dirs_open_own(AT_FDCWD, dir);
	free(dir);
	if (dfd == -1)
		return -1;
	if (fstat(dfd, &st) == 0 && !(st.st_mode & S_ISVTX)) {
		/* only we (or root) can put anything there: as it is
		 * (/dev/null, /dev/stdout, a link of ours); a FIFO with no
		 * reader is an error (ENXIO), not a wait */
		fd = openat(dfd, base, flags | O_CLOEXEC | O_NONBLOCK, mode);
		e = errno;
		close(dfd);
		if (fd != -1)
			open_blocking(fd, flags);
		errno = e;
		return fd;
	}
	/* a shared, sticky place (/tmp): no link, nothing but our file
	 * (said as ELOOP: some kernels answer O_NOFOLLOW with EACCES) */
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode)) {
		close(dfd);
		errno = ELOOP;
		return -1;
	}
	/* truncated only once known to be ours; a FIFO planted there does
	 * not make the open wait for a reader (it is refused below) */
	fd = openat(dfd, base,
		    (flags & ~O_TRUNC) | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK,
		    mode);
	e = errno == ENXIO ? EINVAL : errno; /* a FIFO: no regular file */
	close(dfd);
	errno = e;
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		e = errno;
	else if (!S_ISREG(st.st_mode))
		e = EINVAL;
	else if (st.st_uid != geteuid())
		e = EPERM;
	else if ((flags & O_TRUNC) && ftruncate(fd, 0) == -1)
		e = errno;
	else if (open_blocking(fd, flags) == -1)
		e = errno;
	else
		return fd;
	close(fd);
	errno = e;
	return -1;
}

const char *dirs_strerror(int err)
{
	if (err == EPERM)
		return "refused: it or its directory belongs to another "
		       "user, or others may write there";
	if (err == ELOOP)
		return "refused: a symbolic link";
	if (err == EINVAL)
		return "refused: not a regular file";
	if (err == ENXIO)
		return "a named pipe with no reader";
	return strerror(err);
}
