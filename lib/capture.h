/* capture: one output stream of one job (its stdout or its stderr): the read
 * end of the job's pipe and the bytes read but not yet written out.
 *
 * A capture is either buffering or streaming:
 *  - buffering: bytes are kept in memory up to mem_limit (and while the
 *    spill store's memory budget, shared with the other captures of the
 *    store, lasts), then in the store's one temporary file; once
 *    spill_limit bytes are spilled the capture is "full" and its owner stops
 *    reading the pipe (back-pressure) until the capture streams;
 *  - streaming: bytes go to the output descriptor as they are read, either
 *    as they come or, with CAPTURE_LINES, as whole lines only (a partial
 *    last line waits for its newline or for the end of the stream).
 * An optional tag is written at the start of every output line.
 * The capture owns the pipe descriptor and closes it in capture_close_pipe()
 * or capture_free(); the output descriptor and the spill store are the
 * caller's (the store must outlive the capture). */
#ifndef MPRUN_CAPTURE_H
#define MPRUN_CAPTURE_H
#include <stddef.h>
#include <stdint.h>

struct spill;

enum { CAPTURE_LINES = 1 << 0 };

struct capture_opts {
	size_t mem_limit;     /* bytes kept in memory before spilling */
	uint64_t spill_limit; /* spilled bytes after which reading pauses */
	const char *tmpdir;   /* where spill files go (NULL: $TMPDIR, /tmp) */
	struct spill *spill;  /* the shared store (NULL: one of its own, with
				 the default budget, in tmpdir) */
	int flags;            /* CAPTURE_LINES */
};

struct capture;

/* pipe_fd must be non-blocking. tag may be NULL; it is copied. */
struct capture *capture_new(int pipe_fd, int out_fd, const char *tag,
			    const struct capture_opts *opts);
void capture_free(struct capture *c);

/* The pipe's read end, or -1 once closed. */
int capture_fd(const struct capture *c);
/* Close the pipe (after its end of stream, and after the caller stopped
 * watching it); what is held stays. */
void capture_close_pipe(struct capture *c);
/* Read what the pipe holds now (up to a few reads), buffering or writing it.
 * 1: read something or nothing is there yet; 0: end of stream (all read);
 * -1/errno: read error, a write error on the output (EPIPE), or the spill
 * file could not take the bytes (ENOSPC...: see capture_store_failed). */
int capture_read(struct capture *c);
/* Did the last capture_read fail because the spill file could not take
 * bytes? */
int capture_store_failed(const struct capture *c);
/* Did the last capture_read() fail writing to the output descriptor
 * (mprun's stdout or stderr: ENOSPC, EBADF, EPIPE...)? */
int capture_out_failed(const struct capture *c);
/* Switch to streaming: write out everything buffered, then stream.
 * 0 or -1/errno on a write error. */
int capture_stream(struct capture *c);
/* Write out everything held, including a partial last line (only after the
 * stream ended or when releasing a finished job); to a sink, a last line
 * without a newline gets one. 0 or -1/errno. */
int capture_flush(struct capture *c);

int capture_streaming(const struct capture *c);
/* Buffered enough to pause reading (spill_limit reached while buffering). */
int capture_full(const struct capture *c);
/* Should the owner stop reading the pipe for now: full, or streaming into
 * a sink that says it is full (back-pressure from a slow reader)? */
int capture_should_pause(const struct capture *c);
/* Where output goes instead of a descriptor: a pipeline channel. */
struct capture_sink {
	int (*write)(void *ctx, const void *p, size_t n); /* 0, -1/errno */
	void *ctx;
	/* Optional: 1 while the reader is too far behind; the owner is told
	 * when to read again by its own means (the pipeline's kick). */
	int (*full)(void *ctx);
};
/* Send the output to s (the caller's, must outlive c) instead of out_fd. */
void capture_set_sink(struct capture *c, const struct capture_sink *s);
/* Also copy every byte read from the pipe to fd (a file the caller owns,
 * -1 for none): --results and the callbacks' {stdout}/{stderr} files. */
void capture_tee(struct capture *c, int fd);
/* Take n bytes as if the job had written them on the pipe now (tagged,
 * held or streamed as its output; not teed, not counted): -v's command
 * line. 0 or -1/errno. */
int capture_inject(struct capture *c, const char *p, size_t n);
/* Bytes read from the pipe so far. */
uint64_t capture_bytes(const struct capture *c);

/* Write all of p to fd, waiting if fd is non-blocking. 0 or -1/errno;
 * -1/EINTR, giving up, when a Ctrl-C is pending or after the deadline of
 * capture_write_deadline(). */
int capture_write_all(int fd, const void *p, size_t n);
/* From now on, writes wait for a blocked reader ms more at most (in all,
 * for the whole process): after Ctrl-C, the output of finished jobs still
 * goes out if someone reads it, and the run ends anyway. */
void capture_write_deadline(uint64_t ms);

/* Someone who must know when output goes to a terminal (a status display
 * that keeps its lines below the output): before(data) is called before
 * bytes are written to one of the descriptors fd[] (-1: none), after(data,
 * p, n) once the n bytes at p went out. One at a time, for the whole
 * process; NULL: none. Output to those descriptors is written, never
 * spliced, so that after() sees every byte. The caller keeps w. */
struct capture_watch {
	int fd[2];
	void (*before)(void *data);
	void (*after)(void *data, const void *p, size_t n);
	void *data;
};
void capture_set_watch(const struct capture_watch *w);

#endif
