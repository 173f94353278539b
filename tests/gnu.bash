# Loaded by the bats files that compare mprun with GNU parallel on the
# same command line.

# GNU parallel -k "$@" (stdin /dev/null): its stdout in gnu and its exit
# status in gnu_status, the caller's variables. Kept under the test's name
# and the arguments in MPRUN_COMPAT_CACHE (a private directory build.sh
# makes for both builds' suites): the second suite does not run GNU
# parallel again (it takes 0.15 s to start, 2 to 3 s with --onall).
gnu_parallel() {
	local key
	key=$(printf '%s\n' "$BATS_TEST_NAME" "$@" | sha1sum)
	key=${MPRUN_COMPAT_CACHE:-}/gnu.${key%% *}
	if [ -n "${MPRUN_COMPAT_CACHE:-}" ] && [ -f "$key" ]; then
		gnu_status=$(head -n 1 "$key")
		gnu=$(tail -n +2 "$key")
		return 0
	fi
	gnu=$(parallel --will-cite -k "$@" 2>/dev/null </dev/null) &&
		gnu_status=0 || gnu_status=$?
	# whole or not at all: the other suite may read it meanwhile
	[ -z "${MPRUN_COMPAT_CACHE:-}" ] || {
		printf '%s\n%s\n' "$gnu_status" "$gnu" >"$key.$$" &&
			mv -f "$key.$$" "$key"
	}
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
