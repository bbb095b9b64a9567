#include "t_core.h"

#include <stdlib.h>
#include <string.h>

/*
 * Go's size class table, copied from the generated comment at the top of
 * Go's src/runtime/sizeclasses.go (identical in 1.20.4, 1.23.5 and tip).
 * Class 0 is large.
 *	{bytes/obj, bytes/span, objects, tail waste, max waste %, npages}
 */
const go_class go_classes[GA_NUM_CLASSES] = {
	{0, 0, 0, 0, 0.0, 0},		/* 0: large */
	{8, 8192, 1024, 0, 87.50, 1},	/* 1 */
	{16, 8192, 512, 0, 43.75, 1},	/* 2 */
	{24, 8192, 341, 8, 29.24, 1},	/* 3 */
	{32, 8192, 256, 0, 21.88, 1},	/* 4 */
	{48, 8192, 170, 32, 31.52, 1},	/* 5 */
	{64, 8192, 128, 0, 23.44, 1},	/* 6 */
	{80, 8192, 102, 32, 19.07, 1},	/* 7 */
	{96, 8192, 85, 32, 15.95, 1},	/* 8 */
	{112, 8192, 73, 16, 13.56, 1},	/* 9 */
	{128, 8192, 64, 0, 11.72, 1},	/* 10 */
	{144, 8192, 56, 128, 11.82, 1},	/* 11 */
	{160, 8192, 51, 32, 9.73, 1},	/* 12 */
	{176, 8192, 46, 96, 9.59, 1},	/* 13 */
	{192, 8192, 42, 128, 9.25, 1},	/* 14 */
	{208, 8192, 39, 80, 8.12, 1},	/* 15 */
	{224, 8192, 36, 128, 8.15, 1},	/* 16 */
	{240, 8192, 34, 32, 6.62, 1},	/* 17 */
	{256, 8192, 32, 0, 5.86, 1},	/* 18 */
	{288, 8192, 28, 128, 12.16, 1},	/* 19 */
	{320, 8192, 25, 192, 11.80, 1},	/* 20 */
	{352, 8192, 23, 96, 9.88, 1},	/* 21 */
	{384, 8192, 21, 128, 9.51, 1},	/* 22 */
	{416, 8192, 19, 288, 10.71, 1},	/* 23 */
	{448, 8192, 18, 128, 8.37, 1},	/* 24 */
	{480, 8192, 17, 32, 6.82, 1},	/* 25 */
	{512, 8192, 16, 0, 6.05, 1},	/* 26 */
	{576, 8192, 14, 128, 12.33, 1},	/* 27 */
	{640, 8192, 12, 512, 15.48, 1},	/* 28 */
	{704, 8192, 11, 448, 13.93, 1},	/* 29 */
	{768, 8192, 10, 512, 13.94, 1},	/* 30 */
	{896, 8192, 9, 128, 15.52, 1},	/* 31 */
	{1024, 8192, 8, 0, 12.40, 1},	/* 32 */
	{1152, 8192, 7, 128, 12.41, 1},	/* 33 */
	{1280, 8192, 6, 512, 15.55, 1},	/* 34 */
	{1408, 16384, 11, 896, 14.00, 2},	/* 35 */
	{1536, 8192, 5, 512, 14.00, 1},	/* 36 */
	{1792, 16384, 9, 256, 15.57, 2},	/* 37 */
	{2048, 8192, 4, 0, 12.45, 1},	/* 38 */
	{2304, 16384, 7, 256, 12.46, 2},	/* 39 */
	{2688, 8192, 3, 128, 15.59, 1},	/* 40 */
	{3072, 24576, 8, 0, 12.47, 3},	/* 41 */
	{3200, 16384, 5, 384, 6.22, 2},	/* 42 */
	{3456, 24576, 7, 384, 8.83, 3},	/* 43 */
	{4096, 8192, 2, 0, 15.60, 1},	/* 44 */
	{4864, 24576, 5, 256, 16.65, 3},	/* 45 */
	{5376, 16384, 3, 256, 10.92, 2},	/* 46 */
	{6144, 24576, 4, 0, 12.48, 3},	/* 47 */
	{6528, 32768, 5, 128, 6.23, 4},	/* 48 */
	{6784, 40960, 6, 256, 4.36, 5},	/* 49 */
	{6912, 49152, 7, 768, 3.37, 6},	/* 50 */
	{8192, 8192, 1, 0, 15.61, 1},	/* 51 */
	{9472, 57344, 6, 512, 14.28, 7},	/* 52 */
	{9728, 49152, 5, 512, 3.64, 6},	/* 53 */
	{10240, 40960, 4, 0, 4.99, 5},	/* 54 */
	{10880, 32768, 3, 128, 6.24, 4},	/* 55 */
	{12288, 24576, 2, 0, 11.45, 3},	/* 56 */
	{13568, 40960, 3, 256, 9.99, 5},	/* 57 */
	{14336, 57344, 4, 0, 5.35, 7},	/* 58 */
	{16384, 16384, 1, 0, 12.49, 2},	/* 59 */
	{18432, 73728, 4, 0, 11.11, 9},	/* 60 */
	{19072, 57344, 3, 128, 3.57, 7},	/* 61 */
	{20480, 40960, 2, 0, 6.87, 5},	/* 62 */
	{21760, 65536, 3, 256, 6.25, 8},	/* 63 */
	{24576, 24576, 1, 0, 11.45, 3},	/* 64 */
	{27264, 81920, 3, 128, 10.00, 10},	/* 65 */
	{28672, 57344, 2, 0, 4.91, 7},	/* 66 */
	{32768, 32768, 1, 0, 12.50, 4},	/* 67 */
};

size_t
t_expected_slot(size_t n)
{
	if (t_is_large(n))
		return t_round_pages(n);
	for (int c = 1; c < GA_NUM_CLASSES; c++)
		if (go_classes[c].size >= n)
			return go_classes[c].size;
	abort();
}

int
t_expected_class(size_t n)
{
	if (t_is_large(n))
		return 0;
	for (int c = 1; c < GA_NUM_CLASSES; c++)
		if (go_classes[c].size >= n)
			return c;
	abort();
}

void
t_err_record(void *arg, ga_error_kind kind, const ga_owner *owner,
			 const void *ptr)
{
	t_errs	   *e = arg;

	e->n++;
	e->kind = kind;
	e->owner = owner;
	e->ptr = ptr;
}

ga_heap *
t_heap(t_errs *errs)
{
	ga_heap_config cfg;
	ga_heap    *h;

	memset(&cfg, 0, sizeof(cfg));
	cfg.retain_bytes = GA_DEFAULT_RETAIN;
	cfg.span_cache_bytes = GA_DEFAULT_SPAN_CACHE;
	cfg.on_error = errs ? t_err_record : NULL;
	cfg.error_arg = errs;
	h = ga_heap_create(&cfg);
	if (!h)
	{
		T_FAIL("ga_heap_create returned NULL");
		abort();
	}
	return h;
}

size_t
t_retained(ga_heap *heap)
{
	ga_heap_stats st;

	ga_heap_read_stats(heap, &st);
	return st.heap_sys - st.heap_released;
}

ga_heap_stats
t_hstats(ga_heap *heap)
{
	ga_heap_stats s;

	ga_heap_read_stats(heap, &s);
	return s;
}

ga_owner_stats
t_ostats(ga_owner *owner)
{
	ga_owner_stats s;

	ga_owner_read_stats(owner, &s);
	return s;
}

static unsigned char
pattern(unsigned seed, size_t i)
{
	return (unsigned char) (seed + i * 7 + (i >> 9));
}

void
t_fill(void *p, size_t n, unsigned seed)
{
	unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		c[i] = pattern(seed, i);
}

bool
t_same(const void *p, size_t n, unsigned seed)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i] != pattern(seed, i))
			return T_FAIL("byte %zu of %p differs", i, p);
	return true;
}

static bool
collect(void *arg, const ga_span_info *info)
{
	t_spans    *s = arg;

	if (s->n == s->cap)
	{
		s->cap = s->cap ? s->cap * 2 : 256;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			abort();
	}
	s->v[s->n++] = *info;
	return true;
}

void
t_heap_spans(ga_heap *heap, t_spans *out)
{
	out->n = 0;
	ga_heap_walk_spans(heap, collect, out);
}

void
t_owner_spans(ga_owner *owner, t_spans *out)
{
	out->n = 0;
	ga_owner_walk_spans(owner, collect, out);
}

void
t_spans_free(t_spans *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int
cmp_base(const void *a, const void *b)
{
	const ga_span_info *x = a,
			   *y = b;

	return x->base < y->base ? -1 : x->base > y->base;
}

typedef struct arena_acc
{
	size_t		n;
	ga_arena_info v[4096];
} arena_acc;

static bool
collect_arena(void *arg, const ga_arena_info *info)
{
	arena_acc  *a = arg;

	if (a->n < 4096)
		a->v[a->n] = *info;
	a->n++;
	return true;
}

/* Slots of the span on its owner's free list of the class (ga_types.h). */
static unsigned
t_listed_in(const ga_span_info *s)
{
	const ga_freelist *fl;
	const char *p;
	unsigned	n = 0;

	if (s->owner == NULL || s->sizeclass <= 0)
		return 0;
	fl = &s->owner->mc->freelist[s->sizeclass];
	for (p = fl->head; p != NULL; p = ga_link_next(s->owner, p))
		if ((uintptr_t) p - s->base < s->npages * GA_PAGE_SIZE)
			n++;
	return n;
}

/* Check one span's self-consistency; return false on failure. */
static bool
check_span(const ga_span_info *s)
{
	bool		ok = true;

	switch (s->state)
	{
		case GA_SPAN_MCACHE:
		case GA_SPAN_PARTIAL:
		case GA_SPAN_FULL:
		case GA_SPAN_CACHED:
			ok &= T_CHECK(s->sizeclass >= 1 && s->sizeclass < GA_NUM_CLASSES);
			if (!ok)
				return false;
			ok &= T_EQ(s->elemsize, go_classes[s->sizeclass].size);
			ok &= T_EQ(s->nelems, go_classes[s->sizeclass].objects);
			ok &= T_EQ(s->npages, go_classes[s->sizeclass].npages);
			ok &= T_LE(s->allocated, s->nelems);
			ok &= T_EQ(s->spanclass >> 1, s->sizeclass);
			/*
			 * ga_types.h: FULL = fewer than partial_at free slots
			 * (max(1, nelems/8)); PARTIAL = some free slot, and not empty
			 * (an empty span that is not the mcache's goes back).
			 */
			/* (listed slots are free but keep their bits: t_listed_in) */
			ok &= T_EQ(s->listed, t_listed_in(s));
			if (s->state == GA_SPAN_FULL)
				ok &= T_LE(s->nelems - s->allocated - t_listed_in(s) + 1,
						   t_partial_at(s->nelems));
			if (s->state == GA_SPAN_PARTIAL)
			{
				ok &= T_CHECK(s->allocated < s->nelems);
				/* empty ones go back */
				ok &= T_CHECK(s->allocated + t_listed_in(s) > 0);
			}
			if (s->state == GA_SPAN_CACHED)
			{
				ok &= T_EQ(s->allocated, 0);
				ok &= T_CHECK(s->owner == NULL);
			}
			else
				ok &= T_CHECK(s->owner != NULL);
			break;
		case GA_SPAN_LARGE:
			ok &= T_EQ(s->sizeclass, 0);
			ok &= T_CHECK(s->owner != NULL);
			if (s->nelems == 1)
			{
				ok &= T_EQ(s->allocated, 1);
				ok &= T_EQ(s->elemsize, s->npages * GA_PAGE_SIZE);
				break;
			}

			/*
			 * A packed span (alloc.c): 2 to ga_packed_slots_max slots of
			 * a large stride, a multiple of 64, whose tail is at most 1/16
			 * of the span; never empty (an empty one goes back).
			 */
			ok &= T_CHECK(s->nelems >= 2 &&
						  s->nelems <= ga_packed_slots_max(s->elemsize));
			ok &= T_EQ(s->elemsize % 64, 0);
			ok &= T_CHECK(s->elemsize > GA_MAX_SMALL_SIZE &&
						  s->elemsize <= GA_PACKED_MAX + 63);
			ok &= T_EQ(s->npages,
					   (s->nelems * s->elemsize + GA_PAGE_SIZE - 1) / GA_PAGE_SIZE);
			ok &= T_LE((s->npages * GA_PAGE_SIZE - s->nelems * s->elemsize) * 16,
					   s->npages * GA_PAGE_SIZE);
			ok &= T_CHECK(s->allocated >= 1 && s->allocated <= s->nelems);
			break;
		default:
			ok &= T_FAIL("span %#lx in state %d reported by a walk",
						 (unsigned long) s->base, (int) s->state);
	}
	ok &= T_EQ(s->base % GA_PAGE_SIZE, 0);
	ok &= T_CHECK(s->npages > 0);
	return ok;
}

bool
t_check_heap(ga_heap *heap)
{
	ga_heap_stats st;
	ga_class_counts cc[GA_NUM_CLASSES];
	t_spans		sp = {0};
	static arena_acc ar;
	uint64_t	live[GA_NUM_CLASSES] = {0};
	uint64_t	sum_mallocs = 0,
				sum_frees = 0;
	size_t		inuse_pages = 0,
				cached_pages = 0,
				objects = 0,
				alloc_bytes = 0;
	size_t		a_inuse = 0,
				a_released = 0,
				a_pages = 0;
	size_t		owner_pages = 0,
				pool_pages = 0,
				nowners = 0;
	bool		ok = true;

	ga_heap_read_stats(heap, &st);
	for (ga_owner *o = heap->owners; o; o = o->next)
	{
		uint64_t	nl[GA_NUM_CLASSES] = {0};

		uint64_t	seen[2];

		ga_nursery_live(o, nl);
		for (int c = 1; c < GA_NUM_CLASSES; c++)
		{
			live[c] += nl[c];
			objects += nl[c];
			alloc_bytes += nl[c] * ga_class_size[c];
		}

		/* a class with a count is in counted, or dirty until a reset */
		seen[0] = o->counted[0] | o->dirty |
			(o->nursery_counted ? ga_nursery_classes() : 0);
		seen[1] = o->counted[1] | o->dirty_high;
		for (unsigned c = 0; c < GA_NUM_CLASSES; c++)
			if (ga_owner_mallocs(o, c) != 0 &&
				!T_CHECK((seen[c >> 6] >> (c & 63)) & 1))
			{
				ok = false;
				fprintf(stderr, "  class %u has a count outside counted\n", c);
			}

		/*
		 * The packed span new packed objects come from is one of the
		 * owner's large spans, a packed one; and the large bytes are the
		 * lone spans' pages and the packed spans' live slots.
		 */
		{
			size_t		large_bytes = 0;
			bool		packed_found = (o->packed == NULL);

			for (ga_span *s = o->large; s != NULL; s = s->next)
			{
				large_bytes += s->packed_stride != 0 ?
					s->packed_stride * s->alloc_count : s->npages * GA_PAGE_SIZE;
				if (s == o->packed)
					packed_found = (s->packed_stride != 0);
			}
			ok &= T_CHECK(packed_found);
			ok &= T_EQ(o->large_bytes, large_bytes);
		}
	}
	ok &= T_EQ(st.heap_sys, st.heap_inuse + st.heap_idle);
	ok &= T_LE(st.heap_released, st.heap_idle);
	ok &= T_EQ(st.heap_objects, st.mallocs - st.frees);
	ok &= T_EQ(st.heap_sys % GA_PAGE_SIZE, 0);
	ok &= T_EQ(st.heap_inuse % GA_PAGE_SIZE, 0);
	ok &= T_EQ(st.heap_released % GA_PAGE_SIZE, 0);
	ok &= T_LE(st.heap_alloc, st.heap_inuse);
	ok &= T_LE(st.heap_alloc, st.total_alloc);
	ok &= T_LE(st.mspan_inuse, st.mspan_sys);

	t_heap_spans(heap, &sp);
	for (size_t i = 0; i < sp.n; i++)
	{
		const ga_span_info *s = &sp.v[i];

		ok &= check_span(s);
		if (s->sizeclass >= GA_NUM_CLASSES)
			continue;
		inuse_pages += s->npages;
		if (s->owner == &heap->nursery_pool)
		{
			/* its objects are blocks; the owners' chunks are counted */
			pool_pages += s->npages;
			continue;
		}
		objects += s->allocated;
		alloc_bytes += (size_t) s->allocated * s->elemsize;
		live[s->sizeclass] += s->allocated;
		if (s->state == GA_SPAN_CACHED)
			cached_pages += s->npages;
	}
	ok &= T_EQ(inuse_pages * GA_PAGE_SIZE, st.heap_inuse);
	ok &= T_EQ(objects, st.heap_objects);
	ok &= T_EQ(alloc_bytes, st.heap_alloc);
	ok &= T_EQ(cached_pages * GA_PAGE_SIZE, st.span_cache_bytes);
	ok &= T_EQ(st.mspan_inuse % sizeof(ga_span), 0);

	/* no two spans overlap */
	if (sp.n > 1)
		qsort(sp.v, sp.n, sizeof(*sp.v), cmp_base);
	for (size_t i = 1; i < sp.n; i++)
		if (!T_LE(sp.v[i - 1].base + sp.v[i - 1].npages * GA_PAGE_SIZE,
				  sp.v[i].base))
		{
			ok = false;
			break;
		}

	ga_heap_read_class_counts(heap, cc);
	for (int c = 0; c < GA_NUM_CLASSES; c++)
	{
		sum_mallocs += cc[c].mallocs;
		sum_frees += cc[c].frees;
		if (!T_EQ(cc[c].mallocs - cc[c].frees, live[c]))
		{
			fprintf(stderr, "  (class %d)\n", c);
			ok = false;
		}
	}
	ok &= T_EQ(sum_mallocs, st.mallocs);
	ok &= T_EQ(sum_frees, st.frees);

	/* T_SKIP_ARENA=1: debugging aid, skip the per-arena checks */
	if (t_env_long("T_SKIP_ARENA", 0))
		goto owners;
	ar.n = 0;
	ga_heap_walk_arenas(heap, collect_arena, &ar);
	ok &= T_EQ(ar.n, st.narenas);
	{
		/* ga_heap_contains reads the arena index only while there are huge ones */
		size_t		nhuge = 0;

		for (size_t i = 0; i < ar.n && i < 4096; i++)
			nhuge += ar.v[i].huge;
		ok &= T_EQ(heap->nhuge, nhuge);
	}
	for (size_t i = 0; i < ar.n && i < 4096; i++)
	{
		const ga_arena_info *a = &ar.v[i];
		static uint8_t ps[GA_ARENA_PAGES];
		size_t		cnt[3] = {0};

		a_inuse += a->pages_inuse;
		a_released += a->pages_released;
		a_pages += a->npages;
		ok &= T_EQ(a->pages_inuse + a->pages_free + a->pages_released, a->npages);
		ok &= T_EQ(a->base % GA_ARENA_SIZE, 0);
		if (!a->huge && a->npages <= GA_ARENA_PAGES)
		{
			size_t		got = ga_arena_page_states(heap, a->index, 0, a->npages, ps);

			ok &= T_EQ(got, a->npages);
			for (size_t p = 0; p < got; p++)
			{
				if (ps[p] > GA_PAGE_RELEASED)
				{
					ok &= T_FAIL("page state %d", ps[p]);
					break;
				}
				cnt[ps[p]]++;
			}
			ok &= T_EQ(cnt[GA_PAGE_INUSE], a->pages_inuse);
			ok &= T_EQ(cnt[GA_PAGE_FREE], a->pages_free);
			ok &= T_EQ(cnt[GA_PAGE_RELEASED], a->pages_released);
		}
	}
	ok &= T_EQ(a_inuse * GA_PAGE_SIZE, st.heap_inuse);
	ok &= T_EQ(a_released * GA_PAGE_SIZE, st.heap_released);
	ok &= T_EQ(a_pages * GA_PAGE_SIZE, st.heap_sys);

owners:
	for (ga_owner *o = heap->owners; o; o = o->next)
	{
		nowners++;
		owner_pages += o->npages;
		ok &= t_check_owner(o, o->mem_mirror);
	}
	ok &= T_EQ(nowners, st.nowners);
	ok &= T_EQ(owner_pages + cached_pages + pool_pages, inuse_pages);

	t_spans_free(&sp);
	return ok;
}

typedef struct obj_acc
{
	ga_owner   *owner;
	size_t		n,
				bytes;
	bool		ok;
} obj_acc;

static bool
visit_obj(void *arg, void *payload, size_t slot)
{
	obj_acc    *a = arg;

	a->n++;
	a->bytes += slot;
	if (!T_CHECK(ga_owns(a->owner, payload)) ||
		!T_EQ(ga_chunk_size(a->owner, payload), slot))
	{
		fprintf(stderr, "  (walked object %p, slot %zu, object #%zu)\n",
				payload, slot, a->n);
		a->ok = false;
		return false;
	}
	return true;
}

/*
 * What the fast free reads of a small span without checking it: a bitmap
 * with alloc_count bits set and none at or past nelems (ga_types.h: bit
 * nelems is read without a compare), and the place of its class's free
 * list in the owner (ga_owner_freelist).
 */
static bool
check_small_span(const ga_span *s)
{
	unsigned	set = 0;
	bool		ok = true;

	for (unsigned w = 0; w < GA_BITMAP_WORDS; w++)
	{
		uint64_t	past = w * 64 >= s->nelems ? ~UINT64_C(0) :
			s->nelems - w * 64 >= 64 ? 0 : ~UINT64_C(0) << (s->nelems - w * 64);

		ok &= T_EQ(s->alloc_bits[w] & past, 0);
		set += (unsigned) __builtin_popcountll(s->alloc_bits[w]);
	}
	ok &= T_EQ(set, s->alloc_count);
	ok &= T_EQ(s->freelist_words, s->sizeclass * GA_FREELIST_WORDS);
	ok &= T_CHECK(ga_owner_freelist(s->owner, s) ==
				  &s->owner->mc->freelist[s->sizeclass]);
	return ok;
}

/*
 * Every small span's free_trigger goes with its state (ga_types.h), and
 * lies where the frees to come will meet it; its bitmap is well formed.
 */
static bool
check_triggers(const ga_owner *owner)
{
	bool		ok = true;

	for (int c = 1; c < GA_NUM_CLASSES; c++)
	{
		const ga_span *s = owner->mc->freelist[c].span;

		if (s->owner != NULL)
		{
			ok &= T_EQ(s->free_trigger, GA_NO_TRIGGER);
			ok &= check_small_span(s);
		}
		for (s = owner->mc->central[c].full; s != NULL; s = s->next)
		{
			ok &= T_EQ(s->free_trigger, s->nelems - s->partial_at);
			ok &= T_CHECK(s->alloc_count > s->free_trigger);
			ok &= check_small_span(s);
		}
		for (s = owner->mc->central[c].partial; s != NULL; s = s->next)
		{
			ok &= T_EQ(s->free_trigger, 0);
			ok &= T_CHECK(s->alloc_count > 0);
			ok &= check_small_span(s);
		}
	}
	/* the fast path declines a large span: no bit, or (packed) no divmul */
	for (const ga_span *s = owner->large; s != NULL; s = s->next)
		ok &= s->packed_stride == 0 ? T_EQ(s->alloc_bits[0], 0) :
			T_EQ(s->divmul, 0);
	return ok;
}

/*
 * ga_owner_reset's fast path (owner.c): a class allocated from since the
 * last reset that never reached alloc_slow has its window in word 0 of a
 * real mcache span, never wrapped, and no allocated slot past word 0; and
 * whatever else a reset must do is flagged by GA_RESET_REST.
 */
static bool
check_fast_reset(const ga_owner *owner)
{
	uint64_t	fast = owner->dirty & ~owner->reset_full;
	bool		rest = (owner->reset_full & GA_RESET_REST) != 0;
	bool		ok = true;

	if (owner->dirty_high != 0 || owner->large != NULL ||
		owner->mc->mcache_pages > owner->keep_pages)
		ok &= T_CHECK(rest);

	for (; fast != 0; fast &= fast - 1)
	{
		int			c = __builtin_ctzll(fast);
		const ga_span *s = owner->mc->freelist[c].span;

		if (!T_CHECK(s->owner == owner))
		{
			fprintf(stderr, "  (fast-reset class %d has no mcache span)\n", c);
			return false;
		}
		ok &= T_CHECK(s->window_base == 0);
		ok &= T_CHECK(!s->swept_end);
		for (unsigned w = 1; w < GA_BITMAP_WORDS; w++)
			ok &= T_EQ(s->alloc_bits[w], 0);
	}
	return ok;
}

/*
 * Every free list (ga_types.h): count slots, at most limit, each a slot
 * start of a span of this owner and class whose bit is still set, each
 * one's first word a link.  (A slot listed twice makes a cycle: the walk
 * then counts past count.)
 */
static bool
check_freelists(const ga_owner *owner)
{
	bool		ok = true;

	for (int c = 1; c < GA_NUM_CLASSES; c++)
	{
		const ga_freelist *fl = &owner->mc->freelist[c];
		const char *p;
		uint32_t	n = 0;

		ok &= T_CHECK(ga_freelist_limit(fl) == ga_class_freelist_limit[c] ||
					  ga_freelist_limit(fl) == 0);
		ok &= T_LE(ga_freelist_room(fl), ga_freelist_limit(fl));
		for (p = fl->head; p != NULL && n <= ga_freelist_count(fl);
			 p = ga_link_next(owner, p))
		{
			const ga_span *s;
			uintptr_t	off;
			unsigned	idx;

			n++;
			if (!T_CHECK((uintptr_t) p - owner->map.region_base <
						 owner->map.region_size))
				return false;
			s = owner->map.spans_map[((uintptr_t) p - owner->map.region_base) >>
									 GA_PAGE_SHIFT];
			if (!T_CHECK(s != NULL && s->owner == owner) ||
				!T_EQ(s->sizeclass, c))
				return false;
			off = (uintptr_t) p - s->base - owner->hdr;
			idx = (unsigned) (off / s->elemsize);
			ok &= T_EQ(off, (uintptr_t) idx * s->elemsize);
			ok &= T_CHECK((s->alloc_bits[idx >> 6] >> (idx & 63)) & 1);
			ok &= T_CHECK(ga_link_suspect(owner, p));
			if (owner->list_mark != 0)
			{
				uintptr_t	w;

				memcpy(&w, p - sizeof(w), sizeof(w));
				ok &= T_EQ(w, owner->list_mark);	/* marked lists */
			}
		}
		ok &= T_EQ(n, ga_freelist_count(fl));
		/* a listed slot was allocated since the last reset: a reset visits */
		if (ga_freelist_count(fl) > 0)
			ok &= T_CHECK(c < 64 ? ((owner->dirty | owner->reset_full) >> c) & 1 :
						  (owner->dirty_high >> (c - 64)) & 1);
	}
	return ok;
}

/*
 * The owner's nursery blocks (nursery.c): each an allocated block of the
 * heap's pool, this owner's, its bitmaps consistent with its top; adds its
 * live chunks to live[], objects and bytes as slots of their class.
 */
static bool
check_nursery(ga_owner *owner, uint64_t *live, size_t *objects,
			  size_t *bytes)
{
	ga_owner   *pool = &owner->heap->nursery_pool;
	size_t		held = 0;
	bool		ok = true;

	for (ga_nblock *b = owner->nursery; b != NULL; b = b->next)
	{
		uint32_t	nlive = 0;
		uint32_t	last = 0;

		held += b->size;
		ok &= T_CHECK(b->owner == owner);
		ok &= T_CHECK(ga_owns(pool, b));
		ok &= T_EQ(ga_chunk_size(pool, b), b->size);
		ok &= T_LE(b->first, b->top);
		ok &= T_LE(b->top, b->size);
		ok &= T_EQ(b->top % 8, 0);
		for (uint32_t g = 0; g < b->size / 8; g++)
		{
			bool		st = (GA_NBLOCK_WORD(b, GA_NBLOCK_STARTS, g / 64) >> (g % 64)) & 1;
			bool		lv = (GA_NBLOCK_WORD(b, GA_NBLOCK_LIVE, g / 64) >> (g % 64)) & 1;

			if (lv && !st)
				ok &= T_FAIL("nursery: live granule %u starts no chunk", g);
			if (st && (g * 8 < b->first || g * 8 >= b->top))
				ok &= T_FAIL("nursery: chunk start %u outside [first, top)", g);
			if (st)
				last = g;
			if (lv)
			{
				uint32_t	e = g + 1;
				size_t		n;

				while (e * 8 < b->top &&
					   !((GA_NBLOCK_WORD(b, GA_NBLOCK_STARTS, e / 64) >> (e % 64)) & 1))
					e++;
				n = (size_t) (e - g) * 8;
				ok &= T_EQ(ga_class_size[t_expected_class(n)], n);
				live[t_expected_class(n)]++;
				(*objects)++;
				*bytes += n;
				nlive++;
			}
		}
		ok &= T_EQ(nlive, b->nlive);
		/* the top chunk is live: a free of the last chunk lowers the top */
		if (b->top > b->first)
			ok &= T_CHECK((GA_NBLOCK_WORD(b, GA_NBLOCK_LIVE, last / 64) >> (last % 64)) & 1);
		if (b != owner->nursery)
			ok &= T_CHECK(b->nlive > 0);	/* older blocks go when empty */
	}
	ok &= T_EQ(held, owner->nursery_bytes);
	ok &= T_LE(held, GA_NURSERY_MAX);
	return ok;
}

bool
t_check_owner(ga_owner *owner, const size_t *mirror)
{
	ga_owner_stats os;
	t_spans		sp = {0};
	size_t		pages = 0,
				objects = 0,
				bytes = 0;
	uint64_t	live[GA_NUM_CLASSES] = {0};
	int			nmcache[GA_NUM_CLASSES] = {0};
	ga_class_counts counts[GA_NUM_CLASSES];
	obj_acc		oa = {owner, 0, 0, true};
	bool		ok = true;

	ga_owner_read_stats(owner, &os);
	ok &= T_EQ(os.objects, os.mallocs - os.frees);
	ok &= T_EQ(os.span_bytes, os.npages * GA_PAGE_SIZE);
	t_owner_spans(owner, &sp);
	ok &= T_EQ(sp.n, os.nspans);
	for (size_t i = 0; i < sp.n; i++)
	{
		const ga_span_info *s = &sp.v[i];

		ok &= T_CHECK(s->owner == owner);
		ok &= T_CHECK(s->state != GA_SPAN_CACHED);
		ok &= check_span(s);
		if (s->sizeclass >= GA_NUM_CLASSES)
			continue;
		pages += s->npages;
		objects += s->allocated;
		bytes += (size_t) s->allocated * s->elemsize;
		live[s->sizeclass] += s->allocated;
		if (s->state == GA_SPAN_MCACHE)
		{
			nmcache[s->sizeclass]++;
			ok &= T_EQ(owner->mc->freelist[s->sizeclass].span->base, s->base);
		}
	}
	ok &= T_EQ(pages, os.npages);
	ok &= check_nursery(owner, live, &objects, &bytes);
	ok &= T_EQ(os.nursery_bytes, owner->nursery_bytes);
	ok &= T_EQ(os.held_bytes, os.span_bytes + os.nursery_bytes);
	ok &= T_EQ(objects, os.objects);
	ok &= T_EQ(bytes, os.alloc_bytes);
	ga_owner_read_class_counts(owner, counts);
	for (int c = 0; c < GA_NUM_CLASSES; c++)
	{
		ok &= T_LE(nmcache[c], 1);
		ok &= T_LE(counts[c].frees, counts[c].mallocs);
		if (!T_EQ(counts[c].mallocs - counts[c].frees, live[c]))
		{
			fprintf(stderr, "  (owner class %d)\n", c);
			ok = false;
		}
	}
	ok &= check_triggers(owner);
	ok &= check_fast_reset(owner);
	ok &= check_freelists(owner);
	if (mirror)
		ok &= T_EQ(*mirror, os.held_bytes);
	ok &= T_EQ(ga_owner_is_empty(owner), os.objects == 0);
	ga_owner_walk_objects(owner, visit_obj, &oa);
	ok &= oa.ok;
	ok &= T_EQ(oa.n, os.objects);
	ok &= T_EQ(oa.bytes, os.alloc_bytes);
	t_spans_free(&sp);
	return ok;
}

bool
t_heap_stats_equal(const ga_heap_stats *a, const ga_heap_stats *b)
{
	ga_heap_stats bb = *b;

	bb.frees_slow = a->frees_slow;	/* every bad free passes ga_free_slow */
	return memcmp(a, &bb, sizeof(*a)) == 0;
}

bool
t_owner_stats_equal(const ga_owner_stats *a, const ga_owner_stats *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}
