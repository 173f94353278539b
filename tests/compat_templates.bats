#!/usr/bin/env bats
# GNU parallel's replacement strings beyond {} (issue 16): {= s/// =},
# --plus, -I and the other renames, --rpl, -q. Each differential case runs
# GNU parallel and mprun on the same command line and compares stdout and
# the exit status (GNU parallel 20221122 was the reference); bad input is
# refused with a message, 255, before anything runs.

bats_require_minimum_version 1.5.0
load setup
load gnu

# mprun "$@" is refused before it runs anything: 255, no output, a
# message on stderr holding $MSG. A job would create the file "ran".
refused() {
	rm -f ran
	run --separate-stderr "$MPRUN" "$@"
	[ ! -e ran ] || { echo "a job ran" >&2; return 1; }
	[ "$status" -eq 255 ] || { echo "status $status: $stderr" >&2; return 1; }
	[ -z "$output" ] || { echo "output: $output" >&2; return 1; }
	[[ $stderr == *"$MSG"* ]] || { echo "message: $stderr" >&2; return 1; }
}

# --- differential: GNU parallel and mprun ---------------------------------

@test "compat: {= s/re/repl/ =}, given as one word or as three" {
	same echo {= s/a/b/ =} ::: aa ba
	same echo '{= s/a/b/g =}' '{=s/x*/-/g=}' ::: aaa
}

@test "compat: {= =} flags g and i, captures \$1 \$& \${N}, \\U \\E, several s///" {
	same echo '{=s/A/b/gi;s/b(.)/$1$1$&/=}' ::: AaAx
	same echo '{= s/(\w+)\.(\w+)/\U$2\E-${1}/ =}' '{= s:/:\::g =}' ::: foo.bar a/b/c
}

@test "compat: {= =} \\u \\l change the case of the next character" {
	same echo '{= s/(\w+)/\u\L$1/g =}' '{= s/(\w+) (\w+)/\u$2 \l$1/ =}' \
		'{= s/a(b)/\u\E$1/ =}' ::: 'abC dEF' 'x yZ'
}

@test "compat: {=N s/// =}, positional, and mixed with {.}" {
	same echo x{=2 s/a/b/g=}y {=1 s/^/-/ =} {.} ::: aa.x ::: ca
}

@test "compat: uq() inserts the value unquoted" {
	same echo '{= s/a/b/;uq() =}' ::: 'a;echo hi'
}

@test "compat: -X repeats a word with {= =} per input" {
	same -j1 -X echo 'x{= s/a/b/ =}' 'y{}' ::: a aa
}

@test "compat: --plus {+/} {+.} {+..} {+...} {..} {...} {/..} {/...}" {
	same --plus echo {+/} {+.} {+..} {+...} {..} {...} {/..} {/...} \
		::: dir/sub/a.tar.gz.x x .bashrc 'a b/c.d e'
}

@test "compat: --plus {:N} {:N:M} {#re} {##re} {%re} {%%re}" {
	same --plus echo {:2} {:1:3} {#a*} {##a*} {%c*} {%%c*} {:9} ::: aabbcc
}

@test "compat: --plus {/re/str} {//re/str} {/#re/str} {/%re/str} {^re} {,re} {:-str}" {
	same --plus echo {/b/X} {//b/X} {^a} {^^b} '{,A}' '{,,B}' {:-def} \
		::: aAbBb '' 0
	same --plus echo '{/#a/X}' '{/%b/X}' ::: abab
}

@test "compat: --plus strings in their positional form" {
	same --plus echo {2+.} {1..} {2/..} {2:1:2} ::: x.tar.gz ::: d/y.tgz.zz
}

@test "compat: --plus {0%} and {slot}" {
	same --plus -j12 echo {0%} {slot} ::: a
}

@test "compat: -I R: R is {}, and {} and {1} are text" {
	same -I R echo R {} {1} {R} ::: a.b
	same -I XX echo XX XX. {.} {/} ::: a/b.c
	same --replace=@ echo @ {} ::: a
}

@test "compat: --er --bnr --dnr --bner --seqreplace --slotreplace" {
	same --er E --bnr B --dnr D --bner BE echo E B D BE {.} ::: d/f.x.gz
	same -j1 --seqreplace S --slotreplace T echo S T {#} ::: a b
}

@test "compat: --rpl 'TAG s///', with groups in the tag" {
	same --rpl '{%(.+?)} s/$$1$//' echo {%.gz} {1%.gz} ::: a.gz.gz
	same --rpl '{..} s/\..*//' echo {..} ::: a.b.c
}

@test "compat: -q: each word is one argument, its text not shell syntax" {
	same -q printf '%s|' 'a  {}' '{}' '' '$HOME;' ::: 'x y'
	same -q -n2 printf '%s|' 'a{}b' ::: 1 2 3
	same -q sh -c 'echo "$1"' sh {} ::: 'a  b'
	same -q cd {} ::: /
}

# --- what differs from GNU parallel, on purpose ---------------------------

@test "compat: -i alone is -I {} (xargs), not -I with the next word" {
	run "$MPRUN" -k -i echo {} ::: a
	[ "$status" -eq 0 ]
	[ "$output" = "a" ]
	run "$MPRUN" -k -i@ echo @ {} ::: a
	[ "$output" = "a {}" ]
}

@test "compat: -q does not make sh -c {} run the input" {
	rm -f ran
	MSG="{} in the script of 'sh -c'" refused -q sh -c {} ::: 'touch ran'
}

# --- bad input: refused before anything runs ------------------------------

@test "bad: {= =} with perl other than s/// and uq() names the expression" {
	MSG="{= \$_++ =}: '\$_++ ' is perl: mprun runs only" \
		refused touch ran '{= $_++ =}' ::: a
	MSG="the flag e evaluates perl" refused touch ran '{= s/a/uc($&)/e =}' ::: a
	MSG="'\$x' in a replacement is a perl variable" \
		refused touch ran '{= s/a/$x/ =}' ::: a
	MSG="regexp /(/: missing closing parenthesis" \
		refused touch ran '{= s/(/x/ =}' ::: a
	MSG="refused, at 1:11: {= s/a/b =}: s/.../...: no closing '/'" \
		refused touch ran '{= s/a/b =}' ::: a
}

@test "bad: an input on which a {= =} regexp gives up: that job is not run, pcre2's reason named; the others run" {
	# (\w+\s?)+$ backtracks exponentially on a word that does not end
	# the value: pcre2 stops at its match limit (a fuzzer finding: the
	# job was refused with an empty message)
	run --separate-stderr "$MPRUN" -k echo '{= s/(\w+\s?)+$/Z/ =}' \
		::: ok aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa! b
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf 'Z\nZ')" ]
	[[ $stderr == *"job 2 (input ::: #2) not run: at 1:6: input 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!' makes the regexp give up (match limit exceeded)"* ]]
}

@test "bad: an unbalanced {= is refused" {
	MSG="'{=' with no '=}' to close it" refused touch ran {= s/a/b/ ::: a
}

@test "bad: -I, --er ... with an empty string; -I and --rpl without one" {
	MSG="-I: the replacement string may not be empty" \
		refused -I '' touch ran ::: a
	MSG="--extensionreplace: the replacement string may not be empty" \
		refused --er '' touch ran ::: a
	MSG="-I needs an argument" refused -I
	MSG="--rpl 'x': not 'TAG EXPRESSION'" refused --rpl x touch ran ::: a
	MSG="--rpl needs an argument" refused --rpl
}

@test "bad: --plus strings that mprun does not have are refused, not text" {
	# {##} and {0#} need the jobs counted first: not from stdin or a
	# pipe, nor with -X
	MSG="{##} needs the number of jobs" refused --plus -a - touch ran{##}
	MSG="{##} needs the number of jobs" refused --plus touch ran{##} \
		:::: <(echo a)
	MSG="{0#} needs the number of jobs" refused --plus -X touch ran{0#} \
		::: a
	MSG="{uniq} skips jobs" refused --plus touch ran {uniq} ::: a
	MSG="{host} is not available" refused --plus touch ran {host} ::: a
	# without --plus they are text, as in GNU parallel
	run "$MPRUN" echo {##} {..} ::: a
	[ "$output" = "{##} {..} a" ]
}

@test "compat: --plus {##} and {0#}: the jobs counted before the run" {
	printf '1\n2\n3\n' >f3
	same --plus echo {##} {0#} {#} ::: a b c d e f g h i j k
	same -n2 --plus echo {##} {0#} ::: 1 2 3 4 5
	same --plus echo {##} {} :::: f3 ::: x y
	same --plus -N2 echo {##} {1} ::: 1 2 3
	same --plus --skip-first-line echo {##} ::: h a b
	same --plus echo {0#}-{##} ::: a
}

@test "compat: {-n}: the n-th input from the last" {
	same echo {-1} {-2} ::: a b ::: c d
	same --colsep , echo {-1} {-2/} ::: a,b/q.r,c
	same echo {-1//} {-1.} ::: x/y/z.t
	same echo {-1} {1} ::: a
	same -N2 echo {-1} ::: a b c
}
