#!/usr/bin/env bats
# GNU parallel's dynamic limits on starting jobs (issue 16): --load,
# --memfree, --limit (lib/throttle). What they let run is compared with
# GNU parallel (stdout and exit status); that they hold jobs back, and
# that --limit's 2 ends the youngest job to run it again, is shown by the
# order of events, never by timing.

bats_require_minimum_version 1.5.0
load setup
load gnu

# The machine's memory in KiB.
_mem_total_kb() {
	awk '/^MemTotal:/ { print $2 }' /proc/meminfo
}

@test "compat: --load, --memfree, --limit that let the jobs start" {
	same --load 100000 echo ::: a b c
	same --load 100000% echo ::: a b
	same --load +100000 echo ::: a b
	same --memfree 1k echo ::: a b c
	same --memfree 1K sh -c 'exit {}' ::: 0 3
	same --limit true echo ::: a b c
	same --limit 'exit 0' -j1 echo ::: a b
	same --limit 'mem 1k' echo ::: a b
	same --limit 'load 100000' echo ::: a b
}

@test "--limit: 1 holds the jobs back until the command says 0" {
	# says 1 its first three times, then 0
	cat >lim <<'SH'
#!/bin/sh
n=$(( $(cat count 2>/dev/null || echo 0) + 1 )); echo $n >count
echo "limit $n" >>log
[ $n -le 3 ] && exit 1
exit 0
SH
	chmod +x lim
	run "$MPRUN" -k -j2 --limit ./lim 'echo {}; echo "job {}" >>log' \
		::: a b c
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a\nb\nc')" ]
	# no job before the command's fourth run; one run (at least) a job
	[ "$(grep -m1 -n job log | cut -d: -f1)" -gt 4 ]
	[ "$(sed -n 4p log)" = "limit 4" ]
	[ "$(grep -c limit log)" -ge 6 ]
}

@test "--limit: 2 ends the youngest job, which runs again, not as a retry" {
	# 0 twice (jobs 1 and 2 start), 2 (job 2 is ended), then 0 and the
	# file that lets job 2 end; job 1 waits for job 2's second start
	cat >lim <<'SH'
#!/bin/sh
n=$(( $(cat count 2>/dev/null || echo 0) + 1 )); echo $n >count
[ $n -eq 3 ] && exit 2
[ $n -ge 4 ] && : >released
exit 0
SH
	chmod +x lim
	# job 2 fails its second try (the first was ended): --retries 1 runs
	# it a third time, as the ended try used none of it
	cat >job <<'SH'
#!/bin/sh
echo "start $1" >>log
if [ "$1" = 1 ]; then
	until [ "$(grep -c 'start 2' log)" -ge 2 ]; do sleep 0.05; done
else
	until [ -e released ]; do sleep 0.05; done
	[ "$(grep -c 'start 2' log)" -eq 2 ] && exit 1
fi
echo "done $1"
SH
	chmod +x job
	run --separate-stderr "$MPRUN" -k -j2 --retries 1 --joblog jl \
		--limit ./lim ./job ::: 1 2
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'done 1\ndone 2')" ]
	[ "$(grep -c 'start 2' log)" -eq 3 ]
	[ "$(grep -c 'start 1' log)" -eq 1 ]
	grep -q -- '--limit: ending job 2, the youngest; it runs again later' \
		<<<"$stderr"
	# each job logged once, as it ended the last time: succeeded
	[ "$(awk 'NR > 1 && $7 == 0' jl | wc -l)" -eq 2 ]
}

@test "--limit: the only job running is never ended" {
	# 0 once (the job starts), then 2
	cat >lim <<'SH'
#!/bin/sh
echo x >>calls
[ "$(wc -l <calls)" -eq 1 ] && exit 0
exit 2
SH
	cat >job <<'SH'
#!/bin/sh
until [ "$(wc -l <calls)" -ge 3 ]; do sleep 0.05; done
echo "ok $1"
SH
	chmod +x lim job
	# the job waits until the command said 2 twice while it ran alone
	run --separate-stderr "$MPRUN" -j2 --limit ./lim ./job ::: a
	[ "$status" -eq 0 ]
	[ "$output" = "ok a" ]
	! grep -q ending <<<"$stderr"
}

@test "--memfree above the free memory: no job starts; SIGTERM ends it" {
	local kb pid
	kb=$(_mem_total_kb)
	# MemAvailable is always below MemTotal
	"$MPRUN" --memfree "$((kb - 1))K" touch ran ::: a b 2>err &
	pid=$!
	# let it ask a few times (10 ms, doubling) and still wait
	sleep 0.5
	[ ! -e ran ]
	kill -0 "$pid"
	kill -TERM "$pid"
	wait "$pid" || true
	[ ! -e ran ]
}

@test "--memfree: --dry-run does not wait for memory" {
	local kb
	kb=$(_mem_total_kb)
	run "$MPRUN" --dry-run --memfree "$((kb - 1))K" echo ::: a
	[ "$status" -eq 0 ]
	[ "$output" = "echo a" ]
}

_refused() {
	rm -f ran
	run --separate-stderr "$MPRUN" "$@"
	[ "$status" -eq 255 ]
	[ -z "$output" ]
	[ ! -e ran ]
	grep -qF -- "$MSG" <<<"$stderr" || {
		printf 'stderr: %s\n' "$stderr" >&2
		return 1
	}
}

@test "--load, --memfree, --limit: bad values are refused before running" {
	MSG='--load: "x" is not a number of processes' _refused \
		--load x touch ran ::: a
	MSG='--load: "50%x" is not' _refused --load 50%x touch ran ::: a
	MSG='--load needs an argument' _refused --load
	MSG='--memfree: "lots" is not a size' _refused \
		--memfree lots touch ran ::: a
	MSG='--memfree: "0" is not a size' _refused --memfree 0 touch ran ::: a
	MSG="--memfree 1000T: more than this machine's memory" _refused \
		--memfree 1000T touch ran ::: a
	MSG="--limit mem 1000T: more than this machine's memory" _refused \
		--limit 'mem 1000T' touch ran ::: a
	MSG="--limit \"io 10\": GNU parallel's I/O limit is not built" \
		_refused --limit 'io 10' touch ran ::: a
	MSG='--limit: the command is empty' _refused --limit ' ' touch ran ::: a
	MSG='--load: not with --workers' _refused --load 9 --workers cat
	MSG='--memfree: not with -S/--slf (it looks at this machine only)' \
		_refused --memfree 1k -S host touch ran ::: a
	MSG='--load: not with --slurm' _refused --load 9 --slurm touch ran ::: a
}
