#!/usr/bin/env bats
# The status lines of --bar, --progress and --eta on a real terminal (tmux,
# 100x30): they stay at the bottom, below the jobs' output, which they never
# glue onto, cut or hide, on the screen and in the scrollback; a resize;
# Ctrl-C. Each test has its own tmux server (a private socket in its
# directory), killed in teardown. The jobs wait for the test ("gate N" waits for the file go.N),
# so that each step is taken when the test has seen the one before: the
# tests wait for what the screen shows (at most 20 s), not for durations.

load setup

eval "_tm_base_$(declare -f setup)"
setup() {
	_tm_base_setup || return 1
	command -v tmux >/dev/null || {
		echo "tmux is not installed (./build.sh test installs it)" >&2
		return 1
	}
	N=$$$RANDOM$BATS_TEST_NUMBER
	SOCK=$T/tmux.sock
	# a job's gate; its name carries the test's marker
	GATE=$T/gate-$N
	printf '#!/bin/sh\n# wait (at most 30 s) for go.$1\ni=0\nwhile [ ! -e "%s/go.$1" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done\n' \
		"$T" >"$GATE"
	chmod +x "$GATE"
	printf 'set -g remain-on-exit on\nset -g history-limit 10000\nset -g default-shell /bin/sh\n' >tmux.conf
}

teardown() {
	tmux -S "$SOCK" kill-server 2>/dev/null || :
}

# Run mprun "$@" in a new 100x30 terminal; its exit status goes into the
# file "rc" once it exited (the shell waits for it: Ctrl-C runs the
# shell's trap, and reaches mprun with its default action).
_tm_run() {
	local cmd
	printf -v cmd '%q ' "$MPRUN" "$@"
	tmux -S "$SOCK" -f tmux.conf new-session -d -x 100 -y 30 -c "$T" \
		"trap : INT; $cmd; echo \$? >rc"
}

# The terminal's lines, scrollback included, without the empty ones and
# tmux's "Pane is dead" line, in the file "screen".
_tm_screen() {
	tmux -S "$SOCK" capture-pane -p -S - | grep -v '^Pane is dead' |
		grep -v '^ *$' >screen || :
}

# Wait (at most 20 s) until the shell code $1 succeeds, the screen taken
# anew each time; then show the screen.
_tm_wait() {
	local i
	for ((i = 0; i < 200; i++)); do
		_tm_screen
		if eval "$1"; then
			return 0
		fi
		sleep 0.1
	done
	echo "timed out waiting for: $1" >&2
	cat screen >&2
	return 1
}

# Has mprun exited (its output all on the screen)?
_tm_dead() {
	[ -s rc ]
}

# mprun's exit status, once it exited.
_tm_status() {
	cat rc
}

# No job left: no shell running the test's gate (the tmux server, whose
# command line names it too, aside).
_tm_no_job_left() {
	[ -z "$(leftovers "sh (-c )?[^ ]*gate-$N")" ]
}

# Release job $1 (its gate opens).
_tm_go() {
	: >"go.$1"
}

# The screen holds exactly the lines job-line-1 ... job-line-$1, in that
# order, each once and whole, then $2 lines (the status) that match the
# regexes $3, $4, ... in turn.
_tm_screen_is() {
	local jobs=$1 nstatus=$2 i
	shift 2
	[ "$(wc -l <screen)" -eq $((jobs + nstatus)) ] || return 1
	if [ "$jobs" -gt 0 ]; then
		[ "$(head -n "$jobs" screen)" = "$(seq -f 'job-line-%g' "$jobs")" ] ||
			return 1
	fi
	for ((i = 1; i <= nstatus; i++)); do
		sed -n "$((jobs + i))p" screen | grep -Eqx -- "$1" || return 1
		shift
	done
}

# Run mprun with OPTIONS (one word) over 6 jobs, 2 at a time, each
# released by the test and then printing its line; at each step the screen
# holds the job lines so far and the status line, below them, showing
# them done; at the end, the last status. $2: the status line as a regex,
# with @ for the number done.
_tm_jobs_and_status() {
	local opt=$1 status=$2 i
	_tm_run "$opt" -j2 "$GATE {}; echo job-line-{}" ::: 1 2 3 4 5 6
	_tm_wait "_tm_screen_is 0 1 '${status//@/0}'"
	for i in 1 2 3 4 5 6; do
		_tm_go "$i"
		_tm_wait "_tm_screen_is $i 1 '${status//@/$i}'"
	done
	_tm_wait _tm_dead
	[ "$(_tm_status)" -eq 0 ]
	_tm_screen
	cat screen
	_tm_screen_is 6 1 "${status//@/6}"
}

# The figures as regexes: a rate, a time left.
RATE='[0-9]+\.[0-9]/s'
ETA='ETA (\?|([0-9]+:)?[0-9]+:[0-9][0-9])'

@test "--bar on a terminal: every job line stands alone, the bar below it" {
	_tm_jobs_and_status --bar "\\[[#-]{20}\\] +[0-9]+% @ done, [0-2] running, 0 failed, 6 total, $RATE, $ETA"
	grep -Eqx "\\[#{20}\\] 100% 6 done, 0 running, 0 failed, 6 total, $RATE, ETA 0:00" screen
}

@test "--progress on a terminal: every job line stands alone, the counts below it" {
	_tm_jobs_and_status --progress "@ done, [0-2] running, 0 failed, 6 total, $RATE"
}

@test "--eta on a terminal: every job line stands alone, the time left below it" {
	_tm_jobs_and_status --eta "@ done, [0-2] running, 0 failed, 6 total, $RATE, $ETA"
}

@test "--pipeline FILE --bar: one line per stage and a total, all below the output" {
	cat >p.yaml <<Y
stages:
  gen:
    cmd: seq 4
  show:
    cmd: $GATE {}; echo job-line-{}
    input: gen
    jobs: 2
Y
	local bar='\[[#-]{20}\] +([0-9]+|\?)%' i
	local gen="gen: $bar [0-1] done, [0-1] running, 0 failed, 1 total, $RATE, $ETA"
	_tm_run --pipeline p.yaml --bar
	_tm_wait "_tm_screen_is 0 3 '$gen' 'show: .* 0 done, .*' 'total: .*'"
	for i in 1 2 3 4; do
		_tm_go "$i"
		_tm_wait "_tm_screen_is $i 3 '$gen' 'show: $bar $i done, [0-2] running, 0 failed, (4|\\?) total, .*' 'total: $bar $((i + 1)) done, .*'"
	done
	_tm_wait _tm_dead
	[ "$(_tm_status)" -eq 0 ]
	_tm_screen
	cat screen
	_tm_screen_is 4 3 "gen: \\[#{20}\\] 100% 1 done, 0 running, 0 failed, 1 total, $RATE, ETA 0:00" \
		"show: \\[#{20}\\] 100% 4 done, 0 running, 0 failed, 4 total, $RATE, ETA 0:00" \
		"total: \\[#{20}\\] 100% 5 done, 0 running, 0 failed, 5 total, $RATE, ETA 0:00"
}

@test "a resize mid-run: the status fits the new width, whole fields, whole job lines" {
	_tm_run --bar -j2 "$GATE {}; echo job-line-{}" ::: 1 2 3 4 5 6
	_tm_go 1
	_tm_wait "_tm_screen_is 1 1 '.*'"
	_tm_go 2
	_tm_wait "_tm_screen_is 2 1 '\\[#{6}-{14}\\]  33% 2 done, 2 running, 0 failed, 6 total, $RATE, $ETA'"
	tmux -S "$SOCK" resize-window -x 50
	# drawn again at once for 49 columns: the rate, the bar and the
	# running jobs left out, the ETA whole
	_tm_wait "_tm_screen_is 2 1 '33% 2 done, 0 failed, 6 total, $ETA'"
	for i in 3 4 5 6; do
		_tm_go "$i"
		_tm_wait "_tm_screen_is $i 1 '.*'"
	done
	_tm_wait _tm_dead
	_tm_screen
	cat screen
	# nothing left of the lines drawn at 100 columns, in the scrollback
	# either
	_tm_screen_is 6 1 '100% 6 done, 0 failed, 6 total, ETA 0:00'
	tmux -S "$SOCK" resize-window -x 100
	_tm_screen
	_tm_screen_is 6 1 '100% 6 done, 0 failed, 6 total, ETA 0:00'
}

@test "Ctrl-C: the last status says interrupted, with the jobs done, ended, not started; no job left" {
	_tm_run --bar -j2 "$GATE {}; echo job-line-{}" ::: 1 2 3 4 5 6
	_tm_go 1
	_tm_wait "_tm_screen_is 1 1 '.*'"
	_tm_go 2
	_tm_wait "_tm_screen_is 2 1 '.* 2 done, 2 running, 0 failed, 6 total, .*'"
	[ -n "$(leftovers "sh (-c )?[^ ]*gate-$N")" ] # (jobs 3 and 4 wait at their gates)
	tmux -S "$SOCK" send-keys C-c
	_tm_wait _tm_dead
	[ "$(_tm_status)" -eq 130 ]
	_tm_screen
	cat screen
	# the two killed are ended, not failed; no bar, no ETA
	_tm_screen_is 2 1 'interrupted: 2 done, 0 failed, 2 ended, 2 not started'
	_tm_no_job_left
}

@test "Ctrl-C in a pipeline: each stage's line and the total say what ended" {
	cat >p.yaml <<Y
stages:
  gen:
    cmd: seq 5
  show:
    cmd: $GATE {}; echo job-line-{}
    input: gen
    jobs: 2
Y
	_tm_run --pipeline p.yaml --progress
	_tm_go 1
	_tm_wait "_tm_screen_is 1 3 'gen: .*' 'show: 1 done, 2 running, .*' 'total: .*'"
	tmux -S "$SOCK" send-keys C-c
	_tm_wait _tm_dead
	[ "$(_tm_status)" -eq 130 ]
	_tm_screen
	cat screen
	_tm_screen_is 1 3 'gen: 1 done, 0 failed, 0 ended, 0 not started' \
		'show: 1 done, 0 failed, 2 ended, 2 not started' \
		'interrupted: 2 done, 0 failed, 2 ended, 2 not started'
	_tm_no_job_left
}

@test "output that leaves a line unfinished: the status waits for its end, then goes below" {
	# grouped output with no newline: x1x2x3 on one line; a status drawn
	# after x1 would be glued to it, and erasing it would erase x1 too
	_tm_run --bar -j1 "$GATE {}; printf x{}" ::: 1 2 3
	_tm_go 1
	_tm_wait 'grep -qx x1 screen'
	sleep 0.3 # (time for a wrong build to draw the status: 3 draws)
	_tm_go 2
	_tm_wait 'grep -qx x1x2 screen'
	_tm_go 3
	_tm_wait _tm_dead
	_tm_screen
	cat screen
	[ "$(sed -n 1p screen)" = x1x2x3 ]
	sed -n 2p screen | grep -Eqx "\\[#{20}\\] 100% 3 done, 0 running, 0 failed, 3 total, $RATE, ETA 0:00"
	[ "$(wc -l <screen)" -eq 2 ]
}

@test "--line-buffer: a line written in two parts reaches the terminal whole" {
	_tm_run --line-buffer --bar -j2 "printf job-; $GATE {}; echo line-{}" ::: 1 2 3 4 5 6
	for i in 1 2 3 4 5 6; do
		_tm_go "$i"
		_tm_wait "_tm_screen_is $i 1 '.*[0-9] done, .*'"
	done
	_tm_wait _tm_dead
	_tm_screen
	_tm_screen_is 6 1 '\[#{20}\] 100% 6 done, .*'
}

@test "-u: the jobs write to the terminal themselves: no status while they run, the last one at the end" {
	_tm_run -u --bar -j2 "$GATE {}; echo job-line-{}" ::: 1 2 3
	_tm_go 1
	_tm_wait '_tm_screen_is 1 0'
	_tm_go 2
	_tm_wait '_tm_screen_is 2 0'
	_tm_go 3
	_tm_wait _tm_dead
	_tm_screen
	cat screen
	_tm_screen_is 3 1 "mprun: \\[#{20}\\] 100% 3 done, 0 running, 0 failed, 3 total, $RATE, ETA 0:00"
}

@test "mprun's own messages (-t) make way for the status too" {
	# the jobs start half a second apart: the status is on the screen
	# when the second and third say their command lines
	_tm_run --bar -t -j3 --delay 0.5 "$GATE {}; echo job-line-{}" ::: 1 2 3
	_tm_wait "[ \"\$(grep -c '^$GATE [1-3]; echo job-line-[1-3]\$' screen)\" -eq 3 ] && _tm_screen_is 0 4 '.*' '.*' '.*' '.*done.*'"
	for i in 1 2 3; do
		_tm_go "$i"
		_tm_wait "grep -qx job-line-$i screen"
	done
	_tm_wait _tm_dead
	_tm_screen
	cat screen
	# each command line, then the output, then the status
	for i in 1 2 3; do
		echo "$GATE $i; echo job-line-$i"
	done >want
	seq -f 'job-line-%g' 3 >>want
	head -n 6 screen | diff want -
	sed -n 7p screen | grep -Eqx "\\[#{20}\\] 100% 3 done, 0 running, 0 failed, 3 total, $RATE, ETA 0:00"
	[ "$(wc -l <screen)" -eq 7 ]
}

@test "Ctrl-Z in a shell: the jobs stop with mprun, the status makes way for the shell, fg continues them to the end" {
	local cmd
	printf -v cmd '%q ' "$MPRUN" --bar -j2 "$GATE {}; echo job-line-{}"
	tmux -S "$SOCK" -f tmux.conf new-session -d -x 100 -y 30 -c "$T" \
		"PS1='$ ' exec bash --norc --noprofile -i"
	tmux -S "$SOCK" send-keys "$cmd ::: 1 2 3 4" Enter
	_tm_go 1
	_tm_wait "grep -qx job-line-1 screen && grep -q ' 1 done, 2 running' screen"
	tmux -S "$SOCK" send-keys C-z
	_tm_wait "grep -q 'Stopped' screen"
	# jobs 2 and 3 wait at their gates: stopped too
	[ "$(leftovers "sh (-c )?[^ ]*gate-$N" | wc -l)" -ge 2 ]
	for p in $(leftovers "sh (-c )?[^ ]*gate-$N"); do
		ps -o stat=,args= -p "$p" >&2
		[[ $(ps -o stat= -p "$p") == T* ]]
	done
	_tm_go 2
	_tm_go 3
	_tm_go 4
	tmux -S "$SOCK" send-keys "fg; echo \$? >rc" Enter
	_tm_wait _tm_dead
	[ "$(_tm_status)" -eq 0 ]
	_tm_no_job_left
	_tm_screen
	cat screen
	# each job line once and whole; the status erased before the shell's
	# line (no bar above it), the last one at the end
	[ "$(grep -c 'job-line-[0-9]' screen)" -eq 4 ]
	[ "$(grep -cx 'job-line-[1-4]' screen)" -eq 4 ]
	[ "$(sed '/Stopped/,$d' screen | grep -c 'running')" -eq 0 ]
	grep -Eq "\\[#{20}\\] 100% 4 done, 0 running, 0 failed, 4 total, $RATE, ETA 0:00" screen
}
