/* subst: the part of GNU parallel's perl that mprun runs in a replacement
 * string {= EXPR =}: substitutions, with pcre2 for perl's regexps.
 *
 * EXPR is statements separated by ';' (or joined by '||': the next one
 * runs only if the one before changed nothing), each one of
 *   s/RE/REPL/FLAGS  any delimiter that is not a letter, digit, blank,
 *                    bracket or backslash (s:a:b:, s|a|b|); FLAGS from
 *                    g (every match), i (ignore case), m, s, x (as perl);
 *                    REPL is perl's double-quoted text: $1..$99, ${N} and
 *                    $& the match, \U \L \E \u \l change case, \n \t \\ \$ and
 *                    \<delim> stand for the character;
 *   uq() or uq       the value goes into the command unquoted (as code);
 * and blanks around them. Anything else (another perl expression, the e
 * flag, a variable such as $x in RE or REPL) is refused when compiled,
 * with a message naming it: mprun never evaluates perl.
 *
 * groups[0..ngroups) are the texts that $$1, $$2, ... stand for in EXPR
 * (GNU's --rpl 'TAG EXPR' with (groups) in TAG): in RE as regexp text, in
 * REPL as literal text.
 *
 * The other operations of GNU's --plus strings that are not substitutions
 * ({:-str}, {:N}, {:N:M}) are made by subst_new_default() and
 * subst_new_substr(). A compiled program is immutable: one may be applied
 * to many values, from one thread at a time. */
#ifndef MPRUN_SUBST_H
#define MPRUN_SUBST_H
#include <stddef.h>
#include "buf.h"

struct subst;

/* Compile expr[0..len). NULL with errno EINVAL (msg, msgsize: why) or
 * ENOMEM. */
struct subst *subst_compile(const char *expr, size_t len,
			    char *const *groups, size_t ngroups, char *msg,
			    size_t msgsize);
/* perl's $_ ||= str: str when the value is "" or "0" (GNU {:-str}). */
struct subst *subst_new_default(const char *str, size_t len);
/* substr($_, pos, len) (GNU {:pos:len}), or with has_len 0 the value
 * without its first pos bytes (GNU {:pos}). */
struct subst *subst_new_substr(size_t pos, size_t len, int has_len);
void subst_free(struct subst *p);

/* 1 if the program has uq: its value is inserted unquoted. */
int subst_unquoted(const struct subst *p);
/* Append the value of p applied to s[0..n) to out. 0, or -1 with ENOMEM
 * or EDOM (pcre2 gave up on this value: msg[0..msgsize), msgsize > 0,
 * says why, as pcre2 does). */
int subst_apply(const struct subst *p, const char *s, size_t n,
		struct buf *out, char *msg, size_t msgsize);

/* GNU's make_regexp_ungreedy: every quantifier * + {..} outside a class
 * made lazy (+?), for {#re} and {%re}. Appended to out; 0 or -1/ENOMEM. */
int subst_ungreedy(const char *re, size_t len, struct buf *out);

#endif
