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

extern const MemoryContextMethods GoAllocMethods;

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
 */
extern ga_heap *goalloc_backend_heap_try(void);
extern bool goalloc_heap_failed(void);

/* GUCs (goalloc_guc in goalloc_context.c). */
extern bool goalloc_check;
extern int	goalloc_heap_limit_kb;	/* 0 = unlimited */
extern int	goalloc_retain_kb;

/* Set up by the views module from _PG_init (shared memory, hooks). */
extern void goalloc_views_init(void);

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

/* Contexts never routed: ErrorContext, allowInCritSection ones. */
extern bool goalloc_route_excluded(MemoryContext context);

/*
 * Classify a context just created, before its first palloc, as stock
 * whatever goalloc.route says: for memory that must not come from the
 * goalloc heap (the views' scratch memory, filled while walking the heap;
 * the benchmarks' AllocSet side).
 */
extern void goalloc_route_keep_stock(MemoryContext context);

/* At the executor hooks: takeover in backend mode, deferred warnings. */
extern void goalloc_route_safe_point(void);

/* Adoption (goalloc_executor.c) */
extern bool goalloc_adopt_context(MemoryContext context, ga_heap *heap,
								  int kind, int scope);
extern int	goalloc_adopted_scope(MemoryContext context);
extern void goalloc_adopt_tree(MemoryContext root, ga_heap *heap, int scope);

typedef struct GoAllocAdoptCounters
{
	uint64		live;			/* adopted contexts alive */
	uint64		query_live;		/* of them, GOALLOC_SCOPE_QUERY */
	uint64		total;			/* ever adopted */
	uint64		by_kind[GOALLOC_NKINDS];	/* ever adopted, by type */
	uint64		limit_bypassed; /* allocations past heap_limit allowed in a
								 * critical section or with interrupts held */
} GoAllocAdoptCounters;
extern GoAllocAdoptCounters goalloc_adopt_counters;

/*
 * Visit every context of the subtree of root, root included, parents before
 * their children (goalloc_executor.c).  visit must not create or delete
 * contexts.
 */
typedef void (*goalloc_context_visitor) (MemoryContext context, void *arg);
extern void goalloc_context_walk(MemoryContext root,
								 goalloc_context_visitor visit, void *arg);

/*
 * Query traces (goalloc_trace.c).  While goalloc_trace_active, the executor
 * hooks register each query started (instead of routing it) and call
 * goalloc_trace_scan where they would adopt.
 */
struct QueryDesc;
struct gab_qtrace;
struct FunctionCallInfoBaseData;
extern bool goalloc_trace_active;
extern void goalloc_trace_init(void);
extern void goalloc_trace_query_start(struct QueryDesc *queryDesc);
extern void goalloc_trace_scan(void);

/*
 * Read and check the trace file named by argument argno (superuser or
 * pg_read_server_files, absolute path); ERROR on any failure.  Returns the
 * buffer t points into; *path_out gets the path if not NULL.
 */
extern void *goalloc_trace_load(struct FunctionCallInfoBaseData *fcinfo,
								int argno, struct gab_qtrace *t,
								char **path_out);
extern void goalloc_trace_unload(struct gab_qtrace *t, void *buf);

#endif							/* GOALLOC_INTERNAL_H */
