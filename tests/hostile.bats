#!/usr/bin/env bats
# Hostile files: what another user plants where mprun writes (a symbolic
# link, a directory of theirs) is refused, never written through; the
# victim file stays as it was. The attacker is user nobody (65534), the
# victim root, as in a shared /tmp.

bats_require_minimum_version 1.5.0

load setup

setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "needs root to be two users"
}

# setup.bash's setup, then a shared place ($S, outside $T, which nobody
# cannot enter) and the victim file ($V, root's).
eval "_ho_base_$(declare -f setup)"
setup() {
	_ho_base_setup || return 1
	S=$(mktemp -d /tmp/mprun-hostile.XXXXXX)
	chmod 1777 "$S" # a shared, sticky place like /tmp
	V=$T/victim.txt
	echo original >"$V"
}

teardown() {
	[ -z "${S:-}" ] || rm -rf "$S"
}

# Run a command as the attacker.
_ho_nobody() {
	setpriv --reuid 65534 --regid 65534 --clear-groups "$@"
}

@test "--results into a directory another user prepared, with a link planted: refused, the victim unchanged" {
	_ho_nobody sh -c "mkdir -p '$S/res/1' && ln -s '$V' '$S/res/1/.stdout.tmp' && chmod 777 '$S/res' '$S/res/1'"
	run "$MPRUN" --results "$S/res" 'echo owned' ::: x
	[ "$status" -eq 255 ]
	[ "$output" = "mprun: --results $S/res: refused: it or its directory belongs to another user, or others may write there" ]
	[ "$(cat "$V")" = original ]
}

@test "--results in our own directory: a link planted in a job's directory is not followed" {
	mkdir "$S/mine"
	chmod 755 "$S/mine"
	# our directory, but a stale job directory of ours holding a link
	mkdir "$S/mine/1"
	ln -s "$V" "$S/mine/1/.stdout.tmp"
	ln -s "$V" "$S/mine/1/.exitval.tmp"
	run "$MPRUN" --results "$S/mine" 'echo fresh' ::: x
	[ "$status" -eq 0 ]
	[ "$(cat "$V")" = original ]
	[ "$(cat "$S/mine/1/stdout")" = "fresh x" ]
	[ "$(cat "$S/mine/1/exitval")" = 0 ]
	[ ! -L "$S/mine/1/stdout" ]
}

@test "--results: a job directory another user made first (in a sticky place) is refused" {
	_ho_nobody mkdir -m 777 "$S/1"
	run "$MPRUN" --results "$S" 'echo x' ::: x
	[ "$status" -ne 0 ]
	[ ! -e "$S/1/stdout" ]
}

@test "--results with replacement strings: links planted at a job's place are not followed, another user's directory is refused" {
	# in a shared sticky place: the final name and the temporary one
	_ho_nobody ln -s "$V" "$S/xfoo"
	_ho_nobody ln -s "$V" "$S/.xfoo.1.tmp"
	_ho_nobody ln -s "$V" "$S/xfoo.seq"
	run "$MPRUN" --results "$S/x{}" 'echo owned' ::: foo
	[ "$(cat "$V")" = original ]
	# a directory of nobody's, open to all, on the way: refused by name
	_ho_nobody mkdir -m 777 "$S/open"
	run "$MPRUN" --results "$S/open/{}/" 'echo owned' ::: a
	[ "$status" -eq 255 ]
	[ "$output" = "mprun: job 1: --results $S/open/a/: refused: it or its directory belongs to another user, or others may write there" ]
	[ ! -e "$S/open/a" ]
	[ "$(cat "$V")" = original ]
	# the same on the way to a plain --results directory, and a link of
	# another user's on the way (to a directory of root's)
	run "$MPRUN" --results "$S/open/res" 'echo owned' ::: a
	[ "$status" -eq 255 ]
	[ "$output" = "mprun: --results $S/open/res: refused: it or its directory belongs to another user, or others may write there" ]
	# an input is data: it cannot lead a place out of where the name
	# points, with .. or an absolute path
	mkdir "$T/out"
	run "$MPRUN" --results "$T/out/{}" 'echo owned' ::: ok ../victim.txt
	[ "$status" -eq 255 ]
	[ "$(printf '%s\n' "${lines[@]}" | sort)" = "$(printf '%s\n' "mprun: job 2: --results $T/out/../victim.txt: refused: its inputs lead out of where the name points (an absolute path or ..)" "owned ok")" ]
	[ "$(cat "$V")" = original ]
	[ "$(cat "$T/out/ok")" = "owned ok" ]
	(cd "$T/out" && run "$MPRUN" --results '{}' 'echo owned' ::: "$V" &&
		[ "$status" -eq 255 ] &&
		[[ $output == *"--results $V: refused: its inputs lead out of where the name points"* ]])
	[ "$(cat "$V")" = original ]
	mkdir "$T/rootdir"
	_ho_nobody ln -s "$T/rootdir" "$S/way"
	run "$MPRUN" --results "$S/way/res" 'echo owned' ::: a
	[ "$status" -eq 255 ]
	[ "$output" = "mprun: --results $S/way/res: refused: a symbolic link" ]
	[ ! -e "$T/rootdir/res" ]
}

@test "--joblog through a planted link or in another user's directory: refused, the victim unchanged" {
	_ho_nobody sh -c "mkdir -m 777 '$S/jl' && ln -s '$V' '$S/jl/log'"
	run "$MPRUN" --joblog "$S/jl/log" touch "$T/ran" ::: a
	[ "$status" -eq 255 ]
	[ "$output" = "mprun: --joblog $S/jl/log: refused: it or its directory belongs to another user, or others may write there" ]
	[ ! -e "$T/ran" ]
	# a link in the sticky, shared place itself
	_ho_nobody ln -s "$V" "$S/log"
	run "$MPRUN" --joblog "$S/log" touch "$T/ran" ::: a
	[ "$status" -eq 255 ]
	[ "$output" = "mprun: --joblog $S/log: refused: a symbolic link" ]
	# a file of the attacker's there: not written into
	_ho_nobody sh -c "echo theirs >'$S/log2'"
	run "$MPRUN" --joblog "$S/log2" touch "$T/ran" ::: a
	[ "$status" -eq 255 ]
	[ "$(cat "$S/log2")" = theirs ]
	[ "$(cat "$V")" = original ]
	[ ! -e "$T/ran" ]
	# a directory of the attacker's, closed to others: still refused
	_ho_nobody mkdir -m 755 "$S/theirs"
	run "$MPRUN" --joblog "$S/theirs/log" touch "$T/ran" ::: a
	[ "$status" -eq 255 ]
	[ "$output" = "mprun: --joblog $S/theirs/log: refused: it or its directory belongs to another user, or others may write there" ]
	[ ! -e "$T/ran" ]
	# ours there: fine
	run "$MPRUN" --joblog "$S/log3" true ::: a
	[ "$status" -eq 0 ]
	[ "$(wc -l <"$S/log3")" -eq 2 ]
}

@test "a named pipe planted at --joblog, --results FILE.csv, --report, --counters-json: refused at once, never a wait for a reader" {
	local opt f
	for opt in --joblog --results --report --counters-json; do
		f=$S/p.$RANDOM
		case $opt in
		--results) f=$f.csv ;;
		--report) f=$f.svg ;;
		esac
		_ho_nobody mkfifo "$f"
		run timeout -s KILL 10 "$MPRUN" "$opt" "$f" touch "$T/ran" ::: a
		[ "$status" -eq 255 ]
		[ "$output" = "mprun: $opt $f: refused: not a regular file" ]
		[ ! -e "$T/ran" ]
	done
	# a FIFO of our own with no reader: said, not waited for
	mkfifo "$T/own"
	run timeout -s KILL 10 "$MPRUN" --joblog "$T/own" touch "$T/ran" ::: a
	[ "$status" -eq 255 ]
	[ "$output" = "mprun: --joblog $T/own: a named pipe with no reader" ]
}

@test "--counters-json and --report through a planted link: refused before any job, the victim unchanged" {
	_ho_nobody ln -s "$V" "$S/c.json"
	run "$MPRUN" --counter-init a=1 --counters-json "$S/c.json" touch "$T/ran" ::: a
	[ "$status" -eq 255 ]
	[ "$output" = "mprun: --counters-json $S/c.json: refused: a symbolic link" ]
	_ho_nobody ln -s "$V" "$S/r.svg"
	run "$MPRUN" --report "$S/r.svg" touch "$T/ran" ::: a
	[ "$status" -eq 255 ]
	[ "$output" = "mprun: --report $S/r.svg: refused: a symbolic link" ]
	[ "$(cat "$V")" = original ]
	[ ! -e "$T/ran" ]
	# ours there: written at the end
	run "$MPRUN" --counter-init a=1 --counters-json "$S/c2.json" true ::: a
	[ "$status" -eq 0 ]
	[ "$(cat "$S/c2.json")" = '{"a": 1}' ]
}
