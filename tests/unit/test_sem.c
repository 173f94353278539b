/* Unit tests for lib/sem. Every test uses ids of its own ("t<pid>.*"), so
 * that test runs at the same time do not meet. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sem.h"
#include "unit.h"

#define CONTENDERS 12
#define ROUNDS 4

/* A per-process id: "t<pid>.<what>". */
static const char *test_id(const char *what)
{
	static char id[4][64];
	static int next;
	char *s = id[next++ % 4];

	snprintf(s, 64, "t%ld.%s", (long)getpid(), what);
	return s;
}

/* The name file of an id. */
static void id_file(const char *id, char *path, size_t len)
{
	snprintf(path, len, "%s/sem.%s", sem_dir(), id);
}

/* Milliseconds of a monotonic clock. */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct removed {
	const char *idle, *busy;
	int idle_seen, busy_seen;
};

/* sem_cleanup_idle callback: note the ids of test_cleanup. */
static void note_removed(void *data, const char *id)
{
	struct removed *r = data;

	r->idle_seen += strcmp(id, r->idle) == 0;
	r->busy_seen += strcmp(id, r->busy) == 0;
}

/* How many name files of this test process are left. */
static int files_left(void)
{
	char prefix[64];
	struct dirent *d;
	DIR *dir = opendir(sem_dir());
	int n = 0;

	snprintf(prefix, sizeof(prefix), "sem.t%ld.", (long)getpid());
	while (dir != NULL && (d = readdir(dir)) != NULL)
		n += strncmp(d->d_name, prefix, strlen(prefix)) == 0;
	if (dir != NULL)
		closedir(dir);
	return n;
}

/* Names, and arguments refused. */
static void test_args(void)
{
	char name[80];

	CHECK(sem_id_valid("default"));
	CHECK(sem_id_valid("a-Z_0.9:x"));
	CHECK(!sem_id_valid(""));
	CHECK(!sem_id_valid("a/b"));
	CHECK(!sem_id_valid("a b"));
	memset(name, 'x', 64);
	name[64] = '\0';
	CHECK(!sem_id_valid(name));
	errno = 0;
	CHECK(sem_acquire("a/b", 1, 0) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(sem_acquire(test_id("args"), 0, 0) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(sem_acquire(test_id("args"), SEM_SLOTS_MAX + 1, 0) == NULL &&
	      errno == EINVAL);
	sem_release(NULL);
}

/* n slots from one process; the n+1-th waits; counts; release. */
static void test_slots(void)
{
	const char *id = test_id("slots");
	struct sem_slot *s[4];
	unsigned holders, waiters;
	char path[PATH_MAX];
	struct stat st;
	long long t0;
	int i;

	CHECK(sem_count(id, &holders, &waiters) == 0 && holders == 0);
	CHECK(sem_wait_idle(id, 0) == 0); /* never used: idle */
	for (i = 0; i < 3; i++)
		CHECK((s[i] = sem_acquire(id, 3, 0)) != NULL);
	id_file(id, path, sizeof(path));
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600);
	CHECK(sem_count(id, &holders, &waiters) == 0 && holders == 3);
	errno = 0;
	CHECK(sem_acquire(id, 3, 0) == NULL && errno == EAGAIN);
	t0 = now_ms();
	errno = 0;
	CHECK(sem_acquire(id, 3, 150) == NULL && errno == EAGAIN);
	CHECK(now_ms() - t0 >= 140);
	/* a caller allowing more holders still gets in */
	CHECK((s[3] = sem_acquire(id, 4, 0)) != NULL);
	errno = 0;
	CHECK(sem_wait_idle(id, 0) == -1 && errno == EAGAIN);
	sem_release(s[3]);
	sem_release(s[0]);
	CHECK((s[0] = sem_acquire(id, 3, 0)) != NULL);
	for (i = 0; i < 3; i++)
		sem_release(s[i]);
	CHECK(sem_count(id, &holders, &waiters) == 0 && holders == 0);
	CHECK(sem_wait_idle(id, 0) == 0);
}

/* In a child: take a slot of id (n), say so on fd, then sleep. */
static pid_t holder(const char *id, unsigned n)
{
	int fds[2];
	pid_t pid;
	char c = 0;

	if (pipe(fds) == -1)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		if (sem_acquire(id, n, -1) == NULL)
			_exit(1);
		if (write(fds[1], "k", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &c, 1) != 1 || c != 'k')
		pid = -1;
	close(fds[0]);
	return pid;
}

/* A holder killed with SIGKILL gives its slot back at once. */
static void test_killed_holder(void)
{
	const char *id = test_id("kill");
	struct sem_slot *s;
	pid_t pid = holder(id, 1);
	long long t0;

	CHECK(pid > 0);
	errno = 0;
	CHECK(sem_acquire(id, 1, 0) == NULL && errno == EAGAIN);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	t0 = now_ms();
	s = sem_acquire(id, 1, 1000);
	CHECK(s != NULL);
	CHECK(now_ms() - t0 < 1000);
	sem_release(s);
}

/* A waiter sleeping in the kernel wakes when the slot is given back. */
static void test_waiter_wakes(void)
{
	const char *id = test_id("wake");
	struct sem_slot *s = sem_acquire(id, 1, 0);
	unsigned holders = 0, waiters = 0;
	int status = -1, tries;
	pid_t pid;

	CHECK(s != NULL);
	pid = fork();
	if (pid == 0)
		_exit(sem_acquire(id, 1, 5000) != NULL ? 0 : 1);
	for (tries = 0; tries < 200 && waiters == 0; tries++) {
		usleep(5000);
		sem_count(id, &holders, &waiters);
	}
	CHECK(holders == 1 && waiters == 1);
	sem_release(s);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0);
	CHECK(sem_wait_idle(id, 1000) == 0); /* the child's slot went too */
}

/* In a child: ROUNDS times take a slot of id (n), note the number of
 * holders in shared[0] and the largest seen in shared[1], give it back. */
static int contend(const char *id, unsigned n, _Atomic int *shared)
{
	struct sem_slot *s;
	int r, now, max;

	for (r = 0; r < ROUNDS; r++) {
		s = sem_acquire(id, n, -1);
		if (s == NULL)
			return 1;
		now = atomic_fetch_add(&shared[0], 1) + 1;
		max = atomic_load(&shared[1]);
		while (now > max &&
		       !atomic_compare_exchange_weak(&shared[1], &max, now))
			;
		usleep(10000);
		atomic_fetch_sub(&shared[0], 1);
		sem_release(s);
	}
	return 0;
}

/* CONTENDERS processes on 3 slots: never more than 3 at once. */
static void test_contenders(void)
{
	const char *id = test_id("many");
	_Atomic int *shared;
	pid_t pid[CONTENDERS];
	int i, status, ok = 0;

	shared = mmap(NULL, 2 * sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(shared != MAP_FAILED);
	atomic_init(&shared[0], 0);
	atomic_init(&shared[1], 0);
	for (i = 0; i < CONTENDERS; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			_exit(contend(id, 3, shared));
	}
	for (i = 0; i < CONTENDERS; i++)
		ok += waitpid(pid[i], &status, 0) == pid[i] &&
		      WIFEXITED(status) && WEXITSTATUS(status) == 0;
	CHECK_INT(ok, CONTENDERS);
	CHECK_INT(atomic_load(&shared[0]), 0);
	CHECK_INT(atomic_load(&shared[1]), 3);
	munmap(shared, 2 * sizeof(*shared));
}

/* A name file with garbage, or whose semaphore is gone, is replaced; one
 * that is not private is refused. */
static void test_bad_files(void)
{
	const char *id = test_id("bad");
	struct sem_slot *s;
	char path[PATH_MAX];
	int fd, semid = -1;
	FILE *f;

	id_file(id, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd != -1 && write(fd, "garbage\n", 8) == 8);
	close(fd);
	s = sem_acquire(id, 1, 0);
	CHECK(s != NULL);
	sem_release(s);
	/* its semaphore removed behind our back (ipcrm) */
	f = fopen(path, "r");
	CHECK(f != NULL && fscanf(f, "%d", &semid) == 1);
	fclose(f);
	CHECK(semctl(semid, 0, IPC_RMID) == 0);
	s = sem_acquire(id, 1, 0);
	CHECK(s != NULL);
	sem_release(s);
	CHECK(chmod(path, 0644) == 0);
	errno = 0;
	CHECK(sem_acquire(id, 1, 0) == NULL && errno == EPERM);
	CHECK(chmod(path, 0600) == 0); /* for test_cleanup */
}

/* Idle semaphores are removed, held ones kept; a removed one is made
 * again on next use. */
static void test_cleanup(void)
{
	const char *idle = test_id("idle"), *busy = test_id("busy");
	struct sem_slot *a = sem_acquire(idle, 1, 0);
	struct sem_slot *b = sem_acquire(busy, 1, 0);
	struct removed r = {idle, busy, 0, 0};
	char path[PATH_MAX];

	CHECK(a != NULL && b != NULL);
	sem_release(a);
	CHECK(sem_cleanup_idle(note_removed, &r) >= 1);
	CHECK(r.idle_seen == 1 && r.busy_seen == 0);
	id_file(idle, path, sizeof(path));
	CHECK(access(path, F_OK) == -1);
	id_file(busy, path, sizeof(path));
	CHECK(access(path, F_OK) == 0);
	a = sem_acquire(idle, 1, 0);
	CHECK(a != NULL);
	sem_release(a);
	sem_release(b);
	r.idle_seen = 0;
	CHECK(sem_cleanup_idle(note_removed, &r) >= 2);
	CHECK(r.idle_seen == 1 && r.busy_seen == 1);
	CHECK_INT(files_left(), 0); /* nothing left by these tests */
}

int main(void)
{
	test_args();
	test_slots();
	test_killed_holder();
	test_waiter_wakes();
	test_contenders();
	test_bad_files();
	test_cleanup();
	return UNIT_DONE();
}
