/*-------------------------------------------------------------------------
 *
 * goalloc_adopt.c
 *	  Adoption in place of stock memory contexts (AllocSet, Generation,
 *	  Slab) by goalloc: the adopted contexts' methods.
 *
 * PostgreSQL 15 gives an extension no hook when a memory context is
 * created, and the executor creates its contexts itself (CreateExecutorState,
 * CreateExprContext, tuplesort_begin_*, ExecHashTableCreate ...) as AllocSets.
 * By the time any executor hook runs, ExecutorState already holds the EState
 * and the plan state tree, so it cannot be replaced by a goalloc context.
 * But in PG15 `methods` is a pointer in each context header, so a context
 * can be given a method table of its own at any moment when none of its
 * methods is running.  That is what this file does.
 *
 * Adoption in place
 * -----------------
 *
 * Adopting an AllocSet context C means: malloc (outside every context) a
 *
 *		GoAllocAdopted { MemoryContextMethods methods;	-- first member
 *						 const MemoryContextMethods *orig;	-- AllocSet's
 *						 MemoryContext context;
 *						 ga_owner owner; }
 *
 * whose `methods` is a private copy of our table, initialize the owner on
 * the backend's heap (8-byte header, user = C), and set C->methods =
 * &a->methods.  Every method finds `a` again from context->methods (it is
 * the first member: the context's method table IS its adoption record).
 * From then on:
 *
 *	alloc			ga_alloc on C's owner; the word before the payload is C,
 *					as for any goalloc chunk (GoAllocAlloc's layout).
 *	free, realloc,	dispatched BY ADDRESS: a pointer inside the goalloc heap
 *	get_chunk_space	(ga_heap_contains: the heap's reserved arena region or
 *					one of its huge arenas) is a goalloc chunk of C's owner;
 *					anything else goes to the AllocSet's own method (orig),
 *					since it was allocated before the adoption.  AllocSet
 *					blocks come from malloc; the arena region is reserved
 *					by mmap for the heap's whole life and huge arenas are
 *					mapped by the heap, so no AllocSet chunk can ever lie
 *					there, and no goalloc chunk anywhere else: the two kinds
 *					cannot be mixed up, whatever their sizes or contents.
 *					repalloc moves an AllocSet chunk into goalloc
 *					(AdoptedMoveIn), so a chunk that keeps growing does not
 *					escape goalloc and its limits.
 *	reset			AllocSet's reset, then ga_owner_reset.
 *	delete			restore C->methods = orig; keep the record for the next
 *					adoption (up to ADOPTED_FREELIST_MAX) with its owner
 *					recycled (ga_owner_recycle: every span goes, a small
 *					empty nursery block stays, as AllocSet keeps a deleted
 *					context's keeper block), or destroy the owner and free
 *					the record; then AllocSet's delete: AllocSetDelete may put
 *					C on its freelist of contexts and hand it out again from
 *					AllocSetContextCreate, so it must get back a plain,
 *					clean AllocSet -- and it does.
 *	is_empty		both parts empty.
 *	stats			both parts, one line ("... used; goalloc: ...").
 *	mem_allocated	the AllocSet keeps it by relative updates (+= blksize,
 *					-= blksize); the core adds its page deltas to the same
 *					field (ga_owner_add_pages adds, never stores).  So it is
 *					always AllocSet blocks + goalloc pages, which is what
 *					hash aggregation's spill logic must see.
 *
 * Only stock contexts are adopted: those whose methods pointer is the
 * server's AllocSet, Generation or Slab table or goalloc_route.c's
 * unpatched copy of it (goalloc_route_stock_kind).  A GoAllocContext, an
 * adopted context (its methods are its own record), a context wrapped by
 * goalloc_bench's trace recorder are never touched, so nothing is adopted twice and no
 * chunk of another type ever reaches our methods.  The same holds for
 * Generation and Slab as for AllocSet above: both keep mem_allocated by
 * relative updates, and their chunks lie in malloc'd blocks.  The NodeTag
 * is left as it is.  Adopting is sound at any point where no method of C is
 * executing: C's own first alloc entry (goalloc_route.c), and the executor
 * hooks (the memory-context methods never call the executor).  If malloc
 * fails the context is simply left stock.
 *
 * When
 * ----
 *
 * goalloc.route (goalloc_route.c) adopts contexts from their first palloc:
 * a wrapper patched into the alloc entry of the stock types' method tables
 * classifies each new context once and calls goalloc_adopt_context for the
 * routed ones (executor: under a routed query's es_query_cxt; backend:
 * all but ErrorContext).  docs/routing.md has the mechanism and why it is
 * safe.  The executor hooks (goalloc_executor.c) adopt what a routed
 * query made before its first palloc, walking its tree once
 * (goalloc_adopt_tree).  Here are the adopted contexts' methods, for
 * AllocSet, Generation and Slab (orig is the type's unpatched table; the
 * record keeps its type and why it was adopted: GOALLOC_SCOPE_QUERY or
 * _BACKEND), adoption itself, and the walk of a context tree that the
 * executor hooks, routing and goalloc.h's callers share.
 *
 * An adopted context's large requests (class 0) are also counted by
 * requested size in power-of-two buckets (goalloc_large_counts), which the
 * query profile reads (goalloc_executor.c).
 *
 * IDENTIFICATION
 *	  src/pg/goalloc_adopt.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "goalloc_internal.h"

/* The word before a goalloc payload is the owning context. */
#define AdoptedChunkContext(ptr)	(((MemoryContext *) (ptr))[-1])

/* Requests of more than this many bytes are large objects (class 0). */
#define ADOPTED_MAX_SMALL	(GA_MAX_SMALL_SIZE - GOALLOC_CHUNKHDRSZ)

/* Adoption records kept for reuse instead of free()d. */
#define ADOPTED_FREELIST_MAX 64

/*
 * An adopted AllocSet.  The methods table must be the first member: a
 * context's methods pointer is the address of its record.
 */
typedef struct GoAllocAdopted
{
	MemoryContextMethods methods;	/* our functions, private copy */
	const MemoryContextMethods *orig;	/* the stock type's unpatched table */
	MemoryContext context;		/* the adopted context */
	int			kind;			/* GOALLOC_KIND_* */
	int			scope;			/* GOALLOC_SCOPE_QUERY or _BACKEND */
	struct GoAllocAdopted *next_free;	/* freelist link */
	ga_owner	owner;			/* goalloc side; owner.user = context */
} GoAllocAdopted;

/* Counters */
GoAllocAdoptCounters goalloc_adopt_counters;

/* Freelist of adoption records */
static GoAllocAdopted *adopted_freelist = NULL;

/* Large requests of adopted contexts, cumulative, and the buckets moved */
GoAllocLargeCounts goalloc_large_counts;
uint64		goalloc_large_changed = 0;

/* The methods of an adopted context */
static void *AdoptedAlloc(MemoryContext context, Size size);
static void *AdoptedAllocSpans(MemoryContext context, Size size);
static void AdoptedFree(MemoryContext context, void *pointer);
static void AdoptedFreeSpans(MemoryContext context, void *pointer);
static void *AdoptedRealloc(MemoryContext context, void *pointer, Size size);
static void AdoptedReset(MemoryContext context);
static void AdoptedDelete(MemoryContext context);
static Size AdoptedGetChunkSpace(MemoryContext context, void *pointer);
static bool AdoptedIsEmpty(MemoryContext context);
static void AdoptedStats(MemoryContext context,
						 MemoryStatsPrintFunc printfunc, void *passthru,
						 MemoryContextCounters *totals,
						 bool print_to_stderr);
#ifdef MEMORY_CONTEXT_CHECKING
static void AdoptedCheck(MemoryContext context);
#endif

/*
 * The template every adopted context gets a copy of.  An owner that leaves
 * the nursery never returns to it (a reset keeps it out), so once it has
 * left, AdoptedAllocSlow puts AdoptedAllocSpans and AdoptedFreeSpans in
 * its record, which make no nursery test (as GoAllocSpansMethods does for
 * a goalloc context); a record reused for another context gets the
 * template again.  Either pair is right for either owner: a nursery chunk
 * freed by AdoptedFreeSpans goes to ga_free_slow, which finds it.
 */
static const MemoryContextMethods AdoptedMethods = {
	AdoptedAlloc,
	AdoptedFree,
	AdoptedRealloc,
	AdoptedReset,
	AdoptedDelete,
	AdoptedGetChunkSpace,
	AdoptedIsEmpty,
	AdoptedStats
#ifdef MEMORY_CONTEXT_CHECKING
	,AdoptedCheck
#endif
};


/* ----------
 * The methods of an adopted context
 * ----------
 */

/* The adoption record of an adopted context */
static inline GoAllocAdopted *
AdoptedOf(MemoryContext context)
{
	return (GoAllocAdopted *) context->methods;
}

/*
 * Is this pointer a goalloc chunk (else: one of the stock type's)?  The
 * heap's region, from the owner's copy of its map, answers for every chunk
 * but a huge one without a call (AdoptedInRegion); ga_heap_contains asks
 * the same first, then looks for a huge arena.
 */
static inline bool
AdoptedInRegion(GoAllocAdopted *a, const void *pointer)
{
	return (uintptr_t) pointer - a->owner.map.region_base <
		a->owner.map.region_size;
}

static inline bool
AdoptedIsOurs(GoAllocAdopted *a, const void *pointer)
{
	return AdoptedInRegion(a, pointer) ||
		ga_heap_contains(a->owner.heap, pointer);
}

/*
 * LargeBucket
 *		Bucket k of a request of size bytes: 2^k <= size < 2^(k+1).
 */
static inline int
LargeBucket(Size size)
{
	int			k = 63 - __builtin_clzll((unsigned long long) size);

	return Min(k, GOALLOC_LARGE_BUCKETS - 1);
}

static pg_noinline void
AdoptedCountLarge(Size size)
{
	int			k = LargeBucket(size);

	goalloc_large_counts.mallocs[k]++;
	goalloc_large_counts.bytes[k] += size;
	goalloc_large_changed |= UINT64CONST(1) << k;
}

/*
 * AdoptedPastLimit
 *		An allocation (pointer == NULL) or reallocation that the heap
 *		refused.  goalloc_refused decides (goalloc_context.c): the OS refused
 *		-> NULL, and mcxt.c raises its "out of memory"; a limit refused ->
 *		its own ERROR, or, where an ERROR must not be raised (a critical
 *		section, interrupts held off as in error recovery), one more try
 *		without the limit.
 */
static pg_noinline void *
AdoptedPastLimit(GoAllocAdopted *a, void *pointer, Size size)
{
	void	   *p;

	if (!goalloc_refused(&a->owner, size))
		return NULL;
	if (pointer == NULL)
		p = ga_alloc(&a->owner, size);
	else
		p = ga_realloc(&a->owner, pointer, size);
	goalloc_limit_restore(&a->owner);
	if (p != NULL)
		goalloc_adopt_counters.limit_bypassed++;
	return p;
}

/*
 * AdoptedUseSpansMethods
 *		The record's palloc and pfree without the nursery's tests, for an
 *		owner that has left the nursery (or never was in it).
 */
static inline void
AdoptedUseSpansMethods(GoAllocAdopted *a)
{
	a->methods.alloc = AdoptedAllocSpans;
	a->methods.free_p = AdoptedFreeSpans;
}

/*
 * AdoptedAllocSlow
 *		AdoptedAlloc past the inline paths: a new span or block, a large
 *		chunk, the limit.  Where the owner leaves the nursery (in
 *		ga_alloc_any), the record's methods drop its tests.
 */
static pg_noinline void *
AdoptedAllocSlow(MemoryContext context, Size size)
{
	GoAllocAdopted *a = AdoptedOf(context);
	void	   *p;

	if (unlikely(size > ADOPTED_MAX_SMALL))
		AdoptedCountLarge(size);
	p = ga_alloc_any(&a->owner, size);
	if (unlikely(p == NULL))
	{
		p = AdoptedPastLimit(a, NULL, size);
		if (p == NULL)
			return NULL;
	}
	AdoptedChunkContext(p) = context;
	if (a->owner.nursery_cap == 0 && a->methods.alloc == AdoptedAlloc)
		AdoptedUseSpansMethods(a);
	return p;
}

/*
 * AdoptedAlloc
 *		A new chunk is always goalloc's.  NULL on failure: mcxt.c raises
 *		"out of memory".  The inline paths are GoAllocAlloc's
 *		(goalloc_alloc_inline_from); AdoptedAllocSpans is the same for an
 *		owner out of the nursery, without its test.
 */
static pg_attribute_always_inline void *
AdoptedAllocFrom(MemoryContext context, Size size, bool nursery)
{
	GoAllocAdopted *a = AdoptedOf(context);
	void	   *p = goalloc_alloc_inline_from(&a->owner, context, size,
											  nursery);

	if (likely(p != NULL))
		return p;
	return AdoptedAllocSlow(context, size);
}

static pg_attribute_hot void *
AdoptedAlloc(MemoryContext context, Size size)
{
	return AdoptedAllocFrom(context, size, true);
}

static pg_attribute_hot void *
AdoptedAllocSpans(MemoryContext context, Size size)
{
	return AdoptedAllocFrom(context, size, false);
}

/*
 * AdoptedFreeOutside
 *		AdoptedFree of a chunk outside the heap's region: a huge one, or the
 *		stock type's.  Out of line, so that the paths of the others need no
 *		stack frame.
 */
static pg_noinline void
AdoptedFreeOutside(MemoryContext context, void *pointer)
{
	GoAllocAdopted *a = AdoptedOf(context);

	if (ga_heap_contains(a->owner.heap, pointer))
		ga_free_spans_marked(&a->owner.map, &a->owner, pointer,
							 GOALLOC_CHUNKHDRSZ, GOALLOC_LIST_MARK);
	else
		a->orig->free_p(context, pointer);
}

/*
 * AdoptedFree
 *		By address: goalloc's chunks to the owner, the rest to the stock
 *		type.  AdoptedFreeSpans is the same without the nursery's test.
 */
static pg_attribute_hot void
AdoptedFree(MemoryContext context, void *pointer)
{
	GoAllocAdopted *a = AdoptedOf(context);

	/* a chunk of the owner's nursery block is ours: no need to ask */
	if (a->owner.nursery_cap != 0 &&
		ga_nursery_free_fast(&a->owner, pointer, GOALLOC_CHUNKHDRSZ))
		return;
	AdoptedFreeSpans(context, pointer);
}

static pg_attribute_hot void
AdoptedFreeSpans(MemoryContext context, void *pointer)
{
	GoAllocAdopted *a = AdoptedOf(context);

	if (likely(AdoptedInRegion(a, pointer)))
		ga_free_spans_marked(&a->owner.map, &a->owner, pointer,
							 GOALLOC_CHUNKHDRSZ, GOALLOC_LIST_MARK);
	else
		AdoptedFreeOutside(context, pointer);
}

/*
 * AdoptedMoveIn
 *		repalloc of a chunk the stock type served before the adoption: it
 *		moves into goalloc (a goalloc chunk, the bytes copied, the stock
 *		chunk freed), so that a chunk that keeps growing -- a StringInfo,
 *		string_agg's state -- does not stay outside goalloc and its limits
 *		for good.  The bytes copied are the old chunk's usable space (its
 *		GetMemoryChunkSpace less the type's chunk header: at least what was
 *		asked for), or the new size if that is smaller.  NULL, the chunk
 *		left as it was, if goalloc refuses the size.
 */
static pg_noinline void *
AdoptedMoveIn(GoAllocAdopted *a, MemoryContext context, void *pointer,
			  Size size)
{
	Size		old = a->orig->get_chunk_space(context, pointer) -
		goalloc_route_stock_chunk_header(a->kind);
	void	   *newp = AdoptedAlloc(context, size);

	if (newp == NULL)
		return NULL;
	memcpy(newp, pointer, Min(old, size));
	a->orig->free_p(context, pointer);
	return newp;
}

/*
 * AdoptedRealloc
 *		By address, like AdoptedFree.  A goalloc chunk that moves gets its
 *		header word written again; a stock chunk moves into goalloc.
 */
static pg_attribute_hot void *
AdoptedRealloc(MemoryContext context, void *pointer, Size size)
{
	GoAllocAdopted *a = AdoptedOf(context);
	void	   *newp;

	if (!AdoptedIsOurs(a, pointer))
		return AdoptedMoveIn(a, context, pointer, size);

	if (unlikely(size > ADOPTED_MAX_SMALL))
		AdoptedCountLarge(size);
	newp = ga_realloc_marked(&a->owner.map, &a->owner, pointer, size,
							 GOALLOC_CHUNKHDRSZ, GOALLOC_LIST_MARK);
	if (unlikely(newp == NULL))
	{
		newp = AdoptedPastLimit(a, pointer, size);
		if (newp == NULL)
			return NULL;
	}
	if (newp != pointer)
		AdoptedChunkContext(newp) = context;
	return newp;
}

/*
 * AdoptedReset
 *		Both parts: the stock context keeps its keeper block, the owner up
 *		to its keep_bytes of spans.
 */
static void
AdoptedReset(MemoryContext context)
{
	GoAllocAdopted *a = AdoptedOf(context);

#ifdef MEMORY_CONTEXT_CHECKING
	{
		/*
		 * AllocSetReset checks that mem_allocated is its blocks alone: hide
		 * the goalloc pages from it meanwhile.
		 */
		ga_owner_stats st;

		ga_owner_read_stats(&a->owner, &st);
		context->mem_allocated -= st.held_bytes;
		a->orig->reset(context);
		context->mem_allocated += st.held_bytes;
	}
#else
	a->orig->reset(context);
#endif
	ga_owner_reset(&a->owner);
}

/*
 * AdoptedDelete
 *		Give the goalloc part back to the heap, make the context a plain
 *		AllocSet again, then let AllocSet delete (or recycle) it.
 */
static void
AdoptedDelete(MemoryContext context)
{
	GoAllocAdopted *a = AdoptedOf(context);
	const MemoryContextMethods *orig = a->orig;

	/*
	 * The owner's bytes leave mem_allocated as deltas, the AllocSet's stay.
	 * A record kept for the next adoption keeps its owner recycled, with a
	 * small empty nursery block, as AllocSet keeps a deleted context with
	 * its keeper block.
	 */
	context->methods = orig;
	goalloc_adopt_counters.live--;
	if (a->scope == GOALLOC_SCOPE_QUERY)
		goalloc_adopt_counters.query_live--;

	if (goalloc_adopt_counters.recycled < ADOPTED_FREELIST_MAX)
	{
		ga_owner_recycle(&a->owner);
		goalloc_adopt_counters.recycled++;
		goalloc_adopt_counters.recycled_bytes += a->owner.nursery_bytes;
		a->context = NULL;
		a->next_free = adopted_freelist;
		adopted_freelist = a;
	}
	else
	{
		ga_owner_destroy(&a->owner);
		free(a);
	}

	orig->delete_context(context);
}

/*
 * AdoptedGetChunkSpace
 *		By address.
 */
static pg_attribute_hot Size
AdoptedGetChunkSpace(MemoryContext context, void *pointer)
{
	GoAllocAdopted *a = AdoptedOf(context);
	Size		space;

	if (!AdoptedIsOurs(a, pointer))
		return goalloc_route_stock_chunk_space(a->kind,
											   a->orig->get_chunk_space(context, pointer));

	space = ga_chunk_size_marked(&a->owner.map, &a->owner, pointer,
								 GOALLOC_CHUNKHDRSZ);
	if (unlikely(space == 0))
		elog(ERROR, "GetMemoryChunkSpace called with invalid pointer in adopted context \"%s\"",
			 context->name);
	return space;
}

/*
 * AdoptedIsEmpty
 *		No live chunk in either part.
 */
static bool
AdoptedIsEmpty(MemoryContext context)
{
	GoAllocAdopted *a = AdoptedOf(context);

	return a->orig->is_empty(context) && ga_owner_is_empty(&a->owner);
}

/*
 * AdoptedStats
 *		The AllocSet's figures plus the owner's, printed as one line.  A
 *		block is an AllocSet block or a span.  Allocates nothing.
 */
static void
AdoptedStats(MemoryContext context,
			 MemoryStatsPrintFunc printfunc, void *passthru,
			 MemoryContextCounters *totals, bool print_to_stderr)
{
	GoAllocAdopted *a = AdoptedOf(context);
	MemoryContextCounters aset;
	ga_owner_stats st;
	Size		gfree;

	memset(&aset, 0, sizeof(aset));
	a->orig->stats(context, NULL, NULL, &aset, print_to_stderr);
	ga_owner_read_stats(&a->owner, &st);
	gfree = st.held_bytes >= st.alloc_bytes ? st.held_bytes - st.alloc_bytes : 0;

	if (printfunc)
	{
		char		stats_string[240];

		snprintf(stats_string, sizeof(stats_string),
				 "%zu total in %zu blocks; %zu free (%zu chunks); %zu used; goalloc: %zu total in %zu spans; %zu used; %llu live chunks",
				 aset.totalspace + (Size) st.held_bytes,
				 aset.nblocks + (Size) st.nspans,
				 aset.freespace + gfree, aset.freechunks,
				 aset.totalspace - aset.freespace + (Size) st.held_bytes - gfree,
				 (Size) st.held_bytes, (Size) st.nspans,
				 (Size) st.held_bytes - gfree,
				 (unsigned long long) st.objects);
		printfunc(context, passthru, stats_string, print_to_stderr);
	}

	if (totals)
	{
		totals->nblocks += aset.nblocks + st.nspans;
		totals->freechunks += aset.freechunks;
		totals->totalspace += aset.totalspace + st.held_bytes;
		totals->freespace += aset.freespace + gfree;
	}
}

#ifdef MEMORY_CONTEXT_CHECKING
/*
 * AdoptedCheck
 *		The AllocSet's own check sees only its blocks; mem_allocated holds
 *		both parts, so check it here instead of there.
 */
static void
AdoptedCheck(MemoryContext context)
{
	GoAllocAdopted *a = AdoptedOf(context);
	MemoryContextCounters aset;
	ga_owner_stats st;

	memset(&aset, 0, sizeof(aset));
	a->orig->stats(context, NULL, NULL, &aset, true);
	ga_owner_read_stats(&a->owner, &st);
	if (aset.totalspace + st.span_bytes != context->mem_allocated)
		elog(WARNING, "adopted context \"%s\": mem_allocated %zu, blocks and spans hold %zu",
			 context->name, context->mem_allocated,
			 aset.totalspace + (Size) st.span_bytes);
}
#endif


/* ----------
 * Adoption
 * ----------
 */

/*
 * goalloc_adopt_context
 *		Make a stock context (AllocSet, Generation or Slab: kind) goalloc's
 *		from now on.  The caller makes sure no method of the context is
 *		running.  Nothing can fail half-way: without memory for the record
 *		the context stays as it was and false is returned.  Never raises an
 *		error and never pallocs (goalloc_route.c calls it from inside
 *		palloc).
 */
bool
goalloc_adopt_context(MemoryContext context, ga_heap *heap, int kind,
					  int scope)
{
	GoAllocAdopted *a;
	Size		mem_allocated;

	if (adopted_freelist != NULL)
	{
		/* its owner was recycled: reused on its heap, which is ours */
		a = adopted_freelist;
		adopted_freelist = a->next_free;
		goalloc_adopt_counters.recycled--;
		goalloc_adopt_counters.recycled_bytes -= a->owner.nursery_bytes;
		if (likely(a->owner.heap == heap))
			ga_owner_reuse(&a->owner, GOALLOC_CHUNKHDRSZ, GA_DEFAULT_KEEP);
		else
		{
			/* a record inherited from the postmaster, of its heap */
			ga_owner_discard(&a->owner);
			ga_owner_init(&a->owner, heap, GOALLOC_CHUNKHDRSZ, GA_DEFAULT_KEEP);
		}
	}
	else
	{
		a = (GoAllocAdopted *) malloc(sizeof(GoAllocAdopted));
		if (a == NULL)
			return false;
		ga_owner_init(&a->owner, heap, GOALLOC_CHUNKHDRSZ, GA_DEFAULT_KEEP);
	}
	ga_owner_set_list_mark(&a->owner, GOALLOC_LIST_MARK);
	memcpy(&a->methods, &AdoptedMethods, sizeof(MemoryContextMethods));

	a->orig = goalloc_route_stock_table(kind);
	a->context = context;
	a->kind = kind;
	a->scope = scope;
	a->next_free = NULL;
	if (goalloc_nursery)
		ga_owner_enable_nursery(&a->owner);
	if (a->owner.nursery_cap == 0)
		AdoptedUseSpansMethods(a);
	a->owner.user = context;

	/* mem_allocated: the stock context's blocks plus the owner's bytes */
	mem_allocated = context->mem_allocated;
	ga_owner_set_mirror(&a->owner, &context->mem_allocated);
	context->mem_allocated += mem_allocated;

	context->methods = &a->methods;
	goalloc_adopt_counters.live++;
	if (scope == GOALLOC_SCOPE_QUERY)
		goalloc_adopt_counters.query_live++;
	goalloc_adopt_counters.total++;
	goalloc_adopt_counters.by_kind[kind]++;
	return true;
}

/*
 * goalloc_adopted_scope
 *		Why a context was adopted (GOALLOC_SCOPE_QUERY or _BACKEND), or
 *		GOALLOC_SCOPE_NONE if it is not an adopted context.
 */
int
goalloc_adopted_scope(MemoryContext context)
{
	if (context->methods->alloc != AdoptedAlloc &&
		context->methods->alloc != AdoptedAllocSpans)
		return GOALLOC_SCOPE_NONE;
	return AdoptedOf(context)->scope;
}

/*
 * goalloc_adopted_stock_bytes
 *		The blocks an adopted context still keeps in its own type (made
 *		before its adoption): its mem_allocated less the owner's bytes.
 */
Size
goalloc_adopted_stock_bytes(MemoryContext context)
{
	return context->mem_allocated -
		ga_owner_held_bytes(&AdoptedOf(context)->owner);
}

/*
 * goalloc_context_walk
 *		Visit every context of the subtree of root (root included), each
 *		parent before its children.
 */
void
goalloc_context_walk(MemoryContext root, goalloc_context_visitor visit,
					 void *arg)
{
	MemoryContext c = root;

	for (;;)
	{
		visit(c, arg);

		if (c->firstchild != NULL)
			c = c->firstchild;
		else
		{
			while (c != root && c->nextchild == NULL)
				c = c->parent;
			if (c == root)
				break;
			c = c->nextchild;
		}
	}
}

typedef struct AdoptWalk
{
	ga_heap    *heap;
	int			scope;
} AdoptWalk;

/*
 * Visitor of goalloc_adopt_tree: only stock contexts (the server's tables,
 * unclassified, or goalloc_route.c's unpatched copies, classified stock)
 * are adopted.  A GoAllocContext, an adopted context, a context wrapped by
 * someone else (the trace recorder) and any other type are left alone.
 */
static void
AdoptVisit(MemoryContext c, void *arg)
{
	AdoptWalk  *w = (AdoptWalk *) arg;
	int			kind = goalloc_route_stock_kind(c->methods);

	if (kind >= 0 && !goalloc_route_excluded(c))
		(void) goalloc_route_claim(c, w->heap, kind, w->scope);
}

/*
 * goalloc_adopt_tree
 *		Adopt every stock context in the subtree of root (root included).
 *		Only where no method of any of them can be running: the executor
 *		hooks.
 */
void
goalloc_adopt_tree(MemoryContext root, ga_heap *heap, int scope)
{
	AdoptWalk	w;

	w.heap = heap;
	w.scope = scope;
	goalloc_adopt_counters.walks++;
	goalloc_context_walk(root, AdoptVisit, &w);
}
