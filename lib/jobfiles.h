/* jobfiles: files keeping each job's stdout and stderr, for --results DIR
 * and for the callbacks, which read them as $MPRUN_STDOUT / $MPRUN_STDERR.
 *
 * With a results directory, job SEQ gets DIR/SEQ/ holding
 *   cmd      the command as run, with a newline
 *   stdout   everything the job wrote on stdout
 *   stderr   everything the job wrote on stderr
 *   exitval  its exit status (128 + the signal if killed), with a newline
 *   signal   the signal that killed it (0 if none), with a newline
 * With a place (GNU parallel's --results with replacement strings, the
 * path they give the job): a place ending in "/" is a directory holding
 * stdout, stderr and seq (the job's number); any other names the file of
 * stdout, with PLACE.err and PLACE.seq beside it. Its directories are made
 * as needed and checked as a results directory is.
 * Files are written under temporary names (".stdout.tmp", ...) and renamed
 * when the job ends, so a file with its final name is always complete.
 * Without one, the files live in a private temporary directory and are
 * removed with jobfiles_remove() once the callback has read them. */
#ifndef MPRUN_JOBFILES_H
#define MPRUN_JOBFILES_H
#include <stddef.h>

struct jobfiles;

/* results_dir may be NULL (private files only, under tmpdir or $TMPDIR),
 * or "" (each job's place given to the calls below). NULL/errno on
 * failure to make the directory. */
struct jobfiles *jobfiles_new(const char *results_dir, const char *tmpdir);
/* Frees; removes the private directory (not a results directory). */
void jobfiles_free(struct jobfiles *jf);
/* Create (or empty, for a retry) the job's files; fds[0] and fds[1] get
 * its stdout and stderr files, the caller closes them. place: the job's
 * place (NULL without one). 0 or -1/errno (EINVAL: an empty place). */
int jobfiles_open(struct jobfiles *jf, unsigned long long seq,
		  const char *place, int fds[2]);
/* The job ended: give the files their final names and write cmd, exitval
 * and signal (with a place: seq). 0 or -1/errno. */
int jobfiles_commit(struct jobfiles *jf, unsigned long long seq,
		    const char *place, const char *command, int exitval,
		    int sig);
/* The path of the job's stdout (stream 0) or stderr (1) file, as it is
 * after jobfiles_commit(). 0, or -1/ENAMETOOLONG. */
int jobfiles_path(const struct jobfiles *jf, unsigned long long seq,
		  const char *place, int stream, char *path, size_t len);
/* Remove a job's private files (nothing for a results directory). */
void jobfiles_remove(struct jobfiles *jf, unsigned long long seq);

#endif
