/* shm_rate: counter updates per second through the library: THREADS
 * threads each add 1 to one counter N times in a fresh run segment.
 * Usage: shm_rate THREADS N  (prints adds/s; checks the total). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "shm.h"

static struct shm_seg *seg;
static long long per_thread;

/* One thread's share of the adds. */
static void *adder(void *arg)
{
	long long i;

	(void)arg;
	for (i = 0; i < per_thread; i++)
		shm_counter_add(seg, "n", 1, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 2;
	struct timespec t0, t1;
	pthread_t th[64];
	long long total;
	double s;
	int i;

	per_thread = argc > 2 ? atoll(argv[2]) : 1000000;
	if (threads < 1 || threads > 64 || (seg = shm_run_create("bench")) == NULL)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, adder, NULL);
	for (i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	shm_counter_get(seg, "n", &total);
	shm_run_destroy(seg);
	s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("library: %lld adds from %d threads in %.3fs (%.0f/s)\n", total,
	       threads, s, (double)total / s);
	return total == (long long)threads * per_thread ? 0 : 1;
}
