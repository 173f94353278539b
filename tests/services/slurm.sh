#!/usr/bin/env bash
# slurm.sh - a throwaway single-node Slurm cluster (slurmctld, slurmd and a
# private munged) for the tests of mprun's Slurm executor. Debian, run as
# root, no systemd needed. Idempotent. Everything lives in $MPRUN_SLURM_DIR
# with its own ports and munge socket: it never touches /etc/slurm,
# /etc/munge or a system munged/slurm service.
#
#   slurm.sh start    install the packages if missing, configure, start,
#                     wait until the node is up
#   slurm.sh stop     cancel the jobs left, stop slurmd, slurmctld, munged
#   slurm.sh status   sinfo
#   slurm.sh env      print "export SLURM_CONF=..." (eval it in the test shell)
#
# slurmd needs a cgroup file system on /sys/fs/cgroup (even with
# proctrack/linuxproc and task/none). The node has $MPRUN_SLURM_CPUS CPUs
# (default 4; may exceed the real ones: config_overrides).
set -euo pipefail
DIR=${MPRUN_SLURM_DIR:-/tmp/mprun-slurm}
CTLD_PORT=${MPRUN_SLURM_CTLD_PORT:-26817}
SLURMD_PORT=${MPRUN_SLURM_SLURMD_PORT:-26818}
CPUS=${MPRUN_SLURM_CPUS:-4}
CONF=$DIR/etc/slurm.conf
SOCK=$DIR/munge/munge.sock
export SLURM_CONF=$CONF

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

die() {
	echo "slurm.sh: $*" >&2
	local f
	for f in "$DIR"/log/*.log; do
		[ -f "$f" ] && { echo "== $f" >&2; tail -n 15 "$f" >&2; }
	done
	exit 1
}

# Install munge and Slurm when missing.
install_pkgs() {
	local p need=()
	for p in munge slurmctld slurmd slurm-client; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q '^install ok installed' || need+=("$p")
	done
	[ ${#need[@]} -eq 0 ] && return 0
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

write_conf() {
	cat >"$CONF.tmp" <<EOC
ClusterName=mprunci
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCK
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
KillWait=5
SchedulerParameters=batch_sched_delay=0
SlurmdParameters=config_overrides
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOC
	mv "$CONF.tmp" "$CONF"
	# Read from slurm.conf's directory; matters on cgroup-v2 hosts only.
	printf 'CgroupPlugin=autodetect\nIgnoreSystemdOnFailure=yes\n' \
		>"$DIR/etc/cgroup.conf"
}

# wait_for SECONDS CMD...: poll every 0.2 s until CMD succeeds.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}
no_jobs() { [ -z "$(timeout 5 squeue -h -o %A)" ]; }
node_up() { timeout 5 sinfo -h -n localhost -o %t | grep -qxE 'idle|mix|alloc'; }

start() {
	install_pkgs
	# Slurm resolves "localhost" in places; bare containers may lack it.
	getent hosts localhost >/dev/null || echo '127.0.0.1 localhost' >>/etc/hosts
	[ -e /sys/fs/cgroup/cgroup.controllers ] || [ -d /sys/fs/cgroup/cpu ] ||
		[ -d /sys/fs/cgroup/memory ] ||
		die "no cgroup fs on /sys/fs/cgroup (slurmd needs one)"
	mkdir -p "$DIR"/{etc,munge,state,spool,log,run}
	chmod 755 "$DIR" "$DIR/munge" # munged wants o+x on the socket dir
	if [ ! -s "$DIR/munge/munge.key" ]; then
		dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 \
			status=none
		chmod 400 "$DIR/munge/munge.key"
	fi
	alive "$DIR/run/slurmctld.pid" || write_conf # not under a live ctld
	if ! alive "$DIR/munge/munged.pid"; then
		munged --socket="$SOCK" --key-file="$DIR/munge/munge.key" \
			--pid-file="$DIR/munge/munged.pid" \
			--log-file="$DIR/log/munged.log" \
			--seed-file="$DIR/munge/munged.seed"
	fi
	wait_for 10 munge -n -S "$SOCK" || die "munged not answering"
	alive "$DIR/run/slurmctld.pid" || slurmctld -c || die "slurmctld failed"
	alive "$DIR/run/slurmd.pid" || slurmd -c -N localhost || die "slurmd failed"
	wait_for 60 node_up || die "node did not come up: $(sinfo -R 2>&1)"
	echo "slurm up: export SLURM_CONF=$CONF"
}

stop() {
	if alive "$DIR/run/slurmctld.pid"; then # cancel leftover jobs first
		timeout 10 squeue -h -o %A 2>/dev/null | xargs -r scancel \
			2>/dev/null || true
		wait_for 15 no_jobs || true
	fi
	local f p i pids=() left=()
	for f in run/slurmd.pid run/slurmctld.pid munge/munged.pid; do
		alive "$DIR/$f" && pids+=("$(cat "$DIR/$f")")
	done
	[ ${#pids[@]} -gt 0 ] || { echo "slurm not running"; return 0; }
	kill -TERM "${pids[@]}" 2>/dev/null || true # each takes 1-2 s
	for i in $(seq 100); do
		left=()
		for p in "${pids[@]}"; do
			kill -0 "$p" 2>/dev/null && left+=("$p")
		done
		[ ${#left[@]} -gt 0 ] || break
		sleep 0.1
	done
	[ ${#left[@]} -eq 0 ] || kill -KILL "${left[@]}" 2>/dev/null || true
	rm -f "$DIR/run/slurmd.pid" "$DIR/run/slurmctld.pid" \
		"$DIR/munge/munged.pid"
	echo "slurm stopped"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) sinfo ;;
env) echo "export SLURM_CONF=$CONF" ;;
*)
	echo "usage: $0 start|stop|status|env" >&2
	exit 2
	;;
esac
