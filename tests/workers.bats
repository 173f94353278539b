#!/usr/bin/env bats
# --workers CMD: -j long-lived workers, each sent input records on stdin
# (several in flight when it is quick) and read one result record back from
# stdout for each: the order
# policies, the three framings, reuse and restarts (--max-tasks-per-worker),
# faults (deaths, --timeout, stalls, extra output) with --retries, Ctrl-C
# and SIGTERM, --joblog, --tag, --worker-init and the callbacks.

bats_require_minimum_version 1.5.0

load setup

# setup.bash's setup, then $M: a string unique to this test that every
# process it starts carries in its command line (for pgrep -f / pkill -f).
eval "_wk_base_$(declare -f setup)"
setup() {
	_wk_base_setup || return 1
	M="mprW${BATS_TEST_NUMBER}x$$x$RANDOM"
	pid=
}

teardown() {
	[ -z "$pid" ] || kill -KILL -- "-$pid" 2>/dev/null || :
	[ -z "${M:-}" ] || pkill -KILL -f -- "$M" || :
}

# Run a command with its stderr in the file "err" (run keeps stdout only).
_wk_err_to_file() {
	"$@" 2>err
}

# Wait (at most 10 s) until FILE has at least N lines.
_wk_wait_lines() {
	local i
	for ((i = 0; i < 500; i++)); do
		[ -e "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.02
	done
	echo "timed out waiting for $2 lines in $1" >&2
	return 1
}

# Fail, listing them, if any process of this test is still alive.
_wk_nothing_left() {
	local left
	left=$(leftovers "$M")
	[ -z "$left" ] && return 0
	echo "left running:" >&2
	ps -o pid,ppid,pgid,stat,args -p "$(echo $left | tr ' ' ,)" >&2
	return 1
}

# A worker that sleeps 0.N s on input N, then answers rN.
SLEEPER='while read x; do sleep 0.$x; echo r$x; done'

# --- order ------------------------------------------------------------------

@test "results come out as they are ready by default (unordered)" {
	run "$MPRUN" -j3 --workers "$SLEEPER" ::: 5 1 3
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'r1\nr3\nr5')" ]
}

@test "-k and --order imap keep the input order" {
	run "$MPRUN" -k -j3 --workers "$SLEEPER" ::: 5 1 3 2
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'r5\nr1\nr3\nr2')" ]
	run "$MPRUN" --order imap -j3 --workers "$SLEEPER" ::: 4 1 2
	[ "$output" = "$(printf 'r4\nr1\nr2')" ]
}

@test "--order map keeps the input order and writes at the end" {
	"$MPRUN" --order map -j2 --workers "$SLEEPER" ::: 8 1 >out &
	local p=$!
	sleep 0.5
	# r1 is ready long before r8, but held until the end.
	[ ! -s out ]
	wait "$p"
	[ "$(cat out)" = "$(printf 'r8\nr1')" ]
}

# --- framing ----------------------------------------------------------------

@test "line framing: one line in, one line out; inputs keep their blanks" {
	run "$MPRUN" -k -j2 --workers 'while IFS= read -r x; do echo "[$x]"; done' \
		::: 'a  b' ' c' 'd'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '[a  b]\n[ c]\n[d]')" ]
}

@test "-0 picks NUL framing: inputs and results may hold newlines" {
	printf 'a\nb\0c d\0' | MPRUN_SHELL=/bin/bash "$MPRUN" -0 -k -j2 \
		--workers 'while IFS= read -r -d "" x; do printf "<%s>\n\0" "$x"; done' >out
	printf '<a\nb>\n\0<c d>\n\0' >want
	cmp out want
}

@test "-d of several bytes, even one that starts with NUL, keeps line framing (only -0 or -d '\\0' picks NUL)" {
	run "$MPRUN" -k -j2 -d '\0x' --workers 'while IFS= read -r x; do echo "[$x]"; done' \
		< <(printf 'a\0xb c\0x')
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '[a]\n[b c]')" ]
}

@test "--framing len: binary-safe both ways (NUL bytes, newlines)" {
	# Echo each input back as "<" input NUL ">", length-prefixed.
	printf 'a\nb\0\0x\0' | MPRUN_SHELL=/bin/bash "$MPRUN" -0 -k -j2 --framing len \
		--workers 'while read -r n; do head -c "$n" >in.$MPRUN_WORKER
			printf "%d\n<" $((n + 3)); cat in.$MPRUN_WORKER; printf "\0>"; done' >out
	printf '6\n<a\nb\0>3\n<\0>4\n<x\0>' >want
	cmp out want
}

@test "--framing len: a malformed length is a fault of the worker" {
	run _wk_err_to_file "$MPRUN" -j1 --framing len \
		--workers 'while read -r n; do head -c "$n" >/dev/null; printf "x\nab"; done' ::: a
	[ "$status" -eq 1 ]
	grep -q "worker 1 wrote a malformed length for input 'a'" err
}

@test "line framing refuses an input holding a newline" {
	run _wk_err_to_file "$MPRUN" -k -d , --workers 'while read x; do echo r$x; done' \
		::: "$(printf 'a\nb')" c
	[ "$status" -eq 1 ]
	[ "$output" = "rc" ]
	grep -q "input 'a?b' holds a newline" err
}

# --- workers are reused, and restarted ---------------------------------------

@test "workers are reused: 20 inputs, -j2, two worker processes" {
	run "$MPRUN" -j2 --workers 'while read x; do echo "$$ $x"; done' ::: $(seq 20)
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | wc -l)" -eq 20 ]
	[ "$(echo "$output" | cut -d' ' -f2 | sort -n | tr '\n' ' ')" = "$(seq 20 | tr '\n' ' ')" ]
	[ "$(echo "$output" | cut -d' ' -f1 | sort -u | wc -l)" -eq 2 ]
}

@test "workers see MPRUN_WORKER (their slot) and the run's environment" {
	FOO=bar run "$MPRUN" -j2 --workers 'while read x; do sleep 0.1; echo "$MPRUN_WORKER $FOO"; done' ::: 1 2 3 4
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | sort -u | tr '\n' ' ')" = "1 bar 2 bar " ]
}

@test "--max-tasks-per-worker N: a new worker every N inputs" {
	run "$MPRUN" -k -j1 --max-tasks-per-worker 3 --workers 'while read x; do echo $$; done' ::: $(seq 9)
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | uniq -c | awk '{print $1}' | tr '\n' ' ')" = "3 3 3 " ]
	[ "$(echo "$output" | sort -u | wc -l)" -eq 3 ]
}

@test "--worker-init runs first in the worker's shell; its stdout goes to stderr" {
	run _wk_err_to_file "$MPRUN" -k -j2 --worker-init 'V=ready; echo init-said-hi' \
		--workers 'while read x; do echo "$V $x"; done' ::: 1 2 3
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'ready 1\nready 2\nready 3')" ]
	grep -q init-said-hi err
}

@test "a failing --worker-init fails the inputs and stops the run" {
	run _wk_err_to_file "$MPRUN" -j2 --worker-init 'exit 127' \
		--workers 'while read x; do echo "$x"; done' ::: 1 2 3 4 5 6
	[ "$status" -eq 255 ]
	[ -z "$output" ]
	grep -q "the worker command cannot run" err
}

@test "a worker command that is not found stops the run" {
	run _wk_err_to_file "$MPRUN" -j2 --workers "${M}_no_such_command" ::: 1 2 3 4 5 6
	[ "$status" -eq 255 ]
	grep -q "exited 127 before its first result" err
}

@test "--max-tasks-per-worker holds with inputs in flight: 100 inputs, N=7" {
	run "$MPRUN" -k -j1 --max-tasks-per-worker 7 --workers 'while read x; do echo $$; done' ::: $(seq 100)
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | uniq -c | awk '{print $1}' | tr '\n' ' ')" = "$(printf '7 %.0s' $(seq 14))2 " ]
}

@test "--max-tasks-per-worker N with a filter that answers only at its input's end: its stdin closes after its Nth input" {
	# (it is started again after them: nothing more would come)
	run timeout 20 "$MPRUN" -j1 --max-tasks-per-worker 1 --workers 'sed s/^/r/' ::: 1 2 3 4
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'r%s\n' 1 2 3 4)" ]
	run timeout 20 "$MPRUN" -k -j2 --max-tasks-per-worker 2 --workers 'sed s/^/r/' ::: 1 2 3 4 5 6
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'r%s\n' 1 2 3 4 5 6)" ]
}

# --- inputs in flight ---------------------------------------------------------

# A worker that tells, for each input, whether the next one was already
# waiting on its stdin when it read this one (w) or not (n).
_wk_peek='while read x; do if read -t 0; then echo "w$x"; else echo "n$x"; fi; done'

@test "a quick worker is sent its next inputs before it answers" {
	MPRUN_SHELL=/bin/bash run "$MPRUN" -k -j1 --workers "$_wk_peek" ::: $(seq 300)
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | cut -c2- | tr '\n' ' ')" = "$(seq 300 | tr '\n' ' ')" ]
	[ "$(echo "$output" | grep -c '^w')" -gt 100 ]
}

@test "--max-inflight 1: one input at a time" {
	MPRUN_SHELL=/bin/bash run "$MPRUN" -k -j1 --max-inflight 1 --workers "$_wk_peek" ::: $(seq 300)
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c '^n')" -eq 300 ]
}

@test "a worker that dies with inputs queued behind it: they go on, each once" {
	run _wk_err_to_file "$MPRUN" -k -j1 --workers 'while read x; do [ $x = 150 ] && exit 3; echo r$x; done' \
		::: $(seq 300)
	[ "$status" -eq 1 ]
	[ "$output" = "$(seq 300 | grep -vx 150 | sed 's/^/r/')" ]
	[ "$(grep -c died err)" -eq 1 ]
	grep -q "^mprun: worker 1 died (exit status 3) on input '150'$" err
}

@test "--timeout counts from when the input before it was answered" {
	run _wk_err_to_file "$MPRUN" -k -j1 --timeout 1 --workers \
		'while read x; do case $x in s*) sleep 0.6;; esac; echo r$x; done' \
		::: $(seq 50) s1 s2 s3 $(seq 51 60)
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | wc -l)" -eq 63 ]
	[ ! -s err ]
}

@test "a timed-out input: those queued behind it go on, their tries not counted" {
	MPRUN_SHELL=/bin/bash run _wk_err_to_file "$MPRUN" -k -j1 --timeout 0.5 --workers \
		"while read x; do [ \$x = 100 ] && exec -a ${M}_slow sleep 30; echo r\$x; done" ::: $(seq 200)
	[ "$status" -eq 1 ]
	[ "$output" = "$(seq 200 | grep -vx 100 | sed 's/^/r/')" ]
	[ "$(grep -c 'timed out' err)" -eq 1 ]
	run ! grep -q 'trying it again' err
	_wk_nothing_left
}

@test "--retries: inputs queued behind a timed-out one are not charged a try" {
	# 100 times out twice (tried again once); 101, queued behind it (the
	# worker takes it out of its pipe to show it was), goes to the next
	# worker, which dies on it: that is its first try, so it is tried
	# again, and answered
	MPRUN_SHELL=/bin/bash run _wk_err_to_file "$MPRUN" -k -j1 --timeout 2 --retries 1 --workers \
		"while read x; do
			if [ \$x = 100 ]; then
				[ -e behind ] || { read -t 1.5 y && echo \$y >behind; }
				exec -a ${M}_slow sleep 30
			fi
			if [ \$x = 101 ] && [ ! -e seen.101 ]; then : >seen.101; exit 3; fi
			echo r\$x
		done" ::: $(seq 200)
	cat err
	[ "$(cat behind)" = 101 ]
	[ "$status" -eq 1 ]
	[ "$output" = "$(seq 200 | grep -vx 100 | sed 's/^/r/')" ]
	[ "$(grep -c "timed out.* input '100'" err)" -eq 2 ]
	[ "$(grep -c "input '100'; trying it again" err)" -eq 1 ]
	grep -q "died (exit status 3) on input '101'; trying it again" err
	[ "$(grep -c 'trying it again' err)" -eq 2 ]
	_wk_nothing_left
}

# --- plain filters (buffered input and output) -------------------------------

# mawk reads 4 KB blocks (unless -W interactive); sed and grep without -u or
# --line-buffered hold their output: each waits for more input.

@test "a buffering filter as worker (mawk): exact results in input order" {
	seq 5000 | timeout 60 "$MPRUN" -j2 -k --workers "awk '{print \$1*2}'" >out 2>err
	[ "$(md5sum <out)" = "$(seq 5000 | awk '{print $1*2}' | md5sum)" ]
	[ ! -s err ]
}

@test "a buffering filter as worker (sed without -u): exact results" {
	seq 5000 | timeout 60 "$MPRUN" -j2 -k --workers "sed 's/^/x/'" >out 2>err
	[ "$(md5sum <out)" = "$(seq 5000 | sed 's/^/x/' | md5sum)" ]
	[ ! -s err ]
}

@test "cat as worker: exact results" {
	seq 5000 | timeout 60 "$MPRUN" -j3 -k --workers cat >out 2>err
	[ "$(md5sum <out)" = "$(seq 5000 | md5sum)" ]
	[ ! -s err ]
}

@test "a buffering filter, unordered: every result once" {
	seq 5000 | timeout 60 "$MPRUN" -j3 --workers "awk '{print \$1*2}'" >out 2>err
	[ "$(sort -n out | md5sum)" = "$(seq 5000 | awk '{print $1*2}' | md5sum)" ]
	[ ! -s err ]
}

@test "a buffering filter, -j1, a tiny input: it answers when its stdin closes" {
	run _wk_err_to_file timeout 30 "$MPRUN" -j1 -k --workers "awk '{print \$1*2}'" ::: 1 2 3
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '2\n4\n6')" ]
	[ ! -s err ]
	run _wk_err_to_file timeout 30 "$MPRUN" -j1 --workers "sed 's/^/x/'" ::: a
	[ "$status" -eq 0 ]
	[ "$output" = xa ]
	[ ! -s err ]
}

@test "a filter that drops records (grep -v): a clear error at the end, no hang" {
	status=0
	seq 5000 | timeout 30 "$MPRUN" -j2 -k --workers "grep -v 7 # $M" >out 2>err || status=$?
	# timeout(1) would exit 124; mprun exits with the failures (capped)
	[ "$status" -eq 101 ]
	grep -Eq "^mprun: worker [12] exited at the end of its input with [0-9]+ inputs unanswered, from input '[0-9]+': a worker must write one result record per input \(its results may belong to other inputs\)$" err
	[ "$(grep -vc 'exited at the end of its input' err)" -eq 0 ]
	# what the workers wrote still comes out (for the inputs it was matched to)
	[ "$(grep -c 7 out)" -eq 0 ]
	_wk_nothing_left
}

# --- faults -------------------------------------------------------------------

@test "a worker that exits on an input: the input fails, a new worker goes on" {
	run _wk_err_to_file "$MPRUN" -k -j1 --workers 'while read x; do [ $x = 3 ] && exit 4; echo r$x; done' \
		::: 1 2 3 4 5
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf 'r1\nr2\nr4\nr5')" ]
	grep -q "^mprun: worker 1 died (exit status 4) on input '3'$" err
}

@test "a worker killed by a signal is named with the signal" {
	run _wk_err_to_file "$MPRUN" -k -j2 --workers 'while read x; do [ $x = foo ] && kill -9 $$; echo r$x; done' \
		::: a foo b
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf 'ra\nrb')" ]
	grep -Eq "^mprun: worker [12] died \(signal 9\) on input 'foo'$" err
}

@test "--retries: the input of a dead worker is tried again on a new one" {
	run _wk_err_to_file "$MPRUN" -k -j1 --retries 2 --workers \
		'while read x; do if [ $x = 2 ] && [ ! -e seen ]; then : >seen; kill -9 $$; fi; echo "r$x $$"; done' \
		::: 1 2 3
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | cut -d' ' -f1 | tr '\n' ' ')" = "r1 r2 r3 " ]
	# r2 came from another worker than r1.
	[ "$(echo "$output" | cut -d' ' -f2 | sort -u | wc -l)" -eq 2 ]
	grep -q "died (signal 9) on input '2'; trying it again" err
}

@test "--retries used up: the input fails" {
	run _wk_err_to_file "$MPRUN" -j1 --retries 1 --workers 'while read x; do [ $x = 2 ] && exit 1; echo r$x; done' \
		::: 1 2 3
	[ "$status" -eq 1 ]
	[ "$(grep -c "on input '2'" err)" -eq 2 ]
}

@test "--timeout: a slow input fails, its worker's tree is ended and replaced" {
	local t0=$SECONDS
	MPRUN_SHELL=/bin/bash run _wk_err_to_file "$MPRUN" -k -j1 --timeout 0.5 \
		--workers "while read x; do [ \$x = 2 ] && exec -a ${M}_slow sleep 30; echo r\$x; done" ::: 1 2 3
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf 'r1\nr3')" ]
	[ $((SECONDS - t0)) -lt 5 ]
	grep -q "worker 1 timed out after 0.500s on input '2'" err
	_wk_nothing_left
}

@test "a stalled worker (nothing flushed) is caught by --timeout, with a hint" {
	run _wk_err_to_file "$MPRUN" -j1 --timeout 0.3 --workers 'while read x; do :; done' ::: 1 2
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	grep -q "gave no result at all: a worker must flush each result" err
	[ "$(grep -c "timed out after 0.300s" err)" -eq 2 ]
}

@test "with no --timeout, a worker silent on its first input gets the hint after 5 s" {
	# Its stdin is closed 1 s after the input ran out; it does not exit.
	"$MPRUN" -j1 --workers "while read x; do :; done; sleep 30 # $M" ::: 1 2>err &
	pid=$!
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q "worker 1 has given no result for 5s: a worker must flush each result" err && break
		sleep 0.1
	done
	grep -q "has given no result for 5s" err
	kill -INT "$pid"
	status=0
	wait "$pid" || status=$?
	pid=
	[ "$status" -eq 130 ]
	[ "$(grep -c 'no result' err)" -eq 1 ]
}

@test "a worker that reads its input and exits without answering: its inputs fail" {
	run _wk_err_to_file timeout 30 "$MPRUN" -j1 --workers 'while read x; do :; done' ::: 1
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	grep -qx "mprun: worker 1 exited at the end of its input with 1 input unanswered, from input '1': a worker must write one result record per input (its results may belong to other inputs)" err
	run ! grep -q 'no result' err
}

# (--max-inflight 1: with input 2 in flight too, b1 would be its answer;
# /usr/bin/printf writes both records at once, so mprun reads them together
# -- bash's printf may write them one by one)
@test "a worker that answers twice for one input: the input fails" {
	run _wk_err_to_file "$MPRUN" -k -j1 --max-inflight 1 --workers 'while read x; do /usr/bin/printf "a%s\nb%s\n" $x $x; done' ::: 1 2
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	grep -q "worker 1 wrote more than one record for input '1'" err
}

@test "a worker that writes with no input pending is restarted and counted" {
	run _wk_err_to_file "$MPRUN" -j1 --workers 'while read x; do echo a$x; sleep 0.3; echo b$x; done' ::: 1
	[ "$status" -eq 1 ]
	[ "$output" = "a1" ]
	grep -q "worker 1 wrote output with no input pending" err
}

@test "worker stderr passes through" {
	run _wk_err_to_file "$MPRUN" -j1 --workers 'while read x; do echo "log $x" >&2; echo r$x; done' ::: 1
	[ "$status" -eq 0 ]
	[ "$output" = r1 ]
	grep -qx "log 1" err
}

# --- ending the run -----------------------------------------------------------

@test "Ctrl-C ends every worker's tree (deaf children too) and exits 130" {
	MPRUN_SHELL=/bin/bash setsid "$MPRUN" -j2 --workers \
		"while read x; do (trap '' TERM INT; exec -a ${M}_deaf sleep 30) & echo r\$x; echo up >>up; sleep 30; done" \
		::: 1 2 3 4 5 6 >out 2>err &
	pid=$!
	_wk_wait_lines up 2
	local t0=$SECONDS
	kill -INT -- "-$pid"
	st=0
	wait "$pid" || st=$?
	pid=
	[ "$st" -eq 130 ]
	# Inputs 3 and 4 were pending, 5 and 6 never sent.
	[ $((SECONDS - t0)) -lt 5 ]
	[ "$(wc -l <up)" -eq 2 ]
	_wk_nothing_left
}

@test "SIGTERM: no new input is sent, pending ones finish, workers exit" {
	setsid "$MPRUN" -k -j2 --workers "while read x; do echo up >>up; sleep 0.5; echo r\$x; done # $M" \
		::: 1 2 3 4 5 6 >out 2>err &
	pid=$!
	_wk_wait_lines up 2
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	pid=
	[ "$st" -eq 0 ]
	[ "$(cat out)" = "$(printf 'r1\nr2')" ]
	_wk_nothing_left
}

@test "no worker process is left at the end, not even escaped children" {
	MPRUN_SHELL=/bin/bash run "$MPRUN" -j2 --workers \
		"while read x; do setsid bash -c 'exec -a ${M}_escaped sleep 30' & echo r\$x; done" ::: 1 2 3
	[ "$status" -eq 0 ]
	_wk_nothing_left
}

# --- job log, tags, callbacks, progress ---------------------------------------

@test "--joblog: one line per input, with bytes sent and received" {
	run "$MPRUN" -k -j1 --joblog log --workers 'while read x; do [ $x = bb ] && exit 1; echo r$x; done' \
		::: a bb ccc
	[ "$status" -eq 1 ]
	[ "$(wc -l <log)" -eq 4 ]
	head -1 log | grep -q "^Seq"
	# Seq Host Start Runtime Send Receive Exitval Signal Command
	[ "$(awk -F'\t' '$1 == 1 {print $2, $5, $6, $7, $8}' log)" = ": 2 3 0 0" ]
	[ "$(awk -F'\t' '$1 == 2 {print $5, $6, $7}' log)" = "3 0 1" ]
	[ "$(awk -F'\t' '$1 == 3 {print $5, $6, $7}' log)" = "4 5 0" ]
	awk -F'\t' '$1 == 3 {print $9}' log | grep -q 'echo r\$x; done ccc$'
}

@test "--tag and --tagstring prefix each result" {
	run "$MPRUN" -k --tag --workers 'while read x; do echo r$x; done' ::: a b
	[ "$output" = "$(printf 'a\tra\nb\trb')" ]
	run "$MPRUN" -k --tagstring 'n{#}' --workers 'while read x; do echo r$x; done' ::: a b
	[ "$output" = "$(printf 'n1\tra\nn2\trb')" ]
}

@test "--on-success / --on-error run after each input, output after its result" {
	run _wk_err_to_file "$MPRUN" -k -j2 \
		--on-success 'echo "ok {} $MPRUN_SEQ $MPRUN_EXIT [$MPRUN_RESULT]"' \
		--on-error 'echo "bad {} $MPRUN_SEQ $MPRUN_EXIT"' \
		--workers 'while read x; do [ $x = b ] && exit 1; echo r$x; done' ::: a b c
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf 'ra\nok a 1 0 [ra]\nbad b 2 1\nrc\nok c 3 0 [rc]')" ]
}

@test "--halt now,fail=1 stops at the first failed input" {
	run _wk_err_to_file "$MPRUN" -k -j1 --halt now,fail=1 \
		--workers 'while read x; do [ $x = 2 ] && exit 1; echo r$x; done' ::: 1 2 3 4
	[ "$status" -eq 1 ]
	[ "$output" = r1 ]
	grep -q -- "--halt now,fail=1: stopped the run" err
}

@test "--progress counts the inputs" {
	run _wk_err_to_file "$MPRUN" -j2 --progress --workers 'while read x; do echo r$x; done' ::: 1 2 3
	[ "$status" -eq 0 ]
	grep -q "3 done" err
}

@test "options that do not apply to --workers are refused" {
	run "$MPRUN" -n 2 --workers cat ::: 1
	[ "$status" -eq 255 ]
	run "$MPRUN" --workers cat echo ::: 1
	[ "$status" -eq 255 ]
}
