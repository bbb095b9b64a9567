/*-------------------------------------------------------------------------
 *
 * goalloc_context.c
 *	  GoAllocContext: a PostgreSQL 15 memory context type whose chunks are
 *	  served by the goalloc allocator core (Go's mcache -> mcentral -> mheap).
 *
 * This file is the whole PostgreSQL face of the allocator: the context
 * methods, the backend's heap, the GUCs and _PG_init.
 *
 * Design
 * ------
 *
 * Every backend has one ga_heap (Go's mheap_), created the first time a
 * goalloc context is made.  A GoAllocContext is PostgreSQL's context header
 * followed by a ga_owner (an mcache plus per-class mcentrals); many contexts
 * share the heap, and resetting or deleting a context returns its spans to
 * that heap, where the next context finds them.  The context header itself
 * is one malloc, like aset.c's.
 *
 * A backend forked from a postmaster that had built a heap (the library in
 * shared_preload_libraries, a context made in the postmaster) inherits a
 * copy of that heap.  goalloc_backend_heap() compares the pid stored with
 * the heap against MyProcPid and builds a fresh heap for the child; the
 * inherited copy keeps serving the inherited contexts only, since every
 * owner remembers its own heap.
 *
 * Chunk layout.  The core lays every chunk out as [hdr][payload] inside a
 * slot of its size class (or the pages of a large span) and returns the
 * payload.  We own the hdr bytes:
 *
 *	normal contexts, GOALLOC_CHUNKHDRSZ (8):	[context]
 *	goalloc.check contexts, GOALLOC_CHECK_CHUNKHDRSZ (16):
 *												[requested size][context]
 *
 * The context pointer is always the last word before the payload, as mcxt.c
 * requires (GetMemoryChunkContext, MemoryContextContains, list.c ...).
 * Payloads are MAXALIGNed because slots are multiples of 8 bytes, spans
 * start on page boundaries and the header is 8 or 16 bytes.  The core
 * copies only payload bytes when ga_realloc moves a chunk, so after a move
 * we write the header words again.
 *
 * Invariants
 * ----------
 *
 *	- header.mem_allocated == owner.npages * 8192 at all times: the core
 *	  writes it through ga_owner_set_mirror() whenever the owner gains or
 *	  loses pages.  MemoryContextMemAllocated() and hash-aggregate spilling
 *	  therefore see the pages the context really holds.
 *	- owner.user points back at the context (the views name contexts by it).
 *	- The word before every live payload is the owning context.
 *	- In a check context, the word before that is the requested size, and
 *	  if the slot has room the byte right after the requested size is the
 *	  sentinel 0x7E.  Freed payloads are wiped with 0x7F (memdebug.h's
 *	  conventions) before they go back to the core.
 *
 * Errors.  The methods never throw while a core structure is half-changed.
 * A pointer that the context does not own (not in the heap, free pages,
 * another context's chunk, the inside of a chunk, a chunk already freed)
 * is detected by the core before it changes anything; it calls our error
 * callback, which raises an ERROR naming the context and the kind of
 * error.  Running out of memory (or reaching goalloc.heap_limit) makes
 * alloc/realloc return NULL and mcxt.c raises PostgreSQL's own "out of
 * memory" error, with the old chunk of a failed repalloc intact.  Check
 * failures are WARNINGs, as in aset.c.
 *
 * The contexts are tagged T_AllocSetContext because an assert-enabled
 * server's MemoryContextIsValid() accepts only the three core tags; a
 * goalloc context is told apart by its methods table (GoAllocMethods, or
 * GoAllocCheckMethods under goalloc.check), see GoAllocContextIsGoAlloc().
 * The stats method allocates nothing: mcxt.c calls it on the out-of-memory
 * path.
 *
 * IDENTIFICATION
 *	  src/pg/goalloc_context.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "goalloc_internal.h"

PG_MODULE_MAGIC;

/* memdebug.h's byte values, used here whether or not the server has them */
#define GOALLOC_SENTINEL	0x7E
#define GOALLOC_WIPE		0x7F

/* Reading the header words in front of a payload */
#define GoAllocChunkContext(ptr)	(((MemoryContext *) (ptr))[-1])
#define GoAllocChunkRequested(ptr)	(((Size *) (ptr))[-2])

/* GUC variables */
bool		goalloc_check = false;
int			goalloc_heap_limit_kb = 0;
int			goalloc_retain_kb = (int) (GA_DEFAULT_RETAIN / 1024);
static bool goalloc_huge_pages = false;

/* The backend's heap and the process that built it */
static ga_heap *backend_heap = NULL;
static int	backend_heap_pid = 0;

/* The process whose attempt to make a heap failed (0: none) */
static int	heap_failed_pid = 0;

/*
 * backend_heap's map, where GoAllocFree reads it without going through the
 * context pointer that pfree has just read from the chunk header (see
 * ga_free_mapped).  A chunk of another heap (one inherited over fork) lies
 * outside it and takes the slow path, which goes by the context's own heap.
 */
static ga_map backend_map;

/*
 * The operation in progress, for the error callback's message: "pfree"
 * unless a repalloc is under way (so that pfree, the hot one, sets nothing).
 */
static const char *goalloc_current_op = "pfree";

void		_PG_init(void);

/* The methods */
static void *GoAllocAlloc(MemoryContext context, Size size);
static void GoAllocFree(MemoryContext context, void *pointer);
static void *GoAllocRealloc(MemoryContext context, void *pointer, Size size);
static void *GoAllocAllocCheck(MemoryContext context, Size size);
static void GoAllocFreeCheck(MemoryContext context, void *pointer);
static void *GoAllocReallocCheck(MemoryContext context, void *pointer,
								 Size size);
static void GoAllocReset(MemoryContext context);
static void GoAllocResetCheck(MemoryContext context);
static void GoAllocDelete(MemoryContext context);
static Size GoAllocGetChunkSpace(MemoryContext context, void *pointer);
static bool GoAllocIsEmpty(MemoryContext context);
static void GoAllocStats(MemoryContext context,
						 MemoryStatsPrintFunc printfunc, void *passthru,
						 MemoryContextCounters *totals,
						 bool print_to_stderr);
#ifdef MEMORY_CONTEXT_CHECKING
static void GoAllocCheck(MemoryContext context);
#endif

const MemoryContextMethods GoAllocMethods = {
	GoAllocAlloc,
	GoAllocFree,
	GoAllocRealloc,
	GoAllocReset,
	GoAllocDelete,
	GoAllocGetChunkSpace,
	GoAllocIsEmpty,
	GoAllocStats
#ifdef MEMORY_CONTEXT_CHECKING
	,GoAllocCheck
#endif
};

/*
 * A context created with goalloc.check on gets this table instead: its
 * alloc, free and realloc keep and check sentinels.  Two tables rather
 * than a flag keep the test out of the ordinary fast paths.
 */
const MemoryContextMethods GoAllocCheckMethods = {
	GoAllocAllocCheck,
	GoAllocFreeCheck,
	GoAllocReallocCheck,
	GoAllocResetCheck,
	GoAllocDelete,
	GoAllocGetChunkSpace,
	GoAllocIsEmpty,
	GoAllocStats
#ifdef MEMORY_CONTEXT_CHECKING
	,GoAllocCheck
#endif
};


/* ----------
 * Heap
 * ----------
 */

/*
 * goalloc_error_kind_name
 *		What the core's error kind means, in words.
 */
static const char *
goalloc_error_kind_name(ga_error_kind kind)
{
	switch (kind)
	{
		case GA_ERR_NOT_IN_HEAP:
			return "not in heap";
		case GA_ERR_NOT_ALLOCATED:
			return "not allocated";
		case GA_ERR_WRONG_OWNER:
			return "wrong context";
		case GA_ERR_NOT_CHUNK_START:
			return "not chunk start";
		case GA_ERR_DOUBLE_FREE:
			return "double free";
	}
	return "unknown error";
}

/*
 * goalloc_heap_error
 *		The heap's error callback: a bad pointer was given to ga_free or
 *		ga_realloc.  The core calls us before it changes anything, so we may
 *		longjmp out.
 */
static void
goalloc_heap_error(void *arg, ga_error_kind kind, const ga_owner *owner,
				   const void *ptr)
{
	const char *name = "?";
	const char *op = goalloc_current_op;

	goalloc_current_op = "pfree";
	if (owner != NULL && owner->user != NULL)
		name = ((MemoryContext) owner->user)->name;

	ereport(ERROR,
			(errcode(ERRCODE_INTERNAL_ERROR),
			 errmsg("%s called with invalid pointer in goalloc context \"%s\": %s",
					op, name, goalloc_error_kind_name(kind)),
			 errdetail("Pointer %p.", ptr)));
}

/*
 * goalloc_backend_heap_try
 *		The backend's heap, created on first use with the current GUC
 *		values; NULL if it cannot be made.  Never raises an error and never
 *		pallocs: goalloc.route's first-alloc wrapper (goalloc_route.c) calls
 *		it from inside palloc, possibly in a critical section or while an
 *		error is being reported.  A failure is remembered for the process
 *		(goalloc_heap_failed) and not retried here: each attempt maps and
 *		unmaps address space.  A process forked from one that had a heap
 *		gets its own.
 */
ga_heap *
goalloc_backend_heap_try(void)
{
	ga_heap_config cfg;
	ga_heap    *heap;

	if (backend_heap != NULL && backend_heap_pid == MyProcPid)
		return backend_heap;
	if (heap_failed_pid == MyProcPid)
		return NULL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.retain_bytes = (size_t) goalloc_retain_kb * 1024;
	cfg.limit_bytes = (size_t) goalloc_heap_limit_kb * 1024;
	cfg.span_cache_bytes = GA_DEFAULT_SPAN_CACHE;
	cfg.huge_pages = goalloc_huge_pages;
	cfg.on_error = goalloc_heap_error;
	cfg.error_arg = NULL;

	heap = ga_heap_create(&cfg);
	if (heap == NULL)
	{
		heap_failed_pid = MyProcPid;
		return NULL;
	}

	backend_heap = heap;
	backend_heap_pid = MyProcPid;
	ga_heap_get_map(heap, &backend_map);
	return heap;
}

/*
 * goalloc_heap_failed
 *		Has this process failed to make its heap?
 */
bool
goalloc_heap_failed(void)
{
	return heap_failed_pid == MyProcPid && MyProcPid != 0;
}

/*
 * goalloc_backend_heap
 *		The backend's heap, created on first use with the current GUC
 *		values.  NULL when none exists and create is false; an ERROR when
 *		it cannot be made.
 */
ga_heap *
goalloc_backend_heap(bool create)
{
	ga_heap    *heap;

	if (backend_heap != NULL && backend_heap_pid == MyProcPid)
		return backend_heap;
	if (!create)
		return NULL;

	/* An explicit request tries again, even after a failure */
	if (heap_failed_pid == MyProcPid)
		heap_failed_pid = 0;
	heap = goalloc_backend_heap_try();
	if (heap == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed while creating the goalloc heap.")));
	return heap;
}


/* ----------
 * Context creation
 * ----------
 */

/*
 * GoAllocContextCreateExtended
 *		Create a new goalloc context.
 *
 * parent: parent context, or NULL if top-level context
 * name: name of context (must be statically allocated)
 * keep_bytes: how many bytes of its current spans a reset may keep
 */
MemoryContext
GoAllocContextCreateExtended(MemoryContext parent, const char *name,
							 Size keep_bytes)
{
	ga_heap    *heap;
	GoAllocContext *set;
	bool		check = goalloc_check;

	heap = goalloc_backend_heap(true);

	set = (GoAllocContext *) malloc(sizeof(GoAllocContext));
	if (set == NULL)
	{
		if (TopMemoryContext)
			MemoryContextStats(TopMemoryContext);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed while creating memory context \"%s\".",
						   name)));
	}

	set->check = check;
	ga_owner_init(&set->owner, heap,
				  check ? GOALLOC_CHECK_CHUNKHDRSZ : GOALLOC_CHUNKHDRSZ,
				  keep_bytes);
	set->owner.user = set;
	if (check)
		ga_owner_disable_freelists(&set->owner);	/* keep freed chunks wiped */

	/* Finally, do the type-independent part of context creation */
	MemoryContextCreate((MemoryContext) set,
						T_AllocSetContext,
						check ? &GoAllocCheckMethods : &GoAllocMethods,
						parent,
						name);

	/* MemoryContextCreate zeroed mem_allocated: from now on the core keeps it */
	ga_owner_set_mirror(&set->owner, &set->header.mem_allocated);

	return (MemoryContext) set;
}

/*
 * GoAllocContextCreate
 *		Create a goalloc context whose resets keep up to 256 kB of spans.
 */
MemoryContext
GoAllocContextCreate(MemoryContext parent, const char *name)
{
	return GoAllocContextCreateExtended(parent, name, GA_DEFAULT_KEEP);
}

/*
 * GoAllocContextIsGoAlloc
 *		Is this a goalloc context?
 */
bool
GoAllocContextIsGoAlloc(MemoryContext context)
{
	return context != NULL &&
		(context->methods == &GoAllocMethods ||
		 context->methods == &GoAllocCheckMethods);
}


/* ----------
 * goalloc.check helpers
 * ----------
 */

/*
 * GoAllocUsable
 *		Payload bytes of a chunk's slot (slot minus our header).
 */
static inline Size
GoAllocUsable(GoAllocContext *set, void *pointer)
{
	return ga_chunk_size(&set->owner, pointer) - set->owner.hdr;
}

/*
 * GoAllocSentinelOk
 *		Check the sentinel of a check-mode chunk of usable payload bytes;
 *		warn if it was overwritten.
 */
static bool
GoAllocSentinelOk(GoAllocContext *set, void *pointer, Size usable)
{
	Size		requested = GoAllocChunkRequested(pointer);

	if (requested < usable &&
		((unsigned char *) pointer)[requested] != GOALLOC_SENTINEL)
	{
		ereport(WARNING,
				(errmsg("detected write past chunk end in goalloc context \"%s\" %p (requested %zu)",
						set->header.name, pointer, requested)));
		return false;
	}
	return true;
}

/*
 * GoAllocSetCheckHeader
 *		Write both header words of a check-mode chunk and its sentinel.
 */
static inline void
GoAllocSetCheckHeader(GoAllocContext *set, void *pointer, Size size,
					  Size usable)
{
	GoAllocChunkRequested(pointer) = size;
	GoAllocChunkContext(pointer) = (MemoryContext) set;
	if (size < usable)
		((unsigned char *) pointer)[size] = GOALLOC_SENTINEL;
}

/*
 * GoAllocCheckVisitor
 *		ga_owner_walk_objects visitor for check contexts: check each live
 *		chunk's sentinel and, when wiping, fill its payload with 0x7F.
 *		slot_size includes our header.
 */
typedef struct GoAllocCheckState
{
	GoAllocContext *set;
	bool		wipe;
	uint64		bad;
} GoAllocCheckState;

static bool
GoAllocCheckVisitor(void *arg, void *payload, size_t slot_size)
{
	GoAllocCheckState *st = (GoAllocCheckState *) arg;
	Size		usable = slot_size - st->set->owner.hdr;

	if (!GoAllocSentinelOk(st->set, payload, usable))
		st->bad++;
	if (st->wipe)
		memset(payload, GOALLOC_WIPE, usable);
	return true;
}

/*
 * GoAllocCheckAll
 *		Check (and optionally wipe) every live chunk of a check context.
 */
static void
GoAllocCheckAll(GoAllocContext *set, bool wipe)
{
	GoAllocCheckState st;

	st.set = set;
	st.wipe = wipe;
	st.bad = 0;
	ga_owner_walk_objects(&set->owner, GoAllocCheckVisitor, &st);
}


/* ----------
 * Methods
 * ----------
 */

/*
 * GoAllocCoreRealloc
 *		ga_realloc, with "repalloc" named in the error a bad pointer raises.
 */
static void *
GoAllocCoreRealloc(GoAllocContext *set, void *pointer, Size size)
{
	void	   *newp;

	goalloc_current_op = "repalloc";
	newp = ga_realloc(&set->owner, pointer, size);
	goalloc_current_op = "pfree";
	return newp;
}

/*
 * GoAllocAllocSlow
 *		GoAllocAlloc's path for everything the core's inline fast path does
 *		not serve.
 */
static pg_noinline void *
GoAllocAllocSlow(MemoryContext context, Size size)
{
	GoAllocContext *set = (GoAllocContext *) context;
	void	   *p;

	p = ga_alloc_any(&set->owner, size);
	if (unlikely(p == NULL))
		return NULL;
	GoAllocChunkContext(p) = context;
	return p;
}

/*
 * GoAllocAlloc
 *		Returns pointer to allocated memory of given size or NULL if the
 *		heap cannot give it (out of memory, or past goalloc.heap_limit);
 *		mcxt.c raises the error then.  The fast path makes no call, so it
 *		needs no stack frame; the rest is a tail call.
 */
static void *
GoAllocAlloc(MemoryContext context, Size size)
{
	GoAllocContext *set = (GoAllocContext *) context;
	void	   *p;

	if (likely(GA_FAST_SIZE(size, GOALLOC_CHUNKHDRSZ)))
	{
		p = ga_alloc_fast(&set->owner, size, GOALLOC_CHUNKHDRSZ);
		if (likely(p != NULL))
		{
			GoAllocChunkContext(p) = context;
			return p;
		}
	}
	return GoAllocAllocSlow(context, size);
}

/*
 * GoAllocFree
 *		Frees allocated memory; an invalid pointer raises an ERROR (from
 *		the core's error callback, before anything changed).
 */
static void
GoAllocFree(MemoryContext context, void *pointer)
{
	GoAllocContext *set = (GoAllocContext *) context;

	ga_free_mapped(&backend_map, &set->owner, pointer, GOALLOC_CHUNKHDRSZ);
}

/*
 * GoAllocRealloc
 *		Returns new pointer to allocated memory of given size, or NULL if
 *		the heap cannot give it (the old chunk is then left alone).  An
 *		invalid pointer raises an ERROR.
 */
static void *
GoAllocRealloc(MemoryContext context, void *pointer, Size size)
{
	GoAllocContext *set = (GoAllocContext *) context;
	void	   *newp;

	newp = GoAllocCoreRealloc(set, pointer, size);
	if (unlikely(newp == NULL))
		return NULL;
	if (newp != pointer)
		GoAllocChunkContext(newp) = context;
	return newp;
}

/*
 * GoAllocAllocCheck
 *		GoAllocAlloc for a check context: the requested size and a
 *		sentinel go with the chunk.
 */
static void *
GoAllocAllocCheck(MemoryContext context, Size size)
{
	GoAllocContext *set = (GoAllocContext *) context;
	void	   *p;

	p = ga_alloc(&set->owner, size);
	if (p == NULL)
		return NULL;
	GoAllocSetCheckHeader(set, p, size, GoAllocUsable(set, p));
	return p;
}

/*
 * GoAllocFreeCheck
 *		GoAllocFree for a check context: sentinel check and wipe first.
 */
static void
GoAllocFreeCheck(MemoryContext context, void *pointer)
{
	GoAllocContext *set = (GoAllocContext *) context;
	Size		usable;

	/* A bad pointer: let the core report it before we read its header */
	if (!ga_owns(&set->owner, pointer))
	{
		ga_free(&set->owner, pointer);
		return;
	}

	usable = GoAllocUsable(set, pointer);
	GoAllocSentinelOk(set, pointer, usable);
	memset(pointer, GOALLOC_WIPE, usable);
	ga_free(&set->owner, pointer);
}

/*
 * GoAllocReallocCheck
 *		GoAllocRealloc for a check context.  A chunk whose slot still has
 *		room stays in place (the bytes given up are wiped); otherwise a new
 *		chunk is allocated here so that the old one can be wiped before it
 *		goes back to the core.
 */
static void *
GoAllocReallocCheck(MemoryContext context, void *pointer, Size size)
{
	GoAllocContext *set = (GoAllocContext *) context;
	Size		usable;
	Size		oldsize;
	void	   *newp;

	if (!ga_owns(&set->owner, pointer))
	{
		return GoAllocCoreRealloc(set, pointer, size);	/* reports it */
	}

	usable = GoAllocUsable(set, pointer);
	GoAllocSentinelOk(set, pointer, usable);
	oldsize = GoAllocChunkRequested(pointer);

	if (size <= usable)
	{
		if (size < oldsize)
			memset((char *) pointer + size, GOALLOC_WIPE, oldsize - size);
		GoAllocSetCheckHeader(set, pointer, size, usable);
		return pointer;
	}

	newp = ga_alloc(&set->owner, size);
	if (newp == NULL)
		return NULL;			/* old chunk intact */
	memcpy(newp, pointer, Min(oldsize, size));
	GoAllocSetCheckHeader(set, newp, size, GoAllocUsable(set, newp));

	memset(pointer, GOALLOC_WIPE, usable);
	ga_free(&set->owner, pointer);
	return newp;
}

/*
 * GoAllocReset
 *		Frees all memory allocated in the context; the owner keeps up to
 *		its keep_bytes of spans for the next round.
 */
static void
GoAllocReset(MemoryContext context)
{
	ga_owner_reset(&((GoAllocContext *) context)->owner);
}

/* GoAllocReset for a check context: every sentinel is checked first. */
static void
GoAllocResetCheck(MemoryContext context)
{
	GoAllocContext *set = (GoAllocContext *) context;

	GoAllocCheckAll(set, true);
	ga_owner_reset(&set->owner);
}

/*
 * GoAllocDelete
 *		Frees all memory of the context, returning every span to the heap,
 *		and the context header itself.
 */
static void
GoAllocDelete(MemoryContext context)
{
	GoAllocContext *set = (GoAllocContext *) context;

	if (set->check)
		GoAllocCheckAll(set, true);
	ga_owner_set_mirror(&set->owner, NULL);
	ga_owner_destroy(&set->owner);
	set->header.mem_allocated = 0;
	free(set);
}

/*
 * GoAllocGetChunkSpace
 *		Given a currently-allocated chunk, determine the total space it
 *		occupies: its slot (or pages), our header included.
 */
static Size
GoAllocGetChunkSpace(MemoryContext context, void *pointer)
{
	GoAllocContext *set = (GoAllocContext *) context;
	Size		space;

	space = ga_chunk_size(&set->owner, pointer);
	if (space == 0)
		elog(ERROR, "GetMemoryChunkSpace called with invalid pointer in goalloc context \"%s\"",
			 context->name);
	return space;
}

/*
 * GoAllocIsEmpty
 *		Is the context holding no live chunk?
 */
static bool
GoAllocIsEmpty(MemoryContext context)
{
	GoAllocContext *set = (GoAllocContext *) context;

	return ga_owner_is_empty(&set->owner);
}

/*
 * GoAllocFreeSlotsVisitor
 *		Count the free slots of a context's small spans.
 */
static bool
GoAllocFreeSlotsVisitor(void *arg, const ga_span_info *info)
{
	Size	   *freechunks = (Size *) arg;

	if (info->sizeclass != 0 && info->nelems > info->allocated)
		*freechunks += info->nelems - info->allocated;
	return true;
}

/*
 * GoAllocStats
 *		Compute stats about memory consumption of a goalloc context.
 *
 * printfunc: if not NULL, pass a human-readable stats string to this.
 * passthru: pass this pointer through to printfunc.
 * totals: if not NULL, add stats about this context into *totals.
 * print_to_stderr: print stats to stderr if true, elog otherwise.
 *
 * A block is a span; total is the pages the context holds (mem_allocated);
 * used is the slot bytes of live chunks.  Allocates nothing: this runs on
 * the out-of-memory path.
 */
static void
GoAllocStats(MemoryContext context,
			 MemoryStatsPrintFunc printfunc, void *passthru,
			 MemoryContextCounters *totals, bool print_to_stderr)
{
	GoAllocContext *set = (GoAllocContext *) context;
	ga_owner_stats st;
	Size		totalspace;
	Size		freespace;
	Size		freechunks = 0;

	ga_owner_read_stats(&set->owner, &st);
	ga_owner_walk_spans(&set->owner, GoAllocFreeSlotsVisitor, &freechunks);

	totalspace = st.span_bytes;
	freespace = st.span_bytes >= st.alloc_bytes ?
		st.span_bytes - st.alloc_bytes : 0;

	if (printfunc)
	{
		char		stats_string[200];

		snprintf(stats_string, sizeof(stats_string),
				 "%zu total in %zu spans; %zu free (%zu chunks); %zu used; %llu live chunks%s",
				 totalspace, (Size) st.nspans, freespace, freechunks,
				 totalspace - freespace,
				 (unsigned long long) st.objects,
				 set->check ? "; checking" : "");
		printfunc(context, passthru, stats_string, print_to_stderr);
	}

	if (totals)
	{
		totals->nblocks += st.nspans;
		totals->freechunks += freechunks;
		totals->totalspace += totalspace;
		totals->freespace += freespace;
	}
}

#ifdef MEMORY_CONTEXT_CHECKING

/*
 * GoAllocCheck
 *		Walk through chunks and check consistency of the context: sentinels
 *		of a check context, and mem_allocated against the core's count.
 */
static void
GoAllocCheck(MemoryContext context)
{
	GoAllocContext *set = (GoAllocContext *) context;
	ga_owner_stats st;

	if (set->check)
		GoAllocCheckAll(set, false);

	ga_owner_read_stats(&set->owner, &st);
	if (st.span_bytes != set->header.mem_allocated)
		elog(WARNING, "goalloc context \"%s\": mem_allocated %zu, spans hold %zu",
			 context->name, set->header.mem_allocated, (Size) st.span_bytes);
}

#endif							/* MEMORY_CONTEXT_CHECKING */


/* ----------
 * GUCs and module initialization
 * ----------
 */

static void
goalloc_assign_heap_limit(int newval, void *extra)
{
	ga_heap    *heap = goalloc_backend_heap(false);

	if (heap != NULL)
		ga_heap_set_limit(heap, (size_t) newval * 1024);
}

static void
goalloc_assign_retain(int newval, void *extra)
{
	ga_heap    *heap = goalloc_backend_heap(false);

	if (heap != NULL)
		ga_heap_set_retain(heap, (size_t) newval * 1024);
}

/* A kernel without THP refuses: the setting then does nothing. */
static void
goalloc_assign_huge_pages(bool newval, void *extra)
{
	ga_heap    *heap = goalloc_backend_heap(false);

	if (heap != NULL)
		(void) ga_heap_set_huge_pages(heap, newval);
}

/*
 * _PG_init
 *		Define the GUCs, then let the views module set itself up.
 */
void
_PG_init(void)
{
	DefineCustomBoolVariable("goalloc.check",
							 "Creates goalloc contexts that check their chunks.",
							 "Contexts created while this is on keep each chunk's requested size, "
							 "check a sentinel byte after it and wipe freed memory with 0x7F.",
							 &goalloc_check,
							 false,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("goalloc.heap_limit",
							"Largest amount of memory the backend's goalloc heap may retain.",
							"Past it, allocations in goalloc contexts fail with \"out of memory\". "
							"0 means no limit.",
							&goalloc_heap_limit_kb,
							0,
							0, INT_MAX,
							PGC_USERSET,
							GUC_UNIT_KB,
							NULL, goalloc_assign_heap_limit, NULL);

	DefineCustomIntVariable("goalloc.retain",
							"Idle memory the backend's goalloc heap keeps instead of returning it to the OS.",
							NULL,
							&goalloc_retain_kb,
							(int) (GA_DEFAULT_RETAIN / 1024),
							0, INT_MAX,
							PGC_USERSET,
							GUC_UNIT_KB,
							NULL, goalloc_assign_retain, NULL);

	DefineCustomBoolVariable("goalloc.huge_pages",
							 "Lets the kernel back the goalloc heap with transparent huge pages.",
							 "Marks the heap's arenas MADV_HUGEPAGE: fewer TLB misses, "
							 "but memory is backed in 2 MB steps and a page fault may wait "
							 "for compaction.",
							 &goalloc_huge_pages,
							 false,
							 PGC_USERSET,
							 0,
							 NULL, goalloc_assign_huge_pages, NULL);

	goalloc_views_init();
	goalloc_executor_init();
	goalloc_route_init();

	MarkGUCPrefixReserved("goalloc");
}
