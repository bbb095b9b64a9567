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
 *	GA_ERR_DOUBLE_FREE		the slot's bit is clear, or it is its class's
 *							hot slot (freed last, kept for reuse).
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
#include "ga_internal.h"

ga_error_kind
ga_lookup_chunk(const ga_owner *o, const void *ptr, ga_span **spanp,
				unsigned *idxp)
{
	uintptr_t	a = (uintptr_t) ptr;
	ga_arena   *ar = ga_arena_of(o->heap, a);
	ga_span    *s;
	uintptr_t	off;
	unsigned	idx;

	if (ar == NULL)
		return GA_ERR_NOT_IN_HEAP;
	s = ar->spans[(a - ar->base) >> ar->page_shift];
	if (s == NULL || a - s->base >= ga_span_bytes(s) ||
		s->state < GA_SPAN_MCACHE || s->state > GA_SPAN_LARGE)
		return GA_ERR_NOT_ALLOCATED;
	if (s->owner != o)
		return GA_ERR_WRONG_OWNER;
	off = a - s->base;
	if (s->sizeclass == 0)
	{
		if (off != o->hdr)
			return GA_ERR_NOT_CHUNK_START;
		idx = 0;
	}
	else
	{
		if (off < o->hdr)
			return GA_ERR_NOT_CHUNK_START;
		idx = (unsigned) (((uint64_t) (off - o->hdr) * s->divmul) >> 32);
		if (off != (uintptr_t) idx * s->elemsize + o->hdr || idx >= s->nelems)
			return GA_ERR_NOT_CHUNK_START;
		if ((s->alloc_bits[idx >> 6] & (UINT64_C(1) << (idx & 63))) == 0 ||
			o->hot[s->sizeclass].ptr == ptr)
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
 * ga_span_lost_free_slot
 *		A free brought alloc_count down to the span's free_trigger: a full
 *		span has become worth a refill, or a partial one is empty.
 */
void
ga_span_lost_free_slot(ga_owner *o, ga_span *s)
{
	ga_mcentral *mc = &o->central[s->sizeclass];

	if (s == &ga_hot_none)
	{
		s->alloc_count = GA_NO_TRIGGER - 1;
		return;
	}

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

void
ga_owner_flush_hot(ga_owner *o)
{
	int			c;

	for (c = 1; c < GA_NUM_CLASSES; c++)
	{
		ga_hot_slot *h = &o->hot[c];
		ga_span    *s = h->span;

		if (h->ptr == NULL)
			continue;
		h->ptr = NULL;
		h->span = &ga_hot_none;
		s->alloc_bits[h->idx >> 6] &= ~(UINT64_C(1) << (h->idx & 63));
		if (--s->alloc_count == s->free_trigger)
			ga_span_lost_free_slot(o, s);
	}
}

void
ga_free_slow(ga_owner *o, void *ptr)
{
	ga_span    *s;
	unsigned	idx;
	ga_error_kind kind = ga_lookup_chunk(o, ptr, &s, &idx);

	if (kind != 0)
	{
		ga_report(o, kind, ptr);
		return;
	}
	if (s->sizeclass == 0)
	{
		ga_list_remove(&o->large, s);
		ga_owner_release_span(o, s);
		return;
	}

	/* The fast path declines nothing valid; this is for completeness. */
	s->alloc_bits[idx >> 6] &= ~(UINT64_C(1) << (idx & 63));
	if (--s->alloc_count == s->free_trigger)
		ga_span_lost_free_slot(o, s);
}

size_t
ga_chunk_size(ga_owner *o, const void *ptr)
{
	ga_span    *s;
	unsigned	idx;

	if (ga_lookup_chunk(o, ptr, &s, &idx) != 0)
		return 0;
	return s->sizeclass == 0 ? ga_span_bytes(s) : s->elemsize;
}

bool
ga_owns(const ga_owner *o, const void *ptr)
{
	ga_span    *s;
	unsigned	idx;

	return ga_lookup_chunk(o, ptr, &s, &idx) == 0;
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

	if (a - h->region_base < h->region_size)
		return true;
	return ga_arena_of(h, a) != NULL;
}
