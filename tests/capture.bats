#!/usr/bin/env bats
# Output capture: grouping, byte-exactness of large outputs, spilling,
# stderr, --line-buffer, -u, --tag, --tagstring, closed stdout.

load setup

# Milliseconds since the epoch, without a fork of date.
_cap_ms() {
	local t=${EPOCHREALTIME//[.,]/}
	echo $((t / 1000))
}

# Run a command with its standard output closed.
_cap_stdout_closed() {
	"$@" >&-
}

# Make files in.1 .. in.N of SIZE random bytes each.
_cap_make_inputs() {
	local n=$1 size=$2 i
	for i in $(seq "$n"); do
		head -c "$size" /dev/urandom >"in.$i"
	done
}

# Check that file $1 is the files in.1..in.N (each SIZE bytes), each once,
# in any order: cut it into SIZE-byte chunks and compare the checksums.
_cap_same_chunks() {
	local out=$1 n=$2 size=$3
	[ "$(stat -c %s "$out")" -eq $((n * size)) ]
	mkdir chunks
	split -a 3 -b "$size" "$out" chunks/c.
	[ "$(cd chunks && sha256sum c.* | cut -d' ' -f1 | sort)" = \
		"$(for i in $(seq "$n"); do sha256sum <"in.$i"; done | cut -d' ' -f1 | sort)" ]
}

# --- grouping ----------------------------------------------------------------------

@test "grouped stdout never interleaves: each job's lines are contiguous" {
	"$MPRUN" -j4 'for i in $(seq 2000); do echo {}; [ $((i % 200)) -ne 0 ] || sleep 0.01; done' \
		::: a b c d >out
	[ "$(wc -l <out)" -eq 8000 ]
	[ "$(uniq out | wc -l)" -eq 4 ]
	[ "$(uniq -c out | awk '{ print $1 }' | sort -u)" = 2000 ]
	[ "$(uniq out | sort | tr -d '\n')" = abcd ]
}

@test "grouped stderr never interleaves and is kept apart from stdout" {
	"$MPRUN" -j4 'for i in $(seq 1000); do echo err-{} >&2; [ $((i % 200)) -ne 0 ] || sleep 0.01; done; echo out-{}' \
		::: a b c d >out 2>err
	[ "$(sort out | tr '\n' ' ')" = "out-a out-b out-c out-d " ]
	[ "$(wc -l <err)" -eq 4000 ]
	[ "$(uniq err | wc -l)" -eq 4 ]
	[ "$(uniq err | sort | tr '\n' ' ')" = "err-a err-b err-c err-d " ]
}

@test "-k: 10 jobs of 3 MiB each give exactly the concatenation" {
	_cap_make_inputs 10 3145728
	"$MPRUN" -k -j4 cat ::: in.1 in.2 in.3 in.4 in.5 in.6 in.7 in.8 in.9 in.10 >out
	cat in.1 in.2 in.3 in.4 in.5 in.6 in.7 in.8 in.9 in.10 | cmp - out
}

@test "unordered: 10 jobs of 3 MiB each, each output whole and exactly once" {
	_cap_make_inputs 10 3145728
	"$MPRUN" -j4 cat ::: in.1 in.2 in.3 in.4 in.5 in.6 in.7 in.8 in.9 in.10 >out
	_cap_same_chunks out 10 3145728
}

@test "a job's output without a final newline is kept byte-exact" {
	run "$MPRUN" -k 'printf {}' ::: a b c
	[ "$status" -eq 0 ]
	[ "$output" = "abc" ]
}

@test "--group is the default grouped output" {
	"$MPRUN" --group -j2 'for i in 1 2 3; do echo {}; sleep 0.05; done' ::: a b >out
	[ "$(uniq out | wc -l)" -eq 2 ]
	[ "$(wc -l <out)" -eq 6 ]
}

@test "--group on one file: the writing job's order as it wrote; a held job's stdout, then its stderr" {
	# job 1 is the oldest (-k): its output passes as it comes; job 2 is
	# held until job 1 is done, then written stdout first (as GNU does)
	run "$MPRUN" -k -j2 'if [ {} = 1 ]; then sleep 0.3; echo err1 >&2; sleep 0.3; echo out1; else echo err2 >&2; echo out2; fi' ::: 1 2
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'err1\nout1\nout2\nerr2')" ]
}

@test "jobs with no output add nothing" {
	"$MPRUN" -k true ::: a b c >out 2>err
	[ ! -s out ]
	[ ! -s err ]
}

@test "output of a job's background child is captured until its pipe closes" {
	run "$MPRUN" '(sleep 0.3; echo late-{}) & echo early-{}' ::: a
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'early-a\nlate-a')" ]
}

@test "a thousand jobs each run exactly once" {
	seq 1000 >in
	"$MPRUN" -j8 echo <in | sort -n >out
	cmp in out
}

# --- spilling ---------------------------------------------------------------------------

@test "--buffer-size 4K: 1 MiB outputs spill and stay exact with -k" {
	_cap_make_inputs 4 1048576
	# The first job is late: the others finish meanwhile and must be held.
	"$MPRUN" -k -j4 --buffer-size 4K '[ {} != in.1 ] || sleep 0.5; cat {}' \
		::: in.1 in.2 in.3 in.4 >out
	cat in.1 in.2 in.3 in.4 | cmp - out
}

@test "--buffer-size 4K -j2 -k: 1 MiB outputs stay exact" {
	_cap_make_inputs 4 1048576
	"$MPRUN" -k -j2 --buffer-size 4K cat ::: in.1 in.2 in.3 in.4 >out
	cat in.1 in.2 in.3 in.4 | cmp - out
}

@test "--buffer-size 4K unordered: each 1 MiB output whole and exactly once" {
	_cap_make_inputs 4 1048576
	"$MPRUN" -j4 --buffer-size 4K cat ::: in.1 in.2 in.3 in.4 >out
	_cap_same_chunks out 4 1048576
}

@test "spilled stderr stays exact with -k" {
	_cap_make_inputs 3 1048576
	"$MPRUN" -k -j3 --buffer-size 4K '[ {} != in.1 ] || sleep 0.3; cat {} >&2' \
		::: in.1 in.2 in.3 2>err >out
	[ ! -s out ]
	cat in.1 in.2 in.3 | cmp - err
}

@test "--spill-limit: a held job's stream stops being read at the limit" {
	head -c 4194304 /dev/urandom >in.2
	# Job 1 (the writer, -k) waits until job 2 has started to write 4 MiB,
	# then gives it 1 s more: job 2 is held, and past 4K in memory and
	# 64K in its file mprun reads no more, so it blocks on a full pipe
	# (of 1 MiB).
	"$MPRUN" -k -j2 --buffer-size 4K --spill-limit 64K \
		"if [ {} = 1 ]; then $WAIT_FOR started.2 || exit 1; sleep 1; if [ -e wrote.2 ]; then echo 2 was read; else echo 2 blocked; fi
		else : >started.{}; cat in.{}; : >wrote.{}; fi" ::: 1 2 >out
	[ "$(head -n 1 out)" = "2 blocked" ]
	# then it was read to the end
	[ -e wrote.2 ]
	tail -c +11 out | cmp - in.2
}

@test "spill files go to --tmpdir and are not left behind" {
	_cap_make_inputs 3 1048576
	mkdir spill
	"$MPRUN" -k -j3 --tmpdir "$T/spill" --buffer-size 4K '[ {} != in.1 ] || sleep 0.3; cat {}' \
		::: in.1 in.2 in.3 >out
	cat in.1 in.2 in.3 | cmp - out
	[ -z "$(ls -A spill)" ]
}

# --- --line-buffer ----------------------------------------------------------------

@test "--line-buffer never splits a line written in pieces" {
	"$MPRUN" -j4 --line-buffer \
		'p=$(printf "%500s" "" | tr " " {}); for l in 1 2 3 4 5; do for k in 1 2 3 4; do printf %s "$p"; sleep 0.01; done; echo; done' \
		::: a b c d >out
	[ "$(wc -l <out)" -eq 20 ]
	[ -z "$(grep -vxE 'a{2000}|b{2000}|c{2000}|d{2000}' out)" ]
	[ "$(sort out | uniq -c | awk '{ print $1 }' | sort -u)" = 5 ]
}

@test "--line-buffer writes whole lines before the job ends" {
	# each job's second line waits until the test has read its first one
	"$MPRUN" --line-buffer -j2 "echo {}-first; $WAIT_FOR seen.{}-first && echo {}-second" ::: a b |
		see_lines >st
	cat st
	[ "$(sort st)" = "$(printf 'a-first\na-second\nb-first\nb-second')" ]
	# a job's lines in their order
	[ "$(grep '^a' st)" = "$(printf 'a-first\na-second')" ]
	[ "$(grep '^b' st)" = "$(printf 'b-first\nb-second')" ]
}

@test "--lb is --line-buffer" {
	run "$MPRUN" --lb -k echo ::: a b
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a\nb')" ]
}

@test "--line-buffer writes a last line without a newline at the end" {
	run "$MPRUN" --line-buffer 'printf x{}' ::: a
	[ "$status" -eq 0 ]
	[ "$output" = "xa" ]
}

@test "--line-buffer --tag prefixes every whole line" {
	"$MPRUN" -j2 --line-buffer --tag 'printf "1-"; sleep 0.1; echo {}; echo 2-{}' ::: a b >out
	[ "$(sort out)" = "$(printf 'a\t1-a\na\t2-a\nb\t1-b\nb\t2-b')" ]
}

# --- -u -----------------------------------------------------------------------------

@test "-u gives the jobs mprun's own stdout (not captured)" {
	"$MPRUN" -u ': {}; readlink /proc/self/fd/1' ::: x >out
	[ "$(cat out)" = "$(readlink -f out)" ]
}

@test "without -u the job's stdout is captured (not mprun's stdout)" {
	"$MPRUN" ': {}; readlink /proc/self/fd/1' ::: x >out
	[ "$(cat out)" != "$(readlink -f out)" ]
	# a pipe to mprun
	[[ "$(cat out)" == "pipe:["*"]" ]]
	[ "$(wc -l <out)" -eq 1 ]
}

@test "--ungroup is -u and output appears while the job runs" {
	# the second line waits until the test has read the first one
	"$MPRUN" --ungroup "echo {}-first; $WAIT_FOR seen.{}-first && echo {}-second" ::: a |
		see_lines >st
	cat st
	read -r l1 <st
	[ "$l1" = a-first ]
	[ "$(cat st)" = "$(printf 'a-first\na-second')" ]
}

@test "with -u, -k, --order, --tag and --tagstring have no effect" {
	# job 1 ends only once the test has read job 2's line: with -k or
	# --order map in effect it would wait for ever (30 s, then fail)
	for o in "-k --tag" "--order map --tagstring x{}" "--keep-order --order imap --tag"; do
		rm -f seen.*
		"$MPRUN" -u $o -j2 "if [ {} = 1 ]; then $WAIT_FOR seen.2-out && echo 1-out; else echo 2-out; fi" \
			::: 1 2 | see_lines >st
		echo "$o: $(cat st)"
		[ "$(cat st)" = "$(printf '2-out\n1-out')" ]
	done
}

# --- --tag and --tagstring -------------------------------------------------------------

@test "--tag prefixes each line with the input and a TAB" {
	run "$MPRUN" -k --tag echo ::: a b
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a\ta\nb\tb')" ]
}

@test "--tag prefixes every line of a job, stdout and stderr" {
	"$MPRUN" --tag 'echo {}; echo second; echo err >&2' ::: a >out 2>err
	[ "$(cat out)" = "$(printf 'a\ta\na\tsecond')" ]
	[ "$(cat err)" = "$(printf 'a\terr')" ]
}

@test "--tag with several groups uses the values joined by spaces (GNU format)" {
	run "$MPRUN" --tag echo x ::: a ::: b
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a b\tx a b')" ]
}

@test "--tagstring '{#}:' prefixes with the job number and a TAB" {
	run "$MPRUN" -k --tagstring '{#}:' echo ::: a b
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1:\ta\n2:\tb')" ]
}

@test "--tagstring expands {} and literal text" {
	run "$MPRUN" -k --tagstring 'in={}' echo out ::: a b
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'in=a\tout a\nin=b\tout b')" ]
}

# --- a closed stdout ------------------------------------------------------------------

@test "'yes' jobs | head -1 end within 2 s and leave no job running" {
	local marker="mprun_yes_marker_$$_$RANDOM" start end i
	start=$(_cap_ms)
	timeout 10 "$MPRUN" -j2 'yes {}' ::: "${marker}_a" "${marker}_b" | head -1 >out
	end=$(_cap_ms)
	echo "elapsed $((end - start)) ms"
	grep -qx "${marker}_[ab]" out
	for i in 1 2 3 4 5; do
		pgrep -f "$marker" >/dev/null || break
		sleep 0.1
	done
	if pgrep -f "$marker" >/dev/null; then
		pgrep -af "$marker"
		pkill -f "$marker" || true
		false
	fi
	[ $((end - start)) -lt 2000 ]
}

@test "a broken pipe on stdout ends every job; mprun exits with 255" {
	local marker="mprun_bp_marker_$$_$RANDOM" o
	for o in "" -k --line-buffer "--order map" "--buffer-size 4K"; do
		# (yes exits on the broken pipe of its own; head -c does not)
		timeout 30 "$MPRUN" $o -j2 'yes {} | head -c 100000000' ::: "${marker}_a" "${marker}_b" |
			head -c 1 >out
		st=${PIPESTATUS[0]}
		echo "'$o': $st"
		[ "$st" -eq 255 ]
		[ "$(cat out)" = m ]
		[ -z "$(pgrep -f "$marker")" ]
	done
}

@test "a broken pipe on stdout: 255 with --workers and --pipeline too" {
	seq 100000 | timeout 30 "$MPRUN" --workers 'sed -u s/^/w/' | head -c 1 >out
	st=${PIPESTATUS[1]}
	[ "$st" -eq 255 ]
	[ "$(cat out)" = w ]
	printf 'stages:\n  s:\n    cmd: seq {} 100000000\n    input: [1, 2]\n' >p.yaml
	timeout 30 "$MPRUN" --pipeline p.yaml | head -c 1 >out
	st=${PIPESTATUS[0]}
	[ "$st" -eq 255 ]
	[[ "$(cat out)" == [12] ]]
}

@test "a closed stdout: 255, and nothing meant for it goes into another file" {
	run _cap_stdout_closed "$MPRUN" 'echo {}' ::: a
	[ "$status" -eq 255 ]
	# the job log is opened first: it must not take the place of stdout
	run _cap_stdout_closed "$MPRUN" --joblog log -j1 'echo out-{}' ::: a b
	[ "$status" -eq 255 ]
	[ "$(wc -l <log)" -ge 2 ]
	[ "$(grep -c '^out-' log)" -eq 0 ]
	run _cap_stdout_closed "$MPRUN" --results res 'echo out-{}' ::: a
	[ "$status" -eq 255 ]
	run _cap_stdout_closed "$MPRUN" --workers cat ::: a
	[ "$status" -eq 255 ]
}

@test "a closed stdout ends the run even with -k and many queued jobs" {
	local start end
	start=$(_cap_ms)
	seq 100000 | timeout 10 "$MPRUN" -k -j2 'echo {}; sleep 0.01' | head -2 >out
	end=$(_cap_ms)
	echo "elapsed $((end - start)) ms"
	[ "$(cat out)" = "$(printf '1\n2')" ]
	[ $((end - start)) -lt 2000 ]
}
