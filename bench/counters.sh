#!/usr/bin/env bash
# counters.sh: how fast jobs can update a shared counter and pass a
# semaphore, from the shell (one mprun process per operation, so this is
# mostly process start-up; the atomic add itself is nanoseconds).
# Env: MPRUN (binary, default ../_build/cmd/mprun), PROCS (default 8),
# OPS per process (default 500).
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
MPRUN=${MPRUN:-$BENCH/../_build/cmd/mprun}
PROCS=${PROCS:-8}
OPS=${OPS:-500}
export MPRUN PROCS OPS

[[ -x $MPRUN ]] || { echo "counters.sh: no mprun binary at $MPRUN" >&2; exit 1; }

# Seconds (with a fraction) that the command "$@" takes.
elapsed() {
	local t0=$EPOCHREALTIME
	"$@"
	awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f\n", b - a }'
}

# PROCS processes each doing OPS counter additions; checks the total.
counter_adds() {
	"$MPRUN" --shm-run '
		for p in $(seq "$PROCS"); do
			(for i in $(seq "$OPS"); do "$MPRUN" --counter n +1 >/dev/null; done) &
		done
		wait
		[ "$("$MPRUN" --counter n)" -eq $((PROCS * OPS)) ] || { echo "wrong total" >&2; exit 1; }'
}

# PROCS processes each passing a -j 2 semaphore OPS / 10 times.
sem_passes() {
	local id="bench$$"
	for p in $(seq "$PROCS"); do
		(for i in $(seq $((OPS / 10))); do "$MPRUN" --sem --id "$id" -j 2 --fg true; done) &
	done
	wait
	"$MPRUN" --cleanup >/dev/null
}

n=$((PROCS * OPS))
s=$(elapsed counter_adds)
awk -v n="$n" -v p="$PROCS" -v s="$s" 'BEGIN { printf "counter: %d adds from %d processes in %.2fs (%.0f/s)\n", n, p, s, n / s }'
n=$((PROCS * (OPS / 10)))
s=$(elapsed sem_passes)
awk -v n="$n" -v p="$PROCS" -v s="$s" 'BEGIN { printf "sem -j 2: %d passes from %d processes in %.2fs (%.0f/s)\n", n, p, s, n / s }'

# The library itself: threads adding to one counter (needs the build tree's
# lib/libmprun.a, next to the binary's directory).
LIB=$(dirname "$MPRUN")/../lib/libmprun.a
if [[ -f $LIB ]]; then
	BIN=$(mktemp)
	cc -O2 -D_GNU_SOURCE -I"$BENCH/../lib" -o "$BIN" "$BENCH/shm_rate.c" "$LIB" -lpthread -lrt
	"$BIN" 2 2000000
	rm -f "$BIN"
else
	echo "counters.sh: no $LIB: library rate not measured" >&2
fi
