/*
 * The scavenger and the heap limit (scavenge.c): ga_heap_scavenge releases
 * idle pages down to what it is told to keep, the automatic scavenger
 * holds idle backed pages to its goal, and the limit caps the retained
 * bytes.
 */
#include "t_core.h"

#include <stdlib.h>
#include <string.h>

static t_errs errs;

static void
test_scavenge(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	t_rng		r = {11};
	enum
	{
		N = 30000
	};
	void	  **v = calloc(N, sizeof(void *));
	size_t	   *sz = calloc(N, sizeof(size_t));
	ga_heap_stats s;

	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	for (int round = 0; round < 3; round++)
	{
		for (int i = 0; i < N; i++)
		{
			sz[i] = t_below(&r, 50) == 0 ? 32768 + t_below(&r, 500000) : t_below(&r, 4000);
			v[i] = ga_alloc(&o, sz[i]);
			t_fill(v[i], sz[i], (unsigned) i);
		}
		for (int i = 0; i < N; i++)
			if (!t_same(v[i], sz[i], (unsigned) i))
				break;
		for (int i = 0; i < N; i++)
			ga_free(&o, v[i]);
		s = t_hstats(h);
		T_EQ(s.heap_objects, 0);
		T_CHECK(s.heap_idle > 0);
		ga_heap_scavenge(h, 0);
		s = t_hstats(h);
		T_EQ(s.heap_released, s.heap_idle);
		T_EQ(s.span_cache_bytes, 0);
		T_CHECK(s.scavenge_runs > 0);
		t_check_heap(h);
		/* and the released pages are usable again */
	}
	/* partial scavenge leaves at most keep bytes backed */
	for (int i = 0; i < 2000; i++)
		v[i] = ga_alloc(&o, 20000);
	for (int i = 0; i < 2000; i++)
		ga_free(&o, v[i]);
	ga_heap_scavenge(h, 1 << 20);
	s = t_hstats(h);
	T_LE(s.heap_idle - s.heap_released, 1 << 20);
	t_check_heap(h);
	ga_owner_destroy(&o);
	ga_heap_destroy(h);
	free(v);
	free(sz);
	T_EQ(errs.n, 0);
}

/*
 * The automatic scavenger's policy, free by free: idle backed pages may
 * grow to the goal (retain, or the pages in use if more) plus half of it
 * (at least 1 MiB) without a release; past that, one release brings them
 * down to the goal exactly.  Large objects only, so that no span cache
 * stands between a free and the page allocator.
 */
static void
test_scavenge_goal(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	enum
	{
		N = 48
	};
	void	   *v[N];
	size_t		retain_pages = (1 << 20) / GA_PAGE_SIZE;
	size_t		slack_pages = (1 << 20) / GA_PAGE_SIZE;
	size_t		obj_pages = t_round_pages((1 << 20) + 8) / GA_PAGE_SIZE;
	ga_heap_stats s;
	int			releases = 0;
	int			kept_over_inuse = 0;

	ga_heap_set_retain(h, 1 << 20);
	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	for (int i = 0; i < N; i++)
	{
		v[i] = ga_alloc(&o, 1 << 20);
		t_fill(v[i], 64, (unsigned) i);
	}
	s = t_hstats(h);
	T_EQ(s.heap_idle - s.heap_released, 0);		/* fresh pages count released */
	for (int i = 0; i < N; i++)
	{
		size_t		free_before = (s.heap_idle - s.heap_released) / GA_PAGE_SIZE;
		uint64_t	runs_before = s.scavenge_runs;
		size_t		inuse,
					goal,
					trigger,
					free_now;

		ga_free(&o, v[i]);
		s = t_hstats(h);
		inuse = s.heap_inuse / GA_PAGE_SIZE;
		goal = inuse > retain_pages ? inuse : retain_pages;
		trigger = goal + (goal / 2 > slack_pages ? goal / 2 : slack_pages);
		free_now = (s.heap_idle - s.heap_released) / GA_PAGE_SIZE;
		if (free_before + obj_pages > trigger)
		{
			/* past the trigger: released, down to the goal */
			T_EQ(s.scavenge_runs, runs_before + 1);
			T_EQ(free_now, goal);
			releases++;
		}
		else
		{
			/* within it: nothing released */
			T_EQ(s.scavenge_runs, runs_before);
			T_EQ(free_now, free_before + obj_pages);
			/* more idle than in use, kept: half of in use would not */
			if (free_now > inuse)
				kept_over_inuse++;
		}
	}
	/* both branches ran: the test saw releases and idle memory kept */
	T_CHECK(releases >= 3);
	T_CHECK(kept_over_inuse >= 3);
	t_check_heap(h);
	ga_owner_destroy(&o);
	ga_heap_destroy(h);
	T_EQ(errs.n, 0);
}

/*
 * ga_heap_trim at the end of a unit of work: once the idle backed pages and
 * the span cache pass keep_bytes by more than 1 MB, the cache is emptied
 * and the idle pages go back but keep_bytes (the goal kept 8 MB of retain
 * here); below that nothing changes, the cache included.
 */
static void
test_trim(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o,
				small;
	void	   *v[6];
	ga_heap_stats s,
				s2;
	size_t		keep = (size_t) 1 << 20;

	ga_heap_set_retain(h, (size_t) 8 << 20);
	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	ga_owner_init(&small, h, 8, GA_DEFAULT_KEEP);
	for (int i = 0; i < 6; i++)
	{
		v[i] = ga_alloc(&o, 1 << 20);
		t_fill(v[i], 64, (unsigned) i);
	}
	for (int i = 0; i < 200; i++)
		(void) ga_alloc(&o, 1000);	/* spans that go to the cache */
	(void) ga_alloc(&small, 100);
	ga_owner_destroy(&o);		/* 6 MB idle: within the goal, kept */
	s = t_hstats(h);
	T_CHECK(s.heap_idle - s.heap_released >= (size_t) 6 << 20);
	T_CHECK(s.span_cache_bytes > 0);
	T_EQ(ga_heap_trim(h, keep),
		 s.heap_idle - s.heap_released + s.span_cache_bytes - keep);
	s2 = t_hstats(h);
	T_EQ(s2.heap_idle - s2.heap_released, keep);
	T_EQ(s2.span_cache_bytes, 0);
	T_EQ(s2.heap_inuse, s.heap_inuse - s.span_cache_bytes);
	T_EQ(s2.heap_alloc, s.heap_alloc);

	/* within keep_bytes + 1 MB: nothing, the span cache included */
	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	v[0] = ga_alloc(&o, 3 << 18);	/* 768 kB: from the kept pages */
	for (int i = 0; i < 20; i++)
		(void) ga_alloc(&o, 1000);
	ga_owner_destroy(&o);
	s = t_hstats(h);
	T_CHECK(s.span_cache_bytes > 0);
	T_CHECK(s.heap_idle - s.heap_released + s.span_cache_bytes >= keep);
	T_CHECK(s.heap_idle - s.heap_released + s.span_cache_bytes <= keep + ((size_t) 1 << 20));
	T_EQ(ga_heap_trim(h, keep), 0);
	s2 = t_hstats(h);
	T_EQ(s2.heap_released, s.heap_released);
	T_EQ(s2.span_cache_bytes, s.span_cache_bytes);
	t_check_heap(h);
	ga_owner_destroy(&small);
	ga_heap_destroy(h);
	T_EQ(errs.n, 0);
}

/*
 * Span structs: a trim after many spans died unmaps the blocks of structs
 * that hold no live span, and keeps the blocks that do; the structs of the
 * live spans stay where they are, and the heap takes structs again after.
 */
static void
test_trim_span_structs(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o,
				old;
	enum
	{
		N = 6000
	};
	void	  **v = calloc(N, sizeof(void *));
	void	   *keepers[3];
	ga_heap_stats s0,
				s1,
				s2;

	ga_owner_init(&old, h, 8, GA_DEFAULT_KEEP);
	keepers[0] = ga_alloc(&old, 100);
	keepers[1] = ga_alloc(&old, 20000);
	keepers[2] = ga_alloc(&old, 100000);	/* large */
	for (int i = 0; i < 3; i++)
		t_fill(keepers[i], 100, (unsigned) i);
	s0 = t_hstats(h);

	/* each an 8 KiB span of its own: N structs, many blocks */
	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	for (int i = 0; i < N; i++)
		v[i] = ga_alloc(&o, 8192 - 8);	/* with the 8-byte header, class 8192 */
	s1 = t_hstats(h);
	T_CHECK(s1.mspan_sys >= s0.mspan_sys + ((size_t) 4 << 16));
	T_CHECK(s1.mspan_inuse - s0.mspan_inuse >= (size_t) N * 64);
	ga_owner_destroy(&o);
	(void) ga_heap_trim(h, 0);
	s2 = t_hstats(h);
	/* the live spans' structs and free runs: a block or two, not N's */
	T_CHECK(s2.mspan_sys < s1.mspan_sys);
	T_CHECK(s2.mspan_sys <= s0.mspan_sys + ((size_t) 64 << 10));
	T_CHECK(s2.mspan_inuse <= s0.mspan_inuse + ((size_t) 4 << 10));
	for (int i = 0; i < 3; i++)
		T_CHECK(t_same(keepers[i], 100, (unsigned) i));
	t_check_heap(h);

	/* the heap takes structs again, from what is kept and new blocks */
	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	for (int i = 0; i < N; i++)
	{
		v[i] = ga_alloc(&o, 8192 - 8);	/* with the 8-byte header, class 8192 */
		t_fill(v[i], 64, (unsigned) i);
	}
	for (int i = 0; i < N; i += 2)
		ga_free(&o, v[i]);
	t_check_heap(h);
	(void) ga_heap_scavenge(h, 0);
	for (int i = 1; i < N; i += 2)
		T_CHECK(t_same(v[i], 64, (unsigned) i));
	t_check_heap(h);
	ga_owner_destroy(&o);
	for (int i = 0; i < 3; i++)
		ga_free(&old, keepers[i]);
	ga_owner_destroy(&old);
	ga_heap_destroy(h);
	free(v);
	T_EQ(errs.n, 0);
}

static void
test_limit(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	enum
	{
		N = 4000
	};
	void	  **v = calloc(N, sizeof(void *));
	int			n = 0;
	size_t		limit;
	ga_heap_stats s;

	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	ga_free(&o, ga_alloc(&o, 10));
	limit = t_retained(h) + (8 << 20);
	ga_heap_set_limit(h, limit);
	T_EQ(t_hstats(h).limit, limit);
	while (n < N && (v[n] = ga_alloc(&o, 60000)) != NULL)
	{
		memset(v[n], 3, 60000);
		n++;
	}
	T_CHECK(n > 0 && n < N);
	T_LE(t_retained(h), limit);
	/* 8 MiB / 64 KiB chunks: at least most of them fit */
	T_LE(100, n);
	/* small allocations may still come from spans already held or fail */
	T_CHECK(ga_alloc(&o, 10 << 20) == NULL);
	T_CHECK(ga_alloc_zero(&o, 10 << 20) == NULL);
	T_LE(t_retained(h), limit);
	s = t_hstats(h);
	T_EQ(s.heap_objects, (uint64_t) n + 0);
	t_check_heap(h);
	/* freeing makes room again */
	for (int i = 0; i < n; i += 2)
		ga_free(&o, v[i]);
	T_CHECK((v[0] = ga_alloc(&o, 60000)) != NULL);
	for (int i = 2; i < n; i += 2)
		v[i] = NULL;
	t_check_heap(h);
	/* a limit below what is retained: nothing new, old still usable */
	ga_heap_set_limit(h, 1);
	T_CHECK(ga_alloc(&o, 1 << 20) == NULL);
	for (int i = 1; i < n; i += 2)
		((char *) v[i])[59999] = 4;
	ga_heap_set_limit(h, 0);
	T_CHECK((v[2] = ga_alloc(&o, 20 << 20)) != NULL);
	T_EQ(t_hstats(h).limit, 0);
	t_check_heap(h);
	ga_owner_destroy(&o);
	t_check_heap(h);
	ga_heap_destroy(h);
	free(v);
	T_EQ(errs.n, 0);
}

/*
 * The outside hook (ga_heap_config.outside): bytes held elsewhere on the
 * heap's account.  It answers `stale` when asked for any figure and `now`
 * when asked for a fresh one; the budget callback records what it hears.
 */
typedef struct outside_state
{
	size_t		stale;
	size_t		now;
	int			asked;
	int			asked_fresh;
	size_t		budget_heard;	/* last figure the budget heard */
	bool		budget_grew;	/* ... with growing = true */
} outside_state;

static size_t
outside_answer(void *arg, bool fresh)
{
	outside_state *os = arg;

	os->asked++;
	if (fresh)
		os->asked_fresh++;
	return fresh ? os->now : os->stale;
}

static bool
outside_budget(void *arg, size_t backed_bytes, bool growing)
{
	outside_state *os = arg;

	os->budget_heard = backed_bytes;
	os->budget_grew = growing;
	return true;
}

/* 60,000-byte chunks until the heap refuses (at most n), written to */
static int
fill_until_refused(ga_owner *o, void **v, int n)
{
	int			i = 0;

	while (i < n && (v[i] = ga_alloc(o, 60000)) != NULL)
		memset(v[i++], 5, 60000);
	return i;
}

/*
 * The limit counts the outside bytes with the retained ones when pages are
 * to be backed: 6 MiB held outside leave 2 of the limit's 8 MiB of room.
 * A refusal on the figure last measured is checked on a fresh one, so a
 * stale 6 MiB refuses nothing that a fresh 0 allows.  The budget hears the
 * heap's backed bytes plus the outside ones, growing and shrinking.
 */
static void
test_limit_outside(void)
{
	enum
	{
		N = 4000
	};
	outside_state os = {0};
	ga_heap_config cfg;
	ga_heap    *h;
	ga_owner	o;
	void	  **v = calloc(N, sizeof(void *));
	size_t		limit;
	int			n;

	memset(&cfg, 0, sizeof(cfg));
	cfg.retain_bytes = GA_DEFAULT_RETAIN;
	cfg.span_cache_bytes = GA_DEFAULT_SPAN_CACHE;
	cfg.on_error = t_err_record;
	cfg.error_arg = &errs;
	cfg.outside = outside_answer;
	cfg.outside_arg = &os;
	h = ga_heap_create(&cfg);
	T_CHECK(h != NULL);
	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	ga_free(&o, ga_alloc(&o, 10));

	/* no limit and no budget: never asked */
	ga_free(&o, ga_alloc(&o, 1 << 20));
	T_EQ(os.asked, 0);

	/* 6 MiB outside, fresh or not: 2 MiB of room, about 32 chunks of 64 KiB */
	(void) ga_heap_scavenge(h, 0);
	limit = t_retained(h) + (8 << 20);
	ga_heap_set_limit(h, limit);
	os.stale = os.now = 6 << 20;
	n = fill_until_refused(&o, v, N);
	T_LE(n, 34);
	T_LE(24, n);
	T_LE(t_retained(h) + os.now, limit);
	T_LE(1, os.asked_fresh);
	T_LE(1, (int) ga_heap_limit_refusals(h));
	t_check_heap(h);

	/* stale 6 MiB, fresh 0: the fresh figure decides, all 8 MiB fit */
	for (int i = 0; i < n; i++)
		ga_free(&o, v[i]);
	os.stale = 6 << 20;
	os.now = 0;
	os.asked_fresh = 0;
	n = fill_until_refused(&o, v, N);
	T_LE(100, n);
	T_LE(1, os.asked_fresh);
	T_LE(t_retained(h), limit);
	for (int i = 0; i < n; i++)
		ga_free(&o, v[i]);
	ga_owner_destroy(&o);
	t_check_heap(h);
	ga_heap_destroy(h);

	/* the budget hears backed + outside */
	memset(&os, 0, sizeof(os));
	cfg.budget = outside_budget;
	cfg.budget_arg = &os;
	h = ga_heap_create(&cfg);
	T_CHECK(h != NULL);
	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	os.stale = os.now = 3 << 20;
	v[0] = ga_alloc(&o, 4 << 20);
	T_CHECK(v[0] != NULL && os.budget_grew);
	/* the 4 MiB chunk's pages and the 3 MiB outside (metadata may follow) */
	T_LE((size_t) (7 << 20), os.budget_heard);
	T_LE(os.budget_heard - (3 << 20), ga_heap_backed_bytes(h));
	ga_free(&o, v[0]);
	(void) ga_heap_scavenge(h, 0);
	T_CHECK(!os.budget_grew);
	T_EQ(os.budget_heard, ga_heap_backed_bytes(h) + (3 << 20));
	ga_owner_destroy(&o);
	ga_heap_destroy(h);
	free(v);
	T_EQ(errs.n, 0);
}

int
main(void)
{
	ga_sizeclasses_init();
	T_RUN(test_scavenge);
	T_RUN(test_scavenge_goal);
	T_RUN(test_trim);
	T_RUN(test_trim_span_structs);
	T_RUN(test_limit);
	T_RUN(test_limit_outside);
	return t_finish();
}
