/* subst: perl's s/// (and uq) for {= EXPR =}, with pcre2 (see subst.h). */
#include "subst.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum op_kind { OP_SUBST, OP_DEFAULT, OP_SUBSTR, OP_UQ };

/* A piece of a replacement: literal text, a capture, or a case change. */
enum part_kind {
	PART_TEXT, PART_GROUP, PART_UPPER, PART_LOWER, PART_ENDCASE,
	PART_UPPER_NEXT, PART_LOWER_NEXT /* \u \l: the next character */
};

struct part {
	enum part_kind kind;
	size_t off, len; /* PART_TEXT: in the op's text */
	size_t group;	 /* PART_GROUP: 0 is the whole match */
};

/* One statement. */
struct op {
	enum op_kind kind;
	int or_else;	  /* joined to the one before by || */
	pcre2_code *re;	  /* OP_SUBST */
	int global;
	struct part *parts;
	size_t nparts;
	struct buf text;  /* OP_SUBST: the replacement's literal text;
			   * OP_DEFAULT: the default */
	size_t pos, len;  /* OP_SUBSTR */
	int has_len;
};

struct subst {
	struct op *ops;
	size_t nops;
	int unquoted;
};

/* The state of compiling one expression. */
struct parser {
	const char *s;
	size_t n, i;
	char *const *groups;
	size_t ngroups;
	char *msg;
	size_t msgsize;
};

/* Refuse the expression: msg says why. NULL-compatible -1 with EINVAL. */
__attribute__((format(printf, 2, 3))) static int
parse_fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;

	if (ps->msg != NULL && ps->msgsize > 0) {
		va_start(ap, fmt);
		vsnprintf(ps->msg, ps->msgsize, fmt, ap);
		va_end(ap);
	}
	errno = EINVAL;
	return -1;
}

/* A new, empty program. */
static struct subst *subst_alloc(void)
{
	return calloc(1, sizeof(struct subst));
}

/* Add an op to p; a pointer to it or NULL/ENOMEM. */
static struct op *subst_add(struct subst *p, enum op_kind kind)
{
	struct op *ops = realloc(p->ops, (p->nops + 1) * sizeof(*ops));

	if (ops == NULL)
		return NULL;
	p->ops = ops;
	ops = &p->ops[p->nops++];
	memset(ops, 0, sizeof(*ops));
	ops->kind = kind;
	ops->text = (struct buf)BUF_INIT;
	return ops;
}

/* Add a part to an op's replacement. 0 or -1/ENOMEM. */
static int op_add_part(struct op *op, enum part_kind kind, size_t off,
		       size_t len, size_t group)
{
	struct part *parts =
		realloc(op->parts, (op->nparts + 1) * sizeof(*parts));

	if (parts == NULL)
		return -1;
	op->parts = parts;
	parts[op->nparts++] = (struct part){kind, off, len, group};
	return 0;
}

/* Add literal replacement text. 0 or -1/ENOMEM. */
static int op_add_text(struct op *op, const char *s, size_t n)
{
	size_t off = op->text.len;

	if (n == 0)
		return 0;
	if (buf_append(&op->text, s, n) == -1)
		return -1;
	return op_add_part(op, PART_TEXT, off, n, 0);
}

/* 1 if c may start a perl variable's name after '$' or '@'. */
static int is_name_start(char c)
{
	return isalpha((unsigned char)c) || c == '_' || c == '{';
}

/* Read $$N at s[i] (i at the first '$'): its group's index, or -1 (not
 * $$N), or -2 (refused). *end is past it. */
static int parse_group_ref(struct parser *ps, size_t i, size_t *end)
{
	size_t k = i + 2, g = 0;

	if (i + 2 >= ps->n || ps->s[i + 1] != '$' ||
	    !isdigit((unsigned char)ps->s[i + 2]))
		return -1;
	while (k < ps->n && isdigit((unsigned char)ps->s[k]) && g < 1000)
		g = g * 10 + (size_t)(ps->s[k++] - '0');
	if (g == 0 || g > ps->ngroups)
		return parse_fail(ps, "$$%zu: the tag has no group %zu", g, g) -
		       1;
	*end = k;
	return (int)g - 1;
}

/* Read the regexp of s/RE/.../ up to the delimiter d into re. 0 or -1. */
static int parse_regex(struct parser *ps, char d, struct buf *re)
{
	size_t end;
	int g;

	while (ps->i < ps->n && ps->s[ps->i] != d) {
		char c = ps->s[ps->i], next = ps->i + 1 < ps->n
						      ? ps->s[ps->i + 1]
						      : '\0';

		if (c == '\\' && ps->i + 1 < ps->n) {
			if (buf_append(re, ps->s + ps->i, 2) == -1)
				return -1;
			ps->i += 2;
			continue;
		}
		if (c == '$' && (g = parse_group_ref(ps, ps->i, &end)) != -1) {
			if (g < 0)
				return -1;
			if (buf_append_str(re, ps->groups[g]) == -1)
				return -1;
			ps->i = end;
			continue;
		}
		if ((c == '$' && (is_name_start(next) ||
				  isdigit((unsigned char)next) || next == '$')) ||
		    (c == '@' && is_name_start(next)))
			return parse_fail(ps,
					  "'%c%c' in a regexp is a perl variable:"
					  " mprun has none (write \\%c for the "
					  "character)",
					  c, next, c);
		if (buf_append_char(re, c) == -1)
			return -1;
		ps->i++;
	}
	if (ps->i >= ps->n)
		return parse_fail(ps, "s%c...: no closing '%c'", d, d);
	ps->i++;
	return 0;
}

/* A '\' escape in a replacement at s[i] (after the backslash). */
static int parse_repl_escape(struct parser *ps, struct op *op, char c)
{
	static const char plain[] = "ntrf";
	static const char value[] = "\n\t\r\f";
	const char *k;

	if (c == 'U' || c == 'L' || c == 'E' || c == 'u' || c == 'l')
		return op_add_part(op, c == 'U'	  ? PART_UPPER
				       : c == 'L' ? PART_LOWER
				       : c == 'u' ? PART_UPPER_NEXT
				       : c == 'l' ? PART_LOWER_NEXT
						  : PART_ENDCASE,
				   0, 0, 0);
	/* \12, \101: perl reads more digits as a group or an octal code
	 * (it depends on the groups): not guessed */
	if (c >= '1' && c <= '9' && ps->i < ps->n &&
	    isdigit((unsigned char)ps->s[ps->i]))
		return parse_fail(ps, "'\\%c%c' in a replacement: perl reads it "
				      "as a group or an octal code; write "
				      "${%c}%c for a group and a digit",
				  c, ps->s[ps->i], c, ps->s[ps->i]);
	if (c >= '1' && c <= '9')
		return op_add_part(op, PART_GROUP, 0, 0, (size_t)(c - '0'));
	k = c != '\0' ? strchr(plain, c) : NULL;
	if (k != NULL)
		return op_add_text(op, value + (k - plain), 1);
	if (isalnum((unsigned char)c))
		return parse_fail(ps, "'\\%c' in a replacement: mprun knows "
				      "\\n \\t \\r \\f \\U \\L \\E \\u \\l and "
				      "\\1..\\9",
				  c);
	return op_add_text(op, &c, 1);
}

/* A '$' in a replacement at s[i]: $N, ${N}, $&, or $$N. */
static int parse_repl_dollar(struct parser *ps, struct op *op)
{
	const char *s = ps->s;
	size_t i = ps->i + 1, g = 0, end;
	int braced, grp;

	grp = parse_group_ref(ps, ps->i, &end);
	if (grp < -1)
		return -1;
	if (grp >= 0) {
		ps->i = end;
		return op_add_text(op, ps->groups[grp], strlen(ps->groups[grp]));
	}
	if (i < ps->n && s[i] == '&') {
		ps->i = i + 1;
		return op_add_part(op, PART_GROUP, 0, 0, 0);
	}
	braced = i < ps->n && s[i] == '{';
	i += (size_t)braced;
	if (i >= ps->n || !isdigit((unsigned char)s[i]))
		return parse_fail(ps, "'$%.*s' in a replacement is a perl "
				      "variable: mprun knows $1..$99, ${N} "
				      "and $& (write \\$ for the character)",
				  i < ps->n ? 1 : 0, s + (i < ps->n ? i : 0));
	while (i < ps->n && isdigit((unsigned char)s[i]) && g < 100)
		g = g * 10 + (size_t)(s[i++] - '0');
	if (braced && (i >= ps->n || s[i++] != '}'))
		return parse_fail(ps, "${%zu...: no closing '}'", g);
	ps->i = i;
	return op_add_part(op, PART_GROUP, 0, 0, g);
}

/* Read the replacement of s/../REPL/ up to the delimiter d. 0 or -1. */
static int parse_repl(struct parser *ps, char d, struct op *op)
{
	char c;

	while (ps->i < ps->n && ps->s[ps->i] != d) {
		c = ps->s[ps->i];
		if (c == '\\' && ps->i + 1 < ps->n) {
			ps->i += 2;
			if (parse_repl_escape(ps, op, ps->s[ps->i - 1]) == -1)
				return -1;
			continue;
		}
		if (c == '$') {
			if (parse_repl_dollar(ps, op) == -1)
				return -1;
			continue;
		}
		if (c == '@' && ps->i + 1 < ps->n &&
		    is_name_start(ps->s[ps->i + 1]))
			return parse_fail(ps, "'@%c' in a replacement is a perl "
					      "array: mprun has none (write "
					      "\\@ for the character)",
					  ps->s[ps->i + 1]);
		if (op_add_text(op, &c, 1) == -1)
			return -1;
		ps->i++;
	}
	if (ps->i >= ps->n)
		return parse_fail(ps, "s%c...%c...: no closing '%c'", d, d, d);
	ps->i++;
	return 0;
}

/* Read the flags after s///; the pcre2 options. 0 or -1. */
static int parse_flags(struct parser *ps, struct op *op, uint32_t *opts)
{
	char c;

	*opts = 0;
	while (ps->i < ps->n && isalpha((unsigned char)ps->s[ps->i])) {
		c = ps->s[ps->i++];
		if (c == 'g')
			op->global = 1;
		else if (c == 'i')
			*opts |= PCRE2_CASELESS;
		else if (c == 'm')
			*opts |= PCRE2_MULTILINE;
		else if (c == 's')
			*opts |= PCRE2_DOTALL;
		else if (c == 'x')
			*opts |= PCRE2_EXTENDED;
		else if (c == 'e')
			return parse_fail(ps, "the flag e evaluates perl: "
					      "mprun has none (flags: g i m s "
					      "x)");
		else
			return parse_fail(ps, "unknown flag '%c' (mprun "
					      "knows g i m s x)",
					  c);
	}
	return 0;
}

/* Compile the regexp of an s///. 0 or -1. */
static int compile_regex(struct parser *ps, struct op *op,
			 const struct buf *re, uint32_t opts)
{
	PCRE2_UCHAR emsg[128];
	PCRE2_SIZE eoff;
	int code;

	op->re = pcre2_compile((PCRE2_SPTR)(re->data != NULL ? re->data : ""),
			       re->len, opts, &code, &eoff, NULL);
	if (op->re != NULL)
		return 0;
	if (code == PCRE2_ERROR_NOMEMORY) {
		errno = ENOMEM;
		return -1;
	}
	pcre2_get_error_message(code, emsg, sizeof(emsg));
	return parse_fail(ps, "regexp /%.*s/: %s at offset %zu",
			  (int)(re->len > 60 ? 60 : re->len),
			  re->data != NULL ? re->data : "", (char *)emsg,
			  (size_t)eoff);
}

/* s/RE/REPL/FLAGS at s[i] (at the 's'). 0 or -1. */
static int parse_subst(struct parser *ps, struct subst *p, int or_else)
{
	struct buf re = BUF_INIT;
	struct op *op;
	uint32_t opts;
	char d = ps->s[ps->i + 1];
	int rc = -1;

	ps->i += 2;
	op = subst_add(p, OP_SUBST);
	if (op == NULL)
		goto out;
	op->or_else = or_else;
	if (parse_regex(ps, d, &re) == -1 || parse_repl(ps, d, op) == -1 ||
	    parse_flags(ps, op, &opts) == -1 ||
	    compile_regex(ps, op, &re, opts) == -1)
		goto out;
	rc = 0;
out:
	buf_free(&re);
	return rc;
}

/* 1 if c may delimit s///: perl's, but no bracket pair. */
static int is_delimiter(char c)
{
	return c != '\0' && !isalnum((unsigned char)c) &&
	       !isspace((unsigned char)c) && strchr("([{<\\_", c) == NULL;
}

/* 1 if the statement at s[i] is the word w (then followed by a blank, ';',
 * '|' or the end). */
static int at_word(const struct parser *ps, const char *w)
{
	size_t n = strlen(w);
	char c;

	if (ps->n - ps->i < n || memcmp(ps->s + ps->i, w, n) != 0)
		return 0;
	c = ps->i + n < ps->n ? ps->s[ps->i + n] : ';';
	return isspace((unsigned char)c) || c == ';' || c == '|';
}

/* Skip blanks (and newlines) in the expression. */
static void skip_space(struct parser *ps)
{
	while (ps->i < ps->n && isspace((unsigned char)ps->s[ps->i]))
		ps->i++;
}

/* One statement at s[i]. 0 or -1. */
static int parse_statement(struct parser *ps, struct subst *p, int or_else)
{
	size_t start = ps->i, end;

	if (at_word(ps, "uq()") || at_word(ps, "uq")) {
		ps->i += at_word(ps, "uq()") ? 4 : 2;
		p->unquoted = 1;
		return subst_add(p, OP_UQ) == NULL ? -1 : 0;
	}
	if (ps->s[ps->i] == 's' && ps->i + 1 < ps->n &&
	    is_delimiter(ps->s[ps->i + 1]))
		return parse_subst(ps, p, or_else);
	end = start;
	while (end < ps->n && ps->s[end] != ';')
		end++;
	return parse_fail(ps, "'%.*s' is perl: mprun runs only "
			      "s/RE/REPL/FLAGS and uq() (statements "
			      "separated by ';')",
			  (int)(end - start > 60 ? 60 : end - start),
			  ps->s + start);
}

/* The whole expression: statements joined by ';' or '||'. */
static int parse_program(struct parser *ps, struct subst *p)
{
	int or_else = 0;

	for (;;) {
		skip_space(ps);
		if (ps->i >= ps->n)
			return 0;
		if (ps->s[ps->i] == ';') {
			ps->i++;
			or_else = 0;
			continue;
		}
		if (parse_statement(ps, p, or_else) == -1)
			return -1;
		skip_space(ps);
		or_else = ps->n - ps->i >= 2 && ps->s[ps->i] == '|' &&
			  ps->s[ps->i + 1] == '|';
		if (or_else)
			ps->i += 2;
		else if (ps->i < ps->n && ps->s[ps->i] != ';')
			return parse_fail(ps, "'%.20s' after a statement: "
					      "separate statements with ';'",
					  ps->s + ps->i);
	}
}

/* Compile an expression. */
struct subst *subst_compile(const char *expr, size_t len,
			    char *const *groups, size_t ngroups, char *msg,
			    size_t msgsize)
{
	struct parser ps = {expr, len, 0, groups, ngroups, msg, msgsize};
	struct subst *p = subst_alloc();

	if (p == NULL)
		return NULL;
	if (parse_program(&ps, p) == -1) {
		int saved = errno;

		subst_free(p);
		errno = saved;
		return NULL;
	}
	return p;
}

/* $_ ||= str. */
struct subst *subst_new_default(const char *str, size_t len)
{
	struct subst *p = subst_alloc();
	struct op *op = p != NULL ? subst_add(p, OP_DEFAULT) : NULL;

	if (op == NULL || buf_append(&op->text, str, len) == -1) {
		subst_free(p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

/* substr($_, pos, len), or the value without its first pos bytes. */
struct subst *subst_new_substr(size_t pos, size_t len, int has_len)
{
	struct subst *p = subst_alloc();
	struct op *op = p != NULL ? subst_add(p, OP_SUBSTR) : NULL;

	if (op == NULL) {
		subst_free(p);
		errno = ENOMEM;
		return NULL;
	}
	op->pos = pos;
	op->len = len;
	op->has_len = has_len;
	return p;
}

/* Free a program. */
void subst_free(struct subst *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nops; i++) {
		pcre2_code_free(p->ops[i].re);
		free(p->ops[i].parts);
		buf_free(&p->ops[i].text);
	}
	free(p->ops);
	free(p);
}

/* 1 if the value goes in unquoted. */
int subst_unquoted(const struct subst *p)
{
	return p->unquoted;
}

/* c in case mode m (0, PART_UPPER or _NEXT, PART_LOWER or _NEXT). */
static char case_of(char c, int m)
{
	if (m == PART_UPPER || m == PART_UPPER_NEXT)
		return (char)toupper((unsigned char)c);
	if (m == PART_LOWER || m == PART_LOWER_NEXT)
		return (char)tolower((unsigned char)c);
	return c;
}

/* Append s[0..n) to out in the case mode (0, PART_UPPER, PART_LOWER), its
 * first byte in *next's instead when there is one (\u, \l: then 0). */
static int append_case(struct buf *out, const char *s, size_t n, int mode,
		       int *next)
{
	size_t k;

	if (n > 0 && *next != 0) {
		if (buf_append_char(out, case_of(s[0], *next)) == -1)
			return -1;
		*next = 0;
		s++;
		n--;
	}
	if (mode == 0)
		return buf_append(out, s, n);
	for (k = 0; k < n; k++)
		if (buf_append_char(out, case_of(s[k], mode)) == -1)
			return -1;
	return 0;
}

/* Append an op's replacement for the match in ov (of s) to out. */
static int append_repl(const struct op *op, const char *s,
		       const PCRE2_SIZE *ov, int ncap, struct buf *out)
{
	size_t k, g;
	int mode = 0, next = 0, r = 0;
	const struct part *pt;

	for (k = 0; k < op->nparts && r == 0; k++) {
		pt = &op->parts[k];
		g = pt->group;
		switch (pt->kind) {
		case PART_TEXT:
			r = append_case(out, op->text.data + pt->off, pt->len,
					mode, &next);
			break;
		case PART_GROUP:
			if ((int)g < ncap && ov[2 * g] != PCRE2_UNSET)
				r = append_case(out, s + ov[2 * g],
						ov[2 * g + 1] - ov[2 * g],
						mode, &next);
			break;
		case PART_UPPER:
		case PART_LOWER:
			mode = (int)pt->kind;
			break;
		case PART_ENDCASE:
			mode = next = 0;
			break;
		case PART_UPPER_NEXT:
		case PART_LOWER_NEXT:
			next = (int)pt->kind;
			break;
		}
	}
	return r;
}

/* Apply one s/// to s[0..n) into out; *count: substitutions. 0 or -1
 * (EDOM: msg says why pcre2 gave up). */
static int apply_subst(const struct op *op, const char *s, size_t n,
		       struct buf *out, size_t *count, char *msg,
		       size_t msgsize)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(op->re,
								     NULL);
	PCRE2_SIZE *ov, off = 0, copied = 0;
	uint32_t mopts = 0;
	int rc, r = -1;

	*count = 0;
	if (md == NULL) {
		errno = ENOMEM;
		return -1;
	}
	ov = pcre2_get_ovector_pointer(md);
	for (;;) {
		rc = pcre2_match(op->re, (PCRE2_SPTR)s, n, off, mopts, md,
				 NULL);
		if (rc == PCRE2_ERROR_NOMATCH) {
			/* after an empty match: on, one byte further */
			if (mopts == 0 || off >= n)
				break;
			off++;
			mopts = 0;
			continue;
		}
		if (rc == PCRE2_ERROR_NOMEMORY) {
			errno = ENOMEM;
			goto out;
		}
		if (rc < 0) {
			pcre2_get_error_message(rc, (PCRE2_UCHAR *)msg,
						msgsize);
			errno = EDOM;
			goto out;
		}
		if (buf_append(out, s + copied, ov[0] - copied) == -1 ||
		    append_repl(op, s, ov, rc, out) == -1)
			goto out;
		copied = ov[1];
		(*count)++;
		if (!op->global)
			break;
		off = ov[1];
		mopts = ov[0] == ov[1]
				? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED
				: 0;
	}
	r = buf_append(out, s + copied, n - copied);
out:
	pcre2_match_data_free(md);
	return r;
}

/* Apply one op to cur into next; *truth: perl's value of it. 0 or -1. */
static int apply_op(const struct op *op, const struct buf *cur,
		    struct buf *next, int *truth, char *msg, size_t msgsize)
{
	const char *s = cur->data != NULL ? cur->data : "";
	size_t n = cur->len, count = 0;

	*truth = 1;
	switch (op->kind) {
	case OP_SUBST:
		if (apply_subst(op, s, n, next, &count, msg, msgsize) == -1)
			return -1;
		*truth = count > 0;
		return 0;
	case OP_DEFAULT:
		if (n == 0 || (n == 1 && s[0] == '0'))
			return buf_append(next, op->text.data, op->text.len);
		return buf_append(next, s, n);
	case OP_SUBSTR:
		if (op->pos > n)
			return 0;
		if (!op->has_len)
			return buf_append(next, s + op->pos, n - op->pos);
		return buf_append(next, s + op->pos,
				  op->len < n - op->pos ? op->len
							: n - op->pos);
	case OP_UQ:
		return buf_append(next, s, n);
	}
	return 0;
}

/* Run the program on s[0..n). */
int subst_apply(const struct subst *p, const char *s, size_t n,
		struct buf *out, char *msg, size_t msgsize)
{
	struct buf a = BUF_INIT, b = BUF_INIT, t;
	size_t i;
	int truth = 0, r = -1;

	if (buf_append(&a, s, n) == -1)
		goto out;
	for (i = 0; i < p->nops; i++) {
		if (p->ops[i].or_else && truth)
			continue;
		buf_reset(&b);
		if (apply_op(&p->ops[i], &a, &b, &truth, msg, msgsize) == -1)
			goto out;
		t = a;
		a = b;
		b = t;
	}
	r = buf_append(out, a.data != NULL ? a.data : "", a.len);
out:
	buf_free(&a);
	buf_free(&b);
	return r;
}

/* GNU's make_regexp_ungreedy. */
int subst_ungreedy(const char *re, size_t len, struct buf *out)
{
	int in_class = 0, escaped = 0, found = 0;
	size_t k;
	char c;

	for (k = 0; k < len; k++) {
		c = re[k];
		if (found && c != '?' && buf_append_char(out, '?') == -1)
			return -1;
		found = 0;
		if (buf_append_char(out, c) == -1)
			return -1;
		if (escaped) {
			escaped = 0;
			continue;
		}
		if (c == '\\') {
			escaped = 1;
			continue;
		}
		if (c == '[') {
			in_class = 1;
			continue;
		}
		if (in_class) {
			in_class = c != ']';
			continue;
		}
		found = c == '*' || c == '}' || c == '+';
	}
	return found ? buf_append_char(out, '?') : 0;
}
