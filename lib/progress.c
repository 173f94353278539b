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

/* The bar and percentage, when the total is known. */
static void add_bar(char *out, size_t len, size_t *at,
		    const struct progress_counts *c)
{
	unsigned long long pct = 0;
	char bar[BAR_WIDTH + 1];
	uint64_t done, total;
	int known = measure(c, &done, &total);
	size_t fill;

	if (known && total > 0)
		pct = (unsigned long long)(done >= total ? 100
						: (double)done * 100.0 /
							  (double)total);
	if (pct > 100)
		pct = 100;
	fill = (size_t)(pct * BAR_WIDTH / 100);
	memset(bar, '#', fill);
	memset(bar + fill, '-', BAR_WIDTH - fill);
	bar[BAR_WIDTH] = '\0';
	if (known)
		add(out, len, at, "[%s] %3llu%% ", bar, pct);
	else
		add(out, len, at, "[%s]   ?%% ", bar);
}

/* The estimated time left, as H:MM:SS or M:SS. */
static void add_eta(char *out, size_t len, size_t *at,
		    const struct progress_counts *c)
{
	uint64_t done, total;
	unsigned long long s;

	if (!measure(c, &done, &total) || done == 0 || total < done) {
		add(out, len, at, ", ETA ?");
		return;
	}
	s = (unsigned long long)((double)c->elapsed_ms *
				 (double)(total - done) / (double)done / 1000);
	if (s >= 3600)
		add(out, len, at, ", ETA %llu:%02llu:%02llu", s / 3600,
		    s / 60 % 60, s % 60);
	else
		add(out, len, at, ", ETA %llu:%02llu", s / 60, s % 60);
}

/* A number of bytes, short: "512B", "1.5K", "200.0M". */
static void add_size(char *out, size_t len, size_t *at, uint64_t n)
{
	static const char units[] = "KMGTPE";
	double v = (double)n;
	size_t u = 0;

	if (n < 1024) {
		add(out, len, at, "%lluB", (unsigned long long)n);
		return;
	}
	for (v /= 1024; v >= 1024 && u + 1 < sizeof(units) - 1; v /= 1024)
		u++;
	add(out, len, at, "%.1f%c", v, units[u]);
}

/* Pipe mode: ", 50.0M of 200.0M, 25.0M/s". */
static void add_bytes(char *out, size_t len, size_t *at,
		      const struct progress_counts *c)
{
	add(out, len, at, ", ");
	add_size(out, len, at, c->bytes_done);
	add(out, len, at, " of ");
	if (c->bytes_total_known)
		add_size(out, len, at, c->bytes_total);
	else
		add(out, len, at, "?");
	add(out, len, at, ", ");
	add_size(out, len, at,
		 c->elapsed_ms > 0 ? (uint64_t)((double)c->bytes_done * 1000.0 /
						(double)c->elapsed_ms)
				   : 0);
	add(out, len, at, "/s");
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
	if (c->bytes)
		add_bytes(out, len, &at, c);
	if (flags & (PROGRESS_ETA | PROGRESS_BAR))
		add_eta(out, len, &at, c);
	if (width > 0 && at > width) {
		at = width;
		out[at] = '\0';
	}
	return at;
}
