#!/usr/bin/env bats
# Job control: --timeout (a duration or N% of the median runtime),
# --retries, --halt now|soon,fail|success|done=N|N%, --delay.

load setup

# setup.bash's setup, then $M: a string unique to this test that every
# process it starts carries in its command line (for pgrep -f / pkill -f).
eval "_jc_base_$(declare -f setup)"
setup() {
	_jc_base_setup || return 1
	M="mprJ${BATS_TEST_NUMBER}x$$x$RANDOM"
}

teardown() {
	[ -z "${M:-}" ] || pkill -KILL -f -- "$M" || :
}

# Milliseconds since the epoch.
_jc_now_ms() {
	local t=${EPOCHREALTIME//[!0-9]/}
	echo $((t / 1000))
}

# Run a command with its stderr in the file "err" (run keeps stdout only).
_jc_err_to_file() {
	"$@" 2>err
}

# run, timed: also sets $elapsed (ms).
_jc_timed_run() {
	local t0
	t0=$(_jc_now_ms)
	run _jc_err_to_file "$@"
	elapsed=$(($(_jc_now_ms) - t0))
	echo "status $status, ${elapsed}ms" >&2
}

# Fail, listing them, if any process of this test is still alive.
_jc_nothing_left() {
	local left
	left=$(leftovers "$M")
	[ -z "$left" ] && return 0
	echo "left running:" >&2
	ps -o pid,ppid,pgid,sid,stat,args -p "$(echo $left | tr ' ' ,)" >&2
	return 1
}

# Write ./${M}_tree: a job that starts a plain child, a setsid child, a
# double-forked daemon, and a child and a double-forked daemon that ignore
# SIGTERM and SIGINT; then it appends a line to ./up and waits.
_jc_make_tree() {
	cat >"${M}_tree" <<EOF
#!/bin/bash
exec -a ${M}_child sleep 300 &
setsid bash -c 'exec -a ${M}_session sleep 300' &
( setsid bash -c 'exec -a ${M}_daemon sleep 300' & )
( trap '' TERM INT; exec -a ${M}_deaf sleep 300 ) &
( trap '' TERM INT; setsid bash -c 'exec -a ${M}_deafdaemon sleep 300' & )
echo up >>up
wait
EOF
	chmod +x "${M}_tree"
}

# Write ./${M}_sleep: sleep, as a process named ${M}_sleeping.
_jc_make_sleeper() {
	printf '#!/bin/bash\nexec -a "%s_sleeping" sleep "$@"\n' "$M" >"${M}_sleep"
	chmod +x "${M}_sleep"
}

# Write ./try: "try NAME N" counts its tries in tries.NAME, prints the try
# number on stdout and stderr, and fails until its N-th try.
_jc_make_try() {
	cat >try <<'EOF'
#!/bin/sh
echo x >>"tries.$1"
n=$(wc -l <"tries.$1")
echo "out $1 try $n"
echo "err $1 try $n" >&2
[ "$n" -ge "$2" ]
EOF
	chmod +x try
}

# --- --timeout ------------------------------------------------------------------------

@test "--timeout ends the job's whole tree; the job fails, in 10 repetitions" {
	_jc_make_tree
	for i in 1 2 3 4 5 6 7 8 9 10; do
		rm -f up
		_jc_timed_run "$MPRUN" -j2 --timeout 0.3 --termseq TERM,100,KILL,25 \
			'[ {} = fast ] && echo fast || exec ./'"${M}_tree" ::: slow fast
		[ "$status" -eq 1 ]
		[ "$output" = fast ]
		[ "$elapsed" -lt 2500 ]
		grep -q '^mprun: job 1 timed out after 0\.[3-9][0-9]*s' err
		[ "$(grep -c 'timed out' err)" -eq 1 ]
		_jc_nothing_left
	done
}

@test "--timeout with the default --termseq ends TERM-ignoring trees too" {
	_jc_make_tree
	_jc_timed_run "$MPRUN" --timeout 0.2 "./${M}_tree" ::: a
	[ "$status" -eq 1 ]
	[ "$elapsed" -lt 2000 ]
	grep -q '^mprun: job 1 timed out after ' err
	_jc_nothing_left
}

@test "--timeout: a process that escaped the job's tree (setsid, its marker removed) does not outlive the run" {
	_jc_timed_run "$MPRUN" --timeout 0.3 "setsid -f env -u MPRUN_JOBID /bin/bash -c 'exec -a ${M}_escaped sleep 300' >/dev/null 2>&1; setsid -f env -i /bin/bash -c 'exec -a ${M}_bare sleep 300' >/dev/null 2>&1; exec -a ${M}_job sleep 300 # {}" ::: a
	[ "$status" -eq 1 ]
	[ "$elapsed" -lt 3000 ]
	grep -q '^mprun: job 1 timed out after ' err
	_jc_nothing_left
}

@test "--timeout takes seconds, fractions and units" {
	_jc_make_sleeper
	for t in 0.3 300ms 0.3s; do
		_jc_timed_run "$MPRUN" --timeout "$t" "./${M}_sleep" ::: 10
		[ "$status" -eq 1 ]
		[ "$elapsed" -ge 250 ]
		[ "$elapsed" -lt 3000 ]
		grep -q '^mprun: job 1 timed out after 0\.[3-9]' err
	done
	_jc_nothing_left
}

@test "--timeout leaves the jobs that end in time alone" {
	_jc_timed_run "$MPRUN" -k --timeout 2 'sleep {}; echo {}' ::: 0.1 0.3 0
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '0.1\n0.3\n0')" ]
	[ ! -s err ]
}

@test "--timeout 1m30s does not end a short job" {
	run "$MPRUN" --timeout 1m30s 'sleep 0.1; echo {}' ::: a
	[ "$status" -eq 0 ]
	[ "$output" = a ]
}

@test "--timeout N% is N% of the median runtime of the finished jobs" {
	# 200% of 0.2 s: the fourth job is ended after about 0.4 s.
	_jc_make_sleeper
	_jc_timed_run "$MPRUN" -j1 --timeout 200% "./${M}_sleep" ::: 0.2 0.2 0.2 10
	[ "$status" -eq 1 ]
	[ "$elapsed" -lt 4000 ]
	grep -q '^mprun: job 4 timed out after ' err
	[ "$(grep -c 'timed out' err)" -eq 1 ]
	_jc_nothing_left
}

@test "--timeout N% does not apply before 3 jobs finished" {
	# Only 2 jobs finished when the third one (3 times longer) starts.
	_jc_timed_run "$MPRUN" -j1 --timeout 150% 'sleep {}; echo {}' ::: 0.1 0.1 0.6
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[ ! -s err ]
}

@test "--timeout N%: jobs within N% of the median are not ended" {
	run "$MPRUN" -j1 --timeout 500% 'sleep {}' ::: 0.1 0.1 0.1 0.2 0.1
	[ "$status" -eq 0 ]
}

@test "a bad --timeout: status 255, no job runs" {
	for t in 0 -1 abc 0% x% % 10x '' 1.2.3; do
		run "$MPRUN" --timeout "$t" touch ::: ran
		echo "--timeout '$t': $status" >&2
		[ "$status" -eq 255 ]
		[ ! -e ran ]
	done
	# a duration below the resolution is said as such
	run "$MPRUN" --timeout 0.0001 touch ::: ran
	[ "$status" -eq 255 ]
	[[ "$output" == *'--timeout: "0.0001" is less than 1 ms (the shortest timeout)'* ]]
}

@test "a timed-out job is tried again with --retries" {
	_jc_make_sleeper
	cat >job <<EOF
#!/bin/sh
echo x >>tries
[ "\$(wc -l <tries)" -ge 2 ] || exec ./${M}_sleep 10
echo done
EOF
	chmod +x job
	_jc_timed_run "$MPRUN" --timeout 0.3 --retries 1 ./job ::: a
	[ "$status" -eq 0 ]
	[ "$output" = done ]
	[ "$(wc -l <tries)" -eq 2 ]
	_jc_nothing_left
}

@test "each try of a retried job gets the whole --timeout" {
	# each try takes 0.8 s, under the 1.2 s timeout (both tries together
	# take longer); the first one fails
	_jc_timed_run "$MPRUN" --timeout 1.2 --retries 1 \
		': {}; echo x >>tries; sleep 0.8; [ $(wc -l <tries) -ge 2 ]' ::: a
	[ "$status" -eq 0 ]
	[ "$(wc -l <tries)" -eq 2 ]
	[ ! -s err ]
}

@test "--timeout and --retries: a job retried and done before its timeout" {
	_jc_make_sleeper
	# job 1 fails twice at once; job 2 times out twice
	_jc_timed_run "$MPRUN" -j1 --timeout 0.3 --retries 1 "./${M}_sleep {}; exit 1" ::: 0 10
	[ "$status" -eq 2 ]
	[ "$(grep -c '^mprun: job 2 timed out after 0\.[3-9]' err)" -eq 2 ]
	[ "$(grep -c 'timed out' err)" -eq 2 ]
	_jc_nothing_left
}

@test "--timeout and --retries: no invalid memory access (valgrind)" {
	# A retried job's first try left its timeout armed: it fired after the
	# job was freed (a crash, depending on the memory layout).
	local vg=()
	if [ -n "${MPRUN_SANITIZED:-}" ] ||
		ldd "$MPRUN" 2>/dev/null | grep -q libasan; then
		: # AddressSanitizer reports it by itself (clang links it in)
	elif command -v valgrind >/dev/null; then
		vg=(valgrind -q --error-exitcode=99)
	else
		skip "no valgrind"
	fi
	run _jc_err_to_file "${vg[@]}" "$MPRUN" -j1 --timeout 0.3 --retries 1 'sleep {}; exit 1' ::: 0 1
	head -n 20 err >&2
	[ "$status" -eq 2 ]
}

# --- --retries ----------------------------------------------------------------------

@test "--retries: a failed job runs again; only the last try's output shows" {
	_jc_make_try
	run _jc_err_to_file "$MPRUN" -k --retries 3 ./try {1} {2} ::: a b c :::+ 1 2 4
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'out a try 1\nout b try 2\nout c try 4')" ]
	[ "$(sort err)" = "$(printf 'err a try 1\nerr b try 2\nerr c try 4')" ]
	[ "$(wc -l <tries.a)" -eq 1 ]
	[ "$(wc -l <tries.b)" -eq 2 ]
	[ "$(wc -l <tries.c)" -eq 4 ]
}

@test "--retries N gives up after N more tries; the job counts as failed" {
	_jc_make_try
	run _jc_err_to_file "$MPRUN" -k --retries 2 ./try {1} {2} ::: a b c :::+ 5 3 9
	[ "$status" -eq 2 ]
	[ "$output" = "$(printf 'out a try 3\nout b try 3\nout c try 3')" ]
	[ "$(sort err)" = "$(printf 'err a try 3\nerr b try 3\nerr c try 3')" ]
	[ "$(cat tries.a tries.b tries.c | wc -l)" -eq 9 ]
}

@test "--retries 0 and no --retries: one try" {
	_jc_make_try
	run "$MPRUN" --retries 0 ./try a 2 ::: x
	[ "$status" -eq 1 ]
	[ "$(wc -l <tries.a)" -eq 1 ]
	run "$MPRUN" ./try b 2 ::: x
	[ "$status" -eq 1 ]
	[ "$(wc -l <tries.b)" -eq 1 ]
}

@test "--retries: a job killed by a signal is tried again" {
	run "$MPRUN" --retries 2 'echo x >>tries; [ $(wc -l <tries) -ge 3 ] || kill -KILL $$; echo ok {}' ::: a
	[ "$status" -eq 0 ]
	[ "$output" = "ok a" ]
	[ "$(wc -l <tries)" -eq 3 ]
}

@test "--retries with many jobs at once: each job's tries are its own" {
	_jc_make_try
	seq 20 >in
	run _jc_err_to_file "$MPRUN" -j4 --retries 2 ./try {} 3 <in
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 20 ]
	for i in $(seq 20); do
		[ "$(wc -l <"tries.$i")" -eq 3 ]
	done
	[ "$(printf '%s\n' "${lines[@]}" | grep -c 'try 3$')" -eq 20 ]
}

@test "a bad --retries: status 255" {
	for n in -1 x 1.5 ''; do
		run "$MPRUN" --retries "$n" touch ::: ran
		[ "$status" -eq 255 ]
		[ ! -e ran ]
	done
}

# --- --halt -------------------------------------------------------------------------

@test "--halt now,fail=1 ends the running jobs' trees, starts no new job, in 10 repetitions" {
	_jc_make_tree
	for i in 1 2 3 4 5 6 7 8 9 10; do
		rm -f up extra
		_jc_timed_run "$MPRUN" -j2 --halt now,fail=1 \
			'case {} in
			 tree) exec ./'"${M}_tree"' ;;
			 fail) until [ -e up ]; do sleep 0.02; done; exit 3 ;;
			 *) echo {} >>extra ;;
			 esac' ::: tree fail x y z
		# the failed job's status (GNU parallel's fail=1); the job
		# ended by --halt counts neither way
		[ "$status" -eq 3 ]
		[ "$elapsed" -lt 3000 ]
		[ ! -e extra ]
		grep -qx 'mprun: --halt now,fail=1: stopped the run after 1 failed and 0 succeeded jobs' err
		_jc_nothing_left
	done
}

@test "--halt soon,fail=1 lets the running jobs finish and starts no new job" {
	run _jc_err_to_file "$MPRUN" -j2 --halt soon,fail=1 \
		'echo {} >>started; [ {} = slow ] && sleep 0.5; echo out {}; [ {} != fail ]' ::: slow fail x y
	[ "$status" -eq 1 ]
	[ "$(sort started)" = "$(printf 'fail\nslow')" ]
	[ "$(printf '%s\n' "${lines[@]}" | sort)" = "$(printf 'out fail\nout slow')" ]
	grep -qx 'mprun: --halt soon,fail=1: stopped the run after 1 failed and 1 succeeded jobs' err
}

@test "--halt stops the run at once even while stdin is still open" {
	for h in now,fail=1 soon,fail=1; do
		# (the feeder sleeps 4 s: a hang shows as 4 s, not forever)
		_jc_timed_run "$MPRUN" -j1 --halt "$h" 'exit {}' \
			< <(printf '0\n3\n'; exec -a "${M}_feeder" sleep 4)
		[ "$status" -eq 3 ] # the failed job's (fail=1)
		[ "$elapsed" -lt 2000 ]
		grep -q "^mprun: --halt $h: stopped the run after 1 failed and 1 succeeded jobs\$" err
		pkill -f -- "${M}_feeder" || :
	done
}

@test "--halt soon,fail=2 stops after the second failure" {
	run _jc_err_to_file "$MPRUN" -j1 --halt soon,fail=2 'echo {} >>ran; exit {}' ::: 0 1 0 1 0 1
	[ "$status" -eq 2 ]
	[ "$(cat ran)" = "$(printf '0\n1\n0\n1')" ]
	grep -qx 'mprun: --halt soon,fail=2: stopped the run after 2 failed and 2 succeeded jobs' err
}

@test "--halt soon,success=2 stops after the second success" {
	run _jc_err_to_file "$MPRUN" -j1 --halt soon,success=2 'echo {} >>ran; exit {}' ::: 1 0 1 0 0 0
	[ "$status" -eq 0 ] # success=N reached: 0 (GNU parallel)
	[ "$(cat ran)" = "$(printf '1\n0\n1\n0')" ]
	grep -qx 'mprun: --halt soon,success=2: stopped the run after 2 failed and 2 succeeded jobs' err
}

@test "--halt soon,done=3 stops after three jobs" {
	run _jc_err_to_file "$MPRUN" -j1 --halt soon,done=3 'echo {} >>ran; exit {}' ::: 1 0 0 0 0
	[ "$status" -eq 1 ]
	[ "$(cat ran)" = "$(printf '1\n0\n0')" ]
	grep -qx 'mprun: --halt soon,done=3: stopped the run after 1 failed and 2 succeeded jobs' err
}

@test "--halt soon,fail=N% counts failures against all the jobs" {
	# 2 failures of 8 jobs are 25%: stop at the second.
	run _jc_err_to_file "$MPRUN" -j1 --halt soon,fail=25% 'echo {} >>ran; exit {}' ::: 0 1 0 1 0 0 0 0
	[ "$status" -eq 25 ] # the percentage of failed jobs (GNU's manual)
	[ "$(wc -l <ran)" -eq 4 ]
	grep -q '^mprun: --halt soon,fail=25%: stopped the run after 2 failed and 2 succeeded jobs$' err
	# 3 failures of 8 are not 50%: no halt
	rm ran
	run _jc_err_to_file "$MPRUN" -j1 --halt soon,fail=50% 'echo {} >>ran; exit {}' ::: 1 1 0 0 1 0 0 0
	[ "$status" -eq 37 ] # 3 of 8: 37%
	[ "$(wc -l <ran)" -eq 8 ]
	[ "$(grep -c -- --halt err)" -eq 0 ]
}

@test "--halt now,done=50% stops after half of the jobs" {
	run _jc_err_to_file "$MPRUN" -j1 --halt now,done=50% 'echo {} >>ran; exit {}' ::: 0 1 0 0 0 0
	[ "$status" -eq 1 ]
	[ "$(wc -l <ran)" -eq 3 ]
	grep -q '^mprun: --halt now,done=50%: stopped the run after 1 failed and 2 succeeded jobs$' err
}

@test "--halt never and a condition never met: every job runs, no message" {
	run _jc_err_to_file "$MPRUN" -j1 --halt never 'echo {} >>ran; exit {}' ::: 1 0 1
	[ "$status" -eq 2 ]
	[ "$(wc -l <ran)" -eq 3 ]
	[ ! -s err ]
	rm ran
	run _jc_err_to_file "$MPRUN" -j1 --halt now,fail=3 'echo {} >>ran; exit {}' ::: 1 0 1
	[ "$status" -eq 2 ]
	[ "$(wc -l <ran)" -eq 3 ]
	[ ! -s err ]
}

@test "a bad --halt: status 255, no job runs" {
	for h in now later,fail=1 now,fail now,fail= now,fail=0 now,fail=x \
		now,fail=101% now,fail=0% soon,oops=1 fail=1 soon,fail=-1 ''; do
		run "$MPRUN" --halt "$h" touch ::: ran
		echo "--halt '$h': $status" >&2
		[ "$status" -eq 255 ]
		[ ! -e ran ]
	done
}

# --- --delay ------------------------------------------------------------------------

@test "--delay waits between two job starts" {
	_jc_timed_run "$MPRUN" -j4 --delay 0.2 --joblog log 'date +%s%N >>starts.{}; echo {}' ::: 1 2 3 4
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 4 ]
	[ "$elapsed" -ge 600 ]
	[ "$elapsed" -lt 4000 ]
	cat log
	# each start, as mprun logs it, at least 0.2 s after the one before
	# (stamped to the millisecond: 199 ms passes, a halved delay does not)
	[ "$(tail -n +2 log | sort -n -k3 | cut -f1 | tr '\n' ' ')" = "1 2 3 4 " ]
	tail -n +2 log | sort -n | awk -F'\t' 'NR > 1 && ($3 - prev) * 1000 < 198.5 { bad = 1 }
		{ prev = $3 } END { exit bad }'
	# and each job ran after its logged start (date's clock is the same)
	for i in 1 2 3 4; do
		awk -F'\t' -v i="$i" -v t="$(cat starts.$i)" '$1 == i && t / 1e9 < $3 - 0.001 { exit 1 }' log
	done
}

@test "--delay: the first job starts at once" {
	_jc_timed_run "$MPRUN" --delay 3 echo ::: a
	[ "$status" -eq 0 ]
	[ "$output" = a ]
	[ "$elapsed" -lt 1500 ]
}

@test "--delay takes units" {
	_jc_timed_run "$MPRUN" -j3 --delay 250ms 'echo {}' ::: 1 2 3
	[ "$status" -eq 0 ]
	[ "$elapsed" -ge 500 ]
	[ "$elapsed" -lt 4000 ]
}

@test "a bad --delay: status 255" {
	for d in -1 abc 10x ''; do
		run "$MPRUN" --delay "$d" touch ::: ran
		[ "$status" -eq 255 ]
		[ ! -e ran ]
	done
}

@test "--halt now: the jobs it ends are still logged, with their signal" {
	# job 2 fails once job 1 has started; --halt now ends job 1
	_jc_make_sleeper
	_jc_timed_run "$MPRUN" -j2 --halt now,fail=1 --joblog log \
		"if [ {} = 1 ]; then touch started.1; exec ./${M}_sleep 30; fi; $WAIT_FOR started.1; exit 4" ::: 1 2
	cat log
	[ "$status" -eq 4 ] # job 2's
	[ "$elapsed" -lt 10000 ]
	[ "$(wc -l <log)" -eq 3 ]
	[ "$(tail -n +2 log | cut -f1,7,8 | sort)" = "$(printf '1\t143\t15\n2\t4\t0')" ]
	_jc_nothing_left
}

@test "--halt now,success=1: the jobs it ends are not failures, status 0" {
	run _jc_err_to_file "$MPRUN" -j3 --halt now,success=1 'sleep {}' ::: 0.1 5 5
	[ "$status" -eq 0 ]
	grep -q 'stopped the run after 0 failed and 1 succeeded jobs' err
}
