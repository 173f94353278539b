/* shscan: where each replacement string of a command template stands in
 * the shell's grammar, and whether an input placed there could become code.
 *
 * The template reaches the scanner as a stream of ints: a byte (0..255) of
 * the template's own text, or SHSCAN_REF(k) for the k-th replacement string
 * (k counts the replacement strings in the order they stand). The scanner
 * follows the shell's grammar as far as it needs: quotes, backslashes,
 * $( ), backquotes, ${ }, arithmetic, comments, here-documents, subshells,
 * case, [[ ]], and the simple commands with their names. For each reference
 * it says in which context it stands (so that the expander can place the
 * input there as data), what a value must be to stand there (a number in
 * arithmetic), and it refuses the template where an input would be read as
 * code one level down (eval, sh -c SCRIPT, ssh, awk/sed/perl programs, ...)
 * or where the grammar is not understood. It never guesses: what it cannot
 * place is an error with the stream position of the cause. */
#ifndef MPRUN_SHSCAN_H
#define MPRUN_SHSCAN_H
#include <stddef.h>

#define SHSCAN_REF(k) (256 + (int)(k))

enum shscan_ctx {
	SHCTX_WORD,	   /* unquoted text of a word */
	SHCTX_DQUOTE,	   /* inside "..." */
	SHCTX_SQUOTE,	   /* inside '...' */
	SHCTX_HEREDOC,	   /* body of a here-document that expands */
	SHCTX_HEREDOC_RAW, /* body of a here-document with a quoted delimiter */
	SHCTX_COMMENT,	   /* inside a comment */
};

enum shscan_check {
	SHCHK_NONE,
	SHCHK_NUMBER,  /* read as arithmetic: only an integer may stand here */
	SHCHK_NO_DASH, /* read as a host name: must not look like an option */
};

/* What the scanner found of one reference. */
struct shscan_ref {
	enum shscan_ctx ctx;
	enum shscan_check check;
	size_t pos;	/* stream position of the reference */
	int escaped;	/* right after a backslash that would escape what the
			 * expander writes: it writes one more backslash */
	int cmd_name;	/* in a command's name: a plain value is quoted */
	int seen;	/* the scanner reached it */
	char *delim;	/* SHCTX_HEREDOC_RAW: the delimiter (owned) */
	int strip_tabs; /* SHCTX_HEREDOC_RAW: <<- */
};

struct shscan_error {
	size_t pos; /* stream position of the cause */
	char msg[320];
};

/* Scan s[0..n); refs[0..nrefs) are filled for every reference found.
 * 0, or -1 with errno EINVAL and *err filled (the template is refused),
 * or -1 with errno ENOMEM. */
int shscan(const int *s, size_t n, struct shscan_ref *refs, size_t nrefs,
	   struct shscan_error *err);
/* Free what shscan() allocated in refs (the delimiters). */
void shscan_refs_free(struct shscan_ref *refs, size_t nrefs);

#endif
