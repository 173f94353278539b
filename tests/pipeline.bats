#!/usr/bin/env bats
# YAML pipelines (--pipeline): every key, streaming between stages,
# back-pressure, the barrier, signals, the job log, and bad files.

bats_require_minimum_version 1.5.0

load setup

P=$MPRUN_SRCDIR/tests/pipelines
EX=$MPRUN_SRCDIR/examples/pipelines

# setup.bash's setup, then $N: digits unique to this test, which the
# processes it looks for carry in their command line (sleep 20.$N).
eval "_pl_base_$(declare -f setup)"
setup() {
	_pl_base_setup || return 1
	N=$$$RANDOM$BATS_TEST_NUMBER
	pid=
}

teardown() {
	[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || :
}

# Milliseconds since the epoch, without a fork of date.
_pl_ms() {
	local t=${EPOCHREALTIME//[.,]/}
	echo $((t / 1000))
}

# Run a command with its stderr in the file "err" (run keeps stdout only).
_pl_err_to_file() {
	"$@" 2>err
}

# The size of the largest regular file process $1 has open (a spill file).
_pl_largest_file() {
	local fd size max=0
	for fd in /proc/$1/fd/*; do
		[ -f "$fd" ] || continue
		size=$(stat -L -c %s "$fd")
		[ "$size" -le "$max" ] || max=$size
	done
	echo "$max"
}

# Run tests/pipelines/yes_into_echo.yaml (stdout in "out"), send it signal
# $1 (if given) after 0.5 s; 1.5 s later its largest file (the channel's
# spill) must hold 8 MiB at most; then Ctrl-C: 130.
_pl_yes_bounded() {
	local pid max
	"$MPRUN" --pipeline "$P/yes_into_echo.yaml" >out 2>err &
	pid=$!
	if [ -n "${1:-}" ]; then
		sleep 0.5
		kill -"$1" $pid
	fi
	sleep 1.5
	max=$(_pl_largest_file $pid)
	kill -INT $pid
	wait $pid || status=$?
	echo "largest file $max"
	[ "$max" -le $((8 << 20)) ]
	[ "$status" -eq 130 ]
}

# The peak RSS (KiB) of the mprun run "$@", polled from /proc.
_pl_peak_rss() {
	"$MPRUN" "$@" >out 2>err &
	local pid=$! hwm=0 h
	while kill -0 "$pid" 2>/dev/null; do
		h=$(awk '/^VmHWM/{print $2}' /proc/$pid/status 2>/dev/null)
		[ -n "$h" ] && hwm=$h
		sleep 0.02
	done
	wait "$pid"
	echo "$hwm"
}

# --- keys -------------------------------------------------------------------

@test "a stage reads another stage's output lines as inputs" {
	cat >p.yaml <<'Y'
stages:
  gen:
    cmd: printf '%s\n' a 'b c' '$(touch pwned)'
  show:
    cmd: echo "<{}>"
    input: gen
    order: imap
Y
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '<a>\n<b c>\n<$(touch pwned)>')" ]
	[ ! -e pwned ]
}

@test "a stage with no input runs once, with nothing appended" {
	printf 'stages:\n  one:\n    cmd: echo hello\n' >p.yaml
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
}

@test "input: a list of values, one job each" {
	printf 'stages:\n  s:\n    cmd: echo v{}\n    input: [1, 2, 3]\n    order: imap\n' >p.yaml
	run "$MPRUN" --pipeline p.yaml
	[ "$output" = "$(printf 'v1\nv2\nv3')" ]
}

@test "input: {file:} and {glob:} sources" {
	printf 'x\ny\n' >list
	touch g1.dat g2.dat
	cat >p.yaml <<'Y'
stages:
  f:
    cmd: echo file {}
    input: {file: list}
    order: imap
  g:
    cmd: echo glob {}
    input: {glob: "g*.dat"}
    order: imap
    after: f
Y
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'file x\nfile y\nglob g1.dat\nglob g2.dat')" ]
}

@test "several sources are a product; linked: true pairs them like :::+" {
	cat >p.yaml <<'Y'
stages:
  prod:
    cmd: echo {1}{2}
    input: [{values: [a, b]}, {values: [1, 2]}]
    order: imap
  link:
    cmd: echo {1}-{2}
    input: [{values: [a, b]}, {values: [1, 2], linked: true}]
    order: imap
    after: prod
Y
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a1\na2\nb1\nb2\na-1\nb-2')" ]
}

@test "jobs: N runs at most N at once, n: batches inputs" {
	cat >p.yaml <<'Y'
stages:
  s:
    cmd: mkdir lock.{#} && ls -d lock.* | wc -l >> conc; sleep 0.2; rmdir lock.{#}; echo {}
    input: [1, 2, 3, 4, 5, 6]
    jobs: 2
  b:
    cmd: echo batch {}
    input: [1, 2, 3, 4, 5]
    n: 2
    order: imap
    after: s
Y
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 0 ]
	[ "$(sort -n conc | tail -1)" -le 2 ]
	[ "$(grep -c batch <<<"$output")" -eq 3 ]
	grep -qx 'batch 1 2' <<<"$output"
	grep -qx 'batch 5' <<<"$output"
}

@test "order: map releases in input order at the end" {
	# The second job ("1") ends last: once the job log shows that the
	# other two have ended, it looks whether anything was written yet
	# (with imap the first job's output would be).
	cat >p.yaml <<Y
stages:
  s:
    cmd: |
      if [ {} = 1 ]; then
        $WAIT_LINES log 3 && sleep 0.5
        if [ -s out ]; then echo "1 after output"; else echo 1; fi
      else
        echo {}
      fi
    input: [3, 1, 2]
    order: map
    jobs: 3
Y
	"$MPRUN" --pipeline p.yaml --joblog log >out
	cat out log
	[ "$(cat out)" = "$(printf '3\n1\n2')" ]
	[ "$(tail -n 1 log | cut -f1)" = 2 ]
}

@test "timeout:, retries:, env: apply to their stage" {
	cat >p.yaml <<'Y'
stages:
  slow:
    cmd: sleep 5
    timeout: 300ms
  flaky:
    cmd: n=$(cat c 2>/dev/null || echo 0); echo $((n+1)) > c; [ $n -ge 2 ] && echo "ok $FOO"
    retries: 3
    env: {FOO: bar}
    after: slow
Y
	t0=$(_pl_ms)
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 1 ]
	[ $(($(_pl_ms) - t0)) -lt 3000 ]
	grep -q 'stage slow: job 1 timed out' <<<"$output"
	grep -qx 'ok bar' <<<"$output"
	[ "$(cat c)" -eq 3 ]
}

@test "a job ended in one stage (timeout:) leaves the other stages' jobs alone" {
	# job 1 of each stage: the one of slow times out, the one of other
	# must still run to its end (the same number, not the same job)
	cat >p.yaml <<'Y'
stages:
  slow:
    cmd: sleep 30
    timeout: 300ms
  other:
    cmd: sleep 1; echo other-done
  w:
    workers: while read x; do sleep 1; echo w-$x; done
    input: [1]
Y
	run "$MPRUN" --pipeline p.yaml --joblog log
	cat log
	[ "$status" -eq 1 ]
	grep -q 'stage slow: job 1 timed out' <<<"$output"
	grep -qx 'other-done' <<<"$output"
	grep -qx 'w-1' <<<"$output"
	[ "$(awk -F'\t' 'NR > 1 { print $10, $7, $8 }' log | sort)" = "$(printf 'other 0 0\nslow 143 15\nw 0 0')" ]
}

@test "on_success / on_error callbacks of a stage" {
	cat >p.yaml <<'Y'
stages:
  s:
    cmd: exit {}
    input: [0, 3]
    on_success: echo "good {} $MPRUN_EXIT"
    on_error: echo "bad {} $MPRUN_EXIT"
Y
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 1 ]
	grep -qx 'good 0 0' <<<"$output"
	grep -qx 'bad 3 3' <<<"$output"
}

@test "halt: now,fail=1 ends the whole pipeline" {
	# job 3 of work fails while its job 1 and the job of another stage
	# sleep 20 s: now ends both (soon would wait for them)
	cat >p.yaml <<Y
stages:
  gen:
    cmd: seq 1000
  work:
    cmd: |
      case {} in
      1) exec sleep 20.$N ;;
      3) $WAIT_FOR other.started; exit 1 ;;
      *) sleep 0.05$N ;;
      esac
    input: gen
    halt: now,fail=1
    jobs: 2
  other:
    cmd: touch other.started; exec sleep 21.$N
Y
	t0=$(_pl_ms)
	run "$MPRUN" --pipeline p.yaml --joblog log
	elapsed=$(($(_pl_ms) - t0))
	echo "status $status, ${elapsed}ms"
	cat log
	[ "$status" -ge 1 ]
	grep -q 'halt' <<<"$output"
	[ -z "$(pgrep -f "sleep (2[01]|0\.05)\.?$N")" ]
	# the jobs it ended count neither way, and are logged with their signal
	[ "$status" -eq 1 ]
	grep -qx 'mprun: --halt: stopped the pipeline after 1 failed jobs' <<<"$output"
	[ "$(awk -F'\t' '$10 == "work" && $1 == 1 { print $7, $8 }' log)" = "143 15" ]
	[ "$(awk -F'\t' '$10 == "other" { print $1, $7, $8 }' log)" = "1 143 15" ]
	[ "$elapsed" -lt 10000 ]
}

@test "halt: the exit status is the command line's (the failing job's exit value for now,fail=1)" {
	printf 'stages:\n  s:\n    cmd: sh -c "exit 3" {}\n    input: [1, 2, 3, 4]\n    jobs: 1\n    halt: now,fail=1\n' >p.yaml
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 3 ]
	run "$MPRUN" -j1 --halt now,fail=1 "sh -c 'exit 3' {}" ::: 1 2 3 4
	[ "$status" -eq 3 ]
}

@test "vars: and --set NAME=VALUE; an unknown --set is an error" {
	printf 'vars:\n  who: world\nstages:\n  s:\n    cmd: echo hello {{who}}\n' >p.yaml
	run "$MPRUN" --pipeline p.yaml
	[ "$output" = "hello world" ]
	run "$MPRUN" --pipeline p.yaml --set who=there
	[ "$output" = "hello there" ]
	run "$MPRUN" --pipeline p.yaml --set whom=x
	[ "$status" -eq 255 ]
	grep -q 'whom' <<<"$output"
}

@test "merge keys: <<: *defaults gives a stage the keys it lacks; a bad merge is named" {
	cat >p.yaml <<'EOF'
x-defaults: &defaults
  order: imap
  env: {GREETING: hello}
  cmd: echo never
stages:
  gen:
    <<: *defaults
    cmd: echo $GREETING {}
    input: [a, b, c]
  up:
    <<: [*defaults]
    cmd: echo {} | tr a-z A-Z
    input: gen
EOF
	run "$MPRUN" -j2 --pipeline p.yaml
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'HELLO A\nHELLO B\nHELLO C')" ]
	printf 'stages:\n  a:\n    <<: nope\n    cmd: echo\n' >p.yaml
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 255 ]
	[ "$output" = "mprun: p.yaml:3:9: <<: expected a mapping (or an alias of one), or a list of them" ]
}

@test "the stdout of a stage read by another is not mprun's output" {
	printf 'stages:\n  a:\n    cmd: echo inner\n  b:\n    cmd: echo outer {}\n    input: a\n' >p.yaml
	run "$MPRUN" --pipeline p.yaml
	[ "$output" = "outer inner" ]
}

@test "one source fans out into two stages (examples/pipelines/fanout.yaml)" {
	run "$MPRUN" --pipeline "$EX/fanout.yaml" --set count=4
	[ "$status" -eq 0 ]
	[ "$(grep -c '^square' <<<"$output")" -eq 4 ]
	[ "$(grep -c '^cube' <<<"$output")" -eq 4 ]
	grep -qx 'cube of 4 is 64' <<<"$output"
}

@test "the compress and word-count examples run" {
	mkdir d t
	seq 1000 >d/a.log
	seq 10 >d/b.log
	run "$MPRUN" --pipeline "$EX/compress.yaml" --set dir=d
	[ "$status" -eq 0 ]
	[ "$(wc -l <d/INDEX)" -eq 2 ]
	(cd d && zcat a.log.gz | cmp - a.log)
	printf 'b a b\n' >t/1.txt
	printf 'c b\n' >t/2.txt
	run "$MPRUN" --pipeline "$EX/wordcount.yaml" --set texts=t --set out=$PWD/o
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '3 b\n1 a\n1 c')" ]
}

# --- streaming, back-pressure, barrier --------------------------------------

@test "stage B starts on its first input while stage A still runs" {
	# a writes its second line once the test has read b's first output
	cat >p.yaml <<Y
stages:
  a:
    cmd: echo first; $WAIT_FOR "seen.got first" && echo second
  b:
    cmd: echo got {}
    input: a
Y
	"$MPRUN" --pipeline p.yaml | see_lines >st
	cat st
	[ "$(cat st)" = "$(printf 'got first\ngot second')" ]
}

@test "after: waits until the named stage has ended" {
	cat >p.yaml <<'Y'
stages:
  a:
    cmd: sleep 0.5; echo a-done > a.mark
  b:
    cmd: cat a.mark
    after: a
Y
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 0 ]
	[ "$output" = a-done ]
}

@test "1,000,000 items through three stages stay under 20 MB RSS" {
	local items=1000000 limit=20480
	if [ -n "${MPRUN_SANITIZED:-}" ]; then
		# ASan keeps freed memory (its quarantine, 256 MB) and adds its
		# own: without the quarantine, twice the limit. Its allocator
		# makes each item about ten times dearer: 200,000 items go
		# through the same queues as many times over (the plain build
		# checks the million).
		export ASAN_OPTIONS=${ASAN_OPTIONS:-}:quarantine_size_mb=0
		limit=40960 items=200000
	fi
	cat >p.yaml <<Y
stages:
  gen:
    cmd: seq $items
  a:
    cmd: printf '%s\\n' {}
    input: gen
    n: 10000
  b:
    cmd: printf '%s\\n' {}
    input: a
    n: 10000
  c:
    cmd: printf '%s\\n' {} | wc -l
    input: b
    n: 10000
Y
	peak=$(_pl_peak_rss --pipeline p.yaml)
	[ "$(awk '{s += $1} END {print s}' out)" -eq "$items" ]
	echo "peak $peak KiB" >&3
	[ "$peak" -gt 0 ]
	[ "$peak" -lt "$limit" ]
}

@test "Ctrl-C mid-pipeline: exit 130 and no process left" {
	cat >p.yaml <<Y
stages:
  gen:
    cmd: sh -c 'for i in 1 2 3 4 5 6 7 8; do echo \$i; sleep 0.1; done'
  work:
    cmd: setsid sleep 309{}.$N; sleep 308{}.$N
    input: gen
    jobs: 3
Y
	for i in 1 2 3; do
		setsid "$MPRUN" --pipeline p.yaml &
		pid=$!
		sleep 0.5
		kill -INT -- -"$pid"
		wait "$pid" && rc=0 || rc=$?
		pid=
		[ "$rc" -eq 130 ]
		[ -z "$(pgrep -f "sleep 30[89][0-9]*\.$N")" ]
	done
}

# --- workers: stages -----------------------------------------------------------

@test "a workers: stage serves a stream between two stages, in order" {
	cat >p.yaml <<'Y'
stages:
  gen:
    cmd: seq 2000
  tag:
    workers: sed -u 's/^/w:/'
    input: gen
    jobs: 2
    order: imap
  check:
    cmd: printf '%s\n' {} | cksum
    input: tag
    n: 100000
Y
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 0 ]
	[ "$output" = "$(seq 2000 | sed 's/^/w:/' | cksum)" ]
}

@test "examples/pipelines/workers.yaml adds up what its workers tagged" {
	run "$MPRUN" --pipeline "$EX/workers.yaml" --set count=3000
	[ "$status" -eq 0 ]
	[ "$output" = "3000 numbers, sum 4501500" ]
}

@test "a workers: stage reuses its workers and feeds the next stage" {
	cat >p.yaml <<'Y'
stages:
  serve:
    workers: while read x; do echo "$$"; done
    input: {values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}
    jobs: 2
  pids:
    cmd: echo pid
    input: serve
Y
	run "$MPRUN" --pipeline p.yaml --joblog log
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 10 ]
	# 10 inputs went to 2 worker processes
	[ "$(awk -F'\t' '$NF == "pids" {print $NF, $9}' log | sort -u | wc -l)" -eq 2 ]
	# the workers stage is logged: one line per input, Command = workers + input
	[ "$(awk -F'\t' '$NF == "serve"' log | wc -l)" -eq 10 ]
	awk -F'\t' '$NF == "serve" {print $9}' log | grep -qx 'while read x; do echo "$$"; done 7'
}

@test "a workers: stage with order: map hands its held results to its reader" {
	printf 'stages:\n  w:\n    workers: sed -u s/^/x/\n    input: [1, 2, 3]\n    order: map\n  c:\n    cmd: echo got {}\n    input: w\n    order: imap\n' >p.yaml
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'got x1\ngot x2\ngot x3')" ]
}

@test "a worker that dies in a workers: stage fails its input; the rest go on" {
	cat >p.yaml <<'Y'
stages:
  serve:
    workers: while read x; do [ $x = 3 ] && exit 4; echo r$x; done
    input: [1, 2, 3, 4, 5]
    jobs: 1
    order: imap
Y
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 1 ]
	[ "$(grep '^r' <<<"$output" | tr '\n' ' ')" = "r1 r2 r4 r5 " ]
	grep -q "stage serve: worker 1 died (exit status 4) on input '3'" <<<"$output"
}

@test "halt: in a workers: stage stops the whole pipeline" {
	cat >p.yaml <<'Y'
stages:
  gen:
    cmd: seq 100000
  serve:
    workers: while read x; do [ $x = 5 ] && exit 4; echo r$x; done
    input: gen
    jobs: 1
    max_inflight: 1
    halt: now,fail=1
Y
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 1 ]
	grep -q -- "--halt: stopped the pipeline" <<<"$output"
	[ "$(grep -c '^r' <<<"$output")" -lt 100 ]
}

@test "Ctrl-C on a pipeline with a workers: stage: exit 130, no worker left" {
	cat >p.yaml <<Y
stages:
  gen:
    cmd: sh -c 'for i in 1 2 3 4 5 6 7 8; do echo \$i; sleep 0.1; done'
  serve:
    workers: while read x; do setsid sleep 307\$x.$N; echo \$x; done
    input: gen
    jobs: 2
Y
	setsid "$MPRUN" --pipeline p.yaml &
	pid=$!
	sleep 0.6
	kill -INT -- -"$pid"
	wait "$pid" && rc=0 || rc=$?
	pid=
	[ "$rc" -eq 130 ]
	sleep 0.2
	[ -z "$(pgrep -f "sleep 307[0-9]*\.$N")" ]
	[ -z "$(pgrep -f "while read x; do setsid sleep 307.x\.$N")" ]
}

@test "--dry-run shows a workers: stage and starts no worker" {
	printf 'stages:\n  s:\n    workers: touch started; cat\n    input: [1, 2]\n' >p.yaml
	run "$MPRUN" --pipeline p.yaml --dry-run
	[ "$status" -eq 0 ]
	grep -qx '# stage s: workers: touch started; cat' <<<"$output"
	[ ! -e started ]
}

# --- the run's output --------------------------------------------------------

@test "--joblog has a Stage column" {
	printf 'stages:\n  a:\n    cmd: echo {}\n    input: [x]\n  b:\n    cmd: echo {}\n    input: a\n' >p.yaml
	run "$MPRUN" --pipeline p.yaml --joblog log
	[ "$status" -eq 0 ]
	head -1 log | grep -q $'Command\tStage$'
	[ "$(awk -F'\t' 'NR > 1 {print $10}' log | sort | tr '\n' ' ')" = "a b " ]
}

@test "--progress shows one line per stage" {
	printf 'stages:\n  a:\n    cmd: sleep 1.2; echo x\n  b:\n    cmd: echo {}\n    input: a\n' >p.yaml
	run "$MPRUN" --pipeline p.yaml --progress
	[ "$status" -eq 0 ]
	grep -q '^mprun: a: .*done' <<<"$output"
	grep -q '^mprun: b: .*done' <<<"$output"
}

@test "--tag, --tagstring, --line-buffer, -u: for mprun's stdout, not for what a stage passes on" {
	# a job stage and a workers stage, each read by another stage
	cat >p.yaml <<'Y'
stages:
  gen:
    cmd: echo x{}
    input: [1, 2]
  wk:
    workers: "while read v; do echo w$v; done"
    input: [1, 2]
  show:
    cmd: echo "<{}>"
    input: gen
  show2:
    cmd: echo "[{}]"
    input: wk
Y
	plain=$(printf '<x1>\n<x2>\n[w1]\n[w2]')
	for opt in --line-buffer --lb -u --ungroup; do
		run "$MPRUN" "$opt" --pipeline p.yaml
		[ "$status" -eq 0 ]
		[ "$(sort <<<"$output")" = "$plain" ]
	done
	# the last stages' lines are tagged by their own inputs, untagged
	run "$MPRUN" --tag --pipeline p.yaml
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output")" = "$(printf 'w1\t[w1]\nw2\t[w2]\nx1\t<x1>\nx2\t<x2>')" ]
	run "$MPRUN" --tagstring 'T{}' --pipeline p.yaml
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output")" = "$(printf 'Tw1\t[w1]\nTw2\t[w2]\nTx1\t<x1>\nTx2\t<x2>')" ]
}

@test "--dry-run prints the stage graph and the first commands, runs nothing" {
	printf 'stages:\n  a:\n    cmd: touch ran.{}\n    input: [1, 2]\n  b:\n    cmd: echo {}\n    input: a\n' >p.yaml
	run "$MPRUN" --pipeline p.yaml --dry-run
	[ "$status" -eq 0 ]
	grep -q '^# stage a: touch ran.{}' <<<"$output"
	grep -q '^#   input: stage a' <<<"$output"
	grep -qx 'a: touch ran.1' <<<"$output"
	[ ! -e ran.1 ]
}

@test "the exit status counts failed jobs of every stage" {
	printf 'stages:\n  a:\n    cmd: exit 1\n    input: [1, 2]\n  b:\n    cmd: exit 1\n    input: [3]\n' >p.yaml
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 3 ]
}

@test "a bad record in a stage's input (a NUL byte): the records before it run, a message, 255" {
	printf 'a\nb\0c\nd\n' >list
	printf 'stages:\n  f:\n    cmd: echo file {}\n    input: {file: list}\n' >p.yaml
	run _pl_err_to_file "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 255 ]
	[ "$output" = "file a" ]
	[ "$(cat err)" = "mprun: stage f: list: record 2 holds a NUL byte (use -0 for NUL-delimited input)" ]
}

@test "a bad record from another stage ends the reader's input and the writer alone; the reader's jobs finish, nothing hangs" {
	# the reader's job is still running when the writer's output closes:
	# that ends the writer's stage, not the whole pipeline
	cat >p.yaml <<'Y'
stages:
  gen:
    cmd: printf 'a\nb\0c\n'; exec yes
  show:
    cmd: sleep 0.3; echo "<{}>"
    input: gen
Y
	run _pl_err_to_file timeout 20 "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 255 ]
	[ "$output" = "<a>" ]
	[ "$(cat err)" = "mprun: stage show: stage gen: record 2 holds a NUL byte (use -0 for NUL-delimited input)" ]
}

@test "mprun's stdout closed under the last stage ends every stage: 255, the endless first stage too" {
	run bash -c 'timeout 20 "$1" --pipeline "$2" | head -2; echo "${PIPESTATUS[0]}"' _ "$MPRUN" "$P/yes_into_echo.yaml"
	[ "$output" = "$(printf '<y>\n<y>\n255')" ]
}

@test "a stage whose job writes without end waits for its slow reader: the channel holds a few MiB, not the disk" {
	_pl_yes_bounded
}

@test "--halt soon in a reader: its writer, waiting for it, is read again and the run ends" {
	cat >p.yaml <<'Y'
stages:
  gen:
    cmd: seq 2000000
  show:
    cmd: "[ {} -ne 3 ] || { sleep 0.5; exit 1; }"
    input: gen
    halt: soon,fail=1
Y
	# (job 3 fails late: gen has filled the channel and waits by then)
	run timeout -s INT 30 "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 1 ]
	[[ "$output" == "mprun: --halt: stopped the pipeline after "[12]" failed jobs" ]]
}

@test "after SIGTERM, a stage that writes for readers that start no job again is ended as in a shell pipeline (it writes without end)" {
	local pid t0
	"$MPRUN" --pipeline "$P/yes_into_echo.yaml" >out 2>err &
	pid=$!
	sleep 0.5
	t0=$(_pl_ms)
	kill -TERM $pid
	wait $pid || status=$?
	[ "${status:-0}" -eq 0 ]
	[ $(($(_pl_ms) - t0)) -lt 3000 ]
	grep -qx '<y>' out
	[[ "$(cat err)" == "mprun: SIGTERM received: no new jobs start; waiting for the "[1-9]*" running to finish (send it again to end them now)" ]]
}

@test "--halt soon with a writer that writes without end: it is ended as its readers start no job, and the run ends" {
	printf 'stages:\n  gen:\n    cmd: yes\n  take:\n    cmd: echo {}\n    input: gen\n    halt: soon,done=5\n' >p.yaml
	run --separate-stderr timeout 20 "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -ge 5 ]
	[ -z "$(printf '%s\n' "${lines[@]}" | grep -vx y)" ]
	[ "$stderr" = "mprun: --halt: stopped the pipeline after 0 failed jobs" ]
}

@test "the last line of a job without a newline is one input of the reader, not glued to the next job's" {
	printf 'stages:\n  gen:\n    cmd: printf "a\\nb\\nc"\n  nonl:\n    cmd: printf x%%s {}\n    input: gen\n  show:\n    cmd: echo M{}\n    input: nonl\n' >p.yaml
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "${lines[@]}" | sort | tr '\n' ' ')" = "Mxa Mxb Mxc " ]
}

@test "bad file: a workers stage of framing nul or len read by another stage (it reads lines)" {
	printf 'stages:\n  w:\n    workers: cat\n    framing: len\n    input: [a]\n  next:\n    cmd: echo {}\n    input: w\n' >p.yaml
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 255 ]
	[ "$output" = "mprun: p.yaml:2:3: stage 'w': framing: len: another stage reads its results, as lines (framing: line only)" ]
}

@test "a writer never waits for a reader that waits for another branch (after:): the channel spills instead" {
	# c must read all of a before b starts: a waiting for b would hang
	run bash -c 'timeout -s INT 30 "$1" --pipeline "$2" | awk "{ s += \$1 } END { print s }"; echo "${PIPESTATUS[0]}"' _ "$MPRUN" "$P/after_spills.yaml"
	[ "$output" = "$(printf '2000000\n0')" ]
}

@test "--max-record applies to the stages' inputs" {
	head -c 3000 /dev/zero | tr '\0' x >list
	printf '\nok\n' >>list
	printf 'stages:\n  f:\n    cmd: echo {}\n    input: {file: list}\n' >p.yaml
	run _pl_err_to_file "$MPRUN" --max-record 1k --pipeline p.yaml
	[ "$status" -eq 255 ]
	[ "$output" = "" ]
	[ "$(cat err)" = "mprun: stage f: list: record 1 is longer than 1K (--max-record)" ]
	run "$MPRUN" --max-record 3000 --pipeline p.yaml
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "--pipeline with a command on the command line is a usage error" {
	printf 'stages:\n  a:\n    cmd: echo\n' >p.yaml
	run "$MPRUN" --pipeline p.yaml echo ::: x
	[ "$status" -eq 255 ]
}

# --- bad pipeline files: one message with file:line:col, 255, nothing run -----

_pl_bad() {
	run "$MPRUN" --pipeline "$P/$1"
	[ "$status" -eq 255 ]
	[ "${#lines[@]}" -eq 1 ]
	grep -qF "$1:$2: " <<<"$output"
	grep -qF "$3" <<<"$output"
}

@test "bad file: not valid YAML" { _pl_bad bad_yaml.yaml 5:1 'not valid YAML'; }
@test "bad file: unknown key, with a hint" { _pl_bad unknown_key.yaml 4:5 "unknown key 'inptu' (did you mean 'input'?)"; }
@test "bad file: unknown top-level key" { _pl_bad unknown_top.yaml 1:1 "unknown key 'stage' (did you mean 'stages'?)"; }
@test "bad file: missing cmd" { _pl_bad missing_cmd.yaml 3:5 "stage 'a' has no cmd"; }
@test "bad file: input naming no stage" { _pl_bad no_stage.yaml 4:12 "unknown stage 'nosuch'"; }
@test "bad file: a cycle" { _pl_bad cycle.yaml 2:3 "depends on itself"; }
@test "bad file: after: itself" { _pl_bad self_after.yaml 2:3 "depends on itself"; }
@test "bad file: wrong type" { _pl_bad wrong_type.yaml 5:11 "jobs: expected a whole number"; }
@test "bad file: unknown variable, with a hint" { _pl_bad unknown_var.yaml 5:10 "unknown variable 'dri' (did you mean 'dir'?)"; }
@test "bad file: bad order" { _pl_bad bad_order.yaml 4:12 "unknown order 'sorted'"; }
@test "bad file: bad timeout" { _pl_bad bad_timeout.yaml 4:14 "timeout: expected a duration"; }
@test "bad file: two kinds in one source" { _pl_bad two_kinds.yaml 4:12 "exactly one of"; }
@test "bad file: cmd and workers in one stage" { _pl_bad cmd_and_workers.yaml 4:5 "stage 'a': cmd and workers exclude each other"; }
@test "bad file: n in a workers stage" { _pl_bad workers_n.yaml 5:5 "stage 'a': n does not apply to a workers: stage"; }
@test "bad file: a worker key without workers" { _pl_bad framing_no_workers.yaml 4:5 "stage 'a': framing needs workers:"; }
@test "bad file: workers on a remote executor" { _pl_bad workers_remote.yaml 4:5 "stage 'a': workers run here: executor must be local"; }
@test "bad file: bad framing, with a hint" { _pl_bad bad_framing.yaml 4:14 "unknown framing 'tlv'"; }
@test "bad file: unknown executor, with a hint" { _pl_bad bad_executor.yaml 4:15 "unknown executor 'sssh' (did you mean 'ssh'?)"; }
@test "bad file: executor: ssh without hosts:" { _pl_bad ssh_no_hosts.yaml 4:5 "stage 'a': executor: ssh needs hosts:"; }
@test "bad file: hosts: without executor: ssh" { _pl_bad hosts_no_ssh.yaml 4:5 "stage 'a': hosts needs executor: ssh"; }
@test "bad file: a slurm key on an ssh stage" { _pl_bad slurm_key_ssh.yaml 6:5 "stage 'a': slurm_cpus needs executor: slurm"; }
@test "bad file: hosts: not a list" { _pl_bad bad_hosts.yaml 5:12 "hosts: expected a list of SSH logins"; }

@test "bad file: an empty cmd, and a stage crossed with the first source (it would be read whole first): named at their place" {
	printf 'stages:\n  a:\n    cmd: ""\n' >e.yaml
	run "$MPRUN" --pipeline e.yaml
	[ "$status" -eq 255 ]
	[ "$output" = "mprun: e.yaml:3:10: stage 'a': cmd: the command is empty" ]
	printf 'stages:\n  a:\n    cmd: echo\n    on_error: "  "\n' >e.yaml
	run "$MPRUN" --pipeline e.yaml
	[ "$output" = "mprun: e.yaml:4:15: stage 'a': on_error: the command is empty" ]
	printf 'stages:\n  a:\n    cmd: seq 3\n  b:\n    cmd: seq 11 12\n  j:\n    cmd: echo {1} {2}\n    input: [{stage: a}, {stage: b}]\n' >j.yaml
	run timeout 20 "$MPRUN" --pipeline j.yaml
	[ "$status" -eq 255 ]
	[ "$output" = "mprun: j.yaml:8:25: input: a stage can only be the first source, or linked to it (the sources crossed with the first are read whole before any job)" ]
	sed -i 's/{stage: b}/{stage: b, linked: true}/' j.yaml
	run timeout 20 "$MPRUN" -k --pipeline j.yaml
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1 11\n2 12')" ]
	printf 'stages:\n  a:\n    cmd: seq 2\n  j:\n    cmd: echo {1} {2}\n    input: [{values: [x]}, {stage: a}]\n' >j.yaml
	run timeout 20 "$MPRUN" --pipeline j.yaml
	[ "$status" -eq 255 ]
	[[ "$output" == "mprun: j.yaml:6:28: input: a stage can only be the first source"* ]]
}

@test "options that shape a command line's inputs or results are refused with --pipeline, not ignored" {
	printf 'stages:\n  a:\n    cmd: echo x{}\n    input: [1, 2]\n' >p.yaml
	local o
	for o in --plus "--colsep ," "--trim lr" "-N 2" "-n 2" -X -m -0 "-d ," "-I @" -q -r "--results r"; do
		# shellcheck disable=SC2086 # the option and its value
		run "$MPRUN" --pipeline p.yaml $o
		[ "$status" -eq 255 ]
		[[ "${lines[0]}" == "mprun: "*": not with --pipeline (a stage's inputs, command and results are set in the file; see mprun-pipeline(5))" ]]
	done
	[ ! -e r ]
	run "$MPRUN" -k --tag -j 1 --pipeline p.yaml
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1\tx1\n2\tx2')" ]
}

@test "bad file: a bad byte is placed where it is; a second YAML document is an error, not ignored" {
	printf 'stages:\n  a:\n    cmd: echo \xff\xfe bad\n' >p.yaml
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 255 ]
	[ "$output" = "mprun: p.yaml:3:15: not valid YAML: invalid leading UTF-8 octet" ]
	printf 'stages:\n  a:\n    cmd: echo a\000b\n' >p.yaml
	run "$MPRUN" --pipeline p.yaml
	[ "$output" = "mprun: p.yaml:3:16: not valid YAML: control characters are not allowed" ]
	printf 'stages: {a: {cmd: echo 1}}\n---\nstages: {b: {cmd: echo 2}}\n' >p.yaml
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 255 ]
	[ "$output" = "mprun: p.yaml:2:1: a second YAML document (a pipeline file holds one)" ]
	printf 'stages: {a: {cmd: echo 1}}\n...\n# the end\n' >p.yaml
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
}

@test "bad file: 100,000 nested flow mappings (500 KB) are refused at the 1001st level, at once" {
	{
		printf 'x-y: '
		yes '{a: ' | head -n 100000 | tr -d '\n'
		printf 1
		yes '}' | head -n 100000 | tr -d '\n'
		printf '\nstages:\n  a:\n    cmd: echo ok\n'
	} >p.yaml
	local t0=$(_pl_ms)
	run timeout 60 "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 255 ]
	[ "$output" = "mprun: p.yaml:1:4003: nested more than 1000 deep" ]
	[ $(($(_pl_ms) - t0)) -lt 3000 ]
}

@test "executor: local is the default's spelling; -S and --slurm are refused" {
	printf 'stages:\n  a:\n    cmd: echo x{}\n    input: [1, 2]\n    executor: local\n    order: imap\n' >p.yaml
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'x1\nx2')" ]
	run "$MPRUN" -S host1 --pipeline p.yaml
	[ "$status" -eq 255 ]
	grep -q -- "--pipeline: -S and --slurm do not apply; give the stages that run remotely executor: ssh" <<<"$output"
	run "$MPRUN" --slurm --pipeline p.yaml
	[ "$status" -eq 255 ]
}

@test "--dry-run shows each stage's executor and connects nowhere" {
	cat >p.yaml <<'Y'
stages:
  a:
    cmd: echo {}
    input: [1]
    executor: ssh
    hosts: [2/no-such-host-x.invalid, "3/other"]
  b:
    cmd: echo {}
    input: a
    executor: slurm
    slurm_cpus: 4
Y
	run "$MPRUN" --pipeline p.yaml --dry-run
	[ "$status" -eq 0 ]
	grep -qx '#   executor: ssh on 2/no-such-host-x.invalid 3/other' <<<"$output"
	grep -qx '#   executor: slurm, 4 CPUs a job step' <<<"$output"
}

@test "bad file: empty, missing, nothing run" {
	run "$MPRUN" --pipeline "$P/empty.yaml"
	[ "$status" -eq 255 ]
	grep -q 'empty.yaml: empty pipeline file' <<<"$output"
	run "$MPRUN" --pipeline no-such.yaml
	[ "$status" -eq 255 ]
	grep -q 'no-such.yaml: No such file or directory' <<<"$output"
}

@test "counters: declared in the file, updated by jobs, in --counters-json" {
	cat >p.yaml <<'Y'
counters: {seen: 5, other: 0}
stages:
  a:
    cmd: '"$MPRUN" --counter seen +{} >/dev/null'
    input: [1, 2, 3]
Y
	run "$MPRUN" --pipeline p.yaml --counters-json c.json
	[ "$status" -eq 0 ]
	[ "$(cat c.json)" = '{"other": 0, "seen": 11}' ]
	grep -q 'counters: other=0 seen=11' <<<"$output"
}

@test "mprun --status shows each stage's figures while a pipeline runs" {
	# the work jobs run until the test makes the file go
	cat >p.yaml <<Y
stages:
  gen:
    cmd: seq 4
  work:
    cmd: $WAIT_FOR go; echo {} >/dev/null
    input: gen
    jobs: 2
Y
	"$MPRUN" --pipeline p.yaml --counters-json c.json >/dev/null &
	pid=$!
	for ((i = 0; i < 300; i++)); do
		run "$MPRUN" --status "$pid"
		if grep -qx '  counter stage:gen:done 1' <<<"$output" &&
			grep -qx '  counter stage:work:running 2' <<<"$output"; then
			break
		fi
		sleep 0.1
	done
	touch go
	wait "$pid"
	pid=
	[ "$status" -eq 0 ]
	grep -qx '  counter stage:gen:done 1' <<<"$output"
	grep -qx '  counter stage:work:running 2' <<<"$output"
	# the stages' figures are not the user's counters
	[ "$(cat c.json)" = '{}' ]
}

@test "pipe: true cuts the input stage's stream into blocks (examples/pipelines/blocks.yaml)" {
	run "$MPRUN" --pipeline "$EX/blocks.yaml" --set rows=50000
	[ "$status" -eq 0 ]
	# every job got the header line first, then whole records: all rows
	# once, each block within the 32K of its size
	[ "${#lines[@]}" -gt 5 ]
	[ "$(cut -d' ' -f1 <<<"$output" | sort -u)" = triple ]
	[ "$(awk '{ n += $2; s += $3 } END { printf "%d %.0f", n, s }' <<<"$output")" = "50000 3750075000" ]
	# the bytes through cat: the header first in each block, the rest
	# exactly once, in order
	cat >p.yaml <<'Y'
stages:
  numbers:
    cmd: echo head; seq 30000
  blocks:
    cmd: read -r h && [ "$h" = head ] && cat
    input: numbers
    pipe: true
    block: 4K
    header: ':'
    order: imap
Y
	"$MPRUN" --pipeline p.yaml >out
	seq 30000 | cmp - out
	# NUL-separated records of a file, byte for byte
	cat >p.yaml <<'Y'
stages:
  nul:
    cmd: cat
    input: {file: nul.txt}
    pipe: true
    block: 1K
    recend: '\0'
    order: imap
Y
	seq 1000 | tr '\n' '\0' >nul.txt
	"$MPRUN" --pipeline p.yaml | cmp - nul.txt
	run "$MPRUN" --pipeline p.yaml --dry-run
	[[ $output == *"#   pipe: blocks of 1024 bytes, each a job's stdin"* ]]
}

@test "pipe: true with regexp, remove_rec_sep, cat, fifo, round_robin" {
	# FASTA records without their '>', one a job, by --regexp recstart
	cat >p.yaml <<'Y'
stages:
  fasta:
    cmd: printf '>a\nAC\n>bb\nGG\n>c\nT\n'
  split:
    cmd: tr '\n' ' '; echo
    input: fasta
    pipe: true
    block: 1
    recstart: '>[a-z]+'
    regexp: true
    remove_rec_sep: true
    order: imap
Y
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' ' AC ' ' GG ' ' T ')" ]
	# cat: {} is a file of the block (the tag is GNU's $PARALLEL_TMP)
	seq 6 >six
	cat >p.yaml <<'Y'
stages:
  files:
    cmd: wc -l <{}
    input: {file: six}
    pipe: true
    block: 4
    cat: true
    order: imap
Y
	run "$MPRUN" --pipeline p.yaml --tag
	[ "$output" = "$(printf '$PARALLEL_TMP\t%s\n' 2 2 2)" ]
	# fifo: {} is a named pipe; the job's stdin is /dev/null
	sed -i 's/cat: true/fifo: true/; s/wc -l <{}/cat {} | wc -l; wc -c/' p.yaml
	run "$MPRUN" --pipeline p.yaml
	[ "$output" = "$(printf '%s\n' 2 0 2 0 2 0)" ]
	# round_robin: two jobs in all, fed every line once
	cat >p.yaml <<'Y'
stages:
  numbers:
    cmd: seq 5000
  rr:
    cmd: echo started; cat
    input: numbers
    pipe: true
    block: 1K
    round_robin: true
    jobs: 2
Y
	"$MPRUN" --pipeline p.yaml --joblog log >out
	[ "$(grep -c started out)" -eq 2 ]
	[ "$(grep -v started out | sort -n | uniq | wc -l)" -eq 5000 ]
	[ "$(grep -cv started out)" -eq 5000 ]
	[ "$(grep -c 'echo started' log)" -eq 2 ]
	run "$MPRUN" --pipeline p.yaml --dry-run
	[[ $output == *"#   pipe: blocks of 1024 bytes, to 2 jobs in turn"* ]]
}

@test "pipe: its keys need it; one input, a stage or a file; bad patterns" {
	cat >p.yaml <<'Y'
stages:
  a:
    cmd: seq 3
  b:
    cmd: cat
    input: a
    block: 1K
Y
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 255 ]
	[[ $output == *"stage 'b': block needs pipe: true"* ]]
	cat >p.yaml <<'Y'
stages:
  b:
    cmd: cat
    input: [1, 2]
    pipe: true
Y
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 255 ]
	[[ $output == *"pipe: true needs one input, a stage or a file"* ]]
	cat >p.yaml <<'Y'
stages:
  a:
    cmd: seq 3
  b:
    cmd: cat
    input: a
    pipe: true
    header: '('
Y
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 255 ]
	[[ $output == *'p.yaml:8:13: stage '"'b'"': --header: "(" is not a pattern'* ]]
	sed -i 's/header:.*/round_robin: yes/' p.yaml
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 255 ]
	[ "$output" = "mprun: p.yaml:8:18: round_robin: expected true or false" ]
	sed -i 's/round_robin:.*/round_robin: true\n    fifo: true/' p.yaml
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 255 ]
	[ "$output" = "mprun: p.yaml:8:5: stage 'b': round_robin does not go with fifo (a job reads its blocks from a pipe, once)" ]
	sed -i 's/round_robin:.*/regexp: true\n    recend: "a("/; /fifo/d' p.yaml
	run "$MPRUN" --pipeline p.yaml
	[ "$status" -eq 255 ]
	[[ $output == "mprun: p.yaml:9:13: stage 'b': --recend: \"a(\" is not a pattern"* ]]
}

@test "hostile files: an alias bomb and a {{vars}} bomb are refused in small memory, a NUL in a value is an error" {
	python3 - <<'PY'
big = 'x' * 100000
refs = ', '.join(['*b'] * 100)
open('bomb.yaml', 'w').write('vars:\n  big: &b "%s"\n  list: [%s]\n'
                             'stages:\n  a:\n    cmd: echo hi\n' % (big, ', '.join(['*b'] * 2000)))
uses = '{{big}}' * 2000
open('vbomb.yaml', 'w').write('vars:\n  big: "%s"\nstages:\n  a:\n    cmd: "echo %s"\n' % (big, uses))
PY
	[ "$(stat -c %s bomb.yaml)" -lt 200000 ]
	peak=$(_pl_peak_rss --pipeline bomb.yaml)
	[ "$(cat out)" = "" ]
	grep -q '^mprun: bomb.yaml:1:1: its aliases expand it to more than 16777216 bytes' err
	[ "$peak" -lt 65536 ]
	peak=$(_pl_peak_rss --pipeline vbomb.yaml)
	grep -q "^mprun: vbomb.yaml:5:10: .*{{big}} makes the file expand to more than" err
	[ "$peak" -lt 65536 ]
	printf 'stages:\n  a:\n    cmd: "echo a\\x00b"\n' >nul.yaml
	run "$MPRUN" --pipeline nul.yaml
	[ "$status" -eq 255 ]
	[ "$output" = 'mprun: nul.yaml:3:10: a NUL byte in a value (\0 or \x00): not allowed' ]
}
