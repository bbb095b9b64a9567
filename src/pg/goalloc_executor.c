/*-------------------------------------------------------------------------
 *
 * goalloc_executor.c
 *	  The executor hooks of goalloc.route, and the query profile.
 *
 * goalloc.route (goalloc_route.c) adopts contexts from their first palloc
 * (goalloc_adopt.c).  The executor hooks tell it which contexts are a
 * routed query's.  With routing on, ExecutorStart records the context the
 * query's ExecutorState will be created under
 * (goalloc_route_starting_parent), so that the wrapper routes it, and
 * registers the query as routed: a node allocated in, and a reset callback
 * registered on, its es_query_cxt, unlinked when that context goes
 * (ExecutorEnd, or portal/transaction cleanup after an error).  Then it
 * walks the query's own tree once (goalloc_adopt_tree) to adopt what
 * InitPlan made and has not palloc'd from yet, or everything if the wrapper
 * is missing or had no memory for a record; without the wrapper the
 * query's own Run and Finish hooks walk it again.  No hook visits other
 * queries' trees (with 2,000 routed cursors open, every hook used to walk
 * them all).  With routing off each hook does O(1) work.  In backend mode
 * ExecutorStart is also the safe point where contexts classified stock
 * earlier are taken over.
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

/* A routed query: lives in its es_query_cxt, unlinked when that goes. */
typedef struct GoAllocRoutedQuery
{
	MemoryContextCallback cb;
	MemoryContext query_cxt;
	struct GoAllocRoutedQuery *prev;
	struct GoAllocRoutedQuery *next;
} GoAllocRoutedQuery;

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

/* The profile being taken (profile_cxt != NULL) and the last one */
static MemoryContext profile_cxt = NULL;
static uint64 profile_starts[2][GA_NUM_CLASSES];
static int	profile_start = 0;	/* the one ProfileBegin fills */
static uint64 profile_start_total_alloc = 0;
static GoAllocLargeCounts profile_start_large;
static bool profile_valid = false;
static uint64 profile_end[GA_NUM_CLASSES];
static const uint64 *profile_base = NULL;	/* the last profile's start */
static uint64 profile_large_bytes = 0;
static GoAllocLargeCounts profile_large;
static uint64 profile_contexts = 0;
static uint64 profile_start_adopted = 0;

/*
 * The classes' counts are copied whole (68 words, one memcpy) at
 * ProfileBegin and at ProfileEnd, and goalloc_last_query_profile()
 * subtracts.  The reader's own query begins a profile, so two start
 * buffers take turns: ProfileEnd keeps the last profile's start
 * (profile_base) and hands the next ProfileBegin the other one.  Of the
 * large buckets only what moved is copied: AdoptedCountLarge
 * (goalloc_adopt.c) marks the buckets it changes (goalloc_large_changed),
 * ProfileBegin brings
 * profile_start_large up to date for those only and clears the marks,
 * ProfileEnd subtracts for those only, and profile_large_nonzero holds the
 * entries of the last profile that are not 0, to be cleared by the next.
 * profile_heap is the heap of the profile being taken;
 * goalloc_large_counts was first copied whole with it.
 */
static ga_heap *profile_heap = NULL;
static uint64 profile_large_nonzero = 0;

PG_FUNCTION_INFO_V1(goalloc_executor_status);
PG_FUNCTION_INFO_V1(goalloc_last_query_profile);
PG_FUNCTION_INFO_V1(goalloc_last_query_large);


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
		profile_start_large = goalloc_large_counts;
		profile_heap = heap;
	}
	else
	{
		for (m = goalloc_large_changed; m != 0; m &= m - 1)
		{
			int			k = pg_rightmost_one_pos64(m);

			profile_start_large.mallocs[k] = goalloc_large_counts.mallocs[k];
			profile_start_large.bytes[k] = goalloc_large_counts.bytes[k];
		}
	}
	goalloc_large_changed = 0;
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
	for (m = goalloc_large_changed; m != 0; m &= m - 1)
	{
		c = pg_rightmost_one_pos64(m);
		profile_large.mallocs[c] = goalloc_large_counts.mallocs[c] - profile_start_large.mallocs[c];
		profile_large.bytes[c] = goalloc_large_counts.bytes[c] - profile_start_large.bytes[c];
	}
	profile_large_nonzero = goalloc_large_changed;
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
	values[4] = Int64GetDatum((int64) goalloc_adopt_counters.walks);
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

	for (k = 0; k < GOALLOC_LARGE_BUCKETS; k++)
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
