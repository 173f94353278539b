/* hold: output held back until the end of the run (--order map), in an
 * unlinked temporary file, then copied out once. The caller owns the
 * descriptor hold_open() returns and closes it. */
#ifndef MPRUN_HOLD_H
#define MPRUN_HOLD_H
#include "capture.h"

/* Open an unlinked temporary file in tmpdir, else $TMPDIR, else /tmp.
 * A descriptor (close-on-exec), or -1/errno. */
int hold_open(const char *tmpdir);
/* Copy all that fd holds to sink, or to out_fd when sink is NULL.
 * 0 or -1/errno. */
int hold_copy(int fd, int out_fd, const struct capture_sink *sink);

#endif
