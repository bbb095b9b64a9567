/*-------------------------------------------------------------------------
 *
 * span.c
 *	  A span's allocation bitmap and its allocation window; span lists.
 *
 * A small span is cut into nelems slots of elemsize bytes.  alloc_bits has
 * one bit per slot, 1 = allocated; the bits past nelems are 0, and the
 * window masks them out so that no scan can hand them out.  The bitmap is
 * the one authority: ga_alloc sets a bit, a real free clears it (free.c;
 * a slot on the owner's free list keeps its bit).
 *
 * The allocation window (Go's allocCache) is a copy of the complement of
 * one bitmap word, the window word, whose first slot is window_base.  The
 * fast path takes its lowest set bit and clears it.  When the window is
 * empty, ga_span_next_free moves on to the next word with a free slot.
 * Go shifts its window instead, so that bit 0 is always the next slot to
 * look at (freeindex); keeping the word in place saves the fast path a
 * shift and a store.
 *
 * Go never frees an object by itself: its sweeper rebuilds the bitmap and
 * restarts freeindex at 0.  goalloc frees one object at a time: a free only
 * clears the slot's bit, and the window, which only moves forward as Go's
 * does, finds the slot again when the sweep wraps.  When the window passes
 * the last word the allocation slow path (alloc.c) either wraps it back to
 * slot 0, if the span has enough free slots to be worth the sweep, or
 * hands the span to the mcentral and takes another.  (A per-span lower
 * bound of the free slots, lowered by every free, and reloading the window
 * when a free lands in its word cost the free path more than the wrap scan
 * of a few words they save; docs/design.md has the figures.)  The slot
 * freed last does come back at once: it goes on the owner's free list of
 * its class (ga_types.h).
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "ga_internal.h"

/*
 * The placeholder every empty mcache slot points to.  Its alloc_cache is 0,
 * so the fast path falls through to the slow path without a NULL test; it
 * is never written.
 */
ga_span		ga_empty_span;

/*
 * The mcache of every owner that has taken no span yet: empty lists, every
 * slot the dummy span, never written (ga_types.h).  Its slots are set by
 * ga_sizeclasses_init.
 */
ga_mcache	ga_empty_mcache;

/* ga_owner_freelist's layout: the lists first, a class's index in a byte */
_Static_assert(offsetof(ga_mcache, freelist) == 0,
			   "the free lists must start the mcache");
_Static_assert(GA_FREELIST_MAX <= GA_TALLY_FIELD,
			   "a list's limit and room fit their bytes of the tally");
_Static_assert(GA_TALLY_FIELD == 0xFF && GA_TALLY_LIMIT_SHIFT == 8,
			   "ga_freelist_forget copies the tally's byte 1 into byte 0");
_Static_assert(sizeof(ga_freelist) == GA_FREELIST_WORDS * sizeof(uint64_t),
			   "a free list must be whole words");
_Static_assert((GA_NUM_CLASSES - 1) * GA_FREELIST_WORDS <= UINT8_MAX,
			   "freelist_words must fit its byte");

/*
 * ga_span_format
 *		Give a fresh run of pages the shape of a small-object span.
 */
void
ga_span_format(ga_span *s, unsigned sizeclass)
{
	s->sizeclass = (uint8_t) sizeclass;
	s->freelist_words = (uint8_t) (sizeclass * GA_FREELIST_WORDS);
	s->elemsize = ga_class_size[sizeclass];
	s->divmul = ga_class_divmul[sizeclass];
	s->nelems = (uint16_t) ga_class_nelems[sizeclass];
	s->partial_at = (uint16_t) (s->nelems >= 16 ? s->nelems / 8 : 1);
	s->large_size = 0;
	s->packed_stride = 0;
	s->alloc_count = 0;
	/* the bits past nelems stay 0 as long as the span has this class */
	memset(s->alloc_bits, 0, sizeof(s->alloc_bits));
	s->window_base = 0;
	s->swept_end = false;		/* so the clear has word 0 left to do */
	ga_span_clear(s);
	ga_span_set_state(s, GA_SPAN_CACHED);
}

/*
 * Span lists are doubly linked through next/prev, with a head pointer;
 * removal is O(1) wherever the span sits.
 */
void
ga_list_push(ga_span **head, ga_span *s)
{
	s->prev = NULL;
	s->next = *head;
	if (*head)
		(*head)->prev = s;
	*head = s;
}

void
ga_list_remove(ga_span **head, ga_span *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		*head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

/* Insert behind the head, so that the next pop takes another span. */
void
ga_list_push_second(ga_span **head, ga_span *s)
{
	ga_span    *first = *head;

	if (first == NULL)
	{
		ga_list_push(head, s);
		return;
	}
	s->prev = first;
	s->next = first->next;
	if (first->next)
		first->next->prev = s;
	first->next = s;
}

ga_span *
ga_list_pop(ga_span **head)
{
	ga_span    *s = *head;

	if (s)
		ga_list_remove(head, s);
	return s;
}
