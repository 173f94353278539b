/* progress: format the --bar / --progress / --eta status line, fitted to
 * a width field by field. */
#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define BAR_WIDTH 20
#define BAR_SHORT 10

/* The fields of a line, in the order they are shown. */
enum field {
	F_LABEL,
	F_BAR,
	F_PCT,
	F_DONE,
	F_RUNNING,
	F_FAILED,
	F_ENDED,
	F_TOTAL,
	F_NOT_STARTED,
	F_RATE,
	F_BYTES,
	F_BYTE_RATE,
	F_ETA,
	F_EXTRA,
	NFIELDS
};

/* A line being made: each field's text, or NULL when it is not shown. */
struct line {
	const char *text[NFIELDS];
	char own[NFIELDS][64];
	unsigned pct;  /* for the bar */
	int pct_known;
};

/* How a line too wide is made narrower, one step at a time: a field left
 * out, or (shorten) drawn smaller. */
static const struct step {
	enum field f;
	int shorten;
} steps[] = {
	{F_EXTRA, 0}, {F_BYTE_RATE, 0}, {F_RATE, 0},   {F_BAR, 1},
	{F_RUNNING, 0}, {F_BAR, 0},   {F_BYTES, 0},     {F_TOTAL, 0},
	{F_FAILED, 0},  {F_ETA, 0},   {F_NOT_STARTED, 0}, {F_ENDED, 0},
	{F_PCT, 0},     {F_LABEL, 0}, {F_DONE, 0},
};

/* Set field f to formatted text. */
static void set(struct line *l, enum field f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set(struct line *l, enum field f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->own[f], sizeof(l->own[f]), fmt, ap);
	va_end(ap);
	l->text[f] = l->own[f];
}

size_t progress_columns(const char *s, size_t n)
{
	size_t cols = 0, i;

	for (i = 0; i < n; i++)
		cols += ((unsigned char)s[i] & 0xC0) != 0x80;
	return cols;
}

/* What the percentage and the ETA measure: bytes once their total is
 * known (pipe mode), else jobs. 1 if the total is known. */
static int measure(const struct progress_counts *c, uint64_t *done,
		   uint64_t *total)
{
	if (c->bytes && c->bytes_total_known) {
		*done = c->bytes_done;
		*total = c->bytes_total;
		return 1;
	}
	*done = c->done;
	*total = c->total;
	return c->total_known;
}

/* The bar, cells wide, and the percentage (padded while the bar is
 * shown, so that the counts stay in place). */
static void set_bar(struct line *l, size_t cells)
{
	char bar[BAR_WIDTH + 1];
	size_t fill = l->pct * cells / 100;

	memset(bar, '#', fill);
	memset(bar + fill, '-', cells - fill);
	bar[cells] = '\0';
	set(l, F_BAR, "[%s]", bar);
}

/* The percentage done, when the total is known. */
static void set_pct(struct line *l, const struct progress_counts *c)
{
	uint64_t done, total;
	unsigned long long pct = 0;

	l->pct_known = measure(c, &done, &total);
	if (l->pct_known && total > 0)
		pct = (unsigned long long)(done >= total ? 100
						: (double)done * 100.0 /
							  (double)total);
	l->pct = pct > 100 ? 100 : (unsigned)pct;
}

/* The estimated time left, as H:MM:SS or M:SS. */
static void set_eta(struct line *l, const struct progress_counts *c)
{
	uint64_t done, total;
	unsigned long long s;

	if (!measure(c, &done, &total) || done == 0 || total < done) {
		set(l, F_ETA, "ETA ?");
		return;
	}
	s = (unsigned long long)((double)c->elapsed_ms *
				 (double)(total - done) / (double)done / 1000);
	if (s >= 3600)
		set(l, F_ETA, "ETA %llu:%02llu:%02llu", s / 3600, s / 60 % 60,
		    s % 60);
	else
		set(l, F_ETA, "ETA %llu:%02llu", s / 60, s % 60);
}

/* A number of bytes, short: "512B", "1.5K", "200.0M". */
static void size_text(char *out, size_t len, uint64_t n)
{
	static const char units[] = "KMGTPE";
	double v = (double)n;
	size_t u = 0;

	if (n < 1024) {
		snprintf(out, len, "%lluB", (unsigned long long)n);
		return;
	}
	for (v /= 1024; v >= 1024 && u + 1 < sizeof(units) - 1; v /= 1024)
		u++;
	snprintf(out, len, "%.1f%c", v, units[u]);
}

/* Pipe mode: "50.0M of 200.0M" and "25.0M/s". */
static void set_bytes(struct line *l, const struct progress_counts *c)
{
	char done[16], total[16] = "?", rate[16];

	size_text(done, sizeof(done), c->bytes_done);
	if (c->bytes_total_known)
		size_text(total, sizeof(total), c->bytes_total);
	size_text(rate, sizeof(rate),
		  c->elapsed_ms > 0 ? (uint64_t)((double)c->bytes_done *
						 1000.0 / (double)c->elapsed_ms)
				    : 0);
	set(l, F_BYTES, "%s of %s", done, total);
	set(l, F_BYTE_RATE, "%s/s", rate);
}

/* The fields of a running (or finished) run. */
static void set_running(struct line *l, int flags,
			const struct progress_counts *c)
{
	double rate = c->elapsed_ms > 0
			      ? (double)c->done * 1000.0 / (double)c->elapsed_ms
			      : 0.0;

	if (flags & PROGRESS_BAR) {
		set_pct(l, c);
		set_bar(l, BAR_WIDTH);
		if (l->pct_known)
			set(l, F_PCT, "%3u%%", l->pct);
		else
			set(l, F_PCT, "  ?%%");
	}
	set(l, F_DONE, "%llu done", c->done);
	set(l, F_RUNNING, "%llu running", c->running);
	set(l, F_FAILED, "%llu failed", c->failed);
	if (c->total_known)
		set(l, F_TOTAL, "%llu total", c->total);
	else
		set(l, F_TOTAL, "? total");
	set(l, F_RATE, "%.1f/s", rate);
	if (c->bytes)
		set_bytes(l, c);
	if (flags & (PROGRESS_ETA | PROGRESS_BAR))
		set_eta(l, c);
}

/* The fields after Ctrl-C: what ended how, and what never started. */
static void set_interrupted(struct line *l, const struct progress_counts *c)
{
	unsigned long long seen = c->done + c->ended + c->running;

	set(l, F_DONE, "%llu done", c->done);
	if (c->running > 0)
		set(l, F_RUNNING, "%llu running", c->running);
	set(l, F_FAILED, "%llu failed", c->failed);
	set(l, F_ENDED, "%llu ended", c->ended);
	if (c->total_known)
		set(l, F_NOT_STARTED, "%llu not started",
		    c->total > seen ? c->total - seen : 0);
	else
		set(l, F_NOT_STARTED, "? not started");
}

/* Join the fields shown into out (at most len - 1 bytes); its length in
 * bytes, and in columns in *cols. After the label comes ": ", after the
 * bar and the percentage a space, between the others ", ". */
static size_t join(const struct line *l, char *out, size_t len,
		   size_t *cols)
{
	size_t at = 0, n, f;
	int prev = -1;

	*cols = 0;
	out[0] = '\0';
	for (f = 0; f < NFIELDS; f++) {
		const char *sep = prev == -1	     ? ""
				  : prev == F_LABEL ? ": "
				  : prev == F_BAR || prev == F_PCT ? " "
								 : ", ";
		const char *t = l->text[f];

		if (t == NULL)
			continue;
		if (prev != F_BAR && f == F_PCT && t[0] == ' ')
			t += strspn(t, " "); /* no bar: no padding */
		*cols += strlen(sep) + progress_columns(t, strlen(t));
		n = (size_t)snprintf(out + at, len - at, "%s%s", sep, t);
		at += n < len - at ? n : len - at - 1;
		prev = (int)f;
	}
	return at;
}

size_t progress_format(int flags, const struct progress_counts *c,
		       const char *label, const char *extra, unsigned width,
		       char *out, size_t len)
{
	struct line l;
	size_t at, cols, i;

	if (len == 0)
		return 0;
	memset(l.text, 0, sizeof(l.text));
	l.text[F_LABEL] = label;
	if (extra != NULL && *extra != '\0')
		l.text[F_EXTRA] = extra;
	if (c->interrupted)
		set_interrupted(&l, c);
	else
		set_running(&l, flags, c);
	at = join(&l, out, len, &cols);
	for (i = 0; width > 0 && cols > width && i < sizeof(steps) /
							sizeof(steps[0]);
	     i++) {
		if (l.text[steps[i].f] == NULL)
			continue;
		if (steps[i].shorten)
			set_bar(&l, BAR_SHORT);
		else
			l.text[steps[i].f] = NULL;
		at = join(&l, out, len, &cols);
	}
	return at;
}
