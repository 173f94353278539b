/* hold: output held in an unlinked temporary file until the end. */
#include "hold.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

const char *hold_dir(const char *tmpdir)
{
	const char *dir = tmpdir != NULL ? tmpdir : getenv("TMPDIR");

	return dir == NULL || *dir == '\0' ? "/tmp" : dir;
}

int hold_open(const char *tmpdir)
{
	const char *dir = hold_dir(tmpdir);
	char path[4096];
	int fd;

	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd != -1)
		return fd;
	/* No O_TMPFILE here: a named file, unlinked at once. */
	if ((size_t)snprintf(path, sizeof(path), "%s/mprun.XXXXXX", dir) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkostemp(path, O_CLOEXEC);
	if (fd != -1)
		unlink(path);
	return fd;
}

/* Copy the held file from its start to the sink, or to out_fd. */
int hold_copy(int fd, int out_fd, const struct capture_sink *sink)
{
	char chunk[65536];
	off_t off = 0;
	ssize_t r;
	int rc;

	while ((r = pread(fd, chunk, sizeof(chunk), off)) > 0) {
		rc = sink != NULL ? sink->write(sink->ctx, chunk, (size_t)r)
				  : capture_write_all(out_fd, chunk, (size_t)r);
		if (rc == -1)
			return -1;
		off += r;
	}
	return r == -1 ? -1 : 0;
}
