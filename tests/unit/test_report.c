/* Unit tests for lib/report: escaping of the user's text, lanes packed per
 * group, outcomes and their colours, the job log read back, the HTML
 * tables, the cap on jobs kept. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "report.h"
#include "unit.h"

/* s escaped, in a static buffer. */
static const char *esc(const char *s)
{
	static char out[256];
	struct buf b = BUF_INIT;

	if (report_escape(&b, s) == -1)
		return NULL;
	snprintf(out, sizeof(out), "%s", b.data ? b.data : "");
	buf_free(&b);
	return out;
}

static void test_escape(void)
{
	CHECK_STR(esc("plain"), "plain");
	CHECK_STR(esc("</svg><script>&'\""),
		  "&lt;/svg&gt;&lt;script&gt;&amp;&#39;&quot;");
	CHECK_STR(esc("a\tb\nc"), "a\tb\nc");
	CHECK_STR(esc("\x1b[31m\x7f\r"), "\\x1b[31m\\x7f\\x0d");
	CHECK_STR(esc("caf\xc3\xa9 \xe2\x9c\x93"), "caf\xc3\xa9 \xe2\x9c\x93");
	/* invalid: a lone continuation, a cut sequence, an overlong, a
	 * surrogate, past U+10FFFF, U+FFFE */
	CHECK_STR(esc("a\x80z"), "a\xef\xbf\xbdz");
	CHECK_STR(esc("\xc3"), "\xef\xbf\xbd");
	CHECK_STR(esc("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_STR(esc("\xed\xa0\x80"),
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_STR(esc("\xf4\x90\x80\x80x"),
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx");
	CHECK_STR(esc("\xef\xbf\xbe"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

static void test_outcomes(void)
{
	CHECK_INT(report_outcome_of(0, 0, 0), REPORT_OK);
	CHECK_INT(report_outcome_of(3, 0, 0), REPORT_FAILED);
	CHECK_INT(report_outcome_of(143, 15, 0), REPORT_KILLED);
	CHECK_INT(report_outcome_of(143, 15, 1), REPORT_TIMEOUT);
	CHECK_STR(report_outcome_class(REPORT_OK), "ok");
	CHECK_STR(report_outcome_class(REPORT_FAILED), "failed");
	CHECK_STR(report_outcome_class(REPORT_TIMEOUT), "timeout");
	CHECK_STR(report_outcome_class(REPORT_KILLED), "killed");
	CHECK_INT(report_format_of("a.svg"), REPORT_SVG);
	CHECK_INT(report_format_of("a.HTML"), REPORT_HTML);
	CHECK_INT(report_format_of("a.htm"), REPORT_HTML);
	CHECK_INT(report_format_of("html"), REPORT_SVG);
}

/* Add a job of stage/host from start to end (seconds*1000). */
static void add(struct report *r, unsigned long long seq, const char *stage,
		const char *host, uint64_t start, uint64_t end, int exitval)
{
	struct report_job j = {.seq = seq, .stage = stage, .host = host,
			       .start_ms = 1000000 + start,
			       .runtime_ms = end - start, .exitval = exitval,
			       .command = "true"};

	CHECK(report_add(r, &j) == 0);
}

static void test_lanes(void)
{
	struct report *r = report_new("lanes", 0);

	/* -j2: 1 and 2 at once, 3 when 1 ends (lane 0 again), 4 when 2
	 * ends, 5 while 3 and 4 run: a third lane */
	add(r, 1, NULL, ":", 0, 100, 0);
	add(r, 2, NULL, ":", 0, 200, 0);
	add(r, 3, NULL, ":", 100, 300, 0);
	add(r, 4, NULL, NULL, 200, 400, 0);
	add(r, 5, NULL, ":", 250, 260, 0);
	/* another host: its own lanes, below */
	add(r, 6, NULL, "h1", 0, 50, 0);
	add(r, 7, NULL, "h1", 60, 70, 0);
	CHECK(report_layout(r) == 0);
	CHECK_INT(report_lanes(r), 4);
	CHECK_INT(report_job_lane(r, 0), 0);
	CHECK_INT(report_job_lane(r, 1), 1);
	CHECK_INT(report_job_lane(r, 2), 0);
	CHECK_INT(report_job_lane(r, 3), 1);
	CHECK_INT(report_job_lane(r, 4), 2);
	CHECK_INT(report_job_lane(r, 5), 3);
	CHECK_INT(report_job_lane(r, 6), 3);
	report_free(r);

	/* stages: a group each, in the order first seen; the lowest free
	 * lane is taken (lane 0, not the one freed last) */
	r = report_new("stages", 0);
	add(r, 1, "split", NULL, 0, 100, 0);
	add(r, 2, "split", NULL, 0, 50, 0);
	add(r, 3, "count", NULL, 10, 20, 0);
	add(r, 4, "split", NULL, 120, 130, 0);
	CHECK(report_layout(r) == 0);
	CHECK_INT(report_lanes(r), 3);
	CHECK_INT(report_job_lane(r, 2), 2);
	CHECK_INT(report_job_lane(r, 3), 0);
	report_free(r);
}

/* The text report_write gives for r. */
static char *render(struct report *r, enum report_format fmt)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	CHECK(f != NULL && report_write(r, fmt, f) == 0);
	fclose(f);
	return text;
}

/* How many times needle occurs in s. */
static int count(const char *s, const char *needle)
{
	int n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

static void test_svg_and_html(void)
{
	struct report *r = report_new("t <&> \"x\"", 0);
	struct report_job j = {.seq = 9, .start_ms = 5000, .runtime_ms = 1500,
			       .exitval = 143, .signal = 15, .timed_out = 1,
			       .command = "sleep 9 </svg><script>alert(1)"};
	char *svg, *html;
	int i;

	for (i = 1; i <= 12; i++)
		add(r, (unsigned)i, NULL, NULL, (uint64_t)i * 10,
		    (uint64_t)i * 20, i == 3 ? 1 : 0);
	CHECK(report_add(r, &j) == 0);
	j.seq = 10;
	j.timed_out = 0;
	CHECK(report_add(r, &j) == 0);
	svg = render(r, REPORT_SVG);
	CHECK(strncmp(svg, "<?xml", 5) == 0);
	CHECK_INT(count(svg, "<rect class=\"job "), 14);
	CHECK_INT(count(svg, "<rect class=\"job ok\""), 11);
	CHECK_INT(count(svg, "<rect class=\"job failed\""), 1);
	CHECK_INT(count(svg, "<rect class=\"job timeout\""), 1);
	CHECK_INT(count(svg, "<rect class=\"job killed\""), 1);
	CHECK(strstr(svg, "<script") == NULL);
	CHECK(strstr(svg, "&lt;/svg&gt;&lt;script&gt;alert(1)") != NULL);
	CHECK(strstr(svg, "t &lt;&amp;&gt; &quot;x&quot;") != NULL);
	CHECK(strstr(svg, "14 jobs in ") != NULL);
	html = render(r, REPORT_HTML);
	CHECK(strncmp(html, "<!DOCTYPE html>", 15) == 0);
	CHECK(strstr(html, "<?xml") == NULL);
	CHECK(strstr(html, "<h2>The 10 slowest jobs</h2>") != NULL);
	CHECK(strstr(html, "<h2>Failed jobs (3)</h2>") != NULL);
	/* the slowest first: 9 (1.5 s), 10, then 12 (0.12 s) */
	CHECK(strstr(html, "<td class=\"n\">9</td>") <
	      strstr(html, "<td class=\"n\">12</td>"));
	CHECK_INT(count(html, "<td class=\"timeout\">"), 2);
	CHECK(strstr(html, "<script") == NULL);
	free(svg);
	free(html);
	report_free(r);
}

static void test_cap(void)
{
	struct report *r = report_new("cap", 3);
	char *svg;
	char big[1000];
	struct report_job j = {.seq = 1, .start_ms = 1, .runtime_ms = 1,
			       .command = big};

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[REPORT_COMMAND_MAX - 1] = '\xc3'; /* a character cut in two */
	big[REPORT_COMMAND_MAX] = '\xa9';
	for (j.seq = 1; j.seq <= 5; j.seq++)
		CHECK(report_add(r, &j) == 0);
	svg = render(r, REPORT_SVG);
	CHECK_INT(count(svg, "<rect class=\"job "), 3);
	CHECK(strstr(svg, "only the first 3 jobs to end are drawn, 2 more") !=
	      NULL);
	CHECK(strstr(svg, "xx...</title>") != NULL);
	CHECK(strstr(svg, "\xef\xbf\xbd") == NULL);
	free(svg);
	report_free(r);
}

static void test_read_joblog(void)
{
	char path[] = "/tmp/test_reportXXXXXX", err[512];
	struct report *r = report_new("log", 0);
	char *svg;
	FILE *f;
	int fd = mkstemp(path);

	f = fdopen(fd, "w");
	fputs("Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\t"
	      "Signal\tCommand\tStage\n"
	      "1\t:\t1700000000.000\t   0.500\t0\t6\t0\t0\techo a\tsplit\n"
	      "2\t:\t1700000000.100\t1.25\t0\t0\t-1\t9\tsleep\\t9\tcount\n"
	      "\n"
	      "3\t:\t1700000000.2\t0\t0\t0\t2\t0\ta\tb\tcount\n"
	      "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\t"
	      "Signal\tCommand\n"
	      "4\t:\t1700000000.2\t0\t0\t0\t0\t0\ta\tb\n",
	      f);
	fclose(f);
	CHECK(report_read_joblog(r, path, err, sizeof(err)) == 0);
	svg = render(r, REPORT_SVG);
	CHECK_INT(count(svg, "<rect class=\"job "), 4);
	CHECK_INT(count(svg, "<rect class=\"job killed\""), 1);
	/* after a header without Stage, the tab is the command's */
	CHECK(strstr(svg, "#4  local\nexit 0, ok, 0.000 s from +0.200 s\n"
			  "a\tb</title>") != NULL);
	/* a tab in the command stays: the Stage column is the last one */
	CHECK(strstr(svg, "#3  count\nexit 2, failed, 0.000 s from +0.200 s\n"
			  "a\tb</title>") != NULL);
	CHECK(strstr(svg, "sleep\\t9") != NULL);
	free(svg);
	report_free(r);

	f = fopen(path, "w");
	fputs("1\t:\t1.0\t0.5\t0\t0\t0\t0\tok\n1\t:\tsoon\t1\t0\t0\t0\t0\tx\n",
	      f);
	fclose(f);
	r = report_new("log", 0);
	CHECK(report_read_joblog(r, path, err, sizeof(err)) == -1);
	CHECK(strstr(err, ":2: Starttime \"soon\" is not a time in seconds") !=
	      NULL);
	report_free(r);

	f = fopen(path, "w");
	fputs("garbage\n", f);
	fclose(f);
	r = report_new("log", 0);
	CHECK(report_read_joblog(r, path, err, sizeof(err)) == -1);
	CHECK(strstr(err, ":1: 1 columns, not 9") != NULL);
	report_free(r);
	unlink(path);

	r = report_new("log", 0);
	CHECK(report_read_joblog(r, path, err, sizeof(err)) == -1);
	CHECK(strstr(err, "No such file") != NULL);
	report_free(r);
}

int main(void)
{
	test_escape();
	test_outcomes();
	test_lanes();
	test_svg_and_html();
	test_cap();
	test_read_joblog();
	return UNIT_DONE();
}
