/* libFuzzer target for lib/template (+ lib/shscan): a command template and
 * up to three inputs are expanded into a command for `sh -c`; the result is
 * checked against the rule "an input is data, never code".
 *
 * Input format (parts separated by a 0x00 byte, all optional but the first):
 *   TEMPLATE \0 VALUE1 \0 VALUE2 \0 VALUE3 \0 CTRL
 * CTRL's first byte: bit 0 TEMPLATE_SHELL, bit 1 TEMPLATE_CONTEXT, bit 2
 * TEMPLATE_NO_APPEND, bit 3 --plus, bits 4-7 {#} (the slot is bits 4-5 + 1). Without any
 * VALUE part, one value is picked from the payloads below. Inside a value the
 * byte 0x01 followed by a byte k stands for payloads[k % NPAYLOADS] (each
 * payload would run the marker program `pwned`, or touch the marker file, if
 * the shell ever parsed it as code).
 *
 * Oracles (abort() on a violation; the message says which):
 *  fast tier, every input:
 *   F1 template_new/template_expand_* keep their errno contracts;
 *   F2 the preamble (_mpN[_suffix]='...' ...; ) is well formed, each variable
 *      holds exactly the transform of the input its name says, once;
 *   F3 every ${_mp...} the command refers to is assigned in the preamble;
 *   F4 outside the preamble (and the references to it), every character
 *      of `;&|<>()\n$*?[]~!\t comes from the template's text: the command
 *      has no more of it than the template (times the inputs for a word
 *      TEMPLATE_CONTEXT repeats); skipped when the template has "<<", where
 *      a quoted here-document holds an input as it is;
 *   F5 template_base_cost() + sum(template_arg_cost()) >= the real size;
 *   F6 argv and shell forms agree on success / EDOM.
 *  slow tier, a sample (hash of the data % FUZZ_RUN_RATE == 0, default 64,
 *  or every input with FUZZ_RUN_ALL=1):
 *   S1 `dash -n` and `bash -n` accept the command whenever they accept the
 *      same template expanded with harmless inputs (not for a template
 *      with {= uq() =}: that value is code by the template's choice);
 *   S2 the command run by dash and by bash (as nobody, in a scratch
 *      directory, PATH = a directory holding only `pwned`, 1 s timeout,
 *      process group killed) does not create the marker file, when the same
 *      template with harmless inputs does not and no input could name the
 *      `pwned` program as a word;
 *   S3 for a template of the argv form, bash (set +B) with
 *      command_not_found_handle sees exactly the words template_expand_argv
 *      gives.
 * The shells get `SHELL -c -- COMMAND` (mprun's `sh -c COMMAND` reads a
 * command that starts with '-' as options: a template's matter, not an
 * input's).
 * Set FUZZ_VERBOSE=1 to print each case, FUZZ_NO_COST=1 to skip F5,
 * FUZZ_SUPPRESS=escaped,subscript,empty-ref,dup-redirect,int-special,prompt,
 * dataflow to step over bugs already reported (see known_bug()). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "quote.h"
#include "template.h"

extern char **environ;

#define MAX_ARGS 3
#define RUN_TIMEOUT_MS 1000

/* Texts that run the marker program (or touch the marker file) if the shell
 * parses them as code. "pw''ned" is the program only after quote removal,
 * so word splitting alone never runs it; @M@ is the marker's path. */
static const char *const payloads[] = {
	"$(pw''ned)",
	"`pw''ned`",
	"';pw''ned;'",
	"\";pw''ned;\"",
	"\\$(pw''ned)",
	"a[$(pw''ned)]",
	"\npw''ned\n",
	"EOF\npw''ned",
	"x;pw''ned",
	"x|pw''ned",
	"x&pw''ned",
	"x&&pw''ned #",
	"${x:-$(pw''ned)}",
	"a[`pw''ned`]",
	"1+a[$(pw''ned)]",
	"x[$(pw''ned)]",
	"'\"$(pw''ned)\"'",
	"\"'$(pw''ned)'\"",
	"}\"$(pw''ned)\"{",
	")$(pw''ned)(",
	"\\\npw''ned",
	"-oProxyCommand=pw''ned",
	"$(/usr/bin/touch @M@)",
	"`/usr/bin/touch @M@`",
	"\n/usr/bin/touch @M@\n",
	"\\\"$(pw''ned)\\\"",
	"$'\\x27'$(pw''ned)",
	"'$(pw''ned)'",
	"\"$(pw''ned)\"",
	"\")$(pw''ned)\"",
	"$((a[$(pw''ned)]))",
	"END\npw''ned\nEND",
	"X\npw''ned",
	"\tEOF\npw''ned",
	"${_mp1}$(pw''ned)",
	"\\''$(pw''ned)'\\'",
	"EOF\n$(pw''ned)\nEOF",
	"*",
	"?",
	"~",
	"-n",
	"--",
	"!",
	"#",
	"\\",
	"'",
	"\"",
	"$",
	"`",
	"{}",
	"_mp1",
	"${_mp1}",
	"EOF",
	"\tEOF",
	"a b",
	"",
	"1",
	"-1",
	"0x10",
	"a.b/c.d",
	"/",
	"a/",
	".x",
	"\r\n",
};
#define NPAYLOADS (sizeof(payloads) / sizeof(payloads[0]))

static const char *const xf_suffix[] = {"", "_noext", "_base", "_dir",
					"_basenoext"};
#define NXF 5
/* {= =} expressions (and --plus strings, which are expressions too): the
 * variables _mpN_eK; their values are not checked (the oracle has no copy
 * of lib/subst). A template of more than MAX_EXPRS of them (K >= MAX_EXPRS)
 * is beyond the oracle's table and not checked further. */
#define MAX_EXPRS 1024
#define NVARS (NXF + MAX_EXPRS)

static int verbose, run_all, no_cost;
static unsigned run_rate = 64;
static char g_dir[64], g_marker[PATH_MAX], g_bin[PATH_MAX],
	g_scratch[PATH_MAX], g_wrap[PATH_MAX], g_argvout[PATH_MAX];
static char g_env_path[PATH_MAX + 8], g_env_home[PATH_MAX + 8];
static int g_ready;
static unsigned long g_runs;

/* --- small helpers ------------------------------------------------------ */

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	while (n-- > 0)
		h = (h ^ *p++) * 1099511628211ULL;
	return h;
}

static void show(const char *label, const char *s)
{
	const unsigned char *p;

	fprintf(stderr, "%s: \"", label);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\n')
			fputs("\\n", stderr);
		else if (*p == '\t')
			fputs("\\t", stderr);
		else if (*p == '\\' || *p == '"')
			fprintf(stderr, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(stderr, "\\x%02x", *p);
		else
			fputc(*p, stderr);
	}
	fputs("\"\n", stderr);
}

struct fcase {
	char *tmpl;
	char *args[MAX_ARGS + 1];
	size_t nargs;
	int flags;
	int plus; /* GNU's --plus strings */
	unsigned long long seq;
	unsigned slot;
};

static void show_case(const struct fcase *c, const char *script)
{
	size_t i;
	char label[32];

	fprintf(stderr, "flags: %d (shell %d, context %d, no-append %d), "
			"seq %llu, slot %u\n",
		c->flags, !!(c->flags & TEMPLATE_SHELL),
		!!(c->flags & TEMPLATE_CONTEXT),
		!!(c->flags & TEMPLATE_NO_APPEND), c->seq, c->slot);
	show("template", c->tmpl);
	for (i = 0; i < c->nargs; i++) {
		snprintf(label, sizeof(label), "input %zu", i + 1);
		show(label, c->args[i]);
	}
	if (script != NULL)
		show("script", script);
}

static void cleanup(void);

/* Known bugs, already reported, that FUZZ_SUPPRESS=name,name,... lets the
 * fuzzer step over (each is noted once on stderr): a predicate on the case
 * and the oracle that fired (S1-S3 only; the others always abort). */
/* A backslash right before a replacement string ({}, {.}, {2}, {3/.}, ...). */
static int has_escaped_ref(const char *s)
{
	const char *p;

	for (p = strstr(s, "\\{"); p != NULL; p = strstr(p + 1, "\\{"))
		if (p[2] == '}' || p[2] == '.' || p[2] == '/' ||
		    (p[2] >= '1' && p[2] <= '9'))
			return 1;
	return 0;
}

static int has_any(const char *s, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strstr(s, *words) != NULL)
			return 1;
	return 0;
}

/* NAME[ with an operator or a blank before the next ']': the shell reads a
 * word and an operator there, not an assignment to an array element. */
static int has_open_subscript(const char *s)
{
	const char *p, *q;

	for (p = strchr(s, '['); p != NULL; p = strchr(p + 1, '[')) {
		if (p == s || !(p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z') ||
				(p[-1] >= 'A' && p[-1] <= 'Z') ||
				(p[-1] >= '0' && p[-1] <= '9')))
			continue;
		for (q = p + 1; *q != '\0' && *q != ']'; q++)
			if (strchr(";&|\n \t()<>", *q) != NULL)
				return 1;
	}
	return 0;
}

static const char *known_bug(const struct fcase *c, const char *oracle)
{
	static const char *const int_specials[] = {
		"RANDOM", "OPTIND", "HISTCMD", "SECONDS", "LINENO",
		"BASH_ARGV0", "SRANDOM", "OPTERR", "COLUMNS", "LINES", NULL};
	static const char *const ps4[] = {"PS4", "PS1", "PS2", "PS3",
					  "PROMPT_COMMAND", NULL};
	static const char *const flow[] = {
		"${!", "@P", "((", "$[", "let", "-eq", "-ne", "-lt", "-le",
		"-gt", "-ge", "-i", "-v", "-R", "compgen", "complete", NULL};
	const char *env = getenv("FUZZ_SUPPRESS");

	if (env == NULL)
		return NULL;
	if (strcmp(oracle, "S1") == 0 && strstr(env, "escaped") &&
	    has_escaped_ref(c->tmpl))
		return "escaped";
	if (strcmp(oracle, "S3") == 0 && strstr(env, "empty-ref") &&
	    c->tmpl[strspn(c->tmpl, " \t")] == '{')
		return "empty-ref";
	if ((strcmp(oracle, "S1") == 0 || strcmp(oracle, "S2") == 0) &&
	    strstr(env, "subscript") && has_open_subscript(c->tmpl))
		return "subscript";
	if (strcmp(oracle, "S2") != 0)
		return NULL;
	if (strstr(env, "dup-redirect") && strstr(c->tmpl, ">&") != NULL)
		return "dup-redirect";
	if (strstr(env, "int-special") && has_any(c->tmpl, int_specials))
		return "int-special";
	if (strstr(env, "prompt") && has_any(c->tmpl, ps4))
		return "prompt";
	if (strstr(env, "dataflow") && has_any(c->tmpl, flow))
		return "dataflow";
	return NULL;
}

static void finding(const struct fcase *c, const char *script,
		    const char *oracle, const char *detail)
{
	static char noted[512];
	const char *known = known_bug(c, oracle);

	if (known != NULL) {
		if (strstr(noted, known) == NULL &&
		    strlen(noted) + strlen(known) + 2 < sizeof(noted)) {
			strcat(noted, known);
			strcat(noted, ",");
			fprintf(stderr, "\n==== KNOWN (suppressed) %s %s: %s\n",
				known, oracle, detail);
			show_case(c, script);
		}
		return;
	}
	cleanup();
	fprintf(stderr, "\n==== ORACLE VIOLATION %s: %s\n", oracle, detail);
	show_case(c, script);
	fflush(stderr);
	abort();
}

/* The transform of a value, as template.h describes it, in a new string. */
static char *xform(const char *s, int xf)
{
	size_t n = strlen(s);
	const char *p, *dot;

	if (xf == 3) { /* {//}: POSIX dirname */
		while (n > 1 && s[n - 1] == '/')
			n--;
		while (n > 0 && s[n - 1] != '/')
			n--;
		while (n > 1 && s[n - 1] == '/')
			n--;
		return n > 0 ? strndup(s, n) : strdup(".");
	}
	if (xf == 2 || xf == 4) {
		p = strrchr(s, '/');
		if (p != NULL) {
			n -= (size_t)(p + 1 - s);
			s = p + 1;
		}
	}
	if (xf == 1 || xf == 4) {
		dot = s + n;
		while (dot > s && dot[-1] != '.' && dot[-1] != '/')
			dot--;
		if (dot > s && dot[-1] == '.')
			n = (size_t)(dot - 1 - s);
	}
	return strndup(s, n);
}

/* --- fast tier ------------------------------------------------------------ */

/* Parse one quote_shell() word at *pp into out; 0 or -1. */
static int parse_qword(const char **pp, struct buf *out)
{
	const char *p = *pp;
	int any = 0;

	for (;;) {
		if (*p == '\'') {
			const char *q = strchr(p + 1, '\'');

			if (q == NULL)
				return -1;
			buf_append(out, p + 1, (size_t)(q - p - 1));
			p = q + 1;
			any = 1;
		} else if (p[0] == '\\' && p[1] == '\'') {
			buf_append_char(out, '\'');
			p += 2;
			any = 1;
		} else if (*p != '\0' && quote_is_plain(p, 1)) {
			buf_append_char(out, *p++);
			any = 1;
		} else {
			break;
		}
	}
	*pp = p;
	buf_append(out, "", 0);
	return any ? 0 : -1;
}

/* 1 if the template's own text can make "_mp": it has "_mp", or has it
 * once its {...} groups are taken out (an empty value joins "_m{2}p"). */
static int tmpl_makes_mp(const char *tmpl)
{
	char *t = strdup(tmpl), *w = t;
	const char *r;
	int depth = 0, found;

	if (t == NULL)
		return 1;
	for (r = tmpl; *r != '\0'; r++) {
		if (*r == '{')
			depth++;
		else if (*r == '}' && depth > 0)
			depth--;
		else if (depth == 0)
			*w++ = *r;
	}
	*w = '\0';
	found = strstr(tmpl, "_mp") != NULL || strstr(t, "_mp") != NULL;
	free(t);
	return found;
}

/* F2: the preamble; *body_off gets where the command starts. The variables
 * assigned are marked in assigned[arg * NVARS + xf]. When the template's own
 * text can make "_mp" (it may start the command, after a {n} past the last
 * input say), a preamble that does not parse is no finding: -1, and the
 * command is not checked further. */
static int check_preamble(const struct fcase *c, const char *script,
			  size_t *body_off, unsigned char *assigned)
{
	const char *p = script;
	char detail[256];
	size_t k;
	int strict = !tmpl_makes_mp(c->tmpl);

#define BAD(msg)                                                       \
	do {                                                           \
		if (!strict) {                                         \
			memset(assigned, 0, MAX_ARGS * NVARS);         \
			return -1;                                     \
		}                                                      \
		finding(c, script, "F2", msg);                         \
	} while (0)

	*body_off = 0;
	if (strncmp(script, "_mp", 3) != 0)
		return 0;
	for (;;) {
		unsigned long idx;
		char *end;
		int xf = -1;
		struct buf v = BUF_INIT;
		char *want;
		int same;

		if (strncmp(p, "_mp", 3) != 0)
			BAD("preamble: expected _mp");
		idx = strtoul(p + 3, &end, 10);
		if (end == p + 3 || idx == 0 || idx > c->nargs)
			BAD("preamble: bad variable index");
		p = end;
		for (k = NXF; k-- > 0;) {
			size_t l = strlen(xf_suffix[k]);

			if (strncmp(p, xf_suffix[k], l) == 0 && p[l] == '=') {
				xf = (int)k;
				p += l + 1;
				break;
			}
		}
		if (xf < 0 && strncmp(p, "_e", 2) == 0) {
			unsigned long e = strtoul(p + 2, &end, 10);

			if (end != p + 2 && *end == '=' && e < MAX_EXPRS) {
				xf = NXF + (int)e;
				p = end + 1;
			} else if (end != p + 2 && *end == '=') {
				memset(assigned, 0, MAX_ARGS * NVARS);
				return -1;
			}
		}
		if (xf < 0)
			BAD("preamble: bad suffix or no '='");
		if (parse_qword(&p, &v) == -1) {
			buf_free(&v);
			BAD("preamble: value not a quoted word");
		}
		want = xf < NXF ? xform(c->args[idx - 1], xf) : strdup(v.data);
		same = strcmp(want, v.data) == 0;
		free(want);
		buf_free(&v);
		if (!same) {
			snprintf(detail, sizeof(detail),
				 "preamble: _mp%lu%s holds the wrong value",
				 idx, xf_suffix[xf < NXF ? xf : 0]);
			BAD(detail);
		}
		if (assigned[(idx - 1) * NVARS + (size_t)xf]++)
			BAD("preamble: variable assigned twice");
		if (p[0] == ';' && p[1] == ' ') {
			p += 2;
			break;
		}
		if (p[0] != ' ')
			BAD("preamble: not ended by '; '");
		p++;
	}
#undef BAD
	*body_off = (size_t)(p - script);
	return 0;
}

/* 1 if an input holds s (a quoted here-document holds it as it is). */
static int args_have(const struct fcase *c, const char *s)
{
	size_t i;

	for (i = 0; i < c->nargs; i++)
		if (strstr(c->args[i], s) != NULL)
			return 1;
	return 0;
}

/* Characters an input may not bring into the command (F4). */
#define F4_CHARS "`;&|<>()\n$*?[]~!\t"

/* F3 and F4 on the command after the preamble. */
static void check_body(const struct fcase *c, const char *script,
		       size_t body_off, const unsigned char *assigned)
{
	const char *body = script + body_off, *p;
	struct buf clean = BUF_INIT;

	/* The references, each replaced by \x01\x02; F3 on the way. */
	for (p = body; *p != '\0';) {
		if (strncmp(p, "${_mp", 5) == 0) {
			char *end;
			unsigned long idx = strtoul(p + 5, &end, 10);
			int found = -1;
			size_t k;

			for (k = NXF; k-- > 0 && end != p + 5;) {
				size_t l = strlen(xf_suffix[k]);

				if (strncmp(end, xf_suffix[k], l) == 0 &&
				    end[l] == '}') {
					found = (int)k;
					end += l + 1;
					break;
				}
			}
			if (found < 0 && end != p + 5 &&
			    strncmp(end, "_e", 2) == 0) {
				char *e_end;
				unsigned long e = strtoul(end + 2, &e_end, 10);

				if (e_end != end + 2 && *e_end == '}' &&
				    e < MAX_EXPRS) {
					found = NXF + (int)e;
					end = e_end + 1;
				}
			}
			if (found >= 0 && idx >= 1 && idx <= c->nargs) {
				if (!assigned[(idx - 1) * NVARS + (size_t)found] &&
				    !tmpl_makes_mp(c->tmpl) &&
				    !args_have(c, "_mp"))
					finding(c, script, "F3",
						"a reference to a variable the "
						"preamble does not assign");
				buf_append(&clean, "\x01\x02", 2);
				p = end;
				continue;
			}
		}
		buf_append_char(&clean, *p++);
	}
	buf_append(&clean, "", 0);
	/* Each character that means something to the shell comes from the
	 * template's text: an input's own characters are in the preamble
	 * (a quoted here-document's body aside, and a {= uq() =} value, code
	 * by the template's choice). */
	if (strstr(c->tmpl, "<<") != NULL || strstr(c->tmpl, "uq") != NULL)
		goto out;
	for (p = F4_CHARS; *p != '\0'; p++) {
		size_t nb = 0, nt = 0, limit;
		const char *q;

		for (q = clean.data; *q != '\0'; q++)
			nb += *q == *p;
		for (q = c->tmpl; *q != '\0'; q++)
			nt += *q == *p;
		limit = nt * ((c->flags & TEMPLATE_CONTEXT) && c->nargs > 1
				      ? c->nargs
				      : 1);
		if (nb > limit) {
			char detail[160];

			snprintf(detail, sizeof(detail),
				 "the command has %zu '%s' outside the preamble, "
				 "the template only %zu: an input's character "
				 "stands as code",
				 nb, *p == '\n' ? "\\n" : *p == '\t' ? "\\t"
				 : (char[]){*p, 0}, nt);
			finding(c, script, "F4", detail);
		}
	}
out:
	buf_free(&clean);
}

/* --- slow tier ------------------------------------------------------------ */

static int rm_cb(const char *path, const struct stat *st, int flag,
		 struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level > 0)
		remove(path);
	return 0;
}

static void wipe_dir(const char *dir)
{
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static void cleanup(void)
{
	if (g_ready) {
		g_ready = 0;
		wipe_dir(g_dir);
		rmdir(g_dir);
	}
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void setup_dirs(void)
{
	char path[PATH_MAX + 32], text[3 * PATH_MAX];

	snprintf(g_dir, sizeof(g_dir), "/tmp/fuzz_template.XXXXXX");
	if (mkdtemp(g_dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	chmod(g_dir, 0755);
	snprintf(g_bin, sizeof(g_bin), "%s/bin", g_dir);
	snprintf(g_scratch, sizeof(g_scratch), "%s/scratch", g_dir);
	snprintf(path, sizeof(path), "%s/mark", g_dir);
	mkdir(g_bin, 0755);
	mkdir(g_scratch, 0777);
	mkdir(path, 0777);
	chmod(g_scratch, 0777);
	chmod(path, 0777);
	snprintf(g_marker, sizeof(g_marker), "%s/mark/M", g_dir);
	snprintf(g_argvout, sizeof(g_argvout), "%s/mark/argv", g_dir);
	snprintf(path, sizeof(path), "%s/pwned", g_bin);
	snprintf(text, sizeof(text), "#!/bin/sh\n: > '%s'\n", g_marker);
	write_file(path, text, 0755);
	snprintf(g_wrap, sizeof(g_wrap), "%s/wrap.sh", g_dir);
	/* As nobody, in the scratch directory, with limits: the command may
	 * do anything a shell does with builtins. */
	snprintf(text, sizeof(text),
		 "#!/bin/sh\n"
		 "ulimit -u 128 2>/dev/null\n"
		 "ulimit -t 2 2>/dev/null\n"
		 "ulimit -f 4096 2>/dev/null\n"
		 "ulimit -v 1000000 2>/dev/null\n"
		 "cd '%s' || exit 99\n"
		 "exec %s\"$@\"\n",
		 g_scratch,
		 geteuid() == 0 ? "/usr/bin/setpriv --reuid=65534 "
				  "--regid=65534 --clear-groups "
				: "");
	if (geteuid() != 0)
		fprintf(stderr, "fuzz_template: not root: the commands of the "
				"slow tier run as this user\n");
	write_file(g_wrap, text, 0755);
	snprintf(g_env_path, sizeof(g_env_path), "PATH=%s", g_bin);
	snprintf(g_env_home, sizeof(g_env_home), "HOME=%s", g_scratch);
	g_ready = 1;
	atexit(cleanup);
}

/* Run argv with stdin/out/err on /dev/null (stderr kept when verbose), in
 * its own process group, until it and its group are gone, at most
 * RUN_TIMEOUT_MS; then the group is killed. The exit status, 128+signal,
 * or -1. */
static int run(char *const argv[])
{
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	sigset_t none, all;
	char *envp[] = {g_env_path, g_env_home, "LANG=C", "LC_ALL=C", NULL};
	pid_t pid;
	int status = 0, r, reaped = 0;
	struct timespec ts = {0, 50000}, t0, now;

	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
						POSIX_SPAWN_SETSIGMASK |
						POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (!verbose)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY,
						 0);
	r = posix_spawn(&pid, argv[0], &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (r != 0)
		return -1;
	g_runs++;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		/* done when the shell and what it left in the background
		 * (its group) are gone: a background job that was killed
		 * half-way in one run and finished in another made S2 take
		 * the template's own code for an input's */
		if (!reaped) {
			r = waitpid(pid, &status, WNOHANG);
			if (r == pid || (r == -1 && errno != EINTR))
				reaped = 1;
		}
		if (reaped && kill(-pid, 0) == -1)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 +
			    (now.tv_nsec - t0.tv_nsec) / 1000000 >=
		    RUN_TIMEOUT_MS) {
			kill(-pid, SIGKILL);
			if (!reaped)
				waitpid(pid, &status, 0);
			break;
		}
		nanosleep(&ts, NULL);
		if (ts.tv_nsec < 2000000)
			ts.tv_nsec *= 2;
	}
	kill(-pid, SIGKILL); /* what it left running in the background */
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

/* 1 if `shell -n -c script` accepts it. */
static int syntax_ok(const char *shell, const char *script)
{
	char *argv[] = {(char *)shell, "-n", "-c", "--", (char *)script, NULL};

	return run(argv) == 0;
}

/* Run script with shell in the sandbox; 1 if the marker appeared. */
static int run_marks(const char *shell, const char *script)
{
	char *argv[] = {g_wrap, (char *)shell, "-c", "--", (char *)script,
			NULL};

	unlink(g_marker);
	run(argv);
	if (g_runs % 64 == 0)
		wipe_dir(g_scratch);
	return access(g_marker, F_OK) == 0;
}

/* The expansion of c's template with every input replaced by value, in a
 * new string, or NULL if refused. */
static char *expand_with(const struct template *t, const struct fcase *c,
			 const char *value)
{
	char *args[MAX_ARGS];
	struct template_job job = {args, c->nargs, c->seq, c->slot};
	struct buf out = BUF_INIT;
	size_t i;

	for (i = 0; i < c->nargs; i++)
		args[i] = (char *)value;
	if (template_expand_shell(t, &job, &out, NULL) == -1) {
		buf_free(&out);
		return NULL;
	}
	return buf_steal(&out);
}

/* 1 if a value could name the marker program as a word (word splitting,
 * a command's name): then running it is the template's doing. */
static int value_names_marker(const struct fcase *c)
{
	size_t i;
	int xf;

	for (i = 0; i < c->nargs; i++) {
		/* an expression may cut any part out of a value */
		if (strstr(c->tmpl, "{=") != NULL &&
		    strstr(c->args[i], "pwned") != NULL)
			return 1;
		for (xf = 0; xf < NXF; xf++) {
			char *v = xform(c->args[i], xf), *tok, *save = NULL;
			int hit = 0;

			for (tok = strtok_r(v, " \t\n", &save); tok != NULL;
			     tok = strtok_r(NULL, " \t\n", &save)) {
				const char *base = strrchr(tok, '/');

				base = base != NULL ? base + 1 : tok;
				if (strcmp(base, "pwned") == 0)
					hit = 1;
			}
			free(v);
			if (hit)
				return 1;
		}
	}
	return 0;
}

static const char *const run_skip[] = {
	"touch", "pwn", "wned", "_mp", "IFS", "PATH", "/dev/", "/proc",
	"/usr", "/bin", "BASH_ENV", "ENV=", "uq",
};

/* S1 */
static void slow_syntax(const struct template *t, const struct fcase *c,
			const char *script)
{
	static const char *const shells[] = {"/bin/dash", "/bin/bash"};
	size_t k;

	/* a {= uq() =} value is code by the template's choice: its syntax
	 * is the value's (as F4 skips it) */
	if (strstr(c->tmpl, "uq") != NULL)
		return;
	for (k = 0; k < 2; k++) {
		char *b1, *b2;
		int ok1, ok2;

		if (syntax_ok(shells[k], script))
			continue;
		b1 = expand_with(t, c, "1");
		b2 = expand_with(t, c, "a b");
		ok1 = b1 != NULL && syntax_ok(shells[k], b1);
		ok2 = b2 != NULL && syntax_ok(shells[k], b2);
		if (ok1 || ok2) {
			char detail[300];

			snprintf(detail, sizeof(detail),
				 "%s -n refuses the command but accepts the "
				 "template with the inputs all '%s'",
				 shells[k], ok2 ? "a b" : "1");
			if (verbose && ok2)
				show("benign", b2);
			finding(c, script, "S1", detail);
		}
		free(b1);
		free(b2);
	}
}

/* S2 */
static void slow_run(const struct template *t, const struct fcase *c,
		     const char *script)
{
	static const char *const shells[] = {"/bin/dash", "/bin/bash"};
	size_t k;

	for (k = 0; k < sizeof(run_skip) / sizeof(run_skip[0]); k++)
		if (strstr(c->tmpl, run_skip[k]) != NULL)
			return;
	if (value_names_marker(c))
		return;
	for (k = 0; k < 2; k++) {
		char *benign;
		int hit;

		if (!run_marks(shells[k], script))
			continue;
		benign = expand_with(t, c, "1");
		hit = benign != NULL && run_marks(shells[k], benign);
		free(benign);
		if (!hit) {
			char detail[200];

			snprintf(detail, sizeof(detail),
				 "%s ran code from an input: the marker file "
				 "was created",
				 shells[k]);
			finding(c, script, "S2", detail);
		}
	}
}

static const char *const bash_builtins =
	" alias bg bind break builtin caller cd command compgen complete "
	"compopt continue declare dirs disown echo enable eval exec exit "
	"export false fc fg getopts hash help history jobs kill let local "
	"logout mapfile popd printf pushd pwd read readarray readonly return "
	"set shift shopt source suspend test times trap true type typeset "
	"ulimit umask unalias unset wait coproc function select case if for "
	"while until time [ [[ ] ]] { } ! . : ";

/* S3 */
static void slow_argv(const struct template *t, const struct fcase *c,
		      const struct template_job *job, const char *script)
{
	char **argv = NULL;
	size_t argc = 0, i, len = 0;
	struct buf want = BUF_INIT, prog = BUF_INIT;
	char name[300], *got = NULL;
	FILE *f;

	if (template_uses_shell(t) ||
	    template_expand_argv(t, job, &argv, &argc, NULL) == -1)
		return;
	snprintf(name, sizeof(name), " %.280s ", argv[0]);
	/* bash reads a name with '%' first as a job (fg %1), dash does not */
	if (argc == 0 || argv[0][0] == '\0' || argv[0][0] == '%' ||
	    strchr(argv[0], '/') != NULL ||
	    strstr(bash_builtins, name) != NULL || value_names_marker(c) ||
	    strstr(argv[0], "pwned") != NULL || tmpl_makes_mp(c->tmpl))
		goto out;
	for (i = 0; i < argc; i++)
		buf_append(&want, argv[i], strlen(argv[i]) + 1);
	buf_printf(&prog,
		   "set +B; command_not_found_handle() { printf '%%s\\0' "
		   "\"$@\" > '%s'; }\n%s",
		   g_argvout, script);
	{
		char *rargv[] = {g_wrap, "/bin/bash", "-c", "--", prog.data,
				 NULL};

		unlink(g_argvout);
		run(rargv);
	}
	f = fopen(g_argvout, "r");
	if (f != NULL) {
		got = malloc(want.len + 2);
		len = fread(got, 1, want.len + 1, f);
		fclose(f);
	}
	if (got == NULL || len != want.len || memcmp(got, want.data, len) != 0) {
		fprintf(stderr, "argv form:");
		for (i = 0; i < argc; i++)
			show(" word", argv[i]);
		if (got != NULL) {
			for (i = 0; i < len; i += strlen(got + i) + 1) {
				got[len] = '\0';
				show(" bash word", got + i);
			}
		}
		finding(c, script, "S3",
			"the argv form and the shell form give other words");
	}
out:
	free(got);
	free(argv);
	buf_free(&want);
	buf_free(&prog);
}

/* --- the target ------------------------------------------------------------ */

/* A value part: 0x01 k stands for payloads[k % NPAYLOADS]; "@M@" in a
 * payload is the marker's path. */
static char *decode_value(const uint8_t *p, size_t n)
{
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == 0x01 && i + 1 < n) {
			const char *s = payloads[p[++i] % NPAYLOADS], *m;

			while ((m = strstr(s, "@M@")) != NULL) {
				buf_append(&b, s, (size_t)(m - s));
				buf_append_str(&b, g_marker);
				s = m + 3;
			}
			buf_append_str(&b, s);
		} else {
			buf_append_char(&b, (char)p[i]);
		}
	}
	buf_append(&b, "", 0);
	return buf_steal(&b);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *e;

	(void)argc;
	(void)argv;
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	run_all = getenv("FUZZ_RUN_ALL") != NULL;
	no_cost = getenv("FUZZ_NO_COST") != NULL;
	e = getenv("FUZZ_RUN_RATE");
	if (e != NULL && atoi(e) > 0)
		run_rate = (unsigned)atoi(e);
	signal(SIGPIPE, SIG_IGN);
	setup_dirs();
	/* The marker must work, or S2 would find nothing. */
	if (!run_marks("/bin/dash", "pwned") || run_marks("/bin/dash", ":") ||
	    !run_marks("/bin/bash", "x=\"$(pw''ned)\"")) {
		fprintf(stderr, "fuzz_template: the marker program does not "
				"work (%s)\n", g_dir);
		exit(1);
	}
	return 0;
}

/* F5: the cost bound. */
static void check_cost(const struct template *t, const struct fcase *c,
		       const char *script, size_t shell_len,
		       const struct template_job *job)
{
	size_t bound = template_base_cost(t), real = 0, i, argc;
	char **argv = NULL;
	char detail[160];

	for (i = 0; i < c->nargs; i++)
		bound += template_arg_cost(t, c->args[i]);
	if (template_uses_shell(t)) {
		real = shell_len;
	} else {
		if (template_expand_argv(t, job, &argv, &argc, NULL) == -1)
			return;
		for (i = 0; i < argc; i++)
			real += strlen(argv[i]) + 1 + sizeof(char *);
		real += sizeof(char *);
		free(argv);
	}
	if (real > bound) {
		snprintf(detail, sizeof(detail),
			 "template_base_cost + template_arg_cost = %zu < the "
			 "real size %zu (%s form)",
			 bound, real, template_uses_shell(t) ? "shell" : "argv");
		finding(c, script, "F5", detail);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part[6];
	size_t plen[6], nparts = 0, i, off = 0;
	struct fcase c;
	struct template *t = NULL;
	struct template_error err;
	struct template_job job;
	struct buf out = BUF_INIT;
	unsigned char assigned[MAX_ARGS * NVARS];
	uint8_t ctrl = 0;
	uint64_t h = fnv1a(data, size);
	int rc, saved;

	/* TEMPLATE \0 V1 \0 V2 \0 V3 \0 CTRL */
	while (nparts < 5) {
		const uint8_t *z = memchr(data + off, 0, size - off);
		size_t end = z != NULL ? (size_t)(z - data) : size;

		part[nparts] = data + off;
		plen[nparts++] = end - off;
		if (z == NULL)
			break;
		off = end + 1;
	}
	memset(&c, 0, sizeof(c));
	c.tmpl = strndup((const char *)part[0], plen[0]);
	if (nparts == 5 && plen[4] > 0)
		ctrl = part[4][0];
	c.flags = (ctrl & 1 ? TEMPLATE_SHELL : 0) |
		  (ctrl & 2 ? TEMPLATE_CONTEXT : 0) |
		  (ctrl & 4 ? TEMPLATE_NO_APPEND : 0);
	c.seq = (unsigned long long)(ctrl >> 4) + 1;
	c.slot = (unsigned)((ctrl >> 4) & 3) + 1;
	if (nparts == 1) {
		c.nargs = 1;
		c.args[0] = decode_value((const uint8_t[]){1, (uint8_t)(h >> 8)},
					 2);
	} else {
		for (i = 1; i < nparts && i <= MAX_ARGS; i++)
			c.args[c.nargs++] = decode_value(part[i], plen[i]);
	}
	job = (struct template_job){c.args, c.nargs, c.seq, c.slot};
	if (verbose)
		show_case(&c, NULL);

	/* F1: template_new */
	memset(&err, 0x5a, sizeof(err));
	errno = 0;
	c.plus = (ctrl & 8) != 0;
	t = template_new_conf(&c.tmpl, 1,
			      &(struct template_conf){.flags = c.flags,
						      .plus = c.plus,
						      .slots = 4},
			      &err);
	if (t == NULL) {
		saved = errno;
		if (saved != EINVAL && saved != ENOMEM)
			finding(&c, NULL, "F1", "template_new: errno not EINVAL");
		if (saved == EINVAL && strspn(c.tmpl, " \t") != strlen(c.tmpl) &&
		    (memchr(err.msg, 0, sizeof(err.msg)) == NULL ||
		     err.msg[0] == '\0'))
			finding(&c, NULL, "F1",
				"template refused without a message");
		if (verbose)
			fprintf(stderr, "refused: %s\n", err.msg);
		goto out;
	}

	/* F1: template_expand_shell */
	errno = 0;
	rc = template_expand_shell(t, &job, &out, &err);
	saved = errno;
	if (rc == -1) {
		if (saved != EDOM && saved != ENOMEM)
			finding(&c, NULL, "F1",
				"template_expand_shell: errno not EDOM");
		if (saved == EDOM && err.msg[0] == '\0')
			finding(&c, NULL, "F1", "EDOM without a message");
		if (out.len != 0)
			finding(&c, NULL, "F1", "output changed on failure");
		if (verbose)
			fprintf(stderr, "EDOM: %s\n", err.msg);
	} else if (out.data == NULL || strlen(out.data) != out.len) {
		finding(&c, NULL, "F1", "output not a NUL-terminated string");
	}

	/* F6: argv and shell agree */
	if (!template_uses_shell(t)) {
		char **argv = NULL;
		size_t argc = 0;
		int r2;

		errno = 0;
		r2 = template_expand_argv(t, &job, &argv, &argc, NULL);
		if (r2 == 0)
			free(argv);
		if (rc == -1 && saved == EDOM && !(r2 == -1 && errno == EDOM))
			finding(&c, NULL, "F6",
				"shell form refused (EDOM) but argv form not");
		if (rc == 0 && r2 == -1 && errno != EINVAL)
			finding(&c, out.data, "F6",
				"argv form fails where the shell form does "
				"not");
	}
	if (rc == -1)
		goto out;
	if (verbose)
		show("script", out.data);

	/* F2, F3, F4 */
	memset(assigned, 0, sizeof(assigned));
	{
		size_t body_off;

		if (check_preamble(&c, out.data, &body_off, assigned) == 0)
			check_body(&c, out.data, body_off, assigned);
	}
	if (!no_cost)
		check_cost(t, &c, out.data, out.len, &job);

	/* slow tier */
	if (run_all || h % run_rate == 0) {
		slow_syntax(t, &c, out.data);
		slow_run(t, &c, out.data);
		slow_argv(t, &c, &job, out.data);
	}
out:
	buf_free(&out);
	template_free(t);
	free(c.tmpl);
	for (i = 0; i < c.nargs; i++)
		free(c.args[i]);
	return 0;
}
