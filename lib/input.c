/* input: the job inputs, read lazily. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "input.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pcre2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "blocks.h"
#include "buf.h"
#include "fifo.h"
#include "parse.h"
#include "internal.h"

#define READ_SIZE 65536
#define MAX_RECORD_DEFAULT ((size_t)1 << 30)

/* Some values: one record of a source, or one item of a group. */
struct values {
	size_t n;
	char **v;
};

struct source {
	char *name;             /* the path, "-" or ":::" */
	char **list;            /* a `:::` list: its values, else NULL */
	size_t nlist, next;
	int fd;                 /* a file: its descriptor, else -1 */
	int own_fd;             /* opened here: closed by input_free */
	int saved_flags;        /* flags before O_NONBLOCK was set, or -1 */
	int stepwise;           /* of the first group: one read(2) a call */
	int eof;
	int ended;              /* its -E string was read: no more records */
	struct buf buf;         /* bytes read; those from pos not split yet */
	size_t pos;
	size_t scanned;         /* bytes from pos known to end no record */
	unsigned long long nrec; /* records split so far */
	struct values pending;  /* a record waiting for its linked sources */
	int has_pending;
};

struct group {
	size_t first, n;        /* its sources: src[first .. first + n) */
	struct values *items;   /* all groups but the first: read whole */
	size_t nitems, cap;
	size_t idx;             /* the item of this group in the product */
};

struct input {
	int delim;
	char *delims;           /* a delimiter of ndelims > 1 bytes, or NULL */
	size_t ndelims;
	size_t max_record;
	char *eof_str;          /* -E, or NULL */
	int skip_blank;         /* -r */
	int trim;               /* INPUT_TRIM_* */
	int shuffle;            /* --shuf: all records, in a random order */
	int link;               /* --link: groups linked, wrapping around */
	struct record **shuf;   /* --shuf: the records read, shuffled */
	size_t nshuf, shuf_cap;
	int shuf_ready;         /* all read */
	uint64_t rng;
	pcre2_code *colsep;
	pcre2_match_data *md;
	struct source *src;
	size_t nsrc;
	struct group *grp;
	size_t ngrp;
	int started;
	int done;
	int failed;             /* errno of a fatal error, or 0 */
	struct values cur;      /* the first group's current item */
	int has_cur;
	unsigned long long lineno, count;
	int poll_fd;
	struct buf err;
	struct blocks *blocks;  /* --pipe: the only source, or NULL */
	char *blocks_name;
	char *fifo_dir;  /* --fifo: where the blocks' named pipes are */
	int blocks_as_file;
	uint64_t blocks_read; /* bytes of input in the blocks returned */
};

/* Free the values and empty v. */
static void values_free(struct values *v)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

/* Append a copy of the len bytes at p as one more value. */
static int values_push(struct values *v, const char *p, size_t len)
{
	char **nv;
	char *s;

	s = malloc(len + 1);
	if (s == NULL)
		return -1;
	nv = realloc(v->v, (v->n + 1) * sizeof(*nv));
	if (nv == NULL) {
		free(s);
		return -1;
	}
	if (len > 0)
		memcpy(s, p, len);
	s[len] = '\0';
	v->v = nv;
	v->v[v->n++] = s;
	return 0;
}

void record_free(struct record *r)
{
	size_t i;

	if (r == NULL)
		return;
	if (r->fifo && r->n > 0)
		unlink(r->v[0]);
	for (i = 0; i < r->n; i++)
		free(r->v[i]);
	free(r->v);
	close_keep_errno(r->fd);
	free(r);
}

/* The name of a source in messages. */
static const char *source_label(const char *name)
{
	return strcmp(name, "-") == 0 ? "stdin" : name;
}

/* Set input_error() to "NAME: strerror(errno)"; returns -1, errno kept. */
static int input_set_error(struct input *in, const char *name)
{
	int e = errno;

	buf_reset(&in->err);
	buf_printf(&in->err, "%s: %s", source_label(name), strerror(e));
	errno = e;
	return -1;
}

/* Compile the colsep pattern; on error describe it in errbuf. */
static int colsep_compile(struct input *in, const char *pattern, char *errbuf,
			  size_t errlen)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	int code;

	in->colsep = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
				   0, &code, &off, NULL);
	if (in->colsep == NULL) {
		if (errbuf != NULL && errlen > 0) {
			pcre2_get_error_message(code, msg, sizeof(msg));
			snprintf(errbuf, errlen, "--colsep: %s at offset %zu",
				 (const char *)msg, (size_t)off);
		}
		errno = EINVAL;
		return -1;
	}
	in->md = pcre2_match_data_create_from_pattern(in->colsep, NULL);
	if (in->md == NULL) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

struct input *input_new(const struct input_opts *opts, char *errbuf,
			size_t errlen)
{
	struct input *in = calloc(1, sizeof(*in));

	if (in == NULL)
		return NULL;
	in->delim = opts != NULL ? opts->delim : '\n';
	if (opts != NULL && opts->ndelims > 1) {
		in->delims = malloc(opts->ndelims);
		if (in->delims == NULL) {
			free(in);
			return NULL;
		}
		memcpy(in->delims, opts->delims, opts->ndelims);
		in->ndelims = opts->ndelims;
	}
	in->max_record = opts != NULL && opts->max_record > 0
				 ? opts->max_record
				 : MAX_RECORD_DEFAULT;
	in->poll_fd = -1;
	if (opts != NULL && opts->colsep != NULL &&
	    colsep_compile(in, opts->colsep, errbuf, errlen) == -1)
		goto fail;
	if (opts != NULL) {
		in->skip_blank = opts->skip_blank;
		in->shuffle = opts->shuffle;
		in->link = opts->link;
		in->trim = opts->trim;
		if (opts->eof_str != NULL &&
		    (in->eof_str = strdup(opts->eof_str)) == NULL)
			goto fail;
	}
	return in;
fail:
	input_free(in);
	return NULL;
}

/* Release a source's descriptor, restoring its flags, and its buffers. */
static void source_release(struct source *s)
{
	int saved = errno;

	if (s->saved_flags != -1)
		fcntl(s->fd, F_SETFL, s->saved_flags);
	if (s->own_fd)
		close(s->fd);
	s->saved_flags = -1;
	s->own_fd = 0;
	s->fd = -1;
	buf_free(&s->buf);
	s->pos = s->scanned = 0;
	values_free(&s->pending);
	s->has_pending = 0;
	errno = saved;
}

/* Release a source's memory and descriptor, restoring its flags. */
static void source_free(struct source *s)
{
	size_t i;

	source_release(s);
	for (i = 0; i < s->nlist; i++)
		free(s->list[i]);
	free(s->list);
	s->list = NULL;
	s->nlist = 0;
	free(s->name);
	s->name = NULL;
}

void input_free(struct input *in)
{
	size_t i, j;

	if (in == NULL)
		return;
	for (i = 0; i < in->nsrc; i++)
		source_free(&in->src[i]);
	for (i = 0; i < in->ngrp; i++) {
		for (j = 0; j < in->grp[i].nitems; j++)
			values_free(&in->grp[i].items[j]);
		free(in->grp[i].items);
	}
	free(in->src);
	free(in->grp);
	free(in->delims);
	values_free(&in->cur);
	pcre2_match_data_free(in->md);
	pcre2_code_free(in->colsep);
	free(in->eof_str);
	while (in->nshuf > 0)
		record_free(in->shuf[--in->nshuf]);
	free(in->shuf);
	buf_free(&in->err);
	blocks_free(in->blocks);
	free(in->blocks_name);
	if (in->fifo_dir != NULL)
		rmdir(in->fifo_dir);
	free(in->fifo_dir);
	free(in);
}

/* Append a source named name, in a new group unless linked; NULL on error. */
static struct source *source_push(struct input *in, const char *name,
				  int linked)
{
	struct source *src, *s;
	struct group *grp;
	char *copy;

	if (in->started) {
		errno = EINVAL;
		return NULL;
	}
	src = realloc(in->src, (in->nsrc + 1) * sizeof(*src));
	if (src == NULL)
		return NULL;
	in->src = src;
	grp = realloc(in->grp, (in->ngrp + 1) * sizeof(*grp));
	if (grp == NULL)
		return NULL;
	in->grp = grp;
	copy = strdup(name);
	if (copy == NULL)
		return NULL;
	if (!linked || in->ngrp == 0)
		in->grp[in->ngrp++] = (struct group){.first = in->nsrc};
	in->grp[in->ngrp - 1].n++;
	s = &in->src[in->nsrc++];
	*s = (struct source){.name = copy, .fd = -1, .saved_flags = -1};
	return s;
}

int input_add_list(struct input *in, char *const *values, size_t n,
		   int linked)
{
	struct source *s;
	char **list;
	size_t i;

	list = calloc(n + 1, sizeof(*list));
	if (list == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		list[i] = strdup(values[i]);
		if (list[i] == NULL)
			goto fail;
	}
	s = source_push(in, ":::", linked);
	if (s == NULL)
		goto fail;
	s->list = list;
	s->nlist = n;
	return 0;
fail:
	while (i-- > 0)
		free(list[i]);
	free(list);
	return -1;
}

/* A source of the first group is read one read(2) per call; a pipe or
 * terminal is also made non-blocking (a regular file never blocks). */
static int source_set_stepwise(struct source *s, const struct stat *st)
{
	int flags = S_ISREG(st->st_mode) ? 0 : fcntl(s->fd, F_GETFL);

	if (flags == -1)
		return -1;
	if (!S_ISREG(st->st_mode) && !(flags & O_NONBLOCK)) {
		if (fcntl(s->fd, F_SETFL, flags | O_NONBLOCK) == -1)
			return -1;
		s->saved_flags = flags;
	}
	s->stepwise = 1;
	return 0;
}

/* Add an open descriptor as a file source named name; own: close it at
 * the end. On failure the caller still owns fd. */
static int input_add_open(struct input *in, int fd, const char *name,
			  int linked, int own)
{
	struct source *s;
	struct stat st;

	if (fstat(fd, &st) == -1)
		return input_set_error(in, name);
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return input_set_error(in, name);
	}
	s = source_push(in, name, linked);
	if (s == NULL)
		return input_set_error(in, name);
	s->fd = fd;
	s->own_fd = own;
	if (in->ngrp == 1 && source_set_stepwise(s, &st) == -1)
		return input_set_error(in, name); /* input_free closes fd */
	return 0;
}

int input_add_file(struct input *in, const char *path, int linked)
{
	int is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? STDIN_FILENO : -1;
	size_t nsrc = in->nsrc;

	if (!is_stdin)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		input_set_error(in, path);
		return -1;
	}
	if (input_add_open(in, fd, path, linked, !is_stdin) == -1) {
		if (in->nsrc == nsrc && !is_stdin)
			close_keep_errno(fd);
		return -1;
	}
	return 0;
}

int input_add_fd(struct input *in, int fd, const char *name, int linked)
{
	size_t nsrc = in->nsrc;

	if (input_add_open(in, fd, name, linked, 1) == -1) {
		if (in->nsrc == nsrc)
			close_keep_errno(fd);
		return -1;
	}
	return 0;
}

/* Push one value, trimmed as --trim says: isspace() in the C locale (we
 * set none) is perl's \s, what GNU parallel trims (a CR too). */
static int value_push(struct input *in, struct values *out, const char *p,
		      size_t len)
{
	if (in->trim & INPUT_TRIM_LEFT)
		while (len > 0 && isspace((unsigned char)*p)) {
			p++;
			len--;
		}
	if (in->trim & INPUT_TRIM_RIGHT)
		while (len > 0 && isspace((unsigned char)p[len - 1]))
			len--;
	return values_push(out, p, len);
}

/* Split a record of a file source on the colsep pattern into out. */
static int colsep_split(struct input *in, struct source *s, const char *p,
			size_t len, struct values *out)
{
	PCRE2_SIZE *ov, from = 0, field = 0, start, end;
	PCRE2_UCHAR msg[256];
	int rc;

	for (;;) {
		rc = pcre2_match(in->colsep, (PCRE2_SPTR)p, len, from,
				 PCRE2_NOTEMPTY_ATSTART, in->md, NULL);
		if (rc == PCRE2_ERROR_NOMATCH)
			break;
		if (rc < 0)
			goto fail;
		ov = pcre2_get_ovector_pointer(in->md);
		start = ov[0] < field ? field : ov[0];
		end = ov[1] < start ? start : ov[1];
		if (start == end && start >= len)
			break; /* no empty column after an empty match at the end */
		if (value_push(in, out, p + field, start - field) == -1)
			return -1;
		field = end;
		from = end > from ? end : from + 1;
		if (from > len)
			break;
	}
	return value_push(in, out, p + field, len - field);
fail:
	pcre2_get_error_message(rc, msg, sizeof(msg));
	buf_reset(&in->err);
	buf_printf(&in->err, "%s:%llu: --colsep: %s", source_label(s->name),
		   s->nrec, (const char *)msg);
	errno = EINVAL;
	return -1;
}

/* Set input_error() to "NAME: record N what", errno to e; returns -1. */
static int record_error(struct input *in, const struct source *s, int e,
			const char *what)
{
	buf_reset(&in->err);
	buf_printf(&in->err, "%s: record %llu %s", source_label(s->name),
		   s->nrec + 1, what);
	errno = e;
	return -1;
}

/* Scan the bytes of the record at pos not scanned yet: 1 and its length
 * in *len once its delimiter is there, 0 while it goes on, -1 if it holds
 * a NUL (unless NUL is the delimiter) or is longer than max_record. */
static int source_scan(struct input *in, struct source *s, size_t *len)
{
	const char *p = s->buf.data + s->pos, *from = p + s->scanned;
	const char *stop = p + (s->buf.len - s->pos), *end;
	char max[32], why[96];

	if (in->delims != NULL) {
		end = memmem(from, (size_t)(stop - from), in->delims,
			     in->ndelims);
		/* a delimiter may start in the last bytes, its end to come */
		if (end == NULL && !s->eof &&
		    (size_t)(stop - from) >= in->ndelims)
			stop -= in->ndelims - 1;
		else if (end == NULL && !s->eof)
			stop = from;
	} else {
		end = memchr(from, in->delim, (size_t)(stop - from));
	}
	if (end != NULL)
		stop = end;
	if ((in->delim != '\0' || in->delims != NULL) &&
	    memchr(from, '\0', (size_t)(stop - from)))
		return record_error(in, s, EINVAL, "holds a NUL byte (use -0 "
				    "for NUL-delimited input)");
	s->scanned = (size_t)(stop - p);
	if (s->scanned > in->max_record) {
		snprintf(why, sizeof(why), "is longer than %s (--max-record)",
			 parse_size_format(in->max_record, max, sizeof(max)));
		return record_error(in, s, EMSGSIZE, why);
	}
	*len = s->scanned;
	return end != NULL;
}

/* A record of a file or a value of a list, the len bytes at p, as input:
 * 1 pushed into out (split on colsep, trimmed), 0 passed over (-r: only
 * blanks), 2 it is the -E string (the source ends), -1 on error. */
static int record_take(struct input *in, struct source *s, const char *p,
		       size_t len, struct values *out)
{
	size_t i;
	int rc;

	if (in->eof_str != NULL && strlen(in->eof_str) == len &&
	    memcmp(in->eof_str, p, len) == 0) {
		s->ended = 1;
		return 2;
	}
	if (in->skip_blank) {
		for (i = 0; i < len && strchr(" \t\r\n\v\f", p[i]); i++)
			;
		if (i == len)
			return 0;
	}
	if (in->colsep != NULL)
		rc = colsep_split(in, s, p, len, out);
	else
		rc = value_push(in, out, p, len);
	if (rc == -1) {
		values_free(out);
		return -1;
	}
	return 1;
}

/* Take the next whole record out of a file source's buffer: 1 if any, 2
 * if it skipped one (-r), 0 if none (yet), -1. */
static int source_split(struct input *in, struct source *s,
			struct values *out)
{
	size_t avail = s->buf.len - s->pos, len, used;
	const char *p;
	int rc, found;

	if (avail == 0) /* buf.data may be NULL: no pointer into it */
		return 0;
	p = s->buf.data + s->pos;
	found = source_scan(in, s, &len);
	if (found == -1 || (found == 0 && !s->eof))
		return found;
	used = found ? len + (in->delims != NULL ? in->ndelims : 1) : len;
	s->nrec++;
	rc = record_take(in, s, p, len, out);
	if (rc == -1)
		return -1;
	s->pos += used;
	s->scanned = 0;
	return rc == 1 ? 1 : rc == 0 ? 2 : 0;
}

/* Wait until a descriptor made non-blocking elsewhere is readable. */
static int wait_readable(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	while (poll(&pfd, 1, -1) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* One read(2) into a file source's buffer; sets eof at the end. */
static int source_fill(struct input *in, struct source *s)
{
	ssize_t n;

	buf_consume(&s->buf, s->pos);
	s->pos = 0;
	/* the room a record of 1 GiB took is not kept for the rest */
	buf_shrink(&s->buf, 4 * READ_SIZE);
	if (buf_reserve(&s->buf, READ_SIZE) == -1)
		return -1;
	for (;;) {
		n = read(s->fd, s->buf.data + s->buf.len, READ_SIZE);
		if (n >= 0)
			break;
		if (errno == EAGAIN && !s->stepwise &&
		    wait_readable(s->fd) == 0)
			continue;
		if (errno == EAGAIN && s->stepwise)
			return -1;
		if (errno != EINTR)
			return input_set_error(in, s->name);
	}
	if (n == 0)
		s->eof = 1;
	s->buf.len += (size_t)n;
	s->buf.data[s->buf.len] = '\0';
	return 0;
}

/* The next value of a `:::` list into out (split on the colsep pattern
 * as a file's record is, as GNU does): 1, or 0 at its end. */
static int list_next(struct input *in, struct source *s,
		     struct values *out)
{
	const char *v;
	int rc = 0;

	while (rc == 0 && !s->ended && s->next < s->nlist) {
		v = s->list[s->next];
		s->nrec = s->next + 1;
		rc = record_take(in, s, v, strlen(v), out);
		if (rc == -1)
			return -1;
		s->next++;
	}
	return rc == 1;
}

/* The next record of a source into out: 1, 0 at its end, or -1. A
 * source of the first group is read at most once per call. */
static int source_next(struct input *in, struct source *s,
		       struct values *out)
{
	int rc, did_read = 0;

	if (s->list != NULL)
		return list_next(in, s, out);
	if (s->fd == -1 || s->ended)
		return 0; /* read whole and closed, or its -E string seen */
	for (;;) {
		rc = source_split(in, s, out);
		if (rc == 2)
			continue; /* a blank record passed over (-r) */
		if (rc != 0 || s->eof || s->ended)
			return rc;
		if (did_read && s->stepwise) {
			errno = EAGAIN;
			return -1;
		}
		if (source_fill(in, s) == -1)
			return -1;
		did_read = 1;
	}
}

/* Move the values of src to the end of dst, emptying src. */
static int values_move(struct values *dst, struct values *src)
{
	char **nv = realloc(dst->v, (dst->n + src->n + 1) * sizeof(*nv));

	if (nv == NULL)
		return -1;
	memcpy(nv + dst->n, src->v, src->n * sizeof(*nv));
	dst->v = nv;
	dst->n += src->n;
	free(src->v);
	src->v = NULL;
	src->n = 0;
	return 0;
}

/* The next item of a group: one record of each of its sources, in
 * lockstep. Records got before an EAGAIN wait in their source. */
static int group_next(struct input *in, struct group *g, struct values *item)
{
	struct source *s;
	size_t i;
	int rc;

	for (i = 0; i < g->n; i++) {
		s = &in->src[g->first + i];
		if (s->has_pending)
			continue;
		rc = source_next(in, s, &s->pending);
		if (rc == -1 && errno == EAGAIN)
			in->poll_fd = s->fd;
		if (rc != 1)
			return rc;
		s->has_pending = 1;
	}
	for (i = 0; i < g->n; i++) {
		s = &in->src[g->first + i];
		if (values_move(item, &s->pending) == -1)
			return -1;
		s->has_pending = 0;
	}
	return 1;
}

/* Append an item to a group read whole. */
static int group_append(struct group *g, struct values *item)
{
	struct values *items;
	size_t cap;

	if (g->nitems == g->cap) {
		cap = g->cap ? g->cap * 2 : 16;
		items = realloc(g->items, cap * sizeof(*items));
		if (items == NULL)
			return -1;
		g->items = items;
		g->cap = cap;
	}
	g->items[g->nitems++] = *item;
	*item = (struct values){0, NULL};
	return 0;
}

/* Read a group other than the first whole, then release its sources. */
static int group_load(struct input *in, struct group *g)
{
	struct values item = {0, NULL};
	size_t i;
	int rc;

	for (;;) {
		rc = group_next(in, g, &item);
		if (rc == -1 && errno == EAGAIN && in->poll_fd != -1 &&
		    wait_readable(in->poll_fd) == 0)
			continue; /* (the first group, read whole: --link) */
		if (rc != 1)
			break;
		if (group_append(g, &item) == -1) {
			rc = -1;
			break;
		}
	}
	values_free(&item);
	for (i = 0; i < g->n; i++) { /* all but the name (records' origin) */
		struct source *s = &in->src[g->first + i];
		char *name = s->name;

		s->name = NULL;
		source_free(s);
		s->name = name;
	}
	return rc;
}

/* First call: default to stdin, then read the groups after the first
 * (--link: all of them). */
static int input_start(struct input *in)
{
	size_t g;

	if (in->nsrc == 0 && input_add_file(in, "-", 0) == -1)
		return -1;
	in->started = 1;
	for (g = in->link ? 0 : 1; g < in->ngrp; g++) {
		if (group_load(in, &in->grp[g]) == -1)
			return -1;
		if (in->grp[g].nitems == 0)
			in->done = 1; /* an empty factor: an empty product */
	}
	return 0;
}

/* Copy values to the end of a record being built. */
static int record_copy(struct record *r, const struct values *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		r->v[r->n] = strdup(v->v[i]);
		if (r->v[r->n] == NULL)
			return -1;
		r->n++;
	}
	return 0;
}

/* Is the current item in its last record (the other groups' items all
 * at their last)? Its values may then move into it, not be copied. */
static int product_last(const struct input *in)
{
	size_t g;

	for (g = 1; g < in->ngrp; g++)
		if (in->grp[g].idx + 1 < in->grp[g].nitems)
			return 0;
	return 1;
}

/* The record of the current item and the other groups' items; the
 * current item's values are moved into it when take says. */
static struct record *record_make(struct input *in, int take)
{
	const char *origin = in->src[0].name;
	size_t olen = strlen(origin), n = in->cur.n, g;
	struct record *r;
	struct group *gr;

	for (g = 1; g < in->ngrp; g++)
		n += in->grp[g].items[in->grp[g].idx].n;
	r = calloc(1, sizeof(*r) + olen + 1);
	if (r == NULL)
		return NULL;
	memcpy(r + 1, origin, olen + 1); /* origin lives as long as r */
	r->origin = (const char *)(r + 1);
	r->lineno = in->lineno;
	r->fd = -1;
	r->v = calloc(n + 1, sizeof(*r->v));
	if (r->v == NULL)
		goto fail;
	if (take) {
		/* (a record of 1 GiB is not copied to be handed on) */
		memcpy(r->v, in->cur.v, in->cur.n * sizeof(*r->v));
		r->n = in->cur.n;
		in->cur.n = 0;
	} else if (record_copy(r, &in->cur) == -1) {
		goto fail;
	}
	for (g = 1; g < in->ngrp; g++) {
		gr = &in->grp[g];
		if (record_copy(r, &gr->items[gr->idx]) == -1)
			goto fail;
	}
	return r;
fail:
	record_free(r);
	return NULL;
}

static int input_fail(struct input *in);

/* --link: item i is the (i mod its length)th item of every group, up to
 * the longest group's length (see input_next). */
static int input_next_linked(struct input *in, struct record **out)
{
	size_t g, len = 0;
	struct record *r;

	for (g = 0; g < in->ngrp; g++) {
		if (in->grp[g].nitems == 0)
			return 0; /* an empty source: nothing to link */
		if (in->grp[g].nitems > len)
			len = in->grp[g].nitems;
	}
	if (in->lineno >= len)
		return 0;
	for (g = 1; g < in->ngrp; g++)
		in->grp[g].idx = in->lineno % in->grp[g].nitems;
	in->cur = in->grp[0].items[in->lineno % in->grp[0].nitems]; /* lent */
	in->lineno++;
	r = record_make(in, 0);
	in->cur = (struct values){0, NULL};
	if (r == NULL)
		return input_fail(in);
	in->count++;
	*out = r;
	return 1;
}

/* Step the other groups' indexes, the last fastest; 1 when all wrapped. */
static int product_step(struct input *in)
{
	size_t g;

	for (g = in->ngrp; g-- > 1;) {
		if (++in->grp[g].idx < in->grp[g].nitems)
			return 0;
		in->grp[g].idx = 0;
	}
	return 1;
}

/* Remember a fatal error: later calls fail the same way. Nothing will be
 * read any more: the descriptors and buffers go now (a writer to a pipe
 * we read gets EPIPE rather than waiting for us). */
static int input_fail(struct input *in)
{
	size_t i;

	in->failed = errno ? errno : EIO;
	if (in->err.len == 0)
		input_set_error(in, in->nsrc > 0 ? in->src[0].name : "input");
	for (i = 0; i < in->nsrc; i++)
		source_release(&in->src[i]);
	errno = in->failed;
	return -1;
}

int input_add_blocks(struct input *in, struct blocks *b, const char *name,
		     int as_file)
{
	if (in->nsrc > 0 || in->blocks != NULL) {
		blocks_free(b);
		errno = EINVAL;
		return -1;
	}
	in->blocks_name = strdup(name);
	if (in->blocks_name == NULL) {
		blocks_free(b);
		return -1;
	}
	in->blocks = b;
	in->blocks_as_file = as_file;
	return 0;
}

struct record *record_new_fd(const char *origin, unsigned long long lineno,
			     int fd)
{
	size_t olen = strlen(origin);
	struct record *r = calloc(1, sizeof(*r) + olen + 1);

	if (r == NULL)
		return NULL;
	memcpy(r + 1, origin, olen + 1);
	r->origin = (const char *)(r + 1);
	r->lineno = lineno;
	r->fd = -1;
	r->v = calloc(2, sizeof(*r->v));
	if (r->v == NULL) {
		record_free(r);
		return NULL;
	}
	r->fd = fd;
	return r;
}

int input_set_block_fifos(struct input *in, const char *tmpdir)
{
	if (in->blocks == NULL) {
		errno = EINVAL;
		return -1;
	}
	in->fifo_dir = fifo_dir_new(tmpdir);
	return in->fifo_dir != NULL ? 0 : -1;
}

/* --fifo: the record's value is a new named pipe for its block. */
static int block_fifo(struct input *in, struct record *r)
{
	size_t n = strlen(in->fifo_dir) + 32;

	r->v[0] = malloc(n);
	if (r->v[0] == NULL)
		return -1;
	snprintf(r->v[0], n, "%s/%llu", in->fifo_dir, r->lineno);
	r->n = 1;
	if (mkfifo(r->v[0], 0600) == -1)
		return -1;
	r->fifo = 1;
	return 0;
}

/* A record for the block in fd: no value, or the path that opens it (a
 * named pipe with --fifo). The block is sealed: a job cannot change what
 * its next try gets. */
static struct record *block_record(struct input *in, int fd)
{
	struct record *r = record_new_fd(in->blocks_name,
					 blocks_count(in->blocks), fd);
	char path[64];

	if (r == NULL)
		return NULL;
	block_seal(fd);
	if (in->fifo_dir != NULL && block_fifo(in, r) == -1)
		goto fail;
	if (in->blocks_as_file && in->fifo_dir == NULL) {
		snprintf(path, sizeof(path), "/proc/%ld/fd/%d", (long)getpid(),
			 fd);
		r->v[0] = strdup(path);
		if (r->v[0] == NULL)
			goto fail;
		r->n = 1;
	}
	if (r->n > 0)
		r->tag = INPUT_BLOCK_TAG;
	r->bytes = blocks_bytes(in->blocks) - in->blocks_read;
	in->blocks_read = blocks_bytes(in->blocks);
	return r;
fail:
	r->fd = -1; /* the caller's again */
	record_free(r);
	return NULL;
}

/* A record longer than --max-record in pipe mode: a fatal error. */
static int input_block_too_long(struct input *in)
{
	char max[32];

	in->failed = EMSGSIZE;
	buf_reset(&in->err);
	buf_printf(&in->err, "%s: a record is longer than %s (--max-record)",
		   source_label(in->blocks_name),
		   parse_size_format(blocks_max_block(in->blocks), max,
				     sizeof(max)));
	errno = EMSGSIZE;
	return -1;
}

/* The next block as a record (see input_next). */
static int input_next_block(struct input *in, struct record **out)
{
	int fd, rc = blocks_next(in->blocks, &fd);

	if (rc == -1 && errno == EAGAIN)
		in->poll_fd = blocks_poll_fd(in->blocks);
	if (rc == -1 && errno == EMSGSIZE)
		return input_block_too_long(in);
	if (rc == -1 && errno == ENODATA) { /* (blocks_copy()) */
		in->failed = ENODATA;
		buf_reset(&in->err);
		buf_printf(&in->err, "%s: the file got shorter during the run",
			   source_label(in->blocks_name));
		return -1;
	}
	if (rc == -1 && errno != EAGAIN) {
		in->failed = errno;
		return input_set_error(in, in->blocks_name);
	}
	if (rc != 1)
		return rc;
	*out = block_record(in, fd);
	if (*out == NULL) {
		close_keep_errno(fd);
		in->failed = errno;
		return input_set_error(in, in->blocks_name);
	}
	in->count++;
	return 1;
}

/* The next record in input order (see input_next). */
static int input_next_ordered(struct input *in, struct record **out)
{
	struct record *r;
	int rc;

	in->poll_fd = -1;
	if (in->failed) {
		errno = in->failed;
		return -1;
	}
	if (in->blocks != NULL)
		return input_next_block(in, out);
	if (!in->started && input_start(in) == -1)
		return input_fail(in);
	if (in->done)
		return 0;
	if (in->link)
		return input_next_linked(in, out);
	if (!in->has_cur) {
		rc = group_next(in, &in->grp[0], &in->cur);
		if (rc == 0)
			in->done = 1;
		if (rc == -1 && errno != EAGAIN)
			return input_fail(in);
		if (rc != 1)
			return rc;
		in->has_cur = 1;
		in->lineno++;
	}
	r = record_make(in, product_last(in));
	if (r == NULL)
		return input_fail(in);
	if (product_step(in)) {
		values_free(&in->cur);
		in->has_cur = 0;
	}
	in->count++;
	*out = r;
	return 1;
}

/* Before the first input_next(): the first record of source i into v,
 * waiting for it if need be (none at its end). 0, or -1/errno. */
static int first_record(struct input *in, size_t i, struct values *v)
{
	struct source *s;
	int rc;

	if (in->started || in->blocks != NULL) {
		errno = EINVAL;
		return -1;
	}
	if (in->nsrc == 0 && input_add_file(in, "-", 0) == -1)
		return -1;
	s = &in->src[i];
	while ((rc = source_next(in, s, v)) == -1 && errno == EAGAIN)
		if (wait_readable(s->fd) == -1)
			break;
	return rc == -1 ? input_fail(in) : 0;
}

int input_header(struct input *in, char ***names, size_t *n)
{
	struct values v = {0, NULL};
	size_t i;

	*names = NULL;
	*n = 0;
	for (i = 0; i == 0 || i < in->nsrc; i++)
		if (first_record(in, i, &v) == -1) {
			values_free(&v);
			return -1;
		}
	*names = v.v;
	*n = v.n;
	return 0;
}

int input_skip_first(struct input *in)
{
	struct values v = {0, NULL};
	int rc = first_record(in, 0, &v);

	values_free(&v);
	return rc;
}

/* A random number below n (n > 0), from a generator seeded once. */
static size_t shuffle_below(struct input *in, size_t n)
{
	uint64_t x;

	if (in->rng == 0 &&
	    getrandom(&in->rng, sizeof(in->rng), 0) != sizeof(in->rng))
		in->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	in->rng |= 1;
	x = in->rng; /* xorshift64 */
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	in->rng = x;
	return (size_t)(x % n);
}

/* --shuf: read every record first (EAGAIN as usual meanwhile), shuffle
 * them, then hand them out. */
static int input_next_shuffled(struct input *in, struct record **out)
{
	struct record *r, **v;
	size_t i, j;
	int rc;

	while (!in->shuf_ready) {
		rc = input_next_ordered(in, &r);
		if (rc != 1) {
			if (rc == -1)
				return -1;
			in->shuf_ready = 1;
			break;
		}
		if (in->nshuf == in->shuf_cap) {
			size_t cap = in->shuf_cap ? in->shuf_cap * 2 : 64;

			v = realloc(in->shuf, cap * sizeof(*v));
			if (v == NULL) {
				record_free(r);
				return input_fail(in);
			}
			in->shuf = v;
			in->shuf_cap = cap;
		}
		in->shuf[in->nshuf++] = r;
		if (in->nshuf == 1)
			continue;
		i = in->nshuf - 1; /* Fisher-Yates, one step per record */
		j = shuffle_below(in, i + 1);
		r = in->shuf[i];
		in->shuf[i] = in->shuf[j];
		in->shuf[j] = r;
	}
	if (in->nshuf == 0)
		return 0;
	*out = in->shuf[--in->nshuf];
	return 1;
}

int input_next(struct input *in, struct record **out)
{
	return in->shuffle ? input_next_shuffled(in, out)
			   : input_next_ordered(in, out);
}

int input_add_header(struct input *in, int *fd)
{
	return in->blocks != NULL ? blocks_add_header(in->blocks, fd) : 0;
}

int input_poll_fd(const struct input *in)
{
	return in->poll_fd;
}

const char *input_error(const struct input *in)
{
	return in->err.len > 0 ? in->err.data : NULL;
}

unsigned long long input_count(const struct input *in)
{
	return in->count;
}

int input_block_bytes(const struct input *in, uint64_t *read,
		      uint64_t *total)
{
	if (in->blocks == NULL)
		return 0;
	*read = in->blocks_read;
	if (!blocks_total(in->blocks, total))
		*total = UINT64_MAX;
	return 1;
}
