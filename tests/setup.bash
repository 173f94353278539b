# Loaded by every bats file: finds the mprun under test and gives each test
# its own empty working directory $T (removed by bats afterwards).

: "${MPRUN:=$BATS_TEST_DIRNAME/../_build/cmd/mprun}"
: "${MPRUN_SRCDIR:=$BATS_TEST_DIRNAME/..}"
export MPRUN MPRUN_SRCDIR

# A test that hangs fails after this many seconds instead of holding up the
# suite (bats >= 1.7). The slowest test takes about 6 s alone; a test must
# wait for the processes it started by their pid: a bare `wait` would
# wait for bats's own timer too.
: "${BATS_TEST_TIMEOUT:=120}"

setup() {
	T=$BATS_TEST_TMPDIR
	cd "$T" || return 1
	[ -x "$MPRUN" ] || {
		echo "mprun not built: $MPRUN" >&2
		return 1
	}
	_watchdog_start
}

# REPLY: the start time of process $1 (field 22 of its stat), empty when
# it is gone.
_proc_start() {
	REPLY=
	read -r REPLY 2>/dev/null <"/proc/$1/stat" || return 0
	set -- ${REPLY##*) }
	REPLY=${20}
}

# Every process that descends from process $1.
_descendants() {
	ps -e -o pid=,ppid= | awk -v root="$1" '{ up[$1] = $2 }
		END { for (p in up) { q = p
			while (q in up && q != root && q > 1) q = up[q]
			if (q == root && p != root) print p } }'
}

# When a test overruns BATS_TEST_TIMEOUT, bats sends SIGTERM to its
# children only, on which mprun lets its jobs finish: a job's leftover can
# then hold a pipe that the test reads for minutes, and the test fails
# only when that ends. So a watchdog, detached from the test's files and
# jobs, does it first, 1 s before: it sends bats's timeout signal (SIGABRT)
# to the test and kills (SIGKILL) every process that descends from it. It
# leaves as soon as the test process is gone.
_watchdog_start() {
	local test=$$ start
	_proc_start "$test"
	start=$REPLY
	(
		trap - ERR
		set +eE
		exec </dev/null >/dev/null 2>&1
		for fd in /proc/$BASHPID/fd/*; do
			fd=${fd##*/}
			[ "$fd" -le 2 ] || eval "exec $fd>&-"
		done
		SECONDS=0
		while sleep 1; do
			_proc_start "$test"
			[ "$REPLY" = "$start" ] || exit 0
			[ "$SECONDS" -lt $((BATS_TEST_TIMEOUT - 1)) ] || break
		done
		# (never itself: it descends from the test too)
		self=$BASHPID
		tree=$(_descendants "$test" | grep -vx "$self")
		kill -ABRT "$test"
		kill -KILL $tree $(_descendants "$test" | grep -vx "$self")
		sleep 0.5
		kill -KILL $(_descendants "$test" | grep -vx "$self")
	) &
	disown $!
}

# Live descendants of this shell whose command line contains $1 (empty when
# none): used to check that no job was left running.
leftovers() {
	pgrep -f -- "$1" || true
}

# Tests of the order of events, not of durations: a job that must wait for
# something the test or another job does runs "$WAIT_FOR FILE", which
# waits until FILE exists (at most 30 s, then fails), and "$WAIT_LINES
# FILE N", which waits until FILE has at least N lines. 30 s is far beyond
# any load; a wrong build fails by the missing step, not by a duration.
WAIT_FOR="timeout 30 sh -c 'until [ -e \"\$1\" ]; do sleep 0.05; done' wait_for"
WAIT_LINES="timeout 30 sh -c 'until [ \"\$(cat \"\$1\" 2>/dev/null | wc -l)\" -ge \"\$2\" ]; do sleep 0.05; done' wait_lines"

# The test's side: wait (at most 30 s) until file $1 exists; with $2, until
# it has at least $2 lines.
wait_file() {
	local i
	for ((i = 0; i < 1500; i++)); do
		if [ -e "$1" ] && { [ -z "${2:-}" ] || [ "$(wc -l <"$1")" -ge "$2" ]; }; then
			return 0
		fi
		sleep 0.02
	done
	echo "timed out waiting for $1${2:+ to have $2 lines}" >&2
	return 1
}

# Copy stdin to stdout line by line; after each line L, make the file
# "seen.L": a job that waits for it ($WAIT_FOR seen.L) knows that the test
# has read L from mprun's standard output, that is, that mprun wrote it.
see_lines() {
	local l
	while IFS= read -r l; do
		printf '%s\n' "$l"
		: >"seen.$l"
	done
}

# Send signal $1 to the test's process $pid and wait for it to end:
# $status is its exit status, $ms the milliseconds it took; $pid is cleared.
signal_and_time() {
	local t0
	t0=$(date +%s%N)
	kill -"$1" "$pid"
	status=0
	wait "$pid" || status=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	pid=
	echo "SIG$1: status $status after $ms ms"
}

# Wait (at most 20 s) until `mprun --status PID` shows the whole line $2;
# print what it showed last and fail otherwise.
wait_status_line() {
	local i st
	for ((i = 0; i < 400; i++)); do
		st=$("$MPRUN" --status "$1" 2>/dev/null || :)
		grep -qx -- "$2" <<<"$st" && return 0
		sleep 0.05
	done
	printf 'mprun --status %s never showed "%s"; last:\n%s\n' "$1" "$2" \
		"$st" >&2
	return 1
}
