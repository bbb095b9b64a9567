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
 *	goalloc_bench_trace(path text, loops int4 DEFAULT 1)
 *		workload 8: a query trace recorded by goalloc_record_trace()
 *		(goalloc_trace.c, format bench/gab_qtrace.h), replayed loops times
 *		on goalloc, aset, generation and malloc; the same columns as
 *		goalloc_bench, workload 'trace:<file name>'.
 *
 * The trace of a workload comes from bench/gab_trace.h, the generator the
 * core benchmark uses too, and is built once per call into malloc'ed memory
 * before any timing starts; every allocator replays the same trace.
 * Benchmarks report; nothing here fails because something is slow.
 *
 * A query trace is replayed record by record: one context of the type under
 * test per recorded context, all children of one root of that type (the
 * recorded parent is not reproduced, so that a reset or delete touches
 * exactly the recorded context; children are deleted by records of their
 * own), palloc/pfree/repalloc of the recorded sizes (each new chunk's first
 * byte written), MemoryContextReset and MemoryContextDelete.  malloc has no
 * contexts: a reset or delete frees, one by one, the chunks the trace reader
 * found live in that context.  One op is one record (a create, alloc, free,
 * realloc, reset or delete); peak_mem_allocated is the peak of the sum of
 * the replay contexts' mem_allocated, kept exact after every record (for
 * malloc: of its chunks in use with their headers, measured exactly in an
 * untimed pass before the timed ones).
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
#include "../../bench/gab_qtrace.h"

PG_FUNCTION_INFO_V1(goalloc_bench);
PG_FUNCTION_INFO_V1(goalloc_bench_build_free);
PG_FUNCTION_INFO_V1(goalloc_bench_pairs);
PG_FUNCTION_INFO_V1(goalloc_bench_trace);

/* Largest accepted scale: scale 100 is already minutes per workload. */
#define BENCH_MAX_SCALE		100.0

/* Operations between two interrupt checks (and malloc samples). */
#define BENCH_BATCH			65536

/* Most replays of a query trace in one call. */
#define BENCH_MAX_LOOPS		10000

/* Most timed rounds per allocator in one call (bench_run_rounds). */
#define BENCH_MAX_REPS		99

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
	/* query trace replay */
	bool		is_trace;
	int64		trace_mem;		/* sum of the replay contexts' mem_allocated */
	MemoryContext *trace_cxts;	/* malloc'ed: the context of each id */
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
	if (run->is_trace)
		return run->trace_mem > 0 ? (Size) run->trace_mem : 0;
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
bench_create_context_in(BenchAllocator a, MemoryContext parent)
{
	switch (a)
	{
		case BA_GOALLOC:
			return GoAllocContextCreate(parent, "goalloc_bench goalloc");
		case BA_ASET:
			return AllocSetContextCreate(parent, "goalloc_bench aset",
										 ALLOCSET_DEFAULT_SIZES);
		case BA_GENERATION:
			return GenerationContextCreate(parent, "goalloc_bench generation",
										   ALLOCSET_DEFAULT_SIZES);
		case BA_SLAB:
			return SlabContextCreate(parent, "goalloc_bench slab",
									 SLAB_DEFAULT_BLOCK_SIZE, 100);
		default:
			return NULL;
	}
}

static MemoryContext
bench_create_context(BenchAllocator a)
{
	return bench_create_context_in(a, CurrentMemoryContext);
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

/* ---- Workload 8: a recorded query trace ---- */

static pg_attribute_always_inline void *
bench_trace_palloc(MemoryContext cxt, Size size)
{
	if (likely(size <= MaxAllocSize))
		return MemoryContextAlloc(cxt, size);
	return MemoryContextAllocHuge(cxt, size);
}

static pg_attribute_always_inline void *
bench_trace_repalloc(void *p, Size size)
{
	if (likely(size <= MaxAllocSize))
		return repalloc(p, size);
	return repalloc_huge(p, size);
}

/*
 * bench_trace_contexts
 *		One replay of the trace on contexts of type a, children of run->cxt.
 *		run->trace_mem follows the sum of their mem_allocated exactly.
 */
static void
bench_trace_contexts(BenchRun *run, BenchAllocator a, const gab_qtrace *q)
{
	MemoryContext *cx = run->trace_cxts;
	void	  **ptr = run->live;
	uint64		i = 0;
	uint32		j;

	while (i < q->nrecords)
	{
		uint64		end = Min(q->nrecords, i + BENCH_BATCH);

		for (; i < end; i++)
		{
			const gab_qt_rec *r = &q->rec[i];
			MemoryContext c;
			Size		before;
			void	   *p;

			switch (r->op)
			{
				case GAB_QT_CREATE:
					c = bench_create_context_in(a, run->cxt);
					cx[r->ctx] = c;
					run->trace_mem += (int64) c->mem_allocated;
					break;
				case GAB_QT_ALLOC:
					c = cx[r->ctx];
					before = c->mem_allocated;
					p = bench_trace_palloc(c, r->size);
					if (r->size > 0)
						*(volatile char *) p = (char) i;
					ptr[r->chunk] = p;
					run->trace_mem += (int64) c->mem_allocated - (int64) before;
					break;
				case GAB_QT_FREE:
					c = cx[r->ctx];
					before = c->mem_allocated;
					pfree(ptr[r->chunk]);
					run->trace_mem += (int64) c->mem_allocated - (int64) before;
					break;
				case GAB_QT_REALLOC:
					c = cx[r->ctx];
					before = c->mem_allocated;
					ptr[r->chunk] = bench_trace_repalloc(ptr[r->chunk], r->size);
					run->trace_mem += (int64) c->mem_allocated - (int64) before;
					break;
				case GAB_QT_RESET:
					c = cx[r->ctx];
					before = c->mem_allocated;
					MemoryContextReset(c);
					run->trace_mem += (int64) c->mem_allocated - (int64) before;
					break;
				case GAB_QT_DELETE:
					c = cx[r->ctx];
					run->trace_mem -= (int64) c->mem_allocated;
					MemoryContextDelete(c);
					cx[r->ctx] = NULL;
					break;
			}
			if (run->trace_mem > (int64) run->peak)
				run->peak = (Size) run->trace_mem;
		}
		CHECK_FOR_INTERRUPTS();
	}

	/* contexts the trace never deleted */
	for (j = 0; j < q->ncontexts; j++)
	{
		if (cx[j] == NULL)
			continue;
		run->trace_mem -= (int64) cx[j]->mem_allocated;
		MemoryContextDelete(cx[j]);
		cx[j] = NULL;
	}
}

/*
 * bench_trace_malloc
 *		One replay of the trace on malloc: a reset or delete frees the
 *		chunks the reader listed for it (q->implicit, in trace order).
 *		With measure (an untimed pass), run->peak follows the bytes of the
 *		chunks in use, headers included (malloc_usable_size + one size
 *		word, what mallinfo2's uordblks counts), exactly after each record.
 */
static pg_attribute_always_inline void
bench_trace_malloc(BenchRun *run, const gab_qtrace *q, bool measure)
{
	void	  **ptr = run->live;
	const uint32 *imp = q->implicit;
	uint64		i = 0;
	uint32		id;
	Size		held = 0;

#define BENCH_MALLOC_HELD(p)	(malloc_usable_size(p) + sizeof(size_t))

	while (i < q->nrecords)
	{
		uint64		end = Min(q->nrecords, i + BENCH_BATCH);

		for (; i < end; i++)
		{
			const gab_qt_rec *r = &q->rec[i];
			void	   *p;

			switch (r->op)
			{
				case GAB_QT_CREATE:
					break;
				case GAB_QT_ALLOC:
					p = bench_alloc(run, Max(r->size, 1), true);
					*(volatile char *) p = (char) i;
					ptr[r->chunk] = p;
					if (measure)
						held += BENCH_MALLOC_HELD(p);
					break;
				case GAB_QT_FREE:
					if (measure)
						held -= BENCH_MALLOC_HELD(ptr[r->chunk]);
					free(ptr[r->chunk]);
					ptr[r->chunk] = NULL;
					break;
				case GAB_QT_REALLOC:
					if (measure)
						held -= BENCH_MALLOC_HELD(ptr[r->chunk]);
					ptr[r->chunk] = bench_realloc(ptr[r->chunk], Max(r->size, 1), true);
					if (measure)
						held += BENCH_MALLOC_HELD(ptr[r->chunk]);
					break;
				case GAB_QT_RESET:
				case GAB_QT_DELETE:
					while ((id = *imp++) != GAB_QT_NONE)
					{
						if (measure)
							held -= BENCH_MALLOC_HELD(ptr[id]);
						free(ptr[id]);
						ptr[id] = NULL;
					}
					break;
			}
			if (measure && held > run->peak)
				run->peak = held;
		}
		CHECK_FOR_INTERRUPTS();
	}

	/* chunks of contexts the trace never deleted */
	while ((id = *imp++) != GAB_QT_NONE)
	{
		free(ptr[id]);
		ptr[id] = NULL;
	}
#undef BENCH_MALLOC_HELD
}

/*
 * bench_trace_replay
 *		loops replays of the trace, timed as one run.
 */
static void
bench_trace_replay(BenchRun *run, BenchAllocator a, const gab_qtrace *q,
				   int loops, BenchResult *res)
{
	double		t0;
	int			l;

	/* malloc's peak comes from one untimed pass that measures it */
	if (run->is_malloc)
		bench_trace_malloc(run, q, true);

	t0 = bench_now_ns();
	for (l = 0; l < loops; l++)
	{
		if (run->is_malloc)
			bench_trace_malloc(run, q, false);
		else
			bench_trace_contexts(run, a, q);
	}
	bench_finish(run, res, t0, q->nrecords * (uint64) loops);
	res->req_peak = (Size) q->req_peak;
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
 * Run one allocator over a generated trace t, or over a query trace q
 * (loops times).  On error, whatever the run holds is released: malloc'ed
 * chunks are freed, the context (with a query trace's contexts, its
 * children) is deleted.
 */
static void
bench_run_one(BenchAllocator a, const gab_trace *t, const gab_qtrace *q,
			  int loops, BenchResult *res)
{
	BenchRun	run;
	Size		nlive;
	bool		per_tuple = (t != NULL && t->wl->kind == GAB_WL_PER_TUPLE);

	memset(&run, 0, sizeof(run));
	memset(res, 0, sizeof(*res));
	run.is_malloc = (a == BA_MALLOC);
	run.is_trace = (q != NULL);

	if (q != NULL)
		nlive = Max(q->nchunks, 1);
	else
	{
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
	}
	run.nlive = nlive;

	/* everything PG_FINALLY reads is set before PG_TRY */
	bench_settle();
	if (!run.is_malloc)
		run.cxt = bench_create_context(a);
	run.live = (void **) calloc(nlive, sizeof(void *));
	if (q != NULL)
		run.trace_cxts = (MemoryContext *) calloc(Max(q->ncontexts, 1),
												  sizeof(MemoryContext));
	if (run.live == NULL || (q != NULL && run.trace_cxts == NULL))
	{
		if (run.cxt != NULL)
			MemoryContextDelete(run.cxt);
		free(run.live);
		free(run.trace_cxts);
		bench_oom(nlive * sizeof(void *));
	}
	run.rss_base = gab_rss_bytes();
	run.malloc_base = bench_malloc_held();

	PG_TRY();
	{
		if (q != NULL)
			bench_trace_replay(&run, a, q, loops, res);
		else
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
				if (run.live[i] != NULL && !per_tuple)
					free(run.live[i]);
		}
		/* a query trace's contexts are children of run.cxt */
		if (run.cxt != NULL)
			MemoryContextDelete(run.cxt);
		free(run.live);
		free(run.trace_cxts);
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

static int
bench_cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/*
 * bench_run_rounds
 *		Replay a trace reps times on every allocator in applies[], in
 *		rounds: round r starts with the r-th of them and takes the others
 *		in turn, so that no allocator always runs first or always follows
 *		the same one, and a burst of load from a neighbour on a shared
 *		machine falls on every allocator rather than on one.  res[a] gets
 *		round 0's counts and memory figures (they depend on the trace
 *		only) and the median of its rounds' times.
 */
static void
bench_run_rounds(const gab_trace *t, const gab_qtrace *q, int loops,
				 int reps, const bool *applies, BenchResult *res)
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
			bench_run_one((BenchAllocator) a, t, q, loops,
						  r == 0 ? &res[a] : &one);
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
}

/*
 * bench_run_all
 *		Build the workload's trace once, replay it against every allocator
 *		it applies to, reps rounds, and free the trace whatever happens.
 */
static void
bench_run_all(const gab_workload *wl, double scale, int reps,
			  BenchResult *res)
{
	gab_trace	t;
	bool		applies[BA_COUNT];
	int			a;

	for (a = 0; a < BA_COUNT; a++)
		applies[a] = bench_allocator_applies((BenchAllocator) a, wl);
	bench_build_trace(&t, wl, scale);
	PG_TRY();
	{
		bench_run_rounds(&t, NULL, 0, reps, applies, res);
	}
	PG_FINALLY();
	{
		bench_trace_free(&t);
	}
	PG_END_TRY();
	bench_settle();
}

/* The reps argument of goalloc_bench and goalloc_bench_trace. */
static int
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
static void
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

/*
 * goalloc_bench(workload text, scale float8 DEFAULT 1.0, reps int4 DEFAULT 3)
 *		Replays one workload against every allocator, reps rounds; one row
 *		each, with the median round's time.
 */
Datum
goalloc_bench(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const gab_workload *wl;
	double		scale;
	int			reps;
	BenchResult res[BA_COUNT];

	wl = bench_args(fcinfo, 1, 0, &scale);
	reps = bench_reps_arg(fcinfo, 2);
	InitMaterializedSRF(fcinfo, 0);
	memset(res, 0, sizeof(res));

	bench_run_all(wl, scale, reps, res);
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
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const gab_workload *wl = gab_workload_find("build_free");
	double		scale;
	BenchResult res[BA_COUNT];
	int			a;

	(void) bench_args(fcinfo, 0, -1, &scale);
	InitMaterializedSRF(fcinfo, 0);
	memset(res, 0, sizeof(res));

	bench_run_all(wl, scale, 1, res);

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

/*
 * goalloc_bench_trace(path text, loops int4 DEFAULT 1, reps int4 DEFAULT 3)
 *		Replays a recorded query trace loops times on goalloc, aset,
 *		generation and malloc (Slab's fixed chunk size does not fit), reps
 *		rounds; one row each, goalloc_bench's columns, with the median
 *		round's time.
 */
Datum
goalloc_bench_trace(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	BenchResult res[BA_COUNT];
	gab_qtrace	q;
	void	   *buf;
	char	   *path;
	char	   *name;
	int32		loops;
	int			reps;
	bool		applies[BA_COUNT];
	int			a;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("loops must not be NULL")));
	loops = PG_GETARG_INT32(1);
	if (loops < 1 || loops > BENCH_MAX_LOOPS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("loops must be between 1 and %d, not %d",
						BENCH_MAX_LOOPS, loops)));
	reps = bench_reps_arg(fcinfo, 2);
	InitMaterializedSRF(fcinfo, 0);
	memset(res, 0, sizeof(res));
	for (a = 0; a < BA_COUNT; a++)
		applies[a] = (a != BA_SLAB);

	buf = goalloc_trace_load(fcinfo, 0, &q, &path);
	name = strrchr(path, '/');
	name = psprintf("trace:%s", name != NULL ? name + 1 : path);
	PG_TRY();
	{
		bench_run_rounds(NULL, &q, loops, reps, applies, &res[0]);
	}
	PG_FINALLY();
	{
		goalloc_trace_unload(&q, buf);
	}
	PG_END_TRY();
	bench_settle();

	bench_put_rows(rsinfo, name, res);
	return (Datum) 0;
}
