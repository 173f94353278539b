#!/usr/bin/env bash
# run.sh - the mutation check: plant each small bug of mutations.txt in a
# scratch copy of the tree, rebuild, run the tests the mutation names, and
# report whether they noticed (issue #13).
#
#   tests/mutation/run.sh [OPTION...] [ID...]    (or: make mutation-check)
#
#   ID...              run only these mutations (default: all of the list)
#   -l, --list FILE    the list of mutations (default: mutations.txt here)
#   -w, --work DIR     scratch directory; kept, and its build reused when
#                      it already holds one (default: a fresh one, removed)
#   -k, --keep         keep the scratch directory (logs in DIR/log)
#   -t, --timeout S    seconds for the tests of one mutation (default 300)
#   -o, --output FILE  also write the results there (tab-separated)
#   -c, --continue     with -o: keep the results FILE has, run only the
#                      mutations it lacks, and report them all (after an
#                      interrupted run; use the same -w to reuse the build)
#   --survivors FILE   run only the mutations that FILE (an -o output of an
#                      earlier run) marks not caught or hung
#   --check            only check that every mutation applies exactly once
#                      to the current tree (no build, nothing run)
#   --no-baseline      do not first run the tests on the unmutated build
#   --drop-failing     leave out the tests that fail on the unmutated build
#                      (default: stop; a failing test would "catch" all)
#
# The scratch copy is the current working tree (tracked and untracked files
# that git does not ignore; everything but build trees outside git). The
# tree itself is never written. Per mutation: apply it (a sed expression
# must change exactly one place, a patch must apply without fuzz), make
# -j2, run its tests in order until one fails, then revert. A test program
# is ended (SIGKILL to its session) at its first "not ok"; whatever it
# started is found by the variable MPRUN_MUTATION_RUN in its environment
# and killed too. A result is caught (a test failed), not caught (all
# passed), hung (the tests did not end within the timeout), not applied,
# build failed, or error (a service of the tests, sshd or Slurm, did not
# start).
#
# Environment: BATS (default bats), BATS_TEST_TIMEOUT (seconds per bats
# test, default 60), CONFIGURE_FLAGS (for the scratch build), MAKE_JOBS
# (default 2). The SSH and Slurm services of the tests run on free ports
# picked per run and in directories of their own (MPRUN_SSHD_*,
# MPRUN_SLURM_*), so that a check running beside another check or a make
# check does not share or stop their sshd. (tests/unit/test_exec_ssh has
# fixed ports of its own.)
#
# Exit status: 0 when the score (caught / (caught + not caught + hung)) is
# at least 95% and nothing hung, was not applied, failed to build or had
# an error; 1 otherwise; 2 on a usage error or a failing baseline.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
list=$here/mutations.txt
work=
keep=0
timeout_s=300
output=
survivors=
continue=0
check_only=0
baseline=1
drop_failing=0
ids=()
: "${BATS:=bats}"
: "${BATS_TEST_TIMEOUT:=60}"
: "${MAKE_JOBS:=2}"
: "${CONFIGURE_FLAGS:=}"
MIN_SCORE=95

usage() {
	sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	-l | --list) list=$2; shift ;;
	-w | --work) work=$2; keep=1; shift ;;
	-k | --keep) keep=1 ;;
	-t | --timeout) timeout_s=$2; shift ;;
	-o | --output) output=$2; shift ;;
	--survivors) survivors=$2; shift ;;
	-c | --continue) continue=1 ;;
	--check) check_only=1 ;;
	--no-baseline) baseline=0 ;;
	--drop-failing) drop_failing=1 ;;
	-h | --help) usage ;;
	-*) echo "run.sh: unknown option $1" >&2; usage ;;
	*) ids+=("$1") ;;
	esac
	shift
done
case $timeout_s in '' | *[!0-9]*) echo "run.sh: -t: not a number" >&2; exit 2 ;; esac
[ $continue -eq 0 ] || [ -n "$output" ] || { echo "run.sh: --continue needs -o" >&2; exit 2; }

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 2; }

# --- the list ------------------------------------------------------------

# One mutation per index: its id, file, sed expressions (one a line) or
# patch, what it breaks, and its tests (blank-separated).
M_ID=() M_FILE=() M_SED=() M_PATCH=() M_WHAT=() M_TESTS=()

# Parse the list: records of "key: value" lines, each starting at "id:";
# "patch:" takes the lines up to "end-patch" as a unified diff.
load_list() {
	local line key val n=-1 in_patch=0 lineno=0
	[ -r "$list" ] || die "$list: cannot read"
	while IFS= read -r line || [ -n "$line" ]; do
		lineno=$((lineno + 1))
		if [ $in_patch -eq 1 ]; then
			if [ "$line" = end-patch ]; then
				in_patch=0
			else
				M_PATCH[n]+="$line"$'\n'
			fi
			continue
		fi
		case $line in '' | '#'*) continue ;; esac
		key=${line%%:*}
		val=${line#*:}
		val=${val#"${val%%[![:space:]]*}"}
		[ "$key" = "$line" ] && die "$list:$lineno: not KEY: VALUE"
		if [ "$key" != id ] && [ $n -lt 0 ]; then
			die "$list:$lineno: $key before the first id:"
		fi
		case $key in
		id)
			n=$((n + 1))
			M_ID[n]=$val M_FILE[n]= M_SED[n]= M_PATCH[n]= M_WHAT[n]= M_TESTS[n]=
			;;
		file) M_FILE[n]=$val ;;
		sed) M_SED[n]+="$val"$'\n' ;;
		patch) in_patch=1 ;;
		what) M_WHAT[n]=$val ;;
		tests) M_TESTS[n]=$val ;;
		*) die "$list:$lineno: unknown key '$key'" ;;
		esac
	done <"$list"
	[ $in_patch -eq 0 ] || die "$list: a patch: without end-patch"
	local i j
	for i in "${!M_ID[@]}"; do
		[ -n "${M_FILE[i]}" ] || die "${M_ID[i]}: no file:"
		[ -n "${M_TESTS[i]}" ] || die "${M_ID[i]}: no tests:"
		[ -n "${M_SED[i]}${M_PATCH[i]}" ] || die "${M_ID[i]}: no sed: or patch:"
		[ -z "${M_SED[i]}" ] || [ -z "${M_PATCH[i]}" ] ||
			die "${M_ID[i]}: both sed: and patch:"
		for ((j = 0; j < i; j++)); do
			[ "${M_ID[j]}" != "${M_ID[i]}" ] || die "${M_ID[i]}: id twice"
		done
	done
}

# The indexes to run: the ids given, the survivors of an earlier run, or
# all.
select_mutations() {
	local i id found
	SEL=()
	if [ -n "$survivors" ]; then
		[ -r "$survivors" ] || die "$survivors: cannot read"
		while IFS=$'\t' read -r id _ res _; do
			case $res in "not caught" | hung) ids+=("$id") ;; esac
		done <"$survivors"
		[ ${#ids[@]} -gt 0 ] || { say "no survivors in $survivors"; exit 0; }
	fi
	if [ ${#ids[@]} -eq 0 ]; then
		SEL=("${!M_ID[@]}")
		return
	fi
	for id in "${ids[@]}"; do
		found=0
		for i in "${!M_ID[@]}"; do
			if [ "${M_ID[i]}" = "$id" ]; then
				SEL+=("$i")
				found=1
			fi
		done
		[ $found -eq 1 ] || die "no mutation '$id' in $list"
	done
}

# --- applying --------------------------------------------------------------

# Write the mutated form of $1 (a file) to $2 for mutation i ($3); 0, or 1
# when it does not apply (why in $WHY).
mutate_copy() {
	local from=$1 to=$2 i=$3 e args=() hunks
	if [ -n "${M_SED[i]}" ]; then
		while IFS= read -r e; do
			[ -n "$e" ] && args+=(-e "$e")
		done <<<"${M_SED[i]}"
		if ! sed "${args[@]}" "$from" >"$to" 2>"$to.err"; then
			WHY="sed: $(head -n 1 "$to.err")"
			return 1
		fi
	else
		if ! patch -s -F0 -N -o "$to" "$from" <<<"${M_PATCH[i]}" \
			>"$to.err" 2>&1; then
			WHY="patch: $(head -n 1 "$to.err")"
			return 1
		fi
	fi
	hunks=$(diff -U0 "$from" "$to" | grep -c '^@@')
	if [ "$hunks" -eq 0 ]; then
		WHY="changes nothing"
		return 1
	fi
	if [ -n "${M_SED[i]}" ] && [ "$hunks" -ne 1 ]; then
		WHY="changes $hunks places, not one"
		return 1
	fi
	return 0
}

# --check: every mutation against the current tree, nothing written.
check_list() {
	local i tmp bad=0
	tmp=$(mktemp -d) || exit 2
	for i in "${SEL[@]}"; do
		if [ ! -f "$top/${M_FILE[i]}" ]; then
			printf '%-28s not applied: %s: no such file\n' "${M_ID[i]}" \
				"${M_FILE[i]}"
			bad=$((bad + 1))
		elif mutate_copy "$top/${M_FILE[i]}" "$tmp/m" "$i"; then
			printf '%-28s ok\n' "${M_ID[i]}"
		else
			printf '%-28s not applied: %s\n' "${M_ID[i]}" "$WHY"
			bad=$((bad + 1))
		fi
	done
	rm -rf "$tmp"
	echo "mutation-check --check: ${#SEL[@]} mutations, $bad not applied"
	[ $bad -eq 0 ]
}

# --- the scratch tree ------------------------------------------------------

# Copy the working tree (not HEAD) into $SRC.
copy_tree() {
	mkdir -p "$SRC" || exit 2
	if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		(cd "$top" && git ls-files -z -c -o --exclude-standard |
			while IFS= read -r -d '' f; do
				[ -e "$f" ] && printf '%s\0' "$f"
			done | tar --null -T - -cf -) | tar -C "$SRC" -xf - ||
			die "cannot copy the tree"
	else
		(cd "$top" && tar --exclude='./_*' --exclude=./autom4te.cache \
			--exclude='*.o' --exclude='*.a' -cf - .) |
			tar -C "$SRC" -xf - || die "cannot copy the tree"
		if [ -f "$SRC/config.status" ]; then
			(cd "$SRC" && make -s distclean >/dev/null 2>&1)
		fi
	fi
}

# Configure and build the scratch copy once (reused when -w has one).
build_tree() {
	if [ -f "$BUILD/cmd/mprun" ] && [ -f "$BUILD/Makefile" ]; then
		say "reusing the build in $BUILD"
	else
		if [ ! -x "$SRC/configure" ]; then
			say "autoreconf"
			(cd "$SRC" && autoreconf -fi) >"$LOG/autoreconf.log" 2>&1 ||
				die "autoreconf failed: $LOG/autoreconf.log"
		fi
		mkdir -p "$BUILD"
		say "configure $CONFIGURE_FLAGS"
		# shellcheck disable=SC2086
		(cd "$BUILD" && "$SRC/configure" -q $CONFIGURE_FLAGS) \
			>"$LOG/configure.log" 2>&1 ||
			die "configure failed: $LOG/configure.log"
	fi
	say "make"
	make -C "$BUILD" -s -j"$MAKE_JOBS" >"$LOG/build.log" 2>&1 ||
		die "the unmutated tree does not build: $LOG/build.log"
}

# The unit test programs named by the selected mutations.
unit_targets() {
	local i t
	for i in "${SEL[@]}"; do
		for t in ${M_TESTS[i]}; do
			case $t in *.bats) ;; *) echo "tests/unit/$t" ;; esac
		done
	done | sort -u
}

# Build the unit tests; those that cannot be built are left out (named).
build_units() {
	local t
	UNAVAILABLE=" "
	for t in $(unit_targets); do
		if [ ! -f "$SRC/$t.c" ] ||
			! make -C "$BUILD" -s "$t" >>"$LOG/build.log" 2>&1; then
			UNAVAILABLE+="${t##*/} "
		fi
	done
	[ "$UNAVAILABLE" = " " ] ||
		say "unit tests not in the tree (left out):$UNAVAILABLE"
}

# Rebuild after a change: the command, then the unit tests it needs (two
# makes: one make given both would build the library twice at once).
rebuild() {
	local i=$1 t targets=()
	for t in ${M_TESTS[i]}; do
		case $t in
		*.bats) ;;
		*) case $UNAVAILABLE in *" $t "*) ;; *) targets+=("tests/unit/$t") ;; esac ;;
		esac
	done
	make -C "$BUILD" -s -j"$MAKE_JOBS" >"$2" 2>&1 || return 1
	[ ${#targets[@]} -eq 0 ] ||
		make -C "$BUILD" -s -j"$MAKE_JOBS" "${targets[@]}" >>"$2" 2>&1
}

# --- running tests ---------------------------------------------------------

# Kill what a test run left behind: every process carrying our marker.
kill_leftovers() {
	local p pids=()
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = $$ ] && continue
		if grep -qsxzF "MPRUN_MUTATION_RUN=$MARK" "/proc/$p/environ"; then
			pids+=("$p")
		fi
	done
	[ ${#pids[@]} -eq 0 ] || kill -KILL "${pids[@]}" 2>/dev/null
	return 0
}

# Is the test process still running (not gone, not a zombie)?
test_alive() {
	local st
	kill -0 "$TESTPID" 2>/dev/null || return 1
	read -r st 2>/dev/null <"/proc/$TESTPID/stat" || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

# End the running test: its process group (it is a session of its own),
# then whatever else carries our marker (jobs in groups of their own).
# SIGKILL, not TERM: bats would run the teardown of a test whose setup it
# interrupted, and "pkill -f -- $M" with M not set yet kills every process.
stop_test() {
	[ -n "${TESTPID:-}" ] || return 0
	kill -KILL -- -"$TESTPID" 2>/dev/null
	wait "$TESTPID" 2>/dev/null
	TESTPID=
	kill_leftovers
}

# Run one test ($1) with at most $2 seconds, output to $3; it is ended at
# its first failure. 0 passed, 1 failed, 3 timed out; TEST_NOTE says what
# failed, or that every test of it skipped.
run_one() {
	local t=$1 deadline=$((SECONDS + $2)) out=$3 rc cmd
	case $t in
	*.bats) cmd=("$BATS" --tap "$SRC/tests/$t") ;;
	*) cmd=("$SRC/tests/unit/run-unit" "$BUILD/tests/unit/$t") ;;
	esac
	(cd "$BUILD" && exec setsid env MPRUN_MUTATION_RUN="$MARK" \
		MPRUN="$BUILD/cmd/mprun" MPRUN_SRCDIR="$SRC" MPRUN_SANITIZED= \
		BATS_TEST_TIMEOUT="$BATS_TEST_TIMEOUT" "${cmd[@]}") \
		</dev/null >"$out" 2>&1 &
	TESTPID=$!
	rc=
	while test_alive; do
		if grep -qs '^not ok\|^Bail out' "$out"; then
			rc=1
			break
		fi
		if [ $SECONDS -ge $deadline ]; then
			rc=124
			break
		fi
		sleep 0.5
	done
	if [ -z "$rc" ]; then
		wait "$TESTPID"
		rc=$?
		TESTPID=
	fi
	stop_test
	kill_leftovers
	TEST_NOTE=
	if [ $rc -eq 124 ]; then
		TEST_NOTE="$t: timed out"
		return 3
	fi
	if [ $rc -ne 0 ] || grep -q '^not ok\|^Bail out' "$out"; then
		TEST_NOTE="$t: $(grep -m1 '^not ok\|^Bail out' "$out" |
			sed 's/^not ok [0-9]* *-* *//' | cut -c1-70)"
		[ "$TEST_NOTE" = "$t: " ] && TEST_NOTE="$t: exit $rc"
		return 1
	fi
	if ! grep -q '^ok' "$out" || ! grep '^ok' "$out" | grep -vqi '# skip'; then
		TEST_NOTE="$t: all skipped"
	fi
	return 0
}

# Run the tests of mutation i until one fails, within the timeout.
# Sets RESULT and BY.
run_tests() {
	local i=$1 t start left rc skipped=""
	start=$SECONDS
	RESULT="not caught" BY=
	for t in ${M_TESTS[i]}; do
		case $UNAVAILABLE$DROPPED in *" $t "*) continue ;; esac
		left=$((timeout_s - (SECONDS - start)))
		if [ $left -le 0 ]; then
			RESULT=hung BY="timed out before $t"
			return
		fi
		run_one "$t" "$left" "$LOG/${M_ID[i]}.$t.log"
		rc=$?
		# setup_file only starts a service (sshd, Slurm): its failure
		# says nothing of the mutation; once more, then an error
		if [ $rc -eq 1 ] && [[ $TEST_NOTE == *"setup_file failed"* ]]; then
			left=$((timeout_s - (SECONDS - start)))
			run_one "$t" "$((left > 0 ? left : 1))" "$LOG/${M_ID[i]}.$t.log"
			rc=$?
			if [ $rc -eq 1 ] && [[ $TEST_NOTE == *"setup_file failed"* ]]; then
				RESULT=error BY="$TEST_NOTE (the service did not start)"
				return
			fi
		fi
		case $rc in
		1) RESULT=caught BY=$TEST_NOTE; return ;;
		3) RESULT=hung BY=$TEST_NOTE; return ;;
		esac
		[ -n "$TEST_NOTE" ] && skipped+="$TEST_NOTE; "
	done
	BY=${skipped%; }
}

# Run every test the selected mutations name on the unmutated build.
run_baseline() {
	local t tests failed=()
	DROPPED=" "
	tests=$(for i in "${SEL[@]}"; do printf '%s\n' ${M_TESTS[i]}; done |
		sort -u)
	say "baseline: the tests on the unmutated build"
	for t in $tests; do
		case $UNAVAILABLE in *" $t "*) continue ;; esac
		if ! run_one "$t" "$timeout_s" "$LOG/baseline.$t.log" ||
			[ -n "$TEST_NOTE" ]; then
			# once more: a slow moment is not a failing test
			run_one "$t" "$timeout_s" "$LOG/baseline.$t.log" && {
				[ -z "$TEST_NOTE" ] || say "baseline: $TEST_NOTE"
				continue
			}
			say "baseline: $TEST_NOTE (log: $LOG/baseline.$t.log)"
			failed+=("$t")
		fi
	done
	[ ${#failed[@]} -eq 0 ] && return
	if [ $drop_failing -eq 1 ]; then
		DROPPED+="${failed[*]} "
		say "left out, failing unmutated:$DROPPED"
		return
	fi
	echo "mutation-check: tests fail on the unmutated tree: ${failed[*]}" >&2
	echo "(fix them, or run with --drop-failing)" >&2
	exit 2
}

# --continue: take the results the output file has; leave those mutations
# out of the selection.
load_results() {
	local id file res t by what k keep=()
	[ -f "$output" ] || return 0
	while IFS=$'\t' read -r id file res t by what; do
		[ -n "$id" ] || continue
		R_ID+=("$id") R_FILE+=("$file") R_RES+=("$res") R_TIME+=("$t")
		R_BY+=("$by") R_WHAT+=("$what")
	done <"$output"
	for i in "${SEL[@]}"; do
		for k in "${!R_ID[@]}"; do
			[ "${R_ID[k]}" = "${M_ID[i]}" ] && continue 2
		done
		keep+=("$i")
	done
	say "--continue: ${#R_ID[@]} results kept from $output"
	SEL=(${keep[@]+"${keep[@]}"})
}

# --- one mutation ------------------------------------------------------------

# Apply, rebuild, test and revert mutation i; appends to the results.
run_mutation() {
	local i=$1 f=$SRC/${M_FILE[i]} t0=$SECONDS
	RESULT= BY=
	if [ ! -f "$f" ]; then
		RESULT="not applied" BY="${M_FILE[i]}: no such file"
	elif ! cp "$f" "$WORK/orig" || ! mutate_copy "$f" "$WORK/mutated" "$i"; then
		RESULT="not applied" BY=$WHY
	else
		CURRENT=$f
		printf '%s\n' "$f" >"$WORK/current"
		cat "$WORK/mutated" >"$f"
		if ! rebuild "$i" "$LOG/${M_ID[i]}.build.log"; then
			RESULT="build failed" BY="log: $LOG/${M_ID[i]}.build.log"
		else
			run_tests "$i"
		fi
		cat "$WORK/orig" >"$f"
		CURRENT=
		rm -f "$WORK/current"
	fi
	R_ID+=("${M_ID[i]}") R_FILE+=("${M_FILE[i]}") R_RES+=("$RESULT")
	R_TIME+=($((SECONDS - t0))) R_BY+=("$BY") R_WHAT+=("${M_WHAT[i]}")
	printf '%-28s %-18s %-12s %4ss  %s\n' "${M_ID[i]}" "${M_FILE[i]}" \
		"$RESULT" $((SECONDS - t0)) "$BY" >&2
	if [ -n "$output" ]; then
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "${M_ID[i]}" "${M_FILE[i]}" \
			"$RESULT" $((SECONDS - t0)) "$BY" "${M_WHAT[i]}" >>"$output"
	fi
}

# The table, the survivors with what they break, and the summary line;
# the exit status.
report() {
	local k caught=0 missed=0 hung=0 napp=0 bfail=0 scored score rc=0
	echo
	printf '%-28s %-18s %-12s %s\n' ID FILE RESULT WHAT
	for k in "${!R_ID[@]}"; do
		printf '%-28s %-18s %-12s %s\n' "${R_ID[k]}" "${R_FILE[k]}" \
			"${R_RES[k]}" "${R_WHAT[k]}"
		case ${R_RES[k]} in
		caught) caught=$((caught + 1)) ;;
		"not caught") missed=$((missed + 1)) ;;
		hung) hung=$((hung + 1)) ;;
		"not applied") napp=$((napp + 1)) ;;
		"build failed" | error) bfail=$((bfail + 1)) ;;
		esac
	done
	if [ $((missed + hung + napp + bfail)) -gt 0 ]; then
		echo
		echo "Not caught, hung or not run:"
		for k in "${!R_ID[@]}"; do
			[ "${R_RES[k]}" = caught ] && continue
			printf '  %s (%s): %s%s\n' "${R_ID[k]}" "${R_RES[k]}" \
				"${R_WHAT[k]}" "${R_BY[k]:+ [${R_BY[k]}]}"
		done
	fi
	scored=$((caught + missed + hung))
	score=0.0
	[ $scored -gt 0 ] &&
		score=$(awk -v c=$caught -v n=$scored 'BEGIN{printf "%.1f", 100*c/n}')
	echo
	[ $((napp + bfail)) -eq 0 ] ||
		echo "mutation-check: $napp not applied, $bfail build failed or error (see above)"
	echo "mutation-check: $caught caught, $missed not caught, $hung hung, score $score%"
	awk -v s="$score" -v m=$MIN_SCORE 'BEGIN{exit !(s < m)}' && rc=1
	[ $((hung + napp + bfail)) -eq 0 ] || rc=1
	return $rc
}

# --- main ------------------------------------------------------------------

# PORT: a TCP port of the loopback that nothing listens on and that this
# run did not pick already (random, 20000-59999).
pick_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		case " $TAKEN " in *" $p "*) continue ;; esac
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
		TAKEN+=" $p"
		PORT=$p
		return
	done
}

cleanup() {
	stop_test
	[ -n "${CURRENT:-}" ] && cat "$WORK/orig" >"$CURRENT" 2>/dev/null &&
		rm -f "$WORK/current"
	if [ -n "${MARK:-}" ]; then
		kill_leftovers
		MPRUN_SSHD_DIR=$WORK/sshd "$SRC/tests/services/sshd.sh" stop \
			>/dev/null 2>&1
		MPRUN_SLURM_DIR=$WORK/slurm "$SRC/tests/services/slurm.sh" stop \
			>/dev/null 2>&1
	fi
	if [ $keep -eq 0 ] && [ -n "${WORK:-}" ]; then
		rm -rf "$WORK"
	elif [ -n "${WORK:-}" ]; then
		say "scratch kept: $WORK (logs in $LOG)"
	fi
}

load_list
select_mutations
if [ $check_only -eq 1 ]; then
	check_list
	exit
fi

if [ -n "$work" ]; then
	mkdir -p "$work" || exit 2
	WORK=$(cd "$work" && pwd)
else
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/mprun-mutation.XXXXXX") || exit 2
	# sshd reads the test user's authorized_keys in here as that user
	chmod 755 "$WORK"
fi
SRC=$WORK/src BUILD=$WORK/build LOG=$WORK/log
MARK=mutation-$$-$RANDOM
CURRENT= TESTPID=
R_ID=() R_FILE=() R_RES=() R_TIME=() R_BY=() R_WHAT=()
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
mkdir -p "$LOG"
if [ $continue -eq 1 ]; then
	load_results
elif [ -n "$output" ]; then
	: >"$output"
fi

# The tests' services: directories and ports of this run only (two checks
# at once, or a check beside a make check, must not share an sshd).
TAKEN=
pick_port; MPRUN_SSHD_PORT_A=$PORT
pick_port; MPRUN_SSHD_PORT_B=$PORT
pick_port; MPRUN_SSHD_PORT_DEAD=$PORT
pick_port; MPRUN_SLURM_CTLD_PORT=$PORT
pick_port; MPRUN_SLURM_SLURMD_PORT=$PORT
export MPRUN_SSHD_DIR=$WORK/sshd MPRUN_SSHD_PORT_A MPRUN_SSHD_PORT_B \
	MPRUN_SSHD_PORT_DEAD
export MPRUN_SLURM_DIR=$WORK/slurm MPRUN_SLURM_CTLD_PORT \
	MPRUN_SLURM_SLURMD_PORT

if [ -d "$SRC" ]; then
	say "reusing the copy in $SRC"
	# a run killed in the middle of a mutation left it in the copy
	if [ -s "$WORK/current" ] && [ -f "$WORK/orig" ]; then
		say "reverting the mutation left in $(cat "$WORK/current")"
		cat "$WORK/orig" >"$(cat "$WORK/current")" && rm -f "$WORK/current"
	fi
else
	say "copying the working tree to $SRC"
	copy_tree
fi
build_tree
build_units
DROPPED=" "
[ $baseline -eq 1 ] && run_baseline
say "${#SEL[@]} mutations, one at a time (timeout ${timeout_s}s each)"
for i in "${SEL[@]}"; do
	run_mutation "$i"
done
report
