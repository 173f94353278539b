/* Unit tests for lib/shscan: the context of each reference, the checks,
 * and the refusals with their positions. "@" in a test's text stands for
 * a reference (SHSCAN_REF(k), k counting from 0). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shscan.h"
#include "unit.h"

#define REFS_MAX 16

static struct shscan_ref refs[REFS_MAX];
static struct shscan_error err;
static size_t nrefs;

/* Scan text ('@' = the next reference): 0 or -1 as shscan. */
static int scan(const char *text)
{
	int s[512];
	size_t n = 0, i;

	shscan_refs_free(refs, nrefs);
	nrefs = 0;
	for (i = 0; text[i] != '\0' && n < 512; i++)
		s[n++] = text[i] == '@' ? SHSCAN_REF(nrefs++)
				       : (unsigned char)text[i];
	return shscan(s, n, refs, nrefs, &err);
}

/* 1 if text scans and its references have contexts ctx[] and checks. */
static int ctx_is(const char *text, const enum shscan_ctx *ctx,
		  enum shscan_check chk)
{
	size_t k;

	if (scan(text) != 0)
		return 0;
	for (k = 0; k < nrefs; k++)
		if (!refs[k].seen || refs[k].ctx != ctx[k] ||
		    refs[k].check != chk)
			return 0;
	return 1;
}

/* 1 if text is refused at position pos with a message holding what. */
static int refused(const char *text, size_t pos, const char *what)
{
	errno = 0;
	if (scan(text) != -1 || errno != EINVAL)
		return 0;
	if (err.pos != pos || strstr(err.msg, what) == NULL) {
		printf("# %s: at %zu: %s\n", text, err.pos, err.msg);
		return 0;
	}
	return 1;
}

static void test_contexts(void)
{
	static const enum shscan_ctx w[] = {SHCTX_WORD, SHCTX_WORD};
	static const enum shscan_ctx dq[] = {SHCTX_DQUOTE};
	static const enum shscan_ctx sq[] = {SHCTX_SQUOTE};
	static const enum shscan_ctx hd[] = {SHCTX_HEREDOC};
	static const enum shscan_ctx raw[] = {SHCTX_HEREDOC_RAW};
	static const enum shscan_ctx cm[] = {SHCTX_COMMENT, SHCTX_WORD};
	static const enum shscan_ctx mix[] = {SHCTX_WORD, SHCTX_DQUOTE,
					      SHCTX_SQUOTE, SHCTX_WORD};

	CHECK(ctx_is("echo @ x@y", w, SHCHK_NONE));
	CHECK(ctx_is("echo \"<@>\"", dq, SHCHK_NONE));
	CHECK(ctx_is("echo '<@>'", sq, SHCHK_NONE));
	CHECK(ctx_is("echo @ \"@\" '@' \"$(echo @)\"", mix, SHCHK_NONE));
	CHECK(ctx_is("cat <<EOF\n<@>\nEOF\n", hd, SHCHK_NONE));
	CHECK(ctx_is("cat <<'EOF'\n@\nEOF", raw, SHCHK_NONE));
	CHECK(refs[0].delim != NULL && strcmp(refs[0].delim, "EOF") == 0 &&
	      !refs[0].strip_tabs);
	CHECK(ctx_is("cat <<-\\X\n\t@\n\tX", raw, SHCHK_NONE));
	CHECK(refs[0].strip_tabs && strcmp(refs[0].delim, "X") == 0);
	CHECK(ctx_is("echo x # don't @\necho @", cm, SHCHK_NONE));
	/* a backquote body is scanned again: "@" inside it is a word */
	CHECK(ctx_is("echo \"`echo @`\"", w, SHCHK_NONE));
	CHECK(ctx_is("echo \"$( (true); echo @ )\"", w, SHCHK_NONE));
	CHECK(ctx_is("case x in x) echo \"$(case y in y) echo @;; esac)\";; "
		     "esac",
		     w, SHCHK_NONE));
	CHECK(ctx_is("f() { echo @; }; f", w, SHCHK_NONE));
	CHECK(ctx_is("sh -c 'echo \"$1\"' sh @", w, SHCHK_NONE));
	/* bash's process substitution, also as a redirection's target */
	CHECK(ctx_is("diff <(sort @) >(cat @)", w, SHCHK_NONE));
	CHECK(ctx_is("wc -l < <(echo @) 2> >(cat @)", w, SHCHK_NONE));
	CHECK(ctx_is("while read x; do :; done < <(echo @) > >(cat \"@\")",
		     (const enum shscan_ctx[]){SHCTX_WORD, SHCTX_DQUOTE},
		     SHCHK_NONE));
}

static void test_flags(void)
{
	CHECK(scan("echo \\@ \"\\@\"") == 0 && refs[0].escaped &&
	      refs[1].escaped);
	CHECK(scan("echo \\\\@ \"\\\\@\"") == 0 && !refs[0].escaped &&
	      !refs[1].escaped);
	CHECK(scan("@ x; y @; @=1") == 0 && refs[0].cmd_name &&
	      !refs[1].cmd_name && refs[2].cmd_name);
	CHECK(scan("A=@ env @") == 0 && !refs[0].cmd_name &&
	      !refs[1].cmd_name);
}

static void test_checks(void)
{
	static const enum shscan_ctx w1[] = {SHCTX_WORD};
	static const enum shscan_ctx w2[] = {SHCTX_WORD, SHCTX_WORD};

	CHECK(ctx_is("echo $(( @ * 2 ))", w1, SHCHK_NUMBER));
	CHECK(ctx_is("(( x = @ ))", w1, SHCHK_NUMBER));
	CHECK(ctx_is("echo $[@]", w1, SHCHK_NUMBER));
	CHECK(ctx_is("let x=@", w1, SHCHK_NUMBER));
	CHECK(ctx_is("[[ @ -eq 1 ]]", w1, SHCHK_NUMBER));
	CHECK(ctx_is("echo ${x:@}", w1, SHCHK_NUMBER));
	CHECK(ctx_is("a[@]=1", w1, SHCHK_NUMBER));
	CHECK(ctx_is("declare -i n=@", w1, SHCHK_NUMBER));
	/* through a variable that arithmetic reads, before or after */
	CHECK(ctx_is("x=@; echo $((x + 1))", w1, SHCHK_NUMBER));
	CHECK(ctx_is("x=@; y=@; echo $(( $y ))", w2, SHCHK_NONE) == 0);
	CHECK(scan("x=@; y=@; echo $(( $y ))") == 0 &&
	      refs[0].check == SHCHK_NONE && refs[1].check == SHCHK_NUMBER);
	CHECK(ctx_is("for i in @; do echo $(( i )); done", w1, SHCHK_NUMBER));
	CHECK(ctx_is("n=@; [[ $n -gt 0 ]]", w1, SHCHK_NUMBER));
	/* [[ ]] without a numeric test reads nothing as arithmetic */
	CHECK(ctx_is("x=@; [[ $x == a ]]", w1, SHCHK_NONE));
	CHECK(ctx_is("[[ @ == a ]]", w1, SHCHK_NONE));
	CHECK(ctx_is("ssh -p 22 @ uptime", w1, SHCHK_NO_DASH));
	CHECK(ctx_is("echo x >& @", w1, SHCHK_NUMBER));
	CHECK(ctx_is("echo x 2<&@", w1, SHCHK_NUMBER));
	CHECK(ctx_is("echo x > @", w1, SHCHK_NONE));
	/* a sh -c script's arithmetic: on $N, "$@", or names set from them */
	CHECK(ctx_is("sh -c 'echo $(( $1 ))' sh @", w1, SHCHK_NUMBER));
	CHECK(scan("sh -c 'echo $(( $2 ))' sh @ @") == 0 &&
	      refs[0].check == SHCHK_NONE && refs[1].check == SHCHK_NUMBER);
	CHECK(ctx_is("sh -c 'for a; do echo $((a)); done' sh @", w1,
		     SHCHK_NUMBER));
	CHECK(ctx_is("sh -c 'x=\"$1\"; echo $((x))' sh @", w1, SHCHK_NUMBER));
	CHECK(ctx_is("V=@ bash -c 'echo $((V))'", w1, SHCHK_NUMBER));
	CHECK(ctx_is("sh -c 'i=$((i+1)); echo \"$1\"' sh @", w1, SHCHK_NONE));
	/* a variable holding an input, read as code or as a name */
	CHECK(ctx_is("x=@; eval \"echo $x\"", w1, SHCHK_NUMBER));
	CHECK(ctx_is("x=@; sh -c \"$x\"", w1, SHCHK_NUMBER));
	CHECK(ctx_is("x=@; unset \"$x\"", w1, SHCHK_NUMBER));
	CHECK(ctx_is("x=@; echo ${!x}", w1, SHCHK_NUMBER));
	CHECK(ctx_is("x=@; declare \"$x=1\"", w1, SHCHK_NUMBER));
	CHECK(ctx_is("x=@; y=\"a$x\"; z=${y}; eval \"$z\"", w1, SHCHK_NUMBER));
	CHECK(ctx_is("sh -c 'eval \"$1\"' sh @", w1, SHCHK_NUMBER));
	CHECK(ctx_is("sh -c 'x=$1; y=$x; eval \"$y\"' sh @", w1, SHCHK_NUMBER));
	CHECK(ctx_is("x=@; y=$x; echo \"$y\"", w1, SHCHK_NONE));
	/* the positional parameters of a script, however they are read */
	CHECK(ctx_is("sh -c 'eval \"$2\"' sh @", w1, SHCHK_NUMBER));
	CHECK(ctx_is("sh -c 'eval \"$0\"' @", w1, SHCHK_NUMBER));
	CHECK(ctx_is("sh -c 'shift; eval \"$1\"' sh x @", w1, SHCHK_NUMBER));
	CHECK(ctx_is("bash -c 'eval \"${!#}\"' sh @", w1, SHCHK_NUMBER));
	CHECK(ctx_is("bash -c 'set -- \"$2\"; eval \"$1\"' sh x @", w1,
		     SHCHK_NUMBER));
	CHECK(ctx_is("bash -c 'echo $((BASH_ARGV))' sh @", w1, SHCHK_NUMBER));
	CHECK(ctx_is("f() { shift; echo $(($1)); }; f x @", w1, SHCHK_NUMBER));
	CHECK(ctx_is("set -- x @; shift; echo $(($1))", w1, SHCHK_NUMBER));
	CHECK(ctx_is("set -- @; for a; do echo $((a)); done", w1,
		     SHCHK_NUMBER));
	/* variables that get an input in other ways */
	CHECK(ctx_is("echo @; echo $(($_))", w1, SHCHK_NUMBER));
	CHECK(ctx_is("[[ @ =~ (.*) ]]; echo $((BASH_REMATCH[1]))", w1,
		     SHCHK_NUMBER));
	CHECK(ctx_is("printf -v x %s @; echo $((x))", w1, SHCHK_NUMBER));
	CHECK(ctx_is("x=@; y=x; echo $(($y))", w1, SHCHK_NUMBER));
	CHECK(ctx_is("x=@; declare -n r=x; echo $((r))", w1, SHCHK_NUMBER));
	CHECK(ctx_is("a[0]=@; echo $((a))", w1, SHCHK_NUMBER));
	CHECK(ctx_is("declare -ai n; n=(@)", w1, SHCHK_NUMBER));
	CHECK(ctx_is("declare -A -i m; m[k]=@", w1, SHCHK_NUMBER));
	CHECK(ctx_is("declare -ai n=(@)", w1, SHCHK_NUMBER));
	CHECK(ctx_is("functions[f]=@", w1, SHCHK_NUMBER));
	/* test/printf: an input first may be the option -v */
	CHECK(scan("test @ @") == 0 && refs[0].check == SHCHK_NO_DASH &&
	      refs[1].check == SHCHK_NONE);
	CHECK(ctx_is("printf @ x", w1, SHCHK_NO_DASH));
	CHECK(ctx_is("test -n @", w1, SHCHK_NONE));
	/* arrays: declare/local NAME=(...) and [KEY]=VALUE are understood */
	CHECK(ctx_is("declare -a a=(); a+=(@); echo ${#a[*]}", w1,
		     SHCHK_NONE));
	CHECK(ctx_is("f() { local -a p=(@ x); echo \"${p[0]}\"; }; f", w1,
		     SHCHK_NONE));
	CHECK(ctx_is("declare -A m=([a]=1 [b]=@); echo ${m[b]}", w1,
		     SHCHK_NONE));
	CHECK(ctx_is("a=([0]=@)", w1, SHCHK_NONE));
	CHECK(ctx_is("a=([@]=x)", w1, SHCHK_NUMBER));
}

static void test_refusals(void)
{
	CHECK(refused("sh -c 'echo @'", 12, "script of 'sh -c'"));
	CHECK(refused("cat < <(eval @)", 13, "'eval'"));
	CHECK(refused("cat < ", 6, "a redirection without its target"));
	CHECK(refused("bash -xc \"echo @\"", 15, "'bash -c'"));
	CHECK(refused("nice -n 5 env A=1 dash -c @", 26, "'dash -c'"));
	CHECK(refused("unknownwrap --opt sh -ec @", 25, "'sh -c'"));
	CHECK(refused("find . -exec sh -c 'x @' \\;", 22, "'sh -c'"));
	CHECK(refused("echo a; eval echo @", 18, "'eval' reads"));
	CHECK(refused("trap 'echo @' EXIT", 11, "'trap'"));
	CHECK(refused("ssh host echo @", 14, "remote"));
	CHECK(refused("awk '{ print \"@\" }'", 14, "awk"));
	CHECK(refused("awk -F, -v x=1 @ file", 15, "awk"));
	CHECK(refused("sed -n -e 's/a/@/p'", 15, "sed"));
	CHECK(refused("perl -lne 'print \"@\"'", 18, "perl"));
	CHECK(refused("python3 -c @", 11, "python3"));
	CHECK(refused("su -c 'id @' nobody", 10, "su -c"));
	CHECK(refused("sudo -u root -s @", 16, "sudo"));
	CHECK(refused("export @=1", 7, "name a variable"));
	CHECK(refused("declare -a x=@", 13, "'declare'"));
	CHECK(refused("unset @", 6, "name a variable"));
	CHECK(refused("printf -v @ %s x", 10, "name a variable"));
	CHECK(refused("echo ${!@}", 8, "name a variable"));
	CHECK(refused("for @ in a; do :; done", 4, "loop"));
	CHECK(refused("function @ { :; }", 9, "function"));
	CHECK(refused("cat <<@\nx\n@", 6, "delimiter"));
	CHECK(refused("echo 'a @", 5, "unterminated '"));
	CHECK(refused("echo \"a @", 5, "unterminated \""));
	CHECK(refused("echo $(a @", 6, "without ')'"));
	CHECK(refused("echo $'@'", 5, "$'...'"));
	CHECK(refused("echo $@", 6, "'$' right before"));
	CHECK(refused("echo `echo \\@`", 12, "backquotes"));
	CHECK(refused("cat <<EOF\n@", 6, "without its end line"));
	CHECK(refused("echo $(( \"@\" ))", 9, "quotes inside arithmetic"));
	CHECK(refused("echo ) @", 5, "unexpected ')'"));
	CHECK(refused("case x in x) echo @", 11, "esac"));
	/* dash ends x[0 at the ';': eval is a command (fuzzer finding) */
	CHECK(refused("x[0;eval ] @", 11, "'eval'"));
	CHECK(refused("x[0;eval ]=1 @", 13, "'eval'"));
	/* a shell named by a variable; su/runuser/script/flock with the
	 * option after an operand; values glued to their option */
	CHECK(refused("$SHELL -c \"echo @\"", 16, "'$SHELL -c'"));
	CHECK(refused("s=sh; \"$s\" -xc 'echo @'", 21, "'$SHELL -c'"));
	CHECK(refused("su root -c \"echo @\"", 17, "su -c"));
	CHECK(refused("su - root -c 'echo @'", 19, "su -c"));
	CHECK(refused("su root --command='echo @'", 24, "su -c"));
	CHECK(refused("runuser -l root -c 'echo @'", 25, "runuser -c"));
	CHECK(refused("flock /tmp/lk -c 'echo @'", 23, "flock"));
	CHECK(refused("script -q /dev/null -c 'echo @'", 29, "script -c"));
	CHECK(refused("script -q --command='echo @' f", 26, "script -c"));
	CHECK(refused("sg root 'echo @'", 14, "'sg'"));
	CHECK(refused("perl -e'print \"@\"'", 15, "perl"));
	CHECK(refused("python3 -c'print(\"@\")'", 18, "python3"));
	CHECK(refused("su -c\"echo @\"", 11, "su -c"));
	CHECK(refused("env -S\"sh -c 'echo @'\"", 19, "env"));
	CHECK(refused("bash +O extglob -c 'echo @'", 25, "'bash -c'"));
	CHECK(refused("fish --command='echo @'", 21, "'fish -c'"));
	CHECK(refused("fish -C 'echo @' -c true", 14, "'fish -c'"));
	CHECK(refused("python3.11 -c 'print(\"@\")'", 22, "'python"));
	CHECK(refused("perl5.36.0 -e 'print \"@\"'", 22, "perl"));
	/* other programs that run code from an option or an operand */
	CHECK(refused("ssh -o \"ProxyCommand=echo @\" h true", 26,
		      "ProxyCommand"));
	CHECK(refused("ex -c \"!echo @\" -c q", 13, "'ex' reads it"));
	CHECK(refused("vim f +\"!echo @\"", 14, "'vim' reads it"));
	CHECK(refused("vim --cmd @ f", 10, "'vim' reads it"));
	CHECK(refused("git -c alias.x=\"!echo @\" x", 22, "'git'"));
	CHECK(refused("tar -cf o --checkpoint-action=\"exec=echo @\" d", 41,
		      "'tar' reads it"));
	CHECK(refused("tar --to-command @ -xf o", 17, "'tar' reads it"));
	CHECK(refused("tar -xI @ -f o", 8, "'tar' reads it"));
	CHECK(refused("sqlite3 db.sqlite @", 18, "'sqlite3' reads it"));
	CHECK(refused("sqlite3 -cmd @ db", 13, "'sqlite3' reads it"));
	CHECK(refused("print -P @", 9, "'print -P'"));
	CHECK(refused("printf -v@ %s x", 9, "name a variable"));
	/* the safe forms pass */
	CHECK(scan("tar -cf @.tar @") == 0);
	CHECK(scan("vim -R @") == 0);
	CHECK(scan("sqlite3 @ .tables") == 0);
	CHECK(scan("git -C @ status") == 0);
	CHECK(scan("ssh -p 22 -l @ h uptime") == 0);
	CHECK(scan("$EDITOR @") == 0);
	/* a value glued to an option that takes one is that option's: -v */
	CHECK(scan("awk -vname=@ 'BEGIN { print name }'") == 0);
	CHECK(scan("awk -vfile=@ -F: '{ print }' x") == 0);
	CHECK(scan("perl -Mfeature=say -e 'say 1' @") == 0);
	CHECK(scan("python3 -Wignore script.py @") == 0);
	CHECK(refused("perl -Mstrict -le'print \"@\"'", 25, "perl"));
	CHECK(scan("print -r -- @") == 0);
	CHECK(scan("flock /tmp/lk sh -c 'echo \"$1\"' sh @") == 0);
	CHECK(scan("sh -c 'echo \"$1\"' sh @") == 0);
	CHECK(scan("awk -v x=@ 'BEGIN { print x }'") == 0);
	CHECK(scan("sed -n p @") == 0);
	CHECK(scan("perl script.pl @") == 0);
	CHECK(scan("echo sh @") == 0);
	CHECK(scan("export X=@ Y=\"@\"") == 0);
}

/* Deep nesting ends in a refusal, never a crash. */
static void test_depth(void)
{
	char text[2048];
	size_t n = 0, i;

	for (i = 0; i < 100; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "\"$(");
	text[n++] = '@';
	for (i = 0; i < 100; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, ")\"");
	text[n] = '\0';
	CHECK(scan(text) == -1 && strstr(err.msg, "nested too deep") != NULL);
	n = 0;
	for (i = 0; i < 30; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "\"$(");
	text[n++] = '@';
	for (i = 0; i < 30; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, ")\"");
	text[n] = '\0';
	CHECK(scan(text) == 0 && refs[0].ctx == SHCTX_WORD);
}

int main(void)
{
	test_contexts();
	test_flags();
	test_checks();
	test_refusals();
	test_depth();
	shscan_refs_free(refs, nrefs);
	return UNIT_DONE();
}
