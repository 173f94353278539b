#!/usr/bin/env bash
# run.sh: benchmark mprun against a spawn floor, xargs and GNU parallel.
# Env: MPRUN (binary, default ../_build/cmd/mprun), RUNS (default 5),
# MEM_PARALLEL=1 to also measure GNU parallel's memory (slow: ~1 min),
# UPDATE_README=1 to write the summary into README.md.
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
MPRUN=${MPRUN:-$BENCH/../_build/cmd/mprun}
RUNS=${RUNS:-5}
MEM_PARALLEL=${MEM_PARALLEL:-0}
OUT=$BENCH/results
SUMMARY=$BENCH/results.md

die() { echo "run.sh: $*" >&2; exit 1; }

# Quote a word for the sh -c that hyperfine runs.
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

[[ -x $MPRUN ]] || die "no mprun binary at $MPRUN (run make, or set MPRUN)"
MPRUN=$(cd "$(dirname "$MPRUN")" && pwd)/$(basename "$MPRUN")
command -v hyperfine >/dev/null || die "hyperfine missing (apt-get install -y hyperfine)"
command -v cc >/dev/null || die "no C compiler (cc)"
HAVE_PARALLEL=0
if command -v parallel >/dev/null; then
	HAVE_PARALLEL=1
else
	echo "run.sh: GNU parallel missing, skipping its rows" >&2
fi
# --will-cite silences the citation notice without touching ~/.parallel.
PAR="parallel --will-cite"

BUILD=$(mktemp -d)
trap 'rm -rf "$BUILD"' EXIT
cc -O2 -o "$BUILD/spawn_floor" "$BENCH/spawn_floor.c"
cc -O2 -o "$BUILD/maxrss" "$BENCH/maxrss.c"
mkdir -p "$OUT"

M=$(q "$MPRUN")
FLOOR=$(q "$BUILD/spawn_floor")
GEN=$(q "$BENCH/gen1m")

# Fail early if a tool gives wrong output: 3 jobs of gen1m = 3 MiB.
check_bytes() {
	local got
	got=$(seq 3 | sh -c "$1" | wc -c) || die "'$1' failed"
	[[ $got -eq 3145728 ]] || die "'$1' wrote $got bytes, expected 3145728"
}
check_bytes "xargs -P2 -n1 $GEN"
check_bytes "$M -j2 $GEN"
if ((HAVE_PARALLEL)); then check_bytes "$PAR -j2 $GEN"; fi

# Run hyperfine on NAME CMD pairs, exporting to $OUT/$1.{md,json,csv}.
bench() {
	local tag=$1 args=()
	shift
	while (($#)); do
		args+=(--command-name "$1" "$2")
		shift 2
	done
	hyperfine --warmup 1 --runs "$RUNS" --style basic \
		--export-markdown "$OUT/$tag.md" --export-json "$OUT/$tag.json" \
		--export-csv "$OUT/$tag.csv" "${args[@]}"
}

echo "== dispatch: 1000 x true, 2 at a time"
set -- floor "$FLOOR 2 1000 true" \
	"xargs -P2" "seq 1000 | xargs -P2 -n1 true" \
	"mprun -j2" "seq 1000 | $M -j2 true"
if ((HAVE_PARALLEL)); then
	set -- "$@" "parallel -j2" "seq 1000 | $PAR -j2 true"
fi
bench dispatch "$@"

echo "== grouped output: 100 jobs x 1 MiB"
set -- "xargs -P2" "seq 100 | xargs -P2 -n1 $GEN > /dev/null" \
	"mprun -j2" "seq 100 | $M -j2 $GEN > /dev/null"
if ((HAVE_PARALLEL)); then
	set -- "$@" "parallel -j2" "seq 100 | $PAR -j2 $GEN > /dev/null"
fi
bench output "$@"

echo "== pipeline: 2000 items through three stages, 2 jobs each"
XCHAIN="seq 2000 | xargs -P2 -n1 echo | xargs -P2 -n1 echo | xargs -P2 -n1 echo"
bench pipeline "3 x xargs -P2" "$XCHAIN > /dev/null" \
	"mprun --pipeline" "$M --pipeline $(q "$BENCH/pipeline3.yaml") > /dev/null"

# Peak RSS in KiB of a command reading seq 1 3000000 on stdin.
peak_rss() {
	local out
	out=$(seq 1 3000000 | "$BUILD/maxrss" "$@" 2>&1 >/dev/null) ||
		die "memory run failed: $* ($out)"
	printf '%s\n' "${out##*$'\n'}"
}

echo "== memory: seq 1 3000000, -n 10000 true"
RSS_XARGS=$(peak_rss xargs -P2 -n 10000 true)
RSS_MPRUN=$(peak_rss "$MPRUN" -j2 -n 10000 true)
RSS_PARALLEL=
if ((HAVE_PARALLEL)) && [[ $MEM_PARALLEL == 1 ]]; then
	RSS_PARALLEL=$(peak_rss parallel --will-cite -j2 -n 10000 true)
fi

# Print markdown rows from a hyperfine CSV, with ratios to row BASE.
table_rows() {
	awk -F, -v base="$2" -v label="$3" '
	NR == 1 { next }
	{ name[NR] = $1; mean[NR] = $2; sd[NR] = $3; if ($1 == base) ref = $2 }
	END {
		for (i = 2; i <= NR; i++)
			printf "| %s | %s | %.3f ± %.3f | %.2f |\n", label, name[i],
				mean[i], sd[i], (ref > 0 ? mean[i] / ref : 0)
	}' "$1"
}

# Print one memory row if a value was measured.
mem_row() {
	[[ -n $2 ]] || return 0
	awk -v t="$1" -v k="$2" 'BEGIN { printf "| %s | %d | %.1f |\n", t, k, k / 1024 }'
}

summary() {
	echo "Measured by \`bench/run.sh\` (hyperfine, side by side in one run):"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -sr)," \
		"runs=$RUNS, hyperfine $(hyperfine --version | awk '{print $2}')."
	echo "mprun: $MPRUN"
	echo
	echo "| benchmark | tool | mean (s) | ratio |"
	echo "|---|---|---|---|"
	table_rows "$OUT/dispatch.csv" floor "dispatch (vs floor)"
	table_rows "$OUT/output.csv" "xargs -P2" "output (vs xargs)"
	table_rows "$OUT/pipeline.csv" "3 x xargs -P2" "3-stage pipeline (vs xargs chain)"
	echo
	echo "Peak RSS, \`seq 1 3000000 | TOOL -j2 -n 10000 true\`:"
	echo
	echo "| tool | peak RSS (KiB) | MiB |"
	echo "|---|---|---|"
	mem_row "xargs -P2" "$RSS_XARGS"
	mem_row "mprun -j2" "$RSS_MPRUN"
	mem_row "parallel -j2" "$RSS_PARALLEL"
}

echo
summary | tee "$SUMMARY"
echo
echo "Summary: $SUMMARY; raw hyperfine exports: $OUT/"

# UPDATE_README=1: put the summary between the README's bench markers.
if [[ ${UPDATE_README:-0} == 1 ]]; then
	README=$BENCH/../README.md
	awk -v f="$SUMMARY" '
	/<!-- bench:begin -->/ { print; while ((getline l < f) > 0) print l; skip = 1; next }
	/<!-- bench:end -->/ { skip = 0 }
	!skip' "$README" >"$README.new" && mv "$README.new" "$README"
	echo "README.md updated"
fi
