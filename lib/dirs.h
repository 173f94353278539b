/* dirs: directories mprun makes (the results directory, --workdir). */
#ifndef MPRUN_DIRS_H
#define MPRUN_DIRS_H
#include <sys/types.h>

/* mkdir -p path (mode 0777 less the umask): 0, or -1/errno (ENOTDIR when
 * a file is in the way, ENAMETOOLONG). */
int dirs_make(const char *path);
/* The same for a directory mprun writes files in: a directory on the way
 * that others may write in (not sticky) is refused (EPERM), and so is a
 * symbolic link on the way that is not ours or root's (ELOOP). */
int dirs_make_own(const char *path);

/* Open the directory name (relative to dfd, or AT_FDCWD), not through a
 * symbolic link, to make files in it: the fd, or -1/errno. Refused
 * (EPERM) when another user than root owns it or others may write in it,
 * unless it is sticky (as /tmp: files made there with O_EXCL stay
 * ours). */
int dirs_open_own(int dfd, const char *name);

/* open(path, flags, mode) for a file mprun writes (a log, a table), in a
 * directory dirs_open_own() accepts. In a sticky one (shared, as /tmp)
 * not through a symbolic link (ELOOP), and an existing file must be a
 * regular file of ours (EINVAL, EPERM), truncated only then; elsewhere
 * only we or root could have put it there: opened as it is. The fd, or
 * -1/errno. */
int dirs_open_file(const char *path, int flags, mode_t mode);

/* The message for an errno of the functions above: why a file or a
 * directory was refused (EPERM, ELOOP, EINVAL), else strerror(). */
const char *dirs_strerror(int err);

#endif
