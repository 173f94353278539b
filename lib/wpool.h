/* wpool: a pool of long-lived worker processes (mprun --workers CMD).
 *
 * Each of `slots` workers runs the shell command CMD and serves many inputs,
 * one at a time: an input is written to an idle worker's stdin as one
 * record, and exactly one result record is read back from its stdout. The
 * pool takes inputs from a bounded queue (filled lazily by a feed), restarts
 * workers that die, time out, misbehave or served max_tasks inputs, and
 * writes the results to out_fd in the order policy's order.
 *
 * Framing, the same in both directions (enum wpool_framing):
 *  WPOOL_LINE  a record is its bytes, then "\n". A record cannot hold a
 *              newline: an input with one fails without being sent.
 *  WPOOL_NUL   its bytes, then one NUL byte (mprun -0 picks this).
 *  WPOOL_LEN   binary-safe: the number of bytes in ASCII decimal (1 to 18
 *              digits, nothing else: no sign, no blanks), one "\n", then
 *              exactly that many bytes and nothing after them. "5\nhello"
 *              is the record hello, "0\n" the empty record, "2\na\n" the
 *              two bytes 'a' '\n'. A malformed or oversized header is a
 *              protocol fault of the worker.
 * An input record holds the input's values joined by single spaces. A
 * result is written to out_fd in the framing it came in, preceded by its
 * tag (--tag: the input and a tab; --tagstring: its expansion and a tab);
 * with WPOOL_LEN the tag is inside the record (counted in its length).
 * Records are limited to WPOOL_RECORD_MAX bytes.
 *
 * Workers: run by the executor as `$SHELL -c CMD`, or with an initializer
 * as `{ INIT\n} </dev/null >&2 || exit; CMD`: INIT runs first in the
 * worker's own shell (its variables and cd stay), reads nothing and writes
 * to stderr only; the worker only starts when it succeeds. Each worker is
 * the leader of its own process group; its stderr is err_fd (passed
 * through, not captured); its environment is ours plus MPRUN_WORKER=<slot>
 * (1-based) and the MPRUN_JOBID marker that lets termtree find its tree.
 *
 * A worker should write each result record whole and flush it at once,
 * and answer an input without waiting for the next one: `awk '{print;
 * fflush()}'`, `sed -u`, `python3 -u`, `stdbuf -oL CMD` (glibc stdio
 * programs), `grep --line-buffered`, `mawk -W interactive` (mawk reads
 * ahead on a pipe). A plain filter that buffers its input and output works
 * too, at a cost (see Filters). A worker must write nothing else on stdout
 * (a banner, a prompt): diagnostics go to stderr.
 *
 * Filters: a worker silent for 1 s with its window full while input waits
 * is sent one input more; if it reads that one too (its stdin pipe is
 * empty) without answering, it reads ahead, and from then on it, and every
 * worker the pool starts after, is streamed to: sent inputs while it has
 * less than 64 KiB (a pipe's capacity) and fewer than 16384 inputs in
 * flight (opts.inflight instead, when given; a buffer holding more inputs
 * than that still stalls). When no input is left, the stdin of each busy
 * worker is closed once all its inputs are written: at once for a worker
 * streamed to or probed, else after it was silent for 1 s (a worker
 * answering each input does not see its stdin end early). Its buffers
 * flush, its results come, and its exit with nothing in flight is normal.
 * So a filter gives exact results, matched to inputs in order, but only
 * when a buffer of it fills or its stdin closes: the first results take
 * about 1.3 s, later ones come in blocks, and timeout_ms counts for each
 * input while it waits in the filter's buffer.
 *
 * In flight: a worker may be sent inputs before it answered the earlier
 * ones (its window), and answers them in the order sent. The window starts
 * at 1 and follows the worker's time per input (a moving average, measured
 * from when an input was sent or the previous result came, whichever is
 * later): as many inputs as take about QUEUED_WORK_US, at most
 * opts.inflight (a worker that reads ahead is streamed to: see Filters). So a fast worker never waits for a round trip (inputs are
 * written with one writev(2) per batch, results parsed many per read(2)),
 * while slow inputs are still spread one per worker. A fault is the
 * oldest input's: the inputs behind it go back to the front of the queue,
 * their try not counted; a timeout counts from when an input became the
 * oldest. Results are written out in blocks (every 64 KiB, or 2 ms after
 * the first result waiting).
 *
 * Faults, each reported through the notice event with the input quoted:
 *  - the worker exits or is killed while an input is pending: "worker 2
 *    died (signal 9) on input 'foo'"; the input is tried again on a new
 *    worker while it has retries left (the message then ends in "; trying
 *    it again"), else it fails;
 *  - no result within timeout_ms: the worker's tree is ended with the
 *    termseq and the worker restarted; the input fails (or is retried); a
 *    worker that never answered at all gets a hint about flushing, once;
 *    without a timeout, a worker silent for 5 s on its first input gets
 *    the same hint (and goes on);
 *  - more than one record for one input (in what was read with it), a
 *    malformed length, a record over WPOOL_RECORD_MAX, an answer before
 *    the whole input was written: the worker is ended and restarted; the
 *    input fails (or is retried);
 *  - it exits with status 0 after its stdin was closed at the end of the
 *    input, inputs still in flight: it wrote fewer records than it was
 *    sent (a filter that drops some, `grep -v`), so the results it gave
 *    may belong to other inputs (which cannot be told earlier): "worker 1
 *    exited at the end of its input with 3 inputs unanswered, from input
 *    'x': ..."; every input in flight fails (none is tried again);
 *  - output with no input pending: "worker N wrote output with no input
 *    pending"; the worker is ended and restarted, and the fault counts in
 *    sched_faults() (sched_failures() counts it);
 *  - it closes its stdout or stdin while alive: it has 250 ms to exit,
 *    then it is ended (its input, if any, fails or is retried).
 * A second record that arrives only after the next input was sent cannot
 * be told from that input's answer: one record per input is the worker's
 * side of the contract. A worker that exits while idle is restarted when
 * there is input for it (said if its exit status was not 0). Workers that
 * end before their first result (retries + 2) x slots times in a row, or
 * exit 126 / 127 before it (the command cannot run), stop the run (error
 * event; the pool closes itself).
 *
 * Below, "input" is the oldest in flight; BUSY means one or more in flight.
 * Life of a worker (state x event; "end" = the termseq on its tree, the
 * worker then ENDING; an EMPTY slot is started when there is input; BUSY
 * "exit" with status 0 after its stdin closed at the end: all in flight
 * fail, see Faults):
 *            input  result       extra out     timeout     lost pipe  exit
 *   EMPTY    start  -            -             -           -          -
 *   IDLE     BUSY   -            fault, end    -           grace      EMPTY
 *   BUSY     -      IDLE or      input fails,  input       grace,     input
 *                   RETIRING     end           fails, end  then as    fails,
 *                                                          timeout    EMPTY
 *   RETIRING -      -            fault, end    end (*)     -          EMPTY
 *   ENDING   -      dropped      dropped       -           -          EMPTY
 * RETIRING: stdin closed after max_tasks inputs, when no input is left, or
 * after sched_close(); (*) it has retire_ms to exit. Whatever is left of a
 * worker's tree when it is reaped (its process group, and processes that
 * left the group but carry its marker) is killed.
 *
 * Callbacks (on_success / on_error templates, shell commands): after each
 * input ends for good, one at a time in completion order, with the input's
 * replacement strings and MPRUN_SEQ, MPRUN_SLOT (the worker), MPRUN_EXIT (0
 * or 1) and MPRUN_RESULT (the result's text, up to its first NUL byte, at
 * most 128 KiB) in their environment (lib/callback.h runs them). Their
 * stdout is captured (in memory, then in a file in tmpdir) and written
 * right after the input's result (never inside a record); their stderr
 * goes to err_fd. A result is released after its callback. Ownership is
 * as lib/sched.h says. */
#ifndef MPRUN_WPOOL_H
#define MPRUN_WPOOL_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "sched.h"

struct capture_sink;
struct executor;
struct loop;
struct queue;
struct template;

enum wpool_framing { WPOOL_LINE, WPOOL_NUL, WPOOL_LEN };

/* Inputs in flight per worker at most, by default. */
#define WPOOL_INFLIGHT 64

/* The largest record either way, in bytes. */
#define WPOOL_RECORD_MAX ((size_t)1 << 30)

/* Append the record holding p[0..n) to out. 0, or -1 with ENOMEM, or
 * EINVAL when the framing cannot carry it (a newline with WPOOL_LINE, a NUL
 * with WPOOL_NUL) or it is larger than WPOOL_RECORD_MAX. */
int wpool_frame_encode(enum wpool_framing f, const void *p, size_t n,
		       struct buf *out);
/* Find the first record in p[0..n): 1 and its payload at p + *start,
 * *len bytes long, the record using *used bytes of p; 0 when p holds no
 * whole record yet; -1 and EPROTO for a malformed length header, EMSGSIZE
 * for a record larger than WPOOL_RECORD_MAX. */
int wpool_frame_parse(enum wpool_framing f, const char *p, size_t n,
		      size_t *start, size_t *len, size_t *used);

struct wpool_opts {
	struct sched_opts sched;        /* workers, order, --halt... (the
					 * timeout is per input) */
	const char *command;            /* the workers' shell command */
	const char *init;               /* run first in each worker, or NULL */
	enum wpool_framing framing;
	unsigned long long max_tasks;   /* restart after N inputs; 0: never */
	unsigned inflight;              /* inputs in flight per worker at
					 * most; 0: WPOOL_INFLIGHT */
	uint64_t retire_ms;             /* exit grace after stdin closes; 0:
					 * 10 s */
};

/* A scheduler (lib/sched) of long-lived workers: NULL/errno (ENOMEM,
 * EINVAL for no command or zero slots). The halt policy's "now" is
 * sched_terminate, "soon" sched_close; sched_running() counts the inputs in
 * flight, sched_faults() the stray outputs (see Faults). sched_close()
 * sends no new input, lets the pending ones finish, then closes the
 * workers' stdin and waits for them; sched_free() kills (SIGKILL) and
 * reaps the workers still running. */
struct sched *wpool_new(struct loop *l, const struct wpool_opts *opts,
			const struct sched_events *ev);

/* The shell command each worker runs (init included). */
const char *wpool_shell_command(const struct sched *s);
/* Workers started so far (restarts included). */
unsigned long long wpool_spawns(const struct sched *s);

/* An input, as the events see it (and as sched_task_* tell: its number,
 * its worker's slot, tries, times of its last try, how it ended, the
 * bytes to and from the worker, framing included). */
/* The input's text (values joined by spaces) and its length. */
const char *wpool_task_input(const struct sched_task *t, size_t *len);

#endif
