#!/usr/bin/env bats
# Output order (--order unordered / imap (-k) / map), streaming, and how many
# jobs run at once (-j / -P).

load setup

# Milliseconds since the epoch, without a fork of date.
_ord_ms() {
	local t=${EPOCHREALTIME//[.,]/}
	echo $((t / 1000))
}

# Read lines from stdin; print each as "<ms since $1> <line>".
_ord_stamp() {
	local start=$1 l
	while IFS= read -r l; do
		echo "$(($(_ord_ms) - start)) $l"
	done
}

# The most jobs seen running at once in the file "log", where each job wrote
# "s" when it started and "e" before it ended.
_ord_maxconc() {
	awk '$1 == "s" { c++; if (c > m) m = c } $1 == "e" { c-- } END { print m + 0 }' log
}

# Run N jobs that each hold for 0.4 s with the given mprun options; print the
# most seen at once.
_ord_conc() {
	local n=$1
	shift
	: >log
	seq "$n" | "$MPRUN" "$@" 'echo s >>log; sleep 0.4; echo e >>log; : {}'
	_ord_maxconc
}

_ord_ncpu() {
	getconf _NPROCESSORS_ONLN
}

# --- order policies ------------------------------------------------------------------

@test "unordered (default): a later-started fast job prints first" {
	run "$MPRUN" -j2 'sleep {}; echo {}' ::: 0.8 0
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '0\n0.8')" ]
}

@test "--order unordered: a later-started fast job prints first" {
	run "$MPRUN" --order unordered -j2 'sleep {}; echo {}' ::: 0.8 0
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '0\n0.8')" ]
}

@test "-k: output in input order" {
	run "$MPRUN" -k -j2 'sleep {}; echo {}' ::: 0.8 0
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '0.8\n0')" ]
}

@test "--keep-order is -k" {
	run "$MPRUN" --keep-order -j2 'sleep {}; echo {}' ::: 0.8 0
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '0.8\n0')" ]
}

@test "--order imap: output in input order" {
	run "$MPRUN" --order imap -j2 'sleep {}; echo {}' ::: 0.8 0
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '0.8\n0')" ]
}

@test "--order map: output in input order" {
	run "$MPRUN" --order map -j2 'sleep {}; echo {}' ::: 0.8 0
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '0.8\n0')" ]
}

@test "-k keeps input order over many jobs of varied durations" {
	seq 30 >in
	run "$MPRUN" -k -j8 'sleep 0.$(( ({} * 7) % 3 )); echo {}' <in
	[ "$status" -eq 0 ]
	[ "$output" = "$(seq 30)" ]
}

@test "--order map keeps input order over many jobs of varied durations" {
	seq 30 >in
	run "$MPRUN" --order map -j8 'sleep 0.$(( ({} * 7) % 3 )); echo {}' <in
	[ "$status" -eq 0 ]
	[ "$output" = "$(seq 30)" ]
}

@test "unordered: every job's output appears exactly once" {
	seq 30 >in
	run "$MPRUN" -j8 'sleep 0.$(( ({} * 7) % 3 )); echo {}' <in
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "${lines[@]}" | sort -n)" = "$(seq 30)" ]
}

@test "-k keeps the order of batches with -n" {
	run "$MPRUN" -k -j3 -n2 'sleep 0.$(( 6 - {1} )); echo {}' ::: 1 2 3 4 5 6
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1 2\n3 4\n5 6')" ]
}

@test "-k orders stderr by input too" {
	"$MPRUN" -k -j3 'sleep {}; echo {} >&2' ::: 0.6 0 0.3 2>err >out
	[ "$(cat err)" = "$(printf '0.6\n0\n0.3')" ]
	[ ! -s out ]
}

# --- streaming ------------------------------------------------------------------------

@test "-k streams: the first job's output appears before the last job ends" {
	# the last job waits until the test has read the first one's output
	"$MPRUN" -k -j2 "if [ {} = last ]; then $WAIT_FOR seen.first || exit 1; fi; echo {}" ::: first last |
		see_lines >st
	[ "$(cat st)" = "$(printf 'first\nlast')" ]
}

@test "-k streams the oldest job's output while it runs" {
	# each job's second line waits until the test has read its first one:
	# the oldest job's output goes straight through, the next one's is
	# held until then
	"$MPRUN" -k -j2 "echo {}-first; $WAIT_FOR seen.{}-first && echo {}-second" ::: a b |
		see_lines >st
	cat st
	[ "$(cat st)" = "$(printf 'a-first\na-second\nb-first\nb-second')" ]
}

@test "-k holds a finished later job until the earlier one is out" {
	# job 2 writes only once the job log shows that job 3 has ended
	"$MPRUN" -k -j3 --joblog log \
		"if [ {} = 1 ]; then $WAIT_LINES log 3 && echo {}; else echo {}; fi" ::: 0 1 0 >out
	cat out log
	[ "$(cat out)" = "$(printf '0\n1\n0')" ]
	# job 2 ended last
	[ "$(tail -n 1 log | cut -f1)" = 2 ]
}

@test "--order imap streams the output of the oldest running job" {
	"$MPRUN" --order imap -j2 "echo {}-start; $WAIT_FOR seen.{}-start && echo {}-end" ::: a b |
		see_lines >st
	cat st
	read -r l1 <st
	[ "$l1" = a-start ]
	[ "$(cat st)" = "$(printf 'a-start\na-end\nb-start\nb-end')" ]
}

@test "unordered streams a finished fast job before a slow one ends" {
	# the slow job ends only once the test has read the fast one's output
	"$MPRUN" -j2 "if [ {} = slow ]; then $WAIT_FOR seen.fast || exit 1; fi; echo {}" ::: slow fast |
		see_lines >st
	cat st
	read -r l1 <st
	[ "$l1" = fast ]
	[ "$(cat st)" = "$(printf 'fast\nslow')" ]
}

@test "unordered streams the output of the first job that writes, while it runs" {
	"$MPRUN" -j2 "echo {}-start; $WAIT_FOR seen.{}-start && echo {}-end" ::: a | see_lines >st
	cat st
	read -r l1 <st
	[ "$l1" = a-start ]
	[ "$(cat st)" = "$(printf 'a-start\na-end')" ]
}

@test "--order map writes nothing before the slowest job ended" {
	local start t1 l1 t2 l2
	start=$(_ord_ms)
	"$MPRUN" --order map -j2 'sleep {}; echo {}' ::: 0 1.2 | _ord_stamp "$start" >st
	cat st
	{ read -r t1 l1; read -r t2 l2; } <st
	[ "$l1 $l2" = "0 1.2" ]
	[ "$t1" -ge 1100 ]
}

@test "--order map holds even a running first job's early output" {
	local start t1 l1
	start=$(_ord_ms)
	"$MPRUN" --order map -j2 'echo {}-start; sleep {}' ::: 0 1.2 | _ord_stamp "$start" >st
	cat st
	read -r t1 l1 <st
	[ "$l1" = 0-start ]
	[ "$t1" -ge 1100 ]
}

# --- concurrency (-j / -P) -------------------------------------------------------------

@test "-j2 runs exactly two jobs at once, never more" {
	[ "$(_ord_conc 6 -j2)" -eq 2 ]
}

@test "-P 2 is -j 2" {
	[ "$(_ord_conc 5 -P 2)" -eq 2 ]
}

@test "--jobs 3 runs three at once" {
	[ "$(_ord_conc 6 --jobs 3)" -eq 3 ]
}

@test "-j1 runs the jobs one after another" {
	[ "$(_ord_conc 3 -j1)" -eq 1 ]
}

@test "-j 100% runs one job per CPU" {
	local n
	n=$(_ord_ncpu)
	[ "$(_ord_conc $((n + 2)) -j 100%)" -eq "$n" ]
}

@test "-j 50% runs half as many jobs as CPUs (at least 1)" {
	local n
	n=$(($(_ord_ncpu) / 2))
	[ "$n" -ge 1 ] || n=1
	[ "$(_ord_conc $((n + 2)) -j 50%)" -eq "$n" ]
}

@test "-j +1 runs one more job than CPUs" {
	local n
	n=$(($(_ord_ncpu) + 1))
	[ "$(_ord_conc $((n + 2)) -j +1)" -eq "$n" ]
}

@test "-j -1 runs one fewer job than CPUs (at least 1)" {
	local n
	n=$(($(_ord_ncpu) - 1))
	[ "$n" -ge 1 ] || n=1
	[ "$(_ord_conc $((n + 2)) -j -1)" -eq "$n" ]
}

@test "the default is one job per CPU" {
	local n
	n=$(_ord_ncpu)
	[ "$(_ord_conc $((n + 2)))" -eq "$n" ]
}
