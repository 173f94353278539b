#!/usr/bin/env bats
# Output capture: grouping, byte-exactness of large outputs, spilling,
# stderr, --line-buffer, -u, --tag, --tagstring, closed stdout.

load setup

# Milliseconds since the epoch, without a fork of date.
_cap_ms() {
	local t=${EPOCHREALTIME//[.,]/}
	echo $((t / 1000))
}

# Read lines from stdin; print each as "<ms since $1> <line>".
_cap_stamp() {
	local start=$1 l
	while IFS= read -r l; do
		echo "$(($(_cap_ms) - start)) $l"
	done
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
	local start t1 l1
	start=$(_cap_ms)
	"$MPRUN" --line-buffer -j2 'echo {}-first; sleep 1.2; echo {}-second' ::: a b |
		_cap_stamp "$start" >st
	cat st
	read -r t1 l1 <st
	[ "$t1" -lt 800 ]
	[ "$(cut -d' ' -f2 st | sort)" = "$(printf 'a-first\na-second\nb-first\nb-second')" ]
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
}

@test "--ungroup is -u and output appears while the job runs" {
	local start t1 l1
	start=$(_cap_ms)
	"$MPRUN" --ungroup 'echo {}-first; sleep 1.2; echo {}-second' ::: a | _cap_stamp "$start" >st
	cat st
	read -r t1 l1 <st
	[ "$l1" = a-first ]
	[ "$t1" -lt 800 ]
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

@test "a closed stdout ends the run even with -k and many queued jobs" {
	local start end
	start=$(_cap_ms)
	seq 100000 | timeout 10 "$MPRUN" -k -j2 'echo {}; sleep 0.01' | head -2 >out
	end=$(_cap_ms)
	echo "elapsed $((end - start)) ms"
	[ "$(cat out)" = "$(printf '1\n2')" ]
	[ $((end - start)) -lt 2000 ]
}
