/* pipeline: stages as pools connected by channels, in one loop. */
#include "pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blocks.h"
#include "capture.h"
#include "channel.h"
#include "feed.h"
#include "rrfeed.h"
#include "input.h"
#include "internal.h"
#include "loop.h"
#include "queue.h"
#include "sched.h"
#include "template.h"
#include "wpool.h"

/* A stage stops starting jobs while a reader is this many bytes behind. */
#define BACKLOG_MAX (256 << 10)
/* Bytes a channel holds in memory before it spills to a file. */
#define CHANNEL_MEM (256 << 10)
/* A running job of a stage stops being read while a reader is this many
 * bytes behind (when no stage waits on two others: see pl_may_pause). */
#define BACKLOG_PAUSE (4 << 20)

struct stage {
	struct pipeline *pl;
	const struct pf_stage *spec;
	struct input *in;
	struct queue *q;
	struct feed *feed;
	struct rrfeed *rr;     /* round_robin: instead of the feed */
	unsigned slots;
	struct sched *sched;   /* its jobs or workers (no workers in a
				* dry run) */
	struct template *tpl, *on_success, *on_error;
	struct channel **outs; /* to the stages that read this one */
	size_t nouts;
	struct capture_sink sink;
	char label[128];       /* "stage NAME" for input messages */
	int started, ended;
	int input_failed;      /* its input's error was reported */
};

struct pipeline {
	struct loop *loop;
	const struct pipefile *pf;
	struct pipeline_opts opts;
	struct pipeline_events ev;
	struct stage *st;
	size_t n;
	int terminating, closed, halted;
	int halt_status; /* the halting stage's --halt status (-1: none) */
	int may_pause;         /* see pl_may_pause() */
};

/* Report an error (printf-style) through the events. */
#define pl_error(pl, ...) report_msg((pl)->ev.error, (pl)->ev.data, __VA_ARGS__)

/* --- pool events, tagged with the stage ------------------------------ */

static void st_launch(void *data, const struct sched_task *j)
{
	struct stage *s = data;

	if (s->pl->ev.launch != NULL)
		s->pl->ev.launch(s->pl->ev.data, s->spec->name, j);
}

static void st_done(void *data, const struct sched_task *j)
{
	struct stage *s = data;

	if (s->pl->ev.done != NULL)
		s->pl->ev.done(s->pl->ev.data, s->spec->name, j);
}

static void st_finished(void *data, const struct sched_task *j)
{
	struct stage *s = data;

	if (s->pl->ev.finished != NULL)
		s->pl->ev.finished(s->pl->ev.data, s->spec->name, j);
}

static void st_error(void *data, const char *msg)
{
	struct stage *s = data;
	char full[1200];

	snprintf(full, sizeof(full), "stage %s: %s", s->spec->name, msg);
	if (s->pl->ev.error != NULL)
		s->pl->ev.error(s->pl->ev.data, full);
}

static void st_notice(void *data, const char *msg)
{
	struct stage *s = data;
	char full[1200];

	snprintf(full, sizeof(full), "stage %s: %s", s->spec->name, msg);
	if (s->pl->ev.notice != NULL)
		s->pl->ev.notice(s->pl->ev.data, full);
}

/* --- worker pool events --------------------------------------------- */

static void st_task(void *data, const struct sched_task *t)
{
	struct stage *s = data;

	if (s->pl->ev.task != NULL)
		s->pl->ev.task(s->pl->ev.data, s->spec->name, t);
}

static void st_spawned(void *data, unsigned slot, pid_t pid)
{
	struct stage *s = data;

	if (s->pl->ev.spawned != NULL)
		s->pl->ev.spawned(s->pl->ev.data, s->spec->name, slot, pid);
}

/* --- a stage's scheduler (none for workers in a dry run) ------------- */

static void stage_kick(struct stage *s)
{
	if (s->sched != NULL)
		sched_kick(s->sched);
}

static void stage_close(struct stage *s)
{
	if (s->sched != NULL)
		sched_close(s->sched);
}

static void stage_terminate(struct stage *s)
{
	if (s->sched != NULL)
		sched_terminate(s->sched);
}

/* All its jobs or inputs are over. */
static int stage_done(const struct stage *s)
{
	return s->sched == NULL || sched_finished(s->sched);
}

static int stage_halted(const struct stage *s)
{
	return s->sched != NULL && sched_halted(s->sched);
}

/* Is mprun's own stdout gone? Only a stage with no readers writes there;
 * a reader that stops reading (its input failed) ends the writing stage
 * alone, which its scheduler does itself. */
static int stage_stdout_closed(const struct stage *s)
{
	return s->nouts == 0 && s->sched != NULL &&
	       sched_output_closed(s->sched);
}

/* --- wiring ------------------------------------------------------------ */

/* The stage's stdout goes to every channel of its readers. */
static int st_sink_write(void *ctx, const void *p, size_t n)
{
	struct stage *s = ctx;
	size_t i;

	if (s->pl->closed) {
		/* halted or SIGTERM: no reader starts a job again; the
		 * writer's jobs see their output gone, as in a shell
		 * pipeline (one that writes without end would not end) */
		errno = EPIPE;
		return -1;
	}
	for (i = 0; i < s->nouts; i++)
		if (channel_write(s->outs[i], p, n) == -1)
			return -1;
	return 0;
}

/* The sink is full: a reader is far behind, and the stage's running jobs
 * wait on their pipes (a stage whose one job writes without end, say)
 * instead of the channel growing on disk without bound. */
static int st_sink_full(void *ctx)
{
	struct stage *s = ctx;
	size_t i;

	if (!s->pl->may_pause || s->pl->closed)
		return 0;
	for (i = 0; i < s->nouts; i++)
		if (channel_backlog(s->outs[i]) > BACKLOG_PAUSE)
			return 1;
	return 0;
}

/* May a writer wait for a slow reader? Not if a reader's progress could
 * depend on another branch of the graph: a stage reading two stages (one
 * may have to be read whole first, as a cartesian product does) or waiting
 * for one (after:) could then wait for a writer that waits for it. In such
 * pipelines, channels spill to disk instead. */
static int pl_may_pause(const struct pipeline *pl)
{
	size_t i, j, stages;

	for (i = 0; i < pl->n; i++) {
		const struct pf_stage *sp = pl->st[i].spec;

		if (sp->nafter > 0)
			return 0;
		for (j = stages = 0; j < sp->ninputs; j++)
			stages += sp->inputs[j].kind == PF_STAGE;
		if (stages > 1)
			return 0;
	}
	return 1;
}

/* Is a reader of this stage too far behind to start more jobs? */
static int st_throttle(void *data)
{
	struct stage *s = data;
	size_t i;

	for (i = 0; i < s->nouts; i++)
		if (channel_backlog(s->outs[i]) > BACKLOG_MAX)
			return 1;
	return 0;
}

/* A reader caught up: the writer may start jobs again. */
static void st_drained(void *data)
{
	struct stage *s = data;

	stage_kick(s);
}

/* Why reading the stage's input failed, or NULL. */
static const char *st_input_error(const struct stage *s)
{
	return s->rr != NULL ? rrfeed_error(s->rr) : feed_error(s->feed);
}

/* Feed put records in the queue or closed it; an input that failed (a
 * read error, a bad record) is reported once. */
static void st_records(void *data)
{
	struct stage *s = data;
	const char *err = st_input_error(s);

	if (err != NULL && !s->input_failed) {
		s->input_failed = 1;
		pl_error(s->pl, "stage %s: %s", s->spec->name, err);
	}
	stage_kick(s);
}

static void st_want(void *data)
{
	struct stage *s = data;

	if (s->rr != NULL)
		rrfeed_want(s->rr);
	else
		feed_want(s->feed);
}

/* A channel from stage from to a reader: its read end as an input fd. */
static int st_connect(struct pipeline *pl, struct stage *from, int *fd)
{
	struct channel **outs, *ch;

	ch = channel_new(pl->loop, CHANNEL_MEM, pl->opts.pool.sched.tmpdir);
	if (ch == NULL)
		return -1;
	outs = realloc(from->outs, (from->nouts + 1) * sizeof(*outs));
	if (outs == NULL) {
		channel_free(ch);
		return -1;
	}
	from->outs = outs;
	outs[from->nouts++] = ch;
	channel_on_drain(ch, st_drained, from);
	*fd = channel_take_reader(ch);
	return 0;
}

/* Add one source of the stage's input. */
static int st_add_source(struct pipeline *pl, struct stage *s,
			 const struct pf_source *src)
{
	struct stage *from;
	int fd;

	switch (src->kind) {
	case PF_VALUES:
	case PF_GLOB:
		return input_add_list(s->in, src->values, src->nvalues,
				      src->linked);
	case PF_FILE:
		return input_add_file(s->in, src->path, src->linked);
	case PF_STAGE:
		from = &pl->st[src->stage];
		if (st_connect(pl, from, &fd) == -1)
			return -1;
		snprintf(from->label, sizeof(from->label), "stage %s",
			 from->spec->name);
		return input_add_fd(s->in, fd, from->label, src->linked);
	}
	return 0;
}

/* pipe: true: the descriptor of the stage's one input (a stage's output
 * or a file), cut into blocks. */
static int st_add_blocks(struct pipeline *pl, struct stage *s)
{
	const struct pf_stage *sp = s->spec;
	const struct pf_source *src = &sp->inputs[0];
	struct blocks_opts bo = {.block = sp->block ? sp->block : 1 << 20,
				 .recend = sp->recend,
				 .recstart = sp->recstart,
				 .regexp = sp->regexp,
				 .remove_sep = sp->remove_sep,
				 .header = sp->header,
				 .header_apart = sp->round_robin,
				 .max_block = pl->opts.max_record,
				 .own_fd = 1};
	const char *name = src->path;
	struct blocks *b;
	int fd = -1;

	if (src->kind == PF_STAGE) {
		if (st_connect(pl, &pl->st[src->stage], &fd) == -1)
			return -1;
		snprintf(pl->st[src->stage].label, sizeof(s->label),
			 "stage %s", pl->st[src->stage].spec->name);
		name = pl->st[src->stage].label;
	} else {
		fd = open(src->path, O_RDONLY | O_CLOEXEC);
	}
	b = fd != -1 ? blocks_new_stream(fd, &bo) : NULL;
	if (b == NULL) {
		close_keep_errno(fd);
		return -1;
	}
	if (input_add_blocks(s->in, b, name, sp->cat) == -1)
		return -1;
	return sp->fifo ? input_set_block_fifos(s->in, pl->opts.pool.sched.tmpdir)
			: 0;
}

/* The stage's input: its sources, or one empty record (runs once). */
static int st_make_input(struct pipeline *pl, struct stage *s)
{
	static char *const once[] = {(char *)""};
	struct input_opts io = {.delim = '\n',
				.max_record = pl->opts.max_record};
	char err[256] = "";
	size_t i;

	s->in = input_new(&io, err, sizeof(err));
	if (s->in == NULL)
		return -1;
	if (s->spec->ninputs == 0)
		return input_add_list(s->in, once, 1, 0);
	for (i = 0; i < s->spec->ninputs; i++) {
		if ((s->spec->pipe ? st_add_blocks(pl, s)
				   : st_add_source(pl, s,
						   &s->spec->inputs[i])) == -1) {
			const char *m = input_error(s->in);

			pl_error(pl, "stage %s: %s", s->spec->name,
				 m != NULL ? m : strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* A template from one command string (NULL stays NULL); a refusal is
 * reported as the stage's key what. */
static int st_template(struct pipeline *pl, const struct stage *s,
		       const char *what, const char *cmd, int flags,
		       struct template **out)
{
	char *words[1] = {(char *)cmd};
	struct template_error err;
	struct buf b = BUF_INIT;
	char key[128];

	*out = NULL;
	if (cmd == NULL)
		return 0;
	*out = template_new(words, 1, flags, &err);
	if (*out != NULL)
		return 0;
	snprintf(key, sizeof(key), "stage %s: %s", s->spec->name, what);
	if (err.msg[0] == '\0')
		pl_error(pl, "%s: %s", key,
			 errno == EINVAL ? "the command is empty"
					 : strerror(errno));
	else if (template_error_format(&err, &b) == 0)
		pl_error(pl, "%s refused, %s", key, b.data);
	buf_free(&b);
	return -1;
}

/* The stage's pool options: the shared ones, then its own keys. */
static void st_pool_opts(struct pipeline *pl, struct stage *s,
			 struct pool_opts *po)
{
	const struct pf_stage *sp = s->spec;
	size_t i = (size_t)(s - pl->st);

	*po = pl->opts.pool;

	po->sched.slots = sp->jobs > 0 ? sp->jobs : pl->opts.jobs;
	if (pl->opts.stage_exec != NULL && pl->opts.stage_exec[i] != NULL) {
		po->sched.exec = pl->opts.stage_exec[i];
		po->sched.slots = pl->opts.stage_slots[i];
	}
	po->tpl = s->tpl;
	po->max_args = sp->n;
	if (sp->has_order)
		po->sched.order = sp->order;
	if (sp->timeout_ms > 0 || sp->timeout_pct > 0) {
		po->sched.timeout_ms = sp->timeout_ms;
		po->timeout_pct = sp->timeout_pct;
	}
	if (sp->retries > 0)
		po->sched.retries = sp->retries;
	if (sp->halt_text != NULL)
		po->sched.halt = sp->halt;
	if (s->on_success != NULL)
		po->sched.on_success = s->on_success;
	if (s->on_error != NULL)
		po->sched.on_error = s->on_error;
	po->env = sp->env;
	po->fifo = sp->fifo;
	if (sp->round_robin)
		po->sched.retries = 0; /* a job reads its blocks once */
	po->sched.out_sink = sp->read_by_others ? &s->sink : NULL;
	if (sp->read_by_others) {
		/* output options are for mprun's stdout: a stage passes on
		 * its jobs' output as they wrote it */
		po->sched.tag = 0;
		po->sched.tagstring = NULL;
		po->output = POOL_GROUP;
	}
	po->total = 0;
	po->sched.group = (unsigned)i + 1; /* ending a job ends no other
					    * stage's */
}

/* The worker pool of a workers: stage, from the shared options and its
 * own keys; none in a dry run. */
static int st_build_workers(struct pipeline *pl, struct stage *s,
			    const struct pool_opts *po)
{
	const struct pf_stage *sp = s->spec;
	struct sched_events ev = {.spawned = st_spawned, .finished = st_task,
				  .error = st_error, .notice = st_notice,
				  .data = s};
	struct wpool_opts wo = {0};

	if (po->dry_run)
		return 0;
	wo.sched = po->sched;
	wo.command = sp->workers;
	wo.init = sp->worker_init;
	wo.framing = sp->framing;
	wo.max_tasks = sp->max_tasks;
	wo.inflight = sp->max_inflight;
	s->sched = wpool_new(pl->loop, &wo, &ev);
	return s->sched != NULL ? 0 : -1;
}

/* Build one stage: templates, input, queue, feed, pool. */
static int st_build(struct pipeline *pl, struct stage *s)
{
	struct sched_events ev = {.launch = st_launch, .done = st_done,
				  .finished = st_finished, .error = st_error,
				  .notice = st_notice, .data = s};
	struct pool_opts po;

	if ((s->spec->cmd != NULL &&
	     st_template(pl, s, "cmd", s->spec->cmd,
			 s->spec->ninputs == 0 ||
					 (s->spec->pipe && !s->spec->cat &&
					  !s->spec->fifo)
				 ? TEMPLATE_NO_APPEND
				 : 0,
			 &s->tpl) == -1) ||
	    st_template(pl, s, "on_success", s->spec->on_success,
			TEMPLATE_SHELL | TEMPLATE_NO_APPEND,
			&s->on_success) == -1 ||
	    st_template(pl, s, "on_error", s->spec->on_error,
			TEMPLATE_SHELL | TEMPLATE_NO_APPEND, &s->on_error) == -1)
		return -1;
	s->sink = (struct capture_sink){st_sink_write, s, st_sink_full};
	st_pool_opts(pl, s, &po);
	s->slots = po.sched.slots;
	s->q = queue_new(queue_size_for(s->spec->pipe ? QUEUE_BLOCKS
						      : QUEUE_STAGE,
					po.sched.slots, 0, 0));
	if (s->q == NULL)
		return -1;
	if (s->spec->workers != NULL) {
		if (st_build_workers(pl, s, &po) == -1)
			return -1;
	} else if ((s->sched = pool_new(pl->loop, &po, &ev)) == NULL) {
		return -1;
	}
	if (s->sched != NULL)
		sched_set_throttle(s->sched, st_throttle, s);
	return 0;
}

struct pipeline *pipeline_new(struct loop *l, const struct pipefile *pf,
			      const struct pipeline_opts *o,
			      const struct pipeline_events *ev)
{
	struct pipeline *pl = calloc(1, sizeof(*pl));
	size_t i;

	if (pl == NULL)
		return NULL;
	pl->loop = l;
	pl->pf = pf;
	pl->opts = *o;
	if (ev != NULL)
		pl->ev = *ev;
	pl->st = calloc(pf->nstages, sizeof(*pl->st));
	if (pl->st == NULL)
		goto fail;
	pl->n = pf->nstages;
	for (i = 0; i < pl->n; i++) {
		pl->st[i].pl = pl;
		pl->st[i].spec = &pf->stages[i];
	}
	pl->may_pause = pl_may_pause(pl);
	for (i = 0; i < pl->n; i++)
		if (st_build(pl, &pl->st[i]) == -1)
			goto fail;
	/* Inputs last: a reader's input connects to its writer's channel. */
	for (i = 0; i < pl->n; i++)
		if (st_make_input(pl, &pl->st[i]) == -1)
			goto fail;
	return pl;
fail:
	pipeline_free(pl);
	return NULL;
}

void pipeline_free(struct pipeline *pl)
{
	size_t i, k;

	if (pl == NULL)
		return;
	for (i = 0; pl->st != NULL && i < pl->n; i++) {
		struct stage *s = &pl->st[i];

		feed_free(s->feed);
		rrfeed_free(s->rr);
		sched_free(s->sched);
		if (s->q != NULL)
			queue_free(s->q, (void (*)(void *))record_free);
		input_free(s->in);
		for (k = 0; k < s->nouts; k++)
			channel_free(s->outs[k]);
		free(s->outs);
		template_free(s->tpl);
		template_free(s->on_success);
		template_free(s->on_error);
	}
	free(pl->st);
	free(pl);
}

/* --- running ------------------------------------------------------------ */

/* Have all the stages of after: ended? */
static int st_ready(const struct pipeline *pl, const struct stage *s)
{
	size_t i;

	for (i = 0; i < s->spec->nafter; i++)
		if (!pl->st[s->spec->after[i]].ended)
			return 0;
	return 1;
}

/* Start a stage: its feed and its pool. */
static int st_start(struct pipeline *pl, struct stage *s)
{
	if (s->spec->round_robin)
		s->rr = rrfeed_new(pl->loop, s->in, s->q, s->slots, st_records,
				   s);
	else
		s->feed = feed_new(pl->loop, s->in, s->q, st_records, s);
	if (s->feed == NULL && s->rr == NULL)
		return -1;
	s->started = 1;
	if (s->sched != NULL) {
		sched_set_source(s->sched, s->q, st_want, s);
		if (pl->closed)
			sched_close(s->sched);
		sched_start(s->sched);
	}
	return 0;
}

/* A stage's pool is done: its readers get end of input. */
static void st_end(struct stage *s)
{
	size_t i;

	s->ended = 1;
	for (i = 0; i < s->nouts; i++)
		channel_close(s->outs[i]);
}

/* --halt now: end every stage's jobs; they count neither way. */
static void pl_halt_now(struct pipeline *pl)
{
	size_t i;

	for (i = 0; i < pl->n; i++)
		if (pl->st[i].started && pl->st[i].sched != NULL)
			sched_halt_now(pl->st[i].sched);
	pipeline_terminate(pl);
}

/* Propagate --halt (and a closed stdout) from one stage to all. */
static void pl_check_halt(struct pipeline *pl, struct stage *s)
{
	const struct pool_opts *po = &pl->opts.pool;

	if (stage_stdout_closed(s) && !pl->terminating) {
		pipeline_terminate(pl);
		return;
	}
	if (!stage_halted(s) || pl->halted)
		return;
	pl->halted = 1;
	pl->halt_status = sched_halt_status(s->sched);
	if ((s->spec->halt_text != NULL ? s->spec->halt.when
					: po->sched.halt.when) == HALT_NOW)
		pl_halt_now(pl);
	else
		pipeline_close(pl);
}

/* After each round of events: end, start and halt stages. 1 when all
 * stages are over; *changed when a stage started or ended (a stage may
 * end at once, with no event to wait for). */
static int pl_step(struct pipeline *pl, int *changed)
{
	size_t i, over = 0;

	*changed = 0;
	for (i = 0; i < pl->n; i++) {
		struct stage *s = &pl->st[i];

		if (s->started && !s->ended) {
			pl_check_halt(pl, s);
			if (stage_done(s)) {
				st_end(s);
				*changed = 1;
			}
		}
		if (!s->started && st_ready(pl, s) &&
		    (!pl->terminating || s->spec->ninputs == 0)) {
			if (st_start(pl, s) == -1)
				return -1;
			*changed = 1;
			if (pl->terminating)
				stage_terminate(s);
		}
	}
	for (i = 0; i < pl->n; i++)
		over += pl->st[i].ended ||
			(!pl->st[i].started && pl->terminating);
	return over == pl->n;
}

int pipeline_run(struct pipeline *pl)
{
	int rc, changed;

	while ((rc = pl_step(pl, &changed)) == 0)
		if (!changed && loop_run_once(pl->loop) == -1)
			return -1;
	return rc == 1 ? 0 : -1;
}

void pipeline_terminate(struct pipeline *pl)
{
	size_t i;

	pl->terminating = 1;
	pl->closed = 1;
	for (i = 0; i < pl->n; i++)
		if (pl->st[i].started)
			stage_terminate(&pl->st[i]);
}

void pipeline_close(struct pipeline *pl)
{
	size_t i;

	pl->closed = 1;
	for (i = 0; i < pl->n; i++)
		if (pl->st[i].started)
			stage_close(&pl->st[i]);
	/* jobs waiting for a reader that now stops: read them again */
	for (i = 0; i < pl->n; i++)
		if (pl->st[i].started)
			stage_kick(&pl->st[i]);
}

/* --- what the command shows --------------------------------------------- */

size_t pipeline_nstages(const struct pipeline *pl)
{
	return pl->n;
}

const char *pipeline_stage_name(const struct pipeline *pl, size_t i)
{
	return pl->st[i].spec->name;
}

void pipeline_stage_counts(const struct pipeline *pl, size_t i,
			   unsigned long long *done,
			   unsigned long long *failed,
			   unsigned long long *running)
{
	const struct stage *s = &pl->st[i];

	*done = *failed = 0;
	*running = 0;
	if (s->sched != NULL) {
		*failed = sched_failed(s->sched);
		*done = sched_succeeded(s->sched) + *failed;
		*running = sched_running(s->sched);
	}
}

unsigned long long pipeline_stage_started(const struct pipeline *pl,
					  size_t i)
{
	return pl->st[i].sched != NULL ? sched_started(pl->st[i].sched) : 0;
}

int pipeline_stage_total(const struct pipeline *pl, size_t i,
			 unsigned long long *total)
{
	const struct stage *s = &pl->st[i];
	size_t n = s->spec->n > 0 ? s->spec->n : 1;

	if (!s->started || !queue_closed(s->q) || st_input_error(s) != NULL ||
	    s->rr != NULL)
		return 0; /* round_robin: as many jobs as the blocks need */
	*total = (input_count(s->in) + n - 1) / n;
	return 1;
}

/* The sum of a figure of every stage's scheduler. */
static unsigned long long pl_sum(const struct pipeline *pl,
				 unsigned long long (*of)(const struct sched *))
{
	unsigned long long n = 0;
	size_t i;

	for (i = 0; i < pl->n; i++)
		if (pl->st[i].sched != NULL)
			n += of(pl->st[i].sched);
	return n;
}

unsigned long long pipeline_failed(const struct pipeline *pl)
{
	return pl_sum(pl, sched_failures);
}

unsigned long long pipeline_trees_ended(const struct pipeline *pl)
{
	return pl_sum(pl, sched_trees_ended);
}

int pipeline_output_closed(const struct pipeline *pl)
{
	size_t i;

	for (i = 0; i < pl->n; i++)
		if (stage_stdout_closed(&pl->st[i]))
			return 1;
	return 0;
}

int pipeline_halted(const struct pipeline *pl)
{
	return pl->halted;
}

int pipeline_halt_status(const struct pipeline *pl)
{
	return pl->halted ? pl->halt_status : -1;
}
