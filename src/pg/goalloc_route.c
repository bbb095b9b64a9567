/*-------------------------------------------------------------------------
 *
 * goalloc_route.c
 *	  goalloc.route: whole queries, or the whole backend, served by goalloc
 *	  from each memory context's first palloc.
 *
 * PostgreSQL 15 has no hook at context creation.  But every AllocSet points
 * at one method table (aset.c's static const AllocSetMethods), and likewise
 * every Generation and every Slab context; MemoryContextCreate stores that
 * pointer in each new context, including a context aset.c recycles from its
 * freelist.  The tables are relocated read-only data of the server binary:
 * mprotect makes their page writable for a moment.  So, once per process
 * image, at library load (_PG_init: in the postmaster when preloaded, and
 * every process forked later inherits it copy-on-write):
 *
 *	- a throw-away context of each type gives the address of its table;
 *	- a private copy of each table is kept, unchanged (stock_tables[]);
 *	- the table's `alloc` entry is replaced by RouteFirstAlloc* and the page
 *	  is given its old protection back.
 *
 * From then on the first palloc of every AllocSet, Generation and Slab
 * context goes through RouteFirstAlloc, which classifies the context ONCE
 * and gives it a table of its own:
 *
 *	routed	the context is goalloc's (goalloc_route_claim): adopted now
 *			(goalloc_adopt_context, goalloc_adopt.c: its methods pointer
 *			becomes its adoption record, whose `orig` is the type's
 *			unpatched copy, and goalloc serves every chunk from then on) if
 *			its blocks already pass goalloc.route_min_size, else deferred;
 *	stock	its methods pointer becomes the type's unpatched copy: nothing of
 *			goalloc runs for it again (one indirect call per context, once).
 *
 * and then performs the allocation through the table chosen.
 *
 * Deferred adoption.  A routed context whose blocks hold no more than
 * goalloc.route_min_size (64 kB: an AllocSet's default keeper block and the
 * two blocks after it, 8 + 16 + 32 kB) gets the deferred table of its type
 * and scope: the unpatched copy but for alloc and realloc
 * (RouteDeferredAlloc, RouteDeferredRealloc), which adopt the context at
 * the first call after its mem_allocated passed the size, or at a request
 * larger than the size (which AllocSet would serve with a block of its own,
 * which goalloc.heap_limit could not refuse), and otherwise tail-call the
 * stock method, and get_chunk_space, which reports a chunk of more than
 * 8 kB as goalloc would (goalloc_route_stock_chunk_space).  A deferred
 * AllocSet's alloc goes further: a request that fits the newest block or a
 * freelist is served inline, as AllocSetAlloc would (goalloc_aset.h, its
 * layout checked at load), so the palloc makes one indirect branch, not
 * two.  Most contexts of a backend never grow past the size: a
 * per-tuple or per-subtransaction context that lives in its keeper block,
 * a relcache entry's, a small query's (a one-row lookup's ExecutorState
 * holds 8 + 16 + 32 kB of blocks).  AllocSet serves those from the blocks
 * it made for the context, and adopting them cost a record, an owner and,
 * at delete, its recycling, for every one (a PL/pgSQL loop with an
 * exception block ran 1.13 times as long in backend mode, a JSONB-building
 * scan 1.06; at 8 kB a one-row lookup still cost 1.013 / 1.020 times off's
 * instructions in executor / backend mode, at 64 kB 1.003 / 0.998).  What
 * deferred and adopted contexts keep in their own type's blocks still
 * counts against goalloc.heap_limit and the cluster budget
 * (goalloc_route_outside, below).  Contexts that grow -- sorts, hash
 * tables, aggregates, caches -- are goalloc's once their blocks pass the
 * size; the chunks they got before stay AllocSet chunks
 * (adopted contexts dispatch free by address) until a repalloc moves them
 * into goalloc, and every context made under a deferred one classifies as
 * under a routed one.  0 adopts at the first palloc.
 *
 * Adopting is sound in the wrappers: each is that context's own alloc (or
 * realloc) entry, called before any of its methods runs.  They never raise
 * an error, never palloc (the record is malloc'd, the heap is made with
 * goalloc_backend_heap_try) and on any failure leave the context stock.
 * They are called wherever PostgreSQL pallocs: in critical sections,
 * inside elog, during error recovery.
 *
 * The wrapper does not classify (it only forwards to the stock alloc) when
 *	- the context's methods pointer is not the server's table: someone
 *	  else's wrapper (goalloc_bench's trace recorder, which turns routing
 *	  off while it records and wraps only stock contexts, see
 *	  GoAllocContextIsStock) forwards to the table;
 *	- in the postmaster: it stays on stock memory (a goalloc heap there would
 *	  be inherited by every child, and an ERROR in the postmaster is FATAL).
 *	  Its contexts stay unclassified, so a child classifies each of them at
 *	  its first palloc in the child.
 *
 * Classification (RouteClassify), by goalloc_route_mode():
 *	off			stock.  O(1).
 *	executor	routed (scope QUERY) if the context is the ExecutorState that
 *				standard_ExecutorStart is creating for a routed query (the
 *				ExecutorStart hook sets goalloc_route_starting_parent to the
 *				parent it will be created under), or if its nearest classified
 *				ancestor is a QUERY-scope adopted context; stock if that
 *				ancestor is stock.  O(depth) up to the first classified
 *				ancestor, usually the parent.
 *	backend		routed: scope QUERY under a routed query, BACKEND elsewhere.
 *	ErrorContext (error reporting stays on stock memory) and contexts
 *	allowed in critical sections (they exist to be used there) are stock in
 *	every mode.
 *
 * Contexts classified before (stock while route was off or executor, or in
 * a session that set backend late) are adopted in backend mode at the first
 * safe point: goalloc_route_safe_point, from the ExecutorStart hook, walks
 * the whole tree under TopMemoryContext once after the mode became backend.
 *
 * IDENTIFICATION
 *	  src/pg/goalloc_route.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "goalloc_aset.h"
#include "goalloc_internal.h"

/* GUCs */
static int	goalloc_route = GOALLOC_ROUTE_OFF;
static bool goalloc_executor_alias = false;
static int	goalloc_route_min_size = 64;	/* kB */
static Size route_min_bytes = 64 * 1024;	/* the same, in bytes */

/* A stock chunk larger than this is reported as goalloc's (below) */
#define ROUTE_LARGE_CHUNK		((Size) 8 * 1024)

/*
 * Is goalloc.heap_limit or goalloc.max_total_memory set?  Then what routed
 * contexts keep outside the heap is counted and watched (below).
 */
static inline bool
RouteWatching(void)
{
	return (goalloc_heap_limit_kb | goalloc_max_total_memory_kb) != 0;
}

static const struct config_enum_entry route_options[] = {
	{"off", GOALLOC_ROUTE_OFF, false},
	{"executor", GOALLOC_ROUTE_EXECUTOR, false},
	{"backend", GOALLOC_ROUTE_BACKEND, false},
	{NULL, 0, false}
};

/* The server's tables (patched) and our unpatched copies of them */
static MemoryContextMethods *server_tables[GOALLOC_NKINDS];
static MemoryContextMethods stock_tables[GOALLOC_NKINDS];

/*
 * Deferred contexts: the unpatched copy but for alloc, realloc and
 * get_chunk_space (RouteDeferredAlloc, RouteDeferredRealloc,
 * RouteDeferredChunkSpace), one per type and scope:
 * [kind][scope - GOALLOC_SCOPE_QUERY].
 */
static MemoryContextMethods deferred_tables[GOALLOC_NKINDS][2];

bool		goalloc_route_patched = false;

/*
 * A deferred AllocSet's palloc is served inline (goalloc_aset.h): the
 * server's AllocSet layout passed RouteAsetLayoutOk at load
 */
static bool route_aset_inline = false;

/* Set by the ExecutorStart hook around standard_ExecutorStart */
MemoryContext goalloc_route_starting_parent = NULL;

/* Backend mode: the tree is to be taken over at the next safe point */
static bool takeover_pending = false;

/*
 * Bytes before a chunk of each stock type (GetMemoryChunkSpace less the
 * payload), measured on the probes
 */
static Size stock_chunk_header[GOALLOC_NKINDS];

/* Counters */
static uint64 classified_stock = 0;
static uint64 deferred_total = 0;
static uint64 deferred_adopted = 0;
static uint64 takeovers = 0;
static uint64 takeover_adopted = 0;

/* Why patching failed, reported once at the first safe point */
static const char *patch_failure = NULL;
static bool patch_warned = false;

PG_FUNCTION_INFO_V1(goalloc_route_status);


/* ----------
 * Classification
 * ----------
 */

/*
 * goalloc_route_mode
 *		The routing in force: goalloc.route, or executor if the deprecated
 *		goalloc.executor is on.
 */
int
goalloc_route_mode(void)
{
	if (goalloc_executor_alias && goalloc_route == GOALLOC_ROUTE_OFF)
		return GOALLOC_ROUTE_EXECUTOR;
	return goalloc_route;
}

/* Is this one of our unpatched copies (a context classified stock)? */
static inline bool
IsStockCopy(const MemoryContextMethods *m)
{
	return m >= &stock_tables[0] && m < &stock_tables[GOALLOC_NKINDS];
}

/* Is this one of the deferred tables (a deferred context)? */
static inline bool
IsDeferredTable(const MemoryContextMethods *m)
{
	return m >= &deferred_tables[0][0] &&
		m < &deferred_tables[0][0] + 2 * GOALLOC_NKINDS;
}

/*
 * goalloc_route_scope
 *		Why a context is routed: the scope of an adopted context or of a
 *		deferred one, GOALLOC_SCOPE_NONE for any other.
 */
int
goalloc_route_scope(MemoryContext context)
{
	const MemoryContextMethods *m = context->methods;

	if (IsDeferredTable(m))
		return GOALLOC_SCOPE_QUERY + (int) ((m - &deferred_tables[0][0]) % 2);
	return goalloc_adopted_scope(context);
}

/*
 * goalloc_route_defers
 *		Are routed contexts adopted late (goalloc.route_min_size > 0, and a
 *		wrapper to adopt them)?
 */
bool
goalloc_route_defers(void)
{
	return route_min_bytes > 0 && goalloc_route_patched;
}

/*
 * goalloc_route_claim
 *		Route a stock context (kind) for scope: adopt it now if its blocks
 *		pass goalloc.route_min_size (or that is 0, or there is no wrapper to
 *		adopt it later), else defer its adoption.  False if it could not be
 *		adopted: it stays as it was.  Never raises an error, never pallocs.
 */
bool
goalloc_route_claim(MemoryContext context, ga_heap *heap, int kind, int scope)
{
	if (!goalloc_route_defers() || context->mem_allocated > route_min_bytes)
		return goalloc_adopt_context(context, heap, kind, scope);
	context->methods = &deferred_tables[kind][scope - GOALLOC_SCOPE_QUERY];
	deferred_total++;
	if (unlikely(RouteWatching()))
		goalloc_route_outside_moved(0, context->mem_allocated);
	return true;
}

/*
 * goalloc_route_stock_kind
 *		The stock type of a context whose methods are m: the server's table
 *		(unclassified) or our copy of it (classified stock).  -1 for
 *		anything else.
 */
int
goalloc_route_stock_kind(const MemoryContextMethods *m)
{
	int			k;

	if (IsStockCopy(m))
		return (int) (m - &stock_tables[0]);
	for (k = 0; k < GOALLOC_NKINDS; k++)
		if (m == server_tables[k])
			return k;
	return -1;
}

/*
 * goalloc_route_state
 *		How goalloc.route serves a context: GOALLOC_ROUTED_*, read off its
 *		methods pointer alone.
 */
int
goalloc_route_state(MemoryContext context)
{
	const MemoryContextMethods *m = context->methods;

	if (GoAllocContextIsGoAlloc(context))
		return GOALLOC_ROUTED_GOALLOC;
	if (goalloc_adopted_scope(context) != GOALLOC_SCOPE_NONE)
		return GOALLOC_ROUTED_ADOPTED;
	if (IsDeferredTable(m))
		return GOALLOC_ROUTED_DEFERRED;
	if (IsStockCopy(m))
		return GOALLOC_ROUTED_STOCK;
	if (goalloc_route_stock_kind(m) >= 0)	/* the server's table */
		return goalloc_route_patched ?
			GOALLOC_ROUTED_UNCLASSIFIED : GOALLOC_ROUTED_STOCK;
	return GOALLOC_ROUTED_OTHER;
}

const MemoryContextMethods *
goalloc_route_stock_table(int kind)
{
	return &stock_tables[kind];
}

Size
goalloc_route_stock_chunk_header(int kind)
{
	return stock_chunk_header[kind];
}

/*
 * goalloc_route_stock_chunk_space
 *		GetMemoryChunkSpace of a routed context's stock chunk (deferred, or
 *		made before its adoption), given the stock type's figure: that
 *		figure for a chunk of at most 8 kB (aset.c's ALLOC_CHUNK_LIMIT), and
 *		for a larger one -- a block of its own in AllocSet -- the space
 *		goalloc would give it.  Such a chunk moves into goalloc at its
 *		repalloc once the context is adopted, and tuplesort's and
 *		tuplestore's grow_memtuples require that an array's chunk overhead
 *		not grow when it is enlarged ("unexpected out-of-memory situation in
 *		tuplesort" otherwise): a large AllocSet chunk's overhead is 16 bytes,
 *		a large goalloc chunk's up to a page.  Reported as goalloc's from its
 *		birth, the array's figure grows at the move as it would have grown
 *		in goalloc.  What the chunk was charged at its palloc is what it is
 *		credited at its pfree, since both ask here.
 */
Size
goalloc_route_stock_chunk_space(int kind, Size space)
{
	Size		hdr = stock_chunk_header[kind];

	if (likely(space <= ROUTE_LARGE_CHUNK + hdr))
		return space;
	return ga_slot_bytes(space - hdr + GOALLOC_CHUNKHDRSZ);
}

/*
 * goalloc_route_keep_stock
 *		Give a context that still has the server's table (never palloc'd
 *		from since it was created) the unpatched copy: it stays stock.
 */
void
goalloc_route_keep_stock(MemoryContext context)
{
	int			k;

	for (k = 0; k < GOALLOC_NKINDS; k++)
	{
		if (context->methods == server_tables[k])
		{
			context->methods = &stock_tables[k];
			return;
		}
	}
}

/*
 * goalloc_route_excluded
 *		Contexts that stay stock in every mode: ErrorContext, so that error
 *		reporting never depends on goalloc, and contexts allowed in critical
 *		sections (WAL record construction, the checkpointer's pending
 *		operations), which exist to be allocated from there.
 */
bool
goalloc_route_excluded(MemoryContext context)
{
	return context == ErrorContext || context->allowInCritSection;
}

/* May the wrapper classify now?  Not in the postmaster. */
static inline bool
RouteMayClassify(void)
{
	return IsUnderPostmaster || !IsPostmasterEnvironment;
}

/*
 * RouteClassify
 *		GOALLOC_SCOPE_QUERY, _BACKEND, or _NONE (stock) for a context on its
 *		first palloc.  Reads only context headers; allocates nothing.
 */
static int
RouteClassify(MemoryContext context)
{
	int			mode = goalloc_route_mode();
	MemoryContext p;

	if (mode == GOALLOC_ROUTE_OFF || goalloc_route_excluded(context))
		return GOALLOC_SCOPE_NONE;

	/* The ExecutorState of a routed query being started */
	if (goalloc_route_starting_parent != NULL &&
		context->parent == goalloc_route_starting_parent &&
		context->name != NULL && strcmp(context->name, "ExecutorState") == 0)
	{
		goalloc_route_starting_parent = NULL;
		return GOALLOC_SCOPE_QUERY;
	}

	/* Up to the first classified ancestor */
	for (p = context->parent; p != NULL; p = p->parent)
	{
		int			scope;

		if (IsStockCopy(p->methods))
			break;
		scope = goalloc_route_scope(p);
		if (scope == GOALLOC_SCOPE_QUERY)
			return GOALLOC_SCOPE_QUERY;
		if (scope == GOALLOC_SCOPE_BACKEND && mode == GOALLOC_ROUTE_BACKEND)
			return GOALLOC_SCOPE_BACKEND;
		/* unclassified, a goalloc context, someone else's: further up */
	}
	return mode == GOALLOC_ROUTE_BACKEND ?
		GOALLOC_SCOPE_BACKEND : GOALLOC_SCOPE_NONE;
}

/*
 * RouteFirstAlloc
 *		The alloc entry of the server's tables: classify the context, give
 *		it its table, allocate through that.  Never raises an error.
 */
static inline void *
RouteFirstAlloc(MemoryContext context, Size size, int kind)
{
	const MemoryContextMethods *stock = &stock_tables[kind];
	ga_heap    *heap;
	int			scope;

	if (unlikely(context->methods != server_tables[kind]) ||
		!RouteMayClassify())
		return stock->alloc(context, size);

	scope = RouteClassify(context);
	if (scope != GOALLOC_SCOPE_NONE)
	{
		heap = goalloc_backend_heap_try();
		if (heap != NULL && goalloc_route_claim(context, heap, kind, scope))
			return context->methods->alloc(context, size);
	}
	context->methods = stock;
	classified_stock++;
	return stock->alloc(context, size);
}

/*
 * RouteOutgrown
 *		A deferred context's blocks passed goalloc.route_min_size: adopt it,
 *		or leave it stock for good if there is no heap or no record.
 */
static pg_noinline void
RouteOutgrown(MemoryContext context, int kind)
{
	int			scope = goalloc_route_scope(context);
	ga_heap    *heap = goalloc_backend_heap_try();

	if (heap != NULL && goalloc_adopt_context(context, heap, kind, scope))
		deferred_adopted++;
	else
	{
		context->methods = &stock_tables[kind];
		classified_stock++;
	}
}

/*
 * The calls that find the size passed: out of line, so that the fast path
 * below is a compare and a tail call
 */
static pg_noinline void *
RouteOutgrownAlloc(MemoryContext context, Size size, int kind)
{
	RouteOutgrown(context, kind);
	return context->methods->alloc(context, size);
}

static pg_noinline void *
RouteOutgrownRealloc(MemoryContext context, void *pointer, Size size,
					 int kind)
{
	RouteOutgrown(context, kind);
	return context->methods->realloc(context, pointer, size);
}

/*
 * RouteDeferredAlloc, RouteDeferredRealloc
 *		The alloc and realloc entries of the deferred tables.  A context
 *		whose blocks passed the size at its last call, or whose request
 *		alone passes it, is adopted, and the call goes through its new
 *		table; otherwise it goes to the stock method, a tail call after two
 *		compares.  The request's compare keeps a large chunk out of
 *		AllocSet, where goalloc.heap_limit and the cluster budget could not
 *		refuse it (they count such blocks, but refuse only the heap's own
 *		growth): repeat() building 100 MB in a per-tuple context that lives
 *		in its keeper block.  realloc watches too: a context whose one chunk
 *		grows (a StringInfo) passes the size by repalloc alone, and that
 *		repalloc moves the chunk into goalloc (AdoptedMoveIn).  Sound: no
 *		method of the context is running.
 */
static inline bool
RouteDeferredOutgrown(MemoryContext context, Size size)
{
	return context->mem_allocated > route_min_bytes || size > route_min_bytes;
}

/*
 * RouteDeferredNearLimit
 *		Would the next block of a deferred context take the backend past
 *		goalloc.heap_limit, or the cluster past goalloc.max_total_memory?
 *		Both count what routed contexts keep in their own type's blocks
 *		(goalloc_route_outside), but refuse only the heap's growth, so a
 *		deferred context near either is adopted instead of growing in its
 *		type: from then on the heap serves it, and refuses what passes with
 *		the limit's or the cap's ERROR.  The next block is taken to be as
 *		large as the context's blocks so far, or the request (AllocSet
 *		doubles its blocks).  Answered on the kept figure, and, when that
 *		says yes, on a fresh one (RouteNearLimitOn asks on one figure).
 */
static bool
RouteNearLimitOn(ga_heap *heap, size_t next, size_t outside)
{
	size_t		limit = ga_heap_limit_bytes(heap);

	if (limit != 0 && ga_heap_retained_bytes(heap) + next + outside > limit)
		return true;
	return goalloc_max_total_memory_kb != 0 &&
		goalloc_budget_would_refuse(ga_heap_backed_bytes(heap) + next + outside);
}

static pg_noinline bool
RouteDeferredNearLimit(MemoryContext context, Size size)
{
	ga_heap    *heap = goalloc_backend_heap(false);
	size_t		next = Max(context->mem_allocated, size);

	if (heap == NULL ||
		!RouteNearLimitOn(heap, next, goalloc_route_outside(NULL, false)))
		return false;
	return RouteNearLimitOn(heap, next, goalloc_route_outside(NULL, true));
}

/*
 * RouteDeferredAllocWatched, RouteDeferredReallocWatched
 *		The stock call of a deferred context while goalloc.heap_limit or
 *		goalloc.max_total_memory is set (RouteWatching): adopt the context
 *		if it is near either, else make the call and add what it grew to the
 *		kept outside figure, so that the next check sees it without a walk
 *		(a figure kept too high is corrected by the fresh walk before any
 *		adoption).
 */
static pg_noinline void *
RouteDeferredAllocWatched(MemoryContext context, Size size, int kind)
{
	Size		before = context->mem_allocated;
	void	   *p;

	if (RouteDeferredNearLimit(context, size))
		return RouteOutgrownAlloc(context, size, kind);
	p = stock_tables[kind].alloc(context, size);
	goalloc_route_outside_moved(before, context->mem_allocated);
	return p;
}

static pg_noinline void *
RouteDeferredReallocWatched(MemoryContext context, void *pointer, Size size,
							int kind)
{
	Size		before = context->mem_allocated;
	void	   *p;

	if (RouteDeferredNearLimit(context, size))
		return RouteOutgrownRealloc(context, pointer, size, kind);
	p = stock_tables[kind].realloc(context, pointer, size);
	goalloc_route_outside_moved(before, context->mem_allocated);
	return p;
}

static inline void *
RouteDeferredAlloc(MemoryContext context, Size size, int kind)
{
	if (unlikely(RouteDeferredOutgrown(context, size)))
		return RouteOutgrownAlloc(context, size, kind);
	if (unlikely(RouteWatching()))
		return RouteDeferredAllocWatched(context, size, kind);
	return stock_tables[kind].alloc(context, size);
}

static inline void *
RouteDeferredRealloc(MemoryContext context, void *pointer, Size size,
					 int kind)
{
	if (unlikely(RouteDeferredOutgrown(context, size)))
		return RouteOutgrownRealloc(context, pointer, size, kind);
	if (unlikely(RouteWatching()))
		return RouteDeferredReallocWatched(context, pointer, size, kind);
	return stock_tables[kind].realloc(context, pointer, size);
}

/*
 * The entries of each stock type's tables: the server's (patched) alloc,
 * the deferred tables' alloc, realloc and get_chunk_space.  A method gets
 * no type argument, so each type has its own four, all alike.
 */
#define ROUTE_TYPE_ENTRIES(Type, kind) \
static void * \
RouteFirstAlloc##Type(MemoryContext context, Size size) \
{ \
	return RouteFirstAlloc(context, size, kind); \
} \
static pg_attribute_hot void * \
RouteDeferredAlloc##Type(MemoryContext context, Size size) \
{ \
	return RouteDeferredAlloc(context, size, kind); \
} \
static pg_attribute_hot void * \
RouteDeferredRealloc##Type(MemoryContext context, void *pointer, Size size) \
{ \
	return RouteDeferredRealloc(context, pointer, size, kind); \
} \
static pg_attribute_hot Size \
RouteDeferredChunkSpace##Type(MemoryContext context, void *pointer) \
{ \
	return goalloc_route_stock_chunk_space(kind, \
		stock_tables[kind].get_chunk_space(context, pointer)); \
}

ROUTE_TYPE_ENTRIES(Aset, GOALLOC_KIND_ASET)
ROUTE_TYPE_ENTRIES(Generation, GOALLOC_KIND_GENERATION)
ROUTE_TYPE_ENTRIES(Slab, GOALLOC_KIND_SLAB)

#ifdef GOALLOC_ASET_INLINE
/*
 * RouteDeferredAllocAsetInline
 *		The deferred AllocSet table's alloc entry once the layout has been
 *		checked: RouteDeferredAlloc's adoption test first, then a request
 *		that AllocSet cuts from a block or takes from a freelist is served
 *		inline (goalloc_aset.h); anything else -- a new block, a chunk of its
 *		own -- goes to AllocSetAlloc as before.  A context's blocks grow only
 *		there, so the adoption rule is unchanged.
 */
static pg_attribute_hot void *
RouteDeferredAllocAsetInline(MemoryContext context, Size size)
{
	GaAset	   *set = (GaAset *) context;
	void	   *p;

	if (unlikely(RouteDeferredOutgrown(context, size)))
		return RouteOutgrownAlloc(context, size, GOALLOC_KIND_ASET);
	if (likely(size <= set->allocChunkLimit))
	{
		p = goalloc_aset_take(set, size);
		if (likely(p != NULL))
			return p;
	}
	/* a new block, or a chunk of its own */
	if (unlikely(RouteWatching()))
		return RouteDeferredAllocWatched(context, size, GOALLOC_KIND_ASET);
	return stock_tables[GOALLOC_KIND_ASET].alloc(context, size);
}
#endif


/* ----------
 * What routed contexts keep outside the heap
 * ----------
 *
 * A deferred context's blocks, and the blocks an adopted context made before
 * its adoption, are its type's (malloc's), not the heap's pages.  They are
 * routed memory all the same, so goalloc.heap_limit and the cluster budget
 * count them on the heap's account (ga_heap_config.outside): a walk of the
 * backend's context tree sums them.  The core asks only when it is about to
 * back more pages, and the walk is O(contexts), so the figure is kept and
 * measured again once the heap's backed bytes moved GOALLOC_OUTSIDE_REMEASURE
 * from where they were, or when the core would refuse on it (fresh): a
 * request is never refused on an old figure, and one is let through on a
 * figure at most one megabyte of the heap's growth old.  While
 * goalloc.heap_limit is set, deferred contexts add what they grow to the
 * kept figure (goalloc_route_outside_moved), for RouteDeferredNearLimit.
 */
#define GOALLOC_OUTSIDE_REMEASURE	((size_t) 1 << 20)

static size_t outside_measured = 0; /* the last walk's sum, and growth since */
static size_t outside_backed_at = 0;	/* the heap's backed bytes then */
static int	outside_pid = 0;	/* the process that walked */
static uint64 outside_walks = 0;

static void
OutsideVisit(MemoryContext c, void *arg)
{
	size_t	   *sum = (size_t *) arg;

	if (IsDeferredTable(c->methods))
		*sum += c->mem_allocated;
	else if (goalloc_adopted_scope(c) != GOALLOC_SCOPE_NONE)
		*sum += goalloc_adopted_stock_bytes(c);
}

/*
 * goalloc_route_outside_moved
 *		A routed context's own blocks went from before to after bytes while
 *		a limit is set (RouteWatching): keep the kept figure in step.
 */
void
goalloc_route_outside_moved(Size before, Size after)
{
	if (outside_pid != MyProcPid)
		return;
	if (after >= before)
		outside_measured += after - before;
	else
		outside_measured -= Min(outside_measured, before - after);
}

/*
 * goalloc_route_outside
 *		The core's outside hook for the backend's heap: the bytes routed
 *		contexts keep in their own type's blocks.  Never raises an error,
 *		never allocates: it runs inside an allocation.
 */
size_t
goalloc_route_outside(void *arg, bool fresh)
{
	ga_heap    *heap = goalloc_backend_heap(false);
	size_t		backed;
	size_t		sum = 0;

	/* nothing was ever routed here */
	if (heap == NULL || TopMemoryContext == NULL ||
		(deferred_total == 0 && goalloc_adopt_counters.total == 0))
		return 0;

	/*
	 * No limit and no cap: nothing would be refused on it, and the budget's
	 * bookkeeping (goalloc_cluster_memory) goes without it rather than
	 * walking a backend of thousands of contexts once a megabyte.
	 */
	if (!fresh && !RouteWatching())
		return 0;
	backed = ga_heap_backed_bytes(heap);
	if (!fresh && outside_pid == MyProcPid &&
		backed < outside_backed_at + GOALLOC_OUTSIDE_REMEASURE &&
		backed + GOALLOC_OUTSIDE_REMEASURE > outside_backed_at)
		return outside_measured;
	goalloc_context_walk(TopMemoryContext, OutsideVisit, &sum);
	outside_measured = sum;
	outside_backed_at = backed;
	outside_pid = MyProcPid;
	outside_walks++;
	return sum;
}


/* ----------
 * Backend mode: taking over the contexts classified before
 * ----------
 */

typedef struct TakeoverState
{
	ga_heap    *heap;
	uint64		adopted;
} TakeoverState;

static void
TakeoverVisit(MemoryContext c, void *arg)
{
	TakeoverState *st = (TakeoverState *) arg;
	int			kind = goalloc_route_stock_kind(c->methods);
	int			scope = GOALLOC_SCOPE_BACKEND;

	if (kind < 0 || goalloc_route_excluded(c))
		return;
	/* parents are visited first: a routed query's contexts keep its scope */
	if (c->parent != NULL &&
		goalloc_route_scope(c->parent) == GOALLOC_SCOPE_QUERY)
		scope = GOALLOC_SCOPE_QUERY;
	if (goalloc_route_claim(c, st->heap, kind, scope))
		st->adopted++;
}

/*
 * goalloc_route_safe_point
 *		Called by the ExecutorStart hook (no context method is running
 *		there) when routing is on: the warnings the wrapper could not raise,
 *		and in backend mode the takeover of every stock context of the tree
 *		once after the mode became backend.
 */
void
goalloc_route_safe_point(void)
{
	if (patch_failure != NULL && !patch_warned)
	{
		patch_warned = true;
		ereport(WARNING,
				(errmsg("goalloc.route: contexts are routed at the executor hooks only"),
				 errdetail("The stock method tables could not be patched: %s.",
						   patch_failure)));
	}
	if (goalloc_heap_failed())
	{
		goalloc_heap_unavailable_warning();
		return;
	}

	if (takeover_pending && goalloc_route_mode() == GOALLOC_ROUTE_BACKEND &&
		RouteMayClassify())
	{
		TakeoverState st;

		st.heap = goalloc_backend_heap_try();
		if (st.heap == NULL)
			return;
		st.adopted = 0;
		takeover_pending = false;
		goalloc_context_walk(TopMemoryContext, TakeoverVisit, &st);
		takeovers++;
		takeover_adopted += st.adopted;
	}
}


/* ----------
 * Patching the stock tables
 * ----------
 */

/*
 * PageProtection
 *		The protection of the mapping holding addr, from /proc/self/maps;
 *		-1 if it cannot be read.
 */
static int
PageProtection(uintptr_t addr)
{
	FILE	   *f = fopen("/proc/self/maps", "r");
	char		line[512];
	int			prot = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
	{
		unsigned long lo,
					hi;
		char		perms[8];

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3)
			continue;
		if (addr >= lo && addr < hi)
		{
			prot = PROT_NONE;
			if (perms[0] == 'r')
				prot |= PROT_READ;
			if (perms[1] == 'w')
				prot |= PROT_WRITE;
			if (perms[2] == 'x')
				prot |= PROT_EXEC;
			break;
		}
	}
	fclose(f);
	return prot;
}

/*
 * PatchAlloc
 *		Replace the alloc entry of a server table with our wrapper.  The
 *		entry is one aligned pointer, so it lies in one page.
 */
static bool
PatchAlloc(MemoryContextMethods *table, void *(*wrapper) (MemoryContext, Size))
{
	uintptr_t	pagesz = (uintptr_t) sysconf(_SC_PAGESIZE);
	uintptr_t	entry = (uintptr_t) &table->alloc;
	void	   *page = (void *) (entry & ~(pagesz - 1));
	int			prot = PageProtection(entry);

	if (prot < 0)
	{
		patch_failure = "/proc/self/maps cannot be read";
		return false;
	}
	if ((prot & PROT_WRITE) == 0 &&
		mprotect(page, pagesz, prot | PROT_READ | PROT_WRITE) != 0)
	{
		patch_failure = "mprotect refused";
		return false;
	}
	table->alloc = wrapper;
	if ((prot & PROT_WRITE) == 0)
		(void) mprotect(page, pagesz, prot);
	return true;
}

/*
 * RouteProbe
 *		A throw-away context of a stock type gives the address of its table
 *		and the size of its chunk header: a 64-byte chunk (a size none of
 *		the three rounds up; the Slab probe's chunk size) takes 64 bytes of
 *		payload.  Deletes the probe.
 */
static void
RouteProbe(MemoryContext probe, int kind)
{
	server_tables[kind] = unconstify(MemoryContextMethods *, probe->methods);
	stock_chunk_header[kind] =
		GetMemoryChunkSpace(MemoryContextAlloc(probe, 64)) - 64;
	MemoryContextDelete(probe);
}

/*
 * RouteAsetLayoutOk
 *		Does the server's AllocSet match goalloc_aset.h?  On a probe context,
 *		before any table is patched: its header fields, then chunks made by
 *		AllocSetAlloc and by goalloc_aset_take side by side, freed by
 *		AllocSetFree, measured by AllocSetGetChunkSpace and taken again from
 *		the freelist, must be where and what the other expects.
 */
static bool
RouteAsetLayoutOk(void)
{
#ifdef GOALLOC_ASET_INLINE
	MemoryContext probe;
	GaAset	   *set;
	GaAsetBlock *keeper;
	char	   *a;
	char	   *b;
	char	   *c;
	bool		ok;

	probe = AllocSetContextCreate(TopMemoryContext, "goalloc aset probe",
								  ALLOCSET_SMALL_SIZES);
	set = (GaAset *) probe;
	keeper = set->keeper;
	ok = keeper != NULL && set->blocks == keeper && keeper->aset == set &&
		keeper->next == NULL &&
		set->initBlockSize == ALLOCSET_SMALL_INITSIZE &&
		set->maxBlockSize == ALLOCSET_SMALL_MAXSIZE &&
		set->allocChunkLimit >= 64 && set->allocChunkLimit <= 8192;
	if (ok)
	{
		/* AllocSetAlloc cuts a 32-byte chunk from the keeper block */
		a = MemoryContextAlloc(probe, 24);
		ok = ((GaAsetChunk *) a)[-1].size == 32 &&
			((GaAsetChunk *) a)[-1].aset == set &&
			keeper->freeptr == a + 32;
	}
	if (ok)
	{
		/* the inline path cuts the next, as AllocSetAlloc would */
		b = goalloc_aset_take(set, 20);
		ok = b == a + 32 + sizeof(GaAsetChunk) &&
			keeper->freeptr == b + 32 &&
			GetMemoryChunkContext(b) == probe &&
			GetMemoryChunkSpace(b) == 32 + sizeof(GaAsetChunk);
	}
	if (ok)
	{
		/* AllocSetFree files b under 32 bytes; both paths take it back */
		pfree(b);
		c = goalloc_aset_take(set, 32);
		ok = c == b && set->freelist[2] == NULL;
		if (ok)
		{
			pfree(c);
			c = MemoryContextAlloc(probe, 17);
			ok = c == b;
			pfree(a);
			pfree(c);
			ok = ok && set->freelist[2] == (GaAsetChunk *) c - 1 &&
				set->freelist[2]->aset == (GaAsetChunk *) a - 1;
		}
	}
	MemoryContextDelete(probe);
	return ok;
#else
	return false;
#endif
}

/*
 * RoutePatchTables
 *		Find the three stock tables, copy them, patch their alloc entries.
 *		All or nothing: a table that cannot be patched leaves the others
 *		unpatched too.
 */
static void
RoutePatchTables(void)
{
	MemoryContext probe;
	void	   *(*wrappers[GOALLOC_NKINDS]) (MemoryContext, Size) = {
		RouteFirstAllocAset, RouteFirstAllocGeneration, RouteFirstAllocSlab
	};
	void	   *(*deferred[GOALLOC_NKINDS]) (MemoryContext, Size) = {
		RouteDeferredAllocAset, RouteDeferredAllocGeneration,
		RouteDeferredAllocSlab
	};
	void	   *(*deferred_realloc[GOALLOC_NKINDS]) (MemoryContext, void *, Size) = {
		RouteDeferredReallocAset, RouteDeferredReallocGeneration,
		RouteDeferredReallocSlab
	};
	Size		(*deferred_space[GOALLOC_NKINDS]) (MemoryContext, void *) = {
		RouteDeferredChunkSpaceAset, RouteDeferredChunkSpaceGeneration,
		RouteDeferredChunkSpaceSlab
	};
	int			k;

	probe = AllocSetContextCreate(TopMemoryContext, "goalloc route probe",
								  ALLOCSET_SMALL_SIZES);
	RouteProbe(probe, GOALLOC_KIND_ASET);

	probe = GenerationContextCreate(TopMemoryContext, "goalloc route probe",
									ALLOCSET_SMALL_SIZES);
	RouteProbe(probe, GOALLOC_KIND_GENERATION);

	probe = SlabContextCreate(TopMemoryContext, "goalloc route probe",
							  SLAB_DEFAULT_BLOCK_SIZE, 64);
	RouteProbe(probe, GOALLOC_KIND_SLAB);

	for (k = 0; k < GOALLOC_NKINDS; k++)
	{
		memcpy(&stock_tables[k], server_tables[k], sizeof(MemoryContextMethods));
		deferred_tables[k][0] = stock_tables[k];
		deferred_tables[k][0].alloc = deferred[k];
		deferred_tables[k][0].realloc = deferred_realloc[k];
		deferred_tables[k][0].get_chunk_space = deferred_space[k];
		deferred_tables[k][1] = deferred_tables[k][0];
	}
#ifdef GOALLOC_ASET_INLINE
	if (RouteAsetLayoutOk())
	{
		deferred_tables[GOALLOC_KIND_ASET][0].alloc = RouteDeferredAllocAsetInline;
		deferred_tables[GOALLOC_KIND_ASET][1].alloc = RouteDeferredAllocAsetInline;
		route_aset_inline = true;
	}
#endif

	for (k = 0; k < GOALLOC_NKINDS; k++)
	{
		if (!PatchAlloc(server_tables[k], wrappers[k]))
		{
			while (--k >= 0)
				(void) PatchAlloc(server_tables[k], stock_tables[k].alloc);
			return;
		}
	}
	goalloc_route_patched = true;
}


/* ----------
 * SQL
 * ----------
 */

/*
 * goalloc_route_status()
 *		Mode, whether the wrapper is installed, adoption counters, and the
 *		spans held by query-scope adopted contexts.
 */
Datum
goalloc_route_status(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[20];
	bool		nulls[20];
	ga_heap    *heap = goalloc_backend_heap(false);
	uint64		query_spans = 0;
	const GoAllocAdoptCounters *c = &goalloc_adopt_counters;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	if (heap != NULL)
	{
		const ga_owner *o;

		for (o = heap->owners; o != NULL; o = o->next)
		{
			if (o->user != NULL &&
				goalloc_adopted_scope((MemoryContext) o->user) == GOALLOC_SCOPE_QUERY)
				query_spans += o->nspans;
		}
	}

	memset(nulls, 0, sizeof(nulls));
	values[0] = CStringGetTextDatum(route_options[goalloc_route_mode()].name);
	values[1] = BoolGetDatum(goalloc_route_patched);
	values[2] = Int64GetDatum((int64) c->live);
	values[3] = Int64GetDatum((int64) c->query_live);
	values[4] = Int64GetDatum((int64) c->total);
	values[5] = Int64GetDatum((int64) c->by_kind[GOALLOC_KIND_ASET]);
	values[6] = Int64GetDatum((int64) c->by_kind[GOALLOC_KIND_GENERATION]);
	values[7] = Int64GetDatum((int64) c->by_kind[GOALLOC_KIND_SLAB]);
	values[8] = Int64GetDatum((int64) classified_stock);
	values[9] = Int64GetDatum((int64) takeovers);
	values[10] = Int64GetDatum((int64) takeover_adopted);
	values[11] = Int64GetDatum((int64) c->limit_bypassed);
	values[12] = Int64GetDatum((int64) query_spans);
	values[13] = Int64GetDatum((int64) c->recycled);
	values[14] = Int64GetDatum((int64) c->recycled_bytes);
	values[15] = Int64GetDatum((int64) deferred_total);
	values[16] = Int64GetDatum((int64) deferred_adopted);
	values[17] = BoolGetDatum(route_aset_inline);
	values[18] = Int64GetDatum((int64) goalloc_route_outside(NULL, true));
	values[19] = Int64GetDatum((int64) outside_walks);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}


/* ----------
 * Initialization
 * ----------
 */

static void
goalloc_assign_route(int newval, void *extra)
{
	if (newval == GOALLOC_ROUTE_BACKEND)
		takeover_pending = true;
}

static void
goalloc_assign_route_min_size(int newval, void *extra)
{
	route_min_bytes = (Size) newval * 1024;
}

/*
 * goalloc_route_init
 *		From _PG_init: patch the stock tables, define goalloc.route and
 *		the deprecated goalloc.executor.
 */
void
goalloc_route_init(void)
{
	DefineCustomEnumVariable("goalloc.route",
							 "Serves memory contexts from goalloc from their first palloc.",
							 "off: none; executor: every context under a query's executor "
							 "state; backend: every context of the backend but ErrorContext.",
							 &goalloc_route,
							 GOALLOC_ROUTE_OFF,
							 route_options,
							 PGC_SUSET,
							 0,
							 NULL, goalloc_assign_route, NULL);

	DefineCustomIntVariable("goalloc.route_min_size",
							"Routed contexts are adopted once their blocks hold more than this.",
							"Until then a routed AllocSet, Generation or Slab context is served "
							"by its own type from the blocks it has; 0 adopts it at its first palloc.",
							&goalloc_route_min_size,
							64,
							0,
							MAX_KILOBYTES,
							PGC_SUSET,
							GUC_UNIT_KB,
							NULL, goalloc_assign_route_min_size, NULL);

	DefineCustomBoolVariable("goalloc.executor",
							 "Deprecated: on means goalloc.route = executor.",
							 "Kept for one release.  While goalloc.route is off, on routes "
							 "query execution as goalloc.route = executor does.",
							 &goalloc_executor_alias,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	/* After the GUCs: contexts classified from now on see their values */
	RoutePatchTables();
}
