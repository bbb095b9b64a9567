/*-------------------------------------------------------------------------
 *
 * free.c
 *	  Pointer validation, the free slow path, and the moves a span makes
 *	  between lists when it gains a free slot.
 *
 * Validation reads only the arena index, the spans table and the span's
 * bitmap, in the order ga_free's fast path does:
 *
 *	GA_ERR_NOT_IN_HEAP		no arena of this heap holds the address;
 *	GA_ERR_NOT_ALLOCATED	its pages are free, or a cached empty span;
 *	GA_ERR_WRONG_OWNER		a live span, but another owner's;
 *	GA_ERR_NOT_CHUNK_START	not header bytes past a slot's start;
 *	GA_ERR_DOUBLE_FREE		the slot's bit is clear, or it is on its
 *							class's free list (freed, kept for reuse).
 *
 * An error is reported before anything changes, so the error callback may
 * longjmp out (PostgreSQL's elog(ERROR)) and leave a consistent heap.
 *
 * A full span moves to the partial list once partial_at (1/8) of its slots
 * are free, not at its first free slot: under churn at high occupancy a
 * span that regains one slot would otherwise cross the lists at every free
 * and cost a refill for a single allocation.  A span whose last object
 * goes is handed back to the heap, whose span cache keeps it formatted for
 * the next owner that needs the class.
 *
 *-------------------------------------------------------------------------
 */
#include "ga_testing.h"			/* ga_owner_flush_freelists */

/*
 * ga_on_freelist
 *		Is this payload on its class's free list?  Only a payload whose
 *		first word looks like a link is looked for (ga_link_suspect).
 */
bool
ga_on_freelist(const ga_owner *o, unsigned sizeclass, const void *payload)
{
	const ga_freelist *fl = &o->mc->freelist[sizeclass];
	const void *p;
	uint32_t	n = 0;

	if (!ga_link_suspect(o, payload))
		return false;
	for (p = fl->head; p != NULL && n < ga_freelist_count(fl); n++)
	{
		if (p == payload)
			return true;
		p = ga_link_next(o, p);
	}
	return false;
}

/*
 * span_in_use_at
 *		The span in use (an mcache, partial, full or large span) whose
 *		pages hold address a: 0 with it in *spanp, or GA_ERR_NOT_IN_HEAP
 *		(no arena of h) or GA_ERR_NOT_ALLOCATED (free pages, a cached span).
 */
static ga_error_kind
span_in_use_at(const ga_heap *h, uintptr_t a, ga_span **spanp)
{
	ga_arena   *ar = ga_arena_of(h, a);
	ga_span    *s;

	if (ar == NULL)
		return GA_ERR_NOT_IN_HEAP;
	s = ar->spans[(a - ar->base) >> ar->page_shift];
	if (s == NULL || a - s->base >= ga_span_bytes(s) ||
		s->state < GA_SPAN_MCACHE || s->state > GA_SPAN_LARGE)
		return GA_ERR_NOT_ALLOCATED;
	*spanp = s;
	return 0;
}

ga_error_kind
ga_lookup_chunk(const ga_owner *o, const void *ptr, ga_span **spanp,
				unsigned *idxp)
{
	uintptr_t	a = (uintptr_t) ptr;
	ga_span    *s;
	uintptr_t	off;
	uint64_t	prod;
	unsigned	idx;
	ga_error_kind kind = span_in_use_at(o->heap, a, &s);

	if (kind != 0)
		return kind;
	if (s->owner != o)
	{
		if (s->owner == &o->heap->nursery_pool)
		{
			*spanp = s;
			return GA_IN_NURSERY;
		}
		return GA_ERR_WRONG_OWNER;
	}
	off = a - s->base;
	if (s->sizeclass == 0 && s->packed_stride != 0)
	{
		/* a packed span (alloc.c): slots of packed_stride, a bit each */
		uintptr_t	k = off >= o->hdr ? (off - o->hdr) / s->packed_stride : 0;

		if (off != o->hdr + k * s->packed_stride || k >= s->nelems)
			return GA_ERR_NOT_CHUNK_START;
		idx = (unsigned) k;
		if ((s->alloc_bits[0] & (UINT64_C(1) << idx)) == 0)
			return GA_ERR_DOUBLE_FREE;
	}
	else if (s->sizeclass == 0)
	{
		if (off != o->hdr)
			return GA_ERR_NOT_CHUNK_START;
		idx = 0;
	}
	else
	{
		if (off < o->hdr)
			return GA_ERR_NOT_CHUNK_START;
		prod = (uint64_t) (off - o->hdr) * s->divmul;
		idx = (unsigned) (prod >> 32);
		if (!ga_slot_start(prod, s->divmul) || idx >= s->nelems)
			return GA_ERR_NOT_CHUNK_START;
		if ((s->alloc_bits[idx >> 6] & (UINT64_C(1) << (idx & 63))) == 0 ||
			ga_on_freelist(o, s->sizeclass, ptr))
			return GA_ERR_DOUBLE_FREE;
	}
	*spanp = s;
	*idxp = idx;
	return 0;
}

void
ga_report(const ga_owner *o, ga_error_kind kind, const void *ptr)
{
	const ga_heap *h = o->heap;

	if (h->on_error)
		h->on_error(h->error_arg, kind, o, ptr);
}

/*
 * span_gained_free_slot
 *		A free brought alloc_count down to the span's free_trigger: a full
 *		span has become worth a refill, or a partial one is empty.
 */
static void
span_gained_free_slot(ga_owner *o, ga_span *s)
{
	ga_mcentral *mc = &o->mc->central[s->sizeclass];

	if (s->state == GA_SPAN_FULL)
	{
		ga_list_remove(&mc->full, s);
		ga_list_push(&mc->partial, s);
		ga_span_set_state(s, GA_SPAN_PARTIAL);
		/* partial_at may be nelems (a span of one slot): empty already */
	}
	if (s->alloc_count == 0)
	{
		ga_list_remove(&mc->partial, s);
		ga_owner_release_span(o, s);
	}
}

/* Free slot idx of small span s for real: its bit, its count, its list. */
static void
free_slot(ga_owner *o, ga_span *s, unsigned idx)
{
	s->alloc_bits[idx >> 6] &= ~(UINT64_C(1) << (idx & 63));
	if (--s->alloc_count == s->free_trigger)
		span_gained_free_slot(o, s);
}

/*
 * ga_free_unlisted
 *		ga_free's fast path found the class's list full: free the slot for
 *		real.  (The index is computed again here, so that the inline fast
 *		path keeps nothing alive across the call.)
 */
void
ga_free_unlisted(ga_owner *o, ga_span *s, void *ptr)
{
	free_slot(o, s, ga_slot_index(o, s, ptr));
}

/*
 * ga_owner_flush_freelists
 *		Free every listed slot for real, as a full list would: the tests'
 *		way to see the sweep and the span lists without the lists.
 */
void
ga_owner_flush_freelists(ga_owner *o)
{
	int			c;

	for (c = 1; c < GA_NUM_CLASSES; c++)
	{
		ga_freelist *fl = &o->mc->freelist[c];

		while (fl->head != NULL)
		{
			void	   *p = ga_freelist_take(o, fl);	/* no malloc: not a pop */
			ga_span    *s = ga_span_of(o, p);

			free_slot(o, s, ga_slot_index(o, s, p));
		}
	}
}

/*
 * free_packed
 *		Free slot idx of a packed span (alloc.c).  A span left empty is
 *		given back; one that has a free slot now takes new packed objects
 *		if the owner's packed span is full or gone.
 */
static void
free_packed(ga_owner *o, ga_span *s, unsigned idx)
{
	s->alloc_bits[0] &= ~(UINT64_C(1) << idx);
	s->alloc_count--;
	o->large_bytes -= s->packed_stride;
	if (s->alloc_count == 0)
	{
		ga_list_remove(&o->large, s);
		ga_owner_release_span(o, s);	/* and o->packed, if s */
	}
	else if (o->packed == NULL || o->packed->alloc_count == o->packed->nelems)
		o->packed = s;
}

/*
 * ga_free_slow
 *		What the fast path declines: a bad pointer (reported), a large
 *		object, and a payload whose first word looks like a link but that
 *		is not on the list.
 */
void
ga_free_slow(ga_owner *o, void *ptr)
{
	ga_span    *s;
	unsigned	idx;
	ga_error_kind kind;
	uintptr_t	roff = (uintptr_t) ptr - o->map.region_base;

	/*
	 * A nursery chunk first, by the map as the fast path went: it declined
	 * only because the span is the pool's.  (The fast path has loaded the
	 * same entry, so the load is safe wherever it was.)
	 */
	if (roff < o->map.region_size &&
		ga_nursery_try_free(o, o->map.spans_map[roff >> GA_PAGE_SHIFT], ptr))
		return;
	kind = ga_lookup_chunk(o, ptr, &s, &idx);
	if (kind == GA_IN_NURSERY)
	{
		ga_nblock  *b;
		uint32_t	g;

		b = ga_nursery_find(o, s, ptr, &g, true);
		if (b != NULL)
			ga_nursery_free(o, b, g);
		return;
	}
	o->heap->frees_slow++;
	if (kind != 0)
	{
		ga_report(o, kind, ptr);
		return;
	}
	if (s->sizeclass == 0 && s->packed_stride != 0)
	{
		free_packed(o, s, idx);
		return;
	}
	if (s->sizeclass == 0)
	{
		ga_list_remove(&o->large, s);
		ga_owner_release_span(o, s);
		return;
	}
	ga_free_validated(o, s, ptr);
}

size_t
ga_chunk_size(ga_owner *o, const void *ptr)
{
	ga_span    *s;
	unsigned	idx;

	ga_error_kind kind = ga_lookup_chunk(o, ptr, &s, &idx);

	if (kind == GA_IN_NURSERY)
	{
		ga_nblock  *b;
		uint32_t	g;

		b = ga_nursery_find(o, s, ptr, &g, false);
		return b != NULL ? ga_nursery_chunk_size(b, g) : 0;
	}
	if (kind != 0)
		return 0;
	if (s->sizeclass != 0)
		return s->elemsize;
	return ga_large_slot_bytes(s);
}

bool
ga_owns(const ga_owner *o, const void *ptr)
{
	ga_span    *s;
	unsigned	idx;

	ga_error_kind kind = ga_lookup_chunk(o, ptr, &s, &idx);
	uint32_t	g;

	if (kind == GA_IN_NURSERY)
		return ga_nursery_find(o, s, ptr, &g, false) != NULL;
	return kind == 0;
}

/*
 * ga_heap_report_listed
 *		The owner of an in-use span at ptr, if any, looks the pointer up as
 *		its free would (ga_lookup_chunk); a nursery block's span is the
 *		pool's, whose chunks are never listed.
 */
void
ga_heap_report_listed(const ga_heap *h, const void *ptr)
{
	ga_span    *s;
	const ga_owner *o = NULL;
	unsigned	idx;
	ga_error_kind kind = span_in_use_at(h, (uintptr_t) ptr, &s);

	if (kind == 0 && s->owner == &h->nursery_pool)
		kind = GA_ERR_NOT_ALLOCATED;	/* the pool's: never listed */
	else if (kind == 0)
	{
		o = s->owner;
		kind = ga_lookup_chunk(o, ptr, &s, &idx);
		if (kind == 0 || kind == GA_IN_NURSERY)
			kind = GA_ERR_DOUBLE_FREE;	/* its header says freed */
	}
	if (h->on_error)
		h->on_error(h->error_arg, kind, o, ptr);
}

/*
 * ga_heap_contains
 *		Is ptr inside the region reserved for ordinary arenas, or inside a
 *		huge arena?  Both are this heap's own mappings, so no block of any
 *		other allocator can lie there.
 */
bool
ga_heap_contains(const ga_heap *h, const void *ptr)
{
	uintptr_t	a = (uintptr_t) ptr;

	if (a - h->map.region_base < h->map.region_size)
		return true;
	return h->nhuge != 0 && ga_arena_of(h, a) != NULL;
}
