/*
 * t.h -- the tiny assertion framework of goalloc's core tests.
 *
 * A test is a function run by T_RUN; it passes if none of its assertions
 * failed.  A failed assertion prints file:line and the expression (values
 * for T_EQ/T_LE), and the run continues.  t_finish() prints the final line
 * "N passed, N failed" and gives the exit status.  With t_abort_on_fail set
 * (the fuzzer), the first failure aborts.
 */
#ifndef T_H
#define T_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

extern int	t_abort_on_fail;
extern uint64_t t_checks;			/* assertions evaluated */
extern uint64_t t_failures;		/* assertions failed, all tests */

bool		t_fail_at(const char *file, int line, const char *fmt, ...)
			__attribute__((format(printf, 3, 4)));

#define T_CHECK(c) \
	((c) ? (t_checks++, true) : (t_checks++, t_fail_at(__FILE__, __LINE__, "%s", #c)))
#define T_EQ(a, b) \
	t_eq_at(__FILE__, __LINE__, #a, #b, (uint64_t) (a), (uint64_t) (b))
#define T_NE(a, b) \
	t_ne_at(__FILE__, __LINE__, #a, #b, (uint64_t) (a), (uint64_t) (b))
#define T_LE(a, b) \
	t_le_at(__FILE__, __LINE__, #a, #b, (uint64_t) (a), (uint64_t) (b))
#define T_FAIL(...) t_fail_at(__FILE__, __LINE__, __VA_ARGS__)

static inline bool
t_eq_at(const char *f, int l, const char *as, const char *bs, uint64_t a, uint64_t b)
{
	t_checks++;
	if (a == b)
		return true;
	return t_fail_at(f, l, "%s == %s (%llu vs %llu, 0x%llx vs 0x%llx)", as, bs,
					 (unsigned long long) a, (unsigned long long) b,
					 (unsigned long long) a, (unsigned long long) b);
}

static inline bool
t_ne_at(const char *f, int l, const char *as, const char *bs, uint64_t a, uint64_t b)
{
	t_checks++;
	if (a != b)
		return true;
	return t_fail_at(f, l, "%s != %s (both %llu)", as, bs, (unsigned long long) a);
}

static inline bool
t_le_at(const char *f, int l, const char *as, const char *bs, uint64_t a, uint64_t b)
{
	t_checks++;
	if (a <= b)
		return true;
	return t_fail_at(f, l, "%s <= %s (%llu vs %llu)", as, bs,
					 (unsigned long long) a, (unsigned long long) b);
}

typedef void (*t_fn) (void);
void		t_run(const char *name, t_fn fn);
#define T_RUN(fn) t_run(#fn, fn)
int			t_finish(void);			/* prints "N passed, N failed" */

/* Deterministic PRNG (splitmix64 seeded xorshift*). */
typedef struct t_rng
{
	uint64_t	s;
} t_rng;
static inline uint64_t
t_rand(t_rng *r)
{
	uint64_t	z = (r->s += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}
static inline uint64_t
t_below(t_rng *r, uint64_t n)
{
	return n ? t_rand(r) % n : 0;
}

/* Environment knob: integer from getenv(name), or dflt. */
long		t_env_long(const char *name, long dflt);

#endif
