#!/usr/bin/env bats
# Ending jobs: each job's whole process tree (children, setsid children,
# double-forked daemons, children that ignore SIGTERM and SIGINT) is ended
# by Ctrl-C; --termseq; SIGTERM / SIGHUP let running jobs finish; a job
# killed by a signal counts as failed; mprun's own death kills its children.

load setup

# setup.bash's setup, then $M: a string unique to this test that every
# process it starts carries in its command line (for pgrep -f / pkill -f).
eval "_tm_base_$(declare -f setup)"
setup() {
	_tm_base_setup || return 1
	M="mprT${BATS_TEST_NUMBER}x$$x$RANDOM"
	pid=
}

teardown() {
	[ -z "$pid" ] || kill -KILL -- "-$pid" 2>/dev/null || :
	[ -z "${M:-}" ] || pkill -KILL -f -- "$M" || :
}

# Milliseconds since the epoch.
_tm_now_ms() {
	local t=${EPOCHREALTIME//[!0-9]/}
	echo $((t / 1000))
}

# Wait (at most 10 s) until FILE has at least N lines.
_tm_wait_lines() {
	local i
	for ((i = 0; i < 500; i++)); do
		[ -e "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.02
	done
	echo "timed out waiting for $2 lines in $1" >&2
	return 1
}

# Fail, listing them, if any process of this test is still alive.
_tm_nothing_left() {
	local left
	left=$(leftovers "$M")
	[ -z "$left" ] && return 0
	echo "left running:" >&2
	ps -o pid,ppid,pgid,sid,stat,args -p "$(echo $left | tr ' ' ,)" >&2
	return 1
}

# Write ./${M}_tree: a job that starts a plain child, a setsid child, a
# double-forked daemon (also in its own session) and, with "deaf" as its
# first argument, a child and a double-forked daemon that ignore SIGTERM and
# SIGINT; then it appends a line to ./up and waits.
_tm_make_tree() {
	cat >"${M}_tree" <<EOF
#!/bin/bash
exec -a ${M}_child sleep 300 &
setsid bash -c 'exec -a ${M}_session sleep 300' &
( setsid bash -c 'exec -a ${M}_daemon sleep 300' & )
if [ "\$1" = deaf ]; then
	( trap '' TERM INT; exec -a ${M}_deaf sleep 300 ) &
	( trap '' TERM INT; setsid bash -c 'exec -a ${M}_deafdaemon sleep 300' & )
fi
echo up >>up
wait
EOF
	chmod +x "${M}_tree"
}

# Start mprun ARGS... in the background in its own session (so that it is
# the leader of its process group), output in ./out and ./err; sets $pid.
_tm_start() {
	setsid "$MPRUN" "$@" >out 2>err 3>&- &
	pid=$!
}

# Send signal $1 to mprun's process group (Ctrl-C sends SIGINT to the
# terminal's foreground group), wait for mprun; sets $st and $elapsed (ms).
_tm_signal_and_wait() {
	local t0
	t0=$(_tm_now_ms)
	kill "-$1" -- "-$pid"
	st=0
	wait "$pid" || st=$?
	elapsed=$(($(_tm_now_ms) - t0))
	pid=
}

# --- Ctrl-C ----------------------------------------------------------------------

@test "Ctrl-C ends every job's whole tree and exits 130, in 10 repetitions" {
	_tm_make_tree
	for i in 1 2 3 4 5 6 7 8 9 10; do
		rm -f up
		_tm_start -j2 "./${M}_tree" ::: deaf deaf deaf
		_tm_wait_lines up 2
		sleep 0.1
		_tm_signal_and_wait INT
		echo "repetition $i: status $st, ${elapsed}ms" >&2
		[ "$st" -eq 130 ]
		# TERM-ignoring processes: the default termseq totals 375 ms.
		[ "$elapsed" -lt 2000 ]
		_tm_nothing_left
		# The third job never started.
		[ "$(wc -l <up)" -eq 2 ]
	done
}

@test "Ctrl-C ends TERM-dying trees at once, not waiting out --termseq" {
	# (well within a second when idle; the 20 s wait is what must not be
	# waited out)
	_tm_make_tree
	for i in 1 2 3; do
		rm -f up
		_tm_start -j2 --termseq TERM,20000,KILL,25 "./${M}_tree" ::: a b
		_tm_wait_lines up 2
		_tm_signal_and_wait INT
		echo "repetition $i: status $st, ${elapsed}ms" >&2
		[ "$st" -eq 130 ]
		[ "$elapsed" -lt 5000 ]
		_tm_nothing_left
	done
}

@test "Ctrl-C: TERM-ignoring processes get SIGKILL once --termseq's waits are over" {
	_tm_make_tree
	_tm_start -j2 --termseq TERM,1500,KILL,25 "./${M}_tree" ::: deaf deaf
	_tm_wait_lines up 2
	_tm_signal_and_wait INT
	echo "status $st, ${elapsed}ms" >&2
	[ "$st" -eq 130 ]
	[ "$elapsed" -ge 1450 ]
	[ "$elapsed" -lt 4000 ]
	_tm_nothing_left
}

@test "Ctrl-C prints the output of the jobs that already finished" {
	_tm_make_tree
	_tm_start -j2 "echo {}; [ {} = 1 ] || exec ./${M}_tree" ::: 1 2 3
	_tm_wait_lines up 2
	_tm_signal_and_wait INT
	[ "$st" -eq 130 ]
	grep -qx 1 out
	_tm_nothing_left
}

@test "Ctrl-C exits at once even while stdin is still open" {
	_tm_make_tree
	# (the feeder sleeps 4 s: a hang shows as 4 s, not forever)
	setsid "$MPRUN" "./${M}_tree" >out 2>err \
		< <(echo deaf; exec -a "${M}_feeder" sleep 4) 3>&- &
	pid=$!
	_tm_wait_lines up 1
	_tm_signal_and_wait INT
	echo "status $st, ${elapsed}ms" >&2
	[ "$st" -eq 130 ]
	[ "$elapsed" -lt 2000 ]
	pkill -f -- "${M}_feeder" || :
	_tm_nothing_left
}

@test "Ctrl-C: a process that left the job's tree (setsid, environment cleared) holding its output pipe keeps mprun no more than a moment, and is ended too" {
	_tm_start "setsid -f env -i /bin/bash -c 'exec -a ${M}_holder sleep 300'; echo up >>up; exec -a ${M}_job sleep 300 # {}" ::: a
	_tm_wait_lines up 1
	_tm_signal_and_wait INT
	echo "status $st, ${elapsed}ms" >&2
	[ "$st" -eq 130 ]
	[ "$elapsed" -lt 2000 ]
	_tm_nothing_left
}

@test "mprun is a subreaper: a double-forked daemon of a job is re-parented to it" {
	_tm_make_tree
	_tm_start "./${M}_tree" ::: a
	_tm_wait_lines up 1
	# once its parent (a subshell) has exited, the daemon's parent is mprun
	local d ppid
	for ((i = 0; i < 250; i++)); do
		d=$(pgrep -f -- "^${M}_daemon" || :)
		ppid=$([ -z "$d" ] || ps -o ppid= -p "$d" | tr -d ' ')
		[ "$ppid" = "$pid" ] && break
		sleep 0.02
	done
	echo "daemon $d, its parent $ppid, mprun $pid" >&2
	[ -n "$d" ]
	[ "$ppid" = "$pid" ]
	_tm_signal_and_wait INT
	[ "$st" -eq 130 ]
	_tm_nothing_left
}

@test "every job runs in its own process group, as its leader" {
	run "$MPRUN" -j3 'sleep 0.2; echo $$ $(ps -o pgid= -p $$)' ::: a b c
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	for l in "${lines[@]}"; do
		set -- $l
		[ "$1" -eq "$2" ]
	done
}

# --- --termseq ----------------------------------------------------------------------

@test "--termseq INT,100,KILL,10 sends SIGINT first" {
	cat >"${M}_job" <<'EOF'
#!/bin/bash
trap 'echo INT >>sigs; exit 0' INT
trap 'echo TERM >>sigs; exit 0' TERM
echo up >>up
while :; do sleep 0.02; done
EOF
	chmod +x "${M}_job"
	_tm_start --termseq INT,100,KILL,10 "./${M}_job" ::: a
	_tm_wait_lines up 1
	_tm_signal_and_wait INT
	[ "$st" -eq 130 ]
	[ "$(cat sigs)" = INT ]
	_tm_nothing_left
}

@test "--termseq: a TERM-ignoring job that dies of SIGINT ends without waiting" {
	cat >"${M}_job" <<'EOF'
#!/bin/bash
trap '' TERM
echo up >>up
exec -a "$0_sleeper" sleep 300
EOF
	chmod +x "${M}_job"
	_tm_start --termseq INT,3000,KILL,10 "./${M}_job" ::: a
	_tm_wait_lines up 1
	_tm_signal_and_wait INT
	[ "$st" -eq 130 ]
	[ "$elapsed" -lt 1500 ]
	_tm_nothing_left
}

@test "a second Ctrl-C kills at once what the termination sequence has not ended" {
	cat >"${M}_job" <<'EOF'
#!/bin/bash
trap '' TERM
echo up >>up
exec -a "$0_sleeper" sleep 300
EOF
	chmod +x "${M}_job"
	_tm_start -j2 --termseq TERM,60000,KILL,10 "./${M}_job" ::: a b
	_tm_wait_lines up 2
	kill -INT -- "-$pid"
	# SIGTERM is ignored, SIGKILL a minute away: the run is still ending
	sleep 0.5
	kill -0 "$pid"
	_tm_signal_and_wait INT
	[ "$st" -eq 130 ]
	[ "$elapsed" -lt 5000 ]
	_tm_nothing_left
}

@test "the default --termseq sends SIGTERM" {
	cat >"${M}_job" <<'EOF'
#!/bin/bash
trap 'echo INT >>sigs; exit 0' INT
trap 'echo TERM >>sigs; exit 0' TERM
echo up >>up
while :; do sleep 0.02; done
EOF
	chmod +x "${M}_job"
	_tm_start "./${M}_job" ::: a
	_tm_wait_lines up 1
	_tm_signal_and_wait INT
	[ "$st" -eq 130 ]
	[ "$(head -n 1 sigs)" = TERM ]
	_tm_nothing_left
}

@test "--termseq accepts names with and without SIG, numbers, and no final wait" {
	for s in INT,100,KILL,10 SIGINT,100,SIGKILL 2,100,9 TERM,200,TERM,100,TERM,50,KILL,25 KILL; do
		run "$MPRUN" --termseq "$s" echo ::: ok
		[ "$status" -eq 0 ]
		[ "$output" = ok ]
	done
}

@test "a bad --termseq: status 255 and a message naming the bad element" {
	run bash -c '"$MPRUN" --termseq TERM,abc,KILL,10 touch ::: ran 2>&1'
	[ "$status" -eq 255 ]
	[[ "$output" == *--termseq* ]]
	[[ "$output" == *abc* ]]
	[ ! -e ran ]
	run bash -c '"$MPRUN" --termseq TERM,100,NOSUCHSIG,10 true ::: a 2>&1'
	[ "$status" -eq 255 ]
	[[ "$output" == *NOSUCHSIG* ]]
	run bash -c '"$MPRUN" --termseq TERM,-5,KILL true ::: a 2>&1'
	[ "$status" -eq 255 ]
	[[ "$output" == *-5* ]]
	for s in '' , TERM,,KILL; do
		run "$MPRUN" --termseq "$s" true ::: a
		[ "$status" -eq 255 ]
	done
}

# --- SIGTERM and SIGHUP ---------------------------------------------------------

# A job that appends to ./started, waits for ./go, prints, and fails for
# input 2.
_tm_waiting_job() {
	echo 'echo {} >>started; until [ -e go ]; do sleep 0.02; done; echo out {}; [ {} != 2 ]'
}

@test "SIGTERM: no new job starts, running ones finish, failures count" {
	_tm_start -j2 "$(_tm_waiting_job)" ::: 1 2 3 4 5
	_tm_wait_lines started 2
	kill -TERM "$pid"
	sleep 0.3
	touch go
	st=0
	wait "$pid" || st=$?
	pid=
	[ "$st" -eq 1 ]
	[ "$(sort out)" = "$(printf 'out 1\nout 2')" ]
	[ "$(sort started)" = "$(printf '1\n2')" ]
	# said, as GNU parallel says it
	grep -qx 'mprun: SIGTERM received: no new jobs start; waiting for the 2 running to finish (send it again to end them now)' err
}

@test "SIGHUP: no new job starts, running ones finish" {
	_tm_start -j2 "$(_tm_waiting_job)" ::: 1 3 4 5
	_tm_wait_lines started 2
	kill -HUP "$pid"
	sleep 0.3
	touch go
	st=0
	wait "$pid" || st=$?
	pid=
	[ "$st" -eq 0 ]
	[ "$(sort out)" = "$(printf 'out 1\nout 3')" ]
	[ "$(sort started)" = "$(printf '1\n3')" ]
	grep -qx 'mprun: SIGHUP received: no new jobs start; waiting for the 2 running to finish (send it again to end them now)' err
}

@test "SIGTERM: mprun exits when the running jobs are done, not waiting for the end of stdin" {
	setsid "$MPRUN" -j2 "$(_tm_waiting_job)" >out 2>err \
		< <(printf '1\n2\n'; exec -a "${M}_feeder" sleep 4) 3>&- &
	pid=$!
	_tm_wait_lines started 2
	kill -TERM "$pid"
	sleep 0.3
	touch go
	t0=$(_tm_now_ms)
	st=0
	wait "$pid" || st=$?
	elapsed=$(($(_tm_now_ms) - t0))
	pid=
	echo "status $st, ${elapsed}ms" >&2
	[ "$st" -eq 1 ]
	[ "$elapsed" -lt 2000 ]
	[ "$(sort out)" = "$(printf 'out 1\nout 2')" ]
}

@test "SIGTERM while waiting out --delay: no new job starts" {
	_tm_start -j4 --delay 1 'echo {} >>started; echo {}' ::: 1 2 3
	_tm_wait_lines started 1
	kill -TERM "$pid"
	st=0
	wait "$pid" || st=$?
	pid=
	[ "$st" -eq 0 ]
	[ "$(cat started)" = 1 ]
	[ "$(cat out)" = 1 ]
}

@test "SIGTERM: a running job that then fails is not tried again" {
	_tm_start --retries 3 'echo x >>tries; until [ -e go ]; do sleep 0.02; done; exit 1; : {}' ::: a
	_tm_wait_lines tries 1
	kill -TERM "$pid"
	sleep 0.3
	touch go
	st=0
	wait "$pid" || st=$?
	pid=
	[ "$st" -eq 1 ]
	[ "$(wc -l <tries)" -eq 1 ]
}

@test "a second SIGTERM ends the job trees like Ctrl-C: status 130" {
	_tm_make_tree
	_tm_start -j2 "./${M}_tree" ::: deaf b c
	_tm_wait_lines up 2
	kill -TERM "$pid"
	sleep 0.3
	# still running: the jobs did not finish
	kill -0 "$pid"
	_tm_signal_and_wait TERM
	[ "$st" -eq 130 ]
	[ "$elapsed" -lt 2000 ]
	_tm_nothing_left
	[ "$(wc -l <up)" -eq 2 ]
}

@test "a second SIGHUP ends the job trees like Ctrl-C: status 130" {
	_tm_make_tree
	_tm_start -j2 "./${M}_tree" ::: a b c
	_tm_wait_lines up 2
	kill -HUP "$pid"
	sleep 0.3
	kill -0 "$pid"
	_tm_signal_and_wait HUP
	[ "$st" -eq 130 ]
	[ "$elapsed" -lt 2000 ]
	_tm_nothing_left
	[ "$(wc -l <up)" -eq 2 ]
}

# --- Ctrl-\ and Ctrl-Z ---------------------------------------------------------

# Wait (at most 10 s) until process $1 is stopped.
_tm_wait_stopped() {
	local i
	for ((i = 0; i < 500; i++)); do
		[[ $(ps -o stat= -p "$1") == T* ]] && return 0
		sleep 0.02
	done
	echo "process $1 was not stopped: $(ps -o stat=,args= -p "$1")" >&2
	return 1
}

# Print the state of each process of this test; fail unless each is
# stopped ($1 = T) or each is not ($1 = run). Those not yet there get up to
# 10 s.
_tm_all_are() {
	local i p s ok
	for ((i = 0; i < 500; i++)); do
		ok=1
		for p in $(leftovers "$M"); do
			s=$(ps -o stat= -p "$p") || continue
			if [ "$1" = T ]; then [[ $s == T* ]] || ok=; else
				[[ $s != T* ]] || ok=; fi
		done
		[ -z "$ok" ] || break
		sleep 0.02
	done
	ps -o pid,stat,args -p "$(leftovers "$M" | paste -sd,)" >&2
	[ -n "$ok" ]
}

@test "Ctrl-\\ (SIGQUIT): every job's whole tree is killed at once, not waiting out --termseq; status 131" {
	_tm_make_tree
	_tm_start -j2 --termseq TERM,60000,KILL,10 "./${M}_tree" ::: deaf deaf deaf
	_tm_wait_lines up 2
	_tm_signal_and_wait QUIT
	[ "$st" -eq 131 ]
	[ "$elapsed" -lt 5000 ]
	_tm_nothing_left
	[ "$(wc -l <up)" -eq 2 ]
	[ ! -s out ]
	# mprun ended them and exited; it did not die of the signal itself
	[ "$(grep -c -i 'core' err)" -eq 0 ]
}

@test "Ctrl-Z (SIGTSTP): every process of the jobs' trees is stopped with mprun; SIGCONT continues them all" {
	_tm_make_tree
	_tm_start -j2 "./${M}_tree" ::: a b
	_tm_wait_lines up 2
	# the terminal sends SIGTSTP to the foreground group: mprun's only
	kill -TSTP -- "-$pid"
	_tm_wait_stopped "$pid"
	# the jobs, their children, the setsid children and the daemons
	[ "$(leftovers "$M" | wc -l)" -ge 9 ]
	_tm_all_are T
	# fg: the shell sends SIGCONT to mprun's group
	kill -CONT -- "-$pid"
	_tm_all_are run
	_tm_signal_and_wait INT
	[ "$st" -eq 130 ]
	_tm_nothing_left
}

@test "Ctrl-Z: the jobs make no progress while stopped, and the time stopped does not count against --timeout" {
	_tm_start -j2 --timeout 3 "echo {} >>up; sleep 1.5; echo {} >>done; echo {} $M" ::: a b
	_tm_wait_lines up 2
	kill -TSTP -- "-$pid"
	_tm_wait_stopped "$pid"
	# (without the stop, both jobs would have ended by now)
	sleep 3.2
	[ ! -e done ]
	kill -CONT -- "-$pid"
	st=0
	wait "$pid" || st=$?
	pid=
	cat err >&2
	[ "$st" -eq 0 ]
	[ "$(sort out)" = "$(printf 'a %s\nb %s' "$M" "$M")" ]
	[ ! -s err ]
}

# --- jobs killed by a signal ----------------------------------------------------

@test "SIGSTOP, then SIGCONT (mprun alone, not Ctrl-Z): jobs that ended meanwhile did not time out" {
	_tm_start -j2 -k --timeout 3 "echo {} >>up; sleep 1.5; echo {} $M" ::: a b c
	_tm_wait_lines up 2
	kill -STOP "$pid"
	sleep 4 # the jobs end while mprun is stopped; their --timeout passes
	kill -CONT "$pid"
	st=0
	wait "$pid" || st=$?
	pid=
	cat err >&2
	[ "$st" -eq 0 ]
	[ "$(cat out)" = "$(printf 'a %s\nb %s\nc %s' "$M" "$M" "$M")" ]
	[ ! -s err ]
}

@test "a job killed by a signal counts as failed in the exit status" {
	run "$MPRUN" 'kill -{} $$' ::: KILL TERM INT HUP
	[ "$status" -eq 4 ]
	run "$MPRUN" '[ {} != 2 ] || kill -KILL $$' ::: 1 2 3
	[ "$status" -eq 1 ]
}

@test "more than 100 jobs killed by a signal: status 101" {
	seq 101 >in
	run "$MPRUN" 'kill -KILL $$; : {}' <in
	[ "$status" -eq 101 ]
}

@test "a killed job is logged with Exitval 128+signal and its Signal column" {
	run "$MPRUN" --joblog log 'kill -{} $$' ::: KILL TERM
	[ "$status" -eq 2 ]
	[ "$(awk -F'\t' 'NR > 1 { print $7, $8 }' log | sort)" = "$(printf '137 9\n143 15')" ]
}

# --- mprun's own death --------------------------------------------------------------

@test "when mprun is SIGKILLed its direct children die" {
	cat >"${M}_job" <<'EOF2'
#!/bin/bash
echo $$ >>started
exec -a "$0_sleeper" sleep 300
EOF2
	chmod +x "${M}_job"
	for i in 1 2 3; do
		rm -f started
		_tm_start -j2 "./${M}_job" ::: a b
		_tm_wait_lines started 2
		kids=$(sort started)
		# they are mprun's children
		[ "$(pgrep -P "$pid" | sort)" = "$kids" ]
		kill -KILL "$pid"
		wait "$pid" || :
		pid=
		for ((k = 0; k < 100; k++)); do
			alive=
			for c in $kids; do
				s=$(ps -o stat= -p "$c" || :)
				[ -z "$s" ] || [[ "$s" == Z* ]] || alive="$alive $c"
			done
			[ -z "$alive" ] && break
			sleep 0.02
		done
		[ -z "$alive" ]
		_tm_nothing_left
	done
}
