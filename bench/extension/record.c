/*-------------------------------------------------------------------------
 *
 * record.c
 *	  Recording the memory-context calls of real queries to a trace file
 *	  (benchmark workload 8).
 *
 *	goalloc_record_trace(query text, path text) RETURNS bigint
 *		runs the query (one or more statements) through SPI, its rows
 *		discarded, while every context call of its executor is recorded;
 *		writes the trace to path and returns the records written.
 *
 * The format, its writer and its reader are bench/common/gab_trace.c;
 * tracefile.c reads traces back, replay.c replays them.
 *
 * Recording runs on PostgreSQL's own contexts, so that the trace does not
 * depend on goalloc: goalloc_record_trace turns goalloc's routing off
 * (bench_routing_gucs, set to off at a GUC nest level of its own, as a
 * function's SET clause does) for the queries it runs, nested ones
 * included, unless one of them turns it on again itself.
 *
 * Wrapping
 * --------
 *
 * A context's method table is a per-context pointer in PG15, so a context
 * can be given a table of its own whenever none of its methods is running
 * (goalloc's routing adopts contexts the same way).  Wrapping a context C
 * mallocs a TraceWrapped { MemoryContextMethods methods (first member);
 * orig; ctx id; session } and sets C->methods = &w->methods.  Each wrapper
 * method calls the original method (AllocSet's, Generation's or Slab's:
 * only contexts goalloc calls stock, GoAllocContextIsStock, are wrapped,
 * their type told by the NodeTag) and appends one 16-byte record to a
 * malloc'ed buffer: nothing here ever pallocs while recording.  Delete
 * restores C->methods before the original delete runs (AllocSet may put C
 * on its freelist and hand it out again).  A wrapped context that outlives
 * its recording session only forwards.
 *
 * Chunks are named by ids: an ALLOC gets the next id, and a hash table
 * (malloc'ed, open addressing) maps a live chunk's address to its id, its
 * context id and its context's epoch.  RESET and DELETE bump the context's
 * epoch, which makes all its entries stale at once (a stale entry is
 * treated as absent and dropped when met).  A pfree or repalloc of an
 * address not in the table is a chunk allocated before its context was
 * wrapped: it is not recorded (the header counts these as skipped).
 *
 * When
 * ----
 *
 * This file has executor hooks of its own (installed by _PG_init after
 * goalloc's, so they run around goalloc's, and chained to whatever was
 * there).  While recording, the ExecutorStart hook registers every query
 * started (the SPI query and any query nested in it): a malloc'ed record
 * unlinked by a reset callback on its es_query_cxt.  The contexts under
 * every registered es_query_cxt are wrapped, with GoAllocContextWalk, at
 * the ExecutorStart, Run and Finish hooks.  That alone would miss the
 * contexts a single ExecutorRun makes -- sorts, hash joins, tuplesort's
 * Generation "Caller tuples" -- until they are nearly done.  So the
 * registration also replaces each plan node's ExecProcNodeReal with
 * TraceExecProcNode, which walks the trees again before calling the real
 * function: a context made during a node's call is wrapped by the next
 * call of any node (the next tuple), and only its very first chunks are
 * missed.  The walk costs one visit per context; with many contexts (an
 * array_agg per group makes one each) it runs every n/16 node calls, n the
 * contexts last visited.
 *
 * Not recorded: parallel workers (set max_parallel_workers_per_gather = 0
 * for a complete trace), contexts outside es_query_cxt (parse trees, plans,
 * SPI's own contexts, catalog caches), and chunks allocated before their
 * context was wrapped.
 *
 * Limits: GAB_TRACE_MAX_RECORDS (2^26) records, 1 GiB of buffer; a request
 * of 4 GiB or more does not fit a record.  Past either, or if malloc fails,
 * recording stops and goalloc_record_trace raises an ERROR after the query,
 * writing no file.  The recorded query itself is the caller's: it is
 * interrupted as any query is, and an error or a cancel anywhere frees the
 * recorder's buffers.
 *
 * IDENTIFICATION
 *	  bench/extension/record.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <unistd.h>

#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "storage/fd.h"
#include "tcop/dest.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "extension/goalloc/goalloc.h"

#include "bench.h"

PG_FUNCTION_INFO_V1(goalloc_record_trace);

/*
 * goalloc's settings that route queries to goalloc, turned off for the
 * queries recorded: goalloc.route and its deprecated alias goalloc.executor
 * (on routes as executor whatever goalloc.route says).
 */
static const char *const bench_routing_gucs[] = {"goalloc.route", "goalloc.executor"};

/* Records one recording may hold (16 bytes each). */
#define TRACE_MAX_RECORDS	GAB_TRACE_MAX_RECORDS

/* Initial sizes of the malloc'ed buffers. */
#define TRACE_INIT_RECORDS	65536
#define TRACE_INIT_MAP		4096
#define TRACE_INIT_CONTEXTS 64

/* Node calls per walk: at least 1, the contexts last visited / this. */
#define TRACE_SCAN_DIVISOR	16

/* A wrapped context.  methods must be first: C->methods is its address. */
typedef struct TraceWrapped
{
	MemoryContextMethods methods;	/* our functions, private copy */
	const MemoryContextMethods *orig;	/* AllocSet's, Generation's, Slab's */
	uint32		ctx_id;			/* id in its session's trace */
	uint64		session;		/* the recording session that wrapped it */
} TraceWrapped;

/* Where a live chunk's address leads: key 0 is an empty slot. */
typedef struct TraceChunkEnt
{
	uintptr_t	key;
	uint32		chunk;
	uint32		ctx;
	uint32		epoch;
} TraceChunkEnt;

/* A query registered for recording; lives until its es_query_cxt goes. */
typedef struct TraceQuery
{
	MemoryContextCallback cb;
	MemoryContext query_cxt;
	EState	   *estate;
	int			nnodes;			/* entries of real[] */
	ExecProcNodeMtd *real;		/* by plan_node_id: the node's function */
	struct TraceQuery *prev;
	struct TraceQuery *next;
} TraceQuery;

/* The recording session (at most one at a time) */
typedef struct TraceRecorder
{
	uint64		session;		/* number of this session */
	const char *failed;			/* why recording stopped, or NULL */
	Size		failed_size;	/* the request too large, if that is why */

	gab_trace_rec *records;
	uint64		nrecords;
	uint64		maxrecords;
	uint64		nchunks;
	uint64		skipped;

	gab_trace_context *contexts;	/* the file's context table */
	uint32	   *epochs;			/* per context id */
	uint32		ncontexts;
	uint32		maxcontexts;

	TraceChunkEnt *map;
	uint64		mapcap;			/* power of two */
	uint64		mapcount;		/* occupied slots, stale ones included */
	int			mapshift;		/* 64 - log2(mapcap) */

	uint64		calls;			/* node calls since the last walk */
	uint64		scan_interval;
	uint64		visited;		/* contexts visited by the last walk */
} TraceRecorder;

static bool trace_active = false;

static TraceRecorder rec;
static uint64 trace_sessions = 0;
static TraceQuery *trace_queries = NULL;

static void TraceScan(void);
static void *TraceAlloc(MemoryContext context, Size size);
static void TraceFree(MemoryContext context, void *pointer);
static void *TraceRealloc(MemoryContext context, void *pointer, Size size);
static void TraceReset(MemoryContext context);
static void TraceDelete(MemoryContext context);
static Size TraceGetChunkSpace(MemoryContext context, void *pointer);
static bool TraceIsEmpty(MemoryContext context);
static void TraceStats(MemoryContext context,
					   MemoryStatsPrintFunc printfunc, void *passthru,
					   MemoryContextCounters *totals,
					   bool print_to_stderr);
#ifdef MEMORY_CONTEXT_CHECKING
static void TraceCheck(MemoryContext context);
#endif

static const MemoryContextMethods TraceMethods = {
	TraceAlloc,
	TraceFree,
	TraceRealloc,
	TraceReset,
	TraceDelete,
	TraceGetChunkSpace,
	TraceIsEmpty,
	TraceStats
#ifdef MEMORY_CONTEXT_CHECKING
	,TraceCheck
#endif
};


/* ----------
 * The record buffer and the chunk map (malloc only)
 * ----------
 */

static void
TraceFail(const char *why)
{
	if (rec.failed == NULL)
		rec.failed = why;
}

static bool
TraceGrowRecords(void)
{
	uint64		n = rec.maxrecords * 2;
	gab_trace_rec *r;

	if (rec.maxrecords >= TRACE_MAX_RECORDS)
	{
		TraceFail("the trace would exceed its limit of records");
		return false;
	}
	if (n > TRACE_MAX_RECORDS)
		n = TRACE_MAX_RECORDS;
	r = (gab_trace_rec *) realloc(rec.records, (size_t) n * sizeof(gab_trace_rec));
	if (r == NULL)
	{
		TraceFail("out of memory for the trace");
		return false;
	}
	rec.records = r;
	rec.maxrecords = n;
	return true;
}

static inline void
TraceAppend(uint8 op, uint32 ctx, uint32 chunk, Size size)
{
	gab_trace_rec *r;

	if (unlikely(rec.nrecords == rec.maxrecords) && !TraceGrowRecords())
		return;
	r = &rec.records[rec.nrecords++];
	r->op = op;
	r->pad[0] = r->pad[1] = r->pad[2] = 0;
	r->ctx = ctx;
	r->chunk = chunk;
	r->size = (uint32) size;
}

static inline uint64
TraceMapSlot(uintptr_t key)
{
	return (((uint64) key >> 3) * UINT64CONST(0x9E3779B97F4A7C15)) >> rec.mapshift;
}

static bool
TraceMapAlloc(uint64 cap)
{
	TraceChunkEnt *m = (TraceChunkEnt *) calloc((size_t) cap, sizeof(TraceChunkEnt));
	int			bits = 0;

	if (m == NULL)
		return false;
	while (((uint64) 1 << bits) < cap)
		bits++;
	rec.map = m;
	rec.mapcap = cap;
	rec.mapcount = 0;
	rec.mapshift = 64 - bits;
	return true;
}

static inline bool
TraceEntLive(const TraceChunkEnt *e)
{
	return rec.epochs[e->ctx] == e->epoch;
}

/*
 * TraceMapRebuild
 *		Rehash the live entries, stale ones dropped, into a table at most a
 *		quarter full.
 */
static bool
TraceMapRebuild(void)
{
	TraceChunkEnt *old = rec.map;
	uint64		oldcap = rec.mapcap;
	uint64		live = 0;
	uint64		cap = TRACE_INIT_MAP;
	uint64		i;

	for (i = 0; i < oldcap; i++)
		if (old[i].key != 0 && TraceEntLive(&old[i]))
			live++;
	while (cap < 4 * (live + 1))
		cap *= 2;
	if (!TraceMapAlloc(cap))
	{
		rec.map = old;
		rec.mapcap = oldcap;
		TraceFail("out of memory for the trace");
		return false;
	}
	for (i = 0; i < oldcap; i++)
	{
		uint64		j;

		if (old[i].key == 0 || !TraceEntLive(&old[i]))
			continue;
		j = TraceMapSlot(old[i].key);
		while (rec.map[j].key != 0)
			j = (j + 1) & (rec.mapcap - 1);
		rec.map[j] = old[i];
		rec.mapcount++;
	}
	free(old);
	return true;
}

static inline TraceChunkEnt *
TraceMapFind(uintptr_t key)
{
	uint64		i = TraceMapSlot(key);

	for (;;)
	{
		TraceChunkEnt *e = &rec.map[i];

		if (e->key == key)
			return e;
		if (e->key == 0)
			return NULL;
		i = (i + 1) & (rec.mapcap - 1);
	}
}

static bool
TraceMapInsert(uintptr_t key, uint32 chunk, uint32 ctx)
{
	uint64		i;

	if ((rec.mapcount + 1) * 2 > rec.mapcap && !TraceMapRebuild())
		return false;
	i = TraceMapSlot(key);
	while (rec.map[i].key != 0 && rec.map[i].key != key)
		i = (i + 1) & (rec.mapcap - 1);
	if (rec.map[i].key == 0)
		rec.mapcount++;
	rec.map[i].key = key;
	rec.map[i].chunk = chunk;
	rec.map[i].ctx = ctx;
	rec.map[i].epoch = rec.epochs[ctx];
	return true;
}

/* Linear probing's deletion: shift the entries after it back. */
static void
TraceMapDelete(TraceChunkEnt *e)
{
	uint64		mask = rec.mapcap - 1;
	uint64		i = (uint64) (e - rec.map);
	uint64		j = i;

	for (;;)
	{
		uint64		k;

		rec.map[i].key = 0;
		for (;;)
		{
			j = (j + 1) & mask;
			if (rec.map[j].key == 0)
			{
				rec.mapcount--;
				return;
			}
			k = TraceMapSlot(rec.map[j].key);
			/* move it back unless its home slot lies in (i, j] */
			if (j > i ? (k <= i || k > j) : (k <= i && k > j))
				break;
		}
		rec.map[i] = rec.map[j];
		i = j;
	}
}

/* The live entry of a chunk, or NULL (stale entries are dropped). */
static inline TraceChunkEnt *
TraceLookup(void *pointer)
{
	TraceChunkEnt *e = TraceMapFind((uintptr_t) pointer);

	if (e != NULL && !TraceEntLive(e))
	{
		TraceMapDelete(e);
		e = NULL;
	}
	return e;
}


/* ----------
 * The methods of a wrapped context
 * ----------
 */

static inline TraceWrapped *
TraceOf(MemoryContext context)
{
	return (TraceWrapped *) context->methods;
}

/* Is this call to be recorded? */
static inline bool
TraceRecording(TraceWrapped *w)
{
	return trace_active && rec.failed == NULL &&
		w->session == rec.session;
}

static void
TraceRecordAlloc(TraceWrapped *w, void *p, Size size)
{
	uint32		chunk;

	if (size > (Size) PG_UINT32_MAX)
	{
		TraceFail("a request does not fit the trace format (4 GiB or more)");
		rec.failed_size = size;
		return;
	}
	if (rec.nchunks >= TRACE_MAX_RECORDS)
	{
		TraceFail("the trace would exceed its limit of records");
		return;
	}
	chunk = (uint32) rec.nchunks;
	if (!TraceMapInsert((uintptr_t) p, chunk, w->ctx_id))
		return;
	rec.nchunks++;
	TraceAppend(GAB_TRACE_ALLOC, w->ctx_id, chunk, size);
}

static void *
TraceAlloc(MemoryContext context, Size size)
{
	TraceWrapped *w = TraceOf(context);
	void	   *p = w->orig->alloc(context, size);

	if (p != NULL && TraceRecording(w))
		TraceRecordAlloc(w, p, size);
	return p;
}

static void
TraceFree(MemoryContext context, void *pointer)
{
	TraceWrapped *w = TraceOf(context);

	if (TraceRecording(w))
	{
		TraceChunkEnt *e = TraceLookup(pointer);

		if (e != NULL)
		{
			TraceAppend(GAB_TRACE_FREE, e->ctx, e->chunk, 0);
			TraceMapDelete(e);
		}
		else
			rec.skipped++;
	}
	w->orig->free_p(context, pointer);
}

static void *
TraceRealloc(MemoryContext context, void *pointer, Size size)
{
	TraceWrapped *w = TraceOf(context);
	TraceChunkEnt *e = NULL;
	uint32		chunk = 0;
	void	   *newp;

	if (TraceRecording(w))
	{
		e = TraceLookup(pointer);
		if (e == NULL)
			rec.skipped++;
		else
			chunk = e->chunk;
	}
	newp = w->orig->realloc(context, pointer, size);
	if (newp == NULL || e == NULL)
		return newp;

	if (size > (Size) PG_UINT32_MAX)
	{
		TraceFail("a request does not fit the trace format (4 GiB or more)");
		rec.failed_size = size;
		return newp;
	}
	TraceAppend(GAB_TRACE_REALLOC, w->ctx_id, chunk, size);
	if (newp != pointer)
	{
		TraceMapDelete(e);
		(void) TraceMapInsert((uintptr_t) newp, chunk, w->ctx_id);
	}
	return newp;
}

static void
TraceReset(MemoryContext context)
{
	TraceWrapped *w = TraceOf(context);

	if (TraceRecording(w))
	{
		TraceAppend(GAB_TRACE_RESET, w->ctx_id, 0, 0);
		rec.epochs[w->ctx_id]++;
	}
	w->orig->reset(context);
}

static void
TraceDelete(MemoryContext context)
{
	TraceWrapped *w = TraceOf(context);
	const MemoryContextMethods *orig = w->orig;

	if (TraceRecording(w))
	{
		TraceAppend(GAB_TRACE_DELETE, w->ctx_id, 0, 0);
		rec.epochs[w->ctx_id]++;
	}
	/* a plain context again before its own delete (it may be recycled) */
	context->methods = orig;
	free(w);
	orig->delete_context(context);
}

static Size
TraceGetChunkSpace(MemoryContext context, void *pointer)
{
	return TraceOf(context)->orig->get_chunk_space(context, pointer);
}

static bool
TraceIsEmpty(MemoryContext context)
{
	return TraceOf(context)->orig->is_empty(context);
}

static void
TraceStats(MemoryContext context,
		   MemoryStatsPrintFunc printfunc, void *passthru,
		   MemoryContextCounters *totals, bool print_to_stderr)
{
	TraceOf(context)->orig->stats(context, printfunc, passthru, totals,
								  print_to_stderr);
}

#ifdef MEMORY_CONTEXT_CHECKING
static void
TraceCheck(MemoryContext context)
{
	TraceOf(context)->orig->check(context);
}
#endif


/* ----------
 * Wrapping
 * ----------
 */

static bool
TraceGrowContexts(void)
{
	uint32		n = rec.maxcontexts * 2;
	gab_trace_context *c;
	uint32	   *e;

	if (rec.maxcontexts >= GAB_TRACE_MAX_CONTEXTS)
	{
		TraceFail("the trace would exceed its limit of contexts");
		return false;
	}
	c = (gab_trace_context *) realloc(rec.contexts, sizeof(gab_trace_context) * n);
	if (c == NULL)
	{
		TraceFail("out of memory for the trace");
		return false;
	}
	rec.contexts = c;
	e = (uint32 *) realloc(rec.epochs, sizeof(uint32) * n);
	if (e == NULL)
	{
		TraceFail("out of memory for the trace");
		return false;
	}
	rec.epochs = e;
	rec.maxcontexts = n;
	return true;
}

/*
 * TraceWrap
 *		Visitor of the context walk: wrap a stock context not yet wrapped.
 *		Parents are visited before their children, so a recorded parent
 *		already has its id.
 */
static void
TraceWrap(MemoryContext c, void *arg)
{
	TraceWrapped *w;
	gab_trace_context *entry;
	MemoryContext parent = c->parent;
	uint32		parent_id = GAB_TRACE_NONE;
	uint32		kind;
	uint32		id;

	rec.visited++;
	if (!GoAllocContextIsStock(c))
		return;
	if (IsA(c, AllocSetContext))
		kind = GAB_TRACE_KIND_ASET;
	else if (IsA(c, GenerationContext))
		kind = GAB_TRACE_KIND_GENERATION;
	else if (IsA(c, SlabContext))
		kind = GAB_TRACE_KIND_SLAB;
	else
		return;
	if (rec.failed != NULL)
		return;
	if (rec.ncontexts == rec.maxcontexts && !TraceGrowContexts())
		return;
	w = (TraceWrapped *) malloc(sizeof(TraceWrapped));
	if (w == NULL)
	{
		TraceFail("out of memory for the trace");
		return;
	}

	id = rec.ncontexts++;
	entry = &rec.contexts[id];
	if (parent != NULL && parent->methods->alloc == TraceAlloc &&
		TraceOf(parent)->session == rec.session)
		parent_id = TraceOf(parent)->ctx_id;
	gab_trace_context_init(entry, id, parent_id, kind, c->name);
	rec.epochs[id] = 0;
	TraceAppend(GAB_TRACE_CREATE, id, parent_id, 0);

	memcpy(&w->methods, &TraceMethods, sizeof(MemoryContextMethods));
	w->orig = c->methods;
	w->ctx_id = id;
	w->session = rec.session;
	c->methods = &w->methods;
}

/*
 * TraceScan
 *		Wrap every stock context under the registered queries'
 *		es_query_cxt.  Called from the executor hooks and the node wrapper.
 */
static void
TraceScan(void)
{
	TraceQuery *q;

	if (!trace_active)
		return;
	rec.visited = 0;
	for (q = trace_queries; q != NULL; q = q->next)
		GoAllocContextWalk(q->query_cxt, TraceWrap, NULL);
	rec.calls = 0;
	rec.scan_interval = Max(rec.visited / TRACE_SCAN_DIVISOR, 1);
}

/*
 * TraceExecProcNode
 *		A recorded plan node's ExecProcNodeReal: walk the context trees
 *		(now and then, see above), then run the node's own function.
 */
static TupleTableSlot *
TraceExecProcNode(PlanState *node)
{
	TraceQuery *q;
	int			id = node->plan->plan_node_id;

	for (q = trace_queries; q != NULL; q = q->next)
		if (q->estate == node->state)
			break;
	if (q == NULL || id < 0 || id >= q->nnodes || q->real[id] == NULL)
		elog(ERROR, "goalloc trace: plan node %d has lost its function", id);

	if (trace_active && ++rec.calls >= rec.scan_interval)
		TraceScan();
	return q->real[id] (node);
}

static bool
TraceMaxNodeId(PlanState *ps, void *arg)
{
	int		   *max = (int *) arg;

	if (ps == NULL)
		return false;
	if (ps->plan->plan_node_id > *max)
		*max = ps->plan->plan_node_id;
	return planstate_tree_walker(ps, TraceMaxNodeId, arg);
}

static bool
TraceWrapNode(PlanState *ps, void *arg)
{
	TraceQuery *q = (TraceQuery *) arg;
	int			id;

	if (ps == NULL)
		return false;
	id = ps->plan->plan_node_id;
	if (id >= 0 && id < q->nnodes && q->real[id] == NULL &&
		ps->ExecProcNodeReal != NULL && ps->ExecProcNodeReal != TraceExecProcNode)
	{
		q->real[id] = ps->ExecProcNodeReal;
		ExecSetExecProcNode(ps, TraceExecProcNode);
	}
	return planstate_tree_walker(ps, TraceWrapNode, arg);
}

/* es_query_cxt of a registered query is going: forget the query. */
static void
TraceQueryGone(void *arg)
{
	TraceQuery *q = (TraceQuery *) arg;

	if (q->prev)
		q->prev->next = q->next;
	else
		trace_queries = q->next;
	if (q->next)
		q->next->prev = q->prev;
	free(q->real);
	free(q);
}

/*
 * TraceQueryStart
 *		From the ExecutorStart hook, after the previous hook, while
 *		recording: register the query and wrap its plan nodes.
 */
static void
TraceQueryStart(QueryDesc *queryDesc)
{
	EState	   *estate = queryDesc->estate;
	TraceQuery *q;
	int			maxid = -1;

	if (estate == NULL)
		return;
	q = (TraceQuery *) malloc(sizeof(TraceQuery));
	if (q == NULL)
	{
		TraceFail("out of memory for the trace");
		return;
	}
	q->query_cxt = estate->es_query_cxt;
	q->estate = estate;
	q->nnodes = 0;
	q->real = NULL;
	(void) TraceMaxNodeId(queryDesc->planstate, &maxid);
	if (maxid >= 0)
	{
		q->real = (ExecProcNodeMtd *) calloc(maxid + 1, sizeof(ExecProcNodeMtd));
		if (q->real != NULL)
			q->nnodes = maxid + 1;
	}

	q->cb.func = TraceQueryGone;
	q->cb.arg = q;
	q->prev = NULL;
	q->next = trace_queries;
	if (trace_queries)
		trace_queries->prev = q;
	trace_queries = q;
	MemoryContextRegisterResetCallback(q->query_cxt, &q->cb);

	if (q->nnodes > 0)
		(void) TraceWrapNode(queryDesc->planstate, q);
}


/* ----------
 * A recording session
 * ----------
 */

static void
TraceEnd(void)
{
	trace_active = false;
	free(rec.records);
	free(rec.contexts);
	free(rec.epochs);
	free(rec.map);
	memset(&rec, 0, sizeof(rec));
}

static void
TraceBegin(void)
{
	memset(&rec, 0, sizeof(rec));
	rec.session = ++trace_sessions;
	rec.records = (gab_trace_rec *) malloc(sizeof(gab_trace_rec) * TRACE_INIT_RECORDS);
	rec.maxrecords = TRACE_INIT_RECORDS;
	rec.contexts = (gab_trace_context *) malloc(sizeof(gab_trace_context) * TRACE_INIT_CONTEXTS);
	rec.epochs = (uint32 *) malloc(sizeof(uint32) * TRACE_INIT_CONTEXTS);
	rec.maxcontexts = TRACE_INIT_CONTEXTS;
	rec.scan_interval = 1;
	if (rec.records == NULL || rec.contexts == NULL || rec.epochs == NULL ||
		!TraceMapAlloc(TRACE_INIT_MAP))
	{
		TraceEnd();
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Could not allocate the buffers of a query trace.")));
	}
	trace_active = true;
}

/* Write the recorded trace to path; on failure, ERROR and no file. */
static void
TraceWriteFile(const char *path)
{
	gab_trace_header h;
	int			fd;

	gab_trace_header_init(&h, rec.ncontexts, rec.nrecords, rec.nchunks,
						  rec.skipped);
	fd = OpenTransientFile(path, O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create trace file \"%s\": %m", path)));
	if (gab_trace_write(fd, &h, rec.records, rec.contexts) != 0)
	{
		int			save_errno = errno;

		CloseTransientFile(fd);
		unlink(path);
		errno = save_errno;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not write trace file \"%s\": %m", path)));
	}
	if (CloseTransientFile(fd) != 0)
	{
		int			save_errno = errno;

		unlink(path);
		errno = save_errno;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not close trace file \"%s\": %m", path)));
	}
}

/*
 * goalloc_record_trace(query text, path text) RETURNS bigint
 */
Datum
goalloc_record_trace(PG_FUNCTION_ARGS)
{
	char	   *query;
	char	   *path;
	uint64		nrecords = 0;
	int			save_nestlevel;
	int			i;

	path = bench_trace_path_arg(fcinfo, 1, true);
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("query must not be NULL")));
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (trace_active)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("a query trace is already being recorded")));

	/*
	 * Stock contexts only: routing off for what runs below, restored by
	 * AtEOXact_GUC here or by the abort of the transaction on error.
	 */
	save_nestlevel = NewGUCNestLevel();
	for (i = 0; i < lengthof(bench_routing_gucs); i++)
		(void) set_config_option(bench_routing_gucs[i], "off",
								 superuser() ? PGC_SUSET : PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);

	TraceBegin();
	PG_TRY();
	{
		SPIExecuteOptions options;
		int			ret;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		memset(&options, 0, sizeof(options));
		options.read_only = false;
		options.dest = None_Receiver;
		ret = SPI_execute_extended(query, &options);
		if (ret < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("could not run the query to trace: %s",
							SPI_result_code_string(ret))));
		SPI_finish();
		trace_active = false;

		if (rec.failed != NULL)
		{
			if (rec.failed_size > 0)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("could not record the query trace: %s", rec.failed),
						 errdetail("The query requested %zu bytes.", rec.failed_size)));
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("could not record the query trace: %s", rec.failed)));
		}
		TraceWriteFile(path);
		nrecords = rec.nrecords;
	}
	PG_FINALLY();
	{
		TraceEnd();
	}
	PG_END_TRY();

	AtEOXact_GUC(true, save_nestlevel);
	PG_RETURN_INT64((int64) nrecords);
}


/* ----------
 * Executor hooks: register and wrap while recording, else pass through
 * ----------
 */

static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorRun_hook_type prev_ExecutorRun = NULL;
static ExecutorFinish_hook_type prev_ExecutorFinish = NULL;

static void
TraceExecutorStart(QueryDesc *queryDesc, int eflags)
{
	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);

	if (trace_active)
	{
		TraceQueryStart(queryDesc);
		TraceScan();
	}
}

static void
TraceExecutorRun(QueryDesc *queryDesc, ScanDirection direction,
				 uint64 count, bool execute_once)
{
	TraceScan();
	if (prev_ExecutorRun)
		prev_ExecutorRun(queryDesc, direction, count, execute_once);
	else
		standard_ExecutorRun(queryDesc, direction, count, execute_once);
}

static void
TraceExecutorFinish(QueryDesc *queryDesc)
{
	TraceScan();
	if (prev_ExecutorFinish)
		prev_ExecutorFinish(queryDesc);
	else
		standard_ExecutorFinish(queryDesc);
}


/* ----------
 * Initialization
 * ----------
 */

/*
 * bench_record_init
 *		From _PG_init: install the executor hooks.  ExecutorEnd needs none: a query's registration ends
 *		with its es_query_cxt (TraceQueryGone).
 */
void
bench_record_init(void)
{
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = TraceExecutorStart;
	prev_ExecutorRun = ExecutorRun_hook;
	ExecutorRun_hook = TraceExecutorRun;
	prev_ExecutorFinish = ExecutorFinish_hook;
	ExecutorFinish_hook = TraceExecutorFinish;
}
