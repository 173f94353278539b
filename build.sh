#!/bin/sh
# Build mprun from a fresh clone and check it.
#
#   ./build.sh        install what is missing (as root), build, run an example
#   ./build.sh test   build, then run the whole test suite twice: once as
#                     built, once built with ASan+UBSan (the fuzz targets'
#                     reproducers and seed corpora included), and beside
#                     that second run each libFuzzer target a few seconds
#                     (make fuzz-smoke); ends with the line
#                     "N passed, N failed"
#
# Build trees: _build/ (normal) and _asan/ (sanitizers), both out of tree.
set -eu

cd "$(dirname "$0")"
top=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)
# Test files mostly wait (for jobs, timers, services): build.sh test runs
# three a core where starting a process takes under 2 ms, two a core where
# it is slower (on a machine where it takes 4 ms, three a core make the
# tests that time mprun's answer to Ctrl-C see the load).
# MPRUN_CHECK_JOBS=N says how many.
check_jobs=${MPRUN_CHECK_JOBS:-}

# Microseconds to start a process here: the least of three rounds of 100.
spawn_us() {
	best=
	for round in 1 2 3; do
		t0=$(date +%s%N)
		i=0
		while [ $i -lt 100 ]; do
			/bin/true
			i=$((i + 1))
		done
		t=$((($(date +%s%N) - t0) / 100000))
		[ -n "$best" ] && [ "$best" -le "$t" ] || best=$t
	done
	echo "$best"
}

# Debian packages the build and the tests need.
PACKAGES="gcc make autoconf automake pkg-config libpcre2-dev libyaml-dev bats procps"
# The test suite's real services (a loopback sshd and a one-node Slurm),
# what the man page lint and the zsh/fish completion tests run, GNU
# parallel, which tests/compat*.bats compare mprun with, xmllint for the
# --report tests, tmux for the terminal tests, clang for the sanitizer
# tree and the libFuzzer targets (make fuzz-smoke), python3 for the tests
# that write hostile files or ignore SIGCHLD with it (fish pulls it in
# too).
TEST_PACKAGES="openssh-server openssh-client munge slurmctld slurmd slurm-client mandoc zsh fish parallel libxml2-utils tmux clang libclang-rt-dev python3"
# Seconds each fuzz target runs in ./build.sh test.
FUZZ_SMOKE_TIME=${FUZZ_SMOKE_TIME:-3}

say() { printf '==> %s\n' "$*" >&2; }

# The packages of the list $1 that are not installed.
missing_of() {
	for p in $1; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || printf ' %s' "$p"
	done
}

# Install what is missing (as root): $1 is needed, $2 only for the tests
# of real services (without them, as non-root, those tests skip).
install_deps() {
	need=$(missing_of "$PACKAGES")
	want=$(missing_of "$2")
	[ -z "$need$want" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		[ -n "$want" ] && say "not root: the tests that need$want skip"
		[ -z "$need" ] && return 0
		say "missing Debian packages:$need (run as root, or apt-get install them)"
		exit 1
	fi
	say "installing:$need$want"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || apt-get update
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $need $want >/dev/null
}

# Configure and build into directory $1 with extra configure arguments.
build_tree() {
	dir=$1
	shift
	[ -x configure ] && [ configure -nt configure.ac ] &&
		[ configure -nt Makefile.am ] || {
		say "autoreconf"
		autoreconf -fi >/dev/null
	}
	mkdir -p "$dir"
	# configured again when configure changed or was run with other
	# arguments (kept in $dir/.configure-args)
	if [ ! -f "$dir/Makefile" ] || [ "$dir/config.status" -ot configure ] ||
		[ "$*" != "$(cat "$dir/.configure-args" 2>/dev/null)" ]; then
		say "configure $* ($dir)"
		(cd "$dir" && "$top/configure" -q "$@")
		printf '%s\n' "$*" >"$dir/.configure-args"
	fi
	say "make ($dir)"
	make -s -C "$dir" -j"$jobs" >/dev/null
}

# Run make check in $1; print the failed logs; record counts in $counts.
check_tree() {
	dir=$1
	say "make check ($dir)"
	rm -f "$dir/test-suite.log"
	make -s -C "$dir" -j"$check_jobs" check >"$dir/check.out" 2>&1 || true
	log=$dir/test-suite.log
	if [ ! -f "$log" ]; then
		say "no test-suite.log in $dir: make check stopped early"
		tail -30 "$dir/check.out" >&2
		echo "0 1" >>"$counts"
		return
	fi
	# The failures' own logs, for a reader of the CI output.
	awk '/^(FAIL|ERROR|XPASS):/{print}' "$log" >&2
	grep -l '^not ok\|^Bail out' "$dir"/tests/*.log "$dir"/tests/unit/*.log \
		2>/dev/null | while read -r f; do
		say "$f"
		grep -B2 -A15 '^not ok\|^Bail out' "$f" | head -60 >&2
	done
	awk '/^# PASS:/{p=$3} /^# FAIL:/{f+=$3} /^# XPASS:/{f+=$3}
	     /^# ERROR:/{f+=$3} END{print p+0, f+0}' "$log" >>"$counts"
}

# make fuzz-smoke in $1, $2 targets at a time: each fuzz target
# $FUZZ_SMOKE_TIME s; its "PASS: fuzz_NAME" and "FAIL: fuzz_NAME" lines
# counted in $counts.
fuzz_smoke() {
	say "make fuzz-smoke ($1, $FUZZ_SMOKE_TIME s each)"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		make -s -C "$1" fuzz-smoke FUZZ_SMOKE_TIME="$FUZZ_SMOKE_TIME" \
		FUZZ_JOBS="$2" >"$1/fuzz-smoke.out" 2>&1 || true
	grep '^FAIL: ' "$1/fuzz-smoke.out" >/dev/null && cat "$1/fuzz-smoke.out" >&2
	awk '/^PASS: fuzz_/{p++} /^FAIL: fuzz_/{f++}
	     END{if (p + f == 0) f = 1; print p+0, f+0}' "$1/fuzz-smoke.out" >>"$counts"
}

case ${1:-} in
test) install_deps "$PACKAGES" "$TEST_PACKAGES" ;;
*) install_deps "$PACKAGES" "" ;;
esac
case ${1:-} in
'')
	build_tree _build
	say "example: examples/hello.sh"
	MPRUN="$top/_build/cmd/mprun" sh examples/hello.sh
	;;
test)
	counts=$(mktemp)
	# GNU parallel's answers in tests/compat.bats, kept for the second
	# build's suite (GNU parallel is slow to start)
	MPRUN_COMPAT_CACHE=$(mktemp -d)
	export MPRUN_COMPAT_CACHE
	trap 'rm -rf "$counts" "$MPRUN_COMPAT_CACHE"' EXIT
	build_tree _build
	# the test programs that make check starts first (built on demand,
	# they would start last)
	make -s -C _build -j"$jobs" check-programs-long >/dev/null
	if [ -z "$check_jobs" ]; then
		us=$(spawn_us)
		if [ "$us" -lt 2000 ]; then
			check_jobs=$((jobs * 3))
		else
			check_jobs=$((jobs * 2))
		fi
		say "starting a process takes $us us here: $check_jobs test files at a time"
	fi
	# The sanitizer tree builds while the plain suite runs (which mostly
	# waits); what the build said is shown after that suite's results.
	asan_log=$(mktemp)
	trap 'rm -rf "$counts" "$asan_log" "$MPRUN_COMPAT_CACHE"' EXIT
	# -O0 (configure's CFLAGS override --enable-debug's own): clang with
	# the sanitizers compiles the tree and its 47 test programs in a
	# third of the CPU time -O1 takes (about 21 s instead of 64 s here),
	# and the suite's mprun runs spend about 10 s more in all. With clang
	# the tree is instrumented for libFuzzer too (--enable-fuzzing), and
	# the fuzz targets link with it.
	fuzz= fuzz_args=
	if command -v clang >/dev/null 2>&1; then
		fuzz=yes fuzz_args="CC=clang --enable-fuzzing"
	else
		say "no clang: the sanitizer tree is built with gcc and make fuzz-smoke does not run"
	fi
	# (niced: the plain suite's timed tests come first)
	{
		renice -n 10 -p "$(exec sh -c 'echo $PPID')" >/dev/null 2>&1 || :
		# shellcheck disable=SC2086 # fuzz_args is a list
		build_tree _asan --enable-sanitizers --enable-debug \
			CFLAGS='-O0 -g' $fuzz_args &&
			# its test programs too, so that its suite does not
			# build them
			make -s -C _asan -j"$jobs" check-programs >/dev/null &&
			if [ -n "$fuzz" ]; then
				say "make fuzz (_asan)"
				make -s -C _asan -j"$jobs" fuzz >/dev/null
			fi
	} >"$asan_log" 2>&1 &
	asan_build=$!
	check_tree _build
	if wait "$asan_build"; then
		cat "$asan_log" >&2
		# The fuzz targets run one at a time (make fuzz-smoke, each
		# $FUZZ_SMOKE_TIME s of wall time), niced, beside the sanitizer
		# suite, which leaves a core idle now and then.
		smoke=
		if [ -n "$fuzz" ]; then
			{
				renice -n 10 -p "$(exec sh -c 'echo $PPID')" \
					>/dev/null 2>&1 || :
				fuzz_smoke _asan 1
			} &
			smoke=$!
		fi
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
		export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
		check_tree _asan
		[ -z "$smoke" ] || wait "$smoke"
	else
		cat "$asan_log" >&2
		say "the sanitizer build failed"
		echo "0 1" >>"$counts"
	fi
	awk '{p+=$1; f+=$2} END{printf "%d passed, %d failed\n", p, f;
	     exit f > 0}' "$counts"
	;;
*)
	echo "usage: $0 [test]" >&2
	exit 2
	;;
esac
