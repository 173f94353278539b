# Loaded by the bats files that compare mprun with GNU parallel on the
# same command line.

# GNU parallel's answers to the cases of the files that load this one, as
# given by the version on the first line of the file; then one line per
# case: the key (see gnu_parallel), the exit status and the output, with
# "\\" for a backslash and "\n" for a newline. When the installed GNU
# parallel is that version, a recorded answer stands for it: it takes 0.05
# to 0.1 s of CPU to start, and with --onall it starts itself again on
# every host through ssh (12 s of CPU for ssh.bats' cases). A case not
# recorded, or another version, runs GNU parallel. To record them again (as
# root: ssh.bats starts its sshd), from an emptied file but its first line
# (the "$Global::version" line of the installed parallel, as below):
#   MPRUN_COMPAT_RECORD=1 bats tests/compat_templates.bats \
#       tests/compat_throttle.bats tests/ssh.bats     (MPRUN, MPRUN_SRCDIR set)
GNU_PARALLEL_ANSWERS=$MPRUN_SRCDIR/tests/gnu-answers.txt

# 0 if the installed GNU parallel is the version whose answers are recorded.
_gnu_recorded_version() {
	local p v
	p=$(command -v parallel) || return 1
	v=$(grep -m 1 -o 'Global::version = [0-9]*' "$p") || return 1
	[ "$v" = "$(head -n 1 "$GNU_PARALLEL_ANSWERS")" ]
}

# A recorded answer: the text kept under key $2 in file $1 (a line "KEY
# TEXT", "\\" for a backslash and "\n" for a newline), unescaped, on
# stdout; 1 if there is none.
gnu_answer_read() {
	local line
	line=$(grep -m 1 "^$2 " "$1") || return 1
	printf '%b\n' "${line#* }"
}

# Record text $3 under key $2 in file $1, as gnu_answer_read reads it.
gnu_answer_write() {
	local esc=${3//\\/\\\\}
	printf '%s %s\n' "$2" "${esc//$'\n'/\\n}" >>"$1"
}

# GNU parallel -k "$@" (stdin /dev/null): its stdout in gnu and its exit
# status in gnu_status, the caller's variables. Recorded (above), or kept
# under the test's name and the arguments in MPRUN_COMPAT_CACHE (a private
# directory build.sh makes for both builds' suites), or run.
gnu_parallel() {
	local key line
	key=$(printf '%s\n' "$BATS_TEST_NAME" "$@" | sha1sum)
	key=${key%% *}
	if [ -z "${MPRUN_COMPAT_RECORD:-}" ] && _gnu_recorded_version &&
		line=$(gnu_answer_read "$GNU_PARALLEL_ANSWERS" "$key"); then
		gnu_status=${line%% *}
		gnu=${line#* }
		return 0
	fi
	if [ -n "${MPRUN_COMPAT_CACHE:-}" ] &&
		[ -f "$MPRUN_COMPAT_CACHE/gnu.$key" ]; then
		gnu_status=$(head -n 1 "$MPRUN_COMPAT_CACHE/gnu.$key")
		gnu=$(tail -n +2 "$MPRUN_COMPAT_CACHE/gnu.$key")
		return 0
	fi
	gnu=$(parallel --will-cite -k "$@" 2>/dev/null </dev/null) &&
		gnu_status=0 || gnu_status=$?
	# whole or not at all: the other suite may read it meanwhile
	[ -z "${MPRUN_COMPAT_CACHE:-}" ] || {
		printf '%s\n%s\n' "$gnu_status" "$gnu" \
			>"$MPRUN_COMPAT_CACHE/gnu.$key.$$" &&
			mv -f "$MPRUN_COMPAT_CACHE/gnu.$key.$$" \
				"$MPRUN_COMPAT_CACHE/gnu.$key"
	}
	[ -z "${MPRUN_COMPAT_RECORD:-}" ] ||
		gnu_answer_write "$GNU_PARALLEL_ANSWERS" "$key" \
			"$gnu_status $gnu"
}

# Run "$@" under GNU parallel and under mprun (-k both, stdin /dev/null):
# the same stdout and exit status, or both shown and a failure. Skips when
# GNU parallel is not installed.
same() {
	command -v parallel >/dev/null || skip "GNU parallel is not installed"
	local gnu gnu_status ours ours_status
	gnu_parallel "$@"
	ours=$("$MPRUN" -k "$@" </dev/null) && ours_status=0 || ours_status=$?
	[ "$gnu" = "$ours" ] && [ "$gnu_status" -eq "$ours_status" ] || {
		printf 'GNU (%s):\n%s\nmprun (%s):\n%s\n' "$gnu_status" "$gnu" \
			"$ours_status" "$ours" >&2
		return 1
	}
}
