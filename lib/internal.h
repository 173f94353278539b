/* internal.h: small helpers shared by lib/ modules (not part of any API). */
#ifndef MPRUN_INTERNAL_H
#define MPRUN_INTERNAL_H
#include <errno.h>
#include <unistd.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* close() that keeps errno, for cleanup paths. */
static inline void close_keep_errno(int fd)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
}

#endif
