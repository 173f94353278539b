#!/usr/bin/env bats
# mprun --sem: GNU parallel's sem. At most N holders of a name at once
# across independent invocations; --fg; background holders; --wait; a
# holder killed with SIGKILL gives its slot back at once; bad usage.

bats_require_minimum_version 1.5.0

load setup

# setup.bash's setup, then $ID: a semaphore name of this test alone.
eval "_sm_base_$(declare -f setup)"
setup() {
	_sm_base_setup || return 1
	ID="bats$$.$BATS_TEST_NUMBER"
}

# Processes this test started write their pid to *.pid: end them, wait
# for the semaphore to be idle, and remove it.
teardown() {
	local f
	for f in "$T"/*.pid; do
		[ -s "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
	done
	timeout 10 "$MPRUN" --sem --wait --id "$ID" || :
	"$MPRUN" --cleanup >/dev/null || :
	# the squatting test's planted directory and its victim's home
	if [ -s "$T/home.path" ]; then
		f=$(cat "$T/home.path")
		[ ! -s "$f/cmd.pid" ] || kill -KILL "$(cat "$f/cmd.pid")" 2>/dev/null
		rm -rf "$f" /dev/shm/mprun-65534
	fi
}

# Run a command with its stderr in the file "err" (run keeps stdout only).
_sm_err_to_file() {
	"$@" 2>err
}

# Run a command with its stderr in the file "err"; print its status.
_sm_status_of() {
	"$@" 2>err
	echo "status $?"
}

# Milliseconds since the epoch.
_sm_now_ms() {
	local t=${EPOCHREALTIME//[!0-9]/}
	echo $((t / 1000))
}

# Wait (at most 10 s) until file $1 exists and is not empty.
_sm_wait_file() {
	local i
	for ((i = 0; i < 500; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.02
	done
	echo "timed out waiting for $1" >&2
	return 1
}

@test "--fg runs the command and returns its exit status" {
	run "$MPRUN" --sem --id "$ID" --fg 'echo "in sem"; exit 7'
	[ "$status" -eq 7 ]
	[ "$output" = "in sem" ]
	run "$MPRUN" --semaphore --fg true
	[ "$status" -eq 0 ]
}

@test "--fg: SIGTERM or SIGINT to mprun while it waits for a slot ends the wait; the command never runs" {
	local sig p rc
	"$MPRUN" --sem --id "$ID" 'echo $$ >holder.pid; exec sleep 30'
	_sm_wait_file holder.pid
	for sig in TERM INT; do
		"$MPRUN" --sem --fg --id "$ID" touch "ran.$sig" &
		p=$!
		sleep 0.5
		kill -"$sig" "$p"
		rc=0
		wait "$p" || rc=$?
		[ "$rc" -eq $((128 + $(kill -l "$sig"))) ]
	done
	kill -TERM "$(cat holder.pid)"
	timeout 10 "$MPRUN" --sem --wait --id "$ID"
	sleep 0.3
	[ ! -e ran.TERM ] && [ ! -e ran.INT ]
	# SIGCHLD ignored by the caller: the status is still the command's
	run python3 -c 'import signal, os, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
os.execv(sys.argv[1], ["mprun", "--sem", "--fg", "--id", sys.argv[2], "sh", "-c", "exit 7"])' "$MPRUN" "$ID"
	[ "$status" -eq 7 ]
}

@test "several words are a command and its arguments, run without a shell" {
	run "$MPRUN" --sem --id "$ID" --fg printf '%s\n' 'a b' '$HOME'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' 'a b' '$HOME')" ]
}

@test "a command not found is status 127 with a message" {
	# (its status is printed: bats warns about a `run` returning 127)
	run _sm_status_of "$MPRUN" --sem --id "$ID" --fg no-such-command-xyz arg
	[ "$output" = "status 127" ]
	grep -q 'no-such-command-xyz: command not found' err
}

@test "-j 3: 12 contenders, never more than 3 holders at once, and 3 do run together" {
	ID=$ID run "$MPRUN" --shm-run '
		for i in $(seq 12); do
			"$MPRUN" --sem --id "$ID" -j 3 --fg "
				\"\$MPRUN\" --counter now +1 >>levels
				sleep 0.2
				\"\$MPRUN\" --counter now -1 >/dev/null" &
		done
		wait
		"$MPRUN" --counter now'
	[ "$status" -eq 0 ]
	[ "$output" = "0" ]
	[ "$(wc -l <levels)" -eq 12 ]
	[ "$(sort -n levels | tail -n 1)" -eq 3 ]
}

@test "without --fg: returns once the slot is taken; the command holds it until it ends" {
	# the first command ends only once the test makes the file go, after
	# mprun returned (were mprun to wait for it: 30 s, then "timeout")
	"$MPRUN" --sem --id "$ID" "$WAIT_FOR go && echo first >out || echo timeout >out" 3>&-
	[ ! -e out ]
	"$MPRUN" --sem --id "$ID" 'echo second >>out' 3>&- &
	echo $! >second.pid
	# the second waits for the slot: its mprun has not returned
	sleep 0.5
	kill -0 "$(cat second.pid)"
	[ ! -e out ]
	touch go
	wait "$(cat second.pid)"
	rm second.pid
	"$MPRUN" --sem --wait --id "$ID"
	# the second could only start after the first ended
	[ "$(cat out)" = "$(printf 'first\nsecond')" ]
}

@test "GNU sem style: a loop of background jobs with -j 2, then --wait" {
	start=$(_sm_now_ms)
	for i in 1 2 3 4; do
		"$MPRUN" --sem --id "$ID" -j 2 "sleep 0.3; echo $i >>done" 3>&-
	done
	"$MPRUN" --sem --wait --id "$ID"
	elapsed=$(($(_sm_now_ms) - start))
	[ "$(sort done | tr -d '\n')" = "1234" ]
	[ "$elapsed" -ge 550 ]
	[ "$elapsed" -lt 3000 ]
}

@test "--wait returns at once when nobody holds the semaphore" {
	start=$(_sm_now_ms)
	run "$MPRUN" --sem --wait --id "$ID"
	[ "$status" -eq 0 ]
	[ $(($(_sm_now_ms) - start)) -lt 1000 ]
}

@test "-j 1 stays exclusive when a --fg holder is killed with SIGKILL: its command keeps the slot until it ends" {
	"$MPRUN" --sem --id "$ID" --fg 'echo $PPID >holder.pid; echo $$ >cmd.pid; exec sleep 30' >/dev/null 2>&1 3>&- &
	echo $! >holder.pid.0
	_sm_wait_file cmd.pid
	"$MPRUN" --sem --id "$ID" --fg 'echo got >got' >/dev/null 2>&1 3>&- &
	echo $! >waiter.pid
	sleep 0.3
	[ ! -e got ] # blocked behind the holder
	kill -KILL "$(cat holder.pid.0)" # mprun --sem --fg
	sleep 1
	[ ! -e got ] # the command still runs: still blocked
	kill -0 "$(cat cmd.pid)"
	kill -KILL "$(cat cmd.pid)"
	killed=$(_sm_now_ms)
	_sm_wait_file got
	[ $(($(_sm_now_ms) - killed)) -lt 1000 ]
}

@test "a background command killed with SIGKILL gives its slot back within 1 s" {
	"$MPRUN" --sem --id "$ID" 'echo $$ >cmd.pid; exec sleep 30' >/dev/null 2>&1 3>&-
	_sm_wait_file cmd.pid
	"$MPRUN" --sem --id "$ID" --fg 'echo got >got' >/dev/null 2>&1 3>&- &
	echo $! >waiter.pid
	sleep 0.3
	[ ! -e got ]
	kill -KILL "$(cat cmd.pid)"
	killed=$(_sm_now_ms)
	_sm_wait_file got
	[ $(($(_sm_now_ms) - killed)) -lt 1000 ]
}

@test "a damaged or foreign name file: recovered, or refused with a message" {
	f=/dev/shm/mprun-$(id -u)/sem.$ID
	"$MPRUN" --sem --id "$ID" --fg true # (makes the directory)
	echo garbage >"$f"
	chmod 600 "$f"
	run "$MPRUN" --sem --id "$ID" --fg echo ok
	[ "$status" -eq 0 ]
	[ "$output" = "ok" ]
	chmod 644 "$f"
	run _sm_err_to_file "$MPRUN" --sem --id "$ID" --fg echo ok
	[ "$status" -eq 255 ]
	grep -q "semaphore '$ID'" err
	chmod 600 "$f"
}

@test "--cleanup removes idle semaphores and keeps held ones" {
	"$MPRUN" --sem --id "$ID.idle" --fg true
	"$MPRUN" --sem --id "$ID" 'echo $$ >cmd.pid; exec sleep 30' >/dev/null 2>&1 3>&-
	_sm_wait_file cmd.pid
	run "$MPRUN" --cleanup
	[ "$status" -eq 0 ]
	echo "$output" | grep -qx "removed semaphore $ID.idle (idle)"
	run ! grep -q "semaphore $ID " <<<"$output"
	[ -e "/dev/shm/mprun-$(id -u)/sem.$ID" ]
	[ ! -e "/dev/shm/mprun-$(id -u)/sem.$ID.idle" ]
}

@test "bad usage: status 255 and a message" {
	run _sm_err_to_file "$MPRUN" --sem
	[ "$status" -eq 255 ]
	grep -q 'usage: mprun --sem' err
	run _sm_err_to_file "$MPRUN" --sem --wait echo x
	[ "$status" -eq 255 ]
	grep -q -- '--wait takes no command' err
	run _sm_err_to_file "$MPRUN" --sem -j 0 echo x
	[ "$status" -eq 255 ]
	grep -q "invalid -j '0'" err
	run _sm_err_to_file "$MPRUN" --sem -j x echo x
	[ "$status" -eq 255 ]
	run _sm_err_to_file "$MPRUN" --sem --id 'a/b' echo x
	[ "$status" -eq 255 ]
	grep -q "invalid --id 'a/b'" err
	run _sm_err_to_file "$MPRUN" --sem --no-such echo x
	[ "$status" -eq 255 ]
	grep -q "unknown option '--no-such'" err
	run _sm_err_to_file "$MPRUN" --sem --id
	[ "$status" -eq 255 ]
}

@test "-jN, --jobs=N and --id=NAME forms" {
	run "$MPRUN" --sem -j2 --id="$ID" --fg echo a
	[ "$output" = "a" ]
	run "$MPRUN" --sem --jobs=2 --semaphorename "$ID" --fg -- echo b
	[ "$output" = "b" ]
}

@test "GNU forms: --semaphore among other options, called as sem, --bg and --will-cite accepted" {
	run "$MPRUN" -j 2 --will-cite --semaphore --id "$ID" --fg echo a
	[ "$status" -eq 0 ]
	[ "$output" = a ]
	ln -s "$MPRUN" sem
	run ./sem --id "$ID" -j1 --fg 'echo b; exit 3'
	[ "$status" -eq 3 ]
	[ "$output" = b ]
	run ./sem --id "$ID" --bg sh -c 'echo c >bg.out'
	[ "$status" -eq 0 ]
	"$MPRUN" --sem --wait --id "$ID"
	[ "$(cat bg.out)" = c ]
	# not a --semaphore of the command's: mprun runs it as a job
	run "$MPRUN" echo --semaphore ::: x
	[ "$output" = "--semaphore x" ]
}

@test "--semaphoretimeout: N s then run anyway; -N s then give up with status 1" {
	"$MPRUN" --sem --id "$ID" sh -c "echo \$\$ >holder.pid; exec sleep 30"
	wait_file holder.pid
	local t0=$EPOCHREALTIME
	run _sm_err_to_file "$MPRUN" --sem --id "$ID" --st -1 --fg echo never
	[ "$status" -eq 1 ]
	[ "$output" = "" ]
	grep -qF "semaphore '$ID': no slot within 1 s (--semaphoretimeout): not run" err
	run "$MPRUN" --sem --id "$ID" --semaphoretimeout 1 --fg echo anyway
	[ "$status" -eq 0 ]
	[ "$output" = anyway ]
	# each waited about its second (not at once, not forever)
	local ms=$(( (${EPOCHREALTIME/./} - ${t0/./}) / 1000 ))
	[ "$ms" -ge 1900 ] && [ "$ms" -lt 20000 ]
	run _sm_err_to_file "$MPRUN" --sem --id "$ID" --st x --fg true
	[ "$status" -eq 255 ]
	grep -qF "invalid --semaphoretimeout 'x'" err
}

@test "--semaphoretimeout: a name file another process keeps locked is waited for no longer than the timeout" {
	local f=/dev/shm/mprun-$(id -u)/sem.$ID
	"$MPRUN" --sem --id "$ID" --fg true
	[ -f "$f" ]
	flock "$f" sh -c 'echo $$ >locker.pid; exec sleep 30' >/dev/null 2>&1 3>&- &
	wait_file locker.pid
	local t0=$EPOCHREALTIME
	run _sm_err_to_file timeout 10 "$MPRUN" --sem --id "$ID" --st -1 --fg echo never
	[ "$status" -eq 1 ]
	[ "$output" = "" ]
	grep -qF "semaphore '$ID': no slot within 1 s (--semaphoretimeout): not run" err
	run timeout 10 "$MPRUN" --sem --id "$ID" --semaphoretimeout 1 --fg echo anyway
	[ "$status" -eq 0 ]
	[ "$output" = anyway ]
	local ms=$(( (${EPOCHREALTIME/./} - ${t0/./}) / 1000 ))
	[ "$ms" -ge 1900 ] && [ "$ms" -lt 9000 ]
}

@test "a name file that is not a 0600 file of the user's: refused, the message names it and says why" {
	local f=/dev/shm/mprun-$(id -u)/sem.$ID
	"$MPRUN" --sem --id "$ID" --fg true
	chmod 644 "$f"
	run _sm_err_to_file "$MPRUN" --sem --id "$ID" --fg echo never
	[ "$status" -eq 255 ]
	[ "$output" = "" ]
	[ "$(cat err)" = "mprun: --sem: semaphore '$ID': $f: refused: not a regular file of this user's with mode 0600 (remove it)" ]
	rm "$f"
	mkfifo -m 600 "$f"
	run _sm_err_to_file "$MPRUN" --sem --id "$ID" --wait
	[ "$status" -eq 255 ]
	[ "$(cat err)" = "mprun: --sem: semaphore '$ID': $f: refused: not a regular file of this user's with mode 0600 (remove it)" ]
	rm "$f"
}

@test "make install links sem to mprun only when no sem exists, and uninstall removes only that link" {
	local top=${MPRUN%/cmd/mprun} bin
	[ -f "$top/Makefile" ] || skip "not an autotools build tree"
	bin=$T/inst$(make -s -C "$top" -f Makefile -f - print-bindir <<<'print-bindir: ; @echo $(bindir)')
	mkdir -p "$bin"
	# the install and uninstall hooks alone (nothing is built)
	run make -s -C "$top" install-exec-hook DESTDIR="$T/inst"
	[ "$status" -eq 0 ]
	if command -v sem >/dev/null; then
		[ ! -e "$bin/sem" ]
		[[ "$output" == *"a sem exists already: no sem link made"* ]]
	else
		[ "$(readlink "$bin/sem")" = mprun ]
	fi
	# no sem on PATH (only ln there), none in bindir: the link
	rm -f "$bin/sem"
	mkdir tools
	ln -s "$(command -v ln)" tools/ln
	PATH=$T/tools run /usr/bin/make -s -C "$top" install-exec-hook DESTDIR="$T/inst" SHELL=/bin/sh
	[ "$(readlink "$bin/sem")" = mprun ]
	run make -s -C "$top" uninstall-local DESTDIR="$T/inst"
	[ ! -e "$bin/sem" ] && [ ! -L "$bin/sem" ]
	# a sem that is not our link stays
	echo 'echo other' >"$bin/sem"
	run make -s -C "$top" uninstall-local DESTDIR="$T/inst"
	[ "$(cat "$bin/sem")" = "echo other" ]
}

@test "a name another user squats: the semaphore still works (elsewhere), with a message" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to be two users"
	# user nobody (65534) is the victim; a directory planted for it by
	# root stands in for another user's. Its home: outside $T, which
	# nobody may not enter.
	local home dir=/dev/shm/mprun-65534
	home=$(mktemp -d /tmp/mprun-semhome.XXXXXX)
	chmod 755 "$home"
	chown 65534 "$home"
	echo "$home" >home.path
	rm -rf "$dir"
	mkdir -m 0777 "$dir"
	_sm_nobody() {
		setpriv --reuid 65534 --regid 65534 --clear-groups env HOME="$home" "$@"
	}
	run _sm_nobody "$MPRUN" --sem --id "$ID" --fg echo ok
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "mprun: --sem: $dir: Operation not permitted: semaphores are in $home/.mprun-sem" ]
	[ "${lines[1]}" = ok ]
	[ -f "$home/.mprun-sem/sem.$ID" ]
	[ -z "$(ls -A "$dir")" ] # nothing written through the planted one
	# with no home to go to either, --cleanup says where it looked
	run setpriv --reuid 65534 --regid 65534 --clear-groups env HOME=/proc \
		"$MPRUN" --cleanup
	[ "$status" -eq 255 ]
	[ "$output" = "mprun: --cleanup: semaphores: no directory of this user's: $dir: Operation not permitted (and \$HOME/.mprun-sem cannot be used)" ]
	# -j 1 still exclusive there
	_sm_nobody "$MPRUN" --sem --id "$ID" 'echo $$ >"$HOME/cmd.pid"; exec sleep 30' 2>/dev/null
	_sm_wait_file "$home/cmd.pid"
	run _sm_nobody timeout 1 "$MPRUN" --sem --id "$ID" --fg echo second
	[ "$status" -eq 124 ]
	kill -KILL "$(cat "$home/cmd.pid")"
	rmdir "$dir"
	rm -rf "$home"
}
