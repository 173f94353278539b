/* policy: parse --timeout and --halt values. */
#include "policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

/* A whole number, or a percentage with a trailing '%' (*is_pct set). */
static int count_or_pct(const char *s, long long max, long long *n,
			int *is_pct)
{
	char num[32];
	size_t len = strlen(s);

	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, s, len + 1);
	*is_pct = num[len - 1] == '%';
	if (*is_pct)
		num[len - 1] = '\0';
	return parse_number(num, 1, *is_pct ? 1000000 : max, n);
}

int policy_timeout_parse(const char *s, uint64_t *ms, unsigned *pct)
{
	long long n;
	int is_pct = 0;

	*ms = 0;
	*pct = 0;
	if (strchr(s, '%') != NULL) {
		if (count_or_pct(s, 0, &n, &is_pct) == -1 || !is_pct)
			goto bad;
		*pct = (unsigned)n;
		return 0;
	}
	if (parse_duration_ms(s, ms) == -1 || *ms == 0)
		goto bad;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

/* The part after "when," : fail|success|done=N|N%. */
static int halt_what(const char *s, struct policy_halt *h)
{
	static const char *const what[] = {"fail=", "success=", "done="};
	long long n;
	size_t i;
	int is_pct;

	for (i = 0; i < 3; i++) {
		size_t len = strlen(what[i]);

		if (strncmp(s, what[i], len) != 0)
			continue;
		h->what = (enum policy_halt_what)i;
		if (count_or_pct(s + len, 1000000000000LL, &n, &is_pct) == -1 ||
		    (is_pct && n > 100))
			return -1;
		if (is_pct)
			h->pct = (unsigned)n;
		else
			h->count = (unsigned long long)n;
		return 0;
	}
	return -1;
}

/* GNU parallel's older spellings: 0, 1, 2, -1, -2, N% (1-99). */
static const char *halt_old_form(const char *s, char *buf, size_t len)
{
	static const char *const forms[][2] = {
		{"0", "never"},		   {"1", "soon,fail=1"},
		{"2", "now,fail=1"},	   {"-1", "soon,success=1"},
		{"-2", "now,success=1"}};
	long long pct;
	size_t i, n = strlen(s);

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		if (strcmp(s, forms[i][0]) == 0)
			return forms[i][1];
	if (n > 1 && n < 5 && s[n - 1] == '%' && s[0] != '0' &&
	    strspn(s, "0123456789") == n - 1) {
		pct = strtoll(s, NULL, 10);
		if (pct >= 1 && pct <= 99) {
			snprintf(buf, len, "soon,fail=%lld%%", pct);
			return buf;
		}
	}
	return s;
}

int policy_halt_parse(const char *s, struct policy_halt *h)
{
	char buf[32];

	memset(h, 0, sizeof(*h));
	s = halt_old_form(s, buf, sizeof(buf));
	if (strcmp(s, "never") == 0)
		return 0;
	if (strncmp(s, "now,", 4) == 0)
		h->when = HALT_NOW;
	else if (strncmp(s, "soon,", 5) == 0)
		h->when = HALT_SOON;
	if (h->when == HALT_NEVER || halt_what(strchr(s, ',') + 1, h) == -1) {
		memset(h, 0, sizeof(*h));
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int policy_halt_reached(const struct policy_halt *h, unsigned long long ok,
			unsigned long long bad, unsigned long long base)
{
	unsigned long long n = h->what == HALT_FAIL	 ? bad
			       : h->what == HALT_SUCCESS ? ok
							 : ok + bad;

	if (h->when == HALT_NEVER)
		return 0;
	if (h->count > 0)
		return n >= h->count;
	return base > 0 && n * 100 >= (unsigned long long)h->pct * base;
}
