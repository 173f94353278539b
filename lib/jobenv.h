/* jobenv: the environment of the processes mprun starts (jobs, workers,
 * callbacks): ours without the variables mprun sets itself, plus the
 * caller's NAME=VALUE entries, made once; then, per process, that base with
 * a few entries more. Every string is borrowed (from environ and the
 * caller), never copied; the arrays belong to the jobenv. */
#ifndef MPRUN_JOBENV_H
#define MPRUN_JOBENV_H
#include <stddef.h>

/* Entries jobenv_with() may add at most. */
#define JOBENV_ADD_MAX 4

struct jobenv;

/* environ without the variables named in ours (NAME, NULL-terminated) and
 * without those extra sets, then extra ("NAME=VALUE", NULL-terminated, or
 * NULL; it must outlive the jobenv). NULL/ENOMEM. */
struct jobenv *jobenv_new(const char *const *ours, char *const *extra);
void jobenv_free(struct jobenv *e);
/* The base environment, NULL-terminated. */
char *const *jobenv_base(const struct jobenv *e);
/* Bytes the base takes in a new process (strings and pointers). */
size_t jobenv_bytes(const struct jobenv *e);
/* What a command line must leave of the kernel's limit (ARG_MAX) besides
 * the environment: mprun's variables of each job (MPRUN_SEQ...), the
 * program's path that execve copies too, and the pointers' slack. */
#define JOBENV_ARG_MARGIN (JOBENV_ADD_MAX * (64 + sizeof(char *)) + 1024)
/* The base plus the n (at most JOBENV_ADD_MAX) entries of add,
 * NULL-terminated; valid until the next call. */
char *const *jobenv_with(struct jobenv *e, char *const *add, size_t n);

#endif
