/*-------------------------------------------------------------------------
 *
 * replay.c
 *	  Benchmark workload 8: a recorded query trace replayed on goalloc,
 *	  AllocSet, Generation and malloc.
 *
 *	goalloc_bench_trace(path text, loops int4 DEFAULT 1, reps int4 DEFAULT 3,
 *						allocators text[] DEFAULT NULL)
 *		a trace recorded by goalloc_record_trace() (record.c; format
 *		bench/common/gab_trace.h), replayed loops times per round; the
 *		columns of goalloc_bench, workload 'trace:<file name>'.
 *
 * A trace is replayed record by record: one context of the type under test
 * per recorded context, all children of one root of that type (the
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
 * Bounds.  The reader accepts at most 2^26 records (a 1 GiB file); a
 * replay refuses a trace whose live requested bytes peak above
 * BENCH_MAX_TRACE_PEAK (1 GiB), and loops is at most 10,000.  A call then
 * holds at most the file, the reader's lists (4 bytes per chunk and per
 * reset or delete), a pointer per chunk and the peak.  Interrupts are
 * checked every BENCH_BATCH records; a cancelled replay deletes its
 * contexts and frees its malloc'ed chunks (run.c).
 *
 * IDENTIFICATION
 *	  bench/extension/replay.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <malloc.h>

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "bench.h"

PG_FUNCTION_INFO_V1(goalloc_bench_trace);

/* Most replays of a trace in one round. */
#define BENCH_MAX_LOOPS			10000

/* Largest peak of live requested bytes a replay accepts. */
#define BENCH_MAX_TRACE_PEAK	((uint64) 1 << 30)

/* A trace replay: arg of bench_trace_body. */
typedef struct BenchTraceArg
{
	const gab_trace *q;
	int			loops;
} BenchTraceArg;

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
bench_trace_contexts(BenchRun *run, BenchAllocator a, const gab_trace *q)
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
			const gab_trace_rec *r = &q->rec[i];
			MemoryContext c;
			Size		before;
			void	   *p;

			switch (r->op)
			{
				case GAB_TRACE_CREATE:
					c = bench_create_context(a, run->cxt);
					cx[r->ctx] = c;
					run->trace_mem += (int64) c->mem_allocated;
					break;
				case GAB_TRACE_ALLOC:
					c = cx[r->ctx];
					before = c->mem_allocated;
					p = bench_trace_palloc(c, r->size);
					if (r->size > 0)
						*(volatile char *) p = (char) i;
					ptr[r->chunk] = p;
					run->trace_mem += (int64) c->mem_allocated - (int64) before;
					break;
				case GAB_TRACE_FREE:
					c = cx[r->ctx];
					before = c->mem_allocated;
					pfree(ptr[r->chunk]);
					run->trace_mem += (int64) c->mem_allocated - (int64) before;
					break;
				case GAB_TRACE_REALLOC:
					c = cx[r->ctx];
					before = c->mem_allocated;
					ptr[r->chunk] = bench_trace_repalloc(ptr[r->chunk], r->size);
					run->trace_mem += (int64) c->mem_allocated - (int64) before;
					break;
				case GAB_TRACE_RESET:
					c = cx[r->ctx];
					before = c->mem_allocated;
					MemoryContextReset(c);
					run->trace_mem += (int64) c->mem_allocated - (int64) before;
					break;
				case GAB_TRACE_DELETE:
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
bench_trace_malloc(BenchRun *run, const gab_trace *q, bool measure)
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
			const gab_trace_rec *r = &q->rec[i];
			void	   *p;

			switch (r->op)
			{
				case GAB_TRACE_CREATE:
					break;
				case GAB_TRACE_ALLOC:
					p = malloc(Max(r->size, 1));
					if (unlikely(p == NULL))
						bench_oom(Max(r->size, 1));
					*(volatile char *) p = (char) i;
					ptr[r->chunk] = p;
					if (measure)
						held += BENCH_MALLOC_HELD(p);
					break;
				case GAB_TRACE_FREE:
					if (measure)
						held -= BENCH_MALLOC_HELD(ptr[r->chunk]);
					free(ptr[r->chunk]);
					ptr[r->chunk] = NULL;
					break;
				case GAB_TRACE_REALLOC:
					if (measure)
						held -= BENCH_MALLOC_HELD(ptr[r->chunk]);
					p = realloc(ptr[r->chunk], Max(r->size, 1));
					if (unlikely(p == NULL))
						bench_oom(Max(r->size, 1));
					ptr[r->chunk] = p;
					if (measure)
						held += BENCH_MALLOC_HELD(ptr[r->chunk]);
					break;
				case GAB_TRACE_RESET:
				case GAB_TRACE_DELETE:
					while ((id = *imp++) != GAB_TRACE_NONE)
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
	while ((id = *imp++) != GAB_TRACE_NONE)
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
bench_trace_replay(BenchRun *run, BenchAllocator a, const gab_trace *q,
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

/* BenchBody of a trace replay: arg is a BenchTraceArg. */
static void
bench_trace_body(BenchRun *run, BenchAllocator a, const void *arg,
				 BenchResult *res)
{
	const BenchTraceArg *ta = (const BenchTraceArg *) arg;

	bench_trace_replay(run, a, ta->q, ta->loops, res);
}

/*
 * goalloc_bench_trace(path text, loops int4 DEFAULT 1, reps int4 DEFAULT 3,
 *					   allocators text[] DEFAULT NULL)
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
	BenchTraceArg ta;
	BenchSpec	spec;
	gab_trace	q;
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
	for (a = 0; a < BA_COUNT; a++)
		applies[a] = (a != BA_SLAB);
	bench_allocators_arg(fcinfo, 3, applies, "trace");
	InitMaterializedSRF(fcinfo, 0);
	memset(res, 0, sizeof(res));

	buf = bench_trace_load(fcinfo, 0, &q, &path);
	if (q.req_peak > BENCH_MAX_TRACE_PEAK)
	{
		uint64		peak = q.req_peak;

		bench_trace_unload(&q, buf);
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("trace file \"%s\" is too large to replay", path),
				 errdetail("Its live requests peak at " UINT64_FORMAT " bytes; a replay may hold at most " UINT64_FORMAT ".",
						   peak, BENCH_MAX_TRACE_PEAK)));
	}
	name = strrchr(path, '/');
	name = psprintf("trace:%s", name != NULL ? name + 1 : path);

	ta.q = &q;
	ta.loops = loops;
	memset(&spec, 0, sizeof(spec));
	spec.body = bench_trace_body;
	spec.arg = &ta;
	spec.nlive = (Size) q.nchunks;
	spec.free_live = true;
	spec.is_trace = true;
	spec.ntrace_cxts = q.ncontexts;
	PG_TRY();
	{
		bench_run_rounds(&spec, reps, applies, res);
	}
	PG_FINALLY();
	{
		bench_trace_unload(&q, buf);
	}
	PG_END_TRY();

	bench_put_rows(rsinfo, name, res);
	return (Datum) 0;
}
