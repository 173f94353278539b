/* status: the status lines of --bar, --progress and --eta on stderr.
 *
 * On a terminal (live) the lines own the bottom of the screen: they are
 * drawn below all output and redrawn in place. Before job output or a
 * message reaches the terminal they are erased (status_hide), the output
 * is written, and then (status_wrote) they are drawn again below it, at
 * most one redraw every STATUS_MIN_MS: the timer of the run draws what
 * is left. They are never drawn in the middle of a line: while output has
 * left a line unfinished (no newline yet) they wait for its end. The
 * cursor rests at the start of the first status line, so that erasing is
 * a carriage return and "erase below", whatever the terminal made of the
 * lines when a resize rewrapped them. Lines are the caller's, fitted to
 * status_width(); there are at most as many as the screen has rows but
 * one (the first ones and the last kept).
 *
 * Elsewhere (not a terminal, or TERM=dumb), nothing is erased nor drawn
 * in place: each draw prints its lines as "mprun: LINE".
 *
 * The module writes to its descriptor itself; it owns its copy of the
 * lines. */
#ifndef MPRUN_CMD_STATUS_H
#define MPRUN_CMD_STATUS_H
#include <stddef.h>

#define STATUS_MIN_MS 100

struct status;

/* A display on fd (stderr): live if fd is a terminal that takes escape
 * codes and live_ok. NULL/errno. */
struct status *status_new(int fd, int live_ok);
void status_free(struct status *st);
/* Drawn in place on a terminal? */
int status_live(const struct status *st);
/* The columns a line may take (live: the terminal's width but one; else
 * 0: any). */
unsigned status_width(const struct status *st);
/* The terminal's size changed: read it again (then draw anew). */
void status_resized(struct status *st);

/* Draw the n lines (copied): live, in place of the ones shown; else
 * printed. -1/errno if they could not be kept (ENOMEM). */
int status_draw(struct status *st, const char *const *lines, size_t n);
/* The last lines: live, drawn for good with the cursor below them (on a
 * line of its own if output left one unfinished); else printed. */
void status_end(struct status *st, const char *const *lines, size_t n);

/* Output is about to reach the terminal: erase the lines shown. */
void status_hide(struct status *st);
/* The n bytes at p reached the terminal: draw the lines again below
 * them, unless they left a line unfinished or the last draw is too
 * recent. */
void status_wrote(struct status *st, const void *p, size_t n);

#endif
