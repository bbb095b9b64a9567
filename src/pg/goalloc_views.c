/*-------------------------------------------------------------------------
 *
 * goalloc_views.c
 *	  SQL views of the backend's goalloc heap, and of every backend's heap
 *	  totals through shared memory.
 *
 * Every function reports the calling backend's own heap (Go's mheap_, here
 * goalloc_backend_heap(false)); none of them creates it.  Before a heap
 * exists they return no rows (goalloc_stats: one row of zeros).  Reading
 * changes nothing in the heap: the core's readers and walkers allocate
 * nothing, and whatever these functions collect goes into a private AllocSet
 * context, never into a goalloc context, before the result set is built.
 * Only goalloc_scavenge() changes the heap, by design.
 *
 *	goalloc_spans()			one row per in-use span (Go's mspan in state
 *							mSpanInUse): the owning context, arena, base,
 *							pages, spanclass and sizeclass, object size,
 *							slots (nelems), live objects (allocCount), and
 *							where the span is: "mcache" (its mcache slot),
 *							"partial"/"full" (mcentral's partial/full sets),
 *							"large" (a large object), "cached" (empty span
 *							kept by the heap).  Free page runs are not spans
 *							here: they are the idle pages of goalloc_arenas.
 *	goalloc_sizeclasses()	Go's size-class table (sizeclasses.go: bytes/obj,
 *							pages, objects, tail waste, max waste) with the
 *							live figures of each class: spans, pages, objects
 *							in use and the cumulative mallocs and frees
 *							(MemStats.BySize).  Row 0 is large objects.
 *	goalloc_arenas()		one row per heap arena (Go's heapArena): pages in
 *							use, free (Go's heapFree) and released
 *							(heapReleased), and its 4 MiB chunks.
 *	goalloc_chunks()		one row per chunk (Go's pallocChunk, 512 pages)
 *							of every arena, with its page counts.
 *	goalloc_heap_map(n)		the same chunks as a picture: one character per
 *							n pages (default 8, so 64 characters a chunk):
 *							'#' all in use, '+' partly in use, '-' all free,
 *							':' free and released, '.' all released.
 *	goalloc_stats()			one row named after runtime.MemStats in snake
 *							case (HeapSys -> heap_sys, MSpanInuse ->
 *							mspan_inuse, ...), plus heap_free (Go's
 *							/memory/classes/heap/free), the goalloc-specific
 *							figures and the scavenger's.
 *	goalloc_contexts()		one row per live goalloc context (an owner: its
 *							own mcache and mcentral), named as
 *							pg_backend_memory_contexts names it: spans,
 *							pages, bytes of live objects, mem_allocated,
 *							mallocs, frees, and its nursery blocks and the
 *							chunks they hold.
 *	goalloc_route_contexts() one row per memory context of the backend,
 *							goalloc's or not, as pg_backend_memory_contexts
 *							lists them, with how goalloc.route serves it
 *							(goalloc, adopted, deferred, stock,
 *							unclassified, other), its scope and
 *							mem_allocated: what goalloc.heap_limit does not
 *							see is the deferred and stock rows' sum.
 *	goalloc_scavenge(keep)	Go's debug.FreeOSMemory (keep = 0): release idle
 *							pages to the OS until at most keep bytes of idle
 *							memory stay backed.  Returns the bytes released.
 *
 * Every function but goalloc_scavenge() publishes the backend's totals to
 * shared memory on the way (goalloc_shmem.c), so that goalloc_backends
 * shows what a backend that was just looked at holds.
 *
 * IDENTIFICATION
 *	  src/pg/goalloc_views.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "goalloc_internal.h"

/* What the walkers collect, in the private scratch context. */
typedef struct SpanRow
{
	ga_span_info info;
	MemoryContext context;		/* owner->user, NULL if cached */
} SpanRow;

typedef struct SpanCollect
{
	SpanRow    *rows;
	Size		n;
	Size		cap;
} SpanCollect;

typedef struct ArenaCollect
{
	ga_arena_info *rows;
	Size		n;
	Size		cap;
} ArenaCollect;

/* Per size class aggregates of a span walk; index 0 = large. */
typedef struct ClassAgg
{
	const ga_owner *pool;		/* the heap's nursery pool: its objects are
								 * blocks, not counted */
	int64		spans[GA_NUM_CLASSES];
	int64		cached[GA_NUM_CLASSES];
	int64		pages[GA_NUM_CLASSES];
	int64		objects[GA_NUM_CLASSES];
	int64		bytes[GA_NUM_CLASSES];
} ClassAgg;

PG_FUNCTION_INFO_V1(goalloc_views_spans);
PG_FUNCTION_INFO_V1(goalloc_views_sizeclasses);
PG_FUNCTION_INFO_V1(goalloc_views_arenas);
PG_FUNCTION_INFO_V1(goalloc_views_chunks);
PG_FUNCTION_INFO_V1(goalloc_views_heap_map);
PG_FUNCTION_INFO_V1(goalloc_views_stats);
PG_FUNCTION_INFO_V1(goalloc_views_contexts);
PG_FUNCTION_INFO_V1(goalloc_views_route_contexts);
PG_FUNCTION_INFO_V1(goalloc_views_scavenge);


/* ---- Helpers ---- */

/*
 * A private AllocSet under the caller's context: walker output goes here,
 * so collecting never touches a goalloc context even if the caller's
 * context were one.
 */
static MemoryContext
scratch_context(void)
{
	MemoryContext scratch;

	scratch = AllocSetContextCreate(CurrentMemoryContext,
									"goalloc views scratch",
									ALLOCSET_DEFAULT_SIZES);
	/* whatever goalloc.route says: the walkers must not touch the heap */
	goalloc_route_keep_stock(scratch);
	return scratch;
}

static Datum
address_datum(uintptr_t addr, bool *isnull)
{
	char		buf[32];

	if (!superuser())
	{
		*isnull = true;
		return (Datum) 0;
	}
	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long) addr);
	return CStringGetTextDatum(buf);
}

static Datum
size_datum(uint64 v)
{
	if (v > (uint64) PG_INT64_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("goalloc figure %llu out of range for bigint",
						(unsigned long long) v)));
	return Int64GetDatum((int64) v);
}

static Datum
text_or_null(const char *s, bool *isnull)
{
	if (s == NULL)
	{
		*isnull = true;
		return (Datum) 0;
	}
	*isnull = false;
	return CStringGetTextDatum(s);
}

/* Walker callbacks.  They allocate only in the scratch AllocSet. */
static bool
collect_span(void *arg, const ga_span_info *info)
{
	SpanCollect *c = (SpanCollect *) arg;
	SpanRow    *r;

	if (c->n == c->cap)
	{
		c->cap *= 2;
		c->rows = repalloc_huge(c->rows, c->cap * sizeof(SpanRow));
	}
	r = &c->rows[c->n++];
	r->info = *info;
	r->context = info->owner ? (MemoryContext) info->owner->user : NULL;
	return true;
}

static bool
collect_arena(void *arg, const ga_arena_info *info)
{
	ArenaCollect *c = (ArenaCollect *) arg;

	if (c->n == c->cap)
	{
		c->cap *= 2;
		c->rows = repalloc_huge(c->rows, c->cap * sizeof(ga_arena_info));
	}
	c->rows[c->n++] = *info;
	return true;
}

static bool
aggregate_span(void *arg, const ga_span_info *info)
{
	ClassAgg   *a = (ClassAgg *) arg;
	int			c = info->sizeclass;

	if (c < 0 || c >= GA_NUM_CLASSES)
		return true;
	a->spans[c]++;
	if (info->state == GA_SPAN_CACHED)
		a->cached[c]++;
	a->pages[c] += info->npages;
	if (info->owner == a->pool)
		return true;
	a->objects[c] += info->allocated;
	a->bytes[c] += (int64) info->allocated * info->elemsize;
	return true;
}

/* Every span of the heap, into scratch memory. */
static SpanCollect
walk_spans(ga_heap *heap, MemoryContext scratch)
{
	SpanCollect c;
	MemoryContext old = MemoryContextSwitchTo(scratch);

	c.n = 0;
	c.cap = Max(heap->spans_inuse, 16);
	c.rows = palloc_extended(c.cap * sizeof(SpanRow), MCXT_ALLOC_HUGE);
	ga_heap_walk_spans(heap, collect_span, &c);
	MemoryContextSwitchTo(old);
	return c;
}

static ArenaCollect
walk_arenas(ga_heap *heap, MemoryContext scratch)
{
	ArenaCollect c;
	MemoryContext old = MemoryContextSwitchTo(scratch);

	c.n = 0;
	c.cap = Max(heap->narenas, 4);
	c.rows = palloc(c.cap * sizeof(ga_arena_info));
	ga_heap_walk_arenas(heap, collect_arena, &c);
	MemoryContextSwitchTo(old);
	return c;
}


/* ---- goalloc_spans() ---- */

Datum
goalloc_views_spans(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ga_heap    *heap = goalloc_backend_heap(false);
	MemoryContext scratch;
	SpanCollect c;
	Size		i;

	goalloc_publish();
	SetSingleFuncCall(fcinfo, 0);
	if (heap == NULL)
		PG_RETURN_VOID();

	scratch = scratch_context();
	c = walk_spans(heap, scratch);

	for (i = 0; i < c.n; i++)
	{
		const ga_span_info *s = &c.rows[i].info;
		MemoryContext cx = c.rows[i].context;
		Datum		values[12];
		bool		nulls[12];

		memset(nulls, 0, sizeof(nulls));
		/* the pool's spans hold the nursery blocks of small contexts */
		values[0] = text_or_null(cx ? cx->name :
								 s->owner == &heap->nursery_pool ?
								 "goalloc nursery" : NULL, &nulls[0]);
		values[1] = Int32GetDatum((int32) s->arena);
		values[2] = address_datum(s->base, &nulls[2]);
		values[3] = size_datum(s->npages);
		values[4] = Int32GetDatum(s->spanclass);
		values[5] = Int32GetDatum(s->sizeclass);
		values[6] = size_datum(s->elemsize);
		values[7] = Int32GetDatum((int32) s->nelems);
		values[8] = Int32GetDatum((int32) s->allocated);
		values[9] = CStringGetTextDatum(ga_span_state_name(s->state));
		if (cx)
			values[10] = address_datum((uintptr_t) cx, &nulls[10]);
		else
			nulls[10] = true;
		values[11] = Int32GetDatum((int32) s->listed);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc,
							 values, nulls);
	}
	MemoryContextDelete(scratch);
	PG_RETURN_VOID();
}


/* ---- goalloc_sizeclasses() ---- */

Datum
goalloc_views_sizeclasses(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ga_heap    *heap = goalloc_backend_heap(false);
	ga_class_counts counts[GA_NUM_CLASSES];
	uint64_t	nursery[GA_NUM_CLASSES];
	ClassAgg	agg;
	int			c;

	goalloc_publish();
	memset(counts, 0, sizeof(counts));
	memset(nursery, 0, sizeof(nursery));
	memset(&agg, 0, sizeof(agg));
	if (heap != NULL)
	{
		ga_heap_read_class_counts(heap, counts);
		ga_heap_read_nursery_counts(heap, nursery);
		agg.pool = &heap->nursery_pool;
		ga_heap_walk_spans(heap, aggregate_span, &agg);
	}
	ga_sizeclasses_init();

	SetSingleFuncCall(fcinfo, 0);
	for (c = 0; c < GA_NUM_CLASSES; c++)
	{
		Datum		values[15];
		bool		nulls[15];

		memset(nulls, 0, sizeof(nulls));
		values[0] = Int32GetDatum(c);
		if (c == 0)
		{
			/* large objects: one per span of any number of pages */
			nulls[1] = nulls[2] = nulls[3] = true;
			values[4] = Int32GetDatum(1);
			nulls[5] = nulls[6] = true;
		}
		else
		{
			values[1] = Int32GetDatum((int32) ga_class_size[c]);
			values[2] = Int32GetDatum((int32) ga_class_npages[c]);
			values[3] = Int32GetDatum((int32) (ga_class_npages[c] * GA_PAGE_SIZE));
			values[4] = Int32GetDatum((int32) ga_class_nelems[c]);
			values[5] = Int32GetDatum((int32) ga_class_tail_waste(c));
			values[6] = Float8GetDatum(ga_class_max_waste_pct(c));
		}
		values[7] = Int64GetDatum(agg.spans[c]);
		values[8] = Int64GetDatum(agg.cached[c]);
		values[9] = Int64GetDatum(agg.pages[c]);
		values[10] = Int64GetDatum(agg.objects[c]);
		values[11] = Int64GetDatum(agg.bytes[c]);
		values[12] = size_datum(counts[c].mallocs);
		values[13] = size_datum(counts[c].frees);
		values[14] = size_datum(nursery[c]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc,
							 values, nulls);
	}
	PG_RETURN_VOID();
}


/* ---- goalloc_arenas() ---- */

Datum
goalloc_views_arenas(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ga_heap    *heap = goalloc_backend_heap(false);
	MemoryContext scratch;
	ArenaCollect c;
	Size		i;

	goalloc_publish();
	SetSingleFuncCall(fcinfo, 0);
	if (heap == NULL)
		PG_RETURN_VOID();

	scratch = scratch_context();
	c = walk_arenas(heap, scratch);
	for (i = 0; i < c.n; i++)
	{
		const ga_arena_info *a = &c.rows[i];
		Datum		values[8];
		bool		nulls[8];

		memset(nulls, 0, sizeof(nulls));
		values[0] = Int32GetDatum((int32) a->index);
		values[1] = address_datum(a->base, &nulls[1]);
		values[2] = size_datum(a->npages);
		values[3] = size_datum(a->pages_inuse);
		values[4] = size_datum(a->pages_free);
		values[5] = size_datum(a->pages_released);
		values[6] = BoolGetDatum(a->huge);
		values[7] = size_datum((a->npages + GA_CHUNK_PAGES - 1) / GA_CHUNK_PAGES);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc,
							 values, nulls);
	}
	MemoryContextDelete(scratch);
	PG_RETURN_VOID();
}


/* ---- goalloc_chunks() and goalloc_heap_map() ---- */

typedef struct ChunkRow
{
	uint32		arena;
	uint32		chunk;
	uintptr_t	base;
	int			pages;
	int			inuse;
	int			free;
	int			released;
	char	   *map;			/* NULL for goalloc_chunks() */
} ChunkRow;

/* The character of a group of pages, see the header comment. */
static char
map_char(int inuse, int free, int released)
{
	if (free == 0 && released == 0)
		return '#';
	if (inuse > 0)
		return '+';
	if (released == 0)
		return '-';
	if (free == 0)
		return '.';
	return ':';
}

/*
 * One row per 4 MiB chunk of every arena; with a map of one character per
 * pages_per_char pages if pages_per_char > 0.
 */
static void
chunk_rows(FunctionCallInfo fcinfo, int pages_per_char)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ga_heap    *heap = goalloc_backend_heap(false);
	MemoryContext scratch;
	MemoryContext old;
	ArenaCollect a;
	ChunkRow   *rows;
	Size		nrows = 0;
	Size		maxrows = 0;
	Size		i;

	goalloc_publish();
	SetSingleFuncCall(fcinfo, 0);
	if (heap == NULL)
		return;

	scratch = scratch_context();
	a = walk_arenas(heap, scratch);
	for (i = 0; i < a.n; i++)
		maxrows += (a.rows[i].npages + GA_CHUNK_PAGES - 1) / GA_CHUNK_PAGES;

	old = MemoryContextSwitchTo(scratch);
	rows = palloc_extended(Max(maxrows, 1) * sizeof(ChunkRow),
						   MCXT_ALLOC_HUGE);
	for (i = 0; i < a.n; i++)
	{
		const ga_arena_info *ar = &a.rows[i];
		size_t		first;

		for (first = 0; first < ar->npages; first += GA_CHUNK_PAGES)
		{
			uint8		states[GA_CHUNK_PAGES];
			size_t		want = Min((size_t) GA_CHUNK_PAGES, ar->npages - first);
			size_t		got;
			size_t		p;
			ChunkRow   *r = &rows[nrows++];

			got = ga_arena_page_states(heap, ar->index, first, want, states);
			r->arena = ar->index;
			r->chunk = (uint32) (first / GA_CHUNK_PAGES);
			r->base = ar->base + first * GA_PAGE_SIZE;
			r->pages = (int) got;
			r->inuse = r->free = r->released = 0;
			r->map = NULL;
			for (p = 0; p < got; p++)
			{
				if (states[p] == GA_PAGE_INUSE)
					r->inuse++;
				else if (states[p] == GA_PAGE_FREE)
					r->free++;
				else
					r->released++;
			}
			if (pages_per_char > 0)
			{
				int			nchars = ((int) got + pages_per_char - 1) / pages_per_char;
				int			ch;

				r->map = palloc(nchars + 1);
				for (ch = 0; ch < nchars; ch++)
				{
					int			n[3] = {0, 0, 0};
					size_t		q;
					size_t		end = Min(got, (size_t) (ch + 1) * pages_per_char);

					for (q = (size_t) ch * pages_per_char; q < end; q++)
						n[Min(states[q], GA_PAGE_RELEASED)]++;
					r->map[ch] = map_char(n[GA_PAGE_INUSE], n[GA_PAGE_FREE],
										  n[GA_PAGE_RELEASED]);
				}
				r->map[nchars] = '\0';
			}
		}
	}
	MemoryContextSwitchTo(old);

	for (i = 0; i < nrows; i++)
	{
		const ChunkRow *r = &rows[i];
		Datum		values[8];
		bool		nulls[8];

		memset(nulls, 0, sizeof(nulls));
		values[0] = Int32GetDatum((int32) r->arena);
		values[1] = Int32GetDatum((int32) r->chunk);
		values[2] = address_datum(r->base, &nulls[2]);
		values[3] = Int32GetDatum(r->pages);
		values[4] = Int32GetDatum(r->inuse);
		values[5] = Int32GetDatum(r->free);
		values[6] = Int32GetDatum(r->released);
		if (r->map)
			values[7] = CStringGetTextDatum(r->map);
		else
			nulls[7] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc,
							 values, nulls);
	}
	MemoryContextDelete(scratch);
}

Datum
goalloc_views_chunks(PG_FUNCTION_ARGS)
{
	chunk_rows(fcinfo, 0);
	PG_RETURN_VOID();
}

Datum
goalloc_views_heap_map(PG_FUNCTION_ARGS)
{
	int32		pages_per_char = PG_GETARG_INT32(0);

	if (pages_per_char < 1 || pages_per_char > GA_CHUNK_PAGES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pages_per_char must be between 1 and %d",
						GA_CHUNK_PAGES)));
	chunk_rows(fcinfo, pages_per_char);
	PG_RETURN_VOID();
}


/* ---- goalloc_stats() ---- */

Datum
goalloc_views_stats(PG_FUNCTION_ARGS)
{
	ga_heap    *heap = goalloc_backend_heap(false);
	ga_heap_stats st;
	TupleDesc	tupdesc;
	Datum		values[21];
	bool		nulls[21];

	goalloc_publish();
	memset(&st, 0, sizeof(st));
	if (heap != NULL)
		ga_heap_read_stats(heap, &st);

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	memset(nulls, 0, sizeof(nulls));
	values[0] = size_datum(st.heap_sys);
	values[1] = size_datum(st.heap_inuse);
	values[2] = size_datum(st.heap_idle);
	values[3] = size_datum(st.heap_idle - st.heap_released);
	values[4] = size_datum(st.heap_released);
	values[5] = size_datum(st.heap_alloc);
	values[6] = size_datum(st.heap_objects);
	values[7] = size_datum(st.mallocs);
	values[8] = size_datum(st.frees);
	values[9] = size_datum(st.total_alloc);
	values[10] = size_datum(st.mspan_inuse);
	values[11] = size_datum(st.mspan_sys);
	values[12] = size_datum(st.arena_meta_sys);
	values[13] = size_datum(st.span_cache_bytes);
	values[14] = size_datum(st.narenas);
	values[15] = size_datum(st.nowners);
	values[16] = size_datum(st.limit);
	values[17] = size_datum(st.retain);
	values[18] = size_datum(st.scavenge_runs);
	values[19] = size_datum(st.scavenged_bytes);
	values[20] = size_datum(st.frees_slow);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}


/* ---- goalloc_contexts() ---- */

typedef struct ContextRow
{
	MemoryContext cx;			/* owner->user; NULL if not set */
	const ga_owner *owner;
	ga_owner_stats st;
} ContextRow;

static Datum
ident_datum(const char *ident, bool *isnull)
{
	int			len;

	if (ident == NULL)
	{
		*isnull = true;
		return (Datum) 0;
	}
	/* as pg_get_backend_memory_contexts() does */
	len = strlen(ident);
	if (len >= 1024)
		len = pg_mbcliplen(ident, len, 1023);
	*isnull = false;
	return PointerGetDatum(cstring_to_text_with_len(ident, len));
}

/*
 * A context's name as pg_backend_memory_contexts shows it: a dynahash
 * context goes by its table's name (its ident), whose ident column is then
 * NULL.
 */
static const char *
context_label(MemoryContext c)
{
	if (c->ident != NULL && c->name != NULL &&
		strcmp(c->name, "dynahash") == 0)
		return c->ident;
	return c->name;
}

/*
 * Columns 0 to 4 of a context's row, as pg_backend_memory_contexts has
 * the first four: name, ident, parent, level; then its address.
 */
static void
context_columns(MemoryContext cx, Datum *values, bool *nulls)
{
	const char *name = context_label(cx);
	MemoryContext p;
	int			level = 0;

	values[0] = text_or_null(name, &nulls[0]);
	values[1] = ident_datum(name == cx->ident ? NULL : cx->ident, &nulls[1]);
	values[2] = text_or_null(cx->parent ? context_label(cx->parent) : NULL,
							 &nulls[2]);
	for (p = cx->parent; p != NULL; p = p->parent)
		level++;
	values[3] = Int32GetDatum(level);
	values[4] = address_datum((uintptr_t) cx, &nulls[4]);
}

Datum
goalloc_views_contexts(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ga_heap    *heap = goalloc_backend_heap(false);
	MemoryContext scratch;
	ContextRow *rows;
	Size		n = 0;
	Size		cap;
	const ga_owner *o;
	Size		i;

	goalloc_publish();
	SetSingleFuncCall(fcinfo, 0);
	if (heap == NULL)
		PG_RETURN_VOID();

	scratch = scratch_context();
	cap = 0;
	for (o = heap->owners; o != NULL; o = o->next)
		cap++;
	rows = MemoryContextAllocHuge(scratch, Max(cap, 1) * sizeof(ContextRow));
	for (o = heap->owners; o != NULL && n < cap; o = o->next)
	{
		rows[n].cx = (MemoryContext) o->user;
		rows[n].owner = o;
		ga_owner_read_stats(o, &rows[n].st);
		n++;
	}

	for (i = 0; i < n; i++)
	{
		const ContextRow *r = &rows[i];
		MemoryContext cx = r->cx;
		Datum		values[15];
		bool		nulls[15];

		memset(nulls, 0, sizeof(nulls));
		if (cx != NULL)
		{
			context_columns(cx, values, nulls);
			values[9] = size_datum(cx->mem_allocated);
		}
		else
		{
			nulls[0] = nulls[1] = nulls[2] = nulls[3] = nulls[9] = true;
			values[4] = address_datum((uintptr_t) r->owner, &nulls[4]);
		}
		values[5] = size_datum(r->st.nspans);
		values[6] = size_datum(r->st.npages);
		values[7] = size_datum(r->st.alloc_bytes);
		values[8] = size_datum(r->st.objects);
		values[10] = size_datum(r->st.mallocs);
		values[11] = size_datum(r->st.frees);
		values[12] = size_datum(r->st.nursery_bytes);
		values[13] = size_datum(r->st.nursery_objects);
		values[14] = size_datum(r->st.nursery_alloc_bytes);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc,
							 values, nulls);
	}
	MemoryContextDelete(scratch);
	PG_RETURN_VOID();
}


/* ---- goalloc_route_contexts() ---- */

typedef struct RouteRow
{
	MemoryContext cx;
	int			state;			/* GOALLOC_ROUTED_* */
	int			scope;			/* GOALLOC_SCOPE_* */
} RouteRow;

typedef struct RouteCollect
{
	RouteRow   *rows;			/* NULL: count only */
	Size		n;
	Size		cap;
} RouteCollect;

static void
collect_route_row(MemoryContext c, void *arg)
{
	RouteCollect *rc = (RouteCollect *) arg;

	if (rc->rows != NULL && rc->n < rc->cap)
	{
		rc->rows[rc->n].cx = c;
		rc->rows[rc->n].state = goalloc_route_state(c);
		rc->rows[rc->n].scope = goalloc_route_scope(c);
	}
	rc->n++;
}

static const char *
context_type_name(MemoryContext c, int state)
{
	if (state == GOALLOC_ROUTED_GOALLOC)
		return "GoAlloc";
	switch (nodeTag(c))
	{
		case T_AllocSetContext:
			return "AllocSet";
		case T_GenerationContext:
			return "Generation";
		case T_SlabContext:
			return "Slab";
		default:
			return NULL;
	}
}

Datum
goalloc_views_route_contexts(PG_FUNCTION_ARGS)
{
	static const char *const state_names[] = {
		"goalloc", "adopted", "deferred", "stock", "unclassified", "other"
	};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext scratch;
	RouteCollect rc;
	Size		i;

	SetSingleFuncCall(fcinfo, 0);

	/*
	 * Count, then collect into the scratch AllocSet (kept stock, listed
	 * too), so that building the result set, which pallocs and may adopt a
	 * context, does not run inside the walk.
	 */
	scratch = scratch_context();
	memset(&rc, 0, sizeof(rc));
	goalloc_context_walk(TopMemoryContext, collect_route_row, &rc);
	rc.cap = rc.n;
	rc.n = 0;
	rc.rows = MemoryContextAllocHuge(scratch,
									 Max(rc.cap, 1) * sizeof(RouteRow));
	goalloc_context_walk(TopMemoryContext, collect_route_row, &rc);
	rc.n = Min(rc.n, rc.cap);

	for (i = 0; i < rc.n; i++)
	{
		const RouteRow *r = &rc.rows[i];
		MemoryContext cx = r->cx;
		Datum		values[9];
		bool		nulls[9];

		memset(nulls, 0, sizeof(nulls));
		context_columns(cx, values, nulls);
		values[5] = text_or_null(context_type_name(cx, r->state), &nulls[5]);
		values[6] = CStringGetTextDatum(state_names[r->state]);
		values[7] = text_or_null(r->scope == GOALLOC_SCOPE_QUERY ? "query" :
								 r->scope == GOALLOC_SCOPE_BACKEND ?
								 "backend" : NULL, &nulls[7]);
		values[8] = size_datum(cx->mem_allocated);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc,
							 values, nulls);
	}
	MemoryContextDelete(scratch);
	PG_RETURN_VOID();
}


/* ---- goalloc_scavenge(keep_bytes) ---- */

Datum
goalloc_views_scavenge(PG_FUNCTION_ARGS)
{
	int64		keep = PG_GETARG_INT64(0);
	ga_heap    *heap = goalloc_backend_heap(false);
	size_t		released = 0;

	if (keep < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("keep_bytes must not be negative")));
	if (heap != NULL)
		released = ga_heap_scavenge(heap, (size_t) keep);
	goalloc_publish();
	PG_RETURN_DATUM(size_datum(released));
}
