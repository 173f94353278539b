#!/usr/bin/env bats
# --progress, --bar, --eta: status lines on stderr; on a non-terminal a
# line about once a second plus a final one, on a terminal redrawn in place
# (erased, then drawn again) and ended by the final state; what a real
# terminal shows, with job output, is tests/terminal.bats.

load setup

teardown() {
	# a mprun left running by a failed test ends its jobs
	[ -z "${pid:-}" ] || kill -INT "$pid" 2>/dev/null || :
}

# Run a command with its stderr in the file "err" (run keeps stdout only),
# and how long it took (ms) in the file "elapsed".
_pg_err_to_file() {
	local t0=${EPOCHREALTIME//[.,]/} rc=0
	"$@" 2>err || rc=$?
	echo $(((${EPOCHREALTIME//[.,]/} - t0) / 1000)) >elapsed
	return "$rc"
}

# Shell code: wait (at most 30 s) until the file err has a line, that is,
# until mprun has written its first status line.
_PG_AFTER_FIRST_LINE='for i in $(seq 600); do [ -s err ] && break; sleep 0.05; done'

# The counts part of a status line, as a regex.
COUNTS='[0-9]+ done, [0-9]+ running, [0-9]+ failed, ([0-9]+|\?) total, [0-9]+\.[0-9]/s'

# Run mprun ARGS... on a pseudo-terminal; what it wrote to the terminal
# (stdout and stderr) goes to the file "tty".
_pg_on_tty() {
	local cmd
	printf -v cmd '%q ' "$MPRUN" "$@"
	script -qc "$cmd" /dev/null >tty </dev/null
}

@test "--progress on a non-terminal: status lines about once a second, then a final one" {
	run _pg_err_to_file "$MPRUN" -j2 --progress 'sleep {}' ::: 0.6 0.6 0.6 0.6 0.6 0.6 0.6 0.6
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	cat err >&2
	grep -q $'\r' err && return 1
	grep -q $'\e' err && return 1
	# every line is a status line
	[ "$(grep -Evc "^mprun: $COUNTS\$" err)" -eq 0 ]
	# about 2.4 s: 2 or 3 lines, and the final one; at most one a second
	elapsed=$(cat elapsed)
	echo "${elapsed}ms"
	n=$(wc -l <err)
	[ "$n" -ge 2 ]
	[ "$n" -le $((elapsed / 1000 + 1)) ]
	[[ "$(tail -n 1 err)" == "mprun: 8 done, 0 running, 0 failed, 8 total, "*/s ]]
	# the lines before the final one show jobs running
	head -n 1 err | grep -Eq '^mprun: [0-7] done, [12] running, 0 failed, 8 total, '
}

@test "--progress: no status line before the first second, the final one only" {
	run _pg_err_to_file "$MPRUN" -j2 --progress 'sleep {}' ::: 0.2 0.2
	[ "$status" -eq 0 ]
	# (a run that took a second or more, under load, has more)
	elapsed=$(cat elapsed)
	[ "$(wc -l <err)" -ge 1 ]
	[ "$(wc -l <err)" -le $((elapsed / 1000 + 1)) ]
	[[ "$(cat err)" == "mprun: 2 done, 0 running, 0 failed, 2 total, "*/s ]]
}

@test "--progress counts the failed jobs among the done ones" {
	run _pg_err_to_file "$MPRUN" -j2 --progress 'exit {}' ::: 0 1 0 2 0
	[ "$status" -eq 2 ]
	[[ "$(tail -n 1 err)" == "mprun: 5 done, 0 running, 2 failed, 5 total, "*/s ]]
}

@test "--progress: the total is ? while stdin is still streaming" {
	# stdin stays open, with no input, until the first status line
	run _pg_err_to_file bash -c "($_PG_AFTER_FIRST_LINE; seq 3) | \"\$MPRUN\" --progress 'echo {}'"
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output")" = "$(seq 3)" ]
	cat err >&2
	[[ "$(head -n 1 err)" == "mprun: 0 done, 0 running, 0 failed, ? total, "*/s ]]
	[[ "$(tail -n 1 err)" == "mprun: 3 done, 0 running, 0 failed, 3 total, "*/s ]]
}

@test "--progress does not touch stdout" {
	run _pg_err_to_file "$MPRUN" -k -j2 --progress 'sleep 0.6; echo {}' ::: 1 2 3 4
	[ "$status" -eq 0 ]
	[ "$output" = "$(seq 4)" ]
	[ "$(grep -Evc "^mprun: $COUNTS\$" err)" -eq 0 ]
}

@test "--bar on a non-terminal: [####----]  NN% before the counts" {
	run _pg_err_to_file "$MPRUN" -j2 --bar 'sleep {}' ::: 0.6 0.6 0.6 0.6
	[ "$status" -eq 0 ]
	cat err >&2
	[ "$(grep -Evc "^mprun: \[[#-]{20}\] +[0-9]+% $COUNTS, ETA [0-9?:]+\$" err)" -eq 0 ]
	[ "$(tail -n 1 err | cut -d' ' -f2-3)" = "[####################] 100%" ]
	[[ "$(tail -n 1 err)" == *" 4 done, 0 running, 0 failed, 4 total, "* ]]
	# the bar's width follows the percentage
	awk '{ pct = $3 + 0; n = gsub(/#/, "#", $2); if (n != int(pct / 5)) exit 1 }' err
	[ "$(wc -l <err)" -ge 2 ]
}

@test "--bar with a total not known yet" {
	run _pg_err_to_file bash -c "($_PG_AFTER_FIRST_LINE; seq 2) | \"\$MPRUN\" --bar 'echo {}'"
	[ "$status" -eq 0 ]
	cat err >&2
	[[ "$(head -n 1 err)" == "mprun: [--------------------]   ?% 0 done, "* ]]
	[[ "$(tail -n 1 err)" == "mprun: [####################] 100% 2 done, 0 running, 0 failed, 2 total, "* ]]
}

@test "--eta adds the estimated time left" {
	run _pg_err_to_file "$MPRUN" -j2 --eta 'sleep {}' ::: 0.6 0.6 0.6 0.6
	[ "$status" -eq 0 ]
	cat err >&2
	[ "$(grep -Evc "^mprun: $COUNTS, ETA ([0-9]+:)?[0-9]+:[0-9][0-9]\$" err)" -eq 0 ]
	[[ "$(tail -n 1 err)" == "mprun: 4 done, 0 running, 0 failed, 4 total, "*", ETA 0:00" ]]
}

@test "no status line without --progress, --bar or --eta" {
	run _pg_err_to_file "$MPRUN" -j2 'sleep {}' ::: 0.1 0.1 0.1
	[ "$status" -eq 0 ]
	[ ! -s err ]
}

# The states drawn on the terminal, one a line: what comes after each
# "erase the status lines" (carriage return, erase the line, and below it),
# carriage returns and moves of the cursor up removed.
_pg_states() {
	sed -e 's/\x1b\[K\x1b7\x1b\[B\x1b\[J\x1b8/\n/g' tty | tr -d '\r' |
		sed -e 's/\x1b\[[0-9]*A//g' | grep .
}

@test "--progress on a terminal: one line redrawn in place, ended by the final state" {
	_pg_on_tty -j2 --progress 'sleep {}' ::: 0.4 0.4 0.4 0.4
	od -c tty | tail -n 12 >&2
	# no newline before the end: one line, redrawn
	[ "$(tr -cd '\n' <tty | wc -c)" -eq 1 ]
	[ "$(grep -o $'\r\e\\[K' tty | wc -l)" -ge 3 ]
	[ "$(tail -c 1 tty | od -An -c | tr -d ' ')" = '\n' ]
	# the last state drawn, then the newline
	_pg_states >states
	cat states >&2
	[[ "$(tail -n 1 states)" == "4 done, 0 running, 0 failed, 4 total, "*/s ]]
	[ "$(grep -Evc "^$COUNTS\$" states)" -eq 0 ]
	[ "$(grep -c 'mprun: ' tty)" -eq 0 ]
}

@test "--bar on a terminal: the bar, redrawn, ending at 100%" {
	_pg_on_tty -j2 --bar 'sleep {}' ::: 0.4 0.4 0.4 0.4
	[ "$(tr -cd '\n' <tty | wc -c)" -eq 1 ]
	_pg_states >states
	cat states >&2
	[ "$(wc -l <states)" -ge 3 ]
	grep -Eqv '^\[[#-]{20}\] +[0-9]+% ' states && return 1
	[[ "$(tail -n 1 states)" == "[####################] 100% 4 done, 0 running, 0 failed, 4 total,"* ]]
}

@test "on a terminal, lines wider than it lose whole fields" {
	# (script's terminal has no size: 80 columns are assumed)
	_pg_on_tty -j2 --bar 'sleep {}' ::: 0.4 0.4 0.4 0.4
	_pg_states >states
	cat states >&2
	[ "$(awk '{ if (length($0) > 79) n++ } END { print n + 0 }' states)" -eq 0 ]
	[[ "$(tail -n 1 states)" == "[####################] 100% 4 done, 0 running, 0 failed, 4 total, ETA 0:00" ]]
}

@test "-u on a terminal: no escape codes, the last state only, as on a file" {
	_pg_on_tty -u -j2 --bar 'sleep 0.3; echo x{}' ::: 1 2 3
	cat -v tty >&2
	grep -q $'\e' tty && return 1
	[ "$(grep -c 'mprun: ' tty)" -eq 1 ]
	[[ "$(tail -n 1 tty)" == "mprun: [####################] 100% 3 done, 0 running, 0 failed, 3 total, "*$'\r' ]]
	[ "$(grep -c '^x[123]'$'\r''$' tty)" -eq 3 ]
}

@test "on a file, no escape codes; a pipeline has a line per stage and a total" {
	printf 'stages:\n  a:\n    cmd: echo x; echo y\n  b:\n    cmd: echo {}\n    input: a\n' >p.yaml
	run _pg_err_to_file "$MPRUN" --pipeline p.yaml --bar
	[ "$status" -eq 0 ]
	cat err >&2
	grep -q $'\e' err && return 1
	grep -q $'\r' err && return 1
	[ "$(tail -n 3 err | cut -d' ' -f2-3)" = "$(printf 'a: [####################]\nb: [####################]\ntotal: [####################]')" ]
	[[ "$(tail -n 1 err)" == "mprun: total: [####################] 100% 3 done, 0 running, 0 failed, 3 total, "*", ETA 0:00" ]]
}

@test "after Ctrl-C on a file: the last line says interrupted: done, ended (not failed), not started" {
	local N=$$$RANDOM
	"$MPRUN" --eta -j2 "[ {} = 1 ] && exit 3; : >started.{}; exec sleep 30.$N" ::: 1 2 3 4 2>err &
	pid=$!
	wait_file started.2
	wait_file started.3
	kill -INT "$pid"
	rc=0
	wait "$pid" || rc=$?
	pid=
	cat err >&2
	[ "$rc" -eq 130 ]
	[ "$(tail -n 1 err)" = "mprun: interrupted: 1 done, 1 failed, 2 ended, 1 not started" ]
	[ -z "$(leftovers "sleep 30\\.$N")" ]
}
