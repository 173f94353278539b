/* jobenv: environ without our variables, plus a job's own. */
#include "jobenv.h"

#include <stdlib.h>
#include <string.h>

extern char **environ;

struct jobenv {
	char **base; /* the base, NULL-terminated */
	char **with; /* scratch, after base: the base and a job's entries */
	size_t n, bytes;
};

/* Is e ("NAME=VALUE") one of names (NAME, or NAME=VALUE)? */
static int jobenv_names(const char *e, const char *const *names)
{
	size_t len = strcspn(e, "=");

	for (; names != NULL && *names != NULL; names++)
		if (strncmp(*names, e, len) == 0 &&
		    ((*names)[len] == '\0' || (*names)[len] == '='))
			return 1;
	return 0;
}

/* Make the base once: environ minus ours and extra's names, then extra. */
struct jobenv *jobenv_new(const char *const *ours, char *const *extra)
{
	struct jobenv *e = calloc(1, sizeof(*e));
	size_t n = 0, i, k;

	while (environ[n] != NULL)
		n++;
	for (i = 0; extra != NULL && extra[i] != NULL; i++)
		n++;
	if (e != NULL)
		e->base = calloc(2 * n + JOBENV_ADD_MAX + 2, sizeof(char *));
	if (e == NULL || e->base == NULL) {
		free(e);
		return NULL;
	}
	for (i = 0; environ[i] != NULL; i++)
		if (!jobenv_names(environ[i], ours) &&
		    !jobenv_names(environ[i], (const char *const *)extra))
			e->base[e->n++] = environ[i];
	for (i = 0; extra != NULL && extra[i] != NULL; i++)
		e->base[e->n++] = extra[i];
	e->with = e->base + n + 1;
	for (k = 0; k < e->n; k++) {
		e->with[k] = e->base[k];
		e->bytes += strlen(e->base[k]) + 1 + sizeof(char *);
	}
	return e;
}

/* Free the arrays (the strings are borrowed). */
void jobenv_free(struct jobenv *e)
{
	if (e != NULL)
		free(e->base);
	free(e);
}

/* The base, for processes that add their own entries. */
char *const *jobenv_base(const struct jobenv *e)
{
	return e->base;
}

/* The base's size in a new process's argument space. */
size_t jobenv_bytes(const struct jobenv *e)
{
	return e->bytes;
}

/* The base and a job's entries, in the scratch array. */
char *const *jobenv_with(struct jobenv *e, char *const *add, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < JOBENV_ADD_MAX; i++)
		e->with[e->n + i] = add[i];
	e->with[e->n + i] = NULL;
	return e->with;
}
