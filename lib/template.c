/* template: a command template with GNU-parallel replacement strings, and
 * its expansion for one job (see template.h for the rules). */
#include "template.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "quote.h"
#include "shscan.h"

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
	XF_COUNT
};

/* The variable of argument i after transform xf: _mp1, _mp1_noext, ... */
static const char *const xf_suffix[XF_COUNT] = {"", "_noext", "_base",
						"_dir", "_basenoext"};

/* One piece of a template word. */
struct seg {
	enum seg_kind kind;
	enum xform xf;
	size_t pos;	  /* SEG_POS: 1-based */
	const char *text; /* SEG_TEXT: points into the word's copy */
	size_t len;
	size_t ref;	  /* others: index in the template's refs */
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
	struct shscan_ref *refs; /* where each replacement string stands */
	size_t nrefs;
	char *text; /* the command as one text, for messages */
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
	const struct template *t;
	const struct template_job *job;
	struct template_error *err; /* a value that may not stand here */
	struct buf pre;	  /* shell: the variables holding the inputs */
	unsigned char *assigned; /* shell: [arg * XF_COUNT + xf] in pre */
	size_t line_start; /* shell: where the current output line starts */
	const struct shscan_ref *heredoc; /* shell: a quoted here-document's
					   * line holds an input */
};

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
		g.text = w->src + i; /* its own text, for messages */
		g.len = len;
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

/* 1 if the literal text of the command's first word holds '=' (also after
 * a replacement string, which may write nothing: {2}A=1). */
static int first_word_has_eq(const struct template *t)
{
	size_t i, j, k;
	const struct seg *g;
	int started = 0;

	for (i = 0; i < t->nwords; i++) {
		for (j = 0; j < t->words[i].nsegs; j++) {
			g = &t->words[i].segs[j];
			if (g->kind != SEG_TEXT) {
				started = 1;
				continue;
			}
			for (k = 0; k < g->len; k++) {
				if (is_blank(g->text[k]) && started)
					return 0;
				started |= !is_blank(g->text[k]);
				if (g->text[k] == '=')
					return 1;
			}
		}
		if (started)
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
	r = first_word_has_eq(t);
	if (tok.len == 0 || r)
		goto out;
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

/* Number the replacement strings in the order they stand. */
static int template_number_refs(struct template *t)
{
	size_t i, j;

	for (i = 0; i < t->nwords; i++)
		for (j = 0; j < t->words[i].nsegs; j++)
			if (t->words[i].segs[j].kind == SEG_ARGS ||
			    t->words[i].segs[j].kind == SEG_POS)
				t->words[i].segs[j].ref = t->nrefs++;
	t->refs = calloc(t->nrefs + 1, sizeof(*t->refs));
	return t->refs == NULL ? -1 : 0;
}

/* The command as the shell reads it: the words joined by spaces, each
 * replacement string one item (SHSCAN_REF), with the byte offset of each
 * item in the joined text. {#} and {%} are digits: "0" to the scanner. */
static int template_stream(const struct template *t, int **out,
			   size_t **offs, size_t *n, struct buf *text)
{
	size_t i, j, k, cap = 1;
	const struct seg *g;

	for (i = 0; i < t->nwords; i++)
		cap += strlen(t->words[i].src) + 1;
	*out = malloc(cap * sizeof(**out));
	*offs = malloc(cap * sizeof(**offs));
	*n = 0;
	if (*out == NULL || *offs == NULL)
		return -1;
	for (i = 0; i < t->nwords; i++) {
		if (i > 0) {
			(*offs)[*n] = text->len;
			(*out)[(*n)++] = ' ';
			if (buf_append_char(text, ' ') == -1)
				return -1;
		}
		for (j = 0; j < t->words[i].nsegs; j++) {
			g = &t->words[i].segs[j];
			if (g->kind == SEG_TEXT) {
				for (k = 0; k < g->len; k++) {
					(*offs)[*n] = text->len + k;
					(*out)[(*n)++] = (unsigned char)g->text[k];
				}
				if (buf_append(text, g->text, g->len) == -1)
					return -1;
				continue;
			}
			(*offs)[*n] = text->len;
			(*out)[(*n)++] = g->kind == SEG_SEQ || g->kind == SEG_SLOT
						 ? '0'
						 : SHSCAN_REF(g->ref);
			if (buf_append(text, g->text, g->len) == -1)
				return -1;
		}
	}
	return 0;
}

/* Fill err's line, column and line text for byte off of text. */
static void error_place(struct template_error *err, const char *text,
			size_t len, size_t off)
{
	size_t i, start = 0, end;

	if (off > len)
		off = len;
	err->line = 1;
	for (i = 0; i < off; i++)
		if (text[i] == '\n') {
			err->line++;
			start = i + 1;
		}
	err->col = off - start + 1;
	end = start;
	while (end < len && text[end] != '\n')
		end++;
	snprintf(err->text, sizeof(err->text), "%.*s", (int)(end - start),
		 text + start);
}

/* Find where each replacement string stands in the shell's grammar;
 * refuse the template where an input could become code. */
static int template_scan(struct template *t, struct template_error *err)
{
	struct template_error dummy;
	struct shscan_error se;
	struct buf text = BUF_INIT;
	size_t n = 0, i, k;
	size_t *offs = NULL;
	int *stream = NULL, rc = -1;

	if (err == NULL)
		err = &dummy;
	if (template_stream(t, &stream, &offs, &n, &text) == -1)
		goto out;
	t->text = strdup(text.data != NULL ? text.data : "");
	if (t->text == NULL)
		goto out;
	if (shscan(stream, n, t->refs, t->nrefs, &se) == 0) {
		for (k = 0; k < t->nrefs; k++)
			if (!t->refs[k].seen)
				break;
			else /* from now on, a byte offset in text */
				t->refs[k].pos = t->refs[k].pos < n
							 ? offs[t->refs[k].pos]
							 : text.len;
		rc = 0;
		if (k == t->nrefs)
			goto out;
		se.pos = n;
		for (i = 0; i < n; i++)
			if (stream[i] == SHSCAN_REF(k))
				se.pos = i;
		snprintf(se.msg, sizeof(se.msg),
			 "where {} stands is not understood");
	} else if (errno != EINVAL) {
		goto out;
	}
	memset(err, 0, sizeof(*err));
	snprintf(err->msg, sizeof(err->msg), "%s", se.msg);
	error_place(err, text.data != NULL ? text.data : "", text.len,
		    se.pos < n ? offs[se.pos] : text.len);
	errno = EINVAL;
	rc = -1;
out:
	free(stream);
	free(offs);
	buf_free(&text);
	return rc;
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
	if (!t->has_repl && !(t->flags & TEMPLATE_NO_APPEND)) {
		if (word_parse(&t->words[nwords], "{}") == -1)
			return -1;
		t->nwords++;
		template_scan_word(t, &t->words[nwords]);
		t->has_repl = 0; /* the command itself has none */
	}
	return template_number_refs(t);
}

/* Build a template from the command words. */
struct template *template_new(char *const *words, size_t nwords, int flags,
			      struct template_error *err)
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
	if (!(flags & TEMPLATE_NO_QUOTE) && template_scan(t, err) == -1) {
		template_free(t);
		return NULL;
	}
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
	shscan_refs_free(t->refs, t->nrefs);
	free(t->refs);
	free(t->text);
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

/* The most bytes a reference to a variable takes: '"${_mp4294967295_basenoext}"'. */
#define REF_COST 34

/* Bytes of an argument's text as the expansion writes it (shell: inline
 * and quoted, or a reference plus its assignment). */
static size_t emit_value_cost(const struct template *t, struct buf *tmp,
			      const char *arg, enum xform xf)
{
	size_t n;
	const char *s = xform_apply(arg, xf, &n);

	if (!t->shell || (t->flags & TEMPLATE_NO_QUOTE))
		return n;
	if (quote_is_plain(s, n))
		return n + 2;
	buf_reset(tmp);
	if (buf_append(tmp, s, n) == -1)
		return 4 * n + 2 * REF_COST; /* ' becomes '\'' */
	/* a quoted here-document's line takes the text as it is */
	return quote_shell_len(tmp->data) + n + 2 * REF_COST;
}

/* A quoted here-document's line ended at out[end]: may not be its
 * delimiter. */
static void emit_check_line(struct emit *e, size_t end)
{
	const struct shscan_ref *r = e->heredoc;
	const char *line = e->out->data + e->line_start;
	size_t len = end - e->line_start;

	if (r->strip_tabs)
		while (len > 0 && *line == '\t') {
			line++;
			len--;
		}
	if (len != strlen(r->delim) || memcmp(line, r->delim, len) != 0 ||
	    e->err == NULL || e->err->msg[0] != '\0')
		return;
	snprintf(e->err->msg, sizeof(e->err->msg),
		 "an input would end the here-document early (a line of it "
		 "is the delimiter '%s')",
		 r->delim);
	e->err->pos = r->pos;
}

/* Write bytes to the output (or count them when measuring). */
static int emit_raw(struct emit *e, const char *s, size_t n)
{
	size_t base, k;

	if (e->out == NULL) {
		e->size += n;
		return 0;
	}
	base = e->out->len;
	if (buf_append(e->out, s, n) == -1)
		return -1;
	if (!e->shell)
		return 0;
	for (k = 0; k < n; k++) {
		if (s[k] != '\n')
			continue;
		if (e->heredoc != NULL)
			emit_check_line(e, base + k);
		e->line_start = base + k + 1;
	}
	return 0;
}

/* End the current word: a space (shell) or a finished argv word. */
static int emit_break(struct emit *e)
{
	if (e->shell)
		return emit_raw(e, " ", 1);
	if (!e->in_word)
		return 0;
	e->in_word = 0;
	e->nwords++;
	return emit_raw(e, "", 1);
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
		e->in_word = 1;
		if (emit_raw(e, s + i, 1) == -1)
			return -1;
		if (s[i] == '\n')
			e->heredoc = NULL;
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
	return emit_raw(e, digits + i, sizeof(digits) - i);
}

/* 1 if s[0..n) is an integer: an optional sign and decimal digits. */
static int is_integer(const char *s, size_t n)
{
	size_t i = n > 0 && (s[0] == '-' || s[0] == '+');

	if (i == n)
		return 0;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Refuse a value for the job: err says why. -1 with errno EDOM. */
static int emit_refuse(struct emit *e, const struct shscan_ref *r,
		       const char *s, size_t n, const char *why)
{
	size_t shown = n > 60 ? 60 : n, i;
	char v[61];

	for (i = 0; i < shown; i++)
		v[i] = (unsigned char)s[i] < ' ' || s[i] == 0x7f ? '?' : s[i];
	v[shown] = '\0';
	if (e->err != NULL && e->err->msg[0] == '\0') {
		snprintf(e->err->msg, sizeof(e->err->msg), "input '%s%s' %s",
			 v, n > shown ? "..." : "", why);
		e->err->pos = r->pos;
	}
	errno = EDOM;
	return -1;
}

/* The value s[0..n) may stand where r says: 0, or -1/EDOM. */
static int emit_check(struct emit *e, const struct shscan_ref *r,
		      const char *s, size_t n)
{
	if (r->check == SHCHK_NUMBER && !is_integer(s, n))
		return emit_refuse(e, r, s, n,
				   "is not an integer: there it is read as "
				   "arithmetic or as code, where bash would run "
				   "code in it");
	if (r->check == SHCHK_NO_DASH && n > 0 && s[0] == '-')
		return emit_refuse(e, r, s, n,
				   "starts with '-': there it would be read "
				   "as an option of ssh");
	return 0;
}

/* Assign the variable of argument i after xf in the preamble, once. */
static int emit_assign(struct emit *e, size_t i, enum xform xf,
		       const char *name)
{
	size_t slot = i * XF_COUNT + xf;

	if (e->assigned == NULL) {
		e->assigned = calloc(e->job->nargs * XF_COUNT, 1);
		if (e->assigned == NULL)
			return -1;
	}
	if (e->assigned[slot])
		return 0;
	e->assigned[slot] = 1;
	if (buf_printf(&e->pre, "%s%s=", e->pre.len > 0 ? " " : "", name) ==
	    -1)
		return -1;
	return quote_shell(&e->pre, e->tmp.data);
}

/* 1 if s[0..n) is one of the shell's reserved words. */
static int is_reserved_word(const char *s, size_t n)
{
	static const char *const words[] = {
		"!", "{", "}", "[[", "]]", "case", "coproc", "do", "done",
		"elif", "else", "esac", "fi", "for", "function", "if", "in",
		"select", "then", "time", "until", "while",
	};
	size_t k;

	for (k = 0; k < ARRAY_LEN(words); k++)
		if (strlen(words[k]) == n && memcmp(words[k], s, n) == 0)
			return 1;
	return 0;
}

/* Write an input's text s[0..n) (argument i after xf) where r stands, as
 * data: inline when its characters mean themselves everywhere, else as a
 * reference to a variable that holds it. */
static int emit_shell_value(struct emit *e, const struct shscan_ref *r,
			    size_t i, enum xform xf, const char *s, size_t n,
			    int first)
{
	/* What goes before and after ${name}, by context. */
	static const char *const ref_quote[][2] = {
		[SHCTX_WORD] = {"\"", "\""},    [SHCTX_DQUOTE] = {"", ""},
		[SHCTX_SQUOTE] = {"'\"", "\"'"}, [SHCTX_HEREDOC] = {"", ""},
		[SHCTX_COMMENT] = {"\"", "\""},
	};
	char name[48];
	struct buf ref = BUF_INIT;
	int rc;

	if (r->ctx == SHCTX_HEREDOC_RAW) {
		e->heredoc = r;
		return emit_raw(e, s, n);
	}
	/* The template's backslash stands before the first value only. */
	if (first && r->escaped && r->ctx != SHCTX_SQUOTE &&
	    r->ctx != SHCTX_COMMENT && emit_raw(e, "\\", 1) == -1)
		return -1;
	if (quote_is_plain(s, n)) {
		/* A command's name is quoted: never a keyword or A=1; so is
		 * a keyword or an assignment anywhere in a word (after
		 * time -p, coproc, ...). */
		if (r->ctx == SHCTX_WORD &&
		    (r->cmd_name || memchr(s, '=', n) != NULL ||
		     is_reserved_word(s, n)))
			return emit_raw(e, "'", 1) || emit_raw(e, s, n) ||
			       emit_raw(e, "'", 1) ? -1 : 0;
		return emit_raw(e, s, n);
	}
	snprintf(name, sizeof(name), "_mp%zu%s", i + 1, xf_suffix[xf]);
	buf_reset(&e->tmp);
	if (buf_append(&e->tmp, s, n) == -1 || emit_assign(e, i, xf, name) == -1)
		return -1;
	if (buf_printf(&ref, "%s${%s}%s", ref_quote[r->ctx][0], name,
		       ref_quote[r->ctx][1]) == -1)
		return -1;
	rc = emit_raw(e, ref.data, ref.len);
	buf_free(&ref);
	return rc;
}

/* Write argument i after its transform, where the reference g stands;
 * first: the first value written for g (a backslash before g is its). */
static int emit_arg(struct emit *e, const struct seg *g, size_t i, int first)
{
	const struct shscan_ref *r = &e->t->refs[g->ref];
	size_t n;
	const char *s = xform_apply(e->job->args[i], g->xf, &n);

	e->in_word = 1;
	if (e->quote && emit_check(e, r, s, n) == -1)
		return -1;
	if (!e->shell || !e->quote)
		return emit_raw(e, s, n);
	return emit_shell_value(e, r, i, g->xf, s, n, first);
}

/* A replacement string with no value writes nothing; but a backslash of
 * the template before it must not escape what follows: it is doubled. */
static int emit_no_value(struct emit *e, const struct seg *g)
{
	const struct shscan_ref *r = &e->t->refs[g->ref];

	if (!e->shell || !e->quote || !r->escaped || r->ctx == SHCTX_SQUOTE ||
	    r->ctx == SHCTX_COMMENT || r->ctx == SHCTX_HEREDOC_RAW)
		return 0;
	return emit_raw(e, "\\", 1);
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
			return emit_no_value(e, g);
		return emit_arg(e, g, g->pos - 1, 1);
	case SEG_ARGS:
		if (only != SIZE_MAX)
			return emit_arg(e, g, only, 1);
		if (job->nargs == 0)
			return emit_no_value(e, g);
		for (i = 0; i < job->nargs; i++)
			if ((i > 0 && emit_break(e) == -1) ||
			    emit_arg(e, g, i, i == 0) == -1)
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
static struct emit emit_start(const struct template *t,
			      const struct template_job *job, struct buf *out,
			      struct template_error *err)
{
	if (err != NULL)
		memset(err, 0, sizeof(*err));
	return (struct emit){
		.shell = t->shell,
		.quote = !(t->flags & TEMPLATE_NO_QUOTE),
		.out = out,
		.tmp = BUF_INIT,
		.t = t,
		.job = job,
		.err = err,
		.pre = BUF_INIT,
	};
}

/* After a refused value: where it stands, for the message. */
static void emit_place_error(const struct emit *e)
{
	if (e->err != NULL && e->err->msg[0] != '\0' && e->t->text != NULL)
		error_place(e->err, e->t->text, strlen(e->t->text),
			    e->err->pos);
}

/* The command for `sh -c`, appended to out: the variables that hold the
 * inputs, then the command. */
int template_expand_shell(const struct template *t,
			  const struct template_job *job, struct buf *out,
			  struct template_error *err)
{
	struct buf body = BUF_INIT;
	struct emit e = emit_start(t, job, &body, err);
	int rc = -1, saved;

	e.shell = 1;
	if (emit_template(&e, t, job) == -1)
		goto out;
	if (e.err != NULL && e.err->msg[0] != '\0') {
		errno = EDOM;
		goto out;
	}
	if (e.pre.len > 0 && (buf_append(out, e.pre.data, e.pre.len) == -1 ||
			      buf_append(out, "; ", 2) == -1))
		goto out;
	if (body.len > 0 && buf_append(out, body.data, body.len) == -1)
		goto out;
	if (out->data == NULL && buf_append(out, "", 0) == -1)
		goto out;
	rc = 0;
out:
	saved = errno;
	emit_place_error(&e);
	buf_free(&body);
	buf_free(&e.pre);
	free(e.assigned);
	errno = rc == 0 ? errno : (saved == EDOM ? EDOM : ENOMEM);
	return rc;
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
			 size_t *argc_out, struct template_error *err)
{
	struct buf words = BUF_INIT;
	struct emit e = emit_start(t, job, &words, err);
	int r = -1;

	if (t->shell) {
		errno = EINVAL;
		goto out;
	}
	if (emit_template(&e, t, job) == -1) {
		emit_place_error(&e);
		goto out;
	}
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
	struct emit e = emit_start(t, &job, NULL, NULL);

	/* Measuring with no argument allocates nothing: it cannot fail. */
	(void)emit_template(&e, t, &job);
	if (t->shell)
		return e.size + 2; /* the "; " after the variables */
	return e.size + e.nwords * sizeof(char *) + sizeof(char *);
}

/* "at LINE:COL: MSG" and, on two more lines, the command's line and a
 * caret under the place. 0 or -1/ENOMEM. */
int template_error_format(const struct template_error *err, struct buf *out)
{
	size_t col = err->col > 0 ? err->col - 1 : 0;

	if (col > strlen(err->text))
		col = strlen(err->text);
	return buf_printf(out, "at %zu:%zu: %s\n    %s\n    %*s^", err->line,
			  err->col, err->msg, err->text, (int)col, "");
}
