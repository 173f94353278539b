/* joblog: write and read GNU parallel's job log. */
#include "joblog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "dirs.h"
#include "capture.h"
#include "internal.h"

struct joblog {
	int fd;
	int with_stage;
};

/* A job the log shows: its Seq, the line that said so last (the last line
 * for a Seq wins), whether it failed. */
struct done_job {
	unsigned long long seq;
	unsigned long long line;
	int failed;
};

/* The jobs, sorted by Seq once read, one entry per Seq: memory follows the
 * lines read, not the largest Seq. */
struct joblog_done {
	struct done_job *jobs;
	size_t n, cap;
};

static const char header[] =
	"Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\t"
	"Command";

struct joblog *joblog_open(const char *path, int with_stage, int append)
{
	struct joblog *l = calloc(1, sizeof(*l));
	struct stat st;
	struct buf h = BUF_INIT;

	if (l == NULL)
		return NULL;
	l->with_stage = with_stage;
	/* not through a link, not in another user's directory or file */
	l->fd = dirs_open_file(path,
			       O_WRONLY | O_CREAT | O_APPEND |
				       (append ? 0 : O_TRUNC),
			       0644);
	if (l->fd == -1 || fstat(l->fd, &st) == -1)
		goto fail;
	if (st.st_size == 0) {
		if (buf_append_str(&h, header) == -1 ||
		    (with_stage && buf_append_str(&h, "\tStage") == -1) ||
		    buf_append_char(&h, '\n') == -1 ||
		    capture_write_all(l->fd, h.data, h.len) == -1)
			goto fail;
	}
	buf_free(&h);
	return l;
fail:
	buf_free(&h);
	joblog_close(l);
	return NULL;
}

/* Append s with tabs, newlines and backslashes escaped. */
static int append_escaped(struct buf *b, const char *s)
{
	int rc = 0;

	for (; *s != '\0' && rc == 0; s++) {
		if (*s == '\n')
			rc = buf_append_str(b, "\\n");
		else if (*s == '\t')
			rc = buf_append_str(b, "\\t");
		else
			rc = buf_append_char(b, *s);
	}
	return rc;
}

int joblog_write(struct joblog *l, const struct joblog_entry *e)
{
	struct buf b = BUF_INIT;
	int rc = -1;

	/* JobRuntime as GNU parallel's %10.3f: right-aligned in 10 */
	if (buf_printf(&b,
		       "%llu\t%s\t%llu.%03u\t%6llu.%03u\t"
		       "%llu\t%llu\t%d\t%d\t",
		       e->seq, e->host != NULL ? e->host : ":",
		       (unsigned long long)(e->start_ms / 1000),
		       (unsigned)(e->start_ms % 1000),
		       (unsigned long long)(e->runtime_ms / 1000),
		       (unsigned)(e->runtime_ms % 1000),
		       (unsigned long long)e->send,
		       (unsigned long long)e->receive, e->exitval,
		       e->signal) == -1 ||
	    append_escaped(&b, e->command != NULL ? e->command : "") == -1)
		goto out;
	if (l->with_stage && (buf_append_char(&b, '\t') == -1 ||
			      append_escaped(&b, e->stage ? e->stage : "") == -1))
		goto out;
	if (buf_append_char(&b, '\n') == -1)
		goto out;
	rc = capture_write_all(l->fd, b.data, b.len);
out:
	buf_free(&b);
	return rc;
}

void joblog_close(struct joblog *l)
{
	if (l == NULL)
		return;
	close_keep_errno(l->fd);
	free(l);
}

/* Record that seq finished, failed or not, as line says. */
static int done_add(struct joblog_done *d, unsigned long long seq,
		    unsigned long long line, int failed)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 256;
		struct done_job *j;

		if (cap > SIZE_MAX / sizeof(*j)) {
			errno = ENOMEM;
			return -1;
		}
		j = realloc(d->jobs, cap * sizeof(*j));
		if (j == NULL)
			return -1;
		d->jobs = j;
		d->cap = cap;
	}
	d->jobs[d->n++] = (struct done_job){seq, line, failed};
	return 0;
}

/* By Seq, then by line. */
static int done_cmp(const void *a, const void *b)
{
	const struct done_job *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Sort by Seq and keep each Seq's last line. */
static void done_sort(struct joblog_done *d)
{
	size_t i, k = 0;

	if (d->n == 0)
		return;
	qsort(d->jobs, d->n, sizeof(*d->jobs), done_cmp);
	for (i = 1; i < d->n; i++) {
		if (d->jobs[i].seq != d->jobs[k].seq)
			k++;
		d->jobs[k] = d->jobs[i];
	}
	d->n = k + 1;
}

/* Parse one log line: its seq, exit value and signal. -1: not a log
 * line; -2: a Seq no run makes (0, or past JOBLOG_SEQ_MAX). */
static int parse_line(char *line, unsigned long long *seq, int *failed)
{
	char *f[8], *rest = line, *end;
	long exitval, sig;
	int i, range, bad;

	/* each tab ends a field (strtok would take "\t\t" for one tab and
	 * read the next column in place of an empty one) */
	for (i = 0; i < 8 && rest != NULL; i++)
		f[i] = strsep(&rest, "\t");
	if (i < 8)
		return -1;
	/* strtoull alone would take blanks, a sign ("-1" is huge) */
	if (f[0][0] < '0' || f[0][0] > '9')
		return -1;
	errno = 0;
	*seq = strtoull(f[0], &end, 10);
	range = errno == ERANGE || *seq == 0 || *seq > JOBLOG_SEQ_MAX;
	if (*end != '\0')
		return -1;
	/* any number but 0 failed, 4294967296 and one past LONG_MAX too */
	errno = 0;
	exitval = strtol(f[6], &end, 10);
	if (*end != '\0' || end == f[6])
		return -1;
	bad = exitval != 0 || errno == ERANGE;
	errno = 0;
	sig = strtol(f[7], &end, 10);
	if (*end != '\0' || end == f[7])
		return -1;
	*failed = bad || sig != 0 || errno == ERANGE;
	return range ? -2 : 0;
}

int joblog_read(const char *path, struct joblog_done **out, char *err,
		size_t errlen)
{
	struct joblog_done *d = calloc(1, sizeof(*d));
	FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0;
	unsigned long long lineno = 0, seq;
	ssize_t len;
	int failed, rc;

	if (d == NULL)
		return -1;
	f = fopen(path, "re");
	if (f == NULL) {
		if (errno == ENOENT)
			goto done;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	while ((len = getline(&line, &cap, f)) != -1) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		if (lineno == 1 && strncmp(line, "Seq\t", 4) == 0)
			continue;
		if (line[0] == '\0')
			continue;
		rc = parse_line(line, &seq, &failed);
		if (rc == -1) {
			snprintf(err, errlen, "%s:%llu: not a job log line",
				 path, lineno);
			goto fail;
		}
		if (rc == -2) { /* line is the Seq field now */
			snprintf(err, errlen,
				 "%s:%llu: Seq %.30s%s out of range (1 to %llu)",
				 path, lineno, line,
				 strlen(line) > 30 ? "..." : "",
				 JOBLOG_SEQ_MAX);
			goto fail;
		}
		if (done_add(d, seq, lineno, failed) == -1) {
			snprintf(err, errlen, "%s:%llu: %s", path, lineno,
				 strerror(errno));
			goto fail;
		}
	}
	if (ferror(f)) { /* a read error is not the end of the log */
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	fclose(f);
	done_sort(d);
done:
	free(line);
	*out = d;
	return 0;
fail:
	if (f != NULL)
		fclose(f);
	free(line);
	joblog_done_free(d);
	return -1;
}

int joblog_done_has(const struct joblog_done *d, unsigned long long seq,
		    int *failed)
{
	size_t lo = 0, hi = d != NULL ? d->n : 0;

	while (lo < hi) { /* the first entry not below seq */
		size_t mid = lo + (hi - lo) / 2;

		if (d->jobs[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (d == NULL || lo == d->n || d->jobs[lo].seq != seq)
		return 0;
	*failed = d->jobs[lo].failed;
	return 1;
}

void joblog_done_free(struct joblog_done *d)
{
	if (d == NULL)
		return;
	free(d->jobs);
	free(d);
}
