/* Unit tests for lib/template. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "template.h"
#include "unit.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The shell form of words for args with the strings of conf, as a new
 * string ("(error)" if none). */
static char *shell_conf(char *const *words, size_t nwords,
			const struct template_conf *conf, char *const *args,
			size_t nargs)
{
	struct template_job job = {args, nargs, 7, 2};
	struct template *t = template_new_conf(words, nwords, conf, NULL);
	struct buf b = BUF_INIT;

	if (t == NULL || template_expand_shell(t, &job, &b, NULL) == -1)
		buf_append_str(&b, "(error)");
	template_free(t);
	return buf_steal(&b);
}

/* The shell form of words for args, as a new string ("(error)" if none). */
static char *shell_of(char *const *words, size_t nwords, int flags,
		      char *const *args, size_t nargs)
{
	struct template_conf conf = {.flags = flags};

	return shell_conf(words, nwords, &conf, args, nargs);
}

/* The argv form of words for args with the strings of conf, as
 * "[w1][w2]...", "(shell)" or "(error)". */
static char *argv_conf(char *const *words, size_t nwords,
		       const struct template_conf *conf, char *const *args,
		       size_t nargs)
{
	struct template_job job = {args, nargs, 7, 2};
	struct template *t = template_new_conf(words, nwords, conf, NULL);
	struct buf b = BUF_INIT;
	char **argv = NULL;
	size_t argc = 0, i;

	if (t == NULL || template_uses_shell(t)) {
		buf_append_str(&b, t == NULL ? "(error)" : "(shell)");
		goto out;
	}
	if (template_expand_argv(t, &job, &argv, &argc, NULL) == -1) {
		buf_append_str(&b, "(error)");
		goto out;
	}
	for (i = 0; i < argc; i++)
		buf_printf(&b, "[%s]", argv[i]);
	if (argv[argc] != NULL)
		buf_append_str(&b, "(no NULL)");
	free(argv);
out:
	template_free(t);
	return buf_steal(&b);
}

/* The argv form of words for args (see argv_conf). */
static char *argv_of(char *const *words, size_t nwords, int flags,
		     char *const *args, size_t nargs)
{
	struct template_conf conf = {.flags = flags};

	return argv_conf(words, nwords, &conf, args, nargs);
}

/* Length of the variables the expansion puts in front of a command
 * ("_mp1='a b' _mp2='c'; "), 0 if none. */
static size_t preamble_len(const char *cmd)
{
	const char *p = cmd;

	if (strncmp(p, "_mp", 3) != 0)
		return 0;
	for (;;) {
		p = strchr(p, '=') + 1;
		while (*p == '\'' || (*p == '\\' && p[1] == '\'')) {
			if (*p == '\\')
				p += 2;
			else
				p = strchr(p + 1, '\'') + 1;
		}
		if (*p == ';')
			return (size_t)(p + 2 - cmd);
		p++;
	}
}

/* The words /bin/sh makes of a command (as "[w1][w2]..."): the command's
 * words (after its variables) are given to `set --` and printed back. */
static char *sh_words(const char *cmd)
{
	struct buf script = BUF_INIT, got = BUF_INIT;
	char chunk[4096];
	size_t n, pre = preamble_len(cmd);
	FILE *f;

	buf_printf(&script, "%.*sset -- %s\nfor a; do printf '[%%s]' \"$a\"; done",
		   (int)pre, cmd, cmd + pre);
	f = popen(script.data, "r");
	if (f != NULL) {
		do {
			n = fread(chunk, 1, sizeof(chunk), f);
			buf_append(&got, chunk, n);
		} while (n > 0);
		if (pclose(f) != 0)
			buf_append_str(&got, "(sh failed)");
	}
	buf_free(&script);
	return buf_steal(&got);
}

#define CHECK_SHELL(words, flags, args, want)                                  \
	do {                                                                   \
		char *got_ = shell_of(words, LEN(words), flags, args,          \
				      LEN(args));                              \
		CHECK_STR(got_, want);                                         \
		free(got_);                                                    \
	} while (0)

#define CHECK_ARGV(words, flags, args, want)                                   \
	do {                                                                   \
		char *got_ = argv_of(words, LEN(words), flags, args,           \
				     LEN(args));                               \
		CHECK_STR(got_, want);                                         \
		free(got_);                                                    \
	} while (0)

/* The argv form must give the very words sh makes of the shell form. */
static void check_same_as_shell(char *const *words, size_t nwords, int flags,
				char *const *args, size_t nargs)
{
	char *argv = argv_of(words, nwords, flags, args, nargs);
	char *cmd = shell_of(words, nwords, flags | TEMPLATE_SHELL, args,
			     nargs);
	char *sh = sh_words(cmd);

	CHECK_STR(argv, sh);
	free(argv);
	free(cmd);
	free(sh);
}

/* Bytes an argv takes for the kernel: each word, its NUL and pointer. */
static size_t argv_bytes(char **argv, size_t argc)
{
	size_t i, n = sizeof(char *);

	for (i = 0; i < argc; i++)
		n += strlen(argv[i]) + 1 + sizeof(char *);
	return n;
}

/* base_cost + the args' costs must bound the real size of the expansion. */
static int cost_bounds(char *const *words, size_t nwords, int flags,
		       char *const *args, size_t nargs)
{
	struct template_job job = {args, nargs, 18446744073709551615ULL,
				   4294967295U};
	struct template *t = template_new(words, nwords, flags, NULL);
	struct buf b = BUF_INIT;
	size_t i, bound, real, argc;
	char **argv;
	int ok = 0;

	if (t == NULL)
		return 0;
	bound = template_base_cost(t);
	for (i = 0; i < nargs; i++)
		bound += template_arg_cost(t, args[i]);
	if (template_uses_shell(t)) {
		if (template_expand_shell(t, &job, &b, NULL) == -1)
			goto out;
		real = b.len;
	} else {
		if (template_expand_argv(t, &job, &argv, &argc, NULL) == -1)
			goto out;
		real = argv_bytes(argv, argc);
		free(argv);
	}
	ok = real <= bound;
	if (!ok)
		printf("# real %zu > bound %zu\n", real, bound);
out:
	buf_free(&b);
	template_free(t);
	return ok;
}

/* Transforms, checked against GNU parallel 20221122. */
static void test_transforms(void)
{
	static const char *const cases[][5] = {
		{"a.b/c", "a.b/c", "c", "a.b", "c"},
		{"dir/x.tar.gz", "dir/x.tar", "x.tar.gz", "dir", "x.tar"},
		{".bashrc", "", ".bashrc", ".", ""},
		{"dir/.bashrc", "dir/", ".bashrc", "dir", ""},
		{"foo.", "foo", "foo.", ".", "foo"},
		{"foo", "foo", "foo", ".", "foo"},
		{"foo..", "foo.", "foo..", ".", "foo."},
		{"a/", "a/", "", ".", ""},
		{"/", "/", "", "/", ""},
		{"", "", "", ".", ""},
		{"a//b", "a//b", "b", "a", "b"},
		{"/a", "/a", "a", "/", "a"},
		{"//a", "//a", "a", "/", "a"},
		{"a/b/", "a/b/", "", "a", ""},
		{"///", "///", "", "/", ""},
		{"a///", "a///", "", ".", ""},
		{"a/b//c//", "a/b//c//", "", "a/b", ""},
		{"./x", "./x", "x", ".", "x"},
		{"../x.y", "../x", "x.y", "..", "x"},
	};
	char *words[] = {"{}", "{.}", "{/}", "{//}", "{/.}"};
	char *posw[] = {"{1}", "{1.}", "{1/}", "{1//}", "{1/.}"};
	struct buf want = BUF_INIT;
	size_t i, j;
	char *got, *args[1];

	for (i = 0; i < LEN(cases); i++) {
		buf_reset(&want);
		buf_printf(&want, "[%s]", cases[i][0]);
		for (j = 1; j < 5; j++)
			buf_printf(&want, "[%s]", cases[i][j]);
		args[0] = (char *)cases[i][0];
		got = argv_of(words, LEN(words), 0, args, 1);
		CHECK_STR(got, want.data);
		free(got);
		got = argv_of(posw, LEN(posw), 0, args, 1);
		CHECK_STR(got, want.data);
		free(got);
	}
	buf_free(&want);
}

/* Parsing: what is a replacement string and what is text. */
static void test_parse(void)
{
	char *lit[] = {"echo", "{", "{}}", "{{}}", "{foo}", "}{", "{1x}",
		       "{0}", "{-0}", "{-1}", "{ }", "{./}"};
	char *nothing[] = {"echo", "{foo}", "{", "}"};
	char *pos[] = {"echo", "{3}", "{12/.}", "{1}"};
	char *huge[] = {"echo", "{1234567890}"};
	char *seq[] = {"echo", "{#}-{%}"};
	char *hash[] = {"echo", "{#}"};
	char *a[] = {"a"};
	struct template *t;

	CHECK_ARGV(lit, 0, a,
		   "[echo][{][a}][{a}][{foo}][}{][{1x}][{0}][{-0}][a][{][}][{./}]");
	CHECK_ARGV(nothing, 0, a, "[echo][{foo}][{][}][a]");
	CHECK_ARGV(seq, 0, a, "[echo][7-2]");
	CHECK_ARGV(hash, 0, a, "[echo][7]");
	t = template_new(pos, LEN(pos), 0, NULL);
	CHECK(t != NULL && template_max_position(t) == 12);
	CHECK(t != NULL && template_has_replacement(t) == 1);
	template_free(t);
	t = template_new(huge, LEN(huge), 0, NULL);
	CHECK(t != NULL && template_max_position(t) == 0);
	CHECK(t != NULL && template_has_replacement(t) == 0);
	template_free(t);
	t = template_new(nothing, LEN(nothing), 0, NULL);
	CHECK(t != NULL && template_has_replacement(t) == 0);
	CHECK(t != NULL && template_max_position(t) == 0);
	template_free(t);
	t = template_new(seq, LEN(seq), 0, NULL);
	CHECK(t != NULL && template_has_replacement(t) == 1);
	template_free(t);
}

/* Bad templates. */
static void test_new_errors(void)
{
	char *empty[] = {""};
	char *blanks[] = {" ", "\t", ""};

	errno = 0;
	CHECK(template_new(empty, 0, 0, NULL) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(template_new(empty, 1, 0, NULL) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(template_new(blanks, 3, 0, NULL) == NULL && errno == EINVAL);
}

/* When the shell form is chosen. */
static void test_uses_shell(void)
{
	static const char *const meta[] = {
		";", "|", "&", "<", ">", "$", "\\", "*", "?", "[", "#", "~",
		"!", "\n", "$HOME", "a&&b",
	};
	/* Not shell at all: refused, with where. */
	static const char *const broken[] = {"(", ")", "`", "\"", "'"};
	static const char *const first[] = {
		"FOO=1", "A=", "exit", "cd", "exec", ".", ":", "if", "{",
		"set", "unalias", "!", "FOO=1 env", "  cd  ",
	};
	char *w[3] = {"echo", NULL, "{}"};
	char *f[2] = {NULL, "{}"};
	char *plain[] = {"echo", "-n", "a,b:c@d%e+f=g", "{}", "x/y.z"};
	char *late_eq[] = {"env", "A=1", "{}"};
	char *ref_eq[] = {"{}=x"};
	char *pfx_eq[] = {"A={}", "env"};
	char *cmd_word[] = {"cdx", "{}"};
	struct template *t;
	size_t i;

	for (i = 0; i < LEN(meta); i++) {
		w[1] = (char *)meta[i];
		t = template_new(w, 3, 0, NULL);
		CHECK(t != NULL && template_uses_shell(t) == 1);
		template_free(t);
	}
	for (i = 0; i < LEN(broken); i++) {
		struct template_error err;

		w[1] = (char *)broken[i];
		errno = 0;
		t = template_new(w, 3, 0, &err);
		CHECK(t == NULL && errno == EINVAL && err.line == 1 &&
		      err.col == 6 && strcmp(err.text, w[1]) != 0);
		template_free(t);
	}
	for (i = 0; i < LEN(first); i++) {
		f[0] = (char *)first[i];
		t = template_new(f, 2, 0, NULL);
		CHECK(t != NULL && template_uses_shell(t) == 1);
		template_free(t);
	}
	t = template_new(plain, LEN(plain), 0, NULL);
	CHECK(t != NULL && template_uses_shell(t) == 0);
	template_free(t);
	t = template_new(plain, LEN(plain), TEMPLATE_SHELL, NULL);
	CHECK(t != NULL && template_uses_shell(t) == 1);
	template_free(t);
	t = template_new(plain, LEN(plain), TEMPLATE_NO_QUOTE, NULL);
	CHECK(t != NULL && template_uses_shell(t) == 1);
	template_free(t);
	t = template_new(late_eq, LEN(late_eq), 0, NULL);
	CHECK(t != NULL && template_uses_shell(t) == 0);
	template_free(t);
	/* '=' after a replacement string that may write nothing ({2}A=1
	 * with one argument is an assignment to sh): the shell form, so that
	 * both forms mean the same (a fuzzer finding) */
	t = template_new(ref_eq, LEN(ref_eq), 0, NULL);
	CHECK(t != NULL && template_uses_shell(t) == 1);
	template_free(t);
	{
		char *pos_eq[] = {"{2}A=1"};
		char *one[] = {"x"};

		t = template_new(pos_eq, 1, 0, NULL);
		CHECK(t != NULL && template_uses_shell(t) == 1);
		template_free(t);
		CHECK_SHELL(pos_eq, 0, one, "A=1");
	}
	t = template_new(pfx_eq, LEN(pfx_eq), 0, NULL);
	CHECK(t != NULL && template_uses_shell(t) == 1);
	template_free(t);
	t = template_new(cmd_word, LEN(cmd_word), 0, NULL);
	CHECK(t != NULL && template_uses_shell(t) == 0);
	template_free(t);
}

/* The argv form. */
static void test_argv(void)
{
	char *echo[] = {"echo"};
	char *embed[] = {"echo", "x{}y"};
	char *alone[] = {"echo", "{}"};
	char *blank[] = {"echo", " ", "\t", "{}"};
	char *split[] = {"echo a\t b ", "{}"};
	char *inword[] = {"echo", "pre {} post"};
	char *pos[] = {"echo", "{1}", "{3}", "x{3}y", "{2}"};
	char *two[] = {"echo", "{1}-{2}"};
	char *only[] = {"{}"};
	char *one[] = {"a b"};
	char *ab[] = {"a", "b c"};
	char *none[] = {NULL};
	char *empty[] = {""};
	char *hostile[] = {"$(rm -rf ~)", "a; touch x", "it's", "`id`",
			   "new\nline", "", "  ", "*"};

	CHECK_ARGV(echo, 0, one, "[echo][a b]");
	CHECK_ARGV(echo, 0, ab, "[echo][a][b c]");
	CHECK_ARGV(embed, 0, one, "[echo][xa by]");
	CHECK_ARGV(embed, 0, ab, "[echo][xa][b cy]");
	CHECK_ARGV(alone, 0, ab, "[echo][a][b c]");
	CHECK_ARGV(blank, 0, one, "[echo][a b]");
	CHECK_ARGV(split, 0, one, "[echo][a][b][a b]");
	CHECK_ARGV(inword, 0, ab, "[echo][pre][a][b c][post]");
	CHECK_ARGV(pos, 0, ab, "[echo][a][xy][b c]");
	CHECK_ARGV(two, 0, one, "[echo][a b-]");
	CHECK_ARGV(alone, 0, empty, "[echo][]");
	CHECK_ARGV(embed, 0, empty, "[echo][xy]");
	CHECK_ARGV(echo, 0, hostile,
		   "[echo][$(rm -rf ~)][a; touch x][it's][`id`][new\nline]"
		   "[][  ][*]");
	/* No argument at all. */
	{
		struct template_job job = {none, 0, 1, 1};
		struct template *t = template_new(only, 1, 0, NULL);
		char **argv = NULL;
		size_t argc = 99;

		errno = 0;
		CHECK(t != NULL &&
		      template_expand_argv(t, &job, &argv, &argc, NULL) == -1 &&
		      errno == EINVAL);
		template_free(t);
		t = template_new(echo, 1, 0, NULL);
		CHECK(t != NULL &&
		      template_expand_argv(t, &job, &argv, &argc, NULL) == 0 &&
		      argc == 1 && strcmp(argv[0], "echo") == 0 &&
		      argv[1] == NULL);
		free(argv);
		template_free(t);
	}
}

/* The shell form. */
static void test_shell(void)
{
	char *echo[] = {"echo"};
	char *semi[] = {"echo", "{}", ";", "true"};
	char *embed[] = {"echo", "x{}y"};
	char *first[] = {"{}", ";"};
	char *pos[] = {"echo", "{3}", "x", "{1}"};
	char *var[] = {"FOO=1", "env"};
	char *raw[] = {"{}"};
	char *one[] = {"a b"};
	char *ab[] = {"a", "b c"};
	char *hostile[] = {"$(rm -rf ~)", "a; touch x", "it's", "`id`",
			   "new\nline", "", "*", "-n"};
	char *assign[] = {"A=1"};
	char *ls[] = {"ls"};
	char *cmdline[] = {"echo $HOME; ls"};

	CHECK_SHELL(echo, TEMPLATE_SHELL, ab, "_mp2='b c'; echo a \"${_mp2}\"");
	CHECK_SHELL(embed, TEMPLATE_SHELL, one, "_mp1='a b'; echo x\"${_mp1}\"y");
	CHECK_SHELL(embed, TEMPLATE_SHELL, ab,
		    "_mp2='b c'; echo xa \"${_mp2}\"y");
	CHECK_SHELL(semi, 0, hostile,
		    "_mp1='$(rm -rf ~)' _mp2='a; touch x' _mp3='it'\\''s' "
		    "_mp4='`id`' _mp5='new\nline' _mp6='' _mp7='*'; "
		    "echo \"${_mp1}\" \"${_mp2}\" \"${_mp3}\" \"${_mp4}\" "
		    "\"${_mp5}\" \"${_mp6}\" \"${_mp7}\" -n ; true");
	CHECK_SHELL(first, 0, assign, "'A=1' ;");
	CHECK_SHELL(first, 0, ls, "'ls' ;");
	CHECK_SHELL(pos, TEMPLATE_SHELL, ab, "echo  x a");
	CHECK_SHELL(var, 0, ab, "_mp2='b c'; FOO=1 env a \"${_mp2}\"");
	CHECK_SHELL(raw, TEMPLATE_SHELL | TEMPLATE_NO_QUOTE, cmdline,
		    "echo $HOME; ls");
	CHECK_SHELL(raw, TEMPLATE_SHELL | TEMPLATE_NO_QUOTE, ab, "a b c");
	/* The shell form appends to what the buffer held. */
	{
		struct template_job job = {ab, 2, 1, 1};
		struct template *t = template_new(echo, 1, TEMPLATE_SHELL, NULL);
		struct buf b = BUF_INIT;

		buf_append_str(&b, "pre:");
		CHECK(t != NULL && template_expand_shell(t, &job, &b, NULL) == 0);
		CHECK_STR(b.data, "pre:_mp2='b c'; echo a \"${_mp2}\"");
		buf_free(&b);
		template_free(t);
	}
}

/* TEMPLATE_CONTEXT (-X): words with {} repeated per argument. */
static void test_context(void)
{
	char *embed[] = {"echo", "x{}y", "{#}"};
	char *both[] = {"echo", "{1}{}", "-{/}-"};
	char *alone[] = {"echo", "{}"};
	char *abc[] = {"a", "b c", "d/e.f"};
	char *none[] = {NULL};

	CHECK_ARGV(embed, TEMPLATE_CONTEXT, abc, "[echo][xay][xb cy][xd/e.fy][7]");
	CHECK_SHELL(embed, TEMPLATE_CONTEXT, abc,
		    "_mp2='b c'; echo xay x\"${_mp2}\"y xd/e.fy 7");
	CHECK_ARGV(both, TEMPLATE_CONTEXT, abc,
		   "[echo][aa][b c][d/e.f][-a-][-b c-][-e.f-]");
	CHECK_ARGV(alone, TEMPLATE_CONTEXT, abc, "[echo][a][b c][d/e.f]");
	{
		struct template_job job = {none, 0, 1, 1};
		struct template *t = template_new(embed, 3, TEMPLATE_CONTEXT, NULL);
		char **argv = NULL;
		size_t argc = 0;

		CHECK(t != NULL &&
		      template_expand_argv(t, &job, &argv, &argc, NULL) == 0 &&
		      argc == 3 && strcmp(argv[1], "xy") == 0);
		free(argv);
		template_free(t);
	}
}

/* The argv form gives the words sh makes of the shell form. */
static void test_consistency(void)
{
	char *t1[] = {"echo", "x{}y", "{.}", "{3}", "{#}{%}"};
	char *t2[] = {"printf", "a\tb  c", "{1/}{2//}", " "};
	char *t3[] = {"echo"};
	char *t4[] = {"cp", "{}", "{//}/new-{/.}.bak"};
	char *a1[] = {"a b", "", "it's", "$(x) `y`", "new\nline", "t\tab",
		      "*", "d/e.f g"};
	char *a2[] = {"plain"};
	char *a3[] = {"", ""};

	check_same_as_shell(t1, LEN(t1), 0, a1, LEN(a1));
	check_same_as_shell(t1, LEN(t1), TEMPLATE_CONTEXT, a1, LEN(a1));
	check_same_as_shell(t1, LEN(t1), 0, a2, LEN(a2));
	check_same_as_shell(t1, LEN(t1), 0, a3, LEN(a3));
	check_same_as_shell(t2, LEN(t2), 0, a1, LEN(a1));
	check_same_as_shell(t2, LEN(t2), 0, a2, LEN(a2));
	check_same_as_shell(t3, LEN(t3), 0, a1, LEN(a1));
	check_same_as_shell(t3, LEN(t3), 0, a3, LEN(a3));
	check_same_as_shell(t4, LEN(t4), 0, a1, LEN(a1));
	check_same_as_shell(t4, LEN(t4), TEMPLATE_CONTEXT, a1, LEN(a1));
}

/* Costs: exact for simple cases, upper bounds everywhere. */
static void test_costs(void)
{
	char *echo[] = {"echo"};
	char *alone[] = {"echo", "{}"};
	char *semi[] = {"echo", "{}", ";"};
	char *many[] = {"x{}y {.}", "{1}", "{#}{%}", "{//}", "-{/.}-"};
	char *ctx[] = {"echo", "a {} b", "{#}", "<{}>", "{}.{#}{%}"};
	char *first[] = {"{}", ";"};
	char *raw[] = {"{}"};
	static const int flags[] = {
		0, TEMPLATE_SHELL, TEMPLATE_CONTEXT,
		TEMPLATE_SHELL | TEMPLATE_CONTEXT,
		TEMPLATE_SHELL | TEMPLATE_NO_QUOTE,
	};
	char *args[] = {"", "a", "a b", "it's '' '", "/", ".x", "d/e.f",
			"$(x)", "\n", "a=b"};
	struct template *t;
	size_t i, j;
	char *big;

	t = template_new(alone, 2, 0, NULL);
	CHECK(t != NULL && template_base_cost(t) == 5 + 2 * sizeof(char *));
	CHECK(t != NULL &&
	      template_arg_cost(t, "abc") == 3 + 1 + sizeof(char *));
	template_free(t);
	t = template_new(semi, 3, 0, NULL);
	CHECK(t != NULL && template_base_cost(t) == strlen("; echo  ;"));
	CHECK(t != NULL && template_arg_cost(t, "abc") >= strlen(" abc"));
	CHECK(t != NULL && template_arg_cost(t, "a b") >= strlen(" 'a b'"));
	template_free(t);
	for (i = 0; i < LEN(flags); i++) {
		CHECK(cost_bounds(echo, LEN(echo), flags[i], args, LEN(args)));
		CHECK(cost_bounds(alone, LEN(alone), flags[i], args, LEN(args)));
		CHECK(cost_bounds(semi, LEN(semi), flags[i], args, LEN(args)));
		CHECK(cost_bounds(many, LEN(many), flags[i], args, LEN(args)));
		CHECK(cost_bounds(ctx, LEN(ctx), flags[i], args, LEN(args)));
		CHECK(cost_bounds(raw, LEN(raw), flags[i], args, LEN(args)));
		for (j = 0; j < LEN(args); j++) {
			CHECK(cost_bounds(many, LEN(many), flags[i], args + j, 1));
			CHECK(cost_bounds(ctx, LEN(ctx), flags[i], args + j, 1));
			CHECK(cost_bounds(first, LEN(first), flags[i], args + j,
					  1));
		}
	}
	/* A long argument of quotes. */
	big = malloc(200001);
	CHECK(big != NULL);
	memset(big, '\'', 200000);
	big[200000] = '\0';
	for (i = 0; i < LEN(flags); i++)
		CHECK(cost_bounds(many, LEN(many), flags[i], &big, 1));
	free(big);
}

/* Very long arguments go through whole. */
static void test_long(void)
{
	char *alone[] = {"echo", "{}"};
	char *semi[] = {"echo", "x{}", ";"};
	struct buf want = BUF_INIT;
	char *big, *got;
	size_t n = 300000, i;

	big = malloc(n + 1);
	CHECK(big != NULL);
	for (i = 0; i < n; i++)
		big[i] = i % 1000 == 999 ? '\'' : (char)('a' + i % 26);
	big[n] = '\0';
	got = argv_of(alone, 2, 0, &big, 1);
	CHECK(got != NULL && strlen(got) == n + 8 &&
	      strncmp(got + 7, big, n) == 0);
	free(got);
	got = shell_of(semi, 3, 0, &big, 1);
	buf_append_str(&want, "_mp1='");
	for (i = 0; i < n; i++)
		if (big[i] == '\'')
			buf_append_str(&want, "'\\''");
		else
			buf_append_char(&want, big[i]);
	buf_append_str(&want, "'; echo x\"${_mp1}\" ;");
	CHECK(got != NULL && strcmp(got, want.data) == 0);
	free(got);
	buf_free(&want);
	free(big);
}

/* An argument inside the template's own '...' or "..." (or inside a $( )
 * within them) is still literal: the shell gives back the input exactly. */
static void test_quote_context(void)
{
	char *hostile[] = {"$(touch pwned)", "b c", "it's", "`id`", "x\"y",
			   "back\\slash", "", "new\nline", "a'\"$b"};
	char *dq[] = {"printf '[%s]' \"<{}>\""};
	char *sq[] = {"printf '[%s]' '<{}>'"};
	char *sub[] = {"printf '[%s]' \"$(printf %s {})\""};
	char want[256], *cmd, *got;
	size_t i;

	for (i = 0; i < LEN(hostile); i++) {
		char *arg[] = {hostile[i]};

		snprintf(want, sizeof(want), "[printf][[%%s]][<%s>]", hostile[i]);
		cmd = shell_of(dq, 1, 0, arg, 1);
		got = sh_words(cmd);
		CHECK_STR(got, want);
		free(cmd);
		free(got);
		cmd = shell_of(sq, 1, 0, arg, 1);
		got = sh_words(cmd);
		CHECK_STR(got, want);
		free(cmd);
		free(got);
		snprintf(want, sizeof(want), "[printf][[%%s]][%s]", hostile[i]);
		cmd = shell_of(sub, 1, 0, arg, 1);
		got = sh_words(cmd);
		CHECK_STR(got, want);
		free(cmd);
		free(got);
	}
}

#define CHECK_CONF(words, conf, args, want)                                    \
	do {                                                                   \
		char *got_ = argv_conf(words, LEN(words), conf, args,          \
				       LEN(args));                             \
		CHECK_STR(got_, want);                                         \
		free(got_);                                                    \
	} while (0)

/* The message of a refused template, or "(accepted)". */
static char *refusal(char *const *words, size_t nwords,
		     const struct template_conf *conf)
{
	struct template_error err;
	struct template *t = template_new_conf(words, nwords, conf, &err);
	char *r = strdup(t == NULL && errno == EINVAL ? err.msg : "(accepted)");

	template_free(t);
	return r;
}

#define CHECK_REFUSED(words, conf, want)                                       \
	do {                                                                   \
		char *got_ = refusal(words, LEN(words), conf);                 \
		CHECK(strstr(got_, want) != NULL);                             \
		if (strstr(got_, want) == NULL)                                \
			printf("# got: [%s]\n", got_);                         \
		free(got_);                                                    \
	} while (0)

/* {= s/// =}: GNU parallel's perl, the substitutions (checked against
 * GNU parallel 20221122). */
static void test_expr(void)
{
	static const struct template_conf plain = {0};
	char *one[] = {"echo", "{= s/a/b/ =}"};
	char *split[] = {"echo", "{=", "s/a/b/g", "=}", "x"};
	char *pos[] = {"echo", "x{=2 s/a/b/g=}y", "{=1s/a/c/=}"};
	char *caps[] = {"echo", "{=s/A/b/gi;s/b(.)/$1$1$&/=}"};
	char *cas[] = {"echo", "{= s/(\\w+)\\.(\\w+)/\\U$2\\E-${1}/ =}"};
	char *delim[] = {"echo", "{= s:/:\\::g; s|x|\\||; s,\\,,;, =}"};
	char *orelse[] = {"echo", "{= s/a// || s/b/c/ =}"};
	char *empty[] = {"echo", "{==}", "{= =}"};
	char *lazy[] = {"echo", "{= s/x*/-/g =}"};
	char *aa[] = {"aa"}, *two[] = {"aa", "ca"}, *ax[] = {"AaAx"};
	char *fb[] = {"foo.bar"}, *sl[] = {"a/x/b,"}, *ab[] = {"ab", "cb"};
	char *q[] = {"it's"}, *xyz[] = {"aaa"};

	CHECK_CONF(one, &plain, aa, "[echo][ba]");
	CHECK_CONF(split, &plain, aa, "[echo][bb][x]");
	CHECK_CONF(pos, &plain, two, "[echo][xcby][ca]");
	CHECK_CONF(caps, &plain, ax, "[echo][bbbbbx]");
	CHECK_CONF(cas, &plain, fb, "[echo][BAR-foo]");
	CHECK_CONF(delim, &plain, sl, "[echo][a:|:b;]");
	CHECK_CONF(orelse, &plain, ab, "[echo][b][cc]");
	CHECK_CONF(empty, &plain, q, "[echo][it's][it's]");
	CHECK_SHELL(empty, TEMPLATE_SHELL, q, "_mp1_e0='it'\\''s' _mp1_e1='it'\\''s'; "
		    "echo \"${_mp1_e0}\" \"${_mp1_e1}\"");
	CHECK_CONF(lazy, &plain, xyz, "[echo][-a-a-a-]");
}

/* {= =} refused before anything runs: other perl, bad regexps, no =}. */
static void test_expr_refused(void)
{
	static const struct template_conf plain = {0}, plus = {.plus = 1};
	char *perl[] = {"echo", "{= $_++ =}"};
	char *eflag[] = {"echo", "{= s/a/uc($&)/e =}"};
	char *var[] = {"echo", "{= s/a/$x/ =}"};
	char *revar[] = {"echo", "{= s/$x/a/ =}"};
	char *badre[] = {"echo", "{= s/(/x/ =}"};
	char *open[] = {"echo", "{=", "s/a/b/"};
	char *unend[] = {"echo", "{= s/a/b =}"};
	char *flag[] = {"echo", "{= s/a/b/z =}"};
	char *zero[] = {"echo", "{=0 s/a/b/ =}"};
	char *total[] = {"echo", "{##}"};
	char *uniq[] = {"echo", "{uniq}"};
	char *octal[] = {"echo", "{= s/a/\\101/ =}"};
	char *group2[] = {"echo", "{= s/(a)/\\12/ =}"};

	CHECK_REFUSED(octal, &plain, "'\\10' in a replacement: perl reads it "
				     "as a group or an octal code");
	CHECK_REFUSED(group2, &plain, "write ${1}2 for a group and a digit");
	CHECK_REFUSED(perl, &plain, "{= $_++ =}: '$_++ ' is perl");
	CHECK_REFUSED(eflag, &plain, "the flag e evaluates perl");
	CHECK_REFUSED(var, &plain, "'$x' in a replacement is a perl variable");
	CHECK_REFUSED(revar, &plain, "'$x' in a regexp is a perl variable");
	CHECK_REFUSED(badre, &plain, "regexp /(/: missing closing parenthesis");
	CHECK_REFUSED(open, &plain, "'{=' with no '=}' to close it");
	CHECK_REFUSED(unend, &plain, "no closing '/'");
	CHECK_REFUSED(flag, &plain, "unknown flag 'z'");
	CHECK_REFUSED(zero, &plain, "not a position");
	CHECK_REFUSED(total, &plus, "{##} needs the number of jobs");
	CHECK_REFUSED(total, &plain, "(accepted)");
	CHECK_REFUSED(uniq, &plus, "{uniq} skips jobs");
}

/* --plus, checked against GNU parallel 20221122. */
static void test_plus(void)
{
	static const struct template_conf plain = {0};
	struct template_conf plus = {.plus = 1, .slots = 12};
	char *names[] = {"echo", "{+/}", "{+.}", "{+..}", "{+...}", "{..}",
			 "{...}", "{/..}", "{/...}"};
	char *subs[] = {"echo", "{:2}", "{:1:3}", "{#a*}", "{##a*}", "{%c*}",
			"{%%c*}", "{:9}", "{:9:1}"};
	char *res[] = {"echo", "{/b/X}", "{//b/X}", "{^a}", "{^^b}", "{,A}",
		       "{,,B}", "{:-def}", "{/#a/X}", "{/%b/X}"};
	char *pos[] = {"echo", "{2+.}", "{1..}", "{2/..}", "{2 :1:2}"};
	char *nums[] = {"echo", "{0%}", "{slot}", "{2#}"};
	char *path[] = {"dir/sub/a.tar.gz.x"}, *ab[] = {"aabbcc"};
	char *mixed[] = {"aAbBb"}, *empty[] = {""}, *zero[] = {"0"};
	char *two[] = {"x.tar.gz", "d/y.tgz.zz"};

	CHECK_CONF(names, &plus, path,
		   "[echo][dir/sub][x][gz.x][tar.gz.x][dir/sub/a.tar]"
		   "[dir/sub/a][a.tar][a]");
	CHECK_CONF(names, &plain, path,
		   "[echo][{+/}][{+.}][{+..}][{+...}][{..}][{...}][{/..}]"
		   "[{/...}][dir/sub/a.tar.gz.x]");
	CHECK_CONF(subs, &plus, ab,
		   "[echo][bbcc][abb][aabbcc][bbcc][aabbcc][aabb][][]");
	CHECK_CONF(res, &plus, mixed,
		   "[echo][aAXBb][aAXBX][AAbBb][aABBB][aAbBb][aAbbb][aAbBb]"
		   "[XAbBb][aAbBX]");
	CHECK_CONF(res, &plus, empty, "[echo][][][][][][][def][][]");
	CHECK_CONF(res, &plus, zero, "[echo][0][0][0][0][0][0][def][0][0]");
	CHECK_CONF(pos, &plus, two, "[echo][zz][x][y][/y]");
	CHECK_CONF(nums, &plus, two, "[echo][02][2][7]");
	plus.slots = 9;
	CHECK_CONF(nums, &plus, two, "[echo][2][2][7]");
}

/* -I and the other renames, and --rpl. */
static void test_renames(void)
{
	struct template_conf conf = {0};
	char *args_r[] = {"echo", "R", "{}", "{1}", "{R}"};
	char *braced[] = {"echo", "{x}", "{1x}", "{}"};
	char *all[] = {"echo", "E", "B", "D", "BE", "S", "T", "{.}"};
	char *none[] = {"echo"};
	char *rpl[] = {"echo", "{%.gz}", "{1%.gz}", "{..}"};
	char *ab[] = {"a.b"}, *d[] = {"d/f.x.gz.gz"};

	conf.tags[TEMPLATE_TAG_ARGS] = "R";
	CHECK_CONF(args_r, &conf, ab, "[echo][a.b][{}][{1}][{a.b}]");
	CHECK_CONF(none, &conf, ab, "[echo][a.b]");
	conf.tags[TEMPLATE_TAG_ARGS] = "{x}";
	CHECK_CONF(braced, &conf, ab, "[echo][a.b][a.b][{}]");
	conf.tags[TEMPLATE_TAG_ARGS] = NULL;
	conf.tags[TEMPLATE_TAG_NOEXT] = "E";
	conf.tags[TEMPLATE_TAG_BASE] = "B";
	conf.tags[TEMPLATE_TAG_DIR] = "D";
	conf.tags[TEMPLATE_TAG_BASE_NOEXT] = "BE";
	conf.tags[TEMPLATE_TAG_SEQ] = "S";
	conf.tags[TEMPLATE_TAG_SLOT] = "T";
	CHECK_CONF(all, &conf, d,
		   "[echo][d/f.x.gz][f.x.gz.gz][d][f.x.gz][7][2][{.}]");
	memset(&conf, 0, sizeof(conf));
	conf.rpls = (char *[]){"{%(.+?)} s/$$1$//", "{..} s/\\..*//"};
	conf.nrpls = 2;
	CHECK_CONF(rpl, &conf, d, "[echo][d/f.x.gz][d/f.x.gz][d/f]");
	conf.rpls = (char *[]){"{x} $_=1"};
	conf.nrpls = 1;
	CHECK_REFUSED(braced, &conf, "{x}: '$_=1' is perl");
}

/* uq() inserts the value as code; everything else stays data. */
static void test_unquoted(void)
{
	char *uq[] = {"echo", "{= s/a/b/; uq() =}", "{}"};
	char *hostile[] = {"echo", "{= s/a/b/ =}", "{=1 s/x/y/ =}"};
	char *args[] = {"a;echo hi"}, *bad[] = {"$(touch x)a`y`"};
	struct template *t = template_new(uq, LEN(uq), 0, NULL);

	CHECK(t != NULL && template_uses_shell(t));
	template_free(t);
	CHECK_SHELL(uq, 0, args,
		    "_mp1='a;echo hi'; echo b;echo hi \"${_mp1}\"");
	CHECK_SHELL(hostile, 0, bad,
		    "_mp1_e0='$(touch x)b`y`' _mp1_e1='$(touch y)a`y`'; "
		    "echo \"${_mp1_e0}\" \"${_mp1_e1}\"");
}

/* -q: each word of the command is one word, its text data. */
static void test_quote_flag(void)
{
	char *words[] = {"printf", "%s|", "a  {}", "{}", "", "$HOME;"};
	char *cd[] = {"cd", "a b{}"};
	char *xy[] = {"x y"}, *two[] = {"1", "2"}, *q[] = {"it's"};

	CHECK_ARGV(words, TEMPLATE_QUOTE, xy,
		   "[printf][%s|][a  x y][x y][][$HOME;]");
	CHECK_ARGV(words, TEMPLATE_QUOTE, two,
		   "[printf][%s|][a  1][2][1][2][][$HOME;]");
	CHECK_SHELL(cd, TEMPLATE_QUOTE, q,
		    "_mp1='it'\\''s'; cd 'a b'\"${_mp1}\"");
	CHECK_SHELL(words, TEMPLATE_QUOTE | TEMPLATE_SHELL, xy,
		    "_mp1='x y'; printf '%s|' 'a  '\"${_mp1}\" "
		    "\"${_mp1}\" '' '$HOME;'");
	check_same_as_shell(words, LEN(words), TEMPLATE_QUOTE, two, 2);
	check_same_as_shell(words, LEN(words), TEMPLATE_QUOTE, xy, 1);
}

/* Costs bound expressions that grow their value. */
static void test_expr_costs(void)
{
	char *grow[] = {"echo", "{= s/a/bbbbbbbbbb/g =}", "{=1 s/(.)/$1$1/g =}"};
	char *args[] = {"aaaa", "a b'a", ""};
	size_t i;

	for (i = 0; i < LEN(args); i++) {
		CHECK(cost_bounds(grow, LEN(grow), 0, args + i, 1));
		CHECK(cost_bounds(grow, LEN(grow), TEMPLATE_SHELL, args + i, 1));
	}
	CHECK(cost_bounds(grow, LEN(grow), TEMPLATE_CONTEXT, args, LEN(args)));
}

int main(void)
{
	test_expr();
	test_expr_refused();
	test_plus();
	test_renames();
	test_unquoted();
	test_quote_flag();
	test_expr_costs();
	test_quote_context();
	test_transforms();
	test_parse();
	test_new_errors();
	test_uses_shell();
	test_argv();
	test_shell();
	test_context();
	test_consistency();
	test_costs();
	test_long();
	return UNIT_DONE();
}
