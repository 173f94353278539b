/* unit.h: a tiny TAP producer for the C unit tests of lib/.
 * Each CHECK prints "ok N - expr" or "not ok N - expr (file:line)"; the
 * program ends with UNIT_DONE(), which prints the plan and returns 1 if any
 * check failed. Run by automake's tap-driver, one test per CHECK. */
#ifndef MPRUN_UNIT_H
#define MPRUN_UNIT_H
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A test program that runs longer than this is ended by SIGALRM, so that
 * a wrong build fails instead of hanging (UNIT_TIMEOUT=0: no limit). */
#ifndef UNIT_TIMEOUT
#define UNIT_TIMEOUT 120
#endif

#define UNIT_STR(x) #x
#define UNIT_XSTR(x) UNIT_STR(x)

static int unit_n, unit_failed;

static void unit_timed_out(int sig)
{
	static const char msg[] = "Bail out! still running after "
				  UNIT_XSTR(UNIT_TIMEOUT) " s (a hang?)\n";

	(void)sig;
	(void)!write(STDOUT_FILENO, msg, sizeof(msg) - 1);
	_exit(99);
}

__attribute__((constructor)) static void unit_alarm(void)
{
	signal(SIGALRM, unit_timed_out);
	alarm(UNIT_TIMEOUT);
}

#define CHECK(expr) unit_check(!!(expr), #expr, __FILE__, __LINE__)
/* A check that fails, saying what went wrong. */
#define FAIL(what) unit_check(0, (what), __FILE__, __LINE__)
#define CHECK_STR(got, want)                                                   \
	unit_check_str((got), (want), #got, __FILE__, __LINE__)
#define CHECK_INT(got, want)                                                   \
	unit_check_int((long long)(got), (long long)(want), #got, __FILE__,    \
		       __LINE__)
#define UNIT_DONE() (printf("1..%d\n", unit_n), unit_failed ? 1 : 0)

static inline void unit_check(int ok, const char *what, const char *file,
			      int line)
{
	unit_n++;
	if (ok) {
		printf("ok %d - %s\n", unit_n, what);
	} else {
		unit_failed++;
		printf("not ok %d - %s (%s:%d)\n", unit_n, what, file, line);
	}
	fflush(stdout);
}

static inline void unit_check_str(const char *got, const char *want,
				  const char *what, const char *file, int line)
{
	int ok = got != NULL && want != NULL ? strcmp(got, want) == 0
					     : got == want;
	unit_check(ok, what, file, line);
	if (!ok)
		printf("# got:  [%s]\n# want: [%s]\n", got ? got : "(null)",
		       want ? want : "(null)");
}

static inline void unit_check_int(long long got, long long want,
				  const char *what, const char *file, int line)
{
	unit_check(got == want, what, file, line);
	if (got != want)
		printf("# got:  %lld\n# want: %lld\n", got, want);
}

#endif
