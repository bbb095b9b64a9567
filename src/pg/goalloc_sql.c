/*-------------------------------------------------------------------------
 *
 * goalloc_sql.c
 *	  SQL-callable functions that exercise goalloc contexts: for the tests
 *	  and for a curious user.
 *
 * Session contexts.  goalloc_context_create() makes a goalloc context under
 * TopMemoryContext (or under another session context) that lives until
 * goalloc_context_delete(), and names it by an integer handle.  Chunks
 * allocated by goalloc_alloc() stay live in it; their addresses, sizes and
 * a tag are remembered in a registry kept in an ordinary AllocSet, and
 * their contents are a pattern derived from the tag, verified whenever a
 * chunk is freed or resized.  The registry is updated right after each
 * palloc and right before each pfree, so an ERROR at any point leaves it
 * describing exactly the chunks that are live.
 *
 * Transient contexts.  goalloc_exercise(), goalloc_selftest() and
 * goalloc_misuse() work in contexts made under CurrentMemoryContext, so an
 * ERROR in the middle of them leaves nothing behind: transaction abort
 * deletes those contexts, and their spans go back to the heap.
 *
 * IDENTIFICATION
 *	  src/pg/goalloc_sql.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "common/pg_prng.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "goalloc_internal.h"

PG_FUNCTION_INFO_V1(goalloc_context_create);
PG_FUNCTION_INFO_V1(goalloc_context_reset);
PG_FUNCTION_INFO_V1(goalloc_context_delete);
PG_FUNCTION_INFO_V1(goalloc_handles);
PG_FUNCTION_INFO_V1(goalloc_alloc);
PG_FUNCTION_INFO_V1(goalloc_free);
PG_FUNCTION_INFO_V1(goalloc_realloc);
PG_FUNCTION_INFO_V1(goalloc_context_info);
PG_FUNCTION_INFO_V1(goalloc_exercise);
PG_FUNCTION_INFO_V1(goalloc_misuse);
PG_FUNCTION_INFO_V1(goalloc_selftest);

/* Limits of the SQL interface (the context itself takes any valid size) */
#define GOALLOC_SQL_MAX_SIZE	((int64) 4 << 30)	/* one chunk */
#define GOALLOC_SQL_MAX_TOTAL	((int64) 16 << 30)	/* one call, all chunks */
#define GOALLOC_SQL_MAX_COUNT	((int64) 100000000)

/* One remembered chunk */
typedef struct GaChunkRef
{
	char	   *ptr;
	Size		size;
	uint32		tag;
} GaChunkRef;

/* One session context */
typedef struct GaHandle
{
	int			handle;
	int			parent;			/* 0 = under TopMemoryContext */
	bool		live;
	MemoryContext cxt;
	char	   *name;			/* lives in the registry until deleted */
	GaChunkRef *chunks;
	int64		nchunks;
	int64		maxchunks;
	Size		last_space;		/* GetMemoryChunkSpace of the last palloc */
} GaHandle;

static MemoryContext registry_cxt = NULL;
static GaHandle **handles = NULL;
static int	nhandles = 0;
static int	maxhandles = 0;
static uint32 next_tag = 1;


/* ----------
 * Contents pattern
 * ----------
 */

static inline uint64
pattern_word(uint32 tag, Size word)
{
	uint64		x = ((uint64) tag << 32) ^ ((uint64) word * UINT64CONST(0x9E3779B97F4A7C15));

	x ^= x >> 29;
	return x;
}

/*
 * fill_pattern
 *		Write the pattern of tag into bytes [from, to) of a chunk.
 */
static void
fill_pattern(char *p, Size from, Size to, uint32 tag)
{
	Size		i = from;

	while (i < to && (i & 7) != 0)
	{
		uint64		w = pattern_word(tag, i >> 3);

		p[i] = (char) (w >> ((i & 7) * 8));
		i++;
	}
	for (; i + 8 <= to; i += 8)
	{
		uint64		w = pattern_word(tag, i >> 3);

		memcpy(p + i, &w, 8);
	}
	for (; i < to; i++)
	{
		uint64		w = pattern_word(tag, i >> 3);

		p[i] = (char) (w >> ((i & 7) * 8));
	}
}

/*
 * check_pattern
 *		Are bytes [0, len) of a chunk the pattern of tag?
 */
static bool
check_pattern(const char *p, Size len, uint32 tag)
{
	Size		i;

	for (i = 0; i + 8 <= len; i += 8)
	{
		uint64		w = pattern_word(tag, i >> 3);

		if (memcmp(p + i, &w, 8) != 0)
			return false;
	}
	for (; i < len; i++)
	{
		uint64		w = pattern_word(tag, i >> 3);

		if (p[i] != (char) (w >> ((i & 7) * 8)))
			return false;
	}
	return true;
}

static bool
all_zero(const char *p, Size len)
{
	Size		i;

	for (i = 0; i < len; i++)
		if (p[i] != 0)
			return false;
	return true;
}

static void
report_corruption(const char *cxtname, Size size)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("contents of a %zu-byte chunk in goalloc context \"%s\" were corrupted",
					size, cxtname)));
}


/* ----------
 * Argument checks
 * ----------
 */

static Size
check_size_arg(int64 size, const char *what)
{
	if (size < 0 || size > GOALLOC_SQL_MAX_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between 0 and " INT64_FORMAT " bytes",
						what, GOALLOC_SQL_MAX_SIZE)));
	return (Size) size;
}

static int64
check_count_arg(int64 count)
{
	if (count < 0 || count > GOALLOC_SQL_MAX_COUNT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("count must be between 0 and " INT64_FORMAT,
						GOALLOC_SQL_MAX_COUNT)));
	return count;
}

static void
check_total(int64 count, Size size)
{
	if (count > 0 && (int64) size > GOALLOC_SQL_MAX_TOTAL / count)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("count * size must not exceed " INT64_FORMAT " bytes",
						GOALLOC_SQL_MAX_TOTAL)));
}

static int
flags_for(Size size, bool zero)
{
	int			flags = 0;

	if (size > MaxAllocSize)
		flags |= MCXT_ALLOC_HUGE;
	if (zero)
		flags |= MCXT_ALLOC_ZERO;
	return flags;
}


/* ----------
 * The registry of session contexts
 * ----------
 */

static GaHandle *
lookup_handle(int handle)
{
	int			i;

	for (i = 0; i < nhandles; i++)
		if (handles[i]->live && handles[i]->handle == handle)
			return handles[i];
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("goalloc context handle %d does not exist", handle)));
	return NULL;				/* keep compiler quiet */
}

/* Make room for n more remembered chunks of h. */
static void
reserve_chunks(GaHandle *h, int64 n)
{
	int64		want = h->nchunks + n;
	int64		newmax;

	if (want <= h->maxchunks)
		return;
	newmax = Max(want, Max(h->maxchunks * 2, 16));
	h->chunks = (GaChunkRef *)
		repalloc_huge(h->chunks, (Size) newmax * sizeof(GaChunkRef));
	h->maxchunks = newmax;
}

/*
 * collect_subtree
 *		Append h's descendants to *list, deepest first.
 */
static List *
collect_subtree(GaHandle *h, List *list)
{
	int			i;

	for (i = 0; i < nhandles; i++)
	{
		GaHandle   *c = handles[i];

		if (c->live && c->parent == h->handle)
		{
			list = collect_subtree(c, list);
			list = lappend(list, c);
		}
	}
	return list;
}

/*
 * forget_handles
 *		Mark the handles of contexts already deleted dead, then free their
 *		registry memory (names had to outlive the contexts).
 */
static void
forget_handles(List *dead)
{
	ListCell   *lc;

	foreach(lc, dead)
	{
		GaHandle   *c = (GaHandle *) lfirst(lc);

		c->live = false;
		c->cxt = NULL;
		c->nchunks = 0;
	}
	foreach(lc, dead)
	{
		GaHandle   *c = (GaHandle *) lfirst(lc);

		pfree(c->chunks);
		c->chunks = NULL;
		c->maxchunks = 0;
		pfree(c->name);
		c->name = NULL;
	}
}

/*
 * goalloc_context_create(name text, parent int DEFAULT NULL,
 *						  keep_bytes bigint DEFAULT NULL) -> int
 */
Datum
goalloc_context_create(PG_FUNCTION_ARGS)
{
	MemoryContext parent = TopMemoryContext;
	int			parent_handle = 0;
	GaHandle   *h;
	MemoryContext oldcxt;
	char	   *name;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("context name must not be null")));
	if (!PG_ARGISNULL(1))
	{
		GaHandle   *p = lookup_handle(PG_GETARG_INT32(1));

		parent = p->cxt;
		parent_handle = p->handle;
	}
	if (!PG_ARGISNULL(2) &&
		(PG_GETARG_INT64(2) < 0 || PG_GETARG_INT64(2) > ((int64) 1 << 40)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("keep_bytes must be between 0 and 1 TB")));

	if (registry_cxt == NULL)
		registry_cxt = AllocSetContextCreate(TopMemoryContext,
											 "goalloc SQL registry",
											 ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(registry_cxt);
	if (nhandles == maxhandles)
	{
		int			newmax = Max(16, maxhandles * 2);

		if (handles == NULL)
			handles = palloc(newmax * sizeof(GaHandle *));
		else
			handles = repalloc(handles, newmax * sizeof(GaHandle *));
		maxhandles = newmax;
	}
	h = palloc0(sizeof(GaHandle));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	h->name = name;
	h->chunks = palloc(16 * sizeof(GaChunkRef));
	h->maxchunks = 16;
	MemoryContextSwitchTo(oldcxt);

	if (PG_ARGISNULL(2))
		h->cxt = GoAllocContextCreate(parent, h->name);
	else
		h->cxt = GoAllocContextCreateExtended(parent, h->name,
											  (Size) PG_GETARG_INT64(2));

	h->handle = nhandles + 1;
	h->parent = parent_handle;
	h->live = true;
	handles[nhandles++] = h;

	PG_RETURN_INT32(h->handle);
}

/*
 * goalloc_context_reset(handle int): MemoryContextReset, which deletes the
 * child contexts first.
 */
Datum
goalloc_context_reset(PG_FUNCTION_ARGS)
{
	GaHandle   *h = lookup_handle(PG_GETARG_INT32(0));
	List	   *dead = collect_subtree(h, NIL);

	MemoryContextReset(h->cxt);
	h->nchunks = 0;
	forget_handles(dead);
	PG_RETURN_VOID();
}

/*
 * goalloc_context_delete(handle int): MemoryContextDelete, children first.
 */
Datum
goalloc_context_delete(PG_FUNCTION_ARGS)
{
	GaHandle   *h = lookup_handle(PG_GETARG_INT32(0));
	List	   *dead = collect_subtree(h, NIL);

	dead = lappend(dead, h);
	MemoryContextDelete(h->cxt);
	forget_handles(dead);
	PG_RETURN_VOID();
}

/*
 * goalloc_handles() -> setof int: the live session contexts.
 */
Datum
goalloc_handles(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	for (i = 0; i < nhandles; i++)
	{
		Datum		value;
		bool		isnull = false;

		if (!handles[i]->live)
			continue;
		value = Int32GetDatum(handles[i]->handle);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc,
							 &value, &isnull);
	}
	return (Datum) 0;
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
	GaHandle   *h = lookup_handle(PG_GETARG_INT32(0));
	Size		size = check_size_arg(PG_GETARG_INT64(1), "size");
	int64		count = check_count_arg(PG_GETARG_INT32(2));
	bool		zero = PG_GETARG_BOOL(3);
	int			flags = flags_for(size, zero);
	int64		space = 0;
	int64		i;

	check_total(count, size);
	reserve_chunks(h, count);
	for (i = 0; i < count; i++)
	{
		char	   *p = MemoryContextAllocExtended(h->cxt, size, flags);
		GaChunkRef *ref = &h->chunks[h->nchunks];

		ref->ptr = p;
		ref->size = size;
		ref->tag = next_tag++;
		h->nchunks++;

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

/*
 * goalloc_free(handle int, count int, seed int DEFAULT 0) -> bigint
 *
 * Free up to count remembered chunks in an order drawn from seed, checking
 * each one's contents first.  Returns how many were freed.
 */
Datum
goalloc_free(PG_FUNCTION_ARGS)
{
	GaHandle   *h = lookup_handle(PG_GETARG_INT32(0));
	int64		count = check_count_arg(PG_GETARG_INT32(1));
	pg_prng_state rng;
	int64		freed = 0;

	pg_prng_seed(&rng, (uint64) (uint32) PG_GETARG_INT32(2));
	while (freed < count && h->nchunks > 0)
	{
		int64		idx = (int64) pg_prng_uint64_range(&rng, 0, h->nchunks - 1);
		GaChunkRef	ref = h->chunks[idx];

		if (!check_pattern(ref.ptr, ref.size, ref.tag))
			report_corruption(h->name, ref.size);
		h->chunks[idx] = h->chunks[--h->nchunks];
		pfree(ref.ptr);
		freed++;
	}
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
	GaHandle   *h = lookup_handle(PG_GETARG_INT32(0));
	Size		size = check_size_arg(PG_GETARG_INT64(1), "size");
	int64		space = 0;
	int64		i;

	check_total(h->nchunks, size);
	for (i = 0; i < h->nchunks; i++)
	{
		GaChunkRef *ref = &h->chunks[i];
		char	   *p;

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
	GaHandle   *h = lookup_handle(PG_GETARG_INT32(0));
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

		live_bytes += ref->size;
		space += GetMemoryChunkSpace(ref->ptr);
		if (!MemoryContextContains(h->cxt, ref->ptr) ||
			GetMemoryChunkContext(ref->ptr) != h->cxt)
			contains = false;
	}

	memset(nulls, 0, sizeof(nulls));
	values[0] = Int32GetDatum(h->handle);
	values[1] = CStringGetTextDatum(h->name);
	values[2] = Int32GetDatum(h->parent);
	nulls[2] = (h->parent == 0);
	values[3] = BoolGetDatum(((GoAllocContext *) h->cxt)->check);
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


/* ----------
 * goalloc_exercise
 * ----------
 */

typedef struct ExerciseState
{
	MemoryContext cxt;
	pg_prng_state rng;
	int64		mallocs;
	int64		frees;
	int64		fail_after;
	Size		size_min;
	Size		size_max;
	Size		peak;
	bool		verified;
	uint32		tag;
} ExerciseState;

static void
exercise_note_peak(ExerciseState *st)
{
	Size		m = MemoryContextMemAllocated(st->cxt, true);

	if (m > st->peak)
		st->peak = m;
}

/* palloc one chunk of random size in cxt, filled with a fresh pattern */
static void
exercise_alloc(ExerciseState *st, MemoryContext cxt, GaChunkRef *ref)
{
	Size		size = (Size) pg_prng_uint64_range(&st->rng, st->size_min,
												   st->size_max);

	if (st->fail_after > 0 && st->mallocs == st->fail_after)
		ereport(ERROR,
				(errcode(ERRCODE_OPERATOR_INTERVENTION),
				 errmsg("goalloc_exercise: error injected after " INT64_FORMAT " allocations",
						st->mallocs)));
	ref->ptr = MemoryContextAllocExtended(cxt, size, flags_for(size, false));
	ref->size = size;
	ref->tag = st->tag++;
	st->mallocs++;
	fill_pattern(ref->ptr, 0, size, ref->tag);
	exercise_note_peak(st);
}

static void
exercise_free(ExerciseState *st, GaChunkRef *ref)
{
	if (!check_pattern(ref->ptr, ref->size, ref->tag))
		st->verified = false;
	pfree(ref->ptr);
	ref->ptr = NULL;
	st->frees++;
}

/*
 * goalloc_exercise(pattern text, count bigint, size_min int, size_max int,
 *					seed int DEFAULT 0, fail_after bigint DEFAULT 0)
 *	  -> (mallocs, frees, peak_mem_allocated, final_mem_allocated, verified)
 *
 * Run an allocation pattern of count allocations in a fresh goalloc context
 * that is deleted at the end:
 *	churn		a working set of up to 1024 chunks, each step replacing a
 *				random live chunk with a new one
 *	pertuple	1-8 chunks per "tuple" in a child context reset per tuple
 *	build_free	allocate all count chunks, then free them in random order
 *	grow		chunks that start at size_min and repalloc to double size
 *				up to size_max, 64 alive at a time
 * fail_after > 0 raises an ERROR after that many allocations.
 */
Datum
goalloc_exercise(PG_FUNCTION_ARGS)
{
	char	   *pattern = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int64		count = PG_GETARG_INT64(1);
	int32		size_min = PG_GETARG_INT32(2);
	int32		size_max = PG_GETARG_INT32(3);
	ExerciseState st;
	GaChunkRef *refs;
	int64		nrefs;
	int64		i;
	Size		final_mem;
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {0};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (count < 0 || count > GOALLOC_SQL_MAX_COUNT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("count must be between 0 and " INT64_FORMAT,
						GOALLOC_SQL_MAX_COUNT)));
	if (size_min < 0 || size_max < size_min || (Size) size_max > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sizes must satisfy 0 <= size_min <= size_max <= %zu",
						(Size) MaxAllocSize)));
	if (PG_GETARG_INT64(5) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("fail_after must not be negative")));

	memset(&st, 0, sizeof(st));
	pg_prng_seed(&st.rng, (uint64) (uint32) PG_GETARG_INT32(4));
	st.fail_after = PG_GETARG_INT64(5);
	st.size_min = size_min;
	st.size_max = size_max;
	st.verified = true;
	st.tag = 1;

	if (strcmp(pattern, "churn") == 0)
	{
		nrefs = Min(count, 1024);
		check_total(nrefs, size_max);
	}
	else if (strcmp(pattern, "pertuple") == 0)
	{
		nrefs = 8;
		check_total(nrefs, size_max);
	}
	else if (strcmp(pattern, "build_free") == 0)
	{
		nrefs = count;
		check_total(nrefs, size_max);
	}
	else if (strcmp(pattern, "grow") == 0)
	{
		nrefs = Min(count, 64);
		check_total(nrefs, size_max);
	}
	else
	{
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown goalloc_exercise pattern \"%s\"", pattern),
				 errhint("Use churn, pertuple, build_free or grow.")));
		nrefs = 0;				/* keep compiler quiet */
	}

	/* The context goes away with the transaction if anything fails. */
	st.cxt = GoAllocContextCreate(CurrentMemoryContext, "goalloc_exercise");
	refs = palloc_extended(Max(nrefs, 1) * sizeof(GaChunkRef),
						   MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);

	if (strcmp(pattern, "churn") == 0)
	{
		for (i = 0; i < nrefs; i++)
			exercise_alloc(&st, st.cxt, &refs[i]);
		for (i = nrefs; i < count; i++)
		{
			int64		k = (int64) pg_prng_uint64_range(&st.rng, 0, nrefs - 1);

			exercise_free(&st, &refs[k]);
			exercise_alloc(&st, st.cxt, &refs[k]);
			CHECK_FOR_INTERRUPTS();
		}
		for (i = 0; i < nrefs; i++)
			exercise_free(&st, &refs[i]);
	}
	else if (strcmp(pattern, "pertuple") == 0)
	{
		MemoryContext tuplecxt;

		tuplecxt = GoAllocContextCreateExtended(st.cxt, "goalloc_exercise tuple",
												8192);
		while (st.mallocs < count)
		{
			int64		n = (int64) pg_prng_uint64_range(&st.rng, 1, 8);

			n = Min(n, count - st.mallocs);
			for (i = 0; i < n; i++)
				exercise_alloc(&st, tuplecxt, &refs[i]);
			for (i = 0; i < n; i++)
				if (!check_pattern(refs[i].ptr, refs[i].size, refs[i].tag))
					st.verified = false;
			MemoryContextReset(tuplecxt);
			st.frees += n;
			CHECK_FOR_INTERRUPTS();
		}
		MemoryContextDelete(tuplecxt);
	}
	else if (strcmp(pattern, "build_free") == 0)
	{
		for (i = 0; i < count; i++)
		{
			exercise_alloc(&st, st.cxt, &refs[i]);
			CHECK_FOR_INTERRUPTS();
		}
		for (i = count; i > 0; i--)
		{
			int64		k = (int64) pg_prng_uint64_range(&st.rng, 0, i - 1);
			GaChunkRef	tmp = refs[k];

			exercise_free(&st, &tmp);
			refs[k] = refs[i - 1];
		}
	}
	else						/* grow */
	{
		int64		done = 0;

		while (done < count)
		{
			int64		n = Min(nrefs, count - done);

			for (i = 0; i < n; i++)
			{
				GaChunkRef *ref = &refs[i];

				exercise_alloc(&st, st.cxt, ref);
				while (ref->size < (Size) size_max)
				{
					Size		newsize = Min((Size) size_max,
											  Max(ref->size * 2, (Size) 8));

					ref->ptr = repalloc(ref->ptr, newsize);
					if (!check_pattern(ref->ptr, ref->size, ref->tag))
						st.verified = false;
					fill_pattern(ref->ptr, ref->size, newsize, ref->tag);
					ref->size = newsize;
					exercise_note_peak(&st);
				}
			}
			for (i = 0; i < n; i++)
				exercise_free(&st, &refs[i]);
			done += n;
			CHECK_FOR_INTERRUPTS();
		}
	}

	final_mem = MemoryContextMemAllocated(st.cxt, true);
	if (!MemoryContextIsEmpty(st.cxt))
		st.verified = false;
	MemoryContextDelete(st.cxt);
	pfree(refs);

	values[0] = Int64GetDatum(st.mallocs);
	values[1] = Int64GetDatum(st.frees);
	values[2] = Int64GetDatum((int64) st.peak);
	values[3] = Int64GetDatum((int64) final_mem);
	values[4] = BoolGetDatum(st.verified);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}


/* ----------
 * goalloc_misuse
 * ----------
 */

/*
 * While goalloc_misuse runs, the check WARNINGs are captured here instead of
 * going to the client, with the chunk address replaced by <addr>, so that
 * the function can return them and test output stays deterministic.  The
 * buffer is static: the hook runs inside error reporting and must not
 * allocate.
 */
static emit_log_hook_type prev_emit_log_hook = NULL;
static char captured[512];

static void
misuse_emit_log_hook(ErrorData *edata)
{
	if (edata->elevel == WARNING && edata->message != NULL &&
		strncmp(edata->message, "detected write past chunk end", 29) == 0 &&
		captured[0] == '\0')
	{
		const char *m = edata->message;
		Size		n = 0;

		while (*m && n < sizeof(captured) - 8)
		{
			if (m[0] == '0' && m[1] == 'x')
			{
				memcpy(captured + n, "<addr>", 6);
				n += 6;
				m += 2;
				while (isxdigit((unsigned char) *m))
					m++;
				continue;
			}
			captured[n++] = *m++;
		}
		captured[n] = '\0';
		edata->output_to_client = false;
	}
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

/*
 * goalloc_misuse(kind text) -> text
 *
 * Deliberately misuse a goalloc context made for the purpose under
 * CurrentMemoryContext, so that tests can check what happens:
 *	not_in_heap			pfree of a pointer outside the heap
 *	double_free			pfree twice
 *	interior			pfree of a pointer inside a chunk
 *	wrong_context		pfree of another goalloc context's chunk through this
 *						context
 *	not_allocated		free of a pointer into pages already given back
 *	repalloc_freed		repalloc after pfree
 *	repalloc_interior	repalloc of a pointer inside a chunk
 *	overrun				write one byte past the requested size, then pfree
 *	overrun_repalloc	the same, then repalloc
 *	overrun_reset		the same, then reset the context
 *	wipe				pfree, then look at the freed bytes: 'wiped' if all
 *						are 0x7F (goalloc.check), 'not wiped' otherwise
 * The error kinds raise an ERROR; the others return 'done', the answer, or
 * the text of the check WARNING that was raised (not sent to the client).
 */
Datum
goalloc_misuse(PG_FUNCTION_ARGS)
{
	char	   *kind = text_to_cstring(PG_GETARG_TEXT_PP(0));
	MemoryContext cxt;
	MemoryContext other;
	char	   *p;
	char	   *q;
	const char *result = "done";

	cxt = GoAllocContextCreate(CurrentMemoryContext, "goalloc_misuse");
	captured[0] = '\0';

	if (strcmp(kind, "not_in_heap") == 0)
	{
		/* a fake chunk in ordinary memory that claims to be ours */
		char	   *fake = palloc0(64);

		*(MemoryContext *) (fake + 8) = cxt;
		pfree(fake + 16);
	}
	else if (strcmp(kind, "double_free") == 0)
	{
		p = MemoryContextAlloc(cxt, 100);
		q = MemoryContextAlloc(cxt, 100);	/* keeps the span in use */
		pfree(p);
		pfree(p);
		pfree(q);
	}
	else if (strcmp(kind, "interior") == 0)
	{
		p = MemoryContextAlloc(cxt, 100);
		*(MemoryContext *) (p + 16) = cxt;
		pfree(p + 24);
	}
	else if (strcmp(kind, "wrong_context") == 0)
	{
		other = GoAllocContextCreate(CurrentMemoryContext, "goalloc_misuse other");
		p = MemoryContextAlloc(other, 100);
		*(MemoryContext *) (p - sizeof(void *)) = cxt;
		pfree(p);
	}
	else if (strcmp(kind, "not_allocated") == 0)
	{
		/* a large chunk whose pages went back to the heap */
		p = MemoryContextAlloc(cxt, 100000);
		pfree(p);
		cxt->methods->free_p(cxt, p);
	}
	else if (strcmp(kind, "repalloc_freed") == 0)
	{
		p = MemoryContextAlloc(cxt, 100);
		q = MemoryContextAlloc(cxt, 100);
		pfree(p);
		p = repalloc(p, 200);
		pfree(q);
	}
	else if (strcmp(kind, "repalloc_interior") == 0)
	{
		p = MemoryContextAlloc(cxt, 100);
		*(MemoryContext *) (p + 16) = cxt;
		p = repalloc(p + 24, 200);
	}
	else if (strcmp(kind, "overrun") == 0 ||
			 strcmp(kind, "overrun_repalloc") == 0 ||
			 strcmp(kind, "overrun_reset") == 0)
	{
		p = MemoryContextAlloc(cxt, 10);
		p[10] = 'x';
		prev_emit_log_hook = emit_log_hook;
		emit_log_hook = misuse_emit_log_hook;
		PG_TRY();
		{
			if (strcmp(kind, "overrun") == 0)
				pfree(p);
			else if (strcmp(kind, "overrun_repalloc") == 0)
				pfree(repalloc(p, 20000));
			else
				MemoryContextReset(cxt);
		}
		PG_FINALLY();
		{
			emit_log_hook = prev_emit_log_hook;
		}
		PG_END_TRY();
		if (captured[0] != '\0')
			result = captured;
	}
	else if (strcmp(kind, "wipe") == 0)
	{
		Size		usable;
		Size		i;

		p = MemoryContextAlloc(cxt, 100);
		q = MemoryContextAlloc(cxt, 100);	/* keeps the span in use */
		memset(p, 0xAA, 100);
		usable = GetMemoryChunkSpace(p) - ((GoAllocContext *) cxt)->owner.hdr;
		pfree(p);
		result = "wiped";
		for (i = 0; i < usable; i++)
			if ((unsigned char) p[i] != 0x7F)
				result = "not wiped";
		pfree(q);
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown goalloc_misuse kind \"%s\"", kind)));

	MemoryContextDelete(cxt);
	PG_RETURN_TEXT_P(cstring_to_text(result));
}


/* ----------
 * goalloc_selftest
 * ----------
 */

typedef struct SelfTest
{
	ReturnSetInfo *rsinfo;
	int			failed;
} SelfTest;

static void
selftest_report(SelfTest *t, const char *name, bool ok, const char *detail)
{
	Datum		values[3];
	bool		nulls[3] = {0};

	values[0] = CStringGetTextDatum(name);
	values[1] = BoolGetDatum(ok);
	values[2] = CStringGetTextDatum(detail);
	if (!ok)
		t->failed++;
	tuplestore_putvalues(t->rsinfo->setResult, t->rsinfo->setDesc,
						 values, nulls);
}

/* Reset callback that appends its arg to a StringInfo */
typedef struct CallbackNote
{
	MemoryContextCallback cb;
	StringInfo	log;
	const char *what;
} CallbackNote;

static void
note_callback(void *arg)
{
	CallbackNote *n = (CallbackNote *) arg;

	appendStringInfo(n->log, "%s%s", n->log->len > 0 ? "," : "", n->what);
}

static void
add_callback(MemoryContext cxt, StringInfo log, const char *what)
{
	CallbackNote *n = palloc(sizeof(CallbackNote));

	n->log = log;
	n->what = what;
	n->cb.func = note_callback;
	n->cb.arg = n;
	MemoryContextRegisterResetCallback(cxt, &n->cb);
}

/*
 * goalloc_selftest() -> setof (test text, ok bool, detail text)
 *
 * The operations of the memory-context API on goalloc contexts, each
 * checked against what PostgreSQL documents for AllocSet.  Details are
 * deterministic (sizes, never addresses).
 */
Datum
goalloc_selftest(PG_FUNCTION_ARGS)
{
	SelfTest	t;
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext cxt;
	MemoryContext child;
	MemoryContext other;
	StringInfoData buf;
	StringInfoData log;
	char	   *p;
	char	   *q;
	bool		ok;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	t.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	t.failed = 0;
	initStringInfo(&buf);
	initStringInfo(&log);

	cxt = GoAllocContextCreateExtended(outer, "goalloc_selftest", 0);

	/* identity */
	ok = GoAllocContextIsGoAlloc(cxt) && !GoAllocContextIsGoAlloc(outer) &&
		IsA(cxt, AllocSetContext) && cxt->mem_allocated == 0 &&
		MemoryContextIsEmpty(cxt);
	selftest_report(&t, "create", ok,
					"goalloc, tagged AllocSet, empty, mem_allocated 0");

	/* palloc(0) */
	p = MemoryContextAlloc(cxt, 0);
	resetStringInfo(&buf);
	appendStringInfo(&buf, "chunk space %zu", GetMemoryChunkSpace(p));
	p = repalloc(p, 100);
	memset(p, 1, 100);
	ok = p != NULL && GetMemoryChunkContext(p) == cxt;
	pfree(p);
	selftest_report(&t, "palloc(0)", ok && MemoryContextIsEmpty(cxt),
					buf.data);

	/* palloc0 and MCXT_ALLOC_ZERO hand out zeros even on reused memory */
	for (i = 0; i < 100; i++)
		memset(MemoryContextAlloc(cxt, 200), 0x55, 200);
	MemoryContextReset(cxt);
	ok = true;
	for (i = 0; i < 100; i++)
	{
		p = (i & 1) ? MemoryContextAllocZero(cxt, 200) :
			MemoryContextAllocExtended(cxt, 200, MCXT_ALLOC_ZERO);
		ok = ok && all_zero(p, 200);
	}
	MemoryContextReset(cxt);
	selftest_report(&t, "palloc0", ok, "200-byte chunks zeroed after reuse");

	/* repalloc grow and shrink keeps contents, small <-> large */
	p = MemoryContextAlloc(cxt, 50);
	fill_pattern(p, 0, 50, 7);
	p = repalloc(p, 5000);
	ok = check_pattern(p, 50, 7);
	fill_pattern(p, 0, 5000, 7);
	p = repalloc(p, 300000);
	ok = ok && check_pattern(p, 5000, 7);
	fill_pattern(p, 0, 300000, 7);
	p = repalloc(p, 70000);
	ok = ok && check_pattern(p, 70000, 7) &&
		GetMemoryChunkSpace(p) == 73728;
	p = repalloc(p, 20);
	ok = ok && check_pattern(p, 20, 7) && GetMemoryChunkContext(p) == cxt &&
		MemoryContextContains(cxt, p);
	resetStringInfo(&buf);
	appendStringInfo(&buf, "50 -> 5000 -> 300000 -> 70000 (space %zu) -> 20",
					 (Size) 73728);
	pfree(p);
	selftest_report(&t, "repalloc", ok, buf.data);

	/* large chunk: shrinking gives pages back */
	{
		Size		before;
		Size		after;

		MemoryContextReset(cxt);	/* keep 0: holds nothing now */
		p = MemoryContextAlloc(cxt, 800000);
		before = cxt->mem_allocated;
		p = repalloc(p, 100000);
		after = cxt->mem_allocated;
		resetStringInfo(&buf);
		appendStringInfo(&buf, "mem_allocated %zu -> %zu", before, after);
		pfree(p);
		selftest_report(&t, "repalloc large shrink",
						before == 98 * 8192 && after == 13 * 8192 &&
						cxt->mem_allocated == 0, buf.data);
	}

	/* MemoryContextAllocHuge and repalloc_huge: 1 GB and beyond */
	{
		Size		gb = (Size) 1 << 30;
		Size		space;
		Size		m1;

		MemoryContextReset(cxt);
		p = MemoryContextAllocHuge(cxt, gb);
		space = GetMemoryChunkSpace(p);
		m1 = cxt->mem_allocated;
		p[0] = 1;
		p[gb - 1] = 2;
		p = repalloc_huge(p, gb + gb / 2);
		ok = p[0] == 1 && p[gb - 1] == 2 &&
			GetMemoryChunkSpace(p) >= gb + gb / 2 + 8;
		p[gb + gb / 2 - 1] = 3;
		p = repalloc_huge(p, 4096);
		ok = ok && p[0] == 1 && GetMemoryChunkSpace(p) <= 8192;
		resetStringInfo(&buf);
		appendStringInfo(&buf, "1 GB chunk space %zu, mem_allocated %zu", space, m1);
		pfree(p);
		p = MemoryContextAllocExtended(cxt, gb, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
		ok = ok && p != NULL && space == gb + 8192 && m1 == space;
		pfree(p);
		/* only the small span of the 4096-byte chunk may remain */
		selftest_report(&t, "huge", ok && cxt->mem_allocated < 65536, buf.data);
	}

	/* MCXT_ALLOC_NO_OOM past the heap limit returns NULL */
	{
		ga_heap_stats hs;
		ga_heap    *heap = goalloc_backend_heap(false);

		ga_heap_read_stats(heap, &hs);
		ga_heap_set_limit(heap, hs.heap_sys + ((Size) 1 << 20));
		PG_TRY();
		{
			p = MemoryContextAllocExtended(cxt, (Size) 256 << 20,
										   MCXT_ALLOC_NO_OOM);
			q = MemoryContextAllocExtended(cxt, 1000, MCXT_ALLOC_NO_OOM);
		}
		PG_FINALLY();
		{
			ga_heap_set_limit(heap, (size_t) goalloc_heap_limit_kb * 1024);
		}
		PG_END_TRY();
		ok = p == NULL && q != NULL;
		if (q)
			pfree(q);
		selftest_report(&t, "no_oom", ok,
						"256 MB past the limit: NULL; 1000 bytes: fine");
	}

	/* reset: callbacks, children deleted, memory back */
	child = GoAllocContextCreate(cxt, "goalloc_selftest child");
	resetStringInfo(&log);
	add_callback(cxt, &log, "parent");
	add_callback(child, &log, "child");
	for (i = 0; i < 1000; i++)
	{
		(void) MemoryContextAlloc(cxt, 64);
		(void) MemoryContextAlloc(child, 64);
	}
	ok = cxt->mem_allocated > 0 && !MemoryContextIsEmpty(cxt);
	MemoryContextReset(cxt);
	ok = ok && cxt->firstchild == NULL && cxt->mem_allocated == 0 &&
		MemoryContextIsEmpty(cxt) && cxt->isReset;
	selftest_report(&t, "reset", ok, log.data);

	/* ResetOnly keeps children */
	child = GoAllocContextCreate(cxt, "goalloc_selftest child");
	(void) MemoryContextAlloc(cxt, 64);
	(void) MemoryContextAlloc(child, 64);
	MemoryContextResetOnly(cxt);
	ok = cxt->firstchild == child && cxt->mem_allocated == 0 &&
		!MemoryContextIsEmpty(cxt) && child->mem_allocated > 0;
	MemoryContextResetChildren(cxt);
	ok = ok && child->mem_allocated <= GA_DEFAULT_KEEP;
	MemoryContextDelete(child);
	selftest_report(&t, "reset only", ok,
					"children kept; MemoryContextResetChildren resets them");

	/* delete: children first, callbacks, SetParent */
	other = GoAllocContextCreate(outer, "goalloc_selftest other");
	child = GoAllocContextCreate(other, "goalloc_selftest child");
	resetStringInfo(&log);
	add_callback(other, &log, "parent");
	add_callback(child, &log, "child");
	(void) MemoryContextAlloc(child, 10);
	MemoryContextDelete(other);
	selftest_report(&t, "delete", strcmp(log.data, "child,parent") == 0,
					log.data);

	other = GoAllocContextCreate(outer, "goalloc_selftest other");
	child = GoAllocContextCreate(outer, "goalloc_selftest moved");
	resetStringInfo(&log);
	add_callback(child, &log, "moved");
	p = MemoryContextAlloc(child, 10);
	MemoryContextSetParent(child, other);
	ok = child->parent == other && other->firstchild == child &&
		MemoryContextMemAllocated(other, true) == child->mem_allocated &&
		MemoryContextMemAllocated(other, false) == 0;
	MemoryContextDelete(other);
	selftest_report(&t, "set parent", ok && strcmp(log.data, "moved") == 0,
					log.data);

	/* MemoryContextContains and GetMemoryChunkContext */
	other = GoAllocContextCreate(outer, "goalloc_selftest other");
	p = MemoryContextAlloc(cxt, 40);
	q = MemoryContextAlloc(other, 40);
	ok = MemoryContextContains(cxt, p) && !MemoryContextContains(cxt, q) &&
		MemoryContextContains(other, q) && GetMemoryChunkContext(q) == other;
	MemoryContextDelete(other);
	pfree(p);
	selftest_report(&t, "contains", ok, "own chunk yes, other's chunk no");

	/* GetMemoryChunkSpace is the size-class slot */
	{
		static const Size req[] = {0, 7, 8, 9, 100, 1016, 1017, 32760, 32761, 32768, 32769};
		static const Size want[] = {16, 16, 16, 24, 112, 1024, 1152, 32768, 40960, 40960, 40960};

		ok = true;
		resetStringInfo(&buf);
		for (i = 0; i < lengthof(req); i++)
		{
			Size		s;

			p = MemoryContextAlloc(cxt, req[i]);
			s = GetMemoryChunkSpace(p);
			appendStringInfo(&buf, "%s%zu:%zu", i > 0 ? " " : "", req[i], s);
			ok = ok && s == want[i];
			pfree(p);
		}
		selftest_report(&t, "chunk space", ok, buf.data);
	}

	/* mem_allocated exact: pages of the context's spans, always */
	{
		char	  **ptrs = palloc(5000 * sizeof(char *));
		ga_owner_stats os;
		pg_prng_state rng;

		pg_prng_seed(&rng, 42);
		ok = true;
		for (i = 0; i < 5000; i++)
		{
			ptrs[i] = MemoryContextAlloc(cxt, pg_prng_uint64_range(&rng, 1, 40000));
			ga_owner_read_stats(&((GoAllocContext *) cxt)->owner, &os);
			ok = ok && os.span_bytes == cxt->mem_allocated &&
				cxt->mem_allocated % 8192 == 0;
		}
		for (i = 0; i < 5000; i += 2)
		{
			pfree(ptrs[i]);
			ga_owner_read_stats(&((GoAllocContext *) cxt)->owner, &os);
			ok = ok && os.span_bytes == cxt->mem_allocated;
		}
		MemoryContextReset(cxt);
		pfree(ptrs);
		selftest_report(&t, "mem_allocated", ok && cxt->mem_allocated == 0,
						"equals the pages of the context's spans after every call");
	}

	/* PostgreSQL's own structures in a goalloc context */
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);
		List	   *list = NIL;
		StringInfoData s;
		int64		sum = 0;
		ListCell   *lc;

		initStringInfo(&s);
		for (i = 0; i < 10000; i++)
		{
			list = lappend_int(list, i);
			appendStringInfo(&s, "%d,", i);
		}
		foreach(lc, list)
			sum += lfirst_int(lc);
		list_free(list);
		MemoryContextSwitchTo(old);
		resetStringInfo(&buf);
		appendStringInfo(&buf, "list sum " INT64_FORMAT ", string %d bytes",
						 sum, s.len);
		ok = sum == 49995000 && s.len == 48890 &&
			GetMemoryChunkContext(s.data) == cxt;
		pfree(s.data);
		selftest_report(&t, "list and stringinfo", ok, buf.data);
	}

	/* stats (printing to the server log) */
	MemoryContextStatsDetail(cxt, 10, false);
	MemoryContextReset(cxt);
	{
		MemoryContextCounters c;

		memset(&c, 0, sizeof(c));
		p = MemoryContextAlloc(cxt, 100);
		cxt->methods->stats(cxt, NULL, NULL, &c, false);
		ok = c.totalspace == cxt->mem_allocated && c.nblocks == 1 &&
			c.totalspace - c.freespace == 112 && c.freechunks == 8192 / 112 - 1;
		pfree(p);
		selftest_report(&t, "stats", ok,
						"one 100-byte chunk: 1 span, 112 used, 72 free slots");
	}

	/* many contexts share the heap */
	{
		MemoryContext *many = palloc(2000 * sizeof(MemoryContext));
		ga_heap_stats before;
		ga_heap_stats after;

		ga_heap_read_stats(goalloc_backend_heap(false), &before);
		for (i = 0; i < 2000; i++)
		{
			many[i] = GoAllocContextCreateExtended(i == 0 ? cxt : many[i / 2],
												   "goalloc_selftest many", 0);
			(void) MemoryContextAlloc(many[i], 24 + i);
		}
		MemoryContextDelete(many[0]);
		ga_heap_read_stats(goalloc_backend_heap(false), &after);
		resetStringInfo(&buf);
		appendStringInfo(&buf, "2000 contexts in a tree; owners %zu -> %zu",
						 (Size) before.nowners, (Size) after.nowners);
		selftest_report(&t, "many contexts",
						after.nowners == before.nowners &&
						after.heap_objects == before.heap_objects,
						buf.data);
		pfree(many);
	}

	MemoryContextDelete(cxt);
	return (Datum) 0;
}
