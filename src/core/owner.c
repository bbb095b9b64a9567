/*-------------------------------------------------------------------------
 *
 * owner.c
 *	  Owners: what PostgreSQL calls a memory context.  Each has its mcache
 *	  (the span each class allocates from) and its mcentral (the class's
 *	  other spans, partial and full).
 *
 * Go shares its mcentrals between all Ps because its objects belong to no
 * one until the garbage collector decides.  A PostgreSQL context must free
 * everything it holds at once, so in goalloc a span belongs to exactly one
 * owner and each owner has an mcentral per class.  Then:
 *
 *	- ga_owner_reset and ga_owner_destroy cost time in proportion to the
 *	  owner's spans: every span goes back whole, no object is visited;
 *	- a reset keeps the owner's mcache spans, cleared, up to keep_pages
 *	  pages, so the per-tuple pattern (a few pallocs, a reset, millions of
 *	  times) allocates from the same warm spans every round and never
 *	  reaches the heap;
 *	- mem_allocated is exact: it is npages * 8 KiB of the spans the owner
 *	  holds plus the bytes of its nursery blocks (nursery.c); every change
 *	  of either is added to *mem_mirror (a delta, so the mirror may also
 *	  count the blocks of an adopted AllocSet).
 *
 * Objects that a reset or destroy releases count as frees, as Go counts
 * objects freed by the sweeper.  Nothing here counts them: an owner counts
 * only its mallocs, and its frees are mallocs minus what its spans still
 * hold (stats.c).
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ga_internal.h"

/*
 * owner_setup
 *		What ga_owner_init and ga_owner_reuse share: o is zero up to its
 *		counts (mallocs, which are all 0 too) and is made a new owner of h,
 *		first on the heap's list.
 */
static void
owner_setup(ga_owner *o, ga_heap *h, size_t hdr, size_t keep_bytes)
{
	o->mc = &ga_empty_mcache;
	o->hdr = (uint32_t) hdr;
	o->keep_pages = (uint32_t) (keep_bytes >> GA_PAGE_SHIFT);
	o->heap = h;
	ga_heap_get_map(h, &o->map);
	o->region_end = h->map.region_base + h->map.region_size;

	/*
	 * Owners differ in the key's high bits too, since spans move between
	 * them: by a step of 4099 epochs, which few resets add up to.
	 */
	o->link_key = GA_LINK_KEY + h->owners_created++ * (GA_LINK_EPOCH * 4099);
	o->user = NULL;
	o->prev = NULL;
	o->next = h->owners;
	if (h->owners)
		h->owners->prev = o;
	h->owners = o;
	h->nowners++;
}

void
ga_owner_init(ga_owner *o, ga_heap *h, size_t hdr, size_t keep_bytes)
{
	memset(o, 0, sizeof(ga_owner));
	owner_setup(o, h, hdr, keep_bytes);
}

/*
 * ga_owner_disable_freelists
 *		Free every slot for real, at once: no class keeps a free list.
 *		For debugging owners (PostgreSQL's goalloc.check), whose freed
 *		chunks are wiped and should stay out of use as long as possible.
 *		Call it before the owner frees anything.
 */
void
ga_owner_disable_freelists(ga_owner *o)
{
	int			c;

	o->no_freelists = true;
	if (o->mc == &ga_empty_mcache)
		return;					/* ga_owner_get_mcache sees the flag */
	for (c = 0; c < GA_NUM_CLASSES; c++)
		ga_freelist_set_limit(&o->mc->freelist[c], 0);
}

/*
 * ga_owner_set_list_mark
 *		Give the owner marked lists (ga_types.h, ga_freelist): the word
 *		before each payload it lists gets mark.  Only an owner whose header
 *		holds that word, and only before the owner frees anything: a payload
 *		listed unmarked would reach ga_free_marked again.
 */
bool
ga_owner_set_list_mark(ga_owner *o, uintptr_t mark)
{
	if (o->hdr < sizeof(uintptr_t) || mark == 0)
		return false;
	o->list_mark = mark;
	return true;
}

/*
 * ga_owner_get_mcache
 *		The owner takes its first span: give it an mcache of its own
 *		(ga_types.h), from malloc as Go's come from fixalloc.  False if
 *		there is no memory for it.
 */
bool
ga_owner_get_mcache(ga_owner *o)
{
	ga_heap    *h = o->heap;
	ga_mcache  *mc = h->mcache_pool;
	int			c;

	if (mc != NULL)
	{
		/* a destroyed owner's, emptied by owner_retire */
		h->mcache_pool = mc->pool_next;
		h->mcache_pool_count--;
		mc->pool_next = NULL;
		if (o->no_freelists)
			for (c = 0; c < GA_NUM_CLASSES; c++)
				ga_freelist_set_limit(&mc->freelist[c], 0);
		o->mc = mc;
		return true;
	}

	mc = malloc(sizeof(ga_mcache));
	if (mc == NULL)
		return false;
	memset(mc, 0, sizeof(ga_mcache));
	for (c = 0; c < GA_NUM_CLASSES; c++)
	{
		mc->freelist[c].span = &ga_empty_span;
		ga_freelist_set_limit(&mc->freelist[c], o->no_freelists ? 0 :
							  ga_class_freelist_limit[c]);
	}
	o->mc = mc;
	return true;
}

/*
 * mcache_put
 *		A retired owner's mcache, every class emptied (owner_retire), goes to
 *		the heap's pool as ga_owner_get_mcache would make it, or is freed if
 *		the pool is full.
 */
static void
mcache_put(ga_heap *h, ga_mcache *mc, bool no_freelists)
{
	int			c;

	if (h->mcache_pool_count >= GA_MCACHE_POOL_MAX)
	{
		free(mc);
		return;
	}
	if (no_freelists)
		for (c = 0; c < GA_NUM_CLASSES; c++)
			ga_freelist_set_limit(&mc->freelist[c],
								  ga_class_freelist_limit[c]);
	mc->pool_next = h->mcache_pool;
	h->mcache_pool = mc;
	h->mcache_pool_count++;
}

/*
 * ga_owner_set_mirror
 *		Set the mirror to the owner's bytes now; from then on every change
 *		of the owner's pages is ADDED to it (a delta, never a store), so the
 *		mirror may also count bytes that are not the owner's: an AllocSet
 *		adopted by the PostgreSQL layer keeps its own blocks in the same
 *		mem_allocated, by relative updates too.
 */
void
ga_owner_set_mirror(ga_owner *o, size_t *mirror)
{
	o->mem_mirror = mirror;
	if (mirror)
		*mirror = ga_owner_held_bytes(o);
}

void
ga_owner_add_pages(ga_owner *o, ptrdiff_t npages)
{
	o->npages += (size_t) npages;
	if (o->mem_mirror)
		*o->mem_mirror += (size_t) npages << GA_PAGE_SHIFT;
}

/*
 * ga_owner_release_span
 *		Hand one of the owner's spans back to the heap, with whatever
 *		objects it still holds.  The caller has taken it off whatever list
 *		or mcache slot held it.
 */
void
ga_owner_release_span(ga_owner *o, ga_span *s)
{
	o->nspans--;
	ga_owner_add_pages(o, -(ptrdiff_t) s->npages);
	if (s->sizeclass == 0)
	{
		/* a packed span counts its live slots, a lone one its pages */
		o->large_bytes -= s->packed_stride != 0 ?
			s->packed_stride * s->alloc_count : ga_span_bytes(s);
		if (o->packed == s)
			o->packed = NULL;
		ga_heap_free_span(o->heap, s);
	}
	else
		ga_heap_put_class_span(o->heap, s);
}

static void
release_list(ga_owner *o, ga_span **head)
{
	ga_span    *s;

	while ((s = ga_list_pop(head)) != NULL)
		ga_owner_release_span(o, s);
}

/*
 * reset_class
 *		Free a class's objects: the mcentral's spans go back; the mcache
 *		span is cleared and kept while the mcache holds no more than
 *		keep_pages pages, and goes back otherwise.
 */
static inline void
reset_class(ga_owner *o, unsigned c)
{
	ga_span    *s = o->mc->freelist[c].span;

	/* a reset frees every listed slot with the rest of its span */
	ga_freelist_forget(&o->mc->freelist[c]);

	if (o->mc->central[c].partial != NULL)
		release_list(o, &o->mc->central[c].partial);
	if (o->mc->central[c].full != NULL)
		release_list(o, &o->mc->central[c].full);
	if (s == &ga_empty_span)
	{
		ga_used_clear(o, c);	/* the mcache slot was empty */
		return;
	}
	if (o->mc->mcache_pages <= o->keep_pages)
	{
		ga_span_clear(s);
		return;
	}
	o->mc->freelist[c].span = &ga_empty_span;
	o->mc->mcache_pages -= s->npages;
	ga_used_clear(o, c);
	ga_owner_release_span(o, s);
}

static void
reset_classes(ga_owner *o, unsigned first, uint64_t mask)
{
	while (mask != 0)
	{
		unsigned	c = first + (unsigned) __builtin_ctzll(mask);

		mask &= mask - 1;
		reset_class(o, c);
	}
}

/*
 * clear_window
 *		Reset a class that allocated only from the window its mcache span
 *		had after the last reset: word 0 of its bitmap and nothing else
 *		changed.  Three stores into the span's first cache line (the
 *		window, bitmap word 0, window_base with alloc_count) and two into
 *		the class's mcache entry (the list's head, its room byte).
 */
static inline void
clear_window(ga_owner *o, size_t c)
{
	ga_span    *s = o->mc->freelist[c].span;

	/* a reset frees every listed slot with the rest of its span */
	ga_freelist_forget(&o->mc->freelist[c]);
	s->alloc_cache = ga_class_empty_cache[c];
	s->alloc_bits[0] = 0;
	s->window_base = 0;
	s->alloc_count = 0;
}

static inline void
clear_windows(ga_owner *o, uint64_t mask)
{
	for (; mask != 0; mask &= mask - 1)
		clear_window(o, (unsigned) __builtin_ctzll(mask));
}

/*
 * reset_rest
 *		A reset with GA_RESET_REST or a class in reset_full: classes that
 *		went through alloc_slow (every dirty class, if the mcache holds
 *		more than keep_pages), classes of 64 and up, large objects.  The
 *		per-tuple pattern never comes here.
 */
static GA_NOINLINE void
reset_rest(ga_owner *o, uint64_t dirty)
{
	uint64_t	full = o->reset_full & ~GA_RESET_REST;

	if (o->mc->mcache_pages > o->keep_pages)
		full |= dirty;
	clear_windows(o, dirty & ~full);
	reset_classes(o, 0, full & o->mc->used[0]);
	reset_classes(o, 64, o->dirty_high & o->mc->used[1]);
	o->counted[1] |= o->dirty_high;
	o->dirty_high = 0;
	if (o->large != NULL)
		release_list(o, &o->large);
	/* classes a reset did not visit may keep the mcache over keep_pages */
	o->reset_full = o->mc->mcache_pages > o->keep_pages ? GA_RESET_REST : 0;
}

/*
 * ga_owner_reset
 *		Free every object.  Only classes allocated from since the last
 *		reset (dirty) can hold objects, mcentral spans or a free list, so
 *		only those are visited: the per-tuple pattern pays for the classes
 *		it used, not for every class it ever used.  Unless reset_full says
 *		otherwise, each of them allocated from its window only and takes
 *		clear_window.
 */
void
ga_owner_reset(ga_owner *o)
{
	uint64_t	dirty = o->dirty;
	ga_nblock  *b = o->nursery;

	o->link_key += GA_LINK_EPOCH;	/* forgotten links decode to nothing */

	/*
	 * The per-tuple pattern: an owner in the nursery whose one block holds
	 * everything since the last reset.  No slot was taken since then
	 * (dirty and reset_full are 0), so no span, window or free list has
	 * changed: emptying the block is the whole reset.
	 */
	if (b != NULL && b->next == NULL && o->nursery_cap != 0 &&
		(dirty | o->reset_full) == 0)
	{
		ga_nblock_clear(b);
		return;
	}
	o->counted[0] |= dirty;
	o->dirty = 0;
	if (b != NULL)
		ga_nursery_reset(o);
	if (GA_UNLIKELY(o->reset_full != 0))
	{
		reset_rest(o, dirty);
		return;
	}
	clear_windows(o, dirty);
}

/*
 * retire_counts
 *		Move the owner's per-class counts into the heap's retired_objects:
 *		every object of it is freed now.  The mallocs are added for every
 *		class up to the highest one counted, without asking which were
 *		used: an owner that held a nursery block counts its ~37 classes, of
 *		which a per-query context uses a few, and finding those (a test of
 *		their counters four classes at a time) cost a one-row query's
 *		retire about 650 instructions, where the adds take about 160.  The
 *		lists' pops are added for the classes in counted alone (those that
 *		took slots; ga_empty_mcache has none).
 */
static void
retire_counts(ga_owner *o)
{
	uint64_t   *restrict into = o->heap->retired_objects;
	uint64_t   *restrict from = o->mallocs;
	uint64_t	low = o->counted[0];
	uint64_t	high;
	size_t		n;
	size_t		i;
	unsigned	c;
	unsigned	w;

	if (o->nursery_counted)
		low |= ga_nursery_classes();
	n = low != 0 ? 64 - (size_t) __builtin_clzll(low) : 0;

	/*
	 * Two classes a step: n rounded up to even is at most 64, and a class
	 * above the highest counted adds its 0.
	 */
	for (i = 0; i < n; i += 2)
	{
		into[i] += from[i];
		into[i + 1] += from[i + 1];
		from[i] = 0;
		from[i + 1] = 0;
	}
	for (high = o->counted[1]; high != 0; high &= high - 1)
	{
		i = 64 + (size_t) __builtin_ctzll(high);
		into[i] += from[i];
		from[i] = 0;
	}
	if (o->mc == &ga_empty_mcache)
		return;
	for (w = 0; w < 2; w++)
	{
		uint64_t	mask;

		for (mask = o->counted[w]; mask != 0; mask &= mask - 1)
		{
			c = w * 64 + (unsigned) __builtin_ctzll(mask);
			into[c] += ga_freelist_pops(&o->mc->freelist[c]);
			ga_freelist_clear_pops(&o->mc->freelist[c]);
		}
	}
}

/*
 * owner_retire
 *		Free every object and every span; fold the owner's counts into the
 *		heap's (leaving its own at 0) and unlink it; free its mcache.  Its
 *		nursery blocks go back too, but the newest one if keep_block and
 *		ga_nursery_recycle keeps it.
 */
static void
owner_retire(ga_owner *o, bool keep_block)
{
	ga_heap    *h = o->heap;

	o->keep_pages = 0;
	o->counted[0] |= o->dirty;
	o->counted[1] |= o->dirty_high;
	o->dirty = 0;
	o->dirty_high = 0;
	o->reset_full = 0;
	reset_classes(o, 0, o->mc->used[0]);
	reset_classes(o, 64, o->mc->used[1]);
	release_list(o, &o->large);
	if (keep_block)
		ga_nursery_recycle(o);
	else
		ga_nursery_destroy(o);
	retire_counts(o);
	o->counted[0] = 0;
	o->counted[1] = 0;
	o->nursery_counted = false;
	h->retired_large_total += o->large_total;
	if (o->prev)
		o->prev->next = o->next;
	else
		h->owners = o->next;
	if (o->next)
		o->next->prev = o->prev;
	h->nowners--;
	if (o->mc != &ga_empty_mcache)
		mcache_put(h, o->mc, o->no_freelists);
	o->mc = &ga_empty_mcache;
}

/*
 * ga_owner_destroy
 *		Free every object and every span; fold the owner's counts into the
 *		heap's and unlink it.
 */
void
ga_owner_destroy(ga_owner *o)
{
	owner_retire(o, false);
	o->mem_mirror = NULL;
	o->heap = NULL;
}

/*
 * ga_owner_recycle
 *		ga_owner_destroy for an owner its embedder keeps for its next
 *		context, as aset.c keeps deleted contexts with their keeper block
 *		(context_freelists): every object and span goes and the counts are
 *		folded as by ga_owner_destroy, but an owner in the nursery keeps its
 *		newest block, emptied, if it is at most GA_NURSERY_KEEP bytes, so
 *		that the next context's first requests need no block from the pool
 *		(ga_nursery_recycle).  The kept bytes leave the mirror, which is
 *		then forgotten.  The owner stays off the heap's list until
 *		ga_owner_reuse; ga_owner_discard gives the block back instead.
 */
void
ga_owner_recycle(ga_owner *o)
{
	owner_retire(o, true);
	if (o->mem_mirror)
		*o->mem_mirror -= o->nursery_bytes;
	o->mem_mirror = NULL;
}

/*
 * ga_owner_reuse
 *		ga_owner_init for a recycled owner, on the heap it was recycled
 *		from: its counts are 0 already (owner_retire), so only the fields
 *		before them are cleared, and the block it kept becomes its first.
 *		It starts out of the nursery, as ga_owner_init's owner does; the
 *		block stays until its first reset if it is not put back in.
 */
void
ga_owner_reuse(ga_owner *o, size_t hdr, size_t keep_bytes)
{
	ga_heap    *h = o->heap;
	ga_nblock  *kept = o->nursery;
	uint32_t	kept_bytes = o->nursery_bytes;

	memset(o, 0, offsetof(ga_owner, mallocs));
	owner_setup(o, h, hdr, keep_bytes);
	o->nursery = kept;
	o->nursery_bytes = kept_bytes;
	o->nursery_counted = (kept != NULL);
}

/*
 * ga_owner_discard
 *		A recycled owner that will not be reused gives back its block.
 */
void
ga_owner_discard(ga_owner *o)
{
	ga_nursery_destroy(o);
	o->heap = NULL;
}

bool
ga_owner_is_empty(const ga_owner *o)
{
	ga_class_counts counts[GA_NUM_CLASSES];
	int			c;

	ga_owner_read_class_counts(o, counts);
	for (c = 0; c < GA_NUM_CLASSES; c++)
		if (counts[c].mallocs != counts[c].frees)
			return false;
	return true;
}
