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

/* GUCs (goalloc_guc in goalloc_context.c). */
extern bool goalloc_check;
extern int	goalloc_heap_limit_kb;	/* 0 = unlimited */
extern int	goalloc_retain_kb;

/* Set up by the views module from _PG_init (shared memory, hooks). */
extern void goalloc_views_init(void);

/* goalloc.executor and the executor hooks (goalloc_executor.c), from _PG_init. */
extern void goalloc_executor_init(void);

/*
 * Visit every context of the subtree of root, root included, parents before
 * their children (goalloc_executor.c).  visit must not create or delete
 * contexts.
 */
typedef void (*goalloc_context_visitor) (MemoryContext context, void *arg);
extern void goalloc_context_walk(MemoryContext root,
								 goalloc_context_visitor visit, void *arg);

#endif							/* GOALLOC_INTERNAL_H */
