/* pipe: the --pipeline run: load the file, make the stages' executors,
 * show the stage graph (--dry-run), log jobs; the run is lib/run's. */
#ifndef MPRUN_CMD_PIPE_H
#define MPRUN_CMD_PIPE_H
#include "opts.h"

/* Run the pipeline of cli->pipeline; returns mprun's exit status. */
int pipe_run(const struct cli *cli);

#endif
