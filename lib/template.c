/* template: a command template with GNU-parallel replacement strings, and
 * its expansion for one job (see template.h for the rules). */
#include "template.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "quote.h"

/* Digits of the widest {#} (unsigned long long) and {%} (unsigned). */
#define SEQ_DIGITS_MAX 20
#define SLOT_DIGITS_MAX 10
/* Positions past this are not replacement strings ({1234567890} is text). */
#define POSITION_MAX 999999999UL

enum seg_kind {
	SEG_TEXT, /* literal template text */
	SEG_ARGS, /* {} {.} {/} {//} {/.}: every argument */
	SEG_POS,  /* {n} {n.} {n/} {n//} {n/.}: the n-th argument */
	SEG_SEQ,  /* {#} */
	SEG_SLOT, /* {%} */
};

enum xform {
	XF_NONE,	  /* the argument as is */
	XF_NOEXT,	  /* {.} */
	XF_BASE,	  /* {/} */
	XF_DIR,		  /* {//} */
	XF_BASE_NOEXT, /* {/.} */
};

/* One piece of a template word. */
struct seg {
	enum seg_kind kind;
	enum xform xf;
	size_t pos;	  /* SEG_POS: 1-based */
	const char *text; /* SEG_TEXT: points into the word's copy */
	size_t len;
};

/* One template word, cut into segments. */
struct word {
	char *src;
	struct seg *segs;
	size_t nsegs;
	int repeat; /* TEMPLATE_CONTEXT: written once per argument */
};

struct template {
	struct word *words;
	size_t nwords;
	int flags;
	int shell;
	size_t nalloc; /* slots in words: the command's words + 1 */
	int has_repl;
	size_t max_pos;
};

/* The state of one expansion: into a shell command, into argv words, or
 * only measured (out == NULL). */
struct emit {
	int shell;
	int quote;	  /* shell: quote argument texts */
	struct buf *out;  /* shell: the command; argv: words, NUL-ended */
	struct buf tmp;	  /* scratch for a transformed argument */
	size_t size;	  /* measuring: bytes written */
	size_t nwords;	  /* argv: words finished */
	int in_word;	  /* argv: a word is started */
	int started;	  /* shell: some text was written */
	int past_first;	  /* shell: a blank followed the first word */
	int qs;		  /* shell: the template's text left us inside
			   * Q_SINGLE or Q_DOUBLE quotes, or Q_NONE */
	int esc;	  /* shell: the last text byte was an escaping \ */
	int dollar;	  /* shell: the last text byte was an unquoted $ */
	int outer[8];	  /* shell: quote states outside each open $( */
	size_t depth;
};

enum { Q_NONE, Q_SINGLE, Q_DOUBLE };

/* Builtins and reserved words that only a shell can run. */
static const char *const shell_only_words[] = {
	"!",	  ".",	      ":",	  "[[",	      "alias",	  "bg",
	"break",  "case",     "cd",	  "command",  "continue", "do",
	"done",	  "elif",     "else",	  "esac",     "eval",	  "exec",
	"exit",	  "export",   "fc",	  "fg",	      "fi",	  "for",
	"function", "getopts", "hash",	  "if",	      "in",	  "jobs",
	"read",	  "readonly", "return",	  "select",   "set",	  "shift",
	"source", "then",     "time",	  "times",    "trap",	  "type",
	"ulimit", "umask",    "unalias",  "unset",    "until",	  "wait",
	"while",  "{",	      "}",
};

/* 1 for a space or a tab. */
static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Parse a transform suffix ("}", ".}", "/}", "//}", "/.}"); its length or 0. */
static size_t parse_xform(const char *s, enum xform *xf)
{
	static const struct {
		const char *s;
		enum xform xf;
	} table[] = {
		{"}", XF_NONE},	 {".}", XF_NOEXT},	 {"/}", XF_BASE},
		{"//}", XF_DIR}, {"/.}", XF_BASE_NOEXT},
	};
	size_t i, n;

	for (i = 0; i < ARRAY_LEN(table); i++) {
		n = strlen(table[i].s);
		if (strncmp(s, table[i].s, n) == 0) {
			*xf = table[i].xf;
			return n;
		}
	}
	return 0;
}

/* Parse a positional {n...} after its '{'; its length or 0. */
static size_t parse_position(const char *s, struct seg *g)
{
	size_t i = 0, n = 0, len;

	while (s[i] >= '0' && s[i] <= '9') {
		n = n * 10 + (size_t)(s[i] - '0');
		if (n > POSITION_MAX)
			return 0;
		i++;
	}
	if (i == 0 || n == 0)
		return 0;
	len = parse_xform(s + i, &g->xf);
	if (len == 0)
		return 0;
	g->kind = SEG_POS;
	g->pos = n;
	return i + len;
}

/* Parse a replacement string at s (a '{'); its length, or 0 if it is text. */
static size_t parse_ref(const char *s, struct seg *g)
{
	size_t len;

	memset(g, 0, sizeof(*g));
	if (strncmp(s, "{#}", 3) == 0 || strncmp(s, "{%}", 3) == 0) {
		g->kind = s[1] == '#' ? SEG_SEQ : SEG_SLOT;
		return 3;
	}
	len = parse_xform(s + 1, &g->xf);
	if (len > 0) {
		g->kind = SEG_ARGS;
		return 1 + len;
	}
	len = parse_position(s + 1, g);
	return len > 0 ? 1 + len : 0;
}

/* Add a text segment for src[from, to) if it is not empty. */
static void word_add_text(struct word *w, size_t from, size_t to)
{
	if (to == from)
		return;
	w->segs[w->nsegs++] = (struct seg){
		.kind = SEG_TEXT, .text = w->src + from, .len = to - from};
}

/* Cut a word into segments. 0 or -1/ENOMEM. */
static int word_parse(struct word *w, const char *src)
{
	size_t i = 0, from = 0, nbraces = 0, len;
	struct seg g;

	w->src = strdup(src);
	for (i = 0; src[i] != '\0'; i++)
		nbraces += src[i] == '{';
	w->segs = calloc(2 * nbraces + 1, sizeof(*w->segs));
	if (w->src == NULL || w->segs == NULL)
		return -1;
	i = 0;
	while (w->src[i] != '\0') {
		len = w->src[i] == '{' ? parse_ref(w->src + i, &g) : 0;
		if (len == 0) {
			i++;
			continue;
		}
		word_add_text(w, from, i);
		w->segs[w->nsegs++] = g;
		i += len;
		from = i;
	}
	word_add_text(w, from, i);
	return 0;
}

/* 1 if a literal text segment has a character only a shell understands. */
static int seg_needs_shell(const struct seg *g)
{
	char *s;
	int r;

	s = strndup(g->text, g->len);
	if (s == NULL)
		return 1; /* the shell form is always correct */
	r = quote_needs_shell(s);
	free(s);
	return r;
}

/* Note what a word's segments need: shell, repetition, positions. */
static void template_scan_word(struct template *t, struct word *w)
{
	size_t i;
	int all = 0, pos = 0;

	for (i = 0; i < w->nsegs; i++) {
		switch (w->segs[i].kind) {
		case SEG_TEXT:
			if (seg_needs_shell(&w->segs[i]))
				t->shell = 1;
			break;
		case SEG_ARGS:
			all = 1;
			break;
		case SEG_POS:
			pos = 1;
			if (w->segs[i].pos > t->max_pos)
				t->max_pos = w->segs[i].pos;
			break;
		default:
			break;
		}
		if (w->segs[i].kind != SEG_TEXT)
			t->has_repl = 1;
	}
	w->repeat = (t->flags & TEMPLATE_CONTEXT) && all && !pos;
}

/* The first blank-delimited token of the command's literal text, cut at a
 * replacement string; *whole is 0 when a replacement string cut it. */
static int template_first_token(const struct template *t, struct buf *tok,
				int *whole)
{
	size_t i, j, k;
	const struct seg *g;

	*whole = 1;
	for (i = 0; i < t->nwords; i++) {
		for (j = 0; j < t->words[i].nsegs; j++) {
			g = &t->words[i].segs[j];
			if (g->kind != SEG_TEXT) {
				*whole = 0;
				return 0;
			}
			for (k = 0; k < g->len; k++) {
				if (is_blank(g->text[k]) && tok->len > 0)
					return 0;
				if (!is_blank(g->text[k]) &&
				    buf_append_char(tok, g->text[k]) == -1)
					return -1;
			}
		}
		if (tok->len > 0)
			return 0;
	}
	return 0;
}

/* 1 if the first word must go to a shell: an assignment or a builtin. */
static int template_first_needs_shell(const struct template *t)
{
	struct buf tok = BUF_INIT;
	size_t i;
	int whole, r = 0;

	if (template_first_token(t, &tok, &whole) == -1) {
		r = 1;
		goto out;
	}
	if (tok.len == 0)
		goto out;
	r = strchr(tok.data, '=') != NULL;
	for (i = 0; whole && !r && i < ARRAY_LEN(shell_only_words); i++)
		r = strcmp(tok.data, shell_only_words[i]) == 0;
out:
	buf_free(&tok);
	return r;
}

/* 1 if the word has nothing but blanks. */
static int word_is_blank(const char *s)
{
	for (; *s != '\0'; s++)
		if (!is_blank(*s))
			return 0;
	return 1;
}

/* Parse every word, appending "{}" when no replacement string is used. */
static int template_parse(struct template *t, char *const *words,
			  size_t nwords)
{
	size_t i;

	for (i = 0; i < nwords; i++) {
		if (word_parse(&t->words[i], words[i]) == -1)
			return -1;
		t->nwords++;
		template_scan_word(t, &t->words[i]);
	}
	if (t->has_repl || (t->flags & TEMPLATE_NO_APPEND))
		return 0;
	if (word_parse(&t->words[nwords], "{}") == -1)
		return -1;
	t->nwords++;
	template_scan_word(t, &t->words[nwords]);
	t->has_repl = 0; /* the command itself has none */
	return 0;
}

/* Build a template from the command words. */
struct template *template_new(char *const *words, size_t nwords, int flags)
{
	struct template *t = NULL;
	size_t i;
	int blank = 1;

	for (i = 0; i < nwords; i++)
		blank = blank && word_is_blank(words[i]);
	if (nwords == 0 || blank) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		goto fail;
	t->flags = flags;
	t->nalloc = nwords + 1;
	t->words = calloc(t->nalloc, sizeof(*t->words));
	if (t->words == NULL || template_parse(t, words, nwords) == -1)
		goto fail;
	if ((flags & (TEMPLATE_SHELL | TEMPLATE_NO_QUOTE)) ||
	    template_first_needs_shell(t))
		t->shell = 1;
	return t;
fail:
	errno = ENOMEM;
	template_free(t);
	return NULL;
}

/* Free a template and its copies of the words. */
void template_free(struct template *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nalloc && t->words != NULL; i++) {
		free(t->words[i].src);
		free(t->words[i].segs);
	}
	free(t->words);
	free(t);
}

/* 1 if the template expands to a command for `sh -c`. */
int template_uses_shell(const struct template *t)
{
	return t->shell;
}

/* 1 if the command words hold a replacement string. */
int template_has_replacement(const struct template *t)
{
	return t->has_repl;
}

/* The highest n of the positional replacement strings, or 0. */
size_t template_max_position(const struct template *t)
{
	return t->max_pos;
}

/* Apply a transform: the result is s[0..*len) or a static string. */
static const char *xform_apply(const char *s, enum xform xf, size_t *len)
{
	const char *p, *dot;
	size_t n = strlen(s);

	if (xf == XF_DIR) {
		while (n > 1 && s[n - 1] == '/')
			n--;
		while (n > 0 && s[n - 1] != '/')
			n--;
		while (n > 1 && s[n - 1] == '/')
			n--;
		*len = n > 0 ? n : 1;
		return n > 0 ? s : ".";
	}
	if (xf == XF_BASE || xf == XF_BASE_NOEXT) {
		p = strrchr(s, '/');
		if (p != NULL) {
			n -= (size_t)(p + 1 - s);
			s = p + 1;
		}
	}
	if (xf == XF_NOEXT || xf == XF_BASE_NOEXT) {
		dot = s + n;
		while (dot > s && dot[-1] != '.' && dot[-1] != '/')
			dot--;
		if (dot > s && dot[-1] == '.')
			n = (size_t)(dot - 1 - s);
	}
	*len = n;
	return s;
}

/* Bytes of an argument's text as the expansion writes it (shell: quoted,
 * plus 2 for the quotes a first word's argument may get). */
static size_t emit_value_cost(const struct template *t, struct buf *tmp,
			      const char *arg, enum xform xf)
{
	size_t n;
	const char *s = xform_apply(arg, xf, &n);

	if (!t->shell || (t->flags & TEMPLATE_NO_QUOTE))
		return n;
	buf_reset(tmp);
	if (buf_append(tmp, s, n) == -1)
		return 4 * n + 4; /* ' becomes '\'': never more than 4 bytes */
	/* The most of the three contexts: plain, in '...', in "..." */
	return quote_shell_len(tmp->data) + 2 > 2 * n
		       ? quote_shell_len(tmp->data) + 2
		       : 2 * n;
}

/* Write bytes to the output (or count them when measuring). */
static int emit_raw(struct emit *e, const char *s, size_t n)
{
	if (e->out == NULL) {
		e->size += n;
		return 0;
	}
	return buf_append(e->out, s, n);
}

/* End the current word: a space (shell) or a finished argv word. */
static int emit_break(struct emit *e)
{
	if (e->shell) {
		e->past_first = e->past_first || e->started;
		return emit_raw(e, " ", 1);
	}
	if (!e->in_word)
		return 0;
	e->in_word = 0;
	e->nwords++;
	return emit_raw(e, "", 1);
}

/* Follow the shell's quoting through the template's own text, so that an
 * argument inside '...' or "..." is still inserted as literal text. */
static void track_quotes(struct emit *e, char ch)
{
	if (e->esc) {
		e->esc = 0;
		return;
	}
	if (e->dollar && ch == '(' && e->depth < 8) {
		e->outer[e->depth++] = e->qs; /* $( starts a new context */
		e->qs = Q_NONE;
	} else if (ch == ')' && e->qs == Q_NONE && e->depth > 0) {
		e->qs = e->outer[--e->depth];
	}
	e->dollar = ch == '$' && e->qs != Q_SINGLE;
	if (ch == '\\' && e->qs != Q_SINGLE)
		e->esc = 1;
	else if (ch == '\'' && e->qs != Q_DOUBLE)
		e->qs = e->qs == Q_SINGLE ? Q_NONE : Q_SINGLE;
	else if (ch == '"' && e->qs != Q_SINGLE)
		e->qs = e->qs == Q_DOUBLE ? Q_NONE : Q_DOUBLE;
}

/* Inside "...": a backslash before $ ` " \ keeps each byte literal. */
static int emit_in_double(struct emit *e, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strchr("$`\"\\", s[i]) != NULL && s[i] != '\0' &&
		    emit_raw(e, "\\", 1) == -1)
			return -1;
		if (emit_raw(e, s + i, 1) == -1)
			return -1;
	}
	return 0;
}

/* Inside '...': close the quotes, write the quoted text, open again. */
static int emit_in_single(struct emit *e)
{
	if (e->out == NULL) {
		e->size += quote_shell_len(e->tmp.data) + 2;
		return 0;
	}
	if (emit_raw(e, "'", 1) == -1 || quote_shell(e->out, e->tmp.data) == -1)
		return -1;
	return emit_raw(e, "'", 1);
}

/* Write literal template text (argv: split on blanks). */
static int emit_text(struct emit *e, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (is_blank(s[i]) && !e->shell) {
			if (emit_break(e) == -1)
				return -1;
			continue;
		}
		if (is_blank(s[i]))
			e->past_first = e->past_first || e->started;
		else
			e->started = 1;
		e->in_word = 1;
		if (e->shell)
			track_quotes(e, s[i]);
		if (emit_raw(e, s + i, 1) == -1)
			return -1;
	}
	return 0;
}

/* Write a number (of {#} or {%}). */
static int emit_number(struct emit *e, unsigned long long v)
{
	char digits[SEQ_DIGITS_MAX + 1];
	size_t i = sizeof(digits);

	do {
		digits[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	e->in_word = 1;
	e->started = 1;
	return emit_raw(e, digits + i, sizeof(digits) - i);
}

/* Write an argument's text s[0..n): one literal piece of one word. */
static int emit_value(struct emit *e, const char *s, size_t n)
{
	int force;

	e->in_word = 1;
	if (!e->shell || !e->quote) {
		e->started = 1;
		return emit_raw(e, s, n);
	}
	if (e->qs == Q_DOUBLE) {
		e->started = 1;
		return emit_in_double(e, s, n);
	}
	buf_reset(&e->tmp);
	if (buf_append(&e->tmp, s, n) == -1)
		return -1;
	if (e->qs == Q_SINGLE) {
		e->started = 1;
		return emit_in_single(e);
	}
	/* In the first word even a plain text is quoted, so that the shell
	 * never reads an input as an assignment or a reserved word. */
	force = !e->past_first && n > 0 && quote_shell_len(e->tmp.data) == n;
	e->started = 1;
	if (e->out == NULL) {
		e->size += quote_shell_len(e->tmp.data) + (force ? 2 : 0);
		return 0;
	}
	if (!force)
		return quote_shell(e->out, e->tmp.data);
	if (buf_reserve(e->out, n + 2) == -1)
		return -1;
	buf_append_char(e->out, '\'');
	buf_append(e->out, s, n);
	return buf_append_char(e->out, '\'');
}

/* Write one argument after its transform. */
static int emit_arg(struct emit *e, const char *arg, enum xform xf)
{
	size_t n;
	const char *s = xform_apply(arg, xf, &n);

	return emit_value(e, s, n);
}

/* Write one segment; only is the argument of a repeated word, or SIZE_MAX. */
static int emit_seg(struct emit *e, const struct seg *g,
		    const struct template_job *job, size_t only)
{
	size_t i;

	switch (g->kind) {
	case SEG_TEXT:
		return emit_text(e, g->text, g->len);
	case SEG_SEQ:
		return emit_number(e, job->seq);
	case SEG_SLOT:
		return emit_number(e, job->slot);
	case SEG_POS:
		if (g->pos > job->nargs)
			return 0;
		return emit_arg(e, job->args[g->pos - 1], g->xf);
	case SEG_ARGS:
		if (only != SIZE_MAX)
			return emit_arg(e, job->args[only], g->xf);
		for (i = 0; i < job->nargs; i++)
			if ((i > 0 && emit_break(e) == -1) ||
			    emit_arg(e, job->args[i], g->xf) == -1)
				return -1;
		return 0;
	}
	return 0;
}

/* Write one word's segments for every argument, or for argument only. */
static int emit_segs(struct emit *e, const struct word *w,
		     const struct template_job *job, size_t only)
{
	size_t i;

	for (i = 0; i < w->nsegs; i++)
		if (emit_seg(e, &w->segs[i], job, only) == -1)
			return -1;
	return 0;
}

/* Write one template word (repeated per argument under TEMPLATE_CONTEXT). */
static int emit_word(struct emit *e, const struct word *w,
		     const struct template_job *job)
{
	size_t i;

	if (!w->repeat || job->nargs == 0)
		return emit_segs(e, w, job, SIZE_MAX);
	for (i = 0; i < job->nargs; i++)
		if ((i > 0 && emit_break(e) == -1) ||
		    emit_segs(e, w, job, i) == -1)
			return -1;
	return 0;
}

/* Write the whole command, words separated by breaks. */
static int emit_template(struct emit *e, const struct template *t,
			 const struct template_job *job)
{
	size_t i;
	int r = -1;

	for (i = 0; i < t->nwords; i++) {
		if (i > 0 && emit_break(e) == -1)
			goto out;
		if (emit_word(e, &t->words[i], job) == -1)
			goto out;
	}
	if (!e->shell && emit_break(e) == -1)
		goto out;
	r = 0;
out:
	buf_free(&e->tmp);
	return r;
}

/* Set up an expansion of t into out (NULL: measure only). */
static struct emit emit_start(const struct template *t, struct buf *out)
{
	return (struct emit){
		.shell = t->shell,
		.quote = !(t->flags & TEMPLATE_NO_QUOTE),
		.out = out,
		.tmp = BUF_INIT,
	};
}

/* The command for `sh -c`, appended to out. */
int template_expand_shell(const struct template *t,
			  const struct template_job *job, struct buf *out)
{
	struct emit e = emit_start(t, out);
	size_t len = out->len;

	e.shell = 1;
	if (emit_template(&e, t, job) == 0)
		return 0;
	out->len = len;
	if (out->data != NULL)
		out->data[len] = '\0';
	errno = ENOMEM;
	return -1;
}

/* Turn NUL-separated words into one NULL-terminated argv allocation. */
static char **argv_pack(const struct buf *words, size_t argc)
{
	size_t i, off = 0;
	char **argv;
	char *s;

	argv = malloc((argc + 1) * sizeof(char *) + words->len);
	if (argv == NULL)
		return NULL;
	s = (char *)(argv + argc + 1);
	if (words->len > 0)
		memcpy(s, words->data, words->len);
	for (i = 0; i < argc; i++) {
		argv[i] = s + off;
		off += strlen(s + off) + 1;
	}
	argv[argc] = NULL;
	return argv;
}

/* The argv of the command, in one allocation. */
int template_expand_argv(const struct template *t,
			 const struct template_job *job, char ***argv_out,
			 size_t *argc_out)
{
	struct buf words = BUF_INIT;
	struct emit e = emit_start(t, &words);
	int r = -1;

	if (t->shell) {
		errno = EINVAL;
		goto out;
	}
	if (emit_template(&e, t, job) == -1)
		goto out;
	if (e.nwords == 0) {
		errno = EINVAL;
		goto out;
	}
	*argv_out = argv_pack(&words, e.nwords);
	if (*argv_out == NULL)
		goto out;
	*argc_out = e.nwords;
	r = 0;
out:
	buf_free(&words);
	return r;
}

/* Blanks in a literal segment: each may start one more argv word. */
static size_t seg_blanks(const struct seg *g)
{
	size_t i, n = 0;

	for (i = 0; i < g->len; i++)
		n += is_blank(g->text[i]);
	return n;
}

/* Bytes of one repetition of a TEMPLATE_CONTEXT word for arg. */
static size_t word_repeat_cost(const struct template *t, const struct word *w,
			       struct buf *tmp, const char *arg)
{
	size_t i, word = t->shell ? 1 : 1 + sizeof(char *);
	size_t c = word;
	const struct seg *g;

	for (i = 0; i < w->nsegs; i++) {
		g = &w->segs[i];
		if (g->kind == SEG_TEXT)
			c += g->len + (t->shell ? 0 : seg_blanks(g) * word);
		else if (g->kind == SEG_SEQ)
			c += SEQ_DIGITS_MAX;
		else if (g->kind == SEG_SLOT)
			c += SLOT_DIGITS_MAX;
		else
			c += emit_value_cost(t, tmp, arg, g->xf);
	}
	return c;
}

/* Upper bound of the bytes one more argument adds. */
size_t template_arg_cost(const struct template *t, const char *arg)
{
	struct buf tmp = BUF_INIT;
	size_t i, j, c = 0, word = t->shell ? 1 : 1 + sizeof(char *);
	const struct word *w;

	for (i = 0; i < t->nwords; i++) {
		w = &t->words[i];
		if (w->repeat) {
			c += word_repeat_cost(t, w, &tmp, arg);
			continue;
		}
		for (j = 0; j < w->nsegs; j++)
			if (w->segs[j].kind == SEG_ARGS ||
			    w->segs[j].kind == SEG_POS)
				c += word + emit_value_cost(t, &tmp, arg,
							    w->segs[j].xf);
	}
	buf_free(&tmp);
	return c;
}

/* Bytes of the expansion with no argument and the widest {#} and {%}. */
size_t template_base_cost(const struct template *t)
{
	struct template_job job = {NULL, 0, ULLONG_MAX, UINT_MAX};
	struct emit e = emit_start(t, NULL);

	/* Measuring with no argument allocates nothing: it cannot fail. */
	(void)emit_template(&e, t, &job);
	if (t->shell)
		return e.size;
	return e.size + e.nwords * sizeof(char *) + sizeof(char *);
}
