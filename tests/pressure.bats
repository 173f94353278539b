#!/usr/bin/env bats
# Held output under pressure: thousands of finished jobs held behind a slow
# one (-k) in bounded memory and descriptors; a small ulimit -n; a spill
# directory that fills up.

load setup

# Files blob.0 .. blob.N-1 of SIZE random bytes each.
_pr_make_blobs() {
	local n=$1 size=$2 i
	for ((i = 0; i < n; i++)); do
		head -c "$size" /dev/urandom >"blob.$i"
	done
}

# Wait (up to 30 s) until the job log $1 has $2 jobs: they have finished
# (and are held, behind the first).
_pr_wait_finished() {
	local log=$1 n=$2 i
	for ((i = 0; i < 300; i++)); do
		[ -e "$log" ] && [ "$(($(wc -l <"$log") - 1))" -ge "$n" ] && return 0
		sleep 0.1
	done
	echo "only $(($(wc -l <"$log") - 1)) of $n jobs finished" >&2
	return 1
}

# The peak resident memory of process $1 in kB (VmHWM), empty when gone.
_pr_peak_kb() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# Open the gate that job 1 reads: it ends (if mprun is gone, give up
# after 5 s rather than wait for a reader for ever).
_pr_release() {
	timeout 5 sh -c 'echo released >gate'
}

# Is file $1 mprun's -k output: "released", then the files listed in
# inputs after its first line?
_pr_check_out() {
	[ "$(head -c 9 "$1")" = released ] &&
		tail -c +10 "$1" | cmp - <(sed 1d inputs | tr '\n' '\0' | xargs -0 cat)
}

# Unmount the tmpfs of a test, whatever happened.
teardown() {
	if mountpoint -q "$BATS_TEST_TMPDIR/small" 2>/dev/null; then
		umount "$BATS_TEST_TMPDIR/small" || :
	fi
}

@test "-k behind a slow job: 3000 held 100 kB outputs come out exact, mprun under 128 MB and 40 descriptors" {
	_pr_make_blobs 7 100000
	mkfifo gate
	# Job 1 reads the gate: it ends when the test opens it. The 3000
	# others finish meanwhile and are held (300 MB in all).
	{
		echo gate
		for ((i = 1; i <= 3000; i++)); do echo "blob.$((i % 7))"; done
	} >inputs
	"$MPRUN" -k -j4 --joblog log cat <inputs >out 2>err &
	pid=$!
	_pr_wait_finished log 3000 || {
		_pr_release
		wait "$pid"
		false
	}
	fds=$(ls "/proc/$pid/fd" | wc -l)
	_pr_release
	# the peak, while the held output is written too
	while peak_now=$(_pr_peak_kb "$pid") && [ -n "$peak_now" ]; do
		peak=$peak_now
		sleep 0.05
	done
	wait "$pid"
	echo "# held: $fds descriptors; peak RSS $peak kB" >&3
	[ ! -s err ]
	[ "$fds" -lt 40 ]
	[ "$peak" -lt $((128 * 1024)) ]
	_pr_check_out out
}

@test "ulimit -n 64, -k behind a slow job: all 501 lines of 500 held jobs arrive" {
	mkfifo gate
	{
		echo gate
		seq 500
	} >inputs
	(
		ulimit -n 64
		exec "$MPRUN" -k -j4 --joblog log \
			'if [ {} = gate ]; then cat gate; else echo {}; fi' \
			<inputs >out 2>err
	) &
	pid=$!
	_pr_wait_finished log 500 || {
		_pr_release
		wait "$pid"
		cat err >&2
		false
	}
	_pr_release
	wait "$pid"
	cat err >&2
	[ ! -s err ]
	[ "$(cat out)" = "$(
		echo released
		seq 500
	)" ]
}

@test "ulimit -n 64, --buffer-size 4K: 500 held jobs that spill keep their output exact" {
	_pr_make_blobs 3 20000
	mkfifo gate
	{
		echo gate
		for ((i = 1; i <= 500; i++)); do echo "blob.$((i % 3))"; done
	} >inputs
	(
		ulimit -n 64
		exec "$MPRUN" -k -j4 --buffer-size 4K --joblog log cat \
			<inputs >out 2>err
	) &
	pid=$!
	_pr_wait_finished log 500 || {
		_pr_release
		wait "$pid"
		cat err >&2
		false
	}
	_pr_release
	wait "$pid"
	cat err >&2
	[ ! -s err ]
	_pr_check_out out
}

# Run mprun with held output (2 MB, past --buffer-size 4K) that cannot
# all be kept in the spill directory, within 30 s; $@ are more options.
# A test may set PR_ULIMIT_F to run it under ulimit -f (SIGXFSZ ignored).
_pr_spill_run() {
	_pr_make_blobs 3 200000
	run timeout 30 bash -c '
		if [ -n "${PR_ULIMIT_F:-}" ]; then
			trap "" XFSZ
			ulimit -f "$PR_ULIMIT_F"
		fi
		exec "$@" 2>&1' sh "$MPRUN" -k -j4 --buffer-size 4K "$@" \
		'[ {} != blob.0 ] || sleep 1; cat {}' \
		::: blob.0 blob.1 blob.2 blob.1 blob.2 blob.1 blob.2 blob.1 \
		blob.2 blob.1 blob.2
	echo "# status $status: ${output:0:200}" >&3
	[ "$status" -ne 124 ] # not the timeout
	[ "$status" -ne 0 ]
}

@test "a full spill directory (--tmpdir on a 1 MB tmpfs): a clear error naming it, non-zero, no hang" {
	[ "$(id -u)" -eq 0 ] || skip "mounting a tmpfs needs root"
	mkdir small
	mount -t tmpfs -o size=1m tmpfs small || skip "cannot mount a tmpfs here"
	_pr_spill_run --tmpdir "$T/small"
	[[ "$output" == *"cannot keep its output: $T/small: No space left on device"* ]]
}

@test "a spill file past ulimit -f (in TMPDIR): a clear error naming it, non-zero, no hang" {
	mkdir spill
	PR_ULIMIT_F=1024 TMPDIR=$T/spill _pr_spill_run
	[[ "$output" == *"cannot keep its output: $T/spill: File too large"* ]]
}
