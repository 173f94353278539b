/* fifo: --fifo: a job's block written into a named pipe that the job
 * opens ({} names it), from the event loop.
 *
 * The writer opens the pipe with O_NONBLOCK, which fails (ENXIO) until
 * the job has opened it to read: it tries again on a timer (1 ms, then
 * twice as long each time up to 50 ms), so nothing blocks the loop. Once
 * open, the block's bytes go in with splice(2) when the loop says there is
 * room; at the end of the block (or when the job closed its end: EPIPE)
 * the writer closes the pipe and the job sees end of file.
 *
 * Ownership: the writer owns the descriptor it opens; the block's
 * descriptor and the path stay the caller's and must outlive it. */
#ifndef MPRUN_FIFO_H
#define MPRUN_FIFO_H

struct loop;
struct fifo_writer;

/* A private directory (mode 0700) for named pipes under tmpdir (NULL:
 * $TMPDIR or /tmp): its path, which the caller frees; NULL/errno. */
char *fifo_dir_new(const char *tmpdir);

/* Start writing the bytes of block (from offset 0 to its size) into the
 * named pipe at path. NULL/errno. */
struct fifo_writer *fifo_writer_start(struct loop *l, const char *path,
				      int block);
/* Stop (whatever is left is not written) and free. */
void fifo_writer_stop(struct fifo_writer *w);

#endif
