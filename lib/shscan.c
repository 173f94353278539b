/* shscan: the shell context of each replacement string of a template, and
 * the refusal of templates where an input would become code (shscan.h). */
#include "shscan.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define DEPTH_MAX 64	/* nesting of $( ), ( ), ` `, ${ } */
#define PENDING_MAX 8	/* here-documents waiting for their body */
#define WORDS_MAX 512	/* words of one simple command */
#define LIT_MAX 64	/* literal text kept of a word */
#define DELIM_MAX 256	/* length of a here-document delimiter */
#define NAMES_MAX 64	/* variables followed from assignment to arithmetic */
#define VARS_MAX 6	/* variables read by one word that are followed */
#define VAR_MAX 32	/* length of such a variable's name */
#define ARGS_MAX 16	/* arguments of a function call that are followed */

#define SAFE_SH "sh -c '... \"$1\" ...' sh {}"

enum end { END_EOF, END_PAREN, END_CASE_ITEM };

/* A here-document waiting for the next newline. */
struct heredoc {
	char delim[DELIM_MAX + 1];
	int quoted, strip_tabs;
	size_t pos;
};

/* What a command's rules need of one word. */
struct word {
	size_t pos, end;	/* stream positions of its start and end */
	char lit[LIT_MAX + 1];	/* its text after quote removal ... */
	int literal;		/* ... complete: no expansion, no reference */
	size_t ref_from, ref_to; /* refs seen inside: seen[ref_from..ref_to) */
	int ref_before_eq;	/* a reference before its first unquoted '=' */
	int eq;			/* an unquoted '=' was seen */
	int reads_args;		/* it reads $1, $@, $* ... */
	char vars[VARS_MAX][VAR_MAX + 1]; /* the variables it reads ... */
	unsigned char nvars, nvars_before_eq; /* ... (before its '=') */
	int digits;		/* only digits (an fd number before < or >) */
	int array;		/* NAME=(...): its references are the values */
};

/* Variables that hold an input, and names read by arithmetic: bash reads a
 * variable's value in arithmetic as an expression (with code in array
 * subscripts), so an input assigned to a name that arithmetic reads must be
 * a number. */
struct taint {
	struct {
		char name[LIT_MAX + 1];
		size_t from, to; /* seen[from..to) */
	} assign[NAMES_MAX];
	size_t nassign;
	char arith[NAMES_MAX][LIT_MAX + 1];
	size_t narith;
	/* In a script of sh -c: names assigned from the positional
	 * parameters ($1, "$@", for NAME; do ...). */
	char from_args[NAMES_MAX][LIT_MAX + 1];
	size_t nfrom_args;
	/* functions the template defines, and calls that set $1...: of a
	 * defined function, or of set -- */
	char funcs[NAMES_MAX][LIT_MAX + 1];
	size_t nfuncs;
	struct {
		char name[LIT_MAX + 1];
		size_t from[ARGS_MAX], to[ARGS_MAX]; /* $1... in seen[] */
		size_t nargs;
	} calls[NAMES_MAX];
	size_t ncalls;
	/* NAME=...$v...: what is read of NAME is read of v */
	struct {
		char name[LIT_MAX + 1], var[VAR_MAX + 1];
	} copy[NAMES_MAX];
	size_t ncopy;
	/* shift or set -- moved the positional parameters: $N is not the
	 * N-th argument any more (any of them may be) */
	int shifted;
};

struct sc {
	const int *s;
	const size_t *map; /* stream positions of s[] in the outer stream */
	size_t n, i;
	struct shscan_ref *refs;
	size_t nrefs;
	size_t *seen; /* references in the order they were reached */
	size_t *nseen;
	struct shscan_error *err;
	int depth;
	int in_bq; /* inside backquotes */
	struct heredoc pend[PENDING_MAX];
	size_t npend;
	struct word *words; /* the current simple command */
	size_t nwords, words_cap;
	int cmd_start; /* the next word is in command position */
	struct taint *taint; /* shared by nested scanners */
	int in_arith;	     /* inside arithmetic */
	unsigned pos_reads;  /* $1, $@, $* ... read so far */
	struct word *cur_word; /* the word being scanned, or NULL */
	char for_name[LIT_MAX + 1]; /* for NAME in ...: the words assign it */
	int plain_cmd; /* the words form a simple command (not for/case...) */
};

static int scan_list(struct sc *c, enum end end);
static int is_name_char(int x, int first);

/* The item at offset k from the cursor, or -1 past the end. */
static int ch(const struct sc *c, size_t k)
{
	return c->i + k < c->n ? c->s[c->i + k] : -1;
}

/* 1 if x is a reference. */
static int is_ref(int x)
{
	return x >= 256;
}

/* Outer stream position of inner position p. */
static size_t pos_of(const struct sc *c, size_t p)
{
	if (c->map == NULL)
		return p;
	return p < c->n ? c->map[p] : (c->n > 0 ? c->map[c->n - 1] + 1 : 0);
}

/* Refuse the template: the message for position p (inner). */
static int fail(struct sc *c, size_t p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct sc *c, size_t p, const char *fmt, ...)
{
	va_list ap;

	if (c->err->msg[0] == '\0') {
		c->err->pos = pos_of(c, p);
		va_start(ap, fmt);
		vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
		va_end(ap);
	}
	errno = EINVAL;
	return -1;
}

/* Note a reference reached in context ctx. */
static void ref_seen(struct sc *c, int x, enum shscan_ctx ctx, int escaped)
{
	size_t k = (size_t)(x - 256);
	struct shscan_ref *r;

	if (k >= c->nrefs)
		return;
	r = &c->refs[k];
	if (escaped && c->in_bq)
		fail(c, c->i, "a backslash right before {} inside backquotes: "
			      "use $( ) instead of backquotes");
	r->ctx = ctx;
	r->escaped = escaped;
	r->pos = pos_of(c, c->i);
	r->seen = 1;
	c->seen[(*c->nseen)++] = k;
}

/* Mark the references seen[from..to) with a check. */
static void refs_check(struct sc *c, size_t from, size_t to,
		       enum shscan_check chk)
{
	if (to > *c->nseen) /* SIZE_MAX: every reference */
		to = *c->nseen;
	for (; from < to; from++)
		c->refs[c->seen[from]].check = chk;
}

/* Note that NAME holds the inputs seen[from..to) (an assignment). */
static void taint_assign(struct sc *c, const char *name, size_t len,
			 size_t from, size_t to)
{
	struct taint *t = c->taint;
	const char *sub = memchr(name, '[', len);

	if (sub != NULL) /* a[0]=...: what arithmetic reads of a */
		len = (size_t)(sub - name);
	if (from == to || len == 0 || len > LIT_MAX)
		return;
	if (t->nassign == NAMES_MAX) {
		/* No room to follow it: treat it as read by arithmetic. */
		refs_check(c, from, to, SHCHK_NUMBER);
		return;
	}
	memcpy(t->assign[t->nassign].name, name, len);
	t->assign[t->nassign].name[len] = '\0';
	t->assign[t->nassign].from = from;
	t->assign[t->nassign].to = to;
	t->nassign++;
}

/* Note that arithmetic reads the variable NAME. */
static void taint_arith(struct sc *c, const char *name, size_t len)
{
	struct taint *t = c->taint;

	if (len == 0 || len > LIT_MAX)
		return;
	if (t->narith == NAMES_MAX) {
		t->narith = NAMES_MAX + 1; /* too many: every name counts */
		return;
	}
	if (t->narith > NAMES_MAX)
		return;
	memcpy(t->arith[t->narith], name, len);
	t->arith[t->narith][len] = '\0';
	t->narith++;
}

/* The identifiers of a literal text, each read by arithmetic. */
static void taint_arith_text(struct sc *c, const char *s)
{
	size_t k;

	while (*s != '\0') {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    *s == '_') {
			for (k = 0; s[k] != '\0' &&
				    ((s[k] >= 'a' && s[k] <= 'z') ||
				     (s[k] >= 'A' && s[k] <= 'Z') || s[k] == '_' ||
				     (s[k] >= '0' && s[k] <= '9'));
			     k++)
				;
			taint_arith(c, s, k);
			s += k;
		} else {
			s++;
		}
	}
}

/* Note that NAME is assigned from the positional parameters. */
static void taint_from_args(struct sc *c, const char *name, size_t len)
{
	struct taint *t = c->taint;

	if (len == 0 || len > LIT_MAX || t->nfrom_args == NAMES_MAX)
		return;
	memcpy(t->from_args[t->nfrom_args], name, len);
	t->from_args[t->nfrom_args++][len] = '\0';
}

/* Note that the word being scanned reads the variable NAME. */
static void note_var(struct sc *c, const char *name, size_t len)
{
	struct word *w = c->cur_word;

	if (w == NULL || len == 0)
		return;
	if (w->nvars == VARS_MAX || len > VAR_MAX) {
		/* Too many to follow: every name counts as read. */
		c->taint->narith = NAMES_MAX + 1;
		return;
	}
	memcpy(w->vars[w->nvars], name, len);
	w->vars[w->nvars][len] = '\0';
	w->nvars++;
	if (!w->eq)
		w->nvars_before_eq = w->nvars;
}

/* The word w is read as code (or as a variable's name): an input held by
 * a variable it reads must be a number. */
static void word_vars_number(struct sc *c, const struct word *w,
			     size_t nvars)
{
	size_t k;

	for (k = 0; k < nvars; k++)
		taint_arith(c, w->vars[k], strlen(w->vars[k]));
}

/* The word w is read as code: 1 if it holds a reference (to be refused);
 * the inputs in variables it reads must be numbers. */
static int code_ref(struct sc *c, const struct word *w)
{
	word_vars_number(c, w, w->nvars);
	return w->ref_to > w->ref_from;
}

/* NAME is assigned a text that reads the variables of word w. */
static void taint_copy(struct sc *c, const char *name, size_t len,
		       const struct word *w)
{
	struct taint *t = c->taint;
	size_t k;

	for (k = 0; k < w->nvars && len > 0 && len <= LIT_MAX; k++) {
		if (t->ncopy == NAMES_MAX) {
			t->narith = NAMES_MAX + 1; /* cannot follow: all */
			return;
		}
		memcpy(t->copy[t->ncopy].name, name, len);
		t->copy[t->ncopy].name[len] = '\0';
		snprintf(t->copy[t->ncopy].var, sizeof(t->copy[0].var), "%s",
			 w->vars[k]);
		t->ncopy++;
	}
}

/* NAME=VALUE where VALUE is a plain name (y=x, declare -n r=x): what is
 * read of NAME as arithmetic or code is read of that name too. */
static void taint_copy_name(struct sc *c, const char *name, size_t len,
			    const struct word *w)
{
	struct taint *t = c->taint;
	const char *v = strchr(w->lit, '=');
	size_t k;

	if (!w->literal || v == NULL || !is_name_char(v[1], 1) || len == 0 ||
	    len > LIT_MAX)
		return;
	for (k = 2; v[k] != '\0'; k++)
		if (!is_name_char(v[k], 0))
			return;
	if (k - 1 > VAR_MAX)
		return;
	if (t->ncopy == NAMES_MAX) {
		t->narith = NAMES_MAX + 1; /* cannot follow: all */
		return;
	}
	memcpy(t->copy[t->ncopy].name, name, len);
	t->copy[t->ncopy].name[len] = '\0';
	snprintf(t->copy[t->ncopy].var, sizeof(t->copy[0].var), "%s", v + 1);
	t->ncopy++;
}

/* 1 if reading r may read any positional parameter: $@, $*, bash's
 * BASH_ARGV, a name set from them (for NAME; do), or $N once shift or set
 * moved them. */
static int reads_any_arg(const struct taint *t, const char *r)
{
	size_t a;

	if (*r == '@' || *r == '*' || strcmp(r, "BASH_ARGV") == 0 ||
	    (t->shifted && *r >= '1' && *r <= '9'))
		return 1;
	for (a = 0; a < t->nfrom_args; a++)
		if (strcmp(t->from_args[a], r) == 0)
			return 1;
	return 0;
}

/* 1 if arithmetic (or code) reads the variable name. */
static int taint_is_read(const struct taint *t, const char *name)
{
	size_t b;

	if (t->narith > NAMES_MAX)
		return 1;
	for (b = 0; b < t->narith; b++)
		if (strcmp(t->arith[b], name) == 0)
			return 1;
	return 0;
}

/* y=$x and y is read: x is read too (to a fixed point). */
static void taint_close(struct sc *c)
{
	struct taint *t = c->taint;
	size_t a;
	int more = 1;

	while (more && t->narith <= NAMES_MAX) {
		more = 0;
		for (a = 0; a < t->ncopy; a++)
			if (taint_is_read(t, t->copy[a].name) &&
			    !taint_is_read(t, t->copy[a].var)) {
				taint_arith(c, t->copy[a].var,
					    strlen(t->copy[a].var));
				more = 1;
			}
	}
}

/* Note a function the template defines. */
static void taint_func(struct sc *c, const char *name)
{
	struct taint *t = c->taint;

	if (t->nfuncs < NAMES_MAX)
		snprintf(t->funcs[t->nfuncs++], sizeof(t->funcs[0]), "%s",
			 name);
	else
		t->ncalls = NAMES_MAX + 1; /* cannot follow: every call */
}

/* A command with inputs in its arguments may be a call of a function of
 * the template, or set --: what $1... read then is those inputs. */
static void taint_call(struct sc *c, const struct word *w, size_t n)
{
	struct taint *t = c->taint;
	size_t j = 1, k;

	if (w[0].literal && (strcmp(w[0].lit, "shift") == 0 ||
			     (strcmp(w[0].lit, "set") == 0 && n > 1 &&
			      w[n - 1].reads_args)))
		t->shifted = 1;
	if (!w[0].literal || n < 2 || w[n - 1].ref_to == w[1].ref_from)
		return;
	if (t->ncalls >= NAMES_MAX) {
		t->ncalls = NAMES_MAX + 1;
		return;
	}
	if (strcmp(w[0].lit, "set") == 0) {
		while (j < n && (w[j].lit[0] == '-' || w[j].lit[0] == '+') &&
		       w[j].ref_to == w[j].ref_from)
			if (strcmp(w[j++].lit, "--") == 0)
				break;
	}
	snprintf(t->calls[t->ncalls].name, sizeof(t->calls[0].name), "%s",
		 w[0].lit);
	for (k = 0; j < n; j++, k++) {
		if (k == ARGS_MAX - 1) { /* the last slot: all the rest */
			t->calls[t->ncalls].from[k] = w[j].ref_from;
			t->calls[t->ncalls].to[k] = w[n - 1].ref_to;
			k++;
			break;
		}
		t->calls[t->ncalls].from[k] = w[j].ref_from;
		t->calls[t->ncalls].to[k] = w[j].ref_to;
	}
	t->calls[t->ncalls++].nargs = k;
}

/* The arguments of the calls whose $N (or $@, $*) is read as arithmetic
 * or code must be numbers. */
static void taint_apply_calls(struct sc *c)
{
	struct taint *t = c->taint;
	size_t a, b, f, p;
	int defined;

	if (t->ncalls > NAMES_MAX) { /* not followed: any $N read counts */
		for (b = 0; b < t->narith && b < NAMES_MAX; b++)
			if (strchr("0123456789@*", t->arith[b][0]) != NULL)
				refs_check(c, 0, *c->nseen, SHCHK_NUMBER);
		return;
	}
	for (a = 0; a < t->ncalls; a++) {
		defined = strcmp(t->calls[a].name, "set") == 0;
		for (f = 0; f < t->nfuncs && !defined; f++)
			defined = strcmp(t->funcs[f], t->calls[a].name) == 0;
		for (b = 0; defined && b < t->narith && b < NAMES_MAX; b++) {
			const char *r = t->arith[b];

			if (t->narith > NAMES_MAX || reads_any_arg(t, r)) {
				refs_check(c, t->calls[a].from[0],
					   t->calls[a].to[t->calls[a].nargs - 1],
					   SHCHK_NUMBER);
				continue;
			}
			if (*r < '1' || *r > '9')
				continue;
			p = (size_t)strtoul(r, NULL, 10) - 1;
			if (p >= t->calls[a].nargs)
				p = t->calls[a].nargs - 1;
			if (p + 1 == t->calls[a].nargs ||
			    p == ARGS_MAX - 1)
				refs_check(c, t->calls[a].from[p],
					   t->calls[a].to[t->calls[a].nargs - 1],
					   SHCHK_NUMBER);
			else
				refs_check(c, t->calls[a].from[p],
					   t->calls[a].to[p], SHCHK_NUMBER);
		}
	}
}

/* bash's variables whose assigned value is read as arithmetic (RANDOM,
 * OPTIND, ...) or as code (the prompts, BASH_ENV, ...). */
static void taint_specials(struct sc *c)
{
	static const char *const names[] = {
		"RANDOM", "SRANDOM", "SECONDS", "OPTIND", "LINENO", "HISTCMD",
		"FUNCNEST", "PS0", "PS1", "PS2", "PS3", "PS4",
		"PROMPT_COMMAND", "BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS",
		/* zsh's arrays of functions and aliases, bash's aliases */
		"functions", "aliases", "galiases", "saliases",
		"dis_functions", "dis_aliases", "BASH_ALIASES",
	};
	size_t k;

	for (k = 0; k < ARRAY_LEN(names); k++)
		taint_arith(c, names[k], strlen(names[k]));
}

/* Inputs assigned to a name that arithmetic reads must be numbers. */
static void taint_apply(struct sc *c)
{
	struct taint *t = c->taint;
	size_t a, b;

	taint_close(c);
	taint_apply_calls(c);
	for (a = 0; a < t->nassign; a++)
		for (b = 0; b < t->narith; b++)
			if (t->narith > NAMES_MAX ||
			    strcmp(t->assign[a].name, t->arith[b]) == 0) {
				refs_check(c, t->assign[a].from,
					   t->assign[a].to, SHCHK_NUMBER);
				break;
			}
}

/* 1 for a blank. */
static int is_blank(int x)
{
	return x == ' ' || x == '\t';
}

/* 1 for a character that ends an unquoted word. */
static int ends_word(int x)
{
	return x == -1 || is_blank(x) || x == '\n' ||
	       (x >= 0 && x < 256 && strchr(";&|()<>", x) != NULL && x != 0);
}

/* 1 for a character of a shell name. */
static int is_name_char(int x, int first)
{
	return (x >= 'a' && x <= 'z') || (x >= 'A' && x <= 'Z') || x == '_' ||
	       (!first && x >= '0' && x <= '9');
}

/* Read a shell name at the cursor into name (at most LIT_MAX bytes kept,
 * no NUL); its length. */
static size_t read_name(struct sc *c, char *name)
{
	size_t k = 0;
	int x;

	while (is_name_char(x = ch(c, 0), 0)) {
		if (k < LIT_MAX)
			name[k++] = (char)x;
		c->i++;
	}
	return k;
}

/* Add a byte to a word's literal text. */
static void lit_add(struct word *w, int x)
{
	size_t n = strlen(w->lit);

	if (n < LIT_MAX) {
		w->lit[n] = (char)x;
		w->lit[n + 1] = '\0';
	} else {
		w->literal = 0;
	}
	if (x < '0' || x > '9')
		w->digits = 0;
}

/* --- quoting and expansions ---------------------------------------- */

static int scan_dollar(struct sc *c, enum shscan_ctx ctx);
static int scan_backquote(struct sc *c, int in_dq);

/* '...': every reference inside is in single quotes. */
static int scan_squote(struct sc *c, struct word *w)
{
	size_t open = c->i++;
	int x;

	while ((x = ch(c, 0)) != '\'') {
		if (x == -1)
			return fail(c, open, "unterminated '...'");
		if (is_ref(x)) {
			ref_seen(c, x, SHCTX_SQUOTE, 0);
			if (w != NULL)
				w->literal = 0;
		} else if (w != NULL) {
			lit_add(w, x);
		}
		c->i++;
	}
	c->i++;
	return 0;
}

/* "...": backslash escapes $ ` " \ and newline; $ and ` expand. */
static int scan_dquote(struct sc *c, struct word *w)
{
	size_t open = c->i++;
	int x, esc = 0;

	while ((x = ch(c, 0)) != '"' || esc) {
		if (x == -1)
			return fail(c, open, "unterminated \"...\"");
		if (esc) {
			esc = 0;
			if (is_ref(x)) {
				ref_seen(c, x, SHCTX_DQUOTE, 1);
				w->literal = 0;
			} else {
				lit_add(w, x);
			}
			c->i++;
			continue;
		}
		if (x == '\\') {
			/* Before a reference, the backslash would escape the
			 * '$' the expander writes: it counts as escaping. */
			int y = ch(c, 1);

			esc = is_ref(y) || (y >= 0 && strchr("$`\"\\\n", y));
			if (!esc)
				lit_add(w, x);
			c->i++;
			continue;
		}
		if (x == '$') {
			w->literal = 0;
			if (scan_dollar(c, SHCTX_DQUOTE) == -1)
				return -1;
			continue;
		}
		if (x == '`') {
			w->literal = 0;
			if (scan_backquote(c, 1) == -1)
				return -1;
			continue;
		}
		if (is_ref(x)) {
			ref_seen(c, x, SHCTX_DQUOTE, 0);
			w->literal = 0;
		} else {
			lit_add(w, x);
		}
		c->i++;
	}
	c->i++;
	return 0;
}

/* Arithmetic up to end ("))", "]" or "}"): every reference inside must
 * be a number. */
static int scan_arith(struct sc *c, const char *end, size_t open)
{
	int depth = 0, x;
	size_t from = *c->nseen;

	c->in_arith++;
	for (;;) {
		x = ch(c, 0);
		if (x == -1)
			return fail(c, open, "unterminated arithmetic");
		if (is_name_char(x, 1)) {
			char name[LIT_MAX + 1];
			size_t k = 0;

			k = read_name(c, name);
			taint_arith(c, name, k);
			continue;
		}
		if (depth == 0 && x == end[0] &&
		    (end[1] == '\0' || ch(c, 1) == end[1])) {
			c->i += strlen(end);
			break;
		}
		if (x == '(') {
			depth++;
		} else if (x == ')') {
			if (--depth < 0)
				return fail(c, c->i, "unbalanced ')' in arithmetic");
		} else if (x == '$') {
			if (scan_dollar(c, SHCTX_WORD) == -1)
				return -1;
			continue;
		} else if (x == '`') {
			if (scan_backquote(c, 0) == -1)
				return -1;
			continue;
		} else if (x == '\'' || x == '"') {
			return fail(c, c->i, "quotes inside arithmetic are not "
					     "understood");
		} else if (x == '\\') {
			c->i++;
		} else if (is_ref(x)) {
			ref_seen(c, x, SHCTX_WORD, 0);
		}
		c->i++;
	}
	c->in_arith--;
	refs_check(c, from, *c->nseen, SHCHK_NUMBER);
	return 0;
}

/* The word of ${name OP word} up to the closing brace. */
static int scan_param_word(struct sc *c, size_t open)
{
	int x, esc;

	for (;;) {
		x = ch(c, 0);
		if (x == -1)
			return fail(c, open, "unterminated ${...}");
		if (x == '}')
			break;
		if (x == '\\') {
			esc = ch(c, 1);
			if (is_ref(esc)) {
				c->i++;
				ref_seen(c, esc, SHCTX_WORD, 1);
			} else {
				c->i++;
			}
			c->i++;
			continue;
		}
		if (x == '\'') {
			if (scan_squote(c, NULL) == -1)
				return -1;
			continue;
		}
		if (x == '"') {
			struct word w = {.literal = 1};

			if (scan_dquote(c, &w) == -1)
				return -1;
			continue;
		}
		if (x == '$') {
			if (scan_dollar(c, SHCTX_WORD) == -1)
				return -1;
			continue;
		}
		if (x == '`') {
			if (scan_backquote(c, 0) == -1)
				return -1;
			continue;
		}
		if (is_ref(x))
			ref_seen(c, x, SHCTX_WORD, 0);
		c->i++;
	}
	c->i++;
	return 0;
}

/* ${...}: a name, a subscript, an operator and a word. */
static int scan_param(struct sc *c)
{
	size_t open = c->i;
	int x, indirect = 0;
	char name[LIT_MAX + 1];
	size_t k = 0;

	c->i += 2;
	x = ch(c, 0);
	if (x == '!' && ch(c, 1) != '}')
		indirect = 1;
	if (x == '#' || x == '!') {
		if (is_ref(ch(c, 1)))
			return fail(c, c->i + 1, "{} in ${%c...} would name a "
						 "variable",
				    x);
		if (ch(c, 1) != '}')
			c->i++;
	}
	x = ch(c, 0);
	if (is_ref(x))
		return fail(c, c->i, "{} as the name in ${...} would name a "
				     "variable");
	if (is_name_char(x, 1)) {
		k = read_name(c, name);
	} else if (x >= '0' && x <= '9') {
		while ((x = ch(c, 0)) >= '0' && x <= '9') {
			if (k < LIT_MAX)
				name[k++] = (char)x;
			c->i++;
		}
		c->pos_reads++;
	} else if (x != -1 && x < 256 && strchr("@*#?-$!", x) != NULL) {
		if (x == '@' || x == '*' || (indirect && x == '#')) {
			name[k++] = x == '#' ? '@' : (char)x; /* ${!#}: any */
			c->pos_reads++;
		}
		c->i++;
	} else {
		return fail(c, open, "${...} not understood");
	}
	note_var(c, name, k);
	/* Read as arithmetic, or as code: ${!x} names a variable (with a
	 * subscript that bash runs), ${x@P} expands x as a prompt. */
	if (c->in_arith || indirect ||
	    (ch(c, 0) == '@' && ch(c, 1) == 'P'))
		taint_arith(c, name, k);
	if (ch(c, 0) == '[') {
		c->i++;
		if (scan_arith(c, "]", open) == -1)
			return -1;
	}
	x = ch(c, 0);
	if (x == '}') {
		c->i++;
		return 0;
	}
	if (x == ':' && !(ch(c, 1) >= 0 && ch(c, 1) < 256 &&
			  strchr("-=+?", ch(c, 1)) != NULL)) {
		c->i++; /* ${x:offset:length} is arithmetic */
		return scan_arith(c, "}", open);
	}
	if (x == -1 || is_ref(x) || strchr(":-=+?#%/^,@", x) == NULL)
		return fail(c, open, "${...} not understood");
	c->i++;
	x = ch(c, 0);
	if (x >= 0 && x < 256 && strchr("-=+?#%/^,", x) != NULL)
		c->i++;
	return scan_param_word(c, open);
}

/* A '$' and what it starts. */
static int scan_dollar(struct sc *c, enum shscan_ctx ctx)
{
	size_t open = c->i;
	int x = ch(c, 1);

	if (++c->depth > DEPTH_MAX)
		return fail(c, open, "nested too deep (more than %d levels)",
			    DEPTH_MAX);
	if (x == '(' && ch(c, 2) == '(') {
		c->i += 3;
		if (scan_arith(c, "))", open) == -1)
			return -1;
	} else if (x == '(') {
		c->i += 2;
		if (scan_list(c, END_PAREN) == -1)
			return -1;
		c->i++;
	} else if (x == '{') {
		if (scan_param(c) == -1)
			return -1;
	} else if (x == '[') {
		c->i += 2;
		if (scan_arith(c, "]", open) == -1)
			return -1;
	} else if (x == '\'') {
		if (c->nrefs > 0)
			return fail(c, open, "$'...' quoting is not understood "
					     "in a template with replacement "
					     "strings: use '...' or \"...\"");
		c->i++;
		if (scan_squote(c, NULL) == -1)
			return -1;
	} else if (is_ref(x)) {
		return fail(c, c->i + 1, "a '$' right before {} would be read "
					 "with the input: write '\\$' for a "
					 "literal dollar");
	} else {
		c->i++;
		(void)ctx;
		if (is_name_char(x, 1)) {
			char name[LIT_MAX + 1];
			size_t k = 0;

			k = read_name(c, name);
			note_var(c, name, k);
			if (c->in_arith)
				taint_arith(c, name, k);
		} else if (x >= 0 && x < 256 && strchr("0123456789@*", x) != NULL) {
			char name = (char)x; /* $1, $@, $*: positional */

			c->pos_reads++;
			note_var(c, &name, 1);
			if (c->in_arith)
				taint_arith(c, &name, 1);
		}
	}
	c->depth--;
	return 0;
}

/* `...`: the body, with the backslashes the shell removes removed, is
 * scanned as a command list of its own. */
static int scan_backquote(struct sc *c, int in_dq)
{
	size_t open = c->i, k = 0;
	int *body = NULL;
	size_t *map = NULL;
	struct sc sub;
	int x, y, rc = -1;

	if (c->depth + 1 > DEPTH_MAX)
		return fail(c, open, "nested too deep (more than %d levels)",
			    DEPTH_MAX);
	body = malloc((c->n - c->i + 1) * sizeof(*body));
	map = malloc((c->n - c->i + 1) * sizeof(*map));
	if (body == NULL || map == NULL)
		goto out;
	for (c->i++; (x = ch(c, 0)) != '`'; c->i++) {
		if (x == -1) {
			fail(c, open, "unterminated `...`");
			goto out;
		}
		y = ch(c, 1);
		if (x == '\\' && (y == '$' || y == '`' || y == '\\' ||
				  (in_dq && y == '"'))) {
			c->i++;
			x = y;
		}
		map[k] = pos_of(c, c->i);
		body[k++] = x;
	}
	c->i++;
	sub = *c;
	sub.s = body;
	sub.map = map;
	sub.n = k;
	sub.i = 0;
	sub.depth = c->depth + 1;
	sub.in_bq = 1;
	sub.npend = 0;
	sub.words = NULL;
	sub.nwords = 0;
	rc = scan_list(&sub, END_EOF);
	free(sub.words);
out:
	if (rc == -1 && errno != EINVAL)
		errno = ENOMEM;
	free(body);
	free(map);
	return rc;
}

/* --- words ----------------------------------------------------------- */

/* One word up to an unquoted blank, newline or operator. */
static int scan_word(struct sc *c, struct word *w)
{
	int x, y;

	unsigned reads = c->pos_reads;
	struct word *parent = c->cur_word;
	size_t k;

	memset(w, 0, sizeof(*w));
	c->cur_word = w;
	w->pos = c->i;
	w->literal = 1;
	w->digits = 1;
	w->ref_from = *c->nseen;
	while (!ends_word(x = ch(c, 0))) {
		if (x == '\\') {
			y = ch(c, 1);
			if (y == -1)
				return fail(c, c->i, "a backslash at the end");
			c->i++;
			if (y == '\n') {
				c->i++;
				continue;
			}
			if (is_ref(y)) {
				ref_seen(c, y, SHCTX_WORD, 1);
				w->literal = 0;
				w->ref_before_eq |= !w->eq;
			} else {
				lit_add(w, y);
			}
			c->i++;
			continue;
		}
		if (x == '\'' || x == '"') {
			w->digits = 0;
			if ((x == '\'' ? scan_squote(c, w) : scan_dquote(c, w)) ==
			    -1)
				return -1;
			if (*c->nseen > w->ref_from && !w->eq)
				w->ref_before_eq = 1;
			continue;
		}
		if (x == '$' || x == '`') {
			w->literal = 0;
			w->digits = 0;
			if ((x == '$' ? scan_dollar(c, SHCTX_WORD)
				      : scan_backquote(c, 0)) == -1)
				return -1;
			continue;
		}
		if (is_ref(x)) {
			ref_seen(c, x, SHCTX_WORD, 0);
			w->literal = 0;
			w->digits = 0;
			w->ref_before_eq |= !w->eq;
		} else {
			if (x == '=')
				w->eq = 1;
			lit_add(w, x);
		}
		c->i++;
	}
	w->ref_to = *c->nseen;
	w->end = c->i;
	w->reads_args = c->pos_reads != reads;
	c->cur_word = parent;
	/* what a nested $( ) word reads, the word around it reads too */
	for (k = 0; parent != NULL && k < w->nvars; k++)
		note_var(c, w->vars[k], strlen(w->vars[k]));
	if (w->lit[0] == '\0')
		w->digits = 0;
	return 0;
}

/* 1 if the word is the literal text s. */
static int word_is(const struct word *w, const char *s)
{
	return w->literal && strcmp(w->lit, s) == 0;
}

/* 1 if the word has references. */
static int word_has_ref(const struct word *w)
{
	return w->ref_to > w->ref_from;
}

/* The stream position of the first reference of a word. */
static size_t word_ref_pos(const struct sc *c, const struct word *w)
{
	return c->refs[c->seen[w->ref_from]].pos;
}

/* Refuse a reference of word w with a message (printf-style). */
static int fail_ref(struct sc *c, const struct word *w, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail_ref(struct sc *c, const struct word *w, const char *fmt, ...)
{
	va_list ap;

	if (c->err->msg[0] == '\0') {
		c->err->pos = word_ref_pos(c, w);
		va_start(ap, fmt);
		vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
		va_end(ap);
	}
	errno = EINVAL;
	return -1;
}

/* --- the rules of commands ------------------------------------------ */

/* The rules of one command: what its arguments are to it. */
enum kind {
	K_NONE,
	K_WRAP,	  /* runs the command that follows its options */
	K_SHELL,  /* sh -c SCRIPT */
	K_EVAL,	  /* every argument is code */
	K_LET,	  /* every argument is arithmetic */
	K_DECL,	  /* declare and friends */
	K_NAMES,  /* arguments name variables */
	K_NAMEOPT, /* the value of -v names a variable */
	K_SSH,	  /* ssh HOST COMMAND... */
	K_INTERP, /* the value of a code option is code */
	K_AWK,	  /* the first operand is the program */
	K_SED,	  /* the first operand is the script */
	K_FIND,	  /* -exec COMMAND ... ; */
	K_PARALLEL, /* GNU parallel: its command words are code */
	K_SU,	  /* su -c COMMAND */
	K_SG,	  /* sg GROUP COMMAND: the command is a shell's */
	K_OPTCODE, /* options anywhere; some take code (tar, vim, sqlite3) */
	K_PRINT,  /* zsh's print: -P expands prompts (code with promptsubst) */
};

struct rule {
	const char *name;
	enum kind kind;
	const char *argopts; /* short options that take a value */
	const char *codeopts; /* K_INTERP/K_SU: options whose value is code;
			       * K_WRAP: options after which all is code */
	int operands;	      /* K_WRAP: operands before the command;
			       * K_OPTCODE: operands after this many are
			       * code (0: none) */
};

static const struct rule rules[] = {
	{"command", K_WRAP, "", "", 0},
	{"builtin", K_WRAP, "", "", 0},
	{"exec", K_WRAP, "a", "", 0},
	{"nohup", K_WRAP, "", "", 0},
	{"time", K_WRAP, "fo", "", 0},
	{"env", K_WRAP, "uCP", "S", 0},
	{"nice", K_WRAP, "n", "", 0},
	{"timeout", K_WRAP, "sk", "", 1},
	{"stdbuf", K_WRAP, "ioe", "", 0},
	{"setsid", K_WRAP, "", "", 0},
	{"ionice", K_WRAP, "cnp", "", 0},
	{"chrt", K_WRAP, "T P D", "", 1},
	{"taskset", K_WRAP, "", "", 1},
	{"sudo", K_WRAP, "uUgCDhprtTR", "si", 0},
	{"doas", K_WRAP, "uC", "s", 0},
	{"xargs", K_WRAP, "adEeIiLlnPs", "", 0},
	{"flock", K_WRAP, "wE", "c", 1},
	{"chroot", K_WRAP, "", "", 1},
	{"nsenter", K_WRAP, "tSG", "", 0},
	{"unshare", K_WRAP, "", "", 0},
	{"strace", K_WRAP, "aeEoOpPsSuXb", "", 0},
	{"ltrace", K_WRAP, "aeEnopsuXA", "", 0},
	{"valgrind", K_WRAP, "", "", 0},
	{"catchsegv", K_WRAP, "", "", 0},
	{"busybox", K_WRAP, "", "", 0},
	{"sh", K_SHELL, "oO", "", 0},
	{"bash", K_SHELL, "oO", "", 0},
	{"rbash", K_SHELL, "oO", "", 0},
	{"dash", K_SHELL, "o", "", 0},
	{"ash", K_SHELL, "o", "", 0},
	{"zsh", K_SHELL, "o", "", 0},
	{"ksh", K_SHELL, "oT", "", 0},
	{"ksh93", K_SHELL, "oT", "", 0},
	{"mksh", K_SHELL, "oT", "", 0},
	{"lksh", K_SHELL, "oT", "", 0},
	{"oksh", K_SHELL, "o", "", 0},
	{"pdksh", K_SHELL, "o", "", 0},
	{"posh", K_SHELL, "o", "", 0},
	{"yash", K_SHELL, "o", "", 0},
	{"fish", K_SHELL, "C", "", 0},
	{"csh", K_SHELL, "", "", 0},
	{"tcsh", K_SHELL, "", "", 0},
	{"eval", K_EVAL, "", "", 0},
	{"alias", K_EVAL, "", "", 0},
	{"trap", K_EVAL, "", "", 0},
	{"watch", K_EVAL, "", "", 0},
	{"complete", K_EVAL, "", "", 0},
	{"compgen", K_EVAL, "", "", 0},
	{"bind", K_EVAL, "", "", 0},
	{"let", K_LET, "", "", 0},
	{"declare", K_DECL, "", "", 0},
	{"typeset", K_DECL, "", "", 0},
	{"local", K_DECL, "", "", 0},
	{"export", K_DECL, "", "", 0},
	{"readonly", K_DECL, "", "", 0},
	{"unset", K_NAMES, "", "", 0},
	{"read", K_NAMES, "", "", 0},
	{"mapfile", K_NAMES, "", "", 0},
	{"readarray", K_NAMES, "", "", 0},
	{"getopts", K_NAMES, "", "", 0},
	{"printf", K_NAMEOPT, "", "v", 0},
	{"test", K_NAMEOPT, "", "v", 0},
	{"[", K_NAMEOPT, "", "v", 0},
	{"wait", K_NAMEOPT, "", "p", 0},
	{"ssh", K_SSH, "BbcDEeFIiJLlmOoPpQRSWw", "", 0},
	{"slogin", K_SSH, "BbcDEeFIiJLlmOoPpQRSWw", "", 0},
	{"autossh", K_SSH, "BbcDEeFIiJLlmMOoPpQRSWw", "", 0},
	{"rsh", K_SSH, "l", "", 0},
	{"perl", K_INTERP, "IMmxCd", "eE", 0},
	{"python", K_INTERP, "mWXQ", "c", 0},
	{"python2", K_INTERP, "mWXQ", "c", 0},
	{"python3", K_INTERP, "mWX", "c", 0},
	{"pypy", K_INTERP, "mWX", "c", 0},
	{"pypy3", K_INTERP, "mWX", "c", 0},
	{"ruby", K_INTERP, "IrCEFTx", "e", 0},
	{"node", K_INTERP, "r", "ep", 0},
	{"nodejs", K_INTERP, "r", "ep", 0},
	{"php", K_INTERP, "cdfz", "rBRFE", 0},
	{"lua", K_INTERP, "l", "e", 0},
	{"luajit", K_INTERP, "lj", "e", 0},
	{"Rscript", K_INTERP, "", "e", 0},
	{"osascript", K_INTERP, "l", "e", 0},
	{"pwsh", K_INTERP, "", "c", 0},
	{"expect", K_INTERP, "", "c", 0},
	{"tclsh", K_INTERP, "", "", 0},
	{"awk", K_AWK, "FvfWe", "e", 0},
	{"gawk", K_AWK, "FvfWeilE", "e", 0},
	{"mawk", K_AWK, "FvfW", "", 0},
	{"nawk", K_AWK, "Fvf", "", 0},
	{"original-awk", K_AWK, "Fvf", "", 0},
	{"sed", K_SED, "eflsS", "e", 0},
	{"gsed", K_SED, "eflsS", "e", 0},
	{"find", K_FIND, "", "", 0},
	{"parallel", K_PARALLEL, "", "", 0},
	{"sem", K_PARALLEL, "", "", 0},
	{"su", K_SU, "sgG", "c", 0},
	{"runuser", K_SU, "usgG", "c", 0},
	{"script", K_SU, "ETIOBm", "c", 0},
	{"sg", K_SG, "", "", 0},
	{"git", K_INTERP, "C", "c", 0},
	{"tar", K_OPTCODE, "bCfgHKLNTVX", "IF", 0},
	{"gtar", K_OPTCODE, "bCfgHKLNTVX", "IF", 0},
	{"vim", K_OPTCODE, "STuUiwWrq", "c", 0},
	{"vi", K_OPTCODE, "STuUiwWrq", "c", 0},
	{"view", K_OPTCODE, "STuUiwWrq", "c", 0},
	{"ex", K_OPTCODE, "STuUiwWrq", "c", 0},
	{"nvim", K_OPTCODE, "STuUiwWrq", "c", 0},
	{"gvim", K_OPTCODE, "STuUiwWrq", "c", 0},
	{"rvim", K_OPTCODE, "STuUiwWrq", "c", 0},
	{"sqlite3", K_OPTCODE, "", "", 1},
	{"print", K_PRINT, "", "", 0},
};

/* A command named by a variable ($SHELL -c, "$BASH" -c) may be a shell. */
static const struct rule var_shell = {"$SHELL", K_SHELL, "oO", "", 0};

/* The rule of a command name (its last path component), or NULL; a name
 * with a version (python3.11, perl5.36.0) has the rule of the name. */
static const struct rule *rule_of(const struct word *w)
{
	const char *name, *slash;
	size_t i, len, bare;

	if (!w->literal)
		return NULL;
	slash = strrchr(w->lit, '/');
	name = slash != NULL ? slash + 1 : w->lit;
	for (i = 0; i < ARRAY_LEN(rules); i++)
		if (strcmp(rules[i].name, name) == 0)
			return &rules[i];
	len = strlen(name);
	for (bare = len; bare > 0 && (isdigit((unsigned char)name[bare - 1]) ||
				      name[bare - 1] == '.');
	     bare--)
		;
	for (i = 0; bare > 0 && bare < len && i < ARRAY_LEN(rules); i++)
		if (strlen(rules[i].name) == bare &&
		    strncmp(rules[i].name, name, bare) == 0)
			return &rules[i];
	return NULL;
}


/* 1 if the option word w (a cluster like "-xe" or "-e'code'") reaches a
 * letter of codeopts before one of argopts, whose value is the rest of the
 * word (so -vfile=x is -v, not -f); the word may hold expansions and
 * references (then its value is glued to its letter). */
static int opt_code(const struct word *w, const char *argopts,
		    const char *codeopts)
{
	const char *p;

	if (w->lit[0] != '-' || w->lit[1] == '-' || *codeopts == '\0')
		return 0;
	for (p = w->lit + 1; *p != '\0'; p++) {
		if (strchr(codeopts, *p) != NULL)
			return 1;
		if (strchr(argopts, *p) != NULL || !isalnum((unsigned char)*p))
			return 0;
	}
	return 0;
}

/* 1 if the option word w (like "-xc" or "-c") holds a letter of letters,
 * read as opt_code() reads a cluster. */
static int opt_has(const struct word *w, const char *letters)
{
	return opt_code(w, "", letters);
}

/* The option letter of w that takes a value (in letters), when the value
 * is the next word (nothing follows it in w); 0 if none. */
static char opt_wants_value(const struct word *w, const char *letters)
{
	const char *p;

	if (!w->literal || (w->lit[0] != '-' && w->lit[0] != '+') ||
	    w->lit[1] == '-' || *letters == '\0')
		return 0;
	for (p = w->lit + 1; *p != '\0'; p++)
		if (strchr(letters, *p) != NULL)
			return p[1] == '\0' ? *p : 0;
	return 0;
}

/* 1 if w is an option word (-x, --long, +o). */
static int is_option(const struct word *w, int plus)
{
	if (!word_has_ref(w) && w->literal)
		return (w->lit[0] == '-' && w->lit[1] != '\0') ||
		       (plus && w->lit[0] == '+' && w->lit[1] != '\0');
	/* An option word that holds a reference, like -v{} or --x={}. */
	return w->lit[0] == '-';
}

static int check_command(struct sc *c, struct word *w, size_t n);

/* The words w[from..n) are code: a reference there is refused with the
 * message before, the command's name, after. */
static int code_words(struct sc *c, const struct rule *r, struct word *w,
		      size_t from, size_t n, const char *before,
		      const char *after)
{
	for (; from < n; from++)
		if (code_ref(c, &w[from]))
			return fail_ref(c, &w[from], "%s%s%s", before,
					r->name, after);
	return 0;
}


/* A wrapper (nice, env, sudo, xargs, ...): skip its options and the
 * operands before the command (options may follow them: flock FILE -c),
 * then check that command. */
static int check_wrap(struct sc *c, const struct rule *r, struct word *w,
		      size_t n)
{
	size_t j = 1, ops = 0;
	int opts = 1;
	char o;

	while (j < n) {
		if (opts && word_is(&w[j], "--")) {
			opts = 0;
			j++;
			continue;
		}
		if (opts && strcmp(r->name, "env") == 0 && w[j].eq &&
		    !w[j].ref_before_eq && w[j].lit[0] != '-') {
			taint_assign(c, w[j].lit, strcspn(w[j].lit, "+="),
				     w[j].ref_from, w[j].ref_to);
			j++;
			continue;
		}
		if (opts && is_option(&w[j], 0)) {
			/* sudo -s, env -S, flock -c: the rest is code */
			if (opt_code(&w[j], r->argopts, r->codeopts) &&
			    code_words(c, r, w, j, n, "{} after '",
				       "' with a shell option would be read "
				       "as code; pass it as an argument: "
				       SAFE_SH) == -1)
				return -1;
			o = opt_wants_value(&w[j], r->argopts);
			j += o != 0 ? 2 : 1;
			continue;
		}
		if (ops == (size_t)r->operands)
			break;
		ops++;
		j++;
	}
	if (j >= n)
		return 0;
	return check_command(c, w + j, n - j);
}

/* The text of word w after quote removal, when it has no expansion and no
 * reference (malloc'ed), else NULL. */
static char *word_unquote(const struct sc *c, const struct word *w)
{
	char *t = malloc(w->end - w->pos + 1);
	size_t i = w->pos, k = 0;
	int q = 0, x; /* q: inside '...' (1) or "..." (2) */

	if (t == NULL)
		return NULL;
	for (; i < w->end; i++) {
		x = c->s[i];
		if (is_ref(x) || ((x == '$' || x == '`') && q != 1))
			goto fail;
		if (x == '\'' && q != 2) {
			q = q == 1 ? 0 : 1;
		} else if (x == '"' && q != 1) {
			q = q == 2 ? 0 : 2;
		} else if (x == '\\' && q != 1 && i + 1 < w->end) {
			x = c->s[++i];
			if (is_ref(x))
				goto fail;
			if (q == 2 && strchr("$`\"\\\n", x) == NULL)
				t[k++] = '\\';
			t[k++] = (char)x;
		} else {
			t[k++] = (char)x;
		}
	}
	t[k] = '\0';
	return t;
fail:
	free(t);
	return NULL;
}

/* sh -c 'SCRIPT' NAME ARGS...: the script is read too, for what its
 * arithmetic reads: an argument it reads as $N there (or all of them, for
 * $@ and $*) must be a number, and so must an input assigned to a name it
 * reads (V={} sh -c 'echo $((V))'). A script that is not literal text is
 * not followed. */
static int check_script(struct sc *c, struct word *w, size_t j, size_t n)
{
	struct taint *t = calloc(1, sizeof(*t));
	char *text = word_unquote(c, &w[j]);
	struct shscan_error err;
	struct sc sub;
	size_t len, k, a, none = 0;
	int *s = NULL, rc = -1;

	if (t == NULL || (text == NULL && errno == ENOMEM))
		goto out;
	rc = 0;
	if (text == NULL || c->depth + 1 > DEPTH_MAX)
		goto out;
	len = strlen(text);
	s = malloc((len + 1) * sizeof(*s));
	if (s == NULL) {
		rc = -1;
		goto out;
	}
	for (k = 0; k < len; k++)
		s[k] = (unsigned char)text[k];
	memset(&sub, 0, sizeof(sub));
	memset(&err, 0, sizeof(err));
	sub.s = s;
	sub.n = len;
	sub.nseen = &none;
	sub.seen = &none;
	sub.err = &err;
	sub.depth = c->depth + 1;
	sub.taint = t;
	if (scan_list(&sub, END_EOF) == -1 && errno == ENOMEM) {
		rc = -1;
		goto out;
	}
	taint_close(&sub);
	for (k = 0; k < t->narith && k < NAMES_MAX; k++) {
		const char *r = t->arith[k];

		taint_arith(c, r, strlen(r));
		a = (size_t)strtoul(r, NULL, 10);
		if (strcmp(r, "0") == 0 && j + 1 < n) { /* $0: NAME */
			refs_check(c, w[j + 1].ref_from, w[j + 1].ref_to,
				   SHCHK_NUMBER);
		} else if (reads_any_arg(t, r) || (a > 0 && j + 1 + a >= n)) {
			/* any of them (past the words: one word may be
			 * several inputs, -n 2, -X) */
			for (a = j + 2; a < n; a++)
				refs_check(c, w[a].ref_from, w[a].ref_to,
					   SHCHK_NUMBER);
		} else if (a > 0) {
			refs_check(c, w[j + 1 + a].ref_from,
				   w[j + 1 + a].ref_to, SHCHK_NUMBER);
		}
	}
	if (t->narith > NAMES_MAX) /* too many to follow: all of them */
		for (a = j + 2; a < n; a++)
			refs_check(c, w[a].ref_from, w[a].ref_to, SHCHK_NUMBER);
out:
	free(t);
	free(text);
	free(s);
	return rc;
}

/* sh -c SCRIPT NAME ARGS...: SCRIPT is code; the rest are data. */
static int check_shell(struct sc *c, const struct rule *r, struct word *w,
		       size_t n)
{
	size_t j = 1;
	int has_c = 0;

	while (j < n) {
		if (word_is(&w[j], "--") || word_is(&w[j], "-")) {
			j++;
			break;
		}
		if (!is_option(&w[j], 1))
			break;
		/* fish: --command=CODE, --init-command[=]CODE, -C CODE */
		if (strncmp(w[j].lit, "--command=", 10) == 0 ||
		    strncmp(w[j].lit, "--init-command=", 15) == 0 ||
		    ((word_is(&w[j], "--init-command") ||
		      word_is(&w[j], "--command") ||
		      (word_is(&w[j], "-C") && strcmp(r->name, "fish") == 0)) &&
		     ++j < n)) {
			if (code_ref(c, &w[j]))
				return fail_ref(c, &w[j],
						"{} in the script of '%s -c' "
						"would be read as code by that "
						"shell; pass it as an argument "
						"instead: " SAFE_SH,
						r->name);
			j++;
			continue;
		}
		if (opt_code(&w[j], r->argopts, "c"))
			has_c = 1;
		if (strcmp(w[j].lit, "-c") == 0 && strcmp(r->name, "fish") == 0)
			has_c = 1;
		if (opt_wants_value(&w[j], r->argopts) ||
		    word_is(&w[j], "--rcfile") || word_is(&w[j], "--init-file"))
			j++;
		j++;
	}
	if (has_c && j < n && code_ref(c, &w[j]))
		return fail_ref(c, &w[j],
				"{} in the script of '%s -c' would be read as "
				"code by that shell; pass it as an argument "
				"instead: " SAFE_SH,
				r->name);
	if (has_c && j < n)
		return check_script(c, w, j, n);
	return 0;
}

/* Every argument is code. */
static int check_eval(struct sc *c, const struct rule *r, struct word *w,
		      size_t n)
{
	return code_words(c, r, w, 1, n, "'",
			  "' reads its arguments as code: {} there would "
			  "run as code; use the input as an argument of a "
			  "command instead");
}

/* declare/typeset/local/export/readonly NAME=VALUE ... */
static int check_decl(struct sc *c, const struct rule *r, struct word *w,
		      size_t n)
{
	size_t j, len;
	int arith = 0, names = 0;

	for (j = 1; j < n; j++) {
		if (is_option(&w[j], 1) && !word_has_ref(&w[j])) {
			/* -a, -A, -n: the words are read as code */
			names |= opt_has(&w[j], "aAn");
			arith |= opt_has(&w[j], "i");
			continue;
		}
		if (names && !w[j].array && code_ref(c, &w[j]))
			return check_eval(c, r, w, n);
		word_vars_number(c, &w[j], w[j].nvars_before_eq);
		if (w[j].ref_before_eq)
			return fail_ref(c, &w[j],
					"{} would name a variable of '%s' "
					"(bash runs code in a name's "
					"subscript); use it only after '='",
					r->name);
		len = strcspn(w[j].lit, "+=");
		if (arith) {
			refs_check(c, w[j].ref_from, w[j].ref_to,
				   SHCHK_NUMBER);
			taint_arith(c, w[j].lit, strcspn(w[j].lit, "+=["));
		}
		if (w[j].eq) {
			taint_assign(c, w[j].lit, len, w[j].ref_from,
				     w[j].ref_to);
			taint_copy(c, w[j].lit, len, &w[j]);
			taint_copy_name(c, w[j].lit, len, &w[j]);
		}
		if (w[j].eq && w[j].reads_args)
			taint_from_args(c, w[j].lit, len);
	}
	return 0;
}

/* unset/read/...: their arguments name variables. */
static int check_names(struct sc *c, const struct rule *r, struct word *w,
		       size_t n)
{
	size_t j;

	/* printf {} ..., test {} X, [ {} X ]: an input there may be the
	 * option -v, which makes the next word a name */
	if (r->kind == K_NAMEOPT && n > 2 && word_has_ref(&w[1]))
		refs_check(c, w[1].ref_from, w[1].ref_to, SHCHK_NO_DASH);

	for (j = 1; j < n; j++) {
		/* read x <<< {}, or from a pipe: x may hold any input */
		if (r->kind == K_NAMES && w[j].literal &&
		    is_name_char(w[j].lit[0], 1) && strcmp(r->name, "unset")) {
			taint_assign(c, w[j].lit, strlen(w[j].lit), 0,
				     SIZE_MAX);
			taint_from_args(c, w[j].lit, strlen(w[j].lit));
		}
		if (r->kind == K_NAMEOPT && opt_has(&w[j], r->codeopts) &&
		    word_has_ref(&w[j]) && w[j].lit[2] == '\0')
			return fail_ref(c, &w[j],
					"{} would name a variable of '%s' (bash "
					"runs code in a name's subscript)",
					r->name);
		if (r->kind == K_NAMEOPT && !opt_has(&w[j - 1], r->codeopts))
			continue;
		/* printf -v NAME FORMAT ARGS: NAME holds the inputs there */
		if (r->kind == K_NAMEOPT && w[j].literal && j + 1 < n)
			taint_assign(c, w[j].lit, strlen(w[j].lit),
				     w[j + 1].ref_from, w[n - 1].ref_to);
		if (code_ref(c, &w[j]))
			return fail_ref(c, &w[j],
					"{} would name a variable of '%s' (bash "
					"runs code in a name's subscript)",
					r->name);
	}
	return 0;
}

/* ssh [options] HOST [COMMAND...]: the command is code remotely. */
static int check_ssh(struct sc *c, const struct rule *r, struct word *w,
		     size_t n)
{
	size_t j = 1;

	while (j < n && is_option(&w[j], 0)) {
		/* the option, or the value of -o (ProxyCommand=...) */
		struct word *bad =
			code_ref(c, &w[j]) ? &w[j]
			: opt_wants_value(&w[j], "o") && j + 1 < n &&
					code_ref(c, &w[j + 1])
				? &w[j + 1]
				: NULL;

		if (bad != NULL)
			return fail_ref(c, bad,
					"{} in an option of '%s' is not "
					"allowed (-o ProxyCommand=... runs "
					"code)",
					r->name);
		j += opt_wants_value(&w[j], r->argopts) ? 2 : 1;
	}
	if (j < n)
		refs_check(c, w[j].ref_from, w[j].ref_to, SHCHK_NO_DASH);
	return code_words(c, r, w, j + 1, n, "'",
			  "' hands its command to the remote shell as code: "
			  "{} there would run as code; use mprun -S HOST "
			  "instead");
}

/* An interpreter: the value of a code option, or the program operand
 * (awk, sed), is code. */
static int check_interp(struct sc *c, const struct rule *r, struct word *w,
			size_t n)
{
	/* What follows "'NAME" in the message. */
	static const char *const how[] = {
		[K_INTERP] = "' reads that option's value as code: {} there "
			     "would run as code; pass the input as an argument "
			     "or in the environment",
		[K_AWK] = "' reads its program as code: {} there would run "
			  "as code; pass it in the environment: "
			  "V={} awk '... ENVIRON[\"V\"] ...'",
		[K_SED] = "' reads its script as commands (it can run "
			  "programs and write files): {} there would run as "
			  "code; use awk with ENVIRON instead",
		[K_SU] = " -c' hands its command to a shell as code: {} "
			 "there would run as code; pass it as an argument: " SAFE_SH,
	};
	size_t j = 1;
	int program = 0;
	char o;

	while (j < n && !word_is(&w[j], "--") &&
	       (is_option(&w[j], 0) || r->kind == K_SU)) {
		if (!is_option(&w[j], 0)) { /* su USER -c, script FILE -c */
			j++;
			continue;
		}
		if (word_is(&w[j], "--eval") || word_is(&w[j], "--print") ||
		    word_is(&w[j], "--source") || word_is(&w[j], "--expression") ||
		    word_is(&w[j], "--command") || word_is(&w[j], "-Command") ||
		    word_is(&w[j], "--session-command")) {
			program = 1;
			if (j + 1 < n && code_ref(c, &w[j + 1]))
				return fail_ref(c, &w[j + 1], "'%s%s",
						r->name, how[r->kind]);
			j += 2;
			continue;
		}
		if (strncmp(w[j].lit, "--command=", 10) == 0 ||
		    strncmp(w[j].lit, "--session-command=", 18) == 0) {
			if (code_ref(c, &w[j]))
				return fail_ref(c, &w[j], "'%s%s", r->name,
						how[r->kind]);
			j++;
			continue;
		}
		if (strncmp(w[j].lit, "--file", 6) == 0 ||
		    strncmp(w[j].lit, "--expression=", 13) == 0 ||
		    strncmp(w[j].lit, "--source=", 9) == 0 ||
		    strncmp(w[j].lit, "--eval=", 7) == 0) {
			program = 1;
			if (w[j].lit[6] != '\0' && code_ref(c, &w[j]))
				return fail_ref(c, &w[j], "'%s%s",
						r->name, how[r->kind]);
			j += w[j].lit[6] == '\0' && strchr(w[j].lit, '=') == NULL
				     ? 2
				     : 1;
			continue;
		}
		if (opt_code(&w[j], r->argopts, r->codeopts) ||
		    ((r->kind == K_AWK || r->kind == K_SED) &&
		     opt_code(&w[j], r->argopts, "f"))) {
			program = 1;
			/* -eCODE, or -e CODE */
			if (code_ref(c, &w[j]) ||
			    (j + 1 < n && opt_wants_value(&w[j], r->codeopts) &&
			     code_ref(c, &w[j + 1])))
				return fail_ref(c,
						word_has_ref(&w[j]) ? &w[j]
								    : &w[j + 1],
						"'%s%s", r->name, how[r->kind]);
		}
		o = opt_wants_value(&w[j], r->argopts);
		if (o == 0 && opt_wants_value(&w[j], r->codeopts))
			o = 1;
		j += o != 0 ? 2 : 1;
	}
	if (j < n && word_is(&w[j], "--"))
		j++;
	if ((r->kind == K_AWK || r->kind == K_SED) && !program && j < n &&
	    code_ref(c, &w[j]))
		return fail_ref(c, &w[j], "'%s%s", r->name, how[r->kind]);
	return 0;
}

/* 1 if w is --NAME or --NAME=... (or -NAME, sqlite3's way) of a name in
 * list (" a b "); *glued set when the value is in the word. */
static int long_in(const struct word *w, const char *list, int *glued)
{
	const char *p = w->lit + 1;
	char name[LIT_MAX + 3];
	size_t len;

	if (w->lit[0] != '-')
		return 0;
	if (*p == '-')
		p++;
	len = strcspn(p, "=");
	if (len == 0)
		return 0;
	snprintf(name, sizeof(name), " %.*s ", (int)len, p);
	*glued = p[len] == '=';
	return strstr(list, name) != NULL;
}

/* The long options of a K_OPTCODE command whose value is code. */
static const char *longcode_of(const char *name)
{
	if (strstr(name, "tar") != NULL)
		return " checkpoint-action to-command use-compress-program "
		       "info-script new-volume-script rsh-command rmt-command ";
	if (strcmp(name, "sqlite3") == 0)
		return " cmd init ";
	return " cmd "; /* vim */
}

/* Options anywhere, some with code as their value (tar --to-command,
 * vim -c and +CMD, sqlite3 -cmd); the operands after r->operands are code
 * (sqlite3 DB SQL...). */
static int check_optcode(struct sc *c, const struct rule *r, struct word *w,
			 size_t n)
{
	static const char *const how =
		"' reads it as code (commands it runs): {} there would run as "
		"code; pass the input as a file or in the environment";
	const char *longcode = longcode_of(r->name);
	size_t j, ops = 0;
	int glued = 0, opts = 1;

	for (j = 1; j < n; j++) {
		if (opts && word_is(&w[j], "--")) {
			opts = 0;
			continue;
		}
		if (opts && w[j].lit[0] == '+' && strcmp(r->name, "tar") &&
		    strcmp(r->name, "gtar") && code_ref(c, &w[j]))
			return fail_ref(c, &w[j], "'%s%s", r->name, how);
		if (!opts || !is_option(&w[j], 0)) {
			if (r->operands > 0 && ops++ >= (size_t)r->operands &&
			    code_ref(c, &w[j]))
				return fail_ref(c, &w[j], "'%s%s", r->name,
						how);
			continue;
		}
		if (long_in(&w[j], longcode, &glued) ||
		    opt_code(&w[j], r->argopts, r->codeopts)) {
			if (code_ref(c, &w[j]) ||
			    (j + 1 < n && !glued && code_ref(c, &w[j + 1])))
				return fail_ref(c,
						word_has_ref(&w[j]) ? &w[j]
								    : &w[j + 1],
						"'%s%s", r->name, how);
			j += !glued && (w[j].lit[1] == '-' ||
					opt_wants_value(&w[j], r->codeopts));
			continue;
		}
		if (opt_wants_value(&w[j], r->argopts))
			j++;
	}
	return 0;
}

/* zsh's print: with -P its arguments are prompts (with promptsubst, $( )
 * in them runs). */
static int check_print(struct sc *c, const struct rule *r, struct word *w,
		       size_t n)
{
	size_t j;
	int prompt = 0;

	for (j = 1; j < n && is_option(&w[j], 0) && !word_is(&w[j], "--");
	     j++)
		prompt |= opt_has(&w[j], "P");
	if (!prompt)
		return 0;
	return code_words(c, r, w, j, n, "'",
			  " -P' expands its arguments as prompts (code, with "
			  "promptsubst): {} there would run as code; use "
			  "print -r -- instead");
}

/* find ... -exec COMMAND ... ; (or +) */
static int check_find(struct sc *c, struct word *w, size_t n)
{
	size_t j, k;

	for (j = 1; j < n; j++) {
		if (!word_is(&w[j], "-exec") && !word_is(&w[j], "-execdir") &&
		    !word_is(&w[j], "-ok") && !word_is(&w[j], "-okdir"))
			continue;
		for (k = j + 1; k < n && !word_is(&w[k], ";") &&
				!word_is(&w[k], "+");
		     k++)
			;
		if (k > j + 1 && check_command(c, w + j + 1, k - j - 1) == -1)
			return -1;
		j = k;
	}
	return 0;
}

/* GNU parallel: the words before ::: are its command, run by a shell. */
static int check_parallel(struct sc *c, const struct rule *r, struct word *w,
			  size_t n)
{
	size_t j = 1;

	while (j < n && !(w[j].literal && strncmp(w[j].lit, ":::", 3) == 0))
		j++;
	return code_words(c, r, w, 1, j, "'",
			  "' runs its command words through a shell: {} "
			  "there would run as code; give the input after ::: "
			  "instead");
}

/* The rules of a simple command w[0..n) (assignments already left out). */
static int check_command(struct sc *c, struct word *w, size_t n)
{
	const struct rule *r;
	size_t j;

	if (n == 0)
		return 0;
	taint_call(c, w, n);
	/* Any shell given -c further on (an unknown wrapper before it). */
	for (j = 1; j < n; j++) {
		r = rule_of(&w[j]);
		if (r != NULL && r->kind == K_SHELL &&
		    check_shell(c, r, w + j, n - j) == -1)
			return -1;
	}
	r = rule_of(&w[0]);
	if (r == NULL && !w[0].literal && !word_has_ref(&w[0]))
		r = &var_shell;
	if (r == NULL)
		return 0;
	switch (r->kind) {
	case K_WRAP:
		return check_wrap(c, r, w, n);
	case K_SHELL:
		return check_shell(c, r, w, n);
	case K_EVAL:
		return check_eval(c, r, w, n);
	case K_LET:
		for (j = 1; j < n; j++) {
			refs_check(c, w[j].ref_from, w[j].ref_to, SHCHK_NUMBER);
			taint_arith_text(c, w[j].lit);
		}
		return 0;
	case K_DECL:
		return check_decl(c, r, w, n);
	case K_NAMES:
	case K_NAMEOPT:
		return check_names(c, r, w, n);
	case K_SSH:
		return check_ssh(c, r, w, n);
	case K_INTERP:
	case K_AWK:
	case K_SED:
	case K_SU:
		return check_interp(c, r, w, n);
	case K_FIND:
		return check_find(c, w, n);
	case K_PARALLEL:
		return check_parallel(c, r, w, n);
	case K_OPTCODE:
		return check_optcode(c, r, w, n);
	case K_PRINT:
		return check_print(c, r, w, n);
	case K_SG:
		return code_words(c, r, w, 2, n, "'",
				  "' hands its command to a shell as code: {} "
				  "there would run as code; pass it as an "
				  "argument: " SAFE_SH);
	case K_NONE:
		break;
	}
	return 0;
}

/* --- commands and lists ---------------------------------------------- */

/* End the current simple command: apply its rules. */
static int finish_command(struct sc *c)
{
	int rc = 0;

	size_t k;
	int args = c->nwords == 0; /* for NAME; do: "$@" */

	for (k = 0; k < c->nwords; k++)
		args |= c->words[k].reads_args;
	if (c->for_name[0] != '\0' && args)
		taint_from_args(c, c->for_name, strlen(c->for_name));
	if (c->for_name[0] != '\0' && c->nwords > 0)
		taint_assign(c, c->for_name, strlen(c->for_name),
			     c->words[0].ref_from,
			     c->words[c->nwords - 1].ref_to);
	c->for_name[0] = '\0';
	/* $_ is the last word of the command before */
	if (c->nwords > 0)
		taint_assign(c, "_", 1, c->words[c->nwords - 1].ref_from,
			     c->words[c->nwords - 1].ref_to);
	if (c->plain_cmd && c->nwords > 0)
		rc = check_command(c, c->words, c->nwords);
	c->nwords = 0;
	c->cmd_start = 1;
	c->plain_cmd = 1;
	return rc;
}

/* Keep a word of the current command. */
static int add_word(struct sc *c, const struct word *w)
{
	struct word *more;
	size_t cap;

	if (c->nwords == WORDS_MAX)
		return fail(c, w->pos, "a command of more than %d words",
			    WORDS_MAX);
	if (c->nwords == c->words_cap) {
		cap = c->words_cap == 0 ? 8 : 2 * c->words_cap;
		more = realloc(c->words, cap * sizeof(*more));
		if (more == NULL)
			return -1;
		c->words = more;
		c->words_cap = cap;
	}
	c->words[c->nwords++] = *w;
	return 0;
}

/* 1 if the cursor is at NAME[...]= or NAME[...]+= (an assignment to an
 * array element: the subscript is arithmetic). A ; & | < > ( ) or newline
 * before the ] ends the word for dash (bash reads one word): then it is no
 * assignment, and the words are scanned as dash reads them. */
static int at_subscript_assign(const struct sc *c)
{
	size_t k = 0;
	int depth = 0, x;

	/* a reference may stand for part of the name: one that expands to
	 * nothing (an input that is not there, as {3} with one source)
	 * joins the text around it into a NAME */
	if (!is_name_char(ch(c, 0), 1) && !is_ref(ch(c, 0)))
		return 0;
	while (is_name_char(ch(c, k), 0) || is_ref(ch(c, k)))
		k++;
	if (ch(c, k) != '[')
		return 0;
	for (;; k++) {
		x = ch(c, k);
		if (x == -1 || x == '\n' ||
		    (x >= 0 && x < 256 && strchr(";&|<>()", x) != NULL))
			return 0;
		if (x == '[')
			depth++;
		else if (x == ']' && --depth == 0)
			break;
	}
	x = ch(c, k + 1);
	return x == '=' || (x == '+' && ch(c, k + 2) == '=');
}

/* Skip blanks (and line continuations). */
static void skip_blanks(struct sc *c)
{
	for (;;) {
		if (is_blank(ch(c, 0)))
			c->i++;
		else if (ch(c, 0) == '\\' && ch(c, 1) == '\n')
			c->i += 2;
		else
			return;
	}
}

/* # to the end of the line. */
static void scan_comment(struct sc *c)
{
	int x;

	while ((x = ch(c, 0)) != -1 && x != '\n') {
		if (is_ref(x))
			ref_seen(c, x, SHCTX_COMMENT, 0);
		c->i++;
	}
}

/* Compare the line at the cursor (up to a newline or the end) with the
 * delimiter; *len gets the line's length. A reference is never equal. */
static int line_is(const struct sc *c, const struct heredoc *h, size_t *len)
{
	size_t k = 0, m = 0;
	int x, eq = 1;

	if (h->strip_tabs)
		while (ch(c, k) == '\t')
			k++;
	while ((x = ch(c, k)) != -1 && x != '\n') {
		if (is_ref(x) || h->delim[m] == '\0' || h->delim[m] != x)
			eq = 0;
		else
			m++;
		k++;
	}
	*len = k;
	return eq && h->delim[m] == '\0';
}

/* One line of an expanding here-document body: $ ` \ are special. */
static int scan_heredoc_line(struct sc *c, size_t len)
{
	size_t end = c->i + len;
	int x, y;

	while (c->i < end) {
		x = ch(c, 0);
		if (x == '\\') {
			y = ch(c, 1);
			if (is_ref(y)) {
				c->i++;
				ref_seen(c, y, SHCTX_HEREDOC, 1);
				c->i++;
			} else {
				c->i += 2;
			}
			continue;
		}
		if (x == '$' || x == '`') {
			if ((x == '$' ? scan_dollar(c, SHCTX_HEREDOC)
				      : scan_backquote(c, 0)) == -1)
				return -1;
			if (c->i > end)
				return fail(c, end, "an expansion runs past "
						    "the end of its "
						    "here-document line");
			continue;
		}
		if (is_ref(x))
			ref_seen(c, x, SHCTX_HEREDOC, 0);
		c->i++;
	}
	return 0;
}

/* Note a reference in the body of a quoted here-document. */
static int heredoc_raw_ref(struct sc *c, int x, const struct heredoc *h)
{
	struct shscan_ref *r;

	if (c->in_bq)
		return fail(c, c->i, "{} in a here-document inside backquotes: "
				     "use $( ) instead of backquotes");
	ref_seen(c, x, SHCTX_HEREDOC_RAW, 0);
	r = &c->refs[x - 256];
	if (r->delim == NULL) {
		r->delim = strdup(h->delim);
		if (r->delim == NULL)
			return -1;
	}
	r->strip_tabs = h->strip_tabs;
	return 0;
}

/* The bodies of the pending here-documents, after a newline. */
static int scan_heredocs(struct sc *c)
{
	size_t k, len, j;
	struct heredoc *h;

	for (k = 0; k < c->npend; k++) {
		h = &c->pend[k];
		for (;;) {
			if (ch(c, 0) == -1)
				return fail(c, h->pos,
					    "here-document without its end "
					    "line '%s'",
					    h->delim);
			if (line_is(c, h, &len)) {
				c->i += len;
				if (ch(c, 0) == '\n')
					c->i++;
				break;
			}
			if (!h->quoted) {
				if (scan_heredoc_line(c, len) == -1)
					return -1;
			} else {
				for (j = 0; j < len; j++, c->i++)
					if (is_ref(ch(c, 0)) &&
					    heredoc_raw_ref(c, ch(c, 0), h) == -1)
						return -1;
			}
			if (ch(c, 0) == '\n')
				c->i++;
		}
	}
	c->npend = 0;
	return 0;
}

/* << or <<-: the delimiter word; the body comes after the next newline. */
static int scan_heredoc_op(struct sc *c, int strip_tabs)
{
	struct heredoc *h;
	struct word w;
	size_t start;
	int x;

	skip_blanks(c);
	start = c->i;
	if (scan_word(c, &w) == -1)
		return -1;
	if (word_has_ref(&w))
		return fail(c, start, "{} in a here-document's delimiter");
	if (c->i == start || !w.literal)
		return fail(c, start, "a here-document's delimiter is not "
				      "understood");
	if (c->npend == PENDING_MAX)
		return fail(c, start, "more than %d here-documents on one line",
			    PENDING_MAX);
	h = &c->pend[c->npend++];
	memset(h, 0, sizeof(*h));
	h->pos = start;
	h->strip_tabs = strip_tabs;
	for (size_t k = start; k < c->i; k++) {
		x = c->s[k];
		if (x == '\'' || x == '"' || x == '\\')
			h->quoted = 1;
	}
	if (strlen(w.lit) >= LIT_MAX)
		return fail(c, start, "a here-document's delimiter is too long");
	snprintf(h->delim, sizeof(h->delim), "%s", w.lit);
	return 0;
}

/* <(list) or >(list) at the cursor: bash's process substitution. */
static int scan_procsub(struct sc *c)
{
	c->i += 2;
	if (scan_list(c, END_PAREN) == -1)
		return -1;
	c->i++;
	return 0;
}

/* A redirection operator at the cursor and its target. */
static int scan_redirect(struct sc *c)
{
	int x = ch(c, 0), y = ch(c, 1), dup = y == '&';
	struct word w;

	if (x == '<' && y == '<' && ch(c, 2) == '<') {
		c->i += 3;
	} else if (x == '<' && y == '<') {
		int strip = ch(c, 2) == '-';

		c->i += 2 + (size_t)strip;
		return scan_heredoc_op(c, strip);
	} else if ((x == '<' || x == '>') && y == '(') {
		return scan_procsub(c);
	} else if ((y == '&' || y == '>' || y == '|') ||
		   (x == '<' && y == '>')) {
		c->i += 2;
	} else {
		c->i++;
	}
	skip_blanks(c);
	/* < <(cmd), > >(cmd): bash's process substitution as the target */
	if ((ch(c, 0) == '<' || ch(c, 0) == '>') && ch(c, 1) == '(' && !dup)
		return scan_procsub(c);
	if (ends_word(ch(c, 0)))
		return fail(c, c->i, "a redirection without its target");
	if (scan_word(c, &w) == -1)
		return -1;
	/* >&WORD, <&WORD: bash expands a WORD that is not a number once
	 * more (as a file name, with $( ) run): numbers only there. */
	if (dup) {
		refs_check(c, w.ref_from, w.ref_to, SHCHK_NUMBER);
		word_vars_number(c, &w, w.nvars);
	}
	return 0;
}

/* NAME[SUBSCRIPT]=VALUE: the subscript is arithmetic. */
static int scan_subscript_assign(struct sc *c)
{
	size_t open, len = 0;
	struct word w;
	char name[LIT_MAX + 1];
	int x;

	while (is_name_char(x = ch(c, 0), 0) || is_ref(x)) {
		if (is_ref(x)) { /* quoted when it is not empty */
			ref_seen(c, x, SHCTX_WORD, 0);
			if ((size_t)(x - 256) < c->nrefs)
				c->refs[x - 256].cmd_name = 1;
			len = LIT_MAX + 1; /* not a name to follow */
		} else if (len < LIT_MAX) {
			name[len++] = (char)x;
		}
		c->i++;
	}
	open = c->i++;
	if (scan_arith(c, "]", open) == -1 || scan_word(c, &w) == -1)
		return -1;
	/* a[k]=VALUE: what arithmetic reads of a is VALUE */
	if (len <= LIT_MAX) {
		taint_assign(c, name, len, w.ref_from, w.ref_to);
		taint_copy(c, name, len, &w);
	}
	return 0;
}

/* (a b c) after NAME=: an array's values. */
static int scan_array(struct sc *c)
{
	struct word w;
	size_t open = c->i++;

	for (;;) {
		skip_blanks(c);
		while (ch(c, 0) == '\n') {
			c->i++;
			skip_blanks(c);
		}
		if (ch(c, 0) == ')') {
			c->i++;
			return 0;
		}
		if (ch(c, 0) == -1 || ends_word(ch(c, 0)))
			return fail(c, open, "an array's (...) not understood");
		if (ch(c, 0) == '[') {
			/* [KEY]=VALUE: bash evaluates KEY (arithmetic for an
			 * indexed array) */
			size_t at = c->i++;

			if (scan_arith(c, "]", at) == -1)
				return -1;
			if (ch(c, 0) == '+')
				c->i++;
			if (ch(c, 0) != '=')
				return fail(c, at, "[index] without '=' in an "
						   "array's (...)");
			c->i++;
		}
		if (scan_word(c, &w) == -1)
			return -1;
	}
}

/* case WORD in PATTERN) LIST ;; ... esac */
static int scan_case(struct sc *c, size_t open)
{
	struct word w;
	size_t at;

	skip_blanks(c);
	if (scan_word(c, &w) == -1)
		return -1;
	for (;;) {
		skip_blanks(c);
		if (ch(c, 0) != '\n')
			break;
		c->i++;
	}
	if (scan_word(c, &w) == -1)
		return -1;
	if (!word_is(&w, "in"))
		return fail(c, open, "'case' without 'in'");
	for (;;) {
		for (;;) {
			skip_blanks(c);
			if (ch(c, 0) == '\n') {
				c->i++;
				if (c->npend > 0 && scan_heredocs(c) == -1)
					return -1;
			} else if (ch(c, 0) == '#') {
				scan_comment(c);
			} else {
				break;
			}
		}
		at = c->i;
		if (scan_word(c, &w) == -1)
			return -1;
		if (word_is(&w, "esac"))
			return 0;
		if (c->i == at && ch(c, 0) == '(') {
			c->i++;
			skip_blanks(c);
			if (scan_word(c, &w) == -1)
				return -1;
		}
		for (;;) {
			skip_blanks(c);
			if (ch(c, 0) == ')')
				break;
			if (ch(c, 0) != '|')
				return fail(c, c->i, "a 'case' pattern not "
						     "understood");
			c->i++;
			skip_blanks(c);
			if (scan_word(c, &w) == -1)
				return -1;
		}
		c->i++;
		if (scan_list(c, END_CASE_ITEM) == -1)
			return -1;
	}
}

/* [[ ... ]]: with -eq and friends its operands are arithmetic; -v names a
 * variable. */
static int scan_cond(struct sc *c, size_t open)
{
	static const char *const arith_ops[] = {"-eq", "-ne", "-lt",
						"-le", "-gt", "-ge"};
	struct word w;
	size_t from = *c->nseen, k, narith = c->taint->narith;
	int arith = 0, name_next = 0, regex = 0, x;

	c->in_arith++;
	for (;;) {
		skip_blanks(c);
		x = ch(c, 0);
		if (x == -1)
			return fail(c, open, "'[[' without ']]'");
		if (x == '\n' || (x >= 0 && x < 256 && strchr("()!", x))) {
			c->i++;
			continue;
		}
		if ((x == '&' && ch(c, 1) == '&') ||
		    (x == '|' && ch(c, 1) == '|')) {
			c->i += 2;
			continue;
		}
		if (x == '<' || x == '>') {
			c->i++;
			continue;
		}
		if (ends_word(x))
			return fail(c, c->i, "'[[ ]]' not understood");
		if (scan_word(c, &w) == -1)
			return -1;
		if (word_is(&w, "]]"))
			break;
		if (name_next && code_ref(c, &w))
			return fail(c, word_ref_pos(c, &w) - 0,
				    "{} after -v would name a variable");
		name_next = word_is(&w, "-v") || word_is(&w, "-R");
		regex |= word_is(&w, "=~");
		for (k = 0; k < ARRAY_LEN(arith_ops); k++)
			arith |= word_is(&w, arith_ops[k]);
		if (w.literal && w.lit[0] != '-')
			taint_arith_text(c, w.lit);
	}
	c->in_arith--;
	if (regex) /* what the match captured, of the inputs */
		taint_assign(c, "BASH_REMATCH", 12, from, *c->nseen);
	if (arith)
		refs_check(c, from, *c->nseen, SHCHK_NUMBER);
	else if (c->taint->narith <= NAMES_MAX)
		c->taint->narith = narith; /* no arithmetic read them */
	return 0;
}

/* for NAME [in WORDS]; or for ((...)) */
static int scan_for(struct sc *c, size_t open)
{
	struct word w;

	skip_blanks(c);
	if (ch(c, 0) == '(' && ch(c, 1) == '(') {
		c->i += 2;
		return scan_arith(c, "))", open);
	}
	if (scan_word(c, &w) == -1)
		return -1;
	if (word_has_ref(&w))
		return fail(c, word_ref_pos(c, &w), "{} as a loop's variable "
						    "name");
	if (w.literal)
		snprintf(c->for_name, sizeof(c->for_name), "%s", w.lit);
	c->plain_cmd = 0; /* the words up to ; are not a command */
	c->cmd_start = 0;
	return 0;
}

/* A reserved word in command position: 1 if handled, 0 if not one, -1. */
static int scan_keyword(struct sc *c, const struct word *w)
{
	static const char *const keep_start[] = {
		"if", "then", "else", "elif", "fi", "do", "done", "while",
		"until", "{", "}", "!", "time", "esac", "in",
	};
	size_t k;

	if (!w->literal)
		return 0;
	if (strcmp(w->lit, "case") == 0)
		return scan_case(c, w->pos) == -1 ? -1 : 1;
	if (strcmp(w->lit, "for") == 0 || strcmp(w->lit, "select") == 0)
		return scan_for(c, w->pos) == -1 ? -1 : 1;
	if (strcmp(w->lit, "[[") == 0)
		return scan_cond(c, w->pos) == -1 ? -1 : 1;
	if (strcmp(w->lit, "function") == 0) {
		struct word name;

		skip_blanks(c);
		if (scan_word(c, &name) == -1)
			return -1;
		if (word_has_ref(&name))
			return fail(c, word_ref_pos(c, &name),
				    "{} as a function's name");
		if (name.literal)
			taint_func(c, name.lit);
		skip_blanks(c);
		if (ch(c, 0) == '(' && ch(c, 1) == ')')
			c->i += 2;
		return 1;
	}
	for (k = 0; k < ARRAY_LEN(keep_start); k++)
		if (strcmp(w->lit, keep_start[k]) == 0)
			return 1;
	return 0;
}

/* A word at the cursor, in or out of command position. */
static int scan_list_word(struct sc *c, enum end end, int *stop)
{
	struct word w;
	size_t at = c->i, j;
	int r;

	if (c->cmd_start && c->plain_cmd && at_subscript_assign(c))
		return scan_subscript_assign(c);
	if (scan_word(c, &w) == -1)
		return -1;
	if ((ch(c, 0) == '<' || ch(c, 0) == '>') && w.digits)
		return 0; /* an fd number: the redirection comes next */
	if (c->cmd_start && c->plain_cmd && c->nwords == 0) {
		if (end == END_CASE_ITEM && word_is(&w, "esac")) {
			c->i = at;
			*stop = 1;
			return 0;
		}
		r = scan_keyword(c, &w);
		if (r != 0)
			return r == -1 ? -1 : 0;
		if (!w.ref_before_eq && w.eq && is_name_char(w.lit[0], 1)) {
			/* an assignment: NAME=VALUE, maybe NAME=(...) */
			if (ch(c, 0) == '(' && w.lit[strlen(w.lit) - 1] == '=') {
				size_t from = *c->nseen;

				if (scan_array(c) == -1)
					return -1;
				taint_assign(c, w.lit, strcspn(w.lit, "+="),
					     from, *c->nseen);
				return 0;
			}
			taint_assign(c, w.lit, strcspn(w.lit, "+="),
				     w.ref_from, w.ref_to);
			taint_copy(c, w.lit, strcspn(w.lit, "+="), &w);
			taint_copy_name(c, w.lit, strcspn(w.lit, "+="), &w);
			if (w.reads_args)
				taint_from_args(c, w.lit, strcspn(w.lit, "+="));
			return 0;
		}
		for (j = w.ref_from; j < w.ref_to; j++)
			c->refs[c->seen[j]].cmd_name = 1;
	}
	/* declare -a NAME=(...): the values are the word's (as data, or
	 * arithmetic for -i) */
	if (c->plain_cmd && c->nwords > 0 && ch(c, 0) == '(' && w.eq &&
	    !w.ref_before_eq && w.lit[strlen(w.lit) - 1] == '=' &&
	    rule_of(&c->words[0]) != NULL &&
	    rule_of(&c->words[0])->kind == K_DECL) {
		if (scan_array(c) == -1)
			return -1;
		w.ref_to = *c->nseen;
		w.array = 1;
	}
	c->cmd_start = 0;
	return add_word(c, &w);
}

/* An operator at the cursor: ; & | ( ) and the case ends. *stop is set
 * when the list ends here. */
static int scan_operator(struct sc *c, enum end end, int *stop)
{
	int x = ch(c, 0), y = ch(c, 1);
	size_t at = c->i;

	if (x == ';' && (y == ';' || y == '&')) {
		if (end != END_CASE_ITEM)
			return fail(c, at, "';;' outside 'case'");
		if (finish_command(c) == -1)
			return -1;
		c->i += 2 + (size_t)(y == ';' && ch(c, 2) == '&');
		*stop = 1;
		return 0;
	}
	if (x == '&' && y == '>') {
		c->i++; /* &> and &>> */
		return scan_redirect(c);
	}
	if (x == ';' || x == '&' || x == '|') {
		if (finish_command(c) == -1)
			return -1;
		c->i += 1 + (size_t)((y == x && x != ';') ||
				     (x == '|' && y == '&'));
		return 0;
	}
	if (x == ')') {
		if (end != END_PAREN)
			return fail(c, at, "unexpected ')'");
		*stop = 1;
		return finish_command(c);
	}
	/* '(' */
	if (c->cmd_start && c->nwords == 0) {
		if (y == '(') {
			c->i += 2;
			if (scan_arith(c, "))", at) == -1)
				return -1;
			c->cmd_start = 0;
			c->plain_cmd = 0;
			return 0;
		}
		if (++c->depth > DEPTH_MAX)
			return fail(c, at, "nested too deep");
		c->i++;
		if (scan_list(c, END_PAREN) == -1)
			return -1;
		c->depth--;
		c->i++;
		c->cmd_start = 0;
		c->plain_cmd = 0;
		return 0;
	}
	if (c->nwords == 1 && y == ')') {
		/* NAME() { ... }: a function definition */
		if (word_has_ref(&c->words[0]))
			return fail(c, word_ref_pos(c, &c->words[0]),
				    "{} as a function's name");
		if (c->words[0].literal)
			taint_func(c, c->words[0].lit);
		c->nwords = 0;
		c->i += 2;
		c->cmd_start = 1;
		return 0;
	}
	return fail(c, at, "unexpected '('");
}

/* The list of commands up to end. */
static int scan_list(struct sc *c, enum end end)
{
	struct word *saved = c->words;
	size_t nsaved = c->nwords, capsaved = c->words_cap, open = c->i;
	int stop = 0, rc = -1, x;
	int saved_start = c->cmd_start, saved_plain = c->plain_cmd;

	c->words = NULL; /* this list's own commands */
	c->words_cap = 0;
	c->nwords = 0;
	c->cmd_start = 1;
	c->plain_cmd = 1;
	while (!stop) {
		skip_blanks(c);
		x = ch(c, 0);
		if (x == -1) {
			if (end != END_EOF) {
				fail(c, open ? open - 1 : 0,
				     end == END_PAREN ? "'(' without ')'"
						      : "'case' without 'esac'");
				goto out;
			}
			if (finish_command(c) == -1)
				goto out;
			if (c->npend > 0) {
				fail(c, c->pend[0].pos,
				     "here-document without its end line '%s'",
				     c->pend[0].delim);
				goto out;
			}
			break;
		}
		if (x == '\n') {
			if (finish_command(c) == -1)
				goto out;
			c->i++;
			if (c->npend > 0 && scan_heredocs(c) == -1)
				goto out;
			continue;
		}
		if (x == '#') {
			scan_comment(c);
			continue;
		}
		if (x == '<' || x == '>') {
			if (scan_redirect(c) == -1)
				goto out;
			continue;
		}
		if (x >= 0 && x < 256 && strchr(";&|()", x) != NULL) {
			if (scan_operator(c, end, &stop) == -1)
				goto out;
			continue;
		}
		if (scan_list_word(c, end, &stop) == -1)
			goto out;
	}
	rc = 0;
out:
	free(c->words);
	c->words = saved;
	c->words_cap = capsaved;
	c->nwords = nsaved;
	c->cmd_start = saved_start;
	c->plain_cmd = saved_plain;
	return rc;
}

int shscan(const int *s, size_t n, struct shscan_ref *refs, size_t nrefs,
	   struct shscan_error *err)
{
	size_t nseen = 0;
	struct sc c = {
		.s = s,
		.n = n,
		.refs = refs,
		.nrefs = nrefs,
		.nseen = &nseen,
		.err = err,
	};
	int rc = -1;

	memset(err, 0, sizeof(*err));
	memset(refs, 0, nrefs * sizeof(*refs));
	c.seen = malloc((nrefs + 1) * sizeof(*c.seen));
	c.taint = calloc(1, sizeof(*c.taint));
	if (c.seen != NULL && c.taint != NULL) {
		taint_specials(&c);
		rc = scan_list(&c, END_EOF);
	}
	if (rc == 0 && err->msg[0] != '\0')
		rc = -1;
	if (rc == 0)
		taint_apply(&c);
	free(c.seen);
	free(c.taint);
	if (rc == -1 && err->msg[0] != '\0')
		errno = EINVAL;
	return rc;
}

void shscan_refs_free(struct shscan_ref *refs, size_t nrefs)
{
	size_t k;

	for (k = 0; refs != NULL && k < nrefs; k++) {
		free(refs[k].delim);
		refs[k].delim = NULL;
	}
}
