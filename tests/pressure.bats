#!/usr/bin/env bats
# Under pressure: small process and descriptor limits, signals in every
# state. mprun completes what it can, says why, and never hangs.

load setup

# Run "$@" as the unprivileged user nobody (skips when we cannot).
_as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
}

_need_nobody() {
	[ "$(id -u)" -eq 0 ] || skip "needs root to act as another user"
	command -v setpriv >/dev/null || skip "needs setpriv"
	chmod 777 "$T"
}

# setup.bash's setup, then $M: a string unique to this test that every
# process it starts carries in its command line (for pgrep -f / pkill -f).
eval "_pr_base_$(declare -f setup)"
setup() {
	_pr_base_setup || return 1
	M="mprP${BATS_TEST_NUMBER}x$$x$RANDOM"
	pid=
}

teardown() {
	[ -z "$pid" ] || kill -KILL -- "-$pid" 2>/dev/null || :
	[ -z "${M:-}" ] || pkill -KILL -f -- "$M" || :
}

@test "ulimit -u 12: -j 20 runs every job, fewer at once, and says so" {
	_need_nobody
	run _as_nobody bash -c 'ulimit -u 12 && seq 30 |
		"$MPRUN" -j 20 "sleep 0.2; echo {}"'
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "${lines[@]}" | grep -c '^[0-9]*$')" -eq 30 ]
	[ "$(printf '%s\n' "${lines[@]}" | grep -v '^[0-9]*$')" = \
		"mprun: only enough processes (ulimit -u 12) to run 5 jobs at once: running 5 at a time" ]
	[ "$(printf '%s\n' "${lines[@]}" | grep '^[0-9]*$' | sort -n | tr '\n' ' ')" = \
		"$(seq 30 | tr '\n' ' ')" ]
}

@test "ulimit -u 12: Ctrl-C is answered within a second" {
	_need_nobody
	setsid setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
		bash -c 'ulimit -u 12 && exec "$MPRUN" -j 20 "echo {} >>started; sleep 30 # $1" ::: $(seq 40)' \
		sh "$M" >out 2>err &
	pid=$!
	wait_file started 5
	local t0=$EPOCHREALTIME st=0
	kill -INT "$pid"
	wait "$pid" || st=$?
	local ms=$(( (${EPOCHREALTIME/./} - ${t0/./}) / 1000 ))
	pid=
	[ "$st" -eq 130 ]
	[ "$ms" -lt 1000 ]
	[ ! -s out ]
	[ -z "$(leftovers "$M")" ]
}

@test "--workers: one SIGTERM ends a run whose worker never answers" {
	setsid "$MPRUN" -j2 --workers "while read x; do echo \$x >>got; sleep 300; done # $M" \
		::: a b c >out 2>err &
	pid=$!
	wait_file got 2
	local st=0 t0=$SECONDS
	kill -TERM "$pid"
	wait "$pid" || st=$?
	pid=
	[ $((SECONDS - t0)) -le 13 ]
	# the two inputs in flight failed; the third was never sent
	[ "$st" -eq 2 ]
	[ ! -s out ]
	[ "$(sort got | tr '\n' ' ')" = "a b " ]
	grep -q 'ending the workers that did not answer in time after SIGTERM' err
	[ -z "$(leftovers "$M")" ]
}

@test "--workers: after SIGTERM, what is in flight is answered, nothing more is sent" {
	setsid "$MPRUN" -k -j1 --max-inflight 3 --workers "while read x; do echo \$x >>got; $WAIT_FOR go; echo r\$x; done # $M" \
		::: a b c d e f >out 2>err &
	pid=$!
	wait_file got 1
	kill -TERM "$pid"
	sleep 0.2
	touch go
	local st=0
	wait "$pid" || st=$?
	pid=
	[ "$st" -eq 0 ]
	# the worker's window was sent before the signal, and answered
	[ "$(cat out)" = "$(sed 's/^/r/' got)" ]
	[ "$(wc -l <got)" -lt 6 ]
	[ ! -s err ]
	[ -z "$(leftovers "$M")" ]
}
