/* Unit tests for lib/quote. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "quote.h"
#include "unit.h"

/* quote_shell(s) as a new string (NULL on failure). */
static char *quoted(const char *s)
{
	struct buf b = BUF_INIT;

	if (quote_shell(&b, s) == -1) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* Check quote_shell(s) == want and quote_shell_len(s) == strlen(want). */
static void check_quote(const char *s, const char *want)
{
	char *q = quoted(s);

	CHECK_STR(q, want);
	CHECK_INT(quote_shell_len(s), strlen(want));
	free(q);
}

/* Run `printf %s <quoted s>` through /bin/sh: does the shell give back s? */
static int shell_round_trip(const char *s)
{
	struct buf cmd = BUF_INIT, got = BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f;
	int ok = 0;

	if (buf_append_str(&cmd, "printf %s ") == -1 || quote_shell(&cmd, s) == -1)
		goto out;
	f = popen(cmd.data, "r");
	if (f == NULL)
		goto out;
	do {
		n = fread(chunk, 1, sizeof(chunk), f);
		buf_append(&got, chunk, n);
	} while (n > 0);
	ok = pclose(f) == 0 && got.len == strlen(s) &&
	     (got.len == 0 || memcmp(got.data, s, got.len) == 0);
out:
	buf_free(&cmd);
	buf_free(&got);
	return ok;
}

/* A string of n bytes cycling through hostile characters. */
static char *hostile_string(size_t n)
{
	static const char alphabet[] = "a'b\"c$d`e\\f g\nh;i|j&k*l?m[n]o#p~q(r)";
	char *s = malloc(n + 1);
	size_t i;

	if (s == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		s[i] = alphabet[i % (sizeof(alphabet) - 1)];
	s[n] = '\0';
	return s;
}

int main(void)
{
	static const char *const hostile[] = {
		"",	     "'",	   "''",	 "a'b",	    "$(rm -rf ~)",
		"a; touch x", "`id`",	   "\"$HOME\"",	 "new\nline", "tab\there",
		"*",	     "?",	   "[a]",	 "#comment", "~",
		"\\",	     "a\\'b",	   "!",		 "{a,b}",    "-n",
		"é",	     "   ",	   "x=1",	 "'\\''",
	};
	struct buf b = BUF_INIT;
	char *big;
	size_t i, want;

	/* Plain words stay as they are. */
	check_quote("abc", "abc");
	check_quote("a-b_c.d/e:f,g+h=i@j%k", "a-b_c.d/e:f,g+h=i@j%k");
	check_quote("0123456789", "0123456789");
	/* Everything else goes in single quotes. */
	check_quote("", "''");
	check_quote("a b", "'a b'");
	check_quote("it's", "'it'\\''s'");
	check_quote("'", "''\\'''");
	check_quote("$(rm -rf ~)", "'$(rm -rf ~)'");
	check_quote("a; touch x", "'a; touch x'");
	check_quote("`id`", "'`id`'");
	check_quote("new\nline", "'new\nline'");
	check_quote("\\", "'\\'");
	check_quote("~", "'~'");
	check_quote("{}", "'{}'");
	check_quote("*", "'*'");
	check_quote("é", "'é'");

	/* Appending keeps what was there. */
	CHECK(buf_append_str(&b, "echo ") == 0);
	CHECK(quote_shell(&b, "a b") == 0);
	CHECK(quote_shell(&b, "c") == 0);
	CHECK_STR(b.data, "echo 'a b'c");
	buf_free(&b);

	/* What needs a shell. */
	CHECK_INT(quote_needs_shell(""), 0);
	CHECK_INT(quote_needs_shell("echo hello world"), 0);
	CHECK_INT(quote_needs_shell("gzip -9\t{} {.}.gz ^x"), 0);
	CHECK_INT(quote_needs_shell("a=b,c:d@e%f+g"), 0);
	for (i = 0; i < strlen(";|&<>()$`\\\"'*?[]#~!\n\r"); i++) {
		char s[4] = {'a', ";|&<>()$`\\\"'*?[]#~!\n\r"[i], 'b', '\0'};

		CHECK(quote_needs_shell(s) == 1);
	}
	CHECK_INT(quote_needs_shell("caf\xc3\xa9"), 1);

	/* The shell reads every quoted string back unchanged. */
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		CHECK(shell_round_trip(hostile[i]));

	/* A long hostile string: exact length, and round trip. */
	big = hostile_string(100000);
	CHECK(big != NULL);
	want = 2 + 100000;
	for (i = 0; i < 100000; i++)
		want += big[i] == '\'' ? 3 : 0;
	CHECK_INT(quote_shell_len(big), want);
	CHECK(quote_shell(&b, big) == 0);
	CHECK_INT(b.len, want);
	CHECK(shell_round_trip(big));
	buf_free(&b);
	free(big);
	return UNIT_DONE();
}
