/* mgr_rate: counter increments per second from one process, without a
 * process per increment: N times "add 1" to counter n of the run this
 * runs in, through the counter service (MPRUN_COUNTERS and its key: one
 * connection and challenge-response each) when the run's segment is not
 * here, else straight into the segment (MPRUN_SHM).
 * Usage: mgr_rate N   (prints "service|segment: N adds in S s (R/s)") */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mgr.h"
#include "shm.h"

/* Seconds since an arbitrary start. */
static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* n adds through the service at addr. 0 or -1 (message printed). */
static int by_service(const char *addr, long n)
{
	const char *key = getenv(MGR_KEY_ENV);
	char err[512], *reply;
	long i;

	for (i = 0; i < n; i++) {
		reply = NULL;
		if (mgr_call(addr, key != NULL ? key : "", "add n 1", &reply,
			     30000, err, sizeof(err)) == -1) {
			fprintf(stderr, "mgr_rate: %s\n", err);
			return -1;
		}
		free(reply);
	}
	return 0;
}

/* n adds into the segment name. 0 or -1 (message printed). */
static int by_segment(const char *name, long n)
{
	struct shm_seg *seg = shm_attach(name);
	long i;

	if (seg == NULL) {
		perror("mgr_rate: shm_attach");
		return -1;
	}
	for (i = 0; i < n; i++)
		shm_counter_add(seg, "n", 1, NULL);
	shm_detach(seg);
	return 0;
}

int main(int argc, char **argv)
{
	const char *addr = getenv(MGR_ENV), *shm = getenv(SHM_ENV);
	long n = argc > 1 ? atol(argv[1]) : 10000;
	int service = shm == NULL || *shm == '\0';
	double t0, s;

	if (n < 1 || (service && addr == NULL)) {
		fprintf(stderr, "usage: mgr_rate N (in a job of an mprun run)\n");
		return 2;
	}
	t0 = now();
	if ((service ? by_service(addr, n) : by_segment(shm, n)) == -1)
		return 1;
	s = now() - t0;
	printf("%s: %ld adds in %.3f s (%.0f/s)\n",
	       service ? "service" : "segment", n, s, (double)n / s);
	return 0;
}
