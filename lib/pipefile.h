/* pipefile: a pipeline file (YAML, read with libyaml), checked and turned
 * into stages. The format is described in man/mprun-pipeline.5:
 *
 *   vars:                      # optional: {{NAME}} in strings below
 *   counters: {done: 0}        # optional: shared counters, declared
 *     level: 9
 *   stages:                    # required: name -> stage, in run order
 *     find:
 *       cmd: find {{dir}} -name '*.log'
 *     compress:
 *       cmd: gzip -{{level}} {}
 *       input: find            # a stage name, a list of values, or a
 *       jobs: 2                # list of sources ({stage: S}, {values:
 *       n: 1                   # [...]}, {file: F}, {glob: G}, each may
 *       order: imap            # say linked: true, like :::+)
 *       timeout: 10s
 *       retries: 1
 *       env: {GZIP: -n}
 *       halt: now,fail=1
 *       on_success: echo ok {}
 *       on_error: echo failed {}
 *       after: [other]         # start only when these stages ended
 *       executor: ssh          # local (default), ssh or slurm
 *       hosts: [2/web1, web2]  # ssh: -S logins (a list or "a,b")
 *       ssh: ssh -p 2222       # ssh: the ssh command
 *       slurm_cpus: 2          # slurm: CPUs per job step
 *       slurm_alloc: -n4 -t 10 # slurm: salloc options when outside one
 *     model:                   # instead of cmd: long-lived workers, each
 *       workers: python3 -u serve.py   # input a record on their stdin
 *       worker_init: ...       # max_tasks_per_worker: N, framing: line|
 *                              # nul|len, max_inflight: N
 *     split:                   # --pipe: blocks of the one input (a stage
 *       cmd: wc -l             # or a file) are the jobs' stdin
 *       input: find
 *       pipe: true
 *       block: 1M              # recend: '\n', recstart: '>', header: 1,
 *                              # regexp, remove_rec_sep, round_robin,
 *                              # cat, fifo: true|false
 *
 * Every error names the file, line and column: "FILE:LINE:COL: message". */
#ifndef MPRUN_PIPEFILE_H
#define MPRUN_PIPEFILE_H
#include <stddef.h>
#include <stdint.h>

#include "order.h"
#include "pool.h"
#include "wpool.h"

enum pf_kind { PF_VALUES, PF_FILE, PF_GLOB, PF_STAGE };
/* Where a stage's jobs run. */
enum pf_executor { PF_LOCAL, PF_SSH, PF_SLURM };

struct pf_source {
	enum pf_kind kind;
	char **values;     /* PF_VALUES (and PF_GLOB once expanded) */
	size_t nvalues;
	char *path;        /* PF_FILE path, PF_GLOB pattern */
	size_t stage;      /* PF_STAGE: index of the stage read */
	int linked;        /* joins the previous source (:::+) */
};

struct pf_stage {
	char *name;
	char *cmd;
	struct pf_source *inputs;
	size_t ninputs;        /* 0: the stage runs once, with no input */
	unsigned jobs;         /* 0: online CPUs */
	size_t n;              /* inputs per job (-n); 0: 1 */
	enum order_policy order;
	int has_order;         /* order: given (else the command line's) */
	uint64_t timeout_ms;
	unsigned timeout_pct;
	unsigned retries;
	char **env;            /* "NAME=VALUE", NULL-terminated, or NULL */
	struct policy_halt halt;
	char *halt_text;
	char *on_success, *on_error;
	size_t *after;         /* indexes of stages to wait for */
	size_t nafter;
	int read_by_others;    /* some stage reads its stdout */
	enum pf_executor executor;
	char **hosts;          /* PF_SSH: -S values ("[N/]HOST"), NULL-
				* terminated */
	size_t nhosts;
	char *ssh;             /* PF_SSH: the ssh command, or NULL */
	unsigned slurm_cpus;   /* PF_SLURM: CPUs per step; 0: 1 */
	char *slurm_alloc;     /* PF_SLURM: salloc options, or NULL */
	/* A stage of long-lived workers (workers: instead of cmd:). */
	char *workers;         /* the workers' shell command, or NULL */
	char *worker_init;
	unsigned long long max_tasks; /* max_tasks_per_worker; 0: never */
	unsigned max_inflight; /* 0: the default */
	enum wpool_framing framing;
	/* pipe: true: the blocks of the one input are the jobs' stdin. */
	int pipe;
	uint64_t block;        /* 0: 1 MiB */
	char *recend, *recstart, *header; /* or NULL */
	int regexp;            /* recend, recstart are patterns */
	int remove_sep;        /* remove_rec_sep: --rrs */
	int round_robin;       /* jobs started once, fed blocks in turn */
	int cat, fifo;         /* {} is a file / a named pipe of the block */
};

struct pipefile {
	struct pf_stage *stages;
	size_t nstages;
	char **counters;     /* counters: declared, "NAME=VALUE" each */
	size_t ncounters;
};

/* Load and check path. sets are "NAME=VALUE" overrides of vars (--set).
 * On error: -1, and "FILE:LINE:COL: message" (or "FILE: message") in err.
 * *out is freed with pipefile_free(). */
int pipefile_load(const char *path, char *const *sets, size_t nsets,
		  struct pipefile **out, char *err, size_t errlen);
void pipefile_free(struct pipefile *pf);

#endif
