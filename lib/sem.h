/* sem: named counting semaphores shared by independent processes of one
 * user, for `mprun --sem` (GNU parallel's sem): at most N holders of a
 * name at once.
 *
 * Each name is one System V semaphore taken and given back with SEM_UNDO,
 * so the kernel gives a slot back the moment its holder ends, however it
 * ends (SIGKILL included): a crashed holder never leaves a slot taken, and
 * waiters sleep in the kernel until a slot is free (no polling). The name
 * maps to the semaphore through the file SEM_DIR/mprun-sem.<uid>.<id>
 * (mode 0600, locked with flock while read or made), which holds the
 * semaphore's id and creation time; a file whose semaphore is gone, or not
 * this user's, is replaced.
 *
 * The semaphore's value is SEM_FREE minus the number of holders. Taking a
 * slot of N is one atomic semop: wait for value >= SEM_FREE - N + 1, then
 * give back all but one; so callers may even disagree on N.
 *
 * A slot belongs to the process that took it: it survives execve(), a
 * child made by fork() does not hold it, and it is given back when the
 * process ends. Only that process may call sem_release(). */
#ifndef MPRUN_SEM_H
#define MPRUN_SEM_H

#include <stddef.h>

#define SEM_DIR "/dev/shm" /* where the per-user directory is */
#define SEM_ID_MAX 63	     /* bytes in a semaphore's name */
#define SEM_FREE 16384	     /* the value when nobody holds a slot */
#define SEM_SLOTS_MAX 16383  /* the largest N */

struct sem_slot;

/* The directory of this user's name files: SEM_DIR/mprun-UID, made 0700
 * and checked to be ours and closed to others; if another user made it
 * first (or opened it), ~/.mprun-sem instead (see sem_dir_bypassed()).
 * NULL/errno when neither will do. */
const char *sem_dir(void);
/* After sem_dir() had to go round a directory someone else holds: what
 * happened, for a message; else NULL. */
const char *sem_dir_bypassed(void);
/* 1 if id is a valid name: 1..SEM_ID_MAX bytes from [A-Za-z0-9_.:-]. */
int sem_id_valid(const char *id);
/* Take one of n slots of id (made if needed), waiting at most timeout_ms
 * (-1: as long as it takes; 0: not at all). The slot, or NULL/errno:
 * EINVAL (bad id or n), EAGAIN (no slot in time, or the name's file
 * stayed locked by another process that long, or 0.2 s when
 * timeout_ms is 0), EINTR (a signal came), EPERM (the name's file is not
 * this user's). */
struct sem_slot *sem_acquire(const char *id, unsigned n, int timeout_ms);
/* What a failure of sem_acquire(), sem_wait_idle() or sem_count() on id
 * with errno err means, for a message: strerror(err), or (EPERM) the
 * name's file and what is wrong with it, written in buf. */
const char *sem_strerror(const char *id, int err, char *buf, size_t len);
/* Give the slot back and free it. NULL is allowed. Keeps errno. */
void sem_release(struct sem_slot *slot);
/* Wait until id has no holder, at most timeout_ms as for sem_acquire().
 * 0 (also if id was never used), or -1/errno (EAGAIN, EINTR, EINVAL). */
int sem_wait_idle(const char *id, int timeout_ms);
/* How many processes hold a slot of id, and how many wait (for a slot or
 * for it to be idle). 0 (both 0 for an unused id) or -1/errno (EAGAIN:
 * another process held the name's file locked for a second). */
int sem_count(const char *id, unsigned *holders, unsigned *waiters);
/* Remove this user's semaphores that nobody holds or waits for (and name
 * files left without a semaphore). removed (may be NULL) is told each id.
 * Returns how many, or -1/errno if SEM_DIR cannot be read. */
int sem_cleanup_idle(void (*removed)(void *data, const char *id), void *data);

#endif
