# fish completion for mprun: options before the command, their arguments
# (files, directories, --order policies), the command, then files.

# True while no command word has been typed (options only so far).
function __fish_mprun_needs_command
    set -l tokens (commandline -opc)
    set -e tokens[1]
    # The counter and semaphore commands take no mprun options.
    if set -q tokens[1]; and contains -- $tokens[1] --counter --counters \
            --status --cleanup --sem --semaphore
        return 1
    end
    set -l skip 0
    for t in $tokens
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $t
            case --
                return 1
            case '--*=*'
            case --jobs --max-procs --arg-file --delimiter --colsep --max-record \
                --trim --eof --arg-sep --arg-file-sep --nice --shell \
                --max-args --order --block --block-size --recend --recstart \
                --max-replace-args --max-lines --header \
                --tagstring --buffer-size --spill-limit --tmpdir --termseq \
                --timeout --retries --halt --delay --load --memfree --limit --ctagstring --process-slot-var --total-jobs --total --minversion --on-success --on-error \
                --joblog --report --joblog-in --results --pipeline --set --counter-init \
                --counters-json --workers --worker-init \
                --max-tasks-per-worker --max-inflight --framing --sshlogin --slf --ssh \
                --env --workdir --wd --return --trc --slurm-cpus --manager-addr \
                --slurm-alloc --rpl --extensionreplace --er \
                --basenamereplace --bnr --dirnamereplace --dnr \
                --basenameextensionreplace --bner --seqreplace --slotreplace
                set skip 1
            case '--*'
            case '-*'
                # A short option that takes an argument ends a cluster;
                # the argument is the next word if nothing follows it.
                if string match -qr -- '^-[0rXmkuvthq]*[jPadCnNLESI]$' $t
                    set skip 1
                end
            case '*'
                return 1
        end
    end
    return 0
end

complete -c mprun -f -n __fish_mprun_needs_command -a '(__fish_complete_command)'

complete -c mprun -n __fish_mprun_needs_command -s j -l jobs -x -d 'Run N jobs at once (N, N%, +N, -N)'
complete -c mprun -n __fish_mprun_needs_command -s P -l max-procs -x -d 'Same as -j'
complete -c mprun -n __fish_mprun_needs_command -l trim -x -a 'n l r lr rl' -d 'Take white space off each input (lr with --colsep)'
complete -c mprun -n __fish_mprun_needs_command -s E -l eof -x -d 'An input equal to STR ends its source'
complete -c mprun -n __fish_mprun_needs_command -s r -l no-run-if-empty -d 'Inputs of only blanks are not run'
complete -c mprun -n __fish_mprun_needs_command -l arg-sep -x -d 'Use SEP instead of :::'
complete -c mprun -n __fish_mprun_needs_command -l arg-file-sep -x -d 'Use SEP instead of ::::'
complete -c mprun -n __fish_mprun_needs_command -l nice -x -d 'Run at niceness N'
complete -c mprun -n __fish_mprun_needs_command -l shell -r -F -d 'The shell of commands that need one'
complete -c mprun -n __fish_mprun_needs_command -l shuf -d 'Run the jobs in a random order'
complete -c mprun -n __fish_mprun_needs_command -l skip-first-line -d 'The first input is not used'
complete -c mprun -n __fish_mprun_needs_command -l link -d 'Link the input sources, wrapping around'
complete -c mprun -n __fish_mprun_needs_command -l transfer-absolute -d 'Transfer absolute and ../ paths to the same paths there'
complete -c mprun -n __fish_mprun_needs_command -l shell-quote -d 'Print the inputs quoted for the shell and exit'
complete -c mprun -n __fish_mprun_needs_command -l number-of-cpus -d 'Print the number of CPU cores'
complete -c mprun -n __fish_mprun_needs_command -l number-of-threads -d 'Print the number of hardware threads'
complete -c mprun -n __fish_mprun_needs_command -l number-of-sockets -d 'Print the number of CPU sockets'
complete -c mprun -n __fish_mprun_needs_command -l no-keep-order -d 'Output as jobs finish'
complete -c mprun -n __fish_mprun_needs_command -l plain -d 'Accepted: no profile or config file is read'
complete -c mprun -n __fish_mprun_needs_command -s v -l echo -d 'Print each command first in its job output'
complete -c mprun -n __fish_mprun_needs_command -s m -l multiple -d 'Fill the command line, {} for all the inputs'
complete -c mprun -n __fish_mprun_needs_command -l will-cite -d 'Accepted for GNU parallel scripts'
complete -c mprun -n __fish_mprun_needs_command -l citation -d 'How to cite GNU parallel'
complete -c mprun -n __fish_mprun_needs_command -s a -l arg-file -r -F -d 'Read inputs from FILE'
complete -c mprun -n __fish_mprun_needs_command -s 0 -l null -d 'Inputs are separated by NUL'
complete -c mprun -n __fish_mprun_needs_command -s d -l delimiter -x -d 'Inputs are separated by DELIM (bytes)'
complete -c mprun -n __fish_mprun_needs_command -s C -l colsep -x -d 'Split each input line into columns'
complete -c mprun -n __fish_mprun_needs_command -l max-record -x -d 'A longer input record is an error'
complete -c mprun -n __fish_mprun_needs_command -l pipe -d 'Cut stdin into blocks, one per job'
complete -c mprun -n __fish_mprun_needs_command -l spreadstdin -d 'Same as --pipe'
complete -c mprun -n __fish_mprun_needs_command -l pipepart -d 'Cut the file of -a into blocks, one per job'
complete -c mprun -n __fish_mprun_needs_command -l block -x -d '--pipe block size (--pipepart: -N blocks per slot)'
complete -c mprun -n __fish_mprun_needs_command -l recend -x -d '--pipe records end with STR'
complete -c mprun -n __fish_mprun_needs_command -l recstart -x -d '--pipe records start with STR'
complete -c mprun -n __fish_mprun_needs_command -s N -l max-replace-args -x -d '--pipe: exactly N records per job'
complete -c mprun -n __fish_mprun_needs_command -s L -l max-lines -x -d '--pipe: a record is N lines'
complete -c mprun -n __fish_mprun_needs_command -l cat -d '--pipe: {} is a file holding the block'
complete -c mprun -n __fish_mprun_needs_command -l fifo -d '--pipe: {} is a named pipe giving the block'
complete -c mprun -n __fish_mprun_needs_command -l round-robin -d '--pipe: start -j jobs once and feed them blocks in turn'
complete -c mprun -n __fish_mprun_needs_command -l header -x -d '--pipe: the header (N lines, :, or a pattern) starts every job input'
complete -c mprun -n __fish_mprun_needs_command -l remove-rec-sep -d '--pipe: take the record separators out of each block'
complete -c mprun -n __fish_mprun_needs_command -l regexp -d '--recend and --recstart are regular expressions'
complete -c mprun -n __fish_mprun_needs_command -s n -l max-args -x -d 'At most N inputs per command'
complete -c mprun -n __fish_mprun_needs_command -s X -d 'Fill the command line, repeating words with {}'
complete -c mprun -n __fish_mprun_needs_command -l xargs -d 'As -m, the last inputs not spread over the job slots'
complete -c mprun -n __fish_mprun_needs_command -s k -l keep-order -d 'Output in input order'
complete -c mprun -n __fish_mprun_needs_command -l order -x -a 'unordered imap map' -d 'Output order'
complete -c mprun -n __fish_mprun_needs_command -l group -d "Each job's output as one unit"
complete -c mprun -n __fish_mprun_needs_command -l line-buffer -d 'Output whole lines as they come'
complete -c mprun -n __fish_mprun_needs_command -s u -l ungroup -d 'Output straight through, not captured'
complete -c mprun -n __fish_mprun_needs_command -l tag -d 'Prefix each output line with the inputs'
complete -c mprun -n __fish_mprun_needs_command -l tagstring -x -d 'Prefix each output line with STR'
complete -c mprun -n __fish_mprun_needs_command -l buffer-size -x -d 'Output held in memory per job stream'
complete -c mprun -n __fish_mprun_needs_command -l spill-limit -x -d 'Spilled output per job stream before pausing the job'
complete -c mprun -n __fish_mprun_needs_command -l tmpdir -x -a '(__fish_complete_directories)' -d 'Where spilled output goes'
complete -c mprun -n __fish_mprun_needs_command -l termseq -x -d 'Signals and waits that end a job'
complete -c mprun -n __fish_mprun_needs_command -l timeout -x -d 'End a job that runs longer (duration or N%)'
complete -c mprun -n __fish_mprun_needs_command -l retries -x -d 'Run a failed job again, up to N more times'
complete -c mprun -n __fish_mprun_needs_command -l halt -x -d 'Stop early: now|soon,fail|success|done=N|N%'
complete -c mprun -n __fish_mprun_needs_command -l delay -x -d 'Wait this long between two job starts'
complete -c mprun -n __fish_mprun_needs_command -l max-line-length-allowed -d 'Print the longest command line a job may have'
complete -c mprun -n __fish_mprun_needs_command -l show-limits -d 'Print the limits of a command line, then run'
complete -c mprun -n __fish_mprun_needs_command -l ctag -d 'As --tag (no colours)'
complete -c mprun -n __fish_mprun_needs_command -l ctagstring -x -d 'As --tagstring (no colours)'
complete -c mprun -n __fish_mprun_needs_command -l color -d 'Accepted (no colours)'
complete -c mprun -n __fish_mprun_needs_command -l process-slot-var -x -d 'Set NAME to the job slot - 1'
complete -c mprun -n __fish_mprun_needs_command -l total-jobs -x -d 'The number of jobs before they are counted'
complete -c mprun -n __fish_mprun_needs_command -l total -x -d 'The number of jobs before they are counted'
complete -c mprun -n __fish_mprun_needs_command -l minversion -x -d 'Print the GNU parallel version followed; 255 if older'
complete -c mprun -n __fish_mprun_needs_command -l onall -d 'Run all the jobs on every -S host'
complete -c mprun -n __fish_mprun_needs_command -l nonall -d 'Run the command once on every -S host'
complete -c mprun -n __fish_mprun_needs_command -l load -x -d 'Start no job while MAX processes or more run'
complete -c mprun -n __fish_mprun_needs_command -l memfree -x -d 'Start no job while less memory is free'
complete -c mprun -n __fish_mprun_needs_command -l limit -x -d 'Run CMD before each start: 0 start, 1 wait, 2 end the youngest'
complete -c mprun -n __fish_mprun_needs_command -l on-success -x -d 'Shell command to run after each job that succeeded'
complete -c mprun -n __fish_mprun_needs_command -l on-error -x -d 'Shell command to run after each job that failed'
complete -c mprun -n __fish_mprun_needs_command -l joblog -r -F -d 'Log each finished job to FILE'
complete -c mprun -n __fish_mprun_needs_command -l report -r -F -d 'Draw the run as a timeline in FILE (.svg or .html)'
complete -c mprun -n __fish_mprun_needs_command -l joblog-in -r -F -d 'With --report: draw the run of a job log; run nothing'
complete -c mprun -n __fish_mprun_needs_command -l resume -d 'Skip the jobs the job log shows as done'
complete -c mprun -n __fish_mprun_needs_command -l resume-failed -d 'Skip the jobs the job log shows as succeeded'
complete -c mprun -n __fish_mprun_needs_command -l results -x -a '(__fish_complete_directories)' -d "Save each job's output and status in DIR"
complete -c mprun -n __fish_mprun_needs_command -l bar -d 'Show a progress bar'
complete -c mprun -n __fish_mprun_needs_command -l progress -d 'Show progress counts'
complete -c mprun -n __fish_mprun_needs_command -l eta -d 'Show progress with the estimated time left'
complete -c mprun -n __fish_mprun_needs_command -l pipeline -r -F -d 'Run the stages of a YAML pipeline file'
complete -c mprun -n __fish_mprun_needs_command -l set -x -d "Override a variable of the pipeline file (NAME=VALUE)"
complete -c mprun -n __fish_mprun_needs_command -l counter-init -x -d 'Start a shared counter at N (NAME=N)'
complete -c mprun -n __fish_mprun_needs_command -l counters-json -r -F -d 'Write the counters to FILE as JSON at the end'
complete -c mprun -n __fish_mprun_needs_command -l workers -x -d 'Run inputs through long-lived workers'
complete -c mprun -n __fish_mprun_needs_command -l worker-init -x -d 'Shell command each worker runs before it starts'
complete -c mprun -n __fish_mprun_needs_command -l max-tasks-per-worker -x -d 'Restart a worker after N inputs'
complete -c mprun -n __fish_mprun_needs_command -l max-inflight -x -d 'Send a worker up to N inputs ahead of its results'
complete -c mprun -n __fish_mprun_needs_command -l framing -x -a 'line nul len' -d 'How worker records are delimited'
complete -c mprun -n __fish_mprun_needs_command -s S -l sshlogin -x -a '(__fish_print_hostnames)' -d 'Run jobs on these SSH hosts ([N/]HOST,...)'
complete -c mprun -n __fish_mprun_needs_command -l slf -r -F -d 'Read SSH logins from FILE'
complete -c mprun -n __fish_mprun_needs_command -l ssh -x -d 'The ssh command and its options'
complete -c mprun -n __fish_mprun_needs_command -l env -x -a '(set -n)' -d 'Send the variable NAME to remote jobs'
complete -c mprun -n __fish_mprun_needs_command -l workdir -l wd -x -a '(__fish_complete_directories)' -d 'Run remote jobs in DIR'
complete -c mprun -n __fish_mprun_needs_command -l transfer -d 'Copy each input file to the remote host first'
complete -c mprun -n __fish_mprun_needs_command -l return -r -F -d 'Copy FILE back from the remote host after the job'
complete -c mprun -n '__fish_mprun_needs_command; and not __fish_is_first_arg' -l cleanup -d 'Remove transferred and returned files on the remote host'
complete -c mprun -n __fish_mprun_needs_command -l trc -r -F -d 'Same as --transfer --return FILE --cleanup'
complete -c mprun -n __fish_mprun_needs_command -l slurm -d 'Run each job as a step of the Slurm allocation'
complete -c mprun -n __fish_mprun_needs_command -l slurm-cpus -x -d 'CPUs of each Slurm job step'
complete -c mprun -n __fish_mprun_needs_command -l manager-addr -x -a '(__fish_print_hostnames)' -d 'the address Slurm steps reach the counter service at'
complete -c mprun -n __fish_mprun_needs_command -l slurm-alloc -x -d 'Get a Slurm allocation with salloc OPTIONS'
complete -c mprun -n __fish_mprun_needs_command -s q -l quote -d 'Each command word is one word: no shell syntax in it'
complete -c mprun -n __fish_mprun_needs_command -l plus -d "GNU parallel's --plus replacement strings"
complete -c mprun -n __fish_mprun_needs_command -l rpl -x -d "Define a replacement string as {= s/// =}"
complete -c mprun -n __fish_mprun_needs_command -s I -x -d 'R instead of {}'
complete -c mprun -n __fish_mprun_needs_command -s i -l replace -d 'R (default {}) instead of {}: -iR, --replace=R'
complete -c mprun -n __fish_mprun_needs_command -l extensionreplace -l er -x -d 'R instead of {.}'
complete -c mprun -n __fish_mprun_needs_command -l basenamereplace -l bnr -x -d 'R instead of {/}'
complete -c mprun -n __fish_mprun_needs_command -l dirnamereplace -l dnr -x -d 'R instead of {//}'
complete -c mprun -n __fish_mprun_needs_command -l basenameextensionreplace -l bner -x -d 'R instead of {/.}'
complete -c mprun -n __fish_mprun_needs_command -l seqreplace -x -d 'R instead of {#}'
complete -c mprun -n __fish_mprun_needs_command -l slotreplace -x -d 'R instead of {%}'
complete -c mprun -n __fish_mprun_needs_command -l dry-run -d 'Print the commands instead of running them'
complete -c mprun -n __fish_mprun_needs_command -s t -l verbose -d 'Print each command on stderr before it runs'
complete -c mprun -n __fish_mprun_needs_command -l version -d 'Print the version and exit'
complete -c mprun -n __fish_mprun_needs_command -s h -l help -d 'Print the help and exit'

# The counter and semaphore commands, which only come first.
complete -c mprun -n __fish_is_first_arg -l counter -d 'Read or change a counter of the run (in a job)'
complete -c mprun -n __fish_is_first_arg -l counters -d 'List the counters of the run (in a job)'
complete -c mprun -n __fish_is_first_arg -l status -d 'Show the running runs'
complete -c mprun -n __fish_is_first_arg -l cleanup -d 'Remove what ended runs left'
complete -c mprun -n __fish_is_first_arg -l sem -d 'Run a command with a slot of a semaphore'
complete -c mprun -n __fish_is_first_arg -l semaphore -d 'Run a command with a slot of a semaphore'
