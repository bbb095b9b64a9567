/*-------------------------------------------------------------------------
 *
 * goalloc.h
 *	  GoAllocContext: a PostgreSQL 15 memory context type served by the
 *	  goalloc allocator (Go's mcache -> mcentral -> mheap design).
 *
 * Installed as $(pg_config --includedir-server)/extension/goalloc/goalloc.h.
 * Another extension includes it as
 *
 *		#include "extension/goalloc/goalloc.h"
 *
 * and may call GoAllocContextCreate() once goalloc's library is loaded in
 * the backend: LOAD 'goalloc', shared_preload_libraries, or any goalloc SQL
 * function having run in the same connection.  palloc, palloc0,
 * palloc_extended, repalloc, pfree, MemoryContextReset and
 * MemoryContextDelete then work on the context as on an AllocSet.
 *
 * PostgreSQL 15 only: from 16 on, pfree dispatches through a static table
 * of core context types, so an extension cannot add one.
 *
 *-------------------------------------------------------------------------
 */
#ifndef GOALLOC_H
#define GOALLOC_H

#include "nodes/memnodes.h"

/*
 * Create a goalloc context.  name must be a statically allocated string, as
 * for AllocSetContextCreate.  The context allocates nothing until its first
 * palloc; a reset keeps up to 256 kB of its current spans for the next
 * round.
 */
extern MemoryContext GoAllocContextCreate(MemoryContext parent,
										  const char *name);

/*
 * As above, choosing how much a reset keeps: 0 gives every page back to the
 * backend's heap at each reset; per-tuple contexts want a little.
 */
extern MemoryContext GoAllocContextCreateExtended(MemoryContext parent,
												  const char *name,
												  Size keep_bytes);

/* Is this a goalloc context? */
extern bool GoAllocContextIsGoAlloc(MemoryContext context);

/*
 * Give the idle pages of this backend's goalloc heap back to the operating
 * system, keeping at most keep_bytes of them (0: all), as the heap does by
 * itself when it holds more than goalloc.retain.  Returns the bytes given
 * back; 0 if the backend has no heap yet.  Chunks in use are not touched.
 */
extern Size GoAllocScavenge(Size keep_bytes);

/*
 * Visit every context of the subtree of root, root included, each parent
 * before its children (whatever their type).  visit must not create or
 * delete contexts; it may change a context's method table, as goalloc's
 * executor routing does.
 */
typedef void (*GoAllocContextVisitor) (MemoryContext context, void *arg);
extern void GoAllocContextWalk(MemoryContext root, GoAllocContextVisitor visit,
							   void *arg);

/*
 * Is this context served by one of PostgreSQL's own types (its NodeTag says
 * which) and untouched by goalloc: neither a goalloc context nor adopted by
 * goalloc.route?  For tools that wrap contexts' method tables themselves:
 * goalloc.route classifies a context at its first palloc, and a context
 * that is not stock must be left alone.
 */
extern bool GoAllocContextIsStock(MemoryContext context);

/*
 * Keep a context of PostgreSQL's own types that was just created (not yet
 * palloc'd from) stock whatever goalloc.route says: a benchmark's AllocSet
 * side, say.  Does nothing to any other context.
 */
extern void GoAllocContextKeepStock(MemoryContext context);

/*
 * Figures of one goalloc context.  All sizes are in bytes; span_bytes +
 * nursery_bytes is always the context's mem_allocated.
 */
typedef struct GoAllocContextStats
{
	bool		check;			/* created while goalloc.check was on */
	Size		chunk_header;	/* bytes before each chunk's payload: 8, or
								 * 16 in a check context */
	Size		keep_bytes;		/* spans a reset may keep */
	Size		nspans;			/* spans the context holds */
	Size		span_bytes;		/* their pages */
	Size		used_bytes;		/* slots of live chunks, headers included */
	uint64		live_chunks;
	uint64		mallocs;		/* chunks allocated since creation */
	uint64		frees;			/* chunks freed since creation */
	Size		nursery_bytes;	/* nursery blocks: the first small chunks of
								 * a context, in blocks small contexts share
								 * (goalloc.nursery) */
} GoAllocContextStats;

/*
 * Fill *stats for a goalloc context and return true; for any other context
 * zero *stats and return false.  Takes time proportional to the number of
 * size classes, allocates nothing.
 */
extern bool GoAllocContextGetStats(MemoryContext context,
								   GoAllocContextStats *stats);

/*
 * Figures of the backend's goalloc heap, which every goalloc context of the
 * backend draws from (the SQL function goalloc_stats() shows the same,
 * under the same names).  All sizes are in bytes.
 */
typedef struct GoAllocHeapStats
{
	Size		heap_sys;		/* address space mapped from the OS */
	Size		heap_inuse;		/* pages of spans in use */
	Size		heap_released;	/* idle pages given back to the OS */
	Size		heap_alloc;		/* slots of live chunks */
	uint64		heap_objects;	/* live chunks */
	uint64		mallocs;		/* chunks allocated since the heap was made */
	uint64		frees;			/* chunks freed since the heap was made */
	Size		ncontexts;		/* live goalloc contexts */
	Size		heap_limit;		/* goalloc.heap_limit, 0 = none */
} GoAllocHeapStats;

/*
 * Fill *stats and return true; if this backend has made no goalloc context
 * yet, it has no heap: zero *stats and return false.
 */
extern bool GoAllocHeapGetStats(GoAllocHeapStats *stats);

#endif							/* GOALLOC_H */
