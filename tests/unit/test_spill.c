/* Unit tests for lib/spill: runs sharing one file, read back exact, space
 * given back, the memory budget, and a full file system. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>
#include "spill.h"
#include "unit.h"

/* Where the tests' files go. */
static const char *test_dir(void)
{
	const char *d = getenv("TMPDIR");

	return d != NULL && *d != '\0' ? d : "/tmp";
}

/* Byte i of the content of run r: each run its own pattern. */
static char pattern(int r, uint64_t i)
{
	return (char)('a' + (r * 7 + i * 13 + i / 4093) % 26);
}

/* Append n bytes of run k's pattern, from its byte *at on. */
static int append_pattern(struct spill_run *r, int k, uint64_t *at, size_t n)
{
	char *p = malloc(n);
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		p[i] = pattern(k, *at + i);
	rc = spill_run_append(r, p, n);
	if (rc == 0)
		*at += n;
	free(p);
	return rc;
}

/* Read the whole run back (in reads of odd sizes): is it run k's pattern,
 * len bytes? */
static int read_back(struct spill_run *r, int k, uint64_t len)
{
	char chunk[3001];
	uint64_t at = 0;
	ssize_t got, i;

	for (;;) {
		got = spill_run_read(r, chunk, sizeof(chunk));
		if (got <= 0)
			break;
		for (i = 0; i < got; i++)
			if (chunk[i] != pattern(k, at + (uint64_t)i))
				return 0;
		at += (uint64_t)got;
	}
	return got == 0 && at == len && spill_run_bytes(r) == 0;
}

/* Say that a check is skipped, and why (TAP: ok N # SKIP reason). */
static void skip(const char *why)
{
	char what[256];

	snprintf(what, sizeof(what), "# SKIP %s", why);
	unit_check(1, what, __FILE__, __LINE__);
}

/* Interleaved appends of three runs come back whole and in order; then
 * the file is empty again and fills from its start. */
static void test_interleaved(void)
{
	struct spill *s = spill_new(0, test_dir());
	struct spill_run *r[3];
	uint64_t at[3] = {0, 0, 0};
	size_t sizes[] = {1, 100, 4095, 4096, 4097, 65536, 777, 3};
	int k, i, ok = 1;

	for (k = 0; k < 3; k++)
		r[k] = spill_run_new(s);
	CHECK_INT(spill_size(s), 0); /* no file before the first append */
	for (i = 0; i < 40; i++)
		for (k = 0; k < 3; k++)
			if (append_pattern(r[k], k, &at[k],
					   sizes[(i + k) % 8]) != 0)
				ok = 0;
	/* runs[0] appends alone for a while: its extents grow */
	for (i = 0; i < 30; i++)
		if (append_pattern(r[0], 0, &at[0], 65536) != 0)
			ok = 0;
	CHECK(ok);
	CHECK_INT(spill_live(s), at[0] + at[1] + at[2]);
	CHECK_INT(spill_run_bytes(r[1]), at[1]);
	CHECK(read_back(r[1], 1, at[1]));
	CHECK_INT(spill_live(s), at[0] + at[2]);
	CHECK(read_back(r[0], 0, at[0]));
	CHECK(read_back(r[2], 2, at[2]));
	CHECK_INT(spill_live(s), 0);
	CHECK_INT(spill_size(s), 0); /* truncated when nothing is live */
	/* and used again from offset 0 */
	at[1] = 0;
	CHECK(append_pattern(r[1], 1, &at[1], 5000) == 0);
	CHECK_INT(spill_size(s), 5000);
	CHECK(read_back(r[1], 1, 5000));
	for (k = 0; k < 3; k++)
		spill_run_free(r[k]);
	spill_free(s);
}

/* A run appended after a partial read continues where it was. */
static void test_read_then_append(void)
{
	struct spill *s = spill_new(0, test_dir());
	struct spill_run *r = spill_run_new(s);
	uint64_t at = 0;
	char c[10];

	CHECK(append_pattern(r, 4, &at, 20) == 0);
	CHECK(spill_run_read(r, c, 10) == 10 && c[0] == pattern(4, 0));
	CHECK(append_pattern(r, 4, &at, 20) == 0);
	CHECK_INT(spill_run_bytes(r), 30);
	CHECK(spill_run_read(r, c, 10) == 10 && c[0] == pattern(4, 10));
	spill_run_free(r);
	CHECK_INT(spill_live(s), 0);
	spill_free(s);
}

/* Freeing runs punches their extents out (only dead bytes: the other
 * runs read back exact), blocks shared by dead extents too; with no live
 * byte the file is truncated. */
static void test_release(void)
{
	struct spill *s = spill_new(0, test_dir());
	struct spill_run *a = spill_run_new(s), *b = spill_run_new(s),
			 *c = spill_run_new(s), *d = spill_run_new(s);
	uint64_t at[4] = {0, 0, 0, 0}, full, after;

	/* a: [0, 3000), b: [3000, 4096), c: [4096, 204096), then d
	 * interleaved with a in small pieces sharing blocks */
	CHECK(append_pattern(a, 0, &at[0], 3000) == 0);
	CHECK(append_pattern(b, 1, &at[1], 1096) == 0);
	CHECK(append_pattern(c, 2, &at[2], 200000) == 0);
	for (int i = 0; i < 50; i++) {
		CHECK(append_pattern(a, 0, &at[0], 1000) == 0);
		CHECK(append_pattern(d, 3, &at[3], 1500) == 0);
	}
	full = spill_disk_usage(s);
	spill_run_free(a);
	spill_run_free(b);
	CHECK_INT(spill_live(s), at[2] + at[3]);
	CHECK_INT(spill_size(s), 204096 + 50 * 2500); /* KEEP_SIZE */
	after = spill_disk_usage(s);
	if (full == 0 || after == full) {
		skip("the spill directory's file system does not punch holes");
	} else {
		/* block 0 went (a and b only), a's 50 kB among d's mostly not */
		CHECK(after <= full - 4096);
		CHECK(after >= at[2] + at[3]);
	}
	CHECK(read_back(c, 2, at[2]));
	CHECK(read_back(d, 3, at[3]));
	CHECK_INT(spill_live(s), 0);
	CHECK_INT(spill_size(s), 0);
	CHECK_INT(spill_disk_usage(s), 0);
	spill_run_free(c);
	spill_run_free(d);
	spill_free(s);
}

/* Random appends, partial reads and frees of eight runs: every byte
 * read is the run's own, in order (a punched hole or a wrong extent
 * would show). */
static void test_random(void)
{
	struct spill *s = spill_new(0, test_dir());
	struct spill_run *r[8];
	uint64_t wrote[8] = {0}, read[8] = {0};
	char chunk[9000];
	size_t n;
	int i, k, ok = 1;
	ssize_t got, j;

	srand(7);
	for (k = 0; k < 8; k++)
		r[k] = spill_run_new(s);
	for (i = 0; i < 4000 && ok; i++) {
		k = rand() % 8;
		switch (rand() % 4) {
		case 0:
		case 1:
			/* sizes that end on block edges, and not */
			n = rand() % 2 ? 1 + (size_t)rand() % 9000
				       : 4096 * (size_t)(1 + rand() % 2) -
						 (size_t)(rand() % 2);
			ok = append_pattern(r[k], k, &wrote[k], n) == 0;
			break;
		case 2:
			got = spill_run_read(r[k], chunk,
					     1 + (size_t)rand() % 9000);
			for (j = 0; j < got; j++)
				ok &= chunk[j] == pattern(k, read[k] + (uint64_t)j);
			read[k] += got > 0 ? (uint64_t)got : 0;
			ok &= got >= 0;
			break;
		default:
			if (rand() % 8 != 0)
				break;
			spill_run_free(r[k]); /* a new run starts over */
			r[k] = spill_run_new(s);
			wrote[k] = read[k] = 0;
		}
	}
	CHECK(ok);
	for (k = 0; k < 8; k++) {
		CHECK_INT(spill_run_bytes(r[k]), wrote[k] - read[k]);
		spill_run_free(r[k]);
	}
	CHECK_INT(spill_live(s), 0);
	CHECK_INT(spill_size(s), 0);
	spill_free(s);
}

/* The memory budget counts what is taken and given back. */
static void test_budget(void)
{
	struct spill *s = spill_new(1000, NULL), *dflt = spill_new(0, NULL);

	CHECK(spill_mem_take(s, 600));
	CHECK(!spill_mem_take(s, 401));
	CHECK_INT(spill_mem_used(s), 600);
	CHECK(spill_mem_take(s, 400));
	CHECK(!spill_mem_take(s, 1));
	spill_mem_give(s, 1000);
	CHECK_INT(spill_mem_used(s), 0);
	CHECK(spill_mem_take(s, 1000));
	CHECK(spill_mem_take(dflt, SPILL_MEM_DEFAULT));
	CHECK(!spill_mem_take(dflt, 1));
	spill_free(s);
	spill_free(dflt);
}

/* The directory: the one given, else $TMPDIR, else /tmp. */
static void test_dir_choice(void)
{
	char *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
	struct spill *s;

	s = spill_new(0, "/nonexistent/dir");
	CHECK_STR(spill_dir(s), "/nonexistent/dir");
	struct spill_run *r = spill_run_new(s);
	CHECK(spill_run_append(r, "x", 1) == -1 && errno == ENOENT);
	CHECK_INT(spill_run_bytes(r), 0);
	spill_run_free(r);
	spill_free(s);
	setenv("TMPDIR", "/some/where", 1);
	s = spill_new(0, NULL);
	CHECK_STR(spill_dir(s), "/some/where");
	spill_free(s);
	unsetenv("TMPDIR");
	s = spill_new(0, NULL);
	CHECK_STR(spill_dir(s), "/tmp");
	spill_free(s);
	if (old != NULL)
		setenv("TMPDIR", old, 1);
	free(old);
}

/* Fill the store's file system: appends fail with want_errno and keep
 * nothing; what was appended before reads back exact; freeing gives the
 * room back and appends work again. */
static void fill_until_error(struct spill *s, int want_errno)
{
	struct spill_run *r = spill_run_new(s), *r2 = spill_run_new(s);
	uint64_t at = 0, at2 = 0, before;
	int i, rc = 0;

	for (i = 0; i < 1000 && rc == 0; i++)
		rc = append_pattern(r, 5, &at, 65536 + 11);
	CHECK(rc == -1);
	CHECK_INT(errno, want_errno);
	before = spill_run_bytes(r);
	CHECK_INT(before, at);
	CHECK(at > 0 && at < 4u << 20);
	CHECK(append_pattern(r2, 6, &at2, 1 << 20) == -1);
	CHECK_INT(spill_run_bytes(r2), 0);
	CHECK_INT(spill_live(s), at);
	CHECK(read_back(r, 5, at));
	CHECK_INT(spill_size(s), 0);
	CHECK(append_pattern(r2, 6, &at2, 65536) == 0);
	CHECK(read_back(r2, 6, 65536));
	spill_run_free(r);
	spill_run_free(r2);
}

/* A full file system (a 1 MiB tmpfs, as root): ENOSPC. */
static void test_enospc(void)
{
	char dir[] = "/tmp/test_spill.XXXXXX";
	struct spill *s;

	if (geteuid() != 0) {
		skip("ENOSPC on a tmpfs needs root to mount it");
		return;
	}
	if (mkdtemp(dir) == NULL) {
		skip("no directory for the tmpfs");
		return;
	}
	if (mount("tmpfs", dir, "tmpfs", 0, "size=1m") == -1) {
		skip("cannot mount a tmpfs here");
		rmdir(dir);
		return;
	}
	s = spill_new(0, dir);
	fill_until_error(s, ENOSPC);
	spill_free(s);
	umount(dir);
	rmdir(dir);
}

/* A file size limit (ulimit -f, SIGXFSZ ignored): EFBIG, as any user. */
static void test_efbig(void)
{
	struct rlimit old, rl;
	struct spill *s = spill_new(0, test_dir());

	getrlimit(RLIMIT_FSIZE, &old);
	rl = old;
	rl.rlim_cur = 1 << 20;
	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &rl) == -1) {
		skip("cannot lower the file size limit");
	} else {
		fill_until_error(s, EFBIG);
		setrlimit(RLIMIT_FSIZE, &old);
	}
	signal(SIGXFSZ, SIG_DFL);
	spill_free(s);
}

int main(void)
{
	test_interleaved();
	test_read_then_append();
	test_release();
	test_random();
	test_budget();
	test_dir_choice();
	test_enospc();
	test_efbig();
	return UNIT_DONE();
}
