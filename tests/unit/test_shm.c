/* Unit tests for lib/shm. The module is included whole so that the tests
 * can fake what only a crash makes (a claimer killed half-way through, a
 * pid reused by another process) by writing into the segment's layout. */
#include "shm.c"

#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "unit.h"

#define ADDERS 8
#define ADDS 1000000
#define RACE_NAMES 200

/* The file behind a segment name. */
static void seg_path(const char *name, char *path, size_t len)
{
	snprintf(path, len, SHM_DIR "%s", name);
}

/* 1 if the file behind a segment name exists. */
static int seg_exists(const char *name)
{
	char path[PATH_MAX];

	seg_path(name, path, sizeof(path));
	return access(path, F_OK) == 0;
}

/* A pid that was just used and is gone (a reaped child). */
static pid_t dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

/* Create, name, mode, attach, figures, destroy. */
static void test_segment(void)
{
	char prefix[64], path[PATH_MAX];
	struct shm_stats s;
	struct shm_seg *seg, *other;
	struct stat st;

	seg = shm_run_create("echo {}");
	CHECK(seg != NULL);
	snprintf(prefix, sizeof(prefix), "/mprun.%lu.%ld.",
		 (unsigned long)geteuid(), (long)getpid());
	CHECK(strncmp(shm_name(seg), prefix, strlen(prefix)) == 0);
	CHECK_INT(strlen(shm_name(seg)), strlen(prefix) + 8);
	seg_path(shm_name(seg), path, sizeof(path));
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600);
	CHECK_STR(shm_label(seg), "echo {}");
	CHECK(shm_owner_alive(seg));

	shm_stats_read(seg, &s);
	CHECK_INT(s.stat[SHM_STARTED], 0);
	CHECK_INT(s.stat[SHM_TOTAL], -1);
	CHECK_INT(s.owner, getpid());
	CHECK(llabs(s.start_ms - (long long)clock_wall_ms()) < 5000);

	other = shm_attach(shm_name(seg));
	CHECK(other != NULL);
	shm_stat_add(seg, SHM_STARTED, 3);
	shm_stat_add(seg, SHM_RUNNING, 2);
	shm_stat_add(other, SHM_RUNNING, -1);
	shm_stat_set(other, SHM_TOTAL, 10);
	shm_stats_read(other, &s);
	CHECK_INT(s.stat[SHM_STARTED], 3);
	CHECK_INT(s.stat[SHM_RUNNING], 1);
	CHECK_INT(s.stat[SHM_TOTAL], 10);
	CHECK_STR(shm_label(other), "echo {}");
	shm_detach(other); /* never removes */
	CHECK(seg_exists(shm_name(seg)));

	shm_run_destroy(seg);
	CHECK(!seg_exists(path + strlen(SHM_DIR)));
	shm_run_destroy(NULL);
	shm_detach(NULL);
}

/* shm_attach refuses what is not a segment of ours. */
static void test_attach_errors(void)
{
	char name[SHM_NAME_MAX];
	int fd;

	errno = 0;
	CHECK(shm_attach("/mprun.0.1.nosuchsegment") == NULL &&
	      errno == ENOENT);
	errno = 0;
	CHECK(shm_attach("/other.0.1.x") == NULL && errno == EINVAL);
	errno = 0;
	CHECK(shm_attach("mprun.0.1.x") == NULL && errno == EINVAL);
	errno = 0;
	CHECK(shm_attach("/mprun.0.1/x") == NULL && errno == EINVAL);
	/* right name, wrong size: not a segment (of this version) */
	snprintf(name, sizeof(name), "/mprun.%lu.%ld.short",
		 (unsigned long)geteuid(), (long)getpid());
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	CHECK(fd != -1 && ftruncate(fd, 100) == 0);
	close(fd);
	errno = 0;
	CHECK(shm_attach(name) == NULL && errno == EPROTO);
	shm_unlink(name);
}

/* Counters from one process: add, set, get, declare, list, errors. */
static void test_counters(void)
{
	struct shm_seg *seg = shm_run_create(NULL);
	struct shm_counter c[SHM_COUNTERS];
	long long v = 42;
	char name[80];

	CHECK(seg != NULL);
	errno = 0;
	CHECK(shm_counter_get(seg, "ok", &v) == -1 && errno == ENOENT);
	CHECK(shm_counter_add(seg, "ok", 1, &v) == 0 && v == 1);
	CHECK(shm_counter_add(seg, "ok", 41, &v) == 0 && v == 42);
	CHECK(shm_counter_add(seg, "ok", -50, NULL) == 0);
	CHECK(shm_counter_get(seg, "ok", &v) == 0 && v == -8);
	CHECK(shm_counter_set(seg, "bytes.in", 1LL << 40) == 0);
	CHECK(shm_counter_get(seg, "bytes.in", &v) == 0 && v == 1LL << 40);
	CHECK(shm_counter_declare(seg, "failed") == 0);
	CHECK(shm_counter_declare(seg, "ok") == 0); /* keeps its value */
	CHECK(shm_counter_get(seg, "ok", &v) == 0 && v == -8);
	/* no wrap-around: ERANGE, and the value stays */
	CHECK(shm_counter_set(seg, "big", LLONG_MAX) == 0);
	errno = 0;
	CHECK(shm_counter_add(seg, "big", 1, &v) == -1 && errno == ERANGE);
	CHECK(shm_counter_get(seg, "big", &v) == 0 && v == LLONG_MAX);
	CHECK(shm_counter_add(seg, "big", -1, &v) == 0 && v == LLONG_MAX - 1);
	CHECK(shm_counter_set(seg, "big", LLONG_MIN) == 0);
	CHECK(shm_counter_add(seg, "big", -1, NULL) == -1 && errno == ERANGE);
	CHECK(shm_counter_add(seg, "big", LLONG_MAX, &v) == 0 && v == -1);

	CHECK_INT(shm_counters_list(seg, c, SHM_COUNTERS), 4);
	CHECK_STR(c[0].name, "big");
	CHECK_STR(c[1].name, "bytes.in");
	CHECK_STR(c[2].name, "failed");
	CHECK_INT(c[2].value, 0);
	CHECK_STR(c[3].name, "ok");
	CHECK_INT(shm_counters_list(seg, c, 1), 4);

	errno = 0;
	CHECK(shm_counter_add(seg, "", 1, NULL) == -1 && errno == EINVAL);
	CHECK(shm_counter_add(seg, "a b", 1, NULL) == -1 && errno == EINVAL);
	CHECK(shm_counter_add(seg, "a=b", 1, NULL) == -1 && errno == EINVAL);
	CHECK(shm_counter_add(seg, "\"q", 1, NULL) == -1 && errno == EINVAL);
	memset(name, 'x', 64);
	name[64] = '\0';
	CHECK(shm_counter_add(seg, name, 1, NULL) == -1 && errno == EINVAL);
	name[63] = '\0';
	CHECK(shm_counter_add(seg, name, 1, NULL) == 0);
	CHECK(shm_counter_name_valid("a-Z_0.9:/x"));
	shm_run_destroy(seg);
}

/* The table holds SHM_COUNTERS names, then ENOSPC; old names still work. */
static void test_table_full(void)
{
	struct shm_seg *seg = shm_run_create(NULL);
	char name[32];
	long long v = 0;
	int i, ok = 0;

	CHECK(seg != NULL);
	for (i = 0; i < SHM_COUNTERS; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		ok += shm_counter_add(seg, name, i, NULL) == 0;
	}
	CHECK_INT(ok, SHM_COUNTERS);
	errno = 0;
	CHECK(shm_counter_add(seg, "one.more", 1, NULL) == -1 &&
	      errno == ENOSPC);
	errno = 0;
	CHECK(shm_counter_get(seg, "one.more", &v) == -1 && errno == ENOENT);
	CHECK(shm_counter_add(seg, "c255", 1, &v) == 0 && v == 256);
	CHECK(shm_counter_get(seg, "c0", &v) == 0 && v == 0);
	shm_run_destroy(seg);
}

/* "NAME=VALUE" specs, the status-line format and the JSON. */
static void test_format(void)
{
	struct shm_counter c[2] = {{"a", 1}, {"b.c", -2}};
	char name[SHM_COUNTER_NAME_MAX + 1], out[64];
	long long v;
	char *json = NULL;
	size_t jlen = 0;
	FILE *f;

	CHECK(shm_counter_spec_parse("x=5", name, &v) == 0 && v == 5);
	CHECK_STR(name, "x");
	CHECK(shm_counter_spec_parse("y", name, &v) == 0 && v == 0);
	CHECK(shm_counter_spec_parse("z=-3", name, &v) == 0 && v == -3);
	CHECK(shm_counter_spec_parse("=1", name, &v) == -1);
	CHECK(shm_counter_spec_parse("x=", name, &v) == -1);
	CHECK(shm_counter_spec_parse("x= 1", name, &v) == -1);
	CHECK(shm_counter_spec_parse("x=1k", name, &v) == -1);
	CHECK(shm_counter_spec_parse("a b=1", name, &v) == -1);

	CHECK_INT(shm_counters_format(c, 2, out, sizeof(out)), 10);
	CHECK_STR(out, "a=1 b.c=-2");
	CHECK_INT(shm_counters_format(c, 2, out, 11), 10);
	CHECK_STR(out, "a=1 b.c=-2");
	/* whole fields only, " ..." for the others */
	CHECK_INT(shm_counters_format(c, 2, out, 10), 10);
	CHECK_STR(out, "a=1 ...");
	CHECK_INT(shm_counters_format(c, 2, out, 8), 10);
	CHECK_STR(out, "a=1 ...");
	CHECK_INT(shm_counters_format(c, 2, out, 7), 10);
	CHECK_STR(out, "...");
	CHECK_INT(shm_counters_format(c, 2, out, 4), 10);
	CHECK_STR(out, "...");
	CHECK_INT(shm_counters_format(c, 2, out, 3), 10);
	CHECK_STR(out, "");
	CHECK_INT(shm_counters_format(c, 1, out, 4), 3);
	CHECK_STR(out, "a=1");
	CHECK_INT(shm_counters_format(c, 0, out, sizeof(out)), 0);
	CHECK_STR(out, "");

	f = open_memstream(&json, &jlen);
	CHECK(f != NULL && shm_counters_write_json(c, 2, f) == 0);
	fclose(f);
	CHECK_STR(json, "{\"a\": 1, \"b.c\": -2}\n");
	free(json);
}

struct adder {
	struct shm_seg *seg;
	const char *name;
	int fails;
};

/* Add 1 to a counter ADDS times. */
static void *add_many(void *data)
{
	struct adder *a = data;
	int i;

	for (i = 0; i < ADDS; i++)
		a->fails += shm_counter_add(a->seg, a->name, 1, NULL) != 0;
	return NULL;
}

/* ADDERS threads adding 1 ADDS times each: exactly ADDERS * ADDS. */
static void test_threads_add(void)
{
	struct shm_seg *seg = shm_run_create(NULL);
	struct adder a[ADDERS];
	pthread_t t[ADDERS];
	long long v = 0;
	int i, fails = 0;

	CHECK(seg != NULL);
	for (i = 0; i < ADDERS; i++) {
		a[i] = (struct adder){seg, "hits", 0};
		pthread_create(&t[i], NULL, add_many, &a[i]);
	}
	for (i = 0; i < ADDERS; i++) {
		pthread_join(t[i], NULL);
		fails += a[i].fails;
	}
	CHECK_INT(fails, 0);
	CHECK(shm_counter_get(seg, "hits", &v) == 0);
	CHECK_INT(v, (long long)ADDERS * ADDS);
	shm_run_destroy(seg);
}

/* Fork n children that each attach to name and run fn on it after the
 * start pipe opens (so they all start at once); 0 if all exit 0. */
static int in_processes(int n, const char *name,
			int (*fn)(struct shm_seg *seg, int i))
{
	pid_t pid[ADDERS];
	int start[2], i, status, failed = 0;
	struct shm_seg *seg;
	char c;

	if (pipe(start) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		pid[i] = fork();
		if (pid[i] != 0)
			continue;
		close(start[1]);
		seg = shm_attach(name);
		if (seg == NULL || read(start[0], &c, 1) != 0)
			_exit(2);
		_exit(fn(seg, i) == 0 ? 0 : 1);
	}
	close(start[0]);
	close(start[1]); /* everyone reads EOF: go */
	for (i = 0; i < n; i++)
		if (pid[i] == -1 || waitpid(pid[i], &status, 0) == -1 ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	return failed;
}

/* In a child: add 1 ADDS times to "hits". */
static int proc_add(struct shm_seg *seg, int i)
{
	int n;

	for (n = 0; n < ADDS; n++)
		if (shm_counter_add(seg, "hits", 1, NULL) != 0)
			return -1;
	return 0;
}

/* ADDERS processes adding 1 ADDS times each: exactly ADDERS * ADDS. */
static void test_processes_add(void)
{
	struct shm_seg *seg = shm_run_create(NULL);
	long long v = 0;

	CHECK(seg != NULL);
	CHECK_INT(in_processes(ADDERS, shm_name(seg), proc_add), 0);
	CHECK(shm_counter_get(seg, "hits", &v) == 0);
	CHECK_INT(v, (long long)ADDERS * ADDS);
	shm_run_destroy(seg);
}

/* In a child: claim RACE_NAMES names (in an order of its own), add 1 to
 * each. */
static int proc_claim(struct shm_seg *seg, int i)
{
	char name[32];
	int n, k;

	for (n = 0; n < RACE_NAMES; n++) {
		k = i % 2 ? RACE_NAMES - 1 - n : n;
		snprintf(name, sizeof(name), "name.%d", k);
		if (shm_counter_add(seg, name, 1, NULL) != 0)
			return -1;
	}
	return 0;
}

/* Processes claiming the same names at once in a fresh segment: each
 * name once, its value the number of processes. */
static void test_claim_race(void)
{
	struct shm_counter c[SHM_COUNTERS];
	struct shm_seg *seg;
	size_t i, n, right = 0;
	int round, failed = 0;

	for (round = 0; round < 5; round++) {
		seg = shm_run_create(NULL);
		if (seg == NULL) {
			failed++;
			continue;
		}
		failed += in_processes(ADDERS, shm_name(seg), proc_claim);
		n = shm_counters_list(seg, c, SHM_COUNTERS);
		for (i = 0; i < n; i++)
			right += n == RACE_NAMES && c[i].value == ADDERS &&
				 (i == 0 ||
				  strcmp(c[i - 1].name, c[i].name) != 0);
		shm_run_destroy(seg);
	}
	CHECK_INT(failed, 0);
	CHECK_INT(right, 5 * RACE_NAMES);
}

/* A claimer that died half-way: readers do not see the name, the next
 * claim takes the slot over. */
static void test_dead_claimer(void)
{
	struct shm_seg *seg = shm_run_create(NULL);
	struct slot *s;
	long long v = 0;
	pid_t dead = dead_pid();

	CHECK(seg != NULL);
	s = &seg->map->slot[name_hash("orphan")];
	atomic_store(&s->state, (unsigned long long)dead << 32 | 12345);
	memcpy(s->name, "orph", 4); /* half a name */
	errno = 0;
	CHECK(shm_counter_get(seg, "orphan", &v) == -1 && errno == ENOENT);
	CHECK(shm_counter_add(seg, "orphan", 3, &v) == 0 && v == 3);
	CHECK(atomic_load(&s->state) == SLOT_READY);
	CHECK_STR(s->name, "orphan");
	CHECK(shm_counter_get(seg, "orphan", &v) == 0 && v == 3);
	shm_run_destroy(seg);
}

/* removed-callback for shm_cleanup_stale: count the calls. */
static void count_removed(void *data, const char *name, pid_t owner)
{
	(*(int *)data)++;
}

/* shm_runs_each callback: count the runs seen. */
static int count_run(void *data, struct shm_seg *seg)
{
	(*(int *)data)++;
	return 0;
}

/* Segments of dead runs are removed; live ones are kept. */
static void test_cleanup_stale(void)
{
	struct shm_seg *live = shm_run_create(NULL), *reused;
	char crashed[SHM_NAME_MAX], early[SHM_NAME_MAX];
	int fds[2], fd, n, removed = 0, seen = 0;
	pid_t pid;

	CHECK(live != NULL && pipe(fds) == 0);
	/* a run that crashed: it made its segment and died */
	pid = fork();
	if (pid == 0) {
		struct shm_seg *seg = shm_run_create("crash");

		if (seg == NULL ||
		    write(fds[1], shm_name(seg), SHM_NAME_MAX) != SHM_NAME_MAX)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	CHECK(read(fds[0], crashed, SHM_NAME_MAX) == SHM_NAME_MAX);
	close(fds[0]);
	waitpid(pid, NULL, 0);
	CHECK(seg_exists(crashed));
	/* a run that died before initialising its segment */
	snprintf(early, sizeof(early), "/mprun.%lu.%ld.early",
		 (unsigned long)geteuid(), (long)dead_pid());
	fd = shm_open(early, O_RDWR | O_CREAT | O_EXCL, 0600);
	CHECK(fd != -1);
	close(fd);
	/* our pid, but another start time: the pid was reused */
	reused = shm_run_create(NULL);
	CHECK(reused != NULL);
	reused->map->owner_start ^= 1;
	CHECK(!shm_owner_alive(reused));

	CHECK(shm_runs_each(getpid(), count_run, &seen) == 1 && seen == 1);
	/* another mprun of this user (a test running beside this one) may
	 * clean the stale segments first: what counts is that they are gone
	 * and that the count returned is the count reported */
	n = shm_cleanup_stale(count_removed, &removed);
	CHECK(n >= 0 && n == removed);
	CHECK(!seg_exists(crashed));
	CHECK(!seg_exists(early));
	CHECK(!seg_exists(shm_name(reused)));
	CHECK(seg_exists(shm_name(live)));
	seen = 0;
	CHECK(shm_runs_each(0, count_run, &seen) >= 1 && seen >= 1);
	seen = 0;
	CHECK(shm_runs_each(dead_pid(), count_run, &seen) == 0 && seen == 0);
	shm_run_destroy(reused); /* already gone: no harm */
	shm_run_destroy(live);
}

int main(void)
{
	test_segment();
	test_attach_errors();
	test_counters();
	test_table_full();
	test_format();
	test_dead_claimer();
	test_claim_race();
	test_cleanup_stale();
	test_threads_add();
	test_processes_add();
	return UNIT_DONE();
}
