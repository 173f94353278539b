#!/usr/bin/env bash
# workers.sh: the --workers pool against one process per input, and against
# the same worker fed by a plain pipe.
#
#   workers   seq N | mprun --workers "awk '{print $1*2; fflush()}'"
#   spawn     seq NSPAWN | mprun 'echo $(( {} * 2 ))'   (per-input cost,
#             extrapolated to N inputs)
#   pipe      seq N | awk '{print $1*2; fflush()}'      (the floor)
#
# Targets: workers >= 50x the throughput of spawn; workers within 2x of
# pipe. Workers are sent inputs ahead of their results (--max-inflight), so
# the remaining cost is mprun's own work per record: taking it from the
# queue, framing, and putting the result in order.
#
# Env: MPRUN (binary, default ../_build/cmd/mprun), N (100000), NSPAWN
# (2000), RUNS (best of, 3), JOBS (the -j values tried, default: the CPU
# count and 4x it). mawk reads ahead on pipes unless -W interactive, so that
# is added when awk is mawk (for the pipe too, to compare the same program).
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
MPRUN=${MPRUN:-$BENCH/../_build/cmd/mprun}
N=${N:-100000}
NSPAWN=${NSPAWN:-2000}
RUNS=${RUNS:-3}
NCPU=$(nproc)
JOBS=${JOBS:-"$NCPU $((NCPU * 4))"}

die() { echo "workers.sh: $*" >&2; exit 1; }
# Quote a word for the sh -c that runs each command.
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

[[ -x $MPRUN ]] || die "no mprun binary at $MPRUN (run make, or set MPRUN)"
AWK=awk
# (Read all of it: a pipe closed early would fail the test under pipefail.)
if [[ $(awk -W version 2>&1 </dev/null || :) == *mawk* ]]; then
	AWK="awk -W interactive"
fi
PROG='{print $1*2; fflush()}'
WORKER="$AWK '$PROG'"

# Seconds (3 decimals) of the best of RUNS runs of a shell command.
best() {
	local i t0 t1 best=
	for ((i = 0; i < RUNS; i++)); do
		t0=$(date +%s%N)
		sh -c "$1" >/dev/null || die "failed: $1"
		t1=$(date +%s%N)
		if [[ -z $best || $((t1 - t0)) -lt $best ]]; then
			best=$((t1 - t0))
		fi
	done
	awk -v ns="$best" 'BEGIN { printf "%.3f", ns / 1e9 }'
}

# Fail early if the worker run gives wrong results.
want=$(seq "$N" | $AWK "$PROG" | sort -n | cksum)
got=$(seq "$N" | "$MPRUN" --workers "$WORKER" | sort -n | cksum)
[[ $got == "$want" ]] || die "mprun --workers gave wrong results"

echo "workers.sh: $N inputs, $NCPU CPUs, worker: $WORKER, best of $RUNS"
M=$(q "$MPRUN")
t_pipe=$(best "seq $N | $WORKER")
t_spawn=$(best "seq $NSPAWN | $M $(q 'echo $(( {} * 2 ))')")
t_spawn_n=$(awk -v t="$t_spawn" -v a="$NSPAWN" -v n="$N" \
	'BEGIN { printf "%.3f", t / a * n }')
printf '%-28s %8ss\n' "pipe (floor)" "$t_pipe"
printf '%-28s %8ss  (%s inputs: %ss)\n' "one process per input" \
	"$t_spawn_n" "$NSPAWN" "$t_spawn"
for j in $JOBS; do
	t=$(best "seq $N | $M -j$j --workers $(q "$WORKER")")
	awk -v t="$t" -v s="$t_spawn_n" -v p="$t_pipe" -v j="$j" 'BEGIN {
		printf "%-28s %8.3fs  %6.1fx the spawn throughput (>= 50)," \
		       "  %4.2fx the pipe time (<= 2)\n",
		       "--workers -j" j, t, s / t, t / p }'
done
