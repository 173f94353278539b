#!/usr/bin/env bats
# --report FILE.svg|FILE.html: the run drawn as a timeline (well-formed
# XML, a bar per job coloured by outcome, the user's text escaped), and
# --joblog-in LOG: an old run drawn from its job log.

load setup

# One job each: ok, failed, killed by a signal, timed out.
CMD='case {} in ok) true ;; fail) exit 3 ;; kill) kill -9 $$ ;; slow) sleep 10 ;; esac'

# Run the four jobs of $CMD with mprun's options "$@" (and a joblog).
_four() {
	run "$MPRUN" -j4 --timeout 1 --joblog log "$@" "$CMD" \
		::: ok fail kill slow
	[ "$status" -eq 3 ]
}

# The number of job bars in svg file $1.
_bars() {
	xmllint --xpath 'count(//*[local-name()="rect"][contains(@class,"job")])' "$1"
}

# The classes of the bars of jobs 1 to 4 (their hover text starts
# "#SEQ ") in $1, without "job".
_classes() {
	local seq c out=
	for seq in 1 2 3 4; do
		c=$(xmllint --xpath "string(//*[local-name()=\"rect\"][starts-with(*[local-name()=\"title\"], \"#$seq \")]/@class)" "$1")
		out="$out ${c#job }"
	done
	echo $out
}

@test "--report: well-formed SVG, one bar per job, coloured by how it ended" {
	command -v xmllint >/dev/null || skip "xmllint is not installed (libxml2-utils)"
	_four --report r.svg
	xmllint --noout r.svg
	[ "$(_bars r.svg)" = 4 ]
	[ "$(_classes r.svg)" = "ok failed killed timeout" ]
	# (fewer than 4 lanes when the quick jobs end before the last starts)
	grep -q '>4 jobs in [0-9.]* s on [1-4] lanes<' r.svg
	grep -q 'rect.timeout{fill:#ff8c00}' r.svg
	# nothing from the network, no script
	run grep -ci '<script\|href=\|https\?://[^w]' r.svg
	[ "$output" = 0 ]
}

@test "--report: lanes are job slots: -j2 draws 2 lanes" {
	command -v xmllint >/dev/null || skip "xmllint is not installed (libxml2-utils)"
	"$MPRUN" -j2 --report r.svg 'sleep 0.2; : {}' ::: 1 2 3 4 5 6
	[ "$(_bars r.svg)" = 6 ]
	grep -q '6 jobs in .* s on 2 lanes' r.svg
	grep -q '>local (2)</text>' r.svg
}

@test "--joblog-in draws the run of a log written earlier, runs nothing" {
	command -v xmllint >/dev/null || skip "xmllint is not installed (libxml2-utils)"
	_four
	run "$MPRUN" --report old.svg --joblog-in log
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	xmllint --noout old.svg
	[ "$(_bars old.svg)" = 4 ]
	# a log does not say a job timed out: drawn as killed by its signal
	[ "$(_classes old.svg)" = "ok failed killed killed" ]
	grep -q '>log</text>' old.svg
}

@test "--joblog-in: a lane group per host (-S), GNU parallel's padding" {
	command -v xmllint >/dev/null || skip "xmllint is not installed (libxml2-utils)"
	{
		printf 'Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n'
		printf '1\tweb1\t1700000000.000\t     1.000\t0\t0\t0\t0\ta\n'
		printf '2\tweb2\t1700000000.000\t     2.000\t0\t0\t0\t0\tb\n'
		printf '3\tweb2\t1700000000.500\t     1.000\t0\t0\t1\t0\tc\n'
		printf '4\tweb1\t1700000001.000\t     1.000\t0\t0\t0\t0\td\n'
	} >log
	"$MPRUN" --report r.svg --joblog-in log
	xmllint --noout r.svg
	[ "$(_bars r.svg)" = 4 ]
	grep -q '>4 jobs in 2.000 s on 3 lanes<' r.svg
	grep -q '>web1 (1)</text>' r.svg
	grep -q '>web2 (2)</text>' r.svg
}

@test "--report FILE.html: the picture and the tables of slow and failed jobs" {
	command -v xmllint >/dev/null || skip "xmllint is not installed (libxml2-utils)"
	run "$MPRUN" -j4 --report r.html 'sleep 0.{}; exit {}' ::: 0 1 2 0
	[ "$status" -eq 2 ]
	xmllint --noout r.html # (XHTML too)
	grep -q '^<!DOCTYPE html>' r.html
	[ "$(grep -c '<rect class="job' r.html)" = 4 ]
	grep -q '<h2>The 4 slowest jobs</h2>' r.html
	grep -q '<h2>Failed jobs (2)</h2>' r.html
	grep -q '<td class="cmd">sleep 0.2; exit 2</td>' r.html
}

@test "--report: a hostile command is text, not markup" {
	command -v xmllint >/dev/null || skip "xmllint is not installed (libxml2-utils)"
	"$MPRUN" --report r.svg 'echo {} >/dev/null' \
		::: '</svg><script>alert(1)</script>' "$(printf 'a\033[2J\001&b')" \
		"$(printf 'bad\377utf8')"
	xmllint --noout r.svg
	[ "$(_bars r.svg)" = 3 ]
	[ "$(grep -c '<script' r.svg)" = 0 ]
	grep -q '&lt;/svg&gt;&lt;script&gt;alert(1)&lt;/script&gt;' r.svg
	grep -q 'a\\x1b\[2J\\x01&amp;b' r.svg
	"$MPRUN" --report r.html 'echo {} >/dev/null' \
		::: '</svg><script>alert(1)</script>'
	[ "$(grep -c '<script' r.html)" = 0 ]
}

@test "--report with --pipeline: a lane group per stage" {
	command -v xmllint >/dev/null || skip "xmllint is not installed (libxml2-utils)"
	cat >p.yaml <<-'EOF'
	stages:
	  first:
	    cmd: echo {}
	    input: {values: [a, b, c]}
	  second:
	    cmd: exit 1
	    after: first
	EOF
	run "$MPRUN" --pipeline p.yaml --report r.svg
	[ "$status" -eq 1 ]
	xmllint --noout r.svg
	[ "$(_bars r.svg)" = 4 ]
	grep -q '>first (' r.svg
	grep -q '>second (1)</text>' r.svg
	grep -q 'mprun --pipeline p.yaml' r.svg
}

@test "--joblog-in: a bad log is an error naming FILE:LINE, exit 255" {
	printf 'Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n' >log
	printf '1\t:\t1700000000.000\t0.5\t0\t0\t0\t0\ttrue\n' >>log
	printf '2\t:\tyesterday\t0.5\t0\t0\t0\t0\ttrue\n' >>log
	run "$MPRUN" --report r.svg --joblog-in log
	[ "$status" -eq 255 ]
	[ "$output" = 'mprun: log:3: Starttime "yesterday" is not a time in seconds' ]
	[ ! -e r.svg ]
	echo 'not a log' >log2
	run "$MPRUN" --report r.svg --joblog-in log2
	[ "$status" -eq 255 ]
	[[ $output == "mprun: log2:1: 1 columns, not 9 "* ]]
	run "$MPRUN" --report r.svg --joblog-in missing
	[ "$status" -eq 255 ]
	[[ $output == "mprun: missing: No such file or directory" ]]
}

@test "--joblog-in needs --report and no command; --report's file first" {
	run "$MPRUN" --joblog-in log
	[ "$status" -eq 255 ]
	[[ $output == *"--joblog-in needs --report FILE"* ]]
	run "$MPRUN" --joblog-in log --report r.svg echo ::: 1
	[ "$status" -eq 255 ]
	[[ $output == *"it runs nothing"* ]]
	# a file that cannot be made: said before anything runs
	run "$MPRUN" --report nodir/r.svg touch ran ::: 1
	[ "$status" -eq 255 ]
	[ "$output" = "mprun: --report nodir/r.svg: No such file or directory" ]
	[ ! -e ran ]
}

@test "--report after Ctrl-C: the jobs cut short are drawn, killed" {
	command -v xmllint >/dev/null || skip "xmllint is not installed (libxml2-utils)"
	setsid "$MPRUN" -j3 --report r.svg \
		'[ {} = 1 ] || { touch started{}; sleep 10; }' ::: 1 2 3 3>&- &
	pid=$!
	for ((i = 0; i < 500; i++)); do
		[ -e started2 ] && [ -e started3 ] && break
		sleep 0.02
	done
	kill -INT -- "-$pid"
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 130 ]
	xmllint --noout r.svg
	[ "$(_bars r.svg)" = 3 ]
	[ "$(grep -c '<rect class="job killed"' r.svg)" = 2 ]
}
