/* order: when each job's output may go out, as in multiprocessing.Pool:
 *  ORDER_UNORDERED (imap_unordered): a finished job's output goes out as soon
 *    as no other job is half-way through writing; among running jobs, the
 *    first to produce output is the writer and streams straight through;
 *  ORDER_IMAP (-k): input order; the oldest unfinished job is the writer and
 *    streams; finished jobs go out as soon as every earlier one has;
 *  ORDER_MAP: input order, nothing before the last job ended. The order is
 *    the same as ORDER_IMAP here: the pool writes into holding files and
 *    copies them out at the end.
 * The order does not own the jobs: it only hands back the pointers it was
 * given. Jobs are named by their sequence number, unique among the jobs
 * pending; every operation is O(1) amortized (choosing a new unordered
 * writer looks at the running jobs, at most the number of slots). */
#ifndef MPRUN_ORDER_H
#define MPRUN_ORDER_H

enum order_policy { ORDER_UNORDERED, ORDER_IMAP, ORDER_MAP };

struct order;

struct order *order_new(enum order_policy policy);
/* Frees the order (not the jobs). */
void order_free(struct order *o);

/* Job number seq started; jobs are started in input order. 0 or
 * -1/ENOMEM (or EEXIST: seq is pending already). */
int order_started(struct order *o, unsigned long long seq, void *job);
/* Job seq produced its first output. */
void order_output(struct order *o, unsigned long long seq);
/* Job seq finished: all its output is read and it was reaped. */
void order_finished(struct order *o, unsigned long long seq);

/* The running job that may write straight through now, or NULL. */
void *order_writer(struct order *o);
/* The next finished job whose output may be released now, removed from the
 * order; NULL if none. Call until NULL after each event. */
void *order_pop_release(struct order *o);
/* Jobs started and not yet released. */
unsigned long order_pending(const struct order *o);

#endif
