/* pipefile: load and check a YAML pipeline file. */
#include "pipefile.h"

#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "blocks.h"
#include "buf.h"
#include "parse.h"
#include "internal.h"
#include "policy.h"
#include "template.h"

struct ctx {
	const char *path;
	yaml_document_t doc;
	char *err;
	size_t errlen;
	struct pipefile *pf;
	char **var_name, **var_value;
	size_t nvars;
	/* The current stage's executor keys, for messages. */
	const yaml_node_t *exec_key, *ssh_key, *slurm_key;
	const yaml_node_t *workers_key, *worker_opt_key, *n_key, *timeout_key;
	const yaml_node_t *pipe_opt_key, *header_node, *recend_node,
		*recstart_node, *rr_key, *file_key;
	/* The current stage's commands, for a refusal's place. */
	const yaml_node_t *cmd_node, *ok_node, *err_node;
	/* Bytes of text the file may expand to (aliases, {{vars}}), left. */
	uint64_t budget;
};

/* What a pipeline file may expand to: 100 times its size, at least 16 MB
 * (an alias repeated, or {{vars}} used many times, multiplies its text). */
#define EXPAND_MIN ((uint64_t)16 << 20)
#define EXPAND_FACTOR 100
#define DEPTH_MAX 1000 /* nodes nested deeper are refused */

static const char *const top_keys[] = {"stages", "vars", "counters", NULL};
static const char *const stage_keys[] = {
	"cmd",	   "input", "jobs",	  "n",	      "order",	  "timeout",
	"retries", "env",   "halt", "on_success", "on_error", "after",
	"executor", "hosts", "ssh", "slurm_cpus", "slurm_alloc", "workers",
	"worker_init", "max_tasks_per_worker", "framing", "max_inflight",
	"pipe", "block", "recend", "recstart", "header", "regexp",
	"remove_rec_sep", "round_robin", "cat", "fifo", NULL};
#define NSTAGE_KEYS (ARRAY_LEN(stage_keys) - 1)
/* The words of order:, executor: and framing:, in their enums' order. */
static const char *const order_names[] = {"unordered", "imap", "map", NULL};
static const char *const executor_names[] = {"local", "ssh", "slurm", NULL};
static const char *const framing_names[] = {"line", "nul", "len", NULL};
static const char *const source_keys[] = {"stage", "values", "file",
					  "glob",  "linked", NULL};

/* Write "FILE:LINE:COL: message" for node n (or "FILE: message"). */
static int fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (n != NULL)
		k = snprintf(c->err, c->errlen, "%s:%zu:%zu: ", c->path,
			     n->start_mark.line + 1, n->start_mark.column + 1);
	else
		k = snprintf(c->err, c->errlen, "%s: ", c->path);
	if (k < 0 || (size_t)k >= c->errlen)
		k = 0;
	va_start(ap, fmt);
	vsnprintf(c->err + k, c->errlen - (size_t)k, fmt, ap);
	va_end(ap);
	errno = EINVAL;
	return -1;
}

/* Edit distance of two short strings, for "did you mean". */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d[64], prev, tmp;

	if (lb >= 64 || la >= 64)
		return 99;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		prev = d[0];
		d[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = d[j];
			d[j] = prev + (a[i - 1] != b[j - 1]);
			if (d[j - 1] + 1 < d[j])
				d[j] = d[j - 1] + 1;
			if (tmp + 1 < d[j])
				d[j] = tmp + 1;
			prev = tmp;
		}
	}
	return d[lb];
}

/* The closest of the candidates to s, if close enough, else NULL. */
static const char *closest(const char *s, const char *const *cand, size_t n)
{
	const char *best = NULL;
	size_t i, d, bestd = 3;

	for (i = 0; i < n && cand[i] != NULL; i++) {
		d = distance(s, cand[i]);
		if (d < bestd || (d == bestd && best == NULL &&
				  d <= strlen(cand[i]) / 2)) {
			best = cand[i];
			bestd = d;
		}
	}
	return bestd <= 2 || (best != NULL && bestd <= strlen(best) / 2)
		       ? best
		       : NULL;
}

/* "unknown key" with a hint. */
static int unknown(struct ctx *c, const yaml_node_t *n, const char *what,
		   const char *s, const char *const *cand, size_t ncand)
{
	const char *hint = closest(s, cand, ncand);

	if (hint != NULL)
		return fail(c, n, "unknown %s '%s' (did you mean '%s'?)", what,
			    s, hint);
	return fail(c, n, "unknown %s '%s'", what, s);
}

/* The node's scalar text, or NULL if it is not a scalar. */
static const char *scalar(const yaml_node_t *n)
{
	return n != NULL && n->type == YAML_SCALAR_NODE
		       ? (const char *)n->data.scalar.value
		       : NULL;
}

/* Node by index. */
static yaml_node_t *node(struct ctx *c, int i)
{
	return yaml_document_get_node(&c->doc, i);
}

/* The value of variable name, or NULL. */
static const char *var_get(const struct ctx *c, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < c->nvars; i++)
		if (strlen(c->var_name[i]) == len &&
		    memcmp(c->var_name[i], name, len) == 0)
			return c->var_value[i];
	return NULL;
}

/* Is s[0..len) a variable name (letters, digits, '_', not a digit first)? */
static int is_name(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (i = 0; i < len; i++)
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/* "unknown variable", with a hint among the vars: names. */
static void unknown_var(struct ctx *c, const yaml_node_t *n, const char *what,
			const char *name, size_t len)
{
	char var[64];
	const char *hint;

	snprintf(var, sizeof(var), "%.*s", (int)len, name);
	hint = closest(var, (const char *const *)c->var_name, c->nvars);
	if (hint != NULL)
		fail(c, n, "%s: unknown variable '%s' (did you mean '%s'?)",
		     what, var, hint);
	else
		fail(c, n, "%s: unknown variable '%s' (not in vars:)", what,
		     var);
}

/* A copy of the scalar of n with {{NAME}} replaced by the variables. */
static char *expand(struct ctx *c, const yaml_node_t *n, const char *what)
{
	const char *s = scalar(n), *open, *close, *v;
	struct buf b = BUF_INIT;

	if (s == NULL) {
		fail(c, n, "%s: expected a string", what);
		return NULL;
	}
	while ((open = strstr(s, "{{")) != NULL &&
	       (close = strstr(open + 2, "}}")) != NULL) {
		size_t len = (size_t)(close - open - 2);

		if (!is_name(open + 2, len)) { /* one brace on: {{{x}} */
			buf_append(&b, s, (size_t)(open - s) + 1);
			s = open + 1;
			continue;
		}
		v = var_get(c, open + 2, len);
		if (v == NULL) {
			buf_free(&b);
			unknown_var(c, n, what, open + 2, len);
			return NULL;
		}
		if (strlen(v) > c->budget) {
			buf_free(&b);
			fail(c, n, "%s: {{%.*s}} makes the file expand to more "
			     "than %llu bytes", what, (int)len, open + 2,
			     (unsigned long long)c->budget);
			return NULL;
		}
		c->budget -= strlen(v);
		buf_append(&b, s, (size_t)(open - s));
		buf_append_str(&b, v);
		s = close + 2;
	}
	if (buf_append_str(&b, s) == -1 || b.data == NULL) {
		buf_free(&b);
		return strdup("");
	}
	return buf_steal(&b);
}

/* A whole number in [min, max] from a scalar node. */
static int number(struct ctx *c, const yaml_node_t *n, const char *what,
		  long long min, long long max, long long *out)
{
	const char *s = scalar(n);

	if (s == NULL || parse_number(s, min, max, out) == -1)
		return fail(c, n, "%s: expected a whole number from %lld to "
			    "%lld, got %s%s%s", what, min, max,
			    s ? "'" : "", s ? s : "a list or mapping",
			    s ? "'" : "");
	return 0;
}

/* true or false from a scalar node. */
static int boolean(struct ctx *c, const yaml_node_t *n, const char *what,
		   int *out)
{
	const char *b = scalar(n);

	if (b == NULL || (strcmp(b, "true") && strcmp(b, "false")))
		return fail(c, n, "%s: expected true or false", what);
	*out = strcmp(b, "true") == 0;
	return 0;
}

/* The index of stage name, or -1. */
static long stage_index(const struct pipefile *pf, const char *name)
{
	size_t i;

	for (i = 0; i < pf->nstages; i++)
		if (strcmp(pf->stages[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* A stage reference: the index, or an error with a hint. */
static int stage_ref(struct ctx *c, const yaml_node_t *n, const char *what,
		     size_t *out)
{
	const char *s = scalar(n), *names[64];
	long i;
	size_t k;

	if (s == NULL)
		return fail(c, n, "%s: expected a stage name", what);
	i = stage_index(c->pf, s);
	if (i >= 0) {
		*out = (size_t)i;
		return 0;
	}
	for (k = 0; k < c->pf->nstages && k < 63; k++)
		names[k] = c->pf->stages[k].name;
	names[k] = NULL;
	return unknown(c, n, "stage", s, names, k);
}

/* Append a source to a stage. */
static struct pf_source *add_source(struct pf_stage *st)
{
	struct pf_source *s =
		realloc(st->inputs, (st->ninputs + 1) * sizeof(*s));

	if (s == NULL)
		return NULL;
	st->inputs = s;
	s = &s[st->ninputs++];
	memset(s, 0, sizeof(*s));
	return s;
}

/* A sequence of scalars as values (vars expanded). */
static int values_of(struct ctx *c, const yaml_node_t *n,
		     struct pf_source *src)
{
	yaml_node_item_t *it;

	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, "values: expected a list");
	for (it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		char **v = realloc(src->values,
				   (src->nvalues + 1) * sizeof(char *));

		if (v == NULL)
			return -1;
		src->values = v;
		v[src->nvalues] = expand(c, node(c, *it), "input");
		if (v[src->nvalues] == NULL)
			return -1;
		src->nvalues++;
	}
	return 0;
}

/* Expand a glob into the source's values. */
static int glob_values(struct ctx *c, const yaml_node_t *n,
		       struct pf_source *src)
{
	glob_t g;
	size_t i;

	if (glob(src->path, 0, NULL, &g) != 0) {
		globfree(&g);
		return fail(c, n, "glob '%s' matches no file", src->path);
	}
	src->values = calloc(g.gl_pathc + 1, sizeof(char *));
	for (i = 0; src->values != NULL && i < g.gl_pathc; i++)
		if ((src->values[src->nvalues++] = strdup(g.gl_pathv[i])) ==
		    NULL)
			break;
	globfree(&g);
	return src->values == NULL ? -1 : 0;
}

/* Is st's last source in its first group: the first, or linked to it
 * (every source after the first linked)? */
static int in_first_group(const struct pf_stage *st)
{
	size_t i;

	for (i = 1; i < st->ninputs; i++)
		if (!st->inputs[i].linked)
			return 0;
	return 1;
}

/* One source given as a mapping: {stage|values|file|glob: ..., linked}. */
static int source_map(struct ctx *c, const yaml_node_t *n,
		      struct pf_stage *st)
{
	struct pf_source *src = add_source(st);
	yaml_node_pair_t *p;
	int kinds = 0;

	if (src == NULL)
		return -1;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		const char *key = scalar(k);
		int rc;

		if (key == NULL)
			return fail(c, k, "input: expected a key");
		if (strcmp(key, "linked") == 0) {
			if (boolean(c, v, "linked", &src->linked) == -1)
				return -1;
			continue;
		}
		kinds++;
		if (strcmp(key, "stage") == 0) {
			src->kind = PF_STAGE;
			rc = stage_ref(c, v, "input", &src->stage);
		} else if (strcmp(key, "values") == 0) {
			src->kind = PF_VALUES;
			rc = values_of(c, v, src);
		} else if (strcmp(key, "file") == 0 || strcmp(key, "glob") == 0) {
			src->kind = key[0] == 'f' ? PF_FILE : PF_GLOB;
			src->path = expand(c, v, key);
			rc = src->path == NULL ? -1 : 0;
			if (rc == 0 && src->kind == PF_GLOB)
				rc = glob_values(c, v, src);
		} else {
			return unknown(c, k, "input key", key, source_keys, 5);
		}
		if (rc == -1)
			return -1;
	}
	if (kinds != 1)
		return fail(c, n, "input: a source has exactly one of stage, "
			    "values, file or glob");
	if (src->linked && st->ninputs == 1)
		return fail(c, n, "input: the first source cannot be linked");
	if (src->kind == PF_STAGE && !in_first_group(st))
		return fail(c, n, "input: a stage can only be the first "
			    "source, or linked to it (the sources crossed "
			    "with the first are read whole before any job)");
	return 0;
}

/* input: a stage name, a list of values, a source, or a list of sources. */
static int parse_input(struct ctx *c, const yaml_node_t *n,
		       struct pf_stage *st)
{
	struct pf_source *src;
	yaml_node_item_t *it;
	int maps = 0, scalars = 0;

	if (n->type == YAML_SCALAR_NODE) {
		src = add_source(st);
		if (src == NULL)
			return -1;
		src->kind = PF_STAGE;
		return stage_ref(c, n, "input", &src->stage);
	}
	if (n->type == YAML_MAPPING_NODE)
		return source_map(c, n, st);
	for (it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *item = node(c, *it);

		maps += item->type == YAML_MAPPING_NODE;
		scalars += item->type == YAML_SCALAR_NODE;
	}
	if (maps > 0 && scalars > 0)
		return fail(c, n, "input: a list is either values or sources "
			    "({stage: ...}, {values: [...]}, ...), not both");
	if (maps == 0) {
		src = add_source(st);
		return src == NULL ? -1 : values_of(c, n, src);
	}
	for (it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *item = node(c, *it);

		if (item->type != YAML_MAPPING_NODE)
			return fail(c, item, "input: expected a source");
		if (source_map(c, item, st) == -1)
			return -1;
	}
	return 0;
}

/* env: a mapping of names to values. */
static int parse_env(struct ctx *c, const yaml_node_t *n, struct pf_stage *st)
{
	yaml_node_pair_t *p;
	size_t k = 0;

	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, "env: expected a mapping of NAME: value");
	st->env = calloc((size_t)(n->data.mapping.pairs.top -
				  n->data.mapping.pairs.start) + 1,
			 sizeof(char *));
	if (st->env == NULL)
		return -1;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *kn = node(c, p->key);
		const char *name = scalar(kn);
		char *v;

		if (name == NULL || !is_name(name, strlen(name)))
			return fail(c, kn, "env: '%s' is not a variable name",
				    name ? name : "?");
		v = expand(c, node(c, p->value), "env");
		if (v == NULL)
			return -1;
		if (asprintf(&st->env[k], "%s=%s", name, v) == -1) {
			st->env[k] = NULL;
			free(v);
			return -1;
		}
		k++;
		free(v);
	}
	return 0;
}

/* after: a stage name or a list of them. */
static int parse_after(struct ctx *c, const yaml_node_t *n,
		       struct pf_stage *st)
{
	yaml_node_item_t *it;
	size_t cnt = 1;

	if (n->type == YAML_SEQUENCE_NODE)
		cnt = (size_t)(n->data.sequence.items.top -
			       n->data.sequence.items.start);
	st->after = calloc(cnt + 1, sizeof(size_t));
	if (st->after == NULL)
		return -1;
	if (n->type != YAML_SEQUENCE_NODE)
		return stage_ref(c, n, "after", &st->after[st->nafter++]);
	for (it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++)
		if (stage_ref(c, node(c, *it), "after",
			      &st->after[st->nafter++]) == -1)
			return -1;
	return 0;
}

/* One of three words (names, NULL-terminated): its index in *out, or an
 * error naming what (with a hint). */
static int one_of(struct ctx *c, const yaml_node_t *n, const char *what,
		  const char *const names[4], int *out)
{
	const char *s = scalar(n);
	int i;

	for (i = 0; s != NULL && names[i] != NULL; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	if (s == NULL)
		return fail(c, n, "%s: expected %s, %s or %s", what, names[0],
			    names[1], names[2]);
	return unknown(c, n, what, s, names, 3);
}

/* hosts: a list of logins, or one string of them separated by commas
 * (each may be "N/HOST"). */
static int parse_hosts(struct ctx *c, const yaml_node_t *n,
		       struct pf_stage *st)
{
	yaml_node_item_t *it;
	size_t cnt = 1;

	if (n->type == YAML_SEQUENCE_NODE)
		cnt = (size_t)(n->data.sequence.items.top -
			       n->data.sequence.items.start);
	if (n->type == YAML_MAPPING_NODE || cnt == 0)
		return fail(c, n, "hosts: expected a list of SSH logins "
			    "([N/]HOST)");
	st->hosts = calloc(cnt + 1, sizeof(char *));
	if (st->hosts == NULL)
		return -1;
	if (n->type != YAML_SEQUENCE_NODE) {
		st->hosts[0] = expand(c, n, "hosts");
		st->nhosts = 1;
		return st->hosts[0] == NULL ? -1 : 0;
	}
	for (it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		const yaml_node_t *h = node(c, *it);

		if (h == NULL || h->type != YAML_SCALAR_NODE)
			return fail(c, h != NULL ? h : n,
				    "hosts: expected a list of SSH logins "
				    "([N/]HOST)");
		st->hosts[st->nhosts] = expand(c, h, "hosts");
		if (st->hosts[st->nhosts] == NULL)
			return -1;
		st->nhosts++;
	}
	return 0;
}

/* The executor keys agree: hosts: for ssh, slurm_* for slurm. */
static int check_executor(struct ctx *c, const yaml_node_t *n,
			  struct pf_stage *st)
{
	if (st->executor == PF_SSH && st->hosts == NULL)
		return fail(c, c->exec_key, "stage '%s': executor: ssh needs "
			    "hosts: (a list of SSH logins)", st->name);
	if (st->executor != PF_SSH && c->ssh_key != NULL)
		return fail(c, c->ssh_key, "stage '%s': %s needs executor: "
			    "ssh", st->name, scalar(c->ssh_key));
	if (st->executor != PF_SLURM && c->slurm_key != NULL)
		return fail(c, c->slurm_key, "stage '%s': %s needs executor: "
			    "slurm", st->name, scalar(c->slurm_key));
	return 0;
}

/* A workers: stage has no cmd:, no n:, runs here, and a timeout in
 * percent means nothing to it; the worker keys need workers:. */
static int check_workers(struct ctx *c, const yaml_node_t *n,
			 struct pf_stage *st)
{
	if (st->workers == NULL) {
		if (c->worker_opt_key != NULL)
			return fail(c, c->worker_opt_key, "stage '%s': %s "
				    "needs workers:", st->name,
				    scalar(c->worker_opt_key));
		if (st->cmd == NULL)
			return fail(c, n, "stage '%s' has no cmd (or workers)",
				    st->name);
		return 0;
	}
	if (st->cmd != NULL)
		return fail(c, c->workers_key, "stage '%s': cmd and workers "
			    "exclude each other", st->name);
	if (c->n_key != NULL)
		return fail(c, c->n_key, "stage '%s': n does not apply to a "
			    "workers: stage (each input is one record)",
			    st->name);
	if (st->executor != PF_LOCAL)
		return fail(c, c->exec_key, "stage '%s': workers run here: "
			    "executor must be local", st->name);
	if (st->timeout_pct > 0)
		return fail(c, c->timeout_key, "stage '%s': a timeout in "
			    "percent does not apply to workers", st->name);
	return 0;
}

/* A stage's command (node n in the file) must not make an input code
 * (mprun(1), INPUTS ARE DATA): a refusal names the file's place of the
 * command and the place in the command. */
static int check_command(struct ctx *c, const yaml_node_t *n,
			 const struct pf_stage *st, const char *key,
			 const char *cmd, int flags)
{
	char *words[1] = {(char *)cmd};
	struct template_error err;
	struct template *t;
	struct buf b = BUF_INIT;
	int rc;

	if (cmd == NULL)
		return 0;
	t = template_new(words, 1, flags, &err);
	if (t == NULL && err.msg[0] == '\0' && errno == EINVAL)
		return fail(c, n, "stage '%s': %s: the command is empty",
			    st->name, key);
	if (t != NULL || err.msg[0] == '\0') {
		template_free(t);
		return 0; /* (out of memory: the pipeline's to report) */
	}
	rc = template_error_format(&err, &b) == -1
		     ? fail(c, n, "stage '%s': %s refused: %s", st->name, key,
			    err.msg)
		     : fail(c, n, "stage '%s': %s refused, %s",
			    st->name, key, b.data);
	buf_free(&b);
	return rc;
}

/* block: a size as --block takes it (64K, 1M, 100k). */
static int parse_block(struct ctx *c, const yaml_node_t *v,
		       struct pf_stage *st)
{
	char *s = expand(c, v, "block");
	int rc;

	if (s == NULL)
		return -1;
	rc = parse_gnu_size(s, &st->block);
	free(s);
	if (rc == -1 || st->block == 0)
		return fail(c, v, "block: expected a size (such as 64K, 1M, "
				  "100k)");
	return 0;
}

/* A pipe: true stage reads blocks of its one input (a stage or a file);
 * its other keys need it. */
static int check_pipe(struct ctx *c, const yaml_node_t *n,
		      struct pf_stage *st)
{
	struct blocks_opts bo = {.block = 1, .recend = st->recend,
				 .recstart = st->recstart,
				 .regexp = st->regexp,
				 .header = st->header};
	char err[256] = "";
	const yaml_node_t *at;

	if (!st->pipe)
		return c->pipe_opt_key == NULL
			       ? 0
			       : fail(c, c->pipe_opt_key, "stage '%s': %s "
				      "needs pipe: true", st->name,
				      scalar(c->pipe_opt_key));
	if (st->workers != NULL || c->n_key != NULL)
		return fail(c, c->workers_key ? c->workers_key : c->n_key,
			    "stage '%s': pipe: true does not go with %s",
			    st->name, st->workers ? "workers" : "n");
	if (st->ninputs != 1 || (st->inputs[0].kind != PF_STAGE &&
				 st->inputs[0].kind != PF_FILE))
		return fail(c, n, "stage '%s': pipe: true needs one input, "
			    "a stage or a file", st->name);
	if (st->round_robin && (st->cat || st->fifo || st->retries))
		return fail(c, c->rr_key, "stage '%s': round_robin does not go "
			    "with %s (a job reads its blocks from a pipe, "
			    "once)",
			    st->name, st->cat ? "cat" : st->fifo ? "fifo"
							 : "retries");
	if (st->cat && st->fifo)
		return fail(c, c->file_key, "stage '%s': cat and fifo: one or "
			    "the other", st->name);
	if (blocks_check(&bo, err, sizeof(err)) == -1) {
		at = strncmp(err, "--recend", 8) == 0	  ? c->recend_node
		     : strncmp(err, "--recstart", 10) == 0 ? c->recstart_node
							   : c->header_node;
		return fail(c, at, "stage '%s': %s", st->name,
			    err[0] ? err : strerror(errno));
	}
	return 0;
}

/* One key of a stage. */
static int stage_key(struct ctx *c, const char *key, const yaml_node_t *v,
		     struct pf_stage *st)
{
	long long num;
	char *s;
	int rc, choice = 0;

	if (strcmp(key, "cmd") == 0)
		return (st->cmd = expand(c, v, "cmd")) == NULL ? -1 : 0;
	if (strcmp(key, "input") == 0)
		return parse_input(c, v, st);
	if (strcmp(key, "jobs") == 0) {
		rc = number(c, v, "jobs", 1, 100000, &num);
		st->jobs = (unsigned)num;
		return rc;
	}
	if (strcmp(key, "n") == 0) {
		rc = number(c, v, "n", 1, 1000000000, &num);
		st->n = (size_t)num;
		return rc;
	}
	if (strcmp(key, "retries") == 0) {
		rc = number(c, v, "retries", 0, 1000000, &num);
		st->retries = (unsigned)num;
		return rc;
	}
	if (strcmp(key, "order") == 0) {
		st->has_order = 1;
		rc = one_of(c, v, key, order_names, &choice);
		st->order = (enum order_policy)choice;
		return rc;
	}
	if (strcmp(key, "env") == 0)
		return parse_env(c, v, st);
	if (strcmp(key, "after") == 0)
		return parse_after(c, v, st);
	if (strcmp(key, "on_success") == 0)
		return (st->on_success = expand(c, v, key)) == NULL ? -1 : 0;
	if (strcmp(key, "on_error") == 0)
		return (st->on_error = expand(c, v, key)) == NULL ? -1 : 0;
	if (strcmp(key, "executor") == 0) {
		rc = one_of(c, v, key, executor_names, &choice);
		st->executor = (enum pf_executor)choice;
		return rc;
	}
	if (strcmp(key, "hosts") == 0)
		return parse_hosts(c, v, st);
	if (strcmp(key, "ssh") == 0)
		return (st->ssh = expand(c, v, key)) == NULL ? -1 : 0;
	if (strcmp(key, "slurm_cpus") == 0) {
		rc = number(c, v, key, 1, 100000, &num);
		st->slurm_cpus = (unsigned)num;
		return rc;
	}
	if (strcmp(key, "slurm_alloc") == 0)
		return (st->slurm_alloc = expand(c, v, key)) == NULL ? -1 : 0;
	if (strcmp(key, "workers") == 0)
		return (st->workers = expand(c, v, key)) == NULL ? -1 : 0;
	if (strcmp(key, "worker_init") == 0)
		return (st->worker_init = expand(c, v, key)) == NULL ? -1 : 0;
	if (strcmp(key, "framing") == 0) {
		rc = one_of(c, v, key, framing_names, &choice);
		st->framing = (enum wpool_framing)choice;
		return rc;
	}
	if (strcmp(key, "max_tasks_per_worker") == 0) {
		rc = number(c, v, key, 1, 1000000000000LL, &num);
		st->max_tasks = (unsigned long long)num;
		return rc;
	}
	if (strcmp(key, "max_inflight") == 0) {
		rc = number(c, v, key, 1, 65536, &num);
		st->max_inflight = (unsigned)num;
		return rc;
	}
	if (strcmp(key, "pipe") == 0)
		return boolean(c, v, key, &st->pipe);
	if (strcmp(key, "block") == 0)
		return parse_block(c, v, st);
	if (strcmp(key, "recend") == 0)
		return (st->recend = expand(c, v, key)) == NULL ? -1 : 0;
	if (strcmp(key, "recstart") == 0)
		return (st->recstart = expand(c, v, key)) == NULL ? -1 : 0;
	if (strcmp(key, "header") == 0)
		return (st->header = expand(c, v, key)) == NULL ? -1 : 0;
	if (strcmp(key, "regexp") == 0)
		return boolean(c, v, key, &st->regexp);
	if (strcmp(key, "remove_rec_sep") == 0)
		return boolean(c, v, key, &st->remove_sep);
	if (strcmp(key, "round_robin") == 0)
		return boolean(c, v, key, &st->round_robin);
	if (strcmp(key, "cat") == 0)
		return boolean(c, v, key, &st->cat);
	if (strcmp(key, "fifo") == 0)
		return boolean(c, v, key, &st->fifo);
	s = expand(c, v, key);
	if (s == NULL)
		return -1;
	if (strcmp(key, "timeout") == 0) {
		rc = policy_timeout_parse(s, &st->timeout_ms, &st->timeout_pct);
		free(s);
		if (rc == -1)
			return fail(c, v, "timeout: expected a duration (30, "
				    "2.5s, 1m30s) or a percentage (200%%)");
		return 0;
	}
	st->halt_text = s; /* halt */
	if (policy_halt_parse(s, &st->halt) == -1)
		return fail(c, v, "halt: expected now|soon,fail|success|"
			    "done=N|N%% or never");
	return 0;
}

/* Is key one of those that need pipe: true? */
static int is_pipe_key(const char *key)
{
	static const char *const keys[] = {
		"block", "recend", "recstart", "header", "regexp",
		"remove_rec_sep", "round_robin", "cat", "fifo", NULL};
	size_t i;

	for (i = 0; keys[i] != NULL; i++)
		if (strcmp(key, keys[i]) == 0)
			return 1;
	return 0;
}

/* Remember where a pipe key (k: v) is, for messages. */
static void note_pipe_key(struct ctx *c, const char *key,
			  const yaml_node_t *k, const yaml_node_t *v)
{
	c->pipe_opt_key = k;
	if (strcmp(key, "round_robin") == 0)
		c->rr_key = k;
	else if (strcmp(key, "cat") == 0 || strcmp(key, "fifo") == 0)
		c->file_key = k;
	else if (strcmp(key, "recend") == 0)
		c->recend_node = v;
	else if (strcmp(key, "recstart") == 0)
		c->recstart_node = v;
	else if (strcmp(key, "header") == 0)
		c->header_node = v;
}

/* Parse the stage whose mapping is n. */
static int parse_stage(struct ctx *c, const yaml_node_t *n,
		       struct pf_stage *st)
{
	unsigned char seen[NSTAGE_KEYS] = {0};
	yaml_node_pair_t *p;

	c->exec_key = c->ssh_key = c->slurm_key = NULL;
	c->workers_key = c->worker_opt_key = c->n_key = c->timeout_key = NULL;
	c->pipe_opt_key = c->header_node = NULL;
	c->recend_node = c->recstart_node = c->rr_key = c->file_key = NULL;
	c->cmd_node = c->ok_node = c->err_node = NULL;
	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, "stage '%s': expected a mapping with cmd:",
			    st->name);
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(c, p->key);
		const char *key = scalar(k);
		size_t i;

		for (i = 0; key != NULL && stage_keys[i] != NULL; i++)
			if (strcmp(key, stage_keys[i]) == 0)
				break;
		if (key == NULL || stage_keys[i] == NULL)
			return unknown(c, k, "key", key ? key : "?",
				       stage_keys, NSTAGE_KEYS);
		if (seen[i]++)
			return fail(c, k, "stage '%s': %s given twice",
				    st->name, key);
		if (strcmp(key, "executor") == 0)
			c->exec_key = k;
		else if (strcmp(key, "hosts") == 0 || strcmp(key, "ssh") == 0)
			c->ssh_key = k;
		else if (strncmp(key, "slurm_", 6) == 0)
			c->slurm_key = k;
		else if (strcmp(key, "workers") == 0)
			c->workers_key = k;
		else if (strcmp(key, "n") == 0)
			c->n_key = k;
		else if (strcmp(key, "timeout") == 0)
			c->timeout_key = k;
		else if (strcmp(key, "cmd") == 0)
			c->cmd_node = node(c, p->value);
		else if (is_pipe_key(key))
			note_pipe_key(c, key, k, node(c, p->value));
		if (strcmp(key, "on_success") == 0)
			c->ok_node = node(c, p->value);
		else if (strcmp(key, "on_error") == 0)
			c->err_node = node(c, p->value);
		else if (c->worker_opt_key == NULL &&
			 (strcmp(key, "worker_init") == 0 ||
			  strcmp(key, "framing") == 0 ||
			  strncmp(key, "max_", 4) == 0))
			c->worker_opt_key = k;
		if (stage_key(c, key, node(c, p->value), st) == -1)
			return -1;
	}
	if (check_workers(c, n, st) == -1 || check_pipe(c, n, st) == -1 ||
	    check_command(c, c->cmd_node, st, "cmd", st->cmd,
			  st->ninputs == 0 ||
					  (st->pipe && !st->cat && !st->fifo)
				  ? TEMPLATE_NO_APPEND
				  : 0) == -1 ||
	    check_command(c, c->ok_node, st, "on_success", st->on_success,
			  TEMPLATE_SHELL | TEMPLATE_NO_APPEND) == -1 ||
	    check_command(c, c->err_node, st, "on_error", st->on_error,
			  TEMPLATE_SHELL | TEMPLATE_NO_APPEND) == -1)
		return -1;
	return check_executor(c, n, st);
}

/* stages: first all names (for references), then each stage. */
static int parse_stages(struct ctx *c, const yaml_node_t *n)
{
	size_t cnt, i;
	yaml_node_pair_t *p;

	if (n->type != YAML_MAPPING_NODE ||
	    n->data.mapping.pairs.top == n->data.mapping.pairs.start)
		return fail(c, n, "stages: expected a mapping of stage names "
			    "to stages");
	cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	c->pf->stages = calloc(cnt, sizeof(struct pf_stage));
	if (c->pf->stages == NULL)
		return -1;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(c, p->key);
		const char *name = scalar(k);

		if (name == NULL || *name == '\0')
			return fail(c, k, "a stage name must be a string");
		if (stage_index(c->pf, name) >= 0)
			return fail(c, k, "stage '%s' is defined twice", name);
		c->pf->stages[c->pf->nstages].name = strdup(name);
		if (c->pf->stages[c->pf->nstages].name == NULL)
			return -1;
		c->pf->nstages++;
	}
	for (i = 0, p = n->data.mapping.pairs.start; i < cnt; i++, p++)
		if (parse_stage(c, node(c, p->value), &c->pf->stages[i]) == -1)
			return -1;
	return 0;
}

/* vars: NAME: value, then the --set overrides. */
static int parse_vars(struct ctx *c, const yaml_node_t *n)
{
	yaml_node_pair_t *p;
	size_t cnt;

	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, "vars: expected a mapping of NAME: value");
	cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	c->var_name = calloc(cnt + 1, sizeof(char *));
	c->var_value = calloc(cnt + 1, sizeof(char *));
	if (c->var_name == NULL || c->var_value == NULL)
		return -1;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		const char *name = scalar(k), *val = scalar(v);

		if (name == NULL || !is_name(name, strlen(name)))
			return fail(c, k, "vars: '%s' is not a variable name",
				    name ? name : "?");
		if (val == NULL)
			return fail(c, v, "vars: %s: expected a string or "
				    "number", name);
		c->var_name[c->nvars] = strdup(name);
		c->var_value[c->nvars] = strdup(val);
		c->nvars++;
	}
	return 0;
}

/* counters: a list of names (starting at 0) or a mapping NAME: value. */
static int parse_counters(struct ctx *c, const yaml_node_t *n)
{
	yaml_node_pair_t *p;
	yaml_node_item_t *it;
	size_t cnt;
	long long v;
	char **out;

	if (n->type == YAML_SCALAR_NODE)
		return fail(c, n, "counters: expected a list of names or a "
			    "mapping of NAME: value");
	cnt = n->type == YAML_SEQUENCE_NODE
		      ? (size_t)(n->data.sequence.items.top -
				 n->data.sequence.items.start)
		      : (size_t)(n->data.mapping.pairs.top -
				 n->data.mapping.pairs.start);
	out = calloc(cnt + 1, sizeof(char *));
	if (out == NULL)
		return -1;
	c->pf->counters = out;
	if (n->type == YAML_SEQUENCE_NODE) {
		for (it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			const char *name = scalar(node(c, *it));

			if (name == NULL)
				return fail(c, node(c, *it), "counters: "
					    "expected a name");
			if (asprintf(&out[c->pf->ncounters], "%s=0", name) == -1)
				return -1;
			c->pf->ncounters++;
		}
		return 0;
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		const char *name = scalar(node(c, p->key));

		if (name == NULL ||
		    number(c, node(c, p->value), "counters", -(1LL << 62),
			   1LL << 62, &v) == -1)
			return name == NULL ? fail(c, node(c, p->key),
						   "counters: expected a name")
					    : -1;
		if (asprintf(&out[c->pf->ncounters], "%s=%lld", name, v) == -1)
			return -1;
		c->pf->ncounters++;
	}
	return 0;
}

/* Apply --set NAME=VALUE: only names that vars: declares. */
static int apply_sets(struct ctx *c, char *const *sets, size_t nsets)
{
	const char *eq;
	size_t i, k;

	for (i = 0; i < nsets; i++) {
		eq = strchr(sets[i], '=');
		if (eq == NULL)
			return fail(c, NULL, "--set %s: expected NAME=VALUE",
				    sets[i]);
		for (k = 0; k < c->nvars; k++)
			if (strlen(c->var_name[k]) == (size_t)(eq - sets[i]) &&
			    strncmp(c->var_name[k], sets[i],
				    (size_t)(eq - sets[i])) == 0)
				break;
		if (k == c->nvars)
			return fail(c, NULL, "--set %.*s: no such variable in "
				    "vars:", (int)(eq - sets[i]), sets[i]);
		free(c->var_value[k]);
		c->var_value[k] = strdup(eq + 1);
		if (c->var_value[k] == NULL)
			return -1;
	}
	return 0;
}

/* Depth-first search for a cycle through stage i; state 1: on the path. */
static int has_cycle(const struct pipefile *pf, size_t i, char *state,
		     size_t *at)
{
	const struct pf_stage *st = &pf->stages[i];
	size_t k, dep;

	if (state[i] == 2)
		return 0;
	if (state[i] == 1) {
		*at = i;
		return 1;
	}
	state[i] = 1;
	for (k = 0; k < st->ninputs + st->nafter; k++) {
		if (k < st->ninputs && st->inputs[k].kind != PF_STAGE)
			continue;
		dep = k < st->ninputs ? st->inputs[k].stage
				      : st->after[k - st->ninputs];
		if (has_cycle(pf, dep, state, at))
			return 1;
	}
	state[i] = 2;
	return 0;
}

/* No stage may depend on itself through inputs and after:. */
static int check_cycles(struct ctx *c, const yaml_node_t *stages)
{
	char *state = calloc(c->pf->nstages, 1);
	size_t i, at = 0;
	int cyc = 0;

	if (state == NULL)
		return -1;
	for (i = 0; i < c->pf->nstages && !cyc; i++)
		cyc = has_cycle(c->pf, i, state, &at);
	free(state);
	if (cyc)
		return fail(c, node(c, stages->data.mapping.pairs.start[at].key),
			    "stage '%s' depends on itself (a cycle through "
			    "input: or after:)",
			    c->pf->stages[at].name);
	for (i = 0; i < c->pf->nstages; i++)
		for (at = 0; at < c->pf->stages[i].ninputs; at++)
			if (c->pf->stages[i].inputs[at].kind == PF_STAGE)
				c->pf->stages[c->pf->stages[i].inputs[at].stage]
					.read_by_others = 1;
	for (i = 0; i < c->pf->nstages; i++)
		if (c->pf->stages[i].workers != NULL &&
		    c->pf->stages[i].framing != WPOOL_LINE &&
		    c->pf->stages[i].read_by_others)
			return fail(c,
				    node(c, stages->data.mapping.pairs.start[i]
						    .key),
				    "stage '%s': framing: %s: another stage "
				    "reads its results, as lines (framing: "
				    "line only)",
				    c->pf->stages[i].name,
				    framing_names[c->pf->stages[i].framing]);
	return 0;
}

/* The top level: a mapping with stages: and maybe vars:. */
static int parse_top(struct ctx *c, char *const *sets, size_t nsets)
{
	yaml_node_t *root = yaml_document_get_root_node(&c->doc), *stages = NULL;
	yaml_node_pair_t *p;
	int vars = 0, counters = 0;

	if (root == NULL)
		return fail(c, NULL, "empty pipeline file (expected stages:)");
	if (root->type != YAML_MAPPING_NODE)
		return fail(c, root, "expected a mapping with stages:");
	for (p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key);
		const char *key = scalar(k);

		if (key != NULL &&
		    ((strcmp(key, "stages") == 0 && stages != NULL) ||
		     (strcmp(key, "vars") == 0 && vars++) ||
		     (strcmp(key, "counters") == 0 && counters++)))
			return fail(c, k, "%s given twice", key);
		if (key != NULL && strcmp(key, "stages") == 0)
			stages = node(c, p->value);
		else if (key != NULL && strcmp(key, "vars") == 0) {
			if (parse_vars(c, node(c, p->value)) == -1)
				return -1;
		} else if (key != NULL && strcmp(key, "counters") == 0) {
			if (parse_counters(c, node(c, p->value)) == -1)
				return -1;
		} else if (key != NULL && strncmp(key, "x-", 2) == 0)
			continue; /* a place for anchors, as in Compose files */
		else
			return unknown(c, k, "key", key ? key : "?", top_keys,
				       3);
	}
	if (apply_sets(c, sets, nsets) == -1)
		return -1;
	if (stages == NULL)
		return fail(c, root, "no stages: in the pipeline file");
	if (parse_stages(c, stages) == -1)
		return -1;
	return check_cycles(c, stages);
}

/* The bytes of text under node i, aliases counted as often as they are
 * used (memo[i]: that, plus one; 0 not yet known), capped at limit + 1.
 * The first scalar holding a NUL byte fails. -1 after fail(). */
static int doc_size(struct ctx *c, int i, uint64_t *memo, uint64_t limit,
		    uint64_t *out, int depth)
{
	yaml_node_t *n = node(c, i);
	uint64_t sum = 0, part;
	yaml_node_item_t *it;
	yaml_node_pair_t *p;

	if (n == NULL) {
		*out = 0;
		return 0;
	}
	if (memo[i] != 0) {
		*out = memo[i] - 1;
		return 0;
	}
	if (depth > DEPTH_MAX)
		return fail(c, n, "nested more than %d deep", DEPTH_MAX);
	switch (n->type) {
	case YAML_SCALAR_NODE:
		if (strlen((const char *)n->data.scalar.value) !=
		    n->data.scalar.length)
			return fail(c, n, "a NUL byte in a value (\\0 or "
					  "\\x00): not allowed");
		sum = n->data.scalar.length;
		break;
	case YAML_SEQUENCE_NODE:
		for (it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top && sum <= limit; it++) {
			if (doc_size(c, *it, memo, limit, &part, depth + 1) ==
			    -1)
				return -1;
			sum += part;
		}
		break;
	case YAML_MAPPING_NODE:
		for (p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top && sum <= limit; p++) {
			if (doc_size(c, p->key, memo, limit, &part,
				     depth + 1) == -1)
				return -1;
			sum += part;
			if (doc_size(c, p->value, memo, limit, &part,
				     depth + 1) == -1)
				return -1;
			sum += part;
		}
		break;
	default:
		break;
	}
	if (sum > limit)
		sum = limit + 1;
	memo[i] = sum + 1;
	*out = sum;
	return 0;
}

/* Refuse a document that expands past the budget (a "billion laughs" of
 * aliases) or has a NUL in a value; what is left is the budget for
 * {{vars}}. */
static int check_doc(struct ctx *c, uint64_t file_size)
{
	size_t nodes = (size_t)(c->doc.nodes.top - c->doc.nodes.start);
	uint64_t *memo, size;
	int rc;

	c->budget = file_size * EXPAND_FACTOR;
	if (c->budget < EXPAND_MIN)
		c->budget = EXPAND_MIN;
	if (nodes == 0)
		return 0;
	memo = calloc(nodes + 1, sizeof(*memo));
	if (memo == NULL)
		return -1;
	rc = doc_size(c, 1, memo, c->budget, &size, 0);
	free(memo);
	if (rc == -1)
		return -1;
	if (size > c->budget)
		return fail(c, node(c, 1),
			    "its aliases expand it to more than %llu bytes "
			    "(100 times the file, at least 16 MB)",
			    (unsigned long long)c->budget);
	c->budget -= size;
	return 0;
}

/* YAML's merge key: "<<: *name" (or a list of aliases) in a mapping gives
 * it the pairs of the mapping(s) named whose keys it does not have itself,
 * the first one named first. Done once for the whole document, after
 * check_doc() (no cycle is left; the text merged was counted there), with
 * bounds of its own on the pairs added and the keys compared. */
#define MERGE_PAIRS_MAX 1000000
#define MERGE_WORK_MAX 50000000ULL

struct merge {
	unsigned char *done;
	size_t pairs;
	uint64_t work;
};

static int is_merge_key(const yaml_node_t *k)
{
	return k != NULL && k->type == YAML_SCALAR_NODE &&
	       k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       strcmp((const char *)k->data.scalar.value, "<<") == 0;
}

static int merge_node(struct ctx *c, int i, struct merge *mg);

/* Whether mapping m has the key. */
static int has_key(struct ctx *c, const yaml_node_t *m, const char *key,
		   struct merge *mg)
{
	const yaml_node_pair_t *p;

	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	     p++) {
		const char *k = scalar(node(c, p->key));

		mg->work++;
		if (k != NULL && strcmp(k, key) == 0)
			return 1;
	}
	return 0;
}

/* Add to mapping i the pairs of src (a mapping) whose keys it lacks. */
static int merge_from(struct ctx *c, int i, int src, struct merge *mg)
{
	yaml_node_t *s = node(c, src);
	size_t j, n;

	if (s == NULL || s->type != YAML_MAPPING_NODE)
		return fail(c, s, "<<: expected a mapping (or an alias of "
			    "one), or a list of them");
	if (merge_node(c, src, mg) == -1)
		return -1;
	n = (size_t)(s->data.mapping.pairs.top - s->data.mapping.pairs.start);
	for (j = 0; j < n; j++) {
		yaml_node_pair_t p = s->data.mapping.pairs.start[j];
		const char *key = scalar(node(c, p.key));

		if (key != NULL && has_key(c, node(c, i), key, mg))
			continue;
		if (++mg->pairs > MERGE_PAIRS_MAX || mg->work > MERGE_WORK_MAX)
			return fail(c, s, "<<: the merge keys expand the file "
				    "too much (more than %d pairs, or %llu "
				    "keys compared)", MERGE_PAIRS_MAX,
				    MERGE_WORK_MAX);
		if (!yaml_document_append_mapping_pair(&c->doc, i, p.key,
						       p.value)) {
			errno = ENOMEM;
			return -1;
		}
	}
	return 0;
}

/* Apply the merge keys of node i and of the nodes under it. */
static int merge_node(struct ctx *c, int i, struct merge *mg)
{
	yaml_node_t *n = node(c, i), *v;
	yaml_node_pair_t *r, *w;
	yaml_node_item_t *it;
	int merge = 0;
	size_t j;

	if (n == NULL || mg->done[i])
		return 0;
	mg->done[i] = 1;
	if (n->type == YAML_SEQUENCE_NODE) {
		for (it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++)
			if (merge_node(c, *it, mg) == -1)
				return -1;
		return 0;
	}
	if (n->type != YAML_MAPPING_NODE)
		return 0;
	/* by index: merging appends to this mapping's pairs */
	for (j = 0; n->data.mapping.pairs.start + j < n->data.mapping.pairs.top;
	     j++) {
		yaml_node_pair_t p = n->data.mapping.pairs.start[j];

		if (!is_merge_key(node(c, p.key))) {
			if (merge_node(c, p.value, mg) == -1)
				return -1;
			continue;
		}
		if (merge++)
			return fail(c, node(c, p.key), "<< given twice");
		v = node(c, p.value);
		if (v != NULL && v->type == YAML_SEQUENCE_NODE) {
			for (it = v->data.sequence.items.start;
			     it < v->data.sequence.items.top; it++)
				if (merge_from(c, i, *it, mg) == -1)
					return -1;
		} else if (merge_from(c, i, p.value, mg) == -1)
			return -1;
	}
	/* the << pairs themselves go */
	w = n->data.mapping.pairs.start;
	for (r = w; r < n->data.mapping.pairs.top; r++)
		if (!is_merge_key(node(c, r->key)))
			*w++ = *r;
	n->data.mapping.pairs.top = w;
	return 0;
}

/* Apply every merge key of the document. */
static int merge_doc(struct ctx *c)
{
	struct merge mg = {0};
	size_t nodes = (size_t)(c->doc.nodes.top - c->doc.nodes.start);
	int rc;

	if (nodes == 0)
		return 0;
	mg.done = calloc(nodes + 1, 1);
	if (mg.done == NULL)
		return -1;
	rc = merge_node(c, 1, &mg);
	free(mg.done);
	return rc;
}

/* Is no node of the regular file f nested more than DEPTH_MAX deep?
 * Looked at event by event before the document is loaded: libyaml takes
 * time quadratic in the depth of flow collections to load them, so a
 * small hostile file is refused at its DEPTH_MAX + 1-th level, in
 * milliseconds. 0 (also when the file is not valid YAML: its load says
 * where), or -1 (said); f is rewound. */
static int depth_ok(struct ctx *c, FILE *f)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	size_t open = 0;
	int rc = 0, done = 0;

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	while (!done && rc == 0 && yaml_parser_parse(&parser, &ev)) {
		switch (ev.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			rc = open++ > DEPTH_MAX ? -1 : 0;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			open--;
			break;
		case YAML_SCALAR_EVENT:
		case YAML_ALIAS_EVENT:
			rc = open > DEPTH_MAX ? -1 : 0;
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		if (rc == -1)
			snprintf(c->err, c->errlen,
				 "%s:%zu:%zu: nested more than %d deep",
				 c->path, ev.start_mark.line + 1,
				 ev.start_mark.column + 1, DEPTH_MAX);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	rewind(f);
	errno = EINVAL;
	return rc;
}

/* The line and column (1-based, in bytes) of byte offset off of f. */
static void offset_place(FILE *f, size_t off, size_t *line, size_t *col)
{
	size_t i;
	int ch;

	*line = *col = 1;
	rewind(f);
	for (i = 0; i < off && (ch = getc(f)) != EOF; i++) {
		if (ch == '\n') {
			++*line;
			*col = 1;
		} else {
			++*col;
		}
	}
}

/* A second document after the first: an error at its start (one
 * pipeline a file). 0 if there is none. */
static int no_second_doc(struct ctx *c, yaml_parser_t *parser)
{
	yaml_document_t next;
	yaml_mark_t at;
	int more;

	if (!yaml_parser_load(parser, &next)) {
		more = 1; /* a second one, and not valid YAML either */
		at = parser->problem_mark;
	} else {
		more = yaml_document_get_root_node(&next) != NULL;
		at = next.start_mark;
		yaml_document_delete(&next);
	}
	if (!more)
		return 0;
	snprintf(c->err, c->errlen, "%s:%zu:%zu: a second YAML document "
		 "(a pipeline file holds one)", c->path, at.line + 1,
		 at.column + 1);
	errno = EINVAL;
	return -1;
}

/* Read the YAML document; a syntax error names its place. */
static int load_doc(struct ctx *c)
{
	yaml_parser_t parser;
	FILE *f = fopen(c->path, "r");
	struct stat st;
	uint64_t size = 0;
	size_t line, col;
	int rc = 0;

	if (f == NULL)
		return fail(c, NULL, "%s", strerror(errno));
	if (fstat(fileno(f), &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			fclose(f);
			return fail(c, NULL, "%s", strerror(EISDIR));
		}
		size = st.st_size > 0 ? (uint64_t)st.st_size : 0;
		if (S_ISREG(st.st_mode) && depth_ok(c, f) == -1) {
			fclose(f);
			return -1;
		}
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &c->doc)) {
		line = parser.problem_mark.line + 1;
		col = parser.problem_mark.column + 1;
		/* (the reader's errors, bad bytes, have an offset only) */
		if (parser.error == YAML_READER_ERROR)
			offset_place(f, parser.problem_offset, &line, &col);
		snprintf(c->err, c->errlen, "%s:%zu:%zu: not valid YAML: %s%s%s",
			 c->path, line, col,
			 parser.problem ? parser.problem : "error",
			 parser.context ? " " : "",
			 parser.context ? parser.context : "");
		errno = EINVAL;
		rc = -1;
	} else if (no_second_doc(c, &parser) == -1) {
		yaml_document_delete(&c->doc);
		rc = -1;
	}
	yaml_parser_delete(&parser);
	if (rc == 0) {
		rc = check_doc(c, size);
		if (rc == 0)
			rc = merge_doc(c);
		if (rc == -1)
			yaml_document_delete(&c->doc);
	}
	fclose(f);
	return rc;
}

int pipefile_load(const char *path, char *const *sets, size_t nsets,
		  struct pipefile **out, char *err, size_t errlen)
{
	struct ctx c = {.path = path, .err = err, .errlen = errlen};
	size_t i;
	int rc;

	*out = NULL;
	c.pf = calloc(1, sizeof(*c.pf));
	if (c.pf == NULL)
		return -1;
	if (load_doc(&c) == -1) {
		free(c.pf);
		return -1;
	}
	rc = parse_top(&c, sets, nsets);
	yaml_document_delete(&c.doc);
	for (i = 0; i < c.nvars; i++) {
		free(c.var_name[i]);
		free(c.var_value[i]);
	}
	free(c.var_name);
	free(c.var_value);
	if (rc == -1) {
		if (errno == ENOMEM || err[0] == '\0')
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		pipefile_free(c.pf);
		return -1;
	}
	*out = c.pf;
	return 0;
}

/* Free one stage's contents. */
static void stage_free(struct pf_stage *st)
{
	size_t i, k;

	for (i = 0; i < st->ninputs; i++) {
		for (k = 0; k < st->inputs[i].nvalues; k++)
			free(st->inputs[i].values[k]);
		free(st->inputs[i].values);
		free(st->inputs[i].path);
	}
	for (i = 0; st->env != NULL && st->env[i] != NULL; i++)
		free(st->env[i]);
	free(st->env);
	free(st->inputs);
	free(st->name);
	free(st->cmd);
	free(st->halt_text);
	for (i = 0; i < st->nhosts; i++)
		free(st->hosts[i]);
	free(st->hosts);
	free(st->ssh);
	free(st->slurm_alloc);
	free(st->workers);
	free(st->worker_init);
	free(st->on_success);
	free(st->on_error);
	free(st->after);
	free(st->recend);
	free(st->recstart);
	free(st->header);
}

void pipefile_free(struct pipefile *pf)
{
	size_t i;

	if (pf == NULL)
		return;
	for (i = 0; i < pf->nstages; i++)
		stage_free(&pf->stages[i]);
	for (i = 0; i < pf->ncounters; i++)
		free(pf->counters[i]);
	free(pf->counters);
	free(pf->stages);
	free(pf);
}
