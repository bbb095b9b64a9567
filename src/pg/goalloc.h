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

#endif							/* GOALLOC_H */
