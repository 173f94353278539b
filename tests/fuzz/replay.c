/* replay: a fuzz target run without libFuzzer, as a test of make check.
 * Linked with one tests/fuzz/fuzz_NAME.c (and the tree's lib/, built as the
 * tree is: with the sanitizers in a sanitizer build), it feeds
 * LLVMFuzzerTestOneInput every reproducer tests/fuzz/crashes/NAME-* (each
 * once found a bug) and every input of the seed corpus tests/fuzz/corpus/NAME,
 * from the source tree named by $MPRUN_SRCDIR. TAP: a line for each
 * reproducer, one for the corpus. An oracle violation or a sanitizer
 * finding aborts the program, which fails the test.
 *
 * The timed fuzzing itself is make fuzz / make fuzz-smoke (clang,
 * libFuzzer): see tests/fuzz/README. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* defined by the targets that need set-up */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int n_tests;

/* Feed one file to the target: 0, or -1 when it cannot be read. */
static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return -1;
	for (;;) {
		if (len == cap) {
			uint8_t *p;

			cap = cap ? cap * 2 : 4096;
			p = realloc(data, cap);
			if (p == NULL) {
				free(data);
				fclose(f);
				return -1;
			}
			data = p;
		}
		n = fread(data + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	if (ferror(f)) {
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* a copy of exactly len bytes, so that ASan sees any read past it */
	{
		uint8_t *exact = malloc(len ? len : 1);

		if (exact == NULL) {
			free(data);
			return -1;
		}
		memcpy(exact, data, len);
		free(data);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir that start with prefix, sorted; NULL if dir cannot be
 * read. */
static char **names_in(const char *dir, const char *prefix, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL, **p;
	size_t cap = 0;

	*n = 0;
	if (d == NULL)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' ||
		    strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			p = realloc(v, cap * sizeof(*v));
			if (p == NULL)
				abort();
			v = p;
		}
		v[(*n)++] = strdup(e->d_name);
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), by_name);
	return v != NULL ? v : calloc(1, sizeof(*v));
}

int main(int argc, char **argv)
{
	const char *src = getenv("MPRUN_SRCDIR"), *name = strrchr(argv[0], '/');
	char dir[4096], path[8192], prefix[256];
	char **v;
	size_t n, i;
	int failed = 0, bad;

	name = name != NULL ? name + 1 : argv[0];
	if (strncmp(name, "replay_", 7) != 0 || src == NULL) {
		fprintf(stderr, "replay: run as replay_NAME with $MPRUN_SRCDIR "
				"set\n");
		return 2;
	}
	name += 7;
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);

	/* the reproducers, each a test, with every oracle on */
	setenv("FUZZ_RUN_ALL", "1", 1);
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/crashes", src);
	snprintf(prefix, sizeof(prefix), "%s-", name);
	v = names_in(dir, prefix, &n);
	for (i = 0; v != NULL && i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, v[i]);
		bad = replay_file(path) == -1;
		failed |= bad;
		printf("%s %d - reproducer crashes/%s\n", bad ? "not ok" : "ok",
		       ++n_tests, v[i]);
		fflush(stdout);
		free(v[i]);
	}
	free(v);
	unsetenv("FUZZ_RUN_ALL");

	/* the seed corpus, one test */
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", src, name);
	v = names_in(dir, "", &n);
	bad = v == NULL || n == 0;
	for (i = 0; v != NULL && i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, v[i]);
		bad |= replay_file(path) == -1;
		free(v[i]);
	}
	free(v);
	failed |= bad;
	printf("%s %d - the seed corpus corpus/%s: %zu inputs\n",
	       bad ? "not ok" : "ok", ++n_tests, name, n);
	printf("1..%d\n", n_tests);
	return failed;
}
