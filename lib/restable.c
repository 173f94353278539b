/* restable: the rows of --results FILE.csv/.tsv/.json (see restable.h),
 * quoted as GNU parallel quotes them. */
#include "restable.h"

#include <string.h>

int restable_format(const char *path)
{
	static const char *const ends[] = {".csv", ".tsv", ".json"};
	size_t len = strlen(path), n, i;

	for (i = 0; i < 3; i++) {
		n = strlen(ends[i]);
		if (len > n && strcmp(path + len - n, ends[i]) == 0)
			return (int)i;
	}
	return -1;
}

/* 1 if a CSV or TSV field holding these bytes goes in double quotes: a
 * blank, a quote, a newline, the separator or a NUL. */
static int needs_quotes(char sep, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		switch (s[i]) {
		case ' ': case '\t': case '\n': case '\r': case '\v': case '\f':
		case '"': case '\0':
			return 1;
		default:
			if (s[i] == sep)
				return 1;
		}
	return 0;
}

/* Bytes of a field in double quotes: quotes doubled. */
static int add_quoted(struct buf *b, const char *s, size_t n)
{
	const char *q;
	size_t k;

	while ((q = memchr(s, '"', n)) != NULL) {
		k = (size_t)(q - s) + 1; /* up to the quote, and it again */
		if (buf_append(b, s, k) == -1 || buf_append_char(b, '"') == -1)
			return -1;
		s += k;
		n -= k;
	}
	return buf_append(b, s, n);
}

/* A CSV or TSV field: in double quotes (doubled inside) when it holds a
 * blank, a quote, a newline or the separator; else as it is. */
static int add_field(struct buf *b, char sep, const char *s, size_t n)
{
	if (!needs_quotes(sep, s, n))
		return buf_append(b, s, n);
	return buf_append_char(b, '"') == 0 && add_quoted(b, s, n) == 0
		       ? buf_append_char(b, '"')
		       : -1;
}

/* Bytes of a JSON string, escaped: quotes, backslashes and control bytes
 * (the rest, UTF-8 or not, as it is, as GNU parallel writes it). */
static int add_json_bytes(struct buf *b, const char *s, size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			rc = buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			rc = buf_printf(b, "\\u%04x", c);
		else
			rc = buf_append_char(b, (char)c);
	}
	return rc;
}

/* A JSON string. */
static int add_json(struct buf *b, const char *s, size_t n)
{
	return buf_append_char(b, '"') == 0 && add_json_bytes(b, s, n) == 0
		       ? buf_append_char(b, '"')
		       : -1;
}

int restable_header(struct buf *b, enum restable_format f, size_t nargs)
{
	static const char *const cols[] = {
		"Seq",	    "Host",	"Starttime", "JobRuntime", "Send",
		"Receive", "Exitval", "Signal",    "Command"};
	char sep = f == RESTABLE_TSV ? '\t' : ',';
	size_t i;
	int rc = 0;

	if (f == RESTABLE_JSON)
		return 0;
	for (i = 0; i < 9 && rc == 0; i++)
		rc = buf_printf(b, "%s%c", cols[i], sep);
	for (i = 0; i < nargs && rc == 0; i++)
		rc = buf_printf(b, "V%zu%c", i + 1, sep);
	return rc == 0 ? buf_printf(b, "Stdout%cStderr\n", sep) : -1;
}

/* Starttime, JobRuntime, Send, Receive, Exitval and Signal, each after
 * sep (JSON: as fields). */
static int add_numbers(struct buf *b, enum restable_format f,
		       const struct restable_row *r)
{
	unsigned long long st = r->start_ms / 1000, rt = r->runtime_ms / 1000;
	unsigned sm = (unsigned)(r->start_ms % 1000),
		 rm = (unsigned)(r->runtime_ms % 1000);

	if (f == RESTABLE_JSON)
		return buf_printf(b,
				  ", \"Starttime\": %llu.%03u, \"JobRuntime\": "
				  "%llu.%03u, \"Send\": %llu, \"Receive\": %llu, "
				  "\"Exitval\": %d, \"Signal\": %d",
				  st, sm, rt, rm, (unsigned long long)r->send,
				  (unsigned long long)r->receive, r->exitval,
				  r->signal);
	return buf_printf(b, "%c%llu.%03u%c%llu.%03u%c%llu%c%llu%c%d%c%d",
			  f == RESTABLE_TSV ? '\t' : ',', st, sm,
			  f == RESTABLE_TSV ? '\t' : ',', rt, rm,
			  f == RESTABLE_TSV ? '\t' : ',',
			  (unsigned long long)r->send,
			  f == RESTABLE_TSV ? '\t' : ',',
			  (unsigned long long)r->receive,
			  f == RESTABLE_TSV ? '\t' : ',', r->exitval,
			  f == RESTABLE_TSV ? '\t' : ',', r->signal);
}

int restable_row_start(struct buf *b, enum restable_format f,
			const struct restable_row *r)
{
	char sep = f == RESTABLE_TSV ? '\t' : ',';
	const char *host = r->host != NULL ? r->host : ":";
	const char *cmd = r->command != NULL ? r->command : "";
	size_t i;
	int rc;

	if (f == RESTABLE_JSON) {
		rc = buf_printf(b, "{ \"Seq\": %llu, \"Host\": ", r->seq);
		if (rc == 0)
			rc = add_json(b, host, strlen(host));
		if (rc == 0)
			rc = add_numbers(b, f, r);
		if (rc == 0)
			rc = buf_append_str(b, ", \"Command\": ");
		if (rc == 0)
			rc = add_json(b, cmd, strlen(cmd));
		if (rc == 0)
			rc = buf_append_str(b, ", \"V\": [ ");
		for (i = 0; i < r->nargs && rc == 0; i++) {
			if (i > 0)
				rc = buf_append_str(b, ", ");
			if (rc == 0)
				rc = add_json(b, r->args[i], strlen(r->args[i]));
		}
		return rc == 0 ? buf_append_str(b, r->nargs ? " ]" : "]") : -1;
	}
	rc = buf_printf(b, "%llu%c", r->seq, sep);
	if (rc == 0)
		rc = add_field(b, sep, host, strlen(host));
	if (rc == 0)
		rc = add_numbers(b, f, r);
	if (rc == 0)
		rc = buf_append_char(b, sep);
	if (rc == 0)
		rc = add_field(b, sep, cmd, strlen(cmd));
	for (i = 0; i < r->nargs && rc == 0; i++) {
		rc = buf_append_char(b, sep);
		if (rc == 0)
			rc = add_field(b, sep, r->args[i], strlen(r->args[i]));
	}
	return rc;
}

int restable_needs_quotes(enum restable_format f, const char *s, size_t n)
{
	return f != RESTABLE_JSON &&
	       needs_quotes(f == RESTABLE_TSV ? '\t' : ',', s, n);
}

int restable_field_begin(struct buf *b, enum restable_format f,
			 enum restable_field which, int quoted)
{
	if (f == RESTABLE_JSON)
		return buf_append_str(b, which == RESTABLE_STDOUT
						 ? ", \"Stdout\": \""
						 : ", \"Stderr\": \"");
	if (buf_append_char(b, f == RESTABLE_TSV ? '\t' : ',') == -1)
		return -1;
	return quoted ? buf_append_char(b, '"') : 0;
}

int restable_field_add(struct buf *b, enum restable_format f, int quoted,
		       const char *s, size_t n)
{
	if (f == RESTABLE_JSON)
		return add_json_bytes(b, s, n);
	return quoted ? add_quoted(b, s, n) : buf_append(b, s, n);
}

int restable_field_end(struct buf *b, enum restable_format f, int quoted)
{
	return f == RESTABLE_JSON || quoted ? buf_append_char(b, '"') : 0;
}

int restable_row_end(struct buf *b, enum restable_format f)
{
	return buf_append_str(b, f == RESTABLE_JSON ? " }\n" : "\n");
}

/* One whole field of a row (Stdout or Stderr) from memory. */
static int add_output(struct buf *b, enum restable_format f,
		      enum restable_field which, const char *s, size_t n)
{
	int quoted = restable_needs_quotes(f, s, n);

	return restable_field_begin(b, f, which, quoted) == 0 &&
			       restable_field_add(b, f, quoted, s, n) == 0
		       ? restable_field_end(b, f, quoted)
		       : -1;
}

int restable_row(struct buf *b, enum restable_format f,
		 const struct restable_row *r)
{
	const char *out = r->out != NULL ? r->out : "";
	const char *err = r->err != NULL ? r->err : "";

	return restable_row_start(b, f, r) == 0 &&
			       add_output(b, f, RESTABLE_STDOUT, out,
					  r->out_len) == 0 &&
			       add_output(b, f, RESTABLE_STDERR, err,
					  r->err_len) == 0
		       ? restable_row_end(b, f)
		       : -1;
}
