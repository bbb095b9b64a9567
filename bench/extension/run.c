/*-------------------------------------------------------------------------
 *
 * run.c
 *	  The harness of the goalloc_bench extension: one allocator over one
 *	  workload or trace, interleaved rounds over all of them, and the rows
 *	  goalloc_bench and goalloc_bench_trace return.
 *
 * A run is the context under test (a child of the calling function's
 * context; none for malloc), a malloc'ed array of live chunks and, for a
 * trace, one context per recorded context.  bench_run_one sets all of it
 * up before its PG_TRY and releases it in its PG_FINALLY, so that a
 * cancel, a statement_timeout or an out-of-memory error in the middle of a
 * run leaves nothing behind: malloc'ed chunks are freed, contexts deleted.
 *
 * Memory figures.  Contexts: mem_allocated, read after every operation
 * (the peak is exact).  malloc: glibc's chunks in use with their headers
 * (mallinfo2's uordblks + hblkhd) over a baseline taken before the run,
 * sampled once per batch of BENCH_BATCH operations; not what malloc keeps
 * from the operating system, which earlier runs in the same backend leave
 * large and free.
 *
 * Rounds.  Each allocator runs reps times; round r starts with the r-th of
 * them and takes the others in turn, so that no allocator always runs
 * first or always follows the same one, and a burst of load from a
 * neighbour on a shared machine falls on every allocator rather than on
 * one.  The counts and memory figures are round 0's (they depend on the
 * workload only), the time the median of the rounds'.  Benchmarks report;
 * nothing here fails because something is slow.
 *
 * IDENTIFICATION
 *	  bench/extension/run.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <malloc.h>
#include <time.h>

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "extension/goalloc/goalloc.h"

#include "bench.h"
#include "gab_workload.h"

const char *const bench_allocator_names[BA_COUNT] = {
	"goalloc", "aset", "generation", "slab", "malloc"
};

double
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

/* Bytes of glibc malloc's chunks in use, headers included. */
static Size
bench_malloc_held(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
#else
	return 0;
#endif
}

/* What the run holds now (see the file header). */
Size
bench_mem(BenchRun *run)
{
	if (run->is_malloc)
	{
		Size		m = bench_malloc_held();

		return m > run->malloc_base ? m - run->malloc_base : 0;
	}
	if (run->is_trace)
		return run->trace_mem > 0 ? (Size) run->trace_mem : 0;
	return run->cxt->mem_allocated;
}

/* The backend's RSS growth since the run started. */
Size
bench_rss(BenchRun *run)
{
	Size		r = gab_rss_bytes();

	return r > run->rss_base ? r - run->rss_base : 0;
}

/* Give idle memory back before and between runs (untimed). */
void
bench_settle(void)
{
	(void) GoAllocScavenge(0);
	malloc_trim(0);
}

void
bench_oom(Size size)
{
	ereport(ERROR,
			(errcode(ERRCODE_OUT_OF_MEMORY),
			 errmsg("out of memory"),
			 errdetail("goalloc_bench failed on a request of %zu bytes.", size)));
}

MemoryContext
bench_create_context(BenchAllocator a, MemoryContext parent)
{
	MemoryContext cxt;

	switch (a)
	{
		case BA_GOALLOC:
			return GoAllocContextCreate(parent, "goalloc_bench goalloc");
		case BA_ASET:
			cxt = AllocSetContextCreate(parent, "goalloc_bench aset",
										ALLOCSET_DEFAULT_SIZES);
			break;
		case BA_GENERATION:
			cxt = GenerationContextCreate(parent, "goalloc_bench generation",
										  ALLOCSET_DEFAULT_SIZES);
			break;
		case BA_SLAB:
			cxt = SlabContextCreate(parent, "goalloc_bench slab",
									SLAB_DEFAULT_BLOCK_SIZE, 100);
			break;
		default:
			return NULL;
	}
	/* the stock side stays stock whatever goalloc.route says */
	GoAllocContextKeepStock(cxt);
	return cxt;
}

/*
 * bench_finish
 *		Close a timed run: elapsed time, operations, memory held at the
 *		end, and the peak seen.
 */
void
bench_finish(BenchRun *run, BenchResult *res, double t0, uint64 ops)
{
	res->ns = bench_now_ns() - t0;
	res->ops = ops;
	res->mem_end = bench_mem(run);
	if (res->mem_end > run->peak)
		run->peak = res->mem_end;
	res->peak_mem = run->peak;
}

/*
 * bench_run_one
 *		One run of allocator a (see the file header for what an error
 *		leaves: nothing).
 */
static void
bench_run_one(const BenchSpec *spec, BenchAllocator a, BenchResult *res)
{
	BenchRun	run;

	memset(&run, 0, sizeof(run));
	memset(res, 0, sizeof(*res));
	run.is_malloc = (a == BA_MALLOC);
	run.is_trace = spec->is_trace;
	run.nlive = Max(spec->nlive, 1);
	run.free_live = spec->free_live;

	/*
	 * Everything PG_FINALLY reads is set before PG_TRY (and not changed in
	 * it: the body changes what run.live points to, not run's fields that
	 * PG_FINALLY reads).
	 */
	bench_settle();
	if (!run.is_malloc)
		run.cxt = bench_create_context(a, CurrentMemoryContext);
	run.live = (void **) calloc(run.nlive, sizeof(void *));
	if (spec->is_trace)
		run.trace_cxts = (MemoryContext *) calloc(Max(spec->ntrace_cxts, 1),
												  sizeof(MemoryContext));
	if (run.live == NULL || (spec->is_trace && run.trace_cxts == NULL))
	{
		if (run.cxt != NULL)
			MemoryContextDelete(run.cxt);
		free(run.live);
		free(run.trace_cxts);
		bench_oom(run.nlive * sizeof(void *));
	}

	PG_TRY();
	{
		run.rss_base = gab_rss_bytes();
		run.malloc_base = bench_malloc_held();
		spec->body(&run, a, spec->arg, res);
		res->ran = true;
	}
	PG_FINALLY();
	{
		if (run.is_malloc && run.free_live)
		{
			Size		i;

			for (i = 0; i < run.nlive; i++)
				if (run.live[i] != NULL)
					free(run.live[i]);
		}
		/* a trace's contexts are children of run.cxt */
		if (run.cxt != NULL)
			MemoryContextDelete(run.cxt);
		free(run.live);
		free(run.trace_cxts);
	}
	PG_END_TRY();
}

static int
bench_cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/*
 * bench_run_rounds
 *		reps rounds of every allocator in applies[] (see the file header);
 *		res[a] gets round 0's figures and the median time.
 */
void
bench_run_rounds(const BenchSpec *spec, int reps, const bool *applies,
				 BenchResult *res)
{
	double		ns[BA_COUNT][BENCH_MAX_REPS];
	int			order[BA_COUNT];
	int			n = 0;
	int			r;
	int			i;
	int			a;

	Assert(reps >= 1 && reps <= BENCH_MAX_REPS);
	for (a = 0; a < BA_COUNT; a++)
		if (applies[a])
			order[n++] = a;
	for (r = 0; r < reps; r++)
	{
		for (i = 0; i < n; i++)
		{
			BenchResult one;

			a = order[(r + i) % n];
			bench_run_one(spec, (BenchAllocator) a, r == 0 ? &res[a] : &one);
			ns[a][r] = r == 0 ? res[a].ns : one.ns;
		}
	}
	for (i = 0; i < n; i++)
	{
		a = order[i];
		qsort(ns[a], reps, sizeof(double), bench_cmp_double);
		res[a].ns = reps % 2 ? ns[a][reps / 2] :
			(ns[a][reps / 2 - 1] + ns[a][reps / 2]) / 2.0;
	}
	bench_settle();
}

/*
 * bench_allocators_arg
 *		The allocators argument of goalloc_bench and goalloc_bench_trace (a
 *		text array; NULL runs every allocator that applies): applies[]
 *		keeps only the allocators it names.  A name that is not an
 *		allocator, one that does not apply to the workload (Slab has a
 *		fixed chunk size), a NULL element and an empty array are errors.
 *		One allocator alone gives a profiler (perf, callgrind) the run of
 *		that allocator only; its ratios to AllocSet are then NULL.
 */
void
bench_allocators_arg(FunctionCallInfo fcinfo, int arg, bool *applies,
					 const char *workload)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	bool		named[BA_COUNT];
	int			i;
	int			a;

	if (PG_ARGISNULL(arg))
		return;
	arr = PG_GETARG_ARRAYTYPE_P(arg);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("allocators must be a one-dimensional array")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &nelems);
	if (nelems == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("allocators must name at least one allocator")));
	memset(named, 0, sizeof(named));
	for (i = 0; i < nelems; i++)
	{
		char	   *name;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("allocators must not contain NULL")));
		name = TextDatumGetCString(elems[i]);
		for (a = 0; a < BA_COUNT; a++)
			if (strcmp(name, bench_allocator_names[a]) == 0)
				break;
		if (a == BA_COUNT)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown allocator \"%s\"", name),
					 errhint("The allocators are goalloc, aset, generation, slab and malloc.")));
		if (!applies[a])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("allocator \"%s\" does not apply to workload \"%s\"",
							name, workload)));
		named[a] = true;
	}
	for (a = 0; a < BA_COUNT; a++)
		applies[a] = named[a];
}

/* The reps argument of goalloc_bench and goalloc_bench_trace. */
int
bench_reps_arg(FunctionCallInfo fcinfo, int arg)
{
	int32		reps;

	if (PG_ARGISNULL(arg))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("reps must not be NULL")));
	reps = PG_GETARG_INT32(arg);
	if (reps < 1 || reps > BENCH_MAX_REPS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("reps must be between 1 and %d, not %d",
						BENCH_MAX_REPS, reps)));
	return reps;
}

/*
 * bench_put_rows
 *		One row per allocator that ran: goalloc_bench's columns.
 */
void
bench_put_rows(ReturnSetInfo *rsinfo, const char *workload, BenchResult *res)
{
	int			a;

	for (a = 0; a < BA_COUNT; a++)
	{
		Datum		values[10];
		bool		nulls[10];
		BenchResult *r = &res[a];
		BenchResult *aset = &res[BA_ASET];
		double		nsop;

		if (!r->ran)
			continue;
		memset(nulls, 0, sizeof(nulls));
		nsop = r->ns / (double) Max(r->ops, 1);
		values[0] = CStringGetTextDatum(workload);
		values[1] = CStringGetTextDatum(bench_allocator_names[a]);
		values[2] = Float8GetDatum(nsop);
		values[3] = Int64GetDatum((int64) r->ops);
		values[4] = Int64GetDatum((int64) r->req_peak);
		values[5] = Int64GetDatum((int64) r->peak_mem);
		if (r->req_peak > 0)
			values[6] = Float8GetDatum(100.0 * ((double) r->peak_mem - (double) r->req_peak) /
									   (double) r->req_peak);
		else
			nulls[6] = true;
		values[7] = Int64GetDatum((int64) r->mem_end);
		if (aset->ran && aset->ns > 0)
			values[8] = Float8GetDatum(nsop / (aset->ns / (double) Max(aset->ops, 1)));
		else
			nulls[8] = true;
		if (aset->ran && aset->peak_mem > 0)
			values[9] = Float8GetDatum((double) r->peak_mem / (double) aset->peak_mem);
		else
			nulls[9] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}
