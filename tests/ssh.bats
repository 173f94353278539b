#!/usr/bin/env bats
# Remote jobs over SSH (-S, --slf, --ssh, --env, --workdir, --transfer,
# --return, --cleanup): two sshd on the loopback stand for two hosts
# (tests/services/sshd.sh, started once for the file). Quoting of hostile
# inputs, output and order across hosts, the Host column, dead hosts, files,
# and that Ctrl-C, --timeout or a killed mprun leave no remote process.

load setup
load gnu

setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (starts sshd, adds a test user)"
	local svc=$MPRUN_SRCDIR/tests/services/sshd.sh
	if ! "$svc" start >"$BATS_FILE_TMPDIR/sshd.log" 2>&1; then
		[ -x /usr/sbin/sshd ] ||
			skip "openssh-server is missing and could not be installed"
		cat "$BATS_FILE_TMPDIR/sshd.log" >&3
		return 1
	fi
	eval "$("$svc" env)"
	export MPRUN_SSH_CONFIG MPRUN_SSH_USER MPRUN_SSH_DIR
}

teardown_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	"$MPRUN_SRCDIR/tests/services/sshd.sh" stop >/dev/null 2>&1 || :
}

# setup.bash's setup, then $SSH (the --ssh of the test hosts) and $N, a
# number unique to this test for the command lines of its processes.
eval "_ssh_base_$(declare -f setup)"
setup() {
	_ssh_base_setup || return 1
	SSH="ssh -F $MPRUN_SSH_CONFIG"
	N=$((100000 + RANDOM * 3 + BATS_TEST_NUMBER))
	pid=
}

teardown() {
	[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || :
	pkill -KILL -f -- "sleep $N" || :
}

# The home directory of the test user (the remote login directory).
remote_home() {
	getent passwd "$MPRUN_SSH_USER" | cut -d: -f6
}

# Wait (at most 10 s) until a process runs `sleep $N` as the test user.
wait_remote_started() {
	local i
	for ((i = 0; i < 200; i++)); do
		pgrep -u "$MPRUN_SSH_USER" -f -- "^sleep $N\$" >/dev/null && return 0
		sleep 0.05
	done
	echo "no remote sleep $N started" >&2
	return 1
}

# Wait (at most 5 s) until no process has "sleep $N" in its command line
# (the local ssh, the remote wrapper, the job and its children); list them
# and fail otherwise.
nothing_left() {
	local i left
	for ((i = 0; i < 100; i++)); do
		left=$(pgrep -f -- "sleep $N" || :)
		[ -z "$left" ] && return 0
		sleep 0.05
	done
	echo "left running:" >&2
	ps -o pid,ppid,user,stat,args -p "$(echo $left | tr ' ' ,)" >&2
	return 1
}

@test "hostile inputs are literal words on the remote host (argv form)" {
	run "$MPRUN" -k -S 2/mprun-a,2/mprun-b --ssh "$SSH" printf '%s,' ::: \
		'$(touch /tmp/mprun-pwned)' 'a; touch /tmp/mprun-pwned' \
		"'\"" 'two  spaces' $'line1\nline2' '`touch /tmp/mprun-pwned`' \
		'*' '~' '\' '-n' '|&;<>()$`\"'"'"' *?[#~=%'
	[ "$status" -eq 0 ]
	[ "$output" = '$(touch /tmp/mprun-pwned),a; touch /tmp/mprun-pwned,'"'\""',two  spaces,'$'line1\nline2'',`touch /tmp/mprun-pwned`,*,~,\,-n,|&;<>()$`\"'"'"' *?[#~=%,' ]
	[ ! -e /tmp/mprun-pwned ]
}

@test "hostile inputs are literal words on the remote host (shell form)" {
	run "$MPRUN" -k -S 2/mprun-a,2/mprun-b --ssh "$SSH" \
		"printf '<%s>\n' {} | cat; echo \$((1+1))" ::: \
		'$(touch /tmp/mprun-pwned)' 'a; touch /tmp/mprun-pwned' \
		"'\"" $'x\ny' '`touch /tmp/mprun-pwned`' '*'
	[ "$status" -eq 0 ]
	[ "$output" = "<\$(touch /tmp/mprun-pwned)>
2
<a; touch /tmp/mprun-pwned>
2
<'\">
2
<x
y>
2
<\`touch /tmp/mprun-pwned\`>
2
<*>
2" ]
	[ ! -e /tmp/mprun-pwned ]
}

@test "the remote login shell sees only base64 in single quotes (csh or fish cannot change it)" {
	# An --ssh that logs its last argument (the remote command) first.
	printf '#!/bin/sh\nfor a; do last=$a; done\nprintf "%%s\\n" "$last" >>"%s/remote.log"\nexec %s "$@"\n' \
		"$T" "$SSH" >logssh
	chmod +x logssh
	run "$MPRUN" -k -S 1/mprun-a --ssh "$T/logssh" \
		"printf '<%s>\n' {}" ::: '$(touch /tmp/mprun-pwned)' "it's"
	[ "$status" -eq 0 ]
	[ "$output" = "<\$(touch /tmp/mprun-pwned)>
<it's>" ]
	[ ! -e /tmp/mprun-pwned ]
	# The jobs' remote commands: base64 text only, no job text in clear.
	[ "$(grep -c "^exec /bin/sh -c 'eval \"\$(echo [A-Za-z0-9+/=]* | base64 -d)\"'\$" remote.log)" -eq 2 ]
	! grep -q printf remote.log
}

@test "an SSH login that starts with '-' is refused: ssh would read it as an option" {
	rm -f /tmp/mprun-pwned-$N
	# one word, no blank: only the leading '-' makes it bad
	printf '#!/bin/sh\ntouch /tmp/mprun-pwned-%s\n' "$N" >"$T/pw.sh"
	chmod +x "$T/pw.sh"
	run "$MPRUN" -S "-oProxyCommand=$T/pw.sh" --ssh "$SSH" echo ::: a
	[ "$status" -eq 255 ]
	[[ "$output" == *"bad SSH login '-oProxyCommand=$T/pw.sh'"* ]]
	[ ! -e /tmp/mprun-pwned-$N ]
}

@test "the termination sequence reaches a remote job: TERM first, then KILL" {
	rm -f /tmp/mprun-term-$N
	local t0=$SECONDS
	# The TERM goes over the control channel at once: the job's trap ends
	# it long before the 20 s after which KILL (and the watcher's own TERM
	# when the connection closes) would come.
	run "$MPRUN" -S 1/mprun-a --ssh "$SSH" --timeout 1 --termseq TERM,20000,KILL,25 \
		"trap 'touch /tmp/mprun-term-$N; exit 3' TERM; : {}; sleep $N & wait" ::: x
	[ "$status" -eq 1 ]
	[ $((SECONDS - t0)) -lt 12 ]
	i=0
	while [ ! -e /tmp/mprun-term-$N ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e /tmp/mprun-term-$N ]
	rm -f /tmp/mprun-term-$N
}

@test "each signal of the sequence reaches the remote job before ssh is touched (USR1, 3 jobs)" {
	rm -f /tmp/mprun-usr1-$N.*
	# Only the control channel carries USR1: the local ssh is not
	# signalled (it would die of it and close the connection, and the
	# watcher would send TERM instead).
	run "$MPRUN" -S 3/mprun-a --ssh "$SSH" --timeout 1 --termseq USR1,20000,KILL,25 \
		"trap 'touch /tmp/mprun-usr1-$N.\$\$; exit 3' USR1; : {}; sleep $N & wait" ::: a b c
	echo "status $status: $output"
	[ "$status" -eq 3 ]
	i=0
	while [ "$(ls /tmp/mprun-usr1-$N.* 2>/dev/null | wc -l)" -lt 3 ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(ls /tmp/mprun-usr1-$N.* | wc -l)" -eq 3 ]
	rm -f /tmp/mprun-usr1-$N.*
}

@test "-k keeps input order across hosts; stdout and stderr come back" {
	run "$MPRUN" -k -S 2/mprun-a,2/mprun-b --ssh "$SSH" --joblog log \
		'sleep 0.$(( ({} * 7) % 4 )); echo out{}; echo err{} >&2' \
		::: 1 2 3 4 5 6 7 8
	[ "$status" -eq 0 ]
	[ "$output" = "$(for i in 1 2 3 4 5 6 7 8; do echo out$i; echo err$i; done)" ]
	# both hosts ran jobs (slots 1-2 are mprun-a, 3-4 mprun-b)
	cut -f2 log | grep -qx mprun-a
	cut -f2 log | grep -qx mprun-b
}

@test "exit statuses of remote jobs count; 127 for a missing program" {
	run "$MPRUN" -S 1/mprun-a,1/mprun-b --ssh "$SSH" 'exit {}' ::: 0 3 0 5
	[ "$status" -eq 2 ]
	run "$MPRUN" -S mprun-a --ssh "$SSH" --joblog log no-such-program-x ::: 1
	[ "$status" -eq 1 ]
	[ "$(tail -n1 log | cut -f7)" = 127 ]
}

@test "the joblog Host column names the host; ':' is this machine" {
	run "$MPRUN" -S 1/mprun-b,1/: --ssh "$SSH" --joblog log \
		'sleep 0.2; echo {}' ::: a b
	[ "$status" -eq 0 ]
	[ "$(head -n1 log | cut -f2)" = Host ]
	[ "$(tail -n +2 log | cut -f2 | sort | tr '\n' ' ')" = ": mprun-b " ]
}

@test "a login with its own ssh command and options (GNU parallel's 'ssh -p 2222 host'), without --ssh" {
	run "$MPRUN" -k -S "1/$SSH mprun-a, 1/$SSH -o BatchMode=yes mprun-b" \
		--joblog log 'sleep 0.2; echo {}' ::: 1 2 3
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1\n2\n3')" ]
	[ "$(tail -n +2 log | cut -f2 | sort -u | tr '\n' ' ')" = "mprun-a mprun-b " ]
	# the same in a --slf file, and with --nonall
	printf '1/%s mprun-b\n' "$SSH" >hosts
	run "$MPRUN" --slf hosts echo ::: x
	[ "$status" -eq 0 ]
	[ "$output" = x ]
	run "$MPRUN" -k --nonall -S "$SSH mprun-a,$SSH mprun-b" --tag echo hi
	[ "$status" -eq 0 ]
	# (the tag is the login as given, as GNU parallel's)
	[ "$output" = "$(printf '%s mprun-a\thi\n%s mprun-b\thi' "$SSH" "$SSH")" ]
	# an option where the login should be, or a command that is an option
	run "$MPRUN" -S "ssh -p" echo ::: 1
	[ "$status" -eq 255 ]
	[[ "$output" == *"bad SSH login 'ssh -p': the ssh command, its options, then the login"* ]]
	run "$MPRUN" -S "-oProxyCommand=touch\ pwned mprun-a" echo ::: 1
	[ "$status" -eq 255 ]
	[[ "$output" == *"bad SSH login"* ]]
	[ ! -e pwned ]
}

@test "--slf reads logins from a file, with comments" {
	printf '# hosts\n1/mprun-a\n\n  1/mprun-b  \n' >hosts
	run "$MPRUN" -k --slf hosts --ssh "$SSH" --joblog log \
		'sleep 0.2; echo {}' ::: 1 2
	[ "$status" -eq 0 ]
	[ "$output" = "1
2" ]
	[ "$(tail -n +2 log | cut -f2 | sort | tr '\n' ' ')" = "mprun-a mprun-b " ]
}

@test "a dead host is reported once and its jobs go to the other host" {
	run "$MPRUN" -k -S 1/mprun-dead,1/mprun-b --ssh "$SSH" --joblog log \
		echo ::: 1 2 3 4
	[ "$status" -eq 0 ]
	[ "$(grep -c 'mprun-dead' <<<"$output")" -eq 1 ]
	[ "$(grep -v mprun-dead <<<"$output")" = "1
2
3
4" ]
	[ "$(tail -n +2 log | cut -f2 | sort -u)" = mprun-b ]
}

@test "no host alive: a clear failure, no job runs" {
	run "$MPRUN" -S mprun-dead --ssh "$SSH" touch ran ::: 1
	[ "$status" -eq 255 ]
	[[ "$output" == *"mprun-dead"* ]]
	[[ "$output" == *"no SSH host could be reached"* ]]
	[ ! -e ran ]
}

@test "a login that looks like an ssh option is refused" {
	run "$MPRUN" -S '-oProxyCommand=touch pwned' --ssh "$SSH" echo ::: 1
	[ "$status" -eq 255 ]
	[[ "$output" == *"bad SSH login"* ]]
	[ ! -e pwned ]
}

@test "--env sends a variable, quoted; --workdir is where jobs run" {
	export MPRUN_T_VAR='a $(touch /tmp/mprun-pwned) '"'b'"
	run "$MPRUN" -S mprun-a --ssh "$SSH" --env MPRUN_T_VAR \
		--workdir "mprun wd $N" 'echo "$MPRUN_T_VAR"; pwd' ::: 1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$MPRUN_T_VAR" ]
	[ "${lines[1]}" = "$(remote_home)/mprun wd $N" ]
	[ ! -e /tmp/mprun-pwned ]
	rm -rf "$(remote_home)/mprun wd $N"
}

@test "--transfer copies inputs there, --return brings results back" {
	mkdir "sub dir"
	echo one >in1.txt
	echo "two's" >"sub dir/in 2.txt"
	wd="mprun-files-$N"
	run "$MPRUN" -S 1/mprun-a,1/mprun-b --ssh "$SSH" --workdir "$wd" \
		--transfer --return {}.out 'tr a-z A-Z <{} >{}.out' \
		::: in1.txt "sub dir/in 2.txt"
	[ "$status" -eq 0 ]
	[ "$(cat in1.txt.out)" = ONE ]
	[ "$(cat "sub dir/in 2.txt.out")" = "TWO'S" ]
	# without --cleanup the files stay there
	[ -e "$(remote_home)/$wd/in1.txt" ]
	[ -e "$(remote_home)/$wd/sub dir/in 2.txt.out" ]
	rm -rf "$(remote_home)/$wd"
}

@test "--cleanup (and --trc) remove the files there; a missing return fails" {
	echo one >in1.txt
	wd="mprun-files-$N"
	run "$MPRUN" -S mprun-a --ssh "$SSH" --workdir "$wd" --trc {}.out \
		'tr a-z A-Z <{} >{}.out' ::: in1.txt
	[ "$status" -eq 0 ]
	[ "$(cat in1.txt.out)" = ONE ]
	[ -z "$(ls -A "$(remote_home)/$wd")" ]
	run "$MPRUN" -S mprun-a --ssh "$SSH" --workdir "$wd" --trc {}.none \
		'true' ::: in1.txt
	[ "$status" -eq 1 ]
	[ ! -e in1.txt.none ]
	rm -rf "$(remote_home)/$wd"
}

@test "--return: a link another user planted beside the file or at its name is never written through; the file gets a new file's mode" {
	wd="mprun-files-$N"
	# a place another user may write in (not sticky: links there are
	# followed), and root's victim file
	D=$(mktemp -d /tmp/mprun-return.XXXXXX)
	chmod 777 "$D"
	echo original >"$T/victim"
	setpriv --reuid 65534 --regid 65534 --clear-groups \
		sh -c "ln -s '$T/victim' '$D/out.mprun-tmp' && ln -s '$T/victim' '$D/out'"
	cd "$D"
	run "$MPRUN" -S mprun-a --ssh "$SSH" --workdir "$wd" --return out \
		'echo returned {} >out' ::: x
	cd "$T"
	touch "$D/new"
	echo "status $status; $output; $(ls -l "$D")"
	[ "$status" -eq 0 ]
	[ "$(cat "$T/victim")" = original ]
	[ ! -L "$D/out" ]
	[ "$(cat "$D/out")" = "returned x" ]
	[ "$(stat -c %a "$D/out")" = "$(stat -c %a "$D/new")" ]
	[ "$(ls "$D" | grep -c 'out\.mprun-')" -eq 1 ] # the planted link only
	rm -rf "$D" "$(remote_home)/$wd"
}

@test "--transfer: an absolute or .. path fails its job (not written, not removed there); /./ and --transfer-absolute" {
	wd="mprun-files-$N"
	home=$(remote_home)
	mkdir -p "$T/data/run1"
	echo abs >"$T/data/run1/in.txt"
	echo victim >"$home/victim-$N.txt"
	chown "$MPRUN_SSH_USER" "$home/victim-$N.txt"
	# the user's own file of that name there stays as it was
	run "$MPRUN" -S mprun-a --ssh "$SSH" --workdir "$wd" --transfer \
		--cleanup 'cat {}' ::: "$T/data/run1/in.txt" "../victim-$N.txt"
	[ "$status" -eq 2 ]
	[ "$(grep -c 'an absolute or .. path would be outside the remote work directory' <<<"$output")" -eq 2 ]
	[ "$(cat "$home/victim-$N.txt")" = victim ]
	# dir/./path: path in the work directory
	run "$MPRUN" -S mprun-a --ssh "$SSH" --workdir "$wd" --transfer \
		'cat run1/in.txt; : {}' ::: "$T/data/./run1/in.txt"
	[ "$status" -eq 0 ]
	[ "$output" = abs ]
	[ -f "$home/$wd/run1/in.txt" ]
	# --transfer-absolute: ../ goes to the same relative place there
	# (here and there are one machine: an absolute path would be one file)
	echo rel >"$T/rel-$N.txt"
	mkdir "$T/sub"
	cd "$T/sub"
	run "$MPRUN" -S mprun-a --ssh "$SSH" --workdir "$wd" --transfer \
		--transfer-absolute --cleanup 'cat {}' ::: "../rel-$N.txt"
	[ "$status" -eq 0 ]
	[ "$output" = rel ]
	[ ! -e "$home/rel-$N.txt" ] # --cleanup removed it there
	cd "$T"
	run "$MPRUN" --transfer-absolute true ::: a
	[ "$status" -eq 255 ]
	rm -rf "$home/$wd" "$home/victim-$N.txt"
}

@test "Ctrl-C ends the remote job trees: no remote process is left" {
	"$MPRUN" -S 1/mprun-a,1/mprun-b --ssh "$SSH" \
		'sleep {} & sleep {}; echo never' ::: $N $N $N >out 2>&1 &
	pid=$!
	wait_remote_started
	sleep 0.3
	kill -INT "$pid"
	status=0
	wait "$pid" || status=$?
	pid=
	[ "$status" -eq 130 ]
	nothing_left
	! grep -q never out
}

@test "Ctrl-C or SIGTERM while the master still connects to a host that never answers: out within 1 s, no ssh left" {
	# mprun-never: a proxy that never answers stands for the network
	printf 'Host mprun-never\n  HostName 127.0.0.1\n  ProxyCommand sleep %s\n  BatchMode yes\n  ConnectTimeout 30\n' \
		"$N" >cfg
	local sig i
	for sig in INT TERM; do
		"$MPRUN" -S mprun-never --ssh "ssh -F $T/cfg" touch ran ::: 1 \
			>out 2>&1 &
		pid=$!
		# the master is connecting: its proxy runs
		for ((i = 0; i < 100; i++)); do
			pgrep -f -- "^sleep $N\$" >/dev/null && break
			sleep 0.05
		done
		pgrep -f -- "^sleep $N\$" >/dev/null
		signal_and_time "$sig"
		cat out
		[ "$status" -eq 130 ]
		[ "$ms" -lt 1000 ]
		grep -q "interrupted (SIG$sig) while connecting to the SSH hosts" out
		[ ! -e ran ]
		nothing_left
		[ -z "$(pgrep -f -- "-F $T/cf[g]")" ]
	done
}

@test "--timeout ends the remote job tree" {
	run "$MPRUN" -S mprun-b --ssh "$SSH" --timeout 1 \
		'sleep {} & sleep {}' ::: $N
	[ "$status" -eq 1 ]
	nothing_left
}

@test "mprun killed with SIGKILL: the remote job trees end too" {
	mkdir cm
	"$MPRUN" -S mprun-a --ssh "$SSH" --tmpdir "$PWD/cm" \
		'sleep {} & sleep {}' ::: $N >/dev/null 2>&1 &
	pid=$!
	wait_remote_started
	kill -KILL "$pid"
	nothing_left
	# the master it left (it would go after 60 s idle)
	for s in cm/mprun-ssh-*/*; do
		$SSH -o ControlPath="$s" -O exit mprun-a 2>/dev/null || :
	done
}

@test "a pipeline stage with executor: ssh runs on the hosts, the others here" {
	cat >p.yaml <<'YAML'
vars: {cfg: none}
stages:
  gen:
    cmd: printf '%s\n' 1 2 3 4 'a; touch /tmp/mprun-pwned'
  remote:
    cmd: echo "{}" on $(id -un)
    input: gen
    executor: ssh
    hosts: [1/mprun-a, 1/mprun-b]
    ssh: ssh -F {{cfg}}
    order: imap
  back:
    cmd: echo "{}" then $(id -un)
    input: remote
    order: imap
YAML
	run "$MPRUN" --pipeline p.yaml --set cfg="$MPRUN_SSH_CONFIG" --joblog log
	[ "$status" -eq 0 ]
	local u=$MPRUN_SSH_USER me
	me=$(id -un)
	[ "$output" = "$(for i in 1 2 3 4 'a; touch /tmp/mprun-pwned'; do echo "$i on $u then $me"; done)" ]
	[ ! -e /tmp/mprun-pwned ]
	# Host column: the remote stage on both hosts, the others here (:)
	[ "$(awk -F'\t' '$NF == "remote" {print $2}' log | sort -u | tr '\n' ' ')" = "mprun-a mprun-b " ]
	[ "$(awk -F'\t' 'NR > 1 && $NF != "remote" {print $2}' log | sort -u)" = ":" ]
}

@test "a pipeline stage whose hosts are all dead fails the run before it starts" {
	printf 'stages:\n  a:\n    cmd: touch ran{}\n    input: [1]\n    executor: ssh\n    hosts: mprun-dead\n' >p.yaml
	run env MPRUN_SSH="$SSH" "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 255 ]
	grep -q "mprun-dead" <<<"$output"
	[ ! -e ran1 ]
}

# --onall/--nonall as GNU parallel: same (tests/gnu.bash) with --ssh; GNU
# runs a parallel on each host (the test hosts are this machine, where it
# is installed).
# (Three tests: GNU parallel takes 2 to 3 s a case here.)
@test "--nonall: every host runs it, as GNU parallel" {
	command -v parallel >/dev/null || skip "GNU parallel is not installed"
	same --ssh "$SSH" --nonall -S mprun-a,mprun-b echo hi
	same --ssh "$SSH" --nonall -S mprun-a,mprun-b 'exit 3'
	same --ssh "$SSH" --nonall --tag -S mprun-a,mprun-b echo x
}

@test "--onall: every host runs every input, as GNU parallel" {
	command -v parallel >/dev/null || skip "GNU parallel is not installed"
	same --ssh "$SSH" --onall -S mprun-a,mprun-b echo ::: a b c
	same --ssh "$SSH" --onall -S mprun-a,mprun-b 'echo {}; exit {}' ::: 0 1 2
	same --ssh "$SSH" --onall --tag -S mprun-a,mprun-b echo ::: a b
}

@test "--onall with two sources, two -S, a dead host: as GNU parallel" {
	command -v parallel >/dev/null || skip "GNU parallel is not installed"
	same --ssh "$SSH" --onall -S 2/mprun-a,mprun-b echo {1} {2} ::: a b ::: 1 2
	same --ssh "$SSH" --onall -S mprun-a -S mprun-b echo ::: 'a b' "'q'"
	same --ssh "$SSH" --onall -S mprun-a,mprun-dead echo ::: a
}

@test "--onall: inputs from stdin reach every host; --slf hosts" {
	printf 'mprun-a\n# comment\nmprun-b\n' >hosts
	run "$MPRUN" -k --onall --slf hosts --ssh "$SSH" echo <<<$'p\nq'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'p\nq\np\nq')" ]
	# the copy of stdin is gone
	! ls "${TMPDIR:-/tmp}"/mprun-onall.* 2>/dev/null | grep -q .
}

# --- the counter service: remote jobs reach the run's counters (lib/mgr)
# through a Unix socket forwarded over each host's master connection ---

# A client for tests/ the service's address in MPRUN_COUNTERS (unix: or
# tcp:): it reads the greeting, says nothing, and tells whether the
# service dropped it ("dropped") or answered; at most 30 s.
SILENT_CLIENT='use IO::Socket::UNIX; use IO::Socket::INET;
my $a = $ENV{MPRUN_COUNTERS} // ""; my $s;
if ($a =~ /^unix:(.*)/) { $s = IO::Socket::UNIX->new(Peer => $1) }
elsif ($a =~ /^tcp:(.*):(\d+)$/) { $s = IO::Socket::INET->new(PeerAddr => $1, PeerPort => $2) }
$s or die "connect to <$a>: $!\n"; alarm 30;
my $g = <$s>; print "greeting ", ($g =~ /^mprun-counters 1 [0-9a-f]{32}\n$/ ? "ok" : "bad"), "\n";
my $r = <$s>; print defined $r ? "answered $r" : "dropped\n";'
export SILENT_CLIENT

# The remote counters' directories (the forwarded sockets) there now.
ctr_dirs() { ls -d /tmp/mprun-ctr.* 2>/dev/null || :; }

# Increments by each job of the 8 in the exact-total tests: 500 (a sanitized
# mprun takes 55 ms to start and end, not 5: 50 there). The jobs lower
# their priority (renice): the test files that time mprun's answers run
# meanwhile.
ops=500
[ -z "${MPRUN_SANITIZED:-}" ] || ops=50

@test "counters over SSH: 2 hosts x 4 jobs x 500 increments = exactly 4000; nothing left on either side" {
	PATH=$(dirname "$MPRUN"):$PATH
	mkdir cm
	run "$MPRUN" -S 4/mprun-a,4/mprun-b --ssh "$SSH" --env PATH \
		--tmpdir "$PWD/cm" --counter-init n=0 --counters-json c.json \
		--joblog log 'renice -n 10 $$ >/dev/null; for i in $(seq '$ops'); do mprun --counter n +1 >/dev/null || exit 1; done; echo {} $MPRUN_COUNTERS' \
		::: 1 2 3 4 5 6 7 8
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "mprun: counters: n=$((8 * ops))" ]
	grep -Eq "\"n\": ?$((8 * ops))" c.json
	# both hosts ran jobs, each through its own forwarded socket
	[ "$(tail -n +2 log | cut -f2 | sort -u | tr '\n' ' ')" = "mprun-a mprun-b " ]
	[ "$(grep -c 'unix:/tmp/mprun-ctr\.[0-9a-f]*\.[01]/s$' <<<"$output")" -eq 8 ]
	# no socket left there, nor here
	for d in $(grep -o '/tmp/mprun-ctr\.[^/]*' <<<"$output" | sort -u); do
		[ ! -e "$d" ]
	done
	[ -z "$(ls -A cm)" ]
}

@test "counters over SSH: --status here shows them live; Ctrl-C leaves no socket, no listener, no remote process" {
	PATH=$(dirname "$MPRUN"):$PATH
	mkdir cm
	local before
	before=$(ctr_dirs)
	"$MPRUN" -S 1/mprun-a,1/mprun-b --ssh "$SSH" --env PATH \
		--tmpdir "$PWD/cm" --counter-init n=0 \
		'mprun --counter n +{} && sleep '$N ::: 2 3 >out 2>&1 &
	pid=$!
	wait_status_line "$pid" '  counter n 5'
	wait_remote_started
	# the service listens here; two sockets are forwarded there
	local mine
	mine=$(comm -13 <(echo "$before") <(ctr_dirs))
	[ "$(wc -l <<<"$mine")" -eq 2 ]
	for d in $mine; do [ -S "$d/s" ]; done
	[ -S cm/mprun-mgr-*/s ]
	ss -xl | grep -q "$PWD/cm/mprun-mgr-"
	kill -INT "$pid"
	status=0
	wait "$pid" || status=$?
	pid=
	cat out
	[ "$status" -eq 130 ]
	nothing_left
	for d in $mine; do [ ! -e "$d" ]; done
	[ -z "$(ls -A cm)" ]
	! ss -xl | grep -e "$PWD/cm/" -e "/tmp/mprun-ctr\." | grep -F "$mine"
}

@test "counters over SSH: a wrong key or a malformed request is refused and counted; the right key still works" {
	PATH=$(dirname "$MPRUN"):$PATH
	run "$MPRUN" -k -S 1/mprun-a --ssh "$SSH" --env PATH --counter-init n=0 \
		'case {} in
		wrong) MPRUN_COUNTERS_KEY=0000000000000000000000000000000000000000000000000000000000000000 mprun --counter n +100; echo "status $?" ;;
		nokey) unset MPRUN_COUNTERS_KEY; mprun --counter n +100; echo "status $?" ;;
		junk) perl -MIO::Socket::UNIX -e '\''$s = IO::Socket::UNIX->new(Peer => substr($ENV{MPRUN_COUNTERS}, 5)) or die; <$s>; print $s "not a mac add n 100\n"; print "junk: ", scalar(<$s>) // "dropped\n"'\'' ;;
		right) mprun --counter n +1; echo "status $?" ;;
		esac' ::: wrong nokey junk right
	echo "$output"
	[ "$status" -eq 0 ]
	# (a job's stdout and stderr lines may come in either order)
	[[ "$(sed -n 1,2p <<<"$output" | sort)" == "mprun: --counter: the counter service at unix:/tmp/mprun-ctr."*"/s refused the key (MPRUN_COUNTERS_KEY)
status 255" ]]
	[ "$(sed -n 3,4p <<<"$output" | sort)" = "mprun: --counter: MPRUN_COUNTERS is set but MPRUN_COUNTERS_KEY is not: the counter service needs the run's key
status 255" ]
	[ "${lines[4]}" = "junk: err EACCES" ]
	[ "${lines[5]}" = 1 ]
	[ "${lines[6]}" = "status 0" ]
	[ "${lines[7]}" = "mprun: counter service: 2 connections refused (a wrong key, a malformed request, or silence)" ]
	[ "${lines[8]}" = "mprun: counters: n=1" ]
}

@test "counters over SSH: a client that connects and says nothing does not stall the run; it is dropped" {
	PATH=$(dirname "$MPRUN"):$PATH
	run "$MPRUN" -S 2/mprun-a --ssh "$SSH" --env PATH --env SILENT_CLIENT \
		--counter-init n=0 \
		'if [ {} = silent ]; then perl -e "$SILENT_CLIENT"; else for i in $(seq 10); do mprun --counter n +1 >/dev/null || exit 1; done; echo counted; fi' \
		::: silent count
	echo "$output"
	[ "$status" -eq 0 ]
	# the other job's 10 requests were served while the silent one was
	# connected: it ended first
	[ "${lines[0]}" = counted ]
	[ "${lines[1]}" = "greeting ok" ]
	[ "${lines[2]}" = dropped ]
	[ "${lines[3]}" = "mprun: counter service: 1 connections refused (a wrong key, a malformed request, or silence)" ]
	[ "${lines[4]}" = "mprun: counters: n=10" ]
}

@test "counters over SSH: a host without mprun on PATH is named once; the job's counter call fails" {
	run "$MPRUN" -S 2/mprun-a,2/mprun-b --ssh "$SSH" --counter-init n=0 \
		'mprun --counter n +1 2>/dev/null; echo "status $?"; : {}' ::: 1 2 3 4 5 6
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^status 127$' <<<"$output")" -eq 6 ]
	for h in mprun-a mprun-b; do
		[ "$(grep -c "^mprun: SSH host $h: mprun is not on PATH there: its jobs cannot use counters (mprun --counter)\$" <<<"$output")" -eq 1 ]
	done
	[ "${lines[-1]}" = "mprun: counters: n=0" ]
}

@test "counters over SSH: a run that cannot use them serves none; a hidden call says how to get them" {
	# no --counter-init, and the command does not name mprun: no service
	# (no forward, no directory there), no check of mprun there
	PATH=$(dirname "$MPRUN"):$PATH
	local before
	before=$(ctr_dirs)
	run "$MPRUN" -k -S mprun-a --ssh "$SSH" --env PATH \
		'echo "[${MPRUN_COUNTERS:-none}]"; m=mpr; ${m}un --counter n +1; : {}' ::: 1
	echo "$output"
	[ "${lines[0]}" = "[none]" ]
	[[ "$output" == *"mprun: --counter: no run: MPRUN_SHM is not set (run this inside a job of mprun; on an SSH host or a Slurm node, the run serves its counters when given --counter-init or when its command calls mprun)"* ]]
	[ "$(ctr_dirs)" = "$before" ]
}

@test "counters over SSH: the key is on no command line, here or there" {
	PATH=$(dirname "$MPRUN"):$PATH
	"$MPRUN" -S 1/mprun-a --ssh "$SSH" --env PATH --counter-init n=0 \
		'printf "%s\n" "$MPRUN_COUNTERS_KEY" >/dev/shm/mprun-key-'$N'; mprun --counter n +1 >/dev/null; sleep {}' ::: $N >out 2>&1 &
	pid=$!
	wait_remote_started
	local key
	key=$(cat /dev/shm/mprun-key-$N)
	rm -f /dev/shm/mprun-key-$N
	[[ "$key" =~ ^[0-9a-f]{64}$ ]]
	# every process's arguments, base64 ones decoded too
	# (pgrep leaves itself out; a grep of ps would find its own)
	[ -z "$(pgrep -af -- "$key")" ]
	[ -z "$(ps -eo args= | grep -Eo "[A-Za-z0-9+/=]{40,}" | while read -r b; do
		base64 -d <<<"$b" 2>/dev/null || :
	done | grep -aF "$key")" ]
	kill -INT "$pid"
	wait "$pid" || :
	pid=
}

@test "counters in a pipeline stage with executor: ssh" {
	PATH=$(dirname "$MPRUN"):$PATH
	cat >p.yaml <<'YAML'
vars: {cfg: none}
counters: [n]
stages:
  remote:
    cmd: for i in 1 2 3; do mprun --counter n +{} >/dev/null; done; echo {}
    input: [1, 2, 3, 4]
    executor: ssh
    hosts: [2/mprun-a, 2/mprun-b]
    ssh: ssh -F {{cfg}}
YAML
	run "$MPRUN" --pipeline p.yaml --set cfg="$MPRUN_SSH_CONFIG" --env PATH
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "mprun: counters: n=30" ]
}
