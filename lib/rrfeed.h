/* rrfeed: --round-robin: the blocks of an input written in turn to the
 * stdin pipes of a fixed set of jobs, started once.
 *
 * Blocks come from the input through a feed into a queue of one block, so
 * the input is read only when a job can take a block. The first blocks
 * start new jobs (a record whose fd is the read end of a new pipe, put in
 * the run's queue) until there are slots of them; later blocks go to
 * whichever job's pipe has taken all of its previous block. Blocks are
 * moved with splice(2), non-blocking, when the loop says a pipe has room:
 * nothing blocks the loop, and when every pipe is full the input is not
 * read. A pipe whose job has gone (EPIPE) is dropped; a block none of
 * whose bytes went into it goes to another job. At the end of the input
 * each pipe is closed once its last block is in: the jobs see end of file.
 *
 * Ownership: the rrfeed owns its pipes' write ends and the blocks being
 * written; a record it puts in the queue owns its read end. It owns
 * neither the input, the loop nor the queue. */
#ifndef MPRUN_RRFEED_H
#define MPRUN_RRFEED_H
#include <stdint.h>

struct input;
struct loop;
struct queue;
struct rrfeed;

/* At most slots jobs; notify(data) after putting a record in q or closing
 * it. NULL/errno. */
struct rrfeed *rrfeed_new(struct loop *l, struct input *in, struct queue *q,
			  unsigned slots, void (*notify)(void *data),
			  void *data);
void rrfeed_free(struct rrfeed *f);

/* The consumer would take a record: put one if there is, and move
 * blocks. */
void rrfeed_want(struct rrfeed *f);
/* Why reading the input failed, or NULL. */
const char *rrfeed_error(const struct rrfeed *f);
/* Bytes written into the jobs' pipes so far (headers included). */
uint64_t rrfeed_bytes(const struct rrfeed *f);

#endif
