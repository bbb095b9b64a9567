/*-------------------------------------------------------------------------
 *
 * goalloc_internal.h
 *	  What the files of the goalloc extension share with each other (not
 *	  installed: other extensions see only goalloc.h).
 *
 *-------------------------------------------------------------------------
 */
#ifndef GOALLOC_INTERNAL_H
#define GOALLOC_INTERNAL_H

#include "postgres.h"

#include "nodes/memnodes.h"

#include "goalloc.h"
#include "goalloc_core.h"

/*
 * The PostgreSQL layer's own names stay inside goalloc.so, as the core's do
 * (goalloc_core.h): PostgreSQL 15's PGXS exports every global symbol of a
 * module, so each call between its files went through the PLT, and no
 * function of a file was inlined into its callers there (it could have been
 * interposed).  Hidden, they are direct calls, and the compiler may inline
 * them.  What other libraries and the server call stays exported: the API
 * of goalloc.h, _PG_init and the SQL functions (PG_FUNCTION_INFO_V1).
 */
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC visibility push(hidden)
#endif

/*
 * A goalloc context: PostgreSQL's context header followed by the core's
 * owner (mcache + mcentral).  One malloc, like aset.c's context header.
 * ga_owner.user points back at the context.
 */
typedef struct GoAllocContext
{
	MemoryContextData header;	/* standard memory-context fields */
	bool		check;			/* created under goalloc.check: 16-byte
								 * header with the requested size, sentinel,
								 * wipe on free */
	ga_owner	owner;			/* the allocator core's side */
} GoAllocContext;

/* Bytes before each chunk: the context pointer, plus requested size if check. */
#define GOALLOC_CHUNKHDRSZ		sizeof(void *)
#define GOALLOC_CHECK_CHUNKHDRSZ (2 * sizeof(void *))

/*
 * Idle memory a backend's heap keeps backed past the end of a transaction
 * (ga_heap_trim, goalloc_shmem.c): while a transaction runs it keeps up to
 * 1.5 x max(goalloc.retain, heap in use) for the next allocations.  A
 * transaction that leaves more than this plus 1 MB idle has it released;
 * glibc's malloc trims the top of its heap past 128 kB (M_TRIM_THRESHOLD).
 */
#define GOALLOC_IDLE_KEEP		((size_t) 256 << 10)

extern const MemoryContextMethods GoAllocMethods;
extern const MemoryContextMethods GoAllocSpansMethods;

/*
 * goalloc_alloc_inline_from, goalloc_alloc_inline
 *		The inline paths of a palloc that goalloc serves, for a goalloc
 *		context and an adopted one alike: the owner's nursery block while it
 *		is in the nursery (unless nursery is false: an owner that has left
 *		it for good, GoAllocSpansMethods), then its mcache span (whose owner
 *		has marked lists: a payload popped from one keeps its stale link,
 *		and its header word, the list mark, becomes context again).  The
 *		chunk's header word is set to context.  NULL when both decline, for
 *		the caller's slow path, which it reaches by a tail call so that its
 *		method needs no stack frame.  Always inlined: gcc kept one out-of-line copy for
 *		goalloc_adopt.c's callers, so an adopted context's palloc made a
 *		call and saved three registers (541,000 calls, 17 instructions each,
 *		in 3,000 one-row lookups in backend mode).
 */
static pg_attribute_always_inline void *
goalloc_alloc_inline_from(ga_owner *owner, MemoryContext context, Size size,
						  bool nursery)
{
	void	   *p = NULL;

	if (likely(GA_FAST_SIZE(size, GOALLOC_CHUNKHDRSZ)))
	{
		if (nursery && owner->nursery_cap != 0)
			p = ga_nursery_bump(owner, size, GOALLOC_CHUNKHDRSZ);
		if (p == NULL)
			p = ga_alloc_fast_marked(owner, size, GOALLOC_CHUNKHDRSZ);
		if (likely(p != NULL))
			((MemoryContext *) p)[-1] = context;
	}
	return p;
}

static pg_attribute_always_inline void *
goalloc_alloc_inline(ga_owner *owner, MemoryContext context, Size size)
{
	return goalloc_alloc_inline_from(owner, context, size, true);
}

/*
 * The listed-chunk marker (goalloc_context.c): the header word of a chunk
 * on its owner's free list, for every owner but a goalloc.check context's
 * (which lists nothing).  GOALLOC_LIST_MARK is the owners' list_mark.
 */
extern MemoryContextData GoAllocListedChunk;

#define GOALLOC_LIST_MARK	((uintptr_t) &GoAllocListedChunk)

/*
 * The backend's heap (Go's mheap_): created on first use.  A backend forked
 * from a postmaster that had built a heap gets a fresh one; the inherited
 * copy keeps serving the inherited contexts only.  NULL when none exists and
 * create is false.
 */
extern ga_heap *goalloc_backend_heap(bool create);

/*
 * The same without errors: NULL if the heap cannot be made (remembered for
 * the process, see goalloc_heap_failed).  Never pallocs, never longjmps.
 * goalloc_heap_unavailable_warning reports such a failure once, where an
 * elog is allowed.
 */
extern ga_heap *goalloc_backend_heap_try(void);
extern bool goalloc_heap_failed(void);
extern void goalloc_heap_unavailable_warning(void);

/*
 * After an allocation for owner returned NULL (goalloc_context.c): false if
 * the OS refused; an ERROR naming goalloc.heap_limit if the limit did; true
 * inside a critical section, where the limit is lifted for one more try,
 * which the caller follows with goalloc_limit_restore().
 */
extern bool goalloc_refused(ga_owner *owner, Size size);
extern void goalloc_limit_restore(ga_owner *owner);

/*
 * A context name fit for a message: cut at GOALLOC_LOG_NAME_MAX bytes,
 * control characters escaped.  buf should be GOALLOC_LOG_NAME_LEN bytes.
 */
#define GOALLOC_LOG_NAME_MAX	100
#define GOALLOC_LOG_NAME_LEN	(4 * GOALLOC_LOG_NAME_MAX + 4)
extern void goalloc_log_name(const char *name, char *buf, Size buflen);

/* GUCs (goalloc.c). */
extern bool goalloc_check;
extern bool goalloc_nursery;
extern int	goalloc_heap_limit_kb;	/* 0 = unlimited */
extern int	goalloc_retain_kb;
extern bool goalloc_huge_pages;
extern int	goalloc_max_total_memory_kb;	/* 0 = no cap */
extern int	goalloc_fair_share_reserve; /* percent of the cap */

/*
 * Shared memory (goalloc_shmem.c): goalloc_shmem_init, from _PG_init,
 * requests it when the library is preloaded; goalloc_publish copies the
 * heap's totals into this backend's slot (nothing without preloading).
 */
extern void goalloc_shmem_init(void);
extern void goalloc_publish(void);

/*
 * goalloc.max_total_memory (goalloc_budget.c): goalloc_budget is the
 * backend heap's budget hook; goalloc_budget_take_refusal tells (once)
 * whether the cap refused the last request, and why;
 * goalloc_budget_backend_reserved(i) is what the backend of BackendId
 * i + 1 holds; goalloc_budget_would_refuse(b) tells, reserving nothing,
 * whether the cap would refuse the process b bytes.
 */
typedef struct GoAllocBudgetRefusal
{
	uint64		cluster_reserved;	/* what all processes hold */
	uint64		mine;			/* what this process holds */
	uint64		fair_share;		/* 0: the total would have passed the cap;
								 * else it would have entered the reserve
								 * (goalloc.fair_share_reserve) with this
								 * process past this share */
	uint32		holders;		/* processes holding goalloc memory */
} GoAllocBudgetRefusal;

extern void goalloc_budget_init(void);
extern bool goalloc_budget(void *arg, size_t backed_bytes, bool growing);
extern bool goalloc_budget_would_refuse(size_t backed_bytes);
extern bool goalloc_budget_take_refusal(GoAllocBudgetRefusal *refusal);
extern uint64 goalloc_budget_backend_reserved(int i);

/* goalloc.executor and the executor hooks (goalloc_executor.c), from _PG_init. */
extern void goalloc_executor_init(void);

/*
 * goalloc.route (goalloc_route.c): the first-alloc wrapper patched into the
 * stock context types' method tables, and the classification of contexts.
 */
#define GOALLOC_ROUTE_OFF		0
#define GOALLOC_ROUTE_EXECUTOR	1
#define GOALLOC_ROUTE_BACKEND	2

/* The stock context types, in the order of the adoption counters */
#define GOALLOC_KIND_ASET		0
#define GOALLOC_KIND_GENERATION 1
#define GOALLOC_KIND_SLAB		2
#define GOALLOC_NKINDS			3

/* Why a context was adopted */
#define GOALLOC_SCOPE_NONE		0	/* not adopted */
#define GOALLOC_SCOPE_QUERY		1	/* under a routed query's es_query_cxt */
#define GOALLOC_SCOPE_BACKEND	2	/* goalloc.route = backend */

extern void goalloc_route_init(void);
extern int	goalloc_route_mode(void);	/* GOALLOC_ROUTE_*, both GUCs */
extern bool goalloc_route_patched;	/* the wrapper is installed */
extern MemoryContext goalloc_route_starting_parent;

/* Stock context type of a methods table (server's or ours), else -1. */
extern int	goalloc_route_stock_kind(const MemoryContextMethods *methods);

/* The unpatched copy of a stock type's table. */
extern const MemoryContextMethods *goalloc_route_stock_table(int kind);

/* Bytes a stock type's chunk takes before its payload. */
extern Size goalloc_route_stock_chunk_header(int kind);

/* Contexts never routed: ErrorContext, allowInCritSection ones. */
extern bool goalloc_route_excluded(MemoryContext context);

/*
 * Classify a context just created, before its first palloc, as stock
 * whatever goalloc.route says: for memory that must not come from the
 * goalloc heap (the views' scratch memory, filled while walking the heap;
 * the benchmarks' AllocSet side).
 */
extern void goalloc_route_keep_stock(MemoryContext context);

/*
 * Route a stock context: adopt it, or defer that until its blocks pass
 * goalloc.route_min_size.  False if it could not be adopted.
 */
extern bool goalloc_route_claim(MemoryContext context, ga_heap *heap,
								int kind, int scope);

/* Is adoption deferred until contexts grow (goalloc.route_min_size)? */
extern bool goalloc_route_defers(void);

/* Scope of an adopted or deferred context, else GOALLOC_SCOPE_NONE. */
extern int	goalloc_route_scope(MemoryContext context);

/* GetMemoryChunkSpace of a routed context's stock chunk (goalloc_route.c) */
extern Size goalloc_route_stock_chunk_space(int kind, Size space);

/* How goalloc.route serves a context (goalloc_route_state) */
#define GOALLOC_ROUTED_GOALLOC		0	/* a GoAlloc context */
#define GOALLOC_ROUTED_ADOPTED		1	/* a stock type served by goalloc */
#define GOALLOC_ROUTED_DEFERRED		2	/* routed, served by its type until
										 * its blocks pass route_min_size */
#define GOALLOC_ROUTED_STOCK		3	/* classified stock, or no wrapper */
#define GOALLOC_ROUTED_UNCLASSIFIED 4	/* no palloc since the wrapper */
#define GOALLOC_ROUTED_OTHER		5	/* another type, or wrapped by
										 * another (the trace recorder) */
extern int	goalloc_route_state(MemoryContext context);

/*
 * The blocks routed contexts keep in their own type, which the limit and
 * the budget count on the heap's account (ga_heap_config.outside): a figure
 * measured at most GOALLOC_OUTSIDE_REMEASURE backed bytes ago, or now.
 */
extern size_t goalloc_route_outside(void *arg, bool fresh);
extern void goalloc_route_outside_moved(Size before, Size after);

/* At the executor hooks: takeover in backend mode, deferred warnings. */
extern void goalloc_route_safe_point(void);

/* Adoption (goalloc_adopt.c) */
extern bool goalloc_adopt_context(MemoryContext context, ga_heap *heap,
								  int kind, int scope);
extern int	goalloc_adopted_scope(MemoryContext context);
extern Size goalloc_adopted_stock_bytes(MemoryContext context);
extern void goalloc_adopt_tree(MemoryContext root, ga_heap *heap, int scope);

typedef struct GoAllocAdoptCounters
{
	uint64		live;			/* adopted contexts alive */
	uint64		query_live;		/* of them, GOALLOC_SCOPE_QUERY */
	uint64		total;			/* ever adopted */
	uint64		by_kind[GOALLOC_NKINDS];	/* ever adopted, by type */
	uint64		limit_bypassed; /* allocations past heap_limit allowed in a
								 * critical section or with interrupts held */
	uint64		recycled;		/* records kept for the next adoption */
	uint64		recycled_bytes; /* their owners' kept nursery blocks */
	uint64		walks;			/* goalloc_adopt_tree's walks */
} GoAllocAdoptCounters;
extern GoAllocAdoptCounters goalloc_adopt_counters;

/*
 * Large requests (class 0) of adopted contexts by requested size, in
 * power-of-two buckets, [2^k, 2^(k+1)): counted by goalloc_adopt.c, read by
 * the query profile (goalloc_executor.c), which clears the bits of
 * goalloc_large_changed, the buckets moved since it last looked.
 */
#define GOALLOC_LARGE_BUCKETS	48
typedef struct GoAllocLargeCounts
{
	uint64		mallocs[GOALLOC_LARGE_BUCKETS];
	uint64		bytes[GOALLOC_LARGE_BUCKETS];
} GoAllocLargeCounts;
extern GoAllocLargeCounts goalloc_large_counts;
extern uint64 goalloc_large_changed;

/*
 * Visit every context of the subtree of root, root included, parents before
 * their children (goalloc_adopt.c).  visit must not create or delete
 * contexts.
 */
typedef void (*goalloc_context_visitor) (MemoryContext context, void *arg);
extern void goalloc_context_walk(MemoryContext root,
								 goalloc_context_visitor visit, void *arg);

#if defined(__GNUC__) || defined(__clang__)
#pragma GCC visibility pop
#endif

#endif							/* GOALLOC_INTERNAL_H */
