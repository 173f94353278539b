/* order: the release policy of jobs' output. */
#include "order.h"

#include <errno.h>
#include <stdlib.h>

struct entry {
	void *job;
	int finished;
	int has_output;
	struct entry *next;
};

/* A singly linked FIFO of entries. */
struct list {
	struct entry *head, *tail;
};

struct order {
	enum order_policy policy;
	struct list started;  /* in order: all jobs; unordered: running ones */
	struct list finished; /* unordered only: finished, not released */
	struct entry *writer; /* unordered only: the job streaming now */
	unsigned long pending;
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
	free(o);
}

static void list_push(struct list *l, struct entry *e)
{
	e->next = NULL;
	if (l->tail != NULL)
		l->tail->next = e;
	else
		l->head = e;
	l->tail = e;
}

/* Unlink and return the entry of job, or NULL. */
static struct entry *list_take(struct list *l, void *job)
{
	struct entry **pp, *prev = NULL;

	for (pp = &l->head; *pp != NULL; prev = *pp, pp = &(*pp)->next) {
		struct entry *e = *pp;

		if (e->job != job)
			continue;
		*pp = e->next;
		if (l->tail == e)
			l->tail = prev;
		e->next = NULL;
		return e;
	}
	return NULL;
}

static struct entry *list_find(struct list *l, void *job)
{
	struct entry *e;

	for (e = l->head; e != NULL; e = e->next)
		if (e->job == job)
			return e;
	return NULL;
}

int order_started(struct order *o, void *job)
{
	struct entry *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return -1;
	e->job = job;
	list_push(&o->started, e);
	o->pending++;
	return 0;
}

void order_output(struct order *o, void *job)
{
	struct entry *e = list_find(&o->started, job);

	if (e != NULL)
		e->has_output = 1;
}

void order_finished(struct order *o, void *job)
{
	struct entry *e;

	if (o->policy != ORDER_UNORDERED) {
		e = list_find(&o->started, job);
		if (e != NULL)
			e->finished = 1;
		return;
	}
	if (o->writer != NULL && o->writer->job == job) {
		o->writer->finished = 1;
		return;
	}
	e = list_take(&o->started, job);
	if (e != NULL) {
		e->finished = 1;
		list_push(&o->finished, e);
	}
}

/* Unordered: pick the next writer among running jobs that have output. */
static struct entry *unordered_pick_writer(struct order *o)
{
	struct entry *e;

	if (o->writer != NULL || o->finished.head != NULL)
		return o->writer;
	for (e = o->started.head; e != NULL; e = e->next)
		if (e->has_output)
			break;
	if (e != NULL)
		o->writer = list_take(&o->started, e->job);
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
		return release(o, list_take(&o->started, e->job));
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
	return release(o, list_take(&o->finished, e->job));
}

unsigned long order_pending(const struct order *o)
{
	return o->pending;
}
