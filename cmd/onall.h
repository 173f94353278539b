/* onall: --onall and --nonall, done as GNU parallel does them: one run of
 * mprun per host (-S HOST -j1 and the other options; with --nonall, the
 * command once; --tag: --tagstring HOST), these runs being the jobs of an
 * outer run: -j hosts at once (default: all), -k in host order. Its exit
 * status is the number of hosts whose run failed, as GNU's. */
#ifndef MPRUN_CMD_ONALL_H
#define MPRUN_CMD_ONALL_H

#include "opts.h"

struct onall;

/* The command line of the outer run, for argv (parsed into cli, which has
 * onall set): *out_argc and *out_argv (owned by the returned state, freed
 * by onall_free). Inputs from stdin are copied into a temporary file first,
 * removed by onall_free. NULL: message printed. */
struct onall *onall_new(const struct cli *cli, int argc, char **argv,
			int *out_argc, char ***out_argv);
void onall_free(struct onall *o);

#endif
