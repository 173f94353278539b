/* callback: the --on-success / --on-error callbacks of a pool's jobs or a
 * worker pool's inputs: shell commands run one at a time, in the order
 * queued, started through the executor, reaped as one of the loop's
 * reapers. Each stream either goes straight to its descriptor or is
 * captured (memory, then a temporary file) until callback_flush(). A
 * callback is over when reaped and its captured streams ended; one that
 * exits with a status other than 0, is killed or cannot start is counted
 * and told through opts.notice: "NOUN SEQ: --on-error callback HOW".
 * The queue owns a callback from callback_add() until opts.done() hands it
 * to the caller, who frees it; all else is the caller's. */
#ifndef MPRUN_CALLBACK_H
#define MPRUN_CALLBACK_H
#include "template.h"

struct buf;
struct capture_sink;
struct loop;
struct termseq;
struct callback;
struct callbacks;

struct callback_stream {
	int fd;                          /* written when flushed */
	const struct capture_sink *sink; /* ... or this, if not NULL */
	int direct;                      /* the callback writes fd itself */
};

struct callback_opts {
	const struct template *cmd[2];   /* on success, on error */
	const char *noun;                /* "job", "input" */
	const char *how[2][2];           /* around an exit status, a signal */
	const struct executor *exec;     /* runs them as slot 0: here */
	char *const *env;                /* their environment, + vars() */
	int fd_in;
	struct callback_stream out[2];   /* stdout, stderr */
	size_t mem_limit;                /* per captured stream; 0: 1 MiB */
	const char *tmpdir;              /* for spill files */
	const struct termseq *termseq;   /* ends a running one (NULL: TERM) */
	/* Its turn: its variables into b ("NAME=value", each NUL-ended).
	 * 0 or -1/errno. */
	int (*vars)(void *data, struct buf *b);
	/* It is over (ran, failed, dropped): cb (may be NULL) is yours. */
	void (*done)(void *data, struct callback *cb);
	void (*notice)(void *ctx, const char *msg);
	void *ctx;
};

/* NULL/errno. */
struct callbacks *callback_new(struct loop *l,
			       const struct callback_opts *opts);
/* Frees q and what it owns; a running callback is killed and reaped. */
void callback_destroy(struct callbacks *q);
/* Stream i of the callbacks started from now on goes to s. */
void callback_set_stream(struct callbacks *q, int i,
			 const struct callback_stream *s);
/* Queue data's callback: cmd[failed] expanded with tj (whose values must
 * live until done). It starts at once if none runs. */
void callback_add(struct callbacks *q, void *data, int failed,
		  const struct template_job *tj);
/* End the running one's tree with the termseq; drop the others. */
void callback_terminate(struct callbacks *q);
/* Is one queued or running? */
int callback_pending(const struct callbacks *q);
unsigned long long callback_failures(const struct callbacks *q);
/* Write out cb's captured output (NULL: none). 0 or -1/errno. */
int callback_flush(struct callback *cb);
void callback_free(struct callback *cb);

#endif
