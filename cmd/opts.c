/* opts: parse mprun's command line (GNU parallel's spelling). */
#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blocks.h"
#include "cpus.h"
#include "jobenv.h"
#include "config.h"
#include "parse.h"
#include "policy.h"
#include "shell.h"
#include "throttle.h"

enum {
	OPT_ORDER = 256,
	OPT_GROUP,
	OPT_LINE_BUFFER,
	OPT_TAG,
	OPT_TAGSTRING,
	OPT_BUFFER_SIZE,
	OPT_SPILL_LIMIT,
	OPT_TMPDIR,
	OPT_DRY_RUN,
	OPT_VERSION,
	OPT_LIST_OPTIONS,
	OPT_TERMSEQ,
	OPT_TIMEOUT,
	OPT_RETRIES,
	OPT_HALT,
	OPT_DELAY,
	OPT_ON_SUCCESS,
	OPT_ON_ERROR,
	OPT_JOBLOG,
	OPT_RESUME,
	OPT_RESUME_FAILED,
	OPT_RESULTS,
	OPT_BAR,
	OPT_PROGRESS,
	OPT_ETA,
	OPT_PIPELINE,
	OPT_SET,
	OPT_COUNTER_INIT,
	OPT_COUNTERS_JSON,
	OPT_SLF,
	OPT_SSH,
	OPT_ENV,
	OPT_WORKDIR,
	OPT_TRANSFER,
	OPT_RETURN,
	OPT_CLEANUP,
	OPT_TRC,
	OPT_SLURM,
	OPT_SLURM_CPUS,
	OPT_MANAGER_ADDR,
	OPT_SLURM_ALLOC,
	OPT_WORKERS,
	OPT_WORKER_INIT,
	OPT_MAX_TASKS,
	OPT_MAX_INFLIGHT,
	OPT_FRAMING,
	OPT_MAX_RECORD,
	OPT_PIPE,
	OPT_PIPEPART,
	OPT_BLOCK,
	OPT_RECEND,
	OPT_RECSTART,
	OPT_CAT,
	OPT_REGEXP,
	OPT_RRS,
	OPT_HEADER,
	OPT_ROUND_ROBIN,
	OPT_FIFO,
	OPT_ARG_SEP,
	OPT_ARG_FILE_SEP,
	OPT_TRIM,
	OPT_NICE,
	OPT_WILL_CITE,
	OPT_CITATION,
	OPT_SHUF,
	OPT_SHELL,
	OPT_NO_KEEP_ORDER,
	OPT_SKIP_FIRST,
	OPT_SHELL_QUOTE,
	OPT_NCPUS,
	OPT_NCORES,
	OPT_NTHREADS,
	OPT_NSOCKETS,
	OPT_LINK,
	OPT_TRANSFER_ABS,
	OPT_PLUS,
	OPT_RPL,
	OPT_ER,
	OPT_BNR,
	OPT_DNR,
	OPT_BNER,
	OPT_SEQREPLACE,
	OPT_SLOTREPLACE,
	OPT_REPORT,
	OPT_JOBLOG_IN,
	OPT_LOAD,
	OPT_MEMFREE,
	OPT_LIMIT,
	OPT_ONALL,
	OPT_NONALL,
	OPT_XARGS,
	OPT_SLOT_VAR,
	OPT_MINVERSION,
	OPT_TOTAL_JOBS,
	OPT_CTAG,
	OPT_CTAGSTRING,
	OPT_COLOR,
	OPT_MAX_LINE,
	OPT_SHOW_LIMITS,
};

/* The one table of options: getopt's view plus the help text. */
struct opt_doc {
	struct option opt;
	const char *arg;  /* argument name for --help, or NULL */
	const char *help; /* NULL: hidden */
	char shortopt;    /* the short spelling, if any */
};

static const struct opt_doc opt_docs[] = {
	{{"jobs", required_argument, NULL, 'j'}, "N",
	 "run N jobs at once (N, N% of CPUs, +N, -N; default: CPUs)", 'j'},
	{{"arg-file", required_argument, NULL, 'a'}, "FILE",
	 "read inputs from FILE (like ::::)", 'a'},
	{{"null", no_argument, NULL, '0'}, NULL,
	 "inputs are separated by NUL, not newline", '0'},
	{{"delimiter", required_argument, NULL, 'd'}, "DELIM",
	 "inputs are separated by DELIM (bytes; \\n \\t \\r \\0 \\NNN)", 'd'},
	{{"colsep", required_argument, NULL, 'C'}, "REGEX",
	 "split each input line into columns {1} {2} ... (pcre2)", 'C'},
	{{"trim", required_argument, NULL, OPT_TRIM}, "n|l|r|lr",
	 "take white space off the left/right of each input (default n; lr "
	 "with --colsep)",
	 0},
	{{"eof", required_argument, NULL, 'E'}, "STR",
	 "an input equal to STR ends its source (xargs -E)", 'E'},
	{{"no-run-if-empty", no_argument, NULL, 'r'}, NULL,
	 "inputs of only blanks are not run", 'r'},
	{{"link", no_argument, NULL, OPT_LINK}, NULL,
	 "link the input sources (wrapping around), not cross them", 0},
	{{"xapply", no_argument, NULL, OPT_LINK}, NULL, NULL, 0},
	{{"skip-first-line", no_argument, NULL, OPT_SKIP_FIRST}, NULL,
	 "the first input is not used (a header)", 0},
	{{"shell-quote", no_argument, NULL, OPT_SHELL_QUOTE}, NULL,
	 "print the inputs quoted for the shell, one a line, and exit", 0},
	{{"shuf", no_argument, NULL, OPT_SHUF}, NULL,
	 "run the jobs in a random order (reads all inputs first)", 0},
	{{"arg-sep", required_argument, NULL, OPT_ARG_SEP}, "SEP",
	 "use SEP instead of ::: (and SEP+ for :::+)", 0},
	{{"arg-file-sep", required_argument, NULL, OPT_ARG_FILE_SEP}, "SEP",
	 "use SEP instead of :::: (and SEP+ for ::::+)", 0},
	{{"max-record", required_argument, NULL, OPT_MAX_RECORD}, "SIZE",
	 "a longer input record is an error (1G)", 0},
	{{"pipe", no_argument, NULL, OPT_PIPE}, NULL,
	 "cut stdin into blocks of records; each block is one job's stdin", 0},
	{{"spreadstdin", no_argument, NULL, OPT_PIPE}, NULL, NULL, 0},
	{{"pipepart", no_argument, NULL, OPT_PIPEPART}, NULL,
	 "as --pipe, with the blocks of the seekable file given by -a", 0},
	{{"pipe-part", no_argument, NULL, OPT_PIPEPART}, NULL, NULL, 0},
	{{"block", required_argument, NULL, OPT_BLOCK}, "SIZE",
	 "--pipe block size (1M; 1k is 1000, 1K 1024); --pipepart: -N is "
	 "N blocks per job slot", 0},
	{{"block-size", required_argument, NULL, OPT_BLOCK}, "SIZE", NULL, 0},
	{{"recend", required_argument, NULL, OPT_RECEND}, "STR",
	 "--pipe records end with STR (default a newline; \\0 \\n \\t ...)",
	 0},
	{{"recstart", required_argument, NULL, OPT_RECSTART}, "STR",
	 "--pipe records start with STR (default: none)", 0},
	{{"regexp", no_argument, NULL, OPT_REGEXP}, NULL,
	 "--recend and --recstart are regular expressions (pcre2)", 0},
	{{"remove-rec-sep", no_argument, NULL, OPT_RRS}, NULL,
	 "--pipe: take the record separators out of each block", 0},
	{{"removerecsep", no_argument, NULL, OPT_RRS}, NULL, NULL, 0},
	{{"rrs", no_argument, NULL, OPT_RRS}, NULL, NULL, 0},
	{{"header", required_argument, NULL, OPT_HEADER}, "N|:|REGEX",
	 "--pipe: the first N lines (:, one) start every job's input; "
	 "else --header : (any but 0) names the inputs' columns {name}", 0},
	{{"round-robin", no_argument, NULL, OPT_ROUND_ROBIN}, NULL,
	 "--pipe: start -j jobs once and feed them blocks in turn", 0},
	{{"round", no_argument, NULL, OPT_ROUND_ROBIN}, NULL, NULL, 0},
	{{"fifo", no_argument, NULL, OPT_FIFO}, NULL,
	 "--pipe: {} is a named pipe giving the block (implies --pipe)", 0},
	{{"max-replace-args", required_argument, NULL, 'N'}, "N",
	 "as -n; --pipe: exactly N records per job, not --block", 'N'},
	{{"max-lines", required_argument, NULL, 'L'}, "N",
	 "as -n; --pipe: a record is N lines (with -N M: M x N records)",
	 'L'},
	{{"cat", no_argument, NULL, OPT_CAT}, NULL,
	 "--pipe: {} is a file name holding the block (implies --pipe)", 0},
	{{"max-args", required_argument, NULL, 'n'}, "N",
	 "at most N inputs per command (0: one, put nowhere)", 'n'},
	/* a short option only: its long name is its letter (see opts_help) */
	{{"X", no_argument, NULL, 'X'}, NULL,
	 "fill the command line, repeating words with {} (context)", 'X'},
	{{"xargs", no_argument, NULL, OPT_XARGS}, NULL,
	 "as -m, the last inputs not spread over the job slots", 0},
	{{"multiple", no_argument, NULL, 'm'}, NULL,
	 "fill the command line, {} standing for all the inputs", 'm'},
	{{"keep-order", no_argument, NULL, 'k'}, NULL,
	 "output in input order, as soon as possible (--order imap)", 'k'},
	{{"no-keep-order", no_argument, NULL, OPT_NO_KEEP_ORDER}, NULL,
	 "output as jobs finish (the default; undoes -k)", 0},
	{{"order", required_argument, NULL, OPT_ORDER}, "POLICY",
	 "unordered (default), imap (= -k) or map (all at the end)", 0},
	{{"group", no_argument, NULL, OPT_GROUP}, NULL,
	 "each job's output as one unit (default)", 0},
	{{"line-buffer", no_argument, NULL, OPT_LINE_BUFFER}, NULL,
	 "output whole lines as they come", 0},
	{{"lb", no_argument, NULL, OPT_LINE_BUFFER}, NULL, NULL, 0},
	{{"ungroup", no_argument, NULL, 'u'}, NULL,
	 "output straight through, not captured", 'u'},
	{{"tag", no_argument, NULL, OPT_TAG}, NULL,
	 "prefix each output line with the inputs and a TAB", 0},
	{{"tagstring", required_argument, NULL, OPT_TAGSTRING}, "STR",
	 "prefix each output line with STR (replacement strings work)", 0},
	{{"ctag", no_argument, NULL, OPT_CTAG}, NULL,
	 "as --tag (GNU's colours are not shown)", 0},
	{{"ctagstring", required_argument, NULL, OPT_CTAGSTRING}, "STR",
	 "as --tagstring (no colours)", 0},
	{{"color", no_argument, NULL, OPT_COLOR}, NULL,
	 "accepted for GNU parallel's scripts (no colours)", 0},
	{{"process-slot-var", required_argument, NULL, OPT_SLOT_VAR}, "NAME",
	 "set NAME to the job's slot - 1 in its environment (xargs)", 0},
	{{"total-jobs", required_argument, NULL, OPT_TOTAL_JOBS}, "N",
	 "the number of jobs, for --halt N% and the progress, before they "
	 "are counted", 0},
	{{"total", required_argument, NULL, OPT_TOTAL_JOBS}, "N", NULL, 0},
	{{"max-line-length-allowed", no_argument, NULL, OPT_MAX_LINE}, NULL,
	 "print the longest shell command line a job may have, and exit", 0},
	{{"show-limits", no_argument, NULL, OPT_SHOW_LIMITS}, NULL,
	 "print the limits of a command line's length, then run", 0},
	{{"minversion", required_argument, NULL, OPT_MINVERSION}, "VERSION",
	 "print the GNU parallel version followed (20221122); exit 255 if "
	 "older than VERSION", 0},
	{{"buffer-size", required_argument, NULL, OPT_BUFFER_SIZE}, "SIZE",
	 "output held in memory per job stream before spilling (1M)", 0},
	{{"spill-limit", required_argument, NULL, OPT_SPILL_LIMIT}, "SIZE",
	 "spilled output per job stream before the job is paused (1G)", 0},
	{{"tmpdir", required_argument, NULL, OPT_TMPDIR}, "DIR",
	 "where spilled output goes (default $TMPDIR or /tmp)", 0},
	{{"termseq", required_argument, NULL, OPT_TERMSEQ}, "SEQ",
	 "signals and waits that end a job (TERM,200,TERM,100,TERM,50,KILL,25)",
	 0},
	{{"term-seq", required_argument, NULL, OPT_TERMSEQ}, "SEQ", NULL, 0},
	{{"timeout", required_argument, NULL, OPT_TIMEOUT}, "DURATION",
	 "end a job that runs longer (seconds, 1m30s, or N% of the median)",
	 0},
	{{"retries", required_argument, NULL, OPT_RETRIES}, "N",
	 "run a failed job again, up to N more times", 0},
	{{"halt", required_argument, NULL, OPT_HALT}, "WHEN,WHAT=N",
	 "stop early: now|soon,fail|success|done=N|N%", 0},
	{{"halt-on-error", required_argument, NULL, OPT_HALT}, "WHEN,WHAT=N",
	 NULL, 0},
	{{"delay", required_argument, NULL, OPT_DELAY}, "DURATION",
	 "wait this long between two job starts", 0},
	{{"load", required_argument, NULL, OPT_LOAD}, "MAX",
	 "start no job while MAX processes or more run (N, N%, +N, -N)", 0},
	{{"memfree", required_argument, NULL, OPT_MEMFREE}, "SIZE",
	 "start no job while less memory is free; below half, end the "
	 "youngest", 0},
	{{"limit", required_argument, NULL, OPT_LIMIT}, "CMD",
	 "run CMD before each start: exit 0 start, 1 wait, 2 end the "
	 "youngest", 0},
	{{"on-success", required_argument, NULL, OPT_ON_SUCCESS}, "CMD",
	 "run CMD (a shell command) after each job that succeeded", 0},
	{{"on-error", required_argument, NULL, OPT_ON_ERROR}, "CMD",
	 "run CMD (a shell command) after each job that failed", 0},
	{{"joblog", required_argument, NULL, OPT_JOBLOG}, "FILE",
	 "log each finished job to FILE (GNU parallel's format; +FILE "
	 "appends)", 0},
	{{"jl", required_argument, NULL, OPT_JOBLOG}, "FILE", NULL, 0},
	{{"resume", no_argument, NULL, OPT_RESUME}, NULL,
	 "skip the jobs the --joblog shows as done", 0},
	{{"resume-failed", no_argument, NULL, OPT_RESUME_FAILED}, NULL,
	 "skip the jobs the --joblog shows as succeeded; rerun failed ones", 0},
	{{"results", required_argument, NULL, OPT_RESULTS}, "DIR",
	 "save each job's stdout, stderr and status in DIR/SEQ/ (a DIR "
	 "with {}: each job's own place)", 0},
	{{"res", required_argument, NULL, OPT_RESULTS}, "DIR", NULL, 0},
	{{"bar", no_argument, NULL, OPT_BAR}, NULL,
	 "show a progress bar on stderr", 0},
	{{"progress", no_argument, NULL, OPT_PROGRESS}, NULL,
	 "show done/running/failed/total (pipe mode: bytes) on stderr", 0},
	{{"eta", no_argument, NULL, OPT_ETA}, NULL,
	 "show progress with the estimated time left on stderr", 0},
	{{"pipeline", required_argument, NULL, OPT_PIPELINE}, "FILE",
	 "run the stages of a YAML pipeline file (see mprun-pipeline(5))", 0},
	{{"set", required_argument, NULL, OPT_SET}, "NAME=VALUE",
	 "override a variable of the pipeline file's vars:", 0},
	{{"counter-init", required_argument, NULL, OPT_COUNTER_INIT},
	 "NAME=N", "declare a shared counter (jobs: mprun --counter NAME +1)",
	 0},
	{{"counters-json", required_argument, NULL, OPT_COUNTERS_JSON},
	 "FILE", "write the shared counters to FILE as JSON at the end", 0},
	{{"workers", required_argument, NULL, OPT_WORKERS}, "CMD",
	 "start -j long-lived CMDs; send each one input at a time on stdin "
	 "and read one result record back", 0},
	{{"worker-init", required_argument, NULL, OPT_WORKER_INIT}, "CMD",
	 "run CMD (a shell command) in each worker before it starts", 0},
	{{"max-tasks-per-worker", required_argument, NULL, OPT_MAX_TASKS}, "N",
	 "restart a worker after it served N inputs", 0},
	{{"max-inflight", required_argument, NULL, OPT_MAX_INFLIGHT}, "N",
	 "send a worker up to N inputs ahead of its results (default 64)", 0},
	{{"framing", required_argument, NULL, OPT_FRAMING}, "KIND",
	 "worker records: line (default), nul (-0), or len (length-prefixed)",
	 0},
	{{"sshlogin", required_argument, NULL, 'S'}, "[N/]HOST[,...]",
	 "run jobs on these SSH hosts (N jobs each; ':' is this machine)",
	 'S'},
	{{"onall", no_argument, NULL, OPT_ONALL}, NULL,
	 "run all the jobs on every -S host (one mprun -j1 per host; "
	 "this one without -S)",
	 0},
	{{"nonall", no_argument, NULL, OPT_NONALL}, NULL,
	 "run the command, with no inputs, once on every -S host (this one "
	 "without -S)",
	 0},
	{{"slf", required_argument, NULL, OPT_SLF}, "FILE",
	 "read SSH logins from FILE, one a line", 0},
	{{"ssh", required_argument, NULL, OPT_SSH}, "CMD",
	 "the ssh command and its options (default: ssh)", 0},
	{{"env", required_argument, NULL, OPT_ENV}, "NAME",
	 "send the variable NAME to remote jobs (-S)", 0},
	{{"workdir", required_argument, NULL, OPT_WORKDIR}, "DIR",
	 "run jobs in DIR (made if missing; on the remote host with -S)", 0},
	{{"wd", required_argument, NULL, OPT_WORKDIR}, "DIR", NULL, 0},
	{{"transfer", no_argument, NULL, OPT_TRANSFER}, NULL,
	 "copy each input file to the remote host first", 0},
	{{"transfer-absolute", no_argument, NULL, OPT_TRANSFER_ABS}, NULL,
	 "--transfer: absolute and ../ paths go to the same paths there", 0},
	{{"return", required_argument, NULL, OPT_RETURN}, "FILE",
	 "copy FILE back from the remote host after the job", 0},
	{{"cleanup", no_argument, NULL, OPT_CLEANUP}, NULL,
	 "remove transferred and returned files on the remote host", 0},
	{{"trc", required_argument, NULL, OPT_TRC}, "FILE",
	 "--transfer --return FILE --cleanup", 0},
	{{"slurm", no_argument, NULL, OPT_SLURM}, NULL,
	 "run each job as a step of the Slurm allocation (srun)", 0},
	{{"slurm-cpus", required_argument, NULL, OPT_SLURM_CPUS}, "N",
	 "CPUs of each Slurm job step (default 1)", 0},
	{{"manager-addr", required_argument, NULL, OPT_MANAGER_ADDR}, "ADDR",
	 "the address Slurm steps reach the counter service at", 0},
	{{"slurm-alloc", required_argument, NULL, OPT_SLURM_ALLOC}, "OPTIONS",
	 "get a Slurm allocation with salloc OPTIONS (implies --slurm)", 0},
	{{"shell", required_argument, NULL, OPT_SHELL}, "PATH",
	 "the shell of commands that need one (default: the one mprun "
	 "was started from)", 0},
	{{"nice", required_argument, NULL, OPT_NICE}, "N",
	 "run mprun and its jobs at niceness N", 0},
	{{"max-procs", required_argument, NULL, 'P'}, "N", "the same as -j",
	 'P'},
	{{"will-cite", no_argument, NULL, OPT_WILL_CITE}, NULL,
	 "accepted for GNU parallel's scripts (does nothing)", 0},
	{{"no-notice", no_argument, NULL, OPT_WILL_CITE}, NULL, NULL, 0},
	{{"citation", no_argument, NULL, OPT_CITATION}, NULL,
	 "how to cite GNU parallel, whose interface mprun follows", 0},
	{{"number-of-cpus", no_argument, NULL, OPT_NCPUS}, NULL,
	 "print the number of CPU cores and exit (also --number-of-cores)",
	 0},
	{{"number-of-cores", no_argument, NULL, OPT_NCORES}, NULL, NULL, 0},
	{{"number-of-threads", no_argument, NULL, OPT_NTHREADS}, NULL,
	 "print the number of hardware threads (online CPUs) and exit", 0},
	{{"number-of-sockets", no_argument, NULL, OPT_NSOCKETS}, NULL,
	 "print the number of CPU sockets and exit", 0},
	{{"silent", no_argument, NULL, OPT_WILL_CITE}, NULL, NULL, 0},
	{{"dry-run", no_argument, NULL, OPT_DRY_RUN}, NULL,
	 "print the commands instead of running them", 0},
	{{"echo", no_argument, NULL, 'v'}, NULL,
	 "print each command first in its job's output (GNU's -v)", 'v'},
	{{"verbose", no_argument, NULL, 't'}, NULL,
	 "print each command on stderr before it runs", 't'},
	{{"gnu", no_argument, NULL, OPT_WILL_CITE}, NULL, NULL, 0},
	{{"plain", no_argument, NULL, OPT_WILL_CITE}, NULL,
	 "accepted (mprun reads no profile or config file)", 0},
	{{"version", no_argument, NULL, OPT_VERSION}, NULL,
	 "print the version and exit", 0},
	{{"help", no_argument, NULL, 'h'}, NULL, "print this help and exit",
	 'h'},
	{{"list-options", no_argument, NULL, OPT_LIST_OPTIONS}, NULL, NULL, 0},
	{{"plus", no_argument, NULL, OPT_PLUS}, NULL,
	 "GNU parallel's --plus replacement strings ({+.} {..} {0%} "
	 "{:N} {#RE} {/RE/STR} ...)", 0},
	{{"rpl", required_argument, NULL, OPT_RPL}, "'TAG S///'",
	 "define the replacement string TAG as {= S/// =}", 0},
	{{"quote", no_argument, NULL, 'q'}, NULL,
	 "each command word is one word: no shell syntax in it", 'q'},
	{{"replace", optional_argument, NULL, 'i'}, NULL,
	 "-iR or --replace=R: R instead of {} (alone: -I {}, as xargs -i)",
	 'i'},
	{{"extensionreplace", required_argument, NULL, OPT_ER}, "R",
	 "R instead of {.}", 0},
	{{"er", required_argument, NULL, OPT_ER}, "R", NULL, 0},
	{{"basenamereplace", required_argument, NULL, OPT_BNR}, "R",
	 "R instead of {/}", 0},
	{{"bnr", required_argument, NULL, OPT_BNR}, "R", NULL, 0},
	{{"dirnamereplace", required_argument, NULL, OPT_DNR}, "R",
	 "R instead of {//}", 0},
	{{"dnr", required_argument, NULL, OPT_DNR}, "R", NULL, 0},
	{{"basenameextensionreplace", required_argument, NULL, OPT_BNER}, "R",
	 "R instead of {/.}", 0},
	{{"bner", required_argument, NULL, OPT_BNER}, "R", NULL, 0},
	{{"seqreplace", required_argument, NULL, OPT_SEQREPLACE}, "R",
	 "R instead of {#}", 0},
	{{"slotreplace", required_argument, NULL, OPT_SLOTREPLACE}, "R",
	 "R instead of {%}", 0},
	/* a short option only: its long name is its letter (see opts_help) */
	{{"I", required_argument, NULL, 'I'}, "R",
	 "R instead of {} (as xargs -I; {} is then text)", 'I'},
	{{"report", required_argument, NULL, OPT_REPORT}, "FILE",
	 "draw the run as a timeline in FILE (.svg, or .html with tables)",
	 0},
	{{"joblog-in", required_argument, NULL, OPT_JOBLOG_IN}, "LOG",
	 "with --report: draw the run of the job log LOG; run nothing", 0},
	/* GNU parallel's other spellings of the options above */
	{{"argfile", required_argument, NULL, 'a'}, NULL, NULL, 0},
	{{"argfilesep", required_argument, NULL, OPT_ARG_FILE_SEP}, NULL, NULL,
	 0},
	{{"argsep", required_argument, NULL, OPT_ARG_SEP}, NULL, NULL, 0},
	{{"blocksize", required_argument, NULL, OPT_BLOCK}, NULL, NULL, 0},
	{{"dryrun", no_argument, NULL, OPT_DRY_RUN}, NULL, NULL, 0},
	{{"keeporder", no_argument, NULL, 'k'}, NULL, NULL, 0},
	{{"nokeeporder", no_argument, NULL, OPT_NO_KEEP_ORDER}, NULL, NULL, 0},
	{{"nok", no_argument, NULL, OPT_NO_KEEP_ORDER}, NULL, NULL, 0},
	{{"line-buffered", no_argument, NULL, OPT_LINE_BUFFER}, NULL, NULL, 0},
	{{"linebuffer", no_argument, NULL, OPT_LINE_BUFFER}, NULL, NULL, 0},
	{{"linebuffered", no_argument, NULL, OPT_LINE_BUFFER}, NULL, NULL, 0},
	{{"maxargs", required_argument, NULL, 'n'}, NULL, NULL, 0},
	{{"maxlines", required_argument, NULL, 'L'}, NULL, NULL, 0},
	{{"maxprocs", required_argument, NULL, 'P'}, NULL, NULL, 0},
	{{"maxreplaceargs", required_argument, NULL, 'N'}, NULL, NULL, 0},
	{{"maxlinelengthallowed", no_argument, NULL, OPT_MAX_LINE}, NULL, NULL,
	 0},
	{{"numberofcpus", no_argument, NULL, OPT_NCPUS}, NULL, NULL, 0},
	{{"numberofcores", no_argument, NULL, OPT_NCORES}, NULL, NULL, 0},
	{{"numberofthreads", no_argument, NULL, OPT_NTHREADS}, NULL, NULL, 0},
	{{"numberofsockets", no_argument, NULL, OPT_NSOCKETS}, NULL, NULL, 0},
	{{"processslotvar", required_argument, NULL, OPT_SLOT_VAR}, NULL, NULL,
	 0},
	{{"roundrobin", no_argument, NULL, OPT_ROUND_ROBIN}, NULL, NULL, 0},
	{{"shellquote", no_argument, NULL, OPT_SHELL_QUOTE}, NULL, NULL, 0},
	{{"shell_quote", no_argument, NULL, OPT_SHELL_QUOTE}, NULL, NULL, 0},
	{{"showlimits", no_argument, NULL, OPT_SHOW_LIMITS}, NULL, NULL, 0},
	{{"skipfirstline", no_argument, NULL, OPT_SKIP_FIRST}, NULL, NULL, 0},
	{{"sshloginfile", required_argument, NULL, OPT_SLF}, NULL, NULL, 0},
	{{"tag-string", required_argument, NULL, OPT_TAGSTRING}, NULL, NULL,
	 0},
	{{"tempdir", required_argument, NULL, OPT_TMPDIR}, NULL, NULL, 0},
	{{"totaljobs", required_argument, NULL, OPT_TOTAL_JOBS}, NULL, NULL, 0},
	{{"work-dir", required_argument, NULL, OPT_WORKDIR}, NULL, NULL, 0},
	{{"resumefailed", no_argument, NULL, OPT_RESUME_FAILED}, NULL, NULL,
	 0},
	/* -M: SSH through a control master, which mprun always does */
	{{"controlmaster", no_argument, NULL, 'M'}, NULL, NULL, 'M'},
};

#define NOPTS (sizeof(opt_docs) / sizeof(opt_docs[0]))
/* The GNU parallel whose interface mprun follows (--minversion). */
#define GNU_VERSION "20221122"
/* getopt's short options (the "+": options end at the command). */
#define OPTSTRING "+j:P:a:0d:C:n:N:L:E:rXmkuvthS:I:i::qM"

/* Print the usage message. */
static void opts_help(FILE *f)
{
	size_t i;
	char left[64];

	fprintf(f, "Usage: mprun [OPTION]... COMMAND [ARG]... "
		   "[::: INPUTS | :::: FILES]...\n"
		   "Run COMMAND once per input, several at a time.\n\n");
	for (i = 0; i < NOPTS; i++) {
		const struct opt_doc *d = &opt_docs[i];
		char also[128] = "";
		size_t k, at = 0;

		if (d->help == NULL)
			continue;
		/* its other spellings (rows without help, same value) */
		for (k = 0; k < NOPTS; k++) {
			const struct opt_doc *a = &opt_docs[k];
			int n;

			if (a->help != NULL || a->opt.val != d->opt.val ||
			    a->opt.val == OPT_WILL_CITE || at >= sizeof(also))
				continue;
			n = snprintf(also + at, sizeof(also) - at, "%s--%s",
				     at ? ", " : " (also ", a->opt.name);
			at = n > 0 ? at + (size_t)n : at;
		}
		if (at > 0 && at + 1 < sizeof(also))
			strcat(also, ")");
		if (d->shortopt && d->opt.name[1] == '\0')
			snprintf(left, sizeof(left), "-%c%s%s", d->shortopt,
				 d->arg ? " " : "", d->arg ? d->arg : "");
		else if (d->shortopt)
			snprintf(left, sizeof(left), "-%c, --%s%s%s",
				 d->shortopt, d->opt.name, d->arg ? " " : "",
				 d->arg ? d->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", d->opt.name,
				 d->arg ? " " : "", d->arg ? d->arg : "");
		if (strlen(left) > 28)
			fprintf(f, "  %s\n  %-28s %s", left, "", d->help);
		else
			fprintf(f, "  %-28s %s", left, d->help);
		if (at > 0 && 31 + strlen(d->help) + strlen(also) > 79)
			fprintf(f, "\n  %-28s%s", "", also); /* a line of its own */
		else
			fputs(also, f);
		fputc('\n', f);
	}
	fprintf(f,
		"\nInputs: ::: ARGS (a list), :::+ ARGS (linked to the previous),\n"
		"  :::: FILES, ::::+ FILES; several sources combine as a "
		"cartesian product;\n"
		"  with none, inputs are read from stdin.\n"
		"Replacement strings: {} {.} {/} {//} {/.} {#} {%%} {n} {n.} "
		"{n/} {n//} {n/.}\n"
		"  {= s/RE/REPL/FLAGS =} {=n s/RE/REPL/ =} (more with --plus)\n"
		"  (with none, the input is appended; inputs are quoted for the "
		"shell).\n\n"
		"Other modes (first on the command line):\n"
		"  mprun --counter NAME [+N|-N|=N]   read or change a counter "
		"(inside a job)\n"
		"  mprun --counters                  the run's counters\n"
		"  mprun --status [PID]              the figures of running "
		"runs\n"
		"  mprun --cleanup                   remove what crashed runs "
		"left\n"
		"  mprun --sem|--semaphore [--id NAME] [-j N] [--fg|--bg] "
		"[--st S] CMD\n"
		"                                    run CMD holding one of N "
		"slots (also: sem)\n"
		"  mprun --sem --wait [--id NAME]    wait until nobody holds "
		"NAME\n\n"
		"Exit status: 0 all jobs succeeded; 1-100 that many failed; "
		"101 more than\n"
		"  100 failed; 130 interrupted (Ctrl-C); 131 quit (Ctrl-\\); "
		"255 usage or\n  other error.\n");
}

/* Print every long option, one per line (for the docs check). */
static void opts_list(void)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (opt_docs[i].help != NULL && opt_docs[i].opt.name[1] != '\0')
			printf("--%s\n", opt_docs[i].opt.name);
}

/* Inside parse_opt(): its caller adds the pointer to --help. */
static int in_option;

/* A usage error: message (printf-style), and a pointer to --help. */
__attribute__((format(printf, 1, 2))) static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "mprun: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (!in_option)
		fprintf(stderr, "Try 'mprun --help' for more information.\n");
	return -1;
}

/* getopt refused word (as given): say why, naming the option. */
static int bad_option(const char *word)
{
	const struct opt_doc *d = NULL;
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if ((optopt != 0 && opt_docs[i].opt.val == optopt) ||
		    (optopt != 0 && opt_docs[i].shortopt == optopt))
			d = &opt_docs[i];
	/* (a letter not known in a cluster that goes on, as -l2: getopt is
	 * still in that word, and word is the one before it) */
	if (d == NULL && optopt > ' ' && optopt < 127)
		return usage_error("unknown option -%c", optopt);
	if (d == NULL)
		return usage_error("unknown option %s", word);
	if (strncmp(word, "--", 2) == 0 && strchr(word, '=') != NULL &&
	    d->opt.has_arg == no_argument)
		return usage_error("%s takes no argument", word);
	if (strncmp(word, "--", 2) == 0)
		return usage_error("--%s needs an argument", d->opt.name);
	return usage_error("-%s needs an argument",
			   (char[]){(char)optopt, 0});
}

/* Is s sep, or sep followed by "+"? Sets linked. */
static int is_sep(const char *s, const char *sep, int *linked)
{
	size_t n = strlen(sep);

	if (strncmp(s, sep, n) != 0 || (s[n] != '\0' && strcmp(s + n, "+")))
		return 0;
	*linked = s[n] == '+';
	return 1;
}

/* Is s one of the input separators (:::, :::+, ::::, ::::+, or as
 * --arg-sep and --arg-file-sep set them)? Sets is_file and linked. */
static int is_separator(const struct cli *cli, const char *s, int *is_file,
			int *linked)
{
	if (is_sep(s, cli->arg_sep ? cli->arg_sep : ":::", linked)) {
		*is_file = 0;
		return 1;
	}
	if (is_sep(s, cli->arg_file_sep ? cli->arg_file_sep : "::::",
		   linked)) {
		*is_file = 1;
		return 1;
	}
	return 0;
}

/* Add a source to the cli. */
static int add_source(struct cli *cli, int is_file, int linked,
		      const char *file, char **values, size_t n)
{
	struct cli_source *s;

	s = realloc(cli->sources, (cli->nsources + 1) * sizeof(*s));
	if (s == NULL)
		return -1;
	cli->sources = s;
	s[cli->nsources++] =
		(struct cli_source){is_file, linked, file, values, n};
	return 0;
}

/* Parse the words after the options: command, then input sources. */
static int parse_rest(int argc, char **argv, int i, struct cli *cli)
{
	int is_file, linked, start;

	cli->command = argv + i;
	while (i < argc && !is_separator(cli, argv[i], &is_file, &linked))
		i++;
	cli->ncommand = (size_t)(argv + i - cli->command);
	while (i < argc) {
		int next_file, next_linked;

		is_separator(cli, argv[i], &is_file, &linked);
		start = ++i;
		while (i < argc &&
		       !is_separator(cli, argv[i], &next_file, &next_linked))
			i++;
		if (is_file && i == start)
			return usage_error("%s needs at least one file name",
					   argv[start - 1]);
		if (is_file) {
			for (int k = start; k < i; k++)
				/* Several files after one :::: are separate
				 * sources, combined; after ::::+ each is
				 * linked (GNU). */
				if (add_source(cli, 1, linked, argv[k], NULL,
					       0) == -1)
					return -1;
		} else if (add_source(cli, 0, linked, NULL, argv + start,
				      (size_t)(i - start)) == -1) {
			return -1;
		}
	}
	return 0;
}

/* Parse a size option's value. */
static int opt_size(const char *name, const char *v, uint64_t *out)
{
	if (parse_size(v, out) == -1 || *out == 0) {
		fprintf(stderr,
			"mprun: %s: \"%s\" is not a size (such as 64K, 1M)\n",
			name, v);
		return -1;
	}
	return 0;
}

/* Is c an octal digit? */
static int is_octal(char c)
{
	return c >= '0' && c <= '7';
}

/* -d STR, as GNU parallel's: \t \n \r, \DDD and \D (octal) are their
 * bytes, all else is itself; one byte, or a string of them (Perl's $/). */
static int parse_delim(const char *arg, struct cli *cli)
{
	size_t n = 0, i;
	char *d = malloc(strlen(arg) + 1);

	if (d == NULL)
		return usage_error("-d: %s", strerror(errno));
	for (i = 0; arg[i] != '\0'; i++) {
		const char *e = strchr("tnr", arg[i + 1]);

		if (arg[i] != '\\' || arg[i + 1] == '\0') {
			d[n++] = arg[i];
		} else if (e != NULL) {
			d[n++] = "\t\n\r"[e - "tnr"];
			i++;
		} else if (is_octal(arg[i + 1]) && is_octal(arg[i + 2]) &&
			   is_octal(arg[i + 3])) {
			d[n++] = (char)(((arg[i + 1] - '0') << 6) |
					((arg[i + 2] - '0') << 3) |
					(arg[i + 3] - '0'));
			i += 3;
		} else if (is_octal(arg[i + 1])) {
			d[n++] = (char)(arg[i + 1] - '0');
			i++;
		} else {
			d[n++] = arg[i];
		}
	}
	free(cli->delims);
	cli->delims = NULL;
	cli->ndelims = 0;
	if (n == 0) {
		free(d);
		return usage_error("-d: the delimiter is empty");
	}
	cli->delim = (unsigned char)d[0];
	if (n == 1) {
		free(d);
		return 0;
	}
	cli->delims = d;
	cli->ndelims = n;
	return 0;
}

/* -L N: a count, with GNU parallel's units (10k, 1K, 1.5k). */
static int parse_lines(const char *v, struct cli *cli)
{
	uint64_t n;

	if (parse_gnu_size(v, &n) == -1 || n < 1 || n > 1 << 30)
		return usage_error("-L: \"%s\" is not a number of lines from 1 "
				   "to 1G (such as 4 or 10k)", v);
	cli->lines = (size_t)n;
	return 0;
}

/* --block SIZE, or -N (--pipepart: N blocks per job slot). */
static int parse_block(const char *v, struct cli *cli)
{
	long long n;

	if (v[0] == '-') {
		if (parse_number(v + 1, 1, 1000000, &n) == -1)
			return usage_error("--block: \"%s\" is not a size (such "
					   "as 64K, 1M) or -N (N blocks per "
					   "job slot)", v);
		cli->block_parts = (unsigned long long)n;
		cli->block = 0;
		return 0;
	}
	cli->block_parts = 0;
	if (parse_gnu_size(v, &cli->block) == -1 || cli->block == 0)
		return usage_error("--block: \"%s\" is not a size (such as "
				   "64K, 1M, 100k) or -N (N blocks per job "
				   "slot)", v);
	return 0;
}

/* The patterns of pipe mode compile: 0, or -1 (said). */
static int check_patterns(const struct cli *cli)
{
	struct blocks_opts bo = {.block = 1,
				 .recend = cli->recend,
				 .recstart = cli->recstart,
				 .regexp = cli->regexp,
				 .header = cli->header};
	char err[256] = "";

	if (blocks_check(&bo, err, sizeof(err)) == 0)
		return 0;
	return usage_error("%s", err[0] ? err : strerror(errno));
}

/* The options of pipe mode make sense together: 0, or -1 (said). */
static int check_pipe(struct cli *cli)
{
	const char *needs;
	size_t i;

	if ((cli->cat || cli->round_robin || cli->fifo) &&
	    cli->pipe == PIPE_NONE)
		cli->pipe = PIPE_STREAM; /* GNU parallel: they imply --pipe */
	if (cli->no_insert && cli->pipe != PIPE_NONE)
		return usage_error("-N 0: not in pipe mode (a block is N >= 1 "
				   "records)");
	if (cli->no_insert)
		cli->nrecords = 1;
	if (cli->pipe == PIPE_NONE && (cli->nrecords || cli->lines)) {
		/* -N and -L without --pipe are -n (-L: one input a line);
		 * as GNU parallel, a word with {} is repeated per input (as
		 * -X), with -L not under -m or --xargs */
		cli->context = cli->nrecords > 0 || cli->fill != FILL_PLAIN;
		cli->max_args = cli->nrecords ? cli->nrecords : cli->lines;
		cli->nrecords = cli->lines = 0;
	}
	needs = cli->block || cli->block_parts ? "--block"
		: cli->recend			 ? "--recend"
		: cli->recstart			 ? "--recstart"
		: cli->regexp			 ? "--regexp"
		: cli->remove_sep		 ? "--remove-rec-sep"
						 : NULL;
	if (cli->round_robin && (cli->cat || cli->fifo || cli->retries))
		return usage_error("%s: not with --cat, --fifo or --retries (a "
				   "job reads its blocks from a pipe, once)",
				   "--round-robin");
	if (cli->fifo && cli->cat)
		return usage_error("%s: not with --cat", "--fifo");
	/* GNU parallel: --colsep trims its columns unless --trim says (not
	 * the tab --header implies) */
	if (cli->colsep != NULL && !cli->trim_given)
		cli->trim = INPUT_TRIM_LEFT | INPUT_TRIM_RIGHT;
	if (cli->header != NULL && cli->pipe == PIPE_NONE) {
		/* GNU parallel: any value but 0 takes the first value of
		 * each source as names; with 0, none is (colsep as then) */
		cli->header = strcmp(cli->header, "0") == 0 ? NULL : ":";
		if (cli->colsep == NULL && !cli->workers && !cli->pipeline)
			cli->colsep = "\t";
		if (cli->header != NULL && (cli->workers || cli->pipeline))
			return usage_error("--header : names the columns of "
					   "the command's inputs: not with "
					   "%s", cli->workers ? "--workers"
							      : "--pipeline");
	}
	if (cli->pipe == PIPE_NONE)
		return needs == NULL ? 0
				     : usage_error("%s needs --pipe or "
						   "--pipepart", needs);
	for (i = 0; i < cli->nsources; i++)
		if (!cli->sources[i].is_file)
			return usage_error("%s: no ::: inputs: the blocks of "
					   "the input are the jobs' input",
					   cli->pipe == PIPE_PART ? "--pipepart"
								  : "--pipe");
	if (cli->nsources > 1)
		return usage_error("%s: one input file at most",
				   cli->pipe == PIPE_PART ? "--pipepart"
							  : "--pipe");
	if (cli->pipe == PIPE_PART && cli->nsources == 0)
		return usage_error("%s needs its file: -a FILE or :::: FILE",
				   "--pipepart");
	if (cli->pipe == PIPE_PART && (cli->nrecords || cli->lines))
		return usage_error("%s: %s does not apply; cut by --block",
				   "--pipepart", cli->nrecords ? "-N" : "-L");
	if (cli->lines && !cli->nrecords &&
	    (cli->recend || cli->recstart || cli->regexp))
		return usage_error("-L: records are lines: not with %s (but "
				   "with -N: N x L records of them)",
				   cli->recend	   ? "--recend"
				   : cli->recstart ? "--recstart"
						   : "--regexp");
	if (cli->pipe == PIPE_STREAM && cli->block_parts)
		return usage_error("--block -N (blocks per job slot) needs "
				   "%s, not --pipe", "--pipepart");
	if (cli->max_args || cli->fill || cli->workers || cli->pipeline)
		return usage_error("%s: not with -n, -X, --workers or "
				   "--pipeline", "--pipe");
	if (cli->ncommand == 0)
		return usage_error("%s needs a command", cli->pipe == PIPE_PART
								 ? "--pipepart"
								 : "--pipe");
	if (cli->recend && cli->recstart && !cli->recend[0] &&
	    !cli->recstart[0] && cli->nrecords)
		return usage_error("%s: -N needs a record separator",
				   "--recend ''");
	return check_patterns(cli);
}

/* Parse a duration option's value. */
static int parse_duration(const char *name, const char *v, uint64_t *ms)
{
	if (parse_duration_ms(v, ms) == -1) {
		fprintf(stderr,
			"mprun: %s: \"%s\" is not a duration (such as 10, 2.5s, "
			"300ms, 1m30s)\n",
			name, v);
		return -1;
	}
	return 0;
}

/* --timeout: a duration, or N% of the median runtime. */
static int parse_timeout(const char *v, struct cli *cli)
{
	uint64_t ms;

	if (policy_timeout_parse(v, &cli->timeout_ms, &cli->timeout_pct) == 0)
		return 0;
	if (parse_duration_ms(v, &ms) == 0 && ms == 0)
		return usage_error("--timeout: \"%s\" is less than 1 ms (the "
				   "shortest timeout)",
				   v);
	return usage_error("--timeout: \"%s\" is not a duration (such as 30, "
			   "2.5s, 1m30s) or a percentage such as 200%%",
			   v);
}

/* --halt now|soon,fail|success|done=N|N%, or never. */
static int parse_halt(const char *v, struct policy_halt *h)
{
	if (policy_halt_parse(v, h) == -1)
		return usage_error("--halt: \"%s\" is not now|soon,"
				   "fail|success|done=N|N%% (or never)",
				   v);
	return 0;
}

/* Append arg to a repeatable option's array. 0 or -1. */
static int add_arg(char ***v, size_t *n, const char *arg)
{
	char **p = realloc(*v, (*n + 1) * sizeof(*p));

	if (p == NULL)
		return -1;
	*v = p;
	p[(*n)++] = (char *)arg;
	return 0;
}

/* The options of remote execution (-S, --slurm, ...). 0, -1, or 2: not
 * one of them. */
static int parse_remote_opt(int c, const char *arg, struct cli *cli)
{
	long long n;

	switch (c) {
	case 'S':
		return add_arg(&cli->sshlogins, &cli->nsshlogins, arg);
	case OPT_SLF:
		return add_arg(&cli->slfs, &cli->nslfs, arg);
	case OPT_SSH:
		cli->ssh = arg;
		return 0;
	case OPT_ENV:
		return add_arg(&cli->envs, &cli->nenvs, arg);
	case OPT_WORKDIR:
		cli->workdir = arg;
		return 0;
	case OPT_TRC:
		cli->transfer = cli->cleanup = 1;
		/* fall through */
	case OPT_RETURN:
		return add_arg(&cli->returns, &cli->nreturns, arg);
	case OPT_TRANSFER:
		cli->transfer = 1;
		return 0;
	case OPT_TRANSFER_ABS:
		cli->transfer_absolute = 1;
		return 0;
	case OPT_CLEANUP:
		cli->cleanup = 1;
		return 0;
	case OPT_SLURM_ALLOC:
		cli->slurm_alloc = arg;
		/* fall through */
	case OPT_SLURM:
		cli->slurm = 1;
		return 0;
	case OPT_MANAGER_ADDR:
		if (*arg == '\0')
			return usage_error("--manager-addr: empty address");
		cli->manager_addr = arg;
		return 0;
	case OPT_SLURM_CPUS:
		if (parse_number(arg, 1, 100000, &n) == -1)
			return usage_error("--slurm-cpus: \"%s\" is not a number "
					   ">= 1", arg);
		cli->slurm_cpus = (unsigned)n;
		return 0;
	default:
		return 2;
	}
}

/* Remote options need their executor, which --pipeline and --workers do
 * not use (yet): refuse rather than run locally without a word. */
static int check_remote(const struct cli *cli)
{
	int ssh = cli->nsshlogins > 0 || cli->nslfs > 0;
	/* (--env and --workdir also apply locally, as in GNU parallel: the
	 * environment is passed on anyway; jobs run in the directory) */
	const char *ssh_only = cli->transfer_absolute && !cli->transfer
					 ? "--transfer-absolute (with --transfer)"
			       : cli->transfer   ? "--transfer"
			       : cli->nreturns   ? "--return"
			       : cli->cleanup    ? "--cleanup"
			       : cli->ssh        ? "--ssh"
						 : NULL;

	if (ssh_only != NULL && !ssh)
		return usage_error("%s needs -S/--sshlogin or --slf", ssh_only);
	if (cli->workdir && cli->slurm)
		return usage_error("%s: not with --slurm (steps run in the "
				   "directory mprun runs in)", "--workdir");
	if (cli->slurm_cpus && !cli->slurm)
		return usage_error("%s needs --slurm", "--slurm-cpus");
	if (cli->manager_addr && !cli->slurm && !cli->pipeline)
		return usage_error("%s needs --slurm (or --pipeline)",
				   "--manager-addr");
	if ((ssh || cli->slurm) && cli->pipeline)
		return usage_error("%s: -S and --slurm do not apply; give the "
				   "stages that run remotely executor: ssh "
				   "(with hosts:) or executor: slurm in the "
				   "file", "--pipeline");
	if ((ssh || cli->slurm) && cli->workers)
		return usage_error("%s: remote execution (-S, --slurm) is not "
				   "available there; run it locally",
				   "--workers");
	return 0;
}

/* --joblog-in draws a log and runs nothing: it needs --report, and no
 * command, input or run of another kind. */
static int check_report(const struct cli *cli)
{
	if (cli->joblog_in == NULL)
		return 0;
	if (cli->report == NULL)
		return usage_error("--joblog-in needs --report FILE");
	if (cli->ncommand > 0 || cli->nsources > 0 || cli->pipeline ||
	    cli->workers)
		return usage_error("--joblog-in %s: no command, input, "
				   "--pipeline or --workers (it runs nothing)",
				   cli->joblog_in);
	return 0;
}

extern char **environ;

/* The longest shell command a job may have: what exec takes less our
 * environment and a margin, and at most one argument string (128 KiB - 1),
 * which a shell command is. */
static size_t max_line(void)
{
	long argmax = sysconf(_SC_ARG_MAX);
	size_t env = JOBENV_ARG_MARGIN, max;
	char **e;

	for (e = environ; *e != NULL; e++)
		env += strlen(*e) + 1 + sizeof(char *);
	if (argmax <= 0)
		argmax = 131072;
	/* (an environment that leaves no room: 0, as mprun then refuses) */
	max = (size_t)argmax > env ? (size_t)argmax - env : 0;
	return max < 32 * 4096 - 1 ? max : 32 * 4096 - 1;
}

/* The machine's memory (MemTotal), or 0 if unknown. */
static uint64_t mem_total(void)
{
	uint64_t b;

	return throttle_read_meminfo(NULL, "MemTotal", &b) == 0 ? b : 0;
}

/* --memfree SIZE (or --limit "mem SIZE"): no more than the machine has,
 * or no job could ever start. */
static int check_memfree(const char *name, const char *v, uint64_t bytes)
{
	uint64_t total = mem_total();
	char have[32];

	if (total == 0 || bytes <= total)
		return 0;
	return usage_error("%s %s: more than this machine's memory (%s): no "
			   "job could ever start", name, v,
			   parse_size_format(total, have, sizeof(have)));
}

/* --load, --memfree, --limit (lib/throttle). */
static int parse_throttle_opt(int c, const char *arg, struct cli *cli)
{
	unsigned ncpus = opts_slots(NULL);
	struct throttle_opts to = {0};
	int rc;

	if (cli->throttle_opt == NULL)
		cli->throttle_opt = c == OPT_LOAD      ? "--load"
				    : c == OPT_MEMFREE ? "--memfree"
						       : "--limit";
	if (c == OPT_LOAD) {
		if (throttle_parse_load(arg, ncpus, &cli->load) == -1)
			return usage_error("--load: \"%s\" is not a number of "
					   "processes (N, N.N, N%% of the CPUs, "
					   "+N, -N)", arg);
		return 0;
	}
	if (c == OPT_MEMFREE) {
		if (throttle_parse_size(arg, &cli->memfree) == -1)
			return usage_error("--memfree: \"%s\" is not a size "
					   "(such as 500M, 2G; k m g t: powers "
					   "of 1000)", arg);
		return check_memfree("--memfree", arg, cli->memfree);
	}
	if (arg[strspn(arg, " \t\n")] == '\0')
		return usage_error("--limit: the command is empty");
	rc = throttle_parse_builtin(arg, ncpus, &to);
	if (rc == -1)
		return usage_error("--limit \"%s\": GNU parallel's I/O limit is "
				   "not built in mprun (it needs iostat); "
				   "give a command of yours", arg);
	if (rc == 1 && to.memfree > 0 && check_memfree("--limit", arg,
						       to.memfree) == -1)
		return -1;
	if (rc == 1 && to.memfree > 0)
		cli->memfree = to.memfree;
	else if (rc == 1)
		cli->load = to.load;
	else
		cli->limit = arg;
	return 0;
}

/* --onall, --nonall: a run on each host of -S or --slf, made by mprun
 * itself (cmd/onall.c). */
static int check_onall(struct cli *cli)
{
	const char *name = cli->onall == ONALL_ALL ? "--onall" : "--nonall";
	const char *bad = cli->pipe != PIPE_NONE ? "--pipe or --pipepart"
			  : cli->workers	 ? "--workers"
			  : cli->pipeline	 ? "--pipeline"
			  : cli->slurm		 ? "--slurm"
			  : cli->joblog		 ? "--joblog"
			  : cli->results	 ? "--results"
			  : cli->report		 ? "--report"
			  : cli->shell_quote	 ? "--shell-quote"
						 : NULL;

	if (cli->onall == ONALL_NONE)
		return 0;
	/* no host named: this one (":"), as in GNU parallel */
	if (cli->nsshlogins == 0 && cli->nslfs == 0 && bad == NULL &&
	    add_arg(&cli->sshlogins, &cli->nsshlogins, ":") == -1)
		return usage_error("%s: %s", name, strerror(errno));
	if (bad != NULL)
		return usage_error("%s: not with %s", name, bad);
	if (cli->onall == ONALL_NONE_ARGS && cli->nsources > 0)
		return usage_error("%s takes no inputs (::: or ::::); use "
				   "--onall", name);
	if (cli->ncommand == 0)
		return usage_error("%s needs a command", name);
	return 0;
}

/* --pipeline: the options that shape a command line's inputs and
 * command have no place there (a stage's inputs and command are in the
 * file): refused, not ignored. */
static int check_pipeline(const struct cli *cli)
{
	const char *opt = NULL;
	size_t i;

	if (cli->pipeline == NULL)
		return 0;
	for (i = 0; i < TEMPLATE_TAG_COUNT && opt == NULL; i++)
		if (cli->tags[i] != NULL)
			opt = "-I, --extensionreplace and the like";
	opt = opt		       ? opt
	      : cli->plus	       ? "--plus"
	      : cli->nrpls > 0	       ? "--rpl"
	      : cli->quote	       ? "-q"
	      : cli->colsep != NULL    ? "--colsep"
	      : cli->trim_given	       ? "--trim"
	      : cli->max_args || cli->no_insert ? "-n, -N and -L"
	      : cli->fill	       ? "-X, -m and --xargs"
	      : cli->null_delim || cli->delims != NULL || cli->delim != '\n'
		      ? "-0 and -d"
	      : cli->eof_str != NULL   ? "-E"
	      : cli->skip_blank	       ? "-r"
	      : cli->skip_first	       ? "--skip-first-line"
	      : cli->shuffle	       ? "--shuf"
	      : cli->link	       ? "--link"
	      : cli->results != NULL   ? "--results"
				       : NULL;
	if (opt == NULL)
		return 0;
	return usage_error("%s: not with --pipeline (a stage's inputs, "
			   "command and results are set in the file; see "
			   "mprun-pipeline(5))", opt);
}

/* The throttles apply to the jobs of this machine's run. */
static int check_throttle(const struct cli *cli)
{
	if ((cli->slot_var || cli->total_jobs) &&
	    (cli->workers || cli->pipeline))
		return usage_error("%s: not with %s (it is for the jobs of a "
				   "plain run)", cli->slot_var
				   ? "--process-slot-var" : "--total-jobs",
				   cli->workers ? "--workers" : "--pipeline");
	if (cli->throttle_opt == NULL)
		return 0;
	if (cli->workers || cli->pipeline)
		return usage_error("%s: not with %s (it throttles the jobs of "
				   "a plain run)", cli->throttle_opt,
				   cli->workers ? "--workers" : "--pipeline");
	if ((cli->load > 0 || cli->memfree > 0) &&
	    (cli->nsshlogins > 0 || cli->nslfs > 0 || cli->slurm))
		return usage_error("%s: not with %s (it looks at this "
				   "machine only)",
				   cli->load > 0 ? "--load" : "--memfree",
				   cli->slurm ? "--slurm" : "-S/--slf");
	return 0;
}

/* The options of the replacement strings (--plus, -I, --er, ...). */
static int parse_replace_opt(int c, const char *arg, struct cli *cli)
{
	static const struct {
		int c;
		enum template_tag tag;
		const char *name;
	} renames[] = {
		{'I', TEMPLATE_TAG_ARGS, "-I"},
		{'i', TEMPLATE_TAG_ARGS, "--replace"},
		{OPT_ER, TEMPLATE_TAG_NOEXT, "--extensionreplace"},
		{OPT_BNR, TEMPLATE_TAG_BASE, "--basenamereplace"},
		{OPT_DNR, TEMPLATE_TAG_DIR, "--dirnamereplace"},
		{OPT_BNER, TEMPLATE_TAG_BASE_NOEXT, "--basenameextensionreplace"},
		{OPT_SEQREPLACE, TEMPLATE_TAG_SEQ, "--seqreplace"},
		{OPT_SLOTREPLACE, TEMPLATE_TAG_SLOT, "--slotreplace"},
	};
	size_t k;

	if (c == OPT_PLUS) {
		cli->plus = 1;
		return 0;
	}
	if (c == 'q') {
		cli->quote = 1;
		return 0;
	}
	if (c == OPT_RPL) {
		if (arg[strcspn(arg, " \t\n")] == '\0' || strchr(" \t\n", arg[0]))
			return usage_error("--rpl '%s': not 'TAG EXPRESSION' "
					   "(such as --rpl '{..} s/\\..*//')",
					   arg);
		return add_arg(&cli->rpls, &cli->nrpls, arg);
	}
	if (c == 'i' && arg == NULL)
		arg = "{}"; /* xargs: -i alone is -I {} */
	for (k = 0; k < sizeof(renames) / sizeof(renames[0]); k++)
		if (renames[k].c == c)
			break;
	if (arg[0] == '\0')
		return usage_error("%s: the replacement string may not be "
				   "empty", renames[k].name);
	cli->tags[renames[k].tag] = arg;
	return 0;
}

/* Handle one option from getopt. 0, 1 (exit 0 now) or -1 (a message
 * printed; the caller adds the pointer to --help). */
static int parse_opt(int c, const char *arg, struct cli *cli)
{
	long long n;
	int rc = parse_remote_opt(c, arg, cli);

	if (rc != 2)
		return rc;
	switch (c) {
	case 'j':
	case 'P':
		cli->jobs = arg;
		return opts_slots(arg) == 0 ? -1 : 0;
	case 'a':
		return add_source(cli, 1, 0, arg, NULL, 0) == -1 ? -1 : 0;
	case '0': /* as -d '\0': the last of -0 and -d counts */
		return parse_delim("\\0", cli);
	case 'd':
		return parse_delim(arg, cli);
	case 'C':
		cli->colsep = arg;
		return 0;
	case 'n':
		if (parse_number(arg, 0, 1000000000, &n) == -1)
			return usage_error("-n: \"%s\" is not a number >= 0",
					   arg);
		cli->max_args = (size_t)n;
		cli->no_insert = n == 0; /* as -N 0 (GNU parallel) */
		return 0;
	case 'X':
		cli->fill = FILL_CONTEXT;
		return 0;
	case 'm':
	case OPT_XARGS:
		cli->fill = FILL_PLAIN;
		cli->no_spread = c == OPT_XARGS;
		return 0;
	case 'E': /* -E '': no end-of-file string (xargs, GNU) */
		cli->eof_str = *arg != '\0' ? arg : NULL;
		return 0;
	case 'r':
		cli->skip_blank = 1;
		return 0;
	case OPT_SHUF:
		cli->shuffle = 1;
		return 0;
	case OPT_LINK:
		cli->link = 1;
		return 0;
	case OPT_SKIP_FIRST:
		cli->skip_first = 1;
		return 0;
	case OPT_SHELL_QUOTE:
		cli->shell_quote = 1;
		return 0;
	case OPT_NCPUS:
	case OPT_NCORES:
	case OPT_NTHREADS:
	case OPT_NSOCKETS:
		printf("%u\n", cpu_count(c == OPT_NTHREADS   ? CPU_THREADS
					  : c == OPT_NSOCKETS ? CPU_SOCKETS
							      : CPU_CORES));
		return 1;
	case OPT_SHELL: {
		static char found[PATH_MAX];

		if (strchr(arg, '/') == NULL) {
			if (shell_path_find(arg, found, sizeof(found)) == -1)
				return usage_error("--shell %s: no such program "
						   "in $PATH", arg);
			arg = found;
		}
		if (arg[0] != '/' || access(arg, X_OK) == -1)
			return usage_error("--shell %s: not the absolute path "
					   "of a program that can be run", arg);
		if (shell_is_foreign(arg))
			return usage_error("--shell %s: not a POSIX shell "
					   "(mprun's commands are POSIX shell: "
					   "sh, bash, dash, ksh, zsh ...)", arg);
		cli->shell = arg;
		return 0;
	}
	case OPT_TRIM:
		cli->trim_given = 1;
		if (strcmp(arg, "n") == 0)
			cli->trim = 0;
		else if (strcmp(arg, "l") == 0)
			cli->trim = INPUT_TRIM_LEFT;
		else if (strcmp(arg, "r") == 0)
			cli->trim = INPUT_TRIM_RIGHT;
		else if (strcmp(arg, "lr") == 0 || strcmp(arg, "rl") == 0)
			cli->trim = INPUT_TRIM_LEFT | INPUT_TRIM_RIGHT;
		else
			return usage_error("--trim: \"%s\" is not n, l, r, lr "
					   "or rl", arg);
		return 0;
	case OPT_ARG_SEP:
	case OPT_ARG_FILE_SEP:
		if (arg[0] == '\0')
			return usage_error("%s: the separator is empty",
					   c == OPT_ARG_SEP ? "--arg-sep"
							    : "--arg-file-sep");
		*(c == OPT_ARG_SEP ? &cli->arg_sep : &cli->arg_file_sep) = arg;
		return 0;
	case OPT_NICE:
		if (parse_number(arg, -20, 19, &n) == -1)
			return usage_error("--nice: \"%s\" is not a niceness "
					   "from -20 to 19", arg);
		cli->nice = (int)n;
		cli->nice_set = 1;
		return 0;
	case OPT_WILL_CITE:
		return 0;
	case OPT_CITATION:
		printf("mprun follows the interface of GNU parallel; when "
		       "you publish results\nobtained with it, cite:\n\n"
		       "  Tange, O. (2022, November 22). GNU Parallel "
		       "20221122.\n"
		       "  Zenodo. https://doi.org/10.5281/zenodo.7347980\n");
		return 1;
	case OPT_PIPE:
	case OPT_PIPEPART:
		cli->pipe = c == OPT_PIPE ? PIPE_STREAM : PIPE_PART;
		return 0;
	case OPT_BLOCK:
		return parse_block(arg, cli);
	case OPT_RECEND:
		cli->recend = arg;
		return 0;
	case OPT_RECSTART:
		cli->recstart = arg;
		return 0;
	case 'L':
		return parse_lines(arg, cli);
	case 'N':
		if (parse_number(arg, 0, 1000000000, &n) == -1)
			return usage_error("-N: \"%s\" is not a number >= 0",
					   arg);
		cli->nrecords = (size_t)n;
		cli->no_insert = n == 0; /* GNU: one input a job, inserted nowhere */
		return 0;
	case OPT_CAT:
		cli->cat = 1;
		return 0;
	case OPT_REGEXP:
		cli->regexp = 1;
		return 0;
	case OPT_RRS:
		cli->remove_sep = 1;
		return 0;
	case OPT_HEADER:
		cli->header = arg;
		return 0;
	case OPT_ROUND_ROBIN:
		cli->round_robin = 1;
		return 0;
	case OPT_FIFO:
		cli->fifo = 1;
		return 0;
	case 'k':
		cli->order = ORDER_IMAP;
		return 0;
	case OPT_NO_KEEP_ORDER:
		cli->order = ORDER_UNORDERED;
		return 0;
	case OPT_ORDER:
		if (strcmp(arg, "unordered") == 0)
			cli->order = ORDER_UNORDERED;
		else if (strcmp(arg, "imap") == 0)
			cli->order = ORDER_IMAP;
		else if (strcmp(arg, "map") == 0)
			cli->order = ORDER_MAP;
		else
			return usage_error("--order: \"%s\" is not unordered, "
					   "imap or map",
					   arg);
		return 0;
	case OPT_GROUP:
		cli->output = POOL_GROUP;
		return 0;
	case OPT_LINE_BUFFER:
		cli->output = POOL_LINES;
		return 0;
	case 'u':
		cli->output = POOL_UNGROUP;
		return 0;
	case OPT_TAG:
		cli->tag = 1;
		return 0;
	case OPT_TAGSTRING:
		cli->tagstring = arg;
		return 0;
	case OPT_BUFFER_SIZE:
		return opt_size("--buffer-size", arg, &cli->mem_limit);
	case OPT_SPILL_LIMIT:
		return opt_size("--spill-limit", arg, &cli->spill_limit);
	case OPT_MAX_RECORD:
		return opt_size("--max-record", arg, &cli->max_record);
	case OPT_TMPDIR: {
		struct stat st;

		cli->tmpdir = arg;
		if (stat(arg, &st) == 0 && !S_ISDIR(st.st_mode))
			errno = ENOTDIR;
		else if (stat(arg, &st) == 0 && access(arg, W_OK | X_OK) == 0)
			return 0;
		fprintf(stderr, "mprun: --tmpdir %s: %s\n", arg,
			strerror(errno));
		return -1;
	}
	case OPT_TERMSEQ:
		cli->termseq = arg;
		return 0;
	case OPT_TIMEOUT:
		return parse_timeout(arg, cli);
	case OPT_RETRIES:
		if (parse_number(arg, 0, 1000000, &n) == -1)
			return usage_error("--retries: \"%s\" is not a number "
					   ">= 0", arg);
		cli->retries = (unsigned)n;
		return 0;
	case OPT_HALT:
		cli->halt_arg = arg;
		return parse_halt(arg, &cli->halt);
	case OPT_DELAY:
		return parse_duration("--delay", arg, &cli->delay_ms);
	case OPT_ON_SUCCESS:
		cli->on_success = arg;
		return 0;
	case OPT_ON_ERROR:
		cli->on_error = arg;
		return 0;
	case OPT_JOBLOG:
		cli->joblog_append = arg[0] == '+';
		cli->joblog = arg + cli->joblog_append;
		if (cli->joblog[0] == '\0')
			return usage_error("--joblog: no file name");
		return 0;
	case OPT_RESUME:
		cli->resume = 1;
		return 0;
	case OPT_RESUME_FAILED:
		cli->resume = 2;
		return 0;
	case OPT_RESULTS:
		cli->results = arg;
		return 0;
	case OPT_BAR:
		cli->progress |= PROGRESS_BAR;
		return 0;
	case OPT_PROGRESS:
		cli->progress |= PROGRESS_COUNTS;
		return 0;
	case OPT_ETA:
		cli->progress |= PROGRESS_ETA;
		return 0;
	case OPT_PIPELINE:
		cli->pipeline = arg;
		return 0;
	case OPT_SET: {
		char **s = realloc(cli->sets, (cli->nsets + 1) * sizeof(*s));

		if (s == NULL)
			return -1;
		cli->sets = s;
		s[cli->nsets++] = (char *)arg;
		return 0;
	}
	case OPT_COUNTER_INIT: {
		char **s = realloc(cli->counter_inits,
				   (cli->ncounter_inits + 1) * sizeof(*s));

		if (s == NULL)
			return -1;
		cli->counter_inits = s;
		s[cli->ncounter_inits++] = (char *)arg;
		return 0;
	}
	case OPT_COUNTERS_JSON:
		cli->counters_json = arg;
		return 0;
	case OPT_WORKERS:
		cli->workers = arg;
		return 0;
	case OPT_WORKER_INIT:
		cli->worker_init = arg;
		return 0;
	case OPT_MAX_TASKS:
		if (parse_number(arg, 1, 1000000000000LL, &n) == -1)
			return usage_error("--max-tasks-per-worker: \"%s\" is "
					   "not a number >= 1", arg);
		cli->max_tasks = (unsigned long long)n;
		return 0;
	case OPT_MAX_INFLIGHT:
		if (parse_number(arg, 1, 65536, &n) == -1)
			return usage_error("--max-inflight: \"%s\" is not a "
					   "number from 1 to 65536", arg);
		cli->max_inflight = (unsigned)n;
		return 0;
	case OPT_FRAMING:
		if (strcmp(arg, "line") == 0)
			cli->framing = FRAMING_LINE;
		else if (strcmp(arg, "nul") == 0)
			cli->framing = FRAMING_NUL;
		else if (strcmp(arg, "len") == 0)
			cli->framing = FRAMING_LEN;
		else
			return usage_error("--framing: \"%s\" is not line, nul "
					   "or len", arg);
		cli->framing_set = 1;
		return 0;
	case OPT_DRY_RUN:
		cli->dry_run = 1;
		return 0;
	case OPT_PLUS:
	case OPT_RPL:
	case 'q':
	case 'I':
	case 'i':
	case OPT_ER:
	case OPT_BNR:
	case OPT_DNR:
	case OPT_BNER:
	case OPT_SEQREPLACE:
	case OPT_SLOTREPLACE:
		return parse_replace_opt(c, arg, cli);
	case 'v':
		cli->echo = 1;
		return 0;
	case 't':
		cli->verbose = 1;
		return 0;
	case OPT_VERSION:
		printf("mprun %s\n", PACKAGE_VERSION);
		return 1;
	case 'h':
		opts_help(stdout);
		return 1;
	case OPT_LIST_OPTIONS:
		opts_list();
		return 1;
	case OPT_REPORT:
		cli->report = arg;
		return 0;
	case OPT_JOBLOG_IN:
		cli->joblog_in = arg;
		return 0;
	case OPT_LOAD:
	case OPT_MEMFREE:
	case OPT_LIMIT:
		return parse_throttle_opt(c, arg, cli);
	case OPT_CTAG:
		cli->tag = 1;
		return 0;
	case OPT_CTAGSTRING:
		cli->tagstring = arg;
		return 0;
	case OPT_COLOR:
	case 'M': /* SSH goes through a control master always */
		return 0;
	case OPT_MAX_LINE:
		printf("%zu\n", max_line());
		return 1;
	case OPT_SHOW_LIMITS:
		printf("Maximal size of command: %zu\n"
		       "Maximal usable size of command: %zu\n\n", max_line(),
		       max_line());
		fflush(stdout);
		return 0;
	case OPT_SLOT_VAR:
		if (strlen(arg) > 128 || strspn(arg, "abcdefghijklmnopqrstuvwxyz"
					     "ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
					     "0123456789") != strlen(arg) ||
		    arg[0] == '\0' || (arg[0] >= '0' && arg[0] <= '9'))
			return usage_error("--process-slot-var: \"%s\" is not "
					   "a variable name", arg);
		cli->slot_var = arg;
		return 0;
	case OPT_TOTAL_JOBS:
		if (parse_number(arg, 1, 1000000000000000LL, &n) == -1)
			return usage_error("--total-jobs: \"%s\" is not a "
					   "number >= 1", arg);
		cli->total_jobs = (unsigned long long)n;
		return 0;
	case OPT_MINVERSION:
		if (parse_number(arg, 0, 99999999, &n) == -1)
			return usage_error("--minversion: \"%s\" is not a "
					   "version (such as 20170422)", arg);
		printf("%s\n", GNU_VERSION);
		return n <= atoll(GNU_VERSION) ? 1 : -2;
	case OPT_ONALL:
	case OPT_NONALL:
		cli->onall = c == OPT_ONALL ? ONALL_ALL : ONALL_NONE_ARGS;
		return 0;
	default:
		return -1;
	}
}

int opts_parse(int argc, char **argv, struct cli *cli)
{
	struct option longopts[NOPTS + 1];
	size_t i;
	int c, rc;

	memset(cli, 0, sizeof(*cli));
	cli->delim = '\n';
	cli->mem_limit = 1 << 20;
	cli->spill_limit = (uint64_t)1 << 30;
	cli->max_record = (uint64_t)1 << 30;
	for (i = 0; i < NOPTS; i++)
		longopts[i] = opt_docs[i].opt;
	memset(&longopts[NOPTS], 0, sizeof(longopts[NOPTS]));
	opterr = 0;
	/* 0, not 1: glibc and musl then start afresh, forgetting the rest of
	 * a cluster of short options a previous call stopped in ("-lh" after
	 * the error on -l would otherwise go on with -h) */
	optind = 0;
	while ((c = getopt_long(argc, argv, OPTSTRING, longopts, NULL)) != -1) {
		if (c == '?')
			return bad_option(argv[optind - 1]);
		in_option = 1;
		rc = parse_opt(c, optarg, cli);
		in_option = 0;
		if (rc == -1)
			fprintf(stderr, "Try 'mprun --help' for more "
					"information.\n");
		if (rc != 0)
			return rc;
	}
	if (parse_rest(argc, argv, optind, cli) == -1)
		return -1;
	if (cli->pipeline != NULL && (cli->ncommand > 0 || cli->nsources > 0))
		return usage_error("--pipeline %s: no command or input on the "
				   "command line: the file has them",
				   cli->pipeline);
	if (cli->workers == NULL &&
	    (cli->worker_init || cli->max_tasks || cli->framing_set ||
	     cli->max_inflight))
		return usage_error("%s needs --workers CMD",
				   cli->worker_init ? "--worker-init"
				   : cli->max_tasks ? "--max-tasks-per-worker"
				   : cli->max_inflight ? "--max-inflight"
						    : "--framing");
	if (cli->workers != NULL && cli->ncommand > 0)
		return usage_error("--workers %s: no command after the options "
				   "(the workers are the command)",
				   cli->workers);
	if (cli->workers != NULL && !cli->framing_set && cli->delim == '\0' &&
	    cli->delims == NULL)
		cli->framing = FRAMING_NUL;
	if (check_remote(cli) == -1)
		return -1;
	if (cli->pipeline == NULL && cli->nsets > 0)
		return usage_error("--set %s needs --pipeline FILE",
				   cli->sets[0]);
	if (cli->resume && cli->joblog == NULL)
		return usage_error("%s needs --joblog FILE",
				   cli->resume == 1 ? "--resume"
						    : "--resume-failed");
	if (cli->output == POOL_UNGROUP &&
	    (cli->results || cli->on_success || cli->on_error))
		return usage_error("%s needs captured output: not with -u",
				   cli->results ? "--results" : "a callback");
	if (check_pipe(cli) == -1 || check_report(cli) == -1 ||
	    check_throttle(cli) == -1 || check_onall(cli) == -1 ||
	    check_pipeline(cli) == -1)
		return -1;
	cli->stdin_args = cli->nsources == 0;
	return 0;
}

/* free(p), p made NULL. */
#define FREE_NULL(p)                                                        \
	do {                                                                 \
		free(p);                                                     \
		(p) = NULL;                                                  \
	} while (0)

void opts_free(struct cli *cli)
{
	if (cli->named != NULL)
		for (size_t i = 0; i < cli->ncommand; i++)
			free(cli->named[i]);
	FREE_NULL(cli->named);
	FREE_NULL(cli->named_tag);
	FREE_NULL(cli->named_results);
	FREE_NULL(cli->delims);
	FREE_NULL(cli->sources);
	FREE_NULL(cli->sets);
	FREE_NULL(cli->counter_inits);
	FREE_NULL(cli->sshlogins);
	FREE_NULL(cli->slfs);
	FREE_NULL(cli->envs);
	FREE_NULL(cli->returns);
	FREE_NULL(cli->rpls);
}

/* Does the run on one host drop option c (--onall)? */
static int onall_drops(int c)
{
	return c == 'S' || c == OPT_SLF || c == 'j' || c == 'P' ||
	       c == OPT_ONALL || c == OPT_NONALL || c == OPT_TAG;
}

int opts_onall_words(int argc, char **argv, char ***words, size_t *n)
{
	struct option longopts[NOPTS + 1];
	char **w = calloc((size_t)argc + 1, sizeof(char *));
	int c, start, i;
	size_t k = 0;

	if (w == NULL)
		return -1;
	for (i = 0; i < (int)NOPTS; i++)
		longopts[i] = opt_docs[i].opt;
	memset(&longopts[NOPTS], 0, sizeof(longopts[NOPTS]));
	opterr = 0;
	optind = 0;
	start = 1;
	while ((c = getopt_long(argc, argv, OPTSTRING, longopts, NULL)) !=
	       -1) {
		if (optind == start) /* inside a cluster of short options */
			continue;
		if (!onall_drops(c)) {
			for (i = start; i < optind; i++)
				w[k++] = argv[i];
		} else if (argv[start][1] != '-' && argv[start][1] != c) {
			free(w);
			return usage_error("--onall: give -%c apart from other "
					   "short options (%s)", c,
					   argv[start]);
		}
		start = optind;
	}
	for (i = start; i < argc; i++)
		w[k++] = argv[i];
	*words = w;
	*n = k;
	return 0;
}

unsigned opts_slots(const char *jobs)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	long long n;
	size_t len;

	if (ncpu < 1)
		ncpu = 1;
	if (jobs == NULL)
		return (unsigned)ncpu;
	len = strlen(jobs);
	if (len > 1 && jobs[len - 1] == '%') {
		char num[32];

		if (len - 1 >= sizeof(num))
			goto bad;
		memcpy(num, jobs, len - 1);
		num[len - 1] = '\0';
		if (parse_number(num, 1, 100000, &n) == -1)
			goto bad;
		n = ncpu * n / 100;
	} else if (jobs[0] == '+' || jobs[0] == '-') {
		if (parse_number(jobs + 1, 0, 100000, &n) == -1)
			goto bad;
		n = jobs[0] == '+' ? ncpu + n : ncpu - n;
	} else {
		if (parse_number(jobs, 0, 100000, &n) == -1)
			goto bad;
		if (n == 0)
			n = 256; /* GNU parallel: as many as possible */
	}
	return n < 1 ? 1 : (unsigned)n;
bad:
	fprintf(stderr,
		"mprun: -j: \"%s\" is not a job count (N, N%%, +N or -N)\n",
		jobs);
	return 0;
}
