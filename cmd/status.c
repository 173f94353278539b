/* status: the status lines at the bottom of the terminal (or printed). */
#include "status.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "buf.h"
#include "loop.h"

/* Terminal sequences. Erase from the start of the cursor's line to the end
 * of the screen: the line itself, then, the cursor kept, the ones below it
 * (not in one "erase below" from the start of the line: at the top left
 * corner, some terminals, tmux among them, keep what it erases in the
 * scrollback). The cursor up n lines. */
#define ERASE "\r\033[K\0337\033[B\033[J\0338"
#define UP "\033[%zuA"

struct status {
	int fd;
	int live;
	unsigned cols, rows; /* the terminal's size */
	struct buf lines;    /* the lines, each ended by a NUL */
	size_t n;
	size_t shown;        /* lines on the screen (live), 0: none */
	int drawn;           /* the lines shown are the current ones */
	int mid_line;        /* output left a line unfinished */
	uint64_t drawn_ms;   /* when they were last drawn */
};

/* Write all of b to the descriptor (a blocked terminal: wait). */
static void put(struct status *st, const struct buf *b)
{
	struct pollfd pfd = {.fd = st->fd, .events = POLLOUT};
	size_t at = 0;
	ssize_t w;

	while (at < b->len) {
		w = write(st->fd, b->data + at, b->len - at);
		if (w > 0)
			at += (size_t)w;
		else if (w == -1 && errno == EAGAIN)
			poll(&pfd, 1, STATUS_MIN_MS);
		else if (w == -1 && errno != EINTR)
			return;
	}
}

void status_resized(struct status *st)
{
	struct winsize ws;

	st->drawn_ms = 0; /* draw anew at once */
	st->cols = 80;
	st->rows = 24;
	if (ioctl(st->fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
		st->cols = ws.ws_col;
		st->rows = ws.ws_row > 0 ? ws.ws_row : st->rows;
	}
	st->drawn = 0;
}

struct status *status_new(int fd, int live_ok)
{
	struct status *st = calloc(1, sizeof(*st));
	const char *term = getenv("TERM");

	if (st == NULL)
		return NULL;
	st->fd = fd;
	st->live = live_ok && isatty(fd) &&
		   (term == NULL || strcmp(term, "dumb") != 0);
	status_resized(st);
	return st;
}

void status_free(struct status *st)
{
	if (st == NULL)
		return;
	status_hide(st);
	buf_free(&st->lines);
	free(st);
}

int status_live(const struct status *st)
{
	return st->live;
}

unsigned status_width(const struct status *st)
{
	return st->live ? (st->cols > 1 ? st->cols - 1 : 1) : 0;
}

/* Keep a copy of the lines; drawn stays set if they are the same. */
static int keep(struct status *st, const char *const *lines, size_t n)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		if (buf_append(&b, lines[i], strlen(lines[i]) + 1) == -1) {
			buf_free(&b);
			return -1;
		}
	if (n != st->n || b.len != st->lines.len ||
	    (b.len > 0 && memcmp(b.data, st->lines.data, b.len) != 0))
		st->drawn = 0;
	buf_free(&st->lines);
	st->lines = b;
	st->n = n;
	return 0;
}

/* How many lines the screen shows at most: its rows but one. */
static size_t most_lines(const struct status *st)
{
	return st->live && st->rows > 1 ? st->rows - 1 : (size_t)-1;
}

/* The lines as they go on the screen: all, or the first ones and the
 * last when the screen has fewer rows (but one). Each one after prefix;
 * a newline between them; after the last, end. */
static void add_lines(const struct status *st, struct buf *b,
		      const char *prefix, const char *end)
{
	size_t most = most_lines(st);
	const char *s = st->lines.data;
	size_t i;

	for (i = 0; i < st->n; i++, s += strlen(s) + 1) {
		if (st->n > most && i + 1 >= most && i + 1 < st->n)
			continue; /* (the last one is the total) */
		buf_printf(b, "%s%s%s", prefix, s, i + 1 < st->n ? "\n" : end);
	}
}

/* The number of lines add_lines() puts on the screen. */
static size_t lines_shown(const struct status *st)
{
	size_t most = most_lines(st);

	return st->n > most ? most : st->n;
}

/* Was the last draw too recent for another? (A timer of STATUS_MIN_MS
 * may fire a little early of the draw before it.) */
static int too_soon(const struct status *st)
{
	return st->drawn_ms > 0 &&
	       loop_now_ms() - st->drawn_ms < STATUS_MIN_MS * 9 / 10;
}

/* Live: draw the current lines in place of those shown, the cursor back
 * at the start of the first one. */
static void redraw(struct status *st)
{
	struct buf b = BUF_INIT;
	size_t n = lines_shown(st);

	if (st->mid_line || st->n == 0)
		return;
	buf_append_str(&b, ERASE);
	add_lines(st, &b, "", "\r");
	if (n > 1)
		buf_printf(&b, UP, n - 1);
	put(st, &b);
	buf_free(&b);
	st->shown = n;
	st->drawn = 1;
	st->drawn_ms = loop_now_ms();
}

/* Not live: print the lines. */
static void print(struct status *st)
{
	struct buf b = BUF_INIT;

	add_lines(st, &b, "mprun: ", "\n");
	put(st, &b);
	buf_free(&b);
}

int status_draw(struct status *st, const char *const *lines, size_t n)
{
	if (keep(st, lines, n) == -1)
		return -1;
	if (!st->live)
		print(st);
	else if ((!st->drawn || st->shown == 0) && !too_soon(st))
		redraw(st);
	return 0;
}

void status_end(struct status *st, const char *const *lines, size_t n)
{
	struct buf b = BUF_INIT;

	if (keep(st, lines, n) == -1)
		return;
	if (!st->live) {
		print(st);
		return;
	}
	buf_append_str(&b, st->shown > 0 ? ERASE : st->mid_line ? "\n" : "");
	add_lines(st, &b, "", "\n");
	put(st, &b);
	buf_free(&b);
	st->shown = 0;
	st->mid_line = 0;
}

void status_hide(struct status *st)
{
	struct buf b = BUF_INIT;

	if (!st->live || st->shown == 0)
		return;
	buf_append_str(&b, ERASE);
	put(st, &b);
	buf_free(&b);
	st->shown = 0;
	st->drawn = 0;
}

void status_wrote(struct status *st, const void *p, size_t n)
{
	if (!st->live || n == 0)
		return;
	st->mid_line = ((const char *)p)[n - 1] != '\n';
	if (st->shown == 0 && !too_soon(st))
		redraw(st);
}
