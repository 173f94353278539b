#!/usr/bin/env bats
# Drop-in for GNU parallel: the same invocation through GNU parallel
# (Debian's, installed by build.sh for the tests) and through mprun gives
# the same standard output and exit status. Each case is one line of
# arguments, as a shell would split them; `-k` keeps both outputs in input
# order. A case that must differ belongs in mprun(1)'s compatibility table
# and in a test of its own, not here.

bats_require_minimum_version 1.5.0

load setup
load gnu

setup_file() {
	command -v parallel >/dev/null ||
		skip "GNU parallel is not installed (build.sh installs it as root)"
	# Not moreutils' parallel, which takes other options.
	local v
	v=$(parallel --version 2>/dev/null | head -n 1)
	case $v in
	'GNU parallel '*) ;;
	*) skip "the parallel installed is not GNU parallel" ;;
	esac
	# GNU parallel's answers recorded from this version can stand for it
	if [ "$v" = "$(head -n 1 "$GNU_ANSWERS")" ]; then
		export GNU_RECORDED=1
	fi
}

# GNU parallel's answers to every case below, as given by the version named
# on the first line; then one line per case: the key (see _gnu) and the
# output with "\\" for a backslash and "\n" for a newline. GNU parallel
# takes ~0.15 s (0.05 s of CPU) to start: when the installed GNU parallel is
# that version, its recorded answer is used; a case not recorded, or another
# version, runs GNU parallel. To record them again:
#   MPRUN_COMPAT_RECORD=1 bats tests/compat.bats   (MPRUN, MPRUN_SRCDIR set)
# (with the file emptied but its first line, the output of
# `parallel --version | head -n 1`).
GNU_ANSWERS=$MPRUN_SRCDIR/tests/compat-gnu.txt

# GNU parallel's answer for the key text $1: recorded (above), kept in
# MPRUN_COMPAT_CACHE (a private directory build.sh makes for one run of
# both builds' suites) under the test's name and $1, or made by running
# "${@:2}".
_gnu_answer() {
	local key out
	key=$(printf '%s\n%s' "$BATS_TEST_NAME" "$1" | sha1sum)
	key=${key%% *}
	shift
	if [ -n "${GNU_RECORDED:-}" ] && [ -z "${MPRUN_COMPAT_RECORD:-}" ]; then
		gnu_answer_read "$GNU_ANSWERS" "$key" && return
	fi
	if [ -n "${MPRUN_COMPAT_CACHE:-}" ] && [ -f "$MPRUN_COMPAT_CACHE/$key" ]; then
		cat "$MPRUN_COMPAT_CACHE/$key"
		return
	fi
	out=$("$@")
	# whole or not at all: the other build's suite may read it meanwhile
	[ -z "${MPRUN_COMPAT_CACHE:-}" ] || {
		printf '%s\n' "$out" >"$MPRUN_COMPAT_CACHE/$key.$$" &&
			mv -f "$MPRUN_COMPAT_CACHE/$key.$$" "$MPRUN_COMPAT_CACHE/$key"
	}
	[ -z "${MPRUN_COMPAT_RECORD:-}" ] ||
		gnu_answer_write "$GNU_ANSWERS" "$key" "$out"
	printf '%s\n' "$out"
}

# GNU parallel's output and status for case $1 (stdin /dev/null).
_gnu_run() {
	eval "parallel --will-cite $1" </dev/null 2>/dev/null
	echo "status $?"
}
_gnu() {
	_gnu_answer "$1" _gnu_run "$1"
}

# Run each case (one per line of stdin, words as the shell splits them,
# with stdin from /dev/null) through both programs in $T; print the cases
# that differ with both outputs, and fail if any does.
_compat() {
	local c gnu ours bad=0
	printf 'a\nb\nc\n' >abc
	printf '1\n2\n' >f12
	printf 'x\ny\n' >fxy
	while IFS= read -r c; do
		[ -n "$c" ] || continue
		gnu=$(_gnu "$c")
		ours=$(eval "\"\$MPRUN\" $c" </dev/null 2>/dev/null
			echo "status $?")
		if [ "$gnu" != "$ours" ]; then
			printf 'differs: %s\n  GNU:   %s\n  mprun: %s\n' "$c" \
				"$(tr '\n' '|' <<<"$gnu")" \
				"$(tr '\n' '|' <<<"$ours")"
			bad=1
		fi
	done
	return $bad
}

@test "compat: ::: :::: :::+ ::::+, cartesian and linked" {
	_compat <<'EOF'
-k echo ::: a b c
-k echo ::: a b ::: 1 2
-k echo {1} {2} ::: a b :::+ 1 2
-k echo {2} {1} ::: a b ::: 1 2
-k echo :::: abc
-k echo :::: abc f12
-k echo :::: f12 ::::+ fxy
-k echo :::: abc ::::+ f12 fxy
-k echo ::: q :::: f12 ::::+ fxy
-k echo ::: a b :::: f12
-k -a abc echo
-k -a abc -a f12 echo
-k echo {3} {1} ::: a ::: b ::: c
-k echo ::: '' x
-k --link echo ::: a b c ::: 1 2 3
-k --link echo ::: a b c ::: 1 2
-k --xapply echo ::: a ::: 1 2 3 ::: x y
-k --link echo :::: abc ::: 1 2
-k --link echo ::: a b :::+ 1 2 ::: x y z
-k echo {} ::: 'a b' "c'd" 'e"f' 'g$h' 'i`j`' '*'
EOF
}

@test "compat: --onall and --nonall with no host named run here" {
	_compat <<'EOF'
-k --nonall echo hi
-k --onall echo ::: a b
-k --onall -j1 echo {2}{1} ::: a b ::: 1 2
-k --nonall 'exit 3'
EOF
}

@test "compat: replacement strings {} {.} {/} {//} {/.} {#} {n}" {
	_compat <<'EOF'
-k echo {.} {/} {//} {/.} ::: dir/sub/file.tar.gz /x.y ./a b.c
-k echo {#} {} ::: a b c
-k -j1 echo {%} ::: a b
-k echo {1.} {2/} {1//} {2/.} ::: a.b/c.d ::: e/f.g
-k echo pre{}post ::: a b
-k echo {} {} ::: a
-k echo ::: '{}'
-k echo {5} ::: a ::: b
EOF
}

@test "compat: -n -N -X --xargs batching" {
	_compat <<'EOF'
-k -n2 echo ::: 1 2 3 4 5
-k -n1 echo ::: 1 2
-k -n2 echo {2}-{1} ::: 1 2 3 4 5
-k -N2 echo ::: 1 2 3 4
-k -N2 echo {2}-{1} ::: 1 2 3 4 5
-k -L2 echo ::: 1 2 3 4
-k --max-lines 3 echo ::: 1 2 3 4
-k -n3 echo {#} ::: 1 2 3 4 5 6
-k --max-args 2 echo ::: a b c d
-k -j1 -X echo pre-{}-post ::: a b c
-k -j1 --xargs echo ::: 1 2 3
-k -j1 -m echo pre-{}-post ::: a b c
-k -j1 -m echo ::: a b c
-k -j1 --xargs echo pre-{}-post ::: a b c
-k -j2 --xargs echo {} {} ::: a b c
-k -N2 echo x{}y ::: a b c
-k -N2 -m echo x{}y ::: a b c
-k -L2 echo x{}y :::: abc
-k -L2 -m echo x{}y :::: abc
-k -L2 --xargs echo x{}y :::: abc
-k -N2 'echo {}' ::: a b c d
-k -L2 'echo {} | tr a-z A-Z' ::: a b c d
-k -N2 'echo x{}y z' ::: a b c
-k -N0 echo x{}y ::: a b
-k -n0 echo '{#} {}' ::: a b ::: 1 2
-k -N0 'echo {1}.{#}' ::: a b
EOF
}

@test "compat: --minversion, --total-jobs, --process-slot-var" {
	_compat <<'EOF'
--minversion 20170422
--minversion 20221122
--minversion 20300101
-k --total-jobs 5 echo ::: a b
-k --total 2 --halt now,fail=50% sh -c 'exit {}' ::: 0 1 0
-k --process-slot-var XX -j1 echo \$XX ::: a b
-k --process-slot-var=name -j2 sh -c 'echo \$name' ::: a
EOF
}

@test "compat: -X and -m spread the last inputs over the job slots; -n caps them" {
	_compat <<'EOF'
-k -j4 -X echo ::: 1 2 3 4 5 6
-k -j2 -m echo ::: 1 2 3 4 5
-k -j4 -X echo {} ::: 1 2 3 4 5 6
-k -j2 -X echo x{}y ::: 1 2 3
-k -j8 -X echo ::: 1 2 3
-k -j4 -m echo ::: a
-k -j3 --xargs echo ::: 1 2 3 4 5
-k -j3 -X echo {#} {} ::: a b c d e f g
-k -j2 -n3 -X echo {} ::: a b c d e
-k -j2 -n2 -X echo {} ::: a b c d e f g
-k -j3 -n4 -m echo ::: a b c d e f g
-k -j2 -n2 -X echo ::: a b
-k -j3 -n2 -X echo ::: a b c d e f g h
-k -j2 -n3 -m echo ::: a b c d e f g h i j
EOF
}

@test "compat: --colsep on files and ::: lists, --trim" {
	printf 'a,b\nc,d\n' >cols
	printf '  p \t\n' >blanks
	printf 'a ,b\r\nc, d \r\n' >crlf
	_compat <<'EOF'
-k --colsep , echo x{1}x{2}x ::: ' a , b '
-k --colsep , --trim n echo x{1}x{2}x ::: ' a , b '
-k --colsep , --trim l echo x{1}x{2}x ::: ' a , b '
-k --colsep , echo x{}x ::: ' a , b '
-k --colsep , echo x{2}x :::: crlf
-k --trim lr echo x{}x :::: crlf
-k --header : echo x{a}x ::: a ' b '
-k --colsep , echo {2} {1} ::: a,b c,d
-k --colsep , echo {2} {1} :::: cols
-k --colsep , echo {3}{1}{4}{2} ::: a,b c,d :::+ 1,2 3,4
-k --colsep '[,;]' echo {1}-{2}-{3} ::: 'a;b,c'
-k -C , echo {2} ::: x,y
-k --trim lr echo x{}x ::: ' a '
-k --trim l echo x{}x ::: ' a '
-k --trim r echo x{}x ::: ' a '
-k --trim rl --colsep , echo x{1}x{2}x ::: ' a , b '
-k --trim n echo x{}x ::: ' a '
-k --trim lr echo x{}x :::: blanks
-k --trim q echo x{}x ::: a
-k --skip-first-line echo :::: f12
-k --skip-first-line echo ::: a b c
-k --skip-first-line echo ::: a b ::: 1 2
--number-of-threads
--number-of-sockets
--number-of-cores
--number-of-cpus
-k --silent echo ::: a
EOF
}

@test "compat: xargs habits -E -r -P --max-procs --arg-sep --arg-file-sep" {
	printf 'a\n\n  \nb\nstop\nc\n' >withstop
	_compat <<'EOF'
-k -E stop echo ::: a stop b
-k -E stop echo ::: a b ::: 1 stop 2
-k -E stop echo :::: withstop
-k -r echo x{}x :::: withstop
-k -r echo ::: ''
-k -r echo x{}x ::: a '' ' ' b
-k -P 2 echo ::: a b
-k --max-procs 2 echo ::: a b
-k -j1 echo ::: a b
-k --arg-sep ,, echo ,, a b
-k --arg-sep ,, echo ,, a b ,,+ 1 2
-k --arg-sep ,, --arg-file-sep // echo ,, a b // f12
-k --arg-file-sep // echo // abc //+ f12
-k -d , echo :::: cols
-k -0 echo ::: a
-k -E '' echo :::: withstop
EOF
}

@test "compat: exit status, --halt, --tag, --tagstring, --dry-run, --will-cite" {
	_compat <<'EOF'
-k false ::: 1 2 3
-k 'exit {}' ::: 0 1 2
-k 'exit {}' ::: 0 0
-k --halt now,fail=1 -j1 'echo {}; exit {}' ::: 0 0 1 0
-k --halt soon,fail=1 -j1 'echo {}; exit {}' ::: 0 1 0 0
-k --tag echo ::: a b
-k --tag echo ::: a ::: 1 2
-k --tagstring T{} echo ::: a b
-k --dry-run echo ::: a b
-k --dry-run --tag echo ::: a b.c
-k --tagstring '' echo ::: a b
-k --dry-run --tagstring '<{.}>' echo ::: a b.c
-k --will-cite echo ::: a
-k --nice 5 sh -c 'echo $(nice)' ::: a
-k --timeout 10 echo ::: a
-k --retries 2 'echo {}' ::: a
-k --halt-on-error now,fail=1 -j1 'exit {}' ::: 0 1 0
-k --halt now,fail=1 -j1 'exit {}' ::: 0 3 0
-k --halt soon,fail=1 -j1 'echo {}; exit {}' ::: 0 5 0
-k --halt now,success=1 -j1 'echo {}; exit {}' ::: 1 0 1
-k --halt soon,fail=50% -j1 'exit {}' ::: 0 3 3 0 0 0 0 0
-k --halt now,fail=2 -j1 'exit {}' ::: 0 3 4 0
-k --halt now,done=1 -j1 'exit {}' ::: 3 0
-k --halt now,done=1 -j1 'exit {}' ::: 0 3
-k --no-keep-order -j1 echo ::: a b
-k --term-seq TERM,100,KILL,25 echo ::: a
-k --plain echo ::: a
-k --gnu echo ::: a
-k -t echo ::: a
-k -v echo ::: a b
-k -v --tag echo ::: a
-k -v -j1 'echo {}; exit {}' ::: 0 1
EOF
}

@test "compat: --header : names the columns of ::: and :::: inputs, in the command and --tagstring" {
	printf 'a\tb\n1\t2\n3\t4\n' >h.tsv
	_compat <<'EOF'
-k --header : echo {b}-{a} :::: h.tsv
-k --header : --colsep , echo {b}-{a} ::: a,b 1,2
-k --header : echo {x.} {x} ::: x a.b
-k --header : echo {1} ::: x a ::: y b
-k --header : echo {x} {y} ::: x 1 2 ::: y a b
-k --header : echo {xy} {x} ::: x 1 ::: xy 2
-k --header : echo ::: x 1 2
-k --header : echo {x}{y} ::: x 1 2 :::+ y a b
-k --header : --tagstring {x} echo ::: x 1 2
-k --header : --tagstring {y}-{x.} echo {x} ::: x a.b ::: y c
-k --header : --colsep , --tagstring <{b}> echo {a} ::: a,b 1,2
EOF
}

@test "compat: exported shell functions and the caller's shell (bash here)" {
	myf() { echo "f [$1] [$2]"; }
	export -f myf
	_compat <<'EOF'
-k myf ::: a 'b c'
-k myf {} x ::: a
-k 'myf {}; myf {}' ::: a
-k '[[ {} == a* ]] && echo {} starts with a' ::: ab ba
-k 'echo $BASH_VERSION | cut -c1' ::: x
EOF
}

@test "compat: --wd and --env without -S (local jobs)" {
	mkdir -p sub
	echo inside >sub/f
	export CPT_FOO=foo
	_compat <<'EOF'
-k --wd sub cat f ::: x
-k --wd sub 'cat {}' ::: f
-k --wd new/deeper 'basename "$PWD"' ::: 1
-k --env CPT_FOO 'echo $CPT_FOO' ::: 1
EOF
	[ -d new/deeper ]
}

# Cases from GNU parallel's tutorial, parallel_tutorial(7) (its input files
# made here as it makes them), and from its man page's examples.
@test "compat: --header without --pipe: any value but 0 names the columns, 0 none" {
	printf 'n1,n2\n1,2\n3,4\n' >h.csv
	_compat <<'EOF'
-k --header 1 --colsep , echo {2} {n2} :::: h.csv
-k --header 2 --colsep , echo {n1} :::: h.csv
-k --header x+ echo {x} ::: x a b
-k --header .* echo {a}{b} ::: a 1 2 ::: b 3
-k --header 0 echo {1} ::: 'a b' 'c	d'
-k --header 0 --colsep , echo {2} :::: h.csv
EOF
}

@test "compat: GNU parallel's tutorial and man page examples" {
	perl -e 'for(1..4){print "$_\n"}' >num30000 2>/dev/null || seq 4 >num30000
	seq 8 >num128
	printf 'A\nB\nC\n' >abc-file
	printf 'D\nE\nF\n' >def-file
	printf 'f1\tf2\nA\tB\nC\tD\n' >tsv-file.tsv
	printf 'A\0B\0C\0' >abc0-file
	printf 'A_B_C_' >abc_-file
	_compat <<'EOF'
-k echo ::: A B C
-k echo :::: abc-file
-k -a abc-file echo
-k echo ::: A B C ::: D E F
-k -a abc-file -a def-file echo
-k echo :::: abc-file :::: def-file
-k echo :::: abc-file ::: D E F
-k --xapply echo :::: abc-file ::: D E F G
-k -0 echo :::: abc0-file
-k -d _ echo :::: abc_-file
-k -d '\0' echo :::: abc0-file
-k -E stop echo ::: A B stop C D
-k --no-run-if-empty echo ::: A ' ' B
-k echo {} ::: A/B.C
-k echo {.} ::: A/B.C
-k echo {/} ::: A/B.C
-k echo {//} ::: A/B.C
-k echo {/.} ::: A/B.C
-k echo {#} ::: A B C
-k echo {1} and {2} ::: A B ::: C D
-k echo /={1/} //={1//} /.={1/.} .={1.} ::: A/B.C D/E.F
-k --colsep '\t' echo 1={1} 2={2} :::: tsv-file.tsv
-k --header : echo f1={f1} f2={f2} ::: f1 A B ::: f2 C D
-k --header : --colsep '\t' echo f1={f1} f2={f2} :::: tsv-file.tsv
-k --trim lr echo pre-{}-post ::: ' A '
-k -j1 -N3 echo ::: A B C D E F G H
-k -j1 -X echo ::: A B C
-k -j1 -X echo pre-{}-post ::: A B C
-k -N0 echo foo ::: 1 2 3
-k -n0 echo foo ::: 1 2 3
-k -n 0 -n 2 echo foo ::: 1 2 3
-k echo ::: A B C ::: D E F ::: G H I
-k --tag echo foo-{} ::: A B C
-k --tagstring {}-bar echo foo-{} ::: A B C
-k 'echo {}; exit {}' ::: 0 1 2
-k --halt 1 -j1 'echo {}; exit {}' ::: 0 0 1 2 3
-k --joblog /dev/null echo ::: A
-k -n2 echo :::: num128
-k echo {1} {2} :::: num30000 :::+ abc-file
EOF
}

@test "--max-line-length-allowed and --show-limits: mprun's own limit" {
	run "$MPRUN" --max-line-length-allowed
	[ "$status" -eq 0 ]
	[[ $output =~ ^[0-9]+$ ]] && [ "$output" -gt 4096 ] &&
		[ "$output" -le 131071 ]
	max=$output
	run "$MPRUN" -k --show-limits echo ::: a
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Maximal size of command: $max" ]
	[ "${lines[1]}" = "Maximal usable size of command: $max" ]
	[ "${lines[2]}" = a ]
}

# Each case of stdin (one per line, words as the shell splits them) after
# the options "$@", through GNU parallel and mprun (-k both) reading the
# file $CMP_IN: the same stdout, or both shown and a failure.
# GNU parallel -k "${@:2}" $1 (a list of words) with stdin from $CMP_IN.
_gnu_piped_run() {
	local c=$1
	shift
	# shellcheck disable=SC2086 # the case is a list of words
	parallel --will-cite -k "$@" $c <"$CMP_IN" 2>/dev/null
}

_compat_piped() {
	local c gnu ours bad=0
	while IFS= read -r c; do
		# (GNU parallel's answer, kept as _gnu keeps it: the key holds
		# the options, the case and the input's sum)
		gnu=$(_gnu_answer "$*"$'\n'"$c"$'\n'"$(sha1sum <"$CMP_IN")" \
			_gnu_piped_run "$c" "$@")
		# shellcheck disable=SC2086
		ours=$("$MPRUN" -k "$@" $c <"$CMP_IN" 2>/dev/null)
		[ "$gnu" = "$ours" ] || {
			printf 'differs: %s\n  GNU:   %s\n  mprun: %s\n' "$c" \
				"$(tr '\n' ' ' <<<"$gnu")" "$(tr '\n' ' ' <<<"$ours")"
			bad=1
		}
	done
	return $bad
}

@test "compat: --pipe --block and -L in GNU parallel's units (1k is 1000, 1K and 1ki 1024)" {
	seq 3000 >in
	CMP_IN=in _compat_piped --pipe <<'EOF'
--block 1k wc -c
--block 1K wc -c
--block 1.5k wc -c
--block 2ki wc -c
-L 1k --block 100k wc -l
-L 1K --block 1 wc -l
EOF
}

@test "compat: --pipe -N: a blank line starting a block goes with the next record; a block --rrs empties runs no job; --regexp: text before the first record is a block" {
	printf 'a\n\nb\n\n\n\nc\n;;x;\n' >in
	CMP_IN=in _compat_piped --pipe <<'EOF'
-N1 wc -c
-N2 wc -c
-N3 wc -c
-N1 --rrs wc -c
-N2 --rrs wc -c
-L1 --rrs wc -c
-N1 --recend ; wc -c
-N1 --recend ; --rrs wc -c
-N1 --recend ;\n --recstart ; wc -c
-N1 --header : wc -c
-N2 --regexp --recstart [;>] wc -c
-N1 --regexp --recstart [;>] wc -c
EOF
}

@test "compat: --pipe --block below a record's length: the block size grows by 30% + 1 for the later blocks too" {
	{ printf 'a\nb\n'; printf 'L%.0s' $(seq 60); printf '\n'; seq 40; } >in
	printf '\n;bb\na;\n\naa;ba;;\n\nb\na;b>\n>\n>\na;' >in2
	CMP_IN=in _compat_piped --pipe <<'EOF'
--block 10 wc -c
--block 3 wc -c
--block 7 -L 2 wc -c
--block 10 --recend 1 wc -c
EOF
	CMP_IN=in2 _compat_piped --pipe <<'EOF'
--block 4 wc -c
--block 6 --recstart > wc -c
--block 1 --recend ; wc -c
--block 2 --recstart ; wc -c
EOF
}

@test "compat: GNU parallel's other spellings of options do what the option does" {
	local pair alias canon a b bad=0
	printf 'h\n1\n2\n' >in
	# alias=canonical, each with the arguments after it (one word)
	for pair in 'argfile in=arg-file in' 'argsep ,,=arg-sep ,,' \
		'argfilesep ;;=arg-file-sep ;;' 'blocksize 2=block 2' \
		'dryrun=dry-run' 'keeporder=keep-order' \
		'nokeeporder=no-keep-order' 'nok=no-keep-order' \
		'line-buffered=line-buffer' 'linebuffer=line-buffer' \
		'linebuffered=line-buffer' 'maxargs 2=max-args 2' \
		'maxlines 2=max-lines 2' 'maxprocs 1=max-procs 1' \
		'maxreplaceargs 2=max-replace-args 2' \
		'processslotvar S=process-slot-var S' 'shellquote=shell-quote' \
		'shell_quote=shell-quote' 'skipfirstline=skip-first-line' \
		'tag-string <{}>=tagstring <{}>' 'tempdir .=tmpdir .' \
		'totaljobs 5=total-jobs 5' 'work-dir /=workdir /' \
		'controlmaster=will-cite'; do
		alias=${pair%%=*} canon=${pair#*=}
		# shellcheck disable=SC2086 # option and argument: two words
		a=$("$MPRUN" -k -j1 --${alias/ / } echo '{}' ::: x y 2>&1) || :
		# shellcheck disable=SC2086
		b=$("$MPRUN" -k -j1 --${canon/ / } echo '{}' ::: x y 2>&1) || :
		[ "$a" = "$b" ] && [[ $a != *unknown* ]] || {
			printf '%s: %s\n%s: %s\n' "--$alias" "$a" "--$canon" "$b"
			bad=1
		}
	done
	# the counts, the limits and -M alone
	[ "$("$MPRUN" --numberofcpus)" = "$("$MPRUN" --number-of-cpus)" ]
	[ "$("$MPRUN" --numberofcores)" = "$("$MPRUN" --number-of-cores)" ]
	[ "$("$MPRUN" --numberofthreads)" = "$("$MPRUN" --number-of-threads)" ]
	[ "$("$MPRUN" --numberofsockets)" = "$("$MPRUN" --number-of-sockets)" ]
	[ "$("$MPRUN" --maxlinelengthallowed)" = "$("$MPRUN" --max-line-length-allowed)" ]
	[ "$("$MPRUN" --showlimits </dev/null)" = "$("$MPRUN" --show-limits </dev/null)" ]
	run "$MPRUN" -M -k echo ::: a
	[ "$status" -eq 0 ]
	[ "$output" = a ]
	[ "$bad" = 0 ]
}

# The files under the current directory, each with its contents.
_compat_tree() {
	local f
	find . -type f | LC_ALL=C sort | while read -r f; do
		printf '%s: %s\n' "$f" "$(cat "$f")"
	done
}

# The files that "$@" makes in an empty directory, with _compat_tree.
_results_tree() {
	local d
	d=$(mktemp -d ./tree.XXXXXX)
	(cd "$d" && "$@" >/dev/null 2>&1)
	(cd "$d" && _compat_tree)
	rm -rf "$d"
}

@test "compat: --results with replacement strings: GNU parallel's files, one place a job" {
	local t gnu ours bad=0
	# (GNU parallel's trees kept as _gnu keeps its answers)
	for t in 'my_{}' 'd/{1}/' 'd2/{1}-{2}.out' 'x/{#}/{2}' 'y/{.}'; do
		gnu=$(_gnu_answer "$t" _results_tree parallel --will-cite -j1 \
			--results "$t" 'echo out {1}{2}; echo err {} >&2' \
			::: a b.c ::: 1 2)
		ours=$(_results_tree "$MPRUN" -j1 --results "$t" \
			'echo out {1}{2}; echo err {} >&2' ::: a b.c ::: 1 2)
		[ "$gnu" = "$ours" ] || {
			printf '%s:\nGNU:\n%s\nmprun:\n%s\n' "$t" "$gnu" "$ours"
			bad=1
		}
	done
	# --header : names in the place
	gnu=$(_gnu_answer "--header : h/{x}-{y.}" _results_tree parallel \
		--will-cite -j1 --header : --results 'h/{x}-{y.}' echo {x} \
		::: x a b ::: y c.d)
	ours=$(_results_tree "$MPRUN" -j1 --header : --results 'h/{x}-{y.}' \
		echo {x} ::: x a b ::: y c.d)
	[ "$gnu" = "$ours" ] || {
		printf 'with --header:\nGNU:\n%s\nmprun:\n%s\n' "$gnu" "$ours"
		bad=1
	}
	[ "$bad" = 0 ]
}

@test "compat: --pipepart cuts where GNU parallel cuts (after the end string found from the size on)" {
	seq 1000 >s
	seq 30 >s30
	{ printf 'h1\nh2\n'; seq 1000; } >hs
	printf 'a1\nb\nc\na2\nd\na3\n' >recs
	printf 'xAAyAAzAA' >ab
	CMP_IN=/dev/null _compat_piped -j2 --pipepart <<'EOF'
-a s --block 1k wc -l
-a s --block -3 wc -l
-a s30 --block -2 wc -l
-a s30 --block -3 wc -c
-a s --block 100 wc -c
-a s --block 3892 wc -l
-a hs --header : --block 1k wc -l
-a hs --header 2 --block 500 wc -l
-a recs --recstart a --block 1 cat
-a ab --recend AA --block 2 cat
EOF
}
