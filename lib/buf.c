/* buf: a growable byte buffer. */
#include "buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The capacity for extra more bytes: doubled from 64 until they fit. */
size_t buf_reserved_cap(const struct buf *b, size_t extra)
{
	size_t need, cap;

	if (extra > (size_t)-1 - b->len - 1)
		return (size_t)-1;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return b->cap;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > (size_t)-1 / 2 ? need : cap * 2;
	return cap;
}

/* Make room for extra more bytes plus the terminating NUL. */
int buf_reserve(struct buf *b, size_t extra)
{
	size_t cap = buf_reserved_cap(b, extra);
	char *p;

	if (cap == (size_t)-1) {
		errno = ENOMEM;
		return -1;
	}
	if (cap == b->cap)
		return 0;
	p = realloc(b->data, cap);
	if (p == NULL)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_append_char(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
	} else {
		memmove(b->data, b->data + n, b->len - n);
		b->len -= n;
	}
	if (b->data != NULL)
		b->data[b->len] = '\0';
}

void buf_shrink(struct buf *b, size_t spare)
{
	char *p;

	/* (only when most of it is free: a buffer that grows as a record
	 * comes in is at least half full, and is left alone) */
	if (b->data == NULL || b->len + 1 + spare >= b->cap / 4)
		return;
	p = realloc(b->data, b->len + 1 + spare);
	if (p == NULL)
		return; /* kept as it was */
	b->data = p;
	b->cap = b->len + 1 + spare;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

char *buf_steal(struct buf *b)
{
	char *p = b->data;

	if (p == NULL)
		p = calloc(1, 1);
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
