/*-------------------------------------------------------------------------
 *
 * pagealloc.c
 *	  The page allocator: free page runs of the ordinary arenas.
 *
 * Go's page allocator keeps a bitmap per 4 MiB chunk and a radix tree of
 * (start, max, end) summaries over the address space, and allocates
 * address-ordered first fit.  goalloc keeps the free runs themselves, as
 * span structs in state GA_SPAN_FREE, in the bins of a two-level
 * segregated fit (TLSF) index over page counts:
 *
 *	- runs of 1 .. 63 pages have one bin per length;
 *	- above that, each power of two is split into 16 bins, so a bin's
 *	  runs differ in length by at most 1/16;
 *	- a bitmap of non-empty bins makes the search a few word scans.
 *
 * A search for n pages looks first at the head entries of n's own bin
 * (which may hold shorter runs), then takes the first run of the next
 * non-empty bin, which is certain to fit.  The cost does not depend on the
 * size of the heap.  The allocated pages are cut from the low end of the
 * run; the rest stays free.
 *
 * There are two such indexes: runs wholly backed by memory, and runs with
 * pages released to the OS.  A search tries the first before the second,
 * so that memory still backed is reused before released pages are faulted
 * back in (without it, a heap that churns large objects takes released
 * runs while backed ones pile up for the scavenger to release).
 *
 * Coalescing uses boundary tags: the spans table entries of a free run's
 * first and last page point at the run (its other pages at the run or at
 * the dummy ga_empty_span: never at a dead struct).  Freeing pages [p, p+n) looks at
 * spans[p-1] and spans[p+n], which are always the last page of the left
 * neighbour and the first page of the right one, and merges with either
 * that is free.  Runs never cross an arena boundary.
 *
 * Each arena keeps a bitmap of released pages (scavenged, 1 = returned to
 * the OS and therefore zero); a free run caches how many of its pages are
 * released in nscav, so the scavenger skips runs it has finished.
 *
 *-------------------------------------------------------------------------
 */
#include "ga_internal.h"

static unsigned
bin_of(size_t npages)
{
	unsigned	f;

	if (npages < GA_EXACT_BINS)
		return (unsigned) npages;
	f = 63 - (unsigned) __builtin_clzll((unsigned long long) npages);
	return GA_EXACT_BINS + (f - 6) * (1u << GA_SUBBIN_BITS) +
		(unsigned) ((npages >> (f - GA_SUBBIN_BITS)) & ((1u << GA_SUBBIN_BITS) - 1));
}

/* Which index a run belongs in: 0 if wholly backed, 1 if not. */
static inline int
run_index(const ga_span *run)
{
	return run->nscav > 0;
}

static void
bin_mark(ga_heap *h, int x, unsigned b, bool nonempty)
{
	if (nonempty)
		h->free_nonempty[x][b / 64] |= UINT64_C(1) << (b % 64);
	else
		h->free_nonempty[x][b / 64] &= ~(UINT64_C(1) << (b % 64));
}

/* First non-empty bin of index x at or after b, or GA_PAGE_BINS. */
static unsigned
bin_next_nonempty(const ga_heap *h, int x, unsigned b)
{
	unsigned	w;
	uint64_t	bits;

	if (b >= GA_PAGE_BINS)
		return GA_PAGE_BINS;
	w = b / 64;
	bits = h->free_nonempty[x][w] & (~UINT64_C(0) << (b % 64));
	for (;;)
	{
		if (bits != 0)
			return w * 64 + (unsigned) __builtin_ctzll(bits);
		if (++w >= GA_BIN_WORDS)
			return GA_PAGE_BINS;
		bits = h->free_nonempty[x][w];
	}
}

void
ga_pages_insert(ga_heap *h, ga_span *run)
{
	unsigned	b = bin_of(run->npages);
	ga_arena   *ar = run->arena;
	size_t		first = ga_page_index(ar, run->base);

	int			x = run_index(run);

	run->state = GA_SPAN_FREE;
	run->owner = NULL;
	run->sizeclass = 0;
	ar->spans[first] = run;
	ar->spans[first + run->npages - 1] = run;
	ga_list_push(&h->free_bins[x][b], run);
	bin_mark(h, x, b, true);
}

/* Take a run out of its bin.  Its nscav must be what it was at insert. */
void
ga_pages_unlink(ga_heap *h, ga_span *run)
{
	unsigned	b = bin_of(run->npages);
	int			x = run_index(run);

	ga_list_remove(&h->free_bins[x][b], run);
	if (h->free_bins[x][b] == NULL)
		bin_mark(h, x, b, false);
}

/*
 * find_in
 *		Good fit in one index: the head entries of npages' own bin (which
 *		may hold shorter runs), then the first run of the next non-empty
 *		bin, which is certain to fit.
 */
static ga_span *
find_in(ga_heap *h, int x, size_t npages)
{
	unsigned	b = bin_of(npages);
	ga_span    *run;

	if (npages >= GA_EXACT_BINS)
	{
		int			looked = 0;

		for (run = h->free_bins[x][b]; run != NULL && looked < 8; run = run->next, looked++)
			if (run->npages >= npages)
				return run;
		b++;
	}
	b = bin_next_nonempty(h, x, b);
	return b < GA_PAGE_BINS ? h->free_bins[x][b] : NULL;
}

/*
 * ga_pages_find
 *		A free run of at least npages pages, left in place; NULL if none.
 *		Wholly backed runs first.
 */
ga_span *
ga_pages_find(ga_heap *h, size_t npages)
{
	ga_span    *run = find_in(h, 0, npages);

	return run != NULL ? run : find_in(h, 1, npages);
}

/*
 * ga_pages_take
 *		Cut npages pages from the low end of a free run and return them as
 *		a span struct (state still to be set by the caller; the spans table
 *		is not yet pointed at it).  *nscav gets how many of the pages had
 *		been released to the OS.  NULL, with the run untouched, if no span
 *		struct can be had.
 */
ga_span *
ga_pages_take(ga_heap *h, ga_span *run, size_t npages, size_t *nscav)
{
	ga_arena   *ar = run->arena;
	size_t		first = ga_page_index(ar, run->base);
	size_t		scav;
	ga_span    *s;

	if (run->npages == npages)
		s = run;
	else
	{
		s = ga_span_struct_alloc(h);
		if (s == NULL)
			return NULL;
	}

	if (run->nscav == 0)
		scav = 0;
	else if (run->nscav == run->npages)
		scav = npages;
	else
		scav = ga_count_bits(ar->scavenged, first, npages);
	if (scav > 0)
		ga_set_bits(ar->scavenged, first, npages, false);
	h->pages_released -= scav;
	ar->pages_released -= scav;
	*nscav = scav;

	ga_pages_unlink(h, run);
	if (s != run)
	{
		run->base += GA_PAGES_BYTES(npages);
		run->npages -= npages;
		run->nscav -= (uint32_t) scav;
		ga_pages_insert(h, run);
		s->base = ar->base + GA_PAGES_BYTES(first);
		s->npages = npages;
		s->arena = ar;
	}
	s->nscav = 0;
	s->state = GA_SPAN_DEAD;	/* the caller gives it its state */
	return s;
}

/*
 * free_run
 *		Turn an in-use span into a free run of which nscav pages are
 *		released (their scavenged bits set by the caller), merged with free
 *		neighbours.
 */
static void
free_run(ga_heap *h, ga_span *s, size_t nscav)
{
	ga_arena   *ar = s->arena;
	size_t		first = ga_page_index(ar, s->base);
	size_t		end = first + s->npages;

	s->owner = NULL;
	s->nscav = (uint32_t) nscav;
	s->alloc_count = 0;
	/* No spans entry may point at a struct that is about to die. */
	ga_set_spans(ar, first, s->npages, &ga_empty_span);
	if (first > 0)
	{
		ga_span    *left = ar->spans[first - 1];

		if (left != NULL && left->state == GA_SPAN_FREE &&
			left->base + ga_span_bytes(left) == s->base)
		{
			ga_pages_unlink(h, left);
			left->npages += s->npages;
			left->nscav += s->nscav;
			ga_span_struct_free(h, s);
			s = left;
		}
	}
	if (end < ar->npages)
	{
		ga_span    *right = ar->spans[end];

		if (right != NULL && right->state == GA_SPAN_FREE &&
			right->base == s->base + ga_span_bytes(s))
		{
			ga_pages_unlink(h, right);
			ar->spans[end] = &ga_empty_span;
			s->npages += right->npages;
			s->nscav += right->nscav;
			ga_span_struct_free(h, right);
		}
	}
	ga_pages_insert(h, s);
}

/*
 * ga_pages_free
 *		Turn an in-use span into free pages, merged with free neighbours.
 *		Page accounting (pages_inuse) is the caller's.
 */
void
ga_pages_free(ga_heap *h, ga_span *s)
{
	free_run(h, s, 0);
}

/*
 * ga_pages_free_released
 *		The same for a span whose pages are all released already (fresh
 *		from the OS again, ga_heap_move_pages): they are counted released,
 *		as release_run (scavenge.c) counts what it releases.  Page
 *		accounting (pages_inuse) is the caller's.
 */
void
ga_pages_free_released(ga_heap *h, ga_span *s)
{
	ga_arena   *ar = s->arena;

	ga_set_bits(ar->scavenged, ga_page_index(ar, s->base), s->npages, true);
	ar->pages_released += s->npages;
	h->pages_released += s->npages;
	free_run(h, s, s->npages);
}

/* ---- bit ranges ---- */

size_t
ga_count_bits(const uint64_t *bits, size_t first, size_t n)
{
	size_t		count = 0;

	while (n > 0)
	{
		size_t		w = first / 64;
		unsigned	off = (unsigned) (first % 64);
		size_t		take = 64 - off < n ? 64 - off : n;
		uint64_t	mask = (take == 64) ? ~UINT64_C(0) : ((UINT64_C(1) << take) - 1) << off;

		count += (size_t) __builtin_popcountll(bits[w] & mask);
		first += take;
		n -= take;
	}
	return count;
}

void
ga_set_bits(uint64_t *bits, size_t first, size_t n, bool on)
{
	while (n > 0)
	{
		size_t		w = first / 64;
		unsigned	off = (unsigned) (first % 64);
		size_t		take = 64 - off < n ? 64 - off : n;
		uint64_t	mask = (take == 64) ? ~UINT64_C(0) : ((UINT64_C(1) << take) - 1) << off;

		if (on)
			bits[w] |= mask;
		else
			bits[w] &= ~mask;
		first += take;
		n -= take;
	}
}
