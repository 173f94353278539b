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
	const char *out, *err;  /* its stdout and stderr (any bytes) */
	size_t out_len, err_len;
};

/* Append the header line (CSV and TSV; nothing for JSON, whose rows name
 * their fields) with nargs V columns. 0 or -1 (ENOMEM). */
int restable_header(struct buf *b, enum restable_format f, size_t nargs);
/* Append one row (a line; JSON: one object a line). 0 or -1 (ENOMEM). */
int restable_row(struct buf *b, enum restable_format f,
		 const struct restable_row *r);

#endif
