#!/usr/bin/env bash
# remote.sh: the per-job overhead of remote jobs, over SSH and as Slurm
# steps, side by side with the tools and loops that do the same by hand.
#
#   bench/remote.sh [ssh] [slurm] [counters]     (default: all three)
#
# ssh: N x `true` on one loopback host (tests/services/sshd.sh), SLOTS at
# once, every tool over one multiplexed SSH connection:
#   mprun     seq N | mprun -S SLOTS/mprun-a --ssh "ssh -F CONFIG" true
#   parallel  seq N | parallel -S SLOTS/mprun-a --ssh "ssh -F CONFIG -o
#             ControlMaster=auto -o ControlPath=DIR/%C -o ControlPersist=60"
#             true   (GNU parallel opens a connection per job unless given
#             these options; mprun does this by itself)
#   xargs     seq N | xargs -PSLOTS -n1 SSH mprun-a true (the floor at the
#             same parallelism), and a `for` loop of SSH mprun-a true, one
#             at a time (the latency of one job over the master)
# parallel and the two loops share a master opened beforehand; mprun opens
# its own in every run, so its time includes one connection setup (printed).
# Target: mprun at least as fast as parallel.
#
# slurm: NSLURM x `true` in `salloc -n SLOTS` on a one-node cluster
# (tests/services/slurm.sh):
#   mprun     salloc -n SLOTS mprun --slurm -j SLOTS true ::: $(seq NSLURM)
#   srun      salloc -n SLOTS sh -c 'seq NSLURM | xargs -P SLOTS -I{}
#             srun --exact -n1 -N1 -c1 -QQ true'  (the srun line mprun runs,
#             SLOTS at a time: the floor)
#   salloc    salloc -n SLOTS true (the fixed cost in both)
# Target: mprun within 1.2x of the srun loop.
#
# counters: increments per second from one job, here (the run's shared
# segment), on the SSH host (the counter service through the socket
# forwarded over the master) and in a Slurm step (the service over TCP):
# COPS x `mprun --counter n +1` (a process each) and CNC adds by
# bench/mgr_rate.c (one process; one connection each through the service).
#
# Needs root to start the services (sshd.sh, slurm.sh start; both are
# idempotent). A service that was already up is used and left running; one
# this script started is stopped at the end (KEEP_SERVICES=1: never). A
# part whose tools are missing is skipped with a message. Do not run it
# while tests/ssh.bats or tests/slurm.bats run: they stop the services.
#
# Env: MPRUN (binary, default ../_build/cmd/mprun), N (ssh jobs, 200),
# NSLURM (steps, 100), SLOTS (2), RUNS (hyperfine runs, 5), KEEP_SERVICES
# (0), COPS (500), CNC (5000), and the services' own MPRUN_SSHD_* / MPRUN_SLURM_* variables.
# Output: per-job ms and ratios on stdout; hyperfine's md/json/csv in
# bench/results/remote-{ssh,slurm}.*. Takes about a minute with defaults.
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$BENCH/.." && pwd)
MPRUN=${MPRUN:-$BENCH/../_build/cmd/mprun}
N=${N:-200}
NSLURM=${NSLURM:-100}
SLOTS=${SLOTS:-2}
RUNS=${RUNS:-5}
COPS=${COPS:-500}
CNC=${CNC:-5000}
KEEP_SERVICES=${KEEP_SERVICES:-0}
OUT=$BENCH/results
SSHD_SVC=$SRC/tests/services/sshd.sh
SLURM_SVC=$SRC/tests/services/slurm.sh
SSHD_DIR=${MPRUN_SSHD_DIR:-/tmp/mprun-sshd}
SLURM_DIR=${MPRUN_SLURM_DIR:-/tmp/mprun-slurm}

die() { echo "remote.sh: $*" >&2; exit 1; }
# Quote a word for the sh -c that hyperfine runs.
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
alive() { [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

PARTS=("$@")
((${#PARTS[@]})) || PARTS=(ssh slurm counters)
DO_SSH=0 DO_SLURM=0 DO_COUNTERS=0
for p in "${PARTS[@]}"; do
	case $p in
	ssh) DO_SSH=1 ;;
	slurm) DO_SLURM=1 ;;
	counters) DO_COUNTERS=1 ;;
	all) DO_SSH=1 DO_SLURM=1 DO_COUNTERS=1 ;;
	*) die "usage: remote.sh [ssh] [slurm] [counters]" ;;
	esac
done

[[ -x $MPRUN ]] || die "no mprun binary at $MPRUN (run make, or set MPRUN)"
MPRUN=$(cd "$(dirname "$MPRUN")" && pwd)/$(basename "$MPRUN")
command -v hyperfine >/dev/null || die "hyperfine missing (apt-get install -y hyperfine)"
mkdir -p "$OUT"
M=$(q "$MPRUN")

# What to undo at exit: services this script started, the ssh master.
STOP_SSHD=0 STOP_SLURM=0 MASTER=
cleanup() {
	if [[ -n $MASTER ]]; then
		$MASTER -O exit mprun-a >/dev/null 2>&1 || :
	fi
	[[ -z ${CM_DIR:-} ]] || rm -rf "$CM_DIR"
	[[ -z ${BIN_DIR:-} ]] || rm -rf "$BIN_DIR"
	if ((STOP_SSHD)); then "$SSHD_SVC" stop >/dev/null 2>&1 || :; fi
	if ((STOP_SLURM)); then "$SLURM_SVC" stop >/dev/null 2>&1 || :; fi
}
trap cleanup EXIT

# Run hyperfine on NAME CMD pairs, exporting to $OUT/$1.{md,json,csv}.
bench() {
	local tag=$1 args=()
	shift
	while (($#)); do
		args+=(--command-name "$1" "$2")
		shift 2
	done
	hyperfine --warmup 1 --runs "$RUNS" --style basic \
		--export-markdown "$OUT/$tag.md" --export-json "$OUT/$tag.json" \
		--export-csv "$OUT/$tag.csv" "${args[@]}"
}

# Per-job ms of each row of a hyperfine CSV: report CSV JOBS BASE, where
# BASE is the row the others' ratio is to; a row named "... one at a time"
# is given per job only (it is not at the same parallelism).
report() {
	awk -F, -v n="$2" -v base="$3" '
	NR == 1 { next }
	{ name[NR] = $1; mean[NR] = $2; sd[NR] = $3; if ($1 == base) ref = $2 }
	END {
		printf "%-34s %9s %12s %12s\n", "", "total s", "ms per job", "ratio"
		for (i = 2; i <= NR; i++)
			printf "%-34s %9.3f %12.2f %12s\n", name[i], mean[i],
				mean[i] / n * 1000, (ref > 0 ? sprintf("%.2fx", mean[i] / ref) : "")
	}' "$1"
}

# ratio CSV NAME1 NAME2 TARGET: "NAME1/NAME2 = R (target TARGET)"
ratio() {
	awk -F, -v a="$2" -v b="$3" -v tgt="$4" '
	$1 == a { ta = $2 } $1 == b { tb = $2 }
	END { printf "%s / %s = %.2f (target %s)\n", a, b, ta / tb, tgt }' "$1"
}

# Start a service unless it is up; remember to stop it if we started it.
# up_sshd / up_slurm: are all of its daemons running (by pid file)?
up_sshd() { alive "$SSHD_DIR/sshd_a.pid" && alive "$SSHD_DIR/sshd_b.pid"; }
up_slurm() {
	alive "$SLURM_DIR/munge/munged.pid" && alive "$SLURM_DIR/run/slurmctld.pid" &&
		alive "$SLURM_DIR/run/slurmd.pid"
}

# Start sshd unless it is up (then remember to stop it), and take its
# environment; 1 (with a message) when the part $1 must be skipped.
ensure_sshd() {
	if up_sshd; then
		echo "sshd: already running, using it (left running)"
	else
		[[ $(id -u) -eq 0 ]] || {
			echo "remote.sh: sshd is not up and starting it needs root," \
				"skipping the $1 part" >&2
			return 1
		}
		((KEEP_SERVICES)) || STOP_SSHD=1
		"$SSHD_SVC" start >/dev/null || die "tests/services/sshd.sh start failed"
		echo "sshd: started (stopped at the end unless KEEP_SERVICES=1)"
	fi
	eval "$("$SSHD_SVC" env)"
}

# The same for the Slurm cluster.
ensure_slurm() {
	if up_slurm; then
		echo "slurm: already running, using it (left running)"
	else
		[[ $(id -u) -eq 0 ]] || {
			echo "remote.sh: Slurm is not up and starting it needs root," \
				"skipping the $1 part" >&2
			return 1
		}
		((KEEP_SERVICES)) || STOP_SLURM=1
		if ! "$SLURM_SVC" start >/dev/null; then
			command -v slurmctld >/dev/null || {
				echo "remote.sh: Slurm missing and could not be installed," \
					"skipping the $1 part" >&2
				return 1
			}
			die "tests/services/slurm.sh start failed"
		fi
		echo "slurm: started (stopped at the end unless KEEP_SERVICES=1)"
	fi
	eval "$("$SLURM_SVC" env)"
	export SLURM_CONF
	unset SLURM_JOB_ID SLURM_JOBID
	[[ -z $(squeue -h -o %A 2>/dev/null) ]] ||
		echo "remote.sh: warning: the cluster runs other jobs; salloc may wait" >&2
}

bench_ssh() {
	echo "== ssh: $N x true, $SLOTS at a time on one loopback host"
	if ! command -v parallel >/dev/null; then
		echo "remote.sh: GNU parallel missing, skipping the ssh part" \
			"(apt-get install -y parallel)" >&2
		return 0
	fi
	ensure_sshd ssh || return 0
	local ssh="ssh -F $MPRUN_SSH_CONFIG" pssh t0 t1
	CM_DIR=$(mktemp -d /tmp/mprun-bench-cm.XXXXXX)
	pssh="$ssh -o ControlMaster=auto -o ControlPath=$CM_DIR/%C -o ControlPersist=60"
	MASTER="$ssh -o ControlPath=$CM_DIR/%C"
	# Open the shared master (ControlPersist keeps it in the background).
	t0=$(date +%s%N)
	$pssh mprun-a true || die "ssh to mprun-a failed"
	t1=$(date +%s%N)
	$MASTER -O check mprun-a 2>/dev/null || die "no ssh master in $CM_DIR"

	# Fail early if a tool gives wrong output.
	local want got
	want=$(printf '%s\n' 1 2 3)
	got=$("$MPRUN" -k -S "$SLOTS/mprun-a" --ssh "$ssh" echo ::: 1 2 3) ||
		die "mprun over ssh failed"
	[[ $got == "$want" ]] || die "mprun over ssh printed '$got'"
	got=$(parallel --will-cite -k -S "$SLOTS/mprun-a" --ssh "$pssh" echo ::: 1 2 3) ||
		die "parallel over ssh failed"
	[[ $got == "$want" ]] || die "parallel over ssh printed '$got'"

	echo "parallel's --ssh: $pssh"
	local open_ms=$(((t1 - t0) / 1000000))
	echo "parallel and the loops use a master opened beforehand; mprun opens" \
		"its own in each run (opening one took $open_ms ms here, about" \
		"$(awk -v t="$open_ms" -v n="$N" 'BEGIN { printf "%.2f", t / n }')" \
		"ms per job of mprun's)"
	bench remote-ssh \
		"mprun -S $SLOTS/mprun-a" \
		"seq $N | $M -S $(q "$SLOTS/mprun-a") --ssh $(q "$ssh") true" \
		"parallel -S $SLOTS/mprun-a" \
		"seq $N | parallel --will-cite -S $(q "$SLOTS/mprun-a") --ssh $(q "$pssh") true" \
		"ssh by xargs -P$SLOTS (floor)" \
		"seq $N | xargs -P$SLOTS -n1 $pssh mprun-a true" \
		"ssh one at a time" \
		"for i in \$(seq $N); do $pssh mprun-a true; done"
	echo
	echo "ssh, $N jobs (ms per job = total / $N; ratio to parallel):"
	report "$OUT/remote-ssh.csv" "$N" "parallel -S $SLOTS/mprun-a"
	ratio "$OUT/remote-ssh.csv" "mprun -S $SLOTS/mprun-a" \
		"parallel -S $SLOTS/mprun-a" "<= 1"
	ratio "$OUT/remote-ssh.csv" "mprun -S $SLOTS/mprun-a" \
		"ssh by xargs -P$SLOTS (floor)" \
		"none: the floor runs no remote wrapper or watcher"
	echo "(\"one at a time\" is not at the same parallelism: its ms per job" \
		"is the latency of one ssh over the master)"
	echo
}

bench_slurm() {
	echo "== slurm: $NSLURM x true as steps, $SLOTS at a time in salloc -n$SLOTS"
	ensure_slurm slurm || return 0

	local got
	got=$(salloc -n"$SLOTS" --quiet "$MPRUN" --slurm -j"$SLOTS" -k echo ::: 1 2 3) ||
		die "mprun --slurm failed"
	[[ $got == $'1\n2\n3' ]] || die "mprun --slurm printed '$got'"

	local srun="srun --exact -n1 -N1 -c1 -QQ true"
	bench remote-slurm \
		"mprun --slurm -j$SLOTS" \
		"salloc -n$SLOTS --quiet $M --slurm -j$SLOTS true ::: \$(seq $NSLURM)" \
		"srun by xargs -P$SLOTS (floor)" \
		"salloc -n$SLOTS --quiet sh -c $(q "seq $NSLURM | xargs -P$SLOTS -I{} $srun")" \
		"salloc alone" \
		"salloc -n$SLOTS --quiet true"
	echo
	echo "slurm, $NSLURM steps (ms per job = total / $NSLURM, salloc included;" \
		"ratio to the srun loop):"
	report "$OUT/remote-slurm.csv" "$NSLURM" "srun by xargs -P$SLOTS (floor)"
	ratio "$OUT/remote-slurm.csv" "mprun --slurm -j$SLOTS" \
		"srun by xargs -P$SLOTS (floor)" "<= 1.2"
	echo
}

# counters: increments per second from one job, by `mprun --counter` (a
# process per increment: mostly process creation) and by bench/mgr_rate.c
# (one process, one connection per increment), in a job here (the shared
# segment), on an SSH host (the socket forwarded over the master) and in a
# Slurm step that forgets the segment (TCP).
bench_counters() {
	echo "== counters: increments per second from one job"
	local lib bin ssh_ok=0 slurm_ok=0
	lib=$(dirname "$MPRUN")/../lib/libmprun.a
	[[ -f $lib ]] || {
		echo "remote.sh: no $lib, skipping the counters part" >&2
		return 0
	}
	BIN_DIR=$(mktemp -d /tmp/mprun-bench-bin.XXXXXX)
	chmod 755 "$BIN_DIR"
	cc -O2 -D_GNU_SOURCE -I"$SRC/lib" -o "$BIN_DIR/mgr_rate" \
		"$BENCH/mgr_rate.c" "$lib" -lrt || die "cannot build mgr_rate"
	ln -s "$MPRUN" "$BIN_DIR/mprun"
	ensure_sshd counters && ssh_ok=1
	ensure_slurm counters && slurm_ok=1
	# the job: COPS increments by the command, timed inside the job, then
	# CNC by mgr_rate
	local job='t0=$(date +%s%N); i=0; while [ $i -lt '$COPS' ]; do mprun --counter n +1 >/dev/null || exit 1; i=$((i + 1)); done; t1=$(date +%s%N); awk -v n='$COPS' -v ns=$((t1 - t0)) "BEGIN { printf \"command: %d adds in %.3f s (%.0f/s)\n\", n, ns / 1e9, n * 1e9 / ns }"; mgr_rate '$CNC' {}'
	local want=$((COPS + CNC)) out
	check_total() {
		grep -qx "mprun: counters: n=$want" <<<"$1" ||
			die "counters: wrong total: $1"
	}
	echo "-- here (the shared segment)"
	out=$(PATH=$BIN_DIR:$PATH "$MPRUN" --counter-init n=0 "$job" ::: "" 2>&1)
	echo "$out"
	check_total "$out"
	if ((ssh_ok)); then
		echo "-- SSH host (Unix socket forwarded over the master)"
		out=$(PATH=$BIN_DIR:$PATH "$MPRUN" -S 1/mprun-a \
			--ssh "ssh -F $MPRUN_SSH_CONFIG" --env PATH \
			--counter-init n=0 "$job" ::: "" 2>&1)
		echo "$out"
		check_total "$out"
	fi
	if ((slurm_ok)); then
		echo "-- Slurm step (TCP)"
		out=$(PATH=$BIN_DIR:$PATH salloc -n1 --quiet "$MPRUN" --slurm \
			--counter-init n=0 "unset MPRUN_SHM; $job" ::: "" 2>&1)
		echo "$out"
		check_total "$out"
	fi
	echo
}

echo "remote.sh: mprun $MPRUN, $(nproc) CPUs, hyperfine runs=$RUNS"
if ((DO_SSH)); then bench_ssh; fi
if ((DO_SLURM)); then bench_slurm; fi
if ((DO_COUNTERS)); then bench_counters; fi
echo "raw hyperfine exports: $OUT/remote-*.{md,json,csv}"
