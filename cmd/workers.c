/* workers: mprun --workers CMD (placeholder until lib/wpool lands). */
#include "workers.h"

#include <stdio.h>

#include "common.h"

int run_workers(struct cli *cli)
{
	fprintf(stderr, "mprun: --workers %s: not available yet\n",
		cli->workers);
	return EXIT_USAGE;
}
