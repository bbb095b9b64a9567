/*-------------------------------------------------------------------------
 *
 * mheap.c
 *	  The heap (Go's mheap): arenas, the arena index, span structs, and the
 *	  heap's cache of empty spans.
 *
 * Arenas.  Address space comes from the OS in arenas of 64 MiB, each
 * aligned to its size, like Go's heapArena.  Ordinary arenas are cut in
 * order from one region reserved PROT_NONE when the heap is created (64
 * GiB of address space, no memory) and made read-write one arena at a
 * time.  A flat spans map, one entry per 8 KiB page of the region, gives
 * the span of any interior pointer as spans_map[(addr - region_base) >> 13]
 * (Go's heapArena.spans, made flat as Go's arena index is flat on 64-bit):
 * the free fast path makes one compare and one load to find its span.  The
 * map is reserved with the region and backed one arena's slice at a time.
 *
 * The arena of any address, ordinary or huge, is arena_index[addr >> 26]:
 * one shift, one load, no hash table.  The index covers the 47-bit user
 * address space (2^21 slots, 16 MiB of address space mapped with
 * MAP_NORESERVE, of which only the pages holding used slots are touched).
 *
 * An object larger than an arena gets a huge arena of its own, mapped to
 * its size and aligned like the others; every index slot it covers points
 * to it, and its spans table has a single entry that every offset maps to
 * (page_shift 63).  Freeing it unmaps it: memory that large goes straight
 * back to the OS.
 *
 * Spans.  Span structs come from blocks mapped for the purpose (Go's
 * fixalloc for mspans), never from the arenas, so an arena's pages hold
 * nothing but objects.  Unlike fixalloc's, the blocks shrink: when the
 * heap gives pages back at the end of a unit of work, blocks whose structs
 * are all dead are unmapped (ga_span_structs_release).
 *
 * The span cache.  A small span that becomes empty is cleared and kept by
 * the heap per size class, up to span_cache_limit pages, before its pages
 * go back to the page allocator.  Contexts created and deleted in a loop,
 * and alloc/free at a span boundary, then cost a list pop, not a trip
 * through the page allocator.  Cached spans count as in use (they hold
 * pages); the scavenger and the heap limit empty the cache first.
 *
 * Every function here returns NULL or false on failure and leaves the heap
 * as it was.
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* mremap and MREMAP_FIXED, Linux only */
#endif

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ga_internal.h"
#include "ga_testing.h"			/* ga_testing_mremap_refusals */

#define SPAN_BLOCK_SIZE ((size_t) 64 << 10)
#define SPAN_BLOCK_HDR	64		/* link to the next block, padded */
#define SPANS_PER_BLOCK	((SPAN_BLOCK_SIZE - SPAN_BLOCK_HDR) / sizeof(ga_span))

/*
 * Map size bytes: readable and writable, or (prot_none) address space only.
 * Under strict overcommit (vm.overcommit_memory = 2, which PostgreSQL's
 * documentation recommends) the kernel charges a private writable mapping
 * against the commit limit whatever MAP_NORESERVE says, and a PROT_NONE one
 * not at all: the region is reserved PROT_NONE and made writable one
 * arena's slice at a time, so only what the heap backs is ever charged.
 */
static void *
os_map_prot(size_t size, bool prot_none)
{
	void	   *p = mmap(NULL, size, prot_none ? PROT_NONE : PROT_READ | PROT_WRITE,
						 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void *
os_map(size_t size)
{
	return os_map_prot(size, false);
}

/*
 * Mark an ordinary arena for transparent huge pages, or unmark it
 * (ga_heap_set_huge_pages).  False if the OS refused.
 */
static bool
os_advise_huge(uintptr_t base, size_t size, bool on)
{
#if defined(MADV_HUGEPAGE) && defined(MADV_NOHUGEPAGE)
	return madvise((void *) base, size, on ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) == 0;
#else
	(void) base;
	(void) size;
	return !on;
#endif
}

/* A mapping of size bytes aligned to GA_ARENA_SIZE, or NULL. */
static void *
os_map_aligned(size_t size, bool prot_none)
{
	size_t		total = size + GA_ARENA_SIZE;
	char	   *raw;
	uintptr_t	start;
	size_t		head;

	if (total < size)
		return NULL;
	raw = os_map_prot(total, prot_none);
	if (raw == NULL)
		return NULL;
	start = ((uintptr_t) raw + GA_ARENA_SIZE - 1) & ~(uintptr_t) (GA_ARENA_SIZE - 1);
	head = start - (uintptr_t) raw;
	if (head > 0)
		munmap(raw, head);
	if (total - head - size > 0)
		munmap((char *) start + size, total - head - size);
	return (void *) start;
}

static size_t
spans_map_bytes(size_t region_size)
{
	return (region_size >> GA_PAGE_SHIFT) * sizeof(ga_span *);
}

/*
 * region_size_to_try
 *		The largest region to ask for: GA_REGION_MAX, or under an address-
 *		space limit (RLIMIT_AS, ulimit -v) the largest power of two no more
 *		than a quarter of it, so that the reservation leaves the process
 *		room for everything else it maps.
 */
static size_t
region_size_to_try(void)
{
	struct rlimit rl;
	size_t		size = GA_REGION_MAX;

	if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
	{
		while (size > GA_REGION_MIN && size > (size_t) (rl.rlim_cur / 4))
			size /= 2;
	}
	return size;
}

/*
 * reserve_region
 *		Reserve the region for ordinary arenas and its spans map, both
 *		PROT_NONE: address space only.  Halve the request while the OS
 *		refuses (a ulimit -v, say), down to one arena.
 */
static bool
reserve_region(ga_heap *h)
{
	size_t		size;

	for (size = region_size_to_try(); size >= GA_REGION_MIN; size /= 2)
	{
		void	   *base = os_map_aligned(size, true);
		void	   *map;

		if (base == NULL)
			continue;
		if ((uintptr_t) base + size > ((uintptr_t) 1 << GA_ADDR_BITS))
		{
			munmap(base, size);
			continue;
		}
		map = mmap(NULL, spans_map_bytes(size), PROT_NONE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (map == MAP_FAILED)
		{
			munmap(base, size);
			continue;
		}
		h->map.region_base = (uintptr_t) base;
		h->map.region_size = size;
		h->map.spans_map = map;
		return true;
	}
	return false;
}

/* ---- the heap ---- */

ga_heap *
ga_heap_create(const ga_heap_config *cfg)
{
	ga_heap    *h;

	ga_sizeclasses_init();
	h = os_map(sizeof(ga_heap));
	if (h == NULL)
		return NULL;
	memset(h, 0, sizeof(ga_heap));
	h->arena_index = os_map(GA_ARENA_INDEX_LEN * sizeof(ga_arena *));
	if (h->arena_index == NULL)
	{
		munmap(h, sizeof(ga_heap));
		return NULL;
	}
	if (!reserve_region(h))
	{
		munmap(h->arena_index, GA_ARENA_INDEX_LEN * sizeof(ga_arena *));
		munmap(h, sizeof(ga_heap));
		return NULL;
	}
	h->retain_bytes = cfg ? cfg->retain_bytes : GA_DEFAULT_RETAIN;
	h->limit_bytes = cfg ? cfg->limit_bytes : 0;
	h->span_cache_limit = (cfg ? cfg->span_cache_bytes : GA_DEFAULT_SPAN_CACHE) >> GA_PAGE_SHIFT;
	if (cfg)
	{
		h->on_error = cfg->on_error;
		h->error_arg = cfg->error_arg;
		h->budget = cfg->budget;
		h->budget_arg = cfg->budget_arg;
		h->outside = cfg->outside;
		h->outside_arg = cfg->outside_arg;
		h->huge_pages = cfg->huge_pages;
	}
	ga_nursery_pool_init(h);
	return h;
}

/* Bytes of the metadata of an arena of npages pages: the struct, a huge
 * arena's one-entry spans table, the released-pages bitmap. */
static size_t
arena_meta_size(size_t npages)
{
	return sizeof(ga_arena) + sizeof(ga_span *) +
		((npages + 63) / 64) * sizeof(uint64_t);
}

void
ga_heap_destroy(ga_heap *h)
{
	ga_arena   *ar = h->arenas;
	ga_owner   *o;

	/* the mcaches are malloc'd (ga_owner_get_mcache): the owners' too */
	for (o = h->owners; o != NULL; o = o->next)
		if (o->mc != &ga_empty_mcache)
		{
			free(o->mc);
			o->mc = &ga_empty_mcache;
		}
	if (h->nursery_pool.mc != &ga_empty_mcache)
		free(h->nursery_pool.mc);
	while (h->mcache_pool != NULL)
	{
		ga_mcache  *mc = h->mcache_pool;

		h->mcache_pool = mc->pool_next;
		free(mc);
	}

	while (ar)
	{
		ga_arena   *next = ar->next;

		if (ar->huge)
			munmap((void *) ar->base, ar->size);
		munmap(ar, ar->meta_size);
		ar = next;
	}
	munmap((void *) h->map.region_base, h->map.region_size);
	munmap(h->map.spans_map, spans_map_bytes(h->map.region_size));
	while (h->span_blocks)
	{
		void	   *next = *(void **) h->span_blocks;

		munmap(h->span_blocks, SPAN_BLOCK_SIZE);
		h->span_blocks = next;
	}
	munmap(h->arena_index, GA_ARENA_INDEX_LEN * sizeof(ga_arena *));
	munmap(h, sizeof(ga_heap));
}

void
ga_heap_set_limit(ga_heap *h, size_t limit_bytes)
{
	h->limit_bytes = limit_bytes;
}

void
ga_heap_set_retain(ga_heap *h, size_t retain_bytes)
{
	h->retain_bytes = retain_bytes;
	ga_scavenge_maybe(h);
}

bool
ga_heap_set_huge_pages(ga_heap *h, bool on)
{
	ga_arena   *ar;
	bool		ok = true;

	if (!on && !h->huge_pages)
		return true;			/* nothing is marked: leave the default */
	h->huge_pages = on;
	for (ar = h->arenas; ar != NULL; ar = ar->next)
	{
		if (ar->huge)
			continue;
		if (!os_advise_huge(ar->base, ar->size, on))
			ok = false;
		else
			ar->nohuge = !on;
	}
	return ok;
}

void
ga_heap_get_map(const ga_heap *h, ga_map *out)
{
	*out = h->map;
}

void
ga_heap_set_error_handler(ga_heap *h, ga_error_fn fn, void *arg)
{
	h->on_error = fn;
	h->error_arg = arg;
}

/* ---- the arena index ---- */

static size_t
index_slot(uintptr_t addr)
{
	return (addr >> GA_ARENA_SHIFT) & (GA_ARENA_INDEX_LEN - 1);
}

ga_arena *
ga_arena_of(const ga_heap *h, uintptr_t addr)
{
	ga_arena   *ar = h->arena_index[index_slot(addr)];

	if (ar == NULL || addr - ar->base >= ar->size)
		return NULL;
	return ar;
}

static void
index_set(ga_heap *h, ga_arena *ar, ga_arena *value)
{
	uintptr_t	a;

	for (a = ar->base; a < ar->base + ar->size; a += GA_ARENA_SIZE)
		h->arena_index[index_slot(a)] = value;
}

/*
 * new_arena
 *		An ordinary arena from the region, or a huge arena of size bytes
 *		mapped on its own; entered in the arena index.  NULL if the OS says
 *		no or the region is used up.
 */
static ga_arena *
new_arena(ga_heap *h, size_t size, bool huge)
{
	size_t		npages = size >> GA_PAGE_SHIFT;
	size_t		meta = arena_meta_size(npages);
	ga_arena   *ar;
	uintptr_t	base;
	ga_span   **spans = NULL;

	ar = os_map(meta);
	if (ar == NULL)
		return NULL;
	if (huge)
	{
		void	   *p = os_map_aligned(size, false);

		if (p == NULL || (uintptr_t) p + size > ((uintptr_t) 1 << GA_ADDR_BITS))
		{
			if (p)
				munmap(p, size);
			munmap(ar, meta);
			return NULL;
		}
		base = (uintptr_t) p;
		spans = (ga_span **) (ar + 1);
	}
	else
	{
		size_t		slice = GA_ARENA_PAGES * sizeof(ga_span *);
		size_t		i;

		base = h->map.region_base + h->region_used;
		spans = h->map.spans_map + (h->region_used >> GA_PAGE_SHIFT);
		if (h->region_used + size > h->map.region_size ||
			mprotect((void *) base, size, PROT_READ | PROT_WRITE) != 0)
		{
			munmap(ar, meta);
			return NULL;
		}
		if (mprotect(spans, slice, PROT_READ | PROT_WRITE) != 0)
		{
			mprotect((void *) base, size, PROT_NONE);
			munmap(ar, meta);
			return NULL;
		}
		for (i = 0; i < GA_ARENA_PAGES; i++)
			spans[i] = &ga_empty_span;
		/* a refusal only costs the huge pages (ga_heap_set_huge_pages) */
		if (h->huge_pages)
			(void) os_advise_huge(base, size, true);
		h->region_used += size;
		meta += slice;
	}
	ar->meta_size = arena_meta_size(npages);
	ar->base = base;
	ar->size = size;
	ar->huge = huge;
	ar->page_shift = huge ? 63 : GA_PAGE_SHIFT;
	ar->npages = npages;
	ar->spans = spans;
	ar->scavenged = (uint64_t *) ((ga_span **) (ar + 1) + 1);
	ar->index = h->next_arena_ordinal++;
	ar->next = NULL;
	if (h->arenas_tail)
		h->arenas_tail->next = ar;
	else
		h->arenas = ar;
	h->arenas_tail = ar;
	h->narenas++;
	h->nhuge += huge;
	h->arena_meta_bytes += meta;
	h->pages_sys += ar->npages;
	index_set(h, ar, ar);
	return ar;
}

/*
 * drop_arena
 *		Unmap a huge arena.  (Ordinary arenas stay for the heap's life.)
 */
static void
drop_arena(ga_heap *h, ga_arena *ar)
{
	ga_arena  **pp = &h->arenas;
	ga_arena   *prev = NULL;
	size_t		meta = ar->meta_size;

	while (*pp != ar)
	{
		prev = *pp;
		pp = &(*pp)->next;
	}
	*pp = ar->next;
	if (h->arenas_tail == ar)
		h->arenas_tail = prev;
	h->narenas--;
	h->nhuge--;
	h->arena_meta_bytes -= meta;
	h->pages_sys -= ar->npages;
	index_set(h, ar, NULL);
	munmap((void *) ar->base, ar->size);
	munmap(ar, meta);
	ga_budget_shrunk(h);
}

/*
 * grow
 *		Add an ordinary arena: one free run of released (never touched,
 *		zero) pages, as Go counts a fresh arena.
 */
static bool
grow(ga_heap *h)
{
	ga_span    *run = ga_span_struct_alloc(h);
	ga_arena   *ar;

	if (run == NULL)
		return false;
	ar = new_arena(h, GA_ARENA_SIZE, false);
	if (ar == NULL)
	{
		ga_span_struct_free(h, run);
		return false;
	}
	ga_set_bits(ar->scavenged, 0, ar->npages, true);
	ar->pages_released = ar->npages;
	h->pages_released += ar->npages;
	run->base = ar->base;
	run->npages = ar->npages;
	run->arena = ar;
	run->nscav = (uint32_t) ar->npages;
	ga_pages_insert(h, run);
	return true;
}

void
ga_set_spans(ga_arena *ar, size_t first, size_t npages, ga_span *s)
{
	size_t		i;

	for (i = 0; i < npages; i++)
		ar->spans[first + i] = s;
}

/* ---- span structs (Go's fixalloc) ---- */

ga_span *
ga_span_struct_alloc(ga_heap *h)
{
	ga_span    *s = h->span_freelist;

	if (s == NULL)
	{
		char	   *block = os_map(SPAN_BLOCK_SIZE);
		size_t		i;

		if (block == NULL)
			return NULL;
		*(void **) block = h->span_blocks;
		h->span_blocks = block;
		h->span_block_bytes += SPAN_BLOCK_SIZE;
		for (i = 0; i < SPANS_PER_BLOCK; i++)
		{
			ga_span    *x = (ga_span *) (block + SPAN_BLOCK_HDR) + i;

			x->next = h->span_freelist;
			h->span_freelist = x;
		}
		h->spans_mapped += SPANS_PER_BLOCK;
		s = h->span_freelist;
	}
	h->span_freelist = s->next;
	h->spans_inuse++;
	/* the bitmap is left alone: formatting a span clears it */
	memset(s, 0, offsetof(ga_span, alloc_bits));
	memset(&s->partial_at, 0, sizeof(ga_span) - offsetof(ga_span, partial_at));
	return s;
}

void
ga_span_struct_free(ga_heap *h, ga_span *s)
{
	s->state = GA_SPAN_DEAD;
	s->owner = NULL;
	s->next = h->span_freelist;
	h->span_freelist = s;
	h->spans_inuse--;
}

/*
 * ga_span_structs_release
 *		Unmap the blocks of span structs that hold no live span, and thread
 *		the free list through the dead structs of the others, the oldest
 *		block's on top, so that new spans fill the blocks that live spans
 *		already pin.  Returns the bytes unmapped.
 *
 * Go's fixalloc never shrinks: a backend whose one large query used 190 MB
 * of small spans would keep their 23,000 structs (2.9 MB) for its life.  A
 * dead struct (GA_SPAN_DEAD) is referenced by nothing but the free list,
 * the spans table pointing at ga_empty_span instead (pagealloc.c), so a
 * block of dead structs may go.  If the live structs found are not
 * spans_inuse (one is in the middle of a change), nothing is touched.
 * O(structs mapped): for the points where the heap gives pages back.
 */

/* Live (not GA_SPAN_DEAD) structs of one block of span structs. */
static size_t
span_block_live(void *block)
{
	const ga_span *first = (const ga_span *) ((char *) block + SPAN_BLOCK_HDR);
	size_t		n = 0;
	size_t		i;

	for (i = 0; i < SPANS_PER_BLOCK; i++)
		n += first[i].state != GA_SPAN_DEAD;
	return n;
}

size_t
ga_span_structs_release(ga_heap *h)
{
	ga_span    *freelist = NULL;
	void	  **link;
	void	   *block;
	size_t		live = 0;
	size_t		unmapped = 0;
	size_t		i;

	if (h->spans_mapped - h->spans_inuse < SPANS_PER_BLOCK)
		return 0;				/* no block can be all dead */
	for (block = h->span_blocks; block != NULL; block = *(void **) block)
		live += span_block_live(block);
	if (live != h->spans_inuse)
		return 0;

	link = &h->span_blocks;
	while ((block = *link) != NULL)
	{
		ga_span    *first = (ga_span *) ((char *) block + SPAN_BLOCK_HDR);

		if (span_block_live(block) == 0)
		{
			*link = *(void **) block;
			munmap(block, SPAN_BLOCK_SIZE);
			h->spans_mapped -= SPANS_PER_BLOCK;
			h->span_block_bytes -= SPAN_BLOCK_SIZE;
			unmapped += SPAN_BLOCK_SIZE;
			continue;
		}
		for (i = 0; i < SPANS_PER_BLOCK; i++)
			if (first[i].state == GA_SPAN_DEAD)
			{
				first[i].next = freelist;
				freelist = &first[i];
			}
		link = (void **) block;
	}
	h->span_freelist = freelist;
	return unmapped;
}

/* ---- page runs for spans ---- */

/*
 * alloc_huge
 *		A span of its own arena for an object larger than an arena.
 */
static ga_span *
alloc_huge(ga_heap *h, size_t npages)
{
	ga_span    *s;
	ga_arena   *ar;

	if (!ga_within_limit(h, npages))
	{
		ga_heap_scavenge(h, 0);
		if (!ga_within_limit(h, npages))
		{
			h->limit_refusals++;
			return NULL;
		}
	}
	s = ga_span_struct_alloc(h);
	if (s == NULL)
		return NULL;
	ar = new_arena(h, GA_PAGES_BYTES(npages), true);
	if (ar == NULL)
	{
		ga_span_struct_free(h, s);
		return NULL;
	}
	s->base = ar->base;
	s->npages = npages;
	s->arena = ar;
	s->needzero = false;		/* fresh from mmap */
	ar->spans[0] = s;
	ar->pages_inuse = npages;
	h->pages_inuse += npages;
	return s;
}

/*
 * ga_heap_alloc_span
 *		A run of npages pages as an in-use span (state and owner left to
 *		the caller), or NULL.  Takes the smallest fitting free run, growing
 *		the heap by an arena when none fits; a run that would take the
 *		heap past its limit first has the scavenger make room.
 */
ga_span *
ga_heap_alloc_span(ga_heap *h, size_t npages)
{
	int			attempt;

	if (npages > GA_ARENA_PAGES)
		return alloc_huge(h, npages);

	for (attempt = 0; attempt < 2; attempt++)
	{
		ga_span    *run = ga_pages_find(h, npages);
		ga_span    *s;
		size_t		need;
		size_t		nscav;

		/* Pages of the run that the OS must back again. */
		if (run == NULL)
			need = npages;
		else if (run->nscav == 0)
			need = 0;
		else
			need = ga_count_bits(run->arena->scavenged,
								 ga_page_index(run->arena, run->base), npages);
		if (!ga_within_limit(h, need))
		{
			/* Release every idle page, then look again from scratch. */
			if (attempt == 0)
			{
				ga_heap_scavenge(h, 0);
				continue;
			}
			h->limit_refusals++;
			return NULL;
		}
		if (run == NULL)
		{
			if (!grow(h))
				return NULL;
			run = ga_pages_find(h, npages);
			if (run == NULL)
				return NULL;	/* cannot happen: a fresh arena fits */
		}
		s = ga_pages_take(h, run, npages, &nscav);
		if (s == NULL)
			return NULL;
		s->needzero = nscav < npages;
		ga_set_spans(s->arena, ga_page_index(s->arena, s->base), npages, s);
		s->arena->pages_inuse += npages;
		h->pages_inuse += npages;
		return s;
	}
	return NULL;
}

/*
 * ga_heap_free_span
 *		Give an in-use span's pages back: a huge arena is unmapped, other
 *		pages join the free runs around them.
 */
void
ga_heap_free_span(ga_heap *h, ga_span *s)
{
	ga_arena   *ar = s->arena;

	h->pages_inuse -= s->npages;
	if (ar->huge)
	{
		ga_span_struct_free(h, s);
		drop_arena(h, ar);
		return;
	}
	ar->pages_inuse -= s->npages;
	ga_pages_free(h, s);
	ga_scavenge_maybe(h);
}

/*
 * ga_heap_free_span_released
 *		Give back an in-use span of an ordinary arena whose pages the caller
 *		has replaced with fresh pages the OS does not back (remap_fill):
 *		they join the free runs as released pages, as the scavenger leaves
 *		them (scavenged bits set, counted in nscav and pages_released), and
 *		the budget hears that the backed bytes shrank.
 */
void
ga_heap_free_span_released(ga_heap *h, ga_span *s)
{
	h->pages_inuse -= s->npages;
	s->arena->pages_inuse -= s->npages;
	ga_pages_free_released(h, s);
	ga_budget_shrunk(h);
	ga_scavenge_maybe(h);		/* the goal follows the pages in use */
}

/*
 * ga_heap_shrink_huge
 *		Unmap the tail of a huge arena so that its span keeps newpages
 *		pages.  The arena stays huge (a mapping of its own) even if it would
 *		now fit an ordinary one.  The owner's accounting is the caller's.
 */
void
ga_heap_shrink_huge(ga_heap *h, ga_span *s, size_t newpages)
{
	ga_arena   *ar = s->arena;
	size_t		ntail = s->npages - newpages;
	size_t		newsize = GA_PAGES_BYTES(newpages);

	index_set(h, ar, NULL);
	munmap((void *) (ar->base + newsize), ar->size - newsize);
	ar->size = newsize;
	ar->npages = newpages;
	ar->pages_inuse = newpages;
	index_set(h, ar, ar);
	s->npages = newpages;
	h->pages_sys -= ntail;
	h->pages_inuse -= ntail;
	ga_budget_shrunk(h);
}

/* ---- moving pages (realloc of a large chunk) ---- */

/*
 * mark_like_arena
 *		Give a range of an ordinary arena that was just mapped (or moved)
 *		the arena's transparent huge page marking (new_arena,
 *		ga_heap_set_huge_pages), so that it behaves, and its VMA merges, as
 *		the arena's.  A refusal only costs the huge pages, as there.
 */
static void
mark_like_arena(const ga_heap *h, const ga_arena *ar, uintptr_t addr,
				size_t len)
{
	if (h->huge_pages)
		(void) os_advise_huge(addr, len, true);
	else if (ar->nohuge)
		(void) os_advise_huge(addr, len, false);
}

#if defined(__linux__) && defined(MREMAP_FIXED) && defined(MREMAP_MAYMOVE)

/*
 * remap_fill
 *		Map fresh pages at [addr, addr + len) of an ordinary arena after
 *		mremap took the pages there away, as new_arena makes an arena
 *		writable: read-write, private, MAP_NORESERVE.
 *
 * A hole must never stay in the region: the page allocator would hand its
 * pages out and the first touch would fault far from here, and any other
 * mmap of the process could land in it, inside what ga_heap_contains calls
 * the heap's.  The map can fail only for want of kernel memory, or of
 * commit under strict overcommit: mremap refuses up front, before it
 * unmaps anything, when the process is within a few mappings of
 * vm.max_map_count, so the one mapping this adds always fits; and the
 * commit it needs is what the mremap has just released from the range it
 * unmapped, so only another process taking that in the microseconds
 * between can refuse it.  If it happens all the same, the heap cannot be
 * repaired (moving the pages back would leave the same hole at the other
 * end), so the process aborts with a message rather than go on with a
 * hole in its heap.
 */
static void
remap_fill(const ga_heap *h, const ga_arena *ar, uintptr_t addr, size_t len)
{
	static const char msg[] =
		"goalloc: cannot map pages again after mremap; aborting\n";
	void	   *p = mmap((void *) addr, len, PROT_READ | PROT_WRITE,
						 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
						 -1, 0);

	if (p != (void *) addr)
	{
		ssize_t		rc = write(STDERR_FILENO, msg, sizeof(msg) - 1);

		(void) rc;
		abort();
	}
	mark_like_arena(h, ar, addr, len);
}

/*
 * os_move
 *		mremap len bytes from old onto to, whose mapping the kernel replaces.
 *		Tests make it fail (ga_testing_mremap_refusals) to see the copy that
 *		follows.
 */
static bool
os_move(uintptr_t old, size_t oldlen, size_t newlen, uintptr_t to)
{
	if (ga_testing_mremap_refusals > 0)
	{
		ga_testing_mremap_refusals--;
		errno = ENOMEM;
		return false;
	}
	return mremap((void *) old, oldlen, newlen,
				  MREMAP_MAYMOVE | MREMAP_FIXED, (void *) to) == (void *) to;
}

/*
 * move_range
 *		Move [from, from + len) onto [to, to + len), piece by piece where the
 *		range lies across mappings.
 *
 * mremap moves from one mapping only, and fails with EFAULT otherwise.  A
 * large chunk often lies across two or three: a moved chunk is a mapping of
 * its own, and it may since have grown in place into its neighbour's pages,
 * or its span be made again of those pages and others.  So on EFAULT the
 * range is halved, at a page boundary, and each half moved; the boundaries
 * between mappings are page boundaries of the heap (they come from earlier
 * moves), so the halving stops at one mapping or at one page.  A piece the
 * kernel will not move (ENOMEM near vm.max_map_count) is copied onto fresh
 * pages instead; its old pages go with the rest of from's range, which the
 * caller maps again.
 */
static void
move_range(const ga_heap *h, const ga_arena *to_arena, uintptr_t from,
		   uintptr_t to, size_t len)
{
	size_t		half;

	if (os_move(from, len, len, to))
		return;
	if (errno == EFAULT && len > GA_PAGE_SIZE)
	{
		half = GA_PAGES_BYTES((len >> GA_PAGE_SHIFT) / 2);
		move_range(h, to_arena, from, to, half);
		move_range(h, to_arena, from + half, to + half, len - half);
		return;
	}
	remap_fill(h, to_arena, to, len);	/* the kernel may have unmapped it */
	memcpy((void *) to, (const void *) from, len);
}
#endif

/*
 * ga_heap_move_pages
 *		Move the pages of in-use span from onto the first pages of in-use
 *		span to, both in ordinary arenas, to no shorter than from, without
 *		copying them: one mremap, which also gives to's other pages fresh
 *		zero pages and makes to one mapping of its own (so that to can be
 *		moved again as a whole: mremap moves only within one mapping).
 *		When from lies across mappings, its pages are moved a mapping at a
 *		time (move_range).  from's range is mapped again at once with fresh
 *		pages the OS does not back; the caller frees from with
 *		ga_heap_free_span_released.
 *
 *		False if the OS refuses the move for another reason than mappings,
 *		or this is not Linux: to is then writable (mapped again if the
 *		failed mremap had unmapped it) and from untouched, for the caller to
 *		copy.  Accounting is the caller's; to's needzero is set.
 */
bool
ga_heap_move_pages(ga_heap *h, ga_span *from, ga_span *to)
{
#if defined(__linux__) && defined(MREMAP_FIXED) && defined(MREMAP_MAYMOVE)
	size_t		oldlen = ga_span_bytes(from);
	size_t		newlen = ga_span_bytes(to);

	if (from->arena->huge || to->arena->huge || newlen < oldlen)
		return false;
	if (!os_move(from->base, oldlen, newlen, to->base))
	{
		/*
		 * With MREMAP_FIXED the kernel unmaps the destination first and
		 * may fail after that: map to again, whatever happened to it.
		 */
		bool		across = errno == EFAULT;

		remap_fill(h, to->arena, to->base, newlen);
		if (!across)
			return false;
		move_range(h, to->arena, from->base, to->base, oldlen);
	}
	remap_fill(h, from->arena, from->base, oldlen);
	/* the moved mapping keeps from's arena's marking */
	if (to->arena != from->arena)
		mark_like_arena(h, to->arena, to->base, newlen);
	to->needzero = true;		/* it holds from's old data */
	return true;
#else
	(void) h;
	(void) from;
	(void) to;
	return false;
#endif
}

/* Read by os_move on Linux; defined everywhere, as ga_testing.h declares it. */
int			ga_testing_mremap_refusals = 0;

/* ---- the span cache ---- */

/*
 * ga_heap_get_class_span
 *		An empty span of the class: from the cache, or formatted from a
 *		fresh page run.  NULL when no memory can be had.
 */
ga_span *
ga_heap_get_class_span(ga_heap *h, unsigned sizeclass)
{
	ga_span    *s = ga_list_pop(&h->span_cache[sizeclass]);

	if (s != NULL)
	{
		h->span_cache_pages -= s->npages;
		return s;
	}
	s = ga_heap_alloc_span(h, ga_class_npages[sizeclass]);
	if (s != NULL)
		ga_span_format(s, sizeclass);
	return s;
}

/*
 * ga_heap_put_class_span
 *		Take back an owner's small span, whatever it holds (a reset frees
 *		its objects wholesale): clear it and cache it, or free its pages.
 */
void
ga_heap_put_class_span(ga_heap *h, ga_span *s)
{
	s->owner = NULL;
	s->next = s->prev = NULL;
	if (h->span_cache_pages + s->npages <= h->span_cache_limit)
	{
		if (s->alloc_count != 0)
			ga_span_clear(s);
		s->needzero = true;
		ga_span_set_state(s, GA_SPAN_CACHED);
		ga_list_push(&h->span_cache[s->sizeclass], s);
		h->span_cache_pages += s->npages;
		return;
	}
	ga_heap_free_span(h, s);
}

/*
 * ga_heap_flush_span_cache
 *		Free the pages of every cached span; returns the pages freed.
 */
size_t
ga_heap_flush_span_cache(ga_heap *h)
{
	size_t		freed = 0;
	int			c;

	for (c = 1; c < GA_NUM_CLASSES; c++)
	{
		ga_span    *s;

		while ((s = ga_list_pop(&h->span_cache[c])) != NULL)
		{
			h->span_cache_pages -= s->npages;
			freed += s->npages;
			h->pages_inuse -= s->npages;
			s->arena->pages_inuse -= s->npages;
			ga_pages_free(h, s);
		}
	}
	return freed;
}
