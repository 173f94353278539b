/* report: draw a run as an SVG timeline (or an HTML page holding it). */
#include "report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "internal.h"

/* Distinct stage/host groups kept; the others share the last one. */
#define REPORT_MAX_GROUPS 256
/* Two jobs this close (ms) are taken as one after the other in a lane:
 * start and runtime come from two clocks. */
#define REPORT_SLACK_MS 1
/* How many of the slowest jobs the HTML page lists. */
#define REPORT_SLOWEST 10

/* The picture's geometry, in pixels. */
enum {
	PIC_WIDTH = 1200,
	PIC_LEFT = 170,  /* room for the lane labels */
	PIC_RIGHT = 24,
	PIC_TOP = 84,    /* title, summary and legend above */
	PIC_PLOT_HEIGHT = 520, /* lanes share this much, down to LANE_MIN */
	LANE_MAX = 22,
	LANE_MIN = 3,
};

struct rjob {
	unsigned long long seq;
	uint64_t start_ms, runtime_ms; /* start_ms 0: never started */
	int exitval, signal;
	enum report_outcome outcome;
	size_t group;
	size_t lane;                   /* after the layout */
	char *command;
};

struct rgroup {
	char *stage, *host;            /* NULL: none, this machine */
	size_t lanes, first_lane;
};

struct report {
	char *title;
	struct rjob *jobs;
	size_t n, cap, max;
	unsigned long long total, dropped; /* added; not kept */
	unsigned long long outcomes[4];    /* of all added */
	uint64_t first_ms, last_ms;        /* of all added: start, end */
	struct rgroup groups[REPORT_MAX_GROUPS];
	size_t ngroups;
	size_t nlanes;
	uint64_t t0, t1;                   /* first start, last end */
};

struct report *report_new(const char *title, size_t max_jobs)
{
	struct report *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->max = max_jobs ? max_jobs : REPORT_MAX_JOBS;
	r->title = strdup(title != NULL ? title : "mprun");
	if (r->title == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

void report_free(struct report *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		free(r->jobs[i].command);
	for (i = 0; i < r->ngroups; i++) {
		free(r->groups[i].stage);
		free(r->groups[i].host);
	}
	free(r->jobs);
	free(r->title);
	free(r);
}

enum report_outcome report_outcome_of(int exitval, int signal, int timed_out)
{
	if (timed_out)
		return REPORT_TIMEOUT;
	if (signal != 0)
		return REPORT_KILLED;
	return exitval != 0 ? REPORT_FAILED : REPORT_OK;
}

const char *report_outcome_class(enum report_outcome o)
{
	static const char *const names[] = {"ok", "failed", "timeout",
					    "killed"};

	return names[o];
}

enum report_format report_format_of(const char *path)
{
	size_t n = strlen(path);

	if ((n >= 5 && strcasecmp(path + n - 5, ".html") == 0) ||
	    (n >= 4 && strcasecmp(path + n - 4, ".htm") == 0))
		return REPORT_HTML;
	return REPORT_SVG;
}

/* 1 if a and b are both NULL or equal strings. */
static int same(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* The index of the group of stage and host, made if new (the last one
 * when there are too many). -1/ENOMEM. */
static long group_of(struct report *r, const char *stage, const char *host)
{
	struct rgroup *g;
	size_t i;

	if (host != NULL && strcmp(host, ":") == 0)
		host = NULL;
	for (i = r->ngroups; i-- > 0;)
		if (same(r->groups[i].stage, stage) &&
		    same(r->groups[i].host, host))
			return (long)i;
	if (r->ngroups == REPORT_MAX_GROUPS)
		return REPORT_MAX_GROUPS - 1;
	g = &r->groups[r->ngroups];
	g->stage = stage != NULL ? strdup(stage) : NULL;
	g->host = host != NULL ? strdup(host) : NULL;
	if ((stage != NULL && g->stage == NULL) ||
	    (host != NULL && g->host == NULL)) {
		free(g->stage);
		free(g->host);
		g->stage = g->host = NULL;
		return -1;
	}
	return (long)r->ngroups++;
}

/* A copy of s cut to REPORT_COMMAND_MAX bytes (at a character's start,
 * then "..."). */
static char *command_copy(const char *s)
{
	size_t n = strlen(s);
	char *c;

	if (n <= REPORT_COMMAND_MAX)
		return strdup(s);
	n = REPORT_COMMAND_MAX;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	c = malloc(n + 4);
	if (c == NULL)
		return NULL;
	memcpy(c, s, n);
	memcpy(c + n, "...", 4);
	return c;
}

int report_add(struct report *r, const struct report_job *j)
{
	struct rjob *k;
	enum report_outcome o =
		report_outcome_of(j->exitval, j->signal, j->timed_out);
	long g;

	if (j->start_ms != 0 && (r->first_ms == 0 || j->start_ms < r->first_ms))
		r->first_ms = j->start_ms;
	if (j->start_ms + j->runtime_ms > r->last_ms)
		r->last_ms = j->start_ms + j->runtime_ms;
	r->total++;
	r->outcomes[o]++;
	if (r->n == r->max) {
		r->dropped++;
		return 0;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;

		if (cap > r->max)
			cap = r->max;
		k = realloc(r->jobs, cap * sizeof(*k));
		if (k == NULL)
			goto fail;
		r->jobs = k;
		r->cap = cap;
	}
	g = group_of(r, j->stage, j->host);
	if (g == -1)
		goto fail;
	k = &r->jobs[r->n];
	*k = (struct rjob){.seq = j->seq,
			   .start_ms = j->start_ms,
			   .runtime_ms = j->runtime_ms,
			   .exitval = j->exitval,
			   .signal = j->signal,
			   .outcome = o,
			   .group = (size_t)g};
	k->command = command_copy(j->command != NULL ? j->command : "");
	if (k->command == NULL)
		goto fail;
	r->n++;
	return 0;
fail:
	r->total--;
	r->outcomes[o]--;
	return -1;
}

/* ---- reading a job log ------------------------------------------------ */

/* Seconds with decimals ("12", " 0.5", "1700000000.123") as milliseconds
 * (further decimals dropped). -1 if s is not that. */
static int parse_ms(const char *s, uint64_t *ms)
{
	uint64_t v = 0, frac = 0;
	int digits = 0, fd = 0;

	while (*s == ' ')
		s++;
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		if (v > (UINT64_MAX / 1000 - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++, fd++)
			if (fd < 3)
				frac = frac * 10 + (uint64_t)(*s - '0');
	while (*s == ' ')
		s++;
	if (digits == 0 || *s != '\0')
		return -1;
	for (; fd < 3; fd++)
		frac *= 10;
	*ms = v * 1000 + frac;
	return 0;
}

/* A whole decimal number (a sign allowed), within int. */
static int parse_int(const char *s, int *out)
{
	char *end;
	long v;

	while (*s == ' ')
		s++;
	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno == ERANGE || v < -2147483647L ||
	    v > 2147483647L)
		return -1;
	*out = (int)v;
	return 0;
}

/* A job number: digits, not 0. */
static int parse_seq(const char *s, unsigned long long *seq)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*seq = strtoull(s, &end, 10);
	return *end != '\0' || errno == ERANGE || *seq == 0 ? -1 : 0;
}

/* The columns of a log line, the names of its errors. */
static const char *const column[] = {"Seq",	"Host",	   "Starttime",
				     "JobRuntime", "Send",	   "Receive",
				     "Exitval",	"Signal",    "Command"};

/* Parse one log line (cut in place) into j. NULL, or why not. */
static const char *parse_log_line(char *line, int with_stage,
				  struct report_job *j, char *why,
				  size_t whylen)
{
	char *f[9], *p = line, *tab;
	size_t i;
	int bad = -1;

	for (i = 0; i < 8; i++) {
		f[i] = p;
		tab = strchr(p, '\t');
		if (tab == NULL) {
			snprintf(why, whylen, "%zu columns, not 9 (%s)", i + 1,
				 "Seq Host Starttime JobRuntime Send Receive "
				 "Exitval Signal Command, tab-separated");
			return why;
		}
		*tab = '\0';
		p = tab + 1;
	}
	f[8] = p;
	j->stage = NULL;
	if (with_stage && (tab = strrchr(p, '\t')) != NULL) {
		*tab = '\0';
		j->stage = tab + 1;
	}
	j->host = f[1];
	j->command = f[8];
	j->timed_out = 0;
	if (parse_seq(f[0], &j->seq) == -1)
		bad = 0;
	else if (parse_ms(f[2], &j->start_ms) == -1)
		bad = 2;
	else if (parse_ms(f[3], &j->runtime_ms) == -1)
		bad = 3;
	else if (parse_int(f[6], &j->exitval) == -1)
		bad = 6;
	else if (parse_int(f[7], &j->signal) == -1)
		bad = 7;
	if (bad == -1)
		return NULL;
	snprintf(why, whylen, "%s \"%.40s\" is not %s", column[bad], f[bad],
		 bad == 0 ? "a job number"
		 : bad < 6 ? "a time in seconds"
			   : "a whole number");
	return why;
}

int report_read_joblog(struct report *r, const char *path, char *err,
		       size_t errlen)
{
	FILE *f = fopen(path, "re");
	struct report_job j;
	char *line = NULL, why[256];
	const char *bad;
	size_t cap = 0;
	unsigned long long lineno = 0;
	ssize_t len;
	int with_stage = 0, rc = -1;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		/* (logs put end to end have a header each) */
		if (strncmp(line, "Seq\t", 4) == 0) {
			with_stage = len >= 6 && strcmp(line + len - 6,
							"\tStage") == 0;
			continue;
		}
		if (line[0] == '\0')
			continue;
		bad = parse_log_line(line, with_stage, &j, why, sizeof(why));
		if (bad == NULL && report_add(r, &j) == -1)
			bad = strerror(errno);
		if (bad != NULL) {
			snprintf(err, errlen, "%s:%llu: %s", path, lineno, bad);
			goto out;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(line);
	fclose(f);
	return rc;
}

/* ---- lanes -------------------------------------------------------------- */

/* A min-heap of (key, lane): the lanes busy until key, or the free lanes
 * (key = lane). */
struct heap {
	struct slot {
		uint64_t key;
		size_t lane;
	} *v;
	size_t n;
};

/* Push onto a heap with room for it. */
static void heap_push(struct heap *h, uint64_t key, size_t lane)
{
	size_t i = h->n++, up;
	struct slot s = {key, lane};

	for (; i > 0 && h->v[up = (i - 1) / 2].key > key; i = up)
		h->v[i] = h->v[up];
	h->v[i] = s;
}

/* Take the smallest off a heap that is not empty. */
static struct slot heap_pop(struct heap *h)
{
	struct slot top = h->v[0], last = h->v[--h->n];
	size_t i = 0, c;

	while ((c = 2 * i + 1) < h->n) {
		if (c + 1 < h->n && h->v[c + 1].key < h->v[c].key)
			c++;
		if (h->v[c].key >= last.key)
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n > 0)
		h->v[i] = last;
	return top;
}

/* Order for packing: group, then start, then seq. */
static int cmp_pack(const void *a, const void *b)
{
	const struct rjob *x = *(const struct rjob *const *)a;
	const struct rjob *y = *(const struct rjob *const *)b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->start_ms != y->start_ms)
		return x->start_ms < y->start_ms ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Pack the started jobs of one group (order[from..to), sorted by start)
 * into lanes counted from r->nlanes. */
static void pack_group(struct report *r, struct rjob **order, size_t from,
		       size_t to, struct heap *busy, struct heap *freed)
{
	struct rgroup *g = &r->groups[order[from]->group];
	size_t i, lane;

	busy->n = freed->n = 0;
	g->first_lane = r->nlanes;
	g->lanes = 0;
	for (i = from; i < to; i++) {
		struct rjob *k = order[i];

		while (busy->n > 0 &&
		       busy->v[0].key <= k->start_ms + REPORT_SLACK_MS) {
			lane = heap_pop(busy).lane;
			heap_push(freed, lane, lane);
		}
		lane = freed->n > 0 ? heap_pop(freed).lane : g->lanes++;
		k->lane = g->first_lane + lane;
		heap_push(busy, k->start_ms + k->runtime_ms, lane);
	}
	r->nlanes += g->lanes;
}

int report_layout(struct report *r)
{
	struct rjob **order = malloc((r->n ? r->n : 1) * sizeof(*order));
	struct heap busy = {malloc((r->n ? r->n : 1) * sizeof(struct slot)),
			    0};
	struct heap freed = {malloc((r->n ? r->n : 1) * sizeof(struct slot)),
			     0};
	size_t i, m = 0, from;
	int rc = -1;

	if (order == NULL || busy.v == NULL || freed.v == NULL)
		goto out;
	r->nlanes = 0;
	r->t0 = r->t1 = 0;
	for (i = 0; i < r->ngroups; i++)
		r->groups[i].lanes = 0;
	for (i = 0; i < r->n; i++) {
		struct rjob *k = &r->jobs[i];

		if (k->start_ms == 0)
			continue; /* never started: listed, not drawn */
		order[m++] = k;
		if (r->t0 == 0 || k->start_ms < r->t0)
			r->t0 = k->start_ms;
		if (k->start_ms + k->runtime_ms > r->t1)
			r->t1 = k->start_ms + k->runtime_ms;
	}
	qsort(order, m, sizeof(*order), cmp_pack);
	for (from = 0, i = 1; i <= m; i++)
		if (i == m || order[i]->group != order[from]->group) {
			pack_group(r, order, from, i, &busy, &freed);
			from = i;
		}
	rc = 0;
out:
	free(order);
	free(busy.v);
	free(freed.v);
	return rc;
}

size_t report_lanes(const struct report *r)
{
	return r->nlanes;
}

size_t report_job_lane(const struct report *r, size_t i)
{
	return r->jobs[i].lane;
}

/* ---- text ------------------------------------------------------------- */

/* The length of the valid UTF-8 character XML allows at s, or 0. */
static size_t utf8_char(const unsigned char *s)
{
	unsigned cp;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07u;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* (the NUL ends it too) */
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe ||
	    cp == 0xffff)
		return 0;
	return n;
}

int report_escape(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;
	int rc = 0;

	while (*p != '\0' && rc == 0) {
		n = utf8_char(p);
		if (n == 0) {
			rc = buf_append_str(b, "\xef\xbf\xbd"); /* U+FFFD */
			n = 1;
		} else if (*p == '&') {
			rc = buf_append_str(b, "&amp;");
		} else if (*p == '<') {
			rc = buf_append_str(b, "&lt;");
		} else if (*p == '>') {
			rc = buf_append_str(b, "&gt;");
		} else if (*p == '"') {
			rc = buf_append_str(b, "&quot;");
		} else if (*p == '\'') {
			rc = buf_append_str(b, "&#39;");
		} else if ((*p < 0x20 && *p != '\t' && *p != '\n') ||
			   *p == 0x7f) {
			rc = buf_printf(b, "\\x%02x", *p);
		} else {
			rc = buf_append(b, p, n);
		}
		p += n;
	}
	return rc;
}

/* ---- writing ------------------------------------------------------------ */

/* What a write shares: the file, a scratch buffer, the first error. */
struct out {
	FILE *f;
	struct buf b;
	int err;
};

/* Write fmt (numbers and markup, nothing of the user's) to o. */
static void emit(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void emit(struct out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vfprintf(o->f, fmt, ap) < 0 && o->err == 0)
		o->err = errno ? errno : EIO;
	va_end(ap);
}

/* Write s escaped to o. */
static void emit_text(struct out *o, const char *s)
{
	o->b.len = 0;
	if (report_escape(&o->b, s) == -1) {
		o->err = ENOMEM;
		return;
	}
	if (o->b.len > 0 && fwrite(o->b.data, 1, o->b.len, o->f) != o->b.len &&
	    o->err == 0)
		o->err = errno ? errno : EIO;
}

/* ms as seconds with three decimals. */
static void emit_secs(struct out *o, uint64_t ms)
{
	emit(o, "%llu.%03u", (unsigned long long)(ms / 1000),
	     (unsigned)(ms % 1000));
}

/* A group's name: the stage and the host, or "local". */
static void emit_group_name(struct out *o, const struct rgroup *g)
{
	if (g->stage != NULL)
		emit_text(o, g->stage);
	if (g->stage != NULL && g->host != NULL)
		emit(o, " @ ");
	if (g->host != NULL)
		emit_text(o, g->host);
	if (g->stage == NULL && g->host == NULL)
		emit(o, "local");
}

static const char svg_style[] =
	"<style>\n"
	"rect.ok{fill:#2ca02c} rect.failed{fill:#d62728}\n"
	"rect.timeout{fill:#ff8c00} rect.killed{fill:#8e44ad}\n"
	"rect.job:hover{stroke:#000;stroke-width:1}\n"
	"text{fill:#222} .axis{stroke:#888} .grid{stroke:#e4e4e4}\n"
	"</style>\n";

/* The step between two ticks of an axis span_ms long: 1, 2 or 5 times a
 * power of ten milliseconds, about 8 ticks. */
static uint64_t tick_step(uint64_t span_ms)
{
	static const unsigned mult[] = {2, 5, 10};
	uint64_t base = 1, step = 1;
	size_t i = 0;

	while (step * 8 < span_ms) {
		step = base * mult[i];
		if (++i == 3) {
			i = 0;
			base *= 10;
		}
	}
	return step;
}

/* A tick's label: t seconds, with the decimals the step needs. */
static void emit_tick_label(struct out *o, uint64_t t, uint64_t step)
{
	if (step % 1000 == 0)
		emit(o, "%llu s", (unsigned long long)(t / 1000));
	else if (step % 100 == 0)
		emit(o, "%llu.%01u s", (unsigned long long)(t / 1000),
		     (unsigned)(t % 1000 / 100));
	else if (step % 10 == 0)
		emit(o, "%llu.%02u s", (unsigned long long)(t / 1000),
		     (unsigned)(t % 1000 / 10));
	else
		emit(o, "%llu.%03u s", (unsigned long long)(t / 1000),
		     (unsigned)(t % 1000));
}

/* The legend: a swatch and a count for each outcome. */
static void emit_legend(struct out *o, const struct report *r, int y)
{
	static const char *const label[] = {"ok", "failed", "timed out",
					    "killed (signal)"};
	int x = PIC_LEFT, i;

	for (i = 0; i < 4; i++) {
		emit(o, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"14\" "
			"height=\"14\"/><text x=\"%d\" y=\"%d\">%s (%llu)"
			"</text>\n",
		     report_outcome_class((enum report_outcome)i), x, y - 11,
		     x + 19, y, label[i], r->outcomes[i]);
		x += 170;
	}
}

/* One job's bar, with its hover text. */
static void emit_bar(struct out *o, const struct report *r,
		     const struct rjob *k, double scale, int lane_h)
{
	const struct rgroup *g = &r->groups[k->group];
	double x = PIC_LEFT + (double)(k->start_ms - r->t0) * scale;
	double w = (double)k->runtime_ms * scale;
	int y = PIC_TOP + (int)k->lane * lane_h + (lane_h > 6 ? 2 : 0);

	emit(o, "<rect class=\"job %s\" x=\"%.2f\" y=\"%d\" width=\"%.2f\" "
		"height=\"%d\"><title>",
	     report_outcome_class(k->outcome), x, y,
	     w < 1 ? 1.0 : w < 3 ? w : w - 1, /* a gap before the next */
	     lane_h > 6 ? lane_h - 3 : lane_h > 1 ? lane_h - 1 : 1);
	emit(o, "#%llu  ", k->seq);
	emit_group_name(o, g);
	emit(o, "\nexit %d", k->exitval);
	if (k->signal != 0)
		emit(o, ", signal %d", k->signal);
	emit(o, ", %s, ", report_outcome_class(k->outcome));
	emit_secs(o, k->runtime_ms);
	emit(o, " s from +");
	emit_secs(o, k->start_ms - r->t0);
	emit(o, " s\n");
	emit_text(o, k->command);
	emit(o, "</title></rect>\n");
}

/* The lane labels and separators of each group. */
static void emit_groups(struct out *o, const struct report *r, int lane_h,
			int plot_right)
{
	size_t i;

	for (i = 0; i < r->ngroups; i++) {
		const struct rgroup *g = &r->groups[i];
		int y = PIC_TOP + (int)g->first_lane * lane_h;

		if (g->lanes == 0)
			continue;
		emit(o, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
			"y2=\"%d\"/>\n<text class=\"lane\" x=\"%d\" y=\"%d\" "
			"text-anchor=\"end\">",
		     PIC_LEFT - 160, y, plot_right, y, PIC_LEFT - 8,
		     y + (lane_h < 14 ? 12 : lane_h / 2 + 5));
		emit_group_name(o, g);
		emit(o, " (%zu)</text>\n", g->lanes);
	}
}

/* The time axis under the lanes: ticks and grid lines. */
static void emit_axis(struct out *o, const struct report *r, double scale,
		      int y0, int y1)
{
	uint64_t span = r->t1 - r->t0, step = tick_step(span ? span : 1), t;

	for (t = 0; t <= span; t += step) {
		double x = PIC_LEFT + (double)t * scale;

		emit(o, "<line class=\"grid\" x1=\"%.2f\" y1=\"%d\" "
			"x2=\"%.2f\" y2=\"%d\"/>\n<text x=\"%.2f\" y=\"%d\" "
			"text-anchor=\"middle\">",
		     x, y0, x, y1, x, y1 + 16);
		emit_tick_label(o, t, step);
		emit(o, "</text>\n");
	}
	emit(o, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
		"y2=\"%d\"/>\n",
	     PIC_LEFT, y1, PIC_WIDTH - PIC_RIGHT, y1);
	emit(o, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">seconds from the "
		"first start</text>\n",
	     PIC_WIDTH - PIC_RIGHT, y1 + 34);
}

/* The summary line under the title. */
static void emit_summary(struct out *o, const struct report *r,
			 size_t unstarted)
{
	emit(o, "<text x=\"%d\" y=\"46\">%llu jobs in ", PIC_LEFT - 160,
	     r->total);
	emit_secs(o, r->first_ms != 0 ? r->last_ms - r->first_ms : 0);
	emit(o, " s on %zu lanes", r->nlanes);
	if (r->dropped > 0)
		emit(o, "; only the first %zu jobs to end are drawn, %llu more "
			"are counted", r->n, r->dropped);
	if (unstarted > 0)
		emit(o, "; %zu never started", unstarted);
	emit(o, "</text>\n");
}

/* The height of a lane when there are n: they share PIC_PLOT_HEIGHT,
 * within LANE_MIN and LANE_MAX. */
static int lane_height(size_t n)
{
	size_t h = n > 0 ? PIC_PLOT_HEIGHT / n : LANE_MAX;

	return h > LANE_MAX ? LANE_MAX : h < LANE_MIN ? LANE_MIN : (int)h;
}

/* The SVG picture (with the XML declaration if standalone). */
static void emit_svg(struct out *o, const struct report *r, int standalone)
{
	size_t i, unstarted = 0;
	int lane_h, plot_right = PIC_WIDTH - PIC_RIGHT, height, y1;
	double scale;

	lane_h = lane_height(r->nlanes);
	y1 = PIC_TOP + (int)r->nlanes * lane_h + 4;
	height = y1 + 46;
	scale = (double)(plot_right - PIC_LEFT) /
		(double)(r->t1 > r->t0 ? r->t1 - r->t0 : 1);
	if (standalone)
		emit(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	emit(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" "
		"font-family=\"sans-serif\" font-size=\"12\">\n%s"
		"<rect x=\"0\" y=\"0\" width=\"%d\" "
		"height=\"%d\" fill=\"#fff\"/>\n",
	     PIC_WIDTH, height, PIC_WIDTH, height, svg_style, PIC_WIDTH,
	     height);
	emit(o, "<text x=\"%d\" y=\"24\" font-size=\"16\" "
		"font-weight=\"bold\">", PIC_LEFT - 160);
	emit_text(o, r->title);
	emit(o, "</text>\n");
	for (i = 0; i < r->n; i++)
		unstarted += r->jobs[i].start_ms == 0;
	emit_summary(o, r, unstarted);
	emit_legend(o, r, 70);
	emit_axis(o, r, scale, PIC_TOP, y1);
	emit_groups(o, r, lane_h, plot_right);
	for (i = 0; i < r->n; i++)
		if (r->jobs[i].start_ms != 0)
			emit_bar(o, r, &r->jobs[i], scale, lane_h);
	emit(o, "</svg>\n");
}

static const char html_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>"
	"\n<style>\n"
	"body{font:14px sans-serif;margin:16px;color:#222}\n"
	"svg{max-width:100%;height:auto}\n"
	"table{border-collapse:collapse;margin:6px 0 24px}\n"
	"th,td{border:1px solid #ccc;padding:2px 8px;text-align:left;"
	"vertical-align:top}\n"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
	"td.cmd{font-family:monospace;white-space:pre-wrap;"
	"overflow-wrap:anywhere;max-width:60em}\n"
	"td.ok{color:#1e7a1e} td.failed{color:#d62728}\n"
	"td.timeout{color:#c76a00} td.killed{color:#8e44ad}\n"
	"</style>\n<title>";

/* A table row for a job. */
static void emit_row(struct out *o, const struct report *r,
		     const struct rjob *k)
{
	emit(o, "<tr><td class=\"n\">%llu</td><td>", k->seq);
	emit_group_name(o, &r->groups[k->group]);
	emit(o, "</td><td class=\"n\">");
	if (k->start_ms != 0)
		emit_secs(o, k->start_ms - r->t0);
	else
		emit(o, "not started");
	emit(o, "</td><td class=\"n\">");
	emit_secs(o, k->runtime_ms);
	emit(o, "</td><td class=\"n\">%d</td><td class=\"n\">%d</td>"
		"<td class=\"%s\">%s</td><td class=\"cmd\">",
	     k->exitval, k->signal, report_outcome_class(k->outcome),
	     report_outcome_class(k->outcome));
	emit_text(o, k->command);
	emit(o, "</td></tr>\n");
}

static const char table_head[] =
	"<table>\n<tr><th>Seq</th><th>Lane group</th><th>Start (s)</th>"
	"<th>Runtime (s)</th><th>Exit</th><th>Signal</th><th>Outcome</th>"
	"<th>Command</th></tr>\n";

/* The slowest jobs kept, slowest first. */
static void emit_slowest(struct out *o, const struct report *r)
{
	const struct rjob *top[REPORT_SLOWEST];
	size_t i, n = 0, k;

	for (i = 0; i < r->n; i++) {
		const struct rjob *j = &r->jobs[i];

		for (k = n; k > 0 && top[k - 1]->runtime_ms < j->runtime_ms;
		     k--)
			if (k < REPORT_SLOWEST)
				top[k] = top[k - 1];
		if (k < REPORT_SLOWEST)
			top[k] = j;
		if (n < REPORT_SLOWEST)
			n++;
	}
	emit(o, "<h2>The %zu slowest jobs</h2>\n%s", n, table_head);
	for (i = 0; i < n; i++)
		emit_row(o, r, top[i]);
	emit(o, "</table>\n");
}

/* Every failed job kept, in the order they ended. */
static void emit_failed(struct out *o, const struct report *r)
{
	unsigned long long failed = r->total - r->outcomes[REPORT_OK];
	size_t i;

	emit(o, "<h2>Failed jobs (%llu)</h2>\n", failed);
	if (failed == 0) {
		emit(o, "<p>None.</p>\n");
		return;
	}
	emit(o, "%s", table_head);
	for (i = 0; i < r->n; i++)
		if (r->jobs[i].outcome != REPORT_OK)
			emit_row(o, r, &r->jobs[i]);
	emit(o, "</table>\n");
	if (r->dropped > 0)
		emit(o, "<p>Only the first %zu jobs to end are listed.</p>\n",
		     r->n);
}

int report_write(struct report *r, enum report_format fmt, FILE *f)
{
	struct out o = {.f = f, .b = BUF_INIT};

	if (report_layout(r) == -1)
		return -1;
	if (fmt == REPORT_HTML) {
		emit(&o, "%s", html_head);
		emit_text(&o, r->title);
		emit(&o, "</title>\n</head>\n<body>\n");
	}
	emit_svg(&o, r, fmt == REPORT_SVG);
	if (fmt == REPORT_HTML) {
		emit_slowest(&o, r);
		emit_failed(&o, r);
		emit(&o, "</body>\n</html>\n");
	}
	buf_free(&o.b);
	if (o.err == 0 && fflush(f) == EOF)
		o.err = errno;
	if (o.err != 0) {
		errno = o.err;
		return -1;
	}
	return 0;
}
