/* sem: named counting semaphores (System V, SEM_UNDO) for mprun --sem. */
#include "sem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define FILE_PREFIX "sem."
#define LOOKUP_TRIES 100 /* a semaphore removed under us: look again */
/* A name file's lock is held for a few system calls; one held longer (a
 * process of ours stopped, or another command locking it) is waited for
 * up to the caller's timeout, and at least this long. */
#define LOCK_WAIT_MIN_MS 200
#define LOCK_POLL_MS 5
#define COUNT_LOCK_WAIT_MS 1000 /* sem_count()'s */

/* semctl's fourth argument, which the caller must declare. */
union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

struct sem_slot {
	int semid;
};

int sem_id_valid(const char *id)
{
	size_t i, len = strlen(id);

	if (len == 0 || len > SEM_ID_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz"
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-",
			   id[i]) == NULL)
			return 0;
	return 1;
}

/* The directory of the name files (see sem_dir()), once found. */
static char dir_path[PATH_MAX];
static char dir_bypass[PATH_MAX + 128];

/* Make path a directory of ours, 0700 (made if missing): 0, or -1/errno
 * (EPERM: it is someone else's, or others may write or read in it; ENOTDIR:
 * not a directory, a symbolic link included). */
static int own_dir(const char *path)
{
	struct stat st;
	int fd;

	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		return -1;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1) {
		close_keep_errno(fd);
		return -1;
	}
	close(fd);
	if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

const char *sem_dir(void)
{
	char shm[64];
	const char *home = getenv("HOME");
	int err;

	if (dir_path[0] != '\0')
		return dir_path;
	snprintf(shm, sizeof(shm), SEM_DIR "/mprun-%lu",
		 (unsigned long)geteuid());
	if (own_dir(shm) == 0) {
		snprintf(dir_path, sizeof(dir_path), "%s", shm);
		return dir_path;
	}
	err = errno;
	/* another user made it first: our home is where nobody else can */
	if (home == NULL || home[0] != '/' ||
	    (size_t)snprintf(dir_path, sizeof(dir_path), "%s/.mprun-sem",
			     home) >= sizeof(dir_path) ||
	    own_dir(dir_path) == -1) {
		dir_path[0] = '\0';
		errno = err;
		return NULL;
	}
	snprintf(dir_bypass, sizeof(dir_bypass), "%s: %s: semaphores are in %s",
		 shm, strerror(err), dir_path);
	return dir_path;
}

const char *sem_dir_bypassed(void)
{
	return dir_bypass[0] != '\0' ? dir_bypass : NULL;
}

/* The path of id's name file; -1/errno when there is no safe directory. */
static int id_path(const char *id, char *path, size_t len)
{
	const char *dir = sem_dir();

	if (dir == NULL)
		return -1;
	snprintf(path, len, "%s/" FILE_PREFIX "%s", dir, id);
	return 0;
}

/* Lock fd, waiting at most until deadline_ms on the monotonic clock (0:
 * as long as it takes). 0, or -1/errno (EAGAIN: not in time). */
static int lock_until(int fd, uint64_t deadline_ms)
{
	struct timespec poll = {0, LOCK_POLL_MS * 1000000L};

	if (deadline_ms == 0)
		return flock(fd, LOCK_EX);
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		if (clock_now_ms() >= deadline_ms) {
			errno = EAGAIN;
			return -1;
		}
		nanosleep(&poll, NULL);
	}
	return 0;
}

/* The deadline of a wait of timeout_ms from now, for lock_until(): 0 for
 * -1 (as long as it takes), and at least LOCK_WAIT_MIN_MS away. */
static uint64_t lock_deadline(int timeout_ms)
{
	if (timeout_ms < 0)
		return 0;
	return clock_now_ms() +
	       (uint64_t)(timeout_ms > LOCK_WAIT_MIN_MS ? timeout_ms
							: LOCK_WAIT_MIN_MS);
}

const char *sem_strerror(const char *id, int err, char *buf, size_t len)
{
	char path[PATH_MAX];

	if (err != EPERM || id_path(id, path, sizeof(path)) == -1)
		return strerror(err);
	snprintf(buf, len, "%s: refused: not a regular file of this user's "
		 "with mode 0600 (remove it)", path);
	return buf;
}

/* Open id's name file (made if create) and lock it by deadline_ms (see
 * lock_until()). The fd, or -1/errno (ENOENT when missing and not create,
 * EAGAIN when the lock did not come in time). A file removed by a cleanup
 * between our open and our lock is let go and opened again. */
static int id_file_lock(const char *id, int create, uint64_t deadline_ms)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if (id_path(id, path, sizeof(path)) == -1)
		return -1;
	for (;;) {
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW |
					(create ? O_CREAT : 0),
			  0600);
		if (fd == -1)
			return -1;
		if (fstat(fd, &st) == -1)
			goto fail;
		/* (our own directory: still, nothing but our plain file) */
		errno = EPERM;
		if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
		    (st.st_mode & 077) != 0)
			goto fail;
		if (lock_until(fd, deadline_ms) == -1 ||
		    fstat(fd, &st) == -1)
			goto fail;
		if (st.st_nlink > 0)
			return fd;
		close(fd);
	}
fail:
	close_keep_errno(fd);
	return -1;
}

/* The semaphore named in the locked file fd, if it still exists and is
 * the one the file was written for; else -1. */
static int id_file_read(int fd)
{
	union semun arg;
	struct semid_ds ds;
	long long semid, ctime;
	char buf[64];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%lld %lld", &semid, &ctime) != 2 || semid < 0 ||
	    semid > INT_MAX)
		return -1;
	arg.buf = &ds;
	if (semctl((int)semid, 0, IPC_STAT, arg) == -1)
		return -1;
	if (ds.sem_perm.uid != geteuid() || ds.sem_nsems != 1 ||
	    (long long)ds.sem_ctime != ctime ||
	    (ds.sem_perm.mode & 0777) != 0600)
		return -1;
	return (int)semid;
}

/* Remove a semaphore, keeping errno (for cleanup paths). */
static void semid_remove_keep_errno(int semid)
{
	int saved = errno;

	semctl(semid, 0, IPC_RMID);
	errno = saved;
}

/* Make a semaphore with no holder and write it in the locked file fd.
 * Its id, or -1/errno. */
static int id_file_create(int fd)
{
	union semun arg;
	struct semid_ds ds;
	char buf[64];
	int semid, len;

	semid = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	if (semid == -1)
		return -1;
	arg.val = SEM_FREE;
	if (semctl(semid, 0, SETVAL, arg) == -1)
		goto fail;
	arg.buf = &ds;
	if (semctl(semid, 0, IPC_STAT, arg) == -1)
		goto fail;
	len = snprintf(buf, sizeof(buf), "%d %lld\n", semid,
		       (long long)ds.sem_ctime);
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, buf, (size_t)len, 0) != (ssize_t)len)
		goto fail;
	return semid;
fail:
	semid_remove_keep_errno(semid);
	return -1;
}

/* The semaphore of id, made if create and missing, its name file locked
 * by deadline_ms (see lock_until()). Its id, or -1/errno: ENOENT when
 * missing and not create, EAGAIN when the name file stayed locked. */
static int sem_lookup(const char *id, int create, uint64_t deadline_ms)
{
	int fd = id_file_lock(id, create, deadline_ms);
	int semid;

	if (fd == -1)
		return -1;
	semid = id_file_read(fd);
	if (semid == -1) {
		if (create)
			semid = id_file_create(fd);
		else
			errno = ENOENT;
	}
	close_keep_errno(fd);
	return semid;
}

/* semop, or semtimedop when timeout_ms > 0 (IPC_NOWAIT is the caller's
 * for 0). 0 or -1/errno; a timeout is EAGAIN. */
static int sem_ops(int semid, struct sembuf *ops, size_t n, int timeout_ms)
{
	struct timespec ts;

	if (timeout_ms <= 0)
		return semop(semid, ops, n);
	ts.tv_sec = timeout_ms / 1000;
	ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
	return semtimedop(semid, ops, n, &ts);
}

/* What is left of a wait of timeout_ms that ends at end_ms, for
 * sem_ops(): timeout_ms itself when it is -1 or 0, else at least 1. */
static int left_ms(int timeout_ms, uint64_t end_ms)
{
	uint64_t now = clock_now_ms();

	if (timeout_ms <= 0)
		return timeout_ms;
	return end_ms > now ? (int)(end_ms - now) : 1;
}

/* 1 if a failed semop means the semaphore was removed under us. */
static int sem_removed(void)
{
	return errno == EIDRM || errno == EINVAL;
}

struct sem_slot *sem_acquire(const char *id, unsigned n, int timeout_ms)
{
	short wait_flag = timeout_ms == 0 ? IPC_NOWAIT : 0;
	struct sembuf ops[2] = {
		/* wait for at most n - 1 holders ... */
		{0, (short)-(int)(SEM_FREE - n + 1), (short)(SEM_UNDO | wait_flag)},
		/* ... and be the one more */
		{0, (short)(SEM_FREE - n), SEM_UNDO},
	};
	uint64_t end = clock_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	uint64_t lock_end = lock_deadline(timeout_ms);
	struct sem_slot *slot;
	int semid, tries;

	errno = EINVAL;
	if (!sem_id_valid(id) || n < 1 || n > SEM_SLOTS_MAX)
		return NULL;
	slot = malloc(sizeof(*slot));
	if (slot == NULL)
		return NULL;
	for (tries = 0; tries < LOOKUP_TRIES; tries++) {
		semid = sem_lookup(id, 1, lock_end);
		if (semid == -1)
			break;
		if (sem_ops(semid, ops, 2, left_ms(timeout_ms, end)) == 0) {
			slot->semid = semid;
			return slot;
		}
		if (!sem_removed())
			break;
	}
	free(slot);
	return NULL;
}

void sem_release(struct sem_slot *slot)
{
	struct sembuf op = {0, 1, SEM_UNDO};
	int saved = errno;

	if (slot == NULL)
		return;
	semop(slot->semid, &op, 1);
	free(slot);
	errno = saved;
}

int sem_wait_idle(const char *id, int timeout_ms)
{
	short wait_flag = timeout_ms == 0 ? IPC_NOWAIT : 0;
	struct sembuf ops[2] = {
		{0, -SEM_FREE, wait_flag}, /* wait for no holder ... */
		{0, SEM_FREE, 0},	   /* ... and change nothing */
	};
	uint64_t end = clock_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	uint64_t lock_end = lock_deadline(timeout_ms);
	int semid, tries;

	if (!sem_id_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	for (tries = 0; tries < LOOKUP_TRIES; tries++) {
		semid = sem_lookup(id, 0, lock_end);
		if (semid == -1)
			return errno == ENOENT ? 0 : -1;
		if (sem_ops(semid, ops, 2, left_ms(timeout_ms, end)) == 0)
			return 0;
		if (!sem_removed())
			return -1;
	}
	return -1;
}

int sem_count(const char *id, unsigned *holders, unsigned *waiters)
{
	int semid, val, ncnt, zcnt;

	*holders = *waiters = 0;
	if (!sem_id_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	semid = sem_lookup(id, 0, lock_deadline(COUNT_LOCK_WAIT_MS));
	if (semid == -1)
		return errno == ENOENT ? 0 : -1;
	val = semctl(semid, 0, GETVAL);
	ncnt = semctl(semid, 0, GETNCNT);
	zcnt = semctl(semid, 0, GETZCNT);
	if (val == -1 || ncnt == -1 || zcnt == -1)
		return sem_removed() ? 0 : -1;
	*holders = val < SEM_FREE ? (unsigned)(SEM_FREE - val) : 0;
	*waiters = (unsigned)(ncnt + zcnt);
	return 0;
}

/* Remove id's semaphore and name file if nobody holds or waits for it.
 * 1 if removed. */
static int remove_if_idle(const char *id)
{
	int fd = id_file_lock(id, 0, lock_deadline(0));
	char path[PATH_MAX];
	int semid, removed = 0;

	if (fd == -1)
		return 0;
	semid = id_file_read(fd);
	if (semid == -1 || (semctl(semid, 0, GETVAL) == SEM_FREE &&
			    semctl(semid, 0, GETNCNT) == 0 &&
			    semctl(semid, 0, GETZCNT) == 0)) {
		if (semid != -1)
			semctl(semid, 0, IPC_RMID);
		removed = id_path(id, path, sizeof(path)) == 0 &&
			  unlink(path) == 0;
	}
	close(fd);
	return removed;
}

int sem_cleanup_idle(void (*removed)(void *data, const char *id), void *data)
{
	const char *prefix = FILE_PREFIX, *path = sem_dir(), *id;
	size_t plen = strlen(prefix);
	struct dirent *d;
	DIR *dir = path != NULL ? opendir(path) : NULL;
	int n = 0;

	if (dir == NULL)
		return -1;
	while ((d = readdir(dir)) != NULL) {
		id = d->d_name + plen;
		if (strncmp(d->d_name, prefix, plen) != 0 ||
		    !sem_id_valid(id) || !remove_if_idle(id))
			continue;
		n++;
		if (removed != NULL)
			removed(data, id);
	}
	closedir(dir);
	return n;
}
