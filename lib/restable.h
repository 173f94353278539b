/* restable: --results FILE.csv / .tsv / .json, GNU parallel's one table of
 * all jobs (one row each: the job log's columns, the inputs V1..Vn, and
 * the job's stdout and stderr), instead of a directory. Formatting only:
 * the caller writes the rows it gets. */
#ifndef MPRUN_RESTABLE_H
#define MPRUN_RESTABLE_H
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum restable_format { RESTABLE_CSV, RESTABLE_TSV, RESTABLE_JSON };

/* The format a --results name asks for by its ending (.csv, .tsv,
 * .json), or -1: a directory. */
int restable_format(const char *path);

struct restable_row {
	unsigned long long seq;
	const char *host;       /* ":" for this machine */
	uint64_t start_ms;      /* since the epoch */
	uint64_t runtime_ms;
	uint64_t send, receive; /* bytes */
	int exitval, signal;
	const char *command;
	char *const *args;      /* the job's inputs (V1..Vn) */
	size_t nargs;
	const char *out, *err;  /* its stdout and stderr (any bytes), for
				 * restable_row() */
	size_t out_len, err_len;
};

/* Append the header line (CSV and TSV; nothing for JSON, whose rows name
 * their fields) with nargs V columns. 0 or -1 (ENOMEM). */
int restable_header(struct buf *b, enum restable_format f, size_t nargs);
/* Append one row (a line; JSON: one object a line), its outputs from
 * r->out and r->err. 0 or -1 (ENOMEM). */
int restable_row(struct buf *b, enum restable_format f,
		 const struct restable_row *r);

/* A row in pieces, for outputs too large to hold (read from files in
 * chunks): restable_row_start (r->out and r->err unused), then for Stdout
 * and then Stderr: restable_field_begin, restable_field_add for each
 * chunk, restable_field_end; then restable_row_end. A CSV or TSV field is
 * quoted when any of its bytes needs it: restable_needs_quotes over every
 * chunk first (always 0 for JSON). Each appends to b (the caller may write
 * b out and empty it between calls); 0 or -1 (ENOMEM). */
enum restable_field { RESTABLE_STDOUT, RESTABLE_STDERR };

int restable_row_start(struct buf *b, enum restable_format f,
		       const struct restable_row *r);
int restable_needs_quotes(enum restable_format f, const char *s, size_t n);
int restable_field_begin(struct buf *b, enum restable_format f,
			 enum restable_field which, int quoted);
int restable_field_add(struct buf *b, enum restable_format f, int quoted,
		       const char *s, size_t n);
int restable_field_end(struct buf *b, enum restable_format f, int quoted);
int restable_row_end(struct buf *b, enum restable_format f);

#endif
