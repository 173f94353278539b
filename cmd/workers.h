/* workers: the --workers run: a pool of long-lived worker processes, each
 * serving many inputs, one record in and one record out at a time. */
#ifndef MPRUN_CMD_WORKERS_H
#define MPRUN_CMD_WORKERS_H
#include "opts.h"

/* Run the --workers pool over the run's inputs; mprun's exit status. */
int workers_run(const struct cli *cli);

#endif
