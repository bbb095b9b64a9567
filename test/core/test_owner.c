/*
 * Owners: reset keeps a few spans and frees every object; destroy returns
 * every page; owners created and destroyed in a loop leak nothing.
 */
#include "t_core.h"

#include <stdlib.h>
#include <string.h>

static t_errs errs;

static void
populate(ga_owner *o, t_rng *r, int n, void **v)
{
	for (int i = 0; i < n; i++)
	{
		size_t		sz = t_below(r, 20) == 0 ? 32768 + t_below(r, 300000)
			: t_below(r, 5000);

		v[i] = ga_alloc(o, sz);
		T_CHECK(v[i] != NULL);
		memset(v[i], 0x3c, sz);
	}
}

static void
test_reset(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	size_t		mirror = 0;
	t_rng		r = {5};
	void	  **v = calloc(5000, sizeof(void *));
	size_t		keeps[] = {0, 8192, 100000, GA_DEFAULT_KEEP, 4 << 20};

	for (size_t k = 0; k < sizeof(keeps) / sizeof(keeps[0]); k++)
	{
		ga_owner_init(&o, h, 8, keeps[k]);
		ga_owner_set_mirror(&o, &mirror);
		for (int round = 0; round < 4; round++)
		{
			ga_heap_stats a,
						b;
			ga_owner_stats os;
			uint64_t	live;

			populate(&o, &r, 5000, v);
			for (int i = 0; i < 5000; i += 3)
				ga_free(&o, v[i]);
			t_check_heap(h);
			a = t_hstats(h);
			live = t_ostats(&o).objects;
			ga_owner_reset(&o);
			os = t_ostats(&o);
			b = t_hstats(h);
			T_EQ(os.objects, 0);
			T_CHECK(ga_owner_is_empty(&o));
			T_LE(os.span_bytes, keeps[k] & ~(GA_PAGE_SIZE - 1));
			T_EQ(mirror, os.span_bytes);
			T_EQ(os.frees, os.mallocs);
			T_EQ(b.heap_objects, a.heap_objects - live);
			T_EQ(b.frees, a.frees + live);
			T_EQ(b.mallocs, a.mallocs);
			T_EQ(class_live(&o, 0), 0);
			t_check_owner(&o, &mirror);
			t_check_heap(h);
			/* usable afterwards */
			{
				char	   *p = ga_alloc(&o, 100);

				T_CHECK(p != NULL && ga_owns(&o, p));
				ga_free(&o, p);
			}
		}
		ga_owner_destroy(&o);
		T_EQ(mirror, 0);
	}
	ga_heap_destroy(h);
	free(v);
	T_EQ(errs.n, 0);
}

/* The spans a reset keeps serve the next round without new pages. */
static void
test_reset_reuses_kept_spans(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	void	   *v[64];
	ga_owner_stats a,
				b;
	ga_heap_stats ha,
				hb;

	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	for (int round = 0; round < 10; round++)
	{
		for (int i = 0; i < 64; i++)
			v[i] = ga_alloc(&o, 200);	/* 2 spans of class 208 */
		(void) v;
		ga_owner_reset(&o);
	}
	a = t_ostats(&o);
	ga_heap_read_stats(h, &ha);
	T_CHECK(a.npages > 0);		/* kept something */
	for (int i = 0; i < 30; i++)
		v[i] = ga_alloc(&o, 200);
	b = t_ostats(&o);
	ga_heap_read_stats(h, &hb);
	T_EQ(b.npages, a.npages);	/* served from kept spans */
	T_EQ(hb.heap_inuse, ha.heap_inuse);
	ga_owner_destroy(&o);
	t_check_heap(h);
	ga_heap_destroy(h);
	T_EQ(errs.n, 0);
}

static void
test_destroy(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o[8];
	size_t		mirror[8];
	t_rng		r = {9};
	void	  **v = calloc(3000, sizeof(void *));
	ga_heap_stats a,
				b;
	uint64_t	live;

	for (int i = 0; i < 8; i++)
	{
		ga_owner_init(&o[i], h, (size_t) 8 * (1 + (i & 1)), GA_DEFAULT_KEEP);
		ga_owner_set_mirror(&o[i], &mirror[i]);
		populate(&o[i], &r, 3000, v);
	}
	t_check_heap(h);
	T_EQ(t_hstats(h).nowners, 8);
	for (int i = 0; i < 8; i++)
	{
		a = t_hstats(h);
		live = t_ostats(&o[i]).objects;
		ga_owner_destroy(&o[i]);
		b = t_hstats(h);
		T_EQ(mirror[i], 0);
		T_EQ(b.nowners, a.nowners - 1);
		T_EQ(b.heap_objects, a.heap_objects - live);
		T_EQ(b.mallocs, a.mallocs);
		T_EQ(b.frees, a.frees + live);
		t_check_heap(h);
		/* the others are untouched */
		for (int j = i + 1; j < 8; j++)
			t_check_owner(&o[j], &mirror[j]);
	}
	b = t_hstats(h);
	T_EQ(b.heap_objects, 0);
	T_EQ(b.heap_alloc, 0);
	T_EQ(b.heap_inuse, b.span_cache_bytes);
	/* re-init after destroy */
	ga_owner_init(&o[0], h, 16, 0);
	v[0] = ga_alloc(&o[0], 10);
	T_CHECK(ga_owns(&o[0], v[0]));
	ga_owner_destroy(&o[0]);
	ga_heap_scavenge(h, 0);
	b = t_hstats(h);
	T_EQ(b.heap_inuse, 0);
	T_EQ(b.heap_released, b.heap_sys);
	t_check_heap(h);
	ga_heap_destroy(h);
	free(v);
	T_EQ(errs.n, 0);
}

/* Create, use, destroy in a loop: no growth of pages or span structs. */
static void
test_owner_churn(void)
{
	ga_heap    *h = t_heap(&errs);
	t_rng		r = {13};
	void	   *v[300];
	ga_heap_stats s1,
				s2;

	for (int round = 0; round < 2000; round++)
	{
		ga_owner	o;

		ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
		populate(&o, &r, 1 + (int) t_below(&r, 300), v);
		if (round & 1)
			ga_owner_reset(&o);
		ga_owner_destroy(&o);
		if (round == 999)
			s1 = t_hstats(h);
	}
	s2 = t_hstats(h);
	T_LE(s2.heap_sys, s1.heap_sys + (64 << 20));
	T_LE(s2.mspan_inuse, s1.mspan_inuse + 64 * sizeof(ga_span));
	T_EQ(s2.nowners, 0);
	T_EQ(s2.heap_objects, 0);
	T_LE(s2.span_cache_bytes, GA_DEFAULT_SPAN_CACHE);
	t_check_heap(h);
	ga_heap_destroy(h);
	T_EQ(errs.n, 0);
}


/*
 * Is mc as ga_owner_get_mcache makes one for an owner with free lists:
 * every class without span, free list or mcentral spans, default limits?
 */
static bool
mcache_pristine(const ga_mcache *mc, bool no_freelists)
{
	if (mc->used[0] != 0 || mc->used[1] != 0 || mc->mcache_pages != 0)
		return false;
	for (int c = 0; c < GA_NUM_CLASSES; c++)
	{
		if (mc->freelist[c].span != &ga_empty_span ||
			mc->freelist[c].head != NULL ||
			ga_freelist_count(&mc->freelist[c]) != 0 ||
			ga_freelist_pops(&mc->freelist[c]) != 0 ||
			ga_freelist_limit(&mc->freelist[c]) !=
			(no_freelists ? 0 : ga_class_freelist_limit[c]) ||
			mc->central[c].partial != NULL || mc->central[c].full != NULL)
			return false;
	}
	return true;
}

/*
 * A destroyed owner's mcache goes to the heap's pool, emptied, and the next
 * owner to take a span takes it instead of a new one: as fresh as a new one
 * (an owner without free lists gets limits of 0, and gives the defaults
 * back), its counts start at 0, and the pool keeps at most
 * GA_MCACHE_POOL_MAX (the rest are freed; the heap frees the pool).
 */
static void
test_mcache_pool(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o,
				many[GA_MCACHE_POOL_MAX + 3];
	t_rng		r = {11};
	void	  **v = calloc(3000, sizeof(void *));
	ga_mcache  *first;
	ga_owner_stats os;

	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	populate(&o, &r, 3000, v);
	for (int i = 0; i < 3000; i += 2)
		ga_free(&o, v[i]);
	for (int i = 0; i < 3000; i += 2)
		v[i] = ga_alloc(&o, 48);	/* free lists in use: pops */
	first = o.mc;
	T_CHECK(ga_freelist_pops(&first->freelist[ga_size_class(48 + 8)]) > 0);
	T_CHECK(first != &ga_empty_mcache);
	T_EQ(h->mcache_pool_count, 0);
	ga_owner_destroy(&o);
	T_EQ(h->mcache_pool_count, 1);
	T_CHECK(h->mcache_pool == first);
	T_CHECK(mcache_pristine(first, false));

	/* the next owner takes it, and works as with a new one */
	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	T_CHECK(o.mc == &ga_empty_mcache);
	populate(&o, &r, 3000, v);
	T_CHECK(o.mc == first);
	T_EQ(h->mcache_pool_count, 0);
	T_CHECK(first->pool_next == NULL);
	for (int i = 0; i < 3000; i += 3)
		ga_free(&o, v[i]);
	os = t_ostats(&o);
	T_EQ(os.mallocs, 3000);
	T_EQ(os.frees, 1000);
	t_check_heap(h);
	ga_owner_destroy(&o);
	T_CHECK(mcache_pristine(h->mcache_pool, false));

	/* an owner without free lists: limits 0 while it has it */
	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	ga_owner_disable_freelists(&o);
	populate(&o, &r, 500, v);
	T_CHECK(o.mc == first);
	for (int c = 0; c < GA_NUM_CLASSES; c++)
		T_EQ(ga_freelist_limit(&o.mc->freelist[c]), 0);
	for (int i = 0; i < 500; i++)
		ga_free(&o, v[i]);
	T_EQ(t_ostats(&o).objects, 0);
	ga_owner_destroy(&o);
	T_CHECK(mcache_pristine(h->mcache_pool, false));

	/* at most GA_MCACHE_POOL_MAX stay */
	for (int k = 0; k < GA_MCACHE_POOL_MAX + 3; k++)
	{
		ga_owner_init(&many[k], h, 8, GA_DEFAULT_KEEP);
		T_CHECK(ga_alloc(&many[k], 100) != NULL);
	}
	T_EQ(h->mcache_pool_count, 0);
	for (int k = 0; k < GA_MCACHE_POOL_MAX + 3; k++)
		ga_owner_destroy(&many[k]);
	T_EQ(h->mcache_pool_count, GA_MCACHE_POOL_MAX);
	t_check_heap(h);
	ga_heap_destroy(h);			/* frees the pool: ASan's leak check */
	free(v);
	T_EQ(errs.n, 0);
}

int
main(void)
{
	ga_sizeclasses_init();
	T_RUN(test_reset);
	T_RUN(test_reset_reuses_kept_spans);
	T_RUN(test_destroy);
	T_RUN(test_owner_churn);
	T_RUN(test_mcache_pool);
	return t_finish();
}
