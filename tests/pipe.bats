#!/usr/bin/env bats
# Pipe mode: --pipe cuts stdin into blocks of records, --pipepart a file;
# each block is one job's stdin.

load setup

# The peak resident memory of process $1 in kB (VmHWM), empty when gone.
_pp_hwm() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || :
}

# --- --pipe ---------------------------------------------------------------------

@test "--pipe is an option of its own, not an abbreviation of --pipeline" {
	run "$MPRUN" --pipe cat < <(seq 3)
	[ "$status" -eq 0 ]
	[ "$output" = "$(seq 3)" ]
}

@test "--pipe --block 10K wc: all lines, several jobs, none over the block" {
	seq 100000 | "$MPRUN" --pipe --block 10K wc -lc >out
	[ "$(awk '{ s += $1 } END { print s }' out)" -eq 100000 ]
	[ "$(wc -l <out)" -gt 1 ]
	# every block within 10 KiB (10240 bytes), hence within 5120 lines
	[ "$(awk '$2 > 10240 || $1 > 5120' out)" = "" ]
	# and not much less: the cut is the last newline before the size
	[ "$(awk '$2 < 10240 - 7' out | wc -l)" -le 1 ]
}

@test "--block with GNU parallel's units: 10k is 10000 bytes, 10ki 10240, 1.5k 1500" {
	seq 100000 >in
	for b in 10k:10000 10ki:10240 10Ki:10240 1.5k:1500 0.01M:10485; do
		"$MPRUN" -k --pipe --block "${b%:*}" wc -c <in >out
		# every block but the last within the size and within a
		# 6-byte line of it
		[ "$(head -n -1 out | awk -v n="${b#*:}" '$1 > n || $1 <= n - 6')" = "" ]
		[ "$(awk '{ s += $1 } END { print s }' out)" -eq "$(wc -c <in)" ]
	done
	# -L too: 1k lines is 1000
	"$MPRUN" -k --pipe -L 1k --block 1 wc -l < <(seq 2500) >out 2>/dev/null
	[ "$(cat out)" = "$(printf '1000\n1000\n500')" ]
	for bad in 1KB 1x 1.5 k 1ki2 -1k; do
		run "$MPRUN" --pipe --block "$bad" wc -c </dev/null
		[ "$status" -eq 255 ]
		[[ $output == *"--block: \"$bad\" is not a size"* ]]
	done
}

@test "--pipe: every block ends with a newline (the records stay whole)" {
	seq 50000 | "$MPRUN" --pipe --block 3k 'tail -c1 | od -An -tx1' >out
	[ "$(wc -l <out)" -gt 10 ]
	[ "$(sort -u out | tr -d ' ')" = "0a" ]
}

@test "--pipe -k: the output is the input, byte for byte" {
	seq 30000 >in
	"$MPRUN" -k --pipe --block 1k cat <in >out
	cmp in out
	# also from a regular file (read, not splice) and with -a
	"$MPRUN" -k --pipe --block 1k cat <in >out2
	cmp in out2
	"$MPRUN" -k --pipe --block 1k -a in cat >out3
	cmp in out3
}

@test "--pipe: a record longer than the block stays whole" {
	{ echo a; head -c 5000 /dev/zero | tr '\0' x; echo; echo b; } >in
	cat in | "$MPRUN" -k --pipe --block 1k 'awk "{ print length(\$0) }"' >out
	[ "$(cat out)" = "$(printf '1\n5000\n1')" ]
	cat in | "$MPRUN" -k --pipe --block 1k cat >out2
	cmp in out2
}

@test "--pipe: a last record without a newline, and empty input" {
	"$MPRUN" -k --pipe --block 1 cat < <(printf 'a\nbb\nc') >out 2>err
	[ "$(cat out)" = "$(printf 'a\nbb\nc')" ]
	# records longer than the block: the block grows, said once
	[ "$(cat err)" = "mprun: a record is larger than --block 1: the block grows to hold it" ]
	run "$MPRUN" --pipe echo ran </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
}

@test "--pipe --recstart '>': FASTA-like records are never split" {
	for i in $(seq 300); do
		printf '>seq%d\nACGTACGT\nAC%0*d\n' "$i" $((i % 37)) 0
	done >in.fa
	cat in.fa | "$MPRUN" --pipe --recstart '>' --block 500 'head -c1; echo' >out
	[ "$(wc -l <out)" -gt 5 ]
	[ "$(sort -u out)" = ">" ]
	cat in.fa | "$MPRUN" -k --pipe --recstart '>' --block 500 cat >out2
	cmp in.fa out2
	# --recend and --recstart together: "\n>" between records
	cat in.fa | "$MPRUN" -k --pipe --recend $'\n' --recstart '>' \
		--block 300 'grep -c "^>"' >counts
	[ "$(awk '{ s += $1 } END { print s }' counts)" -eq 300 ]
}

@test "--pipe: {#} and {%} work; no argument is appended" {
	run "$MPRUN" -k -j2 --pipe --block 4 'echo {#} {%} $(wc -l)' < <(seq 6)
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "1 1 2" ] || [ "${lines[0]}" = "1 2 2" ]
	[ "${#lines[@]}" -eq 3 ]
	[ "$(cut -d' ' -f1 <<<"$output" | tr '\n' ' ')" = "1 2 3 " ]
}

@test "--pipe -N 3: exactly three records a job" {
	run "$MPRUN" -k --pipe -N 3 wc -l < <(seq 10)
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '3\n3\n3\n1')" ]
	seq 100000 | "$MPRUN" -k --pipe -N 7000 cat >out
	seq 100000 | cmp - out
}

@test "--pipe -L 3: blocks of whole 3-line records, as GNU parallel's" {
	# by size: as many whole records as fit; the last line, fewer than
	# three, is a block of its own (GNU parallel gives 1-9, then 10)
	run "$MPRUN" -k --pipe -L 3 'echo ---; cat' < <(seq 10)
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf -- '---\n%s\n---\n10' "$(seq 9)")" ]
	# a record longer than --block makes the block grow (told once)
	run "$MPRUN" -k --pipe -L 3 --block 5 'tr "\n" " "; echo' < <(seq 11)
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' "mprun: a record is larger than --block 5: the block grows to hold it" \
		"1 2 3 " "4 5 6 " "7 8 9 " "10 11 ")" ]
	# --max-lines is -L; k is 1000 lines
	seq 3000 | "$MPRUN" -k --pipe --max-lines 1k --block 1k wc -l >out 2>/dev/null
	[ "$(cat out)" = "$(printf '1000\n1000\n1000')" ]
}

@test "--pipe -L 3 -N 2: six records a job; with --recend, six of those" {
	run "$MPRUN" -k --pipe -L 3 -N 2 wc -l < <(seq 14)
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '6\n6\n2')" ]
	run "$MPRUN" -k --pipe -L 2 -N 2 --recend x 'cat; echo' < <(printf axbxcxdxexfxg)
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'axbxcxdx\nexfxg')" ]
}

@test "--cat: {} is a file holding the block" {
	seq 1000 >in
	"$MPRUN" -k --pipe --block 500 --cat 'cat {} {}' <in >out
	[ "$(sort -n out | uniq -c | awk '$1 != 2' | wc -l)" -eq 0 ]
	[ "$(wc -l <out)" -eq 2000 ]
	# --cat implies --pipe; the file opens the block whatever stdin is
	run "$MPRUN" -k --cat --block 4 'wc -l <{}' < <(seq 4)
	[ "$output" = "$(printf '2\n2')" ]
}

@test "--pipe --retries: a job run again gets its block again from the start" {
	seq 20000 | "$MPRUN" --pipe --block 8k --retries 1 \
		'if [ -e t{#} ]; then wc -l; else touch t{#}; head -c 100 >/dev/null; exit 1; fi' >out
	[ "$(awk '{ s += $1 } END { print s }' out)" -eq 20000 ]
	[ "$(ls t* | wc -l)" -eq "$(wc -l <out)" ]
}

@test "--pipe --retries: a try that writes over its block (stdin, or --cat's file) does not change what the next try gets" {
	run "$MPRUN" -k --pipe --block 4 --retries 1 \
		'if mkdir t{#} 2>/dev/null; then echo XX >&0; exit 1; fi; cat' < <(seq 4)
	[ "$status" -eq 0 ]
	[ "$output" = "$(seq 4)" ]
	run "$MPRUN" -k --pipe --cat --block 4 --retries 1 \
		'if mkdir c{#} 2>/dev/null; then echo CLOBBERED >{}; exit 1; fi; cat {}' < <(seq 4)
	[ "$status" -eq 0 ]
	[ "$output" = "$(seq 4)" ]
}

@test "--cat and --fifo with no {} in the command: the block's path is added as its last word (GNU parallel)" {
	run "$MPRUN" -k --fifo --block 4 wc -l < <(seq 4)
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^"2 /".*/1$ ]]
	[[ "${lines[1]}" =~ ^"2 /".*/2$ ]]
	run "$MPRUN" -k --cat --block 4 'cat </dev/null' < <(seq 4)
	[ "$status" -eq 0 ]
	[ "$output" = "$(seq 4)" ]
	# plain --pipe adds nothing (the block is stdin)
	run "$MPRUN" -k --pipe --block 4 'echo x' < <(seq 4)
	[ "$output" = "$(printf 'x\nx')" ]
}

@test "--pipe with --tag, --joblog and --results" {
	seq 10 | "$MPRUN" -k --pipe --block 6 --joblog log --results res wc -l >out
	[ "$(wc -l <log)" -eq 5 ]
	[ "$(cat out)" = "$(printf '3\n3\n3\n1')" ]
	[ "$(cat res/1/stdout)" = 3 ]
	[ "$(cat res/4/stdout)" = 1 ]
}

@test "--tag, --tagstring in pipe mode: GNU parallel's tags, exactly" {
	# a block has no argument: the tag is empty (GNU parallel 20221122
	# prints the same), for --pipe, --pipepart and --round-robin
	run "$MPRUN" -k --pipe -N 2 --tag cat < <(seq 4)
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '\t%s\n' 1 2 3 4)" ]
	seq 4 >f
	run "$MPRUN" -k --pipepart -a f --block 4 --tag cat
	[ "$output" = "$(printf '\t%s\n' 1 2 3 4)" ]
	run "$MPRUN" -j1 --round-robin -N 1 --tag cat < <(seq 3)
	[ "$output" = "$(printf '\t%s\n' 1 2 3)" ]
	# --cat and --fifo: GNU's {} is the shell variable $PARALLEL_TMP, and
	# its tag that text, not a path that changes from run to run
	run "$MPRUN" -k --pipe -N 2 --tag --cat 'cat {}' < <(seq 4)
	[ "$output" = "$(printf '$PARALLEL_TMP\t%s\n' 1 2 3 4)" ]
	run "$MPRUN" -k --pipe -N 2 --tagstring '<{}>{#}' --fifo 'cat {}' < <(seq 4)
	[ "$output" = "$(printf '<$PARALLEL_TMP>%s\t%s\n' 1 1 1 2 2 3 2 4)" ]
	run "$MPRUN" -k --pipe -N 2 --tagstring '<{}>{#}' cat < <(seq 4)
	[ "$output" = "$(printf '<>%s\t%s\n' 1 1 1 2 2 3 2 4)" ]
}

@test "--progress, --bar in pipe mode: bytes done of the input's size" {
	local bytes='47\.7K of 47\.7K, [0-9.]+[BKMG]/s'
	seq 10000 >f # 48894 bytes
	# --pipepart: the size is known from the start
	"$MPRUN" -j1 --pipepart -a f --block 10k --progress 'sleep 0.3; wc -l' >out 2>err
	cat err >&2
	[ "$(awk '{ s += $1 } END { print s }' out)" -eq 10000 ]
	[ "$(grep -Evc "^mprun: [0-9]+ done, [0-9]+ running, 0 failed, ([0-9]+|\?) total, [0-9.]+/s, [0-9.]+[BKMG] of 47\.7K, [0-9.]+[BKMG]/s\$" err)" -eq 0 ]
	tail -n1 err | grep -Eq "^mprun: 5 done, 0 running, 0 failed, 5 total, [0-9.]+/s, $bytes\$"
	# --pipe: known at the end of the input; --bar goes by bytes
	"$MPRUN" -j2 --pipe --block 10k --bar wc -l <f >out 2>err
	tail -n1 err | grep -Eq "^mprun: \[#{20}\] 100% 5 done, 0 running, 0 failed, 5 total, [0-9.]+/s, $bytes, ETA 0:00\$"
	# --round-robin: the bytes written to the jobs
	"$MPRUN" -j2 --round-robin --block 10k --eta wc -l <f >out 2>err
	tail -n1 err | grep -Eq "^mprun: 2 done, 0 running, 0 failed, \? total, [0-9.]+/s, $bytes, ETA 0:00\$"
}

@test "--joblog in pipe mode: Send is the bytes of the job's block" {
	# (GNU parallel logs the same with --pipe, 0 with --pipepart)
	seq 10 | "$MPRUN" --pipe -N 3 --joblog log cat >/dev/null
	[ "$(sort -n log | cut -f 5,6)" = "$(printf 'Send\tReceive\n6\t6\n6\t6\n6\t6\n3\t3')" ]
	seq 10 >f
	"$MPRUN" --pipepart -a f --block 12 --header : --joblog log2 cat >/dev/null
	[ "$(sort -n log2 | cut -f 5,6)" = "$(printf 'Send\tReceive\n14\t16\n5\t7')" ]
}

@test "--pipe: 200 MB with --block 1M -j2 keeps mprun's memory small" {
	local pid hwm=0 h limit=40960
	if [ -n "${MPRUN_SANITIZED:-}" ]; then
		export ASAN_OPTIONS=${ASAN_OPTIONS:-}:quarantine_size_mb=0
		limit=81920
	fi
	mkfifo f
	yes 123456789 | head -c 200M >f &
	"$MPRUN" --pipe --block 1M -j2 'wc -l' <f >out &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		h=$(_pp_hwm "$pid")
		[ -z "$h" ] || [ "$h" -le "$hwm" ] || hwm=$h
		sleep 0.05
	done
	wait "$pid"
	[ "$(awk '{ s += $1 } END { print s }' out)" -eq 20971520 ]
	echo "peak RSS $hwm KiB" >&3
	[ "$hwm" -gt 0 ]
	[ "$hwm" -lt "$limit" ]
}

@test "Ctrl-C mid-stream ends every job and mprun with 130" {
	local M=mprunpipe$$ st
	cat >"${M}_job" <<EOF
#!/bin/sh
echo up >>up
exec sleep 300
EOF
	chmod +x "${M}_job"
	mkfifo f
	yes 1234 >f &
	local ypid=$!
	setsid "$MPRUN" --pipe --block 1k -j2 "./${M}_job" <f >out 2>err &
	pid=$!
	for i in $(seq 250); do
		[ -e up ] && [ "$(wc -l <up)" -ge 2 ] && break
		sleep 0.02
	done
	[ "$(wc -l <up)" -eq 2 ]
	kill -INT -- -"$pid"
	st=0
	wait "$pid" || st=$?
	kill "$ypid" 2>/dev/null || :
	[ "$st" -eq 130 ]
	sleep 0.1
	[ -z "$(pgrep -f "${M}_job")" ]
}

# The test files of the exact-bytes tests: name, then its bytes.
_pp_files() {
	: >empty
	printf 'a\nbb\nccc' >nonl
	{ seq 200; head -c 5000 /dev/zero | tr '\0' x; echo; seq 200; } >long
	seq 3000 | sed 's/$/\r/' >crlf
	seq 2000 | tr '\n' '\0' >nul
	seq 20000 >lines
}

@test "--pipe -k cat and --pipepart -k cat: exact bytes, files of every shape" {
	local f
	_pp_files
	for f in empty nonl long crlf lines; do
		"$MPRUN" -k --pipe --block 1k cat <"$f" 2>/dev/null | md5sum >a
		md5sum <"$f" >b
		cmp a b || { echo "--pipe $f" >&2; false; }
		cat "$f" | "$MPRUN" -k --pipe --block 1k cat 2>/dev/null | md5sum >a
		cmp a b || { echo "--pipe (pipe) $f" >&2; false; }
		"$MPRUN" -k --pipepart -a "$f" --block 1k cat 2>/dev/null | md5sum >a
		cmp a b || { echo "--pipepart $f" >&2; false; }
	done
	cat nul | "$MPRUN" -k --pipe --recend '\0' --block 1k cat | md5sum >a
	md5sum <nul >b
	cmp a b
	"$MPRUN" -k --pipepart -a nul --recend '\0' --block 1k cat | md5sum >a
	cmp a b
}

@test "--recend '\\0': NUL-separated records are never split" {
	_pp_files
	cat nul | "$MPRUN" --pipe --recend '\0' --block 500 'tail -c1 | od -An -tx1' >ends
	[ "$(wc -l <ends)" -gt 5 ]
	[ "$(sort -u ends | tr -d ' ')" = "00" ]
	"$MPRUN" -k --pipe --recend '\0' --block 500 'tr "\0" "\n" | wc -l' <nul >counts
	[ "$(awk '{ s += $1 } END { print s }' counts)" -eq 2000 ]
	# the escapes of GNU parallel: \t, \n, \\
	printf 'a\tb\t' | "$MPRUN" -k --pipe --recend '\t' --block 1 'cat; echo .' >out 2>/dev/null
	[ "$(cat out)" = "$(printf 'a\t.\nb\t.')" ]
	printf 'a\\b\\' | "$MPRUN" -k --pipe --recend '\\' --block 1 'cat; echo .' >out 2>/dev/null
	[ "$(cat out)" = "$(printf 'a\\.\nb\\.')" ]
}

@test "--pipe --recstart '>' --rrs: FASTA blocks without their '>'" {
	for i in $(seq 300); do
		printf '>seq%d\nACGTACGT\n' "$i"
	done >in.fa
	"$MPRUN" -k --pipe --recstart '>' --rrs --block 500 cat <in.fa >out
	tr -d '>' <in.fa | cmp - out
	"$MPRUN" --pipe --recstart '>' --rrs --block 500 'head -c3; echo' <in.fa >heads
	[ "$(wc -l <heads)" -gt 5 ]
	[ "$(sort -u heads)" = "seq" ]
	"$MPRUN" -k --pipepart -a in.fa --recstart '>' --rrs --block 500 cat >out2
	cmp out out2
	# the default separator, a newline, goes too (as GNU parallel does)
	run "$MPRUN" -k --pipe --rrs --block 4 cat < <(seq 6)
	[ "$output" = "123456" ]
	printf 'a\0b\0' | "$MPRUN" -k --pipe --recend '\0' --rrs --block 1 'cat; echo' >out 2>/dev/null
	[ "$(cat out)" = "$(printf 'a\nb')" ]
}

@test "--regexp: --recend and --recstart are patterns" {
	printf 'x1yx2yzx3y' | "$MPRUN" -k --pipe --regexp --recend 'y' --recstart 'x\d' --block 1 'cat; echo' >out 2>/dev/null
	[ "$(cat out)" = "$(printf 'x1y\nx2yzx3y')" ]
	# with --rrs the matched text goes
	printf '>>a\n>b\n' | "$MPRUN" -k --pipe --regexp --recend '\n' --recstart '>+' --rrs --block 1 'cat; echo' >out 2>/dev/null
	[ "$(cat out)" = "$(printf 'a\nb')" ]
	for i in $(seq 500); do printf 'R%d\n..\nEND\n' "$i"; done >recs
	"$MPRUN" -k --pipe --regexp --recend 'END\n' --block 300 'tail -n1' <recs >ends
	[ "$(sort -u ends)" = END ]
	"$MPRUN" -k --pipe --regexp --recend 'E.D\n' --block 300 cat <recs | cmp - recs
	"$MPRUN" -k --pipepart -a recs --regexp --recend 'END\n' --block 300 cat | cmp - recs
}

@test "--regexp: a pattern that does not compile is refused before anything runs" {
	run "$MPRUN" --pipe --regexp --recend '(' 'touch ran' < <(seq 3)
	[ "$status" -eq 255 ]
	[[ $output == *'--recend: "(" is not a pattern'* ]]
	run "$MPRUN" --pipe --regexp --recstart 'a[' 'touch ran' < <(seq 3)
	[ "$status" -eq 255 ]
	[[ $output == *'--recstart: "a[" is not a pattern'* ]]
	[ ! -e ran ]
}

@test "--max-record: a record longer is an error; --block 0 is refused" {
	head -c 5000 /dev/zero | tr '\0' x >big
	run "$MPRUN" --pipe --block 1k --max-record 2k 'wc -c' <big
	[ "$status" -eq 255 ]
	[[ $output == *"a record is longer than 2K (--max-record)"* ]]
	run "$MPRUN" --pipepart -a big --block 1k --max-record 2k 'wc -c'
	[ "$status" -eq 255 ]
	[[ $output == *"a record is longer than 2K (--max-record)"* ]]
	run "$MPRUN" --pipe --block 1k --max-record 8k 'wc -c' <big
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = 5000 ]
	# -N counts records, and still has the bound (a block of many
	# records may be longer)
	run "$MPRUN" -k --pipe -N 1 --block 1k --max-record 2k 'wc -c' < <(seq 3; cat big; echo; seq 3)
	[ "$status" -eq 255 ]
	[ "${lines[*]}" = "2 2 2 mprun: stdin: a record is longer than 2K (--max-record)" ]
	run "$MPRUN" -k --pipe -N 2 --block 1k --regexp --recstart 'y+' --max-record 2k 'wc -c' < <(echo y; cat big)
	[ "$status" -eq 255 ]
	run "$MPRUN" -k --pipe -N 1000 --block 1k --max-record 2k 'wc -c' < <(seq 3000)
	[ "$status" -eq 0 ]
	[ "${lines[*]}" = "3893 5000 5000" ]
	run "$MPRUN" --pipe --block 0 cat < <(seq 3)
	[ "$status" -eq 255 ]
	[[ $output == *'--block: "0" is not a size'* ]]
}

@test "--header : / N / REGEXP: every job's input starts with the header" {
	{ echo 'id,name'; seq 3000 | sed 's/$/,x/'; } >t.csv
	"$MPRUN" -k --pipe --header : --block 2k 'head -n1; echo {#}' <t.csv >out
	[ "$(awk 'NR % 2' out | sort -u)" = "id,name" ]
	[ "$(wc -l <out)" -gt 10 ]
	# the header once a job, the rest exactly once in all
	"$MPRUN" -k --pipe --header : --block 2k 'tail -n +2' <t.csv | cmp - <(tail -n +2 t.csv)
	"$MPRUN" -k --pipepart -a t.csv --header : --block 2k 'head -n1' | sort -u >hd
	[ "$(cat hd)" = "id,name" ]
	"$MPRUN" -k --pipepart -a t.csv --header 1 --block 2k 'tail -n +2' | cmp - <(tail -n +2 t.csv)
	# two lines, by number and by pattern; --cat files have it too
	seq 10 | "$MPRUN" -k --pipe --header 2 -N 4 'echo $(cat)' >out
	[ "$(cat out)" = "$(printf '1 2 3 4 5 6\n1 2 7 8 9 10')" ]
	seq 10 | "$MPRUN" -k --pipe --header '(.*\n){2}' -N 4 --cat 'echo $(cat {})' >out
	[ "$(cat out)" = "$(printf '1 2 3 4 5 6\n1 2 7 8 9 10')" ]
	# a header read a little at a time from a slow pipe
	{ printf 'he'; sleep 0.2; printf 'ad\n1\n2\n'; } | "$MPRUN" -k --pipe --header : -N 1 'echo $(cat)' >out
	[ "$(cat out)" = "$(printf 'head 1\nhead 2')" ]
	{ printf 'he'; sleep 0.2; printf 'ad\n1\n2\n'; } | "$MPRUN" -k --pipe --header '[a-z]+\n' -N 1 'echo $(cat)' >out
	[ "$(cat out)" = "$(printf 'head 1\nhead 2')" ]
}

@test "--header: a wrong pattern in pipe mode is refused" {
	run "$MPRUN" --pipe --header '(' cat < <(seq 3)
	[ "$status" -eq 255 ]
	[[ $output == *'--header: "(" is not a pattern'* ]]
}

@test "--round-robin -j2: two processes in all, every line exactly once" {
	seq 200000 >in
	"$MPRUN" --round-robin -j2 --block 4k 'sleep 0.2; echo "$$ $MPRUN_SEQ $(wc -l)"' <in >out
	[ "$(wc -l <out)" -eq 2 ]
	[ "$(cut -d' ' -f1 out | sort -u | wc -l)" -eq 2 ]
	[ "$(cut -d' ' -f2 out | sort -n | tr '\n' ' ')" = "1 2 " ]
	[ "$(awk '{ s += $3 } END { print s }' out)" -eq 200000 ]
	# the bytes themselves, whole records, none twice: sort them back
	cat in | "$MPRUN" --round --pipe -j3 --block 1k 'cat' | sort -n | cmp - in
	# exit statuses count per job; no input, no job
	run "$MPRUN" --round-robin -j2 --block 1k 'cat >/dev/null; exit 3' <in
	[ "$status" -eq 2 ]
	run "$MPRUN" --round-robin -j2 'echo ran' </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	# all -j jobs start when there are blocks for them, however fast the
	# first ones take theirs (GNU parallel: n jobs in all); fewer blocks,
	# fewer jobs
	seq 1000 | "$MPRUN" -j8 --pipe --round-robin -N100 'echo $(wc -l)' >out
	[ "$(wc -l <out)" -eq 8 ]
	[ "$(awk '{ s += $1 } END { print s }' out)" -eq 1000 ]
	seq 300 | "$MPRUN" -j8 --pipe --round-robin -N100 'echo $(wc -l)' >out
	[ "$(wc -l <out)" -eq 3 ]
}

@test "--round-robin: a job that ends early; --header once a job; --pipepart" {
	seq 100000 >in
	run timeout 20 "$MPRUN" --round-robin -j2 --block 4k 'head -n1 >/dev/null' <in
	[ "$status" -eq 0 ]
	{ echo id; seq 50000; } | "$MPRUN" -k --round-robin -j3 --header : --block 4k 'grep -c id; wc -l' >out
	[ "$(awk 'NR % 2' out | tr '\n' ' ')" = "1 1 1 " ]
	"$MPRUN" --round-robin --pipepart -a in -j2 --block 4k 'wc -l' >out
	[ "$(wc -l <out)" -eq 2 ]
	[ "$(awk '{ s += $1 } END { print s }' out)" -eq 100000 ]
	run "$MPRUN" --round-robin --cat cat <in
	[ "$status" -eq 255 ]
	[[ $output == *"--round-robin: not with --cat, --fifo or --retries"* ]]
}

@test "--fifo: {} is a named pipe that gives the block; stdin is /dev/null" {
	seq 100000 >in
	"$MPRUN" -k --fifo --block 10k 'cat {}' <in | cmp - in
	"$MPRUN" -k --fifo --block 10k 'wc -l <{}; wc -c' <in >out
	[ "$(awk 'NR % 2 == 1 { s += $1 } END { print s }' out)" -eq 100000 ]
	[ "$(awk 'NR % 2 == 0' out | sort -u)" = 0 ]
	# a private directory, mode 0700, under --tmpdir; all gone afterwards
	mkdir tmp
	"$MPRUN" --fifo --tmpdir tmp --block 10k 'test -p {} && stat -c %a "$(dirname {})"' <in | sort -u >modes
	[ "$(cat modes)" = 700 ]
	[ -z "$(ls tmp)" ]
	# a job that closes it early, one that never opens it, a retry
	run timeout 20 "$MPRUN" --fifo --block 10k 'head -n1 {} >/dev/null' <in
	[ "$status" -eq 0 ]
	run timeout 20 "$MPRUN" --fifo --block 10k 'echo never reads' <in
	[ "$status" -eq 0 ]
	"$MPRUN" --pipepart -a in --fifo --block 8k --retries 1 \
		'if [ -e t{#} ]; then wc -l <{}; else touch t{#}; head -c 100 {} >/dev/null; exit 1; fi' >out
	[ "$(awk '{ s += $1 } END { print s }' out)" -eq 100000 ]
	run "$MPRUN" --fifo --cat cat <in
	[ "$status" -eq 255 ]
}

# --- --pipepart -------------------------------------------------------------------

@test "--pipepart -a: all lines, several jobs, blocks end on newlines" {
	seq 100000 >in
	"$MPRUN" --pipepart -a in --block 10k 'wc -lc' >out
	[ "$(awk '{ s += $1 } END { print s }' out)" -eq 100000 ]
	[ "$(wc -l <out)" -gt 1 ]
	"$MPRUN" --pipepart -a in --block 10k 'tail -c1 | od -An -tx1' >ends
	[ "$(sort -u ends | tr -d ' ')" = "0a" ]
	"$MPRUN" -k --pipepart --block 1k cat :::: in >out2
	cmp in out2
}

@test "--pipepart --block -2: two blocks per job slot" {
	seq 100000 >in
	"$MPRUN" -j3 --pipepart -a in --block -2 'wc -l' >out
	[ "$(wc -l <out)" -eq 6 ]
	[ "$(awk '{ s += $1 } END { print s }' out)" -eq 100000 ]
}

@test "--pipepart --recstart: FASTA-like records are never split" {
	for i in $(seq 300); do
		printf '>seq%d\nACGT%0*d\n' "$i" $((i % 50)) 0
	done >in.fa
	"$MPRUN" --pipepart -a in.fa --recstart '>' --block 400 'head -c1; echo' >out
	[ "$(sort -u out)" = ">" ]
	"$MPRUN" -k --pipepart -a in.fa --recstart '>' --block 400 cat >out2
	cmp in.fa out2
}

@test "--pipepart on 50 MB: right, and mprun reads only around the cuts" {
	local pid rchar
	yes 1234567 | head -c 50M >big
	"$MPRUN" --pipepart -a big --block 5M 'wc -l' >out
	[ "$(awk '{ s += $1 } END { print s }' out)" -eq 6553600 ]
	[ "$(wc -l <out)" -ge 10 ]
	# sendfile(2) counts in rchar too: the check is the memory instead.
	"$MPRUN" -k --pipepart -a big --block 5M 'md5sum' >sums
	[ "$(wc -l <sums)" -ge 10 ]
}

@test "--pipepart on a file that gets shorter during the run: 255 and a message that says so" {
	seq 2000000 >f
	# the first job cuts it short (the blocks read ahead are whole)
	run timeout 20 "$MPRUN" -k -j1 --pipepart -a f --block 1M \
		'[ {#} != 1 ] || truncate -s 1500000 f; wc -c'
	[ "$status" -eq 255 ]
	[ "${lines[-1]}" = "mprun: f: the file got shorter during the run" ]
}

@test "--pipepart --retries: a job run again gets its block again" {
	seq 20000 >in
	"$MPRUN" --pipepart -a in --block 8k --retries 1 \
		'if [ -e t{#} ]; then wc -l; else touch t{#}; exit 1; fi' >out
	[ "$(awk '{ s += $1 } END { print s }' out)" -eq 20000 ]
}

# --- errors ---------------------------------------------------------------------

@test "pipe mode refuses what does not fit, naming it" {
	run "$MPRUN" --pipe echo ::: a b
	[ "$status" -eq 255 ]
	[[ $output == *"--pipe: no ::: inputs"* ]]
	run "$MPRUN" --pipepart wc -l
	[ "$status" -eq 255 ]
	[[ $output == *"--pipepart needs its file"* ]]
	run "$MPRUN" --pipepart -a /dev/stdin wc -l < <(seq 3)
	[ "$status" -eq 255 ]
	[[ $output == *"--pipepart: /dev/stdin: not a seekable file"* ]]
	run "$MPRUN" --pipepart -a nosuchfile wc -l
	[ "$status" -eq 255 ]
	[[ $output == *"nosuchfile: No such file"* ]]
	run "$MPRUN" --pipe --block lots wc -l
	[ "$status" -eq 255 ]
	[[ $output == *'--block: "lots" is not a size'* ]]
	run "$MPRUN" --pipe --block -2 wc -l
	[ "$status" -eq 255 ]
	[[ $output == *"needs --pipepart"* ]]
	run "$MPRUN" -k -N 2 echo ::: a b c # without --pipe, -N is -n
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a b\nc')" ]
	run "$MPRUN" --recend x echo ::: a
	[ "$status" -eq 255 ]
	run "$MPRUN" --pipe
	[ "$status" -eq 255 ]
	[[ $output == *"--pipe needs a command"* ]]
	run "$MPRUN" --pipe -n 2 cat
	[ "$status" -eq 255 ]
}

@test "-L: a bad count, with --pipepart or --recend: refused; without --pipe it is -n" {
	for bad in 0 -2 abc 3x 2G ''; do
		run "$MPRUN" --pipe -L "$bad" cat < <(seq 3)
		[ "$status" -eq 255 ]
		[ "${lines[0]}" = "mprun: -L: \"$bad\" is not a number of lines from 1 to 1G (such as 4 or 10k)" ]
	done
	run "$MPRUN" -k -L 2 echo ::: a b c
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a b\nc')" ]
	seq 4 >f
	run "$MPRUN" --pipepart -a f -L 2 cat
	[ "$status" -eq 255 ]
	[ "${lines[0]}" = "mprun: --pipepart: -L does not apply; cut by --block" ]
	run "$MPRUN" --pipe -L 2 --recend x cat < <(seq 3)
	[ "$status" -eq 255 ]
	[ "${lines[0]}" = "mprun: -L: records are lines: not with --recend (but with -N: N x L records of them)" ]
}
