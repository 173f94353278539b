/* spill: a memory budget and one shared temporary file for many captures. */
#include "spill.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hold.h"
#include "internal.h"

/* The unit of disk space that holes are punched in. */
#define BLOCK 4096
/* Appends that continue a run's last extent extend it up to this size:
 * larger extents would be given back late (an extent goes when it has
 * been read whole). */
#define EXTENT_MAX ((uint64_t)1 << 20)

struct extent {
	uint64_t off, len;
};

/* Live bytes of a block that is the first or the last block of some
 * extent (it may be shared). A block inside an extent belongs to that
 * extent alone, so it needs no count. */
struct block_count {
	uint64_t block;
	uint32_t live;
};

struct spill {
	size_t mem_budget, mem_used;
	char *dir;
	int fd;                /* -1 until the first append */
	uint64_t end;          /* where the next append goes */
	uint64_t live;         /* bytes held by runs */
	struct spill_run *last_run; /* the run that wrote at end, or NULL */
	struct block_count *blocks; /* sorted by block; live 0: unused */
	size_t nblocks, blocks_cap, blocks_dead;
};

struct spill_run {
	struct spill *s;
	struct extent *ext;
	size_t n, cap;
	size_t head;       /* the first extent not read whole */
	uint64_t head_off; /* bytes read of it */
	uint64_t bytes;    /* bytes not read yet */
};

struct spill *spill_new(size_t mem_budget, const char *tmpdir)
{
	struct spill *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->dir = strdup(hold_dir(tmpdir));
	if (s->dir == NULL) {
		free(s);
		return NULL;
	}
	s->mem_budget = mem_budget > 0 ? mem_budget : SPILL_MEM_DEFAULT;
	s->fd = -1;
	return s;
}

void spill_free(struct spill *s)
{
	if (s == NULL)
		return;
	close_keep_errno(s->fd);
	free(s->blocks);
	free(s->dir);
	free(s);
}

int spill_mem_take(struct spill *s, size_t n)
{
	if (n > s->mem_budget - s->mem_used)
		return 0;
	s->mem_used += n;
	return 1;
}

void spill_mem_give(struct spill *s, size_t n)
{
	s->mem_used -= n < s->mem_used ? n : s->mem_used;
}

size_t spill_mem_used(const struct spill *s)
{
	return s->mem_used;
}

const char *spill_dir(const struct spill *s)
{
	return s->dir;
}

uint64_t spill_live(const struct spill *s)
{
	return s->live;
}

uint64_t spill_size(const struct spill *s)
{
	struct stat st;

	if (s->fd == -1 || fstat(s->fd, &st) == -1)
		return 0;
	return (uint64_t)st.st_size;
}

uint64_t spill_disk_usage(const struct spill *s)
{
	struct stat st;

	if (s->fd == -1 || fstat(s->fd, &st) == -1)
		return 0;
	return (uint64_t)st.st_blocks * 512;
}

/* --- the file ------------------------------------------------------------ */

/* Open the unlinked file, in the directory, at the first append. */
static int file_open(struct spill *s)
{
	if (s->fd == -1)
		s->fd = hold_open(s->dir);
	return s->fd == -1 ? -1 : 0;
}

/* Write all of p at the end of the file; on failure the file is cut back
 * so that nothing of p stays. 0 or -1/errno. */
static int file_append(struct spill *s, const char *p, size_t n)
{
	uint64_t off = s->end;
	ssize_t w;
	int saved;

	while (n > 0) {
		w = pwrite(s->fd, p, n, (off_t)off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	s->end = off;
	return 0;
fail:
	saved = w == 0 ? EIO : errno;
	if (ftruncate(s->fd, (off_t)s->end) == -1) {
		/* nothing more to do: what is past end is not live */
	}
	errno = saved;
	return -1;
}

/* Give [off, off + len) back to the file system (where it can). */
static void file_punch(struct spill *s, uint64_t off, uint64_t len)
{
	if (len > 0)
		fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			  (off_t)off, (off_t)len);
}

/* No byte is live: empty the file and append from its start again. */
static void file_restart(struct spill *s)
{
	if (s->fd != -1 && ftruncate(s->fd, 0) == -1)
		return; /* keep appending at the end */
	s->end = 0;
	s->last_run = NULL;
	s->nblocks = s->blocks_dead = 0;
}

/* --- block counts -------------------------------------------------------- */

/* Room for n more block counts. */
static int blocks_reserve(struct spill *s, size_t n)
{
	struct block_count *nb;
	size_t cap = s->blocks_cap ? s->blocks_cap : 64;

	while (cap < s->nblocks + n)
		cap *= 2;
	if (cap == s->blocks_cap)
		return 0;
	nb = realloc(s->blocks, cap * sizeof(*nb));
	if (nb == NULL)
		return -1;
	s->blocks = nb;
	s->blocks_cap = cap;
	return 0;
}

/* Add n live bytes to block b, at or past the last counted block (room
 * was reserved). */
static void block_add(struct spill *s, uint64_t b, uint32_t n)
{
	struct block_count *last = s->nblocks > 0 ? &s->blocks[s->nblocks - 1]
						  : NULL;

	if (last != NULL && last->block == b) {
		if (last->live == 0)
			s->blocks_dead--;
		last->live += n;
		return;
	}
	s->blocks[s->nblocks++] = (struct block_count){b, n};
}

/* The count of block b (which is counted). */
static struct block_count *block_find(struct spill *s, uint64_t b)
{
	size_t lo = 0, hi = s->nblocks, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->blocks[mid].block < b)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nblocks && s->blocks[lo].block == b ? &s->blocks[lo]
							   : NULL;
}

/* Drop the counts of dead blocks once they are half of all. */
static void blocks_compact(struct spill *s)
{
	size_t i, k = 0;

	if (s->blocks_dead < 64 || s->blocks_dead < s->nblocks / 2)
		return;
	for (i = 0; i < s->nblocks; i++)
		if (s->blocks[i].live > 0)
			s->blocks[k++] = s->blocks[i];
	s->nblocks = k;
	s->blocks_dead = 0;
}

/* Take n live bytes from block b: 1 if the block is dead now. */
static int block_sub(struct spill *s, uint64_t b, uint64_t n)
{
	struct block_count *c = block_find(s, b);

	if (c == NULL || c->live == 0)
		return 0; /* not counted: cannot happen */
	c->live -= (uint32_t)(n < c->live ? n : c->live);
	if (c->live > 0)
		return 0;
	s->blocks_dead++;
	return 1;
}

/* Count a new extent [off, off + len): its first and last blocks. */
static void extent_count(struct spill *s, uint64_t off, uint64_t len)
{
	uint64_t fb = off / BLOCK, lb = (off + len - 1) / BLOCK;

	if (fb == lb) {
		block_add(s, fb, (uint32_t)len);
		return;
	}
	block_add(s, fb, (uint32_t)((fb + 1) * BLOCK - off));
	block_add(s, lb, (uint32_t)(off + len - lb * BLOCK));
}

/* Count n more bytes at the end of extent e (which ends at the file's
 * end): its old last block may become one inside it. */
static void extent_count_more(struct spill *s, const struct extent *e,
			      uint64_t n)
{
	uint64_t end = e->off + e->len;
	uint64_t fb = e->off / BLOCK, tb = (end - 1) / BLOCK;
	uint64_t nb = (end + n - 1) / BLOCK;

	if (nb == tb) {
		block_add(s, tb, (uint32_t)n);
		return;
	}
	if (tb != fb && s->blocks[s->nblocks - 1].block == tb)
		s->nblocks--; /* full now, and all e's: no count needed */
	else
		block_add(s, tb, (uint32_t)((tb + 1) * BLOCK - end));
	block_add(s, nb, (uint32_t)(end + n - nb * BLOCK));
}

/* An extent is no longer needed: punch it out, with the blocks at its
 * edges when no other byte in them is live. */
static void extent_release(struct spill *s, const struct extent *e)
{
	uint64_t end = e->off + e->len;
	uint64_t fb = e->off / BLOCK, lb = (end - 1) / BLOCK;
	uint64_t lo = e->off, hi = end;
	uint64_t head = fb == lb ? e->len : (fb + 1) * BLOCK - e->off;
	int first_dead;

	if (e->len == 0)
		return;
	first_dead = block_sub(s, fb, head);
	if (first_dead)
		lo = fb * BLOCK;
	if (fb == lb && first_dead)
		hi = (fb + 1) * BLOCK;
	if (fb != lb && block_sub(s, lb, end - lb * BLOCK))
		hi = (lb + 1) * BLOCK;
	s->live -= e->len;
	if (s->live == 0) {
		file_restart(s);
		return;
	}
	file_punch(s, lo, hi - lo);
	blocks_compact(s);
}

/* --- runs ---------------------------------------------------------------- */

struct spill_run *spill_run_new(struct spill *s)
{
	struct spill_run *r = calloc(1, sizeof(*r));

	if (r != NULL)
		r->s = s;
	return r;
}

void spill_run_free(struct spill_run *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = r->head; i < r->n; i++)
		extent_release(r->s, &r->ext[i]);
	if (r->s->last_run == r)
		r->s->last_run = NULL;
	free(r->ext);
	free(r);
}

uint64_t spill_run_bytes(const struct spill_run *r)
{
	return r->bytes;
}

/* Room for one more extent in the run. */
static int run_grow(struct spill_run *r)
{
	struct extent *e;
	size_t cap;

	if (r->n < r->cap)
		return 0;
	cap = r->cap ? r->cap * 2 : 4;
	e = realloc(r->ext, cap * sizeof(*e));
	if (e == NULL)
		return -1;
	r->ext = e;
	r->cap = cap;
	return 0;
}

/* Does the run's last extent end where the next append goes? */
static struct extent *run_continues(struct spill_run *r, size_t n)
{
	struct extent *e = r->n > r->head ? &r->ext[r->n - 1] : NULL;

	if (e == NULL || r->s->last_run != r ||
	    e->off + e->len != r->s->end || e->len + n > EXTENT_MAX ||
	    (r->n - 1 == r->head && r->head_off > 0))
		return NULL;
	return e;
}

int spill_run_append(struct spill_run *r, const void *p, size_t n)
{
	struct spill *s = r->s;
	struct extent *e = run_continues(r, n);
	uint64_t off = s->end;

	if (n == 0)
		return 0;
	if (file_open(s) == -1 || (e == NULL && run_grow(r) == -1) ||
	    blocks_reserve(s, 2) == -1 || file_append(s, p, n) == -1)
		return -1;
	if (e != NULL) {
		extent_count_more(s, e, n);
		e->len += n;
	} else {
		extent_count(s, off, n);
		r->ext[r->n++] = (struct extent){off, n};
	}
	s->last_run = r;
	s->live += n;
	r->bytes += n;
	return 0;
}

ssize_t spill_run_read(struct spill_run *r, void *buf, size_t n)
{
	struct extent *e;
	uint64_t left;
	ssize_t got;

	if (r->head == r->n || n == 0)
		return 0;
	e = &r->ext[r->head];
	left = e->len - r->head_off;
	if (n > left)
		n = (size_t)left;
	do
		got = pread(r->s->fd, buf, n, (off_t)(e->off + r->head_off));
	while (got == -1 && errno == EINTR);
	if (got <= 0) {
		if (got == 0)
			errno = EIO;
		return -1;
	}
	r->head_off += (uint64_t)got;
	r->bytes -= (uint64_t)got;
	if (r->head_off == e->len) {
		extent_release(r->s, e);
		r->head++;
		r->head_off = 0;
	}
	if (r->head == r->n) {
		if (r->s->last_run == r)
			r->s->last_run = NULL;
		r->head = r->n = 0;
	}
	return got;
}
