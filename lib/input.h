/* input: the job inputs, read lazily.
 *
 * Inputs come from sources. Each source yields values: a `:::` list, or the
 * records of a file (`::::`, -a, or "-" for stdin) split on a delimiter
 * (newline by default, NUL with -0, any byte with -d) with a trailing "\r"
 * kept as is. A record holding a NUL byte (unless NUL is the delimiter) or
 * longer than max_record is an error naming the source and the record, seen
 * before more than max_record bytes of it are held in memory. With a colsep
 * regex (pcre2), each record of a file and each value of a `:::` list is
 * split into several values (columns), as GNU parallel does.
 *
 * Sources form groups. A source added with linked = 0 starts a new group; one
 * added with linked = 1 joins the previous group (GNU `:::+` / `::::+`): the
 * group's sources are read in lockstep and the group ends with its shortest
 * source. A group's item is the concatenation of its sources' values.
 * Groups combine as a cartesian product, the first group outermost, the last
 * one varying fastest (GNU parallel's order). The first group is streamed:
 * read as needed, never all at once, so unbounded input (`yes |`) works. The
 * other groups are read whole when the first record is asked for.
 * With no source at all, input_next() reads stdin as one file source.
 *
 * A record is one item of the product: its values in order. The caller owns
 * records it gets and frees them with record_free(). */
#ifndef MPRUN_INPUT_H
#define MPRUN_INPUT_H
#include <stddef.h>
#include <stdint.h>

struct record {
	size_t n;
	char **v;  /* n NUL-terminated values */
	/* where it came from, for messages: the first group's source name
	 * ("-" for stdin, ":::" for a list) and its 1-based record number */
	const char *origin;
	unsigned long long lineno;
	int fd;    /* a block's bytes (--pipe: a memfd, offset 0), else -1;
		    * the record owns it */
	int fifo;  /* v[0] is a named pipe the record made (--fifo): freeing
		    * the record removes it */
	const char *tag; /* what --tag and --tagstring show as its one value
			  * instead of v, or NULL: v */
	uint64_t bytes;  /* a block's: the bytes of input it holds */
};
/* Frees r and closes its fd. */
void record_free(struct record *r);
/* A record of no value whose fd is fd (it owns fd once made; on failure,
 * NULL/errno and fd is the caller's). */
struct record *record_new_fd(const char *origin, unsigned long long lineno,
			     int fd);

struct input_opts {
	int delim;            /* record delimiter: '\n' by default, '\0' for -0 */
	const char *delims;   /* or a delimiter of ndelims > 1 bytes (-d ::) */
	size_t ndelims;
	const char *colsep;   /* pcre2 pattern splitting records, or NULL */
	size_t max_record;    /* longest record in bytes; 0: 1 GiB */
	const char *eof_str;  /* -E: a record equal to it ends its source */
	int skip_blank;       /* -r: records of only blanks are no input */
	int trim;             /* --trim: INPUT_TRIM_* flags, on each value */
	int shuffle;          /* --shuf: read all, hand out in a random order
			       * (memory grows with the input) */
	int link;             /* --link: the groups are linked, not crossed:
			       * item i takes item i of each, a shorter one
			       * wrapping around, as many as the longest has
			       * (all read first) */
};

/* --trim: take white space (perl's \s: blank, tab, CR, LF, VT, FF) off
 * the left, the right of each value. */
enum { INPUT_TRIM_LEFT = 1, INPUT_TRIM_RIGHT = 2 };

struct input;

/* Returns NULL with errno set on failure. On a bad colsep pattern it returns
 * NULL with errno = EINVAL and, if errbuf is not NULL, a message such as
 * "--colsep: missing ) at offset 3" written into errbuf (errlen bytes). */
struct input *input_new(const struct input_opts *opts, char *errbuf,
			size_t errlen);
void input_free(struct input *in);

/* A `:::` list: values are copied. */
int input_add_list(struct input *in, char *const *values, size_t n,
		   int linked);
/* A file source; "-" is stdin. The file is opened at once: -1 with errno
 * (ENOENT, EACCES, ...) if it cannot be; see input_error(). */
int input_add_file(struct input *in, const char *path, int linked);

/* An open descriptor (a pipe from an upstream pipeline stage) as a file
 * source called name in messages; the input owns fd from then on (it is
 * closed on failure too). -1/errno on failure. */
int input_add_fd(struct input *in, int fd, const char *name, int linked);

/* --pipe, --pipepart: the input is the blocks of b (it must be the only
 * source; the input owns b from then on, and frees it on failure too),
 * called name in messages ("-" for stdin). Each record is one block: its
 * fd holds the bytes; it has no value, or with as_file one, a path that
 * opens the block for as long as the record lives (/proc/PID/fd/N of this
 * process: it does not depend on the job's own stdin). */
struct blocks;
int input_add_blocks(struct input *in, struct blocks *b, const char *name,
		     int as_file);

/* --fifo: each block's record has one value, the path of a named pipe
 * made for it in a private directory under tmpdir (NULL: $TMPDIR or /tmp)
 * that input_free() removes. Call after input_add_blocks(). 0 or
 * -1/errno.
 *
 * A block's path (as_file, --fifo) changes from run to run: its record's
 * tag is INPUT_BLOCK_TAG instead, the text GNU parallel's --tag shows
 * there (its {} is that shell variable). */
#define INPUT_BLOCK_TAG "$PARALLEL_TMP"
int input_set_block_fifos(struct input *in, const char *tmpdir);

/* --pipe --round-robin: put the header of the blocks (if any) before the
 * block in *fd (see blocks_add_header). 0 or -1/errno. */
int input_add_header(struct input *in, int *fd);

/* Next record of the product.
 *  1: *out set;  0: no more records;
 * -1 and errno EAGAIN: the first group needs more data than one read(2)
 *    gave: wait until input_poll_fd() is readable, then call again. A call
 *    performs at most one read(2) on a file of the first group (a pipe or
 *    terminal is made non-blocking), so it never blocks when the descriptor
 *    was reported readable, and never holds the caller long. A descriptor
 *    epoll refuses (a regular file, /dev/zero) is always readable.
 * -1 and any other errno: a read error, or an invalid record (EINVAL: it
 *    holds a NUL byte; EMSGSIZE: longer than max_record); input_error()
 *    says which file and record. */
int input_next(struct input *in, struct record **out);
/* --header : for ::: and :::: inputs: take the first record of each
 * source (waiting for it if need be), before input_next(); its values (split
 * on colsep) are the names of the columns {1} {2} ..., in order, returned
 * in *names (n of them, the caller frees each and the array). A source
 * with no record gives no name. 0, or -1/errno (see input_error()). */
int input_header(struct input *in, char ***names, size_t *n);
/* --skip-first-line: drop the first record of the first source (waiting
 * for it if need be), before input_next(). 0, or -1/errno. */
int input_skip_first(struct input *in);
/* The descriptor to wait on after EAGAIN, or -1. */
int input_poll_fd(const struct input *in);
/* The last error as a message naming the source ("file.txt: ..."), or NULL. */
const char *input_error(const struct input *in);
/* Records returned so far. */
unsigned long long input_count(const struct input *in);
/* Pipe mode (input_add_blocks): 1, the bytes of input in the blocks
 * returned so far in *read, and in *total the bytes of all blocks once
 * known (else UINT64_MAX); 0 otherwise. */
int input_block_bytes(const struct input *in, uint64_t *read,
		      uint64_t *total);

#endif
