/* blocks: cut a stream or a file into blocks of whole records (--pipe,
 * --pipepart).
 *
 * A block is handed out as a memfd (close-on-exec, offset 0) holding its
 * bytes; the caller owns it. Records end with recend and start with
 * recstart: a block boundary is a place preceded by recend and followed by
 * recstart (either may be empty, not both). A block never splits a record:
 * a record longer than the block size makes a longer block.
 *
 * Stream mode (blocks_new_stream): bytes move from the descriptor into the
 * memfd with splice(2) when it is a pipe (no copy through user space), else
 * with read/write. When the memfd holds the block size, only its tail is
 * read to find the last boundary; what follows it is carried into the next
 * block. A pipe is made non-blocking: blocks_next() then fails with EAGAIN
 * rather than wait (see blocks_poll_fd()). With nrecords > 0 a block is
 * exactly that many records (the bytes are then read to count them).
 *
 * With pipe_blocks, from a pipe, a block may instead be handed out as the
 * read end of a pipe of its own (close-on-exec) that holds all its bytes:
 * they are spliced into it from the input (the kernel moves references to
 * the pages, it copies nothing) up to the last window before the block
 * size, and only that window is read, to find the boundary. Such a block
 * can be read once and not seeked: not for retries, --cat, --fifo or
 * --round-robin. It is done so while the blocks fit in a pipe (the block
 * size at most what F_SETPIPE_SZ gives) and each has its last boundary in
 * that window; else, and with nrecords, lines, regexp, remove_sep or a
 * header, the blocks are memfds.
 *
 * lines (-L, stream mode only) makes a record that many lines, as GNU
 * parallel does: with nrecords, a block is nrecords × lines records of
 * recend/recstart; without, records are lines (recend, recstart and regexp
 * are not used) and a block by size ends after a multiple of lines lines.
 * At the end of the input the last lines, if fewer, are a block of their
 * own (GNU parallel's -L: `seq 10 | parallel --pipe -L 3` gives 1-9, 10).
 *
 * File mode (blocks_new_file): a seekable file is cut near every multiple
 * of the block size, reading only a small window after each nominal cut;
 * a block's bytes go into its memfd with sendfile(2) (an in-kernel copy).
 *
 * Without regexp, recend and recstart are strings in which \0 \r \n \t
 * \' \" and \\ stand for their bytes (GNU parallel's escapes). With
 * regexp they are pcre2 patterns (multi-line, as GNU's); a boundary is then
 * looked for with BLOCKS_RE_CONTEXT bytes around it, so a separator's text
 * is at most that long.
 *
 * remove_sep (--rrs) takes the separators' text out of each block as GNU
 * parallel does: every recend followed by recstart, then a recstart that
 * starts the block and a recend that ends it. A block left empty so, with
 * no header before it, is not handed out (unless header_apart): GNU
 * parallel runs no command on an empty block.
 *
 * header (--header): the first N lines ("N"), the first line (":"), or the
 * text a pattern matches at the start of the input; it is taken off the
 * input once and put at the start of every block.
 *
 * A record longer than the block size makes a longer block (grew() is
 * called, once) up to max_block bytes; beyond that blocks_next() fails
 * with EMSGSIZE.
 *
 * The descriptor given stays the caller's unless own_fd is set: then
 * blocks_free() closes it (a constructor that fails leaves it open). */
#ifndef MPRUN_BLOCKS_H
#define MPRUN_BLOCKS_H
#include <stddef.h>
#include <stdint.h>

struct blocks_opts {
	uint64_t block;       /* nominal block size in bytes (>= 1) */
	const char *recend;   /* NULL: "\n" (or "" when recstart is set) */
	const char *recstart; /* NULL: "" */
	size_t nrecords;      /* stream mode: records a block; 0: by size */
	size_t lines;         /* stream mode: lines a record (-L); 0: 1 */
	size_t window;        /* bytes read at a time to find a boundary;
			       * 0: 64 KiB (tests use tiny ones) */
	int own_fd;           /* blocks_free() closes the descriptor */
	int regexp;           /* recend, recstart are pcre2 patterns */
	int remove_sep;       /* take the separators out of the blocks */
	const char *header;   /* NULL, "N" lines, ":" or a pattern */
	int header_apart;     /* blocks come without the header: see
			       * blocks_add_header() (--round-robin) */
	int pipe_blocks;      /* stream: blocks may be pipes (see above) */
	uint64_t max_block;   /* longest record (0: 1 GiB) */
	void (*grew)(void *data); /* a record is longer than the block size */
	void *grew_data;
};

/* The most text of a separator pattern (--regexp) around a boundary. */
#define BLOCKS_RE_CONTEXT 4096

/* Check o's patterns (recend, recstart with regexp; header): 0, or -1 with
 * errno EINVAL and a message naming the option in err. */
int blocks_check(const struct blocks_opts *o, char *err, size_t errlen);

struct blocks;

/* NULL/errno: EINVAL when the block size is 0, nrecords × lines is too
 * large, or a pattern is wrong (see blocks_check()); ENOMEM. */
struct blocks *blocks_new_stream(int fd, const struct blocks_opts *o);
/* fd must be a regular file (ESPIPE otherwise). parts > 0: the block size
 * is 1 + the file size / parts (--block -N, as GNU parallel). lines and
 * nrecords must be 0 (EINVAL). */
struct blocks *blocks_new_file(int fd, const struct blocks_opts *o,
			       unsigned long long parts);
void blocks_free(struct blocks *b);

/* Next block. 1: *fd set (a memfd at offset 0, or with pipe_blocks the
 * read end of a pipe; the caller's); 0: no more;
 * -1/errno: EAGAIN (wait until blocks_poll_fd() is readable), or an error
 * reading or writing. */
int blocks_next(struct blocks *b, int *fd);
/* The descriptor to wait on after EAGAIN, or -1. */
int blocks_poll_fd(const struct blocks *b);
/* Put the header (if any, once known) before the block in *fd: *fd is
 * then a new memfd, the old one closed. 0 or -1/errno (*fd unchanged). */
int blocks_add_header(struct blocks *b, int *fd);
/* Seal the whole block in fd (a memfd of blocks_next()): no more writes,
 * through any descriptor or path. A pipe is left as it is. Keeps errno. */
void block_seal(int fd);
/* Blocks handed out so far. */
unsigned long long blocks_count(const struct blocks *b);
/* Bytes of the input handed out in blocks so far (not its header; --rrs
 * separators counted as they were in the input). */
uint64_t blocks_bytes(const struct blocks *b);
/* The bytes all blocks will hold (the input's size, less its header) in
 * *total: 1 once known (file mode: at once; a stream: at its end), else
 * 0. */
int blocks_total(const struct blocks *b, uint64_t *total);
/* The longest record (for the EMSGSIZE message). */
uint64_t blocks_max_block(const struct blocks *b);

#endif
