/*-------------------------------------------------------------------------
 *
 * goalloc_bench.c
 *	  SQL-callable benchmarks: goalloc contexts against AllocSet,
 *	  Generation, Slab and plain malloc, on the workloads of bench/.
 *
 *	goalloc_bench(workload text, scale float8 DEFAULT 1.0)
 *		one row per allocator: time per operation, peak mem_allocated,
 *		overhead over the bytes requested, what is held at the end, and
 *		the ratios to AllocSet measured in the same call.
 *
 *	goalloc_bench_pairs(allocator text, n int8, size int4)
 *		n palloc/pfree pairs of one size in a warm context: the fast paths
 *		alone, and the loop (bench_pair_loop) to point callgrind at.
 *
 *	goalloc_bench_build_free(scale float8 DEFAULT 1.0)
 *		build_free's phases: mem_allocated and RSS growth before the frees,
 *		after them, after giving memory back (ga_heap_scavenge for goalloc,
 *		malloc_trim for the others) and at the end.
 *
 * The trace of a workload comes from bench/gab_trace.h, the generator the
 * core benchmark uses too, and is built once per call into malloc'ed memory
 * before any timing starts; every allocator replays the same trace.
 * Benchmarks report; nothing here fails because something is slow.
 *
 * IDENTIFICATION
 *	  src/pg/goalloc_bench.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <malloc.h>
#include <math.h>
#include <time.h>

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "goalloc_internal.h"

#include "../../bench/gab_trace.h"

PG_FUNCTION_INFO_V1(goalloc_bench);
PG_FUNCTION_INFO_V1(goalloc_bench_build_free);
PG_FUNCTION_INFO_V1(goalloc_bench_pairs);

/* Largest accepted scale: scale 100 is already minutes per workload. */
#define BENCH_MAX_SCALE		100.0

/* Operations between two interrupt checks (and malloc samples). */
#define BENCH_BATCH			65536

typedef enum BenchAllocator
{
	BA_GOALLOC,
	BA_ASET,
	BA_GENERATION,
	BA_SLAB,
	BA_MALLOC,
	BA_COUNT
} BenchAllocator;

static const char *const bench_allocator_names[BA_COUNT] = {
	"goalloc", "aset", "generation", "slab", "malloc"
};

typedef struct BenchResult
{
	bool		ran;
	double		ns;				/* timed section */
	uint64		ops;
	Size		req_peak;		/* peak live bytes requested */
	Size		peak_mem;		/* peak mem_allocated (malloc: see below) */
	Size		mem_end;
	/* build_free phases */
	Size		mem_before;
	Size		mem_after_free;
	Size		mem_after_scavenge;
	Size		mem_final;
	Size		rss_before;
	Size		rss_after_free;
	Size		rss_after_scavenge;
	Size		rss_end;
} BenchResult;

/*
 * One run: the context under test (NULL for malloc) and what must be
 * released if an error interrupts it.
 */
typedef struct BenchRun
{
	MemoryContext cxt;
	bool		is_malloc;
	void	  **live;			/* malloc'ed array of live chunks */
	Size		nlive;
	Size		malloc_base;	/* mallinfo2 baseline */
	Size		rss_base;
	Size		peak;
} BenchRun;

/* ---- Helpers ---- */

static inline double
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

/*
 * Bytes of glibc malloc's chunks in use, headers included: uordblks plus
 * mmapped chunks.  Not what malloc keeps from the OS (arena), which earlier
 * runs in the same backend leave large and free.
 */
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

static inline Size
bench_mem(BenchRun *run)
{
	if (run->is_malloc)
	{
		Size		m = bench_malloc_held();

		return m > run->malloc_base ? m - run->malloc_base : 0;
	}
	return run->cxt->mem_allocated;
}

static inline Size
bench_rss(BenchRun *run)
{
	Size		r = gab_rss_bytes();

	return r > run->rss_base ? r - run->rss_base : 0;
}

/* Give idle memory back before and between runs (untimed). */
static void
bench_settle(void)
{
	ga_heap    *heap = goalloc_backend_heap(false);

	if (heap != NULL)
		ga_heap_scavenge(heap, 0);
	malloc_trim(0);
}

static void *
bench_trace_mem(size_t bytes)
{
	return malloc(bytes > 0 ? bytes : 1);
}

static void
bench_trace_free(gab_trace *t)
{
	free(t->op);
	free(t->fill);
	free(t->perm);
	t->op = NULL;
	t->fill = NULL;
	t->perm = NULL;
}

static void
bench_oom(Size size)
{
	ereport(ERROR,
			(errcode(ERRCODE_OUT_OF_MEMORY),
			 errmsg("out of memory"),
			 errdetail("goalloc_bench failed on a request of %zu bytes.", size)));
}

static MemoryContext
bench_create_context(BenchAllocator a)
{
	switch (a)
	{
		case BA_GOALLOC:
			return GoAllocContextCreate(CurrentMemoryContext,
										"goalloc_bench goalloc");
		case BA_ASET:
			return AllocSetContextCreate(CurrentMemoryContext,
										 "goalloc_bench aset",
										 ALLOCSET_DEFAULT_SIZES);
		case BA_GENERATION:
			return GenerationContextCreate(CurrentMemoryContext,
										   "goalloc_bench generation",
										   ALLOCSET_DEFAULT_SIZES);
		case BA_SLAB:
			return SlabContextCreate(CurrentMemoryContext,
									 "goalloc_bench slab",
									 SLAB_DEFAULT_BLOCK_SIZE, 100);
		default:
			return NULL;
	}
}

/*
 * The allocator calls, with is_malloc a constant once the loops below are
 * inlined into their malloc and context flavours.
 */
static pg_attribute_always_inline void *
bench_alloc(BenchRun *run, Size size, bool is_malloc)
{
	void	   *p;

	if (is_malloc)
	{
		p = malloc(size);
		if (unlikely(p == NULL))
			bench_oom(size);
		return p;
	}
	return MemoryContextAlloc(run->cxt, size);
}

static pg_attribute_always_inline void
bench_free(void *p, bool is_malloc)
{
	if (is_malloc)
		free(p);
	else
		pfree(p);
}

static pg_attribute_always_inline void *
bench_realloc(void *p, Size size, bool is_malloc)
{
	void	   *q;

	if (is_malloc)
	{
		q = realloc(p, size);
		if (unlikely(q == NULL))
			bench_oom(size);
		return q;
	}
	return repalloc(p, size);
}

/* Peak tracking: a field read for contexts, mallinfo2 per batch for malloc. */
static pg_attribute_always_inline void
bench_track(BenchRun *run, bool is_malloc)
{
	if (!is_malloc && run->cxt->mem_allocated > run->peak)
		run->peak = run->cxt->mem_allocated;
}

static void
bench_track_batch(BenchRun *run)
{
	Size		m = bench_mem(run);

	if (m > run->peak)
		run->peak = m;
}

#define BENCH_TOUCH(p, v)	(*(volatile uint64 *) (p) = (uint64) (v))

/*
 * bench_finish
 *		Close a timed run: elapsed time, operations, memory held at the
 *		end, and the peak seen.
 */
static void
bench_finish(BenchRun *run, BenchResult *res, double t0, uint64 ops)
{
	res->ns = bench_now_ns() - t0;
	res->ops = ops;
	res->mem_end = bench_mem(run);
	if (res->mem_end > run->peak)
		run->peak = res->mem_end;
	res->peak_mem = run->peak;
}

/* ---- Workloads ---- */

static pg_attribute_always_inline void
bench_churn(BenchRun *run, const gab_trace *t, BenchResult *res,
			bool large, bool is_malloc)
{
	const gab_workload *wl = t->wl;
	void	  **live = run->live;
	uint32	   *sz;
	Size		req = 0;
	Size		pos = 0;
	uint64		k;
	double		t0;

	for (k = 0; k < wl->nlive; k++)
	{
		live[k] = bench_alloc(run, t->fill[k], is_malloc);
		BENCH_TOUCH(live[k], k);
	}
	bench_track_batch(run);

	t0 = bench_now_ns();
	for (k = 0; k < t->ops;)
	{
		uint64		end = Min(t->ops, k + BENCH_BATCH);

		for (; k < end; k++)
		{
			const gab_trace_op *op = &t->op[pos];
			void	   *p;

			if (++pos == t->nentries)
				pos = 0;
			bench_free(live[op->idx], is_malloc);
			live[op->idx] = NULL;
			p = bench_alloc(run, op->size, is_malloc);
			if (large)
			{
				Size		off;

				for (off = 0; off < op->size; off += 4096)
					((volatile char *) p)[off] = (char) k;
			}
			else
				BENCH_TOUCH(p, k);
			live[op->idx] = p;
			bench_track(run, is_malloc);
		}
		if (is_malloc)
			bench_track_batch(run);
		CHECK_FOR_INTERRUPTS();
	}
	bench_finish(run, res, t0, t->ops);

	for (k = 0; k < wl->nlive; k++)
	{
		bench_free(live[k], is_malloc);
		live[k] = NULL;
	}

	/* untimed: peak live requested bytes of the same trace */
	sz = (uint32 *) malloc(sizeof(uint32) * wl->nlive);
	if (sz == NULL)
		bench_oom(sizeof(uint32) * wl->nlive);
	for (k = 0; k < wl->nlive; k++)
	{
		sz[k] = t->fill[k];
		req += sz[k];
	}
	res->req_peak = req;
	pos = 0;
	for (k = 0; k < t->ops; k++)
	{
		const gab_trace_op *op = &t->op[pos];

		if (++pos == t->nentries)
			pos = 0;
		req = req - sz[op->idx] + op->size;
		sz[op->idx] = op->size;
		if (req > res->req_peak)
			res->req_peak = req;
	}
	free(sz);
}

static pg_attribute_always_inline void
bench_per_tuple(BenchRun *run, const gab_trace *t, BenchResult *res,
				bool is_malloc)
{
	void	  **ptrs = run->live;	/* at least 8 entries */
	int			np = 0;
	Size		pos = 0;
	uint64		round = 0;
	uint64		nalloc = 0;
	Size		req = 0;
	double		t0;

	t0 = bench_now_ns();
	while (round < t->ops)
	{
		uint64		end = Min(t->ops, round + BENCH_BATCH);

		while (round < end)
		{
			const gab_trace_op *op = &t->op[pos];
			void	   *p;

			if (++pos == t->nentries)
				pos = 0;
			p = bench_alloc(run, op->size, is_malloc);
			BENCH_TOUCH(p, nalloc);
			nalloc++;
			if (is_malloc)
				ptrs[np++] = p;
			else
				bench_track(run, false);
			if (op->idx)
			{
				if (is_malloc)
				{
					int			i;

					for (i = 0; i < np; i++)
						free(ptrs[i]);
					np = 0;
				}
				else
					MemoryContextReset(run->cxt);
				round++;
			}
		}
		if (is_malloc)
			bench_track_batch(run);
		CHECK_FOR_INTERRUPTS();
	}
	bench_finish(run, res, t0, nalloc);

	/* untimed: the biggest round */
	for (pos = 0; pos < t->nentries; pos++)
	{
		req += t->op[pos].size;
		if (req > res->req_peak)
			res->req_peak = req;
		if (t->op[pos].idx)
			req = 0;
	}
}

static pg_attribute_always_inline void
bench_build_free(BenchRun *run, const gab_trace *t, BenchResult *res,
				 bool is_malloc)
{
	void	  **live = run->live;
	uint32		i;
	double		t0,
				ns = 0;
	Size		req = 0;

	t0 = bench_now_ns();
	for (i = 0; i < t->nfill; i++)
	{
		live[i] = bench_alloc(run, t->fill[i], is_malloc);
		BENCH_TOUCH(live[i], i);
		req += t->fill[i];
		if ((i & (BENCH_BATCH - 1)) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	ns += bench_now_ns() - t0;
	res->req_peak = req;
	res->mem_before = bench_mem(run);
	res->rss_before = bench_rss(run);

	t0 = bench_now_ns();
	for (i = 0; i < t->nfree; i++)
	{
		bench_free(live[t->perm[i]], is_malloc);
		live[t->perm[i]] = NULL;
		if ((i & (BENCH_BATCH - 1)) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	ns += bench_now_ns() - t0;
	res->mem_after_free = bench_mem(run);
	res->rss_after_free = bench_rss(run);

	bench_settle();
	res->mem_after_scavenge = bench_mem(run);
	res->rss_after_scavenge = bench_rss(run);

	t0 = bench_now_ns();
	for (i = 0; i < t->nrealloc; i++)
	{
		uint32		idx = t->op[i].idx;

		live[idx] = bench_alloc(run, t->op[i].size, is_malloc);
		BENCH_TOUCH(live[idx], i);
		if ((i & (BENCH_BATCH - 1)) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	ns += bench_now_ns() - t0;
	res->mem_final = bench_mem(run);
	res->rss_end = bench_rss(run);
	res->mem_end = res->mem_final;
	res->peak_mem = Max(res->mem_before, res->mem_final);
	res->ns = ns;
	res->ops = t->ops;
	for (i = 0; i < t->nfill; i++)
	{
		if (live[i] != NULL)
			bench_free(live[i], is_malloc);
		live[i] = NULL;
	}
}

static pg_attribute_always_inline void
bench_repalloc(BenchRun *run, const gab_trace *t, BenchResult *res,
			   bool is_malloc)
{
	const gab_workload *wl = t->wl;
	char	  **s = (char **) run->live;
	Size		len[64];
	Size		pos = 0;
	uint64		k;
	uint32		i;
	Size		req = 0;
	double		t0;

	Assert(wl->nlive <= lengthof(len));
	t0 = bench_now_ns();
	for (i = 0; i < wl->nlive; i++)
	{
		s[i] = bench_alloc(run, wl->minsize, is_malloc);
		memset(s[i], 'a', wl->minsize);
		len[i] = wl->minsize;
		req += len[i];
	}
	res->req_peak = req;
	for (k = 0; k < t->ops;)
	{
		uint64		end = Min(t->ops, k + 64);

		for (; k < end; k++)
		{
			uint32		j = t->op[pos].idx;

			if (++pos == t->nentries)
				pos = 0;
			if (len[j] >= wl->maxsize)
			{
				bench_free(s[j], is_malloc);
				s[j] = NULL;
				s[j] = bench_alloc(run, wl->minsize, is_malloc);
				memset(s[j], 'a', wl->minsize);
				req -= len[j] - wl->minsize;
				len[j] = wl->minsize;
			}
			else
			{
				Size		nl = len[j] * 2;
				char	   *p = bench_realloc(s[j], nl, is_malloc);

				/* StringInfo appends fill the buffer before it doubles */
				memset(p + len[j], 'b', nl - len[j]);
				s[j] = p;
				req += nl - len[j];
				len[j] = nl;
				if (req > res->req_peak)
					res->req_peak = req;
			}
			bench_track(run, is_malloc);
		}
		if (is_malloc)
			bench_track_batch(run);
		CHECK_FOR_INTERRUPTS();
	}
	bench_finish(run, res, t0, t->ops);
	for (i = 0; i < wl->nlive; i++)
	{
		bench_free(s[i], is_malloc);
		s[i] = NULL;
	}
}

static void
bench_dispatch(BenchRun *run, const gab_trace *t, BenchResult *res)
{
	switch (t->wl->kind)
	{
		case GAB_WL_CHURN:
			if (run->is_malloc)
				bench_churn(run, t, res, false, true);
			else
				bench_churn(run, t, res, false, false);
			break;
		case GAB_WL_LARGE:
			if (run->is_malloc)
				bench_churn(run, t, res, true, true);
			else
				bench_churn(run, t, res, true, false);
			break;
		case GAB_WL_PER_TUPLE:
			if (run->is_malloc)
				bench_per_tuple(run, t, res, true);
			else
				bench_per_tuple(run, t, res, false);
			break;
		case GAB_WL_BUILD_FREE:
			if (run->is_malloc)
				bench_build_free(run, t, res, true);
			else
				bench_build_free(run, t, res, false);
			break;
		case GAB_WL_REPALLOC:
			if (run->is_malloc)
				bench_repalloc(run, t, res, true);
			else
				bench_repalloc(run, t, res, false);
			break;
	}
}

/*
 * Run one allocator over the trace.  On error, whatever the run holds is
 * released: malloc'ed chunks are freed, the context is deleted.
 */
static void
bench_run_one(BenchAllocator a, const gab_trace *t, BenchResult *res)
{
	BenchRun	run;
	Size		nlive;

	memset(&run, 0, sizeof(run));
	memset(res, 0, sizeof(*res));
	run.is_malloc = (a == BA_MALLOC);

	switch (t->wl->kind)
	{
		case GAB_WL_BUILD_FREE:
			nlive = t->nfill;
			break;
		case GAB_WL_PER_TUPLE:
			nlive = 16;
			break;
		default:
			nlive = t->wl->nlive;
			break;
	}
	run.nlive = nlive;

	/* everything PG_FINALLY reads is set before PG_TRY */
	bench_settle();
	if (!run.is_malloc)
		run.cxt = bench_create_context(a);
	run.live = (void **) calloc(nlive, sizeof(void *));
	if (run.live == NULL)
	{
		if (run.cxt != NULL)
			MemoryContextDelete(run.cxt);
		bench_oom(nlive * sizeof(void *));
	}
	run.rss_base = gab_rss_bytes();
	run.malloc_base = bench_malloc_held();

	PG_TRY();
	{
		bench_dispatch(&run, t, res);
		res->ran = true;
	}
	PG_FINALLY();
	{
		if (run.is_malloc)
		{
			Size		i;

			/* per_tuple's pointers are all freed or in this array */
			for (i = 0; i < run.nlive; i++)
				if (run.live[i] != NULL && t->wl->kind != GAB_WL_PER_TUPLE)
					free(run.live[i]);
		}
		if (run.cxt != NULL)
			MemoryContextDelete(run.cxt);
		free(run.live);
	}
	PG_END_TRY();
}

/* Validate the arguments and build the trace. */
static const gab_workload *
bench_args(FunctionCallInfo fcinfo, int scale_arg, int workload_arg,
		   double *scale)
{
	const gab_workload *wl = NULL;

	if (workload_arg >= 0)
	{
		char	   *name;

		if (PG_ARGISNULL(workload_arg))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("workload must not be NULL")));
		name = text_to_cstring(PG_GETARG_TEXT_PP(workload_arg));
		wl = gab_workload_find(name);
		if (wl == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown workload \"%s\"", name),
					 errhint("Known workloads: small_churn, mixed_churn, fixed100, per_tuple, build_free, repalloc_growth, large.")));
	}
	if (PG_ARGISNULL(scale_arg))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("scale must not be NULL")));
	*scale = PG_GETARG_FLOAT8(scale_arg);
	if (isnan(*scale) || *scale <= 0 || *scale > BENCH_MAX_SCALE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("scale must be greater than 0 and at most %g, not %g",
						BENCH_MAX_SCALE, *scale)));
	return wl;
}

static void
bench_build_trace(gab_trace *t, const gab_workload *wl, double scale)
{
	if (gab_trace_build(t, wl, scale, bench_trace_mem) != 0)
	{
		bench_trace_free(t);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Could not allocate the trace of workload \"%s\" at scale %g.",
						   wl->name, scale)));
	}
}

static bool
bench_allocator_applies(BenchAllocator a, const gab_workload *wl)
{
	/* Slab's chunk size is fixed: only fixed100 fits it */
	if (a == BA_SLAB)
		return strcmp(wl->name, "fixed100") == 0;
	return true;
}

/*
 * bench_run_all
 *		Build the workload's trace once, replay it against every allocator
 *		it applies to, and free the trace whatever happens.
 */
static void
bench_run_all(const gab_workload *wl, double scale, BenchResult *res)
{
	gab_trace	t;
	int			a;

	bench_build_trace(&t, wl, scale);
	PG_TRY();
	{
		for (a = 0; a < BA_COUNT; a++)
			if (bench_allocator_applies((BenchAllocator) a, wl))
				bench_run_one((BenchAllocator) a, &t, &res[a]);
	}
	PG_FINALLY();
	{
		bench_trace_free(&t);
	}
	PG_END_TRY();
	bench_settle();
}

/*
 * goalloc_bench(workload text, scale float8 DEFAULT 1.0)
 *		Replays one workload against every allocator; one row each.
 */
Datum
goalloc_bench(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const gab_workload *wl;
	double		scale;
	BenchResult res[BA_COUNT];
	int			a;

	wl = bench_args(fcinfo, 1, 0, &scale);
	InitMaterializedSRF(fcinfo, 0);
	memset(res, 0, sizeof(res));

	bench_run_all(wl, scale, res);

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
		values[0] = CStringGetTextDatum(wl->name);
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
	return (Datum) 0;
}

/*
 * goalloc_bench_build_free(scale float8 DEFAULT 1.0)
 *		build_free's memory at each phase, one row per allocator and phase.
 */
Datum
goalloc_bench_build_free(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const gab_workload *wl = gab_workload_find("build_free");
	double		scale;
	BenchResult res[BA_COUNT];
	int			a;

	(void) bench_args(fcinfo, 0, -1, &scale);
	InitMaterializedSRF(fcinfo, 0);
	memset(res, 0, sizeof(res));

	bench_run_all(wl, scale, res);

	for (a = 0; a < BA_COUNT; a++)
	{
		static const char *const phases[4] = {
			"before_free", "after_free", "after_scavenge", "end"
		};
		BenchResult *r = &res[a];
		Size		mem[4];
		Size		rss[4];
		int			ph;

		if (!r->ran)
			continue;
		mem[0] = r->mem_before;
		mem[1] = r->mem_after_free;
		mem[2] = r->mem_after_scavenge;
		mem[3] = r->mem_final;
		rss[0] = r->rss_before;
		rss[1] = r->rss_after_free;
		rss[2] = r->rss_after_scavenge;
		rss[3] = r->rss_end;
		for (ph = 0; ph < 4; ph++)
		{
			Datum		values[5];
			bool		nulls[5];

			memset(nulls, 0, sizeof(nulls));
			values[0] = CStringGetTextDatum(bench_allocator_names[a]);
			values[1] = CStringGetTextDatum(phases[ph]);
			values[2] = Int64GetDatum((int64) mem[ph]);
			values[3] = Int64GetDatum((int64) rss[ph]);
			values[4] = Float8GetDatum(r->mem_before > 0 ?
									   (double) mem[ph] / (double) r->mem_before : 0);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc,
								 values, nulls);
		}
	}
	return (Datum) 0;
}

/*
 * The loop callgrind measures (--toggle-collect=bench_pair_loop): n
 * palloc/pfree pairs, each chunk written once.
 */
static pg_noinline void
bench_pair_loop(MemoryContext cxt, int64 n, Size size)
{
	int64		i;

	for (i = 0; i < n; i++)
	{
		void	   *p = MemoryContextAlloc(cxt, size);

		BENCH_TOUCH(p, i);
		pfree(p);
	}
}

/*
 * goalloc_bench_pairs(allocator text, n int8 DEFAULT 1000000,
 *					   size int4 DEFAULT 32)
 *		ns per palloc/pfree pair in a warm context of that type (goalloc,
 *		aset, generation, slab).
 */
Datum
goalloc_bench_pairs(PG_FUNCTION_ARGS)
{
	char	   *name;
	int64		n;
	int32		size;
	int			a;
	MemoryContext cxt;
	double		t0,
				ns;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("goalloc_bench_pairs arguments must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	n = PG_GETARG_INT64(1);
	size = PG_GETARG_INT32(2);
	for (a = 0; a < BA_COUNT; a++)
		if (strcmp(name, bench_allocator_names[a]) == 0)
			break;
	if (a == BA_COUNT || a == BA_MALLOC)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown context type \"%s\"", name),
				 errhint("Known context types: goalloc, aset, generation, slab.")));
	if (n < 1 || n > INT64CONST(10000000000))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n must be between 1 and 10000000000, not " INT64_FORMAT, n)));
	if (size < 1 || size > 8192 || (a == BA_SLAB && size > 100))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("size must be between 1 and 8192 (slab: 100), not %d", size)));

	cxt = bench_create_context((BenchAllocator) a);
	PG_TRY();
	{
		bench_pair_loop(cxt, 1000, size);	/* warm up */
		t0 = bench_now_ns();
		bench_pair_loop(cxt, n, size);
		ns = bench_now_ns() - t0;
	}
	PG_FINALLY();
	{
		MemoryContextDelete(cxt);
	}
	PG_END_TRY();
	PG_RETURN_FLOAT8(ns / (double) n);
}
