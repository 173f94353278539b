/* shm: the run's shared-memory segment: its figures and named counters. */
#include "shm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* The segment is shared between processes: only lock-free atomics work
 * there (a lock inside the library would be private to each process). */
#if ATOMIC_LLONG_LOCK_FREE != 2
#error "lib/shm needs lock-free 64-bit atomics"
#endif

#define SHM_MAGIC 0x4e52504dU /* "MPRN" */
#define SHM_VERSION 1U
#define SEG_PREFIX "mprun."

/* A slot's state word: SLOT_FREE, SLOT_READY (name and value valid), or
 * being claimed: (pid << 32) | low 32 bits of the claimer's start time, so
 * that a claimer that died half-way can be recognised and replaced. */
#define SLOT_FREE 0ULL
#define SLOT_READY 1ULL

/* One named counter. The name is written only while the slot is claimed,
 * and read only once the state is SLOT_READY (acquire/release pair). */
struct slot {
	_Atomic unsigned long long state;
	_Atomic long long value;
	char name[SHM_COUNTER_NAME_MAX + 1];
};

/* The segment's layout; magic is stored last, when the rest is valid. */
struct layout {
	_Atomic unsigned magic;
	unsigned version;
	unsigned size;
	int owner;		  /* pid of the run */
	unsigned long long owner_start; /* its start time in ticks, 0 unknown */
	long long start_ms;	  /* realtime, ms since the epoch */
	char label[SHM_LABEL_MAX + 1];
	_Atomic long long stat[SHM_NSTATS];
	struct slot slot[SHM_COUNTERS];
};

struct shm_seg {
	struct layout *map;
	char name[SHM_NAME_MAX];
	int created; /* this process made it: unlink on destroy */
};

/* --- processes ------------------------------------------------------------ */

/* The start time of process pid (ticks since boot, field 22 of
 * /proc/PID/stat). 0 or -1/errno. */
static int proc_start_ticks(pid_t pid, unsigned long long *ticks)
{
	char path[64], buf[1024];
	char *p, *end;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close_keep_errno(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command name may hold anything */
	if (p == NULL)
		goto bad;
	for (field = 2; field < 21 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL)
		goto bad;
	errno = 0;
	*ticks = strtoull(p + 1, &end, 10);
	if (errno == 0 && end != p + 1)
		return 0;
bad:
	errno = EPROTO;
	return -1;
}

/* 1 if process pid is gone, or is another process than the one that
 * started at ticks (compared on the bits in mask; ticks 0 = unknown). */
static int pid_gone(pid_t pid, unsigned long long ticks,
		    unsigned long long mask)
{
	unsigned long long now;

	if (pid <= 0)
		return 1;
	if (kill(pid, 0) == -1 && errno == ESRCH)
		return 1;
	if (ticks != 0 && proc_start_ticks(pid, &now) == 0 &&
	    (now & mask) != (ticks & mask))
		return 1;
	return 0;
}

/* This process's start time, or 0 if unknown. */
static unsigned long long own_start_ticks(void)
{
	unsigned long long ticks;

	return proc_start_ticks(getpid(), &ticks) == 0 ? ticks : 0;
}

/* --- segments ------------------------------------------------------------- */

/* A fresh name "/mprun.<uid>.<pid>.<8 random hex digits>". */
static void make_name(char *name)
{
	unsigned r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (unsigned)clock_wall_ms() ^ (unsigned)getpid() << 16 ^
		    (unsigned)clock();
	snprintf(name, SHM_NAME_MAX, "/" SEG_PREFIX "%lu.%ld.%08x",
		 (unsigned long)geteuid(), (long)getpid(), r);
}

/* 1 if name looks like one of our segment names ("/mprun.<...>"). */
static int seg_name_valid(const char *name)
{
	size_t len = strlen(name);

	return len < SHM_NAME_MAX && name[0] == '/' &&
	       strncmp(name + 1, SEG_PREFIX, strlen(SEG_PREFIX)) == 0 &&
	       strchr(name + 1, '/') == NULL;
}

/* Map the segment open on fd (its size checked by the caller). */
static struct layout *map_layout(int fd)
{
	void *p = mmap(NULL, sizeof(struct layout), PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Fill a new (all-zero) layout, then publish it by storing the magic. */
static void init_layout(struct layout *m, const char *label)
{
	m->version = SHM_VERSION;
	m->size = (unsigned)sizeof(*m);
	m->owner = (int)getpid();
	m->owner_start = own_start_ticks();
	m->start_ms = (long long)clock_wall_ms();
	if (label != NULL)
		snprintf(m->label, sizeof(m->label), "%s", label);
	atomic_store_explicit(&m->stat[SHM_TOTAL], -1, memory_order_relaxed);
	atomic_store_explicit(&m->magic, SHM_MAGIC, memory_order_release);
}

/* 1 if the mapped layout is a complete segment of this version. */
static int layout_valid(struct layout *m)
{
	return atomic_load_explicit(&m->magic, memory_order_acquire) ==
		       SHM_MAGIC &&
	       m->version == SHM_VERSION && m->size == sizeof(*m);
}

struct shm_seg *shm_run_create(const char *label)
{
	struct shm_seg *seg = calloc(1, sizeof(*seg));
	int fd = -1, tries;

	if (seg == NULL)
		return NULL;
	for (tries = 0; tries < 64; tries++) {
		make_name(seg->name);
		fd = shm_open(seg->name, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd != -1 || errno != EEXIST)
			break;
	}
	if (fd == -1)
		goto fail;
	seg->created = 1;
	/* 0600 whatever the umask; ftruncate makes it all zero */
	if (fchmod(fd, 0600) == -1 ||
	    ftruncate(fd, (off_t)sizeof(struct layout)) == -1)
		goto fail;
	seg->map = map_layout(fd);
	if (seg->map == NULL)
		goto fail;
	close(fd);
	init_layout(seg->map, label);
	return seg;
fail:
	close_keep_errno(fd);
	shm_run_destroy(seg);
	return NULL;
}

void shm_run_destroy(struct shm_seg *seg)
{
	int saved = errno;

	if (seg == NULL)
		return;
	if (seg->created)
		shm_unlink(seg->name);
	shm_detach(seg);
	errno = saved;
}

struct shm_seg *shm_attach(const char *name)
{
	struct shm_seg *seg = NULL;
	struct stat st;
	int fd;

	if (!seg_name_valid(name)) {
		errno = EINVAL;
		return NULL;
	}
	fd = shm_open(name, O_RDWR, 0);
	if (fd == -1)
		return NULL;
	if (fstat(fd, &st) == -1)
		goto fail;
	errno = EPERM;
	if (st.st_uid != geteuid())
		goto fail;
	errno = EPROTO;
	if ((size_t)st.st_size != sizeof(struct layout))
		goto fail;
	seg = calloc(1, sizeof(*seg));
	if (seg == NULL)
		goto fail;
	snprintf(seg->name, sizeof(seg->name), "%s", name);
	seg->map = map_layout(fd);
	if (seg->map == NULL)
		goto fail;
	errno = EPROTO;
	if (!layout_valid(seg->map))
		goto fail;
	close(fd);
	return seg;
fail:
	close_keep_errno(fd);
	shm_detach(seg);
	return NULL;
}

void shm_detach(struct shm_seg *seg)
{
	int saved = errno;

	if (seg == NULL)
		return;
	if (seg->map != NULL)
		munmap(seg->map, sizeof(*seg->map));
	free(seg);
	errno = saved;
}

const char *shm_name(const struct shm_seg *seg)
{
	return seg->name;
}

const char *shm_label(const struct shm_seg *seg)
{
	return seg->map->label;
}

int shm_owner_alive(const struct shm_seg *seg)
{
	return !pid_gone(seg->map->owner, seg->map->owner_start, ~0ULL);
}

/* If d_name is "mprun.<uid>.<pid>.<tag>" for uid, set *pid and return 1. */
static int seg_entry_parse(const char *d_name, uid_t uid, pid_t *pid)
{
	char *end;
	unsigned long u;
	long p;

	if (strncmp(d_name, SEG_PREFIX, strlen(SEG_PREFIX)) != 0 ||
	    strlen(d_name) + 1 >= SHM_NAME_MAX)
		return 0;
	d_name += strlen(SEG_PREFIX);
	if (*d_name < '0' || *d_name > '9')
		return 0;
	u = strtoul(d_name, &end, 10);
	if (*end != '.' || u != (unsigned long)uid || end[1] < '0' ||
	    end[1] > '9')
		return 0;
	p = strtol(end + 1, &end, 10);
	if (*end != '.' || end[1] == '\0' || p <= 0 || p > INT_MAX)
		return 0;
	*pid = (pid_t)p;
	return 1;
}

/* 1 if the segment name (owner pid from its name) is this user's and its
 * run is gone. One that is not initialised yet (empty, or of a segment's
 * size with no valid layout) is judged by the pid in its name alone; a
 * file of another size or kind is no segment. */
static int seg_stale(const char *name, pid_t name_pid, pid_t *owner)
{
	struct layout *m = NULL;
	unsigned long long ticks = 0;
	struct stat st;
	int fd, stale = 0;

	*owner = name_pid;
	fd = shm_open(name, O_RDWR, 0);
	if (fd == -1)
		return 0;
	if (fstat(fd, &st) == -1 || st.st_uid != geteuid() ||
	    !S_ISREG(st.st_mode) ||
	    (st.st_size != 0 && (size_t)st.st_size != sizeof(struct layout)))
		goto out;
	if ((size_t)st.st_size == sizeof(struct layout))
		m = map_layout(fd);
	if (m != NULL && layout_valid(m)) {
		*owner = m->owner;
		ticks = m->owner_start;
	}
	stale = pid_gone(*owner, ticks, ~0ULL);
out:
	if (m != NULL)
		munmap(m, sizeof(*m));
	close(fd);
	return stale;
}

/* Call fn for each segment file of this user (and of pid, if not 0). */
static int seg_dir_each(pid_t pid, int (*fn)(void *data, const char *name,
					     pid_t name_pid),
			void *data)
{
	char name[SHM_NAME_MAX];
	struct dirent *d;
	pid_t name_pid;
	DIR *dir = opendir(SHM_DIR);
	int n = 0;

	if (dir == NULL)
		return -1;
	while ((d = readdir(dir)) != NULL) {
		int len;

		if (!seg_entry_parse(d->d_name, geteuid(), &name_pid) ||
		    (pid != 0 && name_pid != pid))
			continue;
		len = snprintf(name, sizeof(name), "/%s", d->d_name);
		if (len < 0 || (size_t)len >= sizeof(name))
			continue; /* not a name mprun makes */
		n += fn(data, name, name_pid);
	}
	closedir(dir);
	return n;
}

struct stale_walk {
	void (*removed)(void *data, const char *name, pid_t owner);
	void *data;
};

/* seg_dir_each callback: remove one segment if stale; 1 if removed. */
static int remove_if_stale(void *data, const char *name, pid_t name_pid)
{
	struct stale_walk *w = data;
	pid_t owner;

	if (!seg_stale(name, name_pid, &owner) || shm_unlink(name) == -1)
		return 0;
	if (w->removed != NULL)
		w->removed(w->data, name, owner);
	return 1;
}

int shm_cleanup_stale(void (*removed)(void *data, const char *name,
				      pid_t owner),
		      void *data)
{
	struct stale_walk w = {removed, data};

	return seg_dir_each(0, remove_if_stale, &w);
}

struct runs_walk {
	int (*fn)(void *data, struct shm_seg *seg);
	void *data;
	int stop;
};

/* seg_dir_each callback: hand one live segment to the caller; 1 if so. */
static int visit_live(void *data, const char *name, pid_t name_pid)
{
	struct runs_walk *w = data;
	struct shm_seg *seg;

	if (w->stop)
		return 0;
	seg = shm_attach(name);
	if (seg == NULL)
		return 0;
	if (!shm_owner_alive(seg)) {
		shm_detach(seg);
		return 0;
	}
	w->stop = w->fn(w->data, seg) != 0;
	shm_detach(seg);
	return 1;
}

int shm_runs_each(pid_t pid, int (*fn)(void *data, struct shm_seg *seg),
		  void *data)
{
	struct runs_walk w = {fn, data, 0};

	return seg_dir_each(pid, visit_live, &w);
}

/* --- figures -------------------------------------------------------------- */

void shm_stat_add(struct shm_seg *seg, enum shm_stat which, long long delta)
{
	atomic_fetch_add_explicit(&seg->map->stat[which], delta,
				  memory_order_relaxed);
}

void shm_stat_set(struct shm_seg *seg, enum shm_stat which, long long value)
{
	atomic_store_explicit(&seg->map->stat[which], value,
			      memory_order_relaxed);
}

void shm_stats_read(const struct shm_seg *seg, struct shm_stats *out)
{
	int i;

	for (i = 0; i < SHM_NSTATS; i++)
		out->stat[i] = atomic_load_explicit(&seg->map->stat[i],
						    memory_order_relaxed);
	out->owner = seg->map->owner;
	out->start_ms = seg->map->start_ms;
}

/* --- counters ------------------------------------------------------------- */

int shm_counter_name_valid(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > SHM_COUNTER_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz"
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:/-",
			   name[i]) == NULL)
			return 0;
	return 1;
}

/* FNV-1a: where the probe for name starts. */
static unsigned name_hash(const char *name)
{
	unsigned h = 2166136261U;

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * 16777619U;
	return h % SHM_COUNTERS;
}

/* The state word meaning "being claimed by this process". */
static unsigned long long claiming_word(void)
{
	return (unsigned long long)getpid() << 32 |
	       (own_start_ticks() & 0xffffffffULL);
}

/* 1 if the process named in a "being claimed" word is gone. */
static int claimer_gone(unsigned long long st)
{
	return pid_gone((pid_t)(st >> 32), st & 0xffffffffULL, 0xffffffffULL);
}

/* Wait while the slot stays in state st (being claimed by a live process).
 * Returns the new state, or st itself if the claimer died half-way. */
static unsigned long long slot_wait(struct slot *s, unsigned long long st)
{
	struct timespec ms = {0, 1000000};
	unsigned long long now;
	unsigned round;

	for (round = 0;; round++) {
		if (round < 64) {
			sched_yield();
		} else {
			if (round % 16 == 0 && claimer_gone(st))
				return st;
			nanosleep(&ms, NULL);
		}
		now = atomic_load_explicit(&s->state, memory_order_acquire);
		if (now != st)
			return now;
	}
}

/* Try to claim a slot in state *st (free, or left by a dead claimer) for
 * name. 1 if claimed; 0 if another process got there first (*st gets the
 * slot's new state). */
static int slot_claim(struct slot *s, unsigned long long *st,
		      const char *name)
{
	if (!atomic_compare_exchange_strong_explicit(
		    &s->state, st, claiming_word(), memory_order_acquire,
		    memory_order_acquire))
		return 0;
	memset(s->name, 0, sizeof(s->name));
	memcpy(s->name, name, strlen(name));
	atomic_store_explicit(&s->value, 0, memory_order_relaxed);
	atomic_store_explicit(&s->state, SLOT_READY, memory_order_release);
	return 1;
}

/* Look at one slot of name's probe: 1 if it holds name (claimed now if
 * create), 0 to go on to the next slot, -1 if name is not in the table.
 *
 * Claims never go past a slot being claimed: they wait for it, as it may
 * be claimed for the same name. So a name is never found beyond a slot
 * that is free or being claimed, and a reader can stop there. */
static int slot_probe(struct slot *s, const char *name, int create)
{
	unsigned long long st;

	st = atomic_load_explicit(&s->state, memory_order_acquire);
	for (;;) {
		if (st == SLOT_READY)
			return strcmp(s->name, name) == 0;
		if (!create)
			return -1;
		if (st == SLOT_FREE) {
			if (slot_claim(s, &st, name))
				return 1;
			continue;
		}
		st = slot_wait(s, st);
		if (st != SLOT_READY && st != SLOT_FREE && claimer_gone(st) &&
		    slot_claim(s, &st, name))
			return 1;
	}
}

/* The slot of name (claimed if create and absent), or NULL/errno. */
static struct slot *slot_find(struct layout *m, const char *name, int create)
{
	unsigned i, h;
	int r;

	if (!shm_counter_name_valid(name)) {
		errno = EINVAL;
		return NULL;
	}
	h = name_hash(name);
	for (i = 0; i < SHM_COUNTERS; i++) {
		r = slot_probe(&m->slot[(h + i) % SHM_COUNTERS], name, create);
		if (r == 1)
			return &m->slot[(h + i) % SHM_COUNTERS];
		if (r == -1)
			break;
	}
	errno = create ? ENOSPC : ENOENT;
	return NULL;
}

int shm_counter_add(struct shm_seg *seg, const char *name, long long delta,
		    long long *newval)
{
	struct slot *s = slot_find(seg->map, name, 1);
	long long old, sum;

	if (s == NULL)
		return -1;
	old = atomic_load_explicit(&s->value, memory_order_relaxed);
	do {
		if (__builtin_add_overflow(old, delta, &sum)) {
			errno = ERANGE; /* the counter keeps its value */
			return -1;
		}
	} while (!atomic_compare_exchange_weak_explicit(
		&s->value, &old, sum, memory_order_relaxed,
		memory_order_relaxed));
	if (newval != NULL)
		*newval = sum;
	return 0;
}

int shm_counter_set(struct shm_seg *seg, const char *name, long long value)
{
	struct slot *s = slot_find(seg->map, name, 1);

	if (s == NULL)
		return -1;
	atomic_store_explicit(&s->value, value, memory_order_relaxed);
	return 0;
}

int shm_counter_declare(struct shm_seg *seg, const char *name)
{
	return slot_find(seg->map, name, 1) == NULL ? -1 : 0;
}

int shm_counter_get(const struct shm_seg *seg, const char *name,
		    long long *value)
{
	struct slot *s = slot_find(seg->map, name, 0);

	if (s == NULL)
		return -1;
	*value = atomic_load_explicit(&s->value, memory_order_relaxed);
	return 0;
}

/* qsort comparator: counters by name. */
static int counter_cmp(const void *a, const void *b)
{
	return strcmp(((const struct shm_counter *)a)->name,
		      ((const struct shm_counter *)b)->name);
}

size_t shm_counters_list(const struct shm_seg *seg, struct shm_counter *out,
			 size_t max)
{
	struct shm_counter all[SHM_COUNTERS];
	struct slot *s;
	size_t i, n = 0;

	for (i = 0; i < SHM_COUNTERS; i++) {
		s = &seg->map->slot[i];
		if (atomic_load_explicit(&s->state, memory_order_acquire) !=
		    SLOT_READY)
			continue;
		memcpy(all[n].name, s->name, sizeof(all[n].name));
		all[n].name[SHM_COUNTER_NAME_MAX] = '\0';
		all[n].value = atomic_load_explicit(&s->value,
						    memory_order_relaxed);
		n++;
	}
	qsort(all, n, sizeof(all[0]), counter_cmp);
	memcpy(out, all, (n < max ? n : max) * sizeof(all[0]));
	return n;
}

/* Parse a whole decimal number (optional sign, no spaces). 0 or -1. */
static int parse_ll(const char *s, long long *v)
{
	char *end;

	if (*s == '\0' || strchr("+-0123456789", *s) == NULL)
		return -1;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return errno != 0 || *end != '\0' || end == s ? -1 : 0;
}

int shm_counter_spec_parse(const char *spec, char *name, long long *value)
{
	const char *eq = strchr(spec, '=');
	size_t len = eq != NULL ? (size_t)(eq - spec) : strlen(spec);

	*value = 0;
	if (len == 0 || len > SHM_COUNTER_NAME_MAX ||
	    (eq != NULL && parse_ll(eq + 1, value) == -1))
		goto bad;
	memcpy(name, spec, len);
	name[len] = '\0';
	if (shm_counter_name_valid(name))
		return 0;
bad:
	errno = EINVAL;
	return -1;
}

size_t shm_counters_format(const struct shm_counter *c, size_t n, char *out,
			   size_t len)
{
	static const char more[] = " ...";
	char field[SHM_COUNTER_NAME_MAX + 32];
	size_t i, used = 0, need = 0, w;
	const char *m;
	int full = 0;

	if (len > 0)
		out[0] = '\0';
	for (i = 0; i < n; i++) {
		w = (size_t)snprintf(field, sizeof(field), "%s%s=%lld",
				     i > 0 ? " " : "", c[i].name, c[i].value);
		need += w;
		if (full)
			continue;
		/* the field, and room for " ..." after it but for the last */
		if (used + w + (i + 1 < n ? strlen(more) : 0) < len) {
			memcpy(out + used, field, w + 1);
			used += w;
			continue;
		}
		full = 1;
		m = i > 0 ? more : more + 1;
		if (used + strlen(m) < len)
			memcpy(out + used, m, strlen(m) + 1);
	}
	return need;
}

int shm_counters_write_json(const struct shm_counter *c, size_t n, FILE *f)
{
	size_t i;

	/* names are [A-Za-z0-9_.:/-]: nothing to escape */
	fputc('{', f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s\"%s\": %lld", i > 0 ? ", " : "", c[i].name,
			c[i].value);
	fputs("}\n", f);
	if (ferror(f)) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	return 0;
}
