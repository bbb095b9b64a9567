/*-------------------------------------------------------------------------
 *
 * workloads.c
 *	  The synthetic workloads in PostgreSQL: goalloc contexts against
 *	  AllocSet, Generation, Slab and plain malloc.
 *
 *	goalloc_bench(workload text, scale float8 DEFAULT 1.0, reps int4 DEFAULT 3)
 *		one row per allocator: time per operation, peak mem_allocated,
 *		overhead over the bytes requested, what is held at the end, and
 *		the ratios to AllocSet measured in the same call.
 *
 *	goalloc_bench_build_free(scale float8 DEFAULT 1.0)
 *		build_free's phases: mem_allocated and RSS growth before the frees,
 *		after them, after giving memory back (GoAllocScavenge for goalloc,
 *		malloc_trim for the others) and at the end.
 *
 *	goalloc_bench_pairs(allocator text, n int8, size int4)
 *		n palloc/pfree pairs of one size in a warm context: the fast paths
 *		alone, and the loop (bench_pair_loop) to point callgrind at.
 *
 * A workload's operations come from bench/common/gab_workload.c, the
 * generator the core benchmark uses too, built once per call into
 * malloc'ed memory before any timing starts (and freed whatever happens);
 * every allocator replays the same sequence.
 *
 * Bounds.  scale is at most the workload's max_scale (100; build_free 4,
 * about 1 GB requested: its live set grows with the scale, the others'
 * only their length), n of goalloc_bench_pairs at most 10^10, reps 99.
 * Every loop checks for interrupts once per BENCH_BATCH operations (64 for
 * "large"), most from an outer loop around the timed inner one, so that the
 * check costs nothing per operation (build_free's phases test a mask, as
 * they always did); a cancelled run frees what it held (run.c).  Only the
 * generation of a workload's operations, before any run, does not check:
 * it takes at most about 0.3 s (build_free at scale 4).
 *
 * IDENTIFICATION
 *	  bench/extension/workloads.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "bench.h"
#include "gab_workload.h"

PG_FUNCTION_INFO_V1(goalloc_bench);
PG_FUNCTION_INFO_V1(goalloc_bench_build_free);
PG_FUNCTION_INFO_V1(goalloc_bench_pairs);

/* Most palloc/pfree pairs of goalloc_bench_pairs (time only). */
#define BENCH_MAX_PAIRS		INT64CONST(10000000000)

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
bench_track_op(BenchRun *run, bool is_malloc)
{
	if (!is_malloc)
		bench_track(run);
}

static pg_attribute_always_inline void
bench_churn(BenchRun *run, const gab_wl_seq *t, BenchResult *res,
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
		uint64		end = Min(t->ops, k + (large ? BENCH_BATCH_LARGE : BENCH_BATCH));

		for (; k < end; k++)
		{
			const gab_wl_op *op = &t->op[pos];
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
			bench_track_op(run, is_malloc);
		}
		if (is_malloc && (k & (BENCH_SAMPLE - 1)) == 0)
			bench_track_batch(run);
		CHECK_FOR_INTERRUPTS();
	}
	bench_finish(run, res, t0, t->ops);

	for (k = 0; k < wl->nlive; k++)
	{
		bench_free(live[k], is_malloc);
		live[k] = NULL;
	}

	/* untimed: peak live requested bytes of the same sequence */
	sz = (uint32 *) palloc(sizeof(uint32) * wl->nlive);
	for (k = 0; k < wl->nlive; k++)
	{
		sz[k] = t->fill[k];
		req += sz[k];
	}
	res->req_peak = req;
	pos = 0;
	for (k = 0; k < t->ops; k++)
	{
		const gab_wl_op *op = &t->op[pos];

		if (++pos == t->nentries)
			pos = 0;
		req = req - sz[op->idx] + op->size;
		sz[op->idx] = op->size;
		if (req > res->req_peak)
			res->req_peak = req;
		if ((k & (BENCH_BATCH - 1)) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(sz);
}

static pg_attribute_always_inline void
bench_per_tuple(BenchRun *run, const gab_wl_seq *t, BenchResult *res,
				bool is_malloc)
{
	void	  **ptrs = run->live;	/* at least 8 entries; not freed by
									 * run.c on error: a round ends before
									 * each interrupt check */
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
			const gab_wl_op *op = &t->op[pos];
			void	   *p;

			if (++pos == t->nentries)
				pos = 0;
			if (is_malloc)
			{
				p = malloc(op->size);
				if (unlikely(p == NULL))
				{
					/* the round's chunks are in ptrs[] only */
					while (np > 0)
						free(ptrs[--np]);
					bench_oom(op->size);
				}
			}
			else
				p = bench_alloc(run, op->size, false);
			BENCH_TOUCH(p, nalloc);
			nalloc++;
			if (is_malloc)
				ptrs[np++] = p;
			else
				bench_track(run);
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
		if (is_malloc && (round & (BENCH_SAMPLE - 1)) == 0)
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
bench_build_free(BenchRun *run, const gab_wl_seq *t, BenchResult *res,
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
bench_repalloc(BenchRun *run, const gab_wl_seq *t, BenchResult *res,
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
			bench_track_op(run, is_malloc);
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

/*
 * bench_workload_body
 *		BenchBody of a workload: arg is its gab_wl_seq.
 */
static void
bench_workload_body(BenchRun *run, BenchAllocator a, const void *arg,
					BenchResult *res)
{
	const gab_wl_seq *t = (const gab_wl_seq *) arg;

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

/* The workload argument. */
static const gab_workload *
bench_workload_arg(FunctionCallInfo fcinfo, int arg)
{
	const gab_workload *wl;
	char	   *name;

	if (PG_ARGISNULL(arg))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("workload must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(arg));
	wl = gab_workload_find(name);
	if (wl == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown workload \"%s\"", name),
				 errhint("Known workloads: %s.", gab_workload_names())));
	return wl;
}

/* The scale argument, within the workload's bound. */
static double
bench_scale_arg(FunctionCallInfo fcinfo, int arg, const gab_workload *wl)
{
	double		scale;

	if (PG_ARGISNULL(arg))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("scale must not be NULL")));
	scale = PG_GETARG_FLOAT8(arg);
	if (isnan(scale) || scale <= 0 || scale > wl->max_scale)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("scale of workload \"%s\" must be greater than 0 and at most %g, not %g",
						wl->name, wl->max_scale, scale)));
	return scale;
}

static void
bench_seq_free(gab_wl_seq *t)
{
	free(t->op);
	free(t->fill);
	free(t->perm);
	t->op = NULL;
	t->fill = NULL;
	t->perm = NULL;
}

static void *
bench_seq_mem(size_t bytes)
{
	return malloc(bytes > 0 ? bytes : 1);
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
 * bench_run_workload
 *		Generate the workload's operations once, replay them against every
 *		allocator it applies to, reps rounds, and free them whatever
 *		happens.
 */
static void
bench_run_workload(const gab_workload *wl, double scale, int reps,
				   const bool *applies, BenchResult *res)
{
	gab_wl_seq	t;
	BenchSpec	spec;

	if (gab_wl_build(&t, wl, scale, bench_seq_mem) != 0)
	{
		bench_seq_free(&t);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Could not allocate the operations of workload \"%s\" at scale %g.",
						   wl->name, scale)));
	}

	memset(&spec, 0, sizeof(spec));
	spec.body = bench_workload_body;
	spec.arg = &t;
	switch (wl->kind)
	{
		case GAB_WL_BUILD_FREE:
			spec.nlive = t.nfill;
			break;
		case GAB_WL_PER_TUPLE:
			spec.nlive = 16;
			break;
		default:
			spec.nlive = wl->nlive;
			break;
	}
	/* per_tuple's array holds freed pointers: see bench_per_tuple */
	spec.free_live = (wl->kind != GAB_WL_PER_TUPLE);

	PG_TRY();
	{
		bench_run_rounds(&spec, reps, applies, res);
	}
	PG_FINALLY();
	{
		bench_seq_free(&t);
	}
	PG_END_TRY();
}

/* Every allocator the workload applies to. */
static void
bench_applies_all(const gab_workload *wl, bool *applies)
{
	int			a;

	for (a = 0; a < BA_COUNT; a++)
		applies[a] = bench_allocator_applies((BenchAllocator) a, wl);
}

/*
 * goalloc_bench(workload text, scale float8 DEFAULT 1.0, reps int4 DEFAULT 3,
 *				 allocators text[] DEFAULT NULL)
 *		Replays one workload against every allocator (or those named), reps
 *		rounds; one row each, with the median round's time.
 */
Datum
goalloc_bench(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const gab_workload *wl;
	double		scale;
	int			reps;
	BenchResult res[BA_COUNT];
	bool		applies[BA_COUNT];

	wl = bench_workload_arg(fcinfo, 0);
	scale = bench_scale_arg(fcinfo, 1, wl);
	reps = bench_reps_arg(fcinfo, 2);
	bench_applies_all(wl, applies);
	bench_allocators_arg(fcinfo, 3, applies, wl->name);
	InitMaterializedSRF(fcinfo, 0);
	memset(res, 0, sizeof(res));

	bench_run_workload(wl, scale, reps, applies, res);
	bench_put_rows(rsinfo, wl->name, res);
	return (Datum) 0;
}

/*
 * goalloc_bench_build_free(scale float8 DEFAULT 1.0)
 *		build_free's memory at each phase, one row per allocator and phase.
 */
Datum
goalloc_bench_build_free(PG_FUNCTION_ARGS)
{
	static const char *const phases[4] = {
		"before_free", "after_free", "after_scavenge", "end"
	};
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const gab_workload *wl = gab_workload_find("build_free");
	double		scale;
	BenchResult res[BA_COUNT];
	bool		applies[BA_COUNT];
	int			a;

	scale = bench_scale_arg(fcinfo, 0, wl);
	bench_applies_all(wl, applies);
	InitMaterializedSRF(fcinfo, 0);
	memset(res, 0, sizeof(res));

	bench_run_workload(wl, scale, 1, applies, res);

	for (a = 0; a < BA_COUNT; a++)
	{
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
 * palloc/pfree pairs, each chunk written once.  The interrupt check sits in
 * the outer loop: the inner loop is the same per pair as without it.
 */
static pg_noinline void
bench_pair_loop(MemoryContext cxt, int64 n, Size size)
{
	int64		i = 0;

	while (i < n)
	{
		int64		end = Min(n, i + BENCH_BATCH);

		for (; i < end; i++)
		{
			void	   *p = MemoryContextAlloc(cxt, size);

			BENCH_TOUCH(p, i);
			pfree(p);
		}
		CHECK_FOR_INTERRUPTS();
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
				ns = 0;

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
	if (n < 1 || n > BENCH_MAX_PAIRS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n must be between 1 and " INT64_FORMAT ", not " INT64_FORMAT,
						BENCH_MAX_PAIRS, n)));
	if (size < 1 || size > 8192 || (a == BA_SLAB && size > 100))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("size must be between 1 and 8192 (slab: 100), not %d", size)));

	/* a child of this call's context: an error deletes it with it, too */
	cxt = bench_create_context((BenchAllocator) a, CurrentMemoryContext);
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
