/* quote: quoting a string for /bin/sh so that it is one literal word. */
#include "quote.h"

#include <string.h>

/* 1 if c can stand unquoted in a shell word. */
static int quote_safe_char(unsigned char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("_@%+=:,./-", c) != NULL;
}

/* 1 if s[0..n) is not empty and made only of safe characters. */
int quote_is_plain(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!quote_safe_char((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Length of s as quote_shell() writes it. */
size_t quote_shell_len(const char *s)
{
	size_t n = strlen(s);
	const char *p;

	if (quote_is_plain(s, strlen(s)))
		return n;
	n += 2;
	for (p = s; *p != '\0'; p++)
		if (*p == '\'')
			n += 3;
	return n;
}

/* Append s as one literal shell word: plain, or in '...' with ' as '\''. */
int quote_shell(struct buf *out, const char *s)
{
	const char *p = s, *q;

	if (quote_is_plain(s, strlen(s)))
		return buf_append_str(out, s);
	if (buf_reserve(out, quote_shell_len(s)) == -1)
		return -1;
	/* The room is reserved: the appends below cannot fail. */
	buf_append_char(out, '\'');
	q = strchr(p, '\'');
	while (q != NULL) {
		buf_append(out, p, (size_t)(q - p));
		buf_append(out, "'\\''", 4);
		p = q + 1;
		q = strchr(p, '\'');
	}
	buf_append_str(out, p);
	buf_append_char(out, '\'');
	return 0;
}

/* 1 if s has a character the shell would interpret. */
int quote_needs_shell(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (quote_safe_char(*p) || *p == ' ' || *p == '\t')
			continue;
		if (*p == '{' || *p == '}' || *p == '^')
			continue;
		return 1;
	}
	return 0;
}
