/* cpus: how many CPUs this machine has, counted as GNU parallel's
 * --number-of-threads / --number-of-cores / --number-of-sockets do. */
#ifndef MPRUN_CPUS_H
#define MPRUN_CPUS_H

enum cpu_unit { CPU_THREADS, CPU_CORES, CPU_SOCKETS };

/* The count (at least 1): online CPUs (threads), distinct (socket, core)
 * pairs of the online CPUs, or distinct sockets; from
 * /sys/devices/system/cpu, the thread count where that cannot be read. */
unsigned cpu_count(enum cpu_unit unit);

#endif
