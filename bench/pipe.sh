#!/usr/bin/env bash
# pipe.sh: pipe mode (--pipe, --pipepart) against cat | wc -l and GNU
# parallel, counting the lines of SIZE of numbers (default 200M).
# The last row is the floor of any tool that starts a job per block: a
# bare posix_spawn loop starting `wc -l` as many times as there are blocks.
# Env: MPRUN (binary, default ../_build/cmd/mprun), RUNS (default 5),
# SIZE (default 200M), JOBS (-j, default 4), BLOCK (default 1M).
# hyperfine if installed, else a timing loop (the best of RUNS). Not part
# of make check.
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
MPRUN=${MPRUN:-$BENCH/../_build/cmd/mprun}
RUNS=${RUNS:-5}
SIZE=${SIZE:-200M}
JOBS=${JOBS:-4}
BLOCK=${BLOCK:-1M}

die() { echo "pipe.sh: $*" >&2; exit 1; }

# Quote a word for the sh -c that runs each command.
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

[[ -x $MPRUN ]] || die "no mprun binary at $MPRUN (run make, or set MPRUN)"
MPRUN=$(cd "$(dirname "$MPRUN")" && pwd)/$(basename "$MPRUN")
M=$(q "$MPRUN")

DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT
{ seq 1 100000000 || :; } | head -c "$SIZE" >"$DATA/numbers"
# cut at the last whole line
truncate -s "$(($(wc -c <"$DATA/numbers") - $(tail -n1 "$DATA/numbers" | wc -c)))" \
	"$DATA/numbers"
F=$(q "$DATA/numbers")
LINES=$(wc -l <"$DATA/numbers")

NAMES=("cat | wc -l" "mprun --pipe" "mprun --pipepart")
CMDS=("cat $F | wc -l"
	"cat $F | $M -j$JOBS --pipe --block $BLOCK wc -l | awk '{s+=\$1} END {print s}'"
	"$M -j$JOBS --pipepart -a $F --block $BLOCK wc -l | awk '{s+=\$1} END {print s}'")
if command -v parallel >/dev/null; then
	NAMES+=("parallel --pipe" "parallel --pipepart")
	CMDS+=("cat $F | parallel --will-cite -j$JOBS --pipe --block $BLOCK wc -l | awk '{s+=\$1} END {print s}'"
		"parallel --will-cite -j$JOBS --pipepart -a $F --block $BLOCK wc -l | awk '{s+=\$1} END {print s}'")
else
	echo "pipe.sh: GNU parallel missing, skipping its rows" >&2
fi

# Every command must count every line.
for i in "${!CMDS[@]}"; do
	got=$(sh -c "${CMDS[$i]}")
	[[ $got -eq $LINES ]] || die "${NAMES[$i]}: $got lines, expected $LINES"
done

# The floor of a job per block: as many `wc -l` (on empty stdin) as
# --pipe starts jobs (its job log's lines but the header), -j at a time,
# by a bare posix_spawn loop.
cc -O2 -o "$DATA/spawn_floor" "$BENCH/spawn_floor.c"
"$MPRUN" -j"$JOBS" --pipe --block "$BLOCK" --joblog "$DATA/joblog" wc -l \
	<"$DATA/numbers" >/dev/null
NBLOCKS=$(($(wc -l <"$DATA/joblog") - 1))
NAMES+=("spawn floor: $NBLOCKS x wc -l")
CMDS+=("$(q "$DATA/spawn_floor") -n $JOBS $NBLOCKS wc -l </dev/null >/dev/null")

echo "$SIZE of numbers ($LINES lines), -j$JOBS, --block $BLOCK"
if command -v hyperfine >/dev/null; then
	args=()
	for i in "${!CMDS[@]}"; do
		args+=(--command-name "${NAMES[$i]}" "${CMDS[$i]}")
	done
	hyperfine --warmup 1 --runs "$RUNS" "${args[@]}"
	exit 0
fi
# No hyperfine: the best wall time of RUNS runs each.
for i in "${!CMDS[@]}"; do
	best=
	for ((r = 0; r < RUNS; r++)); do
		t0=${EPOCHREALTIME/[.,]/}
		sh -c "${CMDS[$i]}" >/dev/null
		t1=${EPOCHREALTIME/[.,]/}
		ms=$(((t1 - t0) / 1000))
		[[ -z $best || $ms -lt $best ]] && best=$ms
	done
	printf '%-22s %6d ms (best of %d)\n' "${NAMES[$i]}" "$best" "$RUNS"
done
