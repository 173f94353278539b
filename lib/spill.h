/* spill: one "memory, then a temporary file" store shared by many captures
 * (all the output streams of a pool).
 *
 * The store has a memory budget that its users take from and give back to
 * (spill_mem_take, spill_mem_give): it only counts, the memory is the
 * users'. Past the budget, users append their bytes to runs: a run is one
 * user's bytes in the store's single temporary file, a list of extents
 * (offset, length) read back in order. All runs share the one file, opened
 * on the first append (unlinked, close-on-exec, mode 0600, in the
 * directory given or $TMPDIR or /tmp), so the descriptors used do not grow
 * with the number of runs. Appends go at the end of the file; extents
 * that are read or freed are given back to the file system (holes are
 * punched), and when no byte is live the file is truncated to nothing and
 * filled again from its start.
 *
 * The store owns its file; a run belongs to whoever made it and must be
 * freed (spill_run_free) before the store (spill_free). */
#ifndef MPRUN_SPILL_H
#define MPRUN_SPILL_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The memory budget when none is given. */
#define SPILL_MEM_DEFAULT ((size_t)64 << 20)

struct spill;
struct spill_run;

/* A store with mem_budget bytes of memory (0: SPILL_MEM_DEFAULT) and its
 * file in tmpdir (NULL: $TMPDIR, then /tmp; copied). NULL/ENOMEM. */
struct spill *spill_new(size_t mem_budget, const char *tmpdir);
void spill_free(struct spill *s);

/* Take n bytes of the budget: 1 if they fit (they are now counted as
 * used), 0 if they do not (nothing is counted). */
int spill_mem_take(struct spill *s, size_t n);
/* Give back n bytes taken before. */
void spill_mem_give(struct spill *s, size_t n);
size_t spill_mem_used(const struct spill *s);

/* The directory of the file (for messages). */
const char *spill_dir(const struct spill *s);
/* Bytes of the file held by runs; the file's size; the bytes the file
 * takes on disk (0 before the first append). */
uint64_t spill_live(const struct spill *s);
uint64_t spill_size(const struct spill *s);
uint64_t spill_disk_usage(const struct spill *s);

/* A new, empty run in s. NULL/ENOMEM. */
struct spill_run *spill_run_new(struct spill *s);
/* Release what is left of the run's bytes and free it. */
void spill_run_free(struct spill_run *r);
/* Append n bytes at the end of the run. 0, or -1/errno (the file could
 * not be opened or written: ENOSPC...; then nothing of p is kept). */
int spill_run_append(struct spill_run *r, const void *p, size_t n);
/* Read up to n of the run's bytes from its front; what is read leaves
 * the run. The count read (0: the run is empty), or -1/errno. */
ssize_t spill_run_read(struct spill_run *r, void *buf, size_t n);
/* Bytes in the run (appended and not read yet). */
uint64_t spill_run_bytes(const struct spill_run *r);

#endif
