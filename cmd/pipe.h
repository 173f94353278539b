/* pipe: the --pipeline run: load the file, wire the stages, show progress,
 * log jobs, handle signals, and give the exit status. */
#ifndef MPRUN_CMD_PIPE_H
#define MPRUN_CMD_PIPE_H
#include "opts.h"

/* Run the pipeline of cli->pipeline; returns mprun's exit status. */
int run_pipeline(struct cli *cli);

#endif
