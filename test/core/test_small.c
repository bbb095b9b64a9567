/*
 * Spans, mcache and mcentral: the small-object path.
 */
#include "t_core.h"

#include <stdlib.h>
#include <string.h>

static t_errs errs;

/* The span of the owner containing p (by walk); 0 base if none. */
static ga_span_info
span_of(ga_owner *o, const void *p)
{
	t_spans		sp = {0};
	ga_span_info r;
	uintptr_t	a = (uintptr_t) p;

	memset(&r, 0, sizeof(r));
	t_owner_spans(o, &sp);
	for (size_t i = 0; i < sp.n; i++)
		if (a >= sp.v[i].base && a < sp.v[i].base + sp.v[i].npages * GA_PAGE_SIZE)
			r = sp.v[i];
	t_spans_free(&sp);
	return r;
}

static uint64_t
os_objects(ga_owner *o)
{
	ga_owner_stats s;

	ga_owner_read_stats(o, &s);
	return s.objects;
}

static int
cmp_ptr(const void *a, const void *b)
{
	uintptr_t	x = *(const uintptr_t *) a,
				y = *(const uintptr_t *) b;

	return x < y ? -1 : x > y;
}

/* Every class, hdr 8 and 16: a span fills slot by slot, then a new one. */
static void
test_fill_span_every_class(void)
{
	for (size_t hdr = 8; hdr <= 16; hdr += 8)
	{
		ga_heap    *h = t_heap(&errs);

		for (int c = 1; c < GA_NUM_CLASSES; c++)
		{
			ga_owner	o;
			size_t		size = ga_class_size[c];
			size_t		req = size - hdr;
			uint32_t	n = ga_class_nelems[c];
			uintptr_t  *v = calloc(n + 1, sizeof(uintptr_t));
			ga_span_info s0,
						s1;
			ga_owner_stats os;
			ga_class_counts cc[GA_NUM_CLASSES];

			if (size <= hdr)
			{
				free(v);
				continue;
			}
			ga_owner_init(&o, h, hdr, GA_DEFAULT_KEEP);
			for (uint32_t i = 0; i <= n; i++)
			{
				char	   *p = ga_alloc(&o, req);

				if (!T_CHECK(p != NULL))
					break;
				v[i] = (uintptr_t) p;
				T_EQ(v[i] % 8, 0);
				T_EQ(ga_chunk_size(&o, p), size);
				T_CHECK(ga_owns(&o, p));
				memset(p - hdr, 0x5a, size);	/* the whole slot is ours */
			}
			s0 = span_of(&o, (void *) v[0]);
			s1 = span_of(&o, (void *) v[n]);
			T_EQ(s0.sizeclass, c);
			T_EQ(s0.npages, ga_class_npages[c]);
			T_EQ(s0.allocated, n);
			T_EQ(s0.state, GA_SPAN_FULL);
			T_NE(s0.base, s1.base);
			T_EQ(s1.allocated, 1);
			T_EQ(s1.state, GA_SPAN_MCACHE);
			/* the first n fill every slot of span 0 exactly once */
			qsort(v, n, sizeof(uintptr_t), cmp_ptr);
			for (uint32_t i = 0; i < n; i++)
				if (!T_EQ(v[i] - hdr, s0.base + (size_t) i * size))
					break;
			ga_owner_read_stats(&o, &os);
			T_EQ(os.nspans, 2);
			T_EQ(os.npages, 2 * ga_class_npages[c]);
			T_EQ(os.objects, n + 1);
			T_EQ(os.alloc_bytes, (size_t) (n + 1) * size);
			ga_owner_read_class_counts(&o, cc);
			T_EQ(cc[c].mallocs, n + 1);
			t_check_heap(h);
			ga_owner_destroy(&o);
			free(v);
		}
		t_check_heap(h);
		ga_heap_destroy(h);
	}
	T_EQ(errs.n, 0);
}

/*
 * Slot reuse: a freed slot goes on the class's free list and the list is
 * last in, first out; a slot freed for real (here, by flushing the list)
 * comes back when the sweep wraps at the end of the span (before any new
 * span is taken).
 */
static void
test_sweep_reuse(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	void	   *p[80],
			   *q;
	unsigned	c = ga_size_class(100 + 8);
	unsigned	n = ga_class_nelems[c];
	ga_owner_stats os;

	T_CHECK(n == 73 && n <= 80);
	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	for (int i = 0; i < 10; i++)
		p[i] = ga_alloc(&o, 100);
	ga_free(&o, p[3]);
	T_CHECK(!ga_owns(&o, p[3]));
	T_EQ(ga_freelist_count(&o.mc->freelist[c]), 1);

	/* the list: the next allocation of the class */
	T_CHECK((q = ga_alloc(&o, 100)) == p[3]);
	T_CHECK(ga_owns(&o, q));
	T_EQ(ga_freelist_count(&o.mc->freelist[c]), 0);
	ga_free(&o, p[3]);
	ga_owner_read_stats(&o, &os);
	T_EQ(os.objects, 9);
	t_check_owner(&o, NULL);

	/* last in, first out */
	ga_free(&o, p[2]);
	ga_free(&o, p[7]);
	T_CHECK(!ga_owns(&o, p[2]) && !ga_owns(&o, p[7]));
	T_CHECK((q = ga_alloc(&o, 100)) == p[7]);
	T_CHECK((q = ga_alloc(&o, 100)) == p[2]);
	T_EQ(ga_freelist_count(&o.mc->freelist[c]), 1);	/* p[3] */
	t_check_owner(&o, NULL);

	/* flushed, p[3] is really free: its bit is clear */
	ga_owner_flush_freelists(&o);
	T_EQ(ga_freelist_count(&o.mc->freelist[c]), 0);
	T_CHECK(!ga_owns(&o, p[3]));
	ga_owner_read_stats(&o, &os);
	T_EQ(os.mallocs, 13);		/* a flush allocates nothing */
	T_EQ(os.objects, 9);
	t_check_owner(&o, NULL);

	/* behind the window: the sweep goes on forward */
	q = ga_alloc(&o, 100);
	T_CHECK(q == (char *) p[9] + ga_class_size[c]);
	p[10] = q;
	for (unsigned i = 11; i < n; i++)
		p[i] = ga_alloc(&o, 100);
	ga_owner_read_stats(&o, &os);
	T_EQ(os.nspans, 1);

	/* at the end, with no other span, the sweep wraps to the freed slot */
	q = ga_alloc(&o, 100);
	T_CHECK(q == p[3]);
	p[3] = q;
	ga_owner_read_stats(&o, &os);
	T_EQ(os.nspans, 1);

	/* anywhere in the span: the very next allocation */
	ga_free(&o, p[20]);
	T_CHECK((q = ga_alloc(&o, 100)) == p[20]);
	p[20] = q;
	for (int i = 0; i < 5; i++)
	{
		ga_free(&o, p[30]);
		T_CHECK((q = ga_alloc(&o, 100)) == p[30]);
		p[30] = q;
	}

	/* the span is full again: the next allocation takes a new span */
	q = ga_alloc(&o, 100);
	T_CHECK(q != NULL && !(q >= p[0] && q <= p[n - 1]));
	ga_owner_read_stats(&o, &os);
	T_EQ(os.nspans, 2);
	t_check_owner(&o, NULL);
	t_check_heap(h);
	ga_owner_destroy(&o);
	ga_heap_destroy(h);			/* and the mcache the heap keeps */
}

/*
 * Cache colouring: after a reset, the first object of each class lies at
 * a different L1 set (64-byte line of the 4 KiB page), not at the start of
 * its page as the spans do, where they would all compete for one set.
 */
static void
test_reset_colours(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	bool		seen[64] = {false};
	int			distinct = 0;
	int			nclasses = 0;

	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	for (int c = 2; c < GA_NUM_CLASSES && ga_class_size[c] <= 512; c++)
		(void) ga_alloc(&o, ga_class_size[c] - 8);
	ga_owner_reset(&o);
	for (int c = 2; c < GA_NUM_CLASSES && ga_class_size[c] <= 512; c++)
	{
		char	   *p = ga_alloc(&o, ga_class_size[c] - 8);
		unsigned	set = (unsigned) (((uintptr_t) p - 8) >> 6) & 63;

		T_CHECK(ga_size_class(ga_class_size[c]) == (unsigned) c);
		distinct += !seen[set];
		seen[set] = true;
		nclasses++;
	}
	/* 25 classes from 16 to 512 bytes: 14 sets (uncoloured: 1) */
	T_EQ(nclasses, 25);
	T_LE(12, distinct);
	t_check_owner(&o, NULL);
	ga_owner_destroy(&o);
	t_check_heap(h);
	ga_heap_destroy(h);
}

/*
 * The free list's bound and its links (ga_types.h): a class's list takes
 * limit slots and frees the rest for real; a chunk whose first word
 * happens to decode like a link is freed all the same; an allocation from
 * the list zeroes the word.
 */
static void
test_freelist(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	unsigned	c = ga_size_class(48 + 8);
	uint32_t	limit = ga_class_freelist_limit[c];
	void	   *p[40];
	uintptr_t	w;
	ga_owner_stats os;

	T_EQ(limit, GA_FREELIST_MAX);
	T_EQ(ga_class_freelist_limit[ga_size_class(1024)], GA_FREELIST_BYTES / 1024);
	T_EQ(ga_class_freelist_limit[GA_NUM_CLASSES - 1], 1);
	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	T_CHECK(limit + 5 <= 40);
	for (uint32_t i = 0; i < limit + 5; i++)
		p[i] = ga_alloc(&o, 48);
	for (uint32_t i = 0; i < limit + 5; i++)
		ga_free(&o, p[i]);
	T_EQ(ga_freelist_count(&o.mc->freelist[c]), limit);
	T_EQ(o.mc->freelist[c].span->alloc_count, limit);	/* the last 5 went for real */
	ga_owner_read_stats(&o, &os);
	T_EQ(os.objects, 0);
	T_CHECK(ga_owner_is_empty(&o));
	t_check_owner(&o, NULL);
	/* last in, first out: the list's head is the last slot it took */
	T_CHECK(ga_alloc(&o, 48) == p[limit - 1]);
	T_EQ(ga_link_word(p[limit - 1]), 0);
	T_CHECK(ga_alloc(&o, 48) == p[limit - 2]);

	/* data that decodes like a link: the end of a list, an address */
	w = o.link_key;
	memcpy(p[limit - 1], &w, sizeof(w));
	w = (uintptr_t) p[limit - 2] ^ o.link_key;
	memcpy(p[limit - 2], &w, sizeof(w));
	T_CHECK(ga_link_suspect(&o, p[limit - 1]) && ga_link_suspect(&o, p[limit - 2]));
	T_CHECK(ga_owns(&o, p[limit - 1]) && ga_owns(&o, p[limit - 2]));
	ga_free(&o, p[limit - 1]);
	ga_free(&o, p[limit - 2]);
	T_EQ(errs.n, 0);
	T_CHECK(!ga_owns(&o, p[limit - 1]) && !ga_owns(&o, p[limit - 2]));
	T_EQ(ga_freelist_count(&o.mc->freelist[c]), limit);
	t_check_owner(&o, NULL);

	/* a reset forgets the list */
	ga_alloc(&o, 48);
	T_CHECK(ga_freelist_count(&o.mc->freelist[c]) > 1);
	ga_owner_reset(&o);
	T_EQ(ga_freelist_count(&o.mc->freelist[c]), 0);
	T_CHECK(o.mc->freelist[c].head == NULL);
	t_check_owner(&o, NULL);

	/*
	 * ... but not the links its slots hold.  The sweep hands those slots
	 * out again; one freed without its first word written (or with only
	 * its low byte written, as a one-byte string would) must not look
	 * listed, or every such free would scan the list.
	 */
	{
		int			suspects = 0;

		for (uint32_t i = 0; i < limit + 5; i++)
		{
			p[i] = ga_alloc(&o, 48);
			if (i % 2)
				*(char *) p[i] = 'x';
			suspects += ga_link_suspect(&o, p[i]);
		}
		T_EQ(suspects, 0);
		for (uint32_t i = 0; i < limit + 5; i++)
			ga_free(&o, p[i]);
		T_EQ(errs.n, 0);
		T_EQ(ga_freelist_count(&o.mc->freelist[c]), limit);
		t_check_owner(&o, NULL);
	}
	ga_owner_destroy(&o);

	/* without free lists, every free is a real one */
	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	ga_owner_disable_freelists(&o);
	p[0] = ga_alloc(&o, 48);
	ga_free(&o, p[0]);
	T_EQ(ga_freelist_count(&o.mc->freelist[c]), 0);
	T_EQ(o.mc->freelist[c].span->alloc_count, 0);
	ga_free(&o, p[0]);
	T_EQ(errs.n, 1);			/* the bit test */
	errs.n = 0;
	t_check_owner(&o, NULL);
	ga_owner_destroy(&o);
	t_check_heap(h);
	ga_heap_destroy(h);
}

/*
 * Marked lists (ga_owner_set_list_mark): a listed payload gets the mark in
 * the word before it, by the inline free and by the core's own frees (a
 * realloc that moves); the marked fast paths leave a popped payload's link
 * and serve it as any live chunk; ga_heap_report_listed tells what a marked
 * pointer is.
 */
static void
test_marked_lists(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	ga_owner	o0;
	const uintptr_t mark = UINT64_C(0x5EED5EED5EED5EE0);
	unsigned	c = ga_size_class(48 + 8);
	uint64_t	word;
	char	   *p,
			   *q,
			   *r;
	char		outside[16];

	ga_owner_init(&o0, h, 0, GA_DEFAULT_KEEP);
	T_CHECK(!ga_owner_set_list_mark(&o0, mark));	/* no header word */
	ga_owner_destroy(&o0);
	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	T_CHECK(!ga_owner_set_list_mark(&o, 0));
	T_CHECK(ga_owner_set_list_mark(&o, mark));

	p = ga_alloc(&o, 48);
	q = ga_alloc(&o, 48);		/* keeps the span in use */
	memset(p - 8, 0xAB, 8);		/* the embedder's header word */
	ga_free_marked(&o.map, &o, p, 8, mark);
	memcpy(&word, p - 8, sizeof(word));
	T_EQ(word, mark);
	T_EQ(ga_freelist_count(&o.mc->freelist[c]), 1);
	T_CHECK(!ga_owns(&o, p));	/* listed: free to the caller */

	/* popped by the marked fast path: its link stays, it is live */
	r = ga_alloc_fast_marked(&o, 48, 8);
	T_CHECK(r == p);
	T_CHECK(ga_link_suspect(&o, r));	/* the end of the list, kept */
	T_CHECK(ga_owns(&o, r));
	T_EQ(ga_chunk_size_marked(&o.map, &o, r, 8), ga_class_size[c]);
	T_EQ(ga_chunk_size(&o, r), ga_class_size[c]);	/* after a scan */
	T_CHECK(ga_realloc(&o, r, 50) == r);
	ga_free_marked(&o.map, &o, r, 8, mark);
	T_EQ(errs.n, 0);
	T_EQ(ga_freelist_count(&o.mc->freelist[c]), 1);

	/* what the embedder's marker asks: a listed chunk is a double free */
	ga_heap_report_listed(h, p);
	T_EQ(errs.n, 1);
	T_EQ(errs.kind, GA_ERR_DOUBLE_FREE);
	T_CHECK(errs.owner == &o);
	ga_heap_report_listed(h, outside);
	T_EQ(errs.n, 2);
	T_EQ(errs.kind, GA_ERR_NOT_IN_HEAP);
	T_CHECK(errs.owner == NULL);
	errs.n = 0;

	/* a realloc that moves frees the old slot by the core's own path */
	r = ga_alloc(&o, 48);
	T_CHECK(r == p);
	memset(r - 8, 0xAB, 8);
	r = ga_realloc(&o, r, 200);
	T_CHECK(r != NULL && r != p);
	memcpy(&word, p - 8, sizeof(word));
	T_EQ(word, mark);
	T_EQ(ga_freelist_count(&o.mc->freelist[c]), 1);
	ga_free_marked(&o.map, &o, r, 8, mark);
	ga_free_marked(&o.map, &o, q, 8, mark);
	T_EQ(errs.n, 0);
	t_check_owner(&o, NULL);

	/*
	 * ga_realloc_marked: a live slot that grows moves, its bytes copied and
	 * its slot listed with the mark, as ga_realloc's move; a size that fits
	 * the slot and a bad pointer go to ga_realloc
	 */
	r = ga_alloc(&o, 48);
	q = ga_alloc(&o, 48);		/* keeps the span in use */
	p = r;
	memset(r, 0x5A, 48);
	T_CHECK(ga_realloc_marked(&o.map, &o, r, 50, 8, mark) == r);
	r = ga_realloc_marked(&o.map, &o, r, 300, 8, mark);
	T_CHECK(r != NULL && r != p);
	T_CHECK(ga_owns(&o, r) && !ga_owns(&o, p));
	T_EQ(ga_chunk_size(&o, r), ga_class_size[ga_size_class(300 + 8)]);
	for (int i = 0; i < 48; i++)
		T_EQ(((unsigned char *) r)[i], 0x5A);
	memcpy(&word, p - 8, sizeof(word));
	T_EQ(word, mark);
	T_EQ(ga_freelist_count(&o.mc->freelist[c]), 1);
	T_EQ(errs.n, 0);
	T_CHECK(ga_realloc_marked(&o.map, &o, r + 8, 500, 8, mark) == NULL);
	T_EQ(errs.n, 1);
	T_EQ(errs.kind, GA_ERR_NOT_CHUNK_START);
	errs.n = 0;
	T_CHECK(ga_realloc_marked(&o.map, &o, outside + 8, 500, 8, mark) == NULL);
	T_EQ(errs.n, 1);
	T_EQ(errs.kind, GA_ERR_NOT_IN_HEAP);
	errs.n = 0;
	ga_free_marked(&o.map, &o, r, 8, mark);
	ga_free_marked(&o.map, &o, q, 8, mark);
	t_check_owner(&o, NULL);

	/* the mark goes with ga_owner_reuse, which clears it */
	ga_owner_recycle(&o);
	ga_owner_reuse(&o, 8, GA_DEFAULT_KEEP);
	T_EQ(o.list_mark, 0);
	ga_owner_destroy(&o);
	t_check_heap(h);
	ga_heap_destroy(h);
}

/*
 * Slots freed anywhere in the mcache span (also above the allocation
 * window) are all found again before a new span is taken.
 */
static void
test_reuse_before_new_span(void)
{
	ga_heap    *h = t_heap(&errs);
	t_rng		r = {42};

	for (int c = 1; c < GA_NUM_CLASSES; c += 3)
	{
		ga_owner	o;
		uint32_t	n = ga_class_nelems[c];
		size_t		req = ga_class_size[c] - 8;
		void	  **v = calloc(n, sizeof(void *));
		size_t		nfree = 0;
		ga_owner_stats a,
					b;

		if (n < 2 || req == 0)	/* size 0 is served as 1: class 2 */
		{
			free(v);
			continue;
		}
		ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
		for (uint32_t i = 0; i + 1 < n; i++)	/* leave one slot free */
			v[i] = ga_alloc(&o, req);
		/* free a random half, in random order, incl. slots above the window */
		for (uint32_t i = 0; i + 1 < n; i++)
			if (t_below(&r, 2))
			{
				ga_free(&o, v[i]);
				v[i] = NULL;
				nfree++;
			}
		ga_owner_read_stats(&o, &a);
		for (size_t i = 0; i < nfree + 1; i++)
			T_CHECK(ga_alloc(&o, req) != NULL);
		ga_owner_read_stats(&o, &b);
		if (!T_EQ(b.npages, a.npages))
			fprintf(stderr, "  class %d: a new span although %zu slots were free\n",
					c, nfree + 1);
		T_EQ(b.objects, (uint64_t) n);
		t_check_owner(&o, NULL);
		ga_owner_destroy(&o);
		free(v);
	}
	t_check_heap(h);
	ga_heap_destroy(h);
	T_EQ(errs.n, 0);
}

/*
 * mcentral: a full span becomes partial once partial_at of its slots are
 * free for real; the mcache takes partial spans before new pages; an empty
 * span that is not the mcache's goes back to the heap.
 */
static void
test_mcentral_transitions(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	int			c = 20;			/* 320 B, 25 per span */
	size_t		req = ga_class_size[c] - 8;
	uint32_t	n = ga_class_nelems[c];
	void	  **v = calloc(3 * n, sizeof(void *));
	ga_span_info s;
	ga_owner_stats a,
				b;
	ga_heap_stats ha,
				hb;

	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	for (uint32_t i = 0; i < 3 * n; i++)
		v[i] = ga_alloc(&o, req);
	/* spans 0 and 1 full (FULL), span 2 full but in the mcache */
	T_EQ(span_of(&o, v[0]).state, GA_SPAN_FULL);
	T_EQ(span_of(&o, v[n]).state, GA_SPAN_FULL);
	T_EQ(span_of(&o, v[2 * n]).state, GA_SPAN_MCACHE);
	T_EQ(span_of(&o, v[2 * n]).allocated, n);

	/*
	 * Frees in span 0: it stays FULL while fewer than partial_at slots are
	 * free (max(1, nelems/8) = 3 here), then turns PARTIAL.
	 */
	for (unsigned k = 0; k < t_partial_at(n); k++)
	{
		T_EQ(span_of(&o, v[0]).state, GA_SPAN_FULL);
		ga_free(&o, v[5 + k]);
	}
	/* the slots freed are on the free list, still allocated in the span */
	T_EQ(span_of(&o, v[0]).state, GA_SPAN_FULL);
	ga_owner_flush_freelists(&o);
	s = span_of(&o, v[0]);
	T_EQ(s.state, GA_SPAN_PARTIAL);
	T_EQ(s.allocated, n - t_partial_at(n));
	t_check_owner(&o, NULL);

	/* the next allocations use those partial slots, not new pages */
	ga_owner_read_stats(&o, &a);
	for (unsigned k = 0; k < t_partial_at(n); k++)
	{
		void	   *q = ga_alloc(&o, req);

		T_CHECK(q >= v[5] && q <= v[5 + t_partial_at(n) - 1]);
	}
	ga_owner_read_stats(&o, &b);
	T_EQ(b.npages, a.npages);
	T_CHECK(span_of(&o, v[5]).state == GA_SPAN_MCACHE ||
			span_of(&o, v[5]).state == GA_SPAN_FULL);

	/* empty span 1 entirely: it leaves the owner */
	ga_owner_read_stats(&o, &a);
	ga_heap_read_stats(h, &ha);
	for (uint32_t i = n; i < 2 * n; i++)
		ga_free(&o, v[i]);
	ga_owner_flush_freelists(&o);
	ga_owner_read_stats(&o, &b);
	ga_heap_read_stats(h, &hb);
	T_EQ(b.nspans, a.nspans - 1);
	T_EQ(b.npages, a.npages - ga_class_npages[c]);
	T_EQ(span_of(&o, v[n]).base, 0);
	T_EQ(hb.heap_objects, ha.heap_objects - n);
	/* the pages went to the span cache or back to the page allocator */
	T_CHECK(hb.span_cache_bytes == ha.span_cache_bytes + ga_class_npages[c] * GA_PAGE_SIZE ||
			hb.heap_idle == ha.heap_idle + ga_class_npages[c] * GA_PAGE_SIZE);
	t_check_owner(&o, NULL);
	t_check_heap(h);

	/*
	 * Span 0 gave its slot to the mcache, so it is the mcache span now;
	 * span 2 is full and in the mcentral.  Holes in span 2 make it partial;
	 * draining it sends it back.  Draining span 0 keeps it (mcache).
	 */
	T_EQ(span_of(&o, v[0]).state, GA_SPAN_MCACHE);
	T_EQ(span_of(&o, v[2 * n]).state, GA_SPAN_FULL);
	for (uint32_t i = 2 * n; i < 3 * n; i += 2)
		ga_free(&o, v[i]);
	ga_owner_flush_freelists(&o);
	T_EQ(span_of(&o, v[2 * n + 1]).state, GA_SPAN_PARTIAL);
	for (uint32_t i = 2 * n + 1; i < 3 * n; i += 2)
		ga_free(&o, v[i]);
	ga_owner_flush_freelists(&o);
	T_EQ(span_of(&o, v[2 * n + 1]).base, 0);
	for (uint32_t i = 0; i < n; i++)
		ga_free(&o, v[i]);
	ga_owner_flush_freelists(&o);
	s = span_of(&o, v[0]);
	T_EQ(s.state, GA_SPAN_MCACHE);
	T_EQ(s.allocated, 0);
	T_CHECK(ga_owner_is_empty(&o));
	t_check_heap(h);

	ga_owner_destroy(&o);
	t_check_heap(h);
	ga_heap_destroy(h);
	free(v);
	T_EQ(errs.n, 0);
}

/* Interleaved classes, objects walk, chunk sizes from the Go rule. */
static void
test_mixed_classes_walk(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o1,
				o2;
	t_rng		r = {7};
	enum
	{
		N = 20000
	};
	void	  **v = calloc(N, sizeof(void *));
	size_t	   *sz = calloc(N, sizeof(size_t));

	ga_owner_init(&o1, h, 8, GA_DEFAULT_KEEP);
	ga_owner_init(&o2, h, 16, GA_DEFAULT_KEEP);
	for (int i = 0; i < N; i++)
	{
		ga_owner   *o = (i & 1) ? &o2 : &o1;

		sz[i] = t_below(&r, 3000);
		v[i] = ga_alloc(o, sz[i]);
		T_EQ(ga_chunk_size(o, v[i]), t_req_slot(sz[i], o->hdr));
		memset(v[i], (int) (i & 0xff), sz[i]);
	}
	t_check_heap(h);
	for (int i = 0; i < N; i += 3)
	{
		ga_owner   *o = (i & 1) ? &o2 : &o1;

		ga_free(o, v[i]);
		v[i] = NULL;
	}
	t_check_heap(h);
	for (int i = 0; i < N; i++)
		if (v[i])
		{
			unsigned char *p = v[i];

			for (size_t k = 0; k < sz[i]; k++)
				if (p[k] != (i & 0xff))
				{
					T_FAIL("object %d byte %zu overwritten", i, k);
					break;
				}
		}
	ga_owner_destroy(&o1);
	ga_owner_destroy(&o2);
	t_check_heap(h);
	ga_heap_destroy(h);
	free(v);
	free(sz);
	T_EQ(errs.n, 0);
}

/* hdr 0 and hdr 64, size 0 and the small/large edge. */
static void
test_hdr_edges(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	size_t		hdrs[] = {0, 8, 16, 24, 64};

	for (size_t k = 0; k < sizeof(hdrs) / sizeof(hdrs[0]); k++)
	{
		size_t		hdr = hdrs[k];
		size_t		sizes[] = {1, 7, 8, 9, 100, 32768 - hdr - 1, 32768 - hdr,
		32768 - hdr + 1};

		ga_owner_init(&o, h, hdr, GA_DEFAULT_KEEP);
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		{
			char	   *p = ga_alloc(&o, sizes[s]);

			if (!T_CHECK(p != NULL))
				continue;
			T_EQ(ga_chunk_size(&o, p), t_expected_slot(sizes[s] + hdr));
			memset(p - hdr, 1, sizes[s] + hdr);
			ga_free(&o, p);
		}
		if (hdr > 0)
		{
			/* size 0 is a chunk of just the header */
			char	   *p = ga_alloc(&o, 0);

			T_CHECK(p != NULL);
			T_EQ(ga_chunk_size(&o, p), t_req_slot(0, hdr));
			ga_free(&o, p);
		}
		t_check_owner(&o, NULL);
		ga_owner_destroy(&o);
	}
	t_check_heap(h);
	ga_heap_destroy(h);
	T_EQ(errs.n, 0);
}

/*
 * Size 0 with a header: the payload is empty and its pointer is the end of
 * the slot.  For the last slot of a span that is the first byte past the
 * span; the chunk must still be owned, sized and freeable.
 */
static void
test_zero_size_last_slot(void)
{
	ga_heap    *h = t_heap(&errs);

	for (size_t hdr = 0; hdr <= 64; hdr += 8)
	{
		ga_owner	o;
		size_t		slot = t_req_slot(0, hdr);
		uint32_t	n = 0;
		void	  **v;
		int			bad = 0;

		for (int c = 1; c < GA_NUM_CLASSES; c++)
			if (ga_class_size[c] == slot)
				n = ga_class_nelems[c];
		v = calloc(n, sizeof(void *));
		ga_owner_init(&o, h, hdr, GA_DEFAULT_KEEP);
		for (uint32_t i = 0; i < n; i++)	/* exactly one span */
			v[i] = ga_alloc(&o, 0);
		for (uint32_t i = 0; i < n; i++)
			if (!ga_owns(&o, v[i]) || ga_chunk_size(&o, v[i]) != slot)
			{
				if (bad++ == 0)
					T_FAIL("hdr %zu: ga_alloc(o, 0) #%u = %p: owned %d, chunk size %zu",
						   hdr, i, v[i], ga_owns(&o, v[i]), ga_chunk_size(&o, v[i]));
			}
		t_check_owner(&o, NULL);
		for (uint32_t i = 0; i < n; i++)
			ga_free(&o, v[i]);
		T_EQ(errs.n, 0);
		T_EQ(os_objects(&o), 0);
		errs.n = 0;
		ga_owner_destroy(&o);
		free(v);
	}
	t_check_heap(h);
	ga_heap_destroy(h);
}

/*
 * frees_slow: a small chunk freed through its owner's map, or the heap's
 * from ga_heap_get_map, never reaches ga_free_slow; a large one does, and
 * so does a small one freed through a map that does not cover it, which
 * the slow path still frees.  (PostgreSQL's GoAllocFree passes a static
 * copy of the map: were it wrong, every pfree would be slow and correct.)
 */
static void
test_frees_slow(void)
{
	ga_heap    *h = t_heap(&errs);
	ga_owner	o;
	ga_map		map;
	ga_map		none = {0, 0, NULL};
	ga_heap_stats hs;
	void	   *v[600];
	void	   *big;
	uint64_t	before;

	ga_owner_init(&o, h, 8, GA_DEFAULT_KEEP);
	ga_heap_get_map(h, &map);
	T_CHECK(map.region_base == o.map.region_base &&
			map.region_size == o.map.region_size &&
			map.spans_map == o.map.spans_map);
	for (int i = 0; i < 600; i++)
		v[i] = ga_alloc(&o, 8 + (size_t) (i % 50) * 16);
	big = ga_alloc(&o, 100000);
	ga_heap_read_stats(h, &hs);
	before = hs.frees_slow;
	for (int i = 0; i < 300; i++)
		ga_free(&o, v[i]);
	for (int i = 300; i < 599; i++)
		ga_free_mapped(&map, &o, v[i], 8);
	ga_heap_read_stats(h, &hs);
	T_EQ(hs.frees_slow, before);
	ga_free(&o, big);
	ga_heap_read_stats(h, &hs);
	T_EQ(hs.frees_slow, before + 1);
	ga_free_mapped(&none, &o, v[599], 8);
	ga_heap_read_stats(h, &hs);
	T_EQ(hs.frees_slow, before + 2);
	T_EQ(errs.n, 0);
	T_EQ(os_objects(&o), 0);
	t_check_owner(&o, NULL);
	ga_owner_destroy(&o);
	t_check_heap(h);
	ga_heap_destroy(h);
}

/*
 * ga_span_format on a struct whose last life left anything in it: the
 * bitmap comes out all 0, the bits past nelems too (ga_types.h: the fast
 * free reads bit nelems when the tail waste holds a slot start), and the
 * window is the class's empty one.  A struct that went back with its
 * objects (a destroy with no span cache) keeps its bitmap.
 */
static void
test_span_format_clears_bitmap(void)
{
	ga_span		s;

	for (int c = 1; c < GA_NUM_CLASSES; c++)
	{
		memset(&s, 0xa5, sizeof(s));
		ga_span_format(&s, (unsigned) c);
		for (unsigned w = 0; w < GA_BITMAP_WORDS; w++)
			T_EQ(s.alloc_bits[w], 0);
		T_EQ(s.alloc_count, 0);
		T_EQ(s.window_base, 0);
		T_EQ(s.alloc_cache, ga_class_empty_cache[c]);
		T_EQ(s.alloc_cache >> 1 >> (s.nelems < 64 ? s.nelems - 1 : 63), 0);
	}
}

int
main(void)
{
	ga_sizeclasses_init();
	T_RUN(test_fill_span_every_class);
	T_RUN(test_sweep_reuse);
	T_RUN(test_freelist);
	T_RUN(test_marked_lists);
	T_RUN(test_reuse_before_new_span);
	T_RUN(test_mcentral_transitions);
	T_RUN(test_mixed_classes_walk);
	T_RUN(test_hdr_edges);
	T_RUN(test_zero_size_last_slot);
	T_RUN(test_reset_colours);
	T_RUN(test_frees_slow);
	T_RUN(test_span_format_clears_bitmap);
	return t_finish();
}
