/* template: a command template with GNU-parallel replacement strings, and
 * its expansion for one job (see template.h for the rules). */
#include "template.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "quote.h"
#include "shscan.h"
#include "subst.h"

/* Digits of the widest {#} (unsigned long long) and {%} (unsigned). */
#define SEQ_DIGITS_MAX 20
#define SLOT_DIGITS_MAX 10
/* Positions past this are not replacement strings ({1234567890} is text). */
#define POSITION_MAX 999999999UL

enum seg_kind {
	SEG_TEXT,  /* literal template text */
	SEG_ARGS,  /* {} {.} {/} {//} {/.} ...: every argument */
	SEG_POS,   /* {n} {n.} {n/} {n//} {n/.} ...: the n-th argument */
	SEG_SEQ,   /* {#} */
	SEG_SLOT,  /* {%} */
	SEG_SLOT0, /* {0%}: zero-padded to the width of the slot count */
	SEG_TOTAL, /* {##}: the number of jobs */
	SEG_SEQ0,  /* {0#}: {#} zero-padded to the width of {##} */
};
/* A number, not an input: SEG_SEQ ... SEG_SEQ0. */
#define SEG_IS_NUMBER(k) ((k) != SEG_TEXT && (k) != SEG_ARGS && (k) != SEG_POS)

enum xform {
	XF_NONE,	  /* the argument as is */
	XF_NOEXT,	  /* {.} */
	XF_BASE,	  /* {/} */
	XF_DIR,		  /* {//} */
	XF_BASE_NOEXT, /* {/.} */
	XF_COUNT,
	XF_EXPR = XF_COUNT, /* a program of lib/subst: {= =}, --plus, --rpl */
};

/* The variable of argument i after transform xf: _mp1, _mp1_noext, ...;
 * after the k-th expression: _mp1_e<k>. */
static const char *const xf_suffix[XF_COUNT] = {"", "_noext", "_base",
						"_dir", "_basenoext"};

/* One piece of a template word. */
struct seg {
	enum seg_kind kind;
	enum xform xf;
	size_t pos;	     /* SEG_POS: 1-based */
	int from_end;	     /* SEG_POS: pos counts from the last ({-1}) */
	const char *text;    /* SEG_TEXT: points into the word's copy */
	size_t len;
	size_t ref;	     /* others: index in the template's refs */
	struct subst *expr;  /* XF_EXPR (the template's) */
	size_t xid;	     /* XF_EXPR: its index in the template's */
	int raw;	     /* uq(): written unquoted, as code */
};

/* One template word, cut into segments. */
struct word {
	char *src;
	struct seg *segs;
	size_t nsegs;
	int repeat; /* TEMPLATE_CONTEXT: written once per argument */
};

/* What a replacement string is (GNU parallel's --rpl keys). */
enum tag_kind {
	TAG_XF,		 /* a transform of the argument */
	TAG_SEQ,	 /* {#} */
	TAG_SLOT,	 /* {%} */
	TAG_SLOT0,	 /* {0%} */
	TAG_TOTAL,	 /* {##} */
	TAG_SEQ0,	 /* {0#} */
	TAG_EXPR,	 /* a program of lib/subst, $$N: the key's groups */
	TAG_UNGREEDY,	 /* the same, its group 1 made lazy first */
	TAG_DEFAULT,	 /* {:-str} */
	TAG_SUBSTR,	 /* {:pos} {:pos:len} */
	TAG_UNSUPPORTED, /* refused: expr says why */
};

/* A replacement string: GNU's key ("{.}", or "{:(\d+?)}" with a regexp in
 * parentheses), what it does, and the key compiled for a place of a word,
 * in its plain and positional ({2.}) forms. */
struct tag {
	const char *key;
	enum tag_kind kind;
	enum xform xf;
	const char *expr;
	pcre2_code *re, *pos_re;
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
	struct tag *tags; /* longest key first, as GNU tries them */
	size_t ntags;
	char **keys;	      /* the keys of --rpl (owned) */
	struct subst **exprs; /* the programs of XF_EXPR segments */
	size_t nexprs;
	int slot_width;	      /* {0%} */
	unsigned long long total; /* {##} (0: not known: refused) */
	int seq_width;	      /* {0#} */
};

/* The state of one expansion: into a shell command, into argv words, or
 * only measured (out == NULL). */
struct emit {
	int shell;
	int quote;	  /* shell: quote argument texts */
	struct buf *out;  /* shell: the command; argv: words, NUL-ended */
	struct buf tmp;	  /* scratch for a transformed argument */
	struct buf val;	  /* the value of an expression */
	size_t size;	  /* measuring: bytes written */
	size_t nwords;	  /* argv: words finished */
	int in_word;	  /* argv: a word is started */
	const struct template *t;
	const struct template_job *job;
	struct template_error *err; /* a value that may not stand here */
	struct buf pre;	  /* shell: the variables holding the inputs */
	unsigned char *assigned; /* shell: [arg * nxf + xf or XF_COUNT + xid]
				  * in pre */
	size_t nxf;	  /* XF_COUNT + the template's expressions */
	size_t line_start; /* shell: where the current output line starts */
	const struct shscan_ref *heredoc; /* shell: a quoted here-document's
					   * line holds an input */
};

/* The default replacement strings, in enum template_tag's order. */
static const struct tag default_tags[TEMPLATE_TAG_COUNT] = {
	{"{}", TAG_XF, XF_NONE, NULL, NULL, NULL},
	{"{.}", TAG_XF, XF_NOEXT, NULL, NULL, NULL},
	{"{/}", TAG_XF, XF_BASE, NULL, NULL, NULL},
	{"{//}", TAG_XF, XF_DIR, NULL, NULL, NULL},
	{"{/.}", TAG_XF, XF_BASE_NOEXT, NULL, NULL, NULL},
	{"{#}", TAG_SEQ, XF_NONE, NULL, NULL, NULL},
	{"{%}", TAG_SLOT, XF_NONE, NULL, NULL, NULL},
};

#define NO_TOTAL                                                               \
	"needs the number of jobs before the first starts: mprun counts them " \
	"first only from ::: values and files (not stdin, nor with -X, -m "   \
	"or --pipe), and not in --tagstring or callbacks"
#define NO_SKIP "skips jobs, which mprun does not do from a replacement string"
#define NO_HOST "is not available in mprun (no host groups)"

/* GNU parallel's --plus strings (parallel 20221122, %Global::plus). */
static const struct tag plus_tags[] = {
	{"{+/}", TAG_EXPR, XF_EXPR, "s:/[^/]*$:: || s:.*$::", NULL, NULL},
	{"{+.}", TAG_EXPR, XF_EXPR, "s:.*\\.:: || s:.*$::", NULL, NULL},
	{"{+..}", TAG_EXPR, XF_EXPR,
	 "s:.*\\.([^/.]*\\.[^/.]*)$:$1: || s:.*$::", NULL, NULL},
	{"{+...}", TAG_EXPR, XF_EXPR,
	 "s:.*\\.([^/.]*\\.[^/.]*\\.[^/.]*)$:$1: || s:.*$::", NULL, NULL},
	{"{..}", TAG_EXPR, XF_EXPR, "s:\\.[^/.]*\\.[^/.]*$::", NULL, NULL},
	{"{...}", TAG_EXPR, XF_EXPR, "s:\\.[^/.]*\\.[^/.]*\\.[^/.]*$::", NULL,
	 NULL},
	{"{/..}", TAG_EXPR, XF_EXPR, "s:.*/::; s:\\.[^/.]*\\.[^/.]*$::", NULL,
	 NULL},
	{"{/...}", TAG_EXPR, XF_EXPR,
	 "s:.*/::; s:\\.[^/.]*\\.[^/.]*\\.[^/.]*$::", NULL, NULL},
	{"{##}", TAG_TOTAL, XF_NONE, NULL, NULL, NULL},
	{"{0#}", TAG_SEQ0, XF_NONE, NULL, NULL, NULL},
	{"{0%}", TAG_SLOT0, XF_NONE, NULL, NULL, NULL},
	{"{choose_k}", TAG_UNSUPPORTED, XF_NONE, NO_SKIP, NULL, NULL},
	{"{uniq}", TAG_UNSUPPORTED, XF_NONE, NO_SKIP, NULL, NULL},
	{"{:-([^}]+?)}", TAG_DEFAULT, XF_EXPR, NULL, NULL, NULL},
	{"{:(\\d+?)}", TAG_SUBSTR, XF_EXPR, NULL, NULL, NULL},
	{"{:(\\d+?):(\\d+?)}", TAG_SUBSTR, XF_EXPR, NULL, NULL, NULL},
	{"{#([^#}][^}]*?)}", TAG_UNGREEDY, XF_EXPR, "s/^$$1(.*)/$1/", NULL,
	 NULL},
	{"{##([^#}][^}]*?)}", TAG_EXPR, XF_EXPR, "s/^$$1//", NULL, NULL},
	{"{%([^}]+?)}", TAG_UNGREEDY, XF_EXPR, "s/(.*)$$1$/$1/", NULL, NULL},
	{"{%%([^}]+?)}", TAG_EXPR, XF_EXPR, "s/$$1$//", NULL, NULL},
	{"{/([^#%}/]+?)/([^}]*?)}", TAG_EXPR, XF_EXPR, "s/$$1/$$2/", NULL,
	 NULL},
	{"{/#([^}]+?)/([^}]*?)}", TAG_EXPR, XF_EXPR, "s/^$$1/$$2/g", NULL,
	 NULL},
	{"{/%([^}]+?)/([^}]*?)}", TAG_EXPR, XF_EXPR, "s/$$1$/$$2/g", NULL,
	 NULL},
	{"{//([^}]+?)/([^}]*?)}", TAG_EXPR, XF_EXPR, "s/$$1/$$2/g", NULL,
	 NULL},
	{"{^([^}]+?)}", TAG_EXPR, XF_EXPR, "s/^($$1)/\\U$1/", NULL, NULL},
	{"{^^([^}]+?)}", TAG_EXPR, XF_EXPR, "s/($$1)/\\U$1/g", NULL, NULL},
	{"{,([^}]+?)}", TAG_EXPR, XF_EXPR, "s/^($$1)/\\L$1/", NULL, NULL},
	{"{,,([^}]+?)}", TAG_EXPR, XF_EXPR, "s/($$1)/\\L$1/g", NULL, NULL},
	{"{slot}", TAG_SLOT, XF_NONE, NULL, NULL, NULL},
	{"{host}", TAG_UNSUPPORTED, XF_NONE, NO_HOST, NULL, NULL},
	{"{sshlogin}", TAG_UNSUPPORTED, XF_NONE, NO_HOST, NULL, NULL},
	{"{hgrp}", TAG_UNSUPPORTED, XF_NONE, NO_HOST, NULL, NULL},
	{"{agrp}", TAG_UNSUPPORTED, XF_NONE, NO_HOST, NULL, NULL},
};

/* A replacement string found in a word: src[start, end). */
struct hit {
	size_t start, end;
	struct seg seg;
};

/* Why a word was refused, and where in it. */
struct parse_error {
	size_t off;
	char msg[320];
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

/* Fill a parse error: the place in the word and the message. -1/EINVAL. */
__attribute__((format(printf, 3, 4))) static int
parse_fail(struct parse_error *pe, size_t off, const char *fmt, ...)
{
	va_list ap;

	pe->off = off;
	va_start(ap, fmt);
	vsnprintf(pe->msg, sizeof(pe->msg), fmt, ap);
	va_end(ap);
	errno = EINVAL;
	return -1;
}

/* Append s[0..n) to a pattern as literal characters. */
static int pattern_literal(struct buf *pat, const char *s, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		if ((!isalnum((unsigned char)s[k]) &&
		     buf_append_char(pat, '\\') == -1) ||
		    buf_append_char(pat, s[k]) == -1)
			return -1;
	return 0;
}

/* A key as a pattern (GNU: the text before the first '(' and after the
 * last ')' literal, the rest a regexp); pos: its positional form {N...},
 * for a key that starts with '{'. *re is NULL when there is none. 0, or
 * -1 with a message for a key that is no regexp. */
static int tag_compile(const char *key, int pos, pcre2_code **re,
		       struct parse_error *pe)
{
	const char *open = strchr(key, '('), *close = strrchr(key, ')');
	size_t n = strlen(key), plen = n, glen = 0;
	struct buf pat = BUF_INIT;
	PCRE2_UCHAR emsg[128];
	PCRE2_SIZE eoff;
	int code, rc = -1;

	*re = NULL;
	if (pos && key[0] != '{')
		return 0;
	if (open != NULL && close != NULL && close > open) {
		plen = (size_t)(open - key);
		glen = (size_t)(close + 1 - open);
	}
	if (pos && (buf_append_str(&pat, "\\{(-?\\d+)\\s*") == -1 ||
		    pattern_literal(&pat, key + 1, plen - 1) == -1))
		goto out;
	if ((!pos && pattern_literal(&pat, key, plen) == -1) ||
	    buf_append(&pat, key + plen, glen) == -1 ||
	    pattern_literal(&pat, key + plen + glen, n - plen - glen) == -1)
		goto out;
	*re = pcre2_compile((PCRE2_SPTR)pat.data, pat.len, PCRE2_DOTALL, &code,
			    &eoff, NULL);
	if (*re != NULL) {
		rc = 0;
	} else {
		pcre2_get_error_message(code, emsg, sizeof(emsg));
		rc = parse_fail(pe, 0, "the replacement string '%s' is not a "
				       "regexp: %s",
				key, (char *)emsg);
	}
out:
	buf_free(&pat);
	return rc;
}

/* Add a tag to t (a later one with the same key takes its place). */
static void template_add_tag(struct template *t, const struct tag *tag)
{
	size_t k;

	for (k = 0; k < t->ntags; k++)
		if (strcmp(t->tags[k].key, tag->key) == 0)
			break;
	t->tags[k] = *tag;
	if (k == t->ntags)
		t->ntags++;
}

/* --rpl 'TAG EXPR': the key up to the first blank, then the program. */
static int rpl_tag(const char *rpl, struct tag *tag, struct parse_error *pe)
{
	size_t n = strcspn(rpl, " \t\n");

	if (n == 0 || rpl[n] == '\0')
		return parse_fail(pe, 0, "--rpl '%s': not 'TAG EXPRESSION'",
				  rpl);
	*tag = (struct tag){NULL, TAG_EXPR, XF_EXPR, rpl + n + 1, NULL, NULL};
	tag->key = strndup(rpl, n);
	return tag->key == NULL ? -1 : 0;
}

/* The replacement strings of conf, longest key first (GNU's order), each
 * compiled. 0, or -1 (ENOMEM, or EINVAL with pe filled). */
static int template_init_tags(struct template *t,
			      const struct template_conf *conf,
			      struct parse_error *pe)
{
	size_t k, j, max = TEMPLATE_TAG_COUNT + ARRAY_LEN(plus_tags) +
			   conf->nrpls;
	struct tag tag;

	t->tags = calloc(max, sizeof(*t->tags));
	t->keys = calloc(conf->nrpls + 1, sizeof(*t->keys));
	if (t->tags == NULL || t->keys == NULL)
		return -1;
	for (k = 0; k < TEMPLATE_TAG_COUNT; k++) {
		tag = default_tags[k];
		if (conf->tags[k] != NULL)
			tag.key = conf->tags[k];
		template_add_tag(t, &tag);
	}
	for (k = 0; conf->plus && k < ARRAY_LEN(plus_tags); k++)
		template_add_tag(t, &plus_tags[k]);
	for (k = 0; k < conf->nrpls; k++) {
		if (rpl_tag(conf->rpls[k], &tag, pe) == -1)
			return -1;
		t->keys[k] = (char *)tag.key;
		template_add_tag(t, &tag);
	}
	/* stable: by length of key, longest first */
	for (k = 1; k < t->ntags; k++)
		for (j = k; j > 0 && strlen(t->tags[j - 1].key) <
					     strlen(t->tags[j].key);
		     j--) {
			tag = t->tags[j];
			t->tags[j] = t->tags[j - 1];
			t->tags[j - 1] = tag;
		}
	for (k = 0; k < t->ntags; k++)
		if (tag_compile(t->tags[k].key, 0, &t->tags[k].re, pe) == -1 ||
		    tag_compile(t->tags[k].key, 1, &t->tags[k].pos_re, pe) == -1)
			return -1;
	return 0;
}

/* Keep a compiled expression in t; its index, or -1/ENOMEM. */
static int template_add_expr(struct template *t, struct subst *p, size_t *xid)
{
	struct subst **v = realloc(t->exprs, (t->nexprs + 1) * sizeof(*v));

	if (v == NULL) {
		subst_free(p);
		return -1;
	}
	t->exprs = v;
	*xid = t->nexprs;
	v[t->nexprs++] = p;
	return 0;
}

/* A segment for an expression on the arguments (pos 0) or the pos-th. */
static int seg_expr(struct template *t, struct subst *p, size_t pos,
		    struct seg *g)
{
	if (p == NULL)
		return -1;
	g->kind = pos > 0 ? SEG_POS : SEG_ARGS;
	g->pos = pos;
	g->xf = XF_EXPR;
	g->expr = p;
	g->raw = subst_unquoted(p);
	return template_add_expr(t, p, &g->xid);
}

/* A {= EXPR =} at src[i..end): its segment. 0 or -1 (pe filled). */
static int parse_braced_expr(struct template *t, const char *src, size_t i,
			     size_t end, struct seg *g, struct parse_error *pe)
{
	size_t k = i + 2, pos = 0;
	char msg[256];
	struct subst *p;

	while (k < end - 2 && isdigit((unsigned char)src[k]) &&
	       pos <= POSITION_MAX)
		pos = pos * 10 + (size_t)(src[k++] - '0');
	if (k > i + 2 && (pos == 0 || pos > POSITION_MAX))
		return parse_fail(pe, i, "%.*s: not a position (1 to %lu)",
				  (int)(k - i), src + i, POSITION_MAX);
	p = subst_compile(src + k, end - 2 - k, NULL, 0, msg, sizeof(msg));
	if (p == NULL && errno == EINVAL)
		return parse_fail(pe, i, "%.*s: %s", (int)(end - i), src + i,
				  msg);
	return seg_expr(t, p, pos, g);
}

/* The end of the {= =} that starts at src[i] (GNU: the first =} with no
 * {= before it), or 0. */
static size_t braced_expr_end(const char *src, size_t n, size_t i)
{
	size_t j;

	if (n - i < 4 || src[i] != '{' || src[i + 1] != '=')
		return 0;
	for (j = i + 2; j + 1 < n; j++) {
		if (src[j] == '=' && src[j + 1] == '}')
			return j + 2;
		if (src[j] == '{' && src[j + 1] == '=')
			return 0;
	}
	return 0;
}

/* Find the {= EXPR =} of a word (GNU finds them before the other
 * strings). 0 or -1. */
static int find_braced_exprs(struct template *t, const char *src, size_t n,
			     struct hit *hits, size_t *nhits,
			     unsigned char *claimed, struct parse_error *pe)
{
	size_t i, end;

	for (i = 0; i + 1 < n; i++) {
		end = braced_expr_end(src, n, i);
		if (end == 0)
			continue;
		hits[*nhits].start = i;
		hits[*nhits].end = end;
		if (parse_braced_expr(t, src, i, end, &hits[*nhits].seg, pe) ==
		    -1)
			return -1;
		(*nhits)++;
		memset(claimed + i, 1, end - i);
		i = end - 1;
	}
	return 0;
}

/* The number in s (digits), saturated past POSITION_MAX. */
static size_t parse_count(const char *s)
{
	size_t v = 0;

	for (; isdigit((unsigned char)*s) && v <= POSITION_MAX; s++)
		v = v * 10 + (size_t)(*s - '0');
	return v;
}

/* The program of a tag, given its key's groups. */
static struct subst *tag_program(const struct tag *tag, char **groups,
				 size_t ngroups, char *msg, size_t msgsize)
{
	struct buf lazy = BUF_INIT;
	struct subst *p;

	if (tag->kind == TAG_DEFAULT)
		return subst_new_default(groups[0], strlen(groups[0]));
	if (tag->kind == TAG_SUBSTR)
		return subst_new_substr(parse_count(groups[0]),
					ngroups > 1 ? parse_count(groups[1]) : 0,
					ngroups > 1);
	if (tag->kind == TAG_UNGREEDY) {
		if (subst_ungreedy(groups[0], strlen(groups[0]), &lazy) == -1 ||
		    buf_append(&lazy, "", 0) == -1)
			return NULL;
		free(groups[0]);
		groups[0] = buf_steal(&lazy);
	}
	p = subst_compile(tag->expr, strlen(tag->expr), groups, ngroups, msg,
			  msgsize);
	return p;
}

/* The segment of a tag matched at src[ov[0], ov[1]) (pos: in its
 * positional form, group 1 the position). 1, 0 (not a replacement
 * string: a position out of range), or -1 (pe filled, or ENOMEM). */
static int tag_segment(struct template *t, const struct tag *tag,
		       const char *src, const PCRE2_SIZE *ov, int ncap,
		       int pos, struct seg *g, struct parse_error *pe)
{
	size_t k, first = pos ? 2 : 1, ngroups = 0, at = 0;
	char *groups[16] = {NULL}, msg[256];
	int rc = -1, neg = pos && src[ov[2]] == '-';

	memset(g, 0, sizeof(*g));
	if (pos) {
		at = parse_count(src + ov[2] + neg);
		if (at == 0 || at > POSITION_MAX)
			return 0;
	}
	for (k = first; k < (size_t)ncap && ngroups < ARRAY_LEN(groups); k++) {
		groups[ngroups] = ov[2 * k] == PCRE2_UNSET
					  ? strdup("")
					  : strndup(src + ov[2 * k],
						    ov[2 * k + 1] - ov[2 * k]);
		if (groups[ngroups++] == NULL)
			goto out;
	}
	rc = 1;
	switch (tag->kind) {
	case TAG_XF:
		g->kind = pos ? SEG_POS : SEG_ARGS;
		g->pos = at;
		g->xf = tag->xf;
		break;
	case TAG_SEQ:
	case TAG_SLOT:
	case TAG_SLOT0:
		g->kind = tag->kind == TAG_SEQ	  ? SEG_SEQ
			  : tag->kind == TAG_SLOT ? SEG_SLOT
						  : SEG_SLOT0;
		break;
	case TAG_TOTAL:
	case TAG_SEQ0:
		g->kind = tag->kind == TAG_TOTAL ? SEG_TOTAL : SEG_SEQ0;
		if (t->total == 0)
			rc = parse_fail(pe, ov[0], "%.*s %s",
					(int)(ov[1] - ov[0]), src + ov[0],
					NO_TOTAL);
		break;
	case TAG_UNSUPPORTED:
		rc = parse_fail(pe, ov[0], "%.*s %s", (int)(ov[1] - ov[0]),
				src + ov[0], tag->expr);
		break;
	default:
		msg[0] = '\0';
		if (seg_expr(t, tag_program(tag, groups, ngroups, msg,
					    sizeof(msg)),
			     at, g) == -1)
			rc = msg[0] != '\0'
				     ? parse_fail(pe, ov[0], "%.*s: %s",
						  (int)(ov[1] - ov[0]),
						  src + ov[0], msg)
				     : -1;
	}
out:
	if (rc == 1 && g->kind == SEG_POS)
		g->from_end = neg; /* {-n}: the n-th from the last */
	for (k = 0; k < ngroups; k++)
		free(groups[k]);
	return rc;
}

/* 1 if any of claimed[from, to) is set. */
static int is_claimed(const unsigned char *claimed, size_t from, size_t to)
{
	for (; from < to; from++)
		if (claimed[from])
			return 1;
	return 0;
}

/* Find every place of one tag in a word, outside the places already
 * found, and add them to hits. 0 or -1. */
static int find_tag(struct template *t, const struct tag *tag,
		    const char *src, size_t n, struct hit *hits, size_t *nhits,
		    unsigned char *claimed, struct parse_error *pe)
{
	pcre2_match_data *md = pcre2_match_data_create(20, NULL);
	pcre2_code *re;
	PCRE2_SIZE *ov;
	size_t p;
	int form, rc, r = -1;

	if (md == NULL)
		return -1;
	ov = pcre2_get_ovector_pointer(md);
	for (p = 0; p < n; p++) {
		for (form = 0; form < 2 && !claimed[p]; form++) {
			re = form ? tag->pos_re : tag->re;
			if (re == NULL)
				continue;
			rc = pcre2_match(re, (PCRE2_SPTR)src, n, p,
					 PCRE2_ANCHORED, md, NULL);
			if (rc <= 0 || ov[1] == p || is_claimed(claimed, p, ov[1]))
				continue;
			rc = tag_segment(t, tag, src, ov, rc, form,
					 &hits[*nhits].seg, pe);
			if (rc == -1)
				goto out;
			if (rc == 0)
				continue;
			hits[*nhits].start = p;
			hits[(*nhits)++].end = ov[1];
			memset(claimed + p, 1, ov[1] - p);
		}
	}
	r = 0;
out:
	pcre2_match_data_free(md);
	return r;
}

/* Order hits by their place in the word. */
static int hit_cmp(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Add a text segment for src[from, to) if it is not empty. */
static void word_add_text(struct word *w, size_t from, size_t to)
{
	if (to == from)
		return;
	w->segs[w->nsegs++] = (struct seg){
		.kind = SEG_TEXT, .text = w->src + from, .len = to - from};
}

/* Cut a word into segments: find its replacement strings ({= =} first,
 * then each tag, longest key first: GNU's order). 0 or -1 (ENOMEM, or
 * EINVAL with pe filled). */
static int word_parse(struct template *t, struct word *w, const char *src,
		      struct parse_error *pe)
{
	size_t n = strlen(src), nhits = 0, k, from = 0;
	struct hit *hits = calloc(n + 1, sizeof(*hits));
	unsigned char *claimed = calloc(n + 1, 1);
	int rc = -1;

	w->src = strdup(src);
	if (hits == NULL || claimed == NULL || w->src == NULL ||
	    find_braced_exprs(t, w->src, n, hits, &nhits, claimed, pe) == -1)
		goto out;
	for (k = 0; k < t->ntags; k++)
		if (find_tag(t, &t->tags[k], w->src, n, hits, &nhits, claimed,
			     pe) == -1)
			goto out;
	qsort(hits, nhits, sizeof(*hits), hit_cmp);
	w->segs = calloc(2 * nhits + 1, sizeof(*w->segs));
	if (w->segs == NULL)
		goto out;
	for (k = 0; k < nhits; k++) {
		word_add_text(w, from, hits[k].start);
		hits[k].seg.text = w->src + hits[k].start; /* for messages */
		hits[k].seg.len = hits[k].end - hits[k].start;
		w->segs[w->nsegs++] = hits[k].seg;
		from = hits[k].end;
	}
	word_add_text(w, from, n);
	rc = 0;
out:
	free(hits);
	free(claimed);
	return rc;
}

/* The offset of a "{=" of s that no "=}" closes (GNU's merge_rpl_parts:
 * the rightmost "{=" with a "=}" after it goes with the first such "=}",
 * again and again), or -1. */
static long unclosed_brace(const char *s)
{
	char *c = strdup(s), *open, *close, *p;
	long r = -1;

	if (c == NULL)
		return -1;
	for (;;) {
		open = NULL;
		for (p = c; (p = strstr(p, "{=")) != NULL; p++)
			if (strstr(p + 2, "=}") != NULL)
				open = p;
		if (open == NULL)
			break;
		close = strstr(open + 2, "=}");
		memmove(open, close + 2, strlen(close + 2) + 1);
	}
	p = strstr(c, "{=");
	if (p != NULL) {
		p = strstr(s, "{=");
		r = p != NULL ? (long)(p - s) : 0;
	}
	free(c);
	return r;
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
			/* -q: literal text is data, quoted if need be */
			if (!(t->flags & TEMPLATE_QUOTE) &&
			    seg_needs_shell(&w->segs[i]))
				t->shell = 1;
			break;
		case SEG_ARGS:
			all = 1;
			break;
		case SEG_POS:
			pos = 1;
			if (!w->segs[i].from_end &&
			    w->segs[i].pos > t->max_pos)
				t->max_pos = w->segs[i].pos;
			break;
		default:
			break;
		}
		if (w->segs[i].kind != SEG_TEXT)
			t->has_repl = 1;
		if (w->segs[i].raw) /* uq(): the value is code */
			t->shell = 1;
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

/* The scanner's view of a command: items and their offsets in the text. */
struct stream {
	int *items;
	size_t *offs;
	size_t n, cap;
};

/* Add an item at offset off of the text. 0 or -1/ENOMEM. */
static int stream_push(struct stream *st, int item, size_t off)
{
	size_t cap = st->cap ? 2 * st->cap : 64;
	int *items;
	size_t *offs;

	if (st->n == st->cap) {
		items = realloc(st->items, cap * sizeof(*items));
		if (items != NULL)
			st->items = items;
		offs = realloc(st->offs, cap * sizeof(*offs));
		if (offs != NULL)
			st->offs = offs;
		if (items == NULL || offs == NULL)
			return -1;
		st->cap = cap;
	}
	st->items[st->n] = item;
	st->offs[st->n++] = off;
	return 0;
}

/* Literal text as the shell reads it: as it is, or with -q quoted as
 * emit_text() writes it (so that the scanner sees the very command). */
static int stream_text(const struct template *t, struct stream *st,
		       const char *s, size_t n, size_t off)
{
	struct buf q = BUF_INIT, raw = BUF_INIT;
	size_t k;
	int rc = -1;

	if (!(t->flags & TEMPLATE_QUOTE)) {
		for (k = 0; k < n; k++)
			if (stream_push(st, (unsigned char)s[k], off + k) == -1)
				return -1;
		return 0;
	}
	if (buf_append(&raw, s, n) == -1 || buf_append(&raw, "", 0) == -1 ||
	    quote_shell(&q, raw.data) == -1)
		goto out;
	for (k = 0; k < q.len; k++)
		if (stream_push(st, (unsigned char)q.data[k], off) == -1)
			goto out;
	rc = 0;
out:
	buf_free(&q);
	buf_free(&raw);
	return rc;
}

/* The command as the shell reads it: the words joined by spaces, each
 * replacement string one item (SHSCAN_REF), with the byte offset of each
 * item in the joined text. {#} and {%} are digits: "0" to the scanner. */
static int template_stream(const struct template *t, struct stream *st,
			   struct buf *text)
{
	size_t i, j;
	const struct seg *g;

	for (i = 0; i < t->nwords; i++) {
		if (i > 0 && (stream_push(st, ' ', text->len) == -1 ||
			      buf_append_char(text, ' ') == -1))
			return -1;
		if ((t->flags & TEMPLATE_QUOTE) && t->words[i].nsegs == 0 &&
		    stream_text(t, st, "", 0, text->len) == -1)
			return -1;
		for (j = 0; j < t->words[i].nsegs; j++) {
			g = &t->words[i].segs[j];
			if (g->kind == SEG_TEXT) {
				if (stream_text(t, st, g->text, g->len,
						text->len) == -1 ||
				    buf_append(text, g->text, g->len) == -1)
					return -1;
				continue;
			}
			if (stream_push(st,
					SEG_IS_NUMBER(g->kind)
						? '0'
						: SHSCAN_REF(g->ref),
					text->len) == -1 ||
			    buf_append(text, g->text, g->len) == -1)
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
	struct stream st = {NULL, NULL, 0, 0};
	size_t n, i, k;
	size_t *offs;
	int *stream, rc = -1;

	if (err == NULL)
		err = &dummy;
	if (template_stream(t, &st, &text) == -1 ||
	    stream_push(&st, 0, text.len) == -1) /* never empty */
		goto out;
	n = st.n - 1;
	stream = st.items;
	offs = st.offs;
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
	free(st.items);
	free(st.offs);
	buf_free(&text);
	return rc;
}

/* A word that is every argument, for a command with no replacement
 * string (whatever -I made of {}). */
static int word_all_args(struct word *w)
{
	w->src = strdup("{}");
	w->segs = calloc(1, sizeof(*w->segs));
	if (w->src == NULL || w->segs == NULL)
		return -1;
	w->segs[0] = (struct seg){.kind = SEG_ARGS, .xf = XF_NONE,
				  .text = w->src, .len = 2};
	w->nsegs = 1;
	return 0;
}

/* Words from words[i] on joined by spaces into merged, as long as a {=
 * is not closed (GNU: {= s/a/b/ =} given as three words is one). The
 * index of the next word; *open: the offset of a {= left open, or -1. */
static size_t merge_words(char *const *words, size_t nwords, size_t i,
			  struct buf *merged, long *open)
{
	buf_reset(merged);
	if (buf_append_str(merged, words[i++]) == -1 ||
	    buf_append(merged, "", 0) == -1) {
		*open = -2;
		return i;
	}
	while ((*open = unclosed_brace(merged->data)) >= 0 && i < nwords)
		if (buf_append_char(merged, ' ') == -1 ||
		    buf_append_str(merged, words[i++]) == -1) {
			*open = -2;
			return i;
		}
	return i;
}

/* Parse every word, appending {} when no replacement string is used.
 * 0, or -1 (ENOMEM, or EINVAL: pe says why, *at where in the command as
 * one text). */
static int template_parse(struct template *t, char *const *words,
			  size_t nwords, struct parse_error *pe, size_t *at)
{
	struct buf merged = BUF_INIT;
	size_t i = 0, base = 0;
	long open;
	int rc = -1;

	while (i < nwords) {
		i = merge_words(words, nwords, i, &merged, &open);
		if (open == -2)
			goto out;
		if (open >= 0) {
			*at = base + (size_t)open;
			rc = parse_fail(pe, 0, "'{=' with no '=}' to close it");
			goto out;
		}
		if (word_parse(t, &t->words[t->nwords], merged.data, pe) ==
		    -1) {
			*at = base + pe->off;
			goto out;
		}
		template_scan_word(t, &t->words[t->nwords++]);
		base += merged.len + 1;
	}
	if (!t->has_repl && !(t->flags & TEMPLATE_NO_APPEND)) {
		if (word_all_args(&t->words[t->nwords]) == -1)
			goto out;
		template_scan_word(t, &t->words[t->nwords++]);
		t->has_repl = 0; /* the command itself has none */
	}
	rc = template_number_refs(t);
out:
	buf_free(&merged);
	return rc;
}

/* A word or an option refused (EINVAL): err says why, at byte at of the
 * command as one text. */
static void template_refuse(struct template_error *err, char *const *words,
			    size_t nwords, const struct parse_error *pe,
			    size_t at)
{
	struct buf text = BUF_INIT;
	size_t i;

	if (err == NULL)
		return;
	memset(err, 0, sizeof(*err));
	snprintf(err->msg, sizeof(err->msg), "%s", pe->msg);
	for (i = 0; i < nwords; i++)
		if ((i > 0 && buf_append_char(&text, ' ') == -1) ||
		    buf_append_str(&text, words[i]) == -1)
			break;
	error_place(err, text.data != NULL ? text.data : "", text.len, at);
	buf_free(&text);
}

/* The tags are only needed while the words are parsed. */
static void template_free_tags(struct template *t)
{
	size_t i;

	for (i = 0; i < t->ntags; i++) {
		pcre2_code_free(t->tags[i].re);
		pcre2_code_free(t->tags[i].pos_re);
	}
	free(t->tags);
	t->tags = NULL;
	t->ntags = 0;
	for (i = 0; t->keys != NULL && t->keys[i] != NULL; i++)
		free(t->keys[i]);
	free(t->keys);
	t->keys = NULL;
}

/* The number of decimal digits of v (at least 1). */
static int digits_of(unsigned long long v)
{
	int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* Build a template from the command words. */
struct template *template_new(char *const *words, size_t nwords, int flags,
			      struct template_error *err)
{
	struct template_conf conf = {.flags = flags};

	return template_new_conf(words, nwords, &conf, err);
}

/* Build a template with the replacement strings of conf. */
struct template *template_new_conf(char *const *words, size_t nwords,
				   const struct template_conf *conf,
				   struct template_error *err)
{
	struct template *t = NULL;
	struct parse_error pe = {0, ""};
	size_t i, at = 0;
	int blank = 1, flags = conf->flags;

	if (err != NULL)
		err->msg[0] = '\0'; /* (no refusal: set only for one) */
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
	t->slot_width = digits_of(conf->slots);
	t->total = conf->total;
	t->seq_width = digits_of(conf->total);
	t->nalloc = nwords + 1;
	t->words = calloc(t->nalloc, sizeof(*t->words));
	if (t->words == NULL)
		goto fail;
	if (template_init_tags(t, conf, &pe) == -1 ||
	    template_parse(t, words, nwords, &pe, &at) == -1) {
		if (errno != EINVAL)
			goto fail;
		template_refuse(err, words, nwords, &pe, at);
		goto refused;
	}
	template_free_tags(t);
	if ((flags & (TEMPLATE_SHELL | TEMPLATE_NO_QUOTE)) ||
	    template_first_needs_shell(t))
		t->shell = 1;
	if (!(flags & TEMPLATE_NO_QUOTE) && template_scan(t, err) == -1)
		goto refused;
	return t;
refused:
	template_free(t);
	errno = EINVAL;
	return NULL;
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
	template_free_tags(t);
	for (i = 0; i < t->nalloc && t->words != NULL; i++) {
		free(t->words[i].src);
		free(t->words[i].segs);
	}
	free(t->words);
	for (i = 0; i < t->nexprs; i++)
		subst_free(t->exprs[i]);
	free(t->exprs);
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

/* The value of segment g for the argument arg: s[0..*len), in scratch for
 * an expression. NULL with errno ENOMEM or EDOM (pcre2 gave up: why in
 * why[0..SEG_WHY)). */
#define SEG_WHY 128
static const char *seg_value(const struct seg *g, const char *arg,
			     struct buf *scratch, size_t *len, char *why)
{
	if (g->xf != XF_EXPR)
		return xform_apply(arg, g->xf, len);
	buf_reset(scratch);
	if (subst_apply(g->expr, arg, strlen(arg), scratch, why, SEG_WHY) ==
		    -1 ||
	    buf_append(scratch, "", 0) == -1)
		return NULL;
	*len = scratch->len;
	return scratch->data;
}

/* The most bytes a reference to a variable takes: '"${_mp4294967295_basenoext}"'. */
#define REF_COST 34

/* Bytes of an argument's text as the expansion writes it (shell: inline
 * and quoted, or a reference plus its assignment). */
static size_t emit_value_cost(const struct template *t, struct buf *tmp,
			      const char *arg, const struct seg *g)
{
	struct buf val = BUF_INIT;
	size_t n, c;
	char why[SEG_WHY];
	const char *s = seg_value(g, arg, &val, &n, why);

	if (s == NULL) /* the expansion fails on it: no command */
		c = 0;
	else if (!t->shell || (t->flags & TEMPLATE_NO_QUOTE) || g->raw)
		c = n;
	else if (quote_is_plain(s, n))
		c = n + 2;
	else if (buf_reset(tmp), buf_append(tmp, s, n) == -1)
		c = 4 * n + 2 * REF_COST; /* ' becomes '\'' */
	else /* a quoted here-document's line takes the text as it is */
		c = quote_shell_len(tmp->data) + n + 2 * REF_COST;
	buf_free(&val);
	return c;
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
	struct buf q = BUF_INIT;
	size_t i;
	int r = -1;

	if (e->t->flags & TEMPLATE_QUOTE) {
		/* -q: the text is data, part of one word */
		e->in_word = 1;
		if (!e->shell)
			return emit_raw(e, s, n);
		buf_reset(&e->tmp);
		if (buf_append(&e->tmp, s, n) == 0 &&
		    quote_shell(&q, e->tmp.data) == 0)
			r = emit_raw(e, q.data, q.len);
		buf_free(&q);
		return r;
	}
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

/* Write a number (of {#} or {%}), zero-padded to width digits. */
static int emit_number(struct emit *e, unsigned long long v, int width)
{
	char digits[SEQ_DIGITS_MAX + 1];
	size_t i = sizeof(digits);

	do {
		digits[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 || (int)(sizeof(digits) - i) < width);
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
				   "as an option (of ssh, test or printf)");
	return 0;
}

/* Assign a variable (slot: its argument and transform) in the preamble,
 * once. */
static int emit_assign(struct emit *e, size_t slot, const char *name)
{
	if (e->assigned == NULL) {
		e->assigned = calloc(e->job->nargs * e->nxf, 1);
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

/* Write an input's text s[0..n) (argument i after g's transform) where r
 * stands, as
 * data: inline when its characters mean themselves everywhere, else as a
 * reference to a variable that holds it. */
static int emit_shell_value(struct emit *e, const struct shscan_ref *r,
			    size_t i, const struct seg *g, const char *s,
			    size_t n, int first)
{
	/* What goes before and after ${name}, by context. */
	static const char *const ref_quote[][2] = {
		[SHCTX_WORD] = {"\"", "\""},    [SHCTX_DQUOTE] = {"", ""},
		[SHCTX_SQUOTE] = {"'\"", "\"'"}, [SHCTX_HEREDOC] = {"", ""},
		[SHCTX_COMMENT] = {"\"", "\""},
	};
	char name[48];
	struct buf ref = BUF_INIT;
	size_t slot;
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
	if (g->xf == XF_EXPR)
		snprintf(name, sizeof(name), "_mp%zu_e%zu", i + 1, g->xid);
	else
		snprintf(name, sizeof(name), "_mp%zu%s", i + 1,
			 xf_suffix[g->xf]);
	slot = i * e->nxf + (g->xf == XF_EXPR ? XF_COUNT + g->xid : g->xf);
	buf_reset(&e->tmp);
	if (buf_append(&e->tmp, s, n) == -1 || emit_assign(e, slot, name) == -1)
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
	char why[SEG_WHY], msg[SEG_WHY + 48];
	const char *s = seg_value(g, e->job->args[i], &e->val, &n, why);

	if (s == NULL && errno == EDOM) {
		snprintf(msg, sizeof(msg), "makes the regexp give up (%s)",
			 why);
		return emit_refuse(e, r, e->job->args[i],
				   strlen(e->job->args[i]), msg);
	}
	if (s == NULL)
		return -1;
	e->in_word = 1;
	if (g->raw) /* uq(): code, as GNU's */
		return emit_raw(e, s, n);
	if (e->quote && emit_check(e, r, s, n) == -1)
		return -1;
	if (!e->shell || !e->quote)
		return emit_raw(e, s, n);
	return emit_shell_value(e, r, i, g, s, n, first);
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
		return emit_number(e, job->seq, 1);
	case SEG_SLOT:
		return emit_number(e, job->slot, 1);
	case SEG_SLOT0:
		return emit_number(e, job->slot, e->t->slot_width);
	case SEG_TOTAL:
		return emit_number(e, e->t->total, 1);
	case SEG_SEQ0:
		return emit_number(e, job->seq, e->t->seq_width);
	case SEG_POS:
		i = !g->from_end		? g->pos
		    : g->pos <= job->nargs ? job->nargs + 1 - g->pos
					   : 0;
		if (i == 0 || i > job->nargs)
			return emit_no_value(e, g);
		return emit_arg(e, g, i - 1, 1);
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

	if (e->t->flags & TEMPLATE_QUOTE) {
		/* -q: every word is one, even an empty one */
		e->in_word = 1;
		if (e->shell && w->nsegs == 0 && emit_raw(e, "''", 2) == -1)
			return -1;
	}
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
	buf_free(&e->val);
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
		.val = BUF_INIT,
		.nxf = XF_COUNT + t->nexprs,
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

/* The job as the template sees it: with TEMPLATE_NO_ARGS, no argument. */
static const struct template_job *job_seen(const struct template *t,
					   const struct template_job *job,
					   struct template_job *none)
{
	if (!(t->flags & TEMPLATE_NO_ARGS))
		return job;
	*none = *job;
	none->nargs = 0;
	return none;
}

/* The command for `sh -c`, appended to out: the variables that hold the
 * inputs, then the command. */
int template_expand_shell(const struct template *t,
			  const struct template_job *job, struct buf *out,
			  struct template_error *err)
{
	struct buf body = BUF_INIT;
	struct template_job none;
	struct emit e = emit_start(t, job = job_seen(t, job, &none), &body,
				   err);
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
	struct template_job none;
	struct emit e = emit_start(t, job = job_seen(t, job, &none), &words,
				   err);
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
		else if (g->kind == SEG_SEQ || g->kind == SEG_TOTAL ||
			 g->kind == SEG_SEQ0)
			c += SEQ_DIGITS_MAX;
		else if (g->kind == SEG_SLOT || g->kind == SEG_SLOT0)
			c += SLOT_DIGITS_MAX;
		else
			c += emit_value_cost(t, tmp, arg, g);
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
							    &w->segs[j]);
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
