#!/usr/bin/env bats
# The command line itself: --version, --help, usage errors, -j, and that the
# man page and the shell completions cover every option of --list-options.

load setup

# Every documented long option, as --list-options prints them (--jobs ...).
_long_options() {
	"$MPRUN" --list-options
}

# Every short option letter that --help shows ("  -j, --jobs N"), and P.
_short_options() {
	"$MPRUN" --help | sed -n 's/^  -\(.\), --.*/\1/p'
	echo P
}

# --- version, help ---------------------------------------------------------

@test "--version prints the name and the version" {
	run "$MPRUN" --version
	[ "$status" -eq 0 ]
	[ "$output" = "mprun 0.1.0" ]
}

@test "--list-options prints long options, one per line" {
	run "$MPRUN" --list-options
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -ge 30 ]
	for o in "${lines[@]}"; do
		[[ $o =~ ^--[a-z][a-z-]*$ ]] || {
			echo "not an option: '$o'"
			return 1
		}
	done
}

@test "--help has an entry for every option of --list-options" {
	run "$MPRUN" --help
	[ "$status" -eq 0 ]
	help=$output
	for o in $(_long_options); do
		grep -qE -- "^ +(-., )?$o( |\$)" <<<"$help" || {
			echo "--help lacks $o"
			return 1
		}
	done
	grep -qE -- '^ +-P, --max-procs N ' <<<"$help"
}

# --- the man page ------------------------------------------------------------

@test "the man page has an .It Fl entry for every option of --list-options" {
	man=$MPRUN_SRCDIR/man/mprun.1
	for o in $(_long_options); do
		grep -qE -- "^\.It .*Fl -${o#--}( |\$)" "$man" || {
			echo "man/mprun.1 lacks '.It ... Fl -${o#--}'"
			return 1
		}
	done
}

@test "the man page has an .It Fl entry for every short option, -P too" {
	man=$MPRUN_SRCDIR/man/mprun.1
	for c in $(_short_options); do
		grep -qE -- "^\.It Fl $c( |\$)" "$man" || {
			echo "man/mprun.1 lacks '.It Fl $c'"
			return 1
		}
	done
}

@test "man -l renders the man page without warnings" {
	command -v man >/dev/null || skip "man is not installed"
	run env MANWIDTH=80 man --warnings -l -P cat "$MPRUN_SRCDIR/man/mprun.1"
	[ "$status" -eq 0 ]
	[[ $output == *"mprun - run a command over many inputs"* ||
		$output == *"mprun — run a command over many inputs"* ]]
	[[ $output == *"EXIT STATUS"* ]]
	run bash -c 'MANWIDTH=80 man --warnings -l -P cat "$1" 2>&1 >/dev/null' \
		_ "$MPRUN_SRCDIR/man/mprun.1"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "mandoc -T lint finds no warning in the man page" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	# Warnings and worse (style notes depend on the installed pages).
	run bash -c 'mandoc -T lint -W warning "$1" 2>&1' \
		_ "$MPRUN_SRCDIR/man/mprun.1"
	[ -z "$output" ]
}

# --- completions ---------------------------------------------------------

@test "the zsh completion knows every option" {
	f=$MPRUN_SRCDIR/completions/_mprun
	for o in $(_long_options); do
		grep -qE -- "(^|[^-[:alnum:]])$o([^-[:alnum:]]|\$)" "$f" || {
			echo "_mprun lacks $o"
			return 1
		}
	done
	for c in $(_short_options); do
		grep -qE -- "[{)']-$c[+,[]" "$f" || {
			echo "_mprun lacks -$c"
			return 1
		}
	done
}

@test "the fish completion knows every option" {
	f=$MPRUN_SRCDIR/completions/mprun.fish
	for o in $(_long_options); do
		grep -qE -- "^complete .* -l ${o#--}( |\$)" "$f" || {
			echo "mprun.fish lacks $o"
			return 1
		}
	done
	for c in $(_short_options); do
		grep -qE -- "^complete .* -s $c( |\$)" "$f" || {
			echo "mprun.fish lacks -$c"
			return 1
		}
	done
}

# Complete the words "$@" (the last one is the one being completed) with
# the bash completion; prints the candidates, one per line.
_bash_complete() {
	bash -c '
		source "$1/completions/mprun.bash" || exit 1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMPREPLY=()
		_mprun
		printf "%s\n" "${COMPREPLY[@]}"' _ "$MPRUN_SRCDIR" "$@"
}

@test "bash: completing 'mprun -' offers every option" {
	run _bash_complete mprun -
	[ "$status" -eq 0 ]
	offered=$'\n'$output$'\n'
	for o in $(_long_options); do
		[[ $offered == *$'\n'$o$'\n'* ]] || {
			echo "completing 'mprun -' does not offer $o"
			return 1
		}
	done
	for c in $(_short_options); do
		[[ $offered == *$'\n'-$c$'\n'* ]] || {
			echo "completing 'mprun -' does not offer -$c"
			return 1
		}
	done
}

@test "bash: completing 'mprun --ti' offers --timeout" {
	run _bash_complete mprun --ti
	[ "$status" -eq 0 ]
	[ "$output" = "--timeout" ]
}

@test "bash: --order offers its three policies, also after =" {
	run _bash_complete mprun --order ""
	[ "$output" = "$(printf 'unordered\nimap\nmap')" ]
	run _bash_complete mprun -k --order = m
	[ "$output" = "map" ]
}

@test "bash: file arguments complete to files, directories to directories" {
	mkdir dir1
	touch file1
	run _bash_complete mprun -a fi
	[ "$output" = "file1" ]
	run _bash_complete mprun --results di
	[ "$output" = "dir1" ]
	run _bash_complete mprun --results fi
	[ "$output" = "" ]
}

@test "bash: the command, then files; no options after the command" {
	touch file1
	run _bash_complete mprun -j 2 --timeout 10 bash
	[[ $'\n'$output$'\n' == *$'\nbash\n'* ]]
	run _bash_complete mprun -j 2 echo fi
	[ "$output" = "file1" ]
	run _bash_complete mprun echo --ti
	[ "$output" = "" ]
}

@test "zsh and fish completions parse (when the shells are here)" {
	command -v zsh >/dev/null || command -v fish >/dev/null ||
		skip "neither zsh nor fish is installed"
	if command -v zsh >/dev/null; then
		zsh -n "$MPRUN_SRCDIR/completions/_mprun"
	fi
	if command -v fish >/dev/null; then
		fish -n "$MPRUN_SRCDIR/completions/mprun.fish"
	fi
}

# --- usage errors --------------------------------------------------------------

@test "an unknown long option: 255, named, and a hint to --help" {
	run "$MPRUN" --no-such-option echo ::: a
	[ "$status" -eq 255 ]
	[[ $output == *"--no-such-option"* ]]
	[[ $output == *"Try 'mprun --help'"* ]]
	for l in "${lines[@]}"; do [ "$l" != a ]; done
}

@test "an unknown short option: 255, named, and a hint to --help" {
	run "$MPRUN" -Z echo ::: a
	[ "$status" -eq 255 ]
	[[ $output == *"-Z"* ]]
	[[ $output == *"Try 'mprun --help'"* ]]
}

@test "a missing option argument: 255" {
	run "$MPRUN" -j
	[ "$status" -eq 255 ]
	[[ $output == *"-j needs an argument"* ]]
	[[ $output == *"Try 'mprun --help'"* ]]
	run "$MPRUN" --timeout
	[ "$status" -eq 255 ]
	[[ $output == *"Try 'mprun --help'"* ]]
	run "$MPRUN" echo ::::
	[ "$status" -eq 255 ]
	[[ $output == *":::: needs at least one file name"* ]]
}

@test "a bad option value: 255 and a message naming the option" {
	run "$MPRUN" --order sideways echo ::: a
	[ "$status" -eq 255 ]
	[[ $output == *"--order"*"sideways"* ]]
	run "$MPRUN" -j many echo ::: a
	[ "$status" -eq 255 ]
	[[ $output == *"-j"*"many"* ]]
	run "$MPRUN" --resume echo ::: a
	[ "$status" -eq 255 ]
	[[ $output == *"--resume needs --joblog"* ]]
}

# --- long options abbreviated ------------------------------------------------------

@test "a long option may be abbreviated to a unique prefix, its argument after =" {
	run "$MPRUN" --dry touch ::: ran
	[ "$status" -eq 0 ]
	[ "$output" = "touch ran" ]
	[ ! -e ran ]
	run "$MPRUN" -k --max-a 2 echo ::: 1 2 3
	[ "$output" = "$(printf '1 2\n3')" ]
	run "$MPRUN" -k --max-a=2 --tagst='<{}>' echo ::: 1 2 3
	[ "$output" = "$(printf '<1 2>\t1 2\n<3>\t3')" ]
	printf 'a,b' >in
	run "$MPRUN" -k --delim=, echo ={}= :::: in
	[ "$output" = "$(printf '=a=\n=b=')" ]
	# --keep is --keep-order: job 1 ends after job 2, its output comes first
	run "$MPRUN" --keep -j2 --joblog log "if [ {} = 1 ]; then $WAIT_LINES log 2; fi; echo {}" ::: 1 2
	[ "$output" = "$(printf '1\n2')" ]
	[ "$(tail -n 1 log | cut -f1)" = 1 ]
}

@test "an option's full name is never ambiguous: --tag, --resume" {
	run "$MPRUN" -k --tag echo ::: a
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a\ta')" ]
	# --resume, not --resume-failed: the failed job is not run again
	run "$MPRUN" --joblog log 'echo {}; exit 1' ::: ran
	[ "$output" = ran ]
	run "$MPRUN" --joblog log --resume 'echo {}; exit 1' ::: ran
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
}

@test "an ambiguous prefix is an error: 255, named, no job runs" {
	# --re: --resume, --resume-failed, --results, --retries, --return
	for o in --re --ta --sl --w; do
		run "$MPRUN" "$o" x touch ::: ran
		echo "$o: $status $output"
		[ "$status" -eq 255 ]
		[[ $output == *"$o"* ]]
		[[ $output == *"Try 'mprun --help'"* ]]
		[ ! -e ran ]
	done
}

# --- -j --------------------------------------------------------------------------

@test "-j 0 runs every job at once" {
	# Each job waits until all five have started: with fewer slots than
	# jobs this would not end before the jobs give up (exit 1).
	run "$MPRUN" -j 0 'touch {}; n=0
		while [ "$(ls | wc -l)" -lt 5 ]; do
			n=$((n + 1)); [ $n -lt 200 ] || exit 1; sleep 0.05
		done
		echo {%}' ::: j1 j2 j3 j4 j5
	[ "$status" -eq 0 ]
	[ "$(sort -n <<<"$output" | tr '\n' ' ')" = "1 2 3 4 5 " ]
}

@test "-j N runs at most N jobs at once; -P is the same" {
	run "$MPRUN" -j 2 'sleep 0.2; echo {%}' ::: a b c d
	[ "$status" -eq 0 ]
	[ "$(sort -u <<<"$output" | tr '\n' ' ')" = "1 2 " ]
	run "$MPRUN" -P 1 'echo {%}' ::: a b c
	[ "$output" = "$(printf '1\n1\n1')" ]
}

@test "the shell: --shell, MPRUN_SHELL, PARALLEL_SHELL, else the caller's POSIX shell" {
	run "$MPRUN" 'echo ${BASH_VERSION:+bash}' ::: x
	[ "$output" = "bash x" ] # bats runs mprun from bash
	run "$MPRUN" --shell /bin/dash 'echo ${BASH_VERSION:-dash}' ::: x
	[ "$output" = "dash x" ]
	MPRUN_SHELL=/bin/dash run "$MPRUN" 'echo ${BASH_VERSION:-dash}' ::: x
	[ "$output" = "dash x" ]
	PARALLEL_SHELL=/bin/dash run "$MPRUN" 'echo ${BASH_VERSION:-dash}' ::: x
	[ "$output" = "dash x" ]
	# started from dash: dash
	run /bin/dash -c '"$MPRUN" "echo \${BASH_VERSION:-dash}" ::: x; :'
	[ "$output" = "dash x" ]
	# started from something that is no shell (timeout forks it): $SHELL
	# if POSIX, else /bin/sh
	run env SHELL=/bin/dash timeout 10 "$MPRUN" 'echo ${BASH_VERSION:-dash}' ::: x
	[ "$output" = "dash x" ]
	run env SHELL=/usr/bin/fish timeout 10 "$MPRUN" 'readlink /proc/$$/exe #' ::: x
	[ "$output" = "$(readlink -f /bin/sh)" ]
	# a name is looked for in $PATH
	run "$MPRUN" --shell dash 'echo ${BASH_VERSION:-dash}' ::: x
	[ "$status" -eq 0 ]
	[ "$output" = "dash x" ]
	MPRUN_SHELL=dash run "$MPRUN" 'echo ${BASH_VERSION:-dash}' ::: x
	[ "$status" -eq 0 ]
	[ "$output" = "dash x" ]
	PARALLEL_SHELL=bash run /bin/dash -c '"$MPRUN" "echo \${BASH_VERSION:+bash}" ::: x'
	[ "$status" -eq 0 ]
	[ "$output" = "bash x" ]
	run "$MPRUN" --shell no-such-shell true ::: x
	[ "$status" -eq 255 ]
	[[ "$output" == *"--shell no-such-shell: no such program in \$PATH"* ]]
	run "$MPRUN" --shell ./dash true ::: x
	[ "$status" -eq 255 ]
	[[ "$output" == *"--shell ./dash: not the absolute path of a program that can be run"* ]]
	# fish is not a POSIX shell: refused (its parse errors exit 0: every
	# job would have "succeeded" without running); in MPRUN_SHELL it is
	# not used
	run "$MPRUN" --shell /usr/bin/fish 'echo {} | cat' ::: x
	[ "$status" -eq 255 ]
	[[ "$output" == *"--shell /usr/bin/fish: not a POSIX shell"* ]]
	MPRUN_SHELL=fish run /bin/dash -c '"$MPRUN" "echo \${BASH_VERSION:-dash} {} | cat" ::: x'
	[ "$status" -eq 0 ]
	[ "$output" = "dash x" ]
}

# --- the tests themselves -------------------------------------------------------

@test "no test has a '! cmd' before its last command (bats ignores its status there)" {
	# a command starts on a line whose code line before did not end in
	# | \ && or ||; each that starts with ! must be its test's last
	run awk '
		/^@test / { t = 1; n = 0; cont = 0; next }
		t && /^}$/ {
			for (i = 1; i < n; i++)
				if (neg[i]) print FILENAME ":" at[i] ": " txt[i]
			t = 0; next
		}
		!t || /^[ \t]*(#|$)/ { next }
		{
			if (!cont) { n++; at[n] = FNR; txt[n] = $0; neg[n] = /^[ \t]*! / }
			cont = /(\||\\|&&)[ \t]*$/
		}' "$MPRUN_SRCDIR"/tests/*.bats
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}
