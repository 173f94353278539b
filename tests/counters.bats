#!/usr/bin/env bats
# Shared counters and the run's shared-memory segment: --counter,
# --counters, --status, --cleanup; atomic updates from many processes;
# the segment is private (0600) and never left behind.
#
# Until the run itself creates a segment, the hidden `mprun --shm-run CMD`
# stands in for it: it makes a segment, runs CMD with MPRUN_SHM set, and
# removes the segment. The tests of the real run skip themselves until a
# job of mprun sees MPRUN_SHM.

bats_require_minimum_version 1.5.0

load setup

# Background mprun processes write their pid to *.pid; SIGTERM ends them
# (and the command they run) and they remove their segment.
teardown() {
	local f i
	for f in "$T"/*.pid; do
		[ -s "$f" ] || continue
		kill -TERM "$(cat "$f")" 2>/dev/null || continue
		for i in $(seq 100); do
			kill -0 "$(cat "$f")" 2>/dev/null || break
			sleep 0.02
		done
	done
	return 0
}

# Run a command with its stderr in the file "err" (run keeps stdout only).
_ct_err_to_file() {
	"$@" 2>err
}

# The segment files of mprun process $1.
_ct_segments_of() {
	ls /dev/shm/ 2>/dev/null | grep "^mprun\.$(id -u)\.$1\." || true
}

# Wait (at most 10 s) until file $1 exists and is not empty.
_ct_wait_file() {
	local i
	for ((i = 0; i < 500; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.02
	done
	echo "timed out waiting for $1" >&2
	return 1
}

# Skip unless the jobs of a real run see MPRUN_SHM.
_ct_need_run_segment() {
	local seen
	seen=$("$MPRUN" 'echo "$MPRUN_SHM"' ::: x 2>/dev/null) || :
	[ -n "$seen" ] || skip "the run does not create a segment yet (TODO: enable once cmd/mprun.c calls shm_run_create)"
}

# --- counters inside a run -----------------------------------------------------

@test "--counter outside a run: a clear message and status 255" {
	unset MPRUN_SHM
	run _ct_err_to_file "$MPRUN" --counter n +1
	[ "$status" -eq 255 ]
	[ "$output" = "" ]
	[ "$(cat err)" = "mprun: --counter: no run: MPRUN_SHM is not set (run this inside a job of mprun; on an SSH host or a Slurm node, the run serves its counters when given --counter-init or when its command calls mprun)" ]
	run _ct_err_to_file "$MPRUN" --counters
	[ "$status" -eq 255 ]
	grep -q 'MPRUN_SHM is not set' err
}

@test "--counter adds, subtracts and sets, printing the new value; reading one never set gives 0" {
	run "$MPRUN" --shm-run '
		"$MPRUN" --counter n
		"$MPRUN" --counter n +5
		"$MPRUN" --counter n -7
		"$MPRUN" --counter=n +10
		"$MPRUN" --counter n
		"$MPRUN" --counter n =42
		"$MPRUN" --counter n
		"$MPRUN" --counter big =9223372036854775807
		"$MPRUN" --counter big -1'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' 0 5 -2 8 8 42 42 9223372036854775807 9223372036854775806)" ]
}

@test "--counters lists NAME VALUE lines sorted by name" {
	run "$MPRUN" --shm-run '
		"$MPRUN" --counters
		"$MPRUN" --counter zeta +1 >/dev/null
		"$MPRUN" --counter alpha.bytes =1024 >/dev/null
		"$MPRUN" --counter m:x/y-z_1 -3 >/dev/null
		"$MPRUN" --counters'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' 'alpha.bytes 1024' 'm:x/y-z_1 -3' 'zeta 1')" ]
}

# (test_shm adds from threads and processes many more times; here the
# command line's path, from processes that run at the same time)
@test "10 processes adding 1 40 times each end at exactly 400" {
	run "$MPRUN" --shm-run '
		for p in $(seq 10); do
			(for i in $(seq 40); do "$MPRUN" --counter hits +1 >/dev/null || echo FAIL; done) &
		done
		wait
		"$MPRUN" --counter hits'
	[ "$status" -eq 0 ]
	[ "$output" = "400" ]
}

@test "bad counter names and changes: status 255 and a message naming them" {
	run "$MPRUN" --shm-run '
		"$MPRUN" --counter "a b" +1 2>>err; echo $?
		"$MPRUN" --counter "$(printf "%064d" 0)" +1 2>>err; echo $?
		"$MPRUN" --counter n 5 2>>err; echo $?
		"$MPRUN" --counter n +x 2>>err; echo $?
		"$MPRUN" --counter n +99999999999999999999 2>>err; echo $?
		"$MPRUN" --counter 2>>err; echo $?
		"$MPRUN" --counter n +1 +2 2>>err; echo $?
		"$MPRUN" --counters extra 2>>err; echo $?'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '255\n%.0s' 1 2 3 4 5 6 7 8)" ]
	grep -q "invalid counter name 'a b'" err
	grep -q "invalid change '5'" err
	grep -q "invalid change '+x'" err
	grep -q 'usage: mprun --counter NAME' err
}

@test "a full table of 256 counters: the next name is refused, old ones still work" {
	# 255 declared, the 256th made by a job (255 more mprun starts would
	# cost 3 s under ASan)
	local args=() i
	for i in $(seq 0 254); do args+=(--counter-init "c$i=0"); done
	run --separate-stderr "$MPRUN" "${args[@]}" '
		"$MPRUN" --counter c255 +1 >/dev/null || exit 9
		"$MPRUN" --counter one.more +1 2>err; echo $?
		"$MPRUN" --counter c7 +1; true' ::: x
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '255\n1')" ]
	grep -qx 'mprun: --counter: one.more: too many counters (max 256)' err
}

@test "declaring a 257th counter (--counter-init, a pipeline's counters:) is refused as too many, before any job" {
	local args=() i
	for i in $(seq 257); do args+=(--counter-init "c$i=0"); done
	run "$MPRUN" "${args[@]}" touch ran ::: a
	[ "$status" -eq 255 ]
	[ "$output" = "mprun: --counter-init: c257: too many counters (max 256)" ]
	[ ! -e ran ]
	run "$MPRUN" "${args[@]:0:512}" true ::: a
	[ "$status" -eq 0 ]
	{
		echo "counters:"
		for i in $(seq 257); do echo "  - c$i"; done
		echo "stages:"
		echo "  a: {cmd: touch ran}"
	} >p.yaml
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 255 ]
	[ "$output" = "mprun: p.yaml: counters: c257: too many counters (max 256)" ]
	[ ! -e ran ]
	run "$MPRUN" --counter-init "a b=1" true ::: a
	[ "$status" -eq 255 ]
	[ "$output" = 'mprun: --counter-init: "a b=1" is not NAME=NUMBER (names: letters, digits, _ . : / -)' ]
}

@test "a counter does not wrap: past 64 bits is an error and the value stays; =-3 sets -3" {
	run "$MPRUN" --shm-run '
		"$MPRUN" --counter big =9223372036854775807 >/dev/null
		"$MPRUN" --counter big +1 2>>err; echo $?
		"$MPRUN" --counter big
		"$MPRUN" --counter low =-9223372036854775808 >/dev/null
		"$MPRUN" --counter low -1 2>>err; echo $?
		"$MPRUN" --counter neg =-3'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '255\n9223372036854775807\n255\n-3')" ]
	[ "$(grep -c 'does not fit in a 64-bit counter' err)" -eq 2 ]
	grep -q '^mprun: --counter: big: the result does not fit' err
}

@test "MPRUN_SHM naming a segment that is gone or is not ours: a message naming it" {
	MPRUN_SHM=/mprun.$(id -u).1.gone run _ct_err_to_file "$MPRUN" --counter n +1
	[ "$status" -eq 255 ]
	grep -q "MPRUN_SHM=/mprun.$(id -u).1.gone: no such segment (has the run ended?)" err
	MPRUN_SHM=/etc/passwd run _ct_err_to_file "$MPRUN" --counter n
	[ "$status" -eq 255 ]
	grep -q 'not the name of an mprun segment' err
}

# --- the segment ---------------------------------------------------------------

@test "the segment is named after the uid and pid, has mode 0600, and another user cannot open it" {
	run "$MPRUN" --shm-run 'echo "$MPRUN_SHM"; stat -c %a "/dev/shm$MPRUN_SHM"; echo $PPID'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^/mprun\.$(id -u)\.${lines[2]}\.[0-9a-f]{8}$ ]]
	[ "${lines[1]}" = "600" ]

	[ "$(id -u)" -eq 0 ] || skip "needs root to act as another user"
	command -v setpriv >/dev/null || skip "needs setpriv"
	chmod 755 "$T"
	run "$MPRUN" --shm-run '
		setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
			"$MPRUN" --counter n +1 2>"$PWD/nobody.err"; echo $?
		cat "/dev/shm$MPRUN_SHM" >/dev/null && echo root-can-read'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "255" ]
	grep -q 'belongs to another user' nobody.err
}

@test "--status PID shows a running run's figures, counters and command" {
	run "$MPRUN" --shm-run '"$MPRUN" --counter files =3 >/dev/null; "$MPRUN" --status $PPID; echo "pid $PPID"'
	[ "$status" -eq 0 ]
	pid=${lines[3]#pid }
	[ "${lines[0]}" = "run $pid: started 1, running 1, done 0, failed 0, total 1, elapsed 0s" ]
	[[ "${lines[1]}" == "  command: \"\$MPRUN\" --counter files =3"* ]]
	[ "${lines[2]}" = "  counter files 3" ]
}

@test "--status without a PID shows every live run of this user; none is status 1" {
	"$MPRUN" --shm-run 'echo $PPID >a.pid; exec sleep 30' >/dev/null 2>&1 3>&- &
	"$MPRUN" --shm-run 'echo $PPID >b.pid; exec sleep 30' >/dev/null 2>&1 3>&- &
	_ct_wait_file a.pid
	_ct_wait_file b.pid
	run "$MPRUN" --status
	[ "$status" -eq 0 ]
	echo "$output" | grep -q "^run $(cat a.pid): started 1, running 1"
	echo "$output" | grep -q "^run $(cat b.pid): started 1, running 1"
	run _ct_err_to_file "$MPRUN" --status 1
	[ "$status" -eq 1 ]
	grep -q 'no running mprun with pid 1' err
	run _ct_err_to_file "$MPRUN" --status nope
	[ "$status" -eq 255 ]
}

@test "no segment is left after a run that ends normally or fails" {
	run "$MPRUN" --shm-run 'echo $PPID'
	[ "$status" -eq 0 ]
	[ -z "$(_ct_segments_of "$output")" ]
	run "$MPRUN" --shm-run 'echo $PPID; exit 3'
	[ "$status" -eq 3 ]
	[ -z "$(_ct_segments_of "$output")" ]
}

@test "no segment is left after a run is interrupted with Ctrl-C (SIGINT to its group) or SIGTERM" {
	setsid "$MPRUN" --shm-run 'echo $PPID >int.pid; sleep 30' >/dev/null 2>&1 3>&- &
	_ct_wait_file int.pid
	[ -n "$(_ct_segments_of "$(cat int.pid)")" ]
	kill -INT -- "-$(cat int.pid)"
	for i in $(seq 100); do kill -0 "$(cat int.pid)" 2>/dev/null || break; sleep 0.05; done
	run ! kill -0 "$(cat int.pid)"
	[ -z "$(_ct_segments_of "$(cat int.pid)")" ]

	"$MPRUN" --shm-run 'echo $PPID >term.pid; exec sleep 30' >/dev/null 2>&1 3>&- &
	_ct_wait_file term.pid
	kill -TERM "$(cat term.pid)"
	wait $! || [ $? -eq 143 ]
	[ -z "$(_ct_segments_of "$(cat term.pid)")" ]
}

@test "the segment of a crashed run is removed by --cleanup and by the next run" {
	# As a user of its own (uid 64999, no other test's): every run starts
	# by removing its user's stale segments, so under make -j check
	# another file's run as root or as nobody (hostile.bats,
	# pressure.bats) could remove this one before --cleanup looks. Its own
	# home, where --cleanup looks for semaphores.
	command -v setpriv >/dev/null || skip "needs setpriv"
	local u=64999 home
	home=$(mktemp -d /tmp/mprun-cthome.XXXXXX)
	chown $u "$home"
	nb() {
		setpriv --reuid=$u --regid=$u --clear-groups -- \
			env HOME="$home" "$@"
	}
	segs() { ls /dev/shm/ 2>/dev/null | grep "^mprun\.$u\.$1\." || true; }
	run nb "$MPRUN" --shm-run 'echo $PPID; kill -KILL $PPID'
	pid=$output
	[ -n "$(segs "$pid")" ]
	run nb "$MPRUN" --cleanup
	[ "$status" -eq 0 ]
	echo "$output" | grep -q "^removed segment /mprun\.$u\.$pid\.[0-9a-f]* (run $pid is gone)$"
	[ -z "$(segs "$pid")" ]

	run nb "$MPRUN" --shm-run 'echo $PPID; kill -KILL $PPID'
	pid=$output
	[ -n "$(segs "$pid")" ]
	nb "$MPRUN" --shm-run true
	[ -z "$(segs "$pid")" ]
	run "$MPRUN" --cleanup extra
	[ "$status" -eq 255 ]
	# files of its own with a segment's name that are no segment (of a
	# run that never was: pids above pid_max) stay; an empty one (a run
	# that died making it) goes
	nb mkfifo /dev/shm/mprun.$u.2147483000.0000abcd
	nb sh -c "echo notes >/dev/shm/mprun.$u.2147483001.0000abce"
	nb touch /dev/shm/mprun.$u.2147483002.0000abcf
	run nb "$MPRUN" --cleanup
	[ "$status" -eq 0 ]
	[ "$output" = "removed segment /mprun.$u.2147483002.0000abcf (run 2147483002 is gone)" ]
	[ -p /dev/shm/mprun.$u.2147483000.0000abcd ]
	[ "$(cat /dev/shm/mprun.$u.2147483001.0000abce)" = notes ]
	rm -rf "$home" "/dev/shm/mprun-$u" /dev/shm/mprun.$u.21474830*
}

@test "--cleanup leaves the segments of live runs alone" {
	# As a user of its own (uid 64998): --cleanup also removes its
	# user's idle semaphores, and under make -j check root's belong to
	# sem.bats's tests, which one removed between their commands.
	command -v setpriv >/dev/null || skip "needs setpriv"
	local u=64998 home
	home=$(mktemp -d /tmp/mprun-cthome.XXXXXX)
	chown $u "$home"
	chmod 777 "$T"
	nb() {
		setpriv --reuid=$u --regid=$u --clear-groups -- \
			env HOME="$home" "$@"
	}
	nb "$MPRUN" --shm-run 'echo $PPID >live.pid; exec sleep 30' >/dev/null 2>&1 3>&- &
	_ct_wait_file live.pid
	nb "$MPRUN" --cleanup >/dev/null
	[ -n "$(ls /dev/shm/ | grep "^mprun\.$u\.$(cat live.pid)\.")" ]
	rm -rf "$home" "/dev/shm/mprun-$u"
}

# --- the real run ----------------------------------------------------------------

@test "run: jobs count with --counter; no segment left after the run" {
	_ct_need_run_segment
	run _ct_err_to_file "$MPRUN" -j 4 --counters-json c.json \
		'"$MPRUN" --counter n +{} >/dev/null; echo $PPID' ::: 1 2 3 4
	[ "$status" -eq 0 ]
	# one run: its jobs' parent is mprun
	[ "$(echo "$output" | sort -u | wc -l)" -eq 1 ]
	for pid in $(echo "$output" | sort -u); do
		[ -z "$(_ct_segments_of "$pid")" ]
	done
	# 1 + 2 + 3 + 4, at the end and in the run's last words
	[ "$(cat c.json)" = '{"n": 10}' ]
	grep -qx 'mprun: counters: n=10' err
	# a job reads what the others added
	run _ct_err_to_file "$MPRUN" -j1 '"$MPRUN" --counter n +{}' ::: 5 6 7
	[ "$output" = "$(printf '5\n11\n18')" ]
}

@test "run: 256 counters of 63-byte names: the end summary lists every one; --progress drops whole ones, marked ..." {
	_ct_need_run_segment
	local args=() i a=$(printf 'a%.0s' $(seq 58))
	for i in $(seq 100 355); do args+=(--counter-init "c${i}_$a=$i"); done
	run --separate-stderr "$MPRUN" "${args[@]}" true ::: x
	[ "$status" -eq 0 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "$(echo "${stderr#mprun: counters: }" | tr ' ' '\n' | grep -Ec "^c[1-3][0-9]{2}_$a=[1-3][0-9]{2}\$")" -eq 256 ]
	[ "$(echo "${stderr#mprun: counters: }" | tr ' ' '\n' | sort | md5sum)" = "$(for i in $(seq 100 355); do echo "c${i}_$a=$i"; done | sort | md5sum)" ]
	# the status line (here, not a terminal): whole counters, then " ..."
	run --separate-stderr "$MPRUN" --progress "${args[@]:0:40}" 'sleep 1.2; : {}' ::: x
	[ "$status" -eq 0 ]
	local line=${stderr_lines[0]}
	[[ "$line" == "mprun: "*" running, 0 failed, 1 total, "*"/s, c100_$a=100 "*" ..." ]]
	[ "$(echo "${line#*/s, }" | tr ' ' '\n' | sed '$d' | grep -Ecvx "c1[0-3][0-9]_$a=1[0-3][0-9]")" -eq 0 ]
}

@test "run: --counter-init declares counters and --counters-json writes them at the end" {
	_ct_need_run_segment
	run "$MPRUN" --counter-init errors=0 --counters-json c.json '"$MPRUN" --counter n +{} >/dev/null' ::: 1 2 3
	[ "$status" -eq 0 ]
	[ "$(cat c.json)" = '{"errors": 0, "n": 6}' ]
}

@test "run: a failing run and a Ctrl-C'd run leave no segment" {
	_ct_need_run_segment
	run "$MPRUN" 'echo $PPID; exit 1' ::: a
	[ "$status" -ne 0 ]
	[ -z "$(_ct_segments_of "$output")" ]
	setsid "$MPRUN" 'echo $PPID >run.pid; sleep 30; : {}' ::: a >/dev/null 2>&1 3>&- &
	_ct_wait_file run.pid
	[ -n "$(_ct_segments_of "$(cat run.pid)")" ]
	kill -INT -- "-$(cat run.pid)"
	for i in $(seq 100); do kill -0 "$(cat run.pid)" 2>/dev/null || break; sleep 0.05; done
	[ -z "$(_ct_segments_of "$(cat run.pid)")" ]
}

@test "--status: a finished job no longer counts as running" {
	run "$MPRUN" -j2 'if [ {} = 1 ]; then exit 0; fi
		i=0
		# (the first line: the second, "command: ...", holds this text)
		until "$MPRUN" --status $PPID | head -n 1 | grep -q ", done 1,"; do
			i=$((i + 1)); [ $i -lt 400 ] || exit 9; sleep 0.05
		done
		"$MPRUN" --status $PPID | head -n 1' ::: 1 2
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "run "[0-9]*": started 2, running 1, done 1, failed 0, total 2,"* ]]
}
