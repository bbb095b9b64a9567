/*
 * The page allocator (pagealloc.c): large objects take whole pages, or
 * slots of a packed span when their size repeats; free runs coalesce with
 * their neighbours, and a search takes pages still backed before released
 * ones.
 */
#include "t_core.h"

#include <string.h>

static t_errs errs;

/* A large object an owner asks for first has pages of its own. */
static void
test_large_whole_pages(void)
{
	ga_heap    *h = t_heap(&errs);
	size_t		hdrs[] = {8, 16};

	for (int k = 0; k < 2; k++)
	{
		size_t		hdr = hdrs[k];
		size_t		sizes[] = {32768 - hdr + 1, 32768, 40960 - hdr, 40960 - hdr + 1,
		100000, 1 << 20, (4 << 20) + 3};

		/* the last small size stays small */
		{
			ga_owner	o;
			char	   *p;

			ga_owner_init(&o, h, hdr, GA_DEFAULT_KEEP);
			p = ga_alloc(&o, 32768 - hdr);
			T_EQ(ga_chunk_size(&o, p), 32768);
			ga_free(&o, p);
			ga_owner_destroy(&o);
		}
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		{
			ga_owner	o;
			ga_owner_stats a,
						b;
			ga_class_counts cc[GA_NUM_CLASSES];
			char	   *p;
			size_t		pages = t_round_pages(sizes[i] + hdr) / GA_PAGE_SIZE;

			ga_owner_init(&o, h, hdr, GA_DEFAULT_KEEP);
			a = t_ostats(&o);
			p = ga_alloc(&o, sizes[i]);
			if (!T_CHECK(p != NULL))
				continue;
			T_EQ(((uintptr_t) p - hdr) % GA_PAGE_SIZE, 0);
			T_EQ(ga_chunk_size(&o, p), pages * GA_PAGE_SIZE);
			memset(p - hdr, 0x77, pages * GA_PAGE_SIZE);
			b = t_ostats(&o);
			T_EQ(b.npages, a.npages + pages);
			T_EQ(b.objects, a.objects + 1);
			T_EQ(b.alloc_bytes, a.alloc_bytes + pages * GA_PAGE_SIZE);
			ga_owner_read_class_counts(&o, cc);
			T_EQ(cc[0].mallocs, 1);
			t_check_heap(h);
			ga_free(&o, p);
			b = t_ostats(&o);
			T_EQ(b.npages, a.npages);
			T_EQ(b.objects, a.objects);
			t_check_heap(h);
			ga_owner_destroy(&o);
		}
	}
	ga_heap_destroy(h);
	T_EQ(errs.n, 0);
}

/*
 * PostgreSQL's hash join chunk, 32,800 bytes, asked for again and again:
 * the first has five pages of its own, the rest slots of 32,832 bytes
 * (with an 8-byte header), four to a span of 17 pages.  Their frees are
 * validated as a small slot's are; a span whose last slot goes is given
 * back; realloc keeps a size that fits the slot; a reset gives back every
 * span.
 */
static void
test_large_packed(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	enum
	{
		N = 29
	};
	char	   *v[N];
	ga_owner_stats st;
	char	   *q;

	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	for (int i = 0; i < N; i++)
	{
		v[i] = ga_alloc(&o, 32800);
		T_CHECK(v[i] != NULL);
		memset(v[i], i, 32800);
	}
	T_EQ(ga_chunk_size(&o, v[0]), 5 * GA_PAGE_SIZE);
	for (int i = 1; i < N; i++)
	{
		T_EQ(ga_chunk_size(&o, v[i]), 32832);
		T_EQ(((uintptr_t) v[i] - 8) % 64, 0);
	}
	/* the 28 packed: full spans of 4, 8 and 16 slots, 17, 33 and 65 pages */
	st = t_ostats(&o);
	T_EQ(st.objects, N);
	T_EQ(st.nspans, 4);
	T_EQ(st.npages, 5 + 17 + 33 + 65);
	T_EQ(st.alloc_bytes, 5 * GA_PAGE_SIZE + (N - 1) * 32832);
	for (int i = 0; i < N; i++)
		T_EQ((unsigned char) v[i][32799], (unsigned char) i);
	t_check_heap(h);

	/* a slot's start only, and once */
	ga_free(&o, v[1] + 64);
	T_EQ(errs.n, 1);
	T_EQ(errs.kind, GA_ERR_NOT_CHUNK_START);
	ga_free(&o, v[1] + 32832 * 4);	/* past the span's last slot */
	T_EQ(errs.n, 2);
	ga_free(&o, v[2]);
	ga_free(&o, v[2]);
	T_EQ(errs.n, 3);
	T_EQ(errs.kind, GA_ERR_DOUBLE_FREE);
	errs.n = 0;

	/* the freed slot is taken again, zeroed for ga_alloc_zero */
	q = ga_alloc_zero(&o, 32800);
	T_CHECK(q == v[2]);
	T_EQ((unsigned char) q[0] | (unsigned char) q[32799], 0);
	v[2] = q;

	/* realloc: in place within the slot, moved out of it */
	T_CHECK(ga_realloc(&o, v[3], 32810) == v[3]);
	q = ga_realloc(&o, v[3], 70000);
	T_CHECK(q != NULL && q != v[3]);
	T_EQ((unsigned char) q[32799], 3);
	v[3] = q;
	q = ga_realloc(&o, v[4], 100);
	T_CHECK(q != NULL && ga_chunk_size(&o, q) < 1024);
	T_EQ((unsigned char) q[99], 4);
	v[4] = q;
	t_check_heap(h);

	/* the spans go back with their last slot */
	for (int i = 0; i < N; i++)
		ga_free(&o, v[i]);
	st = t_ostats(&o);
	T_EQ(st.objects, 0);
	T_CHECK(o.large == NULL && o.packed == NULL);
	t_check_heap(h);

	/* a reset gives back the packed spans with their live slots */
	for (int i = 0; i < N; i++)
		v[i] = ga_alloc(&o, 32800);
	T_EQ(ga_chunk_size(&o, v[0]), 32832);	/* the owner packs this size */
	ga_owner_reset(&o);
	st = t_ostats(&o);
	T_EQ(st.objects, 0);
	T_CHECK(o.large == NULL && o.packed == NULL);
	t_check_heap(h);
	v[0] = ga_alloc(&o, 32800);
	T_EQ(ga_chunk_size(&o, v[0]), 32832);
	t_check_heap(h);
	ga_owner_destroy(&o);
	ga_heap_destroy(h);
	T_EQ(errs.n, 0);
}

/*
 * A hash table's chunks: packed spans double, from 4 slots to the 31 that
 * 1 MiB holds, so that their tails lose 0.6 % where spans of 4 lose 5.7 %.
 * A new span follows a full one; after a free the owner fills the freed
 * slot first.
 */
static void
test_large_packed_growth(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	enum
	{
		N = 301
	};
	char	   *v[N];
	ga_owner_stats st;
	size_t		slots = 0;
	size_t		expect[] = {4, 8, 16, 31};
	size_t		nspans;
	size_t		npages = 0;

	T_EQ(ga_packed_slots_max(32832), 31);
	T_EQ(ga_packed_slots_max(GA_PACKED_MAX), 8);
	T_EQ(ga_packed_slots_max(GA_PACKED_SPAN_BYTES), GA_PACKED_SLOTS);
	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	for (int i = 0; i < N; i++)
	{
		v[i] = ga_alloc(&o, 32800);
		T_CHECK(v[i] != NULL);
		memset(v[i], 0x5a, 32800);
	}

	/* the lone first one, then spans of 4, 8, 16, 31, 31, ... slots */
	for (nspans = 0; slots < N - 1; nspans++)
	{
		size_t		k = expect[nspans < 3 ? nspans : 3];

		slots += k;
		npages += (k * 32832 + GA_PAGE_SIZE - 1) / GA_PAGE_SIZE;
	}
	st = t_ostats(&o);
	T_EQ(st.nspans, 1 + nspans);
	T_EQ(st.npages, 5 + npages);
	/* the pages of the packed spans hold their slots within 1 % */
	T_LE((npages * GA_PAGE_SIZE - slots * 32832) * 100, slots * 32832);
	t_check_heap(h);

	/* a freed slot is taken again before any new span */
	ga_free(&o, v[7]);
	v[7] = ga_alloc(&o, 32800);
	st = t_ostats(&o);
	T_EQ(st.nspans, 1 + nspans);
	t_check_heap(h);
	for (int i = 0; i < N; i++)
		ga_free(&o, v[i]);
	T_CHECK(o.large == NULL && o.packed == NULL);
	t_check_heap(h);
	ga_owner_destroy(&o);
	ga_heap_destroy(h);
	T_EQ(errs.n, 0);
}

/* Large allocs and frees in random order coalesce back to one run. */
static void
test_coalesce(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	t_rng		r = {3};
	enum
	{
		N = 120
	};
	void	   *v[N];
	size_t		total = 0;
	ga_heap_stats s;

	ga_owner_init(&o, h, 8, 0);
	for (int round = 0; round < 3; round++)
	{
		total = 0;
		for (int i = 0; i < N; i++)
		{
			size_t		n = (5 + t_below(&r, 60)) * GA_PAGE_SIZE - 8;

			v[i] = ga_alloc(&o, n);
			T_CHECK(v[i] != NULL);
			total += n + 8;
		}
		/* free in random order */
		for (int i = N - 1; i > 0; i--)
		{
			int			j = (int) t_below(&r, (uint64_t) i + 1);
			void	   *t = v[i];

			v[i] = v[j];
			v[j] = t;
		}
		for (int i = 0; i < N; i++)
		{
			ga_free(&o, v[i]);
			if (i % 17 == 0)
				t_check_heap(h);
		}
		s = t_hstats(h);
		T_EQ(s.heap_idle, s.heap_sys);
		T_EQ(s.heap_inuse, 0);
		T_EQ(s.heap_objects, 0);
		/* everything coalesced: the whole peak fits in one run again */
		{
			size_t		sys = s.heap_sys;
			void	   *big = ga_alloc(&o, total - 8);

			T_CHECK(big != NULL);
			T_EQ(t_hstats(h).heap_sys, sys);
			ga_free(&o, big);
			T_EQ(t_hstats(h).heap_sys, sys);
		}
	}
	t_check_heap(h);
	ga_owner_destroy(&o);
	ga_heap_destroy(h);
	T_EQ(errs.n, 0);
}


/*
 * A search takes a run still backed before a released one (pagealloc.c's
 * two indexes), even when the released run comes first in the arena and
 * is larger: backed memory is reused, released pages are faulted back in
 * only when nothing backed fits.
 */
static void
test_backed_before_released(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	size_t		pg = GA_PAGE_SIZE;
	char	   *big1,
			   *big2,
			   *sep1,
			   *sep2,
			   *p,
			   *q;
	ga_heap_stats a,
				b;

	ga_owner_init(&o, h, 8, 0);
	big1 = ga_alloc(&o, 200 * pg - 8);
	sep1 = ga_alloc(&o, 5 * pg - 8);	/* in use: keeps the runs apart */
	big2 = ga_alloc(&o, 100 * pg - 8);
	sep2 = ga_alloc(&o, 5 * pg - 8);
	T_CHECK(big1 && sep1 && big2 && sep2);
	ga_free(&o, big1);
	ga_free(&o, big2);
	a = t_hstats(h);
	/* two backed runs, 200 and 100 pages, both kept (retain is 8 MiB) */
	T_EQ(a.heap_idle - a.heap_released, 300 * pg);

	/* the scavenger releases the larger run first: big1's */
	T_EQ(ga_heap_scavenge(h, 100 * pg), 200 * pg);
	a = t_hstats(h);
	T_EQ(a.heap_idle - a.heap_released, 100 * pg);
	t_check_heap(h);

	/* 100 pages: big2's backed run, not the released run before it */
	p = ga_alloc(&o, 100 * pg - 8);
	b = t_hstats(h);
	T_CHECK(p == big2);
	T_EQ(b.heap_released, a.heap_released);
	T_EQ(b.heap_idle - b.heap_released, 0);

	/* nothing backed is left: the released run's low end, faulted back */
	q = ga_alloc(&o, 100 * pg - 8);
	a = t_hstats(h);
	T_CHECK(q == big1);
	T_EQ(b.heap_released - a.heap_released, 100 * pg);
	T_EQ(a.heap_sys, b.heap_sys);
	memset(q - 8, 0x3c, 100 * pg);
	t_check_heap(h);

	ga_free(&o, p);
	ga_free(&o, q);
	ga_free(&o, sep1);
	ga_free(&o, sep2);
	t_check_heap(h);
	ga_owner_destroy(&o);
	ga_heap_destroy(h);
	T_EQ(errs.n, 0);
}

int
main(void)
{
	ga_sizeclasses_init();
	T_RUN(test_large_whole_pages);
	T_RUN(test_large_packed);
	T_RUN(test_large_packed_growth);
	T_RUN(test_coalesce);
	T_RUN(test_backed_before_released);
	return t_finish();
}
