/* parse: parsing human numbers: durations, sizes, signals, integers. */
#include "parse.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* Fraction digits kept; later ones are dropped (truncation). */
#define FRAC_DIGITS_MAX 9

/* A number as written: whole part and up to FRAC_DIGITS_MAX decimals. */
struct decimal {
	uint64_t whole;
	uint64_t frac;	    /* the decimals as an integer */
	uint64_t frac_div;  /* 10^(decimals kept) */
	int has_frac;
};

struct unit {
	const char *name;
	uint64_t mult;
};

/* Duration units, largest first; "ms" before "m" so it is matched first. */
static const struct unit duration_units[] = {
	{"d", 86400000},
	{"h", 3600000},
	{"ms", 1},
	{"m", 60000},
	{"s", 1000},
};

struct signame {
	const char *name;
	int sig;
};

/* Standard signals; an alias follows its main name so parse_signal_name() finds
 * the main one first. */
static const struct signame signames[] = {
	{"HUP", SIGHUP},       {"INT", SIGINT},	      {"QUIT", SIGQUIT},
	{"ILL", SIGILL},       {"TRAP", SIGTRAP},     {"ABRT", SIGABRT},
	{"IOT", SIGABRT},      {"BUS", SIGBUS},	      {"FPE", SIGFPE},
	{"KILL", SIGKILL},     {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
	{"USR2", SIGUSR2},     {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},
	{"TERM", SIGTERM},
#ifdef SIGSTKFLT
	{"STKFLT", SIGSTKFLT},
#endif
	{"CHLD", SIGCHLD},     {"CLD", SIGCHLD},      {"CONT", SIGCONT},
	{"STOP", SIGSTOP},     {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN},
	{"TTOU", SIGTTOU},     {"URG", SIGURG},	      {"XCPU", SIGXCPU},
	{"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
	{"WINCH", SIGWINCH},
#ifdef SIGIO
	{"IO", SIGIO},
#endif
#ifdef SIGPOLL
	{"POLL", SIGPOLL},
#endif
#ifdef SIGPWR
	{"PWR", SIGPWR},
#endif
	{"SYS", SIGSYS},
};

/* 1 if c is an ASCII digit. */
static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* *v = *v * mul + add, -1/ERANGE on overflow. */
static int mul_add(uint64_t *v, uint64_t mul, uint64_t add)
{
	if (mul != 0 && *v > (UINT64_MAX - add) / mul) {
		errno = ERANGE;
		return -1;
	}
	*v = *v * mul + add;
	return 0;
}

/* Read "DIGITS[.DIGITS]" at *sp into d and advance *sp. 0 or -1/errno. */
static int decimal_read(const char **sp, struct decimal *d)
{
	const char *s = *sp;

	*d = (struct decimal){0, 0, 1, 0};
	if (!is_digit(*s)) {
		errno = EINVAL;
		return -1;
	}
	for (; is_digit(*s); s++)
		if (mul_add(&d->whole, 10, (uint64_t)(*s - '0')) == -1)
			return -1;
	if (*s == '.') {
		s++;
		if (!is_digit(*s)) {
			errno = EINVAL;
			return -1;
		}
		d->has_frac = 1;
		for (; is_digit(*s); s++) {
			if (d->frac_div >= 1000000000)
				continue;
			d->frac = d->frac * 10 + (uint64_t)(*s - '0');
			d->frac_div *= 10;
		}
	}
	*sp = s;
	return 0;
}

/* d times mult (fraction truncated) into *out. 0 or -1/ERANGE. */
static int decimal_scale(const struct decimal *d, uint64_t mult, uint64_t *out)
{
	uint64_t v = d->whole, part;

	if (mul_add(&v, mult, 0) == -1)
		return -1;
	/* mult * frac / frac_div, split so that no product overflows
	 * (frac < frac_div <= 10^9). */
	part = mult / d->frac_div * d->frac +
	       mult % d->frac_div * d->frac / d->frac_div;
	if (mul_add(&v, 1, part) == -1)
		return -1;
	*out = v;
	return 0;
}

/* The duration unit at *sp (advanced past it), or NULL. */
static const struct unit *duration_unit(const char **sp)
{
	size_t i, len;

	for (i = 0; i < ARRAY_LEN(duration_units); i++) {
		len = strlen(duration_units[i].name);
		if (strncmp(*sp, duration_units[i].name, len) == 0) {
			*sp += len;
			return &duration_units[i];
		}
	}
	return NULL;
}

/* "1.5", "300ms", "1h30m": a bare number is seconds; units largest first. */
int parse_duration_ms(const char *s, uint64_t *ms)
{
	const struct unit *u, *last = NULL;
	struct decimal d;
	uint64_t total = 0, part;

	if (decimal_read(&s, &d) == -1)
		return -1;
	if (*s == '\0') /* a bare number: seconds */
		return decimal_scale(&d, 1000, ms);
	for (;;) {
		u = duration_unit(&s);
		/* Each unit once, largest first: "1h30m", not "30m1h". */
		if (u == NULL || (last != NULL && u->mult >= last->mult)) {
			errno = EINVAL;
			return -1;
		}
		if (decimal_scale(&d, u->mult, &part) == -1 ||
		    mul_add(&total, 1, part) == -1)
			return -1;
		last = u;
		if (*s == '\0')
			break;
		if (decimal_read(&s, &d) == -1)
			return -1;
	}
	*ms = total;
	return 0;
}

/* The power of 1024 of a size unit letter, or -1. */
static int size_shift(char c)
{
	switch (c) {
	case 'k':
	case 'K':
		return 10;
	case 'm':
	case 'M':
		return 20;
	case 'g':
	case 'G':
		return 30;
	case 't':
	case 'T':
		return 40;
	default:
		return -1;
	}
}

/* "64K", "1.5M", "100B": powers of 1024; a fraction needs a unit. */
int parse_size(const char *s, uint64_t *bytes)
{
	struct decimal d;
	int shift = 0;

	if (decimal_read(&s, &d) == -1)
		return -1;
	if (*s != '\0' && size_shift(*s) != -1)
		shift = size_shift(*s++);
	if (*s == 'b' || *s == 'B')
		s++;
	/* A fraction of a byte ("1.5", "1.5B") makes no sense. */
	if (*s != '\0' || (d.has_frac && shift == 0)) {
		errno = EINVAL;
		return -1;
	}
	return decimal_scale(&d, (uint64_t)1 << shift, bytes);
}

/* GNU parallel's units (its multiply_binary_prefix): "1k" 1000, "1K" and
 * "1ki" 1024, up to p/P; a fraction needs a unit ("1.5k" is 1500). */
int parse_gnu_size(const char *s, uint64_t *out)
{
	static const char units[] = "kmgtp";
	const char *u = NULL;
	uint64_t mult = 1;
	struct decimal d;
	int binary, i;

	if (decimal_read(&s, &d) == -1)
		return -1;
	if (*s != '\0') {
		u = strchr(units, *s | 0x20);
		binary = *s >= 'A' && *s <= 'Z';
		if (u == NULL)
			goto bad;
		s++;
		if (*s == 'i' || *s == 'I') {
			binary = 1;
			s++;
		}
		for (i = 0; i <= u - units; i++)
			mult *= binary ? 1024 : 1000;
	}
	if (*s != '\0' || (d.has_frac && u == NULL))
		goto bad;
	return decimal_scale(&d, mult, out);
bad:
	errno = EINVAL;
	return -1;
}

/* "1G", "1536K", "100": the largest unit that divides the size. */
char *parse_size_format(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "TGMK";
	size_t i;
	int shift;

	for (i = 0; units[i] != '\0'; i++) {
		shift = size_shift(units[i]);
		if (bytes != 0 && bytes % ((uint64_t)1 << shift) == 0) {
			snprintf(buf, len, "%llu%c",
				 (unsigned long long)(bytes >> shift), units[i]);
			return buf;
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)bytes);
	return buf;
}

/* A signal number, or a name with or without "SIG", in any case. */
int parse_signal(const char *s)
{
	long long n;
	size_t i;

	if (parse_number(s, 1, NSIG - 1, &n) == 0)
		return (int)n;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < ARRAY_LEN(signames); i++)
		if (strcasecmp(s, signames[i].name) == 0)
			return signames[i].sig;
	errno = EINVAL;
	return -1;
}

/* The short name of a standard signal, NULL for others. */
const char *parse_signal_name(int sig)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(signames); i++)
		if (signames[i].sig == sig)
			return signames[i].name;
	return NULL;
}

/* A decimal integer in [min, max]: EINVAL if malformed, ERANGE if out. */
int parse_number(const char *s, long long min, long long max, long long *out)
{
	const char *digits = s[0] == '-' ? s + 1 : s;
	char *end;
	long long v;

	/* strtoll alone would take spaces, '+' and an empty string. */
	if (!is_digit(*digits)) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}
