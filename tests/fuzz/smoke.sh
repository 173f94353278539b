#!/bin/sh
# smoke.sh - make fuzz-smoke for one target: replay its reproducers
# (crashes/NAME-*), then run it SECONDS s from its seed corpus in a scratch
# corpus directory. Prints its report in one piece, ending with
# "PASS: fuzz_NAME" or "FAIL: fuzz_NAME"; exit 0 or 1.
#
#   smoke.sh SRCDIR SECONDS NAME     (FUZZ_ENV: settings for the target)
set -u
srcdir=$1 seconds=$2 name=$3
t=tests/fuzz/fuzz_$name
# A tree built --enable-fuzzing has lib/ compiled with UBSan's recovery (as
# the rest of that tree): make a finding there fatal too.
UBSAN_OPTIONS="halt_on_error=1:${UBSAN_OPTIONS:-print_stacktrace=1}"
export UBSAN_OPTIONS
ok=1
report=$(mktemp) || exit 1
dir=$(mktemp -d) || exit 1
trap 'rm -f "$report"' EXIT
{
	crashes=$(ls -d "$srcdir"/tests/fuzz/crashes/"$name"-* 2>/dev/null)
	if [ -n "$crashes" ]; then
		echo "$t: replaying the reproducers in crashes/"
		# shellcheck disable=SC2086 # FUZZ_ENV and crashes are lists
		env ${FUZZ_ENV:-} FUZZ_RUN_ALL=1 "./$t" $crashes \
			>"$t.replay.log" 2>&1 || {
			grep -A 12 'ORACLE\|ERROR' "$t.replay.log"
			ok=0
		}
	fi
	mkdir "$dir/corpus"
	dict=
	[ -f "$srcdir/tests/fuzz/$name.dict" ] &&
		dict=-dict=$srcdir/tests/fuzz/$name.dict
	echo "$t: $seconds s"
	# shellcheck disable=SC2086
	env ${FUZZ_ENV:-} "./$t" -max_total_time="$seconds" -timeout=5 \
		-rss_limit_mb=2048 -artifact_prefix="$dir/" $dict \
		"$dir/corpus" "$srcdir/tests/fuzz/corpus/$name" \
		>"$dir/log" 2>&1
	rc=$?
	tail -n 1 "$dir/log"
	if [ $rc -ne 0 ]; then
		grep -A 12 'ORACLE\|ERROR' "$dir/log"
		echo "$t failed; kept $dir"
		ok=0
	else
		rm -rf "$dir"
	fi
	if [ $ok = 1 ]; then echo "PASS: fuzz_$name"; else echo "FAIL: fuzz_$name"; fi
} >"$report" 2>&1
cat "$report"
[ $ok = 1 ]
