#include "t.h"

#include <stdarg.h>
#include <stdlib.h>

int			t_abort_on_fail;
uint64_t	t_checks;
uint64_t	t_failures;

static int	t_passed,
			t_failed;
static uint64_t t_fail_in_test;

bool
t_fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list		ap;

	t_failures++;
	t_fail_in_test++;
	if (t_fail_in_test <= 20 || t_abort_on_fail)
	{
		fprintf(stderr, "%s:%d: FAILED: ", file, line);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	if (t_abort_on_fail)
		abort();
	return false;
}

void
t_run(const char *name, t_fn fn)
{
	uint64_t	checks0 = t_checks;

	t_fail_in_test = 0;
	fn();
	if (t_fail_in_test == 0)
	{
		t_passed++;
		printf("ok   %-40s %10llu checks\n", name,
			   (unsigned long long) (t_checks - checks0));
	}
	else
	{
		t_failed++;
		printf("FAIL %-40s %10llu checks, %llu failed\n", name,
			   (unsigned long long) (t_checks - checks0),
			   (unsigned long long) t_fail_in_test);
	}
	fflush(stdout);
}

int
t_finish(void)
{
	printf("%d passed, %d failed\n", t_passed, t_failed);
	fflush(stdout);
	return t_failed ? 1 : 0;
}

long
t_env_long(const char *name, long dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : dflt;
}
