/* dirs: directories mprun makes (see dirs.h). */
#include "dirs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

int dirs_make(const char *path)
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
		if (mkdir(tmp, 0777) == -1 && errno != EEXIST)
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
