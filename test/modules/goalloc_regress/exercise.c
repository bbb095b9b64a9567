/*-------------------------------------------------------------------------
 *
 * exercise.c
 *	  goalloc_exercise: an allocation pattern run in a transient goalloc
 *	  context, every chunk's contents checked before it is freed.
 *
 * The context is made under CurrentMemoryContext and deleted at the end,
 * so an ERROR or a cancel in the middle leaves nothing behind: transaction
 * abort deletes it, and its spans go back to the heap.  Interrupts are
 * checked once per allocation and once per free.
 *
 * Bounds (goalloc_regress.c): each pattern keeps a known number of chunks
 * live at once (its working set); working set * (size_max + 32) must not
 * exceed GOALLOC_REGRESS_MAX_EXERCISE, which is checked before anything is
 * allocated, and count is at most GOALLOC_REGRESS_MAX_COUNT.
 *
 * IDENTIFICATION
 *	  test/modules/goalloc_regress/exercise.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/pg_prng.h"
#include "extension/goalloc/goalloc.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "goalloc_regress.h"

PG_FUNCTION_INFO_V1(goalloc_exercise);

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

	CHECK_FOR_INTERRUPTS();
	if (st->fail_after > 0 && st->mallocs == st->fail_after)
		ereport(ERROR,
				(errcode(ERRCODE_OPERATOR_INTERVENTION),
				 errmsg("goalloc_exercise: error injected after " INT64_FORMAT " allocations",
						st->mallocs)));
	ref->ptr = MemoryContextAllocExtended(cxt, size, alloc_flags_for(size, false));
	ref->size = size;
	ref->tag = st->tag++;
	st->mallocs++;
	fill_pattern(ref->ptr, 0, size, ref->tag);
	exercise_note_peak(st);
}

static void
exercise_free(ExerciseState *st, GaChunkRef *ref)
{
	CHECK_FOR_INTERRUPTS();
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
	if (count < 0 || count > GOALLOC_REGRESS_MAX_COUNT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("count must be between 0 and " INT64_FORMAT,
						GOALLOC_REGRESS_MAX_COUNT)));
	if (size_min < 0 || size_max < size_min || (Size) size_max > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sizes must satisfy 0 <= size_min <= size_max <= %zu",
						(Size) MaxAllocSize)));
	if (PG_GETARG_INT64(5) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("fail_after must not be negative")));

	/* The working set: how many chunks the pattern keeps live at once */
	if (strcmp(pattern, "churn") == 0)
		nrefs = Min(count, 1024);
	else if (strcmp(pattern, "pertuple") == 0)
		nrefs = 8;
	else if (strcmp(pattern, "build_free") == 0)
		nrefs = count;
	else if (strcmp(pattern, "grow") == 0)
		nrefs = Min(count, 64);
	else
	{
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown goalloc_exercise pattern \"%s\"", pattern),
				 errhint("Use churn, pertuple, build_free or grow.")));
		nrefs = 0;				/* keep compiler quiet */
	}
	if (chunk_charge(nrefs, size_max) > GOALLOC_REGRESS_MAX_EXERCISE)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("goalloc_exercise would keep more than " INT64_FORMAT " bytes live at once",
						GOALLOC_REGRESS_MAX_EXERCISE),
				 errdetail("Pattern %s keeps " INT64_FORMAT " chunks live, each counting as size_max plus %d bytes.",
						   pattern, nrefs, GOALLOC_REGRESS_CHUNK_CHARGE)));

	memset(&st, 0, sizeof(st));
	pg_prng_seed(&st.rng, (uint64) (uint32) PG_GETARG_INT32(4));
	st.fail_after = PG_GETARG_INT64(5);
	st.size_min = size_min;
	st.size_max = size_max;
	st.verified = true;
	st.tag = 1;

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
		}
		MemoryContextDelete(tuplecxt);
	}
	else if (strcmp(pattern, "build_free") == 0)
	{
		for (i = 0; i < count; i++)
			exercise_alloc(&st, st.cxt, &refs[i]);
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
