#!/usr/bin/env bats
# Inputs are data in every shell context of a template: a corpus of
# contexts x hostile payloads, each run under dash and under bash. A payload
# that ran would create the file "pw" in the job's directory. In a plain
# context the input comes back byte for byte; where it would be code the
# template is refused (255, nothing run); where only a number may stand,
# each other input fails its job without running it.

bats_require_minimum_version 1.5.0
load setup

# The hostile payloads: command substitution, backquotes, quote breakers,
# backslash tricks, bash arithmetic subscripts, newline + command, a
# here-document delimiter line, parameter expansion, glob and option.
P=(
	'$(touch pw)'
	'`touch pw`'
	"';touch pw;'"
	'";touch pw;"'
	'\";touch pw;#\'
	'a[$(touch pw)]'
	$'x\ntouch pw'
	$'EOF\ntouch pw'
	'${x:-$(touch pw)}'
	"it's \"\$(touch pw)\" \\\\ \`touch pw\` \$HOME *"
	'-n'
)
SHELLS="/bin/dash /bin/bash"

# Expected output: each payload between $1 and $2, one per line.
expect_each() {
	local p
	for p in "${P[@]}"; do
		printf '%s%s%s\n' "$1" "$p" "$2"
	done
}

# Options given to mprun before the template (--plus, -I ...).
OPTS=()

# Run template $1 over every payload (-k) under shell $2.
run_all() {
	rm -f pw
	MPRUN_SHELL=$2 run --separate-stderr "$MPRUN" -k -j1 "${OPTS[@]}" "$1" \
		::: "${P[@]}"
}

# The template $1 gives each payload back exactly, between $2 and $3.
exact() {
	local sh want
	want=$(expect_each "${2-}" "${3-}")
	for sh in $SHELLS; do
		run_all "$1" "$sh"
		[ ! -e pw ] || { echo "$sh: a payload ran" >&2; return 1; }
		[ "$status" -eq 0 ] || { echo "$sh: status $status: $stderr" >&2; return 1; }
		[ "$output" = "$want" ] || {
			printf '%s: got:\n%s\nwant:\n%s\n' "$sh" "$output" "$want" >&2
			return 1
		}
	done
}

# The template $1 is refused before anything runs: 255, a message with
# the place, no output.
refused() {
	local sh
	for sh in $SHELLS; do
		run_all "$1" "$sh"
		[ ! -e pw ] || { echo "$sh: a payload ran" >&2; return 1; }
		[ "$status" -eq 255 ] || { echo "$sh: status $status" >&2; return 1; }
		[ -z "$output" ] || { echo "$sh: output: $output" >&2; return 1; }
		[[ $stderr == *"refused, at "[0-9]*:[0-9]*": "* ]] || {
			echo "$sh: message: $stderr" >&2
			return 1
		}
		[[ $stderr == *"^"* ]]
	done
}

# Only an integer may stand where {} is in template $1: every payload
# fails its job (255 each, "not an integer"), nothing runs, and the integer
# in $2 gives the output $3.
numbers_only() {
	local sh n
	for sh in $SHELLS; do
		run_all "$1" "$sh"
		[ ! -e pw ] || { echo "$sh: a payload ran" >&2; return 1; }
		[ -z "$output" ] || { echo "$sh: output: $output" >&2; return 1; }
		[ "$status" -eq "${#P[@]}" ] || { echo "$sh: status $status" >&2; return 1; }
		n=$(grep -c 'is not an integer' <<<"$stderr")
		[ "$n" -eq "${#P[@]}" ] || { echo "$sh: $stderr" >&2; return 1; }
		[ -n "${2-}" ] || continue
		MPRUN_SHELL=$sh run "$MPRUN" "${OPTS[@]}" "$1" ::: "$2"
		[ "$status" -eq 0 ] && [ "$output" = "$3" ] || {
			echo "$sh: $2 gave $status: $output" >&2
			return 1
		}
	done
}

# --- plain contexts: the input comes back exactly -----------------------

@test "safety: a bare word" {
	exact "printf '%s\n' {}"
}
@test "safety: inside double quotes" {
	exact "printf '%s\n' \"{}\""
}
@test "safety: inside single quotes" {
	exact "printf '%s\n' '{}'"
}
@test "safety: between text inside double quotes" {
	exact "printf '%s\n' \"<{}>\"" '<' '>'
}
@test "safety: between text inside single quotes" {
	exact "printf '%s\n' '<{}>'" '<' '>'
}
@test "safety: glued to unquoted text" {
	exact "printf '%s\n' x{}y" x y
}
@test "safety: twice in one word" {
	local sh want
	want=$(for p in "${P[@]}"; do printf '%s%s\n' "$p" "$p"; done)
	for sh in $SHELLS; do
		run_all "printf '%s\n' {}\"{}\"" "$sh"
		[ ! -e pw ] || return 1
		[ "$status" -eq 0 ] || return 1
		[ "$output" = "$want" ] || return 1
	done
}
@test "safety: command substitution inside double quotes" {
	exact "printf '%s\n' \"\$(printf %s {})\""
}
@test "safety: quoted inside command substitution inside double quotes" {
	exact "printf '%s\n' \"\$(printf %s \"{}\")\""
}
@test "safety: backquotes inside double quotes" {
	exact "printf '%s\n' \"\`printf %s {}\`\""
}
@test "safety: escaped quotes inside backquotes inside double quotes" {
	exact "printf '%s\n' \"\`printf %s \\\"{}\\\"\`\""
}
@test "safety: nine nested command substitution inside double quotes" {
	local p='printf %s'
	exact "printf '%s\n' \"\$($p \"\$($p \"\$($p \"\$($p \"\$($p \"\$($p \"\$($p \"\$($p \"\$($p {})\")\")\")\")\")\")\")\")\""
}
@test "safety: a subshell inside command substitution does not close it" {
	exact "printf '%s\n' \"\$( (true); printf %s {} )\""
}
@test "safety: a variable assigned the input" {
	exact "x={}; printf '%s\n' \"\$x\""
}
@test "safety: export NAME={}" {
	exact "export x={}; printf '%s\n' \"\$x\""
}
@test "safety: default-value expansion inside double quotes" {
	exact "printf '%s\n' \"\${x:-{}}\""
}
@test "safety: default-value expansion with quotes, unquoted" {
	exact "printf '%s\n' \${x:-\"{}\"}"
}
@test "safety: an expanding here-document" {
	exact $'cat <<EOF\n{}\nEOF'
}
@test "safety: an expanding here-document with <<- and tabs" {
	exact $'cat <<-EOF\n\t<{}>\n\tEOF' '<' '>'
}
@test "safety: bash's process substitution, also as a redirection's target" {
	# (< <(cmd) was refused: "a redirection without its target")
	SHELLS=/bin/bash exact "cat < <(printf '%s\n' {})"
	SHELLS=/bin/bash exact "{ cat; } < <(printf '[%s]\n' \"{}\") 2> >(cat >&2)" '[' ']'
	SHELLS=/bin/bash exact "cat <(printf '<%s>\n' {})" '<' '>'
}
@test "safety: a comment with a quote before the command" {
	exact $'echo x >/dev/null # don\'t\nprintf \'%s\\n\' {}'
}
@test "safety: a replacement string inside a comment" {
	exact $'# {} here is a comment\nprintf \'%s\\n\' {}'
}
@test "safety: case WORD in" {
	exact "case {} in *) printf '%s\n' {} ;; esac"
}
@test "safety: a case pattern's   does not end command substitution" {
	exact "printf '%s\n' \"\$(case x in x) printf %s {} ;; esac)\""
}
@test "safety: inside a function" {
	exact "f() { printf '%s\n' {}; }; f"
}
@test "safety: inside a subshell and a group" {
	exact "( { printf '%s\n' {}; } )"
}
@test "safety: if / for / while" {
	exact "if true; then for i in 1; do while :; do printf '%s\n' {}; break; done; done; fi"
}
@test "safety: a pipeline and a here-string-free redirection" {
	exact "printf '%s\n' {} 2>/dev/null | cat"
}
@test "safety: a backslash right before {} stays a backslash" {
	exact "printf '%s\n' \\{}" '\'
}
@test "safety: C:\\dir\\{} inside double quotes" {
	exact "printf '%s\n' \"C:\\dir\\{}\"" 'C:\dir\'
}
@test "safety: the safe nested-shell idiom, the input as an argument" {
	exact "sh -c 'printf \"%s\\n\" \"\$1\"' sh {}"
}
@test "safety: the safe idiom through a wrapper  env, nice " {
	exact "env A=1 nice -n 1 sh -c 'printf \"%s\\n\" \"\$1\"' sh {}"
}
@test "safety: awk with the input in the environment" {
	exact "V={} awk 'BEGIN { print ENVIRON[\"V\"] }'"
}

@test "safety: a quoted here-document takes the text; a delimiter line fails the job" {
	local sh want p
	want=$(for p in "${P[@]}"; do
		[ "$p" = $'EOF\ntouch pw' ] || printf '%s\n' "$p"
	done)
	for sh in $SHELLS; do
		run_all $'cat <<\'EOF\'\n{}\nEOF' "$sh"
		[ ! -e pw ]
		[ "$status" -eq 1 ]
		[ "$output" = "$want" ]
		[[ $stderr == *"would end the here-document early"* ]]
	done
}

# --- arithmetic: only an integer ---------------------------------------

@test "safety: arithmetic expansion takes integers only" {
	numbers_only 'echo $(( {} * 2 ))' 21 42
}
@test "safety: arithmetic reading a variable assigned the input" {
	numbers_only 'x={}; echo $((x + 1))' 41 42
}
@test "safety: substring expansion is arithmetic" {
	numbers_only 'x=abcdef; echo ${x:{}}'
	SHELLS=/bin/bash numbers_only 'x=abcdef; echo ${x:{}}' 2 cdef
}
@test "safety: an array element's subscript is arithmetic, also when a missing input joins the name" {
	# {3} with one source is empty: "a{3}b[...]=" is the assignment
	# "ab[...]=" (found by fuzz_template)
	SHELLS=/bin/bash numbers_only 'a[{}]=x; echo "${a[2]}"' 2 x
	SHELLS=/bin/bash numbers_only 'a{3}b[{1}]=x; echo "${ab[2]}"' 2 x
	SHELLS=/bin/bash numbers_only '{3}ab[{1}]=x; echo "${ab[2]}"' 2 x
}
@test "safety: let, double parens and [[ -eq ]] take integers only" {
	numbers_only 'let x={}; echo $x'
	numbers_only '(( x = {} )); echo $x'
	numbers_only '[[ {} -eq 1 ]]; echo $?'
	numbers_only 'n={}; [[ $n -gt 0 ]]; echo $?'
}

@test "safety: a sh -c script's arithmetic on its arguments takes integers only" {
	numbers_only "bash -c 'echo \$(( \$1 * 2 ))' bash {}" 21 42
	numbers_only "V={} bash -c 'echo \$((V + 1))'" 41 42
	numbers_only "env V={} bash -c 'echo \$((V + 1))'" 41 42
	numbers_only "bash -c 'for a; do echo \$((a)); done' bash {}" 42 42
	numbers_only "bash -c 'x=\$1; echo \$((x))' bash {}" 42 42
	# arithmetic on other names leaves the arguments free
	exact "sh -c 'i=0; i=\$((i+1)); printf \"%s\\n\" \"\$1\"' sh {}"
}

@test "safety: a variable holding an input, later read as code or as a name, takes integers only" {
	numbers_only 'x={}; eval "echo $x"' 5 5
	numbers_only 'x={}; y="$x"; eval "echo $y"' 5 5
	numbers_only 'x={}; sh -c "echo $x"' 5 5
	numbers_only "sh -c 'eval \"echo \$1\"' sh {}" 5 5
	SHELLS=/bin/bash numbers_only 'x={}; echo "${x@P}"' 5 5
	SHELLS=/bin/bash numbers_only 'x={}; printf -v "$x" %s 1; echo ok' '' ''
	# a variable only printed stays free
	exact 'x={}; y=$x; printf "%s\n" "$y"'
}

@test "safety: fuzzer findings stay fixed (tests/fuzz/crashes)" {
	# a backslash before {} with several arguments: before the first only
	run "$MPRUN" -j1 -X "printf '%s|' \\{} x" ::: 'a b' 'c d'
	[ "$output" = '\a b|\c d|x|' ]
	run "$MPRUN" "printf '%s|' \\{} x" ::: 'a b'
	[ "$output" = '\a b|x|' ]
	run "$MPRUN" -n 2 "printf '%s|' \\{}" ::: 'a b' 'c d'
	[ "$output" = '\a b|c d|' ]
	# a backslash before {2} that has no value
	run "$MPRUN" "printf '%s|' \\{2}{1}" ::: 'a b'
	[ "$output" = '\a b|' ]
	# bash expands the word after >& once more when it is not a number
	SHELLS=/bin/bash numbers_only 'echo x >& {}' 1 x
	numbers_only 'y={}; echo x 1>&$y' 1 x
	# dash ends x[0 at ';': eval there is a command
	refused 'x[0;eval ] {}'
	# a keyword as input after coproc or time -p stays a word
	MPRUN_SHELL=/bin/bash run "$MPRUN" --dry-run 'time -p {} x' ::: while
	[ "$output" = "time -p 'while' x" ]
	MPRUN_SHELL=/bin/bash run "$MPRUN" --dry-run 'coproc {}; wait' ::: while
	[ "$output" = "coproc 'while'; wait" ]
	# compgen -W expands its word list
	refused 'compgen -W {} x'
	# through a function's $1, read, bash's integer and prompt variables
	numbers_only 'f() { echo $(( $1 )); }; f {}' 4 4
	numbers_only 'set -- x {}; echo $(( $2 ))' 4 4
	SHELLS=/bin/bash numbers_only 'read x <<< {}; echo $((x))' 4 4
	numbers_only 'printf "%s\\n" {} | { read x; echo $((x)); }' 4 4
	numbers_only 'OPTIND={}; echo ok' 4 ok
	numbers_only 'RANDOM={}; echo ok' 4 ok
	numbers_only 'PS4={}; echo ok' 4 ok
}

# --- re-evaluation: refused before anything runs ------------------------

@test "safety: sh -c / bash -c with {} in the script is refused" {
	refused "sh -c 'echo {}'"
	refused 'bash -c "echo {}"'
	refused "dash -ec 'echo {}'"
	refused "nice -n 1 sh -c 'echo {}'"
	refused "env A=1 sh -c 'echo {}'"
	refused "xargs sh -c 'echo {}'"
	refused "find . -maxdepth 0 -exec sh -c 'echo {}' \\;"
	refused "timeout 5 bash -c 'echo {}'"
	refused "sudo -u nobody sh -c 'echo {}'"
}
@test "safety: eval, trap, alias, su -c, ssh are refused" {
	refused 'eval echo {}'
	refused 'eval "echo {}"'
	refused "trap 'echo {}' EXIT"
	refused "alias x='echo {}'"
	refused "su -c 'echo {}' nobody"
	refused 'ssh localhost echo {}'
	refused "command eval 'echo {}'"
}
@test "safety: awk, sed, perl, python programs with {} are refused" {
	refused "awk 'BEGIN { print \"{}\" }'"
	refused "sed 's/x/{}/'"
	refused "sed -e 's/x/{}/' file"
	refused "perl -ne 'print \"{}\"'"
	refused "python3 -c 'print(\"{}\")'"
	refused "gawk -e 'BEGIN { print \"{}\" }'"
}
@test "safety: a shell named by a variable, su/runuser/flock/script with -c after an operand, glued option values, versioned names are refused" {
	refused '$SHELL -c "printf %s {}"'
	refused 's=sh; "$s" -c "printf %s {}"'
	refused 'su root -c "printf %s {}"'
	refused 'su - root -c "printf %s {}"'
	refused 'runuser -l root -c "printf %s {}"'
	refused 'flock lk -c "printf %s {}"'
	refused 'script -q /dev/null -c "printf %s {}"'
	refused 'sg root "printf %s {}"'
	refused "perl -e'print \"{}\"'"
	refused "python3 -c'print(\"{}\")'"
	refused "su -c'printf %s {}'"
	refused 'bash +O extglob -c "printf %s {}"'
	refused "python3.11 -c 'print(\"{}\")'"
	refused "perl5.36.0 -e 'print \"{}\"'"
}
@test "safety: programs that run code from an option or an operand (ssh -o, tar, vim, git -c, sqlite3, zsh's print -P) are refused" {
	refused 'ssh -o "ProxyCommand=printf %s {}" localhost true'
	refused 'tar -cf /dev/null --checkpoint=1 --checkpoint-action="exec=printf %s {}" /dev/null'
	refused 'tar -xf x.tar --to-command={}'
	refused 'ex -c "!printf %s {}" -c q'
	refused 'vim +"!printf %s {}" x'
	refused 'git -c alias.x="!printf %s {}" x'
	refused 'sqlite3 :memory: {}'
	refused 'print -P {}'
	# their safe forms run
	exact 'tar -cf /dev/null -- /dev/null && printf "%s\n" {}'
}
@test "safety: positional parameters and variables that reach arithmetic take integers only" {
	numbers_only "sh -c 'shift; echo \$((\$1))' sh x {}" 5 5
	numbers_only "sh -c 'echo \$((\$0))' {}" 5 5
	SHELLS=/bin/bash numbers_only 'bash -c '\''echo $((${!#}))'\'' sh {}' 5 5
	SHELLS=/bin/bash numbers_only 'set -- x {}; shift; echo $(($1))' 5 5
	SHELLS=/bin/bash numbers_only 'printf -v x %s {}; echo $((x))' 5 5
	SHELLS=/bin/bash numbers_only 'x={}; y=x; echo $(($y))' 5 5
	SHELLS=/bin/bash numbers_only 'x={}; declare -n r=x; echo $((r))' 5 5
	SHELLS=/bin/bash numbers_only 'a[0]={}; echo $((a))' 5 5
	SHELLS=/bin/bash numbers_only 'declare -ai n; n=({}); echo ${n[0]}' 5 5
	SHELLS=/bin/bash numbers_only '[[ {} =~ (.*) ]]; echo $((BASH_REMATCH[1]))' 5 5
	SHELLS=/bin/bash numbers_only 'echo {} >/dev/null; echo $(($_))' 5 5
	# an input first in test or printf may be their option -v
	rm -f pw
	run "$MPRUN" 'test {1} {2} && echo y' ::: -v ::: 'a[$(touch pw)]'
	[ ! -e pw ]
	[ "$status" -eq 1 ]
	[[ "$output" == *"input '-v' starts with '-'"* ]]
	# one word, several inputs (-n 2): $2 of the script is one of them
	run "$MPRUN" -n 2 'sh -c '\''eval "$2"'\'' sh {}' ::: 1 'touch pw'
	[ ! -e pw ]
	[ "$status" -eq 1 ]
	[[ "$output" == *"'touch pw' is not an integer"* ]]
}
@test "safety: a value glued to an option that takes one is data (awk -vname={})" {
	local sh
	for sh in $SHELLS; do
		run_all "awk -vname={} 'BEGIN { print name }'" "$sh"
		[ ! -e pw ]
		[ "$status" -eq 0 ]
		# (awk's -v reads backslash escapes itself)
		[ "${#lines[@]}" -eq "$(expect_each | wc -l)" ]
	done
}
@test "safety: bash array literals: declare/local NAME=(...), [KEY]=VALUE" {
	SHELLS=/bin/bash exact 'declare -a a=(); a+=({}); printf "%s\n" "${a[0]}"'
	SHELLS=/bin/bash exact 'f() { local -a p=({} x); printf "%s\n" "${p[0]}"; }; f'
	SHELLS=/bin/bash exact 'declare -A m=([k]={}); printf "%s\n" "${m[k]}"'
	SHELLS=/bin/bash exact 'a=([0]=x [1]={}); printf "%s\n" "${a[1]}"'
}
@test "safety: names of variables are refused  bash runs code in their subscripts " {
	refused 'export {}=1'
	refused 'declare -a x={}'
	refused 'unset {}'
	refused 'read {} </dev/null'
	refused 'printf -v {} %s x'
	refused 'test -v {}'
	refused 'echo ${!{}}'
	refused 'for {} in a; do :; done'
}
@test "safety: what the scanner does not understand is refused with its place" {
	refused "echo 'unclosed {}"
	refused 'echo "unclosed {}'
	refused 'echo `unclosed {}'
	refused 'echo $(unclosed {}'
	refused "echo \$'ansi {}'"
	refused 'echo ${}'
	refused $'cat <<{}\nx\n{}'
	refused $'cat <<EOF\n{}'
	refused 'echo `echo \{}`'
	refused 'echo $(( "{}" ))'
}
@test "safety: a refusal names the line and column and points at it" {
	run --separate-stderr "$MPRUN" $'true\nsh -c \'echo {}\'' ::: x
	[ "$status" -eq 255 ]
	[[ $stderr == *"refused, at 2:13: {} in the script of 'sh -c'"* ]]
	[[ $stderr == *"sh -c '... \"\$1\" ...' sh {}"* ]]
	[[ $stderr == *$'\n    sh -c \'echo {}\'\n                ^'* ]]
}

@test "safety: ssh's host may not start with '-'" {
	rm -f pw
	run --separate-stderr "$MPRUN" --dry-run ssh {} uptime ::: host1 '-oProxyCommand=touch pw'
	[ ! -e pw ]
	[ "$status" -eq 1 ]
	[ "$output" = "ssh host1 uptime" ]
	[[ $stderr == *"starts with '-'"* ]]
}

# --- the same rule in every place a template is expanded -----------------

@test "safety: -X / -m context, --colsep fields, -n batches" {
	local sh want
	want=$(printf '%s\n' "${P[@]}")
	for sh in $SHELLS; do
		rm -f pw
		MPRUN_SHELL=$sh run "$MPRUN" -X "printf '%s\n' \"<{}>\" | tr -d '<>'" ::: "${P[@]}"
		[ ! -e pw ] || return 1
		[ "$status" -eq 0 ] || return 1
		MPRUN_SHELL=$sh run "$MPRUN" -k -n 3 "printf '%s\n' {}; : \"{2}\"" ::: "${P[@]}"
		[ ! -e pw ] || return 1
		[ "$status" -eq 0 ] || return 1
		[ "$output" = "$want" ] || return 1
	done
	printf '%s\n' 'a,$(touch pw)' 'b,`touch pw`' >in.csv
	run "$MPRUN" -k --colsep , "printf '%s|%s\n' \"{2}\" {1}" :::: in.csv
	[ ! -e pw ] || return 1
	[ "$status" -eq 0 ] || return 1
	[ "$output" = "$(printf '%s\n' '$(touch pw)|a' '`touch pw`|b')" ]
}

@test "safety: --on-success / --on-error callbacks, and refused in them" {
	rm -f pw
	run "$MPRUN" -k --on-success "printf 'ok %s\n' \"{}\"" true ::: "${P[@]}"
	[ ! -e pw ] || return 1
	[ "$status" -eq 0 ] || return 1
	[ "$output" = "$(expect_each 'ok ' '')" ]
	run --separate-stderr "$MPRUN" --on-error "sh -c 'echo {}'" false ::: x
	[ "$status" -eq 255 ]
	[[ $stderr == *"--on-error refused, at 1:13"* ]]
	run --separate-stderr "$MPRUN" --on-success 'echo $(( {} ))' true ::: 'a[$(touch pw)]' 2
	[ ! -e pw ]
	[ "$output" = "2" ]
	[[ $stderr == *"is not an integer"* ]]
}

@test "safety: pipeline stages: inputs from upstream are data, a refused cmd is reported" {
	cat >p.yaml <<'EOF'
stages:
  src:
    cmd: printf '%s\n' '$(touch pw)' '`touch pw`' "';touch pw;'"
  use:
    input: src
    cmd: printf '<%s>\n' "{}" "$(printf %s {})"
EOF
	run "$MPRUN" --pipeline p.yaml
	[ ! -e pw ]
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output")" = "$(printf '<%s>\n' '$(touch pw)' '$(touch pw)' "';touch pw;'" "';touch pw;'" '`touch pw`' '`touch pw`' | sort)" ]
	cat >bad.yaml <<'EOF'
stages:
  src:
    cmd: echo x
  use:
    input: src
    cmd: sh -c 'echo {}'
EOF
	run "$MPRUN" --pipeline bad.yaml
	[ "$status" -eq 255 ]
	[[ $output == *"bad.yaml:6:10: stage 'use': cmd refused, at 1:13: {} in the script of 'sh -c'"* ]]
}

@test "safety: --dry-run shows exactly what runs, and running it is safe" {
	run "$MPRUN" --dry-run "printf '%s\n' {} \"{}\"" ::: 'a b' plain.txt '$(touch pw)'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "_mp1='a b'; printf '%s\n' \"\${_mp1}\" \"\${_mp1}\"" ]
	[ "${lines[1]}" = "printf '%s\n' plain.txt \"plain.txt\"" ]
	[ "${lines[2]}" = "_mp1='\$(touch pw)'; printf '%s\n' \"\${_mp1}\" \"\${_mp1}\"" ]
	run sh -c "${lines[2]}"
	[ ! -e pw ]
	[ "$output" = "$(printf '%s\n' '$(touch pw)' '$(touch pw)')" ]
}

@test "safety: plain contexts keep the exact text of awkward inputs" {
	local inputs=('a b' '$(x)' '`x`' "it's" 'a"b' '\n' '*' '~' '-n' '' $'\n' '$HOME' '!x' '{}' '%s' '\' 'x\')
	local t want sh
	for t in "printf '%s\n' {}" "printf '%s\n' \"{}\"" "printf '%s\n' \"<{}>\"" "printf '%s\n' \"\$(printf %s {})\""; do
		for sh in $SHELLS; do
			MPRUN_SHELL=$sh run "$MPRUN" -k -j1 "$t" ::: "${inputs[@]}"
			[ "$status" -eq 0 ]
			case $t in
			*'<{}>'*) want=$(printf '<%s>\n' "${inputs[@]}") ;;
			*'$(printf'*) want=$(for i in "${inputs[@]}"; do printf '%s\n' "$(printf %s "$i")"; done) ;;
			*) want=$(printf '%s\n' "${inputs[@]}") ;;
			esac
			[ "$output" = "$want" ] || { echo "$sh $t: $output" >&2; return 1; }
		done
	done
	run "$MPRUN" 'echo $(( {} * 2 ))' ::: 21
	[ "$output" = 42 ]
}

# --- the strings of GNU parallel beyond {}: the same rule ----------------

@test "safety: {= s/// =} values are data in every plain context" {
	exact "printf '%s\n' {= s/^/</; s/\$/>/ =}" '<' '>'
	exact "printf '%s\n' \"{= s/^/</; s/\$/>/ =}\"" '<' '>'
	exact "printf '%s\n' '{= s/^/</; s/\$/>/ =}'" '<' '>'
	exact "printf '%s\n' x{=1 s/^/</ =}" 'x<'
	exact "printf '%s\n' \"\$(printf '%s' {= s/^/</ =})\"" '<'
}
@test "safety: {= s/// =} can make code of no input: \$1, \$& and the text are data" {
	exact "printf '%s\n' {= s/^(.*)\$/\$1/s =}"
	exact "printf '%s\n' {= s/(.)/\$&/g =}"
	exact "printf '%s\n' {= s/^/;touch pw;\`touch pw\`/ =}" ';touch pw;`touch pw`'
}
@test "safety: {= =} is refused where {} is; only integers in arithmetic" {
	refused "sh -c 'echo {= s/a/b/ =}'"
	refused "eval echo {= s/a/b/ =}"
	numbers_only 'echo $(( {= s/a/b/ =} * 2 ))' 21 42
	OPTS=(--plus)
	numbers_only 'echo $(( {:0} * 2 ))' 21 42
}
@test "safety: --plus strings are data" {
	OPTS=(--plus)
	exact "printf '%s\n' {:0}"
	exact "printf '%s\n' \"{/QQQ/R}\""
	exact "printf '%s\n' '{%QQQ}'"
	exact "printf '%s\n' x{^QQQ}y" x y
	exact "printf '%s\n' {1:-d}"
}
@test "safety: {+.} {..} {/re/str} on hostile file names run nothing" {
	rm -f pw pw.gz
	run "$MPRUN" -k --plus echo {+.} {..} {.} '{/;/:}' ::: ';touch pw.gz' \
		'$(touch pw).tar.gz' '`touch pw`.x.y'
	[ ! -e pw ] && [ ! -e pw.gz ]
	[ "$status" -eq 0 ]
	[ "$output" = "gz ;touch pw.gz ;touch pw :touch pw.gz
gz \$(touch pw) \$(touch pw).tar \$(touch pw).tar.gz
y \`touch pw\` \`touch pw\`.x \`touch pw\`.x.y" ]
}
@test "safety: -I R, --er E: the renamed strings are data" {
	OPTS=(-I @@)
	exact "printf '%s\n' @@"
	exact "printf '%s\n' \"<@@>\"" '<' '>'
	OPTS=(--er E)
	exact "printf '%s\n' 'E'"
}
@test "safety: -q: the inputs and the text are data" {
	local sh want
	want=$(expect_each '<' '>')
	for sh in $SHELLS; do
		rm -f pw
		MPRUN_SHELL=$sh run --separate-stderr "$MPRUN" -k -q printf '%s\n' \
			'<{}>' ::: "${P[@]}"
		[ ! -e pw ] && [ "$status" -eq 0 ] && [ "$output" = "$want" ]
		MPRUN_SHELL=$sh run "$MPRUN" -q echo ';touch pw' '$(touch pw)' ::: x
		[ ! -e pw ] && [ "$output" = ';touch pw $(touch pw) x' ]
	done
}
