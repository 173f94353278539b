/* capture: one output stream of one job (its stdout or its stderr): the read
 * end of the job's pipe and the bytes read but not yet written out.
 *
 * A capture is either buffering or streaming:
 *  - buffering: bytes are kept in memory up to mem_limit, then in an
 *    unlinked temporary file; once spill_limit bytes are spilled the capture
 *    is "full" and its owner stops reading the pipe (back-pressure) until the
 *    capture streams;
 *  - streaming: bytes go to the output descriptor as they are read, either
 *    as they come or, with CAPTURE_LINES, as whole lines only (a partial
 *    last line waits for its newline or for the end of the stream).
 * An optional tag is written at the start of every output line.
 * The capture owns the pipe descriptor and closes it in capture_free(); the
 * output descriptor is the caller's. */
#ifndef MPRUN_CAPTURE_H
#define MPRUN_CAPTURE_H
#include <stddef.h>
#include <stdint.h>

enum { CAPTURE_LINES = 1 << 0 };

struct capture_opts {
	size_t mem_limit;     /* bytes kept in memory before spilling */
	uint64_t spill_limit; /* spilled bytes after which reading pauses */
	const char *tmpdir;   /* where spill files go (NULL: $TMPDIR, /tmp) */
	int flags;            /* CAPTURE_LINES */
};

struct capture;

/* pipe_fd must be non-blocking. tag may be NULL; it is copied. */
struct capture *capture_new(int pipe_fd, int out_fd, const char *tag,
			    const struct capture_opts *opts);
void capture_free(struct capture *c);

int capture_fd(const struct capture *c);
/* Read what the pipe holds now (up to a few reads), buffering or writing it.
 * 1: read something or nothing is there yet; 0: end of stream (all read);
 * -1/errno: read error, or a write error on the output (EPIPE). */
int capture_read(struct capture *c);
/* Switch to streaming: write out everything buffered, then stream.
 * 0 or -1/errno on a write error. */
int capture_stream(struct capture *c);
/* Write out everything held, including a partial last line (only after the
 * stream ended or when releasing a finished job). 0 or -1/errno. */
int capture_flush(struct capture *c);

int capture_streaming(const struct capture *c);
/* Buffered enough to pause reading (spill_limit reached while buffering). */
int capture_full(const struct capture *c);
/* Where output goes instead of a descriptor: a pipeline channel. */
struct capture_sink {
	int (*write)(void *ctx, const void *p, size_t n); /* 0, -1/errno */
	void *ctx;
};
/* Send the output to s (the caller's, must outlive c) instead of out_fd. */
void capture_set_sink(struct capture *c, const struct capture_sink *s);
/* Also copy every byte read from the pipe to fd (a file the caller owns,
 * -1 for none): --results and the callbacks' {stdout}/{stderr} files. */
void capture_tee(struct capture *c, int fd);
/* Bytes read from the pipe so far. */
uint64_t capture_bytes(const struct capture *c);

/* Write all of p to fd, waiting if fd is non-blocking. 0 or -1/errno. */
int capture_write_all(int fd, const void *p, size_t n);

#endif
