/* progress: format the --bar / --progress / --eta status line. */
#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define BAR_WIDTH 20

/* Append formatted text, never past len. */
static void add(char *out, size_t len, size_t *at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add(char *out, size_t len, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*at >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(out + *at, len - *at, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at += (size_t)n < len - *at ? (size_t)n : len - *at - 1;
}

/* The bar and percentage, when the total is known. */
static void add_bar(char *out, size_t len, size_t *at,
		    const struct progress_counts *c)
{
	unsigned long long pct = 0;
	char bar[BAR_WIDTH + 1];
	size_t fill;

	if (c->total_known && c->total > 0)
		pct = c->done * 100 / c->total;
	if (pct > 100)
		pct = 100;
	fill = (size_t)(pct * BAR_WIDTH / 100);
	memset(bar, '#', fill);
	memset(bar + fill, '-', BAR_WIDTH - fill);
	bar[BAR_WIDTH] = '\0';
	if (c->total_known)
		add(out, len, at, "[%s] %3llu%% ", bar, pct);
	else
		add(out, len, at, "[%s]   ?%% ", bar);
}

/* The estimated time left, as H:MM:SS or M:SS. */
static void add_eta(char *out, size_t len, size_t *at,
		    const struct progress_counts *c)
{
	unsigned long long left, s;

	if (!c->total_known || c->done == 0 || c->total < c->done) {
		add(out, len, at, ", ETA ?");
		return;
	}
	left = c->total - c->done;
	s = (unsigned long long)(c->elapsed_ms * left / c->done / 1000);
	if (s >= 3600)
		add(out, len, at, ", ETA %llu:%02llu:%02llu", s / 3600,
		    s / 60 % 60, s % 60);
	else
		add(out, len, at, ", ETA %llu:%02llu", s / 60, s % 60);
}

size_t progress_format(int flags, const struct progress_counts *c,
		       unsigned width, char *out, size_t len)
{
	double rate = c->elapsed_ms > 0
			      ? (double)c->done * 1000.0 / (double)c->elapsed_ms
			      : 0.0;
	size_t at = 0;

	if (len == 0)
		return 0;
	out[0] = '\0';
	if (flags & PROGRESS_BAR)
		add_bar(out, len, &at, c);
	add(out, len, &at, "%llu done, %llu running, %llu failed, ", c->done,
	    c->running, c->failed);
	if (c->total_known)
		add(out, len, &at, "%llu total", c->total);
	else
		add(out, len, &at, "? total");
	add(out, len, &at, ", %.1f/s", rate);
	if (flags & (PROGRESS_ETA | PROGRESS_BAR))
		add_eta(out, len, &at, c);
	if (width > 0 && at > width) {
		at = width;
		out[at] = '\0';
	}
	return at;
}
