/* opts: the command line of mprun, parsed into a struct cli. The option
 * table in opts.c is the one source of --help and --list-options. */
#ifndef MPRUN_OPTS_H
#define MPRUN_OPTS_H
#include <stddef.h>
#include <stdint.h>

#include "input.h"
#include "order.h"
#include "pool.h"
#include "progress.h"
#include "template.h"

/* How records to and from --workers are delimited. */
enum { FRAMING_LINE, FRAMING_NUL, FRAMING_LEN };

/* -X: fill the command line, each word with {} repeated per input; -m:
 * fill it, {} standing for all the inputs. */
enum { FILL_NONE, FILL_CONTEXT, FILL_PLAIN };

/* Pipe mode: the blocks of stdin (or of -a FILE), or of a seekable file. */
enum { PIPE_NONE, PIPE_STREAM, PIPE_PART };

/* One input source as given on the command line. */
struct cli_source {
	int is_file;       /* :::: / -a, else ::: */
	int linked;        /* :::+ / ::::+ */
	const char *file;  /* the file name of :::: / -a ("-" is stdin) */
	char **values;     /* the ::: values */
	size_t n;
};

struct cli {
	const char *jobs;  /* as given, resolved by opts_slots() */
	enum order_policy order;
	enum pool_output output;
	int tag;
	const char *tagstring;
	/* --tagstring and --results with --header's names made {N}
	 * (cli_apply_header), or NULL */
	char *named_tag, *named_results;
	int null_delim;
	int delim;
	char *delims;         /* -d of more than one byte (GNU parallel's $/),
			       * ndelims of them, or NULL: delim */
	size_t ndelims;
	const char *colsep;
	const char *eof_str;  /* -E STR */
	int skip_blank;       /* -r */
	int shuffle;          /* --shuf */
	const char *shell;    /* --shell PATH */
	int skip_first;       /* --skip-first-line */
	int link;             /* --link */
	int no_insert;        /* -N 0: the inputs are not put in the command */
	int context;          /* -N, -L without --pipe: a word with {} is
			       * repeated per input, as -X does */
	int shell_quote;      /* --shell-quote */
	int trim;             /* --trim: INPUT_TRIM_* (both with --colsep,
			       * unless --trim is given, as in GNU parallel) */
	int trim_given;       /* --trim was given */
	const char *arg_sep, *arg_file_sep; /* for :::, :::: (NULL: those) */
	int nice, nice_set;   /* --nice N */
	uint64_t max_record;  /* --max-record: longest input record */
	size_t max_args;
	int fill;
	uint64_t mem_limit;
	uint64_t spill_limit;
	const char *tmpdir;
	int dry_run;
	int verbose;          /* -t, --verbose: commands on stderr */
	int echo;             /* -v: commands first in their job's stdout */
	const char *termseq;
	uint64_t timeout_ms;
	unsigned timeout_pct;
	unsigned retries;
	struct policy_halt halt;
	const char *halt_arg;
	uint64_t delay_ms;
	const char *on_success;
	const char *on_error;
	const char *joblog;
	int joblog_append;    /* --joblog +FILE */
	int resume;        /* 1 --resume, 2 --resume-failed */
	const char *results;
	int progress;      /* PROGRESS_* flags */
	const char *pipeline; /* --pipeline FILE */
	char **sets;       /* --set NAME=VALUE */
	size_t nsets;
	char **counter_inits; /* --counter-init NAME=N */
	size_t ncounter_inits;
	const char *counters_json;
	const char *workers;      /* --workers CMD */
	const char *worker_init;  /* --worker-init CMD */
	unsigned long long max_tasks; /* --max-tasks-per-worker */
	unsigned max_inflight;        /* --max-inflight (0: the default) */
	int framing;              /* FRAMING_* */
	int framing_set;
	int pipe;          /* PIPE_STREAM (--pipe), PIPE_PART (--pipepart) */
	uint64_t block;    /* --block SIZE (0: 1M) */
	unsigned long long block_parts; /* --block -N: N blocks per slot */
	const char *recend, *recstart; /* --recend, --recstart, or NULL */
	size_t nrecords;   /* -N: records per block (--pipe) */
	size_t lines;      /* -L: lines per record (--pipe) */
	int cat;           /* --cat: {} names a file holding the block */
	int regexp;        /* --regexp: --recend, --recstart are patterns */
	int remove_sep;    /* --remove-rec-sep, --rrs */
	const char *header; /* --header N, :, or a pattern (pipe mode) */
	int round_robin;   /* --round-robin: -j jobs fed blocks in turn */
	int fifo;          /* --fifo: {} is a named pipe giving the block */
	char **command;    /* the command words (may be 0) */
	char **named;      /* the words as --header : rewrote them (owned) */
	size_t ncommand;
	struct cli_source *sources;
	size_t nsources;
	int stdin_args;    /* no source given: stdin */
	/* remote execution */
	char **sshlogins;  /* -S/--sshlogin [N/]HOST[,...] (repeatable) */
	size_t nsshlogins;
	char **slfs;       /* --slf FILE (repeatable) */
	size_t nslfs;
	const char *ssh;   /* --ssh CMD */
	char **envs;       /* --env NAME (repeatable) */
	size_t nenvs;
	const char *workdir; /* --workdir/--wd DIR */
	int transfer;      /* --transfer */
	int transfer_absolute; /* --transfer-absolute */
	char **returns;    /* --return FILE (repeatable) */
	size_t nreturns;
	int cleanup;       /* --cleanup */
	int slurm;         /* --slurm (also set by --slurm-alloc) */
	unsigned slurm_cpus; /* --slurm-cpus N (0: 1) */
	const char *manager_addr; /* --manager-addr ADDR, or NULL */
	const char *slurm_alloc; /* --slurm-alloc "OPTIONS" */
	/* replacement strings */
	int plus;          /* --plus */
	int quote;         /* -q/--quote */
	const char *tags[TEMPLATE_TAG_COUNT]; /* -I, --er, ...: renamed */
	char **rpls;       /* --rpl 'TAG EXPR' (repeatable) */
	size_t nrpls;
	const char *report;      /* --report FILE (.svg, .html) */
	const char *joblog_in;   /* --joblog-in LOG: draw it, run nothing */
	/* throttles (lib/throttle) */
	double load;             /* --load MAX (0: none) */
	uint64_t memfree;        /* --memfree SIZE in bytes (0: none) */
	const char *limit;       /* --limit CMD (NULL: none, or a builtin
				  * that set load or memfree) */
	const char *throttle_opt; /* the first of them given (messages) */
	int onall;               /* ONALL_*: --onall, --nonall */
	int no_spread;           /* --xargs: -X that does not spread the
				  * last inputs over the slots */
	const char *slot_var;    /* --process-slot-var NAME */
	unsigned long long total_jobs; /* --total-jobs N (0: counted) */
};

/* --onall: every job on every host; --nonall: the command once on each. */
enum { ONALL_NONE, ONALL_ALL, ONALL_NONE_ARGS };

/* Parse argv. Returns 0 on success, 1 when the program should exit 0 at
 * once (--help, --version printed), -1 on a usage error (message printed
 * to stderr), -2 when it should exit 255 at once (--minversion said so). */
int opts_parse(int argc, char **argv, struct cli *cli);
void opts_free(struct cli *cli);
/* --onall, --nonall: the words of argv that a run on one host keeps:
 * every option but -S, --slf, -j, --onall, --nonall and --tag, then the
 * command and its inputs (*words: a new array of argv's strings, NULL
 * ended). 0, or -1 with a message (an option to drop inside a cluster of
 * short options). */
int opts_onall_words(int argc, char **argv, char ***words, size_t *n);
/* The number of slots from -j (N, N%, +N, -N), or 0 with a message. */
unsigned opts_slots(const char *jobs);

#endif
