/*-------------------------------------------------------------------------
 *
 * span.c
 *	  A span's allocation bitmap and its allocation window; span lists.
 *
 * A small span is cut into nelems slots of elemsize bytes.  alloc_bits has
 * one bit per slot, 1 = allocated; the bits past nelems in the last word
 * are kept at 1 so that no scan can hand them out.  The bitmap is the one
 * authority: the fast path of ga_alloc sets a bit, ga_free clears it.
 *
 * The allocation window (Go's allocCache) is a copy of the complement of
 * the bitmap word that holds slot freeindex, shifted so that bit 0 stands
 * for slot freeindex.  The fast path takes its lowest set bit.  When the
 * window is empty, ga_span_next_free moves on word by word; when
 * freeindex sits on a word boundary the window may never have been loaded,
 * so that word is read again rather than skipped.
 *
 * Go never frees an object by itself: its sweeper rebuilds the bitmap.
 * goalloc frees one object at a time, and a free into the span being
 * allocated from moves freeindex back to the freed slot (free.c), so the
 * next allocation reuses memory that is still in the CPU cache.
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

static unsigned
bitmap_words(const ga_span *s)
{
	return ((unsigned) s->nelems + 63) / 64;
}

/*
 * ga_span_clear
 *		Mark every slot free (padding bits stay set), reset the window.
 */
void
ga_span_clear(ga_span *s)
{
	unsigned	nw = bitmap_words(s);
	unsigned	tail = s->nelems & 63;

	memset(s->alloc_bits, 0, nw * sizeof(uint64_t));
	if (tail != 0)
		s->alloc_bits[nw - 1] = ~UINT64_C(0) << tail;
	s->alloc_count = 0;
	ga_span_prepare(s);
}

/*
 * ga_span_format
 *		Give a fresh run of pages the shape of a small-object span.
 */
void
ga_span_format(ga_span *s, unsigned sizeclass)
{
	s->sizeclass = (uint8_t) sizeclass;
	s->elemsize = ga_class_size[sizeclass];
	s->divmul = ga_class_divmul[sizeclass];
	s->nelems = (uint16_t) ga_class_nelems[sizeclass];
	s->large_size = 0;
	ga_span_clear(s);
}

/*
 * ga_span_prepare
 *		Point the window at slot 0 before a span goes into an mcache.
 *		The scan from slot 0 finds the lowest free slot first, which keeps
 *		allocation dense at the low end of the span.
 */
void
ga_span_prepare(ga_span *s)
{
	s->freeindex = 0;
	s->alloc_cache = ~s->alloc_bits[0];
}

/*
 * ga_span_next_free
 *		Go's nextFreeIndex: the slot the window or the words after it
 *		offer, advancing the window past it; -1 when the span is full.
 *		The caller marks the slot allocated.
 */
int
ga_span_next_free(ga_span *s)
{
	unsigned	fi = s->freeindex;
	uint64_t	cache = s->alloc_cache;
	unsigned	bit;
	unsigned	idx;

	if (cache == 0)
	{
		/* On a word boundary the word itself may be unread: read it. */
		unsigned	w = (fi + 63) / 64;

		for (;;)
		{
			if (w * 64 >= s->nelems)
			{
				s->freeindex = s->nelems;
				s->alloc_cache = 0;
				return -1;
			}
			cache = ~s->alloc_bits[w];
			if (cache != 0)
				break;
			w++;
		}
		fi = w * 64;
	}
	bit = (unsigned) __builtin_ctzll(cache);
	idx = fi + bit;
	s->alloc_cache = (cache >> bit) >> 1;
	s->freeindex = (uint16_t) (idx + 1);
	return (int) idx;
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

ga_span *
ga_list_pop(ga_span **head)
{
	ga_span    *s = *head;

	if (s)
		ga_list_remove(head, s);
	return s;
}
