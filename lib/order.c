/* order: the release policy of jobs' output. */
#include "order.h"

#include <errno.h>
#include <stdlib.h>

/* A pending job. It is in one list at a time: started (in start order) or,
 * unordered only, finished; or it is the unordered writer. */
struct entry {
	unsigned long long seq;
	void *job;
	int finished;
	int has_output;
	struct entry *prev, *next;
};

/* A doubly linked FIFO of entries. */
struct list {
	struct entry *head, *tail;
};

struct order {
	enum order_policy policy;
	struct list started;  /* in order: all jobs; unordered: running ones */
	struct list finished; /* unordered only: finished, not released */
	struct entry *writer; /* unordered only: the job streaming now */
	unsigned long pending;
	/* The pending entries by seq: open addressing, linear probing, at
	 * most half full; its size follows the number pending. */
	struct entry **index;
	size_t index_cap;      /* a power of two, or 0 */
	unsigned index_bits;   /* log2 of index_cap */
};

struct order *order_new(enum order_policy policy)
{
	struct order *o = calloc(1, sizeof(*o));

	if (o != NULL)
		o->policy = policy;
	return o;
}

/* Free every entry of a list. */
static void list_free(struct list *l)
{
	struct entry *e, *n;

	for (e = l->head; e != NULL; e = n) {
		n = e->next;
		free(e);
	}
	l->head = l->tail = NULL;
}

void order_free(struct order *o)
{
	if (o == NULL)
		return;
	list_free(&o->started);
	list_free(&o->finished);
	free(o->writer);
	free(o->index);
	free(o);
}

/* Append e to the list. */
static void list_push(struct list *l, struct entry *e)
{
	e->next = NULL;
	e->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = e;
	else
		l->head = e;
	l->tail = e;
}

/* Unlink e from the list it is in. */
static void list_unlink(struct list *l, struct entry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		l->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NULL;
}

/* The first place of seq's probe sequence in the index. Consecutive
 * numbers are scattered (Fibonacci hashing): in place, they would make one
 * run as long as the jobs pending, and removing one would scan it all. */
static size_t index_home(const struct order *o, unsigned long long seq)
{
	return (size_t)((seq * 11400714819323198485ull) >>
			(64 - o->index_bits));
}

/* The place of seq in the index, or of the empty slot that ends its
 * probe sequence. */
static size_t index_slot(const struct order *o, unsigned long long seq)
{
	size_t i = index_home(o, seq);

	while (o->index[i] != NULL && o->index[i]->seq != seq)
		i = (i + 1) & (o->index_cap - 1);
	return i;
}

/* The pending entry of job seq, or NULL. */
static struct entry *index_find(const struct order *o, unsigned long long seq)
{
	return o->index_cap == 0 ? NULL : o->index[index_slot(o, seq)];
}

/* Rebuild the index with 2^bits places. 0 or -1/ENOMEM. */
static int index_resize(struct order *o, unsigned bits)
{
	struct entry **old = o->index;
	size_t oldcap = o->index_cap, i;

	o->index = calloc((size_t)1 << bits, sizeof(*o->index));
	if (o->index == NULL) {
		o->index = old;
		return -1;
	}
	o->index_cap = (size_t)1 << bits;
	o->index_bits = bits;
	for (i = 0; i < oldcap; i++)
		if (old[i] != NULL)
			o->index[index_slot(o, old[i]->seq)] = old[i];
	free(old);
	return 0;
}

/* Enter e in the index, growing it to stay at most half full. */
static int index_add(struct order *o, struct entry *e)
{
	size_t i;

	if ((o->pending + 1) * 2 > o->index_cap &&
	    index_resize(o, o->index_bits > 0 ? o->index_bits + 1 : 4) == -1)
		return -1;
	i = index_slot(o, e->seq);
	if (o->index[i] != NULL) {
		errno = EEXIST;
		return -1;
	}
	o->index[i] = e;
	return 0;
}

/* Take e out of the index, moving later entries of the run back into the
 * gap so that every probe sequence stays unbroken. */
static void index_remove(struct order *o, struct entry *e)
{
	size_t mask = o->index_cap - 1, gap = index_slot(o, e->seq), i, home;

	o->index[gap] = NULL;
	for (i = (gap + 1) & mask; o->index[i] != NULL; i = (i + 1) & mask) {
		home = index_home(o, o->index[i]->seq);
		/* stays if its home lies cyclically in (gap, i] */
		if (((i - home) & mask) < ((i - gap) & mask))
			continue;
		o->index[gap] = o->index[i];
		o->index[i] = NULL;
		gap = i;
	}
}

int order_started(struct order *o, unsigned long long seq, void *job)
{
	struct entry *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return -1;
	e->seq = seq;
	e->job = job;
	if (index_add(o, e) == -1) {
		free(e);
		return -1;
	}
	list_push(&o->started, e);
	o->pending++;
	return 0;
}

void order_output(struct order *o, unsigned long long seq)
{
	struct entry *e = index_find(o, seq);

	if (e != NULL)
		e->has_output = 1;
}

void order_finished(struct order *o, unsigned long long seq)
{
	struct entry *e = index_find(o, seq);

	if (e == NULL || e->finished)
		return;
	e->finished = 1;
	if (o->policy != ORDER_UNORDERED || e == o->writer)
		return;
	list_unlink(&o->started, e);
	list_push(&o->finished, e);
}

/* Unordered: pick the next writer among running jobs that have output,
 * the first started. Only running jobs are looked at: at most the slots. */
static struct entry *unordered_pick_writer(struct order *o)
{
	struct entry *e;

	if (o->writer != NULL || o->finished.head != NULL)
		return o->writer;
	for (e = o->started.head; e != NULL; e = e->next)
		if (e->has_output)
			break;
	if (e != NULL) {
		list_unlink(&o->started, e);
		o->writer = e;
	}
	return o->writer;
}

void *order_writer(struct order *o)
{
	struct entry *e;

	if (o->policy == ORDER_UNORDERED) {
		e = unordered_pick_writer(o);
		return e != NULL && !e->finished ? e->job : NULL;
	}
	e = o->started.head;
	return e != NULL && !e->finished ? e->job : NULL;
}

/* Remove entry e (already unlinked), returning its job. */
static void *release(struct order *o, struct entry *e)
{
	void *job = e->job;

	index_remove(o, e);
	free(e);
	o->pending--;
	return job;
}

void *order_pop_release(struct order *o)
{
	struct entry *e;

	if (o->policy != ORDER_UNORDERED) {
		e = o->started.head;
		if (e == NULL || !e->finished)
			return NULL;
		list_unlink(&o->started, e);
		return release(o, e);
	}
	if (o->writer != NULL) {
		if (!o->writer->finished)
			return NULL;
		e = o->writer;
		o->writer = NULL;
		return release(o, e);
	}
	e = o->finished.head;
	if (e == NULL)
		return NULL;
	list_unlink(&o->finished, e);
	return release(o, e);
}

unsigned long order_pending(const struct order *o)
{
	return o->pending;
}
