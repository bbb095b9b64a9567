/*-------------------------------------------------------------------------
 *
 * stats.c
 *	  Go's MemStats figures, and walkers over arenas, spans and objects.
 *
 * The page figures are kept by the heap as pages change hands (mheap.c,
 * pagealloc.c, scavenge.c).  The object figures are each owner's per-class
 * counts plus those of destroyed owners (heap->retired_objects, each
 * object both malloc'd and freed).  An owner counts only its mallocs, on
 * the allocation fast path; its frees are mallocs
 * minus the objects its spans and its nursery blocks hold, so reading
 * them walks the owner's span lists and blocks: O(spans + nursery
 * chunks), which keeps ga_free and ga_owner_reset from counting anything.
 * A nursery chunk counts in the class its bytes would take.  HeapAlloc is, as in Go, the slot bytes of live objects:
 * sum over classes of (mallocs - frees) * class size, plus the pages of
 * live large objects.
 *
 * The walkers visit spans in address order, arena by arena, stepping from
 * one run to the next by its length, so a walk costs O(spans + free runs).
 * Neither the readers nor the walkers allocate or change anything: they
 * may run on PostgreSQL's out-of-memory path.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "ga_internal.h"

static const char *const state_names[GA_SPAN_NSTATES] = {
	"dead", "free", "mcache", "partial", "full", "large", "cached"
};

const char *
ga_span_state_name(ga_span_state state)
{
	if ((unsigned) state >= GA_SPAN_NSTATES)
		return "?";
	return state_names[state];
}

static void
add_counts(ga_class_counts *into, const ga_class_counts *from)
{
	int			c;

	for (c = 0; c < GA_NUM_CLASSES; c++)
	{
		into[c].mallocs += from[c].mallocs;
		into[c].frees += from[c].frees;
	}
}

/* Objects held by a list of spans. */
static uint64_t
list_objects(const ga_span *s)
{
	uint64_t	n = 0;

	for (; s != NULL; s = s->next)
		n += s->alloc_count;
	return n;
}

/*
 * ga_owner_read_class_counts
 *		The owner counts only mallocs (ga_owner_mallocs); the frees of a
 *		class are its mallocs minus the objects its spans hold now (what
 *		its free list holds is not one).
 */
void
ga_owner_read_class_counts(const ga_owner *o,
						   ga_class_counts out[GA_NUM_CLASSES])
{
	uint64_t	nursery[GA_NUM_CLASSES];
	int			c;

	memset(nursery, 0, sizeof(nursery));
	if (o->nursery != NULL)
		ga_nursery_live(o, nursery);
	for (c = 0; c < GA_NUM_CLASSES; c++)
	{
		uint64_t	live;

		if (c == 0)
			live = list_objects(o->large);
		else
			live = o->mc->freelist[c].span->alloc_count +
				list_objects(o->mc->central[c].partial) +
				list_objects(o->mc->central[c].full) -
				ga_freelist_count(&o->mc->freelist[c]) + nursery[c];
		out[c].mallocs = ga_owner_mallocs(o, (unsigned) c);
		out[c].frees = out[c].mallocs - live;
	}
}

void
ga_heap_read_class_counts(const ga_heap *h, ga_class_counts out[GA_NUM_CLASSES])
{
	ga_class_counts counts[GA_NUM_CLASSES];
	const ga_owner *o;
	int			c;

	for (c = 0; c < GA_NUM_CLASSES; c++)
		out[c].mallocs = out[c].frees = h->retired_objects[c];
	for (o = h->owners; o != NULL; o = o->next)
	{
		ga_owner_read_class_counts(o, counts);
		add_counts(out, counts);
	}
}

void
ga_owner_read_stats(const ga_owner *o, ga_owner_stats *out)
{
	ga_class_counts counts[GA_NUM_CLASSES];
	int			c;

	uint64_t	nursery[GA_NUM_CLASSES];

	ga_owner_read_class_counts(o, counts);
	memset(out, 0, sizeof(*out));
	memset(nursery, 0, sizeof(nursery));
	if (o->nursery != NULL)
		ga_nursery_live(o, nursery);
	for (c = 1; c < GA_NUM_CLASSES; c++)
	{
		out->nursery_objects += nursery[c];
		out->nursery_alloc_bytes += nursery[c] * ga_class_size[c];
	}
	out->nspans = o->nspans;
	out->npages = o->npages;
	out->span_bytes = GA_PAGES_BYTES(o->npages);
	out->nursery_bytes = o->nursery_bytes;
	out->held_bytes = out->span_bytes + out->nursery_bytes;
	for (c = 0; c < GA_NUM_CLASSES; c++)
	{
		uint64_t	live = counts[c].mallocs - counts[c].frees;

		out->mallocs += counts[c].mallocs;
		out->frees += counts[c].frees;
		out->objects += live;
		if (c > 0)
			out->alloc_bytes += live * ga_class_size[c];
	}
	out->alloc_bytes += o->large_bytes;
}

/*
 * ga_heap_read_nursery_counts
 *		Live chunks in the nursery blocks of every owner, per class of
 *		their bytes: the part of a class's live objects (mallocs - frees)
 *		that no span of the class holds.
 */
void
ga_heap_read_nursery_counts(const ga_heap *h, uint64_t out[GA_NUM_CLASSES])
{
	const ga_owner *o;

	memset(out, 0, sizeof(uint64_t) * GA_NUM_CLASSES);
	for (o = h->owners; o != NULL; o = o->next)
		if (o->nursery != NULL)
			ga_nursery_live(o, out);
}

void
ga_heap_read_stats(const ga_heap *h, ga_heap_stats *out)
{
	ga_class_counts counts[GA_NUM_CLASSES];
	const ga_owner *o;
	int			c;

	memset(out, 0, sizeof(*out));
	ga_heap_read_class_counts(h, counts);
	for (c = 0; c < GA_NUM_CLASSES; c++)
	{
		uint64_t	live = counts[c].mallocs - counts[c].frees;

		out->mallocs += counts[c].mallocs;
		out->frees += counts[c].frees;
		if (c > 0)
		{
			out->heap_alloc += live * ga_class_size[c];
			out->total_alloc += counts[c].mallocs * ga_class_size[c];
		}
	}
	out->total_alloc += h->retired_large_total;
	for (o = h->owners; o != NULL; o = o->next)
	{
		out->heap_alloc += o->large_bytes;
		out->total_alloc += o->large_total;
	}
	out->heap_objects = out->mallocs - out->frees;

	out->heap_sys = GA_PAGES_BYTES(h->pages_sys);
	out->heap_inuse = GA_PAGES_BYTES(h->pages_inuse);
	out->heap_idle = out->heap_sys - out->heap_inuse;
	out->heap_released = GA_PAGES_BYTES(h->pages_released);
	out->span_cache_bytes = GA_PAGES_BYTES(h->span_cache_pages);
	out->mspan_inuse = h->spans_inuse * sizeof(ga_span);
	out->mspan_sys = h->span_block_bytes;
	out->arena_meta_sys = h->arena_meta_bytes;
	out->narenas = h->narenas;
	out->nowners = h->nowners;
	out->limit = h->limit_bytes;
	out->retain = h->retain_bytes;
	out->scavenge_runs = h->scavenge_runs;
	out->scavenged_bytes = h->scavenged_bytes;
	out->frees_slow = h->frees_slow;
	out->limit_refusals = h->limit_refusals;
}

/* ---- walkers ---- */

/* Is slot idx of span s on its owner's free list (freed, kept for reuse)? */
static inline bool
is_listed(const ga_span *s, unsigned idx)
{
	const ga_owner *o = s->owner;

	if (o == NULL || s->sizeclass == 0)
		return false;
	return ga_on_freelist(o, s->sizeclass,
						  (char *) (s->base + (size_t) idx * s->elemsize) + o->hdr);
}

/* Slots of a span on its owner's free list (free, but their bits set). */
static unsigned
span_listed(const ga_span *s)
{
	const ga_owner *o = s->owner;
	const ga_freelist *fl;
	const char *p;
	unsigned	n = 0;
	uint32_t	i;

	if (o == NULL || s->sizeclass == 0)
		return 0;
	fl = &o->mc->freelist[s->sizeclass];
	for (p = fl->head, i = 0; p != NULL && i < ga_freelist_count(fl); i++)
	{
		if ((uintptr_t) p - s->base < ga_span_bytes(s))
			n++;
		p = ga_link_next(o, p);
	}
	return n;
}

static void
fill_info(const ga_span *s, ga_span_info *info)
{
	info->owner = s->owner;
	info->arena = s->arena->index;
	info->base = s->base;
	info->npages = s->npages;
	info->sizeclass = s->sizeclass;
	info->spanclass = (s->sizeclass << 1) | 1;	/* no pointers: noscan */
	info->elemsize = s->sizeclass ? s->elemsize : ga_large_slot_bytes(s);
	info->nelems = s->nelems;
	info->listed = span_listed(s);
	info->allocated = s->alloc_count - info->listed;
	info->state = (ga_span_state) s->state;
}

static bool
visit(const ga_span *s, ga_span_visitor fn, void *arg)
{
	ga_span_info info;

	fill_info(s, &info);
	return fn(arg, &info);
}

void
ga_heap_walk_spans(const ga_heap *h, ga_span_visitor fn, void *arg)
{
	const ga_arena *ar;

	for (ar = h->arenas; ar != NULL; ar = ar->next)
	{
		size_t		p = 0;

		if (ar->huge)
		{
			if (!visit(ar->spans[0], fn, arg))
				return;
			continue;
		}
		while (p < ar->npages)
		{
			const ga_span *s = ar->spans[p];

			if (s == NULL || s->base != ar->base + GA_PAGES_BYTES(p))
			{
				p++;			/* cannot happen: run starts are tagged */
				continue;
			}
			if (s->state != GA_SPAN_FREE && !visit(s, fn, arg))
				return;
			p += s->npages;
		}
	}
}

static bool
walk_list(const ga_span *s, ga_span_visitor fn, void *arg)
{
	for (; s != NULL; s = s->next)
		if (!visit(s, fn, arg))
			return false;
	return true;
}

void
ga_owner_walk_spans(const ga_owner *o, ga_span_visitor fn, void *arg)
{
	int			c;

	for (c = 1; c < GA_NUM_CLASSES; c++)
	{
		if (o->mc->freelist[c].span != &ga_empty_span && !visit(o->mc->freelist[c].span, fn, arg))
			return;
		if (!walk_list(o->mc->central[c].partial, fn, arg) ||
			!walk_list(o->mc->central[c].full, fn, arg))
			return;
	}
	walk_list(o->large, fn, arg);
}

static bool
walk_span_objects(const ga_owner *o, const ga_span *s, ga_object_visitor fn,
				  void *arg)
{
	unsigned	i;

	for (i = 0; i < s->nelems; i++)
		if (((s->alloc_bits[i >> 6] >> (i & 63)) & 1) && !is_listed(s, i))
			if (!fn(arg, (char *) (s->base + (size_t) i * s->elemsize) + o->hdr,
					s->elemsize))
				return false;
	return true;
}

void
ga_owner_walk_objects(const ga_owner *o, ga_object_visitor fn, void *arg)
{
	const ga_span *s;
	int			c;

	for (c = 1; c < GA_NUM_CLASSES; c++)
	{
		if (o->mc->freelist[c].span != &ga_empty_span &&
			!walk_span_objects(o, o->mc->freelist[c].span, fn, arg))
			return;
		for (s = o->mc->central[c].partial; s != NULL; s = s->next)
			if (!walk_span_objects(o, s, fn, arg))
				return;
		for (s = o->mc->central[c].full; s != NULL; s = s->next)
			if (!walk_span_objects(o, s, fn, arg))
				return;
	}
	for (s = o->large; s != NULL; s = s->next)
	{
		unsigned	i;

		if (s->packed_stride == 0)
		{
			if (!fn(arg, (char *) s->base + o->hdr, ga_span_bytes(s)))
				return;
			continue;
		}
		for (i = 0; i < s->nelems; i++)
			if (((s->alloc_bits[0] >> i) & 1) &&
				!fn(arg, (char *) s->base + i * s->packed_stride + o->hdr,
					s->packed_stride))
				return;
	}
	ga_nursery_walk(o, fn, arg);
}

void
ga_heap_walk_arenas(const ga_heap *h, ga_arena_visitor fn, void *arg)
{
	const ga_arena *ar;

	for (ar = h->arenas; ar != NULL; ar = ar->next)
	{
		ga_arena_info info;

		info.index = ar->index;
		info.base = ar->base;
		info.npages = ar->npages;
		info.pages_inuse = ar->huge ? ar->npages : ar->pages_inuse;
		info.pages_released = ar->pages_released;
		info.pages_free = info.npages - info.pages_inuse - info.pages_released;
		info.huge = ar->huge;
		if (!fn(arg, &info))
			return;
	}
}

size_t
ga_arena_page_states(const ga_heap *h, uint32_t arena, size_t first,
					 size_t npages, uint8_t *out)
{
	const ga_arena *ar;
	size_t		p = 0;
	size_t		filled = 0;

	for (ar = h->arenas; ar != NULL && ar->index != arena; ar = ar->next)
		;
	if (ar == NULL || first >= ar->npages)
		return 0;
	if (npages > ar->npages - first)
		npages = ar->npages - first;
	if (ar->huge)
	{
		memset(out, GA_PAGE_INUSE, npages);
		return npages;
	}
	while (p < first + npages)
	{
		const ga_span *s = ar->spans[p];
		size_t		n = s ? s->npages : 1;
		size_t		i;

		for (i = p; i < p + n && i < first + npages; i++)
		{
			uint8_t		st;

			if (i < first)
				continue;
			if (s == NULL || s->state != GA_SPAN_FREE)
				st = GA_PAGE_INUSE;
			else if ((ar->scavenged[i / 64] >> (i % 64)) & 1)
				st = GA_PAGE_RELEASED;
			else
				st = GA_PAGE_FREE;
			out[i - first] = st;
			filled++;
		}
		p += n;
	}
	return filled;
}

/*
 * ga_heap_limit_refusals
 *		Requests the heap limit has refused so far: one load, for an
 *		embedder that must tell the limit from the OS after a NULL.
 */
uint64_t
ga_heap_limit_refusals(const ga_heap *h)
{
	return h->limit_refusals;
}
