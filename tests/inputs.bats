#!/usr/bin/env bats
# Input sources: ::: lists, products, :::+ links, :::: / -a files, stdin,
# -0 / -d / --colsep, empty and unterminated records, laziness, -n and -X.

load setup

# Milliseconds since the epoch, without a fork of date.
_in_ms() {
	local t=${EPOCHREALTIME//[.,]/}
	echo $((t / 1000))
}

# --- ::: lists, products and links -------------------------------------------

@test "::: gives one job per value" {
	run "$MPRUN" -k echo ::: a b c
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a\nb\nc')" ]
}

@test "two ::: groups are a cartesian product, the last group varying fastest" {
	run "$MPRUN" -k echo ::: a b ::: 1 2
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a 1\na 2\nb 1\nb 2')" ]
}

@test "three ::: groups: first outermost, last fastest" {
	run "$MPRUN" -k echo ::: a b ::: 1 2 ::: x y
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' 'a 1 x' 'a 1 y' 'a 2 x' 'a 2 y' \
		'b 1 x' 'b 1 y' 'b 2 x' 'b 2 y')" ]
	[ "${#lines[@]}" -eq 8 ]
}

@test "a product of groups of different sizes has every combination once" {
	run "$MPRUN" -k echo ::: a b c ::: 1 2
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a 1\na 2\nb 1\nb 2\nc 1\nc 2')" ]
}

@test ":::+ links a group to the previous one (zip)" {
	run "$MPRUN" -k echo ::: a b c :::+ 1 2 3
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a 1\nb 2\nc 3')" ]
}

@test ":::+ stops at the shortest linked group" {
	run "$MPRUN" -k echo ::: a b c :::+ 1 2
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a 1\nb 2')" ]
	run "$MPRUN" -k echo ::: a :::+ 1 2 3
	[ "$status" -eq 0 ]
	[ "$output" = "a 1" ]
}

@test "linked groups combine with a further ::: as a product" {
	run "$MPRUN" -k echo ::: a b :::+ 1 2 ::: x y
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a 1 x\na 1 y\nb 2 x\nb 2 y')" ]
}

@test "positional replacement strings address the linked values" {
	run "$MPRUN" -k echo {2}{1} ::: a b :::+ 1 2
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1a\n2b')" ]
}

# --- :::: and -a files, stdin ---------------------------------------------------

@test ":::: FILE gives one job per line" {
	printf 'l1\nl2\nl3\n' >in
	run "$MPRUN" -k echo :::: in
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'l1\nl2\nl3')" ]
}

@test "-a FILE gives one job per line" {
	printf 'l1\nl2\n' >in
	run "$MPRUN" -k -a in echo
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'l1\nl2')" ]
}

@test "--arg-file FILE is -a" {
	printf 'l1\nl2\n' >in
	run "$MPRUN" -k --arg-file in echo
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'l1\nl2')" ]
}

@test ":::: - reads the inputs from stdin" {
	printf 'x\ny\n' >in
	run "$MPRUN" -k echo :::: - <in
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'x\ny')" ]
}

@test "-a - reads the inputs from stdin" {
	printf 'x\ny\n' >in
	run "$MPRUN" -k -a - echo <in
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'x\ny')" ]
}

@test "with no input source the inputs come from stdin" {
	printf 'p\nq\nr\n' >in
	run "$MPRUN" -k echo <in
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'p\nq\nr')" ]
}

@test "empty stdin runs no job and succeeds" {
	run "$MPRUN" echo ran </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "" ]
}

@test "two files after :::: are a product" {
	printf 'a\nb\n' >f1
	printf '1\n2\n' >f2
	run "$MPRUN" -k echo :::: f1 f2
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a 1\na 2\nb 1\nb 2')" ]
}

@test "::::+ links a file to the previous source" {
	printf 'a\nb\nc\n' >f1
	printf '1\n2\n3\n' >f2
	run "$MPRUN" -k echo :::: f1 ::::+ f2
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a 1\nb 2\nc 3')" ]
}

@test "::::+ links every file after it, not only the first (GNU)" {
	printf 'a\nb\n' >f1
	printf '1\n2\n' >f2
	printf 'x\ny\n' >f3
	run "$MPRUN" -k echo :::: f1 ::::+ f2 f3
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a 1 x\nb 2 y')" ]
	run "$MPRUN" -k echo ::: q :::: f1 ::::+ f2 f3
	[ "$output" = "$(printf 'q a 1 x\nq b 2 y')" ]
}

@test "--colsep splits ::: values too (GNU), and linked ones" {
	run "$MPRUN" -k --colsep , echo {2} {1} ::: a,b c,d
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'b a\nd c')" ]
	run "$MPRUN" -k --colsep , echo {3}{1}{4}{2} ::: a,b c,d :::+ 1,2 3,4
	[ "$output" = "$(printf '1a2b\n3c4d')" ]
}

@test "--header : waits for the header of a slow stdin; bad uses are refused" {
	run "$MPRUN" -k --header : echo '{b}-{a}' < <(sleep 0.3; printf 'a\tb\n1\t2\n')
	[ "$status" -eq 0 ]
	[ "$output" = "2-1" ]
	run "$MPRUN" --header : --workers cat ::: x 1
	[ "$status" -eq 255 ]
	[[ "$output" == *"not with --workers"* ]]
	run "$MPRUN" --header : echo {x} :::: missing
	[ "$status" -eq 255 ]
	[[ "$output" == *"missing: No such file or directory"* ]]
}

@test "--shuf runs every input once, in a random order, also from a slow pipe" {
	seq 200 | "$MPRUN" --shuf -j1 echo >out
	sort -n out | cmp - <(seq 200)
	[ "$(cat out)" != "$(seq 200)" ]
	(sleep 0.2; seq 3; sleep 0.2; seq 4 6) | "$MPRUN" --shuf -j2 echo >out
	[ "$(sort -n out | tr '\n' ' ')" = "1 2 3 4 5 6 " ]
	run "$MPRUN" --shuf -k echo ::: a b ::: 1 2
	[ "$status" -eq 0 ]
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "a 1 a 2 b 1 b 2 " ]
}

@test "::: and :::: mix in one product" {
	printf '1\n2\n' >f
	run "$MPRUN" -k echo ::: a b :::: f
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a 1\na 2\nb 1\nb 2')" ]
}

@test "jobs do not read the inputs from mprun's stdin" {
	printf 'a\nb\nc\n' >in
	run "$MPRUN" -k -j1 'cat; echo {}' <in
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a\nb\nc')" ]
}

# --- records: delimiters, empty lines, last line ----------------------------------

@test "an empty line is an input" {
	printf 'a\n\nb\n' >in
	run "$MPRUN" -k echo ={}= <in
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '=a=\n==\n=b=')" ]
}

@test "a last line without a newline is an input" {
	printf 'a\nb' >in
	run "$MPRUN" -k echo ={}= <in
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '=a=\n=b=')" ]
}

@test "a :::: file whose last line has no newline keeps that line" {
	printf 'one\ntwo' >in
	run "$MPRUN" -k echo :::: in
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'one\ntwo')" ]
}

@test "a carriage return before the delimiter is kept" {
	printf 'a\r\nb\r\n\r\nc\r' >in
	"$MPRUN" -k -j1 'printf "<%s>" {}' <in >out
	[ "$(od -An -c out | tr -d ' \n')" = '<a\r><b\r><\r><c\r>' ]
	"$MPRUN" -k -j1 'printf "<%s>" {}' :::: in >out
	[ "$(od -An -c out | tr -d ' \n')" = '<a\r><b\r><\r><c\r>' ]
	printf 'x\r\0y\r\0' | "$MPRUN" -0 -k -j1 'printf "<%s>" {}' >out
	[ "$(od -An -c out | tr -d ' \n')" = '<x\r><y\r>' ]
	printf 'x\r,y' | "$MPRUN" -d , -k -j1 'printf "<%s>" {}' >out
	[ "$(od -An -c out | tr -d ' \n')" = '<x\r><y>' ]
}

@test "-0 splits the inputs on NUL; blanks and newlines stay in the input" {
	printf 'a b\0c\nd\0' >in
	run "$MPRUN" -0 -k echo ={}= <in
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '=a b=\n=c\nd=')" ]
}

@test "--null is -0" {
	printf 'x y\0z\0' >in
	run "$MPRUN" --null -k echo ={}= <in
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '=x y=\n=z=')" ]
}

@test "-0 keeps a last record without a NUL" {
	printf 'a\0b' >in
	run "$MPRUN" -0 -k echo ={}= <in
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '=a=\n=b=')" ]
}

@test "-d DELIM splits the inputs on that byte" {
	printf 'a,b b,c' >in
	run "$MPRUN" -d , -k echo ={}= <in
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '=a=\n=b b=\n=c=')" ]
}

@test "-d applies to :::: files too" {
	printf '1:2:3' >in
	run "$MPRUN" -d : -k echo :::: in
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1\n2\n3')" ]
}

@test "-d '\\t' splits on TAB" {
	printf 'a\tb' >in
	run "$MPRUN" -d '\t' -k echo ={}= <in
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '=a=\n=b=')" ]
}

@test "-d with several bytes splits on the string, also when it comes in pieces (GNU parallel's -d)" {
	printf 'a, b,c, d, ' >in
	run "$MPRUN" -d ', ' -k echo ={}= <in
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '=a=\n=b,c=\n=d=')" ]
	# the delimiter split across two writes of a slow writer
	run "$MPRUN" -d XYZ -k echo ={}= < <(for i in 1 2 3; do
		printf 'aXY'; sleep 0.1; printf 'Zb'; sleep 0.1; done)
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '=a=\n=ba=\n=ba=\n=b=')" ]
	# records around 64 KiB, the reader's size, each counted whole
	for n in 65534 3 65535 0 65536 65537; do head -c "$n" /dev/zero | tr '\0' a; printf '::'; done >big
	run "$MPRUN" -d :: -k -j2 'printf %s {} | wc -c' :::: big
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '65534\n3\n65535\n0\n65536\n65537')" ]
	# a NUL in a record is refused, even when the delimiter starts with one
	run "$MPRUN" -d '\0x' echo < <(printf 'a\0x b\0c\0x')
	[ "$status" -eq 255 ]
	[[ "$output" == *"stdin: record 2 holds a NUL byte"* ]]
}

@test "-d: \\r, octal \\NNN and \\N are their bytes, other text itself (GNU parallel's escapes)" {
	printf 'a\rb' >in
	run "$MPRUN" -d '\r' -k echo ={}= <in
	[ "$output" = "$(printf '=a=\n=b=')" ]
	printf 'a:b' >in
	run "$MPRUN" -d '\072' -k echo ={}= <in
	[ "$output" = "$(printf '=a=\n=b=')" ]
	printf 'a\001b' >in
	run "$MPRUN" -d '\1' -k echo ={}= <in
	[ "$output" = "$(printf '=a=\n=b=')" ]
	# \x is not an escape: the four bytes
	printf 'a:b\\x3ac' >in
	run "$MPRUN" -d '\x3a' -k echo ={}= <in
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '=a:b=\n=c=')" ]
}

@test "--colsep splits each line into {1} {2}" {
	printf 'a:1\nb:2\n' >in
	run "$MPRUN" -k --colsep : echo {2} {1} <in
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1 a\n2 b')" ]
}

@test "--colsep takes a pcre2 regex" {
	printf 'x,,y;z\n' >in
	run "$MPRUN" --colsep '[,;]+' echo '{3}-{2}-{1}' :::: in
	[ "$status" -eq 0 ]
	[ "$output" = "z-y-x" ]
}

@test "--colsep regex with \\s+ and a column past the last one is empty" {
	printf 'p   q\n' >in
	run "$MPRUN" --colsep '\s+' echo ={1}={2}={3}= <in
	[ "$status" -eq 0 ]
	[ "$output" = "=p=q==" ]
}

@test "-C is --colsep" {
	printf 'a\tb\n' >in
	run "$MPRUN" -C '\t' echo {2}{1} <in
	[ "$status" -eq 0 ]
	[ "$output" = "ba" ]
}

@test "--colsep columns with no replacement string are appended as separate words" {
	printf 'a b:c\n' >in
	run "$MPRUN" --colsep : printf '[%s]' <in
	[ "$status" -eq 0 ]
	[ "$output" = "[a b][c]" ]
}

@test "an input of 100000 bytes arrives intact" {
	head -c 100000 /dev/zero | tr '\0' x >in
	echo >>in
	run "$MPRUN" printf %s <in
	[ "$status" -eq 0 ]
	[ "${#output}" -eq 100000 ]
	[ "$output" = "$(head -c 100000 in)" ]
}

@test "a regular file as stdin: records longer than one read come whole, none lost (epoll refuses the file)" {
	{
		echo first
		head -c 100000 /dev/zero | tr '\0' x
		echo
		seq 2 1000
	} >in
	run timeout 20 "$MPRUN" -k -j4 echo <in
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1001 ]
	[ "${lines[0]}" = first ]
	[ "${#lines[1]}" -eq 100000 ]
	[ "$(printf '%s\n' "${lines[@]:2}")" = "$(seq 2 1000)" ]
}

@test "--max-record: a record of exactly the bound is fine" {
	head -c 1024 /dev/zero | tr '\0' x >in
	echo >>in
	run "$MPRUN" --max-record 1K printf %s <in
	[ "$status" -eq 0 ]
	[ "${#output}" -eq 1024 ]
}

@test "non-UTF-8 bytes in an input pass through unchanged" {
	printf 'a\377\376b\n' >in
	"$MPRUN" echo <in >out
	cmp in out
}

# --- laziness --------------------------------------------------------------------

@test "a huge stdin is read lazily and mprun stops when its stdout closes" {
	local start end
	start=$(_in_ms)
	seq 1000000000 | timeout 5 "$MPRUN" -j2 echo | head -3 >out
	end=$(_in_ms)
	[ "$(wc -l <out)" -eq 3 ]
	[ -z "$(grep -vE '^[0-9]+$' out)" ]
	echo "elapsed $((end - start)) ms"
	[ $((end - start)) -lt 3000 ]
}

@test "the first job starts before stdin ends" {
	local start first
	start=$(_in_ms)
	{ echo first; sleep 1.5; echo second; } |
		"$MPRUN" -j2 echo |
		{ IFS= read -r l; echo "$(($(_in_ms) - start)) $l"; cat >/dev/null; } >st
	cat st
	read -r first l <st
	[ "$l" = first ]
	[ "$first" -lt 1000 ]
}

# --- batching: -n and -X --------------------------------------------------------

@test "-n 2 gives two inputs per command, the last one gets the rest" {
	run "$MPRUN" -k -n2 echo ::: 1 2 3 4 5
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1 2\n3 4\n5')" ]
}

@test "-n 3 batches stdin inputs" {
	seq 7 >in
	run "$MPRUN" -k -n 3 echo <in
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1 2 3\n4 5 6\n7')" ]
}

@test "--max-args is -n" {
	run "$MPRUN" -k --max-args 2 echo ::: a b c
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a b\nc')" ]
}

@test "-n 2 keeps each input one argument" {
	run "$MPRUN" -k -n2 printf '[%s]' ::: 'a b' c
	[ "$status" -eq 0 ]
	[ "$output" = "[a b][c]" ]
}

@test "-X repeats the word around {} for each input (context replace)" {
	run "$MPRUN" -j1 -X echo x{}y ::: a b # -j1: one job (not spread)
	[ "$status" -eq 0 ]
	[ "$output" = "xay xby" ]
}

@test "-X -j1 puts many inputs into one command" {
	run "$MPRUN" -j1 -X echo ::: a b c d
	[ "$status" -eq 0 ]
	[ "$output" = "a b c d" ]
}

@test "-X with 200000 inputs splits into several commands, each input exactly once" {
	seq -f 'item%015g' 200000 >in # 19 bytes + newline each
	"$MPRUN" -j2 -X echo <in >out
	[ "$(wc -l <out)" -gt 1 ]
	tr ' ' '\n' <out | sort >got
	sort in >want
	cmp got want
	[ -z "$(uniq -d got)" ]
}

@test "-X counts each argument's pointer too: 300000 one-byte inputs never hit E2BIG" {
	# 300000 * (2 bytes + an 8-byte pointer) = 3 MB: more than ARG_MAX
	# (2 MB with the default 8 MB stack) although the bytes alone are 600 KB.
	yes x | head -n 300000 >in
	"$MPRUN" -j2 -X echo <in >out
	[ "$(wc -l <out)" -gt 1 ]
	[ "$(tr ' ' '\n' <out | grep -c x)" -eq 300000 ]
	[ "$(tr -d ' x\n' <out | wc -c)" -eq 0 ]
}

@test "-m -j1 on a pipe: a job filled over many reads still fits ARG_MAX" {
	# The queue holds a few records at a time, so a job's records come
	# over many calls; its command line's size must carry over (it
	# restarted from nothing on each, and the job went past ARG_MAX:
	# "command line too long for the kernel").
	# (the pause makes the queue run dry in the middle of the first job
	# whatever the machine's speed)
	{ seq 100000; sleep 1; seq 100001 300000; } | "$MPRUN" -j1 -m echo >out 2>err
	[ ! -s err ]
	[ "$(wc -l <out)" -gt 1 ]
	tr ' ' '\n' <out >got
	seq 300000 | cmp - got
	seq 1 300000 | "$MPRUN" -j1 -X echo x{}y >out 2>err
	[ ! -s err ]
	[ "$(wc -l <out)" -gt 1 ]
	[ "$(tr ' ' '\n' <out | grep -c "^x[0-9]*y$")" -eq 300000 ]
}

@test "-X with a shell command never exceeds the single-string limit" {
	# 20000 * 20 bytes = 400 KB: more than MAX_ARG_STRLEN (128 KB) for sh -c.
	seq -f 'item%015g' 20000 >in
	"$MPRUN" -j2 -X 'echo {} | tr " " "\n"' <in >out
	sort out >got
	sort in >want
	cmp got want
}

@test "--colsep keeps empty columns: a,,c is three columns" {
	printf '%s\n' 'a,,c' ',b,' ',,' >cols.csv
	run "$MPRUN" -k --colsep , 'echo "[{1}][{2}][{3}]"' :::: cols.csv
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' '[a][][c]' '[][b][]' '[][][]')" ]
	printf 'x,,z\n' >cols.csv
	run "$MPRUN" --colsep , 'echo "[{1}][{2}][{3}]"' :::: cols.csv
	[ "$output" = "[x][][z]" ]
}

@test "--shell-quote prints each input quoted for the shell; the shell reads back the same words" {
	run "$MPRUN" --shell-quote ::: 'a b' "c'd" '$(x)' '' x
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 5 ]
	eval "set -- $(tr '\n' ' ' <<<"$output")"
	[ "$#" -eq 5 ] && [ "$1" = 'a b' ] && [ "$2" = "c'd" ] && [ "$3" = '$(x)' ] && [ "$4" = '' ] && [ "$5" = x ]
	run "$MPRUN" --shell-quote :::: nosuch
	[ "$status" -eq 255 ]
	[[ "$output" == *"nosuch: No such file or directory"* ]]
}

@test "inputs read from a terminal: a warning says so (as GNU parallel), then they run" {
	run bash -c 'printf "hello\n\004" | timeout 20 script -qefc "\"$MPRUN\" echo got" /dev/null'
	[ "$status" -eq 0 ]
	[[ "$output" == *"mprun: reading the inputs from the terminal, one a line (end with Ctrl-D)"* ]]
	[[ "$output" == *"got hello"* ]]
	# not from a pipe, nor with ::: (even on a terminal)
	run bash -c 'echo x | "$MPRUN" echo'
	[ "$output" = x ]
	run bash -c 'timeout 20 script -qefc "\"$MPRUN\" echo ::: y" /dev/null </dev/null'
	[[ "$output" != *"from the terminal"* ]]
}
