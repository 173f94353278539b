#!/usr/bin/env bats
# Exit status: 0, the number of failed jobs (1..100), 101 for more, 255 for
# usage errors; commands not found; --dry-run; -v.

load setup

# Run a command with its stderr in the file "err" (run keeps stdout only).
_ex_err_to_file() {
	"$@" 2>err
}

@test "all jobs succeed: status 0" {
	run "$MPRUN" true ::: a b c
	[ "$status" -eq 0 ]
}

@test "status is the number of failed jobs" {
	run "$MPRUN" 'exit {}' ::: 0 1 2 0 3
	[ "$status" -eq 3 ]
}

@test "one failed job gives status 1 whatever its own exit code" {
	run "$MPRUN" '[ {} != b ] || exit 42' ::: a b c
	[ "$status" -eq 1 ]
}

@test "a job killed by a signal counts as failed" {
	run "$MPRUN" 'kill -9 $$; : {}' ::: a
	[ "$status" -eq 1 ]
	run "$MPRUN" '[ {} != b ] || kill -TERM $$' ::: a b c
	[ "$status" -eq 1 ]
}

@test "failed jobs do not stop the others" {
	run "$MPRUN" -k -j1 '[ {} != 2 ] || exit 1; echo {}' ::: 1 2 3
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf '1\n3')" ]
}

@test "exactly 100 failed jobs: status 100" {
	seq 100 >in
	run "$MPRUN" false <in
	[ "$status" -eq 100 ]
}

@test "101 failed jobs: status 101" {
	seq 101 >in
	run "$MPRUN" false <in
	[ "$status" -eq 101 ]
}

@test "more than 100 failed jobs: status 101" {
	seq 150 >in
	run "$MPRUN" false <in
	[ "$status" -eq 101 ]
}

@test "a failed batch of -n inputs counts as one failed job" {
	run "$MPRUN" -n 3 false ::: 1 2 3 4 5 6 7
	[ "$status" -eq 3 ]
}

@test "usage error: status 255" {
	run "$MPRUN" --no-such-option echo ::: a
	[ "$status" -eq 255 ]
}

@test "a usage error runs no job" {
	run "$MPRUN" -j abc touch ::: ran
	[ "$status" -eq 255 ]
	[ ! -e ran ]
}

# --- command not found -------------------------------------------------------------

@test "a command not found fails every job and the message names it" {
	run _ex_err_to_file "$MPRUN" no_such_command_xyzzy ::: a b
	[ "$status" -eq 2 ]
	[ "$output" = "" ]
	grep -q no_such_command_xyzzy err
}

@test "a command not found fails that job only; the others run" {
	run _ex_err_to_file "$MPRUN" -k -j1 '{}' ::: pwd no_such_command_xyzzy pwd
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf '%s\n%s' "$(pwd -P)" "$(pwd -P)")" ]
	grep -q no_such_command_xyzzy err
}

@test "programs are found in \$PATH as execvp finds them" {
	mkdir -p d1/prog d2 d3 d4
	printf 'echo d2 "$@"\n' >d2/prog # not executable: skipped
	printf '#!/bin/sh\necho d3 "$@"\n' >d3/prog
	printf 'echo d4 "$@"\n' >d4/noshebang
	chmod +x d3/prog d4/noshebang
	# d1/prog is a directory, d2/prog not executable: d3's runs
	PATH=$PWD/d1:$PWD/d2:$PWD/d3:$PATH run "$MPRUN" -k -j2 prog ::: a b c
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'd3 a\nd3 b\nd3 c')" ]
	# a script with no #! line runs with /bin/sh, as with execvp
	PATH=$PWD/d4:$PATH run "$MPRUN" -k noshebang ::: x y
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'd4 x\nd4 y')" ]
	# a program removed during the run is looked for again
	printf '#!/bin/sh\necho d4 "$1"; rm -f "$0"\n' >d4/once
	printf '#!/bin/sh\necho d3 "$1"\n' >d3/once
	chmod +x d4/once d3/once
	PATH=$PWD/d4:$PWD/d3:$PATH run "$MPRUN" -k -j1 once ::: a b
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'd4 a\nd3 b')" ]
}

@test "a command not found in a shell command fails with 127" {
	run _ex_err_to_file "$MPRUN" 'no_such_command_xyzzy {}; echo rc=$?' ::: a
	[ "$status" -eq 0 ]
	[ "$output" = "rc=127" ]
	grep -q no_such_command_xyzzy err
	run _ex_err_to_file "$MPRUN" 'no_such_command_xyzzy {}' ::: a
	[ "$status" -eq 1 ]
	grep -q no_such_command_xyzzy err
}

@test "a file that is not executable fails with a message naming it" {
	printf 'echo hi\n' >notexec
	chmod -x notexec
	run _ex_err_to_file "$MPRUN" ./notexec ::: a
	[ "$status" -eq 1 ]
	grep -q notexec err
}

# --- --dry-run ------------------------------------------------------------------------

@test "--dry-run prints the commands, one per line, and runs nothing" {
	run "$MPRUN" -k --dry-run touch ::: a b
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'touch a\ntouch b')" ]
	[ ! -e a ]
	[ ! -e b ]
}

@test "--dry-run of a shell command prints it as it would run" {
	run "$MPRUN" -k --dry-run 'echo {} > {}.out' ::: a b
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'echo a > a.out\necho b > b.out')" ]
	[ ! -e a.out ]
}

@test "--dry-run output run by sh gives what mprun would have printed" {
	run "$MPRUN" -k --dry-run echo ::: 'a  b' '$(touch pwned)' "it's" 'x;y'
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 4 ]
	[ ! -e pwned ]
	printf '%s\n' "${lines[@]}" >cmds
	run sh cmds
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' 'a  b' '$(touch pwned)' "it's" 'x;y')" ]
	[ ! -e pwned ]
}

@test "--dry-run succeeds even when the commands would fail" {
	run "$MPRUN" --dry-run false ::: a b
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "--dry-run expands replacement strings" {
	run "$MPRUN" -k --dry-run echo {#} {} ::: a b
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'echo 1 a\necho 2 b')" ]
}

# --- -v ------------------------------------------------------------------------------

@test "-v prints each command first in its job's output (GNU parallel), tagged too; with -u straight out" {
	run _ex_err_to_file "$MPRUN" -k -j2 -v 'sleep 0.{}; echo {}' ::: 2 1
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'sleep 0.2; echo 2\n2\nsleep 0.1; echo 1\n1')" ]
	[ ! -s err ]
	run "$MPRUN" -k -v --tag echo ::: a
	[ "$output" = "$(printf 'a\techo a\na\ta')" ]
	run "$MPRUN" -u -v echo ::: a
	[ "$output" = "$(printf 'echo a\na')" ]
	run "$MPRUN" -k -v --results res echo ::: a
	[ "$(cat res/1/stdout)" = a ] # the job's own output only
}

@test "--verbose and -t print each command on stderr and still run it" {
	run _ex_err_to_file "$MPRUN" --verbose 'echo {} | cat' ::: a
	[ "$status" -eq 0 ]
	[ "$output" = a ]
	[ "$(cat err)" = "echo a | cat" ]
	run _ex_err_to_file "$MPRUN" -k -j1 -t echo ::: a b
	[ "$output" = "$(printf 'a\nb')" ]
	[ "$(cat err)" = "$(printf 'echo a\necho b')" ]
}

@test "--help and --version exit 0" {
	run "$MPRUN" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *Usage* ]]
	run "$MPRUN" --version
	[ "$status" -eq 0 ]
	[[ "$output" == mprun* ]]
}

@test "standard output that cannot be written (/dev/full, closed): said, naming it, and status 255" {
	local o
	for o in '' -k --lb '--order map'; do
		# shellcheck disable=SC2086 # o is a list
		run bash -c '"$MPRUN" '"$o"' "echo {}" ::: 1 2 3 >/dev/full'
		[ "$status" -eq 255 ]
		[ "$output" = "mprun: standard output: No space left on device" ]
	done
	run bash -c '"$MPRUN" "echo {}" ::: 1 >&-'
	[ "$status" -eq 255 ]
	[ "$output" = "mprun: standard output: Bad file descriptor" ]
	# what mprun prints itself
	run bash -c '"$MPRUN" --dry-run echo ::: a >/dev/full'
	[ "$status" -eq 255 ]
	[[ "$output" == "mprun: standard output: "* ]]
	run bash -c '"$MPRUN" --help >/dev/full'
	[ "$status" -eq 255 ]
	[[ "$output" == "mprun: standard output: "* ]]
	# a reader that left (EPIPE) is no error to say
	run bash -c '"$MPRUN" seq ::: 200000 | head -n 1; echo "${PIPESTATUS[0]}"'
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = 255 ]
	[ "${#lines[@]}" -eq 2 ]
}
