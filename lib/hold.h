/* hold: output held in an unlinked temporary file: until the end of the
 * run (--order map), then copied out once; or while its reader is slow (a
 * pipeline's channel). The caller owns the descriptor and closes it. */
#ifndef MPRUN_HOLD_H
#define MPRUN_HOLD_H
#include "capture.h"

/* Where temporary files go: tmpdir, else $TMPDIR, else /tmp. */
const char *hold_dir(const char *tmpdir);
/* Open an unlinked temporary file in hold_dir(tmpdir) (O_TMPFILE, or a
 * named file unlinked at once where the file system has none). A
 * descriptor (close-on-exec), or -1/errno. */
int hold_open(const char *tmpdir);
/* Copy all that fd holds to sink, or to out_fd when sink is NULL.
 * 0 or -1/errno. */
int hold_copy(int fd, int out_fd, const struct capture_sink *sink);

#endif
