/* Unit tests for lib/restable.c: --results FILE.csv/.tsv/.json rows, as
 * GNU parallel 20221122 writes them (its output, times aside). */
#include "restable.h"

#include <string.h>

#include "unit.h"

static struct restable_row row(unsigned long long seq, const char *cmd,
			       char *const *args, size_t nargs,
			       const char *out)
{
	struct restable_row r = {
		.seq = seq, .host = ":", .start_ms = 1796103196871ULL,
		.runtime_ms = 3, .send = 0, .receive = strlen(out),
		.exitval = 0, .signal = 0, .command = cmd, .args = args,
		.nargs = nargs, .out = out, .err = "", .out_len = strlen(out),
		.err_len = 0};

	return r;
}

static void test_format(void)
{
	CHECK_INT(restable_format("r.csv"), RESTABLE_CSV);
	CHECK_INT(restable_format("dir/r.tsv"), RESTABLE_TSV);
	CHECK_INT(restable_format("r.json"), RESTABLE_JSON);
	CHECK_INT(restable_format("results"), -1);
	CHECK_INT(restable_format(".csv"), -1);
	CHECK_INT(restable_format("r.csvx"), -1);
}

static void test_csv(void)
{
	char *a1[] = {"a b"}, *a2[] = {"a\"b"}, *a3[] = {"a;b"},
	     *a4[] = {"a'b"}, *a5[] = {""};
	struct restable_row r;
	struct buf b = BUF_INIT;

	CHECK_INT(restable_header(&b, RESTABLE_CSV, 2), 0);
	CHECK_STR(b.data, "Seq,Host,Starttime,JobRuntime,Send,Receive,"
			  "Exitval,Signal,Command,V1,V2,Stdout,Stderr\n");
	buf_reset(&b);
	r = row(2, "printf \"%s\" 'a b'", a1, 1, "a b");
	CHECK_INT(restable_row(&b, RESTABLE_CSV, &r), 0);
	r = row(3, "printf \"%s\" 'a\"b'", a2, 1, "a\"b");
	CHECK_INT(restable_row(&b, RESTABLE_CSV, &r), 0);
	r = row(4, "x", a3, 1, "a;b");
	CHECK_INT(restable_row(&b, RESTABLE_CSV, &r), 0);
	r = row(5, "x", a4, 1, "a'b\n");
	CHECK_INT(restable_row(&b, RESTABLE_CSV, &r), 0);
	r = row(7, "x", a5, 1, "");
	r.exitval = 2;
	r.signal = 15;
	r.runtime_ms = 61001;
	CHECK_INT(restable_row(&b, RESTABLE_CSV, &r), 0);
	CHECK_STR(b.data,
		  "2,:,1796103196.871,0.003,0,3,0,0,\"printf \"\"%s\"\" 'a b'\","
		  "\"a b\",\"a b\",\n"
		  "3,:,1796103196.871,0.003,0,3,0,0,\"printf \"\"%s\"\" "
		  "'a\"\"b'\",\"a\"\"b\",\"a\"\"b\",\n"
		  "4,:,1796103196.871,0.003,0,3,0,0,x,a;b,a;b,\n"
		  "5,:,1796103196.871,0.003,0,4,0,0,x,a'b,\"a'b\n\",\n"
		  "7,:,1796103196.871,61.001,0,0,2,15,x,,,\n");
	buf_free(&b);
}

static void test_tsv(void)
{
	char *a1[] = {"a\tb"}, *a2[] = {"a\\b"};
	struct restable_row r;
	struct buf b = BUF_INIT;

	CHECK_INT(restable_header(&b, RESTABLE_TSV, 1), 0);
	r = row(4, "printf \"%s\" 'a\tb'", a1, 1, "a\tb");
	CHECK_INT(restable_row(&b, RESTABLE_TSV, &r), 0);
	r = row(5, "printf \"%s\" 'a\\b'", a2, 1, "a\\b");
	CHECK_INT(restable_row(&b, RESTABLE_TSV, &r), 0);
	CHECK_STR(b.data,
		  "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\t"
		  "Signal\tCommand\tV1\tStdout\tStderr\n"
		  "4\t:\t1796103196.871\t0.003\t0\t3\t0\t0\t\"printf \"\"%s\"\" "
		  "'a\tb'\"\t\"a\tb\"\t\"a\tb\"\t\n"
		  "5\t:\t1796103196.871\t0.003\t0\t3\t0\t0\t\"printf \"\"%s\"\" "
		  "'a\\b'\"\ta\\b\ta\\b\t\n");
	buf_free(&b);
}

static void test_json(void)
{
	char *a1[] = {"a\"b"}, *a2[] = {"a\tb", "\xc3\xa9"};
	struct restable_row r;
	struct buf b = BUF_INIT;

	CHECK_INT(restable_header(&b, RESTABLE_JSON, 1), 0);
	CHECK_INT((int)b.len, 0);
	r = row(2, "printf \"%s\" 'a\"b'", a1, 1, "a\"b");
	CHECK_INT(restable_row(&b, RESTABLE_JSON, &r), 0);
	r = row(3, "x\\y", a2, 2, "a\tb\n");
	CHECK_INT(restable_row(&b, RESTABLE_JSON, &r), 0);
	CHECK_STR(b.data,
		  "{ \"Seq\": 2, \"Host\": \":\", \"Starttime\": 1796103196.871, "
		  "\"JobRuntime\": 0.003, \"Send\": 0, \"Receive\": 3, "
		  "\"Exitval\": 0, \"Signal\": 0, \"Command\": \"printf "
		  "\\\"%s\\\" 'a\\\"b'\", \"V\": [ \"a\\\"b\" ], \"Stdout\": "
		  "\"a\\\"b\", \"Stderr\": \"\" }\n"
		  "{ \"Seq\": 3, \"Host\": \":\", \"Starttime\": 1796103196.871, "
		  "\"JobRuntime\": 0.003, \"Send\": 0, \"Receive\": 4, "
		  "\"Exitval\": 0, \"Signal\": 0, \"Command\": \"x\\\\y\", "
		  "\"V\": [ \"a\\u0009b\", \"\xc3\xa9\" ], \"Stdout\": "
		  "\"a\\u0009b\\u000a\", \"Stderr\": \"\" }\n");
	buf_free(&b);
}

/* A field in pieces: what needs quotes, and quotes doubled wherever they
 * stand (first, last, side by side, in a later piece). */
static void test_field_pieces(void)
{
	static const char nul[] = {'a', '\0', 'b'};
	struct buf b = BUF_INIT;

	CHECK_INT(restable_needs_quotes(RESTABLE_CSV, "abc;'", 5), 0);
	CHECK_INT(restable_needs_quotes(RESTABLE_CSV, "a,b", 3), 1);
	CHECK_INT(restable_needs_quotes(RESTABLE_TSV, "a,b", 3), 0);
	CHECK_INT(restable_needs_quotes(RESTABLE_TSV, "a\tb", 3), 1);
	CHECK_INT(restable_needs_quotes(RESTABLE_CSV, "ab\"", 3), 1);
	CHECK_INT(restable_needs_quotes(RESTABLE_CSV, "ab\r", 3), 1);
	CHECK_INT(restable_needs_quotes(RESTABLE_CSV, nul, 3), 1);
	CHECK_INT(restable_field_begin(&b, RESTABLE_CSV, RESTABLE_STDOUT, 1), 0);
	CHECK_INT(restable_field_add(&b, RESTABLE_CSV, 1, "\"a\"\"b", 5), 0);
	CHECK_INT(restable_field_add(&b, RESTABLE_CSV, 1, "", 0), 0);
	CHECK_INT(restable_field_add(&b, RESTABLE_CSV, 1, "c\"", 2), 0);
	CHECK_INT(restable_field_add(&b, RESTABLE_CSV, 1, "d e", 3), 0);
	CHECK_INT(restable_field_end(&b, RESTABLE_CSV, 1), 0);
	CHECK_STR(b.data, ",\"\"\"a\"\"\"\"bc\"\"d e\"");
	buf_free(&b);
}

int main(void)
{
	test_format();
	test_csv();
	test_field_pieces();
	test_tsv();
	test_json();
	return UNIT_DONE();
}
