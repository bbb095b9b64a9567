/*-------------------------------------------------------------------------
 *
 * goalloc_context.c
 *	  GoAllocContext: a PostgreSQL 15 memory context type whose chunks are
 *	  served by the goalloc allocator core (Go's mcache -> mcentral -> mheap).
 *
 * This file holds the context type (its creation and its methods) and the
 * backend's heap that every goalloc context shares.  The GUCs and _PG_init
 * are in goalloc.c; the SQL views in goalloc_views.c.
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
 *	- The word before every live payload is the owning context; before a
 *	  payload on its owner's free list it is the address of
 *	  GoAllocListedChunk (the core's marked lists), so that a pfree,
 *	  repalloc or GetMemoryChunkSpace of it reaches that marker's methods,
 *	  which report it, and never the context's.
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
 * goalloc context is told apart by its methods table (GoAllocMethods,
 * GoAllocSpansMethods once its owner has left the nursery, or
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

#include <errno.h>
#include <limits.h>

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "goalloc_internal.h"

/* memdebug.h's byte values, used here whether or not the server has them */
#define GOALLOC_SENTINEL	0x7E
#define GOALLOC_WIPE		0x7F

/* Reading the header words in front of a payload */
#define GoAllocChunkContext(ptr)	(((MemoryContext *) (ptr))[-1])
#define GoAllocChunkRequested(ptr)	(((Size *) (ptr))[-2])

/* The backend's heap and the process that built it */
static ga_heap *backend_heap = NULL;
static int	backend_heap_pid = 0;

/* A process that could not build its heap: the cause, reported once */
static int	heap_failed_pid = 0;
static int	heap_failed_errno = 0;
static bool heap_failure_reported = false;

/* The heap's limit_refusals as last seen by goalloc_refused */
static uint64 limit_refusals_seen = 0;

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

/* The methods */
static void *GoAllocAlloc(MemoryContext context, Size size);
static void GoAllocFree(MemoryContext context, void *pointer);
static void *GoAllocAllocSpans(MemoryContext context, Size size);
static void GoAllocFreeSpans(MemoryContext context, void *pointer);
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
 * A context whose owner has left the nursery for good (graduated, nursery.c,
 * or never in it: goalloc.nursery off) gets this table: its palloc and
 * pfree make no nursery test.  GoAllocAllocSlow switches a context to it
 * when its owner graduates; a graduated owner never goes back (a reset
 * keeps it out).  Either table is right for either kind of owner, the
 * other one only slower: a nursery chunk freed through GoAllocFreeSpans is
 * found by ga_free_slow.  Dropping the two tests took mixed churn from
 * 1.05 to 1.00 x AllocSet's time (docs/design.md).
 */
const MemoryContextMethods GoAllocSpansMethods = {
	GoAllocAllocSpans,
	GoAllocFreeSpans,
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
 * The listed-chunk marker
 *
 * A chunk on its owner's free list is free to PostgreSQL but still
 * allocated in its span.  The core tells such a chunk from a live one by
 * its first word, a link (the link test, ga_types.h), on every free.  Our
 * owners mark their lists instead: a chunk that goes on one gets the
 * address of GoAllocListedChunk in its header word, and every allocation
 * writes the context there again.  mcxt.c dispatches pfree, repalloc and
 * GetMemoryChunkSpace on that word, so a second pfree of a listed chunk
 * (or a repalloc, or a size asked after the free) comes to the methods
 * below, never to the context's, whose fast paths then leave the link test
 * out (ga_free_marked).  On small churn the test cost about 1 ns of a 9 ns
 * palloc/pfree pair, and the mark's store takes half of that back
 * (docs/design.md).  The methods report what the core finds at the
 * pointer, as the context's own would: "double free" for a listed chunk.
 *
 * The marker is a context in name only: in no tree, never reset or
 * deleted.  Anything asked of it is a use of a freed chunk, reported as
 * such.  Tagged T_AllocSetContext for an assert-enabled server's
 * MemoryContextIsValid(), as our contexts are.
 * ----------
 */

static void *GoAllocListedAlloc(MemoryContext context, Size size);
static void GoAllocListedFree(MemoryContext context, void *pointer);
static void *GoAllocListedRealloc(MemoryContext context, void *pointer,
								  Size size);
static void GoAllocListedReset(MemoryContext context);
static Size GoAllocListedGetChunkSpace(MemoryContext context, void *pointer);
static bool GoAllocListedIsEmpty(MemoryContext context);
static void GoAllocListedStats(MemoryContext context,
							   MemoryStatsPrintFunc printfunc, void *passthru,
							   MemoryContextCounters *totals,
							   bool print_to_stderr);
#ifdef MEMORY_CONTEXT_CHECKING
static void GoAllocListedCheck(MemoryContext context);
#endif

static const MemoryContextMethods GoAllocListedMethods = {
	GoAllocListedAlloc,
	GoAllocListedFree,
	GoAllocListedRealloc,
	GoAllocListedReset,
	GoAllocListedReset,
	GoAllocListedGetChunkSpace,
	GoAllocListedIsEmpty,
	GoAllocListedStats
#ifdef MEMORY_CONTEXT_CHECKING
	,GoAllocListedCheck
#endif
};

MemoryContextData GoAllocListedChunk = {
	.type = T_AllocSetContext,
	.methods = &GoAllocListedMethods,
	.name = "goalloc freed chunk",
};

/*
 * GoAllocListedReport
 *		op was called on pointer, whose header word is the marker: report
 *		what the backend's heap finds there, through goalloc_heap_error and
 *		naming the owner's context, or, if the pointer is not in that heap
 *		(a chunk of a heap inherited over fork), that it was freed.
 */
static pg_noinline void
GoAllocListedReport(const char *op, const void *pointer)
{
	if (backend_heap != NULL && backend_heap_pid == MyProcPid &&
		ga_heap_contains(backend_heap, pointer))
	{
		goalloc_current_op = op;
		ga_heap_report_listed(backend_heap, pointer);
		goalloc_current_op = "pfree";
	}
	ereport(ERROR,
			(errcode(ERRCODE_INTERNAL_ERROR),
			 errmsg("%s called with invalid pointer: a goalloc chunk freed already",
					op),
			 errdetail("Pointer %p.", pointer)));
}

static void
GoAllocListedFree(MemoryContext context, void *pointer)
{
	GoAllocListedReport("pfree", pointer);
}

static void *
GoAllocListedRealloc(MemoryContext context, void *pointer, Size size)
{
	GoAllocListedReport("repalloc", pointer);
	return NULL;				/* not reached */
}

static Size
GoAllocListedGetChunkSpace(MemoryContext context, void *pointer)
{
	GoAllocListedReport("GetMemoryChunkSpace", pointer);
	return 0;					/* not reached */
}

/* The rest can only come from code that took a freed chunk's context. */
static void *
GoAllocListedAlloc(MemoryContext context, Size size)
{
	elog(ERROR, "palloc in the context of a freed goalloc chunk");
	return NULL;				/* not reached */
}

static void
GoAllocListedReset(MemoryContext context)
{
	elog(ERROR, "reset or delete of the context of a freed goalloc chunk");
}

static bool
GoAllocListedIsEmpty(MemoryContext context)
{
	return true;
}

static void
GoAllocListedStats(MemoryContext context, MemoryStatsPrintFunc printfunc,
				   void *passthru, MemoryContextCounters *totals,
				   bool print_to_stderr)
{
}

#ifdef MEMORY_CONTEXT_CHECKING
static void
GoAllocListedCheck(MemoryContext context)
{
}
#endif


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
	char		name[GOALLOC_LOG_NAME_LEN];
	const char *op = goalloc_current_op;

	goalloc_current_op = "pfree";
	goalloc_log_name(owner != NULL && owner->user != NULL ?
					 ((MemoryContext) owner->user)->name : NULL,
					 name, sizeof(name));

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
 *		error is being reported.  If the OS refuses the address space (a
 *		small ulimit -v, say) the failure and its cause are remembered for
 *		the process and not retried (each attempt maps and unmaps address
 *		space): goalloc contexts are then made as AllocSets, nothing is
 *		routed, and goalloc_heap_unavailable_warning() reports it once.  A
 *		process forked from one that had a heap gets its own.
 */
static pg_noinline ga_heap *BackendHeapCreate(void);

ga_heap *
goalloc_backend_heap_try(void)
{
	/* the route's first-alloc wrapper asks for every new context */
	if (likely(backend_heap != NULL && backend_heap_pid == MyProcPid))
		return backend_heap;
	if (heap_failed_pid == MyProcPid)
		return NULL;
	return BackendHeapCreate();
}

/*
 * BackendHeapCreate
 *		goalloc_backend_heap_try's first call in a process: out of line, so
 *		that the calls that find the heap made need no stack frame.
 */
static pg_noinline ga_heap *
BackendHeapCreate(void)
{
	ga_heap_config cfg;
	ga_heap    *heap;

	memset(&cfg, 0, sizeof(cfg));
	cfg.retain_bytes = (size_t) goalloc_retain_kb * 1024;
	cfg.limit_bytes = (size_t) goalloc_heap_limit_kb * 1024;
	cfg.span_cache_bytes = GA_DEFAULT_SPAN_CACHE;
	cfg.huge_pages = goalloc_huge_pages;
	cfg.on_error = goalloc_heap_error;
	cfg.error_arg = NULL;
	cfg.budget = goalloc_budget;
	cfg.budget_arg = NULL;
	cfg.outside = goalloc_route_outside;
	cfg.outside_arg = NULL;

	errno = 0;
	heap = ga_heap_create(&cfg);
	if (heap == NULL)
	{
		heap_failed_pid = MyProcPid;
		heap_failed_errno = errno;
		heap_failure_reported = false;
		return NULL;
	}

	backend_heap = heap;
	backend_heap_pid = MyProcPid;
	limit_refusals_seen = 0;
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
 *		The backend's heap; if there is none yet, NULL, or with create the
 *		result of goalloc_backend_heap_try().  Never raises an error: a
 *		caller that cannot do without a heap falls back to PostgreSQL's own
 *		contexts and calls goalloc_heap_unavailable_warning().
 */
ga_heap *
goalloc_backend_heap(bool create)
{
	if (backend_heap != NULL && backend_heap_pid == MyProcPid)
		return backend_heap;
	return create ? goalloc_backend_heap_try() : NULL;
}

/*
 * goalloc_heap_unavailable_warning
 *		If this process could not make its heap, say so once, with the
 *		cause.  Call only where an elog is allowed.
 */
void
goalloc_heap_unavailable_warning(void)
{
	if (heap_failed_pid != MyProcPid || heap_failure_reported)
		return;
	heap_failure_reported = true;
	errno = heap_failed_errno;
	ereport(WARNING,
			(errcode(ERRCODE_OUT_OF_MEMORY),
			 errmsg("could not create the goalloc heap: %m"),
			 errdetail("The operating system refused to reserve its address space."),
			 errhint("This backend uses PostgreSQL's own memory contexts instead. "
					 "Check the address-space limit (ulimit -v) of the server.")));
}

/*
 * goalloc_refused
 *		An allocation for owner came back NULL.  If the OS refused it,
 *		return false: the caller returns NULL and mcxt.c raises its own
 *		"out of memory".  If goalloc.max_total_memory (goalloc_budget.c) or
 *		goalloc.heap_limit refused it (the scavenger has
 *		already released every idle page), raise an ERROR that names the
 *		limit -- the core's structures are consistent, it only declined --
 *		except where AllocSet would have succeeded and an ERROR must not be
 *		raised: inside a critical section (it would be a PANIC) and while
 *		interrupts are held off (error recovery: AbortTransaction and
 *		PostgresMain's error path hold them; so do LWLock holders).  There
 *		lift the limit and return true; the caller tries once more, then
 *		calls goalloc_limit_restore().  (goalloc.max_total_memory never
 *		refuses there, goalloc_budget.c.)
 */
bool
goalloc_refused(ga_owner *owner, Size size)
{
	ga_heap    *heap = owner->heap;
	uint64		refusals = ga_heap_limit_refusals(heap);
	ga_heap_stats st;
	char		name[GOALLOC_LOG_NAME_LEN];
	GoAllocBudgetRefusal r;

	if (refusals == limit_refusals_seen)
		return false;
	limit_refusals_seen = refusals;

	if (CritSectionCount > 0 || InterruptHoldoffCount > 0)
	{
		ga_heap_set_limit(heap, 0);
		return true;
	}

	goalloc_log_name(owner->user ? ((MemoryContext) owner->user)->name : NULL,
					 name, sizeof(name));
	if (goalloc_budget_take_refusal(&r))
	{
		/* past the cap, or inside its reserve past this backend's share */
		if (r.fair_share != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory"),
					 errdetail("goalloc.max_total_memory (%d kB) refused a request of %zu bytes in memory context \"%s\"; the server's goalloc heaps hold %llu kB, this backend %llu kB, more than its fair share (%llu kB, the cap over %u processes holding goalloc memory), and the last %d%% of the cap is kept for processes within theirs (goalloc.fair_share_reserve).",
							   goalloc_max_total_memory_kb, (size_t) size, name,
							   (unsigned long long) (r.cluster_reserved / 1024),
							   (unsigned long long) (r.mine / 1024),
							   (unsigned long long) (r.fair_share / 1024),
							   r.holders, goalloc_fair_share_reserve),
					 errhint("Raise goalloc.max_total_memory or lower goalloc.fair_share_reserve, or have the query use less memory (work_mem).")));
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("goalloc.max_total_memory (%d kB) refused a request of %zu bytes in memory context \"%s\"; the server's goalloc heaps hold %llu kB, this backend %llu kB.",
						   goalloc_max_total_memory_kb, (size_t) size, name,
						   (unsigned long long) (r.cluster_reserved / 1024),
						   (unsigned long long) (r.mine / 1024)),
				 errhint("Raise goalloc.max_total_memory, or run fewer memory-hungry queries at once.")));
	}

	ga_heap_read_stats(heap, &st);
	ereport(ERROR,
			(errcode(ERRCODE_OUT_OF_MEMORY),
			 errmsg("out of memory"),
			 errdetail("goalloc.heap_limit (%zu kB) refused a request of %zu bytes in memory context \"%s\"; the backend's goalloc heap retains %zu kB, and routed contexts keep %zu kB in blocks of their own type.",
					   st.limit / 1024, (size_t) size, name,
					   (st.heap_sys - st.heap_released) / 1024,
					   goalloc_route_outside(NULL, false) / 1024),
			 errhint("Raise goalloc.heap_limit, or have the query use less memory (work_mem).")));
	return false;				/* keep the compiler quiet */
}

/*
 * goalloc_limit_restore
 *		Put back the limit that goalloc_refused lifted.
 */
void
goalloc_limit_restore(ga_owner *owner)
{
	ga_heap_set_limit(owner->heap, (size_t) goalloc_heap_limit_kb * 1024);
}

/*
 * goalloc_log_name
 *		A context name as goalloc prints it in a message: at most
 *		GOALLOC_LOG_NAME_MAX bytes of it, as PostgreSQL cuts a context's
 *		ident in its dumps (cut at a character boundary,
 *		"..." after a cut), control characters and backslashes escaped as
 *		\xNN, so that a name cannot forge a log line or flood the log.
 */
void
goalloc_log_name(const char *name, char *buf, Size buflen)
{
	Size		len;
	Size		out = 0;
	Size		i;
	bool		cut;

	Assert(buflen >= 8);
	if (name == NULL)
		name = "?";
	len = strlen(name);
	cut = len > GOALLOC_LOG_NAME_MAX;
	if (cut)
		len = pg_mbcliplen(name, len, GOALLOC_LOG_NAME_MAX);
	for (i = 0; i < len && out + 5 < buflen; i++)
	{
		unsigned char c = (unsigned char) name[i];

		if (c < 0x20 || c == 0x7f || c == '\\')
			out += snprintf(buf + out, buflen - out, "\\x%02x", c);
		else
			buf[out++] = (char) c;
	}
	if ((cut || i < len) && out + 4 <= buflen)
	{
		memcpy(buf + out, "...", 3);
		out += 3;
	}
	buf[out] = '\0';
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
	if (unlikely(heap == NULL))
	{
		/* no heap in this process: a context PostgreSQL's own type serves */
		goalloc_heap_unavailable_warning();
		return AllocSetContextCreateInternal(parent, name,
											 ALLOCSET_DEFAULT_SIZES);
	}

	set = (GoAllocContext *) malloc(sizeof(GoAllocContext));
	if (set == NULL)
	{
		char		logname[GOALLOC_LOG_NAME_LEN];

		goalloc_log_name(name, logname, sizeof(logname));
		if (TopMemoryContext)
			MemoryContextStats(TopMemoryContext);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed while creating memory context \"%s\".",
						   logname)));
	}

	set->check = check;
	ga_owner_init(&set->owner, heap,
				  check ? GOALLOC_CHECK_CHUNKHDRSZ : GOALLOC_CHUNKHDRSZ,
				  keep_bytes);
	set->owner.user = set;
	if (check)
		ga_owner_disable_freelists(&set->owner);	/* keep freed chunks wiped */
	else
	{
		ga_owner_set_list_mark(&set->owner, GOALLOC_LIST_MARK);
		if (goalloc_nursery)
			ga_owner_enable_nursery(&set->owner);
	}

	/* Finally, do the type-independent part of context creation */
	MemoryContextCreate((MemoryContext) set,
						T_AllocSetContext,
						check ? &GoAllocCheckMethods :
						set->owner.nursery_cap != 0 ? &GoAllocMethods :
						&GoAllocSpansMethods,
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
		 context->methods == &GoAllocSpansMethods ||
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
	char		name[GOALLOC_LOG_NAME_LEN];

	if (requested < usable &&
		((unsigned char *) pointer)[requested] != GOALLOC_SENTINEL)
	{
		goalloc_log_name(set->header.name, name, sizeof(name));
		ereport(WARNING,
				(errmsg("detected write past chunk end in goalloc context \"%s\" %p (requested %zu)",
						name, pointer, requested)));
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
 *		ga_realloc, with "repalloc" named in the error a bad pointer raises;
 *		ga_realloc_marked for a context whose lists are marked (not a check
 *		context, whose header is larger).
 */
static void *
GoAllocCoreRealloc(GoAllocContext *set, void *pointer, Size size)
{
	void	   *newp;

	goalloc_current_op = "repalloc";
	if (likely(!set->check))
		newp = ga_realloc_marked(&backend_map, &set->owner, pointer, size,
								 GOALLOC_CHUNKHDRSZ, GOALLOC_LIST_MARK);
	else
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
	if (unlikely(p == NULL) && goalloc_refused(&set->owner, size))
	{
		p = ga_alloc_any(&set->owner, size);
		goalloc_limit_restore(&set->owner);
	}
	if (unlikely(p == NULL))
		return NULL;
	GoAllocChunkContext(p) = context;

	/* the owner graduated (in ga_alloc_any): the methods without its tests */
	if (set->owner.nursery_cap == 0 && context->methods == &GoAllocMethods)
		context->methods = &GoAllocSpansMethods;
	return p;
}

/*
 * GoAllocAlloc
 *		Returns pointer to allocated memory of given size or NULL if the
 *		heap cannot give it (out of memory, or past goalloc.heap_limit);
 *		mcxt.c raises the error then.  The fast path makes no call, so it
 *		needs no stack frame; the rest is a tail call.  GoAllocAllocSpans is
 *		the same for an owner out of the nursery (GoAllocSpansMethods),
 *		without the nursery's test.
 */
static pg_attribute_always_inline void *
GoAllocAllocFrom(MemoryContext context, Size size, bool nursery)
{
	GoAllocContext *set = (GoAllocContext *) context;
	void	   *p = goalloc_alloc_inline_from(&set->owner, context, size,
											  nursery);

	if (likely(p != NULL))
		return p;
	return GoAllocAllocSlow(context, size);
}

static pg_attribute_hot void *
GoAllocAlloc(MemoryContext context, Size size)
{
	return GoAllocAllocFrom(context, size, true);
}

static pg_attribute_hot void *
GoAllocAllocSpans(MemoryContext context, Size size)
{
	return GoAllocAllocFrom(context, size, false);
}

/*
 * GoAllocFree
 *		Frees allocated memory; an invalid pointer raises an ERROR (from
 *		the core's error callback, before anything changed).
 *		GoAllocFreeSpans is the same without the nursery's test.
 */
static pg_attribute_hot void
GoAllocFree(MemoryContext context, void *pointer)
{
	GoAllocContext *set = (GoAllocContext *) context;

	ga_free_marked(&backend_map, &set->owner, pointer, GOALLOC_CHUNKHDRSZ,
				   GOALLOC_LIST_MARK);
}

static pg_attribute_hot void
GoAllocFreeSpans(MemoryContext context, void *pointer)
{
	GoAllocContext *set = (GoAllocContext *) context;

	ga_free_spans_marked(&backend_map, &set->owner, pointer,
						 GOALLOC_CHUNKHDRSZ, GOALLOC_LIST_MARK);
}

/*
 * GoAllocRealloc
 *		Returns new pointer to allocated memory of given size, or NULL if
 *		the heap cannot give it (the old chunk is then left alone).  An
 *		invalid pointer raises an ERROR.
 */
static pg_attribute_hot void *
GoAllocRealloc(MemoryContext context, void *pointer, Size size)
{
	GoAllocContext *set = (GoAllocContext *) context;
	void	   *newp;

	newp = GoAllocCoreRealloc(set, pointer, size);
	if (unlikely(newp == NULL) && goalloc_refused(&set->owner, size))
	{
		newp = GoAllocCoreRealloc(set, pointer, size);
		goalloc_limit_restore(&set->owner);
	}
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
	if (p == NULL && goalloc_refused(&set->owner, size))
	{
		p = ga_alloc(&set->owner, size);
		goalloc_limit_restore(&set->owner);
	}
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
	if (newp == NULL && goalloc_refused(&set->owner, size))
	{
		newp = ga_alloc(&set->owner, size);
		goalloc_limit_restore(&set->owner);
	}
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
static pg_attribute_hot Size
GoAllocGetChunkSpace(MemoryContext context, void *pointer)
{
	GoAllocContext *set = (GoAllocContext *) context;
	Size		space;
	char		name[GOALLOC_LOG_NAME_LEN];

	space = ga_chunk_size_marked(&set->owner.map, &set->owner, pointer,
								 set->owner.hdr);
	if (unlikely(space == 0))
	{
		goalloc_log_name(context->name, name, sizeof(name));
		elog(ERROR, "GetMemoryChunkSpace called with invalid pointer in goalloc context \"%s\"",
			 name);
	}
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

	totalspace = st.held_bytes;
	freespace = st.held_bytes >= st.alloc_bytes ?
		st.held_bytes - st.alloc_bytes : 0;

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
	char		name[GOALLOC_LOG_NAME_LEN];

	if (set->check)
		GoAllocCheckAll(set, false);

	ga_owner_read_stats(&set->owner, &st);
	if (st.held_bytes != set->header.mem_allocated)
	{
		goalloc_log_name(context->name, name, sizeof(name));
		elog(WARNING, "goalloc context \"%s\": mem_allocated %zu, spans and nursery hold %zu",
			 name, set->header.mem_allocated, (Size) st.held_bytes);
	}
}

#endif							/* MEMORY_CONTEXT_CHECKING */


/* ---- for other extensions ---- */

/*
 * GoAllocScavenge
 *		Release the idle pages of the backend's heap down to keep_bytes
 *		(goalloc.h).  Never creates a heap.
 */
Size
GoAllocScavenge(Size keep_bytes)
{
	ga_heap    *heap = goalloc_backend_heap(false);

	if (heap == NULL)
		return 0;
	return (Size) ga_heap_scavenge(heap, keep_bytes);
}

/*
 * GoAllocContextWalk
 *		goalloc_context_walk for other extensions (goalloc.h).
 */
void
GoAllocContextWalk(MemoryContext root, GoAllocContextVisitor visit, void *arg)
{
	goalloc_context_walk(root, visit, arg);
}


/*
 * GoAllocContextIsStock
 *		Is context served by its PostgreSQL type untouched (goalloc.h)?
 */
bool
GoAllocContextIsStock(MemoryContext context)
{
	return context != NULL &&
		goalloc_route_stock_kind(context->methods) >= 0;
}

/*
 * GoAllocContextKeepStock
 *		A context not yet palloc'd from stays stock (goalloc.h).
 */
void
GoAllocContextKeepStock(MemoryContext context)
{
	if (context != NULL)
		goalloc_route_keep_stock(context);
}

/*
 * GoAllocContextGetStats
 *		The figures of one goalloc context (goalloc.h).
 */
bool
GoAllocContextGetStats(MemoryContext context, GoAllocContextStats *stats)
{
	GoAllocContext *set = (GoAllocContext *) context;
	ga_owner_stats st;

	memset(stats, 0, sizeof(*stats));
	if (!GoAllocContextIsGoAlloc(context))
		return false;

	ga_owner_read_stats(&set->owner, &st);
	stats->check = set->check;
	stats->chunk_header = set->owner.hdr;
	stats->keep_bytes = (Size) set->owner.keep_pages * GA_PAGE_SIZE;
	stats->nspans = st.nspans;
	stats->span_bytes = st.span_bytes;
	stats->nursery_bytes = st.nursery_bytes;
	stats->used_bytes = st.alloc_bytes;
	stats->live_chunks = st.objects;
	stats->mallocs = st.mallocs;
	stats->frees = st.frees;
	return true;
}

/*
 * GoAllocHeapGetStats
 *		The figures of the backend's heap (goalloc.h), false if it has none.
 */
bool
GoAllocHeapGetStats(GoAllocHeapStats *stats)
{
	ga_heap    *heap = goalloc_backend_heap(false);
	ga_heap_stats st;

	memset(stats, 0, sizeof(*stats));
	if (heap == NULL)
		return false;

	ga_heap_read_stats(heap, &st);
	stats->heap_sys = st.heap_sys;
	stats->heap_inuse = st.heap_inuse;
	stats->heap_released = st.heap_released;
	stats->heap_alloc = st.heap_alloc;
	stats->heap_objects = st.heap_objects;
	stats->mallocs = st.mallocs;
	stats->frees = st.frees;
	stats->ncontexts = st.nowners;
	stats->heap_limit = st.limit;
	return true;
}
