/*-------------------------------------------------------------------------
 *
 * alloc.c
 *	  Allocation beyond the fast path: refilling an mcache slot, large
 *	  objects, zeroed allocation and realloc.
 *
 * The fast path (ga_alloc in goalloc_core.h) serves a request from the
 * class's free list or from the window of the owner's mcache span for the
 * class.  ga_alloc_any serves the rest: large objects, and small ones when
 * that window is empty (or the class is above the inline fast path's),
 * walking Go's refill order:
 *
 *	1. the rest of the mcache span (the next bitmap words);
 *	2. a partial span of the owner's mcentral for the class;
 *	3. an empty span from the heap's span cache;
 *	4. a fresh span from the page allocator (which may grow the heap by
 *	   an arena, or scavenge to stay under the heap limit).
 *
 * A full mcache span goes to the mcentral's full list on the way.
 *
 * An owner in the nursery (nursery.c) has its small requests served from
 * its blocks first.
 *
 * Large objects (more than 32 KiB with the header) get a span of whole
 * pages of their own, as in Go; objects larger than an arena get an arena
 * of their own (mheap.c).  ga_realloc grows a large chunk in place when the
 * pages after it are free; otherwise it moves it, and a chunk of
 * GA_REMAP_MIN_PAGES pages or more has its pages moved by the OS rather
 * than copied (move_large).
 *
 * Packed large objects.  A span of its own loses the tail of its last
 * page: PostgreSQL's hash join allocates its tuples in chunks of 32,800
 * bytes (32 KiB and a header), 32,808 with goalloc's, and each took five
 * pages, 40,960 bytes, a fifth of them lost (and in RSS, the 4 KiB OS page
 * after the chunk's end).  A size an owner asks for twice in a row whose
 * span of its own would lose more than 1/16 of itself is packed instead:
 * slots of its stride (the size with the header, rounded up to 64 bytes)
 * in a span of 2 to 4 of them, the fewest whose tail is at most 1/16 of
 * the span (hash join's: 4 slots of 32,832 bytes in 17 pages, 5.7 %
 * lost).  When that span is full and the owner asks for the stride again,
 * the next span has twice as many slots, up to 1 MiB of them
 * (ga_packed_slots_max): a hash table of many chunks ends in spans of 31,
 * whose tail is 0.6 %, and whose slots touch 0.2 % more OS pages than they
 * hold, where spans of 4 touch 2.9 % more.  A packed span is a large
 * span (class 0, on the owner's large list) with nelems slots,
 * packed_stride, a bit per live slot and divmul 0, which ga_free's fast
 * path declines: its frees divide, in ga_free_slow.  New objects come from
 * one of them (owner->packed); a span whose last object goes is given
 * back.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "ga_internal.h"

static void *
take_slot(ga_owner *o, ga_span *s, unsigned c, unsigned idx)
{
	s->alloc_bits[idx >> 6] |= UINT64_C(1) << (idx & 63);
	s->alloc_count++;
	o->mallocs[c]++;
	if (c < 64)
		o->dirty |= UINT64_C(1) << c;
	else
		o->dirty_high |= UINT64_C(1) << (c - 64);
	return (char *) (s->base + (size_t) idx * s->elemsize) + o->hdr;
}

static void *
alloc_slow(ga_owner *o, unsigned c)
{
	ga_span    *s = o->mc->freelist[c].span;
	int			idx;

	/* whatever happens below, the window leaves word 0 (owner.c's reset) */
	o->reset_full |= c < 64 ? UINT64_C(1) << c : GA_RESET_REST;
	if (s != &ga_empty_span)
	{
		unsigned	nfree;

		idx = ga_span_next_free(s);
		if (idx >= 0)
			return take_slot(o, s, c, (unsigned) idx);

		/*
		 * The sweep reached the end.  Wrap it back to slot 0 if at least
		 * partial_at (1/8) of the span is free, or there is no other span
		 * to go to; otherwise give the span to the mcentral (full if fewer
		 * than partial_at slots are free), behind the partial list's head
		 * so that the refill below takes another span.
		 */
		nfree = s->nelems - s->alloc_count;
		if (nfree > 0 &&
			(nfree >= s->partial_at || o->mc->central[c].partial == NULL))
		{
			ga_span_prepare(s);
			idx = ga_span_next_free(s);
			return take_slot(o, s, c, (unsigned) idx);
		}
		o->mc->freelist[c].span = &ga_empty_span;
		o->mc->mcache_pages -= s->npages;
		if (nfree < s->partial_at)
		{
			ga_span_set_state(s, GA_SPAN_FULL);
			ga_list_push(&o->mc->central[c].full, s);
		}
		else
		{
			ga_span_set_state(s, GA_SPAN_PARTIAL);
			ga_list_push_second(&o->mc->central[c].partial, s);
		}
	}

	s = ga_list_pop(&o->mc->central[c].partial);
	if (s == NULL)
	{
		s = ga_heap_get_class_span(o->heap, c);
		if (s == NULL)
			return NULL;
		s->owner = o;
		o->nspans++;
		ga_owner_add_pages(o, (ptrdiff_t) s->npages);
		ga_used_set(o, c);
	}
	ga_span_set_state(s, GA_SPAN_MCACHE);
	ga_span_prepare(s);
	o->mc->freelist[c].span = s;
	o->mc->mcache_pages += s->npages;
	if (o->mc->mcache_pages > o->keep_pages)
		o->reset_full |= GA_RESET_REST;
	idx = ga_span_next_free(s);
	return take_slot(o, s, c, (unsigned) idx);
}

/*
 * large_span
 *		A span of npages on the owner's large list: a lone object's (one
 *		slot, live at once) or a packed span's (nelems slots of stride
 *		bytes, none live yet).  ga_free's fast path declines both: a lone
 *		span has no bit set, and neither has a divmul.
 */
static ga_span *
large_span(ga_owner *o, size_t npages, unsigned nelems, size_t stride)
{
	ga_span    *s = ga_heap_alloc_span(o->heap, npages);

	if (s == NULL)
		return NULL;
	s->state = GA_SPAN_LARGE;
	s->owner = o;
	s->sizeclass = 0;
	s->freelist_words = 0;
	s->elemsize = 0;
	s->divmul = 0;
	s->nelems = (uint16_t) nelems;
	s->alloc_count = stride == 0 ? 1 : 0;
	s->free_trigger = GA_NO_TRIGGER;
	s->window_base = 0;
	s->alloc_cache = 0;
	s->alloc_bits[0] = 0;
	s->large_size = 0;
	s->packed_stride = stride;
	ga_list_push(&o->large, s);
	o->reset_full |= GA_RESET_REST;
	o->nspans++;
	ga_owner_add_pages(o, (ptrdiff_t) npages);
	return s;
}

/* A large object: a span of whole pages of its own (mheap.c). */
static ga_span *
alloc_large_span(ga_owner *o, size_t size)
{
	size_t		n = size + o->hdr;
	ga_span    *s;

	if (n < size || size > GA_MAX_REQUEST)
		return NULL;
	s = large_span(o, (n + GA_PAGE_SIZE - 1) >> GA_PAGE_SHIFT, 1, 0);
	if (s == NULL)
		return NULL;
	s->large_size = size;
	o->large_bytes += ga_span_bytes(s);
	o->large_total += ga_span_bytes(s);
	o->mallocs[0]++;
	o->counted[0] |= 1;			/* class 0 */
	return s;
}

/*
 * packed_stride
 *		The slot size a large request of size bytes is packed in, or 0: it
 *		is not packed (its lone span would lose at most 1/16 of itself, it
 *		is over GA_PACKED_MAX, or the owner's last such request had
 *		another stride).
 */
static size_t
packed_stride(ga_owner *o, size_t size)
{
	size_t		n = size + o->hdr;
	size_t		stride = (n + 63) & ~(size_t) 63;
	size_t		lone = GA_PAGES_BYTES((n + GA_PAGE_SIZE - 1) >> GA_PAGE_SHIFT);

	if (n < size || n <= GA_MAX_SMALL_SIZE || n > GA_PACKED_MAX ||
		(lone - n) * 16 <= lone)
		return 0;
	if (o->large_stride != stride)
	{
		o->large_stride = stride;	/* packed from the next one on */
		return 0;
	}
	return stride;
}

/*
 * new_packed_span
 *		A packed span for slots of stride bytes.  After a full span of the
 *		stride, of after slots, twice as many, up to ga_packed_slots_max;
 *		else the fewest slots, from 2, whose span's tail is at most 1/16 of
 *		it.  Four always are (their span has 16 pages or more, and a tail
 *		is under one page), and so is every count above the first.
 */
static ga_span *
new_packed_span(ga_owner *o, size_t stride, unsigned after)
{
	size_t		k;
	size_t		npages = 0;
	ga_span    *s;

	if (after != 0)
	{
		k = (size_t) after * 2;
		if (k > ga_packed_slots_max(stride))
			k = ga_packed_slots_max(stride);
		npages = (k * stride + GA_PAGE_SIZE - 1) >> GA_PAGE_SHIFT;
	}
	else
		for (k = 2;; k++)
		{
			npages = (k * stride + GA_PAGE_SIZE - 1) >> GA_PAGE_SHIFT;
			if (k == GA_PACKED_SLOTS ||
				(GA_PAGES_BYTES(npages) - k * stride) * 16 <= GA_PAGES_BYTES(npages))
				break;
		}
	s = large_span(o, npages, (unsigned) k, stride);
	if (s == NULL)
		return NULL;
	o->packed = s;
	return s;
}

/*
 * alloc_packed
 *		A slot of stride bytes: from the owner's packed span if it has this
 *		stride and a free slot, else from a new one, larger than a full
 *		one of the stride.
 */
static void *
alloc_packed(ga_owner *o, size_t stride)
{
	ga_span    *s = o->packed;
	unsigned	idx;

	if (s == NULL || s->packed_stride != stride || s->alloc_count == s->nelems)
	{
		unsigned	after = s != NULL && s->packed_stride == stride ? s->nelems : 0;

		s = new_packed_span(o, stride, after);
		/* near the heap limit, the smallest span may still fit */
		if (s == NULL && after != 0)
			s = new_packed_span(o, stride, 0);
		if (s == NULL)
			return NULL;
	}
	idx = (unsigned) __builtin_ctzll(~s->alloc_bits[0]);	/* < nelems */
	s->alloc_bits[0] |= UINT64_C(1) << idx;
	s->alloc_count++;
	o->large_bytes += stride;
	o->large_total += stride;
	o->mallocs[0]++;
	o->counted[0] |= 1;			/* class 0 */
	return (char *) s->base + idx * stride + o->hdr;
}

static void *
alloc_large(ga_owner *o, size_t size)
{
	size_t		stride = packed_stride(o, size);
	ga_span    *s;

	if (stride != 0)
		return alloc_packed(o, stride);
	s = alloc_large_span(o, size);
	return s != NULL ? (char *) s->base + o->hdr : NULL;
}

/*
 * ga_alloc_any
 *		Every allocation the inline fast path does not serve.  Classes
 *		above GA_FAST_MAX take the head of their free list, or a slot from
 *		the window, here.
 */
void *
ga_alloc_any(ga_owner *o, size_t size)
{
	size_t		n = size + o->hdr + (size == 0);
	unsigned	c;

	if (o->nursery_cap != 0)
	{
		void	   *p = ga_nursery_alloc(o, size);

		if (p != NULL)
			return p;
	}
	/* the owner's first span: its own mcache first */
	if (GA_UNLIKELY(o->mc == &ga_empty_mcache) && !ga_owner_get_mcache(o))
		return NULL;
	if (n > GA_MAX_SMALL_SIZE || n < size)
		return alloc_large(o, size);
	c = ga_size_class(n);
	if (o->mc->freelist[c].head != NULL)
		return ga_freelist_pop(o, &o->mc->freelist[c], false);
	return alloc_slow(o, c);
}

/*
 * ga_alloc_zero
 *		A zeroed chunk.  Pages that come fresh from the OS, or were
 *		released to it, are already zero: a large span made only of such
 *		pages is not cleared again.
 */
void *
ga_alloc_zero(ga_owner *o, size_t size)
{
	void	   *p = ga_alloc(o, size);
	ga_span    *s;
	unsigned	idx;

	if (p == NULL)
		return NULL;
	if (ga_lookup_chunk(o, p, &s, &idx) == 0 && s->sizeclass == 0 &&
		s->packed_stride == 0 && !s->needzero)
		return p;
	memset(p, 0, size);
	return p;
}

/* Move a chunk: allocate, copy, free.  NULL with the old chunk intact. */
static void *
move_chunk(ga_owner *o, void *p, size_t old_usable, size_t size)
{
	void	   *q = ga_alloc(o, size);

	if (q == NULL)
		return NULL;
	memcpy(q, p, old_usable < size ? old_usable : size);
	ga_free(o, p);
	return q;
}

/*
 * move_large
 *		move_chunk for a large chunk (span s, in an ordinary arena) of at
 *		least GA_REMAP_MIN_PAGES pages that must grow and cannot in place:
 *		allocate the new span as any large chunk, then have the OS move the
 *		old span's pages onto its first pages (ga_heap_move_pages) instead
 *		of copying them, and free the old span as released pages, which is
 *		what its range now holds.  The backed bytes then grow by the new
 *		pages only, never by old and new at once.  If the pages cannot be
 *		moved (a huge new span, not Linux, the OS refuses) copy and free as
 *		move_chunk does.  The owner's accounting comes out as move_chunk's.
 */
static void *
move_large(ga_owner *o, void *p, ga_span *s, size_t size)
{
	ga_span    *t = alloc_large_span(o, size);

	if (t == NULL)
		return NULL;
	if (!ga_heap_move_pages(o->heap, s, t))
	{
		memcpy((char *) t->base + o->hdr, p, ga_span_bytes(s) - o->hdr);
		ga_free(o, p);
		return (char *) t->base + o->hdr;
	}
	/* ga_free's large path (ga_owner_release_span), released pages */
	ga_list_remove(&o->large, s);
	o->nspans--;
	ga_owner_add_pages(o, -(ptrdiff_t) s->npages);
	o->large_bytes -= ga_span_bytes(s);
	ga_heap_free_span_released(o->heap, s);
	return (char *) t->base + o->hdr;
}

/* Give the tail pages of a large span back; false if it cannot. */
static bool
shrink_large(ga_owner *o, ga_span *s, size_t newpages)
{
	ga_heap    *h = o->heap;
	ga_span    *tail;
	size_t		ntail = s->npages - newpages;

	if (s->arena->huge)
	{
		ga_heap_shrink_huge(h, s, newpages);
		o->large_bytes -= GA_PAGES_BYTES(ntail);
		ga_owner_add_pages(o, -(ptrdiff_t) ntail);
		return true;
	}
	tail = ga_span_struct_alloc(h);
	if (tail == NULL)
		return false;
	tail->base = s->base + GA_PAGES_BYTES(newpages);
	tail->npages = ntail;
	tail->arena = s->arena;
	s->npages = newpages;
	o->large_bytes -= GA_PAGES_BYTES(ntail);
	ga_owner_add_pages(o, -(ptrdiff_t) ntail);
	h->pages_inuse -= ntail;
	s->arena->pages_inuse -= ntail;
	ga_pages_free(h, tail);
	ga_scavenge_maybe(h);
	return true;
}

/* Take the free pages right after a large span; false if it cannot. */
static bool
grow_large_in_place(ga_owner *o, ga_span *s, size_t newpages)
{
	ga_heap    *h = o->heap;
	ga_arena   *ar = s->arena;
	size_t		end = ga_page_index(ar, s->base) + s->npages;
	size_t		extra = newpages - s->npages;
	ga_span    *right;
	ga_span    *part;
	size_t		nscav;

	if (ar->huge || end >= ar->npages)
		return false;
	right = ar->spans[end];
	if (right == NULL || right->state != GA_SPAN_FREE ||
		right->base != s->base + ga_span_bytes(s) || right->npages < extra)
		return false;
	if (right->nscav > 0 &&
		!ga_within_limit(h, ga_count_bits(ar->scavenged, end, extra)))
		return false;
	part = ga_pages_take(h, right, extra, &nscav);
	if (part == NULL)
		return false;
	ga_span_struct_free(h, part);
	ga_set_spans(ar, end, extra, s);
	s->npages = newpages;
	ar->pages_inuse += extra;
	h->pages_inuse += extra;
	ga_owner_add_pages(o, (ptrdiff_t) extra);
	o->large_bytes += GA_PAGES_BYTES(extra);
	o->large_total += GA_PAGES_BYTES(extra);
	return true;
}

/* ga_realloc of a chunk in a nursery block (s: the pool's span). */
static void *
realloc_nursery(ga_owner *o, ga_span *s, void *p, size_t size)
{
	ga_nblock  *b;
	uint32_t	g;
	void	   *q;
	size_t		old_usable;

	b = ga_nursery_find(o, s, p, &g, true);
	if (b == NULL)
		return NULL;
	q = ga_nursery_resize(o, b, g, p, size);
	if (q != NULL)
		return q;
	old_usable = ga_nursery_chunk_size(b, g) - o->hdr;
	q = ga_alloc(o, size);
	if (q == NULL)
		return NULL;
	memcpy(q, p, old_usable < size ? old_usable : size);
	ga_nursery_free(o, b, g);
	return q;
}

void *
ga_realloc(ga_owner *o, void *p, size_t size)
{
	size_t		n = size + o->hdr;
	ga_span    *s;
	unsigned	idx;
	ga_error_kind kind;
	size_t		newpages;

	kind = ga_lookup_chunk(o, p, &s, &idx);
	if (kind == GA_IN_NURSERY)
		return realloc_nursery(o, s, p, size);
	if (kind != 0)
	{
		ga_report(o, kind, p);
		return NULL;
	}
	if (n < size || size > GA_MAX_REQUEST)
		return NULL;

	if (s->sizeclass != 0)
	{
		if (n <= GA_MAX_SMALL_SIZE && ga_size_class(n + (size == 0)) == s->sizeclass)
			return p;
		return move_chunk(o, p, s->elemsize - o->hdr, size);
	}

	if (s->packed_stride != 0)
	{
		/* a packed slot keeps a large size that fits it */
		if (n > GA_MAX_SMALL_SIZE && n <= s->packed_stride)
			return p;
		return move_chunk(o, p, ga_large_slot_bytes(s) - o->hdr, size);
	}
	if (n <= GA_MAX_SMALL_SIZE)
		return move_chunk(o, p, ga_span_bytes(s) - o->hdr, size);
	newpages = (n + GA_PAGE_SIZE - 1) >> GA_PAGE_SHIFT;
	if (newpages == s->npages ||
		(newpages < s->npages && shrink_large(o, s, newpages)) ||
		(newpages > s->npages && grow_large_in_place(o, s, newpages)))
	{
		s->large_size = size;
		return p;
	}
	if (newpages < s->npages)
		return p;				/* could not shrink: the chunk still fits */
	if (s->npages >= GA_REMAP_MIN_PAGES && !s->arena->huge)
		return move_large(o, p, s, size);
	return move_chunk(o, p, ga_span_bytes(s) - o->hdr, size);
}
