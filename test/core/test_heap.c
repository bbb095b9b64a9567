/*
 * The heap as a whole: huge arenas (an object larger than an arena gets
 * one of its own), several heaps side by side, transparent huge pages on
 * the arenas, and the calls that cross every layer: realloc between
 * classes, large and huge chunks, and zeroed allocation from fresh,
 * reused and released pages.  The page allocator has test_pagealloc, the
 * scavenger and the heap limit test_scavenge.
 */
#include "t_core.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static t_errs errs;

static void
test_huge(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	size_t		n = (size_t) 200 << 20;
	ga_heap_stats a,
				b;
	char	   *p;

	ga_owner_init(&o, h, 16, GA_DEFAULT_KEEP);
	ga_free(&o, ga_alloc(&o, 100));
	a = t_hstats(h);
	p = ga_alloc(&o, n);
	if (T_CHECK(p != NULL))
	{
		b = t_hstats(h);
		T_LE(a.heap_sys + n, b.heap_sys);
		T_EQ(b.heap_objects, a.heap_objects + 1);
		T_EQ(ga_chunk_size(&o, p), t_round_pages(n + 16));
		T_CHECK(ga_owns(&o, p));
		/* outside the region, found by the arena index while it is there */
		T_CHECK(ga_heap_contains(h, p));
		T_CHECK(ga_heap_contains(h, p + n / 2));
		T_CHECK(!ga_heap_contains(h, &n));
		memset(p - 16, 0xab, 4096 + 16);
		memset(p + n - 4096, 0xcd, 4096);
		T_EQ((unsigned char) p[0], 0xab);
		T_EQ((unsigned char) p[n - 1], 0xcd);
		/* interior pointers of the huge chunk are recognised */
		T_CHECK(!ga_owns(&o, p + n / 2));
		t_check_heap(h);
		{
			char	   *q = ga_alloc(&o, 1000);		/* heap still works */

			memset(q, 1, 1000);
			ga_free(&o, q);
		}
		ga_free(&o, p);
		b = t_hstats(h);
		T_LE(b.heap_sys, a.heap_sys);
		T_EQ(b.heap_objects, a.heap_objects);
		T_CHECK(!ga_owns(&o, p));
		T_CHECK(!ga_heap_contains(h, p));	/* its arena is unmapped */
	}
	/* exactly an arena and a bit more */
	p = ga_alloc(&o, GA_ARENA_SIZE - 16);
	T_CHECK(p != NULL);
	if (p)
		p[GA_ARENA_SIZE - 17] = 1;
	ga_free(&o, p);
	p = ga_alloc(&o, GA_ARENA_SIZE + 1);
	T_CHECK(p != NULL);
	if (p)
		p[GA_ARENA_SIZE] = 1;
	ga_free(&o, p);
	/* absurd requests fail cleanly */
	T_CHECK(ga_alloc(&o, GA_MAX_REQUEST + 1) == NULL);
	T_CHECK(ga_alloc(&o, SIZE_MAX) == NULL);
	T_CHECK(ga_alloc(&o, SIZE_MAX - 8) == NULL);
	t_check_heap(h);
	ga_owner_destroy(&o);
	t_check_heap(h);
	ga_heap_destroy(h);
	T_EQ(errs.n, 0);
}

static void
test_realloc(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	char	   *p,
			   *q;
	ga_owner_stats a,
				b;

	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);

	/* same class: in place */
	p = ga_alloc(&o, 40);		/* 48 */
	t_fill(p, 40, 1);
	q = ga_realloc(&o, p, 33);
	T_CHECK(q == p);
	q = ga_realloc(&o, p, 40);
	T_CHECK(q == p);
	t_same(q, 33, 1);
	T_EQ(t_ostats(&o).mallocs, 1);
	/* other class: moves and keeps the contents */
	t_fill(p, 40, 2);
	q = ga_realloc(&o, p, 41);	/* 49 -> 64 */
	T_CHECK(q != p && q != NULL);
	t_same(q, 40, 2);
	T_CHECK(!ga_owns(&o, p));
	T_EQ(ga_chunk_size(&o, q), 64);
	T_EQ(t_ostats(&o).objects, 1);
	/* shrink to another class moves too */
	p = ga_realloc(&o, q, 2000);
	t_fill(p, 2000, 3);
	q = ga_realloc(&o, p, 10);
	T_CHECK(q != p);
	t_same(q, 10, 3);
	T_EQ(ga_chunk_size(&o, q), 24);
	/* small -> large */
	t_fill(q, 10, 4);
	p = ga_realloc(&o, q, 100000);
	T_CHECK(p != NULL);
	t_same(p, 10, 4);
	T_EQ(ga_chunk_size(&o, p), t_round_pages(100008));
	ga_free(&o, p);
	t_check_heap(h);

	/* large shrink in place gives back its tail pages */
	p = ga_alloc(&o, 1 << 20);
	t_fill(p, 1 << 20, 5);
	a = t_ostats(&o);
	q = ga_realloc(&o, p, 100000);
	T_CHECK(q == p);
	t_same(q, 100000, 5);
	b = t_ostats(&o);
	T_EQ(ga_chunk_size(&o, q), t_round_pages(100008));
	T_EQ(a.npages - b.npages, (t_round_pages((1 << 20) + 8) - t_round_pages(100008)) / GA_PAGE_SIZE);
	T_EQ(b.alloc_bytes, a.alloc_bytes - (a.npages - b.npages) * GA_PAGE_SIZE);
	t_check_heap(h);
	/* grow in place into the pages just given back */
	q = ga_realloc(&o, p, 900000);
	T_CHECK(q == p);
	t_same(q, 100000, 5);
	T_EQ(ga_chunk_size(&o, q), t_round_pages(900008));
	t_check_heap(h);
	/* blocked by a neighbour: moves, contents kept */
	{
		char	   *nb = ga_alloc(&o, 1 << 20);
		char	   *r;

		t_fill(q, 900000, 6);
		r = ga_realloc(&o, q, 2 << 20);
		T_CHECK(r != NULL);
		if ((uintptr_t) nb == (uintptr_t) q - 8 + t_round_pages(900008) + 8)
			T_CHECK(r != q);	/* the neighbour sits right after it */
		t_same(r, 900000, 6);
		T_EQ(ga_chunk_size(&o, r), t_round_pages((2 << 20) + 8));
		ga_free(&o, nb);
		q = r;
	}
	/* large -> small: becomes a small chunk, contents kept */
	t_fill(q, 100, 7);
	p = ga_realloc(&o, q, 100);
	T_CHECK(p != NULL);
	t_same(p, 100, 7);
	T_EQ(ga_chunk_size(&o, p), 112);
	T_EQ(class_live(&o, 0), 0);
	t_check_heap(h);

	/* failure: NULL and the old chunk intact */
	t_fill(p, 100, 8);
	a = t_ostats(&o);
	T_CHECK(ga_realloc(&o, p, GA_MAX_REQUEST + 1) == NULL);
	T_CHECK(ga_realloc(&o, p, SIZE_MAX) == NULL);
	ga_heap_set_limit(h, t_retained(h));
	T_CHECK(ga_realloc(&o, p, 64 << 20) == NULL);
	ga_heap_set_limit(h, 0);
	b = t_ostats(&o);
	T_CHECK(t_owner_stats_equal(&a, &b));
	T_CHECK(ga_owns(&o, p));
	t_same(p, 100, 8);
	ga_free(&o, p);
	t_check_heap(h);
	ga_owner_destroy(&o);
	ga_heap_destroy(h);
	T_EQ(errs.n, 0);
}

static bool
all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i])
			return T_FAIL("byte %zu of %p is %d, not 0", i, p, c[i]);
	return true;
}

static void
test_alloc_zero(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	void	   *v[200],
			   *keep;
	size_t		sizes[] = {1, 8, 100, 1000, 5000, 32760, 40000, 300000, 3 << 20};

	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
	{
		size_t		n = sizes[k];
		int			cnt = n > 100000 ? 4 : 200;

		/* fresh pages */
		for (int i = 0; i < cnt; i++)
		{
			v[i] = ga_alloc_zero(&o, n);
			all_zero(v[i], n);
			memset(v[i], 0xff, n);
		}
		keep = ga_alloc(&o, n);	/* keeps the span in the owner */
		/* dirty slots reused */
		for (int i = 0; i < cnt; i++)
			ga_free(&o, v[i]);
		for (int i = 0; i < cnt; i++)
		{
			v[i] = ga_alloc_zero(&o, n);
			all_zero(v[i], n);
			memset(v[i], 0xee, n);
		}
		for (int i = 0; i < cnt; i++)
			ga_free(&o, v[i]);
		ga_free(&o, keep);
		t_check_heap(h);
	}
	/* a dirty slot just freed comes back zeroed (whichever slot comes) */
	{
		char	   *p = ga_alloc(&o, 200),
				   *q;

		memset(p, 0x55, 200);
		ga_free(&o, p);
		q = ga_alloc_zero(&o, 200);
		all_zero(q, 200);
		ga_free(&o, q);
	}
	/* scavenged pages reused: zero, writable */
	ga_owner_reset(&o);
	ga_heap_scavenge(h, 0);
	for (int i = 0; i < 50; i++)
	{
		v[i] = ga_alloc_zero(&o, 70000);
		all_zero(v[i], 70000);
		memset(v[i], 0x11, 70000);
	}
	for (int i = 0; i < 50; i++)
		ga_free(&o, v[i]);
	t_check_heap(h);
	ga_owner_destroy(&o);
	ga_heap_destroy(h);
	T_EQ(errs.n, 0);
}

/* Several heaps side by side do not see each other's pointers. */
static void
test_two_heaps(void)
{
	t_errs		e2 = {0};
	ga_heap    *h1 = t_heap(&errs),
			   *h2 = t_heap(&e2);
	ga_owner	o1,
				o2;
	void	   *p,
			   *q;

	ga_owner_init(&o1, h1, 8, GA_DEFAULT_KEEP);
	ga_owner_init(&o2, h2, 8, GA_DEFAULT_KEEP);
	p = ga_alloc(&o1, 100);
	q = ga_alloc(&o2, 100);
	T_CHECK(!ga_owns(&o2, p));
	ga_free(&o2, p);
	T_EQ(e2.n, 1);
	T_EQ(e2.kind, GA_ERR_NOT_IN_HEAP);
	ga_free(&o1, p);
	ga_free(&o2, q);
	t_check_heap(h1);
	t_check_heap(h2);
	ga_owner_destroy(&o1);
	ga_owner_destroy(&o2);
	ga_heap_destroy(h1);
	ga_heap_destroy(h2);
	T_EQ(errs.n, 0);
}

/*
 * Shrinking a huge chunk (its own arena) in place must give back its tail
 * as for any large chunk: ga_chunk_size and the owner's bytes follow the
 * new size (or the chunk moves to an ordinary arena).
 */
static void
test_huge_realloc_shrink(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	size_t		big = (size_t) 96 << 20,
				small = (size_t) 30 << 20;
	char	   *p,
			   *q;

	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	p = ga_alloc(&o, big);
	T_CHECK(p != NULL);
	memset(p, 0x42, 4096);
	q = ga_realloc(&o, p, small);
	T_CHECK(q != NULL);
	if (q)
	{
		ga_owner_stats s;

		ga_owner_read_stats(&o, &s);
		T_EQ(ga_chunk_size(&o, q), t_round_pages(small + 8));
		T_EQ(s.alloc_bytes, t_round_pages(small + 8));
		T_EQ((unsigned char) q[4095], 0x42);
	}
	t_check_heap(h);
	ga_owner_destroy(&o);
	ga_heap_destroy(h);
	T_EQ(errs.n, 0);
}

/* ---- realloc of a large chunk by moving its pages (move_large) ---- */

/* The budget callback's last report, and whether it was a shrink. */
typedef struct budget_log
{
	int			shrunk;			/* reports with growing false */
	size_t		last;
} budget_log;

static bool
budget_record(void *arg, size_t backed_bytes, bool growing)
{
	budget_log *b = arg;

	if (!growing)
		b->shrunk++;
	b->last = backed_bytes;
	return true;
}

/*
 * A heap that keeps idle pages backed (retain 256 MiB: the scavenger stays
 * out of the figures) and reports to a budget_log.
 */
static ga_heap *
remap_heap(budget_log *log)
{
	ga_heap_config cfg;
	ga_heap    *h;

	memset(&cfg, 0, sizeof(cfg));
	cfg.retain_bytes = (size_t) 256 << 20;
	cfg.span_cache_bytes = GA_DEFAULT_SPAN_CACHE;
	cfg.on_error = t_err_record;
	cfg.error_arg = &errs;
	cfg.budget = budget_record;
	cfg.budget_arg = log;
	h = ga_heap_create(&cfg);
	if (h == NULL)
		abort();
	return h;
}

/* A request that makes a large chunk of exactly npages pages (hdr 8). */
static size_t
pages_req(size_t npages)
{
	return npages * GA_PAGE_SIZE - 8;
}

/*
 * Lay out, from the start of a fresh heap, chunk x[0] of pages[0] pages,
 * then for each i a blocker (5 pages) and a hole of pages[i + 1] pages,
 * the holes freed but still backed: a realloc of the chunk at x[i] to
 * pages[i + 1] pages cannot grow in place (the blocker follows it), and
 * the page allocator gives it the hole x[i + 1], the one backed run of
 * that size.
 */
static void
remap_layout(ga_owner *o, const size_t *pages, int n, char **x, void **blk)
{
	for (int i = 0; i < n; i++)
	{
		x[i] = ga_alloc(o, pages_req(pages[i]));
		blk[i] = ga_alloc(o, 40000);
		T_CHECK(x[i] != NULL && blk[i] != NULL);
	}
	for (int i = 1; i < n; i++)
		ga_free(o, x[i]);
}

/*
 * A chunk of 4 MiB doubled to 64 MiB, blocked each time: its pages are
 * moved, not copied.  The contents survive, the old span's pages count as
 * released at once (backed bytes and the budget drop by them, not only
 * after a scavenge), the owner's figures are a move's, and the old ranges
 * are mapped again: allocated anew they read as zero (released pages are
 * not cleared) and hold what is written.
 */
static void
test_realloc_remap(void)
{
	enum
	{
		N = 5
	};
	budget_log log = {0};
	ga_heap    *h = remap_heap(&log);
	ga_owner	o;
	size_t		pages[N] = {GA_REMAP_MIN_PAGES, 2 * GA_REMAP_MIN_PAGES,
		4 * GA_REMAP_MIN_PAGES, 8 * GA_REMAP_MIN_PAGES, 16 * GA_REMAP_MIN_PAGES};
	char	   *x[N];
	void	   *blk[N];
	char	   *p;
	char	   *again[N];

	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	remap_layout(&o, pages, N, x, blk);
	t_check_heap(h);
	p = x[0];
	for (int k = 0; k + 1 < N; k++)
	{
		size_t		oldb = GA_PAGES_BYTES(pages[k]);
		size_t		newb = GA_PAGES_BYTES(pages[k + 1]);
		ga_heap_stats a = t_hstats(h),
					b;
		ga_owner_stats oa = t_ostats(&o),
					ob;
		size_t		backed = ga_heap_backed_bytes(h);
		int			shrunk = log.shrunk;
		char	   *q;

		t_fill(p, pages_req(pages[k]), (unsigned) k);
		q = ga_realloc(&o, p, pages_req(pages[k + 1]));
		T_CHECK(q == x[k + 1]);
		if (q == NULL)
			break;
		t_same(q, pages_req(pages[k]), (unsigned) k);
		T_EQ(ga_chunk_size(&o, q), newb);
		T_CHECK(!ga_owns(&o, p));
		b = t_hstats(h);
		ob = t_ostats(&o);
		/* the old pages are released, the new ones were backed already */
		T_EQ(b.heap_released, a.heap_released + oldb);
		T_EQ(b.heap_inuse, a.heap_inuse + newb - oldb);
		T_EQ(ga_heap_backed_bytes(h), backed - oldb);
		T_EQ(b.scavenge_runs, a.scavenge_runs);
		T_CHECK(log.shrunk > shrunk);
		T_EQ(log.last, ga_heap_backed_bytes(h));
		/* the owner's figures: a move, one malloc and one free */
		T_EQ(ob.npages, oa.npages + (newb - oldb) / GA_PAGE_SIZE);
		T_EQ(ob.objects, oa.objects);
		T_EQ(ob.mallocs, oa.mallocs + 1);
		T_EQ(ob.frees, oa.frees + 1);
		T_EQ(b.total_alloc, a.total_alloc + newb);
		T_EQ(o.large_bytes, ob.alloc_bytes);	/* large chunks only */
		T_EQ(ob.alloc_bytes, oa.alloc_bytes + newb - oldb);
		t_check_heap(h);
		/* the whole new chunk is writable */
		memset(q, 0x3c, pages_req(pages[k + 1]));
		T_EQ((unsigned char) q[pages_req(pages[k + 1]) - 1], 0x3c);
		p = q;
	}
	/* the old ranges, released runs of their own, are used again */
	t_fill(p, 4096, 99);
	for (int k = 0; k + 1 < N; k++)
	{
		size_t		n = pages_req(pages[k]);

		again[k] = ga_alloc_zero(&o, n);
		T_CHECK(again[k] == x[k]);
		if (again[k] == NULL)
			continue;
		all_zero(again[k], n);
		t_fill(again[k], n, (unsigned) (k + 10));
	}
	for (int k = 0; k + 1 < N; k++)
		if (again[k] != NULL)
			t_same(again[k], pages_req(pages[k]), (unsigned) (k + 10));
	t_same(p, 4096, 99);
	t_check_heap(h);
	for (int k = 0; k + 1 < N; k++)
		ga_free(&o, again[k]);
	for (int k = 0; k < N; k++)
		ga_free(&o, blk[k]);
	ga_free(&o, p);
	T_EQ(t_hstats(h).heap_objects, 0);
	t_check_heap(h);
	ga_owner_destroy(&o);
	ga_heap_destroy(h);
	T_EQ(errs.n, 0);
}

/*
 * One blocked realloc from old_pages to new_pages: the contents survive
 * and the chunk lands in the hole; returns whether the old pages were
 * released at once (moved) rather than kept backed (copied).
 */
static bool
blocked_realloc(size_t old_pages, size_t new_pages)
{
	budget_log log = {0};
	ga_heap    *h = remap_heap(&log);
	ga_owner	o;
	size_t		pages[2] = {old_pages, new_pages};
	char	   *x[2];
	void	   *blk[2];
	ga_heap_stats a,
				b;
	size_t		backed;
	char	   *q;

	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	remap_layout(&o, pages, 2, x, blk);
	t_fill(x[0], pages_req(old_pages), 5);
	a = t_hstats(h);
	backed = ga_heap_backed_bytes(h);
	q = ga_realloc(&o, x[0], pages_req(new_pages));
	T_CHECK(q == x[1]);
	b = t_hstats(h);
	if (q != NULL)
		t_same(q, pages_req(old_pages), 5);
	T_EQ(b.heap_inuse, a.heap_inuse + GA_PAGES_BYTES(new_pages - old_pages));
	if (b.heap_released == a.heap_released)
		T_EQ(ga_heap_backed_bytes(h), backed);
	else
	{
		T_EQ(b.heap_released, a.heap_released + GA_PAGES_BYTES(old_pages));
		T_EQ(ga_heap_backed_bytes(h), backed - GA_PAGES_BYTES(old_pages));
	}
	t_check_heap(h);
	ga_owner_destroy(&o);
	t_check_heap(h);
	ga_heap_destroy(h);
	T_EQ(errs.n, 0);
	return b.heap_released != a.heap_released;
}

/* Below GA_REMAP_MIN_PAGES a blocked realloc copies, from it on it moves. */
static void
test_realloc_remap_threshold(void)
{
	T_CHECK(!blocked_realloc(GA_REMAP_MIN_PAGES - 1, 2 * GA_REMAP_MIN_PAGES));
	T_CHECK(!blocked_realloc(5, 8));
#ifdef __linux__
	T_CHECK(blocked_realloc(GA_REMAP_MIN_PAGES, GA_REMAP_MIN_PAGES + 1));
	T_CHECK(blocked_realloc(GA_REMAP_MIN_PAGES, 4 * GA_REMAP_MIN_PAGES));
#endif
}

/*
 * Huge arenas are left to the copy: an ordinary chunk grown into a huge
 * one, and a huge one grown further.  The contents survive and no page is
 * released by the move.
 */
static void
test_realloc_remap_huge(void)
{
	budget_log log = {0};
	ga_heap    *h = remap_heap(&log);
	ga_owner	o;
	size_t		n = (size_t) 8 << 20;
	char	   *p,
			   *blk,
			   *q;
	ga_heap_stats a,
				b;

	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	p = ga_alloc(&o, n);
	blk = ga_alloc(&o, 40000);
	t_fill(p, n, 21);
	a = t_hstats(h);
	q = ga_realloc(&o, p, (size_t) 80 << 20);	/* huge */
	T_CHECK(q != NULL && q != p);
	b = t_hstats(h);
	T_EQ(b.heap_released, a.heap_released);
	if (q != NULL)
	{
		t_same(q, n, 21);
		t_fill(q, (size_t) 80 << 20, 22);
		a = t_hstats(h);
		p = ga_realloc(&o, q, (size_t) 100 << 20);	/* huge to huge */
		T_CHECK(p != NULL);
		b = t_hstats(h);
		T_EQ(b.heap_released, a.heap_released);
		if (p != NULL)
			t_same(p, (size_t) 80 << 20, 22);
		ga_free(&o, p ? p : q);
	}
	ga_free(&o, blk);
	t_check_heap(h);
	ga_owner_destroy(&o);
	ga_heap_destroy(h);
	T_EQ(errs.n, 0);
}

static size_t
free_backed(const ga_heap_stats *s)
{
	return s->heap_idle - s->heap_released;
}

/*
 * How many kernel mappings [addr, addr + len) lies across, from
 * /proc/self/maps (0 if it cannot be read).
 */
static int
mappings_across(uintptr_t addr, size_t len)
{
	FILE	   *f = fopen("/proc/self/maps", "r");
	char		line[512];
	int			n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
	{
		unsigned long lo,
					hi;
		char		dash;

		if (sscanf(line, "%lx%c%lx ", &lo, &dash, &hi) == 3 && dash == '-' &&
			lo < addr + len && hi > addr)
			n++;
	}
	fclose(f);
	return n;
}

#define M GA_REMAP_MIN_PAGES

/*
 * A chunk whose pages lie across two kernel mappings.  A moved chunk is a
 * mapping of its own, and when it grows in place into the next pages, or
 * its pages are taken again with others, the kernel does not always join
 * the two (tuplesort's memtuples arrays end up so: docs/design.md); a page
 * marked otherwise for huge pages splits a mapping for certain, and that
 * is how this test makes one.  mremap cannot move such a range in one call
 * (EFAULT, after it has unmapped the destination), so the pages are moved
 * a mapping at a time: no byte is copied, the old span's pages count as
 * released at once (idle backed bytes do not grow, where a copy would leave
 * the old span's idle and backed), the contents survive, the whole new
 * chunk is writable and the heap is consistent.
 */
static void
test_realloc_remap_two_mappings(void)
{
	budget_log log = {0};
	ga_heap    *h = remap_heap(&log);
	ga_owner	o;
	size_t		pages[2] = {M, 2 * M};
	char	   *x[2];
	void	   *blk[2];
	char	   *q,
			   *r;
	size_t		span = M;
	ga_heap_stats a,
				b;

	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	remap_layout(&o, pages, 2, x, blk);
	q = x[0];
	t_fill(q, pages_req(span), 31);
	T_EQ(madvise(q - 8 + GA_PAGES_BYTES(M / 2), GA_PAGES_BYTES(M / 2),
				 MADV_NOHUGEPAGE), 0);
	T_CHECK(mappings_across((uintptr_t) q - 8, GA_PAGES_BYTES(span)) >= 2);
	a = t_hstats(h);
	r = ga_realloc(&o, q, pages_req(2 * M));	/* blocked by blk[0] */
	b = t_hstats(h);
	T_CHECK(r != NULL && r != q);
	if (r == NULL)
		goto out;
	/* moved: the hole went into use, the old span's pages are released */
	T_EQ(free_backed(&b), free_backed(&a) - GA_PAGES_BYTES(2 * M));
	T_EQ(b.heap_released, a.heap_released + GA_PAGES_BYTES(span));
	t_same(r, pages_req(span), 31);
	T_CHECK(r == x[1]);
	memset(r, 0x5a, pages_req(2 * M));
	T_EQ((unsigned char) r[pages_req(2 * M) - 1], 0x5a);
	t_check_heap(h);
	/* and the range it left is writable */
	q = ga_alloc(&o, pages_req(span));
	T_CHECK(q != NULL);
	if (q != NULL)
		memset(q, 0x6b, pages_req(span));
	t_check_heap(h);
	ga_free(&o, r);
out:
	t_check_heap(h);
	ga_owner_destroy(&o);
	ga_heap_destroy(h);
	T_EQ(errs.n, 0);
}

/*
 * The OS refuses the move (ENOMEM, as near vm.max_map_count; the tests'
 * switch in ga_testing.h).  The realloc copies, the destination is mapped
 * again and writable, the old span is freed as a copy frees it.
 */
static void
test_realloc_remap_refused(void)
{
	budget_log log = {0};
	ga_heap    *h = remap_heap(&log);
	ga_owner	o;
	size_t		pages[2] = {M, 2 * M};
	char	   *x[2];
	void	   *blk[2];
	char	   *q;
	ga_heap_stats a,
				b;

	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	remap_layout(&o, pages, 2, x, blk);
	t_fill(x[0], pages_req(M), 41);
	a = t_hstats(h);
	ga_testing_mremap_refusals = 1;
	q = ga_realloc(&o, x[0], pages_req(2 * M));
	b = t_hstats(h);
	T_EQ(ga_testing_mremap_refusals, 0);
	ga_testing_mremap_refusals = 0;
	T_CHECK(q == x[1]);
	if (q != NULL)
	{
		/* the hole's pages went into use, the old span's became idle */
		T_EQ(free_backed(&b),
			 free_backed(&a) - GA_PAGES_BYTES(2 * M) + GA_PAGES_BYTES(M));
		T_EQ(b.heap_released, a.heap_released);
		t_same(q, pages_req(M), 41);
		memset(q, 0x77, pages_req(2 * M));
		T_EQ((unsigned char) q[pages_req(2 * M) - 1], 0x77);
	}
	t_check_heap(h);
	ga_owner_destroy(&o);
	t_check_heap(h);
	ga_heap_destroy(h);
	T_EQ(errs.n, 0);
}

#undef M

/* ---- transparent huge pages (ga_heap_set_huge_pages) ---- */

/*
 * The VmFlags of the mapping holding addr, from /proc/self/smaps: "hg" is
 * MADV_HUGEPAGE, "nh" MADV_NOHUGEPAGE.  Empty if not found.
 */
static void
vm_flags(uintptr_t addr, char *out, size_t outlen)
{
	FILE	   *f = fopen("/proc/self/smaps", "r");
	char		line[512];
	bool		inside = false;

	out[0] = '\0';
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
	{
		unsigned long lo,
					hi;
		char		dash;

		if (sscanf(line, "%lx%c%lx ", &lo, &dash, &hi) == 3 && dash == '-')
			inside = addr >= lo && addr < hi;
		else if (inside && strncmp(line, "VmFlags:", 8) == 0)
		{
			snprintf(out, outlen, "%s", line + 8);
			break;
		}
	}
	fclose(f);
}

static bool
has_flag(uintptr_t addr, const char *flag)
{
	char		flags[512];
	char		want[8];

	vm_flags(addr, flags, sizeof(flags));
	T_CHECK(flags[0] != '\0');
	snprintf(want, sizeof(want), " %s", flag);
	return strstr(flags, want) != NULL;
}

/* The bases of the heap's first two arenas (ordinals 0 and 1). */
static bool
first_arenas(void *arg, const ga_arena_info *info)
{
	uintptr_t  *bases = arg;

	if (info->index < 2 && !info->huge)
		bases[info->index] = info->base;
	return true;
}

static void
test_huge_pages(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	uintptr_t	bases[2] = {0, 0};
	void	   *p,
			   *big1,
			   *big2;
	FILE	   *thp = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (thp == NULL)
	{
		printf("# skipped: this kernel has no transparent huge pages\n");
		ga_heap_destroy(h);
		return;
	}
	fclose(thp);
	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	p = ga_alloc(&o, 100);
	ga_heap_walk_arenas(h, first_arenas, bases);
	T_CHECK(bases[0] != 0);

	/* default: the arena is not marked either way */
	T_CHECK(!has_flag(bases[0], "hg"));
	T_CHECK(!has_flag(bases[0], "nh"));
	/* off while never on leaves the default */
	T_CHECK(ga_heap_set_huge_pages(h, false));
	T_CHECK(!has_flag(bases[0], "nh"));

	/* on marks the arena mapped already... */
	T_CHECK(ga_heap_set_huge_pages(h, true));
	T_CHECK(has_flag(bases[0], "hg"));
	/* ...and the next one, mapped while on (two 40 MiB objects: two arenas) */
	big1 = ga_alloc(&o, (size_t) 40 << 20);
	big2 = ga_alloc(&o, (size_t) 40 << 20);
	T_CHECK(big1 != NULL && big2 != NULL);
	ga_heap_walk_arenas(h, first_arenas, bases);
	T_CHECK(bases[1] != 0 && bases[1] != bases[0]);
	T_CHECK(has_flag(bases[1], "hg"));
	/* the memory works as before */
	memset(big2, 0x5A, 4096);
	T_EQ(((unsigned char *) big2)[4095], 0x5A);

	/* off undoes it on every arena */
	T_CHECK(ga_heap_set_huge_pages(h, false));
	T_CHECK(!has_flag(bases[0], "hg"));
	T_CHECK(has_flag(bases[0], "nh"));
	T_CHECK(!has_flag(bases[1], "hg"));

	ga_free(&o, big1);
	ga_free(&o, big2);
	ga_free(&o, p);
	t_check_heap(h);
	ga_owner_destroy(&o);
	ga_heap_destroy(h);
	T_EQ(errs.n, 0);
}

/*
 * A range that a move maps again, or the moved pages, keep the arena's
 * transparent huge page marking: on while the heap's setting is on, off
 * after it was turned off.
 */
static void
test_realloc_remap_huge_pages(void)
{
	budget_log log = {0};
	ga_heap    *h;
	ga_owner	o;
	size_t		pages[3] = {128, 256, 512};
	char	   *x[3];
	void	   *blk[3];
	char	   *q;
	FILE	   *thp = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (thp == NULL)
	{
		printf("# skipped: this kernel has no transparent huge pages\n");
		return;
	}
	fclose(thp);
	h = remap_heap(&log);
	T_CHECK(ga_heap_set_huge_pages(h, true));
	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	remap_layout(&o, pages, 3, x, blk);
	q = ga_realloc(&o, x[0], pages_req(256));
	T_CHECK(q == x[1]);
	T_CHECK(has_flag((uintptr_t) x[0], "hg"));
	T_CHECK(has_flag((uintptr_t) x[1], "hg"));
	T_CHECK(ga_heap_set_huge_pages(h, false));
	q = ga_realloc(&o, q, pages_req(512));
	T_CHECK(q == x[2]);
	T_CHECK(has_flag((uintptr_t) x[1], "nh"));
	T_CHECK(!has_flag((uintptr_t) x[1], "hg"));
	T_CHECK(has_flag((uintptr_t) x[2], "nh"));
	t_check_heap(h);
	ga_owner_destroy(&o);
	ga_heap_destroy(h);
	T_EQ(errs.n, 0);
}

/*
 * The backed bytes (ga_heap_backed_bytes, the budget's figure) are the
 * retained pages, the arenas' metadata and the span structs' blocks:
 * 600 large chunks of 5 pages need 600 span structs, three blocks or
 * more (255 a block), and count them; freed and scavenged, the blocks
 * with no live span are unmapped, the figure drops by them, and the budget
 * hears the new figure.
 */
static ga_heap_stats
backed_parts(ga_heap *h)
{
	ga_heap_stats st = t_hstats(h);

	T_EQ(ga_heap_backed_bytes(h),
		 st.heap_sys - st.heap_released + st.arena_meta_sys + st.mspan_sys);
	T_EQ(st.mspan_sys % ((size_t) 64 << 10), 0);
	T_CHECK(st.mspan_sys >= st.mspan_inuse);
	return st;
}

static void
test_backed_span_structs(void)
{
	enum
	{
		N = 600
	};
	budget_log log = {0};
	ga_heap    *h = remap_heap(&log);
	ga_owner	o;
	void	   *x[N];
	ga_heap_stats a,
				b,
				c;

	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	a = backed_parts(h);
	for (int i = 0; i < N; i++)
	{
		x[i] = ga_alloc(&o, pages_req(5));
		T_CHECK(x[i] != NULL);
	}
	b = backed_parts(h);
	T_CHECK(b.mspan_sys >= a.mspan_sys + ((size_t) 128 << 10));
	T_CHECK(b.mspan_inuse >= N * sizeof(ga_span));
	for (int i = 0; i < N; i++)
		ga_free(&o, x[i]);
	(void) ga_heap_scavenge(h, 0);
	c = backed_parts(h);
	T_CHECK(c.mspan_sys < b.mspan_sys);
	T_EQ(log.last, ga_heap_backed_bytes(h));
	t_check_heap(h);
	ga_owner_destroy(&o);
	ga_heap_destroy(h);
	T_EQ(errs.n, 0);
}

int
main(void)
{
	ga_sizeclasses_init();
	T_RUN(test_huge);
	T_RUN(test_realloc);
	T_RUN(test_alloc_zero);
	T_RUN(test_two_heaps);
	T_RUN(test_huge_realloc_shrink);
	T_RUN(test_realloc_remap);
	T_RUN(test_realloc_remap_threshold);
	T_RUN(test_realloc_remap_huge);
	T_RUN(test_realloc_remap_two_mappings);
	T_RUN(test_backed_span_structs);
#ifdef __linux__
	T_RUN(test_realloc_remap_refused);
#endif
	T_RUN(test_huge_pages);
#ifdef __linux__
	T_RUN(test_realloc_remap_huge_pages);
#endif
	return t_finish();
}
