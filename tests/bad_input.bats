#!/usr/bin/env bats
# Bad options, bad values, missing files, bad regexes, inputs too long for
# the kernel: a clear message and the right status, never a crash.

load setup

# Run a command with its stderr in the file "err" (run keeps stdout only).
_bad_err_to_file() {
	"$@" 2>err
}

# Milliseconds since the epoch, without a fork of date.
_bad_ms() {
	local t=${EPOCHREALTIME//[.,]/}
	echo $((t / 1000))
}

# The status of a process that was not killed by a signal (a crash gives
# 128 + N from the shell; mprun itself only uses 0..101 and 255).
_bad_not_crashed() {
	[ "$1" -le 101 ] || [ "$1" -eq 255 ]
}

# --- options --------------------------------------------------------------------------

@test "an unknown long option: status 255 and the message names it" {
	run _bad_err_to_file "$MPRUN" --no-such-option echo ::: a
	[ "$status" -eq 255 ]
	[ "$output" = "" ]
	grep -q -- '--no-such-option' err
}

@test "an unknown short option: status 255 and the message names it" {
	run _bad_err_to_file "$MPRUN" -Z echo ::: a
	[ "$status" -eq 255 ]
	grep -q -- '-Z' err
	# with a value glued to it, after another option, first: that letter
	# (not the word before it)
	local w
	for w in "--pipe -l2" "-k -Z2" "-Z2" "-kZ"; do
		# shellcheck disable=SC2086 # the words
		run _bad_err_to_file "$MPRUN" $w echo ::: a
		[ "$status" -eq 255 ]
		[ "$(head -1 err)" = "mprun: unknown option -${w: -2:1}" ] ||
		[ "$(head -1 err)" = "mprun: unknown option -${w: -1}" ]
	done
}

@test "options after the command are the command's words, not mprun's" {
	run "$MPRUN" echo --no-such-option ::: a
	[ "$status" -eq 0 ]
	[ "$output" = "--no-such-option a" ]
}

@test "-- ends mprun's options" {
	run "$MPRUN" -k -- echo ::: a
	[ "$status" -eq 0 ]
	[ "$output" = "a" ]
}

@test "-j abc: status 255 and a message about -j" {
	run _bad_err_to_file "$MPRUN" -j abc echo ::: a
	[ "$status" -eq 255 ]
	[ "$output" = "" ]
	grep -q -- '-j' err
	grep -q abc err
}

@test "-j 0%: status 255" {
	run _bad_err_to_file "$MPRUN" -j 0% echo ::: a
	[ "$status" -eq 255 ]
	[ "$output" = "" ]
	grep -q -- '-j' err
}

@test "-j with other bad values: status 255" {
	local v
	for v in '' x% 2x ++1 1.5 -x; do
		run "$MPRUN" -j "$v" echo ::: a
		echo "-j '$v': $status"
		[ "$status" -eq 255 ]
	done
}

@test "-P abc: status 255" {
	run "$MPRUN" -P abc echo ::: a
	[ "$status" -eq 255 ]
}

@test "-j without a value: status 255" {
	run _bad_err_to_file "$MPRUN" -j
	[ "$status" -eq 255 ]
	grep -q -- '-j' err
}

@test "-n 1.5: status 255" {
	run _bad_err_to_file "$MPRUN" -n 1.5 echo ::: a
	[ "$status" -eq 255 ]
	[ "$output" = "" ]
	grep -q -- '-n' err
}

@test "-n abc: status 255" {
	run _bad_err_to_file "$MPRUN" -n abc echo ::: a
	[ "$status" -eq 255 ]
	[ "$output" = "" ]
	grep -q abc err
}

@test "-n -1: status 255" {
	run "$MPRUN" -n -1 echo ::: a
	[ "$status" -eq 255 ]
}

@test "--order bogus: status 255 and the message names the value" {
	run _bad_err_to_file "$MPRUN" --order bogus echo ::: a
	[ "$status" -eq 255 ]
	[ "$output" = "" ]
	grep -q bogus err
}

@test "-d with an empty delimiter: status 255, named, no job" {
	run _bad_err_to_file "$MPRUN" -d '' echo ::: a
	[ "$status" -eq 255 ]
	[ "$output" = "" ]
	[ "$(cat err)" = "$(printf '%s\n' "mprun: -d: the delimiter is empty" \
		"Try 'mprun --help' for more information.")" ]
}

@test "--buffer-size with a bad size: status 255" {
	run _bad_err_to_file "$MPRUN" --buffer-size lots echo ::: a
	[ "$status" -eq 255 ]
	grep -q lots err
}

# --- sources ---------------------------------------------------------------------------

@test ":::: with a missing file: status 255 and the message names the file" {
	run _bad_err_to_file "$MPRUN" echo :::: no_such_file_q
	[ "$status" -eq 255 ]
	[ "$output" = "" ]
	grep -q no_such_file_q err
}

@test "-a with a missing file: status 255 and the message names the file" {
	run _bad_err_to_file "$MPRUN" -a no_such_file_q echo
	[ "$status" -eq 255 ]
	grep -q no_such_file_q err
}

@test "a missing file among other sources runs no job" {
	run _bad_err_to_file "$MPRUN" touch ::: ran :::: no_such_file_q
	[ "$status" -eq 255 ]
	[ ! -e ran ]
	grep -q no_such_file_q err
}

@test ":::: with no file name: status 255" {
	run "$MPRUN" echo ::::
	[ "$status" -eq 255 ]
}

@test "a directory as an input file: an error naming it, no crash" {
	mkdir adir
	run _bad_err_to_file "$MPRUN" echo :::: adir
	[ "$status" -ne 0 ]
	_bad_not_crashed "$status"
	grep -q adir err
}

# --- GNU parallel / xargs input options -------------------------------------

@test "--trim, --nice, --arg-sep, -E, -N: bad values are refused before any job runs" {
	local args msg
	while IFS='|' read -r args msg; do
		# shellcheck disable=SC2086
		run _bad_err_to_file "$MPRUN" $args touch ran ::: a
		[ "$status" -eq 255 ] || { echo "$args: status $status"; return 1; }
		[ ! -e ran ] || { echo "$args: a job ran"; return 1; }
		grep -qF -- "$msg" err || { echo "$args:"; cat err; return 1; }
	done <<'EOF'
--trim q|--trim: "q" is not n, l, r, lr or rl
--trim=|--trim: "" is not n, l, r, lr or rl
--nice x|--nice: "x" is not a niceness from -20 to 19
--nice 20|--nice: "20" is not a niceness from -20 to 19
--arg-sep=|--arg-sep: the separator is empty
--arg-file-sep=|--arg-file-sep: the separator is empty
-N -1|-N: "-1" is not a number >= 0
--max-procs x|-j: "x" is not a job count
EOF
	run _bad_err_to_file "$MPRUN" -E
	[ "$status" -eq 255 ]
	grep -qF -- '-E needs an argument' err
}

@test "--nice below the current niceness without the privilege: a clear error, nothing run" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to become user nobody"
	run setpriv --reuid 65534 --regid 65534 --clear-groups \
		"$MPRUN" --nice -5 touch "$T/ran" ::: a
	[ "$status" -eq 255 ]
	[[ "$output" == *"--nice -5: Permission denied"* ]]
	[ ! -e "$T/ran" ]
}

# --- --colsep -----------------------------------------------------------------------

@test "--colsep '(': status 255 and the message names colsep" {
	run _bad_err_to_file "$MPRUN" --colsep '(' echo ::: a
	[ "$status" -eq 255 ]
	[ "$output" = "" ]
	grep -q colsep err
}

@test "--colsep with another invalid regex: status 255, no job run" {
	printf 'a\n' >in
	run _bad_err_to_file "$MPRUN" --colsep '[a-' touch ran :::: in
	[ "$status" -eq 255 ]
	[ ! -e ran ]
	grep -q colsep err
}

# --- inputs the kernel cannot take ---------------------------------------------------

@test "an input longer than the kernel takes: clear message, non-zero status, no crash" {
	head -c 300000 /dev/zero | tr '\0' a >in
	run _bad_err_to_file "$MPRUN" echo <in
	[ "$status" -ne 0 ]
	_bad_not_crashed "$status"
	[ "$output" = "" ]
	cat err
	grep -qi 'too long' err
}

@test "an input longer than the kernel takes in a shell command: message, no crash" {
	head -c 300000 /dev/zero | tr '\0' a >in
	run _bad_err_to_file "$MPRUN" 'echo {} | wc -c' <in
	[ "$status" -ne 0 ]
	_bad_not_crashed "$status"
	grep -qi 'too long' err
}

@test "a too-long input fails its own job only; the others run" {
	{
		echo short1
		head -c 300000 /dev/zero | tr '\0' a
		echo
		echo short2
	} >in
	run _bad_err_to_file "$MPRUN" -k -j1 echo <in
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf 'short1\nshort2')" ]
	grep -qi 'too long' err
}

@test "-n with inputs that together exceed ARG_MAX: split or a clear message, no crash" {
	# -n is "at most N": mprun may run smaller batches (as xargs and GNU
	# parallel do) or refuse the job with a message; never crash or drop.
	local n i
	n=$(($(getconf ARG_MAX) / 100000 + 3))
	for i in $(seq "$n"); do
		head -c 100000 /dev/zero | tr '\0' a
		echo
	done >in
	run _bad_err_to_file "$MPRUN" -k -n "$n" echo <in
	_bad_not_crashed "$status"
	if [ "$status" -eq 0 ]; then
		[ "$(printf '%s\n' "$output" | tr ' ' '\n' | grep -cx 'a\{100000\}')" -eq "$n" ]
	else
		[ "$output" = "" ]
		grep -qi 'too long' err
	fi
}

# --- bad records: a NUL byte, longer than --max-record ---------------------------------

NUL_MSG='holds a NUL byte (use -0 for NUL-delimited input)'

@test "a NUL byte inside a newline-separated input: the records before it run, then 255 and a message" {
	printf 'x\ny\na\0b\nc\n' >in
	run _bad_err_to_file "$MPRUN" -k -j1 echo <in
	[ "$status" -eq 255 ]
	[ "$output" = "$(printf 'x\ny')" ]
	[ "$(cat err)" = "mprun: stdin: record 3 $NUL_MSG" ]
}

@test "a NUL byte with -d or in a :::: file names the file; with -0 it is the delimiter" {
	printf 'a,b\0c,d' >in
	run _bad_err_to_file "$MPRUN" -k -d , echo :::: in
	[ "$status" -eq 255 ]
	[ "$output" = a ]
	[ "$(cat err)" = "mprun: in: record 2 $NUL_MSG" ]
	run "$MPRUN" -k -0 echo :::: in
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a,b\nc,d')" ]
}

@test "a NUL byte in a source read whole (not the first): no job runs" {
	printf '1\n2\0\n' >in
	run _bad_err_to_file "$MPRUN" -k touch ::: ran :::: in
	[ "$status" -eq 255 ]
	[ "$(cat err)" = "mprun: in: record 2 $NUL_MSG" ]
	[ ! -e ran ]
}

@test "stdin from /dev/zero (epoll refuses it): 255 and the NUL message at once, no job" {
	local start end
	start=$(_bad_ms)
	run _bad_err_to_file timeout 10 "$MPRUN" touch ran </dev/zero
	end=$(_bad_ms)
	[ "$status" -eq 255 ]
	[ "$(cat err)" = "mprun: stdin: record 1 $NUL_MSG" ]
	[ ! -e ran ]
	echo "elapsed $((end - start)) ms"
	[ $((end - start)) -lt 2000 ]
}

@test "--max-record 1k: a 2k line fails naming the file and the record; the records before it run" {
	{ echo a; head -c 2048 /dev/zero | tr '\0' x; printf '\nb\n'; } >in
	run _bad_err_to_file "$MPRUN" -k -j1 --max-record 1k echo :::: in
	[ "$status" -eq 255 ]
	[ "$output" = a ]
	[ "$(cat err)" = "mprun: in: record 2 is longer than 1K (--max-record)" ]
	# stdin, and a last record with no newline
	{ echo a; head -c 2048 /dev/zero | tr '\0' x; } >in2
	run _bad_err_to_file "$MPRUN" -k --max-record 1k echo <in2
	[ "$status" -eq 255 ]
	[ "$output" = a ]
	[ "$(cat err)" = "mprun: stdin: record 2 is longer than 1K (--max-record)" ]
}

@test "an endless record on a pipe: an error at --max-record, memory stays near the bound" {
	local pid wpid hwm=0 h rc=0
	# A first job that sleeps keeps mprun alive to be measured after the error.
	mkfifo fifo
	{ echo 1.5; yes | tr -d '\n'; } >fifo &
	wpid=$!
	"$MPRUN" -j2 --max-record 10M sleep <fifo >out 2>err &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		h=$(awk '/^VmHWM/{print $2}' /proc/"$pid"/status 2>/dev/null) || h=
		[ -z "$h" ] || [ "$h" -le "$hwm" ] || hwm=$h
		sleep 0.05
	done
	wait "$pid" || rc=$?
	kill "$wpid" 2>/dev/null || :
	[ "$rc" -eq 255 ]
	[ "$(cat err)" = "mprun: stdin: record 2 is longer than 10M (--max-record)" ]
	echo "peak RSS $hwm KiB"
	[ "$hwm" -gt 0 ]
	[ "$hwm" -lt 100000 ]
}

@test "a 16 MB record is handed to its job, not copied, and its room given back after it" {
	# mprun's peak: the read buffer (at most twice the record) and the
	# record; the record was copied once more into its job (49 MB here).
	# Once it is over, the buffer shrinks back: it kept 16 MB.
	local limit=41000 after=10240 # KiB: 2.6 times the record; 10 MiB
	if [ -n "${MPRUN_SANITIZED:-}" ]; then
		export ASAN_OPTIONS=${ASAN_OPTIONS:-}:quarantine_size_mb=0
		limit=56000 after=22000
	fi
	{ head -c 16000000 /dev/zero | tr '\0' a; printf '\nx\ny\n'; } >in
	# each job says its parent's (mprun's) peak so far and its size now
	printf '#!/bin/sh\nawk %s /proc/$PPID/status\n' \
		"'/^VmHWM/ { h = \$2 } /^VmRSS/ { r = \$2 } END { print h, r }'" >mem
	chmod +x mem
	"$MPRUN" -N0 -j1 -k ./mem <in >out
	cat out
	[ "$(wc -l <out)" -eq 3 ]
	[ "$(sort -n out | tail -1 | cut -d' ' -f1)" -lt "$limit" ]
	[ "$(tail -1 out | cut -d' ' -f2)" -lt "$after" ]
}

@test "--max-record with a bad size: status 255" {
	run _bad_err_to_file "$MPRUN" --max-record lots echo ::: a
	[ "$status" -eq 255 ]
	[ "$output" = "" ]
	[ "$(head -1 err)" = 'mprun: --max-record: "lots" is not a size (such as 64K, 1M)' ]
	run _bad_err_to_file "$MPRUN" --max-record 0 echo ::: a
	[ "$status" -eq 255 ]
	[ "$output" = "" ]
}

# --- no command ----------------------------------------------------------------------

@test "no command: each input is run as a command" {
	run "$MPRUN" ::: 'echo hi'
	[ "$status" -eq 0 ]
	[ "$output" = "hi" ]
}

@test "no command: inputs from stdin are run as shell commands" {
	printf 'echo one\necho two | tr o 0\n' >in
	run "$MPRUN" -k <in
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'one\ntw0')" ]
}

@test "no command: a failing input command is counted" {
	run "$MPRUN" ::: 'true' 'exit 3' 'false'
	[ "$status" -eq 2 ]
}

# --- bad values of the later options: status 255, a message naming them -------

_bad_option() {
	run _bad_err_to_file "$MPRUN" "$@"
	[ "$status" -eq 255 ]
	[ ! -e ran ]
}

@test "--joblog - (GNU parallel: standard output) is refused, and makes no file named -" {
	_bad_option --joblog - touch ran ::: x
	grep -qx 'mprun: --joblog -: mprun does not write the job log to standard output (GNU parallel does): name a file (./- for a file named -)' err
	[ ! -e ./- ]
	_bad_option --joblog - --workers cat ::: x
	grep -q -- '--joblog -: mprun does not write' err
	[ ! -e ./- ]
	run "$MPRUN" --joblog ./- echo ::: x
	[ "$status" -eq 0 ]
	[ "$(cut -f 9 ./- | tail -n 1)" = "echo x" ]
}

@test "--tmpdir that is missing or not a directory" {
	_bad_option --tmpdir ./nowhere touch ran ::: x
	grep -q -- '--tmpdir ./nowhere: No such file or directory' err
	: >plain
	_bad_option --tmpdir plain touch ran ::: x
	grep -q -- '--tmpdir plain: Not a directory' err
}

@test "--counter-init with a bad name or value" {
	_bad_option --counter-init 'bad name=1' touch ran ::: x
	grep -q -- '--counter-init: "bad name=1"' err
	_bad_option --counter-init 'n=abc' touch ran ::: x
	grep -q -- '--counter-init: "n=abc"' err
}

@test "--framing, --max-tasks-per-worker and --worker-init need --workers and good values" {
	_bad_option --framing tlv --workers cat ::: x
	grep -q -- '--framing: "tlv" is not line, nul or len' err
	_bad_option --framing nul touch ran ::: x
	grep -q -- '--framing needs --workers' err
	_bad_option --max-tasks-per-worker 0 --workers cat ::: x
	grep -q -- '--max-tasks-per-worker: "0"' err
}

@test "--max-inflight needs --workers and a number from 1 to 65536" {
	for v in 0 -1 65537 abc ''; do
		_bad_option --max-inflight "$v" --workers cat ::: x
		grep -q -- "--max-inflight: \"$v\" is not a number from 1 to 65536" err
	done
	_bad_option --max-inflight 4 touch ran ::: x
	grep -q -- '--max-inflight needs --workers' err
}

@test "remote options without -S or --slurm, and --set without --pipeline" {
	_bad_option --transfer touch ran ::: x
	grep -q -- '--transfer needs -S/--sshlogin or --slf' err
	_bad_option --slurm-cpus 2 touch ran ::: x
	grep -q -- '--slurm-cpus needs --slurm' err
	_bad_option --set a=1 touch ran ::: x
	grep -q -- '--set a=1 needs --pipeline FILE' err
}

@test "a long option without its argument, or with one it does not take" {
	_bad_option --timeout
	grep -qx 'mprun: --timeout needs an argument' err
	_bad_option --tag=x touch ran ::: x
	grep -qx 'mprun: --tag=x takes no argument' err
	grep -q "Try 'mprun --help'" err
}

@test "--workdir that cannot be made: a clear error, nothing run" {
	echo file >afile
	run _bad_err_to_file "$MPRUN" --wd afile/sub touch ran ::: a
	[ "$status" -eq 255 ]
	grep -qF -- "--workdir afile/sub: Not a directory" err
	run _bad_err_to_file "$MPRUN" --wd x --slurm true ::: a
	[ "$status" -eq 255 ]
	grep -qF -- "--workdir: not with --slurm" err
	[ ! -e ran ] && [ ! -e x ]
}

@test "--onall, --nonall: refused with inputs or other modes" {
	_bad_option --nonall touch ran ::: x
	grep -qx 'mprun: --nonall takes no inputs (::: or ::::); use --onall' err
	_bad_option --onall --slurm touch ran ::: x
	grep -qx 'mprun: --onall: not with --slurm' err
	_bad_option --nonall -S host touch ran ::: x
	grep -q -- '--nonall takes no inputs' err
	_bad_option --onall -S host --pipe touch ran
	grep -q -- '--onall: not with --pipe or --pipepart' err
	_bad_option --onall -S host --joblog log touch ran ::: x
	grep -q -- '--onall: not with --joblog' err
	_bad_option --nonall -S host
	grep -q -- '--nonall needs a command' err
	_bad_option --onall -kS host touch ran ::: x
	grep -q -- '--onall: give -S apart from other short options (-kS)' err
	_bad_option --onall --slf ./nohosts touch ran ::: x
	grep -q -- '--slf ./nohosts: No such file or directory' err
}

@test "--process-slot-var, --total-jobs, --minversion: bad values" {
	_bad_option --process-slot-var 1x touch ran ::: x
	grep -q -- '--process-slot-var: "1x" is not a variable name' err
	_bad_option --process-slot-var 'a b' touch ran ::: x
	grep -q -- 'is not a variable name' err
	_bad_option --total-jobs 0 touch ran ::: x
	grep -q -- '--total-jobs: "0" is not a number >= 1' err
	_bad_option --minversion soon touch ran ::: x
	grep -q -- '--minversion: "soon" is not a version' err
	_bad_option --process-slot-var X --workers cat
	grep -q -- '--process-slot-var: not with --workers' err
}

@test "an environment near the kernel's limit: -X fills the room left exactly; none left is one clear error, 255" {
	seq 3000 >s
	# (in a shell of its own: bats' own commands need the room after)
	run bash -c '
		big=$(head -c 120000 /dev/zero | tr "\0" x)
		for i in $(seq 17); do export "B$i=$big"; done
		# what the environment takes, and E sized to leave $1 bytes
		e_for() {
			local envb
			envb=$(env -0 | LC_ALL=C awk -v RS="\0" "{ s += length(\$0) + 9 } END { print s }")
			echo $(($(getconf ARG_MAX) - 1312 - envb - 11 - $1))
		}
		export E=$(head -c "$(e_for 1700)" /dev/zero | tr "\0" y)
		"$MPRUN" -X echo :::: s | wc -w
		echo "status ${PIPESTATUS[0]}"
		export E=$(head -c "$(($(e_for 0) + ${#E} + 200))" /dev/zero | tr "\0" y)
		"$MPRUN" -X echo :::: s 2>&1
		echo "status $?"
		"$MPRUN" --max-line-length-allowed'
	printf '%s\n' "${lines[@]}" >&2
	[ "${lines[0]}" -eq 3000 ]
	[ "${lines[1]}" = "status 0" ]
	[[ "${lines[2]}" == "mprun: the environment takes "*" no room is left for the commands (unset some variables)" ]]
	[ "${lines[3]}" = "status 255" ]
	[ "${lines[4]}" = 0 ]
}
