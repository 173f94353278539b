#!/usr/bin/env bats
# --on-success CMD / --on-error CMD: run by mprun after each job, one at a
# time, in completion order, with the job's replacement strings and the
# MPRUN_* variables; their output follows their job's; a failed callback
# counts in the exit status.

load setup

# setup.bash's setup, then $M: a string unique to this test that every
# process it starts carries in its command line (for pgrep -f / pkill -f).
eval "_cb_base_$(declare -f setup)"
setup() {
	_cb_base_setup || return 1
	M="mprC${BATS_TEST_NUMBER}x$$x$RANDOM"
}

teardown() {
	[ -z "${M:-}" ] || pkill -KILL -f -- "$M" || :
}

# Run a command with its stderr in the file "err" (run keeps stdout only).
_cb_err_to_file() {
	"$@" 2>err
}

@test "--on-success runs after each job that succeeded, with its replacement strings" {
	run _cb_err_to_file "$MPRUN" -k -j1 --on-success 'echo ok {#} {} {1} {2}' \
		'echo job {1}; exit {2}' ::: a b c :::+ 0 1 0
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf 'job a\nok 1 a 0 a 0\njob b\njob c\nok 3 c 0 c 0')" ]
}

@test "--on-error runs after each job that failed" {
	run _cb_err_to_file "$MPRUN" -k -j1 --on-error 'echo bad {#} {2}' \
		'echo job {1}; exit {2}' ::: a b c :::+ 0 3 0
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf 'job a\njob b\nbad 2 3\njob c')" ]
}

@test "--on-success and --on-error together" {
	run _cb_err_to_file "$MPRUN" -k -j1 --on-success 'echo ok {}' --on-error 'echo bad {}' \
		'exit {}' ::: 0 1 0 2
	[ "$status" -eq 2 ]
	[ "$output" = "$(printf 'ok 0\nbad 1\nok 0\nbad 2')" ]
}

@test "callbacks get the inputs quoted for the shell" {
	run _cb_err_to_file "$MPRUN" -k -j1 --on-success 'printf "[%s]\n" {}' true \
		::: 'a  b' '$(touch pwned)' "it's"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '[a  b]\n[$(touch pwned)]\n[it'"'"'s]')" ]
	[ ! -e pwned ]
}

@test "callbacks see MPRUN_SEQ, MPRUN_SLOT, MPRUN_EXIT, MPRUN_SIGNAL, MPRUN_RUNTIME" {
	run _cb_err_to_file "$MPRUN" -k -j2 \
		--on-success 'echo ok $MPRUN_SEQ $MPRUN_SLOT $MPRUN_EXIT $MPRUN_SIGNAL $MPRUN_RUNTIME' \
		--on-error 'echo bad $MPRUN_SEQ $MPRUN_SLOT $MPRUN_EXIT $MPRUN_SIGNAL $MPRUN_RUNTIME' \
		'sleep 0.3; exit {}' ::: 0 5
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" =~ \ [0-9]+\.[0-9]{3}$ ]]
	[[ "${lines[1]}" =~ \ [0-9]+\.[0-9]{3}$ ]]
	set -- ${lines[0]}
	[ "$1 $2 $4 $5" = "ok 1 0 0" ]
	[[ "$3" == [12] ]]
	awk -v t="$6" 'BEGIN { exit !(t >= 0.25 && t < 5) }'
	slot1=$3
	set -- ${lines[1]}
	[ "$1 $2 $4 $5" = "bad 2 5 0" ]
	[[ "$3" == [12] ]]
	[ "$3" -ne "$slot1" ]
	awk -v t="$6" 'BEGIN { exit !(t >= 0.25 && t < 5) }'
}

@test "MPRUN_SIGNAL is the signal that killed the job" {
	run _cb_err_to_file "$MPRUN" --on-error 'echo sig=$MPRUN_SIGNAL' 'kill -{} $$' ::: KILL
	[ "$status" -eq 1 ]
	[ "$output" = sig=9 ]
	run _cb_err_to_file "$MPRUN" --on-error 'echo sig=$MPRUN_SIGNAL' 'kill -{} $$' ::: TERM
	[ "$status" -eq 1 ]
	[ "$output" = sig=15 ]
}

@test "MPRUN_STDOUT and MPRUN_STDERR are files with the job's output" {
	run _cb_err_to_file "$MPRUN" -k -j2 \
		--on-success 'echo {} $(cat "$MPRUN_STDOUT") / $(cat "$MPRUN_STDERR")' \
		'echo out{}; echo more{}; echo err{} >&2' ::: a b
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'outa\nmorea\na outa morea / erra\noutb\nmoreb\nb outb moreb / errb')" ]
}

@test "MPRUN_STDOUT holds all of a large output" {
	run _cb_err_to_file "$MPRUN" --on-success 'seq {} | cmp - "$MPRUN_STDOUT" >&2 && echo same' \
		'seq {}' ::: 200000
	[ "$status" -eq 0 ]
	[ "${lines[200000]}" = same ]
	[ ! -s err ]
}

@test "the callback files are removed after the run" {
	mkdir tmpd
	TMPDIR=$PWD/tmpd run _cb_err_to_file "$MPRUN" -j2 --on-success 'cat "$MPRUN_STDOUT" >/dev/null' \
		--on-error 'cat "$MPRUN_STDERR" >/dev/null' 'echo {}; echo {} >&2; exit {}' ::: 0 1 0 2
	[ "$status" -eq 2 ]
	[ -z "$(ls -A tmpd)" ]
	mkdir tmpd2
	run _cb_err_to_file "$MPRUN" --tmpdir tmpd2 --on-success 'echo $MPRUN_STDOUT' 'echo {}' ::: a
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == tmpd2/* || "${lines[1]}" == "$PWD/tmpd2/"* ]]
	[ -z "$(ls -A tmpd2)" ]
}

@test "a callback's output comes right after its job's output" {
	seq 24 >in
	run _cb_err_to_file "$MPRUN" -j4 --on-success 'echo cb {}; echo cberr {} >&2' \
		'sleep 0.0$(( {} * 7 % 10 )); echo job {}; echo more {}' <in
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 72 ]
	for ((i = 0; i < 72; i += 3)); do
		set -- ${lines[i]}
		[ "$1" = job ]
		[ "${lines[i + 1]}" = "more $2" ]
		[ "${lines[i + 2]}" = "cb $2" ]
	done
	[ "$(wc -l <err)" -eq 24 ]
}

@test "callbacks run in completion order" {
	run _cb_err_to_file "$MPRUN" -j3 --on-success 'echo {#} >>order' 'sleep {}' ::: 0.9 0.1 0.5
	[ "$status" -eq 0 ]
	[ "$(cat order)" = "$(printf '2\n3\n1')" ]
}

@test "callbacks never overlap" {
	seq 16 >in
	run _cb_err_to_file "$MPRUN" -j8 \
		--on-success 'mkdir lock || echo overlap >>bad; sleep 0.03; echo {} >>cbs; rmdir lock' \
		--on-error 'mkdir lock || echo overlap >>bad; sleep 0.03; echo {} >>cbs; rmdir lock' \
		'sleep 0.1; exit $(( {} % 3 == 0 ))' <in
	[ "$status" -eq 5 ]
	[ ! -e bad ]
	[ "$(sort -n cbs)" = "$(seq 16)" ]
}

@test "a failing --on-error callback: message, and it counts in the exit status" {
	run _cb_err_to_file "$MPRUN" -k -j1 --on-error 'exit 7' 'exit {}' ::: 0 1 0
	[ "$status" -eq 2 ]
	[ "$(cat err)" = "mprun: job 2: --on-error callback failed with exit status 7" ]
}

@test "a failing --on-success callback: message, and it counts in the exit status" {
	run _cb_err_to_file "$MPRUN" -k -j1 --on-success '[ {} != b ] || exit 3' true ::: a b c
	[ "$status" -eq 1 ]
	[ "$(cat err)" = "mprun: job 2: --on-success callback failed with exit status 3" ]
}

@test "failed callbacks and failed jobs add up to 101" {
	seq 60 >in
	run _cb_err_to_file "$MPRUN" --on-error 'exit 1' false <in
	[ "$status" -eq 101 ]
	[ "$(grep -c 'callback failed' err)" -eq 60 ]
}

@test "with --retries the callback runs once, after the last try, with its output" {
	run _cb_err_to_file "$MPRUN" --retries 3 --on-success 'echo cb $MPRUN_EXIT $(cat "$MPRUN_STDOUT")' \
		--on-error 'echo bad' \
		': {}; echo x >>tries; n=$(wc -l <tries); echo try $n; [ $n -ge 3 ]' ::: a
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'try 3\ncb 0 try 3')" ]
	[ "$(wc -l <tries)" -eq 3 ]
}

@test "Ctrl-C while a callback runs: status 130 at once, the callback is ended" {
	setsid "$MPRUN" --on-success "echo {} >>cbs; bash -c 'exec -a ${M}_cb sleep 30'" \
		'echo {}' ::: 1 >out 2>err 3>&- &
	pid=$!
	for ((i = 0; i < 500; i++)); do
		pgrep -f -- "^${M}_cb" >/dev/null && break
		sleep 0.02
	done
	t0=${EPOCHREALTIME//[!0-9]/}
	kill -INT -- "-$pid"
	st=0
	wait "$pid" || st=$?
	elapsed=$(((${EPOCHREALTIME//[!0-9]/} - t0) / 1000))
	echo "status $st, ${elapsed}ms" >&2
	[ "$st" -eq 130 ]
	[ "$elapsed" -lt 2000 ]
	[ "$(cat out)" = 1 ]
	[ -z "$(leftovers "$M")" ]
}

@test "SIGTERM: the running jobs' callbacks still run" {
	setsid "$MPRUN" -j2 --on-success 'echo cb {}' \
		"echo {} >>started; until [ -e go ]; do sleep 0.02; done; echo {}; : $M" \
		::: 1 2 3 >out 2>err 3>&- &
	pid=$!
	for ((i = 0; i < 500; i++)); do
		[ "$(cat started 2>/dev/null | wc -l)" -ge 2 ] && break
		sleep 0.02
	done
	kill -TERM "$pid"
	sleep 0.3
	touch go
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 0 ]
	[ "$(sort out)" = "$(printf '1\n2\ncb 1\ncb 2')" ]
	[ "$(grep -A1 -x 1 out)" = "$(printf '1\ncb 1')" ]
	[ "$(grep -A1 -x 2 out)" = "$(printf '2\ncb 2')" ]
}

@test "a callback's standard input is /dev/null" {
	run _cb_err_to_file "$MPRUN" --on-success 'cat; echo cb {}' true ::: a <<<secret
	[ "$status" -eq 0 ]
	[ "$output" = "cb a" ]
}

@test "MPRUN_SHELL runs the callbacks" {
	MPRUN_SHELL=/bin/bash run _cb_err_to_file "$MPRUN" --on-success 'echo "cb ${BASH_VERSION:+bash}"' \
		true ::: a
	[ "$status" -eq 0 ]
	[ "$output" = "cb bash" ]
}

@test "callbacks are not allowed with -u" {
	run "$MPRUN" -u --on-success true touch ::: ran
	[ "$status" -eq 255 ]
	run "$MPRUN" -u --on-error true touch ::: ran
	[ "$status" -eq 255 ]
	[ ! -e ran ]
}
