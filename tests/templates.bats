#!/usr/bin/env bats
# Replacement strings, appended inputs, MPRUN_SEQ / MPRUN_SLOT, quoting
# (inputs are never code) and commands that need a shell.

load setup

# --- replacement strings ------------------------------------------------------------

@test "{} inside a word is replaced by the input" {
	run "$MPRUN" echo pre-{}-post ::: a
	[ "$status" -eq 0 ]
	[ "$output" = "pre-a-post" ]
}

@test "{} may appear several times" {
	run "$MPRUN" echo {} {}{} ::: a
	[ "$status" -eq 0 ]
	[ "$output" = "a aa" ]
}

@test "{.} removes the extension" {
	run "$MPRUN" -k echo {.} ::: dir/file.tar.gz plain a.b/c
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'dir/file.tar\nplain\na.b/c')" ]
}

@test "{/} is the basename" {
	run "$MPRUN" -k echo {/} ::: dir/sub/file.txt file.txt
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'file.txt\nfile.txt')" ]
}

@test "{//} is the dirname, '.' without a slash" {
	run "$MPRUN" -k echo {//} ::: dir/sub/file.txt foo /a
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'dir/sub\n.\n/')" ]
}

@test "{/.} is the basename without extension" {
	run "$MPRUN" echo {/.} ::: dir/sub/file.txt
	[ "$status" -eq 0 ]
	[ "$output" = "file" ]
}

@test "{#} is the 1-based job sequence number in input order" {
	run "$MPRUN" -k echo {#}-{} ::: a b c
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1-a\n2-b\n3-c')" ]
}

@test "{#} follows the input order even when jobs finish out of order" {
	run "$MPRUN" -j3 'sleep 0.{}; echo {#}-{}' ::: 6 3 0
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '3-0\n2-3\n1-6')" ]
}

@test "{#} counts jobs, not inputs, with -n" {
	run "$MPRUN" -k -n2 echo {#}: {} ::: a b c
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1: a b\n2: c')" ]
}

@test "{%} is the slot number: always 1 with -j1" {
	run "$MPRUN" -k -j1 echo {%} ::: a b c
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1\n1\n1')" ]
}

@test "{%} takes each of 1..j for jobs running together" {
	run "$MPRUN" -j3 'sleep 0.5; echo {%}' ::: a b c
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "${lines[@]}" | sort)" = "$(printf '1\n2\n3')" ]
}

@test "{%} never exceeds -j" {
	run "$MPRUN" -j2 'sleep 0.0{}; echo {%}' ::: 1 2 3 4 5 6 7 8
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 8 ]
	[ -z "$(printf '%s\n' "${lines[@]}" | grep -vx '[12]')" ]
}

@test "{1} {2} are the values of the first and second group" {
	run "$MPRUN" -k echo {2}-{1} ::: a b ::: 1 2
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1-a\n2-a\n1-b\n2-b')" ]
}

@test "{} with several groups is all the values joined by spaces" {
	run "$MPRUN" echo ={}= ::: a ::: b
	[ "$status" -eq 0 ]
	[ "$output" = "=a b=" ]
}

@test "positional transforms {1.} {2/} {1//} {2/.}" {
	run "$MPRUN" echo {1.} {2/} {1//} {2/.} ::: d/x.txt ::: e/y.z
	[ "$status" -eq 0 ]
	[ "$output" = "d/x y.z d y" ]
}

@test "{n} past the last value is empty" {
	run "$MPRUN" echo ={1}={3}= ::: a ::: b
	[ "$status" -eq 0 ]
	[ "$output" = "=a==" ]
}

@test "{1} {2} with -n 2 address the two inputs of a batch" {
	run "$MPRUN" -k -n2 echo {2}-{1} ::: a b c d
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'b-a\nd-c')" ]
}

@test "{} inside a word with -n 2 joins the inputs (no context replace)" {
	run "$MPRUN" -k -n2 echo x{}y ::: a b c
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'xa by\nxcy')" ]
}

@test "-X applies {.} to each input" {
	run "$MPRUN" -j1 -X echo {.} ::: a.x b.y
	[ "$status" -eq 0 ]
	[ "$output" = "a b" ]
}

@test "unknown brace words are literal text" {
	run "$MPRUN" echo {foo} {1x} '{' ::: a
	[ "$status" -eq 0 ]
	[ "$output" = "{foo} {1x} { a" ]
}

@test "an input that looks like a replacement string is not expanded again" {
	run "$MPRUN" -k echo ={}= ::: '{}' '{.}' '{#}'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '={}=\n={.}=\n={#}=')" ]
}

# --- appended inputs --------------------------------------------------------------

@test "without a replacement string the input is appended" {
	run "$MPRUN" echo pre ::: a
	[ "$status" -eq 0 ]
	[ "$output" = "pre a" ]
}

@test "without a replacement string all groups' values are appended" {
	run "$MPRUN" printf '[%s]' ::: 'a b' ::: c
	[ "$status" -eq 0 ]
	[ "$output" = "[a b][c]" ]
}

@test "an appended input is appended to a shell command too" {
	run "$MPRUN" 'echo x |  cat - ; echo' ::: y
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'x\ny')" ]
}

# --- environment -------------------------------------------------------------------

@test "MPRUN_SEQ and MPRUN_SLOT are set in each job (shell form)" {
	run "$MPRUN" -k -j1 'echo $MPRUN_SEQ-$MPRUN_SLOT-{}' ::: a b c
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1-1-a\n2-1-b\n3-1-c')" ]
}

@test "MPRUN_SEQ and MPRUN_SLOT are set in each job (direct exec)" {
	printf '#!/bin/sh\necho "$MPRUN_SEQ $MPRUN_SLOT $1"\n' >show
	chmod +x show
	run "$MPRUN" -k -j1 ./show ::: a b
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1 1 a\n2 1 b')" ]
}

@test "MPRUN_SLOT equals {%} and MPRUN_SEQ equals {#}" {
	run "$MPRUN" -j2 '[ "$MPRUN_SLOT" = {%} ] && [ "$MPRUN_SEQ" = {#} ] && echo ok' ::: 1 2 3 4 5
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'ok\nok\nok\nok\nok')" ]
}

# --- quoting: inputs are never code ----------------------------------------------

@test "inputs with shell syntax are passed literally to a plain command" {
	run "$MPRUN" -k echo ::: '$(touch pwned)' 'a; touch pwned2' '`touch pwned3`' "it's" 'a  b'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' '$(touch pwned)' 'a; touch pwned2' '`touch pwned3`' "it's" 'a  b')" ]
	[ ! -e pwned ]
	[ ! -e pwned2 ]
	[ ! -e pwned3 ]
}

@test "inputs with shell syntax are literal in a shell command" {
	run "$MPRUN" -k 'echo {} | cat' ::: '$(touch x)' 'a; touch y' '`touch z`' "it's" 'a  b' '"q"' 'back\slash' '*'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' '$(touch x)' 'a; touch y' '`touch z`' "it's" 'a  b' '"q"' 'back\slash' '*')" ]
	[ ! -e x ]
	[ ! -e y ]
	[ ! -e z ]
}

@test "an input is one literal word inside a word of a shell command" {
	run "$MPRUN" 'printf "[%s]\n" pre{}post | cat' ::: 'a b' '$HOME'
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "${lines[@]}" | sort)" = "$(printf '%s\n' '[pre$HOMEpost]' '[prea bpost]')" ]
}

@test "an input with a newline is one literal word" {
	printf 'l1\nl2; touch bad\0' >in
	run "$MPRUN" -0 'printf "[%s]" {} | cat' <in
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '[l1\nl2; touch bad]')" ]
	[ ! -e bad ]
}

@test "an input with a glob is not expanded" {
	touch f1 f2
	run "$MPRUN" -k echo ::: 'f*' '?1'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'f*\n?1')" ]
}

@test "an input looking like an assignment or a keyword is not treated as one" {
	run "$MPRUN" -k 'echo {}; :' ::: 'A=1' 'if' 'exit'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'A=1\nif\nexit')" ]
}

@test "an empty input is an empty argument, not dropped" {
	run "$MPRUN" printf '[%s]' ::: ''
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]
}

# --- commands needing a shell ----------------------------------------------------

@test "a redirection in the command works: 'echo {} > {}.out'" {
	run "$MPRUN" 'echo {} > {}.out' ::: a b
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
	[ "$(cat a.out)" = a ]
	[ "$(cat b.out)" = b ]
}

@test "a redirection with an input containing a space stays one file name" {
	run "$MPRUN" 'echo {} > {}.out' ::: 'p q'
	[ "$status" -eq 0 ]
	[ "$(cat 'p q.out')" = 'p q' ]
}

@test "a pipe in the command works" {
	run "$MPRUN" -k 'echo {} | tr a-z A-Z' ::: abc def
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'ABC\nDEF')" ]
}

@test "';' and '&&' in the command work" {
	run "$MPRUN" 'echo one {}; true && echo two {}' ::: x
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'one x\ntwo x')" ]
}

@test "shell variables in the command are expanded by the job's shell" {
	FOO=bar run "$MPRUN" 'echo $FOO {}' ::: x
	[ "$status" -eq 0 ]
	[ "$output" = "bar x" ]
}

@test "a separate word with spaces is split like GNU parallel does" {
	# GNU parallel joins the command words with spaces: 'echo a  b' {} is
	# 'echo a  b' run by the shell.
	run "$MPRUN" 'echo a  b' ::: c
	[ "$status" -eq 0 ]
	[ "$output" = "a b c" ]
}

@test "an input inside the command's own double quotes stays literal" {
	run "$MPRUN" -k 'echo "<{}>"' ::: 'b c' '$(touch pwned)' '`touch pwned2`' 'x"y'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' '<b c>' '<$(touch pwned)>' '<`touch pwned2`>' '<x"y>')" ]
	[ ! -e pwned ] && [ ! -e pwned2 ]
}

@test "an input inside the command's own single quotes stays literal" {
	run "$MPRUN" -k "echo '<{}>'" ::: 'b  c' "it's" '$(touch pwned)'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' '<b  c>' "<it's>" '<$(touch pwned)>')" ]
	[ ! -e pwned ]
}

@test "an input in \$( ) inside double quotes is one word" {
	run "$MPRUN" 'echo "$(basename {})"' ::: '/x/a  b'
	[ "$output" = "a  b" ]
}
