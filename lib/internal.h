/* internal.h: small helpers shared by lib/ modules (not part of any API). */
#ifndef MPRUN_INTERNAL_H
#define MPRUN_INTERNAL_H
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A job or a callback that finds no descriptor free (a callback: nor a
 * process), while others hold them, is started again this often, this
 * many times (10 s), before it fails. */
#define FD_RETRY_MS 50
#define FD_RETRY_TRIES 200

/* close() that keeps errno, for cleanup paths. */
static inline void close_keep_errno(int fd)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
}

/* Format a message (printf-style) and hand it to fn(data, msg), if fn. */
__attribute__((format(printf, 3, 4))) static inline void
report_msg(void (*fn)(void *, const char *), void *data,
	   const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (fn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fn(data, msg);
}

/* Write a message (printf-style) into a caller's error buffer err of
 * errlen bytes (none when errlen is 0); errno is set to e. */
__attribute__((format(printf, 4, 5))) static inline void
errbuf_printf(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	errno = e;
}

/* A failure that left no message in the error buffer: errno's. */
static inline void errbuf_errno(char *err, size_t errlen)
{
	if (errlen > 0 && err[0] == '\0')
		snprintf(err, errlen, "%s", strerror(errno));
}

/* Microseconds on the monotonic clock. */
static inline uint64_t clock_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Milliseconds on the monotonic clock. */
static inline uint64_t clock_now_ms(void)
{
	return clock_now_us() / 1000;
}

/* Milliseconds since the epoch (the wall clock). */
static inline uint64_t clock_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The value of name in envp ("NAME=value" entries), or NULL. */
static inline const char *env_lookup(char *const *envp, const char *name)
{
	size_t len = strlen(name);

	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			return *envp + len + 1;
	return NULL;
}

/* Free a NULL-terminated array of strings and the strings. */
static inline void strv_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Split s at blanks into a NULL-terminated array of copies (no quoting);
 * *n gets its length. NULL/ENOMEM. */
static inline char **strv_split_blanks(const char *s, size_t *n)
{
	char **v = calloc(strlen(s) / 2 + 2, sizeof(char *));
	size_t k = 0, len;

	if (v == NULL)
		return NULL;
	for (;;) {
		s += strspn(s, " \t\n");
		if (*s == '\0')
			break;
		len = strcspn(s, " \t\n");
		v[k] = strndup(s, len);
		if (v[k++] == NULL) {
			strv_free(v);
			return NULL;
		}
		s += len;
	}
	*n = k;
	return v;
}

/* A NULL-terminated argv of borrowed strings, growing as words are
 * added (free(w.v) when done). */
struct words {
	const char **v;
	size_t n, cap;
};

/* Append one borrowed word. 0 or -1/ENOMEM. */
static inline int words_add(struct words *w, const char *word)
{
	const char **v;
	size_t cap;

	if (w->n + 2 > w->cap) {
		cap = w->cap ? w->cap * 2 : 16;
		v = realloc(w->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		w->v = v;
		w->cap = cap;
	}
	w->v[w->n++] = word;
	w->v[w->n] = NULL;
	return 0;
}

/* Append every word of a NULL-terminated array. 0 or -1/ENOMEM. */
static inline int words_add_all(struct words *w, char *const *words)
{
	for (; words != NULL && *words != NULL; words++)
		if (words_add(w, *words) == -1)
			return -1;
	return 0;
}

#endif
