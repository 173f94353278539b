/* throttle: --load, --memfree and --limit as the scheduler's throttle. */
#include "throttle.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "helper.h"
#include "loop.h"
#include "parse.h"
#include "sched.h"

/* "Not now" is asked again after this long, doubled each time up to ... */
#define RECHECK_MIN_MS 10
#define RECHECK_MAX_MS 1000
/* While jobs run, memory (and --limit's 2) is looked at this often. */
#define WATCH_MS 1000

struct throttle {
	struct loop *loop;
	struct sched *s;
	struct throttle_opts o;
	struct helper *child;     /* --limit's command, running */
	struct loop_timer *timer; /* the next look */
	uint64_t delay;           /* until the next ask, while waiting */
	int waiting;              /* the last ask was answered "not now" */
	int permit;               /* --limit said 0: one job may start */
};

static void throttle_arm(struct throttle *t);

/* --- reading the machine's state ------------------------------------ */

int throttle_read_load(const char *path, double *load)
{
	FILE *f = fopen(path != NULL ? path : "/proc/stat", "re");
	char *line = NULL;
	size_t cap = 0;
	long long running = -1, blocked = -1, v;

	if (f == NULL)
		return -1;
	while (getline(&line, &cap, f) != -1) {
		if (sscanf(line, "procs_running %lld", &v) == 1)
			running = v;
		else if (sscanf(line, "procs_blocked %lld", &v) == 1)
			blocked = v;
	}
	free(line);
	fclose(f);
	if (running < 0 || blocked < 0) {
		errno = ENOENT;
		return -1;
	}
	/* we are running as we read it: GNU parallel takes its ps off too */
	*load = running + blocked > 0 ? (double)(running + blocked - 1) : 0;
	return 0;
}

int throttle_read_meminfo(const char *path, const char *field,
			  uint64_t *bytes)
{
	FILE *f = fopen(path != NULL ? path : "/proc/meminfo", "re");
	char name[64];
	unsigned long long kb;
	int found = 0;

	if (f == NULL)
		return -1;
	while (!found && fscanf(f, "%63[^:]: %llu kB\n", name, &kb) == 2)
		found = strcmp(name, field) == 0;
	fclose(f);
	if (!found) {
		errno = ENOENT;
		return -1;
	}
	*bytes = (uint64_t)kb * 1024;
	return 0;
}

/* The memory available (MemAvailable; before Linux 3.14, what GNU
 * parallel adds up: MemFree, Buffers, Cached, SwapCached). */
static int mem_available(const char *path, uint64_t *bytes)
{
	static const char *const parts[] = {"MemFree", "Buffers", "Cached",
					    "SwapCached"};
	uint64_t v, sum = 0;
	size_t i;

	if (throttle_read_meminfo(path, "MemAvailable", bytes) == 0)
		return 0;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (throttle_read_meminfo(path, parts[i], &v) == 0)
			sum += v;
	*bytes = sum;
	return sum > 0 ? 0 : -1;
}

/* --- parsing ---------------------------------------------------------- */

int throttle_parse_load(const char *v, unsigned ncpus, double *out)
{
	char *end;
	double d;
	size_t len = strlen(v);

	if (len == 0 || len > 32 || strchr("0123456789+-", v[0]) == NULL)
		return -1;
	errno = 0;
	d = strtod(v[0] == '+' || v[0] == '-' ? v + 1 : v, &end);
	if (errno != 0 || end == v || !isfinite(d) || d < 0 ||
	    (*end != '\0' && strcmp(end, "%") != 0) ||
	    (*end == '%' && (v[0] == '+' || v[0] == '-')))
		return -1;
	if (*end == '%')
		d = ncpus * d / 100;
	else if (v[0] == '+')
		d = ncpus + d;
	else if (v[0] == '-')
		d = ncpus - d;
	*out = d < 0.01 ? 0.01 : d;
	return 0;
}

int throttle_parse_size(const char *v, uint64_t *out)
{
	return parse_gnu_size(v, out) == -1 || *out == 0 ? -1 : 0;
}

int throttle_parse_builtin(const char *cmd, unsigned ncpus,
			   struct throttle_opts *o)
{
	char name[8], arg[64], extra;

	if (sscanf(cmd, " %7s %63s %c", name, arg, &extra) != 2)
		return 0;
	if (strcmp(name, "io") == 0)
		return -1;
	if (strcmp(name, "mem") == 0 &&
	    throttle_parse_size(arg, &o->memfree) == 0)
		return 1;
	if (strcmp(name, "load") == 0 &&
	    throttle_parse_load(arg, ncpus, &o->load) == 0)
		return 1;
	return 0;
}

/* --- --limit's command ------------------------------------------------ */

/* Its exit status: 0 lets the job waiting start, 2 ends the youngest. */
static void limit_done(void *data, struct helper *h)
{
	struct throttle *t = data;
	int st = helper_status(h);
	int code = st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : 1;

	helper_free(h);
	t->child = NULL;
	if (code == 2)
		sched_evict(t->s, "--limit");
	if (code == 0 && t->waiting) {
		t->permit = 1;
		sched_kick(t->s);
	}
	throttle_arm(t);
}

/* Run --limit's command, unless it runs. */
static void limit_start(struct throttle *t)
{
	char *argv[] = {(char *)t->o.shell, (char *)"-c", (char *)t->o.limit,
			NULL};
	struct helper_opts ho = {.fd_in = -1, .done = limit_done, .data = t};

	if (t->child == NULL)
		t->child = helper_start(t->loop, argv, &ho);
	/* (NULL: no process now; asked again on the timer) */
}

/* --- the throttle ----------------------------------------------------- */

/* May a job start now? 0: yes; 1: not now. */
static int throttle_check(struct throttle *t)
{
	double load;
	uint64_t avail;

	/* an unknown load or memory is taken as too high, as GNU does */
	if (t->o.load > 0 && (throttle_read_load(t->o.stat_path, &load) == -1 ||
			      load >= t->o.load))
		return 1;
	if (t->o.memfree > 0 && (mem_available(t->o.meminfo_path, &avail) ==
					 -1 ||
				 avail < t->o.memfree))
		return 1;
	if (t->o.limit == NULL)
		return 0;
	if (t->permit) {
		t->permit = 0;
		return 0;
	}
	limit_start(t);
	return 1;
}

/* sched's throttle: asked before each start. */
static int throttle_ask(void *data)
{
	struct throttle *t = data;
	int wait = throttle_check(t);

	if (!wait)
		t->delay = RECHECK_MIN_MS;
	t->waiting = wait;
	throttle_arm(t);
	return wait;
}

/* The timer: end the youngest job if memory is short; look again. */
static void throttle_tick(struct loop *l, void *data)
{
	struct throttle *t = data;
	uint64_t avail;

	t->timer = NULL;
	if (t->o.memfree > 0 && sched_running(t->s) > 1 &&
	    mem_available(t->o.meminfo_path, &avail) == 0 &&
	    avail < t->o.memfree / 2)
		sched_evict(t->s, "--memfree");
	if (t->o.limit != NULL && !t->waiting && sched_running(t->s) > 1)
		limit_start(t); /* for its 2 */
	if (t->waiting)
		sched_kick(t->s); /* asks again */
	throttle_arm(t);
}

/* Look again later: soon while a start waits, every WATCH_MS while jobs
 * run and something may have to be ended. */
static void throttle_arm(struct throttle *t)
{
	uint64_t ms;

	if (t->timer != NULL)
		return;
	if (t->waiting) {
		ms = t->delay;
		t->delay = t->delay * 2 < RECHECK_MAX_MS ? t->delay * 2
							 : RECHECK_MAX_MS;
	} else if ((t->o.memfree > 0 || t->o.limit != NULL) &&
		   sched_running(t->s) > 0) {
		ms = WATCH_MS;
	} else {
		return;
	}
	t->timer = loop_timer_add(t->loop, ms, throttle_tick, t);
}

struct throttle *throttle_new(struct loop *l, struct sched *s,
			      const struct throttle_opts *o)
{
	struct throttle *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->loop = l;
	t->s = s;
	t->o = *o;
	t->delay = RECHECK_MIN_MS;
	sched_set_throttle(s, throttle_ask, t);
	return t;
}

void throttle_free(struct throttle *t)
{
	if (t == NULL)
		return;
	if (t->timer != NULL)
		loop_timer_cancel(t->loop, t->timer);
	helper_free(t->child);
	free(t);
}
