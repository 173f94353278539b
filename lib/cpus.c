/* cpus: count CPUs (see cpus.h). */
#include "cpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_CPUS 4096

/* The integer in /sys/devices/system/cpu/cpuN/topology/what, or -1. */
static long topology(unsigned n, const char *what)
{
	char path[96];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path),
		 "/sys/devices/system/cpu/cpu%u/topology/%s", n, what);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Is CPU n online (cpu0 has no "online" file: always)? */
static int online(unsigned n)
{
	char path[64];
	int c = '1';
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/online",
		 n);
	f = fopen(path, "re");
	if (f == NULL)
		return access(path, F_OK) != 0; /* no file: online */
	c = fgetc(f);
	fclose(f);
	return c == '1';
}

unsigned cpu_count(enum cpu_unit unit)
{
	long threads = sysconf(_SC_NPROCESSORS_ONLN), sock, core;
	long *seen;
	unsigned n, i, count = 0;

	if (threads < 1)
		threads = 1;
	if (unit == CPU_THREADS)
		return (unsigned)threads;
	seen = calloc(MAX_CPUS, 2 * sizeof(*seen));
	if (seen == NULL)
		return (unsigned)threads;
	for (n = 0; n < MAX_CPUS; n++) {
		sock = topology(n, "physical_package_id");
		if (sock < 0)
			break;
		if (!online(n))
			continue;
		core = unit == CPU_CORES ? topology(n, "core_id") : 0;
		for (i = 0; i < count; i++)
			if (seen[2 * i] == sock && seen[2 * i + 1] == core)
				break;
		if (i == count) {
			seen[2 * count] = sock;
			seen[2 * count + 1] = core;
			count++;
		}
	}
	free(seen);
	return count > 0 ? count : (unsigned)threads;
}
