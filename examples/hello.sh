#!/bin/sh
# A first look at mprun: a few jobs, two at a time, output grouped and in
# input order (-k). Run it with MPRUN=/path/to/mprun, or with mprun on PATH.
set -eu
mprun=${MPRUN:-mprun}

echo "# compress three files in parallel, keeping the input order"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for name in alpha beta gamma; do
	seq 1 20000 >"$dir/$name.log"
done
"$mprun" -j2 -k 'gzip -9 {} && echo "{/} -> {/}.gz"' ::: "$dir"/*.log

echo "# a cartesian product, with the job number {#} and the slot {%}"
"$mprun" -j2 -k 'echo "job {#} (slot {%}): {1} x {2}"' ::: a b ::: 1 2

echo "# inputs are quoted: this is one harmless argument"
"$mprun" echo ::: '$(echo not run); echo nor this'
