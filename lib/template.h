/* template: a command template with GNU-parallel replacement strings, and
 * its expansion for one job.
 *
 * Replacement strings (inside a word, anywhere, several per word):
 *   {}    all the job's arguments, separated by spaces
 *   {.}   argument without its extension (last '.' in the basename)
 *   {/}   basename          {//}  dirname ("." when there is no '/')
 *   {/.}  basename without extension
 *   {#}   job sequence number (1-based)    {%}  slot number (1-based)
 *   {n} {n.} {n/} {n//} {n/.}  the same on the n-th argument (1-based);
 *         {n} past the last argument expands to the empty string.
 * {} {.} {/} {//} {/.} with several arguments (batching, -n/-X) apply the
 * transform to each argument and join them with spaces. Anything else in
 * braces ({foo}, {1x}, a lone "{") is literal text.
 *
 * A template made of words: with no replacement string anywhere, the
 * arguments are appended as extra words ("{}" is added as a last word).
 *
 * Two forms of expansion:
 *  - argv: when no word needs a shell (quote_needs_shell() false for every
 *    word once replacement strings are taken out, and the first word has no
 *    '='), words are split on blanks and each argument's text becomes part of
 *    exactly one argv word, never split and never interpreted;
 *  - shell: otherwise the words are joined with spaces into one command for
 *    `sh -c`. An input is data there, never code: shscan finds the shell
 *    context of each replacement string (and refuses the template where an
 *    input would be read as code one level down: eval, sh -c SCRIPT, ssh,
 *    awk/sed/perl programs, ...). An input whose characters mean themselves
 *    in every context ([A-Za-z0-9_@%+=:,./-]) is written inline (quoted in
 *    a command's name); any other is assigned to a variable in front of the
 *    command (_mp1='...' _mp2='...'; ) and the replacement string becomes
 *    a reference to it ("${_mp1}", or ${_mp1} inside "..." and expanding
 *    here-documents, '"${_mp1}"' inside '...'), whose value the shell never
 *    parses. Where the shell would read a value as arithmetic only an
 *    integer is accepted; in a quoted here-document the text stands as it
 *    is and may not make a line equal to the delimiter; a host name for ssh
 *    may not start with '-'. A value that breaks such a rule fails the
 *    expansion with EDOM (the job is not run). {#} and {%} are digits.
 * TEMPLATE_SHELL forces the shell form; TEMPLATE_CONTEXT (GNU -X) repeats a
 * word that holds replacement strings once per argument instead of joining
 * the arguments inside it; TEMPLATE_NO_QUOTE (GNU -q's opposite, --no-quote)
 * inserts inputs into the shell command unquoted.
 *
 * Details (GNU parallel 20221122 was the reference):
 *  - {.} removes the last '.' and what follows when no '/' follows it
 *    ("a.b/c" unchanged, ".bashrc" -> ""); {/} is what follows the last '/'
 *    ("a/" -> ""); {//} is POSIX dirname ("foo" -> ".", "a/" -> ".",
 *    "/a" -> "/"). {n} past the last argument writes nothing at all (no empty
 *    word, as GNU parallel), {} with no argument likewise.
 *  - The argv form gives exactly the words /bin/sh would make of the shell
 *    form: literal text splits at blanks, an argument never splits, and the
 *    separator between the arguments of one {} is a word break. So
 *    "x{}y" with "a b" gives the word "xa by", with "a" and "b c" the two
 *    words "xa" and "b cy" (shell form: xa 'b c'y); "{}" alone gives one
 *    word per argument; a blank-only word gives nothing.
 *  - The shell form is also chosen when the command's first token (its
 *    literal text up to a blank or a replacement string) holds '=' or is a
 *    shell keyword or builtin that has no executable (cd, exit, if, ...),
 *    and always with TEMPLATE_NO_QUOTE. In the shell form an argument in
 *    the command's first word is quoted even when plain ('ls', 'A=1'), so
 *    that an input is never read as an assignment or a keyword.
 *  - TEMPLATE_CONTEXT repeats a word that has {} {.} {/} {//} {/.} and no
 *    positional {n...}; a word with a positional one is expanded as without
 *    it (this keeps template_arg_cost() an upper bound). {#} and {%} in a
 *    repeated word are written in every copy. With no argument the word is
 *    written once, its {} empty. */
#ifndef MPRUN_TEMPLATE_H
#define MPRUN_TEMPLATE_H
#include <stddef.h>
#include "buf.h"

enum {
	TEMPLATE_SHELL = 1 << 0,
	TEMPLATE_CONTEXT = 1 << 1,
	TEMPLATE_NO_QUOTE = 1 << 2,
	TEMPLATE_NO_APPEND = 1 << 3, /* never append the arguments */
	TEMPLATE_QUOTE = 1 << 4,     /* GNU -q: each word is one word */
	TEMPLATE_NO_ARGS = 1 << 5,   /* -N 0: the arguments are put nowhere
				      * ({} and {1} are empty; {#} is not) */
};

/* The replacement strings that options rename (GNU -I, --er, --bnr, --dnr,
 * --bner, --seqreplace, --slotreplace), in this order. */
enum template_tag {
	TEMPLATE_TAG_ARGS,	 /* {} */
	TEMPLATE_TAG_NOEXT,	 /* {.} */
	TEMPLATE_TAG_BASE,	 /* {/} */
	TEMPLATE_TAG_DIR,	 /* {//} */
	TEMPLATE_TAG_BASE_NOEXT, /* {/.} */
	TEMPLATE_TAG_SEQ,	 /* {#} */
	TEMPLATE_TAG_SLOT,	 /* {%} */
	TEMPLATE_TAG_COUNT
};

/* Which replacement strings a template knows (template_new: the defaults,
 * with flags). */
struct template_conf {
	int flags;			     /* TEMPLATE_* */
	int plus;			     /* GNU --plus */
	const char *tags[TEMPLATE_TAG_COUNT]; /* NULL: the default spelling */
	char *const *rpls;		     /* GNU --rpl 'TAG EXPR' */
	size_t nrpls;
	unsigned slots;			     /* job slots: the width of {0%} */
	unsigned long long total;	     /* jobs in all: {##}, the width of
					      * {0#} (0: not known: refused) */
};

struct template;

/* Why a template was refused (template_new, EINVAL) or a value could not
 * stand in it (expansion, EDOM): the message and where, in the command
 * as one text (words joined by spaces). */
struct template_error {
	size_t line, col; /* 1-based */
	size_t pos;	  /* byte offset in the text */
	char text[160];	  /* the line of the text */
	char msg[320];
};

/* The values one job sees. args[0..nargs) are the job's arguments: for a
 * plain job the columns of its input record, for a batch (-n/-X) the records'
 * columns one after another. */
struct template_job {
	char *const *args;
	size_t nargs;
	unsigned long long seq;
	unsigned slot;
};

/* words[0..nwords) are the command-line words of the command (nwords >= 1);
 * the template keeps its own copies. Returns NULL with errno EINVAL for an
 * empty command (no word, or only blanks; err->msg empty) or a refused one
 * (err filled when err is not NULL), ENOMEM otherwise. */
struct template *template_new(char *const *words, size_t nwords, int flags,
			      struct template_error *err);
/* The same with the replacement strings of conf. */
struct template *template_new_conf(char *const *words, size_t nwords,
				   const struct template_conf *conf,
				   struct template_error *err);
void template_free(struct template *t);

int template_uses_shell(const struct template *t);
/* 1 if the template contains a replacement string (else args get appended). */
int template_has_replacement(const struct template *t);
/* Highest n used in a positional {n...}, 0 if none. */
size_t template_max_position(const struct template *t);

/* Shell form: the whole command, for `sh -c`, appended to out (which is left
 * as it was on failure). Valid for any template. 0, or -1 with ENOMEM, or
 * EDOM when a value may not stand where it would (err filled if given). */
int template_expand_shell(const struct template *t,
			  const struct template_job *job, struct buf *out,
			  struct template_error *err);
/* argv form: *argv_out is a NULL-terminated array of malloc'ed strings in one
 * allocation (free(*argv_out) frees all); *argc_out its length.
 * Only valid when !template_uses_shell(t) (else -1/EINVAL). 0, or -1 with
 * ENOMEM, or EINVAL when the expansion has no word at all ("{}" alone and
 * no argument), or EDOM as template_expand_shell. */
int template_expand_argv(const struct template *t,
			 const struct template_job *job, char ***argv_out,
			 size_t *argc_out, struct template_error *err);
/* err as "at LINE:COL: MSG", then the command's line and a caret under
 * the place (two more lines). 0 or -1/ENOMEM. */
int template_error_format(const struct template_error *err, struct buf *out);

/* Upper bound of the bytes one more argument arg adds to the expansion
 * (quoting and -X repetition included): used to fill a command line (-X)
 * without passing the kernel's limits. Units: in the shell form, bytes of
 * the command string (compare with MAX_ARG_STRLEN - 1); in the argv form,
 * each word's length + 1 (NUL) + sizeof(char *), as execve counts them
 * against ARG_MAX. Every replacement string counts, positional ones too.
 * base_cost + the sum of the arguments' arg_cost >= the real size. */
size_t template_arg_cost(const struct template *t, const char *arg);
/* Bytes of the expansion with no argument at all (same units, the argv
 * form's NULL pointer included), {#} and {%} counted at their widest. */
size_t template_base_cost(const struct template *t);

#endif
