/* buf: a growable byte buffer, always NUL-terminated after len bytes.
 * The buffer owns its memory; buf_free() releases it. Functions that can
 * allocate return 0 on success, -1 with errno = ENOMEM on failure and leave
 * the buffer as it was. */
#ifndef MPRUN_BUF_H
#define MPRUN_BUF_H
#include <stddef.h>

struct buf {
	char *data; /* NULL until the first append */
	size_t len;
	size_t cap;
};

#define BUF_INIT {NULL, 0, 0}

int buf_reserve(struct buf *b, size_t extra);
/* The capacity buf_reserve(b, extra) would leave b with ((size_t)-1: too
 * big), to count memory before taking it. */
size_t buf_reserved_cap(const struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_append_str(struct buf *b, const char *s);
int buf_append_char(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Drop the first n bytes (n <= len). */
void buf_consume(struct buf *b, size_t n);
/* Give back the room beyond len + spare when less than a quarter of it is
 * in use (after a long record was taken). */
void buf_shrink(struct buf *b, size_t spare);
void buf_reset(struct buf *b);
/* Hand the data to the caller (NUL-terminated, never NULL) and reset b. */
char *buf_steal(struct buf *b);
void buf_free(struct buf *b);

#endif
