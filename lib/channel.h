/* channel: carries the stdout of one pipeline stage to a stage that reads
 * it, without ever blocking the one thread that runs both.
 *
 * The producer's output is appended with channel_write() (it never
 * blocks): bytes are held in memory up to mem_limit, then in an unlinked
 * temporary file. A pump driven by the loop moves them, in order, into a
 * pipe whose read end is the consumer's input (a file source of its own
 * input, read lazily through its bounded queue). When the consumer is
 * behind, the pipe fills and bytes wait here; channel_backlog() tells the
 * producer to stop starting jobs (the pool's throttle) until the consumer
 * catches up, so the producer never runs far ahead. After channel_close()
 * the pipe is closed once everything went through: the consumer sees end
 * of input. */
#ifndef MPRUN_CHANNEL_H
#define MPRUN_CHANNEL_H
#include <stddef.h>
#include <stdint.h>

struct loop;
struct channel;

/* NULL/errno on failure. */
struct channel *channel_new(struct loop *l, size_t mem_limit,
			    const char *tmpdir);
void channel_free(struct channel *ch);
/* The consumer's end (a non-blocking pipe read end): the caller owns it
 * from then on. Can be taken once; -1 after. */
int channel_take_reader(struct channel *ch);
/* Append n bytes. 0 or -1/errno (a write error on the spill file, or the
 * reader is gone: EPIPE). */
int channel_write(struct channel *ch, const void *p, size_t n);
/* No more writes: the reader gets end of file after the pending bytes. */
void channel_close(struct channel *ch);
/* Bytes written and not yet in the pipe. */
uint64_t channel_backlog(const struct channel *ch);
/* fn(data) is called when bytes went into the pipe (the backlog fell). */
void channel_on_drain(struct channel *ch, void (*fn)(void *), void *data);
/* Everything went through and the pipe is closed. */
int channel_done(const struct channel *ch);

#endif
