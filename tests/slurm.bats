#!/usr/bin/env bats
# Jobs as Slurm steps (--slurm, --slurm-cpus, --slurm-alloc) on a one-node
# cluster of our own (tests/services/slurm.sh, started once for the file):
# inside salloc, with an allocation of mprun's own, quoting, exit statuses,
# the Host column, and that Ctrl-C, --timeout or a killed mprun leave no
# step running and no allocation behind.

load setup

setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (starts slurmctld, slurmd, munged)"
	local svc=$MPRUN_SRCDIR/tests/services/slurm.sh
	if ! "$svc" start >"$BATS_FILE_TMPDIR/slurm.log" 2>&1; then
		command -v slurmctld >/dev/null ||
			skip "Slurm is missing and could not be installed"
		cat "$BATS_FILE_TMPDIR/slurm.log" >&3
		return 1
	fi
	eval "$("$svc" env)"
	export SLURM_CONF
}

teardown_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	"$MPRUN_SRCDIR/tests/services/slurm.sh" stop >/dev/null 2>&1 || :
}

# setup.bash's setup; no allocation inherited; $N unique to this test.
eval "_slurm_base_$(declare -f setup)"
setup() {
	_slurm_base_setup || return 1
	unset SLURM_JOB_ID SLURM_JOBID
	N=$((200000 + RANDOM * 3 + BATS_TEST_NUMBER))
	pid=
}

# The most jobs seen running at once in the file "conc", where each job
# wrote "s" when it started and "e" before it ended.
maxconc() {
	awk '$1 == "s" { c++; if (c > m) m = c } $1 == "e" { c-- } END { print m + 0 }' conc
}

teardown() {
	[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || :
	jobs_left | xargs -r scancel 2>/dev/null || :
	pkill -KILL -f -- "sleep $N" || :
}

# Slurm jobs (allocations) and steps that are still there.
jobs_left() { squeue -h -o %A 2>/dev/null; }
steps_left() { squeue -h -s -o %i 2>/dev/null; }

# Wait (at most 10 s) until the cluster runs n steps.
wait_steps() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(steps_left | wc -l)" -ge "$1" ] && return 0
		sleep 0.05
	done
	echo "fewer than $1 steps started" >&2
	return 1
}

# Wait (at most $1 s) until nothing is left: no step, and with "jobs" as
# $2 no allocation either; list what is left and fail otherwise.
wait_none() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		[ -z "$(steps_left)" ] &&
			{ [ "${2:-}" != jobs ] || [ -z "$(jobs_left)" ]; } &&
			return 0
		sleep 0.1
	done
	squeue -s >&2
	squeue >&2
	return 1
}

@test "--slurm outside an allocation fails and says how to get one" {
	run "$MPRUN" --slurm echo ::: 1
	[ "$status" -eq 255 ]
	[[ "$output" == *"not inside a Slurm allocation"* ]]
	[[ "$output" == *salloc* ]]
	[[ "$output" == *--slurm-alloc* ]]
}

@test "inside salloc: each job is a step; -j is the allocation's size" {
	# each job waits until two have started: with one slot, 30 s, then fail
	run salloc -n2 --quiet "$MPRUN" --slurm -k --joblog log \
		"echo s >>conc; $WAIT_LINES conc 2 || exit 1; "'echo {} step=$SLURM_STEP_ID slot=$MPRUN_SLOT; echo e >>conc' \
		::: a b c d
	[ "$status" -eq 0 ]
	# two at once, never more
	[ "$(maxconc)" -eq 2 ]
	[ "$(cut -d' ' -f3 <<<"$output" | sort -u | tr '\n' ' ')" = "slot=1 slot=2 " ]
	[ "${#lines[@]}" -eq 4 ]
	[[ "${lines[0]}" == "a step="[0-9]*" slot="[12] ]]
	[[ "${lines[3]}" == "d step="[0-9]*" slot="[12] ]]
	# four different steps
	[ "$(cut -d' ' -f2 <<<"$output" | sort -u | wc -l)" -eq 4 ]
	[ "$(tail -n +2 log | cut -f2 | sort -u)" = localhost ]
}

@test "steps get hostile inputs as literal words" {
	run salloc -n2 --quiet "$MPRUN" --slurm -k printf '%s,' ::: \
		'$(touch /tmp/mprun-pwned)' "'\"" 'a b' '*'
	[ "$status" -eq 0 ]
	[ "$output" = "\$(touch /tmp/mprun-pwned),'\",a b,*," ]
	run salloc -n2 --quiet "$MPRUN" --slurm -k 'printf "<%s>" {}' ::: \
		'`touch /tmp/mprun-pwned`' 'a; b'
	[ "$status" -eq 0 ]
	[ "$output" = "<\`touch /tmp/mprun-pwned\`><a; b>" ]
	[ ! -e /tmp/mprun-pwned ]
}

@test "exit statuses of steps count; 127 for a missing program; no srun noise" {
	run salloc -n2 --quiet "$MPRUN" --slurm 'echo {}; exit {}' ::: 0 3 4
	[ "$status" -eq 2 ]
	[[ "$output" != *srun* ]]
	run salloc -n1 --quiet "$MPRUN" --slurm --joblog log no-such-program-x \
		::: 1
	[ "$status" -eq 1 ]
	[ "$(tail -n1 log | cut -f7)" = 127 ]
}

@test "--slurm-cpus 2 gives each step 2 CPUs and halves the slots" {
	# each job waits until two have started: with one slot, 30 s, then fail
	run salloc -n4 --quiet "$MPRUN" --slurm --slurm-cpus 2 -k \
		"echo s >>conc; $WAIT_LINES conc 2 || exit 1; "'echo {} cpus=$SLURM_CPUS_PER_TASK slot=$MPRUN_SLOT; echo e >>conc' \
		::: 1 2 3 4
	[ "$status" -eq 0 ]
	# two at once, never more
	[ "$(maxconc)" -eq 2 ]
	[ "$(cut -d' ' -f3 <<<"$output" | sort -u | tr '\n' ' ')" = "slot=1 slot=2 " ]
	[ "${#lines[@]}" -eq 4 ]
	[ "$(cut -d' ' -f2 <<<"$output" | sort -u)" = cpus=2 ]
	[ -z "$(grep -v 'slot=[12]$' <<<"$output")" ]
}

@test "--slurm-alloc gets an allocation, runs the jobs and gives it back" {
	run "$MPRUN" --slurm-alloc "-n2 --time=5" -k --joblog log \
		'echo {} job=$SLURM_JOB_ID' ::: a b c
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "a job="[0-9]* ]]
	[ "$(tail -n +2 log | cut -f2 | sort -u)" = localhost ]
	wait_none 10 jobs
}

@test "--slurm-alloc with options salloc refuses: salloc's message" {
	run "$MPRUN" --slurm-alloc "--no-such-salloc-option" echo ::: 1
	[ "$status" -eq 255 ]
	[[ "$output" == *salloc* ]]
	# one line: the options, then salloc's own last words
	want=$(salloc --no-such-salloc-option 2>&1 | tail -n 1)
	echo "salloc says: $want"
	[ -n "$want" ]
	[ "$output" = "mprun: salloc --no-such-salloc-option: $want" ]
	wait_none 5 jobs
}

@test "Ctrl-C leaves no step running and gives the allocation back" {
	"$MPRUN" --slurm-alloc "-n2" 'sleep {}' ::: $N $N $N >out 2>&1 &
	pid=$!
	wait_steps 2
	kill -INT "$pid"
	status=0
	wait "$pid" || status=$?
	pid=
	[ "$status" -eq 130 ]
	wait_none 10 jobs
	[ -z "$(pgrep -f -- "sleep $N")" ]
}

@test "Ctrl-C or SIGTERM while the allocation is pending: out within 1 s, the request withdrawn" {
	local sig i limit=1000
	# mprun waits for salloc to withdraw the request, an RPC to
	# slurmctld: under the sanitizers' load it took 2.5 s once
	[ -z "${MPRUN_SANITIZED:-}" ] || limit=3000
	for sig in INT TERM; do
		"$MPRUN" --slurm-alloc "-n1 --begin=now+1hour" touch ran ::: 1 \
			>out 2>&1 &
		pid=$!
		for ((i = 0; i < 100; i++)); do
			[ -n "$(jobs_left)" ] && break
			sleep 0.05
		done
		[ -n "$(jobs_left)" ]
		signal_and_time "$sig"
		cat out
		[ "$status" -eq 130 ]
		[ "$ms" -lt "$limit" ]
		grep -q "interrupted (SIG$sig) while waiting for the Slurm allocation" out
		[ ! -e ran ]
		wait_none 10 jobs
	done
}

@test "Ctrl-C inside salloc: the steps end before the allocation does" {
	salloc -n2 --quiet sh -c 'echo $$ >pid; exec "$@"' sh \
		sh -c '"$0" --slurm "sleep {}" ::: $1 $1 $1; echo $? >rc; sleep 5' \
		"$MPRUN" "$N" >out 2>&1 &
	pid=$!
	wait_steps 2
	kill -INT "$(pgrep -P "$(cat pid)" -f -- "--slurm")"
	for ((i = 0; i < 100; i++)); do [ -s rc ] && break; sleep 0.1; done
	[ "$(cat rc)" = 130 ]
	# the allocation still runs (sleep 5); its steps are gone
	[ -n "$(jobs_left)" ]
	wait_none 5
	kill -KILL "$pid" 2>/dev/null || :
	wait "$pid" 2>/dev/null || :
	pid=
}

@test "--timeout ends the step" {
	run salloc -n1 --quiet "$MPRUN" --slurm --timeout 1 'sleep {}' ::: $N
	[ "$status" -eq 1 ]
	wait_none 10 jobs
}

@test "mprun killed with SIGKILL: no step and no allocation are left" {
	"$MPRUN" --slurm-alloc "-n1" 'sleep {}' ::: $N >/dev/null 2>&1 &
	pid=$!
	wait_steps 1
	kill -KILL "$pid"
	wait_none 20 jobs
}

@test "a pipeline stage with executor: slurm runs each job as a step" {
	cat >p.yaml <<'YAML'
stages:
  gen:
    cmd: printf '%s\n' a b c 'x; touch /tmp/mprun-pwned'
  sim:
    cmd: echo "{}" step=$SLURM_STEP_ID
    input: gen
    executor: slurm
    order: imap
  here:
    cmd: echo "{}" here=${SLURM_STEP_ID:-none}
    input: sim
    order: imap
YAML
	run salloc -n2 --quiet "$MPRUN" --pipeline p.yaml --joblog log
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 4 ]
	[[ "${lines[0]}" == "a step="[0-9]*" here=none" ]]
	[[ "${lines[3]}" == "x; touch /tmp/mprun-pwned step="[0-9]*" here=none" ]]
	[ ! -e /tmp/mprun-pwned ]
	# four different steps
	[ "$(grep -o 'step=[0-9]*' <<<"$output" | sort -u | wc -l)" -eq 4 ]
	[ "$(awk -F'\t' '$NF == "sim" {print $2}' log | sort -u)" = localhost ]
	wait_none 10
}

@test "a pipeline Slurm stage with slurm_alloc: gets its allocation and gives it back" {
	cat >p.yaml <<'YAML'
stages:
  sim:
    cmd: echo {} job=$SLURM_JOB_ID cpus=$SLURM_CPUS_PER_TASK
    input: [1, 2]
    executor: slurm
    slurm_cpus: 2
    slurm_alloc: -n2 -c2 --time=5
    order: imap
YAML
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "1 job="[0-9]*" cpus=2" ]]
	[[ "${lines[1]}" == "2 job="[0-9]*" cpus=2" ]]
	wait_none 10 jobs
}

@test "Ctrl-C on a pipeline with a Slurm stage leaves no step and no allocation" {
	printf 'stages:\n  s:\n    cmd: sleep {}\n    input: [%s, %s]\n    executor: slurm\n    slurm_alloc: -n2\n' $N $N >p.yaml
	"$MPRUN" --pipeline p.yaml >/dev/null 2>&1 &
	pid=$!
	wait_steps 2
	kill -INT "$pid"
	status=0
	wait "$pid" || status=$?
	pid=
	[ "$status" -eq 130 ]
	wait_none 10 jobs
	[ -z "$(pgrep -f -- "sleep $N")" ]
}

# --- the counter service over TCP: steps on other nodes reach the run's
# counters through a listener of the submit host (lib/mgr); the steps here
# forget the shared segment (unset MPRUN_SHM) to take that path ---

# A client of the service at MPRUN_COUNTERS (tcp:HOST:PORT) that reads the
# greeting, says nothing and tells whether it was dropped; at most 30 s.
SILENT_CLIENT='use IO::Socket::INET; my ($h, $p) = $ENV{MPRUN_COUNTERS} =~ /^tcp:(.*):(\d+)$/ or die "no tcp address\n";
my $s = IO::Socket::INET->new(PeerAddr => $h, PeerPort => $p) or die "connect: $!\n"; alarm 30;
my $g = <$s>; print "greeting ", ($g =~ /^mprun-counters 1 [0-9a-f]{32}\n$/ ? "ok" : "bad"), "\n";
my $r = <$s>; print defined $r ? "answered $r" : "dropped\n";'
export SILENT_CLIENT

# Increments by each job of the 8 in the exact-total test: 500 (a sanitized
# mprun takes 55 ms to start and end, not 5: 50 there). The jobs lower
# their priority (renice): the test files that time mprun's answers run
# meanwhile.
ops=500
[ -z "${MPRUN_SANITIZED:-}" ] || ops=50

@test "counters over TCP from Slurm steps: 8 jobs x 500 increments = exactly 4000" {
	PATH=$(dirname "$MPRUN"):$PATH
	run salloc -n2 --quiet "$MPRUN" --slurm --counter-init n=0 \
		--counters-json c.json \
		'unset MPRUN_SHM; renice -n 10 $$ >/dev/null; for i in $(seq '$ops'); do mprun --counter n +1 >/dev/null || exit 1; done; echo {} $MPRUN_COUNTERS' \
		::: 1 2 3 4 5 6 7 8
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "mprun: counters: n=$((8 * ops))" ]
	grep -Eq "\"n\": ?$((8 * ops))" c.json
	# the address is this host's name and a port
	[ "$(grep -c "^[1-8] tcp:$(hostname):[0-9]*\$" <<<"$output")" -eq 8 ]
	wait_none 10
}

@test "counters over TCP: --status shows them live; Ctrl-C leaves no listener, no step, no allocation" {
	PATH=$(dirname "$MPRUN"):$PATH
	local port
	"$MPRUN" --slurm-alloc -n2 --counter-init n=0 \
		'unset MPRUN_SHM; echo "$MPRUN_COUNTERS" >addr{}; mprun --counter n +{} && sleep '$N \
		::: 2 3 >out 2>&1 &
	pid=$!
	wait_status_line "$pid" '  counter n 5'
	port=$(sed 's/.*://' addr2)
	[ -n "$port" ]
	ss -ltn | grep -q ":$port "
	kill -INT "$pid"
	status=0
	wait "$pid" || status=$?
	pid=
	cat out
	[ "$status" -eq 130 ]
	wait_none 10 jobs
	[ -z "$(pgrep -f -- "sleep $N")" ]
	! ss -ltn | grep ":$port "
}

@test "counters over TCP with --manager-addr: a wrong key is refused, a silent client is dropped without stalling the run" {
	PATH=$(dirname "$MPRUN"):$PATH
	run salloc -n3 --quiet "$MPRUN" --slurm -k --manager-addr 127.0.0.1 \
		--counter-init n=0 \
		'unset MPRUN_SHM; case {} in
		wrong) MPRUN_COUNTERS_KEY=1111111111111111111111111111111111111111111111111111111111111111 mprun --counter n +100; echo "status $?" ;;
		silent) perl -e "$SILENT_CLIENT" ;;
		count) for i in $(seq 10); do mprun --counter n +1 >/dev/null || exit 1; done; date +%s%N >counted; echo "$MPRUN_COUNTERS" ;;
		esac; [ {} != silent ] || date +%s%N >silent' ::: wrong silent count
	echo "$output"
	[ "$status" -eq 0 ]
	# (a job's stdout and stderr lines may come in either order)
	[ "${#lines[@]}" -eq 7 ]
	grep -Eqx "mprun: --counter: the counter service at tcp:127\.0\.0\.1:[0-9]+ refused the key \(MPRUN_COUNTERS_KEY\)" <<<"$output"
	grep -qx "status 255" <<<"$output"
	[ "$(grep -x -A1 "greeting ok" <<<"$output")" = "greeting ok
dropped" ]
	grep -Eqx "tcp:127\.0\.0\.1:[0-9]+" <<<"$output"
	[ "${lines[5]}" = "mprun: counter service: 2 connections refused (a wrong key, a malformed request, or silence)" ]
	[ "${lines[6]}" = "mprun: counters: n=10" ]
	# the 10 requests were served while the silent client was connected
	[ "$(cat counted)" -lt "$(cat silent)" ]
	wait_none 10
}

@test "--manager-addr needs --slurm or --pipeline; a bad address is named" {
	run "$MPRUN" --manager-addr 127.0.0.1 echo ::: 1
	[ "$status" -eq 255 ]
	[[ "$output" == *"--manager-addr"*"--slurm"* ]]
	run salloc -n1 --quiet "$MPRUN" --slurm --manager-addr 192.0.2.77 echo ::: 1
	echo "$output"
	[ "$status" -eq 255 ]
	[[ "$output" == *"192.0.2.77"* ]]
}

@test "counters in a pipeline stage with executor: slurm go over TCP" {
	PATH=$(dirname "$MPRUN"):$PATH
	cat >p.yaml <<'YAML'
counters: [n]
stages:
  sim:
    cmd: unset MPRUN_SHM; for i in 1 2 3; do mprun --counter n +{} >/dev/null; done; echo {} ${MPRUN_COUNTERS%%:*}
    input: [1, 2, 3, 4]
    executor: slurm
    order: imap
YAML
	run salloc -n2 --quiet "$MPRUN" --pipeline p.yaml
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s tcp\n' 1 2 3 4)
mprun: counters: n=30" ]
	wait_none 10
}
