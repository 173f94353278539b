# bash completion for mprun                                 -*- shell-script -*-
# Options before the command, their arguments (files, directories, --order
# policies), then the command itself, then files.

_mprun_longopts='--jobs --max-procs --arg-file --null --delimiter --colsep --max-record
--trim --eof --no-run-if-empty --shuf --shell --no-keep-order --plain --skip-first-line --shell-quote
--number-of-cpus --number-of-threads --number-of-sockets --link
--lb --wd --jl --res --xapply --spreadstdin --term-seq --halt-on-error
--transfer-absolute --echo --multiple --arg-sep --arg-file-sep --nice --will-cite --citation
--max-args
--pipe --pipepart --block --recend --recstart --max-replace-args --max-lines --cat --fifo --round-robin --header --remove-rec-sep --regexp
--xargs --keep-order --order --group --line-buffer --ungroup --tag
--tagstring --buffer-size --spill-limit --tmpdir --termseq --timeout
--retries --halt --delay --load --memfree --limit --on-success --on-error --joblog --resume
--report --joblog-in --ctag --ctagstring --color --max-line-length-allowed --show-limits --process-slot-var --total-jobs --total --minversion
--resume-failed --results --bar --progress --eta --pipeline --set
--counter-init --counters-json --workers --worker-init --max-tasks-per-worker
--max-inflight --framing --sshlogin --onall --nonall --slf --ssh --env --workdir --transfer --return --cleanup
--trc --slurm --slurm-cpus --manager-addr --slurm-alloc --dry-run --verbose --version --help
--plus --rpl --quote --replace --extensionreplace --er --basenamereplace --bnr
--dirnamereplace --dnr --basenameextensionreplace --bner --seqreplace
--slotreplace'
_mprun_shortopts='-j -P -a -0 -d -C -n -N -L -E -r -X -m -k -u -v -t -h -S -I -i -q'
# What may only come first: the counter and semaphore commands (and
# --cleanup, which is in _mprun_longopts too: later it is a remote option).
_mprun_firstopts='--counter --counters --status --sem --semaphore'

# Long options that take an argument.
_mprun_takes_arg()
{
	case $1 in
	--jobs | --max-procs | --arg-file | --delimiter | --colsep | --max-record | \
		--trim | --eof | --arg-sep | --arg-file-sep | --nice | --shell | \
		--max-args | --order | --block | --block-size | --recend | \
		--recstart | --max-replace-args | --max-lines | --header | \
		--tagstring | --buffer-size | --spill-limit | --tmpdir | \
		--termseq | --timeout | --retries | --halt | --delay | \
		--load | --memfree | --limit | \
		--on-success | --on-error | --joblog | --results | --pipeline | \
		--report | --joblog-in | --ctagstring | --process-slot-var | \
		--total-jobs | --total | --minversion | \
		--set | --counter-init | --counters-json | --workers | \
		--worker-init | --max-tasks-per-worker | --max-inflight | \
		--framing | \
		--sshlogin | --slf | --ssh | --env | --workdir | --wd | \
		--return | --trc | --slurm-cpus | --manager-addr | --slurm-alloc | \
		--rpl | --extensionreplace | --er | --basenamereplace | --bnr | \
		--dirnamereplace | --dnr | --basenameextensionreplace | --bner | \
		--seqreplace | --slotreplace)
		return 0
		;;
	esac
	return 1
}

# COMPREPLY: the files (or, with -d, the directories) that start with $1.
_mprun_files()
{
	compopt -o filenames 2>/dev/null
	mapfile -t COMPREPLY < <(compgen "${2:--f}" -- "$1")
}

# COMPREPLY: the hosts (/etc/hosts, $HOSTFILE, Host lines of ~/.ssh/config)
# for the last login of the list $1 ("2/a,4/b"), after its "N/".
_mprun_hosts()
{
	local head=${1%,*} cur=${1##*,} n= h
	[[ $1 == *,* ]] && head=$head, || head=
	if [[ $cur =~ ^[0-9]+/ ]]; then
		n=${BASH_REMATCH[0]}
		cur=${cur#"$n"}
	fi
	COMPREPLY=()
	while read -r h; do
		COMPREPLY+=("$head$n$h")
	done < <({
		compgen -A hostname -- "$cur"
		[[ -r ~/.ssh/config ]] &&
			awk -v cur="$cur" 'tolower($1) == "host" {
				for (i = 2; i <= NF; i++)
					if ($i !~ /[*?!]/ && index($i, cur) == 1)
						print $i
			}' ~/.ssh/config
	} 2>/dev/null | sort -u)
}

# Complete the argument of option $1; $2 is the word so far.
_mprun_optarg()
{
	case $1 in
	-a | --arg-file | --joblog | --pipeline | --counters-json | --slf | \
		--return | --trc | --report | --joblog-in)
		_mprun_files "$2"
		;;
	--tmpdir | --results | --workdir | --wd)
		_mprun_files "$2" -d
		;;
	-S | --sshlogin)
		_mprun_hosts "$2"
		;;
	--env)
		mapfile -t COMPREPLY < <(compgen -v -- "$2")
		;;
	--order)
		mapfile -t COMPREPLY < <(compgen -W 'unordered imap map' -- "$2")
		;;
	--framing)
		mapfile -t COMPREPLY < <(compgen -W 'line nul len' -- "$2")
		;;
	*)
		COMPREPLY=()
		;;
	esac
}

_mprun()
{
	local cur=${COMP_WORDS[COMP_CWORD]}
	local prev=${COMP_WORDS[COMP_CWORD - 1]}
	local i=1 w cmd=0 k c

	COMPREPLY=()

	# mprun --sem [--id NAME] [-j N] [--fg] CMD, and the other commands
	# that come first.
	case ${COMP_WORDS[1]} in
	--sem | --semaphore)
		if ((COMP_CWORD == 1)); then
			:
		elif [[ $prev == @(--id|--semaphorename|-j|--jobs) ]]; then
			return
		elif [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W \
				'--id -j --fg --wait' -- "$cur")
			return
		else
			mapfile -t COMPREPLY < <(compgen -c -- "$cur" | sort -u)
			return
		fi
		;;
	--counter | --counters | --status | --cleanup)
		((COMP_CWORD == 1)) || return
		;;
	esac

	# --opt=value: bash splits it into "--opt" "=" "value".
	if [[ $cur == = ]] && _mprun_takes_arg "$prev"; then
		_mprun_optarg "$prev" ""
		return
	fi
	if [[ $prev == = ]] && ((COMP_CWORD >= 2)) &&
		_mprun_takes_arg "${COMP_WORDS[COMP_CWORD - 2]}"; then
		_mprun_optarg "${COMP_WORDS[COMP_CWORD - 2]}" "$cur"
		return
	fi

	# Find the command: the first word that is neither an option nor the
	# argument of one. An option whose argument is the current word is
	# completed here.
	while ((i < COMP_CWORD)); do
		w=${COMP_WORDS[i]}
		case $w in
		--)
			cmd=$((i + 1))
			break
			;;
		--*)
			if [[ ${COMP_WORDS[i + 1]} == = ]]; then
				i=$((i + 2))
			elif _mprun_takes_arg "$w"; then
				if ((i + 1 == COMP_CWORD)); then
					_mprun_optarg "$w" "$cur"
					return
				fi
				i=$((i + 1))
			fi
			;;
		-?*)
			# A cluster of short options such as -kj: an option
			# that takes an argument ends it.
			for ((k = 1; k < ${#w}; k++)); do
				c=${w:k:1}
				case $c in
				[jPadCnNLSI])
					if ((k + 1 == ${#w})); then
						if ((i + 1 == COMP_CWORD)); then
							_mprun_optarg "-$c" "$cur"
							return
						fi
						i=$((i + 1))
					fi
					break
					;;
				esac
			done
			;;
		*)
			cmd=$i
			break
			;;
		esac
		i=$((i + 1))
	done

	if ((cmd == 0 || cmd == COMP_CWORD)); then
		if ((cmd == 0)) && [[ $cur == -* ]]; then
			w="$_mprun_longopts $_mprun_shortopts"
			((COMP_CWORD == 1)) && w="$w $_mprun_firstopts"
			mapfile -t COMPREPLY < <(compgen -W "$w" -- "$cur")
		elif [[ $cur == */* ]]; then
			_mprun_files "$cur"
		else
			mapfile -t COMPREPLY < <(compgen -c -- "$cur" | sort -u)
		fi
		return
	fi
	# After the command: files (the inputs, and :::: FILE).
	_mprun_files "$cur"
}

complete -F _mprun mprun
