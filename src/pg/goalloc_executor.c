/*-------------------------------------------------------------------------
 *
 * goalloc_executor.c
 *	  Adoption in place of stock memory contexts (AllocSet, Generation,
 *	  Slab) by goalloc, and the executor hooks of goalloc.route.
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
 * safe.  What remains here:
 *
 *	- the adopted contexts' methods, for AllocSet, Generation and Slab
 *	  (orig is the type's unpatched table; the record keeps its type and
 *	  why it was adopted: GOALLOC_SCOPE_QUERY or _BACKEND);
 *	- the executor hooks.  With routing on, ExecutorStart records the
 *	  context the query's ExecutorState will be created under
 *	  (goalloc_route_starting_parent), so that the wrapper routes it, and
 *	  registers the query as routed: a node allocated in, and a reset
 *	  callback registered on, its es_query_cxt, unlinked when that context
 *	  goes (ExecutorEnd, or portal/transaction cleanup after an error).
 *	  Then it walks the query's own tree once (goalloc_adopt_tree) to adopt
 *	  what InitPlan made and has not palloc'd from yet, or everything if
 *	  the wrapper is missing or had no memory for a record; without the
 *	  wrapper the query's own Run and Finish hooks walk it again.  No hook
 *	  visits other queries' trees (with 2,000 routed cursors open, every
 *	  hook used to walk them all).  With routing off each hook does O(1)
 *	  work.  In backend mode ExecutorStart is also the safe point where
 *	  contexts classified stock earlier are taken over.
 *
 * The profile
 * -----------
 *
 * At ExecutorStart of a top-level routed query (executor nesting level 0,
 * counted around ExecutorRun/Finish like pg_stat_statements does), before
 * standard_ExecutorStart, the heap's counts of destroyed owners
 * (heap->retired_objects per class, the large bytes) are read; at
 * ExecutorEnd, after standard_ExecutorEnd has deleted the query's contexts,
 * the difference is the query's allocation-size histogram
 * (goalloc_last_query_profile()): every context the query made is
 * destroyed by then.  O(classes), not O(live owners): reading the live
 * owners' counts at every query made 20,000 nested queries with 2,000 open
 * routed cursors take minutes.  Contexts that are not the query's but
 * are destroyed during it (in backend mode) are counted too.  Objects freed
 * by a reset or a delete count as frees, so mallocs == frees in every
 * class.  Large objects (class 0) are also counted by their requested size
 * in power-of-two buckets by the adopted contexts' alloc method
 * (goalloc_last_query_large()).  A query that ends in an error leaves no
 * profile.
 *
 * IDENTIFICATION
 *	  src/pg/goalloc_executor.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/executor.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "goalloc_internal.h"

/* The word before a goalloc payload is the owning context. */
#define AdoptedChunkContext(ptr)	(((MemoryContext *) (ptr))[-1])

/* Requests of more than this many bytes are large objects (class 0). */
#define ADOPTED_MAX_SMALL	(GA_MAX_SMALL_SIZE - GOALLOC_CHUNKHDRSZ)

/* Power-of-two buckets of large request sizes: [2^k, 2^(k+1)). */
#define LARGE_BUCKETS		48

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

/* A routed query: lives in its es_query_cxt, unlinked when that goes. */
typedef struct GoAllocRoutedQuery
{
	MemoryContextCallback cb;
	MemoryContext query_cxt;
	struct GoAllocRoutedQuery *prev;
	struct GoAllocRoutedQuery *next;
} GoAllocRoutedQuery;

/* Large-object counts by requested size. */
typedef struct LargeCounts
{
	uint64		mallocs[LARGE_BUCKETS];
	uint64		bytes[LARGE_BUCKETS];
} LargeCounts;

/* Previous hooks */
static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorRun_hook_type prev_ExecutorRun = NULL;
static ExecutorFinish_hook_type prev_ExecutorFinish = NULL;
static ExecutorEnd_hook_type prev_ExecutorEnd = NULL;

/* Routed queries whose es_query_cxt is alive */
static GoAllocRoutedQuery *routed_queries = NULL;
static int	routed_count = 0;

/* Executor nesting level (ExecutorRun/Finish), as pg_stat_statements */
static int	exec_nesting = 0;

/* Counters */
GoAllocAdoptCounters goalloc_adopt_counters;
static uint64 adopt_walks = 0;

/* Freelist of adoption records */
static GoAllocAdopted *adopted_freelist = NULL;

/* Large requests of adopted contexts, cumulative */
static LargeCounts large_counts;

/* The profile being taken (profile_cxt != NULL) and the last one */
static MemoryContext profile_cxt = NULL;
static uint64 profile_starts[2][GA_NUM_CLASSES];
static int	profile_start = 0;	/* the one ProfileBegin fills */
static uint64 profile_start_total_alloc = 0;
static LargeCounts profile_start_large;
static bool profile_valid = false;
static uint64 profile_end[GA_NUM_CLASSES];
static const uint64 *profile_base = NULL;	/* the last profile's start */
static uint64 profile_large_bytes = 0;
static LargeCounts profile_large;
static uint64 profile_contexts = 0;
static uint64 profile_start_adopted = 0;

/*
 * The classes' counts are copied whole (68 words, one memcpy) at
 * ProfileBegin and at ProfileEnd, and goalloc_last_query_profile()
 * subtracts.  The reader's own query begins a profile, so two start
 * buffers take turns: ProfileEnd keeps the last profile's start
 * (profile_base) and hands the next ProfileBegin the other one.  Of the
 * large buckets only what moved is copied: AdoptedCountLarge marks the
 * buckets it changes (large_changed), ProfileBegin brings
 * profile_start_large up to date for those only and clears the marks,
 * ProfileEnd subtracts for those only, and profile_large_nonzero holds the
 * entries of the last profile that are not 0, to be cleared by the next.
 * profile_heap is the heap of the profile being taken; large_counts was
 * first copied whole with it.
 */
static ga_heap *profile_heap = NULL;
static uint64 large_changed = 0;
static uint64 profile_large_nonzero = 0;

/* The methods of an adopted context */
static void *AdoptedAlloc(MemoryContext context, Size size);
static void AdoptedFree(MemoryContext context, void *pointer);
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

/* The template every adopted context gets a copy of */
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

PG_FUNCTION_INFO_V1(goalloc_executor_status);
PG_FUNCTION_INFO_V1(goalloc_last_query_profile);
PG_FUNCTION_INFO_V1(goalloc_last_query_large);


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

	return Min(k, LARGE_BUCKETS - 1);
}

static pg_noinline void
AdoptedCountLarge(Size size)
{
	int			k = LargeBucket(size);

	large_counts.mallocs[k]++;
	large_counts.bytes[k] += size;
	large_changed |= UINT64CONST(1) << k;
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
 * AdoptedAllocSlow
 *		AdoptedAlloc past the inline paths: a new span or block, a large
 *		chunk, the limit.
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
	return p;
}

/*
 * AdoptedAlloc
 *		A new chunk is always goalloc's.  NULL on failure: mcxt.c raises
 *		"out of memory".  The inline paths are GoAllocAlloc's
 *		(goalloc_alloc_inline).
 */
static void *
AdoptedAlloc(MemoryContext context, Size size)
{
	GoAllocAdopted *a = AdoptedOf(context);
	void	   *p = goalloc_alloc_inline(&a->owner, context, size);

	if (likely(p != NULL))
		return p;
	return AdoptedAllocSlow(context, size);
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
 *		type.
 */
static void
AdoptedFree(MemoryContext context, void *pointer)
{
	GoAllocAdopted *a = AdoptedOf(context);

	/* a chunk of the owner's nursery block is ours: no need to ask */
	if (a->owner.nursery_cap != 0 &&
		ga_nursery_free_fast(&a->owner, pointer, GOALLOC_CHUNKHDRSZ))
		return;
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
static void *
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
static Size
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
		memcpy(&a->methods, &AdoptedMethods, sizeof(MemoryContextMethods));
		ga_owner_init(&a->owner, heap, GOALLOC_CHUNKHDRSZ, GA_DEFAULT_KEEP);
	}
	ga_owner_set_list_mark(&a->owner, GOALLOC_LIST_MARK);

	a->orig = goalloc_route_stock_table(kind);
	a->context = context;
	a->kind = kind;
	a->scope = scope;
	a->next_free = NULL;
	if (goalloc_nursery)
		ga_owner_enable_nursery(&a->owner);
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
	if (context->methods->alloc != AdoptedAlloc)
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
	adopt_walks++;
	goalloc_context_walk(root, AdoptVisit, &w);
}

/*
 * RouteOwnQuery
 *		Without the first-alloc wrapper (goalloc_route.c could not patch the
 *		stock tables), the contexts a routed query made since its last hook
 *		are adopted at its next one: its own tree only.
 */
static void
RouteOwnQuery(QueryDesc *queryDesc)
{
	MemoryContext query_cxt;
	ga_heap    *heap;

	if (goalloc_route_patched || queryDesc->estate == NULL)
		return;
	query_cxt = queryDesc->estate->es_query_cxt;
	if (goalloc_adopted_scope(query_cxt) != GOALLOC_SCOPE_QUERY)
		return;
	heap = goalloc_backend_heap_try();
	if (heap != NULL)
		goalloc_adopt_tree(query_cxt, heap, GOALLOC_SCOPE_QUERY);
}

/*
 * RoutedQueryGone
 *		Reset/delete callback of a routed query's es_query_cxt.
 */
static void
RoutedQueryGone(void *arg)
{
	GoAllocRoutedQuery *q = (GoAllocRoutedQuery *) arg;

	if (q->prev)
		q->prev->next = q->next;
	else
		routed_queries = q->next;
	if (q->next)
		q->next->prev = q->prev;
	routed_count--;

	if (q->query_cxt == profile_cxt)
		profile_cxt = NULL;		/* ended without ExecutorEnd: no profile */
}

/*
 * RegisterRoutedQuery
 *		Put a query's es_query_cxt in the list of routed queries.
 */
static void
RegisterRoutedQuery(MemoryContext query_cxt)
{
	GoAllocRoutedQuery *q;

	q = MemoryContextAlloc(query_cxt, sizeof(GoAllocRoutedQuery));
	q->query_cxt = query_cxt;
	q->cb.func = RoutedQueryGone;
	q->cb.arg = q;
	q->prev = NULL;
	q->next = routed_queries;
	MemoryContextRegisterResetCallback(query_cxt, &q->cb);
	if (routed_queries)
		routed_queries->prev = q;
	routed_queries = q;
	routed_count++;
}


/* ----------
 * The profile
 * ----------
 */

/*
 * ProfileBegin
 *		Before standard_ExecutorStart: the query's contexts are goalloc's
 *		from their first palloc, the EState's included.  ExecutorStart then
 *		sets profile_cxt.
 */
static void
ProfileBegin(ga_heap *heap)
{
	uint64		m;

	memcpy(profile_starts[profile_start], heap->retired_objects,
		   sizeof(profile_starts[0]));
	if (heap != profile_heap)
	{
		profile_start_large = large_counts;
		profile_heap = heap;
	}
	else
	{
		for (m = large_changed; m != 0; m &= m - 1)
		{
			int			k = pg_rightmost_one_pos64(m);

			profile_start_large.mallocs[k] = large_counts.mallocs[k];
			profile_start_large.bytes[k] = large_counts.bytes[k];
		}
	}
	large_changed = 0;
	profile_start_total_alloc = heap->retired_large_total;
	profile_start_adopted = goalloc_adopt_counters.total;
}

static void
ProfileEnd(void)
{
	ga_heap    *heap = goalloc_backend_heap(false);
	uint64		m;
	int			c;

	if (heap == NULL || heap != profile_heap)
		return;
	memcpy(profile_end, heap->retired_objects, sizeof(profile_end));
	profile_base = profile_starts[profile_start];
	profile_start ^= 1;
	profile_large_bytes = heap->retired_large_total - profile_start_total_alloc;
	for (m = profile_large_nonzero; m != 0; m &= m - 1)
	{
		c = pg_rightmost_one_pos64(m);
		profile_large.mallocs[c] = profile_large.bytes[c] = 0;
	}
	for (m = large_changed; m != 0; m &= m - 1)
	{
		c = pg_rightmost_one_pos64(m);
		profile_large.mallocs[c] = large_counts.mallocs[c] - profile_start_large.mallocs[c];
		profile_large.bytes[c] = large_counts.bytes[c] - profile_start_large.bytes[c];
	}
	profile_large_nonzero = large_changed;
	profile_contexts = goalloc_adopt_counters.total - profile_start_adopted;
	profile_valid = true;
}


/* ----------
 * Executor hooks
 * ----------
 */

static void
goalloc_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	int			mode = goalloc_route_mode();
	bool		route = (mode != GOALLOC_ROUTE_OFF);
	bool		top = (exec_nesting == 0);
	MemoryContext prev_starting = goalloc_route_starting_parent;
	ga_heap    *heap = NULL;

	/*
	 * Make the heap before the query.  Without one the query runs on stock
	 * contexts (goalloc_route_safe_point warns, once).
	 */
	if (route)
	{
		heap = goalloc_backend_heap_try();
		if (heap == NULL)
			route = false;
	}
	if (mode != GOALLOC_ROUTE_OFF)
		goalloc_route_safe_point();

	/*
	 * The ExecutorState that standard_ExecutorStart creates under the
	 * current context is routed from its first palloc (goalloc_route.c).
	 */
	if (!route)
	{
		goalloc_route_starting_parent = NULL;
		if (prev_ExecutorStart)
			prev_ExecutorStart(queryDesc, eflags);
		else
			standard_ExecutorStart(queryDesc, eflags);
		goalloc_route_starting_parent = prev_starting;
	}
	else
	{
		goalloc_route_starting_parent = CurrentMemoryContext;
		if (top)
			ProfileBegin(heap);
		PG_TRY();
		{
			if (prev_ExecutorStart)
				prev_ExecutorStart(queryDesc, eflags);
			else
				standard_ExecutorStart(queryDesc, eflags);
		}
		PG_FINALLY();
		{
			goalloc_route_starting_parent = prev_starting;
		}
		PG_END_TRY();
	}

	if (route && queryDesc->estate != NULL)
	{
		MemoryContext query_cxt = queryDesc->estate->es_query_cxt;

		/*
		 * Normally the wrapper adopted it at its first palloc, and every
		 * context made under it since that has been palloc'd from.  Adopt
		 * the rest of the query's own tree now (the per-node expression
		 * contexts InitPlan made and has not used yet; everything, if the
		 * wrapper is missing or had no memory for a record): the query's
		 * contexts are goalloc's as soon as the query starts running, as
		 * its views show.  O(the query's contexts), never other queries'.
		 * Not with deferred adoption (goalloc.route_min_size): the walk
		 * would only defer what the wrapper defers at the first palloc.
		 */
		if (!goalloc_route_defers())
			goalloc_adopt_tree(query_cxt, heap, GOALLOC_SCOPE_QUERY);
		RegisterRoutedQuery(query_cxt);
		if (top)
			profile_cxt = query_cxt;
	}
}

static void
goalloc_ExecutorRun(QueryDesc *queryDesc, ScanDirection direction,
					uint64 count, bool execute_once)
{
	RouteOwnQuery(queryDesc);

	exec_nesting++;
	PG_TRY();
	{
		if (prev_ExecutorRun)
			prev_ExecutorRun(queryDesc, direction, count, execute_once);
		else
			standard_ExecutorRun(queryDesc, direction, count, execute_once);
	}
	PG_FINALLY();
	{
		exec_nesting--;
	}
	PG_END_TRY();
}

static void
goalloc_ExecutorFinish(QueryDesc *queryDesc)
{
	RouteOwnQuery(queryDesc);

	exec_nesting++;
	PG_TRY();
	{
		if (prev_ExecutorFinish)
			prev_ExecutorFinish(queryDesc);
		else
			standard_ExecutorFinish(queryDesc);
	}
	PG_FINALLY();
	{
		exec_nesting--;
	}
	PG_END_TRY();
}

static void
goalloc_ExecutorEnd(QueryDesc *queryDesc)
{
	bool		profiled = (profile_cxt != NULL && queryDesc->estate != NULL &&
							queryDesc->estate->es_query_cxt == profile_cxt);

	if (prev_ExecutorEnd)
		prev_ExecutorEnd(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);

	/* es_query_cxt is gone now, with every context the query had */
	if (profiled)
	{
		profile_cxt = NULL;
		ProfileEnd();
	}
}


/* ----------
 * SQL functions
 * ----------
 */

/*
 * goalloc_executor_status()
 *		Whether routing is on, routed queries alive, adopted contexts alive
 *		and ever, and the adoption walks made.
 */
Datum
goalloc_executor_status(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5];

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	memset(nulls, 0, sizeof(nulls));
	values[0] = BoolGetDatum(goalloc_route_mode() != GOALLOC_ROUTE_OFF);
	values[1] = Int32GetDatum(routed_count);
	values[2] = Int64GetDatum((int64) goalloc_adopt_counters.query_live);
	values[3] = Int64GetDatum((int64) goalloc_adopt_counters.total);
	values[4] = Int64GetDatum((int64) adopt_walks);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * goalloc_last_query_profile()
 *		Per size class mallocs and frees of the last top-level routed query
 *		that ended normally; class 0 (large objects) with their bytes.
 */
Datum
goalloc_last_query_profile(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			c;

	SetSingleFuncCall(fcinfo, 0);
	if (!profile_valid)
		PG_RETURN_VOID();

	for (c = 0; c < GA_NUM_CLASSES; c++)
	{
		Datum		values[6];
		bool		nulls[6];
		uint64		objects = profile_end[c] - profile_base[c];

		/* every object a query's contexts made is freed by its end */
		if (objects == 0)
			continue;
		memset(nulls, 0, sizeof(nulls));
		values[0] = Int32GetDatum(c);
		if (c > 0)
		{
			values[1] = Int64GetDatum((int64) ga_class_size[c]);
			values[4] = Int64GetDatum((int64) (objects * ga_class_size[c]));
		}
		else
		{
			nulls[1] = true;
			values[4] = Int64GetDatum((int64) profile_large_bytes);
		}
		values[2] = Int64GetDatum((int64) objects);
		values[3] = Int64GetDatum((int64) objects);
		values[5] = Int64GetDatum((int64) profile_contexts);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	PG_RETURN_VOID();
}

/*
 * goalloc_last_query_large()
 *		The same query's large requests by size, in power-of-two buckets.
 */
Datum
goalloc_last_query_large(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			k;

	SetSingleFuncCall(fcinfo, 0);
	if (!profile_valid)
		PG_RETURN_VOID();

	for (k = 0; k < LARGE_BUCKETS; k++)
	{
		Datum		values[4];
		bool		nulls[4];

		if (profile_large.mallocs[k] == 0)
			continue;
		memset(nulls, 0, sizeof(nulls));
		values[0] = Int64GetDatum((int64) 1 << k);
		values[1] = Int64GetDatum(((int64) 1 << (k + 1)) - 1);
		values[2] = Int64GetDatum((int64) profile_large.mallocs[k]);
		values[3] = Int64GetDatum((int64) profile_large.bytes[k]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	PG_RETURN_VOID();
}


/* ----------
 * Initialization
 * ----------
 */

/*
 * goalloc_executor_init
 *		From _PG_init: install the executor hooks.  The GUCs are
 *		goalloc_route.c's.
 */
void
goalloc_executor_init(void)
{
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = goalloc_ExecutorStart;
	prev_ExecutorRun = ExecutorRun_hook;
	ExecutorRun_hook = goalloc_ExecutorRun;
	prev_ExecutorFinish = ExecutorFinish_hook;
	ExecutorFinish_hook = goalloc_ExecutorFinish;
	prev_ExecutorEnd = ExecutorEnd_hook;
	ExecutorEnd_hook = goalloc_ExecutorEnd;
}
