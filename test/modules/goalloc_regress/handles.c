/*-------------------------------------------------------------------------
 *
 * handles.c
 *	  Session contexts named by integer handles, and the registry of the
 *	  chunks kept live in them.
 *
 * goalloc_context_create() makes a goalloc context under TopMemoryContext
 * (or under another session context) that lives until
 * goalloc_context_delete(), and names it by an integer handle.  Chunks
 * allocated by goalloc_alloc() stay live in it; their addresses, sizes and
 * a tag are remembered, and their contents are a pattern derived from the
 * tag, verified whenever a chunk is freed or resized.
 *
 * The registry.  One HandleEntry per live handle, in a dynahash table keyed
 * by handle: lookups are O(1).  Handles are handed out in increasing order
 * and never reused within a session, so a stale handle can only miss.  The
 * entries of live handles are also on a list in creation order (what
 * goalloc_handles() shows), and each entry lists its children, so that a
 * reset or delete visits its subtree only.  All of it lives in the
 * registry context "goalloc_regress handles", an AllocSet under
 * TopMemoryContext: a deleted handle's entry goes back to the table's free
 * list and its name and chunk array to the AllocSet's, where the next
 * handle finds them, so memory follows the largest number of handles live
 * at once, not the number ever made; a chunk array shrinks as its chunks
 * are freed, and when the last handle goes the registry is emptied.
 *
 * Consistency.  The registry is updated right after each palloc and right
 * before each pfree, and interrupts are checked between chunks, so an
 * ERROR or a cancel at any point leaves it describing exactly the chunks
 * that are live.  A context's name is kept in the registry because
 * PostgreSQL wants context names to outlive the context; it is freed only
 * after the context is deleted.
 *
 * Bounds (goalloc_regress.c): the chunks live through all handles of the
 * session count at most GOALLOC_REGRESS_MAX_LIVE; at most
 * GOALLOC_REGRESS_MAX_HANDLES handles are live, nested at most
 * GOALLOC_REGRESS_MAX_DEPTH deep.
 *
 * IDENTIFICATION
 *	  test/modules/goalloc_regress/handles.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/pg_prng.h"
#include "extension/goalloc/goalloc.h"
#include "funcapi.h"
#include "lib/ilist.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "goalloc_regress.h"

#define GOALLOC_REGRESS_MAX_HANDLES 10000
#define GOALLOC_REGRESS_MAX_DEPTH	100
#define GOALLOC_REGRESS_MAX_NAME	1024	/* bytes of a context name */

PG_FUNCTION_INFO_V1(goalloc_context_create);
PG_FUNCTION_INFO_V1(goalloc_context_reset);
PG_FUNCTION_INFO_V1(goalloc_context_delete);
PG_FUNCTION_INFO_V1(goalloc_handles);
PG_FUNCTION_INFO_V1(goalloc_alloc);
PG_FUNCTION_INFO_V1(goalloc_free);
PG_FUNCTION_INFO_V1(goalloc_realloc);
PG_FUNCTION_INFO_V1(goalloc_context_info);
PG_FUNCTION_INFO_V1(goalloc_regress_registry);

/* One live session context */
typedef struct HandleEntry
{
	int32		handle;			/* hash key */
	int32		parent;			/* 0 = under TopMemoryContext */
	int			depth;			/* 1 = under TopMemoryContext */
	MemoryContext cxt;
	char	   *name;			/* the context's name, in the registry */
	dlist_node	live_node;		/* in live_handles */
	dlist_node	sibling_node;	/* in the parent's children */
	dlist_head	children;
	GaChunkRef *chunks;			/* in the registry, NULL when maxchunks 0 */
	int64		nchunks;
	int64		maxchunks;
	int64		charge;			/* chunk_charge of the live chunks */
	Size		last_space;		/* GetMemoryChunkSpace of the last palloc */
} HandleEntry;

static MemoryContext registry_cxt = NULL;
static HTAB *handle_table = NULL;
static dlist_head live_handles = DLIST_STATIC_INIT(live_handles);
static int	nlive = 0;
static int32 next_handle = 1;
static int64 session_charge = 0;	/* sum of the live handles' charge */
static uint32 next_tag = 1;


/* ----------
 * The registry
 * ----------
 */

static void
registry_init(void)
{
	HASHCTL		ctl;

	if (handle_table != NULL)
		return;
	if (registry_cxt == NULL)
		registry_cxt = AllocSetContextCreate(TopMemoryContext,
											 "goalloc_regress handles",
											 ALLOCSET_DEFAULT_SIZES);
	ctl.keysize = sizeof(int32);
	ctl.entrysize = sizeof(HandleEntry);
	ctl.hcxt = registry_cxt;
	handle_table = hash_create("goalloc_regress handles", 64, &ctl,
							   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

static HandleEntry *
lookup_handle(int32 handle)
{
	HandleEntry *h = NULL;

	if (handle_table != NULL)
		h = (HandleEntry *) hash_search(handle_table, &handle, HASH_FIND, NULL);
	if (h == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("goalloc context handle %d does not exist", handle)));
	return h;
}

/*
 * charge_live
 *		ERROR unless the session's chunks may count delta bytes more.
 */
static void
charge_live(const char *func, int64 delta)
{
	if (delta > GOALLOC_REGRESS_MAX_LIVE - session_charge)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s would keep more than " INT64_FORMAT " bytes live in this session's goalloc_regress contexts",
						func, GOALLOC_REGRESS_MAX_LIVE),
				 errdetail("The live chunks count for " INT64_FORMAT " bytes now; each chunk counts as its size plus %d bytes.",
						   session_charge, GOALLOC_REGRESS_CHUNK_CHARGE),
				 errhint("Free chunks or delete contexts first.")));
}

/* Make room for n more remembered chunks of h. */
static void
reserve_chunks(HandleEntry *h, int64 n)
{
	int64		want = h->nchunks + n;
	int64		newmax;

	if (want <= h->maxchunks)
		return;
	newmax = Max(want, Max(h->maxchunks * 2, 16));
	if (h->chunks == NULL)
		h->chunks = (GaChunkRef *)
			MemoryContextAllocHuge(registry_cxt, (Size) newmax * sizeof(GaChunkRef));
	else
		h->chunks = (GaChunkRef *)
			repalloc_huge(h->chunks, (Size) newmax * sizeof(GaChunkRef));
	h->maxchunks = newmax;
}

/* Give back most of h's chunk array once three quarters of it are unused. */
static void
trim_chunks(HandleEntry *h)
{
	if (h->nchunks == 0 && h->chunks != NULL)
	{
		pfree(h->chunks);
		h->chunks = NULL;
		h->maxchunks = 0;
	}
	else if (h->maxchunks > 64 && h->nchunks < h->maxchunks / 4)
	{
		h->maxchunks = h->nchunks * 2;
		h->chunks = (GaChunkRef *)
			repalloc_huge(h->chunks, (Size) h->maxchunks * sizeof(GaChunkRef));
	}
}

/* Forget h's chunks (its context was reset or deleted). */
static void
forget_chunks(HandleEntry *h)
{
	session_charge -= h->charge;
	h->charge = 0;
	h->nchunks = 0;
	trim_chunks(h);
}

/*
 * collect_subtree
 *		h's descendants, parents before their children.  Iterative: the
 *		list is the queue.
 */
static List *
collect_subtree(HandleEntry *h)
{
	List	   *list = NIL;
	dlist_iter	iter;
	int			i;

	dlist_foreach(iter, &h->children)
		list = lappend(list, dlist_container(HandleEntry, sibling_node, iter.cur));
	for (i = 0; i < list_length(list); i++)
	{
		HandleEntry *c = (HandleEntry *) list_nth(list, i);

		dlist_foreach(iter, &c->children)
			list = lappend(list, dlist_container(HandleEntry, sibling_node, iter.cur));
	}
	return list;
}

/*
 * forget_handles
 *		Drop the entries of handles whose contexts are already deleted.
 *		dead lists parents before their children; each one's parent is in
 *		it too, or is still live.  Children go first, so that no entry is
 *		unlinked from a parent already removed.
 */
static void
forget_handles(List *dead)
{
	int			i;

	for (i = list_length(dead) - 1; i >= 0; i--)
	{
		HandleEntry *c = (HandleEntry *) list_nth(dead, i);
		int32		key = c->handle;

		Assert(dlist_is_empty(&c->children));
		forget_chunks(c);
		pfree(c->name);
		dlist_delete(&c->live_node);
		if (c->parent != 0)
			dlist_delete(&c->sibling_node);
		(void) hash_search(handle_table, &key, HASH_REMOVE, NULL);
		nlive--;
	}

	/* The last handle gone: start the registry afresh. */
	if (nlive == 0)
	{
		Assert(session_charge == 0 && dlist_is_empty(&live_handles));
		hash_destroy(handle_table);
		handle_table = NULL;
		MemoryContextReset(registry_cxt);
	}
}

/*
 * goalloc_context_create(name text, parent int DEFAULT NULL,
 *						  keep_bytes bigint DEFAULT NULL,
 *						  kind text DEFAULT 'goalloc') -> int
 *
 * kind 'aset' makes an AllocSet (default sizes) instead, for the tests of
 * goalloc.route: the same handles work on it, so chunks it got as an
 * AllocSet and chunks it got once adopted are checked alike.
 */
Datum
goalloc_context_create(PG_FUNCTION_ARGS)
{
	HandleEntry *parent = NULL;
	HandleEntry *volatile h = NULL;
	MemoryContext pcxt = TopMemoryContext;
	MemoryContext cxt;
	text	   *name_text;
	char	   *name;
	int32		handle = next_handle;
	bool		aset = false;

	if (!PG_ARGISNULL(3))
	{
		char	   *kind = text_to_cstring(PG_GETARG_TEXT_PP(3));

		if (strcmp(kind, "aset") == 0)
			aset = true;
		else if (strcmp(kind, "goalloc") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("context kind must be \"goalloc\" or \"aset\", not \"%s\"",
							kind)));
		if (aset && !PG_ARGISNULL(2))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("keep_bytes applies to goalloc contexts only")));
	}
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("context name must not be null")));
	name_text = PG_GETARG_TEXT_PP(0);
	if (VARSIZE_ANY_EXHDR(name_text) > GOALLOC_REGRESS_MAX_NAME)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("context name must be at most %d bytes",
						GOALLOC_REGRESS_MAX_NAME)));
	if (!PG_ARGISNULL(1))
	{
		parent = lookup_handle(PG_GETARG_INT32(1));
		pcxt = parent->cxt;
		if (parent->depth >= GOALLOC_REGRESS_MAX_DEPTH)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("goalloc_regress contexts may be nested at most %d deep",
							GOALLOC_REGRESS_MAX_DEPTH)));
	}
	if (!PG_ARGISNULL(2) &&
		(PG_GETARG_INT64(2) < 0 || PG_GETARG_INT64(2) > GOALLOC_REGRESS_MAX_LIVE))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("keep_bytes must be between 0 and " INT64_FORMAT,
						GOALLOC_REGRESS_MAX_LIVE)));
	if (nlive >= GOALLOC_REGRESS_MAX_HANDLES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a session may have at most %d goalloc_regress contexts",
						GOALLOC_REGRESS_MAX_HANDLES),
				 errhint("Delete contexts first.")));
	if (next_handle == PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("this session has used up its goalloc_regress handles"),
				 errhint("Reconnect.")));

	/* The entry first, so that nothing is left behind if this fails */
	registry_init();
	name = MemoryContextAlloc(registry_cxt, VARSIZE_ANY_EXHDR(name_text) + 1);
	text_to_cstring_buffer(name_text, name, VARSIZE_ANY_EXHDR(name_text) + 1);
	PG_TRY();
	{
		h = (HandleEntry *) hash_search(handle_table, &handle, HASH_ENTER, NULL);
		if (aset)
			cxt = AllocSetContextCreateInternal(pcxt, name,
												ALLOCSET_DEFAULT_SIZES);
		else if (PG_ARGISNULL(2))
			cxt = GoAllocContextCreate(pcxt, name);
		else
			cxt = GoAllocContextCreateExtended(pcxt, name,
											   (Size) PG_GETARG_INT64(2));
	}
	PG_CATCH();
	{
		if (h != NULL)
			(void) hash_search(handle_table, &handle, HASH_REMOVE, NULL);
		pfree(name);
		PG_RE_THROW();
	}
	PG_END_TRY();

	next_handle++;
	h->cxt = cxt;
	h->parent = parent ? parent->handle : 0;
	h->depth = parent ? parent->depth + 1 : 1;
	h->name = name;
	dlist_push_tail(&live_handles, &h->live_node);
	dlist_init(&h->children);
	if (parent)
		dlist_push_tail(&parent->children, &h->sibling_node);
	h->chunks = NULL;
	h->nchunks = 0;
	h->maxchunks = 0;
	h->charge = 0;
	h->last_space = 0;
	nlive++;

	PG_RETURN_INT32(handle);
}

/*
 * goalloc_context_reset(handle int): MemoryContextReset, which deletes the
 * child contexts first.
 */
Datum
goalloc_context_reset(PG_FUNCTION_ARGS)
{
	HandleEntry *h = lookup_handle(PG_GETARG_INT32(0));
	List	   *dead = collect_subtree(h);

	MemoryContextReset(h->cxt);
	forget_chunks(h);
	if (dead != NIL)
		forget_handles(dead);
	PG_RETURN_VOID();
}

/*
 * goalloc_context_delete(handle int): MemoryContextDelete, children first.
 */
Datum
goalloc_context_delete(PG_FUNCTION_ARGS)
{
	HandleEntry *h = lookup_handle(PG_GETARG_INT32(0));
	List	   *dead = collect_subtree(h);

	dead = lcons(h, dead);
	MemoryContextDelete(h->cxt);
	forget_handles(dead);
	PG_RETURN_VOID();
}

/*
 * goalloc_handles() -> setof int: the live session contexts, oldest first.
 */
Datum
goalloc_handles(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	dlist_iter	iter;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	dlist_foreach(iter, &live_handles)
	{
		HandleEntry *h = dlist_container(HandleEntry, live_node, iter.cur);
		Datum		value = Int32GetDatum(h->handle);
		bool		isnull = false;

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc,
							 &value, &isnull);
	}
	return (Datum) 0;
}

static Size
check_size_arg(int64 size)
{
	if (size < 0 || size > GOALLOC_REGRESS_MAX_LIVE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("size must be between 0 and " INT64_FORMAT " bytes",
						GOALLOC_REGRESS_MAX_LIVE)));
	return (Size) size;
}

static int64
check_count_arg(int32 count)
{
	if (count < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("count must not be negative")));
	return count;
}

/*
 * goalloc_alloc(handle int, size bigint, count int DEFAULT 1,
 *				 zero bool DEFAULT false) -> bigint
 *
 * Allocate count chunks of size bytes that stay live in the context, and
 * return the sum of their GetMemoryChunkSpace.  With zero, the chunks are
 * allocated with MCXT_ALLOC_ZERO and checked to be zero.
 */
Datum
goalloc_alloc(PG_FUNCTION_ARGS)
{
	HandleEntry *h = lookup_handle(PG_GETARG_INT32(0));
	Size		size = check_size_arg(PG_GETARG_INT64(1));
	int64		count = check_count_arg(PG_GETARG_INT32(2));
	bool		zero = PG_GETARG_BOOL(3);
	int			flags = alloc_flags_for(size, zero);
	int64		charge = chunk_charge(1, size);
	int64		space = 0;
	int64		i;

	charge_live("goalloc_alloc", chunk_charge(count, size));
	reserve_chunks(h, count);
	for (i = 0; i < count; i++)
	{
		char	   *p;
		GaChunkRef *ref;

		CHECK_FOR_INTERRUPTS();
		p = MemoryContextAllocExtended(h->cxt, size, flags);
		ref = &h->chunks[h->nchunks];
		ref->ptr = p;
		ref->size = size;
		ref->tag = next_tag++;
		h->nchunks++;
		h->charge += charge;
		session_charge += charge;

		if (zero && !all_zero(p, size))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("zeroed allocation of %zu bytes in goalloc context \"%s\" is not zero",
							size, h->name)));
		fill_pattern(p, 0, size, ref->tag);
		h->last_space = GetMemoryChunkSpace(p);
		space += h->last_space;
	}
	PG_RETURN_INT64(space);
}

static void
report_corruption(const char *cxtname, Size size)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("contents of a %zu-byte chunk in goalloc context \"%s\" were corrupted",
					size, cxtname)));
}

/*
 * goalloc_free(handle int, count int, seed int DEFAULT 0) -> bigint
 *
 * Free up to count remembered chunks in an order drawn from seed, checking
 * each one's contents first.  Returns how many were freed.
 */
Datum
goalloc_free(PG_FUNCTION_ARGS)
{
	HandleEntry *h = lookup_handle(PG_GETARG_INT32(0));
	int64		count = check_count_arg(PG_GETARG_INT32(1));
	pg_prng_state rng;
	int64		freed = 0;

	pg_prng_seed(&rng, (uint64) (uint32) PG_GETARG_INT32(2));
	while (freed < count && h->nchunks > 0)
	{
		int64		idx;
		GaChunkRef	ref;
		int64		charge;

		CHECK_FOR_INTERRUPTS();
		idx = (int64) pg_prng_uint64_range(&rng, 0, h->nchunks - 1);
		ref = h->chunks[idx];
		if (!check_pattern(ref.ptr, ref.size, ref.tag))
			report_corruption(h->name, ref.size);
		charge = chunk_charge(1, ref.size);
		h->chunks[idx] = h->chunks[--h->nchunks];
		h->charge -= charge;
		session_charge -= charge;
		pfree(ref.ptr);
		freed++;
	}
	trim_chunks(h);
	PG_RETURN_INT64(freed);
}

/*
 * goalloc_realloc(handle int, size bigint) -> bigint
 *
 * repalloc every remembered chunk to size bytes, checking that the common
 * prefix survives.  Returns the sum of their GetMemoryChunkSpace.
 */
Datum
goalloc_realloc(PG_FUNCTION_ARGS)
{
	HandleEntry *h = lookup_handle(PG_GETARG_INT32(0));
	Size		size = check_size_arg(PG_GETARG_INT64(1));
	int64		growth = 0;
	int64		space = 0;
	int64		i;

	/* At the worst moment every chunk that grows has grown, none shrunk */
	for (i = 0; i < h->nchunks; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (h->chunks[i].size < size)
			growth += (int64) (size - h->chunks[i].size);
	}
	charge_live("goalloc_realloc", growth);
	for (i = 0; i < h->nchunks; i++)
	{
		GaChunkRef *ref = &h->chunks[i];
		char	   *p;
		int64		delta = (int64) size - (int64) ref->size;

		CHECK_FOR_INTERRUPTS();
		if (!check_pattern(ref->ptr, ref->size, ref->tag))
			report_corruption(h->name, ref->size);
		if (size > MaxAllocSize || ref->size > MaxAllocSize)
			p = repalloc_huge(ref->ptr, size);
		else
			p = repalloc(ref->ptr, size);
		ref->ptr = p;
		if (!check_pattern(p, Min(size, ref->size), ref->tag))
			report_corruption(h->name, size);
		if (size > ref->size)
			fill_pattern(p, ref->size, size, ref->tag);
		ref->size = size;
		h->charge += delta;
		session_charge += delta;
		space += GetMemoryChunkSpace(p);
	}
	PG_RETURN_INT64(space);
}

/*
 * goalloc_context_info(handle int) -> record
 */
Datum
goalloc_context_info(PG_FUNCTION_ARGS)
{
	HandleEntry *h = lookup_handle(PG_GETARG_INT32(0));
	GoAllocContextStats cs;
	TupleDesc	tupdesc;
	Datum		values[13];
	bool		nulls[13];
	int64		live_bytes = 0;
	int64		space = 0;
	bool		contains = true;
	int64		i;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	for (i = 0; i < h->nchunks; i++)
	{
		GaChunkRef *ref = &h->chunks[i];

		CHECK_FOR_INTERRUPTS();
		live_bytes += ref->size;
		space += GetMemoryChunkSpace(ref->ptr);
		if (!MemoryContextContains(h->cxt, ref->ptr) ||
			GetMemoryChunkContext(ref->ptr) != h->cxt)
			contains = false;
	}
	(void) GoAllocContextGetStats(h->cxt, &cs);

	memset(nulls, 0, sizeof(nulls));
	values[0] = Int32GetDatum(h->handle);
	values[1] = CStringGetTextDatum(h->name);
	values[2] = Int32GetDatum(h->parent);
	nulls[2] = (h->parent == 0);
	values[3] = BoolGetDatum(cs.check);
	values[4] = Int64GetDatum(h->nchunks);
	values[5] = Int64GetDatum(live_bytes);
	values[6] = Int64GetDatum(space);
	values[7] = Int64GetDatum((int64) h->last_space);
	nulls[7] = (h->nchunks == 0);
	values[8] = Int64GetDatum((int64) h->cxt->mem_allocated);
	values[9] = Int64GetDatum((int64) MemoryContextMemAllocated(h->cxt, true));
	values[10] = BoolGetDatum(MemoryContextIsEmpty(h->cxt));
	values[11] = BoolGetDatum(contains);
	values[12] = BoolGetDatum(GoAllocContextIsGoAlloc(h->cxt));

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * goalloc_regress_registry() -> (handles, live_charge, registry_bytes)
 *
 * The live handles, what their chunks count for against the session bound,
 * and the memory the registry holds (its context's mem_allocated).
 */
Datum
goalloc_regress_registry(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {0};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = Int32GetDatum(nlive);
	values[1] = Int64GetDatum(session_charge);
	values[2] = Int64GetDatum(registry_cxt ?
							  (int64) MemoryContextMemAllocated(registry_cxt, true) : 0);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
