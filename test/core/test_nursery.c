/*
 * The nursery (nursery.c): small owners share the pool's spans, a
 * per-tuple owner bumps and resets one block, an owner that grows
 * graduates to spans of its own, and every bad free is caught.
 */
#include "t_core.h"

#include <stdlib.h>
#include <string.h>

static t_errs errs;

/* A nursery owner, its mirror set. */
static void
nursery_owner(ga_owner *o, ga_heap *h, size_t hdr, size_t *mirror)
{
	ga_owner_init(o, h, hdr, GA_DEFAULT_KEEP);
	ga_owner_enable_nursery(o);
	ga_owner_set_mirror(o, mirror);
}

/*
 * Five hundred owners with ~600 bytes in five classes each, as relcache's
 * "index info" contexts hold: without the nursery each holds five pages;
 * with it, one 1 KiB block, and the blocks share the pool's spans.
 */
static void
test_small_owners_share(void)
{
	enum
	{
		N = 500
	};
	static const size_t sizes[] = {24, 40, 100, 200, 180};
	ga_heap    *h = t_heap(&errs);
	ga_owner   *o = calloc(N, sizeof(ga_owner));
	size_t	   *mirror = calloc(N, sizeof(size_t));
	ga_heap_stats hs;
	size_t		spans_pages;

	for (int pass = 0; pass < 2; pass++)
	{
		for (int i = 0; i < N; i++)
		{
			ga_owner_init(&o[i], h, 8, GA_DEFAULT_KEEP);
			if (pass == 1)
				ga_owner_enable_nursery(&o[i]);
			ga_owner_set_mirror(&o[i], &mirror[i]);
			for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
			{
				char	   *p = ga_alloc(&o[i], sizes[k]);

				T_CHECK(p != NULL);
				memset(p, i & 0xff, sizes[k]);
			}
		}
		t_check_heap(h);
		hs = t_hstats(h);
		if (pass == 0)
		{
			spans_pages = (hs.heap_inuse - hs.span_cache_bytes) / GA_PAGE_SIZE;
			T_EQ(t_ostats(&o[7]).nspans, 5);
			T_EQ(mirror[7], 5 * GA_PAGE_SIZE);
		}
		else
		{
			ga_owner_stats os = t_ostats(&o[7]);

			T_EQ(os.nspans, 0);
			T_EQ(os.nursery_bytes, GA_NURSERY_FIRST);
			T_EQ(mirror[7], GA_NURSERY_FIRST);
			T_EQ(os.objects, 5);
			/* 500 KiB of blocks: 63 pages of the pool's 1 KiB class */
			size_t		held = (hs.heap_inuse - hs.span_cache_bytes) / GA_PAGE_SIZE;

			T_LE(held, (N * GA_NURSERY_FIRST) / GA_PAGE_SIZE + 2);
			T_LE(held * 20, spans_pages);
		}
		for (int i = 0; i < N; i++)
			ga_owner_destroy(&o[i]);
		T_EQ(t_hstats(h).heap_objects, 0);
		t_check_heap(h);
	}
	T_EQ(errs.n, 0);
	free(o);
	free(mirror);
	ga_heap_destroy(h);
}

/*
 * The per-tuple pattern: a few chunks, a reset, many times.  One block
 * serves every round, no span is taken, and the chunks of each round start
 * where the last round's did.
 */
static void
test_per_tuple_bumps(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	size_t		mirror = 0;
	char	   *first = NULL;

	nursery_owner(&o, h, 8, &mirror);
	for (int round = 0; round < 10000; round++)
	{
		char	   *p = ga_alloc(&o, 40);
		char	   *q = ga_alloc(&o, 300);
		char	   *r = ga_realloc(&o, q, 310);	/* same class: in place */

		T_CHECK(p != NULL && r == q);
		if (round == 0)
			first = p;
		else if (p != first)
		{
			T_FAIL("round %d: first chunk moved", round);
			break;
		}
		memset(p, 1, 40);
		memset(r, 2, 310);
		ga_owner_reset(&o);
	}
	T_EQ(t_ostats(&o).nspans, 0);
	T_EQ(mirror, GA_NURSERY_FIRST);
	T_EQ(t_ostats(&o).mallocs, 20000);
	T_EQ(t_ostats(&o).frees, 20000);
	t_check_heap(h);
	ga_owner_destroy(&o);
	T_EQ(mirror, 0);
	T_EQ(errs.n, 0);
	ga_heap_destroy(h);
}

/*
 * Freed space comes back from the top only: freeing a middle chunk keeps
 * the top, freeing the last takes the top down over the dead middle one,
 * and the next chunk goes where the middle one was.
 */
static void
test_top_rollback(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	size_t		mirror = 0;
	char	   *a,
			   *b,
			   *c,
			   *d;

	nursery_owner(&o, h, 8, &mirror);
	a = ga_alloc(&o, 56);		/* 64-byte chunks */
	b = ga_alloc(&o, 56);
	c = ga_alloc(&o, 56);
	T_EQ(b - a, 64);
	T_EQ(c - b, 64);
	T_EQ(o.nursery->top, o.nursery->first + 3 * 64);
	ga_free(&o, b);
	T_EQ(o.nursery->top, o.nursery->first + 3 * 64);
	ga_free(&o, c);
	T_EQ(o.nursery->top, o.nursery->first + 64);
	d = ga_alloc(&o, 100);
	T_CHECK(d == b);
	t_check_heap(h);
	ga_free(&o, d);
	ga_free(&o, a);
	T_EQ(o.nursery->top, o.nursery->first);
	T_EQ(o.nursery->nlive, 0);
	T_CHECK(ga_owner_is_empty(&o));
	T_EQ(errs.n, 0);
	t_check_heap(h);
	ga_owner_destroy(&o);
	ga_heap_destroy(h);
}

/*
 * Growth: blocks of 1, 2, 4 and 8 KiB, then graduation at GA_NURSERY_MAX:
 * later chunks take spans, older nursery chunks stay valid until the
 * reset, which gives every block back; a graduated owner stays on spans.
 * A chunk above GA_NURSERY_CHUNK_MAX takes a span at once.
 */
static void
test_graduation(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	size_t		mirror = 0;
	void	   *v[1000];
	int			n = 0;
	char	   *big;
	char	   *moved;

	nursery_owner(&o, h, 8, &mirror);
	big = ga_alloc(&o, GA_NURSERY_CHUNK_MAX + 500);
	T_EQ(t_ostats(&o).nspans, 1);
	T_EQ(o.nursery_bytes, 0);
	while (o.nursery_cap != 0 && n < 1000)
	{
		v[n] = ga_alloc(&o, 200);
		memset(v[n], n & 0xff, 200);
		n++;
	}
	T_CHECK(o.nursery_cap == 0);
	T_LE(o.nursery_bytes, GA_NURSERY_MAX);
	T_EQ(o.nursery_bytes, 1024 + 2048 + 4096 + 8192);
	T_EQ(mirror, o.nursery_bytes + 2 * GA_PAGE_SIZE);	/* big and 200 */
	T_EQ(t_ostats(&o).nspans, 2);
	t_check_heap(h);
	/* nursery chunks still valid: realloc into another class moves */
	moved = ga_realloc(&o, v[0], 5000);
	T_CHECK(moved != NULL && moved != v[0]);
	for (int k = 0; k < 200; k++)
		if (((unsigned char *) moved)[k] != 0)
		{
			T_FAIL("byte %d lost in the move", k);
			break;
		}
	v[0] = moved;
	for (int i = 1; i < n; i++)
		T_EQ(((unsigned char *) v[i])[199], i & 0xff);
	t_check_heap(h);
	ga_owner_reset(&o);
	T_EQ(o.nursery_bytes, 0);
	T_CHECK(o.nursery == NULL);
	T_EQ(mirror, t_ostats(&o).span_bytes);
	v[0] = ga_alloc(&o, 64);
	T_CHECK(o.nursery == NULL);	/* graduated for good */
	T_CHECK(ga_owns(&o, v[0]));
	T_CHECK(!ga_owns(&o, big));	/* the reset freed it */
	t_check_heap(h);
	ga_owner_destroy(&o);
	T_EQ(mirror, 0);
	if (!T_EQ(errs.n, 0))
		fprintf(stderr, "  kind %d\n", (int) errs.kind);
	ga_heap_destroy(h);
}

/* One bad free: the error it must report, and nothing changed. */
static void
bad_free(ga_heap *h, ga_owner *o, void *p, ga_error_kind want)
{
	ga_heap_stats h0 = t_hstats(h);
	ga_owner_stats o0 = t_ostats(o);
	ga_heap_stats h1;
	ga_owner_stats o1;
	int			n0 = errs.n;

	ga_free(o, p);
	T_EQ(errs.n, n0 + 1);
	T_EQ(errs.kind, want);
	T_CHECK(errs.ptr == p);
	h1 = t_hstats(h);
	o1 = t_ostats(o);
	T_CHECK(t_heap_stats_equal(&h0, &h1));
	T_CHECK(t_owner_stats_equal(&o0, &o1));
	T_EQ(ga_realloc(o, p, 10) == NULL, 1);
	T_EQ(errs.n, n0 + 2);
	T_EQ(errs.kind, want);
	T_EQ(ga_chunk_size(o, p), 0);
	T_CHECK(!ga_owns(o, p));
}

static void
test_bad_frees(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o,
				other;
	size_t		m1 = 0,
				m2 = 0;
	char	   *a,
			   *b,
			   *c,
			   *x;
	ga_nblock  *old;

	nursery_owner(&o, h, 8, &m1);
	nursery_owner(&other, h, 8, &m2);
	a = ga_alloc(&o, 56);
	b = ga_alloc(&o, 56);
	c = ga_alloc(&o, 56);
	x = ga_alloc(&other, 56);
	bad_free(h, &o, b + 8, GA_ERR_NOT_CHUNK_START);		/* interior */
	bad_free(h, &o, b + 3, GA_ERR_NOT_CHUNK_START);
	bad_free(h, &o, b - 8, GA_ERR_NOT_CHUNK_START);		/* its header */
	bad_free(h, &o, (char *) o.nursery + 8, GA_ERR_NOT_CHUNK_START);	/* block header */
	bad_free(h, &o, x, GA_ERR_WRONG_OWNER);
	ga_free(&o, b);
	bad_free(h, &o, b, GA_ERR_DOUBLE_FREE);		/* below the top */
	ga_free(&o, c);
	bad_free(h, &o, c, GA_ERR_DOUBLE_FREE);		/* taken back by the top */
	bad_free(h, &o, b, GA_ERR_DOUBLE_FREE);

	/* a block given back to the pool */
	old = o.nursery;
	(void) ga_alloc(&o, 1000);	/* does not fit: a new block */
	T_CHECK(o.nursery != old && o.nursery->next == old);
	ga_free(&o, a);				/* old block: empty now, given back */
	T_CHECK(o.nursery->next == NULL);
	bad_free(h, &o, a, GA_ERR_NOT_ALLOCATED);
	T_EQ(t_ostats(&o).nursery_bytes, m1);
	t_check_heap(h);
	ga_owner_destroy(&o);
	ga_owner_destroy(&other);
	t_check_heap(h);
	ga_heap_destroy(h);
}

/* The object walker and ga_alloc_zero see nursery chunks as slots. */
static bool
count_obj(void *arg, void *payload, size_t slot)
{
	size_t	   *acc = arg;

	(void) payload;
	acc[0]++;
	acc[1] += slot;
	return true;
}

static void
test_walk_and_zero(void)
{
	errs.n = 0;
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	size_t		mirror = 0;
	size_t		acc[2] = {0, 0};
	unsigned char *p;

	nursery_owner(&o, h, 16, &mirror);
	p = ga_alloc(&o, 100);
	memset(p, 0xff, 100);
	ga_free(&o, p);
	p = ga_alloc_zero(&o, 100);
	for (int k = 0; k < 100; k++)
		if (p[k] != 0)
		{
			T_FAIL("byte %d not zero", k);
			break;
		}
	(void) ga_alloc(&o, 0);
	ga_owner_walk_objects(&o, count_obj, acc);
	T_EQ(acc[0], 2);
	T_EQ(acc[1], ga_chunk_size(&o, p) + 24);	/* 0 bytes: 16 + 1 -> 24 */
	T_EQ(ga_chunk_size(&o, p), 128);	/* 100 + 16 -> class 128 */
	t_check_heap(h);
	ga_owner_destroy(&o);
	T_EQ(errs.n, 0);
	ga_heap_destroy(h);
}

/* Live blocks of the heap's pool: the blocks every owner holds. */
static uint64_t
pool_blocks(ga_heap *h)
{
	return t_ostats(&h->nursery_pool).objects;
}

/*
 * Recycling (ga_owner_recycle, _reuse, _discard), as PostgreSQL's adopted
 * contexts use it: a recycled owner has moved its counts to the heap's and
 * left the owners' list, and keeps its newest block, emptied, if it is in
 * the nursery and the block is at most GA_NURSERY_KEEP bytes.  Reused, it
 * takes its first chunk from that block without asking the pool, and a
 * stale pointer into the block is caught.  A larger block or a graduated
 * owner keeps nothing; discard gives a kept block back.
 */
static void
test_recycle(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	size_t		mirror = 0;
	ga_class_counts before[GA_NUM_CLASSES];
	ga_class_counts after[GA_NUM_CLASSES];
	unsigned	c100 = ga_size_class(100 + 8);
	unsigned	c900 = ga_size_class(900 + 8);
	ga_nblock  *kept;
	char	   *r;
	char	   *p;
	size_t		nowners;
	uint64_t	blocks;

	errs.n = 0;
	nursery_owner(&o, h, 8, &mirror);
	(void) ga_alloc(&o, 100);	/* the 1 KiB block */
	(void) ga_alloc(&o, 900);	/* does not fit: a 2 KiB block */
	r = ga_alloc(&o, 50);		/* above it in the same block */
	kept = o.nursery;
	T_CHECK(kept->size == 2048 && kept->next != NULL);
	T_EQ(mirror, 1024 + 2048);
	ga_heap_read_class_counts(h, before);
	nowners = h->nowners;
	blocks = pool_blocks(h);

	ga_owner_recycle(&o);
	T_EQ(mirror, 0);			/* the kept bytes left it too */
	T_CHECK(o.nursery == kept && kept->next == NULL);
	T_CHECK(kept->top == kept->first && kept->nlive == 0);
	T_EQ(o.nursery_bytes, 2048);
	T_EQ(o.nursery_cap, 0);
	T_EQ(h->nowners, nowners - 1);
	T_EQ(pool_blocks(h), blocks - 1);	/* the 1 KiB block went back */
	ga_heap_read_class_counts(h, after);
	T_EQ(after[c100].mallocs, before[c100].mallocs);	/* moved, not lost */
	T_EQ(after[c100].frees, before[c100].frees + 1);
	T_EQ(after[c900].frees, before[c900].frees + 1);
	for (unsigned c = 0; c < GA_NUM_CLASSES; c++)
		T_EQ(o.mallocs[c], 0);
	t_check_heap(h);

	ga_owner_reuse(&o, 8, GA_DEFAULT_KEEP);
	ga_owner_enable_nursery(&o);
	ga_owner_set_mirror(&o, &mirror);
	T_EQ(mirror, 2048);
	T_EQ(h->nowners, nowners);
	p = ga_alloc(&o, 100);
	T_CHECK(p == (char *) kept + kept->first + 8);	/* no block from the pool */
	T_EQ(pool_blocks(h), blocks - 1);
	T_EQ(t_ostats(&o).mallocs, 1);
	bad_free(h, &o, r, GA_ERR_DOUBLE_FREE);		/* stale: above the top */
	t_check_heap(h);
	ga_owner_destroy(&o);		/* a reused owner is an owner */
	T_EQ(mirror, 0);
	T_EQ(pool_blocks(h), blocks - 2);

	/* a 4 KiB newest block is not kept */
	nursery_owner(&o, h, 8, &mirror);
	(void) ga_alloc(&o, 1800);	/* class 2048: a 4 KiB block */
	T_EQ(o.nursery->size, 4096);
	ga_owner_recycle(&o);
	T_CHECK(o.nursery == NULL);
	T_EQ(o.nursery_bytes, 0);
	ga_owner_reuse(&o, 8, GA_DEFAULT_KEEP);
	ga_owner_set_mirror(&o, &mirror);

	/* nor is a block of a graduated owner */
	ga_owner_enable_nursery(&o);
	while (o.nursery_cap != 0)
		(void) ga_alloc(&o, 500);
	T_CHECK(o.nursery != NULL);
	ga_owner_recycle(&o);
	T_CHECK(o.nursery == NULL);

	/* discard gives a kept block back */
	ga_owner_reuse(&o, 8, GA_DEFAULT_KEEP);
	ga_owner_enable_nursery(&o);
	(void) ga_alloc(&o, 40);
	ga_owner_recycle(&o);
	T_CHECK(o.nursery != NULL);
	ga_owner_discard(&o);
	T_EQ(pool_blocks(h), blocks - 2);
	T_EQ(h->nowners, nowners - 1);
	t_check_heap(h);
	T_EQ(errs.n, 2);			/* the stale free and realloc */
	ga_heap_destroy(h);
}

int
main(void)
{
	ga_sizeclasses_init();
	T_RUN(test_small_owners_share);
	T_RUN(test_per_tuple_bumps);
	T_RUN(test_top_rollback);
	T_RUN(test_graduation);
	T_RUN(test_bad_frees);
	T_RUN(test_walk_and_zero);
	T_RUN(test_recycle);
	return t_finish();
}
