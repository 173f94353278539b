# Loaded by every bats file: finds the mprun under test and gives each test
# its own empty working directory $T (removed by bats afterwards).

: "${MPRUN:=$BATS_TEST_DIRNAME/../_build/cmd/mprun}"
: "${MPRUN_SRCDIR:=$BATS_TEST_DIRNAME/..}"
export MPRUN MPRUN_SRCDIR

setup() {
	T=$BATS_TEST_TMPDIR
	cd "$T" || return 1
	[ -x "$MPRUN" ] || {
		echo "mprun not built: $MPRUN" >&2
		return 1
	}
}

# Live descendants of this shell whose command line contains $1 (empty when
# none): used to check that no job was left running.
leftovers() {
	pgrep -f -- "$1" || true
}
