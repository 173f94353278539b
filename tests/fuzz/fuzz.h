/* Helpers shared by the libFuzzer targets of tests/fuzz/ (header only:
 * each target is one translation unit). */
#ifndef MPRUN_FUZZ_H
#define MPRUN_FUZZ_H
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An oracle was violated: say which, show the input's size, abort (libFuzzer
 * then saves the input as a crash). */
#define FUZZ_FAIL(...)                                                       \
	do {                                                                 \
		fprintf(stderr, "ORACLE VIOLATION: " __VA_ARGS__);           \
		fputc('\n', stderr);                                         \
		abort();                                                     \
	} while (0)
#define FUZZ_CHECK(cond, ...)                                                \
	do {                                                                 \
		if (!(cond))                                                 \
			FUZZ_FAIL(__VA_ARGS__);                              \
	} while (0)

static char fuzz_dir[] = "/dev/shm/mprun_fuzz.XXXXXX";
static char fuzz_file[sizeof(fuzz_dir) + 16];

static inline void fuzz_cleanup(void)
{
	unlink(fuzz_file);
	rmdir(fuzz_dir);
}

/* A private directory for the file the target writes, removed at exit: in
 * /dev/shm (memory: truncating a file on a busy disk took milliseconds),
 * else in /tmp. */
static inline void fuzz_setup_dir(void)
{
	if (mkdtemp(fuzz_dir) == NULL) {
		memcpy(fuzz_dir, "/tmp/mprun_fuzz.XXXXXX",
		       sizeof("/tmp/mprun_fuzz.XXXXXX"));
		if (mkdtemp(fuzz_dir) == NULL) {
			perror("mkdtemp");
			exit(1);
		}
	}
	snprintf(fuzz_file, sizeof(fuzz_file), "%s/in", fuzz_dir);
	atexit(fuzz_cleanup);
}

/* Write p[0..n) to the target's file; its path, or NULL. */
static inline const char *fuzz_write_file(const void *p, size_t n)
{
	FILE *f = fopen(fuzz_file, "w");

	if (f == NULL)
		return NULL;
	if (n > 0 && fwrite(p, 1, n, f) != n) {
		fclose(f);
		return NULL;
	}
	return fclose(f) == 0 ? fuzz_file : NULL;
}

/* A NUL-terminated copy of p[0..n). */
static inline char *fuzz_strndup(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}
#ifdef FUZZ_WANT_DIR
/* A target that writes its input to a file defines FUZZ_WANT_DIR first. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup_dir();
	return 0;
}
#endif
#endif
