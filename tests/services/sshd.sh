#!/usr/bin/env bash
# sshd.sh - two throwaway sshd instances on 127.0.0.1 that stand for two SSH
# hosts, for the tests of mprun's SSH executor. Debian, run as root, no
# systemd needed. Idempotent. Touches nothing outside $MPRUN_SSHD_DIR except:
# it installs openssh if missing, creates /run/sshd (sshd's privilege
# separation directory) and the test user $MPRUN_SSHD_USER (a fresh user
# with an empty login setup, so that a login costs milliseconds).
#
#   sshd.sh start   install openssh if missing, make keys and configs,
#                   start both sshds, check a login to each
#   sshd.sh stop    stop both sshds (by pid file)
#   sshd.sh env     print the export lines for the test shell:
#                   MPRUN_SSH_CONFIG (ssh_config with the hosts below),
#                   MPRUN_SSH_USER, MPRUN_SSH_DIR
#
# Hosts in the ssh_config: mprun-a (port A), mprun-b (port B), and
# mprun-dead (a port where nothing listens). Use: ssh -F "$MPRUN_SSH_CONFIG"
set -euo pipefail
DIR=${MPRUN_SSHD_DIR:-/tmp/mprun-sshd}
PORT_A=${MPRUN_SSHD_PORT_A:-22022}
PORT_B=${MPRUN_SSHD_PORT_B:-22023}
PORT_DEAD=${MPRUN_SSHD_PORT_DEAD:-22029}
USER_=${MPRUN_SSHD_USER:-mprun-test}

die() { echo "sshd.sh: $*" >&2; exit 1; }
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Install the ssh client and server when missing.
install_pkgs() {
	[ -x /usr/sbin/sshd ] && command -v ssh >/dev/null && return 0
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends openssh-server \
		openssh-client >/dev/null
}

# A fresh user whose login reads no slow start-up files.
make_user() {
	id "$USER_" >/dev/null 2>&1 && return 0
	# another test may be adding it at the same moment
	useradd -m -s /bin/bash "$USER_" 2>/dev/null || id "$USER_" >/dev/null
	usermod -p '*' "$USER_" # '!' (locked) is refused when UsePAM=no
}

# Host and user keys, known_hosts for both ports.
make_keys() {
	[ -s "$DIR/hostkey" ] || ssh-keygen -q -t ed25519 -N '' -f "$DIR/hostkey"
	[ -s "$DIR/id" ] || ssh-keygen -q -t ed25519 -N '' -f "$DIR/id"
	cp "$DIR/id.pub" "$DIR/authorized_keys"
	chmod 644 "$DIR/authorized_keys"
	local k
	k=$(cut -d' ' -f1,2 "$DIR/hostkey.pub")
	printf '[127.0.0.1]:%s %s\n' "$PORT_A" "$k" "$PORT_B" "$k" \
		>"$DIR/known_hosts"
}

# sshd_config for one port: write_sshd_config NAME PORT
write_sshd_config() {
	cat >"$DIR/sshd_$1.conf" <<EOC
Port $2
ListenAddress 127.0.0.1
HostKey $DIR/hostkey
PidFile $DIR/sshd_$1.pid
AuthorizedKeysFile $DIR/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $USER_
UsePAM no
StrictModes no
MaxStartups 100:30:200
MaxSessions 100
LogLevel ERROR
EOC
}

# One Host block of the client config: host_block NAME PORT
host_block() {
	cat <<EOC
Host $1
  HostName 127.0.0.1
  Port $2
  User $USER_
  IdentityFile $DIR/id
  IdentitiesOnly yes
  BatchMode yes
  StrictHostKeyChecking yes
  UserKnownHostsFile $DIR/known_hosts
  LogLevel ERROR
  ConnectTimeout 5
EOC
}

write_ssh_config() {
	{
		host_block mprun-a "$PORT_A"
		host_block mprun-b "$PORT_B"
		host_block mprun-dead "$PORT_DEAD"
	} >"$DIR/ssh_config"
}

# Start the sshd of one instance if it is not running: start_one NAME
start_one() {
	alive "$DIR/sshd_$1.pid" && return 0
	/usr/sbin/sshd -t -f "$DIR/sshd_$1.conf"
	/usr/sbin/sshd -f "$DIR/sshd_$1.conf" -E "$DIR/sshd_$1.log"
}

# Wait until a login to host works: wait_login HOST
wait_login() {
	local i
	for i in $(seq 50); do
		ssh -F "$DIR/ssh_config" "$1" true 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$DIR"/sshd_*.log >&2 2>/dev/null || true
	die "login to $1 failed"
}

start() {
	install_pkgs
	mkdir -p "$DIR" /run/sshd
	chmod 755 "$DIR" /run/sshd # sshd reads authorized_keys as the user
	make_user
	make_keys
	write_sshd_config a "$PORT_A"
	write_sshd_config b "$PORT_B"
	write_ssh_config
	start_one a
	start_one b
	wait_login mprun-a
	wait_login mprun-b
	echo "sshd up on 127.0.0.1:$PORT_A and :$PORT_B; ssh -F $DIR/ssh_config"
}

# Stop one instance by its pid file: stop_one NAME
stop_one() {
	local pid i
	alive "$DIR/sshd_$1.pid" || { rm -f "$DIR/sshd_$1.pid"; return 0; }
	pid=$(cat "$DIR/sshd_$1.pid")
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	rm -f "$DIR/sshd_$1.pid"
}

stop() {
	stop_one a
	stop_one b
	echo "sshd stopped"
}

env_lines() {
	echo "export MPRUN_SSH_CONFIG=$DIR/ssh_config"
	echo "export MPRUN_SSH_USER=$USER_"
	echo "export MPRUN_SSH_DIR=$DIR"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
env) env_lines ;;
*)
	echo "usage: $0 start|stop|env" >&2
	exit 2
	;;
esac
